/*
** libFuzzer target: the generator's parser of one migration file
** (dmg_parse in ext/dmgen/parse.c), on any bytes.
**
** Beyond "no crash, no leak, no undefined behaviour" it checks what the
** generator relies on:
**   - an error is one "fuzz.sql:LINE: ..." message, and leaves the result
**     empty; success gives no message;
**   - on success every id (revision, parents, labels, depends) passes
**     dmg_check_ident(), no list names an id twice, the markers are in
**     order, and both sections are there;
**   - dmg_normalise() is idempotent and never longer than its input.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmgen/parse.h"

#define CHECK(x)                                                    \
  do {                                                              \
    if (!(x)) {                                                     \
      fprintf(stderr, "fuzz_parse: %s:%d: %s\n", __FILE__, __LINE__, #x); \
      abort();                                                      \
    }                                                               \
  } while (0)

static void check_list(const DmgList *p) {
  CHECK(p->n >= 0);
  for (int i = 0; i < p->n; i++) {
    CHECK(dmg_check_ident(p->az[i]) == 0);
    for (int j = 0; j < i; j++) CHECK(strcmp(p->az[i], p->az[j]) != 0);
  }
}

static void check_normalise(const char *z) {
  char *zOnce = dmg_normalise(z);
  CHECK(zOnce != 0);
  CHECK(strlen(zOnce) <= strlen(z));
  char *zTwice = dmg_normalise(zOnce);
  CHECK(zTwice != 0 && strcmp(zOnce, zTwice) == 0);
  free(zOnce);
  free(zTwice);
}

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData);
int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData) {
  DmgFile f;
  char *zErr = 0;
  int rc = dmg_parse("fuzz.sql", (const char *)aData, nData, &f, &zErr);
  if (rc) {
    CHECK(zErr != 0 && strncmp(zErr, "fuzz.sql:", 9) == 0);
    CHECK(f.zId == 0 && f.zUp == 0 && f.zDown == 0 && f.parents.n == 0);
    free(zErr);
    return 0;
  }
  CHECK(zErr == 0);
  CHECK(f.zId && dmg_check_ident(f.zId) == 0);
  CHECK(f.zMessage && f.zCreateDate && f.zUp && f.zDown);
  CHECK(f.iIdLine > 0 && f.iUpLine > 0 && f.iDownLine > f.iUpLine);
  check_list(&f.parents);
  check_list(&f.labels);
  check_list(&f.depends);
  check_normalise(f.zUp);
  check_normalise(f.zDown);
  dmg_file_clear(&f);
  return 0;
}
