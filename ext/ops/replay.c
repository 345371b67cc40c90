/*
** The replay (see replay.h): a private :memory: connection with what a
** migration may call registered on it, and the migrations run into it.
**
** What the connection has, and why no more: migrate_alter_table(),
** registered by alter/ itself, is the one distmigrate function a
** migration calls. The runner refuses a migration that calls the
** functions that run or stamp, and one that asks for a replay would
** replay itself without end; those asking for a replay (migrate_check(),
** migrate_sql(), migration_drift) are stood in for here by ones that say
** so, with dm_replay_enter's message, as the real ones would from inside
** a replay. The rest of api/'s surface is not registered: ops/ is below
** api/, and a replay that registered all of it (as it once did) made a
** circle at run time, api/ -> ops/ -> api/.
*/
#include "ops/replay.h"

#include <string.h>

#include "alter/alter.h"
#include "ops/check.h"

SQLITE_EXTENSION_INIT3

/* Replays under way in this thread (the calls nest, never the replays). */
static _Thread_local int nReplay = 0;

static char *replay_refusal(void) {
  return sqlite3_mprintf(
      "a migration must not ask for a replay of the migrations "
      "(migrate_check(), migrate_sql(), migration_drift): it would replay "
      "itself without end");
}

int dm_replay_enter(char **pzErr) {
  if (nReplay > 0) {
    *pzErr = replay_refusal();
    return SQLITE_MISUSE;
  }
  nReplay++;
  return SQLITE_OK;
}

void dm_replay_leave(void) { nReplay--; }

/* ---- the stand-ins for what asks for a replay -------------------------- */

/* migrate_check() and migrate_sql(), as they answer inside a replay. */
static void refuse_replay_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  (void)argv;
  char *z = replay_refusal();
  if (z) {
    sqlite3_result_error(ctx, z, -1);
  } else {
    sqlite3_result_error_nomem(ctx);
  }
  sqlite3_free(z);
}

/*
** migration_drift, as it answers inside a replay: its columns, so that a
** statement naming them compiles as it would, and a scan that fails as
** the real one's does (its dm_check() fails in dm_replay_enter).
*/
static int refuse_connect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                          sqlite3_vtab **ppVtab, char **pzErr) {
  (void)pAux;
  (void)argc;
  (void)argv;
  (void)pzErr;
  int rc = sqlite3_declare_vtab(db, DM_DRIFT_SCHEMA);
  if (rc) return rc;
  sqlite3_vtab *pTab = sqlite3_malloc(sizeof(*pTab));
  if (!pTab) return SQLITE_NOMEM;
  memset(pTab, 0, sizeof(*pTab));
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  *ppVtab = pTab;
  return SQLITE_OK;
}

static int refuse_best_index(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo) {
  (void)pVtab;
  pInfo->estimatedCost = 1000.0;
  pInfo->estimatedRows = 10;
  return SQLITE_OK;
}

static int refuse_disconnect(sqlite3_vtab *pVtab) {
  sqlite3_free(pVtab);
  return SQLITE_OK;
}

static int refuse_open(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCursor) {
  (void)pVtab;
  sqlite3_vtab_cursor *pCur = sqlite3_malloc(sizeof(*pCur));
  if (!pCur) return SQLITE_NOMEM;
  memset(pCur, 0, sizeof(*pCur));
  *ppCursor = pCur;
  return SQLITE_OK;
}

static int refuse_close(sqlite3_vtab_cursor *pCursor) {
  sqlite3_free(pCursor);
  return SQLITE_OK;
}

static int refuse_filter(sqlite3_vtab_cursor *pCursor, int idxNum, const char *idxStr,
                         int argc, sqlite3_value **argv) {
  (void)idxNum;
  (void)idxStr;
  (void)argc;
  (void)argv;
  sqlite3_vtab *pTab = pCursor->pVtab;
  sqlite3_free(pTab->zErrMsg);
  pTab->zErrMsg = replay_refusal();
  return pTab->zErrMsg ? SQLITE_MISUSE : SQLITE_NOMEM;
}

static int refuse_next(sqlite3_vtab_cursor *pCursor) {
  (void)pCursor;
  return SQLITE_OK;
}

static int refuse_eof(sqlite3_vtab_cursor *pCursor) {
  (void)pCursor;
  return 1;
}

static int refuse_column(sqlite3_vtab_cursor *pCursor, sqlite3_context *ctx, int iCol) {
  (void)pCursor;
  (void)ctx;
  (void)iCol;
  return SQLITE_OK;
}

static int refuse_rowid(sqlite3_vtab_cursor *pCursor, sqlite3_int64 *pRowid) {
  (void)pCursor;
  *pRowid = 0;
  return SQLITE_OK;
}

static const sqlite3_module refuse_drift_module = {
    .iVersion = 0,
    .xConnect = refuse_connect,
    .xBestIndex = refuse_best_index,
    .xDisconnect = refuse_disconnect,
    .xOpen = refuse_open,
    .xClose = refuse_close,
    .xFilter = refuse_filter,
    .xNext = refuse_next,
    .xEof = refuse_eof,
    .xColumn = refuse_column,
    .xRowid = refuse_rowid,
};

/* The stand-ins on db. Flags as in api/functions.c's table: they read. */
static int register_refusals(sqlite3 *db, char **pzErr) {
  static const char *const azFunc[] = {"migrate_check", "migrate_sql"};
  int rc = SQLITE_OK;
  for (size_t i = 0; rc == SQLITE_OK && i < sizeof(azFunc) / sizeof(azFunc[0]); i++) {
    rc = sqlite3_create_function_v2(db, azFunc[i], -1, SQLITE_UTF8 | SQLITE_INNOCUOUS, 0,
                                    refuse_replay_func, 0, 0, 0);
    if (rc) {
      *pzErr = sqlite3_mprintf("distmigrate: cannot register %s(): %s", azFunc[i],
                               sqlite3_errmsg(db));
    }
  }
  if (rc == SQLITE_OK) {
    rc = sqlite3_create_module_v2(db, "migration_drift", &refuse_drift_module, 0, 0);
    if (rc) {
      *pzErr = sqlite3_mprintf("distmigrate: cannot register migration_drift: %s",
                               sqlite3_errmsg(db));
    }
  }
  return rc;
}

/* ---- the replay --------------------------------------------------------- */

/*
** A new private in-memory database with what a migration may call, and its
** per-connection state. Close it with sqlite3_close(), which frees
** *ppConn too.
*/
static int open_private(sqlite3 **ppDb, DmConn **ppConn, char **pzErr) {
  sqlite3 *db = 0;
  *ppDb = 0;
  int rc = sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 0);
  DmConn *pConn = rc == SQLITE_OK ? sqlite3_malloc(sizeof(*pConn)) : 0;
  if (!pConn) {
    sqlite3_close(db);
    return SQLITE_NOMEM;
  }
  memset(pConn, 0, sizeof(*pConn));
  /* From here pConn belongs to db's migrate_alter_table(). */
  char *zErr = 0;
  rc = dm_alter_register(db, pConn, &zErr);
  if (rc == SQLITE_OK) rc = register_refusals(db, &zErr);
  if (rc) {
    *pzErr = zErr;
    sqlite3_close(db);
    return rc;
  }
  *ppDb = db;
  *ppConn = pConn;
  return SQLITE_OK;
}

int dm_replay(const DmSet *pSet, const DmFlags *aApplied, sqlite3 **ppDb,
              DmConn **ppConn, char **pzErr) {
  sqlite3 *pMem = 0;
  DmConn *pConn = 0;
  *ppDb = 0;
  int rc = dm_replay_enter(pzErr);
  if (rc) return rc;
  rc = open_private(&pMem, &pConn, pzErr);
  int *aHead = rc ? 0 : sqlite3_malloc64(sizeof(int) * (sqlite3_uint64)(pSet->nRev + 1));
  if (!aHead) {
    sqlite3_close(pMem);
    dm_replay_leave();
    return rc ? rc : SQLITE_NOMEM;
  }
  /* Upgrading to each head the database has gives exactly its set: the set
  ** is closed under parents and dependencies. */
  int nHead = dm_heads(pSet, aApplied, 1, aHead);
  DmRunOpts opts;
  memset(&opts, 0, sizeof(opts));
  opts.bQuiet = 1;
  for (int i = 0; rc == SQLITE_OK && i < nHead; i++) {
    char *zResult = 0;
    char *zErr = 0;
    rc = dm_run_ex(pMem, pConn, pSet, DM_OP_UPGRADE, pSet->aRev[aHead[i]].zId, 0,
                   &opts, &zResult, &zErr);
    sqlite3_free(zResult);
    if (rc) {
      *pzErr = sqlite3_mprintf(
          "cannot replay the migrations into an in-memory database to compare "
          "with: %s", zErr ? zErr : "out of memory");
    }
    sqlite3_free(zErr);
  }
  sqlite3_free(aHead);
  dm_replay_leave();
  if (rc) {
    sqlite3_close(pMem);
    return rc;
  }
  *ppDb = pMem;
  if (ppConn) *ppConn = pConn;
  return SQLITE_OK;
}
