/*
** The differences between two models, one line each (dm_schema_compare,
** see model.h). With E and A the two sides' names ("the migrations", "the
** database"), the lines read:
**
**   table t: in E, not in A                 (and: in A, not in E)
**   table t: STRICT in E, not STRICT in A
**   table t: WITHOUT ROWID in E, a rowid table in A
**   table t: AUTOINCREMENT in E, no AUTOINCREMENT in A
**   table t: virtual (USING fts5) in E, an ordinary table in A
**   table t: USING fts5(a, b) in E, USING fts5(a) in A
**   t.c: in E, not in A
**   t.c: type VARCHAR(255) in E, TEXT in A
**   t.c: NOT NULL in E, nullable in A
**   t.c: DEFAULT '{}' in E, no DEFAULT in A
**   t.c: COLLATE nocase in E, COLLATE binary in A
**   t.c: PRIMARY KEY column 1 in E, not in the PRIMARY KEY in A
**   t.c: generated AS (n * 2) VIRTUAL in E, not generated in A
**   t.c: hidden in E, not hidden in A
**   table t: columns in the order a, b in E, b, a in A
**   table t: CHECK (n > 0) in E, not in A
**   table t: CHECK name_len (length(name) > 0) in E, (length(name) > 1) in A
**   table t: CHECK (n > 0) named n_pos in E, unnamed in A
**   table t: UNIQUE (a, b COLLATE nocase) in E, not in A
**   table t: PRIMARY KEY (a, b DESC) in E, (a, b) in A
**   table t: FOREIGN KEY (pid) REFERENCES parent (id) in E, not in A
**   table t: FOREIGN KEY (pid) ON DELETE CASCADE in E, ON DELETE NO ACTION in A
**   table t: FOREIGN KEY (pid) REFERENCES parent (id) in E, REFERENCES other (id) in A
**   table t: FOREIGN KEY (pid) DEFERRABLE INITIALLY DEFERRED in E, not deferred in A
**   index i: in E, not in A
**   index i: on t in E, on u in A
**   index i: UNIQUE in E, not UNIQUE in A
**   index i: columns (a, lower ( b ) DESC) in E, (a) in A
**   index i: WHERE n > 0 in E, no WHERE in A
**   view v: CREATE VIEW v AS SELECT a FROM t in E, CREATE VIEW v AS SELECT b FROM t in A
**   trigger tr: (the same, its whole statement)
**
** CHECKs, views and triggers are compared in normal form and shown as
** written, on one line; the other expressions (index keys and WHERE,
** generated columns) are shown in the normal form that was compared. Constraints are matched without
** regard to order: CHECKs by name, then by expression; UNIQUEs by their
** key; foreign keys by their child columns. A PRIMARY KEY is compared on
** its columns (each column's line) and, when those agree, on its
** collations and orders.
*/
#include <string.h>

#include "schema/schema_int.h"
#include "sqltext/sqltext.h"

SQLITE_EXTENSION_INIT3

typedef struct Cmp Cmp;
struct Cmp {
  const char *zE;  /* The expected side's name */
  const char *zA;
  const DmSchema *pE;
  const DmSchema *pA;
  int (*xLine)(void *, const char *, const char *, const char *);
  void *pArg;
};

/* zObject's line zLine (taken; 0 is out of memory) to the caller. */
static int emit(Cmp *c, const char *zKind, const char *zObject, char *zLine) {
  if (!zLine) return SQLITE_NOMEM;
  int rc = c->xLine(c->pArg, zObject, zKind, zLine);
  sqlite3_free(zLine);
  return rc;
}

/* "label: what E in E, what A in A". */
static int emit_pair(Cmp *c, const char *zKind, const char *zObject, const char *zLabel,
                     const char *zWhatE, const char *zWhatA) {
  return emit(c, zKind, zObject,
              sqlite3_mprintf("%s: %s in %s, %s in %s", zLabel, zWhatE, c->zE, zWhatA, c->zA));
}

/* "label: what in E, not in A", or the other way round when bActual;
** zWhat taken (0: out of memory; "" for none). */
static int emit_only(Cmp *c, const char *zKind, const char *zObject, const char *zLabel,
                     char *zWhat, int bActual) {
  if (!zWhat) return SQLITE_NOMEM;
  int rc = emit(c, zKind, zObject,
                sqlite3_mprintf("%s: %s%sin %s, not in %s", zLabel, zWhat, zWhat[0] ? " " : "",
                                bActual ? c->zA : c->zE, bActual ? c->zE : c->zA));
  sqlite3_free(zWhat);
  return rc;
}

/* Like emit_pair, zWhatE and zWhatA taken (0: out of memory). */
static int emit_pair_owned(Cmp *c, const char *zKind, const char *zObject, const char *zLabel,
                           char *zWhatE, char *zWhatA) {
  int rc = zWhatE && zWhatA ? emit_pair(c, zKind, zObject, zLabel, zWhatE, zWhatA) : SQLITE_NOMEM;
  sqlite3_free(zWhatE);
  sqlite3_free(zWhatA);
  return rc;
}

static int str_eq(const char *a, const char *b) {
  return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int name_eq(const char *a, const char *b) {
  return (!a && !b) || (a && b && sqlite3_stricmp(a, b) == 0);
}

/* sqlite3_str's text, or 0 after an allocation failed. */
static char *str_finish(sqlite3_str *p) {
  int rc = sqlite3_str_errcode(p);
  char *z = sqlite3_str_finish(p);
  if (rc != SQLITE_OK) {
    sqlite3_free(z);
    return 0;
  }
  return z ? z : sqlite3_mprintf("");
}

/* ---- columns --------------------------------------------------------------- */

static const char *collate_of(const DmColumn *p) {
  return p->zCollate ? p->zCollate : "binary";
}

static char *pk_text(const DmColumn *p) {
  return p->iPk ? sqlite3_mprintf("PRIMARY KEY column %d", p->iPk)
                : sqlite3_mprintf("not in the PRIMARY KEY");
}

static char *default_text(const DmColumn *p) {
  return p->zDefault ? sqlite3_mprintf("DEFAULT %s", p->zDefault) : sqlite3_mprintf("no DEFAULT");
}

static char *generated_text(const DmColumn *p) {
  if (p->eGenerated == DM_GEN_NONE) return sqlite3_mprintf("not generated");
  return sqlite3_mprintf("generated AS (%s) %s", p->zGenNorm ? p->zGenNorm : "",
                         p->eGenerated == DM_GEN_STORED ? "STORED" : "VIRTUAL");
}

static char *type_text(const DmColumn *p) {
  return p->zTypeNorm[0] ? sqlite3_mprintf("type %s", p->zTypeNorm) : sqlite3_mprintf("no type");
}

/* A column both sides have: each property that differs, one line each. */
static int compare_column(Cmp *c, const char *zTable, const DmColumn *e, const DmColumn *a) {
  char *zLabel = sqlite3_mprintf("%s.%s", zTable, e->zName);
  if (!zLabel) return SQLITE_NOMEM;
  int rc = SQLITE_OK;
  if (strcmp(e->zTypeNorm, a->zTypeNorm) != 0) {
    rc = emit_pair_owned(c, "table", zTable, zLabel, type_text(e), type_text(a));
  }
  if (rc == SQLITE_OK && e->bNotNull != a->bNotNull) {
    rc = emit_pair(c, "table", zTable, zLabel, e->bNotNull ? "NOT NULL" : "nullable",
                   a->bNotNull ? "NOT NULL" : "nullable");
  }
  if (rc == SQLITE_OK && !str_eq(e->zDefaultNorm, a->zDefaultNorm)) {
    rc = emit_pair_owned(c, "table", zTable, zLabel, default_text(e), default_text(a));
  }
  if (rc == SQLITE_OK && sqlite3_stricmp(collate_of(e), collate_of(a)) != 0) {
    rc = emit_pair_owned(c, "table", zTable, zLabel, sqlite3_mprintf("COLLATE %s", collate_of(e)),
                         sqlite3_mprintf("COLLATE %s", collate_of(a)));
  }
  if (rc == SQLITE_OK && e->iPk != a->iPk) {
    rc = emit_pair_owned(c, "table", zTable, zLabel, pk_text(e), pk_text(a));
  }
  if (rc == SQLITE_OK && (e->eGenerated != a->eGenerated || !str_eq(e->zGenNorm, a->zGenNorm))) {
    rc = emit_pair_owned(c, "table", zTable, zLabel, generated_text(e), generated_text(a));
  }
  if (rc == SQLITE_OK && e->bHidden != a->bHidden) {
    rc = emit_pair(c, "table", zTable, zLabel, e->bHidden ? "hidden" : "not hidden",
                   a->bHidden ? "hidden" : "not hidden");
  }
  sqlite3_free(zLabel);
  return rc;
}

/* The columns of p that q has too, in p's order: "a, b, c". */
static char *common_order(const DmSchemaTable *p, const DmSchemaTable *q) {
  sqlite3_str *pStr = sqlite3_str_new(0);
  int n = 0;
  for (int i = 0; i < p->nCol; i++) {
    if (!dm_schema_column(q, p->aCol[i].zName)) continue;
    sqlite3_str_appendf(pStr, "%s%s", n++ ? ", " : "", p->aCol[i].zName);
  }
  return str_finish(pStr);
}

static int compare_columns(Cmp *c, const DmSchemaTable *e, const DmSchemaTable *a) {
  int rc = SQLITE_OK;
  for (int i = 0; rc == SQLITE_OK && i < e->nCol; i++) {
    const DmColumn *pA = dm_schema_column(a, e->aCol[i].zName);
    if (pA) {
      rc = compare_column(c, e->zName, &e->aCol[i], pA);
    } else {
      char *zLabel = sqlite3_mprintf("%s.%s", e->zName, e->aCol[i].zName);
      rc = zLabel ? emit_only(c, "table", e->zName, zLabel, sqlite3_mprintf(""), 0) : SQLITE_NOMEM;
      sqlite3_free(zLabel);
    }
  }
  for (int i = 0; rc == SQLITE_OK && i < a->nCol; i++) {
    if (dm_schema_column(e, a->aCol[i].zName)) continue;
    char *zLabel = sqlite3_mprintf("%s.%s", e->zName, a->aCol[i].zName);
    rc = zLabel ? emit_only(c, "table", e->zName, zLabel, sqlite3_mprintf(""), 1) : SQLITE_NOMEM;
    sqlite3_free(zLabel);
  }
  char *zOrderE = rc == SQLITE_OK ? common_order(e, a) : 0;
  char *zOrderA = rc == SQLITE_OK ? common_order(a, e) : 0;
  if (rc == SQLITE_OK && (!zOrderE || !zOrderA)) rc = SQLITE_NOMEM;
  if (rc == SQLITE_OK && sqlite3_stricmp(zOrderE, zOrderA) != 0) {
    char *zLabel = sqlite3_mprintf("table %s", e->zName);
    rc = emit_pair_owned(c, "table", e->zName, zLabel ? zLabel : "",
                         sqlite3_mprintf("columns in the order %s", zOrderE),
                         zLabel ? sqlite3_mprintf("%s", zOrderA) : 0);
    sqlite3_free(zLabel);
  }
  sqlite3_free(zOrderE);
  sqlite3_free(zOrderA);
  return rc;
}

/* ---- CHECK constraints ------------------------------------------------------ */

static char *check_text(const DmCheck *p) {
  return p->zName ? sqlite3_mprintf("CHECK %s (%s)", p->zName, p->zExpr)
                  : sqlite3_mprintf("CHECK (%s)", p->zExpr);
}

/* CHECK e matched to CHECK a in pass 0 (by name) or 1 (by expression):
** the line for what still differs, if anything does. */
static int compare_check(Cmp *c, const char *zTable, const char *zLabel, int pass,
                         const DmCheck *e, const DmCheck *a) {
  if (pass == 0 && strcmp(e->zExprNorm, a->zExprNorm) != 0) {
    return emit_pair_owned(c, "table", zTable, zLabel, check_text(e),
                           sqlite3_mprintf("(%s)", a->zExpr));
  }
  if (pass == 1 && !name_eq(e->zName, a->zName)) {
    char *zE = e->zName ? sqlite3_mprintf("CHECK (%s) named %s", e->zExpr, e->zName)
                        : sqlite3_mprintf("CHECK (%s) unnamed", e->zExpr);
    char *zA = a->zName ? sqlite3_mprintf("named %s", a->zName) : sqlite3_mprintf("unnamed");
    return emit_pair_owned(c, "table", zTable, zLabel, zE, zA);
  }
  return SQLITE_OK;
}

/* Pass 0 matches CHECKs by name, pass 1 by expression; aUsedE and aUsedA
** mark what is matched. */
static int match_checks(Cmp *c, const char *zLabel, int pass, const DmSchemaTable *e,
                        const DmSchemaTable *a, char *aUsedE, char *aUsedA) {
  int rc = SQLITE_OK;
  for (int i = 0; rc == SQLITE_OK && i < e->nCheck; i++) {
    const DmCheck *pE = &e->aCheck[i];
    for (int j = 0; rc == SQLITE_OK && !aUsedE[i] && j < a->nCheck; j++) {
      const DmCheck *pA = &a->aCheck[j];
      int bMatch = pass == 0 ? pE->zName && pA->zName && sqlite3_stricmp(pE->zName, pA->zName) == 0
                             : strcmp(pE->zExprNorm, pA->zExprNorm) == 0;
      if (aUsedA[j] || !bMatch) continue;
      aUsedE[i] = aUsedA[j] = 1;
      rc = compare_check(c, e->zName, zLabel, pass, pE, pA);
    }
  }
  return rc;
}

/*
** The CHECKs, matched by name first (a named one whose expression differs
** is one line), then by expression (a name given or dropped is one line),
** then what is left on either side.
*/
static int compare_checks(Cmp *c, const char *zLabel, const DmSchemaTable *e,
                          const DmSchemaTable *a) {
  char *aUsedE = sqlite3_malloc64((sqlite3_uint64)(e->nCheck + a->nCheck) + 1);
  if (!aUsedE) return SQLITE_NOMEM;
  memset(aUsedE, 0, (size_t)(e->nCheck + a->nCheck) + 1);
  char *aUsedA = aUsedE + e->nCheck;
  int rc = match_checks(c, zLabel, 0, e, a, aUsedE, aUsedA);
  if (rc == SQLITE_OK) rc = match_checks(c, zLabel, 1, e, a, aUsedE, aUsedA);
  for (int i = 0; rc == SQLITE_OK && i < e->nCheck; i++) {
    if (!aUsedE[i]) rc = emit_only(c, "table", e->zName, zLabel, check_text(&e->aCheck[i]), 0);
  }
  for (int j = 0; rc == SQLITE_OK && j < a->nCheck; j++) {
    if (!aUsedA[j]) rc = emit_only(c, "table", e->zName, zLabel, check_text(&a->aCheck[j]), 1);
  }
  sqlite3_free(aUsedE);
  return rc;
}

/* ---- UNIQUE and PRIMARY KEY ------------------------------------------------- */

/* "(a, lower ( b ) COLLATE nocase DESC)": what a key compares. */
static char *key_text(const DmIndexCol *a, int n) {
  sqlite3_str *p = sqlite3_str_new(0);
  sqlite3_str_appendchar(p, 1, '(');
  for (int i = 0; i < n; i++) {
    sqlite3_str_appendf(p, "%s%s", i ? ", " : "", a[i].zName ? a[i].zName : a[i].zExprNorm);
    if (a[i].zCollate && sqlite3_stricmp(a[i].zCollate, "binary") != 0) {
      sqlite3_str_appendf(p, " COLLATE %s", a[i].zCollate);
    }
    if (a[i].bDesc) sqlite3_str_appendall(p, " DESC");
  }
  sqlite3_str_appendchar(p, 1, ')');
  return str_finish(p);
}

static const DmUnique *primary_of(const DmSchemaTable *t) {
  for (int i = 0; i < t->nUnique; i++) {
    if (t->aUnique[i].bPrimary) return &t->aUnique[i];
  }
  return 0;
}

/* The PRIMARY KEYs' collations and orders, when their columns agree (the
** columns' own lines say when they do not). */
static int compare_primary(Cmp *c, const char *zLabel, const DmSchemaTable *e,
                           const DmSchemaTable *a) {
  const DmUnique *pE = primary_of(e), *pA = primary_of(a);
  if (!pE || !pA || pE->nCol != pA->nCol) return SQLITE_OK;
  for (int i = 0; i < pE->nCol; i++) {
    if (!name_eq(pE->aCol[i].zName, pA->aCol[i].zName)) return SQLITE_OK;
  }
  char *zE = key_text(pE->aCol, pE->nCol), *zA = key_text(pA->aCol, pA->nCol);
  int rc = zE && zA ? SQLITE_OK : SQLITE_NOMEM;
  if (rc == SQLITE_OK && sqlite3_stricmp(zE, zA) != 0) {
    rc = emit_pair_owned(c, "table", e->zName, zLabel, sqlite3_mprintf("PRIMARY KEY %s", zE),
                         sqlite3_mprintf("%s", zA));
  }
  sqlite3_free(zE);
  sqlite3_free(zA);
  return rc;
}

/* The UNIQUE constraints of p that q lacks (matched by key, each once). */
static int uniques_only(Cmp *c, const char *zLabel, const DmSchemaTable *p,
                        const DmSchemaTable *q, int bActual) {
  char *aUsed = sqlite3_malloc64((sqlite3_uint64)q->nUnique + 1);
  if (!aUsed) return SQLITE_NOMEM;
  memset(aUsed, 0, (size_t)q->nUnique + 1);
  int rc = SQLITE_OK;
  for (int i = 0; rc == SQLITE_OK && i < p->nUnique; i++) {
    if (p->aUnique[i].bPrimary) continue;
    char *zKey = key_text(p->aUnique[i].aCol, p->aUnique[i].nCol);
    int bFound = 0;
    for (int j = 0; zKey && !bFound && j < q->nUnique; j++) {
      if (aUsed[j] || q->aUnique[j].bPrimary) continue;
      char *zOther = key_text(q->aUnique[j].aCol, q->aUnique[j].nCol);
      if (!zOther) rc = SQLITE_NOMEM;
      bFound = aUsed[j] = zOther && sqlite3_stricmp(zKey, zOther) == 0;
      sqlite3_free(zOther);
    }
    if (!zKey) rc = SQLITE_NOMEM;
    if (rc == SQLITE_OK && !bFound) {
      rc = emit_only(c, "table", p->zName, zLabel, sqlite3_mprintf("UNIQUE %s", zKey), bActual);
    }
    sqlite3_free(zKey);
  }
  sqlite3_free(aUsed);
  return rc;
}

/* ---- foreign keys ------------------------------------------------------------ */

/* "a, b": the child's columns. */
static char *fk_from(const DmForeignKey *f) {
  sqlite3_str *p = sqlite3_str_new(0);
  for (int i = 0; i < f->nCol; i++) sqlite3_str_appendf(p, "%s%s", i ? ", " : "", f->azFrom[i]);
  return str_finish(p);
}

/* "parent (id)": a key that names no parent columns means the parent's
** primary key, named here from the same model when it has the parent. */
static char *fk_target(const DmSchema *pSchema, const DmForeignKey *f) {
  const DmSchemaTable *pParent = dm_schema_table(pSchema, f->zParent);
  sqlite3_str *p = sqlite3_str_new(0);
  sqlite3_str_appendf(p, "%s (", f->zParent);
  for (int i = 0; i < f->nCol; i++) {
    const char *zTo = f->azTo[i];
    for (int k = 0; !zTo && pParent && k < pParent->nCol; k++) {
      if (pParent->aCol[k].iPk == i + 1) zTo = pParent->aCol[k].zName;
    }
    sqlite3_str_appendf(p, "%s%s", i ? ", " : "", zTo ? zTo : "PRIMARY KEY");
  }
  sqlite3_str_appendchar(p, 1, ')');
  return str_finish(p);
}

/* "label: FOREIGN KEY (from) zWhat in E, zOther in A", the two owned. */
static int emit_fk(Cmp *c, const char *zTable, const char *zLabel, const char *zFrom, char *zWhatE,
                   char *zWhatA) {
  char *zE = zWhatE ? sqlite3_mprintf("FOREIGN KEY (%s) %s", zFrom, zWhatE) : 0;
  sqlite3_free(zWhatE);
  return emit_pair_owned(c, "table", zTable, zLabel, zE, zWhatA);
}

/* Two keys on the same child columns: parent, actions, deferral. */
static int compare_fk(Cmp *c, const char *zTable, const char *zLabel, const DmForeignKey *e,
                      const DmForeignKey *a) {
  char *zFrom = fk_from(e);
  char *zTargetE = fk_target(c->pE, e), *zTargetA = fk_target(c->pA, a);
  int rc = zFrom && zTargetE && zTargetA ? SQLITE_OK : SQLITE_NOMEM;
  if (rc == SQLITE_OK && sqlite3_stricmp(zTargetE, zTargetA) != 0) {
    rc = emit_fk(c, zTable, zLabel, zFrom, sqlite3_mprintf("REFERENCES %s", zTargetE),
                 sqlite3_mprintf("REFERENCES %s", zTargetA));
  }
  if (rc == SQLITE_OK && !str_eq(e->zOnDelete, a->zOnDelete)) {
    rc = emit_fk(c, zTable, zLabel, zFrom, sqlite3_mprintf("ON DELETE %s", e->zOnDelete),
                 sqlite3_mprintf("ON DELETE %s", a->zOnDelete));
  }
  if (rc == SQLITE_OK && !str_eq(e->zOnUpdate, a->zOnUpdate)) {
    rc = emit_fk(c, zTable, zLabel, zFrom, sqlite3_mprintf("ON UPDATE %s", e->zOnUpdate),
                 sqlite3_mprintf("ON UPDATE %s", a->zOnUpdate));
  }
  if (rc == SQLITE_OK && e->bDeferred != a->bDeferred) {
    const char *zD = "DEFERRABLE INITIALLY DEFERRED", *zN = "not deferred";
    rc = emit_fk(c, zTable, zLabel, zFrom, sqlite3_mprintf("%s", e->bDeferred ? zD : zN),
                 sqlite3_mprintf("%s", a->bDeferred ? zD : zN));
  }
  sqlite3_free(zFrom);
  sqlite3_free(zTargetE);
  sqlite3_free(zTargetA);
  return rc;
}

/* The index in a->aFk of the first key not yet used on f's child columns. */
static int fk_match(const DmForeignKey *f, const DmSchemaTable *a, const char *aUsed) {
  for (int j = 0; j < a->nFk; j++) {
    const DmForeignKey *g = &a->aFk[j];
    int bSame = !aUsed[j] && g->nCol == f->nCol;
    for (int k = 0; bSame && k < f->nCol; k++) bSame = name_eq(f->azFrom[k], g->azFrom[k]);
    if (bSame) return j;
  }
  return -1;
}

/* A key on one side only, with its actions when they are not the default. */
static int fk_only(Cmp *c, const char *zLabel, const char *zTable, const DmForeignKey *f,
                   int bActual) {
  char *zFrom = fk_from(f);
  char *zTarget = fk_target(bActual ? c->pA : c->pE, f);
  int bDelete = f->zOnDelete && strcmp(f->zOnDelete, "NO ACTION") != 0;
  int bUpdate = f->zOnUpdate && strcmp(f->zOnUpdate, "NO ACTION") != 0;
  int rc = zFrom && zTarget
               ? emit_only(c, "table", zTable, zLabel,
                           sqlite3_mprintf("FOREIGN KEY (%s) REFERENCES %s%s%s%s%s%s", zFrom,
                                           zTarget, bDelete ? " ON DELETE " : "",
                                           bDelete ? f->zOnDelete : "",
                                           bUpdate ? " ON UPDATE " : "",
                                           bUpdate ? f->zOnUpdate : "",
                                           f->bDeferred ? " DEFERRABLE INITIALLY DEFERRED" : ""),
                           bActual)
               : SQLITE_NOMEM;
  sqlite3_free(zFrom);
  sqlite3_free(zTarget);
  return rc;
}

static int compare_fks(Cmp *c, const char *zLabel, const DmSchemaTable *e, const DmSchemaTable *a) {
  char *aUsed = sqlite3_malloc64((sqlite3_uint64)a->nFk + 1);
  if (!aUsed) return SQLITE_NOMEM;
  memset(aUsed, 0, (size_t)a->nFk + 1);
  int rc = SQLITE_OK;
  for (int i = 0; rc == SQLITE_OK && i < e->nFk; i++) {
    int j = fk_match(&e->aFk[i], a, aUsed);
    if (j < 0) {
      rc = fk_only(c, zLabel, e->zName, &e->aFk[i], 0);
    } else {
      aUsed[j] = 1;
      rc = compare_fk(c, e->zName, zLabel, &e->aFk[i], &a->aFk[j]);
    }
  }
  for (int j = 0; rc == SQLITE_OK && j < a->nFk; j++) {
    if (!aUsed[j]) rc = fk_only(c, zLabel, e->zName, &a->aFk[j], 1);
  }
  sqlite3_free(aUsed);
  return rc;
}

/* ---- tables ------------------------------------------------------------------- */

static char *using_text(const DmSchemaTable *t) {
  return t->zArgsNorm ? sqlite3_mprintf("USING %s(%s)", t->zModule, t->zArgsNorm)
                      : sqlite3_mprintf("USING %s", t->zModule);
}

/* A virtual table on either side: its module and arguments say it all
** (its columns are what they declare). */
static int compare_virtual(Cmp *c, const char *zLabel, const DmSchemaTable *e,
                           const DmSchemaTable *a) {
  if (!e->zModule || !a->zModule) {
    const DmSchemaTable *v = e->zModule ? e : a;
    char *zV = sqlite3_mprintf("virtual (USING %s)", v->zModule);
    char *zO = sqlite3_mprintf("an ordinary table");
    return e->zModule ? emit_pair_owned(c, "table", e->zName, zLabel, zV, zO)
                      : emit_pair_owned(c, "table", e->zName, zLabel, zO, zV);
  }
  char *zE = using_text(e), *zA = using_text(a);
  int rc = zE && zA ? SQLITE_OK : SQLITE_NOMEM;
  if (rc == SQLITE_OK && strcmp(zE, zA) != 0) {
    rc = emit_pair_owned(c, "table", e->zName, zLabel, zE, zA);
    zE = zA = 0;
  }
  sqlite3_free(zE);
  sqlite3_free(zA);
  return rc;
}

/* STRICT, WITHOUT ROWID, AUTOINCREMENT. */
static int compare_options(Cmp *c, const char *zLabel, const DmSchemaTable *e,
                           const DmSchemaTable *a) {
  int rc = SQLITE_OK;
  if (e->bStrict != a->bStrict) {
    rc = emit_pair(c, "table", e->zName, zLabel, e->bStrict ? "STRICT" : "not STRICT",
                   a->bStrict ? "STRICT" : "not STRICT");
  }
  if (rc == SQLITE_OK && e->bWithoutRowid != a->bWithoutRowid) {
    rc = emit_pair(c, "table", e->zName, zLabel,
                   e->bWithoutRowid ? "WITHOUT ROWID" : "a rowid table",
                   a->bWithoutRowid ? "WITHOUT ROWID" : "a rowid table");
  }
  if (rc == SQLITE_OK && e->bAutoincrement != a->bAutoincrement) {
    rc = emit_pair(c, "table", e->zName, zLabel,
                   e->bAutoincrement ? "AUTOINCREMENT" : "no AUTOINCREMENT",
                   a->bAutoincrement ? "AUTOINCREMENT" : "no AUTOINCREMENT");
  }
  return rc;
}

static int compare_table(Cmp *c, const void *pE, const void *pA) {
  const DmSchemaTable *e = pE, *a = pA;
  char *zLabel = sqlite3_mprintf("table %s", e->zName);
  if (!zLabel) return SQLITE_NOMEM;
  int rc;
  if (e->zModule || a->zModule) {
    rc = compare_virtual(c, zLabel, e, a);
  } else {
    rc = compare_options(c, zLabel, e, a);
    if (rc == SQLITE_OK) rc = compare_columns(c, e, a);
    if (rc == SQLITE_OK) rc = compare_checks(c, zLabel, e, a);
    if (rc == SQLITE_OK) rc = compare_primary(c, zLabel, e, a);
    if (rc == SQLITE_OK) rc = uniques_only(c, zLabel, e, a, 0);
    if (rc == SQLITE_OK) rc = uniques_only(c, zLabel, a, e, 1);
    if (rc == SQLITE_OK) rc = compare_fks(c, zLabel, e, a);
  }
  sqlite3_free(zLabel);
  return rc;
}

/* ---- indexes, views, triggers --------------------------------------------------- */

static char *where_text(const DmIndex *x) {
  return x->zWhereNorm ? sqlite3_mprintf("WHERE %s", x->zWhereNorm) : sqlite3_mprintf("no WHERE");
}

static int compare_index(Cmp *c, const void *pE, const void *pA) {
  const DmIndex *e = pE, *a = pA;
  char *zLabel = sqlite3_mprintf("index %s", e->zName);
  char *zColsE = key_text(e->aCol, e->nCol), *zColsA = key_text(a->aCol, a->nCol);
  int rc = zLabel && zColsE && zColsA ? SQLITE_OK : SQLITE_NOMEM;
  if (rc == SQLITE_OK && sqlite3_stricmp(e->zTable, a->zTable) != 0) {
    rc = emit_pair_owned(c, "index", e->zName, zLabel, sqlite3_mprintf("on %s", e->zTable),
                         sqlite3_mprintf("on %s", a->zTable));
  }
  if (rc == SQLITE_OK && e->bUnique != a->bUnique) {
    rc = emit_pair(c, "index", e->zName, zLabel, e->bUnique ? "UNIQUE" : "not UNIQUE",
                   a->bUnique ? "UNIQUE" : "not UNIQUE");
  }
  if (rc == SQLITE_OK && sqlite3_stricmp(zColsE, zColsA) != 0) {
    rc = emit_pair_owned(c, "index", e->zName, zLabel, sqlite3_mprintf("columns %s", zColsE),
                         sqlite3_mprintf("%s", zColsA));
  }
  if (rc == SQLITE_OK && !str_eq(e->zWhereNorm, a->zWhereNorm)) {
    rc = emit_pair_owned(c, "index", e->zName, zLabel, where_text(e), where_text(a));
  }
  sqlite3_free(zLabel);
  sqlite3_free(zColsE);
  sqlite3_free(zColsA);
  return rc;
}

/* Compared in normal form, shown as written (on one line). */
static int compare_object(Cmp *c, const char *zKind, const DmSchemaObject *e,
                          const DmSchemaObject *a) {
  if (strcmp(e->zNorm, a->zNorm) == 0) return SQLITE_OK;
  char *zLabel = sqlite3_mprintf("%s %s", zKind, e->zName);
  int rc = zLabel ? emit_pair_owned(c, zKind, e->zName, zLabel,
                                    dm_sql_line(e->zSql, (int)strlen(e->zSql), 0),
                                    dm_sql_line(a->zSql, (int)strlen(a->zSql), 0))
                  : SQLITE_NOMEM;
  sqlite3_free(zLabel);
  return rc;
}

static int compare_view(Cmp *c, const void *pE, const void *pA) {
  return compare_object(c, "view", pE, pA);
}

static int compare_trigger(Cmp *c, const void *pE, const void *pA) {
  return compare_object(c, "trigger", pE, pA);
}

/* ---- the walk ------------------------------------------------------------------------ */

/* The name of element i of an array of nSize-byte structs that begin with
** their zName (DmSchemaTable, DmIndex, DmSchemaObject all do). */
static const char *name_at(const void *a, int i, size_t nSize) {
  return *(char *const *)((const char *)a + nSize * (size_t)i);
}

/* Two lists sorted by name, side by side: one side only is a presence
** line, both sides are compared by xBoth. */
static int walk(Cmp *c, const char *zKind, const void *aE, int nE, const void *aA, int nA,
                size_t nSize, int (*xBoth)(Cmp *, const void *, const void *)) {
  int i = 0, j = 0, rc = SQLITE_OK;
  while (rc == SQLITE_OK && (i < nE || j < nA)) {
    int cmp = i >= nE ? 1 : j >= nA ? -1 : sqlite3_stricmp(name_at(aE, i, nSize), name_at(aA, j, nSize));
    if (cmp == 0) {
      rc = xBoth(c, (const char *)aE + nSize * (size_t)i, (const char *)aA + nSize * (size_t)j);
      i++, j++;
      continue;
    }
    const char *zName = cmp < 0 ? name_at(aE, i++, nSize) : name_at(aA, j++, nSize);
    char *zLabel = sqlite3_mprintf("%s %s", zKind, zName);
    rc = zLabel ? emit_only(c, zKind, zName, zLabel, sqlite3_mprintf(""), cmp > 0) : SQLITE_NOMEM;
    sqlite3_free(zLabel);
  }
  return rc;
}

int dm_schema_compare(const DmSchema *pExpected, const DmSchema *pActual, const char *zExpectedSide,
                      const char *zActualSide,
                      int (*xLine)(void *, const char *zObject, const char *zKind, const char *zLine),
                      void *pArg) {
  Cmp c = {zExpectedSide, zActualSide, pExpected, pActual, xLine, pArg};
  const DmSchema *e = pExpected, *a = pActual;
  int rc = walk(&c, "table", e->aTable, e->nTable, a->aTable, a->nTable, sizeof(DmSchemaTable),
                compare_table);
  if (rc == SQLITE_OK) {
    rc = walk(&c, "index", e->aIndex, e->nIndex, a->aIndex, a->nIndex, sizeof(DmIndex), compare_index);
  }
  if (rc == SQLITE_OK) {
    rc = walk(&c, "view", e->aView, e->nView, a->aView, a->nView, sizeof(DmSchemaObject), compare_view);
  }
  if (rc == SQLITE_OK) {
    rc = walk(&c, "trigger", e->aTrigger, e->nTrigger, a->aTrigger, a->nTrigger,
              sizeof(DmSchemaObject), compare_trigger);
  }
  return rc;
}
