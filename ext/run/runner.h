/*
** Runs a plan inside the host connection: the transaction or savepoint, the
** write lock, foreign-key enforcement, the version table and the audit log.
** It takes the target as the caller gave it and leaves its meaning to the
** revision graph.
*/
#ifndef DM_RUNNER_H
#define DM_RUNNER_H

#include "graph/revision.h"
#include "run/bookkeeping.h"
#include "sqlite3ext.h"

/* Verbose mode's lines and progress (progress.h) */
typedef struct DmProgress DmProgress;

/* Per-connection state, shared by the functions registered on it. */
typedef struct DmConn DmConn;
struct DmConn {
  int nRef;        /* Registrations holding this struct */
  int bRunning;    /* A run is in progress on this connection */
  int bVerbose;    /* Print Alembic-style progress lines to stderr */
  int eLeftOpen;   /* What a run that ran out of memory left open (runner.c) */
  sqlite3_int64 nChangesLeft;   /* sqlite3_total_changes64() at that moment */
  int bStrict;     /* migrate_upgrade refuses a database that fails migrate_check */
  /* Set by the runner for the length of a run, for migrate_alter_table(): */
  int bFkWas;      /* The caller had foreign keys on: the run checks them */
  int bRunVerbose; /* This run prints progress lines */
  DmProgress *pProgress; /* ... through this (0 when it does not) */
  sqlite3_stmt *pUndo;  /* A write that changes nothing, compiled against the
                        ** current schema: the run's undo after an interrupt
                        ** (dm_undo_arm) */
};

/* ---- Hooks: what a run tells an observer (ops/ops.c, run/progress.c) ---- */

typedef enum DmEventType {
  DM_EVENT_START,          /* Under the write lock, version read, plan made,
                           ** nothing written for it yet */
  DM_EVENT_STEP,           /* A step is about to run */
  DM_EVENT_STATEMENT,      /* One of its statements is prepared, not stepped */
  DM_EVENT_STATEMENT_DONE, /* ... and has run (rc) */
  DM_EVENT_STEP_DONE       /* The step, its version row and log row are done
                           ** (rc); follows every DM_EVENT_STEP */
} DmEventType;

typedef struct DmEvent DmEvent;
struct DmEvent {
  DmEventType eType;
  sqlite3 *db;
  DmConn *pConn;            /* The run's connection state (dm_undo_arm) */
  const DmSet *pSet;
  const DmFlags *aApplied;  /* START: applied when the run began */
  const DmPlan *pPlan;      /* START: the steps (none for a stamp) */
  const DmStep *pStep;      /* STEP..STEP_DONE */
  const char *zTitle;       /*   "upgrade a -> b", as messages name it */
  const char *zFrom;        /*   the version before and after ("" at base) */
  const char *zTo;
  const char *zSql;         /* STATEMENT*: its text, nSql bytes, as written */
  int nSql;
  sqlite3_stmt *pStmt;      /* STATEMENT*: the prepared statement */
  int rc;                   /* *_DONE: how it ended */
};

typedef struct DmRunOpts DmRunOpts;
struct DmRunOpts {
  int bRehearse;   /* Run the whole plan, then roll it all back */
  int bQuiet;      /* No verbose lines whatever the settings (replays) */
  const char *zStampKind; /* A stamp's direction in distmigrate_log ("stamp"
                          ** if 0; migrate_repair() writes "repair") */
  /* Called at each event; non-zero fails the run with *pzErr
  ** (sqlite3_malloc'd) as its message. */
  int (*xEvent)(void *pArg, const DmEvent *pEvent, char **pzErr);
  void *pArg;
};

/*
** Run eOp towards zTarget, with options (pOpts may be 0). On success
** *pzResult is the version afterwards ("a" or "a, b"; 0 at base),
** sqlite3_malloc'd; on a rehearsal, the version a real run would leave,
** and the database is as it was. On failure the database is as it was and
** *pzErr says why. bPurge (stamp only) replaces whatever rows
** alembic_version holds, known or not.
*/
int dm_run_ex(sqlite3 *db, DmConn *pConn, const DmSet *pSet, DmOp eOp,
              const char *zTarget, int bPurge, const DmRunOpts *pOpts,
              char **pzResult, char **pzErr);

/*
** Compile the run's undo anew against the schema as it is now. Call it after
** every statement that changed the schema or ran CREATE INDEX (SQLite then
** expires compiled statements, and one that must be compiled again cannot be
** while an interrupt is pending). Inside a run only; a no-op outside.
*/
void dm_undo_arm(sqlite3 *db, DmConn *pConn);

/*
** *pbAlone is 1 if the function being called is the whole of the statement
** that calls it (SELECT f(...)), as a function with side effects must be; 0
** if it runs inside a statement that reads or writes tables (a CHECK
** constraint among them) or while another statement is running.
*/
int dm_called_alone(sqlite3 *db, int *pbAlone);

/*
** The rows of alembic_version (none if the table does not exist), in a
** single sqlite3_malloc'd block: free *pazRow with sqlite3_free(). A NULL
** version_num is a 0 entry.
*/
int dm_read_version(sqlite3 *db, int *pnRow, char ***pazRow, char **pzErr);

#endif
