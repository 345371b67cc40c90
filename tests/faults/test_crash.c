/*
** Crashes: a child process runs a migration and dies by SIGKILL part-way.
**
**   - at random moments of a long migration (a table rebuild over 100,000
**     rows: the parent kills the child a random time after it starts the
**     run), CRASHES times in all (default 60), half in rollback-journal and
**     half in WAL mode; CRASH_SEED picks the moments (printed, to replay);
**     and CRASHES / 3 times during a migrate_alter_table() rebuild of
**     100,000 rows;
**   - at every I/O call: the child kills itself just before its Nth xWrite,
**     xSync or xTruncate (the VFS shim of faultvfs.h), for every N until
**     the run completes, over the shipped set, a table rebuild and the
**     upgrades and rebuilds through migrate_alter_table().
**
** After each crash, reopened (which rolls back a hot journal or recovers
** the WAL), the database must be exactly the old state or the new one
** (faults.h): never in between, nothing lost.
*/
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "faults.h"
#include "faultvfs.h"

static long f_nCrashes;   /* Children killed part-way, all tests */

/* The child: open, configure as the caller would, run, exit 0 on success. */
static int child_run(const FScenario *p, const char *zPath, const char *zVfs,
                     int fdReady) {
  sqlite3 *db = 0;
  char *zErr = 0;
  char *zExt = h_extension(p->zSet);
  char *zSetup = sqlite3_mprintf("PRAGMA foreign_keys=%d; PRAGMA journal_mode=%s; %s",
                                 p->bForeignKeys, p->zJournal,
                                 p->zCaller ? p->zCaller : "");
  if (sqlite3_open_v2(zPath, &db, SQLITE_OPEN_READWRITE, zVfs) != SQLITE_OK ||
      sqlite3_enable_load_extension(db, 1) != SQLITE_OK ||
      sqlite3_load_extension(db, zExt, 0, &zErr) != SQLITE_OK ||
      sqlite3_exec(db, zSetup, 0, 0, &zErr) != SQLITE_OK) {
    fprintf(stderr, "crash child: cannot set up: %s\n", zErr ? zErr : sqlite3_errmsg(db));
    return 2;
  }
  if (fdReady >= 0) {
    /* Tell the parent the run starts now. */
    if (write(fdReady, "r", 1) != 1) return 2;
  }
  int rc = sqlite3_exec(db, p->zRun, 0, 0, &zErr);
  if (rc != SQLITE_OK) {
    fprintf(stderr, "crash child: the run failed: %s\n", zErr);
    return 3;
  }
  return sqlite3_close(db) == SQLITE_OK ? 0 : 2;
}

/* Status of the finished child: 1 killed by SIGKILL, 0 completed. */
static int child_outcome(pid_t pid, const char *zWhen) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) fail_msg("%s: waitpid failed", zWhen);
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) return 1;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  fail_msg("%s: the child ended with status %d (see its message above)", zWhen, status);
  return 0;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/*
** nKill children run p and are killed at random moments. The moments are
** spread over how long a run takes here (measured on the reference run, to
** aim the kills; nothing asserts on it), and a little past it.
*/
static void crash_at_random(const FScenario *p, int nKill, unsigned seed) {
  char *zTemplate = f_path(p, "template");
  char *zPath = f_path(p, "crash");
  f_template(p, zTemplate);

  /* The reference run, timed. */
  f_copy(zTemplate, zPath);
  double rStart = now_ms();
  pid_t pid = fork();
  if (pid == 0) _exit(child_run(p, zPath, 0, -1));
  child_outcome(pid, "the reference run");
  double rRunMs = now_ms() - rStart;
  FState old, new;
  f_references(p, zTemplate, &old, &new);

  srand(seed);
  int nOld = 0, nNew = 0, nKilled = 0;
  for (int i = 0; i < nKill; i++) {
    char zWhen[160];
    long nDelayUs = (long)((double)rand() / RAND_MAX * rRunMs * 1100.0);
    snprintf(zWhen, sizeof(zWhen), "%s (%s), crash %d, %ld us into the run",
             p->zName, p->zJournal, i + 1, nDelayUs);
    f_copy(zTemplate, zPath);
    int aPipe[2];
    if (pipe(aPipe) != 0) fail_msg("pipe failed");
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
      close(aPipe[0]);
      _exit(child_run(p, zPath, 0, aPipe[1]));
    }
    close(aPipe[1]);
    char c;
    if (read(aPipe[0], &c, 1) == 1) {
      struct timespec ts = {nDelayUs / 1000000, (nDelayUs % 1000000) * 1000};
      nanosleep(&ts, 0);
      kill(pid, SIGKILL);
    }
    close(aPipe[0]);
    int bKilled = child_outcome(pid, zWhen);
    int bNew = f_check_reopened(zPath, zWhen, &old, &new);
    if (!bKilled && !bNew) fail_msg("%s: the run completed, the database is old", zWhen);
    nKilled += bKilled;
    bNew ? nNew++ : nOld++;
  }
  printf("[ crash    ] %-12s %-6s %3d SIGKILLs at random (seed %u, a run takes "
         "about %.0f ms): %d killed mid-run, %d after it; old %d, new %d\n",
         p->zName, p->zJournal, nKill, seed, rRunMs, nKilled, nKill - nKilled,
         nOld, nNew);
  f_nCrashes += nKilled;
  f_state_clear(&old);
  f_state_clear(&new);
  f_remove(zPath);
  f_remove(zTemplate);
  sqlite3_free(zPath);
  sqlite3_free(zTemplate);
}

/* The child dies just before its Nth eCall, for every N (or every
** nStride-th, see f_stride) until it completes. */
static void crash_at_each_call(const FScenario *p, int eCall, int nStride) {
  static const char *const azCall[] = {"xWrite", "xSync", "xTruncate"};
  char *zTemplate = f_path(p, "template");
  char *zPath = f_path(p, "crash");
  f_template(p, zTemplate);
  FState old, new;
  f_references(p, zTemplate, &old, &new);
  int nOld = 0, nNew = 0, n, nCrash = 0;
  nStride = f_stride(nStride);
  for (n = 1;; n += nStride) {
    char zWhen[160];
    snprintf(zWhen, sizeof(zWhen), "%s (%s), SIGKILL before %s %d", p->zName,
             p->zJournal, azCall[eCall], n);
    f_copy(zTemplate, zPath);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
      fv_arm(eCall, FV_CRASH, n, 0);
      _exit(child_run(p, zPath, "faultvfs", -1));
    }
    int bKilled = child_outcome(pid, zWhen);
    int bNew = f_check_reopened(zPath, zWhen, &old, &new);
    if (!bKilled) {
      if (!bNew) fail_msg("%s: the run completed, the database is old", zWhen);
      break;
    }
    bNew ? nNew++ : nOld++;
    nCrash++;
  }
  char zStride[64] = "";
  if (nStride > 1) snprintf(zStride, sizeof(zStride), " (every %dth)", nStride);
  printf("[ crash    ] %-12s %-6s SIGKILL before each %-9s %3d crashes%s: old %d, new %d\n",
         p->zName, p->zJournal, azCall[eCall], nCrash, zStride, nOld, nNew);
  f_nCrashes += nCrash;
  f_state_clear(&old);
  f_state_clear(&new);
  f_remove(zPath);
  f_remove(zTemplate);
  sqlite3_free(zPath);
  sqlite3_free(zTemplate);
}

static void crash_each_call_all_modes(const FScenario *pScenario, int nStride) {
  static const char *const azMode[] = {"delete", "wal"};
  for (int i = 0; i < 2; i++) {
    FScenario s = *pScenario;
    s.zJournal = azMode[i];
    crash_at_each_call(&s, FV_WRITE, nStride);
    crash_at_each_call(&s, FV_SYNC, nStride);
    crash_at_each_call(&s, FV_TRUNCATE, nStride);
  }
}

/* 100,000 books rebuilt twice, their authors once, two indexes, a summary. */
static const FScenario f_long_rebuild = {
    "long-rebuild", "rebuild_parent", "r1_library",
    F_LIBRARY_DATA(10000, 100000), "SELECT migrate_upgrade('head')", "delete",
    1, 0, 0};

static void test_crash_at_random_moments_of_a_long_rebuild(void **state) {
  (void)state;
  int nKill = f_env_int("CRASHES", 60);
  unsigned seed = (unsigned)f_env_int("CRASH_SEED", (int)time(0));
  FScenario s = f_long_rebuild;
  crash_at_random(&s, nKill - nKill / 2, seed);
  s.zJournal = "wal";
  crash_at_random(&s, nKill / 2, seed + 1);
}

/* responses rebuilt over 100,000 rows by migrate_alter_table(), each
** filled through the mapping from response_evaluations. */
static const FScenario f_long_alter_rebuild = {
    "long-alter", "patterns", "004_widen_category",
    F_CALLER_TABLE F_SHIPPED_DATA F_SHIPPED_INVALID F_MORE_RESPONSES(100000)
    "SELECT migrate_upgrade('head');",
    "SELECT migrate_downgrade(-1)", "delete", 1, 0, 0};

static void test_crash_at_random_moments_of_a_long_alter_table_rebuild(void **state) {
  (void)state;
  int nKill = f_env_int("CRASHES", 60) / 3;
  unsigned seed = (unsigned)f_env_int("CRASH_SEED", (int)time(0)) + 2;
  FScenario s = f_long_alter_rebuild;
  crash_at_random(&s, nKill - nKill / 2, seed);
  s.zJournal = "wal";
  crash_at_random(&s, nKill / 2, seed + 1);
}

static void test_crash_before_each_io_call_shipped_upgrade(void **state) {
  (void)state;
  crash_each_call_all_modes(&f_shipped_upgrade, F_EVERY);
}

static void test_crash_before_each_io_call_table_rebuild(void **state) {
  (void)state;
  crash_each_call_all_modes(&f_rebuild_spill, F_EVERY);
}

static void test_crash_before_each_io_call_alter_table(void **state) {
  (void)state;
  crash_each_call_all_modes(&f_alter_patterns_up, F_EVERY);
  crash_each_call_all_modes(&f_alter_patterns_down, F_EVERY);
  crash_each_call_all_modes(&f_alter_patterns_down_spill, F_SPILL_STRIDE);
  crash_each_call_all_modes(&f_alter_rebuild, F_EVERY);
}

int main(void) {
  if (fv_register() != SQLITE_OK) {
    fprintf(stderr, "test_crash: cannot register the fault VFS\n");
    return 1;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_crash_at_random_moments_of_a_long_rebuild),
      cmocka_unit_test(test_crash_before_each_io_call_shipped_upgrade),
      cmocka_unit_test(test_crash_before_each_io_call_table_rebuild),
      cmocka_unit_test(test_crash_at_random_moments_of_a_long_alter_table_rebuild),
      cmocka_unit_test(test_crash_before_each_io_call_alter_table),
  };
  if (getenv("FAULTS_FILTER")) cmocka_set_test_filter(getenv("FAULTS_FILTER"));
  int nFail = cmocka_run_group_tests(tests, 0, 0);
  printf("[ crash    ] total: %ld crashes survived\n", f_nCrashes);
  return nFail;
}
