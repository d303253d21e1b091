/* test_oci_image.c - an OCI image, not a prepared root file system: an
 * image layout the test builds itself with umoci (no network), in three
 * layers: the program and two files; then one file replaced and one
 * deleted (a whiteout); then the config's Entrypoint, Cmd, Env and
 * WorkingDir. fern runs it by "image": "DIR:TAG", unpacked once per
 * digest into a cache it owns, the config applied unless the program
 * block overrides it. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e.h"

static void sh(const char *fmt, const char *dir) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd, fmt, dir, dir, dir, dir, dir, dir, dir, dir);
  ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

/* img:v1 (tool, /etc/keep "first", /gone) and img:v2 over it (/etc/keep
 * "second", /gone deleted, and the config). */
static void build_image(const char *pkg) {
  sh("cd '%s' && umoci init --layout img && umoci new --image img:v1 && "
     "umoci unpack --image img:v1 b1 && mkdir -p b1/rootfs/bin "
     "b1/rootfs/etc && cp '%s/rootfs/bin/tool' b1/rootfs/bin/tool && "
     "echo first > b1/rootfs/etc/keep && echo x > b1/rootfs/gone && "
     "umoci repack --image img:v1 b1 && "
     "umoci unpack --image img:v1 b2 && echo second > b2/rootfs/etc/keep && "
     "rm b2/rootfs/gone && umoci repack --image img:v2 b2 && "
     "umoci config --image img:v2 --config.entrypoint /bin/tool "
     "--config.cmd print --config.cmd from-the-cmd "
     "--config.env GREETING=from-the-image --config.workingdir /etc && "
     "rm -rf b1 b2",
     pkg);
}

static int image_dirs(const char *pkg) {
  char dir[160];
  snprintf(dir, sizeof dir, "%s/state/images", pkg);
  DIR *d = opendir(dir);
  int n = 0;
  struct dirent *e;
  while (d != NULL && (e = readdir(d)) != NULL)
    n += e->d_name[0] != '.';
  if (d != NULL)
    closedir(d);
  return n;
}

static void run_image(const char *pkg, const char *config, const char *extra,
                      e2e_proc *p, int rc) {
  char text[512], path[160];
  snprintf(text, sizeof text,
           "{\"program\": {\"runner\": \"oci\", \"image\": \"img:v2\"%s}}",
           extra);
  e2e_package_write(pkg, "meta/i.cm", text);
  snprintf(path, sizeof path, "%s/meta/i.cm", pkg);
  const char *args[] = {"run", "--config", config, path, NULL};
  ck_assert_int_eq(e2e_run(p, 60000, args), rc);
}

START_TEST(test_an_oci_image_runs_as_its_config_says) {
  if (e2e_skip_under_valgrind("runc is not run under valgrind"))
    return;
  if (system("command -v umoci >/dev/null") != 0) {
    fprintf(stderr, "skipped: umoci is not installed (scripts/setup "
                    "installs it)\n");
    return;
  }
  char pkg[64], config[160];
  e2e_oci_package(pkg, sizeof pkg, config, sizeof config);
  build_image(pkg);
  e2e_proc p;
  /* Entrypoint + Cmd. */
  run_image(pkg, config, "", &p, 0);
  e2e_assert_has(p.err, "[/] from-the-cmd\n");
  e2e_free(&p);
  ck_assert_int_eq(image_dirs(pkg), 1);
  /* The program block's args replace Cmd: the later layer's file, the
   * whiteout, Env and WorkingDir. */
  run_image(pkg, config, ", \"args\": [\"cat\", \"/etc/keep\"]", &p, 0);
  e2e_assert_has(p.err, "[/] second\n");
  e2e_free(&p);
  run_image(pkg, config, ", \"args\": [\"ls\", \"/\"]", &p, 0);
  e2e_assert_lacks(p.err, "gone");
  e2e_assert_has(p.err, "etc");
  e2e_free(&p);
  run_image(pkg, config, ", \"args\": [\"env\"]", &p, 0);
  e2e_assert_has(p.err, "GREETING=from-the-image");
  e2e_free(&p);
  run_image(pkg, config, ", \"args\": [\"cwd\"]", &p, 0);
  e2e_assert_has(p.err, "[/] cwd /etc\n");
  e2e_free(&p);
  /* ... and the program block's own env and cwd win. */
  run_image(pkg, config,
            ", \"args\": [\"env\"], \"env\": [\"GREETING=mine\"]", &p, 0);
  e2e_assert_has(p.err, "GREETING=mine");
  e2e_free(&p);
  /* Unpacked once: still one image in the cache. */
  ck_assert_int_eq(image_dirs(pkg), 1);
  /* A tag the layout does not have is named, with those it has. */
  e2e_package_write(pkg, "meta/bad.cm",
                    "{\"program\": {\"runner\": \"oci\", \"image\": "
                    "\"img:v9\"}}");
  char path[160];
  snprintf(path, sizeof path, "%s/meta/bad.cm", pkg);
  const char *bad[] = {"run", "--config", config, path, NULL};
  ck_assert_int_eq(e2e_run(&p, 60000, bad), 1);
  e2e_assert_has(p.err, "has no tag \"v9\" (it has: v1, v2)");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

Suite *oci_image_suite(void) {
  Suite *s = suite_create("oci_image");
  TCase *tc = tcase_create("image");
  tcase_set_timeout(tc, 180);
  tcase_add_test(tc, test_an_oci_image_runs_as_its_config_says);
  suite_add_tcase(s, tc);
  return s;
}
