/*
** Unit tests of the one SQL tokenizer, dm_sql_token() in ext/sqltext.c: a
** port of the rules of SQLite's sqlite3GetToken() (src/tokenize.c).
**
** The table gives inputs and the tokens they must split into, text and
** kind, a rule or a corner of one a row; the first rows are the inputs on
** which distmigrate's hand-written scanners used to disagree. Each row is
** also checked against SQLite itself: the ';' in it, through
** sqlite3_complete() on each prefix that ends at one (complete_model.h
** says what it must answer, given our tokens), and an illegal first token
** through the "unrecognized token" message of sqlite3_prepare_v2(). Then a
** corpus of scripts is split into statements by dm_sql_statement_end() and
** by sqlite3_prepare_v2()'s tail, which must agree.
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

#include "complete_model.h"
#include "sqltext/sqltext.h"

#define MAX_TOKEN 16

typedef struct Token {
  const char *zText;
  DmTokenKind eKind;
} Token;

typedef struct Row {
  const char *zIn;
  Token aTok[MAX_TOKEN]; /* Up to the first with zText 0 */
} Row;

#define SP DM_KIND_SPACE
#define CMT DM_KIND_COMMENT
#define ID DM_KIND_ID
#define QID DM_KIND_QUOTED
#define STR DM_KIND_STRING
#define BLOB DM_KIND_BLOB
#define INT DM_KIND_INTEGER
#define FLT DM_KIND_FLOAT
#define VAR DM_KIND_VARIABLE
#define SEMI DM_KIND_SEMI
#define OP DM_KIND_OPERATOR
#define BAD DM_KIND_ILLEGAL

static const Row aRow[] = {
    /* Where the old scanners split differently (issue 14). */
    {"$x", {{"$x", VAR}}},
    {"a<>b", {{"a", ID}, {"<>", OP}, {"b", ID}}},
    {"a->b", {{"a", ID}, {"->", OP}, {"b", ID}}},
    {"a->>'$.b'", {{"a", ID}, {"->>", OP}, {"'$.b'", STR}}},
    {"#param", {{"#param", VAR}}},
    {"x'00''11'", {{"x'00'", BLOB}, {"'11'", STR}}},
    {"[a]b", {{"[a]", QID}, {"b", ID}}},
    {"a /* b; c", {{"a", ID}, {" ", SP}, {"/* b; c", CMT}}},

    /* Whitespace: '\v' continues a run but cannot begin one. */
    {" \t\n\r\f x", {{" \t\n\r\f ", SP}, {"x", ID}}},
    {" \v1", {{" \v", SP}, {"1", INT}}},
    {"\v ", {{"\v", BAD}, {" ", SP}}},
    {"\xEF\xBB\xBFselect", {{"\xEF\xBB\xBF", SP}, {"select", ID}}},
    {"\xEF\xBBx \xEF", {{"\xEF\xBBx", ID}, {" ", SP}, {"\xEF", ID}}},

    /* Identifiers: UTF-8 bytes and '$' inside. */
    {"caf\xC3\xA9 \xC3\xA9t\xC3\xA9", {{"caf\xC3\xA9", ID}, {" ", SP}, {"\xC3\xA9t\xC3\xA9", ID}}},
    {"a$b$ _a1", {{"a$b$", ID}, {" ", SP}, {"_a1", ID}}},
    {"SELECT", {{"SELECT", ID}}},

    /* Comments. */
    {"a -- c ; d\nb", {{"a", ID}, {" ", SP}, {"-- c ; d", CMT}, {"\n", SP}, {"b", ID}}},
    {"--", {{"--", CMT}}},
    {"a-->b", {{"a", ID}, {"-->b", CMT}}},
    {"a/* x ; */b", {{"a", ID}, {"/* x ; */", CMT}, {"b", ID}}},
    {"/**/1", {{"/**/", CMT}, {"1", INT}}},
    {"/* a*b **/c", {{"/* a*b **/", CMT}, {"c", ID}}},
    {"/*/ x", {{"/*/ x", CMT}}},
    {"/*x", {{"/*x", CMT}}},
    {"a/*", {{"a", ID}, {"/", OP}, {"*", OP}}},

    /* Strings. */
    {"'it''s'", {{"'it''s'", STR}}},
    {"''", {{"''", STR}}},
    {"'a' 'b'", {{"'a'", STR}, {" ", SP}, {"'b'", STR}}},
    {"'abc;", {{"'abc;", BAD}}},
    {"'a''", {{"'a''", BAD}}},

    /* Quoted identifiers. */
    {"\"a\"\"b\"", {{"\"a\"\"b\"", QID}}},
    {"`a``b`", {{"`a``b`", QID}}},
    {"[a\"b'c]", {{"[a\"b'c]", QID}}},
    {"[a]]", {{"[a]", QID}, {"]", BAD}}},
    {"\"abc", {{"\"abc", BAD}}},
    {"`a;", {{"`a;", BAD}}},
    {"[a;", {{"[a;", BAD}}},

    /* Blobs: an even number of hex digits. */
    {"x'00' X'0aFf' x''", {{"x'00'", BLOB}, {" ", SP}, {"X'0aFf'", BLOB}, {" ", SP}, {"x''", BLOB}}},
    {"x'abc'", {{"x'abc'", BAD}}},
    {"x'0g;' y", {{"x'0g;'", BAD}, {" ", SP}, {"y", ID}}},
    {"x'0g;", {{"x'0g;", BAD}}},
    {"x'", {{"x'", BAD}}},
    {"xy'a' x 'b'", {{"xy", ID}, {"'a'", STR}, {" ", SP}, {"x", ID}, {" ", SP}, {"'b'", STR}}},

    /* Numbers. */
    {"123 0x1F 0X1f", {{"123", INT}, {" ", SP}, {"0x1F", INT}, {" ", SP}, {"0X1f", INT}}},
    {"1.5 1. .5 1e3 2.5E-3 1e+9",
     {{"1.5", FLT}, {" ", SP}, {"1.", FLT}, {" ", SP}, {".5", FLT}, {" ", SP},
      {"1e3", FLT}, {" ", SP}, {"2.5E-3", FLT}, {" ", SP}, {"1e+9", FLT}}},
    {"1.5e+", {{"1.5e", BAD}, {"+", OP}}},
    {"1..2", {{"1.", FLT}, {".2", FLT}}},
    {"1abc 1.end", {{"1abc", BAD}, {" ", SP}, {"1.end", BAD}}},
    {"1_000", {{"1_000", BAD}}},          /* 3.46: a number, same length */
    {"0x1g 0x1_0", {{"0x1", INT}, {"g", ID}, {" ", SP}, {"0x1", INT}, {"_0", ID}}},
    {"0x", {{"0x", BAD}}},
    {"0xg", {{"0xg", BAD}}},
    {"a.b", {{"a", ID}, {".", OP}, {"b", ID}}},

    /* Variables. */
    {"? ?12 ?abc", {{"?", VAR}, {" ", SP}, {"?12", VAR}, {" ", SP}, {"?", VAR}, {"abc", ID}}},
    {":a @b #c $d :1", {{":a", VAR}, {" ", SP}, {"@b", VAR}, {" ", SP}, {"#c", VAR}, {" ", SP},
                        {"$d", VAR}, {" ", SP}, {":1", VAR}}},
    {":", {{":", BAD}}},
    {"@ #", {{"@", BAD}, {" ", SP}, {"#", BAD}}},
    {"$", {{"$", BAD}}},
    {"$a::b::c $::a", {{"$a::b::c", VAR}, {" ", SP}, {"$::a", VAR}}},
    {"$a:b", {{"$a", VAR}, {":b", VAR}}},
    {"$a(i;j) @b(1)", {{"$a(i;j)", VAR}, {" ", SP}, {"@b(1)", VAR}}},
    {"$a(x y)", {{"$a(x", BAD}, {" ", SP}, {"y", ID}, {")", OP}}},
    {"$(x)", {{"$", BAD}, {"(", OP}, {"x", ID}, {")", OP}}},

    /* Operators and punctuation. */
    {"<> != <= >= == << >> ||",
     {{"<>", OP}, {" ", SP}, {"!=", OP}, {" ", SP}, {"<=", OP}, {" ", SP}, {">=", OP}, {" ", SP},
      {"==", OP}, {" ", SP}, {"<<", OP}, {" ", SP}, {">>", OP}, {" ", SP}, {"||", OP}}},
    {"a<<=b>>=c===d", {{"a", ID}, {"<<", OP}, {"=", OP}, {"b", ID}, {">>", OP}, {"=", OP},
                       {"c", ID}, {"==", OP}, {"=", OP}, {"d", ID}}},
    {"<>=|-", {{"<>", OP}, {"=", OP}, {"|", OP}, {"-", OP}}},
    {"(),;+*/%&~.", {{"(", OP}, {")", OP}, {",", OP}, {";", SEMI}, {"+", OP}, {"*", OP},
                     {"/", OP}, {"%", OP}, {"&", OP}, {"~", OP}, {".", OP}}},
    {"!x", {{"!", BAD}, {"x", ID}}},
    {"^{}\\\x01", {{"^", BAD}, {"{", BAD}, {"}", BAD}, {"\\", BAD}, {"\x01", BAD}}},

    /* Statements and the ';' between them. */
    {";;", {{";", SEMI}, {";", SEMI}}},
    {"SELECT 1; -- ;", {{"SELECT", ID}, {" ", SP}, {"1", INT}, {";", SEMI}, {" ", SP}, {"-- ;", CMT}}},
    {"CREATE TRIGGER r AFTER INSERT ON t BEGIN SELECT 1; END;",
     {{"CREATE", ID}, {" ", SP}, {"TRIGGER", ID}, {" ", SP}, {"r", ID}, {" ", SP}, {"AFTER", ID},
      {" ", SP}, {"INSERT", ID}, {" ", SP}, {"ON", ID}, {" ", SP}, {"t", ID}, {" ", SP},
      {"BEGIN", ID}, {" ", SP}}},
};

/* The last row is cut short (MAX_TOKEN): its check stops at the table's end. */
static int row_is_cut(const Row *p) { return p->aTok[MAX_TOKEN - 1].zText != 0; }

static const char *kind_name(DmTokenKind e) {
  static const char *const az[] = {"SPACE", "COMMENT", "ID", "QUOTED", "STRING", "BLOB",
                                   "INTEGER", "FLOAT", "VARIABLE", "SEMI", "OPERATOR",
                                   "ILLEGAL"};
  return (unsigned)e < sizeof(az) / sizeof(az[0]) ? az[e] : "?";
}

static void check_tokens(const Row *p) {
  const char *z = p->zIn;
  int i = 0, k = 0;
  for (; k < MAX_TOKEN && p->aTok[k].zText; k++) {
    const Token *pTok = &p->aTok[k];
    DmTokenKind eKind;
    int n = dm_sql_token(z + i, &eKind);
    int nWant = (int)strlen(pTok->zText);
    if (n != nWant || memcmp(z + i, pTok->zText, (size_t)n) != 0 || eKind != pTok->eKind) {
      fail_msg("%s: token %d is \"%.*s\" %s, want \"%s\" %s", p->zIn, k, n, z + i,
               kind_name(eKind), pTok->zText, kind_name(pTok->eKind));
    }
    DmTokenType eType;
    assert_int_equal(dm_token(z + i, &eType), n);
    i += n;
  }
  if (!row_is_cut(p)) {
    DmTokenKind eKind;
    if (dm_sql_token(z + i, &eKind) != 0) {
      fail_msg("%s: more tokens after %d: \"%s\"", p->zIn, k, z + i);
    }
    assert_int_equal(i, (int)strlen(z));
  }
}

/* At each ';' byte of the row, and at its end, sqlite3_complete() answers
** what our tokens say it must. */
static void check_complete(const Row *p) {
  size_t n = strlen(p->zIn);
  char *zPrefix = malloc(n + 1);
  assert_non_null(zPrefix);
  for (size_t i = 0; i < n; i++) {
    if (p->zIn[i] != ';' && i + 1 != n) continue;
    memcpy(zPrefix, p->zIn, i + 1);
    zPrefix[i + 1] = 0;
    int bWant = model_complete(zPrefix);
    if (bWant >= 0 && bWant != sqlite3_complete(zPrefix)) {
      fail_msg("sqlite3_complete(\"%s\") is %d, our tokens say %d", zPrefix,
               sqlite3_complete(zPrefix), bWant);
    }
  }
  free(zPrefix);
}

/* An illegal first token is the one SQLite names in its error. */
static void check_unrecognized(sqlite3 *db, const Row *p) {
  int k = 0;
  while (p->aTok[k].zText && (p->aTok[k].eKind == SP || p->aTok[k].eKind == CMT)) k++;
  if (!p->aTok[k].zText || p->aTok[k].eKind != BAD) return;
  sqlite3_stmt *pStmt = 0;
  assert_int_equal(sqlite3_prepare_v2(db, p->zIn, -1, &pStmt, 0), SQLITE_ERROR);
  char *zWant = sqlite3_mprintf("unrecognized token: \"%s\"", p->aTok[k].zText);
  if (strcmp(sqlite3_errmsg(db), zWant) != 0) {
    fail_msg("%s: SQLite says %s, want %s", p->zIn, sqlite3_errmsg(db), zWant);
  }
  sqlite3_free(zWant);
}

static void test_table_of_tokens(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof(aRow) / sizeof(aRow[0]); i++) check_tokens(&aRow[i]);
}

static void test_table_agrees_with_sqlite3_complete(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof(aRow) / sizeof(aRow[0]); i++) check_complete(&aRow[i]);
}

static void test_illegal_tokens_are_the_ones_sqlite_refuses(void **state) {
  (void)state;
  sqlite3 *db = 0;
  assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
  int nChecked = 0;
  for (size_t i = 0; i < sizeof(aRow) / sizeof(aRow[0]); i++) {
    check_unrecognized(db, &aRow[i]);
    nChecked += aRow[i].aTok[0].eKind == BAD;
  }
  assert_true(nChecked >= 15);
  sqlite3_close(db);
}

/* The coarse types that dm_token() gives the callers that need no more. */
static void test_coarse_types(void **state) {
  (void)state;
  static const struct {
    const char *z;
    DmTokenType e;
  } a[] = {
      {"-- c", DM_TK_SPACE},  {"/* c", DM_TK_SPACE},   {"\xEF\xBB\xBF", DM_TK_SPACE},
      {"abc", DM_TK_WORD},    {"\xC3\xA9", DM_TK_WORD}, {"\"a\"", DM_TK_QUOTED},
      {"[a", DM_TK_QUOTED},   {"`a", DM_TK_QUOTED},    {"'a'", DM_TK_STRING},
      {"'a", DM_TK_STRING},   {"x'00'", DM_TK_STRING}, {"x'0g'", DM_TK_STRING},
      {"$x", DM_TK_OTHER},    {"1abc", DM_TK_OTHER},   {";", DM_TK_OTHER},
      {"->>", DM_TK_OTHER},   {"!", DM_TK_OTHER},
  };
  for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
    DmTokenType e = DM_TK_SPACE;
    assert_int_equal(dm_token(a[i].z, &e), (int)strlen(a[i].z));
    if (e != a[i].e) fail_msg("dm_token(\"%s\") is type %d, want %d", a[i].z, e, a[i].e);
  }
  DmTokenType e;
  assert_int_equal(dm_token("", &e), 0);
}

/*
** Scripts that SQLite compiles statement by statement; dm_statement_end()
** must end each where sqlite3_prepare_v2() leaves its tail. Each runs on a
** new in-memory database holding t(a, b, c).
*/
static const char *const azScript[] = {
    "CREATE TABLE a(x); INSERT INTO a VALUES(1);SELECT * FROM a",
    "SELECT 'a;b'; SELECT \"x;y\" FROM (SELECT 1 AS \"x;y\"); SELECT [c;d] FROM (SELECT 1 AS [c;d]);",
    "SELECT `a;` FROM (SELECT 1 AS `a;`); SELECT \"a\"\"b\" FROM (SELECT 1 AS \"a\"\"b\");",
    "SELECT 1 -- ; not the end\n; SELECT 2 /* ; */ ; -- trailing ;",
    "SELECT 1;;; SELECT 2 ;  ;",
    "CREATE TRIGGER r1 AFTER INSERT ON t BEGIN SELECT 1; UPDATE t SET a = a; END; SELECT 3;",
    "create temp trigger r2 before delete on t begin select ';'; end ; select 4",
    "EXPLAIN CREATE TRIGGER r3 AFTER UPDATE ON t BEGIN DELETE FROM t; END; SELECT 5",
    "CREATE TRIGGER r4 AFTER INSERT ON t BEGIN SELECT CASE WHEN 1 THEN 2 END; END;",
    "SELECT $x; SELECT :a, @b, ?1, ?, #p; SELECT $a::b, $c(i;j);",
    "SELECT x'00', '11', X'0aFf', x''; SELECT 0x1F, 1.5, .5, 1e3, 2.5E-3;",
    "SELECT '1' -> '$', '{\"a\":1}' ->> '$.a'; SELECT 1 <> 2, 1 != 2, 1 << 2, 4 >> 1, 'a' || 'b';",
    "SELECT 1 == 1, 1 <= 2, 2 >= 1, ~1 & 3 | 4 % 3, -1 + 2 * 3 / 4; SELECT 0x1g",
    "\xEF\xBB\xBFSELECT 1; \xEF\xBB\xBFSELECT 2",
    "SELECT 1 /* unterminated ; comment",
    "SELECT caf\xC3\xA9, a$b FROM (SELECT 1 AS caf\xC3\xA9, 2 AS a$b);",
    "CREATE TABLE \"end\"(\"end\"); SELECT \"end\" FROM \"end\"; SELECT 1 AS end_",
    "SELECT \v 1; SELECT 2",
};

static void run_script(const char *zScript) {
  sqlite3 *db = 0;
  assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(a, b, c)", 0, 0, 0), SQLITE_OK);
  int nStmt = 0;
  for (const char *z = dm_sql_skip_empty(zScript); *z; z = dm_sql_skip_empty(z)) {
    sqlite3_stmt *pStmt = 0;
    const char *zTail = 0;
    if (sqlite3_prepare_v2(db, z, -1, &pStmt, &zTail) != SQLITE_OK) {
      fail_msg("%s: SQLite cannot compile \"%s\": %s", zScript, z, sqlite3_errmsg(db));
    }
    assert_non_null(pStmt);
    const char *zEnd = dm_sql_statement_end(z);
    if (zEnd != zTail) {
      fail_msg("%s: statement \"%s\" ends before \"%s\", SQLite says before \"%s\"", zScript, z,
               zEnd, zTail);
    }
    while (sqlite3_step(pStmt) == SQLITE_ROW) {}
    assert_int_equal(sqlite3_finalize(pStmt), SQLITE_OK);
    z = zEnd;
    nStmt++;
  }
  assert_true(nStmt > 0);
  sqlite3_close(db);
}

static void test_statement_ends_are_sqlite_prepare_tails(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof(azScript) / sizeof(azScript[0]); i++) run_script(azScript[i]);
}

/*
** Where sqlite3_complete(), which dm_sql_statement_end() asks, reads the
** text more crudely than SQLite's parser, statements end where
** sqlite3_complete() says, not where the parser would: known, and kept
** (statement splitting stays sqlite3_complete()'s).
*/
static void test_statement_ends_where_sqlite3_complete_differs(void **state) {
  (void)state;
  /* A quote inside a Tcl variable's index: complete.c sees a string. */
  const char *z = "SELECT $a(') ; SELECT 2;";
  assert_string_equal(dm_sql_statement_end(z), "");
  /* '\v' in the space before TRIGGER: complete.c sees no CREATE TRIGGER. */
  z = "CREATE \vTRIGGER r AFTER INSERT ON t BEGIN SELECT 1; END;";
  assert_string_equal(dm_sql_statement_end(z), " END;");
}

/* Names as SQLite dequotes them (sqlite3Dequote), token by token. */
static void test_names_are_unquoted_as_sqlite_does(void **state) {
  (void)state;
  static const struct { const char *zIn, *zWant; } aCase[] = {
      {"plain", "plain"},     {"\"a\"\"b\"", "a\"b"}, {"`a``b`", "a`b"},
      {"[a\"\"b]", "a\"\"b"},   {"'x''y'", "x'y"},     {"\"open", "open"},
      {"  -- c\n \"sp\"", "sp"},
  };
  for (size_t i = 0; i < sizeof(aCase) / sizeof(aCase[0]); i++) {
    const char *z = aCase[i].zIn;
    DmTokenRef tok = dm_sql_next(&z);
    char *zGot = dm_sql_unquote(&tok);
    assert_non_null(zGot);
    assert_string_equal(zGot, aCase[i].zWant);
    sqlite3_free(zGot);
  }
}

/* PRAGMA [schema.]name [= value | (value)], as the runner and the offline
** script read it. */
static void test_pragma_is_read_as_schema_name_value(void **state) {
  (void)state;
  DmPragma pragma;
  dm_sql_pragma(" main . \"writable_schema\" = 'ON'", &pragma);
  assert_true(dm_sql_name_is(&pragma.schema, "main"));
  assert_true(dm_sql_name_is(&pragma.name, "writable_schema"));
  assert_true(pragma.bSets);
  assert_true(dm_sql_name_is(&pragma.value, "on"));
  dm_sql_pragma(" schema_version(7)", &pragma);
  assert_int_equal(pragma.schema.n, 0);
  assert_true(dm_sql_name_is(&pragma.name, "schema_version"));
  assert_true(pragma.bSets);
  assert_int_equal(pragma.value.n, 1);
  dm_sql_pragma(" foreign_keys", &pragma);
  assert_false(pragma.bSets);
  assert_int_equal(pragma.value.n, 0);
  const char *z = " \"SAVEPOINT\"";
  DmTokenRef tok = dm_sql_next(&z);
  assert_false(dm_sql_keyword_is(&tok, "SAVEPOINT"));
  assert_true(dm_sql_name_is(&tok, "savepoint"));
}

/* What ends a statement (space, comments, ';') is not part of it. */
static void test_trim_end_drops_space_comments_and_semicolons(void **state) {
  (void)state;
  static const struct { const char *zIn; int nWant; } aCase[] = {
      {"SELECT 1", 8},           {"SELECT 1;", 8},  {"SELECT 1 ; ;\n", 8},
      {"SELECT 1 -- x;\n", 8},   {"SELECT 1 /* ; */", 8}, {"SELECT ';'", 10},
      {" ;", 0},
  };
  for (size_t i = 0; i < sizeof(aCase) / sizeof(aCase[0]); i++) {
    assert_int_equal(dm_sql_trim_end(aCase[i].zIn, (int)strlen(aCase[i].zIn)), aCase[i].nWant);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table_of_tokens),
      cmocka_unit_test(test_table_agrees_with_sqlite3_complete),
      cmocka_unit_test(test_illegal_tokens_are_the_ones_sqlite_refuses),
      cmocka_unit_test(test_coarse_types),
      cmocka_unit_test(test_statement_ends_are_sqlite_prepare_tails),
      cmocka_unit_test(test_statement_ends_where_sqlite3_complete_differs),
      cmocka_unit_test(test_names_are_unquoted_as_sqlite_does),
      cmocka_unit_test(test_pragma_is_read_as_schema_name_value),
      cmocka_unit_test(test_trim_end_drops_space_comments_and_semicolons),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
