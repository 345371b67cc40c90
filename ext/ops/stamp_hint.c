/*
** The hint for a database that has a schema but no alembic_version row
** (made by hand, by create_all(), or restored without its bookkeeping):
** which revision's schema it has, found by comparing its model with the
** migrations replayed to each revision (see check.h).
*/
#include <string.h>

#include "ops/check.h"
#include "ops/replay.h"
#include "schema/model.h"

SQLITE_EXTENSION_INIT3

/* No line: the models are equal. */
static int count_line(void *pArg, const char *zObject, const char *zKind, const char *zLine) {
  (void)zObject;
  (void)zKind;
  (void)zLine;
  (*(int *)pArg)++;
  return SQLITE_OK;
}

/* Whether the migrations at revision i (and what it needs) give pLive. */
static int revision_matches(const DmSet *pSet, int i, const DmSchema *pLive, DmFlags *aFlags,
                            int *pbMatch) {
  const char *zId = pSet->aRev[i].zId;
  char *zErr = 0;
  sqlite3 *pMem = 0;
  DmSchema *pAt = 0;
  int nLine = 0;
  *pbMatch = 0;
  int rc = dm_applied_from_rows(pSet, 1, &zId, aFlags, &zErr);
  if (rc == SQLITE_OK) rc = dm_replay(pSet, aFlags, &pMem, 0, &zErr);
  if (rc == SQLITE_OK) rc = dm_schema_read(pMem, "main", &pAt, &zErr);
  if (rc == SQLITE_OK) rc = dm_schema_compare(pAt, pLive, "", "", count_line, &nLine);
  *pbMatch = rc == SQLITE_OK && nLine == 0;
  dm_schema_free(pAt);
  sqlite3_close(pMem);
  sqlite3_free(zErr);
  return rc;
}

char *dm_stamp_hint(sqlite3 *db, const DmSet *pSet) {
  int nRow = 0;
  char **azRow = 0;
  char *zErr = 0;
  DmSchema *pLive = 0;
  sqlite3_str *pMatch = sqlite3_str_new(0);
  int nMatch = 0;
  const char *zFirst = 0;
  int rc = dm_read_version(db, &nRow, &azRow, &zErr);
  if (rc == SQLITE_OK && nRow == 0) rc = dm_schema_read(db, "main", &pLive, &zErr);
  DmFlags *aFlags = sqlite3_malloc64((sqlite3_uint64)pSet->nRev + 1);
  for (int i = 0; rc == SQLITE_OK && pLive && pLive->nTable > 0 && aFlags && i < pSet->nRev;
       i++) {
    int bMatch = 0;
    rc = revision_matches(pSet, i, pLive, aFlags, &bMatch);
    if (!bMatch) continue;
    if (!zFirst) zFirst = pSet->aRev[i].zId;
    sqlite3_str_appendf(pMatch, "%s%s", nMatch++ ? ", " : "", pSet->aRev[i].zId);
  }
  char *zList = sqlite3_str_finish(pMatch);
  char *zHint = 0;
  if (rc == SQLITE_OK && nMatch == 1 && zList) {
    zHint = sqlite3_mprintf(
        "this database has the schema of %s but no alembic_version row, so the run "
        "started from base; if its data is at %s too, record that with SELECT "
        "migrate_stamp('%s'), then upgrade",
        zFirst, zFirst, zFirst);
  } else if (rc == SQLITE_OK && nMatch > 1 && zList) {
    zHint = sqlite3_mprintf(
        "this database has the schema of each of %s (they differ in data only) but no "
        "alembic_version row, so the run started from base; record the one its data is "
        "at with SELECT migrate_stamp('...'), then upgrade",
        zList);
  }
  sqlite3_free(zList);
  sqlite3_free(aFlags);
  dm_schema_free(pLive);
  sqlite3_free(azRow);
  sqlite3_free(zErr);
  return zHint;
}
