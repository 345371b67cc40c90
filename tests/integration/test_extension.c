/*
** Integration tests: real databases, the built extension loaded into them.
** The shipped set is compared with what real Alembic produces
** (tests/alembic/reference/REV.sql, checked against Alembic by
** tests/python/test_alembic_interop.py).
*/
#include "harness.h"

static const char *zHead = "002_add_invalid_responses";

/* A database built from Alembic's reference schema at zRevision. */
static char *reference_schema(const char *zRevision) {
  char *zFile = sqlite3_mprintf("tests/alembic/reference/%s.sql", zRevision);
  HFile f = h_file(zFile);
  if (!f.bExists) fail_msg("missing %s", zFile);
  char *zSql = sqlite3_mprintf("%.*s", (int)f.n, (const char *)f.a);
  free(f.a);
  sqlite3 *db = h_open(":memory:", 0);
  h_exec(db, zSql);
  char *zSchema = h_schema(db);
  sqlite3_close(db);
  sqlite3_free(zSql);
  sqlite3_free(zFile);
  return zSchema;
}

static void assert_schema_is_alembics(sqlite3 *db, const char *zRevision) {
  char *zWant = reference_schema(zRevision);
  char *zGot = h_schema(db);
  if (strcmp(zWant, zGot) != 0) {
    fail_msg("schema differs from Alembic's at %s\n--- alembic:\n%s\n--- distmigrate:\n%s",
             zRevision, zWant, zGot);
  }
  sqlite3_free(zWant);
  sqlite3_free(zGot);
}

/* ---- loading ------------------------------------------------------------ */

static void test_load_registers_exactly_these_functions(void **state) {
  (void)state;
  sqlite3 *db = h_open(":memory:", "");
  h_assert_text(db,
                "SELECT group_concat(name || '/' || narg, ' ') FROM "
                "(SELECT name, narg FROM pragma_function_list "
                " WHERE name LIKE 'migrate%' OR name LIKE 'distmigrate%' ORDER BY name)",
                "distmigrate_progress_row/0 migrate_alter_table/-1 migrate_backup/-1 migrate_check/-1 "
                "migrate_current/-1 migrate_diff/-1 migrate_downgrade/-1 migrate_heads/-1 "
                "migrate_repair/-1 migrate_restore/-1 migrate_show/-1 migrate_sql/-1 "
                "migrate_stamp/-1 migrate_strict/-1 migrate_upgrade/-1 migrate_verbose/-1");
  h_assert_text(db,
                "SELECT group_concat(name, ' ') FROM "
                "(SELECT name FROM pragma_module_list WHERE name LIKE 'migration%' "
                "ORDER BY name)",
                "migration_drift migration_history migration_plan");
  sqlite3_close(db);
}

/* Functions that write are DIRECTONLY; none with side effects is
** DETERMINISTIC or INNOCUOUS. */
static void test_writing_functions_are_direct_only(void **state) {
  (void)state;
  sqlite3 *db = h_open(":memory:", "");
  h_assert_text(db,
                "SELECT group_concat(name || ':' || "
                "  iif(flags & 0x80000, 'directonly', '') || "
                "  iif(flags & 0x200000, 'innocuous', '') || "
                "  iif(flags & 0x800, '+deterministic', ''), ' ') FROM "
                "(SELECT name, flags FROM pragma_function_list "
                " WHERE name LIKE 'migrate%' OR name LIKE 'distmigrate%' ORDER BY name)",
                "distmigrate_progress_row:directonly migrate_alter_table:directonly "
                "migrate_backup:directonly migrate_check:innocuous "
                "migrate_current:innocuous migrate_diff:directonly "
                "migrate_downgrade:directonly "
                "migrate_heads:innocuous+deterministic migrate_repair:directonly "
                "migrate_restore:directonly "
                "migrate_show:innocuous migrate_sql:innocuous "
                "migrate_stamp:directonly migrate_strict:directonly migrate_upgrade:directonly "
                "migrate_verbose:directonly");
  sqlite3_close(db);
}

static void test_loading_writes_nothing(void **state) {
  (void)state;
  char *zDb = h_fresh("load.db");
  sqlite3 *db = h_open(zDb, 0);
  h_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1);");
  sqlite3_close(db);
  HFile before = h_file(zDb);
  db = h_open(zDb, "");
  h_assert_text(db, "SELECT migrate_current()", "NULL");
  h_assert_text(db, "SELECT count(*) FROM migration_history", "2");
  h_assert_text(db, "SELECT migrate_heads()", zHead);
  sqlite3_close(db);
  h_assert_file_unchanged(zDb, before);
  free(before.a);
  sqlite3_free(zDb);
}

/* ---- the shipped set against Alembic ----------------------------------- */

static void test_upgrade_head_gives_alembics_schema(void **state) {
  (void)state;
  char *zDb = h_fresh("head.db");
  sqlite3 *db = h_open(zDb, "");
  h_assert_text(db, "SELECT migrate_upgrade('head')", zHead);
  h_assert_text(db, "SELECT migrate_current()", zHead);
  h_assert_text(db, "SELECT group_concat(version_num) FROM alembic_version", zHead);
  assert_schema_is_alembics(db, zHead);
  /* The version table's DDL is Alembic's, byte for byte. */
  h_assert_text(db, "SELECT sql FROM sqlite_schema WHERE name = 'alembic_version'",
                "CREATE TABLE alembic_version (\n"
                "\tversion_num VARCHAR(32) NOT NULL, \n"
                "\tCONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n"
                ")");
  h_assert_text(db, "PRAGMA integrity_check", "ok");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

static void test_each_revision_and_back_gives_alembics_schema(void **state) {
  (void)state;
  char *zDb = h_fresh("steps.db");
  sqlite3 *db = h_open(zDb, "");
  h_assert_text(db, "SELECT migrate_upgrade('001_initial_schema')", "001_initial_schema");
  assert_schema_is_alembics(db, "001_initial_schema");
  h_assert_text(db, "SELECT migrate_upgrade('head')", zHead);
  assert_schema_is_alembics(db, zHead);
  h_assert_text(db, "SELECT migrate_downgrade(-1)", "001_initial_schema");
  assert_schema_is_alembics(db, "001_initial_schema");
  h_assert_text(db, "SELECT migrate_upgrade('head')", zHead);
  h_assert_text(db, "SELECT migrate_downgrade('base')", "NULL");
  assert_schema_is_alembics(db, "base");
  h_assert_text(db, "SELECT count(*) FROM alembic_version", "0");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

/* A database made from Alembic's reference SQL at zRevision, its
** alembic_version table dropped: the schema without the bookkeeping. */
static sqlite3 *schema_without_version(const char *zName, const char *zRevision) {
  char *zFile = sqlite3_mprintf("tests/alembic/reference/%s.sql", zRevision);
  HFile f = h_file(zFile);
  if (!f.bExists) fail_msg("missing %s", zFile);
  char *zSql = sqlite3_mprintf("%.*s", (int)f.n, (const char *)f.a);
  free(f.a);
  char *zDb = h_fresh(zName);
  sqlite3 *db = h_open(zDb, "");
  h_exec(db, zSql);
  h_exec(db, "DROP TABLE alembic_version");
  sqlite3_free(zSql);
  sqlite3_free(zFile);
  sqlite3_free(zDb);
  return db;
}

/*
** A database that has a revision's schema but no alembic_version row (made
** by hand or by create_all()): the upgrade from base fails at the first
** CREATE, and the error says which revision's schema it has and to stamp
** it; the models decide, so layout and quoting do not count.
*/
static void test_schema_without_version_gets_the_stamp_hint(void **state) {
  (void)state;
  const char *zTail =
      "\n  the run was rolled back: the database is still at base\n"
      "  this database has the schema of %s but no alembic_version row, so the run "
      "started from base; if its data is at %s too, record that with SELECT "
      "migrate_stamp('%s'), then upgrade";
  const char *azRev[] = {"001_initial_schema", "002_add_invalid_responses"};
  for (int i = 0; i < 2; i++) {
    sqlite3 *db = schema_without_version("stamp_hint.db", azRev[i]);
    char *zErr = h_error(db, "SELECT migrate_upgrade('head')", 0);
    char *zWant = sqlite3_mprintf(zTail, azRev[i], azRev[i], azRev[i]);
    size_t nErr = strlen(zErr), nWant = strlen(zWant);
    if (nErr < nWant || strcmp(zErr + nErr - nWant, zWant) != 0) {
      fail_msg("error:\n%s\nwant it to end:\n%s", zErr, zWant);
    }
    /* The hint's way out works. */
    char *zStamp = sqlite3_mprintf("SELECT migrate_stamp('%s')", azRev[i]);
    h_assert_text(db, zStamp, azRev[i]);
    h_assert_text(db, "SELECT migrate_upgrade('head')", zHead);
    h_assert_text(db, "SELECT migrate_check()", "ok");
    sqlite3_free(zStamp);
    sqlite3_free(zWant);
    sqlite3_free(zErr);
    sqlite3_close(db);
  }
  /* A schema that is no revision's: no hint. */
  sqlite3 *db = schema_without_version("no_hint.db", "001_initial_schema");
  h_exec(db, "CREATE INDEX extra ON questions (golden_answer)");
  char *zErr = h_error(db, "SELECT migrate_upgrade('head')", 0);
  if (strstr(zErr, "migrate_stamp")) fail_msg("a hint for a schema no revision has:\n%s", zErr);
  sqlite3_free(zErr);
  sqlite3_close(db);
}

/* ---- target forms --------------------------------------------------------- */

typedef struct TargetCase TargetCase;
struct TargetCase {
  const char *zStart;   /* migrate_stamp() first ("base": nothing) */
  const char *zCall;    /* The SQL */
  const char *zWant;    /* The result */
};

static void test_target_forms(void **state) {
  (void)state;
  static const TargetCase aCase[] = {
      {"base", "SELECT migrate_upgrade('head')", "002_add_invalid_responses"},
      {"base", "SELECT migrate_upgrade('heads')", "002_add_invalid_responses"},
      {"base", "SELECT migrate_upgrade('+1')", "001_initial_schema"},
      {"base", "SELECT migrate_upgrade('+2')", "002_add_invalid_responses"},
      {"base", "SELECT migrate_upgrade('001')", "001_initial_schema"},
      {"base", "SELECT migrate_upgrade('002')", "002_add_invalid_responses"},
      {"base", "SELECT migrate_upgrade('001_initial_schema')", "001_initial_schema"},
      {"base", "SELECT migrate_upgrade('001_initial_schema+1')", "002_add_invalid_responses"},
      {"base", "SELECT migrate_upgrade('002-1')", "001_initial_schema"},
      {"base", "SELECT migrate_upgrade('head-1')", "001_initial_schema"},
      {"base", "SELECT migrate_upgrade('base+1')", "001_initial_schema"},
      {"base", "SELECT migrate_upgrade('base')", "NULL"},
      {"001_initial_schema", "SELECT migrate_upgrade('+1')", "002_add_invalid_responses"},
      {"001_initial_schema", "SELECT migrate_upgrade('001')", "001_initial_schema"},
      {"002", "SELECT migrate_upgrade('head')", "002_add_invalid_responses"},
      {"002", "SELECT migrate_downgrade(-1)", "001_initial_schema"},
      {"002", "SELECT migrate_downgrade(1)", "001_initial_schema"},
      {"002", "SELECT migrate_downgrade(2)", "NULL"},
      {"002", "SELECT migrate_downgrade(-2.0)", "NULL"},
      {"002", "SELECT migrate_downgrade('-1')", "001_initial_schema"},
      {"002", "SELECT migrate_downgrade('-2')", "NULL"},
      {"002", "SELECT migrate_downgrade('base')", "NULL"},
      {"002", "SELECT migrate_downgrade('001')", "001_initial_schema"},
      {"002", "SELECT migrate_downgrade('002-1')", "001_initial_schema"},
      {"002", "SELECT migrate_downgrade(0)", "002_add_invalid_responses"},
      {"002", "SELECT migrate_downgrade('head')", "002_add_invalid_responses"},
      {"001", "SELECT migrate_downgrade('-1')", "NULL"},
      {"base", "SELECT migrate_downgrade('base')", "NULL"},
      {"base", "SELECT migrate_stamp('head')", "002_add_invalid_responses"},
      {"002", "SELECT migrate_stamp('base')", "NULL"},
      {"002", "SELECT migrate_stamp('-1')", "001_initial_schema"},
  };
  for (size_t i = 0; i < sizeof(aCase) / sizeof(aCase[0]); i++) {
    char *zDb = h_fresh("target.db");
    sqlite3 *db = h_open(zDb, "");
    if (strcmp(aCase[i].zStart, "base") != 0) {
      char *z = sqlite3_mprintf("SELECT migrate_upgrade('%s')", aCase[i].zStart);
      sqlite3_free(h_text(db, z));
      sqlite3_free(z);
    }
    char *zGot = h_text(db, aCase[i].zCall);
    if (strcmp(zGot, aCase[i].zWant) != 0) {
      fail_msg("from %s: %s gave %s, want %s", aCase[i].zStart, aCase[i].zCall,
               zGot, aCase[i].zWant);
    }
    sqlite3_free(zGot);
    /* The version table agrees with the result. */
    char *zStored = h_text(db, "SELECT coalesce(migrate_current(), 'NULL')");
    if (strcmp(zStored, aCase[i].zWant) != 0) {
      fail_msg("from %s: %s left alembic_version at %s, want %s", aCase[i].zStart,
               aCase[i].zCall, zStored, aCase[i].zWant);
    }
    sqlite3_free(zStored);
    sqlite3_close(db);
    sqlite3_free(zDb);
  }
}

/* ---- bad input: a clear error, the file unchanged ----------------------- */

typedef struct BadCase BadCase;
struct BadCase {
  const char *zStart;   /* Revision to upgrade to first, or "base" */
  const char *zCall;
  const char *zError;   /* The exact message */
};

/*
** Each case on a fresh database at zStart (with a row, so that "unchanged"
** means something): exactly zError, nothing left open, the file byte for
** byte what it was.
*/
static void assert_refused(const BadCase *aCase, size_t nCase) {
  for (size_t i = 0; i < nCase; i++) {
    char *zDb = h_fresh("bad.db");
    sqlite3 *db = h_open(zDb, "");
    if (strcmp(aCase[i].zStart, "base") != 0) {
      char *z = sqlite3_mprintf("SELECT migrate_upgrade('%s')", aCase[i].zStart);
      sqlite3_free(h_text(db, z));
      sqlite3_free(z);
      h_exec(db,
             "INSERT INTO questions (id, category, question_text, created_at, "
             "updated_at) VALUES (1, 'math', 'What is 2+2?', "
             "datetime('now'), datetime('now'))");
    }
    HFile before = h_file(zDb);
    char *zSchema = h_schema(db);
    char *zGot = h_error(db, aCase[i].zCall, 0);
    if (strcmp(zGot, aCase[i].zError) != 0) {
      fail_msg("from %s: %s\n  error: %s\n  want:  %s", aCase[i].zStart,
               aCase[i].zCall, zGot, aCase[i].zError);
    }
    sqlite3_free(zGot);
    assert_int_equal(sqlite3_get_autocommit(db), 1);
    char *zAfter = h_schema(db);
    assert_string_equal(zSchema, zAfter);
    sqlite3_free(zSchema);
    sqlite3_free(zAfter);
    sqlite3_close(db);
    h_assert_file_unchanged(zDb, before);
    free(before.a);
    sqlite3_free(zDb);
  }
}

/* migrate_show(): alembic show's header, then the sections as written. */
static const char zShow002[] =
    "Rev: 002_add_invalid_responses (head)\n"
    "Parent: 001_initial_schema\n"
    "Path: sql/versions/002_add_invalid_responses.sql\n"
    "\n"
    "    Add invalid_responses table\n"
    "\n"
    "    Revision ID: 002_add_invalid_responses\n"
    "    Revises: 001_initial_schema\n"
    "    Create Date: 2024-01-01 11:00:00.000000\n"
    "\n"
    "-- migrate:up\n"
    "CREATE TABLE invalid_responses (\n"
    "    id INTEGER NOT NULL,\n"
    "    question_id INTEGER NOT NULL,\n"
    "    model_name VARCHAR(100) NOT NULL,\n"
    "    model_config TEXT NOT NULL,\n"
    "    reasoning TEXT,\n"
    "    answer TEXT NOT NULL,\n"
    "    validation_error TEXT NOT NULL,\n"
    "    error_type VARCHAR(50) NOT NULL,\n"
    "    created_at DATETIME NOT NULL,\n"
    "    updated_at DATETIME NOT NULL,\n"
    "    PRIMARY KEY (id),\n"
    "    CONSTRAINT check_error_type CHECK (error_type IN ('JSON_PARSE_ERROR', "
    "'SCHEMA_VALIDATION_ERROR', 'MISSING_REQUIRED_FIELD', 'INVALID_DATA_TYPE', "
    "'CONSTRAINT_VIOLATION')),\n"
    "    FOREIGN KEY(question_id) REFERENCES questions (id) ON DELETE CASCADE\n"
    ");\n"
    "\n"
    "CREATE INDEX idx_invalid_responses_question_id ON invalid_responses (question_id);\n"
    "CREATE INDEX idx_invalid_responses_error_type ON invalid_responses (error_type);\n"
    "CREATE INDEX idx_invalid_responses_created_at ON invalid_responses (created_at);\n"
    "\n"
    "-- migrate:down\n"
    "DROP TABLE invalid_responses;\n";

static void test_show_gives_alembics_header_and_the_sql(void **state) {
  (void)state;
  char *zDb = h_fresh("show.db");
  sqlite3 *db = h_open(zDb, "");
  HFile before = h_file(zDb);
  /* The forms graph/ resolves without a database: an id, a prefix, head,
  ** heads, REV-N; base names no revision. */
  h_assert_text(db, "SELECT migrate_show('002_add_invalid_responses')", zShow002);
  h_assert_text(db, "SELECT migrate_show('002')", zShow002);
  h_assert_text(db, "SELECT migrate_show('head')", zShow002);
  h_assert_text(db, "SELECT migrate_show('heads')", zShow002);
  h_assert_text(db, "SELECT migrate_show('base')", "NULL");
  h_assert_text(db, "SELECT substr(s, 1, instr(s, '-- migrate:up') + 13) FROM (SELECT migrate_show('head-1') AS s)",
                "Rev: 001_initial_schema\n"
                "Parent: <base>\n"
                "Path: sql/versions/001_initial_schema.sql\n"
                "\n"
                "    Create initial database schema\n"
                "\n"
                "    Revision ID: 001_initial_schema\n"
                "    Revises:\n"
                "    Create Date: 2024-01-01 10:00:00.000000\n"
                "\n"
                "-- migrate:up\n");
  h_assert_text(db, "SELECT migrate_show('001') LIKE '%\n-- migrate:down\n"
                    "DROP TABLE responses;\nDROP TABLE questions;\n'", "1");
  /* 'current' reads alembic_version, and only reads it. */
  h_assert_text(db, "SELECT migrate_show('current')", "NULL");
  h_assert_file_unchanged(zDb, before);
  free(before.a);
  h_exec(db, "SELECT migrate_upgrade('head')");
  h_assert_text(db, "SELECT migrate_show('current')", zShow002);
  sqlite3_close(db);
  sqlite3_free(zDb);
}

static void test_bad_input_errors_and_changes_nothing(void **state) {
  (void)state;
  static const BadCase aCase[] = {
      {"base", "SELECT migrate_upgrade('zzz')",
       "Can't locate revision identified by 'zzz'"},
      /* An unknown revision names the nearest ones, wherever it is given. */
      {"base", "SELECT migrate_upgrade('002_add_invalid_respones')",
       "Can't locate revision identified by '002_add_invalid_respones'; did "
       "you mean 002_add_invalid_responses?"},
      {"002", "SELECT migrate_downgrade('001_inital_schema')",
       "Can't locate revision identified by '001_inital_schema'; did you mean "
       "001_initial_schema?"},
      {"base", "SELECT migrate_stamp('003')",
       "Can't locate revision identified by '003'; did you mean "
       "001_initial_schema or 002_add_invalid_responses?"},
      {"base", "SELECT migrate_sql('haed')",
       "Can't locate revision identified by 'haed'; did you mean head or heads?"},
      {"base", "SELECT * FROM migration_plan('invalid_responses')",
       "Can't locate revision identified by 'invalid_responses'; did you mean "
       "002_add_invalid_responses?"},
      {"base", "SELECT migrate_show('002_ADD_INVALID_RESPONSES')",
       "Can't locate revision identified by '002_ADD_INVALID_RESPONSES'; did "
       "you mean 002_add_invalid_responses?"},
      {"base", "SELECT migrate_show('zzz')", "Can't locate revision identified by 'zzz'"},
      {"base", "SELECT migrate_show(NULL)",
       "migrate_show(NULL): the revision is NULL; give 'head', 'current', a "
       "revision id or a unique prefix of one"},
      {"base", "SELECT migrate_show()",
       "wrong number of arguments (0): use migrate_show('head') or "
       "migrate_show('<revision>')"},
      {"base", "SELECT migrate_show('+1')",
       "Relative revision +1 counts from a database's current revision; name "
       "the revision to count from, as in 'head+1'"},
      {"base", "SELECT migrate_upgrade('0')",
       "Multiple revisions start with '0': '001_initial_schema', "
       "'002_add_invalid_responses'; give more of the revision id"},
      {"base", "SELECT migrate_upgrade('')",
       "the target is empty: give 'head', 'base', a revision id, or a relative "
       "step such as '+1' or '-1'"},
      {"base", "SELECT migrate_upgrade(NULL)",
       "migrate_upgrade(NULL): the target is NULL; give 'head', a revision id, "
       "or a relative step such as '+1'"},
      {"base", "SELECT migrate_upgrade(2)",
       "migrate_upgrade(2): give the target as text, e.g. "
       "migrate_upgrade('head'), migrate_upgrade('+1') for one step or "
       "migrate_upgrade('002') for a revision"},
      {"base", "SELECT migrate_upgrade()",
       "wrong number of arguments (0): use migrate_upgrade('head')"},
      {"base", "SELECT migrate_upgrade('head', 'x', 'y', 'z')",
       "wrong number of arguments (4): use migrate_upgrade('head')"},
      {"base", "SELECT migrate_downgrade()",
       "wrong number of arguments (0): use migrate_downgrade(-1) or "
       "migrate_downgrade('base')"},
      {"base", "SELECT migrate_current(1)",
       "wrong number of arguments (1): use migrate_current()"},
      {"base", "SELECT migrate_upgrade('+3')",
       "Relative revision +3 didn't produce 3 migrations: the database (at "
       "base) is only 2 steps below the head"},
      {"base", "SELECT migrate_upgrade('-1')",
       "migrate_upgrade('-1') would go down: use migrate_downgrade('-1')"},
      {"base", "SELECT migrate_upgrade('001_initial_schema+5')",
       "Relative revision 001_initial_schema+5 didn't produce 5 migrations: "
       "001_initial_schema is only 1 step below the head"},
      {"base", "SELECT migrate_downgrade('001')",
       "Destination 001_initial_schema is not below the current revision base "
       "(it is not applied here): migrate_downgrade only goes down; to go up, "
       "use migrate_upgrade('001_initial_schema')"},
      {"002", "SELECT migrate_downgrade(-3)",
       "Relative revision -3 didn't produce 3 migrations: the database (at "
       "002_add_invalid_responses) is only 2 steps above base"},
      {"002", "SELECT migrate_downgrade('-3')",
       "Relative revision -3 didn't produce 3 migrations: the database (at "
       "002_add_invalid_responses) is only 2 steps above base"},
      {"002", "SELECT migrate_downgrade('+1')",
       "migrate_downgrade('+1') would go up: use migrate_upgrade('+1')"},
      {"002", "SELECT migrate_downgrade(1.5)",
       "migrate_downgrade(1.5): a step count must be a whole number, as in "
       "migrate_downgrade(-1)"},
      {"002", "SELECT migrate_downgrade(NULL)",
       "migrate_downgrade(NULL): the target is NULL; give 'base', a revision "
       "id, or a relative step such as '-1'"},
      {"002", "SELECT migrate_stamp(NULL)",
       "migrate_stamp(NULL): the target is NULL; give 'head', 'base' or a revision id"},
      {"002", "SELECT migrate_upgrade('001')",
       "Destination 001_initial_schema is below the current revision "
       "002_add_invalid_responses: migrate_upgrade only goes up; to go down, "
       "use migrate_downgrade('001_initial_schema')"},
      {"002", "SELECT migrate_upgrade('base')",
       "Destination base is below the current revision "
       "002_add_invalid_responses: migrate_upgrade only goes up; to go down, "
       "use migrate_downgrade('base')"},
      {"001", "SELECT migrate_downgrade('002')",
       "Destination 002_add_invalid_responses is not below the current "
       "revision 001_initial_schema (it is not applied here): "
       "migrate_downgrade only goes down; to go up, use "
       "migrate_upgrade('002_add_invalid_responses')"},
      {"002", "SELECT migrate_stamp('head', 'force')",
       "migrate_stamp(target, option): the only option is 'purge', which "
       "replaces whatever alembic_version holds, as alembic stamp --purge"},
      {"002", "SELECT migrate_downgrade(-1) FROM questions",
       "migrate_downgrade() must be called on its own, as in SELECT "
       "migrate_downgrade(...); here it runs inside a statement that reads a "
       "table (or while another statement on this connection is still "
       "running), and SQLite cannot change the schema under an open cursor "
       "(\"database table is locked\")"},
      {"002", "SELECT migrate_upgrade('head') FROM alembic_version",
       "migrate_upgrade() must be called on its own, as in SELECT "
       "migrate_upgrade(...); here it runs inside a statement that reads a "
       "table (or while another statement on this connection is still "
       "running), and SQLite cannot change the schema under an open cursor "
       "(\"database table is locked\")"},
  };
  assert_refused(aCase, sizeof(aCase) / sizeof(aCase[0]));
}

/* More steps than the limit: not "a whole number", but the limit, how many
** revisions there are, and 'base' or 'head' for all the way. */
static void test_step_count_over_the_limit_is_named(void **state) {
  (void)state;
  static const BadCase aCase[] = {
      {"002", "SELECT migrate_downgrade(2000000)",
       "migrate_downgrade(2000000) asks for more steps than the limit of "
       "1000000, and this build's migration set has only 2 revisions; to go "
       "all the way down, use migrate_downgrade('base')"},
      {"002", "SELECT migrate_downgrade(-2000000)",
       "migrate_downgrade(-2000000) asks for more steps than the limit of "
       "1000000, and this build's migration set has only 2 revisions; to go "
       "all the way down, use migrate_downgrade('base')"},
      {"002", "SELECT migrate_downgrade(1e7)",
       "migrate_downgrade(10000000.0) asks for more steps than the limit of "
       "1000000, and this build's migration set has only 2 revisions; to go "
       "all the way down, use migrate_downgrade('base')"},
      {"002", "SELECT migrate_downgrade(1e999)",
       "migrate_downgrade(Inf) asks for more steps than the limit of 1000000, "
       "and this build's migration set has only 2 revisions; to go all the way "
       "down, use migrate_downgrade('base')"},
      {"002", "SELECT migrate_downgrade('-5000000')",
       "Relative revision -5000000 asks for more steps than the limit of "
       "1000000, and this build's migration set has only 2 revisions; to go "
       "all the way down, use 'base'"},
      {"base", "SELECT migrate_upgrade('+5000000')",
       "Relative revision +5000000 asks for more steps than the limit of "
       "1000000, and this build's migration set has only 2 revisions; to go "
       "all the way up, use 'head'"},
      /* Within the limit, a whole number that is too large says so. */
      {"002", "SELECT migrate_downgrade(1000000)",
       "Relative revision -1000000 didn't produce 1000000 migrations: the "
       "database (at 002_add_invalid_responses) is only 2 steps above base"},
  };
  assert_refused(aCase, sizeof(aCase) / sizeof(aCase[0]));
}

#define NOT_RELATIVE(z)                                                       \
  "'" z "' is not a valid relative revision: write +N or -N for N steps "     \
  "from the current revision, or REV+N or REV-N for N steps from revision "   \
  "REV, with N a whole number, as in '+1', '-1' or 'head-1'"

/* '+-1' was read as '+' minus one: "Can't locate revision identified by '+'". */
static void test_misplaced_sign_is_not_a_relative_revision(void **state) {
  (void)state;
  static const BadCase aCase[] = {
      {"001", "SELECT migrate_upgrade('+-1')", NOT_RELATIVE("+-1")},
      {"001", "SELECT migrate_upgrade('-+1')", NOT_RELATIVE("-+1")},
      {"001", "SELECT migrate_upgrade('+ 1')", NOT_RELATIVE("+ 1")},
      {"002", "SELECT migrate_downgrade('--1')", NOT_RELATIVE("--1")},
      {"002", "SELECT migrate_downgrade('-x')", NOT_RELATIVE("-x")},
      {"002", "SELECT migrate_stamp('001-')", NOT_RELATIVE("001-")},
      {"base", "SELECT * FROM migration_plan('+-1')", NOT_RELATIVE("+-1")},
  };
  assert_refused(aCase, sizeof(aCase) / sizeof(aCase[0]));
}

/* A blob was shown as its raw bytes with "give the target as text". */
static void test_blob_target_is_refused(void **state) {
  (void)state;
  static const BadCase aCase[] = {
      {"base", "SELECT migrate_upgrade(X'01')",
       "migrate_upgrade(X'01'): the target is a blob, and a revision target "
       "must be text, e.g. 'head' or a revision id"},
      {"002", "SELECT migrate_downgrade(X'6261736500')",
       "migrate_downgrade(X'6261736500'): the target is a blob, and a revision "
       "target must be text, e.g. 'base' or a revision id"},
      {"002", "SELECT migrate_stamp(X'')",
       "migrate_stamp(X''): the target is a blob, and a revision target must "
       "be text, e.g. 'head' or a revision id"},
      {"base", "SELECT migrate_upgrade(zeroblob(17))",
       "migrate_upgrade(X'00000000000000000000000000000000...'): the target "
       "is a blob, and a revision target must be text, e.g. 'head' or a "
       "revision id"},
      {"base", "SELECT * FROM migration_plan(X'68656164')",
       "migration_plan(X'68656164'): the target is a blob, and a revision "
       "target must be text, e.g. 'head' or a revision id"},
  };
  assert_refused(aCase, sizeof(aCase) / sizeof(aCase[0]));
}

/* Text with a NUL byte was cut there: 'head' NUL 'x' upgraded to head. */
static void test_target_with_a_nul_byte_is_refused(void **state) {
  (void)state;
  static const BadCase aCase[] = {
      {"base", "SELECT migrate_upgrade(CAST(X'6865616400' AS TEXT) || 'x')",
       "migrate_upgrade(): the target contains a NUL byte (after 'head'); a "
       "revision target is text without one, e.g. 'head' or a revision id"},
      {"002", "SELECT migrate_downgrade(CAST(X'62617365002B31' AS TEXT))",
       "migrate_downgrade(): the target contains a NUL byte (after 'base'); a "
       "revision target is text without one, e.g. 'base' or a revision id"},
      {"001", "SELECT migrate_stamp(CAST(X'00' AS TEXT) || 'head')",
       "migrate_stamp(): the target contains a NUL byte (first); a revision "
       "target is text without one, e.g. 'head' or a revision id"},
      {"base", "SELECT * FROM migration_plan(CAST(X'3030310078' AS TEXT))",
       "migration_plan(): the target contains a NUL byte (after '001'); a "
       "revision target is text without one, e.g. 'head' or a revision id"},
  };
  assert_refused(aCase, sizeof(aCase) / sizeof(aCase[0]));
}

/*
** migration_plan's argument is a revision, which is text: '001' is the prefix
** of 001_initial_schema, not the number 1. Declared without a type, the
** hidden column had NUMERIC affinity, and an IN list (compared through the
** column's affinity) handed the table 1: "Can't locate revision identified
** by '1'". The other tables take no arguments.
*/
static void test_plan_target_is_text(void **state) {
  (void)state;
  char *zDb = h_fresh("plan-text.db");
  sqlite3 *db = h_open(zDb, "");
  h_assert_text(db, "SELECT group_concat(revision) FROM migration_plan('001')",
                "001_initial_schema");
  h_assert_text(db,
                "SELECT group_concat(revision, ' ') FROM migration_plan "
                "WHERE target IN ('001', '002')",
                "001_initial_schema 001_initial_schema 002_add_invalid_responses");
  h_assert_text(db,
                "SELECT type FROM pragma_table_xinfo('migration_plan') "
                "WHERE name = 'target'",
                "TEXT");
  h_assert_text(db,
                "SELECT count(*) FROM pragma_table_xinfo('migration_history') "
                "WHERE hidden",
                "0");
  h_assert_text(db,
                "SELECT count(*) FROM pragma_table_xinfo('migration_drift') "
                "WHERE hidden",
                "0");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

/*
** A database at zAt whose alembic_version is made by hand (no NOT NULL, no
** primary key, as a careless script could leave it) and holds zValues.
*/
static char *db_with_version_rows(const char *zName, const char *zAt,
                                  const char *zValues) {
  char *zDb = h_fresh(zName);
  sqlite3 *db = h_open(zDb, "");
  char *zSql = sqlite3_mprintf(
      "SELECT migrate_upgrade('%s')", zAt);
  sqlite3_free(h_text(db, zSql));
  sqlite3_free(zSql);
  zSql = sqlite3_mprintf(
      "DROP TABLE alembic_version;"
      "CREATE TABLE alembic_version (version_num VARCHAR(32));"
      "INSERT INTO alembic_version VALUES %s",
      zValues);
  h_exec(db, zSql);
  sqlite3_free(zSql);
  sqlite3_close(db);
  return zDb;
}

/*
** zWant from everything that reads the version (migrate_current() too when
** bCurrent), the file unchanged; then zWayOut repairs it, as the message
** says, and migrate_current() is zAfter.
*/
static void assert_version_rows_named(const char *zDb, int bCurrent,
                                      const char *zWant, const char *zWayOut,
                                      const char *zAfter) {
  static const char *azCall[] = {
      "SELECT migrate_upgrade('head')", "SELECT migrate_downgrade(-1)",
      "SELECT migrate_stamp('head')", "SELECT * FROM migration_plan('head')",
      "SELECT migrate_sql('head')", "SELECT migrate_check()",
      "SELECT migrate_current()"};
  HFile before = h_file(zDb);
  sqlite3 *db = h_open(zDb, "");
  for (size_t i = 0; i < sizeof(azCall) / sizeof(azCall[0]) - !bCurrent; i++) {
    h_assert_error(db, azCall[i], zWant);
    assert_int_equal(sqlite3_get_autocommit(db), 1);
  }
  sqlite3_close(db);
  h_assert_file_unchanged(zDb, before);
  free(before.a);
  db = h_open(zDb, "");
  sqlite3_free(h_text(db, zWayOut));
  h_assert_text(db, "SELECT migrate_current()", zAfter);
  h_assert_text(db, "SELECT migrate_check()", "ok");
  sqlite3_close(db);
}

/* SPEC §6's sentence, what the table holds, and the stamp way out. */
static void test_unknown_version_is_refused(void **state) {
  (void)state;
  char *zDb = h_fresh("unknown.db");
  sqlite3 *db = h_open(zDb, "");
  sqlite3_free(h_text(db, "SELECT migrate_upgrade('head')"));
  h_exec(db, "UPDATE alembic_version SET version_num = '003_from_the_future'");
  HFile before = h_file(zDb);
  const char *zWant =
      "Can't locate revision identified by '003_from_the_future': the "
      "database is at a revision this build of distmigrate does not know (a "
      "newer build migrated it?); alembic_version holds '003_from_the_future'; "
      "load the distmigrate that carries '003_from_the_future', or, if the "
      "schema is at a revision this build knows, record that with SELECT "
      "migrate_stamp('<rev>', 'purge')";
  h_assert_error(db, "SELECT migrate_upgrade('head')", zWant);
  h_assert_error(db, "SELECT migrate_downgrade(-1)", zWant);
  h_assert_error(db, "SELECT migrate_stamp('head')", zWant);
  /* Reading still works: current says what is stored, history what we know. */
  h_assert_text(db, "SELECT migrate_current()", "003_from_the_future");
  h_assert_text(db, "SELECT count(*) FROM migration_history WHERE applied IS NULL", "2");
  sqlite3_close(db);
  h_assert_file_unchanged(zDb, before);
  free(before.a);
  /* stamp ... 'purge' is the way out, as alembic stamp --purge. */
  db = h_open(zDb, "");
  h_assert_text(db, "SELECT migrate_stamp('head', 'purge')", zHead);
  h_assert_text(db, "SELECT group_concat(version_num) FROM alembic_version", zHead);
  h_assert_text(db,
                "SELECT from_version || ' -> ' || to_version FROM distmigrate_log "
                "WHERE direction = 'stamp'",
                "003_from_the_future -> 002_add_invalid_responses");
  sqlite3_close(db);
  sqlite3_free(zDb);
  /* Beside a known row, the unknown one is named and both are listed. */
  zDb = db_with_version_rows("unknown2.db", "002",
                             "('002_add_invalid_responses'), ('003_from_the_future')");
  assert_version_rows_named(
      zDb, 0,
      "Can't locate revision identified by '003_from_the_future': the "
      "database is at a revision this build of distmigrate does not know (a "
      "newer build migrated it?); alembic_version holds "
      "'002_add_invalid_responses', '003_from_the_future'; load the "
      "distmigrate that carries '003_from_the_future', or, if the schema is at "
      "a revision this build knows, record that with SELECT "
      "migrate_stamp('<rev>', 'purge')",
      "SELECT migrate_stamp('002', 'purge')", zHead);
  sqlite3_free(zDb);
}

static void test_contradictory_version_rows_are_refused(void **state) {
  (void)state;
  char *zDb = h_fresh("rows.db");
  sqlite3 *db = h_open(zDb, "");
  sqlite3_free(h_text(db, "SELECT migrate_upgrade('head')"));
  h_exec(db, "INSERT INTO alembic_version VALUES ('001_initial_schema')");
  sqlite3_close(db);
  assert_version_rows_named(
      zDb, 0,
      "alembic_version holds '002_add_invalid_responses', "
      "'001_initial_schema', but '001_initial_schema' is an ancestor of "
      "'002_add_invalid_responses', so the table is inconsistent; if the "
      "schema is at '002_add_invalid_responses', repair it with SELECT "
      "migrate_stamp('002_add_invalid_responses', 'purge')",
      "SELECT migrate_stamp('002_add_invalid_responses', 'purge')", zHead);
  sqlite3_free(zDb);
}

/* The same row twice, on a linear history: it was blamed on a migration. */
static void test_version_row_twice_is_named(void **state) {
  (void)state;
  char *zDb = db_with_version_rows("twice.db", "001",
                                   "('001_initial_schema'), ('001_initial_schema')");
  assert_version_rows_named(
      zDb, 0,
      "alembic_version holds '001_initial_schema', '001_initial_schema': "
      "'001_initial_schema' twice, which Alembic never writes (the table has "
      "lost its primary key?); if the schema is at '001_initial_schema', "
      "repair it with SELECT migrate_stamp('001_initial_schema', 'purge')",
      "SELECT migrate_stamp('001_initial_schema', 'purge')", "001_initial_schema");
  sqlite3_free(zDb);
}

/* A NULL row was skipped: alone, the database looked like base, and
** migrate_upgrade('head') failed in 001 on "table questions already exists". */
static void test_null_version_row_is_named(void **state) {
  (void)state;
  char *zDb = db_with_version_rows("null.db", "002", "(NULL)");
  assert_version_rows_named(
      zDb, 1,
      "alembic_version holds NULL: a row with no revision (NULL), which "
      "Alembic never writes; record the revision the schema is at with SELECT "
      "migrate_stamp('<rev>', 'purge'), or SELECT migrate_stamp('base', "
      "'purge') if it is at base",
      "SELECT migrate_stamp('002', 'purge')", zHead);
  sqlite3_free(zDb);
  zDb = db_with_version_rows("null2.db", "002",
                             "('002_add_invalid_responses'), (NULL)");
  assert_version_rows_named(
      zDb, 1,
      "alembic_version holds '002_add_invalid_responses', NULL: a row with no "
      "revision (NULL), which Alembic never writes; if the schema is at "
      "'002_add_invalid_responses', repair it with SELECT "
      "migrate_stamp('002_add_invalid_responses', 'purge')",
      "SELECT migrate_stamp('002_add_invalid_responses', 'purge')", zHead);
  sqlite3_free(zDb);
}

/* Someone created a table by hand: 001 fails, names itself and the statement. */
static void test_table_made_by_hand_fails_cleanly(void **state) {
  (void)state;
  char *zDb = h_fresh("byhand.db");
  sqlite3 *db = h_open(zDb, "");
  h_exec(db, "CREATE TABLE responses (id INTEGER PRIMARY KEY, note TEXT)");
  HFile before = h_file(zDb);
  h_assert_error(db, "SELECT migrate_upgrade('head')",
                 "upgrade <base> -> 001_initial_schema failed: table responses "
                 "already exists\n"
                 "  at sql/versions/001_initial_schema.sql:25: CREATE TABLE "
                 "responses ( id INTEGER NOT NULL, question_id INTEGER NOT NULL, "
                 "model_name VARCHAR(100) NOT NULL, model_config TEXT NOT NULL, "
                 "reasoning TEXT, answer ...\n"
                 "  the run was rolled back: the database is still at base");
  h_assert_text(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'questions'", "0");
  sqlite3_close(db);
  h_assert_file_unchanged(zDb, before);
  free(before.a);
  sqlite3_free(zDb);
}

/* ---- all or nothing ---------------------------------------------------- */

static void test_failing_migration_rolls_back_the_whole_run(void **state) {
  (void)state;
  char *zDb = h_fresh("failing.db");
  sqlite3 *db = h_open(zDb, "failing");
  HFile before = h_file(zDb);
  h_assert_error(db, "SELECT migrate_upgrade('head')",
                 "upgrade f1_ok -> f2_breaks failed: no such table: missing_table\n"
                 "  at tests/fixtures/failing/f2_breaks.sql:11: INSERT INTO "
                 "missing_table (x) VALUES (1);\n"
                 "  the run was rolled back: the database is still at base");
  /* f1 ran in the same transaction: it is gone too. */
  h_assert_text(db, "SELECT count(*) FROM sqlite_schema", "0");
  assert_int_equal(sqlite3_get_autocommit(db), 1);
  sqlite3_close(db);
  h_assert_file_unchanged(zDb, before);
  free(before.a);

  /* From f1: the version stays at f1, f1's data is untouched. */
  db = h_open(zDb, "failing");
  h_assert_text(db, "SELECT migrate_upgrade('+1')", "f1_ok");
  h_assert_error(db, "SELECT migrate_upgrade('head')",
                 "upgrade f1_ok -> f2_breaks failed: no such table: missing_table\n"
                 "  at tests/fixtures/failing/f2_breaks.sql:11: INSERT INTO "
                 "missing_table (x) VALUES (1);\n"
                 "  the run was rolled back: the database is still at f1_ok");
  h_assert_text(db, "SELECT migrate_current()", "f1_ok");
  h_assert_text(db, "SELECT group_concat(x) FROM t1", "1,2,3");
  h_assert_text(db, "SELECT count(*) FROM sqlite_schema WHERE name IN ('t2', 't3')", "0");
  h_assert_text(db, "SELECT count(*) FROM distmigrate_log", "1");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

static void test_migration_that_commits_is_refused(void **state) {
  (void)state;
  char *zDb = h_fresh("commit.db");
  sqlite3 *db = h_open(zDb, "commit_inside");
  h_assert_error(db, "SELECT migrate_upgrade('head')",
                 "upgrade <base> -> x1_commits failed: a migration must not "
                 "control the transaction (BEGIN, COMMIT, END, ROLLBACK, SAVEPOINT, "
                 "RELEASE): distmigrate runs the whole run as one transaction and "
                 "ends it itself; remove the statement\n"
                 "  at tests/fixtures/commit_inside/x1_commits.sql:9: COMMIT;\n"
                 "  the run was rolled back: the database is still at base");
  h_assert_text(db, "SELECT count(*) FROM sqlite_schema", "0");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

static void test_migration_calling_distmigrate_is_refused(void **state) {
  (void)state;
  char *zDb = h_fresh("reenter.db");
  sqlite3 *db = h_open(zDb, "reentrant");
  int rc = 0;
  char *zErr = h_error(db, "SELECT migrate_upgrade('head')", &rc);
  assert_string_equal(zErr,
                      "upgrade <base> -> r1_reenters failed: migrate_downgrade() "
                      "cannot run inside a migration: a migration's SQL must not "
                      "call distmigrate's functions\n"
                      "  at tests/fixtures/reentrant/r1_reenters.sql:9: SELECT "
                      "migrate_downgrade('base');\n"
                      "  the run was rolled back: the database is still at base");
  sqlite3_free(zErr);
  h_assert_text(db, "SELECT count(*) FROM sqlite_schema", "0");
  /* Nothing stays locked: the connection migrates fine afterwards. */
  sqlite3_close(db);
  db = h_open(zDb, "");
  h_assert_text(db, "SELECT migrate_upgrade('head')", zHead);
  sqlite3_close(db);
  sqlite3_free(zDb);
}

/* ---- inside the caller's transaction ---------------------------------- */

static void test_inside_caller_transaction_uses_a_savepoint(void **state) {
  (void)state;
  char *zDb = h_fresh("savepoint.db");
  sqlite3 *db = h_open(zDb, "");
  /* Rolled back with the caller's transaction. */
  h_exec(db, "BEGIN");
  h_assert_text(db, "SELECT migrate_upgrade('head')", zHead);
  assert_int_equal(sqlite3_get_autocommit(db), 0);
  h_exec(db, "ROLLBACK");
  h_assert_text(db, "SELECT count(*) FROM sqlite_schema", "0");
  /* Committed with it. */
  h_exec(db, "BEGIN; CREATE TABLE mine (x); INSERT INTO mine VALUES (42);");
  h_assert_text(db, "SELECT migrate_upgrade('head')", zHead);
  h_exec(db, "COMMIT");
  h_assert_text(db, "SELECT migrate_current()", zHead);
  h_assert_text(db, "SELECT x FROM mine", "42");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

static void test_failure_inside_caller_transaction_keeps_callers_work(void **state) {
  (void)state;
  char *zDb = h_fresh("savepoint-fail.db");
  sqlite3 *db = h_open(zDb, "failing");
  h_exec(db, "BEGIN; CREATE TABLE mine (x); INSERT INTO mine VALUES (42);");
  char *zErr = h_error(db, "SELECT migrate_upgrade('head')", 0);
  sqlite3_free(zErr);
  /* The caller's transaction is still open and still holds its work... */
  assert_int_equal(sqlite3_get_autocommit(db), 0);
  h_assert_text(db, "SELECT x FROM mine", "42");
  h_assert_text(db, "SELECT count(*) FROM sqlite_schema WHERE name LIKE 't%'", "0");
  /* ...and no savepoint of ours is left behind. */
  h_assert_error(db, "RELEASE distmigrate", "no such savepoint: distmigrate");
  h_exec(db, "COMMIT");
  h_assert_text(db, "SELECT x FROM mine", "42");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

/* ---- bookkeeping --------------------------------------------------------- */

static void test_log_records_each_step(void **state) {
  (void)state;
  char *zDb = h_fresh("log.db");
  sqlite3 *db = h_open(zDb, "");
  sqlite3_free(h_text(db, "SELECT migrate_upgrade('head')"));
  sqlite3_free(h_text(db, "SELECT migrate_downgrade(-1)"));
  h_assert_text(db,
                "SELECT group_concat(revision || ' ' || direction || ' ' || "
                "coalesce(from_version, '<base>') || ' -> ' || "
                "coalesce(to_version, '<base>'), '; ') FROM "
                "(SELECT * FROM distmigrate_log ORDER BY id)",
                "001_initial_schema upgrade <base> -> 001_initial_schema; "
                "002_add_invalid_responses upgrade 001_initial_schema -> "
                "002_add_invalid_responses; 002_add_invalid_responses downgrade "
                "002_add_invalid_responses -> 001_initial_schema");
  /* Checksums are the compiled-in ones, times and durations are sane. */
  h_assert_text(db,
                "SELECT count(*) FROM distmigrate_log l JOIN migration_history h "
                "ON h.revision = l.revision WHERE l.checksum = h.checksum "
                "AND length(l.checksum) = 64 AND l.duration_ms >= 0 "
                "AND l.started_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] "
                "[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]' "
                "AND julianday(l.started_at) BETWEEN julianday('now', '-1 minute') "
                "AND julianday('now', '+1 minute')",
                "3");
  /* Durations are milliseconds rounded to the microsecond (3 decimals), as
  ** the offline script rounds its own; REAL, as the column is declared. */
  sqlite3_free(h_text(db, "SELECT migrate_stamp('head')"));
  h_assert_text(db,
                "SELECT count(*) FROM distmigrate_log WHERE typeof(duration_ms) = 'real' "
                "AND duration_ms = round(duration_ms, 3) "
                "AND CAST(duration_ms AS TEXT) NOT GLOB '*.[0-9][0-9][0-9][0-9]*'",
                "4");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

static void test_stamp_sets_the_version_and_runs_nothing(void **state) {
  (void)state;
  char *zDb = h_fresh("stamp.db");
  sqlite3 *db = h_open(zDb, "");
  h_assert_text(db, "SELECT migrate_stamp('001')", "001_initial_schema");
  h_assert_text(db,
                "SELECT group_concat(name) FROM sqlite_schema WHERE type = 'table'",
                "alembic_version,distmigrate_log");
  h_assert_text(db, "SELECT migrate_stamp('head')", zHead);
  h_assert_text(db, "SELECT group_concat(version_num) FROM alembic_version", zHead);
  h_assert_text(db, "SELECT migrate_stamp('base')", "NULL");
  h_assert_text(db, "SELECT count(*) FROM alembic_version", "0");
  h_assert_text(db,
                "SELECT group_concat(coalesce(to_version, '<base>'), ', ') FROM "
                "(SELECT to_version FROM distmigrate_log WHERE direction = 'stamp' "
                "ORDER BY id)",
                "001_initial_schema, 002_add_invalid_responses, <base>");
  /* A stamp runs no migration: no revision, no checksum (README). */
  h_assert_text(db,
                "SELECT count(*) || '|' || count(revision) || '|' || count(checksum) "
                "FROM distmigrate_log WHERE direction = 'stamp'",
                "3|0|0");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

static void test_history_lists_revisions_newest_first(void **state) {
  (void)state;
  char *zDb = h_fresh("history.db");
  sqlite3 *db = h_open(zDb, "");
  h_assert_text(db,
                "SELECT group_concat(revision || '|' || coalesce(parents, '') || "
                "'|' || message || '|' || create_date || '|' || is_head || "
                "is_base || is_branch_point || is_merge || '|' || applied || "
                "'|' || coalesce(applied_at, 'NULL') || '|' || file, ' / ') "
                "FROM migration_history",
                "002_add_invalid_responses|001_initial_schema|Add invalid_responses "
                "table|2024-01-01 11:00:00.000000|1000|0|NULL|"
                "sql/versions/002_add_invalid_responses.sql / 001_initial_schema||"
                "Create initial database schema|2024-01-01 10:00:00.000000|0100|0|"
                "NULL|sql/versions/001_initial_schema.sql");
  sqlite3_free(h_text(db, "SELECT migrate_upgrade('+1')"));
  h_assert_text(db,
                "SELECT group_concat(revision || '=' || applied || "
                "iif(applied_at IS NULL, '', '@'), ' ') FROM migration_history",
                "002_add_invalid_responses=0 001_initial_schema=1@");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

/* ---- foreign keys, locks, read-only --------------------------------------- */

static void test_callers_foreign_key_setting_is_restored(void **state) {
  (void)state;
  char *zDb = h_fresh("fk.db");
  sqlite3 *db = h_open(zDb, "");
  h_exec(db, "PRAGMA foreign_keys = ON");
  h_assert_text(db, "SELECT migrate_upgrade('head')", zHead);
  h_assert_text(db, "PRAGMA foreign_keys", "1");
  char *zErr = h_error(db, "SELECT migrate_upgrade('nope')", 0);
  sqlite3_free(zErr);
  h_assert_text(db, "PRAGMA foreign_keys", "1");
  h_exec(db, "PRAGMA foreign_keys = OFF");
  h_assert_text(db, "SELECT migrate_downgrade('base')", "NULL");
  h_assert_text(db, "PRAGMA foreign_keys", "0");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

static void test_busy_database_errors_and_connection_stays_usable(void **state) {
  (void)state;
  char *zDb = h_fresh("busy.db");
  sqlite3 *db = h_open(zDb, "");
  sqlite3 *other = h_open(zDb, 0);
  h_exec(other, "BEGIN IMMEDIATE; CREATE TABLE theirs (x);");
  h_exec(db, "PRAGMA busy_timeout = 50");
  int rc = 0;
  char *zErr = h_error(db, "SELECT migrate_upgrade('head')", &rc);
  assert_string_equal(zErr,
                      "migrate_upgrade(): database is locked: another connection "
                      "is writing to it (waited 50 ms, this connection's busy "
                      "timeout); try again, or wait longer with PRAGMA "
                      "busy_timeout = 10000");
  assert_int_equal(rc & 0xff, SQLITE_BUSY);
  sqlite3_free(zErr);
  assert_int_equal(sqlite3_get_autocommit(db), 1);
  h_exec(other, "COMMIT");
  h_assert_text(db, "SELECT migrate_upgrade('head')", zHead);
  sqlite3_close(other);
  sqlite3_close(db);
  sqlite3_free(zDb);
}

static void test_read_only_database_errors(void **state) {
  (void)state;
  char *zDb = h_fresh("readonly.db");
  sqlite3 *db = h_open(zDb, "");
  h_exec(db, "CREATE TABLE t(x)");
  sqlite3_close(db);
  HFile before = h_file(zDb);
  db = h_open_flags(zDb, "", SQLITE_OPEN_READONLY);
  int rc = 0;
  char *zErr = h_error(db, "SELECT migrate_upgrade('head')", &rc);
  assert_string_equal(zErr,
                      "migrate_upgrade(): the database is read-only (attempt to "
                      "write a readonly database); migrating writes to it: open it "
                      "read-write, as a user who may write the file and its "
                      "directory");
  assert_int_equal(rc & 0xff, SQLITE_READONLY);
  sqlite3_free(zErr);
  h_assert_text(db, "SELECT count(*) FROM t", "0");
  sqlite3_close(db);
  h_assert_file_unchanged(zDb, before);
  free(before.a);
  sqlite3_free(zDb);
}

/* ---- a longer chain: tricky SQL, stairway -------------------------------- */

static void test_chain_with_triggers_strings_and_comments(void **state) {
  (void)state;
  char *zDb = h_fresh("chain.db");
  sqlite3 *db = h_open(zDb, "chain");
  h_assert_text(db, "SELECT migrate_upgrade('head')", "c5_item_names");
  h_assert_text(db, "SELECT group_concat(id || ':' || name || ':' || price, ' | ') FROM items",
                "1:semi;colon:100 | 2:it's -- not a comment:200 | 3:after the trigger:300");
  h_assert_text(db, "SELECT group_concat(item_id || ':' || note) FROM item_audit",
                "3:added; by trigger;");
  h_assert_text(db, "SELECT group_concat(name, ',') FROM item_names",
                "semi;colon,it's -- not a comment,after the trigger");
  h_assert_text(db, "PRAGMA integrity_check", "ok");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

/*
** The stairway: for every revision, up one, down one, up one; the schema
** after the second up is the schema after the first.
*/
static void stairway(const char *zSet, int nRev) {
  char *zDb = h_fresh("stairway.db");
  sqlite3 *db = h_open(zDb, zSet);
  /* Start with the (empty) version table, which a downgrade leaves. */
  h_assert_text(db, "SELECT migrate_stamp('base')", "NULL");
  for (int i = 0; i < nRev; i++) {
    char *zBefore = h_schema(db);
    sqlite3_free(h_text(db, "SELECT migrate_upgrade('+1')"));
    char *zUp = h_schema(db);
    char *zVersion = h_text(db, "SELECT migrate_current()");
    sqlite3_free(h_text(db, "SELECT migrate_downgrade(-1)"));
    char *zDown = h_schema(db);
    if (strcmp(zBefore, zDown) != 0) {
      fail_msg("%s: down from %s does not restore the schema\n--- before:\n%s\n--- after:\n%s",
               zSet, zVersion, zBefore, zDown);
    }
    sqlite3_free(h_text(db, "SELECT migrate_upgrade('+1')"));
    char *zUpAgain = h_schema(db);
    if (strcmp(zUp, zUpAgain) != 0) {
      fail_msg("%s: %s up again differs\n--- first:\n%s\n--- again:\n%s", zSet,
               zVersion, zUp, zUpAgain);
    }
    h_assert_text(db, "PRAGMA integrity_check", "ok");
    sqlite3_free(zBefore);
    sqlite3_free(zUp);
    sqlite3_free(zDown);
    sqlite3_free(zUpAgain);
    sqlite3_free(zVersion);
  }
  char *zPastHead = h_text(db,
      "SELECT 'Relative revision +1 didn''t produce 1 migrations: the database "
      "(at ' || migrate_current() || ') is only 0 steps below the head'");
  h_assert_error(db, "SELECT migrate_upgrade('+1')", zPastHead);
  sqlite3_free(zPastHead);
  sqlite3_close(db);
  sqlite3_free(zDb);
}

static void test_stairway_shipped_set(void **state) {
  (void)state;
  stairway("", 2);
}

static void test_stairway_chain(void **state) {
  (void)state;
  stairway("chain", 5);
}

/* ---- a merge ------------------------------------------------------------- */

static void test_version_rows_through_a_branch_and_merge(void **state) {
  (void)state;
  char *zDb = h_fresh("graph.db");
  sqlite3 *db = h_open(zDb, "graph");
  const char *zRows = "SELECT group_concat(version_num, ',') FROM "
                      "(SELECT version_num FROM alembic_version ORDER BY 1)";
  h_assert_text(db, "SELECT migrate_upgrade('g2a')", "g2a_left");
  h_assert_text(db, zRows, "g2a_left");
  h_assert_text(db, "SELECT migrate_upgrade('g2b')", "g2a_left, g2b_right");
  h_assert_text(db, zRows, "g2a_left,g2b_right");
  h_assert_text(db, "SELECT migrate_upgrade('g3')", "g3_merge");
  h_assert_text(db, zRows, "g3_merge");
  h_assert_text(db, "SELECT migrate_upgrade('head')", "g4_after");
  h_assert_text(db, "SELECT migrate_downgrade('g2a')", "g2a_left, g2b_right");
  h_assert_text(db, zRows, "g2a_left,g2b_right");
  h_assert_text(db, "SELECT migrate_downgrade('g1')", "g1_base");
  h_assert_text(db, zRows, "g1_base");
  h_assert_text(db, "SELECT count(*) FROM sqlite_schema WHERE name GLOB 'g[234]*'", "0");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_load_registers_exactly_these_functions),
      cmocka_unit_test(test_writing_functions_are_direct_only),
      cmocka_unit_test(test_loading_writes_nothing),
      cmocka_unit_test(test_upgrade_head_gives_alembics_schema),
      cmocka_unit_test(test_each_revision_and_back_gives_alembics_schema),
      cmocka_unit_test(test_schema_without_version_gets_the_stamp_hint),
      cmocka_unit_test(test_target_forms),
      cmocka_unit_test(test_bad_input_errors_and_changes_nothing),
      cmocka_unit_test(test_show_gives_alembics_header_and_the_sql),
      cmocka_unit_test(test_step_count_over_the_limit_is_named),
      cmocka_unit_test(test_misplaced_sign_is_not_a_relative_revision),
      cmocka_unit_test(test_blob_target_is_refused),
      cmocka_unit_test(test_target_with_a_nul_byte_is_refused),
      cmocka_unit_test(test_plan_target_is_text),
      cmocka_unit_test(test_unknown_version_is_refused),
      cmocka_unit_test(test_contradictory_version_rows_are_refused),
      cmocka_unit_test(test_version_row_twice_is_named),
      cmocka_unit_test(test_null_version_row_is_named),
      cmocka_unit_test(test_table_made_by_hand_fails_cleanly),
      cmocka_unit_test(test_failing_migration_rolls_back_the_whole_run),
      cmocka_unit_test(test_migration_that_commits_is_refused),
      cmocka_unit_test(test_migration_calling_distmigrate_is_refused),
      cmocka_unit_test(test_inside_caller_transaction_uses_a_savepoint),
      cmocka_unit_test(test_failure_inside_caller_transaction_keeps_callers_work),
      cmocka_unit_test(test_log_records_each_step),
      cmocka_unit_test(test_stamp_sets_the_version_and_runs_nothing),
      cmocka_unit_test(test_history_lists_revisions_newest_first),
      cmocka_unit_test(test_callers_foreign_key_setting_is_restored),
      cmocka_unit_test(test_busy_database_errors_and_connection_stays_usable),
      cmocka_unit_test(test_read_only_database_errors),
      cmocka_unit_test(test_chain_with_triggers_strings_and_comments),
      cmocka_unit_test(test_stairway_shipped_set),
      cmocka_unit_test(test_stairway_chain),
      cmocka_unit_test(test_version_rows_through_a_branch_and_merge),
  };
  printf("distmigrate integration tests on SQLite %s\n", sqlite3_libversion());
  return cmocka_run_group_tests(tests, 0, 0);
}
