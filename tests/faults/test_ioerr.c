/*
** I/O errors: through a VFS shim over the unix VFS (faultvfs.h), the Nth
** xWrite, xSync or xTruncate of a run fails, for every N until a run needs
** fewer than N, with SQLITE_IOERR (and SQLITE_FULL for writes), transient
** (only the Nth) and persistent (the Nth and every later one, until the run
** returns: the rollback itself cannot write, and the hot journal is left for
** the next connection), in rollback-journal (DELETE, TRUNCATE) and WAL
** modes. After each:
**
**   - the run reports the error: SQLITE_IOERR* or SQLITE_FULL;
**   - no transaction or savepoint of the run's is left open, the caller's
**     PRAGMA foreign_keys is back, the connection still answers;
**   - what the error says the version is ("still at X") is true;
**   - closed and reopened on the plain unix VFS, the database is exactly
**     the old state or the new one (faults.h).
*/
#include "faults.h"
#include "faultvfs.h"

static const char *const azCall[] = {"xWrite", "xSync", "xTruncate"};

static long f_nInjected;   /* Faults injected, all loops */
static long f_nRuns;

/* Faults injected per journal mode, for the summary. */
static const char *const azMode[] = {"delete", "truncate", "wal"};
static long anPerMode[3];

static int mode_index(const char *zMode) {
  for (int i = 0; i < 3; i++) {
    if (strcmp(azMode[i], zMode) == 0) return i;
  }
  return 0;
}

/*
** migrate_restore() of a backup at 001 (other rows) over a database at
** head: the copy's writes fail; the database must stay as it was, and the
** error say so ("nothing was restored"). The backup's path is filled in by
** the test (an absolute path in the test's directory).
*/
static char f_restore_run[4096];
static const FScenario f_restore_scenario = {
    "restore", "", "head", F_CALLER_TABLE F_SHIPPED_DATA F_SHIPPED_INVALID,
    f_restore_run, "delete", 0, 0, 0};

/* A failed restore says which database there is now, and says it right. */
static void restore_claim(const char *zErr, const char *zWhen, int bNew) {
  const char *zWant = bNew ? "; the backup was restored all the same: the error came after "
                             "SQLite had committed it; check the database with PRAGMA quick_check"
                           : "; nothing was restored";
  const char *z = strstr(zErr, zWant);
  if (!z || z[strlen(zWant)] != 0) {
    fail_msg("%s: the restore %s, but the error does not end \"%s\": %s", zWhen,
             bNew ? "was made" : "was not made", zWant, zErr);
  }
}

static void ioerr_loop(const FScenario *p, int eCall, int eAction, int bPersistent,
                       int nStride) {
  char zWhat[64];
  snprintf(zWhat, sizeof(zWhat), "%s %s %s", azCall[eCall],
           eAction == FV_FULL ? "FULL" : "IOERR",
           bPersistent ? "persistent" : "transient");
  char *zTemplate = f_path(p, "template");
  char *zPath = f_path(p, "ioerr");
  f_template(p, zTemplate);
  FState old, new;
  f_references(p, zTemplate, &old, &new);

  int nOld = 0, nNew = 0, nAbsorbed = 0, nInjected = 0, nCalls = 0;
  int n, nRun = 0;
  nStride = f_stride(nStride);
  for (n = 1;; n += nStride) {
    char zWhen[200];
    snprintf(zWhen, sizeof(zWhen), "%s (%s), %s fault at call %d", p->zName,
             p->zJournal, zWhat, n);
    f_copy(zTemplate, zPath);
    sqlite3 *db = 0;
    if (sqlite3_open_v2(zPath, &db, SQLITE_OPEN_READWRITE, "faultvfs") != SQLITE_OK) {
      fail_msg("%s: open: %s", zWhen, sqlite3_errmsg(db));
    }
    h_load(db, p->zSet);
    f_prepare_connection(db, p);
    if (p->bCallerTxn) h_exec(db, "BEGIN");
    sqlite3_stmt *pStmt = 0;
    if (sqlite3_prepare_v2(db, p->zRun, -1, &pStmt, 0) != SQLITE_OK) {
      fail_msg("%s: prepare: %s", zWhen, sqlite3_errmsg(db));
    }

    fv_arm(eCall, eAction, n, bPersistent);
    int rc = sqlite3_step(pStmt);
    int nFault = fv_disarm();
    int rcExt = sqlite3_extended_errcode(db);
    char *zErr = sqlite3_mprintf("%s", sqlite3_errmsg(db));
    sqlite3_finalize(pStmt);

    if (nFault == 0) {
      if (rc != SQLITE_ROW) fail_msg("%s: the run failed without a fault: %s", zWhen, zErr);
      nCalls = fv.anCall[eCall];
      sqlite3_free(zErr);
      if (p->bCallerTxn) h_exec(db, "COMMIT");
      sqlite3_close(db);
      break;
    }
    nInjected += nFault;
    nRun++;
    if (rc == SQLITE_ROW) {
      nAbsorbed++;
    } else {
      int eWant = eAction == FV_FULL ? SQLITE_FULL : SQLITE_IOERR;
      if ((rcExt & 0xff) != eWant) {
        fail_msg("%s: the run failed with %d \"%s\", not %s", zWhen, rcExt, zErr,
                 eWant == SQLITE_FULL ? "SQLITE_FULL" : "SQLITE_IOERR");
      }
      f_check_connection(db, p, rc, &old, zWhen);
    }
    if (p->bCallerTxn && !sqlite3_get_autocommit(db)) h_exec(db, "COMMIT");
    if (sqlite3_close(db) != SQLITE_OK) fail_msg("%s: close: %s", zWhen, sqlite3_errmsg(db));

    int bNew = f_check_reopened(zPath, zWhen, &old, &new);
    if (rc == SQLITE_ROW && !bNew) fail_msg("%s: the run succeeded, the database is old", zWhen);
    f_check_claim(zErr, zWhen, bNew, &old, &new);
    if (p == &f_restore_scenario && rc != SQLITE_ROW) restore_claim(zErr, zWhen, bNew);
    bNew ? nNew++ : nOld++;
    sqlite3_free(zErr);
  }
  char zStride[64] = "";
  if (nStride > 1) snprintf(zStride, sizeof(zStride), ", every %dth", nStride);
  printf("[ ioerr    ] %-12s %-8s %-28s %3d calls%s, %4d faults: old %d, new %d, "
         "absorbed %d\n",
         p->zName, p->zJournal, zWhat, nCalls, zStride, nInjected, nOld, nNew, nAbsorbed);
  f_nInjected += nInjected;
  anPerMode[mode_index(p->zJournal)] += nInjected;
  f_nRuns += nRun + 1;
  f_state_clear(&old);
  f_state_clear(&new);
  f_remove(zPath);
  f_remove(zTemplate);
  sqlite3_free(zPath);
  sqlite3_free(zTemplate);
}

/* Every call (or every nStride-th), error and kind, in every journal mode. */
static void ioerr_all(const FScenario *pScenario, int nStride) {
  for (int iMode = 0; iMode < 3; iMode++) {
    FScenario s = *pScenario;
    s.zJournal = azMode[iMode];
    for (int bPersistent = 0; bPersistent < 2; bPersistent++) {
      ioerr_loop(&s, FV_WRITE, FV_IOERR, bPersistent, nStride);
      ioerr_loop(&s, FV_WRITE, FV_FULL, bPersistent, nStride);
      ioerr_loop(&s, FV_SYNC, FV_IOERR, bPersistent, nStride);
      ioerr_loop(&s, FV_TRUNCATE, FV_IOERR, bPersistent, nStride);
    }
  }
}

static void test_ioerr_shipped_upgrade(void **state) {
  (void)state;
  ioerr_all(&f_shipped_upgrade, F_EVERY);
}

static void test_ioerr_shipped_downgrade(void **state) {
  (void)state;
  ioerr_all(&f_shipped_downgrade, F_EVERY);
}

static void test_ioerr_table_rebuild_with_data(void **state) {
  (void)state;
  ioerr_all(&f_rebuild, F_EVERY);
}

static void test_ioerr_table_rebuild_in_callers_transaction(void **state) {
  (void)state;
  ioerr_all(&f_rebuild_in_txn, F_EVERY);
}

static void test_ioerr_table_rebuild_spilling_its_cache(void **state) {
  (void)state;
  ioerr_all(&f_rebuild_spill, F_EVERY);
}

static void test_ioerr_alter_table_patterns_upgrade(void **state) {
  (void)state;
  ioerr_all(&f_alter_patterns_up, F_EVERY);
}

static void test_ioerr_alter_table_rebuild_with_mapping(void **state) {
  (void)state;
  ioerr_all(&f_alter_patterns_down, F_EVERY);
}

static void test_ioerr_alter_table_rebuild_spilling_its_cache(void **state) {
  (void)state;
  ioerr_all(&f_alter_patterns_down_spill, F_SPILL_STRIDE);
}

static void test_ioerr_alter_table_edits_of_the_rules(void **state) {
  (void)state;
  /* Every third call (FAULT_STRIDE=1: every one): CI's time. */
  ioerr_all(&f_alter_tighten, 3);
  ioerr_all(&f_alter_loosen, 3);
  ioerr_all(&f_alter_default, 3);
}

static void test_ioerr_alter_table_rebuild_of_a_parent(void **state) {
  (void)state;
  ioerr_all(&f_alter_rebuild, F_EVERY);
}

static void test_ioerr_alter_table_rebuild_in_callers_transaction(void **state) {
  (void)state;
  ioerr_all(&f_alter_rebuild_in_txn, F_EVERY);
}

/* migrate_repair(): the script migrate_check('sql') writes, run as a stamp. */
static void test_ioerr_repair(void **state) {
  (void)state;
  ioerr_all(&f_repair, F_EVERY);
}

static void test_ioerr_restore_says_what_it_left(void **state) {
  (void)state;
  char *zBackup = h_path("restore-source.db");
  f_remove(zBackup);
  sqlite3 *db = h_open(zBackup, "");
  h_exec(db, "SELECT migrate_upgrade('001_initial_schema')");
  h_exec(db, "INSERT INTO questions (id, category, question_text, created_at, updated_at) "
             "VALUES (7, 'backup', 'only in the backup', '2024-01-01', '2024-01-01')");
  sqlite3_close(db);
  sqlite3_snprintf((int)sizeof(f_restore_run), f_restore_run, "SELECT migrate_restore('%q')",
                   zBackup);
  ioerr_all(&f_restore_scenario, F_EVERY);
  f_remove(zBackup);
  sqlite3_free(zBackup);
}

int main(void) {
  if (fv_register() != SQLITE_OK) {
    fprintf(stderr, "test_ioerr: cannot register the fault VFS\n");
    return 1;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ioerr_shipped_upgrade),
      cmocka_unit_test(test_ioerr_shipped_downgrade),
      cmocka_unit_test(test_ioerr_table_rebuild_with_data),
      cmocka_unit_test(test_ioerr_table_rebuild_in_callers_transaction),
      cmocka_unit_test(test_ioerr_table_rebuild_spilling_its_cache),
      cmocka_unit_test(test_ioerr_alter_table_patterns_upgrade),
      cmocka_unit_test(test_ioerr_alter_table_rebuild_with_mapping),
      cmocka_unit_test(test_ioerr_alter_table_rebuild_spilling_its_cache),
      cmocka_unit_test(test_ioerr_alter_table_rebuild_of_a_parent),
      cmocka_unit_test(test_ioerr_alter_table_edits_of_the_rules),
      cmocka_unit_test(test_ioerr_alter_table_rebuild_in_callers_transaction),
      cmocka_unit_test(test_ioerr_repair),
      cmocka_unit_test(test_ioerr_restore_says_what_it_left),
  };
  if (getenv("FAULTS_FILTER")) cmocka_set_test_filter(getenv("FAULTS_FILTER"));
  int nFail = cmocka_run_group_tests(tests, 0, 0);
  printf("[ ioerr    ] total: %ld I/O faults injected over %ld runs "
         "(delete %ld, truncate %ld, wal %ld)\n",
         f_nInjected, f_nRuns, anPerMode[0], anPerMode[1], anPerMode[2]);
  return nFail;
}
