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
** shadow tables left out, a user's table named like a shadow table kept. */
static void test_virtual_tables_without_their_shadow_tables(void **state) {
  (void)state;
  assert_model(
      "CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize = 'porter');\n"
      "CREATE VIRTUAL TABLE \"Boxes\" USING RTREE(id, x0, x1);\n"
      "CREATE TABLE docs_notes (a);\n",
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rich_table_gives_every_field),
      cmocka_unit_test(test_virtual_tables_without_their_shadow_tables),
      cmocka_unit_test(test_read_leaves_out_bookkeeping),
      cmocka_unit_test(test_from_sql_refuses_what_is_not_create),
      cmocka_unit_test(test_from_sql_gives_sqlites_message_and_the_statement),
      cmocka_unit_test(test_renamed_hints_on_table_column_index_lines),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
