/*
** migrate_alter_table() as SQL sees it: its glue, and a registration of
** its own for the private :memory: connections that ops/ replays the
** migrations into. A replay needs only what a migration may call, and
** this is the one distmigrate function a migration calls; registering it
** here, below ops/, keeps the replay from reaching back up into api/
** (api/ -> ops/ -> api/ was a circle at run time).
**
** alter/ is the lowest layer with an SQL function of its own, so the two
** helpers every function's glue shares live here too, where api/ reaches
** them: the argument-count error and the error result that keeps the
** codes a caller may act on.
*/
#include "alter/alter.h"

#include "run/progress.h"

SQLITE_EXTENSION_INIT3

int dm_check_argc(sqlite3_context *ctx, const char *zUsage, int argc, int nMin,
                  int nMax) {
  if (argc >= nMin && argc <= nMax) return 1;
  char *z = sqlite3_mprintf("wrong number of arguments (%d): use %s", argc, zUsage);
  sqlite3_result_error(ctx, z ? z : "out of memory", -1);
  sqlite3_free(z);
  return 0;
}

void dm_result_error(sqlite3_context *ctx, int rc, char *zErr) {
  if (rc == SQLITE_NOMEM || (!zErr && rc != SQLITE_OK)) {
    sqlite3_result_error_nomem(ctx);
  } else {
    sqlite3_result_error(ctx, zErr, -1);
    /* Keep the codes a caller may act on (retry on BUSY, ...). */
    switch (rc & 0xff) {
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
      case SQLITE_READONLY:
      case SQLITE_FULL:
      case SQLITE_IOERR:
      case SQLITE_CONSTRAINT:
      case SQLITE_MISUSE:
        sqlite3_result_error_code(ctx, rc);
        break;
    }
  }
  sqlite3_free(zErr);
}

void dm_alter_table_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  if (!dm_check_argc(ctx,
                     "migrate_alter_table('CREATE TABLE ...') or migrate_alter_table("
                     "'CREATE TABLE ...', '{\"new_name\": \"old_name\"}')",
                     argc, 1, 2)) {
    return;
  }
  if (sqlite3_value_type(argv[0]) != SQLITE_TEXT ||
      (argc == 2 && sqlite3_value_type(argv[1]) != SQLITE_TEXT &&
       sqlite3_value_type(argv[1]) != SQLITE_NULL)) {
    sqlite3_result_error(ctx,
                         "migrate_alter_table(): give the new table as a CREATE TABLE "
                         "statement in text and the column mapping, if any, as JSON text",
                         -1);
    return;
  }
  const char *zStrategy = 0;
  char *zErr = 0;
  int rc = dm_alter_table(sqlite3_context_db_handle(ctx), sqlite3_user_data(ctx),
                          (const char *)sqlite3_value_text(argv[0]),
                          argc == 2 ? (const char *)sqlite3_value_text(argv[1]) : 0,
                          &zStrategy, &zErr);
  if (rc) {
    dm_result_error(ctx, rc, zErr);
  } else {
    sqlite3_result_text(ctx, zStrategy, -1, SQLITE_STATIC);
  }
}

void dm_progress_row_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  (void)argv;
  DmConn *pConn = sqlite3_user_data(ctx);
  dm_progress_rows(pConn->pProgress, 1);
  sqlite3_result_int(ctx, 0);
}

int dm_alter_register(sqlite3 *db, DmConn *pConn, char **pzErr) {
  /* The flags of api/functions.c's table for it: it writes the database. */
  int rc = sqlite3_create_function_v2(db, "migrate_alter_table", -1,
                                      SQLITE_UTF8 | SQLITE_DIRECTONLY, pConn,
                                      dm_alter_table_func, 0, 0, sqlite3_free);
  if (rc) {
    *pzErr = sqlite3_mprintf("distmigrate: cannot register migrate_alter_table(): %s",
                             sqlite3_errmsg(db));
  }
  return rc;
}
