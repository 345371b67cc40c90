/*
** What only the CREATE text holds (see schema_int.h), read from the one
** tokenizer's tokens (sqltext/create.h): SQLite exposes no pragma for
** CHECK constraints, a column's COLLATE, a generated column's expression,
** DEFERRABLE, AUTOINCREMENT, an index's expressions and WHERE, or a
** virtual table's module arguments. The text was accepted by SQLite (it is
** sqlite_schema.sql), so only its shape is read here, never checked.
*/
#include <string.h>

#include "schema/schema_int.h"
#include "sqltext/sqltext.h"

SQLITE_EXTENSION_INIT3

/* ---- tokens ------------------------------------------------------------ */

static int is_punct(const char *z, const DmSqlToken *t, char c) {
  return (t->eKind == DM_KIND_OPERATOR || t->eKind == DM_KIND_SEMI) && t->n == 1 && z[t->iOff] == c;
}

/* The ")" that closes the "(" at token i, or iEnd if there is none. */
static int close_of(const char *z, const DmSqlToken *a, int i, int iEnd) {
  int depth = 0;
  for (int j = i; j < iEnd; j++) {
    if (is_punct(z, &a[j], '(')) depth++;
    if (is_punct(z, &a[j], ')') && --depth == 0) return j;
  }
  return iEnd;
}

/* Tokens [iFirst, iEnd) of z: their text's offset and length. */
static int range_len(const DmSqlToken *a, int iFirst, int iEnd) {
  if (iEnd <= iFirst) return 0;
  return a[iEnd - 1].iOff + a[iEnd - 1].n - a[iFirst].iOff;
}

static char *range_norm(const char *z, const DmSqlToken *a, int iFirst, int iEnd) {
  if (iEnd <= iFirst) return sqlite3_mprintf("");
  return dm_sql_normal(z + a[iFirst].iOff, range_len(a, iFirst, iEnd));
}

static char *range_line(const char *z, const DmSqlToken *a, int iFirst, int iEnd) {
  if (iEnd <= iFirst) return sqlite3_mprintf("");
  return dm_sql_line(z + a[iFirst].iOff, range_len(a, iFirst, iEnd), 0);
}

static char *token_name(const char *z, const DmSqlToken *t) {
  return dm_sql_dequote(z + t->iOff, t->n);
}

/* The tokens of zSql without a final ";" (SQLite stores none; a model
** read from text might). */
static int tokenize(const char *zSql, DmSqlToken **paTok, int *pnTok) {
  int rc = dm_sql_tokenize(zSql, paTok, pnTok);
  while (rc == SQLITE_OK && *pnTok > 0 && (*paTok)[*pnTok - 1].eKind == DM_KIND_SEMI) (*pnTok)--;
  return rc;
}

/* ---- CREATE TABLE ------------------------------------------------------- */

typedef struct TableScan TableScan;
struct TableScan {
  DmSchemaTable *pTab;
  const char *z;
  const DmSqlToken *a;
  int *aDeferred;  /* One per foreign key, in the order written */
  int nFk;
};

/* CHECK ( tokens iOpen..iClose ), named by token iName (-1: no name). */
static int add_check(TableScan *s, int iName, int iOpen, int iClose) {
  DmSchemaTable *t = s->pTab;
  DmCheck *aNew = dm_schema_grow(t->aCheck, t->nCheck, sizeof(DmCheck));
  if (!aNew) return SQLITE_NOMEM;
  t->aCheck = aNew;
  DmCheck *c = &t->aCheck[t->nCheck++];
  if (iName >= 0) {
    c->zName = token_name(s->z, &s->a[iName]);
    if (!c->zName) return SQLITE_NOMEM;
  }
  c->zExprNorm = range_norm(s->z, s->a, iOpen + 1, iClose);
  c->zExpr = range_line(s->z, s->a, iOpen + 1, iClose);
  return c->zExprNorm && c->zExpr ? SQLITE_OK : SQLITE_NOMEM;
}

/*
** A foreign key whose REFERENCES is token iRef and whose clause ends by
** iEnd (or at the next REFERENCES): DEFERRABLE INITIALLY DEFERRED, not
** after NOT (SQLite's "NOT DEFERRABLE INITIALLY DEFERRED" is immediate).
*/
static int add_fk(TableScan *s, int iRef, int iEnd) {
  int bDeferred = 0;
  for (int j = iRef + 1; j < iEnd; j++) {
    if (dm_token_is_word(s->z, &s->a[j], "REFERENCES")) break;
    if (dm_token_is_word(s->z, &s->a[j], "DEFERRABLE") && j + 2 < iEnd &&
        !dm_token_is_word(s->z, &s->a[j - 1], "NOT") &&
        dm_token_is_word(s->z, &s->a[j + 1], "INITIALLY") &&
        dm_token_is_word(s->z, &s->a[j + 2], "DEFERRED")) {
      bDeferred = 1;
    }
  }
  int *aNew = sqlite3_realloc64(s->aDeferred, sizeof(int) * (sqlite3_uint64)(s->nFk + 1));
  if (!aNew) return SQLITE_NOMEM;
  s->aDeferred = aNew;
  s->aDeferred[s->nFk++] = bDeferred;
  return SQLITE_OK;
}

/*
** The constraints of element e from token iFirst: COLLATE, CHECK, AS
** (generated) and REFERENCES at the element's own depth; pCol is the
** column (0 for a table constraint). A CONSTRAINT name names every CHECK
** after it up to the next name, as SQLite reads it ("CHECK constraint
** failed: name"); the element's end (a comma) ends it.
*/
static int scan_element(TableScan *s, const DmCreateElem *e, int iFirst, DmColumn *pCol) {
  const char *z = s->z;
  const DmSqlToken *a = s->a;
  int rc = SQLITE_OK, iName = -1;
  for (int j = iFirst; rc == SQLITE_OK && j < e->iEnd; j++) {
    int bParen = j + 1 < e->iEnd && is_punct(z, &a[j + 1], '(');
    if (is_punct(z, &a[j], '(')) {
      j = close_of(z, a, j, e->iEnd);
    } else if (dm_token_is_word(z, &a[j], "CONSTRAINT") && j + 1 < e->iEnd) {
      iName = ++j;
    } else if (dm_token_is_word(z, &a[j], "COLLATE") && j + 1 < e->iEnd && pCol) {
      char *zName = token_name(z, &a[++j]);
      sqlite3_free(pCol->zCollate);
      pCol->zCollate = dm_schema_lower(zName);
      sqlite3_free(zName);
      if (!pCol->zCollate) rc = SQLITE_NOMEM;
    } else if (dm_token_is_word(z, &a[j], "CHECK") && bParen) {
      int iClose = close_of(z, a, j + 1, e->iEnd);
      rc = add_check(s, iName, j + 1, iClose);
      j = iClose;
    } else if (dm_token_is_word(z, &a[j], "AS") && bParen && pCol) {
      int iClose = close_of(z, a, j + 1, e->iEnd);
      sqlite3_free(pCol->zGenNorm);
      pCol->zGenNorm = range_norm(z, a, j + 2, iClose);
      if (!pCol->zGenNorm) rc = SQLITE_NOMEM;
      j = iClose;
    } else if (dm_token_is_word(z, &a[j], "REFERENCES")) {
      rc = add_fk(s, j, e->iEnd);
    }
  }
  return rc;
}

static DmColumn *column_named(DmSchemaTable *t, const char *zName) {
  for (int i = 0; zName && i < t->nCol; i++) {
    if (sqlite3_stricmp(t->aCol[i].zName, zName) == 0) return &t->aCol[i];
  }
  return 0;
}

int dm_schema_table_text(DmSchemaTable *pTab, int **paDeferred, int *pnFk) {
  DmCreate def;
  char *zErr = 0;
  int rc = dm_create_parse(pTab->zSql, &def, &zErr);
  sqlite3_free(zErr);
  TableScan s = {pTab, def.zSql, def.aTok, 0, 0};
  for (int i = 0; rc == SQLITE_OK && i < def.nElem; i++) {
    const DmCreateElem *e = &def.aElem[i];
    rc = e->zName ? scan_element(&s, e, e->iTypeEnd, column_named(pTab, e->zName))
                  : scan_element(&s, e, e->iFirst, 0);
  }
  for (int i = 0; rc == SQLITE_OK && i < def.nTok; i++) {
    if (dm_token_is_word(def.zSql, &def.aTok[i], "AUTOINCREMENT")) pTab->bAutoincrement = 1;
  }
  dm_create_clear(&def);
  if (rc != SQLITE_OK) {
    sqlite3_free(s.aDeferred);
    return rc;
  }
  *paDeferred = s.aDeferred;
  *pnFk = s.nFk;
  return SQLITE_OK;
}

/* ---- CREATE VIRTUAL TABLE, CREATE INDEX ----------------------------------- */

int dm_schema_vtab_text(DmSchemaTable *pTab) {
  DmSqlToken *a = 0;
  int n = 0;
  int rc = tokenize(pTab->zSql, &a, &n);
  int j = 0;
  while (rc == SQLITE_OK && j < n && !dm_token_is_word(pTab->zSql, &a[j], "USING")) j++;
  if (rc == SQLITE_OK && j + 1 < n) {
    char *zModule = token_name(pTab->zSql, &a[j + 1]);
    sqlite3_free(pTab->zModule);
    pTab->zModule = dm_schema_lower(zModule);
    sqlite3_free(zModule);
    if (!pTab->zModule) rc = SQLITE_NOMEM;
    if (rc == SQLITE_OK && j + 2 < n && is_punct(pTab->zSql, &a[j + 2], '(')) {
      pTab->zArgsNorm = range_norm(pTab->zSql, a, j + 3, close_of(pTab->zSql, a, j + 2, n));
      if (!pTab->zArgsNorm) rc = SQLITE_NOMEM;
    }
  }
  sqlite3_free(a);
  return rc;
}

/* Key column item [iFirst, iEnd) of a CREATE INDEX, its COLLATE and
** ASC / DESC taken off: the expression's normal form. */
static char *index_item_norm(const char *z, const DmSqlToken *a, int iFirst, int iEnd) {
  if (iEnd > iFirst && (dm_token_is_word(z, &a[iEnd - 1], "ASC") ||
                        dm_token_is_word(z, &a[iEnd - 1], "DESC"))) {
    iEnd--;
  }
  if (iEnd - 2 > iFirst && dm_token_is_word(z, &a[iEnd - 2], "COLLATE")) iEnd -= 2;
  return range_norm(z, a, iFirst, iEnd);
}

/* The key items between "(" iOpen and ")" iClose: each expression's
** normal form into the key column of its position that is one. */
static int index_items(DmIndex *pIdx, const DmSqlToken *a, int iOpen, int iClose) {
  const char *z = pIdx->zSql;
  int iItem = 0, iStart = iOpen + 1;
  for (int j = iOpen + 1; j <= iClose; j++) {
    if (is_punct(z, &a[j], '(')) {
      j = close_of(z, a, j, iClose);
      continue;
    }
    if (j < iClose && !is_punct(z, &a[j], ',')) continue;
    if (iItem < pIdx->nCol && !pIdx->aCol[iItem].zName) {
      pIdx->aCol[iItem].zExprNorm = index_item_norm(z, a, iStart, j);
      if (!pIdx->aCol[iItem].zExprNorm) return SQLITE_NOMEM;
    }
    iItem++;
    iStart = j + 1;
  }
  return SQLITE_OK;
}

int dm_schema_index_text(DmIndex *pIdx) {
  const char *z = pIdx->zSql;
  DmSqlToken *a = 0;
  int n = 0;
  int rc = tokenize(z, &a, &n);
  int j = 0;
  while (rc == SQLITE_OK && j < n && !dm_token_is_word(z, &a[j], "ON")) j++;
  while (rc == SQLITE_OK && j < n && !is_punct(z, &a[j], '(')) j++;
  if (rc == SQLITE_OK && j < n) {
    int iClose = close_of(z, a, j, n);
    rc = index_items(pIdx, a, j, iClose < n ? iClose : n - 1);
    if (rc == SQLITE_OK && iClose + 1 < n && dm_token_is_word(z, &a[iClose + 1], "WHERE")) {
      pIdx->zWhereNorm = range_norm(z, a, iClose + 2, n);
      if (!pIdx->zWhereNorm) rc = SQLITE_NOMEM;
    }
  }
  sqlite3_free(a);
  return rc;
}

/* ---- normal forms ----------------------------------------------------------- */

static int is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/*
** Whether zType is a word of ASCII letters, digits and '_' (not starting
** with a digit), then nothing or "(" integers separated by "," ")", all
** without spaces: "INTEGER", "varchar(255)", "DECIMAL(10,2)", nearly every
** declared type. Its tokens are one identifier, then operators and
** integers, so its normal form is the text with its letters upper cased:
** no need to tokenize it (a schema of 500 tables has thousands).
*/
static int type_is_plain(const char *z) {
  if (!is_word_char(z[0]) || (z[0] >= '0' && z[0] <= '9')) return 0;
  int i = 0;
  while (is_word_char(z[i])) i++;
  if (z[i] == 0) return 1;
  if (z[i++] != '(') return 0;
  for (;;) {
    if (z[i] < '0' || z[i] > '9') return 0;
    while (z[i] >= '0' && z[i] <= '9') i++;
    if (z[i] != ',') break;
    i++;
  }
  return z[i] == ')' && z[i + 1] == 0;
}

char *dm_schema_type_norm(const char *zType) {
  if (type_is_plain(zType)) {
    char *zOut = sqlite3_mprintf("%s", zType);
    for (char *p = zOut; p && *p; p++) {
      if (*p >= 'a' && *p <= 'z') *p = (char)(*p - 32);
    }
    return zOut;
  }
  DmSqlToken *a = 0;
  int n = 0;
  if (dm_sql_tokenize(zType, &a, &n) != SQLITE_OK) return 0;
  sqlite3_str *pStr = sqlite3_str_new(0);
  for (int i = 0; i < n; i++) {
    int bOp = a[i].eKind == DM_KIND_OPERATOR;
    if (i > 0 && !bOp && a[i - 1].eKind != DM_KIND_OPERATOR) sqlite3_str_appendchar(pStr, 1, ' ');
    for (int k = 0; k < a[i].n; k++) {
      char c = zType[a[i].iOff + k];
      if (a[i].eKind == DM_KIND_ID && c >= 'a' && c <= 'z') c = (char)(c - 32);
      sqlite3_str_appendchar(pStr, 1, c);
    }
  }
  sqlite3_free(a);
  int rc = sqlite3_str_errcode(pStr);
  char *zOut = sqlite3_str_finish(pStr);
  if (rc != SQLITE_OK) {
    sqlite3_free(zOut);
    return 0;
  }
  return zOut ? zOut : sqlite3_mprintf("");
}

char *dm_schema_default_norm(const char *zDefault) {
  DmSqlToken *a = 0;
  int n = 0;
  if (tokenize(zDefault, &a, &n) != SQLITE_OK) return 0;
  int iFirst = 0, iEnd = n;
  if (n >= 2 && is_punct(zDefault, &a[0], '(') && close_of(zDefault, a, 0, n) == n - 1) {
    iFirst = 1;
    iEnd = n - 1;
  }
  char *zOut = range_norm(zDefault, a, iFirst, iEnd);
  sqlite3_free(a);
  return zOut;
}

/*
** CREATE [TEMP] VIEW|TRIGGER [IF NOT EXISTS] [schema.]name ...: the normal
** form of the words up to VIEW or TRIGGER, then of the rest from the name.
*/
char *dm_schema_object_norm(const char *zSql) {
  DmSqlToken *a = 0;
  int n = 0;
  if (tokenize(zSql, &a, &n) != SQLITE_OK) return 0;
  int j = 0;
  while (j < n && !dm_token_is_word(zSql, &a[j], "VIEW") && !dm_token_is_word(zSql, &a[j], "TRIGGER")) {
    j++;
  }
  int iKwEnd = j < n ? j + 1 : 0;
  int iName = iKwEnd;
  if (iName + 2 < n && dm_token_is_word(zSql, &a[iName], "IF") &&
      dm_token_is_word(zSql, &a[iName + 1], "NOT") && dm_token_is_word(zSql, &a[iName + 2], "EXISTS")) {
    iName += 3;
  }
  if (iName + 2 < n && is_punct(zSql, &a[iName + 1], '.')) iName += 2;
  char *zHead = range_norm(zSql, a, 0, iKwEnd);
  char *zTail = range_norm(zSql, a, iName, n);
  char *zOut = zHead && zTail ? sqlite3_mprintf("%s%s%s", zHead, zHead[0] ? " " : "", zTail) : 0;
  sqlite3_free(zHead);
  sqlite3_free(zTail);
  sqlite3_free(a);
  return zOut;
}
