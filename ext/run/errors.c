/*
** Result codes into words (see errors.h). Like curl's strerror.c: one
** table of the codes that get a sentence of their own, every message that
** names a code built here.
*/
#include "run/errors.h"

SQLITE_EXTENSION_INIT3

int dm_busy_timeout(sqlite3 *db) {
  sqlite3_stmt *pStmt = 0;
  int ms = 0;
  if (sqlite3_prepare_v2(db, "PRAGMA busy_timeout", -1, &pStmt, 0) == SQLITE_OK &&
      sqlite3_step(pStmt) == SQLITE_ROW) {
    ms = sqlite3_column_int(pStmt, 0);
  }
  sqlite3_finalize(pStmt);
  return ms;
}

static int query_only(sqlite3 *db) {
  sqlite3_stmt *pStmt = 0;
  int bOn = 0;
  if (sqlite3_prepare_v2(db, "PRAGMA query_only", -1, &pStmt, 0) == SQLITE_OK &&
      sqlite3_step(pStmt) == SQLITE_ROW) {
    bOn = sqlite3_column_int(pStmt, 0);
  }
  sqlite3_finalize(pStmt);
  return bOn;
}

/* The sentence for a code an operator can act on, or 0: SQLite's message
** says it well enough (or there was no memory for more). zAgain is "call
** f() again" or "try again". */
static char *action_sentence(sqlite3 *db, int rc, const char *zDoing, const char *zAgain) {
  /* The connection's extended code, unless it is of another error. */
  int rcExtended = sqlite3_extended_errcode(db);
  if ((rcExtended & 0xff) != (rc & 0xff)) rcExtended = rc;
  switch (rc & 0xff) {
    case SQLITE_BUSY:
      if (rcExtended == SQLITE_BUSY_SNAPSHOT) {
        return sqlite3_mprintf(
            "this connection's read transaction began before another "
            "connection's last commit, and in WAL mode a transaction that read an "
            "older snapshot cannot write; end it (COMMIT or ROLLBACK), then %s",
            zAgain);
      }
      return sqlite3_mprintf(
          "database is locked: another connection is writing to it "
          "(waited %d ms, this connection's busy timeout); try again, or wait "
          "longer with PRAGMA busy_timeout = 10000",
          dm_busy_timeout(db));
    case SQLITE_READONLY:
      if (query_only(db)) {
        return sqlite3_mprintf(
            "this connection has PRAGMA query_only=ON, which refuses every "
            "write (the file itself may be writable); run PRAGMA query_only=OFF, "
            "then migrate");
      }
      return sqlite3_mprintf(
          "the database is read-only (attempt to write a readonly "
          "database); migrating writes to it: open it read-write, as a user "
          "who may write the file and its directory");
    case SQLITE_LOCKED:
      if (rcExtended == SQLITE_LOCKED_SHAREDCACHE) {
        return sqlite3_mprintf(
            "%s%sanother connection that shares this connection's cache "
            "(shared-cache mode, cache=shared) holds a lock on the database; "
            "finish or close it, or open this connection without shared cache, "
            "then try again",
            zDoing ? zDoing : "", zDoing ? ": " : "");
      }
      return 0;
    default:
      return 0;
  }
}

char *dm_error_text(sqlite3 *db, int rc, const char *zFunc, const char *zDoing) {
  /* SQLite's message first: asking the pragmas below replaces it. */
  char *zMsg = sqlite3_mprintf("%s", sqlite3_errmsg(db));
  char *zAgain = zFunc ? sqlite3_mprintf("call %s() again", zFunc) : sqlite3_mprintf("try again");
  char *zSentence = zMsg && zAgain ? action_sentence(db, rc, zDoing, zAgain) : 0;
  char *z = 0;
  if (zMsg && zAgain) {
    z = sqlite3_mprintf("%s%s%s%s%s", zFunc ? zFunc : "", zFunc ? "(): " : "",
                        zSentence || !zDoing ? "" : zDoing,
                        zSentence || !zDoing ? "" : ": ", zSentence ? zSentence : zMsg);
  }
  sqlite3_free(zMsg);
  sqlite3_free(zAgain);
  sqlite3_free(zSentence);
  return z;
}
