/*
** Verbose mode's progress lines on a slow fixture: the phases of a long
** step (copy, index build, verifying scan, the foreign-key check), each with
** what is done of how much, once a second; the statement once; a line
** redrawn in place on a terminal; "done in" for the whole call.
**
** The fixture is slow by design, not by size: test_slow() (in a CHECK and
** an index of the table) and the collation slowcoll (on the key a foreign
** key refers to) sleep when the test says so, a millisecond a row. They are
** on every connection of the process (sqlite3_auto_extension), the private
** ones migrate_alter_table() proves its plan on included.
*/
#define _XOPEN_SOURCE 700

#include <fcntl.h>
#include <termios.h>
#include <time.h>

#include "sets.h"

/* ---- the slow fixture -------------------------------------------------------- */

static int iSlowUs = 0; /* test_slow()'s sleep, each call */
static int iCollUs = 0; /* slowcoll's, each comparison */

static void nap(int us) {
  struct timespec t = {us / 1000000, (long)(us % 1000000) * 1000L};
  nanosleep(&t, 0);
}

/* True but for -1, slowly. */
static void slow_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  if (iSlowUs) nap(iSlowUs);
  sqlite3_result_int(ctx, sqlite3_value_int(argv[0]) != -1);
}

static int slow_coll(void *pArg, int n1, const void *z1, int n2, const void *z2) {
  (void)pArg;
  if (iCollUs) nap(iCollUs);
  int c = memcmp(z1, z2, (size_t)(n1 < n2 ? n1 : n2));
  return c ? c : n1 - n2;
}

static int add_slow(sqlite3 *db, char **pzErr, const void *pApi) {
  (void)pzErr;
  (void)pApi;
  sqlite3_create_function(db, "test_slow", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, 0, slow_func,
                          0, 0);
  sqlite3_create_collation(db, "slowcoll", SQLITE_UTF8, 0, slow_coll);
  return SQLITE_OK;
}

#define N_ROWS 1200

static char *zExt = 0;

/*
** p1 makes the tables (1200 rows in t and in t2), p2 rebuilds t (x changes affinity: a
** copy, then its index), p3 adds a CHECK (a verifying scan), p4 writes a
** row, so that the run checks every foreign key before it commits.
*/
static int build_progress_set(void **state) {
  (void)state;
  sqlite3_auto_extension((void (*)(void))add_slow);
  char *zDir = empty_dir("progress");
  write_migration(zDir, "p1_tables", "",
                  "CREATE TABLE parent (k TEXT PRIMARY KEY COLLATE slowcoll);\n"
                  "INSERT INTO parent VALUES ('a'), ('b'), ('c'), ('d');\n"
                  "CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER, k TEXT REFERENCES parent (k));\n"
                  "CREATE INDEX t_slow ON t (test_slow(x));\n"
                  "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)\n"
                  "INSERT INTO t (id, x, k) SELECT i, i, char(97 + i % 4) FROM n;\n"
                  "CREATE TABLE t2 (id INTEGER PRIMARY KEY, k TEXT REFERENCES parent (k));\n"
                  "INSERT INTO t2 (id, k) SELECT id, k FROM t;",
                  "DROP TABLE t2;\nDROP TABLE t;\nDROP TABLE parent;");
  write_migration(zDir, "p2_rebuild", "p1_tables",
                  "SELECT migrate_alter_table('CREATE TABLE t (\n"
                  "    id INTEGER PRIMARY KEY,\n"
                  "    x TEXT CHECK (test_slow(x)),\n"
                  "    k TEXT REFERENCES parent (k)\n"
                  ")');",
                  "SELECT migrate_alter_table('CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER, "
                  "k TEXT REFERENCES parent (k))');");
  write_migration(zDir, "p3_tighten", "p2_rebuild",
                  "SELECT migrate_alter_table('CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT "
                  "CHECK (test_slow(x)), k TEXT REFERENCES parent (k), CHECK (test_slow(id)))');",
                  "SELECT migrate_alter_table('CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT "
                  "CHECK (test_slow(x)), k TEXT REFERENCES parent (k))');");
  write_migration(zDir, "p4_write", "p3_tighten", "INSERT INTO parent VALUES ('e');",
                  "DELETE FROM parent WHERE k = 'e';");
  zExt = build_set(zDir);
  sqlite3_free(zDir);
  return 0;
}

static int free_progress_set(void **state) {
  (void)state;
  sqlite3_free(zExt);
  sqlite3_reset_auto_extension();
  return 0;
}

/* A database at zRev, reached with the fixture fast; verbose from here on. */
static sqlite3 *db_at(const char *zName, const char *zRev) {
  char *zDb = h_fresh(zName);
  sqlite3 *db = open_with(zDb, zExt);
  sqlite3_free(zDb);
  char *zSql = sqlite3_mprintf("SELECT migrate_upgrade('%q')", zRev);
  h_assert_text(db, zSql, zRev);
  sqlite3_free(zSql);
  h_assert_text(db, "SELECT migrate_verbose(1)", "0");
  return db;
}

/* ---- reading the lines ------------------------------------------------------- */

static int iSavedStderr = -1;

/* stderr into fd while a call runs. */
static void capture_to(int fd) {
  fflush(stderr);
  iSavedStderr = dup(2);
  dup2(fd, 2);
}

static void capture_stop(void) {
  fflush(stderr);
  dup2(iSavedStderr, 2);
  close(iSavedStderr);
}

/*
** Call zSql with stderr in a file; the file's text. zSql must give zWant,
** or, if zWant is 0, fail with zWantErr.
*/
static char *stderr_of_call(sqlite3 *db, const char *zSql, const char *zWant,
                            const char *zWantErr) {
  char *zPath = h_path("stderr.txt");
  int fd = open(zPath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) fail_msg("cannot open %s", zPath);
  capture_to(fd);
  close(fd);
  char *zGot = zWant ? h_text(db, zSql) : h_error(db, zSql, 0);
  capture_stop();
  assert_string_equal(zGot, zWant ? zWant : zWantErr);
  sqlite3_free(zGot);
  char *z = read_text(zPath);
  sqlite3_free(zPath);
  return z;
}

/*
** The lines' shape: every number "#", and a line the same as the one
** before it once (how many ticks a phase gets depends on the machine).
*/
static char *shape(const char *z) {
  sqlite3_str *pOut = sqlite3_str_new(0);
  char zPrev[400] = "", zLine[400];
  while (*z) {
    int n = 0;
    for (; *z && *z != '\n'; z++) {
      if (*z >= '0' && *z <= '9') {
        while (z[1] >= '0' && z[1] <= '9') z++;
        if (n < 398) zLine[n++] = '#';
      } else if (n < 398) {
        zLine[n++] = *z;
      }
    }
    if (*z == '\n') z++;
    zLine[n] = 0;
    if (strcmp(zLine, zPrev) != 0) sqlite3_str_appendf(pOut, "%s\n", zLine);
    memcpy(zPrev, zLine, (size_t)n + 1);
  }
  return sqlite3_str_finish(pOut);
}

static char *stderr_of(sqlite3 *db, const char *zSql, const char *zWant) {
  return stderr_of_call(db, zSql, zWant, 0);
}

#define assert_shape(zGot, zWant)                                              \
  do {                                                                         \
    char *zShape_ = shape(zGot);                                               \
    if (strcmp(zShape_, (zWant)) != 0) {                                       \
      fail_msg("gave:\n%s\nshape:\n%s\nwant:\n%s", (zGot), zShape_, (zWant)); \
    }                                                                          \
    sqlite3_free(zShape_);                                                     \
  } while (0)

/*
** Every tick of the counted phase zPhase ("copy t") in z: its figures must
** agree (done of total, the share, a rate, time left while rows are left).
** Returns how many ticks there were.
*/
static int check_counted_ticks(const char *z, const char *zPhase, long long nTotal) {
  char *zHead = sqlite3_mprintf("INFO  [distmigrate]   %s: ", zPhase);
  int nTick = 0;
  for (const char *p = strstr(z, zHead); p; p = strstr(p + 1, zHead)) {
    long long nDone = 0, nOf = 0, nRate = 0;
    int iPct = 0;
    double rEta = 0;
    const char *zAt = p + strlen(zHead);
    if (*zAt == '[') zAt = strchr(zAt, ']') + 2;
    int nGot = sscanf(zAt, "%lld of %lld rows (%d%%), %lld rows/s, ETA %lf s", &nDone, &nOf,
                      &iPct, &nRate, &rEta);
    if (nGot != 5) fail_msg("tick %d of %s does not read as it should:\n%s", nTick + 1, zPhase, p);
    assert_int_equal(nOf, nTotal);
    assert_true(nDone > 0 && nDone < nTotal);
    assert_int_equal(iPct, (int)(100 * nDone / nTotal));
    assert_true(nRate > 0);
    assert_true(rEta > 0);
    nTick++;
  }
  sqlite3_free(zHead);
  return nTick;
}

/* ---- the phases ---------------------------------------------------------------- */

static const char zRebuildWant[] =
    "INFO  [distmigrate] Running upgrade p#_tables -> p#_rebuild, Test revision p#_rebuild\n"
    "INFO  [distmigrate] migrate_alter_table(t): strategy rebuild (copy the rows into a new "
    "table): column x changes affinity (INTEGER INTEGER -> TEXT TEXT)\n"
    "INFO  [distmigrate]   statement #: SELECT migrate_alter_table('CREATE TABLE t (id INTEGER "
    "PRIMARY KEY, x TEXT CHECK...\n"
    "INFO  [distmigrate]   copy t: # of # rows (#%), # rows/s, ETA #.# s\n"
    "INFO  [distmigrate]   index build t: index # of # (t_slow), # of # rows (#%), #.# s\n"
    "INFO  [distmigrate] migrate_alter_table(t): copied # rows in one INSERT ... SELECT (no "
    "separate rowid), #.# ms; recreated # indexes and triggers\n"
    "INFO  [distmigrate] migrate_alter_table(t): writable_schema edit: sqlite_schema holds the "
    "given text, schema_version # -> #, the table reads back\n"
    "INFO  [distmigrate]   step done in #.# ms\n"
    "INFO  [distmigrate] done in #.# s\n";

/*
** A rebuild that takes seconds: the statement once, then the copy with its
** rows and the index build with its indexes, and the call's time at the end.
*/
static void test_rebuild_shows_the_copy_and_the_index_build(void **state) {
  (void)state;
  sqlite3 *db = db_at("rebuild.db", "p1_tables");
  iSlowUs = 1000;
  char *zOut = stderr_of(db, "SELECT migrate_upgrade('+1')", "p2_rebuild");
  iSlowUs = 0;
  assert_shape(zOut, zRebuildWant);
  assert_true(check_counted_ticks(zOut, "copy t", N_ROWS) >= 1);
  assert_non_null(strstr(zOut, "index build t: index 1 of 1 (t_slow), 0 of 1200 rows (0%), "));
  assert_non_null(strstr(zOut, "copied 1200 rows in one INSERT"));
  /* The statement once, however many ticks. */
  char *zSecond = strstr(strstr(zOut, "statement 1:") + 1, "statement 1:");
  assert_null(zSecond);
  h_assert_text(db, "SELECT count(*) || ' ' || sum(typeof(x) = 'text') FROM t", "1200 1200");
  h_assert_text(db, "PRAGMA integrity_check", "ok");
  sqlite3_free(zOut);
  sqlite3_close(db);
}

/* How p3's step starts, with its strategy: the lines before the scan. */
#define TIGHTEN_START                                                                   \
  "INFO  [distmigrate] Running upgrade p#_rebuild -> p#_tighten, Test revision "        \
  "p#_tighten\n"                                                                        \
  "INFO  [distmigrate] migrate_alter_table(t): strategy writable_schema (no copy): add " \
  "CHECK (test_slow(id)): the writable_schema edit changes the declaration, after "      \
  "one read of the table finds no row that breaks a tighter rule\n"

/* A tightened rule: the verifying scan counts the rows it has read. */
static void test_tightening_shows_the_verifying_scan(void **state) {
  (void)state;
  sqlite3 *db = db_at("scan.db", "p2_rebuild");
  iSlowUs = 1000;
  char *zOut = stderr_of(db, "SELECT migrate_upgrade('+1')", "p3_tighten");
  iSlowUs = 0;
  assert_shape(zOut,
               TIGHTEN_START
               "INFO  [distmigrate]   statement #: SELECT migrate_alter_table('CREATE TABLE t "
               "(id INTEGER PRIMARY KEY, x TEXT CHECK...\n"
               "INFO  [distmigrate]   verifying scan t: # of # rows (#%), # rows/s, ETA #.# s\n"
               "INFO  [distmigrate] migrate_alter_table(t): verifying scan: no row breaks the # "
               "tighter rule, #.# ms\n"
               "INFO  [distmigrate] migrate_alter_table(t): writable_schema edit: sqlite_schema "
               "holds the given text, schema_version # -> #, the table reads back\n"
               "INFO  [distmigrate]   step done in #.# ms\n"
               "INFO  [distmigrate] done in #.# s\n");
  assert_true(check_counted_ticks(zOut, "verifying scan t", N_ROWS) >= 1);
  sqlite3_free(zOut);
  sqlite3_close(db);
}

/*
** The whole-database foreign-key check after the steps is a phase of its
** own, table by table (by name: t, then t2), with its own time.
*/
static void test_foreign_key_check_is_its_own_phase(void **state) {
  (void)state;
  sqlite3 *db = db_at("fk.db", "p3_tighten");
  h_exec(db, "PRAGMA foreign_keys = ON");
  iCollUs = 400;
  char *zOut = stderr_of(db, "SELECT migrate_upgrade('+1')", "p4_write");
  iCollUs = 0;
  assert_shape(zOut,
               "INFO  [distmigrate] Running upgrade p#_tighten -> p#_write, Test revision "
               "p#_write\n"
               "INFO  [distmigrate]   step done in #.# ms\n"
               "INFO  [distmigrate]   foreign-key check: table # of # (t), # of # rows (#%), "
               "#.# s\n"
               "INFO  [distmigrate]   foreign-key check: table # of # (t#), # of # rows (#%), # "
               "rows/s, ETA #.# s\n"
               "INFO  [distmigrate] whole-database foreign_key_check (a migration statement "
               "wrote): no violations, #.# ms\n"
               "INFO  [distmigrate] done in #.# s\n");
  /* Rows are done a table at a time: the rate comes with the second. */
  assert_non_null(strstr(zOut, "foreign-key check: table 1 of 2 (t), 0 of 2400 rows (0%), 1."));
  assert_non_null(strstr(zOut, "foreign-key check: table 2 of 2 (t2), 1200 of 2400 rows (50%), "));
  sqlite3_free(zOut);
  sqlite3_close(db);
}

/* ---- on a terminal ------------------------------------------------------------ */

/*
** What a terminal shows after z: "\r" goes back to the line's start, ESC [K
** erases to its end.
*/
static char *screen_of(const char *z) {
  sqlite3_str *pOut = sqlite3_str_new(0);
  char zLine[1000];
  int n = 0, iCol = 0;
  for (; *z; z++) {
    if (*z == '\n') {
      zLine[n] = 0;
      sqlite3_str_appendf(pOut, "%s\n", zLine);
      n = iCol = 0;
    } else if (*z == '\r') {
      iCol = 0;
    } else if (strncmp(z, "\033[K", 3) == 0) {
      n = iCol;
      z += 2;
    } else if (iCol < (int)sizeof(zLine) - 1) {
      zLine[iCol++] = *z;
      if (iCol > n) n = iCol;
    }
  }
  zLine[n] = 0;
  sqlite3_str_appendall(pOut, zLine);
  return sqlite3_str_finish(pOut);
}

/* A pseudo-terminal for stderr: its master side, and the slave in *pfd. */
static int open_terminal(int *pfd) {
  int fdMaster = posix_openpt(O_RDWR | O_NOCTTY);
  if (fdMaster < 0 || grantpt(fdMaster) || unlockpt(fdMaster)) fail_msg("no pseudo-terminal");
  int fd = open(ptsname(fdMaster), O_RDWR | O_NOCTTY);
  if (fd < 0) fail_msg("cannot open %s", ptsname(fdMaster));
  struct termios t;
  tcgetattr(fd, &t);
  t.c_oflag &= ~(tcflag_t)OPOST; /* "\n" stays "\n" */
  tcsetattr(fd, TCSANOW, &t);
  *pfd = fd;
  return fdMaster;
}

static char *read_all(int fd) {
  sqlite3_str *pOut = sqlite3_str_new(0);
  fcntl(fd, F_SETFL, O_NONBLOCK);
  char a[4096];
  ssize_t n;
  while ((n = read(fd, a, sizeof(a))) > 0) sqlite3_str_append(pOut, a, (int)n);
  return sqlite3_str_finish(pOut);
}

/*
** On a terminal the tick is one line redrawn in place, with a bar; what
** stays on the screen is the log without the ticks.
*/
static void test_terminal_redraws_one_line_with_a_bar(void **state) {
  (void)state;
  sqlite3 *db = db_at("tty.db", "p1_tables");
  int fdSlave = -1;
  int fdMaster = open_terminal(&fdSlave);
  iSlowUs = 1000;
  capture_to(fdSlave);
  char *zGot = h_text(db, "SELECT migrate_upgrade('+1')");
  capture_stop();
  iSlowUs = 0;
  close(fdSlave);
  assert_string_equal(zGot, "p2_rebuild");
  char *zRaw = read_all(fdMaster);
  close(fdMaster);
  /* The bar was drawn: twenty marks, then the figures. */
  const char *zBar = strstr(zRaw, "\rINFO  [distmigrate]   copy t: [");
  assert_non_null(zBar);
  zBar += strlen("\rINFO  [distmigrate]   copy t: [");
  assert_int_equal(strspn(zBar, "#-"), 20);
  assert_true(check_counted_ticks(zRaw, "copy t", N_ROWS) >= 1);
  /* No tick ends a line: each is erased before the next line. */
  char *zScreen = screen_of(zRaw);
  char *zWant = sqlite3_mprintf("%s", zRebuildWant);
  /* The screen has the file's lines but the ticks. */
  char *zShape = shape(zScreen);
  const char *azTick[] = {"INFO  [distmigrate]   copy t: # of # rows (#%), # rows/s, ETA #.# s\n",
                          "INFO  [distmigrate]   index build t: index # of # (t_slow), # of # rows "
                          "(#%), #.# s\n"};
  for (int i = 0; i < 2; i++) {
    char *zAt = strstr(zWant, azTick[i]);
    assert_non_null(zAt);
    memmove(zAt, zAt + strlen(azTick[i]), strlen(zAt + strlen(azTick[i])) + 1);
  }
  if (strcmp(zShape, zWant) != 0) fail_msg("screen:\n%s\nwant:\n%s", zShape, zWant);
  sqlite3_free(zShape);
  sqlite3_free(zWant);
  sqlite3_free(zScreen);
  sqlite3_free(zRaw);
  sqlite3_free(zGot);
  sqlite3_close(db);
}

/* ---- not verbose --------------------------------------------------------------- */

/*
** A run that fails in a phase says how long it ran, and the database file
** is as it was.
*/
static void test_failed_run_says_how_long_and_changes_nothing(void **state) {
  (void)state;
  char *zDb = h_fresh("failed.db");
  sqlite3 *db = db_at("failed.db", "p2_rebuild");
  h_exec(db, "INSERT INTO t (id, x, k) VALUES (-1, 'breaks', 'a')");
  HFile before = h_file(zDb);
  char *zDir = h_path("progress");
  char *zErr = sqlite3_mprintf(
      "upgrade p2_rebuild -> p3_tighten failed: migrate_alter_table(t): a row of t breaks the "
      "new rules, so nothing was changed:\n"
      "  rowid -1: CHECK (test_slow(id)); id=-1, x='breaks', k='a'\n"
      "  fix those rows in the migration before the call (UPDATE or DELETE them), or keep the "
      "old rule\n"
      "  at %s/p3_tighten.sql:8: SELECT migrate_alter_table('CREATE TABLE t (id INTEGER PRIMARY "
      "KEY, x TEXT CHECK (test_slow(x)), k TEXT REFERENCES parent (k), CHECK "
      "(test_slow(id)))');\n"
      "  the run was rolled back: the database is still at p2_rebuild",
      zDir);
  char *zOut = stderr_of_call(db, "SELECT migrate_upgrade('+1')", 0, zErr);
  sqlite3_free(zErr);
  sqlite3_free(zDir);
  assert_shape(zOut,
               TIGHTEN_START
               "INFO  [distmigrate] failed after #.# s\n");
  h_assert_file_unchanged(zDb, before);
  free(before.a);
  sqlite3_free(zOut);
  sqlite3_free(zDb);
  sqlite3_close(db);
}

/* ---- not verbose --------------------------------------------------------------- */

/*
** Without verbose mode the same steps print nothing and count nothing, and
** give the schema the verbose run gave.
*/
static void test_quiet_run_prints_nothing(void **state) {
  (void)state;
  sqlite3 *dbVerbose = db_at("loud.db", "p1_tables");
  sqlite3_free(stderr_of(dbVerbose, "SELECT migrate_upgrade('head')", "p4_write"));
  char *zDb = h_fresh("quiet.db");
  sqlite3 *db = open_with(zDb, zExt);
  sqlite3_free(zDb);
  char *zOut = stderr_of(db, "SELECT migrate_upgrade('head')", "p4_write");
  assert_string_equal(zOut, "");
  sqlite3_free(zOut);
  char *zLoud = h_schema(dbVerbose), *zQuiet = h_schema(db);
  assert_string_equal(zQuiet, zLoud);
  sqlite3_free(zLoud);
  sqlite3_free(zQuiet);
  /* Outside a run the function counts nothing and is 0; no view may call it. */
  h_assert_text(db, "SELECT distmigrate_progress_row()", "0");
  h_exec(db, "CREATE VIEW counting AS SELECT distmigrate_progress_row()");
  h_assert_error(db, "SELECT * FROM counting", "unsafe use of distmigrate_progress_row()");
  sqlite3_close(dbVerbose);
  sqlite3_close(db);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rebuild_shows_the_copy_and_the_index_build),
      cmocka_unit_test(test_tightening_shows_the_verifying_scan),
      cmocka_unit_test(test_foreign_key_check_is_its_own_phase),
      cmocka_unit_test(test_terminal_redraws_one_line_with_a_bar),
      cmocka_unit_test(test_failed_run_says_how_long_and_changes_nothing),
      cmocka_unit_test(test_quiet_run_prints_nothing),
  };
  return cmocka_run_group_tests(tests, build_progress_set, free_progress_set);
}
