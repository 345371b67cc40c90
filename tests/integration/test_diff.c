/*
** migrate_diff(): table-driven cases (current SQL, desired SQL, rows), each
** applied through a real migration, both directions, on a database with
** rows in every table. The cases share one migration set built at test
** time ($DM_ENGINE_OBJ, $DM_CC, as test_ops does): 001 creates every
** case's current tables, 002's up is migrate_diff(current, desired) of all
** of them and its down migrate_diff(desired, current). After the upgrade
** the database's schema must be the desired one (migrate_diff(desired) on
** it gives ''), after the downgrade the current one; every row of every
** column that survives must be there with the same values; the foreign
** keys and the integrity check must hold.
*/
#include "harness.h"
#include "sets.h"

typedef struct Case Case;
struct Case {
  const char *zName;
  const char *zCurrent;
  const char *zDesired;
  const char *zRows;     /* INSERTs on the current schema */
  const char *zKeep;     /* Renames for the row check: "old=new" (a table),
                         ** "table.old=new" (a column), "!table": not
                         ** checked (a virtual table made again) */
  const char *zScript;   /* The exact up script, or 0 */
  const char *zAfterUp;  /* "query\nresult" after the upgrade, or 0 */
  const char *zAfterDown;/* "query\nresult" after the downgrade, or 0 */
};

static const Case aCase[] = {
    {"add table", "CREATE TABLE at_a (id INTEGER PRIMARY KEY, x TEXT);",
     "CREATE TABLE at_a (id INTEGER PRIMARY KEY, x TEXT);\n"
     "CREATE TABLE at_b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES at_a (id));",
     "INSERT INTO at_a VALUES (1, 'one'), (2, 'two');", 0,
     "-- new table at_b\n"
     "CREATE TABLE at_b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES at_a (id));\n",
     0, "SELECT count(*) FROM sqlite_schema WHERE name = 'at_b'\n0"},
    {"drop table",
     "CREATE TABLE dt_a (id INTEGER PRIMARY KEY, x TEXT);\n"
     "CREATE TABLE dt_b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES dt_a (id));\n"
     "CREATE INDEX dt_b_a ON dt_b (a_id);",
     "CREATE TABLE dt_a (id INTEGER PRIMARY KEY, x TEXT);",
     "INSERT INTO dt_a VALUES (1, 'one'); INSERT INTO dt_b VALUES (5, 1);", 0,
     "-- destructive: drops table dt_b and every row in it\n"
     "DROP TABLE dt_b;\n",
     0, "SELECT count(*) FROM dt_b\n0"},
    {"rename table",
     "CREATE TABLE rt_old (id INTEGER PRIMARY KEY, v TEXT);\n"
     "CREATE TABLE rt_child (id INTEGER PRIMARY KEY, old_id INTEGER REFERENCES rt_old (id));",
     "CREATE TABLE rt_new ( -- @renamed from=rt_old\n  id INTEGER PRIMARY KEY, v TEXT);\n"
     "CREATE TABLE rt_child (id INTEGER PRIMARY KEY, old_id INTEGER REFERENCES rt_new (id));",
     "INSERT INTO rt_old VALUES (1, 'a'), (2, 'b'); INSERT INTO rt_child VALUES (1, 2);",
     "rt_old=rt_new",
     "-- table rt_old is renamed rt_new\n"
     "ALTER TABLE rt_old RENAME TO rt_new;\n",
     0, 0},
    {"add column", "CREATE TABLE ac (id INTEGER PRIMARY KEY, a TEXT);",
     "CREATE TABLE ac (id INTEGER PRIMARY KEY, a TEXT, b INTEGER NOT NULL DEFAULT 0, c TEXT);",
     "INSERT INTO ac VALUES (1, 'x'), (2, NULL);", 0,
     "-- table ac changes:\n"
     "--   ac.b: in the desired schema, not in the current schema\n"
     "--   ac.c: in the desired schema, not in the current schema\n"
     "ALTER TABLE ac ADD COLUMN b INTEGER NOT NULL DEFAULT 0;\n"
     "ALTER TABLE ac ADD COLUMN c TEXT;\n",
     "SELECT group_concat(b || ':' || quote(c)) FROM ac\n0:NULL,0:NULL", 0},
    {"drop column", "CREATE TABLE dc (id INTEGER PRIMARY KEY, a TEXT, gone TEXT);",
     "CREATE TABLE dc (id INTEGER PRIMARY KEY, a TEXT);",
     "INSERT INTO dc VALUES (1, 'x', 'lost'), (2, 'y', 'lost too');", 0, 0, 0,
     "SELECT group_concat(quote(gone)) FROM dc\nNULL,NULL"},
    {"rename column used by an index, a view, a trigger and a child FK",
     "CREATE TABLE rc_p (id INTEGER PRIMARY KEY, code TEXT UNIQUE, name TEXT);\n"
     "CREATE INDEX rc_p_name ON rc_p (name);\n"
     "CREATE VIEW rc_v AS SELECT id, name FROM rc_p;\n"
     "CREATE TABLE rc_log (msg TEXT);\n"
     "CREATE TRIGGER rc_t AFTER UPDATE OF name ON rc_p BEGIN\n"
     "  INSERT INTO rc_log VALUES (new.name);\nEND;\n"
     "CREATE TABLE rc_c (id INTEGER PRIMARY KEY, p_code TEXT REFERENCES rc_p (code));",
     "CREATE TABLE rc_p (id INTEGER PRIMARY KEY,\n"
     "  ref_code TEXT UNIQUE, -- @renamed from=code\n"
     "  full_name TEXT -- @renamed from=name\n);\n"
     "CREATE INDEX rc_p_name ON rc_p (full_name);\n"
     "CREATE VIEW rc_v AS SELECT id, full_name FROM rc_p;\n"
     "CREATE TABLE rc_log (msg TEXT);\n"
     "CREATE TRIGGER rc_t AFTER UPDATE OF full_name ON rc_p BEGIN\n"
     "  INSERT INTO rc_log VALUES (new.full_name);\nEND;\n"
     "CREATE TABLE rc_c (id INTEGER PRIMARY KEY, p_code TEXT REFERENCES rc_p (ref_code));",
     "INSERT INTO rc_p VALUES (1, 'A', 'Ann'), (2, 'B', 'Bob');"
     "INSERT INTO rc_c VALUES (10, 'B'); INSERT INTO rc_log VALUES ('seed');",
     "rc_p.code=ref_code rc_p.name=full_name",
     "-- trigger rc_t changes: dropped here, created again below\n"
     "DROP TRIGGER rc_t;\n"
     "\n"
     "-- view rc_v changes: dropped here, created again below\n"
     "DROP VIEW rc_v;\n"
     "\n"
     "-- table rc_p changes\n"
     "ALTER TABLE rc_p RENAME COLUMN code TO ref_code;\n"
     "ALTER TABLE rc_p RENAME COLUMN name TO full_name;\n"
     "\n"
     "-- view rc_v, as it is now\n"
     "CREATE VIEW rc_v AS SELECT id, full_name FROM rc_p;\n"
     "\n"
     "-- trigger rc_t, as it is now\n"
     "CREATE TRIGGER rc_t AFTER UPDATE OF full_name ON rc_p BEGIN\n"
     "  INSERT INTO rc_log VALUES (new.full_name);\nEND;\n",
     "SELECT group_concat(sql, ' | ') FROM sqlite_schema WHERE name IN ('rc_p_name', 'rc_c')\n"
     "CREATE INDEX rc_p_name ON rc_p (full_name) | CREATE TABLE rc_c (id INTEGER "
     "PRIMARY KEY, p_code TEXT REFERENCES rc_p (ref_code))",
     0},
    {"type change", "CREATE TABLE tc (id INTEGER PRIMARY KEY, n TEXT, w VARCHAR(10));",
     "CREATE TABLE tc (id INTEGER PRIMARY KEY, n INTEGER, w VARCHAR(20));",
     "INSERT INTO tc VALUES (1, 'abc', 'w'), (2, NULL, 'v');", 0, 0, 0, 0},
    {"NOT NULL on", "CREATE TABLE nn_on (id INTEGER PRIMARY KEY, a TEXT);",
     "CREATE TABLE nn_on (id INTEGER PRIMARY KEY, a TEXT NOT NULL);",
     "INSERT INTO nn_on VALUES (1, 'x');", 0, 0, 0, 0},
    {"NOT NULL off", "CREATE TABLE nn_off (id INTEGER PRIMARY KEY, a TEXT NOT NULL);",
     "CREATE TABLE nn_off (id INTEGER PRIMARY KEY, a TEXT);",
     "INSERT INTO nn_off VALUES (1, 'x');", 0, 0, 0, 0},
    {"default change", "CREATE TABLE df (id INTEGER PRIMARY KEY, a TEXT DEFAULT 'x');",
     "CREATE TABLE df (id INTEGER PRIMARY KEY, a TEXT DEFAULT 'y');",
     "INSERT INTO df (id) VALUES (1);", 0, 0,
     "SELECT dflt_value FROM pragma_table_info('df') WHERE name = 'a'\n'y'", 0},
    {"CHECK add, change, drop",
     "CREATE TABLE ck_add (id INTEGER PRIMARY KEY, a INTEGER);\n"
     "CREATE TABLE ck_change (id INTEGER PRIMARY KEY, a INTEGER CHECK (a > 0));\n"
     "CREATE TABLE ck_drop (id INTEGER PRIMARY KEY, a INTEGER, CONSTRAINT pos CHECK (a > 0));",
     "CREATE TABLE ck_add (id INTEGER PRIMARY KEY, a INTEGER CHECK (a > 0));\n"
     "CREATE TABLE ck_change (id INTEGER PRIMARY KEY, a INTEGER CHECK (a >= 0));\n"
     "CREATE TABLE ck_drop (id INTEGER PRIMARY KEY, a INTEGER);",
     "INSERT INTO ck_add VALUES (1, 5); INSERT INTO ck_change VALUES (1, 5);"
     "INSERT INTO ck_drop VALUES (1, 5);",
     0, 0, 0, 0},
    {"FK add, drop, change action",
     "CREATE TABLE fk_p (id INTEGER PRIMARY KEY);\n"
     "CREATE TABLE fk_add (id INTEGER PRIMARY KEY, p INTEGER);\n"
     "CREATE TABLE fk_drop (id INTEGER PRIMARY KEY, p INTEGER REFERENCES fk_p (id));\n"
     "CREATE TABLE fk_act (id INTEGER PRIMARY KEY,\n"
     "  p INTEGER REFERENCES fk_p (id) ON DELETE CASCADE);",
     "CREATE TABLE fk_p (id INTEGER PRIMARY KEY);\n"
     "CREATE TABLE fk_add (id INTEGER PRIMARY KEY, p INTEGER REFERENCES fk_p (id));\n"
     "CREATE TABLE fk_drop (id INTEGER PRIMARY KEY, p INTEGER);\n"
     "CREATE TABLE fk_act (id INTEGER PRIMARY KEY,\n"
     "  p INTEGER REFERENCES fk_p (id) ON DELETE SET NULL);",
     "INSERT INTO fk_p VALUES (1), (2); INSERT INTO fk_add VALUES (1, 1);"
     "INSERT INTO fk_drop VALUES (1, 2); INSERT INTO fk_act VALUES (1, 1), (2, 2);",
     0, 0, 0, 0},
    {"UNIQUE", "CREATE TABLE uq (id INTEGER PRIMARY KEY, a TEXT);",
     "CREATE TABLE uq (id INTEGER PRIMARY KEY, a TEXT UNIQUE);",
     "INSERT INTO uq VALUES (1, 'x'), (2, 'y');", 0, 0, 0, 0},
    {"primary key change", "CREATE TABLE pk (a INTEGER, b TEXT, PRIMARY KEY (a));",
     "CREATE TABLE pk (a INTEGER, b TEXT NOT NULL, PRIMARY KEY (b, a));",
     "INSERT INTO pk VALUES (1, 'x'), (2, 'y');", 0, 0, 0, 0},
    {"column order", "CREATE TABLE co (id INTEGER PRIMARY KEY, a TEXT, b TEXT);",
     "CREATE TABLE co (id INTEGER PRIMARY KEY, b TEXT, a TEXT);",
     "INSERT INTO co VALUES (1, 'a1', 'b1');", 0, 0, 0, 0},
    {"collation", "CREATE TABLE cl (id INTEGER PRIMARY KEY, a TEXT);",
     "CREATE TABLE cl (id INTEGER PRIMARY KEY, a TEXT COLLATE NOCASE);",
     "INSERT INTO cl VALUES (1, 'Abc');", 0, 0, 0, 0},
    {"STRICT on and off",
     "CREATE TABLE st_on (id INTEGER PRIMARY KEY, a TEXT);\n"
     "CREATE TABLE st_off (id INTEGER PRIMARY KEY, a TEXT) STRICT;",
     "CREATE TABLE st_on (id INTEGER PRIMARY KEY, a TEXT) STRICT;\n"
     "CREATE TABLE st_off (id INTEGER PRIMARY KEY, a TEXT);",
     "INSERT INTO st_on VALUES (1, 'x'); INSERT INTO st_off VALUES (1, 'y');", 0, 0, 0, 0},
    {"WITHOUT ROWID on and off",
     "CREATE TABLE wr_on (id INTEGER PRIMARY KEY, a TEXT);\n"
     "CREATE TABLE wr_off (id INTEGER PRIMARY KEY, a TEXT) WITHOUT ROWID;",
     "CREATE TABLE wr_on (id INTEGER PRIMARY KEY, a TEXT) WITHOUT ROWID;\n"
     "CREATE TABLE wr_off (id INTEGER PRIMARY KEY, a TEXT);",
     "INSERT INTO wr_on VALUES (1, 'x'); INSERT INTO wr_off VALUES (1, 'y');", 0, 0, 0, 0},
    {"AUTOINCREMENT", "CREATE TABLE ai (id INTEGER PRIMARY KEY, a TEXT);",
     "CREATE TABLE ai (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT);",
     "INSERT INTO ai VALUES (7, 'x');", 0, 0, 0, 0},
    {"VIRTUAL and STORED generated columns",
     "CREATE TABLE gc (id INTEGER PRIMARY KEY, a INTEGER);",
     "CREATE TABLE gc (id INTEGER PRIMARY KEY, a INTEGER,\n"
     "  twice INTEGER GENERATED ALWAYS AS (a * 2) VIRTUAL,\n"
     "  thrice INTEGER GENERATED ALWAYS AS (a * 3) STORED);",
     "INSERT INTO gc VALUES (1, 5);", 0, 0,
     "SELECT twice || ',' || thrice FROM gc\n10,15", 0},
    {"a non-constant default", "CREATE TABLE nd (id INTEGER PRIMARY KEY, a TEXT);",
     "CREATE TABLE nd (id INTEGER PRIMARY KEY, a TEXT,\n"
     "  created TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);",
     "INSERT INTO nd VALUES (1, 'x');", 0, 0,
     "SELECT count(*) FROM nd WHERE created LIKE '2%'\n1", 0},
    {"index add, drop, change, partial, expression",
     "CREATE TABLE ix (id INTEGER PRIMARY KEY, a TEXT, b TEXT);\n"
     "CREATE INDEX ix_drop ON ix (a);\n"
     "CREATE INDEX ix_change ON ix (a);",
     "CREATE TABLE ix (id INTEGER PRIMARY KEY, a TEXT, b TEXT);\n"
     "CREATE INDEX ix_add ON ix (b);\n"
     "CREATE INDEX ix_change ON ix (a, b DESC);\n"
     "CREATE UNIQUE INDEX ix_partial ON ix (a) WHERE b IS NOT NULL;\n"
     "CREATE INDEX ix_expr ON ix (lower(a));",
     "INSERT INTO ix VALUES (1, 'x', 'y'), (2, 'x', NULL);", 0,
     "-- index ix_change changes: dropped here, created again below\n"
     "DROP INDEX ix_change;\n"
     "\n"
     "-- index ix_drop is not in the desired schema\n"
     "DROP INDEX ix_drop;\n"
     "\n"
     "-- new index ix_add\n"
     "CREATE INDEX ix_add ON ix (b);\n"
     "\n"
     "-- index ix_change, as it is now\n"
     "CREATE INDEX ix_change ON ix (a, b DESC);\n"
     "\n"
     "-- new index ix_expr\n"
     "CREATE INDEX ix_expr ON ix (lower(a));\n"
     "\n"
     "-- new index ix_partial\n"
     "CREATE UNIQUE INDEX ix_partial ON ix (a) WHERE b IS NOT NULL;\n",
     0, 0},
    {"view and trigger add, change, drop",
     "CREATE TABLE vt (id INTEGER PRIMARY KEY, a TEXT);\n"
     "CREATE TABLE vt_log (m TEXT);\n"
     "CREATE VIEW vt_gone AS SELECT a FROM vt;\n"
     "CREATE VIEW vt_change AS SELECT a FROM vt;\n"
     "CREATE TRIGGER vt_t_gone AFTER INSERT ON vt BEGIN INSERT INTO vt_log VALUES (1); END;\n"
     "CREATE TRIGGER vt_t_change AFTER INSERT ON vt BEGIN INSERT INTO vt_log VALUES (2); END;",
     "CREATE TABLE vt (id INTEGER PRIMARY KEY, a TEXT);\n"
     "CREATE TABLE vt_log (m TEXT);\n"
     "CREATE VIEW vt_change AS SELECT a, id FROM vt;\n"
     "CREATE VIEW vt_new AS SELECT id FROM vt;\n"
     "CREATE TRIGGER vt_t_change AFTER INSERT ON vt BEGIN INSERT INTO vt_log VALUES (3); END;\n"
     "CREATE TRIGGER vt_t_new AFTER DELETE ON vt BEGIN INSERT INTO vt_log VALUES (4); END;",
     "INSERT INTO vt VALUES (1, 'x');", 0, 0, 0, 0},
    {"a table read by a view and carrying a trigger, rebuilt",
     "CREATE TABLE rb (id INTEGER PRIMARY KEY, a TEXT, b TEXT);\n"
     "CREATE TABLE rb_log (m TEXT);\n"
     "CREATE VIEW rb_v AS SELECT id, a FROM rb;\n"
     "CREATE TRIGGER rb_t AFTER INSERT ON rb BEGIN INSERT INTO rb_log VALUES (new.a); END;",
     "CREATE TABLE rb (id INTEGER PRIMARY KEY, a TEXT NOT NULL, b INTEGER);\n"
     "CREATE TABLE rb_log (m TEXT);\n"
     "CREATE VIEW rb_v AS SELECT id, a FROM rb;\n"
     "CREATE TRIGGER rb_t AFTER INSERT ON rb BEGIN INSERT INTO rb_log VALUES (new.a); END;",
     "INSERT INTO rb VALUES (1, 'x', 'y');", 0,
     "-- table rb changes:\n"
     "--   rb.a: NOT NULL in the desired schema, nullable in the current schema\n"
     "--   rb.b: type INTEGER in the desired schema, type TEXT in the current schema\n"
     "-- rb.a becomes NOT NULL: this step fails if a row holds NULL there; fill those "
     "rows first\n"
     "-- destructive: rb.b changes type from TEXT to INTEGER (affinity TEXT to INTEGER): "
     "values may be converted or refused\n"
     "SELECT migrate_alter_table('CREATE TABLE rb (id INTEGER PRIMARY KEY, a TEXT NOT "
     "NULL, b INTEGER)');\n",
     0, 0},
    {"a self-referencing FK",
     "CREATE TABLE sr (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES sr (id), n TEXT);",
     "CREATE TABLE sr (id INTEGER PRIMARY KEY,\n"
     "  parent INTEGER REFERENCES sr (id) ON DELETE CASCADE,\n"
     "  label TEXT -- @renamed from=n\n);",
     "INSERT INTO sr VALUES (1, NULL, 'root'), (2, 1, 'kid'), (3, 2, 'grandkid');",
     "sr.n=label", 0, 0, 0},
    {"FTS5 and R*Tree virtual tables",
     "CREATE VIRTUAL TABLE ft_same USING fts5(title, body);\n"
     "CREATE VIRTUAL TABLE ft_old USING fts5(title);\n"
     "CREATE VIRTUAL TABLE ft_change USING fts5(title);\n"
     "CREATE VIRTUAL TABLE rtr_old USING rtree(id, minx, maxx);\n"
     "CREATE VIRTUAL TABLE rtr_change USING rtree(id, minx, maxx);",
     "CREATE VIRTUAL TABLE ft_same USING fts5(title, body);\n"
     "CREATE VIRTUAL TABLE ft_new USING fts5(title); -- @renamed from=ft_old\n"
     "CREATE VIRTUAL TABLE ft_change USING fts5(title, tags);\n"
     "CREATE VIRTUAL TABLE rtr_new -- @renamed from=rtr_old\n"
     "  USING rtree(id, minx, maxx);\n"
     "CREATE VIRTUAL TABLE rtr_change USING rtree(id, minx, maxx, miny, maxy);\n"
     "CREATE VIRTUAL TABLE ft_add USING fts5(body);",
     "INSERT INTO ft_same VALUES ('t', 'b'); INSERT INTO ft_old VALUES ('kept');"
     "INSERT INTO ft_change VALUES ('lost');"
     "INSERT INTO rtr_old VALUES (1, 0.5, 2.5); INSERT INTO rtr_change VALUES (1, 1, 2);",
     "ft_old=ft_new rtr_old=rtr_new !ft_change !rtr_change",
     "-- table ft_old is renamed ft_new\n"
     "ALTER TABLE ft_old RENAME TO ft_new;\n"
     "\n"
     "-- table rtr_old is renamed rtr_new\n"
     "ALTER TABLE rtr_old RENAME TO rtr_new;\n"
     "\n"
     "-- new table ft_add\n"
     "CREATE VIRTUAL TABLE ft_add USING fts5(body);\n"
     "\n"
     "-- destructive: virtual table ft_change changes; it is dropped with its content and "
     "created again:\n"
     "--   table ft_change: USING fts5(title , tags) in the desired schema, USING "
     "fts5(title) in the current schema\n"
     "DROP TABLE ft_change;\n"
     "CREATE VIRTUAL TABLE ft_change USING fts5(title, tags);\n"
     "\n"
     "-- destructive: virtual table rtr_change changes; it is dropped with its content and "
     "created again:\n"
     "--   table rtr_change: USING rtree(id , minx , maxx , miny , maxy) in the desired "
     "schema, USING rtree(id , minx , maxx) in the current schema\n"
     "DROP TABLE rtr_change;\n"
     "CREATE VIRTUAL TABLE rtr_change USING rtree(id, minx, maxx, miny, maxy);\n",
     "SELECT (SELECT title FROM ft_same WHERE ft_same MATCH 'b') || ',' || "
     "(SELECT title FROM ft_new WHERE ft_new MATCH 'kept') || ',' || "
     "(SELECT id FROM rtr_new WHERE minx > 0.4 AND maxx < 2.6) || ',' || "
     "(SELECT count(*) FROM ft_change) || ',' || (SELECT count(*) FROM rtr_change)\n"
     "t,kept,1,0,0",
     0},
    {"tables renamed in a chain and in a cycle",
     "CREATE TABLE rs_a (x TEXT); CREATE TABLE rs_b (y TEXT); CREATE TABLE rs_c (z TEXT);\n"
     "CREATE TABLE rs_d (w TEXT);",
     "CREATE TABLE rs_b (x TEXT); -- @renamed from=rs_a\n"
     "CREATE TABLE rs_a (y TEXT); -- @renamed from=rs_b\n"
     "CREATE TABLE rs_e (w TEXT); -- @renamed from=rs_d\n"
     "CREATE TABLE rs_d (z TEXT); -- @renamed from=rs_c\n",
     "INSERT INTO rs_a VALUES ('a'); INSERT INTO rs_b VALUES ('b');"
     "INSERT INTO rs_c VALUES ('c'); INSERT INTO rs_d VALUES ('d');",
     "rs_a=rs_b rs_b=rs_a rs_c=rs_d rs_d=rs_e",
     "-- table rs_d is renamed rs_e\n"
     "ALTER TABLE rs_d RENAME TO rs_e;\n"
     "\n"
     "-- table rs_c is renamed rs_d\n"
     "ALTER TABLE rs_c RENAME TO rs_d;\n"
     "\n"
     "-- table rs_b steps aside as rs_b_renaming: the renames below go round in a cycle\n"
     "ALTER TABLE rs_b RENAME TO rs_b_renaming;\n"
     "\n"
     "-- table rs_a is renamed rs_b\n"
     "ALTER TABLE rs_a RENAME TO rs_b;\n"
     "\n"
     "-- table rs_b is renamed rs_a\n"
     "ALTER TABLE rs_b_renaming RENAME TO rs_a;\n",
     "SELECT (SELECT x FROM rs_b) || (SELECT y FROM rs_a) || (SELECT z FROM rs_d) || "
     "(SELECT w FROM rs_e)\nabcd",
     0},
    {"index renamed by a hint",
     "CREATE TABLE ir (a TEXT); CREATE INDEX ir_old ON ir (a);",
     "CREATE TABLE ir (a TEXT);\nCREATE INDEX ir_new -- @renamed from=ir_old\n  ON ir (a);",
     "INSERT INTO ir VALUES ('x');", 0,
     "-- index ir_old is renamed ir_new: SQLite has no RENAME INDEX, so it is dropped here "
     "and created again below (no data is lost)\n"
     "DROP INDEX ir_old;\n"
     "\n"
     "-- index ir_new, as it is now\n"
     "CREATE INDEX ir_new\n  ON ir (a);\n",
     0, 0},
    {"new tables in a foreign-key cycle",
     "CREATE TABLE fc_seed (id INTEGER PRIMARY KEY);",
     "CREATE TABLE fc_seed (id INTEGER PRIMARY KEY);\n"
     "CREATE TABLE fc_c (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES fc_a (id));\n"
     "CREATE TABLE fc_a (id INTEGER PRIMARY KEY, b_id INTEGER REFERENCES fc_b (id),\n"
     "  seed_id INTEGER REFERENCES fc_seed (id));\n"
     "CREATE TABLE fc_b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES fc_a (id));",
     "INSERT INTO fc_seed VALUES (1);", 0,
     "-- new table fc_b\n"
     "CREATE TABLE fc_b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES fc_a (id));\n"
     "\n"
     "-- new table fc_a\n"
     "CREATE TABLE fc_a (id INTEGER PRIMARY KEY, b_id INTEGER REFERENCES fc_b (id),\n"
     "  seed_id INTEGER REFERENCES fc_seed (id));\n"
     "\n"
     "-- new table fc_c\n"
     "CREATE TABLE fc_c (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES fc_a (id));\n",
     0, 0},
    {"a parent table dropped, its child kept without the foreign key",
     "CREATE TABLE dp_parent (id INTEGER PRIMARY KEY);\n"
     "CREATE TABLE dp_child (id INTEGER PRIMARY KEY,\n"
     "  parent_id INTEGER REFERENCES dp_parent (id) ON DELETE CASCADE);",
     "CREATE TABLE dp_child (id INTEGER PRIMARY KEY, parent_id INTEGER);",
     "INSERT INTO dp_parent VALUES (1), (2); INSERT INTO dp_child VALUES (10, 1), (20, 2);",
     0, 0, "SELECT group_concat(id || ':' || parent_id) FROM dp_child\n10:1,20:2",
     "SELECT count(*) FROM dp_parent\n0"},
    {"columns renamed in a chain, one of them indexed",
     "CREATE TABLE cr (id INTEGER PRIMARY KEY, a TEXT, b TEXT);\n"
     "CREATE INDEX cr_first ON cr (a);",
     "CREATE TABLE cr (id INTEGER PRIMARY KEY,\n"
     "  b TEXT, -- @renamed from=a\n"
     "  c TEXT -- @renamed from=b\n);\n"
     "CREATE INDEX cr_first ON cr (b);",
     "INSERT INTO cr VALUES (1, 'a1', 'b1'), (2, 'a2', 'b2');", "cr.a=b cr.b=c",
     "-- index cr_first changes: dropped here, created again below\n"
     "DROP INDEX cr_first;\n"
     "\n"
     "-- table cr changes\n"
     "SELECT migrate_alter_table('CREATE TABLE cr (id INTEGER PRIMARY KEY,\n"
     "  b TEXT,\n"
     "  c TEXT\n"
     ")', '{\"b\": \"a\", \"c\": \"b\"}');\n"
     "\n"
     "-- index cr_first, as it is now\n"
     "CREATE INDEX cr_first ON cr (b);\n",
     "SELECT group_concat(b || c) FROM cr\na1b1,a2b2", 0},
    {"identical schemas",
     "CREATE TABLE same (id INTEGER NOT NULL, a TEXT, b TEXT, PRIMARY KEY (id),\n"
     "  CHECK (a <> ''), UNIQUE (b));",
     "create table \"SAME\" ( -- the same table, written differently\n"
     "  ID integer primary key not null, A text, B text, unique (\"b\"), check (a<>''));",
     "INSERT INTO same VALUES (1, 'a', 'b');", 0, "", 0, 0},
};

#define N_CASE ((int)(sizeof(aCase) / sizeof(aCase[0])))

/* ---- helpers ------------------------------------------------------------ */

/* migrate_diff(zFrom, zTo) (zFrom 0: the one-argument form) on db; fails
** the test on an error. */
static char *diff(sqlite3 *db, const char *zFrom, const char *zTo) {
  sqlite3_stmt *pStmt = 0;
  const char *zSql = zFrom ? "SELECT migrate_diff(?1, ?2)" : "SELECT migrate_diff(?2)";
  if (sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0)) fail_msg("%s", sqlite3_errmsg(db));
  sqlite3_bind_text(pStmt, 1, zFrom, -1, SQLITE_STATIC);
  sqlite3_bind_text(pStmt, 2, zTo, -1, SQLITE_STATIC);
  if (sqlite3_step(pStmt) != SQLITE_ROW) {
    fail_msg("migrate_diff failed: %s\n  from: %s\n  to: %s", sqlite3_errmsg(db),
             zFrom ? zFrom : "(the database)", zTo);
  }
  char *z = sqlite3_mprintf("%s", (const char *)sqlite3_column_text(pStmt, 0));
  sqlite3_finalize(pStmt);
  return z;
}

/* "query\nresult": assert it on db. */
static void assert_query(sqlite3 *db, const char *zCaseName, const char *zSpec) {
  if (!zSpec) return;
  const char *zNl = strchr(zSpec, '\n');
  char *zQuery = sqlite3_mprintf("%.*s", (int)(zNl - zSpec), zSpec);
  char *zGot = h_text(db, zQuery);
  if (strcmp(zGot, zNl + 1) != 0) {
    fail_msg("case '%s': %s\n  gave: %s\n  want: %s", zCaseName, zQuery, zGot, zNl + 1);
  }
  sqlite3_free(zGot);
  sqlite3_free(zQuery);
}

/*
** zSql without its "-- @renamed from=" comments. A hint says what a table
** was called before the migration: against the migrated database it would
** say it again (a swap would swap back), so the schema is compared without
** them, as its author would keep it once the migration is written.
*/
static char *without_hints(const char *zSql) {
  sqlite3_str *p = sqlite3_str_new(0);
  const char *z = zSql;
  const char *zHint;
  while ((zHint = strstr(z, "-- @renamed")) != 0) {
    sqlite3_str_append(p, z, (int)(zHint - z));
    z = zHint + strcspn(zHint, "\n");
  }
  sqlite3_str_appendall(p, z);
  return sqlite3_str_finish(p);
}

/* ---- surviving rows --------------------------------------------------------- */

/* zName under zKeep's renames ("old=new" words; "tbl.old=new" for a column). */
static char *renamed(const char *zKeep, const char *zTable, const char *zCol) {
  char *zKey = zCol ? sqlite3_mprintf("%s.%s=", zTable, zCol) : sqlite3_mprintf("%s=", zTable);
  size_t nKey = strlen(zKey);
  const char *z = zKeep ? zKeep : "";
  char *zOut = 0;
  while (*z && !zOut) {
    size_t n = strcspn(z, " ");
    if (n > nKey && strncmp(z, zKey, nKey) == 0) {
      zOut = sqlite3_mprintf("%.*s", (int)(n - nKey), z + nKey);
    }
    z += n;
    while (*z == ' ') z++;
  }
  sqlite3_free(zKey);
  return zOut ? zOut : sqlite3_mprintf("%s", zCol ? zCol : zTable);
}

static int skipped(const char *zKeep, const char *zTable) {
  char *z = sqlite3_mprintf("!%s", zTable);
  const char *zHit = zKeep ? strstr(zKeep, z) : 0;
  sqlite3_free(z);
  return zHit != 0;
}

/* Whether db has table zTable with a plain (not hidden, not generated)
** column zCol. */
static int has_column(sqlite3 *db, const char *zTable, const char *zCol) {
  char *zSql = sqlite3_mprintf(
      "SELECT count(*) FROM pragma_table_list WHERE schema = 'main' AND name = %Q AND "
      "EXISTS (SELECT 1 FROM pragma_table_xinfo(%Q) WHERE name = %Q AND hidden = 0)",
      zTable, zTable, zCol);
  char *z = h_text(db, zSql);
  int b = strcmp(z, "1") == 0;
  sqlite3_free(z);
  sqlite3_free(zSql);
  return b;
}

/* The rows of the given columns of zTable, sorted, as one text. */
static char *rows_text(sqlite3 *db, const char *zTable, char **azCol, int nCol) {
  sqlite3_str *p = sqlite3_str_new(0);
  sqlite3_str_appendall(p, "SELECT coalesce(group_concat(r, ';'), '') FROM (SELECT ");
  for (int i = 0; i < nCol; i++) {
    sqlite3_str_appendf(p, "%squote(\"%w\")", i ? " || ',' || " : "", azCol[i]);
  }
  sqlite3_str_appendf(p, " AS r FROM \"%w\" ORDER BY 1)", zTable);
  char *zSql = sqlite3_str_finish(p);
  char *z = h_text(db, zSql);
  sqlite3_free(zSql);
  return z;
}

/* A table's columns that the desired schema keeps: their names before and
** after the upgrade. */
typedef struct Kept Kept;
struct Kept {
  char *zOld, *zNew;
  int n;
  char *azOld[64], *azNew[64];
};

/*
** The columns of each table of pBefore (a copy of the database before the
** upgrade) that db (upgraded) still has, under the case's renames: *paKept,
** a malloc'd array of *pnKept.
*/
static void collect_kept(sqlite3 *pBefore, sqlite3 *db, const char *zKeep, Kept **paKept,
                         int *pnKept) {
  sqlite3_stmt *pTables = 0;
  Kept *a = calloc(256, sizeof(Kept));
  int nKept = 0;
  sqlite3_prepare_v2(pBefore,
                     "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type IN "
                     "('table', 'virtual') AND name NOT LIKE 'sqlite%' AND name NOT IN "
                     "('alembic_version', 'distmigrate_log') ORDER BY name",
                     -1, &pTables, 0);
  while (sqlite3_step(pTables) == SQLITE_ROW && nKept < 256) {
    const char *zOld = (const char *)sqlite3_column_text(pTables, 0);
    if (skipped(zKeep, zOld)) continue;
    Kept *k = &a[nKept];
    k->zOld = sqlite3_mprintf("%s", zOld);
    k->zNew = renamed(zKeep, zOld, 0);
    char *zCols = sqlite3_mprintf("SELECT group_concat(name, ' ') FROM pragma_table_xinfo(%Q) "
                                  "WHERE hidden = 0", zOld);
    char *zList = h_text(pBefore, zCols);
    for (char *z = strtok(zList, " "); z && k->n < 64; z = strtok(0, " ")) {
      char *zTo = renamed(zKeep, zOld, z);
      if (has_column(db, k->zNew, zTo)) {
        k->azOld[k->n] = sqlite3_mprintf("%s", z);
        k->azNew[k->n++] = zTo;
      } else {
        sqlite3_free(zTo);
      }
    }
    sqlite3_free(zList);
    sqlite3_free(zCols);
    if (k->n) {
      nKept++;
    } else {
      sqlite3_free(k->zOld);
      sqlite3_free(k->zNew);
    }
  }
  sqlite3_finalize(pTables);
  *paKept = a;
  *pnKept = nKept;
}

/* Every row of every kept column is in db with the same values: under the
** new names after the upgrade (bUp), under the old ones after the downgrade. */
static void assert_rows_kept(sqlite3 *pBefore, sqlite3 *db, const Kept *a, int n, int bUp) {
  for (int i = 0; i < n; i++) {
    const Kept *k = &a[i];
    char *zA = rows_text(pBefore, k->zOld, (char **)k->azOld, k->n);
    char *zB = bUp ? rows_text(db, k->zNew, (char **)k->azNew, k->n)
                   : rows_text(db, k->zOld, (char **)k->azOld, k->n);
    if (strcmp(zA, zB) != 0) {
      fail_msg("after the %s: the rows of %s are not those of %s before:\n  before: %s\n"
               "  now:    %s",
               bUp ? "upgrade" : "downgrade", bUp ? k->zNew : k->zOld, k->zOld, zA, zB);
    }
    if (!zA[0]) fail_msg("table %s had no rows to compare", k->zOld);
    sqlite3_free(zA);
    sqlite3_free(zB);
  }
}

static void kept_free(Kept *a, int n) {
  for (int i = 0; i < n; i++) {
    for (int c = 0; c < a[i].n; c++) sqlite3_free(a[i].azOld[c]), sqlite3_free(a[i].azNew[c]);
    sqlite3_free(a[i].zOld);
    sqlite3_free(a[i].zNew);
  }
  free(a);
}

/* The foreign-key violations are exactly zViolations ("table:rowid,..."),
** and the integrity check is ok. */
static void assert_sound(sqlite3 *db, const char *zWhen, const char *zViolations) {
  char *z = h_text(db, "SELECT coalesce(group_concat(\"table\" || ':' || rowid), '') FROM "
                       "(SELECT * FROM pragma_foreign_key_check ORDER BY 1, 2)");
  if (strcmp(z, zViolations) != 0) {
    fail_msg("%s: foreign key violations: '%s', not '%s'", zWhen, z, zViolations);
  }
  sqlite3_free(z);
  z = h_text(db, "PRAGMA integrity_check");
  if (strcmp(z, "ok") != 0) fail_msg("%s: integrity_check: %s", zWhen, z);
  sqlite3_free(z);
}

/* ---- the seed's own history ---------------------------------------------------- */

/* The schema the shipped set gives at zRevision, as its CREATE statements. */
static char *seed_schema(const char *zRevision) {
  sqlite3 *db = h_open(":memory:", "");
  char *zSql = sqlite3_mprintf("SELECT migrate_upgrade(%Q)", zRevision);
  char *z = h_text(db, zSql);
  sqlite3_free(z);
  sqlite3_free(zSql);
  z = h_text(db,
             "SELECT group_concat(sql || ';', char(10)) FROM (SELECT sql FROM sqlite_schema "
             "WHERE sql IS NOT NULL AND name NOT IN ('alembic_version', 'distmigrate_log') "
             "ORDER BY rowid)");
  sqlite3_close(db);
  return z;
}

static const char zSeedRows[] =
    "INSERT INTO questions (id, json_id, category, question_text, created_at, updated_at) "
    "VALUES (1, 'q1', 'math', 'What is 1+1?', '2024-01-01', '2024-01-02');"
    "INSERT INTO responses (id, question_id, model_name, model_config, answer, is_correct, "
    "created_at, updated_at) VALUES (1, 1, 'gpt', '{}', '2', 1, '2024-01-05', '2024-01-06');";

/* ---- the cases, through a real migration ------------------------------------ */

typedef struct Group Group;
struct Group {
  sqlite3_str *pCurrent, *pDesired, *pRows, *pKeep;
};

static void group_add(Group *g, const char *zCurrent, const char *zDesired, const char *zRows,
                      const char *zKeep) {
  sqlite3_str_appendf(g->pCurrent, "%s\n", zCurrent);
  sqlite3_str_appendf(g->pDesired, "%s\n", zDesired);
  sqlite3_str_appendf(g->pRows, "%s\n", zRows);
  if (zKeep) sqlite3_str_appendf(g->pKeep, "%s ", zKeep);
}

static void test_every_case_through_a_real_migration(void **state) {
  (void)state;
  Group g = {sqlite3_str_new(0), sqlite3_str_new(0), sqlite3_str_new(0), sqlite3_str_new(0)};
  for (int i = 0; i < N_CASE; i++) {
    group_add(&g, aCase[i].zCurrent, aCase[i].zDesired, aCase[i].zRows, aCase[i].zKeep);
  }
  char *zSeed1 = seed_schema("001_initial_schema");
  char *zSeed2 = seed_schema("002_add_invalid_responses");
  group_add(&g, zSeed1, zSeed2, zSeedRows, 0);
  char *zCurrent = sqlite3_str_finish(g.pCurrent);
  char *zDesired = sqlite3_str_finish(g.pDesired);
  char *zRows = sqlite3_str_finish(g.pRows);
  char *zKeep = sqlite3_str_finish(g.pKeep);

  sqlite3 *pTool = h_open(":memory:", "");
  char *zUp = diff(pTool, zCurrent, zDesired);
  char *zDown = diff(pTool, zDesired, zCurrent);
  sqlite3_close(pTool);
  if (getenv("DM_SHOW_SCRIPT")) printf("---- up:\n%s---- down:\n%s", zUp, zDown);
  char *zDir = empty_dir("cases");
  write_migration(zDir, "001_current", "", zCurrent, "");
  write_migration(zDir, "002_desired", "001_current", zUp, zDown);
  char *zExt = build_set(zDir);

  char *zPath = h_fresh("cases.db");
  char *zBefore = h_fresh("before.db");
  sqlite3 *db = open_with(zPath, zExt);
  h_assert_text(db, "SELECT migrate_upgrade('001_current')", "001_current");
  h_exec(db, zRows);
  char *zVacuum = sqlite3_mprintf("VACUUM INTO %Q", zBefore);
  h_exec(db, zVacuum);
  sqlite3 *pBefore = h_open(zBefore, 0);

  h_assert_text(db, "SELECT migrate_upgrade('head')", "002_desired");
  char *zPlain = without_hints(zDesired);
  char *zLeft = diff(db, 0, zPlain);
  sqlite3_free(zPlain);
  if (zLeft[0]) fail_msg("after the upgrade, the schema is not the desired one:\n%s", zLeft);
  assert_sound(db, "after the upgrade", "");
  Kept *aKept = 0;
  int nKept = 0;
  collect_kept(pBefore, db, zKeep, &aKept, &nKept);
  assert_rows_kept(pBefore, db, aKept, nKept, 1);
  for (int i = 0; i < N_CASE; i++) assert_query(db, aCase[i].zName, aCase[i].zAfterUp);

  h_assert_text(db, "SELECT migrate_downgrade('001_current')", "001_current");
  sqlite3_free(zLeft);
  zLeft = diff(db, 0, zCurrent);
  if (zLeft[0]) fail_msg("after the downgrade, the schema is not the current one:\n%s", zLeft);
  /* The one table whose rows the downgrade cannot bring back is a parent
  ** (dp_parent): its child's rows point at nothing. */
  assert_sound(db, "after the downgrade", "dp_child:10,dp_child:20");
  assert_rows_kept(pBefore, db, aKept, nKept, 0);
  for (int i = 0; i < N_CASE; i++) assert_query(db, aCase[i].zName, aCase[i].zAfterDown);
  /* Every table was compared, but those made again (ft_change, rtr_change)
  ** and those the upgrade drops (dt_b, dp_parent). */
  sqlite3_str *pNames = sqlite3_str_new(0);
  for (int i = 0; i < nKept; i++) sqlite3_str_appendf(pNames, " %s", aKept[i].zOld);
  char *zNames = sqlite3_str_finish(pNames);
  char *zAll = h_text(pBefore, "SELECT group_concat(name, ' ') FROM (SELECT name FROM "
                               "pragma_table_list WHERE schema = 'main' AND type IN ('table', "
                               "'virtual') AND name NOT LIKE 'sqlite%' AND name NOT IN "
                               "('alembic_version', 'distmigrate_log', 'dt_b', 'ft_change', "
                               "'rtr_change', 'dp_parent') ORDER BY name)");
  assert_string_equal(zNames + 1, zAll);
  sqlite3_free(zNames);
  sqlite3_free(zAll);
  kept_free(aKept, nKept);

  sqlite3_close(pBefore);
  sqlite3_close(db);
  sqlite3_free(zVacuum);
  sqlite3_free(zBefore);
  sqlite3_free(zPath);
  sqlite3_free(zExt);
  sqlite3_free(zDir);
  sqlite3_free(zLeft);
  sqlite3_free(zUp);
  sqlite3_free(zDown);
  sqlite3_free(zCurrent);
  sqlite3_free(zDesired);
  sqlite3_free(zRows);
  sqlite3_free(zKeep);
  sqlite3_free(zSeed1);
  sqlite3_free(zSeed2);
}

/* The scripts a person reads, exactly, for the cases that give one (every
** case that differs is listed before the test fails). */
static void test_scripts_are_exactly_these(void **state) {
  (void)state;
  sqlite3 *db = h_open(":memory:", "");
  int nWrong = 0;
  for (int i = 0; i < N_CASE; i++) {
    if (!aCase[i].zScript) continue;
    char *z = diff(db, aCase[i].zCurrent, aCase[i].zDesired);
    if (strcmp(z, aCase[i].zScript) != 0) {
      printf("case '%s' gave:\n%s---- want:\n%s----\n", aCase[i].zName, z, aCase[i].zScript);
      nWrong++;
    }
    sqlite3_free(z);
  }
  sqlite3_close(db);
  assert_int_equal(nWrong, 0);
}

/* ---- a step that needs a decision ----------------------------------------------- */

static const char zDecideCurrent[] =
    "CREATE TABLE dn_alter (id INTEGER PRIMARY KEY, a TEXT);\n"
    "CREATE TABLE dn_rebuild (id INTEGER PRIMARY KEY, a TEXT);";

/*
** A new NOT NULL column without a default: the script says what to decide,
** and its step fails, saying why, when the table has rows (whether plain
** ALTER TABLE or migrate_alter_table() runs it); on an empty table it runs.
*/
static void test_not_null_without_default_fails_on_rows(void **state) {
  (void)state;
  sqlite3 *pTool = h_open(":memory:", "");
  char *zAlter = diff(pTool, "CREATE TABLE dn_alter (id INTEGER PRIMARY KEY, a TEXT);",
                      "CREATE TABLE dn_alter (id INTEGER PRIMARY KEY, a TEXT, b TEXT NOT NULL);");
  assert_string_equal(zAlter,
                      "-- table dn_alter changes:\n"
                      "--   dn_alter.b: in the desired schema, not in the current schema\n"
                      "-- decision: dn_alter.b is NOT NULL without a DEFAULT, so this step "
                      "fails if dn_alter has rows: give it a DEFAULT in the desired schema\n"
                      "ALTER TABLE dn_alter ADD COLUMN b TEXT NOT NULL;\n");
  char *zUp = diff(pTool, "CREATE TABLE dn_rebuild (id INTEGER PRIMARY KEY, a TEXT);",
                   "CREATE TABLE dn_rebuild (id INTEGER PRIMARY KEY, a TEXT NOT NULL, "
                   "b TEXT NOT NULL);");
  sqlite3_close(pTool);
  const char *zWant =
      "-- decision: dn_rebuild.b is NOT NULL without a DEFAULT, so this step fails if "
      "dn_rebuild has rows: give it a DEFAULT in the desired schema, or fill it through the "
      "mapping, as in '{\"column\": \"expression\"}'\n"
      "SELECT migrate_alter_table('CREATE TABLE dn_rebuild (id INTEGER PRIMARY KEY, a TEXT "
      "NOT NULL, b TEXT NOT NULL)');\n";
  if (!strstr(zUp, zWant)) fail_msg("no decision for dn_rebuild in:\n%s", zUp);

  char *zDir = empty_dir("decide");
  write_migration(zDir, "001_current", "", zDecideCurrent, "");
  write_migration(zDir, "002_alter", "001_current", zAlter, "");
  write_migration(zDir, "003_rebuild", "001_current", zUp, "");
  char *zExt = build_set(zDir);
  char *zPath = h_fresh("decide.db");
  sqlite3 *db = open_with(zPath, zExt);
  h_assert_text(db, "SELECT migrate_upgrade('001_current')", "001_current");
  h_exec(db, "INSERT INTO dn_alter VALUES (1, 'x'); INSERT INTO dn_rebuild VALUES (1, 'x');");
  char *zBefore = h_schema(db);
  char *zMsg = sqlite3_mprintf(
      "upgrade 001_current -> 002_alter failed: Cannot add a NOT NULL column with default "
      "value NULL\n  at %s/002_alter.sql:11: ALTER TABLE dn_alter ADD COLUMN b TEXT NOT NULL;\n"
      "  the run was rolled back: the database is still at 001_current", zDir);
  h_assert_error(db, "SELECT migrate_upgrade('002_alter')", zMsg);
  sqlite3_free(zMsg);
  zMsg = sqlite3_mprintf(
      "upgrade 001_current -> 003_rebuild failed: migrate_alter_table(dn_rebuild): copying "
      "the rows failed: NOT NULL constraint failed: dn_rebuild.b\n  give the new column a "
      "DEFAULT, or fill it through the mapping, as in '{\"column\": \"expression\"}'\n"
      "  at %s/003_rebuild.sql:13: SELECT migrate_alter_table('CREATE TABLE dn_rebuild (id "
      "INTEGER PRIMARY KEY, a TEXT NOT NULL, b TEXT NOT NULL)');\n"
      "  the run was rolled back: the database is still at 001_current", zDir);
  h_assert_error(db, "SELECT migrate_upgrade('003_rebuild')", zMsg);
  sqlite3_free(zMsg);
  char *zAfter = h_schema(db);
  assert_string_equal(zBefore, zAfter);
  h_assert_text(db, "SELECT migrate_current()", "001_current");
  /* Without rows there is nothing to decide. */
  h_exec(db, "DELETE FROM dn_alter; DELETE FROM dn_rebuild;");
  h_assert_text(db, "SELECT migrate_upgrade('002_alter')", "002_alter");
  h_assert_text(db, "SELECT migrate_upgrade('003_rebuild')", "002_alter, 003_rebuild");
  sqlite3_close(db);
  sqlite3_free(zBefore);
  sqlite3_free(zAfter);
  sqlite3_free(zPath);
  sqlite3_free(zExt);
  sqlite3_free(zDir);
  sqlite3_free(zUp);
  sqlite3_free(zAlter);
}

/* ---- the one-argument form, on the connection's schema ---------------------------- */

/*
** migrate_diff(desired) reads the main schema of the connection, leaving
** out the bookkeeping (alembic_version, distmigrate_log): on a database
** the shipped set migrated to 001 it gives the script from 001's text to
** 002's, and it writes nothing.
*/
static void test_diff_of_the_connections_schema(void **state) {
  (void)state;
  char *zSeed1 = seed_schema("001_initial_schema");
  char *zSeed2 = seed_schema("002_add_invalid_responses");
  char *zPath = h_fresh("seed.db");
  sqlite3 *db = h_open(zPath, "");
  h_assert_text(db, "SELECT migrate_upgrade('001')", "001_initial_schema");
  h_exec(db, zSeedRows);
  HFile before = h_file(zPath);
  char *zFromDb = diff(db, 0, zSeed2);
  char *zFromText = diff(db, zSeed1, zSeed2);
  assert_string_equal(zFromDb, zFromText);
  assert_non_null(strstr(zFromDb, "-- new table invalid_responses\nCREATE TABLE invalid_responses ("));
  assert_null(strstr(zFromDb, "alembic_version"));
  assert_null(strstr(zFromDb, "distmigrate_log"));
  char *zSame = diff(db, 0, zSeed1);
  assert_string_equal(zSame, "");
  h_assert_file_unchanged(zPath, before);
  free(before.a);
  sqlite3_close(db);
  sqlite3_free(zSame);
  sqlite3_free(zFromDb);
  sqlite3_free(zFromText);
  sqlite3_free(zPath);
  sqlite3_free(zSeed1);
  sqlite3_free(zSeed2);
}

/* ---- bad input ----------------------------------------------------------------- */

static const struct {
  const char *zSql;
  const char *zError;
} aBad[] = {
    {"SELECT migrate_diff()",
     "wrong number of arguments (0): use migrate_diff(desired_sql) or "
     "migrate_diff(current_sql, desired_sql)"},
    {"SELECT migrate_diff('', '', '')",
     "wrong number of arguments (3): use migrate_diff(desired_sql) or "
     "migrate_diff(current_sql, desired_sql)"},
    {"SELECT migrate_diff(NULL)",
     "migrate_diff(): desired_sql is NULL; give the schema as text, its CREATE statements, "
     "as in migrate_diff('CREATE TABLE t (id INTEGER PRIMARY KEY)')"},
    {"SELECT migrate_diff(42, 'CREATE TABLE t (a)')",
     "migrate_diff(): current_sql is a number; give the schema as text, its CREATE "
     "statements, as in migrate_diff('CREATE TABLE t (id INTEGER PRIMARY KEY)')"},
    {"SELECT migrate_diff(x'00')",
     "migrate_diff(): desired_sql contains a NUL byte; give the schema as text without one"},
    {"SELECT migrate_diff(1.5)",
     "migrate_diff(): desired_sql is a number; give the schema as text, its CREATE "
     "statements, as in migrate_diff('CREATE TABLE t (id INTEGER PRIMARY KEY)')"},
    {"SELECT migrate_diff(CAST('CREATE TABLE t (a);' || char(0) || 'x' AS TEXT))",
     "migrate_diff(): desired_sql contains a NUL byte; give the schema as text without one"},
    {"SELECT migrate_diff('CREATE TABLE t (a INT,)')",
     "migrate_diff(): desired_sql: near \")\": syntax error in: CREATE TABLE t (a INT,)"},
    {"SELECT migrate_diff('CREATE TABLE t (a INT', 'CREATE TABLE t (a INT)')",
     "migrate_diff(): current_sql: incomplete input in: CREATE TABLE t (a INT"},
    {"SELECT migrate_diff('CREATE TABLE t (a INT); CREATE INDEX i ON nope (a);')",
     "migrate_diff(): desired_sql: no such table: main.nope in: CREATE INDEX i ON nope (a)"},
    {"SELECT migrate_diff('CREATE TABLE t (a INT); INSERT INTO t VALUES (1);')",
     "migrate_diff(): desired_sql: the schema may hold only CREATE statements (TABLE, INDEX, "
     "VIEW, TRIGGER, VIRTUAL TABLE); found: INSERT INTO t VALUES (1)"},
    {"SELECT migrate_diff('BEGIN; CREATE TABLE t (a INT); COMMIT;')",
     "migrate_diff(): desired_sql: the schema may hold only CREATE statements (TABLE, INDEX, "
     "VIEW, TRIGGER, VIRTUAL TABLE); found: BEGIN"},
    {"SELECT migrate_diff('ATTACH ''other.db'' AS other')",
     "migrate_diff(): desired_sql: the schema may hold only CREATE statements (TABLE, INDEX, "
     "VIEW, TRIGGER, VIRTUAL TABLE); found: ATTACH 'other.db' AS other"},
    {"SELECT migrate_diff('CREATE TABLE t (a INT) -- @renamed from=')",
     "migrate_diff(): desired_sql: line 1: a rename hint names the old name: write -- "
     "@renamed from=old_name (or from=\"old name\")"},
};

/* Each gets its exact message, and the database (with rows) is untouched:
** no file appears either (ATTACH). */
static void test_bad_input_is_refused_and_changes_nothing(void **state) {
  (void)state;
  char *zPath = h_fresh("bad.db");
  sqlite3 *db = h_open(zPath, "");
  h_exec(db, "CREATE TABLE t (a INT); INSERT INTO t VALUES (1);");
  HFile before = h_file(zPath);
  for (size_t i = 0; i < sizeof(aBad) / sizeof(aBad[0]); i++) {
    h_assert_error(db, aBad[i].zSql, aBad[i].zError);
  }
  h_assert_file_unchanged(zPath, before);
  assert_int_equal(access("other.db", F_OK), -1);
  h_assert_text(db, "SELECT group_concat(a) FROM t", "1");
  free(before.a);
  sqlite3_close(db);
  sqlite3_free(zPath);
}

/* A view or trigger of the database cannot call it (it runs the SQL it is
** given). */
static void test_diff_is_direct_only(void **state) {
  (void)state;
  sqlite3 *db = h_open(":memory:", "");
  h_exec(db, "CREATE VIEW v AS SELECT migrate_diff('CREATE TABLE x (a)') AS s");
  h_assert_error(db, "SELECT s FROM v", "unsafe use of migrate_diff()");
  sqlite3_close(db);
}

/* ---- the README's example ----------------------------------------------------- */

/* The text of the first ``` block after the line zMarker in zText. */
static char *readme_block(const char *zText, const char *zMarker) {
  const char *z = strstr(zText, zMarker);
  if (!z) fail_msg("README.md has no %s", zMarker);
  z = strstr(z, "```");
  z = z ? strchr(z, '\n') : 0;
  const char *zEnd = z ? strstr(z + 1, "\n```") : 0;
  if (!zEnd) fail_msg("README.md: no code block after %s", zMarker);
  return sqlite3_mprintf("%.*s", (int)(zEnd + 1 - (z + 1)), z + 1);
}

/* The section "Writing a migration from a schema" shows what it prints. */
static void test_readme_example_is_what_it_prints(void **state) {
  (void)state;
  char *zReadme = read_text("README.md");
  char *zDesired = readme_block(zReadme, "<!-- migrate_diff example: desired.sql -->");
  char *zWant = readme_block(zReadme, "<!-- migrate_diff example: output -->");
  sqlite3 *db = h_open(":memory:", "");
  h_assert_text(db, "SELECT migrate_upgrade('head')", "002_add_invalid_responses");
  char *zGot = diff(db, 0, zDesired);
  if (strcmp(zGot, zWant) != 0) fail_msg("it prints:\n%s---- the README says:\n%s", zGot, zWant);
  sqlite3_close(db);

  /* And it runs: as 003 after the shipped set, with the reverse as down. */
  char *zHead = seed_schema("head");
  sqlite3 *pTool = h_open(":memory:", "");
  char *zDown = diff(pTool, zDesired, zHead);
  sqlite3_close(pTool);
  char *zDir = empty_dir("example");
  char *zCmd = sqlite3_mprintf("cp sql/versions/*.sql %s/", zDir);
  run_shell(zCmd);
  write_migration(zDir, "003_example", "002_add_invalid_responses", zGot, zDown);
  char *zExt = build_set(zDir);
  char *zPath = h_fresh("example.db");
  db = open_with(zPath, zExt);
  h_assert_text(db, "SELECT migrate_upgrade('002')", "002_add_invalid_responses");
  h_exec(db, zSeedRows);
  h_exec(db, "UPDATE questions SET golden_answer = '2', answer_schema = '{}'");
  h_assert_text(db, "SELECT migrate_upgrade('head')", "003_example");
  char *zLeft = diff(db, 0, zDesired);
  assert_string_equal(zLeft, "");
  h_assert_text(db, "SELECT id || reference_answer || difficulty FROM questions", "121");
  h_assert_text(db, "SELECT count(*) FROM responses", "1");
  h_assert_text(db, "SELECT migrate_downgrade(-1)", "002_add_invalid_responses");
  sqlite3_free(zLeft);
  zLeft = diff(db, 0, zHead);
  assert_string_equal(zLeft, "");
  h_assert_text(db, "SELECT golden_answer || quote(answer_schema) FROM questions", "2NULL");
  sqlite3_close(db);
  sqlite3_free(zLeft);
  sqlite3_free(zPath);
  sqlite3_free(zExt);
  sqlite3_free(zCmd);
  sqlite3_free(zDir);
  sqlite3_free(zDown);
  sqlite3_free(zHead);
  sqlite3_free(zGot);
  sqlite3_free(zWant);
  sqlite3_free(zDesired);
  sqlite3_free(zReadme);
}

/* ---- main ------------------------------------------------------------------- */

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_scripts_are_exactly_these),
      cmocka_unit_test(test_every_case_through_a_real_migration),
      cmocka_unit_test(test_not_null_without_default_fails_on_rows),
      cmocka_unit_test(test_diff_of_the_connections_schema),
      cmocka_unit_test(test_bad_input_is_refused_and_changes_nothing),
      cmocka_unit_test(test_diff_is_direct_only),
      cmocka_unit_test(test_readme_example_is_what_it_prints),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
