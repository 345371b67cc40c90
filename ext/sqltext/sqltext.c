/*
** SQL text: tokens, the normal form drift detection compares, one-line
** renderings for messages, and the definitions of a CREATE TABLE.
*/
#include "sqltext/sqltext.h"

#include <string.h>

#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT3

/* ---- Tokens: sqlite3GetToken()'s rules -------------------------------------- */

/*
** Character classes, as tokenize.c has them: the class of a token's first
** byte decides how the token is read. Letters and '_' are one class here
** (SQLite splits them only to speed up its keyword lookup); every byte
** >= 0x80 is an identifier character, except that 0xEF may begin a UTF-8
** byte-order mark, which SQLite skips as space.
*/
enum {
  CC_X,         /* 'x' or 'X': an identifier, or x'..' a blob */
  CC_ID,        /* Other letters, '_', bytes >= 0x80 */
  CC_DIGIT,
  CC_DOLLAR,    /* '$' */
  CC_VARALPHA,  /* '@', '#', ':' */
  CC_VARNUM,    /* '?' */
  CC_SPACE,     /* ' ', '\t', '\n', '\f', '\r' (not '\v': see is_space) */
  CC_QUOTE,     /* '"', '\'', '`' */
  CC_QUOTE2,    /* '[' */
  CC_PIPE,
  CC_MINUS,
  CC_LT,
  CC_GT,
  CC_EQ,
  CC_BANG,
  CC_SLASH,
  CC_SEMI,
  CC_DOT,
  CC_PUNCT,     /* ( ) + * % , & ~: a token of one byte */
  CC_ILLEGAL,
  CC_NUL,
  CC_BOM        /* 0xEF */
};

#define I_ CC_ILLEGAL
/* clang-format off */
static const unsigned char aClass[128] = {
  /* 00-07 */ CC_NUL, I_, I_, I_, I_, I_, I_, I_,
  /* 08-0f */ I_, CC_SPACE, CC_SPACE, I_, CC_SPACE, CC_SPACE, I_, I_,
  /* 10-17 */ I_, I_, I_, I_, I_, I_, I_, I_,
  /* 18-1f */ I_, I_, I_, I_, I_, I_, I_, I_,
  /*  !"#$%&' */ CC_SPACE, CC_BANG, CC_QUOTE, CC_VARALPHA, CC_DOLLAR, CC_PUNCT, CC_PUNCT, CC_QUOTE,
  /* ()*+,-./ */ CC_PUNCT, CC_PUNCT, CC_PUNCT, CC_PUNCT, CC_PUNCT, CC_MINUS, CC_DOT, CC_SLASH,
  /* 01234567 */ CC_DIGIT, CC_DIGIT, CC_DIGIT, CC_DIGIT, CC_DIGIT, CC_DIGIT, CC_DIGIT, CC_DIGIT,
  /* 89:;<=>? */ CC_DIGIT, CC_DIGIT, CC_VARALPHA, CC_SEMI, CC_LT, CC_EQ, CC_GT, CC_VARNUM,
  /* @ABCDEFG */ CC_VARALPHA, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID,
  /* HIJKLMNO */ CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID,
  /* PQRSTUVW */ CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID,
  /* XYZ[\]^_ */ CC_X, CC_ID, CC_ID, CC_QUOTE2, I_, I_, I_, CC_ID,
  /* `abcdefg */ CC_QUOTE, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID,
  /* hijklmno */ CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID,
  /* pqrstuvw */ CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID, CC_ID,
  /* xyz{|}~  */ CC_X, CC_ID, CC_ID, I_, CC_PIPE, I_, CC_PUNCT, I_,
};
/* clang-format on */
#undef I_

static int char_class(unsigned char c) {
  if (c < 0x80) return aClass[c];
  return c == 0xEF ? CC_BOM : CC_ID;
}

/* sqlite3Isspace(): '\v' too, though it cannot begin a space token. */
static int is_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static int is_xdigit(unsigned char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* IdChar(): what may follow the first character of an identifier. */
static int is_idchar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
         c == '_' || c == '$' || c >= 0x80;
}

/* 'string', "id", `id`: a doubled delimiter inside is one character. */
static int quoted_token(const unsigned char *z, DmTokenKind *pe) {
  unsigned char cDelim = z[0], c = 0;
  int i;
  for (i = 1; (c = z[i]) != 0; i++) {
    if (c == cDelim) {
      if (z[i + 1] != cDelim) break;
      i++;
    }
  }
  if (c == 0) {
    *pe = DM_KIND_ILLEGAL; /* Not closed: to the end */
    return i;
  }
  *pe = c == '\'' ? DM_KIND_STRING : DM_KIND_QUOTED;
  return i + 1;
}

/* Decimal, hexadecimal (which stops at the last hex digit, in 3.40) and
** floating point; decimal digits run into identifier characters make one
** illegal token. */
static int number_token(const unsigned char *z, DmTokenKind *pe) {
  int i;
  *pe = DM_KIND_INTEGER;
  if (z[0] == '0' && (z[1] == 'x' || z[1] == 'X') && is_xdigit(z[2])) {
    for (i = 3; is_xdigit(z[i]); i++) {}
    return i;
  }
  for (i = 0; is_digit(z[i]); i++) {}
  if (z[i] == '.') {
    for (i++; is_digit(z[i]); i++) {}
    *pe = DM_KIND_FLOAT;
  }
  if ((z[i] == 'e' || z[i] == 'E') &&
      (is_digit(z[i + 1]) ||
       ((z[i + 1] == '+' || z[i + 1] == '-') && is_digit(z[i + 2])))) {
    for (i += 2; is_digit(z[i]); i++) {}
    *pe = DM_KIND_FLOAT;
  }
  while (is_idchar(z[i])) {
    *pe = DM_KIND_ILLEGAL;
    i++;
  }
  return i;
}

/* x'..': an illegal one runs to its closing quote, or the end. */
static int blob_token(const unsigned char *z, DmTokenKind *pe) {
  int i;
  *pe = DM_KIND_BLOB;
  for (i = 2; is_xdigit(z[i]); i++) {}
  if (z[i] != '\'' || i % 2) {
    *pe = DM_KIND_ILLEGAL;
    while (z[i] && z[i] != '\'') i++;
  }
  if (z[i]) i++;
  return i;
}

/*
** $name, :name, @name, #name. A name may hold Tcl's "::" and end in a
** Tcl array index "(...)", which runs to the first ')' and may not hold
** whitespace. With no name at all, the lone character is illegal.
*/
static int named_variable_token(const unsigned char *z, DmTokenKind *pe) {
  int i, nName = 0;
  unsigned char c;
  *pe = DM_KIND_VARIABLE;
  for (i = 1; (c = z[i]) != 0; i++) {
    if (is_idchar(c)) {
      nName++;
    } else if (c == '(' && nName > 0) {
      do {
        i++;
      } while ((c = z[i]) != 0 && !is_space(c) && c != ')');
      if (c == ')') {
        i++;
      } else {
        *pe = DM_KIND_ILLEGAL;
      }
      break;
    } else if (c == ':' && z[i + 1] == ':') {
      i++;
    } else {
      break;
    }
  }
  if (nName == 0) *pe = DM_KIND_ILLEGAL;
  return i;
}

/* A C comment from "/" "*" (z[2] is not the end); not closed, to the end. */
static int comment_token(const unsigned char *z, DmTokenKind *pe) {
  int i;
  unsigned char c;
  for (i = 3, c = z[2]; (c != '*' || z[i] != '/') && (c = z[i]) != 0; i++) {}
  if (c) i++;
  *pe = DM_KIND_COMMENT;
  return i;
}

static int operator_token(DmTokenKind *pe, int n) {
  *pe = DM_KIND_OPERATOR;
  return n;
}

static int identifier_token(const unsigned char *z, int i, DmTokenKind *pe) {
  while (is_idchar(z[i])) i++;
  *pe = DM_KIND_ID;
  return i;
}

int dm_sql_token(const char *zText, DmTokenKind *pe) {
  const unsigned char *z = (const unsigned char *)zText;
  int i;
  switch (char_class(z[0])) {
    case CC_SPACE:
      for (i = 1; is_space(z[i]); i++) {}
      *pe = DM_KIND_SPACE;
      return i;
    case CC_MINUS:
      if (z[1] == '-') {
        for (i = 2; z[i] != 0 && z[i] != '\n'; i++) {}
        *pe = DM_KIND_COMMENT;
        return i;
      }
      return operator_token(pe, z[1] == '>' ? 2 + (z[2] == '>') : 1); /* -> ->> - */
    case CC_SLASH:
      if (z[1] != '*' || z[2] == 0) return operator_token(pe, 1);
      return comment_token(z, pe);
    case CC_SEMI:
      *pe = DM_KIND_SEMI;
      return 1;
    case CC_PUNCT:
      return operator_token(pe, 1);
    case CC_EQ:
      return operator_token(pe, 1 + (z[1] == '='));
    case CC_LT:
      return operator_token(pe, z[1] == '=' || z[1] == '>' || z[1] == '<' ? 2 : 1);
    case CC_GT:
      return operator_token(pe, z[1] == '=' || z[1] == '>' ? 2 : 1);
    case CC_PIPE:
      return operator_token(pe, 1 + (z[1] == '|'));
    case CC_BANG:
      if (z[1] == '=') return operator_token(pe, 2);
      *pe = DM_KIND_ILLEGAL;
      return 1;
    case CC_QUOTE:
      return quoted_token(z, pe);
    case CC_QUOTE2: {
      unsigned char c = '[';
      for (i = 1; c != ']' && (c = z[i]) != 0; i++) {}
      *pe = c == ']' ? DM_KIND_QUOTED : DM_KIND_ILLEGAL;
      return i;
    }
    case CC_DOT:
      if (!is_digit(z[1])) return operator_token(pe, 1);
      return number_token(z, pe);
    case CC_DIGIT:
      return number_token(z, pe);
    case CC_VARNUM:
      for (i = 1; is_digit(z[i]); i++) {}
      *pe = DM_KIND_VARIABLE;
      return i;
    case CC_DOLLAR:
    case CC_VARALPHA:
      return named_variable_token(z, pe);
    case CC_X:
      if (z[1] == '\'') return blob_token(z, pe);
      return identifier_token(z, 1, pe);
    case CC_ID:
      return identifier_token(z, 1, pe);
    case CC_BOM:
      if (z[1] == 0xBB && z[2] == 0xBF) {
        *pe = DM_KIND_SPACE;
        return 3;
      }
      return identifier_token(z, 1, pe);
    case CC_NUL:
      *pe = DM_KIND_ILLEGAL;
      return 0;
    default:
      *pe = DM_KIND_ILLEGAL;
      return 1;
  }
}

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

DmSqlToken dm_sql_next(const char **pz) {
  DmSqlToken tok;
  tok.n = token_after_space(pz, &tok.eType);
  tok.z = *pz;
  *pz += tok.n;
  return tok;
}

int dm_sql_keyword_is(const DmSqlToken *pTok, const char *zKeyword) {
  return pTok->eType == DM_TK_WORD && word_is(pTok->z, pTok->n, zKeyword);
}

int dm_sql_name_is(const DmSqlToken *pTok, const char *zName) {
  return name_is(pTok->z, pTok->n, pTok->eType, zName);
}

char *dm_sql_unquote(const DmSqlToken *pTok) {
  const char *z = pTok->z;
  int n = pTok->n;
  if ((pTok->eType != DM_TK_QUOTED && pTok->eType != DM_TK_STRING) || n < 1 ||
      (z[0] != '"' && z[0] != '`' && z[0] != '[' && z[0] != '\'')) {
    return sqlite3_mprintf("%.*s", n, z);
  }
  char cClose = z[0] == '[' ? ']' : z[0];
  int iEnd = n >= 2 && z[n - 1] == cClose ? n - 1 : n; /* not closed: to the end */
  sqlite3_str *pStr = sqlite3_str_new(0);
  for (int i = 1; i < iEnd; i++) {
    sqlite3_str_appendchar(pStr, 1, z[i]);
    if (cClose != ']' && z[i] == cClose && i + 1 < iEnd && z[i + 1] == cClose) i++;
  }
  return str_done(pStr);
}

void dm_sql_pragma(const char *z, DmPragma *p) {
  memset(p, 0, sizeof(*p));
  p->name = dm_sql_next(&z);
  DmSqlToken next = dm_sql_next(&z);
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
