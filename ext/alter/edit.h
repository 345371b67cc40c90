/*
** Constraint and DEFAULT changes by an edit of sqlite_schema, the physical
** floor SQLite documents (lang_altertable.html, "Making Other Kinds Of
** Table Schema Changes"): what was stored stays valid under a looser rule,
** so dropping NOT NULL, a CHECK or a foreign key, and a collation no index
** orders by, is the edit alone; a tighter rule (NOT NULL, a new or changed
** CHECK) is the edit after one read of the table that finds no row
** breaking it. A foreign key added or changed is checked as after any
** change (alter.c's check of the keys, when the caller has them on).
**
** The trap: a row stored before an ALTER TABLE ADD COLUMN does not hold
** that column; SQLite reads it with the DEFAULT the schema says now. So a
** new DEFAULT would silently change such rows. Before the final edit the
** DEFAULT is pointed at a sentinel no row holds, the rows that read it are
** given the old DEFAULT's value, and only they are written.
**
** Internal to alter/: alter.c plans with dm_edit_plan() on models of its
** scratch copies and runs the steps below on the real table.
*/
#ifndef DM_ALTER_EDIT_H
#define DM_ALTER_EDIT_H

#include "schema/model.h"
#include "sqlite3ext.h"

/* One tightened rule, checked by the scan. */
typedef struct DmEditRule DmEditRule;
struct DmEditRule {
  char *zWhat;     /* "NOT NULL on reasoning", "CHECK (length(x) > 0)" */
  char *zBreaks;   /* SQL true for a row that breaks it: "\"reasoning\" IS NULL" */
};

typedef struct DmEditPlan DmEditPlan;
struct DmEditPlan {
  char *zWhyNot;       /* An edit cannot make the change (new rows on disk
                       ** are needed): why; 0 if it can */
  int nChange;         /* Changes the edit makes (0: none beyond types) */
  sqlite3_str *pWhat;  /* Them, for the verbose line: "drop NOT NULL on a, ..." */
  int nRule;           /* Tightened rules: the scan checks them */
  DmEditRule *aRule;
  int nFkAdded;        /* Foreign keys added or changed: alter.c checks the
                       ** table's keys after the edit, as after a rebuild */
  int nDefault;        /* Columns whose DEFAULT changes */
  char **azDefCol;     /*   their names */
  char **azDefOld;     /*   the old DEFAULT, as written (0: none, NULL) */
};

/*
** What an edit of table zTable would have to do to turn pOld (the table
** after the plan's ALTER TABLE statements, on the scratch copy) into pNew
** (the statement, on its own scratch copy). Declared types are left to
** alter.c (their affinity decides). db is the real database, asked which
** indexes and triggers the table has. SQLITE_OK (p->zWhyNot set when an
** edit cannot do it) or SQLITE_NOMEM; clear p with dm_edit_plan_clear().
*/
int dm_edit_plan(sqlite3 *db, const char *zTable, const DmSchemaTable *pOld,
                 const DmSchemaTable *pNew, DmEditPlan *p);
void dm_edit_plan_clear(DmEditPlan *p);

/*
** The scan: one read of the table that stops at the tenth row breaking a
** tightened rule. SQLITE_OK if none does; otherwise SQLITE_CONSTRAINT and
** *pzErr naming the table, each rule a row breaks and the rows (rowid and
** values, at most ten). No rule: SQLITE_OK at once. bCount: each row read
** is counted for the progress lines (DM_PROGRESS_ROW), which makes the
** read go through every row, where an index might have found the few.
*/
int dm_edit_scan(sqlite3 *db, const char *zTable, int bWithoutRowid, const DmEditPlan *p,
                 int bCount, char **pzErr);

/*
** zSql (a CREATE TABLE) with the DEFAULT of each column of p->azDefCol
** set to zExpr; sqlite3_malloc'd into *pzOut. SQLITE_OK, SQLITE_NOMEM, or
** SQLITE_ERROR if the text is not one dm_create_parse() reads.
*/
int dm_edit_defaults_text(const char *zSql, const DmEditPlan *p, const char *zExpr,
                          char **pzOut);

/*
** The trap's repair, once the table's DEFAULTs point at zSentinel (an
** expression no stored value equals): an UPDATE that gives each row reading
** zSentinel in a column of p->azDefCol that column's old DEFAULT (NULL if
** none), and writes only those rows; bCount as for dm_edit_scan().
** sqlite3_malloc'd; 0 on OOM.
*/
char *dm_edit_fill_sql(const char *zTable, const DmEditPlan *p, const char *zSentinel,
                       int bCount);

#endif
