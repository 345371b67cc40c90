/*
** Verbose mode's lines: the run's own, and the progress of long work (see
** progress.c).
*/
#ifndef DM_PROGRESS_H
#define DM_PROGRESS_H

#include "run/runner.h"

/*
** The SQL function that counts the rows a phase has read (alter/ puts it in
** the statements it runs while a counted phase is on): it adds one to the
** phase's count and returns 0, so "WHERE ... OR distmigrate_progress_row()"
** selects the same rows as without it. Registered with migrate_alter_table().
*/
#define DM_PROGRESS_ROW "distmigrate_progress_row"

/*
** A run's progress, in verbose mode: 0 when the run is quiet, and every
** function below then prints nothing (dm_verbose_line() excepted, which
** prints plainly).
*/
DmProgress *dm_progress_new(void);
void dm_progress_free(DmProgress *p);

/* Follow a run's events (steps and statements). */
void dm_progress_event(DmProgress *p, const DmEvent *pEv);

/*
** One line of the run's log on stderr, "INFO  [distmigrate] " then the
** text: the only way verbose lines are written while a run is on, so that
** they never mix with the progress thread's.
*/
void dm_verbose_line(DmProgress *p, const char *zFormat, ...);

/*
** A phase of long work: zName ("copy responses", "foreign-key check").
** Counted phases go row by row (nTotal rows, 0 if not known, counted by
** dm_progress_rows()); stepped ones object by object, where SQLite does
** the work in one statement that cannot be counted (CREATE INDEX, PRAGMA
** foreign_key_check): nItems objects of the kind zUnit names, "index" or
** "table", with nRows rows in all (0 if not known), each named as it
** starts by dm_progress_item() with its rows, which count as done when the
** next starts. A phase ends at the next one, or at dm_progress_phase_end().
*/
void dm_progress_counted(DmProgress *p, const char *zName, sqlite3_int64 nTotal);
void dm_progress_stepped(DmProgress *p, const char *zName, const char *zUnit, int nItems,
                         sqlite3_int64 nRows);
void dm_progress_rows(DmProgress *p, sqlite3_int64 nRows);
void dm_progress_item(DmProgress *p, const char *zItem, sqlite3_int64 nRows);
void dm_progress_phase_end(DmProgress *p);

#endif
