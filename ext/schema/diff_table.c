/*
** One matched table's change. The table has its new name already (the
** plan renames tables before it changes them).
**
** Plain ALTER TABLE when SQLite can do the whole change that way on a
** table with rows: columns renamed, dropped, or appended (ADD COLUMN with
** a default SQLite computes without a row, not PRIMARY KEY, UNIQUE or
** STORED, REFERENCES only with a NULL default). Whether those statements
** give exactly the desired table is not guessed: they run on a scratch
** copy of the table in :memory:, which is read back into a model and
** compared. Anything else is one migrate_alter_table() call with the
** desired CREATE TABLE and the renamed columns as its mapping.
*/
#include <string.h>

#include "schema/diff_int.h"
#include "schema/schema_int.h"
#include "sqltext/create.h"

SQLITE_EXTENSION_INIT3

/* ---- a table seen with the diff's renames applied -------------------------- */

/*
** A shallow copy of a table in which its columns, its constraints' columns
** and its foreign keys' parents carry their names in pTo, so that
** dm_schema_compare() sees only real differences.
*/
typedef struct TableView TableView;
struct TableView {
  DmSchemaTable t;
  DmColumn *aCol;
  DmUnique *aUnique;
  DmIndexCol *aUCol;
  DmForeignKey *aFk;
  const char **azFk;
};

static void view_clear(TableView *v) {
  sqlite3_free(v->aCol);
  sqlite3_free(v->aUnique);
  sqlite3_free(v->aUCol);
  sqlite3_free(v->aFk);
  sqlite3_free((void *)v->azFk);
}

static int view_alloc(TableView *v, const DmSchemaTable *p) {
  int nUCol = 0, nFkCol = 0;
  for (int i = 0; i < p->nUnique; i++) nUCol += p->aUnique[i].nCol;
  for (int i = 0; i < p->nFk; i++) nFkCol += 2 * p->aFk[i].nCol;
  v->aCol = sqlite3_malloc64(sizeof(DmColumn) * (sqlite3_uint64)(p->nCol + 1));
  v->aUnique = sqlite3_malloc64(sizeof(DmUnique) * (sqlite3_uint64)(p->nUnique + 1));
  v->aUCol = sqlite3_malloc64(sizeof(DmIndexCol) * (sqlite3_uint64)(nUCol + 1));
  v->aFk = sqlite3_malloc64(sizeof(DmForeignKey) * (sqlite3_uint64)(p->nFk + 1));
  v->azFk = sqlite3_malloc64(sizeof(char *) * (sqlite3_uint64)(nFkCol + 1));
  if (!v->aCol || !v->aUnique || !v->aUCol || !v->aFk || !v->azFk) return SQLITE_NOMEM;
  return SQLITE_OK;
}

/* Own column zCol's name in pTo: through table iFrom's renames, if any. */
static const char *own(Diff *d, int iFrom, const char *zCol) {
  return iFrom >= 0 ? dm_diff_new_column(d, iFrom, zCol) : zCol;
}

/* Foreign key k of p with its names in pTo. zSelf: p's name as its own
** foreign keys write it; iFrom: p's own renames (-1: none left to apply). */
static void view_fk(Diff *d, TableView *v, const DmSchemaTable *p, int k, int iFrom,
                    const char *zSelf, const char ***pazNext) {
  const DmForeignKey *f = &p->aFk[k];
  DmForeignKey *g = &v->aFk[k];
  *g = *f;
  int bSelf = sqlite3_stricmp(f->zParent, zSelf) == 0;
  int iParent = bSelf ? iFrom : dm_diff_from_table(d, f->zParent);
  g->zParent = bSelf ? (char *)v->t.zName : (char *)dm_diff_new_table(d, f->zParent);
  g->azFrom = (char **)*pazNext;
  g->azTo = (char **)*pazNext + f->nCol;
  for (int c = 0; c < f->nCol; c++) {
    (*pazNext)[c] = own(d, iFrom, f->azFrom[c]);
    (*pazNext)[f->nCol + c] = f->azTo[c] ? own(d, iParent, f->azTo[c]) : 0;
  }
  *pazNext += 2 * f->nCol;
}

/*
** v: table p under the name zName, its names as pTo has them. iFrom is p's
** index in pFrom if its own columns still carry their old names, -1 if
** not (a scratch copy that SQLite's ALTER TABLE renamed already). zSelf is
** how p's foreign keys name p itself.
*/
static int view_build(Diff *d, const DmSchemaTable *p, int iFrom, const char *zSelf,
                      const char *zName, TableView *v) {
  memset(v, 0, sizeof(*v));
  if (view_alloc(v, p)) return SQLITE_NOMEM;
  v->t = *p;
  v->t.zName = (char *)zName;
  v->t.zRenamedFrom = 0;
  v->t.aCol = v->aCol;
  for (int i = 0; i < p->nCol; i++) {
    v->aCol[i] = p->aCol[i];
    v->aCol[i].zName = (char *)own(d, iFrom, p->aCol[i].zName);
    v->aCol[i].zRenamedFrom = 0;
    /* FTS5 names a hidden column after its table: it follows a rename. */
    if (p->aCol[i].bHidden && sqlite3_stricmp(p->aCol[i].zName, zSelf) == 0) {
      v->aCol[i].zName = (char *)zName;
    }
  }
  v->t.aUnique = v->aUnique;
  DmIndexCol *pU = v->aUCol;
  for (int i = 0; i < p->nUnique; i++) {
    v->aUnique[i] = p->aUnique[i];
    v->aUnique[i].aCol = pU;
    for (int c = 0; c < p->aUnique[i].nCol; c++, pU++) {
      *pU = p->aUnique[i].aCol[c];
      pU->zName = (char *)own(d, iFrom, pU->zName);
    }
  }
  v->t.aFk = v->aFk;
  const char **azNext = v->azFk;
  for (int k = 0; k < p->nFk; k++) view_fk(d, v, p, k, iFrom, zSelf, &azNext);
  return SQLITE_OK;
}

/* ---- comparing ------------------------------------------------------------- */

typedef struct Lines Lines;
struct Lines {
  sqlite3_str *pStr; /* "--   line" for each difference */
  int n;
};

static int collect_line(void *pArg, const char *zObject, const char *zKind, const char *zLine) {
  Lines *p = pArg;
  (void)zObject;
  (void)zKind;
  if (p->pStr) sqlite3_str_appendf(p->pStr, "--   %s\n", zLine);
  p->n++;
  return SQLITE_OK;
}

/* The differences between table a (as it is) and b (as desired). */
static int compare_tables(const DmSchemaTable *a, const DmSchemaTable *b, Lines *pLines) {
  DmSchema sa, sb;
  memset(&sa, 0, sizeof(sa));
  memset(&sb, 0, sizeof(sb));
  sa.nTable = sb.nTable = 1;
  sa.aTable = (DmSchemaTable *)a;
  sb.aTable = (DmSchemaTable *)b;
  return dm_schema_compare(&sb, &sa, "the desired schema", "the current schema", collect_line,
                           pLines);
}

/* ---- the change ---------------------------------------------------------- */

typedef struct Change Change;
struct Change {
  Diff *d;
  int iFrom;
  const DmSchemaTable *pOld;
  const DmSchemaTable *pNew;
  const int *aColFrom;  /* pNew's column k was pOld's aColFrom[k], or -1 */
  unsigned char *aKept; /* pOld's column j is in pNew */
  int nRenamed;
  int nDropped;
  int nAdded;
};

static int change_init(Change *c, Diff *d, int iFrom, int iTo) {
  memset(c, 0, sizeof(*c));
  c->d = d;
  c->iFrom = iFrom;
  c->pOld = &d->pFrom->aTable[iFrom];
  c->pNew = &d->pTo->aTable[iTo];
  c->aColFrom = d->aaColFrom[iTo];
  c->aKept = sqlite3_malloc64((sqlite3_uint64)c->pOld->nCol + 1);
  if (!c->aKept) return SQLITE_NOMEM;
  memset(c->aKept, 0, (size_t)c->pOld->nCol + 1);
  for (int k = 0; k < c->pNew->nCol; k++) {
    int j = c->aColFrom[k];
    if (j < 0) {
      c->nAdded++;
      continue;
    }
    c->aKept[j] = 1;
    if (sqlite3_stricmp(c->pOld->aCol[j].zName, c->pNew->aCol[k].zName) != 0) c->nRenamed++;
  }
  for (int j = 0; j < c->pOld->nCol; j++) c->nDropped += !c->aKept[j];
  return SQLITE_OK;
}

static int column_in_unique(const DmSchemaTable *t, const char *zCol) {
  for (int i = 0; i < t->nUnique; i++) {
    for (int c = 0; c < t->aUnique[i].nCol; c++) {
      const char *z = t->aUnique[i].aCol[c].zName;
      if (z && sqlite3_stricmp(z, zCol) == 0) return 1;
    }
  }
  return 0;
}

static int column_in_fk(const DmSchemaTable *t, const char *zCol) {
  for (int i = 0; i < t->nFk; i++) {
    for (int c = 0; c < t->aFk[i].nCol; c++) {
      if (sqlite3_stricmp(t->aFk[i].azFrom[c], zCol) == 0) return 1;
    }
  }
  return 0;
}

/* What SQLite's ADD COLUMN accepts on a table with rows (see the top). A
** NOT NULL column without a default passes: it is the step that fails on
** rows, on purpose, with the decision comment. */
static int column_addable(const DmSchemaTable *t, const DmColumn *col) {
  if (col->iPk || column_in_unique(t, col->zName) || col->eGenerated == DM_GEN_STORED) {
    return 0;
  }
  if (!dm_diff_default_is_constant(col->zDefault)) return 0;
  return !(column_in_fk(t, col->zName) && !dm_diff_default_is_null(col->zDefault));
}

static int same_text(const char *a, const char *b, const char *zNone) {
  return sqlite3_stricmp(a ? a : zNone, b ? b : zNone) == 0;
}

/* What ALTER TABLE cannot change in a kept column (its generated
** expression may differ by a rename only: the scratch copy judges that). */
static int column_alterable(const DmColumn *o, const DmColumn *n) {
  return same_text(o->zTypeNorm, n->zTypeNorm, "") && o->bNotNull == n->bNotNull &&
         same_text(o->zDefaultNorm, n->zDefaultNorm, "") &&
         same_text(o->zCollate, n->zCollate, "binary") && o->iPk == n->iPk &&
         o->eGenerated == n->eGenerated;
}

/*
** Whether plain ALTER TABLE can be what the change is: the table's options
** and its kept columns as they were, kept columns in their order, new ones
** after all of them and addable. (A shortcut only: the scratch copy is the
** proof.)
*/
static int fits_alter(const Change *c) {
  if (c->pOld->bStrict != c->pNew->bStrict ||
      c->pOld->bWithoutRowid != c->pNew->bWithoutRowid ||
      c->pOld->bAutoincrement != c->pNew->bAutoincrement) {
    return 0;
  }
  int iLast = -1, bAdded = 0;
  for (int k = 0; k < c->pNew->nCol; k++) {
    int j = c->aColFrom[k];
    if (j >= 0) {
      if (bAdded || j < iLast) return 0;
      if (!column_alterable(&c->pOld->aCol[j], &c->pNew->aCol[k])) return 0;
      iLast = j;
    } else {
      bAdded = 1;
      if (!column_addable(c->pNew, &c->pNew->aCol[k])) return 0;
    }
  }
  return 1;
}

static void alter_table(sqlite3_str *p, const char *zTable) {
  sqlite3_str_appendall(p, "ALTER TABLE ");
  dm_diff_name(p, zTable);
}

/* The text of column zCol's definition in CREATE TABLE zSql, as written. */
static int column_text(sqlite3_str *p, const char *zSql, const char *zCol) {
  DmCreate cr;
  char *zErr = 0;
  int rc = dm_create_parse(zSql, &cr, &zErr);
  sqlite3_free(zErr);
  for (int i = 0; rc == SQLITE_OK && i < cr.nCol; i++) {
    const DmCreateElem *e = &cr.aElem[i];
    if (sqlite3_stricmp(e->zName, zCol) != 0) continue;
    int iStart = cr.aTok[e->iFirst].iOff;
    int iEnd = cr.aTok[e->iEnd - 1].iOff + cr.aTok[e->iEnd - 1].n;
    dm_diff_sql(p, zSql + iStart, iEnd - iStart);
  }
  dm_create_clear(&cr);
  return rc;
}

/* ---- the notes a person reads before the step ---------------------------- */

static void note_dropped(const Change *c, sqlite3_str *p, int j) {
  sqlite3_str_appendf(p, "-- destructive: drops column %s.%s and its values\n",
                      c->pNew->zName, c->pOld->aCol[j].zName);
  if (c->nAdded) {
    sqlite3_str_appendf(p,
                        "-- (no rename hint: if a new column of %s is %s renamed, write "
                        "\"-- @renamed from=%s\" on its line in the desired schema)\n",
                        c->pNew->zName, c->pOld->aCol[j].zName, c->pOld->aCol[j].zName);
  }
}

static void note_added(const Change *c, sqlite3_str *p, const DmColumn *col, int bAlter) {
  if (!col->bNotNull || col->eGenerated || !dm_diff_default_is_null(col->zDefault)) return;
  sqlite3_str_appendf(p,
                      "-- decision: %s.%s is NOT NULL without a DEFAULT, so this step fails "
                      "if %s has rows: give it a DEFAULT in the desired schema%s\n",
                      c->pNew->zName, col->zName, c->pNew->zName,
                      bAlter ? "" : ", or fill it through the mapping, as in '{\"column\": "
                                    "\"expression\"}'");
}

/* A kept column's type and NOT NULL. */
static void note_kept(const Change *c, sqlite3_str *p, const DmColumn *o, const DmColumn *n) {
  const char *zA = dm_diff_affinity(o->zType), *zB = dm_diff_affinity(n->zType);
  if (strcmp(zA, zB) != 0) {
    sqlite3_str_appendf(p,
                        "-- destructive: %s.%s changes type from %s to %s (affinity %s to "
                        "%s): values may be converted or refused\n",
                        c->pNew->zName, n->zName, o->zType[0] ? o->zType : "(none)",
                        n->zType[0] ? n->zType : "(none)", zA, zB);
  }
  /* WITHOUT ROWID makes its key NOT NULL by itself: nothing to decide. */
  if (n->bNotNull && !o->bNotNull && !(n->iPk && c->pNew->bWithoutRowid)) {
    sqlite3_str_appendf(p,
                        "-- %s.%s becomes NOT NULL: this step fails if a row holds NULL "
                        "there; fill those rows first\n",
                        c->pNew->zName, n->zName);
  }
}

/* ---- plain ALTER TABLE ------------------------------------------------------ */

/* The statements: drops, then renames, then additions. */
static int alter_statements(const Change *c, sqlite3_str *p) {
  const char *zT = c->pNew->zName;
  for (int j = 0; j < c->pOld->nCol; j++) {
    if (c->aKept[j]) continue;
    note_dropped(c, p, j);
    alter_table(p, zT);
    sqlite3_str_appendall(p, " DROP COLUMN ");
    dm_diff_name(p, c->pOld->aCol[j].zName);
    sqlite3_str_appendall(p, ";\n");
  }
  for (int k = 0; k < c->pNew->nCol; k++) {
    int j = c->aColFrom[k];
    if (j < 0 || sqlite3_stricmp(c->pOld->aCol[j].zName, c->pNew->aCol[k].zName) == 0) continue;
    alter_table(p, zT);
    sqlite3_str_appendall(p, " RENAME COLUMN ");
    dm_diff_name(p, c->pOld->aCol[j].zName);
    sqlite3_str_appendall(p, " TO ");
    dm_diff_name(p, c->pNew->aCol[k].zName);
    sqlite3_str_appendall(p, ";\n");
  }
  int rc = SQLITE_OK;
  for (int k = 0; rc == SQLITE_OK && k < c->pNew->nCol; k++) {
    if (c->aColFrom[k] >= 0) continue;
    note_added(c, p, &c->pNew->aCol[k], 1);
    alter_table(p, zT);
    sqlite3_str_appendall(p, " ADD COLUMN ");
    rc = column_text(p, c->pNew->zSql, c->pNew->aCol[k].zName);
    sqlite3_str_appendall(p, ";\n");
  }
  return rc ? rc : sqlite3_str_errcode(p);
}

/* The scratch copy's table, as SQLite left it, against the desired one. */
static int scratch_matches(const Change *c, sqlite3 *db, int *pbSame) {
  DmSchema *pScratch = 0;
  char *zErr = 0;
  int rc = dm_schema_read_table(db, "main", c->pNew->zName, &pScratch, &zErr);
  sqlite3_free(zErr);
  const DmSchemaTable *t = rc == SQLITE_OK ? dm_schema_table(pScratch, c->pNew->zName) : 0;
  if (t) {
    TableView v;
    Lines lines = {0, 0};
    rc = view_build(c->d, t, -1, c->pNew->zName, c->pNew->zName, &v);
    if (rc == SQLITE_OK) rc = compare_tables(&v.t, c->pNew, &lines);
    *pbSame = rc == SQLITE_OK && lines.n == 0;
    view_clear(&v);
  }
  dm_schema_free(pScratch);
  return rc == SQLITE_NOMEM ? rc : SQLITE_OK;
}

/* Drop what a proof left in the scratch database; close it if that fails. */
static void scratch_clean(Diff *d, const Change *c) {
  char *z = sqlite3_mprintf("DROP TABLE IF EXISTS \"%w\"; DROP TABLE IF EXISTS \"%w\"",
                            c->pOld->zName, c->pNew->zName);
  if (!z || sqlite3_exec(d->dbScratch, z, 0, 0, 0) != SQLITE_OK) {
    sqlite3_close(d->dbScratch);
    d->dbScratch = 0;
  }
  sqlite3_free(z);
}

/*
** Run the statements on a scratch copy of the table: *pbProven if SQLite
** takes them and the table comes out as desired. Only running out of
** memory is an error; anything SQLite refuses means "rebuild instead".
*/
static int alter_proven(const Change *c, const char *zStatements, int *pbProven) {
  Diff *d = c->d;
  int rc = SQLITE_OK;
  *pbProven = 0;
  if (!d->dbScratch) {
    rc = sqlite3_open_v2(":memory:", &d->dbScratch, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                         0);
  }
  if (rc == SQLITE_OK) rc = sqlite3_exec(d->dbScratch, c->pOld->zSql, 0, 0, 0);
  if (rc == SQLITE_OK && sqlite3_stricmp(c->pOld->zName, c->pNew->zName) != 0) {
    char *z = sqlite3_mprintf("ALTER TABLE \"%w\" RENAME TO \"%w\"", c->pOld->zName,
                              c->pNew->zName);
    rc = z ? sqlite3_exec(d->dbScratch, z, 0, 0, 0) : SQLITE_NOMEM;
    sqlite3_free(z);
  }
  if (rc == SQLITE_OK) rc = sqlite3_exec(d->dbScratch, zStatements, 0, 0, 0);
  if (rc == SQLITE_OK) {
    rc = scratch_matches(c, d->dbScratch, pbProven);
  } else if ((rc & 0xff) != SQLITE_NOMEM) {
    rc = SQLITE_OK;
  }
  if (d->dbScratch) scratch_clean(d, c);
  return rc;
}

/* ---- migrate_alter_table() ------------------------------------------------- */

/* A JSON string of z. */
static void json_string(sqlite3_str *p, const char *z) {
  sqlite3_str_appendchar(p, 1, '"');
  for (; *z; z++) {
    if (*z == '"' || *z == '\\') sqlite3_str_appendchar(p, 1, '\\');
    sqlite3_str_appendchar(p, 1, *z);
  }
  sqlite3_str_appendchar(p, 1, '"');
}

/* The mapping: {"new": "old"} for each renamed column (the old name as an
** SQL expression, quoted if it must be). 0 if nothing is renamed, or when
** out of memory (then *pRc is SQLITE_NOMEM). */
static char *rename_mapping(const Change *c, int *pRc) {
  if (!c->nRenamed) return 0;
  sqlite3_str *p = sqlite3_str_new(0);
  sqlite3_str *pOld = sqlite3_str_new(0);
  sqlite3_str_appendchar(p, 1, '{');
  int n = 0;
  for (int k = 0; k < c->pNew->nCol; k++) {
    int j = c->aColFrom[k];
    if (j < 0 || sqlite3_stricmp(c->pOld->aCol[j].zName, c->pNew->aCol[k].zName) == 0) continue;
    sqlite3_str_reset(pOld);
    dm_diff_name(pOld, c->pOld->aCol[j].zName);
    const char *zOld = sqlite3_str_value(pOld);
    sqlite3_str_appendall(p, n++ ? ", " : "");
    json_string(p, c->pNew->aCol[k].zName);
    sqlite3_str_appendall(p, ": ");
    json_string(p, zOld ? zOld : "");
  }
  sqlite3_str_appendchar(p, 1, '}');
  int rc = sqlite3_str_errcode(pOld);
  sqlite3_free(sqlite3_str_finish(pOld));
  char *z = 0;
  if (dm_diff_finish(p, &z) || rc) rc = SQLITE_NOMEM;
  if (rc) {
    sqlite3_free(z);
    z = 0;
  }
  *pRc = rc;
  return z;
}

static int rebuild_statement(const Change *c, sqlite3_str *p) {
  for (int j = 0; j < c->pOld->nCol; j++) {
    if (!c->aKept[j]) note_dropped(c, p, j);
  }
  for (int k = 0; k < c->pNew->nCol; k++) {
    if (c->aColFrom[k] < 0) note_added(c, p, &c->pNew->aCol[k], 0);
  }
  sqlite3_str *pCreate = sqlite3_str_new(0);
  dm_diff_sql(pCreate, c->pNew->zSql, -1);
  char *zCreate = 0;
  dm_diff_finish(pCreate, &zCreate);
  int rc = SQLITE_OK;
  char *zMap = rename_mapping(c, &rc);
  if (!zCreate || rc) {
    sqlite3_free(zCreate);
    sqlite3_free(zMap);
    return SQLITE_NOMEM;
  }
  if (zMap) {
    sqlite3_str_appendf(p, "SELECT migrate_alter_table(%Q, %Q);\n", zCreate, zMap);
  } else {
    sqlite3_str_appendf(p, "SELECT migrate_alter_table(%Q);\n", zCreate);
  }
  sqlite3_free(zCreate);
  sqlite3_free(zMap);
  return SQLITE_OK;
}

/* ---- the table ------------------------------------------------------------- */

/* A virtual table that changes is made again: its module holds the rows. */
static void virtual_table(Diff *d, const DmSchemaTable *pNew, const char *zLines) {
  dm_diff_comment(d, "destructive: virtual table %s changes; it is dropped with its "
                     "content and created again:",
                  pNew->zName);
  sqlite3_str_appendall(d->pOut, zLines);
  sqlite3_str_appendall(d->pOut, "DROP TABLE ");
  dm_diff_name(d->pOut, pNew->zName);
  sqlite3_str_appendall(d->pOut, ";\n");
  dm_diff_statement(d->pOut, pNew->zSql);
}

/* The change's statements: ALTER TABLE if proven, else migrate_alter_table(). */
static int change_statements(Change *c, sqlite3_str *p) {
  for (int k = 0; k < c->pNew->nCol; k++) {
    int j = c->aColFrom[k];
    if (j >= 0) note_kept(c, p, &c->pOld->aCol[j], &c->pNew->aCol[k]);
  }
  int rc = SQLITE_OK;
  if (fits_alter(c)) {
    sqlite3_str *pAlter = sqlite3_str_new(0);
    rc = alter_statements(c, pAlter);
    char *zAlter = 0;
    int rcStr = dm_diff_finish(pAlter, &zAlter);
    int bProven = 0;
    if (rc == SQLITE_OK) rc = rcStr;
    if (rc == SQLITE_OK) rc = alter_proven(c, zAlter, &bProven);
    if (bProven) sqlite3_str_appendall(p, zAlter);
    sqlite3_free(zAlter);
    if (rc || bProven) return rc;
  }
  return rebuild_statement(c, p);
}

/* The differences that remain once the renames are applied, as lines. */
static int table_lines(Change *c, Lines *pLines) {
  TableView v;
  int rc = view_build(c->d, c->pOld, c->iFrom, c->pOld->zName, c->pNew->zName, &v);
  if (rc == SQLITE_OK) rc = compare_tables(&v.t, c->pNew, pLines);
  view_clear(&v);
  return rc;
}

void dm_diff_table(Diff *d, int iFrom, int iTo) {
  Change c;
  Lines lines = {sqlite3_str_new(0), 0};
  int rc = change_init(&c, d, iFrom, iTo);
  if (rc == SQLITE_OK) rc = table_lines(&c, &lines);
  char *zLines = 0;
  int rcStr = dm_diff_finish(lines.pStr, &zLines);
  if (rc == SQLITE_OK) rc = rcStr;
  if (rc == SQLITE_OK && (c.pOld->zModule || c.pNew->zModule)) {
    if (lines.n) virtual_table(d, c.pNew, zLines);
  } else if (rc == SQLITE_OK && (lines.n || c.nRenamed)) {
    dm_diff_comment(d, "table %s changes%s", c.pNew->zName, lines.n ? ":" : "");
    sqlite3_str_appendall(d->pOut, zLines);
    rc = change_statements(&c, d->pOut);
  }
  sqlite3_free(zLines);
  sqlite3_free(c.aKept);
  if (rc) d->rc = rc;
}
