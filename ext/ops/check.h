/*
** Does the database match its migrations? Two questions:
**
**   checksums  Was a migration that this database applied edited since?
**              (distmigrate_log keeps the checksum each step ran with.)
**   drift      Is the live schema the one the compiled migrations produce
**              at the database's revision? They are replayed into a
**              private :memory: database and the two schemas compared
**              as models (schema/model.h): what they mean, not how
**              they are written.
**
** The answers are a list of differences, each one line a person reads:
**
**   questions.foo: in the database, not in the migrations
**   index idx_questions_category: in the migrations, not in the database
*/
#ifndef DM_CHECK_H
#define DM_CHECK_H

#include "graph/revision.h"
#include "run/runner.h"
#include "sqlite3ext.h"

typedef struct DmDiff DmDiff;
struct DmDiff {
  char *zKind;      /* table, view, index, trigger, or migration */
  char *zName;      /* The object or the revision */
  char *zWhat;      /* The whole line a person reads: "questions.foo: in the
                    ** database, not in the migrations" */
  char *zExpected;  /* What the migrations give (the object's CREATE, one
                    ** line; a migration's checksum); 0 if nothing */
  char *zActual;    /* What the database has, the same way; 0 if nothing */
};

typedef struct DmDiffList DmDiffList;
struct DmDiffList {
  int n;
  DmDiff *a;
  char *zVersion;   /* The revision compared at ("base" if none) */
};

/*
** Compare the main database of db with pSet at the revision aApplied
** names, or (aApplied==0) at the revision its alembic_version names.
** Fills *pList (dm_diff_clear() frees it); an empty list means it matches.
** Errors (an unknown version, a migration that cannot be replayed) come
** back in *pzErr.
*/
int dm_check(sqlite3 *db, const DmSet *pSet, const DmFlags *aApplied,
             DmDiffList *pList, char **pzErr);
void dm_diff_clear(DmDiffList *pList);

/*
** dm_check(), and with pzRepair the script that brings the schema back to
** what the migrations give: the diff from the database's model to the
** replay's (sqlite3_malloc'd; "" when the schemas agree). migrate_check('sql')
** returns it, migrate_repair() runs it.
*/
int dm_check_ex(sqlite3 *db, const DmSet *pSet, const DmFlags *aApplied,
                DmDiffList *pList, char **pzRepair, char **pzErr);

/*
** For a run that failed on a database with tables but no alembic_version
** row: which revision's schema it has (the migrations replayed to each and
** the models compared), as a sentence that says to stamp it; 0 if it has
** none of them, or has a version (sqlite3_malloc'd).
*/
char *dm_stamp_hint(sqlite3 *db, const DmSet *pSet);

/* The list as lines indented by two spaces, one per difference. */
char *dm_diff_lines(const DmDiffList *pList);

/* migration_drift's columns (api/drift_vtab.c, and the replay's stand-in). */
#define DM_DRIFT_SCHEMA \
  "CREATE TABLE x(kind TEXT, name TEXT, difference TEXT, expected TEXT, actual TEXT)"

#endif
