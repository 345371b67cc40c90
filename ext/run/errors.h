/*
** SQLite's result codes in the words a person acts on: the one place a
** code and SQLite's message become the text of an error.
*/
#ifndef DM_ERRORS_H
#define DM_ERRORS_H

#include "sqlite3ext.h"

/*
** What to say when SQLite refused zFunc's work with rc on db (whose
** message is still SQLite's): "zFunc(): " (left out if zFunc is 0), then
** for a code an operator can act on (a lock held by another connection, a
** read-only database or connection, a WAL snapshot too old to write, a
** shared cache) a sentence that says what to do, else "zDoing: " (left out
** if zDoing is 0) and SQLite's message. sqlite3_malloc'd, 0 if out of
** memory.
*/
char *dm_error_text(sqlite3 *db, int rc, const char *zFunc, const char *zDoing);

/* The connection's busy timeout in ms (0 if it cannot be read). */
int dm_busy_timeout(sqlite3 *db);

#endif
