/* test_oci_terminal.c - a bundle exactly as `runc spec` writes it, whose
 * process wants a terminal ("terminal": true): fern's shim gives the
 * runtime a console socket, and what the program writes to the terminal
 * reaches fern's log, line by line, without the terminal's "\r". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e.h"

START_TEST(test_a_runc_spec_bundle_with_a_terminal_runs) {
  if (e2e_skip_under_valgrind("runc is not run under valgrind"))
    return;
  char pkg[64], cmd[1024], path[160], config[160];
  e2e_package_new(pkg, sizeof pkg);
  static const char *const dirs[] = {"state", "b", "b/rootfs",
                                     "b/rootfs/bin", NULL};
  for (int i = 0; dirs[i] != NULL; i++) {
    snprintf(path, sizeof path, "%s/%s", pkg, dirs[i]);
    ck_assert_int_eq(mkdir(path, 0755), 0);
  }
  e2e_package_copy(pkg, "tests/packages/progs/bin/tool-static",
                   "b/rootfs/bin/tool");
  /* runc spec's own config.json, only its command changed. */
  snprintf(cmd, sizeof cmd,
           "cd '%s/b' && runc spec && python3 -c \""
           "import json; c=json.load(open('config.json')); "
           "assert c['process']['terminal'] is True; "
           "c['process']['args']=['/bin/tool','tty']; "
           "json.dump(c,open('config.json','w'))\"",
           pkg);
  ck_assert_int_eq(system(cmd), 0);
  e2e_oci_runner_config(pkg, config, sizeof config);
  e2e_package_write(pkg, "meta/t.cm",
                    "{\"program\": {\"runner\": \"oci\", \"bundle\": \"b\"}}");
  snprintf(path, sizeof path, "%s/meta/t.cm", pkg);
  e2e_proc p;
  const char *args[] = {"run", "--config", config, path, NULL};
  ck_assert_int_eq(e2e_run(&p, 60000, args), 0);
  e2e_assert_has(p.err, "[/] stdout is a terminal\n");
  e2e_assert_lacks(p.err, "\r");
  e2e_assert_has(p.err, "/: stopped: ok");
  e2e_free(&p);
  /* No console socket is left behind. */
  ck_assert_int_ne(system("ls -d /tmp/fern-oci-console-* >/dev/null 2>&1"),
                   0);
  e2e_package_remove(pkg);
}
END_TEST

Suite *oci_terminal_suite(void) {
  Suite *s = suite_create("oci_terminal");
  TCase *tc = tcase_create("terminal");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_a_runc_spec_bundle_with_a_terminal_runs);
  suite_add_tcase(s, tc);
  return s;
}
