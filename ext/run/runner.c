/*
** The runner. One run is one transaction:
**
**   caller in autocommit           caller inside a transaction
**   --------------------           ---------------------------
**   PRAGMA foreign_keys=OFF (*)    SAVEPOINT distmigrate
**   SAVEPOINT distmigrate (BEGIN)  (take the write lock)
**   (the write lock, as IMMEDIATE)
**   read alembic_version           read alembic_version
**   run the steps                  run the steps (**)
**   PRAGMA foreign_key_check (*)
**   COMMIT                         RELEASE distmigrate
**   PRAGMA foreign_keys=ON (*)
**
** (*) only when the caller had enforcement on: the pragma is a no-op inside
** a transaction, and with it on, the DROP TABLE of a table rebuild would
** cascade-delete every child row. (**) With foreign_keys=ON the pragma
** cannot help, so each statement is checked before it runs and a DROP TABLE
** of a table other tables reference refuses the run (fkguard.c). On any
** error: ROLLBACK (or ROLLBACK TO and RELEASE), the caller's setting
** restored, nothing left open.
**
** In autocommit the run's transaction is SAVEPOINT distmigrate: the name
** marks the transaction as the run's. Out of memory is the one error after
** which a run cannot roll itself back (see undo_left_open()); the next run
** on the connection finds the mark and undoes what was left.
**
** A rehearsal (DmRunOpts.bRehearse) is the same run ending in ROLLBACK
** instead of COMMIT. An observer (DmRunOpts.xEvent) hears of the start,
** each step and each statement; the verbose progress lines are one too.
**
** The whole-database foreign_key_check runs when a migration statement wrote.
** A run whose statements only read (SELECT migrate_alter_table(...)) skips
** it: the helper checks the tables it changed, and their referrers, itself.
*/
#include "run/runner.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "run/engine.h"
#include "run/errors.h"
#include "run/fkguard.h"
#include "run/progress.h"
#include "sqltext/sqltext.h"

SQLITE_EXTENSION_INIT3

typedef struct Run Run;
struct Run {
  sqlite3 *db;
  DmConn *pConn;
  const DmSet *pSet;
  DmOp eOp;
  int bVerbose;
  int bLogReady;         /* distmigrate_log exists */
  int bFkGuard;          /* Caller's transaction with foreign_keys=ON (fkguard.h) */
  int bWrote;            /* A migration statement (not a function) wrote */
  char *zErr;            /* First error */
  const DmRunOpts *pOpts;
  /* What dm_run_ex() holds from open to end */
  int bCallerTxn;        /* Called inside the caller's transaction */
  int bFkWas;            /* The run turned the caller's foreign_keys off */
  int bOpen;             /* The run's transaction or savepoint is open */
  int bMarked;           /* SAVEPOINT distmigrate is open */
  int bStarted;          /* Something was written: worth saying it is undone */
  int bCommitFailed;     /* The commit (not a rehearsal's rollback) failed */
  int bVersionTable;     /* alembic_version existed when the run began */
  int nRow;              /* alembic_version's rows, as read */
  char **azRow;
  char *zBefore;         /* The version the run started from */
  char *zAfter;          /* The version the run takes the database to */
  DmPlan plan;
  DmFlags *aAll;         /* The four sets below, one allocation */
  DmFlags *aApplied, *aTarget, *aCur, *aNext;
};

static const char *op_name(DmOp eOp) {
  switch (eOp) {
    case DM_OP_UPGRADE: return "migrate_upgrade";
    case DM_OP_DOWNGRADE: return "migrate_downgrade";
    default: return "migrate_stamp";
  }
}

static int set_error(Run *p, int rc, char *zMsg) {
  if (!p->zErr) {
    p->zErr = zMsg;
  } else {
    sqlite3_free(zMsg);
  }
  if (!p->zErr) rc = SQLITE_NOMEM;
  return rc;
}

/* Add a line to the run's error message (left as it is if out of memory). */
static void append_error(Run *p, const char *zFormat, ...) {
  if (!p->zErr) return;
  va_list ap;
  va_start(ap, zFormat);
  char *zMore = sqlite3_vmprintf(zFormat, ap);
  va_end(ap);
  char *z = zMore ? sqlite3_mprintf("%s\n  %s", p->zErr, zMore) : 0;
  sqlite3_free(zMore);
  if (z) {
    sqlite3_free(p->zErr);
    p->zErr = z;
  }
}

/* Tell the observers; an observer's refusal fails the run. */
static int notify(Run *p, DmEvent *pEv) {
  pEv->db = p->db;
  pEv->pConn = p->pConn;
  pEv->pSet = p->pSet;
  dm_progress_event(p->pConn->pProgress, pEv);
  if (!p->pOpts || !p->pOpts->xEvent) return SQLITE_OK;
  char *zMsg = 0;
  int rc = p->pOpts->xEvent(p->pOpts->pArg, pEv, &zMsg);
  if (rc) return set_error(p, rc, zMsg ? zMsg : sqlite3_mprintf("the run was stopped"));
  sqlite3_free(zMsg);
  return SQLITE_OK;
}

static int exec(sqlite3 *db, const char *zSql) {
  return sqlite3_exec(db, zSql, 0, 0, 0);
}

static int query_int64(sqlite3 *db, const char *zSql, sqlite3_int64 *pVal) {
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(pStmt);
    if (rc == SQLITE_ROW) {
      *pVal = sqlite3_column_int64(pStmt, 0);
      rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
      *pVal = 0;
      rc = SQLITE_OK;
    }
  }
  sqlite3_finalize(pStmt);
  return rc;
}

static int query_int(sqlite3 *db, const char *zSql, int *pVal) {
  sqlite3_int64 iVal = 0;
  int rc = query_int64(db, zSql, &iVal);
  *pVal = (int)iVal;
  return rc;
}

/*
** Foreign-key enforcement through sqlite3_db_config(), not the pragma: it
** prepares nothing, so it still works after an out-of-memory error, when
** SQLite refuses to prepare anything until the calling statement ends. The
** caller's setting is restored even then. Returns the setting before.
*/
static int set_foreign_keys(sqlite3 *db, int bOn) {
  int bWas = 0, bNow = 0;
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_FKEY, -1, &bWas);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_FKEY, bOn, &bNow);
  return bWas;
}

static int table_exists(sqlite3 *db, const char *zName, int *pbExists) {
  char *zSql = sqlite3_mprintf(
      "SELECT count(*) FROM main.sqlite_schema WHERE type='table' AND name=%Q",
      zName);
  if (!zSql) return SQLITE_NOMEM;
  int rc = query_int(db, zSql, pbExists);
  sqlite3_free(zSql);
  return rc;
}

int dm_read_version(sqlite3 *db, int *pnRow, char ***pazRow, char **pzErr) {
  *pnRow = 0;
  *pazRow = 0;
  int bExists = 0;
  int rc = table_exists(db, "alembic_version", &bExists);
  if (rc || !bExists) goto done;

  /* Two passes: size, then copy into one block. */
  sqlite3_stmt *pStmt = 0;
  rc = sqlite3_prepare_v2(db,
                          "SELECT version_num FROM main.alembic_version "
                          "ORDER BY rowid",
                          -1, &pStmt, 0);
  if (rc) goto done;
  sqlite3_int64 nByte = 0;
  int nRow = 0;
  while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    nByte += sqlite3_column_bytes(pStmt, 0) + 1 + (sqlite3_int64)sizeof(char *);
    nRow++;
  }
  if (rc != SQLITE_DONE) {
    sqlite3_finalize(pStmt);
    goto done;
  }
  sqlite3_reset(pStmt);
  char **azRow = sqlite3_malloc64((sqlite3_uint64)(nByte + 1));
  if (!azRow) {
    sqlite3_finalize(pStmt);
    rc = SQLITE_NOMEM;
    goto done;
  }
  char *zText = (char *)&azRow[nRow];
  int iRow = 0;
  while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW && iRow < nRow) {
    /* A NULL row is a 0 entry, for dm_applied_from_rows() to name. */
    if (sqlite3_column_type(pStmt, 0) == SQLITE_NULL) {
      azRow[iRow++] = 0;
      continue;
    }
    int n = sqlite3_column_bytes(pStmt, 0);
    const unsigned char *z = sqlite3_column_text(pStmt, 0);
    if (!z) {
      rc = SQLITE_NOMEM;
      break;
    }
    memcpy(zText, z, (size_t)n + 1);
    azRow[iRow++] = zText;
    zText += n + 1;
  }
  sqlite3_finalize(pStmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    sqlite3_free(azRow);
    goto done;
  }
  rc = SQLITE_OK;
  *pnRow = iRow;
  *pazRow = azRow;

done:
  if (rc && rc != SQLITE_NOMEM && pzErr) {
    /* Out of memory stays that (no sentence: errmsg may not say it). */
    *pzErr = dm_error_text(db, rc, 0, "cannot read alembic_version");
  }
  return rc;
}

/*
** BEGIN IMMEDIATE's write lock on main, for the run's SAVEPOINT transaction:
** its first statement is a write that changes nothing, so that it waits for
** another writer through the busy timeout as BEGIN IMMEDIATE does (SQLite
** calls the busy handler only while a transaction holds no lock yet). That
** write is the version table's: emptied of nothing if it exists, created if
** not (the run creates it anyway). Whether it exists comes from the schema
** alone, without reading a table, which would take a read lock first. A
** read-only database takes no lock, as BEGIN IMMEDIATE takes none there.
*/
static int take_write_lock(sqlite3 *db) {
  if (sqlite3_db_readonly(db, "main") == 1) return SQLITE_OK;
  int rc = sqlite3_table_column_metadata(db, "main", "alembic_version", 0, 0, 0, 0, 0, 0);
  if (rc != SQLITE_OK && rc != SQLITE_ERROR) return rc;
  int bExists = rc == SQLITE_OK;
  rc = exec(db, bExists ? "DELETE FROM main.alembic_version WHERE 0" : DM_VERSION_TABLE_SQL);
  if (rc == SQLITE_ERROR && !bExists && sqlite3_txn_state(db, "main") == SQLITE_TXN_WRITE &&
      sqlite3_table_column_metadata(db, "main", "alembic_version", 0, 0, 0, 0, 0, 0) ==
          SQLITE_OK) {
    /* Another migrator created it while this one waited: the lock is held. */
    rc = SQLITE_OK;
  }
  return rc;
}

/* What a run that could not roll itself back left open: DmConn.eLeftOpen. */
enum {
  DM_LEFT_NOTHING,
  DM_LEFT_SAVEPOINT,    /* SAVEPOINT distmigrate in the caller's transaction */
  DM_LEFT_TRANSACTION,  /* The run's own transaction, with its savepoint */
  DM_LEFT_BEGIN         /* The run's own transaction, before its savepoint:
                        ** empty, so the run's if it still writes nothing */
};

/*
** Out of memory is the one error a run cannot undo by itself. Once SQLite
** fails an allocation while a statement runs, it prepares and steps nothing
** more (ROLLBACK included) until that statement ends, and the run is a
** function called by the caller's statement. So the run records what it
** left open, and the next run on the connection undoes it first. The
** savepoint tells whether it is still there: the caller may have rolled it
** back already, as SQLite asks after SQLITE_NOMEM, and begun anew.
*/
static int undo_left_open(sqlite3 *db, DmConn *pConn, const char *zFunc,
                          char **pzErr) {
  int eLeft = pConn->eLeftOpen;
  int rc = SQLITE_OK;
  if (eLeft == DM_LEFT_NOTHING) return SQLITE_OK;
  if (!sqlite3_get_autocommit(db)) {
    if (eLeft == DM_LEFT_BEGIN) {
      if (sqlite3_txn_state(db, "main") == SQLITE_TXN_WRITE &&
          sqlite3_total_changes64(db) == pConn->nChangesLeft) {
        rc = exec(db, "ROLLBACK");
      }
    } else if (exec(db, "ROLLBACK TO distmigrate") == SQLITE_OK) {
      rc = exec(db, eLeft == DM_LEFT_TRANSACTION ? "ROLLBACK" : "RELEASE distmigrate");
    }
  }
  if (rc) {
    *pzErr = sqlite3_mprintf(
        "%s(): an earlier run on this connection ran out of memory and left "
        "its transaction open, and it cannot be rolled back now (%s); run "
        "ROLLBACK, then try again",
        zFunc, sqlite3_errmsg(db));
    return rc;
  }
  pConn->eLeftOpen = DM_LEFT_NOTHING;
  return SQLITE_OK;
}

/*
** After sqlite3_interrupt() SQLite compiles and runs no statement of the
** connection, ROLLBACK included, until the caller's statement (the one
** calling distmigrate) ends: the interrupt stays pending while any statement
** is active. But an interrupted statement that writes makes SQLite roll the
** whole transaction back itself (sqlite3_interrupt()'s documented rule). So
** the run keeps such a statement compiled in advance, BEGIN IMMEDIATE (it
** writes, as sqlite3_stmt_readonly() says, and needs no table), and steps
** it when its own ROLLBACK was interrupted: the VM stops on the pending
** interrupt at its first instruction and SQLite undoes everything. Without
** an interrupt pending it fails harmlessly inside the run's transaction. It
** must be compiled after the last change to the schema or CREATE INDEX
** (SQLite expires compiled statements then, and compiling one again is what
** the interrupt forbids).
*/
void dm_undo_arm(sqlite3 *db, DmConn *pConn) {
  if (!pConn->bRunning) return;
  /* Under a pending interrupt the compile fails: keep the one there is. */
  sqlite3_stmt *pNew = 0;
  if (sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &pNew, 0) != SQLITE_OK) {
    sqlite3_finalize(pNew);
    return;
  }
  sqlite3_finalize(pConn->pUndo);
  pConn->pUndo = pNew;
}

/*
** Roll the run back: to its savepoint inside the caller's transaction, the
** whole transaction otherwise. When an interrupt refuses that, the armed
** undo rolls back the whole transaction, the caller's too (as SQLite does
** for any interrupted write). A progress handler that aborts statements
** gets a few tries.
*/
static int undo_run(sqlite3 *db, DmConn *pConn, int bCallerTxn) {
  int rc = SQLITE_OK;
  for (int nTry = 0; nTry < 3 && !sqlite3_get_autocommit(db); nTry++) {
    rc = exec(db, bCallerTxn ? "ROLLBACK TO distmigrate" : "ROLLBACK");
    if (rc == SQLITE_OK && bCallerTxn) rc = exec(db, "RELEASE distmigrate");
    if (rc == SQLITE_OK || (rc & 0xff) != SQLITE_INTERRUPT || !pConn->pUndo) return rc;
    sqlite3_step(pConn->pUndo);
    sqlite3_reset(pConn->pUndo);
  }
  return sqlite3_get_autocommit(db) ? SQLITE_OK : rc;
}

/*
** The settings migrate_alter_table() changes for a moment (writable_schema
** for the schema edit, legacy_alter_table for a rename), as the caller had
** them. SQLite applies those pragmas while compiling them, so one that an
** interrupt or out of memory cut short can leave a setting changed; the run
** puts both back when it is over, through the call that compiles nothing.
*/
typedef struct Modes Modes;
struct Modes {
  int bWritable;
  int bLegacy;
};

static Modes modes_now(sqlite3 *db) {
  Modes m = {0, 0};
  sqlite3_db_config(db, SQLITE_DBCONFIG_WRITABLE_SCHEMA, -1, &m.bWritable);
  sqlite3_db_config(db, SQLITE_DBCONFIG_LEGACY_ALTER_TABLE, -1, &m.bLegacy);
  return m;
}

static void restore_modes(sqlite3 *db, Modes was) {
  Modes now = modes_now(db);
  if (now.bWritable != was.bWritable) {
    sqlite3_db_config(db, SQLITE_DBCONFIG_WRITABLE_SCHEMA, was.bWritable, (int *)0);
  }
  if (now.bLegacy != was.bLegacy) {
    sqlite3_db_config(db, SQLITE_DBCONFIG_LEGACY_ALTER_TABLE, was.bLegacy, (int *)0);
  }
}

/* alembic_version's rows as "a, b" ("" at base), or 0 if unreadable. */
static char *version_now(sqlite3 *db) {
  int nRow = 0;
  char **azRow = 0;
  if (dm_read_version(db, &nRow, &azRow, 0) != SQLITE_OK) return 0;
  char *z = dm_join_strings(nRow, (const char *const *)azRow);
  sqlite3_free(azRow);
  return z;
}

/* Number of statements of this connection that are running. */
static int busy_statements(sqlite3 *db) {
  int n = 0;
  for (sqlite3_stmt *p = sqlite3_next_stmt(db, 0); p; p = sqlite3_next_stmt(db, p)) {
    if (sqlite3_stmt_busy(p)) n++;
  }
  return n;
}

/*
** A function with side effects must be the whole of the statement that
** calls it: SELECT migrate_upgrade('head'). Not so when another statement
** of the connection is running, when the call opened a transaction in
** autocommit mode (it reads a table), or when the calling statement's
** program touches a database at all (OP_Transaction), which is how to tell,
** inside a caller's transaction, an INSERT or a PRAGMA integrity_check
** whose CHECK constraint calls the function: SQLite 3.40 lets a CHECK call
** a SQLITE_DIRECTONLY function (3.53 refuses it). The program is SQLite's
** answer, EXPLAIN of the statement's text; nothing here parses SQL.
*/
int dm_called_alone(sqlite3 *db, int *pbAlone) {
  *pbAlone = 0;
  sqlite3_stmt *pCaller = 0;
  int nBusy = 0;
  for (sqlite3_stmt *p = sqlite3_next_stmt(db, 0); p; p = sqlite3_next_stmt(db, p)) {
    if (sqlite3_stmt_busy(p)) {
      pCaller = p;
      nBusy++;
    }
  }
  if (nBusy > 1) return SQLITE_OK;
  if (sqlite3_get_autocommit(db) && sqlite3_txn_state(db, 0) != SQLITE_TXN_NONE) {
    return SQLITE_OK;
  }
  if (!pCaller || sqlite3_stmt_isexplain(pCaller)) {
    *pbAlone = 1;
    return SQLITE_OK;
  }
  char *zExplain = sqlite3_mprintf("EXPLAIN %s", sqlite3_sql(pCaller));
  if (!zExplain) return SQLITE_NOMEM;
  sqlite3_stmt *pExplain = 0;
  int rc = sqlite3_prepare_v2(db, zExplain, -1, &pExplain, 0);
  sqlite3_free(zExplain);
  int bTouches = 0;
  while (rc == SQLITE_OK && (rc = sqlite3_step(pExplain)) == SQLITE_ROW) {
    /* Columns: addr, opcode, p1, ... */
    const char *zOp = (const char *)sqlite3_column_text(pExplain, 1);
    if (!zOp) {
      rc = SQLITE_NOMEM;
    } else if (strcmp(zOp, "Transaction") == 0) {
      bTouches = 1;
      rc = SQLITE_DONE;
    } else {
      rc = SQLITE_OK;
    }
  }
  sqlite3_finalize(pExplain);
  if (rc != SQLITE_DONE) return rc;
  *pbAlone = !bTouches;
  return SQLITE_OK;
}

static char *called_inside_statement(DmOp eOp) {
  return sqlite3_mprintf(
      "%s() must be called on its own, as in SELECT %s(...); here it runs "
      "inside a statement that reads a table (or while another statement on "
      "this connection is still running), and SQLite cannot change the "
      "schema under an open cursor (\"database table is locked\")",
      op_name(eOp), op_name(eOp));
}

/*
** A second line for SQLite's error where its own words mislead. "database
** table is locked" is a cursor open under the call in the caller's
** statement, or, in shared-cache mode, another connection of the cache
** holding that table.
*/
static char *error_hint(sqlite3 *db, int rc, DmOp eOp) {
  if (sqlite3_extended_errcode(db) == SQLITE_LOCKED_SHAREDCACHE) {
    return sqlite3_mprintf(
        "another connection that shares this connection's cache (shared-cache "
        "mode, cache=shared) is using that table; finish or close it, or open "
        "this connection without shared cache, then call %s() again",
        op_name(eOp));
  }
  if ((rc & 0xff) == SQLITE_LOCKED) return called_inside_statement(eOp);
  return 0;
}

/* Millisecond Julian day, SQLite's clock (what 'now' uses). */
static sqlite3_int64 now_julian_ms(void) {
  sqlite3_vfs *pVfs = sqlite3_vfs_find(0);
  sqlite3_int64 t = 0;
  if (pVfs && pVfs->iVersion >= 2 && pVfs->xCurrentTimeInt64) {
    pVfs->xCurrentTimeInt64(pVfs, &t);
  } else if (pVfs) {
    double r = 0;
    pVfs->xCurrentTime(pVfs, &r);
    t = (sqlite3_int64)(r * 86400000.0);
  }
  return t;
}

static double monotonic_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int line_of(const char *zSection, const char *z, int iFirstLine) {
  int iLine = iFirstLine;
  for (const char *p = zSection; p < z; p++) {
    if (*p == '\n') iLine++;
  }
  return iLine;
}

/* The statement from z to zEnd as one line for a message (sqltext.h). */
static char *statement_excerpt(const char *z, const char *zEnd) {
  return dm_sql_excerpt(z, zEnd, 160);
}

/*
** What SQLite compiled the statement at z (nSql bytes) into, as a refusal:
** its program, EXPLAIN of the same text, names what it does whatever
** comments, case or stray ';' came before it. Transaction control is
** AutoCommit or Savepoint, VACUUM is Vacuum, ATTACH and DETACH call
** sqlite_attach()/sqlite_detach(), a journal_mode that sets is JournalMode
** with P3 other than -1 (the query). An EXPLAIN itself runs nothing.
*/
static int compiled_refusal(sqlite3 *db, sqlite3_stmt *pStmt, const char *z, int nSql,
                            DmRefusal *peRefusal) {
  *peRefusal = DM_REFUSE_NONE;
  if (sqlite3_stmt_isexplain(pStmt)) return SQLITE_OK;
  char *zExplain = sqlite3_mprintf("EXPLAIN %.*s", nSql, z);
  if (!zExplain) return SQLITE_NOMEM;
  sqlite3_stmt *pExplain = 0;
  int rc = sqlite3_prepare_v2(db, zExplain, -1, &pExplain, 0);
  sqlite3_free(zExplain);
  while (rc == SQLITE_OK && (rc = sqlite3_step(pExplain)) == SQLITE_ROW) {
    /* Columns: addr, opcode, p1, p2, p3, p4, ... */
    const char *zOp = (const char *)sqlite3_column_text(pExplain, 1);
    const char *zP4 = (const char *)sqlite3_column_text(pExplain, 5);
    rc = SQLITE_OK;
    if (!zOp) {
      rc = SQLITE_NOMEM;
    } else if (!strcmp(zOp, "AutoCommit") || !strcmp(zOp, "Savepoint")) {
      *peRefusal = DM_REFUSE_TRANSACTION;
    } else if (!strcmp(zOp, "Vacuum")) {
      *peRefusal = DM_REFUSE_VACUUM;
    } else if (!strcmp(zOp, "JournalMode") && sqlite3_column_int(pExplain, 4) != -1) {
      *peRefusal = DM_REFUSE_PRAGMA;
    } else if ((!strcmp(zOp, "Function") || !strcmp(zOp, "PureFunc")) && zP4 &&
               (!strncmp(zP4, "sqlite_attach(", 14) || !strncmp(zP4, "sqlite_detach(", 14))) {
      *peRefusal = DM_REFUSE_ATTACH;
    }
    if (*peRefusal != DM_REFUSE_NONE) rc = SQLITE_DONE;
  }
  sqlite3_finalize(pExplain);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static char *step_title(const DmSet *pSet, const DmStep *pStep) {
  const DmRevision *pRev = &pSet->aRev[pStep->iRev];
  char *zParents = dm_parents_text(pSet, pStep->iRev);
  char *z = 0;
  if (zParents) {
    /* As alembic history names it; the log line keeps Alembic's blank. */
    const char *zBelow = zParents[0] ? zParents : "<base>";
    if (pStep->bUp) {
      z = sqlite3_mprintf("upgrade %s -> %s", zBelow, pRev->zId);
    } else {
      z = sqlite3_mprintf("downgrade %s -> %s", pRev->zId, zBelow);
    }
  }
  sqlite3_free(zParents);
  return z;
}

static int ensure_log_table(Run *p) {
  if (p->bLogReady) return SQLITE_OK;
  int rc = exec(p->db, DM_LOG_TABLE_SQL);
  if (rc == SQLITE_OK) {
    p->bLogReady = 1;
    dm_undo_arm(p->db, p->pConn);
  }
  return rc;
}

static int write_log(Run *p, const char *zRevision, const char *zDirection,
                     const char *zFrom, const char *zTo, const char *zChecksum,
                     sqlite3_int64 iStartMs, double rDurationMs) {
  int rc = ensure_log_table(p);
  if (rc) return rc;
  /* Milliseconds rounded to the microsecond: 12.345, not 12.345678901234
  ** (the offline script, which cannot time its steps, writes 0). */
  static const DmLogValues bound = {"?1", "?2", "?3", "?4", "?5",
                                    "strftime('%Y-%m-%d %H:%M:%f', ?6 / 86400000.0)",
                                    "round(?7, 3)"};
  char *zSql = dm_log_insert_sql("main.", &bound);
  if (!zSql) return SQLITE_NOMEM;
  sqlite3_stmt *pStmt = 0;
  rc = sqlite3_prepare_v2(p->db, zSql, -1, &pStmt, 0);
  sqlite3_free(zSql);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(pStmt, 1, zRevision, -1, SQLITE_STATIC);
    sqlite3_bind_text(pStmt, 2, zDirection, -1, SQLITE_STATIC);
    sqlite3_bind_text(pStmt, 3, zFrom, -1, SQLITE_STATIC);
    sqlite3_bind_text(pStmt, 4, zTo, -1, SQLITE_STATIC);
    sqlite3_bind_text(pStmt, 5, zChecksum, -1, SQLITE_STATIC);
    sqlite3_bind_int64(pStmt, 6, iStartMs);
    sqlite3_bind_double(pStmt, 7, rDurationMs);
    rc = sqlite3_step(pStmt);
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
  }
  sqlite3_finalize(pStmt);
  return rc;
}

/*
** Bring alembic_version from the rows of aBefore to those of aAfter, with
** the statements Alembic uses. Each must touch exactly one row: anything
** else means a migration edited the table behind the runner's back.
*/
static int write_version(Run *p, const DmFlags *aBefore, const DmFlags *aAfter) {
  const DmSet *pSet = p->pSet;
  DmRowChange *aChange = 0;
  int nChange = dm_row_changes_new(pSet, aBefore, aAfter, &aChange);
  int rc = nChange < 0 ? SQLITE_NOMEM : SQLITE_OK;
  for (int i = 0; rc == SQLITE_OK && i < nChange; i++) {
    const char *zOld = aChange[i].iOld >= 0 ? pSet->aRev[aChange[i].iOld].zId : 0;
    const char *zNew = aChange[i].iNew >= 0 ? pSet->aRev[aChange[i].iNew].zId : 0;
    char *zSql = dm_version_row_sql("main.", zOld ? "?1" : 0, zNew ? "?2" : 0);
    if (!zSql) {
      rc = SQLITE_NOMEM;
      break;
    }
    sqlite3_stmt *pStmt = 0;
    rc = sqlite3_prepare_v2(p->db, zSql, -1, &pStmt, 0);
    sqlite3_free(zSql);
    if (rc == SQLITE_OK) {
      if (zOld) sqlite3_bind_text(pStmt, 1, zOld, -1, SQLITE_STATIC);
      if (zNew) sqlite3_bind_text(pStmt, 2, zNew, -1, SQLITE_STATIC);
      rc = sqlite3_step(pStmt);
      if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
        if (sqlite3_changes(p->db) != 1) {
          rc = set_error(p, SQLITE_ERROR, sqlite3_mprintf(
              "alembic_version does not hold the row '%s' it should: a "
              "migration must not edit alembic_version, distmigrate keeps it",
              zOld));
        }
      }
    }
    sqlite3_finalize(pStmt);
  }
  sqlite3_free(aChange);
  return rc;
}

/*
** Why TEMP objects named like objects in main refuse the run, in *pzWhy (0
** if there are none). SQLite resolves an unqualified name in TEMP first, so
** while one exists a migration's DROP TABLE x or CREATE INDEX ... ON x acts
** on the TEMP object and the version would record a change main never had.
*/
static int temp_shadow_refusal(sqlite3 *db, char **pzWhy) {
  *pzWhy = 0;
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(
      db,
      "SELECT group_concat(what, ', '), count(*) FROM (SELECT t.type || ' ' || t.name AS what"
      " FROM temp.sqlite_schema AS t WHERE EXISTS (SELECT 1 FROM main.sqlite_schema"
      " AS m WHERE m.name = t.name COLLATE NOCASE) ORDER BY t.name)",
      -1, &pStmt, 0);
  if (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    const char *zList = (const char *)sqlite3_column_text(pStmt, 0);
    int bMany = sqlite3_column_int(pStmt, 1) > 1;
    rc = SQLITE_OK;
    if (zList) {
      *pzWhy = sqlite3_mprintf(
          "this connection's TEMP schema holds %s, named like %s in main; SQLite "
          "looks in TEMP first, so the migrations would act on %s instead of on "
          "main. Drop %s (DROP TABLE temp.name, DROP VIEW temp.name, ...) or migrate "
          "on another connection, then try again",
          zList, bMany ? "objects" : "an object", bMany ? "them" : "it",
          bMany ? "them" : "it");
      if (!*pzWhy) rc = SQLITE_NOMEM;
    }
  }
  sqlite3_finalize(pStmt);
  return rc;
}

/* One statement of a section, being run. */
typedef struct Stmt Stmt;
struct Stmt {
  const char *zStart;   /* Where it begins (after comments and stray ';') */
  const char *zTail;    /* Where SQLite stopped reading it, or 0 */
  sqlite3_stmt *pStmt;
  const char *zWhat;    /* Why it failed, if not SQLite's error */
  char *zOwned;         /* zWhat, when it was built for this statement */
};

/* Say why the statement is refused; always fails. */
static int refuse(Stmt *pS, const char *zWhy, char *zOwned) {
  pS->zOwned = zOwned;
  pS->zWhat = zWhy ? zWhy : "out of memory";
  return zWhy ? SQLITE_ERROR : SQLITE_NOMEM;
}

/*
** What is checked before SQLite compiles the statement: the pragmas that
** SQLite applies while compiling (locking_mode, writable_schema), read with
** the tokenizer, and names that TEMP objects shadow.
*/
static int check_before_prepare(Run *p, Stmt *pS) {
  DmRefusal e = dm_sql_refusal(pS->zStart);
  if (e != DM_REFUSE_NONE && e != DM_WARN_FOREIGN_KEYS) {
    return refuse(pS, dm_refusal_reason(e), 0);
  }
  char *zWhy = 0;
  int rc = temp_shadow_refusal(p->db, &zWhy);
  if (rc == SQLITE_OK && zWhy) rc = refuse(pS, zWhy, zWhy);
  return rc;
}

/* What is checked once SQLite has compiled it: its program, the FK guard. */
static int check_compiled(Run *p, Stmt *pS) {
  DmRefusal e = DM_REFUSE_NONE;
  int rc = compiled_refusal(p->db, pS->pStmt, pS->zStart, (int)(pS->zTail - pS->zStart), &e);
  if (rc) return rc;
  if (e != DM_REFUSE_NONE) return refuse(pS, dm_refusal_reason(e), 0);
  char *zDrop = 0;  /* The foreign-key guard's objection */
  if (p->bFkGuard && (rc = dm_fk_drops_parent(p->db, pS->pStmt, &zDrop)) == SQLITE_OK &&
      zDrop) {
    char *zWhy = sqlite3_mprintf(
        "%s, and with PRAGMA foreign_keys=ON that DROP TABLE would delete "
        "their rows (ON DELETE CASCADE) or fail; inside a transaction "
        "foreign keys cannot be turned off, so distmigrate refused the "
        "run before the DROP. Run %s() outside a transaction (distmigrate "
        "then turns foreign keys off for the run and runs PRAGMA "
        "foreign_key_check before COMMIT), or run PRAGMA foreign_keys=OFF "
        "before BEGIN",
        zDrop, op_name(p->eOp));
    rc = refuse(pS, zWhy, zWhy);
  }
  sqlite3_free(zDrop);
  return rc;
}

/* Step the prepared statement to its end, the observers told around it. */
static int step_statement(Run *p, Stmt *pS, DmEvent *pEv) {
  pEv->eType = DM_EVENT_STATEMENT;
  pEv->zSql = pS->zStart;
  pEv->nSql = (int)(pS->zTail - pS->zStart);
  pEv->pStmt = pS->pStmt;
  int rc = notify(p, pEv);
  if (rc) return rc;
  /* SELECT migrate_alter_table(...) is read-only: the helper checks
  ** the foreign keys of what it changed itself. */
  if (!sqlite3_stmt_readonly(pS->pStmt)) p->bWrote = 1;
  while ((rc = sqlite3_step(pS->pStmt)) == SQLITE_ROW) {
  }
  if (rc == SQLITE_DONE) rc = SQLITE_OK;
  if (rc == SQLITE_OK) dm_undo_arm(p->db, p->pConn);
  pEv->eType = DM_EVENT_STATEMENT_DONE;
  pEv->rc = rc;
  int rcEv = notify(p, pEv);
  return rc ? rc : rcEv;
}

/* The run's error for a statement that failed: step, file:line, excerpt. */
static int statement_error(Run *p, const DmStep *pStep, const char *zTitle, Stmt *pS,
                           int rc) {
  const DmRevision *pRev = &p->pSet->aRev[pStep->iRev];
  const char *zSection = pStep->bUp ? pRev->zUp : pRev->zDown;
  int iFirstLine = pStep->bUp ? pRev->iUpLine : pRev->iDownLine;
  /* A prepared statement ends at its tail; one that failed to compile
  ** where SQLite's splitting would end it (its tail is where the error was). */
  const char *zEnd = pS->pStmt ? pS->zTail : dm_sql_statement_end(pS->zStart);
  char *zStmt = statement_excerpt(pS->zStart, zEnd);
  int iLine = line_of(zSection, pS->zStart, iFirstLine);
  char *zHint = pS->zWhat ? 0 : error_hint(p->db, rc, p->eOp);
  const char *zMsg = pS->zWhat ? pS->zWhat : sqlite3_errmsg(p->db);
  rc = set_error(p, rc, sqlite3_mprintf("%s failed: %s\n  at %s:%d: %s%s%s", zTitle, zMsg,
                                        pRev->zFile, iLine, zStmt, zHint ? "\n  " : "",
                                        zHint ? zHint : ""));
  sqlite3_free(zHint);
  sqlite3_free(zStmt);
  return rc;
}

/* Run the statements of one section, as SQLite splits them. */
static int run_sql(Run *p, const DmStep *pStep, DmEvent *pEv) {
  const DmRevision *pRev = &p->pSet->aRev[pStep->iRev];
  const char *zSql = pStep->bUp ? pRev->zUp : pRev->zDown;
  int rc = SQLITE_OK;
  while (rc == SQLITE_OK && *(zSql = dm_sql_skip_empty(zSql))) {
    Stmt st;
    memset(&st, 0, sizeof(st));
    st.zStart = zSql;
    rc = check_before_prepare(p, &st);
    if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(p->db, zSql, -1, &st.pStmt, &st.zTail);
    if (rc == SQLITE_OK && st.pStmt) rc = check_compiled(p, &st);
    if (rc == SQLITE_OK && st.pStmt) rc = step_statement(p, &st, pEv);
    if (rc != SQLITE_OK && !p->zErr) rc = statement_error(p, pStep, pEv->zTitle, &st, rc);
    sqlite3_free(st.zOwned);
    sqlite3_finalize(st.pStmt);
    zSql = st.zTail ? st.zTail : zSql + strlen(zSql);
  }
  return rc;
}

static int run_step(Run *p, const DmStep *pStep, DmFlags *aCur, DmFlags *aNext) {
  const DmSet *pSet = p->pSet;
  const DmRevision *pRev = &pSet->aRev[pStep->iRev];
  char *zTitle = step_title(pSet, pStep);
  char *zFrom = dm_describe(pSet, aCur, "");
  memcpy(aNext, aCur, (size_t)pSet->nRev);
  aNext[pStep->iRev] = (DmFlags)pStep->bUp;
  char *zTo = dm_describe(pSet, aNext, "");
  if (!zTitle || !zFrom || !zTo) {
    sqlite3_free(zTitle);
    sqlite3_free(zFrom);
    sqlite3_free(zTo);
    return SQLITE_NOMEM;
  }
  if (p->bVerbose) {
    /* Alembic's own line, so logs read the same after the switch. */
    char *zParents = dm_parents_text(pSet, pStep->iRev);
    if (pStep->bUp) {
      dm_verbose_line(p->pConn->pProgress, "Running upgrade %s -> %s, %s",
                      zParents ? zParents : "", pRev->zId, pRev->zMessage);
    } else {
      dm_verbose_line(p->pConn->pProgress, "Running downgrade %s -> %s, %s", pRev->zId,
                      zParents ? zParents : "", pRev->zMessage);
    }
    sqlite3_free(zParents);
  }
  DmEvent ev;
  memset(&ev, 0, sizeof(ev));
  ev.eType = DM_EVENT_STEP;
  ev.pStep = pStep;
  ev.zTitle = zTitle;
  ev.zFrom = zFrom;
  ev.zTo = zTo;
  sqlite3_int64 iStart = now_julian_ms();
  double rStart = monotonic_ms();
  int rc = notify(p, &ev);
  if (rc == SQLITE_OK) rc = run_sql(p, pStep, &ev);
  if (rc == SQLITE_OK) rc = write_version(p, aCur, aNext);
  double rDuration = monotonic_ms() - rStart;
  if (rc == SQLITE_OK) {
    rc = write_log(p, pRev->zId, pStep->bUp ? "upgrade" : "downgrade",
                   zFrom[0] ? zFrom : 0, zTo[0] ? zTo : 0, pRev->zChecksum,
                   iStart, rDuration);
  }
  ev.eType = DM_EVENT_STEP_DONE;
  ev.rc = rc;
  int rcEv = notify(p, &ev);
  if (rc == SQLITE_OK) rc = rcEv;
  if (rc == SQLITE_OK) {
    memcpy(aCur, aNext, (size_t)pSet->nRev);
    if (p->bVerbose) dm_verbose_line(p->pConn->pProgress, "  step done in %.1f ms", rDuration);
  } else if (!p->zErr) {
    set_error(p, rc, sqlite3_mprintf("%s failed: %s", zTitle, sqlite3_errmsg(p->db)));
  }
  sqlite3_free(zTitle);
  sqlite3_free(zFrom);
  sqlite3_free(zTo);
  return rc;
}

/* A table the whole-database foreign-key check reads, and its rows (verbose). */
typedef struct KeyTable KeyTable;
struct KeyTable {
  char *zName;
  sqlite3_int64 nRow;
};

static void key_tables_free(KeyTable *a, int n) {
  for (int i = 0; i < n; i++) sqlite3_free(a[i].zName);
  sqlite3_free(a);
}

/*
** The tables that have foreign keys, by name (the order the violations are
** listed in); with
** their rows when verbose mode shows the check's progress (*pnRow: all).
*/
static int key_tables(Run *p, KeyTable **paTab, int *pnTab, sqlite3_int64 *pnRow) {
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(p->db,
                              "SELECT name FROM main.sqlite_schema WHERE type = 'table' AND "
                              "EXISTS (SELECT 1 FROM pragma_foreign_key_list(name, 'main')) "
                              "ORDER BY name",
                              -1, &pStmt, 0);
  KeyTable *a = 0;
  int n = 0;
  while (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    KeyTable *aNew = sqlite3_realloc64(a, sizeof(KeyTable) * (sqlite3_uint64)(n + 1));
    const char *zName = (const char *)sqlite3_column_text(pStmt, 0);
    if (aNew) a = aNew;
    char *zCopy = aNew && zName ? sqlite3_mprintf("%s", zName) : 0;
    if (!zCopy) {
      rc = SQLITE_NOMEM;
      break;
    }
    a[n].zName = zCopy;
    a[n].nRow = 0;
    n++;
    if (p->pConn->pProgress) {
      char *zCount = sqlite3_mprintf("SELECT count(*) FROM main.\"%w\"", zCopy);
      rc = zCount ? query_int64(p->db, zCount, &a[n - 1].nRow) : SQLITE_NOMEM;
      sqlite3_free(zCount);
      *pnRow += a[n - 1].nRow;
    }
  }
  int rcEnd = sqlite3_finalize(pStmt);
  if (rc == SQLITE_OK) rc = rcEnd;
  if (rc) {
    key_tables_free(a, n);
    return rc;
  }
  *paTab = a;
  *pnTab = n;
  return SQLITE_OK;
}

/*
** PRAGMA foreign_key_check before COMMIT, one table at a time, so that
** verbose mode can say which it is at; violations fail the run.
*/
static int check_foreign_keys(Run *p) {
  DmProgress *pProgress = p->pConn->pProgress;
  KeyTable *aTab = 0;
  int nTab = 0, nViolation = 0;
  sqlite3_int64 nRow = 0;
  int rc = key_tables(p, &aTab, &nTab, &nRow);
  if (rc) return rc;
  dm_progress_stepped(pProgress, "foreign-key check", "table", nTab, nRow);
  sqlite3_str *pList = sqlite3_str_new(0);
  for (int i = 0; rc == SQLITE_OK && i < nTab; i++) {
    char *zSql = sqlite3_mprintf("PRAGMA main.foreign_key_check(\"%w\")", aTab[i].zName);
    sqlite3_stmt *pCheck = 0;
    rc = zSql ? sqlite3_prepare_v2(p->db, zSql, -1, &pCheck, 0) : SQLITE_NOMEM;
    sqlite3_free(zSql);
    dm_progress_item(pProgress, aTab[i].zName, aTab[i].nRow);
    if (rc == SQLITE_OK) rc = dm_fk_violations_add(pCheck, &nViolation, pList);
  }
  dm_progress_phase_end(pProgress);
  key_tables_free(aTab, nTab);
  char *zList = dm_fk_violations_end(pList, nViolation, &rc);
  if (rc == SQLITE_OK && nViolation) {
    rc = set_error(p, SQLITE_CONSTRAINT_FOREIGNKEY,
                   sqlite3_mprintf("PRAGMA foreign_key_check found %d foreign key violation%s "
                                   "after the migrations ran:%s",
                                   nViolation, nViolation == 1 ? "" : "s", zList));
  }
  sqlite3_free(zList);
  return rc;
}

/*
** With journal_mode=OFF SQLite keeps no rollback journal: ROLLBACK cannot
** undo what a failed run wrote. Such a run must not start.
*/
static char *begin_error(sqlite3 *db, int rc, DmOp eOp);

static int check_journal(sqlite3 *db, DmOp eOp, char **pzErr) {
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(db, "PRAGMA main.journal_mode", -1, &pStmt, 0);
  int bOff = 0;
  if (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    const char *zMode = (const char *)sqlite3_column_text(pStmt, 0);
    bOff = zMode && sqlite3_stricmp(zMode, "off") == 0;
    rc = SQLITE_OK;
  } else if (rc == SQLITE_DONE) {
    rc = SQLITE_OK;
  }
  if (rc) {
    /* Compiling it reads the schema: another writer can hold it (BUSY). */
    *pzErr = begin_error(db, rc, eOp);
    if (!*pzErr) rc = SQLITE_NOMEM;
  }
  sqlite3_finalize(pStmt);
  if (rc == SQLITE_OK && bOff) {
    *pzErr = sqlite3_mprintf(
        "%s(): the database's journal_mode is OFF, so SQLite keeps no rollback "
        "journal and could not undo a run that fails half-way; nothing was "
        "changed. Run PRAGMA journal_mode=DELETE (or WAL) on this connection, "
        "then migrate",
        op_name(eOp));
    rc = SQLITE_ERROR;
  }
  return rc;
}

/* TEMP objects that shadow main refuse the run before it writes. */
static int check_temp_shadows(Run *p) {
  char *zWhy = 0;
  int rc = temp_shadow_refusal(p->db, &zWhy);
  if (rc == SQLITE_OK && zWhy) {
    rc = set_error(p, SQLITE_ERROR,
                   sqlite3_mprintf("%s(): %s; nothing was changed", op_name(p->eOp), zWhy));
  }
  sqlite3_free(zWhy);
  return rc;
}

/* Translate the failure to start the run into what to do about it. */
static char *begin_error(sqlite3 *db, int rc, DmOp eOp) {
  return dm_error_text(db, rc, op_name(eOp), "cannot start the run's transaction");
}

/*
** COMMIT needs the exclusive lock: in rollback-journal mode a connection
** that is still reading keeps it from the run past the busy timeout.
*/
static char *commit_error(sqlite3 *db, int rc, DmOp eOp) {
  int iTimeout = 0;
  if ((rc & 0xff) == SQLITE_BUSY) {
    query_int(db, "PRAGMA busy_timeout", &iTimeout);
    return sqlite3_mprintf(
        "%s(): database is locked: another connection is reading it, so the "
        "run could not commit (waited %d ms, this connection's busy timeout); "
        "try again when the reader is done, or wait longer with PRAGMA "
        "busy_timeout = 10000",
        op_name(eOp), iTimeout);
  }
  return dm_error_text(db, rc, 0, "cannot commit the run");
}

/*
** What refuses a run before it writes: a run inside a migration, a
** replicated engine the run would not reach every node of (run/engine.h),
** a call from inside another statement, journal_mode=OFF. An earlier run's
** transaction that out of memory left open is undone first. Sets
** *pbCallerTxn after that undo, which may end a transaction.
*/
static int refuse_what_cannot_run(sqlite3 *db, DmConn *pConn, DmOp eOp, int *pbCallerTxn,
                                  char **pzErr) {
  int rc;
  if (pConn->bRunning) {
    *pzErr = sqlite3_mprintf(
        "%s() cannot run inside a migration: a migration's SQL must not call "
        "distmigrate's functions",
        op_name(eOp));
    return SQLITE_MISUSE;
  }
  if (pConn->eLeftOpen && busy_statements(db) <= 1) {
    rc = undo_left_open(db, pConn, op_name(eOp), pzErr);
    if (rc) return rc;
  }
  int bCallerTxn = !sqlite3_get_autocommit(db);
  *pbCallerTxn = bCallerTxn;
  rc = dm_engine_refusal(db, op_name(eOp), bCallerTxn, pzErr);
  if (rc) return rc;
  int bAlone = 0;
  rc = dm_called_alone(db, &bAlone);
  if (rc != SQLITE_OK) {
    *pzErr = dm_error_text(db, rc, op_name(eOp), 0);
    return rc;
  }
  if (!bAlone) {
    *pzErr = called_inside_statement(eOp);
    return SQLITE_LOCKED;
  }
  rc = check_journal(db, eOp, pzErr);
  /* PRAGMA journal_mode counts as a write: interrupted, SQLite rolls back. */
  if (rc && bCallerTxn && sqlite3_get_autocommit(db) && *pzErr) {
    char *z = sqlite3_mprintf("%s\n  SQLite rolled back the caller's whole transaction on "
                              "this error", *pzErr);
    sqlite3_free(*pzErr);
    *pzErr = z;
  }
  return rc;
}

static void run_init(Run *p, sqlite3 *db, DmConn *pConn, const DmSet *pSet, DmOp eOp,
                     const DmRunOpts *pOpts) {
  memset(p, 0, sizeof(*p));
  p->db = db;
  p->pConn = pConn;
  p->pSet = pSet;
  p->eOp = eOp;
  p->pOpts = pOpts;
  const char *zEnv = getenv("DISTMIGRATE_VERBOSE");
  p->bVerbose = pConn->bVerbose || (zEnv && zEnv[0] && strcmp(zEnv, "0") != 0);
  if (pOpts && pOpts->bQuiet) p->bVerbose = 0;
}

/* The four revision sets a run works on, in one allocation. */
static int alloc_flags(Run *p) {
  int n = p->pSet->nRev;
  p->aAll = sqlite3_malloc64((sqlite3_uint64)(4 * n + 4));
  if (!p->aAll) return SQLITE_NOMEM;
  memset(p->aAll, 0, (size_t)(4 * n + 4));
  p->aApplied = p->aAll;
  p->aTarget = p->aAll + n + 1;
  p->aCur = p->aAll + 2 * n + 2;
  p->aNext = p->aAll + 3 * n + 3;
  return SQLITE_OK;
}

/*
** Open the run's transaction (or its savepoint in the caller's) and take
** the write lock, then refuse TEMP objects that shadow main.
*/
static int open_transaction(Run *p) {
  sqlite3 *db = p->db;
  int rc;
  if (!p->bCallerTxn) {
    /* The run's transaction is SAVEPOINT distmigrate itself (outside a
    ** transaction, a SAVEPOINT is BEGIN with a name): the name marks it as
    ** the run's, and unlike a savepoint inside BEGIN it costs nothing while
    ** the run writes. SQLite keeps, for each savepoint nested in a write
    ** transaction, a bitmap of the pages journaled under it, ~5 bytes a
    ** page: 2 MB more peak memory for a rebuild of a 1M-row table, growing
    ** with the table. Then the lock BEGIN IMMEDIATE would take. */
    p->bFkWas = set_foreign_keys(db, 0);
    dm_undo_arm(db, p->pConn);  /* After the setting: changing it expires statements */
    rc = exec(db, "SAVEPOINT distmigrate");
  } else {
    rc = query_int(db, "PRAGMA foreign_keys", &p->bFkGuard);
    dm_undo_arm(db, p->pConn);
    if (rc == SQLITE_OK) rc = exec(db, "SAVEPOINT distmigrate");
  }
  if (rc) {
    if (!p->bCallerTxn) set_error(p, rc, begin_error(db, rc, p->eOp));
    return rc;
  }
  p->bOpen = 1;
  p->bMarked = 1;
  /* The write lock before the version is read, as BEGIN IMMEDIATE takes
  ** it, in both cases. */
  rc = take_write_lock(db);
  if (rc) {
    set_error(p, rc, begin_error(db, rc, p->eOp));
    return rc;
  }
  /* Again: the lock may have read the schema for the first time, and
  ** loading it expires what was compiled before. */
  dm_undo_arm(db, p->pConn);
  rc = check_temp_shadows(p);
  if (rc) return rc;
  p->pConn->bFkWas = p->bFkWas;
  p->pConn->bRunVerbose = p->bVerbose;
  return SQLITE_OK;
}

/* Where the database is: alembic_version's rows as applied revisions. */
static int read_version(Run *p, int bPurge) {
  int rc = table_exists(p->db, "alembic_version", &p->bVersionTable);
  if (rc) return rc;
  rc = dm_read_version(p->db, &p->nRow, &p->azRow, &p->zErr);
  if (rc) return rc;
  if (p->eOp == DM_OP_STAMP && bPurge) {
    /* Whatever is there goes, known or not: applied is empty. */
    if (p->nRow > 0) rc = exec(p->db, "DELETE FROM main.alembic_version");
    p->zBefore = dm_join_strings(p->nRow, (const char *const *)p->azRow);
    if (rc) return rc;
  } else {
    rc = dm_applied_from_rows(p->pSet, p->nRow, (const char *const *)p->azRow, p->aApplied,
                              &p->zErr);
    if (rc) return rc;
    p->zBefore = dm_describe(p->pSet, p->aApplied, "");
  }
  return p->zBefore ? SQLITE_OK : SQLITE_NOMEM;
}

/* Resolve the target and plan the steps there; the observers hear of it. */
static int plan_run(Run *p, const char *zTarget) {
  int rc = dm_resolve(p->pSet, p->aApplied, p->eOp, zTarget, p->aTarget, &p->zErr);
  if (rc) return rc;
  /* Anything to write? A read-only database may still be at its target.
  ** A stamp has no plan: it writes the version rows only. */
  if (p->eOp != DM_OP_STAMP) {
    rc = dm_plan(p->pSet, p->aApplied, p->aTarget, &p->plan);
    if (rc) return rc;
  }
  DmEvent evStart;
  memset(&evStart, 0, sizeof(evStart));
  evStart.eType = DM_EVENT_START;
  evStart.aApplied = p->aApplied;
  evStart.pPlan = &p->plan;
  return notify(p, &evStart);
}

/* A run that writes needs a writable database and the version table. */
static int prepare_to_write(Run *p) {
  if (p->eOp != DM_OP_STAMP && p->plan.nStep == 0 && p->bVersionTable) return SQLITE_OK;
  if (sqlite3_db_readonly(p->db, "main") == 1) {
    return set_error(p, SQLITE_READONLY, begin_error(p->db, SQLITE_READONLY, p->eOp));
  }
  if (!p->bVersionTable) {
    int rc = exec(p->db, DM_VERSION_TABLE_SQL);
    if (rc) return rc;
    dm_undo_arm(p->db, p->pConn);
  }
  return SQLITE_OK;
}

/* A stamp writes the version rows and the log, and runs nothing. */
static int run_stamp(Run *p) {
  sqlite3_int64 iStart = now_julian_ms();
  int rc = write_version(p, p->aApplied, p->aTarget);
  if (rc == SQLITE_OK) {
    char *zTo = dm_describe(p->pSet, p->aTarget, "");
    const char *zKind = p->pOpts && p->pOpts->zStampKind ? p->pOpts->zStampKind : "stamp";
    rc = zTo ? write_log(p, 0, zKind, p->zBefore[0] ? p->zBefore : 0, zTo[0] ? zTo : 0, 0,
                         iStart, 0.0)
             : SQLITE_NOMEM;
    sqlite3_free(zTo);
  }
  if (rc) return rc;
  memcpy(p->aCur, p->aTarget, (size_t)p->pSet->nRev);
  return SQLITE_OK;
}

static int run_steps(Run *p) {
  int rc = SQLITE_OK;
  memcpy(p->aCur, p->aApplied, (size_t)p->pSet->nRev);
  p->bStarted = 1;
  if (p->eOp == DM_OP_STAMP) return run_stamp(p);
  for (int i = 0; rc == SQLITE_OK && i < p->plan.nStep; i++) {
    rc = run_step(p, &p->plan.aStep[i], p->aCur, p->aNext);
  }
  return rc;
}

/* Foreign keys after the steps, when enforcement is on and a statement wrote. */
static int check_after_steps(Run *p) {
  if (p->bFkGuard && p->bWrote) {
    /* Inside the caller's transaction with enforcement on, a deferred
    ** violation would fail only the caller's COMMIT, the migration in it. */
    return check_foreign_keys(p);
  } else if (p->bFkWas && p->bWrote) {
    double t0 = monotonic_ms();
    int rc = check_foreign_keys(p);
    if (rc) return rc;
    if (p->bVerbose) {
      dm_verbose_line(p->pConn->pProgress,
                      "whole-database foreign_key_check (a migration statement wrote): no "
                      "violations, %.1f ms",
                      monotonic_ms() - t0);
    }
  } else if (p->bFkWas && p->bVerbose && p->plan.nStep > 0) {
    dm_verbose_line(p->pConn->pProgress,
                    "no whole-database foreign_key_check: the migrations changed tables "
                    "only through migrate_alter_table(), which checked what it changed");
  }
  return SQLITE_OK;
}

/* Commit (a rehearsal rolls back); the result is the version reached. */
static int commit_run(Run *p, char **pzResult) {
  sqlite3 *db = p->db;
  int bRehearse = p->pOpts && p->pOpts->bRehearse;
  int rc;
  p->zAfter = dm_describe(p->pSet, p->aCur, "");
  if (!p->zAfter) return SQLITE_NOMEM;
  if (bRehearse) {
    /* A rehearsal ends here: everything it did goes. */
    if (p->bCallerTxn) {
      rc = exec(db, "ROLLBACK TO distmigrate");
      if (rc == SQLITE_OK) rc = exec(db, "RELEASE distmigrate");
    } else {
      rc = exec(db, "ROLLBACK");
    }
  } else {
    rc = exec(db, p->bCallerTxn ? "RELEASE distmigrate" : "COMMIT");
  }
  if (rc) {
    p->bCommitFailed = !bRehearse;
    set_error(p, rc, commit_error(db, rc, p->eOp));
    return rc;
  }
  p->bOpen = 0;
  if (p->zAfter[0]) {
    *pzResult = p->zAfter;   /* 0 at base */
    p->zAfter = 0;
  }
  return SQLITE_OK;
}

/*
** Roll the failed run back; what out of memory leaves open is recorded for
** the next run. Returns whether the run rolled itself back.
*/
static int undo_failed_run(Run *p) {
  sqlite3 *db = p->db;
  DmConn *pConn = p->pConn;
  /* An I/O error or OOM may already have rolled the transaction back. */
  if (sqlite3_get_autocommit(db)) return 0;
  int rcUndo = undo_run(db, pConn, p->bCallerTxn);
  if (rcUndo == SQLITE_OK) return 1;
  pConn->eLeftOpen = p->bCallerTxn ? DM_LEFT_SAVEPOINT
                     : p->bMarked  ? DM_LEFT_TRANSACTION
                                   : DM_LEFT_BEGIN;
  pConn->nChangesLeft = sqlite3_total_changes64(db);
  return 0;
}

/*
** A commit can fail after it reached the disk (the journal is gone, then a
** sync fails): say where the database is, read back.
*/
static void say_where_after_commit_failed(Run *p) {
  char *zNow = version_now(p->db);
  if (zNow) {
    append_error(p, "the commit failed; read back, the database is at %s",
                 zNow[0] ? zNow : "base");
  } else {
    append_error(p, "the commit failed part-way: the database is at %s "
                    "or at %s; reopen it to see which",
                 p->zBefore[0] ? p->zBefore : "base", p->zAfter[0] ? p->zAfter : "base");
  }
  sqlite3_free(zNow);
}

/* The one end of a failed run: undo it and say where the database is. */
static void undo_and_say_where(Run *p, int rc) {
  if (rc && !p->zErr) {
    set_error(p, rc, sqlite3_mprintf("%s(): %s", op_name(p->eOp),
                                     rc == SQLITE_NOMEM ? "out of memory"
                                                        : sqlite3_errmsg(p->db)));
  }
  if (!p->bOpen) return;
  int bUndone = undo_failed_run(p);
  if (p->bCallerTxn && sqlite3_get_autocommit(p->db)) {
    append_error(p, "SQLite rolled back the caller's whole transaction "
                    "on this error, not only the migration");
  }
  if (p->pConn->eLeftOpen) {
    append_error(p, "SQLite could not roll the run back now: ROLLBACK, "
                    "or the next migrate call on this connection, undoes it");
  } else if (p->bCommitFailed && !bUndone) {
    /* A commit that failed with the transaction still open (a reader holds
    ** the lock) was rolled back above like any other error. */
    say_where_after_commit_failed(p);
  } else if (p->zBefore && p->bStarted) {
    append_error(p, "the run was rolled back: the database is still at %s",
                 p->zBefore[0] ? p->zBefore : "base");
  }
}

/* Put the connection back as the caller had it and free the run. */
static void release_run(Run *p, Modes modesWas) {
  DmConn *pConn = p->pConn;
  sqlite3_free(p->zAfter);
  if (p->bFkWas) set_foreign_keys(p->db, 1);
  restore_modes(p->db, modesWas);
  sqlite3_finalize(pConn->pUndo);
  pConn->pUndo = 0;
  dm_progress_free(pConn->pProgress);
  pConn->pProgress = 0;
  pConn->bRunning = 0;
  pConn->bFkWas = 0;
  pConn->bRunVerbose = 0;
  dm_plan_clear(&p->plan);
  sqlite3_free(p->aAll);
  sqlite3_free(p->azRow);
  sqlite3_free(p->zBefore);
}

int dm_run_ex(sqlite3 *db, DmConn *pConn, const DmSet *pSet, DmOp eOp,
              const char *zTarget, int bPurge, const DmRunOpts *pOpts,
              char **pzResult, char **pzErr) {
  Run run;
  run_init(&run, db, pConn, pSet, eOp, pOpts);
  *pzResult = 0;
  *pzErr = 0;
  int rc = refuse_what_cannot_run(db, pConn, eOp, &run.bCallerTxn, pzErr);
  if (rc) return rc;
  pConn->bRunning = 1;
  double rStart = monotonic_ms();
  if (run.bVerbose) pConn->pProgress = dm_progress_new();
  Modes modesWas = modes_now(db);

  rc = alloc_flags(&run);
  if (rc == SQLITE_OK) rc = open_transaction(&run);
  if (rc == SQLITE_OK) rc = read_version(&run, bPurge);
  if (rc == SQLITE_OK) rc = plan_run(&run, zTarget);
  if (rc == SQLITE_OK) rc = prepare_to_write(&run);
  if (rc == SQLITE_OK) rc = run_steps(&run);
  if (rc == SQLITE_OK) rc = check_after_steps(&run);
  if (rc == SQLITE_OK) rc = commit_run(&run, pzResult);

  undo_and_say_where(&run, rc);
  if (run.bVerbose && run.plan.nStep > 0) {
    /* The time of the whole call, the foreign-key check and commit included. */
    dm_verbose_line(pConn->pProgress, rc ? "failed after %.3f s" : "done in %.3f s",
                    (monotonic_ms() - rStart) / 1000.0);
  }
  release_run(&run, modesWas);
  if (rc) {
    *pzErr = dm_engine_advice(db, rc, run.zErr);
  } else {
    sqlite3_free(run.zErr);
  }
  return rc;
}
