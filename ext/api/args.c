/*
** What every SQL entry point shares: reading a revision target, the
** "called on its own" check, and the base of the virtual tables. (The
** argument-count error and the error result are in alter/alter_func.c,
** which migrate_alter_table()'s glue needs below api/.)
*/
#include <string.h>

#include "api/api.h"
#include "run/runner.h"

SQLITE_EXTENSION_INIT3

/* A blob as SQL writes it, for messages: X'01'; past 16 bytes, X'...'. */
static char *blob_literal(sqlite3_value *pArg) {
  const unsigned char *a = sqlite3_value_blob(pArg);
  int n = sqlite3_value_bytes(pArg);
  sqlite3_str *pStr = sqlite3_str_new(0);
  sqlite3_str_appendall(pStr, "X'");
  for (int i = 0; i < n && i < 16; i++) sqlite3_str_appendf(pStr, "%02X", a[i]);
  sqlite3_str_appendall(pStr, n > 16 ? "...'" : "'");
  return sqlite3_str_finish(pStr);
}

const char *dm_target_text(sqlite3_value *pArg, const char *zFunc,
                           const char *zExample, char **pzErr) {
  *pzErr = 0;
  if (sqlite3_value_type(pArg) == SQLITE_BLOB) {
    char *zBlob = blob_literal(pArg);
    if (zBlob) {
      *pzErr = sqlite3_mprintf(
          "%s(%s): the target is a blob, and a revision target must be text, "
          "e.g. '%s' or a revision id",
          zFunc, zBlob, zExample);
    }
    sqlite3_free(zBlob);
    return 0;
  }
  const char *z = (const char *)sqlite3_value_text(pArg);
  if (z && (size_t)sqlite3_value_bytes(pArg) != strlen(z)) {
    char *zWhere = z[0] ? sqlite3_mprintf("after %Q", z) : sqlite3_mprintf("first");
    if (zWhere) {
      *pzErr = sqlite3_mprintf(
          "%s(): the target contains a NUL byte (%s); a revision target is "
          "text without one, e.g. '%s' or a revision id",
          zFunc, zWhere, zExample);
    }
    sqlite3_free(zWhere);
    return 0;
  }
  return z;
}

int dm_check_alone(sqlite3_context *ctx, const char *zFunc, const char *zExample) {
  int bAlone = 0;
  int rc = dm_called_alone(sqlite3_context_db_handle(ctx), &bAlone);
  if (rc == SQLITE_NOMEM) {
    sqlite3_result_error_nomem(ctx);
  } else if (rc) {
    sqlite3_result_error_code(ctx, rc);
  } else if (!bAlone) {
    char *z = sqlite3_mprintf("%s() must be called on its own, as in SELECT %s", zFunc,
                              zExample);
    if (z) {
      sqlite3_result_error(ctx, z, -1);
    } else {
      sqlite3_result_error_nomem(ctx);
    }
    sqlite3_free(z);
  }
  return rc == SQLITE_OK && bAlone;
}

int dm_vtab_connect(sqlite3 *db, void *pAux, const char *zSchema, sqlite3_vtab **ppVtab) {
  int rc = sqlite3_declare_vtab(db, zSchema);
  if (rc) return rc;
  DmVtab *pTab = sqlite3_malloc(sizeof(*pTab));
  if (!pTab) return SQLITE_NOMEM;
  memset(pTab, 0, sizeof(*pTab));
  pTab->db = db;
  pTab->pSet = pAux;
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  *ppVtab = &pTab->base;
  return SQLITE_OK;
}

int dm_vtab_disconnect(sqlite3_vtab *pVtab) {
  sqlite3_free(pVtab);
  return SQLITE_OK;
}
