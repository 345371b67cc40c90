/*
** SQL text: tokens, the normal form drift detection compares, one-line
** renderings for messages, and the definitions of a CREATE TABLE.
*/
#include "sqltext/sqltext.h"

#include <string.h>

#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT3

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Identifier characters as SQLite has them: any byte of a UTF-8 sequence. */
static int is_idchar(char c) {
  unsigned char u = (unsigned char)c;
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || is_digit(c) ||
         u == '_' || u == '$' || u >= 0x80;
}

/* Length of a quoted token starting at z with delimiter z[0], closing
** with cEnd; a doubled cEnd inside is one character (not for "]"). */
static int quoted_length(const char *z, char cEnd) {
  int n = 1;
  while (z[n]) {
    if (z[n] == cEnd) {
      if (cEnd != ']' && z[n + 1] == cEnd) {
        n += 2;
        continue;
      }
      return n + 1;
    }
    n++;
  }
  return n; /* Unterminated: to the end, as SQLite would refuse it anyway */
}

int dm_token(const char *z, DmTokenType *peType) {
  int n = 0;
  char c = z[0];
  if (!c) return 0;
  if (is_space(c)) {
    while (is_space(z[n])) n++;
    *peType = DM_TK_SPACE;
  } else if (c == '-' && z[1] == '-') {
    while (z[n] && z[n] != '\n') n++;
    *peType = DM_TK_SPACE;
  } else if (c == '/' && z[1] == '*') {
    n = 2;
    while (z[n] && !(z[n] == '*' && z[n + 1] == '/')) n++;
    if (z[n]) n += 2;
    *peType = DM_TK_SPACE;
  } else if (c == '\'') {
    n = quoted_length(z, '\'');
    *peType = DM_TK_STRING;
  } else if ((c == 'x' || c == 'X') && z[1] == '\'') {
    n = 1 + quoted_length(z + 1, '\'');
    *peType = DM_TK_STRING;
  } else if (c == '"' || c == '`') {
    n = quoted_length(z, c);
    *peType = DM_TK_QUOTED;
  } else if (c == '[') {
    n = quoted_length(z, ']');
    *peType = DM_TK_QUOTED;
  } else if (is_digit(c) || (c == '.' && is_digit(z[1]))) {
    int bHex = c == '0' && (z[1] == 'x' || z[1] == 'X');
    n = 1;
    while (is_idchar(z[n]) || z[n] == '.' ||
           (!bHex && (z[n] == '+' || z[n] == '-') &&
            (z[n - 1] == 'e' || z[n - 1] == 'E'))) {
      n++;
    }
    *peType = DM_TK_OTHER;
  } else if (is_idchar(c)) {
    while (is_idchar(z[n])) n++;
    *peType = DM_TK_WORD;
  } else if ((c == '?' || c == ':' || c == '@' || c == '$') && is_idchar(z[1])) {
    n = 1;
    while (is_idchar(z[n])) n++;
    *peType = DM_TK_OTHER;
  } else {
    n = 1;
    *peType = DM_TK_OTHER;
  }
  return n;
}

static void append_lower(sqlite3_str *pStr, const char *z, int n) {
  for (int i = 0; i < n; i++) {
    char c = z[i];
    sqlite3_str_appendchar(pStr, 1, (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c);
  }
}

/* The identifier inside a quoted token, lower-cased: "Items" -> items. */
static void append_unquoted(sqlite3_str *pStr, const char *z, int n, int bLower) {
  char cEnd = z[0] == '[' ? ']' : z[0];
  int iEnd = (n >= 2 && z[n - 1] == cEnd) ? n - 1 : n;
  for (int i = 1; i < iEnd; i++) {
    char c = z[i];
    if (c == cEnd && cEnd != ']' && i + 1 < iEnd && z[i + 1] == cEnd) i++;
    if (bLower && c >= 'A' && c <= 'Z') c = (char)(c + 32);
    sqlite3_str_appendchar(pStr, 1, c);
  }
}

/* sqlite3_str_finish() gives 0 for an empty string too; only OOM is. */
static char *str_done(sqlite3_str *pStr) {
  int rc = sqlite3_str_errcode(pStr);
  char *z = sqlite3_str_finish(pStr);
  if (rc != SQLITE_OK) {
    sqlite3_free(z);
    return 0;
  }
  return z ? z : sqlite3_mprintf("");
}

char *dm_sql_normal(const char *z, int n) {
  sqlite3_str *pStr = sqlite3_str_new(0);
  int i = 0;
  int bFirst = 1;
  while (i < n) {
    DmTokenType eType;
    int nTok = dm_token(z + i, &eType);
    if (nTok == 0) break;
    if (i + nTok > n) nTok = n - i;
    if (eType != DM_TK_SPACE) {
      if (!bFirst) sqlite3_str_appendchar(pStr, 1, ' ');
      bFirst = 0;
      if (eType == DM_TK_STRING) {
        sqlite3_str_append(pStr, z + i, nTok);
      } else if (eType == DM_TK_QUOTED) {
        append_unquoted(pStr, z + i, nTok, 1);
      } else {
        append_lower(pStr, z + i, nTok);
      }
    }
    i += nTok;
  }
  return str_done(pStr);
}

char *dm_sql_line(const char *z, int n, int nMax) {
  sqlite3_str *pStr = sqlite3_str_new(0);
  int i = 0;
  int bSpace = 0;
  char cLast = 0;
  while (i < n) {
    DmTokenType eType;
    int nTok = dm_token(z + i, &eType);
    if (nTok == 0) break;
    if (i + nTok > n) nTok = n - i;
    if (eType == DM_TK_SPACE) {
      bSpace = 1;
    } else {
      int nLen = sqlite3_str_length(pStr);
      if (bSpace && nLen > 0 && cLast != '(' && z[i] != ')' && z[i] != ',') {
        sqlite3_str_appendchar(pStr, 1, ' ');
        nLen++;
      }
      bSpace = 0;
      if (nMax > 0 && nLen + nTok > nMax) {
        int nRoom = nMax - nLen;
        if (nRoom > 0) sqlite3_str_append(pStr, z + i, nRoom);
        sqlite3_str_appendall(pStr, "...");
        break;
      }
      sqlite3_str_append(pStr, z + i, nTok);
      cLast = z[i + nTok - 1];
    }
    i += nTok;
  }
  return str_done(pStr);
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

static char *name_of(const char *z, int n, DmTokenType eType) {
  sqlite3_str *pStr = sqlite3_str_new(0);
  if (eType == DM_TK_QUOTED || eType == DM_TK_STRING) {
    append_unquoted(pStr, z, n, 0);
  } else {
    sqlite3_str_append(pStr, z, n);
  }
  return str_done(pStr);
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
  pItem->zName = name_of(z + iName, nName, eName);
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

/* ---- What a migration must not run --------------------------------------- */

const char *dm_sql_skip_empty(const char *z) {
  for (;;) {
    DmTokenType eType;
    int n = dm_token(z, &eType);
    if (n == 0 || !(eType == DM_TK_SPACE || (n == 1 && z[0] == ';'))) return z;
    z += n;
  }
}

const char *dm_sql_statement_end(const char *z) {
  const char *zEnd = z;
  DmTokenType eType;
  int n;
  while ((n = dm_token(zEnd, &eType)) > 0) {
    zEnd += n;
    if (!(n == 1 && zEnd[-1] == ';')) continue;
    char *zPrefix = sqlite3_mprintf("%.*s", (int)(zEnd - z), z);
    int bComplete = !zPrefix || sqlite3_complete(zPrefix);
    sqlite3_free(zPrefix);
    if (bComplete) break;
  }
  return zEnd;
}

/* The next token after whitespace and comments, at *pz; its length. */
static int token_after_space(const char **pz, DmTokenType *peType) {
  int n;
  while ((n = dm_token(*pz, peType)) > 0 && *peType == DM_TK_SPACE) *pz += n;
  return n;
}

/* A name token, unquoted, compared without case to zName (no allocation:
** it must hold under out of memory too). */
static int name_is(const char *z, int n, DmTokenType eType, const char *zName) {
  if (eType == DM_TK_WORD) return word_is(z, n, zName);
  /* None of the names asked about holds a quote character. */
  if ((eType != DM_TK_QUOTED && eType != DM_TK_STRING) || n < 2) return 0;
  return word_is(z + 1, n - 2, zName);
}

/* PRAGMA [schema.]name [= value | (value)], from just after PRAGMA. */
static DmRefusal pragma_refusal(const char *z) {
  static const char *const azMode[] = {"journal_mode", "locking_mode", "writable_schema"};
  DmTokenType eType, eNext;
  int n = token_after_space(&z, &eType);
  const char *zAfter = z + n;
  int nNext = token_after_space(&zAfter, &eNext);
  if (nNext == 1 && zAfter[0] == '.') {
    z = zAfter + 1;
    n = token_after_space(&z, &eType);
    zAfter = z + n;
    nNext = token_after_space(&zAfter, &eNext);
  }
  int bSets = nNext == 1 && (zAfter[0] == '=' || zAfter[0] == '(');
  if (n == 0 || !bSets) return DM_REFUSE_NONE;
  for (size_t i = 0; i < sizeof(azMode) / sizeof(azMode[0]); i++) {
    if (name_is(z, n, eType, azMode[i])) return DM_REFUSE_PRAGMA;
  }
  return name_is(z, n, eType, "foreign_keys") ? DM_WARN_FOREIGN_KEYS : DM_REFUSE_NONE;
}

DmRefusal dm_sql_refusal(const char *zStmt) {
  static const char *const azTransaction[] = {"BEGIN",     "COMMIT",  "END",
                                              "ROLLBACK",  "SAVEPOINT", "RELEASE"};
  const char *z = dm_sql_skip_empty(zStmt);
  DmTokenType eType;
  int n = dm_token(z, &eType);
  if (n == 0 || eType != DM_TK_WORD) return DM_REFUSE_NONE;
  for (size_t i = 0; i < sizeof(azTransaction) / sizeof(azTransaction[0]); i++) {
    if (word_is(z, n, azTransaction[i])) return DM_REFUSE_TRANSACTION;
  }
  if (word_is(z, n, "ATTACH") || word_is(z, n, "DETACH")) return DM_REFUSE_ATTACH;
  if (word_is(z, n, "VACUUM")) return DM_REFUSE_VACUUM;
  if (word_is(z, n, "PRAGMA")) return pragma_refusal(z + n);
  return DM_REFUSE_NONE;
}

const char *dm_refusal_reason(DmRefusal e) {
  switch (e) {
    case DM_REFUSE_TRANSACTION:
      return "a migration must not control the transaction (BEGIN, COMMIT, END, "
             "ROLLBACK, SAVEPOINT, RELEASE): distmigrate runs the whole run as one "
             "transaction and ends it itself; remove the statement";
    case DM_REFUSE_ATTACH:
      return "a migration must not ATTACH or DETACH a database: a run migrates main "
             "alone, in one transaction, and SQLite cannot attach inside a "
             "transaction; move data between files outside the migrations";
    case DM_REFUSE_VACUUM:
      return "a migration must not VACUUM: SQLite cannot vacuum inside the run's "
             "transaction; run VACUUM on its own after migrating";
    case DM_REFUSE_PRAGMA:
      return "a migration must not set journal_mode, locking_mode or writable_schema: "
             "the run must stay able to roll back, and SQLite's guard on the schema "
             "must stay up; set modes outside the migrations, and change a table's "
             "definition with migrate_alter_table()";
    case DM_WARN_FOREIGN_KEYS:
      return "PRAGMA foreign_keys does nothing inside the run's transaction (SQLite "
             "ignores it there): distmigrate already turns enforcement off for the "
             "run and runs PRAGMA foreign_key_check before it commits; remove the "
             "statement";
    default:
      return "";
  }
}
