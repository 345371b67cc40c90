/*
** SQL text: token types, the normal form drift detection compares, one-line
** renderings for messages, statement ends and refusals. The tokenizer
** itself is token.c; the CREATE TABLE parser is create.c.
*/
#include "sqltext/sqltext.h"

#include <string.h>

#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT3

int dm_token(const char *z, DmTokenType *peType) {
  DmTokenKind eKind;
  int n = dm_sql_token(z, &eKind);
  switch (eKind) {
    case DM_KIND_SPACE:
    case DM_KIND_COMMENT:
      *peType = DM_TK_SPACE;
      break;
    case DM_KIND_ID:
      *peType = DM_TK_WORD;
      break;
    case DM_KIND_QUOTED:
      *peType = DM_TK_QUOTED;
      break;
    case DM_KIND_STRING:
    case DM_KIND_BLOB:
      *peType = DM_TK_STRING;
      break;
    case DM_KIND_ILLEGAL:
      /* One that is not closed, or a malformed blob, keeps its quotes. */
      if (z[0] == '\'' || ((z[0] == 'x' || z[0] == 'X') && z[1] == '\'')) {
        *peType = DM_TK_STRING;
      } else if (z[0] == '"' || z[0] == '`' || z[0] == '[') {
        *peType = DM_TK_QUOTED;
      } else {
        *peType = DM_TK_OTHER;
      }
      break;
    default:
      *peType = DM_TK_OTHER;
      break;
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

static int word_is(const char *z, int n, const char *zWord) {
  return (int)strlen(zWord) == n && sqlite3_strnicmp(z, zWord, n) == 0;
}

/* ---- What a migration must not run --------------------------------------- */

const char *dm_sql_skip_empty(const char *z) {
  for (;;) {
    DmTokenKind eKind;
    int n = dm_sql_token(z, &eKind);
    if (n == 0 || !(eKind == DM_KIND_SPACE || eKind == DM_KIND_COMMENT ||
                    eKind == DM_KIND_SEMI)) {
      return z;
    }
    z += n;
  }
}

const char *dm_sql_statement_end(const char *z) {
  const char *zEnd = z;
  DmTokenKind eKind;
  int n;
  while ((n = dm_sql_token(zEnd, &eKind)) > 0) {
    zEnd += n;
    if (eKind != DM_KIND_SEMI) continue;
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
  DmPragma pragma;
  dm_sql_pragma(z, &pragma);
  if (!pragma.bSets) return DM_REFUSE_NONE;
  for (size_t i = 0; i < sizeof(azMode) / sizeof(azMode[0]); i++) {
    if (dm_sql_name_is(&pragma.name, azMode[i])) return DM_REFUSE_PRAGMA;
  }
  return dm_sql_name_is(&pragma.name, "foreign_keys") ? DM_WARN_FOREIGN_KEYS : DM_REFUSE_NONE;
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

/* ---- Reading a statement token by token ------------------------------- */

DmTokenRef dm_sql_next(const char **pz) {
  DmTokenRef tok;
  tok.n = token_after_space(pz, &tok.eType);
  tok.z = *pz;
  *pz += tok.n;
  return tok;
}

int dm_sql_keyword_is(const DmTokenRef *pTok, const char *zKeyword) {
  return pTok->eType == DM_TK_WORD && word_is(pTok->z, pTok->n, zKeyword);
}

int dm_sql_name_is(const DmTokenRef *pTok, const char *zName) {
  return name_is(pTok->z, pTok->n, pTok->eType, zName);
}

char *dm_sql_unquote(const DmTokenRef *pTok) {
  /* Only quoted names and strings start with a quote character. */
  return dm_sql_dequote(pTok->z, pTok->n);
}

void dm_sql_pragma(const char *z, DmPragma *p) {
  memset(p, 0, sizeof(*p));
  p->name = dm_sql_next(&z);
  DmTokenRef next = dm_sql_next(&z);
  if (next.n == 1 && next.z[0] == '.') {
    p->schema = p->name;
    p->name = dm_sql_next(&z);
    next = dm_sql_next(&z);
  }
  p->bSets = p->name.n > 0 && next.n == 1 && (next.z[0] == '=' || next.z[0] == '(');
  if (p->bSets) p->value = dm_sql_next(&z);
}

int dm_sql_trim_end(const char *z, int n) {
  int nKeep = 0;
  int i = 0;
  while (i < n) {
    DmTokenKind eKind;
    int nTok = dm_sql_token(z + i, &eKind);
    if (nTok == 0) break;
    i += nTok;
    if (eKind != DM_KIND_SPACE && eKind != DM_KIND_COMMENT && eKind != DM_KIND_SEMI) {
      nKeep = i < n ? i : n;
    }
  }
  return nKeep;
}

char *dm_sql_excerpt(const char *z, const char *zEnd, int nMax) {
  sqlite3_str *pStr = sqlite3_str_new(0);
  int nOut = 0, bSpace = 0;
  for (const char *p = z; p < zEnd; p++) {
    char c = *p;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      bSpace = 1;
      continue;
    }
    if (bSpace && nOut > 0) {
      sqlite3_str_appendchar(pStr, 1, ' ');
      nOut++;
    }
    bSpace = 0;
    if (nOut >= nMax) {
      sqlite3_str_appendall(pStr, "...");
      break;
    }
    sqlite3_str_appendchar(pStr, 1, c);
    nOut++;
  }
  return sqlite3_str_finish(pStr);
}
