/*
** migrate_sql(): the script a run would execute, in the shape of Alembic's
** offline mode, for review or for the plain sqlite3 shell:
**
**   -- distmigrate offline script: upgrade <base> -> 002_add_invalid_responses
**   -- Apply with: sqlite3 -bail DATABASE < FILE ...
**
**   PRAGMA foreign_keys = OFF;
**
**   BEGIN;
**
**   CREATE TABLE IF NOT EXISTS main.alembic_version (...);
**   CREATE TABLE IF NOT EXISTS main.distmigrate_log (...);
**
**   -- Running upgrade  -> 001_initial_schema
**
**   INSERT INTO distmigrate_log (...) VALUES (...);      the step's audit row
**   CREATE TABLE questions (...);                         the step, as written
**   ...
**   INSERT INTO alembic_version (version_num) VALUES ('001_initial_schema');
**   UPDATE distmigrate_log SET duration_ms = ...;         its duration
**
**   COMMIT;
**
** How: the migrations are replayed into a private :memory: database up to
** the starting revision, and the run to the target is made there, for real,
** with an observer (DmRunOpts.xEvent) writing each statement down as it
** runs. A statement that calls into distmigrate (migrate_alter_table(), say)
** would not run in a plain shell, so what it executes is written instead,
** caught with sqlite3_trace_v2() while it runs, under a comment naming the
** call. Version rows are written as Alembic writes them.
*/
#include "offline.h"

#include <string.h>

#include "check.h"
#include "distmigrate.h"
#include "plan.h"
#include "runner.h"
#include "sqltext.h"

SQLITE_EXTENSION_INIT3

typedef struct Offline Offline;
struct Offline {
  const DmSet *pSet;
  DmOp eOp;
  int bFromBase;          /* Starts at base: create alembic_version */
  sqlite3_str *pOut;
  DmFlags *aCur;          /* The version as the script goes */
  DmFlags *aNext;
  sqlite3_stmt *pTop;     /* The migration statement running, or 0 */
  sqlite3_str *pNested;   /* What it executed, if it called a function */
  int nNested;
};

/* A PRAGMA that sets something ("PRAGMA x = y"): a nested one matters. */
static int sets_pragma(const char *zSql) {
  return zSql && sqlite3_strnicmp(zSql, "PRAGMA", 6) == 0 && strchr(zSql, '=') != 0;
}

/* Statements started while a migration statement runs, but not it. */
static int offline_trace(unsigned uMask, void *pCtx, void *pP, void *pX) {
  (void)uMask;
  Offline *p = pCtx;
  sqlite3_stmt *pStmt = pP;
  const char *zText = pX;
  if (!p->pTop || pStmt == p->pTop) return 0;
  if (zText && zText[0] == '-' && zText[1] == '-') return 0; /* a trigger's body */
  if (sqlite3_stmt_readonly(pStmt) && !sets_pragma(sqlite3_sql(pStmt))) return 0;
  char *z = sqlite3_expanded_sql(pStmt);
  if (z) {
    sqlite3_str_appendf(p->pNested, "%s;\n\n", z);
    p->nNested++;
  } else {
    sqlite3_str_appendall(p->pNested, "-- (out of memory)\n\n");
  }
  sqlite3_free(z);
  return 0;
}

/* The statement text as written, ending in one ";". */
static void write_statement(sqlite3_str *pOut, const char *z, int n) {
  while (n > 0 && (z[n - 1] == ' ' || z[n - 1] == '\t' || z[n - 1] == '\n' ||
                   z[n - 1] == '\r')) {
    n--;
  }
  sqlite3_str_append(pOut, z, n);
  sqlite3_str_appendall(pOut, n > 0 && z[n - 1] == ';' ? "\n\n" : ";\n\n");
}

/* alembic_version from aBefore to aAfter, in Alembic's own statements. */
static int write_version_rows(Offline *p, const DmFlags *aBefore, const DmFlags *aAfter) {
  const DmSet *pSet = p->pSet;
  DmRowChange *aChange = sqlite3_malloc64(sizeof(DmRowChange) * (sqlite3_uint64)(2 * pSet->nRev + 1));
  if (!aChange) return SQLITE_NOMEM;
  int nChange = dm_row_changes(pSet, aBefore, aAfter, aChange);
  for (int i = 0; i < nChange; i++) {
    const char *zOld = aChange[i].iOld >= 0 ? pSet->aRev[aChange[i].iOld].zId : 0;
    const char *zNew = aChange[i].iNew >= 0 ? pSet->aRev[aChange[i].iNew].zId : 0;
    if (zOld && zNew) {
      sqlite3_str_appendf(p->pOut,
                          "UPDATE alembic_version SET version_num=%Q WHERE "
                          "alembic_version.version_num = %Q;\n\n",
                          zNew, zOld);
    } else if (zNew) {
      sqlite3_str_appendf(p->pOut,
                          "INSERT INTO alembic_version (version_num) VALUES (%Q);\n\n",
                          zNew);
    } else {
      sqlite3_str_appendf(p->pOut,
                          "DELETE FROM alembic_version WHERE "
                          "alembic_version.version_num = %Q;\n\n",
                          zOld);
    }
  }
  sqlite3_free(aChange);
  return nChange < 0 ? SQLITE_NOMEM : SQLITE_OK;
}

static int offline_event(void *pArg, const DmEvent *pEv, char **pzErr) {
  (void)pzErr;
  Offline *p = pArg;
  const DmSet *pSet = p->pSet;
  sqlite3_str *pOut = p->pOut;
  switch (pEv->eType) {
    case DM_EVENT_START: {
      /* Where the script ends: the plan applied to where it starts. */
      memcpy(p->aNext, p->aCur, (size_t)pSet->nRev);
      for (int i = 0; i < pEv->pPlan->nStep; i++) {
        p->aNext[pEv->pPlan->aStep[i].iRev] = (DmFlags)pEv->pPlan->aStep[i].bUp;
      }
      char *zFrom = dm_describe(pSet, p->aCur, "<base>");
      char *zTo = dm_describe(pSet, p->aNext, "<base>");
      if (!zFrom || !zTo) {
        sqlite3_free(zFrom);
        sqlite3_free(zTo);
        return SQLITE_NOMEM;
      }
      sqlite3_str_appendf(
          pOut,
          "-- distmigrate offline script: %s %s -> %s\n"
          "-- Apply with: sqlite3 -bail DATABASE < FILE (-bail stops at the "
          "first error; the open transaction is then rolled back)\n\n"
          "PRAGMA foreign_keys = OFF;\n\n"
          "BEGIN;\n\n",
          p->eOp == DM_OP_UPGRADE ? "upgrade" : "downgrade", zFrom, zTo);
      sqlite3_free(zFrom);
      sqlite3_free(zTo);
      if (p->bFromBase) {
        sqlite3_str_appendf(pOut, "CREATE TABLE IF NOT EXISTS%s;\n\n",
                            DM_VERSION_TABLE_SQL + strlen("CREATE TABLE"));
      }
      if (pEv->pPlan->nStep > 0) sqlite3_str_appendf(pOut, "%s;\n\n", DM_LOG_TABLE_SQL);
      break;
    }
    case DM_EVENT_STEP: {
      const DmRevision *pRev = &pSet->aRev[pEv->pStep->iRev];
      char *zParents = dm_parents_text(pSet, pEv->pStep->iRev);
      if (!zParents) return SQLITE_NOMEM;
      if (pEv->pStep->bUp) {
        sqlite3_str_appendf(pOut, "-- Running upgrade %s -> %s\n\n", zParents, pRev->zId);
      } else {
        sqlite3_str_appendf(pOut, "-- Running downgrade %s -> %s\n\n", pRev->zId, zParents);
      }
      sqlite3_free(zParents);
      sqlite3_str_appendf(
          pOut,
          "INSERT INTO " DM_LOG_TABLE " (revision, direction, from_version, "
          "to_version, checksum, started_at, duration_ms) VALUES (%Q, %Q, %Q, "
          "%Q, %Q, strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now'), 0);\n\n",
          pRev->zId, pEv->pStep->bUp ? "upgrade" : "downgrade",
          pEv->zFrom[0] ? pEv->zFrom : 0, pEv->zTo[0] ? pEv->zTo : 0,
          pRev->zChecksum);
      break;
    }
    case DM_EVENT_STATEMENT:
      p->pTop = pEv->pStmt;
      p->nNested = 0;
      sqlite3_free(sqlite3_str_finish(p->pNested));
      p->pNested = sqlite3_str_new(0);
      break;
    case DM_EVENT_STATEMENT_DONE:
      p->pTop = 0;
      if (pEv->rc) break;
      if (p->nNested > 0) {
        char *zCall = dm_sql_line(pEv->zSql, pEv->nSql, 0);
        if (!zCall) return SQLITE_NOMEM;
        sqlite3_str_appendf(pOut, "-- %s runs:\n\n", zCall);
        sqlite3_free(zCall);
        char *zNested = sqlite3_str_finish(p->pNested);
        p->pNested = 0;
        if (!zNested) return SQLITE_NOMEM;
        sqlite3_str_appendall(pOut, zNested);
        sqlite3_free(zNested);
      } else {
        write_statement(pOut, pEv->zSql, pEv->nSql);
      }
      break;
    case DM_EVENT_STEP_DONE: {
      if (pEv->rc) break;
      memcpy(p->aNext, p->aCur, (size_t)pSet->nRev);
      p->aNext[pEv->pStep->iRev] = (DmFlags)pEv->pStep->bUp;
      int rc = write_version_rows(p, p->aCur, p->aNext);
      if (rc) return rc;
      memcpy(p->aCur, p->aNext, (size_t)pSet->nRev);
      sqlite3_str_appendall(
          pOut,
          "UPDATE " DM_LOG_TABLE " SET duration_ms = round((julianday('now') - "
          "julianday(started_at)) * 86400000.0, 3) WHERE id = (SELECT max(id) "
          "FROM " DM_LOG_TABLE ");\n\n");
      break;
    }
  }
  return sqlite3_str_errcode(pOut) ? SQLITE_NOMEM : SQLITE_OK;
}

int dm_offline_script(const DmSet *pSet, const DmFlags *aFrom, const char *zTarget,
                      char **pzScript, char **pzErr) {
  int n = pSet->nRev;
  sqlite3 *pMem = 0;
  DmConn *pConn = 0;
  char *zResult = 0;
  char *zRunErr = 0;
  Offline st;
  memset(&st, 0, sizeof(st));
  st.pSet = pSet;
  *pzScript = 0;
  DmFlags *aAll = sqlite3_malloc64((sqlite3_uint64)(3 * n + 3));
  if (!aAll) return SQLITE_NOMEM;
  st.aCur = aAll;
  st.aNext = aAll + n + 1;
  memcpy(st.aCur, aFrom, (size_t)n);
  st.bFromBase = 1;
  for (int i = 0; i < n; i++) {
    if (aFrom[i]) st.bFromBase = 0;
  }

  /* Resolve first, so that a bad target is refused before any replay. */
  int rc = dm_resolve_either(pSet, aFrom, zTarget, &st.eOp, aAll + 2 * n + 2, pzErr);
  if (rc == SQLITE_OK) rc = dm_replay(pSet, aFrom, &pMem, &pConn, pzErr);
  if (rc == SQLITE_OK) {
    st.pOut = sqlite3_str_new(0);
    st.pNested = sqlite3_str_new(0);
    sqlite3_trace_v2(pMem, SQLITE_TRACE_STMT, offline_trace, &st);
    DmRunOpts opts;
    memset(&opts, 0, sizeof(opts));
    opts.bQuiet = 1;
    opts.xEvent = offline_event;
    opts.pArg = &st;
    rc = dm_replay_enter(&zRunErr);
    if (rc == SQLITE_OK) {
      rc = dm_run_ex(pMem, pConn, pSet, st.eOp, zTarget, 0, &opts, &zResult, &zRunErr);
      dm_replay_leave();
    }
    if (rc && rc != SQLITE_NOMEM) {
      *pzErr = sqlite3_mprintf(
          "migrate_sql(): the migrations fail when replayed into an in-memory "
          "database, so there is no script to give: %s",
          zRunErr ? zRunErr : "out of memory");
    }
    sqlite3_str_appendall(st.pOut, "COMMIT;\n");
    if (rc == SQLITE_OK && sqlite3_str_errcode(st.pOut)) rc = SQLITE_NOMEM;
    char *zScript = sqlite3_str_finish(st.pOut);
    if (rc == SQLITE_OK) {
      *pzScript = zScript;
    } else {
      sqlite3_free(zScript);
    }
    sqlite3_free(sqlite3_str_finish(st.pNested));
  }
  sqlite3_close(pMem);
  sqlite3_free(zResult);
  sqlite3_free(zRunErr);
  sqlite3_free(aAll);
  return rc;
}

static const char *text_arg(sqlite3_context *ctx, sqlite3_value *pArg) {
  if (sqlite3_value_type(pArg) == SQLITE_TEXT) return (const char *)sqlite3_value_text(pArg);
  sqlite3_result_error(ctx,
                       "migrate_sql(): give revisions as text, as in "
                       "migrate_sql('head') or migrate_sql('base', 'head')",
                       -1);
  return 0;
}

void dm_sql_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  if (!dm_check_argc(ctx, "migrate_sql('head') or migrate_sql('base', 'head')", argc,
                     1, 2)) {
    return;
  }
  const char *zTarget = text_arg(ctx, argv[argc - 1]);
  const char *zFrom = argc == 2 ? text_arg(ctx, argv[0]) : "";
  if (!zTarget || !zFrom) return;
  const DmSet *pSet = &dm_set;
  int nRow = 0;
  char **azRow = 0;
  char *zErr = 0;
  char *zScript = 0;
  DmFlags *aAll = sqlite3_malloc64((sqlite3_uint64)(2 * pSet->nRev + 2));
  DmFlags *aFrom = aAll;
  int rc = aAll ? SQLITE_OK : SQLITE_NOMEM;
  if (rc == SQLITE_OK && argc == 1) {
    /* From where this database is. */
    rc = dm_read_version(sqlite3_context_db_handle(ctx), &nRow, &azRow, &zErr);
    if (rc == SQLITE_OK) {
      rc = dm_applied_from_rows(pSet, nRow, (const char *const *)azRow, aFrom, &zErr);
    }
  } else if (rc == SQLITE_OK) {
    /* From a named revision: what stamping it would say is applied. */
    DmFlags *aNone = aAll + pSet->nRev + 1;
    memset(aNone, 0, (size_t)pSet->nRev);
    rc = dm_resolve(pSet, aNone, DM_OP_STAMP, zFrom, aFrom, &zErr);
  }
  if (rc == SQLITE_OK) rc = dm_offline_script(pSet, aFrom, zTarget, &zScript, &zErr);
  if (rc == SQLITE_OK) {
    sqlite3_result_text(ctx, zScript, -1, sqlite3_free);
  } else if (zErr && rc != SQLITE_NOMEM) {
    sqlite3_result_error(ctx, zErr, -1);
  } else {
    sqlite3_result_error_nomem(ctx);
  }
  sqlite3_free(zErr);
  sqlite3_free(azRow);
  sqlite3_free(aAll);
}
