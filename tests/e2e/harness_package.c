/* harness_package.c - the packages tests build (see e2e.h): a directory
 * with meta/ and bin/tool, files written and copied into it, program
 * manifests, a root of children, the oci runner's rootfs and state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e.h"

void e2e_package_copy(const char *dir, const char *from, const char *relative) {
  char cmd[3 * 4096];
  snprintf(cmd, sizeof cmd, "cp '%s' '%s/%s'", from, dir, relative);
  ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

void e2e_package_new(char *dir, size_t size) {
  snprintf(dir, size, "/tmp/fern-pkg-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char sub[4200];
  snprintf(sub, sizeof sub, "%s/meta", dir);
  ck_assert_int_eq(mkdir(sub, 0755), 0);
  snprintf(sub, sizeof sub, "%s/bin", dir);
  ck_assert_int_eq(mkdir(sub, 0755), 0);
  e2e_package_copy(dir, "tests/packages/progs/bin/tool", "bin/tool");
}

void e2e_package_write(const char *dir, const char *relative,
                       const char *text) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", dir, relative);
  FILE *f = fopen(path, "w");
  ck_assert_msg(f != NULL, "cannot write %s", path);
  fputs(text, f);
  fclose(f);
}

void e2e_package_remove(const char *dir) {
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  ck_assert_int_eq(system(cmd), 0);
}

void e2e_oci_runner_config(const char *dir, char *config, size_t size) {
  char text[512];
  snprintf(text, sizeof text,
           "{\"root_environment\": {\"runners\": [{\"runner\": \"oci\", "
           "\"config\": {\"state_dir\": \"%s/state\"}}]}}",
           dir);
  e2e_package_write(dir, "fern.json", text);
  snprintf(config, size, "%s/fern.json", dir);
}

int e2e_skip_without_crun(void) {
  if (e2e_skip_under_valgrind("crun is not run under valgrind"))
    return 1;
  if (access("/usr/bin/crun", X_OK) == 0)
    return 0;
  fprintf(stderr, "skipped: crun is not installed (scripts/setup installs "
                  "it)\n");
  return 1;
}

void e2e_oci_package(char *pkg, size_t size, char *config,
                     size_t config_size) {
  e2e_package_new(pkg, size);
  static const char *const dirs[] = {"state",       "rootfs",     "rootfs/bin",
                                     "rootfs/proc", "rootfs/dev", "rootfs/tmp",
                                     "rootfs/sys",  NULL};
  for (int i = 0; dirs[i] != NULL; i++) {
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/%s", pkg, dirs[i]);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
  }
  e2e_package_copy(pkg, "tests/packages/progs/bin/tool-static",
                   "rootfs/bin/tool");
  e2e_oci_runner_config(pkg, config, config_size);
}

void e2e_package_program(const char *dir, const char *name, const char *runner,
                         const char *fields) {
  e2e_package_program_of(dir, name, runner, "bin/tool", fields);
}

void e2e_package_program_of(const char *dir, const char *name,
                            const char *runner, const char *binary,
                            const char *fields) {
  char rel[160], text[4096];
  snprintf(rel, sizeof rel, "meta/%s.cm", name);
  snprintf(text, sizeof text,
           "{\"program\": {\"runner\": \"%s\", \"binary\": \"%s\", %s}}",
           runner, binary, fields);
  e2e_package_write(dir, rel, text);
}

void e2e_package_root(const char *dir, const char *const *names, int quick_ms) {
  char text[8192];
  size_t used = 0;
  if (quick_ms > 0)
    used = (size_t)snprintf(text, sizeof text,
                            "{\"environments\": [{\"name\": \"quick\", "
                            "\"extends\": \"realm\", \"__stop_timeout_ms\": "
                            "%d}], \"children\": [",
                            quick_ms);
  else
    used = (size_t)snprintf(text, sizeof text, "{\"children\": [");
  for (size_t i = 0; names[i] != NULL && used < sizeof text; i++) {
    int quick = quick_ms > 0 && strncmp(names[i], "quick-", 6) == 0;
    used += (size_t)snprintf(
        text + used, sizeof text - used,
        "%s{\"name\": \"%s\", \"url\": \"#meta/%s.cm\", \"startup\": "
        "\"eager\"%s}",
        i ? "," : "", names[i], names[i],
        quick ? ", \"environment\": \"#quick\"" : "");
  }
  ck_assert_msg(used + 3 < sizeof text, "root.cm too long");
  snprintf(text + used, sizeof text - used, "]}");
  e2e_package_write(dir, "meta/root.cm", text);
}

void e2e_package_gated(const char *pkg, const char *sibling,
                       int resolve_timeout_ms, e2e_gated *g) {
  char root[16384], text[64];
  snprintf(root, sizeof root,
           "{\"capabilities\": [{\"resolver\": \"gate\", \"config\": "
           "{\"wait_for\": \"%s/never\", \"wait_ms\": 120000}}],\n"
           " \"environments\": [{\"name\": \"gated\", \"extends\": "
           "\"realm\", \"resolvers\": [{\"resolver\": \"gate\", "
           "\"scheme\": \"gate\", \"from\": \"self\"}]}],\n"
           " \"children\": [{\"name\": \"hung\", \"url\": "
           "\"gate://%s#meta/%s.cm\", \"startup\": \"eager\", "
           "\"environment\": \"#gated\"},\n"
           "  {\"name\": \"%s\", \"url\": \"#meta/%s.cm\", "
           "\"startup\": \"eager\"}]}",
           pkg, pkg, sibling, sibling, sibling);
  e2e_package_write(pkg, "meta/root.cm", root);
  snprintf(text, sizeof text, "{\"resolve_timeout_ms\": %d}",
           resolve_timeout_ms);
  e2e_package_write(pkg, "fern.json", text);
  snprintf(g->config, sizeof g->config, "%s/fern.json", pkg);
  snprintf(g->plugins, sizeof g->plugins, "%s/tests/plugins", e2e_build());
  const char *args[] = {"run", "--plugin-dir", g->plugins, "--config",
                        g->config, pkg, NULL};
  memcpy(g->args, args, sizeof args);
}
