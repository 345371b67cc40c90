/*
** migrate_show(rev): Alembic's `alembic show REV`. The header as Alembic's
** Script.log_entry prints it (Rev with its head, branch point and merge
** point marks, Parent or Merges, Also depends on, Branches into, Branch
** names, Path, then the file's header text indented by four spaces), then
** the up and down sections as they are written in the file.
*/
#include <string.h>

#include "api/api.h"
#include "graph/revision.h"

SQLITE_EXTENSION_INIT3

/* "a, b" of revision indexes, or zNone when there are none. */
static void append_ids(sqlite3_str *pStr, const DmSet *pSet, const int *aIdx, int n,
                       const char *zNone) {
  if (n == 0) sqlite3_str_appendall(pStr, zNone);
  for (int i = 0; i < n; i++) {
    sqlite3_str_appendf(pStr, "%s%s", i ? ", " : "", pSet->aRev[aIdx[i]].zId);
  }
}

/* The revisions whose "Revises:" names iRev, into aChild; how many. */
static int children(const DmSet *pSet, int iRev, int *aChild) {
  int n = 0;
  for (int i = iRev + 1; i < pSet->nRev; i++) {
    const DmRevision *p = &pSet->aRev[i];
    for (int k = 0; k < p->nParent; k++) {
      if (p->aParent[k] == iRev) aChild[n++] = i;
    }
  }
  return n;
}

/* The file's header, as its docstring holds it in Alembic, indented. */
static void append_doc(sqlite3_str *pStr, const DmSet *pSet, const DmRevision *pRev) {
  sqlite3_str_appendf(pStr, "\n    %s\n\n    Revision ID: %s\n    Revises:", pRev->zMessage,
                      pRev->zId);
  if (pRev->nParent) sqlite3_str_appendchar(pStr, 1, ' ');
  append_ids(pStr, pSet, pRev->aParent, pRev->nParent, "");
  sqlite3_str_appendchar(pStr, 1, '\n');
  if (pRev->zCreateDate[0]) {
    sqlite3_str_appendf(pStr, "    Create Date: %s\n", pRev->zCreateDate);
  }
  sqlite3_str_appendchar(pStr, 1, '\n');
}

/* A section's text, ending with a newline. */
static void append_section(sqlite3_str *pStr, const char *zMarker, const char *zSql) {
  size_t n = strlen(zSql);
  sqlite3_str_appendf(pStr, "%s\n%s%s", zMarker, zSql,
                      n && zSql[n - 1] == '\n' ? "" : "\n");
}

/* One revision's entry; aScratch has room for nRev ints. */
static int append_entry(sqlite3_str *pStr, const DmSet *pSet, int iRev, int bHead,
                        int *aScratch) {
  const DmRevision *pRev = &pSet->aRev[iRev];
  int nChild = children(pSet, iRev, aScratch);
  char *zLabels = dm_branch_labels(pSet, iRev);
  if (!zLabels) return SQLITE_NOMEM;
  sqlite3_str_appendf(pStr, "Rev: %s%s%s%s\n", pRev->zId, bHead ? " (head)" : "",
                      nChild > 1 ? " (branchpoint)" : "",
                      pRev->nParent > 1 ? " (mergepoint)" : "");
  sqlite3_str_appendall(pStr, pRev->nParent > 1 ? "Merges: " : "Parent: ");
  append_ids(pStr, pSet, pRev->aParent, pRev->nParent, "<base>");
  sqlite3_str_appendchar(pStr, 1, '\n');
  if (pRev->nDepend) {
    sqlite3_str_appendall(pStr, "Also depends on: ");
    append_ids(pStr, pSet, pRev->aDepend, pRev->nDepend, "");
    sqlite3_str_appendchar(pStr, 1, '\n');
  }
  if (nChild > 1) {
    sqlite3_str_appendall(pStr, "Branches into: ");
    append_ids(pStr, pSet, aScratch, nChild, "");
    sqlite3_str_appendchar(pStr, 1, '\n');
  }
  if (zLabels[0]) sqlite3_str_appendf(pStr, "Branch names: %s\n", zLabels);
  sqlite3_free(zLabels);
  sqlite3_str_appendf(pStr, "Path: %s\n", pRev->zFile);
  append_doc(pStr, pSet, pRev);
  append_section(pStr, "-- migrate:up", pRev->zUp);
  append_section(pStr, "-- migrate:down", pRev->zDown);
  return SQLITE_OK;
}

/*
** The revisions 'current' names: alembic_version's rows, in the set's
** order. A row this build does not know is refused as a run refuses it.
*/
static int current_points(sqlite3 *db, const DmSet *pSet, DmFlags *aApplied, int *aPoint,
                          int *pnPoint, char **pzErr) {
  int nRow = 0;
  char **azRow = 0;
  int rc = dm_read_version(db, &nRow, &azRow, pzErr);
  if (rc == SQLITE_OK) {
    rc = dm_applied_from_rows(pSet, nRow, (const char *const *)azRow, aApplied, pzErr);
  }
  sqlite3_free(azRow);
  if (rc == SQLITE_OK) *pnPoint = dm_heads(pSet, aApplied, 1, aPoint);
  return rc;
}

/* Scratch for one call: four arrays of nRev entries in one allocation. */
typedef struct ShowScratch ShowScratch;
struct ShowScratch {
  int *aPoint, *aHead, *aChild;
  DmFlags *aApplied;
};

static int scratch_new(ShowScratch *p, int n) {
  p->aPoint = sqlite3_malloc64((sizeof(int) * 3 + 1) * (sqlite3_uint64)(n + 1));
  if (!p->aPoint) return SQLITE_NOMEM;
  p->aHead = p->aPoint + n + 1;
  p->aChild = p->aHead + n + 1;
  p->aApplied = (DmFlags *)(p->aChild + n + 1);
  memset(p->aApplied, 0, (size_t)n + 1);
  return SQLITE_OK;
}

static int contains(const int *a, int n, int v) {
  for (int i = 0; i < n; i++) {
    if (a[i] == v) return 1;
  }
  return 0;
}

/*
** The entries of what zTarget names, an empty line between two, into
** *pzOut; 0 there when it names none (base, or 'current' at base).
*/
static int show_text(sqlite3 *db, const DmSet *pSet, const char *zTarget, char **pzOut,
                     char **pzErr) {
  ShowScratch s;
  int nPoint = 0;
  *pzOut = 0;
  int rc = scratch_new(&s, pSet->nRev);
  if (rc == SQLITE_OK && strcmp(zTarget, "current") == 0) {
    rc = current_points(db, pSet, s.aApplied, s.aPoint, &nPoint, pzErr);
  } else if (rc == SQLITE_OK) {
    rc = dm_points(pSet, zTarget, s.aPoint, &nPoint, pzErr);
  }
  if (rc == SQLITE_OK && nPoint > 0) {
    int nHead = dm_heads(pSet, 0, 0, s.aHead);
    sqlite3_str *pStr = sqlite3_str_new(0);
    for (int i = 0; i < nPoint && rc == SQLITE_OK; i++) {
      if (i > 0) sqlite3_str_appendchar(pStr, 1, '\n');
      rc = append_entry(pStr, pSet, s.aPoint[i], contains(s.aHead, nHead, s.aPoint[i]),
                        s.aChild);
    }
    char *z = sqlite3_str_finish(pStr);
    if (rc == SQLITE_OK && !z) rc = SQLITE_NOMEM;
    if (rc == SQLITE_OK) *pzOut = z; else sqlite3_free(z);
  }
  sqlite3_free(s.aPoint);
  return rc;
}

void dm_show_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  if (!dm_check_argc(ctx, "migrate_show('head') or migrate_show('<revision>')", argc, 1, 1)) {
    return;
  }
  char *zErr = 0;
  const char *zTarget = 0;
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    zErr = sqlite3_mprintf("migrate_show(NULL): the revision is NULL; give 'head', "
                           "'current', a revision id or a unique prefix of one");
  } else {
    zTarget = dm_target_text(argv[0], "migrate_show", "head", &zErr);
  }
  char *zOut = 0;
  int rc = zTarget ? show_text(sqlite3_context_db_handle(ctx), &dm_set, zTarget, &zOut, &zErr)
                   : SQLITE_ERROR;
  if (rc) {
    dm_result_error(ctx, rc, zErr);
  } else if (zOut) {
    sqlite3_result_text(ctx, zOut, -1, sqlite3_free);
  }
}
