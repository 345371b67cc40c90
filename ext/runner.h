/*
** Runs a plan inside the host connection: the transaction or savepoint, the
** write lock, foreign-key enforcement, the version table and the audit log.
** It takes the target as the caller gave it and leaves its meaning to the
** revision graph.
*/
#ifndef DM_RUNNER_H
#define DM_RUNNER_H

#include "revision.h"
#include "sqlite3ext.h"

/* Per-connection state, shared by the functions registered on it. */
typedef struct DmConn DmConn;
struct DmConn {
  int nRef;        /* Registrations holding this struct */
  int bRunning;    /* A run is in progress on this connection */
  int bVerbose;    /* Print Alembic-style progress lines to stderr */
  int eLeftOpen;   /* What a run that ran out of memory left open (runner.c) */
  sqlite3_int64 nChangesLeft;   /* sqlite3_total_changes64() at that moment */
};

/* The bookkeeping tables, exactly as created. */
#define DM_VERSION_TABLE_SQL                                \
  "CREATE TABLE main.alembic_version (\n"                   \
  "\tversion_num VARCHAR(32) NOT NULL, \n"                  \
  "\tCONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n" \
  ")"

#define DM_LOG_TABLE "distmigrate_log"

/*
** Run eOp towards zTarget. On success *pzResult is the version afterwards
** ("a" or "a, b"; 0 at base), sqlite3_malloc'd. On failure the database is
** as it was and *pzErr says why. bPurge (stamp only) replaces whatever rows
** alembic_version holds, known or not.
*/
int dm_run(sqlite3 *db, DmConn *pConn, const DmSet *pSet, DmOp eOp,
           const char *zTarget, int bPurge, char **pzResult, char **pzErr);

/*
** *pbAlone is 1 if the function being called is the whole of the statement
** that calls it (SELECT f(...)), as a function with side effects must be; 0
** if it runs inside a statement that reads or writes tables (a CHECK
** constraint among them) or while another statement is running.
*/
int dm_called_alone(sqlite3 *db, int *pbAlone);

/*
** The rows of alembic_version (none if the table does not exist), in a
** single sqlite3_malloc'd block: free *pazRow with sqlite3_free().
*/
int dm_read_version(sqlite3 *db, int *pnRow, char ***pazRow, char **pzErr);

#endif
