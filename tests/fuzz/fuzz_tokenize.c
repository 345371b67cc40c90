/*
** libFuzzer target: the one SQL tokenizer, dm_sql_token() in
** ext/sqltext.c, on any bytes (up to the first NUL, where SQL text ends),
** checked against SQLite itself.
**
** Beyond "no crash, no undefined behaviour" it checks:
**   - every token is at least one byte long, the tokens' lengths add up
**     to the text's, and dm_token() cuts the same tokens;
**   - at each ';' byte, sqlite3_complete() of the text up to it answers
**     what our tokens say it must (tests/unit/complete_model.h): a ';'
**     token of ours is one of complete.c's, a ';' inside one of our
**     strings, identifiers or comments is not;
**   - when sqlite3_prepare_v2() refuses the text with "unrecognized
**     token: X", X is our first illegal token;
**   - dm_sql_skip_empty() and dm_sql_statement_end() stop on token
**     boundaries, the latter just after a ';' token or at the end.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "../unit/complete_model.h"
#include "sqltext/sqltext.h"

#define CHECK(x)                                                              \
  do {                                                                        \
    if (!(x)) {                                                               \
      fprintf(stderr, "fuzz_tokenize: %s:%d: %s\n", __FILE__, __LINE__, #x); \
      abort();                                                                \
    }                                                                         \
  } while (0)

/* sqlite3_complete() is asked about this many prefixes at most. */
#define MAX_PREFIX 64

/* Token boundaries of z: aEnd[i] is the end of token i. */
typedef struct Tokens {
  int n;
  int *aEnd;
  DmTokenKind *aKind;
} Tokens;

static void tokenize(const char *z, int nText, Tokens *p) {
  p->n = 0;
  p->aEnd = malloc(sizeof(int) * (size_t)(nText + 1));
  p->aKind = malloc(sizeof(DmTokenKind) * (size_t)(nText + 1));
  CHECK(p->aEnd && p->aKind);
  int i = 0, n;
  DmTokenKind eKind;
  while ((n = dm_sql_token(z + i, &eKind)) > 0) {
    CHECK(n <= nText - i);
    CHECK(eKind >= DM_KIND_SPACE && eKind <= DM_KIND_ILLEGAL);
    DmTokenType eType;
    CHECK(dm_token(z + i, &eType) == n);
    i += n;
    p->aEnd[p->n] = i;
    p->aKind[p->n++] = eKind;
  }
  CHECK(i == nText);
  CHECK(eKind == DM_KIND_ILLEGAL);
}

static int is_boundary(const Tokens *p, int iOff) {
  if (iOff == 0) return 1;
  for (int i = 0; i < p->n; i++) {
    if (p->aEnd[i] == iOff) return 1;
  }
  return 0;
}

static void check_complete(const char *z, int nText) {
  char *zPrefix = malloc((size_t)nText + 1);
  CHECK(zPrefix);
  int nTried = 0;
  for (int i = 0; i < nText && nTried < MAX_PREFIX; i++) {
    if (z[i] != ';') continue;
    memcpy(zPrefix, z, (size_t)i + 1);
    zPrefix[i + 1] = 0;
    int bWant = model_complete(zPrefix);
    if (bWant >= 0 && bWant != sqlite3_complete(zPrefix)) {
      fprintf(stderr, "fuzz_tokenize: sqlite3_complete() says %d, our tokens %d\n",
              !bWant, bWant);
      CHECK(0);
    }
    nTried++;
  }
  free(zPrefix);
}

static void check_unrecognized(const char *z, const Tokens *p) {
  static const char zPrefix[] = "unrecognized token: \"";
  sqlite3 *db = 0;
  sqlite3_stmt *pStmt = 0;
  CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
  int rc = sqlite3_prepare_v2(db, z, -1, &pStmt, 0);
  sqlite3_finalize(pStmt);
  const char *zMsg = sqlite3_errmsg(db);
  if (rc == SQLITE_ERROR && strncmp(zMsg, zPrefix, sizeof(zPrefix) - 1) == 0) {
    int i = 0;
    while (i < p->n && p->aKind[i] != DM_KIND_ILLEGAL) i++;
    CHECK(i < p->n);
    int iStart = i ? p->aEnd[i - 1] : 0;
    char *zWant = sqlite3_mprintf("%s%.*s\"", zPrefix, p->aEnd[i] - iStart, z + iStart);
    CHECK(zWant);
    if (strcmp(zMsg, zWant) != 0) {
      fprintf(stderr, "fuzz_tokenize: SQLite: %s\n  ours: %s\n", zMsg, zWant);
      CHECK(0);
    }
    sqlite3_free(zWant);
  }
  sqlite3_close(db);
}

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData);
int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData) {
  if (nData > 65536) return 0;
  char *z = malloc(nData + 1);
  CHECK(z);
  memcpy(z, aData, nData);
  z[nData] = 0;
  int nText = (int)strlen(z);

  Tokens toks;
  tokenize(z, nText, &toks);
  check_complete(z, nText);
  check_unrecognized(z, &toks);

  const char *zStart = dm_sql_skip_empty(z);
  CHECK(zStart >= z && zStart <= z + nText && is_boundary(&toks, (int)(zStart - z)));
  const char *zEnd = dm_sql_statement_end(zStart);
  CHECK(zEnd >= zStart && zEnd <= z + nText && is_boundary(&toks, (int)(zEnd - z)));
  if (zEnd < z + nText) CHECK(zEnd > zStart && zEnd[-1] == ';');

  free(toks.aEnd);
  free(toks.aKind);
  free(z);
  return 0;
}
