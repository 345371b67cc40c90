/*
** The SQL functions: one table of them with their flags, and the glue of
** those whose work is the runner's or the graph's: each reads its
** arguments, calls down and turns the answer into a result. The glue of
** ops/'s functions is in ops_funcs.c; migrate_alter_table()'s is alter/'s
** own (alter/alter_func.c), which the replay registers too.
*/
#include <stdlib.h>
#include <string.h>

#include "alter/alter.h"
#include "api/api.h"
#include "api/drift_vtab.h"
#include "api/history_vtab.h"
#include "api/plan_vtab.h"
#include "graph/revision.h"
#include "ops/check.h"
#include "ops/ops.h"
#include "run/runner.h"

SQLITE_EXTENSION_INIT3

static void conn_release(void *p) {
  DmConn *pConn = p;
  if (--pConn->nRef == 0) sqlite3_free(pConn);
}

/*
** The options after the target (argv, argc of them): 'rehearse', or
** 'backup' and a file. On a bad option, sets the error on ctx and
** returns 0.
*/
static int read_run_options(sqlite3_context *ctx, DmOp eOp, int argc, sqlite3_value **argv,
                            int *pbRehearse, const char **pzBackup) {
  const char *zFunc = eOp == DM_OP_UPGRADE ? "migrate_upgrade" : "migrate_downgrade";
  *pbRehearse = 0;
  *pzBackup = 0;
  if (argc == 0) return 1;
  const char *zOpt = (const char *)sqlite3_value_text(argv[0]);
  char *zErr = 0;
  if (zOpt && strcmp(zOpt, "rehearse") == 0 && argc == 1) {
    *pbRehearse = 1;
    return 1;
  }
  if (zOpt && strcmp(zOpt, "backup") == 0 && argc == 2 &&
      sqlite3_value_type(argv[1]) == SQLITE_TEXT) {
    *pzBackup = (const char *)sqlite3_value_text(argv[1]);
    return 1;
  }
  if (zOpt && strcmp(zOpt, "backup") == 0) {
    zErr = sqlite3_mprintf(
        "%s(target, 'backup', file): give the backup file as the third "
        "argument, as in %s('head', 'backup', 'backup.db')",
        zFunc, zFunc);
  } else if (zOpt && strcmp(zOpt, "rehearse") == 0) {
    zErr = sqlite3_mprintf("%s(target, 'rehearse') takes no further argument", zFunc);
  } else {
    zErr = sqlite3_mprintf(
        "%s(target, option): unknown option '%s'; the options are "
        "'rehearse', and 'backup' followed by a file name",
        zFunc, zOpt ? zOpt : "NULL");
  }
  sqlite3_result_error(ctx, zErr ? zErr : "out of memory", -1);
  sqlite3_free(zErr);
  return 0;
}

/* argc/argv: the options after the target ('rehearse', 'backup', file). */
static void run_and_reply(sqlite3_context *ctx, DmOp eOp, const char *zTarget,
                          int bPurge, int argc, sqlite3_value **argv) {
  char *zResult = 0;
  char *zErr = 0;
  DmConn *pConn = sqlite3_user_data(ctx);
  int bRehearse = 0;
  const char *zBackup = 0;
  if (!read_run_options(ctx, eOp, argc, argv, &bRehearse, &zBackup)) return;
  DmOps ops;
  dm_ops_init(&ops, eOp, pConn->bStrict, bRehearse, zBackup);
  int rc = dm_run_ex(sqlite3_context_db_handle(ctx), pConn, &dm_set, eOp, zTarget,
                     bPurge, &ops.run, &zResult, &zErr);
  dm_ops_finish(&ops, rc, &zResult, &zErr);
  if (rc && eOp == DM_OP_UPGRADE && zErr && rc != SQLITE_NOMEM && (rc & 0xff) != SQLITE_BUSY) {
    /* A database made without its bookkeeping fails at the first CREATE:
    ** say which revision it has, if any. */
    char *zHint = dm_stamp_hint(sqlite3_context_db_handle(ctx), &dm_set);
    if (zHint) {
      char *z = sqlite3_mprintf("%s\n  %s", zErr, zHint);
      if (z) {
        sqlite3_free(zErr);
        zErr = z;
      }
      sqlite3_free(zHint);
    }
  }
  if (rc) {
    dm_result_error(ctx, rc, zErr);
  } else if (zResult) {
    sqlite3_result_text(ctx, zResult, -1, sqlite3_free);
  }
}

/* The target argument as text, or an error saying what to pass instead. */
static const char *target_text(sqlite3_context *ctx, const char *zFunc,
                               const char *zExample, sqlite3_value *pArg) {
  char *z = 0;
  switch (sqlite3_value_type(pArg)) {
    case SQLITE_NULL:
      /* What this function takes: down is 'base' or '-1', a stamp no step. */
      if (strcmp(zFunc, "migrate_stamp") == 0) {
        z = sqlite3_mprintf("%s(NULL): the target is NULL; give 'head', 'base' or a "
                            "revision id", zFunc);
      } else {
        z = sqlite3_mprintf("%s(NULL): the target is NULL; give '%s', a revision id, or a "
                            "relative step such as '%s1'",
                            zFunc, zExample, strcmp(zFunc, "migrate_downgrade") == 0 ? "-" : "+");
      }
      break;
    case SQLITE_INTEGER:
    case SQLITE_FLOAT:
      z = sqlite3_mprintf(
          "%s(%s): give the target as text, e.g. %s('head'), %s('+1') for "
          "one step or %s('002') for a revision",
          zFunc, (const char *)sqlite3_value_text(pArg), zFunc, zFunc, zFunc);
      break;
    default: {
      const char *zTarget = dm_target_text(pArg, zFunc, zExample, &z);
      if (zTarget) return zTarget;
      break;
    }
  }
  dm_result_error(ctx, SQLITE_ERROR, z); /* No z: out of memory */
  return 0;
}

static void dm_upgrade_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  if (!dm_check_argc(ctx, "migrate_upgrade('head')", argc, 1, 3)) return;
  const char *zTarget = target_text(ctx, "migrate_upgrade", "head", argv[0]);
  if (zTarget) run_and_reply(ctx, DM_OP_UPGRADE, zTarget, 0, argc - 1, argv + 1);
}

/* A step count for migrate_downgrade(N): at most DM_MAX_STEPS, whole. */
static int step_count_ok(sqlite3_context *ctx, sqlite3_value *pArg, double r) {
  char *z = 0;
  if (r > DM_MAX_STEPS) {
    char *zWhat = sqlite3_mprintf("migrate_downgrade(%s)",
                                  (const char *)sqlite3_value_text(pArg));
    z = zWhat ? dm_too_many_steps(&dm_set, zWhat, 1, "migrate_downgrade('base')") : 0;
    sqlite3_free(zWhat);
  } else if (r != (double)(sqlite3_int64)r) {
    z = sqlite3_mprintf(
        "migrate_downgrade(%s): a step count must be a whole number, as in "
        "migrate_downgrade(-1)",
        (const char *)sqlite3_value_text(pArg));
  } else {
    return 1;
  }
  dm_result_error(ctx, SQLITE_ERROR, z); /* No z: out of memory */
  return 0;
}

/* migrate_downgrade(N) with a number means N steps down, whatever its sign. */
static void dm_downgrade_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  if (!dm_check_argc(ctx, "migrate_downgrade(-1) or migrate_downgrade('base')",
                  argc, 1, 3)) {
    return;
  }
  int eType = sqlite3_value_type(argv[0]);
  if (eType == SQLITE_INTEGER || eType == SQLITE_FLOAT) {
    double r = sqlite3_value_double(argv[0]);
    if (r < 0) r = -r;
    if (!step_count_ok(ctx, argv[0], r)) return;
    char zSteps[32];
    sqlite3_snprintf(sizeof(zSteps), zSteps, "-%lld", (sqlite3_int64)r);
    run_and_reply(ctx, DM_OP_DOWNGRADE, zSteps, 0, argc - 1, argv + 1);
    return;
  }
  const char *zTarget = target_text(ctx, "migrate_downgrade", "base", argv[0]);
  if (zTarget) run_and_reply(ctx, DM_OP_DOWNGRADE, zTarget, 0, argc - 1, argv + 1);
}

static void dm_stamp_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  if (!dm_check_argc(ctx, "migrate_stamp('head') or migrate_stamp('head', 'purge')",
                  argc, 1, 2)) {
    return;
  }
  int bPurge = 0;
  if (argc == 2) {
    const char *zOpt = (const char *)sqlite3_value_text(argv[1]);
    if (!zOpt || strcmp(zOpt, "purge") != 0) {
      sqlite3_result_error(
          ctx,
          "migrate_stamp(target, option): the only option is 'purge', which "
          "replaces whatever alembic_version holds, as alembic stamp --purge",
          -1);
      return;
    }
    bPurge = 1;
  }
  const char *zTarget = target_text(ctx, "migrate_stamp", "head", argv[0]);
  if (zTarget) run_and_reply(ctx, DM_OP_STAMP, zTarget, bPurge, 0, 0);
}

/*
** Rows in the order of the compiled-in table (the order migrate_upgrade()
** reports heads in), rows this build does not know last, as stored.
*/
static void sort_rows(char **azRow, int nRow) {
  for (int i = 1; i < nRow; i++) {
    char *z = azRow[i];
    int iRank = dm_find(&dm_set, z, (int)strlen(z));
    unsigned int uRank = iRank < 0 ? (unsigned int)dm_set.nRev : (unsigned int)iRank;
    int k = i;
    while (k > 0) {
      int iPrev = dm_find(&dm_set, azRow[k - 1], (int)strlen(azRow[k - 1]));
      unsigned int uPrev = iPrev < 0 ? (unsigned int)dm_set.nRev : (unsigned int)iPrev;
      if (uPrev <= uRank) break;
      azRow[k] = azRow[k - 1];
      k--;
    }
    azRow[k] = z;
  }
}

/* What alembic_version holds: NULL at base, several heads as "a, b". */
static void dm_current_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argv;
  if (!dm_check_argc(ctx, "migrate_current()", argc, 0, 0)) return;
  dm_result_current(ctx);
}

void dm_result_current(sqlite3_context *ctx) {
  int nRow = 0;
  char **azRow = 0;
  char *zErr = 0;
  int rc = dm_read_version(sqlite3_context_db_handle(ctx), &nRow, &azRow, &zErr);
  /* A NULL row has no text to show (and is not base): say what it is. */
  if (rc == SQLITE_OK) rc = dm_check_null_rows(nRow, (const char *const *)azRow, &zErr);
  if (rc) {
    sqlite3_free(azRow);
    dm_result_error(ctx, rc, zErr);
    return;
  }
  if (nRow > 0) {
    sort_rows(azRow, nRow);
    char *z = dm_join_strings(nRow, (const char *const *)azRow);
    if (z) {
      sqlite3_result_text(ctx, z, -1, sqlite3_free);
    } else {
      sqlite3_result_error_nomem(ctx);
    }
  }
  sqlite3_free(azRow);
}

/* The compiled-in heads (Alembic's `heads`). */
static void dm_heads_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argv;
  if (!dm_check_argc(ctx, "migrate_heads()", argc, 0, 0)) return;
  int *aHead = sqlite3_malloc64(sizeof(int) * (sqlite3_uint64)(dm_set.nRev + 1));
  if (!aHead) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  int nHead = dm_heads(&dm_set, 0, 0, aHead);
  char *z = dm_join_ids(&dm_set, aHead, nHead);
  sqlite3_free(aHead);
  if (z) {
    sqlite3_result_text(ctx, z, -1, sqlite3_free);
  } else {
    sqlite3_result_error_nomem(ctx);
  }
}

/* migrate_verbose(1): Alembic-style "Running upgrade" lines on stderr. */
static void dm_verbose_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  if (!dm_check_argc(ctx, "migrate_verbose(1) or migrate_verbose(0)", argc, 1, 1)) return;
  /* Not from a CHECK constraint either, which SQLite 3.40 lets through. */
  if (!dm_check_alone(ctx, "migrate_verbose", "migrate_verbose(1)")) return;
  DmConn *pConn = sqlite3_user_data(ctx);
  int bWas = pConn->bVerbose;
  pConn->bVerbose = sqlite3_value_int(argv[0]) != 0;
  sqlite3_result_int(ctx, bWas);
}

/*
** Flags say what each function does. Anything that writes the database or
** a file (stderr included) or changes how this connection migrates is
** DIRECTONLY: a view, trigger or CHECK in an untrusted database must not be
** able to migrate, stamp, back up, restore, print or turn strict mode off.
** Readers are INNOCUOUS: migrate_check() and migrate_sql() read this
** database and replay the migrations into a private :memory: one, which
** they close. migrate_heads() depends on nothing but the build.
** migrate_diff() writes nothing either, but it is DIRECTONLY: it runs the
** SQL text it is given (in a private :memory: database, virtual-table
** modules included), which a view or trigger in a database you did not
** write must not be able to make it do. distmigrate_progress_row() counts
** the rows migrate_alter_table()'s statements read, for the progress lines
** on stderr; it is DIRECTONLY with them, and not DETERMINISTIC, which would
** let SQLite call it once for all rows.
*/
#define DM_WRITES (SQLITE_UTF8 | SQLITE_DIRECTONLY)
#define DM_READS (SQLITE_UTF8 | SQLITE_INNOCUOUS)
#define DM_CONSTANT (SQLITE_UTF8 | SQLITE_INNOCUOUS | SQLITE_DETERMINISTIC)

static const struct {
  const char *zName;
  int nArg;  /* -1: the function checks the count and says what to pass */
  int flags;
  void (*xFunc)(sqlite3_context *, int, sqlite3_value **);
} aFunc[] = {
    {"migrate_upgrade", -1, DM_WRITES, dm_upgrade_func},
    {"migrate_downgrade", -1, DM_WRITES, dm_downgrade_func},
    {"migrate_stamp", -1, DM_WRITES, dm_stamp_func},
    {"migrate_verbose", -1, DM_WRITES, dm_verbose_func},
    {"migrate_alter_table", -1, DM_WRITES, dm_alter_table_func},
    {"migrate_current", -1, DM_READS, dm_current_func},
    {"migrate_heads", -1, DM_CONSTANT, dm_heads_func},
    {"migrate_check", -1, DM_READS, dm_check_func},
    {"migrate_sql", -1, DM_READS, dm_sql_func},
    {"migrate_show", -1, DM_READS, dm_show_func},
    {"migrate_backup", -1, DM_WRITES, dm_backup_func},
    {"migrate_restore", -1, DM_WRITES, dm_restore_func},
    {"migrate_strict", -1, DM_WRITES, dm_strict_func},
    {"migrate_repair", -1, DM_WRITES, dm_repair_func},
    {"migrate_diff", -1, SQLITE_UTF8 | SQLITE_DIRECTONLY, dm_diff_func},
    {"distmigrate_progress_row", 0, SQLITE_UTF8 | SQLITE_DIRECTONLY, dm_progress_row_func},
};

/* The eponymous virtual tables; pAux is the compiled-in set. */
static const struct {
  const char *zName;
  const sqlite3_module *pModule;
} aModule[] = {
    {"migration_history", &dm_history_module},
    {"migration_plan", &dm_plan_module},
    {"migration_drift", &dm_drift_module},
};

static DmConn *conn_new(void) {
  DmConn *pConn = sqlite3_malloc(sizeof(*pConn));
  if (!pConn) return 0;
  memset(pConn, 0, sizeof(*pConn));
  const char *zStrict = getenv("DISTMIGRATE_STRICT");
  pConn->bStrict = zStrict && zStrict[0] && strcmp(zStrict, "0") != 0;
  pConn->nRef = 1; /* Held by the caller until registration is over. */
  return pConn;
}

/* Everything on db, sharing pConn; the caller's reference is released. */
static int register_all(sqlite3 *db, DmConn *pConn, char **pzErrMsg) {
  int rc = SQLITE_OK;
  for (size_t i = 0; rc == SQLITE_OK && i < sizeof(aFunc) / sizeof(aFunc[0]); i++) {
    /* On failure SQLite calls conn_release itself, so count first. */
    pConn->nRef++;
    rc = sqlite3_create_function_v2(db, aFunc[i].zName, aFunc[i].nArg,
                                    aFunc[i].flags, pConn, aFunc[i].xFunc, 0, 0,
                                    conn_release);
    if (rc) {
      *pzErrMsg = sqlite3_mprintf("distmigrate: cannot register %s(): %s",
                                  aFunc[i].zName, sqlite3_errmsg(db));
    }
  }
  for (size_t i = 0; rc == SQLITE_OK && i < sizeof(aModule) / sizeof(aModule[0]); i++) {
    rc = sqlite3_create_module_v2(db, aModule[i].zName, aModule[i].pModule,
                                  (void *)&dm_set, 0);
    if (rc) {
      *pzErrMsg = sqlite3_mprintf("distmigrate: cannot register %s: %s",
                                  aModule[i].zName, sqlite3_errmsg(db));
    }
  }
  conn_release(pConn);
  return rc;
}

int dm_register(sqlite3 *db, char **pzErrMsg) {
  DmConn *pConn = conn_new();
  if (!pConn) return SQLITE_NOMEM;
  return register_all(db, pConn, pzErrMsg);
}
