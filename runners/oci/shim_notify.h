/* shim_notify.h - the shim's relay for readiness (see shim.c): the
 * runtime is given a notify socket of the shim's own, and what arrives
 * on it is sent on to fern's from the shim, which lives in the job as
 * long as the container does, so fern always knows the sender for one
 * of the job's processes. Descriptors passed with a message (the
 * BARRIER=1 pipe of sd_notify_barrier, which runc sends) are closed at
 * once, which is what the barrier waits for. */
#ifndef FERN_RUNNERS_OCI_SHIM_NOTIFY_H
#define FERN_RUNNERS_OCI_SHIM_NOTIFY_H

/* Makes the relay socket (in a short /tmp directory of its own, removed
 * at exit) and points NOTIFY_SOCKET at it for the runtime commands;
 * `fern_socket` is where messages go. The socket, or -1. */
int notify_relay_open(const char *fern_socket);

/* Sends on every message waiting on `relay`. */
void notify_relay_pump(int relay);

#endif
