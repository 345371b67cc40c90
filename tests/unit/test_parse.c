/*
** Unit tests of the generator's parser (ext/dmgen/parse.c): one migration file
** in, a DmgFile or a "path:line: what is wrong" message out; and the
** normalised form and checksum the build records for each migration.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dmgen/parse.h"

/* ---- helpers ------------------------------------------------------------- */

/* Parse n bytes of z as "m.sql"; fail the test with the message if it is
** refused. */
static DmgFile parse_n(const char *z, size_t n) {
  DmgFile f;
  char *zErr = 0;
  if (dmg_parse("m.sql", z, n, &f, &zErr)) {
    fail_msg("refused: %s\n--- text:\n%s", zErr ? zErr : "(no message)", z);
  }
  assert_null(zErr);
  return f;
}

static DmgFile parse(const char *z) { return parse_n(z, strlen(z)); }

/* Assert that n bytes of z, read from "m.sql", are refused with zWant. */
static void refused_n(const char *z, size_t n, const char *zWant) {
  DmgFile f;
  char *zErr = 0;
  if (!dmg_parse("m.sql", z, n, &f, &zErr)) {
    dmg_file_clear(&f);
    fail_msg("accepted; want the error\n  %s\n--- text:\n%s", zWant, z);
  }
  if (!zErr || strcmp(zErr, zWant) != 0) {
    fail_msg("error: %s\n want: %s\n--- text:\n%s", zErr ? zErr : "(none)", zWant, z);
  }
  /* A refused file leaves nothing behind to free. */
  assert_null(f.zId);
  assert_null(f.zUp);
  assert_int_equal(f.parents.n, 0);
  free(zErr);
}

static void refused(const char *z, const char *zWant) { refused_n(z, strlen(z), zWant); }

/* The smallest valid file is HEADER BODY: the id on line 1, Revises: on
** line 2, '-- migrate:up' on line 3 and '-- migrate:down' on line 5. */
#define HEADER "-- Revision ID: m1\n-- Revises:\n"
#define BODY "-- migrate:up\nCREATE TABLE t (x);\n-- migrate:down\nDROP TABLE t;\n"

/* ---- the header ------------------------------------------------------------ */

static void test_full_header_gives_every_field_and_line(void **state) {
  (void)state;
  DmgFile f = parse(
      "-- Add foo to questions\n"                    /* 1 */
      "--\n"                                         /* 2 */
      "-- The answer needs a foo.\n"                 /* 3 */
      "--\n"                                         /* 4 */
      "-- Revision ID: 003_add_foo\n"                /* 5 */
      "-- Revises: 002_b\n"                          /* 6 */
      "-- Create Date: 2024-01-01 12:00:00.000000\n" /* 7 */
      "-- Branch Labels: feature\n"                  /* 8 */
      "-- Depends On: 001_a\n"                       /* 9 */
      "\n"                                           /* 10 */
      "-- migrate:up\n"                              /* 11 */
      "ALTER TABLE questions ADD COLUMN foo TEXT;\n" /* 12 */
      "\n"                                           /* 13 */
      "-- migrate:down\n"                            /* 14 */
      "ALTER TABLE questions DROP COLUMN foo;\n");   /* 15 */
  assert_string_equal(f.zPath, "m.sql");
  assert_string_equal(f.zId, "003_add_foo");
  assert_int_equal(f.iIdLine, 5);
  assert_string_equal(f.zMessage, "Add foo to questions");
  assert_string_equal(f.zCreateDate, "2024-01-01 12:00:00.000000");
  assert_int_equal(f.parents.n, 1);
  assert_string_equal(f.parents.az[0], "002_b");
  assert_int_equal(f.parents.iLine, 6);
  assert_int_equal(f.labels.n, 1);
  assert_string_equal(f.labels.az[0], "feature");
  assert_int_equal(f.labels.iLine, 8);
  assert_int_equal(f.depends.n, 1);
  assert_string_equal(f.depends.az[0], "001_a");
  assert_int_equal(f.depends.iLine, 9);
  assert_string_equal(f.zUp, "ALTER TABLE questions ADD COLUMN foo TEXT;\n\n");
  assert_int_equal(f.iUpLine, 11);
  assert_string_equal(f.zDown, "ALTER TABLE questions DROP COLUMN foo;\n");
  assert_int_equal(f.iDownLine, 14);
  dmg_file_clear(&f);
}

static void test_message_is_first_description_line(void **state) {
  (void)state;
  /* Blank comment lines before it are skipped; later lines are not it. */
  DmgFile f = parse("--\n--   Make it faster  \n-- second line\n" HEADER BODY);
  assert_string_equal(f.zMessage, "Make it faster");
  dmg_file_clear(&f);
  /* A comment after the Revision ID line is not the description. */
  f = parse(HEADER "-- a note\n" BODY);
  assert_string_equal(f.zMessage, "");
  dmg_file_clear(&f);
}

static void test_header_without_optional_fields(void **state) {
  (void)state;
  DmgFile f = parse(HEADER BODY);
  assert_string_equal(f.zId, "m1");
  assert_int_equal(f.iIdLine, 1);
  assert_string_equal(f.zMessage, "");
  assert_string_equal(f.zCreateDate, "");
  assert_int_equal(f.parents.n, 0);
  assert_int_equal(f.parents.iLine, 2);
  assert_int_equal(f.labels.n, 0);
  assert_int_equal(f.labels.iLine, 0);
  assert_int_equal(f.depends.n, 0);
  assert_int_equal(f.depends.iLine, 0);
  assert_int_equal(f.iUpLine, 3);
  assert_int_equal(f.iDownLine, 5);
  dmg_file_clear(&f);
}

static void test_revises_lists_several_parents_of_a_merge(void **state) {
  (void)state;
  DmgFile f = parse("-- Revision ID: m\n-- Revises:  a ,b,  c_3 \n" BODY);
  assert_int_equal(f.parents.n, 3);
  assert_string_equal(f.parents.az[0], "a");
  assert_string_equal(f.parents.az[1], "b");
  assert_string_equal(f.parents.az[2], "c_3");
  dmg_file_clear(&f);
  f = parse("-- Revision ID: m\n-- Revises: x\n-- Branch Labels: l1, l2\n"
            "-- Depends On: d1,d2\n" BODY);
  assert_int_equal(f.parents.n, 1);
  assert_int_equal(f.labels.n, 2);
  assert_string_equal(f.labels.az[1], "l2");
  assert_int_equal(f.depends.n, 2);
  assert_string_equal(f.depends.az[0], "d1");
  assert_string_equal(f.depends.az[1], "d2");
  dmg_file_clear(&f);
}

static void test_crlf_file_parses_like_lf_and_keeps_section_bytes(void **state) {
  (void)state;
  DmgFile f = parse(
      "-- Use CRLF\r\n"
      "-- Revision ID: m_crlf\r\n"
      "-- Revises: a, b\r\n"
      "-- Create Date: 2024-01-01 10:00:00\r\n"
      "\r\n"
      "-- migrate:up\r\n"
      "CREATE TABLE t (x);\r\n"
      "-- migrate:down\r\n"
      "DROP TABLE t;\r\n");
  assert_string_equal(f.zMessage, "Use CRLF");
  assert_string_equal(f.zId, "m_crlf");
  assert_string_equal(f.parents.az[1], "b");
  assert_string_equal(f.zCreateDate, "2024-01-01 10:00:00");
  assert_int_equal(f.iUpLine, 6);
  assert_int_equal(f.iDownLine, 8);
  /* Sections are kept exactly as written; the checksum normalises. */
  assert_string_equal(f.zUp, "CREATE TABLE t (x);\r\n");
  assert_string_equal(f.zDown, "DROP TABLE t;\r\n");
  dmg_file_clear(&f);
}

static void test_utf8_bom_is_skipped_and_lines_still_count_from_one(void **state) {
  (void)state;
  DmgFile f = parse("\xEF\xBB\xBF-- Revision ID: m_bom\n-- Revises:\n" BODY);
  assert_string_equal(f.zId, "m_bom");
  assert_int_equal(f.iIdLine, 1);
  assert_int_equal(f.iUpLine, 3);
  dmg_file_clear(&f);
  /* The BOM is not part of the first line's text. */
  f = parse("\xEF\xBB\xBF-- \xC3\xA9t\xC3\xA9\n" HEADER BODY);
  assert_string_equal(f.zMessage, "\xC3\xA9t\xC3\xA9");
  dmg_file_clear(&f);
}

/* ---- the sections ------------------------------------------------------------ */

static void test_empty_sections_are_empty_strings(void **state) {
  (void)state;
  DmgFile f = parse(HEADER "-- migrate:up\n-- migrate:down\n");
  assert_string_equal(f.zUp, "");
  assert_string_equal(f.zDown, "");
  assert_int_equal(f.iUpLine, 3);
  assert_int_equal(f.iDownLine, 4);
  dmg_file_clear(&f);
  /* No newline after the last marker. */
  f = parse(HEADER "-- migrate:up\n-- migrate:down");
  assert_string_equal(f.zDown, "");
  dmg_file_clear(&f);
}

static void test_section_text_and_lines_are_exact(void **state) {
  (void)state;
  DmgFile f = parse(HEADER                          /* 1-2 */
                    "\n"                            /* 3 */
                    "  --   migrate:up  \n"         /* 4: spacing is free */
                    "\n"                            /* 5 */
                    "-- a comment; kept\n"          /* 6 */
                    "CREATE TABLE t (x); -- tail\n" /* 7 */
                    "/* block */\n"                 /* 8 */
                    "--migrate:down\n"              /* 9 */
                    "  DROP TABLE t;  \n"           /* 10 */
                    "\n");                          /* 11 */
  assert_int_equal(f.iUpLine, 4);
  assert_string_equal(f.zUp, "\n-- a comment; kept\nCREATE TABLE t (x); -- tail\n/* block */\n");
  assert_int_equal(f.iDownLine, 9);
  assert_string_equal(f.zDown, "  DROP TABLE t;  \n\n");
  dmg_file_clear(&f);
}

static void test_header_fields_inside_a_section_are_plain_comments(void **state) {
  (void)state;
  DmgFile f = parse(HEADER
                    "-- migrate:up\n"
                    "-- Revision ID: other\n"
                    "-- Revises: x\n"
                    "-- migrate:down\n"
                    "-- Create Date: tomorrow\n");
  assert_string_equal(f.zId, "m1");
  assert_int_equal(f.parents.n, 0);
  assert_string_equal(f.zCreateDate, "");
  assert_string_equal(f.zUp, "-- Revision ID: other\n-- Revises: x\n");
  assert_string_equal(f.zDown, "-- Create Date: tomorrow\n");
  dmg_file_clear(&f);
}

/* ---- identifiers ----------------------------------------------------------- */

static void test_id_of_32_characters_is_accepted(void **state) {
  (void)state;
  DmgFile f = parse("-- Revision ID: abcdefghij_abcdefghij_abcdefghij\n"
                    "-- Revises:\n" BODY);
  assert_int_equal(strlen(f.zId), 32);
  assert_string_equal(f.zId, "abcdefghij_abcdefghij_abcdefghij");
  dmg_file_clear(&f);
}

static void test_check_ident_reasons(void **state) {
  (void)state;
  assert_null(dmg_check_ident("A_z_09"));
  assert_null(dmg_check_ident("Head"));
  assert_null(dmg_check_ident("heads2"));
  assert_string_equal(dmg_check_ident(""), "it is empty");
  assert_string_equal(dmg_check_ident("head"),
                      "'head', 'heads' and 'base' are reserved target names");
  assert_string_equal(dmg_check_ident("heads"),
                      "'head', 'heads' and 'base' are reserved target names");
  assert_string_equal(dmg_check_ident("base"),
                      "'head', 'heads' and 'base' are reserved target names");
  const char *zBad[] = {"a-b", "a+1", "a@head", "a.b", "a b", "\xC3\xA9"};
  for (size_t i = 0; i < sizeof(zBad) / sizeof(zBad[0]); i++) {
    const char *zWhy = dmg_check_ident(zBad[i]);
    if (!zWhy || strncmp(zWhy, "it may hold only letters", 24) != 0) {
      fail_msg("'%s' gave %s", zBad[i], zWhy ? zWhy : "(accepted)");
    }
  }
}

/* ---- rejections: "path:line: what is wrong" ------------------------------- */

static void test_missing_revision_id_is_refused(void **state) {
  (void)state;
  refused("-- A message\n-- Revises:\n" BODY,
          "m.sql:1: no '-- Revision ID:' line in the header (the comment lines "
          "before '-- migrate:up')");
  refused("-- Revision ID:\n-- Revises:\n" BODY, "m.sql:1: 'Revision ID:' is empty");
  refused("", "m.sql:1: no '-- Revision ID:' line in the header (the comment "
              "lines before '-- migrate:up')");
}

static void test_missing_revises_is_refused(void **state) {
  (void)state;
  refused("-- A message\n--\n-- Revision ID: m\n" BODY,
          "m.sql:3: no '-- Revises:' line in the header (leave it empty for the "
          "base revision)");
}

static void test_duplicate_header_field_is_refused(void **state) {
  (void)state;
  refused("-- Revision ID: m\n-- Revises:\n-- Revises: a\n" BODY,
          "m.sql:3: second 'Revises:' line (the first is on line 2)");
  refused("-- Revision ID: m\n-- Revises:\n-- Revision ID: m\n" BODY,
          "m.sql:3: second 'Revision ID:' line (the first is on line 1)");
  refused("-- Revision ID: m\n-- Revises:\n-- Create Date: 1\n-- Create Date: 2\n" BODY,
          "m.sql:4: second 'Create Date:' line (the first is on line 3)");
  refused("-- Revision ID: m\n-- Revises:\n-- Branch Labels: a\n-- Branch Labels: b\n" BODY,
          "m.sql:4: second 'Branch Labels:' line (the first is on line 3)");
  refused("-- Depends On:\n-- Revision ID: m\n-- Revises:\n-- Depends On:\n" BODY,
          "m.sql:4: second 'Depends On:' line (the first is on line 1)");
}

static void test_id_of_33_characters_is_refused(void **state) {
  (void)state;
  refused("--\n-- Revision ID: abcdefghij_abcdefghij_abcdefghijk\n-- Revises:\n" BODY,
          "m.sql:2: revision id 'abcdefghij_abcdefghij_abcdefghijk' is not "
          "valid: it is longer than 32 characters, the size of "
          "alembic_version.version_num (VARCHAR(32))");
  refused("-- Revision ID: m\n-- Revises: abcdefghij_abcdefghij_abcdefghijk\n" BODY,
          "m.sql:2: Revises: 'abcdefghij_abcdefghij_abcdefghijk' is not a valid "
          "id: it is longer than 32 characters, the size of "
          "alembic_version.version_num (VARCHAR(32))");
}

static void test_id_with_bad_characters_is_refused(void **state) {
  (void)state;
  refused("-- Revision ID: add-foo\n-- Revises:\n" BODY,
          "m.sql:1: revision id 'add-foo' is not valid: it may hold only "
          "letters, digits and '_' (characters such as '-', '+', '@' and ',' "
          "have a meaning in revision targets)");
  refused("-- Revision ID: add foo\n-- Revises:\n" BODY,
          "m.sql:1: revision id 'add foo' is not valid: it may hold only "
          "letters, digits and '_' (characters such as '-', '+', '@' and ',' "
          "have a meaning in revision targets)");
  refused("-- Revision ID: m\n-- Revises:\n-- Depends On: a@head\n" BODY,
          "m.sql:3: Depends On: 'a@head' is not a valid id: it may hold only "
          "letters, digits and '_' (characters such as '-', '+', '@' and ',' "
          "have a meaning in revision targets)");
  refused("-- Revision ID: m\n-- Revises: a, , b\n" BODY,
          "m.sql:2: Revises: '' is not a valid id: it is empty");
  refused("-- Revision ID: m\n-- Revises: a,\n" BODY,
          "m.sql:2: Revises: '' is not a valid id: it is empty");
}

static void test_reserved_ids_are_refused(void **state) {
  (void)state;
  const char *azId[] = {"head", "heads", "base"};
  for (size_t i = 0; i < 3; i++) {
    char zText[256], zWant[256];
    snprintf(zText, sizeof(zText), "-- Revision ID: %s\n-- Revises:\n" BODY, azId[i]);
    snprintf(zWant, sizeof(zWant),
             "m.sql:1: revision id '%s' is not valid: 'head', 'heads' and "
             "'base' are reserved target names",
             azId[i]);
    refused(zText, zWant);
  }
  refused("-- Revision ID: m\n-- Revises:\n-- Branch Labels: heads\n" BODY,
          "m.sql:3: Branch Labels: 'heads' is not a valid id: 'head', 'heads' "
          "and 'base' are reserved target names");
}

static void test_duplicate_list_entries_are_refused(void **state) {
  (void)state;
  refused("-- Revision ID: m\n-- Revises: a, b, a\n" BODY,
          "m.sql:2: Revises: 'a' is listed twice");
  refused("-- Revision ID: m\n-- Revises:\n-- Branch Labels: x,x\n" BODY,
          "m.sql:3: Branch Labels: 'x' is listed twice");
  refused("-- Revision ID: m\n-- Revises:\n-- Depends On: d, d\n" BODY,
          "m.sql:3: Depends On: 'd' is listed twice");
}

static void test_sql_before_up_is_refused(void **state) {
  (void)state;
  refused(HEADER "\nCREATE TABLE t (x);\n" BODY,
          "m.sql:4: SQL before '-- migrate:up': statements belong in the "
          "'-- migrate:up' or '-- migrate:down' section");
  /* A block comment is not a header comment either. */
  refused("/* note */\n" HEADER BODY,
          "m.sql:1: SQL before '-- migrate:up': statements belong in the "
          "'-- migrate:up' or '-- migrate:down' section");
}

static void test_missing_sections_are_refused(void **state) {
  (void)state;
  refused(HEADER "\n",
          "m.sql:3: no '-- migrate:up' section: a migration needs "
          "'-- migrate:up' and '-- migrate:down' lines, in that order");
  refused(HEADER "-- migrate:up\nCREATE TABLE t (x);\n\n",
          "m.sql:5: no '-- migrate:down' section after '-- migrate:up' on line "
          "3 (leave it empty if the migration cannot be undone)");
}

static void test_misordered_or_repeated_markers_are_refused(void **state) {
  (void)state;
  refused(HEADER "-- migrate:down\nDROP TABLE t;\n-- migrate:up\nCREATE TABLE t (x);\n",
          "m.sql:3: '-- migrate:down' before '-- migrate:up': the up section "
          "comes first");
  refused(HEADER "-- migrate:up\nCREATE TABLE t (x);\n-- migrate:up\n-- migrate:down\n",
          "m.sql:5: second '-- migrate:up' (the first is on line 3)");
  /* An up after the down is a second up too. */
  refused(HEADER BODY "-- migrate:up\n",
          "m.sql:7: second '-- migrate:up' (the first is on line 3)");
  refused(HEADER BODY "-- migrate:down\n",
          "m.sql:7: second '-- migrate:down' (the first is on line 5)");
}

static void test_marker_options_and_unknown_markers_are_refused(void **state) {
  (void)state;
  refused(HEADER "-- migrate:up transaction:false\nCREATE TABLE t (x);\n-- migrate:down\n",
          "m.sql:3: 'transaction:false' is not supported: distmigrate runs "
          "every migration inside the run's one transaction, so that a failure "
          "leaves nothing half-applied");
  refused(HEADER "-- migrate:up\n-- migrate:down  transaction:false\n",
          "m.sql:4: 'transaction:false' is not supported: distmigrate runs "
          "every migration inside the run's one transaction, so that a failure "
          "leaves nothing half-applied");
  refused(HEADER "-- migrate:up fast\n-- migrate:down\n",
          "m.sql:3: unknown option 'fast' after '-- migrate:up'");
  refused(HEADER "-- migrate:up\n-- migrate:xyz\n-- migrate:down\n",
          "m.sql:4: unknown marker '-- migrate:xyz': the sections are "
          "'-- migrate:up' and '-- migrate:down'");
  refused("-- migrate:upgrade\n" HEADER BODY,
          "m.sql:1: unknown marker '-- migrate:upgrade': the sections are "
          "'-- migrate:up' and '-- migrate:down'");
  /* A marker inside a section is a marker, not a comment. */
  refused(HEADER BODY "-- migrate:notransaction\n",
          "m.sql:7: unknown marker '-- migrate:notransaction': the sections are "
          "'-- migrate:up' and '-- migrate:down'");
}

/* A marker line inside a C comment or a string that spans lines is SQL
** text, as SQLite's tokenizer reads it: the section goes on. */
static void test_marker_inside_a_block_comment_is_not_a_marker(void **state) {
  (void)state;
  DmgFile f = parse(HEADER "-- migrate:up\nCREATE TABLE t (x);\n/* how to undo:\n"
                           "-- migrate:down\n*/\n-- migrate:down\nDROP TABLE t;\n");
  assert_string_equal(f.zUp, "CREATE TABLE t (x);\n/* how to undo:\n-- migrate:down\n*/\n");
  assert_int_equal(f.iDownLine, 8);
  assert_string_equal(f.zDown, "DROP TABLE t;\n");
  dmg_file_clear(&f);
}

static void test_marker_inside_a_string_is_not_a_marker(void **state) {
  (void)state;
  DmgFile f = parse(HEADER "-- migrate:up\nINSERT INTO t VALUES ('two\n-- migrate:down\nlines');\n"
                           "-- migrate:down\nDELETE FROM t;\n");
  assert_string_equal(f.zUp, "INSERT INTO t VALUES ('two\n-- migrate:down\nlines');\n");
  assert_int_equal(f.iDownLine, 7);
  dmg_file_clear(&f);
}

/* An unknown marker inside a block comment is not refused either; after
** a comment that closes on its own line, a marker counts again. */
static void test_marker_after_a_closed_comment_counts(void **state) {
  (void)state;
  DmgFile f = parse(HEADER "-- migrate:up\n/*\n-- migrate:xyz\n*/ -- migrate:down\n"
                           "-- migrate:down\n");
  assert_string_equal(f.zUp, "/*\n-- migrate:xyz\n*/ -- migrate:down\n");
  assert_int_equal(f.iDownLine, 7);
  dmg_file_clear(&f);
}

static void test_nul_byte_is_refused_on_its_line(void **state) {
  (void)state;
  static const char zText[] = HEADER "-- migrate:up\nCREATE TABLE t (x);\0\n-- migrate:down\n";
  refused_n(zText, sizeof(zText) - 1,
            "m.sql:4: the file holds a NUL byte; is it a text file?");
  static const char zFirst[] = "\0-- Revision ID: m\n";
  refused_n(zFirst, sizeof(zFirst) - 1,
            "m.sql:1: the file holds a NUL byte; is it a text file?");
}

static void test_text_need_not_be_nul_terminated(void **state) {
  (void)state;
  /* Only the first n bytes count: the rest would be a second up marker. */
  static const char zText[] = HEADER BODY "-- migrate:up\n";
  DmgFile f = parse_n(zText, strlen(HEADER BODY));
  assert_string_equal(f.zDown, "DROP TABLE t;\n");
  dmg_file_clear(&f);
}

/* ---- normal form and checksum ------------------------------------------------ */

static void test_normalise_drops_line_endings_and_outer_blank_lines(void **state) {
  (void)state;
  static const char *aCase[][2] = {
      {"", ""},
      {"\n\n  \n", ""},
      {"A;", "A;"},
      {"A;\n", "A;"},
      {"\n\nA;  \r\nB;\t\n\n \n", "A;\nB;"},
      {"  A;\n", "  A;"},               /* indentation counts */
      {"A;\n\nB;\n", "A;\n\nB;"},       /* inner blank lines count */
      {"A;\n \t\r\nB;\n", "A;\n\nB;"},  /* a blank line is blank */
      {"A;\r\nB;\r\n", "A;\nB;"},
      {"SELECT 'a  ';", "SELECT 'a  ';"},
  };
  for (size_t i = 0; i < sizeof(aCase) / sizeof(aCase[0]); i++) {
    char *z = dmg_normalise(aCase[i][0]);
    assert_non_null(z);
    if (strcmp(z, aCase[i][1]) != 0) {
      fail_msg("dmg_normalise(\"%s\") gave \"%s\", want \"%s\"", aCase[i][0], z,
               aCase[i][1]);
    }
    free(z);
  }
}

static void checksum_of(const char *zText, char zHex[65]) {
  DmgFile f = parse(zText);
  assert_int_equal(dmg_checksum(&f, zHex), 0);
  dmg_file_clear(&f);
}

/*
** The value below is independent of this code:
**   printf 'up\n%s\ndown\n%s' 'CREATE TABLE t (x);' 'DROP TABLE t;' | sha256sum
*/
static void test_checksum_is_sha256_of_the_documented_form(void **state) {
  (void)state;
  char zHex[65];
  checksum_of(HEADER BODY, zHex);
  assert_string_equal(zHex, "74677ca8252e1318cb9aa5cfb50d27e9d7d18946d81eb538a027c5cb531853f0");
  /* Empty sections (a merge): printf 'up\n\ndown\n' | sha256sum */
  checksum_of(HEADER "-- migrate:up\n-- migrate:down\n", zHex);
  assert_string_equal(zHex, "fec7f90a8db762c00df2386fc2300c9ea912d8ef6e5125760703faeaf7d6a2a6");
  /* An inner blank line is kept:
  **   printf 'up\n%s\ndown\n%s' "$(printf 'CREATE TABLE t (x);\n\nINSERT INTO t
  **   VALUES (1);')" 'DROP TABLE t;' | sha256sum */
  checksum_of(HEADER "-- migrate:up\nCREATE TABLE t (x);\n\nINSERT INTO t VALUES (1);\n"
                     "-- migrate:down\nDROP TABLE t;\n",
              zHex);
  assert_string_equal(zHex, "f75f4cea8a4945d3e784eeeb7cca82038a5caf3458cc3fd70cbfc95e356f516d");
}

static void test_checksum_ignores_line_endings_whitespace_and_header(void **state) {
  (void)state;
  char zBase[65], zHex[65];
  checksum_of(HEADER BODY, zBase);
  /* A CRLF checkout. */
  checksum_of("-- Revision ID: m1\r\n-- Revises:\r\n-- migrate:up\r\nCREATE TABLE t (x);\r\n"
              "-- migrate:down\r\nDROP TABLE t;\r\n",
              zHex);
  assert_string_equal(zHex, zBase);
  /* An editor's trailing-whitespace and blank-line changes. */
  checksum_of(HEADER "-- migrate:up\n\nCREATE TABLE t (x);   \n\n\n-- migrate:down\n"
                     "DROP TABLE t;\t\n\n",
              zHex);
  assert_string_equal(zHex, zBase);
  /* The description, date and the id are not part of it. */
  checksum_of("-- Reworded\n-- Revision ID: other\n-- Revises: x\n"
              "-- Create Date: 2030-01-01\n" BODY,
              zHex);
  assert_string_equal(zHex, zBase);
}

static void test_checksum_changes_with_a_statement(void **state) {
  (void)state;
  char zBase[65], zHex[65];
  checksum_of(HEADER BODY, zBase);
  checksum_of(HEADER "-- migrate:up\nCREATE TABLE t (y);\n-- migrate:down\nDROP TABLE t;\n", zHex);
  assert_string_not_equal(zHex, zBase);
  checksum_of(HEADER "-- migrate:up\nCREATE TABLE t (x);\n-- migrate:down\nDROP TABLE  t;\n", zHex);
  assert_string_not_equal(zHex, zBase);
  /* Indentation is a change too: only the line ends are normalised. */
  checksum_of(HEADER "-- migrate:up\n  CREATE TABLE t (x);\n-- migrate:down\nDROP TABLE t;\n", zHex);
  assert_string_not_equal(zHex, zBase);
  /* The same text moved from one section to the other. */
  checksum_of(HEADER "-- migrate:up\nCREATE TABLE t (x);\nDROP TABLE t;\n-- migrate:down\n", zHex);
  assert_string_not_equal(zHex, zBase);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_full_header_gives_every_field_and_line),
      cmocka_unit_test(test_message_is_first_description_line),
      cmocka_unit_test(test_header_without_optional_fields),
      cmocka_unit_test(test_revises_lists_several_parents_of_a_merge),
      cmocka_unit_test(test_crlf_file_parses_like_lf_and_keeps_section_bytes),
      cmocka_unit_test(test_utf8_bom_is_skipped_and_lines_still_count_from_one),
      cmocka_unit_test(test_empty_sections_are_empty_strings),
      cmocka_unit_test(test_section_text_and_lines_are_exact),
      cmocka_unit_test(test_header_fields_inside_a_section_are_plain_comments),
      cmocka_unit_test(test_id_of_32_characters_is_accepted),
      cmocka_unit_test(test_check_ident_reasons),
      cmocka_unit_test(test_missing_revision_id_is_refused),
      cmocka_unit_test(test_missing_revises_is_refused),
      cmocka_unit_test(test_duplicate_header_field_is_refused),
      cmocka_unit_test(test_id_of_33_characters_is_refused),
      cmocka_unit_test(test_id_with_bad_characters_is_refused),
      cmocka_unit_test(test_reserved_ids_are_refused),
      cmocka_unit_test(test_duplicate_list_entries_are_refused),
      cmocka_unit_test(test_sql_before_up_is_refused),
      cmocka_unit_test(test_missing_sections_are_refused),
      cmocka_unit_test(test_misordered_or_repeated_markers_are_refused),
      cmocka_unit_test(test_marker_options_and_unknown_markers_are_refused),
      cmocka_unit_test(test_marker_inside_a_block_comment_is_not_a_marker),
      cmocka_unit_test(test_marker_inside_a_string_is_not_a_marker),
      cmocka_unit_test(test_marker_after_a_closed_comment_counts),
      cmocka_unit_test(test_nul_byte_is_refused_on_its_line),
      cmocka_unit_test(test_text_need_not_be_nul_terminated),
      cmocka_unit_test(test_normalise_drops_line_endings_and_outer_blank_lines),
      cmocka_unit_test(test_checksum_is_sha256_of_the_documented_form),
      cmocka_unit_test(test_checksum_ignores_line_endings_whitespace_and_header),
      cmocka_unit_test(test_checksum_changes_with_a_statement),
  };
  return cmocka_run_group_tests(tests, 0, 0);
}
