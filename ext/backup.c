/*
** migrate_backup() and migrate_restore(): the online backup API, both ways.
**
** A backup never replaces a file by accident: without 'overwrite' the
** destination is created with O_EXCL, so a file that exists (or appears
** meanwhile) is refused, and a backup that fails removes what it created.
**
** The backup API refuses a source connection that holds a write
** transaction (SQLITE_BUSY), yet backup-then-migrate must take the copy
** under the write lock, so that no other writer slips in between. There
** the copy is read through a second, read-only connection to the same
** file: it sees what is committed, and the lock holds that still.
*/
#include "backup.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "distmigrate.h"
#include "runner.h"

SQLITE_EXTENSION_INIT3

static int same_file(const char *zA, const char *zB) {
  struct stat a, b;
  return zA && zA[0] && zB && zB[0] && stat(zA, &a) == 0 && stat(zB, &b) == 0 &&
         a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* A database file and the journals SQLite may have left beside it. */
static void remove_database(const char *zPath) {
  static const char *const azSuffix[] = {"", "-journal", "-wal", "-shm"};
  for (size_t i = 0; i < sizeof(azSuffix) / sizeof(azSuffix[0]); i++) {
    char *z = sqlite3_mprintf("%s%s", zPath, azSuffix[i]);
    if (z) unlink(z);
    sqlite3_free(z);
  }
}

static int busy_timeout(sqlite3 *db) {
  sqlite3_stmt *pStmt = 0;
  int ms = 0;
  if (sqlite3_prepare_v2(db, "PRAGMA busy_timeout", -1, &pStmt, 0) == SQLITE_OK &&
      sqlite3_step(pStmt) == SQLITE_ROW) {
    ms = sqlite3_column_int(pStmt, 0);
  }
  sqlite3_finalize(pStmt);
  return ms;
}

/* Copy the main database of pFrom into the main database of pTo. */
static int copy_database(sqlite3 *pTo, sqlite3 *pFrom, char **pzWhy) {
  sqlite3_backup *pBackup = sqlite3_backup_init(pTo, "main", pFrom, "main");
  if (!pBackup) {
    *pzWhy = sqlite3_mprintf("%s", sqlite3_errmsg(pTo));
    return sqlite3_errcode(pTo);
  }
  int rc = sqlite3_backup_step(pBackup, -1);
  int rcFinish = sqlite3_backup_finish(pBackup);
  if (rc == SQLITE_DONE) rc = rcFinish;
  if (rc) {
    /* The step's error is the one that says why; finish repeats it. */
    *pzWhy = sqlite3_mprintf("%s", sqlite3_errstr(rc));
  }
  return rc;
}

int dm_backup(sqlite3 *db, const char *zPath, int bOverwrite, char **pzErr) {
  const char *zDbFile = sqlite3_db_filename(db, "main");
  sqlite3 *pSecond = 0;
  sqlite3 *pDest = 0;
  int bCreated = 0;
  char *zWhy = 0;
  int rc = SQLITE_OK;
  if (!zPath || !zPath[0]) {
    *pzErr = sqlite3_mprintf(
        "migrate_backup(): give the file to write, as in "
        "migrate_backup('backup.db')");
    return SQLITE_ERROR;
  }
  if (same_file(zDbFile, zPath)) {
    *pzErr = sqlite3_mprintf(
        "migrate_backup('%s'): that is the database itself; back up to "
        "another file", zPath);
    return SQLITE_ERROR;
  }
  if (!bOverwrite) {
    int fd = open(zPath, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0 && errno == EEXIST) {
      *pzErr = sqlite3_mprintf(
          "migrate_backup('%s'): %s already exists; choose a new name, or "
          "replace it with migrate_backup('%s', 'overwrite')",
          zPath, zPath, zPath);
      return SQLITE_CANTOPEN;
    }
    if (fd < 0) {
      *pzErr = sqlite3_mprintf("migrate_backup('%s'): cannot create %s: %s", zPath,
                               zPath, strerror(errno));
      return SQLITE_CANTOPEN;
    }
    close(fd);
    bCreated = 1;
  }

  sqlite3 *pSource = db;
  if (sqlite3_txn_state(db, "main") == SQLITE_TXN_WRITE) {
    if (!zDbFile || !zDbFile[0]) {
      *pzErr = sqlite3_mprintf(
          "migrate_backup('%s'): the database has no file of its own (it is "
          "':memory:' or temporary), so while this connection holds a write "
          "transaction there is nothing to copy the committed state from; run "
          "SELECT migrate_backup('%s') first, on its own, outside any "
          "transaction",
          zPath, zPath);
      rc = SQLITE_ERROR;
      goto done;
    }
    sqlite3_vfs *pVfs = 0;
    sqlite3_file_control(db, "main", SQLITE_FCNTL_VFS_POINTER, &pVfs);
    rc = sqlite3_open_v2(zDbFile, &pSecond, SQLITE_OPEN_READONLY,
                         pVfs ? pVfs->zName : 0);
    if (rc) {
      zWhy = sqlite3_mprintf("%s", pSecond ? sqlite3_errmsg(pSecond) : "out of memory");
      goto failed;
    }
    sqlite3_busy_timeout(pSecond, busy_timeout(db));
    pSource = pSecond;
  }
  rc = sqlite3_open_v2(zPath, &pDest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 0);
  if (rc) {
    zWhy = sqlite3_mprintf("%s", pDest ? sqlite3_errmsg(pDest) : "out of memory");
    goto failed;
  }
  rc = copy_database(pDest, pSource, &zWhy);

failed:
  if (rc) {
    switch (rc & 0xff) {
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        *pzErr = sqlite3_mprintf(
            "migrate_backup('%s'): the database is locked (%s): another "
            "connection is writing to it; try again, or wait longer with "
            "PRAGMA busy_timeout = 10000",
            zPath, zWhy ? zWhy : "");
        break;
      case SQLITE_NOTADB:
        *pzErr = sqlite3_mprintf(
            "migrate_backup('%s', 'overwrite'): %s exists and is not a "
            "database, so it was left alone; remove it first",
            zPath, zPath);
        break;
      default:
        *pzErr = sqlite3_mprintf("migrate_backup('%s'): %s", zPath,
                                 zWhy ? zWhy : "out of memory");
    }
  }
done:
  sqlite3_close(pDest);
  sqlite3_close(pSecond);
  sqlite3_free(zWhy);
  if (rc && bCreated) remove_database(zPath);
  return rc;
}

void dm_backup_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  if (!dm_check_argc(ctx,
                     "migrate_backup('backup.db') or migrate_backup('backup.db', "
                     "'overwrite')",
                     argc, 1, 2)) {
    return;
  }
  const char *zPath = (const char *)sqlite3_value_text(argv[0]);
  int bOverwrite = 0;
  if (argc == 2) {
    const char *zOpt = (const char *)sqlite3_value_text(argv[1]);
    if (!zOpt || strcmp(zOpt, "overwrite") != 0) {
      sqlite3_result_error(ctx,
                           "migrate_backup(path, option): the only option is "
                           "'overwrite', which replaces an existing file",
                           -1);
      return;
    }
    bOverwrite = 1;
  }
  /* A CHECK constraint of a hostile database, which SQLite 3.40 lets call
  ** a DIRECTONLY function, must not write (or overwrite) a file. */
  if (!dm_check_alone(ctx, "migrate_backup", "migrate_backup('backup.db')")) return;
  char *zErr = 0;
  int rc = dm_backup(sqlite3_context_db_handle(ctx), zPath, bOverwrite, &zErr);
  if (rc == SQLITE_OK) {
    sqlite3_result_text(ctx, zPath, -1, SQLITE_TRANSIENT);
  } else if (zErr) {
    sqlite3_result_error(ctx, zErr, -1);
    if ((rc & 0xff) == SQLITE_BUSY) sqlite3_result_error_code(ctx, rc);
  } else {
    sqlite3_result_error_nomem(ctx);
  }
  sqlite3_free(zErr);
}

/* PRAGMA quick_check of a file about to replace the database. */
static int check_sound(sqlite3 *pSrc, char **pzWhy) {
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(pSrc, "PRAGMA quick_check", -1, &pStmt, 0);
  if (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    const char *z = (const char *)sqlite3_column_text(pStmt, 0);
    if (!z || strcmp(z, "ok") != 0) {
      *pzWhy = sqlite3_mprintf("PRAGMA quick_check says: %s", z ? z : "");
      rc = SQLITE_CORRUPT;
    }
  } else if (rc == SQLITE_OK) {
    rc = sqlite3_errcode(pSrc);
  }
  if (rc && !*pzWhy) *pzWhy = sqlite3_mprintf("%s", sqlite3_errmsg(pSrc));
  sqlite3_finalize(pStmt);
  return rc;
}

void dm_restore_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  if (!dm_check_argc(ctx, "migrate_restore('backup.db')", argc, 1, 1)) return;
  sqlite3 *db = sqlite3_context_db_handle(ctx);
  DmConn *pConn = sqlite3_user_data(ctx);
  const char *zPath = (const char *)sqlite3_value_text(argv[0]);
  char *zErr = 0;
  char *zWhy = 0;
  sqlite3 *pSrc = 0;
  int nBusy = 0;
  for (sqlite3_stmt *p = sqlite3_next_stmt(db, 0); p; p = sqlite3_next_stmt(db, p)) {
    if (sqlite3_stmt_busy(p)) nBusy++;
  }
  if (pConn->bRunning) {
    zErr = sqlite3_mprintf(
        "migrate_restore() cannot run inside a migration: a migration's SQL "
        "must not call distmigrate's functions");
  } else if (!zPath || !zPath[0]) {
    zErr = sqlite3_mprintf(
        "migrate_restore(): give the backup file, as in "
        "migrate_restore('backup.db')");
  } else if (!sqlite3_get_autocommit(db)) {
    zErr = sqlite3_mprintf(
        "migrate_restore('%s') replaces the whole database and cannot run "
        "inside a transaction; COMMIT or ROLLBACK first",
        zPath);
  } else if (nBusy > 1 || sqlite3_txn_state(db, 0) != SQLITE_TXN_NONE) {
    /* Autocommit, yet a transaction: the statement calling us reads. */
    zErr = sqlite3_mprintf(
        "migrate_restore() must be called on its own, as in SELECT "
        "migrate_restore('%s'), not inside a statement that reads a table",
        zPath);
  } else if (access(zPath, F_OK) != 0) {
    zErr = sqlite3_mprintf("migrate_restore('%s'): %s does not exist; nothing was "
                           "restored", zPath, zPath);
  } else if (same_file(sqlite3_db_filename(db, "main"), zPath)) {
    zErr = sqlite3_mprintf("migrate_restore('%s'): that is the database itself",
                           zPath);
  }
  if (zErr) goto done;

  int rc = sqlite3_open_v2(zPath, &pSrc, SQLITE_OPEN_READONLY, 0);
  if (rc == SQLITE_OK) rc = check_sound(pSrc, &zWhy);
  if (rc) {
    zErr = sqlite3_mprintf(
        "migrate_restore('%s'): %s is not a sound SQLite database (%s); "
        "nothing was restored",
        zPath, zPath, zWhy ? zWhy : "out of memory");
    goto done;
  }
  rc = copy_database(db, pSrc, &zWhy);
  if (rc) {
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
      zErr = sqlite3_mprintf(
          "migrate_restore('%s'): the database is in use by another "
          "connection (%s); stop the application and try again; nothing was "
          "restored",
          zPath, zWhy ? zWhy : "");
    } else {
      zErr = sqlite3_mprintf("migrate_restore('%s'): %s", zPath,
                             zWhy ? zWhy : "out of memory");
    }
    goto done;
  }

  /* The version the database is at now, as migrate_current() says it. */
  dm_result_current(ctx);

done:
  if (zErr) sqlite3_result_error(ctx, zErr, -1);
  sqlite3_free(zErr);
  sqlite3_free(zWhy);
  sqlite3_close(pSrc);
}
