/*
** The one SQL tokenizer, dm_sql_token(): the rules of SQLite's own (see
** sqltext.h). It calls no SQLite function, so that what links no SQLite
** (the generator's file parser, its unit test and fuzz target) reads SQL
** with the same tokens as the rest.
*/
#ifndef DM_TOKEN_H
#define DM_TOKEN_H

/*
** What a token is, as finely as a reader of SQL text needs: SQLite's TK_
** class of the token, keywords not told from identifiers (compare the
** text) and operators not told apart (compare the text: one to three
** bytes).
*/
typedef enum DmTokenKind {
  DM_KIND_SPACE,     /* Whitespace, or a UTF-8 byte-order mark */
  DM_KIND_COMMENT,   /* -- to the end of the line, or a C comment (one that
                     ** is not closed runs to the end of the text, and SQLite
                     ** accepts it). SQLite 3.40 calls both TK_SPACE. */
  DM_KIND_ID,        /* Keyword or bare identifier: letters, digits, '_',
                     ** '$' and any byte >= 0x80, not starting with a digit
                     ** or '$' */
  DM_KIND_QUOTED,    /* "identifier" or `identifier` (a doubled quote inside
                     ** is one quote), or [identifier] (no doubling) */
  DM_KIND_STRING,    /* 'text', '' inside for one quote */
  DM_KIND_BLOB,      /* x'0A1b' or X'..': an even number of hex digits */
  DM_KIND_INTEGER,   /* 12, 0x1F */
  DM_KIND_FLOAT,     /* 1.5, 1., .5, 1e3, 2.5E-3 */
  DM_KIND_VARIABLE,  /* ?, ?NNN, :name, @name, #name, $name, and Tcl's
                     ** $a::b and $a(index) (the same forms after : @ #).
                     ** #name is always one; SQLite's parser then takes
                     ** #digits for a register (a syntax error outside its
                     ** own nested statements), any other #name for a
                     ** parameter */
  DM_KIND_SEMI,      /* ; */
  DM_KIND_OPERATOR,  /* ( ) , . + - * / % & | ~ = == < <= <> << > >= >> !=
                     ** || -> ->> */
  DM_KIND_ILLEGAL    /* What SQLite refuses ("unrecognized token"): a string
                     ** or quoted identifier that is not closed (to the end
                     ** of the text), x'..' with an odd number of digits or
                     ** a non-digit (to its closing quote), a number run into
                     ** identifier characters (1abc, 0x, 1_000), '!' alone,
                     ** ':' '@' '#' '$' with no name, $a(b with no ')', and
                     ** any other byte (a control character, '^', '{', '\\') */
} DmTokenKind;

/*
** Length in bytes of the token at z and its kind; 0 at the end of the text
** (the terminating NUL), where *peKind is DM_KIND_ILLEGAL. Every other
** token is at least one byte long, so the tokens of a text cover it.
**
** Other SQLite versions cut a few malformed or odd inputs differently:
** from 3.46, '_' between digits is a digit separator (1_000 is a number
** there, here an illegal token of the same length; 0x1_0 is one token
** there, here 0x1 and _0) and a hexadecimal number run into identifier
** characters is one illegal token (0x1g; here 0x1 and g, which 3.40
** accepts as a number and an alias); the newest call comments TK_COMMENT.
*/
int dm_sql_token(const char *z, DmTokenKind *peKind);

#endif
