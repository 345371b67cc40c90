/*
** Constraint and DEFAULT changes by an edit of sqlite_schema (see edit.h).
*/
#include "alter/edit.h"

#include <stdarg.h>
#include <string.h>

#include "run/progress.h"
#include "sqltext/create.h"

SQLITE_EXTENSION_INIT3

/* ---- the plan ---------------------------------------------------------------- */

void dm_edit_plan_clear(DmEditPlan *p) {
  sqlite3_free(p->zWhyNot);
  sqlite3_free(sqlite3_str_finish(p->pWhat));
  for (int i = 0; i < p->nRule; i++) {
    sqlite3_free(p->aRule[i].zWhat);
    sqlite3_free(p->aRule[i].zBreaks);
  }
  sqlite3_free(p->aRule);
  for (int i = 0; i < p->nDefault; i++) {
    sqlite3_free(p->azDefCol[i]);
    sqlite3_free(p->azDefOld[i]);
  }
  sqlite3_free(p->azDefCol);
  sqlite3_free(p->azDefOld);
  memset(p, 0, sizeof(*p));
}

/* An edit cannot do it: zWhy (sqlite3_malloc'd) says why. */
static int why_not(DmEditPlan *p, char *zWhy) {
  if (!p->zWhyNot) {
    p->zWhyNot = zWhy;
  } else {
    sqlite3_free(zWhy);
  }
  return p->zWhyNot ? SQLITE_OK : SQLITE_NOMEM;
}

/* One more change for the verbose line. */
static void change(DmEditPlan *p, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  char *z = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  if (!p->pWhat) p->pWhat = sqlite3_str_new(0);
  sqlite3_str_appendf(p->pWhat, "%s%s", p->nChange++ ? ", " : "", z ? z : "");
  if (!z) sqlite3_str_appendall(p->pWhat, "\x01"); /* marks out of memory, see below */
  sqlite3_free(z);
}

/* A tightened rule: zBreaks is true for a row that breaks it. */
static int add_rule(DmEditPlan *p, char *zWhat, char *zBreaks) {
  DmEditRule *a = sqlite3_realloc64(p->aRule, sizeof(DmEditRule) * (sqlite3_uint64)(p->nRule + 1));
  if (!a || !zWhat || !zBreaks) {
    if (a) p->aRule = a;
    sqlite3_free(zWhat);
    sqlite3_free(zBreaks);
    return SQLITE_NOMEM;
  }
  p->aRule = a;
  a[p->nRule].zWhat = zWhat;
  a[p->nRule].zBreaks = zBreaks;
  p->nRule++;
  return SQLITE_OK;
}

static int add_default(DmEditPlan *p, const char *zCol, const char *zOld) {
  sqlite3_uint64 n = (sqlite3_uint64)(p->nDefault + 1);
  char **azCol = sqlite3_realloc64(p->azDefCol, sizeof(char *) * n);
  if (azCol) p->azDefCol = azCol;
  char **azOld = azCol ? sqlite3_realloc64(p->azDefOld, sizeof(char *) * n) : 0;
  if (azOld) p->azDefOld = azOld;
  if (!azCol || !azOld) return SQLITE_NOMEM;
  azCol[p->nDefault] = sqlite3_mprintf("%s", zCol);
  azOld[p->nDefault] = zOld ? sqlite3_mprintf("%s", zOld) : 0;
  p->nDefault++;
  if (!azCol[p->nDefault - 1] || (zOld && !azOld[p->nDefault - 1])) return SQLITE_NOMEM;
  return SQLITE_OK;
}

static int same_text(const char *a, const char *b) {
  return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int same_name(const char *a, const char *b) {
  return (!a && !b) || (a && b && sqlite3_stricmp(a, b) == 0);
}

static const char *collation(const char *z) { return z ? z : "binary"; }

/*
** The index that orders by column zCol of the real table, or makes the
** collation matter some other way (an expression or a partial index):
** its name in *pzIndex, or 0.
*/
static int index_using(sqlite3 *db, const char *zTable, const char *zCol, char **pzIndex) {
  sqlite3_stmt *pStmt = 0;
  *pzIndex = 0;
  int rc = sqlite3_prepare_v2(
      db,
      "SELECT l.name FROM pragma_index_list(?1, 'main') AS l, "
      "pragma_index_xinfo(l.name, 'main') AS x "
      "WHERE x.key AND (x.name = ?2 COLLATE NOCASE OR x.cid = -2 OR l.partial) LIMIT 1",
      -1, &pStmt, 0);
  if (rc) return rc;
  sqlite3_bind_text(pStmt, 1, zTable, -1, SQLITE_STATIC);
  sqlite3_bind_text(pStmt, 2, zCol, -1, SQLITE_STATIC);
  if (sqlite3_step(pStmt) == SQLITE_ROW) {
    *pzIndex = sqlite3_mprintf("%s", (const char *)sqlite3_column_text(pStmt, 0));
    if (!*pzIndex) rc = SQLITE_NOMEM;
  }
  int rc2 = sqlite3_finalize(pStmt);
  return rc ? rc : rc2;
}

/* How many triggers (main and temp) are on the real table. */
static int trigger_count(sqlite3 *db, const char *zTable, int *pn) {
  sqlite3_stmt *pStmt = 0;
  *pn = 0;
  int rc = sqlite3_prepare_v2(
      db,
      "SELECT (SELECT count(*) FROM main.sqlite_schema WHERE type = 'trigger' "
      "AND tbl_name = ?1 COLLATE NOCASE) + (SELECT count(*) FROM temp.sqlite_schema "
      "WHERE type = 'trigger' AND tbl_name = ?1 COLLATE NOCASE)",
      -1, &pStmt, 0);
  if (rc) return rc;
  sqlite3_bind_text(pStmt, 1, zTable, -1, SQLITE_STATIC);
  if (sqlite3_step(pStmt) == SQLITE_ROW) *pn = sqlite3_column_int(pStmt, 0);
  return sqlite3_finalize(pStmt);
}

/* What only a copy can change: options, columns, keys, generated columns. */
static int shape_changes(const DmSchemaTable *a, const DmSchemaTable *b, DmEditPlan *p) {
  if (a->bStrict != b->bStrict || a->bWithoutRowid != b->bWithoutRowid ||
      a->bAutoincrement != b->bAutoincrement) {
    return why_not(p, sqlite3_mprintf("the table options (STRICT, WITHOUT ROWID, "
                                      "AUTOINCREMENT) change"));
  }
  if (a->nCol != b->nCol) return why_not(p, sqlite3_mprintf("the columns change"));
  for (int i = 0; i < a->nCol; i++) {
    const DmColumn *x = &a->aCol[i], *y = &b->aCol[i];
    if (!same_name(x->zName, y->zName)) {
      return why_not(p, sqlite3_mprintf("column %s moves", y->zName));
    }
    if (x->iPk != y->iPk) return why_not(p, sqlite3_mprintf("the primary key changes"));
    if (x->eGenerated != y->eGenerated || !same_text(x->zGenNorm, y->zGenNorm) ||
        x->bHidden != y->bHidden) {
      return why_not(p, sqlite3_mprintf("generated column %s changes", y->zName));
    }
  }
  return SQLITE_OK;
}

static int same_index_col(const DmIndexCol *x, const DmIndexCol *y) {
  return same_name(x->zName, y->zName) && same_text(x->zExprNorm, y->zExprNorm) &&
         same_name(collation(x->zCollate), collation(y->zCollate)) && x->bDesc == y->bDesc;
}

static int has_unique(const DmSchemaTable *t, const DmUnique *u) {
  for (int i = 0; i < t->nUnique; i++) {
    const DmUnique *v = &t->aUnique[i];
    int bSame = v->bPrimary == u->bPrimary && v->nCol == u->nCol;
    for (int k = 0; bSame && k < u->nCol; k++) bSame = same_index_col(&v->aCol[k], &u->aCol[k]);
    if (bSame) return 1;
  }
  return 0;
}

/* UNIQUE and PRIMARY KEY constraints are indexes: a change builds one. */
static int unique_changes(const DmSchemaTable *a, const DmSchemaTable *b, DmEditPlan *p) {
  int bSame = a->nUnique == b->nUnique;
  for (int i = 0; bSame && i < b->nUnique; i++) bSame = has_unique(a, &b->aUnique[i]);
  if (bSame) return SQLITE_OK;
  return why_not(p, sqlite3_mprintf("a UNIQUE or PRIMARY KEY constraint changes, and SQLite "
                                    "builds its index only with the table"));
}

/* Column i: NOT NULL, DEFAULT, collation. *pbRecheck: every CHECK again. */
static int column_changes(sqlite3 *db, const char *zTable, const DmColumn *x,
                          const DmColumn *y, DmEditPlan *p, int *pbRecheck) {
  int rc = SQLITE_OK;
  if (!same_name(collation(x->zCollate), collation(y->zCollate))) {
    char *zIndex = 0;
    rc = index_using(db, zTable, y->zName, &zIndex);
    if (rc == SQLITE_OK && zIndex) {
      rc = why_not(p, sqlite3_mprintf("the collation of %s changes, and the index %s "
                                      "depends on it",
                                      y->zName, zIndex));
    } else if (rc == SQLITE_OK) {
      change(p, "collation of %s %s -> %s", y->zName, collation(x->zCollate),
             collation(y->zCollate));
      *pbRecheck = 1;
    }
    sqlite3_free(zIndex);
  }
  if (rc == SQLITE_OK && x->bNotNull != y->bNotNull) {
    change(p, "%s NOT NULL on %s", y->bNotNull ? "add" : "drop", y->zName);
    if (y->bNotNull) {
      rc = add_rule(p, sqlite3_mprintf("NOT NULL on %s", y->zName),
                    sqlite3_mprintf("\"%w\" IS NULL", y->zName));
    }
  }
  if (rc == SQLITE_OK && !same_text(x->zDefaultNorm, y->zDefaultNorm)) {
    change(p, "DEFAULT of %s %s -> %s", y->zName, x->zDefault ? x->zDefault : "(none)",
           y->zDefault ? y->zDefault : "(none)");
    rc = add_default(p, y->zName, x->zDefault);
  }
  return rc;
}

static int has_check(const DmSchemaTable *t, const DmCheck *c) {
  for (int i = 0; i < t->nCheck; i++) {
    if (same_name(t->aCheck[i].zName, c->zName) &&
        same_text(t->aCheck[i].zExprNorm, c->zExprNorm)) {
      return 1;
    }
  }
  return 0;
}

static char *check_label(const DmCheck *c) {
  return c->zName ? sqlite3_mprintf("CHECK %s (%s)", c->zName, c->zExpr)
                  : sqlite3_mprintf("CHECK (%s)", c->zExpr);
}

/* CHECKs: a dropped one is an edit; a new one (or all, bRecheck) a rule. */
static int check_changes(const DmSchemaTable *a, const DmSchemaTable *b, DmEditPlan *p,
                         int bRecheck) {
  int rc = SQLITE_OK;
  for (int i = 0; rc == SQLITE_OK && i < a->nCheck; i++) {
    if (has_check(b, &a->aCheck[i])) continue;
    char *z = check_label(&a->aCheck[i]);
    change(p, "drop %s", z ? z : "");
    sqlite3_free(z);
  }
  for (int i = 0; rc == SQLITE_OK && i < b->nCheck; i++) {
    int bNew = !has_check(a, &b->aCheck[i]);
    if (!bNew && !bRecheck) continue;
    char *z = check_label(&b->aCheck[i]);
    if (bNew) change(p, "add %s", z ? z : "");
    rc = add_rule(p, z, sqlite3_mprintf("NOT (%s)", b->aCheck[i].zExpr));
  }
  return rc;
}

static int same_fk(const DmForeignKey *x, const DmForeignKey *y) {
  int bSame = x->nCol == y->nCol && same_name(x->zParent, y->zParent) &&
              same_text(x->zOnDelete, y->zOnDelete) && same_text(x->zOnUpdate, y->zOnUpdate) &&
              same_text(x->zMatch, y->zMatch) && x->bDeferred == y->bDeferred;
  for (int k = 0; bSame && k < x->nCol; k++) {
    bSame = same_name(x->azFrom[k], y->azFrom[k]) && same_name(x->azTo[k], y->azTo[k]);
  }
  return bSame;
}

static int has_fk(const DmSchemaTable *t, const DmForeignKey *f) {
  for (int i = 0; i < t->nFk; i++) {
    if (same_fk(&t->aFk[i], f)) return 1;
  }
  return 0;
}

/* Foreign keys: the edit; alter.c checks the keys after it, as after any change. */
static void fk_changes(const DmSchemaTable *a, const DmSchemaTable *b, DmEditPlan *p) {
  for (int i = 0; i < a->nFk; i++) {
    if (!has_fk(b, &a->aFk[i])) change(p, "drop a foreign key to %s", a->aFk[i].zParent);
  }
  for (int i = 0; i < b->nFk; i++) {
    if (has_fk(a, &b->aFk[i])) continue;
    change(p, "add a foreign key to %s", b->aFk[i].zParent);
    p->nFkAdded++;
  }
}

int dm_edit_plan(sqlite3 *db, const char *zTable, const DmSchemaTable *pOld,
                 const DmSchemaTable *pNew, DmEditPlan *p) {
  memset(p, 0, sizeof(*p));
  int rc = shape_changes(pOld, pNew, p);
  if (rc == SQLITE_OK && !p->zWhyNot) rc = unique_changes(pOld, pNew, p);
  int bRecheck = 0;
  for (int i = 0; rc == SQLITE_OK && !p->zWhyNot && i < pNew->nCol; i++) {
    rc = column_changes(db, zTable, &pOld->aCol[i], &pNew->aCol[i], p, &bRecheck);
  }
  if (rc == SQLITE_OK && !p->zWhyNot) rc = check_changes(pOld, pNew, p, bRecheck);
  if (rc == SQLITE_OK && !p->zWhyNot) fk_changes(pOld, pNew, p);
  if (rc == SQLITE_OK && !p->zWhyNot && p->nDefault > 0) {
    int nTrigger = 0;
    rc = trigger_count(db, zTable, &nTrigger);
    if (rc == SQLITE_OK && nTrigger > 0) {
      rc = why_not(p, sqlite3_mprintf(
                          "the DEFAULT of %s changes and the table has triggers: the rows "
                          "stored before its ADD COLUMN must keep the old value, and the "
                          "UPDATE that writes it would fire them",
                          p->azDefCol[0]));
    }
  }
  if (rc == SQLITE_OK && p->pWhat) {
    const char *z = sqlite3_str_value(p->pWhat);
    if (sqlite3_str_errcode(p->pWhat) || (z && strchr(z, '\x01'))) rc = SQLITE_NOMEM;
  }
  return rc;
}

/* ---- the scan ---------------------------------------------------------------- */

/* SELECT key, breaks..., values FROM t WHERE breaks... LIMIT 10 */
static char *scan_sql(const char *zTable, int bWithoutRowid, const DmEditPlan *p,
                      const char *zValues, int bCount) {
  sqlite3_str *pStr = sqlite3_str_new(0);
  sqlite3_str_appendf(pStr, "SELECT %s", bWithoutRowid ? "NULL" : "rowid");
  for (int i = 0; i < p->nRule; i++) {
    sqlite3_str_appendf(pStr, ", coalesce(%s, 0)", p->aRule[i].zBreaks);
  }
  /* A rowid table's values are read afterwards by rowid, for the (at most
  ** ten) rows found: the scan itself reads only what the rules need, so
  ** that SQLite can answer it from an index that covers them. */
  sqlite3_str_appendf(pStr, ", %s FROM main.\"%w\" WHERE ", bWithoutRowid ? zValues : "NULL",
                      zTable);
  for (int i = 0; i < p->nRule; i++) {
    sqlite3_str_appendf(pStr, "%s(%s)", i ? " OR " : "", p->aRule[i].zBreaks);
  }
  if (bCount) sqlite3_str_appendall(pStr, " OR " DM_PROGRESS_ROW "()");
  sqlite3_str_appendall(pStr, " LIMIT 10");
  return sqlite3_str_finish(pStr);
}

/* The row's values as SQL: 'a=' || substr(quote("a"), 1, 40) || ', b=' ... */
static int values_sql(sqlite3 *db, const char *zTable, char **pz) {
  sqlite3_stmt *pStmt = 0;
  *pz = 0;
  int rc = sqlite3_prepare_v2(db,
                              "SELECT name FROM pragma_table_xinfo(?1, 'main') "
                              "WHERE hidden IN (0, 2, 3) ORDER BY cid",
                              -1, &pStmt, 0);
  if (rc) return rc;
  sqlite3_bind_text(pStmt, 1, zTable, -1, SQLITE_STATIC);
  sqlite3_str *pStr = sqlite3_str_new(0);
  int n = 0;
  while (sqlite3_step(pStmt) == SQLITE_ROW) {
    const char *zCol = (const char *)sqlite3_column_text(pStmt, 0);
    sqlite3_str_appendf(pStr, "%s'%q%q=' || substr(quote(\"%w\"), 1, 40)", n ? " || " : "",
                        n ? ", " : "", zCol ? zCol : "", zCol ? zCol : "");
    n++;
  }
  rc = sqlite3_finalize(pStmt);
  if (n == 0) sqlite3_str_appendall(pStr, "''");
  *pz = sqlite3_str_finish(pStr);
  if (rc == SQLITE_OK && !*pz) rc = SQLITE_NOMEM;
  return rc;
}

/* One offending row: "rowid 4: NOT NULL on b; b=NULL, ..." (pValues: the
** values of a rowid table's row, by rowid). */
static void scan_row(sqlite3_stmt *pStmt, sqlite3_stmt *pValues, const DmEditPlan *p,
                     int bWithoutRowid, sqlite3_str *pOut) {
  if (bWithoutRowid) {
    sqlite3_str_appendall(pOut, "\n  row: ");
  } else {
    sqlite3_str_appendf(pOut, "\n  rowid %lld: ", sqlite3_column_int64(pStmt, 0));
  }
  int nBroken = 0;
  for (int i = 0; i < p->nRule; i++) {
    if (sqlite3_column_int(pStmt, 1 + i) == 0) continue;
    sqlite3_str_appendf(pOut, "%s%s", nBroken++ ? ", " : "", p->aRule[i].zWhat);
  }
  if (pValues) {
    sqlite3_bind_int64(pValues, 1, sqlite3_column_int64(pStmt, 0));
    if (sqlite3_step(pValues) == SQLITE_ROW) {
      sqlite3_str_appendf(pOut, "; %s", (const char *)sqlite3_column_text(pValues, 0));
    }
    sqlite3_reset(pValues);
  } else {
    sqlite3_str_appendf(pOut, "; %s", (const char *)sqlite3_column_text(pStmt, 1 + p->nRule));
  }
}

int dm_edit_scan(sqlite3 *db, const char *zTable, int bWithoutRowid, const DmEditPlan *p,
                 int bCount, char **pzErr) {
  *pzErr = 0;
  if (p->nRule == 0) return SQLITE_OK;
  char *zValues = 0;
  int rc = values_sql(db, zTable, &zValues);
  char *zSql = rc == SQLITE_OK ? scan_sql(zTable, bWithoutRowid, p, zValues, bCount) : 0;
  sqlite3_stmt *pStmt = 0, *pValues = 0;
  if (rc == SQLITE_OK) rc = zSql ? sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0) : SQLITE_NOMEM;
  if (rc == SQLITE_OK && !bWithoutRowid) {
    char *zOne = sqlite3_mprintf("SELECT %s FROM main.\"%w\" WHERE rowid = ?1", zValues,
                                 zTable);
    rc = zOne ? sqlite3_prepare_v2(db, zOne, -1, &pValues, 0) : SQLITE_NOMEM;
    sqlite3_free(zOne);
  }
  sqlite3_str *pOut = sqlite3_str_new(0);
  int nRow = 0;
  while (rc == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW) {
    scan_row(pStmt, pValues, p, bWithoutRowid, pOut);
    nRow++;
  }
  int rc2 = sqlite3_finalize(pStmt);
  if (rc == SQLITE_OK) rc = rc2;
  pStmt = 0;
  sqlite3_finalize(pValues);
  char *zRows = sqlite3_str_finish(pOut);
  if (rc == SQLITE_OK && nRow > 0) {
    *pzErr = sqlite3_mprintf(
        "%s of %s break%s the new rules, so nothing was changed%s:%s\n  fix those rows "
        "in the migration before the call (UPDATE or DELETE them), or keep the old rule",
        nRow == 1 ? "a row" : "rows", zTable, nRow == 1 ? "s" : "",
        nRow == 10 ? " (the first ten)" : "", zRows ? zRows : "");
    rc = *pzErr ? SQLITE_CONSTRAINT : SQLITE_NOMEM;
  }
  sqlite3_finalize(pStmt);
  sqlite3_free(zRows);
  sqlite3_free(zSql);
  sqlite3_free(zValues);
  return rc;
}

/* ---- the DEFAULT trap -------------------------------------------------------- */

static int is_op(const char *zSql, const DmSqlToken *t, char c) {
  return t->eKind == DM_KIND_OPERATOR && t->n == 1 && zSql[t->iOff] == c;
}

/* The end of the DEFAULT expression starting at token i: one past it. */
static int default_end(const DmCreate *d, int i, int iEnd) {
  if (i >= iEnd) return i;
  if (is_op(d->zSql, &d->aTok[i], '(')) {
    int nDepth = 0;
    for (; i < iEnd; i++) {
      if (is_op(d->zSql, &d->aTok[i], '(')) nDepth++;
      if (is_op(d->zSql, &d->aTok[i], ')') && --nDepth == 0) return i + 1;
    }
    return iEnd;
  }
  if (is_op(d->zSql, &d->aTok[i], '+') || is_op(d->zSql, &d->aTok[i], '-')) i++;
  return i < iEnd ? i + 1 : iEnd;
}

/*
** Where column element e's DEFAULT expression is: its byte range [*pA,
** *pB) to replace. None: an empty range after the type (or the name), to
** insert " DEFAULT x" at.
*/
static void default_range(const DmCreate *d, const DmCreateElem *e, int *pA, int *pB,
                          int *pbInsert) {
  int nDepth = 0;
  for (int i = e->iTypeEnd; i < e->iEnd; i++) {
    const DmSqlToken *t = &d->aTok[i];
    if (is_op(d->zSql, t, '(')) nDepth++;
    if (is_op(d->zSql, t, ')')) nDepth--;
    if (nDepth == 0 && dm_token_is_word(d->zSql, t, "DEFAULT")) {
      int j = default_end(d, i + 1, e->iEnd);
      const DmSqlToken *pFirst = &d->aTok[i + 1 < e->iEnd ? i + 1 : i];
      const DmSqlToken *pLast = &d->aTok[j - 1];
      *pA = pFirst->iOff;
      *pB = pLast->iOff + pLast->n;
      *pbInsert = 0;
      return;
    }
  }
  const DmSqlToken *pAfter = &d->aTok[e->iTypeEnd > e->iFirst ? e->iTypeEnd - 1 : e->iFirst];
  *pA = *pB = pAfter->iOff + pAfter->n;
  *pbInsert = 1;
}

static int is_default_col(const DmEditPlan *p, const char *zName) {
  for (int i = 0; zName && i < p->nDefault; i++) {
    if (sqlite3_stricmp(p->azDefCol[i], zName) == 0) return 1;
  }
  return 0;
}

int dm_edit_defaults_text(const char *zSql, const DmEditPlan *p, const char *zExpr,
                          char **pzOut) {
  DmCreate d;
  char *zErr = 0;
  *pzOut = 0;
  int rc = dm_create_parse(zSql, &d, &zErr);
  sqlite3_free(zErr);
  if (rc) {
    dm_create_clear(&d);
    return rc;
  }
  sqlite3_str *pOut = sqlite3_str_new(0);
  int iDone = 0;
  for (int i = 0; i < d.nCol; i++) {
    if (!is_default_col(p, d.aElem[i].zName)) continue;
    int a, b, bInsert;
    default_range(&d, &d.aElem[i], &a, &b, &bInsert);
    sqlite3_str_append(pOut, zSql + iDone, a - iDone);
    sqlite3_str_appendf(pOut, "%s%s", bInsert ? " DEFAULT " : "", zExpr);
    iDone = b;
  }
  sqlite3_str_appendall(pOut, zSql + iDone);
  dm_create_clear(&d);
  *pzOut = sqlite3_str_finish(pOut);
  return *pzOut ? SQLITE_OK : SQLITE_NOMEM;
}

char *dm_edit_fill_sql(const char *zTable, const DmEditPlan *p, const char *zSentinel,
                       int bCount) {
  sqlite3_str *pStr = sqlite3_str_new(0);
  sqlite3_str_appendf(pStr, "UPDATE main.\"%w\" SET ", zTable);
  for (int i = 0; i < p->nDefault; i++) {
    sqlite3_str_appendf(pStr, "%s\"%w\" = CASE WHEN \"%w\" IS %s THEN (%s) ELSE \"%w\" END",
                        i ? ", " : "", p->azDefCol[i], p->azDefCol[i], zSentinel,
                        p->azDefOld[i] ? p->azDefOld[i] : "NULL", p->azDefCol[i]);
  }
  sqlite3_str_appendall(pStr, " WHERE ");
  for (int i = 0; i < p->nDefault; i++) {
    sqlite3_str_appendf(pStr, "%s\"%w\" IS %s", i ? " OR " : "", p->azDefCol[i], zSentinel);
  }
  if (bCount) sqlite3_str_appendall(pStr, " OR " DM_PROGRESS_ROW "()");
  return sqlite3_str_finish(pStr);
}
