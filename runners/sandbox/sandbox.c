/* sandbox.c - the sandbox runner plugin: an ELF program run with
 * bubblewrap: every namespace unshared (the network only shared when the
 * manifest asks), all capabilities dropped, a new session, die-with-parent,
 * a tmpfs /tmp, the package bound read-only, and only the binary's own
 * interpreter and libraries bound besides; a deny-by-default seccomp filter
 * on top. "sandbox": "none" runs the same program plainly, for comparison.
 * Everything else (jobs, stop, output, readiness) is the ELF runner's. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"

#define BWRAP_PATH "/usr/bin/bwrap"

static const char *const sandbox_keys[] = {"sandbox", "network", "syscalls",
                                           NULL};

static int sandbox_validate(void *runner, const json_t *program,
                            fern_error_t *err) {
  (void)runner;
  int rc = elf_program_validate(program, "sandbox", sandbox_keys, err);
  if (rc != FERN_OK)
    return rc;
  json_t *mode = json_object_get(program, "sandbox");
  const char *m = json_string_value(mode);
  if (mode != NULL && (m == NULL || (strcmp(m, "bwrap") != 0 &&
                                     strcmp(m, "none") != 0)))
    return fern_error_set(err, FERN_EINVAL, "/sandbox",
                          "\"sandbox\" must be \"bwrap\" or \"none\"");
  json_t *net = json_object_get(program, "network");
  if (net != NULL && !json_is_boolean(net))
    return fern_error_set(err, FERN_EINVAL, "/network",
                          "\"network\" must be true or false");
  json_t *calls = json_object_get(program, "syscalls");
  if (calls != NULL && !json_is_array(calls))
    return fern_error_set(err, FERN_EINVAL, "/syscalls",
                          "\"syscalls\" must be an array of syscall names");
  size_t i;
  json_t *call;
  json_array_foreach(calls, i, call) {
    if (!json_is_string(call) || !sandbox_syscall_known(json_string_value(call)))
      return fern_error_set(err, FERN_EINVAL, "/syscalls",
                            "unknown syscall \"%s\" in \"syscalls\"",
                            json_is_string(call) ? json_string_value(call)
                                                 : "?");
  }
  return FERN_OK;
}

static int sandbox_create(const fern_host_t *host, const json_t *config,
                          void **runner, fern_error_t *err) {
  return elf_runner_create(host, config, "sandbox", runner, err);
}

static void plan_free(void *p) {
  sandbox_plan *plan = p;
  for (size_t i = 0; plan->syscalls && plan->syscalls[i]; i++)
    free(plan->syscalls[i]);
  free(plan->syscalls);
  free(plan);
}

static sandbox_plan *plan_read(const json_t *program) {
  sandbox_plan *plan = calloc(1, sizeof *plan);
  if (plan == NULL)
    return NULL;
  const char *mode = json_string_value(json_object_get(program, "sandbox"));
  plan->enabled = mode == NULL || strcmp(mode, "bwrap") == 0;
  plan->network = json_is_true(json_object_get(program, "network"));
  json_t *calls = json_object_get(program, "syscalls");
  plan->syscalls = calloc(json_array_size(calls) + 1, sizeof(char *));
  for (size_t i = 0; plan->syscalls && i < json_array_size(calls); i++)
    plan->syscalls[i] = strdup(json_string_value(json_array_get(calls, i)));
  return plan;
}

typedef struct argv_builder_s {
  char **v;
  size_t n;
} argv_builder;

static void push(argv_builder *b, const char *s) {
  char **grown = realloc(b->v, (b->n + 2) * sizeof *grown);
  if (grown == NULL)
    return;
  b->v = grown;
  b->v[b->n++] = strdup(s);
  b->v[b->n] = NULL;
}

static void push_bind(argv_builder *b, const char *real, const char *dest) {
  push(b, "--ro-bind");
  push(b, real);
  push(b, dest);
}

/* Pushes "OPTION N VALUE" for a descriptor handed to bwrap (taken, and
 * closed if there is no room for it). */
static int push_fd_option(argv_builder *b, elf_controller *c,
                          const char *option, int fd, const char *value,
                          fern_error_t *err) {
  int number = elf_wrapper_fd_add(c, fd);
  if (number < 0)
    return fern_error_set(err, FERN_EIO, NULL,
                          "cannot hand bubblewrap a descriptor for %s",
                          value ? value : option);
  char text[16];
  snprintf(text, sizeof text, "%d", number);
  push(b, option);
  push(b, text);
  if (value != NULL)
    push(b, value);
  return FERN_OK;
}

static void free_pairs(char **libs) {
  for (size_t i = 0; libs != NULL && libs[i] != NULL; i++)
    free(libs[i]);
  free(libs);
}

/* The bubblewrap command line for this run. Worker thread. */
static int sandbox_prepare(elf_controller *c, fern_error_t *err) {
  sandbox_plan *plan = c->wrapper;
  if (!plan->enabled)
    return FERN_OK;
  char **libs = NULL;
  int rc = sandbox_libraries(c->binary_fd, c->binary_path, c->package_dir,
                             c->environ, &libs, err);
  if (rc != FERN_OK)
    return rc;
  argv_builder b = {NULL, 0};
  static const char *const fixed[] = {
      "bwrap", "--unshare-all", "--die-with-parent", "--new-session",
      "--cap-drop", "ALL", "--proc", "/proc", "--dev", "/dev", "--tmpfs",
      "/tmp", NULL};
  for (size_t i = 0; fixed[i]; i++)
    push(&b, fixed[i]);
  if (plan->network)
    push(&b, "--share-net");
  push_bind(&b, c->package_dir, c->package_dir);
  /* The program the check read, whatever its path leads to by now: bwrap
   * gets the checked descriptor and binds that very file over the
   * binary's path. */
  int filter = sandbox_seccomp_fd(plan, err);
  int binary = fcntl(c->binary_fd, F_DUPFD_CLOEXEC, 0);
  rc = filter < 0   ? filter
       : binary < 0 ? fern_error_set(err, FERN_EIO, NULL,
                                     "cannot duplicate the binary's "
                                     "descriptor: %s",
                                     strerror(errno))
                    : push_fd_option(&b, c, "--seccomp", filter, NULL, err);
  if (rc == FERN_OK)
    rc = push_fd_option(&b, c, "--ro-bind-fd", binary, c->binary_path, err);
  else if (binary >= 0)
    close(binary);
  if (filter >= 0 && rc != FERN_OK && c->wrapper_fd_count == 0)
    close(filter);
  for (size_t i = 0; libs[i] != NULL; i += 2)
    push_bind(&b, libs[i + 1], libs[i]);
  free_pairs(libs);
  push(&b, "--chdir");
  push(&b, c->package_dir);
  push(&b, "--");
  push(&b, c->binary_path);
  for (size_t i = 1; c->argv[i] != NULL; i++)
    push(&b, c->argv[i]);
  c->exec_argv = b.v;
  c->exec_path = strdup(BWRAP_PATH);
  c->exit_codes_as_signals = 1;
  return rc;
}

/* bwrap must outlive the program to report on it: the program, and what
 * it started, get the SIGTERM. If the program is not up yet, bwrap gets it
 * and takes the rest with it (die-with-parent). */
static void sandbox_send_term(elf_controller *c) {
  if (elf_job_signal_others(&c->job, SIGTERM, c->exec_path) == 0)
    elf_process_signal(c, SIGTERM);
}

static int sandbox_start(void *runner, const fern_start_info_t *info,
                         void **controller, fern_error_t *err) {
  sandbox_plan *plan = plan_read(info->program);
  if (plan == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  if (plan->enabled && access(BWRAP_PATH, X_OK) != 0) {
    plan_free(plan);
    return fern_error_set(err, FERN_ENOENT, NULL,
                          "bubblewrap is not installed (%s); install the "
                          "bubblewrap package, or use \"sandbox\": \"none\"",
                          BWRAP_PATH);
  }
  /* The binary check runs on the thread pool and calls sandbox_prepare
   * when it is done. */
  elf_wrapping wrapping = {.prepare_exec = sandbox_prepare,
                          .wrapper = plan,
                          .wrapper_free = plan_free,
                          .send_term = sandbox_send_term};
  int rc = elf_start_wrapped(runner, info, &wrapping, controller, err);
  if (rc != FERN_OK)
    plan_free(plan);
  return rc;
}

FERN_RUNNER_PLUGIN(.name = "sandbox",
                   .description = "ELF programs in a bubblewrap + seccomp "
                                  "sandbox",
                   .capabilities =
                       FERN_RUNNER_CAP_GRACEFUL_STOP | FERN_RUNNER_CAP_KILL,
                   .create = sandbox_create, .release = elf_op_release,
                   .validate = sandbox_validate, .start = sandbox_start,
                   .stop = elf_op_stop, .kill = elf_op_kill,
                   .controller_release = elf_op_controller_release);
