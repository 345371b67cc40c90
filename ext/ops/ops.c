/*
** Run options and strict mode (see ops.h). A rehearsal's report:
**
**   rehearsal, rolled back: the database is unchanged
**   upgrade <base> -> c1_items: 2 statements, 2 rows changed, 0 foreign key violations, 0.3 ms
**   upgrade c1_items -> c2_audit_trigger: 4 statements, 3 rows changed, 0 foreign key violations, 0.2 ms
**   a real run would leave the database at c2_audit_trigger
**
** "rows changed" counts rows inserted, updated or deleted, by triggers
** too (sqlite3_total_changes64). "foreign key violations" is what PRAGMA
** foreign_key_check finds after the step: enforcement is off during a run,
** so a step can leave orphans that only the final check (with the
** caller's foreign_keys=ON) would refuse. A step that fails ends the
** report, which then leads the error the real run would give.
*/
#include "ops/ops.h"

#include <string.h>
#include <time.h>

#include "ops/backup.h"
#include "ops/check.h"
#include "sqltext/sqltext.h"

SQLITE_EXTENSION_INIT3

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static const char *plural(sqlite3_int64 n) { return n == 1 ? "" : "s"; }

static int count_fk_violations(sqlite3 *db, int *pn) {
  sqlite3_stmt *pStmt = 0;
  *pn = 0;
  int rc = sqlite3_prepare_v2(db, "PRAGMA main.foreign_key_check", -1, &pStmt, 0);
  while (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) (*pn)++;
  if (rc == SQLITE_OK) return sqlite3_finalize(pStmt);
  sqlite3_finalize(pStmt);
  return rc;
}

/* Strict mode: the database must pass migrate_check() before anything runs. */
static int refuse_if_drifted(DmOps *p, const DmEvent *pEv, char **pzErr) {
  DmDiffList list;
  int rc = dm_check(pEv->db, pEv->pSet, pEv->aApplied, &list, pzErr);
  if (rc) return rc;
  if (list.n > 0) {
    char *zLines = dm_diff_lines(&list);
    *pzErr = sqlite3_mprintf(
        "%s(): strict mode: the database does not match its migrations at %s, "
        "so nothing was run:\n%s\n  fix the database (see SELECT * FROM "
        "migration_drift), or turn strict mode off with SELECT "
        "migrate_strict(0)",
        p->zFunc, list.zVersion, zLines ? zLines : "");
    sqlite3_free(zLines);
    rc = SQLITE_CONSTRAINT;
  }
  dm_diff_clear(&list);
  return rc;
}

/*
** Run the repair script's statements in order, inside the run. After each,
** the run's undo is compiled again, as the runner does after a migration's
** statements: a DROP or CREATE INDEX expires it, and an interrupt must
** still find an undo that needs no compiling.
*/
static int run_script(DmOps *p, const DmEvent *pEv, const char *zScript, char **pzErr) {
  sqlite3 *db = pEv->db;
  const char *z = zScript;
  int rc = SQLITE_OK;
  while (rc == SQLITE_OK && z && *z) {
    sqlite3_stmt *pStmt = 0;
    const char *zTail = 0;
    rc = sqlite3_prepare_v2(db, z, -1, &pStmt, &zTail);
    if (rc == SQLITE_OK && pStmt) {
      while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
      }
      if (rc == SQLITE_DONE) rc = SQLITE_OK;
      if (rc == SQLITE_OK) {
        p->nRepaired++;
        dm_undo_arm(db, pEv->pConn);
      }
    }
    if (rc && rc != SQLITE_NOMEM) {
      const char *zStart = dm_sql_skip_empty(z);
      char *zLine = dm_sql_excerpt(zStart, zTail ? zTail : zStart + strlen(zStart), 160);
      *pzErr = sqlite3_mprintf("migrate_repair(): %s\n  at: %s\n  the repair runs in one "
                               "transaction: it was rolled back, the database is as it was",
                               sqlite3_errmsg(db), zLine ? zLine : "");
      sqlite3_free(zLine);
    }
    sqlite3_finalize(pStmt);
    z = zTail;
  }
  return rc;
}

/*
** migrate_repair(): under the write lock, the script that brings the schema
** back to the migrations at the database's revision, run; then the check
** again, which must find nothing (a repair that did not repair fails).
*/
static int repair(DmOps *p, const DmEvent *pEv, char **pzErr) {
  DmDiffList list;
  char *zScript = 0;
  int rc = dm_check_ex(pEv->db, pEv->pSet, pEv->aApplied, &list, &zScript, pzErr);
  if (rc == SQLITE_OK) {
    p->zRepairAt = sqlite3_mprintf("%s", list.zVersion);
    if (!p->zRepairAt) rc = SQLITE_NOMEM;
  }
  /* The run stamps the version read before the lock: another migrator
  ** must not have moved it since. */
  if (rc == SQLITE_OK && p->zRepairExpect && strcmp(p->zRepairExpect, list.zVersion) != 0) {
    *pzErr = sqlite3_mprintf("migrate_repair(): the database went from %s to %s while the "
                             "repair waited for the write lock; nothing was changed: call it "
                             "again",
                             p->zRepairExpect, list.zVersion);
    rc = SQLITE_BUSY;
  }
  dm_diff_clear(&list);
  if (rc == SQLITE_OK) rc = run_script(p, pEv, zScript, pzErr);
  sqlite3_free(zScript);
  if (rc == SQLITE_OK && p->nRepaired > 0) {
    rc = dm_check_ex(pEv->db, pEv->pSet, pEv->aApplied, &list, 0, pzErr);
    int nLeft = 0;
    for (int i = 0; rc == SQLITE_OK && i < list.n; i++) {
      nLeft += strcmp(list.a[i].zKind, "migration") != 0;
    }
    if (rc == SQLITE_OK && nLeft > 0) {
      char *zLines = dm_diff_lines(&list);
      *pzErr = sqlite3_mprintf("migrate_repair(): after the repair the schema still differs "
                               "from the migrations, so nothing was changed:\n%s",
                               zLines ? zLines : "");
      sqlite3_free(zLines);
      rc = SQLITE_ERROR;
    }
    dm_diff_clear(&list);
  }
  return rc;
}

static int ops_event(void *pArg, const DmEvent *pEv, char **pzErr) {
  DmOps *p = pArg;
  int rc = SQLITE_OK;
  switch (pEv->eType) {
    case DM_EVENT_START:
      if (p->bStrict) rc = refuse_if_drifted(p, pEv, pzErr);
      if (rc == SQLITE_OK && p->bRepair) rc = repair(p, pEv, pzErr);
      if (rc == SQLITE_OK && p->zBackup) {
        char *zWhy = 0;
        rc = dm_backup(pEv->db, p->zBackup, 0, &zWhy);
        if (rc) {
          *pzErr = sqlite3_mprintf("%s(): no backup, so nothing was run: %s",
                                   p->zFunc, zWhy ? zWhy : "out of memory");
        }
        sqlite3_free(zWhy);
      }
      if (rc == SQLITE_OK) p->bStarted = 1;
      break;
    case DM_EVENT_STEP:
      p->nStatement = 0;
      p->nChange = sqlite3_total_changes64(pEv->db);
      p->nChangeEnd = p->nChange;
      p->rStart = now_ms();
      break;
    case DM_EVENT_STATEMENT_DONE:
      if (pEv->rc == SQLITE_OK) p->nStatement++;
      p->nChangeEnd = sqlite3_total_changes64(pEv->db);
      break;
    case DM_EVENT_STEP_DONE: {
      if (!p->pReport) break;
      double rMs = now_ms() - p->rStart;
      if (pEv->rc) {
        sqlite3_str_appendf(p->pReport, "%s: failed after %d statement%s, %.1f ms\n",
                            pEv->zTitle, p->nStatement, plural(p->nStatement), rMs);
        break;
      }
      /* The step's SQL only, not the version and log rows after it. */
      sqlite3_int64 nChange = p->nChangeEnd - p->nChange;
      int nViolation = 0;
      rc = count_fk_violations(pEv->db, &nViolation);
      sqlite3_str_appendf(p->pReport,
                          "%s: %d statement%s, %lld row%s changed, %d foreign key "
                          "violation%s, %.1f ms\n",
                          pEv->zTitle, p->nStatement, plural(p->nStatement), nChange,
                          plural(nChange), nViolation, plural(nViolation), rMs);
      break;
    }
    default:
      break;
  }
  return rc;
}

void dm_ops_init(DmOps *p, DmOp eOp, int bStrict, int bRehearse, const char *zBackup) {
  memset(p, 0, sizeof(*p));
  p->zFunc = eOp == DM_OP_UPGRADE ? "migrate_upgrade" : "migrate_downgrade";
  p->bStrict = eOp == DM_OP_UPGRADE && bStrict;
  p->run.xEvent = ops_event;
  p->run.pArg = p;
  p->run.bRehearse = bRehearse;
  if (bRehearse) p->pReport = sqlite3_str_new(0);
  p->zBackup = zBackup;
}

void dm_ops_init_repair(DmOps *p) {
  dm_ops_init(p, DM_OP_STAMP, 0, 0, 0);
  p->zFunc = "migrate_repair";
  p->bRepair = 1;
  p->run.zStampKind = "repair";
}

/* migrate_repair()'s result: what it did, at which revision. */
static void repair_finish(DmOps *p, int rc, char **pzResult) {
  if (rc == SQLITE_OK) {
    char *z = p->nRepaired == 0
                  ? sqlite3_mprintf("nothing to repair: the schema is what the migrations "
                                    "give at %s", p->zRepairAt ? p->zRepairAt : "base")
                  : sqlite3_mprintf("repaired: %d statement%s ran; the schema is what the "
                                    "migrations give at %s",
                                    p->nRepaired, plural(p->nRepaired),
                                    p->zRepairAt ? p->zRepairAt : "base");
    sqlite3_free(*pzResult);
    *pzResult = z;
  }
  sqlite3_free(p->zRepairAt);
  p->zRepairAt = 0;
}

void dm_ops_finish(DmOps *p, int rc, char **pzResult, char **pzErr) {
  if (p->bRepair) repair_finish(p, rc, pzResult);
  if (!p->pReport) return;
  char *zSteps = sqlite3_str_finish(p->pReport);
  p->pReport = 0;
  char *z = 0;
  if (rc == SQLITE_OK) {
    z = sqlite3_mprintf("rehearsal, rolled back: the database is unchanged\n%s"
                        "a real run would leave the database at %s",
                        zSteps ? zSteps : "", *pzResult ? *pzResult : "base");
    sqlite3_free(*pzResult);
    *pzResult = z;
  } else if (p->bStarted && *pzErr) {
    z = sqlite3_mprintf("rehearsal, rolled back: the database is unchanged\n%s"
                        "a real run would fail: %s",
                        zSteps ? zSteps : "", *pzErr);
    sqlite3_free(*pzErr);
    *pzErr = z;
  }
  sqlite3_free(zSteps);
}
