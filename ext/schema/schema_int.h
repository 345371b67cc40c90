/*
** What the files of ext/schema/ share and nothing above them needs: the
** parts of a model that only the CREATE text holds (text.c), read from
** the one tokenizer's tokens, and the small allocation helpers.
*/
#ifndef DM_SCHEMA_INT_H
#define DM_SCHEMA_INT_H

#include "schema/model.h"
#include "sqltext/create.h"

/*
** What a CREATE TABLE's text says that no pragma does, for a table of
** nCol columns (aCol's names already filled from table_xinfo): each
** column's COLLATE and generated expression, the CHECKs in the order
** written, AUTOINCREMENT, and, for each foreign key in the order written,
** whether it is DEFERRABLE INITIALLY DEFERRED (*paDeferred, *pnFk;
** sqlite3_free it). SQLITE_OK or SQLITE_NOMEM (or SQLITE_ERROR if the text
** is not a CREATE TABLE the parser reads).
*/
int dm_schema_table_text(DmSchemaTable *pTab, int **paDeferred, int *pnFk);

/*
** A CREATE VIRTUAL TABLE's module (lower case) and arguments (normal form,
** 0 if it has none) into pTab.
*/
int dm_schema_vtab_text(DmSchemaTable *pTab);

/*
** A CREATE INDEX's text: the expression of each key column that is one
** (aCol[i].zName == 0), and a partial index's WHERE, into pIdx.
*/
int dm_schema_index_text(DmIndex *pIdx);

/* The declared type in normal form: upper case, single spaces, none
** around "(" "," ")" ("VARCHAR(255)"). */
char *dm_schema_type_norm(const char *zType);

/* A DEFAULT expression in normal form, one pair of outer parentheses
** dropped. */
char *dm_schema_default_norm(const char *zDefault);

/* A view's or trigger's statement in normal form, without "IF NOT
** EXISTS" and a schema before its name. */
char *dm_schema_object_norm(const char *zSql);

/*
** The "-- @renamed from=old" hints of zSql laid on p, the model built from
** it. SQLITE_ERROR with *pzErr for a hint with no name or on no line a
** hint may be on.
*/
int dm_schema_hints(const char *zSql, DmSchema *p, char **pzErr);

/* A copy of z, lower-cased (ASCII); 0 for 0 or on OOM. */
char *dm_schema_lower(const char *z);

/* Make room for one more element of sz bytes at the end of *pa (n in use),
** zeroed. 0 on OOM (*pa is unchanged then). The room grows by doubling: an
** array must only ever grow through this function. */
void *dm_schema_grow(void *pa, int n, size_t sz);

void dm_schema_index_cols_free(DmIndexCol *a, int n);

#endif
