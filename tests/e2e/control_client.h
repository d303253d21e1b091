/* control_client.h - what the tests of the control socket share: a fern
 * that serves one, a raw client of it, and fern's peak memory. */
#ifndef FERN_TESTS_E2E_CONTROL_CLIENT_H
#define FERN_TESTS_E2E_CONTROL_CLIENT_H

#include <jansson.h>

#include "e2e.h"

/* A fern serving a package of the test's, and its control socket. */
typedef struct e2e_served_s {
  char pkg[4096];
  char sock[4200];
  e2e_proc fern;
} e2e_served;

/* Runs `fern run --keep-running` on the package's meta/root.cm with its
 * control socket at PKG/control.sock, and waits until the socket is
 * served. Under AddressSanitizer, freed memory waits in a quarantine of up
 * to 256 MB before it is reused, and fern's resident memory would measure
 * it: the quarantine is made small. */
void e2e_control_serve(e2e_served *s);
/* The same with OPTIONS (NULL-terminated, at most 10) before --control:
 * {"--config", PATH, NULL}. */
void e2e_control_serve_with(e2e_served *s, const char *const *options);

/* SIGTERM to the served fern, its end awaited, the package removed. */
void e2e_control_served_end(e2e_served *s);
/* `fern COMMAND --control SOCK --json A1 A2` (A2 may be NULL) run to its
 * end, exit 0; its output as JSON, the caller's. */
json_t *e2e_control_json(e2e_served *s, const char *command, const char *a1,
                         const char *a2);

/* A non-blocking connection to `sock`. While fern's listen backlog is
 * full, reads what fern logs, so that fern never waits on its own output. */
int e2e_control_connect(e2e_proc *fern, const char *sock);

/* VmHWM, the peak resident memory of `pid`, in bytes. */
long e2e_peak_memory(pid_t pid);

#endif
