/*
** Helpers for the integration tests: real SQLite connections that load the
** built extension (build/distmigrate.so, or build/fixtures/NAME/distmigrate.so
** for a fixture set). $DM_BUILD names the build folder (default "build").
**
** Every helper fails the running cmocka test with a readable message
** instead of returning an error code.
*/
#ifndef DM_HARNESS_H
#define DM_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

static const char *h_build(void) {
  const char *z = getenv("DM_BUILD");
  return z && z[0] ? z : "build";
}

/* Path of the extension carrying set zSet ("" or 0: the shipped set). */
static char *h_extension(const char *zSet) {
  if (!zSet || !zSet[0]) return sqlite3_mprintf("%s/distmigrate", h_build());
  return sqlite3_mprintf("%s/fixtures/%s/distmigrate", h_build(), zSet);
}

/*
** A fresh temporary directory, and a file name in it. The directory goes
** when the test program exits (not when a child it forked exits), unless
** DM_KEEP_TMP is set, to look at what a failed test left.
*/
static char h_dir[256];
static pid_t h_dir_owner;
static void h_remove_dir(void) {
  const char *zKeep = getenv("DM_KEEP_TMP");
  if (getpid() != h_dir_owner || (zKeep && zKeep[0])) return;
  char zCmd[300];
  snprintf(zCmd, sizeof(zCmd), "rm -rf '%s'", h_dir);
  if (system(zCmd) != 0) fprintf(stderr, "could not remove %s\n", h_dir);
}
static char *h_path(const char *zName) {
  if (!h_dir[0]) {
    snprintf(h_dir, sizeof(h_dir), "/tmp/dm-test-XXXXXX");
    if (!mkdtemp(h_dir)) fail_msg("mkdtemp failed");
    h_dir_owner = getpid();
    atexit(h_remove_dir);
  }
  return sqlite3_mprintf("%s/%s", h_dir, zName);
}

/* A new, empty database file: removes zName and its journals first. */
static char *h_fresh(const char *zName) {
  char *zPath = h_path(zName);
  const char *azSuffix[] = {"", "-journal", "-wal", "-shm"};
  for (size_t i = 0; i < sizeof(azSuffix) / sizeof(azSuffix[0]); i++) {
    char *z = sqlite3_mprintf("%s%s", zPath, azSuffix[i]);
    unlink(z);
    sqlite3_free(z);
  }
  return zPath;
}

static void h_load(sqlite3 *db, const char *zSet) {
  char *zExt = h_extension(zSet);
  char *zErr = 0;
  sqlite3_enable_load_extension(db, 1);
  int rc = sqlite3_load_extension(db, zExt, 0, &zErr);
  if (rc != SQLITE_OK) fail_msg("cannot load %s: %s", zExt, zErr ? zErr : "?");
  sqlite3_free(zExt);
}

/* Open zPath (flags 0: read-write, create) and load set zSet into it. */
static sqlite3 *h_open_flags(const char *zPath, const char *zSet, int flags) {
  sqlite3 *db = 0;
  if (!flags) flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(zPath, &db, flags, 0);
  if (rc != SQLITE_OK) fail_msg("cannot open %s: %s", zPath, sqlite3_errmsg(db));
  if (zSet) h_load(db, zSet);
  return db;
}

static sqlite3 *h_open(const char *zPath, const char *zSet) {
  return h_open_flags(zPath, zSet, 0);
}

static void h_exec(sqlite3 *db, const char *zSql) {
  char *zErr = 0;
  if (sqlite3_exec(db, zSql, 0, 0, &zErr) != SQLITE_OK) {
    fail_msg("%s\n  failed: %s", zSql, zErr ? zErr : sqlite3_errmsg(db));
  }
}

/*
** The first column of the first row of zSql, as text ("NULL" for a NULL,
** "" for no row), sqlite3_malloc'd. Fails the test on an error.
*/
static char *h_text(sqlite3 *db, const char *zSql) {
  sqlite3_stmt *pStmt = 0;
  if (sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0) != SQLITE_OK) {
    fail_msg("%s\n  prepare failed: %s", zSql, sqlite3_errmsg(db));
  }
  char *z = 0;
  int rc = sqlite3_step(pStmt);
  if (rc == SQLITE_ROW) {
    const char *zVal = (const char *)sqlite3_column_text(pStmt, 0);
    z = sqlite3_mprintf("%s", zVal ? zVal : "NULL");
    rc = sqlite3_step(pStmt);
  } else {
    z = sqlite3_mprintf("");
  }
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    fail_msg("%s\n  failed: %s", zSql, sqlite3_errmsg(db));
  }
  sqlite3_finalize(pStmt);
  return z;
}

/* Assert that zSql's first value is zWant. */
#define h_assert_text(db, zSql, zWant)                 \
  do {                                                 \
    char *zGot_ = h_text((db), (zSql));                \
    if (strcmp(zGot_, (zWant)) != 0) {                 \
      fail_msg("%s\n  gave:  %s\n  want:  %s", (zSql), zGot_, (zWant)); \
    }                                                  \
    sqlite3_free(zGot_);                               \
  } while (0)

/*
** Run zSql expecting an error; return the error message (sqlite3_malloc'd)
** and its extended code in *pRc (if pRc).
*/
static char *h_error(sqlite3 *db, const char *zSql, int *pRc) {
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0);
  if (rc == SQLITE_OK) {
    while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    }
  }
  if (rc == SQLITE_DONE || rc == SQLITE_OK) {
    sqlite3_finalize(pStmt);
    fail_msg("%s\n  succeeded; an error was expected", zSql);
  }
  char *z = sqlite3_mprintf("%s", sqlite3_errmsg(db));
  if (pRc) *pRc = sqlite3_extended_errcode(db);
  sqlite3_finalize(pStmt);
  return z;
}

/* Assert that zSql fails with exactly the message zWant. */
#define h_assert_error(db, zSql, zWant)                                   \
  do {                                                                    \
    char *zGot_ = h_error((db), (zSql), 0);                               \
    if (strcmp(zGot_, (zWant)) != 0) {                                    \
      fail_msg("%s\n  error: %s\n  want:  %s", (zSql), zGot_, (zWant));  \
    }                                                                     \
    sqlite3_free(zGot_);                                                  \
  } while (0)

/*
** The schema as one comparable text: every object of sqlite_schema but
** distmigrate's own log, sorted, whitespace folded (DDL may differ only in
** whitespace).
*/
static char *h_schema(sqlite3 *db) {
  sqlite3_stmt *pStmt = 0;
  const char *zSql =
      "SELECT type, name, tbl_name, coalesce(sql, '') FROM main.sqlite_schema "
      "WHERE name NOT LIKE 'distmigrate%' ORDER BY type, name";
  if (sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0) != SQLITE_OK) {
    fail_msg("schema: %s", sqlite3_errmsg(db));
  }
  sqlite3_str *pStr = sqlite3_str_new(0);
  while (sqlite3_step(pStmt) == SQLITE_ROW) {
    for (int i = 0; i < 4; i++) {
      const char *z = (const char *)sqlite3_column_text(pStmt, i);
      int bSpace = 0;
      for (; *z; z++) {
        if (*z == ' ' || *z == '\t' || *z == '\n' || *z == '\r') {
          bSpace = 1;
          continue;
        }
        /* "( a" == "(a", "a )" == "a)", "a ," == "a," */
        if (bSpace && *z != ')' && *z != ',') {
          sqlite3_str_appendchar(pStr, 1, ' ');
        }
        bSpace = 0;
        sqlite3_str_appendchar(pStr, 1, *z);
        if (*z == '(') {
          while (z[1] == ' ' || z[1] == '\t' || z[1] == '\n' || z[1] == '\r') z++;
        }
      }
      sqlite3_str_appendchar(pStr, 1, i < 3 ? '|' : '\n');
    }
  }
  sqlite3_finalize(pStmt);
  char *z = sqlite3_str_finish(pStr);
  return z ? z : sqlite3_mprintf("");
}

/* The bytes of a file (empty if it does not exist), for "unchanged" checks. */
typedef struct HFile HFile;
struct HFile {
  int bExists;
  size_t n;
  unsigned char *a;
};

static HFile h_file(const char *zPath) {
  HFile f = {0, 0, 0};
  FILE *in = fopen(zPath, "rb");
  if (!in) return f;
  f.bExists = 1;
  fseek(in, 0, SEEK_END);
  long n = ftell(in);
  fseek(in, 0, SEEK_SET);
  f.n = n > 0 ? (size_t)n : 0;
  f.a = malloc(f.n + 1);
  if (f.n && fread(f.a, 1, f.n, in) != f.n) fail_msg("cannot read %s", zPath);
  fclose(in);
  return f;
}

static void h_assert_file_unchanged(const char *zPath, HFile before) {
  HFile after = h_file(zPath);
  if (after.bExists != before.bExists || after.n != before.n ||
      (after.n && memcmp(after.a, before.a, after.n) != 0)) {
    fail_msg("%s changed (%zu bytes before, %zu after)", zPath, before.n, after.n);
  }
  free(after.a);
}

#endif
