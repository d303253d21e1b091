/* test_include.c - include shards merged as cmc merges them (core/
 * include.c): appended arrays without repeats, program merged key by key,
 * conflicts refused naming both files, each file once, cycles refused, and
 * errors in what a shard brought placed in the shard. Real files in a
 * temporary directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decl.h"
#include "unit.h"

static char dir[64];

static void write_file(const char *name, const char *text) {
  char path[256];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

static void setup(void) {
  snprintf(dir, sizeof dir, "/tmp/fern-include-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  ck_assert_int_eq(system(cmd), 0);
}

/* Parses dir/NAME (its text given) with shards looked for in dir/lib. */
static int parse(const char *name, const char *text, fern__decl **decl,
                 fern_error_t *err) {
  char origin[256], lib[128];
  snprintf(origin, sizeof origin, "%s/%s", dir, name);
  snprintf(lib, sizeof lib, "%s/lib", dir);
  write_file(name, text);
  const char *dirs[] = {lib};
  fern__include_dirs inc = {NULL, dirs, 1};
  memset(err, 0, sizeof *err);
  err->struct_size = sizeof *err;
  return fern__decl_parse_in(text, strlen(text), origin, &inc, decl, err);
}

START_TEST(test_shards_merge_as_cmc_merges_them) {
  char lib[128];
  snprintf(lib, sizeof lib, "%s/lib", dir);
  ck_assert_int_eq(mkdir(lib, 0755), 0);
  write_file("lib/log.shard.cml",
             "{ use: [ { protocol: 'log' } ],\n"
             "  program: { runner: 'elf', environ: [ 'A=1' ] } }\n");
  write_file("lib/both.shard.cml",
             "{ include: [ 'log.shard.cml' ],\n"
             "  use: [ { protocol: 'log' }, { protocol: 'time' } ] }\n");
  fern__decl *decl;
  fern_error_t err;
  int rc = parse("m.cml",
                 "{ include: [ 'both.shard.cml', 'log.shard.cml' ],\n"
                 "  program: { runner: 'elf', binary: 'bin/x', environ: "
                 "[ 'B=2' ] },\n"
                 "  use: [ { protocol: 'echo' } ] }\n",
                 &decl, &err);
  ck_assert_msg(rc == FERN_OK, "%s", err.message);
  /* Its own first, then each shard's new ones, log once. */
  ck_assert_uint_eq(decl->use_count, 3);
  ck_assert_str_eq(decl->uses[0].name, "echo");
  ck_assert_str_eq(decl->uses[1].name, "log");
  ck_assert_str_eq(decl->uses[2].name, "time");
  json_t *environ = json_object_get(decl->program, "environ");
  ck_assert_uint_eq(json_array_size(environ), 2);
  ck_assert_ptr_null(json_object_get(decl->json, "include"));
  ck_assert_uint_eq(decl->included.shard_count, 2); /* each file once */
  fern__decl_free(decl);
}
END_TEST

START_TEST(test_conflicts_and_cycles_are_refused) {
  char lib[128];
  snprintf(lib, sizeof lib, "%s/lib", dir);
  ck_assert_int_eq(mkdir(lib, 0755), 0);
  write_file("lib/other.shard.cml", "{ program: { binary: 'bin/y' } }\n");
  write_file("lib/a.shard.cml", "{ include: [ 'b.shard.cml' ] }\n");
  write_file("lib/b.shard.cml", "{ include: [ 'a.shard.cml' ] }\n");
  write_file("lib/bad.shard.cml", "{\n  use: [ { protocol: 'x', bogus: 1 } ] }\n");
  fern__decl *decl = NULL;
  fern_error_t err;
  ck_assert_int_ne(parse("c.cml",
                         "{ include: [ 'other.shard.cml' ],\n"
                         "  program: { runner: 'elf', binary: 'bin/x' } }\n",
                         &decl, &err),
                   FERN_OK);
  ck_assert_msg(strstr(err.message, "other.shard.cml:1:") != NULL &&
                    strstr(err.message, "program.binary") != NULL &&
                    strstr(err.message, "c.cml") != NULL,
                "%s", err.message);
  ck_assert_int_ne(parse("d.cml", "{ include: [ 'a.shard.cml' ] }", &decl,
                         &err),
                   FERN_OK);
  ck_assert_msg(strstr(err.message, "circular include") != NULL, "%s",
                err.message);
  /* A fault in what a shard brought is placed in the shard. */
  ck_assert_int_ne(parse("e.cml", "{ include: [ 'bad.shard.cml' ] }", &decl,
                         &err),
                   FERN_OK);
  ck_assert_msg(strstr(err.message, "bad.shard.cml:2:") != NULL &&
                    strstr(err.message, "bogus") != NULL,
                "%s", err.message);
  ck_assert_ptr_null(decl);
}
END_TEST

Suite *include_suite(void) {
  Suite *s = suite_create("include");
  TCase *tc = tcase_create("include");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_shards_merge_as_cmc_merges_them);
  tcase_add_test(tc, test_conflicts_and_cycles_are_refused);
  suite_add_tcase(s, tc);
  return s;
}
