/*
** The replay: the compiled migrations run by the runner into a private
** :memory: database, to compare a schema with (check.c) or to catch the
** script a run would execute (offline.c).
*/
#ifndef DM_REPLAY_H
#define DM_REPLAY_H

#include "graph/revision.h"
#include "run/runner.h"
#include "sqlite3ext.h"

/*
** A private in-memory database at the revision aApplied names: the
** migrations replayed into it by the runner, as quietly as a real run.
** pConn (may be 0) is its per-connection state. Close it with
** sqlite3_close(), which frees *ppConn too.
**
** It has what a migration may call: migrate_alter_table() (alter/), and
** migrate_check(), migrate_sql() and migration_drift refused as a replay
** inside a replay (dm_replay_enter's error). Nothing else of distmigrate:
** the runner refuses a migration that calls its other functions anyway.
*/
int dm_replay(const DmSet *pSet, const DmFlags *aApplied, sqlite3 **ppDb,
              DmConn **ppConn, char **pzErr);

/*
** Around any run in a replay database. A migration whose SQL asks for a
** replay (migrate_check(), migrate_sql(), migration_drift) would replay
** itself without end; entering while this thread is inside a replay fails
** with SQLITE_MISUSE and a message. Each successful enter needs a leave.
*/
int dm_replay_enter(char **pzErr);
void dm_replay_leave(void);

#endif
