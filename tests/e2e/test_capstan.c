/* test_capstan.c - the capstan resolver on real Capstan packages: the
 * example package, config sets chosen by URL and by --boot (in order,
 * going on after an exit code as OSv does, sharing one environment), env
 * merged through bases in this and other packages, the bootcmd read and
 * expanded as OSv's loader does, and each error a user can make, told
 * apart while the rest of the tree runs on. */
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "e2e.h"
#include "event_asserts.h"

/* A directory of Capstan packages, each made by add_package. */
typedef struct shelf_s {
  char dir[64];
} shelf;

static void add_package(shelf *s, const char *dir, const char *name,
                        const char *run_yaml) {
  char cmd[512], rel[256], text[256];
  snprintf(cmd, sizeof cmd, "mkdir -p '%s/%s/meta' '%s/%s/bin'", s->dir, dir,
           s->dir, dir);
  ck_assert_int_eq(system(cmd), 0);
  snprintf(rel, sizeof rel, "%s/bin/tool", dir);
  e2e_package_copy(s->dir, "tests/packages/progs/bin/tool", rel);
  snprintf(rel, sizeof rel, "%s/meta/package.yaml", dir);
  snprintf(text, sizeof text, "name: %s\ntitle: a test package\n", name);
  e2e_package_write(s->dir, rel, text);
  snprintf(rel, sizeof rel, "%s/meta/run.yaml", dir);
  e2e_package_write(s->dir, rel, run_yaml);
}

static char *example_url(const char *set) {
  char cwd[PATH_MAX], *url = NULL;
  ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
  ck_assert_int_ge(asprintf(&url, "capstan://%s/examples/capstan-hello#%s",
                            cwd, set),
                   0);
  return url;
}

START_TEST(test_capstan_example_runs_its_default_and_a_chosen_set) {
  if (e2e_skip_root_under_valgrind())
    return;
  e2e_proc p;
  const char *by_path[] = {"run", "examples/capstan-hello", NULL};
  ck_assert_int_eq(e2e_run(&p, 10000, by_path), 0);
  e2e_assert_has(p.err, "[/] Hello, world! from the config set hello\n");
  e2e_assert_end(&p, "/", "ok (exit 0)");
  e2e_free(&p);
  /* "morning" takes the bootcmd of "hello" and AUDIENCE from it; its own
   * GREETING and SET come first and win, and $SET is expanded from
   * them. "evening" does so over two levels of bases. */
  char *url = example_url("morning");
  const char *morning[] = {"run", url, NULL};
  ck_assert_int_eq(e2e_run(&p, 10000, morning), 0);
  e2e_assert_has(p.err, "[/] Morning, world! from the config set morning\n");
  e2e_free(&p);
  free(url);
  url = example_url("evening");
  const char *evening[] = {"run", url, NULL};
  ck_assert_int_eq(e2e_run(&p, 10000, evening), 0);
  e2e_assert_has(p.err,
                 "[/] Evening, everyone! from the config set evening\n");
  e2e_free(&p);
  free(url);
  /* Capstan's --env is hard: it wins over every set's env. */
  const char *hard[] = {"run", "--env", "AUDIENCE=you", "--env", "SET=cli",
                        "examples/capstan-hello", NULL};
  ck_assert_int_eq(e2e_run(&p, 10000, hard), 0);
  e2e_assert_has(p.err, "[/] Hello, you! from the config set cli\n");
  e2e_free(&p);
}
END_TEST

START_TEST(test_capstan_boot_runs_sets_in_order) {
  if (e2e_skip_root_under_valgrind())
    return;
  char events[] = "/tmp/fern-capstan-events-XXXXXX";
  int fd = mkstemp(events);
  ck_assert_int_ge(fd, 0);
  close(fd);
  e2e_proc p;
  const char *args[] = {"run",  "--events", events, "--boot", "evening",
                        "--boot", "morning", "examples/capstan-hello", NULL};
  ck_assert_int_eq(e2e_run(&p, 10000, args), 0);
  /* The sets share one environment, as OSv's runscripts do: every soft
   * --env of "evening" came first, so "morning" finds them set and its
   * own do nothing; its $SET expands to "evening" too. */
  e2e_assert_order(p.err, "boot 1 of 2: config set \"evening\"",
                   "[/] Evening, everyone! from the config set evening\n");
  const char *second = strstr(p.err, "boot 2 of 2: config set \"morning\"");
  ck_assert_ptr_nonnull(second);
  e2e_assert_has(second, "[/] Evening, everyone! from the config set "
                         "evening\n");
  ck_assert_int_eq(e2e_count(p.err, "[/] Evening, everyone! from the config "
                                    "set evening\n"),
                   2);
  e2e_assert_lacks(p.err, "Morning");
  e2e_free(&p);
  /* One event stream across the boots: both resolutions, numbered on. */
  FILE *f = fopen(events, "r");
  ck_assert_ptr_nonnull(f);
  char text[8192] = "";
  size_t got = fread(text, 1, sizeof text - 1, f);
  text[got] = '\0';
  fclose(f);
  unlink(events);
  e2e_assert_order(text, "capstan-hello#evening", "capstan-hello#morning");
  ck_assert_int_eq(e2e_count(text, "\"event\":\"stopped\""), 2);
  e2e_assert_has(text, "{\"seq\":6,");
}
END_TEST

/* As OSv's loader goes on to the next command when a program returns a
 * code, a boot that exits non-zero does not stop the rest (fern says
 * so); one that dies of a signal does, as OSv stops when the whole VM
 * does. */
START_TEST(test_capstan_boot_goes_on_after_an_exit_code) {
  if (e2e_skip_root_under_valgrind())
    return;
  shelf s;
  e2e_package_new(s.dir, sizeof s.dir);
  add_package(&s, "steps", "test.steps",
              "runtime: native\n"
              "config_set:\n"
              "  first: {bootcmd: /bin/tool print step-one}\n"
              "  fails: {bootcmd: /bin/tool exit 3}\n"
              "  after: {bootcmd: /bin/tool print step-after}\n"
              "  dies: {bootcmd: /bin/tool signal 9}\n"
              "  never: {bootcmd: /bin/tool print step-never}\n");
  char pkg[128];
  snprintf(pkg, sizeof pkg, "%s/steps", s.dir);
  e2e_proc p;
  const char *args[] = {"run",    "--boot", "first", "--boot", "fails",
                        "--boot", "after",  "--boot", "dies", "--boot",
                        "never",  pkg,      NULL};
  ck_assert_int_eq(e2e_run(&p, 10000, args), 1);
  e2e_assert_has(p.err, "[/] step-one\n");
  e2e_assert_has(p.err, "/: error: stopped: instance_died (exit 3)");
  e2e_assert_has(p.err, "/: error: stopped: instance_died (signal KILL)");
  e2e_assert_has(p.err, "config set \"fails\" exited with a code; OSv goes "
                        "on to the next command, and so does fern: booting "
                        "\"after\"");
  e2e_assert_has(p.err, "[/] step-after\n");
  e2e_assert_has(p.err, "config set \"dies\" did not end ok; not booted: 1 "
                        "config set from \"never\"");
  e2e_assert_lacks(p.err, "step-never");
  e2e_free(&p);
  e2e_package_remove(s.dir);
}
END_TEST

/* A bootcmd of several commands, and a config_set_default that lists
 * several sets, boot one command after another in one environment, as
 * OSv runs `runscript /run/a;runscript /run/b;`; an exit code does not
 * stop the rest. */
START_TEST(test_capstan_commands_and_default_sets_run_in_turn) {
  if (e2e_skip_root_under_valgrind())
    return;
  shelf s;
  e2e_package_new(s.dir, sizeof s.dir);
  add_package(&s, "seq", "test.seq",
              "runtime: native\n"
              "config_set:\n"
              "  a:\n"
              "    bootcmd: /bin/tool print one; /bin/tool exit 2; "
              "/bin/tool print $X\n"
              "    env: {X: three}\n"
              "  b:\n"
              "    bootcmd: /bin/tool print four $X $Y\n"
              "    env: {X: ignored, Y: b}\n"
              "  c@2: {bootcmd: /bin/tool print whole-name}\n"
              "config_set_default: a,b\n");
  char pkg[128];
  snprintf(pkg, sizeof pkg, "%s/seq", s.dir);
  e2e_proc p;
  const char *args[] = {"run", pkg, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 1);
  e2e_assert_order(p.err, "[/] one\n", "instance_died (exit 2)");
  e2e_assert_order(p.err, "instance_died (exit 2)", "[/] three\n");
  /* b's X is soft and a's came first; Y is b's own. */
  e2e_assert_order(p.err, "[/] three\n", "[/] four\n[/] three\n[/] b\n");
  e2e_assert_has(p.err, "#meta/run.yaml@4");
  e2e_free(&p);
  /* With --boot, a set's later commands run before the next set, also
   * after one exits with a code; a set's name may hold '@'. */
  const char *booted[] = {"run", "--boot", "a", "--boot", "c@2", pkg, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, booted), 1);
  e2e_assert_order(p.err, "instance_died (exit 2)", "[/] three\n");
  e2e_assert_order(p.err, "[/] three\n", "[/] whole-name\n");
  e2e_assert_lacks(p.err, "four");
  e2e_free(&p);
  e2e_package_remove(s.dir);
}
END_TEST

/* A program built -shared, as OSv's applications are, runs: its main is
 * called with argv[0] the path as OSv names it, in the package's top, with
 * the set's env; what main returns is the exit code. One without a main
 * is refused as OSv would refuse it, and the rest runs. */
START_TEST(test_capstan_runs_a_shared_object_as_osv_does) {
  if (e2e_skip_root_under_valgrind())
    return;
  shelf s;
  e2e_package_new(s.dir, sizeof s.dir);
  add_package(&s, "so", "test.so",
              "runtime: native\n"
              "config_set:\n"
              "  echo:\n"
              "    bootcmd: osv-echo.so 0 two\n"
              "    env: {GREETING: hi}\n"
              "  code: {bootcmd: /lib/osv-echo.so 7}\n"
              "  nomain: {bootcmd: /lib/libtool.so}\n"
              "  outside: {bootcmd: /lib/outside.so}\n");
  char cmd[256], pkg[128];
  snprintf(cmd, sizeof cmd, "mkdir -p '%s/so/lib'", s.dir);
  ck_assert_int_eq(system(cmd), 0);
  e2e_package_copy(s.dir, "tests/packages/progs/lib/osv-echo.so",
                   "so/lib/osv-echo.so");
  e2e_package_copy(s.dir, "tests/packages/progs/lib/osv-echo.so",
                   "so/osv-echo.so");
  /* A link out of the package is never loaded, whatever it leads to. */
  char outside[4200], target[4200];
  ck_assert_ptr_nonnull(realpath("tests/packages/progs/lib/osv-echo.so",
                                 target));
  snprintf(outside, sizeof outside, "%s/so/lib/outside.so", s.dir);
  ck_assert_int_eq(symlink(target, outside), 0);
  e2e_package_copy(s.dir, "tests/packages/progs/lib/libtool.so",
                   "so/lib/libtool.so");
  snprintf(pkg, sizeof pkg, "%s/so", s.dir);
  e2e_proc p;
  const char *args[] = {"run",    "--boot", "echo",    "--boot", "code",
                        "--boot", "nomain", "--boot", "outside", pkg, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 1);
  /* argv[0] as the bootcmd wrote it, found at the top as OSv finds a
   * name without '/'. */
  e2e_assert_has(p.err, "[/] argv[0] osv-echo.so\n[/] argv[1] 0\n"
                        "[/] argv[2] two\n");
  e2e_assert_has(p.err, "[/] cwd /\n"); /* the image's root, as OSv's */
  e2e_assert_has(p.err, "[/] GREETING hi\n");
  e2e_assert_has(p.err, "instance_died (exit 7)");
  e2e_assert_has(p.err, "/lib/libtool.so exports no main, so OSv would not "
                        "run it either");
  e2e_assert_order(p.err, "boot 4 of 4: config set \"outside\"",
                   "binary \"lib/outside.so\" in package");
  e2e_assert_has(p.err, "leads outside the package (through a symlink");
  e2e_assert_lacks(p.err, "[/] argv[0] /lib/outside.so");
  e2e_free(&p);
  e2e_package_remove(s.dir);
}
END_TEST

/* A real recipe's run.yaml (tests/capstan/recipes, verbatim) in a
 * package of `name`, with `program` (a file of tests/packages/progs) at
 * the path its bootcmd names. */
static void recipe_package(shelf *s, const char *name, const char *program,
                           const char *at) {
  char cmd[512], rel[256], from[256], text[256];
  snprintf(cmd, sizeof cmd, "mkdir -p '%s/%s/meta' \"$(dirname '%s/%s/%s')\"",
           s->dir, name, s->dir, name, at);
  ck_assert_int_eq(system(cmd), 0);
  snprintf(from, sizeof from, "tests/capstan/recipes/%s.run.yaml", name);
  snprintf(rel, sizeof rel, "%s/meta/run.yaml", name);
  e2e_package_copy(s->dir, from, rel);
  snprintf(rel, sizeof rel, "%s/meta/package.yaml", name);
  snprintf(text, sizeof text, "name: %s\ntitle: %s\nauthor: test\n", name,
           name);
  e2e_package_write(s->dir, rel, text);
  snprintf(from, sizeof from, "tests/packages/progs/%s", program);
  snprintf(rel, sizeof rel, "%s/%s", name, at);
  e2e_package_copy(s->dir, from, rel);
}

/* Real base packages' run.yaml, as the public recipes have them, boot
 * with the argv and environment OSv would give their programs: argv[0]
 * as the bootcmd wrote it, each
 * $VAR of the bootcmd expanded from the set's env (an empty one an empty
 * argument, as OSv keeps it), OSV_CPUS beside them, and Capstan's --env
 * winning over the set's (the node recipe's README: --env MAIN=...). */
START_TEST(test_real_capstan_recipes_get_what_osv_gives) {
  if (e2e_skip_root_under_valgrind())
    return;
  static const struct {
    const char *name, *program, *at, *expected[4];
  } recipes[] = {
      {"node-6.10.2", "bin/argv_echo", "node",
       {"[/] argv[0] /node\n[/] argv[1] --no-deprecation\n"
        "[/] argv[2] /mymain.js\n[/] argv[3] \n",
        "[/] env NODE_ARGS=--no-deprecation\n", "[/] env ARGS=\n", NULL}},
      {"mysql-5.6.21", "bin/argv_echo", "usr/bin/mysqld",
       {"[/] argv[0] /usr/bin/mysqld\n[/] argv[1] --datadir=/usr/data\n"
        "[/] argv[2] --user=root\n"
        "[/] argv[3] --init-file=/etc/mysql-init.sql\n[/] argv[4] \n",
        "[/] env INIT_FILE=/etc/mysql-init.sql\n", NULL, NULL}},
      {"python-2.7", "bin/argv_echo", "python",
       {"[/] argv[0] /python\n[/] argv[1] -O\n[/] argv[2] -\n"
        "[/] argv[3] \n",
        "[/] env PYTHONHOME=/pyenv\n", NULL, NULL}},
      {"sample-0.1", "lib/osv-echo.so", "my-awesome-program.so",
       {"[/] argv[0] /my-awesome-program.so\n[/] argv[1] \n[/] argv[2] \n"
        "[/] argv[3] \n",
        NULL, NULL, NULL}},
  };
  shelf s;
  e2e_package_new(s.dir, sizeof s.dir);
  for (size_t i = 0; i < sizeof recipes / sizeof *recipes; i++) {
    char pkg[128];
    recipe_package(&s, recipes[i].name, recipes[i].program, recipes[i].at);
    snprintf(pkg, sizeof pkg, "%s/%s", s.dir, recipes[i].name);
    e2e_proc p;
    const char *args[] = {"run", pkg, NULL};
    ck_assert_msg(e2e_run(&p, 20000, args) == 0, "%s: %s", recipes[i].name,
                  p.err);
    for (int k = 0; k < 4 && recipes[i].expected[k] != NULL; k++)
      e2e_assert_has(p.err, recipes[i].expected[k]);
    if (recipes[i].program[0] == 'b')
      e2e_assert_has(p.err, "[/] env OSV_CPUS=");
    e2e_free(&p);
  }
  char node[128];
  snprintf(node, sizeof node, "%s/node-6.10.2", s.dir);
  e2e_proc p;
  const char *hard[] = {"run", "--env", "MAIN=/server.js", node, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, hard), 0);
  e2e_assert_has(p.err, "[/] argv[2] /server.js\n");
  e2e_free(&p);
  e2e_package_remove(s.dir);
}
END_TEST

/* Env is merged along the bases, the set asked for winning, whether the
 * base is in the same package, beside it, or in a configured repository. */
START_TEST(test_capstan_env_merges_through_bases_in_other_packages) {
  if (e2e_skip_root_under_valgrind())
    return;
  shelf s, repo;
  e2e_package_new(s.dir, sizeof s.dir);
  e2e_package_new(repo.dir, sizeof repo.dir);
  add_package(&s, "test.lib", "test.lib",
              "runtime: native\n"
              "config_set:\n"
              "  common:\n"
              "    bootcmd: /bin/tool env\n"
              "    env: {A: lib, B: lib, C: lib}\n");
  add_package(&repo, "far.away", "far.away",
              "runtime: native\n"
              "config_set:\n"
              "  far: {bootcmd: /bin/tool env, env: {FAR: repo, B: far}}\n");
  add_package(&s, "app", "test.app",
              "runtime: native\n"
              "config_set:\n"
              "  middle:\n"
              "    base: \"test.lib:common\"\n"
              "    env: {C: middle}\n"
              "  top:\n"
              "    base: \"test.app:middle\"\n"
              "    env: {B: top, D: top}\n"
              "  from_repo:\n"
              "    base: \"far.away:far\"\n"
              "config_set_default: top\n");
  char config[128], text[512];
  snprintf(text, sizeof text,
           "{\"root_environment\": {\"resolvers\": [{\"resolver\": "
           "\"capstan\", \"scheme\": \"capstan\", \"config\": "
           "{\"repositories\": [\"%s\"]}}]}}",
           repo.dir);
  e2e_package_write(s.dir, "fern.json", text);
  snprintf(config, sizeof config, "%s/fern.json", s.dir);
  char url[256];
  snprintf(url, sizeof url, "capstan://%s/app#meta/run.yaml", s.dir);
  e2e_proc p;
  const char *args[] = {"run", "--config", config, url, NULL};
  ck_assert_int_eq(e2e_run(&p, 10000, args), 0);
  e2e_assert_has(p.err, "[/] A=lib\n");
  e2e_assert_has(p.err, "[/] B=top\n");
  e2e_assert_has(p.err, "[/] C=middle\n");
  e2e_assert_has(p.err, "[/] D=top\n");
  e2e_free(&p);
  snprintf(url, sizeof url, "capstan://%s/app#from_repo", s.dir);
  const char *repo_args[] = {"run", "--config", config, url, NULL};
  ck_assert_int_eq(e2e_run(&p, 10000, repo_args), 0);
  e2e_assert_has(p.err, "[/] FAR=repo\n");
  e2e_assert_has(p.err, "[/] B=far\n");
  e2e_assert_lacks(p.err, "A=lib");
  e2e_free(&p);
  e2e_package_remove(repo.dir);
  e2e_package_remove(s.dir);
}
END_TEST

/* A bootcmd as OSv's loader reads it (core/commands.cc): only '"'
 * quotes, and may hold spaces; \" \n \t and the like are escapes in and
 * out of quotes; a single quote is an ordinary character; a '"' never
 * closed is too. */
START_TEST(test_capstan_bootcmd_quoting) {
  if (e2e_skip_root_under_valgrind())
    return;
  shelf s;
  e2e_package_new(s.dir, sizeof s.dir);
  add_package(&s, "q", "test.q",
              "runtime: native\n"
              "config_set:\n"
              "  q:\n"
              "    bootcmd: >-\n"
              "      /bin/tool print \"two  spaces\" \"say \\\"hi\\\"\" "
              "'single' line\\nbreak back\\slash \"unclosed end\n");
  char pkg[128];
  snprintf(pkg, sizeof pkg, "%s/q", s.dir);
  e2e_proc p;
  const char *args[] = {"run", pkg, NULL};
  ck_assert_int_eq(e2e_run(&p, 10000, args), 0);
  e2e_assert_has(p.err, "[/] two  spaces\n[/] say \"hi\"\n[/] 'single'\n"
                        "[/] line\n[/] break\n[/] back\\slash\n"
                        "[/] \"unclosed\n[/] end\n");
  e2e_free(&p);
  e2e_package_remove(s.dir);
}
END_TEST

/* $NAME in a word is expanded as OSv's expand_environ_vars does: the
 * text before '$' stays, all after it is the name, an unset one is "";
 * the set's env (soft), a command's own --env=KEY=value, and OSv's
 * OSV_CPUS and OSV_VERSION are there to expand. */
START_TEST(test_capstan_bootcmd_expands_variables_as_osv) {
  if (e2e_skip_root_under_valgrind())
    return;
  shelf s;
  e2e_package_new(s.dir, sizeof s.dir);
  add_package(&s, "v", "test.v",
              "runtime: native\n"
              "config_set:\n"
              "  v:\n"
              "    bootcmd: >-\n"
              "      --env=OWN=own --env=V?=ignored /bin/tool print pre$V "
              "${V} $UNSET. $OWN \"quoted $V\" cpus=$OSV_CPUS $OSV_VERSION\n"
              "    env: {V: val}\n");
  char pkg[128], cpus[64];
  snprintf(pkg, sizeof pkg, "%s/v", s.dir);
  cpu_set_t set;
  ck_assert_int_eq(sched_getaffinity(0, sizeof set, &set), 0);
  snprintf(cpus, sizeof cpus, "[/] cpus=%d\n", CPU_COUNT(&set));
  e2e_proc p;
  const char *args[] = {"run", pkg, NULL};
  ck_assert_int_eq(e2e_run(&p, 10000, args), 0);
  e2e_assert_has(p.err, "[/] preval\n[/] \n[/] \n[/] own\n"
                        "[/] quoted val\n");
  e2e_assert_has(p.err, cpus);
  e2e_assert_has(p.err, "[/] fern-");
  e2e_free(&p);
  e2e_package_remove(s.dir);
}
END_TEST

typedef struct bad_case_s {
  const char *name; /* the child's name */
  const char *url;  /* after "capstan://SHELF/" */
  const char *said; /* what its cannot_start says */
} bad_case;

static void add_bad_packages(shelf *s) {
  add_package(s, "test.lib", "test.lib",
              "runtime: native\n"
              "config_set:\n  common: {bootcmd: /bin/tool print lib}\n");
  add_package(s, "app", "test.app",
              "runtime: native\n"
              "config_set:\n"
              "  fine: {bootcmd: /bin/tool print still-running}\n"
              "  multi: {bootcmd: /bin/tool print m1; /bin/tool print m2}\n"
              "  bare: {env: {A: b}}\n"
              "  nocolon: {base: nocolon}\n"
              "  ghost: {base: \"ghost.pkg:x\"}\n"
              "  noset: {base: \"test.lib:nope\"}\n"
              "  loop1: {base: \"test.app:loop2\"}\n"
              "  loop2: {base: \"test.app:loop1\"}\n"
              "  shell: {bootcmd: \"/bin/tool print a & /bin/tool print b\"}\n"
              "  spaced: {bootcmd: /bin/tool, env: {A: two words}}\n"
              "  escape: {bootcmd: /../../bin/true}\n"
              "  option: {bootcmd: \"--cwd=/ /bin/tool\"}\n"
              "  impostor: {base: \"test.impostor:a\"}\n");
  add_package(s, "test.impostor", "other.name",
              "runtime: native\nconfig_set:\n  a: {bootcmd: /bin/tool}\n");
  add_package(s, "unnamed", "test.unnamed",
              "runtime: native\nconfig_set:\n  a: {bootcmd: /bin/tool}\n");
  char path[128];
  snprintf(path, sizeof path, "%s/unnamed/meta/package.yaml", s->dir);
  ck_assert_int_eq(unlink(path), 0);
  add_package(s, "java", "test.java",
              "runtime: java\nconfig_set:\n  j: {main: x}\n");
  add_package(s, "ruby", "test.ruby",
              "runtime: ruby\nconfig_set:\n  r: {main: x}\n");
  add_package(s, "badyaml", "test.badyaml",
              "runtime: native\nconfig_set:\n  a: [unclosed\n");
  add_package(s, "badkey", "test.badkey",
              "runtime: native\nconfig_set:\n"
              "  a:\n    bootcmd: /bin/tool\n    bootcmdd: /bin/tool\n");
  add_package(s, "dupkey", "test.dupkey",
              "runtime: native\nconfig_set:\n"
              "  a: {bootcmd: /bin/tool}\n  a: {bootcmd: /bin/tool}\n");
  add_package(s, "nodefault", "test.nodefault",
              "runtime: native\nconfig_set:\n"
              "  a: {bootcmd: /bin/tool}\n  b: {bootcmd: /bin/tool}\n");
}

static const bad_case bad_cases[] = {
    {"unknown", "app#nope",
     "package test.app (SHELF/app) has no config set \"nope\" (it has: fine, "
     "multi, bare, nocolon"},
    {"bare", "app#bare",
     "config set \"bare\" of package test.app has no bootcmd, and neither "
     "has any base"},
    {"nocolon", "app#nocolon",
     "SHELF/app/meta/run.yaml:6:19: base \"nocolon\" is not "
     "\"package:config_set\""},
    {"ghost", "app#ghost",
     "base \"ghost.pkg:x\": no package \"ghost.pkg\" beside SHELF/app or in "
     "the repositories"},
    {"noset", "app#noset", "package test.lib (SHELF/test.lib) has no config set "
                           "\"nope\" (it has: common)"},
    {"cycle", "app#loop1",
     "config sets form a cycle of bases: test.app:loop1 -> test.app:loop2 -> "
     "test.app:loop1"},
    {"shell", "app#shell", "config set \"shell\": command 1 ends with '&', "
                           "which OSv runs in the background"},
    {"spaced", "app#spaced", "spaces not allowed in env key/value: 'A':'two "
                             "words'"},
    {"escape", "app#escape", "\"../../bin/true\" has a \"..\" segment"},
    {"option", "app#option", "unrecognised option '--cwd=/'"},
    {"java", "java#j", "requires openjdk8-zulu-compact1: Package "
                       "openjdk8-zulu-compact1 does not exist in your local "
                       "repository"},
    {"ruby", "ruby#r", "SHELF/ruby/meta/run.yaml:1:10: Unknown runtime: "
                       "'ruby'"},
    {"badyaml", "badyaml#a", "SHELF/badyaml/meta/run.yaml:4:1: invalid YAML"},
    {"badkey", "badkey#a", "SHELF/badkey/meta/run.yaml:5:5: config set \"a\": "
                           "unknown key \"bootcmdd\""},
    {"dupkey", "dupkey#a", "SHELF/dupkey/meta/run.yaml:4:3: config_set: "
                           "duplicate key \"a\""},
    {"nodefault", "nodefault#meta/run.yaml",
     "has several config sets and no config_set_default: choose one of a, b"},
    {"nopackage", "none#a", "no package directory SHELF/none"},
    {"impostor", "app#impostor",
     "SHELF/test.impostor holds package \"other.name\", not "
     "\"test.impostor\""},
    {"unnamed", "unnamed#a",
     "SHELF/unnamed is not a Capstan package: it has no meta/package.yaml"},
};
#define BAD_CASES (sizeof bad_cases / sizeof bad_cases[0])

/* Replaces every "SHELF" in `text` with the shelf's directory. */
static void with_shelf(const shelf *s, const char *text, char *out,
                       size_t size) {
  size_t used = 0;
  while (*text && used + strlen(s->dir) + 1 < size) {
    if (strncmp(text, "SHELF", 5) == 0) {
      used += (size_t)snprintf(out + used, size - used, "%s", s->dir);
      text += 5;
    } else {
      out[used++] = *text++;
    }
  }
  out[used] = '\0';
}

START_TEST(test_capstan_errors_are_clear_and_harm_nothing_else) {
  if (e2e_skip_root_under_valgrind())
    return;
  shelf s;
  e2e_package_new(s.dir, sizeof s.dir);
  add_bad_packages(&s);
  char manifest[8192] = "{\"children\": [", *end = manifest + strlen(manifest);
  for (size_t i = 0; i < BAD_CASES; i++)
    end += sprintf(end,
                   "{\"name\": \"%s\", \"url\": \"capstan://%s/%s\", "
                   "\"startup\": \"eager\"},",
                   bad_cases[i].name, s.dir, bad_cases[i].url);
  sprintf(end, "{\"name\": \"fine\", \"url\": \"capstan://%s/app#fine\", "
               "\"startup\": \"eager\"}, {\"name\": \"multi\", \"url\": "
               "\"capstan://%s/app#multi\", \"startup\": \"eager\"}]}",
          s.dir, s.dir);
  e2e_package_write(s.dir, "meta/root.cm", manifest);
  e2e_proc p;
  const char *args[] = {"run", s.dir, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 1);
  for (size_t i = 0; i < BAD_CASES; i++) {
    char said[1024], expected[1200];
    with_shelf(&s, bad_cases[i].said, said, sizeof said);
    snprintf(expected, sizeof expected, "/%s: error: cannot_start: ",
             bad_cases[i].name);
    e2e_assert_has(p.err, expected);
    e2e_assert_has(p.err, said);
  }
  e2e_assert_has(p.err, "[/fine] still-running\n");
  /* A child runs the first command of several, and says so. */
  e2e_assert_has(p.err, "[/multi] m1\n");
  e2e_assert_has(p.err, "/multi: warning: runs one command of its Capstan "
                        "boot;");
  e2e_assert_lacks(p.err, "m2");
  e2e_assert_end(&p, "/fine", "ok (exit 0)");
  char count[64];
  snprintf(count, sizeof count, "%zu component runs did not end ok",
           BAD_CASES);
  e2e_assert_has(p.err, count);
  e2e_free(&p);
  e2e_package_remove(s.dir);
}
END_TEST

/* fern check reads a Capstan package as its resolver does: its
 * run.yaml, or its directory, is checked as YAML with file:line:col, not
 * as a JSON manifest. */
START_TEST(test_fern_check_reads_a_capstan_package) {
  e2e_proc p;
  const char *example[] = {"check", "examples/capstan-hello/meta/run.yaml",
                           "examples/capstan-hello", NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, example), 0);
  e2e_assert_has(p.out, "examples/capstan-hello/meta/run.yaml: ok");
  e2e_assert_has(p.out, "examples/capstan-hello: ok");
  e2e_free(&p);
  shelf s;
  e2e_package_new(s.dir, sizeof s.dir);
  add_bad_packages(&s);
  char badkey[128], badyaml[128];
  snprintf(badkey, sizeof badkey, "%s/badkey/meta/run.yaml", s.dir);
  snprintf(badyaml, sizeof badyaml, "%s/badyaml", s.dir);
  const char *bad[] = {"check", badkey, badyaml, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, bad), 1);
  char said[1024];
  with_shelf(&s, "SHELF/badkey/meta/run.yaml:5:5: config set \"a\": "
                 "unknown key \"bootcmdd\"",
             said, sizeof said);
  e2e_assert_has(p.err, said);
  with_shelf(&s, "SHELF/badyaml/meta/run.yaml:4:1: invalid YAML", said,
             sizeof said);
  e2e_assert_has(p.err, said);
  e2e_free(&p);
  e2e_package_remove(s.dir);
}
END_TEST

START_TEST(test_capstan_boot_option_errors) {
  if (e2e_skip_root_under_valgrind())
    return;
  e2e_proc p;
  const char *not_capstan[] = {"run", "--boot", "x", "examples/hello", NULL};
  ck_assert_int_eq(e2e_run(&p, 10000, not_capstan), 1);
  e2e_assert_has(p.err, "--boot chooses config sets of a Capstan package;");
  e2e_assert_has(p.err, "is not a capstan:// URL");
  e2e_free(&p);
  char *url = example_url("morning");
  const char *chosen[] = {"run", "--boot", "evening", url, NULL};
  ck_assert_int_eq(e2e_run(&p, 10000, chosen), 1);
  e2e_assert_has(p.err, "already chooses config set \"morning\"");
  e2e_assert_lacks(p.err, "Good");
  e2e_free(&p);
  free(url);
  const char *not_run[] = {"tree", "--boot", "x", "examples/capstan-hello",
                           NULL};
  ck_assert_int_eq(e2e_run(&p, 10000, not_run), 2);
  e2e_assert_has(p.err, "--boot is an option of fern run");
  e2e_free(&p);
}
END_TEST

Suite *capstan_suite(void) {
  Suite *s = suite_create("capstan");
  TCase *tc = tcase_create("capstan");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_capstan_example_runs_its_default_and_a_chosen_set);
  tcase_add_test(tc, test_capstan_boot_runs_sets_in_order);
  tcase_add_test(tc, test_capstan_boot_goes_on_after_an_exit_code);
  tcase_add_test(tc, test_capstan_commands_and_default_sets_run_in_turn);
  tcase_add_test(tc, test_capstan_runs_a_shared_object_as_osv_does);
  tcase_add_test(tc, test_real_capstan_recipes_get_what_osv_gives);
  tcase_add_test(tc, test_capstan_env_merges_through_bases_in_other_packages);
  tcase_add_test(tc, test_capstan_bootcmd_quoting);
  tcase_add_test(tc, test_capstan_bootcmd_expands_variables_as_osv);
  tcase_add_test(tc, test_capstan_errors_are_clear_and_harm_nothing_else);
  tcase_add_test(tc, test_capstan_boot_option_errors);
  tcase_add_test(tc, test_fern_check_reads_a_capstan_package);
  suite_add_tcase(s, tc);
  return s;
}
