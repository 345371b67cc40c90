/*
** CREATE TABLE, taken apart: the statement's tokens as an array, names
** as SQLite reads them, and the definitions between its parentheses. The
** drift check (ops/check.c) compares tables item by item with it, and
** migrate_alter_table() (alter/) reads its statement through the same
** tokens.
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
** migrate_alter_table() reads its statement with it, the drift check's
** items (DmTable below) are made from it.
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

/* One definition between the parentheses of a CREATE TABLE. */
typedef struct DmTableItem DmTableItem;
struct DmTableItem {
  int bConstraint;   /* A table constraint, not a column */
  char *zKey;        /* Column: its name; named constraint: "constraint
                     ** NAME"; other constraints: their normal form. All
                     ** in normal form, so equal keys mean the same thing. */
  char *zName;       /* Column or constraint name as written, or 0 */
  char *zBody;       /* The definition after the column name (column) or
                     ** after CONSTRAINT NAME (named constraint), one line */
  char *zNormal;     /* The whole definition, normal form */
  char *zLine;       /* The whole definition, one line */
};

typedef struct DmTable DmTable;
struct DmTable {
  int nItem;
  DmTableItem *aItem;
  char *zOptions;        /* After the closing parenthesis, one line ("" if none) */
  char *zOptionsNormal;
};

/*
** Split a CREATE TABLE statement into its definitions, as
** dm_create_parse() reads them. Returns SQLITE_OK, SQLITE_NOMEM, or
** SQLITE_ERROR if zSql is not one CREATE TABLE with a parenthesised
** definition list (a virtual table, say): compare those whole.
*/
int dm_table_parse(const char *zSql, DmTable *pTable);
void dm_table_clear(DmTable *pTable);


#endif
