/*
** dmgen: the build-time generator. It reads a directory of migration files
** (sql/versions/ or $(MIGRATIONS)), validates the set as a whole and writes
** the C table that the extension carries (ext/migrations.h describes it).
** A broken set fails the build with "file:line: what is wrong".
**
**   dmgen DIR OUT.c [SYMBOL]         write the table (as dm_set, or SYMBOL:
**                                    unit tests link several sets)
**   dmgen --heads DIR                print the head revision ids
**   dmgen --revision DIR TMPL MSG    write the next migration file from the
**                                    template, print its path
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

#include "parse.h"

typedef struct Set Set;
struct Set {
  const char *zDir;
  int nFile;
  DmgFile *aFile;    /* Sorted by file name */
  int *aOrder;       /* Topological order: aOrder[k] is an index into aFile */
  int **aaParent;    /* aaParent[i][j]: index of aFile[i].parents.az[j] */
  int **aaDepend;    /* Likewise for depends */
  int nError;
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

static int load_set(Set *p, const char *zDir) {
  memset(p, 0, sizeof(*p));
  p->zDir = zDir;
  char **azName = 0;
  int nName = list_dir(zDir, &azName);
  if (nName < 0) {
    fprintf(stderr, "%s:0: cannot read the migrations directory: %s\n", zDir,
            strerror(errno));
    return 1;
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

/* Resolve a list of ids to indexes; report unknown ones. */
static int *resolve_list(Set *p, const DmgFile *pFile, const DmgList *pList,
                         const char *zField) {
  int *a = xmalloc(sizeof(int) * (size_t)(pList->n + 1));
  for (int j = 0; j < pList->n; j++) {
    a[j] = find_id(p, pList->az[j]);
    if (a[j] < 0) {
      error_at(p, pFile, pList->iLine,
               "%s: unknown revision '%s' (no file in %s has 'Revision ID: %s')",
               zField, pList->az[j], p->zDir, pList->az[j]);
    } else if (strcmp(pList->az[j], pFile->zId) == 0) {
      error_at(p, pFile, pList->iLine, "%s: revision '%s' names itself",
               zField, pFile->zId);
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

static int validate_set(Set *p) {
  int n = p->nFile;
  /* Duplicate ids and labels. */
  for (int i = 0; i < n; i++) {
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
  if (p->nError) return p->nError;

  /* Parents and dependencies exist. */
  p->aaParent = xmalloc(sizeof(int *) * (size_t)n);
  p->aaDepend = xmalloc(sizeof(int *) * (size_t)n);
  for (int i = 0; i < n; i++) {
    p->aaParent[i] = resolve_list(p, &p->aFile[i], &p->aFile[i].parents, "Revises");
    p->aaDepend[i] = resolve_list(p, &p->aFile[i], &p->aFile[i].depends, "Depends On");
  }
  if (p->nError) return p->nError;

  /* Without a base every revision waits for another: say that, rather than
  ** name the cycle it makes. */
  int iBase = 0;
  while (iBase < n && p->aFile[iBase].parents.n > 0) iBase++;
  if (iBase == n) {
    error_at(p, &p->aFile[0], p->aFile[0].parents.iLine,
             "no base revision: every file's 'Revises:' names a parent; the "
             "first revision needs an empty 'Revises:'");
    return p->nError;
  }

  /* Topological order (Kahn), ties broken by file name. */
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
  if (nPlaced < n) {
    /* Walk prerequisites among the unplaced until one repeats: a cycle. */
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
  free(aPending);
  free(aPlaced);
  if (p->nError) return p->nError;

  /* One base, or several joined by a merge: the graph is connected. */
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
  if (p->nError) return p->nError;

  /* Sections end with complete statements. */
  sqlite3 *db = 0;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
    fprintf(stderr, "dmgen: cannot open an in-memory SQLite database\n");
    sqlite3_close(db);
    return ++p->nError;
  }
  for (int i = 0; i < n; i++) {
    const DmgFile *pF = &p->aFile[i];
    check_section(p, db, pF, "up", pF->zUp, pF->iUpLine);
    check_section(p, db, pF, "down", pF->zDown, pF->iDownLine);
  }
  sqlite3_close(db);
  return p->nError;
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
  fputs("#include \"migrations.h\"\n\n", out);
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

/* Indexes (into aFile) of revisions that are nobody's parent. */
static int heads(const Set *p, int *aHead) {
  int nHead = 0;
  for (int k = 0; k < p->nFile; k++) {
    int i = p->aOrder[k];
    int bChild = 0;
    for (int j = 0; j < p->nFile && !bChild; j++) {
      for (int m = 0; m < p->aFile[j].parents.n; m++) {
        if (p->aaParent[j][m] == i) bChild = 1;
      }
    }
    if (!bChild) aHead[nHead++] = i;
  }
  return nHead;
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

/*
** make revision: the next file, numbered after the highest numbered one,
** revising the current head(s), from the template with ${message},
** ${up_revision}, ${down_revision} and ${create_date} filled in (the names
** of Alembic's script.py.mako).
*/
static int new_revision(Set *p, const char *zTemplate, const char *zMsg) {
  int nMax = 0;
  for (int i = 0; i < p->nFile; i++) {
    const char *zBase = strrchr(p->aFile[i].zPath, '/');
    zBase = zBase ? zBase + 1 : p->aFile[i].zPath;
    int v = atoi(zBase);
    if (v > nMax) nMax = v;
  }
  char zSlug[DMG_MAX_ID + 1];
  char zId[2 * DMG_MAX_ID];
  int nNum = snprintf(zId, sizeof(zId), "%03d", nMax + 1);
  slug(zMsg, zSlug, (size_t)(DMG_MAX_ID - nNum - 1));
  if (!zSlug[0]) {
    fprintf(stderr, "make revision: MSG=\"...\" must hold a letter or digit, "
                    "e.g. make revision MSG=\"add foo to questions\"\n");
    return 1;
  }
  snprintf(zId + nNum, sizeof(zId) - (size_t)nNum, "_%s", zSlug);

  int *aHead = xmalloc(sizeof(int) * (size_t)(p->nFile + 1));
  int nHead = p->nFile ? heads(p, aHead) : 0;
  char zParents[1024] = "";
  for (int j = 0; j < nHead; j++) {
    size_t nUsed = strlen(zParents);
    snprintf(zParents + nUsed, sizeof(zParents) - nUsed, "%s%s", j ? ", " : "",
             p->aFile[aHead[j]].zId);
  }
  free(aHead);

  char zDate[64];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  localtime_r(&ts.tv_sec, &tm);
  size_t nDate = strftime(zDate, sizeof(zDate), "%Y-%m-%d %H:%M:%S", &tm);
  snprintf(zDate + nDate, sizeof(zDate) - nDate, ".%06ld", ts.tv_nsec / 1000);

  size_t nTmpl = 0;
  char *zTmpl = read_file(zTemplate, &nTmpl);
  if (!zTmpl) {
    fprintf(stderr, "make revision: cannot read the template %s: %s\n",
            zTemplate, strerror(errno));
    return 1;
  }
  zTmpl = realloc(zTmpl, nTmpl + 1);
  if (!zTmpl) exit(2);
  zTmpl[nTmpl] = 0;
  const char *azVar[][2] = {{"${message}", zMsg},
                            {"${up_revision}", zId},
                            {"${down_revision}", zParents},
                            {"${create_date}", zDate}};
  char *zOut = 0;
  size_t nOut = 0, nAlloc = 0;
  append(&zOut, &nOut, &nAlloc, "", 0);
  for (const char *z = zTmpl; *z;) {
    int bHit = 0;
    for (size_t v = 0; v < sizeof(azVar) / sizeof(azVar[0]); v++) {
      size_t nVar = strlen(azVar[v][0]);
      if (strncmp(z, azVar[v][0], nVar) == 0) {
        append(&zOut, &nOut, &nAlloc, azVar[v][1], strlen(azVar[v][1]));
        z += nVar;
        bHit = 1;
        break;
      }
    }
    if (!bHit) append(&zOut, &nOut, &nAlloc, z++, 1);
  }
  free(zTmpl);

  /* The new file must parse: a message with a newline would not. */
  DmgFile check;
  char *zErr = 0;
  size_t nPath = strlen(p->zDir) + strlen(zId) + 8;
  char *zPath = xmalloc(nPath);
  snprintf(zPath, nPath, "%s/%s.sql", p->zDir, zId);
  int rc = 1;
  struct stat st;
  if (dmg_parse(zPath, zOut, nOut, &check, &zErr)) {
    fprintf(stderr, "make revision: the template gives a file that does not "
                    "parse: %s\n", zErr ? zErr : "out of memory");
    free(zErr);
    goto done;
  }
  dmg_file_clear(&check);
  if (stat(zPath, &st) == 0) {
    fprintf(stderr, "make revision: %s already exists\n", zPath);
    goto done;
  }
  FILE *f = fopen(zPath, "wb");
  if (!f || fwrite(zOut, 1, nOut, f) != nOut || fclose(f) != 0) {
    fprintf(stderr, "make revision: cannot write %s: %s\n", zPath, strerror(errno));
    goto done;
  }
  printf("%s\n", zPath);
  rc = 0;

done:
  free(zOut);
  free(zPath);
  return rc;
}

/* Everything load_set and validate_set allocated: the tool exits right
** after, but freeing it keeps the sanitizer build's leak report for real
** leaks (make test-asan). */
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

static int usage(void) {
  fprintf(stderr,
          "usage: dmgen DIR OUT.c [SYMBOL]    write the migration table\n"
          "       dmgen --heads DIR           print the head revisions\n"
          "       dmgen --revision DIR TEMPLATE MESSAGE\n"
          "                                   write the next migration file\n");
  return 2;
}

int main(int argc, char **argv) {
  Set set;
  int rc;
  if (argc == 3 && strcmp(argv[1], "--heads") == 0) {
    rc = load_set(&set, argv[2]) || validate_set(&set);
    if (rc == 0) {
      int *aHead = xmalloc(sizeof(int) * (size_t)set.nFile);
      int nHead = heads(&set, aHead);
      for (int j = 0; j < nHead; j++) printf("%s\n", set.aFile[aHead[j]].zId);
      free(aHead);
    }
    set_clear(&set);
    return rc;
  }
  if (argc == 5 && strcmp(argv[1], "--revision") == 0) {
    /* An empty directory is fine here: this writes the first revision. */
    char **azName = 0;
    int nName = list_dir(argv[2], &azName);
    if (nName < 0) {
      fprintf(stderr, "%s:0: cannot read the migrations directory: %s\n",
              argv[2], strerror(errno));
      return 1;
    }
    for (int i = 0; i < nName; i++) free(azName[i]);
    free(azName);
    memset(&set, 0, sizeof(set));
    set.zDir = argv[2];
    rc = nName > 0 && (load_set(&set, argv[2]) || validate_set(&set));
    if (rc == 0) rc = new_revision(&set, argv[3], argv[4]);
    set_clear(&set);
    return rc;
  }
  if ((argc != 3 && argc != 4) || argv[1][0] == '-') return usage();
  if (load_set(&set, argv[1]) || validate_set(&set)) {
    fprintf(stderr, "dmgen: %s: %d error%s; nothing written\n", argv[1],
            set.nError ? set.nError : 1, set.nError > 1 ? "s" : "");
    set_clear(&set);
    return 1;
  }
  rc = emit_c(&set, argv[2], argc == 4 ? argv[3] : "dm_set");
  set_clear(&set);
  return rc;
}
