/* test_capstan_compose.c - Capstan packages composed as `capstan package
 * compose` composes them and run with the image as their root, as OSv
 * runs them: packages in `require:` found in a Capstan repository's own
 * layout (packages/NAME.mpm, a gzip'd tar with members named "/bin/x",
 * as cmd/package.go's BuildPackage writes it), and unpacked beside it;
 * a later package's file replacing an earlier one's and the package's
 * own winning; a base's bootcmd from a composed package; a set only a
 * composed package declares, booted by --boot; an absolute path in an
 * argument and an absolute symlink meaning the image's file; the host's
 * files out of sight; the real recipes' demo packages composed over their
 * base packages from $CAPSTAN_ROOT, as the recipes' own test composes and
 * runs them; and the errors. */
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "capstan_repo.h"
#include "e2e.h"

/* Writes package `name` at `dir` (inside `root`): its meta files, the
 * stand-in program at bin/argv_echo and `files` ("PATH=TEXT" each). */
static void write_package(const char *root, const char *dir,
                          const char *name, const char *require,
                          const char *run_yaml, const char *const *files) {
  char cmd[512], rel[256], text[512];
  snprintf(cmd, sizeof cmd, "mkdir -p '%s/%s/meta' '%s/%s/bin' '%s/%s/data'",
           root, dir, root, dir, root, dir);
  ck_assert_int_eq(system(cmd), 0);
  snprintf(rel, sizeof rel, "%s/meta/package.yaml", dir);
  snprintf(text, sizeof text, "name: %s\ntitle: a test package\n"
                              "author: fern\n%s",
           name, require);
  e2e_package_write(root, rel, text);
  if (run_yaml != NULL) {
    snprintf(rel, sizeof rel, "%s/meta/run.yaml", dir);
    e2e_package_write(root, rel, run_yaml);
  }
  for (int i = 0; files != NULL && files[i] != NULL; i++) {
    const char *eq = strchr(files[i], '=');
    snprintf(rel, sizeof rel, "%s/%.*s", dir, (int)(eq - files[i]),
             files[i]);
    snprintf(text, sizeof text, "%s\n", eq + 1);
    e2e_package_write(root, rel, text);
  }
}

typedef struct shelf_s {
  char root[64];   /* the application and what is beside it */
  char repo[64];   /* a Capstan repository */
  char config[256];
} shelf;

/* test.base (an .mpm in the repository): the program, an absolute
 * symlink to it, and two data files; test.mid (unpacked in the
 * repository, behind a link) replaces one of them; test.app requires both, has its own
 * greeting, and boots the base's set. */
static void make_shelf(shelf *s) {
  e2e_package_new(s->root, sizeof s->root);
  e2e_package_new(s->repo, sizeof s->repo);
  const char *base_files[] = {"data/greeting.txt=from the base",
                              "data/shared.txt=the base's", NULL};
  write_package(s->root, "base", "test.base", "",
                "runtime: native\n"
                "config_set:\n"
                "  serve:\n"
                "    bootcmd: /echo /data/greeting.txt /data/shared.txt "
                "/etc/hostname\n"
                "    env: {FROM: base, KEPT: base}\n",
                base_files);
  char rel[64], link[PATH_MAX];
  e2e_package_copy(s->root, "tests/packages/progs/bin/argv_echo",
                   "base/bin/argv_echo");
  snprintf(rel, sizeof rel, "%s/base/echo", s->root);
  ck_assert_int_eq(symlink("/bin/argv_echo", rel), 0); /* the image's */
  capstan_pack_into_repository(s->root, "base", s->repo, "test.base");
  /* test.mid is a link in the repository to its directory there. */
  const char *mid_files[] = {"data/shared.txt=the middle's", NULL};
  snprintf(link, sizeof link, "%s", s->repo);
  write_package(link, "mid-real", "test.mid", "", NULL, mid_files);
  snprintf(link, sizeof link, "%s/test.mid", s->repo);
  ck_assert_int_eq(symlink("mid-real", link), 0);
  const char *app_files[] = {"data/greeting.txt=from the app", NULL};
  write_package(s->root, "app", "test.app",
                "require:\n  - test.base\n  - test.mid\n",
                "runtime: native\n"
                "config_set:\n"
                "  main:\n"
                "    base: \"test.base:serve\"\n"
                "    env: {FROM: app}\n",
                app_files);
  char text[512];
  snprintf(text, sizeof text,
           "{\"root_environment\": {\"resolvers\": [{\"resolver\": "
           "\"capstan\", \"scheme\": \"capstan\", \"config\": "
           "{\"repositories\": [\"%s\"]}}]}}",
           s->repo);
  e2e_package_write(s->root, "fern.json", text);
  snprintf(s->config, sizeof s->config, "%s/fern.json", s->root);
}

static void remove_shelf(shelf *s) {
  e2e_package_remove(s->root);
  e2e_package_remove(s->repo);
}

START_TEST(test_capstan_composes_required_packages_as_capstan_does) {
  if (e2e_skip_root_under_valgrind())
    return;
  shelf s;
  make_shelf(&s);
  char app[128];
  snprintf(app, sizeof app, "%s/app", s.root);
  e2e_proc p;
  const char *args[] = {"run", "--config", s.config, app, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 0);
  /* The base's bootcmd, its program reached through the image's own
   * absolute symlink, argv[0] as the bootcmd wrote it. */
  e2e_assert_has(p.err, "[/] argv[0] /echo\n[/] argv[1] /data/greeting.txt\n");
  /* The package's own file wins; a later required package's file
   * replaces an earlier one's; the host's /etc is not in the image. */
  e2e_assert_has(p.err, "[/] file /data/greeting.txt from the app\n");
  e2e_assert_has(p.err, "[/] file /data/shared.txt the middle's\n");
  e2e_assert_lacks(p.err, "file /etc/hostname");
  e2e_assert_has(p.err, "[/] cwd /\n");
  e2e_assert_has(p.err, "[/] env FROM=app\n");
  e2e_assert_has(p.err, "[/] env KEPT=base\n");
  e2e_free(&p);
  /* A set only a composed package declares boots, as Capstan writes
   * every composed set to /run. */
  const char *boot[] = {"run", "--config", s.config, "--boot", "serve", app,
                        NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, boot), 0);
  e2e_assert_has(p.err, "[/] env FROM=base\n");
  e2e_assert_has(p.err, "[/] file /data/greeting.txt from the app\n");
  e2e_free(&p);
  remove_shelf(&s);
}
END_TEST

START_TEST(test_capstan_composition_errors_are_clear) {
  if (e2e_skip_root_under_valgrind())
    return;
  shelf s;
  make_shelf(&s);
  write_package(s.root, "lost", "test.lost", "require: [test.ghost]\n",
                "runtime: native\n"
                "config_set: {a: {bootcmd: /bin/argv_echo}}\n",
                NULL);
  char pkg[128], cmd[256];
  snprintf(pkg, sizeof pkg, "%s/lost", s.root);
  e2e_proc p;
  const char *lost[] = {"run", "--config", s.config, pkg, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, lost), 1);
  e2e_assert_has(p.err, "requires test.ghost: Package test.ghost does not "
                        "exist in your local repository. Pull it manually "
                        "using 'capstan package pull test.ghost'");
  e2e_free(&p);
  /* An archive that is not one is named, not half unpacked. */
  snprintf(cmd, sizeof cmd,
           "echo not a tar > '%s/packages/test.ghost.mpm'", s.repo);
  ck_assert_int_eq(system(cmd), 0);
  ck_assert_int_eq(e2e_run(&p, 20000, lost), 1);
  e2e_assert_has(p.err, "test.ghost.mpm is not a package archive tar can "
                        "unpack");
  e2e_free(&p);
  /* Packages that require each other are refused, not followed forever. */
  write_package(s.root, "test.loop", "test.loop", "require: [test.loop]\n",
                "runtime: native\n"
                "config_set: {a: {bootcmd: /bin/argv_echo}}\n",
                NULL);
  snprintf(pkg, sizeof pkg, "%s/test.loop", s.root);
  const char *loop[] = {"run", "--config", s.config, pkg, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, loop), 1);
  e2e_assert_has(p.err, "require nests deeper than 16 packages");
  e2e_free(&p);
  remove_shelf(&s);
}
END_TEST

/* The recipe's demo package (at RECIPE.demo): its real run.yaml and
 * files, and the
 * package.yaml capstan-packages.py's test_recipe makes of its template,
 * requiring the recipe's package. */
static void demo_of(const char *root, const char *recipe, const char *file) {
  char rel[256], from[256], text[256];
  snprintf(text, sizeof text, "mkdir -p '%s/%s.demo/meta'", root, recipe);
  ck_assert_int_eq(system(text), 0);
  snprintf(text, sizeof text, "name: demo\ntitle: demo\nauthor: test\n"
                              "require:\n  - %s\n",
           recipe);
  snprintf(rel, sizeof rel, "%s.demo/meta/package.yaml", recipe);
  e2e_package_write(root, rel, text);
  snprintf(from, sizeof from, "tests/capstan/recipes/%s.demo.run.yaml",
           recipe);
  snprintf(rel, sizeof rel, "%s.demo/meta/run.yaml", recipe);
  e2e_package_copy(root, from, rel);
  snprintf(from, sizeof from, "tests/capstan/recipes/%s.demo.%s", recipe,
           file);
  snprintf(rel, sizeof rel, "%s.demo/%s", recipe, file);
  e2e_package_copy(root, from, rel);
}

START_TEST(test_real_recipe_demos_run_composed_over_their_bases) {
  if (e2e_skip_root_under_valgrind())
    return;
  char repo[64], root[64], demo[128];
  e2e_package_new(repo, sizeof repo);
  e2e_package_new(root, sizeof root);
  /* node-6.10.2/build.sh: bin/libnode-6.10.2.so, node -> /bin/... */
  capstan_recipe_into(repo, "node-6.10.2", "node-6.10.2",
                      "bin/libnode-6.10.2.so",
                      "node=/bin/libnode-6.10.2.so", NULL);
  /* python-2.7/build.sh: the -shared python at the top, pyenv/lib. */
  capstan_recipe_into(repo, "python-2.7", "python-2.7", "python", NULL,
                      "pyenv/lib/python2.7");
  demo_of(root, "node-6.10.2", "hello-world.js");
  demo_of(root, "python-2.7", "demo.py");
  ck_assert_int_eq(setenv("CAPSTAN_ROOT", repo, 1), 0);
  e2e_proc p;
  snprintf(demo, sizeof demo, "%s/node-6.10.2.demo", root);
  const char *node[] = {"run", demo, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, node), 0);
  /* /node $NODE_ARGS $MAIN $ARGS, the demo's MAIN winning. */
  e2e_assert_has(p.err, "[/] argv[0] /node\n[/] argv[1] --no-deprecation\n"
                        "[/] argv[2] /hello-world.js\n");
  e2e_assert_has(p.err, "[/] file /hello-world.js \n"); /* its first line */
  e2e_assert_has(p.err, "[/] cwd /\n");
  e2e_assert_has(p.err, "[/] env MAIN=/hello-world.js\n");
  e2e_free(&p);
  /* The python demo lists /etc; with ARGS=/etc (Capstan's hard --env)
   * the stand-in lists it too, and finds what the demo's expected
   * output shows: ['fstab', 'hosts', 'mnttab'], OSv's own. */
  snprintf(demo, sizeof demo, "%s/python-2.7.demo", root);
  const char *python[] = {"run", "--env", "ARGS=/etc", demo, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, python), 0);
  e2e_assert_has(p.err, "[/] argv[0] /python\n[/] argv[1] -O\n"
                        "[/] argv[2] /demo.py\n[/] argv[3] /etc\n");
  e2e_assert_has(p.err, "[/] file /demo.py #\n");
  e2e_assert_has(p.err, "[/] dir /etc fstab hosts mnttab\n");
  e2e_assert_has(p.err, "[/] env PYTHONHOME=/pyenv\n");
  e2e_free(&p);
  unsetenv("CAPSTAN_ROOT");
  e2e_package_remove(repo);
  e2e_package_remove(root);
}
END_TEST

/* What the package's .capstanignore ignores (Capstan's documented
 * syntax) stays out of the image, and so do Capstan's own. */
START_TEST(test_capstan_ignore_keeps_files_out_of_the_image) {
  if (e2e_skip_root_under_valgrind())
    return;
  shelf s;
  make_shelf(&s);
  const char *files[] = {"keep.txt=kept", "secret.txt=s", "logs/a.log=l",
                         "{braced}.txt=b",
                         "deep/x/b.log=b", "cache/c1=c", ".git/HEAD=h",
                         NULL};
  char cmd[256];
  snprintf(cmd, sizeof cmd, "mkdir -p '%s/ig/logs' '%s/ig/deep/x' "
                            "'%s/ig/cache' '%s/ig/.git'",
           s.root, s.root, s.root, s.root);
  ck_assert_int_eq(system(cmd), 0);
  write_package(s.root, "ig", "test.ig", "",
                "runtime: native\n"
                "config_set:\n"
                "  look: {bootcmd: /bin/argv_echo / /logs /cache /deep/x}\n",
                files);
  e2e_package_copy(s.root, "tests/packages/progs/bin/argv_echo",
                   "ig/bin/argv_echo");
  e2e_package_write(s.root, "ig/.capstanignore",
                    "# ignored, as Capstan's docs show\n"
                    "/secret.txt\n/**/*.log\n/cache/*\n/{braced}.txt\n");
  char pkg[128];
  snprintf(pkg, sizeof pkg, "%s/ig", s.root);
  e2e_proc p;
  const char *args[] = {"run", "--config", s.config, pkg, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 0);
  e2e_assert_has(p.err, " keep.txt ");
  e2e_assert_lacks(p.err, "secret.txt");
  e2e_assert_lacks(p.err, "braced");
  e2e_assert_lacks(p.err, ".git");
  e2e_assert_lacks(p.err, ".capstanignore");
  e2e_assert_has(p.err, "[/] dir /logs\n");
  e2e_assert_has(p.err, "[/] dir /cache\n");
  e2e_assert_has(p.err, "[/] dir /deep/x\n");
  e2e_free(&p);
  /* One that leads out of the package is not read. */
  char link[160];
  snprintf(link, sizeof link, "%s/ig/.capstanignore", s.root);
  ck_assert_int_eq(unlink(link), 0);
  ck_assert_int_eq(symlink("/etc/hostname", link), 0);
  ck_assert_int_eq(e2e_run(&p, 20000, args), 1);
  e2e_assert_has(p.err, ".capstanignore: ");
  e2e_assert_has(p.err, "leads outside the package");
  e2e_free(&p);
  ck_assert_int_eq(unlink(link), 0);
  /* Capstan refuses a .capstanignore that would hide meta/. */
  e2e_package_write(s.root, "ig/.capstanignore", "/keep.txt\n/meta\n");
  ck_assert_int_eq(e2e_run(&p, 20000, args), 1);
  e2e_assert_has(p.err, "/.capstanignore:2: please remove '/meta' from "
                        ".capstanignore");
  e2e_free(&p);
  remove_shelf(&s);
}
END_TEST

/* fern check resolves and composes without running anything, so this
 * runs under valgrind too (the tests above are skipped there). */
START_TEST(test_fern_check_composes_a_capstan_package) {
  shelf s;
  make_shelf(&s);
  char app[128], out[4096];
  snprintf(app, sizeof app, "%s/app", s.root);
  e2e_proc p;
  const char *args[] = {"check", "--config", s.config, app, NULL};
  ck_assert_int_eq(e2e_run(&p, 30000, args), 0);
  snprintf(out, sizeof out, "%s: ok", app);
  e2e_assert_has(p.out, out);
  e2e_free(&p);
  write_package(s.root, "lost", "test.lost", "require: [test.ghost]\n",
                "runtime: native\nconfig_set: {a: {bootcmd: /x}}\n", NULL);
  snprintf(app, sizeof app, "%s/lost", s.root);
  const char *lost[] = {"check", "--config", s.config, app, NULL};
  ck_assert_int_eq(e2e_run(&p, 30000, lost), 1);
  e2e_assert_has(p.err, "Package test.ghost does not exist in your local "
                        "repository");
  e2e_free(&p);
  remove_shelf(&s);
}
END_TEST

Suite *capstan_compose_suite(void) {
  Suite *s = suite_create("capstan_compose");
  TCase *tc = tcase_create("compose");
  tcase_set_timeout(tc, 90);
  tcase_add_test(tc, test_capstan_composes_required_packages_as_capstan_does);
  tcase_add_test(tc, test_capstan_composition_errors_are_clear);
  tcase_add_test(tc, test_real_recipe_demos_run_composed_over_their_bases);
  tcase_add_test(tc, test_capstan_ignore_keeps_files_out_of_the_image);
  tcase_add_test(tc, test_fern_check_composes_a_capstan_package);
  suite_add_tcase(s, tc);
  return s;
}
