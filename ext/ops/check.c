/*
** Checksums and drift detection by replay into :memory: (see check.h).
**
** The live schema and the replayed one are each read into a schema model
** (schema/model.h: what SQLite's pragmas say, and the CREATE text's
** tokens for the rest) and the two models compared: a difference is one
** line naming the object and what differs, and two schemas that mean the
** same (quoting, case, spacing, comments, constraint order) are equal.
*/
#include "ops/check.h"

#include <string.h>

#include "ops/replay.h"
#include "schema/diff.h"
#include "run/errors.h"
#include "schema/model.h"
#include "sqltext/sqltext.h"

SQLITE_EXTENSION_INIT3

/* ---- the list ------------------------------------------------------------ */

/* Append a difference; takes ownership of zWhat, the whole line. */
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

char *dm_diff_lines(const DmDiffList *pList) {
  sqlite3_str *pStr = sqlite3_str_new(0);
  for (int i = 0; i < pList->n; i++) {
    const DmDiff *p = &pList->a[i];
    sqlite3_str_appendf(pStr, "%s  %s", i ? "\n" : "", p->zWhat);
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
                  sqlite3_mprintf("migration %s: edited since it was applied (checksum "
                                  "%.12s applied, %.12s in this build)",
                                  pRev->zId, azSum[i], pRev->zChecksum),
                  pRev->zChecksum, azSum[i]);
  }
  for (int i = 0; i < pSet->nRev; i++) sqlite3_free(azSum[i]);
  sqlite3_free(azSum);
  return rc;
}

/* ---- the schemas ------------------------------------------------------------ */

typedef struct Collect Collect;
struct Collect {
  DmDiffList *pList;
  const DmSchema *pExp;   /* The migrations' */
  const DmSchema *pLive;  /* The database's */
};

/* The stored SQL of object zName of kind zKind in p, on one line; 0 if p
** has none (*pbNoMem set if the line could not be made). */
static char *object_line(const DmSchema *p, const char *zKind, const char *zName, int *pbNoMem) {
  const char *zSql = 0;
  if (strcmp(zKind, "table") == 0) {
    const DmSchemaTable *t = dm_schema_table(p, zName);
    zSql = t ? t->zSql : 0;
  } else if (strcmp(zKind, "index") == 0) {
    const DmIndex *x = dm_schema_index(p, zName);
    zSql = x ? x->zSql : 0;
  } else {
    const DmSchemaObject *o = strcmp(zKind, "view") == 0 ? dm_schema_view(p, zName)
                                                         : dm_schema_trigger(p, zName);
    zSql = o ? o->zSql : 0;
  }
  if (!zSql) return 0;
  char *z = dm_sql_line(zSql, (int)strlen(zSql), 0);
  if (!z) *pbNoMem = 1;
  return z;
}

/* One line of dm_schema_compare(): a row, with the object's definition
** on each side as expected and actual. */
static int collect_line(void *pArg, const char *zObject, const char *zKind, const char *zLine) {
  Collect *c = pArg;
  int bNoMem = 0;
  char *zExpected = object_line(c->pExp, zKind, zObject, &bNoMem);
  char *zActual = object_line(c->pLive, zKind, zObject, &bNoMem);
  int rc = bNoMem ? SQLITE_NOMEM
                  : add_diff(c->pList, zKind, zObject, sqlite3_mprintf("%s", zLine),
                             zExpected, zActual);
  sqlite3_free(zExpected);
  sqlite3_free(zActual);
  return rc;
}

/* The replay's model against the live one: "the migrations" say what
** should be, "the database" what is. */
static int compare_schemas(sqlite3 *pExpDb, sqlite3 *pLiveDb, DmDiffList *pList,
                           char **pzRepair, char **pzErr) {
  DmSchema *pExp = 0, *pLive = 0;
  int rc = dm_schema_read(pExpDb, "main", &pExp, pzErr);
  if (rc == SQLITE_OK) rc = dm_schema_read(pLiveDb, "main", &pLive, pzErr);
  if (rc == SQLITE_OK) {
    Collect c = {pList, pExp, pLive};
    rc = dm_schema_compare(pExp, pLive, "the migrations", "the database", collect_line, &c);
  }
  /* The repair: the diff from what the database has to what the
  ** migrations give, keeping rows as any diff does. */
  if (rc == SQLITE_OK && pzRepair) rc = dm_schema_diff(pLive, pExp, pzRepair, pzErr);
  dm_schema_free(pExp);
  dm_schema_free(pLive);
  return rc;
}

/* ---- the whole check ------------------------------------------------------- */

int dm_check(sqlite3 *db, const DmSet *pSet, const DmFlags *aApplied,
             DmDiffList *pList, char **pzErr) {
  return dm_check_ex(db, pSet, aApplied, pList, 0, pzErr);
}

int dm_check_ex(sqlite3 *db, const DmSet *pSet, const DmFlags *aApplied,
                DmDiffList *pList, char **pzRepair, char **pzErr) {
  memset(pList, 0, sizeof(*pList));
  if (pzRepair) *pzRepair = 0;
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
  if (rc == SQLITE_OK) rc = compare_schemas(pMem, db, pList, pzRepair, pzErr);
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
  if (rc) {
    dm_diff_clear(pList);
    if (pzRepair) {
      sqlite3_free(*pzRepair);
      *pzRepair = 0;
    }
  }
  return rc;
}
