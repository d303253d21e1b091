/* oci_shim_args.c - the shim's command line for one container (see
 * shim.c): its options, then RUNTIME ROOT BUNDLE ID PIDFILE.
 *
 *   --console                   a prepared bundle wants a terminal
 *   --hide-unified-controllers  crun on a host whose unified cgroup
 *                               hierarchy has controllers (hybrid)
 *   --runtime-arg ARG           each of the runner's config's
 *                               "runtime_args" (only fern's configuration
 *                               gives the runtime, which runs as root,
 *                               global flags: never a package)
 *   --notify-socket PATH        readiness: fern's socket file, which the
 *                               runtime is given as NOTIFY_SOCKET
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci.h"
#include "oci_run.h"

int oci_runtime_args_check(const json_t *args, const char *where,
                           fern_error_t *err) {
  if (args == NULL)
    return FERN_OK;
  size_t i;
  const json_t *arg;
  int ok = json_is_array(args) && json_array_size(args) <= OCI_RUNTIME_ARGS_MAX;
  json_array_foreach(args, i, arg) ok =
      ok && json_is_string(arg) && json_string_value(arg)[0] == '-';
  return ok ? FERN_OK
            : fern_error_set(err, FERN_EINVAL, "/runtime_args",
                             "%s \"runtime_args\" must be a list of at most "
                             "%d of the runtime's global flags (each "
                             "beginning with '-', as --systemd-cgroup)",
                             where, OCI_RUNTIME_ARGS_MAX);
}

/* The unified hierarchy of a hybrid host has controllers: crun refuses
 * such a host. */
static int unified_has_controllers(void) {
  FILE *f = fopen("/sys/fs/cgroup/unified/cgroup.controllers", "re");
  int c = f != NULL ? fgetc(f) : EOF;
  if (f != NULL)
    fclose(f);
  return c != EOF && c != '\n';
}

static int runtime_is_crun(const char *path) {
  const char *slash = strrchr(path, '/');
  return strcmp(slash ? slash + 1 : path, "crun") == 0;
}

/* Appends `text` to the NULL-terminated `argv` (of room `room`). */
static int push(char **argv, size_t *n, size_t room, const char *text) {
  if (*n + 1 >= room || (argv[*n] = strdup(text ? text : "")) == NULL)
    return -1;
  (*n)++;
  return 0;
}

char **oci_shim_argv(oci_run *run, const char *pid_file,
                     const char *notify_file) {
  size_t room = 8 + 2 * 2 * OCI_RUNTIME_ARGS_MAX, n = 0;
  char **argv = calloc(room, sizeof *argv);
  if (argv == NULL)
    return NULL;
  int ok = push(argv, &n, room, run->runner->shim) == 0;
  if (ok && run->terminal)
    ok = push(argv, &n, room, "--console") == 0;
  if (ok && notify_file != NULL)
    ok = push(argv, &n, room, "--notify-socket") == 0 &&
         push(argv, &n, room, notify_file) == 0;
  if (ok && runtime_is_crun(run->runtime) && unified_has_controllers()) {
    ok = push(argv, &n, room, "--hide-unified-controllers") == 0;
    if (!run->runner->told_hybrid) {
      run->runner->told_hybrid = 1;
      run->host->log(run->host->ctx, FERN_LOG_INFO, NULL,
                     "oci runner: crun refuses a host whose unified cgroup "
                     "hierarchy has controllers (this one is hybrid); fern "
                     "hides them from it, in the shim's own mount "
                     "namespace, and crun uses the v1 hierarchies");
    }
  }
  size_t i;
  const json_t *arg;
  json_array_foreach(run->runner->runtime_args, i, arg) {
    ok = ok && push(argv, &n, room, "--runtime-arg") == 0 &&
         push(argv, &n, room, json_string_value(arg)) == 0;
  }
  ok = ok && push(argv, &n, room, run->runtime) == 0 &&
       push(argv, &n, room, run->runner->root) == 0 &&
       push(argv, &n, room, run->given_bundle[0] ? run->given_bundle
                                                 : run->bundle) == 0 &&
       push(argv, &n, room, run->id) == 0 &&
       push(argv, &n, room, pid_file) == 0;
  if (!ok) {
    for (size_t k = 0; k < n; k++)
      free(argv[k]);
    free(argv);
    return NULL;
  }
  return argv;
}
