/*
** Shared by the fault-injection tests (test_oom.c, test_ioerr.c,
** test_crash.c): scenarios, and the check that runs after every injected
** fault.
**
** A scenario is a database at an old version holding data (the template,
** built once), and one statement that migrates it (the run). Two reference
** states come from fault-free work: the template itself ("old") and a copy
** on which the run succeeded ("new"). After a fault, the database, reopened
** on a fresh connection, must be exactly one of them:
**
**   - the version (alembic_version's rows);
**   - the schema, h_schema-normalised: exactly what a clean migration to
**     that version gives;
**   - every table's row count and a checksum over every column of every
**     row (distmigrate_log without its clock columns): nothing lost,
**     nothing half-copied;
**   - PRAGMA integrity_check says ok and PRAGMA foreign_key_check is empty.
*/
#ifndef DM_FAULTS_H
#define DM_FAULTS_H

#include <fcntl.h>
#include <string.h>
#include <sys/types.h>

#include "../integration/harness.h"

typedef struct FScenario FScenario;
struct FScenario {
  const char *zName;      /* For messages and file names */
  const char *zSet;       /* Fixture set ("" the shipped one) */
  const char *zOld;       /* Target the template is upgraded to (0: base) */
  const char *zFill;      /* SQL run on the template after that: its data */
  const char *zRun;       /* The migration under test */
  const char *zJournal;   /* journal_mode of the template: delete, wal, ... */
  int bForeignKeys;       /* The caller runs with PRAGMA foreign_keys=ON */
  int bCallerTxn;         /* The caller wraps the run in BEGIN ... COMMIT */
  const char *zCaller;    /* More of the caller's settings (or 0) */
};

/* What a database holds, in comparable text. */
typedef struct FState FState;
struct FState {
  char *zVersion;   /* "a, b" sorted, or "base" */
  char *zSchema;    /* h_schema() */
  char *zData;      /* "table: N rows, checksum X" lines */
};

static void f_state_clear(FState *p) {
  sqlite3_free(p->zVersion);
  sqlite3_free(p->zSchema);
  sqlite3_free(p->zData);
  memset(p, 0, sizeof(*p));
}

/* FNV-1a, 64 bits: enough to tell a lost or altered row. */
static uint64_t f_hash(uint64_t h, const void *p, size_t n) {
  const unsigned char *a = p;
  for (size_t i = 0; i < n; i++) {
    h ^= a[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

/*
** Count and checksum of the rows of zSql's result. The checksum is the sum
** of a hash per row, so it does not depend on the order rows come in (a
** table rebuild may store them in another order).
*/
static char *f_table_digest(sqlite3 *db, const char *zTable, const char *zSql) {
  sqlite3_stmt *pStmt = 0;
  if (sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0) != SQLITE_OK) {
    fail_msg("%s: %s", zSql, sqlite3_errmsg(db));
  }
  uint64_t nRow = 0, sum = 0;
  int rc;
  while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (int i = 0; i < sqlite3_column_count(pStmt); i++) {
      unsigned char eType = (unsigned char)sqlite3_column_type(pStmt, i);
      h = f_hash(h, &eType, 1);
      if (eType == SQLITE_INTEGER) {
        sqlite3_int64 v = sqlite3_column_int64(pStmt, i);
        h = f_hash(h, &v, sizeof(v));
      } else if (eType == SQLITE_FLOAT) {
        double r = sqlite3_column_double(pStmt, i);
        h = f_hash(h, &r, sizeof(r));
      } else if (eType != SQLITE_NULL) {
        const void *z = sqlite3_column_blob(pStmt, i);
        int n = sqlite3_column_bytes(pStmt, i);
        h = f_hash(h, &n, sizeof(n));
        if (n) h = f_hash(h, z, (size_t)n);
      }
    }
    sum += h;
    nRow++;
  }
  if (rc != SQLITE_DONE) fail_msg("%s: %s", zSql, sqlite3_errmsg(db));
  sqlite3_finalize(pStmt);
  return sqlite3_mprintf("%s: %llu rows, checksum %016llx\n", zTable,
                         (unsigned long long)nRow, (unsigned long long)sum);
}

static FState f_state(sqlite3 *db) {
  FState s;
  memset(&s, 0, sizeof(s));
  char *zHasVersion = h_text(db,
      "SELECT count(*) FROM sqlite_schema WHERE name = 'alembic_version'");
  if (strcmp(zHasVersion, "1") == 0) {
    s.zVersion = h_text(db,
        "SELECT coalesce(group_concat(version_num, ', '), 'base') FROM "
        "(SELECT version_num FROM alembic_version ORDER BY 1)");
  } else {
    s.zVersion = sqlite3_mprintf("base");
  }
  sqlite3_free(zHasVersion);
  s.zSchema = h_schema(db);

  sqlite3_str *pData = sqlite3_str_new(0);
  sqlite3_stmt *pStmt = 0;
  if (sqlite3_prepare_v2(db,
                         "SELECT name FROM sqlite_schema WHERE type = 'table' "
                         "ORDER BY name", -1, &pStmt, 0) != SQLITE_OK) {
    fail_msg("tables: %s", sqlite3_errmsg(db));
  }
  while (sqlite3_step(pStmt) == SQLITE_ROW) {
    const char *zTable = (const char *)sqlite3_column_text(pStmt, 0);
    /* The log's clock columns differ between runs; the rest may not. */
    char *zSql = strcmp(zTable, "distmigrate_log") == 0
        ? sqlite3_mprintf("SELECT revision, direction, from_version, "
                          "to_version, checksum FROM main.\"%w\"", zTable)
        : sqlite3_mprintf("SELECT * FROM main.\"%w\"", zTable);
    char *zLine = f_table_digest(db, zTable, zSql);
    sqlite3_str_appendall(pData, zLine);
    sqlite3_free(zLine);
    sqlite3_free(zSql);
  }
  sqlite3_finalize(pStmt);
  s.zData = sqlite3_str_finish(pData);
  if (!s.zData) s.zData = sqlite3_mprintf("");
  return s;
}

static int f_state_equal(const FState *a, const FState *b) {
  return strcmp(a->zVersion, b->zVersion) == 0 &&
         strcmp(a->zSchema, b->zSchema) == 0 && strcmp(a->zData, b->zData) == 0;
}

/* Remove a database file and whatever journal it may have left. */
static void f_remove(const char *zPath) {
  const char *azSuffix[] = {"", "-journal", "-wal", "-shm"};
  for (size_t i = 0; i < sizeof(azSuffix) / sizeof(azSuffix[0]); i++) {
    char *z = sqlite3_mprintf("%s%s", zPath, azSuffix[i]);
    unlink(z);
    sqlite3_free(z);
  }
}

/* zTo becomes a byte copy of database zFrom (which has no journal). */
static void f_copy(const char *zFrom, const char *zTo) {
  f_remove(zTo);
  int in = open(zFrom, O_RDONLY);
  int out = open(zTo, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (in < 0 || out < 0) fail_msg("cannot copy %s to %s", zFrom, zTo);
  char a[65536];
  ssize_t n;
  while ((n = read(in, a, sizeof(a))) > 0) {
    if (write(out, a, (size_t)n) != n) fail_msg("cannot write %s", zTo);
  }
  close(in);
  close(out);
}

/*
** The caller's side of a run: PRAGMA foreign_keys as the scenario says, and
** its journal mode (only WAL is stored in the file).
*/
static void f_prepare_connection(sqlite3 *db, const FScenario *p) {
  h_exec(db, p->bForeignKeys ? "PRAGMA foreign_keys=ON" : "PRAGMA foreign_keys=OFF");
  char *zSql = sqlite3_mprintf("PRAGMA journal_mode=%s", p->zJournal);
  char *zMode = h_text(db, zSql);
  if (strcmp(zMode, p->zJournal) != 0) {
    fail_msg("%s: journal_mode is %s, not %s", p->zName, zMode, p->zJournal);
  }
  sqlite3_free(zMode);
  sqlite3_free(zSql);
  if (p->zCaller) h_exec(db, p->zCaller);
}

/* Build the scenario's template database at zPath. */
static void f_template(const FScenario *p, const char *zPath) {
  f_remove(zPath);
  sqlite3 *db = h_open(zPath, p->zSet);
  f_prepare_connection(db, p);
  if (p->zOld) {
    char *zSql = sqlite3_mprintf("SELECT migrate_upgrade(%Q)", p->zOld);
    h_exec(db, zSql);
    sqlite3_free(zSql);
  }
  if (p->zFill) h_exec(db, p->zFill);
  if (sqlite3_close(db) != SQLITE_OK) fail_msg("close: %s", sqlite3_errmsg(db));
}

/* A file name for scenario p: "<name>-<journal>-<what>.db". */
static char *f_path(const FScenario *p, const char *zWhat) {
  char *zName = sqlite3_mprintf("%s-%s-%s.db", p->zName, p->zJournal, zWhat);
  char *zPath = h_path(zName);
  sqlite3_free(zName);
  return zPath;
}

/*
** The reference states: *pOld from the template, *pNew from a copy on
** which the run succeeded without faults.
*/
static void f_references(const FScenario *p, const char *zTemplate,
                         FState *pOld, FState *pNew) {
  sqlite3 *db = h_open(zTemplate, 0);
  *pOld = f_state(db);
  sqlite3_close(db);

  char *zPath = f_path(p, "reference");
  f_copy(zTemplate, zPath);
  db = h_open(zPath, p->zSet);
  f_prepare_connection(db, p);
  if (p->bCallerTxn) h_exec(db, "BEGIN");
  h_exec(db, p->zRun);
  if (p->bCallerTxn) h_exec(db, "COMMIT");
  sqlite3_close(db);
  db = h_open(zPath, 0);
  *pNew = f_state(db);
  sqlite3_close(db);
  if (f_state_equal(pOld, pNew)) fail_msg("%s: the run changes nothing", p->zName);
  f_remove(zPath);
  sqlite3_free(zPath);
}

static void f_fail_state(const char *zWhen, const FState *pGot,
                         const FState *pOld, const FState *pNew) {
  const FState *pNear = strcmp(pGot->zVersion, pNew->zVersion) == 0 ? pNew : pOld;
  /* cmocka cuts long messages: the details go to stderr. */
  fprintf(stderr, "%s: the database is neither at the old nor at the new state\n"
           "--- version: %s (old %s, new %s)\n"
           "--- schema%s:\n%s\n--- expected at %s:\n%s\n"
           "--- data%s:\n%s--- expected at %s:\n%s",
           zWhen, pGot->zVersion, pOld->zVersion, pNew->zVersion,
           strcmp(pGot->zSchema, pNear->zSchema) ? " (DIFFERS)" : "",
           pGot->zSchema, pNear->zVersion, pNear->zSchema,
           strcmp(pGot->zData, pNear->zData) ? " (DIFFERS)" : "", pGot->zData,
           pNear->zVersion, pNear->zData);
  fail_msg("%s: the database is neither at the old nor at the new state "
           "(details above)", zWhen);
}

/*
** Reopen zPath on a fresh connection (no extension, no faults) and check
** it is exactly the old or the new state. Returns 0 (old) or 1 (new).
*/
static int f_check_reopened(const char *zPath, const char *zWhen,
                            const FState *pOld, const FState *pNew) {
  sqlite3 *db = h_open(zPath, 0);
  char *zIntegrity = h_text(db, "PRAGMA integrity_check");
  if (strcmp(zIntegrity, "ok") != 0) {
    fail_msg("%s: PRAGMA integrity_check says: %s", zWhen, zIntegrity);
  }
  sqlite3_free(zIntegrity);
  char *zFk = h_text(db, "SELECT count(*) FROM pragma_foreign_key_check");
  if (strcmp(zFk, "0") != 0) {
    fail_msg("%s: PRAGMA foreign_key_check finds %s violations", zWhen, zFk);
  }
  sqlite3_free(zFk);
  FState got = f_state(db);
  if (sqlite3_close(db) != SQLITE_OK) fail_msg("%s: cannot close", zWhen);
  int bNew = f_state_equal(&got, pNew);
  if (!bNew && !f_state_equal(&got, pOld)) f_fail_state(zWhen, &got, pOld, pNew);
  f_state_clear(&got);
  return bNew;
}

/*
** What a failed run's error says of the version must be true: "the
** database is still at X" (rolled back), "the database is at X" (read back
** after a failed commit), or "at X or at Y" (unreadable then).
*/
static void f_check_claim(const char *zErr, const char *zWhen, int bNew,
                          const FState *pOld, const FState *pNew) {
  const char *azMark[] = {"the database is still at ", "the database is at "};
  const char *zActual = bNew ? pNew->zVersion : pOld->zVersion;
  for (int i = 0; zErr && i < 2; i++) {
    const char *z = strstr(zErr, azMark[i]);
    if (!z) continue;
    z += strlen(azMark[i]);
    size_t n = strcspn(z, "\n;");
    const char *zOr = strstr(z, " or at ");
    int bTrue = strlen(zActual) == n && memcmp(z, zActual, n) == 0;
    if (!bTrue && zOr && zOr < z + n) {
      size_t n1 = (size_t)(zOr - z);
      const char *z2 = zOr + strlen(" or at ");
      size_t n2 = (size_t)(z + n - z2);
      bTrue = (strlen(zActual) == n1 && memcmp(z, zActual, n1) == 0) ||
              (strlen(zActual) == n2 && memcmp(z2, zActual, n2) == 0);
    }
    if (!bTrue) {
      fail_msg("%s: the error says \"%s%.*s\", but the database is at %s\n"
               "--- the error:\n%s",
               zWhen, azMark[i], (int)n, z, zActual, zErr);
    }
  }
}

/*
** After a failed run, on the same connection: the caller's foreign-key
** setting is back, the connection answers, and nothing of the run is left:
** no transaction in autocommit, and inside the caller's transaction the
** database as it was before the run. Returns 1 if the run's work was left
** open, which a caller must not see after anything but SQLITE_NOMEM.
*/
static int f_check_connection(sqlite3 *db, const FScenario *p, int rc,
                              const FState *pOld, const char *zWhen) {
  char *zFk = h_text(db, "PRAGMA foreign_keys");
  if (strcmp(zFk, p->bForeignKeys ? "1" : "0") != 0) {
    fail_msg("%s: PRAGMA foreign_keys is %s after the run, the caller had %d",
             zWhen, zFk, p->bForeignKeys);
  }
  sqlite3_free(zFk);
  int bLeft = 0;
  if (!sqlite3_get_autocommit(db)) {
    if (p->bCallerTxn) {
      FState now = f_state(db);
      bLeft = !f_state_equal(&now, pOld);
      f_state_clear(&now);
    } else {
      bLeft = 1;
    }
  }
  if (bLeft && rc != SQLITE_NOMEM) {
    fail_msg("%s: the run failed with %d and left %s open", zWhen, rc,
             p->bCallerTxn ? "its savepoint" : "its transaction");
  }
  return bLeft;
}

/*
** Out of memory can leave the run's work open (SQLite prepares nothing
** more until the caller's statement ends; see runner.c). What a caller may
** then do must work: retry at once (the next run undoes what was left,
** then migrates), or roll back as SQLite asks, begin anew and retry (the
** next run must leave the caller's new transaction alone). Both end at the
** new state; which one is tried alternates with n.
*/
static void f_resolve_left_open(sqlite3 *db, const FScenario *p, int n) {
  if (n % 2) {
    h_exec(db, "ROLLBACK");
    /* A rebuild inside a transaction needs enforcement off (SPEC 6). */
    h_exec(db, "PRAGMA foreign_keys=OFF");
    h_exec(db, "BEGIN");
    h_exec(db, p->zRun);
    h_exec(db, "COMMIT");
    f_prepare_connection(db, p);
  } else {
    h_exec(db, p->zRun);
    if (p->bCallerTxn) h_exec(db, "COMMIT");
  }
  if (!sqlite3_get_autocommit(db)) fail_msg("%s: still in a transaction", p->zName);
}

/* An integer from the environment, or iDefault. */
static int f_env_int(const char *zName, int iDefault) {
  const char *z = getenv(zName);
  return z && z[0] ? atoi(z) : iDefault;
}

/*
** Which fault points a loop tries: every one (1), or every Nth from the
** first (1, 1 + N, 1 + 2N, ...) where an exhaustive loop would take
** minutes. FAULT_STRIDE in the environment overrides the loop's own
** default: FAULT_STRIDE=1 (make test-faults FAULT_STRIDE=1) tries them all.
** The strides are odd, so that f_resolve_left_open() still alternates.
*/
#define F_EVERY 1
#define F_ALTER_OOM_STRIDE 19   /* Exhaustive: about 14 minutes here */
#define F_SPILL_STRIDE 7        /* Exhaustive: about 1 minute each */
#define F_READ_DIFF_STRIDE 97   /* migrate_check('sql'): replays and diffs */
#define F_RULES_OOM_STRIDE 53   /* migrate_alter_table()'s edits of the rules */
static int f_stride(int nDefault) {
  int n = f_env_int("FAULT_STRIDE", nDefault);
  return n > 0 ? n : 1;
}

/* ---- the scenarios -------------------------------------------------------- */

/* Rows for the shipped set at 002, with NULLs, unicode, long text. */
#define F_SHIPPED_DATA                                                        \
  "INSERT INTO questions (id, json_id, category, question_text, "            \
  "golden_answer, answer_schema, created_at, updated_at) VALUES "            \
  "(1, 'q1', 'math', 'What is 2+2?', '4', NULL, '2024-01-01', '2024-01-01'),"\
  "(2, NULL, 'taal', 'Wat is één plus één?', NULL, '{\"type\":\"int\"}', "   \
  " '2024-01-02', '2024-01-03'),"                                            \
  "(3, 'q3', 'long', hex(zeroblob(1500)), 'x', NULL, '2024-01-04', "  \
  " '2024-01-04');"                                                          \
  "INSERT INTO responses (id, question_id, model_name, model_config, "       \
  "reasoning, answer, is_correct, created_at, updated_at) VALUES "           \
  "(1, 1, 'gpt', '{}', 'adding', '4', 1, '2024-02-01', '2024-02-01'),"       \
  "(2, 1, 'llama', '{\"t\":0.5}', NULL, '5', 0, '2024-02-01', '2024-02-01'),"\
  "(3, 2, 'gpt', '{}', NULL, 'twee', NULL, '2024-02-02', '2024-02-02');"

#define F_SHIPPED_INVALID                                                    \
  "INSERT INTO invalid_responses (id, question_id, model_name, model_config,"\
  " reasoning, answer, validation_error, error_type, created_at, updated_at)"\
  " VALUES (1, 3, 'gpt', '{}', NULL, 'not json', 'Expecting value', "        \
  "'JSON_PARSE_ERROR', '2024-03-01', '2024-03-01'),"                         \
  "(2, 1, 'llama', '{}', 'r', '{}', 'missing answer', "                      \
  "'MISSING_REQUIRED_FIELD', '2024-03-02', '2024-03-02');"

/* A table of the caller's that no migration touches. */
#define F_CALLER_TABLE                                                       \
  "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, score REAL);"       \
  "INSERT INTO notes (body, score) VALUES ('keep me', 1.5), (NULL, NULL), "  \
  "('and me', -2);"

/* nAuthor authors and nBook books for the rebuild_parent set. */
#define F_LIBRARY_DATA(nAuthor, nBook)                                        \
  "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "          \
  "  WHERE i < " #nAuthor ") "                                               \
  "INSERT INTO authors (id, name, country) SELECT i, 'Author ' || i || "     \
  "  CASE i % 7 WHEN 0 THEN ' Ødegård' ELSE '' END, "                        \
  "  CASE i % 3 WHEN 0 THEN 'NL' WHEN 1 THEN NULL ELSE 'BE' END FROM n;"     \
  "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "          \
  "  WHERE i < " #nBook ") "                                                 \
  "INSERT INTO books (id, author_id, title, price, cover) SELECT i, "        \
  "  1 + (i * 7919) % " #nAuthor ", '  Book ' || i || ' vol. ' || (i % 13),"\
  "  CASE WHEN i % 5 = 0 THEN NULL ELSE (i % 1000) / 10.0 END, "             \
  "  CASE WHEN i % 4 = 0 THEN randomblob(12) END FROM n;"

static const FScenario f_shipped_upgrade = {
    "shipped-up", "", 0, F_CALLER_TABLE,
    "SELECT migrate_upgrade('head')", "delete", 1, 0, 0};
static const FScenario f_shipped_downgrade = {
    "shipped-down", "", "head", F_CALLER_TABLE F_SHIPPED_DATA F_SHIPPED_INVALID,
    "SELECT migrate_downgrade(-1)", "delete", 1, 0, 0};
static const FScenario f_rebuild = {
    "rebuild", "rebuild_parent", "r1_library", F_LIBRARY_DATA(12, 40),
    "SELECT migrate_upgrade('head')", "delete", 1, 0, 0};
/* Inside the caller's transaction enforcement cannot be turned off, so the
** caller has it off, as a rebuild inside a transaction needs. */
static const FScenario f_rebuild_in_txn = {
    "rebuild-txn", "rebuild_parent", "r1_library", F_LIBRARY_DATA(12, 40),
    "SELECT migrate_upgrade('head')", "delete", 0, 1, 0};
/* More data than a cache of 10 pages holds: the run spills to the database
** (rollback journal) or the WAL before it commits, and in WAL mode it
** checkpoints and truncates the WAL when it commits. */
static const FScenario f_rebuild_spill = {
    "rebuild-spill", "rebuild_parent", "r1_library", F_LIBRARY_DATA(60, 600),
    "SELECT migrate_upgrade('head')", "delete", 1, 0,
    "PRAGMA cache_size=10; PRAGMA wal_autocheckpoint=10; "
    "PRAGMA journal_size_limit=0"};


/* ---- upgrades through migrate_alter_table() -------------------------------
**
** The patterns set (tests/fixtures/patterns): from 002 with data, 003 adds
** a NOT NULL column (ALTER TABLE ADD COLUMN), 004 widens a VARCHAR (the
** writable_schema edit, checked before the run goes on), 005 creates a
** table, moves rows into it and drops a column (ALTER TABLE DROP COLUMN).
** Back from 005 rebuilds responses (the 12-step procedure) with a mapping
** that reads the table it then drops, while response_evaluations and
** invalid_responses refer to it. The alter set's b_rebuild rebuilds a
** parent table with a view, triggers, an index, referrers with ON DELETE
** CASCADE and SET NULL, and one by a UNIQUE column.
*/

/* Rows for responses beyond F_SHIPPED_DATA (ids 10 to nLast): more to copy. */
#define F_MORE_RESPONSES(nLast)                                              \
  "WITH RECURSIVE n(i) AS (SELECT 10 UNION ALL SELECT i + 1 FROM n "         \
  "  WHERE i < " #nLast ") "                                                 \
  "INSERT INTO responses (id, question_id, model_name, model_config, "       \
  "reasoning, answer, is_correct, created_at, updated_at) SELECT i, "       \
  "  1 + i % 3, 'model ' || (i % 4), '{}', CASE WHEN i % 2 THEN 'why' END,"\
  "  'answer ' || i, CASE i % 3 WHEN 0 THEN NULL ELSE i % 2 END, "          \
  "  '2024-02-03', '2024-02-04' FROM n;"

/* The rows test_alter.c seeds the alter set with, at a0_base. */
#define F_ALTER_DATA                                                         \
  "INSERT INTO authors (id, name, email, note) VALUES"                       \
  " (1, 'Ann', 'ann@example.org', 'first'), (2, 'Bob', NULL, NULL),"         \
  " (5, 'Cy', 'cy@example.org', 'third');"                                   \
  "INSERT INTO books (id, author_id, editor_id, title) VALUES"               \
  " (1, 1, 2, 'A'), (2, 2, 5, 'B'), (3, 5, 1, 'C'), (4, NULL, NULL, 'D');"   \
  "INSERT INTO reviews (id, author_email) VALUES (1, 'ann@example.org');"    \
  "INSERT INTO staff (id, name, boss_id) VALUES (1, 'boss', NULL), "         \
  " (2, 'mid', 1), (3, 'low', 2);"                                           \
  "INSERT INTO tags (name, weight) VALUES ('x', 1), ('y', NULL);"            \
  "INSERT INTO events (what) VALUES ('a'), ('b'), (NULL), ('d');"            \
  "DELETE FROM events WHERE id = 4;"                                         \
  "INSERT INTO plain (rowid, a, b, c) VALUES (10, 'a', '1', 'c'), "          \
  " (20, 'b', '2', NULL), (7, NULL, '3', 'z');"

static const FScenario f_alter_patterns_up = {
    "patterns-up", "patterns", "002_add_invalid_responses",
    F_CALLER_TABLE F_SHIPPED_DATA F_SHIPPED_INVALID F_MORE_RESPONSES(60),
    "SELECT migrate_upgrade('head')", "delete", 1, 0, 0};
static const FScenario f_alter_patterns_down = {
    "patterns-down", "patterns", "004_widen_category",
    F_CALLER_TABLE F_SHIPPED_DATA F_SHIPPED_INVALID F_MORE_RESPONSES(60)
    "SELECT migrate_upgrade('head');",
    "SELECT migrate_downgrade(-1)", "delete", 1, 0, 0};
/* The rebuild of responses over more rows than a cache of 10 pages holds:
** the run writes to the journal or the WAL before it commits. */
static const FScenario f_alter_patterns_down_spill = {
    "patterns-down-spill", "patterns", "004_widen_category",
    F_CALLER_TABLE F_SHIPPED_DATA F_SHIPPED_INVALID F_MORE_RESPONSES(1500)
    "SELECT migrate_upgrade('head');",
    "SELECT migrate_downgrade(-1)", "delete", 1, 0,
    "PRAGMA cache_size=10; PRAGMA wal_autocheckpoint=10; "
    "PRAGMA journal_size_limit=0"};
static const FScenario f_alter_rebuild = {
    "alter-rebuild", "alter", "a0_base", F_ALTER_DATA,
    "SELECT migrate_upgrade('b_rebuild')", "delete", 1, 0, 0};
/* Inside the caller's transaction, with enforcement off as a rebuild
** there needs (with it on, the rebuild is refused before anything runs). */
static const FScenario f_alter_rebuild_in_txn = {
    "alter-rebuild-txn", "alter", "a0_base", F_ALTER_DATA,
    "SELECT migrate_upgrade('b_rebuild')", "delete", 0, 1, 0};
/*
** migrate_alter_table()'s edits of the rules (issue 16), under the caller's
** foreign_keys=ON: a CHECK added after the verifying scan; NOT NULL and a
** foreign key dropped with a DEFAULT added (the DEFAULT trap's read); and
** DEFAULTs changed on columns that an ADD COLUMN left out of the rows
** stored before it (the sentinel edit, the UPDATE of those rows, the final
** edit: three schema writes in one run).
*/
static const FScenario f_alter_tighten = {
    "alter-tighten", "alter", "a0_base", F_ALTER_DATA,
    "SELECT migrate_upgrade('b_check_edit')", "delete", 1, 0, 0};
static const FScenario f_alter_loosen = {
    "alter-loosen", "alter", "a0_base", F_ALTER_DATA,
    "SELECT migrate_upgrade('b_loosen')", "delete", 1, 0, 0};
/*
** migrate_repair() on a database that drifted from head: an index gone, one
** and a column that no migration made. The repair's script (migrate_check
** ('sql')) makes the index, drops the others, and stamps the version again.
*/
#define F_DRIFT                                                               \
  "DROP INDEX idx_responses_model_name;"                                      \
  "CREATE INDEX mine_by_answer ON responses (answer);"                         \
  "ALTER TABLE questions ADD COLUMN note TEXT;"                               \
  "UPDATE questions SET note = 'drifted' WHERE id = 1;"
static const FScenario f_repair = {
    "repair", "", "head", F_SHIPPED_DATA F_SHIPPED_INVALID F_DRIFT,
    "SELECT migrate_repair()", "delete", 1, 0, 0};

static const FScenario f_alter_default = {
    "alter-default", "alter", "a0_base", F_ALTER_DATA "SELECT migrate_upgrade('b_add_constant');",
    "SELECT migrate_upgrade('c_default_change')", "delete", 1, 0, 0};

#endif
