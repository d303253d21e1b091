/* test_log_escape.c - the rule every log record is escaped by: controls
 * and malformed UTF-8 as \xHH, the rest (TAB and backslash too) as is,
 * and truncation that never cuts an escape or a character. */
#include <string.h>

#include "log_escape.h"
#include "unit.h"

static char out[256];

/* `in` (`len` bytes) escaped into at most `size` bytes, NUL-terminated. */
static const char *escaped_n(const char *in, size_t len, size_t size) {
  size_t n = fern__log_escape(out, size, in, len);
  ck_assert_uint_le(n, size);
  out[n] = '\0';
  return out;
}

static const char *escaped(const char *in) {
  return escaped_n(in, strlen(in), sizeof out - 1);
}

START_TEST(test_printable_text_passes_unchanged) {
  ck_assert_str_eq(escaped("fern: /core/echo: started (pid 12)"),
                   "fern: /core/echo: started (pid 12)");
  ck_assert_str_eq(escaped("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8c\xbf"),
                   "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8c\xbf");
}
END_TEST

START_TEST(test_tab_and_backslash_pass) {
  ck_assert_str_eq(escaped("a\tb C:\\dir \\x41"), "a\tb C:\\dir \\x41");
}
END_TEST

START_TEST(test_c0_controls_and_del_are_escaped) {
  ck_assert_str_eq(escaped("a\nfern: forged"), "a\\x0afern: forged");
  ck_assert_str_eq(escaped("\x1b[2J\r\x07\x7f"), "\\x1b[2J\\x0d\\x07\\x7f");
  ck_assert_str_eq(escaped_n("a\0b", 3, 64), "a\\x00b");
}
END_TEST

START_TEST(test_c1_controls_are_escaped_byte_by_byte) {
  ck_assert_str_eq(escaped("\xc2\x9b[2J \xc2\x85 \xc2\x80"),
                   "\\xc2\\x9b[2J \\xc2\\x85 \\xc2\\x80");
  ck_assert_str_eq(escaped("\xc2\xa0"), "\xc2\xa0"); /* U+00A0 is text */
}
END_TEST

START_TEST(test_malformed_utf8_is_escaped) {
  ck_assert_str_eq(escaped("\x9b[2J"), "\\x9b[2J");    /* lone C1 */
  ck_assert_str_eq(escaped("\xc0\x9b"), "\\xc0\\x9b"); /* overlong ESC */
  ck_assert_str_eq(escaped("\xe0\x80\x9b"), "\\xe0\\x80\\x9b"); /* overlong */
  ck_assert_str_eq(escaped("\xed\xa0\x80"), "\\xed\\xa0\\x80"); /* surrogate */
  ck_assert_str_eq(escaped("\xf4\x90\x80\x80"),
                   "\\xf4\\x90\\x80\\x80"); /* past U+10FFFF */
  ck_assert_str_eq(escaped("\xff\xfe"), "\\xff\\xfe");
  ck_assert_str_eq(escaped("end \xe2\x82"), "end \\xe2\\x82"); /* cut short */
}
END_TEST

START_TEST(test_truncation_never_cuts_an_escape_or_a_character) {
  ck_assert_str_eq(escaped_n("ab\x1b", 3, 5), "ab");
  ck_assert_str_eq(escaped_n("ab\x1b", 3, 6), "ab\\x1b");
  ck_assert_str_eq(escaped_n("a\xe2\x82\xac", 4, 3), "a");
  ck_assert_str_eq(escaped_n("abc", 3, 0), "");
}
END_TEST

Suite *log_escape_suite(void) {
  Suite *s = suite_create("log_escape");
  TCase *tc = tcase_create("log_escape");
  tcase_add_test(tc, test_printable_text_passes_unchanged);
  tcase_add_test(tc, test_tab_and_backslash_pass);
  tcase_add_test(tc, test_c0_controls_and_del_are_escaped);
  tcase_add_test(tc, test_c1_controls_are_escaped_byte_by_byte);
  tcase_add_test(tc, test_malformed_utf8_is_escaped);
  tcase_add_test(tc, test_truncation_never_cuts_an_escape_or_a_character);
  suite_add_tcase(s, tc);
  return s;
}
