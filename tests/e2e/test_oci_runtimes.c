/* test_oci_runtimes.c - the OCI runner with crun as well as runc: on a
 * host with hybrid cgroups crun refuses to run unless fern hides the
 * unified hierarchy's controllers from it, which fern does and says; and
 * "runtime_args" reach the runtime as global flags (here --log, whose
 * file then exists), refused by name when they are not flags; and
 * readiness (lifecycle.ready_event notify) comes through the runtime's
 * NOTIFY_SOCKET, with either runtime, writing nothing into the package. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e.h"

static int run_container(const char *pkg, const char *config,
                         const char *extra, e2e_proc *p) {
  char text[512], path[160];
  snprintf(text, sizeof text,
           "{\"program\": {\"runner\": \"oci\", \"rootfs\": \"rootfs\", "
           "\"binary\": \"/bin/tool\", \"args\": [\"print\", \"inside\"]%s}}",
           extra);
  e2e_package_write(pkg, "meta/c.cm", text);
  snprintf(path, sizeof path, "%s/meta/c.cm", pkg);
  const char *args[] = {"run", "--config", config, path, NULL};
  return e2e_run(p, 60000, args);
}

static int hybrid_host(void) {
  FILE *f = fopen("/sys/fs/cgroup/unified/cgroup.controllers", "re");
  int c = f ? fgetc(f) : EOF;
  if (f)
    fclose(f);
  return c != EOF && c != '\n';
}

START_TEST(test_crun_runs_here_as_runc_does) {
  if (e2e_skip_without_crun())
    return;
  char pkg[64], config[160];
  e2e_oci_package(pkg, sizeof pkg, config, sizeof config);
  e2e_proc p;
  ck_assert_int_eq(run_container(pkg, config, ", \"runtime\": \"crun\"", &p),
                   0);
  e2e_assert_has(p.err, "[/] inside\n");
  if (hybrid_host())
    e2e_assert_has(p.err, "crun refuses a host whose unified cgroup "
                          "hierarchy has controllers");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

START_TEST(test_runtime_args_reach_the_runtime) {
  if (e2e_skip_under_valgrind("runc is not run under valgrind"))
    return;
  char pkg[64], config[160], text[512], log[160];
  e2e_oci_package(pkg, sizeof pkg, config, sizeof config);
  snprintf(log, sizeof log, "%s/runtime.log", pkg);
  /* Only fern's configuration gives the runtime global flags. */
  snprintf(text, sizeof text,
           "{\"root_environment\": {\"runners\": [{\"runner\": \"oci\", "
           "\"config\": {\"state_dir\": \"%s/state\", \"runtime_args\": "
           "[\"--log=%s\"]}}]}}",
           pkg, log);
  e2e_package_write(pkg, "fern.json", text);
  e2e_proc p;
  ck_assert_int_eq(run_container(pkg, config, "", &p), 0);
  e2e_assert_has(p.err, "[/] inside\n");
  e2e_free(&p);
  struct stat st;
  ck_assert_int_eq(stat(log, &st), 0);
  /* A package cannot: the program block has no such key. */
  ck_assert_int_eq(run_container(pkg, config,
                                 ", \"runtime_args\": [\"--debug\"]", &p),
                   1);
  e2e_assert_has(p.err, "does not know program key \"runtime_args\"");
  e2e_free(&p);
  /* And the configuration's must be flags. */
  snprintf(text, sizeof text,
           "{\"root_environment\": {\"runners\": [{\"runner\": \"oci\", "
           "\"config\": {\"state_dir\": \"%s/state\", \"runtime_args\": "
           "[\"create\"]}}]}}",
           pkg);
  e2e_package_write(pkg, "fern.json", text);
  ck_assert_int_eq(run_container(pkg, config, "", &p), 1);
  e2e_assert_has(p.err, "\"runtime_args\" must be a list of at most 8 of "
                        "the runtime's global flags");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

static void ready_through(const char *runtime) {
  char pkg[64], config[160], text[512], path[160], run_dir[160];
  e2e_oci_package(pkg, sizeof pkg, config, sizeof config);
  snprintf(text, sizeof text,
           "{\"program\": {\"runner\": \"oci\", \"rootfs\": \"rootfs\", "
           "\"binary\": \"/bin/tool\", \"args\": [\"notify\"], "
           "\"runtime\": \"%s\", \"lifecycle\": {\"ready_event\": "
           "\"notify\"}}}",
           runtime);
  e2e_package_write(pkg, "meta/n.cm", text);
  snprintf(path, sizeof path, "%s/meta/n.cm", pkg);
  const char *args[] = {"run", "--config", config, path, NULL};
  e2e_proc p;
  /* Without /run in the root file system it is refused, saying why. */
  ck_assert_int_eq(e2e_run(&p, 60000, args), 1);
  e2e_assert_has(p.err, "readiness needs a /run directory");
  e2e_free(&p);
  snprintf(run_dir, sizeof run_dir, "%s/rootfs/run", pkg);
  ck_assert_int_eq(mkdir(run_dir, 0755), 0);
  e2e_start(&p, args);
  e2e_wait_for(&p, "/: started (pid ", 30000);
  e2e_wait_for(&p, "/: ready\n", 30000);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 30000), 0);
  e2e_assert_order(p.err, "waiting for it to be ready", "/: ready\n");
  e2e_assert_has(p.err, "/: stopped: ok");
  e2e_free(&p);
  ck_assert_int_eq(rmdir(run_dir), 0); /* empty: the runtime's was ours */
  ck_assert_int_eq(mkdir(run_dir, 0755), 0);
  /* One that dies before READY=1 ends at once: the shim waits on the
   * container and the runtime's start together. */
  snprintf(text, sizeof text,
           "{\"program\": {\"runner\": \"oci\", \"rootfs\": \"rootfs\", "
           "\"binary\": \"/bin/tool\", \"args\": [\"exit\", \"3\"], "
           "\"runtime\": \"%s\", \"lifecycle\": {\"ready_event\": "
           "\"notify\"}}}",
           runtime);
  e2e_package_write(pkg, "meta/n.cm", text);
  ck_assert_int_eq(e2e_run(&p, 20000, args), 1);
  e2e_assert_lacks(p.err, "killed_after_timeout");
  e2e_free(&p);
  e2e_package_remove(pkg);
}

START_TEST(test_readiness_comes_through_the_runtime) {
  if (e2e_skip_under_valgrind("runc is not run under valgrind"))
    return;
  ready_through("runc");
  if (access("/usr/bin/crun", X_OK) == 0)
    ready_through("crun");
  else
    fprintf(stderr, "skipped with crun: it is not installed\n");
}
END_TEST

Suite *oci_runtimes_suite(void) {
  Suite *s = suite_create("oci_runtimes");
  TCase *tc = tcase_create("runtimes");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_crun_runs_here_as_runc_does);
  tcase_add_test(tc, test_runtime_args_reach_the_runtime);
  tcase_add_test(tc, test_readiness_comes_through_the_runtime);
  suite_add_tcase(s, tc);
  return s;
}
