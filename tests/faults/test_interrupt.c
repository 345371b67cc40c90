/*
** Interrupts: sqlite3_interrupt() as statement N of a run starts, for every
** N (the statements the run prepares itself, the migrations' own, and those
** migrate_alter_table() runs), on the scenarios of faults.h. SQLite keeps
** an interrupt pending while the caller's statement is active, so the run
** cannot simply ROLLBACK (runner.c, dm_undo_arm). After each: the run ended
** with its transaction closed (or, inside the caller's, with the caller's
** transaction as it was, or rolled back whole and said so), the caller's
** COMMIT commits nothing of the run, and the database reopened is exactly
** the old or the new state, as the error says.
*/
#include "faults.h"

typedef struct Trigger Trigger;
struct Trigger {
  sqlite3 *db;
  int nStmt;   /* Statements started so far */
  int iAt;     /* Interrupt as this one starts */
};

static int trace_stmt(unsigned eType, void *pCtx, void *pStmt, void *pX) {
  (void)eType;
  (void)pX;
  Trigger *p = pCtx;
  /* DM_TRACE=1 (with ONLY_N=N) shows which statement a failing point is. */
  if (getenv("DM_TRACE")) fprintf(stderr, "statement %d: %.120s\n", p->nStmt + 1, sqlite3_sql(pStmt));
  if (++p->nStmt == p->iAt) sqlite3_interrupt(p->db);
  return 0;
}

static long f_nRuns;

/* The caller's view after an interrupted run, checked; 1 if it is done. */
static int one_interrupt(const FScenario *p, const char *zTemplate, const char *zPath, int iAt,
                         const FState *pOld, const FState *pNew) {
  char zWhen[160];
  snprintf(zWhen, sizeof(zWhen), "%s, interrupt at statement %d", p->zName, iAt);
  f_copy(zTemplate, zPath);
  sqlite3 *db = h_open(zPath, p->zSet);
  h_exec(db, "PRAGMA synchronous=OFF");
  f_prepare_connection(db, p);
  if (p->bCallerTxn) h_exec(db, "BEGIN");
  Trigger t = {db, 0, iAt};
  sqlite3_trace_v2(db, SQLITE_TRACE_STMT, trace_stmt, &t);
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(db, p->zRun, -1, &pStmt, 0);
  if (rc == SQLITE_OK) rc = sqlite3_step(pStmt);
  char *zErr = sqlite3_mprintf("%s", sqlite3_errmsg(db));
  sqlite3_finalize(pStmt);
  sqlite3_trace_v2(db, 0, 0, 0);
  int bDone = t.nStmt < iAt;
  if (bDone && rc != SQLITE_ROW) fail_msg("%s: failed without an interrupt: %s", zWhen, zErr);
  if (!bDone && rc != SQLITE_ROW) f_check_connection(db, p, rc, pOld, zWhen);
  if (p->bCallerTxn && sqlite3_get_autocommit(db) && rc != SQLITE_ROW &&
      !strstr(zErr, "SQLite rolled back the caller's whole transaction")) {
    fail_msg("%s: the caller's transaction is gone, and the error does not say so: %s", zWhen,
             zErr);
  }
  /* No setting the run changes for a moment is left changed. */
  char *zModes = h_text(db, "SELECT (SELECT writable_schema FROM pragma_writable_schema) || "
                            "(SELECT legacy_alter_table FROM pragma_legacy_alter_table)");
  if (strcmp(zModes, "00") != 0) {
    fail_msg("%s: writable_schema and legacy_alter_table are %s after the run", zWhen, zModes);
  }
  sqlite3_free(zModes);
  /* The caller commits what it believes is its transaction. */
  sqlite3_exec(db, "COMMIT", 0, 0, 0);
  if (sqlite3_close(db) != SQLITE_OK) fail_msg("%s: close: %s", zWhen, sqlite3_errmsg(db));
  int bNew = f_check_reopened(zPath, zWhen, pOld, pNew);
  /* Interrupted as the caller's own statement ended, after the commit. */
  int bAfterCommit = rc != SQLITE_ROW && strcmp(zErr, "interrupted") == 0 && bNew;
  if (rc != SQLITE_ROW && bNew && !bAfterCommit) {
    fail_msg("%s: the run failed, yet the database is at the new version: %s", zWhen, zErr);
  }
  if (rc == SQLITE_ROW && !bNew) fail_msg("%s: the run succeeded, the database is old", zWhen);
  f_check_claim(zErr, zWhen, bNew, pOld, pNew);
  sqlite3_free(zErr);
  return bDone;
}

static void interrupt_loop(const FScenario *p, int nStride) {
  char *zTemplate = f_path(p, "template");
  char *zPath = f_path(p, "interrupt");
  f_template(p, zTemplate);
  FState old, new;
  f_references(p, zTemplate, &old, &new);
  nStride = f_stride(nStride);
  int nRun = 0;
  for (int iAt = f_env_int("ONLY_N", 1);; iAt += nStride) {
    if (one_interrupt(p, zTemplate, zPath, iAt, &old, &new)) break;
    nRun++;
  }
  printf("[ interrupt] %-20s %4d runs, each interrupted at a statement%s\n", p->zName, nRun,
         nStride > 1 ? " (sampled)" : "");
  f_nRuns += nRun;
  f_state_clear(&old);
  f_state_clear(&new);
  f_remove(zPath);
  f_remove(zTemplate);
  sqlite3_free(zPath);
  sqlite3_free(zTemplate);
}

static void test_interrupt_shipped_upgrade_and_downgrade(void **state) {
  (void)state;
  interrupt_loop(&f_shipped_upgrade, F_EVERY);
  interrupt_loop(&f_shipped_downgrade, F_EVERY);
}

static void test_interrupt_table_rebuild(void **state) {
  (void)state;
  interrupt_loop(&f_rebuild, F_EVERY);
  interrupt_loop(&f_rebuild_in_txn, F_EVERY);
}

static void test_interrupt_alter_table(void **state) {
  (void)state;
  interrupt_loop(&f_alter_patterns_up, F_EVERY);
  interrupt_loop(&f_alter_patterns_down, F_EVERY);
  interrupt_loop(&f_alter_rebuild, F_EVERY);
  interrupt_loop(&f_alter_rebuild_in_txn, F_EVERY);
  interrupt_loop(&f_alter_tighten, F_EVERY);
  interrupt_loop(&f_alter_loosen, F_EVERY);
  interrupt_loop(&f_alter_default, F_EVERY);
}

/* migrate_repair(): the script migrate_check('sql') writes, run as a stamp. */
static void test_interrupt_repair(void **state) {
  (void)state;
  interrupt_loop(&f_repair, F_EVERY);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_interrupt_shipped_upgrade_and_downgrade),
      cmocka_unit_test(test_interrupt_table_rebuild),
      cmocka_unit_test(test_interrupt_alter_table),
      cmocka_unit_test(test_interrupt_repair),
  };
  int rc = cmocka_run_group_tests(tests, 0, 0);
  printf("[ interrupt] %ld runs interrupted in all\n", f_nRuns);
  return rc;
}
