/*
** Parser for one migration file. See parse.h for the format.
*/
#include "dmgen/parse.h"
#include "dmgen/sha256.h"
#include "sqltext/token.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Line Line;
struct Line {
  const char *z;   /* Start of the line */
  size_t n;        /* Length without the line ending */
  size_t nNext;    /* Offset of the next line from z */
};

static char *vformat(const char *zFormat, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(0, 0, zFormat, ap2);
  va_end(ap2);
  char *z = malloc((size_t)n + 1);
  if (z) vsnprintf(z, (size_t)n + 1, zFormat, ap);
  return z;
}

static int fail(char **pzErr, const char *zPath, int iLine,
                const char *zFormat, ...) {
  va_list ap;
  va_start(ap, zFormat);
  char *zMsg = vformat(zFormat, ap);
  va_end(ap);
  size_t n = strlen(zPath) + (zMsg ? strlen(zMsg) : 0) + 32;
  *pzErr = malloc(n);
  if (*pzErr) snprintf(*pzErr, n, "%s:%d: %s", zPath, iLine, zMsg ? zMsg : "out of memory");
  free(zMsg);
  return 1;
}

static char *dupn(const char *z, size_t n) {
  char *zOut = malloc(n + 1);
  if (zOut) {
    memcpy(zOut, z, n);
    zOut[n] = 0;
  }
  return zOut;
}

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Trim whitespace on both ends of [*pz, *pz+*pn). */
static void trim(const char **pz, size_t *pn) {
  while (*pn > 0 && is_space(**pz)) (*pz)++, (*pn)--;
  while (*pn > 0 && is_space((*pz)[*pn - 1])) (*pn)--;
}

/* The text after "--" of a comment line, trimmed; 0 if not a comment. */
static int comment_text(const Line *pLine, const char **pz, size_t *pn) {
  const char *z = pLine->z;
  size_t n = pLine->n;
  trim(&z, &n);
  if (n < 2 || z[0] != '-' || z[1] != '-') return 0;
  z += 2;
  n -= 2;
  trim(&z, &n);
  *pz = z;
  *pn = n;
  return 1;
}

static int is_blank(const Line *pLine) {
  const char *z = pLine->z;
  size_t n = pLine->n;
  trim(&z, &n);
  return n == 0;
}

const char *dmg_check_ident(const char *zId) {
  size_t n = strlen(zId);
  if (n == 0) return "it is empty";
  if (n > DMG_MAX_ID) {
    return "it is longer than 32 characters, the size of "
           "alembic_version.version_num (VARCHAR(32))";
  }
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)zId[i];
    if (!(isalnum(c) || c == '_')) {
      return "it may hold only letters, digits and '_' (characters such as "
             "'-', '+', '@' and ',' have a meaning in revision targets)";
    }
  }
  if (strcmp(zId, "head") == 0 || strcmp(zId, "heads") == 0 ||
      strcmp(zId, "base") == 0) {
    return "'head', 'heads' and 'base' are reserved target names";
  }
  return 0;
}

/* Split a comma-separated header value into p. */
static int parse_list(const char *z, size_t n, int iLine, DmgList *p,
                      const char *zPath, const char *zField, char **pzErr) {
  p->iLine = iLine;
  trim(&z, &n);
  if (n == 0) return 0;
  while (1) {
    size_t i = 0;
    while (i < n && z[i] != ',') i++;
    const char *zItem = z;
    size_t nItem = i;
    trim(&zItem, &nItem);
    char *zCopy = dupn(zItem, nItem);
    char **az = realloc(p->az, sizeof(char *) * (size_t)(p->n + 1));
    if (!zCopy || !az) {
      free(zCopy);
      if (az) p->az = az;
      return fail(pzErr, zPath, iLine, "out of memory");
    }
    p->az = az;
    p->az[p->n++] = zCopy;
    const char *zWhy = dmg_check_ident(zCopy);
    if (zWhy) {
      return fail(pzErr, zPath, iLine, "%s: '%s' is not a valid id: %s",
                  zField, zCopy, zWhy);
    }
    for (int j = 0; j < p->n - 1; j++) {
      if (strcmp(p->az[j], zCopy) == 0) {
        return fail(pzErr, zPath, iLine, "%s: '%s' is listed twice", zField,
                    zCopy);
      }
    }
    if (i == n) break;
    z += i + 1;
    n -= i + 1;
  }
  return 0;
}

static void list_clear(DmgList *p) {
  for (int i = 0; i < p->n; i++) free(p->az[i]);
  free(p->az);
  memset(p, 0, sizeof(*p));
}

void dmg_file_clear(DmgFile *p) {
  free(p->zPath);
  free(p->zId);
  free(p->zMessage);
  free(p->zCreateDate);
  list_clear(&p->parents);
  list_clear(&p->labels);
  list_clear(&p->depends);
  free(p->zUp);
  free(p->zDown);
  memset(p, 0, sizeof(*p));
}

enum { MARK_NONE, MARK_UP, MARK_DOWN };

/*
** If the line is a "-- migrate:..." marker, return MARK_UP or MARK_DOWN, or
** fail (return -1) when it is a marker we do not accept.
*/
static int marker(const Line *pLine, int iLine, const char *zPath,
                  char **pzErr) {
  const char *z;
  size_t n;
  if (!comment_text(pLine, &z, &n)) return MARK_NONE;
  if (n < 8 || memcmp(z, "migrate:", 8) != 0) return MARK_NONE;
  size_t nWord = 8;
  while (nWord < n && !is_space(z[nWord])) nWord++;
  int eMark = MARK_NONE;
  if (nWord == 10 && memcmp(z, "migrate:up", 10) == 0) eMark = MARK_UP;
  if (nWord == 12 && memcmp(z, "migrate:down", 12) == 0) eMark = MARK_DOWN;
  if (eMark == MARK_NONE) {
    fail(pzErr, zPath, iLine,
         "unknown marker '-- %.*s': the sections are '-- migrate:up' and "
         "'-- migrate:down'",
         (int)nWord, z);
    return -1;
  }
  const char *zOpt = z + nWord;
  size_t nOpt = n - nWord;
  trim(&zOpt, &nOpt);
  if (nOpt > 0) {
    if (nOpt >= 17 && memcmp(zOpt, "transaction:false", 17) == 0) {
      fail(pzErr, zPath, iLine,
           "'transaction:false' is not supported: distmigrate runs every "
           "migration inside the run's one transaction, so that a failure "
           "leaves nothing half-applied");
    } else {
      fail(pzErr, zPath, iLine, "unknown option '%.*s' after '-- %.*s'",
           (int)nOpt, zOpt, (int)nWord, z);
    }
    return -1;
  }
  return eMark;
}

typedef struct Field Field;
struct Field {
  const char *zKey;   /* Including the colon */
  int iLine;          /* Where it was seen, 0 if not yet */
};

/* The header fields, in the order header_field() knows them. */
enum { FIELD_ID, FIELD_REVISES, FIELD_DATE, FIELD_LABELS, FIELD_DEPENDS, N_FIELD };

/* One file being read, line by line. */
typedef struct Parse Parse;
struct Parse {
  const char *zPath;
  const char *zText;      /* The file, NUL-terminated (a copy) */
  size_t nText;
  DmgFile *p;
  char **pzErr;
  Field aField[N_FIELD];
  int iLine;              /* The current line, from 1 */
  int eSection;           /* MARK_NONE (the header), MARK_UP, MARK_DOWN */
  size_t iSectionStart;   /* Offset where the current section's text starts */
  size_t iTokStart;       /* The SQL token that holds the current line's start */
  size_t iTokEnd;
  DmTokenKind eTok;
};

/* A NUL byte fails the file on its line: the file is not text. */
static int refuse_nul(const char *zPath, const char *zText, size_t nText, char **pzErr) {
  const char *zNul = memchr(zText, 0, nText);
  if (!zNul) return 0;
  int iNulLine = 1;
  for (const char *z = zText; z < zNul; z++) iNulLine += *z == '\n';
  return fail(pzErr, zPath, iNulLine, "the file holds a NUL byte; is it a text file?");
}

/*
** Whether the line at iOff begins inside a C comment, a string or a quoted
** name that began on an earlier line: a "-- migrate:" line there is text,
** not a marker, as SQLite's tokenizer reads the file. A string or name that
** is never closed hides nothing (SQLite refuses it where it stands).
*/
static int line_inside_token(Parse *ps, size_t iOff) {
  while (ps->iTokEnd <= iOff) {
    int n = dm_sql_token(ps->zText + ps->iTokEnd, &ps->eTok);
    if (n == 0) return 0;
    ps->iTokStart = ps->iTokEnd;
    ps->iTokEnd += (size_t)n;
  }
  return ps->iTokStart < iOff &&
         (ps->eTok == DM_KIND_COMMENT || ps->eTok == DM_KIND_STRING ||
          ps->eTok == DM_KIND_QUOTED);
}

/* The line at iOff: its text without the line ending. */
static Line line_at(const Parse *ps, size_t iOff) {
  Line line;
  line.z = ps->zText + iOff;
  const char *zEol = memchr(line.z, '\n', ps->nText - iOff);
  line.n = zEol ? (size_t)(zEol - line.z) : ps->nText - iOff;
  line.nNext = zEol ? line.n + 1 : line.n;
  if (line.n > 0 && line.z[line.n - 1] == '\r') line.n--;
  return line;
}

/* "-- migrate:up" on the line at iOff: the up section starts after it. */
static int start_up(Parse *ps, size_t iOff, const Line *pLine) {
  DmgFile *p = ps->p;
  if (p->iUpLine) {
    return fail(ps->pzErr, ps->zPath, ps->iLine,
                "second '-- migrate:up' (the first is on line %d)", p->iUpLine);
  }
  if (ps->eSection == MARK_DOWN) {
    return fail(ps->pzErr, ps->zPath, ps->iLine,
                "'-- migrate:up' after '-- migrate:down': the up section comes first");
  }
  p->iUpLine = ps->iLine;
  ps->eSection = MARK_UP;
  ps->iSectionStart = iOff + pLine->nNext;
  return 0;
}

/* "-- migrate:down" on the line at iOff: the up section ends before it. */
static int start_down(Parse *ps, size_t iOff, const Line *pLine) {
  DmgFile *p = ps->p;
  if (p->iDownLine) {
    return fail(ps->pzErr, ps->zPath, ps->iLine,
                "second '-- migrate:down' (the first is on line %d)", p->iDownLine);
  }
  if (ps->eSection != MARK_UP) {
    return fail(ps->pzErr, ps->zPath, ps->iLine,
                "'-- migrate:down' before '-- migrate:up': the up section comes first");
  }
  p->zUp = dupn(ps->zText + ps->iSectionStart, iOff - ps->iSectionStart);
  if (!p->zUp) return fail(ps->pzErr, ps->zPath, ps->iLine, "out of memory");
  p->iDownLine = ps->iLine;
  ps->eSection = MARK_DOWN;
  ps->iSectionStart = iOff + pLine->nNext;
  return 0;
}

/* The value of header field iField, trimmed, into the file. */
static int header_field(Parse *ps, int iField, const char *zVal, size_t nVal) {
  DmgFile *p = ps->p;
  int iLine = ps->iLine;
  switch (iField) {
    case FIELD_ID: {
      p->zId = dupn(zVal, nVal);
      p->iIdLine = iLine;
      if (!p->zId) return fail(ps->pzErr, ps->zPath, iLine, "out of memory");
      if (nVal == 0) return fail(ps->pzErr, ps->zPath, iLine, "'Revision ID:' is empty");
      const char *zWhy = dmg_check_ident(p->zId);
      if (zWhy) {
        return fail(ps->pzErr, ps->zPath, iLine, "revision id '%s' is not valid: %s",
                    p->zId, zWhy);
      }
      return 0;
    }
    case FIELD_REVISES:
      return parse_list(zVal, nVal, iLine, &p->parents, ps->zPath, "Revises", ps->pzErr);
    case FIELD_DATE:
      p->zCreateDate = dupn(zVal, nVal);
      if (!p->zCreateDate) return fail(ps->pzErr, ps->zPath, iLine, "out of memory");
      return 0;
    case FIELD_LABELS:
      return parse_list(zVal, nVal, iLine, &p->labels, ps->zPath, "Branch Labels",
                        ps->pzErr);
    default:
      return parse_list(zVal, nVal, iLine, &p->depends, ps->zPath, "Depends On",
                        ps->pzErr);
  }
}

/* A comment line of the header, z[0..n) after its "--": a field, the
** message (the first line of text before the id), or a plain comment. */
static int header_comment(Parse *ps, const char *z, size_t n) {
  int iField;
  for (iField = 0; iField < N_FIELD; iField++) {
    size_t nKey = strlen(ps->aField[iField].zKey);
    if (n >= nKey && memcmp(z, ps->aField[iField].zKey, nKey) == 0) break;
  }
  if (iField < N_FIELD) {
    Field *pField = &ps->aField[iField];
    size_t nKey = strlen(pField->zKey);
    const char *zVal = z + nKey;
    size_t nVal = n - nKey;
    trim(&zVal, &nVal);
    if (pField->iLine) {
      return fail(ps->pzErr, ps->zPath, ps->iLine, "second '%s' line (the first is on line %d)",
                  pField->zKey, pField->iLine);
    }
    pField->iLine = ps->iLine;
    return header_field(ps, iField, zVal, nVal);
  }
  if (!ps->p->zMessage && !ps->p->iIdLine && n > 0) {
    ps->p->zMessage = dupn(z, n);
    if (!ps->p->zMessage) return fail(ps->pzErr, ps->zPath, ps->iLine, "out of memory");
  }
  return 0;
}

/* A line before "-- migrate:up": comments and blank lines only. */
static int header_line(Parse *ps, const Line *pLine) {
  const char *z;
  size_t n;
  if (comment_text(pLine, &z, &n)) return header_comment(ps, z, n);
  if (is_blank(pLine)) return 0;
  return fail(ps->pzErr, ps->zPath, ps->iLine,
              "SQL before '-- migrate:up': statements belong in the "
              "'-- migrate:up' or '-- migrate:down' section");
}

/* One line: a marker, a line of the header, or a line of a section. */
static int read_line(Parse *ps, size_t iOff, const Line *pLine) {
  int eMark = line_inside_token(ps, iOff) ? MARK_NONE
                                          : marker(pLine, ps->iLine, ps->zPath, ps->pzErr);
  if (eMark < 0) return 1;
  if (eMark == MARK_UP) return start_up(ps, iOff, pLine);
  if (eMark == MARK_DOWN) return start_down(ps, iOff, pLine);
  if (ps->eSection == MARK_NONE) return header_line(ps, pLine);
  return 0;
}

/* After the last line: what the file must have had. */
static int check_complete(Parse *ps) {
  DmgFile *p = ps->p;
  if (!p->iIdLine) {
    return fail(ps->pzErr, ps->zPath, 1,
                "no '-- Revision ID:' line in the header (the comment lines before "
                "'-- migrate:up')");
  }
  if (!ps->aField[FIELD_REVISES].iLine) {
    return fail(ps->pzErr, ps->zPath, p->iIdLine,
                "no '-- Revises:' line in the header (leave it empty for the base "
                "revision)");
  }
  if (!p->iUpLine) {
    return fail(ps->pzErr, ps->zPath, ps->iLine ? ps->iLine : 1,
                "no '-- migrate:up' section: a migration needs '-- migrate:up' and "
                "'-- migrate:down' lines, in that order");
  }
  if (!p->iDownLine) {
    return fail(ps->pzErr, ps->zPath, ps->iLine,
                "no '-- migrate:down' section after '-- migrate:up' on line %d (leave "
                "it empty if the migration cannot be undone)",
                p->iUpLine);
  }
  return 0;
}

/* The down section runs to the end; empty message and date if none. */
static int finish(Parse *ps) {
  DmgFile *p = ps->p;
  p->zDown = dupn(ps->zText + ps->iSectionStart, ps->nText - ps->iSectionStart);
  if (!p->zMessage) p->zMessage = dupn("", 0);
  if (!p->zCreateDate) p->zCreateDate = dupn("", 0);
  if (!p->zDown || !p->zMessage || !p->zCreateDate) {
    return fail(ps->pzErr, ps->zPath, ps->iLine, "out of memory");
  }
  return 0;
}

/* Every line in turn, after a UTF-8 byte-order mark if there is one. */
static int read_lines(Parse *ps) {
  size_t iOff = 0;
  if (ps->nText >= 3 && memcmp(ps->zText, "\xEF\xBB\xBF", 3) == 0) iOff = 3;
  ps->iTokStart = ps->iTokEnd = iOff;
  while (iOff < ps->nText) {
    Line line = line_at(ps, iOff);
    ps->iLine++;
    if (read_line(ps, iOff, &line)) return 1;
    iOff += line.nNext;
  }
  return 0;
}

int dmg_parse(const char *zPath, const char *zText, size_t nText, DmgFile *p,
              char **pzErr) {
  Parse ps = {.zPath = zPath, .nText = nText, .p = p, .pzErr = pzErr,
              .aField = {{"Revision ID:", 0}, {"Revises:", 0}, {"Create Date:", 0},
                         {"Branch Labels:", 0}, {"Depends On:", 0}},
              .eSection = MARK_NONE};
  memset(p, 0, sizeof(*p));
  *pzErr = 0;
  p->zPath = dupn(zPath, strlen(zPath));
  if (!p->zPath) return fail(pzErr, zPath, 1, "out of memory");
  char *zCopy = 0;
  int rc = refuse_nul(zPath, zText, nText, pzErr);
  if (rc == 0) {
    /* The tokenizer reads to a NUL: zText need not have one. */
    zCopy = dupn(zText, nText);
    if (!zCopy) rc = fail(pzErr, zPath, 1, "out of memory");
  }
  ps.zText = zCopy;
  if (rc == 0) rc = read_lines(&ps);
  if (rc == 0) rc = check_complete(&ps);
  if (rc == 0) rc = finish(&ps);
  free(zCopy);
  if (rc) dmg_file_clear(p);
  return rc;
}

char *dmg_normalise(const char *zSection) {
  size_t n = strlen(zSection);
  char *zOut = malloc(n + 1);
  if (!zOut) return 0;
  size_t iOut = 0;
  const char *z = zSection;
  while (*z) {
    const char *zEol = strchr(z, '\n');
    size_t nLine = zEol ? (size_t)(zEol - z) : strlen(z);
    size_t nKeep = nLine;
    while (nKeep > 0 && is_space(z[nKeep - 1])) nKeep--;
    if (nKeep > 0 || iOut > 0) {
      memcpy(zOut + iOut, z, nKeep);
      iOut += nKeep;
      zOut[iOut++] = '\n';
    }
    z += nLine + (zEol ? 1 : 0);
  }
  while (iOut > 0 && zOut[iOut - 1] == '\n') iOut--;
  zOut[iOut] = 0;
  return zOut;
}

int dmg_checksum(const DmgFile *p, char zHex[65]) {
  char *zUp = dmg_normalise(p->zUp);
  char *zDown = dmg_normalise(p->zDown);
  char *z = 0;
  int rc = 1;
  if (zUp && zDown) {
    size_t n = strlen(zUp) + strlen(zDown) + sizeof("up\n\ndown\n");
    z = malloc(n);
    if (z) {
      n = (size_t)snprintf(z, n, "up\n%s\ndown\n%s", zUp, zDown);
      dmg_sha256_hex(z, n, zHex);
      rc = 0;
    }
  }
  free(z);
  free(zUp);
  free(zDown);
  return rc;
}
