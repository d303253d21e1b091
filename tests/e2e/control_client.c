/* control_client.c - see control_client.h. */
#include "control_client.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

void e2e_control_serve(e2e_served *s) { e2e_control_serve_with(s, NULL); }

void e2e_control_serve_with(e2e_served *s, const char *const *options) {
  snprintf(s->sock, sizeof s->sock, "%s/control.sock", s->pkg);
  char root[4200];
  snprintf(root, sizeof root, "%s/meta/root.cm", s->pkg);
  const char *asan = getenv("ASAN_OPTIONS");
  char asan_options[1024];
  snprintf(asan_options, sizeof asan_options, "%s%squarantine_size_mb=8",
           asan ? asan : "", asan ? ":" : "");
  setenv("ASAN_OPTIONS", asan_options, 1);
  const char *args[16] = {"run", "--keep-running"};
  int n = 2;
  for (int i = 0; options != NULL && options[i] != NULL && n < 12; i++)
    args[n++] = options[i];
  args[n++] = "--control";
  args[n++] = s->sock;
  args[n++] = root;
  args[n] = NULL;
  e2e_start(&s->fern, args);
  e2e_wait_for(&s->fern, "control socket ", 20000);
}

int e2e_control_connect(e2e_proc *fern, const char *sock) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  ck_assert_int_ge(fd, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock);
  long deadline = e2e_now_ms() + 20000;
  while (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    ck_assert_msg(errno == EAGAIN && e2e_now_ms() < deadline,
                  "cannot connect to %s: %s", sock, strerror(errno));
    e2e_pump(fern, 5);
  }
  return fd;
}

void e2e_control_served_end(e2e_served *s) {
  kill(s->fern.pid, SIGTERM);
  e2e_finish(&s->fern, 60000);
  e2e_free(&s->fern);
  e2e_package_remove(s->pkg);
}

json_t *e2e_control_json(e2e_served *s, const char *command, const char *a1,
                         const char *a2) {
  e2e_proc p;
  const char *args[] = {command, "--control", s->sock, "--json", a1, a2, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 0);
  json_t *out = json_loads(p.out, 0, NULL);
  ck_assert_msg(out != NULL, "not JSON: %s", p.out);
  e2e_free(&p);
  return out;
}

long e2e_peak_memory(pid_t pid) {
  char value[64];
  long kb = strtol(e2e_status_field(pid, "VmHWM", value, sizeof value),
                   NULL, 10);
  ck_assert_int_gt(kb, 0);
  return kb * 1024;
}
