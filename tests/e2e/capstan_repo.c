/* capstan_repo.c - see capstan_repo.h. */
#include "capstan_repo.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e.h"

void capstan_pack_into_repository(const char *root, const char *dir,
                                  const char *repo, const char *name) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "mkdir -p '%s/packages' && cd '%s/%s' && "
           "tar -czPf '%s/packages/%s.mpm' --transform 's,^\\./,/,' . && "
           "cp meta/package.yaml '%s/packages/%s.yaml' && "
           "rm -rf '%s/%s'",
           repo, root, dir, repo, name, repo, name, root, dir);
  ck_assert_int_eq(system(cmd), 0);
}

void capstan_recipe_into(const char *repo, const char *name,
                         const char *recipe, const char *program,
                         const char *link, const char *dir) {
  char stage[64], rel[256], text[512], run_yaml[128];
  e2e_package_new(stage, sizeof stage);
  snprintf(text, sizeof text, "mkdir -p '%s/%s/meta' '%s/%s/bin'", stage,
           name, stage, name);
  ck_assert_int_eq(system(text), 0);
  snprintf(rel, sizeof rel, "%s/meta/package.yaml", name);
  snprintf(text, sizeof text,
           "name: %s\ntitle: %s\nauthor: MIKELANGELO Project "
           "(info@mikelangelo-project.eu)\nversion: \"0.1\"\n",
           name, name);
  e2e_package_write(stage, rel, text);
  snprintf(run_yaml, sizeof run_yaml, "tests/capstan/recipes/%s.run.yaml",
           recipe);
  snprintf(rel, sizeof rel, "%s/meta/run.yaml", name);
  e2e_package_copy(stage, run_yaml, rel);
  snprintf(rel, sizeof rel, "%s/%s", name, program);
  e2e_package_copy(stage, "tests/packages/progs/lib/argv-echo.so", rel);
  if (dir != NULL) {
    snprintf(text, sizeof text, "mkdir -p '%s/%s/%s'", stage, name, dir);
    ck_assert_int_eq(system(text), 0);
  }
  if (link != NULL) {
    const char *eq = strchr(link, '=');
    snprintf(text, sizeof text, "%s/%s/%.*s", stage, name,
             (int)(eq - link), link);
    ck_assert_int_eq(symlink(eq + 1, text), 0);
  }
  capstan_pack_into_repository(stage, name, repo, name);
  e2e_package_remove(stage);
}

