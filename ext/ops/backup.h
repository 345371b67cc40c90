/*
** Backup and restore of the main database with SQLite's online backup API.
*/
#ifndef DM_BACKUP_H
#define DM_BACKUP_H

#include "sqlite3ext.h"

/*
** Copy the main database of db to the file zPath (a file name, or a file:
** URI), a consistent snapshot of what is committed, read back before it
** is called a copy. Never replaces an existing file unless bOverwrite;
** refuses a name that is no file, and the database itself.
** Works while db holds a write transaction that has not written yet (the
** form backup-then-migrate needs): the copy is then read through a second
** connection, which sees the committed state the lock keeps still.
** Errors, in a sentence naming the call, in *pzErr.
*/
int dm_backup(sqlite3 *db, const char *zPath, int bOverwrite, char **pzErr);

/* migrate_backup(path[, 'overwrite']): returns the path written. */
void dm_backup_func(sqlite3_context *ctx, int argc, sqlite3_value **argv);

/* migrate_restore(path[, 'allow-empty']): replaces the database with the
** backup, once it is checked (a sound file, not the database, with tables
** unless 'allow-empty', a page size the database can take); returns the
** version it is at afterwards. */
void dm_restore_func(sqlite3_context *ctx, int argc, sqlite3_value **argv);

#endif
