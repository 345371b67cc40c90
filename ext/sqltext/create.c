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

/* ---- CREATE TABLE, as token ranges --------------------------------------- */

int dm_token_is_word(const char *zSql, const DmSqlToken *t, const char *zWord) {
  return t->eKind == DM_KIND_ID && (int)strlen(zWord) == t->n &&
         sqlite3_strnicmp(zSql + t->iOff, zWord, t->n) == 0;
}

static int is_punct(const char *zSql, const DmSqlToken *t, char c) {
  return (t->eKind == DM_KIND_OPERATOR || t->eKind == DM_KIND_SEMI) && t->n == 1 && zSql[t->iOff] == c;
}

static int is_name(const DmSqlToken *t) {
  return t->eKind == DM_KIND_ID || t->eKind == DM_KIND_QUOTED || t->eKind == DM_KIND_STRING;
}

void dm_create_clear(DmCreate *p) {
  for (int i = 0; i < p->nElem; i++) sqlite3_free(p->aElem[i].zName);
  sqlite3_free(p->aElem);
  sqlite3_free(p->aTok);
  sqlite3_free(p->zName);
  memset(p, 0, sizeof(*p));
}

/* Words that end a column's declared type (SQLite's ccons). */
static int ends_type(const char *zSql, const DmSqlToken *t) {
  static const char *const azWord[] = {"CONSTRAINT", "PRIMARY", "NOT",
                                       "NULL", "UNIQUE", "CHECK",
                                       "DEFAULT", "COLLATE", "REFERENCES",
                                       "GENERATED", "AS"};
  if (t->eKind != DM_KIND_ID) return 0;
  for (size_t i = 0; i < sizeof(azWord) / sizeof(azWord[0]); i++) {
    if (dm_token_is_word(zSql, t, azWord[i])) return 1;
  }
  return 0;
}

static int starts_table_constraint(const char *zSql, const DmSqlToken *t) {
  return dm_token_is_word(zSql, t, "CONSTRAINT") || dm_token_is_word(zSql, t, "PRIMARY") ||
         dm_token_is_word(zSql, t, "UNIQUE") || dm_token_is_word(zSql, t, "CHECK") ||
         dm_token_is_word(zSql, t, "FOREIGN");
}

/* A token SQLite would not read fails the parse, quoted to 40 bytes. */
static int refuse_illegal_tokens(const DmCreate *p, char **pzErr) {
  for (int i = 0; i < p->nTok; i++) {
    if (p->aTok[i].eKind == DM_KIND_ILLEGAL) {
      *pzErr = sqlite3_mprintf("unrecognized token or unterminated text: %.*s",
                               p->aTok[i].n > 40 ? 40 : p->aTok[i].n, p->zSql + p->aTok[i].iOff);
      return SQLITE_ERROR;
    }
  }
  return SQLITE_OK;
}

/* CREATE TABLE [IF NOT EXISTS]: *pi to the token after it. */
static int parse_create_table(const DmCreate *p, int *pi, char **pzErr) {
  const char *zSql = p->zSql;
  const DmSqlToken *a = p->aTok;
  int n = p->nTok;
  int i = 0;
  if (i < n && dm_token_is_word(zSql, &a[i], "CREATE")) i++;
  if (i < n && (dm_token_is_word(zSql, &a[i], "TEMP") || dm_token_is_word(zSql, &a[i], "TEMPORARY"))) {
    *pzErr = sqlite3_mprintf(
        "it changes tables of the main database; a TEMP table is not one");
    return SQLITE_ERROR;
  }
  if (i != 1 || i >= n || !dm_token_is_word(zSql, &a[i], "TABLE")) {
    *pzErr = sqlite3_mprintf(
        "give the table's new definition as one CREATE TABLE statement, e.g. "
        "migrate_alter_table('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)')");
    return SQLITE_ERROR;
  }
  i++;
  if (i + 2 < n && dm_token_is_word(zSql, &a[i], "IF") && dm_token_is_word(zSql, &a[i + 1], "NOT") &&
      dm_token_is_word(zSql, &a[i + 2], "EXISTS")) {
    i += 3;
  }
  *pi = i;
  return SQLITE_OK;
}

/* [main.]name, then "(": sets iName, zName and iOpen. */
static int parse_table_name(DmCreate *p, int i, char **pzErr) {
  const char *zSql = p->zSql;
  const DmSqlToken *a = p->aTok;
  int n = p->nTok;
  if (i < n && is_name(&a[i]) && i + 2 < n && is_punct(zSql, &a[i + 1], '.')) {
    char *zSchema = dm_sql_dequote(zSql + a[i].iOff, a[i].n);
    if (!zSchema) return SQLITE_NOMEM;
    int bMain = sqlite3_stricmp(zSchema, "main") == 0;
    sqlite3_free(zSchema);
    if (!bMain) {
      *pzErr = sqlite3_mprintf(
          "it changes tables of the main database; leave the table name "
          "unqualified (or write main.)");
      return SQLITE_ERROR;
    }
    i += 2;
  }
  if (i >= n || !is_name(&a[i])) {
    *pzErr = sqlite3_mprintf("the CREATE TABLE statement names no table");
    return SQLITE_ERROR;
  }
  p->iName = i;
  p->zName = dm_sql_dequote(zSql + a[i].iOff, a[i].n);
  if (!p->zName) return SQLITE_NOMEM;
  i++;
  if (i < n && dm_token_is_word(zSql, &a[i], "AS")) {
    *pzErr = sqlite3_mprintf(
        "CREATE TABLE ... AS SELECT declares no columns: write the columns out");
    return SQLITE_ERROR;
  }
  if (i >= n || !is_punct(zSql, &a[i], '(')) {
    *pzErr = sqlite3_mprintf("expected \"(\" and the columns after the table name");
    return SQLITE_ERROR;
  }
  p->iOpen = i;
  return SQLITE_OK;
}

/*
** Element e, tokens iStart to iEnd (excluded): a column has a name, then
** its type up to the first constraint word or after its "(...)".
*/
static int parse_element(DmCreate *p, DmCreateElem *e, int iStart, int iEnd) {
  const char *zSql = p->zSql;
  const DmSqlToken *a = p->aTok;
  e->iFirst = iStart;
  e->iEnd = iEnd;
  if (starts_table_constraint(zSql, &a[iStart]) || !is_name(&a[iStart])) {
    e->iType = e->iTypeEnd = iEnd;
    return SQLITE_OK;
  }
  e->zName = dm_sql_dequote(zSql + a[iStart].iOff, a[iStart].n);
  if (!e->zName) return SQLITE_NOMEM;
  int j = iStart + 1;
  e->iType = j;
  while (j < iEnd && is_name(&a[j]) && !ends_type(zSql, &a[j])) j++;
  if (j > e->iType && j < iEnd && is_punct(zSql, &a[j], '(')) {
    int d = 0;
    for (; j < iEnd; j++) {
      if (is_punct(zSql, &a[j], '(')) d++;
      if (is_punct(zSql, &a[j], ')') && --d == 0) {
        j++;
        break;
      }
    }
  }
  e->iTypeEnd = j;
  if (p->nCol == p->nElem - 1) p->nCol = p->nElem;
  return SQLITE_OK;
}

/* Split the body at the commas outside parentheses; sets iClose. */
static int parse_elements(DmCreate *p, char **pzErr) {
  const char *zSql = p->zSql;
  const DmSqlToken *a = p->aTok;
  int n = p->nTok;
  int nAlloc = 16;
  p->aElem = sqlite3_malloc64(sizeof(DmCreateElem) * (sqlite3_uint64)nAlloc);
  if (!p->aElem) return SQLITE_NOMEM;
  int depth = 0, iStart = p->iOpen + 1;
  int i;
  for (i = p->iOpen + 1; i < n; i++) {
    int bComma = depth == 0 && is_punct(zSql, &a[i], ',');
    int bEnd = depth == 0 && is_punct(zSql, &a[i], ')');
    if (is_punct(zSql, &a[i], '(')) depth++;
    if (is_punct(zSql, &a[i], ')') && depth > 0 && !bEnd) depth--;
    if (!bComma && !bEnd) continue;
    if (i == iStart) {
      *pzErr = sqlite3_mprintf("an empty column definition (two commas, or a "
                               "comma before the closing parenthesis)");
      return SQLITE_ERROR;
    }
    if (p->nElem == nAlloc) {
      nAlloc *= 2;
      DmCreateElem *aNew = sqlite3_realloc64(p->aElem, sizeof(DmCreateElem) * (sqlite3_uint64)nAlloc);
      if (!aNew) return SQLITE_NOMEM;
      p->aElem = aNew;
    }
    DmCreateElem *e = &p->aElem[p->nElem++];
    memset(e, 0, sizeof(*e));
    int rc = parse_element(p, e, iStart, i);
    if (rc) return rc;
    iStart = i + 1;
    if (bEnd) break;
  }
  if (i >= n) {
    *pzErr = sqlite3_mprintf("the column list has no closing parenthesis");
    return SQLITE_ERROR;
  }
  p->iClose = i;
  return SQLITE_OK;
}

/* Options (WITHOUT ROWID, STRICT), then at most a ";": nTok ends there. */
static int parse_options(DmCreate *p, char **pzErr) {
  int n = p->nTok;
  int iEnd = n;
  for (int i = p->iClose + 1; i < n; i++) {
    if (is_punct(p->zSql, &p->aTok[i], ';')) {
      iEnd = i;
      break;
    }
  }
  if (iEnd < n - 1) {
    *pzErr = sqlite3_mprintf(
        "give one CREATE TABLE statement; there is more after it: %.40s",
        p->zSql + p->aTok[iEnd + 1].iOff);
    return SQLITE_ERROR;
  }
  p->nTok = iEnd;
  return SQLITE_OK;
}

/*
** Take zSql apart as CREATE TABLE [IF NOT EXISTS] [main.]name (elements)
** [options] [;]. Only the shape is checked here: SQLite parses the
** statement itself before anything relies on it. On an error *pzErr says
** what to write instead.
*/
int dm_create_parse(const char *zSql, DmCreate *p, char **pzErr) {
  memset(p, 0, sizeof(*p));
  p->zSql = zSql;
  int i = 0;
  int rc = dm_sql_tokenize(zSql, &p->aTok, &p->nTok);
  if (rc == SQLITE_OK) rc = refuse_illegal_tokens(p, pzErr);
  if (rc == SQLITE_OK) rc = parse_create_table(p, &i, pzErr);
  if (rc == SQLITE_OK) rc = parse_table_name(p, i, pzErr);
  if (rc == SQLITE_OK) rc = parse_elements(p, pzErr);
  if (rc == SQLITE_OK) rc = parse_options(p, pzErr);
  return rc;
}
