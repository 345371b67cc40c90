/*
** The compiled-in migration set: the shape of the table that the generator
** (ext/gen/dmgen.c) writes from sql/versions/ or from $(MIGRATIONS).
*/
#ifndef DM_MIGRATIONS_H
#define DM_MIGRATIONS_H

typedef struct DmRevision DmRevision;
struct DmRevision {
  const char *zId;          /* Revision ID */
  const char *zMessage;     /* First line of the description */
  const char *zCreateDate;  /* Create Date, as written ("" if none) */
  const char *zFile;        /* File it came from, for messages */
  int nParent;              /* Revises: */
  const int *aParent;       /*   indexes into DmSet.aRev */
  int nDepend;              /* Depends On: */
  const int *aDepend;       /*   indexes into DmSet.aRev */
  int nLabel;               /* Branch Labels: */
  const char *const *azLabel;
  const char *zUp;          /* The up section, exactly as written */
  int iUpLine;              /*   line of zFile its first line is on */
  const char *zDown;        /* The down section */
  int iDownLine;
  const char *zChecksum;    /* SHA-256 (hex) of the normalised sections */
};

typedef struct DmSet DmSet;
struct DmSet {
  int nRev;
  /* In topological order: every revision comes after its parents and
  ** dependencies, so a parent's index is always smaller than its child's. */
  const DmRevision *aRev;
  const char *zSource;      /* The directory the set was generated from */
};

extern const DmSet dm_set;

#endif
