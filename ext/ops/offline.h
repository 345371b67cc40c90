/*
** Offline SQL: the script a run would execute, as text, in the shape of
** Alembic's offline mode (alembic upgrade --sql), for review or for the
** plain sqlite3 shell.
*/
#ifndef DM_OFFLINE_H
#define DM_OFFLINE_H

#include "graph/revision.h"
#include "sqlite3ext.h"

/*
** The script that takes a database at aFrom to zTarget (up or down, as the
** target lies). sqlite3_malloc'd in *pzScript; errors in *pzErr. db (may
** be 0) is the database it is for: what the migrations did not make but
** a helper's statements depend on (sqlite_stat1) is taken from it.
*/
int dm_offline_script(sqlite3 *db, const DmSet *pSet, const DmFlags *aFrom,
                      const char *zTarget, char **pzScript, char **pzErr);

/*
** What migrate_sql() gives: the script from the revision zFrom names (as
** stamping it would record it), or (zFrom==0) from the version db's
** alembic_version holds, to zTarget.
*/
int dm_offline_script_from(sqlite3 *db, const DmSet *pSet, const char *zFrom,
                           const char *zTarget, char **pzScript, char **pzErr);

#endif
