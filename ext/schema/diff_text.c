/*
** The diff's text: names as the script writes them, stored statements
** without the rename hints, and what the tokens of a DEFAULT or a
** declared type say to SQLite.
*/
#include <string.h>

#include "schema/diff_int.h"
#include "sqltext/create.h"
#include "sqltext/token.h"

SQLITE_EXTENSION_INIT3

/* A name SQLite reads bare: a letter or '_', then letters, digits, '_'. */
static int is_bare_name(const char *z) {
  if (!((z[0] >= 'a' && z[0] <= 'z') || (z[0] >= 'A' && z[0] <= 'Z') || z[0] == '_')) {
    return 0;
  }
  int n = 0;
  for (; z[n]; n++) {
    char c = z[n];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '_')) {
      return 0;
    }
  }
  return !sqlite3_keyword_check(z, n);
}

void dm_diff_name(sqlite3_str *pOut, const char *zName) {
  if (is_bare_name(zName)) {
    sqlite3_str_appendall(pOut, zName);
  } else {
    sqlite3_str_appendf(pOut, "\"%w\"", zName);
  }
}

/* A "-- @renamed from=..." comment, which is for the diff, not the database. */
static int is_hint(const char *z, int n) {
  static const char zHint[] = "@renamed";
  if (n < 2 || z[0] != '-') return 0;
  int i = 2;
  while (i < n && (z[i] == ' ' || z[i] == '\t')) i++;
  return n - i >= (int)sizeof(zHint) - 1 && strncmp(z + i, zHint, sizeof(zHint) - 1) == 0;
}

void dm_diff_sql(sqlite3_str *pOut, const char *zSql, int n) {
  if (n < 0) n = (int)strlen(zSql);
  int iSpace = 0, nSpace = 0; /* Space not written yet: a hint may follow */
  int i = 0;
  while (i < n) {
    DmTokenKind e;
    int nTok = dm_sql_token(zSql + i, &e);
    if (nTok == 0) break;
    if (i + nTok > n) nTok = n - i;
    if (e == DM_KIND_SPACE) {
      if (!nSpace) iSpace = i;
      nSpace += nTok;
    } else if (e == DM_KIND_COMMENT && is_hint(zSql + i, nTok)) {
      /* The comment goes, and the blanks before it on its line. */
      while (nSpace && (zSql[iSpace + nSpace - 1] == ' ' || zSql[iSpace + nSpace - 1] == '\t')) {
        nSpace--;
      }
      sqlite3_str_append(pOut, zSql + iSpace, nSpace);
      nSpace = 0;
    } else {
      sqlite3_str_append(pOut, zSql + iSpace, nSpace);
      nSpace = 0;
      sqlite3_str_append(pOut, zSql + i, nTok);
    }
    i += nTok;
  }
  sqlite3_str_append(pOut, zSql + iSpace, nSpace);
}

void dm_diff_statement(sqlite3_str *pOut, const char *zSql) {
  dm_diff_sql(pOut, zSql, -1);
  sqlite3_str_appendall(pOut, ";\n");
}

int dm_diff_finish(sqlite3_str *p, char **pz) {
  int rc = sqlite3_str_errcode(p);
  char *z = sqlite3_str_finish(p);
  if (rc == SQLITE_OK && !z) z = sqlite3_mprintf("");
  if (rc != SQLITE_OK || !z) {
    sqlite3_free(z);
    z = 0;
    rc = SQLITE_NOMEM;
  }
  *pz = z;
  return rc;
}

/* At most this many tokens are read of a DEFAULT: a literal has one or two
** (a sign), in however many parentheses fit; a longer one is no literal. */
#define DEFAULT_MAX_TOKENS 16

/*
** The tokens of a DEFAULT expression (spaces and comments skipped) in a,
** outer parentheses dropped: *piFirst and the count. Allocates nothing,
** so it cannot fail; -1 if there are more than fit.
*/
static int default_tokens(const char *z, DmSqlToken *a, int *piFirst) {
  int n = 0, i = 0, nTok;
  DmTokenKind e;
  while ((nTok = dm_sql_token(z + i, &e)) > 0) {
    if (e != DM_KIND_SPACE && e != DM_KIND_COMMENT) {
      if (n == DEFAULT_MAX_TOKENS) return -1;
      a[n].eKind = e;
      a[n].iOff = i;
      a[n++].n = nTok;
    }
    i += nTok;
  }
  int iFirst = 0;
  while (n - iFirst >= 2 && a[iFirst].n == 1 && z[a[iFirst].iOff] == '(' &&
         z[a[n - 1].iOff] == ')') {
    iFirst++;
    n--;
  }
  *piFirst = iFirst;
  return n;
}

/* Token t is a word: NULL, TRUE, FALSE (SQLite's constants by name). */
static int is_constant_word(const char *z, const DmSqlToken *t) {
  return t->eKind == DM_KIND_ID &&
         (dm_token_is_word(z, t, "null") || dm_token_is_word(z, t, "true") ||
          dm_token_is_word(z, t, "false"));
}

/*
** SQLite adds a column to a table with rows only if its default is a value
** it can compute without a row (sqlite3ValueFromExpr): a literal, a signed
** number, NULL, TRUE or FALSE. CURRENT_TIMESTAMP and any function are not.
*/
int dm_diff_default_is_constant(const char *zDefault) {
  if (!zDefault) return 1;
  DmSqlToken a[DEFAULT_MAX_TOKENS];
  int i = 0;
  int n = default_tokens(zDefault, a, &i);
  if (n - i == 2 && a[i].eKind == DM_KIND_OPERATOR && a[i].n == 1 &&
      (zDefault[a[i].iOff] == '-' || zDefault[a[i].iOff] == '+')) {
    i++;
  }
  if (n - i != 1) return 0;
  DmTokenKind e = a[i].eKind;
  return e == DM_KIND_STRING || e == DM_KIND_INTEGER || e == DM_KIND_FLOAT ||
         e == DM_KIND_BLOB || is_constant_word(zDefault, &a[i]);
}

int dm_diff_default_is_null(const char *zDefault) {
  if (!zDefault) return 1;
  DmSqlToken a[DEFAULT_MAX_TOKENS];
  int i = 0;
  int n = default_tokens(zDefault, a, &i);
  return n - i == 1 && dm_token_is_word(zDefault, &a[i], "null");
}

/* Whether zType holds zPart, in any case. */
static int type_has(const char *zType, const char *zPart) {
  size_t n = strlen(zPart);
  for (const char *z = zType; *z; z++) {
    if (sqlite3_strnicmp(z, zPart, (int)n) == 0) return 1;
  }
  return 0;
}

/* SQLite's rules (datatype3.html, 3.1), in their order. */
const char *dm_diff_affinity(const char *zType) {
  if (!zType) zType = "";
  if (type_has(zType, "INT")) return "INTEGER";
  if (type_has(zType, "CHAR") || type_has(zType, "CLOB") || type_has(zType, "TEXT")) {
    return "TEXT";
  }
  if (type_has(zType, "BLOB") || !zType[0]) return "BLOB";
  if (type_has(zType, "REAL") || type_has(zType, "FLOA") || type_has(zType, "DOUB")) {
    return "REAL";
  }
  return "NUMERIC";
}
