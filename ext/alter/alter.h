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

/* ---- alter_func.c --------------------------------------------------------- */

/*
** migrate_alter_table('CREATE TABLE ...'[, '{"new": "expression"}']), from
** a migration's SQL: returns the strategy that ran. User data: the DmConn.
*/
void dm_alter_table_func(sqlite3_context *ctx, int argc, sqlite3_value **argv);

/*
** distmigrate_progress_row(): counts a row for the progress lines of the
** run on this connection (user data: the DmConn) and returns 0; see
** run/progress.h. Registered by api/ with migrate_alter_table().
*/
void dm_progress_row_func(sqlite3_context *ctx, int argc, sqlite3_value **argv);

/*
** migrate_alter_table() on db (a replay's private connection), with pConn
** as its state. From this call on pConn belongs to db: it is freed when db
** closes, or at once if the registration fails (*pzErr says why).
*/
int dm_alter_register(sqlite3 *db, DmConn *pConn, char **pzErr);

/* The wrong-argument-count error all functions give: "use zUsage". */
int dm_check_argc(sqlite3_context *ctx, const char *zUsage, int argc, int nMin,
                  int nMax);

/*
** An error result for rc and zErr (which it frees): out of memory as
** SQLite says it, otherwise the message, and the codes a caller may act
** on (BUSY, LOCKED, READONLY, FULL, IOERR, CONSTRAINT, MISUSE) kept.
*/
void dm_result_error(sqlite3_context *ctx, int rc, char *zErr);

#endif
