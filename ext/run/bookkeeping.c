/*
** The text of the bookkeeping statements (see bookkeeping.h).
*/
#include "run/bookkeeping.h"

#include "sqlite3ext.h"

SQLITE_EXTENSION_INIT3

char *dm_version_row_sql(const char *zSchema, const char *zOld, const char *zNew) {
  if (zOld && zNew) {
    return sqlite3_mprintf("UPDATE %salembic_version SET version_num=%s "
                           "WHERE alembic_version.version_num = %s",
                           zSchema, zNew, zOld);
  }
  if (zNew) {
    return sqlite3_mprintf("INSERT INTO %salembic_version (version_num) VALUES (%s)",
                           zSchema, zNew);
  }
  return sqlite3_mprintf("DELETE FROM %salembic_version "
                         "WHERE alembic_version.version_num = %s",
                         zSchema, zOld);
}

char *dm_log_insert_sql(const char *zSchema, const DmLogValues *pV) {
  return sqlite3_mprintf(
      "INSERT INTO %s" DM_LOG_TABLE
      " (revision, direction, from_version, to_version, checksum, started_at,"
      " duration_ms) VALUES (%s, %s, %s, %s, %s, %s, %s)",
      zSchema, pV->zRevision, pV->zDirection, pV->zFrom, pV->zTo, pV->zChecksum,
      pV->zStartedAt, pV->zDurationMs);
}
