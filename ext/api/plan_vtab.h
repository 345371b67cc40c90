/*
** migration_plan('head'): a plan for reading, not running. The direction
** is not named by the table; it follows from the target (dm_resolve_either).
*/
#ifndef DM_PLAN_H
#define DM_PLAN_H

#include "graph/revision.h"
#include "sqlite3ext.h"

/* migration_plan: the steps a run to the target would take. pAux: a DmSet. */
extern const sqlite3_module dm_plan_module;

#endif
