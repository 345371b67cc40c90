/*
** migrate_sql(): the script a run would execute, in the shape of Alembic's
** offline mode, for review or for the plain sqlite3 shell:
**
**   -- distmigrate offline script: upgrade <base> -> 002_add_invalid_responses
**   -- Apply with: sqlite3 -bail DATABASE < FILE ...
**
**   PRAGMA foreign_keys = OFF;
**
**   BEGIN;
**
**   CREATE TABLE IF NOT EXISTS main.alembic_version (...);
**   CREATE TABLE IF NOT EXISTS main.distmigrate_log (...);
**
**   -- Running upgrade  -> 001_initial_schema
**
**   INSERT INTO distmigrate_log (...) VALUES (...);      the step's audit row
**   CREATE TABLE questions (...);                         the step, as written
**   ...
**   INSERT INTO alembic_version (version_num) VALUES ('001_initial_schema');
**
**   COMMIT;
**
** The script is deterministic: every value it writes is a literal, and it
** calls nothing whose result depends on where or when it runs (no 'now',
** no random()). Engines that replicate statements (rqlite) run it on each
** node, and each node must end with the same rows. So a log row's
** started_at is when the script was written, and its duration_ms is 0: a
** script cannot know when it will run, and a time asked for on each node
** would differ from node to node.
**
** How: the migrations are replayed into a private :memory: database up to
** the starting revision, and the run to the target is made there, for real,
** with an observer (DmRunOpts.xEvent) writing each statement down as it
** runs. A statement that calls into distmigrate (migrate_alter_table(), say)
** would not run in a plain shell, so what it executes is written instead,
** caught with sqlite3_trace_v2() while it runs, under a comment naming the
** call. Version rows are written as Alembic writes them.
*/
#include "ops/offline.h"

#include <string.h>

#include "ops/replay.h"
#include "run/runner.h"
#include "sqltext/sqltext.h"

SQLITE_EXTENSION_INIT3

/*
** What one migration statement ran, when it called a function that runs
** SQL of its own (migrate_alter_table(), say). The plain shell has no such
** function, so the script holds these statements instead:
**
**   - statements that write, as their text;
**   - PRAGMAs that set something and report nothing (legacy_alter_table,
**     writable_schema), which change how what follows behaves;
**   - not what a ROLLBACK TO undid: a probe inside a savepoint that is
**     then rolled back did nothing, and may even have failed on purpose;
**     SAVEPOINT and RELEASE themselves change nothing and are left out;
**   - PRAGMA schema_version = N, the bump after a writable_schema edit, is
**     written as something the shell can do (see keep_schema_bump()).
**
** A statement that writes with bound parameters cannot be written down:
** SQLite shows the values of a statement only when no other statement is
** running (sqlite3_expanded_sql() turns a nested one into comments), and
** a function's statements always run inside the migration's. Such a call
** makes migrate_sql() fail and say so. What a function does by other
** means (another connection, blob I/O), and a statement it runs that fails
** and is carried on past outside a savepoint, are not seen: a helper must
** rely on neither.
*/
typedef struct Mark Mark;
struct Mark {
  char *zName;   /* The savepoint, as written */
  int iAt;       /* Statements kept when it began */
};

typedef struct Nested Nested;
struct Nested {
  char **azStmt;   /* What is kept, each ready for the script */
  int nStmt, nStmtAlloc;
  Mark *aMark;     /* Savepoints open, innermost last */
  int nMark, nMarkAlloc;
  int bWritable;   /* The last PRAGMA writable_schema set it on */
  char *zBound;    /* A statement that wrote with bound parameters */
  int rc;          /* SQLITE_NOMEM if something was lost */
};

typedef struct Offline Offline;
struct Offline {
  const DmSet *pSet;
  DmOp eOp;
  int bFromBase;          /* Starts at base: create alembic_version */
  sqlite3_str *pOut;
  DmFlags *aCur;          /* The version as the script goes */
  DmFlags *aNext;
  sqlite3_stmt *pTop;     /* The migration statement running, or 0 */
  Nested nested;          /* What it ran, if it called a function */
  char *zRefusal;         /* Why there is no script, though the replay ran */
  char *zWrittenAt;       /* When the script was written, a quoted literal */
};

static void nested_clear(Nested *p) {
  for (int i = 0; i < p->nStmt; i++) sqlite3_free(p->azStmt[i]);
  for (int i = 0; i < p->nMark; i++) sqlite3_free(p->aMark[i].zName);
  sqlite3_free(p->zBound);
  sqlite3_free(p->azStmt);
  sqlite3_free(p->aMark);
  memset(p, 0, sizeof(*p));
}

/* Keep z (sqlite3_malloc'd, 0 if out of memory), taking ownership. */
static void nested_keep(Nested *p, char *z) {
  if (z && p->nStmt == p->nStmtAlloc) {
    int nNew = p->nStmtAlloc ? 2 * p->nStmtAlloc : 16;
    char **azNew = sqlite3_realloc64(p->azStmt, sizeof(char *) * (sqlite3_uint64)nNew);
    if (azNew) {
      p->azStmt = azNew;
      p->nStmtAlloc = nNew;
    } else {
      sqlite3_free(z);
      z = 0;
    }
  }
  if (!z) {
    p->rc = SQLITE_NOMEM;
    return;
  }
  p->azStmt[p->nStmt++] = z;
}

/* The statement z[0..n) ending in one ";" that the shell sees as the end
** (not one inside a trailing "-- comment": what ends it, whitespace,
** comments and ';', is dropped first), then a blank line. */
static int append_statement(sqlite3_str *pOut, const char *z, int n) {
  n = dm_sql_trim_end(z, n);
  char *zDone = sqlite3_mprintf("%.*s;", n, z);
  if (!zDone) return SQLITE_NOMEM;
  int bComplete = sqlite3_complete(zDone);
  sqlite3_free(zDone);
  sqlite3_str_append(pOut, z, n);
  sqlite3_str_appendall(pOut, bComplete ? ";\n\n" : "\n;\n\n");
  return SQLITE_OK;
}

/* The statement, ready for the script (append_statement's form). */
static char *statement_text(const char *z) {
  sqlite3_str *pStr = sqlite3_str_new(0);
  if (append_statement(pStr, z, (int)strlen(z)) || sqlite3_str_errcode(pStr)) {
    sqlite3_free(sqlite3_str_finish(pStr));
    return 0;
  }
  return sqlite3_str_finish(pStr);
}

/* The savepoint zName among the open ones, innermost first; -1. */
static int find_mark(const Nested *p, const char *zName) {
  for (int i = p->nMark - 1; i >= 0; i--) {
    if (sqlite3_stricmp(p->aMark[i].zName, zName) == 0) return i;
  }
  return -1;
}

static void drop_marks_from(Nested *p, int iMark) {
  while (p->nMark > iMark) sqlite3_free(p->aMark[--p->nMark].zName);
}

/*
** PRAGMA schema_version = N after a writable_schema edit, for the shell.
** N is one more than the replay database's version, not the version of
** the database the script is applied to: set there, it could even move
** the version back to a value another connection has cached its schema
** under. The shell cannot add one to it, so the script does what the bump
** is for by other means: PRAGMA writable_schema=RESET makes this
** connection read the edited schema again (without it, a later ALTER
** TABLE ADD COLUMN splices its column into the new text at the old text's
** offset), and creating and dropping a view changes schema_version, by two
** instead of one, so that other connections read it again too.
*/
static void keep_schema_bump(Nested *p, const char *zSql) {
  char *zLine = dm_sql_line(zSql, (int)strlen(zSql), 0);
  if (!zLine) {
    p->rc = SQLITE_NOMEM;
    return;
  }
  nested_keep(
      p, sqlite3_mprintf(
             "-- %s in the replay: a writable_schema edit's bump, which the\n"
             "-- shell cannot compute. Reread the schema here, and change\n"
             "-- schema_version so that other connections reread it too:\n"
             "PRAGMA writable_schema=RESET;\n\n"
             "CREATE VIEW distmigrate_schema_bump AS SELECT 1;\n\n"
             "DROP VIEW distmigrate_schema_bump;\n\n"
             "%s",
             zLine, p->bWritable ? "PRAGMA writable_schema=ON;\n\n" : ""));
  sqlite3_free(zLine);
}

/* The name the token gives, unquoted; 0 with p->rc set if out of memory. */
static char *savepoint_name(Nested *p, const DmTokenRef *pTok) {
  char *zName = dm_sql_unquote(pTok);
  if (!zName) p->rc = SQLITE_NOMEM;
  return zName;
}

/* SAVEPOINT name, z just after SAVEPOINT: a mark where it began. */
static void mark_open(Nested *p, const char *z) {
  DmTokenRef tok = dm_sql_next(&z);
  if (p->nMark == p->nMarkAlloc) {
    int nNew = p->nMarkAlloc ? 2 * p->nMarkAlloc : 8;
    Mark *aNew = sqlite3_realloc64(p->aMark, sizeof(Mark) * (sqlite3_uint64)nNew);
    if (!aNew) {
      p->rc = SQLITE_NOMEM;
      return;
    }
    p->aMark = aNew;
    p->nMarkAlloc = nNew;
  }
  p->aMark[p->nMark].zName = savepoint_name(p, &tok);
  p->aMark[p->nMark].iAt = p->nStmt;
  if (p->aMark[p->nMark].zName) p->nMark++;
}

/* RELEASE [SAVEPOINT] name, z just after RELEASE: what ran inside it stays. */
static void mark_release(Nested *p, const char *z) {
  DmTokenRef tok = dm_sql_next(&z);
  if (dm_sql_keyword_is(&tok, "SAVEPOINT")) tok = dm_sql_next(&z);
  char *zName = savepoint_name(p, &tok);
  int iMark = zName ? find_mark(p, zName) : -1;
  if (iMark >= 0) drop_marks_from(p, iMark);
  sqlite3_free(zName);
}

/* ROLLBACK [TRANSACTION] TO [SAVEPOINT] name, z just after ROLLBACK: what
** ran inside it is undone; the savepoint stays open. (A plain ROLLBACK
** would end the run.) */
static void mark_rollback(Nested *p, const char *z) {
  DmTokenRef tok = dm_sql_next(&z);
  if (dm_sql_keyword_is(&tok, "TRANSACTION")) tok = dm_sql_next(&z);
  if (!dm_sql_keyword_is(&tok, "TO")) return;
  tok = dm_sql_next(&z);
  if (dm_sql_keyword_is(&tok, "SAVEPOINT")) tok = dm_sql_next(&z);
  char *zName = savepoint_name(p, &tok);
  int iMark = zName ? find_mark(p, zName) : -1;
  sqlite3_free(zName);
  if (iMark < 0) return;
  while (p->nStmt > p->aMark[iMark].iAt) sqlite3_free(p->azStmt[--p->nStmt]);
  drop_marks_from(p, iMark + 1);
}

/*
** A PRAGMA, z just after PRAGMA: whether the script keeps it. One that
** reports something asks (the pragma_* table functions run "PRAGMA
** main.table_xinfo=t"); one that reports nothing sets. The schema_version
** bump is written as the shell can do it, and writable_schema is followed.
*/
static int pragma_is_kept(Nested *p, sqlite3_stmt *pStmt, const char *zSql, const char *z) {
  if (sqlite3_column_count(pStmt) > 0) return 0;
  DmPragma pragma;
  dm_sql_pragma(z, &pragma);
  if (dm_sql_name_is(&pragma.name, "schema_version")) {
    keep_schema_bump(p, zSql);
    return 0;
  }
  if (dm_sql_name_is(&pragma.name, "writable_schema")) {
    const DmTokenRef *pV = &pragma.value;
    p->bWritable = dm_sql_name_is(pV, "ON") || dm_sql_name_is(pV, "1") ||
                   dm_sql_name_is(pV, "TRUE") || dm_sql_name_is(pV, "YES");
  }
  return 1;
}

/* A statement that writes: its text for the script, unless it has bound
** parameters, whose values SQLite will not show (see Nested). */
static void keep_written(Nested *p, sqlite3_stmt *pStmt, const char *zSql) {
  if (sqlite3_bind_parameter_count(pStmt) > 0) {
    if (!p->zBound) {
      p->zBound = dm_sql_line(zSql, (int)strlen(zSql), 200);
      if (!p->zBound) p->rc = SQLITE_NOMEM;
    }
    return;
  }
  nested_keep(p, statement_text(zSql));
}

/* One statement that the migration statement's function started. */
static void nested_statement(Nested *p, sqlite3_stmt *pStmt, const char *zSql) {
  const char *z = zSql;
  DmTokenRef first = dm_sql_next(&z);
  if (dm_sql_keyword_is(&first, "SAVEPOINT")) {
    mark_open(p, z);
  } else if (dm_sql_keyword_is(&first, "RELEASE")) {
    mark_release(p, z);
  } else if (dm_sql_keyword_is(&first, "ROLLBACK")) {
    mark_rollback(p, z);
  } else if (dm_sql_keyword_is(&first, "PRAGMA")) {
    if (pragma_is_kept(p, pStmt, zSql, z)) keep_written(p, pStmt, zSql);
  } else if (!sqlite3_stmt_readonly(pStmt)) {
    keep_written(p, pStmt, zSql); /* Not one that reads (or BEGIN or COMMIT,
                                  ** which fail inside a run) */
  }
}

/*
** Statements started while a migration statement runs, but not it. The
** text SQLite passes for a statement starting is its SQL, after "-- " when
** it starts inside another statement, as every statement a function runs
** does; anything else is a trigger program starting ("-- TRIGGER t"),
** part of a statement already seen.
*/
static int offline_trace(unsigned uMask, void *pCtx, void *pP, void *pX) {
  (void)uMask;
  Offline *p = pCtx;
  sqlite3_stmt *pStmt = pP;
  const char *zText = pX;
  if (!p->pTop || pStmt == p->pTop || !zText) return 0;
  const char *zSql = sqlite3_sql(pStmt);
  if (!zSql) return 0;
  if (strcmp(zText, zSql) != 0 &&
      !(strncmp(zText, "-- ", 3) == 0 && strcmp(zText + 3, zSql) == 0)) {
    return 0;
  }
  nested_statement(&p->nested, pStmt, zSql);
  return 0;
}

/* The statement as written, each line a comment, zSuffix after the last. */
static void write_as_comment(sqlite3_str *pOut, const char *z, int n, const char *zSuffix) {
  while (n > 0 && (z[n - 1] == ' ' || z[n - 1] == '\t' || z[n - 1] == '\n' ||
                   z[n - 1] == '\r')) {
    n--;
  }
  int i = 0;
  while (i < n) {
    int iEnd = i;
    while (iEnd < n && z[iEnd] != '\n') iEnd++;
    int nLine = iEnd - i;
    if (nLine > 0 && z[i + nLine - 1] == '\r') nLine--;
    sqlite3_str_appendf(pOut, "-- %.*s%s", nLine, z + i, iEnd < n ? "\n" : "");
    i = iEnd + 1;
  }
  sqlite3_str_appendf(pOut, "%s\n\n", zSuffix);
}

/*
** A migration statement has run. It goes into the script as written,
** unless it called a function that ran statements of its own: then, as
** what it ran, under the statement as a comment. A statement that only
** reads, and runs nothing that writes, changes nothing: it becomes a
** comment too, as the shell may not have the function it calls
** (SELECT migrate_alter_table(...) with the table already as asked).
*/
static int write_migration_statement(Offline *p, const DmEvent *pEv) {
  Nested *pNested = &p->nested;
  if (pNested->rc) return pNested->rc;
  int bReadonly = sqlite3_stmt_readonly(pEv->pStmt);
  const char *z = pEv->zSql;
  DmTokenRef first = dm_sql_next(&z);
  int bPragma = dm_sql_keyword_is(&first, "PRAGMA");
  if (pNested->zBound) {
    char *zLine = dm_sql_line(pEv->zSql, pEv->nSql, 200);
    if (!zLine) return SQLITE_NOMEM;
    p->zRefusal = sqlite3_mprintf(
        "migrate_sql(): %s: %s ran %s with bound parameters, and SQLite shows "
        "no values of a statement run inside another, so the script cannot "
        "hold it; a function that migrations call should put its values in "
        "the SQL text (sqlite3_mprintf's %%Q)",
        pEv->zTitle, zLine, pNested->zBound);
    sqlite3_free(zLine);
    return p->zRefusal ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  if (pNested->nStmt == 0 && (!bReadonly || bPragma)) {
    return append_statement(p->pOut, pEv->zSql, pEv->nSql);
  }
  if (!bReadonly) {
    /* Its own changes and its function's cannot be told apart. */
    char *zLine = dm_sql_line(pEv->zSql, pEv->nSql, 200);
    if (!zLine) return SQLITE_NOMEM;
    p->zRefusal = sqlite3_mprintf(
        "migrate_sql(): %s: the statement %s writes and calls a function "
        "that writes too, and a script cannot hold its own changes without "
        "the call; call the function on its own, as in SELECT f(...)",
        pEv->zTitle, zLine);
    sqlite3_free(zLine);
    return p->zRefusal ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  if (pNested->nStmt == 0) {
    write_as_comment(p->pOut, pEv->zSql, pEv->nSql, " changes nothing here");
    return SQLITE_OK;
  }
  write_as_comment(p->pOut, pEv->zSql, pEv->nSql, " runs:");
  for (int k = 0; k < pNested->nStmt; k++) {
    sqlite3_str_appendall(p->pOut, pNested->azStmt[k]);
  }
  return SQLITE_OK;
}

/* The bookkeeping statement zSql (sqlite3_malloc'd, 0 if out of memory),
** ready for the script; frees it. */
static int append_bookkeeping(sqlite3_str *pOut, char *zSql) {
  if (!zSql) return SQLITE_NOMEM;
  sqlite3_str_appendf(pOut, "%s;\n\n", zSql);
  sqlite3_free(zSql);
  return SQLITE_OK;
}

/* alembic_version from aBefore to aAfter, in Alembic's own statements,
** the values written as literals where a live run binds them. */
static int write_version_rows(Offline *p, const DmFlags *aBefore, const DmFlags *aAfter) {
  const DmSet *pSet = p->pSet;
  DmRowChange *aChange = 0;
  int nChange = dm_row_changes_new(pSet, aBefore, aAfter, &aChange);
  int rc = nChange < 0 ? SQLITE_NOMEM : SQLITE_OK;
  for (int i = 0; rc == SQLITE_OK && i < nChange; i++) {
    char *zOld = aChange[i].iOld >= 0 ? sqlite3_mprintf("%Q", pSet->aRev[aChange[i].iOld].zId) : 0;
    char *zNew = aChange[i].iNew >= 0 ? sqlite3_mprintf("%Q", pSet->aRev[aChange[i].iNew].zId) : 0;
    if ((aChange[i].iOld >= 0 && !zOld) || (aChange[i].iNew >= 0 && !zNew)) {
      rc = SQLITE_NOMEM;
    } else {
      rc = append_bookkeeping(p->pOut, dm_version_row_sql("", zOld, zNew));
    }
    sqlite3_free(zOld);
    sqlite3_free(zNew);
  }
  sqlite3_free(aChange);
  return rc;
}

/* The step's log row, as a live run inserts it, started when the script
** was written and taking no time (see the top of this file). */
static int write_log_row(Offline *p, const DmEvent *pEv) {
  const DmRevision *pRev = &p->pSet->aRev[pEv->pStep->iRev];
  char *azValue[5];
  azValue[0] = sqlite3_mprintf("%Q", pRev->zId);
  azValue[1] = sqlite3_mprintf("%Q", pEv->pStep->bUp ? "upgrade" : "downgrade");
  azValue[2] = sqlite3_mprintf("%Q", pEv->zFrom[0] ? pEv->zFrom : 0);
  azValue[3] = sqlite3_mprintf("%Q", pEv->zTo[0] ? pEv->zTo : 0);
  azValue[4] = sqlite3_mprintf("%Q", pRev->zChecksum);
  int rc = SQLITE_OK;
  for (int i = 0; i < 5; i++) {
    if (!azValue[i]) rc = SQLITE_NOMEM;
  }
  if (rc == SQLITE_OK) {
    DmLogValues values = {azValue[0], azValue[1], azValue[2], azValue[3], azValue[4],
                          p->zWrittenAt, "0"};
    rc = append_bookkeeping(p->pOut, dm_log_insert_sql("", &values));
  }
  for (int i = 0; i < 5; i++) sqlite3_free(azValue[i]);
  return rc;
}

/* The script's head: what it does, how to apply it, the bookkeeping
** tables it may need. aNext becomes where it ends. */
static int write_script_start(Offline *p, const DmEvent *pEv) {
  const DmSet *pSet = p->pSet;
  memcpy(p->aNext, p->aCur, (size_t)pSet->nRev);
  for (int i = 0; i < pEv->pPlan->nStep; i++) {
    p->aNext[pEv->pPlan->aStep[i].iRev] = (DmFlags)pEv->pPlan->aStep[i].bUp;
  }
  char *zFrom = dm_describe(pSet, p->aCur, "<base>");
  char *zTo = dm_describe(pSet, p->aNext, "<base>");
  if (!zFrom || !zTo) {
    sqlite3_free(zFrom);
    sqlite3_free(zTo);
    return SQLITE_NOMEM;
  }
  sqlite3_str_appendf(
      p->pOut,
      "-- distmigrate offline script: %s %s -> %s\n"
      "-- Apply with: sqlite3 -bail DATABASE < FILE (-bail stops at the "
      "first error; the open transaction is then rolled back)\n\n"
      "PRAGMA foreign_keys = OFF;\n\n"
      "BEGIN;\n\n",
      p->eOp == DM_OP_UPGRADE ? "upgrade" : "downgrade", zFrom, zTo);
  sqlite3_free(zFrom);
  sqlite3_free(zTo);
  if (p->bFromBase) {
    sqlite3_str_appendf(p->pOut, "CREATE TABLE IF NOT EXISTS%s;\n\n",
                        DM_VERSION_TABLE_SQL + strlen("CREATE TABLE"));
  }
  if (pEv->pPlan->nStep > 0) sqlite3_str_appendf(p->pOut, "%s;\n\n", DM_LOG_TABLE_SQL);
  return SQLITE_OK;
}

/* A step begins: Alembic's line for it, and its log row. */
static int write_step_start(Offline *p, const DmEvent *pEv) {
  const DmRevision *pRev = &p->pSet->aRev[pEv->pStep->iRev];
  char *zParents = dm_parents_text(p->pSet, pEv->pStep->iRev);
  if (!zParents) return SQLITE_NOMEM;
  if (pEv->pStep->bUp) {
    sqlite3_str_appendf(p->pOut, "-- Running upgrade %s -> %s\n\n", zParents, pRev->zId);
  } else {
    sqlite3_str_appendf(p->pOut, "-- Running downgrade %s -> %s\n\n", pRev->zId, zParents);
  }
  sqlite3_free(zParents);
  return write_log_row(p, pEv);
}

/* A step is done: its version rows. */
static int write_step_done(Offline *p, const DmEvent *pEv) {
  const DmSet *pSet = p->pSet;
  memcpy(p->aNext, p->aCur, (size_t)pSet->nRev);
  p->aNext[pEv->pStep->iRev] = (DmFlags)pEv->pStep->bUp;
  int rc = write_version_rows(p, p->aCur, p->aNext);
  if (rc) return rc;
  memcpy(p->aCur, p->aNext, (size_t)pSet->nRev);
  return SQLITE_OK;
}

static int offline_event(void *pArg, const DmEvent *pEv, char **pzErr) {
  (void)pzErr;
  Offline *p = pArg;
  int rc = SQLITE_OK;
  switch (pEv->eType) {
    case DM_EVENT_START:
      rc = write_script_start(p, pEv);
      break;
    case DM_EVENT_STEP:
      rc = write_step_start(p, pEv);
      break;
    case DM_EVENT_STATEMENT:
      p->pTop = pEv->pStmt;
      nested_clear(&p->nested);
      break;
    case DM_EVENT_STATEMENT_DONE:
      p->pTop = 0;
      rc = pEv->rc ? SQLITE_OK : write_migration_statement(p, pEv);
      nested_clear(&p->nested);
      break;
    case DM_EVENT_STEP_DONE:
      if (pEv->rc == SQLITE_OK) rc = write_step_done(p, pEv);
      break;
  }
  if (rc) return rc;
  return sqlite3_str_errcode(p->pOut) ? SQLITE_NOMEM : SQLITE_OK;
}

/*
** Whether db has table zName in main (0 on any error: the caller then
** does without what the table would have given).
*/
static int has_table(sqlite3 *db, const char *zName) {
  sqlite3_stmt *pStmt = 0;
  int bHas = 0;
  if (sqlite3_prepare_v2(db,
                         "SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = ?1",
                         -1, &pStmt, 0) == SQLITE_OK) {
    sqlite3_bind_text(pStmt, 1, zName, -1, SQLITE_STATIC);
    bHas = sqlite3_step(pStmt) == SQLITE_ROW;
  }
  sqlite3_finalize(pStmt);
  return bHas;
}

/*
** Make the replay pMem behave as a run on db would: in defensive mode
** migrate_alter_table() rebuilds where it would edit sqlite_schema, and a
** rebuild moves a table's sqlite_stat1 figures along when that table
** exists (ANALYZE made it on db, not a migration; ANALYZE sqlite_schema
** only creates it).
*/
static int replay_like(sqlite3 *db, sqlite3 *pMem, char **pzErr) {
  int bDefensive = 0;
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, -1, &bDefensive);
  if (bDefensive) sqlite3_db_config(pMem, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)0);
  int rc = SQLITE_OK;
  if (has_table(db, "sqlite_stat1") && !has_table(pMem, "sqlite_stat1")) {
    rc = sqlite3_exec(pMem, "ANALYZE main.sqlite_schema", 0, 0, 0);
    if (rc) *pzErr = sqlite3_mprintf("migrate_sql(): %s", sqlite3_errmsg(pMem));
  }
  return rc;
}

/*
** Now, by SQLite's clock, as the quoted literal a log row's started_at
** holds, into *pzAt.
*/
static int written_at(sqlite3 *pMem, char **pzAt, char **pzErr) {
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(pMem, "SELECT quote(strftime('%Y-%m-%d %H:%M:%f', 'now'))", -1,
                              &pStmt, 0);
  if (rc == SQLITE_OK) rc = sqlite3_step(pStmt);
  if (rc == SQLITE_ROW) {
    *pzAt = sqlite3_mprintf("%s", (const char *)sqlite3_column_text(pStmt, 0));
    rc = *pzAt ? SQLITE_OK : SQLITE_NOMEM;
  } else if (rc != SQLITE_NOMEM) {
    *pzErr = sqlite3_mprintf("migrate_sql(): %s", sqlite3_errmsg(pMem));
  }
  sqlite3_finalize(pStmt);
  return rc;
}

/*
** The run to zTarget in the replay pMem, written down by offline_event()
** into *pzScript, or why there is none in *pzErr.
*/
static int write_script(Offline *pSt, sqlite3 *pMem, DmConn *pConn, const char *zTarget,
                        char **pzScript, char **pzErr) {
  char *zResult = 0;
  char *zRunErr = 0;
  pSt->pOut = sqlite3_str_new(0);
  sqlite3_trace_v2(pMem, SQLITE_TRACE_STMT, offline_trace, pSt);
  DmRunOpts opts;
  memset(&opts, 0, sizeof(opts));
  opts.bQuiet = 1;
  opts.xEvent = offline_event;
  opts.pArg = pSt;
  int rc = dm_replay_enter(&zRunErr);
  if (rc == SQLITE_OK) {
    rc = dm_run_ex(pMem, pConn, pSt->pSet, pSt->eOp, zTarget, 0, &opts, &zResult, &zRunErr);
    dm_replay_leave();
  }
  if (rc && pSt->zRefusal) {
    *pzErr = pSt->zRefusal;
    pSt->zRefusal = 0;
  } else if (rc && rc != SQLITE_NOMEM) {
    *pzErr = sqlite3_mprintf(
        "migrate_sql(): the migrations fail when replayed into an in-memory "
        "database, so there is no script to give: %s",
        zRunErr ? zRunErr : "out of memory");
  }
  sqlite3_str_appendall(pSt->pOut, "COMMIT;\n");
  if (rc == SQLITE_OK && sqlite3_str_errcode(pSt->pOut)) rc = SQLITE_NOMEM;
  char *zScript = sqlite3_str_finish(pSt->pOut);
  if (rc == SQLITE_OK) {
    *pzScript = zScript;
  } else {
    sqlite3_free(zScript);
  }
  sqlite3_free(zResult);
  sqlite3_free(zRunErr);
  return rc;
}

int dm_offline_script(sqlite3 *db, const DmSet *pSet, const DmFlags *aFrom,
                      const char *zTarget, char **pzScript, char **pzErr) {
  int n = pSet->nRev;
  sqlite3 *pMem = 0;
  DmConn *pConn = 0;
  Offline st;
  memset(&st, 0, sizeof(st));
  st.pSet = pSet;
  *pzScript = 0;
  DmFlags *aAll = sqlite3_malloc64((sqlite3_uint64)(3 * n + 3));
  if (!aAll) return SQLITE_NOMEM;
  st.aCur = aAll;
  st.aNext = aAll + n + 1;
  memcpy(st.aCur, aFrom, (size_t)n);
  st.bFromBase = 1;
  for (int i = 0; i < n; i++) {
    if (aFrom[i]) st.bFromBase = 0;
  }

  /* Resolve first, so that a bad target is refused before any replay. */
  int rc = dm_resolve_either(pSet, aFrom, zTarget, &st.eOp, aAll + 2 * n + 2, pzErr);
  if (rc == SQLITE_OK) rc = dm_replay(pSet, aFrom, &pMem, &pConn, pzErr);
  if (rc == SQLITE_OK && db) rc = replay_like(db, pMem, pzErr);
  if (rc == SQLITE_OK) rc = written_at(pMem, &st.zWrittenAt, pzErr);
  if (rc == SQLITE_OK) {
    rc = write_script(&st, pMem, pConn, zTarget, pzScript, pzErr);
    nested_clear(&st.nested);
    sqlite3_free(st.zRefusal);
  }
  sqlite3_free(st.zWrittenAt);
  sqlite3_close(pMem);
  sqlite3_free(aAll);
  return rc;
}

int dm_offline_script_from(sqlite3 *db, const DmSet *pSet, const char *zFrom,
                           const char *zTarget, char **pzScript, char **pzErr) {
  int nRow = 0;
  char **azRow = 0;
  DmFlags *aAll = sqlite3_malloc64((sqlite3_uint64)(2 * pSet->nRev + 2));
  DmFlags *aFrom = aAll;
  int rc = aAll ? SQLITE_OK : SQLITE_NOMEM;
  if (rc == SQLITE_OK && !zFrom) {
    /* From where this database is. */
    rc = dm_read_version(db, &nRow, &azRow, pzErr);
    if (rc == SQLITE_OK) {
      rc = dm_applied_from_rows(pSet, nRow, (const char *const *)azRow, aFrom, pzErr);
    }
  } else if (rc == SQLITE_OK) {
    /* From a named revision: what stamping it would say is applied. */
    DmFlags *aNone = aAll + pSet->nRev + 1;
    memset(aNone, 0, (size_t)pSet->nRev);
    rc = dm_resolve(pSet, aNone, DM_OP_STAMP, zFrom, aFrom, pzErr);
  }
  if (rc == SQLITE_OK) rc = dm_offline_script(db, pSet, aFrom, zTarget, pzScript, pzErr);
  sqlite3_free(azRow);
  sqlite3_free(aAll);
  return rc;
}
