/*
** migrate_alter_table(): from a migration's SQL, make a table look like a
** new CREATE TABLE statement, with the cheapest strategy that is correct
** (SQLite's own ALTER TABLE, the documented writable_schema edit, or the
** documented 12-step rebuild). See alter.c.
*/
#ifndef DM_ALTER_H
#define DM_ALTER_H

#include "run/runner.h"
#include "sqlite3ext.h"

/*
** Make the main database's table that zCreate names look like zCreate.
** zMap is 0 or a JSON object {"new column": "SQL expression over the old
** table's columns"}; an old column's bare name there is a rename.
**
** Runs only during a run (pConn->bRunning): the run is the transaction,
** and it has turned foreign-key enforcement off. On success *pzStrategy is
** what ran, static text: "unchanged", "alter table", "writable_schema" or
** "rebuild". On failure *pzErr says why; the caller's run rolls back.
*/
int dm_alter_table(sqlite3 *db, DmConn *pConn, const char *zCreate,
                   const char *zMap, const char **pzStrategy, char **pzErr);

#endif
