/*
** migrate_alter_table() through real connections: the strategy each change
** gets (seen in the table's rootpage, schema_version and the verbose
** lines), SQLite's known traps, exact errors, and the seed's three
** migration patterns keeping every row under the caller's foreign_keys=ON.
**
** Fixture sets: tests/fixtures/alter/ (a0_base and one branch per case,
** each upgraded to by name) and tests/fixtures/patterns/ (001 and 002, then
** 003 add new_field, 004 widen category, 005 move evaluations).
*/
#include <fcntl.h>

#include "harness.h"

/* ---- helpers ------------------------------------------------------------- */

static const char *zSeed =
    "INSERT INTO authors (id, name, email, note) VALUES"
    " (1, 'Ann', 'ann@example.org', 'first'), (2, 'Bob', NULL, NULL),"
    " (5, 'Cy', 'cy@example.org', 'third');"
    "INSERT INTO books (id, author_id, editor_id, title) VALUES"
    " (1, 1, 2, 'A'), (2, 2, 5, 'B'), (3, 5, 1, 'C'), (4, NULL, NULL, 'D');"
    "INSERT INTO reviews (id, author_email) VALUES (1, 'ann@example.org');"
    "INSERT INTO staff (id, name, boss_id) VALUES (1, 'boss', NULL), (2, 'mid', 1),"
    " (3, 'low', 2);"
    "INSERT INTO tags (name, weight) VALUES ('x', 1), ('y', NULL);"
    "INSERT INTO events (what) VALUES ('a'), ('b'), (NULL), ('d');"
    "DELETE FROM events WHERE id = 4;"
    "INSERT INTO plain (rowid, a, b, c) VALUES (10, 'a', '1', 'c'), (20, 'b', '2', NULL),"
    " (7, NULL, '3', 'z');";

/* A fresh database at a0_base holding zSeed, the alter set loaded. */
static sqlite3 *alter_db(const char *zName, char **pzPath) {
  char *zDb = h_fresh(zName);
  sqlite3 *db = h_open(zDb, "alter");
  h_assert_text(db, "SELECT migrate_upgrade('a0_base')", "a0_base");
  h_exec(db, zSeed);
  if (pzPath) {
    *pzPath = zDb;
  } else {
    sqlite3_free(zDb);
  }
  return db;
}

/* Run zSql for its effect; its value is not needed. */
static void run(sqlite3 *db, const char *zSql) {
  sqlite3_free(h_text(db, zSql));
}

static char *rootpage(sqlite3 *db, const char *zName) {
  char *zSql = sqlite3_mprintf("SELECT rootpage FROM sqlite_schema WHERE name = %Q", zName);
  char *z = h_text(db, zSql);
  sqlite3_free(zSql);
  return z;
}

static int int_of(sqlite3 *db, const char *zSql) {
  char *z = h_text(db, zSql);
  int i = atoi(z);
  sqlite3_free(z);
  return i;
}

/*
** Every value of the columns zCols of zFrom, in zOrder: what a checksum
** would sum up, kept whole so that a failure shows the difference.
*/
static char *fingerprint(sqlite3 *db, const char *zFrom, const char *zCols,
                         const char *zOrder) {
  sqlite3_str *pExpr = sqlite3_str_new(0);
  const char *z = zCols;
  while (*z) {
    const char *zEnd = strchr(z, ',');
    int n = zEnd ? (int)(zEnd - z) : (int)strlen(z);
    while (n > 0 && z[0] == ' ') z++, n--;
    sqlite3_str_appendf(pExpr, "%squote(%.*s)", sqlite3_str_length(pExpr) ? " || ',' || " : "",
                        n, z);
    z += n;
    if (*z == ',') z++;
  }
  char *zExpr = sqlite3_str_finish(pExpr);
  char *zSql = sqlite3_mprintf(
      "SELECT count(*) || ' rows: ' || coalesce(group_concat(v, ' | '), '') FROM "
      "(SELECT %s AS v FROM %s ORDER BY %s)",
      zExpr, zFrom, zOrder);
  char *zOut = h_text(db, zSql);
  sqlite3_free(zSql);
  sqlite3_free(zExpr);
  return zOut;
}

#define assert_same_text(zA, zB)                                          \
  do {                                                                    \
    if (strcmp((zA), (zB)) != 0) {                                        \
      fail_msg("differs:\n  before: %.2000s\n  after:  %.2000s", (zA), (zB)); \
    }                                                                     \
  } while (0)

/* stderr of this process, captured into a file while the verbose mode
** prints to it. */
static int saved_stderr = -1;
static char *zCapture = 0;

static void capture_begin(void) {
  fflush(stderr);
  if (!zCapture) zCapture = h_path("stderr.txt");
  int fd = open(zCapture, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) fail_msg("cannot open %s", zCapture);
  saved_stderr = dup(2);
  dup2(fd, 2);
  close(fd);
}

static char *capture_end(void) {
  fflush(stderr);
  dup2(saved_stderr, 2);
  close(saved_stderr);
  HFile f = h_file(zCapture);
  char *z = sqlite3_mprintf("%.*s", (int)f.n, f.a ? (const char *)f.a : "");
  free(f.a);
  return z;
}

#define assert_contains(zText, zWant)                                          \
  do {                                                                         \
    if (!strstr((zText), (zWant))) {                                           \
      fail_msg("missing:\n  %s\nin:\n%s", (zWant), (zText));                   \
    }                                                                          \
  } while (0)

#define assert_lacks(zText, zWant)                                             \
  do {                                                                         \
    if (strstr((zText), (zWant))) {                                            \
      fail_msg("unexpected:\n  %s\nin:\n%s", (zWant), (zText));                \
    }                                                                          \
  } while (0)

/* The verbose line saying which strategy ran for zTable and why, whole. */
#define assert_strategy(zText, zTable, zWhat)                                  \
  assert_contains((zText), "INFO  [distmigrate] migrate_alter_table(" zTable "): strategy " \
                  zWhat "\n")

/*
** Upgrade to zRev with the verbose mode on; returns what it printed. A
** failed upgrade fails the test after stderr is back, so that the test's
** report shows the error.
*/
static char *upgrade_verbose(sqlite3 *db, const char *zRev) {
  run(db, "SELECT migrate_verbose(1)");
  capture_begin();
  char *zSql = sqlite3_mprintf("SELECT migrate_upgrade(%Q)", zRev);
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0);
  if (rc == SQLITE_OK) rc = sqlite3_step(pStmt);
  const char *zVal = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(pStmt, 0) : 0;
  char *zGot = sqlite3_mprintf("%s", rc != SQLITE_ROW ? sqlite3_errmsg(db) : zVal ? zVal : "NULL");
  sqlite3_finalize(pStmt);
  char *zOut = capture_end();
  run(db, "SELECT migrate_verbose(0)");
  if (strcmp(zGot, zRev) != 0) fail_msg("%s gave %s\n%s", zSql, zGot, zOut);
  sqlite3_free(zSql);
  sqlite3_free(zGot);
  return zOut;
}

/*
** Upgrading to zRev fails with zWant from migrate_alter_table, inside the
** runner's frame (step, file:line and statement, rolled back), and the
** database file is byte for byte as before.
*/
static void assert_alter_fails(sqlite3 *db, const char *zPath, const char *zRev,
                               const char *zWant) {
  HFile before = h_file(zPath);
  char *zSql = sqlite3_mprintf("SELECT migrate_upgrade(%Q)", zRev);
  char *zErr = h_error(db, zSql, 0);
  char *zHead = sqlite3_mprintf("upgrade a0_base -> %s failed: %s\n  at tests/fixtures/alter/%s.sql:8: ",
                                zRev, zWant, zRev);
  const char *zTail = "\n  the run was rolled back: the database is still at a0_base";
  size_t nErr = strlen(zErr), nTail = strlen(zTail);
  if (strncmp(zErr, zHead, strlen(zHead)) != 0 || nErr < nTail ||
      strcmp(zErr + nErr - nTail, zTail) != 0) {
    fail_msg("%s\n  error: %s\n  want:  %s...%s", zSql, zErr, zHead, zTail);
  }
  assert_int_equal(sqlite3_get_autocommit(db), 1);
  h_assert_text(db, "SELECT migrate_current()", "a0_base");
  h_assert_file_unchanged(zPath, before);
  free(before.a);
  sqlite3_free(zHead);
  sqlite3_free(zErr);
  sqlite3_free(zSql);
}

static const char *zAuthorsCols = "id, name, email, note";
static const char *zBooksCols = "id, author_id, editor_id, title";

/* ---- where it may run ------------------------------------------------------ */

static void test_alter_outside_a_run_is_refused(void **state) {
  (void)state;
  char *zDb = 0;
  sqlite3 *db = alter_db("outside.db", &zDb);
  h_exec(db, "CREATE VIEW sneaky AS SELECT migrate_alter_table('CREATE TABLE plain (a)')");
  HFile before = h_file(zDb);
  h_assert_error(db, "SELECT migrate_alter_table('CREATE TABLE plain (a TEXT, b TEXT)')",
                 "migrate_alter_table(): it runs only inside a migration, during "
                 "migrate_upgrade() or migrate_downgrade(), where the run's transaction "
                 "and foreign-key handling make it safe: put the call in a migration's SQL");
  h_assert_error(db, "SELECT migrate_alter_table()",
                 "wrong number of arguments (0): use migrate_alter_table('CREATE TABLE "
                 "...') or migrate_alter_table('CREATE TABLE ...', '{\"new_name\": "
                 "\"old_name\"}')");
  h_assert_error(db, "SELECT migrate_alter_table(42)",
                 "migrate_alter_table(): give the new table as a CREATE TABLE statement in "
                 "text and the column mapping, if any, as JSON text");
  /* Writes, so direct-only: a view in the database cannot call it. */
  h_assert_error(db, "SELECT * FROM sneaky",
                 "unsafe use of migrate_alter_table()");
  h_assert_text(db,
                "SELECT iif(flags & 0x80000, 'directonly', '') || "
                "iif(flags & 0x800, '+deterministic', '') FROM pragma_function_list "
                "WHERE name = 'migrate_alter_table'",
                "directonly");
  sqlite3_close(db);
  h_assert_file_unchanged(zDb, before);
  free(before.a);
  sqlite3_free(zDb);
}

/* ---- strategies ------------------------------------------------------------- */

static void test_added_column_uses_alter_table_without_copy(void **state) {
  (void)state;
  sqlite3 *db = alter_db("add.db", 0);
  char *zRoot = rootpage(db, "authors");
  char *zBefore = fingerprint(db, "authors", zAuthorsCols, "id");
  char *zLog = upgrade_verbose(db, "b_add");
  assert_strategy(zLog, "authors",
                  "alter table (no copy): add column bio, which SQLite's ALTER TABLE does "
                  "without copying the table; the given text differs from ALTER TABLE's only "
                  "in layout: the writable_schema edit stores it verbatim");
  assert_contains(zLog, "migrate_alter_table(authors): add column bio: ALTER TABLE ADD COLUMN");
  assert_lacks(zLog, "rebuild");
  char *zAfterRoot = rootpage(db, "authors");
  assert_string_equal(zRoot, zAfterRoot);
  char *zAfter = fingerprint(db, "authors", zAuthorsCols, "id");
  assert_same_text(zBefore, zAfter);
  h_assert_text(db, "SELECT group_concat(bio) FROM authors", "none,none,none");
  h_assert_text(db, "SELECT sql FROM sqlite_schema WHERE name = 'authors'",
                "CREATE TABLE authors (\n"
                "    id INTEGER NOT NULL,\n"
                "    name VARCHAR(50) NOT NULL,\n"
                "    email TEXT,\n"
                "    note TEXT,\n"
                "    bio TEXT NOT NULL DEFAULT 'none',\n"
                "    PRIMARY KEY (id),\n"
                "    CONSTRAINT unique_email UNIQUE (email)\n"
                ")");
  h_assert_text(db, "PRAGMA integrity_check", "ok");
  /* Down drops it again, in place. */
  h_assert_text(db, "SELECT migrate_downgrade('a0_base')", "a0_base");
  h_assert_text(db, "SELECT count(*) FROM pragma_table_info('authors') WHERE name = 'bio'", "0");
  char *zDownRoot = rootpage(db, "authors");
  assert_string_equal(zRoot, zDownRoot);
  sqlite3_free(zRoot);
  sqlite3_free(zAfterRoot);
  sqlite3_free(zDownRoot);
  sqlite3_free(zBefore);
  sqlite3_free(zAfter);
  sqlite3_free(zLog);
  sqlite3_close(db);
}

static void test_widened_varchar_edits_the_schema_without_copy(void **state) {
  (void)state;
  sqlite3 *db = alter_db("widen.db", 0);
  h_exec(db, "PRAGMA foreign_keys = ON");
  char *zRoot = rootpage(db, "authors");
  int iVersion = int_of(db, "PRAGMA schema_version");
  char *zBefore = fingerprint(db, "authors", zAuthorsCols, "id");
  char *zLog = upgrade_verbose(db, "b_widen");
  assert_strategy(zLog, "authors",
                  "writable_schema (no copy): declared types only, within their affinity: "
                  "name VARCHAR(50) -> VARCHAR(100) (TEXT affinity); every stored value stays "
                  "valid, and the writable_schema edit changes the declaration");
  assert_contains(zLog, "migrate_alter_table(authors): writable_schema edit: sqlite_schema "
                        "holds the given text, schema_version");
  assert_contains(zLog, "the table reads back");
  assert_lacks(zLog, "rebuild");
  assert_contains(zLog, "no whole-database foreign_key_check: the migrations changed tables "
                        "only through migrate_alter_table(), which checked what it changed");
  char *zAfterRoot = rootpage(db, "authors");
  assert_string_equal(zRoot, zAfterRoot);
  assert_true(int_of(db, "PRAGMA schema_version") > iVersion);
  h_assert_text(db, "SELECT type FROM pragma_table_info('authors') WHERE name = 'name'",
                "VARCHAR(100)");
  char *zAfter = fingerprint(db, "authors", zAuthorsCols, "id");
  assert_same_text(zBefore, zAfter);
  h_assert_text(db, "PRAGMA integrity_check", "ok");
  /* And back: VARCHAR(100) -> VARCHAR(50) keeps the affinity too. */
  h_assert_text(db, "SELECT migrate_downgrade(-1)", "a0_base");
  char *zDownRoot = rootpage(db, "authors");
  assert_string_equal(zRoot, zDownRoot);
  h_assert_text(db, "SELECT type FROM pragma_table_info('authors') WHERE name = 'name'",
                "VARCHAR(50)");
  sqlite3_free(zRoot);
  sqlite3_free(zAfterRoot);
  sqlite3_free(zDownRoot);
  sqlite3_free(zBefore);
  sqlite3_free(zAfter);
  sqlite3_free(zLog);
  sqlite3_close(db);
}

static void test_renamed_column_carries_into_index_view_and_trigger(void **state) {
  (void)state;
  sqlite3 *db = alter_db("rename.db", 0);
  char *zRoot = rootpage(db, "authors");
  char *zLog = upgrade_verbose(db, "b_rename");
  assert_strategy(zLog, "authors",
                  "alter table (no copy): rename column name to full_name, which SQLite's "
                  "ALTER TABLE does without copying the table; the given text differs from "
                  "ALTER TABLE's only in layout: the writable_schema edit stores it verbatim");
  assert_contains(zLog, "migrate_alter_table(authors): rename column name to full_name: "
                        "ALTER TABLE RENAME COLUMN");
  assert_lacks(zLog, "rebuild");
  char *zAfterRoot = rootpage(db, "authors");
  assert_string_equal(zRoot, zAfterRoot);
  h_assert_text(db, "SELECT group_concat(full_name) FROM authors", "Ann,Bob,Cy");
  h_assert_text(db, "SELECT sql FROM sqlite_schema WHERE name = 'idx_authors_name'",
                "CREATE INDEX idx_authors_name ON authors (\"full_name\")");
  h_assert_text(db, "SELECT group_concat(id || ':' || full_name) FROM author_names",
                "1:Ann,2:Bob,5:Cy");
  h_exec(db, "INSERT INTO authors (id, full_name) VALUES (9, 'Di')");
  h_assert_text(db, "SELECT what FROM author_log WHERE author_id = 9", "added Di");
  /* Down renames it back. */
  h_assert_text(db, "SELECT migrate_downgrade(-1)", "a0_base");
  h_assert_text(db, "SELECT sql FROM sqlite_schema WHERE name = 'idx_authors_name'",
                "CREATE INDEX idx_authors_name ON authors (\"name\")");
  h_assert_text(db, "SELECT group_concat(name) FROM author_names", "Ann,Bob,Cy,Di");
  sqlite3_free(zRoot);
  sqlite3_free(zAfterRoot);
  sqlite3_free(zLog);
  sqlite3_close(db);
}

static void test_dropped_column_uses_alter_table_and_keeps_rowids(void **state) {
  (void)state;
  sqlite3 *db = alter_db("drop.db", 0);
  char *zRoot = rootpage(db, "plain");
  char *zLog = upgrade_verbose(db, "b_drop");
  assert_strategy(zLog, "plain",
                  "alter table (no copy): drop column c, which SQLite's ALTER TABLE does "
                  "without copying the table");
  assert_contains(zLog, "migrate_alter_table(plain): drop column c: ALTER TABLE DROP COLUMN "
                        "(rewrites the rows in place)");
  char *zAfterRoot = rootpage(db, "plain");
  assert_string_equal(zRoot, zAfterRoot);
  h_assert_text(db, "SELECT group_concat(rowid || ':' || quote(a) || ':' || b, ' ') FROM plain",
                "7:NULL:3 10:'a':1 20:'b':2");
  h_assert_text(db, "SELECT sql FROM sqlite_schema WHERE name = 'plain'",
                "CREATE TABLE plain (a TEXT, b TEXT)");
  sqlite3_free(zRoot);
  sqlite3_free(zAfterRoot);
  sqlite3_free(zLog);
  sqlite3_close(db);
}

static void test_unchanged_table_is_left_alone(void **state) {
  (void)state;
  sqlite3 *db = alter_db("unchanged.db", 0);
  int iVersion = int_of(db, "PRAGMA schema_version");
  char *zLog = upgrade_verbose(db, "b_unchanged");
  assert_strategy(zLog, "authors", "unchanged (no copy): the table already is as given");
  assert_int_equal(int_of(db, "PRAGMA schema_version"), iVersion);
  sqlite3_free(zLog);
  sqlite3_close(db);
}

/* A C comment left open at the end is a comment to SQLite, so to
** migrate_alter_table() too: the table is as given. */
static void test_comment_left_open_at_the_end_is_a_comment(void **state) {
  (void)state;
  sqlite3 *db = alter_db("open_comment.db", 0);
  char *zLog = upgrade_verbose(db, "b_open_comment");
  assert_strategy(zLog, "authors", "unchanged (no copy): the table already is as given");
  sqlite3_free(zLog);
  sqlite3_close(db);
}

/* x'0g' is no blob to SQLite: the statement is refused at that token. */
static void test_malformed_blob_is_an_unrecognized_token(void **state) {
  (void)state;
  char *zDb = 0;
  sqlite3 *db = alter_db("bad_blob.db", &zDb);
  assert_alter_fails(db, zDb, "b_bad_blob",
                     "migrate_alter_table(): unrecognized token or unterminated text: x'0g'");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

static void test_layout_only_change_stores_the_given_text(void **state) {
  (void)state;
  sqlite3 *db = alter_db("layout.db", 0);
  char *zRoot = rootpage(db, "authors");
  char *zLog = upgrade_verbose(db, "b_layout");
  assert_strategy(zLog, "authors",
                  "writable_schema (no copy): the given text differs from the stored one only "
                  "in layout: the writable_schema edit stores it verbatim");
  sqlite3_free(zLog);
  char *zAfterRoot = rootpage(db, "authors");
  assert_string_equal(zRoot, zAfterRoot);
  h_assert_text(db, "SELECT sql FROM sqlite_schema WHERE name = 'authors'",
                "CREATE TABLE authors (id INTEGER NOT NULL, name VARCHAR(50) NOT NULL,\n"
                "  email TEXT, note TEXT, PRIMARY KEY (id), CONSTRAINT unique_email "
                "UNIQUE (email))");
  h_assert_text(db, "PRAGMA integrity_check", "ok");
  sqlite3_free(zRoot);
  sqlite3_free(zAfterRoot);
  sqlite3_close(db);
}

/* ---- ADD COLUMN on a table with rows ------------------------------------- */

static const char *zPlainCols = "rowid, a, b, c";

/*
** Upgrade to zRev, a branch that adds a column to plain (three rows): the
** verbose strategy line is zWant, whole; every row keeps its rowid and
** values. Returns the log.
*/
static char *add_to_plain(sqlite3 *db, const char *zRev, const char *zWant) {
  char *zBefore = fingerprint(db, "plain", zPlainCols, "rowid");
  char *zLog = upgrade_verbose(db, zRev);
  char *zLine = sqlite3_mprintf("INFO  [distmigrate] migrate_alter_table(plain): strategy %s\n",
                                zWant);
  assert_contains(zLog, zLine);
  char *zAfter = fingerprint(db, "plain", zPlainCols, "rowid");
  assert_same_text(zBefore, zAfter);
  h_assert_text(db, "PRAGMA integrity_check", "ok");
  sqlite3_free(zLine);
  sqlite3_free(zBefore);
  sqlite3_free(zAfter);
  return zLog;
}

#define REBUILD_ADD(zCol, zWhy)                                                \
  "rebuild (copy the rows into a new table): ALTER TABLE ADD COLUMN " zCol     \
  " refuses on a table with rows: " zWhy

/*
** A default that is not constant: SQLite's ADD COLUMN refuses it once the
** table has a row, which the proof on an empty copy never saw. A rebuild
** gives each row what SQLite's INSERT gives it. A constant default, even
** in parentheses, stays ADD COLUMN.
*/
static void test_non_constant_default_is_added_by_rebuild(void **state) {
  (void)state;
  sqlite3 *db = alter_db("add-now.db", 0);
  char *zRoot = rootpage(db, "plain");
  char *zLog = add_to_plain(db, "b_add_timestamp",
                            REBUILD_ADD("added_at",
                                        "Cannot add a column with non-constant default"));
  assert_contains(zLog, "migrate_alter_table(plain): copied 3 rows in one INSERT ... SELECT "
                        "(rowids kept)");
  char *zAfterRoot = rootpage(db, "plain");
  assert_string_not_equal(zRoot, zAfterRoot);
  h_assert_text(db,
                "SELECT count(*) FROM plain WHERE added_at GLOB "
                "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]' "
                "AND added_at BETWEEN datetime('now', '-1 hour') AND datetime('now', '+1 minute')",
                "3");
  h_assert_text(db, "SELECT sql FROM sqlite_schema WHERE name = 'plain'",
                "CREATE TABLE plain (a TEXT, b TEXT, c TEXT, added_at TEXT NOT NULL DEFAULT "
                "CURRENT_TIMESTAMP)");
  h_assert_text(db, "SELECT migrate_downgrade('a0_base')", "a0_base");
  sqlite3_free(zLog);

  zLog = add_to_plain(db, "b_add_random",
                      REBUILD_ADD("token", "Cannot add a column with non-constant default"));
  h_assert_text(db, "SELECT count(*) || ' ' || count(DISTINCT token) FROM plain "
                    "WHERE typeof(token) = 'integer'",
                "3 3");
  h_assert_text(db, "SELECT migrate_downgrade('a0_base')", "a0_base");
  sqlite3_free(zLog);

  /* (0), -1.5 and ('x') are constants to SQLite: no copy. */
  sqlite3_free(zRoot);
  zRoot = rootpage(db, "plain");
  zLog = add_to_plain(db, "b_add_constant",
                      "alter table (no copy): add column d, add column e, add column f, which "
                      "SQLite's ALTER TABLE does without copying the table");
  assert_lacks(zLog, "rebuild");
  sqlite3_free(zAfterRoot);
  zAfterRoot = rootpage(db, "plain");
  assert_string_equal(zRoot, zAfterRoot);
  h_assert_text(db, "SELECT group_concat(d || ' ' || e || ' ' || f, ', ') FROM plain",
                "0 -1.5 x, 0 -1.5 x, 0 -1.5 x");
  sqlite3_free(zRoot);
  sqlite3_free(zAfterRoot);
  sqlite3_free(zLog);
  sqlite3_close(db);
}

/* A STORED generated column: refused on a table with rows, a rebuild
** computes it for each row. A VIRTUAL one stays ADD COLUMN. */
static void test_stored_generated_column_is_added_by_rebuild(void **state) {
  (void)state;
  sqlite3 *db = alter_db("add-stored.db", 0);
  char *zLog = add_to_plain(db, "b_add_stored",
                            REBUILD_ADD("ab", "cannot add a STORED column"));
  h_assert_text(db, "SELECT group_concat(rowid || ':' || quote(ab), ' ') FROM plain",
                "7:NULL 10:'a1' 20:'b2'");
  h_assert_text(db, "SELECT hidden FROM pragma_table_xinfo('plain') WHERE name = 'ab'", "3");
  h_assert_text(db, "SELECT migrate_downgrade('a0_base')", "a0_base");
  sqlite3_free(zLog);

  char *zRoot = rootpage(db, "plain");
  zLog = add_to_plain(db, "b_add_virtual",
                      "alter table (no copy): add column ab, which SQLite's ALTER TABLE does "
                      "without copying the table");
  assert_lacks(zLog, "rebuild");
  char *zAfterRoot = rootpage(db, "plain");
  assert_string_equal(zRoot, zAfterRoot);
  h_assert_text(db, "SELECT group_concat(rowid || ':' || quote(ab), ' ') FROM plain",
                "7:NULL 10:'a1' 20:'b2'");
  h_assert_text(db, "SELECT hidden FROM pragma_table_xinfo('plain') WHERE name = 'ab'", "2");
  sqlite3_free(zRoot);
  sqlite3_free(zAfterRoot);
  sqlite3_free(zLog);
  sqlite3_close(db);
}

/*
** A REFERENCES column with a default that is not NULL: SQLite refuses it
** on a table with rows only while foreign keys are enforced, which is the
** case inside the caller's transaction with foreign_keys=ON (the run
** cannot turn them off there). Outside one the run turns them off, and
** ADD COLUMN does it; a REFERENCES column without a default is ADD COLUMN
** either way.
*/
static void test_references_column_with_default_under_foreign_keys(void **state) {
  (void)state;
  sqlite3 *db = alter_db("add-fk-txn.db", 0);
  h_exec(db, "PRAGMA foreign_keys = ON");
  h_exec(db, "BEGIN");
  char *zLog = add_to_plain(db, "b_add_fk_default",
                            REBUILD_ADD("author_id", "Cannot add a REFERENCES column with "
                                                     "non-NULL default value"));
  assert_contains(zLog, "migrate_alter_table(plain): foreign_key_check(plain): no violations");
  h_exec(db, "COMMIT");
  h_assert_text(db, "SELECT group_concat(rowid || ':' || author_id, ' ') FROM plain",
                "7:1 10:1 20:1");
  h_assert_text(db, "SELECT \"table\" || '.' || \"to\" FROM pragma_foreign_key_list('plain')",
                "authors.id");
  h_assert_text(db, "SELECT count(*) FROM pragma_foreign_key_check", "0");
  h_exec(db, "BEGIN");
  h_assert_text(db, "SELECT migrate_downgrade('a0_base')", "a0_base");
  sqlite3_free(zLog);

  /* No default: ADD COLUMN, foreign keys on, in the caller's transaction. */
  char *zRoot = rootpage(db, "plain");
  zLog = add_to_plain(db, "b_add_fk_nullable",
                      "alter table (no copy): add column author_id, which SQLite's ALTER TABLE "
                      "does without copying the table");
  h_exec(db, "COMMIT");
  char *zAfterRoot = rootpage(db, "plain");
  assert_string_equal(zRoot, zAfterRoot);
  h_assert_text(db, "SELECT count(*) FROM plain WHERE author_id IS NULL", "3");
  sqlite3_free(zLog);
  sqlite3_free(zAfterRoot);
  sqlite3_close(db);

  /* Outside a transaction the run turns foreign keys off: ADD COLUMN, and
  ** the caller's foreign_keys=ON still gets the rows checked. */
  db = alter_db("add-fk.db", 0);
  h_exec(db, "PRAGMA foreign_keys = ON");
  sqlite3_free(zRoot);
  zRoot = rootpage(db, "plain");
  zLog = add_to_plain(db, "b_add_fk_default",
                      "alter table (no copy): add column author_id, which SQLite's ALTER TABLE "
                      "does without copying the table");
  assert_contains(zLog, "migrate_alter_table(plain): foreign_key_check(plain): no violations");
  zAfterRoot = rootpage(db, "plain");
  assert_string_equal(zRoot, zAfterRoot);
  h_assert_text(db, "SELECT group_concat(rowid || ':' || author_id, ' ') FROM plain",
                "7:1 10:1 20:1");
  h_assert_text(db, "PRAGMA foreign_keys", "1");
  sqlite3_free(zRoot);
  sqlite3_free(zAfterRoot);
  sqlite3_free(zLog);
  sqlite3_close(db);
}

/*
** The proof's row is zeros. A table that refuses it (here a generated NOT
** NULL column that is NULL for 0) cannot be proven on a row: in doubt, a
** rebuild, which works.
*/
static void test_table_that_takes_no_row_of_zeros_is_rebuilt(void **state) {
  (void)state;
  sqlite3 *db = alter_db("add-no-zero-row.db", 0);
  char *zLog = upgrade_verbose(db, "b_add_no_zero_row");
  assert_strategy(zLog, "odd",
                  "rebuild (copy the rows into a new table): the plan cannot be proven on a "
                  "table with rows: a scratch copy of the table refuses a row of zeros (NOT "
                  "NULL constraint failed: odd.g)");
  h_assert_text(db, "SELECT group_concat(rowid || ':' || a || ':' || g || ':' || quote(b), ' ') "
                    "FROM odd",
                "1:1:1:NULL 2:2:2:NULL");
  h_assert_text(db, "PRAGMA integrity_check", "ok");
  sqlite3_free(zLog);
  sqlite3_close(db);
}

/* ---- the rebuild and its traps ------------------------------------------- */

static void test_rebuild_keeps_view_trigger_index_referrers_and_rows(void **state) {
  (void)state;
  sqlite3 *db = alter_db("rebuild.db", 0);
  h_exec(db, "PRAGMA foreign_keys = ON"); /* The cascade trap, armed */
  char *zRoot = rootpage(db, "authors");
  char *zAuthors = fingerprint(db, "authors", zAuthorsCols, "id");
  char *zBooks = fingerprint(db, "books", zBooksCols, "id");
  char *zLog = upgrade_verbose(db, "b_rebuild");
  assert_strategy(zLog, "authors",
                  "rebuild (copy the rows into a new table): column note changes affinity "
                  "(TEXT TEXT -> BLOB BLOB)");
  assert_contains(zLog, "migrate_alter_table(authors): copied 3 rows in one INSERT ... SELECT "
                        "(no separate rowid)");
  assert_contains(zLog, "recreated 2 indexes and triggers");
  assert_contains(zLog, "migrate_alter_table(authors): foreign_key_check(books) not run over "
                        "the rows: the keys it refers to hold the same values as before");
  char *zAfterRoot = rootpage(db, "authors");
  assert_string_not_equal(zRoot, zAfterRoot);
  char *zAuthorsAfter = fingerprint(db, "authors", zAuthorsCols, "id");
  char *zBooksAfter = fingerprint(db, "books", zBooksCols, "id");
  assert_same_text(zAuthors, zAuthorsAfter);
  assert_same_text(zBooks, zBooksAfter);
  /* The text as given, the index and trigger as they were written. */
  h_assert_text(db, "SELECT sql FROM sqlite_schema WHERE name = 'authors'",
                "CREATE TABLE authors (\n"
                "    id INTEGER NOT NULL,\n"
                "    name VARCHAR(50) NOT NULL CHECK (name <> ''),\n"
                "    email TEXT,\n"
                "    note BLOB,\n"
                "    PRIMARY KEY (id),\n"
                "    CONSTRAINT unique_email UNIQUE (email)\n"
                ")");
  h_assert_text(db,
                "SELECT group_concat(type || ' ' || name, ', ') FROM (SELECT type, name FROM "
                "sqlite_schema WHERE tbl_name = 'authors' ORDER BY type, name)",
                "index idx_authors_name, index sqlite_autoindex_authors_1, table authors, "
                "trigger authors_logged");
  h_assert_text(db, "SELECT sql FROM sqlite_schema WHERE name = 'idx_authors_name'",
                "CREATE INDEX idx_authors_name ON authors (name)");
  h_assert_text(db, "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'distmigrate_new%'", "0");
  /* The view reads the new table, the trigger fires, the CHECK holds. */
  h_assert_text(db, "SELECT group_concat(id || ':' || name) FROM author_names",
                "1:Ann,2:Bob,5:Cy");
  h_exec(db, "INSERT INTO authors (id, name) VALUES (9, 'Di')");
  h_assert_text(db, "SELECT what FROM author_log WHERE author_id = 9", "added Di");
  h_assert_error(db, "INSERT INTO authors (id, name) VALUES (10, '')",
                 "CHECK constraint failed: name <> ''");
  /* Referrers still point at authors, and their actions work on it. */
  h_assert_text(db, "SELECT group_concat(\"table\" || ' ' || on_delete, ', ') FROM "
                    "pragma_foreign_key_list('books')",
                "authors SET NULL, authors CASCADE");
  h_exec(db, "DELETE FROM authors WHERE id = 5");
  h_assert_text(db, "SELECT group_concat(id || ':' || quote(author_id) || ':' || "
                    "quote(editor_id), ' ') FROM books",
                "1:1:2 2:2:NULL 4:NULL:NULL");
  h_assert_text(db, "PRAGMA integrity_check", "ok");
  h_assert_text(db, "SELECT count(*) FROM pragma_foreign_key_check", "0");
  sqlite3_free(zRoot);
  sqlite3_free(zAfterRoot);
  sqlite3_free(zAuthors);
  sqlite3_free(zBooks);
  sqlite3_free(zAuthorsAfter);
  sqlite3_free(zBooksAfter);
  sqlite3_free(zLog);
  sqlite3_close(db);
}

static void test_rebuild_keeps_rowids_of_a_table_without_integer_key(void **state) {
  (void)state;
  sqlite3 *db = alter_db("rowids.db", 0);
  char *zLog = upgrade_verbose(db, "b_affinity");
  assert_strategy(zLog, "plain",
                  "rebuild (copy the rows into a new table): the mapping computes b "
                  "(CAST(b AS INTEGER))");
  assert_contains(zLog, "copied 3 rows in one INSERT ... SELECT (rowids kept)");
  h_assert_text(db,
                "SELECT group_concat(rowid || ':' || quote(a) || ':' || quote(b) || ':' || "
                "quote(c), ' ') FROM plain",
                "7:NULL:3:'z' 10:'a':1:'c' 20:'b':2:NULL");
  h_assert_text(db, "SELECT sql FROM sqlite_schema WHERE name = 'plain'",
                "CREATE TABLE plain (a TEXT, b INTEGER, c TEXT)");
  sqlite3_free(zLog);
  sqlite3_close(db);
}

static void test_rebuild_of_self_referencing_table_points_at_the_final_table(void **state) {
  (void)state;
  sqlite3 *db = alter_db("selfref.db", 0);
  h_exec(db, "PRAGMA foreign_keys = ON");
  char *zBefore = fingerprint(db, "staff", "id, name, boss_id", "id");
  char *zLog = upgrade_verbose(db, "b_self_ref");
  assert_strategy(zLog, "staff",
                  "rebuild (copy the rows into a new table): column name changes affinity "
                  "(TEXT TEXT -> BLOB BLOB)");
  char *zAfter = fingerprint(db, "staff", "id, name, boss_id", "id");
  assert_same_text(zBefore, zAfter);
  h_assert_text(db, "SELECT \"table\" FROM pragma_foreign_key_list('staff')", "staff");
  h_assert_text(db, "SELECT count(*) FROM sqlite_schema WHERE sql LIKE '%distmigrate_new%'", "0");
  /* The key works on the table itself: deleting the boss cascades down. */
  h_exec(db, "DELETE FROM staff WHERE id = 1");
  h_assert_text(db, "SELECT count(*) FROM staff", "0");
  sqlite3_free(zBefore);
  sqlite3_free(zAfter);
  sqlite3_free(zLog);
  sqlite3_close(db);
}

static void test_rebuild_of_without_rowid_table(void **state) {
  (void)state;
  sqlite3 *db = alter_db("wr.db", 0);
  h_assert_text(db, "SELECT migrate_upgrade('b_without_rowid')", "b_without_rowid");
  h_assert_text(db, "SELECT wr FROM pragma_table_list('tags')", "1");
  h_assert_text(db, "SELECT group_concat(name || ':' || weight) FROM tags", "x:1,y:0");
  h_assert_text(db, "SELECT \"notnull\" FROM pragma_table_info('tags') WHERE name = 'weight'", "1");
  h_assert_text(db, "PRAGMA integrity_check", "ok");
  sqlite3_close(db);
}

static void test_rebuild_keeps_the_autoincrement_sequence(void **state) {
  (void)state;
  sqlite3 *db = alter_db("autoinc.db", 0);
  /* Row 4 was deleted: the sequence (4) is above the largest id (3). */
  h_assert_text(db, "SELECT seq FROM sqlite_sequence WHERE name = 'events'", "4");
  char *zRoot = rootpage(db, "events");
  h_assert_text(db, "SELECT migrate_upgrade('b_autoinc')", "b_autoinc");
  char *zAfterRoot = rootpage(db, "events");
  assert_string_not_equal(zRoot, zAfterRoot);
  h_assert_text(db, "SELECT group_concat(name || '=' || seq) FROM sqlite_sequence", "events=4");
  h_assert_text(db, "SELECT group_concat(id || ':' || quote(what), ' ') FROM events",
                "1:'a' 2:'b' 3:''");
  h_exec(db, "INSERT INTO events (what) VALUES ('e')");
  h_assert_text(db, "SELECT max(id) FROM events", "5");
  sqlite3_free(zRoot);
  sqlite3_free(zAfterRoot);
  sqlite3_close(db);
}

static void test_view_that_no_longer_applies_fails_clearly(void **state) {
  (void)state;
  char *zDb = 0;
  sqlite3 *db = alter_db("view.db", &zDb);
  assert_alter_fails(db, zDb, "b_view_breaks",
                     "migrate_alter_table(authors): a view or trigger no longer applies to the "
                     "new authors: error in view author_notes: no such column: note\n"
                     "  drop it in the migration before migrate_alter_table() and create it "
                     "again, adapted, after");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

/* A view broken before the change: SQLite's ALTER TABLE cannot work, and the
** error says the schema was broken already, not that the change broke it. */
static void test_view_broken_before_a_rebuild_fails_clearly(void **state) {
  (void)state;
  char *zDb = 0;
  sqlite3 *db = alter_db("broken.db", &zDb);
  h_exec(db, "CREATE VIEW broken AS SELECT nosuch FROM plain");
  assert_alter_fails(db, zDb, "b_rebuild",
                     "migrate_alter_table(authors): the schema fails SQLite's check before any "
                     "change: error in view broken: no such column: nosuch\n"
                     "  SQLite's ALTER TABLE cannot work while a view or trigger is broken: "
                     "drop or repair it first");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

static void test_trigger_that_no_longer_applies_fails_clearly(void **state) {
  (void)state;
  char *zDb = 0;
  sqlite3 *db = alter_db("trigger.db", &zDb);
  assert_alter_fails(db, zDb, "b_trigger_breaks",
                     "migrate_alter_table(staff): a view or trigger no longer applies to the "
                     "new staff: error in trigger staff_renamed: no such column: new.name\n"
                     "  drop it in the migration before migrate_alter_table() and create it "
                     "again, adapted, after");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

static void test_index_that_no_longer_applies_fails_clearly(void **state) {
  (void)state;
  char *zDb = 0;
  sqlite3 *db = alter_db("index.db", &zDb);
  assert_alter_fails(db, zDb, "b_index_breaks",
                     "migrate_alter_table(authors): the index idx_authors_name no longer "
                     "applies to the new authors: no such column: name\n"
                     "  drop it in the migration before migrate_alter_table() and create what "
                     "replaces it after");
  /* In place, SQLite's own ALTER TABLE DROP COLUMN says so. */
  assert_alter_fails(db, zDb, "b_drop_indexed",
                     "migrate_alter_table(authors): ALTER TABLE DROP COLUMN name failed: error "
                     "in index idx_authors_name after drop column: no such column: name\n"
                     "  drop it in the migration before migrate_alter_table() and create what "
                     "replaces it after");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

/* ---- constraints and defaults by the edit (issue 16) ---------------------------- */

/*
** Loosening is the edit alone: no copy (same rootpage), no read of the rows,
** and SQLite reads the declaration the statement gives.
*/
static void test_loosened_rules_are_an_edit_without_copy(void **state) {
  (void)state;
  sqlite3 *db = alter_db("loosen.db", 0);
  h_exec(db, "PRAGMA foreign_keys = ON");
  char *zRoot = rootpage(db, "books");
  char *zBooks = fingerprint(db, "books", zBooksCols, "id");
  char *zLog = upgrade_verbose(db, "b_loosen");
  assert_strategy(zLog, "books",
                  "writable_schema (no copy): drop NOT NULL on title, DEFAULT of title (none) "
                  "-> 'untitled', drop a foreign key to authors: the writable_schema edit "
                  "changes the declaration, since every stored row keeps to a looser rule, "
                  "and the rows stored before a column was added keep its old DEFAULT");
  /* title was in books from the start: no row lacks it, none is written. */
  assert_contains(zLog, "migrate_alter_table(books): DEFAULT change: 0 rows stored before "
                        "the column was added now hold the old DEFAULT's value");
  assert_lacks(zLog, "verifying scan");
  assert_lacks(zLog, "copied");
  char *zAfter = rootpage(db, "books");
  assert_string_equal(zRoot, zAfter);
  char *zBooksAfter = fingerprint(db, "books", zBooksCols, "id");
  assert_same_text(zBooks, zBooksAfter);
  h_assert_text(db, "SELECT \"notnull\" || ' ' || dflt_value FROM pragma_table_info('books') "
                    "WHERE name = 'title'",
                "0 'untitled'");
  h_assert_text(db, "SELECT group_concat(\"from\") FROM pragma_foreign_key_list('books')",
                "author_id");
  h_exec(db, "INSERT INTO books (id) VALUES (9)");
  h_assert_text(db, "SELECT title FROM books WHERE id = 9", "untitled");
  h_exec(db, "DELETE FROM books WHERE id = 9");
  h_assert_text(db, "PRAGMA integrity_check", "ok");
  /* And back: NOT NULL and the foreign key again, after a read finds no row
  ** breaking NOT NULL (the key is checked as after any change). */
  h_assert_text(db, "SELECT migrate_downgrade('a0_base')", "a0_base");
  h_assert_text(db, "SELECT \"notnull\" || ' ' || quote(dflt_value) FROM "
                    "pragma_table_info('books') WHERE name = 'title'",
                "1 NULL");
  h_assert_text(db, "SELECT count(*) FROM pragma_foreign_key_list('books')", "2");
  sqlite3_free(zAfter);
  zAfter = rootpage(db, "books");
  assert_string_equal(zRoot, zAfter);
  sqlite3_free(zBooksAfter);
  zBooksAfter = fingerprint(db, "books", zBooksCols, "id");
  assert_same_text(zBooks, zBooksAfter);
  sqlite3_free(zRoot);
  sqlite3_free(zAfter);
  sqlite3_free(zBooks);
  sqlite3_free(zBooksAfter);
  sqlite3_free(zLog);
  sqlite3_close(db);
}

/* A CHECK every row keeps: one read of the table, then the edit. */
static void test_tightened_rule_every_row_keeps_is_an_edit_after_one_scan(void **state) {
  (void)state;
  sqlite3 *db = alter_db("tighten.db", 0);
  char *zRoot = rootpage(db, "authors");
  char *zLog = upgrade_verbose(db, "b_check_edit");
  assert_strategy(zLog, "authors",
                  "writable_schema (no copy): add CHECK (name <> ''): the writable_schema edit "
                  "changes the declaration, after one read of the table finds no row that "
                  "breaks a tighter rule");
  assert_contains(zLog, "migrate_alter_table(authors): verifying scan: no row breaks the 1 "
                        "tighter rule, ");
  char *zAfter = rootpage(db, "authors");
  assert_string_equal(zRoot, zAfter);
  h_assert_error(db, "INSERT INTO authors (id, name) VALUES (8, '')",
                 "CHECK constraint failed: name <> ''");
  h_assert_text(db, "PRAGMA integrity_check", "ok");
  sqlite3_free(zRoot);
  sqlite3_free(zAfter);
  sqlite3_free(zLog);
  sqlite3_close(db);
}

/* Rows that break a tighter rule: the run fails naming them, nothing changes. */
static void test_tightened_rules_rows_break_fail_naming_the_rows(void **state) {
  (void)state;
  char *zDb = 0;
  sqlite3 *db = alter_db("tighten_fail.db", &zDb);
  assert_alter_fails(db, zDb, "b_email_required",
                     "migrate_alter_table(authors): rows of authors break the new rules, so "
                     "nothing was changed:\n"
                     "  rowid 1: CHECK note_short (length(note) < 5); id=1, name='Ann', "
                     "email='ann@example.org', note='first'\n"
                     "  rowid 2: NOT NULL on email; id=2, name='Bob', email=NULL, note=NULL\n"
                     "  rowid 5: CHECK note_short (length(note) < 5); id=5, name='Cy', "
                     "email='cy@example.org', note='third'\n"
                     "  fix those rows in the migration before the call (UPDATE or DELETE "
                     "them), or keep the old rule");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

/*
** The trap: plain's rows were stored before ADD COLUMN added d, e and f, and
** SQLite reads them with the DEFAULT the schema says now. The edit of e's
** and f's DEFAULTs keeps their old values in those rows (and only those are
** written); rows stored after the ADD COLUMN hold their values anyway.
*/
static void test_default_change_keeps_rows_stored_before_add_column(void **state) {
  (void)state;
  sqlite3 *db = alter_db("default.db", 0);
  run(db, "SELECT migrate_upgrade('b_add_constant')");
  h_exec(db, "INSERT INTO plain (rowid, a) VALUES (30, 'after'); "
             "INSERT INTO plain (rowid, a, e, f) VALUES (40, 'set', 9, 'z')");
  char *zRoot = rootpage(db, "plain");
  char *zLog = upgrade_verbose(db, "c_default_change");
  assert_strategy(zLog, "plain",
                  "writable_schema (no copy): DEFAULT of e -1.5 -> 2.5, DEFAULT of f 'x' -> "
                  "(none): the writable_schema edit changes the declaration, since every "
                  "stored row keeps to a looser rule, and the rows stored before a column was "
                  "added keep its old DEFAULT");
  assert_contains(zLog, "migrate_alter_table(plain): DEFAULT change: 3 rows stored before the "
                        "column was added now hold the old DEFAULT's value");
  char *zAfter = rootpage(db, "plain");
  assert_string_equal(zRoot, zAfter);
  h_assert_text(db, "SELECT group_concat(rowid || ':' || d || ' ' || e || ' ' || f, ', ') "
                    "FROM (SELECT rowid, * FROM plain ORDER BY rowid)",
                "7:0 -1.5 x, 10:0 -1.5 x, 20:0 -1.5 x, 30:0 -1.5 x, 40:0 9.0 z");
  h_exec(db, "INSERT INTO plain (rowid, a) VALUES (50, 'new')");
  h_assert_text(db, "SELECT e || ' ' || quote(f) FROM plain WHERE rowid = 50", "2.5 NULL");
  h_assert_text(db, "PRAGMA integrity_check", "ok");
  /* Back: the old DEFAULTs; every row is whole now, so none is written. */
  char *zDown = 0;
  run(db, "SELECT migrate_verbose(1)");
  capture_begin();
  run(db, "SELECT migrate_downgrade('b_add_constant')");
  zDown = capture_end();
  run(db, "SELECT migrate_verbose(0)");
  assert_contains(zDown, "DEFAULT change: 0 rows stored before the column was added");
  h_assert_text(db, "SELECT group_concat(rowid || ':' || e || ' ' || quote(f), ', ') "
                    "FROM (SELECT rowid, * FROM plain ORDER BY rowid)",
                "7:-1.5 'x', 10:-1.5 'x', 20:-1.5 'x', 30:-1.5 'x', 40:9.0 'z', 50:2.5 NULL");
  sqlite3_free(zDown);
  sqlite3_free(zRoot);
  sqlite3_free(zAfter);
  sqlite3_free(zLog);
  sqlite3_close(db);
}

/* The UPDATE that keeps old rows would fire the table's triggers: copy instead. */
static void test_default_change_on_a_table_with_triggers_is_a_rebuild(void **state) {
  (void)state;
  sqlite3 *db = alter_db("default_trigger.db", 0);
  char *zLogRows = h_text(db, "SELECT count(*) FROM author_log");
  char *zLog = upgrade_verbose(db, "b_default_trigger");
  assert_strategy(zLog, "staff",
                  "rebuild (copy the rows into a new table): the DEFAULT of name changes and "
                  "the table has triggers: the rows stored before its ADD COLUMN must keep the "
                  "old value, and the UPDATE that writes it would fire them");
  h_assert_text(db, "SELECT count(*) FROM author_log", zLogRows);
  h_assert_text(db, "SELECT group_concat(name, ',') FROM staff", "boss,mid,low");
  sqlite3_free(zLogRows);
  sqlite3_free(zLog);
  sqlite3_close(db);
}

/* A collation no index orders by is an edit, and every CHECK is read again;
** one an index orders by needs the index rebuilt with the table. */
static void test_collation_change_is_an_edit_unless_an_index_orders_by_it(void **state) {
  (void)state;
  sqlite3 *db = alter_db("collate.db", 0);
  char *zRoot = rootpage(db, "plain");
  char *zLog = upgrade_verbose(db, "b_collate_edit");
  assert_strategy(zLog, "plain",
                  "writable_schema (no copy): collation of c binary -> nocase: the "
                  "writable_schema edit changes the declaration, since every stored row keeps "
                  "to a looser rule");
  char *zAfter = rootpage(db, "plain");
  assert_string_equal(zRoot, zAfter);
  h_assert_text(db, "SELECT count(*) FROM plain WHERE c = 'Z'", "1");
  h_assert_text(db, "SELECT migrate_downgrade('a0_base')", "a0_base");
  h_assert_text(db, "SELECT count(*) FROM plain WHERE c = 'Z'", "0");
  sqlite3_free(zLog);
  zLog = upgrade_verbose(db, "b_collate_indexed");
  assert_strategy(zLog, "authors",
                  "rebuild (copy the rows into a new table): the collation of name changes, and "
                  "the index idx_authors_name depends on it");
  h_assert_text(db, "PRAGMA integrity_check", "ok");
  h_assert_text(db, "SELECT count(*) FROM authors WHERE name = 'ANN'", "1");
  sqlite3_free(zRoot);
  sqlite3_free(zAfter);
  sqlite3_free(zLog);
  sqlite3_close(db);
}

/* A foreign key added by the edit is checked as after a rebuild. */
static void test_foreign_key_added_by_the_edit_is_checked(void **state) {
  (void)state;
  char *zDb = 0;
  sqlite3 *db = alter_db("fk_added.db", &zDb);
  h_exec(db, "PRAGMA foreign_keys = ON");
  assert_alter_fails(db, zDb, "b_fk_added",
                     "migrate_alter_table(plain): PRAGMA foreign_key_check(plain) found 1 "
                     "foreign key violation after the change:\n"
                     "  plain row 7 references authors, which has no such row");
  /* Without the row that breaks it: the edit, and the key holds. */
  h_exec(db, "DELETE FROM plain WHERE rowid = 7");
  char *zLog = upgrade_verbose(db, "b_fk_added");
  assert_strategy(zLog, "plain",
                  "writable_schema (no copy): add a foreign key to authors: the writable_schema "
                  "edit changes the declaration, and a new foreign key is checked after it when "
                  "the connection enforces them");
  h_assert_error(db, "INSERT INTO plain (b) VALUES ('4')", "FOREIGN KEY constraint failed");
  sqlite3_free(zLog);
  sqlite3_close(db);
  sqlite3_free(zDb);
}

/* What a WAL reader on another connection sees while the rebuild runs. */
typedef struct Reader Reader;
struct Reader {
  sqlite3 *db;       /* The reader's connection */
  const char *zWantSql;
  const char *zWantRows;
  int nLook;         /* Times it looked, from the writer's progress handler */
  int nTick;
  char *zWrong;      /* What it saw that it should not have, or 0 */
};

static int reader_look(void *pArg) {
  Reader *r = pArg;
  if (r->zWrong || ++r->nTick % 20 != 0) return 0;
  r->nLook++;
  char *zSql = h_text(r->db, "SELECT sql FROM sqlite_schema WHERE name = 'authors'");
  char *zRows = h_text(r->db, "SELECT count(*) || ' ' || total(id) || ' ' || "
                              "group_concat(length(name)) FROM authors");
  if (strcmp(zSql, r->zWantSql) != 0 || strcmp(zRows, r->zWantRows) != 0) {
    r->zWrong = sqlite3_mprintf("look %d: %s / %s", r->nLook, zSql, zRows);
  }
  sqlite3_free(zSql);
  sqlite3_free(zRows);
  return 0;
}

/*
** Readers keep reading: in WAL mode a reader on another connection reads
** the old schema and rows throughout a rebuild (looked at from the writer's
** own progress handler, which the run leaves in place), and sees the new
** ones once it commits.
*/
static void test_wal_reader_reads_the_old_table_throughout_a_rebuild(void **state) {
  (void)state;
  char *zDb = 0;
  sqlite3 *db = alter_db("wal_reader.db", &zDb);
  h_assert_text(db, "PRAGMA journal_mode = WAL", "wal");
  h_exec(db, "WITH RECURSIVE n(i) AS (SELECT 100 UNION ALL SELECT i + 1 FROM n WHERE i < 3099) "
             "INSERT INTO authors (id, name) SELECT i, 'author ' || i FROM n");
  Reader r;
  memset(&r, 0, sizeof(r));
  r.db = h_open(zDb, 0);
  char *zOldSql = h_text(r.db, "SELECT sql FROM sqlite_schema WHERE name = 'authors'");
  char *zOldRows = h_text(r.db, "SELECT count(*) || ' ' || total(id) || ' ' || "
                                "group_concat(length(name)) FROM authors");
  r.zWantSql = zOldSql;
  r.zWantRows = zOldRows;
  /* Each look is a read transaction of its own: it sees what is committed
  ** at that moment, never blocked, never a half-made table. */
  sqlite3_progress_handler(db, 100, reader_look, &r);
  h_assert_text(db, "SELECT migrate_upgrade('b_rebuild')", "b_rebuild");
  sqlite3_progress_handler(db, 0, 0, 0);
  if (r.zWrong) fail_msg("the reader saw the change before the commit: %s", r.zWrong);
  if (r.nLook < 3) fail_msg("the reader looked only %d times", r.nLook);
  char *zNew = h_text(r.db, "SELECT sql FROM sqlite_schema WHERE name = 'authors'");
  if (!strstr(zNew, "note BLOB")) fail_msg("after the commit the reader sees %s", zNew);
  h_assert_text(r.db, "SELECT count(*) || ' ' || total(id) || ' ' || group_concat(length(name)) "
                      "FROM authors", zOldRows);
  sqlite3_free(zNew);
  sqlite3_free(zOldSql);
  sqlite3_free(zOldRows);
  sqlite3_close(r.db);
  sqlite3_close(db);
  sqlite3_free(zDb);
}

/* Defensive mode forbids the edit: the copy, and the line says why once. */
static void test_defensive_mode_copies_for_rule_changes(void **state) {
  (void)state;
  sqlite3 *db = alter_db("defensive_rules.db", 0);
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)0);
  char *zLog = upgrade_verbose(db, "b_loosen");
  assert_strategy(zLog, "books",
                  "rebuild (copy the rows into a new table): drop NOT NULL on title, DEFAULT of "
                  "title (none) -> 'untitled', drop a foreign key to authors needs the "
                  "writable_schema edit, which the connection's defensive mode forbids");
  h_assert_text(db, "SELECT \"notnull\" FROM pragma_table_info('books') WHERE name = 'title'",
                "0");
  sqlite3_free(zLog);
  sqlite3_close(db);
}

/* ---- foreign keys ------------------------------------------------------------- */

static void test_scoped_check_finds_changed_child_values(void **state) {
  (void)state;
  char *zDb = 0;
  sqlite3 *db = alter_db("child.db", &zDb);
  h_exec(db, "PRAGMA foreign_keys = ON");
  assert_alter_fails(db, zDb, "b_child_violation",
                     "migrate_alter_table(books): PRAGMA foreign_key_check(books) found 3 "
                     "foreign key violations after the change:\n"
                     "  books row 1 references authors, which has no such row\n"
                     "  books row 2 references authors, which has no such row\n"
                     "  books row 3 references authors, which has no such row");
  /* Without foreign keys, nothing is checked (as the runner does). */
  h_exec(db, "PRAGMA foreign_keys = OFF");
  h_assert_text(db, "SELECT migrate_upgrade('b_child_violation')", "b_child_violation");
  h_assert_text(db, "SELECT group_concat(author_id) FROM books", "1001,1002,1005");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

static void test_scoped_check_finds_changed_parent_keys(void **state) {
  (void)state;
  char *zDb = 0;
  sqlite3 *db = alter_db("parent.db", &zDb);
  h_exec(db, "PRAGMA foreign_keys = ON");
  assert_alter_fails(db, zDb, "b_parent_violation",
                     "migrate_alter_table(authors): PRAGMA foreign_key_check(books) found 6 "
                     "foreign key violations after the change:\n"
                     "  books row 1 references authors, which has no such row\n"
                     "  books row 1 references authors, which has no such row\n"
                     "  books row 2 references authors, which has no such row\n"
                     "  books row 2 references authors, which has no such row\n"
                     "  books row 3 references authors, which has no such row\n"
                     "  books row 3 references authors, which has no such row");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

static void test_dropping_a_key_a_foreign_key_uses_fails(void **state) {
  (void)state;
  char *zDb = 0;
  sqlite3 *db = alter_db("mismatch.db", &zDb);
  h_exec(db, "PRAGMA foreign_keys = ON");
  assert_alter_fails(db, zDb, "b_key_mismatch",
                     "migrate_alter_table(authors): a foreign key no longer matches the new "
                     "authors: foreign key mismatch - \"reviews\" referencing \"authors\"\n"
                     "  the columns a foreign key refers to must stay the PRIMARY KEY or a "
                     "UNIQUE key of authors");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

/* A plain statement that writes still gets the runner's whole-database check. */
static void test_plain_writes_keep_the_whole_database_check(void **state) {
  (void)state;
  char *zDb = 0;
  sqlite3 *db = alter_db("whole.db", &zDb);
  h_exec(db, "PRAGMA foreign_keys = ON");
  HFile before = h_file(zDb);
  h_assert_error(db, "SELECT migrate_upgrade('b_plain_orphan')",
                 "PRAGMA foreign_key_check found 1 foreign key violation after the "
                 "migrations ran:\n"
                 "  books row 99 references authors, which has no such row\n"
                 "  the run was rolled back: the database is still at a0_base");
  h_assert_file_unchanged(zDb, before);
  free(before.a);
  sqlite3_close(db);
  sqlite3_free(zDb);
}

static void test_rebuild_refused_inside_transaction_with_foreign_keys_on(void **state) {
  (void)state;
  sqlite3 *db = alter_db("txn.db", 0);
  h_exec(db, "PRAGMA foreign_keys = ON");
  h_exec(db, "BEGIN; INSERT INTO plain (a) VALUES ('mine');");
  char *zErr = h_error(db, "SELECT migrate_upgrade('b_rebuild')", 0);
  const char *zWant =
      "upgrade a0_base -> b_rebuild failed: migrate_alter_table(authors): rebuilding "
      "authors with foreign_keys=ON would make SQLite delete or change the rows of books "
      "that refer to it when the old table is dropped; run the migration outside a "
      "transaction (distmigrate turns enforcement off for the run) or set PRAGMA "
      "foreign_keys=OFF before BEGIN\n  at tests/fixtures/alter/b_rebuild.sql:8: ";
  if (strncmp(zErr, zWant, strlen(zWant)) != 0) fail_msg("error: %s\nwant: %s", zErr, zWant);
  sqlite3_free(zErr);
  /* The caller's transaction and its work are intact, no row was touched. */
  assert_int_equal(sqlite3_get_autocommit(db), 0);
  h_assert_text(db, "SELECT count(*) FROM books", "4");
  h_assert_text(db, "SELECT count(*) FROM plain WHERE a = 'mine'", "1");
  /* A change without a copy is fine there. */
  h_assert_text(db, "SELECT migrate_upgrade('b_widen')", "b_widen");
  h_exec(db, "COMMIT");
  h_assert_text(db, "SELECT count(*) FROM books", "4");
  sqlite3_close(db);
}

static void test_defensive_mode_rebuilds_instead_of_editing(void **state) {
  (void)state;
  sqlite3 *db = alter_db("defensive.db", 0);
  int bOn = 0;
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, &bOn);
  assert_int_equal(bOn, 1);
  h_exec(db, "PRAGMA foreign_keys = ON");
  char *zRoot = rootpage(db, "authors");
  char *zBooks = fingerprint(db, "books", zBooksCols, "id");
  char *zLog = upgrade_verbose(db, "b_widen");
  assert_strategy(zLog, "authors",
                  "rebuild (copy the rows into a new table): name VARCHAR(50) -> VARCHAR(100) "
                  "(TEXT affinity) needs the writable_schema edit, which the connection's "
                  "defensive mode forbids");
  assert_contains(zLog, "migrate_alter_table(authors): sqlite_schema keeps the text as "
                        "SQLite's RENAME wrote it");
  char *zAfterRoot = rootpage(db, "authors");
  assert_string_not_equal(zRoot, zAfterRoot);
  /* SQLite's RENAME quotes the name; the rest is the text given. */
  h_assert_text(db, "SELECT sql FROM sqlite_schema WHERE name = 'authors'",
                "CREATE TABLE \"authors\" (\n"
                "    id INTEGER NOT NULL,\n"
                "    name VARCHAR(100) NOT NULL,\n"
                "    email TEXT,\n"
                "    note TEXT,\n"
                "    PRIMARY KEY (id),\n"
                "    CONSTRAINT unique_email UNIQUE (email)\n"
                ")");
  h_assert_text(db, "SELECT type FROM pragma_table_info('authors') WHERE name = 'name'",
                "VARCHAR(100)");
  char *zBooksAfter = fingerprint(db, "books", zBooksCols, "id");
  assert_same_text(zBooks, zBooksAfter);
  sqlite3_free(zRoot);
  sqlite3_free(zAfterRoot);
  sqlite3_free(zBooks);
  sqlite3_free(zBooksAfter);
  sqlite3_free(zLog);
  sqlite3_close(db);
}

/* ---- bad calls ------------------------------------------------------------------ */

static void test_bad_calls_fail_with_what_to_do(void **state) {
  (void)state;
  char *zDb = 0;
  sqlite3 *db = alter_db("bad.db", &zDb);
  assert_alter_fails(db, zDb, "b_not_create",
                     "migrate_alter_table(): give the table's new definition as one CREATE "
                     "TABLE statement, e.g. migrate_alter_table('CREATE TABLE t (id INTEGER "
                     "PRIMARY KEY, name TEXT)')");
  assert_alter_fails(db, zDb, "b_no_table",
                     "migrate_alter_table(nosuch): there is no table nosuch in the main "
                     "database; migrate_alter_table() changes an existing table (create a new "
                     "one with CREATE TABLE)");
  assert_alter_fails(db, zDb, "b_bad_json",
                     "migrate_alter_table(plain): the column mapping is not JSON (malformed "
                     "JSON); give an object such as '{\"new_name\": \"old_name\", \"price\": "
                     "\"CAST(price AS INTEGER)\"}'");
  assert_alter_fails(db, zDb, "b_bad_column",
                     "migrate_alter_table(plain): the mapping names column d, which the new "
                     "table does not have (its columns: a, b, c)");
  assert_alter_fails(db, zDb, "b_bad_expr",
                     "migrate_alter_table(plain): the mapping for b, \"no_such_function(a)\", "
                     "is not an expression over the columns of plain: no such function: "
                     "no_such_function");
  assert_alter_fails(db, zDb, "b_not_null",
                     "migrate_alter_table(plain): copying the rows failed: NOT NULL constraint "
                     "failed: plain.d\n"
                     "  give the new column a DEFAULT, or fill it through the mapping, as in "
                     "'{\"column\": \"expression\"}'");
  assert_alter_fails(db, zDb, "b_bookkeeping",
                     "migrate_alter_table(alembic_version): distmigrate keeps alembic_version "
                     "itself; a migration must not alter it");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

/* ---- the seed's patterns ---------------------------------------------------------- */

/* A database at 002 with questions, responses (some not evaluated) and
** invalid responses, made with recursive CTEs. */
static sqlite3 *patterns_db(const char *zName) {
  char *zDb = h_fresh(zName);
  sqlite3 *db = h_open(zDb, "patterns");
  sqlite3_free(zDb);
  h_assert_text(db, "SELECT migrate_upgrade('002')", "002_add_invalid_responses");
  h_exec(db,
         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200) "
         "INSERT INTO questions (id, json_id, category, question_text, golden_answer, "
         "answer_schema, created_at, updated_at) "
         "SELECT i, iif(i % 10 = 0, NULL, 'q-' || i), 'category ' || (i % 7), "
         "'What is ' || i || ' + ' || i || '? ' || printf('%.*c', i % 50, 'x'), "
         "iif(i % 3 = 0, NULL, i + i), '{\"type\": \"integer\"}', "
         "datetime('2024-01-01', '+' || i || ' minutes'), "
         "datetime('2024-01-02', '+' || i || ' minutes') FROM n;"
         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) "
         "INSERT INTO responses (id, question_id, model_name, model_config, reasoning, "
         "answer, is_correct, created_at, updated_at) "
         "SELECT i, 1 + i % 200, 'model-' || (i % 3), '{\"temperature\": 0.' || (i % 9) || '}', "
         "iif(i % 4 = 0, NULL, 'because ' || i), 'answer ' || i, "
         "CASE i % 3 WHEN 0 THEN NULL WHEN 1 THEN 1 ELSE 0 END, "
         "datetime('2024-02-01', '+' || i || ' seconds'), "
         "datetime('2024-02-02', '+' || i || ' seconds') FROM n;"
         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50) "
         "INSERT INTO invalid_responses (question_id, model_name, model_config, answer, "
         "validation_error, error_type, created_at, updated_at) "
         "SELECT 1 + i % 200, 'model-x', '{}', 'not json ' || i, 'Expecting value', "
         "'JSON_PARSE_ERROR', '2024-03-01', '2024-03-01' FROM n;");
  return db;
}

static const char *zQuestionCols =
    "id, json_id, category, question_text, golden_answer, answer_schema, created_at, "
    "updated_at";
static const char *zResponseCols =
    "id, question_id, model_name, model_config, reasoning, answer, is_correct, created_at, "
    "updated_at";
static const char *zInvalidCols =
    "id, question_id, model_name, model_config, reasoning, answer, validation_error, "
    "error_type, created_at, updated_at";

typedef struct Prints Prints;
struct Prints {
  char *zQuestions;
  char *zResponses;
  char *zInvalid;
};

static Prints prints(sqlite3 *db, int bMoved) {
  Prints p;
  p.zQuestions = fingerprint(db, "questions", zQuestionCols, "id");
  /* After 005 the evaluations live in response_evaluations. */
  p.zResponses = bMoved
                     ? fingerprint(db,
                                   "responses r LEFT JOIN response_evaluations e "
                                   "ON e.response_id = r.id",
                                   "r.id, r.question_id, r.model_name, r.model_config, "
                                   "r.reasoning, r.answer, e.is_correct, r.created_at, "
                                   "r.updated_at",
                                   "r.id")
                     : fingerprint(db, "responses", zResponseCols, "id");
  p.zInvalid = fingerprint(db, "invalid_responses", zInvalidCols, "id");
  return p;
}

static void assert_prints(Prints a, Prints b) {
  assert_same_text(a.zQuestions, b.zQuestions);
  assert_same_text(a.zResponses, b.zResponses);
  assert_same_text(a.zInvalid, b.zInvalid);
}

static void prints_free(Prints p) {
  sqlite3_free(p.zQuestions);
  sqlite3_free(p.zResponses);
  sqlite3_free(p.zInvalid);
}

static void assert_healthy(sqlite3 *db) {
  h_assert_text(db, "PRAGMA integrity_check", "ok");
  h_assert_text(db, "SELECT count(*) FROM pragma_foreign_key_check", "0");
  h_assert_text(db, "PRAGMA foreign_keys", "1");
}

/*
** Up through 003, 004, 005 and back down, under the caller's foreign_keys
** = ON: every pre-existing value, every child row, and the schema at 002.
** bDefensive: the same where the writable_schema edit is forbidden.
*/
static void patterns_round_trip(const char *zName, int bDefensive) {
  sqlite3 *db = patterns_db(zName);
  if (bDefensive) sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, 0);
  h_exec(db, "PRAGMA foreign_keys = ON");
  char *zSchema = h_schema(db);
  Prints start = prints(db, 0);
  char *zRoot = rootpage(db, "questions");
  h_assert_text(db, "SELECT count(*) || ' ' || sum(is_correct IS NOT NULL) FROM responses",
                "1000 667");

  h_assert_text(db, "SELECT migrate_upgrade('+1')", "003_add_new_field");
  Prints p = prints(db, 0);
  assert_prints(start, p);
  prints_free(p);
  h_assert_text(db, "SELECT count(*) FROM questions WHERE new_field = 'default_value'", "200");
  char *zRoot3 = rootpage(db, "questions");
  assert_string_equal(zRoot, zRoot3); /* ADD COLUMN, defensive or not */
  assert_healthy(db);

  h_assert_text(db, "SELECT migrate_upgrade('+1')", "004_widen_category");
  p = prints(db, 0);
  assert_prints(start, p);
  prints_free(p);
  h_assert_text(db, "SELECT type FROM pragma_table_info('questions') WHERE name = 'category'",
                "VARCHAR(200)");
  char *zRoot4 = rootpage(db, "questions");
  if (bDefensive) {
    assert_string_not_equal(zRoot, zRoot4); /* rebuilt */
  } else {
    assert_string_equal(zRoot, zRoot4);
  }
  assert_healthy(db);

  h_assert_text(db, "SELECT migrate_upgrade('+1')", "005_move_evaluations");
  p = prints(db, 1);
  assert_prints(start, p);
  prints_free(p);
  h_assert_text(db, "SELECT count(*) FROM response_evaluations", "667");
  h_assert_text(db, "SELECT count(*) FROM pragma_table_info('responses') WHERE name = 'is_correct'",
                "0");
  assert_healthy(db);

  h_assert_text(db, "SELECT migrate_downgrade('002')", "002_add_invalid_responses");
  p = prints(db, 0);
  assert_prints(start, p);
  prints_free(p);
  assert_healthy(db);
  char *zSchemaAfter = h_schema(db);
  if (bDefensive) {
    /* The rebuilt tables' names come back quoted by SQLite's RENAME. */
    h_assert_text(db, "SELECT group_concat(name) FROM (SELECT name FROM sqlite_schema "
                      "WHERE sql LIKE 'CREATE TABLE \"%' ORDER BY name)",
                  "questions,responses");
  } else {
    assert_same_text(zSchema, zSchemaAfter);
  }
  sqlite3_free(zSchema);
  sqlite3_free(zSchemaAfter);
  sqlite3_free(zRoot);
  sqlite3_free(zRoot3);
  sqlite3_free(zRoot4);
  prints_free(start);
  sqlite3_close(db);
}

static void test_patterns_keep_every_row_under_foreign_keys(void **state) {
  (void)state;
  patterns_round_trip("patterns.db", 0);
}

static void test_patterns_keep_every_row_in_defensive_mode(void **state) {
  (void)state;
  patterns_round_trip("patterns-defensive.db", 1);
}

static void test_patterns_strategies(void **state) {
  (void)state;
  sqlite3 *db = patterns_db("patterns-verbose.db");
  h_exec(db, "PRAGMA foreign_keys = ON");
  char *zLog = upgrade_verbose(db, "003_add_new_field");
  assert_strategy(zLog, "questions",
                  "alter table (no copy): add column new_field, which SQLite's ALTER TABLE "
                  "does without copying the table; the given text differs from ALTER TABLE's "
                  "only in layout: the writable_schema edit stores it verbatim");
  assert_contains(zLog, "migrate_alter_table(questions): add column new_field: ALTER TABLE ADD COLUMN");
  assert_lacks(zLog, "rebuild");
  assert_lacks(zLog, "whole-database foreign_key_check (");
  sqlite3_free(zLog);
  zLog = upgrade_verbose(db, "004_widen_category");
  assert_strategy(zLog, "questions",
                  "writable_schema (no copy): declared types only, within their affinity: "
                  "category VARCHAR(100) -> VARCHAR(200) (TEXT affinity); every stored value "
                  "stays valid, and the writable_schema edit changes the declaration");
  assert_lacks(zLog, "rebuild");
  sqlite3_free(zLog);
  zLog = upgrade_verbose(db, "005_move_evaluations");
  assert_strategy(zLog, "responses",
                  "alter table (no copy): drop column is_correct, which SQLite's ALTER TABLE "
                  "does without copying the table");
  assert_contains(zLog, "migrate_alter_table(responses): drop column is_correct: ALTER TABLE "
                        "DROP COLUMN (rewrites the rows in place)");
  assert_lacks(zLog, "rebuild");
  /* 005's own INSERT ... SELECT wrote: the runner checks the whole database. */
  assert_contains(zLog, "INFO  [distmigrate] whole-database foreign_key_check (a migration "
                        "statement wrote): no violations, ");
  sqlite3_free(zLog);
  run(db, "SELECT migrate_verbose(1)");
  capture_begin();
  run(db, "SELECT migrate_downgrade(-1)");
  zLog = capture_end();
  assert_strategy(zLog, "responses",
                  "rebuild (copy the rows into a new table): the mapping computes is_correct "
                  "((SELECT e.is_correct FROM response_evaluations e WHERE e.response_id = "
                  "responses.id))");
  assert_contains(zLog, "migrate_alter_table(responses): copied 1000 rows in one INSERT ... "
                        "SELECT");
  assert_contains(zLog, "migrate_alter_table(responses): foreign_key_check(response_evaluations) "
                        "not run over the rows: the keys it refers to hold the same values as "
                        "before");
  sqlite3_free(zLog);
  sqlite3_close(db);
}

/*
** The main schema has no view or trigger, a TEMP view uses the table: the
** rebuild still runs SQLite's check of the schema, which covers temp.
*/
static void test_temp_view_is_checked_around_a_rebuild(void **state) {
  (void)state;
  sqlite3 *db = patterns_db("patterns-temp-view.db");
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, 0); /* 004 rebuilds */
  h_assert_text(db, "SELECT migrate_upgrade('003')", "003_add_new_field");
  h_exec(db, "CREATE TEMP VIEW recent AS SELECT nosuch FROM questions");
  char *zErr = h_error(db, "SELECT migrate_upgrade('004')", 0);
  const char *zWant =
      "upgrade 003_add_new_field -> 004_widen_category failed: migrate_alter_table(questions): "
      "the schema fails SQLite's check before any change: error in view recent: no such "
      "column: nosuch\n"
      "  SQLite's ALTER TABLE cannot work while a view or trigger is broken: drop or repair "
      "it first\n"
      "  at tests/fixtures/patterns/004_widen_category.sql:16: ";
  if (strncmp(zErr, zWant, strlen(zWant)) != 0) fail_msg("error: %s\nwant: %s", zErr, zWant);
  sqlite3_free(zErr);
  h_assert_text(db, "SELECT migrate_current()", "003_add_new_field");
  /* Repaired, the rebuild goes ahead and the view reads the new table. */
  h_exec(db, "DROP VIEW temp.recent;"
             "CREATE TEMP VIEW recent AS SELECT id, category FROM questions");
  h_assert_text(db, "SELECT migrate_upgrade('004')", "004_widen_category");
  h_assert_text(db, "SELECT count(*) || ' ' || max(id) FROM temp.recent", "200 200");
  sqlite3_close(db);
}

/* Up one, down one, up one, for each revision: the schema comes back. */
static void test_stairway_patterns(void **state) {
  (void)state;
  char *zDb = h_fresh("patterns-stairway.db");
  sqlite3 *db = h_open(zDb, "patterns");
  h_assert_text(db, "SELECT migrate_stamp('base')", "NULL");
  for (int i = 0; i < 5; i++) {
    char *zBefore = h_schema(db);
    run(db, "SELECT migrate_upgrade('+1')");
    char *zUp = h_schema(db);
    run(db, "SELECT migrate_downgrade(-1)");
    char *zDown = h_schema(db);
    assert_same_text(zBefore, zDown);
    run(db, "SELECT migrate_upgrade('+1')");
    char *zAgain = h_schema(db);
    assert_same_text(zUp, zAgain);
    sqlite3_free(zBefore);
    sqlite3_free(zUp);
    sqlite3_free(zDown);
    sqlite3_free(zAgain);
  }
  h_assert_text(db, "SELECT migrate_current()", "005_move_evaluations");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_alter_outside_a_run_is_refused),
      cmocka_unit_test(test_added_column_uses_alter_table_without_copy),
      cmocka_unit_test(test_widened_varchar_edits_the_schema_without_copy),
      cmocka_unit_test(test_renamed_column_carries_into_index_view_and_trigger),
      cmocka_unit_test(test_dropped_column_uses_alter_table_and_keeps_rowids),
      cmocka_unit_test(test_unchanged_table_is_left_alone),
      cmocka_unit_test(test_comment_left_open_at_the_end_is_a_comment),
      cmocka_unit_test(test_malformed_blob_is_an_unrecognized_token),
      cmocka_unit_test(test_layout_only_change_stores_the_given_text),
      cmocka_unit_test(test_non_constant_default_is_added_by_rebuild),
      cmocka_unit_test(test_stored_generated_column_is_added_by_rebuild),
      cmocka_unit_test(test_references_column_with_default_under_foreign_keys),
      cmocka_unit_test(test_table_that_takes_no_row_of_zeros_is_rebuilt),
      cmocka_unit_test(test_rebuild_keeps_view_trigger_index_referrers_and_rows),
      cmocka_unit_test(test_rebuild_keeps_rowids_of_a_table_without_integer_key),
      cmocka_unit_test(test_rebuild_of_self_referencing_table_points_at_the_final_table),
      cmocka_unit_test(test_rebuild_of_without_rowid_table),
      cmocka_unit_test(test_rebuild_keeps_the_autoincrement_sequence),
      cmocka_unit_test(test_view_that_no_longer_applies_fails_clearly),
      cmocka_unit_test(test_view_broken_before_a_rebuild_fails_clearly),
      cmocka_unit_test(test_trigger_that_no_longer_applies_fails_clearly),
      cmocka_unit_test(test_index_that_no_longer_applies_fails_clearly),
      cmocka_unit_test(test_loosened_rules_are_an_edit_without_copy),
      cmocka_unit_test(test_tightened_rule_every_row_keeps_is_an_edit_after_one_scan),
      cmocka_unit_test(test_tightened_rules_rows_break_fail_naming_the_rows),
      cmocka_unit_test(test_default_change_keeps_rows_stored_before_add_column),
      cmocka_unit_test(test_default_change_on_a_table_with_triggers_is_a_rebuild),
      cmocka_unit_test(test_defensive_mode_copies_for_rule_changes),
      cmocka_unit_test(test_collation_change_is_an_edit_unless_an_index_orders_by_it),
      cmocka_unit_test(test_foreign_key_added_by_the_edit_is_checked),
      cmocka_unit_test(test_wal_reader_reads_the_old_table_throughout_a_rebuild),
      cmocka_unit_test(test_scoped_check_finds_changed_child_values),
      cmocka_unit_test(test_scoped_check_finds_changed_parent_keys),
      cmocka_unit_test(test_dropping_a_key_a_foreign_key_uses_fails),
      cmocka_unit_test(test_plain_writes_keep_the_whole_database_check),
      cmocka_unit_test(test_rebuild_refused_inside_transaction_with_foreign_keys_on),
      cmocka_unit_test(test_defensive_mode_rebuilds_instead_of_editing),
      cmocka_unit_test(test_bad_calls_fail_with_what_to_do),
      cmocka_unit_test(test_patterns_keep_every_row_under_foreign_keys),
      cmocka_unit_test(test_patterns_keep_every_row_in_defensive_mode),
      cmocka_unit_test(test_patterns_strategies),
      cmocka_unit_test(test_temp_view_is_checked_around_a_rebuild),
      cmocka_unit_test(test_stairway_patterns),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
