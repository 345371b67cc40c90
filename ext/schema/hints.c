/*
** Rename hints, sqldef's form: a comment "-- @renamed from=old_name" (or
** from="old name", quoted as SQL quotes names) on the line of what was
** renamed. A table's lines are the one holding its name and the one
** holding its "(" (the table wins over a column that starts on the same
** line); a column's line is the one its definition starts on; an index's
** is the one holding its name. Lines and comments are found with the one
** tokenizer, so a "--" inside a string is no hint.
*/
#include <string.h>

#include "schema/schema_int.h"
#include "sqltext/sqltext.h"

SQLITE_EXTENSION_INIT3

/* What a line can name: a table, a column of a table, an index. */
typedef struct Anchor Anchor;
struct Anchor {
  int iLine;
  int ePriority;   /* 2 table, 1 index, 0 column: the highest on a line wins */
  char *zTable;    /* The table (or the index's name, for an index) */
  char *zColumn;   /* A column's name, or 0 */
};

typedef struct Anchors Anchors;
struct Anchors {
  int n;
  Anchor *a;
  int nNl;
  int *aNl;        /* The offset of each newline of the text, in order */
};

static void anchors_clear(Anchors *p) {
  for (int i = 0; i < p->n; i++) {
    sqlite3_free(p->a[i].zTable);
    sqlite3_free(p->a[i].zColumn);
  }
  sqlite3_free(p->a);
  sqlite3_free(p->aNl);
}

/* Where the newlines of z are, so that a line is found by halving. */
static int index_lines(const char *z, Anchors *p) {
  int nAlloc = 0;
  for (int i = 0; z[i]; i++) {
    if (z[i] != '\n') continue;
    if (p->nNl == nAlloc) {
      nAlloc = nAlloc ? nAlloc * 2 : 64;
      int *aNew = sqlite3_realloc64(p->aNl, sizeof(int) * (sqlite3_uint64)nAlloc);
      if (!aNew) return SQLITE_NOMEM;
      p->aNl = aNew;
    }
    p->aNl[p->nNl++] = i;
  }
  return SQLITE_OK;
}

/* The 1-based line of byte iOff: one more than the newlines before it. */
static int line_of(const Anchors *p, int iOff) {
  int lo = 0, hi = p->nNl;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    if (p->aNl[mid] < iOff) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo + 1;
}

/* Add an anchor; takes zTable and zColumn (either may be 0 only on OOM). */
static int add_anchor(Anchors *p, int iLine, int ePriority, char *zTable, char *zColumn,
                      int bColumn) {
  Anchor *aNew = zTable && (zColumn || !bColumn) ? dm_schema_grow(p->a, p->n, sizeof(Anchor)) : 0;
  if (!aNew) {
    sqlite3_free(zTable);
    sqlite3_free(zColumn);
    return SQLITE_NOMEM;
  }
  p->a = aNew;
  Anchor *x = &p->a[p->n++];
  x->iLine = iLine;
  x->ePriority = ePriority;
  x->zTable = zTable;
  x->zColumn = zColumn;
  return SQLITE_OK;
}

/* A CREATE TABLE statement at offset iOff of the text: the table's and its columns' lines. */
static int table_anchors(int iOff, const char *zStmt, Anchors *p) {
  DmCreate def;
  char *zErr = 0;
  int rc = dm_create_parse(zStmt, &def, &zErr);
  sqlite3_free(zErr);
  if (rc == SQLITE_ERROR) rc = SQLITE_OK; /* SQLite accepted it: AS SELECT, say */
  if (rc == SQLITE_OK && def.zName) {
    for (int i = 0; rc == SQLITE_OK && i < def.nCol; i++) {
      const DmSqlToken *t = &def.aTok[def.aElem[i].iFirst];
      rc = add_anchor(p, line_of(p, iOff + t->iOff), 0, sqlite3_mprintf("%s", def.zName),
                      sqlite3_mprintf("%s", def.aElem[i].zName), 1);
    }
    int aTok[2] = {def.iName, def.iOpen};
    for (int i = 0; rc == SQLITE_OK && i < 2; i++) {
      rc = add_anchor(p, line_of(p, iOff + def.aTok[aTok[i]].iOff), 2,
                      sqlite3_mprintf("%s", def.zName), 0, 0);
    }
  }
  dm_create_clear(&def);
  return rc;
}

/* A CREATE [UNIQUE] INDEX [IF NOT EXISTS] [schema.]name statement (zWord
** "INDEX", ePriority 1), or a CREATE VIRTUAL TABLE ("TABLE", 2). */
static int name_anchor(int iOff, const char *zStmt, const char *zWord, int ePriority,
                       Anchors *p) {
  DmSqlToken *a = 0;
  int n = 0;
  int rc = dm_sql_tokenize(zStmt, &a, &n);
  int j = 0;
  while (rc == SQLITE_OK && j < n && !dm_token_is_word(zStmt, &a[j], zWord)) j++;
  j++;
  if (j + 2 < n && dm_token_is_word(zStmt, &a[j], "IF") && dm_token_is_word(zStmt, &a[j + 1], "NOT")) {
    j += 3;
  }
  if (j + 1 < n && a[j + 1].eKind == DM_KIND_OPERATOR && zStmt[a[j + 1].iOff] == '.') j += 2;
  if (rc == SQLITE_OK && j < n) {
    rc = add_anchor(p, line_of(p, iOff + a[j].iOff), ePriority,
                    dm_sql_dequote(zStmt + a[j].iOff, a[j].n), 0, 0);
  }
  sqlite3_free(a);
  return rc;
}

/* The anchors of every CREATE [VIRTUAL] TABLE and CREATE INDEX of zSql. */
static int find_anchors(const char *zSql, Anchors *p) {
  int rc = SQLITE_OK;
  const char *z = zSql;
  while (rc == SQLITE_OK) {
    z = dm_sql_skip_empty(z);
    if (!*z) break;
    const char *zEnd = dm_sql_statement_end(z);
    char *zStmt = sqlite3_mprintf("%.*s", (int)(zEnd - z), z);
    if (!zStmt) return SQLITE_NOMEM;
    const char *zWord = zStmt;
    DmTokenRef create = dm_sql_next(&zWord);
    DmTokenRef kind = dm_sql_next(&zWord);
    if (dm_sql_keyword_is(&kind, "UNIQUE")) kind = dm_sql_next(&zWord);
    if (dm_sql_keyword_is(&create, "CREATE") && dm_sql_keyword_is(&kind, "TABLE")) {
      rc = table_anchors((int)(z - zSql), zStmt, p);
    } else if (dm_sql_keyword_is(&create, "CREATE") && dm_sql_keyword_is(&kind, "INDEX")) {
      rc = name_anchor((int)(z - zSql), zStmt, "INDEX", 1, p);
    } else if (dm_sql_keyword_is(&create, "CREATE") && dm_sql_keyword_is(&kind, "VIRTUAL")) {
      rc = name_anchor((int)(z - zSql), zStmt, "TABLE", 2, p);
    }
    sqlite3_free(zStmt);
    z = zEnd;
  }
  return rc;
}

static int skip_blank(const char *z, int i, int n) {
  while (i < n && (z[i] == ' ' || z[i] == '\t')) i++;
  return i;
}

/* The length of the name at z[i..iEnd): a quoted one as SQL quotes it, a
** bare one to the first blank. */
static int name_length(const char *z, int i, int iEnd) {
  int n = 0;
  if (z[i] == '"' || z[i] == '`' || z[i] == '[' || z[i] == '\'') {
    DmTokenKind eKind;
    n = dm_sql_token(z + i, &eKind);
    return i + n > iEnd ? iEnd - i : n;
  }
  while (i + n < iEnd && z[i + n] != ' ' && z[i + n] != '\t' && z[i + n] != '\r' &&
         z[i + n] != '\n') {
    n++;
  }
  return n;
}

/*
** The old name a comment token's text z[0..n) gives, if it is a hint:
** *pzFrom (sqlite3_malloc'd), or 0 if the comment is no hint. SQLITE_ERROR
** with *pzErr if it is one without a name.
*/
static int hint_of(const char *z, int n, int iLine, char **pzFrom, char **pzErr) {
  static const char zTag[] = "@renamed";
  const int nTag = (int)sizeof(zTag) - 1;
  *pzFrom = 0;
  int i = skip_blank(z, 2, n); /* Past "--" or the opening of a C comment */
  if (n - i < nTag || strncmp(z + i, zTag, (size_t)nTag) != 0) return SQLITE_OK;
  i = skip_blank(z, i + nTag, n);
  int iEnd = n;
  if (z[0] == '/' && iEnd >= 4 && z[iEnd - 1] == '/' && z[iEnd - 2] == '*') iEnd -= 2;
  int nName = iEnd - i > 5 && strncmp(z + i, "from=", 5) == 0 ? name_length(z, i + 5, iEnd) : 0;
  if (nName > 0) {
    *pzFrom = dm_sql_dequote(z + i + 5, nName);
    return *pzFrom ? SQLITE_OK : SQLITE_NOMEM;
  }
  *pzErr = sqlite3_mprintf("line %d: a rename hint names the old name: write "
                           "-- @renamed from=old_name (or from=\"old name\")", iLine);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* Set zRenamedFrom of what anchor x names in p to zFrom (taken). */
static int apply_hint(DmSchema *p, const Anchor *x, char *zFrom) {
  char **pz = 0;
  DmSchemaTable *t = x->ePriority == 1 ? 0 : (DmSchemaTable *)dm_schema_table(p, x->zTable);
  if (x->ePriority == 1) {
    DmIndex *pIdx = (DmIndex *)dm_schema_index(p, x->zTable);
    if (pIdx) pz = &pIdx->zRenamedFrom;
  } else if (t && x->zColumn) {
    DmColumn *c = (DmColumn *)dm_schema_column(t, x->zColumn);
    if (c) pz = &c->zRenamedFrom;
  } else if (t) {
    pz = &t->zRenamedFrom;
  }
  if (!pz) {
    sqlite3_free(zFrom);
    return SQLITE_OK;
  }
  sqlite3_free(*pz);
  *pz = zFrom;
  return SQLITE_OK;
}

/* The anchor of line iLine with the highest priority, or 0. */
static const Anchor *anchor_on(const Anchors *p, int iLine) {
  const Anchor *pBest = 0;
  for (int i = 0; i < p->n; i++) {
    if (p->a[i].iLine == iLine && (!pBest || p->a[i].ePriority > pBest->ePriority)) pBest = &p->a[i];
  }
  return pBest;
}

int dm_schema_hints(const char *zSql, DmSchema *p, char **pzErr) {
  Anchors anchors = {0, 0, 0, 0};
  int rc = index_lines(zSql, &anchors);
  if (rc == SQLITE_OK) rc = find_anchors(zSql, &anchors);
  int i = 0, nTok;
  DmTokenKind eKind;
  while (rc == SQLITE_OK && (nTok = dm_sql_token(zSql + i, &eKind)) > 0) {
    char *zFrom = 0;
    int iLine = eKind == DM_KIND_COMMENT ? line_of(&anchors, i) : 0;
    if (iLine) rc = hint_of(zSql + i, nTok, iLine, &zFrom, pzErr);
    if (rc == SQLITE_OK && zFrom) {
      const Anchor *x = anchor_on(&anchors, iLine);
      if (x) {
        rc = apply_hint(p, x, zFrom);
      } else {
        sqlite3_free(zFrom);
        *pzErr = sqlite3_mprintf("line %d: a rename hint must be on the line of a table's "
                                 "name, of a column's definition or of an index's name",
                                 iLine);
        rc = *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
      }
    }
    i += nTok;
  }
  anchors_clear(&anchors);
  return rc;
}
