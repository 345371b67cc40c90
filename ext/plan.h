/*
** Plans for reading, not running: migration_plan('head') and the target
** resolution it shares with migrate_sql(), where the direction is not
** named by the function and follows from the target.
*/
#ifndef DM_PLAN_H
#define DM_PLAN_H

#include "revision.h"
#include "sqlite3ext.h"

/*
** Resolve zTarget from aFrom in the direction it lies: up if an upgrade
** reaches it, else down. *peOp says which. When neither does, the error is
** the upgrade's, or the downgrade's for a target that counts down ("-1",
** "REV-2").
*/
int dm_resolve_either(const DmSet *pSet, const DmFlags *aFrom, const char *zTarget,
                      DmOp *peOp, DmFlags *aTarget, char **pzErr);

/* migration_plan: the steps a run to the target would take. pAux: a DmSet. */
extern const sqlite3_module dm_plan_module;

#endif
