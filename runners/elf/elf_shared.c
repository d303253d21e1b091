/* elf_shared.c - see elf_shared.h. */
#include "elf_shared.h"

#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct shared_run_s {
  char *loader; /* fern-osv-main */
  char *binary; /* the object, relative to the package */
  char *argv0;  /* the program block's "argv0", or NULL */
} shared_run;

static void shared_run_free(void *arg) {
  shared_run *run = arg;
  free(run->loader);
  free(run->binary);
  free(run->argv0);
  free(run);
}

/* The loader is installed beside this plugin. fern loads a plugin
 * through the descriptor it checked, so dladdr names /proc/self/fd/N:
 * realpath follows that to the file. */
static void loader_path(char *out, size_t size) {
  Dl_info info;
  char self[PATH_MAX] = ".";
  if (dladdr((void *)loader_path, &info) == 0 || info.dli_fname == NULL ||
      realpath(info.dli_fname, self) == NULL)
    snprintf(self, sizeof self, ".");
  snprintf(out, size, "%s/fern-osv-main", dirname(self));
}

/* The object's real path, which must lie inside the package. */
static int object_path(const char *package_dir, const char *binary,
                       char *out, fern_error_t *err) {
  char package[PATH_MAX], joined[PATH_MAX * 2];
  if (realpath(package_dir, package) == NULL)
    return fern_error_set(err, FERN_ENOENT, NULL, "package %s: %s",
                          package_dir, strerror(errno));
  snprintf(joined, sizeof joined, "%s/%s", package, binary);
  if (realpath(joined, out) == NULL)
    return fern_error_set(err, FERN_ENOENT, "/binary", "%s: %s", binary,
                          strerror(errno));
  size_t n = strlen(package);
  if (strncmp(out, package, n) != 0 || out[n] != '/')
    return fern_error_set(err, FERN_EINVAL, "/binary",
                          "%s leads out of the package (to %s)", binary, out);
  return FERN_OK;
}

/* The loader's command line: the object, argv[0] ("argv0", else OSv's
 * path of it: "/" is the package's top), then the args. Worker thread. */
static int shared_prepare(void *arg, fern_spawn_plan_t *plan,
                          fern_error_t *err) {
  const shared_run *run = arg;
  char object[PATH_MAX];
  int rc = object_path(plan->package_dir, run->binary, object, err);
  if (rc != FERN_OK)
    return rc;
  size_t n = 0;
  while (plan->args != NULL && plan->args[n] != NULL)
    n++;
  char **argv = calloc(n + 4, sizeof *argv);
  if (argv == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  plan->wrapper_argv = argv; /* the host's from here, even on failure */
  int ok = (argv[0] = strdup(run->loader)) != NULL &&
           (argv[1] = strdup(object)) != NULL &&
           (run->argv0 != NULL ? (argv[2] = strdup(run->argv0)) != NULL
                               : asprintf(&argv[2], "/%s", run->binary) >= 0) &&
           (plan->wrapper_path = strdup(run->loader)) != NULL;
  for (size_t i = 0; ok && i < n; i++)
    ok = (argv[3 + i] = strdup(plan->args[i])) != NULL;
  return ok ? FERN_OK : fern_error_set(err, FERN_ENOMEM, NULL,
                                       "out of memory");
}

int elf_shared_start(native_runner *r, const fern_start_info_t *info,
                     void **controller, fern_error_t *err) {
  char loader[PATH_MAX];
  loader_path(loader, sizeof loader);
  /* It runs as fern's user for the component: it must pass the rule a
   * plugin passes (only root or fern's user can change it). */
  int fd = r->host->open_trusted(r->host->ctx, loader, err);
  if (fd < 0)
    return fd;
  close(fd);
  shared_run *run = calloc(1, sizeof *run);
  const char *argv0 = json_string_value(json_object_get(info->program,
                                                        "argv0"));
  if (run != NULL && argv0 != NULL && (run->argv0 = strdup(argv0)) == NULL) {
    shared_run_free(run);
    run = NULL;
  }
  if (run == NULL ||
      (run->loader = strdup(loader)) == NULL ||
      (run->binary = strdup(json_string_value(
           json_object_get(info->program, "binary")))) == NULL) {
    if (run != NULL)
      shared_run_free(run);
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  }
  native_start how = {.flags = FERN_SPAWN_NO_EXEC,
                      .shares_namespace = 1,
                      .prepare = shared_prepare,
                      .hook_arg = run,
                      .hook_arg_free = shared_run_free};
  return native_runner_start(r, info, &how, controller, err);
}
