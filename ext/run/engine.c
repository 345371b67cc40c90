/*
** The replicated engines a run can find itself in (see engine.h). Each is
** recognised by what SQLite says of the connection, or, where SQLite
** cannot tell, by the file the engine itself keeps beside the database.
*/
#include "run/engine.h"

#include <string.h>
#include <sys/stat.h>

SQLITE_EXTENSION_INIT3

/* The name of the VFS main's file is opened through, or 0. SQLite answers
** SQLITE_FCNTL_VFS_POINTER itself, whatever the VFS implements. */
static const char *vfs_name(sqlite3 *db) {
  sqlite3_vfs *pVfs = 0;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_VFS_POINTER, &pVfs) != SQLITE_OK) return 0;
  return pVfs ? pVfs->zName : 0;
}

static int is_dqlite(const char *zVfs) {
  return zVfs && strncmp(zVfs, "dqlite", 6) == 0;
}

/*
** Whether main is an sqld replica's database: sqld keeps, beside a
** replica's "data" file, the index of the last frame it received from the
** primary (client_wal_index); a primary keeps its log of frames (wallog)
** there instead. *pzMarker is the marker's path (sqlite3_malloc'd) when it
** is one. SQLITE_NOMEM if out of memory.
*/
static int is_sqld_replica(sqlite3 *db, char **pzMarker) {
  *pzMarker = 0;
  const char *zFile = sqlite3_db_filename(db, "main");
  if (!zFile || !zFile[0]) return SQLITE_OK;
  const char *zSlash = strrchr(zFile, '/');
  int nDir = zSlash ? (int)(zSlash - zFile) + 1 : 0;
  char *zMarker = sqlite3_mprintf("%.*sclient_wal_index", nDir, zFile);
  if (!zMarker) return SQLITE_NOMEM;
  struct stat st;
  if (stat(zMarker, &st) == 0 && S_ISREG(st.st_mode)) {
    *pzMarker = zMarker;
  } else {
    sqlite3_free(zMarker);
  }
  return SQLITE_OK;
}

int dm_engine_refusal(sqlite3 *db, const char *zFunc, int bCallerTxn, char **pzErr) {
  const char *zVfs = vfs_name(db);
  if (is_dqlite(zVfs) && !bCallerTxn) {
    *pzErr = sqlite3_mprintf(
        "%s(): this is a dqlite node (VFS %s), which replicates a transaction "
        "only when the client commits it: called on its own, the run would "
        "commit on this node alone and the cluster would diverge; nothing "
        "was changed. Wrap the call in a transaction: BEGIN; SELECT %s(...); "
        "COMMIT;",
        zFunc, zVfs, zFunc);
    return *pzErr ? SQLITE_MISUSE : SQLITE_NOMEM;
  }
  char *zMarker = 0;
  int rc = is_sqld_replica(db, &zMarker);
  if (rc) return rc;
  if (zMarker) {
    *pzErr = sqlite3_mprintf(
        "%s(): this database is a libSQL server (sqld) replica (%s is beside "
        "it): a run here would change this replica's copy alone, which the "
        "primary's next frames overwrite; nothing was changed. Send the call "
        "to the primary, which replicates it to every replica",
        zFunc, zMarker);
    sqlite3_free(zMarker);
    return *pzErr ? SQLITE_MISUSE : SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

/* cache_spill as PRAGMA reports it: 0 when off, else the spill size;
** -1 if it cannot be read. */
static int cache_spill(sqlite3 *db) {
  sqlite3_stmt *pStmt = 0;
  int iSpill = -1;
  if (sqlite3_prepare_v2(db, "PRAGMA main.cache_spill", -1, &pStmt, 0) == SQLITE_OK &&
      sqlite3_step(pStmt) == SQLITE_ROW) {
    iSpill = sqlite3_column_int(pStmt, 0);
  }
  sqlite3_finalize(pStmt);
  return iSpill;
}

char *dm_engine_advice(sqlite3 *db, int rc, char *zErr) {
  if (!zErr || (rc & 0xff) != SQLITE_IOERR || !is_dqlite(vfs_name(db)) || cache_spill(db) <= 0) {
    return zErr;
  }
  char *z = sqlite3_mprintf(
      "%s\n  on dqlite a transaction's pages must stay in SQLite's cache until it "
      "commits: run PRAGMA cache_spill=0 on this connection before BEGIN (it "
      "takes effect only outside a transaction), then call again",
      zErr);
  sqlite3_free(zErr);
  return z;
}
