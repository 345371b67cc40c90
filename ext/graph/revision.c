/*
** The revision graph. Edges go from a revision to its parents ("Revises:")
** and its dependencies ("Depends On:"). DmSet.aRev is in topological order,
** so one pass in index order (or its reverse) walks the graph.
*/
#include "graph/revision.h"

#include "graph/nearest.h"

#include <string.h>

#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT3

/* Does revision iChild point at iRev through a parent (or dependency)? */
static int has_edge(const DmRevision *pChild, int iRev, int bDepends) {
  for (int j = 0; j < pChild->nParent; j++) {
    if (pChild->aParent[j] == iRev) return 1;
  }
  if (bDepends) {
    for (int j = 0; j < pChild->nDepend; j++) {
      if (pChild->aDepend[j] == iRev) return 1;
    }
  }
  return 0;
}

static int same(const char *z, const char *zText, int nText) {
  return (int)strlen(z) == nText && memcmp(z, zText, (size_t)nText) == 0;
}

int dm_find(const DmSet *pSet, const char *zId, int nId) {
  for (int i = 0; i < pSet->nRev; i++) {
    if (same(pSet->aRev[i].zId, zId, nId)) return i;
  }
  return -1;
}

int dm_find_label(const DmSet *pSet, const char *zLabel, int n) {
  for (int i = 0; i < pSet->nRev; i++) {
    for (int j = 0; j < pSet->aRev[i].nLabel; j++) {
      if (same(pSet->aRev[i].azLabel[j], zLabel, n)) return i;
    }
  }
  return -1;
}

int dm_heads(const DmSet *pSet, const DmFlags *aIn, int bDepends, int *aHead) {
  int nHead = 0;
  for (int i = 0; i < pSet->nRev; i++) {
    if (aIn && !aIn[i]) continue;
    int bReached = 0;
    for (int j = i + 1; j < pSet->nRev && !bReached; j++) {
      if (aIn && !aIn[j]) continue;
      bReached = has_edge(&pSet->aRev[j], i, bDepends);
    }
    if (!bReached) aHead[nHead++] = i;
  }
  return nHead;
}

void dm_close_down(const DmSet *pSet, DmFlags *a) {
  for (int i = pSet->nRev - 1; i >= 0; i--) {
    if (!a[i]) continue;
    const DmRevision *p = &pSet->aRev[i];
    for (int j = 0; j < p->nParent; j++) a[p->aParent[j]] = 1;
    for (int j = 0; j < p->nDepend; j++) a[p->aDepend[j]] = 1;
  }
}

/* Add the ancestors of a's members through parents (and dependencies). */
static void close_down_edges(const DmSet *pSet, DmFlags *a, int bDepends) {
  for (int i = pSet->nRev - 1; i >= 0; i--) {
    if (!a[i]) continue;
    const DmRevision *p = &pSet->aRev[i];
    for (int j = 0; j < p->nParent; j++) a[p->aParent[j]] = 1;
    for (int j = 0; bDepends && j < p->nDepend; j++) a[p->aDepend[j]] = 1;
  }
}

/* Add the descendants of a's members: what reaches them through parents
** (and dependencies). */
static void close_up_edges(const DmSet *pSet, DmFlags *a, int bDepends) {
  for (int i = 0; i < pSet->nRev; i++) {
    const DmRevision *p = &pSet->aRev[i];
    for (int j = 0; j < p->nParent && !a[i]; j++) a[i] = a[p->aParent[j]];
    for (int j = 0; bDepends && j < p->nDepend && !a[i]; j++) a[i] = a[p->aDepend[j]];
  }
}

/* Mark iRev and everything that reaches it (its descendants). */
static void close_up(const DmSet *pSet, int iRev, DmFlags *a) {
  a[iRev] = 1;
  close_up_edges(pSet, a, 1);
}

/*
** The lineage of iRev: its ancestors and descendants through "Revises:"
** (and "Depends On:" if bDepends), iRev included. Alembic's "shares
** lineage": branch@... forms keep what is in the branch's lineage.
*/
static void lineage(const DmSet *pSet, int iRev, int bDepends, DmFlags *a) {
  DmFlags *aBelow = a + pSet->nRev; /* caller gives 2*nRev */
  memset(a, 0, (size_t)pSet->nRev * 2);
  a[iRev] = aBelow[iRev] = 1;
  close_up_edges(pSet, a, bDepends);
  close_down_edges(pSet, aBelow, bDepends);
  for (int i = 0; i < pSet->nRev; i++) a[i] = a[i] || aBelow[i];
}

/* Number of revisions whose "Revises:" names iRev (and, with bDepends,
** whose "Depends On:" does). */
static int n_children(const DmSet *pSet, int iRev, int bDepends) {
  int n = 0;
  for (int i = iRev + 1; i < pSet->nRev; i++) {
    if (has_edge(&pSet->aRev[i], iRev, bDepends)) n++;
  }
  return n;
}

static int contains(const int *a, int n, int v) {
  for (int i = 0; i < n; i++) {
    if (a[i] == v) return 1;
  }
  return 0;
}

static void *alloc_zero(sqlite3_int64 n) {
  void *p = sqlite3_malloc64((sqlite3_uint64)(n > 0 ? n : 1));
  if (p) memset(p, 0, (size_t)(n > 0 ? n : 1));
  return p;
}

/* sqlite3_str_finish() returns 0 for an empty string too; only OOM is. */
static char *str_finish(sqlite3_str *pStr) {
  int rc = sqlite3_str_errcode(pStr);
  char *z = sqlite3_str_finish(pStr);
  if (!z && rc == SQLITE_OK) z = sqlite3_mprintf("");
  if (rc != SQLITE_OK) {
    sqlite3_free(z);
    z = 0;
  }
  return z;
}

/* "a, b" or "'a', 'b'" lists of ids, for messages. */
static char *join_ids(const DmSet *pSet, const int *aIdx, int n,
                      const char *zSep, int bQuote) {
  sqlite3_str *pStr = sqlite3_str_new(0);
  for (int i = 0; i < n; i++) {
    if (i) sqlite3_str_appendall(pStr, zSep);
    sqlite3_str_appendf(pStr, bQuote ? "'%s'" : "%s", pSet->aRev[aIdx[i]].zId);
  }
  return str_finish(pStr);
}

char *dm_join_ids(const DmSet *pSet, const int *aIdx, int n) {
  return join_ids(pSet, aIdx, n, ", ", 0);
}

char *dm_join_strings(int n, const char *const *az) {
  sqlite3_str *pStr = sqlite3_str_new(0);
  for (int i = 0; i < n; i++) {
    sqlite3_str_appendf(pStr, "%s%s", i ? ", " : "", az[i] ? az[i] : "NULL");
  }
  return str_finish(pStr);
}

char *dm_describe(const DmSet *pSet, const DmFlags *a, const char *zBase) {
  int *aHead = alloc_zero((sqlite3_int64)sizeof(int) * pSet->nRev);
  if (!aHead) return 0;
  int nHead = dm_heads(pSet, a, 1, aHead);
  char *z = nHead ? join_ids(pSet, aHead, nHead, ", ", 0) : sqlite3_mprintf("%s", zBase);
  sqlite3_free(aHead);
  return z;
}

/*
** Where a label applies, as Alembic's RevisionMap._add_branches computes
** it: the declaring revision, all its descendants through "Revises:", and
** its ancestors while they are neither a merge nor a branch point (Alembic
** counts dependents there too: a revision another one depends on is a
** "real" branch point). Alembic 1.8 starts that downward walk from the
** last descendant it visited rather than from the declaring revision, so
** a label declared below a merge stops at the merge; the documentation
** ("all ancestors of this revision up until the preceding branch point")
** is followed here.
*/
static int label_applies(const DmSet *pSet, int iDecl, int iRev, DmFlags *aTmp) {
  memset(aTmp, 0, (size_t)pSet->nRev);
  aTmp[iDecl] = 1;
  close_up_edges(pSet, aTmp, 0);
  if (aTmp[iRev]) return 1;
  int i = iDecl;
  while (n_children(pSet, i, 1) <= 1 && pSet->aRev[i].nParent <= 1) {
    if (i == iRev) return 1;
    if (pSet->aRev[i].nParent == 0) break;
    i = pSet->aRev[i].aParent[0];
  }
  return 0;
}

char *dm_branch_labels(const DmSet *pSet, int iRev) {
  DmFlags *aTmp = alloc_zero(pSet->nRev);
  if (!aTmp) return 0;
  sqlite3_str *pStr = sqlite3_str_new(0);
  int nOut = 0;
  for (int i = 0; i < pSet->nRev; i++) {
    if (pSet->aRev[i].nLabel == 0 || !label_applies(pSet, i, iRev, aTmp)) continue;
    for (int j = 0; j < pSet->aRev[i].nLabel; j++) {
      sqlite3_str_appendf(pStr, "%s%s", nOut++ ? ", " : "", pSet->aRev[i].azLabel[j]);
    }
  }
  sqlite3_free(aTmp);
  return str_finish(pStr);
}

char *dm_parents_text(const DmSet *pSet, int iRev) {
  const DmRevision *p = &pSet->aRev[iRev];
  return join_ids(pSet, p->aParent, p->nParent, ", ", 0);
}

/* ---- alembic_version's rows ---------------------------------------------- */

#define ROWS_LISTED 10 /* Rows a message lists before "..." */

/* The rows for messages, as stored: 'a', NULL, 'b'; past ROWS_LISTED, "...". */
static char *rows_text(int nRow, const char *const *azRow) {
  sqlite3_str *pStr = sqlite3_str_new(0);
  for (int r = 0; r < nRow && r < ROWS_LISTED; r++) {
    sqlite3_str_appendf(pStr, "%s%Q", r ? ", " : "", azRow[r]);
  }
  if (nRow > ROWS_LISTED) sqlite3_str_appendf(pStr, ", ... (%d rows)", nRow);
  return str_finish(pStr);
}

/* A row whose version_num is NULL: it names no revision. */
static char *null_row_error(int nRow, const char *const *azRow, const char *zRows) {
  int nKnown = 0;
  const char *zKnown = 0;
  for (int r = 0; r < nRow; r++) {
    if (azRow[r]) zKnown = azRow[r], nKnown++;
  }
  if (nKnown == 1) {
    return sqlite3_mprintf(
        "alembic_version holds %s: a row with no revision (NULL), which "
        "Alembic never writes; if the schema is at '%s', repair it with "
        "SELECT migrate_stamp('%s', 'purge')",
        zRows, zKnown, zKnown);
  }
  return sqlite3_mprintf(
      "alembic_version holds %s: a row with no revision (NULL), which Alembic "
      "never writes; record the revision the schema is at with SELECT "
      "migrate_stamp('<rev>', 'purge'), or SELECT migrate_stamp('base', "
      "'purge') if it is at base",
      zRows);
}

/* A row this build does not know. */
static char *unknown_row_error(const char *zRow, const char *zRows) {
  return sqlite3_mprintf(
      "Can't locate revision identified by '%s': the database is at a "
      "revision this build of distmigrate does not know (a newer build "
      "migrated it?); alembic_version holds %s; load the distmigrate that "
      "carries '%s', or, if the schema is at a revision this build knows, "
      "record that with SELECT migrate_stamp('<rev>', 'purge')",
      zRow, zRows, zRow);
}

/* The same revision twice: only a table without its primary key allows it. */
static char *duplicate_row_error(const char *zRow, const char *zRows) {
  return sqlite3_mprintf(
      "alembic_version holds %s: '%s' twice, which Alembic never writes (the "
      "table has lost its primary key?); if the schema is at '%s', repair it "
      "with SELECT migrate_stamp('%s', 'purge')",
      zRows, zRow, zRow, zRow);
}

/* A row that another row reaches: Alembic keeps only the heads. */
static char *ancestor_row_error(const char *zBelow, const char *zAbove,
                                const char *zRows) {
  return sqlite3_mprintf(
      "alembic_version holds %s, but '%s' is an ancestor of '%s', so the "
      "table is inconsistent; if the schema is at '%s', repair it with "
      "SELECT migrate_stamp('%s', 'purge')",
      zRows, zBelow, zAbove, zAbove, zAbove);
}

/* What can be wrong with alembic_version's rows. */
enum { ROWS_OK, ROWS_NULL, ROWS_UNKNOWN, ROWS_TWICE, ROWS_BELOW };

/*
** What is wrong with the rows, checked in this order: a NULL row, a row
** this build does not know, a row twice, a row below another. *piRow is
** the row concerned, *piAbove the row above it (ROWS_BELOW). Fills aIdx
** (room for nRow) with the rows' revisions; aAbove is nRev of scratch.
*/
static int rows_problem(const DmSet *pSet, int nRow, const char *const *azRow,
                        int *aIdx, DmFlags *aAbove, int *piRow, int *piAbove) {
  for (int r = 0; r < nRow; r++) {
    *piRow = r;
    if (!azRow[r]) return ROWS_NULL;
  }
  for (int r = 0; r < nRow; r++) {
    *piRow = r;
    aIdx[r] = dm_find(pSet, azRow[r], (int)strlen(azRow[r]));
    if (aIdx[r] < 0) return ROWS_UNKNOWN;
    for (int k = 0; k < r; k++) {
      if (aIdx[k] == aIdx[r]) return ROWS_TWICE;
    }
  }
  for (int r = 0; r < nRow; r++) {
    memset(aAbove, 0, (size_t)pSet->nRev);
    close_up(pSet, aIdx[r], aAbove);
    for (int k = 0; k < nRow; k++) {
      *piRow = r;
      *piAbove = k;
      if (k != r && aAbove[aIdx[k]]) return ROWS_BELOW;
    }
  }
  return ROWS_OK;
}

/* The message for a problem rows_problem() found; 0 on OOM. */
static char *rows_error(int eProblem, int nRow, const char *const *azRow,
                        int iRow, int iAbove) {
  char *zRows = rows_text(nRow, azRow);
  char *z = 0;
  if (zRows && eProblem == ROWS_NULL) z = null_row_error(nRow, azRow, zRows);
  if (zRows && eProblem == ROWS_UNKNOWN) z = unknown_row_error(azRow[iRow], zRows);
  if (zRows && eProblem == ROWS_TWICE) z = duplicate_row_error(azRow[iRow], zRows);
  if (zRows && eProblem == ROWS_BELOW) {
    z = ancestor_row_error(azRow[iRow], azRow[iAbove], zRows);
  }
  sqlite3_free(zRows);
  return z;
}

int dm_applied_from_rows(const DmSet *pSet, int nRow, const char *const *azRow,
                         DmFlags *aApplied, char **pzErr) {
  memset(aApplied, 0, (size_t)pSet->nRev);
  int *aIdx = alloc_zero((sqlite3_int64)sizeof(int) * nRow);
  DmFlags *aAbove = alloc_zero(pSet->nRev);
  int rc = aIdx && aAbove ? SQLITE_OK : SQLITE_NOMEM;
  int iRow = 0, iAbove = 0;
  int eProblem = ROWS_OK;
  if (rc == SQLITE_OK) {
    eProblem = rows_problem(pSet, nRow, azRow, aIdx, aAbove, &iRow, &iAbove);
  }
  if (eProblem != ROWS_OK) {
    *pzErr = rows_error(eProblem, nRow, azRow, iRow, iAbove);
    rc = *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  if (rc == SQLITE_OK) {
    for (int r = 0; r < nRow; r++) aApplied[aIdx[r]] = 1;
    dm_close_down(pSet, aApplied);
  }
  sqlite3_free(aIdx);
  sqlite3_free(aAbove);
  return rc;
}

int dm_check_null_rows(int nRow, const char *const *azRow, char **pzErr) {
  for (int r = 0; r < nRow; r++) {
    if (azRow[r]) continue;
    *pzErr = rows_error(ROWS_NULL, nRow, azRow, r, 0);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

/* ------------------------------------------------------------------------
** Targets. The syntax follows Alembic:
**
**   [BRANCH@]SYMBOL | [BRANCH@][SYMBOL](+N|-N)
**
** SYMBOL is head, heads, base, a full revision id, a branch label or a
** unique prefix of either; BRANCH is a branch label or a revision (id or
** prefix) and keeps only what shares a lineage with it: left@head is the
** head of the left branch, left@+1 one step up that branch, left@-1 one
** step down it, left@base the base below it.
*/

#define TARGET_BASE (-1)   /* The point below every revision */

typedef struct Target Target;
struct Target {
  const char *zText;   /* The whole argument */
  const char *zBranch; /* BRANCH of BRANCH@..., or 0 */
  int nBranch;
  const char *zSym;    /* SYMBOL (may be empty) */
  int nSym;
  int bRelative;       /* +N / -N present */
  int nDelta;          /* Signed step count */
};

static int sym_is(const Target *p, const char *z) {
  return same(z, p->zSym, p->nSym);
}

char *dm_too_many_steps(const DmSet *pSet, const char *zWhat, int bDown,
                        const char *zAllTheWay) {
  return sqlite3_mprintf(
      "%s asks for more steps than the limit of %d, and this build's "
      "migration set has only %d revision%s; to go all the way %s, use %s",
      zWhat, DM_MAX_STEPS, pSet->nRev, pSet->nRev == 1 ? "" : "s",
      bDown ? "down" : "up", zAllTheWay);
}

static char *too_many_steps(const DmSet *pSet, const Target *p, int bDown) {
  char *zWhat = sqlite3_mprintf("Relative revision %s", p->zText);
  char *zAll = sqlite3_mprintf("'%.*s%s%s'", p->nBranch, p->zBranch ? p->zBranch : "",
                               p->zBranch ? "@" : "", bDown ? "base" : "head");
  char *z = zWhat && zAll ? dm_too_many_steps(pSet, zWhat, bDown, zAll) : 0;
  sqlite3_free(zWhat);
  sqlite3_free(zAll);
  return z;
}

/* A trailing sign and digits in SYMBOL make it a relative step. */
static int parse_step(const DmSet *pSet, Target *p, char **pzErr) {
  const char *z = p->zSym;
  int k = p->nSym;
  while (k > 0 && z[k - 1] >= '0' && z[k - 1] <= '9') k--;
  if (k == 0 || k == p->nSym || (z[k - 1] != '+' && z[k - 1] != '-')) return SQLITE_OK;
  int bDown = z[k - 1] == '-';
  sqlite3_int64 n = 0;
  for (int i = k; i < p->nSym && n <= DM_MAX_STEPS; i++) n = n * 10 + (z[i] - '0');
  if (n > DM_MAX_STEPS) {
    *pzErr = too_many_steps(pSet, p, bDown);
    return SQLITE_ERROR;
  }
  p->bRelative = 1;
  p->nDelta = bDown ? -(int)n : (int)n;
  p->nSym = k - 1;
  return SQLITE_OK;
}

/*
** No revision id or label holds '+' or '-' (dmgen refuses them), so one
** left in SYMBOL is a relative step written wrong: '+-1', '--1', '+ 1'.
*/
static int misplaced_sign(const Target *p) {
  for (int i = 0; i < p->nSym; i++) {
    if (p->zSym[i] == '+' || p->zSym[i] == '-') return 1;
  }
  return 0;
}

static int parse_target(const DmSet *pSet, const char *zText, Target *p,
                        char **pzErr) {
  memset(p, 0, sizeof(*p));
  p->zText = zText;
  p->zSym = zText;
  p->nSym = (int)strlen(zText);
  if (p->nSym == 0) {
    *pzErr = sqlite3_mprintf(
        "the target is empty: give 'head', 'base', a revision id, or a "
        "relative step such as '+1' or '-1'");
    return SQLITE_ERROR;
  }
  const char *zAt = strchr(zText, '@');
  if (zAt) {
    p->zBranch = zText;
    p->nBranch = (int)(zAt - zText);
    p->zSym = zAt + 1;
    p->nSym = (int)strlen(p->zSym);
    if (p->nBranch == 0) {
      *pzErr = sqlite3_mprintf(
          "Target '%s' has nothing before the '@': name a branch, as in "
          "'mybranch@head'",
          zText);
      return SQLITE_ERROR;
    }
  }
  int rc = parse_step(pSet, p, pzErr);
  if (rc) return rc;
  if (misplaced_sign(p)) {
    *pzErr = sqlite3_mprintf(
        "'%s' is not a valid relative revision: write +N or -N for N steps "
        "from the current revision, or REV+N or REV-N for N steps from "
        "revision REV, with N a whole number, as in '+1', '-1' or 'head-1'",
        zText);
    return SQLITE_ERROR;
  }
  if (zAt && !p->bRelative && p->nSym == 0) {
    *pzErr = sqlite3_mprintf(
        "Target '%s' names no revision after the '@': give '%.*s@head', "
        "'%.*s@base' or a revision",
        zText, p->nBranch, p->zBranch, p->nBranch, p->zBranch);
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

/* What a target works with: the set, the database's state, the scratch
** space, where errors go. */
typedef struct Resolver Resolver;
struct Resolver {
  const DmSet *pSet;
  int n;
  const DmFlags *aApplied;   /* 0 when there is no database (dm_points) */
  const Target *pT;
  int iBranch;               /* Revision BRANCH@ names, or -1 */
  DmFlags *aBranch;          /* Its lineage (2*n: lineage() needs room) */
  int *aIdx;                 /* n ints of scratch */
  char **pzErr;
};

/* Alembic's sentence for an unknown revision, and the nearest ones. */
static int not_found(Resolver *p, const char *z, int n) {
  char *zNear = dm_did_you_mean(p->pSet, p->iBranch >= 0 ? p->aBranch : 0, z, n);
  if (!zNear) return SQLITE_NOMEM;
  if (p->iBranch >= 0) {
    *p->pzErr = sqlite3_mprintf(
        "Can't locate revision identified by '%.*s' on branch '%.*s'%s", n, z,
        p->pT->nBranch, p->pT->zBranch, zNear);
  } else {
    *p->pzErr = sqlite3_mprintf("Can't locate revision identified by '%.*s'%s", n,
                                z, zNear);
  }
  sqlite3_free(zNear);
  return *p->pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/*
** A full id, a branch label (the revision that declares it), or a unique
** prefix of either; within the branch's lineage if there is a branch.
*/
static int lookup(Resolver *p, const char *z, int n, int *piRev) {
  const DmSet *pSet = p->pSet;
  int i = dm_find(pSet, z, n);
  if (i < 0) i = dm_find_label(pSet, z, n);
  if (i < 0) {
    int nMatch = 0;
    for (int k = 0; k < pSet->nRev; k++) {
      const DmRevision *pRev = &pSet->aRev[k];
      int bMatch = n > 0 && strncmp(pRev->zId, z, (size_t)n) == 0;
      for (int j = 0; j < pRev->nLabel && !bMatch; j++) {
        bMatch = n > 0 && strncmp(pRev->azLabel[j], z, (size_t)n) == 0;
      }
      if (bMatch && (p->iBranch < 0 || p->aBranch[k])) p->aIdx[nMatch++] = k;
    }
    if (nMatch == 0) return not_found(p, z, n);
    if (nMatch > 1) {
      char *zList = join_ids(pSet, p->aIdx, nMatch, ", ", 1);
      if (!zList) return SQLITE_NOMEM;
      *p->pzErr = sqlite3_mprintf(
          "Multiple revisions start with '%.*s': %s; give more of the "
          "revision id",
          n, z, zList);
      sqlite3_free(zList);
      return SQLITE_ERROR;
    }
    i = p->aIdx[0];
  }
  if (p->iBranch >= 0 && !p->aBranch[i]) {
    *p->pzErr = sqlite3_mprintf(
        "Revision %s is not a member of branch '%.*s': name a revision on "
        "that branch, or leave out '%.*s@'",
        pSet->aRev[i].zId, p->pT->nBranch, p->pT->zBranch, p->pT->nBranch,
        p->pT->zBranch);
    return SQLITE_ERROR;
  }
  *piRev = i;
  return SQLITE_OK;
}

/* BRANCH of BRANCH@...: a label, else a revision id or prefix. */
static int resolve_branch(Resolver *p) {
  const Target *pT = p->pT;
  p->iBranch = -1;
  if (!pT->zBranch) return SQLITE_OK;
  int i = dm_find_label(p->pSet, pT->zBranch, pT->nBranch);
  if (i < 0) {
    char *zErr = 0;
    char **pzSaved = p->pzErr;
    p->pzErr = &zErr;
    int rc = lookup(p, pT->zBranch, pT->nBranch, &i);
    p->pzErr = pzSaved;
    if (rc == SQLITE_ERROR) {
      *p->pzErr = sqlite3_mprintf("No such branch: '%.*s' (in '%s'): %s",
                                  pT->nBranch, pT->zBranch, pT->zText, zErr);
    }
    sqlite3_free(zErr);
    if (rc) return rc;
  }
  p->iBranch = i;
  lineage(p->pSet, i, 0, p->aBranch);
  return SQLITE_OK;
}

/* The heads of the script directory (on the branch, if there is one). */
static int branch_heads(Resolver *p, int *aHead) {
  int nAll = dm_heads(p->pSet, 0, 0, aHead);
  int nHead = 0;
  for (int i = 0; i < nAll; i++) {
    if (p->iBranch < 0 || p->aBranch[aHead[i]]) aHead[nHead++] = aHead[i];
  }
  return nHead;
}

static char *several_heads(const Target *pT) {
  if (pT->zBranch) {
    return sqlite3_mprintf(
        "Multiple head revisions are present for given argument '%.*s@head'; "
        "please specify a specific target revision, '<branchname>@head' to "
        "narrow to a specific head, or 'heads' for all heads",
        pT->nBranch, pT->zBranch);
  }
  return sqlite3_mprintf(
      "Multiple head revisions are present for given argument 'head'; "
      "please specify a specific target revision, '<branchname>@head' to "
      "narrow to a specific head, or 'heads' for all heads");
}

/*
** The revisions SYMBOL names: one, several (heads), or none (base). aPoint
** needs room for n.
*/
static int resolve_symbol(Resolver *p, int *aPoint, int *pnPoint) {
  const Target *pT = p->pT;
  *pnPoint = 0;
  if (sym_is(pT, "base") || pT->nSym == 0) return SQLITE_OK;
  if (sym_is(pT, "heads")) {
    *pnPoint = branch_heads(p, aPoint);
    return SQLITE_OK;
  }
  if (sym_is(pT, "head")) {
    int nHead = branch_heads(p, aPoint);
    if (nHead > 1) {
      *p->pzErr = several_heads(pT);
      return SQLITE_ERROR;
    }
    *pnPoint = nHead;
    return SQLITE_OK;
  }
  *pnPoint = 1;
  return lookup(p, pT->zSym, pT->nSym, &aPoint[0]);
}

/* SYMBOL as the start of a relative step: one revision or base. */
static int resolve_start(Resolver *p, int *piRev) {
  int nPoint = 0;
  int rc = resolve_symbol(p, p->aIdx, &nPoint);
  if (rc) return rc;
  if (nPoint > 1) {
    char *zList = join_ids(p->pSet, p->aIdx, nPoint, ", ", 0);
    if (!zList) return SQLITE_NOMEM;
    *p->pzErr = sqlite3_mprintf(
        "Relative revision %s: '%.*s' names several revisions (%s); start "
        "from one, as in '%s%+d'",
        p->pT->zText, p->pT->nSym, p->pT->zSym, zList,
        p->pSet->aRev[p->aIdx[0]].zId, p->pT->nDelta);
    sqlite3_free(zList);
    return SQLITE_ERROR;
  }
  *piRev = nPoint ? p->aIdx[0] : TARGET_BASE;
  return SQLITE_OK;
}

/* The version rows: applied revisions that no other applied one reaches. */
static int version_rows(Resolver *p, int *aRow) {
  return dm_heads(p->pSet, p->aApplied, 1, aRow);
}

/* How to name a branch in advice: its first label, else the revision. */
static const char *branch_name(const DmSet *pSet, int iRev, char **pzFree) {
  *pzFree = dm_branch_labels(pSet, iRev);
  if (*pzFree && (*pzFree)[0]) {
    char *zComma = strchr(*pzFree, ',');
    if (zComma) *zComma = 0;
    return *pzFree;
  }
  return pSet->aRev[iRev].zId;
}

static char *ambiguous_current(Resolver *p, const int *aRow, int nRow) {
  const DmSet *pSet = p->pSet;
  const Target *pT = p->pT;
  char *zList = join_ids(pSet, aRow, nRow, ", ", 0);
  char *zLabel = 0;
  const char *zName = branch_name(pSet, aRow[0], &zLabel);
  char *z = !zList || !zLabel ? 0 : sqlite3_mprintf(
      "Relative revision %s is ambiguous: the database has several heads "
      "(%s); name the branch%s, as in '%s@%+d', or start from a revision, as "
      "in '%s%+d'",
      pT->zText, zList, zLabel[0] ? "" : " by a revision on it", zName,
      pT->nDelta, pSet->aRev[aRow[0]].zId, pT->nDelta);
  sqlite3_free(zList);
  sqlite3_free(zLabel);
  return z;
}

/*
** Where a relative step without SYMBOL starts: the database's head on the
** branch. Up (Alembic's _parse_upgrade_target): the version row on the
** branch; if none is, the highest applied revisions of the branch; if none
** is, base. Down (_parse_downgrade_target): the version row on the
** branch; if none is, the applied revision of the branch that nothing
** applied stands on through "Revises:". Without a branch: the one version
** row. *piBranch gets the revision that limits a downgrade's roots
** (Alembic uses the current revision when no branch is given).
*/
static int current_start(Resolver *p, int *piRev, int *piBranch) {
  const DmSet *pSet = p->pSet;
  const Target *pT = p->pT;
  int *aRow = p->aIdx;
  int nRow = version_rows(p, aRow);
  *piBranch = p->iBranch;
  if (p->iBranch >= 0) {
    int nOn = 0;
    for (int i = 0; i < nRow; i++) {
      if (p->aBranch[aRow[i]]) aRow[nOn++] = aRow[i];
    }
    if (nOn == 0) {
      if (pT->nDelta > 0) {
        /* Applied revisions of the branch that no applied revision of the
        ** branch stands on. */
        DmFlags *aOn = alloc_zero(p->n);
        if (!aOn) return SQLITE_NOMEM;
        for (int i = 0; i < p->n; i++) aOn[i] = p->aApplied[i] && p->aBranch[i];
        nOn = dm_heads(pSet, aOn, 1, aRow);
        sqlite3_free(aOn);
      } else {
        int nTop = dm_heads(pSet, p->aApplied, 0, aRow);
        for (int i = 0; i < nTop; i++) {
          if (p->aBranch[aRow[i]]) aRow[nOn++] = aRow[i];
        }
        if (nOn == 0) {
          *p->pzErr = sqlite3_mprintf(
              "Relative revision %s: nothing on branch '%.*s' is applied "
              "here, so there is nothing to go down from",
              pT->zText, pT->nBranch, pT->zBranch);
          return SQLITE_ERROR;
        }
      }
    }
    nRow = nOn;
  }
  if (nRow > 1) {
    *p->pzErr = ambiguous_current(p, aRow, nRow);
    return *p->pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  *piRev = nRow ? aRow[0] : TARGET_BASE;
  if (p->iBranch < 0 && nRow == 1) *piBranch = aRow[0];
  return SQLITE_OK;
}

/*
** Going up from a branch point: ambiguous. Advice names a real branch: the
** first labelled next revision, else the first next revision (iNext).
*/
static int branch_point_error(Resolver *p, int iCur, int iNext) {
  const DmSet *pSet = p->pSet;
  const Target *pT = p->pT;
  char *zLabels = 0;
  for (int j = iNext; j < pSet->nRev && !zLabels; j++) {
    const DmRevision *pRev = &pSet->aRev[j];
    if (iCur < 0 ? pRev->nParent != 0 : !has_edge(pRev, iCur, 0)) continue;
    zLabels = dm_branch_labels(pSet, j);
    if (!zLabels) return SQLITE_NOMEM;
    if (!zLabels[0]) {
      sqlite3_free(zLabels);
      zLabels = 0;
    }
  }
  char *zComma = zLabels ? strchr(zLabels, ',') : 0;
  if (zComma) *zComma = 0;
  *p->pzErr = sqlite3_mprintf(
      "Relative revision %s is ambiguous: %s has several next "
      "revisions (a branch point); name the branch%s, as in '%s@%+d', "
      "or the target revision",
      pT->zText, iCur < 0 ? "base" : pSet->aRev[iCur].zId,
      zLabels ? "" : " by a revision on it",
      zLabels ? zLabels : pSet->aRev[iNext].zId, pT->nDelta);
  sqlite3_free(zLabels);
  return SQLITE_ERROR;
}

/* One step up to the child on the branch; *pbEnd at a head. */
static int step_up(Resolver *p, int iCur, int *piNext, int *pbEnd) {
  const DmSet *pSet = p->pSet;
  int nNext = 0;
  for (int j = (iCur < 0 ? 0 : iCur + 1); j < pSet->nRev; j++) {
    const DmRevision *pRev = &pSet->aRev[j];
    int bChild = iCur < 0 ? pRev->nParent == 0 : has_edge(pRev, iCur, 0);
    if (bChild && (p->iBranch < 0 || p->aBranch[j])) {
      if (nNext++ == 0) *piNext = j;
    }
  }
  *pbEnd = nNext == 0;
  return nNext > 1 ? branch_point_error(p, iCur, *piNext) : SQLITE_OK;
}

/* One step down to the parent; *pbEnd at base. A merge is ambiguous. */
static int step_down(Resolver *p, int iCur, int *piNext, int *pbEnd) {
  *pbEnd = iCur < 0;
  if (*pbEnd) return SQLITE_OK;
  const DmRevision *pRev = &p->pSet->aRev[iCur];
  if (pRev->nParent > 1) {
    *p->pzErr = sqlite3_mprintf(
        "Relative revision %s is ambiguous: %s is a merge of several "
        "revisions; name the target revision instead",
        p->pT->zText, pRev->zId);
    return SQLITE_ERROR;
  }
  *piNext = pRev->nParent ? pRev->aParent[0] : TARGET_BASE;
  return SQLITE_OK;
}

/*
** Walk |nDelta| steps up (children) or down (parents) from iFrom. Only
** "Revises:" edges count, as in Alembic; going up, only children on the
** branch count.
*/
static int walk(Resolver *p, int iFrom, const char *zFrom, int *piTo) {
  const Target *pT = p->pT;
  int iCur = iFrom;
  int nWant = pT->nDelta < 0 ? -pT->nDelta : pT->nDelta;
  int nDone = 0;
  for (; nDone < nWant; nDone++) {
    int iNext = TARGET_BASE;
    int bEnd = 0;
    int rc = pT->nDelta > 0 ? step_up(p, iCur, &iNext, &bEnd)
                            : step_down(p, iCur, &iNext, &bEnd);
    if (rc) return rc;
    if (bEnd) break;
    iCur = iNext;
  }
  if (nDone < nWant) {
    *p->pzErr = sqlite3_mprintf(
        "Relative revision %s didn't produce %d migrations: %s is only %d "
        "step%s %s",
        pT->zText, nWant, zFrom, nDone, nDone == 1 ? "" : "s",
        pT->nDelta < 0 ? "above base" : "below the head");
    return SQLITE_ERROR;
  }
  *piTo = iCur;
  return SQLITE_OK;
}

/* A relative target to its revision (or base); *piBranch as current_start. */
static int resolve_relative(Resolver *p, int *piPoint, int *piBranch) {
  const DmSet *pSet = p->pSet;
  const Target *pT = p->pT;
  int iFrom;
  int rc;
  char *zFrom = 0;
  *piBranch = p->iBranch;
  if (pT->nSym > 0) {
    rc = resolve_start(p, &iFrom);
    if (rc) return rc;
    zFrom = sqlite3_mprintf("%s", iFrom < 0 ? "base" : pSet->aRev[iFrom].zId);
  } else {
    if (!p->aApplied) {
      *p->pzErr = sqlite3_mprintf(
          "Relative revision %s counts from a database's current revision; "
          "name the revision to count from, as in 'head%+d'",
          pT->zText, pT->nDelta);
      return SQLITE_ERROR;
    }
    rc = current_start(p, &iFrom, piBranch);
    if (rc) return rc;
    char *zAt = dm_describe(pSet, p->aApplied, "base");
    zFrom = zAt ? sqlite3_mprintf("the database (at %s)", zAt) : 0;
    sqlite3_free(zAt);
  }
  if (!zFrom) return SQLITE_NOMEM;
  rc = walk(p, iFrom, zFrom, piPoint);
  sqlite3_free(zFrom);
  return rc;
}

int dm_points(const DmSet *pSet, const char *zTarget, int *aPoint, int *pnPoint,
              char **pzErr) {
  Target t;
  Resolver r;
  memset(&r, 0, sizeof(r));
  *pnPoint = 0;
  int rc = parse_target(pSet, zTarget, &t, pzErr);
  if (rc) return *pzErr ? rc : SQLITE_NOMEM;
  r.pSet = pSet;
  r.n = pSet->nRev;
  r.pT = &t;
  r.pzErr = pzErr;
  r.aBranch = alloc_zero(2 * (sqlite3_int64)r.n);
  r.aIdx = alloc_zero((sqlite3_int64)sizeof(int) * r.n);
  if (!r.aBranch || !r.aIdx) {
    rc = SQLITE_NOMEM;
  } else {
    rc = resolve_branch(&r);
  }
  if (rc == SQLITE_OK && t.bRelative) {
    int iPoint, iBranch;
    rc = resolve_relative(&r, &iPoint, &iBranch);
    if (rc == SQLITE_OK && iPoint >= 0) aPoint[(*pnPoint)++] = iPoint;
  } else if (rc == SQLITE_OK) {
    rc = resolve_symbol(&r, aPoint, pnPoint);
  }
  sqlite3_free(r.aBranch);
  sqlite3_free(r.aIdx);
  /* A message that could not be allocated is an out-of-memory error. */
  if (rc == SQLITE_ERROR && !*pzErr) rc = SQLITE_NOMEM;
  return rc;
}

/*
** What a downgrade to iPoint (or base) removes, as Alembic's
** _collect_downgrade_revisions: the roots are iPoint's children through
** "Revises:" (for base: every base); with a branch and several roots, only
** the roots below the branch's revision; then every applied revision that
** stands on a root, through parents and dependencies. A revision that
** merely depends on iPoint stays, since iPoint stays.
*/
static int downgrade_removes(Resolver *p, int iPoint, int iBranch,
                             DmFlags *aRemove) {
  const DmSet *pSet = p->pSet;
  memset(aRemove, 0, (size_t)p->n);
  int nRoot = 0;
  for (int i = 0; i < p->n; i++) {
    const DmRevision *pRev = &pSet->aRev[i];
    aRemove[i] = iPoint < 0 ? pRev->nParent == 0 : has_edge(pRev, iPoint, 0);
    nRoot += aRemove[i];
  }
  if (iBranch >= 0 && nRoot > 1) {
    DmFlags *aBelow = alloc_zero(p->n);
    if (!aBelow) return SQLITE_NOMEM;
    aBelow[iBranch] = 1;
    close_down_edges(pSet, aBelow, 0);
    nRoot = 0;
    for (int i = 0; i < p->n; i++) {
      aRemove[i] = aRemove[i] && aBelow[i];
      nRoot += aRemove[i];
    }
    sqlite3_free(aBelow);
    if (nRoot == 0) {
      *p->pzErr = sqlite3_mprintf(
          "Destination %s is not a valid downgrade target: no revision just "
          "above %s leads to %s",
          p->pT->zText, iPoint < 0 ? "base" : pSet->aRev[iPoint].zId,
          pSet->aRev[iBranch].zId);
      return SQLITE_ERROR;
    }
  }
  close_up_edges(pSet, aRemove, 1);
  for (int i = 0; i < p->n; i++) aRemove[i] = aRemove[i] && p->aApplied[i];
  return SQLITE_OK;
}

/* How a destination is named in messages: as resolved, with its branch. */
static char *destination(const Resolver *p, int iPoint) {
  const char *zName = iPoint < 0 ? "base" : p->pSet->aRev[iPoint].zId;
  if (p->pT->zBranch) {
    return sqlite3_mprintf("%.*s@%s", p->pT->nBranch, p->pT->zBranch, zName);
  }
  return sqlite3_mprintf("%s", zName);
}

/* What the target names, as dm_resolve()'s steps hand it on. */
typedef struct Points Points;
struct Points {
  const char *zTarget;   /* As the caller wrote it */
  int *aPoint;           /* The revisions the target names */
  int nPoint;
  int iPoint;            /* The one point, or TARGET_BASE */
  int iBranch;           /* The branch that limits a downgrade, or -1 */
  int bAllHeads;         /* The target is "heads" */
  DmFlags *aAt;          /* The points and everything below them */
  DmFlags *aTmp;         /* Scratch, n flags */
};

/* A relative target counted from the database must go the call's way. */
static int refuse_wrong_direction(const Target *pT, DmOp eOp, const char *zTarget,
                                  char **pzErr) {
  if (!pT->bRelative || pT->nSym != 0) return SQLITE_OK;
  if (eOp == DM_OP_UPGRADE && pT->nDelta < 0) {
    *pzErr = sqlite3_mprintf(
        "migrate_upgrade('%s') would go down: use migrate_downgrade('%s')",
        zTarget, zTarget);
    return SQLITE_ERROR;
  }
  if (eOp == DM_OP_DOWNGRADE && pT->nDelta > 0) {
    *pzErr = sqlite3_mprintf(
        "migrate_downgrade('%s') would go up: use migrate_upgrade('%s')",
        zTarget, zTarget);
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

/*
** The points the target names, the branch that limits a downgrade, and the
** set "at" the points: the points and everything below them.
*/
static int resolve_points(Resolver *p, Points *pP) {
  const Target *pT = p->pT;
  pP->iBranch = p->iBranch;
  pP->bAllHeads = !pT->bRelative && sym_is(pT, "heads");
  if (pT->bRelative) {
    int iPoint;
    int rc = resolve_relative(p, &iPoint, &pP->iBranch);
    if (rc) return rc;
    if (iPoint >= 0) pP->aPoint[pP->nPoint++] = iPoint;
  } else {
    int rc = resolve_symbol(p, pP->aPoint, &pP->nPoint);
    if (rc) return rc;
  }
  pP->iPoint = pP->nPoint == 1 ? pP->aPoint[0] : TARGET_BASE;
  for (int i = 0; i < pP->nPoint; i++) pP->aAt[pP->aPoint[i]] = 1;
  dm_close_down(p->pSet, pP->aAt);
  return SQLITE_OK;
}

/*
** The error for a move the wrong way: zFormat names the destination, the
** current revision, the destination. bAsWritten names it as the caller
** wrote it.
*/
static int wrong_way(Resolver *p, const Points *pP, int bAsWritten, const char *zFormat) {
  char *zCurrent = dm_describe(p->pSet, p->aApplied, "base");
  char *zDest = bAsWritten ? sqlite3_mprintf("%s", pP->zTarget) : destination(p, pP->iPoint);
  int rc = SQLITE_NOMEM;
  if (zCurrent && zDest) {
    *p->pzErr = sqlite3_mprintf(zFormat, zDest, zCurrent, zDest);
    rc = SQLITE_ERROR;
  }
  sqlite3_free(zCurrent);
  sqlite3_free(zDest);
  return rc;
}

/* Upgrading adds what the points need and leaves other branches. */
static int upgrade_target(Resolver *p, const Points *pP, DmFlags *aTarget) {
  const DmFlags *aApplied = p->aApplied;
  int bAdds = 0;
  for (int i = 0; i < p->n; i++) {
    aTarget[i] = aApplied[i] || pP->aAt[i];
    if (pP->aAt[i] && !aApplied[i]) bAdds = 1;
  }
  if (bAdds || pP->bAllHeads) return SQLITE_OK;
  /* Nothing to add: fine where the database is, an error below it
  ** (where a downgrade to the point would remove something). */
  int rc = downgrade_removes(p, pP->iPoint, pP->iBranch, pP->aTmp);
  if (rc) return rc;
  int bBelow = 0;
  for (int i = 0; i < p->n; i++) bBelow |= pP->aTmp[i];
  if (!bBelow) return SQLITE_OK;
  return wrong_way(p, pP, 0,
                   "Destination %s is below the current revision %s: "
                   "migrate_upgrade only goes up; to go down, use "
                   "migrate_downgrade('%s')");
}

/* Downgrading removes what stands on the point; the point must be applied. */
static int downgrade_target(Resolver *p, const Points *pP, DmFlags *aTarget) {
  const DmFlags *aApplied = p->aApplied;
  int bCovered = 1;
  for (int i = 0; i < p->n; i++) {
    if (pP->aAt[i] && !aApplied[i]) bCovered = 0;
  }
  if (!bCovered) {
    return wrong_way(p, pP, pP->bAllHeads,
                     "Destination %s is not below the current revision %s (it is not "
                     "applied here): migrate_downgrade only goes down; to go up, use "
                     "migrate_upgrade('%s')");
  }
  memcpy(aTarget, aApplied, (size_t)p->n);
  if (pP->bAllHeads) return SQLITE_OK; /* Every head is applied: nothing lies above. */
  int rc = downgrade_removes(p, pP->iPoint, pP->iBranch, pP->aTmp);
  if (rc) return rc;
  for (int i = 0; i < p->n; i++) {
    if (pP->aTmp[i]) aTarget[i] = 0;
  }
  return SQLITE_OK;
}

/*
** Alembic's _stamp_revs: the version rows that share a lineage
** (dependencies included) with a point, or with the branch, are replaced
** by the points; other rows stay. Stamping base without a branch replaces
** every row.
*/
static int stamp_target(Resolver *p, const Points *pP, DmFlags *aTarget) {
  const DmSet *pSet = p->pSet;
  int *aRow = p->aIdx;
  int nRow = version_rows(p, aRow);
  DmFlags *aLine = alloc_zero(2 * (sqlite3_int64)p->n);
  if (!aLine) return SQLITE_NOMEM;
  memset(aTarget, 0, (size_t)p->n);
  for (int i = 0; i < pP->nPoint; i++) aTarget[pP->aPoint[i]] = 1;
  for (int k = 0; k < nRow; k++) {
    int bShares = pP->nPoint == 0 && pP->iBranch < 0;
    for (int i = 0; i < pP->nPoint + 1 && !bShares; i++) {
      int iWith = i < pP->nPoint ? pP->aPoint[i] : p->iBranch;
      if (iWith < 0) continue;
      lineage(pSet, iWith, 1, aLine);
      bShares = aLine[aRow[k]];
    }
    if (!bShares) aTarget[aRow[k]] = 1;
  }
  sqlite3_free(aLine);
  dm_close_down(pSet, aTarget);
  return SQLITE_OK;
}

int dm_resolve(const DmSet *pSet, const DmFlags *aApplied, DmOp eOp,
               const char *zTarget, DmFlags *aTarget, char **pzErr) {
  Target t;
  Resolver r;
  Points pts;
  int n = pSet->nRev;
  int rc = parse_target(pSet, zTarget, &t, pzErr);
  if (rc) return *pzErr ? rc : SQLITE_NOMEM;
  rc = refuse_wrong_direction(&t, eOp, zTarget, pzErr);
  if (rc) return rc;
  memset(&r, 0, sizeof(r));
  r.pSet = pSet;
  r.n = n;
  r.aApplied = aApplied;
  r.pT = &t;
  r.pzErr = pzErr;
  r.aBranch = alloc_zero(2 * (sqlite3_int64)n);
  r.aIdx = alloc_zero((sqlite3_int64)sizeof(int) * n);
  memset(&pts, 0, sizeof(pts));
  pts.zTarget = zTarget;
  pts.aPoint = alloc_zero((sqlite3_int64)sizeof(int) * n);
  pts.aAt = alloc_zero(2 * (sqlite3_int64)n);
  if (!r.aBranch || !r.aIdx || !pts.aPoint || !pts.aAt) {
    rc = SQLITE_NOMEM;
    goto done;
  }
  pts.aTmp = pts.aAt + n;
  rc = resolve_branch(&r);
  if (rc == SQLITE_OK) rc = resolve_points(&r, &pts);
  if (rc) goto done;
  switch (eOp) {
    case DM_OP_UPGRADE: rc = upgrade_target(&r, &pts, aTarget); break;
    case DM_OP_DOWNGRADE: rc = downgrade_target(&r, &pts, aTarget); break;
    case DM_OP_STAMP: rc = stamp_target(&r, &pts, aTarget); break;
  }

done:
  sqlite3_free(r.aBranch);
  sqlite3_free(r.aIdx);
  sqlite3_free(pts.aPoint);
  sqlite3_free(pts.aAt);
  /* A message that could not be allocated is an out-of-memory error. */
  if (rc == SQLITE_ERROR && !*pzErr) rc = SQLITE_NOMEM;
  return rc;
}

int dm_plan(const DmSet *pSet, const DmFlags *aApplied, const DmFlags *aTarget,
            DmPlan *pPlan) {
  pPlan->nStep = 0;
  pPlan->aStep = alloc_zero((sqlite3_int64)sizeof(DmStep) * pSet->nRev);
  if (!pPlan->aStep) return SQLITE_NOMEM;
  /* Downgrades first, children before parents; then upgrades, parents
  ** before children. */
  for (int i = pSet->nRev - 1; i >= 0; i--) {
    if (aApplied[i] && !aTarget[i]) {
      pPlan->aStep[pPlan->nStep].iRev = i;
      pPlan->aStep[pPlan->nStep++].bUp = 0;
    }
  }
  for (int i = 0; i < pSet->nRev; i++) {
    if (!aApplied[i] && aTarget[i]) {
      pPlan->aStep[pPlan->nStep].iRev = i;
      pPlan->aStep[pPlan->nStep++].bUp = 1;
    }
  }
  return SQLITE_OK;
}

void dm_plan_clear(DmPlan *pPlan) {
  sqlite3_free(pPlan->aStep);
  pPlan->aStep = 0;
  pPlan->nStep = 0;
}

/* Position of iRev among iOf's dependencies, then parents; n if neither. */
static int edge_rank(const DmSet *pSet, int iOf, int iRev) {
  const DmRevision *p = &pSet->aRev[iOf];
  for (int j = 0; j < p->nDepend; j++) {
    if (p->aDepend[j] == iRev) return j;
  }
  for (int j = 0; j < p->nParent; j++) {
    if (p->aParent[j] == iRev) return p->nDepend + j;
  }
  return pSet->nRev;
}

/* Sort a[0..n) by edge_rank() against iOf (stable: table order on ties). */
static void sort_by_edge(const DmSet *pSet, int iOf, int *a, int n) {
  for (int i = 1; i < n; i++) {
    int v = a[i], k = i;
    while (k > 0 && edge_rank(pSet, iOf, a[k - 1]) > edge_rank(pSet, iOf, v)) {
      a[k] = a[k - 1];
      k--;
    }
    a[k] = v;
  }
}

/*
** As Alembic's HeadMaintainer: a step whose new row replaces several (a
** merge, or a revision with a dependency) deletes all but one of them and
** updates that one; a step that replaces one row by several (undoing such a
** revision) inserts all but one and updates the old row to it; a new branch
** is an INSERT, a closed one a DELETE, a move along a branch an UPDATE.
** Which row is updated Alembic leaves to a Python set's order; here it is
** the last parent, as in the SQL of the documentation's "merge mechanics"
** (Revises: ae1027a6acf, 27c6a30d7c24 gives DELETE ae1027a6acf, UPDATE
** 27c6a30d7c24 to the merge), so a dependency is inserted or deleted and
** the row moves along the revision's own line.
*/
int dm_row_changes(const DmSet *pSet, const DmFlags *aBefore,
                   const DmFlags *aAfter, DmRowChange *aChange) {
  int n = pSet->nRev;
  int *aBuf = alloc_zero((sqlite3_int64)sizeof(int) * n * 4);
  if (!aBuf) return -1;
  int *aBeforeRow = aBuf, *aAfterRow = aBuf + n;
  int *aOld = aBuf + 2 * n, *aNew = aBuf + 3 * n;
  int nBefore = dm_heads(pSet, aBefore, 1, aBeforeRow);
  int nAfter = dm_heads(pSet, aAfter, 1, aAfterRow);
  /* The rows that go and the rows that come. */
  int nGo = 0, nCome = 0;
  for (int i = 0; i < nBefore; i++) {
    if (!contains(aAfterRow, nAfter, aBeforeRow[i])) aOld[nGo++] = aBeforeRow[i];
  }
  for (int i = 0; i < nAfter; i++) {
    if (!contains(aBeforeRow, nBefore, aAfterRow[i])) aNew[nCome++] = aAfterRow[i];
  }
  /* Is it one step of a merge (or dependency) or of undoing one? */
  int bJoin = nCome == 1 && nGo > 1;
  int bSplit = nGo == 1 && nCome > 1;
  for (int i = 0; bJoin && i < nGo; i++) bJoin = edge_rank(pSet, aNew[0], aOld[i]) < n;
  for (int i = 0; bSplit && i < nCome; i++) bSplit = edge_rank(pSet, aOld[0], aNew[i]) < n;
  int nChange = 0;
  if (bJoin) {
    sort_by_edge(pSet, aNew[0], aOld, nGo);
    for (int i = 0; i < nGo - 1; i++) {
      aChange[nChange].iOld = aOld[i];
      aChange[nChange++].iNew = -1;
    }
    aChange[nChange].iOld = aOld[nGo - 1];
    aChange[nChange++].iNew = aNew[0];
  } else if (bSplit) {
    sort_by_edge(pSet, aOld[0], aNew, nCome);
    for (int i = 0; i < nCome - 1; i++) {
      aChange[nChange].iOld = -1;
      aChange[nChange++].iNew = aNew[i];
    }
    aChange[nChange].iOld = aOld[0];
    aChange[nChange++].iNew = aNew[nCome - 1];
  } else {
    /* Pair rows that go with rows that come (UPDATEs); the rest are
    ** DELETEs or INSERTs. */
    for (int i = 0; i < nGo || i < nCome; i++) {
      aChange[nChange].iOld = i < nGo ? aOld[i] : -1;
      aChange[nChange++].iNew = i < nCome ? aNew[i] : -1;
    }
  }
  sqlite3_free(aBuf);
  return nChange;
}

/* A target that counts down: a trailing -N. */
static int counts_down(const char *zTarget) {
  int n = (int)strlen(zTarget);
  int k = n;
  while (k > 0 && zTarget[k - 1] >= '0' && zTarget[k - 1] <= '9') k--;
  return k > 0 && k < n && zTarget[k - 1] == '-';
}

int dm_resolve_either(const DmSet *pSet, const DmFlags *aFrom, const char *zTarget,
                      DmOp *peOp, DmFlags *aTarget, char **pzErr) {
  char *zUpErr = 0;
  int rc = dm_resolve(pSet, aFrom, DM_OP_UPGRADE, zTarget, aTarget, &zUpErr);
  if (rc != SQLITE_ERROR) {
    *peOp = DM_OP_UPGRADE;
    *pzErr = zUpErr;
    return rc;
  }
  char *zDownErr = 0;
  rc = dm_resolve(pSet, aFrom, DM_OP_DOWNGRADE, zTarget, aTarget, &zDownErr);
  *peOp = DM_OP_DOWNGRADE;
  if (rc == SQLITE_OK) {
    sqlite3_free(zUpErr);
  } else if (counts_down(zTarget)) {
    sqlite3_free(zUpErr);
    *pzErr = zDownErr;
    zDownErr = 0;
  } else {
    *pzErr = zUpErr;
  }
  sqlite3_free(zDownErr);
  return rc;
}

int dm_row_changes_new(const DmSet *pSet, const DmFlags *aBefore, const DmFlags *aAfter,
                       DmRowChange **paChange) {
  *paChange = sqlite3_malloc64(sizeof(DmRowChange) * (sqlite3_uint64)(2 * pSet->nRev + 1));
  if (!*paChange) return -1;
  return dm_row_changes(pSet, aBefore, aAfter, *paChange);
}
