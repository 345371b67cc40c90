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

static int ops_event(void *pArg, const DmEvent *pEv, char **pzErr) {
  DmOps *p = pArg;
  int rc = SQLITE_OK;
  switch (pEv->eType) {
    case DM_EVENT_START:
      if (p->bStrict) rc = refuse_if_drifted(p, pEv, pzErr);
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

void dm_ops_finish(DmOps *p, int rc, char **pzResult, char **pzErr) {
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
