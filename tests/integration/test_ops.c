/*
** Integration tests of trust and operations: checksums, drift, strict
** mode, plans, offline SQL, rehearsals, backup and restore, verbose runs.
**
** Some sets are built here, at test time, from files the test writes or
** edits ($DM_ENGINE_OBJ: the engine's object files, $DM_CC: the compiler),
** so that a set can be built twice with a migration edited in between.
*/
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>

#include "harness.h"
#include "sets.h"

static const char *zHead = "002_add_invalid_responses";

/* Rows for tests/fixtures/patterns at 001_initial_schema: the later steps
** (a column added, a type widened, a column's data moved out and back)
** have data to carry, and ANALYZE has figures for the rebuilds to keep. */
static const char zPatternsSeed[] =
    "INSERT INTO questions (id, json_id, category, question_text, golden_answer, "
    "created_at, updated_at) VALUES "
    "(1, 'q1', 'math', 'What is 1+1?', '2', '2024-01-01', '2024-01-02'), "
    "(2, 'q2', 'geography', 'Capital of France?', 'Paris', '2024-01-01', '2024-01-03'), "
    "(4, NULL, 'misc', 'Anything?', NULL, '2024-01-02', '2024-01-02');"
    "INSERT INTO responses (id, question_id, model_name, model_config, reasoning, "
    "answer, is_correct, created_at, updated_at) VALUES "
    "(1, 1, 'gpt', '{}', 'adding', '2', 1, '2024-01-05', '2024-01-06'), "
    "(2, 1, 'llama', '{\"t\": 0.5}', NULL, '3', 0, '2024-01-05', '2024-01-07'), "
    "(3, 2, 'gpt', '{}', NULL, 'Paris', NULL, '2024-01-05', '2024-01-05'), "
    "(7, 4, 'mistral', '{}', 'r', 'x', 1, '2024-01-06', '2024-01-08');"
    "ANALYZE;";

/* The patterns set's revisions, base first. */
static const char *const azPatterns[] = {
    "base", "001_initial_schema", "002_add_invalid_responses", "003_add_new_field",
    "004_widen_category", "005_move_evaluations"};

/*
** Everything a run can change, as text: every object's stored SQL
** (bookkeeping included), the version rows, the log's steps, the data
** (with the rowids of rowid tables), sqlite_sequence.
*/
static char *full_state(sqlite3 *db) {
  sqlite3_str *pStr = sqlite3_str_new(0);
  char *z = h_text(db,
                   "SELECT group_concat(type || ' ' || name || ': ' || "
                   "coalesce(sql, ''), char(10)) FROM (SELECT * FROM sqlite_schema "
                   "ORDER BY type, name)");
  sqlite3_str_appendf(pStr, "%s\n", z);
  sqlite3_free(z);
  z = h_text(db, "SELECT group_concat(version_num) FROM (SELECT version_num FROM "
                 "alembic_version ORDER BY 1)");
  sqlite3_str_appendf(pStr, "version: %s\n", z);
  sqlite3_free(z);
  z = h_text(db,
             "SELECT group_concat(revision || ' ' || direction || ' ' || "
             "coalesce(from_version, '<base>') || ' ' || coalesce(to_version, "
             "'<base>') || ' ' || checksum, char(10)) FROM (SELECT * FROM "
             "distmigrate_log ORDER BY id)");
  sqlite3_str_appendf(pStr, "log:\n%s\n", z);
  sqlite3_free(z);
  sqlite3_stmt *pTables = 0;
  sqlite3_prepare_v2(db,
                     "SELECT s.name, l.wr FROM sqlite_schema s JOIN "
                     "pragma_table_list l ON l.name = s.name AND l.schema = 'main' "
                     "WHERE s.type = 'table' AND (s.name NOT GLOB 'sqlite_*' OR "
                     "s.name IN ('sqlite_sequence', 'sqlite_stat1')) AND s.name NOT IN "
                     "('alembic_version', 'distmigrate_log') ORDER BY s.name",
                     -1, &pTables, 0);
  while (sqlite3_step(pTables) == SQLITE_ROW) {
    const char *zTable = (const char *)sqlite3_column_text(pTables, 0);
    /* SQLite's own tables by their values: their rowids say nothing. */
    int bRowid = !sqlite3_column_int(pTables, 1) && strncmp(zTable, "sqlite_", 7) != 0;
    char *zSql = sqlite3_mprintf("SELECT %s* FROM \"%w\" ORDER BY 1, 2",
                                 bRowid ? "rowid, " : "", zTable);
    sqlite3_stmt *pRows = 0;
    if (sqlite3_prepare_v2(db, zSql, -1, &pRows, 0) != SQLITE_OK) {
      fail_msg("%s: %s", zSql, sqlite3_errmsg(db));
    }
    sqlite3_str_appendf(pStr, "%s:", zTable);
    while (sqlite3_step(pRows) == SQLITE_ROW) {
      for (int i = 0; i < sqlite3_column_count(pRows); i++) {
        const char *zVal = (const char *)sqlite3_column_text(pRows, i);
        sqlite3_str_appendf(pStr, "%s%s", i ? "|" : " ", zVal ? zVal : "NULL");
      }
      sqlite3_str_appendchar(pStr, 1, ';');
    }
    sqlite3_str_appendchar(pStr, 1, '\n');
    sqlite3_finalize(pRows);
    sqlite3_free(zSql);
  }
  sqlite3_finalize(pTables);
  return sqlite3_str_finish(pStr);
}

/* A database of the patterns set at 001_initial_schema with the seed rows. */
static sqlite3 *patterns_db(const char *zPath) {
  sqlite3 *db = h_open(zPath, "patterns");
  h_assert_text(db, "SELECT migrate_upgrade('001')", "001_initial_schema");
  h_exec(db, zPatternsSeed);
  return db;
}

/* ---- helpers ------------------------------------------------------------ */

/*
** A script with the time it was written, the started_at of its log rows,
** replaced by '<written>': two scripts written a millisecond apart are the
** same script. Each time must be a literal of started_at's form within a
** minute of now (a script asks no node for the time: rqlite replicates the
** statements, and each node must end with the same rows).
*/
static char *script_without_time(sqlite3 *db, const char *zScript) {
  sqlite3_str *pOut = sqlite3_str_new(0);
  const char *z = zScript;
  const char *zAt = z;
  /* ", 'YYYY-MM-DD HH:MM:SS.SSS', 0)": the end of a log row's INSERT. */
  while ((zAt = strstr(zAt, ", '")) != 0) {
    if (strlen(zAt) < 31 || zAt[13] != ' ' || zAt[26] != '\'' ||
        strncmp(zAt + 27, ", 0)", 4) != 0) {
      zAt++;
      continue;
    }
    char *zCheck = sqlite3_mprintf(
        "SELECT strftime('%%Y-%%m-%%d %%H:%%M:%%f', %.25s) = %.25s AND "
        "abs(julianday(%.25s) - julianday('now')) * 1440 < 1",
        zAt + 2, zAt + 2, zAt + 2);
    h_assert_text(db, zCheck, "1");
    sqlite3_free(zCheck);
    sqlite3_str_append(pOut, z, (int)(zAt - z));
    sqlite3_str_appendall(pOut, ", '<written>'");
    z = zAt = zAt + 27;
  }
  sqlite3_str_appendall(pOut, z);
  return sqlite3_str_finish(pOut);
}

/* Durations vary: "12.3 ms" and "1.0 s" become "# ms" and "# s". */
static char *mask_times(const char *z) {
  sqlite3_str *pStr = sqlite3_str_new(0);
  while (*z) {
    if (*z >= '0' && *z <= '9') {
      const char *zEnd = z;
      while ((*zEnd >= '0' && *zEnd <= '9') || *zEnd == '.') zEnd++;
      if (strncmp(zEnd, " ms", 3) == 0 || strncmp(zEnd, " s,", 3) == 0 ||
          strncmp(zEnd, " s\n", 3) == 0) {
        sqlite3_str_appendchar(pStr, 1, '#');
      } else {
        sqlite3_str_append(pStr, z, (int)(zEnd - z));
      }
      z = zEnd;
    } else {
      sqlite3_str_appendchar(pStr, 1, *z++);
    }
  }
  char *zOut = sqlite3_str_finish(pStr);
  return zOut ? zOut : sqlite3_mprintf("");
}

#define assert_masked(zGot, zWant)                                          \
  do {                                                                      \
    char *zMasked_ = mask_times(zGot);                                      \
    if (strcmp(zMasked_, (zWant)) != 0) {                                   \
      fail_msg("gave:\n%s\nwant:\n%s", zMasked_, (zWant));                  \
    }                                                                       \
    sqlite3_free(zMasked_);                                                 \
  } while (0)

/* stderr into a file while a call runs. */
static int iSavedStderr = -1;
static void capture_start(void) {
  char *zPath = h_path("stderr.txt");
  fflush(stderr);
  int fd = open(zPath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) fail_msg("cannot open %s", zPath);
  iSavedStderr = dup(2);
  dup2(fd, 2);
  close(fd);
  sqlite3_free(zPath);
}

static char *capture_end(void) {
  fflush(stderr);
  dup2(iSavedStderr, 2);
  close(iSavedStderr);
  char *zPath = h_path("stderr.txt");
  char *z = read_text(zPath);
  sqlite3_free(zPath);
  return z;
}

/* The check's error for zLines at zVersion, or "ok" if zLines is 0. */
static void assert_check(sqlite3 *db, const char *zVersion, const char *zLines) {
  if (!zLines) {
    h_assert_text(db, "SELECT migrate_check()", "ok");
    h_assert_text(db, "SELECT count(*) FROM migration_drift", "0");
    return;
  }
  char *zWant = sqlite3_mprintf(
      "migrate_check(): the database does not match its migrations at %s:\n%s",
      zVersion, zLines);
  h_assert_error(db, "SELECT migrate_check()", zWant);
  sqlite3_free(zWant);
  /* migration_drift has the same lines, one row each. */
  h_assert_text(db, "SELECT group_concat('  ' || difference, char(10)) FROM migration_drift",
                zLines);
}

/* ---- checksums ------------------------------------------------------------ */

static void test_check_is_ok_at_every_revision(void **state) {
  (void)state;
  char *zDb = h_fresh("check-ok.db");
  sqlite3 *db = h_open(zDb, "");
  assert_check(db, "base", 0);
  sqlite3_free(h_text(db, "SELECT migrate_upgrade('+1')"));
  assert_check(db, "001_initial_schema", 0);
  sqlite3_free(h_text(db, "SELECT migrate_upgrade('+1')"));
  assert_check(db, zHead, 0);
  sqlite3_free(h_text(db, "SELECT migrate_downgrade('base')"));
  assert_check(db, "base", 0);
  sqlite3_close(db);
  sqlite3_free(zDb);

  static const char *const azSet[] = {"chain", "graph"};
  for (size_t i = 0; i < sizeof(azSet) / sizeof(azSet[0]); i++) {
    zDb = h_fresh("check-ok-set.db");
    db = h_open(zDb, azSet[i]);
    for (;;) {
      h_assert_text(db, "SELECT migrate_check()", "ok");
      char *zBefore = h_text(db, "SELECT coalesce(migrate_current(), '')");
      char *zAfter = h_text(db, "SELECT migrate_upgrade('heads')");
      int bDone = strcmp(zBefore, zAfter) == 0;
      sqlite3_free(zBefore);
      sqlite3_free(zAfter);
      if (bDone) break;
    }
    sqlite3_close(db);
    sqlite3_free(zDb);
  }
}

/*
** A set whose migrations call migrate_alter_table(): the replay runs the
** helper too (on a table without rows, where the database has rows), and
** gets the schema the real runs give, up and down. A drift made after is
** reported, including a declared type that an edit of sqlite_schema put
** back.
*/
static void test_check_on_a_set_that_alters_tables(void **state) {
  (void)state;
  char *zDb = h_fresh("check-patterns.db");
  sqlite3 *db = patterns_db(zDb);
  assert_check(db, azPatterns[1], 0);
  for (int i = 2; i < 6; i++) {
    h_assert_text(db, "SELECT migrate_upgrade('+1')", azPatterns[i]);
    assert_check(db, azPatterns[i], 0);
  }
  for (int i = 4; i >= 1; i--) {
    h_assert_text(db, "SELECT migrate_downgrade(-1)", azPatterns[i]);
    assert_check(db, azPatterns[i], 0);
  }
  h_assert_text(db, "SELECT migrate_upgrade('head')", azPatterns[5]);
  assert_check(db, azPatterns[5], 0);
  h_assert_text(db, "SELECT count(*) FROM response_evaluations", "3");

  h_exec(db,
         "ALTER TABLE responses ADD COLUMN is_correct BOOLEAN;"
         "CREATE INDEX idx_extra ON questions (new_field);"
         "DROP INDEX idx_questions_category;"
         "PRAGMA writable_schema=ON;"
         "UPDATE sqlite_schema SET sql = replace(sql, 'VARCHAR(200)', 'VARCHAR(100)') "
         "WHERE name = 'questions';"
         "PRAGMA writable_schema=OFF;");
  sqlite3_close(db);
  db = h_open(zDb, "patterns");
  assert_check(db, azPatterns[5],
               "  questions.category: type VARCHAR(200) in the migrations, type "
               "VARCHAR(100) in the database\n"
               "  responses.is_correct: in the database, not in the migrations\n"
               "  index idx_extra: in the database, not in the migrations\n"
               "  index idx_questions_category: in the migrations, not in the database");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

/* The check reads and writes nothing: the file is unchanged. */
static void test_check_changes_nothing(void **state) {
  (void)state;
  char *zDb = h_fresh("check-ro.db");
  sqlite3 *db = h_open(zDb, "");
  sqlite3_free(h_text(db, "SELECT migrate_upgrade('head')"));
  h_exec(db, "CREATE TABLE mine (x)");
  sqlite3_close(db);
  HFile before = h_file(zDb);
  db = h_open(zDb, "");
  sqlite3_free(h_error(db, "SELECT migrate_check()", 0));
  h_assert_text(db, "SELECT count(*) FROM migration_drift", "1");
  sqlite3_close(db);
  h_assert_file_unchanged(zDb, before);
  free(before.a);
  /* Read-only: the check still works. */
  db = h_open_flags(zDb, "", SQLITE_OPEN_READONLY);
  h_assert_text(db, "SELECT count(*) FROM migration_drift", "1");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

/* A database at head with rows, then drift made by hand: reasoning made NOT
** NULL by an edit of sqlite_schema, an index added, one dropped. */
static sqlite3 *drifted_db(const char *zName, char **pzPath) {
  char *zDb = h_fresh(zName);
  sqlite3 *db = h_open(zDb, "");
  sqlite3_free(h_text(db, "SELECT migrate_upgrade('head')"));
  h_exec(db, "INSERT INTO questions (id, category, question_text, created_at, updated_at) "
             "VALUES (1, 'math', 'q1', 't', 't'), (2, 'geo', 'q2', 't', 't');"
             "INSERT INTO responses (id, question_id, model_name, model_config, reasoning, "
             "answer, created_at, updated_at) VALUES (5, 1, 'm', '{}', 'r', 'a', 't', 't');"
             "PRAGMA writable_schema=ON;"
             "UPDATE sqlite_schema SET sql = replace(sql, 'reasoning TEXT,', "
             "'reasoning TEXT NOT NULL,') WHERE name = 'responses';"
             "PRAGMA writable_schema=OFF;");
  sqlite3_close(db);
  db = h_open(zDb, "");
  h_exec(db, "CREATE INDEX extra ON questions (updated_at); DROP INDEX idx_responses_is_correct");
  *pzPath = zDb;
  return db;
}

/*
** migrate_check('sql') is the script that brings the schema back to the
** migrations; migrate_repair() runs it in one run under the write lock and
** leaves the version, and every row, as they were.
*/
static void test_check_sql_and_repair_bring_the_schema_back(void **state) {
  (void)state;
  char *zDb = 0;
  sqlite3 *db = drifted_db("repair.db", &zDb);
  h_assert_text(db, "SELECT migrate_check('sql')",
                "-- index extra is not in the desired schema\n"
                "DROP INDEX extra;\n"
                "\n"
                "-- table responses changes:\n"
                "--   responses.reasoning: nullable in the desired schema, NOT NULL in the "
                "current schema\n"
                "SELECT migrate_alter_table('CREATE TABLE responses (\n"
                "    id INTEGER NOT NULL,\n"
                "    question_id INTEGER NOT NULL,\n"
                "    model_name VARCHAR(100) NOT NULL,\n"
                "    model_config TEXT NOT NULL,\n"
                "    reasoning TEXT,\n"
                "    answer TEXT NOT NULL,\n"
                "    is_correct BOOLEAN,\n"
                "    created_at DATETIME NOT NULL,\n"
                "    updated_at DATETIME NOT NULL,\n"
                "    PRIMARY KEY (id),\n"
                "    FOREIGN KEY(question_id) REFERENCES questions (id) ON DELETE CASCADE\n"
                ")');\n"
                "\n"
                "-- new index idx_responses_is_correct\n"
                "CREATE INDEX idx_responses_is_correct ON responses (is_correct);\n");
  char *zRows = h_text(db, "SELECT group_concat(id || question_id || reasoning) FROM responses");
  h_assert_text(db, "SELECT migrate_repair()",
                "repaired: 3 statements ran; the schema is what the migrations give at "
                "002_add_invalid_responses");
  h_assert_text(db, "SELECT migrate_check()", "ok");
  h_assert_text(db, "SELECT migrate_current()", "002_add_invalid_responses");
  h_assert_text(db, "SELECT direction || ' ' || from_version || ' ' || to_version FROM "
                    "distmigrate_log ORDER BY id DESC LIMIT 1",
                "repair 002_add_invalid_responses 002_add_invalid_responses");
  h_assert_text(db, "SELECT group_concat(id || question_id || reasoning) FROM responses", zRows);
  h_assert_text(db, "SELECT count(*) FROM questions", "2");
  h_assert_text(db, "PRAGMA integrity_check", "ok");
  /* Nothing left: an empty script, and a repair that says so. */
  h_assert_text(db, "SELECT migrate_check('sql')", "");
  h_assert_text(db, "SELECT migrate_repair()",
                "nothing to repair: the schema is what the migrations give at "
                "002_add_invalid_responses");
  h_assert_error(db, "SELECT migrate_check('fix')",
                 "migrate_check(option): the only option is 'sql', which returns the script "
                 "that brings the schema back to its migrations (migrate_repair() runs it)");
  sqlite3_free(zRows);
  sqlite3_close(db);
  sqlite3_free(zDb);
}

/* A repair the rows refuse fails as a whole: the file is as it was. */
static void test_repair_that_fails_changes_nothing(void **state) {
  (void)state;
  char *zDb = 0;
  sqlite3 *db = drifted_db("repair-fails.db", &zDb);
  /* The migrations say model_config NOT NULL; the database lets a NULL in. */
  h_exec(db, "PRAGMA writable_schema=ON;"
             "UPDATE sqlite_schema SET sql = replace(sql, 'model_config TEXT NOT NULL,', "
             "'model_config TEXT,') WHERE name = 'responses';"
             "PRAGMA writable_schema=OFF;");
  sqlite3_close(db);
  db = h_open(zDb, "");
  h_exec(db, "INSERT INTO responses (id, question_id, model_name, model_config, reasoning, "
             "answer, created_at, updated_at) VALUES (6, 2, 'm', NULL, 'r', 'a', 't', 't')");
  sqlite3_close(db);
  HFile before = h_file(zDb);
  db = h_open(zDb, "");
  h_assert_error(db, "SELECT migrate_repair()",
                 "migrate_repair(): migrate_alter_table(responses): a row of responses breaks "
                 "the new rules, so nothing was changed:\n"
                 "  rowid 6: NOT NULL on model_config; id=6, question_id=2, model_name='m', "
                 "model_config=NULL, reasoning='r', answer='a', is_correct=NULL, "
                 "created_at='t', updated_at='t'\n"
                 "  fix those rows in the migration before the call (UPDATE or DELETE them), "
                 "or keep the old rule\n"
                 "  at: SELECT migrate_alter_table('CREATE TABLE responses ( id INTEGER NOT "
                 "NULL, question_id INTEGER NOT NULL, model_name VARCHAR(100) NOT NULL, "
                 "model_config TEXT NOT ...\n"
                 "  the repair runs in one transaction: it was rolled back, the database is "
                 "as it was");
  h_assert_text(db, "SELECT migrate_current()", "002_add_invalid_responses");
  sqlite3_close(db);
  h_assert_file_unchanged(zDb, before);
  free(before.a);
  sqlite3_free(zDb);
}

/*
** The chain built twice: once as it is, once with c2 and c5 edited. A
** database migrated by the first build, checked by the second: both
** revisions are reported, and c5's edit (a view) is drift too. c2's edit
** is to a trigger that c4 recreates, so it shows as a checksum only.
*/
static void test_checksum_mismatch_is_reported_by_revision(void **state) {
  (void)state;
  char *zDir = h_path("edited");
  char *zCmd = sqlite3_mprintf(
      "rm -rf %s && mkdir -p %s && cp tests/fixtures/chain/*.sql %s/ && "
      "sed -i 's/added; by trigger/added by a trigger/' %s/c2_audit_trigger.sql && "
      "sed -i 's/ORDER BY id/ORDER BY name/' %s/c5_item_names.sql",
      zDir, zDir, zDir, zDir, zDir);
  run_shell(zCmd);
  sqlite3_free(zCmd);
  char *zEdited = build_set(zDir);

  char *zDb = h_fresh("edited.db");
  sqlite3 *db = h_open(zDb, "chain");
  h_assert_text(db, "SELECT migrate_upgrade('head')", "c5_item_names");
  h_assert_text(db, "SELECT migrate_check()", "ok");
  sqlite3_close(db);

  db = open_with(zDb, zEdited);
  char *zOld2 = h_text(db, "SELECT checksum FROM distmigrate_log WHERE revision = 'c2_audit_trigger'");
  char *zNew2 = h_text(db, "SELECT checksum FROM migration_history WHERE revision = 'c2_audit_trigger'");
  char *zOld5 = h_text(db, "SELECT checksum FROM distmigrate_log WHERE revision = 'c5_item_names'");
  char *zNew5 = h_text(db, "SELECT checksum FROM migration_history WHERE revision = 'c5_item_names'");
  assert_string_not_equal(zOld2, zNew2);
  assert_string_not_equal(zOld5, zNew5);
  char *zLines = sqlite3_mprintf(
      "  migration c2_audit_trigger: edited since it was applied (checksum "
      "%.12s applied, %.12s in this build)\n"
      "  migration c5_item_names: edited since it was applied (checksum %.12s "
      "applied, %.12s in this build)\n"
      "  view item_names: CREATE VIEW item_names AS SELECT name FROM items "
      "ORDER BY name in the migrations, CREATE VIEW item_names AS SELECT name "
      "FROM items ORDER BY id in the database",
      zOld2, zNew2, zOld5, zNew5);
  assert_check(db, "c5_item_names", zLines);
  /* The full checksums are in the table, for scripts. */
  char *zWant = sqlite3_mprintf("%s %s", zNew2, zOld2);
  h_assert_text(db,
                "SELECT expected || ' ' || actual FROM migration_drift "
                "WHERE kind = 'migration' AND name = 'c2_audit_trigger'",
                zWant);
  sqlite3_free(zWant);

  /* Strict mode refuses to go on from here: nothing is run or written. */
  sqlite3_free(h_text(db, "SELECT migrate_downgrade('c4')"));
  h_assert_text(db, "SELECT migrate_strict(1)", "0");
  sqlite3_close(db);
  HFile before = h_file(zDb);
  db = open_with(zDb, zEdited);
  sqlite3_free(h_text(db, "SELECT migrate_strict(1)"));
  zWant = sqlite3_mprintf(
      "migrate_upgrade(): strict mode: the database does not match its "
      "migrations at c4_rebuild_items, so nothing was run:\n"
      "  migration c2_audit_trigger: edited since it was applied (checksum "
      "%.12s applied, %.12s in this build)\n"
      "  fix the database (see SELECT * FROM migration_drift), or turn strict "
      "mode off with SELECT migrate_strict(0)",
      zOld2, zNew2);
  h_assert_error(db, "SELECT migrate_upgrade('head')", zWant);
  sqlite3_free(zWant);
  sqlite3_close(db);
  h_assert_file_unchanged(zDb, before);
  free(before.a);

  /* Upgrading again with the edited build records its checksum: c5 now
  ** matches, c2 (not re-run) still does not. */
  db = open_with(zDb, zEdited);
  h_assert_text(db, "SELECT migrate_upgrade('head')", "c5_item_names");
  sqlite3_free(zLines);
  zLines = sqlite3_mprintf(
      "  migration c2_audit_trigger: edited since it was applied (checksum "
      "%.12s applied, %.12s in this build)",
      zOld2, zNew2);
  assert_check(db, "c5_item_names", zLines);
  sqlite3_close(db);

  sqlite3_free(zLines);
  sqlite3_free(zOld2);
  sqlite3_free(zNew2);
  sqlite3_free(zOld5);
  sqlite3_free(zNew5);
  sqlite3_free(zEdited);
  sqlite3_free(zDir);
  sqlite3_free(zDb);
}

/* CRLF line ends and trailing blanks are not edits: same checksums. */
static void test_line_ends_and_trailing_blanks_are_not_edits(void **state) {
  (void)state;
  char *zDir = h_path("crlf");
  char *zCmd = sqlite3_mprintf(
      "rm -rf %s && mkdir -p %s && cp tests/fixtures/chain/*.sql %s/ && "
      "sed -i 's/;$/;   /; s/$/\\r/' %s/*.sql && grep -q \"$(printf '\\r')\" "
      "%s/c1_items.sql",
      zDir, zDir, zDir, zDir, zDir);
  run_shell(zCmd);
  sqlite3_free(zCmd);
  char *zCrlf = build_set(zDir);
  char *zDb = h_fresh("crlf.db");
  sqlite3 *db = h_open(zDb, "chain");
  sqlite3_free(h_text(db, "SELECT migrate_upgrade('head')"));
  char *zSums = h_text(db, "SELECT group_concat(checksum) FROM migration_history");
  sqlite3_close(db);
  db = open_with(zDb, zCrlf);
  h_assert_text(db, "SELECT group_concat(checksum) FROM migration_history", zSums);
  h_assert_text(db, "SELECT migrate_check()", "ok");
  sqlite3_close(db);
  sqlite3_free(zSums);
  sqlite3_free(zCrlf);
  sqlite3_free(zDir);
  sqlite3_free(zDb);
}

/* ---- drift ------------------------------------------------------------------ */

typedef struct DriftCase DriftCase;
struct DriftCase {
  const char *zSet;     /* "" the shipped set, or a fixture */
  const char *zChange;  /* What someone did by hand, at head */
  const char *zLines;   /* What migrate_check() says; 0: ok */
};

/* The DDL of 001's questions table, for rebuilding it by hand. */
#define QUESTIONS_INDEXES                                                  \
  "CREATE INDEX idx_questions_category ON questions (category);"           \
  "CREATE INDEX idx_questions_json_id ON questions (json_id);"             \
  "CREATE INDEX idx_questions_created_at ON questions (created_at);"

/* Table zTable's stored SQL with zFrom replaced by zTo, as someone might
** edit it by hand. */
#define EDIT_SQL(zTable, zFrom, zTo)                                          \
  "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = replace(sql, '" \
  zFrom "', '" zTo "') WHERE name = '" zTable "'; PRAGMA writable_schema = OFF;"

static void test_drift_for_each_kind_of_object(void **state) {
  (void)state;
  static const DriftCase aCase[] = {
      {"", "CREATE TABLE foo (x)", "  table foo: in the database, not in the migrations"},
      {"", "DROP TABLE invalid_responses",
       "  table invalid_responses: in the migrations, not in the database\n"
       "  index idx_invalid_responses_created_at: in the migrations, not in the database\n"
       "  index idx_invalid_responses_error_type: in the migrations, not in the database\n"
       "  index idx_invalid_responses_question_id: in the migrations, not in the database"},
      {"", "ALTER TABLE questions ADD COLUMN foo TEXT",
       "  questions.foo: in the database, not in the migrations"},
      {"", "ALTER TABLE responses DROP COLUMN reasoning",
       "  responses.reasoning: in the migrations, not in the database"},
      {"", "ALTER TABLE questions RENAME COLUMN category TO topic",
       "  questions.category: in the migrations, not in the database\n"
       "  questions.topic: in the database, not in the migrations\n"
       "  index idx_questions_category: columns (category) in the migrations, "
       "(topic) in the database"},
      /* A rebuild by hand that widened a column. */
      {"",
       "CREATE TABLE questions_new (id INTEGER NOT NULL, json_id VARCHAR(255), "
       "category VARCHAR(200) NOT NULL, question_text TEXT NOT NULL, "
       "golden_answer TEXT, answer_schema TEXT, created_at DATETIME NOT NULL, "
       "updated_at DATETIME NOT NULL, PRIMARY KEY (id), CONSTRAINT "
       "unique_json_id UNIQUE (json_id));"
       "DROP TABLE questions; ALTER TABLE questions_new RENAME TO questions;"
       QUESTIONS_INDEXES,
       "  questions.category: type VARCHAR(100) in the migrations, type "
       "VARCHAR(200) in the database"},
      /* The same rebuild, same definitions: only case, quoting, spacing
      ** and a comment differ, and RENAME quoted the name. Not drift. */
      {"",
       "create table [questions_new] ( \"id\" integer not null, json_id "
       "varchar ( 255 ), `category` VARCHAR(100) NOT NULL, question_text TEXT "
       "NOT NULL, golden_answer TEXT, answer_schema TEXT, created_at DATETIME "
       "NOT NULL, updated_at DATETIME NOT NULL, primary key (id), -- note\n"
       "constraint \"unique_json_id\" unique (json_id));"
       "DROP TABLE questions; ALTER TABLE questions_new RENAME TO questions;"
       QUESTIONS_INDEXES,
       0},
      {"",
       "CREATE TABLE questions_new (json_id VARCHAR(255), id INTEGER NOT NULL, "
       "category VARCHAR(100) NOT NULL, question_text TEXT NOT NULL, "
       "golden_answer TEXT, answer_schema TEXT, created_at DATETIME NOT NULL, "
       "updated_at DATETIME NOT NULL, PRIMARY KEY (id), CONSTRAINT "
       "unique_json_id UNIQUE (json_id));"
       "DROP TABLE questions; ALTER TABLE questions_new RENAME TO questions;"
       QUESTIONS_INDEXES,
       "  table questions: columns in the order id, json_id, category, "
       "question_text, golden_answer, answer_schema, created_at, updated_at in "
       "the migrations, json_id, id, category, question_text, golden_answer, "
       "answer_schema, created_at, updated_at in the database"},
      /* Constraints: one dropped, one changed, one added. */
      {"",
       "CREATE TABLE r2 (id INTEGER NOT NULL, question_id INTEGER NOT NULL, "
       "model_name VARCHAR(100) NOT NULL, model_config TEXT NOT NULL, "
       "reasoning TEXT, answer TEXT NOT NULL, is_correct BOOLEAN, created_at "
       "DATETIME NOT NULL, updated_at DATETIME NOT NULL, PRIMARY KEY (id), "
       "UNIQUE (model_name, question_id));"
       "DROP TABLE responses; ALTER TABLE r2 RENAME TO responses;"
       "CREATE INDEX idx_responses_question_id ON responses (question_id);"
       "CREATE INDEX idx_responses_model_name ON responses (model_name);"
       "CREATE INDEX idx_responses_is_correct ON responses (is_correct);"
       "CREATE INDEX idx_responses_created_at ON responses (created_at);"
       "CREATE INDEX idx_responses_question_model ON responses (question_id, "
       "model_name);",
       "  table responses: UNIQUE (model_name, question_id) in the database, not "
       "in the migrations\n"
       "  table responses: FOREIGN KEY (question_id) REFERENCES questions (id) ON "
       "DELETE CASCADE in the migrations, not in the database"},
      {"",
       "CREATE TABLE ir (id INTEGER NOT NULL, question_id INTEGER NOT NULL, "
       "model_name VARCHAR(100) NOT NULL, model_config TEXT NOT NULL, "
       "reasoning TEXT, answer TEXT NOT NULL, validation_error TEXT NOT NULL, "
       "error_type VARCHAR(50) NOT NULL, created_at DATETIME NOT NULL, "
       "updated_at DATETIME NOT NULL, PRIMARY KEY (id), CONSTRAINT "
       "check_error_type CHECK (error_type IN ('JSON_PARSE_ERROR')), FOREIGN "
       "KEY(question_id) REFERENCES questions (id) ON DELETE CASCADE);"
       "DROP TABLE invalid_responses; ALTER TABLE ir RENAME TO invalid_responses;"
       "CREATE INDEX idx_invalid_responses_question_id ON invalid_responses (question_id);"
       "CREATE INDEX idx_invalid_responses_error_type ON invalid_responses (error_type);"
       "CREATE INDEX idx_invalid_responses_created_at ON invalid_responses (created_at);",
       "  table invalid_responses: CHECK check_error_type (error_type IN "
       "('JSON_PARSE_ERROR', 'SCHEMA_VALIDATION_ERROR', 'MISSING_REQUIRED_FIELD', "
       "'INVALID_DATA_TYPE', 'CONSTRAINT_VIOLATION')) in the migrations, "
       "(error_type IN ('JSON_PARSE_ERROR')) in the database"},
      {"", "DROP INDEX idx_questions_category",
       "  index idx_questions_category: in the migrations, not in the database"},
      {"", "CREATE INDEX idx_foo ON questions (golden_answer)",
       "  index idx_foo: in the database, not in the migrations"},
      {"",
       "DROP INDEX idx_questions_category; CREATE INDEX idx_questions_category "
       "ON questions (category, created_at)",
       "  index idx_questions_category: columns (category) in the migrations, "
       "(category, created_at) in the database"},
      {"", "DROP INDEX idx_questions_json_id; CREATE UNIQUE INDEX idx_questions_json_id "
           "ON questions (json_id)",
       "  index idx_questions_json_id: not UNIQUE in the migrations, UNIQUE in "
       "the database"},
      {"chain", "DROP TRIGGER items_audit",
       "  trigger items_audit: in the migrations, not in the database"},
      {"chain", "CREATE TRIGGER items_touch AFTER UPDATE ON items BEGIN SELECT 1; END",
       "  trigger items_touch: in the database, not in the migrations"},
      {"chain",
       "DROP TRIGGER items_audit; CREATE TRIGGER items_audit AFTER INSERT ON items "
       "BEGIN INSERT INTO item_audit (item_id, note) VALUES (NEW.id, 'added'); END",
       "  trigger items_audit: CREATE TRIGGER items_audit AFTER INSERT ON items "
       "BEGIN INSERT INTO item_audit (item_id, note) VALUES (NEW.id, 'added; by "
       "trigger'); UPDATE item_audit SET note = note || ';' WHERE item_id = "
       "NEW.id; END in the migrations, CREATE TRIGGER items_audit AFTER INSERT "
       "ON items BEGIN INSERT INTO item_audit (item_id, note) VALUES (NEW.id, "
       "'added'); END in the database"},
      {"chain", "DROP VIEW item_names",
       "  view item_names: in the migrations, not in the database"},
      {"chain", "CREATE VIEW cheap_items AS SELECT * FROM items WHERE price < 200",
       "  view cheap_items: in the database, not in the migrations"},
      {"chain",
       "DROP VIEW item_names; CREATE VIEW item_names AS SELECT name FROM items "
       "ORDER BY name",
       "  view item_names: CREATE VIEW item_names AS SELECT name FROM items "
       "ORDER BY id in the migrations, CREATE VIEW item_names AS SELECT name "
       "FROM items ORDER BY name in the database"},
      /* Several at once: tables, indexes, views, triggers, in that order. */
      {"chain",
       "CREATE INDEX idx_z ON items (price); DROP VIEW item_names; "
       "ALTER TABLE item_audit ADD COLUMN at TEXT; DROP TRIGGER items_audit",
       "  item_audit.at: in the database, not in the migrations\n"
       "  index idx_z: in the database, not in the migrations\n"
       "  view item_names: in the migrations, not in the database\n"
       "  trigger items_audit: in the migrations, not in the database"},
      /* Edits by hand of a definition (SQLite has no ALTER for them). */
      {"", EDIT_SQL("responses", "answer TEXT NOT NULL", "answer TEXT"),
       "  responses.answer: NOT NULL in the migrations, nullable in the database"},
      {"", EDIT_SQL("responses", "ON DELETE CASCADE", "ON DELETE SET NULL"),
       "  table responses: FOREIGN KEY (question_id) ON DELETE CASCADE in the "
       "migrations, ON DELETE SET NULL in the database"},
      {"chain", EDIT_SQL("items", "DEFAULT 0", "DEFAULT 1"),
       "  items.price: DEFAULT 0 in the migrations, DEFAULT 1 in the database"},
      {"chain", EDIT_SQL("items", "VARCHAR(200) NOT NULL", "VARCHAR(200) NOT NULL COLLATE NOCASE"),
       /* The index on the column takes the column's collation. */
       "  items.name: COLLATE binary in the migrations, COLLATE nocase in the database\n"
       "  index idx_items_name: columns (name) in the migrations, (name COLLATE "
       "nocase) in the database"},
      /* Another spelling of the same schema is not drift: the CHECK after
      ** the foreign key, quoted names, case, spacing. */
      {"", EDIT_SQL("invalid_responses", "invalid_responses (", "\"invalid_responses\" ("),
       0},
      {"",
       "CREATE TABLE ir (\"ID\" integer not null, question_id INTEGER NOT NULL, "
       "model_name varchar(100) not null, model_config TEXT NOT NULL, "
       "reasoning TEXT, answer TEXT NOT NULL, validation_error TEXT NOT NULL, "
       "error_type VARCHAR ( 50 ) NOT NULL, created_at DATETIME NOT NULL, "
       "updated_at DATETIME NOT NULL, PRIMARY KEY (\"id\"), foreign key "
       "(question_id) references QUESTIONS on delete cascade, constraint "
       "check_error_type check (error_type in ('JSON_PARSE_ERROR', "
       "'SCHEMA_VALIDATION_ERROR', 'MISSING_REQUIRED_FIELD', "
       "'INVALID_DATA_TYPE', 'CONSTRAINT_VIOLATION')));"
       "DROP TABLE invalid_responses; ALTER TABLE ir RENAME TO invalid_responses;"
       "CREATE INDEX idx_invalid_responses_question_id ON invalid_responses (question_id);"
       "create index IDX_INVALID_RESPONSES_ERROR_TYPE on \"invalid_responses\" (Error_Type);"
       "CREATE INDEX idx_invalid_responses_created_at ON invalid_responses (created_at);",
       0},
      /* What SQLite keeps for itself is not drift. */
      {"chain", "ANALYZE", 0},
  };
  for (size_t i = 0; i < sizeof(aCase) / sizeof(aCase[0]); i++) {
    char *zDb = h_fresh("drift.db");
    sqlite3 *db = h_open(zDb, aCase[i].zSet);
    char *zVersion = h_text(db, "SELECT migrate_upgrade('head')");
    h_exec(db, aCase[i].zChange);
    sqlite3_close(db);
    db = h_open(zDb, aCase[i].zSet);
    assert_check(db, zVersion, aCase[i].zLines);
    sqlite3_free(zVersion);
    sqlite3_close(db);
    sqlite3_free(zDb);
  }
}

/*
** Databases Alembic makes from the seed, each stamped at its revision: what
** real Alembic produced (tests/alembic/reference/), and with 002 written
** two other ways (tests/alembic/variants/, also real Alembic's: the CHECK
** after the foreign key, and the check added in batch mode, whose rebuild
** and rename leave CREATE TABLE "invalid_responses" and the indexes in
** another order). They mean what the migrations mean: the check says ok.
*/
static void test_alembic_schemas_check_ok(void **state) {
  (void)state;
  static const char *const azFile[][2] = {
      {"tests/alembic/reference/001_initial_schema.sql", "001_initial_schema"},
      {"tests/alembic/reference/002_add_invalid_responses.sql", "002_add_invalid_responses"},
      {"tests/alembic/variants/002_check_after_fk.sql", "002_add_invalid_responses"},
      {"tests/alembic/variants/002_batch_mode.sql", "002_add_invalid_responses"},
  };
  for (size_t i = 0; i < sizeof(azFile) / sizeof(azFile[0]); i++) {
    char *zDb = h_fresh("alembic.db");
    char *zSql = read_text(azFile[i][0]);
    char *zStamp = sqlite3_mprintf("INSERT INTO alembic_version VALUES ('%s')", azFile[i][1]);
    sqlite3 *db = h_open(zDb, 0);
    h_exec(db, zSql);
    h_exec(db, zStamp);
    sqlite3_close(db);
    db = h_open(zDb, "");
    h_assert_text(db, "SELECT migrate_check()", "ok");
    h_assert_text(db, "SELECT count(*) FROM migration_drift", "0");
    sqlite3_close(db);
    sqlite3_free(zStamp);
    sqlite3_free(zSql);
    sqlite3_free(zDb);
  }
}

/* questions as 001 makes it, on one line; ..._WITH(x): x after its columns. */
#define QUESTIONS_SQL_WITH(zMore)                                             \
  "CREATE TABLE questions (id INTEGER NOT NULL, json_id VARCHAR(255), "        \
  "category VARCHAR(100) NOT NULL, question_text TEXT NOT NULL, golden_answer " \
  "TEXT, answer_schema TEXT, created_at DATETIME NOT NULL, updated_at "         \
  "DATETIME NOT NULL" zMore ", PRIMARY KEY (id), CONSTRAINT unique_json_id "     \
  "UNIQUE (json_id))"
#define QUESTIONS_SQL QUESTIONS_SQL_WITH("")

/* migration_drift's columns: the line, and the object's definition in the
** migrations (expected) and in the database (actual). */
static void test_drift_table_has_both_definitions(void **state) {
  (void)state;
  char *zDb = h_fresh("drift-table.db");
  sqlite3 *db = h_open(zDb, "");
  sqlite3_free(h_text(db, "SELECT migrate_upgrade('head')"));
  h_exec(db,
         "ALTER TABLE questions ADD COLUMN foo TEXT DEFAULT 'x';"
         "DROP INDEX idx_questions_category;");
  h_assert_text(db,
                "SELECT group_concat(kind || '|' || name || '|' || difference || "
                "'|' || coalesce(expected, 'NULL') || '|' || coalesce(actual, "
                "'NULL'), char(10)) FROM migration_drift",
                "table|questions|questions.foo: in the database, not in the "
                "migrations|" QUESTIONS_SQL "|" QUESTIONS_SQL_WITH(", foo TEXT DEFAULT 'x'") "\n"
                "index|idx_questions_category|index idx_questions_category: in the "
                "migrations, not in the database|CREATE INDEX "
                "idx_questions_category ON questions (category)|NULL");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

static void test_check_refuses_an_unknown_version(void **state) {
  (void)state;
  char *zDb = h_fresh("check-unknown.db");
  sqlite3 *db = h_open(zDb, "");
  sqlite3_free(h_text(db, "SELECT migrate_upgrade('head')"));
  h_exec(db, "UPDATE alembic_version SET version_num = '003_from_the_future'");
  const char *zWant =
      "Can't locate revision identified by '003_from_the_future': the "
      "database is at a revision this build of distmigrate does not know (a "
      "newer build migrated it?); alembic_version holds '003_from_the_future'; "
      "load the distmigrate that carries '003_from_the_future', or, if the "
      "schema is at a revision this build knows, record that with SELECT "
      "migrate_stamp('<rev>', 'purge')";
  h_assert_error(db, "SELECT migrate_check()", zWant);
  h_assert_error(db, "SELECT * FROM migration_drift", zWant);
  h_assert_error(db, "SELECT migrate_check('sql', 1)",
                 "wrong number of arguments (2): use migrate_check(), or migrate_check('sql') "
                 "for the script that repairs the schema");
  h_assert_error(db, "SELECT migrate_check(1)",
                 "migrate_check(option): the only option is 'sql', which returns the script "
                 "that brings the schema back to its migrations (migrate_repair() runs it)");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

/* A database another connection holds locked: the check says so as a run
** does, with SQLITE_BUSY, so that a caller can retry. */
static void test_check_on_a_locked_database_says_it_is_locked(void **state) {
  (void)state;
  char *zDb = h_fresh("check-locked.db");
  sqlite3 *db = h_open(zDb, "");
  sqlite3_free(h_text(db, "SELECT migrate_upgrade('head')"));
  sqlite3 *pWriter = h_open(zDb, 0);
  h_exec(pWriter, "BEGIN EXCLUSIVE");
  int rc = 0;
  char *zGot = h_error(db, "SELECT migrate_check()", &rc);
  assert_string_equal(zGot,
                      "migrate_check(): database is locked: another connection is "
                      "writing to it (waited 0 ms, this connection's busy timeout); "
                      "try again, or wait longer with PRAGMA busy_timeout = 10000");
  assert_int_equal(rc, SQLITE_BUSY);
  sqlite3_free(zGot);
  h_exec(pWriter, "ROLLBACK");
  sqlite3_close(pWriter);
  h_assert_text(db, "SELECT migrate_check()", "ok");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

/* A migration that asks for a check: the check's replay would run it, and
** it would ask again. The second replay is refused, and no recursion. */
static void test_a_migration_asking_for_a_replay_is_refused(void **state) {
  (void)state;
  char *zDir = empty_dir("asks");
  write_migration(zDir, "a1_asks", "",
                  "CREATE TABLE t (x);\nSELECT count(*) FROM migration_drift;",
                  "DROP TABLE t;");
  char *zExt = build_set(zDir);
  sqlite3 *db = open_with(":memory:", zExt);
  /* At base the check needs no replay: the run itself goes through. */
  h_assert_text(db, "SELECT migrate_upgrade('head')", "a1_asks");
  char *zWant = sqlite3_mprintf(
      "cannot replay the migrations into an in-memory database to compare "
      "with: upgrade <base> -> a1_asks failed: a migration must not ask for a "
      "replay of the migrations (migrate_check(), migrate_sql(), "
      "migration_drift): it would replay itself without end\n"
      "  at %s/a1_asks.sql:9: SELECT count(*) FROM migration_drift;\n"
      "  the run was rolled back: the database is still at base",
      zDir);
  h_assert_error(db, "SELECT migrate_check()", zWant);
  sqlite3_free(zWant);
  sqlite3_close(db);
  sqlite3_free(zExt);
  sqlite3_free(zDir);
}

/* ---- strict mode ---------------------------------------------------------- */

static void test_strict_mode_refuses_a_drifted_database(void **state) {
  (void)state;
  char *zDb = h_fresh("strict.db");
  sqlite3 *db = h_open(zDb, "");
  sqlite3_free(h_text(db, "SELECT migrate_upgrade('001')"));
  h_exec(db, "ALTER TABLE questions ADD COLUMN foo TEXT; DROP INDEX idx_responses_is_correct");
  sqlite3_close(db);
  HFile before = h_file(zDb);
  db = h_open(zDb, "");
  h_assert_text(db, "SELECT migrate_strict(1)", "0");
  const char *zWant =
      "migrate_upgrade(): strict mode: the database does not match its "
      "migrations at 001_initial_schema, so nothing was run:\n"
      "  questions.foo: in the database, not in the migrations\n"
      "  index idx_responses_is_correct: in the migrations, not in the database\n"
      "  fix the database (see SELECT * FROM migration_drift), or turn strict "
      "mode off with SELECT migrate_strict(0)";
  h_assert_error(db, "SELECT migrate_upgrade('head')", zWant);
  /* Inside the caller's transaction too, and a rehearsal would say the same. */
  h_exec(db, "BEGIN");
  h_assert_error(db, "SELECT migrate_upgrade('head')", zWant);
  h_exec(db, "COMMIT");
  h_assert_error(db, "SELECT migrate_upgrade('head', 'rehearse')", zWant);
  assert_int_equal(sqlite3_get_autocommit(db), 1);
  sqlite3_close(db);
  h_assert_file_unchanged(zDb, before);
  free(before.a);

  /* Turned off, it migrates; strict mode guards upgrades, not the way back. */
  db = h_open(zDb, "");
  sqlite3_free(h_text(db, "SELECT migrate_strict(1)"));
  h_assert_text(db, "SELECT migrate_strict(0)", "1");
  h_assert_text(db, "SELECT migrate_upgrade('head')", zHead);
  h_assert_text(db, "SELECT migrate_strict(1)", "0");
  h_assert_text(db, "SELECT migrate_downgrade(-1)", "001_initial_schema");
  sqlite3_close(db);
  sqlite3_free(zDb);

  /* A database that matches migrates in strict mode. */
  zDb = h_fresh("strict-ok.db");
  db = h_open(zDb, "");
  sqlite3_free(h_text(db, "SELECT migrate_strict(1)"));
  h_assert_text(db, "SELECT migrate_upgrade('001')", "001_initial_schema");
  h_assert_text(db, "SELECT migrate_upgrade('head')", zHead);
  sqlite3_close(db);
  sqlite3_free(zDb);
}

static void test_strict_mode_from_the_environment(void **state) {
  (void)state;
  char *zDb = h_fresh("strict-env.db");
  setenv("DISTMIGRATE_STRICT", "1", 1);
  sqlite3 *db = h_open(zDb, "");
  unsetenv("DISTMIGRATE_STRICT");
  h_exec(db, "CREATE TABLE mine (x)");
  h_assert_error(db, "SELECT migrate_upgrade('head')",
                 "migrate_upgrade(): strict mode: the database does not match "
                 "its migrations at base, so nothing was run:\n"
                 "  table mine: in the database, not in the migrations\n"
                 "  fix the database (see SELECT * FROM migration_drift), or "
                 "turn strict mode off with SELECT migrate_strict(0)");
  h_assert_text(db, "SELECT migrate_strict(0)", "1");
  h_assert_text(db, "SELECT migrate_upgrade('head')", zHead);
  sqlite3_close(db);
  sqlite3_free(zDb);
}

/*
** Strict mode and backup-then-migrate on a set that alters tables: the
** check under the run's lock passes, the backup is the database as it was,
** the run goes through. Once drifted, the same call refuses before taking
** any backup.
*/
static void test_strict_backup_then_migrate_on_a_set_that_alters_tables(void **state) {
  (void)state;
  char *zDb = h_fresh("strict-patterns.db");
  char *zCopy = h_fresh("strict-patterns-copy.db");
  sqlite3 *db = patterns_db(zDb);
  char *zBefore = full_state(db);
  h_assert_text(db, "SELECT migrate_strict(1)", "0");
  char *zSql = sqlite3_mprintf("SELECT migrate_upgrade('head', 'backup', '%q')", zCopy);
  h_assert_text(db, zSql, azPatterns[5]);
  sqlite3_free(zSql);
  h_assert_text(db, "SELECT migrate_check()", "ok");
  h_assert_text(db, "SELECT group_concat(response_id || ':' || is_correct) FROM "
                    "(SELECT * FROM response_evaluations ORDER BY response_id)",
                "1:1,2:0,7:1");
  sqlite3 *pCopy = h_open(zCopy, "patterns");
  h_assert_text(pCopy, "PRAGMA integrity_check", "ok");
  h_assert_text(pCopy, "SELECT migrate_check()", "ok");
  char *zCopied = full_state(pCopy);
  assert_string_equal(zCopied, zBefore);
  sqlite3_free(zCopied);
  sqlite3_close(pCopy);

  /* Strict mode leaves the way down open; then a drift stops the way up. */
  h_assert_text(db, "SELECT migrate_downgrade('003')", "003_add_new_field");
  h_exec(db, "CREATE INDEX idx_mine ON questions (new_field)");
  char *zCopy2 = h_fresh("strict-patterns-copy2.db");
  zSql = sqlite3_mprintf("SELECT migrate_upgrade('head', 'backup', '%q')", zCopy2);
  h_assert_error(db, zSql,
                 "migrate_upgrade(): strict mode: the database does not match its "
                 "migrations at 003_add_new_field, so nothing was run:\n"
                 "  index idx_mine: in the database, not in the migrations\n"
                 "  fix the database (see SELECT * FROM migration_drift), or turn "
                 "strict mode off with SELECT migrate_strict(0)");
  sqlite3_free(zSql);
  assert_false(h_file(zCopy2).bExists);
  h_assert_text(db, "SELECT migrate_current()", "003_add_new_field");
  sqlite3_close(db);
  sqlite3_free(zBefore);
  sqlite3_free(zCopy2);
  sqlite3_free(zCopy);
  sqlite3_free(zDb);
}

/* ---- plans ----------------------------------------------------------------- */

#define PLAN_ROWS                                                             \
  "SELECT group_concat(step || '|' || direction || '|' || "                   \
  "coalesce(from_version, 'NULL') || '|' || coalesce(to_version, 'NULL') || " \
  "'|' || revision || '|' || message, char(10)) FROM migration_plan"

static void test_plan_lists_the_steps_a_run_would_take(void **state) {
  (void)state;
  char *zDb = h_fresh("plan.db");
  sqlite3 *db = h_open(zDb, "");
  h_assert_text(db, PLAN_ROWS "('head')",
                "1|upgrade|NULL|001_initial_schema|001_initial_schema|Create "
                "initial database schema\n"
                "2|upgrade|001_initial_schema|002_add_invalid_responses|"
                "002_add_invalid_responses|Add invalid_responses table");
  h_assert_text(db, PLAN_ROWS "('+1')",
                "1|upgrade|NULL|001_initial_schema|001_initial_schema|Create "
                "initial database schema");
  /* It changes nothing, not even the version table. */
  h_assert_text(db, "SELECT count(*) FROM sqlite_schema", "0");
  sqlite3_free(h_text(db, "SELECT migrate_upgrade('head')"));
  h_assert_text(db, "SELECT count(*) FROM migration_plan('head')", "0");
  /* A target below the current revision: the downgrade's steps. */
  h_assert_text(db, PLAN_ROWS "('base')",
                "1|downgrade|002_add_invalid_responses|001_initial_schema|"
                "002_add_invalid_responses|Add invalid_responses table\n"
                "2|downgrade|001_initial_schema|NULL|001_initial_schema|Create "
                "initial database schema");
  h_assert_text(db, PLAN_ROWS "('-1')",
                "1|downgrade|002_add_invalid_responses|001_initial_schema|"
                "002_add_invalid_responses|Add invalid_responses table");
  h_assert_text(db, "SELECT file FROM migration_plan('-1')",
                "sql/versions/002_add_invalid_responses.sql");
  h_assert_error(db, "SELECT * FROM migration_plan",
                 "migration_plan needs a target, as in SELECT * FROM "
                 "migration_plan('head')");
  h_assert_error(db, "SELECT * FROM migration_plan(NULL)",
                 "migration_plan needs a target, as in SELECT * FROM "
                 "migration_plan('head')");
  h_assert_error(db, "SELECT * FROM migration_plan('zzz')",
                 "Can't locate revision identified by 'zzz'");
  h_assert_error(db, "SELECT * FROM migration_plan('-3')",
                 "Relative revision -3 didn't produce 3 migrations: the database "
                 "(at 002_add_invalid_responses) is only 2 steps above base");
  /* Usable in a join: each target's steps. */
  h_assert_text(db,
                "SELECT group_concat(t.value || ':' || p.step) FROM "
                "json_each('[\"-1\", \"base\"]') t, migration_plan(t.value) p",
                "-1:1,base:1,base:2");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

/* Through a merge: the plan is what the run then logs, step for step. */
static void test_plan_is_what_the_run_does(void **state) {
  (void)state;
  static const char *const azSet[] = {"graph", "chain"};
  for (size_t i = 0; i < sizeof(azSet) / sizeof(azSet[0]); i++) {
    char *zDb = h_fresh("plan-run.db");
    sqlite3 *db = h_open(zDb, azSet[i]);
    sqlite3_free(h_text(db, "SELECT migrate_stamp('base')"));
    if (i == 0) sqlite3_free(h_text(db, "SELECT migrate_upgrade('g2b')"));
    const char *zSteps =
        "SELECT group_concat(revision || ' ' || direction || ' ' || "
        "coalesce(from_version, '<base>') || ' -> ' || coalesce(to_version, "
        "'<base>'), '; ') FROM ";
    char *zSql = sqlite3_mprintf("%s migration_plan('head')", zSteps);
    char *zPlan = h_text(db, zSql);
    sqlite3_free(zSql);
    h_exec(db, "DELETE FROM distmigrate_log WHERE 1");
    sqlite3_free(h_text(db, "SELECT migrate_upgrade('head')"));
    zSql = sqlite3_mprintf("%s (SELECT * FROM distmigrate_log ORDER BY id)", zSteps);
    h_assert_text(db, zSql, zPlan);
    if (i == 0) {
      assert_string_equal(zPlan,
                          "g2a_left upgrade g2b_right -> g2a_left, g2b_right; "
                          "g3_merge upgrade g2a_left, g2b_right -> g3_merge; "
                          "g4_after upgrade g3_merge -> g4_after");
    }
    sqlite3_free(zSql);
    sqlite3_free(zPlan);
    sqlite3_close(db);
    sqlite3_free(zDb);
  }
}

/* ---- offline SQL --------------------------------------------------------- */

static void test_offline_sql_is_alembics_shape(void **state) {
  (void)state;
  char *zDb = h_fresh("offline.db");
  sqlite3 *db = h_open(zDb, "chain");
  char *zSum = h_text(db, "SELECT checksum FROM migration_history WHERE revision = 'c1_items'");
  char *zWant = sqlite3_mprintf(
      "-- distmigrate offline script: upgrade <base> -> c1_items\n"
      "-- Apply with: sqlite3 -bail DATABASE < FILE (-bail stops at the first "
      "error; the open transaction is then rolled back)\n"
      "\n"
      "PRAGMA foreign_keys = OFF;\n"
      "\n"
      "BEGIN;\n"
      "\n"
      "CREATE TABLE IF NOT EXISTS main.alembic_version (\n"
      "\tversion_num VARCHAR(32) NOT NULL, \n"
      "\tCONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n"
      ");\n"
      "\n"
      "CREATE TABLE IF NOT EXISTS main.distmigrate_log (\n"
      "  id INTEGER PRIMARY KEY,\n"
      "  revision VARCHAR(32),\n"
      "  direction TEXT NOT NULL,\n"
      "  from_version TEXT,\n"
      "  to_version TEXT,\n"
      "  checksum TEXT,\n"
      "  started_at TEXT NOT NULL,\n"
      "  duration_ms REAL NOT NULL\n"
      ");\n"
      "\n"
      "-- Running upgrade  -> c1_items\n"
      "\n"
      "INSERT INTO distmigrate_log (revision, direction, from_version, "
      "to_version, checksum, started_at, duration_ms) VALUES ('c1_items', "
      "'upgrade', NULL, 'c1_items', '%s', '<written>', 0);\n"
      "\n"
      "CREATE TABLE items (\n"
      "    id INTEGER NOT NULL,\n"
      "    name VARCHAR(50) NOT NULL,\n"
      "    PRIMARY KEY (id)\n"
      ");\n"
      "\n"
      "INSERT INTO items (id, name) VALUES (1, 'semi;colon'), (2, 'it''s -- "
      "not a comment');\n"
      "\n"
      "INSERT INTO alembic_version (version_num) VALUES ('c1_items');\n"
      "\n"
      "COMMIT;\n",
      zSum);
  const char *azCall[] = {"SELECT migrate_sql('c1_items')", "SELECT migrate_sql('base', 'c1')"};
  for (int i = 0; i < 2; i++) {
    char *zScript = h_text(db, azCall[i]);
    char *zGot = script_without_time(db, zScript);
    assert_string_equal(zGot, zWant);
    sqlite3_free(zGot);
    sqlite3_free(zScript);
  }
  sqlite3_free(zWant);
  sqlite3_free(zSum);

  /* Later steps: Alembic's UPDATE and DELETE of version rows; a merge. */
  sqlite3_close(db);
  db = h_open(zDb, "graph");
  char *zScript = h_text(db, "SELECT migrate_sql('g2a', 'g4')");
  sqlite3_str *pLines = sqlite3_str_new(0);
  for (char *z = zScript; *z;) {
    char *zEnd = strchr(z, '\n');
    int n = zEnd ? (int)(zEnd - z) : (int)strlen(z);
    if (strncmp(z, "-- Running", 10) == 0 || strncmp(z, "BEGIN", 5) == 0 ||
        strncmp(z, "COMMIT", 6) == 0 || strncmp(z, "UPDATE alembic_version", 22) == 0 ||
        strncmp(z, "INSERT INTO alembic_version", 27) == 0 ||
        strncmp(z, "DELETE FROM alembic_version", 27) == 0) {
      sqlite3_str_appendf(pLines, "%.*s\n", n, z);
    }
    z += n + (zEnd ? 1 : 0);
  }
  char *zLines = sqlite3_str_finish(pLines);
  assert_string_equal(zLines,
                      "BEGIN;\n"
                      "-- Running upgrade g1_base -> g2b_right\n"
                      "INSERT INTO alembic_version (version_num) VALUES ('g2b_right');\n"
                      /* Alembic's merge_branch_idents(): delete all the
                      ** parents but the last, update the last. */
                      "-- Running upgrade g2a_left, g2b_right -> g3_merge\n"
                      "DELETE FROM alembic_version WHERE "
                      "alembic_version.version_num = 'g2a_left';\n"
                      "UPDATE alembic_version SET version_num='g3_merge' WHERE "
                      "alembic_version.version_num = 'g2b_right';\n"
                      "-- Running upgrade g3_merge -> g4_after\n"
                      "UPDATE alembic_version SET version_num='g4_after' WHERE "
                      "alembic_version.version_num = 'g3_merge';\n"
                      "COMMIT;\n");
  sqlite3_free(zLines);
  sqlite3_free(zScript);
  /* Nothing was written by any of it. */
  h_assert_text(db, "SELECT count(*) FROM sqlite_schema", "0");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

/* Go from where db is to zTo, whichever way it lies. */
static void migrate_to(sqlite3 *db, const char *zTo) {
  char *zSql = sqlite3_mprintf("SELECT migrate_upgrade('%s')", zTo);
  sqlite3_stmt *pStmt = 0;
  sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0);
  int rc = sqlite3_step(pStmt);
  sqlite3_finalize(pStmt);
  sqlite3_free(zSql);
  if (rc != SQLITE_ROW) {
    zSql = sqlite3_mprintf("SELECT migrate_downgrade('%s')", zTo);
    sqlite3_free(h_text(db, zSql));
    sqlite3_free(zSql);
  }
}

/*
** A database of set zSet at point zAt, reached by real runs from base. With
** zSeedAt, rows are added on the way: at zSeedAt (at or below every point
** but base), by zSeed, so that every later step has data to carry.
*/
static sqlite3 *open_at(const char *zPath, const char *zSet, const char *zAt,
                        const char *zSeedAt, const char *zSeed) {
  sqlite3 *db = h_open(zPath, zSet);
  sqlite3_free(h_text(db, "SELECT migrate_stamp('base')"));
  if (strcmp(zAt, "base") == 0) return db;
  if (zSeedAt) {
    migrate_to(db, zSeedAt);
    h_exec(db, zSeed);
  }
  migrate_to(db, zAt);
  return db;
}

/*
** For every ordered pair of points of a set: the script migrate_sql(from,
** to) gives, applied by the plain sqlite3 shell to a database at from,
** leaves exactly what migrate_upgrade/migrate_downgrade leaves.
*/
static void offline_equals_live_with_rows(const char *zSet, const char *const *azPoint,
                                          int nPoint, const char *zSeedAt,
                                          const char *zSeed) {
  char *zScriptFile = h_path("script.sql");
  for (int i = 0; i < nPoint; i++) {
    for (int j = 0; j < nPoint; j++) {
      if (i == j) continue;
      char *zLiveDb = h_fresh("pair-live.db");
      sqlite3 *db = open_at(zLiveDb, zSet, azPoint[i], zSeedAt, zSeed);
      migrate_to(db, azPoint[j]);
      char *zLive = full_state(db);
      sqlite3_close(db);

      char *zDb = h_fresh("pair-script.db");
      db = open_at(zDb, zSet, azPoint[i], zSeedAt, zSeed);
      char *zSql = sqlite3_mprintf("SELECT migrate_sql('%s', '%s')", azPoint[i], azPoint[j]);
      char *zScript = h_text(db, zSql);
      sqlite3_free(zSql);
      /* From the database's own version: the same script. */
      zSql = sqlite3_mprintf("SELECT migrate_sql('%s')", azPoint[j]);
      char *zAgain = h_text(db, zSql);
      char *zWant = script_without_time(db, zScript);
      char *zGot = script_without_time(db, zAgain);
      assert_string_equal(zGot, zWant);
      sqlite3_free(zGot);
      sqlite3_free(zWant);
      sqlite3_free(zAgain);
      sqlite3_free(zSql);
      sqlite3_close(db);
      write_file(zScriptFile, zScript);
      char *zCmd = sqlite3_mprintf("sqlite3 -bail %s < %s", zDb, zScriptFile);
      run_shell(zCmd);
      sqlite3_free(zCmd);
      db = h_open(zDb, 0);
      h_assert_text(db, "PRAGMA integrity_check", "ok");
      char *zOffline = full_state(db);
      sqlite3_close(db);
      if (strcmp(zLive, zOffline) != 0) {
        /* The whole of each is long: the first line that differs. */
        const char *a = zOffline, *b = zLive;
        while (*a && *a == *b) a++, b++;
        while (a > zOffline && a[-1] != '\n') a--, b--;
        fail_msg("%s: %s -> %s: the script leaves\n  %.*s\nwhere the run leaves\n  %.*s\n"
                 "(the script is in %s; DM_KEEP_TMP=1 keeps it)",
                 zSet, azPoint[i], azPoint[j], (int)strcspn(a, "\n"), a,
                 (int)strcspn(b, "\n"), b, zScriptFile);
      }
      sqlite3_free(zScript);
      sqlite3_free(zLive);
      sqlite3_free(zOffline);
      sqlite3_free(zDb);
      sqlite3_free(zLiveDb);
    }
  }
  sqlite3_free(zScriptFile);
}

static void offline_equals_live(const char *zSet, const char *const *azPoint, int nPoint) {
  offline_equals_live_with_rows(zSet, azPoint, nPoint, 0, 0);
}

static void test_offline_sql_equals_the_run_for_every_pair(void **state) {
  (void)state;
  static const char *const azChain[] = {"base", "c1_items", "c2_audit_trigger",
                                        "c3_add_price", "c4_rebuild_items",
                                        "c5_item_names"};
  offline_equals_live("chain", azChain, 6);
  static const char *const azGraph[] = {"base", "g1_base", "g2a_left", "g2b_right",
                                        "g3_merge", "g4_after"};
  offline_equals_live("graph", azGraph, 6);
  static const char *const azShipped[] = {"base", "001_initial_schema",
                                          "002_add_invalid_responses"};
  offline_equals_live("", azShipped, 3);
}

/*
** Sets that call migrate_alter_table(), with rows: the script holds what
** the helper ran (ALTER TABLE, the writable_schema edit, the 12-step
** rebuild), and the shell, which has no such function, gets the same
** schema, version, rows, rowids, sqlite_sequence and ANALYZE's figures.
*/
static void test_offline_sql_equals_the_run_through_migrate_alter_table(void **state) {
  (void)state;
  offline_equals_live_with_rows("patterns", azPatterns, 6, "001_initial_schema",
                                zPatternsSeed);

  /* A full rebuild (CHECK added; a view, a trigger, an index and foreign
  ** keys of other tables on it), the AUTOINCREMENT table with its sequence
  ** above its largest id, a rowid table without an INTEGER PRIMARY KEY and
  ** gaps in its rowids, WITHOUT ROWID, a self-reference, the
  ** writable_schema edit, and ALTER TABLE's own forms. */
  static const char *const azBranch[] = {
      "b_rebuild", "b_autoinc", "b_affinity", "b_without_rowid", "b_self_ref",
      "b_widen", "b_layout", "b_unchanged", "b_rename", "b_drop", "b_add"};
  const char *zSeed =
      "INSERT INTO authors (id, name, email, note) VALUES (1, 'Ann', 'ann@x', 'n1'), "
      "(2, 'Bob', NULL, NULL), (3, 'Cy', 'cy@x', 'n3');"
      "INSERT INTO books (id, author_id, editor_id, title) VALUES (1, 1, 2, 'A'), "
      "(2, 3, NULL, 'B');"
      "INSERT INTO reviews (id, author_email) VALUES (1, 'ann@x');"
      "INSERT INTO staff (id, name, boss_id) VALUES (1, 'Boss', NULL), (2, 'Worker', 1);"
      "INSERT INTO tags (name, weight) VALUES ('a', 1), ('b', NULL);"
      "INSERT INTO events (what) VALUES ('one'), (NULL), ('three'), ('four');"
      "DELETE FROM events WHERE id >= 3;"
      "INSERT INTO plain (a, b, c) VALUES ('1', '2', '3'), ('4', '5', '6'), "
      "('7', '8', '9');"
      "DELETE FROM plain WHERE a = '1';"
      "ANALYZE;";
  for (size_t i = 0; i < sizeof(azBranch) / sizeof(azBranch[0]); i++) {
    const char *azPoint[] = {"base", "a0_base", azBranch[i]};
    /* From base once; each branch from a0_base and back. */
    offline_equals_live_with_rows("alter", i == 0 ? azPoint : azPoint + 1, i == 0 ? 3 : 2,
                                  "a0_base", zSeed);
  }
}

/*
** In defensive mode migrate_alter_table() may not edit sqlite_schema and
** rebuilds instead: a script made on a defensive connection does the same
** (the shell, not defensive, then does what the run did).
*/
static void test_offline_sql_follows_defensive_mode(void **state) {
  (void)state;
  const char *zSeed = "INSERT INTO authors (id, name, email) VALUES (1, 'Ann', 'a@x')";
  char *zLive = h_fresh("defensive-live.db");
  sqlite3 *db = open_at(zLive, "alter", "a0_base", "a0_base", zSeed);
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)0);
  char *zScript = h_text(db, "SELECT migrate_sql('b_widen')");
  h_assert_text(db, "SELECT migrate_upgrade('b_widen')", "b_widen");
  char *zWant = full_state(db);
  sqlite3_close(db);
  assert_null(strstr(zScript, "writable_schema"));
  assert_non_null(strstr(zScript, "INSERT OR ABORT INTO main.\"distmigrate_new_authors\""));

  char *zDb = h_fresh("defensive-script.db");
  db = open_at(zDb, "alter", "a0_base", "a0_base", zSeed);
  sqlite3_close(db);
  char *zFile = h_path("defensive.sql");
  write_file(zFile, zScript);
  char *zCmd = sqlite3_mprintf("sqlite3 -bail %s < %s", zDb, zFile);
  run_shell(zCmd);
  sqlite3_free(zCmd);
  db = h_open(zDb, 0);
  char *zGot = full_state(db);
  sqlite3_close(db);
  assert_string_equal(zGot, zWant);
  sqlite3_free(zGot);
  sqlite3_free(zWant);
  sqlite3_free(zFile);
  sqlite3_free(zScript);
  sqlite3_free(zDb);
  sqlite3_free(zLive);
}

/*
** A helper function that does its work with SQL of its own, as
** migrate_alter_table() does. The plain shell has no such function, so the
** script holds what it ran instead. test_helper() is added to every
** connection (sqlite3_auto_extension), so the replay databases have it too.
**
** test_helper(table): reads (not in the script), a probe in a savepoint
** that is rolled back (not in the script), writes (in the script, in
** order), an UPDATE that fires a trigger (the trigger is the UPDATE's
** business, not a statement of its own). test_helper(table, 'bound'): a
** write with a bound parameter, whose value SQLite does not show.
*/
static void test_helper(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  sqlite3 *db = sqlite3_context_db_handle(ctx);
  const char *zTable = (const char *)sqlite3_value_text(argv[0]);
  char *zSql = sqlite3_mprintf(
      "SELECT count(*) FROM \"%w\";"
      "SAVEPOINT probe; DROP TABLE \"%w\"; ROLLBACK TO probe; RELEASE probe;"
      "ALTER TABLE \"%w\" ADD COLUMN note TEXT;"
      "SELECT count(*) FROM pragma_table_info(%Q);"
      "CREATE INDEX idx_helper ON \"%w\" (note);"
      "UPDATE \"%w\" SET note = %Q;",
      zTable, zTable, zTable, zTable, zTable, zTable, "set by the helper");
  int rc = sqlite3_exec(db, zSql, 0, 0, 0);
  sqlite3_free(zSql);
  sqlite3_stmt *pStmt = 0;
  if (rc == SQLITE_OK && argc == 2) {
    rc = sqlite3_prepare_v2(db, "UPDATE items SET note = ?1", -1, &pStmt, 0);
    if (rc == SQLITE_OK) {
      sqlite3_bind_text(pStmt, 1, "bound", -1, SQLITE_STATIC);
      rc = sqlite3_step(pStmt) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    }
  }
  sqlite3_finalize(pStmt);
  if (rc) {
    sqlite3_result_error(ctx, sqlite3_errmsg(db), -1);
  } else {
    sqlite3_result_int(ctx, 1);
  }
}

static int add_test_helper(sqlite3 *db, char **pzErr, const void *pApi) {
  (void)pzErr;
  (void)pApi;
  return sqlite3_create_function(db, "test_helper", -1, SQLITE_UTF8, 0, test_helper, 0, 0);
}

static void test_offline_sql_expands_helper_calls(void **state) {
  (void)state;
  char *zDir = empty_dir("helper");
  write_migration(zDir, "h1_items", "",
                  "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);\n"
                  "CREATE TABLE item_log (item_id INTEGER, what TEXT);\n"
                  "CREATE TRIGGER items_noted AFTER UPDATE ON items BEGIN\n"
                  "  INSERT INTO item_log VALUES (new.id, 'noted');\n"
                  "END;\n"
                  "INSERT INTO items (name) VALUES ('a'), ('b');",
                  "DROP TABLE item_log;\nDROP TABLE items;");
  write_migration(zDir, "h2_helper", "h1_items",
                  "SELECT test_helper('items');\nSELECT count(*) FROM items;",
                  "DROP INDEX idx_helper;\nALTER TABLE items DROP COLUMN note;");
  write_migration(zDir, "h3_bound", "h2_helper",
                  "DROP INDEX idx_helper;\nALTER TABLE items DROP COLUMN note;\n"
                  "SELECT test_helper('items', 'bound');",
                  "SELECT 1;");
  char *zExt = build_set(zDir);
  sqlite3_auto_extension((void (*)(void))add_test_helper);

  char *zLive = h_fresh("helper-live.db");
  sqlite3 *db = open_with(zLive, zExt);
  h_assert_text(db, "SELECT migrate_upgrade('h1')", "h1_items");
  char *zScript = h_text(db, "SELECT migrate_sql('h2')");
  char *zMasked = script_without_time(db, zScript);
  h_assert_text(db, "SELECT migrate_upgrade('h2')", "h2_helper");
  char *zWant = full_state(db);
  /* A write with a bound parameter cannot be written down: no script. */
  h_assert_error(db, "SELECT migrate_sql('head')",
                 "migrate_sql(): upgrade h2_helper -> h3_bound: SELECT "
                 "test_helper('items', 'bound'); ran UPDATE items SET note = ?1 "
                 "with bound parameters, and SQLite shows no values of a "
                 "statement run inside another, so the script cannot hold it; a "
                 "function that migrations call should put its values in the SQL "
                 "text (sqlite3_mprintf's %Q)");
  sqlite3_close(db);
  const char *zExpanded =
      "-- Running upgrade h1_items -> h2_helper\n\n"
      "INSERT INTO distmigrate_log (revision, direction, from_version, "
      "to_version, checksum, started_at, duration_ms) VALUES ('h2_helper', "
      "'upgrade', 'h1_items', 'h2_helper', '";
  if (!strstr(zMasked, zExpanded)) fail_msg("no step in:\n%s", zMasked);
  zExpanded =
      "', '<written>', 0);\n\n"
      "-- SELECT test_helper('items'); runs:\n\n"
      "ALTER TABLE \"items\" ADD COLUMN note TEXT;\n\n"
      "CREATE INDEX idx_helper ON \"items\" (note);\n\n"
      "UPDATE \"items\" SET note = 'set by the helper';\n\n"
      "-- SELECT count(*) FROM items; changes nothing here\n\n"
      "UPDATE alembic_version SET version_num='h2_helper'";
  if (!strstr(zMasked, zExpanded)) fail_msg("no expansion in:\n%s", zMasked);
  sqlite3_free(zMasked);

  /* The shell, which has no test_helper(), applies it to the same end. */
  sqlite3_reset_auto_extension();
  char *zDb = h_fresh("helper-script.db");
  db = open_with(zDb, zExt);
  sqlite3_free(h_text(db, "SELECT migrate_upgrade('h1')"));
  sqlite3_close(db);
  char *zFile = h_path("helper.sql");
  write_file(zFile, zScript);
  char *zCmd = sqlite3_mprintf("sqlite3 -bail %s < %s", zDb, zFile);
  run_shell(zCmd);
  sqlite3_free(zCmd);
  db = h_open(zDb, 0);
  char *zGot = full_state(db);
  sqlite3_close(db);
  assert_string_equal(zGot, zWant);
  if (!strstr(zGot, "item_log: 1|1|noted; 2|2|noted;\n")) fail_msg("%s", zGot);
  sqlite3_free(zGot);
  sqlite3_free(zWant);
  sqlite3_free(zFile);
  sqlite3_free(zScript);
  sqlite3_free(zDb);
  sqlite3_free(zLive);
  sqlite3_free(zExt);
  sqlite3_free(zDir);
}

/*
** A statement-replicating engine (rqlite) runs the script on every node, at
** its own time: each node must end with the same rows, the log's included.
** The script, applied to two databases a moment apart, up and then down,
** leaves two identical dumps.
*/
static void test_offline_script_leaves_the_same_rows_wherever_it_runs(void **state) {
  (void)state;
  char *zA = h_fresh("node-a.db");
  char *zB = h_fresh("node-b.db");
  char *zFile = h_path("node.sql");
  const char *azTarget[] = {"head", "001_initial_schema"};
  for (int i = 0; i < 2; i++) {
    sqlite3 *db = h_open(zA, "patterns");
    char *zSql = sqlite3_mprintf("SELECT migrate_sql('%s')", azTarget[i]);
    char *zScript = h_text(db, zSql);
    sqlite3_close(db);
    write_file(zFile, zScript);
    char *zCmd = sqlite3_mprintf("sqlite3 -bail %s < %s && sleep 0.05 && "
                                 "sqlite3 -bail %s < %s && "
                                 "sqlite3 %s .dump > %s.dump && sqlite3 %s .dump > %s.dump && "
                                 "diff %s.dump %s.dump",
                                 zA, zFile, zB, zFile, zA, zA, zB, zB, zA, zB);
    run_shell(zCmd);
    sqlite3_free(zCmd);
    sqlite3_free(zScript);
    sqlite3_free(zSql);
  }
  sqlite3 *db = h_open(zB, 0);
  h_assert_text(db, "SELECT group_concat(direction || ' ' || revision || ' ' || duration_ms, "
                    "', ') FROM distmigrate_log",
                "upgrade 001_initial_schema 0.0, upgrade 002_add_invalid_responses 0.0, "
                "upgrade 003_add_new_field 0.0, upgrade 004_widen_category 0.0, "
                "upgrade 005_move_evaluations 0.0, downgrade 005_move_evaluations 0.0, "
                "downgrade 004_widen_category 0.0, downgrade 003_add_new_field 0.0, "
                "downgrade 002_add_invalid_responses 0.0");
  h_assert_text(db, "SELECT count(DISTINCT started_at) FROM distmigrate_log", "2");
  sqlite3_close(db);
  sqlite3_free(zFile);
  sqlite3_free(zB);
  sqlite3_free(zA);
}

static void test_offline_sql_errors(void **state) {
  (void)state;
  char *zDb = h_fresh("offline-bad.db");
  sqlite3 *db = h_open(zDb, "");
  sqlite3_free(h_text(db, "SELECT migrate_upgrade('head')"));
  sqlite3_close(db);
  HFile before = h_file(zDb);
  db = h_open(zDb, "");
  h_assert_error(db, "SELECT migrate_sql('zzz')", "Can't locate revision identified by 'zzz'");
  h_assert_error(db, "SELECT migrate_sql('zzz', 'head')",
                 "Can't locate revision identified by 'zzz'");
  h_assert_error(db, "SELECT migrate_sql(2)",
                 "migrate_sql(): give revisions as text, as in migrate_sql('head') "
                 "or migrate_sql('base', 'head')");
  h_assert_error(db, "SELECT migrate_sql()",
                 "wrong number of arguments (0): use migrate_sql('head') or "
                 "migrate_sql('base', 'head')");
  h_assert_error(db, "SELECT migrate_sql('-3')",
                 "Relative revision -3 didn't produce 3 migrations: the database "
                 "(at 002_add_invalid_responses) is only 2 steps above base");
  /* At the target: a script that does nothing but say so. */
  h_assert_text(db, "SELECT migrate_sql('head')",
                "-- distmigrate offline script: upgrade 002_add_invalid_responses "
                "-> 002_add_invalid_responses\n"
                "-- Apply with: sqlite3 -bail DATABASE < FILE (-bail stops at the "
                "first error; the open transaction is then rolled back)\n\n"
                "PRAGMA foreign_keys = OFF;\n\nBEGIN;\n\nCOMMIT;\n");
  sqlite3_close(db);
  h_assert_file_unchanged(zDb, before);
  free(before.a);
  sqlite3_free(zDb);

  db = h_open(":memory:", "failing");
  h_assert_error(db, "SELECT migrate_sql('head')",
                 "migrate_sql(): the migrations fail when replayed into an "
                 "in-memory database, so there is no script to give: upgrade "
                 "f1_ok -> f2_breaks failed: no such table: missing_table\n"
                 "  at tests/fixtures/failing/f2_breaks.sql:11: INSERT INTO "
                 "missing_table (x) VALUES (1);\n"
                 "  the run was rolled back: the database is still at base");
  sqlite3_close(db);
}

/* ---- rehearsal ------------------------------------------------------------- */

static void test_rehearsal_changes_nothing_and_reports_what_a_run_does(void **state) {
  (void)state;
  static const char *const azMode[] = {"DELETE", "WAL"};
  for (size_t m = 0; m < sizeof(azMode) / sizeof(azMode[0]); m++) {
    char *zDb = h_fresh("rehearse.db");
    sqlite3 *db = h_open(zDb, "chain");
    char *zMode = sqlite3_mprintf("PRAGMA journal_mode = %s", azMode[m]);
    sqlite3_free(h_text(db, zMode));
    sqlite3_free(zMode);
    sqlite3_free(h_text(db, "SELECT migrate_upgrade('c1')"));
    sqlite3_close(db);
    HFile before = h_file(zDb);

    db = h_open(zDb, "chain");
    char *zReport = h_text(db, "SELECT migrate_upgrade('head', 'rehearse')");
    assert_masked(zReport,
                  "rehearsal, rolled back: the database is unchanged\n"
                  "upgrade c1_items -> c2_audit_trigger: 3 statements, 3 rows "
                  "changed, 0 foreign key violations, # ms\n"
                  "upgrade c2_audit_trigger -> c3_add_price: 2 statements, 3 rows "
                  "changed, 0 foreign key violations, # ms\n"
                  "upgrade c3_add_price -> c4_rebuild_items: 6 statements, 3 rows "
                  "changed, 0 foreign key violations, # ms\n"
                  "upgrade c4_rebuild_items -> c5_item_names: 1 statement, 0 rows "
                  "changed, 0 foreign key violations, # ms\n"
                  "a real run would leave the database at c5_item_names");
    h_assert_text(db, "SELECT migrate_current()", "c1_items");
    h_assert_text(db, "SELECT count(*) FROM distmigrate_log", "1");
    h_assert_text(db, "SELECT count(*) FROM items", "2");
    assert_int_equal(sqlite3_get_autocommit(db), 1);
    sqlite3_close(db);
    h_assert_file_unchanged(zDb, before);
    free(before.a);

    /* The real run takes the same steps. */
    db = h_open(zDb, "chain");
    h_assert_text(db, "SELECT migrate_upgrade('head')", "c5_item_names");
    sqlite3_str *pSteps = sqlite3_str_new(0);
    for (char *z = strchr(zReport, '\n'); z && strncmp(z + 1, "upgrade", 7) == 0;
         z = strchr(z + 1, '\n')) {
      sqlite3_str_appendf(pSteps, "%.*s;", (int)(strchr(z + 1, ':') - z - 1), z + 1);
    }
    char *zSteps = sqlite3_str_finish(pSteps);
    h_assert_text(db,
                  "SELECT group_concat(direction || ' ' || from_version || ' -> ' "
                  "|| to_version || ';', '') FROM (SELECT * FROM distmigrate_log "
                  "WHERE id > 1 ORDER BY id)",
                  zSteps);
    sqlite3_free(zSteps);
    sqlite3_free(zReport);
    sqlite3_close(db);
    sqlite3_free(zDb);
  }
}

/*
** The report's step titles ("upgrade a -> b;" each) and the same from the
** log rows after id iAfter.
*/
static char *report_steps(const char *zReport) {
  sqlite3_str *pSteps = sqlite3_str_new(0);
  for (const char *z = strchr(zReport, '\n'); z && (strncmp(z + 1, "upgrade", 7) == 0 ||
                                                    strncmp(z + 1, "downgrade", 9) == 0);
       z = strchr(z + 1, '\n')) {
    sqlite3_str_appendf(pSteps, "%.*s;", (int)(strchr(z + 1, ':') - z - 1), z + 1);
  }
  return sqlite3_str_finish(pSteps);
}

static void assert_log_steps(sqlite3 *db, int iAfter, const char *zSteps) {
  char *zSql = sqlite3_mprintf(
      "SELECT group_concat(direction || ' ' || coalesce(from_version, '<base>') || "
      "' -> ' || coalesce(to_version, '<base>') || ';', '') FROM (SELECT * FROM "
      "distmigrate_log WHERE id > %d ORDER BY id)",
      iAfter);
  h_assert_text(db, zSql, zSteps);
  sqlite3_free(zSql);
}

/*
** A rehearsal on the patterns set with rows, both ways: the helper's
** ALTER TABLE, its writable_schema edit and its rebuild all run on the real
** data and are rolled back; the file is byte for byte what it was; the
** real run then takes the steps the rehearsal reported, which are the
** steps migration_plan lists.
*/
static void test_rehearsal_and_plan_on_a_set_that_alters_tables(void **state) {
  (void)state;
  char *zDb = h_fresh("rehearse-patterns.db");
  sqlite3 *db = patterns_db(zDb);
  sqlite3_close(db);
  static const struct {
    const char *zRehearse, *zPlan, *zRun, *zAfter, *zReport;
  } aCase[] = {
      {"SELECT migrate_upgrade('head', 'rehearse')", "migration_plan('head')",
       "SELECT migrate_upgrade('head')", "005_move_evaluations",
       "rehearsal, rolled back: the database is unchanged\n"
       "upgrade 001_initial_schema -> 002_add_invalid_responses: 4 statements, 0 rows "
       "changed, 0 foreign key violations, # ms\n"
       "upgrade 002_add_invalid_responses -> 003_add_new_field: 1 statement, 1 row "
       "changed, 0 foreign key violations, # ms\n"
       "upgrade 003_add_new_field -> 004_widen_category: 1 statement, 1 row changed, "
       "0 foreign key violations, # ms\n"
       "upgrade 004_widen_category -> 005_move_evaluations: 4 statements, 3 rows "
       "changed, 0 foreign key violations, # ms\n"
       "a real run would leave the database at 005_move_evaluations"},
      {"SELECT migrate_downgrade('001', 'rehearse')", "migration_plan('001')",
       "SELECT migrate_downgrade('001')", "001_initial_schema",
       "rehearsal, rolled back: the database is unchanged\n"
       /* The rebuild: 4 rows copied, 4 sqlite_stat1 rows moved to the copy
       ** and back, the text in sqlite_schema put back as written. */
       "downgrade 005_move_evaluations -> 004_widen_category: 3 statements, 13 rows "
       "changed, 0 foreign key violations, # ms\n"
       "downgrade 004_widen_category -> 003_add_new_field: 1 statement, 1 row changed, "
       "0 foreign key violations, # ms\n"
       "downgrade 003_add_new_field -> 002_add_invalid_responses: 1 statement, 0 rows "
       "changed, 0 foreign key violations, # ms\n"
       "downgrade 002_add_invalid_responses -> 001_initial_schema: 1 statement, 0 rows "
       "changed, 0 foreign key violations, # ms\n"
       "a real run would leave the database at 001_initial_schema"},
  };
  for (size_t i = 0; i < sizeof(aCase) / sizeof(aCase[0]); i++) {
    HFile before = h_file(zDb);
    db = h_open(zDb, "patterns");
    char *zState = full_state(db);
    char *zReport = h_text(db, aCase[i].zRehearse);
    assert_masked(zReport, aCase[i].zReport);
    char *zAfter = full_state(db);
    assert_string_equal(zAfter, zState);
    sqlite3_free(zAfter);
    h_assert_text(db, "SELECT migrate_check()", "ok");
    sqlite3_close(db);
    h_assert_file_unchanged(zDb, before);
    free(before.a);

    db = h_open(zDb, "patterns");
    char *zSteps = report_steps(zReport);
    char *zSql = sqlite3_mprintf(
        "SELECT group_concat(direction || ' ' || coalesce(from_version, '<base>') || "
        "' -> ' || coalesce(to_version, '<base>') || ';', '') FROM %s",
        aCase[i].zPlan);
    h_assert_text(db, zSql, zSteps);
    sqlite3_free(zSql);
    char *zLast = h_text(db, "SELECT max(id) FROM distmigrate_log");
    h_assert_text(db, aCase[i].zRun, aCase[i].zAfter);
    assert_log_steps(db, atoi(zLast), zSteps);
    h_assert_text(db, "SELECT migrate_check()", "ok");
    h_assert_text(db, "PRAGMA integrity_check", "ok");
    sqlite3_free(zLast);
    sqlite3_free(zSteps);
    sqlite3_free(zReport);
    sqlite3_free(zState);
    sqlite3_close(db);
  }
  /* Down and up again: the rows came back through the mapping. */
  db = h_open(zDb, "patterns");
  h_assert_text(db, "SELECT group_concat(id || ':' || coalesce(is_correct, 'NULL')) FROM "
                    "(SELECT * FROM responses ORDER BY id)",
                "1:1,2:0,3:NULL,7:1");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

static void test_rehearsal_inside_a_transaction_keeps_the_callers_work(void **state) {
  (void)state;
  char *zDb = h_fresh("rehearse-txn.db");
  sqlite3 *db = h_open(zDb, "");
  h_exec(db, "BEGIN; CREATE TABLE mine (x); INSERT INTO mine VALUES (42);");
  char *zReport = h_text(db, "SELECT migrate_downgrade('base', 'rehearse')");
  assert_masked(zReport,
                "rehearsal, rolled back: the database is unchanged\n"
                "a real run would leave the database at base");
  sqlite3_free(zReport);
  zReport = h_text(db, "SELECT migrate_upgrade('+1', 'rehearse')");
  assert_masked(zReport,
                "rehearsal, rolled back: the database is unchanged\n"
                "upgrade <base> -> 001_initial_schema: 10 statements, 0 rows "
                "changed, 0 foreign key violations, # ms\n"
                "a real run would leave the database at 001_initial_schema");
  sqlite3_free(zReport);
  assert_int_equal(sqlite3_get_autocommit(db), 0);
  h_assert_text(db, "SELECT x FROM mine", "42");
  h_assert_text(db, "SELECT group_concat(name) FROM sqlite_schema", "mine");
  h_assert_error(db, "RELEASE distmigrate", "no such savepoint: distmigrate");
  h_exec(db, "COMMIT");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

static void test_rehearsal_of_a_failing_run(void **state) {
  (void)state;
  char *zDb = h_fresh("rehearse-fail.db");
  sqlite3 *db = h_open(zDb, "failing");
  h_exec(db, "CREATE TABLE mine (x)");
  sqlite3_close(db);
  HFile before = h_file(zDb);
  db = h_open(zDb, "failing");
  char *zErr = h_error(db, "SELECT migrate_upgrade('head', 'rehearse')", 0);
  assert_masked(zErr,
                "rehearsal, rolled back: the database is unchanged\n"
                "upgrade <base> -> f1_ok: 2 statements, 3 rows changed, 0 foreign "
                "key violations, # ms\n"
                "upgrade f1_ok -> f2_breaks: failed after 3 statements, # ms\n"
                "a real run would fail: upgrade f1_ok -> f2_breaks failed: no "
                "such table: missing_table\n"
                "  at tests/fixtures/failing/f2_breaks.sql:11: INSERT INTO "
                "missing_table (x) VALUES (1);\n"
                "  the run was rolled back: the database is still at base");
  sqlite3_free(zErr);
  /* Errors before any step are the plain errors. */
  h_assert_error(db, "SELECT migrate_upgrade('zzz', 'rehearse')",
                 "Can't locate revision identified by 'zzz'");
  sqlite3_close(db);
  h_assert_file_unchanged(zDb, before);
  free(before.a);
  sqlite3_free(zDb);
}

/* A set with foreign keys whose second step leaves an orphan. */
static char *orphans_set(void) {
  char *zDir = empty_dir("orphans");
  write_migration(zDir, "o1_parents", "",
                  "CREATE TABLE parent (id INTEGER PRIMARY KEY);\n"
                  "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER "
                  "REFERENCES parent (id));\n"
                  "INSERT INTO parent VALUES (1), (2);\n"
                  "INSERT INTO child VALUES (1, 1), (2, 2);",
                  "DROP TABLE child;\nDROP TABLE parent;");
  write_migration(zDir, "o2_orphan", "o1_parents", "DELETE FROM parent WHERE id = 2;",
                  "INSERT INTO parent VALUES (2);");
  char *zExt = build_set(zDir);
  sqlite3_free(zDir);
  return zExt;
}

static void test_rehearsal_counts_foreign_key_violations(void **state) {
  (void)state;
  char *zExt = orphans_set();
  char *zDb = h_fresh("rehearse-fk.db");
  sqlite3 *db = open_with(zDb, zExt);
  const char *zSteps =
      "rehearsal, rolled back: the database is unchanged\n"
      "upgrade <base> -> o1_parents: 4 statements, 4 rows changed, 0 foreign "
      "key violations, # ms\n"
      "upgrade o1_parents -> o2_orphan: 1 statement, 1 row changed, 1 foreign "
      "key violation, # ms\n";
  /* Enforcement off: the run would succeed, leaving the orphan. */
  char *zReport = h_text(db, "SELECT migrate_upgrade('head', 'rehearse')");
  char *zWant = sqlite3_mprintf("%sa real run would leave the database at o2_orphan", zSteps);
  assert_masked(zReport, zWant);
  sqlite3_free(zWant);
  sqlite3_free(zReport);
  /* Enforcement on: the run would fail, and says so as the run does. */
  h_exec(db, "PRAGMA foreign_keys = ON");
  char *zErr = h_error(db, "SELECT migrate_upgrade('head', 'rehearse')", 0);
  char *zReal = h_error(db, "SELECT migrate_upgrade('head')", 0);
  zWant = sqlite3_mprintf("%sa real run would fail: %s", zSteps, zReal);
  assert_masked(zErr, zWant);
  assert_non_null(strstr(zReal, "foreign key violation"));
  h_assert_text(db, "SELECT count(*) FROM sqlite_schema", "0");
  sqlite3_free(zWant);
  sqlite3_free(zErr);
  sqlite3_free(zReal);
  sqlite3_close(db);
  sqlite3_free(zDb);
  sqlite3_free(zExt);
}

/* Many orphans: the first ten are listed, then "...", and the count is all. */
static void test_foreign_key_violations_listed_up_to_ten(void **state) {
  (void)state;
  char *zDir = empty_dir("many-orphans");
  write_migration(zDir, "m1_parents", "",
                  "CREATE TABLE parent (id INTEGER PRIMARY KEY);\n"
                  "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER "
                  "REFERENCES parent (id));\n"
                  "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12)\n"
                  "INSERT INTO parent SELECT i FROM n;\n"
                  "INSERT INTO child SELECT id, id FROM parent;",
                  "DROP TABLE child;\nDROP TABLE parent;");
  write_migration(zDir, "m2_orphans", "m1_parents", "DELETE FROM parent;",
                  "INSERT INTO parent SELECT parent_id FROM child;");
  char *zExt = build_set(zDir);
  char *zDb = h_fresh("many-orphans.db");
  sqlite3 *db = open_with(zDb, zExt);
  h_assert_text(db, "SELECT migrate_upgrade('m1_parents')", "m1_parents");
  h_exec(db, "PRAGMA foreign_keys = ON");
  sqlite3_str *pWant = sqlite3_str_new(0);
  sqlite3_str_appendall(pWant, "PRAGMA foreign_key_check found 12 foreign key violations "
                               "after the migrations ran:");
  for (int i = 1; i <= 10; i++) {
    sqlite3_str_appendf(pWant, "\n  child row %d references parent, which has no such row", i);
  }
  sqlite3_str_appendall(pWant, "\n  ...\n  the run was rolled back: the database is still at "
                               "m1_parents");
  char *zWant = sqlite3_str_finish(pWant);
  h_assert_error(db, "SELECT migrate_upgrade('head')", zWant);
  h_assert_text(db, "SELECT count(*) FROM parent", "12");
  sqlite3_free(zWant);
  sqlite3_close(db);
  sqlite3_free(zDb);
  sqlite3_free(zExt);
  sqlite3_free(zDir);
}

static void test_run_option_errors(void **state) {
  (void)state;
  sqlite3 *db = h_open(":memory:", "");
  h_assert_error(db, "SELECT migrate_upgrade('head', 'x')",
                 "migrate_upgrade(target, option): unknown option 'x'; the "
                 "options are 'rehearse', and 'backup' followed by a file name");
  h_assert_error(db, "SELECT migrate_downgrade(-1, NULL)",
                 "migrate_downgrade(target, option): unknown option 'NULL'; the "
                 "options are 'rehearse', and 'backup' followed by a file name");
  h_assert_error(db, "SELECT migrate_upgrade('head', 'rehearse', 'x')",
                 "migrate_upgrade(target, 'rehearse') takes no further argument");
  h_assert_error(db, "SELECT migrate_upgrade('head', 'backup')",
                 "migrate_upgrade(target, 'backup', file): give the backup file "
                 "as the third argument, as in migrate_upgrade('head', 'backup', "
                 "'backup.db')");
  h_assert_error(db, "SELECT migrate_upgrade('head', 'a', 'b', 'c')",
                 "wrong number of arguments (4): use migrate_upgrade('head')");
  h_assert_text(db, "SELECT count(*) FROM sqlite_schema", "0");
  sqlite3_close(db);
}

/* ---- backup and restore ---------------------------------------------------- */

static void test_backup_copies_and_never_overwrites_unasked(void **state) {
  (void)state;
  char *zDb = h_fresh("source.db");
  char *zCopy = h_fresh("copy.db");
  sqlite3 *db = h_open(zDb, "");
  sqlite3_free(h_text(db, "SELECT migrate_upgrade('head')"));
  h_exec(db,
         "INSERT INTO questions (id, category, question_text, created_at, "
         "updated_at) VALUES (1, 'math', 'What is 2+2?', 'now', 'now')");
  char *zSql = sqlite3_mprintf("SELECT migrate_backup('%q')", zCopy);
  h_assert_text(db, zSql, zCopy);
  sqlite3 *pCopy = h_open(zCopy, 0);
  h_assert_text(pCopy, "PRAGMA integrity_check", "ok");
  h_assert_text(pCopy, "SELECT question_text FROM questions", "What is 2+2?");
  h_assert_text(pCopy, "SELECT version_num FROM alembic_version", zHead);
  char *zSchema = h_schema(db);
  char *zCopySchema = h_schema(pCopy);
  assert_string_equal(zSchema, zCopySchema);
  sqlite3_free(zSchema);
  sqlite3_free(zCopySchema);
  sqlite3_close(pCopy);

  /* Again: refused, the copy untouched. */
  HFile before = h_file(zCopy);
  char *zWant = sqlite3_mprintf(
      "migrate_backup('%s'): %s already exists; choose a new name, or replace "
      "it with migrate_backup('%s', 'overwrite')",
      zCopy, zCopy, zCopy);
  h_assert_error(db, zSql, zWant);
  sqlite3_free(zWant);
  h_assert_file_unchanged(zCopy, before);
  free(before.a);
  /* Asked to: replaced. */
  h_exec(db, "DELETE FROM questions");
  sqlite3_free(zSql);
  zSql = sqlite3_mprintf("SELECT migrate_backup('%q', 'overwrite')", zCopy);
  h_assert_text(db, zSql, zCopy);
  pCopy = h_open(zCopy, 0);
  h_assert_text(pCopy, "SELECT count(*) FROM questions", "0");
  sqlite3_close(pCopy);
  sqlite3_free(zSql);

  /* Not onto the database itself, not into a directory that is missing,
  ** not onto a file that is no database. */
  zSql = sqlite3_mprintf("SELECT migrate_backup('%q', 'overwrite')", zDb);
  zWant = sqlite3_mprintf(
      "migrate_backup('%s'): that is the database itself; back up to another file", zDb);
  h_assert_error(db, zSql, zWant);
  sqlite3_free(zSql);
  sqlite3_free(zWant);
  char *zMissing = h_path("no/such/dir.db");
  zSql = sqlite3_mprintf("SELECT migrate_backup('%q')", zMissing);
  zWant = sqlite3_mprintf("migrate_backup('%s'): cannot create %s: No such file or directory",
                          zMissing, zMissing);
  h_assert_error(db, zSql, zWant);
  sqlite3_free(zSql);
  sqlite3_free(zWant);
  sqlite3_free(zMissing);
  char *zText = h_path("notes.txt");
  write_file(zText, "not a database, but someone's notes\n");
  zSql = sqlite3_mprintf("SELECT migrate_backup('%q', 'overwrite')", zText);
  zWant = sqlite3_mprintf(
      "migrate_backup('%s', 'overwrite'): %s exists and is not a database, so "
      "it was left alone; remove it first",
      zText, zText);
  h_assert_error(db, zSql, zWant);
  sqlite3_free(zSql);
  sqlite3_free(zWant);
  char *zNotes = read_text(zText);
  assert_string_equal(zNotes, "not a database, but someone's notes\n");
  sqlite3_free(zNotes);
  sqlite3_free(zText);
  h_assert_error(db, "SELECT migrate_backup('')",
                 "migrate_backup(): give the file to write, as in "
                 "migrate_backup('backup.db')");
  h_assert_error(db, "SELECT migrate_backup('x.db', 'force')",
                 "migrate_backup(path, option): the only option is 'overwrite', "
                 "which replaces an existing file");
  sqlite3_close(db);
  sqlite3_free(zCopy);
  sqlite3_free(zDb);
}

/* A writer that inserts two rows per transaction until told to stop. */
typedef struct Writer Writer;
struct Writer {
  const char *zDb;
  int bStop;          /* __atomic */
  int nCommit;        /* __atomic */
  char zErr[300];
};

static void *writer_main(void *pArg) {
  Writer *p = pArg;
  sqlite3 *db = 0;
  sqlite3_open(p->zDb, &db);
  sqlite3_busy_timeout(db, 20000);
  while (!__atomic_load_n(&p->bStop, __ATOMIC_SEQ_CST)) {
    char *zErr = 0;
    int rc = sqlite3_exec(
        db,
        "BEGIN IMMEDIATE;"
        "INSERT INTO t (v) SELECT coalesce((SELECT group_concat(version_num) "
        "FROM alembic_version), 'base');"
        "INSERT INTO t (v) SELECT coalesce((SELECT group_concat(version_num) "
        "FROM alembic_version), 'base');"
        "COMMIT;",
        0, 0, &zErr);
    if (rc) {
      snprintf(p->zErr, sizeof(p->zErr), "writer: %s", zErr ? zErr : "?");
      sqlite3_free(zErr);
      sqlite3_exec(db, "ROLLBACK", 0, 0, 0);
      break;
    }
    __atomic_add_fetch(&p->nCommit, 1, __ATOMIC_SEQ_CST);
    sqlite3_sleep(1);
  }
  sqlite3_close(db);
  return 0;
}

static void writer_wait(Writer *p, int nMore) {
  int nWant = __atomic_load_n(&p->nCommit, __ATOMIC_SEQ_CST) + nMore;
  while (__atomic_load_n(&p->nCommit, __ATOMIC_SEQ_CST) < nWant && !p->zErr[0]) {
    sqlite3_sleep(1);
  }
}

static void test_backup_with_a_concurrent_writer_in_both_journal_modes(void **state) {
  (void)state;
  static const char *const azMode[] = {"DELETE", "WAL"};
  for (size_t m = 0; m < sizeof(azMode) / sizeof(azMode[0]); m++) {
    char *zDb = h_fresh("busy-source.db");
    sqlite3 *db = h_open(zDb, "");
    char *zSql = sqlite3_mprintf("PRAGMA journal_mode = %s", azMode[m]);
    sqlite3_free(h_text(db, zSql));
    sqlite3_free(zSql);
    h_exec(db, "PRAGMA busy_timeout = 20000");
    sqlite3_free(h_text(db, "SELECT migrate_upgrade('head')"));
    h_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
               "INSERT INTO t (v) SELECT 'seed' FROM json_each('[1,2,3,4]');");

    /* A writer in the middle of a transaction: the copy has what is
    ** committed, not what it is writing. */
    sqlite3 *pWriter = h_open(zDb, 0);
    h_exec(pWriter, "BEGIN IMMEDIATE; INSERT INTO t (v) VALUES ('uncommitted');");
    char *zCopy = h_fresh("busy-copy.db");
    zSql = sqlite3_mprintf("SELECT migrate_backup('%q')", zCopy);
    h_assert_text(db, zSql, zCopy);
    sqlite3_free(zSql);
    h_exec(pWriter, "COMMIT");
    sqlite3_close(pWriter);
    /* Read back and closed: no journal left beside it. */
    char *zCopyWal = sqlite3_mprintf("%s-wal", zCopy);
    assert_int_equal(access(zCopyWal, F_OK), -1);
    sqlite3_free(zCopyWal);
    sqlite3 *pCopy = h_open(zCopy, 0);
    h_assert_text(pCopy, "SELECT count(*) FROM t", "4");
    h_assert_text(pCopy, "PRAGMA journal_mode", strcmp(azMode[m], "WAL") == 0 ? "wal" : "delete");
    sqlite3_close(pCopy);
    h_assert_text(db, "SELECT count(*) FROM t", "5");

    /* A writer committing all the time: every copy is whole. */
    Writer w;
    memset(&w, 0, sizeof(w));
    w.zDb = zDb;
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, 0, writer_main, &w), 0);
    for (int i = 0; i < 5; i++) {
      writer_wait(&w, 3);
      zSql = sqlite3_mprintf("SELECT migrate_backup('%q', 'overwrite')", zCopy);
      h_assert_text(db, zSql, zCopy);
      sqlite3_free(zSql);
      pCopy = h_open(zCopy, 0);
      h_assert_text(pCopy, "PRAGMA integrity_check", "ok");
      /* 5 rows before the writer, then two per transaction. */
      h_assert_text(pCopy, "SELECT (count(*) - 5) % 2 FROM t", "0");
      sqlite3_close(pCopy);
    }
    __atomic_store_n(&w.bStop, 1, __ATOMIC_SEQ_CST);
    pthread_join(thread, 0);
    if (w.zErr[0]) fail_msg("%s", w.zErr);
    assert_true(w.nCommit >= 15);
    sqlite3_close(db);
    sqlite3_free(zCopy);
    sqlite3_free(zDb);
  }
}

/*
** Backup-then-migrate: no writer gets in between. A writer tags each row
** with the version it saw; every row tagged with the old version must be
** in the backup (none was written after the copy but before the upgrade),
** and none tagged with the new one.
*/
static void test_backup_then_migrate_leaves_no_window(void **state) {
  (void)state;
  static const char *const azMode[] = {"DELETE", "WAL"};
  for (size_t m = 0; m < sizeof(azMode) / sizeof(azMode[0]); m++) {
    char *zDb = h_fresh("window.db");
    char *zCopy = h_fresh("window-copy.db");
    sqlite3 *db = h_open(zDb, "");
    char *zSql = sqlite3_mprintf("PRAGMA journal_mode = %s", azMode[m]);
    sqlite3_free(h_text(db, zSql));
    sqlite3_free(zSql);
    h_exec(db, "PRAGMA busy_timeout = 20000");
    sqlite3_free(h_text(db, "SELECT migrate_upgrade('001')"));
    h_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
    Writer w;
    memset(&w, 0, sizeof(w));
    w.zDb = zDb;
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, 0, writer_main, &w), 0);
    writer_wait(&w, 5);
    zSql = sqlite3_mprintf("SELECT migrate_upgrade('head', 'backup', '%q')", zCopy);
    h_assert_text(db, zSql, zHead);
    sqlite3_free(zSql);
    writer_wait(&w, 5);
    __atomic_store_n(&w.bStop, 1, __ATOMIC_SEQ_CST);
    pthread_join(thread, 0);
    if (w.zErr[0]) fail_msg("%s", w.zErr);

    sqlite3 *pCopy = h_open(zCopy, 0);
    h_assert_text(pCopy, "PRAGMA integrity_check", "ok");
    h_assert_text(pCopy, "SELECT group_concat(version_num) FROM alembic_version",
                  "001_initial_schema");
    h_assert_text(pCopy, "SELECT count(*) FROM t WHERE v <> '001_initial_schema'", "0");
    char *zOld = h_text(pCopy, "SELECT count(*) FROM t");
    sqlite3_close(pCopy);
    h_assert_text(db, "SELECT count(*) FROM t WHERE v = '001_initial_schema'", zOld);
    h_assert_text(db, "SELECT count(*) > 0 FROM t WHERE v = '002_add_invalid_responses'", "1");
    sqlite3_free(zOld);

    /* The documented pair does the same, holding the lock across both. */
    sqlite3_free(h_text(db, "SELECT migrate_downgrade(-1)"));
    char *zPair = h_fresh("pair-copy.db");
    h_exec(db, "BEGIN IMMEDIATE");
    zSql = sqlite3_mprintf("SELECT migrate_backup('%q')", zPair);
    h_assert_text(db, zSql, zPair);
    sqlite3_free(zSql);
    sqlite3 *pOther = h_open(zDb, 0);
    h_assert_error(pOther, "INSERT INTO t (v) VALUES ('sneaky')", "database is locked");
    sqlite3_close(pOther);
    h_assert_text(db, "SELECT migrate_upgrade('head')", zHead);
    h_exec(db, "COMMIT");
    pCopy = h_open(zPair, 0);
    h_assert_text(pCopy, "SELECT group_concat(version_num) FROM alembic_version",
                  "001_initial_schema");
    sqlite3_close(pCopy);

    /* No backup, no run: the file exists already. */
    zSql = sqlite3_mprintf("SELECT migrate_downgrade(-1, 'backup', '%q')", zCopy);
    char *zWant = sqlite3_mprintf(
        "migrate_downgrade(): no backup, so nothing was run: migrate_backup('%s'): "
        "%s already exists; choose a new name, or replace it with "
        "migrate_backup('%s', 'overwrite')",
        zCopy, zCopy, zCopy);
    h_assert_error(db, zSql, zWant);
    h_assert_text(db, "SELECT migrate_current()", zHead);
    sqlite3_free(zWant);
    sqlite3_free(zSql);
    sqlite3_close(db);
    sqlite3_free(zPair);
    sqlite3_free(zCopy);
    sqlite3_free(zDb);
  }
}

static void test_backup_of_an_in_memory_database(void **state) {
  (void)state;
  sqlite3 *db = h_open(":memory:", "");
  sqlite3_free(h_text(db, "SELECT migrate_upgrade('head')"));
  char *zCopy = h_fresh("memory-copy.db");
  char *zSql = sqlite3_mprintf("SELECT migrate_backup('%q')", zCopy);
  h_assert_text(db, zSql, zCopy);
  sqlite3_free(zSql);
  char *zOther = h_fresh("memory-copy2.db");
  zSql = sqlite3_mprintf("SELECT migrate_upgrade('head', 'backup', '%q')", zOther);
  char *zWant = sqlite3_mprintf(
      "migrate_upgrade(): no backup, so nothing was run: migrate_backup('%s'): "
      "the database has no file of its own (it is ':memory:' or temporary), so "
      "while this connection holds a write transaction there is nothing to copy "
      "the committed state from; run SELECT migrate_backup('%s') first, on its "
      "own, outside any transaction",
      zOther, zOther);
  h_assert_error(db, zSql, zWant);
  assert_int_equal(access(zOther, F_OK), -1);
  sqlite3_free(zWant);
  sqlite3_free(zSql);
  /* The caller's own write transaction: the same, without the prefix. */
  h_exec(db, "BEGIN IMMEDIATE");
  zSql = sqlite3_mprintf("SELECT migrate_backup('%q')", zOther);
  zWant = sqlite3_mprintf(
      "migrate_backup('%s'): the database has no file of its own (it is "
      "':memory:' or temporary), so while this connection holds a write "
      "transaction there is nothing to copy the committed state from; run "
      "SELECT migrate_backup('%s') first, on its own, outside any transaction",
      zOther, zOther);
  h_assert_error(db, zSql, zWant);
  assert_int_equal(access(zOther, F_OK), -1);
  /* Doing what it says works. */
  h_exec(db, "ROLLBACK");
  h_assert_text(db, zSql, zOther);
  sqlite3_free(zWant);
  sqlite3_free(zSql);
  sqlite3_close(db);
  db = h_open(zCopy, 0);
  h_assert_text(db, "SELECT version_num FROM alembic_version", zHead);
  sqlite3_close(db);
  db = h_open(zOther, 0);
  h_assert_text(db, "SELECT version_num FROM alembic_version", zHead);
  sqlite3_close(db);
  /* A database with nothing in it has no pages; its copy has one, empty. */
  db = h_open(":memory:", "");
  char *zEmpty = h_fresh("memory-empty.db");
  zSql = sqlite3_mprintf("SELECT migrate_backup('%q')", zEmpty);
  h_assert_text(db, zSql, zEmpty);
  sqlite3_free(zSql);
  sqlite3_close(db);
  db = h_open(zEmpty, 0);
  h_assert_text(db, "SELECT count(*) FROM sqlite_schema", "0");
  h_assert_text(db, "PRAGMA quick_check", "ok");
  sqlite3_close(db);
  sqlite3_free(zEmpty);
  sqlite3_free(zOther);
  sqlite3_free(zCopy);
}

static void test_restore_brings_the_backup_back(void **state) {
  (void)state;
  static const char *const azMode[] = {"DELETE", "WAL"};
  for (size_t m = 0; m < sizeof(azMode) / sizeof(azMode[0]); m++) {
    char *zDb = h_fresh("restore.db");
    char *zCopy = h_fresh("restore-copy.db");
    sqlite3 *db = h_open(zDb, "");
    char *zSql = sqlite3_mprintf("PRAGMA journal_mode = %s", azMode[m]);
    sqlite3_free(h_text(db, zSql));
    sqlite3_free(zSql);
    sqlite3_free(h_text(db, "SELECT migrate_upgrade('head')"));
    h_exec(db,
           "INSERT INTO questions (id, category, question_text, created_at, "
           "updated_at) VALUES (1, 'math', 'What is 2+2?', 'now', 'now')");
    zSql = sqlite3_mprintf("SELECT migrate_backup('%q')", zCopy);
    sqlite3_free(h_text(db, zSql));
    sqlite3_free(zSql);
    char *zBefore = h_schema(db);
    /* Rolled all the way back: the data went with the tables. */
    h_assert_text(db, "SELECT migrate_downgrade('base')", "NULL");
    h_exec(db, "CREATE TABLE after_backup (x)");
    zSql = sqlite3_mprintf("SELECT migrate_restore('%q')", zCopy);
    h_assert_text(db, zSql, zHead);
    sqlite3_free(zSql);
    char *zAfter = h_schema(db);
    assert_string_equal(zBefore, zAfter);
    h_assert_text(db, "SELECT question_text FROM questions", "What is 2+2?");
    h_assert_text(db, "PRAGMA integrity_check", "ok");
    h_assert_text(db, "SELECT migrate_check()", "ok");
    sqlite3_close(db);
    /* Another connection sees it too. */
    db = h_open(zDb, "");
    h_assert_text(db, "SELECT migrate_current()", zHead);
    h_assert_text(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'after_backup'", "0");
    sqlite3_close(db);
    sqlite3_free(zBefore);
    sqlite3_free(zAfter);
    sqlite3_free(zCopy);
    sqlite3_free(zDb);
  }
}

static void test_restore_errors_change_nothing(void **state) {
  (void)state;
  char *zDb = h_fresh("restore-bad.db");
  sqlite3 *db = h_open(zDb, "");
  sqlite3_free(h_text(db, "SELECT migrate_upgrade('head')"));
  sqlite3_close(db);
  HFile before = h_file(zDb);
  db = h_open(zDb, "");
  char *zMissing = h_path("missing.db");
  char *zSql = sqlite3_mprintf("SELECT migrate_restore('%q')", zMissing);
  char *zWant = sqlite3_mprintf(
      "migrate_restore('%s'): %s does not exist; nothing was restored", zMissing, zMissing);
  h_assert_error(db, zSql, zWant);
  assert_int_equal(access(zMissing, F_OK), -1);
  sqlite3_free(zSql);
  sqlite3_free(zWant);
  char *zText = h_path("notes.txt");
  write_file(zText, "not a database, but it is long enough to have a header of "
                    "one hundred bytes, which SQLite reads before anything else.\n");
  zSql = sqlite3_mprintf("SELECT migrate_restore('%q')", zText);
  zWant = sqlite3_mprintf(
      "migrate_restore('%s'): %s is not a sound SQLite database (file is not a "
      "database); nothing was restored",
      zText, zText);
  h_assert_error(db, zSql, zWant);
  sqlite3_free(zWant);
  h_exec(db, "BEGIN");
  zWant = sqlite3_mprintf(
      "migrate_restore('%s') replaces the whole database and cannot run inside "
      "a transaction; COMMIT or ROLLBACK first",
      zText);
  h_assert_error(db, zSql, zWant);
  h_exec(db, "ROLLBACK");
  sqlite3_free(zWant);
  sqlite3_free(zSql);
  zSql = sqlite3_mprintf("SELECT migrate_restore('%q')", zDb);
  zWant = sqlite3_mprintf(
      "migrate_restore('%s'): that is the database itself, not a backup of it; "
      "name the backup file, as in migrate_restore('backup.db')",
      zDb);
  h_assert_error(db, zSql, zWant);
  sqlite3_free(zWant);
  sqlite3_free(zSql);
  /* Another connection reading (rollback journal): it waits for nobody. */
  sqlite3 *pReader = h_open(zDb, 0);
  h_exec(pReader, "BEGIN; SELECT count(*) FROM questions;");
  char *zCopy = h_fresh("restore-bad-copy.db");
  zSql = sqlite3_mprintf("SELECT migrate_backup('%q')", zCopy);
  sqlite3_free(h_text(db, zSql));
  sqlite3_free(zSql);
  zSql = sqlite3_mprintf("SELECT migrate_restore('%q')", zCopy);
  zWant = sqlite3_mprintf(
      "migrate_restore('%s'): the database is in use by another connection "
      "(database is locked); stop the application and try again; nothing was "
      "restored",
      zCopy);
  h_assert_error(db, zSql, zWant);
  h_exec(pReader, "COMMIT");
  sqlite3_close(pReader);
  sqlite3_free(zWant);
  sqlite3_free(zSql);
  sqlite3_free(zCopy);
  h_assert_error(db, "SELECT migrate_restore('x.db') FROM alembic_version",
                 "migrate_restore() must be called on its own, as in SELECT "
                 "migrate_restore('x.db'), not inside a statement that reads a table");
  sqlite3_close(db);
  h_assert_file_unchanged(zDb, before);
  free(before.a);
  sqlite3_free(zText);
  sqlite3_free(zMissing);
  sqlite3_free(zDb);
}

/* The working directory, while a test uses relative names (file:x.db). */
static char zSavedCwd[4096];

static void enter_test_dir(void) {
  char *zDir = h_path("");
  if (!getcwd(zSavedCwd, sizeof(zSavedCwd)) || chdir(zDir) != 0) {
    fail_msg("cannot enter %s", zDir);
  }
  sqlite3_free(zDir);
}

static void leave_test_dir(void) {
  if (chdir(zSavedCwd) != 0) fail_msg("cannot go back to %s", zSavedCwd);
}

/* A database at head with one question, closed: its bytes to compare. */
static HFile database_at_head(const char *zDb, const char *zQuestion) {
  sqlite3 *db = h_open(zDb, "");
  sqlite3_free(h_text(db, "SELECT migrate_upgrade('head')"));
  char *zSql = sqlite3_mprintf(
      "INSERT INTO questions (id, category, question_text, created_at, "
      "updated_at) VALUES (1, 'math', %Q, 'now', 'now')",
      zQuestion);
  h_exec(db, zSql);
  sqlite3_free(zSql);
  sqlite3_close(db);
  return h_file(zDb);
}

/* zFunc(zName[, zOpt]) on db fails with zWant, in which %s is zName. */
static void assert_refused(sqlite3 *db, const char *zFunc, const char *zName, const char *zOpt,
                           const char *zWant) {
  char *zSql = zOpt ? sqlite3_mprintf("SELECT %s('%q', '%q')", zFunc, zName, zOpt)
                    : sqlite3_mprintf("SELECT %s('%q')", zFunc, zName);
  char *zMsg = sqlite3_mprintf(zWant, zName, zName, zName);
  h_assert_error(db, zSql, zMsg);
  sqlite3_free(zMsg);
  sqlite3_free(zSql);
}

/*
** ':memory:' and its URI spellings are no file: a backup there would be
** gone at once, and was reported as written (leaving an empty file named
** after the URI behind); a restore from there wiped the database.
*/
static void test_backup_and_restore_refuse_names_that_are_not_files(void **state) {
  (void)state;
  char *zDb = h_fresh("not-a-file.db");
  HFile before = database_at_head(zDb, "kept");
  sqlite3 *db = h_open(zDb, "");
  char *zMemory = h_path("memory.db");
  char *zUri = sqlite3_mprintf("file:%s?mode=memory", zMemory);
  const char *azName[] = {":memory:", "file::memory:", "file:memory.db?mode=memory", zUri};
  enter_test_dir();
  for (size_t i = 0; i < sizeof(azName) / sizeof(azName[0]); i++) {
    static const char *zBackup =
        "migrate_backup('%s'): that names an in-memory database, not a file, so "
        "the copy would be gone as soon as it was made; name a file, as in "
        "migrate_backup('backup.db')";
    assert_refused(db, "migrate_backup", azName[i], 0, zBackup);
    assert_refused(db, "migrate_backup", azName[i], "overwrite", zBackup);
    assert_refused(db, "migrate_restore", azName[i], 0,
                   "migrate_restore('%s'): that names an in-memory database, not "
                   "a file, so there is no backup in it; name the backup file, as "
                   "in migrate_restore('backup.db')");
    assert_int_equal(access(azName[i], F_OK), -1);
  }
  assert_int_equal(access("memory.db", F_OK), -1);
  leave_test_dir();
  /* Nor is a directory: what the system says, not "already exists". */
  char *zDir = h_path("a-directory");
  assert_int_equal(mkdir(zDir, 0755), 0);
  static const char *zNoWrite =
      "migrate_backup('%s'): cannot write %s: Is a directory; "
      "choose another file";
  assert_refused(db, "migrate_backup", zDir, 0, zNoWrite);
  assert_refused(db, "migrate_backup", zDir, "overwrite", zNoWrite);
  assert_refused(db, "migrate_restore", zDir, 0,
                 "migrate_restore('%s'): cannot open %s: Is a directory; nothing "
                 "was restored");
  sqlite3_free(zDir);
  h_assert_text(db, "SELECT question_text FROM questions", "kept");
  sqlite3_close(db);
  h_assert_file_unchanged(zDb, before);
  free(before.a);
  sqlite3_free(zUri);
  sqlite3_free(zMemory);
  sqlite3_free(zDb);
}

/* A file: URI, or ./name, naming the database is the database itself. */
static void test_uri_spellings_of_the_database_are_the_database_itself(void **state) {
  (void)state;
  char *zDb = h_fresh("itself.db");
  HFile before = database_at_head(zDb, "kept");
  sqlite3 *db = h_open(zDb, "");
  char *zUri = sqlite3_mprintf("file:%s?cache=private", zDb);
  const char *azName[] = {"file:itself.db", "./itself.db", zUri};
  enter_test_dir();
  for (size_t i = 0; i < sizeof(azName) / sizeof(azName[0]); i++) {
    static const char *zBackup =
        "migrate_backup('%s'): that is the database itself; back up to another file";
    assert_refused(db, "migrate_backup", azName[i], 0, zBackup);
    assert_refused(db, "migrate_backup", azName[i], "overwrite", zBackup);
    assert_refused(db, "migrate_restore", azName[i], 0,
                   "migrate_restore('%s'): that is the database itself, not a "
                   "backup of it; name the backup file, as in "
                   "migrate_restore('backup.db')");
  }
  assert_int_equal(access("file:itself.db", F_OK), -1);
  leave_test_dir();
  sqlite3_close(db);
  h_assert_file_unchanged(zDb, before);
  free(before.a);
  sqlite3_free(zUri);
  sqlite3_free(zDb);
}

/* A backup to a file: URI writes the file the URI names, and only that. */
static void test_backup_to_a_file_uri_writes_the_file_it_names(void **state) {
  (void)state;
  char *zDb = h_fresh("uri-source.db");
  HFile before = database_at_head(zDb, "copied");
  free(before.a);
  char *zCopy = h_fresh("uri-copy.db");
  sqlite3 *db = h_open(zDb, "");
  enter_test_dir();
  h_assert_text(db, "SELECT migrate_backup('file:uri-copy.db')", "file:uri-copy.db");
  assert_int_equal(access("file:uri-copy.db", F_OK), -1);
  h_assert_error(db, "SELECT migrate_backup('file:uri-copy.db')",
                 "migrate_backup('file:uri-copy.db'): file:uri-copy.db already "
                 "exists; choose a new name, or replace it with "
                 "migrate_backup('file:uri-copy.db', 'overwrite')");
  h_exec(db, "UPDATE questions SET question_text = 'changed'");
  h_assert_text(db, "SELECT migrate_restore('file:uri-copy.db?mode=ro')", zHead);
  leave_test_dir();
  h_assert_text(db, "SELECT question_text FROM questions", "copied");
  sqlite3_close(db);
  db = h_open(zCopy, 0);
  h_assert_text(db, "PRAGMA integrity_check", "ok");
  h_assert_text(db, "SELECT question_text FROM questions", "copied");
  sqlite3_close(db);
  sqlite3_free(zCopy);
  sqlite3_free(zDb);
}

/*
** An empty file is a database of no pages, which SQLite reads as sound:
** restoring it wiped the database. Empty backups are refused unless asked.
*/
static void test_restore_refuses_an_empty_backup_unless_asked(void **state) {
  (void)state;
  char *zDb = h_fresh("restore-empty.db");
  HFile before = database_at_head(zDb, "kept");
  char *zEmpty = h_path("empty.bak");
  write_file(zEmpty, "");
  char *zNoTables = h_fresh("no-tables.bak");
  sqlite3 *db = h_open(zNoTables, 0);
  h_exec(db, "CREATE TABLE t (x); DROP TABLE t;");
  sqlite3_close(db);
  db = h_open(zDb, "");
  const char *azName[] = {zEmpty, zNoTables};
  for (size_t i = 0; i < sizeof(azName) / sizeof(azName[0]); i++) {
    assert_refused(db, "migrate_restore", azName[i], 0,
                   "migrate_restore('%s'): %s is an empty database (no tables), "
                   "and restoring it would leave the database empty; nothing was "
                   "restored; if an empty database is what you want, use "
                   "migrate_restore('%s', 'allow-empty')");
  }
  h_assert_error(db, "SELECT migrate_restore('x.db', 'empty')",
                 "migrate_restore(path, option): the only option is 'allow-empty', "
                 "which restores a backup that holds no tables");
  h_assert_error(db, "SELECT migrate_restore('x.db', 'allow-empty', 1)",
                 "wrong number of arguments (3): use migrate_restore('backup.db') "
                 "or, to restore a backup that holds no tables, "
                 "migrate_restore('backup.db', 'allow-empty')");
  h_assert_text(db, "SELECT question_text FROM questions", "kept");
  sqlite3_close(db);
  h_assert_file_unchanged(zDb, before);
  free(before.a);

  /* Asked to: the database is empty afterwards, at no version. */
  db = h_open(zDb, "");
  char *zSql = sqlite3_mprintf("SELECT migrate_restore('%q', 'allow-empty')", zEmpty);
  h_assert_text(db, zSql, "NULL");
  sqlite3_free(zSql);
  h_assert_text(db, "SELECT count(*) FROM sqlite_schema", "0");
  h_assert_text(db, "PRAGMA integrity_check", "ok");
  sqlite3_close(db);
  sqlite3_free(zNoTables);
  sqlite3_free(zEmpty);
  sqlite3_free(zDb);
}

/*
** A disk that loses what is written to a database file and says nothing:
** the "lossy" VFS, the default one with writes to main databases dropped.
** The VFS methods other than xOpen are the default's own, which (unix)
** do not look at the VFS they are given.
*/
typedef struct LossyFile LossyFile;
struct LossyFile {
  sqlite3_file base;
  sqlite3_file *pReal; /* The default VFS's file, just after this struct */
  int bMain;
};
#define LOSSY_REAL(f) (((LossyFile *)(f))->pReal)

static int lossy_close(sqlite3_file *f) {
  return LOSSY_REAL(f)->pMethods->xClose(LOSSY_REAL(f));
}
static int lossy_read(sqlite3_file *f, void *p, int n, sqlite3_int64 o) {
  return LOSSY_REAL(f)->pMethods->xRead(LOSSY_REAL(f), p, n, o);
}
static int lossy_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 o) {
  if (((LossyFile *)f)->bMain) return SQLITE_OK;
  return LOSSY_REAL(f)->pMethods->xWrite(LOSSY_REAL(f), p, n, o);
}
static int lossy_truncate(sqlite3_file *f, sqlite3_int64 n) {
  return LOSSY_REAL(f)->pMethods->xTruncate(LOSSY_REAL(f), n);
}
static int lossy_sync(sqlite3_file *f, int flags) {
  return LOSSY_REAL(f)->pMethods->xSync(LOSSY_REAL(f), flags);
}
static int lossy_file_size(sqlite3_file *f, sqlite3_int64 *pn) {
  return LOSSY_REAL(f)->pMethods->xFileSize(LOSSY_REAL(f), pn);
}
static int lossy_lock(sqlite3_file *f, int e) {
  return LOSSY_REAL(f)->pMethods->xLock(LOSSY_REAL(f), e);
}
static int lossy_unlock(sqlite3_file *f, int e) {
  return LOSSY_REAL(f)->pMethods->xUnlock(LOSSY_REAL(f), e);
}
static int lossy_check_reserved(sqlite3_file *f, int *p) {
  return LOSSY_REAL(f)->pMethods->xCheckReservedLock(LOSSY_REAL(f), p);
}
static int lossy_file_control(sqlite3_file *f, int op, void *p) {
  return LOSSY_REAL(f)->pMethods->xFileControl(LOSSY_REAL(f), op, p);
}
static int lossy_sector_size(sqlite3_file *f) {
  return LOSSY_REAL(f)->pMethods->xSectorSize(LOSSY_REAL(f));
}
static int lossy_device(sqlite3_file *f) {
  return LOSSY_REAL(f)->pMethods->xDeviceCharacteristics(LOSSY_REAL(f));
}

static const sqlite3_io_methods lossy_io = {
    .iVersion = 1,
    .xClose = lossy_close,
    .xRead = lossy_read,
    .xWrite = lossy_write,
    .xTruncate = lossy_truncate,
    .xSync = lossy_sync,
    .xFileSize = lossy_file_size,
    .xLock = lossy_lock,
    .xUnlock = lossy_unlock,
    .xCheckReservedLock = lossy_check_reserved,
    .xFileControl = lossy_file_control,
    .xSectorSize = lossy_sector_size,
    .xDeviceCharacteristics = lossy_device,
};

static sqlite3_vfs lossy_vfs;

static int lossy_open(sqlite3_vfs *pVfs, const char *zName, sqlite3_file *f, int flags,
                      int *pOutFlags) {
  sqlite3_vfs *pReal = pVfs->pAppData;
  LossyFile *p = (LossyFile *)f;
  p->pReal = (sqlite3_file *)&p[1];
  p->bMain = (flags & SQLITE_OPEN_MAIN_DB) != 0;
  int rc = pReal->xOpen(pReal, zName, p->pReal, flags, pOutFlags);
  p->base.pMethods = rc == SQLITE_OK ? &lossy_io : 0;
  return rc;
}

static void lossy_register(void) {
  if (sqlite3_vfs_find("lossy")) return;
  sqlite3_vfs *pReal = sqlite3_vfs_find(0);
  lossy_vfs = *pReal;
  lossy_vfs.iVersion = 2;
  lossy_vfs.szOsFile = (int)sizeof(LossyFile) + pReal->szOsFile;
  lossy_vfs.zName = "lossy";
  lossy_vfs.pAppData = pReal;
  lossy_vfs.xOpen = lossy_open;
  if (sqlite3_vfs_register(&lossy_vfs, 0) != SQLITE_OK) fail_msg("cannot register lossy");
}

/*
** A backup is read back before it is called one: on a disk that loses the
** writes, the copy is refused and removed, not reported as written.
*/
static void test_backup_reads_back_what_it_wrote(void **state) {
  (void)state;
  lossy_register();
  char *zDb = h_fresh("read-back.db");
  HFile before = database_at_head(zDb, "kept");
  free(before.a);
  char *zCopy = h_fresh("read-back-copy.db");
  char *zUri = sqlite3_mprintf("file:%s?vfs=lossy", zCopy);
  sqlite3 *db = h_open(zDb, "");
  char *zPages = h_text(db, "PRAGMA page_count");
  char *zSql = sqlite3_mprintf("SELECT migrate_backup('%q')", zUri);
  char *zWant = sqlite3_mprintf(
      "migrate_backup('%s'): the copy did not read back whole (0 pages of %s), "
      "so it is no backup; check the disk it is on and try again",
      zUri, zPages);
  h_assert_error(db, zSql, zWant);
  assert_int_equal(access(zCopy, F_OK), -1);
  sqlite3_close(db);
  sqlite3_free(zWant);
  sqlite3_free(zSql);
  sqlite3_free(zPages);
  sqlite3_free(zUri);
  sqlite3_free(zCopy);
  sqlite3_free(zDb);
}

/*
** A backup of 1024-byte pages into a WAL database of 4096, or into an
** in-memory one that holds tables: the backup API fails with
** SQLITE_READONLY, which said "attempt to write a readonly database". The
** message says what is wrong, and what it advises works.
*/
static void test_restore_across_page_sizes_into_wal_or_memory(void **state) {
  (void)state;
  char *zSmall = h_fresh("pages-1024.db");
  sqlite3 *db = h_open(zSmall, "");
  h_exec(db, "PRAGMA page_size = 1024");
  sqlite3_free(h_text(db, "SELECT migrate_upgrade('head')"));
  h_exec(db,
         "INSERT INTO questions (id, category, question_text, created_at, "
         "updated_at) VALUES (1, 'math', 'small pages', 'now', 'now')");
  char *zBackup = h_fresh("pages-1024.bak");
  char *zSql = sqlite3_mprintf("SELECT migrate_backup('%q')", zBackup);
  h_assert_text(db, zSql, zBackup);
  sqlite3_free(zSql);
  sqlite3_close(db);

  char *zDb = h_fresh("pages-wal.db");
  db = h_open(zDb, "");
  h_assert_text(db, "PRAGMA journal_mode = WAL", "wal");
  sqlite3_close(db);
  HFile before = database_at_head(zDb, "large pages");
  db = h_open(zDb, "");
  h_assert_text(db, "PRAGMA page_size", "4096");
  assert_refused(db, "migrate_restore", zBackup, 0,
                 "migrate_restore('%s'): %s has pages of 1024 bytes and the "
                 "database 4096, and a database in WAL mode cannot change its "
                 "page size; nothing was restored; run PRAGMA journal_mode = "
                 "DELETE, then SELECT migrate_restore('%s'), then PRAGMA "
                 "journal_mode = WAL");
  sqlite3_close(db);
  h_assert_file_unchanged(zDb, before);
  free(before.a);

  /* What the message says to do. */
  db = h_open(zDb, "");
  h_assert_text(db, "PRAGMA journal_mode = DELETE", "delete");
  zSql = sqlite3_mprintf("SELECT migrate_restore('%q')", zBackup);
  h_assert_text(db, zSql, zHead);
  sqlite3_free(zSql);
  h_assert_text(db, "PRAGMA journal_mode = WAL", "wal");
  sqlite3_close(db);
  db = h_open(zDb, "");
  h_assert_text(db, "PRAGMA journal_mode", "wal");
  h_assert_text(db, "PRAGMA page_size", "1024");
  h_assert_text(db, "SELECT question_text FROM questions", "small pages");
  h_assert_text(db, "PRAGMA integrity_check", "ok");
  h_assert_text(db, "SELECT migrate_check()", "ok");
  sqlite3_close(db);

  /* An in-memory database cannot either, once it holds tables. */
  db = h_open(":memory:", "");
  sqlite3_free(h_text(db, "SELECT migrate_upgrade('head')"));
  assert_refused(db, "migrate_restore", zBackup, 0,
                 "migrate_restore('%s'): %s has pages of 1024 bytes and the "
                 "database 4096, and a database with no file of its own "
                 "(':memory:' or temporary) cannot change its page size once it "
                 "holds anything; nothing was restored; restore into a new, "
                 "empty one instead");
  h_assert_text(db, "SELECT migrate_current()", zHead);
  h_assert_text(db, "SELECT count(*) FROM questions", "0");
  sqlite3_close(db);
  /* What the message says to do. */
  db = h_open(":memory:", "");
  zSql = sqlite3_mprintf("SELECT migrate_restore('%q')", zBackup);
  h_assert_text(db, zSql, zHead);
  sqlite3_free(zSql);
  h_assert_text(db, "SELECT question_text FROM questions", "small pages");
  sqlite3_close(db);
  sqlite3_free(zDb);
  sqlite3_free(zBackup);
  sqlite3_free(zSmall);
}

/* ---- seeing what happens ---------------------------------------------------- */

static void test_verbose_lines_have_each_steps_duration(void **state) {
  (void)state;
  sqlite3 *db = h_open(":memory:", "");
  h_assert_text(db, "SELECT migrate_verbose(1)", "0");
  capture_start();
  sqlite3_free(h_text(db, "SELECT migrate_upgrade('head')"));
  sqlite3_free(h_text(db, "SELECT migrate_downgrade(-1)"));
  char *zOut = capture_end();
  assert_masked(zOut,
                "INFO  [distmigrate] Running upgrade  -> 001_initial_schema, "
                "Create initial database schema\n"
                "INFO  [distmigrate]   step done in # ms\n"
                "INFO  [distmigrate] Running upgrade 001_initial_schema -> "
                "002_add_invalid_responses, Add invalid_responses table\n"
                "INFO  [distmigrate]   step done in # ms\n"
                "INFO  [distmigrate] done in # s\n"
                "INFO  [distmigrate] Running downgrade 002_add_invalid_responses "
                "-> 001_initial_schema, Add invalid_responses table\n"
                "INFO  [distmigrate]   step done in # ms\n"
                "INFO  [distmigrate] done in # s\n");
  sqlite3_free(zOut);
  /* Replays (check, offline SQL) print nothing. */
  capture_start();
  sqlite3_free(h_text(db, "SELECT migrate_check()"));
  sqlite3_free(h_text(db, "SELECT migrate_sql('head')"));
  zOut = capture_end();
  assert_string_equal(zOut, "");
  sqlite3_free(zOut);
  sqlite3_close(db);
}

static int nProgressCalls = 0;
static int count_progress(void *p) {
  (void)p;
  nProgressCalls++;
  return 0;
}

static void sleep_ms(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  sqlite3_sleep(sqlite3_value_int(argv[0]));
  sqlite3_result_null(ctx);
}

/*
** A step that takes 2.5 s: the statement once, at the first tick, then a
** line at 1 s and 2 s; "done in" for the whole call. The caller's own
** progress handler keeps working through it and afterwards: distmigrate
** never replaces it.
*/
static void test_long_steps_show_progress_and_keep_the_callers_handler(void **state) {
  (void)state;
  char *zDir = empty_dir("slow");
  write_migration(zDir, "s1_slow", "",
                  "CREATE TABLE slow (x);\n"
                  "SELECT test_sleep(2500);\n"
                  "INSERT INTO slow VALUES (1);",
                  "DROP TABLE slow;");
  char *zExt = build_set(zDir);
  sqlite3 *db = open_with(":memory:", zExt);
  sqlite3_create_function(db, "test_sleep", 1, SQLITE_UTF8, 0, sleep_ms, 0, 0);
  sqlite3_progress_handler(db, 10, count_progress, 0);
  sqlite3_free(h_text(db, "SELECT migrate_verbose(1)"));
  nProgressCalls = 0;
  capture_start();
  sqlite3_free(h_text(db, "SELECT migrate_upgrade('head')"));
  char *zOut = capture_end();
  assert_true(nProgressCalls > 0);
  char *zWant = sqlite3_mprintf(
      "INFO  [distmigrate] Running upgrade  -> s1_slow, Test revision s1_slow\n"
      "INFO  [distmigrate]   statement 2: SELECT test_sleep(2500);\n"
      "INFO  [distmigrate]   ... # s, statement 2\n"
      "INFO  [distmigrate]   ... # s, statement 2\n"
      "INFO  [distmigrate]   step done in # ms\n"
      "INFO  [distmigrate] done in # s\n");
  assert_masked(zOut, zWant);
  sqlite3_free(zWant);
  sqlite3_free(zOut);
  int nBefore = nProgressCalls;
  sqlite3_free(h_text(db, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
             "WHERE x < 1000) SELECT count(*) FROM c"));
  assert_true(nProgressCalls > nBefore);
  sqlite3_close(db);
  sqlite3_free(zExt);
  sqlite3_free(zDir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_check_is_ok_at_every_revision),
      cmocka_unit_test(test_check_on_a_set_that_alters_tables),
      cmocka_unit_test(test_check_changes_nothing),
      cmocka_unit_test(test_check_sql_and_repair_bring_the_schema_back),
      cmocka_unit_test(test_repair_that_fails_changes_nothing),
      cmocka_unit_test(test_checksum_mismatch_is_reported_by_revision),
      cmocka_unit_test(test_line_ends_and_trailing_blanks_are_not_edits),
      cmocka_unit_test(test_drift_for_each_kind_of_object),
      cmocka_unit_test(test_drift_table_has_both_definitions),
      cmocka_unit_test(test_alembic_schemas_check_ok),
      cmocka_unit_test(test_check_refuses_an_unknown_version),
      cmocka_unit_test(test_check_on_a_locked_database_says_it_is_locked),
      cmocka_unit_test(test_a_migration_asking_for_a_replay_is_refused),
      cmocka_unit_test(test_strict_mode_refuses_a_drifted_database),
      cmocka_unit_test(test_strict_mode_from_the_environment),
      cmocka_unit_test(test_strict_backup_then_migrate_on_a_set_that_alters_tables),
      cmocka_unit_test(test_plan_lists_the_steps_a_run_would_take),
      cmocka_unit_test(test_plan_is_what_the_run_does),
      cmocka_unit_test(test_offline_sql_is_alembics_shape),
      cmocka_unit_test(test_offline_sql_equals_the_run_for_every_pair),
      cmocka_unit_test(test_offline_sql_equals_the_run_through_migrate_alter_table),
      cmocka_unit_test(test_offline_sql_follows_defensive_mode),
      cmocka_unit_test(test_offline_sql_expands_helper_calls),
      cmocka_unit_test(test_offline_script_leaves_the_same_rows_wherever_it_runs),
      cmocka_unit_test(test_offline_sql_errors),
      cmocka_unit_test(test_rehearsal_changes_nothing_and_reports_what_a_run_does),
      cmocka_unit_test(test_rehearsal_and_plan_on_a_set_that_alters_tables),
      cmocka_unit_test(test_rehearsal_inside_a_transaction_keeps_the_callers_work),
      cmocka_unit_test(test_rehearsal_of_a_failing_run),
      cmocka_unit_test(test_rehearsal_counts_foreign_key_violations),
      cmocka_unit_test(test_foreign_key_violations_listed_up_to_ten),
      cmocka_unit_test(test_run_option_errors),
      cmocka_unit_test(test_backup_copies_and_never_overwrites_unasked),
      cmocka_unit_test(test_backup_with_a_concurrent_writer_in_both_journal_modes),
      cmocka_unit_test(test_backup_then_migrate_leaves_no_window),
      cmocka_unit_test(test_backup_of_an_in_memory_database),
      cmocka_unit_test(test_restore_brings_the_backup_back),
      cmocka_unit_test(test_restore_errors_change_nothing),
      cmocka_unit_test(test_backup_and_restore_refuse_names_that_are_not_files),
      cmocka_unit_test(test_uri_spellings_of_the_database_are_the_database_itself),
      cmocka_unit_test(test_backup_to_a_file_uri_writes_the_file_it_names),
      cmocka_unit_test(test_backup_reads_back_what_it_wrote),
      cmocka_unit_test(test_restore_refuses_an_empty_backup_unless_asked),
      cmocka_unit_test(test_restore_across_page_sizes_into_wal_or_memory),
      cmocka_unit_test(test_verbose_lines_have_each_steps_duration),
      cmocka_unit_test(test_long_steps_show_progress_and_keep_the_callers_handler),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
