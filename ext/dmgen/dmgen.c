/*
** dmgen: the build-time generator. It reads a directory of migration files
** (sql/versions/ or $(MIGRATIONS)), validates the set as a whole and writes
** the C table that the extension carries (ext/migrations.h describes it).
** A broken set fails the build with "file:line: what is wrong".
**
**   dmgen [--multiple-heads=warn|error|ok] DIR OUT.c [SYMBOL]
**                                    write the table (as dm_set, or SYMBOL:
**                                    unit tests link several sets); a set
**                                    with several heads is a warning, an
**                                    error, or fine (the default: the
**                                    Makefile passes MULTIPLE_HEADS)
**   dmgen ... --allow-refused-statements DIR OUT.c
**                                    a statement a migration must not hold
**                                    (BEGIN, COMMIT, ATTACH, VACUUM, a mode
**                                    pragma) is a warning, not an error: for
**                                    the fixtures that test the runner's own
**                                    refusal
**   dmgen --heads DIR                print the head revision ids
**   dmgen --revision DIR TMPL MSG [--head=REV] [--branch-label=NAME]
**         [--depends-on=REV] [--splice] [--upgrades=FILE] [--downgrades=FILE]
**                                    write the next migration file from the
**                                    template, print its path (Alembic's
**                                    `alembic revision` options; the FILEs
**                                    fill ${upgrades} and ${downgrades}, as
**                                    make revision AUTOGENERATE=1 does)
**   dmgen --merge DIR TMPL MSG [REV...]
**                                    write a merge revision of REVs (default:
**                                    all heads), as `alembic merge`
**
** Targets (--head, --depends-on, the REVs of --merge) are read by the
** extension's own revision graph (ext/revision.c), so "left@head" means
** here what it means to migrate_upgrade().
*/
#include <dirent.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "dmgen/parse.h"
#include "graph/revision.h"
#include "sqltext/sqltext.h"

typedef struct Set Set;
struct Set {
  const char *zDir;
  int nFile;
  DmgFile *aFile;    /* Sorted by file name */
  int *aOrder;       /* Topological order: aOrder[k] is an index into aFile */
  int **aaParent;    /* aaParent[i][j]: index of aFile[i].parents.az[j] */
  int **aaDepend;    /* Likewise for depends */
  int nError;
  int bAllowRefused; /* --allow-refused-statements: warn, for test fixtures
                     ** that prove the runner refuses them too */
};

static void error_at(Set *p, const DmgFile *pFile, int iLine,
                     const char *zFormat, ...) {
  va_list ap;
  fprintf(stderr, "%s:%d: ", pFile->zPath, iLine);
  va_start(ap, zFormat);
  vfprintf(stderr, zFormat, ap);
  va_end(ap);
  fputc('\n', stderr);
  p->nError++;
}

static void *xmalloc(size_t n) {
  void *pNew = calloc(1, n ? n : 1);
  if (!pNew) {
    fprintf(stderr, "dmgen: out of memory\n");
    exit(2);
  }
  return pNew;
}

static char *read_file(const char *zPath, size_t *pn) {
  FILE *f = fopen(zPath, "rb");
  if (!f) return 0;
  size_t nAlloc = 4096, n = 0;
  char *z = xmalloc(nAlloc);
  size_t got;
  while ((got = fread(z + n, 1, nAlloc - n, f)) > 0) {
    n += got;
    if (n == nAlloc) {
      nAlloc *= 2;
      z = realloc(z, nAlloc);
      if (!z) {
        fprintf(stderr, "dmgen: out of memory\n");
        exit(2);
      }
    }
  }
  int bErr = ferror(f);
  fclose(f);
  if (bErr) {
    free(z);
    return 0;
  }
  *pn = n;
  return z;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The *.sql file names of zDir, sorted. Returns -1 if zDir can't be read. */
static int list_dir(const char *zDir, char ***pazName) {
  DIR *d = opendir(zDir);
  if (!d) return -1;
  int n = 0, nAlloc = 16;
  char **az = xmalloc(sizeof(char *) * (size_t)nAlloc);
  struct dirent *e;
  while ((e = readdir(d)) != 0) {
    size_t nName = strlen(e->d_name);
    if (nName < 5 || strcmp(e->d_name + nName - 4, ".sql") != 0) continue;
    if (e->d_name[0] == '.') continue;
    if (n == nAlloc) {
      nAlloc *= 2;
      az = realloc(az, sizeof(char *) * (size_t)nAlloc);
      if (!az) exit(2);
    }
    az[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(az, (size_t)n, sizeof(char *), cmp_str);
  *pazName = az;
  return n;
}

static int find_id(const Set *p, const char *zId) {
  for (int i = 0; i < p->nFile; i++) {
    if (strcmp(p->aFile[i].zId, zId) == 0) return i;
  }
  return -1;
}

/*
** Return the line of zFile on which the last non-blank line of a section
** starting at iFirst is.
*/
static int last_content_line(const char *zSection, int iFirst) {
  int iLine = iFirst, iLast = iFirst;
  const char *z = zSection;
  while (*z) {
    const char *zEol = strchr(z, '\n');
    size_t n = zEol ? (size_t)(zEol - z) : strlen(z);
    for (size_t i = 0; i < n; i++) {
      if (z[i] != ' ' && z[i] != '\t' && z[i] != '\r') {
        iLast = iLine;
        break;
      }
    }
    if (!zEol) break;
    z = zEol + 1;
    iLine++;
  }
  return iLast;
}

/*
** A section must end with a complete statement, so that the offline script
** (the sections one after the other) splits where the runner splits. SQLite
** decides: sqlite3_complete() for the text, and a prepare that finds no
** statement at all for a section of comments only. Those comments must be
** closed (a ';' on a line after them has to end a statement): a block
** comment left open would swallow what follows the section in the script.
*/
static void check_section(Set *p, sqlite3 *db, const DmgFile *pFile,
                          const char *zName, const char *zSection, int iMarker) {
  if (sqlite3_complete(zSection)) return;
  sqlite3_stmt *pStmt = 0;
  const char *zTail = 0;
  int rc = sqlite3_prepare_v2(db, zSection, -1, &pStmt, &zTail);
  sqlite3_finalize(pStmt);
  if (rc == SQLITE_OK && pStmt == 0) {
    /* Only comments and whitespace. */
    char *zClosed = sqlite3_mprintf("%s\n;", zSection);
    if (!zClosed) {
      fprintf(stderr, "dmgen: out of memory\n");
      exit(2);
    }
    int bClosed = sqlite3_complete(zClosed);
    sqlite3_free(zClosed);
    if (bClosed) return;
    error_at(p, pFile, last_content_line(zSection, iMarker + 1),
             "the %s section ends inside a '/*' comment: close it with '*/'",
             zName);
    return;
  }
  error_at(p, pFile, last_content_line(zSection, iMarker + 1),
           "the %s section ends inside an unfinished statement: end every "
           "statement with ';' (and a trigger body with 'END;')",
           zName);
}

/*
** Each statement of a section, as SQLite would split it (the shortest
** prefix sqlite3_complete() accepts, tried at each ';' token), judged by
** dm_sql_refusal(): what the runner refuses fails the build here already,
** at the statement's line; PRAGMA foreign_keys is a warning.
*/
static void check_statements(Set *p, const DmgFile *pFile, const char *zName,
                             const char *zSection, int iMarker) {
  for (const char *z = dm_sql_skip_empty(zSection); *z; z = dm_sql_skip_empty(z)) {
    const char *zEnd = dm_sql_statement_end(z);
    char *zStmt = sqlite3_mprintf("%.*s", (int)(zEnd - z), z);
    if (!zStmt) {
      fprintf(stderr, "dmgen: out of memory\n");
      exit(2);
    }
    DmRefusal e = dm_sql_refusal(zStmt);
    sqlite3_free(zStmt);
    if (e != DM_REFUSE_NONE) {
      int iLine = iMarker + 1; /* The section starts on the marker's next line */
      for (const char *c = zSection; c < z; c++) iLine += *c == '\n';
      int bWarn = e == DM_WARN_FOREIGN_KEYS || p->bAllowRefused;
      fprintf(stderr, "%s:%d: %s%s (in the %s section)\n", pFile->zPath, iLine,
              bWarn ? "warning: " : "", dm_refusal_reason(e), zName);
      if (!bWarn) p->nError++;
    }
    z = zEnd;
  }
}

/* Read and parse every migration of zDir; an empty directory is an error
** unless bEmptyOk (make revision / make merge write the first one). */
static int load_set(Set *p, const char *zDir, int bEmptyOk) {
  memset(p, 0, sizeof(*p));
  p->zDir = zDir;
  char **azName = 0;
  int nName = list_dir(zDir, &azName);
  if (nName < 0) {
    fprintf(stderr, "%s:0: cannot read the migrations directory: %s\n", zDir,
            strerror(errno));
    return 1;
  }
  if (nName == 0 && bEmptyOk) {
    free(azName);
    return 0;
  }
  if (nName == 0) {
    fprintf(stderr,
            "%s:0: no migration files (*.sql); make revision MSG=\"...\" "
            "writes the first one\n",
            zDir);
    free(azName);
    return 1;
  }
  p->aFile = xmalloc(sizeof(DmgFile) * (size_t)nName);
  for (int i = 0; i < nName; i++) {
    size_t nPath = strlen(zDir) + strlen(azName[i]) + 2;
    char *zPath = xmalloc(nPath);
    snprintf(zPath, nPath, "%s/%s", zDir, azName[i]);
    size_t nText = 0;
    char *zText = read_file(zPath, &nText);
    if (!zText) {
      fprintf(stderr, "%s:0: cannot read: %s\n", zPath, strerror(errno));
      p->nError++;
    } else {
      char *zErr = 0;
      if (dmg_parse(zPath, zText, nText, &p->aFile[p->nFile], &zErr)) {
        fprintf(stderr, "%s\n", zErr ? zErr : "out of memory");
        free(zErr);
        p->nError++;
      } else {
        p->nFile++;
      }
      free(zText);
    }
    free(zPath);
    free(azName[i]);
  }
  free(azName);
  return p->nError;
}

/* The file that declares branch label zLabel, or -1. */
static int find_label(const Set *p, const char *zLabel) {
  for (int i = 0; i < p->nFile; i++) {
    for (int k = 0; k < p->aFile[i].labels.n; k++) {
      if (strcmp(p->aFile[i].labels.az[k], zLabel) == 0) return i;
    }
  }
  return -1;
}

/*
** Resolve a list of ids to indexes; report unknown ones. "Depends On:" may
** name a branch label, as in Alembic (the revision that declares it);
** "Revises:" needs revision ids.
*/
static int *resolve_list(Set *p, const DmgFile *pFile, const DmgList *pList,
                         const char *zField, int bLabels) {
  int *a = xmalloc(sizeof(int) * (size_t)(pList->n + 1));
  for (int j = 0; j < pList->n; j++) {
    a[j] = find_id(p, pList->az[j]);
    int iLabel = a[j] < 0 ? find_label(p, pList->az[j]) : -1;
    if (iLabel >= 0 && bLabels) a[j] = iLabel;
    if (a[j] < 0 && iLabel >= 0) {
      error_at(p, pFile, pList->iLine,
               "%s: '%s' is a branch label (of %s in %s), not a revision id; "
               "write '%s'",
               zField, pList->az[j], p->aFile[iLabel].zId,
               p->aFile[iLabel].zPath, p->aFile[iLabel].zId);
    } else if (a[j] < 0) {
      error_at(p, pFile, pList->iLine,
               "%s: unknown revision '%s' (no file in %s has 'Revision ID: %s')",
               zField, pList->az[j], p->zDir, pList->az[j]);
    } else if (a[j] == (int)(pFile - p->aFile)) {
      if (iLabel >= 0) {
        error_at(p, pFile, pList->iLine,
                 "%s: '%s' is this revision's own branch label", zField,
                 pList->az[j]);
      } else {
        error_at(p, pFile, pList->iLine, "%s: revision '%s' names itself",
                 zField, pFile->zId);
      }
      a[j] = -1;
    }
  }
  return a;
}

static int uf_find(int *aUf, int i) {
  while (aUf[i] != i) i = aUf[i] = aUf[aUf[i]];
  return i;
}

/*
** A prerequisite of revision i (a parent, else a dependency) that the
** topological sort could not place; *pbDepend says which kind it is. Every
** unplaced revision has one, or it would have been placed.
*/
static int unplaced_prerequisite(const Set *p, const char *aPlaced, int i,
                                 int *pbDepend) {
  const DmgFile *pF = &p->aFile[i];
  for (int j = 0; j < pF->parents.n; j++) {
    *pbDepend = 0;
    if (!aPlaced[p->aaParent[i][j]]) return p->aaParent[i][j];
  }
  for (int j = 0; j < pF->depends.n; j++) {
    *pbDepend = 1;
    if (!aPlaced[p->aaDepend[i][j]]) return p->aaDepend[i][j];
  }
  return -1;
}

/* Revision ids and branch labels are each used once, and not as the other. */
static int check_unique_names(Set *p) {
  for (int i = 0; i < p->nFile; i++) {
    DmgFile *pF = &p->aFile[i];
    for (int j = 0; j < i; j++) {
      if (strcmp(p->aFile[j].zId, pF->zId) == 0) {
        error_at(p, pF, pF->iIdLine, "duplicate revision id '%s' (also in %s:%d)",
                 pF->zId, p->aFile[j].zPath, p->aFile[j].iIdLine);
      }
    }
    for (int k = 0; k < pF->labels.n; k++) {
      const char *zLabel = pF->labels.az[k];
      int iSame = find_id(p, zLabel);
      if (iSame >= 0) {
        error_at(p, pF, pF->labels.iLine,
                 "branch label '%s' is also a revision id (%s)", zLabel,
                 p->aFile[iSame].zPath);
      }
      for (int j = 0; j < i; j++) {
        for (int m = 0; m < p->aFile[j].labels.n; m++) {
          if (strcmp(p->aFile[j].labels.az[m], zLabel) == 0) {
            error_at(p, pF, pF->labels.iLine,
                     "branch label '%s' is used twice (also in %s:%d)", zLabel,
                     p->aFile[j].zPath, p->aFile[j].labels.iLine);
          }
        }
      }
    }
  }
  return p->nError;
}

/* Parents and dependencies exist: their names to file indexes. */
static int resolve_edges(Set *p) {
  int n = p->nFile;
  p->aaParent = xmalloc(sizeof(int *) * (size_t)n);
  p->aaDepend = xmalloc(sizeof(int *) * (size_t)n);
  for (int i = 0; i < n; i++) {
    p->aaParent[i] = resolve_list(p, &p->aFile[i], &p->aFile[i].parents, "Revises", 0);
    p->aaDepend[i] = resolve_list(p, &p->aFile[i], &p->aFile[i].depends, "Depends On", 1);
  }
  return p->nError;
}

/*
** A parent is already required: naming it again as a dependency says
** nothing, and is probably a slip for another revision.
*/
static int check_depends_not_parents(Set *p) {
  for (int i = 0; i < p->nFile; i++) {
    const DmgFile *pF = &p->aFile[i];
    for (int j = 0; j < pF->depends.n; j++) {
      for (int k = 0; k < pF->parents.n; k++) {
        if (p->aaDepend[i][j] == p->aaParent[i][k]) {
          int bLabel = strcmp(pF->depends.az[j], pF->parents.az[k]) != 0;
          error_at(p, pF, pF->depends.iLine,
                   "Depends On: '%s'%s%s%s is also in 'Revises:' (line %d), "
                   "which already makes it come first; remove it from "
                   "'Depends On:'",
                   pF->depends.az[j], bLabel ? " (the label of '" : "",
                   bLabel ? pF->parents.az[k] : "", bLabel ? "')" : "",
                   pF->parents.iLine);
        }
      }
    }
  }
  return p->nError;
}

/*
** Without a base every revision waits for another: say that, rather than
** name the cycle it makes.
*/
static int check_has_base(Set *p) {
  int n = p->nFile;
  int iBase = 0;
  while (iBase < n && p->aFile[iBase].parents.n > 0) iBase++;
  if (iBase == n) {
    error_at(p, &p->aFile[0], p->aFile[0].parents.iLine,
             "no base revision: every file's 'Revises:' names a parent; the "
             "first revision needs an empty 'Revises:'");
  }
  return p->nError;
}

/*
** The revisions the sort could not place wait on each other: walk
** prerequisites among them until one repeats, and print that cycle.
*/
static void report_cycle(Set *p, const char *aPlaced) {
  int n = p->nFile;
  int *aSeen = xmalloc(sizeof(int) * (size_t)n);
  for (int i = 0; i < n; i++) aSeen[i] = -1;
  int i = 0;
  while (aPlaced[i]) i++;
  int iStep = 0;
  int bDepend = 0;
  while (aSeen[i] < 0) {
    aSeen[i] = iStep++;
    i = unplaced_prerequisite(p, aPlaced, i, &bDepend);
  }
  /* i is on the cycle; print it starting there, on the line of the field
  ** that holds its first edge. */
  const DmgFile *pStart = &p->aFile[i];
  unplaced_prerequisite(p, aPlaced, i, &bDepend);
  fprintf(stderr, "%s:%d: cycle in the revision graph: %s", pStart->zPath,
          bDepend ? pStart->depends.iLine : pStart->parents.iLine, pStart->zId);
  int k = i;
  do {
    k = unplaced_prerequisite(p, aPlaced, k, &bDepend);
    fprintf(stderr, " %s %s", bDepend ? "depends on" : "revises", p->aFile[k].zId);
  } while (k != i);
  fputc('\n', stderr);
  p->nError++;
  free(aSeen);
}

/* Topological order (Kahn), ties broken by file name, into p->aOrder. */
static int sort_topologically(Set *p) {
  int n = p->nFile;
  int *aPending = xmalloc(sizeof(int) * (size_t)n); /* unplaced prerequisites */
  char *aPlaced = xmalloc((size_t)n);
  p->aOrder = xmalloc(sizeof(int) * (size_t)n);
  for (int i = 0; i < n; i++) {
    aPending[i] = p->aFile[i].parents.n + p->aFile[i].depends.n;
  }
  int nPlaced = 0;
  while (nPlaced < n) {
    int iNext = -1;
    for (int i = 0; i < n && iNext < 0; i++) {
      if (!aPlaced[i] && aPending[i] == 0) iNext = i;
    }
    if (iNext < 0) break;
    aPlaced[iNext] = 1;
    p->aOrder[nPlaced++] = iNext;
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < p->aFile[i].parents.n; j++) {
        if (p->aaParent[i][j] == iNext) aPending[i]--;
      }
      for (int j = 0; j < p->aFile[i].depends.n; j++) {
        if (p->aaDepend[i][j] == iNext) aPending[i]--;
      }
    }
  }
  if (nPlaced < n) report_cycle(p, aPlaced);
  free(aPending);
  free(aPlaced);
  return p->nError;
}

/*
** A merge whose parents are on one line: one of them is an ancestor of
** another, so the "merge" joins nothing and alembic_version would hold the
** rows of a line as if it were two branches.
*/
static int check_merges_join(Set *p) {
  int n = p->nFile;
  char *aAbove = xmalloc((size_t)n);
  for (int i = 0; i < n; i++) {
    const DmgFile *pF = &p->aFile[i];
    for (int j = 0; j < pF->parents.n && pF->parents.n > 1; j++) {
      /* aAbove: the ancestors of parent j, through "Revises:". */
      memset(aAbove, 0, (size_t)n);
      aAbove[p->aaParent[i][j]] = 1;
      for (int k = n - 1; k >= 0; k--) {
        int f = p->aOrder[k];
        if (!aAbove[f]) continue;
        for (int m = 0; m < p->aFile[f].parents.n; m++) aAbove[p->aaParent[f][m]] = 1;
      }
      for (int m = 0; m < pF->parents.n; m++) {
        if (m != j && aAbove[p->aaParent[i][m]]) {
          error_at(p, pF, pF->parents.iLine,
                   "Revises: '%s' is already an ancestor of '%s', so this is "
                   "no merge; list only '%s'",
                   pF->parents.az[m], pF->parents.az[j], pF->parents.az[j]);
        }
      }
    }
  }
  free(aAbove);
  return p->nError;
}

/* One base, or several joined by a merge: the graph is connected. */
static int check_connected(Set *p) {
  int n = p->nFile;
  int *aUf = xmalloc(sizeof(int) * (size_t)n);
  for (int i = 0; i < n; i++) aUf[i] = i;
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < p->aFile[i].parents.n; j++) {
      aUf[uf_find(aUf, i)] = uf_find(aUf, p->aaParent[i][j]);
    }
    for (int j = 0; j < p->aFile[i].depends.n; j++) {
      aUf[uf_find(aUf, i)] = uf_find(aUf, p->aaDepend[i][j]);
    }
  }
  int iFirstBase = -1;
  for (int k = 0; k < n; k++) {
    int i = p->aOrder[k];
    if (p->aFile[i].parents.n > 0) continue;
    if (iFirstBase < 0) {
      iFirstBase = i;
    } else if (uf_find(aUf, i) != uf_find(aUf, iFirstBase)) {
      error_at(p, &p->aFile[i], p->aFile[i].parents.iLine,
               "'%s' is a second base revision (empty 'Revises:'; the first "
               "is '%s' in %s) and no merge joins them: give it a parent, or "
               "add a merge revision that revises both branches",
               p->aFile[i].zId, p->aFile[iFirstBase].zId,
               p->aFile[iFirstBase].zPath);
    }
  }
  free(aUf);
  return p->nError;
}

/* Sections end with complete statements. */
static int check_sections_complete(Set *p) {
  sqlite3 *db = 0;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
    fprintf(stderr, "dmgen: cannot open an in-memory SQLite database\n");
    sqlite3_close(db);
    return ++p->nError;
  }
  for (int i = 0; i < p->nFile; i++) {
    const DmgFile *pF = &p->aFile[i];
    check_section(p, db, pF, "up", pF->zUp, pF->iUpLine);
    check_section(p, db, pF, "down", pF->zDown, pF->iDownLine);
    check_statements(p, pF, "up", pF->zUp, pF->iUpLine);
    check_statements(p, pF, "down", pF->zDown, pF->iDownLine);
  }
  sqlite3_close(db);
  return p->nError;
}

/* The set's checks in order; each needs the ones before it passed. */
static int validate_set(Set *p) {
  int nError = check_unique_names(p);
  if (!nError) nError = resolve_edges(p);
  if (!nError) nError = check_depends_not_parents(p);
  if (!nError) nError = check_has_base(p);
  if (!nError) nError = sort_topologically(p);
  if (!nError) nError = check_merges_join(p);
  if (!nError) nError = check_connected(p);
  if (!nError) nError = check_sections_complete(p);
  return nError;
}

/* Write z as a C string literal, one source line per line of text. */
static void emit_string(FILE *out, const char *z) {
  if (!*z) {
    fputs("\"\"", out);
    return;
  }
  int bOpen = 0;
  for (; *z; z++) {
    if (!bOpen) {
      fputs("\n    \"", out);
      bOpen = 1;
    }
    unsigned char c = (unsigned char)*z;
    switch (c) {
      case '"': fputs("\\\"", out); break;
      case '\\': fputs("\\\\", out); break;
      case '\n':
        fputs("\\n\"", out);
        bOpen = 0;
        break;
      case '\r': fputs("\\r", out); break;
      case '\t': fputs("\\t", out); break;
      case '?': fputs("\\?", out); break; /* no trigraphs */
      default:
        if (c < 0x20 || c == 0x7f) {
          fprintf(out, "\\%03o", c);
        } else {
          fputc(c, out);
        }
    }
  }
  if (bOpen) fputc('"', out);
}

static int emit_c(const Set *p, const char *zOut, const char *zSymbol) {
  FILE *out = fopen(zOut, "wb");
  if (!out) {
    fprintf(stderr, "dmgen: cannot write %s: %s\n", zOut, strerror(errno));
    return 1;
  }
  int n = p->nFile;
  int *aPos = xmalloc(sizeof(int) * (size_t)n); /* file index -> table index */
  for (int k = 0; k < n; k++) aPos[p->aOrder[k]] = k;

  fprintf(out, "/* DO NOT EDIT: generated by ext/gen/dmgen.c from %s */\n",
          p->zDir);
  fputs("#include \"graph/migrations.h\"\n\n", out);
  for (int k = 0; k < n; k++) {
    int i = p->aOrder[k];
    const DmgFile *pF = &p->aFile[i];
    if (pF->parents.n) {
      fprintf(out, "static const int aParent%d[] = {", k);
      for (int j = 0; j < pF->parents.n; j++) {
        fprintf(out, "%s%d", j ? ", " : "", aPos[p->aaParent[i][j]]);
      }
      fputs("};\n", out);
    }
    if (pF->depends.n) {
      fprintf(out, "static const int aDepend%d[] = {", k);
      for (int j = 0; j < pF->depends.n; j++) {
        fprintf(out, "%s%d", j ? ", " : "", aPos[p->aaDepend[i][j]]);
      }
      fputs("};\n", out);
    }
    if (pF->labels.n) {
      fprintf(out, "static const char *const azLabel%d[] = {", k);
      for (int j = 0; j < pF->labels.n; j++) {
        fputs(j ? ", " : "", out);
        emit_string(out, pF->labels.az[j]);
      }
      fputs("};\n", out);
    }
  }
  fputs("\nstatic const DmRevision aRev[] = {\n", out);
  for (int k = 0; k < n; k++) {
    int i = p->aOrder[k];
    const DmgFile *pF = &p->aFile[i];
    char zSum[65];
    if (dmg_checksum(pF, zSum)) {
      fprintf(stderr, "dmgen: out of memory\n");
      exit(2);
    }
    fprintf(out, "  /* %d */ {", k);
    emit_string(out, pF->zId);
    fputs(",", out);
    emit_string(out, pF->zMessage);
    fputs(",", out);
    emit_string(out, pF->zCreateDate);
    fputs(",", out);
    emit_string(out, pF->zPath);
    fputs(",\n   ", out);
    if (pF->parents.n) fprintf(out, "%d, aParent%d, ", pF->parents.n, k);
    else fputs("0, 0, ", out);
    if (pF->depends.n) fprintf(out, "%d, aDepend%d, ", pF->depends.n, k);
    else fputs("0, 0, ", out);
    if (pF->labels.n) fprintf(out, "%d, azLabel%d,", pF->labels.n, k);
    else fputs("0, 0,", out);
    emit_string(out, pF->zUp);
    fprintf(out, ",\n   %d,", pF->iUpLine + 1);
    emit_string(out, pF->zDown);
    fprintf(out, ",\n   %d, \"%s\"},\n", pF->iDownLine + 1, zSum);
  }
  fprintf(out, "};\n\nconst DmSet %s = {", zSymbol);
  fprintf(out, "%d, aRev, ", n);
  emit_string(out, p->zDir);
  fputs("};\n", out);
  free(aPos);
  if (fclose(out) != 0) {
    fprintf(stderr, "dmgen: cannot write %s: %s\n", zOut, strerror(errno));
    return 1;
  }
  return 0;
}

/*
** The set as the extension's revision graph sees it (ext/migrations.h),
** built in memory in topological order, so that targets such as
** "left@head" resolve here exactly as they do in migrate_upgrade().
** Revision i of the graph is file p->aOrder[i].
*/
static DmSet *graph_of(const Set *p) {
  int n = p->nFile;
  int *aPos = xmalloc(sizeof(int) * (size_t)(n + 1)); /* file -> graph index */
  for (int k = 0; k < n; k++) aPos[p->aOrder[k]] = k;
  DmRevision *aRev = xmalloc(sizeof(DmRevision) * (size_t)(n + 1));
  for (int k = 0; k < n; k++) {
    int i = p->aOrder[k];
    const DmgFile *pF = &p->aFile[i];
    int *aParent = xmalloc(sizeof(int) * (size_t)(pF->parents.n + 1));
    int *aDepend = xmalloc(sizeof(int) * (size_t)(pF->depends.n + 1));
    for (int j = 0; j < pF->parents.n; j++) aParent[j] = aPos[p->aaParent[i][j]];
    for (int j = 0; j < pF->depends.n; j++) aDepend[j] = aPos[p->aaDepend[i][j]];
    aRev[k].zId = pF->zId;
    aRev[k].zMessage = pF->zMessage;
    aRev[k].zCreateDate = pF->zCreateDate;
    aRev[k].zFile = pF->zPath;
    aRev[k].nParent = pF->parents.n;
    aRev[k].aParent = aParent;
    aRev[k].nDepend = pF->depends.n;
    aRev[k].aDepend = aDepend;
    aRev[k].nLabel = pF->labels.n;
    aRev[k].azLabel = (const char *const *)pF->labels.az;
    aRev[k].zUp = pF->zUp;
    aRev[k].zDown = pF->zDown;
    aRev[k].zChecksum = "";
  }
  free(aPos);
  DmSet *pSet = xmalloc(sizeof(DmSet));
  pSet->nRev = n;
  pSet->aRev = aRev;
  pSet->zSource = p->zDir;
  return pSet;
}

/* What graph_of() allocated (the strings belong to the Set). */
static void graph_free(DmSet *pSet) {
  if (!pSet) return;
  for (int k = 0; k < pSet->nRev; k++) {
    free((void *)pSet->aRev[k].aParent);
    free((void *)pSet->aRev[k].aDepend);
  }
  free((void *)pSet->aRev);
  free(pSet);
}

/*
** Everything load_set() and validate_set() allocated. The tool exits right
** after, but freeing it keeps the sanitizer build's leak report for real
** leaks (make test-asan).
*/
static void set_clear(Set *p) {
  for (int i = 0; i < p->nFile; i++) {
    dmg_file_clear(&p->aFile[i]);
    if (p->aaParent) free(p->aaParent[i]);
    if (p->aaDepend) free(p->aaDepend[i]);
  }
  free(p->aFile);
  free(p->aOrder);
  free(p->aaParent);
  free(p->aaDepend);
  memset(p, 0, sizeof(*p));
}

/* The heads of the set, as `alembic heads` lists them: nobody's parent. */
static int graph_heads(const DmSet *pSet, int *aHead) {
  return dm_heads(pSet, 0, 0, aHead);
}

/* What the build does with a set that has more than one head. */
enum { HEADS_OK, HEADS_WARN, HEADS_ERROR };

/*
** A release normally ships one head: with two, migrate_upgrade('head')
** refuses to choose. Say so at build time, once per extra head, with the
** file that holds it.
*/
static void check_heads(Set *p, const DmSet *pSet, int eMode) {
  if (eMode == HEADS_OK) return;
  int *aHead = xmalloc(sizeof(int) * (size_t)(pSet->nRev + 1));
  int nHead = graph_heads(pSet, aHead);
  const DmgFile *pFirst = nHead ? &p->aFile[p->aOrder[aHead[0]]] : 0;
  for (int j = 1; j < nHead; j++) {
    const DmgFile *pF = &p->aFile[p->aOrder[aHead[j]]];
    fprintf(stderr,
            "%s:%d: %s: '%s' is another head besides '%s' (%s): "
            "migrate_upgrade('head') will refuse to choose, and a release "
            "normally ships one head; write a merge revision with make merge, "
            "or build with MULTIPLE_HEADS=%s\n",
            pF->zPath, pF->iIdLine, eMode == HEADS_ERROR ? "error" : "warning",
            pF->zId, pFirst->zId, pFirst->zPath,
            eMode == HEADS_ERROR ? "warn (or ok) if the heads are meant to ship"
                                 : "ok if they are meant to ship");
    if (eMode == HEADS_ERROR) p->nError++;
  }
  free(aHead);
}

/* "Add foo bar!" -> "add_foo_bar", at most nMax characters. */
static void slug(const char *zMsg, char *zOut, size_t nMax) {
  size_t n = 0;
  int bSep = 0;
  for (const char *z = zMsg; *z && n < nMax; z++) {
    char c = *z;
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      if (bSep && n > 0) zOut[n++] = '_';
      if (n < nMax) zOut[n++] = c;
      bSep = 0;
    } else if (c >= 'A' && c <= 'Z') {
      if (bSep && n > 0) zOut[n++] = '_';
      if (n < nMax) zOut[n++] = (char)(c - 'A' + 'a');
      bSep = 0;
    } else {
      bSep = 1;
    }
  }
  while (n > 0 && zOut[n - 1] == '_') n--;
  zOut[n] = 0;
}

/* Append z to a growing buffer. */
static void append(char **pz, size_t *pn, size_t *pnAlloc, const char *z,
                   size_t nz) {
  if (*pn + nz + 1 > *pnAlloc) {
    *pnAlloc = (*pn + nz + 1) * 2;
    *pz = realloc(*pz, *pnAlloc);
    if (!*pz) exit(2);
  }
  memcpy(*pz + *pn, z, nz);
  *pn += nz;
  (*pz)[*pn] = 0;
}

/* How `make revision` (or `make merge`) was asked to link the new file. */
typedef struct RevOpts RevOpts;
struct RevOpts {
  const char *zWho;        /* "make revision" or "make merge", for messages */
  const char *zHead;       /* HEAD=: what the new revision revises, or 0 */
  const char *zLabels;     /* BRANCH_LABEL=: labels of the new revision, or 0 */
  const char *zDepends;    /* DEPENDS_ON=: comma-separated targets, or 0 */
  int bSplice;             /* SPLICE=1: HEAD may be a non-head revision */
  int bMerge;              /* make merge: azMerge (or all heads) */
  int nMerge;
  char **azMerge;
  const char *zUpgrades;   /* --upgrades=FILE: the up section (AUTOGENERATE=1) */
  const char *zDowngrades; /* --downgrades=FILE: the down section */
};

/* Append z to a growing "a, b" list. */
static void list_add(char **pz, size_t *pn, size_t *pnAlloc, const char *z) {
  if (*pn) append(pz, pn, pnAlloc, ", ", 2);
  append(pz, pn, pnAlloc, z, strlen(z));
}

/* Why HEAD= must be given: several heads, and advice that names one. */
static void report_several_heads(const DmSet *pSet, int *aPoint, const RevOpts *pOpt) {
  int nHead = graph_heads(pSet, aPoint);
  char *zList = dm_join_ids(pSet, aPoint, nHead);
  /* Advice names a branch if the first head has a label. */
  char *zLabels = dm_branch_labels(pSet, aPoint[0]);
  char *zComma = zLabels ? strchr(zLabels, ',') : 0;
  if (zComma) *zComma = 0;
  fprintf(stderr,
          "%s: several heads are present (%s); name the one the new "
          "revision revises, as in HEAD=%s%s, or merge them first with "
          "make merge\n",
          pOpt->zWho, zList ? zList : "",
          zLabels && zLabels[0] ? zLabels : pSet->aRev[aPoint[0]].zId,
          zLabels && zLabels[0] ? "@head" : "");
  sqlite3_free(zList);
  sqlite3_free(zLabels);
}

/* The revisions zArg names into aPoint; 1 (reported) if it names none. */
static int arg_points(const DmSet *pSet, const char *zArg, const RevOpts *pOpt, int *aPoint,
                      int *pnPoint) {
  char *zErr = 0;
  *pnPoint = 0;
  if (!pSet || pSet->nRev == 0) {
    if (pOpt->bMerge || (strcmp(zArg, "head") != 0 && strcmp(zArg, "base") != 0)) {
      fprintf(stderr, "%s: %s%s: the set is empty, so the new revision "
                      "can only be a base\n",
              pOpt->zWho, pOpt->bMerge ? "" : "HEAD=", zArg);
      return 1;
    }
    return 0;
  }
  if (!dm_points(pSet, zArg, aPoint, pnPoint, &zErr)) return 0;
  if (!pOpt->bMerge && !pOpt->zHead && graph_heads(pSet, aPoint) > 1) {
    report_several_heads(pSet, aPoint, pOpt);
  } else {
    fprintf(stderr, "%s: %s%s: %s\n", pOpt->zWho,
            pOpt->bMerge ? "" : "HEAD=", zArg, zErr ? zErr : "out of memory");
  }
  sqlite3_free(zErr);
  return 1;
}

/* Like Alembic, build on heads only, unless asked to start a branch. */
static int check_parents_are_heads(const DmSet *pSet, const int *aParent, int nParent,
                                   const RevOpts *pOpt) {
  int n = pSet ? pSet->nRev : 0;
  int *aHead = xmalloc(sizeof(int) * (size_t)(n + 1));
  int nHead = n ? graph_heads(pSet, aHead) : 0;
  int rc = 0;
  for (int k = 0; k < nParent && !pOpt->bSplice && !rc; k++) {
    int bHead = 0;
    for (int m = 0; m < nHead; m++) bHead |= aHead[m] == aParent[k];
    if (!bHead) {
      fprintf(stderr,
              "%s: revision %s is not a head revision; %s\n", pOpt->zWho,
              pSet->aRev[aParent[k]].zId,
              pOpt->bMerge ? "merge heads only (make merge REVISIONS=\"a b\")"
                           : "set SPLICE=1 to start a new branch from it");
      rc = 1;
    }
  }
  free(aHead);
  return rc;
}

/* A merge joins two revisions or more. */
static int check_merge_count(const DmSet *pSet, const int *aParent, int nParent,
                             const RevOpts *pOpt) {
  if (!pOpt->bMerge || nParent >= 2) return 0;
  if (pOpt->nMerge) {
    fprintf(stderr, "%s: nothing to merge: name two revisions or more\n",
            pOpt->zWho);
  } else {
    fprintf(stderr, "%s: nothing to merge: the set has one head, %s\n",
            pOpt->zWho, pSet->aRev[aParent[0]].zId);
  }
  return 1;
}

/*
** The parents of the new revision, as `alembic revision --head` and
** `alembic merge` choose them; "" for a new base. 0 on error (reported).
*/
static char *new_parents(Set *p, const DmSet *pSet, const RevOpts *pOpt) {
  int n = pSet ? pSet->nRev : 0;
  int *aPoint = xmalloc(sizeof(int) * (size_t)(n + 1));
  int *aParent = xmalloc(sizeof(int) * (size_t)(n + 1));
  int nParent = 0;
  char *z = 0;
  int nArg = pOpt->bMerge ? (pOpt->nMerge ? pOpt->nMerge : 1) : 1;
  for (int a = 0; a < nArg; a++) {
    const char *zArg = pOpt->bMerge ? (pOpt->nMerge ? pOpt->azMerge[a] : "heads")
                                    : (pOpt->zHead ? pOpt->zHead : "head");
    int nPoint = 0;
    if (arg_points(pSet, zArg, pOpt, aPoint, &nPoint)) goto done;
    for (int k = 0; k < nPoint; k++) {
      for (int m = 0; m < nParent; m++) {
        if (aParent[m] == aPoint[k]) {
          fprintf(stderr, "%s: revision %s is named twice\n", pOpt->zWho,
                  pSet->aRev[aPoint[k]].zId);
          goto done;
        }
      }
      aParent[nParent++] = aPoint[k];
    }
  }
  if (check_parents_are_heads(pSet, aParent, nParent, pOpt)) goto done;
  if (check_merge_count(pSet, aParent, nParent, pOpt)) goto done;
  size_t nz = 0, nAlloc = 0;
  append(&z, &nz, &nAlloc, "", 0);
  for (int k = 0; k < nParent; k++) list_add(&z, &nz, &nAlloc, pSet->aRev[aParent[k]].zId);
done:
  free(aPoint);
  free(aParent);
  return z;
}

/* "a, b" of a comma-separated option, each item trimmed; 0 if empty. */
static int split_option(const char *zOpt, char ***pazItem) {
  int nItem = 0;
  char **az = xmalloc(sizeof(char *) * (strlen(zOpt) + 1));
  const char *z = zOpt;
  while (*z) {
    while (*z == ' ' || *z == ',') z++;
    const char *zEnd = z;
    while (*zEnd && *zEnd != ',') zEnd++;
    size_t nLen = (size_t)(zEnd - z);
    while (nLen > 0 && z[nLen - 1] == ' ') nLen--;
    if (nLen) {
      az[nItem] = xmalloc(nLen + 1);
      memcpy(az[nItem], z, nLen);
      nItem++;
    }
    z = zEnd;
  }
  *pazItem = az;
  return nItem;
}

static void free_items(char **az, int nItem) {
  for (int k = 0; k < nItem; k++) free(az[k]);
  free(az);
}

/* BRANCH_LABEL=: new labels, checked as the build will check them. */
static char *new_labels(Set *p, const RevOpts *pOpt) {
  char *z = 0;
  size_t nz = 0, nAlloc = 0;
  append(&z, &nz, &nAlloc, "", 0);
  if (!pOpt->zLabels) return z;
  char **az = 0;
  int nItem = split_option(pOpt->zLabels, &az);
  for (int k = 0; k < nItem; k++) {
    const char *zWhy = dmg_check_ident(az[k]);
    int iFile = find_label(p, az[k]);
    if (zWhy) {
      fprintf(stderr, "%s: BRANCH_LABEL=%s: not a valid label: %s\n", pOpt->zWho,
              az[k], zWhy);
      goto error;
    }
    if (iFile >= 0) {
      fprintf(stderr, "%s: BRANCH_LABEL=%s: the label is already used (%s:%d)\n",
              pOpt->zWho, az[k], p->aFile[iFile].zPath,
              p->aFile[iFile].labels.iLine);
      goto error;
    }
    if ((iFile = find_id(p, az[k])) >= 0) {
      fprintf(stderr, "%s: BRANCH_LABEL=%s: that is a revision id (%s)\n",
              pOpt->zWho, az[k], p->aFile[iFile].zPath);
      goto error;
    }
    list_add(&z, &nz, &nAlloc, az[k]);
  }
  free_items(az, nItem);
  return z;
error:
  free_items(az, nItem);
  free(z);
  return 0;
}

/*
** DEPENDS_ON=: each a revision or a branch label, as Alembic's --depends-on:
** a label stays a label, a partial id becomes the full id.
*/
static char *new_depends(const DmSet *pSet, const RevOpts *pOpt) {
  char *z = 0;
  size_t nz = 0, nAlloc = 0;
  append(&z, &nz, &nAlloc, "", 0);
  if (!pOpt->zDepends) return z;
  char **az = 0;
  int nItem = split_option(pOpt->zDepends, &az);
  int *aPoint = xmalloc(sizeof(int) * (size_t)((pSet ? pSet->nRev : 0) + 1));
  for (int k = 0; k < nItem; k++) {
    int nPoint = 0;
    char *zErr = 0;
    if (!pSet) {
      fprintf(stderr, "%s: DEPENDS_ON=%s: the set is empty\n", pOpt->zWho, az[k]);
      goto error;
    }
    if (dm_points(pSet, az[k], aPoint, &nPoint, &zErr) || nPoint != 1) {
      fprintf(stderr, "%s: DEPENDS_ON=%s: %s\n", pOpt->zWho, az[k],
              zErr ? zErr : "name one revision");
      sqlite3_free(zErr);
      goto error;
    }
    int bLabel = dm_find_label(pSet, az[k], (int)strlen(az[k])) == aPoint[0];
    list_add(&z, &nz, &nAlloc, bLabel ? az[k] : pSet->aRev[aPoint[0]].zId);
  }
  free(aPoint);
  free_items(az, nItem);
  return z;
error:
  free(aPoint);
  free_items(az, nItem);
  free(z);
  return 0;
}

/* `alembic merge` without -m: name the merged revisions ("merge a and b"). */
static char *merge_message(const char *zParents) {
  char *zDefault = 0;
  size_t nz = 0, nAlloc = 0;
  append(&zDefault, &nz, &nAlloc, "merge ", 6);
  for (const char *z = zParents; *z; z++) {
    if (z[0] == ',' && z[1] == ' ') {
      append(&zDefault, &nz, &nAlloc, " and ", 5);
      z++;
    } else {
      append(&zDefault, &nz, &nAlloc, z, 1);
    }
  }
  return zDefault;
}

/*
** The new file's id into zId: numbered after the highest numbered file,
** then the message's slug. 1 (reported) if the message gives no slug.
*/
static int next_id(const Set *p, const char *zMsg, char *zId, size_t nId,
                   const RevOpts *pOpt) {
  int nMax = 0;
  for (int i = 0; i < p->nFile; i++) {
    const char *zBase = strrchr(p->aFile[i].zPath, '/');
    zBase = zBase ? zBase + 1 : p->aFile[i].zPath;
    int v = atoi(zBase);
    if (v > nMax) nMax = v;
  }
  char zSlug[DMG_MAX_ID + 1];
  int nNum = snprintf(zId, nId, "%03d", nMax + 1);
  slug(zMsg, zSlug, (size_t)(DMG_MAX_ID - nNum - 1));
  if (!zSlug[0]) {
    fprintf(stderr, "%s: MSG=\"...\" must hold a letter or digit, "
                    "e.g. %s MSG=\"add foo to questions\"\n", pOpt->zWho, pOpt->zWho);
    return 1;
  }
  snprintf(zId + nNum, nId - (size_t)nNum, "_%s", zSlug);
  return 0;
}

/* ${create_date}: local time to the microsecond, as Alembic writes it. */
static void create_date(char *zDate, size_t nDate) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  localtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(zDate, nDate, "%Y-%m-%d %H:%M:%S", &tm);
  snprintf(zDate + n, nDate - n, ".%06ld", ts.tv_nsec / 1000);
}

/* The template, 0-terminated; 0 (reported) if it cannot be read. */
static char *read_template(const char *zTemplate, const RevOpts *pOpt) {
  size_t nTmpl = 0;
  char *zTmpl = read_file(zTemplate, &nTmpl);
  if (!zTmpl) {
    fprintf(stderr, "%s: cannot read the template %s: %s\n", pOpt->zWho,
            zTemplate, strerror(errno));
    return 0;
  }
  zTmpl = realloc(zTmpl, nTmpl + 1);
  if (!zTmpl) exit(2);
  zTmpl[nTmpl] = 0;
  return zTmpl;
}

/*
** A section of the new file from FILE (make revision AUTOGENERATE=1),
** ending in one newline; "" if zFile is 0 or holds nothing; 0 (reported) if
** it cannot be read.
*/
static char *read_section(const char *zFile, const RevOpts *pOpt) {
  size_t n = 0;
  char *z = zFile ? read_file(zFile, &n) : xmalloc(1);
  if (!z) {
    fprintf(stderr, "%s: cannot read %s: %s\n", pOpt->zWho, zFile, strerror(errno));
    return 0;
  }
  while (n > 0 && (z[n - 1] == '\n' || z[n - 1] == '\r')) n--;
  z = realloc(z, n + 2);
  if (!z) exit(2);
  if (n > 0) z[n++] = '\n';
  z[n] = 0;
  return z;
}

/* A section given (zValue not empty) needs its ${name} in the template. */
static int template_has(const char *zTmpl, const char *zTemplate, const char *zVar,
                        const char *zValue, const RevOpts *pOpt) {
  if (zValue[0] == 0 || strstr(zTmpl, zVar)) return 1;
  fprintf(stderr, "%s: the template %s has no %s to put the generated SQL in; add "
          "it on the line after '-- migrate:%s' (see sql/script.sql.tmpl)\n",
          pOpt->zWho, zTemplate, zVar, zVar[2] == 'u' ? "up" : "down");
  return 0;
}

/*
** The template with each ${name} of azVar replaced by its value. A line
** whose ${branch_labels} or ${depends_on} (azVar[3] and [4]) is empty is
** left out.
*/
static char *fill_template(const char *zTmpl, const char *const (*azVar)[2], size_t nVarAll,
                           size_t *pnOut) {
  char *zOut = 0;
  size_t nOut = 0, nAlloc = 0;
  append(&zOut, &nOut, &nAlloc, "", 0);
  size_t iLineStart = 0;   /* Where the current output line starts */
  int bDropLine = 0;       /* It holds an optional field that is empty */
  for (const char *z = zTmpl; *z;) {
    int bHit = 0;
    for (size_t v = 0; v < nVarAll; v++) {
      size_t nVar = strlen(azVar[v][0]);
      if (strncmp(z, azVar[v][0], nVar) == 0) {
        append(&zOut, &nOut, &nAlloc, azVar[v][1], strlen(azVar[v][1]));
        if (v == 3 || v == 4) bDropLine |= azVar[v][1][0] == 0;
        z += nVar;
        bHit = 1;
        break;
      }
    }
    if (bHit) continue;
    append(&zOut, &nOut, &nAlloc, z, 1);
    if (*z++ == '\n') {
      if (bDropLine) {
        nOut = iLineStart;
        zOut[nOut] = 0;
      }
      iLineStart = nOut;
      bDropLine = 0;
    }
  }
  *pnOut = nOut;
  return zOut;
}

/* Write DIR/ID.sql, which must parse and must not exist yet; 0 if written. */
static int write_new_file(const Set *p, const char *zId, const char *zOut, size_t nOut,
                          const RevOpts *pOpt) {
  int rc = 1;
  /* The new file must parse: a message with a newline would not. */
  DmgFile check;
  char *zErr = 0;
  size_t nPath = strlen(p->zDir) + strlen(zId) + 8;
  char *zPath = xmalloc(nPath);
  snprintf(zPath, nPath, "%s/%s.sql", p->zDir, zId);
  if (dmg_parse(zPath, zOut, nOut, &check, &zErr)) {
    fprintf(stderr, "%s: the template gives a file that does not "
                    "parse: %s\n", pOpt->zWho, zErr ? zErr : "out of memory");
    free(zErr);
    goto done;
  }
  dmg_file_clear(&check);
  struct stat st;
  if (stat(zPath, &st) == 0) {
    fprintf(stderr, "%s: %s already exists\n", pOpt->zWho, zPath);
    goto done;
  }
  FILE *f = fopen(zPath, "wb");
  int bWritten = f && fwrite(zOut, 1, nOut, f) == nOut;
  if (f && fclose(f) != 0) bWritten = 0;
  if (!bWritten) {
    fprintf(stderr, "%s: cannot write %s: %s\n", pOpt->zWho, zPath, strerror(errno));
    goto done;
  }
  printf("%s\n", zPath);
  rc = 0;
done:
  free(zPath);
  return rc;
}

/*
** make revision / make merge: the next file, numbered after the highest
** numbered one, from the template with ${message}, ${up_revision},
** ${down_revision}, ${branch_labels}, ${depends_on} and ${create_date}
** filled in (the names of Alembic's script.py.mako). A template line whose
** ${branch_labels} or ${depends_on} is empty is left out.
*/
static int new_revision(Set *p, const char *zTemplate, const char *zMsgArg,
                        const RevOpts *pOpt) {
  int rc = 1;
  char *zDefault = 0, *zTmpl = 0, *zOut = 0, *zUp = 0, *zDown = 0;
  DmSet *pSet = p->nFile ? graph_of(p) : 0;
  char *zParents = new_parents(p, pSet, pOpt);
  char *zLabels = zParents ? new_labels(p, pOpt) : 0;
  char *zDepends = zLabels ? new_depends(pSet, pOpt) : 0;
  if (!zDepends) goto done;

  const char *zMsg = zMsgArg;
  if (pOpt->bMerge && !zMsg[0]) zMsg = zDefault = merge_message(zParents);
  char zId[2 * DMG_MAX_ID];
  if (next_id(p, zMsg, zId, sizeof(zId), pOpt)) goto done;
  char zDate[64];
  create_date(zDate, sizeof(zDate));
  zTmpl = read_template(zTemplate, pOpt);
  zUp = zTmpl ? read_section(pOpt->zUpgrades, pOpt) : 0;
  zDown = zUp ? read_section(pOpt->zDowngrades, pOpt) : 0;
  if (!zDown || !template_has(zTmpl, zTemplate, "${upgrades}", zUp, pOpt) ||
      !template_has(zTmpl, zTemplate, "${downgrades}", zDown, pOpt)) {
    goto done;
  }
  const char *const azVar[][2] = {{"${message}", zMsg},
                                  {"${up_revision}", zId},
                                  {"${down_revision}", zParents},
                                  {"${branch_labels}", zLabels},
                                  {"${depends_on}", zDepends},
                                  {"${create_date}", zDate},
                                  {"${upgrades}", zUp},
                                  {"${downgrades}", zDown}};
  size_t nOut = 0;
  zOut = fill_template(zTmpl, azVar, sizeof(azVar) / sizeof(azVar[0]), &nOut);
  rc = write_new_file(p, zId, zOut, nOut, pOpt);
done:
  free(zTmpl);
  free(zUp);
  free(zDown);
  free(zOut);
  free(zDefault);
  free(zDepends);
  free(zLabels);
  free(zParents);
  graph_free(pSet);
  return rc;
}

static int usage(void) {
  fprintf(stderr,
          "usage: dmgen [--multiple-heads=warn|error|ok] DIR OUT.c [SYMBOL]\n"
          "                                   write the migration table\n"
          "       dmgen --heads DIR           print the head revisions\n"
          "       dmgen --revision DIR TEMPLATE MESSAGE [--head=REV]\n"
          "             [--branch-label=NAME] [--depends-on=REV] [--splice]\n"
          "             [--upgrades=FILE] [--downgrades=FILE]\n"
          "                                   write the next migration file\n"
          "       dmgen --merge DIR TEMPLATE MESSAGE [REV...]\n"
          "                                   write a merge of REVs (all heads)\n");
  return 2;
}

/* Load DIR for make revision / make merge: an empty directory is fine. */
static int load_for_revision(Set *p, const char *zDir) {
  return load_set(p, zDir, 1) || (p->nFile > 0 && validate_set(p));
}

/* dmgen --heads DIR: print the head revisions. */
static int print_heads(const char *zDir) {
  Set set;
  int rc = load_set(&set, zDir, 0) || validate_set(&set);
  if (rc == 0) {
    DmSet *pSet = graph_of(&set);
    int *aHead = xmalloc(sizeof(int) * (size_t)(set.nFile + 1));
    int nHead = graph_heads(pSet, aHead);
    for (int j = 0; j < nHead; j++) printf("%s\n", pSet->aRev[aHead[j]].zId);
    free(aHead);
    graph_free(pSet);
  }
  set_clear(&set);
  return rc;
}

/* dmgen --revision|--merge DIR TEMPLATE MESSAGE ...: write the next file. */
static int make_revision(int argc, char **argv) {
  Set set;
  RevOpts opt;
  memset(&opt, 0, sizeof(opt));
  opt.bMerge = argv[1][2] == 'm';
  opt.zWho = opt.bMerge ? "make merge" : "make revision";
  opt.azMerge = argv + 5;
  for (int i = 5; i < argc; i++) {
    const char *z = argv[i];
    if (opt.bMerge) {
      opt.nMerge++;
    } else if (strncmp(z, "--head=", 7) == 0) {
      opt.zHead = z + 7;
    } else if (strncmp(z, "--branch-label=", 15) == 0) {
      opt.zLabels = z + 15;
    } else if (strncmp(z, "--depends-on=", 13) == 0) {
      opt.zDepends = z + 13;
    } else if (strcmp(z, "--splice") == 0) {
      opt.bSplice = 1;
    } else if (strncmp(z, "--upgrades=", 11) == 0) {
      opt.zUpgrades = z + 11;
    } else if (strncmp(z, "--downgrades=", 13) == 0) {
      opt.zDowngrades = z + 13;
    } else {
      return usage();
    }
  }
  int rc = load_for_revision(&set, argv[2]);
  if (rc == 0) rc = new_revision(&set, argv[3], argv[4], &opt);
  set_clear(&set);
  return rc;
}

/* dmgen [options] DIR OUT.c [SYMBOL]: check the set, write the table. */
static int build_table(int argc, char **argv) {
  Set set;
  int eHeads = HEADS_OK; /* The Makefile says what the build wants. */
  if (argc > 1 && strncmp(argv[1], "--multiple-heads=", 17) == 0) {
    const char *zMode = argv[1] + 17;
    if (strcmp(zMode, "ok") == 0) {
      eHeads = HEADS_OK;
    } else if (strcmp(zMode, "error") == 0) {
      eHeads = HEADS_ERROR;
    } else if (strcmp(zMode, "warn") == 0) {
      eHeads = HEADS_WARN;
    } else {
      return usage();
    }
    argv++;
    argc--;
  }
  int bAllowRefused = 0;
  if (argc > 1 && strcmp(argv[1], "--allow-refused-statements") == 0) {
    bAllowRefused = 1;
    argv++;
    argc--;
  }
  if ((argc != 3 && argc != 4) || argv[1][0] == '-') return usage();
  int rc = load_set(&set, argv[1], 0) != 0;
  set.bAllowRefused = bAllowRefused;
  if (rc == 0) rc = validate_set(&set) != 0;
  if (rc == 0) {
    DmSet *pSet = graph_of(&set);
    check_heads(&set, pSet, eHeads);
    graph_free(pSet);
    rc = set.nError != 0;
  }
  if (rc) {
    fprintf(stderr, "dmgen: %s: %d error%s; nothing written\n", argv[1],
            set.nError ? set.nError : 1, set.nError > 1 ? "s" : "");
  } else {
    rc = emit_c(&set, argv[2], argc == 4 ? argv[3] : "dm_set");
  }
  set_clear(&set);
  return rc;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--heads") == 0) return print_heads(argv[2]);
  if (argc >= 5 && (strcmp(argv[1], "--revision") == 0 ||
                    strcmp(argv[1], "--merge") == 0)) {
    return make_revision(argc, argv);
  }
  return build_table(argc, argv);
}
