/* test_capstan_cmdline.c - a bootcmd read as OSv's loader reads it
 * (core/commands.cc; its tests/tst-commands.cc has these cases), and its
 * $VARIABLES expanded and --env options applied as a runscript's are. */
#include <stdlib.h>
#include <string.h>

#include "../../resolvers/capstan/capstan_cmdline.h"
#include "../../resolvers/capstan/capstan_env.h"
#include "unit.h"

static fern_error_t err;

/* A command alone, as a runscript runs it: its options, then its words. */
static int env_command(json_t *env, const json_t *words, json_t **argv,
                       fern_error_t *e) {
  size_t first = 0;
  *argv = NULL;
  int rc = capstan_env_options(env, words, &first, e);
  return rc == FERN_OK ? capstan_env_words(env, words, first, argv, e) : rc;
}


/* The commands of `cmd` as "word|word;then " text, for comparing. */
static char *shown(const char *cmd) {
  json_t *commands = NULL;
  memset(&err, 0, sizeof err);
  err.struct_size = sizeof err;
  if (capstan_cmdline_parse(cmd, &commands, &err) != FERN_OK)
    return strdup("error");
  char *out = calloc(1, 4096);
  size_t i, j;
  json_t *command, *word;
  json_array_foreach(commands, i, command) {
    json_array_foreach(json_object_get(command, "argv"), j, word) {
      strcat(out, j ? "|" : "");
      strcat(out, json_string_value(word));
    }
    strcat(out, "[");
    strcat(out, json_string_value(json_object_get(command, "then")));
    strcat(out, "] ");
  }
  json_decref(commands);
  return out;
}

static void expect(const char *cmd, const char *words) {
  char *got = shown(cmd);
  ck_assert_msg(strcmp(got, words) == 0, "%s: got \"%s\", expected \"%s\"",
                cmd, got, words);
  free(got);
}

START_TEST(test_words_and_commands_as_osv_reads_them) {
  expect("/prog a b", "/prog|a|b[] ");
  expect("  /prog   a  ", "/prog|a[] ");
  expect("/a;/b &/c&!/d!/e", "/a[;] /b[&] /c[&!] /d[!] /e[] ");
  expect("/a;", "/a[;] ");
  expect("/p \"a b;c&d!\" e", "/p|a b;c&d!|e[] ");
  expect("/p \"say \\\"hi\\\"\"", "/p|say \"hi\"[] ");
  expect("/p a\\tb c\\nd", "/p|a\tb|c\nd[] ");
  expect("/p back\\slash 'single quotes'", "/p|back\\slash|'single|quotes'[] ");
  expect("/p \"unclosed end", "/p|\"unclosed|end[] ");
  expect("/p \"ab\"cd", "/p|ab|cd[] ");
  expect("/p ab\"cd\"", "/p|ab\"cd\"[] ");
  expect("/a\n/b c", "/a[] /b|c[] ");
  expect("/a\n ; ", "/a[] ");
  expect("\t/p x\ty", "/p|x\ty[] ");
  expect("", "error");
  expect(" ; ", "error");
  expect("/a;;/b", "error");
}
END_TEST

START_TEST(test_variables_expand_as_osv_expands_them) {
  json_t *env = json_pack("{s:s, s:s}", "V", "val", "{V}", "braced");
  static const char *const cases[][2] = {
      {"plain", "plain"},   {"$V", "val"},       {"pre$V", "preval"},
      {"$V.x", ""},         {"${V}", "braced"},  {"$UNSET", ""},
      {"a$V$V", "a"},       {"$", ""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char *got = capstan_env_expand(env, cases[i][0]);
    ck_assert_msg(strcmp(got, cases[i][1]) == 0, "%s: got \"%s\"",
                  cases[i][0], got);
    free(got);
  }
  json_decref(env);
}
END_TEST

/* runscript_process_options: a command's leading --env options, soft
 * (?=, only when unset) or hard, their values expanded, then its words
 * expanded against what they set; any other option refused. */
START_TEST(test_a_commands_env_options_apply_first) {
  json_t *env = json_pack("{s:s}", "KEPT", "old");
  /* "?=" is soft whatever '=' comes before it; a name that is empty
   * sets nothing. */
  ck_assert_int_eq(capstan_env_option(env, "SOFT?=a", &err), FERN_OK);
  ck_assert_int_eq(capstan_env_option(env, "SOFT?=b", &err), FERN_OK);
  ck_assert_int_eq(capstan_env_option(env, "=nothing", &err), FERN_OK);
  ck_assert_str_eq(json_string_value(json_object_get(env, "SOFT")), "a");
  ck_assert_ptr_null(json_object_get(env, ""));
  json_t *words = json_pack("[s,s,s,s,s,s]", "--env=KEPT?=new", "--env=A=1",
                            "--env=B=x$A", "/prog", "$B", "$KEPT");
  json_t *argv = NULL;
  ck_assert_int_eq(env_command(env, words, &argv, &err), FERN_OK);
  ck_assert_str_eq(json_string_value(json_array_get(argv, 0)), "/prog");
  ck_assert_str_eq(json_string_value(json_array_get(argv, 1)), "x1");
  ck_assert_str_eq(json_string_value(json_array_get(argv, 2)), "old");
  json_decref(argv);
  json_decref(words);
  static const char *const bad[][2] = {
      {"--cwd=/", "unrecognised option '--cwd=/'"},
      {"--env=NOEQUALS", "expected 'KEY(?)=value' but instead got 'NOEQUALS'"},
  };
  for (size_t i = 0; i < 2; i++) {
    words = json_pack("[s,s]", bad[i][0], "/prog");
    ck_assert_int_ne(env_command(env, words, &argv, &err), FERN_OK);
    ck_assert_msg(strstr(err.message, bad[i][1]) != NULL, "%s", err.message);
    json_decref(words);
  }
  words = json_pack("[s]", "--env=ONLY=1");
  ck_assert_int_ne(env_command(env, words, &argv, &err), FERN_OK);
  json_decref(words);
  json_decref(env);
}
END_TEST

Suite *capstan_cmdline_suite(void) {
  Suite *s = suite_create("capstan_cmdline");
  TCase *tc = tcase_create("capstan_cmdline");
  tcase_add_test(tc, test_words_and_commands_as_osv_reads_them);
  tcase_add_test(tc, test_variables_expand_as_osv_expands_them);
  tcase_add_test(tc, test_a_commands_env_options_apply_first);
  suite_add_tcase(s, tc);
  return s;
}
