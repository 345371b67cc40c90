/*
** SQL text as people and comparisons see it: SQLite's tokens, a normalised
** form that ignores whitespace, comments, case and identifier quoting, a
** one-line rendering for messages, and the definitions of a CREATE TABLE.
**
** SQLite has no public tokenizer, so dm_sql_token() is a port of the rules
** of its own, sqlite3GetToken() in src/tokenize.c, as SQLite 3.40 has them:
** the same character classes, and every token begins and ends where
** SQLite's does, so that everything here that reads SQL text sees the
** tokens SQLite will see. It is the one tokenizer: read SQL through it,
** never with a hand-written scanner.
*/
#ifndef DM_SQLTEXT_H
#define DM_SQLTEXT_H

#include "sqltext/token.h"

/* The coarse kinds that most readers need: dm_sql_token's, folded. */
typedef enum DmTokenType {
  DM_TK_SPACE,    /* Whitespace or a comment */
  DM_TK_WORD,     /* Keyword or bare identifier */
  DM_TK_QUOTED,   /* "identifier", `identifier` or [identifier], closed or
                  ** not */
  DM_TK_STRING,   /* 'string' or x'blob', closed, well-formed or not */
  DM_TK_OTHER     /* Number, operator, punctuation, ';', variable, and
                  ** any other illegal token */
} DmTokenType;

/* Length of the token at z (0 at the end of the text) and its type: the
** tokens of dm_sql_token(). */
int dm_token(const char *z, DmTokenType *peType);

/*
** The comparable form of n bytes of SQL at z: tokens separated by single
** spaces, comments dropped, words and identifiers lower-cased and unquoted,
** strings kept as written. sqlite3_malloc'd; 0 on OOM.
*/
char *dm_sql_normal(const char *z, int n);

/*
** n bytes of SQL at z on one line, for a person: comments dropped,
** whitespace folded to one space (none after "(" or before ")" and ","),
** strings kept as written; cut after nMax characters with "..." (nMax <= 0:
** no limit). sqlite3_malloc'd; 0 on OOM.
*/
char *dm_sql_line(const char *z, int n, int nMax);

/*
** z past whitespace, comments and empty statements (a stray ';'), which
** SQLite's parser skips before a statement: where the statement begins.
*/
const char *dm_sql_skip_empty(const char *z);

/*
** The end of the statement that begins at z, as SQLite splits statements:
** just past the first ';' token at which sqlite3_complete() accepts the
** text so far (a trigger body's ';' do not end it), or the end of the text.
** Only ';' tokens are tried, so a string full of ';' costs one scan.
** Where sqlite3_complete() reads more crudely than SQLite's parser (a
** quote inside a Tcl variable's "(index)", a '\v' in the space before
** TRIGGER), the end is sqlite3_complete()'s, not sqlite3_prepare()'s.
*/
const char *dm_sql_statement_end(const char *z);

/*
** What a migration's statement must not be. A run is one transaction that
** distmigrate owns, on the main database, able to roll back: a statement
** that ends or nests that transaction, attaches a database, vacuums, or
** changes how SQLite journals, locks or guards the schema breaks that.
*/
typedef enum DmRefusal {
  DM_REFUSE_NONE,
  DM_REFUSE_TRANSACTION,  /* BEGIN, COMMIT, END, ROLLBACK [TO], SAVEPOINT, RELEASE */
  DM_REFUSE_ATTACH,       /* ATTACH, DETACH */
  DM_REFUSE_VACUUM,       /* VACUUM [INTO] */
  DM_REFUSE_PRAGMA,       /* Sets journal_mode, locking_mode or writable_schema */
  DM_WARN_FOREIGN_KEYS    /* PRAGMA foreign_keys: allowed, but a no-op in a run */
} DmRefusal;

/*
** The refusal that the statement starting at zStmt earns, read from its
** first tokens (it may start with whitespace, comments and stray ';'). The
** generator judges a migration file by it; the runner judges pragmas by it
** before preparing them (SQLite applies locking_mode and writable_schema
** when it compiles the pragma) and everything else by what SQLite compiled.
*/
DmRefusal dm_sql_refusal(const char *zStmt);

/* Why a statement of kind e is refused, and what to do instead: one sentence. */
const char *dm_refusal_reason(DmRefusal e);

/* The CREATE TABLE parser and the token array it reads. */
#include "sqltext/create.h"

/* ---- Reading a statement token by token ------------------------------- */

/* One token of SQL text, by pointer: where it starts, its length, its type
** (create.h's DmSqlToken is the same by offset, for token arrays). */
typedef struct DmTokenRef DmTokenRef;
struct DmTokenRef {
  const char *z;
  int n;               /* 0 at the end of the text */
  DmTokenType eType;
};

/* The next token at or after *pz that is not space or a comment; *pz
** moves past it. */
DmTokenRef dm_sql_next(const char **pz);

/* Whether the token is the keyword zKeyword (a bare word, any case: a
** quoted "SAVEPOINT" is a name, not the keyword). */
int dm_sql_keyword_is(const DmTokenRef *pTok, const char *zKeyword);

/*
** Whether the token names zName, any case, bare or quoted as SQLite reads
** a name ("x", `x`, [x], 'x'). zName must hold no quote character. No
** allocation, so it holds under out of memory too.
*/
int dm_sql_name_is(const DmTokenRef *pTok, const char *zName);

/*
** The name the token stands for, unquoted as SQLite dequotes it: "a""b"
** is a"b, [a b] is a b, 'x' is x, a bare word as written.
** sqlite3_malloc'd; 0 on OOM.
*/
char *dm_sql_unquote(const DmTokenRef *pTok);

/* What a PRAGMA statement says: PRAGMA [schema.]name [= value | (value)]. */
typedef struct DmPragma DmPragma;
struct DmPragma {
  DmTokenRef schema;   /* n == 0 if none */
  DmTokenRef name;     /* n == 0 if none */
  DmTokenRef value;    /* n == 0 if it sets nothing */
  int bSets;           /* "=" or "(" follows the name */
};

/*
** The text from z to zEnd as one line for a message: whitespace runs
** folded (in strings too), cut after nMax characters with "...". Linear in
** what it shows, however long the text. sqlite3_malloc'd; 0 on OOM.
*/
char *dm_sql_excerpt(const char *z, const char *zEnd, int nMax);

/* Read the pragma from z, just after the PRAGMA keyword. */
void dm_sql_pragma(const char *z, DmPragma *pPragma);

/*
** The length of the statement z[0..n) without what ends it: trailing
** whitespace, comments and ';' tokens.
*/
int dm_sql_trim_end(const char *z, int n);

#endif
