/*
** Foreign keys inside a caller's transaction: find the statement that would
** drop a table other tables reference.
**
** With PRAGMA foreign_keys=ON, DROP TABLE first deletes every row of the
** table, so a table rebuild (create new, copy, drop old, rename) deletes
** every child row (ON DELETE CASCADE) or fails. Outside a transaction the
** runner turns enforcement off for the run; inside the caller's transaction
** the pragma is a no-op, so the runner asks this file about each statement
** before stepping it and refuses the run instead.
*/
#ifndef DM_FKGUARD_H
#define DM_FKGUARD_H

#include "sqlite3ext.h"

/*
** pStmt is prepared and not yet stepped. If it drops a table that another
** table of the same schema references by a foreign key, *pzWhy is a
** sentence naming both (sqlite3_malloc'd) and the return is SQLITE_OK;
** if it does not, *pzWhy is 0. Any other return is an error of SQLite's
** (out of memory, ...), left in the connection's error message.
*/
int dm_fk_drops_parent(sqlite3 *db, sqlite3_stmt *pStmt, char **pzWhy);

/*
** Steps pStmt, a prepared PRAGMA foreign_key_check, to its end and
** finalizes it: the number of violations in *pn, the first ten as lines
** "\n  T row N references P, which has no such row" (then "\n  ...") in
** *pzList (sqlite3_malloc'd; 0 when there are none). Returns SQLITE_OK,
** SQLITE_NOMEM, or the error of the step.
*/
int dm_fk_violations(sqlite3_stmt *pStmt, int *pn, char **pzList);

/*
** The same over several statements (one table's check each): add pStmt's
** violations to *pn and the first ten lines to pList, finalizing pStmt;
** then dm_fk_violations_end() gives the list (0 when none, or on an error
** in *pRc, which it sets to SQLITE_NOMEM if the list could not be made)
** and frees pList.
*/
int dm_fk_violations_add(sqlite3_stmt *pStmt, int *pn, sqlite3_str *pList);
char *dm_fk_violations_end(sqlite3_str *pList, int n, int *pRc);

#endif
