/* test_json5.c - the JSON5 reader of manifests (core/json5.c): what the
 * JSON5 spec adds to JSON is read into jansson values, strict JSON reads
 * as before, and each fault is refused at its line and column. The same
 * walk finds where a JSON pointer stands in JSON5 text. */
#include <stdlib.h>
#include <string.h>

#include "json5.h"
#include "json_pos.h"
#include "unit.h"

static json_t *parsed(const char *text) {
  fern__json5_error err = {0};
  json_t *v = fern__json5_parse(text, strlen(text), &err);
  ck_assert_msg(v != NULL, "refused at %d:%d: %s", err.line, err.column,
                err.text);
  return v;
}

static void refused(const char *text, int line, int column, const char *what) {
  fern__json5_error err = {0};
  json_t *v = fern__json5_parse(text, strlen(text), &err);
  ck_assert_msg(v == NULL, "accepted: %s", text);
  ck_assert_msg(err.line == line && err.column == column,
                "expected %d:%d, got %d:%d: %s", line, column, err.line,
                err.column, err.text);
  ck_assert_msg(strstr(err.text, what) != NULL, "expected \"%s\" in: %s",
                what, err.text);
}

/* The example of JSON5's own README (github.com/json5/json5, README.md;
 * MIT licence, (c) 2012-2018 Aseem Kishore and others), verbatim: every
 * feature JSON5 adds, read to the values the spec gives. */
START_TEST(test_the_json5_readme_example_reads) {
  json_t *v = parsed(
      "{\n"
      "  // comments\n"
      "  unquoted: 'and you can quote me on that',\n"
      "  singleQuotes: 'I can use \"double quotes\" here',\n"
      "  lineBreaks: \"Look, Mom! \\\n"
      "No \\\\n's!\",\n"
      "  hexadecimal: 0xdecaf,\n"
      "  leadingDecimalPoint: .8675309, andTrailing: 8675309.,\n"
      "  positiveSign: +1,\n"
      "  trailingComma: 'in objects', andIn: ['arrays',],\n"
      "  \"backwardsCompatible\": \"with JSON\",\n"
      "}\n");
  ck_assert_str_eq(json_string_value(json_object_get(v, "unquoted")),
                   "and you can quote me on that");
  ck_assert_str_eq(json_string_value(json_object_get(v, "singleQuotes")),
                   "I can use \"double quotes\" here");
  ck_assert_str_eq(json_string_value(json_object_get(v, "lineBreaks")),
                   "Look, Mom! No \\n's!");
  ck_assert_int_eq(json_integer_value(json_object_get(v, "hexadecimal")),
                   0xdecaf);
  ck_assert_double_eq_tol(
      json_real_value(json_object_get(v, "leadingDecimalPoint")), .8675309,
      1e-12);
  ck_assert_double_eq(json_real_value(json_object_get(v, "andTrailing")),
                      8675309.);
  ck_assert_int_eq(json_integer_value(json_object_get(v, "positiveSign")), 1);
  ck_assert_uint_eq(json_array_size(json_object_get(v, "andIn")), 1);
  ck_assert_str_eq(json_string_value(json_object_get(v, "backwardsCompatible")),
                   "with JSON");
  ck_assert_uint_eq(json_object_size(v), 10);
  json_decref(v);
}
END_TEST

/* Escapes: JSON's, JSON5's \x, \v, \0-less NonEscapeCharacters, surrogate
 * pairs; block comments across lines; names with $ and _ and \u. */
START_TEST(test_strings_names_and_comments) {
  json_t *v = parsed("/* a\n block */ { $a_1: '\\x41\\v\\q\\u00e9\\ud83d\\ude00',"
                     " \\u0062c: \"\\'\\\"\", 'd': -0x10, e: 1e3, f: -.5 }");
  ck_assert_str_eq(json_string_value(json_object_get(v, "$a_1")),
                   "A\vq\xc3\xa9\xf0\x9f\x98\x80");
  ck_assert_str_eq(json_string_value(json_object_get(v, "bc")), "'\"");
  ck_assert_int_eq(json_integer_value(json_object_get(v, "d")), -16);
  ck_assert_double_eq(json_real_value(json_object_get(v, "e")), 1000.0);
  ck_assert_double_eq(json_real_value(json_object_get(v, "f")), -0.5);
  json_decref(v);
  /* Strict JSON is JSON5: the same values as jansson's own reader. */
  const char *strict = "{\"a\": [1, 2.5, true, false, null, \"x\\u0041\"]}";
  json_t *mine = parsed(strict);
  json_t *theirs = json_loads(strict, 0, NULL);
  ck_assert(json_equal(mine, theirs));
  json_decref(mine);
  json_decref(theirs);
  /* A number of any length, as jansson reads one. */
  char number[300] = "[1.";
  memset(number + 3, '5', 280);
  strcpy(number + 283, "e-2]");
  mine = parsed(number);
  theirs = json_loads(number, 0, NULL);
  ck_assert_ptr_nonnull(theirs);
  ck_assert(json_equal(mine, theirs));
  json_decref(mine);
  json_decref(theirs);
}
END_TEST

/* Each fault at its line and column, in jansson's words where jansson
 * has one (duplicate keys, depth, bad UTF-8, big integers). */
START_TEST(test_faults_are_placed) {
  refused("{a: 1, a: 2}", 1, 8, "duplicate object key \"a\"");
  refused("{\n  a: [,]\n}", 2, 7, "a value expected");
  refused("{a: 1 b: 2}", 1, 7, "',' or '}' expected");
  refused("{a: 'x\ny'}", 1, 7, "cannot go on to the next line");
  refused("{a: \"\\0\"}", 1, 8, "NUL");
  refused("{a: '\\01'}", 1, 7, "octal");
  refused("{a: 012}", 1, 5, "cannot begin with 0");
  refused("{a: Infinity}", 1, 5, "Infinity is JSON5");
  refused("{a: NaN}", 1, 5, "NaN is JSON5");
  refused("{a: yes}", 1, 5, "unexpected word \"yes\"");
  refused("{a: 99999999999999999999}", 1, 5, "too big integer");
  refused("{a: 0x8000000000000000}", 1, 23, "too big integer");
  refused("{a: 1} x", 1, 8, "end of file expected");
  refused("{a: 1 /* open", 1, 7, "never ends");
  refused("{\"a\": \"b\xff\"}", 1, 9, "unable to decode byte 0xff");
  refused("{'\\ud800': 1}", 1, 9, "surrogate");
  refused("", 1, 1, "unexpected end of input");
  refused("{a: \xff}", 1, 5, "unable to decode byte 0xff");
  refused("{a\\u0000b: 1}", 1, 9, "NUL");
  /* A line ends at U+2028 inside a string too. */
  refused("{a: '\xe2\x80\xa8', b: }", 2, 7, "a value expected");
  char deep[5000];
  memset(deep, '[', 2049);
  deep[2049] = '\0';
  refused(deep, 1, 2049, "maximum parsing depth reached");
}
END_TEST

/* fern__json_locate on JSON5: a member's key, an element, through
 * comments, names without quotes and single-quoted keys. */
START_TEST(test_pointers_are_found_in_json5) {
  const char *text = "// top\n{\n  children: [\n    { name: 'a', },\n"
                     "    /* b */ { 'url': \"x\" },\n  ],\n  'a/b': 1,\n}\n";
  int line, col;
  ck_assert_int_eq(fern__json_locate(text, strlen(text), "/children", &line,
                                     &col),
                   0);
  ck_assert_int_eq(line, 3);
  ck_assert_int_eq(col, 3);
  ck_assert_int_eq(fern__json_locate(text, strlen(text), "/children/1/url",
                                     &line, &col),
                   0);
  ck_assert_int_eq(line, 5);
  ck_assert_int_eq(col, 15);
  ck_assert_int_eq(fern__json_locate(text, strlen(text), "/children/0",
                                     &line, &col),
                   0);
  ck_assert_int_eq(line, 4);
  ck_assert_int_eq(col, 5);
  ck_assert_int_eq(fern__json_locate(text, strlen(text), "/a~1b", &line,
                                     &col),
                   0);
  ck_assert_int_eq(line, 7);
  ck_assert_int_eq(fern__json_locate(text, strlen(text), "", &line, &col), 0);
  ck_assert_int_eq(line, 2);
  ck_assert_int_eq(fern__json_locate(text, strlen(text), "/children/2",
                                     &line, &col),
                   -1);
}
END_TEST

Suite *json5_suite(void) {
  Suite *s = suite_create("json5");
  TCase *tc = tcase_create("json5");
  tcase_add_test(tc, test_the_json5_readme_example_reads);
  tcase_add_test(tc, test_strings_names_and_comments);
  tcase_add_test(tc, test_faults_are_placed);
  tcase_add_test(tc, test_pointers_are_found_in_json5);
  suite_add_tcase(s, tc);
  return s;
}
