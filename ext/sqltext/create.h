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
** Split a CREATE TABLE statement into its definitions. Returns SQLITE_OK,
** SQLITE_NOMEM, or SQLITE_ERROR if zSql has no parenthesised definition
** list (a virtual table, say): compare those whole.
*/
int dm_table_parse(const char *zSql, DmTable *pTable);
void dm_table_clear(DmTable *pTable);


#endif
