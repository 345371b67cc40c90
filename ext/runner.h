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
  /* Set by the runner for the length of a run, for migrate_alter_table(): */
  int bFkWas;      /* The caller had foreign keys on: the run checks them */
  int bRunVerbose; /* This run prints progress lines */
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
** The rows of alembic_version (none if the table does not exist), in a
** single sqlite3_malloc'd block: free *pazRow with sqlite3_free().
*/
int dm_read_version(sqlite3 *db, int *pnRow, char ***pazRow, char **pzErr);

#endif
