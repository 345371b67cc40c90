/*
** Allocation failures, as SQLite tests itself: the Nth allocation of a run
** fails, for every N from 1 until a run needs fewer than N.
**
** The extension is loaded into a real connection of the system SQLite, as
** users load it. No static link is needed: the extension allocates only
** through sqlite3_malloc64() and friends, which reach the allocator this
** binary installs with sqlite3_config(SQLITE_CONFIG_MALLOC) before
** sqlite3_initialize(). Lookaside is off, so that every allocation SQLite
** makes goes through that allocator too.
**
** Two kinds, as SQLite's own malloc tests: transient (only the Nth fails)
** and persistent (the Nth and every one after it fail, until the run
** returns). After each failed run:
**
**   - the run reports SQLITE_NOMEM, "out of memory";
**   - the connection has no transaction or savepoint of the run's left
**     open, the caller's PRAGMA foreign_keys is back, and it still answers;
**   - once closed, every allocation made since it was opened is freed;
**   - reopened without faults, the database is exactly the old state or the
**     new one (faults.h says what that means).
*/
#include "faults.h"

static sqlite3_mem_methods f_real;

static struct {
  int bArmed;
  int bPersistent;
  int nCountdown;       /* The allocation that fails, counting from 1 */
  int nFailed;          /* Allocations failed since armed */
  sqlite3_int64 nLive;  /* Allocations not yet freed */
} f_mem;

static int should_fail(void) {
  if (!f_mem.bArmed) return 0;
  if (f_mem.nFailed > 0 && f_mem.bPersistent) {
    f_mem.nFailed++;
    return 1;
  }
  if (f_mem.nCountdown > 0 && --f_mem.nCountdown == 0) {
    f_mem.nFailed++;
    return 1;
  }
  return 0;
}

static void *fault_malloc(int n) {
  if (should_fail()) return 0;
  void *p = f_real.xMalloc(n);
  if (p) f_mem.nLive++;
  return p;
}

static void fault_free(void *p) {
  if (p) f_mem.nLive--;
  f_real.xFree(p);
}

static void *fault_realloc(void *p, int n) {
  if (should_fail()) return 0;
  return f_real.xRealloc(p, n);
}

static void arm(int n, int bPersistent) {
  f_mem.nCountdown = n;
  f_mem.bPersistent = bPersistent;
  f_mem.nFailed = 0;
  f_mem.bArmed = 1;
}

static int disarm(void) {
  f_mem.bArmed = 0;
  return f_mem.nFailed;
}

/* What the loops reached, for the summary and the README. */
static long f_nFailed;     /* Allocations failed, all loops */
static long f_nRuns;       /* Runs with a fault */

/*
** Run p with allocation N failing, for every N (or every nStride-th, see
** f_stride) until the run succeeds without a fault.
*/
static void oom_loop(const FScenario *p, int bPersistent, int nStride) {
  const char *zKind = bPersistent ? "persistent" : "transient";
  char *zTemplate = f_path(p, "template");
  char *zPath = f_path(p, "oom");
  f_template(p, zTemplate);
  FState old, new;
  f_references(p, zTemplate, &old, &new);

  int nOld = 0, nNew = 0, nAbsorbed = 0, nLeft = 0, nFailedHere = 0;
  int n, nRun = 0;
  nStride = f_stride(nStride);
  /* ONLY_N=N starts at fault point N: to replay one that failed. */
  for (n = f_env_int("ONLY_N", 1);; n += nStride) {
    char zWhen[160];
    snprintf(zWhen, sizeof(zWhen), "%s, %s allocation failure %d", p->zName, zKind, n);
    f_copy(zTemplate, zPath);
    sqlite3_int64 nLiveBefore = f_mem.nLive;
    sqlite3 *db = h_open(zPath, p->zSet);
    /* Durability is test_ioerr's and test_crash's business; fsync is slow. */
    h_exec(db, "PRAGMA synchronous=OFF");
    f_prepare_connection(db, p);
    if (p->bCallerTxn) h_exec(db, "BEGIN");
    sqlite3_stmt *pStmt = 0;
    if (sqlite3_prepare_v2(db, p->zRun, -1, &pStmt, 0) != SQLITE_OK) {
      fail_msg("%s: prepare: %s", zWhen, sqlite3_errmsg(db));
    }

    arm(n, bPersistent);
    int rc = sqlite3_step(pStmt);
    int nFault = disarm();
    char *zErr = strdup(sqlite3_errmsg(db));   /* libc: outside the count */
    sqlite3_finalize(pStmt);

    if (nFault == 0) {
      /* The run needed fewer than n allocations: the loop is complete. */
      if (rc != SQLITE_ROW) fail_msg("%s: the run failed without a fault: %s", zWhen, zErr);
      free(zErr);
      if (p->bCallerTxn) h_exec(db, "COMMIT");
      sqlite3_close(db);
      break;
    }
    nFailedHere += nFault;
    nRun++;
    if (rc == SQLITE_ROW) {
      nAbsorbed++;   /* SQLite recovered on its own (a cache that stays small) */
    } else if (rc != SQLITE_NOMEM || strcmp(zErr, "out of memory") != 0) {
      fail_msg("%s: the run failed with %d \"%s\", not SQLITE_NOMEM \"out of memory\"",
               zWhen, rc, zErr);
    }
    int bLeft = rc != SQLITE_ROW && f_check_connection(db, p, rc, &old, zWhen);
    if (bLeft) {
      nLeft++;
      f_resolve_left_open(db, p, n);
    } else if (p->bCallerTxn && !sqlite3_get_autocommit(db)) {
      h_exec(db, "COMMIT");
    }
    if (sqlite3_close(db) != SQLITE_OK) {
      fail_msg("%s: close: %s (a statement left unfinalized?)", zWhen, sqlite3_errmsg(db));
    }
    if (f_mem.nLive != nLiveBefore) {
      fail_msg("%s: %lld allocations leaked", zWhen, (long long)(f_mem.nLive - nLiveBefore));
    }

    int bNew = f_check_reopened(zPath, zWhen, &old, &new);
    if ((rc == SQLITE_ROW || bLeft) && !bNew) {
      fail_msg("%s: the run succeeded, the database is old", zWhen);
    }
    if (rc != SQLITE_ROW && !bLeft && bNew) {
      fail_msg("%s: the run failed, yet the database is at the new version", zWhen);
    }
    f_check_claim(zErr, zWhen, bNew, &old, &new);
    bNew ? nNew++ : nOld++;
    free(zErr);
  }
  char zStride[64] = "";
  if (nStride > 1) snprintf(zStride, sizeof(zStride), " (every %dth point)", nStride);
  printf("[ oom      ] %-12s %-10s %4d runs%s, %5d allocations failed: %d runs "
         "failed cleanly, %d left for the next call to undo, %d absorbed by "
         "SQLite; old %d, new %d\n",
         p->zName, zKind, nRun, zStride, nFailedHere, nRun - nAbsorbed - nLeft, nLeft,
         nAbsorbed, nOld, nNew);
  f_nFailed += nFailedHere;
  f_nRuns += nRun;
  f_state_clear(&old);
  f_state_clear(&new);
  f_remove(zPath);
  f_remove(zTemplate);
  sqlite3_free(zPath);
  sqlite3_free(zTemplate);
}

static void test_oom_shipped_upgrade(void **state) {
  (void)state;
  oom_loop(&f_shipped_upgrade, 0, F_EVERY);
  oom_loop(&f_shipped_upgrade, 1, F_EVERY);
}

static void test_oom_shipped_downgrade(void **state) {
  (void)state;
  oom_loop(&f_shipped_downgrade, 0, F_EVERY);
  oom_loop(&f_shipped_downgrade, 1, F_EVERY);
}

static void test_oom_table_rebuild_with_data(void **state) {
  (void)state;
  oom_loop(&f_rebuild, 0, F_EVERY);
  oom_loop(&f_rebuild, 1, F_EVERY);
}

static void test_oom_table_rebuild_in_callers_transaction(void **state) {
  (void)state;
  oom_loop(&f_rebuild_in_txn, 0, F_EVERY);
  oom_loop(&f_rebuild_in_txn, 1, F_EVERY);
}

static void test_oom_alter_table_patterns_upgrade(void **state) {
  (void)state;
  oom_loop(&f_alter_patterns_up, 0, F_ALTER_OOM_STRIDE);
  oom_loop(&f_alter_patterns_up, 1, F_ALTER_OOM_STRIDE);
}

static void test_oom_alter_table_rebuild_with_mapping(void **state) {
  (void)state;
  oom_loop(&f_alter_patterns_down, 0, F_ALTER_OOM_STRIDE);
  oom_loop(&f_alter_patterns_down, 1, F_ALTER_OOM_STRIDE);
}

static void test_oom_alter_table_rebuild_of_a_parent(void **state) {
  (void)state;
  oom_loop(&f_alter_rebuild, 0, F_ALTER_OOM_STRIDE);
  oom_loop(&f_alter_rebuild, 1, F_ALTER_OOM_STRIDE);
}

static void test_oom_alter_table_rebuild_in_callers_transaction(void **state) {
  (void)state;
  oom_loop(&f_alter_rebuild_in_txn, 0, F_ALTER_OOM_STRIDE);
  oom_loop(&f_alter_rebuild_in_txn, 1, F_ALTER_OOM_STRIDE);
}

int main(void) {
  sqlite3_config(SQLITE_CONFIG_GETMALLOC, &f_real);
  sqlite3_mem_methods m = f_real;
  m.xMalloc = fault_malloc;
  m.xFree = fault_free;
  m.xRealloc = fault_realloc;
  if (sqlite3_config(SQLITE_CONFIG_MALLOC, &m) != SQLITE_OK ||
      sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 0, 0) != SQLITE_OK ||
      sqlite3_initialize() != SQLITE_OK) {
    fprintf(stderr, "test_oom: cannot install the failing allocator\n");
    return 1;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_oom_shipped_upgrade),
      cmocka_unit_test(test_oom_shipped_downgrade),
      cmocka_unit_test(test_oom_table_rebuild_with_data),
      cmocka_unit_test(test_oom_table_rebuild_in_callers_transaction),
      cmocka_unit_test(test_oom_alter_table_patterns_upgrade),
      cmocka_unit_test(test_oom_alter_table_rebuild_with_mapping),
      cmocka_unit_test(test_oom_alter_table_rebuild_of_a_parent),
      cmocka_unit_test(test_oom_alter_table_rebuild_in_callers_transaction),
  };
  if (getenv("FAULTS_FILTER")) cmocka_set_test_filter(getenv("FAULTS_FILTER"));
  int nFail = cmocka_run_group_tests(tests, 0, 0);
  printf("[ oom      ] total: %ld allocations failed over %ld runs\n", f_nFailed, f_nRuns);
  return nFail;
}
