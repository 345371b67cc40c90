/*
** The runner. One run is one transaction:
**
**   caller in autocommit           caller inside a transaction
**   --------------------           ---------------------------
**   PRAGMA foreign_keys=OFF (*)    SAVEPOINT distmigrate
**   BEGIN IMMEDIATE                (take the write lock)
**   read alembic_version           read alembic_version
**   run the steps                  run the steps
**   PRAGMA foreign_key_check (*)
**   COMMIT                         RELEASE distmigrate
**   PRAGMA foreign_keys=ON (*)
**
** (*) only when the caller had enforcement on: the pragma is a no-op inside
** a transaction, and with it on, the DROP TABLE of a table rebuild would
** cascade-delete every child row. On any error: ROLLBACK (or ROLLBACK TO and
** RELEASE), the caller's setting restored, nothing left open.
**
** The whole-database foreign_key_check runs when a migration statement wrote.
** A run whose statements only read (SELECT migrate_alter_table(...)) skips
** it: the helper checks the tables it changed, and their referrers, itself.
*/
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

SQLITE_EXTENSION_INIT3

typedef struct Run Run;
struct Run {
  sqlite3 *db;
  DmConn *pConn;
  const DmSet *pSet;
  DmOp eOp;
  int bVerbose;
  int bLogReady;         /* distmigrate_log exists */
  int bWrote;            /* A migration statement (not a function) wrote */
  char *zErr;            /* First error */
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

static int exec(sqlite3 *db, const char *zSql) {
  return sqlite3_exec(db, zSql, 0, 0, 0);
}

static int query_int(sqlite3 *db, const char *zSql, int *pVal) {
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(pStmt);
    if (rc == SQLITE_ROW) {
      *pVal = sqlite3_column_int(pStmt, 0);
      rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
      *pVal = 0;
      rc = SQLITE_OK;
    }
  }
  sqlite3_finalize(pStmt);
  return rc;
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
                          "WHERE version_num IS NOT NULL ORDER BY rowid",
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
  if (rc && pzErr) {
    *pzErr = sqlite3_mprintf("cannot read alembic_version: %s", sqlite3_errmsg(db));
  }
  return rc;
}

/* Number of statements of this connection that are running. */
static int busy_statements(sqlite3 *db) {
  int n = 0;
  for (sqlite3_stmt *p = sqlite3_next_stmt(db, 0); p; p = sqlite3_next_stmt(db, p)) {
    if (sqlite3_stmt_busy(p)) n++;
  }
  return n;
}

static char *called_inside_statement(DmOp eOp) {
  return sqlite3_mprintf(
      "%s() must be called on its own, as in SELECT %s(...); here it runs "
      "inside a statement that reads a table (or while another statement on "
      "this connection is still running), and SQLite cannot change the "
      "schema under an open cursor (\"database table is locked\")",
      op_name(eOp), op_name(eOp));
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

/* Skip whitespace and comments; used to find where a statement starts. */
static const char *skip_space(const char *z) {
  while (*z) {
    if (*z == ' ' || *z == '\t' || *z == '\n' || *z == '\r' || *z == '\f') {
      z++;
    } else if (z[0] == '-' && z[1] == '-') {
      while (*z && *z != '\n') z++;
    } else if (z[0] == '/' && z[1] == '*') {
      const char *zEnd = strstr(z + 2, "*/");
      z = zEnd ? zEnd + 2 : z + strlen(z);
    } else {
      break;
    }
  }
  return z;
}

static int line_of(const char *zSection, const char *z, int iFirstLine) {
  int iLine = iFirstLine;
  for (const char *p = zSection; p < z; p++) {
    if (*p == '\n') iLine++;
  }
  return iLine;
}

/*
** The statement starting at z, as one line for a message: whitespace runs
** folded, cut after 160 characters. Where it ends is SQLite's call: the
** prepared statement's tail if there is one, else the shortest complete
** prefix.
*/
static char *statement_excerpt(const char *z, const char *zEnd) {
  if (!zEnd) {
    zEnd = z + strlen(z);
    for (const char *p = strchr(z, ';'); p; p = strchr(p + 1, ';')) {
      char *zPrefix = sqlite3_mprintf("%.*s", (int)(p - z + 1), z);
      int bComplete = zPrefix ? sqlite3_complete(zPrefix) : 1;
      sqlite3_free(zPrefix);
      if (bComplete) {
        zEnd = p + 1;
        break;
      }
    }
  }
  sqlite3_str *pStr = sqlite3_str_new(0);
  int nOut = 0, bSpace = 0;
  for (const char *p = z; p < zEnd; p++) {
    char c = *p;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      bSpace = 1;
      continue;
    }
    if (bSpace && nOut > 0) {
      sqlite3_str_appendchar(pStr, 1, ' ');
      nOut++;
    }
    bSpace = 0;
    if (nOut >= 160) {
      sqlite3_str_appendall(pStr, "...");
      break;
    }
    sqlite3_str_appendchar(pStr, 1, c);
    nOut++;
  }
  return sqlite3_str_finish(pStr);
}

/*
** Statements that would end or nest the run's transaction. SQLite gives no
** API for a statement's kind, so look at its first keyword.
*/
static const char *transaction_keyword(const char *zSql) {
  static const char *const azKeyword[] = {"BEGIN",     "COMMIT",  "END",
                                          "ROLLBACK",  "SAVEPOINT", "RELEASE"};
  const char *z = skip_space(zSql);
  size_t n = 0;
  while ((z[n] >= 'A' && z[n] <= 'Z') || (z[n] >= 'a' && z[n] <= 'z')) n++;
  for (size_t i = 0; i < sizeof(azKeyword) / sizeof(azKeyword[0]); i++) {
    if (strlen(azKeyword[i]) == n && sqlite3_strnicmp(z, azKeyword[i], (int)n) == 0) {
      return azKeyword[i];
    }
  }
  return 0;
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
  int rc = exec(p->db,
                "CREATE TABLE IF NOT EXISTS main." DM_LOG_TABLE " (\n"
                "  id INTEGER PRIMARY KEY,\n"
                "  revision VARCHAR(32),\n"
                "  direction TEXT NOT NULL,\n"
                "  from_version TEXT,\n"
                "  to_version TEXT,\n"
                "  checksum TEXT,\n"
                "  started_at TEXT NOT NULL,\n"
                "  duration_ms REAL NOT NULL\n"
                ")");
  if (rc == SQLITE_OK) p->bLogReady = 1;
  return rc;
}

static int write_log(Run *p, const char *zRevision, const char *zDirection,
                     const char *zFrom, const char *zTo, const char *zChecksum,
                     sqlite3_int64 iStartMs, double rDurationMs) {
  int rc = ensure_log_table(p);
  if (rc) return rc;
  sqlite3_stmt *pStmt = 0;
  rc = sqlite3_prepare_v2(
      p->db,
      "INSERT INTO main." DM_LOG_TABLE
      " (revision, direction, from_version, to_version, checksum, started_at,"
      " duration_ms) VALUES (?1, ?2, ?3, ?4, ?5,"
      " strftime('%Y-%m-%d %H:%M:%f', ?6 / 86400000.0), ?7)",
      -1, &pStmt, 0);
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
  DmRowChange *aChange = sqlite3_malloc64(sizeof(DmRowChange) * (sqlite3_uint64)(2 * pSet->nRev + 1));
  if (!aChange) return SQLITE_NOMEM;
  int nChange = dm_row_changes(pSet, aBefore, aAfter, aChange);
  int rc = nChange < 0 ? SQLITE_NOMEM : SQLITE_OK;
  for (int i = 0; rc == SQLITE_OK && i < nChange; i++) {
    const char *zOld = aChange[i].iOld >= 0 ? pSet->aRev[aChange[i].iOld].zId : 0;
    const char *zNew = aChange[i].iNew >= 0 ? pSet->aRev[aChange[i].iNew].zId : 0;
    const char *zSql;
    if (zOld && zNew) {
      zSql = "UPDATE main.alembic_version SET version_num=?2 "
             "WHERE alembic_version.version_num = ?1";
    } else if (zNew) {
      zSql = "INSERT INTO main.alembic_version (version_num) VALUES (?2)";
    } else {
      zSql = "DELETE FROM main.alembic_version "
             "WHERE alembic_version.version_num = ?1";
    }
    sqlite3_stmt *pStmt = 0;
    rc = sqlite3_prepare_v2(p->db, zSql, -1, &pStmt, 0);
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

/* Run the statements of one section, as SQLite splits them. */
static int run_sql(Run *p, const DmStep *pStep, const char *zTitle) {
  const DmRevision *pRev = &p->pSet->aRev[pStep->iRev];
  const char *zSection = pStep->bUp ? pRev->zUp : pRev->zDown;
  int iFirstLine = pStep->bUp ? pRev->iUpLine : pRev->iDownLine;
  const char *zSql = zSection;
  int rc = SQLITE_OK;
  while (rc == SQLITE_OK && *zSql) {
    sqlite3_stmt *pStmt = 0;
    const char *zTail = 0;
    const char *zStart = skip_space(zSql);
    const char *zWhat = 0;  /* Why it failed, if not SQLite's error */
    rc = sqlite3_prepare_v2(p->db, zSql, -1, &pStmt, &zTail);
    if (rc == SQLITE_OK && pStmt) {
      const char *zKeyword = transaction_keyword(zSql);
      if (zKeyword) {
        zWhat = "a migration must not control the transaction: distmigrate "
                "runs the whole run as one transaction";
        rc = SQLITE_ERROR;
      } else {
        /* SELECT migrate_alter_table(...) is read-only: the helper checks
        ** the foreign keys of what it changed itself. */
        if (!sqlite3_stmt_readonly(pStmt)) p->bWrote = 1;
        while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
        }
        if (rc == SQLITE_DONE) rc = SQLITE_OK;
      }
    }
    if (rc != SQLITE_OK) {
      char *zStmt = statement_excerpt(zStart, pStmt ? zTail : 0);
      int iLine = line_of(zSection, zStart, iFirstLine);
      const char *zMsg = zWhat ? zWhat : sqlite3_errmsg(p->db);
      if ((rc & 0xff) == SQLITE_LOCKED && !zWhat) {
        char *zHint = called_inside_statement(p->eOp);
        rc = set_error(p, rc, sqlite3_mprintf("%s failed: %s\n  at %s:%d: %s\n  %s",
                                              zTitle, zMsg, pRev->zFile, iLine,
                                              zStmt, zHint));
        sqlite3_free(zHint);
      } else {
        rc = set_error(p, rc, sqlite3_mprintf("%s failed: %s\n  at %s:%d: %s",
                                              zTitle, zMsg, pRev->zFile, iLine,
                                              zStmt));
      }
      sqlite3_free(zStmt);
    }
    sqlite3_finalize(pStmt);
    zSql = zTail ? zTail : zSql + strlen(zSql);
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
      fprintf(stderr, "INFO  [distmigrate] Running upgrade %s -> %s, %s\n",
              zParents ? zParents : "", pRev->zId, pRev->zMessage);
    } else {
      fprintf(stderr, "INFO  [distmigrate] Running downgrade %s -> %s, %s\n",
              pRev->zId, zParents ? zParents : "", pRev->zMessage);
    }
    sqlite3_free(zParents);
  }
  sqlite3_int64 iStart = now_julian_ms();
  double rStart = monotonic_ms();
  int rc = run_sql(p, pStep, zTitle);
  if (rc == SQLITE_OK) rc = write_version(p, aCur, aNext);
  double rDuration = monotonic_ms() - rStart;
  if (rc == SQLITE_OK) {
    rc = write_log(p, pRev->zId, pStep->bUp ? "upgrade" : "downgrade",
                   zFrom[0] ? zFrom : 0, zTo[0] ? zTo : 0, pRev->zChecksum,
                   iStart, rDuration);
  }
  if (rc == SQLITE_OK) {
    memcpy(aCur, aNext, (size_t)pSet->nRev);
    if (p->bVerbose) fprintf(stderr, "INFO  [distmigrate] done in %.1f ms\n", rDuration);
  } else if (!p->zErr) {
    set_error(p, rc, sqlite3_mprintf("%s failed: %s", zTitle, sqlite3_errmsg(p->db)));
  }
  sqlite3_free(zTitle);
  sqlite3_free(zFrom);
  sqlite3_free(zTo);
  return rc;
}

/* PRAGMA foreign_key_check before COMMIT; violations fail the run. */
static int check_foreign_keys(Run *p) {
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(p->db, "PRAGMA main.foreign_key_check", -1, &pStmt, 0);
  if (rc) return rc;
  sqlite3_str *pList = sqlite3_str_new(0);
  int nViolation = 0;
  while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    if (nViolation++ < 10) {
      sqlite3_str_appendf(pList, "\n  %s row %lld references %s, which has no such row",
                          (const char *)sqlite3_column_text(pStmt, 0),
                          sqlite3_column_int64(pStmt, 1),
                          (const char *)sqlite3_column_text(pStmt, 2));
    }
  }
  sqlite3_finalize(pStmt);
  char *zList = sqlite3_str_finish(pList);
  if (rc == SQLITE_DONE) {
    rc = SQLITE_OK;
    if (nViolation) {
      rc = set_error(p, SQLITE_CONSTRAINT_FOREIGNKEY, sqlite3_mprintf(
          "PRAGMA foreign_key_check found %d foreign key violation%s after "
          "the migrations ran:%s%s",
          nViolation, nViolation == 1 ? "" : "s", zList ? zList : "",
          nViolation > 10 ? "\n  ..." : ""));
    }
  }
  sqlite3_free(zList);
  return rc;
}

/* Translate the failure to start the run into what to do about it. */
static char *begin_error(sqlite3 *db, int rc, DmOp eOp) {
  int iTimeout = 0;
  switch (rc & 0xff) {
    case SQLITE_BUSY:
      query_int(db, "PRAGMA busy_timeout", &iTimeout);
      return sqlite3_mprintf(
          "%s(): database is locked: another connection is writing to it "
          "(waited %d ms, this connection's busy timeout); try again, or wait "
          "longer with PRAGMA busy_timeout = 10000",
          op_name(eOp), iTimeout);
    case SQLITE_READONLY:
      return sqlite3_mprintf(
          "%s(): the database is read-only (attempt to write a readonly "
          "database); migrating writes to it: open it read-write, as a user "
          "who may write the file and its directory",
          op_name(eOp));
    default:
      return sqlite3_mprintf("%s(): cannot start the run's transaction: %s",
                             op_name(eOp), sqlite3_errmsg(db));
  }
}

int dm_run(sqlite3 *db, DmConn *pConn, const DmSet *pSet, DmOp eOp,
           const char *zTarget, int bPurge, char **pzResult, char **pzErr) {
  Run run;
  memset(&run, 0, sizeof(run));
  run.db = db;
  run.pConn = pConn;
  run.pSet = pSet;
  run.eOp = eOp;
  const char *zEnv = getenv("DISTMIGRATE_VERBOSE");
  run.bVerbose = pConn->bVerbose || (zEnv && zEnv[0] && strcmp(zEnv, "0") != 0);

  int n = pSet->nRev;
  int bCallerTxn = !sqlite3_get_autocommit(db);
  int bFkWas = 0;
  int bOpen = 0;
  int bStarted = 0;      /* Something was written: worth saying it is undone */
  int nRow = 0;
  char **azRow = 0;
  char *zBefore = 0;
  DmPlan plan = {0, 0};
  DmFlags *aApplied = 0, *aTarget = 0, *aCur = 0, *aNext = 0;
  int rc = SQLITE_OK;
  *pzResult = 0;
  *pzErr = 0;

  if (pConn->bRunning) {
    *pzErr = sqlite3_mprintf(
        "%s() cannot run inside a migration: a migration's SQL must not call "
        "distmigrate's functions",
        op_name(eOp));
    return SQLITE_MISUSE;
  }
  if (busy_statements(db) > 1 ||
      (!bCallerTxn && sqlite3_txn_state(db, 0) != SQLITE_TXN_NONE)) {
    *pzErr = called_inside_statement(eOp);
    return SQLITE_LOCKED;
  }
  pConn->bRunning = 1;

  DmFlags *aAll = sqlite3_malloc64((sqlite3_uint64)(4 * n + 4));
  if (!aAll) {
    rc = SQLITE_NOMEM;
    goto end;
  }
  memset(aAll, 0, (size_t)(4 * n + 4));
  aApplied = aAll;
  aTarget = aAll + n + 1;
  aCur = aAll + 2 * n + 2;
  aNext = aAll + 3 * n + 3;

  if (!bCallerTxn) {
    rc = query_int(db, "PRAGMA foreign_keys", &bFkWas);
    if (rc == SQLITE_OK && bFkWas) rc = exec(db, "PRAGMA foreign_keys=OFF");
    if (rc == SQLITE_OK) {
      rc = exec(db, "BEGIN IMMEDIATE");
      if (rc) set_error(&run, rc, begin_error(db, rc, eOp));
    }
  } else {
    rc = exec(db, "SAVEPOINT distmigrate");
  }
  if (rc) goto end;
  bOpen = 1;
  pConn->bFkWas = bFkWas;
  pConn->bRunVerbose = run.bVerbose;

  /* Inside a caller's transaction, take the write lock before reading the
  ** version, as BEGIN IMMEDIATE does: a write that changes nothing (or the
  ** version table, which is needed anyway). */
  int bVersionTable = 0;
  rc = table_exists(db, "alembic_version", &bVersionTable);
  if (rc == SQLITE_OK && bCallerTxn && !sqlite3_db_readonly(db, "main")) {
    rc = exec(db, bVersionTable ? "DELETE FROM main.alembic_version WHERE 0"
                                : DM_VERSION_TABLE_SQL);
    if (rc) {
      set_error(&run, rc, begin_error(db, rc, eOp));
      goto end;
    }
    bVersionTable = 1;
  }
  if (rc) goto end;

  rc = dm_read_version(db, &nRow, &azRow, &run.zErr);
  if (rc) goto end;
  if (eOp == DM_OP_STAMP && bPurge) {
    /* Whatever is there goes, known or not: applied is empty. */
    if (nRow > 0) rc = exec(db, "DELETE FROM main.alembic_version");
    zBefore = dm_join_strings(nRow, (const char *const *)azRow);
    if (rc) goto end;
  } else {
    rc = dm_applied_from_rows(pSet, nRow, (const char *const *)azRow, aApplied,
                              &run.zErr);
    if (rc) goto end;
    zBefore = dm_describe(pSet, aApplied, "");
  }
  if (!zBefore) {
    rc = SQLITE_NOMEM;
    goto end;
  }

  rc = dm_resolve(pSet, aApplied, eOp, zTarget, aTarget, &run.zErr);
  if (rc) goto end;

  /* Anything to write? A read-only database may still be at its target. */
  if (eOp == DM_OP_STAMP) {
    rc = SQLITE_OK;
  } else {
    rc = dm_plan(pSet, aApplied, aTarget, &plan);
    if (rc) goto end;
  }
  if (eOp == DM_OP_STAMP || plan.nStep > 0 || !bVersionTable) {
    if (sqlite3_db_readonly(db, "main") == 1) {
      rc = set_error(&run, SQLITE_READONLY, begin_error(db, SQLITE_READONLY, eOp));
      goto end;
    }
    if (!bVersionTable) {
      rc = exec(db, DM_VERSION_TABLE_SQL);
      if (rc) goto end;
    }
  }

  memcpy(aCur, aApplied, (size_t)n);
  bStarted = 1;
  if (eOp == DM_OP_STAMP) {
    sqlite3_int64 iStart = now_julian_ms();
    rc = write_version(&run, aApplied, aTarget);
    if (rc == SQLITE_OK) {
      char *zTo = dm_describe(pSet, aTarget, "");
      rc = zTo ? write_log(&run, 0, "stamp", zBefore[0] ? zBefore : 0,
                           zTo[0] ? zTo : 0, 0, iStart, 0.0)
               : SQLITE_NOMEM;
      sqlite3_free(zTo);
    }
    if (rc) goto end;
    memcpy(aCur, aTarget, (size_t)n);
  } else {
    for (int i = 0; rc == SQLITE_OK && i < plan.nStep; i++) {
      rc = run_step(&run, &plan.aStep[i], aCur, aNext);
    }
    if (rc) goto end;
  }

  if (bFkWas && run.bWrote) {
    rc = check_foreign_keys(&run);
    if (rc) goto end;
  } else if (bFkWas && run.bVerbose && plan.nStep > 0) {
    fprintf(stderr, "INFO  [distmigrate] no whole-database foreign_key_check: "
                    "the migrations changed tables only through "
                    "migrate_alter_table(), which checked what it changed\n");
  }
  *pzResult = dm_describe(pSet, aCur, "");
  if (!*pzResult) {
    rc = SQLITE_NOMEM;
    goto end;
  }
  if ((*pzResult)[0] == 0) {
    sqlite3_free(*pzResult);
    *pzResult = 0;
  }
  rc = exec(db, bCallerTxn ? "RELEASE distmigrate" : "COMMIT");
  if (rc == SQLITE_OK) {
    bOpen = 0;
  } else {
    set_error(&run, rc, sqlite3_mprintf("cannot commit the run: %s", sqlite3_errmsg(db)));
    sqlite3_free(*pzResult);
    *pzResult = 0;
  }

end:
  if (rc && !run.zErr) {
    set_error(&run, rc, sqlite3_mprintf("%s(): %s", op_name(eOp),
                                        rc == SQLITE_NOMEM ? "out of memory"
                                                           : sqlite3_errmsg(db)));
  }
  if (bOpen) {
    /* An I/O error or OOM may already have rolled the transaction back. */
    if (!sqlite3_get_autocommit(db)) {
      if (bCallerTxn) {
        exec(db, "ROLLBACK TO distmigrate");
        exec(db, "RELEASE distmigrate");
      } else {
        exec(db, "ROLLBACK");
      }
    } else if (bCallerTxn && run.zErr) {
      char *z = sqlite3_mprintf(
          "%s\n  SQLite rolled back the caller's whole transaction on this "
          "error, not only the migration", run.zErr);
      if (z) {
        sqlite3_free(run.zErr);
        run.zErr = z;
      }
    }
    if (run.zErr && zBefore && bStarted) {
      char *z = sqlite3_mprintf(
          "%s\n  the run was rolled back: the database is still at %s",
          run.zErr, zBefore[0] ? zBefore : "base");
      if (z) {
        sqlite3_free(run.zErr);
        run.zErr = z;
      }
    }
  }
  if (bFkWas) exec(db, "PRAGMA foreign_keys=ON");
  pConn->bRunning = 0;
  pConn->bFkWas = 0;
  pConn->bRunVerbose = 0;
  dm_plan_clear(&plan);
  sqlite3_free(aAll);
  sqlite3_free(azRow);
  sqlite3_free(zBefore);
  if (rc) {
    *pzErr = run.zErr;
  } else {
    sqlite3_free(run.zErr);
  }
  return rc;
}
