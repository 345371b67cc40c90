/*
** distmigrate: schema migrations compiled into a SQLite extension.
**
**   .load distmigrate
**   SELECT migrate_upgrade('head');
**
** The entry point, and nothing else: it refuses a SQLite older than the
** one it is built and tested for, and registers the functions and virtual
** tables (api/functions.c). ARCHITECTURE.md draws the layers below.
*/
#include "api/api.h"

SQLITE_EXTENSION_INIT1

/* The oldest SQLite this is built and tested for: Debian 12's. */
#define DM_MIN_SQLITE_VERSION 3040000
#define DM_MIN_SQLITE_TEXT "3.40.0"

#ifdef SQLITE_CORE
#define DM_EXPORT
#elif defined(_WIN32)
#define DM_EXPORT __declspec(dllexport)
#else
#define DM_EXPORT __attribute__((visibility("default")))
#endif

DM_EXPORT int sqlite3_distmigrate_init(sqlite3 *db, char **pzErrMsg,
                                       const sqlite3_api_routines *pApi);
DM_EXPORT int sqlite3_distmigrate_init(sqlite3 *db, char **pzErrMsg,
                                       const sqlite3_api_routines *pApi) {
  SQLITE_EXTENSION_INIT2(pApi);
  if (sqlite3_libversion_number() < DM_MIN_SQLITE_VERSION) {
    *pzErrMsg = sqlite3_mprintf(
        "distmigrate needs SQLite " DM_MIN_SQLITE_TEXT " or newer; this "
        "program runs SQLite %s",
        sqlite3_libversion());
    return SQLITE_ERROR;
  }
  return dm_register(db, pzErrMsg);
}
