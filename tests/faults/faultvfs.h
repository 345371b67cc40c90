/*
** A VFS shim over the default (unix) VFS that counts every xWrite, xSync
** and xTruncate on every file a connection opens through it (database,
** journal, WAL) and, once armed, makes the Nth one fail:
**
**   FV_IOERR   return an I/O error (SQLITE_IOERR_WRITE/_FSYNC/_TRUNCATE)
**   FV_FULL    return SQLITE_FULL (writes only: a full disk)
**   FV_CRASH   SIGKILL the process before the call (test_crash.c's child)
**
** transient: only the Nth call fails; persistent: the Nth and every later
** one, until disarmed. Open a connection with the VFS name "faultvfs".
*/
#ifndef DM_FAULTVFS_H
#define DM_FAULTVFS_H

#include <signal.h>
#include <sqlite3.h>
#include <string.h>

enum { FV_WRITE, FV_SYNC, FV_TRUNCATE };          /* Which call */
enum { FV_IOERR, FV_FULL, FV_CRASH };             /* What it does */

static struct {
  sqlite3_vfs *pReal;
  int bArmed;
  int eCall, eAction, bPersistent;
  int nCountdown;
  int nFault;          /* Faults injected since armed */
  int anCall[3];       /* Calls seen since armed, by eCall */
} fv;

typedef struct FvFile FvFile;
struct FvFile {
  sqlite3_file base;
  sqlite3_file *pReal;   /* Follows this struct in the same allocation */
};

static int fv_fault(int eCall) {
  if (!fv.bArmed) return SQLITE_OK;
  fv.anCall[eCall]++;
  if (eCall != fv.eCall) return SQLITE_OK;
  int bFail = fv.nFault > 0 && fv.bPersistent;
  if (!bFail && fv.nCountdown > 0 && --fv.nCountdown == 0) bFail = 1;
  if (!bFail) return SQLITE_OK;
  fv.nFault++;
  if (fv.eAction == FV_CRASH) raise(SIGKILL);
  if (fv.eAction == FV_FULL) return SQLITE_FULL;
  return eCall == FV_WRITE  ? SQLITE_IOERR_WRITE
         : eCall == FV_SYNC ? SQLITE_IOERR_FSYNC
                            : SQLITE_IOERR_TRUNCATE;
}

#define REAL(p) (((FvFile *)(p))->pReal)

static int fvClose(sqlite3_file *p) {
  int rc = REAL(p)->pMethods ? REAL(p)->pMethods->xClose(REAL(p)) : SQLITE_OK;
  return rc;
}
static int fvRead(sqlite3_file *p, void *z, int n, sqlite3_int64 i) {
  return REAL(p)->pMethods->xRead(REAL(p), z, n, i);
}
static int fvWrite(sqlite3_file *p, const void *z, int n, sqlite3_int64 i) {
  int rc = fv_fault(FV_WRITE);
  return rc ? rc : REAL(p)->pMethods->xWrite(REAL(p), z, n, i);
}
static int fvTruncate(sqlite3_file *p, sqlite3_int64 n) {
  int rc = fv_fault(FV_TRUNCATE);
  return rc ? rc : REAL(p)->pMethods->xTruncate(REAL(p), n);
}
static int fvSync(sqlite3_file *p, int flags) {
  int rc = fv_fault(FV_SYNC);
  return rc ? rc : REAL(p)->pMethods->xSync(REAL(p), flags);
}
static int fvFileSize(sqlite3_file *p, sqlite3_int64 *pn) {
  return REAL(p)->pMethods->xFileSize(REAL(p), pn);
}
static int fvLock(sqlite3_file *p, int e) { return REAL(p)->pMethods->xLock(REAL(p), e); }
static int fvUnlock(sqlite3_file *p, int e) { return REAL(p)->pMethods->xUnlock(REAL(p), e); }
static int fvCheckReservedLock(sqlite3_file *p, int *pb) {
  return REAL(p)->pMethods->xCheckReservedLock(REAL(p), pb);
}
static int fvFileControl(sqlite3_file *p, int op, void *pArg) {
  return REAL(p)->pMethods->xFileControl(REAL(p), op, pArg);
}
static int fvSectorSize(sqlite3_file *p) { return REAL(p)->pMethods->xSectorSize(REAL(p)); }
static int fvDeviceCharacteristics(sqlite3_file *p) {
  return REAL(p)->pMethods->xDeviceCharacteristics(REAL(p));
}
static int fvShmMap(sqlite3_file *p, int i, int n, int b, void volatile **pp) {
  return REAL(p)->pMethods->xShmMap(REAL(p), i, n, b, pp);
}
static int fvShmLock(sqlite3_file *p, int o, int n, int f) {
  return REAL(p)->pMethods->xShmLock(REAL(p), o, n, f);
}
static void fvShmBarrier(sqlite3_file *p) { REAL(p)->pMethods->xShmBarrier(REAL(p)); }
static int fvShmUnmap(sqlite3_file *p, int b) { return REAL(p)->pMethods->xShmUnmap(REAL(p), b); }
static int fvFetch(sqlite3_file *p, sqlite3_int64 i, int n, void **pp) {
  return REAL(p)->pMethods->xFetch(REAL(p), i, n, pp);
}
static int fvUnfetch(sqlite3_file *p, sqlite3_int64 i, void *pPage) {
  return REAL(p)->pMethods->xUnfetch(REAL(p), i, pPage);
}

static const sqlite3_io_methods fv_io = {
    3,           fvClose,      fvRead,      fvWrite,      fvTruncate,
    fvSync,      fvFileSize,   fvLock,      fvUnlock,     fvCheckReservedLock,
    fvFileControl, fvSectorSize, fvDeviceCharacteristics, fvShmMap, fvShmLock,
    fvShmBarrier, fvShmUnmap,  fvFetch,     fvUnfetch,
};

static int fvOpen(sqlite3_vfs *pVfs, const char *zName, sqlite3_file *p,
                  int flags, int *pOutFlags) {
  FvFile *pFile = (FvFile *)p;
  pFile->pReal = (sqlite3_file *)&pFile[1];
  int rc = fv.pReal->xOpen(fv.pReal, zName, pFile->pReal, flags, pOutFlags);
  /* Wrap even on failure: SQLite calls xClose if pMethods is set. */
  p->pMethods = pFile->pReal->pMethods ? &fv_io : 0;
  return rc;
}
static int fvDelete(sqlite3_vfs *v, const char *z, int b) {
  return fv.pReal->xDelete(fv.pReal, z, b);
}
static int fvAccess(sqlite3_vfs *v, const char *z, int f, int *pb) {
  return fv.pReal->xAccess(fv.pReal, z, f, pb);
}
static int fvFullPathname(sqlite3_vfs *v, const char *z, int n, char *zOut) {
  return fv.pReal->xFullPathname(fv.pReal, z, n, zOut);
}
static void *fvDlOpen(sqlite3_vfs *v, const char *z) { return fv.pReal->xDlOpen(fv.pReal, z); }
static void fvDlError(sqlite3_vfs *v, int n, char *z) { fv.pReal->xDlError(fv.pReal, n, z); }
static void (*fvDlSym(sqlite3_vfs *v, void *p, const char *z))(void) {
  return fv.pReal->xDlSym(fv.pReal, p, z);
}
static void fvDlClose(sqlite3_vfs *v, void *p) { fv.pReal->xDlClose(fv.pReal, p); }
static int fvRandomness(sqlite3_vfs *v, int n, char *z) {
  return fv.pReal->xRandomness(fv.pReal, n, z);
}
static int fvSleep(sqlite3_vfs *v, int n) { return fv.pReal->xSleep(fv.pReal, n); }
static int fvCurrentTime(sqlite3_vfs *v, double *p) {
  return fv.pReal->xCurrentTime(fv.pReal, p);
}
static int fvGetLastError(sqlite3_vfs *v, int n, char *z) {
  return fv.pReal->xGetLastError(fv.pReal, n, z);
}
static int fvCurrentTimeInt64(sqlite3_vfs *v, sqlite3_int64 *p) {
  return fv.pReal->xCurrentTimeInt64(fv.pReal, p);
}

static sqlite3_vfs fv_vfs = {
    2, 0, 1024, 0, "faultvfs", 0,
    fvOpen, fvDelete, fvAccess, fvFullPathname, fvDlOpen, fvDlError, fvDlSym,
    fvDlClose, fvRandomness, fvSleep, fvCurrentTime, fvGetLastError,
    fvCurrentTimeInt64, 0, 0, 0,
};

/* Register "faultvfs" over the default VFS (not as the default). */
static int fv_register(void) {
  fv.pReal = sqlite3_vfs_find(0);
  if (!fv.pReal) return SQLITE_ERROR;
  fv_vfs.szOsFile = (int)sizeof(FvFile) + fv.pReal->szOsFile;
  fv_vfs.mxPathname = fv.pReal->mxPathname;
  return sqlite3_vfs_register(&fv_vfs, 0);
}

static void fv_arm(int eCall, int eAction, int n, int bPersistent) {
  memset(fv.anCall, 0, sizeof(fv.anCall));
  fv.eCall = eCall;
  fv.eAction = eAction;
  fv.nCountdown = n;
  fv.bPersistent = bPersistent;
  fv.nFault = 0;
  fv.bArmed = 1;
}

/* Stop injecting; returns how many faults were injected. */
static int fv_disarm(void) {
  fv.bArmed = 0;
  return fv.nFault;
}

#endif
