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
  fern__include_dirs inc = {dir, NULL, dirs, 1};
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
  /* One environment declared in two files merges into one (cmc's
   * Environment::merge_from); declaring it otherwise does not. */
  write_file("lib/env.shard.cml",
             "{ environments: [ { name: 'e', runners: [ { runner: 'b', "
             "from: 'parent' } ] } ] }");
  rc = parse("n.cml",
             "{ include: [ 'env.shard.cml' ], environments: [ { name: 'e', "
             "extends: 'realm', runners: [ { runner: 'elf', from: 'parent' "
             "} ] } ] }",
             &decl, &err);
  ck_assert_msg(rc == FERN_OK, "%s", err.message);
  ck_assert_uint_eq(decl->environment_count, 1);
  ck_assert_uint_eq(decl->environments[0].runner_count, 2);
  fern__decl_free(decl);
  write_file("lib/none.shard.cml",
             "{ environments: [ { name: 'e', extends: 'none' } ] }");
  ck_assert_int_ne(parse("o.cml",
                         "{ include: [ 'none.shard.cml' ], environments: [ { "
                         "name: 'e', extends: 'realm' } ] }",
                         &decl, &err),
                   FERN_OK);
  ck_assert_msg(strstr(err.message, "conflicting \"extends\"") != NULL, "%s",
                err.message);
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

/* A shard's name leads nowhere outside the directory it is looked for in:
 * no "..", no absolute path, no symlink out; a shard larger than what is
 * left of the manifests' budget is refused, not cut; what a shard brings
 * at the top level is placed in the shard; a program that is no object
 * meets a shard's with a message. */
START_TEST(test_shards_stay_inside_and_within_bounds) {
  char lib[128], link_path[160];
  snprintf(lib, sizeof lib, "%s/lib", dir);
  ck_assert_int_eq(mkdir(lib, 0755), 0);
  write_file("secret.json", "{ use: [ { protocol: 'secret' } ] }");
  snprintf(link_path, sizeof link_path, "%s/out.shard.cml", lib);
  char target[160];
  snprintf(target, sizeof target, "%s/secret.json", dir);
  ck_assert_int_eq(symlink(target, link_path), 0);
  write_file("lib/odd.shard.cml", "{\n  bogus: 1 }");
  write_file("lib/prog.shard.cml", "{ program: { runner: 'elf' } }");
  fern__decl *decl = NULL;
  fern_error_t err;
  const char *refused[][2] = {
      {"{ include: [ '../secret.json' ] }", "\"..\""},
      {"{ include: [ '/etc/passwd' ] }", "absolute"},
      {"{ include: [ 'out.shard.cml' ] }", "leads outside"},
      {"{ include: [ 'odd.shard.cml' ] }", "odd.shard.cml:2:3: unknown key"},
      {"{ include: [ 'prog.shard.cml' ], program: 'x' }", "no object"},
  };
  for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
    ck_assert_int_ne(parse("f.cml", refused[i][0], &decl, &err), FERN_OK);
    ck_assert_msg(strstr(err.message, refused[i][1]) != NULL,
                  "%s: expected \"%s\" in: %s", refused[i][0], refused[i][1],
                  err.message);
  }
  /* 17 MiB of shard: over the 16 MiB all manifests may come to. */
  char big[160];
  snprintf(big, sizeof big, "%s/lib/big.shard.cml", dir);
  FILE *f = fopen(big, "w");
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(ftruncate(fileno(f), 17 << 20), 0);
  fclose(f);
  ck_assert_int_ne(parse("g.cml", "{ include: [ 'big.shard.cml' ] }", &decl,
                         &err),
                   FERN_OK);
  ck_assert_msg(strstr(err.message, "more than 16777216 bytes") != NULL, "%s",
                err.message);
  ck_assert_ptr_null(decl);
}
END_TEST

Suite *include_suite(void) {
  Suite *s = suite_create("include");
  TCase *tc = tcase_create("include");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_shards_merge_as_cmc_merges_them);
  tcase_add_test(tc, test_conflicts_and_cycles_are_refused);
  tcase_add_test(tc, test_shards_stay_inside_and_within_bounds);
  suite_add_tcase(s, tc);
  return s;
}
