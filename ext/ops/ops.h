/*
** What migrate_upgrade's and migrate_downgrade's optional arguments ask of
** a run, and strict mode:
**
**   migrate_upgrade('head', 'rehearse')           run it all, report, roll back
**   migrate_upgrade('head', 'backup', 'b.db')     back up under the run's lock
**   migrate_strict(1)                             refuse a database that fails
**                                                 migrate_check()
**
** Each becomes an observer of the run (DmRunOpts.xEvent); the runner knows
** none of them.
*/
#ifndef DM_OPS_H
#define DM_OPS_H

#include "run/runner.h"
#include "sqlite3ext.h"

typedef struct DmOps DmOps;
struct DmOps {
  DmRunOpts run;          /* For dm_run_ex() */
  const char *zFunc;      /* "migrate_upgrade", for messages */
  int bStrict;
  const char *zBackup;    /* Back up to this file before the first step */
  sqlite3_str *pReport;   /* Rehearsal: a line per step */
  int bStarted;           /* The run reached its first step (or would) */
  int nStatement;         /* The step running: statements run */
  sqlite3_int64 nChange;  /*   total_changes when it began */
  sqlite3_int64 nChangeEnd; /*  ... and after its last statement */
  double rStart;          /*   when it began, ms */
  int bRepair;            /* migrate_repair(): the repair script runs at the start */
  int nRepaired;          /*   its statements that ran */
  char *zRepairAt;        /*   the revision it repaired the schema to */
  const char *zRepairExpect; /* The version read before the lock ("base" if none) */
};

/*
** Ready *p for a run of eOp: bStrict is the connection's strict setting
** (it applies to upgrades only), bRehearse and zBackup (0: none) the
** options the caller asked for.
*/
void dm_ops_init(DmOps *p, DmOp eOp, int bStrict, int bRehearse, const char *zBackup);

/*
** Ready *p for migrate_repair(): a stamp to the version the database has,
** whose run first brings the schema back to what the migrations give at
** that version (migrate_check('sql')'s script, made under the write lock),
** then checks that it did. dm_ops_finish() turns the result into the line
** the function returns.
*/
void dm_ops_init_repair(DmOps *p);

/*
** After dm_run_ex(): a rehearsal's report becomes the result, or leads the
** error. Takes over *pzResult and *pzErr and frees what p holds.
*/
void dm_ops_finish(DmOps *p, int rc, char **pzResult, char **pzErr);

#endif
