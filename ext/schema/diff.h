/*
** The diff: the migration script that turns one schema model into another
** and keeps every row of every column that survives. Run as a migration's
** up inside migrate_upgrade() (it may call migrate_alter_table()).
**
**   - Plain ALTER TABLE where SQLite allows it on a table with rows (ADD
**     COLUMN with a constant default, RENAME TO, RENAME COLUMN, DROP COLUMN
**     where legal); migrate_alter_table('CREATE TABLE ...', mapping) where
**     it does not; CREATE / DROP for tables, indexes, views and triggers,
**     and the views, triggers and indexes that a change would break dropped
**     before it and created again after it.
**   - Dependency order: parents before children when creating, children
**     before parents when dropping (foreign-key cycles included).
**   - Renames only from hints: a table, column or index whose zRenamedFrom
**     is set in pTo was called that in pFrom; one whose zRenamedFrom is set
**     in pFrom is called that in pTo (the reverse diff, for a down
**     section). Without a hint a rename is a drop and an add, and the
**     script says so in a comment.
**   - A step that loses data is preceded by a "-- destructive: ..." line
**     saying what is lost; a step that needs a decision (a NOT NULL column
**     without a default on a table with rows) fails with a clear message
**     when rows exist, and a comment says what to edit.
**   - Equal models give the empty string.
*/
#ifndef DM_SCHEMA_DIFF_H
#define DM_SCHEMA_DIFF_H

#include "schema/model.h"

/*
** The script from pFrom to pTo in *pzScript (sqlite3_malloc'd; "" when the
** models are equal). SQLITE_OK, SQLITE_NOMEM, or an error with *pzErr.
*/
int dm_schema_diff(const DmSchema *pFrom, const DmSchema *pTo, char **pzScript,
                   char **pzErr);

#endif
