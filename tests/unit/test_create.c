/*
** Unit tests of the one CREATE TABLE parser, ext/sqltext/create.c:
** dm_create_parse() (what migrate_alter_table() and the schema model read
** a CREATE TABLE with). The first
** tests are the inputs on which alter/'s own scanner disagreed with
** SQLite's tokenizer; the parser must now read them as SQLite does.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "sqltext/sqltext.h"

/* The text of token i of p. */
static char *token_text(const DmCreate *p, int i) {
  return sqlite3_mprintf("%.*s", p->aTok[i].n, p->zSql + p->aTok[i].iOff);
}

/* zSql parses; its table is zName, with nElem elements of which nCol are columns. */
static void assert_parses(const char *zSql, const char *zName, int nElem, int nCol) {
  DmCreate def;
  char *zErr = 0;
  int rc = dm_create_parse(zSql, &def, &zErr);
  if (rc != SQLITE_OK) fail_msg("%s\n  refused: %s", zSql, zErr ? zErr : "(no message)");
  assert_string_equal(def.zName, zName);
  assert_int_equal(def.nElem, nElem);
  assert_int_equal(def.nCol, nCol);
  dm_create_clear(&def);
  sqlite3_free(zErr);
}

static void assert_refused(const char *zSql, const char *zWant) {
  DmCreate def;
  char *zErr = 0;
  int rc = dm_create_parse(zSql, &def, &zErr);
  assert_int_equal(rc, SQLITE_ERROR);
  assert_non_null(zErr);
  assert_string_equal(zErr, zWant);
  dm_create_clear(&def);
  sqlite3_free(zErr);
}

/* SQLite takes a C comment that is never closed as a comment. */
static void test_comment_left_open_is_a_comment(void **state) {
  (void)state;
  assert_parses("CREATE TABLE t (a INT, b TEXT) /* never closed", "t", 2, 2);
  assert_parses("CREATE TABLE t (a INT, /* b TEXT) */ c TEXT)", "t", 2, 2);
}

/* A byte-order mark is space to SQLite, not a word. */
static void test_byte_order_mark_is_space(void **state) {
  (void)state;
  assert_parses("\xEF\xBB\xBF" "CREATE TABLE t (a INT)", "t", 1, 1);
}

/* Comments and any space may stand between CREATE and TABLE. */
static void test_comments_between_the_first_words(void **state) {
  (void)state;
  assert_parses("CREATE /* c */ TABLE -- d\n \"Odd \"\"name\"\"\" (a INT)", "Odd \"name\"", 1,
                1);
}

/* What SQLite refuses as a token is refused, quoted. */
static void test_tokens_sqlite_refuses_are_refused(void **state) {
  (void)state;
  assert_refused("CREATE TABLE t (a BLOB DEFAULT x'0g')",
                 "unrecognized token or unterminated text: x'0g'");
  assert_refused("CREATE TABLE t (a INT\v)", "unrecognized token or unterminated text: \v");
  assert_refused("CREATE TABLE t (a REAL DEFAULT 1.5e)",
                 "unrecognized token or unterminated text: 1.5e");
  assert_refused("CREATE TABLE t (a TEXT DEFAULT 'open)",
                 "unrecognized token or unterminated text: 'open)");
}

/* ?abc is a variable and a word; 1..2 two numbers; a / and a * at the end
** are operators, not a comment: each token where SQLite has it. */
static void test_tokens_split_where_sqlite_splits_them(void **state) {
  (void)state;
  static const struct {
    const char *zSql;
    const char *azTok[4];
  } aCase[] = {
      {"?abc", {"?", "abc"}},
      {"1..2", {"1.", ".2"}},
      {"a/*", {"a", "/", "*"}},
      {"1.5e+", {"1.5e", "+"}},
  };
  for (size_t k = 0; k < sizeof(aCase) / sizeof(aCase[0]); k++) {
    DmSqlToken *aTok = 0;
    int nTok = 0;
    assert_int_equal(dm_sql_tokenize(aCase[k].zSql, &aTok, &nTok), SQLITE_OK);
    DmCreate def = {.zSql = aCase[k].zSql, .aTok = aTok, .nTok = nTok};
    int nWant = 0;
    while (nWant < 4 && aCase[k].azTok[nWant]) nWant++;
    if (nTok != nWant) fail_msg("%s: %d tokens, want %d", aCase[k].zSql, nTok, nWant);
    for (int i = 0; i < nTok; i++) {
      char *z = token_text(&def, i);
      assert_string_equal(z, aCase[k].azTok[i]);
      sqlite3_free(z);
    }
    sqlite3_free(aTok);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_comment_left_open_is_a_comment),
      cmocka_unit_test(test_byte_order_mark_is_space),
      cmocka_unit_test(test_comments_between_the_first_words),
      cmocka_unit_test(test_tokens_sqlite_refuses_are_refused),
      cmocka_unit_test(test_tokens_split_where_sqlite_splits_them),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
