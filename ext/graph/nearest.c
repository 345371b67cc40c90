/*
** Suggestions for an unknown revision. The distance is the optimal string
** alignment distance (Levenshtein's, plus a swap of two neighbouring
** letters, the commonest typing slip), with letter case folded: ids are
** matched case-sensitively, so '002_ADD_INVALID_RESPONSES' is unknown but
** at distance 0 from the id it spells.
*/
#include "graph/nearest.h"

#include <string.h>

#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT3

/* Longer text is never near anything: ids have at most 32 characters. */
#define MAX_TEXT 128

/* Alembic's symbols, suggested like ids: 'haed' meant 'head'. */
static const char *const azSymbol[] = {"head", "heads", "base"};

static char fold(char c) {
  return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int min3(int a, int b, int c) {
  int m = a < b ? a : b;
  return m < c ? m : c;
}

/* The distance of a[0..na) and b[0..nb), both at most MAX_TEXT long. */
static int distance(const char *a, int na, const char *b, int nb) {
  int aRow[3][MAX_TEXT + 1]; /* rows i-2, i-1 and i, in turn */
  for (int j = 0; j <= nb; j++) aRow[0][j] = j;
  for (int i = 1; i <= na; i++) {
    int *pCur = aRow[i % 3], *pPrev = aRow[(i + 2) % 3], *pPrev2 = aRow[(i + 1) % 3];
    pCur[0] = i;
    for (int j = 1; j <= nb; j++) {
      int bSame = fold(a[i - 1]) == fold(b[j - 1]);
      pCur[j] = min3(pPrev[j] + 1, pCur[j - 1] + 1, pPrev[j - 1] + !bSame);
      if (i > 1 && j > 1 && fold(a[i - 1]) == fold(b[j - 2]) &&
          fold(a[i - 2]) == fold(b[j - 1]) && pPrev2[j - 2] + 1 < pCur[j]) {
        pCur[j] = pPrev2[j - 2] + 1;
      }
    }
  }
  return aRow[na % 3][nb];
}

/* Does z[0..n) occur in zCand, case folded? */
static int contains_folded(const char *zCand, int nCand, const char *z, int n) {
  for (int i = 0; i + n <= nCand; i++) {
    int k = 0;
    while (k < n && fold(zCand[i + k]) == fold(z[k])) k++;
    if (k == n) return 1;
  }
  return 0;
}

/* How far z[0..n) is from zCand: -1 when it is not near at all. */
static int score(const char *zCand, const char *z, int n) {
  int nCand = (int)strlen(zCand);
  if (nCand > MAX_TEXT) return -1;
  int d = distance(z, n, zCand, nCand);
  if (nCand > n) {
    int dPrefix = distance(z, n, zCand, n);
    if (dPrefix < d) d = dPrefix;
  }
  if (d > 1 && n >= 4 && contains_folded(zCand, nCand, z, n)) d = 1;
  return d <= n / 3 ? d : -1;
}

/* The nearest so far, in azBest/aScore (nBest of them), ordered by score. */
typedef struct Nearest Nearest;
struct Nearest {
  const char *z;
  int n;
  int nBest;
  const char *azBest[DM_MAX_SUGGESTIONS];
  int aScore[DM_MAX_SUGGESTIONS];
};

static void consider(Nearest *p, const char *zCand) {
  int d = score(zCand, p->z, p->n);
  if (d < 0) return;
  for (int i = 0; i < p->nBest; i++) {
    if (strcmp(p->azBest[i], zCand) == 0) return;
  }
  int i = p->nBest;
  if (i == DM_MAX_SUGGESTIONS) {
    if (p->aScore[i - 1] <= d) return; /* ties: the earlier one stays */
    i--;                               /* the farthest gives way */
  } else {
    p->nBest++;
  }
  while (i > 0 && p->aScore[i - 1] > d) {
    p->azBest[i] = p->azBest[i - 1];
    p->aScore[i] = p->aScore[i - 1];
    i--;
  }
  p->azBest[i] = zCand;
  p->aScore[i] = d;
}

int dm_nearest(const DmSet *pSet, const DmFlags *aAmong, const char *z, int n,
               const char **azOut) {
  Nearest near;
  memset(&near, 0, sizeof(near));
  near.z = z;
  near.n = n;
  if (n <= 0 || n > MAX_TEXT) return 0;
  for (int i = 0; i < pSet->nRev; i++) {
    if (!aAmong || aAmong[i]) consider(&near, pSet->aRev[i].zId);
  }
  for (int i = 0; i < pSet->nRev; i++) {
    for (int j = 0; j < pSet->aRev[i].nLabel && (!aAmong || aAmong[i]); j++) {
      consider(&near, pSet->aRev[i].azLabel[j]);
    }
  }
  for (size_t i = 0; i < sizeof(azSymbol) / sizeof(azSymbol[0]); i++) {
    consider(&near, azSymbol[i]);
  }
  memcpy(azOut, near.azBest, sizeof(near.azBest[0]) * (size_t)near.nBest);
  return near.nBest;
}

char *dm_did_you_mean(const DmSet *pSet, const DmFlags *aAmong, const char *z, int n) {
  const char *az[DM_MAX_SUGGESTIONS];
  int nNear = dm_nearest(pSet, aAmong, z, n, az);
  if (nNear == 0) return sqlite3_mprintf("");
  sqlite3_str *pStr = sqlite3_str_new(0);
  sqlite3_str_appendall(pStr, "; did you mean ");
  for (int i = 0; i < nNear; i++) {
    if (i > 0) sqlite3_str_appendall(pStr, i == nNear - 1 ? " or " : ", ");
    sqlite3_str_appendall(pStr, az[i]);
  }
  sqlite3_str_appendchar(pStr, 1, '?');
  return sqlite3_str_finish(pStr);
}
