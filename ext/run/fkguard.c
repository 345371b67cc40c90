/*
** Does this statement drop a table that other tables reference?
**
** SQLite answers, not a parser of ours: "EXPLAIN <the statement>" compiles
** the same text against the same schema and lists the program, and a DROP
** TABLE compiles to OP_DropTable with the schema's index in p1 and the
** table's name in p4. Which tables reference it is PRAGMA
** foreign_key_list's answer, asked of the live schema.
**
** Why each statement just before it runs, and not the plan up front: a
** plan's statements refer to tables that earlier statements create or drop
** (a rebuild creates questions_new, then drops questions, then renames), so
** they cannot all be compiled before the first one runs, and whether a drop
** is dangerous depends on the schema at that moment (001's down drops
** responses before questions; by then nothing references questions). The
** runner asks inside its savepoint, so a refusal rolls back what the run's
** earlier statements did: the database and the caller's transaction are as
** they were, and the drop itself never runs.
**
** Why not the alternatives: an authorizer (SQLITE_DROP_TABLE) would replace
** the caller's, and SQLite 3.40 cannot read an authorizer back to restore
** it; sqlite3_stmt_explain(), which would EXPLAIN the prepared statement
** itself, is SQLite 3.43 and later.
*/
#include "run/fkguard.h"

#include <string.h>

SQLITE_EXTENSION_INIT3

/* The tables of zSchema other than zTable that reference zTable. */
static int referencing_tables(sqlite3 *db, const char *zSchema,
                              const char *zTable, int *pnChild,
                              char **pzChildren) {
  *pnChild = 0;
  *pzChildren = 0;
  char *zSql = sqlite3_mprintf(
      "SELECT count(*), group_concat(name, ', ') FROM ("
      " SELECT DISTINCT s.name AS name FROM \"%w\".sqlite_schema AS s,"
      " pragma_foreign_key_list(s.name, %Q) AS f"
      " WHERE s.type = 'table' AND f.\"table\" = ?1 COLLATE NOCASE"
      " AND s.name <> ?1 COLLATE NOCASE ORDER BY s.name)",
      zSchema, zSchema);
  if (!zSql) return SQLITE_NOMEM;
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0);
  sqlite3_free(zSql);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(pStmt, 1, zTable, -1, SQLITE_STATIC);
    rc = sqlite3_step(pStmt);
    if (rc == SQLITE_ROW) {
      rc = SQLITE_OK;
      *pnChild = sqlite3_column_int(pStmt, 0);
      if (*pnChild > 0) {
        *pzChildren = sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 1));
        if (!*pzChildren) rc = SQLITE_NOMEM;
      }
    }
  }
  sqlite3_finalize(pStmt);
  return rc;
}

int dm_fk_drops_parent(sqlite3 *db, sqlite3_stmt *pStmt, char **pzWhy) {
  *pzWhy = 0;
  /* An EXPLAIN (of a DROP or not) runs nothing. */
  if (sqlite3_stmt_isexplain(pStmt)) return SQLITE_OK;
  char *zExplain = sqlite3_mprintf("EXPLAIN %s", sqlite3_sql(pStmt));
  if (!zExplain) return SQLITE_NOMEM;
  sqlite3_stmt *pExplain = 0;
  int rc = sqlite3_prepare_v2(db, zExplain, -1, &pExplain, 0);
  sqlite3_free(zExplain);
  char *zChildren = 0;
  if (rc == SQLITE_OK) {
    while ((rc = sqlite3_step(pExplain)) == SQLITE_ROW) {
      /* Columns: addr, opcode, p1, p2, p3, p4, p5, comment. */
      const char *zOp = (const char *)sqlite3_column_text(pExplain, 1);
      if (!zOp) {
        rc = SQLITE_NOMEM;
        break;
      }
      if (strcmp(zOp, "DropTable") != 0) continue;
      const char *zSchema = sqlite3_db_name(db, sqlite3_column_int(pExplain, 2));
      const char *zTable = (const char *)sqlite3_column_text(pExplain, 5);
      if (!zSchema || !zTable) {
        rc = SQLITE_NOMEM;
        break;
      }
      int nChild = 0;
      rc = referencing_tables(db, zSchema, zTable, &nChild, &zChildren);
      if (rc != SQLITE_OK) break;
      if (nChild > 0) {
        *pzWhy = sqlite3_mprintf(
            "it drops table %s, which %s reference%s by a foreign key", zTable,
            zChildren, nChild == 1 ? "s" : "");
        if (!*pzWhy) rc = SQLITE_NOMEM;
        break;
      }
    }
  }
  if (rc == SQLITE_DONE) rc = SQLITE_OK;
  sqlite3_free(zChildren);
  sqlite3_finalize(pExplain);
  return rc;
}

int dm_fk_violations_add(sqlite3_stmt *pStmt, int *pn, sqlite3_str *pList) {
  int rc;
  while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    if ((*pn)++ < 10) {
      const char *zChild = (const char *)sqlite3_column_text(pStmt, 0);
      const char *zParent = (const char *)sqlite3_column_text(pStmt, 2);
      if (!zChild || !zParent) {
        rc = SQLITE_NOMEM;
        break;
      }
      sqlite3_str_appendf(pList, "\n  %s row %lld references %s, which has no such row", zChild,
                          sqlite3_column_int64(pStmt, 1), zParent);
    }
  }
  sqlite3_finalize(pStmt);
  if (rc == SQLITE_DONE && sqlite3_str_errcode(pList)) rc = SQLITE_NOMEM;
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

char *dm_fk_violations_end(sqlite3_str *pList, int n, int *pRc) {
  if (n > 10) sqlite3_str_appendall(pList, "\n  ...");
  if (*pRc == SQLITE_OK && sqlite3_str_errcode(pList)) *pRc = SQLITE_NOMEM;
  char *zList = sqlite3_str_finish(pList);
  if (*pRc != SQLITE_OK || n == 0) {
    sqlite3_free(zList);
    zList = 0;
  }
  return zList;
}

int dm_fk_violations(sqlite3_stmt *pStmt, int *pn, char **pzList) {
  sqlite3_str *pList = sqlite3_str_new(0);
  int n = 0;
  int rc = dm_fk_violations_add(pStmt, &n, pList);
  *pzList = dm_fk_violations_end(pList, n, &rc);
  *pn = n;
  return rc;
}
