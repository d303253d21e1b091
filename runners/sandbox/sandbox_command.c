/* sandbox_command.c - the bubblewrap command line of one run, a step per
 * concept: the isolation every run gets; the package, through the
 * descriptor of the directory checked (sandbox_package.c); the binary,
 * through the descriptor the check read; what the program loads from
 * outside the package, only what no one but root and fern's user can
 * change (sandbox_binds.c); the seccomp filter; the program's command.
 * Nothing is bound by a path that anyone else could change before
 * bubblewrap mounts it. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"

/* Every namespace unshared, no capability, a session of its own, gone with
 * fern, a /proc and /dev of its own and an empty /tmp. */
static const char *const isolation[] = {
    "bwrap", "--unshare-all", "--die-with-parent", "--new-session",
    "--cap-drop", "ALL", "--proc", "/proc", "--dev", "/dev", "--tmpfs",
    "/tmp", NULL};

typedef struct bwrap_argv_s {
  char **v; /* NULL-terminated */
  size_t n;
  int failed; /* out of memory: the command is not to be run */
} bwrap_argv;

static void push(bwrap_argv *b, const char *s) {
  char **grown = b->failed ? NULL : realloc(b->v, (b->n + 2) * sizeof *grown);
  if (grown != NULL) {
    b->v = grown;
    grown[b->n] = NULL;
  }
  char *copy = grown != NULL ? strdup(s) : NULL;
  if (copy == NULL) {
    b->failed = 1;
    return;
  }
  b->v[b->n++] = copy;
  b->v[b->n] = NULL;
}

void sandbox_strings_free(char **v) {
  for (size_t i = 0; v != NULL && v[i] != NULL; i++)
    free(v[i]);
  free(v);
}

/* Pushes "OPTION N [DEST]" for `fd` (taken), handed to bubblewrap as N. */
static int push_fd(bwrap_argv *b, fern_spawn_plan_t *sp, const char *option,
                   int fd, const char *dest, fern_error_t *err) {
  int number = sp->first_wrapper_fd + sp->wrapper_fd_count;
  if (sp->wrapper_fd_count == FERN_SPAWN_WRAPPER_FDS)
    close(fd);
  else
    sp->wrapper_fds[sp->wrapper_fd_count++] = fd;
  if (number >= sp->first_wrapper_fd + FERN_SPAWN_WRAPPER_FDS)
    return fern_error_set(err, FERN_EIO, NULL,
                          "cannot hand bubblewrap a descriptor for %s",
                          dest ? dest : option);
  char text[16];
  snprintf(text, sizeof text, "%d", number);
  push(b, option);
  push(b, text);
  if (dest != NULL)
    push(b, dest);
  return FERN_OK;
}

/* The package at its real path (`real`, filled here); its path as fern
 * knows it, if another, a link to it, as on the host. */
static int bind_package(bwrap_argv *b, fern_spawn_plan_t *sp, char *real,
                        fern_error_t *err) {
  int fd = sandbox_package_open(sp, real, err);
  int rc = fd < 0 ? fd : push_fd(b, sp, "--ro-bind-fd", fd, real, err);
  if (rc == FERN_OK && strcmp(real, sp->package_dir) != 0) {
    push(b, "--symlink");
    push(b, real);
    push(b, sp->package_dir);
  }
  return rc;
}

/* The program the check read, whatever its path leads to by now, bound
 * over that path. */
static int bind_binary(bwrap_argv *b, fern_spawn_plan_t *sp,
                       fern_error_t *err) {
  int fd = fcntl(sp->exec_fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0)
    return fern_error_set(err, FERN_EIO, NULL,
                          "cannot duplicate the binary's descriptor: %s",
                          strerror(errno));
  return push_fd(b, sp, "--ro-bind-fd", fd, sp->exec_path, err);
}

/* The interpreter, the libraries and the loader's cache, where the loader
 * in the sandbox opens them. */
static int bind_loaded(bwrap_argv *b, const sandbox_plan *plan,
                       const fern_spawn_plan_t *sp, const char *package,
                       fern_error_t *err) {
  sandbox_program program = {sp->exec_fd, sp->exec_path, package,
                             sp->environ, plan->host};
  char **binds = NULL;
  int rc = sandbox_libraries(&program, &binds, err);
  for (size_t i = 0; rc == FERN_OK && binds[i] != NULL; i += 2) {
    push(b, "--ro-bind");
    push(b, binds[i + 1]);
    push(b, binds[i]);
  }
  sandbox_strings_free(binds);
  return rc;
}

/* The notify socket, a file of fern's, where NOTIFY_SOCKET says it is:
 * the sandbox has a network namespace of its own, and fern's abstract
 * sockets are in fern's (the start asked for FERN_SPAWN_NOTIFY_FILE). */
static void bind_notify(bwrap_argv *b, const fern_spawn_plan_t *sp) {
  if (sp->notify_file == NULL)
    return;
  push(b, "--bind");
  push(b, sp->notify_file);
  push(b, sp->notify_inside);
}

/* A program that serves protocols gets its sockets from fd 3 on (bwrap
 * keeps what it inherits) and LISTEN_PID must name it as it sees itself:
 * with a pid namespace of its own and without --as-pid-1, bwrap runs an
 * init as pid 1 and the program as its child, pid 2 (bubblewrap's
 * bwrap.xml, --as-pid-1). */
static void listen_pid(bwrap_argv *b, const sandbox_plan *plan) {
  if (!plan->serves)
    return;
  push(b, "--setenv");
  push(b, "LISTEN_PID");
  push(b, "2");
}

/* Each used capability at its path, and nothing else that is routed. */
static void bind_uses(bwrap_argv *b, const sandbox_plan *plan) {
  for (size_t i = 0; plan->uses[i] != NULL; i += 3) {
    push(b, plan->uses[i]);
    push(b, plan->uses[i + 1]);
    push(b, plan->uses[i + 2]);
  }
}

static int add_filter(bwrap_argv *b, const sandbox_plan *plan,
                      fern_spawn_plan_t *sp, fern_error_t *err) {
  int fd = sandbox_seccomp_fd(plan, err);
  return fd < 0 ? fd : push_fd(b, sp, "--seccomp", fd, NULL, err);
}

static void add_program(bwrap_argv *b, const fern_spawn_plan_t *sp) {
  push(b, "--chdir");
  push(b, sp->package_dir);
  push(b, "--");
  push(b, sp->exec_path);
  for (size_t i = 0; sp->args[i] != NULL; i++)
    push(b, sp->args[i]);
}

int sandbox_command(const sandbox_plan *plan, fern_spawn_plan_t *sp,
                    fern_error_t *err) {
  bwrap_argv b = {NULL, 0, 0};
  for (size_t i = 0; isolation[i] != NULL; i++)
    push(&b, isolation[i]);
  if (plan->network)
    push(&b, "--share-net");
  char package[PATH_MAX];
  int rc = bind_package(&b, sp, package, err);
  if (rc == FERN_OK)
    rc = bind_binary(&b, sp, err);
  if (rc == FERN_OK)
    rc = bind_loaded(&b, plan, sp, package, err);
  if (rc == FERN_OK) {
    bind_notify(&b, sp);
    bind_uses(&b, plan);
    listen_pid(&b, plan);
  }
  if (rc == FERN_OK)
    rc = add_filter(&b, plan, sp, err);
  if (rc == FERN_OK)
    add_program(&b, sp);
  if (rc == FERN_OK &&
      (b.failed || (sp->wrapper_path = strdup(BWRAP_PATH)) == NULL))
    rc = fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  if (rc != FERN_OK) {
    sandbox_strings_free(b.v);
    return rc;
  }
  sp->wrapper_argv = b.v;
  sp->exit_codes_as_signals = 1;
  /* bwrap must outlive the program to report on it: the program, and
   * what it started, get the SIGTERM; if the program is not up yet,
   * bwrap gets it and takes the rest with it (die-with-parent). */
  sp->term_spares = BWRAP_PATH;
  return FERN_OK;
}
