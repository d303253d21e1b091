/* oci.h - the OCI runner: the host's process service running a shim
 * (fern-oci-shim) that drives an OCI runtime (runc by default). */
#ifndef FERN_RUNNERS_OCI_H
#define FERN_RUNNERS_OCI_H

#include <limits.h>

#include <fern/runner.h>

#include "init_args.h"

/* What a container's config.json says. */
typedef struct oci_spec_s {
  const char *rootfs;   /* absolute */
  const char *hostname;
  json_t *argv;         /* [binary, args...] */
  json_t *env;          /* ["NAME=value", ...] */
  const char *cwd;
  int uid, gid;         /* the process's user: an image's, else root */
  json_int_t memory_limit; /* bytes; 0: none */
  json_int_t pids_limit;   /* 0: none */
  const char *cgroups_path; /* NULL: the runtime's default */
  const char *init;         /* fern-oci-init on the host, bound as PID 1 */
  /* What the component uses: [{"source": host path, "destination": path
   * in the container, "read_only": bool}], bound after /dev's tmpfs; or
   * NULL. */
  const json_t *uses;
  /* The protocols it serves: the runtime passes their sockets from fd 3
   * (--preserve-fds), and the env says how many and their names, as
   * systemd's socket activation does; fern-oci-init, told so by its first
   * argument (OCI_INIT_LISTEN_FDS), sets LISTEN_PID. */
  size_t listen_count;
  const char *listen_names; /* "a:b", as LISTEN_FDNAMES */
  /* Its structured configuration's file on the host, or NULL: bound
   * read-only at OCI_CONFIG_PATH; FERN_CONFIG names it. */
  const char *config;
  int rootfs_has_sys;   /* /sys can be mounted without making its point */
  int no_system_mounts; /* "system_mounts": false */
  int no_seccomp;       /* "seccomp": false */
  int run_tmpfs;        /* a tmpfs at /run, where the runtime binds its
                         * notify socket (/run/notify) for readiness */
} oci_spec;

/* The seccomp profile fern's containers get (oci_seccomp.c). */
json_t *oci_seccomp_profile(void);

/* A container's RLIMIT_NOFILE, soft and hard: runc spec's. */
#define OCI_NOFILE 1024

/* Where the container's namespace directory is: under /dev, the tmpfs
 * the runtime makes, so that no mount point is made in the package's
 * root file system. FERN_NAMESPACE names it. */
#define OCI_NAMESPACE_DIR "/dev/fern-ns"

/* Where the configuration file is: under /dev, as the namespace
 * directory is, and not at FERN_CONFIG_PATH, whose mount point the
 * runtime would make in the package's root file system. */
#define OCI_CONFIG_PATH "/dev/fern-config.json"

/* Where the init appears inside the container. */
#define OCI_INIT_PATH "/dev/.fern-init"

/* The bundle's config.json: the same spec gives byte-identical text
 * (sorted keys, fixed order of lists). Returns a malloc'd string. */
char *oci_config_text(const oci_spec *spec);

#endif
