/*
** migration_history: `alembic history` as a table. One row per compiled-in
** revision, newest first as Alembic prints it, with what this database has
** applied. Eponymous-only (xCreate is 0): SELECT * FROM migration_history.
** It only reads, so it is innocuous: a view may use it.
*/
#include "api/history_vtab.h"

#include <string.h>

#include "api/api.h"

#include "graph/revision.h"
#include "run/runner.h"

SQLITE_EXTENSION_INIT3

enum {
  COL_REVISION,
  COL_PARENTS,
  COL_MESSAGE,
  COL_CREATE_DATE,
  COL_IS_HEAD,
  COL_IS_BASE,
  COL_IS_BRANCH_POINT,
  COL_IS_MERGE,
  COL_BRANCH_LABELS,
  COL_DEPENDS_ON,
  COL_APPLIED,
  COL_APPLIED_AT,
  COL_CHECKSUM,
  COL_FILE
};

typedef DmVtab HistoryVtab;

typedef struct HistoryCursor HistoryCursor;
struct HistoryCursor {
  sqlite3_vtab_cursor base;
  int iRow;              /* 0 .. nRev-1, newest first */
  int bKnown;            /* aApplied is meaningful (the version is known) */
  DmFlags *aApplied;
  DmFlags *aHead;        /* Heads of the script directory */
  char **azAppliedAt;    /* Last upgrade time from distmigrate_log, or 0 */
};

static int history_connect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                           sqlite3_vtab **ppVtab, char **pzErr) {
  (void)argc;
  (void)argv;
  (void)pzErr;
  return dm_vtab_connect(
      db, pAux,
      "CREATE TABLE x(revision TEXT, parents TEXT, message TEXT, "
      "create_date TEXT, is_head INTEGER, is_base INTEGER, "
      "is_branch_point INTEGER, is_merge INTEGER, branch_labels TEXT, "
      "depends_on TEXT, applied INTEGER, applied_at TEXT, checksum TEXT, "
      "file TEXT)",
      ppVtab);
}

/* No constraint is used: the table is a handful of rows. */
static int history_best_index(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo) {
  HistoryVtab *pTab = (HistoryVtab *)pVtab;
  pInfo->estimatedCost = (double)pTab->pSet->nRev;
  pInfo->estimatedRows = pTab->pSet->nRev;
  return SQLITE_OK;
}

static void cursor_clear(HistoryCursor *pCur, int nRev) {
  if (pCur->azAppliedAt) {
    for (int i = 0; i < nRev; i++) sqlite3_free(pCur->azAppliedAt[i]);
  }
  sqlite3_free(pCur->azAppliedAt);
  sqlite3_free(pCur->aApplied);
  pCur->azAppliedAt = 0;
  pCur->aApplied = 0;
  pCur->aHead = 0;
}

static int history_open(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCursor) {
  (void)pVtab;
  HistoryCursor *pCur = sqlite3_malloc(sizeof(*pCur));
  if (!pCur) return SQLITE_NOMEM;
  memset(pCur, 0, sizeof(*pCur));
  *ppCursor = &pCur->base;
  return SQLITE_OK;
}

static int history_close(sqlite3_vtab_cursor *pCursor) {
  HistoryCursor *pCur = (HistoryCursor *)pCursor;
  cursor_clear(pCur, ((HistoryVtab *)pCursor->pVtab)->pSet->nRev);
  sqlite3_free(pCur);
  return SQLITE_OK;
}

/* When each applied revision was last upgraded, from the audit log. */
static int load_applied_at(sqlite3 *db, const DmSet *pSet, char **azAt) {
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(
      db,
      "SELECT revision, max(started_at) FROM main.distmigrate_log "
      "WHERE direction = 'upgrade' GROUP BY revision",
      -1, &pStmt, 0);
  if (rc) return SQLITE_OK; /* No log (yet): nothing known. */
  while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    const char *zRev = (const char *)sqlite3_column_text(pStmt, 0);
    const char *zAt = (const char *)sqlite3_column_text(pStmt, 1);
    int i = zRev ? dm_find(pSet, zRev, (int)strlen(zRev)) : -1;
    if (i >= 0 && zAt) {
      azAt[i] = sqlite3_mprintf("%s", zAt);
      if (!azAt[i]) {
        rc = SQLITE_NOMEM;
        break;
      }
    }
  }
  sqlite3_finalize(pStmt);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int history_filter(sqlite3_vtab_cursor *pCursor, int idxNum, const char *idxStr, int argc,
                          sqlite3_value **argv) {
  (void)idxNum;
  (void)idxStr;
  (void)argc;
  (void)argv;
  HistoryCursor *pCur = (HistoryCursor *)pCursor;
  HistoryVtab *pTab = (HistoryVtab *)pCursor->pVtab;
  const DmSet *pSet = pTab->pSet;
  int n = pSet->nRev;
  cursor_clear(pCur, n);
  pCur->iRow = 0;

  pCur->aApplied = sqlite3_malloc64((sqlite3_uint64)(2 * n + 2));
  pCur->azAppliedAt = sqlite3_malloc64(sizeof(char *) * (sqlite3_uint64)(n + 1));
  /* Zeroed at once: cursor_clear() frees each entry, whatever fails next. */
  if (pCur->azAppliedAt) memset(pCur->azAppliedAt, 0, sizeof(char *) * (size_t)(n + 1));
  int *aIdx = sqlite3_malloc64(sizeof(int) * (sqlite3_uint64)(n + 1));
  if (!pCur->aApplied || !pCur->azAppliedAt || !aIdx) {
    sqlite3_free(aIdx);
    return SQLITE_NOMEM;
  }
  memset(pCur->aApplied, 0, (size_t)(2 * n + 2));
  pCur->aHead = pCur->aApplied + n + 1;
  int nHead = dm_heads(pSet, 0, 0, aIdx);
  for (int i = 0; i < nHead; i++) pCur->aHead[aIdx[i]] = 1;
  sqlite3_free(aIdx);

  /* A version this build does not know leaves "applied" NULL: the rows
  ** still say what this build carries, which is what one wants to see. */
  int nRow = 0;
  char **azRow = 0;
  char *zErr = 0;
  int rc = dm_read_version(pTab->db, &nRow, &azRow, &zErr);
  if (rc == SQLITE_OK) {
    rc = dm_applied_from_rows(pSet, nRow, (const char *const *)azRow,
                              pCur->aApplied, &zErr);
    pCur->bKnown = rc == SQLITE_OK;
    if (rc == SQLITE_ERROR) rc = SQLITE_OK;
  }
  sqlite3_free(zErr);
  sqlite3_free(azRow);
  if (rc == SQLITE_OK) rc = load_applied_at(pTab->db, pSet, pCur->azAppliedAt);
  return rc;
}

static int history_next(sqlite3_vtab_cursor *pCursor) {
  ((HistoryCursor *)pCursor)->iRow++;
  return SQLITE_OK;
}

static int history_eof(sqlite3_vtab_cursor *pCursor) {
  HistoryCursor *pCur = (HistoryCursor *)pCursor;
  return pCur->iRow >= ((HistoryVtab *)pCursor->pVtab)->pSet->nRev;
}

static void result_list(sqlite3_context *ctx, const DmSet *pSet, const int *aIdx,
                        int nIdx) {
  if (nIdx == 0) return; /* NULL */
  char *z = dm_join_ids(pSet, aIdx, nIdx);
  if (z) {
    sqlite3_result_text(ctx, z, -1, sqlite3_free);
  } else {
    sqlite3_result_error_nomem(ctx);
  }
}

static int history_column(sqlite3_vtab_cursor *pCursor, sqlite3_context *ctx, int iCol) {
  HistoryCursor *pCur = (HistoryCursor *)pCursor;
  const DmSet *pSet = ((HistoryVtab *)pCursor->pVtab)->pSet;
  int i = pSet->nRev - 1 - pCur->iRow;
  const DmRevision *pRev = &pSet->aRev[i];
  switch (iCol) {
    case COL_REVISION:
      sqlite3_result_text(ctx, pRev->zId, -1, SQLITE_STATIC);
      break;
    case COL_PARENTS:
      result_list(ctx, pSet, pRev->aParent, pRev->nParent);
      break;
    case COL_MESSAGE:
      sqlite3_result_text(ctx, pRev->zMessage, -1, SQLITE_STATIC);
      break;
    case COL_CREATE_DATE:
      if (pRev->zCreateDate[0]) {
        sqlite3_result_text(ctx, pRev->zCreateDate, -1, SQLITE_STATIC);
      }
      break;
    case COL_IS_HEAD:
      sqlite3_result_int(ctx, pCur->aHead[i]);
      break;
    case COL_IS_BASE:
      sqlite3_result_int(ctx, pRev->nParent == 0);
      break;
    case COL_IS_BRANCH_POINT: {
      int nChild = 0;
      for (int j = i + 1; j < pSet->nRev; j++) {
        for (int k = 0; k < pSet->aRev[j].nParent; k++) {
          if (pSet->aRev[j].aParent[k] == i) nChild++;
        }
      }
      sqlite3_result_int(ctx, nChild > 1);
      break;
    }
    case COL_IS_MERGE:
      sqlite3_result_int(ctx, pRev->nParent > 1);
      break;
    case COL_BRANCH_LABELS: {
      /* The labels that apply here, as alembic history shows them. */
      char *z = dm_branch_labels(pSet, i);
      if (!z) return SQLITE_NOMEM;
      if (z[0]) {
        sqlite3_result_text(ctx, z, -1, sqlite3_free);
      } else {
        sqlite3_free(z);
      }
      break;
    }
    case COL_DEPENDS_ON:
      result_list(ctx, pSet, pRev->aDepend, pRev->nDepend);
      break;
    case COL_APPLIED:
      if (pCur->bKnown) sqlite3_result_int(ctx, pCur->aApplied[i]);
      break;
    case COL_APPLIED_AT:
      if (pCur->bKnown && pCur->aApplied[i] && pCur->azAppliedAt[i]) {
        sqlite3_result_text(ctx, pCur->azAppliedAt[i], -1, SQLITE_TRANSIENT);
      }
      break;
    case COL_CHECKSUM:
      sqlite3_result_text(ctx, pRev->zChecksum, -1, SQLITE_STATIC);
      break;
    case COL_FILE:
      sqlite3_result_text(ctx, pRev->zFile, -1, SQLITE_STATIC);
      break;
  }
  return SQLITE_OK;
}

static int history_rowid(sqlite3_vtab_cursor *pCursor, sqlite3_int64 *pRowid) {
  HistoryCursor *pCur = (HistoryCursor *)pCursor;
  *pRowid = ((HistoryVtab *)pCursor->pVtab)->pSet->nRev - pCur->iRow;
  return SQLITE_OK;
}

/* Eponymous-only: no xCreate, so it cannot be CREATEd into a schema. */
const sqlite3_module dm_history_module = {
    .iVersion = 0,
    .xConnect = history_connect,
    .xBestIndex = history_best_index,
    .xDisconnect = dm_vtab_disconnect,
    .xOpen = history_open,
    .xClose = history_close,
    .xFilter = history_filter,
    .xNext = history_next,
    .xEof = history_eof,
    .xColumn = history_column,
    .xRowid = history_rowid,
};
