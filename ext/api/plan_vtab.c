/*
** migration_plan(target): what a run would do, without running it.
**
**   SELECT * FROM migration_plan('head');
**   step|direction|from_version|to_version|revision|message|file
**   1|upgrade||001_initial_schema|001_initial_schema|Create initial ...|...
**
** from_version and to_version are the database's version before and after
** the step (NULL at base), as in distmigrate_log. A target below the
** current revision gives the downgrade's steps. Eponymous-only; it reads
** alembic_version and nothing else, so it is innocuous.
*/
#include "api/plan_vtab.h"

#include <string.h>

#include "api/api.h"

#include "run/runner.h"

SQLITE_EXTENSION_INIT3

enum {
  COL_STEP,
  COL_DIRECTION,
  COL_FROM,
  COL_TO,
  COL_REVISION,
  COL_MESSAGE,
  COL_FILE,
  COL_TARGET /* hidden: the argument; TEXT, or '001' would be compared as 1 */
};

typedef DmVtab PlanVtab;

typedef struct PlanCursor PlanCursor;
struct PlanCursor {
  sqlite3_vtab_cursor base;
  int iRow;
  DmPlan plan;
  char **azVersion;   /* nStep+1 versions: before step 1, after each step */
};

static int plan_connect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                        sqlite3_vtab **ppVtab, char **pzErr) {
  (void)argc;
  (void)argv;
  (void)pzErr;
  return dm_vtab_connect(
      db, pAux,
      "CREATE TABLE x(step INTEGER, direction TEXT, from_version TEXT, "
      "to_version TEXT, revision TEXT, message TEXT, file TEXT, "
      "target TEXT HIDDEN)",
      ppVtab);
}

/*
** idxNum 1: target = ? is used (argv[0] of xFilter). idxNum 0: no target,
** which xFilter refuses with a sentence saying how to call it. A target
** constraint that cannot be used yet (a join) makes this plan unusable.
*/
static int plan_best_index(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo) {
  (void)pVtab;
  pInfo->idxNum = 0;
  for (int i = 0; i < pInfo->nConstraint; i++) {
    const struct sqlite3_index_constraint *p = &pInfo->aConstraint[i];
    if (p->iColumn != COL_TARGET || p->op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    if (!p->usable) return SQLITE_CONSTRAINT;
    pInfo->aConstraintUsage[i].argvIndex = 1;
    pInfo->aConstraintUsage[i].omit = 1;
    pInfo->idxNum = 1;
  }
  pInfo->estimatedCost = 10.0;
  pInfo->estimatedRows = 10;
  return SQLITE_OK;
}

static void cursor_clear(PlanCursor *pCur) {
  if (pCur->azVersion) {
    for (int i = 0; i <= pCur->plan.nStep; i++) sqlite3_free(pCur->azVersion[i]);
  }
  sqlite3_free(pCur->azVersion);
  pCur->azVersion = 0;
  dm_plan_clear(&pCur->plan);
}

static int plan_open(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCursor) {
  (void)pVtab;
  PlanCursor *pCur = sqlite3_malloc(sizeof(*pCur));
  if (!pCur) return SQLITE_NOMEM;
  memset(pCur, 0, sizeof(*pCur));
  *ppCursor = &pCur->base;
  return SQLITE_OK;
}

static int plan_close(sqlite3_vtab_cursor *pCursor) {
  PlanCursor *pCur = (PlanCursor *)pCursor;
  cursor_clear(pCur);
  sqlite3_free(pCur);
  return SQLITE_OK;
}

static int vtab_error(PlanVtab *pTab, char *zErr) {
  sqlite3_free(pTab->base.zErrMsg);
  pTab->base.zErrMsg = zErr;
  return zErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

static int plan_filter(sqlite3_vtab_cursor *pCursor, int idxNum, const char *idxStr, int argc,
                       sqlite3_value **argv) {
  (void)idxStr;
  PlanCursor *pCur = (PlanCursor *)pCursor;
  PlanVtab *pTab = (PlanVtab *)pCursor->pVtab;
  const DmSet *pSet = pTab->pSet;
  int n = pSet->nRev;
  cursor_clear(pCur);
  pCur->iRow = 0;
  if (idxNum != 1 || argc != 1 || sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    return vtab_error(pTab, sqlite3_mprintf(
        "migration_plan needs a target, as in SELECT * FROM migration_plan('head')"));
  }
  char *zErr = 0;
  const char *zTarget = dm_target_text(argv[0], "migration_plan", "head", &zErr);
  if (!zTarget) return vtab_error(pTab, zErr);

  int nRow = 0;
  char **azRow = 0;
  DmOp eOp;
  DmFlags *aAll = sqlite3_malloc64((sqlite3_uint64)(3 * n + 3));
  int rc = aAll ? dm_read_version(pTab->db, &nRow, &azRow, &zErr) : SQLITE_NOMEM;
  DmFlags *aCur = aAll, *aTarget = aAll + n + 1, *aNext = aAll + 2 * n + 2;
  if (rc == SQLITE_OK) {
    rc = dm_applied_from_rows(pSet, nRow, (const char *const *)azRow, aCur, &zErr);
  }
  if (rc == SQLITE_OK) rc = dm_resolve_either(pSet, aCur, zTarget, &eOp, aTarget, &zErr);
  if (rc == SQLITE_OK) rc = dm_plan(pSet, aCur, aTarget, &pCur->plan);
  if (rc == SQLITE_OK) {
    int nStep = pCur->plan.nStep;
    pCur->azVersion = sqlite3_malloc64(sizeof(char *) * (sqlite3_uint64)(nStep + 1));
    if (!pCur->azVersion) rc = SQLITE_NOMEM;
    if (rc == SQLITE_OK) memset(pCur->azVersion, 0, sizeof(char *) * (size_t)(nStep + 1));
    for (int i = 0; rc == SQLITE_OK && i <= nStep; i++) {
      if (i > 0) {
        const DmStep *pStep = &pCur->plan.aStep[i - 1];
        memcpy(aNext, aCur, (size_t)n);
        aNext[pStep->iRev] = (DmFlags)pStep->bUp;
        memcpy(aCur, aNext, (size_t)n);
      }
      pCur->azVersion[i] = dm_describe(pSet, aCur, "");
      if (!pCur->azVersion[i]) rc = SQLITE_NOMEM;
    }
  }
  sqlite3_free(aAll);
  sqlite3_free(azRow);
  if (rc == SQLITE_ERROR && zErr) return vtab_error(pTab, zErr);
  sqlite3_free(zErr);
  return rc;
}

static int plan_next(sqlite3_vtab_cursor *pCursor) {
  ((PlanCursor *)pCursor)->iRow++;
  return SQLITE_OK;
}

static int plan_eof(sqlite3_vtab_cursor *pCursor) {
  PlanCursor *pCur = (PlanCursor *)pCursor;
  return pCur->iRow >= pCur->plan.nStep;
}

static void result_version(sqlite3_context *ctx, const char *z) {
  if (z && z[0]) sqlite3_result_text(ctx, z, -1, SQLITE_TRANSIENT);
}

static int plan_column(sqlite3_vtab_cursor *pCursor, sqlite3_context *ctx, int iCol) {
  PlanCursor *pCur = (PlanCursor *)pCursor;
  const DmSet *pSet = ((PlanVtab *)pCursor->pVtab)->pSet;
  const DmStep *pStep = &pCur->plan.aStep[pCur->iRow];
  const DmRevision *pRev = &pSet->aRev[pStep->iRev];
  switch (iCol) {
    case COL_STEP:
      sqlite3_result_int(ctx, pCur->iRow + 1);
      break;
    case COL_DIRECTION:
      sqlite3_result_text(ctx, pStep->bUp ? "upgrade" : "downgrade", -1, SQLITE_STATIC);
      break;
    case COL_FROM:
      result_version(ctx, pCur->azVersion[pCur->iRow]);
      break;
    case COL_TO:
      result_version(ctx, pCur->azVersion[pCur->iRow + 1]);
      break;
    case COL_REVISION:
      sqlite3_result_text(ctx, pRev->zId, -1, SQLITE_STATIC);
      break;
    case COL_MESSAGE:
      sqlite3_result_text(ctx, pRev->zMessage, -1, SQLITE_STATIC);
      break;
    case COL_FILE:
      sqlite3_result_text(ctx, pRev->zFile, -1, SQLITE_STATIC);
      break;
    default:
      break; /* target: not kept */
  }
  return SQLITE_OK;
}

static int plan_rowid(sqlite3_vtab_cursor *pCursor, sqlite3_int64 *pRowid) {
  *pRowid = ((PlanCursor *)pCursor)->iRow + 1;
  return SQLITE_OK;
}

/* Eponymous-only: no xCreate, so it cannot be CREATEd into a schema. */
const sqlite3_module dm_plan_module = {
    .iVersion = 0,
    .xConnect = plan_connect,
    .xBestIndex = plan_best_index,
    .xDisconnect = dm_vtab_disconnect,
    .xOpen = plan_open,
    .xClose = plan_close,
    .xFilter = plan_filter,
    .xNext = plan_next,
    .xEof = plan_eof,
    .xColumn = plan_column,
    .xRowid = plan_rowid,
};
