/*
** Unit tests of the revision graph (ext/revision.c), linked statically with
** sets that dmgen generated from fixtures:
**
**   chain     c1_items <- c2_audit_trigger <- c3_add_price <- c4_rebuild_items
**             <- c5_item_names                      (indexes 0..4)
**   graph     g1_base <- g2a_left, g2b_right <- g3_merge (revises both)
**             <- g4_after                           (indexes 0..4)
**   twoheads  h1_base <- h2a_left <- h3a_more; h1_base <- h2b_right, never
**             merged: two heads                     (indexes 0..3)
**
** None of them has Depends On or Branch Labels. Sets of revisions are
** written as space-separated ids in table order ("" for none), so that a
** failure reads as the revisions themselves.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "graph/nearest.h"
#include "graph/revision.h"

extern const DmSet dm_set_chain;
extern const DmSet dm_set_graph;
extern const DmSet dm_set_twoheads;

#define CHAIN (&dm_set_chain)
#define GRAPH (&dm_set_graph)
#define TWOHEADS (&dm_set_twoheads)
#define MAX_REV 16

static const char *azOp[] = {"upgrade", "downgrade", "stamp"};

/* ---- helpers -------------------------------------------------------------- */

/* Flags of the space-separated ids in zIds; the test fails on an unknown id. */
static void flags_of(const DmSet *pSet, const char *zIds, DmFlags *a) {
  memset(a, 0, MAX_REV);
  const char *z = zIds;
  while (*z) {
    while (*z == ' ') z++;
    int n = 0;
    while (z[n] && z[n] != ' ') n++;
    if (n == 0) break;
    int i = dm_find(pSet, z, n);
    if (i < 0) fail_msg("test bug: no revision '%.*s' in %s", n, z, pSet->zSource);
    a[i] = 1;
    z += n;
  }
}

/* The ids of a's members in table order, space-separated (static buffer). */
static const char *ids_of(const DmSet *pSet, const DmFlags *a) {
  static char zBuf[1024];
  zBuf[0] = 0;
  for (int i = 0; i < pSet->nRev; i++) {
    if (!a[i]) continue;
    if (zBuf[0]) strcat(zBuf, " ");
    strcat(zBuf, pSet->aRev[i].zId);
  }
  return zBuf;
}

/* Ids of indexes a[0..n), space-separated (static buffer). */
static const char *ids_at(const DmSet *pSet, const int *a, int n) {
  static char zBuf[1024];
  zBuf[0] = 0;
  for (int i = 0; i < n; i++) {
    if (i) strcat(zBuf, " ");
    strcat(zBuf, pSet->aRev[a[i]].zId);
  }
  return zBuf;
}

static int index_of(const DmSet *pSet, const char *zId) {
  int i = dm_find(pSet, zId, (int)strlen(zId));
  if (i < 0) fail_msg("test bug: no revision '%s' in %s", zId, pSet->zSource);
  return i;
}

/* dm_heads of the set zIn (0: every revision) as text. */
static const char *heads_of(const DmSet *pSet, const char *zIn, int bDepends) {
  DmFlags aIn[MAX_REV];
  int aHead[MAX_REV];
  if (zIn) flags_of(pSet, zIn, aIn);
  int n = dm_heads(pSet, zIn ? aIn : 0, bDepends, aHead);
  return ids_at(pSet, aHead, n);
}

/* From the applied set zApplied, eOp to zTarget must give the set zWant. */
static void resolves(const DmSet *pSet, const char *zApplied, DmOp eOp,
                     const char *zTarget, const char *zWant) {
  DmFlags aApplied[MAX_REV], aTarget[MAX_REV];
  flags_of(pSet, zApplied, aApplied);
  memset(aTarget, 0xAA, sizeof(aTarget));
  char *zErr = 0;
  int rc = dm_resolve(pSet, aApplied, eOp, zTarget, aTarget, &zErr);
  if (rc != SQLITE_OK) {
    fail_msg("%s: at [%s], %s '%s' failed: %s", pSet->zSource, zApplied,
             azOp[eOp], zTarget, zErr ? zErr : "(no message)");
  }
  for (int i = 0; i < pSet->nRev; i++) {
    if (aTarget[i] > 1) fail_msg("%s '%s': aTarget[%d] not set", azOp[eOp], zTarget, i);
  }
  const char *zGot = ids_of(pSet, aTarget);
  if (strcmp(zGot, zWant) != 0) {
    fail_msg("%s: at [%s], %s '%s'\n  gave [%s]\n  want [%s]", pSet->zSource,
             zApplied, azOp[eOp], zTarget, zGot, zWant);
  }
  assert_null(zErr);
}

/* From zApplied, eOp to zTarget must fail with exactly zWant. */
static void refuses(const DmSet *pSet, const char *zApplied, DmOp eOp,
                    const char *zTarget, const char *zWant) {
  DmFlags aApplied[MAX_REV], aTarget[MAX_REV];
  flags_of(pSet, zApplied, aApplied);
  char *zErr = 0;
  int rc = dm_resolve(pSet, aApplied, eOp, zTarget, aTarget, &zErr);
  if (rc == SQLITE_OK) {
    fail_msg("%s: at [%s], %s '%s' gave [%s]; want the error\n  %s", pSet->zSource,
             zApplied, azOp[eOp], zTarget, ids_of(pSet, aTarget), zWant);
  }
  assert_int_equal(rc, SQLITE_ERROR);
  if (!zErr || strcmp(zErr, zWant) != 0) {
    fail_msg("%s: at [%s], %s '%s'\n  error: %s\n  want:  %s", pSet->zSource,
             zApplied, azOp[eOp], zTarget, zErr ? zErr : "(none)", zWant);
  }
  sqlite3_free(zErr);
}

/* The plan from zApplied to zTarget as "up a, down b, ...". */
static void plans(const DmSet *pSet, const char *zApplied, const char *zTarget,
                  const char *zWant) {
  DmFlags aApplied[MAX_REV], aTarget[MAX_REV];
  flags_of(pSet, zApplied, aApplied);
  flags_of(pSet, zTarget, aTarget);
  DmPlan plan;
  assert_int_equal(dm_plan(pSet, aApplied, aTarget, &plan), SQLITE_OK);
  char zGot[1024] = "";
  for (int i = 0; i < plan.nStep; i++) {
    char zStep[64];
    snprintf(zStep, sizeof(zStep), "%s%s %s", i ? ", " : "",
             plan.aStep[i].bUp ? "up" : "down", pSet->aRev[plan.aStep[i].iRev].zId);
    strcat(zGot, zStep);
  }
  dm_plan_clear(&plan);
  assert_int_equal(plan.nStep, 0);
  assert_null(plan.aStep);
  if (strcmp(zGot, zWant) != 0) {
    fail_msg("plan [%s] -> [%s]\n  gave %s\n  want %s", zApplied, zTarget, zGot, zWant);
  }
}

/* The alembic_version changes from zBefore to zAfter as
** "update a -> b, delete c, insert d". */
static void row_changes(const DmSet *pSet, const char *zBefore, const char *zAfter,
                        const char *zWant) {
  DmFlags aBefore[MAX_REV], aAfter[MAX_REV];
  DmRowChange aChange[2 * MAX_REV];
  flags_of(pSet, zBefore, aBefore);
  flags_of(pSet, zAfter, aAfter);
  int n = dm_row_changes(pSet, aBefore, aAfter, aChange);
  assert_true(n >= 0);
  char zGot[1024] = "";
  for (int i = 0; i < n; i++) {
    char zChange[128];
    int iOld = aChange[i].iOld, iNew = aChange[i].iNew;
    if (iOld >= 0 && iNew >= 0) {
      snprintf(zChange, sizeof(zChange), "update %s -> %s", pSet->aRev[iOld].zId,
               pSet->aRev[iNew].zId);
    } else if (iOld >= 0) {
      snprintf(zChange, sizeof(zChange), "delete %s", pSet->aRev[iOld].zId);
    } else {
      assert_true(iNew >= 0);
      snprintf(zChange, sizeof(zChange), "insert %s", pSet->aRev[iNew].zId);
    }
    if (i) strcat(zGot, ", ");
    strcat(zGot, zChange);
  }
  if (strcmp(zGot, zWant) != 0) {
    fail_msg("rows [%s] -> [%s]\n  gave %s\n  want %s", zBefore, zAfter, zGot, zWant);
  }
}

static void applied_from_rows(const DmSet *pSet, int nRow, const char *const *azRow,
                              const char *zWant) {
  DmFlags a[MAX_REV];
  char *zErr = 0;
  int rc = dm_applied_from_rows(pSet, nRow, azRow, a, &zErr);
  if (rc != SQLITE_OK) fail_msg("rows refused: %s", zErr ? zErr : "(no message)");
  assert_string_equal(ids_of(pSet, a), zWant);
}

static void rows_refused(const DmSet *pSet, int nRow, const char *const *azRow,
                         const char *zWant) {
  DmFlags a[MAX_REV];
  char *zErr = 0;
  int rc = dm_applied_from_rows(pSet, nRow, azRow, a, &zErr);
  assert_int_equal(rc, SQLITE_ERROR);
  assert_non_null(zErr);
  assert_string_equal(zErr, zWant);
  sqlite3_free(zErr);
}

/* ---- the generated tables --------------------------------------------------- */

static void test_fixture_tables_are_in_topological_order(void **state) {
  (void)state;
  assert_int_equal(CHAIN->nRev, 5);
  assert_int_equal(GRAPH->nRev, 5);
  assert_int_equal(TWOHEADS->nRev, 4);
  const DmSet *aSet[] = {CHAIN, GRAPH, TWOHEADS};
  for (int s = 0; s < 3; s++) {
    for (int i = 0; i < aSet[s]->nRev; i++) {
      const DmRevision *p = &aSet[s]->aRev[i];
      for (int j = 0; j < p->nParent; j++) assert_true(p->aParent[j] < i);
      assert_int_equal(p->nDepend, 0);
      assert_int_equal(p->nLabel, 0);
    }
  }
  const DmRevision *pMerge = &GRAPH->aRev[3];
  assert_string_equal(pMerge->zId, "g3_merge");
  assert_int_equal(pMerge->nParent, 2);
  assert_string_equal(GRAPH->aRev[pMerge->aParent[0]].zId, "g2a_left");
  assert_string_equal(GRAPH->aRev[pMerge->aParent[1]].zId, "g2b_right");
  assert_string_equal(pMerge->zMessage, "Merge left and right");
  assert_string_equal(pMerge->zFile, "tests/fixtures/graph/g3_merge.sql");
  assert_string_equal(GRAPH->zSource, "tests/fixtures/graph");
}

/* ---- dm_find ------------------------------------------------------------------ */

static void test_find_matches_whole_ids_only(void **state) {
  (void)state;
  assert_int_equal(dm_find(CHAIN, "c1_items", 8), 0);
  assert_int_equal(dm_find(CHAIN, "c5_item_names", 13), 4);
  assert_int_equal(dm_find(GRAPH, "g3_merge", 8), 3);
  /* Only nId bytes count: an id inside a longer target text. */
  assert_int_equal(dm_find(CHAIN, "c3_add_price+1", 12), 2);
  /* Prefixes and longer texts are not ids. */
  assert_int_equal(dm_find(CHAIN, "c3", 2), -1);
  assert_int_equal(dm_find(CHAIN, "c3_add_price+1", 14), -1);
  assert_int_equal(dm_find(CHAIN, "", 0), -1);
  assert_int_equal(dm_find(CHAIN, "g1_base", 7), -1);
  assert_int_equal(dm_find(CHAIN, "C1_ITEMS", 8), -1);
}

/* ---- dm_heads ------------------------------------------------------------------ */

static void test_heads_of_whole_sets(void **state) {
  (void)state;
  for (int bDepends = 0; bDepends <= 1; bDepends++) {
    assert_string_equal(heads_of(CHAIN, 0, bDepends), "c5_item_names");
    assert_string_equal(heads_of(GRAPH, 0, bDepends), "g4_after");
    assert_string_equal(heads_of(TWOHEADS, 0, bDepends), "h2b_right h3a_more");
  }
}

/* Without Depends On, following dependencies (bDepends=1, the version rows)
** or not (0, the script heads) gives the same heads. */
static void test_heads_of_subsets_in_both_modes(void **state) {
  (void)state;
  for (int bDepends = 0; bDepends <= 1; bDepends++) {
    assert_string_equal(heads_of(CHAIN, "", bDepends), "");
    assert_string_equal(heads_of(CHAIN, "c1_items c2_audit_trigger c3_add_price", bDepends),
                        "c3_add_price");
    assert_string_equal(heads_of(GRAPH, "g1_base", bDepends), "g1_base");
    assert_string_equal(heads_of(GRAPH, "g1_base g2a_left", bDepends), "g2a_left");
    assert_string_equal(heads_of(GRAPH, "g1_base g2a_left g2b_right", bDepends),
                        "g2a_left g2b_right");
    assert_string_equal(heads_of(GRAPH, "g1_base g2a_left g2b_right g3_merge", bDepends),
                        "g3_merge");
    /* Only members reach members: a set need not be closed. */
    assert_string_equal(heads_of(GRAPH, "g2a_left g2b_right", bDepends),
                        "g2a_left g2b_right");
    assert_string_equal(heads_of(GRAPH, "g1_base g4_after", bDepends), "g1_base g4_after");
    assert_string_equal(heads_of(GRAPH, "g1_base g2b_right g3_merge", bDepends), "g3_merge");
    assert_string_equal(heads_of(TWOHEADS, "h1_base h2a_left h2b_right", bDepends),
                        "h2a_left h2b_right");
  }
}

/* ---- dm_close_down -------------------------------------------------------------- */

static void test_close_down_adds_every_ancestor(void **state) {
  (void)state;
  static const char *aCase[][3] = {
      /* set, members, closed */
      {"graph", "", ""},
      {"graph", "g1_base", "g1_base"},
      {"graph", "g2b_right", "g1_base g2b_right"},
      {"graph", "g3_merge", "g1_base g2a_left g2b_right g3_merge"},
      {"graph", "g4_after", "g1_base g2a_left g2b_right g3_merge g4_after"},
      {"graph", "g2a_left g2b_right", "g1_base g2a_left g2b_right"},
      {"chain", "c3_add_price", "c1_items c2_audit_trigger c3_add_price"},
      {"chain", "c1_items c4_rebuild_items",
       "c1_items c2_audit_trigger c3_add_price c4_rebuild_items"},
      {"twoheads", "h3a_more", "h1_base h2a_left h3a_more"},
      {"twoheads", "h3a_more h2b_right", "h1_base h2a_left h2b_right h3a_more"},
  };
  for (size_t i = 0; i < sizeof(aCase) / sizeof(aCase[0]); i++) {
    const DmSet *pSet = aCase[i][0][0] == 'g' ? GRAPH : aCase[i][0][0] == 'c' ? CHAIN : TWOHEADS;
    DmFlags a[MAX_REV];
    flags_of(pSet, aCase[i][1], a);
    dm_close_down(pSet, a);
    const char *zGot = ids_of(pSet, a);
    if (strcmp(zGot, aCase[i][2]) != 0) {
      fail_msg("close_down [%s] gave [%s], want [%s]", aCase[i][1], zGot, aCase[i][2]);
    }
  }
}

/* ---- dm_applied_from_rows -------------------------------------------------------- */

static void test_applied_from_rows_closes_down(void **state) {
  (void)state;
  applied_from_rows(CHAIN, 0, 0, "");
  const char *azC3[] = {"c3_add_price"};
  applied_from_rows(CHAIN, 1, azC3, "c1_items c2_audit_trigger c3_add_price");
  const char *azLeft[] = {"g2a_left"};
  applied_from_rows(GRAPH, 1, azLeft, "g1_base g2a_left");
  const char *azBoth[] = {"g2b_right", "g2a_left"};
  applied_from_rows(GRAPH, 2, azBoth, "g1_base g2a_left g2b_right");
  const char *azHead[] = {"g4_after"};
  applied_from_rows(GRAPH, 1, azHead, "g1_base g2a_left g2b_right g3_merge g4_after");
  const char *azTwo[] = {"h3a_more", "h2b_right"};
  applied_from_rows(TWOHEADS, 2, azTwo, "h1_base h2a_left h2b_right h3a_more");
}

#define UNKNOWN_ROW(zRow, zRows)                                                  \
  "Can't locate revision identified by '" zRow "': the database is at a "        \
  "revision this build of distmigrate does not know (a newer build migrated "    \
  "it?); alembic_version holds " zRows "; load the distmigrate that carries '"   \
  zRow "', or, if the schema is at a revision this build knows, record that "    \
  "with SELECT migrate_stamp('<rev>', 'purge')"

static void test_applied_from_rows_refuses_unknown_revision(void **state) {
  (void)state;
  const char *azRow[] = {"g1_base", "003_from_the_future"};
  rows_refused(GRAPH, 2, azRow,
               UNKNOWN_ROW("003_from_the_future", "'g1_base', '003_from_the_future'"));
  /* A prefix is not a revision in the version table. */
  const char *azPrefix[] = {"c1"};
  rows_refused(CHAIN, 1, azPrefix, UNKNOWN_ROW("c1", "'c1'"));
  /* Quotes in a row are doubled in the list, as SQL writes them. */
  const char *azQuote[] = {"it's"};
  rows_refused(CHAIN, 1, azQuote, UNKNOWN_ROW("it's", "'it''s'"));
}

static void test_applied_from_rows_refuses_contradictory_rows(void **state) {
  (void)state;
  const char *azRow[] = {"g1_base", "g2a_left"};
  rows_refused(GRAPH, 2, azRow,
               "alembic_version holds 'g1_base', 'g2a_left', but 'g1_base' is "
               "an ancestor of 'g2a_left', so the table is inconsistent; if the "
               "schema is at 'g2a_left', repair it with SELECT "
               "migrate_stamp('g2a_left', 'purge')");
  /* The rows are listed as stored; the ancestor is named either way. */
  const char *azReversed[] = {"g2a_left", "g1_base"};
  rows_refused(GRAPH, 2, azReversed,
               "alembic_version holds 'g2a_left', 'g1_base', but 'g1_base' is "
               "an ancestor of 'g2a_left', so the table is inconsistent; if the "
               "schema is at 'g2a_left', repair it with SELECT "
               "migrate_stamp('g2a_left', 'purge')");
  /* Through the merge. */
  const char *azMerge[] = {"g2b_right", "g4_after"};
  rows_refused(GRAPH, 2, azMerge,
               "alembic_version holds 'g2b_right', 'g4_after', but 'g2b_right' "
               "is an ancestor of 'g4_after', so the table is inconsistent; if "
               "the schema is at 'g4_after', repair it with SELECT "
               "migrate_stamp('g4_after', 'purge')");
  const char *azChain[] = {"c5_item_names", "c1_items"};
  rows_refused(CHAIN, 2, azChain,
               "alembic_version holds 'c5_item_names', 'c1_items', but "
               "'c1_items' is an ancestor of 'c5_item_names', so the table is "
               "inconsistent; if the schema is at 'c5_item_names', repair it "
               "with SELECT migrate_stamp('c5_item_names', 'purge')");
}

static void test_applied_from_rows_names_a_row_twice(void **state) {
  (void)state;
  const char *azRow[] = {"c2_audit_trigger", "c2_audit_trigger"};
  rows_refused(CHAIN, 2, azRow,
               "alembic_version holds 'c2_audit_trigger', 'c2_audit_trigger': "
               "'c2_audit_trigger' twice, which Alembic never writes (the table "
               "has lost its primary key?); if the schema is at "
               "'c2_audit_trigger', repair it with SELECT "
               "migrate_stamp('c2_audit_trigger', 'purge')");
}

/* A NULL row (0 from dm_read_version) is named, before anything else. */
static void test_applied_from_rows_names_a_null_row(void **state) {
  (void)state;
  const char *azNull[] = {0};
  const char *zAlone =
      "alembic_version holds NULL: a row with no revision (NULL), which Alembic "
      "never writes; record the revision the schema is at with SELECT "
      "migrate_stamp('<rev>', 'purge'), or SELECT migrate_stamp('base', "
      "'purge') if it is at base";
  rows_refused(CHAIN, 1, azNull, zAlone);
  const char *azBeside[] = {"c3_add_price", 0};
  rows_refused(CHAIN, 2, azBeside,
               "alembic_version holds 'c3_add_price', NULL: a row with no "
               "revision (NULL), which Alembic never writes; if the schema is "
               "at 'c3_add_price', repair it with SELECT "
               "migrate_stamp('c3_add_price', 'purge')");
  const char *azMany[] = {"g2a_left", 0, "zzz"};
  rows_refused(GRAPH, 3, azMany,
               "alembic_version holds 'g2a_left', NULL, 'zzz': a row with no "
               "revision (NULL), which Alembic never writes; record the "
               "revision the schema is at with SELECT migrate_stamp('<rev>', "
               "'purge'), or SELECT migrate_stamp('base', 'purge') if it is at "
               "base");
  /* migrate_current() asks only this. */
  char *zErr = 0;
  assert_int_equal(dm_check_null_rows(1, azNull, &zErr), SQLITE_ERROR);
  assert_string_equal(zErr, zAlone);
  sqlite3_free(zErr);
  zErr = 0;
  const char *azFine[] = {"zzz", "c1_items"};
  assert_int_equal(dm_check_null_rows(2, azFine, &zErr), SQLITE_OK);
  assert_null(zErr);
}

/* A table with many rows: the first ten, then how many there are. */
static void test_applied_from_rows_lists_ten_rows(void **state) {
  (void)state;
  const char *azRow[12];
  for (int i = 0; i < 12; i++) azRow[i] = "c1_items";
  azRow[11] = 0;
  rows_refused(CHAIN, 12, azRow,
               "alembic_version holds 'c1_items', 'c1_items', 'c1_items', "
               "'c1_items', 'c1_items', 'c1_items', 'c1_items', 'c1_items', "
               "'c1_items', 'c1_items', ... (12 rows): a row with no revision "
               "(NULL), which Alembic never writes; record the revision the "
               "schema is at with SELECT migrate_stamp('<rev>', 'purge'), or "
               "SELECT migrate_stamp('base', 'purge') if it is at base");
}

/* ---- dm_resolve: every target form ---------------------------------------------- */

#define ALL_CHAIN "c1_items c2_audit_trigger c3_add_price c4_rebuild_items c5_item_names"
#define TO_C3 "c1_items c2_audit_trigger c3_add_price"
#define ALL_GRAPH "g1_base g2a_left g2b_right g3_merge g4_after"
#define BRANCHES "g1_base g2a_left g2b_right"
#define ALL_TWOHEADS "h1_base h2a_left h2b_right h3a_more"

static void test_upgrade_targets_on_a_chain(void **state) {
  (void)state;
  const DmOp U = DM_OP_UPGRADE;
  resolves(CHAIN, "", U, "head", ALL_CHAIN);
  resolves(CHAIN, "", U, "heads", ALL_CHAIN);
  resolves(CHAIN, "", U, "c3_add_price", TO_C3);
  resolves(CHAIN, "", U, "c3", TO_C3);
  resolves(CHAIN, "", U, "c3_add", TO_C3);
  resolves(CHAIN, "", U, "+1", "c1_items");
  resolves(CHAIN, "", U, "+3", TO_C3);
  resolves(CHAIN, "", U, "+5", ALL_CHAIN);
  resolves(CHAIN, "", U, "base+3", TO_C3);
  resolves(CHAIN, "", U, "c1_items+2", TO_C3);
  resolves(CHAIN, "", U, "c1+2", TO_C3);
  resolves(CHAIN, "", U, "head-2", TO_C3);
  resolves(CHAIN, "", U, "c5-2", TO_C3);
  resolves(CHAIN, "", U, "head+0", ALL_CHAIN);
  /* Nothing to do is fine: at base to base, at a revision to itself. */
  resolves(CHAIN, "", U, "base", "");
  resolves(CHAIN, "", U, "+0", "");
  resolves(CHAIN, TO_C3, U, "c3_add_price", TO_C3);
  resolves(CHAIN, TO_C3, U, "+0", TO_C3);
  resolves(CHAIN, ALL_CHAIN, U, "head", ALL_CHAIN);
  resolves(CHAIN, ALL_CHAIN, U, "heads", ALL_CHAIN);
  /* From c3: relative steps count from the database. */
  resolves(CHAIN, TO_C3, U, "+1", TO_C3 " c4_rebuild_items");
  resolves(CHAIN, TO_C3, U, "+2", ALL_CHAIN);
  resolves(CHAIN, TO_C3, U, "head", ALL_CHAIN);
}

static void test_downgrade_targets_on_a_chain(void **state) {
  (void)state;
  const DmOp D = DM_OP_DOWNGRADE;
  resolves(CHAIN, TO_C3, D, "-1", "c1_items c2_audit_trigger");
  resolves(CHAIN, TO_C3, D, "-3", "");
  resolves(CHAIN, TO_C3, D, "base", "");
  resolves(CHAIN, TO_C3, D, "c1_items", "c1_items");
  resolves(CHAIN, TO_C3, D, "c1", "c1_items");
  resolves(CHAIN, TO_C3, D, "c3_add_price-2", "c1_items");
  resolves(CHAIN, TO_C3, D, "base+1", "c1_items");
  resolves(CHAIN, TO_C3, D, "head-4", "c1_items");
  /* To where it is: nothing to do. */
  resolves(CHAIN, TO_C3, D, "c3_add_price", TO_C3);
  resolves(CHAIN, TO_C3, D, "head-2", TO_C3);
  resolves(CHAIN, TO_C3, D, "-0", TO_C3);
  resolves(CHAIN, "", D, "base", "");
  resolves(CHAIN, ALL_CHAIN, D, "head", ALL_CHAIN);
  resolves(CHAIN, ALL_CHAIN, D, "heads", ALL_CHAIN);
  resolves(CHAIN, ALL_CHAIN, D, "-5", "");
}

static void test_stamp_targets_on_a_chain(void **state) {
  (void)state;
  const DmOp S = DM_OP_STAMP;
  /* A stamp goes anywhere, up or down, and needs no path. */
  resolves(CHAIN, "", S, "head", ALL_CHAIN);
  resolves(CHAIN, "", S, "heads", ALL_CHAIN);
  resolves(CHAIN, "", S, "c3", TO_C3);
  resolves(CHAIN, "", S, "base", "");
  resolves(CHAIN, ALL_CHAIN, S, "base", "");
  resolves(CHAIN, ALL_CHAIN, S, "c1_items", "c1_items");
  resolves(CHAIN, ALL_CHAIN, S, "-1", "c1_items c2_audit_trigger c3_add_price c4_rebuild_items");
  resolves(CHAIN, TO_C3, S, "+1", TO_C3 " c4_rebuild_items");
  resolves(CHAIN, TO_C3, S, "c3_add_price", TO_C3);
}

/* Over DM_MAX_STEPS: the limit, how many there are, and the way all the way. */
static void test_step_count_over_the_limit_is_named(void **state) {
  (void)state;
  const DmOp U = DM_OP_UPGRADE, D = DM_OP_DOWNGRADE;
  refuses(CHAIN, "", U, "+1000001",
          "Relative revision +1000001 asks for more steps than the limit of "
          "1000000, and this build's migration set has only 5 revisions; to go "
          "all the way up, use 'head'");
  refuses(CHAIN, ALL_CHAIN, D, "-5000000",
          "Relative revision -5000000 asks for more steps than the limit of "
          "1000000, and this build's migration set has only 5 revisions; to go "
          "all the way down, use 'base'");
  /* Digits past any integer type, and counting from a revision. */
  refuses(CHAIN, "", U, "c1_items+99999999999999999999999",
          "Relative revision c1_items+99999999999999999999999 asks for more steps "
          "than the limit of 1000000, and this build's migration set has only 5 "
          "revisions; to go all the way up, use 'head'");
  /* The limit itself is a step count like any other. */
  refuses(CHAIN, "", U, "+1000000",
          "Relative revision +1000000 didn't produce 1000000 migrations: the "
          "database (at base) is only 5 steps below the head");
}

/* A sign that is not the one before the trailing digits. */
static void test_misplaced_sign_is_not_a_relative_revision(void **state) {
  (void)state;
  static const char *azBad[] = {"+-1", "-+1", "+ 1", "--1", "++1", "+",  "-",
                                "c3-", "+x",  "c3_add_price+-1", "-1-"};
  for (int eOp = 0; eOp < 3; eOp++) {
    for (size_t i = 0; i < sizeof(azBad) / sizeof(azBad[0]); i++) {
      char *zWant = sqlite3_mprintf(
          "'%s' is not a valid relative revision: write +N or -N for N steps "
          "from the current revision, or REV+N or REV-N for N steps from "
          "revision REV, with N a whole number, as in '+1', '-1' or 'head-1'",
          azBad[i]);
      refuses(CHAIN, TO_C3, (DmOp)eOp, azBad[i], zWant);
      sqlite3_free(zWant);
    }
  }
}

/* dm_did_you_mean() on z, against the whole set: exactly zWant. */
static void suggests(const DmSet *pSet, const char *z, const char *zWant) {
  char *zGot = dm_did_you_mean(pSet, 0, z, (int)strlen(z));
  assert_non_null(zGot);
  if (strcmp(zGot, zWant) != 0) {
    fail_msg("%s: '%s' suggests [%s]\n  want [%s]", pSet->zSource, z, zGot, zWant);
  }
  sqlite3_free(zGot);
}

static void test_unknown_revision_suggests_the_nearest(void **state) {
  (void)state;
  /* A typo, a swap, the case, a letter too many, a mistyped prefix. */
  suggests(CHAIN, "c3_add_prise", "; did you mean c3_add_price?");
  suggests(CHAIN, "c3_add_pirce", "; did you mean c3_add_price?");
  suggests(CHAIN, "C3_ADD_PRICE", "; did you mean c3_add_price?");
  suggests(CHAIN, "c3_add_pricee", "; did you mean c3_add_price?");
  suggests(GRAPH, "g2c_left", "; did you mean g2a_left?");
  /* The nearest first, then the set's order; at most three. */
  suggests(CHAIN, "c6_items", "; did you mean c1_items or c5_item_names?");
  suggests(TWOHEADS, "h3a", "; did you mean h3a_more, h2a_left or head?");
  /* A part of an id that is no prefix of it. */
  suggests(CHAIN, "items", "; did you mean c1_items or c4_rebuild_items?");
  suggests(GRAPH, "left", "; did you mean g2a_left?");
  /* Alembic's symbols. */
  suggests(CHAIN, "haed", "; did you mean head or heads?");
  suggests(CHAIN, "bsae", "; did you mean base?");
  /* Nothing near: no suggestion, rather than a guess. */
  suggests(CHAIN, "zzz", "");
  suggests(CHAIN, "c9", "");
  suggests(CHAIN, "x", "");
}

static void test_unknown_revision_messages_carry_the_suggestion(void **state) {
  (void)state;
  for (int eOp = 0; eOp < 3; eOp++) {
    refuses(CHAIN, "", (DmOp)eOp, "c4_rebiuld_items",
            "Can't locate revision identified by 'c4_rebiuld_items'; did you "
            "mean c4_rebuild_items?");
    refuses(CHAIN, "", (DmOp)eOp, "c4_rebiuld_items+1",
            "Can't locate revision identified by 'c4_rebiuld_items'; did you "
            "mean c4_rebuild_items?");
  }
  /* On a branch, only its lineage is suggested. */
  refuses(TWOHEADS, "", DM_OP_UPGRADE, "h2a_left@h3a_moer",
          "Can't locate revision identified by 'h3a_moer' on branch "
          "'h2a_left'; did you mean h3a_more?");
  refuses(TWOHEADS, "", DM_OP_UPGRADE, "h2b_right@h3a_moer",
          "Can't locate revision identified by 'h3a_moer' on branch 'h2b_right'");
  /* A branch that does not exist. */
  refuses(TWOHEADS, "", DM_OP_UPGRADE, "h2a_lfet@head",
          "No such branch: 'h2a_lfet' (in 'h2a_lfet@head'): Can't locate "
          "revision identified by 'h2a_lfet'; did you mean h2a_left?");
}

static void test_target_errors_on_a_chain(void **state) {
  (void)state;
  const DmOp U = DM_OP_UPGRADE, D = DM_OP_DOWNGRADE, S = DM_OP_STAMP;
  for (int eOp = 0; eOp < 3; eOp++) {
    refuses(CHAIN, "", (DmOp)eOp, "",
            "the target is empty: give 'head', 'base', a revision id, or a "
            "relative step such as '+1' or '-1'");
    refuses(CHAIN, "", (DmOp)eOp, "zzz", "Can't locate revision identified by 'zzz'");
    refuses(CHAIN, "", (DmOp)eOp, "c",
            "Multiple revisions start with 'c': 'c1_items', 'c2_audit_trigger', "
            "'c3_add_price', 'c4_rebuild_items', 'c5_item_names'; give more of "
            "the revision id");
    refuses(CHAIN, "", (DmOp)eOp, "c9+1", "Can't locate revision identified by 'c9'");
  }
  /* Only a trailing sign and digits make a relative step. */
  refuses(CHAIN, "", U, "c3_add_price 1",
          "Can't locate revision identified by 'c3_add_price 1'; did you mean c3_add_price?");
  /* The direction of a relative step against the operation. */
  refuses(CHAIN, TO_C3, U, "-1", "migrate_upgrade('-1') would go down: use migrate_downgrade('-1')");
  refuses(CHAIN, TO_C3, D, "+1", "migrate_downgrade('+1') would go up: use migrate_upgrade('+1')");
  /* Steps that leave the graph. */
  refuses(CHAIN, "", U, "+6",
          "Relative revision +6 didn't produce 6 migrations: the database (at "
          "base) is only 5 steps below the head");
  refuses(CHAIN, TO_C3, U, "+3",
          "Relative revision +3 didn't produce 3 migrations: the database (at "
          "c3_add_price) is only 2 steps below the head");
  refuses(CHAIN, "", U, "c4_rebuild_items+2",
          "Relative revision c4_rebuild_items+2 didn't produce 2 migrations: "
          "c4_rebuild_items is only 1 step below the head");
  refuses(CHAIN, "", U, "head+1",
          "Relative revision head+1 didn't produce 1 migrations: c5_item_names "
          "is only 0 steps below the head");
  refuses(CHAIN, TO_C3, D, "-4",
          "Relative revision -4 didn't produce 4 migrations: the database (at "
          "c3_add_price) is only 3 steps above base");
  refuses(CHAIN, "", D, "-1",
          "Relative revision -1 didn't produce 1 migrations: the database (at "
          "base) is only 0 steps above base");
  refuses(CHAIN, "", S, "c2-3",
          "Relative revision c2-3 didn't produce 3 migrations: c2_audit_trigger "
          "is only 2 steps above base");
  refuses(CHAIN, "", U, "base-1",
          "Relative revision base-1 didn't produce 1 migrations: base is only 0 "
          "steps above base");
  /* The wrong side of the current revision. */
  refuses(CHAIN, TO_C3, U, "c2_audit_trigger",
          "Destination c2_audit_trigger is below the current revision "
          "c3_add_price: migrate_upgrade only goes up; to go down, use "
          "migrate_downgrade('c2_audit_trigger')");
  refuses(CHAIN, TO_C3, U, "c3-1",
          "Destination c2_audit_trigger is below the current revision "
          "c3_add_price: migrate_upgrade only goes up; to go down, use "
          "migrate_downgrade('c2_audit_trigger')");
  refuses(CHAIN, TO_C3, U, "base",
          "Destination base is below the current revision c3_add_price: "
          "migrate_upgrade only goes up; to go down, use migrate_downgrade('base')");
  refuses(CHAIN, TO_C3, D, "c4_rebuild_items",
          "Destination c4_rebuild_items is not below the current revision "
          "c3_add_price (it is not applied here): migrate_downgrade only goes "
          "down; to go up, use migrate_upgrade('c4_rebuild_items')");
  refuses(CHAIN, TO_C3, D, "head",
          "Destination c5_item_names is not below the current revision "
          "c3_add_price (it is not applied here): migrate_downgrade only goes "
          "down; to go up, use migrate_upgrade('c5_item_names')");
  refuses(CHAIN, TO_C3, D, "heads",
          "Destination heads is not below the current revision c3_add_price "
          "(it is not applied here): migrate_downgrade only goes down; to go "
          "up, use migrate_upgrade('heads')");
  refuses(CHAIN, "", D, "c1_items",
          "Destination c1_items is not below the current revision base (it is "
          "not applied here): migrate_downgrade only goes down; to go up, use "
          "migrate_upgrade('c1_items')");
}

static void test_targets_through_a_branch_and_merge(void **state) {
  (void)state;
  const DmOp U = DM_OP_UPGRADE, D = DM_OP_DOWNGRADE, S = DM_OP_STAMP;
  /* Upgrading to one branch leaves the other alone. */
  resolves(GRAPH, "", U, "g2a", "g1_base g2a_left");
  resolves(GRAPH, "g1_base g2a_left", U, "g2b_right", BRANCHES);
  resolves(GRAPH, "g1_base", U, "heads", ALL_GRAPH);
  resolves(GRAPH, BRANCHES, U, "g2a_left", BRANCHES);
  /* The merge needs both branches: +1 from one applies the other too. */
  resolves(GRAPH, "g1_base g2a_left", U, "+1", "g1_base g2a_left g2b_right g3_merge");
  resolves(GRAPH, "", U, "g2a_left+1", "g1_base g2a_left g2b_right g3_merge");
  resolves(GRAPH, "", U, "g3_merge", "g1_base g2a_left g2b_right g3_merge");
  resolves(GRAPH, "", U, "head-1", "g1_base g2a_left g2b_right g3_merge");
  resolves(GRAPH, "", U, "base+1", "g1_base");
  /* Downgrading to a revision removes what lies above it, on every branch. */
  resolves(GRAPH, ALL_GRAPH, D, "g2a_left", BRANCHES);
  resolves(GRAPH, ALL_GRAPH, D, "g2b", BRANCHES);
  resolves(GRAPH, ALL_GRAPH, D, "-1", "g1_base g2a_left g2b_right g3_merge");
  resolves(GRAPH, ALL_GRAPH, D, "g1_base", "g1_base");
  resolves(GRAPH, BRANCHES, D, "g2a_left-1", "g1_base");
  resolves(GRAPH, BRANCHES, D, "g2b_right", BRANCHES);
  resolves(GRAPH, "g1_base g2a_left", D, "-1", "g1_base");
  /* A stamp is the point and what is below it. */
  resolves(GRAPH, ALL_GRAPH, S, "g2a_left", "g1_base g2a_left");
  resolves(GRAPH, "", S, "g3", "g1_base g2a_left g2b_right g3_merge");
  resolves(GRAPH, BRANCHES, S, "heads", ALL_GRAPH);
}

static void test_target_errors_through_a_branch_and_merge(void **state) {
  (void)state;
  const DmOp U = DM_OP_UPGRADE, D = DM_OP_DOWNGRADE;
  refuses(GRAPH, "", U, "g2",
          "Multiple revisions start with 'g2': 'g2a_left', 'g2b_right'; give "
          "more of the revision id");
  refuses(GRAPH, "", U, "+2",
          "Relative revision +2 is ambiguous: g1_base has several next "
          "revisions (a branch point); name the branch by a revision on it, "
          "as in 'g2a_left@+2', or the target revision");
  refuses(GRAPH, "", U, "g1_base+1",
          "Relative revision g1_base+1 is ambiguous: g1_base has several next "
          "revisions (a branch point); name the branch by a revision on it, "
          "as in 'g2a_left@+1', or the target revision");
  refuses(GRAPH, BRANCHES, U, "+1",
          "Relative revision +1 is ambiguous: the database has several heads "
          "(g2a_left, g2b_right); name the branch by a revision on it, as in "
          "'g2a_left@+1', or start from a revision, as in 'g2a_left+1'");
  refuses(GRAPH, BRANCHES, D, "-1",
          "Relative revision -1 is ambiguous: the database has several heads "
          "(g2a_left, g2b_right); name the branch by a revision on it, as in "
          "'g2a_left@-1', or start from a revision, as in 'g2a_left-1'");
  refuses(GRAPH, ALL_GRAPH, D, "-2",
          "Relative revision -2 is ambiguous: g3_merge is a merge of several "
          "revisions; name the target revision instead");
  refuses(GRAPH, "", U, "g3_merge-1",
          "Relative revision g3_merge-1 is ambiguous: g3_merge is a merge of "
          "several revisions; name the target revision instead");
  refuses(GRAPH, BRANCHES, U, "g1_base",
          "Destination g1_base is below the current revision g2a_left, "
          "g2b_right: migrate_upgrade only goes up; to go down, use "
          "migrate_downgrade('g1_base')");
  refuses(GRAPH, "g1_base g2a_left", D, "g2b_right",
          "Destination g2b_right is not below the current revision g2a_left "
          "(it is not applied here): migrate_downgrade only goes down; to go "
          "up, use migrate_upgrade('g2b_right')");
}

static void test_targets_with_two_heads(void **state) {
  (void)state;
  const DmOp U = DM_OP_UPGRADE, D = DM_OP_DOWNGRADE, S = DM_OP_STAMP;
  const char *zHeadErr =
      "Multiple head revisions are present for given argument 'head'; please "
      "specify a specific target revision, '<branchname>@head' to narrow to a "
      "specific head, or 'heads' for all heads";
  refuses(TWOHEADS, "", U, "head", zHeadErr);
  refuses(TWOHEADS, "", D, "head", zHeadErr);
  refuses(TWOHEADS, "", S, "head", zHeadErr);
  refuses(TWOHEADS, "", U, "head-1", zHeadErr);
  resolves(TWOHEADS, "", U, "heads", ALL_TWOHEADS);
  resolves(TWOHEADS, "", S, "heads", ALL_TWOHEADS);
  resolves(TWOHEADS, "h1_base h2a_left h3a_more", U, "h2b_right", ALL_TWOHEADS);
  resolves(TWOHEADS, ALL_TWOHEADS, D, "h3a_more-1", "h1_base h2a_left h2b_right");
  resolves(TWOHEADS, ALL_TWOHEADS, D, "h2a_left", "h1_base h2a_left h2b_right");
  resolves(TWOHEADS, ALL_TWOHEADS, D, "h1_base", "h1_base");
  resolves(TWOHEADS, ALL_TWOHEADS, D, "base", "");
  refuses(TWOHEADS, ALL_TWOHEADS, D, "-1",
          "Relative revision -1 is ambiguous: the database has several heads "
          "(h2b_right, h3a_more); name the branch by a revision on it, as in "
          "'h2b_right@-1', or start from a revision, as in 'h2b_right-1'");
  /* 'heads' as a start is one revision only when there is one head. */
  refuses(TWOHEADS, "", U, "heads-1",
          "Relative revision heads-1: 'heads' names several revisions "
          "(h2b_right, h3a_more); start from one, as in 'h2b_right-1'");
  resolves(CHAIN, "", U, "heads-1",
           "c1_items c2_audit_trigger c3_add_price c4_rebuild_items");
}

/* ---- dm_plan ------------------------------------------------------------------------ */

static void test_plan_upgrades_parents_first(void **state) {
  (void)state;
  plans(CHAIN, "", ALL_CHAIN,
        "up c1_items, up c2_audit_trigger, up c3_add_price, up c4_rebuild_items, "
        "up c5_item_names");
  plans(CHAIN, TO_C3, ALL_CHAIN, "up c4_rebuild_items, up c5_item_names");
  plans(GRAPH, "", ALL_GRAPH,
        "up g1_base, up g2a_left, up g2b_right, up g3_merge, up g4_after");
  plans(GRAPH, "g1_base g2a_left", ALL_GRAPH, "up g2b_right, up g3_merge, up g4_after");
  plans(GRAPH, ALL_GRAPH, ALL_GRAPH, "");
}

static void test_plan_downgrades_children_first(void **state) {
  (void)state;
  plans(CHAIN, ALL_CHAIN, "c1_items",
        "down c5_item_names, down c4_rebuild_items, down c3_add_price, "
        "down c2_audit_trigger");
  plans(GRAPH, ALL_GRAPH, "",
        "down g4_after, down g3_merge, down g2b_right, down g2a_left, down g1_base");
  plans(GRAPH, ALL_GRAPH, BRANCHES, "down g4_after, down g3_merge");
}

static void test_plan_runs_downgrades_before_upgrades(void **state) {
  (void)state;
  /* A sideways move (as a stamp target may ask): off one branch, onto the
  ** other. */
  plans(GRAPH, "g1_base g2a_left", "g1_base g2b_right", "down g2a_left, up g2b_right");
  plans(TWOHEADS, "h1_base h2a_left h3a_more", "h1_base h2b_right",
        "down h3a_more, down h2a_left, up h2b_right");
}

/* ---- dm_row_changes ---------------------------------------------------------------- */

static void test_row_changes_along_a_chain(void **state) {
  (void)state;
  row_changes(CHAIN, "", "c1_items", "insert c1_items");
  row_changes(CHAIN, "", ALL_CHAIN, "insert c5_item_names");
  row_changes(CHAIN, "c1_items", TO_C3, "update c1_items -> c3_add_price");
  row_changes(CHAIN, TO_C3, "c1_items", "update c3_add_price -> c1_items");
  row_changes(CHAIN, TO_C3, "", "delete c3_add_price");
  row_changes(CHAIN, TO_C3, TO_C3, "");
}

static void test_row_changes_through_a_branch_point_and_merge(void **state) {
  (void)state;
  /* Onto one branch, then the other: the second branch is a new row. */
  row_changes(GRAPH, "g1_base", "g1_base g2a_left", "update g1_base -> g2a_left");
  row_changes(GRAPH, "g1_base g2a_left", BRANCHES, "insert g2b_right");
  /* Both branches from the branch point at once. */
  row_changes(GRAPH, "g1_base", BRANCHES, "update g1_base -> g2a_left, insert g2b_right");
  row_changes(GRAPH, "", BRANCHES, "insert g2a_left, insert g2b_right");
  /* The merge: one row becomes the merge, the other goes; as in Alembic's
  ** "merge mechanics" SQL, the first parent's row is deleted and the last
  ** parent's row updated. */
  row_changes(GRAPH, BRANCHES, "g1_base g2a_left g2b_right g3_merge",
              "delete g2a_left, update g2b_right -> g3_merge");
  row_changes(GRAPH, "g1_base g2a_left g2b_right g3_merge", BRANCHES,
              "insert g2a_left, update g3_merge -> g2b_right");
  row_changes(GRAPH, BRANCHES, ALL_GRAPH, "update g2a_left -> g4_after, delete g2b_right");
  /* And back: the merge splits into two rows. */
  row_changes(GRAPH, ALL_GRAPH, BRANCHES, "update g4_after -> g2a_left, insert g2b_right");
  row_changes(GRAPH, BRANCHES, "g1_base", "update g2a_left -> g1_base, delete g2b_right");
  row_changes(GRAPH, BRANCHES, "", "delete g2a_left, delete g2b_right");
  /* Sideways. */
  row_changes(GRAPH, "g1_base g2a_left", "g1_base g2b_right", "update g2a_left -> g2b_right");
  row_changes(GRAPH, BRANCHES, "g1_base g2b_right", "delete g2a_left");
  row_changes(TWOHEADS, "", ALL_TWOHEADS, "insert h2b_right, insert h3a_more");
  row_changes(TWOHEADS, ALL_TWOHEADS, "", "delete h2b_right, delete h3a_more");
}

/* ---- texts ------------------------------------------------------------------------- */

static void test_describe_names_the_version_rows(void **state) {
  (void)state;
  static const char *aCase[][4] = {
      /* set, members, zBase, text */
      {"graph", "", "base", "base"},
      {"graph", "", "the database (at base)", "the database (at base)"},
      {"graph", "g1_base", "base", "g1_base"},
      {"graph", BRANCHES, "base", "g2a_left, g2b_right"},
      {"graph", ALL_GRAPH, "base", "g4_after"},
      {"chain", TO_C3, "base", "c3_add_price"},
      {"twoheads", ALL_TWOHEADS, "base", "h2b_right, h3a_more"},
  };
  for (size_t i = 0; i < sizeof(aCase) / sizeof(aCase[0]); i++) {
    const DmSet *pSet = aCase[i][0][0] == 'g' ? GRAPH : aCase[i][0][0] == 'c' ? CHAIN : TWOHEADS;
    DmFlags a[MAX_REV];
    flags_of(pSet, aCase[i][1], a);
    char *z = dm_describe(pSet, a, aCase[i][2]);
    assert_non_null(z);
    if (strcmp(z, aCase[i][3]) != 0) {
      fail_msg("describe [%s] gave '%s', want '%s'", aCase[i][1], z, aCase[i][3]);
    }
    sqlite3_free(z);
  }
}

static void test_parents_and_joined_texts(void **state) {
  (void)state;
  char *z = dm_parents_text(GRAPH, index_of(GRAPH, "g3_merge"));
  assert_string_equal(z, "g2a_left, g2b_right");
  sqlite3_free(z);
  z = dm_parents_text(GRAPH, index_of(GRAPH, "g1_base"));
  assert_string_equal(z, "");
  sqlite3_free(z);
  z = dm_parents_text(CHAIN, index_of(CHAIN, "c2_audit_trigger"));
  assert_string_equal(z, "c1_items");
  sqlite3_free(z);
  int aIdx[] = {4, 0};
  z = dm_join_ids(GRAPH, aIdx, 2);
  assert_string_equal(z, "g4_after, g1_base");
  sqlite3_free(z);
  z = dm_join_ids(GRAPH, aIdx, 0);
  assert_string_equal(z, "");
  sqlite3_free(z);
  const char *az[] = {"a", "b c", ""};
  z = dm_join_strings(3, az);
  assert_string_equal(z, "a, b c, ");
  sqlite3_free(z);
  z = dm_join_strings(0, az);
  assert_string_equal(z, "");
  sqlite3_free(z);
}

/* ---- failed allocations ---------------------------------------------------------- */

/*
** sqlite3_malloc64() that fails once, at the nFailAt-th call from now
** (-1: never), so that every allocation of an operation can be failed in
** turn. Installed in main() before SQLite initialises.
*/
static sqlite3_mem_methods realMem;
static int nFailAt = -1;
static int bFailed;

static int should_fail(void) {
  if (nFailAt < 0) return 0;
  if (nFailAt-- > 0) return 0;
  bFailed = 1;
  return 1;
}
static void *fault_malloc(int n) { return should_fail() ? 0 : realMem.xMalloc(n); }
static void *fault_realloc(void *p, int n) {
  return should_fail() ? 0 : realMem.xRealloc(p, n);
}

/* One operation of the graph, freeing what it returns; its return code. */
typedef int (*GraphOp)(void);

static int op_resolve_relative_ambiguous(void) {
  DmFlags aApplied[MAX_REV], aTarget[MAX_REV];
  flags_of(GRAPH, BRANCHES, aApplied);
  char *zErr = 0;
  int rc = dm_resolve(GRAPH, aApplied, DM_OP_UPGRADE, "+1", aTarget, &zErr);
  sqlite3_free(zErr);
  return rc == SQLITE_ERROR && !zErr ? SQLITE_NOMEM : rc;
}
static int op_resolve_prefix_ambiguous(void) {
  DmFlags aApplied[MAX_REV], aTarget[MAX_REV];
  flags_of(GRAPH, "", aApplied);
  char *zErr = 0;
  int rc = dm_resolve(GRAPH, aApplied, DM_OP_UPGRADE, "g2", aTarget, &zErr);
  sqlite3_free(zErr);
  return rc == SQLITE_ERROR && !zErr ? SQLITE_NOMEM : rc;
}
static int op_resolve_below(void) {
  DmFlags aApplied[MAX_REV], aTarget[MAX_REV];
  flags_of(GRAPH, ALL_GRAPH, aApplied);
  char *zErr = 0;
  int rc = dm_resolve(GRAPH, aApplied, DM_OP_UPGRADE, "g1_base", aTarget, &zErr);
  sqlite3_free(zErr);
  return rc == SQLITE_ERROR && !zErr ? SQLITE_NOMEM : rc;
}
static int op_resolve_downgrade(void) {
  DmFlags aApplied[MAX_REV], aTarget[MAX_REV];
  flags_of(GRAPH, ALL_GRAPH, aApplied);
  char *zErr = 0;
  int rc = dm_resolve(GRAPH, aApplied, DM_OP_DOWNGRADE, "g2a-1", aTarget, &zErr);
  sqlite3_free(zErr);
  return rc;
}
static int op_resolve_too_far(void) {
  DmFlags aApplied[MAX_REV], aTarget[MAX_REV];
  flags_of(CHAIN, TO_C3, aApplied);
  char *zErr = 0;
  int rc = dm_resolve(CHAIN, aApplied, DM_OP_DOWNGRADE, "-9", aTarget, &zErr);
  sqlite3_free(zErr);
  return rc == SQLITE_ERROR && !zErr ? SQLITE_NOMEM : rc;
}
static int op_contradictory_rows(void) {
  DmFlags a[MAX_REV];
  const char *azRow[] = {"g4_after", "g1_base"};
  char *zErr = 0;
  int rc = dm_applied_from_rows(GRAPH, 2, azRow, a, &zErr);
  sqlite3_free(zErr);
  return rc == SQLITE_ERROR && !zErr ? SQLITE_NOMEM : rc;
}
/* Each odd content of alembic_version: NULL, unknown, twice. */
static int rows_op(int nRow, const char *const *azRow) {
  DmFlags a[MAX_REV];
  char *zErr = 0;
  int rc = dm_applied_from_rows(CHAIN, nRow, azRow, a, &zErr);
  sqlite3_free(zErr);
  return rc == SQLITE_ERROR && !zErr ? SQLITE_NOMEM : rc;
}
static int op_null_row(void) {
  const char *azRow[] = {"c1_items", 0};
  return rows_op(2, azRow);
}
static int op_unknown_row(void) {
  const char *azRow[] = {"c1_items", "zzz"};
  return rows_op(2, azRow);
}
static int op_row_twice(void) {
  const char *azRow[] = {"c1_items", "c1_items"};
  return rows_op(2, azRow);
}
static int op_too_many_steps(void) {
  DmFlags aApplied[MAX_REV], aTarget[MAX_REV];
  flags_of(CHAIN, "", aApplied);
  char *zErr = 0;
  int rc = dm_resolve(CHAIN, aApplied, DM_OP_UPGRADE, "+5000000", aTarget, &zErr);
  sqlite3_free(zErr);
  return rc;
}
static int op_applied_from_rows(void) {
  DmFlags a[MAX_REV];
  const char *azRow[] = {"g2a_left", "g2b_right"};
  char *zErr = 0;
  int rc = dm_applied_from_rows(GRAPH, 2, azRow, a, &zErr);
  sqlite3_free(zErr);
  return rc;
}
static int op_plan(void) {
  DmFlags aApplied[MAX_REV], aTarget[MAX_REV];
  flags_of(GRAPH, "", aApplied);
  flags_of(GRAPH, ALL_GRAPH, aTarget);
  DmPlan plan;
  int rc = dm_plan(GRAPH, aApplied, aTarget, &plan);
  if (rc == SQLITE_OK) dm_plan_clear(&plan);
  return rc;
}
static int op_row_changes(void) {
  DmFlags aBefore[MAX_REV], aAfter[MAX_REV];
  DmRowChange aChange[2 * MAX_REV];
  flags_of(GRAPH, BRANCHES, aBefore);
  flags_of(GRAPH, ALL_GRAPH, aAfter);
  return dm_row_changes(GRAPH, aBefore, aAfter, aChange) < 0 ? SQLITE_NOMEM : SQLITE_OK;
}
static int op_describe(void) {
  DmFlags a[MAX_REV];
  flags_of(GRAPH, BRANCHES, a);
  char *z = dm_describe(GRAPH, a, "base");
  sqlite3_free(z);
  return z ? SQLITE_OK : SQLITE_NOMEM;
}

/*
** Fail each allocation of each operation in turn: the operation says
** SQLITE_NOMEM (an error without its message counts), frees everything it
** took, and once nothing fails it gives its normal result.
*/
static void test_failed_allocations_give_nomem_and_leak_nothing(void **state) {
  (void)state;
  static const struct {
    const char *zName;
    GraphOp xOp;
    int rcNormal;
  } aOp[] = {
      {"resolve +1 at two heads", op_resolve_relative_ambiguous, SQLITE_ERROR},
      {"resolve an ambiguous prefix", op_resolve_prefix_ambiguous, SQLITE_ERROR},
      {"resolve below the current", op_resolve_below, SQLITE_ERROR},
      {"resolve a downgrade", op_resolve_downgrade, SQLITE_OK},
      {"resolve past base", op_resolve_too_far, SQLITE_ERROR},
      {"contradictory rows", op_contradictory_rows, SQLITE_ERROR},
      {"a NULL row", op_null_row, SQLITE_ERROR},
      {"an unknown row", op_unknown_row, SQLITE_ERROR},
      {"a row twice", op_row_twice, SQLITE_ERROR},
      {"too many steps", op_too_many_steps, SQLITE_ERROR},
      {"applied from rows", op_applied_from_rows, SQLITE_OK},
      {"plan", op_plan, SQLITE_OK},
      {"row changes", op_row_changes, SQLITE_OK},
      {"describe", op_describe, SQLITE_OK},
  };
  for (size_t k = 0; k < sizeof(aOp) / sizeof(aOp[0]); k++) {
    int nFailures = 0;
    for (int iFail = 0; iFail < 1000; iFail++) {
      sqlite3_int64 nBefore = sqlite3_memory_used();
      bFailed = 0;
      nFailAt = iFail;
      int rc = aOp[k].xOp();
      nFailAt = -1;
      if (sqlite3_memory_used() != nBefore) {
        fail_msg("%s, %s: %lld bytes leaked", aOp[k].zName,
                 bFailed ? "an allocation failed" : "nothing failed",
                 (long long)(sqlite3_memory_used() - nBefore));
      }
      if (!bFailed) {
        if (rc != aOp[k].rcNormal) fail_msg("%s: rc %d", aOp[k].zName, rc);
        break;
      }
      nFailures++;
      if (rc != SQLITE_NOMEM) {
        fail_msg("%s, allocation %d failed: rc %d, want SQLITE_NOMEM", aOp[k].zName,
                 iFail, rc);
      }
    }
    if (nFailures == 0) fail_msg("%s allocates nothing: test bug?", aOp[k].zName);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fixture_tables_are_in_topological_order),
      cmocka_unit_test(test_find_matches_whole_ids_only),
      cmocka_unit_test(test_heads_of_whole_sets),
      cmocka_unit_test(test_heads_of_subsets_in_both_modes),
      cmocka_unit_test(test_close_down_adds_every_ancestor),
      cmocka_unit_test(test_applied_from_rows_closes_down),
      cmocka_unit_test(test_applied_from_rows_refuses_unknown_revision),
      cmocka_unit_test(test_applied_from_rows_refuses_contradictory_rows),
      cmocka_unit_test(test_applied_from_rows_names_a_row_twice),
      cmocka_unit_test(test_applied_from_rows_names_a_null_row),
      cmocka_unit_test(test_applied_from_rows_lists_ten_rows),
      cmocka_unit_test(test_upgrade_targets_on_a_chain),
      cmocka_unit_test(test_downgrade_targets_on_a_chain),
      cmocka_unit_test(test_stamp_targets_on_a_chain),
      cmocka_unit_test(test_target_errors_on_a_chain),
      cmocka_unit_test(test_unknown_revision_suggests_the_nearest),
      cmocka_unit_test(test_unknown_revision_messages_carry_the_suggestion),
      cmocka_unit_test(test_step_count_over_the_limit_is_named),
      cmocka_unit_test(test_misplaced_sign_is_not_a_relative_revision),
      cmocka_unit_test(test_targets_through_a_branch_and_merge),
      cmocka_unit_test(test_target_errors_through_a_branch_and_merge),
      cmocka_unit_test(test_targets_with_two_heads),
      cmocka_unit_test(test_plan_upgrades_parents_first),
      cmocka_unit_test(test_plan_downgrades_children_first),
      cmocka_unit_test(test_plan_runs_downgrades_before_upgrades),
      cmocka_unit_test(test_row_changes_along_a_chain),
      cmocka_unit_test(test_row_changes_through_a_branch_point_and_merge),
      cmocka_unit_test(test_describe_names_the_version_rows),
      cmocka_unit_test(test_parents_and_joined_texts),
      cmocka_unit_test(test_failed_allocations_give_nomem_and_leak_nothing),
  };
  sqlite3_mem_methods mem;
  if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &realMem) != SQLITE_OK) return 1;
  mem = realMem;
  mem.xMalloc = fault_malloc;
  mem.xRealloc = fault_realloc;
  if (sqlite3_config(SQLITE_CONFIG_MALLOC, &mem) != SQLITE_OK ||
      sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 1) != SQLITE_OK ||
      sqlite3_initialize() != SQLITE_OK) {
    fprintf(stderr, "cannot install the failing allocator\n");
    return 1;
  }
  return cmocka_run_group_tests(tests, 0, 0);
}
