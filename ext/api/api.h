/*
** The SQL surface (ext/api/): what the entry point and the functions of
** other layers' SQL glue share.
*/
#ifndef DM_API_H
#define DM_API_H

#include "alter/alter.h"
#include "run/runner.h"
#include "sqlite3ext.h"

/*
** Register every function and virtual table on db, with a new
** per-connection state that they share (freed with the last of them).
*/
int dm_register(sqlite3 *db, char **pzErrMsg);

/* The result migrate_current() gives: alembic_version's rows, NULL at base. */
void dm_result_current(sqlite3_context *ctx);

/*
** The text of a revision target argument, or 0 with *pzErr saying why it
** is not one (sqlite3_malloc'd; 0 when out of memory): a blob, or text
** with a NUL byte in it, which sqlite3_value_text() would cut there.
** zFunc names the caller in the message, zExample is a target it takes.
*/
const char *dm_target_text(sqlite3_value *pArg, const char *zFunc,
                           const char *zExample, char **pzErr);

/*
** 1 if the function is the whole of its statement (dm_called_alone);
** otherwise the error "zFunc() must be called on its own, as in SELECT
** zExample" (or out of memory) is the result, and 0. For functions with a
** side effect that SQLITE_DIRECTONLY alone does not keep from a hostile
** schema: SQLite 3.40 lets a CHECK constraint call them.
*/
int dm_check_alone(sqlite3_context *ctx, const char *zFunc, const char *zExample);

/*
** The SQL glue of ops/'s functions (ops_funcs.c), registered by the table
** in functions.c.
*/
void dm_check_func(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void dm_sql_func(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void dm_backup_func(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void dm_restore_func(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void dm_strict_func(sqlite3_context *ctx, int argc, sqlite3_value **argv);

/* migrate_repair(): migrate_check('sql')'s script, run (ops_funcs.c). */
void dm_repair_func(sqlite3_context *ctx, int argc, sqlite3_value **argv);

/* migrate_diff(): the glue of schema/diff.h (diff_func.c). */
void dm_diff_func(sqlite3_context *ctx, int argc, sqlite3_value **argv);
/* migrate_show(rev), Alembic's `show` (show_func.c). */
void dm_show_func(sqlite3_context *ctx, int argc, sqlite3_value **argv);

/*
** The state every distmigrate virtual table has (migration_history,
** migration_plan, migration_drift): the connection and the compiled-in set
** (the module's pAux). dm_vtab_connect() declares zSchema, marks the table
** innocuous (it only reads) and makes one; dm_vtab_disconnect() frees it.
*/
typedef struct DmVtab DmVtab;
struct DmVtab {
  sqlite3_vtab base;
  sqlite3 *db;
  const DmSet *pSet;
};
int dm_vtab_connect(sqlite3 *db, void *pAux, const char *zSchema, sqlite3_vtab **ppVtab);
int dm_vtab_disconnect(sqlite3_vtab *pVtab);

#endif
