/*
** The one-transaction promise against careless and hostile input (issue
** 13): statements a migration must not hold, in every spelling; a journal
** that cannot roll back; interrupts at any moment; TEMP objects that shadow
** main; and the messages that must name the true cause. Each case asserts
** the exact message, that nothing changed, and that the connection is back
** in the transaction state it was in.
*/
#include "harness.h"

static const char *zHead = "002_add_invalid_responses";

/* ---- statements a migration must not hold ------------------------------ */

static const char *zTxn =
    "a migration must not control the transaction (BEGIN, COMMIT, END, ROLLBACK, "
    "SAVEPOINT, RELEASE): distmigrate runs the whole run as one transaction and "
    "ends it itself; remove the statement";
static const char *zAttach =
    "a migration must not ATTACH or DETACH a database: a run migrates main alone, "
    "in one transaction, and SQLite cannot attach inside a transaction; move data "
    "between files outside the migrations";
static const char *zVacuum =
    "a migration must not VACUUM: SQLite cannot vacuum inside the run's "
    "transaction; run VACUUM on its own after migrating";
static const char *zMode =
    "a migration must not set journal_mode, locking_mode or writable_schema: the "
    "run must stay able to roll back, and SQLite's guard on the schema must stay "
    "up; set modes outside the migrations, and change a table's definition with "
    "migrate_alter_table()";

typedef struct Refused Refused;
struct Refused {
  const char *zParent;  /* Where the database stands */
  const char *zRev;     /* The revision whose up is refused */
  const char *zReason;
  int iLine;
  const char *zStatement;
};

static const Refused aRefused[] = {
    {"a00_base", "a01_semicolon_commit", 0, 8, "COMMIT;"},
    {"a01_semicolon_commit", "a02_comment_release", 0, 9, "RELEASE distmigrate;"},
    {"a02_comment_release", "a03_lower_begin", 0, 10, "begin immediate;"},
    {"a03_lower_begin", "a04_rollback_to", 0, 9, "ROLLBACK TO distmigrate;"},
    {"a04_rollback_to", "a05_savepoint", 0, 9, "SAVEPOINT inner_one;"},
    {"a05_savepoint", "a06_end", 0, 9, "END TRANSACTION;"},
    {"a06_end", "a07_attach", (const char *)1, 9, "ATTACH ':memory:' AS other;"},
    {"a07_attach", "a08_detach", (const char *)1, 9, "DETACH other;"},
    {"a08_detach", "a09_vacuum", (const char *)2, 9, "VACUUM;"},
    {"a09_vacuum", "a10_journal_off", (const char *)3, 9, "PRAGMA journal_mode=OFF;"},
    {"a10_journal_off", "a11_locking", (const char *)3, 9,
     "PRAGMA main.locking_mode = EXCLUSIVE;"},
    {"a11_locking", "a12_writable", (const char *)3, 9, "PRAGMA \"writable_schema\"=1;"},
};

static const char *reason_of(const Refused *p) {
  switch ((long)p->zReason) {
    case 1: return zAttach;
    case 2: return zVacuum;
    case 3: return zMode;
    default: return zTxn;
  }
}

/* The database stamped at zRev (a stamp runs no migration). */
static sqlite3 *at_revision(const char *zDb, const char *zRev) {
  sqlite3 *db = h_open(zDb, "refused");
  char *zSql = sqlite3_mprintf("SELECT migrate_stamp('%s')", zRev);
  h_assert_text(db, zSql, zRev);
  sqlite3_free(zSql);
  return db;
}

/* Nothing of the refused revision's up is left, and no mode changed. */
static void assert_nothing_of_it(sqlite3 *db, const char *zParent) {
  h_assert_text(db, "SELECT count(*) FROM sqlite_schema WHERE name IN ('t1', 't2')", "0");
  h_assert_text(db, "SELECT migrate_current()", zParent);
  h_assert_text(db, "SELECT count(*) FROM pragma_database_list WHERE name NOT IN ('main', 'temp')",
                "0");
  h_assert_text(db, "PRAGMA main.locking_mode", "normal");
  h_assert_text(db, "PRAGMA main.journal_mode", "delete");
  h_assert_text(db, "PRAGMA writable_schema", "0");
  assert_int_equal(sqlite3_get_autocommit(db), 1);
}

static void test_refused_statements_in_every_spelling_change_nothing(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof(aRefused) / sizeof(aRefused[0]); i++) {
    const Refused *p = &aRefused[i];
    char *zDb = h_fresh("refused.db");
    sqlite3 *db = at_revision(zDb, p->zParent);
    HFile before = h_file(zDb);
    char *zWant = sqlite3_mprintf(
        "upgrade %s -> %s failed: %s\n  at tests/fixtures/refused/%.3s.sql:%d: %s\n"
        "  the run was rolled back: the database is still at %s",
        p->zParent, p->zRev, reason_of(p), p->zRev, p->iLine, p->zStatement, p->zParent);
    h_assert_error(db, "SELECT migrate_upgrade('+1')", zWant);
    char *zRehearsal = h_error(db, "SELECT migrate_upgrade('+1', 'rehearse')", 0);
    char *zTail = strstr(zRehearsal, "a real run would fail: ");
    if (!zTail || strcmp(zTail + 23, zWant) != 0) {
      fail_msg("rehearsal of %s: %s\n  want it to end: %s", p->zRev, zRehearsal, zWant);
    }
    sqlite3_free(zRehearsal);
    assert_nothing_of_it(db, p->zParent);
    sqlite3_close(db);
    h_assert_file_unchanged(zDb, before);
    free(before.a);
    sqlite3_free(zWant);
    sqlite3_free(zDb);
  }
}

static void test_refused_statement_in_callers_transaction_keeps_callers_work(void **state) {
  (void)state;
  char *zDb = h_fresh("refused_txn.db");
  sqlite3 *db = h_open(zDb, "refused");
  h_assert_text(db, "SELECT migrate_upgrade('+1')", "a00_base");
  h_exec(db, "BEGIN; INSERT INTO t0 VALUES ('mine')");
  char *zWant = sqlite3_mprintf(
      "upgrade a00_base -> a01_semicolon_commit failed: %s\n"
      "  at tests/fixtures/refused/a01.sql:8: COMMIT;\n"
      "  the run was rolled back: the database is still at a00_base",
      zTxn);
  h_assert_error(db, "SELECT migrate_upgrade('head')", zWant);
  assert_int_equal(sqlite3_get_autocommit(db), 0);
  h_exec(db, "COMMIT");
  h_assert_text(db, "SELECT group_concat(a) FROM t0", "mine");
  assert_nothing_of_it(db, "a00_base");
  sqlite3_free(zWant);
  sqlite3_close(db);
  sqlite3_free(zDb);
}

static void test_trigger_body_holding_the_words_runs(void **state) {
  (void)state;
  char *zDb = h_fresh("trigger_words.db");
  /* a01 to a12 are refused: stamp past them, then the trigger's revision runs. */
  sqlite3 *db = at_revision(zDb, "a12_writable");
  h_assert_text(db, "SELECT migrate_upgrade('head')", "a13_trigger_words");
  h_assert_text(db, "SELECT group_concat(a) FROM t3", "ok");
  h_assert_text(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name = 'commit'",
                "1");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

/* ---- a journal that cannot roll back ----------------------------------- */

static void test_journal_mode_off_is_refused_before_anything_runs(void **state) {
  (void)state;
  char *zDb = h_fresh("journal_off.db");
  sqlite3 *db = h_open(zDb, "");
  h_assert_text(db, "SELECT migrate_upgrade('001')", "001_initial_schema");
  h_assert_text(db, "PRAGMA journal_mode=OFF", "off");
  HFile before = h_file(zDb);
  static const char *const azCall[] = {"migrate_upgrade('head')", "migrate_downgrade(-1)",
                                       "migrate_stamp('head')",
                                       "migrate_upgrade('head', 'rehearse')"};
  static const char *const azFunc[] = {"migrate_upgrade", "migrate_downgrade", "migrate_stamp",
                                       "migrate_upgrade"};
  for (int i = 0; i < 4; i++) {
    char *zSql = sqlite3_mprintf("SELECT %s", azCall[i]);
    char *zWant = sqlite3_mprintf(
        "%s(): the database's journal_mode is OFF, so SQLite keeps no rollback journal "
        "and could not undo a run that fails half-way; nothing was changed. Run PRAGMA "
        "journal_mode=DELETE (or WAL) on this connection, then migrate",
        azFunc[i]);
    h_assert_error(db, zSql, zWant);
    sqlite3_free(zSql);
    sqlite3_free(zWant);
  }
  h_assert_text(db, "SELECT migrate_current()", "001_initial_schema");
  assert_int_equal(sqlite3_get_autocommit(db), 1);
  sqlite3_close(db);
  h_assert_file_unchanged(zDb, before);
  free(before.a);
  /* The way out the message gives works. */
  db = h_open(zDb, "");
  h_assert_text(db, "PRAGMA journal_mode=OFF", "off");
  h_assert_text(db, "PRAGMA journal_mode=DELETE", "delete");
  h_assert_text(db, "SELECT migrate_upgrade('head')", zHead);
  sqlite3_close(db);
  sqlite3_free(zDb);
}

/* ---- interrupts at any moment ------------------------------------------- */

typedef struct Interrupter Interrupter;
struct Interrupter {
  sqlite3 *db;
  int nCall;   /* Progress callbacks so far */
  int iAt;     /* Interrupt at this one */
  int bAbort;  /* By returning non-zero, not by sqlite3_interrupt() */
};

static int interrupt_at(void *p) {
  Interrupter *pI = p;
  if (++pI->nCall != pI->iAt) return 0;
  if (pI->bAbort) return 1;
  sqlite3_interrupt(pI->db);
  return 0;
}

/* The state a run must leave untouched, as one line. */
static char *interrupt_state(sqlite3 *db) {
  return h_text(db,
                "SELECT (SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_schema "
                "WHERE name NOT LIKE 'sqlite%' ORDER BY name)) || ' / ' || coalesce((SELECT group_concat(version_num) FROM "
                "alembic_version), 'no version') || ' / ' || (SELECT count(*) FROM "
                "distmigrate_log) || ' / ' || (SELECT count(*) FROM mine)");
}

/*
** Interrupt the run at the iAt-th progress callback (every 500 VM steps) of
** an upgrade from zFrom to head; returns 1 when the run completed anyway.
*/
static int interrupted_run(const char *zDb, int bCallerTxn, int bAbort, int iAt) {
  sqlite3 *db = h_open(zDb, "interrupted");
  h_exec(db, bCallerTxn ? "BEGIN; INSERT INTO mine VALUES (1)" : "SELECT 1");
  Interrupter in = {db, 0, iAt, bAbort};
  sqlite3_progress_handler(db, 500, interrupt_at, &in);
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(db, "SELECT migrate_upgrade('head')", -1, &pStmt, 0);
  if (rc == SQLITE_OK) rc = sqlite3_step(pStmt);
  char *zErr = sqlite3_mprintf("%s", sqlite3_errmsg(db));
  sqlite3_finalize(pStmt);
  sqlite3_progress_handler(db, 0, 0, 0);
  int bDone = rc == SQLITE_ROW;
  int bAutocommit = sqlite3_get_autocommit(db);
  if (!bDone && strstr(zErr, "the database is still at") &&
      !strstr(zErr, "the run was rolled back: the database is still at i1_write_read_write")) {
    fail_msg("interrupt at callback %d: %s", iAt, zErr);
  }
  if (bCallerTxn && bAutocommit && !bDone &&
      !strstr(zErr, "SQLite rolled back the caller's whole transaction")) {
    fail_msg("interrupt at callback %d took the caller's transaction silently: %s", iAt, zErr);
  }
  if (!bCallerTxn && !bAutocommit) {
    fail_msg("interrupt at callback %d left a transaction open: %s", iAt, zErr);
  }
  /* The caller's COMMIT commits its own work and nothing of the run's. */
  sqlite3_exec(db, "COMMIT", 0, 0, 0);
  char *zGot = interrupt_state(db);
  const char *zAt = "alembic_version,distmigrate_log,mine,w,w_a / i1_write_read_write / 1 / %d";
  const char *zTop = "alembic_version,distmigrate_log,mine,v,w,w_a / i2_copy / 2 / %d";
  int nMine = bCallerTxn && !(bAutocommit && !bDone) ? 2 : 1;
  char *zExpect = sqlite3_mprintf(bDone ? zTop : zAt, nMine);
  char *zCommitted = sqlite3_mprintf(zTop, nMine);
  /* Interrupted after its COMMIT, in the caller's statement: SQLite's own
  ** error, and the run is complete. */
  int bAfter = !bDone && strcmp(zErr, "interrupted") == 0 && strcmp(zGot, zCommitted) == 0;
  sqlite3_free(zCommitted);
  if (!bAfter && strcmp(zGot, zExpect) != 0) {
    fail_msg("interrupt at callback %d (%s): state %s, want %s", iAt, zErr, zGot, zExpect);
  }
  sqlite3_free(zExpect);
  sqlite3_free(zGot);
  sqlite3_free(zErr);
  sqlite3_close(db);
  return bDone;
}

static void interrupt_every_500_steps(int bCallerTxn, int bAbort) {
  char *zDb = h_fresh(bCallerTxn ? "interrupt_txn.db" : "interrupt.db");
  sqlite3 *db = h_open(zDb, "interrupted");
  h_assert_text(db, "SELECT migrate_upgrade('+1')", "i1_write_read_write");
  h_exec(db, "CREATE TABLE mine(x); INSERT INTO mine VALUES (0)");
  sqlite3_close(db);
  HFile start = h_file(zDb);
  /* DM_INTERRUPT_STRIDE=N tries every Nth point (valgrind's run). */
  const char *zStride = getenv("DM_INTERRUPT_STRIDE");
  int nStride = zStride && atoi(zStride) > 0 ? atoi(zStride) : 1;
  int nRuns = 0;
  for (int iAt = 1; nRuns < 10000; iAt += nStride, nRuns++) {
    FILE *f = fopen(zDb, "wb");
    fwrite(start.a, 1, (size_t)start.n, f);
    fclose(f);
    if (interrupted_run(zDb, bCallerTxn, bAbort, iAt)) break;
  }
  assert_true(nRuns > 5 || nStride > 1);
  assert_true(nRuns < 10000);
  free(start.a);
  sqlite3_free(zDb);
}

static void test_interrupt_at_every_500th_step_changes_nothing(void **state) {
  (void)state;
  interrupt_every_500_steps(0, 0);
}

static void test_interrupt_inside_callers_transaction_changes_nothing(void **state) {
  (void)state;
  interrupt_every_500_steps(1, 0);
}

static void test_progress_handler_abort_at_every_500th_step_changes_nothing(void **state) {
  (void)state;
  interrupt_every_500_steps(0, 1);
  interrupt_every_500_steps(1, 1);
}

/* ---- TEMP objects that shadow main -------------------------------------- */

static const char *zShadow =
    "this connection's TEMP schema holds table invalid_responses, named like an "
    "object in main; SQLite looks in TEMP first, so the migrations would act on it "
    "instead of on main. Drop it (DROP TABLE temp.name, DROP VIEW temp.name, ...) or "
    "migrate on another connection, then try again";

static void test_temp_table_shadowing_main_is_refused_downgrading(void **state) {
  (void)state;
  char *zDb = h_fresh("shadow_down.db");
  sqlite3 *db = h_open(zDb, "");
  h_assert_text(db, "SELECT migrate_upgrade('head')", zHead);
  h_exec(db, "CREATE TEMP TABLE invalid_responses(x)");
  HFile before = h_file(zDb);
  char *zSchema = h_schema(db);
  char *zWant = sqlite3_mprintf("migrate_downgrade(): %s; nothing was changed", zShadow);
  h_assert_error(db, "SELECT migrate_downgrade(-1)", zWant);
  char *zAfter = h_schema(db);
  assert_string_equal(zAfter, zSchema);
  sqlite3_free(zAfter);
  sqlite3_free(zSchema);
  h_assert_text(db, "SELECT count(*) FROM main.sqlite_schema WHERE name = 'invalid_responses'",
                "1");
  h_assert_text(db, "SELECT count(*) FROM temp.sqlite_schema WHERE name = 'invalid_responses'",
                "1");
  h_assert_text(db, "SELECT migrate_current()", zHead);
  sqlite3_close(db);
  h_assert_file_unchanged(zDb, before);
  free(before.a);
  sqlite3_free(zWant);
  sqlite3_free(zDb);
}

static void test_temp_table_shadowing_what_a_migration_creates_is_refused(void **state) {
  (void)state;
  char *zDb = h_fresh("shadow_up.db");
  sqlite3 *db = h_open(zDb, "");
  h_assert_text(db, "SELECT migrate_upgrade('001')", "001_initial_schema");
  h_exec(db, "CREATE TEMP TABLE invalid_responses(x)");
  HFile before = h_file(zDb);
  char *zWant = sqlite3_mprintf(
      "upgrade 001_initial_schema -> 002_add_invalid_responses failed: %s\n"
      "  at sql/versions/002_add_invalid_responses.sql:28: CREATE INDEX "
      "idx_invalid_responses_question_id ON invalid_responses (question_id);\n"
      "  the run was rolled back: the database is still at 001_initial_schema",
      zShadow);
  h_assert_error(db, "SELECT migrate_upgrade('head')", zWant);
  h_assert_text(db, "SELECT count(*) FROM main.sqlite_schema WHERE name LIKE '%invalid%'", "0");
  h_assert_text(db, "SELECT migrate_current()", "001_initial_schema");
  sqlite3_close(db);
  h_assert_file_unchanged(zDb, before);
  free(before.a);
  sqlite3_free(zWant);
  sqlite3_free(zDb);
}

static void test_temp_table_shadowing_an_altered_table_is_refused(void **state) {
  (void)state;
  char *zDb = h_fresh("shadow_alter.db");
  sqlite3 *db = h_open(zDb, "patterns");
  h_assert_text(db, "SELECT migrate_upgrade('002')", zHead);
  h_exec(db, "CREATE TEMP VIEW responses AS SELECT 1 AS x");
  HFile before = h_file(zDb);
  h_assert_error(db, "SELECT migrate_upgrade('head')",
                 "migrate_upgrade(): this connection's TEMP schema holds view responses, named "
                 "like an object in main; SQLite looks in TEMP first, so the migrations would "
                 "act on it instead of on main. Drop it (DROP TABLE temp.name, DROP VIEW "
                 "temp.name, ...) or migrate on another connection, then try again; nothing "
                 "was changed");
  h_assert_text(db, "SELECT migrate_current()", zHead);
  sqlite3_close(db);
  h_assert_file_unchanged(zDb, before);
  free(before.a);
  sqlite3_free(zDb);
}

/* ---- messages that name the true cause ---------------------------------- */

static void test_query_only_is_named_as_such(void **state) {
  (void)state;
  char *zDb = h_fresh("query_only.db");
  sqlite3 *db = h_open(zDb, "");
  h_assert_text(db, "SELECT migrate_upgrade('001')", "001_initial_schema");
  h_exec(db, "PRAGMA query_only=ON");
  HFile before = h_file(zDb);
  h_assert_error(db, "SELECT migrate_upgrade('head')",
                 "migrate_upgrade(): this connection has PRAGMA query_only=ON, which refuses "
                 "every write (the file itself may be writable); run PRAGMA query_only=OFF, "
                 "then migrate");
  h_exec(db, "PRAGMA query_only=OFF");
  h_assert_text(db, "SELECT migrate_current()", "001_initial_schema");
  sqlite3_close(db);
  h_assert_file_unchanged(zDb, before);
  free(before.a);
  sqlite3_free(zDb);
}

static void test_stale_wal_snapshot_is_named_as_such(void **state) {
  (void)state;
  char *zDb = h_fresh("snapshot.db");
  sqlite3 *db = h_open(zDb, "");
  h_assert_text(db, "PRAGMA journal_mode=WAL", "wal");
  h_assert_text(db, "SELECT migrate_upgrade('001')", "001_initial_schema");
  sqlite3 *pOther = h_open(zDb, 0);
  h_exec(db, "BEGIN");
  h_assert_text(db, "SELECT count(*) FROM questions", "0");
  h_exec(pOther, "INSERT INTO questions (json_id, category, question_text, created_at, "
                 "updated_at) VALUES ('q1', 'c', 'q?', 'now', 'now')");
  h_assert_error(db, "SELECT migrate_upgrade('head')",
                 "migrate_upgrade(): this connection's read transaction began before another "
                 "connection's last commit, and in WAL mode a transaction that read an older "
                 "snapshot cannot write; end it (COMMIT or ROLLBACK), then call "
                 "migrate_upgrade() again");
  h_exec(db, "ROLLBACK");
  h_assert_text(db, "SELECT migrate_upgrade('head')", zHead);
  sqlite3_close(pOther);
  sqlite3_close(db);
  sqlite3_free(zDb);
}

static void test_shared_cache_lock_is_named_as_such(void **state) {
  (void)state;
  char *zDb = h_fresh("shared.db");
  char *zUri = sqlite3_mprintf("file:%s?cache=shared", zDb);
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI;
  sqlite3 *db = h_open_flags(zUri, "", flags);
  h_assert_text(db, "SELECT migrate_upgrade('001')", "001_initial_schema");
  sqlite3 *pOther = h_open_flags(zUri, 0, flags);
  sqlite3_stmt *pRead = 0;
  assert_int_equal(sqlite3_prepare_v2(pOther, "SELECT * FROM alembic_version", -1, &pRead, 0),
                   SQLITE_OK);
  assert_int_equal(sqlite3_step(pRead), SQLITE_ROW);
  h_assert_error(db, "SELECT migrate_upgrade('head')",
                 "migrate_upgrade(): cannot start the run's transaction: another connection "
                 "that shares this connection's cache (shared-cache mode, cache=shared) holds a "
                 "lock on the database; finish or close it, or open this connection without "
                 "shared cache, then try again");
  sqlite3_finalize(pRead);
  h_assert_text(db, "SELECT migrate_upgrade('head')", zHead);
  sqlite3_close(pOther);
  sqlite3_close(db);
  sqlite3_free(zUri);
  sqlite3_free(zDb);
}

static void test_deferred_violation_in_callers_transaction_fails_the_run(void **state) {
  (void)state;
  char *zDb = h_fresh("deferred.db");
  sqlite3 *db = h_open(zDb, "deferred_fk");
  h_assert_text(db, "SELECT migrate_upgrade('+1')", "d1_tables");
  h_exec(db, "PRAGMA foreign_keys=ON; BEGIN; INSERT INTO p VALUES (7)");
  h_assert_error(db, "SELECT migrate_upgrade('head')",
                 "PRAGMA foreign_key_check found 1 foreign key violation after the migrations "
                 "ran:\n  c row 1 references p, which has no such row\n"
                 "  the run was rolled back: the database is still at d1_tables");
  assert_int_equal(sqlite3_get_autocommit(db), 0);
  h_exec(db, "COMMIT");
  h_assert_text(db, "SELECT (SELECT group_concat(id) FROM p) || '/' || (SELECT count(*) FROM c)",
                "7/0");
  h_assert_text(db, "SELECT migrate_current()", "d1_tables");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

static void test_nul_byte_in_migrate_sql_target_is_refused(void **state) {
  (void)state;
  char *zDb = h_fresh("sql_nul.db");
  sqlite3 *db = h_open(zDb, "");
  h_assert_error(db, "SELECT migrate_sql(CAST(X'6865616400' AS TEXT) || 'x')",
                 "migrate_sql(): the target contains a NUL byte (after 'head'); a revision "
                 "target is text without one, e.g. 'head' or a revision id");
  h_assert_error(db, "SELECT migrate_sql('base', CAST(X'00' AS TEXT) || 'head')",
                 "migrate_sql(): the target contains a NUL byte (first); a revision "
                 "target is text without one, e.g. 'head' or a revision id");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

/* ---- the host's authorizer stays the host's --------------------------- */

static int deny_drop(void *pArg, int eAction, const char *z1, const char *z2, const char *zDb,
                     const char *zTrigger) {
  (void)z2;
  (void)zDb;
  (void)zTrigger;
  ++*(int *)pArg;
  return eAction == SQLITE_DROP_TABLE && z1 && strcmp(z1, "invalid_responses") == 0
             ? SQLITE_DENY
             : SQLITE_OK;
}

static void test_hosts_authorizer_keeps_working(void **state) {
  (void)state;
  char *zDb = h_fresh("authorizer.db");
  sqlite3 *db = h_open(zDb, "");
  h_assert_text(db, "SELECT migrate_upgrade('head')", zHead);
  int nCalls = 0;
  sqlite3_set_authorizer(db, deny_drop, &nCalls);
  HFile before = h_file(zDb);
  h_assert_error(db, "SELECT migrate_downgrade(-1)",
                 "downgrade 002_add_invalid_responses -> 001_initial_schema failed: not "
                 "authorized\n"
                 "  at sql/versions/002_add_invalid_responses.sql:33: DROP TABLE "
                 "invalid_responses;\n"
                 "  the run was rolled back: the database is still at 002_add_invalid_responses");
  assert_true(nCalls > 0);
  /* Still the host's after the run: it still denies. */
  int nBefore = nCalls;
  h_assert_error(db, "DROP TABLE invalid_responses", "not authorized");
  assert_true(nCalls > nBefore);
  sqlite3_set_authorizer(db, 0, 0);
  sqlite3_close(db);
  h_assert_file_unchanged(zDb, before);
  free(before.a);
  sqlite3_free(zDb);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_refused_statements_in_every_spelling_change_nothing),
      cmocka_unit_test(test_refused_statement_in_callers_transaction_keeps_callers_work),
      cmocka_unit_test(test_trigger_body_holding_the_words_runs),
      cmocka_unit_test(test_journal_mode_off_is_refused_before_anything_runs),
      cmocka_unit_test(test_interrupt_at_every_500th_step_changes_nothing),
      cmocka_unit_test(test_interrupt_inside_callers_transaction_changes_nothing),
      cmocka_unit_test(test_progress_handler_abort_at_every_500th_step_changes_nothing),
      cmocka_unit_test(test_temp_table_shadowing_main_is_refused_downgrading),
      cmocka_unit_test(test_temp_table_shadowing_what_a_migration_creates_is_refused),
      cmocka_unit_test(test_temp_table_shadowing_an_altered_table_is_refused),
      cmocka_unit_test(test_query_only_is_named_as_such),
      cmocka_unit_test(test_stale_wal_snapshot_is_named_as_such),
      cmocka_unit_test(test_shared_cache_lock_is_named_as_such),
      cmocka_unit_test(test_deferred_violation_in_callers_transaction_fails_the_run),
      cmocka_unit_test(test_nul_byte_in_migrate_sql_target_is_refused),
      cmocka_unit_test(test_hosts_authorizer_keeps_working),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
