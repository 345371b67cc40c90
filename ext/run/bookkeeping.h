/*
** The bookkeeping: alembic_version and distmigrate_log. Their tables and
** the statements that write their rows live here, once; the runner binds
** them, and the offline script (ops/offline.c) writes the same statements
** with the values in the text, so that a script and a live run keep the
** same rows in the same way.
*/
#ifndef DM_BOOKKEEPING_H
#define DM_BOOKKEEPING_H

/* The bookkeeping tables, exactly as created. */
#define DM_VERSION_TABLE_SQL                                \
  "CREATE TABLE main.alembic_version (\n"                   \
  "\tversion_num VARCHAR(32) NOT NULL, \n"                  \
  "\tCONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n" \
  ")"

#define DM_LOG_TABLE "distmigrate_log"
#define DM_LOG_TABLE_SQL                         \
  "CREATE TABLE IF NOT EXISTS main." DM_LOG_TABLE " (\n" \
  "  id INTEGER PRIMARY KEY,\n"                  \
  "  revision VARCHAR(32),\n"                    \
  "  direction TEXT NOT NULL,\n"                 \
  "  from_version TEXT,\n"                       \
  "  to_version TEXT,\n"                         \
  "  checksum TEXT,\n"                           \
  "  started_at TEXT NOT NULL,\n"                \
  "  duration_ms REAL NOT NULL\n"                \
  ")"

/*
** The statement that changes one alembic_version row as Alembic writes it:
** UPDATE from zOld to zNew, INSERT of zNew (zOld 0) or DELETE of zOld
** (zNew 0). zOld and zNew are SQL expressions ("?1", or a quoted literal);
** zSchema prefixes the table ("main." or ""). sqlite3_malloc'd, 0 if out
** of memory.
*/
char *dm_version_row_sql(const char *zSchema, const char *zOld, const char *zNew);

/* The values of a log row, as SQL expressions, in the columns' order. */
typedef struct DmLogValues DmLogValues;
struct DmLogValues {
  const char *zRevision, *zDirection, *zFrom, *zTo, *zChecksum;
  const char *zStartedAt;  /* Text 'YYYY-MM-DD HH:MM:SS.SSS', UTC */
  const char *zDurationMs;
};

/* The INSERT of one log row, zSchema as for dm_version_row_sql(). */
char *dm_log_insert_sql(const char *zSchema, const DmLogValues *pValues);

#endif
