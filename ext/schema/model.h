/*
** The schema model: one in-memory description of a database schema, read
** from SQLite itself. The pragmas give what they expose (table_list,
** table_xinfo, index_list, index_xinfo, foreign_key_list); the one
** tokenizer's parse of the CREATE text gives the rest (CHECK, COLLATE,
** generated expressions, DEFERRABLE, AUTOINCREMENT, view and trigger
** bodies). A model built from SQL text is built from a private :memory:
** database the text was replayed into, so SQLite has validated it.
**
** Every text that is compared is kept in normal form (zNorm fields):
** identifiers unquoted and lower case, keywords lower case, one space
** between tokens, comments gone, string literals as written. Two models are
** equal when they mean the same: quoting, case, whitespace, comments, the
** order of table constraints, and INTEGER PRIMARY KEY written inline or as
** PRIMARY KEY (id) do not count.
**
** Names as written (zName) are kept for the SQL a diff writes; lookups
** compare names as SQLite does (ASCII case-insensitive).
**
** Everything is sqlite3_malloc'd and freed by dm_schema_free().
*/
#ifndef DM_SCHEMA_MODEL_H
#define DM_SCHEMA_MODEL_H

#include "sqlite3ext.h"

/* Generated column kinds (table_xinfo's hidden 2 and 3). */
#define DM_GEN_NONE 0
#define DM_GEN_VIRTUAL 2
#define DM_GEN_STORED 3

typedef struct DmColumn DmColumn;
struct DmColumn {
  char *zName;        /* As SQLite reports it (table_xinfo), dequoted */
  char *zType;        /* Declared type as table_xinfo gives it ("" if none) */
  char *zTypeNorm;    /* ... normal form: upper case, no space around '(' ','
                      ** ')' ("VARCHAR(255)") */
  int bNotNull;
  char *zDefault;     /* DEFAULT expression as written (dflt_value), or 0 */
  char *zDefaultNorm; /* ... normal form, one pair of outer parentheses
                      ** dropped, or 0 */
  char *zCollate;     /* COLLATE name, lower case, or 0 (binary) */
  int iPk;            /* 1-based position in the PRIMARY KEY, 0 if none */
  int eGenerated;     /* DM_GEN_* */
  char *zGenNorm;     /* The generated expression, normal form, or 0 */
  int bHidden;        /* A hidden column of a virtual table */
  char *zRenamedFrom; /* From a "-- @renamed from=old" hint, or 0 */
};

/* A CHECK constraint, on a column or on the table (they mean the same). */
typedef struct DmCheck DmCheck;
struct DmCheck {
  char *zName;        /* CONSTRAINT name as written, dequoted, or 0; in a
                      ** column definition a name names every CHECK after
                      ** it, as SQLite reports them */
  char *zExprNorm;    /* The expression inside CHECK ( ), normal form */
  char *zExpr;        /* ... as written */
};

/* A foreign key: one id of foreign_key_list. */
typedef struct DmForeignKey DmForeignKey;
struct DmForeignKey {
  int nCol;
  char **azFrom;      /* The child's columns, as written */
  char *zParent;      /* The parent table, as written */
  char **azTo;        /* The parent's columns; entries 0 where the key
                      ** names none (the parent's primary key is meant) */
  char *zOnDelete;    /* foreign_key_list's text: "NO ACTION", "CASCADE", ... */
  char *zOnUpdate;
  char *zMatch;       /* foreign_key_list's: SQLite 3.40 reads MATCH but
                      ** ignores it, and says "NONE" */
  int bDeferred;      /* DEFERRABLE INITIALLY DEFERRED (from the text) */
};

/* One key column of an index, or of a UNIQUE / PRIMARY KEY constraint. */
typedef struct DmIndexCol DmIndexCol;
struct DmIndexCol {
  char *zName;        /* The column, or 0 for an expression */
  char *zExprNorm;    /* The expression (normal form), or 0 for a column */
  char *zCollate;     /* index_xinfo's coll, lower case ("binary" default) */
  int bDesc;
};

/* A UNIQUE or PRIMARY KEY constraint (index_list origin 'u' / 'pk'). */
typedef struct DmUnique DmUnique;
struct DmUnique {
  int bPrimary;
  int nCol;
  DmIndexCol *aCol;
};

typedef struct DmSchemaTable DmSchemaTable;
struct DmSchemaTable {
  char *zName;        /* As written, dequoted */
  char *zSql;         /* sqlite_schema.sql, as stored */
  int bStrict;
  int bWithoutRowid;
  int bAutoincrement;
  int nCol;
  DmColumn *aCol;     /* In declared order, hidden ones included */
  int nCheck;
  DmCheck *aCheck;    /* Column and table CHECKs, in the order written */
  int nUnique;
  DmUnique *aUnique;  /* UNIQUE and (non-rowid) PRIMARY KEY constraints */
  int nFk;
  DmForeignKey *aFk;  /* In the order written */
  /* A virtual table: zModule is set, and the columns are what it declared. */
  char *zModule;      /* "fts5", "rtree", ... lower case, or 0 */
  char *zArgsNorm;    /* The module arguments, normal form, or 0 */
  char *zRenamedFrom; /* From a "-- @renamed from=old" hint, or 0 */
};

/* An index made by CREATE INDEX (not the automatic ones of constraints). */
typedef struct DmIndex DmIndex;
struct DmIndex {
  char *zName;
  char *zTable;
  char *zSql;         /* As stored */
  int bUnique;
  int nCol;
  DmIndexCol *aCol;
  char *zWhereNorm;   /* A partial index's WHERE, normal form, or 0 */
  char *zRenamedFrom;
};

/* A view or a trigger: compared as its whole statement, in normal form. */
typedef struct DmSchemaObject DmSchemaObject;
struct DmSchemaObject {
  char *zName;
  char *zTable;       /* tbl_name: the view itself, or the trigger's table */
  char *zSql;         /* As stored */
  char *zNorm;        /* The statement in normal form, "IF NOT EXISTS" and
                      ** a "main." or "temp." before the name dropped */
};

typedef struct DmSchema DmSchema;
struct DmSchema {
  int nTable;
  DmSchemaTable *aTable;  /* Sorted by lower(name) */
  int nIndex;
  DmIndex *aIndex;        /* Sorted by lower(name) */
  int nView;
  DmSchemaObject *aView;  /* Sorted by lower(name) */
  int nTrigger;
  DmSchemaObject *aTrigger;
};

/*
** The model of schema zDb ("main" if 0) of db: every table, index, view and
** trigger a migration makes. Left out: SQLite's own objects (sqlite_*), the
** bookkeeping (alembic_version, distmigrate_*), and the shadow tables of
** virtual tables (their module makes them). Reads only; needs no
** transaction (wrap it in one to read a consistent schema).
** SQLITE_OK and *ppOut (dm_schema_free() it), or an error code and
** *pzErr (sqlite3_malloc'd) saying why.
*/
int dm_schema_read(sqlite3 *db, const char *zDb, DmSchema **ppOut, char **pzErr);

/*
** dm_schema_read() of table zName alone: *ppOut holds its model as
** dm_schema_read() would give it (or no table, if none by that name is
** kept), and no index, view or trigger. For a look at one table (the
** diff's scratch copies, migrate_alter_table()'s plan and proof), where the
** whole schema's statements cost more than the table's own.
*/
int dm_schema_read_table(sqlite3 *db, const char *zDb, const char *zName, DmSchema **ppOut,
                         char **pzErr);

/*
** The model of the schema zSql declares: its statements replayed, in order,
** into a private :memory: database, so that SQLite validates them, then
** read with dm_schema_read(). Only CREATE statements (TABLE, INDEX, VIEW,
** TRIGGER, VIRTUAL TABLE) are accepted; anything else (INSERT, a
** transaction statement, ATTACH, a PRAGMA) is refused with a message that
** names the statement. A statement SQLite rejects gives SQLite's message
** and the statement. "-- @renamed from=old" hints on a table's, a column's
** or an index's line fill zRenamedFrom.
*/
int dm_schema_from_sql(const char *zSql, DmSchema **ppOut, char **pzErr);

void dm_schema_free(DmSchema *p);

/* Lookups by name as SQLite compares names; 0 if there is none. */
const DmSchemaTable *dm_schema_table(const DmSchema *p, const char *zName);
const DmColumn *dm_schema_column(const DmSchemaTable *p, const char *zName);
const DmIndex *dm_schema_index(const DmSchema *p, const char *zName);
const DmSchemaObject *dm_schema_view(const DmSchema *p, const char *zName);
const DmSchemaObject *dm_schema_trigger(const DmSchema *p, const char *zName);

/*
** The differences between two models, one line each, in the order of the
** objects (tables, then indexes, views, triggers, by name), for a person
** (compare.c's header lists every kind of line):
**
**   responses.tokens: in the database, not in the migrations
**   responses.reasoning: NOT NULL in the migrations, nullable in the database
**
** zExpectedSide and zActualSide name the two sides in the lines ("the
** migrations", "the database"). Calls xLine(pArg, zObject, zKind, zLine) for
** each difference: zObject the table, index, view or trigger, zKind its
** kind ("table", ...), zLine the whole line. Returns SQLITE_OK, SQLITE_NOMEM,
** or what xLine returned if not SQLITE_OK. No call: the models are equal.
*/
int dm_schema_compare(const DmSchema *pExpected, const DmSchema *pActual,
                      const char *zExpectedSide, const char *zActualSide,
                      int (*xLine)(void *, const char *zObject, const char *zKind,
                                   const char *zLine),
                      void *pArg);

#endif
