/*
** The one SQL tokenizer: dm_sql_token(), sqlite3GetToken()'s rules (see
** sqltext.h and token.h). It calls no SQLite function.
*/
#include "sqltext/token.h"

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

/* The operators and punctuation: a token of one to three bytes. */
static int operator_of(int eClass, const unsigned char *z, DmTokenKind *pe) {
  switch (eClass) {
    case CC_MINUS:
      return operator_token(pe, z[1] == '>' ? 2 + (z[2] == '>') : 1); /* -> ->> - */
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
    case CC_PUNCT:
    case CC_SLASH:
    case CC_DOT:
      return operator_token(pe, 1);
    default:
      *pe = DM_KIND_ILLEGAL;
      return 1;
  }
}

/* "[name]": to the first ']' (no doubling), illegal if there is none. */
static int bracket_token(const unsigned char *z, DmTokenKind *pe) {
  unsigned char c = '[';
  int i;
  for (i = 1; c != ']' && (c = z[i]) != 0; i++) {}
  *pe = c == ']' ? DM_KIND_QUOTED : DM_KIND_ILLEGAL;
  return i;
}

/*
** SQLite's sqlite3GetToken(), case for case: the first byte's class picks
** the rule. What starts a comment, a number or a blob is decided here; the
** operators are operator_of()'s.
*/
int dm_sql_token(const char *zText, DmTokenKind *pe) {
  const unsigned char *z = (const unsigned char *)zText;
  int eClass = char_class(z[0]);
  int i;
  switch (eClass) {
    case CC_SPACE:
      for (i = 1; is_space(z[i]); i++) {}
      *pe = DM_KIND_SPACE;
      return i;
    case CC_MINUS:
      if (z[1] != '-') return operator_of(eClass, z, pe);
      for (i = 2; z[i] != 0 && z[i] != '\n'; i++) {}
      *pe = DM_KIND_COMMENT;
      return i;
    case CC_SLASH:
      if (z[1] != '*' || z[2] == 0) return operator_of(eClass, z, pe);
      return comment_token(z, pe);
    case CC_SEMI:
      *pe = DM_KIND_SEMI;
      return 1;
    case CC_QUOTE:
      return quoted_token(z, pe);
    case CC_QUOTE2:
      return bracket_token(z, pe);
    case CC_DOT:
      if (!is_digit(z[1])) return operator_of(eClass, z, pe);
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
      if (z[1] != 0xBB || z[2] != 0xBF) return identifier_token(z, 1, pe);
      *pe = DM_KIND_SPACE;
      return 3;
    case CC_NUL:
      *pe = DM_KIND_ILLEGAL;
      return 0;
    default:
      return operator_of(eClass, z, pe);
  }
}
