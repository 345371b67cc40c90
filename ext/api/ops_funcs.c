/*
** The SQL glue of ops/'s functions: migrate_check(), migrate_sql(),
** migrate_backup(), migrate_restore(), migrate_strict(). Each reads its
** arguments, refuses a wrong count or shape, calls the plain C function in
** ops/ and turns its (rc, result, message) into the SQL result. The work
** and its messages stay in ops/; only what concerns the call itself is
** said here.
**
** One file for the five rather than one per family: each is a screenful
** at most and they read alike, so side by side is where a difference
** between them shows. The table that registers them is in functions.c.
*/
#include <string.h>

#include "api/api.h"
#include "ops/backup.h"
#include "ops/check.h"
#include "ops/offline.h"
#include "ops/ops.h"
#include "run/runner.h"

SQLITE_EXTENSION_INIT3

/*
** migrate_check('sql'): the script that brings the schema back to what the
** migrations give at the database's revision ('' when it is), as a
** migration's up would run it; migrate_repair() runs it.
*/
static void check_sql(sqlite3_context *ctx, sqlite3_value *pArg) {
  const char *zOpt = (const char *)sqlite3_value_text(pArg);
  if (!zOpt || strcmp(zOpt, "sql") != 0) {
    sqlite3_result_error(ctx,
                         "migrate_check(option): the only option is 'sql', which returns "
                         "the script that brings the schema back to its migrations "
                         "(migrate_repair() runs it)",
                         -1);
    return;
  }
  DmDiffList list;
  char *zErr = 0, *zScript = 0;
  int rc = dm_check_ex(sqlite3_context_db_handle(ctx), &dm_set, 0, &list, &zScript, &zErr);
  dm_diff_clear(&list);
  if (rc) {
    dm_result_error(ctx, rc, zErr); /* No zErr: out of memory */
    return;
  }
  sqlite3_free(zErr);
  sqlite3_result_text(ctx, zScript, -1, sqlite3_free);
}

/*
** migrate_repair(): runs migrate_check('sql')'s script in a run of its own
** (one transaction under the write lock, foreign keys handled as in any
** run) and leaves the version as it is.
*/
void dm_repair_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argv;
  if (!dm_check_argc(ctx, "migrate_repair()", argc, 0, 0)) return;
  if (!dm_check_alone(ctx, "migrate_repair", "migrate_repair()")) return;
  sqlite3 *db = sqlite3_context_db_handle(ctx);
  int nRow = 0;
  char **azRow = 0;
  char *zErr = 0, *zResult = 0;
  int rc = dm_read_version(db, &nRow, &azRow, &zErr);
  if (rc == SQLITE_OK && nRow > 1) {
    zErr = sqlite3_mprintf("migrate_repair(): the database is at several heads (%s, ...); "
                           "repair works at one revision: merge the heads first",
                           azRow[0]);
    rc = SQLITE_ERROR;
  }
  if (rc == SQLITE_OK) {
    const char *zAt = nRow == 1 ? azRow[0] : "base";
    DmOps ops;
    dm_ops_init_repair(&ops);
    ops.zRepairExpect = zAt;
    rc = dm_run_ex(db, sqlite3_user_data(ctx), &dm_set, DM_OP_STAMP, zAt, 0, &ops.run,
                   &zResult, &zErr);
    dm_ops_finish(&ops, rc, &zResult, &zErr);
  }
  sqlite3_free(azRow);
  if (rc) {
    sqlite3_free(zResult);
    dm_result_error(ctx, rc, zErr); /* No zErr: out of memory */
  } else {
    sqlite3_free(zErr);
    sqlite3_result_text(ctx, zResult, -1, sqlite3_free);
  }
}

/* migrate_check(): 'ok', or an error listing every difference. */
void dm_check_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  if (!dm_check_argc(ctx, "migrate_check(), or migrate_check('sql') for the script that "
                          "repairs the schema", argc, 0, 1)) {
    return;
  }
  if (argc == 1) {
    check_sql(ctx, argv[0]);
    return;
  }
  DmDiffList list;
  char *zErr = 0;
  int rc = dm_check(sqlite3_context_db_handle(ctx), &dm_set, 0, &list, &zErr);
  if (rc) {
    dm_result_error(ctx, rc, zErr); /* No zErr: out of memory */
    return;
  }
  if (list.n == 0) {
    sqlite3_result_text(ctx, "ok", -1, SQLITE_STATIC);
  } else {
    char *zLines = dm_diff_lines(&list);
    char *z = zLines ? sqlite3_mprintf(
                           "migrate_check(): the database does not match its "
                           "migrations at %s:\n%s",
                           list.zVersion, zLines)
                     : 0;
    if (z) {
      sqlite3_result_error(ctx, z, -1);
    } else {
      sqlite3_result_error_nomem(ctx);
    }
    sqlite3_free(z);
    sqlite3_free(zLines);
  }
  dm_diff_clear(&list);
}

/* A revision argument of migrate_sql() as text, or 0 with the error set. */
static const char *sql_text_arg(sqlite3_context *ctx, sqlite3_value *pArg) {
  if (sqlite3_value_type(pArg) == SQLITE_TEXT) {
    char *zErr = 0;
    const char *z = dm_target_text(pArg, "migrate_sql", "head", &zErr);
    if (!z) {
      if (zErr) {
        sqlite3_result_error(ctx, zErr, -1);
      } else {
        sqlite3_result_error_nomem(ctx);
      }
      sqlite3_free(zErr);
    }
    return z;
  }
  sqlite3_result_error(ctx,
                       "migrate_sql(): give revisions as text, as in "
                       "migrate_sql('head') or migrate_sql('base', 'head')",
                       -1);
  return 0;
}

/* migrate_sql(target) from the database's version; migrate_sql(from, to). */
void dm_sql_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  if (!dm_check_argc(ctx, "migrate_sql('head') or migrate_sql('base', 'head')", argc,
                     1, 2)) {
    return;
  }
  const char *zTarget = sql_text_arg(ctx, argv[argc - 1]);
  const char *zFrom = argc == 2 ? sql_text_arg(ctx, argv[0]) : "";
  if (!zTarget || !zFrom) return;
  char *zScript = 0;
  char *zErr = 0;
  int rc = dm_offline_script_from(sqlite3_context_db_handle(ctx), &dm_set,
                                  argc == 2 ? zFrom : 0, zTarget, &zScript, &zErr);
  if (rc == SQLITE_OK) {
    sqlite3_result_text(ctx, zScript, -1, sqlite3_free);
  } else if (zErr && rc != SQLITE_NOMEM) {
    sqlite3_result_error(ctx, zErr, -1);
  } else {
    sqlite3_result_error_nomem(ctx);
  }
  sqlite3_free(zErr);
}

/* migrate_backup(path[, 'overwrite']): returns the path written. */
void dm_backup_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  if (!dm_check_argc(ctx,
                     "migrate_backup('backup.db') or migrate_backup('backup.db', "
                     "'overwrite')",
                     argc, 1, 2)) {
    return;
  }
  const char *zPath = (const char *)sqlite3_value_text(argv[0]);
  int bOverwrite = 0;
  if (argc == 2) {
    const char *zOpt = (const char *)sqlite3_value_text(argv[1]);
    if (!zOpt || strcmp(zOpt, "overwrite") != 0) {
      sqlite3_result_error(ctx,
                           "migrate_backup(path, option): the only option is "
                           "'overwrite', which replaces an existing file",
                           -1);
      return;
    }
    bOverwrite = 1;
  }
  /* A CHECK constraint of a hostile database, which SQLite 3.40 lets call
  ** a DIRECTONLY function, must not write (or overwrite) a file. */
  if (!dm_check_alone(ctx, "migrate_backup", "migrate_backup('backup.db')")) return;
  char *zErr = 0;
  int rc = dm_backup(sqlite3_context_db_handle(ctx), zPath, bOverwrite, &zErr);
  if (rc == SQLITE_OK) {
    sqlite3_result_text(ctx, zPath, -1, SQLITE_TRANSIENT);
  } else {
    dm_result_error(ctx, rc, zErr); /* No zErr: out of memory */
  }
}

/*
** migrate_restore(path[, 'allow-empty']): replaces the database with the
** backup (dm_restore() says when it refuses); returns the version the
** database is at afterwards, as migrate_current() says it.
*/
void dm_restore_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  if (!dm_check_argc(ctx,
                     "migrate_restore('backup.db') or, to restore a backup that "
                     "holds no tables, migrate_restore('backup.db', 'allow-empty')",
                     argc, 1, 2)) {
    return;
  }
  const char *zPath = (const char *)sqlite3_value_text(argv[0]);
  const char *zOpt = argc == 2 ? (const char *)sqlite3_value_text(argv[1]) : 0;
  if (argc == 2 && (!zOpt || strcmp(zOpt, "allow-empty") != 0)) {
    sqlite3_result_error(ctx,
                         "migrate_restore(path, option): the only option is "
                         "'allow-empty', which restores a backup that holds no tables",
                         -1);
    return;
  }
  char *zErr = 0;
  int rc = dm_restore(sqlite3_context_db_handle(ctx), sqlite3_user_data(ctx), zPath,
                      zOpt != 0, &zErr);
  if (rc == SQLITE_OK) {
    dm_result_current(ctx);
    sqlite3_free(zErr);
  } else {
    /* The code too: a caller retries a BUSY, reads an IOERR or FULL as the
    ** disk's trouble, as after any other failed statement. */
    dm_result_error(ctx, rc, zErr); /* No zErr: out of memory */
  }
}

/* migrate_strict(1) / migrate_strict(0): returns the previous setting. */
void dm_strict_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  if (!dm_check_argc(ctx, "migrate_strict(1) or migrate_strict(0)", argc, 1, 1)) return;
  /* A hostile database's CHECK constraint must not turn the check off. */
  if (!dm_check_alone(ctx, "migrate_strict", "migrate_strict(1)")) return;
  DmConn *pConn = sqlite3_user_data(ctx);
  int bWas = pConn->bStrict;
  pConn->bStrict = sqlite3_value_int(argv[0]) != 0;
  sqlite3_result_int(ctx, bWas);
}
