/* test_blocking.c - nothing a package holds can hold fern: a FIFO named as
 * a binary or a manifest is refused at once (opening it would wait for a
 * writer for ever), and whatever a worker thread is stuck in, a second
 * SIGTERM ends fern within a bound. */
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e.h"
#include "event_asserts.h"

static void make_fifo(const char *pkg, const char *relative) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", pkg, relative);
  ck_assert_int_eq(mkfifo(path, 0755), 0);
}

/* Four FIFOs as binaries (as many as the thread pool has workers: each
 * would have taken one for ever) and one as a manifest: each fails alone,
 * the starts and resolutions after them go on, and fern ends. */
START_TEST(test_fifos_named_as_binaries_and_manifests_fail_alone) {
  char pkg[4096], root[2048] = "{\"children\": [";
  e2e_package_new(pkg, sizeof pkg);
  for (int i = 0; i < 4; i++) {
    char name[32], binary[64], fields[128];
    snprintf(name, sizeof name, "fifo%d", i);
    snprintf(binary, sizeof binary, "bin/fifo%d", i);
    make_fifo(pkg, binary);
    snprintf(fields, sizeof fields, "\"runner\": \"elf\", \"binary\": \"%s\"",
             binary);
    char text[256], rel[64];
    snprintf(text, sizeof text, "{\"program\": {%s}}", fields);
    snprintf(rel, sizeof rel, "meta/%s.cm", name);
    e2e_package_write(pkg, rel, text);
    size_t used = strlen(root);
    snprintf(root + used, sizeof root - used,
             "{\"name\": \"%s\", \"url\": \"#meta/%s.cm\", \"startup\": "
             "\"eager\"},",
             name, name);
  }
  make_fifo(pkg, "meta/pipe.cm");
  e2e_package_program(pkg, "fine", "elf", "\"args\": [\"print\", \"fine\"]");
  size_t used = strlen(root);
  snprintf(root + used, sizeof root - used,
           "{\"name\": \"pipe\", \"url\": \"#meta/pipe.cm\", \"startup\": "
           "\"eager\"}, {\"name\": \"fine\", \"url\": \"#meta/fine.cm\", "
           "\"startup\": \"eager\"}]}");
  e2e_package_write(pkg, "meta/root.cm", root);
  e2e_proc p;
  const char *args[] = {"run", pkg, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 1);
  char said[4400];
  for (int i = 0; i < 4; i++) {
    snprintf(said, sizeof said,
             "/fifo%d: error: cannot_start: binary \"bin/fifo%d\" in "
             "package %s is a FIFO (named pipe), not a regular file",
             i, i, pkg);
    e2e_assert_has(p.err, said);
  }
  snprintf(said, sizeof said,
           "/pipe: error: cannot_start: \"meta/pipe.cm\" in package "
           "%s is a FIFO (named pipe), not a regular file",
           pkg);
  e2e_assert_has(p.err, said);
  e2e_assert_has(p.err, "[/fine] fine\n");
  e2e_assert_end(&p, "/fine", "ok (exit 0)");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* A resolution stuck on its worker (the gate resolver, told to wait two
 * minutes), a component running beside it: the first SIGTERM stops the
 * component, the second ends fern within the kill grace, the stuck
 * worker notwithstanding. */
START_TEST(test_a_second_sigterm_ends_fern_whatever_is_stuck) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_program(pkg, "steady", "elf", "\"args\": [\"sleep\"]");
  e2e_gated gated;
  e2e_package_gated(pkg, "steady", 600000, &gated);
  e2e_proc p;
  const char *const *args = gated.args;
  e2e_start(&p, args);
  e2e_wait_for(&p, "[/steady] ready", 20000);
  kill(p.pid, SIGTERM);
  e2e_wait_end(&p, "/steady", "ok (signal TERM)", 20000);
  kill(p.pid, SIGTERM);
  /* 5 s of grace, and as much again for a loaded machine: the worker
   * would hold fern for two minutes. */
  ck_assert_int_eq(e2e_finish(&p, 10000), 1);
  e2e_assert_has(p.err, "fern ends now without waiting further");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

Suite *blocking_suite(void) {
  Suite *s = suite_create("blocking");
  TCase *tc = tcase_create("blocking");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_fifos_named_as_binaries_and_manifests_fail_alone);
  tcase_add_test(tc, test_a_second_sigterm_ends_fern_whatever_is_stuck);
  suite_add_tcase(s, tc);
  return s;
}
