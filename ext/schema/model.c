/*
** The schema model read from SQLite (see model.h): the pragmas for what
** they expose, text.c for what only the CREATE text holds.
**
** What is left out: SQLite's own objects (sqlite_*), the bookkeeping
** (alembic_version, distmigrate_*) and what belongs to them, and the
** shadow tables of virtual tables. SQLite decides that a table is a shadow
** table by asking the module of the virtual table whose name is the
** table's up to its last '_' (xShadowName); PRAGMA table_list reports the
** answer as type 'shadow', since it connects every virtual table before
** it lists them (3.37 and later), so a table is left out when SQLite says
** so, never by its name alone (a table "ft_notes" beside an fts5 table
** "ft" is the user's own).
*/
#include "schema/model.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "schema/schema_int.h"

SQLITE_EXTENSION_INIT3

/* ---- helpers ----------------------------------------------------------- */

/*
** The room is doubled, from 4, when n reaches it (n == 0, 4, 8, 16, ...),
** so a list of n costs log n reallocations, not n: the 500 tables of a
** schema were copied 500 times over as the list grew. An array passed here
** must only ever have grown here (its room is then what n says it is).
*/
void *dm_schema_grow(void *pa, int n, size_t sz) {
  char *aNew = pa;
  if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) {
    aNew = sqlite3_realloc64(pa, sz * (sqlite3_uint64)(n ? 2 * n : 4));
  }
  if (aNew) memset(aNew + sz * (size_t)n, 0, sz);
  return aNew;
}

char *dm_schema_lower(const char *z) {
  if (!z) return 0;
  char *zOut = sqlite3_mprintf("%s", z);
  for (char *p = zOut; p && *p; p++) {
    if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
  }
  return zOut;
}

/* A copy of column i of pStmt as text, or 0 if it is NULL. *pRc becomes
** SQLITE_NOMEM if the copy fails. */
static char *column_dup(sqlite3_stmt *pStmt, int i, int *pRc) {
  const unsigned char *z = sqlite3_column_text(pStmt, i);
  if (!z) {
    if (sqlite3_column_type(pStmt, i) != SQLITE_NULL) *pRc = SQLITE_NOMEM;
    return 0;
  }
  size_t n = (size_t)sqlite3_column_bytes(pStmt, i);
  char *zOut = sqlite3_malloc64(n + 1);
  if (!zOut) {
    *pRc = SQLITE_NOMEM;
    return 0;
  }
  memcpy(zOut, z, n + 1); /* With the terminating NUL SQLite adds */
  return zOut;
}

/* Finalize pStmt; the first error of rc and the statement's wins. */
static int finish(sqlite3_stmt *pStmt, int rc) {
  int rc2 = sqlite3_finalize(pStmt);
  return rc == SQLITE_OK || rc == SQLITE_DONE ? rc2 : rc;
}

/* Prepare zSql (sqlite3_mprintf'd here, freed), saying why on an error. */
static int prepare(sqlite3 *db, sqlite3_stmt **ppStmt, char **pzErr, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  char *zSql = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  if (!zSql) return SQLITE_NOMEM;
  int rc = sqlite3_prepare_v2(db, zSql, -1, ppStmt, 0);
  sqlite3_free(zSql);
  if (rc != SQLITE_OK && rc != SQLITE_NOMEM && !*pzErr) {
    *pzErr = sqlite3_mprintf("reading the schema: %s", sqlite3_errmsg(db));
  }
  return rc;
}

/* The error of a step that ended the loop, said once. */
static int step_error(sqlite3 *db, int rc, char **pzErr) {
  if (rc == SQLITE_DONE || rc == SQLITE_OK) return SQLITE_OK;
  if (rc != SQLITE_NOMEM && !*pzErr) {
    *pzErr = sqlite3_mprintf("reading the schema: %s", sqlite3_errmsg(db));
  }
  return rc;
}

/* ---- freeing ------------------------------------------------------------- */

void dm_schema_index_cols_free(DmIndexCol *a, int n) {
  for (int i = 0; i < n; i++) {
    sqlite3_free(a[i].zName);
    sqlite3_free(a[i].zExprNorm);
    sqlite3_free(a[i].zCollate);
  }
  sqlite3_free(a);
}

static void column_free(DmColumn *c) {
  sqlite3_free(c->zName);
  sqlite3_free(c->zType);
  sqlite3_free(c->zTypeNorm);
  sqlite3_free(c->zDefault);
  sqlite3_free(c->zDefaultNorm);
  sqlite3_free(c->zCollate);
  sqlite3_free(c->zGenNorm);
  sqlite3_free(c->zRenamedFrom);
}

static void fk_free(DmForeignKey *f) {
  for (int i = 0; i < f->nCol; i++) {
    if (f->azFrom) sqlite3_free(f->azFrom[i]);
    if (f->azTo) sqlite3_free(f->azTo[i]);
  }
  sqlite3_free(f->azFrom);
  sqlite3_free(f->azTo);
  sqlite3_free(f->zParent);
  sqlite3_free(f->zOnDelete);
  sqlite3_free(f->zOnUpdate);
  sqlite3_free(f->zMatch);
}

static void table_free(DmSchemaTable *t) {
  for (int i = 0; i < t->nCol; i++) column_free(&t->aCol[i]);
  sqlite3_free(t->aCol);
  for (int i = 0; i < t->nCheck; i++) {
    sqlite3_free(t->aCheck[i].zName);
    sqlite3_free(t->aCheck[i].zExprNorm);
    sqlite3_free(t->aCheck[i].zExpr);
  }
  sqlite3_free(t->aCheck);
  for (int i = 0; i < t->nUnique; i++) dm_schema_index_cols_free(t->aUnique[i].aCol, t->aUnique[i].nCol);
  sqlite3_free(t->aUnique);
  for (int i = 0; i < t->nFk; i++) fk_free(&t->aFk[i]);
  sqlite3_free(t->aFk);
  sqlite3_free(t->zName);
  sqlite3_free(t->zSql);
  sqlite3_free(t->zModule);
  sqlite3_free(t->zArgsNorm);
  sqlite3_free(t->zRenamedFrom);
}

static void object_free(DmSchemaObject *o) {
  sqlite3_free(o->zName);
  sqlite3_free(o->zTable);
  sqlite3_free(o->zSql);
  sqlite3_free(o->zNorm);
}

void dm_schema_free(DmSchema *p) {
  if (!p) return;
  for (int i = 0; i < p->nTable; i++) table_free(&p->aTable[i]);
  sqlite3_free(p->aTable);
  for (int i = 0; i < p->nIndex; i++) {
    DmIndex *x = &p->aIndex[i];
    sqlite3_free(x->zName);
    sqlite3_free(x->zTable);
    sqlite3_free(x->zSql);
    dm_schema_index_cols_free(x->aCol, x->nCol);
    sqlite3_free(x->zWhereNorm);
    sqlite3_free(x->zRenamedFrom);
  }
  sqlite3_free(p->aIndex);
  for (int i = 0; i < p->nView; i++) object_free(&p->aView[i]);
  sqlite3_free(p->aView);
  for (int i = 0; i < p->nTrigger; i++) object_free(&p->aTrigger[i]);
  sqlite3_free(p->aTrigger);
  sqlite3_free(p);
}

/* ---- lookups ------------------------------------------------------------- */

/*
** aTable is sorted by SQLite's lower() of the names, which is the order
** sqlite3_stricmp() gives (ASCII case folded, then bytes), so a name is
** found by halving: the diff and the index reader look up tables by the
** thousand. A connection may have its own lower() (ICU's folds more than
** ASCII), so a name halving does not find is looked for one by one; names
** are unique under sqlite3_stricmp(), so a name found is the only one.
*/
const DmSchemaTable *dm_schema_table(const DmSchema *p, const char *zName) {
  int lo = 0, hi = p->nTable;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    int c = sqlite3_stricmp(p->aTable[mid].zName, zName);
    if (c == 0) return &p->aTable[mid];
    if (c < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  for (int i = 0; i < p->nTable; i++) {
    if (sqlite3_stricmp(p->aTable[i].zName, zName) == 0) return &p->aTable[i];
  }
  return 0;
}

const DmColumn *dm_schema_column(const DmSchemaTable *p, const char *zName) {
  for (int i = 0; i < p->nCol; i++) {
    if (sqlite3_stricmp(p->aCol[i].zName, zName) == 0) return &p->aCol[i];
  }
  return 0;
}

const DmIndex *dm_schema_index(const DmSchema *p, const char *zName) {
  for (int i = 0; i < p->nIndex; i++) {
    if (sqlite3_stricmp(p->aIndex[i].zName, zName) == 0) return &p->aIndex[i];
  }
  return 0;
}

static const DmSchemaObject *find_object(const DmSchemaObject *a, int n, const char *zName) {
  for (int i = 0; i < n; i++) {
    if (sqlite3_stricmp(a[i].zName, zName) == 0) return &a[i];
  }
  return 0;
}

const DmSchemaObject *dm_schema_view(const DmSchema *p, const char *zName) {
  return find_object(p->aView, p->nView, zName);
}

const DmSchemaObject *dm_schema_trigger(const DmSchema *p, const char *zName) {
  return find_object(p->aTrigger, p->nTrigger, zName);
}

/* ---- reading --------------------------------------------------------------- */

/* The SQL condition that keeps an object named by column zCol. */
#define DM_KEPT(zCol)                                                    \
  "lower(" zCol ") NOT GLOB 'sqlite_*' AND lower(" zCol ") NOT GLOB " \
  "'distmigrate_*' AND lower(" zCol ") <> 'alembic_version'"

/*
** The result columns of the pragmas read, by position, as SQLite documents
** them. The pragmas run as PRAGMA statements, not as their table-valued
** functions (pragma_table_xinfo(...)): the function prepares the same
** PRAGMA anyway, inside a SELECT that must be prepared too, which made
** reading a schema of 500 tables cost several times SQLite's own replay.
** Rows come in the order the pragma gives (cid, seqno, seq, id).
*/
enum { XI_CID, XI_NAME, XI_TYPE, XI_NOTNULL, XI_DFLT, XI_PK, XI_HIDDEN }; /* table_xinfo */
enum { IXI_SEQNO, IXI_CID, IXI_NAME, IXI_DESC, IXI_COLL, IXI_KEY };      /* index_xinfo */
enum { IL_SEQ, IL_NAME, IL_UNIQUE, IL_ORIGIN, IL_PARTIAL };              /* index_list */
enum { FK_ID, FK_SEQ, FK_TABLE, FK_FROM, FK_TO, FK_ON_UPDATE, FK_ON_DELETE, FK_MATCH };
enum { TL_SCHEMA, TL_NAME, TL_TYPE, TL_NCOL, TL_WR, TL_STRICT };                /* table_list */

/* The columns of pTab, from table_xinfo, in declared order. */
static int read_columns(sqlite3 *db, const char *zDb, DmSchemaTable *pTab, char **pzErr) {
  sqlite3_stmt *pStmt = 0;
  int rc = prepare(db, &pStmt, pzErr, "PRAGMA \"%w\".table_xinfo(%Q)", zDb, pTab->zName);
  while (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    DmColumn *aNew = dm_schema_grow(pTab->aCol, pTab->nCol, sizeof(DmColumn));
    if (!aNew) {
      rc = SQLITE_NOMEM;
      break;
    }
    pTab->aCol = aNew;
    DmColumn *c = &pTab->aCol[pTab->nCol++];
    rc = SQLITE_OK;
    c->zName = column_dup(pStmt, XI_NAME, &rc);
    c->zType = column_dup(pStmt, XI_TYPE, &rc);
    if (rc == SQLITE_OK && !c->zType) c->zType = sqlite3_mprintf("");
    c->bNotNull = sqlite3_column_int(pStmt, XI_NOTNULL);
    c->zDefault = column_dup(pStmt, XI_DFLT, &rc);
    c->iPk = sqlite3_column_int(pStmt, XI_PK);
    int iHidden = sqlite3_column_int(pStmt, XI_HIDDEN);
    c->bHidden = iHidden == 1;
    c->eGenerated = iHidden == 2 || iHidden == 3 ? iHidden : DM_GEN_NONE;
    if (rc == SQLITE_OK) {
      c->zTypeNorm = c->zType ? dm_schema_type_norm(c->zType) : 0;
      if (!c->zTypeNorm || !c->zName) rc = SQLITE_NOMEM;
    }
    if (rc == SQLITE_OK && c->zDefault) {
      c->zDefaultNorm = dm_schema_default_norm(c->zDefault);
      if (!c->zDefaultNorm) rc = SQLITE_NOMEM;
    }
  }
  return step_error(db, finish(pStmt, rc), pzErr);
}

/* The key columns of index zIndex (a CREATE INDEX or a constraint's). */
static int read_index_cols(sqlite3 *db, const char *zDb, const char *zIndex, DmIndexCol **paCol,
                           int *pnCol, char **pzErr) {
  sqlite3_stmt *pStmt = 0;
  int rc = prepare(db, &pStmt, pzErr, "PRAGMA \"%w\".index_xinfo(%Q)", zDb, zIndex);
  while (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    rc = SQLITE_OK;
    if (!sqlite3_column_int(pStmt, IXI_KEY)) continue; /* The table's key or rowid */
    DmIndexCol *aNew = dm_schema_grow(*paCol, *pnCol, sizeof(DmIndexCol));
    if (!aNew) {
      rc = SQLITE_NOMEM;
      break;
    }
    *paCol = aNew;
    DmIndexCol *c = &aNew[(*pnCol)++];
    if (sqlite3_column_int(pStmt, IXI_CID) != -2) c->zName = column_dup(pStmt, IXI_NAME, &rc);
    char *zColl = column_dup(pStmt, IXI_COLL, &rc);
    c->zCollate = zColl ? dm_schema_lower(zColl) : sqlite3_mprintf("binary");
    sqlite3_free(zColl);
    if (!c->zCollate) rc = SQLITE_NOMEM;
    c->bDesc = sqlite3_column_int(pStmt, IXI_DESC);
  }
  return step_error(db, finish(pStmt, rc), pzErr);
}

/*
** The indexes made by CREATE INDEX (origin 'c') as PRAGMA index_list gives
** them while the tables are read, so that read_indexes() need not ask it
** again for each index: it did so through the table-valued
** pragma_index_list joined to sqlite_schema, a third of the cost of
** reading a 500-table schema's indexes.
*/
typedef struct MadeIndex MadeIndex;
struct MadeIndex {
  char *zName;
  int bUnique;
};

typedef struct MadeIndexes MadeIndexes;
struct MadeIndexes {
  int n;
  MadeIndex *a;       /* Sorted by name (strcmp) before read_indexes() */
};

static void made_clear(MadeIndexes *p) {
  for (int i = 0; i < p->n; i++) sqlite3_free(p->a[i].zName);
  sqlite3_free(p->a);
}

static int made_cmp(const void *a, const void *b) {
  return strcmp(((const MadeIndex *)a)->zName, ((const MadeIndex *)b)->zName);
}

/* The row of PRAGMA index_list at pStmt into p. */
static int made_add(sqlite3_stmt *pStmt, MadeIndexes *p) {
  MadeIndex *aNew = dm_schema_grow(p->a, p->n, sizeof(MadeIndex));
  if (!aNew) return SQLITE_NOMEM;
  p->a = aNew;
  int rc = SQLITE_OK;
  aNew[p->n].zName = column_dup(pStmt, IL_NAME, &rc);
  if (!aNew[p->n].zName) return SQLITE_NOMEM;
  aNew[p->n++].bUnique = sqlite3_column_int(pStmt, IL_UNIQUE);
  return rc;
}

/* UNIQUE and PRIMARY KEY constraints: the indexes SQLite made for them.
** The CREATE INDEX ones go to pMade, if it is not 0. */
static int read_uniques(sqlite3 *db, const char *zDb, DmSchemaTable *pTab, MadeIndexes *pMade,
                        char **pzErr) {
  sqlite3_stmt *pStmt = 0;
  int rc = prepare(db, &pStmt, pzErr, "PRAGMA \"%w\".index_list(%Q)", zDb, pTab->zName);
  while (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    const char *zOrigin = (const char *)sqlite3_column_text(pStmt, IL_ORIGIN);
    rc = SQLITE_OK;
    if (!zOrigin) {
      rc = SQLITE_NOMEM;
      break;
    }
    int bPrimary = strcmp(zOrigin, "pk") == 0;
    if (!bPrimary && strcmp(zOrigin, "u") != 0) { /* A CREATE INDEX */
      if (pMade) rc = made_add(pStmt, pMade);
      continue;
    }
    DmUnique *aNew = dm_schema_grow(pTab->aUnique, pTab->nUnique, sizeof(DmUnique));
    if (!aNew) {
      rc = SQLITE_NOMEM;
      break;
    }
    pTab->aUnique = aNew;
    DmUnique *u = &pTab->aUnique[pTab->nUnique++];
    u->bPrimary = bPrimary;
    const char *zIndex = (const char *)sqlite3_column_text(pStmt, IL_NAME);
    rc = zIndex ? read_index_cols(db, zDb, zIndex, &u->aCol, &u->nCol, pzErr) : SQLITE_NOMEM;
  }
  return step_error(db, finish(pStmt, rc), pzErr);
}

/* One row of foreign_key_list into the key f (its first row sets the rest). */
static int fk_add_row(sqlite3_stmt *pStmt, DmForeignKey *f) {
  int rc = SQLITE_OK;
  char **azFrom = sqlite3_realloc64(f->azFrom, sizeof(char *) * (sqlite3_uint64)(f->nCol + 1));
  if (azFrom) f->azFrom = azFrom;
  char **azTo = sqlite3_realloc64(f->azTo, sizeof(char *) * (sqlite3_uint64)(f->nCol + 1));
  if (azTo) f->azTo = azTo;
  if (!azFrom || !azTo) return SQLITE_NOMEM;
  f->azFrom[f->nCol] = column_dup(pStmt, FK_FROM, &rc);
  f->azTo[f->nCol] = column_dup(pStmt, FK_TO, &rc);
  f->nCol++;
  if (f->nCol == 1) {
    f->zParent = column_dup(pStmt, FK_TABLE, &rc);
    f->zOnUpdate = column_dup(pStmt, FK_ON_UPDATE, &rc);
    f->zOnDelete = column_dup(pStmt, FK_ON_DELETE, &rc);
    f->zMatch = column_dup(pStmt, FK_MATCH, &rc);
  }
  return rc;
}

/* The n keys of a in the opposite order. */
static void fks_reverse(DmForeignKey *a, int n) {
  for (int i = 0, j = n - 1; i < j; i++, j--) {
    DmForeignKey t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

/*
** The foreign keys, in the order written: foreign_key_list numbers them
** from the last written (id 0) to the first, and lists them by id, each
** key's columns by seq. aDeferred[i] says whether the i-th written is
** DEFERRABLE INITIALLY DEFERRED.
*/
static int read_fks(sqlite3 *db, const char *zDb, DmSchemaTable *pTab, const int *aDeferred,
                    int nDeferred, char **pzErr) {
  sqlite3_stmt *pStmt = 0;
  int rc = prepare(db, &pStmt, pzErr, "PRAGMA \"%w\".foreign_key_list(%Q)", zDb, pTab->zName);
  int iLast = -1;
  while (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    int id = sqlite3_column_int(pStmt, FK_ID);
    if (id != iLast) {
      DmForeignKey *aNew = dm_schema_grow(pTab->aFk, pTab->nFk, sizeof(DmForeignKey));
      if (!aNew) {
        rc = SQLITE_NOMEM;
        break;
      }
      pTab->aFk = aNew;
      pTab->nFk++;
      iLast = id;
    }
    rc = fk_add_row(pStmt, &pTab->aFk[pTab->nFk - 1]);
  }
  rc = step_error(db, finish(pStmt, rc), pzErr);
  fks_reverse(pTab->aFk, pTab->nFk);
  for (int i = 0; rc == SQLITE_OK && i < pTab->nFk && pTab->nFk == nDeferred; i++) {
    pTab->aFk[i].bDeferred = aDeferred[i];
  }
  return rc;
}

/* Everything about one table, the row of the tables' query filled in. */
/*
** A virtual table: its module and arguments, then the columns its module
** declares, which needs the module (an extension this connection may not
** have loaded: say which).
*/
static int read_vtab(sqlite3 *db, const char *zDb, DmSchemaTable *pTab, char **pzErr) {
  int rc = dm_schema_vtab_text(pTab);
  char *zWhy = 0;
  if (rc == SQLITE_OK) rc = read_columns(db, zDb, pTab, &zWhy);
  if (rc != SQLITE_OK && rc != SQLITE_NOMEM && zWhy && !*pzErr) {
    *pzErr = sqlite3_mprintf("%s (virtual table %s, USING %s): load the extension that "
                             "provides module %s on this connection first",
                             zWhy, pTab->zName, pTab->zModule, pTab->zModule);
  }
  sqlite3_free(zWhy);
  return rc;
}

static int read_table(sqlite3 *db, const char *zDb, DmSchemaTable *pTab, MadeIndexes *pMade,
                      char **pzErr) {
  if (pTab->zModule) return read_vtab(db, zDb, pTab, pzErr);
  int *aDeferred = 0, nDeferred = 0;
  int rc = read_columns(db, zDb, pTab, pzErr);
  if (rc == SQLITE_OK) rc = dm_schema_table_text(pTab, &aDeferred, &nDeferred);
  if (rc == SQLITE_ERROR && !*pzErr) {
    *pzErr = sqlite3_mprintf("reading the schema: cannot read the definition of table %s",
                             pTab->zName);
  }
  if (rc == SQLITE_OK) rc = read_uniques(db, zDb, pTab, pMade, pzErr);
  if (rc == SQLITE_OK) rc = read_fks(db, zDb, pTab, aDeferred, nDeferred, pzErr);
  sqlite3_free(aDeferred);
  return rc;
}

/* What PRAGMA table_list says of a table that sqlite_schema does not. */
typedef struct Listed Listed;
struct Listed {
  char *zName;
  int bVirtual;
  int bWithoutRowid;
  int bStrict;
};

typedef struct TableList TableList;
struct TableList {
  int n;
  Listed *a;          /* Sorted by name as SQLite compares names */
};

static void table_list_clear(TableList *p) {
  for (int i = 0; i < p->n; i++) sqlite3_free(p->a[i].zName);
  sqlite3_free(p->a);
}

static int listed_cmp(const void *a, const void *b) {
  return sqlite3_stricmp(((const Listed *)a)->zName, ((const Listed *)b)->zName);
}

/* One row of PRAGMA table_list into p if it is a table or a virtual table
** (not a view, nor a shadow table). */
static int table_list_add(sqlite3_stmt *pStmt, TableList *p) {
  const char *zType = (const char *)sqlite3_column_text(pStmt, TL_TYPE);
  if (!zType) return SQLITE_NOMEM;
  int bVirtual = strcmp(zType, "virtual") == 0;
  if (!bVirtual && strcmp(zType, "table") != 0) return SQLITE_OK;
  Listed *aNew = dm_schema_grow(p->a, p->n, sizeof(Listed));
  if (!aNew) return SQLITE_NOMEM;
  p->a = aNew;
  int rc = SQLITE_OK;
  Listed *l = &p->a[p->n];
  l->zName = column_dup(pStmt, TL_NAME, &rc);
  if (!l->zName) return SQLITE_NOMEM;
  l->bVirtual = bVirtual;
  l->bWithoutRowid = sqlite3_column_int(pStmt, TL_WR);
  l->bStrict = sqlite3_column_int(pStmt, TL_STRICT);
  p->n++;
  return rc;
}

/*
** PRAGMA table_list of schema zDb, sorted. Read on its own, not joined
** to sqlite_schema in SQL: the join's table-valued pragma and automatic
** index cost three times the two statements apart.
*/
static int read_table_list(sqlite3 *db, const char *zDb, TableList *p, char **pzErr) {
  sqlite3_stmt *pStmt = 0;
  int rc = prepare(db, &pStmt, pzErr, "PRAGMA \"%w\".table_list", zDb);
  while (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    rc = table_list_add(pStmt, p);
  }
  rc = step_error(db, finish(pStmt, rc), pzErr);
  if (rc == SQLITE_OK && p->n > 1) qsort(p->a, (size_t)p->n, sizeof(Listed), listed_cmp);
  return rc;
}

/* Table t from its row of sqlite_schema (name, sql) and its entry l of
** PRAGMA table_list, whose name it takes. */
static int table_from_row(sqlite3_stmt *pStmt, Listed *l, DmSchemaTable *t) {
  int rc = SQLITE_OK;
  t->zName = l->zName;
  l->zName = 0;
  t->bWithoutRowid = l->bWithoutRowid;
  t->bStrict = l->bStrict;
  t->zSql = column_dup(pStmt, 1, &rc);
  if (rc == SQLITE_OK && !t->zSql) rc = SQLITE_NOMEM;
  /* Marks a virtual table until dm_schema_vtab_text() sets the module. */
  if (rc == SQLITE_OK && l->bVirtual) t->zModule = sqlite3_mprintf("");
  if (l->bVirtual && !t->zModule) rc = SQLITE_NOMEM;
  return rc;
}

/*
** The tables kept, or only the one named zOnly if it is not 0: the rows
** of sqlite_schema whose name PRAGMA table_list gives as a table or a
** virtual table of zDb, by lower(name).
*/
static int read_tables(sqlite3 *db, const char *zDb, const char *zOnly, DmSchema *p,
                       MadeIndexes *pMade, char **pzErr) {
  TableList list = {0, 0};
  sqlite3_stmt *pStmt = 0;
  int rc = read_table_list(db, zDb, &list, pzErr);
  if (rc == SQLITE_OK) {
    rc = prepare(db, &pStmt, pzErr,
                 "SELECT name, sql FROM \"%w\".sqlite_schema WHERE type = 'table' AND "
                 DM_KEPT("name") "%s ORDER BY lower(name)",
                 zDb, zOnly ? " AND name = ?1 COLLATE NOCASE" : "");
  }
  if (rc == SQLITE_OK && zOnly) rc = sqlite3_bind_text(pStmt, 1, zOnly, -1, SQLITE_STATIC);
  while (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    Listed key = {(char *)sqlite3_column_text(pStmt, 0), 0, 0, 0};
    Listed *l = key.zName && list.n
                    ? bsearch(&key, list.a, (size_t)list.n, sizeof(Listed), listed_cmp)
                    : 0;
    rc = key.zName ? SQLITE_OK : SQLITE_NOMEM;
    if (!l || !l->zName) continue; /* A shadow table (or out of memory) */
    DmSchemaTable *aNew = dm_schema_grow(p->aTable, p->nTable, sizeof(DmSchemaTable));
    if (!aNew) {
      rc = SQLITE_NOMEM;
      break;
    }
    p->aTable = aNew;
    DmSchemaTable *t = &p->aTable[p->nTable++];
    rc = table_from_row(pStmt, l, t);
    if (rc == SQLITE_OK) rc = read_table(db, zDb, t, pMade, pzErr);
  }
  table_list_clear(&list);
  return step_error(db, finish(pStmt, rc), pzErr);
}

/* The indexes made by CREATE INDEX on the tables kept; pMade, what
** PRAGMA index_list said of them, gives UNIQUE. */
static int read_indexes(sqlite3 *db, const char *zDb, DmSchema *p, MadeIndexes *pMade,
                        char **pzErr) {
  sqlite3_stmt *pStmt = 0;
  if (pMade->n > 1) qsort(pMade->a, (size_t)pMade->n, sizeof(MadeIndex), made_cmp);
  int rc = prepare(db, &pStmt, pzErr,
                   "SELECT name, tbl_name, sql FROM \"%w\".sqlite_schema "
                   "WHERE type = 'index' AND sql IS NOT NULL AND " DM_KEPT("tbl_name")
                   " ORDER BY lower(name)",
                   zDb);
  while (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    MadeIndex key = {(char *)sqlite3_column_text(pStmt, 0), 0};
    const char *zTable = (const char *)sqlite3_column_text(pStmt, 1);
    rc = key.zName && zTable ? SQLITE_OK : SQLITE_NOMEM;
    if (rc != SQLITE_OK) break;
    if (!dm_schema_table(p, zTable)) continue; /* A shadow table's */
    const MadeIndex *m =
        pMade->n ? bsearch(&key, pMade->a, (size_t)pMade->n, sizeof(MadeIndex), made_cmp) : 0;
    if (!m) continue; /* Not in its table's index_list (the join left it out too) */
    DmIndex *aNew = dm_schema_grow(p->aIndex, p->nIndex, sizeof(DmIndex));
    if (!aNew) {
      rc = SQLITE_NOMEM;
      break;
    }
    p->aIndex = aNew;
    DmIndex *x = &p->aIndex[p->nIndex++];
    x->zName = column_dup(pStmt, 0, &rc);
    x->zTable = column_dup(pStmt, 1, &rc);
    x->zSql = column_dup(pStmt, 2, &rc);
    x->bUnique = m->bUnique;
    if (rc == SQLITE_OK && (!x->zName || !x->zTable || !x->zSql)) rc = SQLITE_NOMEM;
    if (rc == SQLITE_OK) rc = read_index_cols(db, zDb, x->zName, &x->aCol, &x->nCol, pzErr);
    if (rc == SQLITE_OK) rc = dm_schema_index_text(x);
  }
  return step_error(db, finish(pStmt, rc), pzErr);
}

/* Views (zType "view") or triggers into *pa, *pn. */
static int read_objects(sqlite3 *db, const char *zDb, const char *zType, DmSchemaObject **pa, int *pn, char **pzErr) {
  sqlite3_stmt *pStmt = 0;
  int rc = prepare(db, &pStmt, pzErr,
                   "SELECT name, tbl_name, sql FROM \"%w\".sqlite_schema "
                   "WHERE type = %Q AND sql IS NOT NULL AND " DM_KEPT("name") " AND "
                   DM_KEPT("tbl_name") " ORDER BY lower(name)",
                   zDb, zType);
  while (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    DmSchemaObject *aNew = dm_schema_grow(*pa, *pn, sizeof(DmSchemaObject));
    if (!aNew) {
      rc = SQLITE_NOMEM;
      break;
    }
    *pa = aNew;
    DmSchemaObject *o = &aNew[(*pn)++];
    rc = SQLITE_OK;
    o->zName = column_dup(pStmt, 0, &rc);
    o->zTable = column_dup(pStmt, 1, &rc);
    o->zSql = column_dup(pStmt, 2, &rc);
    if (rc == SQLITE_OK && (!o->zName || !o->zTable || !o->zSql)) rc = SQLITE_NOMEM;
    if (rc == SQLITE_OK) {
      o->zNorm = dm_schema_object_norm(o->zSql);
      if (!o->zNorm) rc = SQLITE_NOMEM;
    }
  }
  return step_error(db, finish(pStmt, rc), pzErr);
}

/* dm_schema_read(), or only table zOnly if it is not 0. */
static int read_schema(sqlite3 *db, const char *zDb, const char *zOnly, DmSchema **ppOut,
                       char **pzErr) {
  *ppOut = 0;
  if (!zDb) zDb = "main";
  DmSchema *p = sqlite3_malloc64(sizeof(DmSchema));
  if (!p) return SQLITE_NOMEM;
  memset(p, 0, sizeof(*p));
  MadeIndexes made = {0, 0};
  int rc = read_tables(db, zDb, zOnly, p, zOnly ? 0 : &made, pzErr);
  if (rc == SQLITE_OK && !zOnly) rc = read_indexes(db, zDb, p, &made, pzErr);
  made_clear(&made);
  if (rc == SQLITE_OK && !zOnly) {
    rc = read_objects(db, zDb, "view", &p->aView, &p->nView, pzErr);
  }
  if (rc == SQLITE_OK && !zOnly) {
    rc = read_objects(db, zDb, "trigger", &p->aTrigger, &p->nTrigger, pzErr);
  }
  if (rc != SQLITE_OK) {
    dm_schema_free(p);
    if (rc == SQLITE_NOMEM) {
      sqlite3_free(*pzErr);
      *pzErr = 0;
    }
    return rc;
  }
  *ppOut = p;
  return SQLITE_OK;
}

int dm_schema_read(sqlite3 *db, const char *zDb, DmSchema **ppOut, char **pzErr) {
  return read_schema(db, zDb, 0, ppOut, pzErr);
}

int dm_schema_read_table(sqlite3 *db, const char *zDb, const char *zName, DmSchema **ppOut,
                         char **pzErr) {
  return read_schema(db, zDb, zName, ppOut, pzErr);
}
