/* init_args.h - what the OCI runner tells fern-oci-init on its command
 * line, shared by the two (the init is a static program of its own). */
#ifndef FERN_RUNNERS_OCI_INIT_ARGS_H
#define FERN_RUNNERS_OCI_INIT_ARGS_H

/* The init's first argument when the program is handed N sockets by
 * socket activation ("--listen-fds=N", before the program): the init then
 * sets LISTEN_PID for the program and keeps no copy of them. Only this
 * word, never a LISTEN_FDS of the program's own env, makes it do so. */
#define OCI_INIT_LISTEN_FDS "--listen-fds="

#endif
