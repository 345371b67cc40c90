/*
** CREATE TABLE, taken apart: the statement's tokens as an array, names
** as SQLite reads them, and the definitions between its parentheses.
** migrate_alter_table() (alter/) reads its statement through it, and the
** schema model (schema/text.c) reads what no pragma gives from it.
*/
#ifndef DM_CREATE_H
#define DM_CREATE_H

#include "sqltext/token.h"

/* One token of a statement: dm_sql_token()'s kind, where it is. */
typedef struct DmSqlToken DmSqlToken;
struct DmSqlToken {
  DmTokenKind eKind;
  int iOff;  /* Offset in the text */
  int n;     /* Length in bytes */
};

/*
** The tokens of zSql that are not space or comments, in order, in a
** sqlite3_malloc'd array *paTok (free it with sqlite3_free) of *pnTok.
** SQLITE_OK or SQLITE_NOMEM.
*/
int dm_sql_tokenize(const char *zSql, DmSqlToken **paTok, int *pnTok);

/*
** The name a token of n bytes at z stands for, as SQLite reads it: quotes
** removed and doubled quotes undone ("a""b" -> a"b, [x] -> x); a bare word
** as it is. sqlite3_malloc'd; 0 on OOM.
*/
char *dm_sql_dequote(const char *z, int n);

/*
** A CREATE TABLE statement taken apart into token ranges:
** CREATE TABLE [IF NOT EXISTS] [main.]name (elements) [options] [;].
** migrate_alter_table() reads its statement with it, the schema model
** its CHECKs, COLLATEs, generated columns and foreign keys.
*/
typedef struct DmCreateElem DmCreateElem;
struct DmCreateElem {
  char *zName;     /* A column's name, dequoted; 0 for a table constraint */
  int iFirst;      /* Its tokens: [iFirst, iEnd) */
  int iEnd;
  int iType;       /* A column's declared type: tokens [iType, iTypeEnd) */
  int iTypeEnd;
};

typedef struct DmCreate DmCreate;
struct DmCreate {
  const char *zSql;
  DmSqlToken *aTok;
  int nTok;        /* Tokens of the statement, its ';' not included */
  int iName;       /* The table name's token */
  char *zName;     /* ... dequoted */
  int iOpen;       /* "(" and ")" around the columns */
  int iClose;
  DmCreateElem *aElem;     /* Columns, then table constraints */
  int nElem;
  int nCol;        /* Leading elements that are columns */
};

/*
** Take zSql apart into *p (clear it with dm_create_clear() whatever this
** returns). Only the shape is checked, and a token SQLite would not read:
** SQLITE_ERROR with *pzErr (sqlite3_malloc'd) saying what to write
** instead, or SQLITE_NOMEM.
*/
int dm_create_parse(const char *zSql, DmCreate *p, char **pzErr);
void dm_create_clear(DmCreate *p);

/* Token t of zSql is the keyword or bare word zWord, in any case. */
int dm_token_is_word(const char *zSql, const DmSqlToken *t, const char *zWord);

#endif
