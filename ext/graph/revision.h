/*
** The compiled-in revision graph: lookup, heads, target resolution, plans.
**
** It knows nothing of database connections: the runner hands it the rows of
** alembic_version and gets back a plan and the rows to write. Sets of
** revisions are arrays of nRev flags (DmFlags), indexed like DmSet.aRev.
** Memory comes from sqlite3_malloc64() so that tests can fail allocations.
*/
#ifndef DM_REVISION_H
#define DM_REVISION_H

#include "graph/migrations.h"

typedef unsigned char DmFlags;

/* What a run does with its target. */
typedef enum DmOp { DM_OP_UPGRADE, DM_OP_DOWNGRADE, DM_OP_STAMP } DmOp;

typedef struct DmStep DmStep;
struct DmStep {
  int iRev;      /* Index into DmSet.aRev */
  int bUp;       /* 1: run zUp, 0: run zDown */
};

typedef struct DmPlan DmPlan;
struct DmPlan {
  int nStep;
  DmStep *aStep;   /* sqlite3_malloc64()ed; dm_plan_clear() frees it */
};

/* One change to alembic_version: iOld -> iNew; -1 on either side means
** INSERT (no old row) or DELETE (no new row). */
typedef struct DmRowChange DmRowChange;
struct DmRowChange {
  int iOld;
  int iNew;
};

/* The most steps a relative target (+N, -N) or a step count may ask for. */
#define DM_MAX_STEPS 1000000

/*
** "zWhat asks for more steps than the limit ..., and this build's migration
** set has only N revisions; to go all the way down (bDown) or up, use
** zAllTheWay". sqlite3_malloc'd; 0 on OOM.
*/
char *dm_too_many_steps(const DmSet *pSet, const char *zWhat, int bDown,
                        const char *zAllTheWay);

/* Index of the revision whose id is exactly zId[0..nId), or -1. */
int dm_find(const DmSet *pSet, const char *zId, int nId);

/* Index of the revision that declares branch label zLabel[0..n), or -1. */
int dm_find_label(const DmSet *pSet, const char *zLabel, int n);

/*
** The branch labels that apply to iRev, as `alembic history` shows them:
** a label declared on a revision applies to it, to all its descendants
** and to its ancestors down to the preceding branch point. "a, b" in the
** order of the declaring revisions, "" if none; sqlite3_malloc'd, 0 on OOM.
*/
char *dm_branch_labels(const DmSet *pSet, int iRev);

/*
** The revisions an absolute target names, as Alembic's get_revisions()
** reads it: heads, head, base, an id, a unique prefix, a branch label,
** and the branch forms label@head, label@heads, label@base, REV@head,
** label@REV. Writes indexes into aPoint (room for nRev) and their number
** into *pnPoint (0 for base). Errors come back in *pzErr.
*/
int dm_points(const DmSet *pSet, const char *zTarget, int *aPoint, int *pnPoint,
              char **pzErr);

/*
** Heads of a set of revisions: members that no other member reaches.
** bDepends=0 follows "Revises:" only (Alembic's "heads" of the script
** directory); bDepends=1 also follows "Depends On:" (the rows Alembic keeps
** in alembic_version). aIn==0 means every revision. Writes indexes into
** aHead (room for nRev) in table order and returns how many.
*/
int dm_heads(const DmSet *pSet, const DmFlags *aIn, int bDepends, int *aHead);

/* Add every ancestor (through parents and dependencies) of a's members. */
void dm_close_down(const DmSet *pSet, DmFlags *a);

/*
** The applied set of a database from its alembic_version rows (a NULL
** version_num is a 0 entry). Fails with a message (sqlite3_malloc'd in
** *pzErr) that lists the rows and names what is wrong: a NULL row, a row
** naming a revision this build does not know, the same revision twice, or
** one row an ancestor of another; with the migrate_stamp() that repairs it.
*/
int dm_applied_from_rows(const DmSet *pSet, int nRow, const char *const *azRow,
                         DmFlags *aApplied, char **pzErr);

/* SQLITE_ERROR and dm_applied_from_rows()'s message if a row is NULL. */
int dm_check_null_rows(int nRow, const char *const *azRow, char **pzErr);

/*
** Resolve a target for an operation, given what is applied. On success
** fills aTarget with the set that is to be applied after the run. Errors
** (unknown or ambiguous revision, a relative step that leaves the graph, a
** target on the wrong side of the current revision) come back in *pzErr.
**
** As Alembic: an upgrade adds the target and everything it needs (parents
** and dependencies) and leaves other branches alone; a downgrade to REV
** removes what stands on REV's children (their descendants through parents
** and dependencies), so a dependency goes only after what depends on it; a
** stamp replaces the version rows that share a lineage with the target.
*/
int dm_resolve(const DmSet *pSet, const DmFlags *aApplied, DmOp eOp,
               const char *zTarget, DmFlags *aTarget, char **pzErr);

/* The steps from aApplied to aTarget, in the order they must run. */
int dm_plan(const DmSet *pSet, const DmFlags *aApplied, const DmFlags *aTarget,
            DmPlan *pPlan);
void dm_plan_clear(DmPlan *pPlan);

/*
** The changes to alembic_version that take the rows of aBefore to those of
** aAfter, as Alembic makes them: one row replaced by one is an UPDATE.
** aChange needs room for 2*nRev entries. Returns the number of changes.
*/
int dm_row_changes(const DmSet *pSet, const DmFlags *aBefore,
                   const DmFlags *aAfter, DmRowChange *aChange);

/*
** The same in a new array *paChange (sqlite3_free it). Returns the number of changes,
** or -1 when out of memory.
*/
int dm_row_changes_new(const DmSet *pSet, const DmFlags *aBefore, const DmFlags *aAfter,
                       DmRowChange **paChange);

/*
** Text naming a set by its version rows: "a, b", or zBase if empty.
** sqlite3_malloc'd; 0 on OOM.
*/
char *dm_describe(const DmSet *pSet, const DmFlags *a, const char *zBase);

/* The "from" side of a step as Alembic prints it: "a, b" or "". */
char *dm_parents_text(const DmSet *pSet, int iRev);

/* "a, b" from revision indexes or from strings (a 0 string is "NULL");
** "" if n==0, 0 on OOM. */
char *dm_join_ids(const DmSet *pSet, const int *aIdx, int n);
char *dm_join_strings(int n, const char *const *az);

/*
** Resolve zTarget from aFrom in the direction it lies: up if an upgrade
** reaches it, else down. *peOp says which. When neither does, the error is
** the upgrade's, or the downgrade's for a target that counts down ("-1",
** "REV-2").
*/
int dm_resolve_either(const DmSet *pSet, const DmFlags *aFrom, const char *zTarget,
                      DmOp *peOp, DmFlags *aTarget, char **pzErr);

#endif
