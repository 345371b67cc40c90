/*
** The eponymous virtual tables over the compiled-in revision graph.
*/
#ifndef DM_HISTORY_VTAB_H
#define DM_HISTORY_VTAB_H

#include "sqlite3ext.h"

/* migration_history: one row per compiled-in revision. pAux: a DmSet. */
extern const sqlite3_module dm_history_module;

#endif
