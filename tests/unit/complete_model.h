/*
** What sqlite3_complete() must say of a text, predicted from the tokens
** of dm_sql_token(): SQLite's complete.c state machine (the one that finds
** the ";END;" of a trigger) driven by our tokens instead of complete.c's
** own scan. Where the two agree, every ';' that we call a SEMI token is
** one complete.c sees, and every ';' inside one of our strings, quoted
** identifiers or comments is one it does not: the check that our token
** boundaries are SQLite's, used by tests/unit/test_tokenize.c on its
** table and by tests/fuzz/fuzz_tokenize.c on any bytes.
**
** complete.c scans more crudely than sqlite3GetToken() in three places,
** where the model answers -1 (no prediction):
**   - a Tcl variable's "(index)" ($a(;) is one variable to the parser,
**     but "(" ";" ")" to complete.c);
**   - '\v' inside a run of whitespace (space to the parser; complete.c
**     calls it a token, which can hide a CREATE TRIGGER from it);
**   - a UTF-8 byte-order mark (space to the parser; identifier bytes to
**     complete.c).
** Everything else that complete.c reads differently (x'00' as x and a
** string, 1.5e3 as four tokens, @end as @ and END) leaves its state
** machine where our tokens leave it, so the model predicts exactly.
**
** A text that ends inside a "--" comment is complete when the text before
** the comment is, in SQLite 3.40 (the newest complete.c says "incomplete").
*/
#ifndef DM_COMPLETE_MODEL_H
#define DM_COMPLETE_MODEL_H

#include <string.h>

#include "sqltext/sqltext.h"

enum { tkSEMI, tkWS, tkOTHER, tkEXPLAIN, tkCREATE, tkTEMP, tkTRIGGER, tkEND };

static int model_word_is(const char *z, int n, const char *zWord) {
  int nWord = (int)strlen(zWord);
  if (n != nWord) return 0;
  for (int i = 0; i < n; i++) {
    char c = z[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
    if (c != zWord[i]) return 0;
  }
  return 1;
}

static int model_keyword(const char *z, int n) {
  if (model_word_is(z, n, "create")) return tkCREATE;
  if (model_word_is(z, n, "temp") || model_word_is(z, n, "temporary")) return tkTEMP;
  if (model_word_is(z, n, "trigger")) return tkTRIGGER;
  if (model_word_is(z, n, "end")) return tkEND;
  if (model_word_is(z, n, "explain")) return tkEXPLAIN;
  return tkOTHER;
}

/* 1 or 0 as sqlite3_complete(z) must answer, or -1: no prediction. */
static int model_complete(const char *z) {
  static const unsigned char trans[8][8] = {
      /*               SEMI WS OTHER EXPLAIN CREATE TEMP TRIGGER END */
      /* 0 INVALID */ {1, 0, 2, 3, 4, 2, 2, 2},
      /* 1 START   */ {1, 1, 2, 3, 4, 2, 2, 2},
      /* 2 NORMAL  */ {1, 2, 2, 2, 2, 2, 2, 2},
      /* 3 EXPLAIN */ {1, 3, 3, 2, 4, 2, 2, 2},
      /* 4 CREATE  */ {1, 4, 2, 2, 2, 4, 5, 2},
      /* 5 TRIGGER */ {6, 5, 5, 5, 5, 5, 5, 5},
      /* 6 SEMI    */ {6, 6, 5, 5, 5, 5, 5, 7},
      /* 7 END     */ {1, 7, 5, 5, 5, 5, 5, 5},
  };
  int state = 0;
  DmTokenKind eKind;
  int n;
  for (; (n = dm_sql_token(z, &eKind)) > 0; z += n) {
    int bLast = z[n] == 0;
    int tk = tkOTHER;
    switch (eKind) {
      case DM_KIND_SPACE:
        if (memchr(z, '\v', (size_t)n) || (unsigned char)z[0] == 0xEF) return -1;
        tk = tkWS;
        break;
      case DM_KIND_COMMENT:
        if (bLast && z[0] == '-') return state == 1;
        if (bLast && z[0] == '/' && !(n >= 4 && z[n - 2] == '*' && z[n - 1] == '/')) {
          return 0; /* Not closed */
        }
        tk = tkWS;
        break;
      case DM_KIND_SEMI:
        tk = tkSEMI;
        break;
      case DM_KIND_ID:
        tk = model_keyword(z, n);
        break;
      case DM_KIND_VARIABLE:
        if (memchr(z, '(', (size_t)n)) return -1;
        break;
      case DM_KIND_ILLEGAL:
        if (strchr("$@:#", z[0]) && memchr(z, '(', (size_t)n)) return -1;
        /* Strings and identifiers not closed run to the end; so does a
        ** malformed blob that is not closed. */
        if (z[0] == '\'' || z[0] == '"' || z[0] == '`' || z[0] == '[') return 0;
        if ((z[0] == 'x' || z[0] == 'X') && z[1] == '\'' && !(n > 2 && z[n - 1] == '\'')) {
          return 0;
        }
        break;
      default:
        break;
    }
    state = trans[state][tk];
  }
  return state == 1;
}

#endif
