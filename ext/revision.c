/*
** The revision graph. Edges go from a revision to its parents ("Revises:")
** and its dependencies ("Depends On:"). DmSet.aRev is in topological order,
** so one pass in index order (or its reverse) walks the graph.
*/
#include "revision.h"

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

int dm_find(const DmSet *pSet, const char *zId, int nId) {
  for (int i = 0; i < pSet->nRev; i++) {
    const char *z = pSet->aRev[i].zId;
    if ((int)strlen(z) == nId && memcmp(z, zId, (size_t)nId) == 0) return i;
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

/* Mark iRev and everything that reaches it (its descendants). */
static void close_up(const DmSet *pSet, int iRev, DmFlags *a) {
  a[iRev] = 1;
  for (int i = iRev + 1; i < pSet->nRev; i++) {
    const DmRevision *p = &pSet->aRev[i];
    for (int j = 0; j < p->nParent && !a[i]; j++) a[i] = a[p->aParent[j]];
    for (int j = 0; j < p->nDepend && !a[i]; j++) a[i] = a[p->aDepend[j]];
  }
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
    sqlite3_str_appendf(pStr, "%s%s", i ? ", " : "", az[i]);
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

char *dm_parents_text(const DmSet *pSet, int iRev) {
  const DmRevision *p = &pSet->aRev[iRev];
  return join_ids(pSet, p->aParent, p->nParent, ", ", 0);
}

int dm_applied_from_rows(const DmSet *pSet, int nRow, const char *const *azRow,
                         DmFlags *aApplied, char **pzErr) {
  memset(aApplied, 0, (size_t)pSet->nRev);
  for (int r = 0; r < nRow; r++) {
    int i = dm_find(pSet, azRow[r], (int)strlen(azRow[r]));
    if (i < 0) {
      *pzErr = sqlite3_mprintf(
          "Can't locate revision identified by '%s': the database is at a "
          "revision this build of distmigrate does not know (a newer build "
          "migrated it?); load the distmigrate that carries '%s'",
          azRow[r], azRow[r]);
      return SQLITE_ERROR;
    }
    aApplied[i] = 1;
  }
  /* A row that another row reaches is not a head: Alembic never stores it. */
  for (int r = 0; r < nRow; r++) {
    int i = dm_find(pSet, azRow[r], (int)strlen(azRow[r]));
    DmFlags *aAbove = alloc_zero(pSet->nRev);
    if (!aAbove) return SQLITE_NOMEM;
    close_up(pSet, i, aAbove);
    for (int s = 0; s < nRow; s++) {
      int k = dm_find(pSet, azRow[s], (int)strlen(azRow[s]));
      if (k != i && aAbove[k]) {
        *pzErr = sqlite3_mprintf(
            "alembic_version holds both '%s' and '%s', but '%s' is an "
            "ancestor of '%s', so the table is inconsistent; if the schema "
            "is at '%s', repair it with SELECT migrate_stamp('%s', 'purge')",
            azRow[r], azRow[s], azRow[r], azRow[s], azRow[s], azRow[s]);
        sqlite3_free(aAbove);
        return SQLITE_ERROR;
      }
    }
    sqlite3_free(aAbove);
  }
  dm_close_down(pSet, aApplied);
  return SQLITE_OK;
}

/* ------------------------------------------------------------------------
** Targets. The syntax follows Alembic:
**
**   head | heads | base | REV | +N | -N | REV+N | REV-N
**
** where REV is a full revision id, a unique prefix of one, head or base.
*/

#define TARGET_BASE (-1)   /* The point below every revision */
#define TARGET_HEADS (-2)  /* All heads at once */

typedef struct Target Target;
struct Target {
  const char *zText;   /* The whole argument */
  const char *zRev;    /* The revision part (may be empty) */
  int nRev;
  int bRelative;       /* +N / -N present */
  int nDelta;          /* Signed step count */
};

static int parse_target(const char *zText, Target *p, char **pzErr) {
  memset(p, 0, sizeof(*p));
  p->zText = zText;
  p->zRev = zText;
  p->nRev = (int)strlen(zText);
  if (p->nRev == 0) {
    *pzErr = sqlite3_mprintf(
        "the target is empty: give 'head', 'base', a revision id, or a "
        "relative step such as '+1' or '-1'");
    return SQLITE_ERROR;
  }
  /* A trailing [+-]digits is a relative step. */
  int k = p->nRev;
  while (k > 0 && zText[k - 1] >= '0' && zText[k - 1] <= '9') k--;
  if (k > 0 && k < p->nRev && (zText[k - 1] == '+' || zText[k - 1] == '-')) {
    if (p->nRev - k > 6) {
      *pzErr = sqlite3_mprintf("Relative revision %s: the step count is too large",
                               zText);
      return SQLITE_ERROR;
    }
    int n = 0;
    for (int i = k; i < p->nRev; i++) n = n * 10 + (zText[i] - '0');
    p->bRelative = 1;
    p->nDelta = zText[k - 1] == '-' ? -n : n;
    p->nRev = k - 1;
  }
  return SQLITE_OK;
}

/* A full id or a unique prefix of one. */
static int lookup(const DmSet *pSet, const char *z, int n, int *piRev,
                  char **pzErr) {
  int i = dm_find(pSet, z, n);
  if (i >= 0) {
    *piRev = i;
    return SQLITE_OK;
  }
  int nMatch = 0;
  int *aMatch = alloc_zero((sqlite3_int64)sizeof(int) * pSet->nRev);
  if (!aMatch) return SQLITE_NOMEM;
  for (i = 0; i < pSet->nRev; i++) {
    if (n > 0 && strncmp(pSet->aRev[i].zId, z, (size_t)n) == 0) aMatch[nMatch++] = i;
  }
  int rc = SQLITE_OK;
  if (nMatch == 1) {
    *piRev = aMatch[0];
  } else if (nMatch == 0) {
    *pzErr = sqlite3_mprintf("Can't locate revision identified by '%.*s'", n, z);
    rc = SQLITE_ERROR;
  } else {
    char *zList = join_ids(pSet, aMatch, nMatch, ", ", 1);
    if (zList) {
      *pzErr = sqlite3_mprintf(
          "Multiple revisions start with '%.*s': %s; give more of the revision id",
          n, z, zList);
    }
    sqlite3_free(zList);
    rc = zList ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  sqlite3_free(aMatch);
  return rc;
}

/* The one head of the script directory, for the target "head". */
static int single_head(const DmSet *pSet, int *piRev, char **pzErr) {
  int *aHead = alloc_zero((sqlite3_int64)sizeof(int) * pSet->nRev);
  if (!aHead) return SQLITE_NOMEM;
  int nHead = dm_heads(pSet, 0, 0, aHead);
  int rc = SQLITE_OK;
  if (nHead == 1) {
    *piRev = aHead[0];
  } else {
    *pzErr = sqlite3_mprintf(
        "Multiple head revisions are present for given argument 'head'; "
        "please specify a specific target revision, '<branchname>@head' to "
        "narrow to a specific head, or 'heads' for all heads");
    rc = SQLITE_ERROR;
  }
  sqlite3_free(aHead);
  return rc;
}

/* The revision the database is at, for relative steps: its one head. */
static int current_point(const DmSet *pSet, const DmFlags *aApplied,
                         const Target *pT, int *piRev, char **pzErr) {
  int *aHead = alloc_zero((sqlite3_int64)sizeof(int) * pSet->nRev);
  if (!aHead) return SQLITE_NOMEM;
  int nHead = dm_heads(pSet, aApplied, 1, aHead);
  int rc = SQLITE_OK;
  if (nHead == 0) {
    *piRev = TARGET_BASE;
  } else if (nHead == 1) {
    *piRev = aHead[0];
  } else {
    char *zList = join_ids(pSet, aHead, nHead, ", ", 0);
    if (zList) {
      *pzErr = sqlite3_mprintf(
          "Relative revision %s is ambiguous: the database has several heads "
          "(%s); name the branch, as in '%s%+d'",
          pT->zText, zList, pSet->aRev[aHead[0]].zId, pT->nDelta);
    }
    sqlite3_free(zList);
    rc = zList ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  sqlite3_free(aHead);
  return rc;
}

/*
** Walk |nDelta| steps up (children) or down (parents) from iFrom. Only
** "Revises:" edges count, as in Alembic.
*/
static int walk(const DmSet *pSet, const Target *pT, int iFrom,
                const char *zFrom, int *piTo, char **pzErr) {
  int iCur = iFrom;
  int nWant = pT->nDelta < 0 ? -pT->nDelta : pT->nDelta;
  int nDone = 0;
  for (; nDone < nWant; nDone++) {
    int iNext = TARGET_BASE;
    int nNext = 0;
    if (pT->nDelta > 0) {
      for (int j = (iCur < 0 ? 0 : iCur + 1); j < pSet->nRev; j++) {
        const DmRevision *p = &pSet->aRev[j];
        int bChild = iCur < 0 ? p->nParent == 0 : has_edge(p, iCur, 0);
        if (bChild) {
          if (nNext++ == 0) iNext = j;
        }
      }
      if (nNext == 0) break;
      if (nNext > 1) {
        *pzErr = sqlite3_mprintf(
            "Relative revision %s is ambiguous: %s has several next "
            "revisions (a branch point); name the target revision instead",
            pT->zText, iCur < 0 ? "base" : pSet->aRev[iCur].zId);
        return SQLITE_ERROR;
      }
    } else {
      if (iCur < 0) break;
      const DmRevision *p = &pSet->aRev[iCur];
      if (p->nParent > 1) {
        *pzErr = sqlite3_mprintf(
            "Relative revision %s is ambiguous: %s is a merge of several "
            "revisions; name the target revision instead",
            pT->zText, p->zId);
        return SQLITE_ERROR;
      }
      iNext = p->nParent ? p->aParent[0] : TARGET_BASE;
    }
    iCur = iNext;
  }
  if (nDone < nWant) {
    if (pT->nDelta < 0) {
      *pzErr = sqlite3_mprintf(
          "Relative revision %s didn't produce %d migrations: %s is only %d "
          "step%s above base",
          pT->zText, nWant, zFrom, nDone, nDone == 1 ? "" : "s");
    } else {
      *pzErr = sqlite3_mprintf(
          "Relative revision %s didn't produce %d migrations: %s is only %d "
          "step%s below the head",
          pT->zText, nWant, zFrom, nDone, nDone == 1 ? "" : "s");
    }
    return SQLITE_ERROR;
  }
  *piTo = iCur;
  return SQLITE_OK;
}

/* Resolve a target to a point: a revision, TARGET_BASE or TARGET_HEADS. */
static int resolve_point(const DmSet *pSet, const DmFlags *aApplied,
                         const Target *pT, int *piPoint, char **pzErr) {
  int rc;
  int iFrom;
  char *zFrom = 0;
  const char *zRev = pT->zRev;
  int nRev = pT->nRev;
  if (nRev == 4 && memcmp(zRev, "base", 4) == 0) {
    iFrom = TARGET_BASE;
  } else if (nRev == 5 && memcmp(zRev, "heads", 5) == 0) {
    if (pT->bRelative) {
      *pzErr = sqlite3_mprintf(
          "Relative revision %s: 'heads' names several revisions; use "
          "'head%+d' or a revision id",
          pT->zText, pT->nDelta);
      return SQLITE_ERROR;
    }
    *piPoint = TARGET_HEADS;
    return SQLITE_OK;
  } else if (nRev == 4 && memcmp(zRev, "head", 4) == 0) {
    rc = single_head(pSet, &iFrom, pzErr);
    if (rc) return rc;
  } else if (nRev == 0) {
    rc = current_point(pSet, aApplied, pT, &iFrom, pzErr);
    if (rc) return rc;
  } else {
    rc = lookup(pSet, zRev, nRev, &iFrom, pzErr);
    if (rc) return rc;
  }
  if (!pT->bRelative) {
    *piPoint = iFrom;
    return SQLITE_OK;
  }
  if (nRev == 0) {
    zFrom = dm_describe(pSet, aApplied, "the database (at base)");
    if (zFrom && iFrom >= 0) {
      char *z = sqlite3_mprintf("the database (at %s)", zFrom);
      sqlite3_free(zFrom);
      zFrom = z;
    }
  } else {
    zFrom = sqlite3_mprintf("%s", iFrom < 0 ? "base" : pSet->aRev[iFrom].zId);
  }
  if (!zFrom) return SQLITE_NOMEM;
  rc = walk(pSet, pT, iFrom, zFrom, piPoint, pzErr);
  sqlite3_free(zFrom);
  return rc;
}

static const char *point_name(const DmSet *pSet, int iPoint) {
  if (iPoint == TARGET_BASE) return "base";
  if (iPoint == TARGET_HEADS) return "heads";
  return pSet->aRev[iPoint].zId;
}

int dm_resolve(const DmSet *pSet, const DmFlags *aApplied, DmOp eOp,
               const char *zTarget, DmFlags *aTarget, char **pzErr) {
  Target t;
  int n = pSet->nRev;
  int rc = parse_target(zTarget, &t, pzErr);
  if (rc) return rc;
  if (t.bRelative && t.nRev == 0) {
    if (eOp == DM_OP_UPGRADE && t.nDelta < 0) {
      *pzErr = sqlite3_mprintf(
          "migrate_upgrade('%s') would go down: use migrate_downgrade('%s')",
          zTarget, zTarget);
      return SQLITE_ERROR;
    }
    if (eOp == DM_OP_DOWNGRADE && t.nDelta > 0) {
      *pzErr = sqlite3_mprintf(
          "migrate_downgrade('%s') would go up: use migrate_upgrade('%s')",
          zTarget, zTarget);
      return SQLITE_ERROR;
    }
  }
  int iPoint;
  rc = resolve_point(pSet, aApplied, &t, &iPoint, pzErr);
  if (rc) return rc;

  /* The set "at" the point: the point and everything below it. */
  DmFlags *aAt = alloc_zero(n);
  if (!aAt) return SQLITE_NOMEM;
  if (iPoint == TARGET_HEADS) {
    memset(aAt, 1, (size_t)n);
  } else if (iPoint >= 0) {
    aAt[iPoint] = 1;
    dm_close_down(pSet, aAt);
  }

  int bCovered = 1;   /* Is aAt already applied? */
  for (int i = 0; i < n; i++) {
    if (aAt[i] && !aApplied[i]) bCovered = 0;
  }
  char *zCurrent = 0;
  switch (eOp) {
    case DM_OP_UPGRADE: {
      /* Upgrading adds what the point needs and leaves other branches. */
      for (int i = 0; i < n; i++) aTarget[i] = aApplied[i] || aAt[i];
      if (bCovered && iPoint != TARGET_HEADS) {
        /* Nothing to add: fine at the current revision, an error below it. */
        int bAtHead = 0;
        if (iPoint >= 0) {
          DmFlags *aAbove = alloc_zero(n);
          if (!aAbove) {
            rc = SQLITE_NOMEM;
            break;
          }
          close_up(pSet, iPoint, aAbove);
          bAtHead = 1;
          for (int i = 0; i < n; i++) {
            if (i != iPoint && aAbove[i] && aApplied[i]) bAtHead = 0;
          }
          sqlite3_free(aAbove);
        } else {
          bAtHead = 1;
          for (int i = 0; i < n; i++) {
            if (aApplied[i]) bAtHead = 0;
          }
        }
        if (!bAtHead) {
          zCurrent = dm_describe(pSet, aApplied, "base");
          if (zCurrent) {
            *pzErr = sqlite3_mprintf(
                "Destination %s is below the current revision %s: "
                "migrate_upgrade only goes up; to go down, use "
                "migrate_downgrade('%s')",
                point_name(pSet, iPoint), zCurrent, point_name(pSet, iPoint));
          }
          rc = zCurrent ? SQLITE_ERROR : SQLITE_NOMEM;
        }
      }
      break;
    }
    case DM_OP_DOWNGRADE: {
      if (!bCovered) {
        zCurrent = dm_describe(pSet, aApplied, "base");
        if (zCurrent) {
          *pzErr = sqlite3_mprintf(
              "Destination %s is not below the current revision %s (it is not "
              "applied here): migrate_downgrade only goes down; to go up, use "
              "migrate_upgrade('%s')",
              point_name(pSet, iPoint), zCurrent, point_name(pSet, iPoint));
        }
        rc = zCurrent ? SQLITE_ERROR : SQLITE_NOMEM;
        break;
      }
      /* Downgrading removes what lies above the point, nothing else. */
      memcpy(aTarget, aApplied, (size_t)n);
      if (iPoint == TARGET_BASE) {
        memset(aTarget, 0, (size_t)n);
      } else if (iPoint >= 0) {
        DmFlags *aAbove = alloc_zero(n);
        if (!aAbove) {
          rc = SQLITE_NOMEM;
          break;
        }
        close_up(pSet, iPoint, aAbove);
        for (int i = 0; i < n; i++) {
          if (i != iPoint && aAbove[i]) aTarget[i] = 0;
        }
        sqlite3_free(aAbove);
      }
      break;
    }
    case DM_OP_STAMP:
      memcpy(aTarget, aAt, (size_t)n);
      break;
  }
  sqlite3_free(zCurrent);
  sqlite3_free(aAt);
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

int dm_row_changes(const DmSet *pSet, const DmFlags *aBefore,
                   const DmFlags *aAfter, DmRowChange *aChange) {
  int n = pSet->nRev;
  int *aOld = alloc_zero((sqlite3_int64)sizeof(int) * n * 2);
  if (!aOld) return -1;
  int *aNew = aOld + n;
  int nOld = dm_heads(pSet, aBefore, 1, aOld);
  int nNew = dm_heads(pSet, aAfter, 1, aNew);
  int nChange = 0;
  int iCome = 0;
  /* Pair each row that goes with a row that comes (an UPDATE); the rest
  ** are DELETEs or INSERTs. */
  for (int i = 0; i < nOld; i++) {
    if (contains(aNew, nNew, aOld[i])) continue;
    while (iCome < nNew && contains(aOld, nOld, aNew[iCome])) iCome++;
    aChange[nChange].iOld = aOld[i];
    aChange[nChange++].iNew = iCome < nNew ? aNew[iCome++] : -1;
  }
  for (; iCome < nNew; iCome++) {
    if (contains(aOld, nOld, aNew[iCome])) continue;
    aChange[nChange].iOld = -1;
    aChange[nChange++].iNew = aNew[iCome];
  }
  sqlite3_free(aOld);
  return nChange;
}
