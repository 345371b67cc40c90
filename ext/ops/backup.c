/*
** migrate_backup() and migrate_restore(): the online backup API, both ways.
**
** Names are read as SQLite reads them, a file: URI included: each is
** opened with SQLITE_OPEN_URI and sqlite3_db_filename() says which file it
** is, if any. A name that is no file on disk (':memory:', mode=memory, a
** memdb VFS) is refused both ways, and a URI spelling of the database
** itself is caught like its plain name.
**
** A backup never replaces a file by accident: without 'overwrite' a file
** that exists is refused, a plain name is created with O_EXCL (so a file
** that appears meanwhile is refused too), and a backup that fails removes
** what it created. What was written is then read back through a new
** connection (page count, PRAGMA quick_check) before it is called a backup.
**
** The backup API refuses a source connection that holds a write
** transaction (SQLITE_BUSY), yet backup-then-migrate must take the copy
** under the write lock, so that no other writer slips in between. There
** the copy is read through a second, read-only connection to the same
** file: it sees what is committed, and the lock holds that still.
**
** A restore checks its source before it touches the database: a sound
** SQLite file (PRAGMA quick_check), with tables unless 'allow-empty', and
** a page size the database can take. Then the backup API replaces the
** database in one transaction, so a restore that fails leaves it as it was.
*/
#include "ops/backup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run/errors.h"
#include "run/runner.h"

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

/* The first value of zSql on p, sqlite3_malloc'd, in *pzVal ("" for no row). */
static int query_text(sqlite3 *p, const char *zSql, char **pzVal) {
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(p, zSql, -1, &pStmt, 0);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(pStmt);
    const char *z = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(pStmt, 0) : "";
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(p);
    if (rc == SQLITE_OK) {
      *pzVal = sqlite3_mprintf("%s", z ? z : "");
      if (!*pzVal) rc = SQLITE_NOMEM;
    }
  }
  sqlite3_finalize(pStmt);
  return rc;
}

static int query_int(sqlite3 *p, const char *zSql, sqlite3_int64 *pVal) {
  char *z = 0;
  int rc = query_text(p, zSql, &z);
  if (rc == SQLITE_OK) *pVal = strtoll(z, 0, 10);
  sqlite3_free(z);
  return rc;
}

/*
** The file zPath names, as SQLite reads the name (a file: URI too), in
** *pzFile: its full path, or "" if the name is no file on disk (in memory,
** temporary, another VFS's). SQLITE_CANTOPEN if nothing is there yet; if
** something is there that cannot be opened, an error and why in *pzWhy.
*/
static int resolve_name(const char *zPath, char **pzFile, char **pzWhy) {
  sqlite3 *p = 0;
  int rc = sqlite3_open_v2(zPath, &p, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, 0);
  int iErrno = p ? sqlite3_system_errno(p) : 0;
  if (rc == SQLITE_OK) {
    const char *z = sqlite3_db_filename(p, "main");
    *pzFile = sqlite3_mprintf("%s", z && access(z, F_OK) == 0 ? z : "");
    if (!*pzFile) rc = SQLITE_NOMEM;
  } else if (rc != SQLITE_NOMEM && !(rc == SQLITE_CANTOPEN && iErrno == ENOENT)) {
    *pzWhy = sqlite3_mprintf("%s", iErrno ? strerror(iErrno) : sqlite3_errmsg(p));
    if (!*pzWhy) rc = SQLITE_NOMEM;
  }
  sqlite3_close(p);
  return rc;
}

/* Copy the main database of pFrom into the main database of pTo. */
static int copy_database(sqlite3 *pTo, sqlite3 *pFrom, int *pnPage, char **pzWhy) {
  sqlite3_backup *pBackup = sqlite3_backup_init(pTo, "main", pFrom, "main");
  if (!pBackup) {
    *pzWhy = sqlite3_mprintf("%s", sqlite3_errmsg(pTo));
    return sqlite3_errcode(pTo);
  }
  int rc = sqlite3_backup_step(pBackup, -1);
  *pnPage = sqlite3_backup_pagecount(pBackup);
  int rcFinish = sqlite3_backup_finish(pBackup);
  if (rc == SQLITE_DONE) rc = rcFinish;
  if (rc) {
    /* The step's error is the one that says why; finish repeats it. */
    *pzWhy = sqlite3_mprintf("%s", sqlite3_errstr(rc));
  }
  return rc;
}

/* PRAGMA quick_check of a database file, the first complaint in *pzWhy. */
static int check_sound(sqlite3 *p, char **pzWhy) {
  char *z = 0;
  int rc = query_text(p, "PRAGMA quick_check", &z);
  if (rc == SQLITE_OK && strcmp(z, "ok") != 0) {
    *pzWhy = sqlite3_mprintf("PRAGMA quick_check says: %s", z);
    rc = SQLITE_CORRUPT;
  }
  if (rc && !*pzWhy) *pzWhy = sqlite3_mprintf("%s", sqlite3_errmsg(p));
  sqlite3_free(z);
  return rc;
}

/*
** Read the copy back through a new connection: it must be sound and hold
** the nPage pages copied (a source of none still makes a page 1, empty).
** Read-write, only so that closing a copy in WAL mode removes its -wal
** and -shm files, as a read-only connection would not.
*/
static int verify_copy(const char *zPath, int nPage, char **pzWhy) {
  sqlite3 *p = 0;
  sqlite3_int64 nGot = 0;
  int rc = sqlite3_open_v2(zPath, &p, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, 0);
  if (rc == SQLITE_OK) rc = check_sound(p, pzWhy);
  if (rc == SQLITE_OK) rc = query_int(p, "PRAGMA page_count", &nGot);
  if (rc == SQLITE_OK && nGot != (nPage > 0 ? nPage : 1)) {
    *pzWhy = sqlite3_mprintf("%lld pages of %d", nGot, nPage > 0 ? nPage : 1);
    rc = SQLITE_CORRUPT;
  }
  if (rc && !*pzWhy) *pzWhy = sqlite3_mprintf("%s", sqlite3_errmsg(p));
  sqlite3_close(p);
  return rc;
}

/*
** The refusals before anything is written: a name that is no file, the
** database itself, a file that exists (unless bOverwrite).
** *pbExists says whether the file is there already.
*/
static int check_destination(sqlite3 *db, const char *zPath, int bOverwrite, int *pbExists,
                             char **pzErr) {
  char *zFile = 0;
  char *zWhy = 0;
  int rc = resolve_name(zPath, &zFile, &zWhy);
  *pbExists = rc == SQLITE_OK;
  if (rc == SQLITE_NOMEM) return rc;
  rc = SQLITE_OK;
  if (zWhy) {
    *pzErr = sqlite3_mprintf("migrate_backup('%s'): cannot write %s: %s; choose another file",
                             zPath, zPath, zWhy);
    rc = SQLITE_CANTOPEN;
  } else if (*pbExists && !zFile[0]) {
    *pzErr = sqlite3_mprintf(
        "migrate_backup('%s'): that names an in-memory database, not a file, "
        "so the copy would be gone as soon as it was made; name a file, as in "
        "migrate_backup('backup.db')",
        zPath);
    rc = SQLITE_ERROR;
  } else if (*pbExists && same_file(sqlite3_db_filename(db, "main"), zFile)) {
    *pzErr = sqlite3_mprintf(
        "migrate_backup('%s'): that is the database itself; back up to "
        "another file", zPath);
    rc = SQLITE_ERROR;
  } else if (*pbExists && !bOverwrite) {
    *pzErr = sqlite3_mprintf(
        "migrate_backup('%s'): %s already exists; choose a new name, or "
        "replace it with migrate_backup('%s', 'overwrite')",
        zPath, zPath, zPath);
    rc = SQLITE_CANTOPEN;
  }
  sqlite3_free(zFile);
  sqlite3_free(zWhy);
  return rc;
}

static int open_destination(const char *zPath, sqlite3 **ppDest, char **pzErr) {
  int rc = sqlite3_open_v2(zPath, ppDest,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, 0);
  if (rc) {
    *pzErr = sqlite3_mprintf("migrate_backup('%s'): cannot create %s: %s", zPath, zPath,
                             *ppDest ? strerror(sqlite3_system_errno(*ppDest)) : "out of memory");
  }
  return rc;
}

/*
** Create the file zPath names; its full path in *pzFile, for removing it
** if the backup fails. A plain name is created with O_EXCL: a file that
** appeared since check_destination() looked is refused, not replaced. A
** file: URI is created by the open that writes it (*ppDest).
*/
static int create_new(const char *zPath, sqlite3 **ppDest, char **pzFile, char **pzErr) {
  if (strncmp(zPath, "file:", 5) != 0) {
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
    *pzFile = sqlite3_mprintf("%s", zPath);
  }
  int rc = open_destination(zPath, ppDest, pzErr);
  if (rc == SQLITE_OK && !*pzFile) {
    *pzFile = sqlite3_mprintf("%s", sqlite3_db_filename(*ppDest, "main"));
  }
  if (rc == SQLITE_OK && !*pzFile) rc = SQLITE_NOMEM;
  return rc;
}

/*
** The connection to copy from: db, or, when db holds a write transaction
** (which the backup API will not read through), a second read-only one to
** the same file in *ppSecond.
*/
static int open_source(sqlite3 *db, const char *zPath, sqlite3 **ppSource, sqlite3 **ppSecond,
                       char **pzErr) {
  const char *zDbFile = sqlite3_db_filename(db, "main");
  *ppSource = db;
  if (sqlite3_txn_state(db, "main") != SQLITE_TXN_WRITE) return SQLITE_OK;
  if (!zDbFile || !zDbFile[0]) {
    *pzErr = sqlite3_mprintf(
        "migrate_backup('%s'): the database has no file of its own (it is "
        "':memory:' or temporary), so while this connection holds a write "
        "transaction there is nothing to copy the committed state from; run "
        "SELECT migrate_backup('%s') first, on its own, outside any transaction",
        zPath, zPath);
    return SQLITE_ERROR;
  }
  sqlite3_vfs *pVfs = 0;
  sqlite3_file_control(db, "main", SQLITE_FCNTL_VFS_POINTER, &pVfs);
  int rc = sqlite3_open_v2(zDbFile, ppSecond, SQLITE_OPEN_READONLY, pVfs ? pVfs->zName : 0);
  if (rc) {
    *pzErr = sqlite3_mprintf("migrate_backup('%s'): %s", zPath,
                             *ppSecond ? sqlite3_errmsg(*ppSecond) : "out of memory");
    return rc;
  }
  sqlite3_busy_timeout(*ppSecond, dm_busy_timeout(db));
  *ppSource = *ppSecond;
  return SQLITE_OK;
}

/*
** The message for a copy (or its read-back) that failed with rc. A lock
** on the source is another connection writing to db, whose busy timeout
** the copy waited (open_source() gives it to a second connection too).
*/
static char *backup_failure(sqlite3 *db, const char *zPath, int rc, const char *zWhy) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: {
      char *zText = dm_error_text(db, SQLITE_BUSY, 0, 0);
      char *z = zText ? sqlite3_mprintf("migrate_backup('%s'): %s", zPath, zText) : 0;
      sqlite3_free(zText);
      return z;
    }
    case SQLITE_NOTADB:
      return sqlite3_mprintf(
          "migrate_backup('%s', 'overwrite'): %s exists and is not a "
          "database, so it was left alone; remove it first",
          zPath, zPath);
    default: return sqlite3_mprintf("migrate_backup('%s'): %s", zPath, zWhy);
  }
}

int dm_backup(sqlite3 *db, const char *zPath, int bOverwrite, char **pzErr) {
  sqlite3 *pSource = 0;
  sqlite3 *pSecond = 0;
  sqlite3 *pDest = 0;
  char *zCreated = 0;
  int bExists = 0;
  int nPage = 0;
  char *zWhy = 0;
  if (!zPath || !zPath[0]) {
    *pzErr = sqlite3_mprintf(
        "migrate_backup(): give the file to write, as in "
        "migrate_backup('backup.db')");
    return SQLITE_ERROR;
  }
  int rc = check_destination(db, zPath, bOverwrite, &bExists, pzErr);
  if (rc == SQLITE_OK) rc = open_source(db, zPath, &pSource, &pSecond, pzErr);
  if (rc == SQLITE_OK && bExists) rc = open_destination(zPath, &pDest, pzErr);
  if (rc == SQLITE_OK && !bExists) rc = create_new(zPath, &pDest, &zCreated, pzErr);
  if (rc) goto done;

  rc = copy_database(pDest, pSource, &nPage, &zWhy);
  sqlite3_close(pDest);
  pDest = 0;
  if (rc) {
    *pzErr = backup_failure(db, zPath, rc, zWhy ? zWhy : "out of memory");
  } else if ((rc = verify_copy(zPath, nPage, &zWhy)) != SQLITE_OK && rc != SQLITE_NOMEM) {
    *pzErr = sqlite3_mprintf(
        "migrate_backup('%s'): the copy did not read back whole (%s), so it "
        "is no backup; check the disk it is on and try again",
        zPath, zWhy ? zWhy : "out of memory");
  }

done:
  sqlite3_close(pDest);
  sqlite3_close(pSecond);
  sqlite3_free(zWhy);
  if (rc && zCreated) remove_database(zCreated);
  sqlite3_free(zCreated);
  return rc;
}

/*
** Why a restore cannot start, from where it is called (0: it can); rc in
** *pRc, SQLITE_NOMEM with no message.
*/
static char *restore_refusal(sqlite3 *db, const DmConn *pConn, const char *zPath,
                             int *pRc) {
  char *zErr = 0;
  int nBusy = 0;
  for (sqlite3_stmt *p = sqlite3_next_stmt(db, 0); p; p = sqlite3_next_stmt(db, p)) {
    if (sqlite3_stmt_busy(p)) nBusy++;
  }
  *pRc = SQLITE_ERROR;
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
  } else {
    *pRc = SQLITE_OK;
    return 0;
  }
  if (!zErr) *pRc = SQLITE_NOMEM;
  return zErr;
}

/*
** The backup API cannot change the page size of a database in WAL mode, or
** of one with no file of its own that holds pages: it fails with
** SQLITE_READONLY, which blames the wrong thing. Say what is wrong, and
** what to do, before it is tried.
*/
static int check_page_size(sqlite3 *db, sqlite3 *pSrc, const char *zPath, char **pzErr) {
  sqlite3_int64 nFrom = 0;
  sqlite3_int64 nTo = 0;
  sqlite3_int64 nPage = 0;
  char *zMode = 0;
  const char *zFile = sqlite3_db_filename(db, "main");
  int rc = query_int(pSrc, "PRAGMA page_size", &nFrom);
  if (rc == SQLITE_OK) rc = query_int(db, "PRAGMA main.page_size", &nTo);
  if (rc == SQLITE_OK) rc = query_int(db, "PRAGMA main.page_count", &nPage);
  if (rc == SQLITE_OK) rc = query_text(db, "PRAGMA main.journal_mode", &zMode);
  if (rc == SQLITE_OK && nFrom != nTo && strcmp(zMode, "wal") == 0) {
    *pzErr = sqlite3_mprintf(
        "migrate_restore('%s'): %s has pages of %lld bytes and the database "
        "%lld, and a database in WAL mode cannot change its page size; "
        "nothing was restored; run PRAGMA journal_mode = DELETE, then SELECT "
        "migrate_restore('%s'), then PRAGMA journal_mode = WAL",
        zPath, zPath, nFrom, nTo, zPath);
    rc = SQLITE_ERROR;
  } else if (rc == SQLITE_OK && nFrom != nTo && nPage > 0 && (!zFile || !zFile[0])) {
    *pzErr = sqlite3_mprintf(
        "migrate_restore('%s'): %s has pages of %lld bytes and the database "
        "%lld, and a database with no file of its own (':memory:' or "
        "temporary) cannot change its page size once it holds anything; "
        "nothing was restored; restore into a new, empty one instead",
        zPath, zPath, nFrom, nTo);
    rc = SQLITE_ERROR;
  } else if (rc != SQLITE_NOMEM) {
    rc = SQLITE_OK; /* What stopped the query stops the copy, which says so. */
  }
  sqlite3_free(zMode);
  return rc;
}

/* The refusals of a backup that is unsound, or empty, or will not fit. */
static int check_backup(sqlite3 *db, sqlite3 *pSrc, const char *zPath, int bAllowEmpty,
                        char **pzErr) {
  char *zWhy = 0;
  sqlite3_int64 nObject = 0;
  int rc = check_sound(pSrc, &zWhy);
  if (rc == SQLITE_OK) rc = query_int(pSrc, "SELECT count(*) FROM sqlite_schema", &nObject);
  if (rc && rc != SQLITE_NOMEM) {
    *pzErr = sqlite3_mprintf(
        "migrate_restore('%s'): %s is not a sound SQLite database (%s); "
        "nothing was restored",
        zPath, zPath, zWhy ? zWhy : sqlite3_errmsg(pSrc));
  } else if (rc == SQLITE_OK && nObject == 0 && !bAllowEmpty) {
    *pzErr = sqlite3_mprintf(
        "migrate_restore('%s'): %s is an empty database (no tables), and "
        "restoring it would leave the database empty; nothing was restored; "
        "if an empty database is what you want, use migrate_restore('%s', "
        "'allow-empty')",
        zPath, zPath, zPath);
    rc = SQLITE_ERROR;
  } else if (rc == SQLITE_OK) {
    rc = check_page_size(db, pSrc, zPath, pzErr);
  }
  sqlite3_free(zWhy);
  return rc;
}

/*
** Open the backup zPath (a file: URI too) in *ppSrc, and check that it can
** replace db: a file that exists, not db itself, then check_backup().
*/
static int open_backup(sqlite3 *db, const char *zPath, int bAllowEmpty, sqlite3 **ppSrc,
                       char **pzErr) {
  int rc = sqlite3_open_v2(zPath, ppSrc, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, 0);
  const char *zFile = rc == SQLITE_OK ? sqlite3_db_filename(*ppSrc, "main") : 0;
  int iErrno = rc && *ppSrc ? sqlite3_system_errno(*ppSrc) : 0;
  if (iErrno == ENOENT) {
    *pzErr = sqlite3_mprintf("migrate_restore('%s'): %s does not exist; nothing was restored",
                             zPath, zPath);
  } else if (rc) {
    *pzErr = sqlite3_mprintf("migrate_restore('%s'): cannot open %s: %s; nothing was restored",
                             zPath, zPath, iErrno ? strerror(iErrno) : sqlite3_errmsg(*ppSrc));
  } else if (!zFile || !zFile[0] || access(zFile, F_OK) != 0) {
    *pzErr = sqlite3_mprintf(
        "migrate_restore('%s'): that names an in-memory database, not a file, "
        "so there is no backup in it; name the backup file, as in "
        "migrate_restore('backup.db')",
        zPath);
    rc = SQLITE_ERROR;
  } else if (same_file(sqlite3_db_filename(db, "main"), zFile)) {
    *pzErr = sqlite3_mprintf(
        "migrate_restore('%s'): that is the database itself, not a backup of "
        "it; name the backup file, as in migrate_restore('backup.db')",
        zPath);
    rc = SQLITE_ERROR;
  } else {
    rc = check_backup(db, *ppSrc, zPath, bAllowEmpty, pzErr);
  }
  return rc;
}

/*
** After a failed copy: was it restored all the same? The backup sets the
** database's schema cookie to one more than it was, in the transaction
** that writes the pages, so the cookie says whether that transaction
** committed (an error can come after the commit: truncating the file to
** the backup's size, say). *pzState ends the message.
*/
static void restored_anyway(sqlite3 *db, sqlite3_int64 iBefore, const char **pzState) {
  sqlite3_int64 iAfter = 0;
  int rc = query_int(db, "PRAGMA main.schema_version", &iAfter);
  if (rc == SQLITE_OK && iAfter == iBefore) {
    *pzState = "nothing was restored";
  } else if (rc == SQLITE_OK) {
    *pzState = "the backup was restored all the same: the error came after SQLite "
               "had committed it; check the database with PRAGMA quick_check";
  } else {
    *pzState = "whether the backup was restored is not known (the database cannot be "
               "read now); check it with PRAGMA quick_check and migrate_current()";
  }
}

/* Replace the main database of db with pSrc's. */
static int restore_from(sqlite3 *db, sqlite3 *pSrc, const char *zPath, char **pzErr) {
  char *zWhy = 0;
  int nPage = 0;
  sqlite3_int64 iBefore = 0;
  int rc = query_int(db, "PRAGMA main.schema_version", &iBefore);
  int bTried = rc == SQLITE_OK;
  if (bTried) rc = copy_database(db, pSrc, &nPage, &zWhy);
  if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
    *pzErr = sqlite3_mprintf(
        "migrate_restore('%s'): the database is in use by another "
        "connection (%s); stop the application and try again; nothing was "
        "restored",
        zPath, zWhy ? zWhy : sqlite3_errmsg(db));
  } else if (rc && rc != SQLITE_NOMEM) {
    const char *zState = "nothing was restored";
    if (bTried) restored_anyway(db, iBefore, &zState);
    *pzErr = sqlite3_mprintf("migrate_restore('%s'): %s; %s", zPath,
                             zWhy ? zWhy : sqlite3_errmsg(db), zState);
  }
  sqlite3_free(zWhy);
  return rc;
}

int dm_restore(sqlite3 *db, const DmConn *pConn, const char *zPath, int bAllowEmpty,
               char **pzErr) {
  sqlite3 *pSrc = 0;
  int rc = SQLITE_OK;
  *pzErr = restore_refusal(db, pConn, zPath, &rc);
  if (rc == SQLITE_OK) rc = open_backup(db, zPath, bAllowEmpty, &pSrc, pzErr);
  if (rc == SQLITE_OK) rc = restore_from(db, pSrc, zPath, pzErr);
  sqlite3_close(pSrc);
  return rc;
}
