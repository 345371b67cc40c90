/*
** CREATE TABLE, taken apart (see create.h).
*/
#include "sqltext/create.h"
#include "sqltext/sqltext.h"

#include <string.h>

#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT3

int dm_sql_tokenize(const char *zSql, DmSqlToken **paTok, int *pnTok) {
  int nAlloc = 64, n = 0;
  DmSqlToken *a = sqlite3_malloc64(sizeof(DmSqlToken) * (sqlite3_uint64)nAlloc);
  if (!a) return SQLITE_NOMEM;
  int i = 0, len;
  DmTokenKind eKind;
  while ((len = dm_sql_token(zSql + i, &eKind)) > 0) {
    if (eKind != DM_KIND_SPACE && eKind != DM_KIND_COMMENT) {
      if (n == nAlloc) {
        nAlloc *= 2;
        DmSqlToken *aNew = sqlite3_realloc64(a, sizeof(DmSqlToken) * (sqlite3_uint64)nAlloc);
        if (!aNew) {
          sqlite3_free(a);
          return SQLITE_NOMEM;
        }
        a = aNew;
      }
      a[n].eKind = eKind;
      a[n].iOff = i;
      a[n].n = len;
      n++;
    }
    i += len;
  }
  *paTok = a;
  *pnTok = n;
  return SQLITE_OK;
}

char *dm_sql_dequote(const char *z, int n) {
  char *zOut = sqlite3_malloc64((sqlite3_uint64)n + 1);
  if (!zOut) return 0;
  char q = n > 0 ? z[0] : 0;
  int j = 0;
  if (q == '"' || q == '\'' || q == '`' || q == '[') {
    char cEnd = q == '[' ? ']' : q;
    int iEnd = (n >= 2 && z[n - 1] == cEnd) ? n - 1 : n; /* Not closed: to the end */
    for (int i = 1; i < iEnd; i++) {
      zOut[j++] = z[i];
      if (z[i] == cEnd && cEnd != ']' && i + 1 < iEnd && z[i + 1] == cEnd) i++;
    }
  } else {
    memcpy(zOut, z, (size_t)n);
    j = n;
  }
  zOut[j] = 0;
  return zOut;
}

/* ---- CREATE TABLE ------------------------------------------------------- */

/* The next token that is not space, from *pi; its length, 0 at the end. */
static int next_token(const char *z, int n, int *pi, DmTokenType *peType) {
  while (*pi < n) {
    int nTok = dm_token(z + *pi, peType);
    if (nTok == 0) return 0;
    if (*peType != DM_TK_SPACE) return nTok;
    *pi += nTok;
  }
  return 0;
}

static int word_is(const char *z, int n, const char *zWord) {
  return (int)strlen(zWord) == n && sqlite3_strnicmp(z, zWord, n) == 0;
}

/* Fill one item from the definition text z[0..n). */
static int parse_item(const char *z, int n, DmTableItem *pItem) {
  static const char *const azConstraint[] = {"constraint", "primary", "unique",
                                             "check", "foreign"};
  memset(pItem, 0, sizeof(*pItem));
  int i = 0;
  DmTokenType eType = DM_TK_OTHER;
  int nTok = next_token(z, n, &i, &eType);
  if (eType == DM_TK_WORD) {
    for (size_t k = 0; k < sizeof(azConstraint) / sizeof(azConstraint[0]); k++) {
      if (word_is(z + i, nTok, azConstraint[k])) pItem->bConstraint = 1;
    }
  }
  pItem->zNormal = dm_sql_normal(z, n);
  pItem->zLine = dm_sql_line(z, n, 0);
  if (!pItem->zNormal || !pItem->zLine) return SQLITE_NOMEM;
  int iName = i, nName = nTok;
  DmTokenType eName = eType;
  if (pItem->bConstraint && word_is(z + i, nTok, "constraint")) {
    i += nTok;
    nName = next_token(z, n, &i, &eName);
    iName = i;
  } else if (pItem->bConstraint) {
    pItem->zKey = sqlite3_mprintf("%s", pItem->zNormal);
    pItem->zBody = sqlite3_mprintf("%s", pItem->zLine);
    return pItem->zKey && pItem->zBody ? SQLITE_OK : SQLITE_NOMEM;
  }
  char *zKeyName = dm_sql_normal(z + iName, nName);
  pItem->zName = dm_sql_dequote(z + iName, nName);
  i = iName + nName;
  pItem->zBody = dm_sql_line(z + i, n - i, 0);
  if (zKeyName) {
    pItem->zKey = pItem->bConstraint ? sqlite3_mprintf("constraint %s", zKeyName)
                                     : sqlite3_mprintf("%s", zKeyName);
  }
  sqlite3_free(zKeyName);
  return pItem->zKey && pItem->zName && pItem->zBody ? SQLITE_OK : SQLITE_NOMEM;
}

int dm_table_parse(const char *zSql, DmTable *pTable) {
  memset(pTable, 0, sizeof(*pTable));
  int n = (int)strlen(zSql);
  int i = 0;
  DmTokenType eType;
  int nTok;
  int bVirtual = 0;
  /* Up to the "(" that opens the definitions. */
  while ((nTok = next_token(zSql, n, &i, &eType)) > 0) {
    if (eType == DM_TK_WORD && word_is(zSql + i, nTok, "virtual")) bVirtual = 1;
    if (eType == DM_TK_WORD && word_is(zSql + i, nTok, "as")) return SQLITE_ERROR;
    if (eType == DM_TK_OTHER && zSql[i] == '(') break;
    i += nTok;
  }
  if (nTok == 0 || bVirtual) return SQLITE_ERROR;
  i += nTok;
  int iItem = i;
  int nDepth = 0;
  int rc = SQLITE_OK;
  while (rc == SQLITE_OK && (nTok = dm_token(zSql + i, &eType)) > 0) {
    char c = zSql[i];
    int bEnd = eType == DM_TK_OTHER && nDepth == 0 && (c == ',' || c == ')');
    if (eType == DM_TK_OTHER && c == '(') nDepth++;
    if (eType == DM_TK_OTHER && c == ')' && nDepth > 0 && !bEnd) nDepth--;
    if (bEnd) {
      DmTableItem *aNew = sqlite3_realloc64(
          pTable->aItem, sizeof(DmTableItem) * (sqlite3_uint64)(pTable->nItem + 1));
      if (!aNew) {
        rc = SQLITE_NOMEM;
        break;
      }
      pTable->aItem = aNew;
      rc = parse_item(zSql + iItem, i - iItem, &pTable->aItem[pTable->nItem++]);
      iItem = i + 1;
      if (c == ')') {
        i += nTok;
        break;
      }
    }
    i += nTok;
  }
  if (rc == SQLITE_OK) {
    pTable->zOptions = dm_sql_line(zSql + i, n - i, 0);
    pTable->zOptionsNormal = dm_sql_normal(zSql + i, n - i);
    if (!pTable->zOptions || !pTable->zOptionsNormal) rc = SQLITE_NOMEM;
  }
  if (rc) dm_table_clear(pTable);
  return rc;
}

void dm_table_clear(DmTable *pTable) {
  for (int i = 0; i < pTable->nItem; i++) {
    DmTableItem *p = &pTable->aItem[i];
    sqlite3_free(p->zKey);
    sqlite3_free(p->zName);
    sqlite3_free(p->zBody);
    sqlite3_free(p->zNormal);
    sqlite3_free(p->zLine);
  }
  sqlite3_free(pTable->aItem);
  sqlite3_free(pTable->zOptions);
  sqlite3_free(pTable->zOptionsNormal);
  memset(pTable, 0, sizeof(*pTable));
}
