/*
** Branches, merges, labels and dependencies, through real connections
** loading build/fixtures/branches/distmigrate.so, and the generator's checks
** of such sets.
**
** The fixture (tests/fixtures/branches/), one table or view per revision:
**
**                   left
**   br_base --> br_left1 --> br_left2 --.
**        \          ^                    >--> br_merge --> br_after  (head)
**         \         : depends on        /
**          `--> br_right1 --> br_right2 -'
**               right  ^
**                      : depends on
**   net1 ------------> net2                                          (head)
**                      net
**
** The expected rows and tables are written from Alembic's documentation,
** the "Working with Branches" chapter (branches.rst) and "Relative
** Migration Identifiers" / "Partial Revision Identifiers" (tutorial.rst),
** quoted beside each group. Where the documentation says nothing (stamps
** across branches, a downgrade whose target has several next revisions)
** they follow Alembic 1.8's code (alembic/script/revision.py), and
** tests/python/test_alembic_branches.py runs every form here against the
** real Alembic. Where distmigrate deliberately differs from Alembic, the
** case says so.
*/
#include "harness.h"

static const char *zSet = "branches";

/* The version rows, sorted, and the tables and views, sorted. */
static const char *zRowsSql =
    "SELECT coalesce(group_concat(version_num, ','), '') FROM "
    "(SELECT version_num FROM alembic_version ORDER BY 1)";
static const char *zTablesSql =
    "SELECT coalesce(group_concat(name, ' '), '') FROM (SELECT name FROM "
    "sqlite_schema WHERE type IN ('table', 'view') AND name NOT IN "
    "('alembic_version', 'distmigrate_log') ORDER BY name)";

#define ALL_TABLES "after_t base_t left1 left2 merged net1 net2 right1 right2"
#define HEADS_RESULT "net2, br_after"

/* The fixture's objects as its migrations create them, in an order that
** works, to build the schema a case expects. */
static const struct {
  const char *zName;
  const char *zSql;
} aObject[] = {
    {"base_t", "CREATE TABLE base_t (id INTEGER PRIMARY KEY)"},
    {"left1", "CREATE TABLE left1 (id INTEGER PRIMARY KEY)"},
    {"left2", "CREATE TABLE left2 (id INTEGER PRIMARY KEY)"},
    {"right1", "CREATE TABLE right1 (id INTEGER PRIMARY KEY)"},
    {"right2",
     "CREATE TABLE right2 (id INTEGER PRIMARY KEY, left1_id INTEGER "
     "REFERENCES left1 (id))"},
    {"merged",
     "CREATE VIEW merged AS SELECT left2.id AS left_id, right2.id AS right_id "
     "FROM left2, right2"},
    {"after_t", "CREATE TABLE after_t (id INTEGER PRIMARY KEY)"},
    {"net1", "CREATE TABLE net1 (id INTEGER PRIMARY KEY)"},
    {"net2",
     "CREATE TABLE net2 (id INTEGER PRIMARY KEY, right1_id INTEGER "
     "REFERENCES right1 (id))"},
};

/* The normalised schema of a database holding alembic_version and the
** objects zTables names. */
static char *expected_schema(const char *zTables) {
  sqlite3 *db = h_open(":memory:", 0);
  h_exec(db,
         "CREATE TABLE alembic_version (\n"
         "\tversion_num VARCHAR(32) NOT NULL, \n"
         "\tCONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n"
         ")");
  for (size_t i = 0; i < sizeof(aObject) / sizeof(aObject[0]); i++) {
    char *zPadded = sqlite3_mprintf(" %s ", zTables);
    char *zName = sqlite3_mprintf(" %s ", aObject[i].zName);
    if (strstr(zPadded, zName)) h_exec(db, aObject[i].zSql);
    sqlite3_free(zPadded);
    sqlite3_free(zName);
  }
  char *z = h_schema(db);
  sqlite3_close(db);
  return z;
}

/* Run each ';'-separated call of zCalls (e.g. "upgrade heads; downgrade
** left@-1") through migrate_<verb>(), failing the test on an error. */
static void run_calls(sqlite3 *db, const char *zCalls) {
  char *zCopy = sqlite3_mprintf("%s", zCalls);
  for (char *z = strtok(zCopy, ";"); z; z = strtok(0, ";")) {
    while (*z == ' ') z++;
    char *zSpace = strchr(z, ' ');
    if (!zSpace) fail_msg("bad call '%s'", z);
    *zSpace = 0;
    char *zSql = sqlite3_mprintf("SELECT migrate_%s(%Q)", z, zSpace + 1);
    sqlite3_free(h_text(db, zSql));
    sqlite3_free(zSql);
  }
  sqlite3_free(zCopy);
}

typedef struct Case Case;
struct Case {
  const char *zStart;   /* Calls that make the starting state ("" for none) */
  const char *zCall;    /* The call under test, "verb target" */
  const char *zResult;  /* What it returns ("NULL" at base) */
  const char *zRows;    /* alembic_version afterwards, sorted, ','-joined */
  const char *zTables;  /* Tables and views afterwards, sorted */
};

static void run_cases(const Case *aCase, size_t nCase) {
  for (size_t i = 0; i < nCase; i++) {
    const Case *p = &aCase[i];
    char *zDb = h_fresh("branches.db");
    sqlite3 *db = h_open(zDb, zSet);
    run_calls(db, p->zStart);
    char *zSpace = strchr(p->zCall, ' ');
    char *zSql = sqlite3_mprintf("SELECT migrate_%.*s(%Q)", (int)(zSpace - p->zCall),
                                 p->zCall, zSpace + 1);
    char *zGot = h_text(db, zSql);
    char *zRows = h_text(db, zRowsSql);
    char *zTables = h_text(db, zTablesSql);
    if (strcmp(zGot, p->zResult) || strcmp(zRows, p->zRows) ||
        strcmp(zTables, p->zTables)) {
      fail_msg("from [%s] %s\n  gave:  %s | rows %s | %s\n  want:  %s | rows %s | %s",
               p->zStart, p->zCall, zGot, zRows, zTables, p->zResult, p->zRows,
               p->zTables);
    }
    /* The schema is exactly those objects' and alembic_version's. */
    char *zWantSchema = expected_schema(p->zTables);
    char *zSchema = h_schema(db);
    if (strcmp(zSchema, zWantSchema) != 0) {
      fail_msg("from [%s] %s: schema\n%s\nwant\n%s", p->zStart, p->zCall, zSchema,
               zWantSchema);
    }
    sqlite3_free(zSchema);
    sqlite3_free(zWantSchema);
    /* migrate_current() reads the rows back as migrate_* reported them. */
    char *zCurrent = h_text(db, "SELECT coalesce(migrate_current(), 'NULL')");
    if (strcmp(zCurrent, p->zResult)) {
      fail_msg("from [%s] %s: migrate_current() gave %s, want %s", p->zStart,
               p->zCall, zCurrent, p->zResult);
    }
    assert_int_equal(sqlite3_get_autocommit(db), 1);
    h_assert_text(db, "PRAGMA integrity_check", "ok");
    sqlite3_free(zCurrent);
    sqlite3_free(zGot);
    sqlite3_free(zRows);
    sqlite3_free(zTables);
    sqlite3_free(zSql);
    sqlite3_close(db);
    sqlite3_free(zDb);
  }
}

/* ---- the graph as `alembic heads` and `alembic history` show it --------- */

/* migrate_show()'s header up to the up section. */
#define SHOW_HEADER(zRev)                                              \
  "SELECT substr(s, 1, instr(s, '-- migrate:up') - 1) FROM (SELECT " \
  "migrate_show('" zRev "') AS s)"

/* alembic show's marks and lines for a branch point, a merge, a
** dependency and labels; 'heads' shows each head; a branch form works. */
static void test_show_marks_branch_points_merges_and_dependencies(void **state) {
  (void)state;
  sqlite3 *db = h_open(":memory:", zSet);
  h_assert_text(db, SHOW_HEADER("br_base"),
                "Rev: br_base (branchpoint)\n"
                "Parent: <base>\n"
                "Branches into: br_left1, br_right1\n"
                "Path: tests/fixtures/branches/b0_base.sql\n"
                "\n"
                "    Shared base of the left and right branches\n"
                "\n"
                "    Revision ID: br_base\n"
                "    Revises:\n"
                "    Create Date: 2024-05-01 10:00:00.000000\n"
                "\n");
  h_assert_text(db, SHOW_HEADER("br_merge"),
                "Rev: br_merge (mergepoint)\n"
                "Merges: br_left2, br_right2\n"
                "Branch names: left, right\n"
                "Path: tests/fixtures/branches/m1_merge.sql\n"
                "\n"
                "    Merge left and right\n"
                "\n"
                "    Revision ID: br_merge\n"
                "    Revises: br_left2, br_right2\n"
                "    Create Date: 2024-05-01 13:00:00.000000\n"
                "\n");
  h_assert_text(db, SHOW_HEADER("right@br_right2"),
                "Rev: br_right2\n"
                "Parent: br_right1\n"
                "Also depends on: br_left1\n"
                "Branch names: right\n"
                "Path: tests/fixtures/branches/r2_right.sql\n"
                "\n"
                "    Right needs left1's table\n"
                "\n"
                "    Revision ID: br_right2\n"
                "    Revises: br_right1\n"
                "    Create Date: 2024-05-01 12:10:00.000000\n"
                "\n");
  h_assert_text(db,
                "WITH RECURSIVE line(l, rest) AS (SELECT '', migrate_show('heads') || "
                "char(10) UNION ALL SELECT substr(rest, 1, instr(rest, char(10)) - 1), "
                "substr(rest, instr(rest, char(10)) + 1) FROM line WHERE rest != '') "
                "SELECT group_concat(l, '; ') FROM line WHERE l GLOB 'Rev: *'",
                "Rev: net2 (head); Rev: br_after (head)");
  h_assert_text(db, "SELECT migrate_show('net@head') GLOB 'Rev: net2 (head)*'", "1");
  /* Only the branch's own revisions are suggested. */
  h_assert_error(db, "SELECT migrate_show('left@br_rigth2')",
                 "Can't locate revision identified by 'br_rigth2' on branch 'left'");
  h_assert_error(db, "SELECT migrate_show('right@br_rigth2')",
                 "Can't locate revision identified by 'br_rigth2' on branch 'right'; "
                 "did you mean br_right2 or br_right1?");
  sqlite3_close(db);
}

static void test_heads_history_and_branch_points(void **state) {
  (void)state;
  sqlite3 *db = h_open(":memory:", zSet);
  /* "alembic heads": both heads, in the compiled-in table's order. */
  h_assert_text(db, "SELECT migrate_heads()", HEADS_RESULT);
  /* "alembic history": a label applies to "this revision, all descendants
  ** of this revision, as well as all ancestors of this revision up until the
  ** preceding branch point" (net is declared on net2 and so covers net1;
  ** left and right both reach the merge and what follows it). (branchpoint)
  ** is a revision that more than one revision revises; (mergepoint) one
  ** that revises several; dependencies make neither. */
  h_assert_text(db,
                "SELECT group_concat(revision || '|' || coalesce(parents, '') || '|' "
                "|| is_head || is_base || is_branch_point || is_merge || '|' || "
                "coalesce(branch_labels, '') || '|' || coalesce(depends_on, ''), "
                "' / ') FROM migration_history",
                "br_after|br_merge|1000|left, right| / "
                "br_merge|br_left2, br_right2|0001|left, right| / "
                "br_right2|br_right1|0000|right|br_left1 / "
                "net2|net1|1000|net|br_right1 / "
                "br_right1|br_base|0000|right| / "
                "net1||0100|net| / "
                "br_left2|br_left1|0000|left| / "
                "br_left1|br_base|0000|left| / "
                "br_base||0110||");
  sqlite3_close(db);
}

/* ---- upgrades -------------------------------------------------------------- */

static void test_upgrade_target_forms(void **state) {
  (void)state;
  static const Case aCase[] = {
      /* "Referring to all heads at once ... these two distinct heads are now
      ** in our alembic_version table" */
      {"", "upgrade heads", HEADS_RESULT, "br_after,net2", ALL_TABLES},
      /* "shoppingcart@head": the head of one branch. A merge is "a point
      ** that cannot be crossed until all of its dependencies are satisfied",
      ** so the right branch comes along; net stays out. */
      {"", "upgrade left@head", "br_after", "br_after",
       "after_t base_t left1 left2 merged right1 right2"},
      {"", "upgrade right@head", "br_after", "br_after",
       "after_t base_t left1 left2 merged right1 right2"},
      /* Depends On pulls in the dependency first; "the 55af2cb1c267
      ** revision number would not actually be present in the alembic_version
      ** table": br_right1 is no row of its own. */
      {"", "upgrade net@head", "net2", "net2", "base_t net1 net2 right1"},
      /* "the name shoppingcart now serves as an alias for the 27c6a30d7c24
      ** revision specifically": a bare label is the revision declaring it. */
      {"", "upgrade net", "net2", "net2", "base_t net1 net2 right1"},
      {"", "upgrade left", "br_left1", "br_left1", "base_t left1"},
      /* "Referring to a Specific Version ... it guarantees that
      ** 1975ea83b712 will have been applied, but not that any sibling
      ** versions are applied" (br_left2 is not applied; br_left1 is, as a
      ** dependency, and is no row). */
      {"", "upgrade br_right2", "br_right2", "br_right2",
       "base_t left1 right1 right2"},
      /* "Partial Revision Identifiers" */
      {"", "upgrade br_a", "br_after", "br_after",
       "after_t base_t left1 left2 merged right1 right2"},
      {"", "upgrade br_right1", "br_right1", "br_right1", "base_t right1"},
      /* "--head ae10@head": "the head of the branch that includes
      ** ae1027a6acf", a partial id before the '@'. */
      {"", "upgrade br_left1@head", "br_after", "br_after",
       "after_t base_t left1 left2 merged right1 right2"},
      {"", "upgrade net1@head", "net2", "net2", "base_t net1 net2 right1"},
      /* "The heads symbol can be combined with a branch label" */
      {"", "upgrade left@heads", "br_after", "br_after",
       "after_t base_t left1 left2 merged right1 right2"},
      /* label@REV: a revision of that branch. */
      {"", "upgrade left@br_left2", "br_left2", "br_left2", "base_t left1 left2"},
      /* "upgrading to shoppingcart@+2 means to upgrade from current heads on
      ** shoppingcart upwards two revisions"; from nothing, that starts at
      ** the base below the branch. */
      {"", "upgrade left@+2", "br_left1", "br_left1", "base_t left1"},
      {"", "upgrade left@+1", "br_base", "br_base", "base_t"},
      {"", "upgrade net@+1", "net1", "net1", "net1"},
      {"", "upgrade right@+2", "br_right1", "br_right1", "base_t right1"},
      /* "The newer relnum+delta format can be combined as well ...
      ** shoppingcart@head-2" */
      {"", "upgrade left@head-1", "br_merge", "br_merge",
       "base_t left1 left2 merged right1 right2"},
      {"", "upgrade br_after-1", "br_merge", "br_merge",
       "base_t left1 left2 merged right1 right2"},
      {"", "upgrade br_left1+1", "br_left2", "br_left2", "base_t left1 left2"},
      /* base: nothing to do from nothing; so is a branch's base. */
      {"", "upgrade base", "NULL", "", ""},
      {"", "upgrade left@base", "NULL", "", ""},

      /* From a database on one branch: "with 1975ea83b712 and 27c6a30d7c24
      ** applied, ae1027a6acf is just a single additional step" -- a new
      ** branch adds a row. */
      {"upgrade br_left2", "upgrade right@+1", "br_left2, br_right1",
       "br_left2,br_right1", "base_t left1 left2 right1"},
      {"upgrade br_left2", "upgrade br_right1", "br_left2, br_right1",
       "br_left2,br_right1", "base_t left1 left2 right1"},
      /* The dependency's row goes when what depends on it arrives. */
      {"upgrade left@+2", "upgrade br_right2", "br_right2", "br_right2",
       "base_t left1 right1 right2"},
      /* Crossing the merge: two rows become one. */
      {"upgrade br_left2; upgrade br_right2", "upgrade left@+1", "br_merge",
       "br_merge", "base_t left1 left2 merged right1 right2"},
      /* A branch from elsewhere: left@+1 starts at the base net2 stands on. */
      {"upgrade net@head", "upgrade left@+1", "br_left1, net2", "br_left1,net2",
       "base_t left1 net1 net2 right1"},
      {"upgrade net@head", "upgrade heads", HEADS_RESULT, "br_after,net2",
       ALL_TABLES},
      /* Already there: nothing runs. */
      {"upgrade heads", "upgrade heads", HEADS_RESULT, "br_after,net2", ALL_TABLES},
      {"upgrade heads", "upgrade net@head", HEADS_RESULT, "br_after,net2",
       ALL_TABLES},
      /* A revision applied only as a dependency is where the database is. */
      {"upgrade br_right2", "upgrade br_left1", "br_right2", "br_right2",
       "base_t left1 right1 right2"},
  };
  run_cases(aCase, sizeof(aCase) / sizeof(aCase[0]));
}

/* ---- downgrades ---------------------------------------------------------- */

static void test_downgrade_target_forms(void **state) {
  (void)state;
  static const Case aCase[] = {
      /* Relative identifiers "work with labels too": one step down one
      ** branch, the other branch left alone. */
      {"upgrade heads", "downgrade left@-1", "net2, br_merge", "br_merge,net2",
       "base_t left1 left2 merged net1 net2 right1 right2"},
      {"upgrade heads", "downgrade net@-1", "net1, br_after", "br_after,net1",
       "after_t base_t left1 left2 merged net1 right1 right2"},
      {"upgrade heads", "downgrade net@-2", "br_after", "br_after",
       "after_t base_t left1 left2 merged right1 right2"},
      {"upgrade heads", "downgrade net@head-1", "net1, br_after",
       "br_after,net1", "after_t base_t left1 left2 merged net1 right1 right2"},
      /* "If we downgraded all the files in networking using
      ** networking@base, the dependencies aren't affected, they're left in
      ** place." */
      {"upgrade heads", "downgrade net@base", "br_after", "br_after",
       "after_t base_t left1 left2 merged right1 right2"},
      /* "shoppingcart@base is the same base shared by the ae1027a6acf
      ** revision": with a shared base, label@base goes below it, for every
      ** branch on it -- and net2, which depends on br_right1, goes first. */
      {"upgrade heads", "downgrade left@base", "net1", "net1", "net1"},
      {"upgrade heads", "downgrade base", "NULL", "", ""},
      /* Down to the branch point: everything above it goes, and what
      ** depends on it (net2) first; net1 is another base and stays. */
      {"upgrade heads", "downgrade br_base", "br_base, net1", "br_base,net1",
       "base_t net1"},
      /* Across the merge, down to one branch's revision: the merge and the
      ** other parent's line above the target go, the other branch stays. */
      {"upgrade heads", "downgrade br_left1", "net2, br_right2",
       "br_right2,net2", "base_t left1 net1 net2 right1 right2"},
      {"upgrade heads", "downgrade br_right1", "br_left2, net2", "br_left2,net2",
       "base_t left1 left2 net1 net2 right1"},
      {"upgrade heads", "downgrade br_merge", "net2, br_merge", "br_merge,net2",
       "base_t left1 left2 merged net1 net2 right1 right2"},
      {"upgrade heads", "downgrade br_after-1", "net2, br_merge",
       "br_merge,net2", "base_t left1 left2 merged net1 net2 right1 right2"},
      {"upgrade heads", "downgrade net1", "net1, br_after", "br_after,net1",
       "after_t base_t left1 left2 merged net1 right1 right2"},
      /* label@REV: down to br_base along one branch only. Removing a
      ** dependency first removes what depends on it: br_left1 takes
      ** br_right2 (and the merge) with it, br_right1 takes net2. */
      {"upgrade heads", "downgrade left@br_base", "net2", "net2",
       "base_t net1 net2 right1"},
      {"upgrade heads", "downgrade right@br_base", "br_left2, net1",
       "br_left2,net1", "base_t left1 left2 net1"},

      /* "If we downgrade one step at a time, Alembic will delete from the
      ** alembic_version table each branch that's closed out ... then it will
      ** continue updating the single value down". One row: -1 is along it. */
      {"upgrade left@head", "downgrade -1", "br_merge", "br_merge",
       "base_t left1 left2 merged right1 right2"},
      {"upgrade left@head", "downgrade left@-1", "br_merge", "br_merge",
       "base_t left1 left2 merged right1 right2"},
      {"upgrade net@head", "downgrade -1", "net1, br_right1", "br_right1,net1",
       "base_t net1 right1"},
      /* One step down from br_right2: the dependency it had absorbed is a
      ** row again. */
      {"upgrade br_right2", "downgrade -1", "br_left1, br_right1",
       "br_left1,br_right1", "base_t left1 right1"},
      {"upgrade br_right2", "downgrade right@-1", "br_left1, br_right1",
       "br_left1,br_right1", "base_t left1 right1"},
      /* -2 from br_right2 goes down br_right2's own line to the base; left1
      ** is on another line and stays (Alembic limits the walk's roots to
      ** the current head's ancestors). */
      {"upgrade br_right2", "downgrade -2", "br_left1", "br_left1",
       "base_t left1"},
      /* left@-1 on a database where br_left1 is applied only as br_right2's
      ** dependency: br_left1 goes, br_right2 before it. */
      {"upgrade br_right2", "downgrade left@-1", "br_right1", "br_right1",
       "base_t right1"},
      {"upgrade br_right2; upgrade br_left2", "downgrade left@-1", "br_right2",
       "br_right2", "base_t left1 right1 right2"},
      {"upgrade br_right2; upgrade br_left2", "downgrade right@-1",
       "br_left2, br_right1", "br_left2,br_right1", "base_t left1 left2 right1"},
      {"upgrade br_right2; upgrade br_left2", "downgrade br_left1", "br_right2",
       "br_right2", "base_t left1 right1 right2"},
      /* Where the database already is. Alembic refuses the first
      ** ("Destination br_left1 is not a valid downgrade target from current
      ** head(s)": br_left1 is applied, but only as a dependency, so no row
      ** names it); distmigrate does nothing, as for any applied target with
      ** nothing on it. Alembic also refuses 'heads' with several heads and
      ** 'left@head' (it reads 'head' without the branch there); both name
      ** applied revisions with nothing above, so distmigrate does nothing. */
      {"upgrade br_right2", "downgrade br_left1", "br_right2", "br_right2",
       "base_t left1 right1 right2"},
      {"upgrade heads", "downgrade heads", HEADS_RESULT, "br_after,net2",
       ALL_TABLES},
      {"upgrade heads", "downgrade left@head", HEADS_RESULT, "br_after,net2",
       ALL_TABLES},
  };
  run_cases(aCase, sizeof(aCase) / sizeof(aCase[0]));
}

/* ---- stamps ---------------------------------------------------------------- */

/* The chapter does not stamp across branches; these follow Alembic 1.8's
** _stamp_revs: a stamp replaces the rows that share a lineage (dependencies
** included) with the target and keeps the others. It runs nothing. */
static void test_stamp_forms(void **state) {
  (void)state;
  static const Case aCase[] = {
      {"", "stamp heads", HEADS_RESULT, "br_after,net2", ""},
      {"", "stamp left@head", "br_after", "br_after", ""},
      {"", "stamp br_right2", "br_right2", "br_right2", ""},
      {"upgrade heads", "stamp br_left1", "br_left1, net2", "br_left1,net2",
       ALL_TABLES},
      {"upgrade heads", "stamp net1", "net1, br_after", "br_after,net1", ALL_TABLES},
      /* net2 depends on br_right1, so it shares br_base's lineage too. */
      {"upgrade heads", "stamp br_base", "br_base", "br_base", ALL_TABLES},
      {"upgrade heads", "stamp left@base", "net2", "net2", ALL_TABLES},
      {"upgrade heads", "stamp base", "NULL", "", ALL_TABLES},
      {"upgrade br_left2", "stamp br_right1", "br_left2, br_right1",
       "br_left2,br_right1", "base_t left1 left2"},
      {"upgrade br_right2", "stamp br_merge", "br_merge", "br_merge",
       "base_t left1 right1 right2"},
  };
  run_cases(aCase, sizeof(aCase) / sizeof(aCase[0]));
}

/* ---- errors: exact, and the file unchanged -------------------------------- */

typedef struct BadCase BadCase;
struct BadCase {
  const char *zStart;
  const char *zCall;
  const char *zError;
};

static void test_target_errors_change_nothing(void **state) {
  (void)state;
  static const BadCase aCase[] = {
      /* The chapter's own sentence: "FAILED: Multiple head revisions are
      ** present for given argument 'head'; please specify a specific target
      ** revision, '<branchname>@head' to narrow to a specific head, or
      ** 'heads' for all heads" */
      {"", "upgrade head",
       "Multiple head revisions are present for given argument 'head'; please "
       "specify a specific target revision, '<branchname>@head' to narrow to a "
       "specific head, or 'heads' for all heads"},
      {"upgrade heads", "downgrade head",
       "Multiple head revisions are present for given argument 'head'; please "
       "specify a specific target revision, '<branchname>@head' to narrow to a "
       "specific head, or 'heads' for all heads"},
      {"", "stamp head",
       "Multiple head revisions are present for given argument 'head'; please "
       "specify a specific target revision, '<branchname>@head' to narrow to a "
       "specific head, or 'heads' for all heads"},
      {"", "upgrade head+1",
       "Multiple head revisions are present for given argument 'head'; please "
       "specify a specific target revision, '<branchname>@head' to narrow to a "
       "specific head, or 'heads' for all heads"},
      /* "Alembic will stop and let you know if more than one version starts
      ** with that prefix" (Alembic's command line then says only "Can't
      ** locate revision identified by 'br_r'"). */
      {"", "upgrade br_r",
       "Multiple revisions start with 'br_r': 'br_right1', 'br_right2'; give "
       "more of the revision id"},
      {"", "upgrade ne",
       "Multiple revisions start with 'ne': 'net1', 'net2'; give more of the "
       "revision id"},
      {"", "upgrade left@br_right1",
       "Revision br_right1 is not a member of branch 'left': name a revision "
       "on that branch, or leave out 'left@'"},
      {"", "upgrade zzz@head",
       "No such branch: 'zzz' (in 'zzz@head'): Can't locate revision "
       "identified by 'zzz'"},
      {"", "upgrade left@",
       "Target 'left@' names no revision after the '@': give 'left@head', "
       "'left@base' or a revision"},
      {"", "upgrade @head",
       "Target '@head' has nothing before the '@': name a branch, as in "
       "'mybranch@head'"},
      /* Alembic: "Ambiguous walk". */
      {"", "upgrade +1",
       "Relative revision +1 is ambiguous: base has several next revisions (a "
       "branch point); name the branch, as in 'net@+1', or the target revision"},
      {"", "upgrade br_base+1",
       "Relative revision br_base+1 is ambiguous: br_base has several next "
       "revisions (a branch point); name the branch, as in 'left@+1', or the "
       "target revision"},
      {"upgrade br_after", "downgrade -2",
       "Relative revision -2 is ambiguous: br_merge is a merge of several "
       "revisions; name the target revision instead"},
      /* Alembic: "Ambiguous upgrade from multiple current revisions". */
      {"upgrade heads", "upgrade +1",
       "Relative revision +1 is ambiguous: the database has several heads "
       "(net2, br_after); name the branch, as in 'net@+1', or start from a "
       "revision, as in 'net2+1'"},
      /* The chapter shows `alembic downgrade -1` with two heads closing one
      ** branch; Alembic 1.8 does it by taking the first row of
      ** alembic_version, with the warning "downgrade -1 from multiple heads
      ** is ambiguous; this usage will be disallowed in a future release".
      ** distmigrate disallows it now and names the ways to say which. */
      {"upgrade heads", "downgrade -1",
       "Relative revision -1 is ambiguous: the database has several heads "
       "(net2, br_after); name the branch, as in 'net@-1', or start from a "
       "revision, as in 'net2-1'"},
      {"", "downgrade left@-1",
       "Relative revision left@-1: nothing on branch 'left' is applied here, "
       "so there is nothing to go down from"},
      {"upgrade net@head", "downgrade br_left1",
       "Destination br_left1 is not below the current revision net2 (it is "
       "not applied here): migrate_downgrade only goes down; to go up, use "
       "migrate_upgrade('br_left1')"},
      {"upgrade heads", "upgrade br_left1",
       "Destination br_left1 is below the current revision net2, br_after: "
       "migrate_upgrade only goes up; to go down, use "
       "migrate_downgrade('br_left1')"},
      {"upgrade heads", "upgrade left@base",
       "Destination left@base is below the current revision net2, br_after: "
       "migrate_upgrade only goes up; to go down, use "
       "migrate_downgrade('left@base')"},
      {"upgrade heads", "downgrade net@br_base",
       "Revision br_base is not a member of branch 'net': name a revision on "
       "that branch, or leave out 'net@'"},
      {"upgrade heads", "upgrade net@+1",
       "Relative revision net@+1 didn't produce 1 migrations: the database (at "
       "net2, br_after) is only 0 steps below the head"},
  };
  for (size_t i = 0; i < sizeof(aCase) / sizeof(aCase[0]); i++) {
    const BadCase *p = &aCase[i];
    char *zDb = h_fresh("bad-branches.db");
    sqlite3 *db = h_open(zDb, zSet);
    run_calls(db, p->zStart);
    HFile before = h_file(zDb);
    char *zSpace = strchr(p->zCall, ' ');
    char *zSql = sqlite3_mprintf("SELECT migrate_%.*s(%Q)", (int)(zSpace - p->zCall),
                                 p->zCall, zSpace + 1);
    char *zGot = h_error(db, zSql, 0);
    if (strcmp(zGot, p->zError) != 0) {
      fail_msg("from [%s] %s\n  error: %s\n  want:  %s", p->zStart, p->zCall,
               zGot, p->zError);
    }
    assert_int_equal(sqlite3_get_autocommit(db), 1);
    sqlite3_close(db);
    h_assert_file_unchanged(zDb, before);
    free(before.a);
    sqlite3_free(zGot);
    sqlite3_free(zSql);
    sqlite3_free(zDb);
  }
}

/* ---- the statements on alembic_version ------------------------------------ */

/*
** "Merge mechanics": "When a migration proceeds across a point at which
** there are multiple heads, the alembic_version table will at that point
** store multiple rows", and the chapter lists the SQL: a branch's first
** revision is an INSERT, a move along a branch an UPDATE, the merge a
** DELETE of one parent's row and an UPDATE of the other's ("DELETE ...
** 'ae1027a6acf'; UPDATE ... SET version_num='53fffde5ad5' WHERE ... =
** '27c6a30d7c24'", Revises: ae1027a6acf, 27c6a30d7c24). Downgrades mirror it.
*/
static void test_version_rows_change_as_alembic_changes_them(void **state) {
  (void)state;
  char *zDb = h_fresh("rows.db");
  sqlite3 *db = h_open(zDb, zSet);
  h_assert_text(db, "SELECT migrate_upgrade('left@+1')", "br_base");
  h_exec(db,
         "CREATE TEMP TABLE ops (n INTEGER PRIMARY KEY, op TEXT);"
         "CREATE TEMP TRIGGER v_ins AFTER INSERT ON main.alembic_version BEGIN "
         "  INSERT INTO ops (op) VALUES ('INSERT ' || new.version_num); END;"
         "CREATE TEMP TRIGGER v_upd AFTER UPDATE ON main.alembic_version BEGIN "
         "  INSERT INTO ops (op) VALUES ('UPDATE ' || old.version_num || '>' || "
         "new.version_num); END;"
         "CREATE TEMP TRIGGER v_del AFTER DELETE ON main.alembic_version BEGIN "
         "  INSERT INTO ops (op) VALUES ('DELETE ' || old.version_num); END;");
  static const struct {
    const char *zCall;
    const char *zOps;
  } aStep[] = {
      {"SELECT migrate_upgrade('br_left2')",
       "UPDATE br_base>br_left1, UPDATE br_left1>br_left2"},
      {"SELECT migrate_upgrade('right@+1')", "INSERT br_right1"},
      /* br_right2 also depends on br_left1, which br_left2 already covers. */
      {"SELECT migrate_upgrade('br_right2')", "UPDATE br_right1>br_right2"},
      {"SELECT migrate_upgrade('br_merge')",
       "DELETE br_left2, UPDATE br_right2>br_merge"},
      {"SELECT migrate_downgrade('br_left2')",
       "INSERT br_left2, UPDATE br_merge>br_right2"},
      /* "delete from the alembic_version table each branch that's closed
      ** out": br_left1 stays applied, as br_right2's dependency, in no row. */
      {"SELECT migrate_downgrade('left@-1')", "DELETE br_left2"},
      /* The dependency gets its row back; br_right2 moves down its line. */
      {"SELECT migrate_downgrade('right@-1')",
       "INSERT br_left1, UPDATE br_right2>br_right1"},
      {"SELECT migrate_downgrade('base')",
       "DELETE br_right1, UPDATE br_left1>br_base, DELETE br_base"},
  };
  for (size_t i = 0; i < sizeof(aStep) / sizeof(aStep[0]); i++) {
    h_exec(db, "DELETE FROM ops");
    sqlite3_free(h_text(db, aStep[i].zCall));
    char *zOps = h_text(db, "SELECT group_concat(op, ', ') FROM (SELECT op FROM "
                            "ops ORDER BY n)");
    if (strcmp(zOps, aStep[i].zOps) != 0) {
      fail_msg("%s wrote\n  %s\nwant\n  %s", aStep[i].zCall, zOps, aStep[i].zOps);
    }
    sqlite3_free(zOps);
  }
  h_assert_text(db, "SELECT count(*) FROM alembic_version", "0");
  sqlite3_close(db);
  sqlite3_free(zDb);
}

/* A database another tool left with two heads (rows written by hand here;
** tests/python does it with the real Alembic): distmigrate reads both. */
static void test_two_heads_written_elsewhere_are_read(void **state) {
  (void)state;
  char *zDb = h_fresh("elsewhere.db");
  sqlite3 *db = h_open(zDb, zSet);
  h_assert_text(db, "SELECT migrate_upgrade('br_left2')", "br_left2");
  h_assert_text(db, "SELECT migrate_upgrade('right@+1')", "br_left2, br_right1");
  /* The rows as Alembic would have them, the branch first. */
  h_exec(db, "DELETE FROM alembic_version;"
             "INSERT INTO alembic_version VALUES ('br_right1'), ('br_left2')");
  h_assert_text(db, "SELECT migrate_current()", "br_left2, br_right1");
  h_assert_text(db,
                "SELECT group_concat(revision, ' ') FROM migration_history "
                "WHERE applied",
                "br_right1 br_left2 br_left1 br_base");
  h_assert_text(db, "SELECT migrate_upgrade('heads')", HEADS_RESULT);
  h_assert_text(db, zTablesSql, ALL_TABLES);
  sqlite3_close(db);
  sqlite3_free(zDb);
}

/* ---- the generator ------------------------------------------------------- */

/* A scratch migrations directory of files written from (name, header) pairs. */
static char *scratch_set(const char *zName, const char *const *azFile) {
  char *zDir = h_path(zName);
  char *zCmd = sqlite3_mprintf("rm -rf '%s' && mkdir -p '%s'", zDir, zDir);
  if (system(zCmd) != 0) fail_msg("%s failed", zCmd);
  sqlite3_free(zCmd);
  for (int i = 0; azFile[i]; i += 2) {
    char *zPath = sqlite3_mprintf("%s/%s", zDir, azFile[i]);
    FILE *f = fopen(zPath, "wb");
    if (!f) fail_msg("cannot write %s", zPath);
    fprintf(f, "-- %s\n--\n%s-- Create Date: 2024-01-01 00:00:00.000000\n\n"
               "-- migrate:up\n-- migrate:down\n",
            azFile[i], azFile[i + 1]);
    fclose(f);
    sqlite3_free(zPath);
  }
  return zDir;
}

/* stdout and stderr of a command, and its exit status. */
static char *run_output(const char *zCmd, int *pStatus) {
  char *zFull = sqlite3_mprintf("%s 2>&1", zCmd);
  FILE *p = popen(zFull, "r");
  if (!p) fail_msg("cannot run %s", zCmd);
  sqlite3_str *pStr = sqlite3_str_new(0);
  char zBuf[1024];
  size_t n;
  while ((n = fread(zBuf, 1, sizeof(zBuf), p)) > 0) {
    sqlite3_str_append(pStr, zBuf, (int)n);
  }
  int rc = pclose(p);
  *pStatus = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  sqlite3_free(zFull);
  char *z = sqlite3_str_finish(pStr);
  return z ? z : sqlite3_mprintf("");
}

static void assert_generates(const char *zDir, const char *zOptions, int wantStatus,
                             const char *zWant) {
  char *zCmd = sqlite3_mprintf("%s/dmgen %s '%s' '%s/out.c'", h_build(), zOptions,
                               zDir, zDir);
  int status = 0;
  char *zGot = run_output(zCmd, &status);
  if (status != wantStatus || strcmp(zGot, zWant) != 0) {
    fail_msg("%s\n  exit %d, printed:\n%s\n  want exit %d, and:\n%s", zCmd, status,
             zGot, wantStatus, zWant);
  }
  sqlite3_free(zGot);
  sqlite3_free(zCmd);
}

typedef struct GenCase GenCase;
struct GenCase {
  const char *zWhat;
  const char *azFile[9];    /* name, header pairs, 0-terminated */
  const char *zOutput;      /* %s is the directory (several times) */
};

static void test_generator_checks_the_graph(void **state) {
  (void)state;
  static const GenCase aCase[] = {
      {"label twice",
       {"a.sql", "-- Revision ID: a\n-- Revises:\n-- Branch Labels: x\n",
        "b.sql", "-- Revision ID: b\n-- Revises: a\n-- Branch Labels: x\n", 0},
       "%s/b.sql:5: branch label 'x' is used twice (also in %s/a.sql:5)\n"
       "dmgen: %s: 1 error; nothing written\n"},
      {"label that is an id",
       {"a.sql", "-- Revision ID: a\n-- Revises:\n-- Branch Labels: b\n",
        "b.sql", "-- Revision ID: b\n-- Revises: a\n", 0},
       "%s/a.sql:5: branch label 'b' is also a revision id (%s/b.sql)\n"
       "dmgen: %s: 1 error; nothing written\n"},
      {"unknown dependency",
       {"a.sql", "-- Revision ID: a\n-- Revises:\n",
        "b.sql", "-- Revision ID: b\n-- Revises: a\n-- Depends On: nope\n", 0},
       "%s/b.sql:5: Depends On: unknown revision 'nope' (no file in %s has "
       "'Revision ID: nope')\n"
       "dmgen: %s: 1 error; nothing written\n"},
      {"a label where Revises needs an id",
       {"a.sql", "-- Revision ID: a\n-- Revises:\n-- Branch Labels: lab\n",
        "b.sql", "-- Revision ID: b\n-- Revises: lab\n", 0},
       "%s/b.sql:4: Revises: 'lab' is a branch label (of a in %s/a.sql), not a "
       "revision id; write 'a'\n"
       "dmgen: %s: 1 error; nothing written\n"},
      {"a merge of one line",
       {"a.sql", "-- Revision ID: a\n-- Revises:\n",
        "b.sql", "-- Revision ID: b\n-- Revises: a\n",
        "c.sql", "-- Revision ID: c\n-- Revises: a, b\n", 0},
       "%s/c.sql:4: Revises: 'a' is already an ancestor of 'b', so this is no "
       "merge; list only 'b'\n"
       "dmgen: %s: 1 error; nothing written\n"},
      {"a parent as a dependency",
       {"a.sql", "-- Revision ID: a\n-- Revises:\n-- Branch Labels: lab\n",
        "b.sql", "-- Revision ID: b\n-- Revises: a\n-- Depends On: lab\n", 0},
       "%s/b.sql:5: Depends On: 'lab' (the label of 'a') is also in 'Revises:' "
       "(line 4), which already makes it come first; remove it from 'Depends "
       "On:'\n"
       "dmgen: %s: 1 error; nothing written\n"},
      {"a dependency cycle",
       {"a.sql", "-- Revision ID: a\n-- Revises:\n",
        "b.sql", "-- Revision ID: b\n-- Revises: a\n-- Depends On: c\n",
        "c.sql", "-- Revision ID: c\n-- Revises: b\n", 0},
       "%s/b.sql:5: cycle in the revision graph: b depends on c revises b\n"
       "dmgen: %s: 1 error; nothing written\n"},
      {"a dependency on itself through its label",
       {"a.sql", "-- Revision ID: a\n-- Revises:\n",
        "b.sql", "-- Revision ID: b\n-- Revises: a\n-- Branch Labels: me\n"
                 "-- Depends On: me\n", 0},
       "%s/b.sql:6: Depends On: 'me' is this revision's own branch label\n"
       "dmgen: %s: 1 error; nothing written\n"},
  };
  for (size_t i = 0; i < sizeof(aCase) / sizeof(aCase[0]); i++) {
    char *zDir = scratch_set("gen", aCase[i].azFile);
    char *zWant = sqlite3_mprintf(aCase[i].zOutput, zDir, zDir, zDir);
    assert_generates(zDir, "", 1, zWant);
    sqlite3_free(zWant);
    sqlite3_free(zDir);
  }
}

/* A dependency may name a branch label, as in Alembic ("depends_on may be
** either a real revision number or a branch name"). */
static void test_generator_resolves_a_label_dependency(void **state) {
  (void)state;
  static const char *const azFile[] = {
      "a.sql", "-- Revision ID: a\n-- Revises:\n",
      "b.sql", "-- Revision ID: b\n-- Revises: a\n-- Branch Labels: feature\n",
      "c.sql", "-- Revision ID: c\n-- Revises: a\n-- Depends On: feature\n", 0};
  char *zDir = scratch_set("gen-label", azFile);
  assert_generates(zDir, "", 0, "");
  char *zOut = sqlite3_mprintf("%s/out.c", zDir);
  HFile f = h_file(zOut);
  /* c (index 2) depends on b (index 1), the revision labelled feature. */
  if (!f.bExists || !memmem(f.a, f.n, "aDepend2[] = {1};", 17)) {
    fail_msg("%s does not make c depend on b", zOut);
  }
  free(f.a);
  sqlite3_free(zOut);
  sqlite3_free(zDir);
}

/* "a release normally ships one": a warning (the Makefile's default for the
** shipped set, MULTIPLE_HEADS=warn), an error on request, silence when asked
** (fixture sets; dmgen's own default). */
static void test_generator_on_several_heads(void **state) {
  (void)state;
  static const char *const azFile[] = {
      "a.sql", "-- Revision ID: a\n-- Revises:\n",
      "b.sql", "-- Revision ID: b\n-- Revises: a\n",
      "c.sql", "-- Revision ID: c\n-- Revises: a\n", 0};
  char *zDir = scratch_set("gen-heads", azFile);
  char *zWarn = sqlite3_mprintf(
      "%s/c.sql:3: warning: 'c' is another head besides 'b' (%s/b.sql): "
      "migrate_upgrade('head') will refuse to choose, and a release normally "
      "ships one head; write a merge revision with make merge, or build with "
      "MULTIPLE_HEADS=ok if they are meant to ship\n",
      zDir, zDir);
  assert_generates(zDir, "--multiple-heads=warn", 0, zWarn);
  char *zError = sqlite3_mprintf(
      "%s/c.sql:3: error: 'c' is another head besides 'b' (%s/b.sql): "
      "migrate_upgrade('head') will refuse to choose, and a release normally "
      "ships one head; write a merge revision with make merge, or build with "
      "MULTIPLE_HEADS=warn (or ok) if the heads are meant to ship\n"
      "dmgen: %s: 1 error; nothing written\n",
      zDir, zDir, zDir);
  assert_generates(zDir, "--multiple-heads=error", 1, zError);
  assert_generates(zDir, "--multiple-heads=ok", 0, "");
  assert_generates(zDir, "", 0, "");
  /* The Makefile passes MULTIPLE_HEADS for the set it ships (a scratch
  ** build folder: the real one carries the shipped set). On request the
  ** build fails; by default it warns and builds. */
  int status = 0;
  char *zMake = sqlite3_mprintf(
      "(MAKEFLAGS= MFLAGS= MAKELEVEL= make -s --no-print-directory BUILD='%s/build' MIGRATIONS='%s' "
      "MULTIPLE_HEADS=error 2>&1 >/dev/null)",
      zDir, zDir);
  char *zGot = run_output(zMake, &status);
  assert_int_equal(status, 2);
  char *zStars = strstr(zGot, "make: *** ");
  if (zStars) *zStars = 0;
  assert_string_equal(zGot, zError);
  sqlite3_free(zGot);
  sqlite3_free(zMake);
  zMake = sqlite3_mprintf(
      "(MAKEFLAGS= MFLAGS= MAKELEVEL= make -s --no-print-directory BUILD='%s/build' MIGRATIONS='%s' 2>&1 "
      ">/dev/null)",
      zDir, zDir);
  zGot = run_output(zMake, &status);
  assert_int_equal(status, 0);
  assert_string_equal(zGot, zWarn);
  sqlite3_free(zGot);
  sqlite3_free(zMake);
  sqlite3_free(zWarn);
  sqlite3_free(zError);
  sqlite3_free(zDir);
}

/* `make ...` in the source tree; its output without make's own "***" line
** (which names Makefile line numbers). */
static char *run_make(const char *zArgs, int *pStatus) {
  /* Not the outer make's flags or level (make test runs this). */
  char *zCmd = sqlite3_mprintf(
      "MAKEFLAGS= MFLAGS= MAKELEVEL= make -s --no-print-directory BUILD='%s' %s",
      h_build(), zArgs);
  char *z = run_output(zCmd, pStatus);
  char *zStars = strstr(z, "make: *** ");
  if (zStars) *zStars = 0;
  sqlite3_free(zCmd);
  return z;
}

/* A file's text without its Create Date line (it says when it was made). */
static char *without_date(const char *zPath) {
  HFile f = h_file(zPath);
  if (!f.bExists) fail_msg("%s was not written", zPath);
  sqlite3_str *pStr = sqlite3_str_new(0);
  const char *z = (const char *)f.a;
  const char *zEnd = z + f.n;
  while (z < zEnd) {
    const char *zEol = memchr(z, '\n', (size_t)(zEnd - z));
    size_t n = zEol ? (size_t)(zEol - z + 1) : (size_t)(zEnd - z);
    if (strncmp(z, "-- Create Date: ", 16) != 0) sqlite3_str_append(pStr, z, (int)n);
    z += n;
  }
  free(f.a);
  return sqlite3_str_finish(pStr);
}

/* make ARGS must exit with wantStatus (0, or make's 2) and print zWant. */
static void assert_make(const char *zArgs, int wantStatus, const char *zWant) {
  int status = 0;
  char *zGot = run_make(zArgs, &status);
  if (status != wantStatus || strcmp(zGot, zWant) != 0) {
    fail_msg("make %s\n  exit %d, printed:\n%s\n  want exit %d, and:\n%s", zArgs,
             status, zGot, wantStatus, zWant);
  }
  sqlite3_free(zGot);
}

/* make ARGS writes DIR/zFile, whose text but the date is zText. */
static void assert_make_writes(const char *zDir, const char *zArgs,
                               const char *zFile, const char *zText) {
  char *zPath = sqlite3_mprintf("%s/%s", zDir, zFile);
  char *zPrinted = sqlite3_mprintf("%s\n", zPath);
  assert_make(zArgs, 0, zPrinted);
  char *zGot = without_date(zPath);
  if (strcmp(zGot, zText) != 0) {
    fail_msg("make %s wrote %s:\n%s\nwant:\n%s", zArgs, zPath, zGot, zText);
  }
  sqlite3_free(zGot);
  sqlite3_free(zPrinted);
  sqlite3_free(zPath);
}

#define NEW_FILE(zMessage, zHeader)                                          \
  "-- " zMessage "\n--\n" zHeader "\n-- migrate:up\n\n\n-- migrate:down\n\n"

/*
** `alembic revision --head`, `--branch-label`, `--depends-on`, `--splice`
** as make revision HEAD= BRANCH_LABEL= DEPENDS_ON= SPLICE=1. The chapter:
** "if we attempted to add a new revision file to our multiple-heads layout
** without a specific parent revision, we'd get a familiar error"; "--head
** shoppingcart@head"; "we specify the --head version of base, a
** --branch-label of networking"; "Revision 3cac04ae8714 is not a head
** revision; please specify --splice to create a new branch from this
** revision"; "depends_on may be either a real revision number or a branch
** name ... a resolution from a partial revision number will work as well".
*/
static void test_make_revision(void **state) {
  (void)state;
  static const char *const azFile[] = {
      "001_base.sql", "-- Revision ID: 001_base\n-- Revises:\n",
      "002_left.sql",
      "-- Revision ID: 002_left\n-- Revises: 001_base\n-- Branch Labels: left\n",
      "003_right.sql", "-- Revision ID: 003_right\n-- Revises: 001_base\n", 0};
  char *zDir = scratch_set("make-revision", azFile);
  char *zArgs;

  zArgs = sqlite3_mprintf("revision MIGRATIONS='%s' MSG='add x'", zDir);
  assert_make(zArgs, 2,
              "make revision: several heads are present (002_left, 003_right); "
              "name the one the new revision revises, as in HEAD=left@head, or "
              "merge them first with make merge\n");
  sqlite3_free(zArgs);
  zArgs = sqlite3_mprintf("revision MIGRATIONS='%s' MSG='add x' HEAD=001_base", zDir);
  assert_make(zArgs, 2,
              "make revision: revision 001_base is not a head revision; set "
              "SPLICE=1 to start a new branch from it\n");
  sqlite3_free(zArgs);
  zArgs = sqlite3_mprintf(
      "revision MIGRATIONS='%s' MSG='add x' HEAD=003_right BRANCH_LABEL=left", zDir);
  char *zWant = sqlite3_mprintf(
      "make revision: BRANCH_LABEL=left: the label is already used "
      "(%s/002_left.sql:5)\n", zDir);
  assert_make(zArgs, 2, zWant);
  sqlite3_free(zWant);
  sqlite3_free(zArgs);
  zArgs = sqlite3_mprintf("revision MIGRATIONS='%s' MSG='add x' HEAD=zzz@head", zDir);
  assert_make(zArgs, 2,
              "make revision: HEAD=zzz@head: No such branch: 'zzz' (in "
              "'zzz@head'): Can't locate revision identified by 'zzz'\n");
  sqlite3_free(zArgs);

  zArgs = sqlite3_mprintf(
      "revision MIGRATIONS='%s' MSG='add x' HEAD=left@head BRANCH_LABEL=feat "
      "DEPENDS_ON=003",
      zDir);
  assert_make_writes(zDir, zArgs, "004_add_x.sql",
                     NEW_FILE("add x",
                              "-- Revision ID: 004_add_x\n"
                              "-- Revises: 002_left\n"
                              "-- Branch Labels: feat\n"
                              "-- Depends On: 003_right\n"));
  sqlite3_free(zArgs);
  zArgs = sqlite3_mprintf(
      "revision MIGRATIONS='%s' MSG='side branch' HEAD=001 SPLICE=1 DEPENDS_ON=feat",
      zDir);
  assert_make_writes(zDir, zArgs, "005_side_branch.sql",
                     NEW_FILE("side branch",
                              "-- Revision ID: 005_side_branch\n"
                              "-- Revises: 001_base\n"
                              "-- Depends On: feat\n"));
  sqlite3_free(zArgs);
  zArgs = sqlite3_mprintf(
      "revision MIGRATIONS='%s' MSG='create networking branch' HEAD=base "
      "BRANCH_LABEL=networking",
      zDir);
  assert_make_writes(zDir, zArgs, "006_create_networking_branch.sql",
                     NEW_FILE("create networking branch",
                              "-- Revision ID: 006_create_networking_branch\n"
                              "-- Revises: \n"
                              "-- Branch Labels: networking\n"));
  sqlite3_free(zArgs);
  /* What was written builds, with its heads (a base of its own is allowed
  ** only if something joins it: the new base is a second head here). */
  char *zOut = sqlite3_mprintf("%s/dmgen --multiple-heads=ok '%s' '%s/out.c'",
                               h_build(), zDir, zDir);
  int status = 0;
  char *zGot = run_output(zOut, &status);
  char *zExpect = sqlite3_mprintf(
      "%s/006_create_networking_branch.sql:4: '006_create_networking_branch' is "
      "a second base revision (empty 'Revises:'; the first is '001_base' in "
      "%s/001_base.sql) and no merge joins them: give it a parent, or add a "
      "merge revision that revises both branches\n"
      "dmgen: %s: 1 error; nothing written\n",
      zDir, zDir, zDir);
  assert_string_equal(zGot, zExpect);
  sqlite3_free(zExpect);
  sqlite3_free(zGot);
  sqlite3_free(zOut);
  sqlite3_free(zDir);
}

/* `alembic merge heads` (and "we can pass it individual revision numbers
** sequentially") as make merge and make merge REVISIONS="a b". */
static void test_make_merge(void **state) {
  (void)state;
  static const char *const azFile[] = {
      "001_base.sql", "-- Revision ID: 001_base\n-- Revises:\n",
      "002_left.sql",
      "-- Revision ID: 002_left\n-- Revises: 001_base\n-- Branch Labels: left\n",
      "003_right.sql", "-- Revision ID: 003_right\n-- Revises: 001_base\n", 0};
  char *zDir = scratch_set("make-merge", azFile);
  char *zArgs = sqlite3_mprintf("merge MIGRATIONS='%s' REVISIONS='left@head 003_r'",
                                zDir);
  assert_make_writes(zDir, zArgs, "004_merge_002_left_and_003_right.sql",
                     NEW_FILE("merge 002_left and 003_right",
                              "-- Revision ID: 004_merge_002_left_and_003_right\n"
                              "-- Revises: 002_left, 003_right\n"));
  sqlite3_free(zArgs);
  /* One head now: a release set builds without a warning. */
  assert_generates(zDir, "--multiple-heads=error", 0, "");
  zArgs = sqlite3_mprintf("merge MIGRATIONS='%s' MSG='join'", zDir);
  assert_make(zArgs, 2,
              "make merge: nothing to merge: the set has one head, "
              "004_merge_002_left_and_003_right\n");
  sqlite3_free(zArgs);
  sqlite3_free(zDir);

  zDir = scratch_set("make-merge", azFile);
  zArgs = sqlite3_mprintf("merge MIGRATIONS='%s' MSG='merge left and right'", zDir);
  assert_make_writes(zDir, zArgs, "004_merge_left_and_right.sql",
                     NEW_FILE("merge left and right",
                              "-- Revision ID: 004_merge_left_and_right\n"
                              "-- Revises: 002_left, 003_right\n"));
  sqlite3_free(zArgs);
  zArgs = sqlite3_mprintf("merge MIGRATIONS='%s' REVISIONS='001_base 002_left'", zDir);
  assert_make(zArgs, 2,
              "make merge: revision 001_base is not a head revision; merge "
              "heads only (make merge REVISIONS=\"a b\")\n");
  sqlite3_free(zArgs);
  sqlite3_free(zDir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_heads_history_and_branch_points),
      cmocka_unit_test(test_show_marks_branch_points_merges_and_dependencies),
      cmocka_unit_test(test_upgrade_target_forms),
      cmocka_unit_test(test_downgrade_target_forms),
      cmocka_unit_test(test_stamp_forms),
      cmocka_unit_test(test_target_errors_change_nothing),
      cmocka_unit_test(test_version_rows_change_as_alembic_changes_them),
      cmocka_unit_test(test_two_heads_written_elsewhere_are_read),
      cmocka_unit_test(test_generator_checks_the_graph),
      cmocka_unit_test(test_generator_resolves_a_label_dependency),
      cmocka_unit_test(test_generator_on_several_heads),
      cmocka_unit_test(test_make_revision),
      cmocka_unit_test(test_make_merge),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
