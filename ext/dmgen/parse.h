/*
** Parser for one migration file of sql/versions/.
**
** The header mirrors Alembic's script.py.mako; the sections use dbmate's
** markers:
**
**   -- Create initial database schema
**   --
**   -- Revision ID: 001_initial_schema
**   -- Revises:
**   -- Create Date: 2024-01-01 10:00:00.000000
**
**   -- migrate:up
**   CREATE TABLE ...;
**   -- migrate:down
**   DROP TABLE ...;
**
** The parser checks one file in isolation (its header, its markers, its
** identifiers); what needs the whole set (duplicates, parents, cycles) is
** checked by the generator. It is a build tool: plain malloc, no SQLite.
*/
#ifndef DMG_PARSE_H
#define DMG_PARSE_H

#include <stddef.h>

/* Alembic's alembic_version.version_num is VARCHAR(32). */
#define DMG_MAX_ID 32

typedef struct DmgList DmgList;
struct DmgList {
  int n;          /* Number of entries */
  char **az;      /* The entries, trimmed */
  int iLine;      /* Line of the header field, 0 if absent */
};

typedef struct DmgFile DmgFile;
struct DmgFile {
  char *zPath;         /* File name as given, for messages */
  char *zId;           /* Revision ID */
  int iIdLine;
  char *zMessage;      /* First line of the description ("" if none) */
  char *zCreateDate;   /* Create Date ("" if absent) */
  DmgList parents;     /* Revises: */
  DmgList labels;      /* Branch Labels: */
  DmgList depends;     /* Depends On: */
  char *zUp;           /* Text of the up section, exactly as written */
  int iUpLine;         /* Line of the "-- migrate:up" marker */
  char *zDown;         /* Text of the down section */
  int iDownLine;       /* Line of the "-- migrate:down" marker */
};

/*
** Parse zText (nText bytes, need not be NUL-terminated) read from zPath.
** On success return 0 and fill *p. On error return 1 and set *pzErr to a
** malloc'd "path:line: what is wrong" message; *p is left empty.
*/
int dmg_parse(const char *zPath, const char *zText, size_t nText, DmgFile *p,
              char **pzErr);

/* Free what dmg_parse() allocated in *p (not p itself). */
void dmg_file_clear(DmgFile *p);

/*
** Return NULL if zId may be used as a revision id or branch label, else a
** static sentence saying why not.
*/
const char *dmg_check_ident(const char *zId);

/*
** The normalised form the checksum is computed over: line endings and
** trailing whitespace do not count, nor do blank lines at either end, so a
** CRLF checkout or an editor's whitespace clean-up is not a modified
** migration. Returns a malloc'd string.
*/
char *dmg_normalise(const char *zSection);

/*
** The checksum of a migration: the lower-case hex SHA-256 of
**
**   "up\n" <normalised up section> "\ndown\n" <normalised down section>
**
** (dmg_normalise() for both; no newline at the end), so that
** `printf 'up\n%s\ndown\n%s' "$up" "$down" | sha256sum` gives it too.
** Only the sections count: the header (message, date) may be edited.
** Writes 64 digits and a NUL into zHex. Returns 0, or 1 on OOM.
*/
int dmg_checksum(const DmgFile *p, char zHex[65]);

#endif
