/*
** Where a run is: the replicated SQLite engines on which a run must be
** called in a certain way, or not at all, to reach every node.
*/
#ifndef DM_ENGINE_H
#define DM_ENGINE_H

#include "sqlite3ext.h"

/*
** Whether zFunc() may write main on db here, before it writes anything.
** SQLITE_OK, or SQLITE_MISUSE with *pzErr (sqlite3_malloc'd) saying why
** not and what to do instead (SQLITE_NOMEM if that cannot be said):
**
**   - a dqlite node (its VFS is dqlite's) replicates what the client
**     commits; a call outside an explicit transaction commits inside the
**     node, and the other nodes never see it: refused unless bCallerTxn;
**   - a libSQL server (sqld) replica runs a call here on its own copy,
**     which the primary's next frames then overwrite: always refused.
*/
int dm_engine_refusal(sqlite3 *db, const char *zFunc, int bCallerTxn, char **pzErr);

/*
** zErr (sqlite3_malloc'd, taken) for a run that failed with rc, with what
** to do about it on this engine. dqlite 1.11 cannot take the pages a
** transaction spills from SQLite's cache before it commits: the write
** fails with "disk I/O error". cache_spill cannot be turned off inside the
** caller's transaction (SQLite applies it to the pager only outside one),
** so on dqlite such a failure says to turn it off before BEGIN. 0 if out
** of memory.
*/
char *dm_engine_advice(sqlite3 *db, int rc, char *zErr);

#endif
