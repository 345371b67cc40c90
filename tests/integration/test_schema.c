/*
** The schema model (ext/schema/): dm_schema_from_sql() and dm_schema_read()
** on SQLite's own answers, every field of model.h asserted on a rich
** table, virtual tables and their shadow tables, the refusals' exact
** messages, the rename hints; and dm_schema_compare() on pairs of SQL that
** mean the same (no line) or differ (the exact line).
**
** Linked with ext/schema/ and ext/sqltext/ against the system SQLite.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "schema/model.h"

/* ---- the model as text: every field, one line per part ------------------ */

static const char *s_or(const char *z) { return z ? z : "-"; }

static void dump_index_cols(sqlite3_str *p, const DmIndexCol *a, int n) {
  for (int i = 0; i < n; i++) {
    sqlite3_str_appendf(p, "%s%s%s %s%s", i ? ", " : "", a[i].zName ? a[i].zName : "expr:",
                        a[i].zName ? "" : a[i].zExprNorm, a[i].zCollate, a[i].bDesc ? " desc" : "");
  }
}

static void dump_table(sqlite3_str *p, const DmSchemaTable *t) {
  sqlite3_str_appendf(p, "table %s%s%s%s%s", t->zName, t->bStrict ? " strict" : "",
                      t->bWithoutRowid ? " without-rowid" : "",
                      t->bAutoincrement ? " autoincrement" : "",
                      t->zRenamedFrom ? " renamed-from=" : "");
  if (t->zRenamedFrom) sqlite3_str_appendall(p, t->zRenamedFrom);
  if (t->zModule) sqlite3_str_appendf(p, " module=%s args=%s", t->zModule, s_or(t->zArgsNorm));
  sqlite3_str_appendall(p, "\n");
  for (int i = 0; i < t->nCol; i++) {
    const DmColumn *c = &t->aCol[i];
    sqlite3_str_appendf(p, "  col %s type=%s/%s notnull=%d default=%s/%s collate=%s pk=%d gen=%d/%s hidden=%d",
                        c->zName, c->zType, c->zTypeNorm, c->bNotNull, s_or(c->zDefault),
                        s_or(c->zDefaultNorm), s_or(c->zCollate), c->iPk, c->eGenerated,
                        s_or(c->zGenNorm), c->bHidden);
    if (c->zRenamedFrom) sqlite3_str_appendf(p, " renamed-from=%s", c->zRenamedFrom);
    sqlite3_str_appendall(p, "\n");
  }
  for (int i = 0; i < t->nCheck; i++) {
    sqlite3_str_appendf(p, "  check %s: %s | %s\n", s_or(t->aCheck[i].zName),
                        t->aCheck[i].zExprNorm, t->aCheck[i].zExpr);
  }
  for (int i = 0; i < t->nUnique; i++) {
    sqlite3_str_appendf(p, "  %s (", t->aUnique[i].bPrimary ? "primary" : "unique");
    dump_index_cols(p, t->aUnique[i].aCol, t->aUnique[i].nCol);
    sqlite3_str_appendall(p, ")\n");
  }
  for (int i = 0; i < t->nFk; i++) {
    const DmForeignKey *f = &t->aFk[i];
    sqlite3_str_appendall(p, "  fk (");
    for (int k = 0; k < f->nCol; k++) sqlite3_str_appendf(p, "%s%s", k ? ", " : "", f->azFrom[k]);
    sqlite3_str_appendf(p, ") -> %s (", f->zParent);
    for (int k = 0; k < f->nCol; k++) sqlite3_str_appendf(p, "%s%s", k ? ", " : "", s_or(f->azTo[k]));
    sqlite3_str_appendf(p, ") delete=%s update=%s match=%s deferred=%d\n", f->zOnDelete,
                        f->zOnUpdate, f->zMatch, f->bDeferred);
  }
}

static char *dump(const DmSchema *m) {
  sqlite3_str *p = sqlite3_str_new(0);
  for (int i = 0; i < m->nTable; i++) dump_table(p, &m->aTable[i]);
  for (int i = 0; i < m->nIndex; i++) {
    const DmIndex *x = &m->aIndex[i];
    sqlite3_str_appendf(p, "index %s on %s%s (", x->zName, x->zTable, x->bUnique ? " unique" : "");
    dump_index_cols(p, x->aCol, x->nCol);
    sqlite3_str_appendf(p, ") where=%s", s_or(x->zWhereNorm));
    if (x->zRenamedFrom) sqlite3_str_appendf(p, " renamed-from=%s", x->zRenamedFrom);
    sqlite3_str_appendall(p, "\n");
  }
  for (int i = 0; i < m->nView; i++) {
    sqlite3_str_appendf(p, "view %s: %s\n", m->aView[i].zName, m->aView[i].zNorm);
  }
  for (int i = 0; i < m->nTrigger; i++) {
    sqlite3_str_appendf(p, "trigger %s on %s: %s\n", m->aTrigger[i].zName, m->aTrigger[i].zTable,
                        m->aTrigger[i].zNorm);
  }
  return sqlite3_str_finish(p);
}

/* The model of zSql, as dump() writes it. */
static char *model_text(const char *zSql) {
  DmSchema *m = 0;
  char *zErr = 0;
  int rc = dm_schema_from_sql(zSql, &m, &zErr);
  if (rc != SQLITE_OK) fail_msg("%s\n  refused (%d): %s", zSql, rc, zErr ? zErr : "(no message)");
  char *z = dump(m);
  dm_schema_free(m);
  return z;
}

static void assert_model(const char *zSql, const char *zWant) {
  char *z = model_text(zSql);
  if (strcmp(z, zWant) != 0) fail_msg("model of:\n%s\n--- got:\n%s--- want:\n%s", zSql, z, zWant);
  sqlite3_free(z);
}

static void assert_refused(const char *zSql, const char *zWant) {
  DmSchema *m = 0;
  char *zErr = 0;
  int rc = dm_schema_from_sql(zSql, &m, &zErr);
  assert_int_equal(rc, SQLITE_ERROR);
  assert_null(m);
  assert_non_null(zErr);
  assert_string_equal(zErr, zWant);
  sqlite3_free(zErr);
}

/* ---- the model's fields ---------------------------------------------------- */

static void test_rich_table_gives_every_field(void **state) {
  (void)state;
  assert_model(
      "CREATE TABLE parent (id INTEGER PRIMARY KEY AUTOINCREMENT, code TEXT UNIQUE);\n"
      "CREATE TABLE \"Rich\" (\n"
      "  id INTEGER NOT NULL,\n"
      "  name varchar( 255 ) COLLATE NOCASE DEFAULT ('x') CONSTRAINT name_len CHECK (length(name) > 0),\n"
      "  n INT DEFAULT (0) CHECK (n >= 0),\n"
      "  twice INT GENERATED ALWAYS AS (n * 2) VIRTUAL,\n"
      "  thrice INT AS (n*3) STORED,\n"
      "  pid INTEGER REFERENCES parent ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,\n"
      "  code TEXT,\n"
      "  PRIMARY KEY (id, name DESC),\n"
      "  UNIQUE (code COLLATE nocase, n),\n"
      "  CONSTRAINT fk_code FOREIGN KEY (code, pid) REFERENCES parent (code, id) ON UPDATE SET NULL MATCH FULL,\n"
      "  CHECK (n < 100)\n"
      ") WITHOUT ROWID;\n"
      "CREATE TABLE s (a INTEGER, b ANY) STRICT;\n"
      "CREATE UNIQUE INDEX ix_rich ON Rich (lower(name) COLLATE binary DESC, n) WHERE n > 0;\n"
      "CREATE VIEW v AS SELECT   ID FROM \"Rich\" -- comment\n;\n"
      "CREATE TRIGGER tr AFTER INSERT ON parent BEGIN SELECT 1; END;\n",
      /* SQLite reads MATCH but ignores it: foreign_key_list says NONE. */
      "table parent autoincrement\n"
      "  col id type=INTEGER/INTEGER notnull=0 default=-/- collate=- pk=1 gen=0/- hidden=0\n"
      "  col code type=TEXT/TEXT notnull=0 default=-/- collate=- pk=0 gen=0/- hidden=0\n"
      "  unique (code binary)\n"
      "table Rich without-rowid\n"
      "  col id type=INTEGER/INTEGER notnull=1 default=-/- collate=- pk=1 gen=0/- hidden=0\n"
      "  col name type=varchar( 255 )/VARCHAR(255) notnull=1 default='x'/'x' collate=nocase pk=2 gen=0/- hidden=0\n"
      "  col n type=INT/INT notnull=0 default=0/0 collate=- pk=0 gen=0/- hidden=0\n"
      "  col twice type=INT/INT notnull=0 default=-/- collate=- pk=0 gen=2/n * 2 hidden=0\n"
      "  col thrice type=INT/INT notnull=0 default=-/- collate=- pk=0 gen=3/n * 3 hidden=0\n"
      "  col pid type=INTEGER/INTEGER notnull=0 default=-/- collate=- pk=0 gen=0/- hidden=0\n"
      "  col code type=TEXT/TEXT notnull=0 default=-/- collate=- pk=0 gen=0/- hidden=0\n"
      "  check name_len: length ( name ) > 0 | length(name) > 0\n"
      "  check -: n >= 0 | n >= 0\n"
      "  check -: n < 100 | n < 100\n"
      "  unique (code nocase, n binary)\n"
      "  primary (id binary, name nocase desc)\n"
      "  fk (pid) -> parent (-) delete=CASCADE update=NO ACTION match=NONE deferred=1\n"
      "  fk (code, pid) -> parent (code, id) delete=NO ACTION update=SET NULL match=NONE deferred=0\n"
      "table s strict\n"
      "  col a type=INTEGER/INTEGER notnull=0 default=-/- collate=- pk=0 gen=0/- hidden=0\n"
      "  col b type=ANY/ANY notnull=0 default=-/- collate=- pk=0 gen=0/- hidden=0\n"
      "index ix_rich on Rich unique (expr:lower ( name ) binary desc, n binary) where=n > 0\n"
      "view v: create view v as select id from rich\n"
      "trigger tr on parent: create trigger tr after insert on parent begin select 1 ; end\n");
}

/* fts5 and rtree tables with their columns (fts5's hidden ones too), their
** shadow tables (and an index on one) left out, a user's table named like
** a shadow table kept. */
static void test_virtual_tables_without_their_shadow_tables(void **state) {
  (void)state;
  assert_model(
      "CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize = 'porter');\n"
      "CREATE VIRTUAL TABLE \"Boxes\" USING RTREE(id, x0, x1);\n"
      "CREATE TABLE docs_notes (a);\n"
      "CREATE INDEX ix_shadow ON docs_content (c0);\n",
      "table Boxes module=rtree args=id , x0 , x1\n"
      "  col id type=INT/INT notnull=0 default=-/- collate=- pk=0 gen=0/- hidden=0\n"
      "  col x0 type=REAL/REAL notnull=0 default=-/- collate=- pk=0 gen=0/- hidden=0\n"
      "  col x1 type=REAL/REAL notnull=0 default=-/- collate=- pk=0 gen=0/- hidden=0\n"
      "table docs module=fts5 args=title , body , tokenize = 'porter'\n"
      "  col title type=/ notnull=0 default=-/- collate=- pk=0 gen=0/- hidden=0\n"
      "  col body type=/ notnull=0 default=-/- collate=- pk=0 gen=0/- hidden=0\n"
      "  col docs type=/ notnull=0 default=-/- collate=- pk=0 gen=0/- hidden=1\n"
      "  col rank type=/ notnull=0 default=-/- collate=- pk=0 gen=0/- hidden=1\n"
      "table docs_notes\n"
      "  col a type=/ notnull=0 default=-/- collate=- pk=0 gen=0/- hidden=0\n");
}

/* dm_schema_read() on a live database leaves out SQLite's tables, the
** bookkeeping and what belongs to it. */
static void test_read_leaves_out_bookkeeping(void **state) {
  (void)state;
  sqlite3 *db = 0;
  assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db,
                                "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL);"
                                "CREATE TABLE distmigrate_log (id INTEGER PRIMARY KEY AUTOINCREMENT);"
                                "CREATE INDEX ix_log ON distmigrate_log (id);"
                                "CREATE TRIGGER tr_v AFTER INSERT ON alembic_version BEGIN SELECT 1; END;"
                                "CREATE TABLE t (a);"
                                "ANALYZE;",
                                0, 0, 0),
                   SQLITE_OK);
  DmSchema *m = 0;
  char *zErr = 0;
  assert_int_equal(dm_schema_read(db, 0, &m, &zErr), SQLITE_OK);
  char *z = dump(m);
  assert_string_equal(z, "table t\n"
                         "  col a type=/ notnull=0 default=-/- collate=- pk=0 gen=0/- hidden=0\n");
  sqlite3_free(z);
  dm_schema_free(m);
  sqlite3_close(db);
}

/* A virtual table whose module this connection lacks: which, and what to do. */
static void test_read_names_a_missing_module(void **state) {
  (void)state;
  sqlite3 *db = 0;
  assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db,
                                "CREATE TABLE t (a); PRAGMA writable_schema = ON;"
                                "INSERT INTO sqlite_schema VALUES ('table', 'v', 'v', 0, "
                                "'CREATE VIRTUAL TABLE v USING nosuchmod(x)');"
                                "PRAGMA writable_schema = OFF;",
                                0, 0, 0),
                   SQLITE_OK);
  /* A new schema version makes the connection read the edited schema. */
  assert_int_equal(sqlite3_exec(db, "PRAGMA schema_version = 2", 0, 0, 0), SQLITE_OK);
  DmSchema *m = 0;
  char *zErr = 0;
  assert_int_equal(dm_schema_read(db, "main", &m, &zErr), SQLITE_ERROR);
  assert_null(m);
  assert_string_equal(zErr, "reading the schema: no such module: nosuchmod (virtual table v, "
                            "USING nosuchmod): load the extension that provides module "
                            "nosuchmod on this connection first");
  sqlite3_free(zErr);
  sqlite3_close(db);
}

/* ---- refusals ------------------------------------------------------------------ */

static void test_from_sql_refuses_what_is_not_create(void **state) {
  (void)state;
  assert_refused("CREATE TABLE t (a);\n-- rows\nINSERT INTO t VALUES (1);",
                 "the schema may hold only CREATE statements (TABLE, INDEX, VIEW, TRIGGER, "
                 "VIRTUAL TABLE); found: INSERT INTO t VALUES (1)");
  assert_refused("BEGIN; CREATE TABLE t (a); COMMIT;",
                 "the schema may hold only CREATE statements (TABLE, INDEX, VIEW, TRIGGER, "
                 "VIRTUAL TABLE); found: BEGIN");
  assert_refused("ATTACH 'x.db' AS x",
                 "the schema may hold only CREATE statements (TABLE, INDEX, VIEW, TRIGGER, "
                 "VIRTUAL TABLE); found: ATTACH 'x.db' AS x");
  assert_refused("PRAGMA writable_schema = 1;",
                 "the schema may hold only CREATE statements (TABLE, INDEX, VIEW, TRIGGER, "
                 "VIRTUAL TABLE); found: PRAGMA writable_schema = 1");
  assert_refused("CREATE TEMP TABLE t (a);",
                 "a TEMP object is no part of a database's schema: remove TEMP; found: "
                 "CREATE TEMP TABLE t (a)");
  /* A trigger's body is stored, not run: it may write rows. */
  assert_refused("CREATE TABLE s (a); CREATE TABLE t (b);\n"
                 "CREATE TRIGGER tr AFTER INSERT ON s BEGIN INSERT INTO t VALUES (1); END;\n"
                 "DELETE FROM t;",
                 "the schema may hold only CREATE statements (TABLE, INDEX, VIEW, TRIGGER, "
                 "VIRTUAL TABLE); found: DELETE FROM t");
}

static void test_from_sql_gives_sqlites_message_and_the_statement(void **state) {
  (void)state;
  assert_refused("CREATE TABL x (a)", "near \"TABL\": syntax error in: CREATE TABL x (a)");
  assert_refused("CREATE TABLE t (a);\nCREATE INDEX i ON nope (a);",
                 "no such table: main.nope in: CREATE INDEX i ON nope (a)");
  assert_refused("CREATE TABLE t (a); CREATE TABLE T (b);",
                 "table T already exists in: CREATE TABLE T (b)");
}

/* ---- rename hints ----------------------------------------------------------------- */

static void test_renamed_hints_on_table_column_index_lines(void **state) {
  (void)state;
  assert_model("CREATE TABLE users ( -- @renamed from=people\n"
               "  id INTEGER PRIMARY KEY,\n"
               "  full_name TEXT, -- @renamed from=\"Name Of\"\n"
               "  note TEXT -- a comment, not a hint\n"
               ");\n"
               "CREATE INDEX ix_users_name -- @renamed from=ix_name\n"
               "  ON users (full_name);\n"
               "CREATE TABLE t (a) -- @renamed from=old_t\n;",
               "table t renamed-from=old_t\n"
               "  col a type=/ notnull=0 default=-/- collate=- pk=0 gen=0/- hidden=0\n"
               "table users renamed-from=people\n"
               "  col id type=INTEGER/INTEGER notnull=0 default=-/- collate=- pk=1 gen=0/- hidden=0\n"
               "  col full_name type=TEXT/TEXT notnull=0 default=-/- collate=- pk=0 gen=0/- hidden=0 "
               "renamed-from=Name Of\n"
               "  col note type=TEXT/TEXT notnull=0 default=-/- collate=- pk=0 gen=0/- hidden=0\n"
               "index ix_users_name on users (full_name binary) where=- renamed-from=ix_name\n");
  assert_refused("CREATE TABLE t (a);\n-- @renamed from=x\n",
                 "line 2: a rename hint must be on the line of a table's name, of a column's "
                 "definition or of an index's name");
  assert_refused("CREATE TABLE t (a); -- @renamed\n",
                 "line 1: a rename hint names the old name: write -- @renamed from=old_name (or "
                 "from=\"old name\")");
}

/* ---- dm_schema_compare ------------------------------------------------------------ */

static int collect_line(void *pArg, const char *zObject, const char *zKind, const char *zLine) {
  (void)zObject, (void)zKind;
  sqlite3_str_appendf((sqlite3_str *)pArg, "%s\n", zLine);
  return sqlite3_str_errcode((sqlite3_str *)pArg);
}

/* The lines comparing zExpected's model with zActual's. */
static char *compare_text(const char *zExpected, const char *zActual) {
  DmSchema *e = 0, *a = 0;
  char *zErr = 0;
  if (dm_schema_from_sql(zExpected, &e, &zErr)) fail_msg("%s: %s", zExpected, zErr);
  if (dm_schema_from_sql(zActual, &a, &zErr)) fail_msg("%s: %s", zActual, zErr);
  sqlite3_str *p = sqlite3_str_new(0);
  assert_int_equal(dm_schema_compare(e, a, "the migrations", "the database", collect_line, p),
                   SQLITE_OK);
  dm_schema_free(e);
  dm_schema_free(a);
  char *z = sqlite3_str_finish(p);
  return z ? z : sqlite3_mprintf("");
}

typedef struct Pair Pair;
struct Pair {
  const char *zExpected;
  const char *zActual;
  const char *zLines;  /* "" when the two mean the same */
};

static void assert_pairs(const Pair *a, int n) {
  for (int i = 0; i < n; i++) {
    char *z = compare_text(a[i].zExpected, a[i].zActual);
    if (strcmp(z, a[i].zLines) != 0) {
      fail_msg("pair %d:\n  %s\n  %s\n--- got:\n%s--- want:\n%s", i, a[i].zExpected, a[i].zActual,
               z, a[i].zLines);
    }
    sqlite3_free(z);
  }
}

static void test_compare_same_meaning_gives_no_line(void **state) {
  (void)state;
  static const Pair aPair[] = {
      /* Quoting, case, whitespace, comments. */
      {"CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
       "create table \"T\" ( \"ID\" integer primary key , -- the id\n [Name] text /* c */ not null )", ""},
      /* INTEGER PRIMARY KEY inline or as a table constraint. */
      {"CREATE TABLE t (id INTEGER PRIMARY KEY, a)", "CREATE TABLE t (id INTEGER, a, PRIMARY KEY (id))", ""},
      /* DEFAULT (0) and 0; declared types' spacing and case. */
      {"CREATE TABLE t (a INT DEFAULT (0), b varchar( 255 ))", "CREATE TABLE t (a INT DEFAULT 0, b VARCHAR(255))", ""},
      /* Table constraints in another order; a CHECK moved to the table. */
      {"CREATE TABLE p (id INTEGER PRIMARY KEY);\n"
       "CREATE TABLE t (a INT CHECK (a > 0), b INT, pid INT, UNIQUE (a, b), FOREIGN KEY (pid) REFERENCES p (id), "
       "CHECK (b < 10))",
       "CREATE TABLE p (id INTEGER PRIMARY KEY);\n"
       "CREATE TABLE t (a INT, b INT, pid INT REFERENCES p, CHECK (b<10), UNIQUE (a, b), CHECK (a>0))", ""},
      /* UNIQUE and PRIMARY KEY constraint names are not SQLite's business. */
      {"CREATE TABLE t (a INT, CONSTRAINT u1 UNIQUE (a))", "CREATE TABLE t (a INT, CONSTRAINT other UNIQUE (a))", ""},
      /* COLLATE BINARY is the default; views and triggers in normal form. */
      {"CREATE TABLE t (a TEXT COLLATE BINARY); CREATE VIEW v AS SELECT a FROM t;\n"
       "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END;",
       "CREATE TABLE t (a TEXT); CREATE VIEW \"v\" AS SELECT  A  FROM \"T\";\n"
       "create trigger tr after insert on t begin select 1 ; end;", ""},
      {"CREATE VIRTUAL TABLE d USING fts5(a, b)", "CREATE VIRTUAL TABLE \"D\" USING FTS5( a,b )", ""},
  };
  assert_pairs(aPair, (int)(sizeof(aPair) / sizeof(aPair[0])));
}

static void test_compare_differences_give_their_line(void **state) {
  (void)state;
  static const Pair aPair[] = {
      {"CREATE TABLE r (id INTEGER PRIMARY KEY)", "CREATE TABLE r (id INTEGER PRIMARY KEY, tokens INT)",
       "r.tokens: in the database, not in the migrations\n"},
      {"CREATE TABLE r (id INTEGER PRIMARY KEY, reasoning TEXT NOT NULL)",
       "CREATE TABLE r (id INTEGER PRIMARY KEY, reasoning TEXT)",
       "r.reasoning: NOT NULL in the migrations, nullable in the database\n"},
      {"CREATE TABLE r (c TEXT DEFAULT '{}')", "CREATE TABLE r (c TEXT)",
       "r.c: DEFAULT '{}' in the migrations, no DEFAULT in the database\n"},
      {"CREATE TABLE r (c INT DEFAULT 0)", "CREATE TABLE r (c INT DEFAULT 1)",
       "r.c: DEFAULT 0 in the migrations, DEFAULT 1 in the database\n"},
      {"CREATE TABLE r (c VARCHAR(10))", "CREATE TABLE r (c TEXT)",
       "r.c: type VARCHAR(10) in the migrations, type TEXT in the database\n"},
      {"CREATE TABLE r (c TEXT COLLATE NOCASE)", "CREATE TABLE r (c TEXT)",
       "r.c: COLLATE nocase in the migrations, COLLATE binary in the database\n"},
      {"CREATE TABLE r (a INT, b INT)", "CREATE TABLE r (b INT, a INT)",
       "table r: columns in the order a, b in the migrations, b, a in the database\n"},
      {"CREATE TABLE r (a INT CHECK (a > 0))", "CREATE TABLE r (a INT CHECK (a >= 0))",
       "table r: CHECK (a > 0) in the migrations, not in the database\n"
       "table r: CHECK (a >= 0) in the database, not in the migrations\n"},
      {"CREATE TABLE r (a INT, CONSTRAINT pos CHECK (a > 0))", "CREATE TABLE r (a INT, CONSTRAINT pos CHECK (a > 1))",
       "table r: CHECK pos (a > 0) in the migrations, (a > 1) in the database\n"},
      {"CREATE TABLE r (a INT, CONSTRAINT pos CHECK (a > 0))", "CREATE TABLE r (a INT, CHECK (a > 0))",
       "table r: CHECK (a > 0) named pos in the migrations, unnamed in the database\n"},
      /* In a column, a name names every CHECK after it ("CHECK constraint
      ** failed: n" for either); a comma ends it. */
      {"CREATE TABLE r (a INT CONSTRAINT n NOT NULL CHECK (a > 0) CHECK (a < 5))",
       "CREATE TABLE r (a INT NOT NULL, CONSTRAINT n CHECK (a > 0), CHECK (a < 5))",
       "table r: CHECK (a < 5) named n in the migrations, unnamed in the database\n"},
      {"CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (pid INT REFERENCES p ON DELETE CASCADE)",
       "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (pid INT REFERENCES p (id))",
       "table c: FOREIGN KEY (pid) ON DELETE CASCADE in the migrations, ON DELETE NO ACTION in the database\n"},
      {"CREATE TABLE p (id INTEGER PRIMARY KEY, k INT UNIQUE); CREATE TABLE c (pid INT REFERENCES p DEFERRABLE INITIALLY DEFERRED)",
       "CREATE TABLE p (id INTEGER PRIMARY KEY, k INT UNIQUE); CREATE TABLE c (pid INT REFERENCES p (k))",
       "table c: FOREIGN KEY (pid) REFERENCES p (id) in the migrations, REFERENCES p (k) in the database\n"
       "table c: FOREIGN KEY (pid) DEFERRABLE INITIALLY DEFERRED in the migrations, not deferred in the database\n"},
      {"CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (pid INT, FOREIGN KEY (pid) REFERENCES p)",
       "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (pid INT)",
       "table c: FOREIGN KEY (pid) REFERENCES p (id) in the migrations, not in the database\n"},
      {"CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (pid INT)",
       "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (pid INT REFERENCES p ON DELETE SET NULL "
       "ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED)",
       "table c: FOREIGN KEY (pid) REFERENCES p (id) ON DELETE SET NULL ON UPDATE CASCADE DEFERRABLE "
       "INITIALLY DEFERRED in the database, not in the migrations\n"},
      {"CREATE TABLE r (a INT, b INT, UNIQUE (a, b))", "CREATE TABLE r (a INT, b INT, UNIQUE (b, a))",
       "table r: UNIQUE (a, b) in the migrations, not in the database\n"
       "table r: UNIQUE (b, a) in the database, not in the migrations\n"},
      {"CREATE TABLE r (a TEXT, b INT, PRIMARY KEY (a, b DESC)) WITHOUT ROWID",
       "CREATE TABLE r (a TEXT, b INT, PRIMARY KEY (a, b)) WITHOUT ROWID",
       "table r: PRIMARY KEY (a, b DESC) in the migrations, (a, b) in the database\n"},
      {"CREATE TABLE r (a INT, b INT, PRIMARY KEY (a))", "CREATE TABLE r (a INT, b INT, PRIMARY KEY (b))",
       "r.a: PRIMARY KEY column 1 in the migrations, not in the PRIMARY KEY in the database\n"
       "r.b: not in the PRIMARY KEY in the migrations, PRIMARY KEY column 1 in the database\n"},
      {"CREATE TABLE r (a INT) STRICT", "CREATE TABLE r (a INT)",
       "table r: STRICT in the migrations, not STRICT in the database\n"},
      {"CREATE TABLE r (a INT PRIMARY KEY) WITHOUT ROWID", "CREATE TABLE r (a INT PRIMARY KEY)",
       /* A WITHOUT ROWID table's key is NOT NULL; a rowid table's is not. */
       "table r: WITHOUT ROWID in the migrations, a rowid table in the database\n"
       "r.a: NOT NULL in the migrations, nullable in the database\n"},
      {"CREATE TABLE r (id INTEGER PRIMARY KEY AUTOINCREMENT)", "CREATE TABLE r (id INTEGER PRIMARY KEY)",
       "table r: AUTOINCREMENT in the migrations, no AUTOINCREMENT in the database\n"},
      {"CREATE TABLE r (a INT, b INT AS (a * 2) STORED)", "CREATE TABLE r (a INT, b INT AS (a * 3))",
       "r.b: generated AS (a * 2) STORED in the migrations, generated AS (a * 3) VIRTUAL in the database\n"},
      {"CREATE TABLE r (a INT); CREATE INDEX ix ON r (a)", "CREATE TABLE r (a INT)",
       "index ix: in the migrations, not in the database\n"},
      {"CREATE TABLE r (a INT)", "CREATE TABLE r (a INT); CREATE INDEX ix ON r (a)",
       "index ix: in the database, not in the migrations\n"},
      {"CREATE TABLE r (a INT, b TEXT); CREATE UNIQUE INDEX ix ON r (a, lower(b) DESC) WHERE a > 0",
       "CREATE TABLE r (a INT, b TEXT); CREATE INDEX ix ON r (a)",
       "index ix: UNIQUE in the migrations, not UNIQUE in the database\n"
       "index ix: columns (a, lower ( b ) DESC) in the migrations, (a) in the database\n"
       "index ix: WHERE a > 0 in the migrations, no WHERE in the database\n"},
      {"CREATE TABLE r (a INT); CREATE VIEW v AS SELECT a FROM r", "CREATE TABLE r (a INT); CREATE VIEW v AS SELECT a + 1 FROM r",
       "view v: CREATE VIEW v AS SELECT a FROM r in the migrations, CREATE VIEW v AS SELECT a + 1 FROM r in the database\n"},
      {"CREATE TABLE r (a INT); CREATE VIEW v AS SELECT a FROM r", "CREATE TABLE r (a INT)",
       "view v: in the migrations, not in the database\n"},
      {"CREATE TABLE r (a INT)", "CREATE TABLE r (a INT); CREATE TRIGGER tr AFTER DELETE ON r BEGIN SELECT 1; END",
       "trigger tr: in the database, not in the migrations\n"},
      {"CREATE TABLE r (a INT); CREATE TRIGGER tr AFTER DELETE ON r BEGIN SELECT 1; END",
       "CREATE TABLE r (a INT); CREATE TRIGGER tr AFTER INSERT ON r BEGIN SELECT 1; END",
       "trigger tr: CREATE TRIGGER tr AFTER DELETE ON r BEGIN SELECT 1; END in the migrations, "
       "CREATE TRIGGER tr AFTER INSERT ON r BEGIN SELECT 1; END in the database\n"},
      {"CREATE VIRTUAL TABLE d USING fts5(a, b)", "CREATE VIRTUAL TABLE d USING fts5(a)",
       "table d: USING fts5(a , b) in the migrations, USING fts5(a) in the database\n"},
      {"CREATE VIRTUAL TABLE d USING fts5(a)", "CREATE TABLE d (a)",
       "table d: virtual (USING fts5) in the migrations, an ordinary table in the database\n"},
      {"CREATE TABLE a (x); CREATE TABLE b (x)", "CREATE TABLE b (x); CREATE TABLE c (x)",
       "table a: in the migrations, not in the database\n"
       "table c: in the database, not in the migrations\n"},
  };
  assert_pairs(aPair, (int)(sizeof(aPair) / sizeof(aPair[0])));
}

/* ---- out of memory -------------------------------------------------------------------- */

/* SQLite's allocator, with the nth allocation from now failing (n < 0:
** none). */
static sqlite3_mem_methods mem_real;
static int mem_countdown = -1;

static int mem_fails(void) { return mem_countdown >= 0 && mem_countdown-- == 0; }
static void *mem_malloc(int n) { return mem_fails() ? 0 : mem_real.xMalloc(n); }
static void *mem_realloc(void *p, int n) { return mem_fails() ? 0 : mem_real.xRealloc(p, n); }

static void mem_install(void) {
  sqlite3_shutdown();
  sqlite3_config(SQLITE_CONFIG_GETMALLOC, &mem_real);
  sqlite3_mem_methods m = mem_real;
  m.xMalloc = mem_malloc;
  m.xRealloc = mem_realloc;
  sqlite3_config(SQLITE_CONFIG_MALLOC, &m);
  sqlite3_initialize();
}

/*
** Every FAULT_STRIDE-th allocation (every 13th unless set; 1: each one) of
** building two models from SQL text and comparing them fails in turn: each attempt gives SQLITE_NOMEM and no model, or
** (SQLite absorbed the failure) exactly the fault-free models and lines.
** Leaks show under valgrind and ASan (make test-valgrind, make test-asan).
*/
static void test_out_of_memory_at_every_allocation(void **state) {
  (void)state;
  static const char zA[] =
      "CREATE TABLE p (id INTEGER PRIMARY KEY AUTOINCREMENT, k TEXT UNIQUE); -- @renamed from=q\n"
      "CREATE TABLE c (a INT NOT NULL DEFAULT (0) CHECK (a > 0), b TEXT COLLATE nocase, "
      "g INT AS (a * 2) STORED, pid INT REFERENCES p ON DELETE CASCADE DEFERRABLE INITIALLY "
      "DEFERRED, CONSTRAINT ck CHECK (b <> ''), UNIQUE (a, b));\n"
      "CREATE INDEX ix ON c (lower(b) DESC, a) WHERE a > 1;\n"
      "CREATE VIEW v AS SELECT a FROM c; CREATE TRIGGER tr AFTER INSERT ON c BEGIN SELECT 1; END;\n"
      "CREATE VIRTUAL TABLE d USING fts5(x);";
  static const char zB[] = "CREATE TABLE c (a INT, b TEXT); CREATE VIEW v AS SELECT b FROM c;";
  char *zModel = model_text(zA);
  char *zLines = compare_text(zA, zB);
  const char *zStride = getenv("FAULT_STRIDE");
  int nStride = zStride && atoi(zStride) > 0 ? atoi(zStride) : 13;
  mem_install();
  int nDone = 0;
  for (int i = 0; !nDone; i += nStride) {
    DmSchema *a = 0, *b = 0;
    char *zErr = 0;
    mem_countdown = i;
    int rc = dm_schema_from_sql(zA, &a, &zErr);
    if (rc == SQLITE_OK) rc = dm_schema_from_sql(zB, &b, &zErr);
    sqlite3_str *pStr = 0;
    if (rc == SQLITE_OK) {
      pStr = sqlite3_str_new(0);
      rc = sqlite3_str_errcode(pStr);
      if (rc == SQLITE_OK) {
        rc = dm_schema_compare(a, b, "the migrations", "the database", collect_line, pStr);
      }
    }
    nDone = mem_countdown >= 0; /* The countdown was not reached: nothing failed */
    mem_countdown = -1;
    char *zGot = pStr ? sqlite3_str_finish(pStr) : 0;
    if (rc == SQLITE_OK) {
      char *zGotModel = dump(a);
      if (strcmp(zGotModel, zModel) != 0 || strcmp(zGot ? zGot : "", zLines) != 0) {
        fail_msg("allocation %d failed, and the answer is wrong:\n%s%s", i, zGotModel, zGot);
      }
      sqlite3_free(zGotModel);
    } else if (rc != SQLITE_NOMEM || zErr) {
      fail_msg("allocation %d failed: rc %d, %s", i, rc, zErr ? zErr : "(no message)");
    }
    sqlite3_free(zGot);
    dm_schema_free(a);
    dm_schema_free(b);
  }
  sqlite3_free(zModel);
  sqlite3_free(zLines);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rich_table_gives_every_field),
      cmocka_unit_test(test_virtual_tables_without_their_shadow_tables),
      cmocka_unit_test(test_read_leaves_out_bookkeeping),
      cmocka_unit_test(test_read_names_a_missing_module),
      cmocka_unit_test(test_from_sql_refuses_what_is_not_create),
      cmocka_unit_test(test_from_sql_gives_sqlites_message_and_the_statement),
      cmocka_unit_test(test_renamed_hints_on_table_column_index_lines),
      cmocka_unit_test(test_compare_same_meaning_gives_no_line),
      cmocka_unit_test(test_compare_differences_give_their_line),
      /* Last: it replaces SQLite's allocator. */
      cmocka_unit_test(test_out_of_memory_at_every_allocation),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
