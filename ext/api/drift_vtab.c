/*
** migration_drift: what migrate_check() reports, one row per difference,
** for scripts:
**
**   SELECT kind, name, difference FROM migration_drift;
**   index|idx_questions_category|missing
**
** Columns: kind (table, view, index, trigger, migration), name,
** difference, expected and actual (the definitions compared, one line
** each; NULL where there is nothing). No rows: the database matches.
** Eponymous-only; it only reads, so it is innocuous.
*/
#include "api/drift_vtab.h"

#include <string.h>

#include "api/api.h"
#include "ops/check.h"

SQLITE_EXTENSION_INIT3

enum { COL_KIND, COL_NAME, COL_DIFFERENCE, COL_EXPECTED, COL_ACTUAL };

typedef DmVtab DriftVtab;

typedef struct DriftCursor DriftCursor;
struct DriftCursor {
  sqlite3_vtab_cursor base;
  int iRow;
  DmDiffList list;
};

static int drift_connect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                         sqlite3_vtab **ppVtab, char **pzErr) {
  (void)argc;
  (void)argv;
  (void)pzErr;
  return dm_vtab_connect(db, pAux, DM_DRIFT_SCHEMA, ppVtab);
}

/* No constraint is used: the comparison is done whole, once per scan. */
static int drift_best_index(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo) {
  (void)pVtab;
  pInfo->estimatedCost = 1000.0;
  pInfo->estimatedRows = 10;
  return SQLITE_OK;
}

static int drift_open(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCursor) {
  (void)pVtab;
  DriftCursor *pCur = sqlite3_malloc(sizeof(*pCur));
  if (!pCur) return SQLITE_NOMEM;
  memset(pCur, 0, sizeof(*pCur));
  *ppCursor = &pCur->base;
  return SQLITE_OK;
}

static int drift_close(sqlite3_vtab_cursor *pCursor) {
  DriftCursor *pCur = (DriftCursor *)pCursor;
  dm_diff_clear(&pCur->list);
  sqlite3_free(pCur);
  return SQLITE_OK;
}

static int drift_filter(sqlite3_vtab_cursor *pCursor, int idxNum, const char *idxStr, int argc,
                        sqlite3_value **argv) {
  (void)idxNum;
  (void)idxStr;
  (void)argc;
  (void)argv;
  DriftCursor *pCur = (DriftCursor *)pCursor;
  DriftVtab *pTab = (DriftVtab *)pCursor->pVtab;
  dm_diff_clear(&pCur->list);
  pCur->iRow = 0;
  char *zErr = 0;
  int rc = dm_check(pTab->db, pTab->pSet, 0, &pCur->list, &zErr);
  if (rc && zErr) {
    sqlite3_free(pTab->base.zErrMsg);
    pTab->base.zErrMsg = zErr;
  } else {
    sqlite3_free(zErr);
  }
  return rc;
}

static int drift_next(sqlite3_vtab_cursor *pCursor) {
  ((DriftCursor *)pCursor)->iRow++;
  return SQLITE_OK;
}

static int drift_eof(sqlite3_vtab_cursor *pCursor) {
  DriftCursor *pCur = (DriftCursor *)pCursor;
  return pCur->iRow >= pCur->list.n;
}

static int drift_column(sqlite3_vtab_cursor *pCursor, sqlite3_context *ctx, int iCol) {
  DriftCursor *pCur = (DriftCursor *)pCursor;
  const DmDiff *p = &pCur->list.a[pCur->iRow];
  const char *z = 0;
  switch (iCol) {
    case COL_KIND: z = p->zKind; break;
    case COL_NAME: z = p->zName; break;
    case COL_DIFFERENCE: z = p->zWhat; break;
    case COL_EXPECTED: z = p->zExpected; break;
    case COL_ACTUAL: z = p->zActual; break;
  }
  if (z) sqlite3_result_text(ctx, z, -1, SQLITE_TRANSIENT);
  return SQLITE_OK;
}

static int drift_rowid(sqlite3_vtab_cursor *pCursor, sqlite3_int64 *pRowid) {
  *pRowid = ((DriftCursor *)pCursor)->iRow + 1;
  return SQLITE_OK;
}

/* Eponymous-only: no xCreate, so it cannot be CREATEd into a schema. */
const sqlite3_module dm_drift_module = {
    .iVersion = 0,
    .xConnect = drift_connect,
    .xBestIndex = drift_best_index,
    .xDisconnect = dm_vtab_disconnect,
    .xOpen = drift_open,
    .xClose = drift_close,
    .xFilter = drift_filter,
    .xNext = drift_next,
    .xEof = drift_eof,
    .xColumn = drift_column,
    .xRowid = drift_rowid,
};
