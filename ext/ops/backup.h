/*
** Backup and restore of the main database with SQLite's online backup API.
*/
#ifndef DM_BACKUP_H
#define DM_BACKUP_H

#include "run/runner.h"
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

/*
** Replace the main database of db with the backup zPath (what
** migrate_restore() does), once it is checked: not from inside a run
** (pConn), outside any transaction and statement, a sound file that is
** not the database, with tables unless bAllowEmpty, a page size the
** database can take. The backup API copies it in one transaction, so a
** restore that fails leaves the database as it was. Errors, in a sentence
** naming the call, in *pzErr (none for out of memory).
*/
int dm_restore(sqlite3 *db, const DmConn *pConn, const char *zPath, int bAllowEmpty,
               char **pzErr);

#endif
