/*
** The SQL glue of migrate_diff(): migrate_diff(desired_sql) diffs this
** connection's main schema against the schema desired_sql declares;
** migrate_diff(current_sql, desired_sql) diffs two texts. Each text is
** replayed into a private :memory: database by the model's loader
** (schema/model.h), which refuses what is not schema; the script comes
** from schema/diff.h. Nothing is written anywhere.
*/
#include <string.h>

#include "alter/alter.h"
#include "api/api.h"
#include "schema/diff.h"
#include "schema/model.h"

SQLITE_EXTENSION_INIT3

#define DIFF_USAGE "migrate_diff(desired_sql) or migrate_diff(current_sql, desired_sql)"

/*
** Argument pArg as schema text, or 0 with the error set on ctx. A blob is
** read as UTF-8 text: the shell's readfile('schema.sql') gives one.
*/
static const char *schema_arg(sqlite3_context *ctx, sqlite3_value *pArg, const char *zWhich) {
  int eType = sqlite3_value_type(pArg);
  char *zErr = 0;
  if (eType == SQLITE_NULL || eType == SQLITE_INTEGER || eType == SQLITE_FLOAT) {
    zErr = sqlite3_mprintf(
        "migrate_diff(): %s is %s; give the schema as text, its CREATE statements, as "
        "in migrate_diff('CREATE TABLE t (id INTEGER PRIMARY KEY)')",
        zWhich, eType == SQLITE_NULL ? "NULL" : "a number");
  } else {
    const char *z = (const char *)sqlite3_value_text(pArg);
    if (!z) {
      sqlite3_result_error_nomem(ctx);
      return 0;
    }
    if ((size_t)sqlite3_value_bytes(pArg) == strlen(z)) return z;
    zErr = sqlite3_mprintf("migrate_diff(): %s contains a NUL byte; give the schema as "
                           "text without one",
                           zWhich);
  }
  dm_result_error(ctx, SQLITE_ERROR, zErr); /* No zErr: out of memory */
  return 0;
}

/* The loader's or the diff's error, prefixed with what it was about. */
static void diff_error(sqlite3_context *ctx, int rc, const char *zWhich, char *zErr) {
  char *z = 0;
  if (rc != SQLITE_NOMEM && zErr) {
    z = zWhich ? sqlite3_mprintf("migrate_diff(): %s: %s", zWhich, zErr)
               : sqlite3_mprintf("migrate_diff(): %s", zErr);
  }
  sqlite3_free(zErr);
  dm_result_error(ctx, rc, z); /* No z: out of memory */
}

/* The model of the current schema: the connection's, or argument 0. */
static int current_model(sqlite3_context *ctx, int argc, sqlite3_value **argv,
                         DmSchema **ppOut) {
  char *zErr = 0;
  int rc;
  if (argc == 1) {
    rc = dm_schema_read(sqlite3_context_db_handle(ctx), "main", ppOut, &zErr);
    if (rc) diff_error(ctx, rc, "reading the database's schema", zErr);
    return rc;
  }
  const char *zSql = schema_arg(ctx, argv[0], "current_sql");
  if (!zSql) return SQLITE_ERROR;
  rc = dm_schema_from_sql(zSql, ppOut, &zErr);
  if (rc) diff_error(ctx, rc, "current_sql", zErr);
  return rc;
}

void dm_diff_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  if (!dm_check_argc(ctx, DIFF_USAGE, argc, 1, 2)) return;
  if (argc == 2 && !schema_arg(ctx, argv[0], "current_sql")) return;
  const char *zDesired = schema_arg(ctx, argv[argc - 1], "desired_sql");
  if (!zDesired) return;
  DmSchema *pFrom = 0, *pTo = 0;
  char *zErr = 0, *zScript = 0;
  int rc = current_model(ctx, argc, argv, &pFrom);
  if (rc == SQLITE_OK) {
    rc = dm_schema_from_sql(zDesired, &pTo, &zErr);
    if (rc) diff_error(ctx, rc, "desired_sql", zErr);
  }
  if (rc == SQLITE_OK) {
    rc = dm_schema_diff(pFrom, pTo, &zScript, &zErr);
    if (rc) diff_error(ctx, rc, 0, zErr);
  }
  if (rc == SQLITE_OK) sqlite3_result_text(ctx, zScript, -1, sqlite3_free);
  if (pFrom) dm_schema_free(pFrom);
  if (pTo) dm_schema_free(pTo);
}
