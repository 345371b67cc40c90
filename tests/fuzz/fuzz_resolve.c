/*
** libFuzzer target: the target-argument parser and resolver (revision.h),
** against the set of tests/fuzz/revisions/ (branches, a merge, Depends On,
** branch labels, ids sharing prefixes).
**
** Input: byte 0 chooses the operation (bits 0-1) and how the database's
** version rows are made (bit 7: from the input, else from the mask in byte
** 1); the rest is the target text (and, with bit 7, version rows before
** it, one per line, the target on the last line).
**
** Beyond "no crash, no leak, no undefined behaviour" it checks what a
** resolved target promises the runner:
**   - an error comes with a message, success without one;
**   - the target set is closed downwards (every parent and dependency of a
**     member is a member);
**   - an upgrade only adds, a downgrade only removes;
**   - the plan, applied step by step, goes from the applied set to the
**     target, each step allowed when it runs (an upgrade's parents and
**     dependencies applied; a downgrade's dependents already gone);
**   - the alembic_version changes take the rows of the one to the other.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "graph/revision.h"

extern const DmSet dm_set_fuzz;

#define CHECK(x)                                                      \
  do {                                                                \
    if (!(x)) {                                                       \
      fprintf(stderr, "fuzz_resolve: %s:%d: %s\n", __FILE__, __LINE__, #x); \
      abort();                                                        \
    }                                                                 \
  } while (0)

static int is_closed_down(const DmSet *pSet, const DmFlags *a) {
  DmFlags aCopy[64];
  memcpy(aCopy, a, (size_t)pSet->nRev);
  dm_close_down(pSet, aCopy);
  return memcmp(aCopy, a, (size_t)pSet->nRev) == 0;
}

/* Does any member of a depend on iRev (through parents or Depends On)? */
static int has_dependent(const DmSet *pSet, const DmFlags *a, int iRev) {
  for (int i = 0; i < pSet->nRev; i++) {
    if (!a[i]) continue;
    const DmRevision *p = &pSet->aRev[i];
    for (int j = 0; j < p->nParent; j++) {
      if (p->aParent[j] == iRev) return 1;
    }
    for (int j = 0; j < p->nDepend; j++) {
      if (p->aDepend[j] == iRev) return 1;
    }
  }
  return 0;
}

static void check_plan(const DmSet *pSet, const DmFlags *aApplied,
                       const DmFlags *aTarget) {
  DmPlan plan = {0, 0};
  if (dm_plan(pSet, aApplied, aTarget, &plan) != SQLITE_OK) return;
  DmFlags aCur[64];
  memcpy(aCur, aApplied, (size_t)pSet->nRev);
  for (int i = 0; i < plan.nStep; i++) {
    const DmStep *pStep = &plan.aStep[i];
    const DmRevision *p = &pSet->aRev[pStep->iRev];
    CHECK(aCur[pStep->iRev] == !pStep->bUp);
    if (pStep->bUp) {
      for (int j = 0; j < p->nParent; j++) CHECK(aCur[p->aParent[j]]);
      for (int j = 0; j < p->nDepend; j++) CHECK(aCur[p->aDepend[j]]);
    } else {
      CHECK(!has_dependent(pSet, aCur, pStep->iRev));
    }
    aCur[pStep->iRev] = (DmFlags)pStep->bUp;
  }
  CHECK(memcmp(aCur, aTarget, (size_t)pSet->nRev) == 0);
  dm_plan_clear(&plan);

  /* The version rows: heads before, changed as dm_row_changes says. */
  int aRows[64], nRows = dm_heads(pSet, aApplied, 1, aRows);
  int aWant[64], nWant = dm_heads(pSet, aTarget, 1, aWant);
  DmRowChange aChange[128];
  int nChange = dm_row_changes(pSet, aApplied, aTarget, aChange);
  CHECK(nChange >= 0 && nChange <= 2 * pSet->nRev);
  for (int i = 0; i < nChange; i++) {
    CHECK(aChange[i].iOld >= 0 || aChange[i].iNew >= 0);
    if (aChange[i].iOld >= 0) {
      int k = 0;
      while (k < nRows && aRows[k] != aChange[i].iOld) k++;
      CHECK(k < nRows);   /* UPDATE or DELETE of a row that is there */
      aRows[k] = aRows[--nRows];
    }
    if (aChange[i].iNew >= 0) {
      for (int k = 0; k < nRows; k++) CHECK(aRows[k] != aChange[i].iNew);
      aRows[nRows++] = aChange[i].iNew;
    }
  }
  CHECK(nRows == nWant);
  for (int i = 0; i < nWant; i++) {
    int k = 0;
    while (k < nRows && aRows[k] != aWant[i]) k++;
    CHECK(k < nRows);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData);
int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData) {
  const DmSet *pSet = &dm_set_fuzz;
  int n = pSet->nRev;
  if (nData < 2 || n > 64) return 0;
  DmOp eOp = (DmOp)(aData[0] & 3);
  if (eOp > DM_OP_STAMP) eOp = DM_OP_UPGRADE;

  char *zText = malloc(nData);
  memcpy(zText, aData + 2, nData - 2);
  zText[nData - 2] = 0;

  DmFlags aApplied[64], aTarget[64];
  char *zErr = 0;
  const char *zTarget = zText;
  if (aData[0] & 0x80) {
    /* Version rows from the input, one a line; the last line is the target. */
    const char *azRow[16];
    int nRow = 0;
    char *z = zText;
    char *zEol;
    while ((zEol = strchr(z, '\n')) != 0 && nRow < 16) {
      *zEol = 0;
      azRow[nRow++] = z;
      z = zEol + 1;
    }
    zTarget = z;
    int rc = dm_applied_from_rows(pSet, nRow, azRow, aApplied, &zErr);
    CHECK((rc == SQLITE_OK) == (zErr == 0) || rc == SQLITE_NOMEM);
    if (rc != SQLITE_OK) {
      sqlite3_free(zErr);
      free(zText);
      return 0;
    }
  } else {
    for (int i = 0; i < n; i++) aApplied[i] = (DmFlags)((aData[1] >> (i % 8)) & 1);
    dm_close_down(pSet, aApplied);
  }
  CHECK(is_closed_down(pSet, aApplied));

  memset(aTarget, 0xAA, sizeof(aTarget));
  int rc = dm_resolve(pSet, aApplied, eOp, zTarget, aTarget, &zErr);
  if (rc != SQLITE_OK) {
    CHECK(zErr != 0);
    sqlite3_free(zErr);
  } else {
    CHECK(zErr == 0);
    for (int i = 0; i < n; i++) CHECK(aTarget[i] == 0 || aTarget[i] == 1);
    CHECK(is_closed_down(pSet, aTarget));
    for (int i = 0; i < n; i++) {
      if (eOp == DM_OP_UPGRADE) CHECK(!aApplied[i] || aTarget[i]);
      if (eOp == DM_OP_DOWNGRADE) CHECK(aApplied[i] || !aTarget[i]);
    }
    check_plan(pSet, aApplied, aTarget);
    char *z = dm_describe(pSet, aTarget, "base");
    CHECK(z != 0);
    sqlite3_free(z);
  }
  free(zText);
  return 0;
}
