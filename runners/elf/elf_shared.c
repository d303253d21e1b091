/* elf_shared.c - see elf_shared.h. */
#include "elf_shared.h"

#include "../common/runner_common.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct shared_run_s {
  const fern_host_t *host;
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

/* The loader's command line: the descriptor of the object, the very file
 * the host checked inside the package (a regular file, reached by no
 * link out of it), handed over; argv[0] ("argv0", else OSv's path of
 * it: "/" is the package's top); then the args. Worker thread. */
static int shared_prepare(void *arg, fern_spawn_plan_t *plan,
                          fern_error_t *err) {
  const shared_run *run = arg;
  char real[PATH_MAX];
  int fd = run->host->package_open(run->host->ctx, plan->package_dir,
                                   run->binary, real, sizeof real, err);
  if (fd < 0)
    return fd;
  int number = plan->first_wrapper_fd + plan->wrapper_fd_count;
  plan->wrapper_fds[plan->wrapper_fd_count++] = fd; /* the host's now */
  size_t n = 0;
  while (plan->args != NULL && plan->args[n] != NULL)
    n++;
  char **argv = calloc(n + 4, sizeof *argv);
  if (argv == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  plan->wrapper_argv = argv; /* the host's from here, even on failure */
  char *argv0 = NULL, *fd_text = NULL, *loader = strdup(run->loader);
  if (run->argv0 != NULL)
    argv0 = strdup(run->argv0);
  else if (asprintf(&argv0, "/%s", run->binary) < 0)
    argv0 = NULL;
  if (asprintf(&fd_text, "%d", number) < 0)
    fd_text = NULL;
  int ok = loader != NULL && fd_text != NULL && argv0 != NULL &&
           (plan->wrapper_path = strdup(run->loader)) != NULL;
  if (ok) { /* no hole in the vector the host frees */
    argv[0] = loader;
    argv[1] = fd_text;
    argv[2] = argv0;
  } else {
    free(loader);
    free(fd_text);
    free(argv0);
  }
  for (size_t i = 0; ok && i < n; i++)
    ok = (argv[3 + i] = strdup(plan->args[i])) != NULL;
  return ok ? FERN_OK : fern_error_set(err, FERN_ENOMEM, NULL,
                                       "out of memory");
}

int elf_shared_start(native_runner *r, const fern_start_info_t *info,
                     void **controller, fern_error_t *err) {
  char loader[PATH_MAX];
  if (runner_beside_plugin("fern-osv-main", loader, sizeof loader) != 0)
    return fern_error_set(err, FERN_ENOENT, NULL,
                          "cannot find fern-osv-main beside the elf runner's "
                          "plugin");
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
  if (run != NULL)
    run->host = r->host;
  if (run == NULL ||
      (run->loader = strdup(loader)) == NULL ||
      (run->binary = strdup(json_string_value(
           json_object_get(info->program, "binary")))) == NULL) {
    if (run != NULL)
      shared_run_free(run);
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  }
  native_start how = {.flags = FERN_SPAWN_NO_EXEC |
                               elf_root_flags(info->program),
                      .shares_namespace = 1,
                      .prepare = shared_prepare,
                      .hook_arg = run,
                      .hook_arg_free = shared_run_free};
  return native_runner_start(r, info, &how, controller, err);
}
