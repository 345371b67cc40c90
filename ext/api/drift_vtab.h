/*
** migration_drift (drift_vtab.c): what migrate_check() reports, as rows.
*/
#ifndef DM_DRIFT_VTAB_H
#define DM_DRIFT_VTAB_H

#include "sqlite3ext.h"

/* migration_drift: migrate_check()'s differences, one row each. */
extern const sqlite3_module dm_drift_module;

#endif
