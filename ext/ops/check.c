/*
** Checksums and drift detection by replay into :memory: (see check.h).
**
** The live schema and the replayed one are read from sqlite_schema, sorted
** the same way, and walked side by side: an object on one side only is
** "missing" or "extra"; one on both sides is compared in normal form, and a
** table that differs is taken apart (columns, constraints, options) so that
** the line says what changed, not only that something did.
*/
#include "ops/check.h"

#include <string.h>

#include "ops/replay.h"
#include "run/errors.h"
#include "sqltext/sqltext.h"

SQLITE_EXTENSION_INIT3

/* ---- the list ------------------------------------------------------------ */

/* Append a difference; takes ownership of zWhat. */
static int add_diff(DmDiffList *pList, const char *zKind, const char *zName,
                    char *zWhat, const char *zExpected, const char *zActual) {
  if (!zWhat) return SQLITE_NOMEM;
  DmDiff *aNew = sqlite3_realloc64(pList->a, sizeof(DmDiff) * (sqlite3_uint64)(pList->n + 1));
  if (!aNew) {
    sqlite3_free(zWhat);
    return SQLITE_NOMEM;
  }
  pList->a = aNew;
  DmDiff *p = &pList->a[pList->n++];
  memset(p, 0, sizeof(*p));
  p->zWhat = zWhat;
  p->zKind = sqlite3_mprintf("%s", zKind);
  p->zName = sqlite3_mprintf("%s", zName);
  if (zExpected) p->zExpected = sqlite3_mprintf("%s", zExpected);
  if (zActual) p->zActual = sqlite3_mprintf("%s", zActual);
  if (!p->zKind || !p->zName || (zExpected && !p->zExpected) ||
      (zActual && !p->zActual)) {
    return SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

void dm_diff_clear(DmDiffList *pList) {
  for (int i = 0; i < pList->n; i++) {
    DmDiff *p = &pList->a[i];
    sqlite3_free(p->zKind);
    sqlite3_free(p->zName);
    sqlite3_free(p->zWhat);
    sqlite3_free(p->zExpected);
    sqlite3_free(p->zActual);
  }
  sqlite3_free(pList->a);
  sqlite3_free(pList->zVersion);
  memset(pList, 0, sizeof(*pList));
}

char *dm_diff_line(const DmDiff *p) {
  return sqlite3_mprintf("%s %s: %s", p->zKind, p->zName, p->zWhat);
}

char *dm_diff_lines(const DmDiffList *pList) {
  sqlite3_str *pStr = sqlite3_str_new(0);
  for (int i = 0; i < pList->n; i++) {
    const DmDiff *p = &pList->a[i];
    sqlite3_str_appendf(pStr, "%s  %s %s: %s", i ? "\n" : "", p->zKind, p->zName,
                        p->zWhat);
  }
  if (sqlite3_str_errcode(pStr)) {
    sqlite3_free(sqlite3_str_finish(pStr));
    return 0;
  }
  char *z = sqlite3_str_finish(pStr);
  return z ? z : sqlite3_mprintf("");
}

/* ---- checksums ------------------------------------------------------------- */

/*
** Each applied revision against the checksum of its latest upgrade in the
** log. A revision with no such row (stamped, or migrated by Alembic) has
** nothing to compare with and is not reported.
*/
static int check_checksums(sqlite3 *db, const DmSet *pSet, const DmFlags *aApplied,
                           DmDiffList *pList) {
  sqlite3_stmt *pStmt = 0;
  int bLog = 0;
  int rc = sqlite3_prepare_v2(db,
                              "SELECT count(*) FROM main.sqlite_schema WHERE "
                              "type = 'table' AND name = '" DM_LOG_TABLE "'",
                              -1, &pStmt, 0);
  if (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    bLog = sqlite3_column_int(pStmt, 0);
  }
  sqlite3_finalize(pStmt);
  if (rc || !bLog) return rc;

  char **azSum = sqlite3_malloc64(sizeof(char *) * (sqlite3_uint64)(pSet->nRev + 1));
  if (!azSum) return SQLITE_NOMEM;
  memset(azSum, 0, sizeof(char *) * (size_t)(pSet->nRev + 1));
  rc = sqlite3_prepare_v2(
      db,
      "SELECT revision, checksum FROM main." DM_LOG_TABLE " WHERE id IN "
      "(SELECT max(id) FROM main." DM_LOG_TABLE
      " WHERE direction = 'upgrade' GROUP BY revision)",
      -1, &pStmt, 0);
  while (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    const char *zRev = (const char *)sqlite3_column_text(pStmt, 0);
    const char *zSum = (const char *)sqlite3_column_text(pStmt, 1);
    int i = zRev ? dm_find(pSet, zRev, (int)strlen(zRev)) : -1;
    if (i >= 0 && zSum) {
      azSum[i] = sqlite3_mprintf("%s", zSum);
      if (!azSum[i]) rc = SQLITE_NOMEM;
    }
  }
  if (rc == SQLITE_OK) rc = sqlite3_finalize(pStmt);
  else sqlite3_finalize(pStmt);
  for (int i = 0; rc == SQLITE_OK && i < pSet->nRev; i++) {
    const DmRevision *pRev = &pSet->aRev[i];
    if (!aApplied[i] || !azSum[i] || strcmp(azSum[i], pRev->zChecksum) == 0) continue;
    rc = add_diff(pList, "migration", pRev->zId,
                  sqlite3_mprintf("edited since it was applied (checksum %.12s "
                                  "applied, %.12s in this build)",
                                  azSum[i], pRev->zChecksum),
                  pRev->zChecksum, azSum[i]);
  }
  for (int i = 0; i < pSet->nRev; i++) sqlite3_free(azSum[i]);
  sqlite3_free(azSum);
  return rc;
}

/* ---- the schemas ------------------------------------------------------------ */

typedef struct SchemaObj SchemaObj;
struct SchemaObj {
  int iOrder;       /* table, view, index, trigger */
  char *zType;
  char *zName;
  char *zSql;
};

typedef struct Schema Schema;
struct Schema {
  int n;
  SchemaObj *a;
};

static void schema_clear(Schema *p) {
  for (int i = 0; i < p->n; i++) {
    sqlite3_free(p->a[i].zType);
    sqlite3_free(p->a[i].zName);
    sqlite3_free(p->a[i].zSql);
  }
  sqlite3_free(p->a);
  memset(p, 0, sizeof(*p));
}

/*
** The objects of main that migrations make: not SQLite's own (sqlite_*),
** not the bookkeeping (alembic_version, distmigrate_*), nor what belongs
** to them. Sorted by kind, then by name as SQLite compares names.
*/
static int schema_load(sqlite3 *db, Schema *p) {
  memset(p, 0, sizeof(*p));
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(
      db,
      "SELECT CASE type WHEN 'table' THEN 0 WHEN 'view' THEN 1 "
      "WHEN 'index' THEN 2 ELSE 3 END, type, name, sql FROM main.sqlite_schema "
      "WHERE sql IS NOT NULL AND name NOT GLOB 'sqlite_*' "
      "AND name NOT GLOB 'distmigrate_*' AND tbl_name NOT GLOB 'distmigrate_*' "
      "AND lower(name) <> 'alembic_version' "
      "AND lower(tbl_name) <> 'alembic_version' "
      "ORDER BY 1, lower(name)",
      -1, &pStmt, 0);
  while (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    SchemaObj *aNew = sqlite3_realloc64(p->a, sizeof(SchemaObj) * (sqlite3_uint64)(p->n + 1));
    if (!aNew) {
      rc = SQLITE_NOMEM;
      break;
    }
    p->a = aNew;
    SchemaObj *pObj = &p->a[p->n++];
    pObj->iOrder = sqlite3_column_int(pStmt, 0);
    pObj->zType = sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 1));
    pObj->zName = sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 2));
    pObj->zSql = sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 3));
    if (!pObj->zType || !pObj->zName || !pObj->zSql) rc = SQLITE_NOMEM;
  }
  if (rc == SQLITE_OK) {
    rc = sqlite3_finalize(pStmt);
  } else {
    sqlite3_finalize(pStmt);
  }
  if (rc) schema_clear(p);
  return rc;
}

static int obj_compare(const SchemaObj *a, const SchemaObj *b) {
  if (a->iOrder != b->iOrder) return a->iOrder < b->iOrder ? -1 : 1;
  return sqlite3_stricmp(a->zName, b->zName);
}

static const DmTableItem *find_item(const DmTable *p, const DmTableItem *pLike) {
  for (int i = 0; i < p->nItem; i++) {
    if (p->aItem[i].bConstraint == pLike->bConstraint &&
        strcmp(p->aItem[i].zKey, pLike->zKey) == 0) {
      return &p->aItem[i];
    }
  }
  return 0;
}

static const char *or_none(const char *z, const char *zNone) {
  return z && z[0] ? z : zNone;
}

/* Common columns of a, in a's order, as "x, y, z". */
static char *column_order(const DmTable *a, const DmTable *b) {
  sqlite3_str *pStr = sqlite3_str_new(0);
  int n = 0;
  for (int i = 0; i < a->nItem; i++) {
    if (a->aItem[i].bConstraint || !find_item(b, &a->aItem[i])) continue;
    sqlite3_str_appendf(pStr, "%s%s", n++ ? ", " : "", a->aItem[i].zName);
  }
  if (sqlite3_str_errcode(pStr)) {
    sqlite3_free(sqlite3_str_finish(pStr));
    return 0;
  }
  char *z = sqlite3_str_finish(pStr);
  return z ? z : sqlite3_mprintf("");
}

/* Columns of pExp that pLive lacks, then columns of pLive that pExp lacks. */
static int diff_column_sets(DmDiffList *pList, const char *zName, const DmTable *pExp,
                            const DmTable *pLive) {
  int rc = SQLITE_OK;
  for (int i = 0; rc == SQLITE_OK && i < pExp->nItem; i++) {
    const DmTableItem *e = &pExp->aItem[i];
    if (e->bConstraint || find_item(pLive, e)) continue;
    rc = add_diff(pList, "table", zName, sqlite3_mprintf("missing column %s", e->zName),
                  e->zLine, 0);
  }
  for (int i = 0; rc == SQLITE_OK && i < pLive->nItem; i++) {
    const DmTableItem *l = &pLive->aItem[i];
    if (l->bConstraint || find_item(pExp, l)) continue;
    rc = add_diff(pList, "table", zName, sqlite3_mprintf("extra column %s", l->zName),
                  0, l->zLine);
  }
  return rc;
}

/* Columns both have, defined differently. */
static int diff_column_types(DmDiffList *pList, const char *zName, const DmTable *pExp,
                             const DmTable *pLive) {
  int rc = SQLITE_OK;
  for (int i = 0; rc == SQLITE_OK && i < pExp->nItem; i++) {
    const DmTableItem *e = &pExp->aItem[i];
    const DmTableItem *l = e->bConstraint ? 0 : find_item(pLive, e);
    if (!l || strcmp(e->zNormal, l->zNormal) == 0) continue;
    rc = add_diff(pList, "table", zName,
                  sqlite3_mprintf("column %s is %s, expected %s", e->zName,
                                  or_none(l->zBody, "(no type)"),
                                  or_none(e->zBody, "(no type)")),
                  e->zLine, l->zLine);
  }
  return rc;
}

/* The columns both have, in another order. */
static int diff_column_order(DmDiffList *pList, const char *zName, const DmTable *pExp,
                             const DmTable *pLive) {
  int rc = SQLITE_OK;
  char *zExpOrder = column_order(pExp, pLive);
  char *zLiveOrder = column_order(pLive, pExp);
  if (!zExpOrder || !zLiveOrder) {
    rc = SQLITE_NOMEM;
  } else if (sqlite3_stricmp(zExpOrder, zLiveOrder) != 0) {
    rc = add_diff(pList, "table", zName,
                  sqlite3_mprintf("columns in the order %s, expected %s", zLiveOrder,
                                  zExpOrder),
                  zExpOrder, zLiveOrder);
  }
  sqlite3_free(zExpOrder);
  sqlite3_free(zLiveOrder);
  return rc;
}

/* Table constraints missing or changed, then extra ones. */
static int diff_constraints(DmDiffList *pList, const char *zName, const DmTable *pExp,
                            const DmTable *pLive) {
  int rc = SQLITE_OK;
  for (int i = 0; rc == SQLITE_OK && i < pExp->nItem; i++) {
    const DmTableItem *e = &pExp->aItem[i];
    if (!e->bConstraint) continue;
    const DmTableItem *l = find_item(pLive, e);
    if (!l) {
      rc = add_diff(pList, "table", zName,
                    sqlite3_mprintf("missing constraint %s", e->zLine), e->zLine, 0);
    } else if (strcmp(e->zNormal, l->zNormal) != 0) {
      rc = add_diff(pList, "table", zName,
                    sqlite3_mprintf("constraint %s is %s, expected %s", e->zName,
                                    l->zBody, e->zBody),
                    e->zLine, l->zLine);
    }
  }
  for (int i = 0; rc == SQLITE_OK && i < pLive->nItem; i++) {
    const DmTableItem *l = &pLive->aItem[i];
    if (!l->bConstraint || find_item(pExp, l)) continue;
    rc = add_diff(pList, "table", zName,
                  sqlite3_mprintf("extra constraint %s", l->zLine), 0, l->zLine);
  }
  return rc;
}

/* What differs between two tables of the same name, line by line. */
static int compare_tables(DmDiffList *pList, const char *zName, const DmTable *pExp,
                          const DmTable *pLive) {
  int rc = diff_column_sets(pList, zName, pExp, pLive);
  if (rc == SQLITE_OK) rc = diff_column_types(pList, zName, pExp, pLive);
  if (rc == SQLITE_OK) rc = diff_column_order(pList, zName, pExp, pLive);
  if (rc == SQLITE_OK) rc = diff_constraints(pList, zName, pExp, pLive);
  if (rc == SQLITE_OK && strcmp(pExp->zOptionsNormal, pLive->zOptionsNormal) != 0) {
    rc = add_diff(pList, "table", zName,
                  sqlite3_mprintf("table options are %s, expected %s",
                                  or_none(pLive->zOptions, "(none)"),
                                  or_none(pExp->zOptions, "(none)")),
                  pExp->zOptions, pLive->zOptions);
  }
  return rc;
}

/* Two objects of the same kind and name. */
static int compare_objects(DmDiffList *pList, const SchemaObj *pExp,
                           const SchemaObj *pLive) {
  char *zExpNormal = dm_sql_normal(pExp->zSql, (int)strlen(pExp->zSql));
  char *zLiveNormal = dm_sql_normal(pLive->zSql, (int)strlen(pLive->zSql));
  char *zExpLine = dm_sql_line(pExp->zSql, (int)strlen(pExp->zSql), 0);
  char *zLiveLine = dm_sql_line(pLive->zSql, (int)strlen(pLive->zSql), 0);
  int rc = SQLITE_OK;
  if (!zExpNormal || !zLiveNormal || !zExpLine || !zLiveLine) {
    rc = SQLITE_NOMEM;
  } else if (strcmp(zExpNormal, zLiveNormal) != 0) {
    int nBefore = pList->n;
    if (strcmp(pExp->zType, "table") == 0) {
      DmTable exp, live;
      int rcExp = dm_table_parse(pExp->zSql, &exp);
      int rcLive = dm_table_parse(pLive->zSql, &live);
      if (rcExp == SQLITE_NOMEM || rcLive == SQLITE_NOMEM) {
        rc = SQLITE_NOMEM;
      } else if (rcExp == SQLITE_OK && rcLive == SQLITE_OK) {
        rc = compare_tables(pList, pExp->zName, &exp, &live);
      }
      dm_table_clear(&exp);
      dm_table_clear(&live);
    }
    /* Not a table, or a difference the parts do not show (the table
    ** name's own spelling, a virtual table's arguments): the whole. */
    if (rc == SQLITE_OK && pList->n == nBefore) {
      rc = add_diff(pList, pExp->zType, pExp->zName,
                    sqlite3_mprintf("is %s, expected %s", zLiveLine, zExpLine),
                    zExpLine, zLiveLine);
    }
  }
  sqlite3_free(zExpNormal);
  sqlite3_free(zLiveNormal);
  sqlite3_free(zExpLine);
  sqlite3_free(zLiveLine);
  return rc;
}

static int compare_schemas(sqlite3 *pExpDb, sqlite3 *pLiveDb, DmDiffList *pList) {
  Schema exp, live;
  int rc = schema_load(pExpDb, &exp);
  if (rc) return rc;
  rc = schema_load(pLiveDb, &live);
  if (rc) {
    schema_clear(&exp);
    return rc;
  }
  int i = 0, j = 0;
  while (rc == SQLITE_OK && (i < exp.n || j < live.n)) {
    int c = i >= exp.n ? 1 : j >= live.n ? -1 : obj_compare(&exp.a[i], &live.a[j]);
    if (c < 0) {
      const SchemaObj *p = &exp.a[i++];
      char *zLine = dm_sql_line(p->zSql, (int)strlen(p->zSql), 0);
      rc = zLine ? add_diff(pList, p->zType, p->zName, sqlite3_mprintf("missing"),
                            zLine, 0)
                 : SQLITE_NOMEM;
      sqlite3_free(zLine);
    } else if (c > 0) {
      const SchemaObj *p = &live.a[j++];
      char *zLine = dm_sql_line(p->zSql, (int)strlen(p->zSql), 0);
      rc = zLine ? add_diff(pList, p->zType, p->zName, sqlite3_mprintf("extra"),
                            0, zLine)
                 : SQLITE_NOMEM;
      sqlite3_free(zLine);
    } else {
      rc = compare_objects(pList, &exp.a[i++], &live.a[j++]);
    }
  }
  schema_clear(&exp);
  schema_clear(&live);
  return rc;
}

/* ---- the whole check ------------------------------------------------------- */

int dm_check(sqlite3 *db, const DmSet *pSet, const DmFlags *aApplied,
             DmDiffList *pList, char **pzErr) {
  memset(pList, 0, sizeof(*pList));
  DmFlags *aRead = 0;
  sqlite3 *pMem = 0;
  int nRow = 0;
  char **azRow = 0;
  /* One read transaction: the version and the schema read together. A
  ** statement paused on its row holds it (SQLite ends an automatic read
  ** transaction when its last statement ends), and unlike a SAVEPOINT it
  ** ends by being finalized, which works after an out-of-memory error too,
  ** when SQLite would run no RELEASE or ROLLBACK until the caller's
  ** statement ends. */
  sqlite3_stmt *pHold = 0;
  int rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM main.sqlite_schema", -1, &pHold, 0);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(pHold);
    if (rc == SQLITE_ROW) rc = SQLITE_OK;
  }
  if (rc) {
    if (rc != SQLITE_NOMEM) {
      *pzErr = dm_error_text(db, rc, "migrate_check", 0);
    }
    sqlite3_finalize(pHold);
    return rc;
  }
  if (!aApplied) {
    aRead = sqlite3_malloc64((sqlite3_uint64)pSet->nRev + 1);
    rc = aRead ? dm_read_version(db, &nRow, &azRow, pzErr) : SQLITE_NOMEM;
    if (rc == SQLITE_OK) {
      rc = dm_applied_from_rows(pSet, nRow, (const char *const *)azRow, aRead, pzErr);
    }
    aApplied = aRead;
  }
  if (rc == SQLITE_OK) {
    pList->zVersion = dm_describe(pSet, aApplied, "base");
    if (!pList->zVersion) rc = SQLITE_NOMEM;
  }
  if (rc == SQLITE_OK) rc = check_checksums(db, pSet, aApplied, pList);
  if (rc == SQLITE_OK) rc = dm_replay(pSet, aApplied, &pMem, 0, pzErr);
  if (rc == SQLITE_OK) rc = compare_schemas(pMem, db, pList);
  if (rc && rc != SQLITE_NOMEM && !*pzErr) {
    *pzErr = dm_error_text(db, rc, "migrate_check", 0);
  }
  if (rc == SQLITE_NOMEM) {
    /* Out of memory is said as SQLite says it, whatever step ran out. */
    sqlite3_free(*pzErr);
    *pzErr = 0;
  }
  sqlite3_close(pMem);
  sqlite3_finalize(pHold);
  sqlite3_free(azRow);
  sqlite3_free(aRead);
  if (rc) dm_diff_clear(pList);
  return rc;
}
