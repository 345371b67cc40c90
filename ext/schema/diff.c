/*
** dm_schema_diff(): the migration script from one schema model to another.
**
** The plan, in the order the script runs it:
**
**   1. drop the triggers, views and indexes that are gone or that change
**      (a change to one of them, or to what it uses, shows in its own
**      text: it is created again in step 6 from the desired schema);
**   2. drop the tables that are gone, children before parents;
**   3. rename the tables that a hint renames;
**   4. create the new tables, parents before children;
**   5. change each matched table that differs (diff_table.c);
**   6. create the new and changed indexes, views and triggers.
**
** Tables, columns and indexes match by name, or by a "-- @renamed from="
** hint on either side (the desired schema's for an up, the current one's
** for the down that reverses it).
*/
#include <stdarg.h>
#include <string.h>

#include "schema/diff_int.h"

SQLITE_EXTENSION_INIT3

/* ---- matching ---------------------------------------------------------- */

static int find_name(const DiffName *a, int n, const char *zName, const unsigned char *aSkip) {
  for (int i = 0; zName && i < n; i++) {
    if (!aSkip[i] && sqlite3_stricmp(a[i].zName, zName) == 0) return i;
  }
  return -1;
}

int dm_diff_match(const DiffName *aOld, int nOld, const DiffName *aNew, int nNew,
                  int *aNewToOld) {
  unsigned char *aUsed = sqlite3_malloc64((sqlite3_uint64)nOld + (sqlite3_uint64)nNew + 1);
  if (!aUsed) return SQLITE_NOMEM;
  unsigned char *aDone = aUsed + nOld;
  memset(aUsed, 0, (size_t)nOld + (size_t)nNew + 1);
  for (int i = 0; i < nNew; i++) aNewToOld[i] = -1;
  /* A hint in the new list: "I was called zHint". */
  for (int i = 0; i < nNew; i++) {
    int j = find_name(aOld, nOld, aNew[i].zHint, aUsed);
    if (j >= 0) aNewToOld[i] = j, aUsed[j] = aDone[i] = 1;
  }
  /* A hint in the old list (a reverse diff): "I am to be called zHint". */
  for (int j = 0; j < nOld; j++) {
    int i = aUsed[j] ? -1 : find_name(aNew, nNew, aOld[j].zHint, aDone);
    if (i >= 0) aNewToOld[i] = j, aUsed[j] = aDone[i] = 1;
  }
  for (int i = 0; i < nNew; i++) {
    int j = aDone[i] ? -1 : find_name(aOld, nOld, aNew[i].zName, aUsed);
    if (j >= 0) aNewToOld[i] = j, aUsed[j] = aDone[i] = 1;
  }
  sqlite3_free(aUsed);
  return SQLITE_OK;
}

static DiffName *table_names(const DmSchema *p) {
  DiffName *a = sqlite3_malloc64(sizeof(DiffName) * (sqlite3_uint64)(p->nTable + 1));
  for (int i = 0; a && i < p->nTable; i++) {
    a[i].zName = p->aTable[i].zName;
    a[i].zHint = p->aTable[i].zRenamedFrom;
  }
  return a;
}

static DiffName *column_names(const DmSchemaTable *t) {
  DiffName *a = sqlite3_malloc64(sizeof(DiffName) * (sqlite3_uint64)(t->nCol + 1));
  for (int i = 0; a && i < t->nCol; i++) {
    a[i].zName = t->aCol[i].zName;
    a[i].zHint = t->aCol[i].zRenamedFrom;
  }
  return a;
}

static DiffName *index_names(const DmSchema *p) {
  DiffName *a = sqlite3_malloc64(sizeof(DiffName) * (sqlite3_uint64)(p->nIndex + 1));
  for (int i = 0; a && i < p->nIndex; i++) {
    a[i].zName = p->aIndex[i].zName;
    a[i].zHint = p->aIndex[i].zRenamedFrom;
  }
  return a;
}

/* aNewToOld's inverse, in a new array of nOld. */
static int *inverse(const int *aNewToOld, int nNew, int nOld) {
  int *a = sqlite3_malloc64(sizeof(int) * (sqlite3_uint64)(nOld + 1));
  for (int j = 0; a && j < nOld; j++) a[j] = -1;
  for (int i = 0; a && i < nNew; i++) {
    if (aNewToOld[i] >= 0) a[aNewToOld[i]] = i;
  }
  return a;
}

/* Two lists matched: *paNewToOld and *paOldToNew. */
static int match_lists(DiffName *aOld, int nOld, DiffName *aNew, int nNew, int **paNewToOld,
                       int **paOldToNew) {
  int rc = SQLITE_NOMEM;
  int *aNewToOld = sqlite3_malloc64(sizeof(int) * (sqlite3_uint64)(nNew + 1));
  if (aOld && aNew && aNewToOld) rc = dm_diff_match(aOld, nOld, aNew, nNew, aNewToOld);
  if (rc == SQLITE_OK) {
    *paOldToNew = inverse(aNewToOld, nNew, nOld);
    if (!*paOldToNew) rc = SQLITE_NOMEM;
  }
  *paNewToOld = aNewToOld;
  sqlite3_free(aOld);
  sqlite3_free(aNew);
  return rc;
}

/* The columns of each matched table pair. */
static int match_columns(Diff *d) {
  int nTo = d->pTo->nTable;
  d->aaColFrom = sqlite3_malloc64(sizeof(int *) * (sqlite3_uint64)(nTo + 1));
  if (!d->aaColFrom) return SQLITE_NOMEM;
  memset(d->aaColFrom, 0, sizeof(int *) * (size_t)(nTo + 1));
  for (int i = 0; i < nTo; i++) {
    if (d->aTableFrom[i] < 0) continue;
    const DmSchemaTable *pOld = &d->pFrom->aTable[d->aTableFrom[i]];
    const DmSchemaTable *pNew = &d->pTo->aTable[i];
    int *aOldToNew = 0;
    int rc = match_lists(column_names(pOld), pOld->nCol, column_names(pNew), pNew->nCol,
                         &d->aaColFrom[i], &aOldToNew);
    sqlite3_free(aOldToNew);
    if (rc) return rc;
  }
  return SQLITE_OK;
}

static int match_all(Diff *d) {
  int rc = match_lists(table_names(d->pFrom), d->pFrom->nTable, table_names(d->pTo),
                       d->pTo->nTable, &d->aTableFrom, &d->aTableTo);
  if (rc == SQLITE_OK) {
    rc = match_lists(index_names(d->pFrom), d->pFrom->nIndex, index_names(d->pTo),
                     d->pTo->nIndex, &d->aIndexFrom, &d->aIndexTo);
  }
  if (rc == SQLITE_OK) rc = match_columns(d);
  return rc;
}

static int table_index(const DmSchema *p, const char *zName) {
  const DmSchemaTable *t = zName ? dm_schema_table(p, zName) : 0;
  return t ? (int)(t - p->aTable) : -1;
}

int dm_diff_from_table(Diff *d, const char *zName) {
  return table_index(d->pFrom, zName);
}

const char *dm_diff_new_table(Diff *d, const char *zName) {
  int iFrom = table_index(d->pFrom, zName);
  if (iFrom < 0 || d->aTableTo[iFrom] < 0) return zName;
  return d->pTo->aTable[d->aTableTo[iFrom]].zName;
}

const char *dm_diff_new_column(Diff *d, int iFrom, const char *zCol) {
  int iTo = iFrom < 0 ? -1 : d->aTableTo[iFrom];
  if (iTo < 0 || !zCol) return zCol;
  const DmSchemaTable *pOld = &d->pFrom->aTable[iFrom];
  const DmSchemaTable *pNew = &d->pTo->aTable[iTo];
  for (int k = 0; k < pNew->nCol; k++) {
    int j = d->aaColFrom[iTo][k];
    if (j >= 0 && sqlite3_stricmp(pOld->aCol[j].zName, zCol) == 0) return pNew->aCol[k].zName;
  }
  return zCol;
}

/* ---- the steps ----------------------------------------------------------- */

void dm_diff_comment(Diff *d, const char *zFormat, ...) {
  va_list ap;
  if (sqlite3_str_length(d->pOut)) sqlite3_str_appendchar(d->pOut, 1, '\n');
  sqlite3_str_appendall(d->pOut, "-- ");
  va_start(ap, zFormat);
  sqlite3_str_vappendf(d->pOut, zFormat, ap);
  va_end(ap);
  sqlite3_str_appendchar(d->pOut, 1, '\n');
}

static int table_dropped(Diff *d, const char *zTable) {
  int i = table_index(d->pFrom, zTable);
  return i >= 0 && d->aTableTo[i] < 0;
}

static int same_index_col(Diff *d, int iTable, const DmIndexCol *a, const DmIndexCol *b) {
  const char *zA = dm_diff_new_column(d, iTable, a->zName);
  if ((zA == 0) != (b->zName == 0) || (zA && sqlite3_stricmp(zA, b->zName))) return 0;
  if ((a->zExprNorm == 0) != (b->zExprNorm == 0)) return 0;
  if (a->zExprNorm && strcmp(a->zExprNorm, b->zExprNorm)) return 0;
  return sqlite3_stricmp(a->zCollate ? a->zCollate : "binary",
                         b->zCollate ? b->zCollate : "binary") == 0 &&
         a->bDesc == b->bDesc;
}

/*
** Whether pFrom's table iFrom renames its columns only to names it did not
** have (none in a chain or a swap): then RENAME COLUMN carries the renames
** into its indexes, in place or in migrate_alter_table(). Otherwise its
** indexes are compared as written, so that a renamed column makes them
** change (dropped before, created after).
*/
static int renames_are_plain(Diff *d, int iFrom) {
  int iTo = d->aTableTo[iFrom];
  if (iTo < 0) return 1;
  const DmSchemaTable *pOld = &d->pFrom->aTable[iFrom], *pNew = &d->pTo->aTable[iTo];
  for (int k = 0; k < pNew->nCol; k++) {
    int j = d->aaColFrom[iTo][k];
    if (j < 0 || sqlite3_stricmp(pOld->aCol[j].zName, pNew->aCol[k].zName) == 0) continue;
    if (dm_schema_column(pOld, pNew->aCol[k].zName) ||
        dm_schema_column(pNew, pOld->aCol[j].zName)) {
      return 0;
    }
  }
  return 1;
}

/* Index a of pFrom and b of pTo mean the same, renamed columns aside. */
static int same_index(Diff *d, const DmIndex *a, const DmIndex *b) {
  if (sqlite3_stricmp(a->zName, b->zName) != 0) return 0; /* No RENAME INDEX */
  if (sqlite3_stricmp(dm_diff_new_table(d, a->zTable), b->zTable) != 0) return 0;
  if (a->bUnique != b->bUnique || a->nCol != b->nCol) return 0;
  if ((a->zWhereNorm == 0) != (b->zWhereNorm == 0)) return 0;
  if (a->zWhereNorm && strcmp(a->zWhereNorm, b->zWhereNorm) != 0) return 0;
  int iTable = table_index(d->pFrom, a->zTable);
  if (iTable >= 0 && !renames_are_plain(d, iTable)) iTable = -1;
  for (int k = 0; k < a->nCol; k++) {
    if (!same_index_col(d, iTable, &a->aCol[k], &b->aCol[k])) return 0;
  }
  return 1;
}

static int index_changed(Diff *d, int iTo) {
  int iFrom = d->aIndexFrom[iTo];
  return iFrom < 0 || !same_index(d, &d->pFrom->aIndex[iFrom], &d->pTo->aIndex[iTo]);
}

/* The view or trigger of list b named like a, if its text is the same. */
static int object_kept(const DmSchemaObject *a, const DmSchemaObject *aTo, int nTo) {
  for (int i = 0; i < nTo; i++) {
    if (sqlite3_stricmp(a->zName, aTo[i].zName) == 0) return strcmp(a->zNorm, aTo[i].zNorm) == 0;
  }
  return 0;
}

static int object_in(const DmSchemaObject *a, const DmSchemaObject *aList, int n) {
  for (int i = 0; i < n; i++) {
    if (sqlite3_stricmp(a->zName, aList[i].zName) == 0) return 1;
  }
  return 0;
}

/* Step 1: triggers, views, indexes that are gone or change. */
static void drop_objects(Diff *d, const char *zKind, const DmSchemaObject *a, int n,
                         const DmSchemaObject *aTo, int nTo) {
  for (int i = 0; i < n; i++) {
    if (object_kept(&a[i], aTo, nTo)) continue;
    int bGone = !object_in(&a[i], aTo, nTo);
    /* A gone trigger of a gone table goes with its table. */
    if (bGone && zKind[0] == 't' && table_dropped(d, a[i].zTable)) continue;
    dm_diff_comment(d, bGone ? "%s %s is not in the desired schema"
                     : "%s %s changes: dropped here, created again below",
            zKind, a[i].zName);
    sqlite3_str_appendf(d->pOut, "DROP %s ", zKind[0] == 't' ? "TRIGGER" : "VIEW");
    dm_diff_name(d->pOut, a[i].zName);
    sqlite3_str_appendall(d->pOut, ";\n");
  }
}

static void drop_indexes(Diff *d) {
  for (int i = 0; i < d->pFrom->nIndex; i++) {
    const DmIndex *x = &d->pFrom->aIndex[i];
    int iTo = d->aIndexTo[i];
    if (iTo >= 0 && !index_changed(d, iTo)) continue;
    if (iTo < 0 && table_dropped(d, x->zTable)) continue; /* Goes with it */
    if (iTo < 0) {
      dm_diff_comment(d, "index %s is not in the desired schema", x->zName);
    } else if (sqlite3_stricmp(x->zName, d->pTo->aIndex[iTo].zName) != 0) {
      dm_diff_comment(d, "index %s is renamed %s: SQLite has no RENAME INDEX, so it is dropped "
                 "here and created again below (no data is lost)",
              x->zName, d->pTo->aIndex[iTo].zName);
    } else {
      dm_diff_comment(d, "index %s changes: dropped here, created again below", x->zName);
    }
    sqlite3_str_appendall(d->pOut, "DROP INDEX ");
    dm_diff_name(d->pOut, x->zName);
    sqlite3_str_appendall(d->pOut, ";\n");
  }
}

/* Step 2: children before parents (the reverse of pFrom's FK order). */
static void drop_tables(Diff *d, const int *aOrder) {
  int nNew = 0;
  for (int i = 0; i < d->pTo->nTable; i++) nNew += d->aTableFrom[i] < 0;
  for (int k = d->pFrom->nTable - 1; k >= 0; k--) {
    const DmSchemaTable *t = &d->pFrom->aTable[aOrder[k]];
    if (d->aTableTo[aOrder[k]] >= 0) continue;
    dm_diff_comment(d, "destructive: drops table %s and every row in it", t->zName);
    if (nNew) {
      sqlite3_str_appendf(d->pOut,
                          "-- (no rename hint: if a new table below is %s renamed, write "
                          "\"-- @renamed from=%s\" on its line in the desired schema)\n",
                          t->zName, t->zName);
    }
    sqlite3_str_appendall(d->pOut, "DROP TABLE ");
    dm_diff_name(d->pOut, t->zName);
    sqlite3_str_appendall(d->pOut, ";\n");
  }
}

/* The renames of step 3 still to run: pTo's table i is called azNow[i]. */
typedef struct Renames Renames;
struct Renames {
  int n;           /* pTo->nTable */
  char **azNow;    /* The current name of a table still to rename, or 0 */
};

/* pFrom's name of pTo's table i. */
static const char *old_name(Diff *d, int i) {
  return d->pFrom->aTable[d->aTableFrom[i]].zName;
}

static void rename_to(Diff *d, Renames *r, int i, const char *zTo) {
  sqlite3_str_appendall(d->pOut, "ALTER TABLE ");
  dm_diff_name(d->pOut, r->azNow[i]);
  sqlite3_str_appendall(d->pOut, " RENAME TO ");
  dm_diff_name(d->pOut, zTo);
  sqlite3_str_appendall(d->pOut, ";\n");
  sqlite3_free(r->azNow[i]);
  r->azNow[i] = 0;
}

/* Whether zName is the current name of a table still to rename, or (for a
** temporary name, bModels) of any table of either model. */
static int name_taken(Diff *d, const Renames *r, const char *zName, int bModels) {
  for (int i = 0; i < r->n; i++) {
    if (r->azNow[i] && sqlite3_stricmp(r->azNow[i], zName) == 0) return 1;
  }
  return bModels && (dm_schema_table(d->pFrom, zName) || dm_schema_table(d->pTo, zName));
}

/* A cycle (a -> b, b -> a): table i steps aside to a name nobody has. */
static int rename_aside(Diff *d, Renames *r, int i) {
  char *zTmp = sqlite3_mprintf("%s_renaming", r->azNow[i]);
  while (zTmp && name_taken(d, r, zTmp, 1)) {
    char *z = sqlite3_mprintf("%s_", zTmp);
    sqlite3_free(zTmp);
    zTmp = z;
  }
  if (!zTmp) return SQLITE_NOMEM;
  dm_diff_comment(d, "table %s steps aside as %s: the renames below go round in a cycle",
                  r->azNow[i], zTmp);
  rename_to(d, r, i, zTmp);
  r->azNow[i] = zTmp;
  return SQLITE_OK;
}

/* Each rename whose new name is free, until none is left. */
static int run_renames(Diff *d, Renames *r) {
  for (;;) {
    int bLeft = 0, bDone = 0;
    for (int i = 0; i < r->n; i++) {
      if (!r->azNow[i]) continue;
      const char *zNew = d->pTo->aTable[i].zName;
      if (name_taken(d, r, zNew, 0)) {
        bLeft = 1;
        continue;
      }
      dm_diff_comment(d, "table %s is renamed %s", old_name(d, i), zNew);
      rename_to(d, r, i, zNew);
      bDone = 1;
    }
    if (!bLeft) return SQLITE_OK;
    for (int i = 0; !bDone && i < r->n; i++) {
      if (r->azNow[i]) {
        if (rename_aside(d, r, i)) return SQLITE_NOMEM;
        bDone = 1;
      }
    }
  }
}

/*
** Step 3, in an order that never takes a name a table still has (b -> c
** before a -> b), a cycle broken through a temporary name.
*/
static void rename_tables(Diff *d) {
  Renames r = {d->pTo->nTable, 0};
  r.azNow = sqlite3_malloc64(sizeof(char *) * (sqlite3_uint64)(r.n + 1));
  if (!r.azNow) {
    d->rc = SQLITE_NOMEM;
    return;
  }
  memset(r.azNow, 0, sizeof(char *) * (size_t)(r.n + 1));
  for (int i = 0; d->rc == SQLITE_OK && i < r.n; i++) {
    if (d->aTableFrom[i] < 0 || sqlite3_stricmp(old_name(d, i), d->pTo->aTable[i].zName) == 0) {
      continue;
    }
    r.azNow[i] = sqlite3_mprintf("%s", old_name(d, i));
    if (!r.azNow[i]) d->rc = SQLITE_NOMEM;
  }
  if (d->rc == SQLITE_OK) d->rc = run_renames(d, &r);
  for (int i = 0; i < r.n; i++) sqlite3_free(r.azNow[i]);
  sqlite3_free(r.azNow);
}

/* Steps 4 and 5, parents first. */
static void create_and_change_tables(Diff *d, const int *aOrder) {
  for (int k = 0; k < d->pTo->nTable; k++) {
    const DmSchemaTable *t = &d->pTo->aTable[aOrder[k]];
    if (d->aTableFrom[aOrder[k]] >= 0) continue;
    dm_diff_comment(d, "new table %s", t->zName);
    dm_diff_statement(d->pOut, t->zSql);
  }
  for (int k = 0; d->rc == SQLITE_OK && k < d->pTo->nTable; k++) {
    int iFrom = d->aTableFrom[aOrder[k]];
    if (iFrom >= 0) dm_diff_table(d, iFrom, aOrder[k]);
  }
}

/* Step 6: what is new or changed, from the desired schema's text. */
static void create_objects(Diff *d, const char *zKind, const DmSchemaObject *a, int n,
                           const DmSchemaObject *aFrom, int nFrom) {
  for (int i = 0; i < n; i++) {
    if (object_kept(&a[i], aFrom, nFrom)) continue;
    dm_diff_comment(d, object_in(&a[i], aFrom, nFrom) ? "%s %s, as it is now" : "new %s %s", zKind,
            a[i].zName);
    dm_diff_statement(d->pOut, a[i].zSql);
  }
}

static void create_indexes(Diff *d) {
  for (int i = 0; i < d->pTo->nIndex; i++) {
    if (!index_changed(d, i)) continue;
    const DmIndex *x = &d->pTo->aIndex[i];
    dm_diff_comment(d, d->aIndexFrom[i] >= 0 ? "index %s, as it is now" : "new index %s", x->zName);
    dm_diff_statement(d->pOut, x->zSql);
  }
}

static void write_script(Diff *d) {
  int *aFromOrder = 0, *aToOrder = 0;
  d->rc = dm_diff_fk_order(d->pFrom, &aFromOrder);
  if (d->rc == SQLITE_OK) d->rc = dm_diff_fk_order(d->pTo, &aToOrder);
  if (d->rc == SQLITE_OK) {
    const DmSchema *f = d->pFrom, *t = d->pTo;
    drop_objects(d, "trigger", f->aTrigger, f->nTrigger, t->aTrigger, t->nTrigger);
    drop_objects(d, "view", f->aView, f->nView, t->aView, t->nView);
    drop_indexes(d);
    drop_tables(d, aFromOrder);
    rename_tables(d);
    create_and_change_tables(d, aToOrder);
  }
  if (d->rc == SQLITE_OK) {
    const DmSchema *f = d->pFrom, *t = d->pTo;
    create_indexes(d);
    create_objects(d, "view", t->aView, t->nView, f->aView, f->nView);
    create_objects(d, "trigger", t->aTrigger, t->nTrigger, f->aTrigger, f->nTrigger);
  }
  sqlite3_free(aFromOrder);
  sqlite3_free(aToOrder);
}

static void diff_clear(Diff *d) {
  sqlite3_close(d->dbScratch);
  for (int i = 0; d->aaColFrom && i < d->pTo->nTable; i++) sqlite3_free(d->aaColFrom[i]);
  sqlite3_free(d->aaColFrom);
  sqlite3_free(d->aTableTo);
  sqlite3_free(d->aTableFrom);
  sqlite3_free(d->aIndexTo);
  sqlite3_free(d->aIndexFrom);
}

int dm_schema_diff(const DmSchema *pFrom, const DmSchema *pTo, char **pzScript,
                   char **pzErr) {
  Diff d;
  memset(&d, 0, sizeof(d));
  d.pFrom = pFrom;
  d.pTo = pTo;
  *pzScript = 0;
  *pzErr = 0;
  d.pOut = sqlite3_str_new(0);
  d.rc = match_all(&d);
  if (d.rc == SQLITE_OK) write_script(&d);
  diff_clear(&d);
  char *z = 0;
  int rcStr = dm_diff_finish(d.pOut, &z);
  if (d.rc == SQLITE_OK) d.rc = rcStr;
  if (d.rc == SQLITE_OK) {
    *pzScript = z;
  } else {
    sqlite3_free(z);
    *pzErr = d.zErr;
    d.zErr = 0;
  }
  sqlite3_free(d.zErr);
  return d.rc;
}
