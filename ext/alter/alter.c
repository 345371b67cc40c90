/*
** migrate_alter_table('CREATE TABLE t (...)'[, '{"new": "expr"}']): the
** ALTER TABLE that SQLite lacks, for migrations. The table ends up exactly
** as if the statement had created it, with its rows, rowids, indexes,
** triggers, the views that use it, the foreign keys that point at it and
** its sqlite_sequence value; sqlite_schema keeps the statement's own text.
**
** The cheapest strategy that is provably correct runs:
**
**   unchanged        the table already is what the statement says
**   alter table      SQLite's own ALTER TABLE: RENAME COLUMN (the mapping
**                    says so), DROP COLUMN, ADD COLUMN (appended columns);
**                    the schema changes, the rows stay (DROP COLUMN
**                    rewrites them in place)
**   writable_schema  besides, declared types change within their affinity
**                    (VARCHAR(100) -> VARCHAR(200)), or only the text's
**                    layout differs: the documented edit of sqlite_schema
**                    (lang_altertable.html#otheralter, the end), with
**                    schema_version bumped and the result read back before
**                    anything else happens
**   rebuild          anything else, and the edit in defensive mode: the
**                    documented 12 steps (create the new table, copy the
**                    rows in one INSERT ... SELECT, drop the old table,
**                    rename, recreate indexes and triggers)
**
** How a plan is proven: the old and the new table are built in scratch
** :memory: databases; SQLite's ALTER TABLE runs there first (where it
** adds columns, on a copy that holds a row and has the connection's
** foreign_keys setting: SQLite refuses some ADD COLUMNs only on a table
** with rows, one only while foreign keys are on), and its result must
** equal the statement token for token but for declared types; the types
** may differ only where affinity stays, and SQLite's description of both
** tables (columns, keys, automatic indexes, foreign keys) must agree.
** In doubt, rebuild.
**
** Steps 1, 2, 10, 11 and 12 of the documented procedure are the runner's:
** it turns foreign keys off before the run's transaction and checks them
** before the commit. This file checks, after a change, only the tables it
** changed and the tables whose foreign keys point at them; and only where a
** key's values or definition can have changed (see check_foreign_keys).
*/
#include "alter/alter.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alter/edit.h"
#include "run/fkguard.h"
#include "run/progress.h"
#include "schema/model.h"
#include "sqltext/create.h"

SQLITE_EXTENSION_INIT3

/* ---- SQL tokens ------------------------------------------------------------
** The statement is taken apart by sqltext/'s CREATE TABLE parser
** (dm_create_parse, on SQLite's tokens): its name, its columns and their
** declared types; here two statements are compared token by token.
** Everything found is checked against SQLite's own reading of the
** statement (PRAGMA table_xinfo) before it is relied on.
*/
typedef DmSqlToken Token;

/*
** The next byte of a name as dm_sql_dequote() gives it, from *pi (0 at
** first); -1 at its end. Reads the token in place: comparing names allocates
** nothing, so that out of memory cannot make two equal names differ.
*/
static int name_byte(const char *z, int n, int *pi) {
  char q = n > 0 ? z[0] : 0;
  int bQuoted = q == '"' || q == '\'' || q == '`' || q == '[';
  if (*pi == 0 && bQuoted) *pi = 1;
  if (*pi >= (bQuoted ? n - 1 : n)) return -1;
  unsigned char c = (unsigned char)z[(*pi)++];
  if (q != '[' && bQuoted && c == (unsigned char)q) (*pi)++; /* a doubled quote */
  return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/*
** Whether two tokens mean the same to SQLite's parser: keywords and bare
** names regardless of case, a quoted name like the bare one when that is
** no keyword, everything else byte for byte.
*/
static int token_eq(const char *zA, const Token *a, const char *zB, const Token *b) {
  if ((a->eKind == DM_KIND_ID || a->eKind == DM_KIND_QUOTED) &&
      (b->eKind == DM_KIND_ID || b->eKind == DM_KIND_QUOTED)) {
    if (a->eKind != b->eKind) {
      const Token *pBare = a->eKind == DM_KIND_ID ? a : b;
      const char *zBare = a->eKind == DM_KIND_ID ? zA : zB;
      if (sqlite3_keyword_check(zBare + pBare->iOff, pBare->n)) return 0;
    }
    int i = 0, j = 0, x, y;
    do {
      x = name_byte(zA + a->iOff, a->n, &i);
      y = name_byte(zB + b->iOff, b->n, &j);
    } while (x == y && x >= 0);
    return x == y;
  }
  return a->eKind == b->eKind && a->n == b->n &&
         memcmp(zA + a->iOff, zB + b->iOff, (size_t)a->n) == 0;
}

/* The text sqlite_schema keeps for the statement: "CREATE TABLE " and the
** statement from its name on (sqlite3EndTable does the same). */
static char *def_stored_text(const DmCreate *p) {
  const Token *pName = &p->aTok[p->iName];
  const Token *pLast = &p->aTok[p->nTok - 1];
  return sqlite3_mprintf("CREATE TABLE %.*s", pLast->iOff + pLast->n - pName->iOff,
                         p->zSql + pName->iOff);
}

/* Element i's text, from its first token to its last. */
static char *elem_text(const DmCreate *p, int i) {
  const Token *a = &p->aTok[p->aElem[i].iFirst];
  const Token *b = &p->aTok[p->aElem[i].iEnd - 1];
  return sqlite3_mprintf("%.*s", b->iOff + b->n - a->iOff, p->zSql + a->iOff);
}

static int tokens_eq(const DmCreate *x, int ix, int nx, const DmCreate *y, int iy, int ny) {
  if (nx != ny) return 0;
  for (int k = 0; k < nx; k++) {
    if (!token_eq(x->zSql, &x->aTok[ix + k], y->zSql, &y->aTok[iy + k])) return 0;
  }
  return 1;
}

/*
** Where two parsed statements differ, declared types and layout aside:
** -1 nowhere, an element's index, or one of the DEF_DIFF_ codes.
*/
#define DEF_DIFF_NAME (-2)
#define DEF_DIFF_COUNT (-3)
#define DEF_DIFF_OPTIONS (-4)
static int def_difference(const DmCreate *x, const DmCreate *y) {
  if (!token_eq(x->zSql, &x->aTok[x->iName], y->zSql, &y->aTok[y->iName])) {
    return DEF_DIFF_NAME;
  }
  if (x->nElem != y->nElem || x->nCol != y->nCol) return DEF_DIFF_COUNT;
  for (int i = 0; i < x->nElem; i++) {
    const DmCreateElem *a = &x->aElem[i], *b = &y->aElem[i];
    if (!tokens_eq(x, a->iFirst, a->iType - a->iFirst, y, b->iFirst, b->iType - b->iFirst) ||
        !tokens_eq(x, a->iTypeEnd, a->iEnd - a->iTypeEnd, y, b->iTypeEnd, b->iEnd - b->iTypeEnd)) {
      return i;
    }
  }
  if (!tokens_eq(x, x->iClose + 1, x->nTok - x->iClose - 1, y, y->iClose + 1,
                 y->nTok - y->iClose - 1)) {
    return DEF_DIFF_OPTIONS;
  }
  return -1;
}

static int def_has_word(const DmCreate *p, const char *zWord) {
  for (int i = 0; i < p->nTok; i++) {
    if (dm_token_is_word(p->zSql, &p->aTok[i], zWord)) return 1;
  }
  return 0;
}

/* ---- small SQL helpers -------------------------------------------------- */


/* The first value of zFmt's first row as text in *pz (0 if none or NULL). */
static int query_text(sqlite3 *db, char **pz, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  char *zSql = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  *pz = 0;
  if (!zSql) return SQLITE_NOMEM;
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0);
  sqlite3_free(zSql);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(pStmt);
    if (rc == SQLITE_ROW) {
      const char *z = (const char *)sqlite3_column_text(pStmt, 0);
      rc = SQLITE_OK;
      if (z) {
        *pz = sqlite3_mprintf("%s", z);
        if (!*pz) rc = SQLITE_NOMEM;
      }
    } else if (rc == SQLITE_DONE) {
      rc = SQLITE_OK;
    }
  }
  sqlite3_finalize(pStmt);
  return rc;
}

static int query_int64(sqlite3 *db, sqlite3_int64 *pi, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  char *zSql = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  *pi = 0;
  if (!zSql) return SQLITE_NOMEM;
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0);
  sqlite3_free(zSql);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(pStmt);
    if (rc == SQLITE_ROW) *pi = sqlite3_column_int64(pStmt, 0);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) rc = SQLITE_OK;
  }
  sqlite3_finalize(pStmt);
  return rc;
}

/*
** A copy of column i of pStmt's row, a value that is never NULL: 0 means
** out of memory (sqlite3_column_text() gives NULL then, and "%s" would turn
** that into an empty name or statement).
*/
static char *column_copy(sqlite3_stmt *pStmt, int i) {
  const char *z = (const char *)sqlite3_column_text(pStmt, i);
  return z ? sqlite3_mprintf("%s", z) : 0;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/*
** SQLite's column affinity for a declared type, by the documented rules
** (datatype3.html, 3.1), as a name.
*/
static const char *affinity(const char *zType) {
  char zUp[8];
  size_t n = strlen(zType);
  int bInt = 0, bText = 0, bBlob = n == 0, bReal = 0;
  for (size_t i = 0; i + 3 <= n; i++) {
    for (size_t k = 0; k < 4 && i + k < n; k++) {
      char c = zType[i + k];
      zUp[k] = (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    }
    if (memcmp(zUp, "INT", 3) == 0) bInt = 1;
    if (i + 4 <= n) {
      if (!memcmp(zUp, "CHAR", 4) || !memcmp(zUp, "CLOB", 4) || !memcmp(zUp, "TEXT", 4)) bText = 1;
      if (!memcmp(zUp, "BLOB", 4)) bBlob = 1;
      if (!memcmp(zUp, "REAL", 4) || !memcmp(zUp, "FLOA", 4) || !memcmp(zUp, "DOUB", 4)) bReal = 1;
    }
  }
  if (bInt) return "INTEGER";
  if (bText) return "TEXT";
  if (bBlob) return "BLOB";
  if (bReal) return "REAL";
  return "NUMERIC";
}

/* ---- the state of one call ------------------------------------------------ */

typedef struct Column Column;
struct Column {
  char *zName;
  char *zType;     /* Declared type as SQLite keeps it, "" for none */
  int iHidden;     /* PRAGMA table_xinfo's hidden: 2 and 3 are generated */
  char *zColl;     /* Collating sequence (0: unknown) */
  char *zSource;   /* Rebuild: the expression that fills it (0: its default) */
  int bVerbatim;   /* Holds the old column's values, compared the same way */
};

typedef struct ColumnList ColumnList;
struct ColumnList {
  Column *a;
  int n;
};

typedef struct Mapping Mapping;
struct Mapping {
  char *zCol;      /* A column of the new table */
  char *zExpr;     /* The expression that fills it, as given */
  char *zFrom;     /* A rename: the old column */
  int bExpr;       /* Neither a rename nor the column itself */
};

typedef struct Referrer Referrer;
struct Referrer {
  char *zTable;    /* A table with a foreign key to the altered one */
  char *zTo;       /* The column it refers to (0: the primary key) */
};

typedef struct Alter Alter;
struct Alter {
  sqlite3 *db;
  DmConn *pConn;
  int bVerbose;
  int bDefensive;      /* No writable_schema here */
  const char *zCreate; /* The statement */
  DmCreate def;        /* ... taken apart */
  char *zStored;       /* ... as sqlite_schema will keep it */
  char *zTable;        /* The table, as sqlite_schema names it */
  char *zOldSql;
  sqlite3 *pOld;       /* Scratch :memory: databases with the old and the */
  sqlite3 *pNew;       /* new table */
  int bScratch;        /* SQLite could build both there */
  char *zScratchErr;   /* ... or why not */
  Mapping *aMap;
  int nMap;
  int nExpr;           /* Mapping entries that are not renames */
  ColumnList oldCols;  /* The table's columns before the change */
  char *zOldFks;       /* Its foreign keys, as fk_summary() gives them */
  Referrer *aRef;      /* Foreign keys of other tables (or itself) to it */
  int nRef;
  int bRenamed;        /* The mapping's renames ran, as ALTER TABLE */
  int bRebuilt;
  int bEditRules;      /* The edit changes NOT NULL, DEFAULT, CHECK, FK or
                       ** collation too (edit.c), not only the layout */
  ColumnList newCols;  /* After the change (rebuild: with sources) */
  char *zErr;
};

/*
** Run a statement on db, the host connection (p->db) or a scratch copy. On
** the host the run's undo is compiled again after a success (dm_undo_arm): a
** change to the schema, CREATE INDEX or a flag pragma expires what was
** compiled before, and an interrupt between this and the next statement
** must still find an undo that needs no compiling.
*/
static int execf(Alter *p, sqlite3 *db, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  char *zSql = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  if (!zSql) return SQLITE_NOMEM;
  int rc = sqlite3_exec(db, zSql, 0, 0, 0);
  sqlite3_free(zSql);
  /* Only after success: compiling resets the error a caller reads next. */
  if (rc == SQLITE_OK && db == p->db) dm_undo_arm(db, p->pConn);
  return rc;
}

static void columns_clear(ColumnList *p) {
  for (int i = 0; i < p->n; i++) {
    sqlite3_free(p->a[i].zName);
    sqlite3_free(p->a[i].zType);
    sqlite3_free(p->a[i].zColl);
    sqlite3_free(p->a[i].zSource);
  }
  sqlite3_free(p->a);
  p->a = 0;
  p->n = 0;
}

static Column *column_find(const ColumnList *p, const char *zName) {
  for (int i = 0; i < p->n; i++) {
    if (sqlite3_stricmp(p->a[i].zName, zName) == 0) return &p->a[i];
  }
  return 0;
}

static void note(Alter *p, const char *zFmt, ...) {
  if (!p->bVerbose) return;
  va_list ap;
  va_start(ap, zFmt);
  char *z = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  dm_verbose_line(p->pConn->pProgress, "migrate_alter_table(%s): %s", p->zTable ? p->zTable : "",
                  z ? z : "out of memory");
  sqlite3_free(z);
}

/* Record the first error, prefixed with the call; returns rc. */
static int fail(Alter *p, int rc, const char *zFmt, ...) {
  if (p->zErr) return rc;
  va_list ap;
  va_start(ap, zFmt);
  char *z = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  p->zErr = sqlite3_mprintf("migrate_alter_table(%s): %s", p->zTable ? p->zTable : "",
                            z ? z : "out of memory");
  sqlite3_free(z);
  return rc == SQLITE_OK ? SQLITE_ERROR : rc;
}

/* SQLite's latest error for zWhat, the temporary table's name replaced by
** the table's, so that a message names what the migration named. */
static int fail_sqlite(Alter *p, sqlite3 *db, int rc, const char *zTmp, const char *zWhat) {
  const char *zMsg = sqlite3_errmsg(db);
  sqlite3_str *pStr = sqlite3_str_new(0);
  size_t nTmp = zTmp ? strlen(zTmp) : 0;
  while (*zMsg) {
    if (nTmp && strncmp(zMsg, zTmp, nTmp) == 0) {
      sqlite3_str_appendall(pStr, p->zTable);
      zMsg += nTmp;
    } else {
      sqlite3_str_appendchar(pStr, 1, *zMsg++);
    }
  }
  char *z = sqlite3_str_finish(pStr);
  if (sqlite3_extended_errcode(db) == SQLITE_CONSTRAINT_NOTNULL ||
      strstr(z ? z : "", "NOT NULL column with default")) {
    fail(p, rc, "%s failed: %s\n  give the new column a DEFAULT, or fill it through the "
                "mapping, as in '{\"column\": \"expression\"}'",
         zWhat, z ? z : "");
  } else if (z && (strncmp(z, "error in view ", 14) == 0 || strncmp(z, "error in trigger ", 17) == 0)) {
    fail(p, rc, "%s failed: %s\n  drop it in the migration before migrate_alter_table() and "
                "create it again, adapted, after",
         zWhat, z);
  } else if (z && strncmp(z, "error in index ", 15) == 0) {
    fail(p, rc, "%s failed: %s\n  drop it in the migration before migrate_alter_table() and "
                "create what replaces it after",
         zWhat, z);
  } else if ((rc & 0xff) == SQLITE_LOCKED) {
    fail(p, rc, "%s failed: %s\n  call it on its own, as in SELECT migrate_alter_table('...'): "
                "SQLite cannot change a table under a statement that reads one",
         zWhat, z ? z : "");
  } else {
    fail(p, rc, "%s failed: %s", zWhat, z ? z : "");
  }
  sqlite3_free(z);
  return rc;
}

/*
** Verbose mode: a counted phase, "PHASE TABLE", over the table's rows,
** which it counts first for the total; *pbCount is then 1, and the
** statements that read them count them with DM_PROGRESS_ROW.
*/
static int count_rows(Alter *p, const char *zPhase, int *pbCount) {
  DmProgress *pProgress = p->pConn->pProgress;
  *pbCount = 0;
  if (!pProgress) return SQLITE_OK;
  sqlite3_int64 nRow = 0;
  int rc = query_int64(p->db, &nRow, "SELECT count(*) FROM main.\"%w\"", p->zTable);
  if (rc) return fail_sqlite(p, p->db, rc, 0, "counting the rows for the progress lines");
  char *zName = sqlite3_mprintf("%s %s", zPhase, p->zTable);
  if (!zName) return SQLITE_NOMEM;
  dm_progress_counted(pProgress, zName, nRow);
  sqlite3_free(zName);
  *pbCount = 1;
  return SQLITE_OK;
}

static int read_columns(sqlite3 *db, const char *zTable, ColumnList *p) {
  columns_clear(p);
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(db,
                              "SELECT name, type, hidden FROM pragma_table_xinfo(?1, 'main') "
                              "ORDER BY cid",
                              -1, &pStmt, 0);
  if (rc) return rc;
  sqlite3_bind_text(pStmt, 1, zTable, -1, SQLITE_STATIC);
  int nAlloc = 0;
  while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    if (p->n == nAlloc) {
      nAlloc = nAlloc ? nAlloc * 2 : 16;
      Column *aNew = sqlite3_realloc64(p->a, sizeof(Column) * (sqlite3_uint64)nAlloc);
      if (!aNew) {
        rc = SQLITE_NOMEM;
        break;
      }
      p->a = aNew;
    }
    Column *c = &p->a[p->n++];
    memset(c, 0, sizeof(*c));
    c->zName = column_copy(pStmt, 0);
    const char *zType = (const char *)sqlite3_column_text(pStmt, 1);
    c->zType = sqlite3_mprintf("%s", zType ? zType : "");
    c->iHidden = sqlite3_column_int(pStmt, 2);
    if (!c->zName || !c->zType) {
      rc = SQLITE_NOMEM;
      break;
    }
    const char *zColl = 0;
    if (sqlite3_table_column_metadata(db, "main", zTable, c->zName, 0, &zColl, 0, 0, 0) ==
            SQLITE_OK && zColl) {
      c->zColl = sqlite3_mprintf("%s", zColl);
    }
  }
  sqlite3_finalize(pStmt);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/*
** What SQLite says about how a table stores its rows, declared types left
** out: columns (name, key, generated), automatic indexes and their keys,
** rowid or not, strict or not. Two tables with the same summary keep the
** same bytes in the same b-trees. With bRules also the rules the rows obey
** (NOT NULL, DEFAULT, foreign keys): what an edit of the schema keeps
** unless it changes exactly those (edit.c).
*/
static int layout_summary(sqlite3 *db, const char *zTable, int bRules, char **pz) {
  return query_text(
      db, pz,
      "SELECT group_concat(x, char(10)) FROM ("
      " SELECT 0 AS k, cid AS o, 'column ' || name || ' ' || CASE WHEN %d THEN"
      "   \"notnull\" || ' ' || quote(dflt_value) ELSE '' END || ' ' || pk || ' ' ||"
      "   hidden AS x"
      "   FROM pragma_table_xinfo(%Q, 'main')"
      " UNION ALL SELECT 1, 0, 'table ' || type || ' ' || ncol || ' ' || wr || ' ' || strict"
      "   FROM pragma_table_list(%Q) WHERE schema = 'main'"
      " UNION ALL SELECT 2, 0, 'index ' || l.name || ' ' || l.\"unique\" || ' ' || l.origin ||"
      "   ' ' || l.partial || ' ' || x.seqno || ' ' || x.cid || ' ' || quote(x.name) || ' ' ||"
      "   x.\"desc\" || ' ' || x.coll || ' ' || x.key"
      "   FROM pragma_index_list(%Q, 'main') l, pragma_index_xinfo(l.name, 'main') x"
      "   WHERE l.origin <> 'c'"
      " UNION ALL SELECT 3, 0, x FROM (SELECT fk_text AS x FROM ("
      "   SELECT lower(\"table\") || '(' || group_concat(coalesce(\"to\", ''), ',') ||"
      "   ') <- (' || group_concat(\"from\", ',') || ') ' || on_update || ' ' ||"
      "   on_delete || ' ' || \"match\" AS fk_text FROM"
      "   (SELECT * FROM pragma_foreign_key_list(%Q, 'main') ORDER BY id, seq) GROUP BY id)"
      "   WHERE %d)"
      " ORDER BY k, o, x)",
      bRules, zTable, zTable, zTable, zTable, bRules);
}

/* The foreign keys of a table, one line each, in a stable order. */
static int fk_summary(sqlite3 *db, const char *zTable, char **pz) {
  return query_text(
      db, pz,
      "SELECT group_concat(x, char(10)) FROM (SELECT x FROM ("
      " SELECT lower(\"table\") || '(' || group_concat(coalesce(\"to\", ''), ',') ||"
      " ') <- (' || group_concat(\"from\", ',') || ') ' || on_update || ' ' ||"
      " on_delete || ' ' || \"match\" AS x FROM"
      " (SELECT * FROM pragma_foreign_key_list(%Q, 'main') ORDER BY id, seq) GROUP BY id)"
      " ORDER BY x)",
      zTable);
}

/* ---- reading the call's arguments ---------------------------------------- */

static int is_bookkeeping(const char *zName) {
  return sqlite3_stricmp(zName, "alembic_version") == 0 ||
         sqlite3_stricmp(zName, DM_LOG_TABLE) == 0;
}

/* The next token of z from *pi that is not space or a comment is zWord
** (a keyword or bare word, any case); *pi past it. Allocates nothing. */
static int next_word_is(const char *z, int *pi, const char *zWord) {
  DmTokenKind eKind;
  int n;
  while ((n = dm_sql_token(z + *pi, &eKind)) > 0 &&
         (eKind == DM_KIND_SPACE || eKind == DM_KIND_COMMENT)) {
    *pi += n;
  }
  int bIs = eKind == DM_KIND_ID && (int)strlen(zWord) == n &&
            sqlite3_strnicmp(z + *pi, zWord, n) == 0;
  *pi += n;
  return bIs;
}

/* CREATE VIRTUAL TABLE, read as SQLite's tokens: comments and any space
** may stand between the words. */
static int is_virtual_table_sql(const char *zSql) {
  int i = 0;
  return next_word_is(zSql, &i, "CREATE") && next_word_is(zSql, &i, "VIRTUAL");
}

/* Find the table, build the scratch copies, take the old statement apart. */
static int load_table(Alter *p) {
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(p->db,
                              "SELECT name, sql FROM main.sqlite_schema "
                              "WHERE type = 'table' AND name = ?1 COLLATE NOCASE",
                              -1, &pStmt, 0);
  if (rc) return rc;
  sqlite3_bind_text(pStmt, 1, p->def.zName, -1, SQLITE_STATIC);
  if ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    p->zTable = column_copy(pStmt, 0);
    p->zOldSql = column_copy(pStmt, 1);
    rc = p->zTable && p->zOldSql ? SQLITE_OK : SQLITE_NOMEM;
  } else if (rc == SQLITE_DONE) {
    rc = SQLITE_OK;
  }
  sqlite3_finalize(pStmt);
  if (rc) return rc;
  if (!p->zTable) {
    p->zTable = sqlite3_mprintf("%s", p->def.zName);
    return fail(p, SQLITE_ERROR,
                "there is no table %s in the main database; migrate_alter_table() "
                "changes an existing table (create a new one with CREATE TABLE)",
                p->def.zName);
  }
  if (sqlite3_strnicmp(p->zTable, "sqlite_", 7) == 0) {
    return fail(p, SQLITE_ERROR, "%s is SQLite's own table; it cannot be altered", p->zTable);
  }
  if (is_bookkeeping(p->zTable)) {
    return fail(p, SQLITE_ERROR,
                "distmigrate keeps %s itself; a migration must not alter it", p->zTable);
  }
  if (is_virtual_table_sql(p->zOldSql)) {
    return fail(p, SQLITE_ERROR,
                "%s is a virtual table; its module decides its columns, not a "
                "CREATE TABLE statement",
                p->zTable);
  }
  rc = read_columns(p->db, p->zTable, &p->oldCols);
  if (rc) return rc;

  /* Scratch copies. A table SQLite cannot build outside this database (a
  ** collation or function only this connection has) just means: rebuild. */
  static const char *const azWhich[] = {"the current table", "the new table"};
  p->bScratch = 1;
  for (int i = 0; i < 2; i++) {
    sqlite3 **pp = i == 0 ? &p->pOld : &p->pNew;
    rc = sqlite3_open_v2(":memory:", pp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 0);
    if (rc) return SQLITE_NOMEM;
    int rcScratch = sqlite3_exec(*pp, i == 0 ? p->zOldSql : p->zCreate, 0, 0, 0);
    if ((rcScratch & 0xff) == SQLITE_NOMEM) {
      return SQLITE_NOMEM; /* no finding about the table: a failed run, not a rebuild */
    }
    if (rcScratch != SQLITE_OK) {
      if (p->bScratch) {
        p->zScratchErr = sqlite3_mprintf("SQLite cannot build %s outside this database: %s",
                                         azWhich[i], sqlite3_errmsg(*pp));
        if (!p->zScratchErr) return SQLITE_NOMEM;
      }
      p->bScratch = 0;
    }
  }
  return SQLITE_OK;
}

/* The mapping is a JSON object, or the call fails saying what it is. */
static int check_mapping_is_object(Alter *p, const char *zMap) {
  sqlite3 *js = p->pOld;
  char *zType = 0;
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(js, "SELECT json_type(?1)", -1, &pStmt, 0);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(pStmt, 1, zMap, -1, SQLITE_STATIC);
    rc = sqlite3_step(pStmt);
    if (rc == SQLITE_ROW) {
      const char *z = (const char *)sqlite3_column_text(pStmt, 0);
      zType = sqlite3_mprintf("%s", z ? z : "null");
      rc = zType ? SQLITE_OK : SQLITE_NOMEM;
    }
  }
  if (rc == SQLITE_NOMEM) {
    /* Not the mapping's fault: the run fails as out of memory. */
  } else if (rc) {
    rc = fail(p, SQLITE_ERROR,
              "the column mapping is not JSON (%s); give an object such as "
              "'{\"new_name\": \"old_name\", \"price\": \"CAST(price AS INTEGER)\"}'",
              sqlite3_errmsg(js));
  } else if (!zType || strcmp(zType, "object") != 0) {
    rc = fail(p, SQLITE_ERROR,
              "the column mapping is a JSON %s; give an object such as "
              "'{\"new_name\": \"old_name\", \"price\": \"CAST(price AS INTEGER)\"}'",
              zType ? zType : "?");
  }
  sqlite3_finalize(pStmt);
  sqlite3_free(zType);
  return rc;
}

/* One member of the mapping: text, named once; SQLITE_ROW to go on. */
static int add_mapping(Alter *p, sqlite3_stmt *pStmt, int *pnAlloc) {
  const char *zKey = (const char *)sqlite3_column_text(pStmt, 0);
  const char *zVal = (const char *)sqlite3_column_text(pStmt, 1);
  const char *zJsonType = (const char *)sqlite3_column_text(pStmt, 2);
  int rc = SQLITE_ROW;
  if (!zKey || !zJsonType || (!zVal && strcmp(zJsonType, "text") == 0)) {
    return SQLITE_NOMEM; /* json_each gives these for every member */
  }
  if (strcmp(zJsonType, "text") != 0 || !zVal || !zVal[0]) {
    return fail(p, SQLITE_ERROR,
                "the mapping for %s must be text holding an SQL expression over the "
                "old columns, e.g. \"old_name\" or \"trim(old_name)\"",
                zKey);
  }
  for (int i = 0; i < p->nMap; i++) {
    if (sqlite3_stricmp(p->aMap[i].zCol, zKey) == 0) {
      rc = fail(p, SQLITE_ERROR, "the mapping names column %s twice", zKey);
    }
  }
  if (rc != SQLITE_ROW) return rc;
  if (p->nMap == *pnAlloc) {
    int nAlloc = *pnAlloc ? 2 * *pnAlloc : 8;
    Mapping *aNew = sqlite3_realloc64(p->aMap, sizeof(Mapping) * (sqlite3_uint64)nAlloc);
    if (!aNew) return SQLITE_NOMEM;
    *pnAlloc = nAlloc;
    p->aMap = aNew;
  }
  Mapping *m = &p->aMap[p->nMap++];
  memset(m, 0, sizeof(*m));
  m->zCol = sqlite3_mprintf("%s", zKey);
  m->zExpr = sqlite3_mprintf("%s", zVal);
  if (!m->zCol || !m->zExpr) return SQLITE_NOMEM;
  return SQLITE_ROW;
}

/* The members of the mapping into p->aMap. */
static int read_mapping_members(Alter *p, const char *zMap) {
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(p->pOld, "SELECT key, value, type FROM json_each(?1)", -1,
                              &pStmt, 0);
  if (rc) return rc;
  sqlite3_bind_text(pStmt, 1, zMap, -1, SQLITE_STATIC);
  int nAlloc = 0;
  while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    rc = add_mapping(p, pStmt, &nAlloc);
    if (rc != SQLITE_ROW) break;
  }
  sqlite3_finalize(pStmt);
  if (rc != SQLITE_DONE) return rc == SQLITE_ROW ? SQLITE_ERROR : rc;
  return SQLITE_OK;
}

/* The mapping names a column the new table does not have. */
static int unknown_mapped_column(Alter *p, const Mapping *m) {
  sqlite3_str *pCols = sqlite3_str_new(0);
  for (int k = 0; k < p->def.nCol; k++) {
    sqlite3_str_appendf(pCols, "%s%s", k ? ", " : "", p->def.aElem[k].zName);
  }
  char *zCols = sqlite3_str_finish(pCols);
  int rc = fail(p, SQLITE_ERROR,
                "the mapping names column %s, which the new table does not have "
                "(its columns: %s)",
                m->zCol, zCols ? zCols : "");
  sqlite3_free(zCols);
  return rc;
}

/* m->zFrom: the old column the mapping's value names alone, if it is one. */
static int mapped_old_column(Alter *p, Mapping *m) {
  Token *aTok = 0;
  int nTok = 0;
  int rc = dm_sql_tokenize(m->zExpr, &aTok, &nTok);
  if (rc) return rc;
  if (nTok == 1 && (aTok[0].eKind == DM_KIND_QUOTED ||
                    (aTok[0].eKind == DM_KIND_ID &&
                     !sqlite3_keyword_check(m->zExpr + aTok[0].iOff, aTok[0].n)))) {
    char *zFrom = dm_sql_dequote(m->zExpr + aTok[0].iOff, aTok[0].n);
    if (!zFrom) rc = SQLITE_NOMEM;
    if (zFrom && column_find(&p->oldCols, zFrom)) {
      m->zFrom = zFrom;
      zFrom = 0;
    }
    sqlite3_free(zFrom);
  }
  sqlite3_free(aTok);
  return rc;
}

/*
** Mapping i as a rename (m->zFrom), an expression (m->bExpr), or the column
** as it is (neither).
*/
static void classify_mapping(Alter *p, int i) {
  Mapping *m = &p->aMap[i];
  int bRename = m->zFrom && sqlite3_stricmp(m->zFrom, m->zCol) != 0 &&
                !column_find(&p->oldCols, m->zCol);
  for (int k = 0; bRename && k < p->def.nCol; k++) {
    if (sqlite3_stricmp(p->def.aElem[k].zName, m->zFrom) == 0) bRename = 0;
  }
  for (int k = 0; bRename && k < i; k++) {
    if (p->aMap[k].zFrom && sqlite3_stricmp(p->aMap[k].zFrom, m->zFrom) == 0) bRename = 0;
  }
  if (m->zFrom && sqlite3_stricmp(m->zFrom, m->zCol) == 0) {
    /* The column as it is: nothing to do, and no rename. */
    sqlite3_free(m->zFrom);
    m->zFrom = 0;
    return;
  }
  if (!bRename) {
    sqlite3_free(m->zFrom);
    m->zFrom = 0;
    m->bExpr = 1;
    p->nExpr++;
  }
}

/*
** The mapping: {"new column": "expression"}. A value that is just an old
** column's name renames it, which SQLite's ALTER TABLE RENAME COLUMN does
** best (it rewrites the indexes, triggers, views and foreign keys that use
** the column); anything else is computed in the rebuild's INSERT ... SELECT.
*/
static int read_mapping(Alter *p, const char *zMap) {
  if (!zMap) return SQLITE_OK;
  int rc = check_mapping_is_object(p, zMap);
  if (rc == SQLITE_OK) rc = read_mapping_members(p, zMap);
  /* Check the names against the new columns, sort out the renames. */
  for (int i = 0; rc == SQLITE_OK && i < p->nMap; i++) {
    Mapping *m = &p->aMap[i];
    const DmCreateElem *e = 0;
    for (int k = 0; k < p->def.nCol; k++) {
      if (sqlite3_stricmp(p->def.aElem[k].zName, m->zCol) == 0) e = &p->def.aElem[k];
    }
    if (!e) return unknown_mapped_column(p, m);
    rc = mapped_old_column(p, m);
    if (rc == SQLITE_OK) classify_mapping(p, i);
  }
  return rc;
}

/* ---- SQLite's own check of the schema ----------------------------------- */

/*
** Every view and trigger still compiles: the test ALTER TABLE RENAME runs
** on the whole schema before it renames anything (it reports "error in
** view v: no such column: c"), in a savepoint that is then rolled back.
** *pzProblem is SQLite's message, or 0. Without a view or trigger (main or
** temp) there is nothing to check, and the probe, which makes SQLite parse
** the schema twice more, is skipped: a fixed cost of a rebuild, not a large
** one, but the only one the 12-step SQL does not have.
*/
static int unused_name(Alter *p, const char *zPrefix, char **pzName);
static int schema_problem(Alter *p, char **pzProblem) {
  *pzProblem = 0;
  sqlite3_int64 bLegacy = 0, nDependent = 0;
  char *zProbe = 0;
  int rc = query_int64(p->db, &nDependent,
                       "SELECT (SELECT count(*) FROM main.sqlite_schema WHERE type IN "
                       "('view', 'trigger')) + (SELECT count(*) FROM temp.sqlite_schema "
                       "WHERE type IN ('view', 'trigger'))");
  if (rc || nDependent == 0) return rc;
  rc = unused_name(p, "distmigrate_probe_", &zProbe);
  if (rc) return rc;
  rc = query_int64(p->db, &bLegacy, "PRAGMA legacy_alter_table");
  if (rc == SQLITE_OK && bLegacy) rc = execf(p, p->db, "PRAGMA legacy_alter_table=OFF");
  if (rc == SQLITE_OK) rc = execf(p, p->db, "SAVEPOINT distmigrate_probe");
  if (rc == SQLITE_OK) {
    int rcProbe = execf(p, p->db, "ALTER TABLE main.\"%w\" RENAME TO \"%w\"", p->zTable, zProbe);
    if ((rcProbe & 0xff) == SQLITE_ERROR) {
      *pzProblem = sqlite3_mprintf("%s", sqlite3_errmsg(p->db));
      if (!*pzProblem) rc = SQLITE_NOMEM;
    } else if (rcProbe) {
      rc = rcProbe; /* Out of memory, an I/O error: no finding about the schema */
    }
    int rc2 = execf(p, p->db, "ROLLBACK TO distmigrate_probe");
    if (rc2 == SQLITE_OK) rc2 = execf(p, p->db, "RELEASE distmigrate_probe");
    if (rc == SQLITE_OK) rc = rc2;
  }
  if (bLegacy) execf(p, p->db, "PRAGMA legacy_alter_table=ON");
  sqlite3_free(zProbe);
  return rc;
}

/* ---- the writable_schema edit ------------------------------------------- */

/* Declared types of the table, "a|b|", for the edit's proof. */
static int types_text(sqlite3 *db, const char *zTable, char **pz) {
  return query_text(db, pz,
                    "SELECT group_concat(type || '|', '') FROM "
                    "(SELECT type FROM pragma_table_xinfo(%Q, 'main') ORDER BY cid)",
                    zTable);
}


/*
** The edit itself, as documented: note schema_version, writable_schema on,
** UPDATE, schema_version + 1, writable_schema back as it was.
*/
static int write_schema_text(Alter *p, const char *zSql, sqlite3_int64 *piVersion) {
  sqlite3 *db = p->db;
  sqlite3_int64 bWritable = 0;
  int rc = query_int64(db, piVersion, "PRAGMA main.schema_version");
  if (rc == SQLITE_OK) rc = query_int64(db, &bWritable, "PRAGMA writable_schema");
  if (rc == SQLITE_OK) {
    rc = execf(p, db, "PRAGMA writable_schema=ON");
    if (rc == SQLITE_OK) {
      rc = execf(p, db,
                 "UPDATE main.sqlite_schema SET sql = %Q WHERE type = 'table' AND name = %Q",
                 zSql, p->zTable);
    }
    if (rc == SQLITE_OK && sqlite3_changes(db) != 1) rc = SQLITE_CORRUPT;
    if (rc == SQLITE_OK) {
      rc = execf(p, db, "PRAGMA main.schema_version=%lld", *piVersion + 1);
    }
    int rc2 = execf(p, db, "PRAGMA writable_schema=%s", bWritable ? "ON" : "OFF");
    /* SQLite applies the pragma while compiling it, so an interrupted ON is
    ** still on, and an interrupt or out of memory refuses the OFF: the
    ** runner puts the setting back once the run is over (restore_modes). */
    if (rc == SQLITE_OK) rc = rc2;
  }
  return rc;
}

/*
** The proof. Reading the version reloads the schema; then the text is
** zSql, the layout is still zBefore, the types are zWantTypes, and the
** table reads.
*/
static int prove_schema_edit(Alter *p, const char *zSql, const char *zBefore,
                             const char *zWantTypes, sqlite3_int64 iVersion) {
  sqlite3 *db = p->db;
  sqlite3_int64 iAfter = 0;
  char *zAfter = 0, *zTypes = 0, *zText = 0;
  int rc = query_int64(db, &iAfter, "PRAGMA main.schema_version");
  if (rc == SQLITE_OK) {
    rc = query_text(db, &zText,
                    "SELECT sql FROM main.sqlite_schema WHERE type = 'table' AND name = %Q",
                    p->zTable);
  }
  if (rc == SQLITE_OK) rc = layout_summary(db, p->zTable, !p->bEditRules, &zAfter);
  if (rc == SQLITE_OK) rc = types_text(db, p->zTable, &zTypes);
  if (rc == SQLITE_OK) {
    sqlite3_int64 iRow;
    rc = query_int64(db, &iRow, "SELECT count(*) FROM (SELECT * FROM main.\"%w\" LIMIT 1)",
                     p->zTable);
  }
  if (rc) {
    rc = fail_sqlite(p, db, rc, 0, "reading the table back after the writable_schema edit");
  } else if (iAfter != iVersion + 1 || !zText || strcmp(zText, zSql) != 0 || !zBefore ||
             !zAfter || strcmp(zBefore, zAfter) != 0 || !zTypes ||
             strcmp(zTypes, zWantTypes ? zWantTypes : "") != 0) {
    rc = fail(p, SQLITE_CORRUPT,
              "the writable_schema edit did not give the table it should (schema "
              "version %lld -> %lld); nothing is kept, the run rolls back",
              iVersion, iAfter);
  } else {
    note(p, "writable_schema edit: sqlite_schema holds the given text, schema_version "
            "%lld -> %lld, the table reads back",
         iVersion, iAfter);
  }
  sqlite3_free(zAfter);
  sqlite3_free(zTypes);
  sqlite3_free(zText);
  return rc;
}

/*
** Replace the table's text in sqlite_schema by zSql, as documented: note
** schema_version, writable_schema on, UPDATE, schema_version + 1,
** writable_schema off. Then prove it before anything else runs: the schema
** reloads, the text is zSql, SQLite's description of how the rows are
** stored has not moved, the types are zWantTypes ("a|b|", 0: unchanged),
** and the table reads. Only called where the plan showed the new text
** stores rows exactly as the old one did.
*/
static int edit_schema(Alter *p, const char *zSql, const char *zWantTypes) {
  sqlite3_int64 iVersion = 0;
  char *zBefore = 0, *zTypesBefore = 0;
  int rc = layout_summary(p->db, p->zTable, !p->bEditRules, &zBefore);
  if (rc == SQLITE_OK && !zWantTypes) {
    rc = types_text(p->db, p->zTable, &zTypesBefore);
    zWantTypes = zTypesBefore;
  }
  if (rc == SQLITE_OK) rc = write_schema_text(p, zSql, &iVersion);
  if (rc) {
    rc = fail_sqlite(p, p->db, rc, 0, "the writable_schema edit");
  } else {
    rc = prove_schema_edit(p, zSql, zBefore, zWantTypes, iVersion);
  }
  sqlite3_free(zBefore);
  sqlite3_free(zTypesBefore);
  return rc;
}

/* ---- planning without a copy -------------------------------------------- */

typedef struct InPlace InPlace;
struct InPlace {
  char **azDrop;       /* Columns to DROP */
  int nDrop;
  int *aiAdd;          /* Elements of the statement to ADD */
  int nAdd;
  int nRename;
  sqlite3_str *pTypes; /* "a: X -> Y" for each type that changes */
  int nTypes;
  int bEdit;           /* The writable_schema edit follows */
  int bLayout;         /* The given text differs from ALTER TABLE's in layout */
  int bInPlace;        /* The plan holds: no rebuild */
  char *zWhy;          /* Why a rebuild instead */
  DmEditPlan edit;     /* Constraint and DEFAULT changes the edit makes */
  DmSchemaTable *pWant;/* The statement's table, modelled (its scratch copy) */
  DmSchema *pWantSchema;
};

static void in_place_clear(InPlace *q) {
  for (int i = 0; i < q->nDrop; i++) sqlite3_free(q->azDrop[i]);
  sqlite3_free(q->azDrop);
  sqlite3_free(q->aiAdd);
  sqlite3_free(sqlite3_str_finish(q->pTypes));
  sqlite3_free(q->zWhy);
  dm_edit_plan_clear(&q->edit);
  dm_schema_free(q->pWantSchema);
}

/*
** A refused ALTER TABLE z (sqlite3_malloc'd, freed here): an error on the
** database, a finding on the scratch copy ("z refuses[zHow]: why").
*/
static void alter_refused(Alter *p, sqlite3 *db, InPlace *q, int rc, int bReal, char *z,
                          const char *zWhat, const char *zHow) {
  if (bReal) {
    fail_sqlite(p, db, rc, 0, z ? z : zWhat);
  } else {
    q->zWhy = sqlite3_mprintf("%s refuses%s: %s", z, zHow, sqlite3_errmsg(db));
  }
  sqlite3_free(z);
}

/* The mapping's renames, by ALTER TABLE RENAME COLUMN. */
static int run_renames(Alter *p, sqlite3 *db, InPlace *q, int bReal) {
  int rc = SQLITE_OK;
  for (int i = 0; rc == SQLITE_OK && i < p->nMap; i++) {
    if (!p->aMap[i].zFrom) continue;
    rc = execf(p, db, "ALTER TABLE main.\"%w\" RENAME COLUMN \"%w\" TO \"%w\"", p->zTable,
               p->aMap[i].zFrom, p->aMap[i].zCol);
    if (rc) {
      alter_refused(p, db, q, rc, bReal,
                    sqlite3_mprintf("ALTER TABLE RENAME COLUMN %s TO %s", p->aMap[i].zFrom,
                                    p->aMap[i].zCol),
                    "ALTER TABLE RENAME COLUMN", "");
    } else if (bReal) {
      note(p, "rename column %s to %s: ALTER TABLE RENAME COLUMN", p->aMap[i].zFrom,
           p->aMap[i].zCol);
      p->bRenamed = 1;
    }
  }
  return rc;
}

/* The plan's drops, by ALTER TABLE DROP COLUMN. */
static int run_drops(Alter *p, sqlite3 *db, InPlace *q, int bReal) {
  int rc = SQLITE_OK;
  for (int i = 0; rc == SQLITE_OK && i < q->nDrop; i++) {
    double t0 = now_ms();
    rc = execf(p, db, "ALTER TABLE main.\"%w\" DROP COLUMN \"%w\"", p->zTable, q->azDrop[i]);
    if (rc) {
      alter_refused(p, db, q, rc, bReal,
                    sqlite3_mprintf("ALTER TABLE DROP COLUMN %s", q->azDrop[i]),
                    "ALTER TABLE DROP COLUMN", "");
    } else if (bReal) {
      note(p, "drop column %s: ALTER TABLE DROP COLUMN (rewrites the rows in place), "
              "%.1f ms",
           q->azDrop[i], now_ms() - t0);
    }
  }
  return rc;
}

/* The plan's additions, by ALTER TABLE ADD COLUMN. */
static int run_adds(Alter *p, sqlite3 *db, InPlace *q, int bReal) {
  int rc = SQLITE_OK;
  for (int i = 0; rc == SQLITE_OK && i < q->nAdd; i++) {
    char *zCol = elem_text(&p->def, q->aiAdd[i]);
    if (!zCol) return SQLITE_NOMEM;
    double t0 = now_ms();
    rc = execf(p, db, "ALTER TABLE main.\"%w\" ADD COLUMN %s", p->zTable, zCol);
    const char *zName = p->def.aElem[q->aiAdd[i]].zName;
    if (rc) {
      /* The scratch copy holds a row (scratch_row()). */
      alter_refused(p, db, q, rc, bReal, sqlite3_mprintf("ALTER TABLE ADD COLUMN %s", zName),
                    "ALTER TABLE ADD COLUMN", " on a table with rows");
    } else if (bReal) {
      note(p, "add column %s: ALTER TABLE ADD COLUMN, %.1f ms", zName, now_ms() - t0);
    }
    sqlite3_free(zCol);
  }
  return rc;
}

/*
** Run the ALTER TABLE statements of the plan on db: the scratch copy
** (bReal 0: a refusal goes to q->zWhy) or the database (an error). The
** mapping's renames run when bRenames.
*/
static int run_alters(Alter *p, sqlite3 *db, InPlace *q, int bRenames, int bReal) {
  int rc = bRenames ? run_renames(p, db, q, bReal) : SQLITE_OK;
  if (rc == SQLITE_OK) rc = run_drops(p, db, q, bReal);
  if (rc == SQLITE_OK) rc = run_adds(p, db, q, bReal);
  /* On the scratch copy a refusal is a finding (rebuild instead); out of
  ** memory is not one, and fails the call. */
  if (!bReal && q->zWhy && rc != SQLITE_NOMEM) rc = SQLITE_OK;
  return rc;
}

/*
** One row in the scratch copy of the old table, and the connection's
** foreign_keys setting there, so that the plan's ALTER TABLE statements
** are proven as they will run on the real table. Some of SQLite's
** refusals of ADD COLUMN (lang_altertable.html; sqlite3ErrorIfNotEmpty()
** in its alter.c) come only from a table with rows: a default that is not
** constant, a STORED generated column, NOT NULL with a NULL default and,
** while foreign keys are enforced, a REFERENCES column whose default is
** not NULL. On an empty copy they all passed, and the real table refused:
** the run failed, and the change could not be made at all. Foreign keys
** are off during a run outside a transaction (the runner turns them off),
** but inside the caller's transaction with foreign_keys=ON they are on,
** and SQLite refuses there what it accepts outside.
**
** What is constant is SQLite's call, not the documentation's wording
** ("an expression in parentheses"). Tried with the sqlite3 shell, 3.40.1,
** on a table with a row: DEFAULT (0), ((0)), (-1), (+1), ('s'), (NULL),
** (CAST(1 AS TEXT)), x'00' and TRUE are accepted; (1 + 1), ('a' || 'b'),
** (1 COLLATE NOCASE), (random()) and CURRENT_TIMESTAMP are refused. The
** row lets SQLite decide, whichever version runs.
**
** The row holds 0 in each stored column (x'' in a STRICT table's BLOB
** column, which takes no number); CHECK constraints are off on the
** scratch connection, so neither the row nor a new column's CHECK fails on
** values the table does not hold: that is for the real rows to say. The
** foreign keys go on only after the row is in (the copy has no parents).
** A row SQLite will not take leaves q->zWhy set: rebuild. Only a plan
** that adds columns needs the row; pCols are the copy's columns now.
*/
static int scratch_row(Alter *p, InPlace *q, const ColumnList *pCols) {
  sqlite3 *db = p->pOld;
  sqlite3_int64 bStrict = 0, bFk = 0;
  int rc = query_int64(db, &bStrict,
                       "SELECT strict FROM pragma_table_list(%Q) WHERE schema = 'main'",
                       p->zTable);
  if (rc == SQLITE_OK) rc = query_int64(p->db, &bFk, "PRAGMA foreign_keys");
  if (rc) return rc;
  sqlite3_str *pNames = sqlite3_str_new(0), *pVals = sqlite3_str_new(0);
  int nCol = 0;
  for (int i = 0; i < pCols->n; i++) {
    const Column *c = &pCols->a[i];
    if (c->iHidden) continue; /* Generated: SQLite computes it */
    int bBlob = bStrict && sqlite3_stricmp(c->zType, "BLOB") == 0;
    sqlite3_str_appendf(pNames, "%s\"%w\"", nCol ? ", " : "", c->zName);
    sqlite3_str_appendf(pVals, "%s%s", nCol ? ", " : "", bBlob ? "x''" : "0");
    nCol++;
  }
  char *zCols = sqlite3_str_finish(pNames), *zVals = sqlite3_str_finish(pVals);
  if (!zCols || !zVals) rc = SQLITE_NOMEM;
  if (rc == SQLITE_OK) rc = execf(p, db, "PRAGMA ignore_check_constraints=ON");
  if (rc == SQLITE_OK) {
    int rcRow = execf(p, db, "INSERT INTO main.\"%w\" (%s) VALUES (%s)", p->zTable, zCols, zVals);
    if ((rcRow & 0xff) == SQLITE_NOMEM) {
      rc = SQLITE_NOMEM;
    } else if (rcRow) {
      q->zWhy = sqlite3_mprintf("the plan cannot be proven on a table with rows: a "
                                "scratch copy of the table refuses a row of zeros (%s)",
                                sqlite3_errmsg(db));
      if (!q->zWhy) rc = SQLITE_NOMEM;
    }
  }
  if (rc == SQLITE_OK && !q->zWhy && bFk) rc = execf(p, db, "PRAGMA foreign_keys=ON");
  sqlite3_free(zCols);
  sqlite3_free(zVals);
  return rc;
}

/* The reason for a rebuild; out of memory if it could not be written. */
static int why_rebuild(InPlace *q, char *zWhy) {
  q->zWhy = zWhy;
  return zWhy ? SQLITE_OK : SQLITE_NOMEM;
}

/* The plan still holds: no error, no reason to rebuild yet. */
static int still_in_place(int rc, const InPlace *q) {
  return rc == SQLITE_OK && !q->zWhy;
}

/* What rebuilds without a try: computed columns, no scratch, a new name. */
static int refuse_before_trying(Alter *p, InPlace *q) {
  if (p->nExpr > 0) {
    for (int i = 0; i < p->nMap; i++) {
      if (!p->aMap[i].zFrom && p->aMap[i].bExpr) {
        return why_rebuild(q, sqlite3_mprintf("the mapping computes %s (%s)", p->aMap[i].zCol,
                                              p->aMap[i].zExpr));
      }
    }
    return SQLITE_NOMEM; /* No reason found: as one that could not be written */
  }
  if (!p->bScratch) return why_rebuild(q, sqlite3_mprintf("%s", p->zScratchErr));
  if (strcmp(p->def.zName, p->zTable) != 0) {
    return why_rebuild(q, sqlite3_mprintf("the table's name changes from %s to %s", p->zTable,
                                          p->def.zName));
  }
  return SQLITE_OK;
}

/* Renames first, on the scratch copy; then the columns there and wanted. */
static int rename_on_scratch(Alter *p, InPlace *q, ColumnList *pCur, ColumnList *pWant) {
  for (int i = 0; i < p->nMap; i++) q->nRename += p->aMap[i].zFrom != 0;
  InPlace renames;
  memset(&renames, 0, sizeof(renames));
  int rc = run_alters(p, p->pOld, &renames, 1, 0);
  if (renames.zWhy) {
    q->zWhy = renames.zWhy;
    return rc;
  }
  if (rc == SQLITE_OK) rc = read_columns(p->pOld, p->zTable, pCur);
  if (rc == SQLITE_OK) rc = read_columns(p->pNew, p->zTable, pWant);
  return rc;
}

/* SQLite's reading of the statement must be ours, or nothing below holds. */
static int check_same_reading(Alter *p, InPlace *q, const ColumnList *pWant) {
  int bSameReading = pWant->n == p->def.nCol;
  for (int i = 0; bSameReading && i < pWant->n; i++) {
    /* SQLite keeps a type as its raw text (a quoted one dequoted: rare
    ** enough to leave to the rebuild). */
    const DmCreateElem *e = &p->def.aElem[i];
    const Token *a = &p->def.aTok[e->iType];
    const Token *b = &p->def.aTok[e->iTypeEnd - 1];
    int nType = e->iTypeEnd > e->iType ? b->iOff + b->n - a->iOff : 0;
    bSameReading = strcmp(pWant->a[i].zName, e->zName) == 0 &&
                   (int)strlen(pWant->a[i].zType) == nType &&
                   memcmp(pWant->a[i].zType, p->def.zSql + a->iOff, (size_t)nType) == 0 &&
                   (nType == 0 || a->eKind == DM_KIND_ID);
  }
  if (bSameReading) return SQLITE_OK;
  return why_rebuild(q, sqlite3_mprintf("the statement is too unusual to compare column by column"));
}

/*
** Which columns go, stay and come. Columns that stay keep their order; new
** ones come last (ADD COLUMN appends).
*/
static int plan_columns(InPlace *q, const ColumnList *pCur, const ColumnList *pWant) {
  int iPrevOld = -1, bAddedSeen = 0;
  q->aiAdd = sqlite3_malloc64(sizeof(int) * (sqlite3_uint64)(pWant->n + 1));
  q->azDrop = sqlite3_malloc64(sizeof(char *) * (sqlite3_uint64)(pCur->n + 1));
  if (!q->aiAdd || !q->azDrop) return SQLITE_NOMEM;
  for (int i = 0; i < pWant->n; i++) {
    int iOld = -1;
    for (int k = 0; k < pCur->n; k++) {
      if (sqlite3_stricmp(pCur->a[k].zName, pWant->a[i].zName) == 0) iOld = k;
    }
    if (iOld < 0) {
      q->aiAdd[q->nAdd++] = i;
      bAddedSeen = 1;
      continue;
    }
    if (bAddedSeen) {
      return why_rebuild(q, sqlite3_mprintf(
          "new column %s comes before existing column %s, and ALTER TABLE ADD COLUMN "
          "can only append",
          pWant->a[q->aiAdd[q->nAdd - 1]].zName, pWant->a[i].zName));
    }
    if (iOld < iPrevOld) {
      return why_rebuild(q, sqlite3_mprintf("column %s moves", pWant->a[i].zName));
    }
    iPrevOld = iOld;
  }
  for (int k = 0; k < pCur->n; k++) {
    if (!column_find(pWant, pCur->a[k].zName)) {
      q->azDrop[q->nDrop] = sqlite3_mprintf("%s", pCur->a[k].zName);
      if (!q->azDrop[q->nDrop++]) return SQLITE_NOMEM;
    }
  }
  return SQLITE_OK;
}

/*
** SQLite's ALTER TABLE on the scratch copy (the renames ran already), with
** a row in it where columns are added.
*/
static int alter_scratch(Alter *p, InPlace *q, const ColumnList *pCur) {
  int rc = SQLITE_OK;
  if (q->nAdd > 0) rc = scratch_row(p, q, pCur);
  if (rc || q->zWhy) return rc;
  return run_alters(p, p->pOld, q, 0, 0);
}

/* The model of the scratch copy db's table; *ppSchema owns it. */
static int scratch_model(Alter *p, sqlite3 *db, DmSchema **ppSchema, DmSchemaTable **ppTab) {
  char *zErr = 0;
  int rc = dm_schema_read_table(db, "main", p->zTable, ppSchema, &zErr);
  sqlite3_free(zErr);
  *ppTab = rc == SQLITE_OK ? (DmSchemaTable *)dm_schema_table(*ppSchema, p->zTable) : 0;
  if (rc == SQLITE_OK && !*ppTab) rc = SQLITE_ERROR;
  return rc;
}

/*
** The statement differs from the table (after the plan's ALTER TABLE) in
** more than types and layout: can an edit of the schema make the rest
** (edit.c)? Decided on the models of the two scratch copies.
*/
static int plan_rules(Alter *p, InPlace *q) {
  DmSchema *pHave = 0;
  DmSchemaTable *pOld = 0;
  int rc = scratch_model(p, p->pOld, &pHave, &pOld);
  if (rc == SQLITE_OK) rc = scratch_model(p, p->pNew, &q->pWantSchema, &q->pWant);
  if (rc == SQLITE_OK) rc = dm_edit_plan(p->db, p->zTable, pOld, q->pWant, &q->edit);
  dm_schema_free(pHave);
  if (rc == SQLITE_NOMEM) return rc;
  if (rc) {
    return why_rebuild(q, sqlite3_mprintf("the change could not be worked out column by "
                                          "column (%s)", sqlite3_errstr(rc)));
  }
  if (q->edit.zWhyNot) return why_rebuild(q, sqlite3_mprintf("%s", q->edit.zWhyNot));
  if (q->edit.nChange > 0 && p->bDefensive) {
    return why_rebuild(q, sqlite3_mprintf("%s needs the writable_schema edit, which the "
                                          "connection's defensive mode forbids",
                                          sqlite3_str_value(q->edit.pWhat)));
  }
  p->bEditRules = q->edit.nChange > 0;
  return SQLITE_OK;
}

/*
** The result must be the statement, declared types and layout aside.
** *pzText is the text ALTER TABLE wrote.
*/
static int compare_result(Alter *p, InPlace *q, char **pzText) {
  int rc = query_text(p->pOld, pzText,
                      "SELECT sql FROM main.sqlite_schema WHERE type = 'table' AND name = %Q",
                      p->zTable);
  if (rc) return rc;
  DmCreate now;
  memset(&now, 0, sizeof(now));
  char *zIgnored = 0;
  rc = dm_create_parse(*pzText ? *pzText : "", &now, &zIgnored);
  sqlite3_free(zIgnored);
  int iDiff = rc ? -1 : def_difference(&now, &p->def);
  dm_create_clear(&now);
  if (rc) {
    if (rc == SQLITE_NOMEM) return rc;
    return why_rebuild(q, sqlite3_mprintf("the table's stored text is too unusual to compare"));
  }
  if (iDiff == -1) return SQLITE_OK;
  return plan_rules(p, q);
}

/* Types: only within their affinity, never in a STRICT table. */
static int check_types(Alter *p, InPlace *q, ColumnList *pCur, const ColumnList *pWant) {
  int rc = read_columns(p->pOld, p->zTable, pCur);
  if (rc) return rc;
  q->pTypes = sqlite3_str_new(0);
  for (int i = 0; i < pWant->n; i++) {
    const Column *c = &pCur->a[i], *w = &pWant->a[i];
    if (strcmp(c->zType, w->zType) == 0) continue;
    const char *zFrom = affinity(c->zType), *zTo = affinity(w->zType);
    if (strcmp(zFrom, zTo) != 0) {
      return why_rebuild(q, sqlite3_mprintf("column %s changes affinity (%s %s -> %s %s)",
                                            w->zName, c->zType, zFrom, w->zType, zTo));
    }
    sqlite3_str_appendf(q->pTypes, "%s%s %s -> %s (%s affinity)", q->nTypes ? ", " : "",
                        w->zName, c->zType[0] ? c->zType : "(none)",
                        w->zType[0] ? w->zType : "(none)", zTo);
    q->nTypes++;
  }
  sqlite3_int64 bStrict = 0;
  rc = query_int64(p->pNew, &bStrict, "SELECT strict FROM pragma_table_list(%Q) WHERE schema = 'main'",
                   p->zTable);
  if (rc) return rc;
  if (q->nTypes && bStrict) {
    return why_rebuild(q, sqlite3_mprintf("a declared type changes in a STRICT table"));
  }
  if (q->nTypes && p->bDefensive) {
    char *zTypes = sqlite3_str_value(q->pTypes);
    return why_rebuild(q, sqlite3_mprintf("%s needs the writable_schema edit, which the "
                                          "connection's defensive mode forbids",
                                          zTypes ? zTypes : "a type change"));
  }
  return SQLITE_OK;
}

/*
** The writable_schema edit, if one follows, must leave how SQLite stores
** the rows as it is. zText is the text ALTER TABLE wrote (the types differ
** only in the pragmas, not in what was compared).
*/
static int check_layout(Alter *p, InPlace *q, const char *zText) {
  char *zOldLayout = 0, *zNewLayout = 0;
  int rc = SQLITE_OK;
  q->bLayout = strcmp(zText ? zText : "", p->zStored) != 0;
  q->bEdit = (q->nTypes > 0 || q->bLayout) && !p->bDefensive;
  if (!q->bEdit) return SQLITE_OK;
  rc = layout_summary(p->pOld, p->zTable, !p->bEditRules, &zOldLayout);
  if (rc == SQLITE_OK) rc = layout_summary(p->pNew, p->zTable, !p->bEditRules, &zNewLayout);
  if (rc == SQLITE_OK && (!zOldLayout || !zNewLayout || strcmp(zOldLayout, zNewLayout) != 0)) {
    rc = why_rebuild(q, sqlite3_mprintf("the new declaration would change how SQLite stores "
                                        "the rows (keys, automatic indexes or the rowid)"));
  }
  sqlite3_free(zOldLayout);
  sqlite3_free(zNewLayout);
  return rc;
}

/*
** Can the change be made without copying the table? Works it out on the
** scratch copies (the old one holding a row if columns are added, see
** scratch_row()): SQLite's ALTER TABLE runs there, the result is compared
** with the statement, the layouts with each other. Leaves q->zWhy set when
** the answer is no.
*/
static int plan_in_place(Alter *p, InPlace *q) {
  char *zText = 0;
  ColumnList cur = {0, 0}, want = {0, 0};
  int rc = refuse_before_trying(p, q);
  if (still_in_place(rc, q)) rc = rename_on_scratch(p, q, &cur, &want);
  if (still_in_place(rc, q)) rc = check_same_reading(p, q, &want);
  if (still_in_place(rc, q)) rc = plan_columns(q, &cur, &want);
  if (still_in_place(rc, q)) rc = alter_scratch(p, q, &cur);
  if (still_in_place(rc, q)) rc = compare_result(p, q, &zText);
  if (still_in_place(rc, q)) rc = check_types(p, q, &cur, &want);
  if (still_in_place(rc, q)) rc = check_layout(p, q, zText);
  if (still_in_place(rc, q)) q->bInPlace = 1;
  if (!q->bInPlace) p->bEditRules = 0; /* The rebuild writes the rules with the rows */

  if (rc && rc != SQLITE_NOMEM && !q->zWhy) {
    /* A question the scratch copies could not answer: in doubt, rebuild. */
    q->zWhy = sqlite3_mprintf("the plan could not be worked out (%s)",
                              sqlite3_errmsg(p->pOld));
    rc = q->zWhy ? SQLITE_OK : SQLITE_NOMEM;
  }
  sqlite3_free(zText);
  columns_clear(&cur);
  columns_clear(&want);
  return rc;
}

/* The strategy of an in-place plan, as the function returns it. */
static const char *in_place_strategy(const InPlace *q) {
  if (q->nRename + q->nDrop + q->nAdd == 0) return q->bEdit ? "writable_schema" : "unchanged";
  return q->nTypes > 0 || q->edit.nChange > 0 ? "writable_schema" : "alter table";
}

/* The ALTER TABLE statements of an in-place plan, for its line; how many. */
static int append_alters(const Alter *p, const InPlace *q, sqlite3_str *pWhy) {
  int nAlter = 0;
  for (int i = 0; i < p->nMap; i++) {
    if (!p->aMap[i].zFrom) continue;
    sqlite3_str_appendf(pWhy, "%srename column %s to %s", nAlter++ ? ", " : "",
                        p->aMap[i].zFrom, p->aMap[i].zCol);
  }
  for (int i = 0; i < q->nDrop; i++) {
    sqlite3_str_appendf(pWhy, "%sdrop column %s", nAlter++ ? ", " : "", q->azDrop[i]);
  }
  for (int i = 0; i < q->nAdd; i++) {
    sqlite3_str_appendf(pWhy, "%sadd column %s", nAlter++ ? ", " : "",
                        p->def.aElem[q->aiAdd[i]].zName);
  }
  if (nAlter) {
    sqlite3_str_appendall(pWhy, ", which SQLite's ALTER TABLE does without copying the table");
  }
  return nAlter;
}

/* What the writable_schema edit of an in-place plan changes, for its line. */
static void append_edits(const InPlace *q, int nAlter, sqlite3_str *pWhy) {
  if (q->nTypes) {
    const char *zTypes = sqlite3_str_value(q->pTypes);
    sqlite3_str_appendf(pWhy, "%sdeclared types only, within their affinity: %s; every "
                              "stored value stays valid, and the writable_schema edit "
                              "changes the declaration",
                        nAlter ? "; " : "", zTypes ? zTypes : "");
  }
  if (q->edit.nChange > 0) {
    const char *zRules = sqlite3_str_value(q->edit.pWhat);
    sqlite3_str_appendf(pWhy, "%s%s: the writable_schema edit changes the declaration%s%s",
                        nAlter || q->nTypes ? "; " : "", zRules ? zRules : "",
                        q->edit.nRule ? ", after one read of the table finds no row that "
                                        "breaks a tighter rule"
                        : q->edit.nFkAdded ? ", and a new foreign key is checked after it "
                                             "when the connection enforces them"
                                           : ", since every stored row keeps to a looser rule",
                        q->edit.nDefault ? ", and the rows stored before a column was added "
                                           "keep its old DEFAULT" : "");
  } else if (q->bEdit && !q->nTypes) {
    sqlite3_str_appendf(pWhy, "%sthe given text differs from %s only in layout: the "
                              "writable_schema edit stores it verbatim",
                        nAlter ? "; " : "", nAlter ? "ALTER TABLE's" : "the stored one");
  }
}

/*
** The verbose mode's line saying which strategy runs and why, one per call,
** before anything changes: "strategy NAME (no copy | copy the rows into a
** new table): why". The lines after it say what each step did.
*/
static void note_strategy(Alter *p, const InPlace *q) {
  if (!p->bVerbose) return;
  if (!q->bInPlace) {
    note(p, "strategy rebuild (copy the rows into a new table): %s", q->zWhy);
    return;
  }
  const char *zName = in_place_strategy(q);
  if (strcmp(zName, "unchanged") == 0) {
    note(p, "strategy unchanged (no copy): the table already is as given%s",
         q->bLayout ? ", but for the text's layout" : "");
    return;
  }
  sqlite3_str *pWhy = sqlite3_str_new(0);
  append_edits(q, append_alters(p, q, pWhy), pWhy);
  char *zWhy = sqlite3_str_finish(pWhy);
  note(p, "strategy %s (no copy): %s", zName, zWhy ? zWhy : "out of memory");
  sqlite3_free(zWhy);
}

/* The table's text in sqlite_schema now, sqlite3_malloc'd into *pz. */
static int stored_text(Alter *p, char **pz) {
  return query_text(p->db, pz,
                    "SELECT sql FROM main.sqlite_schema WHERE type = 'table' AND name = %Q",
                    p->zTable);
}

/*
** The DEFAULT trap (edit.h): the DEFAULTs that change point at a sentinel
** no stored value equals, for as long as it takes to give the rows that
** read it (those stored before the column's ADD COLUMN) the old value.
*/
static int keep_short_rows(Alter *p, InPlace *q) {
  char *zNow = 0, *zTmp = 0, *zFill = 0, *zSentinel = 0;
  double t0 = now_ms();
  sqlite3_int64 iVersion = 0;
  int rc = query_int64(p->db, &iVersion, "PRAGMA main.schema_version");
  /* The same database gives the same sentinel, so that migrate_sql()'s
  ** script is the same each time it is asked for: a blob that spells
  ** "distmigrate DEFAULT sentinel", the table and the schema's version,
  ** which no application stores. */
  if (rc == SQLITE_OK) {
    rc = query_text(p->db, &zSentinel,
                    "SELECT 'x''' || hex('distmigrate DEFAULT sentinel ' || %Q || ' ' || %lld) "
                    "|| ''''",
                    p->zTable, iVersion);
  }
  if (rc == SQLITE_OK && !zSentinel) rc = SQLITE_NOMEM;
  if (rc == SQLITE_OK) rc = stored_text(p, &zNow);
  if (rc == SQLITE_OK) rc = dm_edit_defaults_text(zNow ? zNow : "", &q->edit, zSentinel, &zTmp);
  if (rc == SQLITE_OK) rc = edit_schema(p, zTmp, 0);
  int bCount = 0;
  if (rc == SQLITE_OK) rc = count_rows(p, "DEFAULT scan", &bCount);
  if (rc == SQLITE_OK) {
    zFill = dm_edit_fill_sql(p->zTable, &q->edit, zSentinel, bCount);
    rc = zFill ? execf(p, p->db, "%s", zFill) : SQLITE_NOMEM;
    dm_progress_phase_end(p->pConn->pProgress);
    if (rc) rc = fail_sqlite(p, p->db, rc, 0, "keeping the old DEFAULT in rows stored "
                                              "before the column was added");
  }
  if (rc == SQLITE_OK) {
    note(p, "DEFAULT change: %lld row%s stored before the column was added now hold the old "
            "DEFAULT's value (found in one read of the table), %.1f ms",
         (long long)sqlite3_changes64(p->db), sqlite3_changes64(p->db) == 1 ? "" : "s",
         now_ms() - t0);
  }
  sqlite3_free(zNow);
  sqlite3_free(zTmp);
  sqlite3_free(zFill);
  sqlite3_free(zSentinel);
  return rc;
}

/* Before the edit of the rules: the scan for rows breaking a tighter one,
** then the DEFAULT trap. */
static int run_rules(Alter *p, InPlace *q) {
  char *zErr = 0;
  double t0 = now_ms();
  int bCount = 0;
  int rc = q->edit.nRule > 0 ? count_rows(p, "verifying scan", &bCount) : SQLITE_OK;
  if (rc) return rc;
  rc = dm_edit_scan(p->db, p->zTable, q->pWant->bWithoutRowid, &q->edit, bCount, &zErr);
  dm_progress_phase_end(p->pConn->pProgress);
  if (rc == SQLITE_CONSTRAINT && zErr) {
    fail(p, rc, "%s", zErr);
  } else if (rc) {
    fail_sqlite(p, p->db, rc, 0, "the read of the table for rows that break the new rules");
  } else if (q->edit.nRule > 0) {
    note(p, "verifying scan: no row breaks the %d tighter rule%s, %.1f ms", q->edit.nRule,
         q->edit.nRule == 1 ? "" : "s", now_ms() - t0);
  }
  sqlite3_free(zErr);
  if (rc == SQLITE_OK && q->edit.nDefault > 0) rc = keep_short_rows(p, q);
  return rc;
}

/* After the edit: SQLite's reading of the table is the statement's. */
static int prove_rules(Alter *p, InPlace *q) {
  DmSchema *pNow = 0;
  DmSchemaTable *pTab = 0;
  DmEditPlan left;
  memset(&left, 0, sizeof(left));
  int rc = scratch_model(p, p->db, &pNow, &pTab);
  if (rc == SQLITE_OK) rc = dm_edit_plan(p->db, p->zTable, pTab, q->pWant, &left);
  if (rc == SQLITE_OK && (left.zWhyNot || left.nChange > 0)) {
    const char *zLeft = left.zWhyNot ? left.zWhyNot : sqlite3_str_value(left.pWhat);
    rc = fail(p, SQLITE_CORRUPT,
              "the writable_schema edit did not give the table it should (still to do: "
              "%s); nothing is kept, the run rolls back",
              zLeft ? zLeft : "?");
  } else if (rc && rc != SQLITE_NOMEM) {
    rc = fail_sqlite(p, p->db, rc, 0, "reading the table back after the writable_schema edit");
  }
  dm_edit_plan_clear(&left);
  dm_schema_free(pNow);
  return rc;
}

/* Carry out an in-place plan on the real table. */
static int run_in_place(Alter *p, InPlace *q) {
  int rc = run_alters(p, p->db, q, 1, 1);
  if (rc) return rc;
  if (!q->bEdit) {
    char *zNow = 0;
    rc = query_text(p->db, &zNow,
                    "SELECT sql FROM main.sqlite_schema WHERE type = 'table' AND name = %Q",
                    p->zTable);
    int bSame = rc == SQLITE_OK && zNow && strcmp(zNow, p->zStored) == 0;
    sqlite3_free(zNow);
    if (rc) return rc;
    if (!bSame) {
      note(p, "sqlite_schema keeps the text SQLite's ALTER TABLE wrote (the given "
              "text differs only in layout; defensive mode forbids the writable_schema "
              "edit that would store it verbatim)");
    }
    return SQLITE_OK;
  }
  /* Check the real result as the scratch one was: same statement, types
  ** and layout aside. */
  char *zText = 0, *zIgnored = 0, *zTypes = 0;
  DmCreate now;
  memset(&now, 0, sizeof(now));
  rc = query_text(p->db, &zText,
                  "SELECT sql FROM main.sqlite_schema WHERE type = 'table' AND name = %Q",
                  p->zTable);
  if (rc == SQLITE_OK) rc = dm_create_parse(zText ? zText : "", &now, &zIgnored);
  if (rc == SQLITE_OK && !p->bEditRules && def_difference(&now, &p->def) != -1) {
    rc = fail(p, SQLITE_ERROR, "after ALTER TABLE the table differs from the given "
                               "statement in more than declared types; nothing is kept");
  }
  if (rc == SQLITE_OK) rc = types_text(p->pNew, p->zTable, &zTypes);
  if (rc == SQLITE_OK && p->bEditRules) rc = run_rules(p, q);
  if (rc == SQLITE_OK) rc = edit_schema(p, p->zStored, zTypes);
  if (rc == SQLITE_OK && p->bEditRules) rc = prove_rules(p, q);
  sqlite3_free(zText);
  sqlite3_free(zIgnored);
  sqlite3_free(zTypes);
  dm_create_clear(&now);
  return rc;
}

/* ---- the rebuild ------------------------------------------------------------ */

typedef struct Saved Saved;
struct Saved {
  char *zType;
  char *zName;
  char *zSql;
};

/* The foreign keys that point at the table (its own included). */
static int read_referrers(Alter *p) {
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(
      p->db,
      "SELECT m.name, f.\"to\" FROM main.sqlite_schema m, "
      "pragma_foreign_key_list(m.name, 'main') f "
      "WHERE m.type = 'table' AND f.\"table\" = ?1 COLLATE NOCASE ORDER BY m.name, f.id, f.seq",
      -1, &pStmt, 0);
  if (rc) return rc;
  sqlite3_bind_text(pStmt, 1, p->zTable, -1, SQLITE_STATIC);
  int nAlloc = 0;
  while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    if (p->nRef == nAlloc) {
      nAlloc = nAlloc ? 2 * nAlloc : 8;
      Referrer *aNew = sqlite3_realloc64(p->aRef, sizeof(Referrer) * (sqlite3_uint64)nAlloc);
      if (!aNew) {
        rc = SQLITE_NOMEM;
        break;
      }
      p->aRef = aNew;
    }
    Referrer *r = &p->aRef[p->nRef++];
    const char *zTo = (const char *)sqlite3_column_text(pStmt, 1);
    r->zTable = column_copy(pStmt, 0);
    r->zTo = zTo ? sqlite3_mprintf("%s", zTo) : 0;
    if (!r->zTable || (zTo && !r->zTo)) {
      rc = SQLITE_NOMEM;
      break;
    }
  }
  sqlite3_finalize(pStmt);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* A name for a transient table that no object has. */
static int unused_name(Alter *p, const char *zPrefix, char **pzName) {
  *pzName = 0;
  for (int i = 0; i < 100; i++) {
    char *z = i ? sqlite3_mprintf("%s%s_%d", zPrefix, p->zTable, i)
                : sqlite3_mprintf("%s%s", zPrefix, p->zTable);
    if (!z) return SQLITE_NOMEM;
    sqlite3_int64 n = 0;
    int rc = query_int64(p->db, &n,
                         "SELECT count(*) FROM main.sqlite_schema WHERE name = %Q COLLATE NOCASE",
                         z);
    if (rc) {
      sqlite3_free(z);
      return rc;
    }
    if (n == 0) {
      *pzName = z;
      return SQLITE_OK;
    }
    sqlite3_free(z);
  }
  return fail(p, SQLITE_ERROR, "no free name for the new table");
}

/* What the rebuild's steps hand on to each other. */
typedef struct Rebuild Rebuild;
struct Rebuild {
  Alter *p;
  char *zTmp;              /* The new table's temporary name */
  Saved *aSaved;           /* Step 3: the table's indexes and triggers */
  int nSaved;
  sqlite3_int64 bHasStat;  /* sqlite_stat1 exists */
  char *zRowid;            /* The rowid alias the copy carries, or 0 */
  char *zCols;             /* The copy's INSERT column list ... */
  char *zSel;              /* ... and what fills them */
  int nCopied;             /* Columns the copy fills */
  sqlite3_int64 nRow;      /* Rows copied */
  double tCopy;            /* ms the copy took */
};

static void rebuild_clear(Rebuild *r) {
  for (int i = 0; i < r->nSaved; i++) {
    sqlite3_free(r->aSaved[i].zType);
    sqlite3_free(r->aSaved[i].zName);
    sqlite3_free(r->aSaved[i].zSql);
  }
  sqlite3_free(r->aSaved);
  sqlite3_free(r->zTmp);
  sqlite3_free(r->zRowid);
  sqlite3_free(r->zCols);
  sqlite3_free(r->zSel);
}

/*
** With enforcement on, DROP TABLE would delete or change every row that
** refers to the table (CASCADE, SET NULL): refuse. Only possible inside the
** caller's transaction; a run outside one turned enforcement off.
*/
static int refuse_foreign_key_enforcement(Alter *p) {
  sqlite3_int64 bFk = 0;
  int rc = query_int64(p->db, &bFk, "PRAGMA foreign_keys");
  if (rc) return rc;
  if (bFk && p->nRef > 0) {
    return fail(p, SQLITE_ERROR,
                "rebuilding %s with foreign_keys=ON would make SQLite delete or change "
                "the rows of %s that refer to it when the old table is dropped; run the "
                "migration outside a transaction (distmigrate turns enforcement off for "
                "the run) or set PRAGMA foreign_keys=OFF before BEGIN",
                p->zTable, p->aRef[0].zTable);
  }
  return SQLITE_OK;
}

/* SQLite's ALTER TABLE cannot work on a schema that is already broken. */
static int refuse_broken_schema(Alter *p) {
  char *zProblem = 0;
  int rc = schema_problem(p, &zProblem);
  if (rc == SQLITE_OK && zProblem) {
    rc = fail(p, SQLITE_ERROR,
              "the schema fails SQLite's check before any change: %s\n  SQLite's ALTER "
              "TABLE cannot work while a view or trigger is broken: drop or repair it first",
              zProblem);
  }
  sqlite3_free(zProblem);
  return rc;
}

/* Renames first, by SQLite: they carry into indexes, triggers and views. */
static int rename_columns_first(Alter *p) {
  if (p->nExpr != 0) return SQLITE_OK;
  InPlace none;
  memset(&none, 0, sizeof(none));
  int rc = run_alters(p, p->db, &none, 1, 1);
  if (rc == SQLITE_OK) rc = read_columns(p->db, p->zTable, &p->oldCols);
  sqlite3_free(p->zOldFks);
  p->zOldFks = 0;
  if (rc == SQLITE_OK) rc = fk_summary(p->db, p->zTable, &p->zOldFks);
  return rc;
}

/* Step 3: the table's indexes and triggers, and whether it has statistics. */
static int save_indexes_and_triggers(Rebuild *r) {
  Alter *p = r->p;
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(p->db,
                              "SELECT type, name, sql FROM main.sqlite_schema WHERE tbl_name = ?1 "
                              "AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY rowid",
                              -1, &pStmt, 0);
  if (rc) return rc;
  sqlite3_bind_text(pStmt, 1, p->zTable, -1, SQLITE_STATIC);
  int nAlloc = 0;
  while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    if (r->nSaved == nAlloc) {
      nAlloc = nAlloc ? 2 * nAlloc : 8;
      Saved *aNew = sqlite3_realloc64(r->aSaved, sizeof(Saved) * (sqlite3_uint64)nAlloc);
      if (!aNew) {
        rc = SQLITE_NOMEM;
        break;
      }
      r->aSaved = aNew;
    }
    Saved *s = &r->aSaved[r->nSaved++];
    s->zType = column_copy(pStmt, 0);
    s->zName = column_copy(pStmt, 1);
    s->zSql = column_copy(pStmt, 2);
    if (!s->zType || !s->zName || !s->zSql) {
      rc = SQLITE_NOMEM;
      break;
    }
  }
  sqlite3_finalize(pStmt);
  if (rc != SQLITE_DONE) return rc;
  return query_int64(p->db, &r->bHasStat,
                     "SELECT count(*) FROM main.sqlite_schema WHERE name = 'sqlite_stat1'");
}

/*
** Step 4: the new table under a temporary name. The name is the only token
** that changes: a foreign key of the table to itself keeps naming the
** table, which is the final one after the rename.
*/
static int create_new_table(Rebuild *r) {
  Alter *p = r->p;
  int rc = unused_name(p, "distmigrate_new_", &r->zTmp);
  if (rc) return rc;
  const Token *pName = &p->def.aTok[p->def.iName];
  const Token *pLast = &p->def.aTok[p->def.nTok - 1];
  int iAfter = pName->iOff + pName->n;
  char *zCreateTmp = sqlite3_mprintf("CREATE TABLE main.\"%w\"%.*s", r->zTmp,
                                     pLast->iOff + pLast->n - iAfter, p->zCreate + iAfter);
  if (!zCreateTmp) return SQLITE_NOMEM;
  rc = sqlite3_exec(p->db, zCreateTmp, 0, 0, 0);
  sqlite3_free(zCreateTmp);
  if (rc == SQLITE_OK) dm_undo_arm(p->db, p->pConn);
  if (rc) rc = fail_sqlite(p, p->db, rc, r->zTmp, "creating the new table");
  return rc;
}

/*
** A rowid to carry over: neither table is WITHOUT ROWID and the new one has
** no INTEGER PRIMARY KEY (which would be the rowid itself). Reads the new
** table's columns first.
*/
static int choose_rowid(Rebuild *r) {
  Alter *p = r->p;
  sqlite3 *db = p->db;
  int rc = read_columns(db, r->zTmp, &p->newCols);
  if (rc) return rc;
  sqlite3_int64 bWithoutRowid = 0, nPkIndex = 0, nPk = 0;
  rc = query_int64(db, &bWithoutRowid, "SELECT wr FROM pragma_table_list(%Q) WHERE schema = 'main'", r->zTmp);
  if (rc == SQLITE_OK) {
    rc = query_int64(db, &nPk, "SELECT count(*) FROM pragma_table_xinfo(%Q, 'main') WHERE pk",
                     r->zTmp);
  }
  if (rc == SQLITE_OK) {
    rc = query_int64(db, &nPkIndex,
                     "SELECT count(*) FROM pragma_index_list(%Q, 'main') WHERE origin = 'pk'",
                     r->zTmp);
  }
  if (rc) return rc;
  sqlite3_int64 bOldWithoutRowid = 0;
  rc = query_int64(db, &bOldWithoutRowid, "SELECT wr FROM pragma_table_list(%Q) WHERE schema = 'main'",
                   p->zTable);
  if (rc) return rc;
  if (bWithoutRowid || bOldWithoutRowid || (nPk > 0 && nPkIndex == 0)) return SQLITE_OK;
  static const char *const azAlias[] = {"rowid", "_rowid_", "oid"};
  for (size_t i = 0; i < 3 && !r->zRowid; i++) {
    if (!column_find(&p->oldCols, azAlias[i]) && !column_find(&p->newCols, azAlias[i])) {
      r->zRowid = sqlite3_mprintf("%s", azAlias[i]);
      if (!r->zRowid) return SQLITE_NOMEM;
    }
  }
  if (!r->zRowid) note(p, "rowids are not kept: rowid, _rowid_ and oid are all column names");
  return SQLITE_OK;
}

/* The mapping for column zCol (the last one that names it), or 0. */
static const Mapping *mapping_for(const Alter *p, const char *zCol) {
  const Mapping *m = 0;
  for (int k = 0; k < p->nMap; k++) {
    if (sqlite3_stricmp(p->aMap[k].zCol, zCol) == 0) m = &p->aMap[k];
  }
  return m;
}

/* A mapping's expression must compile against the old table, alone. */
static int check_mapping_expression(Alter *p, const Column *c, const Mapping *m) {
  sqlite3_stmt *pTest = 0;
  const char *zTail = 0;
  char *zTest = sqlite3_mprintf("SELECT (%s) FROM main.\"%w\"", m->zExpr, p->zTable);
  if (!zTest) return SQLITE_NOMEM;
  int rc = sqlite3_prepare_v2(p->db, zTest, -1, &pTest, &zTail);
  int bTail = rc == SQLITE_OK && zTail && *zTail;
  sqlite3_finalize(pTest);
  sqlite3_free(zTest);
  if (rc || bTail) {
    return fail(p, SQLITE_ERROR, "the mapping for %s, \"%s\", is not an expression over "
                                 "the columns of %s: %s",
                c->zName, m->zExpr, p->zTable,
                rc ? sqlite3_errmsg(p->db) : "there is more after it");
  }
  return SQLITE_OK;
}

/*
** What fills new column c (c->zSource): the mapping's expression, or the
** old column of its name. Left 0 for a new column, which takes its default.
*/
static int column_source(Alter *p, Column *c, const Mapping *m) {
  Column *pOld = 0;
  if (m && !m->zFrom) {
    /* An expression: check it compiles against the old table first. */
    int rc = check_mapping_expression(p, c, m);
    if (rc) return rc;
    c->zSource = sqlite3_mprintf("(%s)", m->zExpr);
    pOld = column_find(&p->oldCols, m->zExpr);
  } else {
    /* A rename that SQLite already made leaves the column under its new name. */
    pOld = column_find(&p->oldCols, m && !p->bRenamed ? m->zFrom : c->zName);
    if (pOld) c->zSource = sqlite3_mprintf("\"%w\"", pOld->zName);
  }
  if (!c->zSource && ((m && !m->zFrom) || pOld)) {
    /* Not a new column left to its default: a copy that lost it would
    ** fill it with the default (an INTEGER PRIMARY KEY with new rowids). */
    return SQLITE_NOMEM;
  }
  if (pOld && c->zSource) {
    /* Verbatim: the old values, stored and compared as before. */
    c->bVerbatim = strcmp(affinity(pOld->zType), affinity(c->zType)) == 0 && pOld->zColl &&
                   c->zColl && sqlite3_stricmp(pOld->zColl, c->zColl) == 0 &&
                   (!m || m->zFrom || sqlite3_stricmp(m->zExpr, pOld->zName) == 0);
  }
  return SQLITE_OK;
}

/* Step 5, planned: the INSERT's columns and the SELECT that fills them. */
static int map_columns(Rebuild *r) {
  Alter *p = r->p;
  int rc = SQLITE_OK;
  sqlite3_str *pCols = sqlite3_str_new(0);
  sqlite3_str *pSel = sqlite3_str_new(0);
  if (r->zRowid) {
    sqlite3_str_appendf(pCols, "\"%w\"", r->zRowid);
    sqlite3_str_appendf(pSel, "\"%w\"", r->zRowid);
    r->nCopied++;
  }
  for (int i = 0; rc == SQLITE_OK && i < p->newCols.n; i++) {
    Column *c = &p->newCols.a[i];
    const Mapping *m = mapping_for(p, c->zName);
    if (c->iHidden) {
      if (m && !(m->zFrom && p->bRenamed)) {
        rc = fail(p, SQLITE_ERROR, "the mapping fills %s, a generated column; SQLite "
                                   "computes it from its expression",
                  c->zName);
      }
      continue;
    }
    rc = column_source(p, c, m);
    if (rc || !c->zSource) continue; /* New: its default */
    sqlite3_str_appendf(pCols, "%s\"%w\"", r->nCopied ? ", " : "", c->zName);
    sqlite3_str_appendf(pSel, "%s%s", r->nCopied ? ", " : "", c->zSource);
    r->nCopied++;
  }
  r->zCols = sqlite3_str_finish(pCols);
  r->zSel = sqlite3_str_finish(pSel);
  if (rc == SQLITE_OK && (!r->zCols || !r->zSel)) rc = SQLITE_NOMEM;
  return rc;
}

/*
** Step 5: one INSERT ... SELECT. OR ABORT overrides any ON CONFLICT REPLACE
** or IGNORE of the new table: a row that does not fit is an error, never
** silently dropped.
*/
static int copy_rows(Rebuild *r) {
  Alter *p = r->p;
  double t0 = now_ms();
  if (r->nCopied == 0) {
    return fail(p, SQLITE_ERROR, "the new table keeps none of the old columns: create a new "
                                 "table and drop the old one instead");
  }
  int bCount = 0;
  int rc = count_rows(p, "copy", &bCount);
  if (rc) return rc;
  /* The function is 0 for every row. */
  rc = execf(p, p->db, "INSERT OR ABORT INTO main.\"%w\" (%s) SELECT %s FROM main.\"%w\"%s",
             r->zTmp, r->zCols, r->zSel, p->zTable,
             bCount ? " WHERE NOT " DM_PROGRESS_ROW "()" : "");
  dm_progress_phase_end(p->pConn->pProgress);
  if (rc) return fail_sqlite(p, p->db, rc, r->zTmp, "copying the rows");
  r->nRow = sqlite3_changes64(p->db);
  r->tCopy = now_ms() - t0;
  return SQLITE_OK;
}

/*
** The AUTOINCREMENT sequence carries over, before the DROP deletes the old
** table's row: the copy's row (the copy made one if it copied rows) rises
** to the old value, or is made with it; the rename then carries it to the
** final name. In SQL that reads sqlite_sequence, not with a number read
** here: migrate_sql() writes these statements down from a replay that has
** none of the database's rows, and the script must carry the value the
** database holds.
*/
static int keep_sequence(Rebuild *r) {
  Alter *p = r->p;
  if (!def_has_word(&p->def, "AUTOINCREMENT")) return SQLITE_OK;
  int rc = execf(p, p->db,
                 "UPDATE main.sqlite_sequence SET seq = max(seq, (SELECT max(seq) FROM "
                 "main.sqlite_sequence WHERE name = %Q COLLATE NOCASE)) WHERE name = %Q "
                 "AND EXISTS (SELECT 1 FROM main.sqlite_sequence WHERE name = %Q COLLATE "
                 "NOCASE)",
                 p->zTable, r->zTmp, p->zTable);
  if (rc == SQLITE_OK) {
    rc = execf(p, p->db,
               "INSERT INTO main.sqlite_sequence (name, seq) SELECT %Q, seq FROM "
               "main.sqlite_sequence WHERE name = %Q COLLATE NOCASE AND NOT EXISTS "
               "(SELECT 1 FROM main.sqlite_sequence WHERE name = %Q) ORDER BY seq DESC "
               "LIMIT 1",
               r->zTmp, p->zTable, r->zTmp);
  }
  if (rc) rc = fail_sqlite(p, p->db, rc, 0, "keeping the AUTOINCREMENT sequence");
  return rc;
}

/*
** ANALYZE's figures for the same rows stay true: the table's rows of
** sqlite_stat1 move to the copy before the DROP deletes them, the same way.
** Not the automatic indexes': their numbering follows the constraints,
** which may have changed.
*/
static int move_statistics_to_copy(Rebuild *r) {
  Alter *p = r->p;
  if (!r->bHasStat) return SQLITE_OK;
  int rc = execf(p, p->db,
                 "UPDATE main.sqlite_stat1 SET tbl = %Q WHERE tbl = %Q AND coalesce(idx, '') "
                 "NOT LIKE 'sqlite\\_autoindex\\_%%' ESCAPE '\\'",
                 r->zTmp, p->zTable);
  if (rc) rc = fail_sqlite(p, p->db, rc, 0, "keeping the table's sqlite_stat1 rows");
  return rc;
}

/* Step 6. */
static int drop_old_table(Rebuild *r) {
  Alter *p = r->p;
  int rc = execf(p, p->db, "DROP TABLE main.\"%w\"", p->zTable);
  if (rc) rc = fail_sqlite(p, p->db, rc, r->zTmp, "dropping the old table");
  return rc;
}

/* Step 7, with legacy_alter_table on (see rebuild()). */
static int rename_new_table(Rebuild *r) {
  Alter *p = r->p;
  sqlite3_int64 bLegacy = 0;
  int rc = query_int64(p->db, &bLegacy, "PRAGMA legacy_alter_table");
  if (rc == SQLITE_OK && !bLegacy) rc = execf(p, p->db, "PRAGMA legacy_alter_table=ON");
  if (rc == SQLITE_OK) {
    rc = execf(p, p->db, "ALTER TABLE main.\"%w\" RENAME TO \"%w\"", r->zTmp, p->def.zName);
    if (!bLegacy) execf(p, p->db, "PRAGMA legacy_alter_table=OFF");
  }
  if (rc) return fail_sqlite(p, p->db, rc, r->zTmp, "renaming the new table");
  sqlite3_free(p->zTable);
  p->zTable = sqlite3_mprintf("%s", p->def.zName);
  if (!p->zTable) return SQLITE_NOMEM;
  p->bRebuilt = 1;
  return SQLITE_OK;
}

/* Verbose mode: the index build is a phase, index by index. */
static int start_index_build(Rebuild *r) {
  DmProgress *pProgress = r->p->pConn->pProgress;
  if (!pProgress) return SQLITE_OK;
  int nIndex = 0;
  for (int i = 0; i < r->nSaved; i++) nIndex += strcmp(r->aSaved[i].zType, "index") == 0;
  if (nIndex == 0) return SQLITE_OK;
  char *zName = sqlite3_mprintf("index build %s", r->p->zTable);
  if (!zName) return SQLITE_NOMEM;
  dm_progress_stepped(pProgress, zName, "index", nIndex, nIndex * r->nRow);
  sqlite3_free(zName);
  return SQLITE_OK;
}

/* Step 8: the indexes and triggers, as they were written. */
static int recreate_indexes_and_triggers(Rebuild *r) {
  Alter *p = r->p;
  int rc = start_index_build(r);
  for (int i = 0; rc == SQLITE_OK && i < r->nSaved; i++) {
    if (strcmp(r->aSaved[i].zType, "index") == 0) {
      dm_progress_item(p->pConn->pProgress, r->aSaved[i].zName, r->nRow);
    }
    rc = sqlite3_exec(p->db, r->aSaved[i].zSql, 0, 0, 0);
    if (rc == SQLITE_OK) dm_undo_arm(p->db, p->pConn);
    if (rc) {
      rc = fail(p, rc, "the %s %s no longer applies to the new %s: %s\n  drop it in the "
                       "migration before migrate_alter_table() and create what replaces it "
                       "after",
                r->aSaved[i].zType, r->aSaved[i].zName, p->zTable, sqlite3_errmsg(p->db));
    }
  }
  dm_progress_phase_end(p->pConn->pProgress);
  return rc;
}

/*
** The figures moved to the copy: to the final name (the rename leaves
** sqlite_stat1 alone), for the indexes there are. Then the copy is told.
*/
static int move_statistics_to_table(Rebuild *r) {
  Alter *p = r->p;
  if (r->bHasStat) {
    int rc = execf(p, p->db, "UPDATE main.sqlite_stat1 SET tbl = %Q WHERE tbl = %Q", p->zTable,
                   r->zTmp);
    if (rc == SQLITE_OK) {
      rc = execf(p, p->db,
                 "DELETE FROM main.sqlite_stat1 WHERE tbl = %Q AND idx IS NOT NULL AND "
                 "NOT EXISTS (SELECT 1 FROM main.sqlite_schema WHERE type = 'index' AND "
                 "name = sqlite_stat1.idx)",
                 p->zTable);
    }
    if (rc) return fail_sqlite(p, p->db, rc, 0, "keeping the table's sqlite_stat1 rows");
  }
  note(p, "copied %lld rows in one INSERT ... SELECT (%s), %.1f ms; recreated %d "
          "indexes and triggers",
       r->nRow, r->zRowid ? "rowids kept" : "no separate rowid", r->tCopy, r->nSaved);
  return SQLITE_OK;
}

/* The stored text has the given statement's element types, token by token. */
static int same_types(const DmCreate *pNow, const DmCreate *pDef) {
  int bSame = def_difference(pNow, pDef) == -1;
  for (int i = 0; bSame && i < pNow->nElem; i++) {
    const DmCreateElem *a = &pNow->aElem[i], *b = &pDef->aElem[i];
    bSame = tokens_eq(pNow, a->iType, a->iTypeEnd - a->iType, pDef, b->iType,
                      b->iTypeEnd - b->iType);
  }
  return bSame;
}

/* The rename wrote the name quoted ("t"); store the text as given. */
static int store_text_as_given(Alter *p) {
  char *zText = 0;
  int rc = query_text(p->db, &zText,
                      "SELECT sql FROM main.sqlite_schema WHERE type = 'table' AND name = %Q",
                      p->zTable);
  if (rc || !zText || strcmp(zText, p->zStored) == 0) goto done;
  if (p->bDefensive) {
    note(p, "sqlite_schema keeps the text as SQLite's RENAME wrote it (defensive mode "
            "forbids the writable_schema edit that would store it verbatim)");
    goto done;
  }
  DmCreate now;
  char *zIgnored = 0;
  rc = dm_create_parse(zText, &now, &zIgnored);
  sqlite3_free(zIgnored);
  int bSame = rc == SQLITE_OK && same_types(&now, &p->def);
  dm_create_clear(&now);
  if (rc == SQLITE_NOMEM) goto done;
  rc = SQLITE_OK;
  if (bSame) rc = edit_schema(p, p->zStored, 0);
done:
  sqlite3_free(zText);
  return rc;
}

/* Step 9: every view and trigger still applies. */
static int check_views_and_triggers(Alter *p) {
  char *zProblem = 0;
  int rc = schema_problem(p, &zProblem);
  if (rc == SQLITE_OK && zProblem) {
    rc = fail(p, SQLITE_ERROR,
              "a view or trigger no longer applies to the new %s: %s\n  drop it in the "
              "migration before migrate_alter_table() and create it again, adapted, after",
              p->zTable, zProblem);
  }
  sqlite3_free(zProblem);
  return rc;
}

/*
** SQLite's documented procedure (lang_altertable.html, "Making Other Kinds
** Of Table Schema Changes"), steps 3 to 9; the runner does 1, 2 and 10 to
** 12 (foreign keys off, the transaction, foreign_key_check, commit).
** Refuse what would lose rows, let SQLite make the renames, remember the
** table's indexes and triggers, create the new table under a temporary
** name, copy the rows in one INSERT ... SELECT (rowids kept), drop the old
** table, rename the new one, recreate the indexes and triggers, and prove
** with SQLite's own check that every view and trigger still applies.
**
** The rename runs with legacy_alter_table on: at that moment the old table
** is gone, and the modern RENAME's check of the schema would fail on every
** view that uses the table (the trap Alembic's batch mode falls into). The
** check runs right after, when the table is back.
*/
static int rebuild(Alter *p) {
  Rebuild r;
  memset(&r, 0, sizeof(r));
  r.p = p;
  int rc = refuse_foreign_key_enforcement(p);
  if (rc == SQLITE_OK) rc = refuse_broken_schema(p);
  if (rc == SQLITE_OK) rc = rename_columns_first(p);
  if (rc == SQLITE_OK) rc = save_indexes_and_triggers(&r);     /* 3 */
  if (rc == SQLITE_OK) rc = create_new_table(&r);              /* 4 */
  if (rc == SQLITE_OK) rc = choose_rowid(&r);                  /* 5 */
  if (rc == SQLITE_OK) rc = map_columns(&r);
  if (rc == SQLITE_OK) rc = copy_rows(&r);
  if (rc == SQLITE_OK) rc = keep_sequence(&r);
  if (rc == SQLITE_OK) rc = move_statistics_to_copy(&r);
  if (rc == SQLITE_OK) rc = drop_old_table(&r);                /* 6 */
  if (rc == SQLITE_OK) rc = rename_new_table(&r);              /* 7 */
  if (rc == SQLITE_OK) rc = recreate_indexes_and_triggers(&r); /* 8 */
  if (rc == SQLITE_OK) rc = move_statistics_to_table(&r);
  if (rc == SQLITE_OK) rc = store_text_as_given(p);
  if (rc == SQLITE_OK) rc = check_views_and_triggers(p);       /* 9 */
  rebuild_clear(&r);
  return rc;
}

/* ---- foreign keys, scoped --------------------------------------------------- */

/*
** PRAGMA foreign_key_check(zTable): compiled always (SQLite finds a foreign
** key whose parent lost its key while compiling), run over the rows only
** when bScan.
*/
static int check_table(Alter *p, const char *zTable, int bScan, const char *zWhyNot) {
  sqlite3_stmt *pStmt = 0;
  char *zSql = sqlite3_mprintf("PRAGMA main.foreign_key_check(\"%w\")", zTable);
  if (!zSql) return SQLITE_NOMEM;
  int rc = sqlite3_prepare_v2(p->db, zSql, -1, &pStmt, 0);
  sqlite3_free(zSql);
  if (rc) {
    return fail(p, rc, "a foreign key no longer matches the new %s: %s\n  the columns a "
                       "foreign key refers to must stay the PRIMARY KEY or a UNIQUE key of %s",
                p->zTable, sqlite3_errmsg(p->db), p->zTable);
  }
  if (!bScan) {
    sqlite3_finalize(pStmt);
    note(p, "foreign_key_check(%s) not run over the rows: %s", zTable, zWhyNot);
    return SQLITE_OK;
  }
  double t0 = now_ms();
  int nViolation = 0;
  char *zList = 0;
  sqlite3_int64 nRow = 0;
  if (p->pConn->pProgress) {
    rc = query_int64(p->db, &nRow, "SELECT count(*) FROM main.\"%w\"", zTable);
    if (rc) {
      sqlite3_finalize(pStmt);
      return fail_sqlite(p, p->db, rc, 0, "counting the rows for the progress lines");
    }
  }
  dm_progress_stepped(p->pConn->pProgress, "foreign-key check", "table", 1, nRow);
  dm_progress_item(p->pConn->pProgress, zTable, nRow);
  rc = dm_fk_violations(pStmt, &nViolation, &zList);
  dm_progress_phase_end(p->pConn->pProgress);
  if (rc == SQLITE_OK && nViolation) {
    rc = fail(p, SQLITE_CONSTRAINT_FOREIGNKEY,
              "PRAGMA foreign_key_check(%s) found %d foreign key violation%s after the "
              "change:%s",
              zTable, nViolation, nViolation == 1 ? "" : "s", zList);
  } else if (rc == SQLITE_OK) {
    note(p, "foreign_key_check(%s): no violations, %.1f ms", zTable, now_ms() - t0);
  } else if (rc != SQLITE_NOMEM) {
    rc = fail_sqlite(p, p->db, rc, 0, "PRAGMA foreign_key_check");
  }
  sqlite3_free(zList);
  return rc;
}

/*
** In place: renamed and retyped columns (same affinity, same collation)
** hold the same values; added ones hold their default.
*/
static int mark_verbatim_in_place(Alter *p) {
  int rc = read_columns(p->db, p->zTable, &p->newCols);
  for (int i = 0; rc == SQLITE_OK && i < p->newCols.n; i++) {
    int bOld = column_find(&p->oldCols, p->newCols.a[i].zName) != 0;
    for (int k = 0; k < p->nMap; k++) {
      bOld |= p->aMap[k].zFrom && sqlite3_stricmp(p->aMap[k].zCol, p->newCols.a[i].zName) == 0;
    }
    p->newCols.a[i].bVerbatim = bOld;
  }
  return rc;
}

/* Who refers to the table now (a renamed key column is renamed there too). */
static int reread_referrers(Alter *p) {
  for (int i = 0; i < p->nRef; i++) {
    sqlite3_free(p->aRef[i].zTable);
    sqlite3_free(p->aRef[i].zTo);
  }
  p->nRef = 0;
  return read_referrers(p);
}

/* The table as a child: scanned if its keys or a child column changed. */
static int check_as_child(Alter *p, const char *zNewFks) {
  /* Keys change in a rebuild, or by the edit of the rules (edit.c). */
  int bScan = (p->bRebuilt || p->bEditRules) && (!p->zOldFks || strcmp(p->zOldFks, zNewFks) != 0);
  const char *zWhy = "its foreign keys and their columns are unchanged";
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(p->db,
                              "SELECT \"from\", \"table\" FROM pragma_foreign_key_list(?1, 'main')",
                              -1, &pStmt, 0);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(pStmt, 1, p->zTable, -1, SQLITE_STATIC);
    while (sqlite3_step(pStmt) == SQLITE_ROW) {
      Column *c = column_find(&p->newCols, (const char *)sqlite3_column_text(pStmt, 0));
      if (!c || !c->bVerbatim) bScan = 1;
    }
    rc = sqlite3_finalize(pStmt);
  }
  /* Self-references: the parent side below may need the scan too. */
  for (int i = 0; rc == SQLITE_OK && i < p->nRef; i++) {
    if (sqlite3_stricmp(p->aRef[i].zTable, p->zTable) != 0) continue;
    Column *c = p->aRef[i].zTo ? column_find(&p->newCols, p->aRef[i].zTo) : 0;
    if (!c || !c->bVerbatim) bScan = 1;
  }
  if (rc == SQLITE_OK) rc = check_table(p, p->zTable, bScan, zWhy);
  return rc;
}

/*
** The column a referrer's foreign key k refers to, as *ppCol: its named
** column, or for the primary key the first that is not verbatim (else the
** last key column).
*/
static int referred_column(Alter *p, int k, Column **ppCol) {
  *ppCol = 0;
  if (p->aRef[k].zTo) {
    *ppCol = column_find(&p->newCols, p->aRef[k].zTo);
    return SQLITE_OK;
  }
  /* The primary key: verbatim if all its columns are. */
  for (int j = 0; j < p->newCols.n; j++) {
    sqlite3_int64 bPk = 0;
    int rc = query_int64(p->db, &bPk,
                         "SELECT pk FROM pragma_table_xinfo(%Q, 'main') WHERE name = %Q",
                         p->zTable, p->newCols.a[j].zName);
    if (rc) return rc;
    if (bPk) {
      *ppCol = &p->newCols.a[j];
      if (!(*ppCol)->bVerbatim) break;
    }
  }
  return SQLITE_OK;
}

/* Each referrer, once: scanned if a column it refers to changed values. */
static int check_referrers(Alter *p) {
  int rc = SQLITE_OK;
  for (int i = 0; rc == SQLITE_OK && i < p->nRef; i++) {
    const char *zRef = p->aRef[i].zTable;
    if (sqlite3_stricmp(zRef, p->zTable) == 0) continue;
    if (i > 0 && sqlite3_stricmp(zRef, p->aRef[i - 1].zTable) == 0) continue;
    int bScan = 0;
    for (int k = i; k < p->nRef && sqlite3_stricmp(p->aRef[k].zTable, zRef) == 0; k++) {
      Column *c = 0;
      rc = referred_column(p, k, &c);
      if (rc) return rc;
      if (!c || !c->bVerbatim) bScan = 1;
    }
    rc = check_table(p, zRef, bScan,
                     "the keys it refers to hold the same values as before");
  }
  return rc;
}

/*
** After the change, when the caller had foreign keys on: the table itself,
** if it has foreign keys, and every table whose foreign keys point at it.
** Never the whole database. Rows are scanned only where something can have
** changed: for the table's own keys, their definition or a child column's
** values; for a referrer, the values of the columns it refers to. A column
** copied verbatim (same values, same affinity, same collation) changes
** nothing a foreign key sees.
*/
static int check_foreign_keys(Alter *p) {
  char *zNewFks = 0;
  int rc = SQLITE_OK;
  if (!p->bRebuilt) rc = mark_verbatim_in_place(p);
  if (rc == SQLITE_OK) rc = reread_referrers(p);
  if (rc == SQLITE_OK) rc = fk_summary(p->db, p->zTable, &zNewFks);
  if (rc == SQLITE_OK && zNewFks) rc = check_as_child(p, zNewFks);
  if (rc == SQLITE_OK) rc = check_referrers(p);
  sqlite3_free(zNewFks);
  return rc;
}

/* ---- the call ---------------------------------------------------------------- */

/*
** The call runs only inside a migration; its statement must parse. Reads
** the text to store and the connection's defensive mode.
*/
static int read_statement(Alter *p, const char *zCreate) {
  if (!p->pConn->bRunning) {
    return fail(p, SQLITE_MISUSE,
                "it runs only inside a migration, during migrate_upgrade() or "
                "migrate_downgrade(), where the run's transaction and foreign-key "
                "handling make it safe: put the call in a migration's SQL");
  }
  char *zParseErr = 0;
  int rc = dm_create_parse(zCreate, &p->def, &zParseErr);
  if (rc && zParseErr) rc = fail(p, rc, "%s", zParseErr);
  sqlite3_free(zParseErr);
  if (rc) return rc;
  p->zStored = def_stored_text(&p->def);
  if (!p->zStored) return SQLITE_NOMEM;
  int bDefensive = 0;
  sqlite3_db_config(p->db, SQLITE_DBCONFIG_DEFENSIVE, -1, &bDefensive);
  p->bDefensive = bDefensive;
  return SQLITE_OK;
}

/* Make the change the plan chose: in place, or by the rebuild. */
static int make_change(Alter *p, InPlace *q, const char **pzStrategy) {
  note_strategy(p, q);
  if (q->bInPlace) {
    int rc = run_in_place(p, q);
    if (rc == SQLITE_OK) *pzStrategy = in_place_strategy(q);
    return rc;
  }
  int rc = rebuild(p);
  if (rc == SQLITE_OK) *pzStrategy = "rebuild";
  return rc;
}

/*
** Checked when the caller had foreign keys on (the run turned them off),
** or has them on now, inside a transaction: SQLite then enforces rows, but
** a key that a foreign key refers to can still have gone.
*/
static int check_keys_after(Alter *p) {
  sqlite3_int64 bFkOn = 0;
  int rc = SQLITE_OK;
  if (!p->pConn->bFkWas) rc = query_int64(p->db, &bFkOn, "PRAGMA foreign_keys");
  if (rc == SQLITE_OK && (p->pConn->bFkWas || bFkOn)) rc = check_foreign_keys(p);
  return rc;
}

static void alter_clear(Alter *p) {
  dm_create_clear(&p->def);
  sqlite3_free(p->zStored);
  sqlite3_free(p->zTable);
  sqlite3_free(p->zOldSql);
  sqlite3_close(p->pOld);
  sqlite3_close(p->pNew);
  sqlite3_free(p->zScratchErr);
  for (int i = 0; i < p->nMap; i++) {
    sqlite3_free(p->aMap[i].zCol);
    sqlite3_free(p->aMap[i].zExpr);
    sqlite3_free(p->aMap[i].zFrom);
  }
  sqlite3_free(p->aMap);
  for (int i = 0; i < p->nRef; i++) {
    sqlite3_free(p->aRef[i].zTable);
    sqlite3_free(p->aRef[i].zTo);
  }
  sqlite3_free(p->aRef);
  columns_clear(&p->oldCols);
  columns_clear(&p->newCols);
  sqlite3_free(p->zOldFks);
}

int dm_alter_table(sqlite3 *db, DmConn *pConn, const char *zCreate, const char *zMap,
                   const char **pzStrategy, char **pzErr) {
  Alter a;
  memset(&a, 0, sizeof(a));
  a.db = db;
  a.pConn = pConn;
  a.zCreate = zCreate;
  a.bVerbose = pConn->bRunVerbose;
  InPlace plan;
  memset(&plan, 0, sizeof(plan));
  *pzStrategy = 0;
  *pzErr = 0;

  int rc = read_statement(&a, zCreate);
  if (rc == SQLITE_OK) rc = load_table(&a);
  if (rc == SQLITE_OK) rc = read_mapping(&a, zMap);
  if (rc == SQLITE_OK) rc = fk_summary(db, a.zTable, &a.zOldFks);
  if (rc == SQLITE_OK) rc = read_referrers(&a);
  if (rc == SQLITE_OK) rc = plan_in_place(&a, &plan);
  if (rc == SQLITE_OK) rc = make_change(&a, &plan, pzStrategy);
  if (rc == SQLITE_OK) rc = check_keys_after(&a);

  if (rc && !a.zErr) {
    a.zErr = sqlite3_mprintf("migrate_alter_table(%s): %s", a.zTable ? a.zTable : "",
                             rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(db));
  }
  if (rc) {
    *pzErr = a.zErr;
    *pzStrategy = 0;
  } else {
    sqlite3_free(a.zErr);
  }
  in_place_clear(&plan);
  alter_clear(&a);
  return rc;
}
