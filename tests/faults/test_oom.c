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

static void test_oom_alter_table_edits_of_the_rules(void **state) {
  (void)state;
  /* Sampled more sparsely than the rebuilds: the planning and the edit they
  ** share with them is covered there (FAULT_STRIDE=1: every point). */
  oom_loop(&f_alter_tighten, 0, F_RULES_OOM_STRIDE);
  oom_loop(&f_alter_loosen, 1, F_RULES_OOM_STRIDE);
  oom_loop(&f_alter_default, 0, F_RULES_OOM_STRIDE);
  oom_loop(&f_alter_default, 1, F_RULES_OOM_STRIDE);
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

/* migrate_repair(): replays, models and the diff, then the script as a stamp. */
static void test_oom_repair(void **state) {
  (void)state;
  oom_loop(&f_repair, 0, F_READ_DIFF_STRIDE);
  oom_loop(&f_repair, 1, F_READ_DIFF_STRIDE);
}

/*
** The functions that only read (checks, scripts, plans, the tables), with
** allocation N failing, for every N: each either answers exactly as without
** a fault or fails with "out of memory" (never a made-up difference, a
** shorter script or a missing step), leaks nothing, leaves the connection
** usable and the file byte for byte as it was.
*/
/*
** Every row of zSql as "a|b|\n" lines, then "error: ..." if it fails other
** than for memory (*pRc SQLITE_DONE then), in libc memory (outside the count).
*/
static char *all_rows(sqlite3 *db, const char *zSql, int *pRc) {
  sqlite3_stmt *pStmt = 0;
  size_t n = 0, nAlloc = 256;
  char *zOut = malloc(nAlloc);
  if (!zOut) fail_msg("out of real memory");
  zOut[0] = 0;
  int rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0);
  while (pStmt && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    for (int i = 0; i <= sqlite3_column_count(pStmt); i++) {
      const char *z = "\n";
      if (i < sqlite3_column_count(pStmt)) {
        z = (const char *)sqlite3_column_text(pStmt, i);
        if (!z) z = sqlite3_errcode(db) == SQLITE_NOMEM ? "(out of memory)" : "NULL";
      }
      size_t nZ = strlen(z);
      while (n + nZ + 2 > nAlloc) {
        nAlloc *= 2;
        zOut = realloc(zOut, nAlloc);
        if (!zOut) fail_msg("out of real memory");
      }
      memcpy(zOut + n, z, nZ);
      n += nZ;
      if (i < sqlite3_column_count(pStmt)) zOut[n++] = '|';
      zOut[n] = 0;
    }
  }
  if (rc != SQLITE_DONE && rc != SQLITE_NOMEM) {
    /* An answer too: the error a person reads (a drift report). */
    const char *zErr = sqlite3_errmsg(db);
    zOut = realloc(zOut, n + strlen(zErr) + 16);
    if (!zOut) fail_msg("out of real memory");
    snprintf(zOut + n, strlen(zErr) + 16, "error: %s", zErr);
    rc = SQLITE_DONE;
  }
  sqlite3_finalize(pStmt);
  *pRc = rc;
  return zOut;
}

static void oom_reader(const FScenario *p, const char *zSql, int bPersistent, int nStride) {
  const char *zKind = bPersistent ? "persistent" : "transient";
  char *zPath = f_path(p, "reader");
  f_template(p, zPath);
  HFile before = h_file(zPath);
  int rc;
  sqlite3 *db = h_open(zPath, p->zSet);
  char *zWant = all_rows(db, zSql, &rc);
  if (rc != SQLITE_DONE) fail_msg("%s: fails without a fault: %s", zSql, sqlite3_errmsg(db));
  if (strlen(zWant) < 2) fail_msg("%s: answers nothing to compare", zSql);
  sqlite3_close(db);

  int nRun = 0, nFailedHere = 0, nNomem = 0, nLostText = 0;
  nStride = f_stride(nStride);
  /* ONLY_N=N starts at fault point N: to replay one that failed. */
  for (int n = f_env_int("ONLY_N", 1);; n += nStride) {
    sqlite3_int64 nLiveBefore = f_mem.nLive;
    db = h_open(zPath, p->zSet);
    arm(n, bPersistent);
    char *zGot = all_rows(db, zSql, &rc);
    int nFault = disarm();
    char *zErr = strdup(sqlite3_errmsg(db)); /* libc: outside the count */
    if (nFault == 0) {
      if (rc != SQLITE_DONE || strcmp(zGot, zWant) != 0) {
        fail_msg("%s: without a fault: %s\n%s", zSql, zErr, zGot);
      }
      free(zGot);
      free(zErr);
      sqlite3_close(db);
      break;
    }
    nRun++;
    nFailedHere += nFault;
    if (rc == SQLITE_DONE && strcmp(zGot, "error: SQL logic error") == 0 &&
        strncmp(zWant, "error: ", 7) == 0) {
      /* The function's error, whose text SQLite failed to copy: its
      ** sqlite3_result_error() keeps the code, and the message becomes
      ** the code's. Not the extension's to fix. */
      nLostText++;
    } else if (rc == SQLITE_DONE) {
      if (strcmp(zGot, zWant) != 0) {
        /* In full: cmocka cuts long messages short. */
        fprintf(stderr, "answered:\n%s\ninstead of:\n%s\n", zGot, zWant);
        fail_msg("%s, %s allocation failure %d: answered differently (above)", zSql, zKind, n);
      }
    } else if (rc != SQLITE_NOMEM || strcmp(zErr, "out of memory") != 0) {
      fail_msg("%s, %s allocation failure %d: failed with %d \"%s\", not \"out of memory\"",
               zSql, zKind, n, rc, zErr);
    } else {
      nNomem++;
    }
    free(zGot);
    free(zErr);
    /* Usable afterwards, and nothing held. */
    h_assert_text(db, "SELECT migrate_current() IS NOT NULL", "1");
    if (sqlite3_get_autocommit(db) != 1) {
      fail_msg("%s, %s allocation failure %d: a transaction is left open", zSql, zKind, n);
    }
    if (sqlite3_close(db) != SQLITE_OK) {
      fail_msg("%s: close: %s (a statement left unfinalized?)", zSql, sqlite3_errmsg(db));
    }
    if (f_mem.nLive != nLiveBefore) {
      fail_msg("%s, %s allocation failure %d: %lld allocations leaked", zSql, zKind, n,
               (long long)(f_mem.nLive - nLiveBefore));
    }
    h_assert_file_unchanged(zPath, before);
  }
  char zStride[64] = "";
  if (nStride > 1) snprintf(zStride, sizeof(zStride), " (every %dth point)", nStride);
  printf("[ oom      ] %s, %s: %d runs%s, %d allocations failed: %d out of memory, "
         "%d answered as without, %d error texts lost by SQLite\n",
         zSql, zKind, nRun, zStride, nFailedHere, nNomem, nRun - nNomem - nLostText, nLostText);
  f_nFailed += nFailedHere;
  f_nRuns += nRun;
  free(zWant);
  free(before.a);
  f_remove(zPath);
  sqlite3_free(zPath);
}

static void test_oom_functions_that_only_read(void **state) {
  (void)state;
  /* The patterns set at 002 with rows: its script expands
  ** migrate_alter_table() calls, its check replays them. The replays are
  ** long loops, sampled as migrate_alter_table()'s are. */
  static const struct {
    const char *zSql;
    int nStride;
  } aSql[] = {
      {"SELECT migrate_check()", F_ALTER_OOM_STRIDE},
      /* The repair script: both models and their diff ('' here); what it
      ** adds to migrate_check() is the diff, covered below, so a sparser
      ** sample (FAULT_STRIDE=1 tries every point). */
      {"SELECT migrate_check('sql')", F_READ_DIFF_STRIDE},
      {"SELECT * FROM migration_drift", F_ALTER_OOM_STRIDE},
      /* The script less the time it was written, its log rows' started_at
      ** ("..., '2026-01-02 03:04:05.678', 0);"), which two calls a
      ** millisecond apart do not share. */
      {"SELECT replace(s, substr(s, instr(s, ''', 0);') - 23, 23), '<written>') "
       "FROM (SELECT migrate_sql('head') AS s)",
       F_ALTER_OOM_STRIDE},
      {"SELECT * FROM migration_plan('head')", F_EVERY},
      {"SELECT revision, is_head, applied FROM migration_history", F_EVERY},
      /* migrate_diff(): the connection's schema read, both texts replayed,
      ** scratch copies proving ALTER TABLE, renames, drops, a rebuild. Each
      ** replays schemas into :memory: (over 6000 points for the first):
      ** sampled like the replays above (FAULT_STRIDE=1 passed every point). */
      {"SELECT migrate_diff('CREATE TABLE t (a)')", F_ALTER_OOM_STRIDE},
      {"SELECT migrate_diff('CREATE TABLE p (id INTEGER PRIMARY KEY, x TEXT, y TEXT);"
       "CREATE INDEX px ON p (x); CREATE VIEW pv AS SELECT x FROM p;"
       "CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id), n TEXT);"
       "CREATE TABLE gone (z);', "
       "'CREATE TABLE q ( -- @renamed from=p\n  id INTEGER PRIMARY KEY,\n"
       "  x2 TEXT, -- @renamed from=x\n  z INTEGER DEFAULT 0);"
       "CREATE INDEX px ON q (x2); CREATE VIEW pv AS SELECT x2 FROM q;"
       "CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES q (id), n TEXT NOT NULL);"
       "CREATE TABLE added (w);')",
       F_ALTER_OOM_STRIDE},
      {"SELECT migrate_show('head')", F_EVERY},
      {"SELECT migrate_show('current')", F_EVERY},
      /* An unknown target's message and its suggestions (graph/nearest.c). */
      {"SELECT migrate_sql('004_widen_categroy')", F_EVERY},
      {"SELECT * FROM migration_plan('widen')", F_EVERY},
  };
  /* ONLY_SQL=text: the one of them that contains it (with ONLY_N, to replay). */
  const char *zOnly = getenv("ONLY_SQL");
  for (size_t i = 0; i < sizeof(aSql) / sizeof(aSql[0]); i++) {
    if (zOnly && !strstr(aSql[i].zSql, zOnly)) continue;
    oom_reader(&f_alter_patterns_up, aSql[i].zSql, 0, aSql[i].nStride);
    oom_reader(&f_alter_patterns_up, aSql[i].zSql, 1, aSql[i].nStride);
  }
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
      cmocka_unit_test(test_oom_alter_table_edits_of_the_rules),
      cmocka_unit_test(test_oom_alter_table_rebuild_in_callers_transaction),
      cmocka_unit_test(test_oom_repair),
      cmocka_unit_test(test_oom_functions_that_only_read),
  };
  if (getenv("FAULTS_FILTER")) cmocka_set_test_filter(getenv("FAULTS_FILTER"));
  int nFail = cmocka_run_group_tests(tests, 0, 0);
  printf("[ oom      ] total: %ld allocations failed over %ld runs\n", f_nFailed, f_nRuns);
  return nFail;
}
