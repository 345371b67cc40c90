/*
** A model from SQL text (dm_schema_from_sql, see model.h): the statements
** replayed into a private :memory: database, so that SQLite validates
** them, the result read with dm_schema_read(), and the "-- @renamed
** from=old" hints (sqldef's form) laid on the tables, columns and indexes
** whose lines carry them.
**
** Only CREATE statements are run. The first word of each statement must be
** CREATE (read with the one tokenizer, before SQLite compiles anything:
** some pragmas act when compiled), and an authorizer on the private
** connection denies what a CREATE needs not: attaching, transactions,
** pragmas, TEMP objects, drops and alters, writing rows to a table (but
** a virtual table's module, while it is created, writes its shadow tables
** as it likes).
*/
#include <string.h>

#include "schema/schema_int.h"
#include "sqltext/sqltext.h"

SQLITE_EXTENSION_INIT3

#define DM_ONLY_CREATE                                                     \
  "the schema may hold only CREATE statements (TABLE, INDEX, VIEW, TRIGGER, " \
  "VIRTUAL TABLE)"

typedef struct Replay Replay;
struct Replay {
  int bVtab;  /* The statement is a CREATE VIRTUAL TABLE */
  int bTemp;  /* The authorizer denied a TEMP object */
};

static int authorize(void *pArg, int eAction, const char *z1, const char *z2, const char *zDb,
                     const char *zTrigger) {
  Replay *r = pArg;
  (void)z2, (void)zDb, (void)zTrigger;
  switch (eAction) {
    case SQLITE_CREATE_INDEX:
    case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_TRIGGER:
    case SQLITE_CREATE_VIEW:
    case SQLITE_CREATE_VTABLE:
    case SQLITE_READ:
    case SQLITE_SELECT:
    case SQLITE_FUNCTION:
    case SQLITE_RECURSIVE:
    case SQLITE_REINDEX: /* CREATE INDEX fills the index it makes */
      return SQLITE_OK;
    case SQLITE_CREATE_TEMP_INDEX:
    case SQLITE_CREATE_TEMP_TABLE:
    case SQLITE_CREATE_TEMP_TRIGGER:
    case SQLITE_CREATE_TEMP_VIEW:
      r->bTemp = 1;
      return SQLITE_DENY;
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
      /* A CREATE is stored as a row of sqlite_schema (and AUTOINCREMENT
      ** makes sqlite_sequence). */
      if (z1 && sqlite3_strnicmp(z1, "sqlite_", 7) == 0) return SQLITE_OK;
      return r->bVtab ? SQLITE_OK : SQLITE_DENY;
    default:
      return r->bVtab ? SQLITE_OK : SQLITE_DENY;
  }
}

/* The statement [z, z+n) on one line, for a message. */
static char *statement_line(const char *z, int n) {
  return dm_sql_line(z, dm_sql_trim_end(z, n), 80);
}

/* Whether the statement at z begins CREATE [VIRTUAL]; *pbVtab if VIRTUAL. */
static int starts_create(const char *z, int *pbVtab) {
  DmTokenRef first = dm_sql_next(&z);
  DmTokenRef second = dm_sql_next(&z);
  *pbVtab = dm_sql_keyword_is(&second, "VIRTUAL");
  return dm_sql_keyword_is(&first, "CREATE");
}

/* Run the statement at z (n bytes to its end); *pzTail past it. */
static int run_statement(sqlite3 *db, Replay *r, const char *z, int n, const char **pzTail,
                         char **pzErr) {
  r->bTemp = 0;
  if (!starts_create(z, &r->bVtab)) {
    char *zLine = statement_line(z, n);
    *pzErr = zLine ? sqlite3_mprintf(DM_ONLY_CREATE "; found: %s", zLine) : 0;
    sqlite3_free(zLine);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(db, z, -1, &pStmt, pzTail);
  if (rc == SQLITE_OK && pStmt) {
    rc = sqlite3_step(pStmt);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) rc = SQLITE_OK;
  }
  sqlite3_finalize(pStmt);
  if (rc == SQLITE_OK || rc == SQLITE_NOMEM) return rc;
  char *zLine = statement_line(z, n);
  if (!zLine) return SQLITE_NOMEM;
  if (rc == SQLITE_AUTH && r->bTemp) {
    *pzErr = sqlite3_mprintf("a TEMP object is no part of a database's schema: remove TEMP; "
                             "found: %s", zLine);
  } else if (rc == SQLITE_AUTH) {
    *pzErr = sqlite3_mprintf(DM_ONLY_CREATE ", and nothing that writes rows; found: %s", zLine);
  } else {
    *pzErr = sqlite3_mprintf("%s in: %s", sqlite3_errmsg(db), zLine);
  }
  sqlite3_free(zLine);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* Every statement of zSql, in order, into db. */
static int replay(sqlite3 *db, const char *zSql, char **pzErr) {
  Replay r = {0, 0};
  int rc = sqlite3_set_authorizer(db, authorize, &r);
  const char *z = zSql;
  while (rc == SQLITE_OK) {
    z = dm_sql_skip_empty(z);
    if (!*z) break;
    const char *zEnd = dm_sql_statement_end(z);
    const char *zTail = zEnd;
    rc = run_statement(db, &r, z, (int)(zEnd - z), &zTail, pzErr);
    z = zTail > z ? zTail : zEnd;
  }
  sqlite3_set_authorizer(db, 0, 0);
  return rc;
}

int dm_schema_from_sql(const char *zSql, DmSchema **ppOut, char **pzErr) {
  *ppOut = 0;
  sqlite3 *db = 0;
  int rc = sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 0);
  if (rc != SQLITE_OK) {
    sqlite3_close(db);
    return rc == SQLITE_NOMEM ? rc : SQLITE_CANTOPEN;
  }
  rc = replay(db, zSql, pzErr);
  if (rc == SQLITE_OK) rc = dm_schema_read(db, "main", ppOut, pzErr);
  if (rc == SQLITE_OK) rc = dm_schema_hints(zSql, *ppOut, pzErr);
  sqlite3_close(db);
  if (rc != SQLITE_OK) {
    dm_schema_free(*ppOut);
    *ppOut = 0;
    if (rc == SQLITE_NOMEM) {
      sqlite3_free(*pzErr);
      *pzErr = 0;
    }
  }
  return rc;
}
