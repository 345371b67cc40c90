/*
** The diff's insides, shared by its files: diff.c (the plan: which
** objects match, the order of the steps), diff_table.c (one matched
** table's change: plain ALTER TABLE proven on a scratch copy, or
** migrate_alter_table()), diff_order.c (foreign-key order), diff_text.c
** (names, comments and statements as the script writes them).
*/
#ifndef DM_SCHEMA_DIFF_INT_H
#define DM_SCHEMA_DIFF_INT_H

#include "schema/diff.h"

/* A name and its "-- @renamed from=" hint, for matching two lists. */
typedef struct DiffName DiffName;
struct DiffName {
  const char *zName;
  const char *zHint;
};

typedef struct Diff Diff;
struct Diff {
  const DmSchema *pFrom;
  const DmSchema *pTo;
  int *aTableTo;    /* pFrom's table i is pTo's aTableTo[i], or -1: dropped */
  int *aTableFrom;  /* pTo's table i is pFrom's aTableFrom[i], or -1: new */
  int *aIndexTo;    /* The same for indexes */
  int *aIndexFrom;
  int **aaColFrom;  /* For a matched pTo table i: its column k was column
                    ** aaColFrom[i][k] of pFrom's table, or -1: new */
  sqlite3 *dbScratch; /* :memory:, where plain ALTER TABLE is proven, one
                      ** table at a time (opened on the first proof) */
  sqlite3_str *pOut;
  int rc;
  char *zErr;
};

/* ---- diff.c ---- */

/*
** Match two lists of names: aNewToOld[i] is the old entry new entry i was
** (by a hint on either side, then by name), or -1. SQLITE_OK or NOMEM.
*/
int dm_diff_match(const DiffName *aOld, int nOld, const DiffName *aNew, int nNew,
                  int *aNewToOld);

/* pFrom's table iFrom's column zCol under its name in pTo (itself if none). */
const char *dm_diff_new_column(Diff *d, int iFrom, const char *zCol);

/* The index of pFrom's table zName, or -1. */
int dm_diff_from_table(Diff *d, const char *zName);

/* A step's comment line ("-- " and the text), after a blank line if the
** script has begun. */
void dm_diff_comment(Diff *d, const char *zFormat, ...);

/* pFrom's table zName under its name in pTo (zName if it has none). */
const char *dm_diff_new_table(Diff *d, const char *zName);

/* ---- diff_table.c ---- */

/*
** The change of matched table pFrom->aTable[iFrom] into pTo->aTable[iTo]
** (renamed already, if it is) appended to d->pOut; nothing if it is the
** same. Sets d->rc on an error.
*/
void dm_diff_table(Diff *d, int iFrom, int iTo);

/* ---- diff_order.c ---- */

/*
** The tables of p in foreign-key order, parents first (a cycle is broken
** at the table that comes first by name): *paOrder, sqlite3_malloc'd, of
** p->nTable indexes. SQLITE_OK or SQLITE_NOMEM.
*/
int dm_diff_fk_order(const DmSchema *p, int **paOrder);

/* ---- diff_text.c ---- */

/* zName as the script writes it: bare if SQLite reads it so, else "quoted". */
void dm_diff_name(sqlite3_str *pOut, const char *zName);

/*
** zSql (n bytes; -1: to its end) without "-- @renamed from=" comments, the
** text otherwise as written, appended to pOut.
*/
void dm_diff_sql(sqlite3_str *pOut, const char *zSql, int n);

/* A statement's stored text, hints removed, then ";" and a new line. */
void dm_diff_statement(sqlite3_str *pOut, const char *zSql);

/*
** The text of p in *pz ("" when empty: sqlite3_str_finish() gives 0 then),
** sqlite3_malloc'd. SQLITE_OK, or SQLITE_NOMEM and *pz 0.
*/
int dm_diff_finish(sqlite3_str *p, char **pz);

/* Whether a DEFAULT expression is a constant as ADD COLUMN wants it. */
int dm_diff_default_is_constant(const char *zDefault);

/* Whether a DEFAULT expression is NULL (or there is none). */
int dm_diff_default_is_null(const char *zDefault);

/* SQLite's affinity of a declared type: "INTEGER", "TEXT", ... */
const char *dm_diff_affinity(const char *zType);

#endif
