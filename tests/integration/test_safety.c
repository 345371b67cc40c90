/*
** Safety tests: the promise that a run completes or leaves the database
** exactly as it was, tried hard. Concurrent migrators (processes and
** threads, rollback journal and WAL), foreign keys during table rebuilds,
** hostile schemas, re-entrancy, read-only and locked databases.
**
** Fixture sets: slow (three steps that each take a while, so migrators
** really overlap), fk_rebuild (the shipped 001 and 002, then a 12-step
** rebuild of questions, then a faulty rebuild that loses parent rows),
** reentrant.
**
** Code that runs in a child process or a thread makes no cmocka call: it
** reports a line of text, and the test asserts on it.
*/
#include <errno.h>
#include <pthread.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "harness.h"

static const char *zHead = "002_add_invalid_responses";

/* ---- helpers ------------------------------------------------------------- */

/* The schema a clean run of zSet to zTarget leaves. */
static char *clean_schema(const char *zSet, const char *zTarget) {
  sqlite3 *db = h_open(":memory:", zSet);
  char *zSql = sqlite3_mprintf("SELECT migrate_upgrade(%Q)", zTarget);
  sqlite3_free(h_text(db, zSql));
  sqlite3_free(zSql);
  char *z = h_schema(db);
  sqlite3_close(db);
  return z;
}

static void assert_schema(sqlite3 *db, const char *zWant) {
  char *zGot = h_schema(db);
  if (strcmp(zGot, zWant) != 0) {
    fail_msg("schema differs\n--- want:\n%s\n--- got:\n%s", zWant, zGot);
  }
  sqlite3_free(zGot);
}

/* Assert zSql fails with exactly zWant and the primary code eCode. */
static void assert_error_code(sqlite3 *db, const char *zSql, const char *zWant,
                              int eCode) {
  int rc = 0;
  char *zGot = h_error(db, zSql, &rc);
  if (strcmp(zGot, zWant) != 0) {
    fail_msg("%s\n  error: %s\n  want:  %s", zSql, zGot, zWant);
  }
  if ((rc & 0xff) != eCode) {
    fail_msg("%s\n  code %d, want %d", zSql, rc & 0xff, eCode);
  }
  sqlite3_free(zGot);
}

/* The shipped schema at 001 with rows in every table, the file closed. */
static char *at_001_with_rows(const char *zName) {
  char *zDb = h_fresh(zName);
  sqlite3 *db = h_open(zDb, "");
  h_assert_text(db, "SELECT migrate_upgrade('001')", "001_initial_schema");
  h_exec(db,
         "INSERT INTO questions (id, category, question_text, created_at, "
         "updated_at) VALUES (1, 'math', 'What is 2+2?', '2024-01-01', "
         "'2024-01-01');"
         "INSERT INTO responses (id, question_id, model_name, model_config, "
         "answer, created_at, updated_at) VALUES (1, 1, 'm', '{}', '4', "
         "'2024-01-01', '2024-01-01');");
  sqlite3_close(db);
  return zDb;
}

/* ---- concurrent migrators ------------------------------------------------ */

#define N_MIGRATOR 8
#define SLOW_HEAD "s3_fill"

/* Rounds of each race: 3, or $DM_RACE_ROUNDS (make test-valgrind, where
** every migrator process is a valgrind of its own, runs 1). */
static int race_rounds(void) {
  const char *z = getenv("DM_RACE_ROUNDS");
  int n = z ? atoi(z) : 0;
  return n > 0 ? n : 3;
}

/*
** Odd migrators give up quickly, even ones wait long: both ways out of a
** lock (success, or "database is locked" after the busy timeout) happen.
*/
static int migrator_timeout(int i) {
  return (i & 1) ? 5 : 60000;
}

typedef struct Migrator Migrator;
struct Migrator {
  const char *zDb;
  int iTimeout;
  pthread_barrier_t *pBarrier; /* Threads: wait here; processes: 0 */
  int fdStart;                 /* Processes: read one byte to start */
  char zOut[1024];             /* "ok RESULT" or "error CODE MESSAGE" */
};

/*
** One migrator: its own connection and busy timeout. It prepares its call
** before the start signal (so that every migrator's first lock attempt is
** the run's BEGIN IMMEDIATE, not the schema read of a prepare), then all
** start at once.
*/
static void migrate_once(Migrator *p) {
  sqlite3 *db = 0;
  sqlite3_stmt *pStmt = 0;
  char *zErr = 0;
  char *zExt = h_extension("slow");
  int rc = sqlite3_open_v2(p->zDb, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 0);
  if (rc == SQLITE_OK) rc = sqlite3_enable_load_extension(db, 1);
  if (rc == SQLITE_OK) rc = sqlite3_load_extension(db, zExt, 0, &zErr);
  if (rc == SQLITE_OK) rc = sqlite3_busy_timeout(db, p->iTimeout);
  if (rc == SQLITE_OK) {
    rc = sqlite3_prepare_v2(db, "SELECT migrate_upgrade('head')", -1, &pStmt, 0);
  }
  if (p->pBarrier) {
    pthread_barrier_wait(p->pBarrier);
  } else {
    char c;
    while (read(p->fdStart, &c, 1) < 0 && errno == EINTR) {
    }
  }
  if (rc == SQLITE_OK) rc = sqlite3_step(pStmt);
  if (rc == SQLITE_ROW) {
    snprintf(p->zOut, sizeof(p->zOut), "ok %s", sqlite3_column_text(pStmt, 0));
  } else {
    snprintf(p->zOut, sizeof(p->zOut), "error %d %s",
             db ? sqlite3_extended_errcode(db) : rc,
             zErr ? zErr : db ? sqlite3_errmsg(db) : "cannot open");
  }
  sqlite3_finalize(pStmt);
  sqlite3_close(db);
  sqlite3_free(zErr);
  sqlite3_free(zExt);
}

/* A fresh database in the journal mode the race is about. */
static char *race_database(int bWal) {
  char *zDb = h_fresh("race.db");
  sqlite3 *db = h_open(zDb, 0);
  h_assert_text(db, bWal ? "PRAGMA journal_mode=WAL" : "PRAGMA journal_mode=DELETE",
                bWal ? "wal" : "delete");
  sqlite3_close(db);
  return zDb;
}

/*
** What a migrator may end with: the head, or "database is locked" (as the
** run starts, or as it commits while another connection still reads).
*/
static void assert_outcome(const Migrator *p, int *pnOk, int *pnBusy) {
  if (strcmp(p->zOut, "ok " SLOW_HEAD) == 0) {
    (*pnOk)++;
    return;
  }
  char *zBegin = sqlite3_mprintf(
      "error %d migrate_upgrade(): database is locked: another connection is "
      "writing to it (waited %d ms, this connection's busy timeout); try "
      "again, or wait longer with PRAGMA busy_timeout = 10000",
      SQLITE_BUSY, p->iTimeout);
  char *zCommit = sqlite3_mprintf(
      "error %d migrate_upgrade(): database is locked: another connection is "
      "reading it, so the run could not commit (waited %d ms, this "
      "connection's busy timeout); try again when the reader is done, or "
      "wait longer with PRAGMA busy_timeout = 10000\n"
      "  the run was rolled back: the database is still at base",
      SQLITE_BUSY, p->iTimeout);
  if (strcmp(p->zOut, zBegin) != 0 && strcmp(p->zOut, zCommit) != 0) {
    fail_msg("a migrator (busy timeout %d ms) ended with:\n  %s", p->iTimeout,
             p->zOut);
  }
  (*pnBusy)++;
  sqlite3_free(zBegin);
  sqlite3_free(zCommit);
}

/* After a race: each step once in the log, the schema of a clean run. */
static void assert_applied_once(const char *zDb, const char *zClean, int bWal) {
  sqlite3 *db = h_open(zDb, "slow");
  h_assert_text(db, "SELECT migrate_current()", SLOW_HEAD);
  h_assert_text(db,
                "SELECT group_concat(revision || ' ' || direction || ' x' || n, ', ') "
                "FROM (SELECT revision, direction, count(*) AS n FROM distmigrate_log "
                "GROUP BY revision, direction ORDER BY revision)",
                "s1_fill upgrade x1, s2_fill upgrade x1, s3_fill upgrade x1");
  assert_schema(db, zClean);
  h_assert_text(db, "SELECT (SELECT count(*) FROM s1) || ' ' || "
                    "(SELECT count(*) FROM s2) || ' ' || (SELECT count(*) FROM s3)",
                "40000 40000 40000");
  h_assert_text(db, "PRAGMA journal_mode", bWal ? "wal" : "delete");
  h_assert_text(db, "PRAGMA integrity_check", "ok");
  sqlite3_close(db);
}

static void race_processes(int bWal) {
  char *zClean = clean_schema("slow", "head");
  int nOk = 0, nBusy = 0, nRound = race_rounds();
  for (int iRound = 0; iRound < nRound; iRound++) {
    char *zDb = race_database(bWal);
    int aStart[2];
    if (pipe(aStart) != 0) fail_msg("pipe: %s", strerror(errno));
    pid_t aPid[N_MIGRATOR];
    int aOut[N_MIGRATOR];
    fflush(stdout);
    fflush(stderr);
    for (int i = 0; i < N_MIGRATOR; i++) {
      int aPipe[2];
      if (pipe(aPipe) != 0) fail_msg("pipe: %s", strerror(errno));
      aPid[i] = fork();
      if (aPid[i] < 0) fail_msg("fork: %s", strerror(errno));
      if (aPid[i] == 0) {
        close(aStart[1]);
        close(aPipe[0]);
        Migrator m;
        memset(&m, 0, sizeof(m));
        m.zDb = zDb;
        m.iTimeout = migrator_timeout(i);
        m.fdStart = aStart[0];
        migrate_once(&m);
        size_t n = strlen(m.zOut);
        _exit(write(aPipe[1], m.zOut, n) == (ssize_t)n ? 0 : 3);
      }
      close(aPipe[1]);
      aOut[i] = aPipe[0];
    }
    close(aStart[0]);
    /* Everyone is forked and waits: go. */
    char acGo[N_MIGRATOR];
    memset(acGo, 'g', sizeof(acGo));
    if (write(aStart[1], acGo, sizeof(acGo)) != (ssize_t)sizeof(acGo)) {
      fail_msg("cannot start the migrators");
    }
    close(aStart[1]);
    for (int i = 0; i < N_MIGRATOR; i++) {
      Migrator m;
      memset(&m, 0, sizeof(m));
      m.iTimeout = migrator_timeout(i);
      size_t n = 0;
      ssize_t nRead;
      while ((nRead = read(aOut[i], m.zOut + n, sizeof(m.zOut) - 1 - n)) > 0) {
        n += (size_t)nRead;
      }
      close(aOut[i]);
      int status = 0;
      waitpid(aPid[i], &status, 0);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fail_msg("migrator %d died (status %d): %s", i, status, m.zOut);
      }
      assert_outcome(&m, &nOk, &nBusy);
    }
    assert_applied_once(zDb, zClean, bWal);
    sqlite3_free(zDb);
  }
  /* Someone migrated in each round (the schema says so); both ways out of
  ** the lock are legal, their counts depend on timing. */
  print_message("%d rounds of %d processes (%s): %d migrated or found the "
                "head, %d gave up on the lock\n",
                nRound, N_MIGRATOR, bWal ? "WAL" : "rollback journal", nOk, nBusy);
  assert_true(nOk >= nRound);
  sqlite3_free(zClean);
}

static void *migrator_thread(void *p) {
  migrate_once(p);
  return 0;
}

static void race_threads(int bWal) {
  char *zClean = clean_schema("slow", "head");
  int nOk = 0, nBusy = 0, nRound = race_rounds();
  for (int iRound = 0; iRound < nRound; iRound++) {
    char *zDb = race_database(bWal);
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, 0, N_MIGRATOR);
    Migrator aM[N_MIGRATOR];
    pthread_t aThread[N_MIGRATOR];
    memset(aM, 0, sizeof(aM));
    for (int i = 0; i < N_MIGRATOR; i++) {
      aM[i].zDb = zDb;
      aM[i].iTimeout = migrator_timeout(i);
      aM[i].pBarrier = &barrier;
      if (pthread_create(&aThread[i], 0, migrator_thread, &aM[i]) != 0) {
        fail_msg("pthread_create failed");
      }
    }
    for (int i = 0; i < N_MIGRATOR; i++) pthread_join(aThread[i], 0);
    pthread_barrier_destroy(&barrier);
    for (int i = 0; i < N_MIGRATOR; i++) assert_outcome(&aM[i], &nOk, &nBusy);
    assert_applied_once(zDb, zClean, bWal);
    sqlite3_free(zDb);
  }
  print_message("%d rounds of %d threads (%s): %d migrated or found the "
                "head, %d gave up on the lock\n",
                nRound, N_MIGRATOR, bWal ? "WAL" : "rollback journal", nOk, nBusy);
  assert_true(nOk >= nRound);
  sqlite3_free(zClean);
}

static void test_processes_racing_apply_each_step_once_rollback_journal(void **state) {
  (void)state;
  race_processes(0);
}

static void test_processes_racing_apply_each_step_once_wal(void **state) {
  (void)state;
  race_processes(1);
}

static void test_threads_racing_apply_each_step_once_rollback_journal(void **state) {
  (void)state;
  race_threads(0);
}

static void test_threads_racing_apply_each_step_once_wal(void **state) {
  (void)state;
  race_threads(1);
}

/* ---- foreign keys during table rebuilds ---------------------------------- */

/*
** fk_rebuild at 002 with three questions (one without a golden answer),
** responses to all of them and invalid responses to two. The caller's
** connection, with foreign keys as bFk says.
*/
static sqlite3 *fk_database(const char *zName, int bFk, char **pzDb) {
  *pzDb = h_fresh(zName);
  sqlite3 *db = h_open(*pzDb, "fk_rebuild");
  h_exec(db, bFk ? "PRAGMA foreign_keys = ON" : "PRAGMA foreign_keys = OFF");
  h_assert_text(db, "SELECT migrate_upgrade('002')", zHead);
  h_exec(db,
         "INSERT INTO questions (id, json_id, category, question_text, "
         "golden_answer, created_at, updated_at) VALUES "
         "(1, 'q1', 'math', 'What is 2+2?', '4', '2024-01-01', '2024-01-01'),"
         "(2, 'q2', 'math', 'What is 3+3?', NULL, '2024-01-01', '2024-01-01'),"
         "(3, 'q3', 'geo', 'Capital of France?', 'Paris', '2024-01-01', '2024-01-01');"
         "INSERT INTO responses (id, question_id, model_name, model_config, "
         "answer, is_correct, created_at, updated_at) VALUES "
         "(1, 1, 'm1', '{}', '4', 1, '2024-01-02', '2024-01-02'),"
         "(2, 1, 'm2', '{}', '5', 0, '2024-01-02', '2024-01-02'),"
         "(3, 2, 'm1', '{}', '6', NULL, '2024-01-02', '2024-01-02'),"
         "(4, 3, 'm1', '{}', 'Paris', 1, '2024-01-02', '2024-01-02'),"
         "(5, 2, 'm2', '{}', '7', NULL, '2024-01-02', '2024-01-02');"
         "INSERT INTO invalid_responses (id, question_id, model_name, "
         "model_config, answer, validation_error, error_type, created_at, "
         "updated_at) VALUES "
         "(1, 2, 'm3', '{}', '{', 'bad JSON', 'JSON_PARSE_ERROR', '2024-01-02', '2024-01-02'),"
         "(2, 3, 'm3', '{}', '[]', 'not an object', 'SCHEMA_VALIDATION_ERROR', "
         "'2024-01-02', '2024-01-02');");
  return db;
}

static const char *zChildRows =
    "SELECT (SELECT group_concat(id || ':' || question_id) FROM "
    "(SELECT * FROM responses ORDER BY id)) || ' / ' || "
    "(SELECT group_concat(id || ':' || question_id) FROM "
    "(SELECT * FROM invalid_responses ORDER BY id))";
static const char *zAllChildRows = "1:1,2:1,3:2,4:3,5:2 / 1:2,2:3";

static void test_rebuild_with_foreign_keys_on_keeps_every_child_row(void **state) {
  (void)state;
  char *zDb = 0;
  sqlite3 *db = fk_database("fk-on.db", 1, &zDb);
  h_assert_text(db, "SELECT migrate_upgrade('003')", "003_rebuild_questions");
  h_assert_text(db, zChildRows, zAllChildRows);
  h_assert_text(db, "SELECT count(*) FROM questions", "3");
  /* The new table took the old one's place: the keys point at it. */
  h_assert_text(db, "SELECT sql LIKE '%VARCHAR(200)%' FROM sqlite_schema WHERE name = 'questions'", "1");
  h_assert_text(db, "SELECT count(*) FROM pragma_foreign_key_check", "0");
  h_assert_text(db, "PRAGMA foreign_keys", "1");
  /* Enforcement is really back on: a dangling row is refused. */
  h_assert_error(db,
                 "INSERT INTO responses (question_id, model_name, model_config, "
                 "answer, created_at, updated_at) VALUES (99, 'm', '{}', 'x', 'x', 'x')",
                 "FOREIGN KEY constraint failed");
  /* And the way back keeps them too. */
  h_assert_text(db, "SELECT migrate_downgrade(-1)", zHead);
  h_assert_text(db, zChildRows, zAllChildRows);
  h_assert_text(db, "PRAGMA foreign_keys", "1");
  h_assert_text(db, "PRAGMA integrity_check", "ok");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

static void test_rebuild_with_foreign_keys_off_keeps_every_child_row(void **state) {
  (void)state;
  char *zDb = 0;
  sqlite3 *db = fk_database("fk-off.db", 0, &zDb);
  h_assert_text(db, "SELECT migrate_upgrade('003')", "003_rebuild_questions");
  h_assert_text(db, zChildRows, zAllChildRows);
  h_assert_text(db, "PRAGMA foreign_keys", "0");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

static const char *zDanglingError =
    "PRAGMA foreign_key_check found 3 foreign key violations after the "
    "migrations ran:\n"
    "  invalid_responses row 1 references questions, which has no such row\n"
    "  responses row 3 references questions, which has no such row\n"
    "  responses row 5 references questions, which has no such row\n"
    "  the run was rolled back: the database is still at 002_add_invalid_responses";

/* 004 copies only the questions with a golden answer: question 2's
** children would point at nothing. */
static void test_dangling_reference_fails_foreign_key_check_and_rolls_back(void **state) {
  (void)state;
  char *zDb = 0;
  sqlite3 *db = fk_database("fk-dangling.db", 1, &zDb);
  sqlite3_close(db);
  HFile before = h_file(zDb);
  db = h_open(zDb, "fk_rebuild");
  h_exec(db, "PRAGMA foreign_keys = ON");
  assert_error_code(db, "SELECT migrate_upgrade('head')", zDanglingError,
                    SQLITE_CONSTRAINT);
  h_assert_text(db, "PRAGMA foreign_keys", "1");
  h_assert_text(db, "SELECT migrate_current()", zHead);
  h_assert_text(db, "SELECT group_concat(id) FROM questions", "1,2,3");
  h_assert_text(db, zChildRows, zAllChildRows);
  assert_int_equal(sqlite3_get_autocommit(db), 1);
  sqlite3_close(db);
  h_assert_file_unchanged(zDb, before);
  free(before.a);
  sqlite3_free(zDb);
}

static const char *zRefusal =
    "upgrade 002_add_invalid_responses -> 003_rebuild_questions failed: it "
    "drops table questions, which invalid_responses, responses reference by "
    "a foreign key, and with PRAGMA foreign_keys=ON that DROP TABLE would "
    "delete their rows (ON DELETE CASCADE) or fail; inside a transaction "
    "foreign keys cannot be turned off, so distmigrate refused the run "
    "before the DROP. Run migrate_upgrade() outside a transaction "
    "(distmigrate then turns foreign keys off for the run and runs PRAGMA "
    "foreign_key_check before COMMIT), or run PRAGMA foreign_keys=OFF "
    "before BEGIN\n"
    "  at tests/fixtures/fk_rebuild/003_rebuild_questions.sql:28: DROP TABLE "
    "questions;\n"
    "  the run was rolled back: the database is still at 002_add_invalid_responses";

static void test_drop_of_referenced_table_in_callers_transaction_is_refused(void **state) {
  (void)state;
  char *zDb = 0;
  sqlite3 *db = fk_database("fk-txn.db", 1, &zDb);
  char *zSchema = h_schema(db);
  h_exec(db, "BEGIN; CREATE TABLE mine (x); INSERT INTO mine VALUES (42);");
  assert_error_code(db, "SELECT migrate_upgrade('003')", zRefusal, SQLITE_ERROR);
  /* The caller's transaction is open, with its work, and nothing else. */
  assert_int_equal(sqlite3_get_autocommit(db), 0);
  h_assert_text(db, "SELECT x FROM mine", "42");
  h_assert_error(db, "RELEASE distmigrate", "no such savepoint: distmigrate");
  h_assert_text(db, "SELECT migrate_current()", zHead);
  h_assert_text(db, zChildRows, zAllChildRows);
  h_assert_text(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'questions_new'", "0");
  h_exec(db, "DROP TABLE mine");
  assert_schema(db, zSchema);
  h_exec(db, "COMMIT");
  h_assert_text(db, zChildRows, zAllChildRows);
  /* As the message says: outside a transaction it works... */
  h_assert_text(db, "SELECT migrate_upgrade('003')", "003_rebuild_questions");
  h_assert_text(db, zChildRows, zAllChildRows);
  /* ...and so it does inside one with foreign keys off. */
  h_assert_text(db, "SELECT migrate_downgrade('002')", zHead);
  h_exec(db, "PRAGMA foreign_keys = OFF; BEGIN");
  h_assert_text(db, "SELECT migrate_upgrade('003')", "003_rebuild_questions");
  h_exec(db, "COMMIT");
  h_assert_text(db, zChildRows, zAllChildRows);
  sqlite3_close(db);
  sqlite3_free(zSchema);
  sqlite3_free(zDb);
}

/*
** Only a table that something else references is refused: 001's down drops
** responses before questions, and by then nothing references questions.
** The check follows the schema as the plan changes it.
*/
static void test_drops_of_unreferenced_tables_run_in_callers_transaction(void **state) {
  (void)state;
  char *zDb = h_fresh("fk-txn-ok.db");
  sqlite3 *db = h_open(zDb, "fk_rebuild");
  h_exec(db, "PRAGMA foreign_keys = ON; BEGIN");
  h_assert_text(db, "SELECT migrate_upgrade('002')", zHead);
  h_assert_text(db, "SELECT migrate_downgrade('base')", "NULL");
  h_exec(db, "COMMIT");
  h_assert_text(db, "SELECT group_concat(name) FROM sqlite_schema",
                "alembic_version,sqlite_autoindex_alembic_version_1,distmigrate_log");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

/* ---- hostile schemas ------------------------------------------------------ */

/* Stand-ins for the attacker's tools: same names, harmless, deterministic,
** so that SQLite lets them into views, triggers, CHECKs, DEFAULTs and
** generated columns. The victim then opens the file with the real
** extension. */
static void harmless(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  (void)argv;
  sqlite3_result_null(ctx);
}

static void craft(const char *zDb, const char *zSql) {
  sqlite3 *db = h_open(zDb, 0);
  const char *azName[] = {"migrate_upgrade", "migrate_downgrade", "migrate_stamp",
                          "migrate_verbose", "migrate_backup",    "migrate_restore",
                          "migrate_strict",  "migrate_repair"};
  for (size_t i = 0; i < sizeof(azName) / sizeof(azName[0]); i++) {
    sqlite3_create_function(db, azName[i], -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                            0, harmless, 0, 0);
  }
  h_exec(db, zSql);
  sqlite3_close(db);
}

static void write_file(const char *zPath, HFile f) {
  FILE *out = fopen(zPath, "wb");
  if (!out || fwrite(f.a, 1, f.n, out) != f.n || fclose(out) != 0) {
    fail_msg("cannot write %s", zPath);
  }
}

/* What stops the call. */
enum {
  BY_DIRECTONLY,   /* SQLite: SQLITE_DIRECTONLY */
  BY_CALLED_ALONE, /* SQLite 3.40 lets a CHECK through: distmigrate refuses */
  BY_DETERMINISM   /* SQLite 3.40: a generated column needs deterministic functions */
};

typedef struct Hostile Hostile;
struct Hostile {
  const char *zObject;     /* Added to the victim's database; %s: the call */
  const char *azFire[3];   /* What the victim runs that uses it */
  int eBy;
};

typedef struct HostileCall HostileCall;
struct HostileCall {
  const char *zCall;
  const char *zFunc;
};

/* The file the hostile calls would back up to, and restore from. */
static char *zHostileCopy = 0;
static char *zHostileSource = 0;

/* The exact errors that refuse zFunc from object pObj. */
static int hostile_error_is_expected(const Hostile *pObj, const char *zFunc,
                                     const char *zGot) {
  char *azWant[3] = {0, 0, 0};
  switch (pObj->eBy) {
    case BY_DIRECTONLY:
      azWant[0] = sqlite3_mprintf("unsafe use of %s()", zFunc);
      break;
    case BY_CALLED_ALONE:
      if (strcmp(zFunc, "migrate_verbose") == 0) {
        azWant[0] = sqlite3_mprintf(
            "migrate_verbose() must be called on its own, as in SELECT "
            "migrate_verbose(1)");
      } else if (strcmp(zFunc, "migrate_strict") == 0) {
        azWant[0] = sqlite3_mprintf(
            "migrate_strict() must be called on its own, as in SELECT "
            "migrate_strict(1)");
      } else if (strcmp(zFunc, "migrate_repair") == 0) {
        azWant[0] = sqlite3_mprintf(
            "migrate_repair() must be called on its own, as in SELECT "
            "migrate_repair()");
      } else if (strcmp(zFunc, "migrate_backup") == 0) {
        azWant[0] = sqlite3_mprintf(
            "migrate_backup() must be called on its own, as in SELECT "
            "migrate_backup('backup.db')");
      } else if (strcmp(zFunc, "migrate_restore") == 0) {
        azWant[0] = sqlite3_mprintf(
            "migrate_restore() must be called on its own, as in SELECT "
            "migrate_restore('%s'), not inside a statement that reads a table",
            zHostileSource);
        azWant[2] = sqlite3_mprintf(
            "migrate_restore('%s') replaces the whole database and cannot run "
            "inside a transaction; COMMIT or ROLLBACK first",
            zHostileSource);
      } else {
        azWant[0] = sqlite3_mprintf(
            "%s() must be called on its own, as in SELECT %s(...); here it "
            "runs inside a statement that reads a table (or while another "
            "statement on this connection is still running), and SQLite "
            "cannot change the schema under an open cursor (\"database table "
            "is locked\")",
            zFunc, zFunc);
      }
      break;
    default:
      azWant[0] = sqlite3_mprintf(
          "malformed database schema (hostile) - non-deterministic functions "
          "prohibited in generated columns");
      break;
  }
  /* Newer SQLite (3.53) refuses a CHECK or a generated column calling a
  ** DIRECTONLY function when it reads the schema. */
  if (pObj->eBy != BY_DIRECTONLY) {
    azWant[1] = sqlite3_mprintf(
        "malformed database schema (hostile) - unsafe use of %s()", zFunc);
  }
  int bMatch = 0;
  for (int i = 0; i < 3; i++) {
    if (azWant[i] && strcmp(azWant[i], zGot) == 0) bMatch = 1;
    sqlite3_free(azWant[i]);
  }
  return bMatch;
}

/*
** Turns strict mode on for the victim's connection, and returns 0; or
** returns 1 where the connection refuses to read the crafted schema at
** all: newer SQLite (3.53) does so for a CHECK or a generated column that
** calls a DIRECTONLY function, and then no statement prepares (the modes
** cannot be set or read; the firing statement fails with the same
** sentence, which hostile_error_is_expected() accepts). Any other failure
** fails the test.
*/
static int strict_on_or_schema_refused(sqlite3 *db, const Hostile *pObj, const char *zFunc) {
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(db, "SELECT migrate_strict(1)", -1, &pStmt, 0);
  if (rc == SQLITE_OK) {
    if (sqlite3_step(pStmt) != SQLITE_ROW || sqlite3_column_int(pStmt, 0) != 0) {
      fail_msg("SELECT migrate_strict(1): %s", sqlite3_errmsg(db));
    }
    sqlite3_finalize(pStmt);
    return 0;
  }
  char *zWant =
      sqlite3_mprintf("malformed database schema (hostile) - unsafe use of %s()", zFunc);
  if (pObj->eBy == BY_DIRECTONLY || strcmp(sqlite3_errmsg(db), zWant) != 0) {
    fail_msg("%s\n  SELECT migrate_strict(1) failed: %s", pObj->zObject, sqlite3_errmsg(db));
  }
  sqlite3_free(zWant);
  return 1;
}

/* The state a refused call must leave, read without the extension. */
static char *plain_state(const char *zDb) {
  sqlite3 *db = h_open(zDb, 0);
  char *zSchema = h_schema(db);
  char *zRows = h_text(db,
                       "SELECT (SELECT group_concat(version_num) FROM alembic_version) "
                       "|| ' ' || (SELECT count(*) FROM questions) || ' ' || "
                       "(SELECT count(*) FROM responses) || ' ' || "
                       "(SELECT count(*) FROM sqlite_schema WHERE name LIKE 'distmigrate%')");
  char *z = sqlite3_mprintf("%s\n%s", zRows, zSchema);
  sqlite3_free(zSchema);
  sqlite3_free(zRows);
  sqlite3_close(db);
  return z;
}

/*
** Every writing function, from every kind of schema object, fired in
** autocommit and inside the victim's own transaction, with trusted_schema
** on and off: an error, the file byte for byte as it was, no backup
** written, and the connection's verbose and strict modes as they were.
*/
static void test_hostile_schema_cannot_run_writing_functions(void **state) {
  (void)state;
  static const Hostile aObject[] = {
      {"CREATE VIEW hostile AS SELECT %s AS r", {"SELECT * FROM hostile"}, BY_DIRECTONLY},
      {"CREATE TABLE bait (x); CREATE TRIGGER hostile AFTER INSERT ON bait "
       "BEGIN SELECT %s; END",
       {"INSERT INTO bait VALUES (1)"}, BY_DIRECTONLY},
      {"CREATE TABLE hostile (x, y DEFAULT (%s))",
       {"INSERT INTO hostile (x) VALUES (1)"}, BY_DIRECTONLY},
      {"CREATE TABLE hostile (x CHECK (x > 0 AND %s IS NULL)); INSERT INTO hostile VALUES (1)",
       {"INSERT INTO hostile VALUES (2)", "UPDATE hostile SET x = 3",
        "PRAGMA integrity_check"},
       BY_CALLED_ALONE},
      {"CREATE TABLE hostile (x, y AS (%s) VIRTUAL); INSERT INTO hostile (x) VALUES (1)",
       {"SELECT * FROM hostile"}, BY_DETERMINISM},
      {"CREATE TABLE hostile (x, y AS (%s) STORED)",
       {"INSERT INTO hostile (x) VALUES (1)"}, BY_DETERMINISM},
  };
  /* At 001 with rows: up, down and stamp would all change something. */
  char *zBase = at_001_with_rows("hostile-base.db");
  zHostileSource = zBase;
  zHostileCopy = h_path("hostile-copy.db");
  char *zBackup = sqlite3_mprintf("migrate_backup('%s')", zHostileCopy);
  char *zBackupOver = sqlite3_mprintf("migrate_backup('%s', 'overwrite')", zHostileCopy);
  char *zRestore = sqlite3_mprintf("migrate_restore('%s')", zHostileSource);
  const HostileCall aCall[] = {
      {"migrate_upgrade('head')", "migrate_upgrade"},
      {"migrate_downgrade('base')", "migrate_downgrade"},
      {"migrate_downgrade(-1)", "migrate_downgrade"},
      {"migrate_stamp('base')", "migrate_stamp"},
      {"migrate_stamp('head', 'purge')", "migrate_stamp"},
      {"migrate_verbose(1)", "migrate_verbose"},
      {"migrate_strict(0)", "migrate_strict"},
      {zBackup, "migrate_backup"},
      {zBackupOver, "migrate_backup"},
      {zRestore, "migrate_restore"},
      {"migrate_repair()", "migrate_repair"},
  };
  HFile base = h_file(zBase);
  char *zDb = h_path("hostile.db");
  int nCase = 0;
  for (size_t iObj = 0; iObj < sizeof(aObject) / sizeof(aObject[0]); iObj++) {
    const Hostile *pObj = &aObject[iObj];
    for (size_t iCall = 0; iCall < sizeof(aCall) / sizeof(aCall[0]); iCall++) {
      char *zObject = sqlite3_mprintf(pObj->zObject, aCall[iCall].zCall);
      write_file(zDb, base);
      craft(zDb, zObject);
      HFile crafted = h_file(zDb);
      char *zState = plain_state(zDb);
      for (int iFire = 0; iFire < 3 && pObj->azFire[iFire]; iFire++) {
        for (int bTrusted = 0; bTrusted <= 1; bTrusted++) {
          for (int bCallerTxn = 0; bCallerTxn <= 1; bCallerTxn++) {
            write_file(zDb, crafted);
            sqlite3 *db = h_open(zDb, "");
            h_exec(db, bTrusted ? "PRAGMA trusted_schema = ON" : "PRAGMA trusted_schema = OFF");
            int bRefused = strict_on_or_schema_refused(db, pObj, aCall[iCall].zFunc);
            if (bCallerTxn) h_exec(db, "BEGIN");
            char *zGot = h_error(db, pObj->azFire[iFire], 0);
            if (!hostile_error_is_expected(pObj, aCall[iCall].zFunc, zGot)) {
              fail_msg("%s\n  then %s (trusted_schema=%d, %s)\n  error: %s",
                       zObject, pObj->azFire[iFire], bTrusted,
                       bCallerTxn ? "in a transaction" : "autocommit", zGot);
            }
            sqlite3_free(zGot);
            if (bCallerTxn) h_exec(db, "COMMIT");
            assert_int_equal(sqlite3_get_autocommit(db), 1);
            if (!bRefused) {
              h_assert_text(db, "SELECT migrate_verbose(0)", "0");
              h_assert_text(db, "SELECT migrate_strict(0)", "1");
            }
            sqlite3_close(db);
            h_assert_file_unchanged(zDb, crafted);
            if (access(zHostileCopy, F_OK) == 0) {
              fail_msg("%s\n  then %s: %s was written", zObject, pObj->azFire[iFire],
                       zHostileCopy);
            }
            char *zAfter = plain_state(zDb);
            assert_string_equal(zAfter, zState);
            sqlite3_free(zAfter);
            nCase++;
          }
        }
      }
      free(crafted.a);
      sqlite3_free(zState);
      sqlite3_free(zObject);
    }
  }
  print_message("%d hostile calls refused\n", nCase);
  free(base.a);
  sqlite3_free(zBackup);
  sqlite3_free(zBackupOver);
  sqlite3_free(zRestore);
  sqlite3_free(zHostileCopy);
  sqlite3_free(zBase);
  sqlite3_free(zDb);
}

/* Reading is allowed from a view, trusted schema or not. */
static void test_view_may_read_the_version_and_history(void **state) {
  (void)state;
  char *zDb = at_001_with_rows("status.db");
  craft(zDb,
        "CREATE VIEW status AS SELECT migrate_current() AS current, "
        "(SELECT group_concat(revision || '=' || applied, ' ') FROM migration_history) AS history");
  for (int bTrusted = 0; bTrusted <= 1; bTrusted++) {
    sqlite3 *db = h_open(zDb, "");
    h_exec(db, bTrusted ? "PRAGMA trusted_schema = ON" : "PRAGMA trusted_schema = OFF");
    h_assert_text(db, "SELECT current || ' | ' || history FROM status",
                  "001_initial_schema | 002_add_invalid_responses=0 001_initial_schema=1");
    sqlite3_close(db);
  }
  sqlite3_free(zDb);
}

/* ---- re-entrancy ----------------------------------------------------------- */

static const char *zReentrantError =
    "upgrade <base> -> r1_reenters failed: migrate_downgrade() cannot run "
    "inside a migration: a migration's SQL must not call distmigrate's "
    "functions\n"
    "  at tests/fixtures/reentrant/r1_reenters.sql:9: SELECT "
    "migrate_downgrade('base');\n"
    "  the run was rolled back: the database is still at base";

static void test_reentrant_migration_leaves_connection_usable(void **state) {
  (void)state;
  char *zDb = h_fresh("reentrant.db");
  sqlite3 *db = h_open(zDb, "reentrant");
  assert_error_code(db, "SELECT migrate_upgrade('head')", zReentrantError, SQLITE_MISUSE);
  /* Not stuck "running": the same call gives the same answer, again. */
  assert_error_code(db, "SELECT migrate_upgrade('head')", zReentrantError, SQLITE_MISUSE);
  assert_int_equal(sqlite3_get_autocommit(db), 1);
  h_assert_text(db, "SELECT count(*) FROM sqlite_schema", "0");
  /* Nothing locked: another connection takes the write lock at once. */
  sqlite3 *other = h_open(zDb, 0);
  h_exec(other, "PRAGMA busy_timeout = 0; BEGIN IMMEDIATE; COMMIT");
  sqlite3_close(other);
  /* The same connection migrates with the shipped set loaded over it. */
  h_load(db, "");
  h_assert_text(db, "SELECT migrate_upgrade('head')", zHead);
  h_assert_text(db, "PRAGMA integrity_check", "ok");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

static const char *zInsideStatement =
    "migrate_upgrade() must be called on its own, as in SELECT "
    "migrate_upgrade(...); here it runs inside a statement that reads a "
    "table (or while another statement on this connection is still "
    "running), and SQLite cannot change the schema under an open cursor "
    "(\"database table is locked\")";

/* A statement of the same connection is half-way through its rows. */
static void test_call_while_another_statement_runs_is_refused(void **state) {
  (void)state;
  char *zDb = at_001_with_rows("stepping.db");
  HFile before = h_file(zDb);
  sqlite3 *db = h_open(zDb, "");
  for (int bCallerTxn = 0; bCallerTxn <= 1; bCallerTxn++) {
    if (bCallerTxn) h_exec(db, "BEGIN");
    sqlite3_stmt *pReading = 0;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT id FROM questions UNION ALL "
                                            "SELECT id FROM responses", -1, &pReading, 0),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(pReading), SQLITE_ROW);
    assert_error_code(db, "SELECT migrate_upgrade('head')", zInsideStatement, SQLITE_LOCKED);
    /* The reader carries on where it was. */
    assert_int_equal(sqlite3_step(pReading), SQLITE_ROW);
    assert_int_equal(sqlite3_step(pReading), SQLITE_DONE);
    sqlite3_finalize(pReading);
    assert_int_equal(sqlite3_get_autocommit(db), !bCallerTxn);
    if (bCallerTxn) {
      h_assert_error(db, "RELEASE distmigrate", "no such savepoint: distmigrate");
      h_exec(db, "COMMIT");
    }
  }
  sqlite3_close(db);
  h_assert_file_unchanged(zDb, before);
  free(before.a);
  /* Once the reader is done, the same call works. */
  db = h_open(zDb, "");
  h_assert_text(db, "SELECT migrate_upgrade('head')", zHead);
  sqlite3_close(db);
  sqlite3_free(zDb);
}

/* ---- read-only databases ---------------------------------------------------- */

static const char *zReadOnlyError =
    "migrate_upgrade(): the database is read-only (attempt to write a readonly "
    "database); migrating writes to it: open it read-write, as a user who may "
    "write the file and its directory";

/* zDb (at 001, with rows) opened as zOpen with flags: refused, unchanged,
** still usable. */
static void read_only_case(const char *zDb, const char *zOpen, int flags) {
  HFile before = h_file(zDb);
  sqlite3 *db = h_open_flags(zOpen, "", flags);
  assert_int_equal(sqlite3_db_readonly(db, "main"), 1);
  assert_error_code(db, "SELECT migrate_upgrade('head')", zReadOnlyError, SQLITE_READONLY);
  assert_int_equal(sqlite3_get_autocommit(db), 1);
  h_assert_text(db, "SELECT count(*) FROM responses", "1");
  h_assert_text(db, "SELECT migrate_current()", "001_initial_schema");
  /* A run with nothing to do needs no write, so it succeeds. */
  h_assert_text(db, "SELECT migrate_upgrade('001')", "001_initial_schema");
  sqlite3_close(db);
  h_assert_file_unchanged(zDb, before);
  free(before.a);
}

static void test_read_only_connection_changes_nothing(void **state) {
  (void)state;
  char *zDb = at_001_with_rows("ro-flag.db");
  read_only_case(zDb, zDb, SQLITE_OPEN_READONLY);
  char *zUri = sqlite3_mprintf("file:%s?mode=ro", zDb);
  read_only_case(zDb, zUri, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI);
  sqlite3_free(zUri);
  zUri = sqlite3_mprintf("file:%s?immutable=1", zDb);
  read_only_case(zDb, zUri, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI);
  sqlite3_free(zUri);
  sqlite3_free(zDb);
}

/*
** A file its user may not write. Root ignores permission bits, so as root
** (CI) the test drops to an unprivileged user in a child process; SQLite
** then opens the file read-only itself, as for anyone who lacks the right.
*/
static void test_read_only_file_changes_nothing(void **state) {
  (void)state;
  char zDir[] = "/tmp/dm-readonly-XXXXXX";
  if (!mkdtemp(zDir)) fail_msg("mkdtemp: %s", strerror(errno));
  char *zDb = sqlite3_mprintf("%s/ro.db", zDir);
  char *zMade = at_001_with_rows("ro-file.db");
  HFile made = h_file(zMade);
  FILE *out = fopen(zDb, "wb");
  if (!out || fwrite(made.a, 1, made.n, out) != made.n || fclose(out) != 0) {
    fail_msg("cannot write %s", zDb);
  }
  chmod(zDb, 0444);
  chmod(zDir, 0755);
  HFile before = h_file(zDb);
  int aPipe[2];
  if (pipe(aPipe) != 0) fail_msg("pipe: %s", strerror(errno));
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    /* The child needs only zDb; what else it inherited goes (valgrind
    ** checks its heap at _exit too). */
    free(before.a);
    free(made.a);
    sqlite3_free(zMade);
    close(aPipe[0]);
    char zOut[1024] = "";
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) {
      snprintf(zOut, sizeof(zOut), "cannot drop root: %s", strerror(errno));
    } else {
      sqlite3 *db = 0;
      char *zErr = 0;
      char *zExt = h_extension("");
      sqlite3_open_v2(zDb, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 0);
      sqlite3_enable_load_extension(db, 1);
      if (sqlite3_load_extension(db, zExt, 0, &zErr) != SQLITE_OK) {
        snprintf(zOut, sizeof(zOut), "cannot load: %s", zErr);
      } else {
        sqlite3_stmt *pStmt = 0;
        int ro = sqlite3_db_readonly(db, "main");
        sqlite3_prepare_v2(db, "SELECT migrate_upgrade('head')", -1, &pStmt, 0);
        int rc = sqlite3_step(pStmt);
        char *zMsg = sqlite3_mprintf("%s", sqlite3_errmsg(db));
        int eCode = sqlite3_extended_errcode(db);
        sqlite3_finalize(pStmt);
        char zCount[32] = "?";
        sqlite3_prepare_v2(db, "SELECT count(*) FROM responses", -1, &pStmt, 0);
        if (sqlite3_step(pStmt) == SQLITE_ROW) {
          snprintf(zCount, sizeof(zCount), "%s", sqlite3_column_text(pStmt, 0));
        }
        sqlite3_finalize(pStmt);
        snprintf(zOut, sizeof(zOut), "readonly=%d rc=%d code=%d autocommit=%d rows=%s %s",
                 ro, rc, eCode & 0xff, sqlite3_get_autocommit(db), zCount, zMsg);
        sqlite3_free(zMsg);
      }
      sqlite3_close(db);
      sqlite3_free(zErr);
      sqlite3_free(zExt);
    }
    size_t n = strlen(zOut);
    int bWritten = write(aPipe[1], zOut, n) == (ssize_t)n;
    sqlite3_free(zDb);
    _exit(bWritten ? 0 : 3);
  }
  close(aPipe[1]);
  char zOut[1024];
  size_t n = 0;
  ssize_t nRead;
  while ((nRead = read(aPipe[0], zOut + n, sizeof(zOut) - 1 - n)) > 0) n += (size_t)nRead;
  zOut[n] = 0;
  close(aPipe[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  char *zWant = sqlite3_mprintf("readonly=1 rc=%d code=%d autocommit=1 rows=1 %s",
                                SQLITE_READONLY, SQLITE_READONLY, zReadOnlyError);
  if (strcmp(zOut, zWant) != 0) fail_msg("got:  %s\nwant: %s", zOut, zWant);
  h_assert_file_unchanged(zDb, before);
  char *zJournal = sqlite3_mprintf("%s-journal", zDb);
  assert_int_equal(access(zJournal, F_OK), -1);
  unlink(zDb);
  rmdir(zDir);
  sqlite3_free(zJournal);
  sqlite3_free(zWant);
  free(before.a);
  free(made.a);
  sqlite3_free(zMade);
  sqlite3_free(zDb);
}

/* ---- locked databases --------------------------------------------------------- */

static const char *zWriterError =
    "migrate_upgrade(): database is locked: another connection is writing to "
    "it (waited 20 ms, this connection's busy timeout); try again, or wait "
    "longer with PRAGMA busy_timeout = 10000";

static const char *zReaderError =
    "migrate_upgrade(): database is locked: another connection is reading "
    "it, so the run could not commit (waited 20 ms, this connection's busy "
    "timeout); try again when the reader is done, or wait longer with PRAGMA "
    "busy_timeout = 10000\n"
    "  the run was rolled back: the database is still at 001_initial_schema";

/*
** Another connection holds the lock (a writer in either journal mode, or in
** rollback-journal mode a reader, which keeps the run from committing):
** "database is locked" after the busy timeout, the files byte for byte as
** they were, the caller's foreign-key setting back, the connection usable.
*/
static void locked_case(int bWal, int bReader) {
  char *zDb = at_001_with_rows("locked.db");
  char *zWal = sqlite3_mprintf("%s-wal", zDb);
  char *zJournal = sqlite3_mprintf("%s-journal", zDb);
  sqlite3 *db = h_open(zDb, "");
  if (bWal) h_assert_text(db, "PRAGMA journal_mode = WAL", "wal");
  sqlite3 *other = h_open(zDb, 0);
  sqlite3_stmt *pReading = 0;
  if (bReader) {
    assert_int_equal(sqlite3_prepare_v2(other, "SELECT id FROM questions", -1, &pReading, 0),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(pReading), SQLITE_ROW);
  } else {
    h_exec(other, "BEGIN IMMEDIATE");
  }
  HFile before = h_file(zDb);
  HFile beforeWal = h_file(zWal);
  h_exec(db, "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 20");
  assert_error_code(db, "SELECT migrate_upgrade('head')",
                    bReader ? zReaderError : zWriterError, SQLITE_BUSY);
  assert_int_equal(sqlite3_get_autocommit(db), 1);
  h_assert_text(db, "PRAGMA foreign_keys", "1");
  h_assert_text(db, "SELECT migrate_current()", "001_initial_schema");
  h_assert_text(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'invalid_responses'", "0");
  h_assert_file_unchanged(zDb, before);
  h_assert_file_unchanged(zWal, beforeWal);
  assert_int_equal(access(zJournal, F_OK), -1);
  /* The other connection finishes; the same connection now migrates. */
  if (bReader) {
    sqlite3_finalize(pReading);
  } else {
    h_exec(other, "COMMIT");
  }
  h_assert_text(db, "SELECT migrate_upgrade('head')", zHead);
  h_assert_text(db, "SELECT count(*) FROM responses", "1");
  sqlite3_close(other);
  sqlite3_close(db);
  free(before.a);
  free(beforeWal.a);
  sqlite3_free(zJournal);
  sqlite3_free(zWal);
  sqlite3_free(zDb);
}

static void test_locked_by_writer_rollback_journal(void **state) {
  (void)state;
  locked_case(0, 0);
}

static void test_locked_by_writer_wal(void **state) {
  (void)state;
  locked_case(1, 0);
}

static void test_locked_by_reader_rollback_journal(void **state) {
  (void)state;
  locked_case(0, 1);
}

/* In WAL mode a reader does not stand in the way. */
static void test_reader_does_not_block_a_run_in_wal(void **state) {
  (void)state;
  char *zDb = at_001_with_rows("wal-reader.db");
  sqlite3 *db = h_open(zDb, "");
  h_assert_text(db, "PRAGMA journal_mode = WAL", "wal");
  sqlite3 *other = h_open(zDb, 0);
  sqlite3_stmt *pReading = 0;
  assert_int_equal(sqlite3_prepare_v2(other, "SELECT id FROM questions", -1, &pReading, 0),
                   SQLITE_OK);
  assert_int_equal(sqlite3_step(pReading), SQLITE_ROW);
  h_exec(db, "PRAGMA busy_timeout = 20");
  h_assert_text(db, "SELECT migrate_upgrade('head')", zHead);
  /* The reader still sees its snapshot. */
  assert_int_equal(sqlite3_step(pReading), SQLITE_DONE);
  sqlite3_finalize(pReading);
  h_assert_text(other, "SELECT count(*) FROM sqlite_schema WHERE name = 'invalid_responses'", "1");
  sqlite3_close(other);
  sqlite3_close(db);
  sqlite3_free(zDb);
}

/* ---- replicated engines -------------------------------------------------- */

/*
** An sqld (libSQL server) replica runs a SELECT on its own copy: a run sent
** there would change that copy alone, until the primary's next frames
** overwrite it. Refused, in or out of a transaction, with the file that
** says it, and nothing changes; without the marker the same file migrates.
*/
static void test_an_sqld_replica_is_refused_and_left_unchanged(void **state) {
  (void)state;
  char *zDir = h_path("sqld-replica");
  char *zCmd = sqlite3_mprintf("rm -rf %s && mkdir -p %s && touch %s/client_wal_index", zDir,
                               zDir, zDir);
  if (system(zCmd) != 0) fail_msg("%s failed", zCmd);
  sqlite3_free(zCmd);
  char *zDb = sqlite3_mprintf("%s/data", zDir);
  sqlite3 *db = h_open(zDb, 0);
  h_exec(db, "CREATE TABLE t (x)");
  sqlite3_close(db);
  HFile before = h_file(zDb);
  db = h_open(zDb, "");
  char *zWant = sqlite3_mprintf(
      "migrate_upgrade(): this database is a libSQL server (sqld) replica "
      "(%s/client_wal_index is beside it): a run here would change this "
      "replica's copy alone, which the primary's next frames overwrite; "
      "nothing was changed. Send the call to the primary, which replicates it "
      "to every replica",
      zDir);
  h_assert_error(db, "SELECT migrate_upgrade('head')", zWant);
  h_exec(db, "BEGIN IMMEDIATE");
  h_assert_error(db, "SELECT migrate_upgrade('head')", zWant);
  h_exec(db, "COMMIT");
  sqlite3_close(db);
  h_assert_file_unchanged(zDb, before);
  free(before.a);

  char *zMarker = sqlite3_mprintf("%s/client_wal_index", zDir);
  unlink(zMarker);
  db = h_open(zDb, "");
  h_assert_text(db, "SELECT migrate_upgrade('head')", "002_add_invalid_responses");
  sqlite3_close(db);
  sqlite3_free(zMarker);
  sqlite3_free(zWant);
  sqlite3_free(zDb);
  sqlite3_free(zDir);
}

/*
** A dqlite node replicates what its client commits: a run that commits by
** itself would stay on one node. Outside a transaction it is refused with
** the way to call it; inside BEGIN ... COMMIT it runs. The connection here
** opens its file through the default VFS registered again under a name of
** dqlite's form ("dqlite-<node id>"); make test-cluster proves the same on
** a real dqlite node.
*/
static void test_a_dqlite_node_needs_an_explicit_transaction(void **state) {
  (void)state;
  static sqlite3_vfs vfs;
  vfs = *sqlite3_vfs_find(0);
  vfs.zName = "dqlite-1";
  assert_int_equal(sqlite3_vfs_register(&vfs, 0), SQLITE_OK);
  char *zDb = h_fresh("dqlite-node.db");
  sqlite3 *db = 0;
  assert_int_equal(sqlite3_open_v2(zDb, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                   "dqlite-1"),
                   SQLITE_OK);
  h_load(db, "");
  h_assert_error(db, "SELECT migrate_upgrade('head')",
                 "migrate_upgrade(): this is a dqlite node (VFS dqlite-1), which "
                 "replicates a transaction only when the client commits it: called "
                 "on its own, the run would commit on this node alone and the "
                 "cluster would diverge; nothing was changed. Wrap the call in a "
                 "transaction: BEGIN; SELECT migrate_upgrade(...); COMMIT;");
  h_assert_text(db, "SELECT count(*) FROM sqlite_schema", "0");
  h_exec(db, "BEGIN");
  h_assert_text(db, "SELECT migrate_upgrade('head')", "002_add_invalid_responses");
  h_exec(db, "COMMIT");
  h_assert_error(db, "SELECT migrate_downgrade('base')",
                 "migrate_downgrade(): this is a dqlite node (VFS dqlite-1), which "
                 "replicates a transaction only when the client commits it: called "
                 "on its own, the run would commit on this node alone and the "
                 "cluster would diverge; nothing was changed. Wrap the call in a "
                 "transaction: BEGIN; SELECT migrate_downgrade(...); COMMIT;");
  h_assert_text(db, "SELECT version_num FROM alembic_version", "002_add_invalid_responses");
  sqlite3_close(db);
  sqlite3_vfs_unregister(&vfs);
  sqlite3_free(zDb);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_processes_racing_apply_each_step_once_rollback_journal),
      cmocka_unit_test(test_processes_racing_apply_each_step_once_wal),
      cmocka_unit_test(test_threads_racing_apply_each_step_once_rollback_journal),
      cmocka_unit_test(test_threads_racing_apply_each_step_once_wal),
      cmocka_unit_test(test_rebuild_with_foreign_keys_on_keeps_every_child_row),
      cmocka_unit_test(test_rebuild_with_foreign_keys_off_keeps_every_child_row),
      cmocka_unit_test(test_dangling_reference_fails_foreign_key_check_and_rolls_back),
      cmocka_unit_test(test_drop_of_referenced_table_in_callers_transaction_is_refused),
      cmocka_unit_test(test_drops_of_unreferenced_tables_run_in_callers_transaction),
      cmocka_unit_test(test_hostile_schema_cannot_run_writing_functions),
      cmocka_unit_test(test_view_may_read_the_version_and_history),
      cmocka_unit_test(test_reentrant_migration_leaves_connection_usable),
      cmocka_unit_test(test_call_while_another_statement_runs_is_refused),
      cmocka_unit_test(test_read_only_connection_changes_nothing),
      cmocka_unit_test(test_read_only_file_changes_nothing),
      cmocka_unit_test(test_locked_by_writer_rollback_journal),
      cmocka_unit_test(test_locked_by_writer_wal),
      cmocka_unit_test(test_locked_by_reader_rollback_journal),
      cmocka_unit_test(test_reader_does_not_block_a_run_in_wal),
      cmocka_unit_test(test_an_sqld_replica_is_refused_and_left_unchanged),
      cmocka_unit_test(test_a_dqlite_node_needs_an_explicit_transaction),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
