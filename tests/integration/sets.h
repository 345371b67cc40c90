/*
** Migration sets written by a test and built at run time, as make builds a
** fixture set: the helpers test_ops.c and test_diff.c share. The build
** needs DM_ENGINE_OBJ (and DM_CC), which the Makefile sets.
*/
#ifndef DM_SETS_H
#define DM_SETS_H

#include "harness.h"

static void run_shell(const char *zCmd) {
  int rc = system(zCmd);
  if (rc != 0) fail_msg("command failed (%d): %s", rc, zCmd);
}

/* h_path(zName) as an empty directory, for a migration set written by the test. */
static char *empty_dir(const char *zName) {
  char *zDir = h_path(zName);
  char *zCmd = sqlite3_mprintf("rm -rf %s && mkdir -p %s", zDir, zDir);
  run_shell(zCmd);
  sqlite3_free(zCmd);
  return zDir;
}

static void write_file(const char *zPath, const char *zText) {
  FILE *out = fopen(zPath, "wb");
  if (!out) fail_msg("cannot write %s", zPath);
  fputs(zText, out);
  fclose(out);
}

static char *read_text(const char *zPath) {
  HFile f = h_file(zPath);
  if (!f.bExists) fail_msg("missing %s", zPath);
  char *z = sqlite3_mprintf("%.*s", (int)f.n, (const char *)f.a);
  free(f.a);
  return z;
}

/*
** Build the migrations in directory zDir (under the test's temporary
** directory) into zDir/distmigrate.so, as make does for a fixture set.
** Returns the extension's path without ".so".
*/
static char *build_set(const char *zDir) {
  const char *zObj = getenv("DM_ENGINE_OBJ");
  const char *zCc = getenv("DM_CC");
  if (!zObj || !zObj[0]) fail_msg("DM_ENGINE_OBJ is not set (run through make)");
  char *zCmd = sqlite3_mprintf(
      "%s/dmgen %s %s/migrations.c && %s -shared -fPIC -pthread -Iext -o "
      "%s/distmigrate.so %s/migrations.c %s",
      h_build(), zDir, zDir, zCc && zCc[0] ? zCc : "cc", zDir, zDir, zObj);
  run_shell(zCmd);
  sqlite3_free(zCmd);
  return sqlite3_mprintf("%s/distmigrate", zDir);
}

static sqlite3 *open_with(const char *zPath, const char *zExtension) {
  sqlite3 *db = h_open(zPath, 0);
  char *zErr = 0;
  sqlite3_enable_load_extension(db, 1);
  if (sqlite3_load_extension(db, zExtension, 0, &zErr) != SQLITE_OK) {
    fail_msg("cannot load %s: %s", zExtension, zErr ? zErr : "?");
  }
  return db;
}

/* A migration file of a set written by a test. */
static void write_migration(const char *zDir, const char *zId, const char *zParent,
                            const char *zUp, const char *zDown) {
  char *zPath = sqlite3_mprintf("%s/%s.sql", zDir, zId);
  char *zText = sqlite3_mprintf(
      "-- Test revision %s\n--\n-- Revision ID: %s\n-- Revises: %s\n"
      "-- Create Date: 2024-03-01 10:00:00.000000\n\n-- migrate:up\n%s\n"
      "-- migrate:down\n%s\n",
      zId, zId, zParent, zUp, zDown);
  write_file(zPath, zText);
  sqlite3_free(zText);
  sqlite3_free(zPath);
}

#endif
