/* oci_config.c - writes an OCI runtime spec (config.json) for a component,
 * never looser than the one `runc spec` writes (runc's
 * libcontainer/specconv/example.go, Example()): its own read-only root
 * file system; new pid, mount, ipc, uts and network namespaces; /proc, a
 * small /dev with /dev/pts, /dev/shm and /dev/mqueue, /sys read-only
 * (runc's mounts, which "system_mounts": false leaves out), and a tmpfs
 * /tmp; runc's masked and read-only paths; RLIMIT_NOFILE 1024; every
 * device denied but those the runtime always allows; no new privileges;
 * and stricter than runc in capabilities (none), in a seccomp profile of
 * Docker's kind (oci_seccomp.c; "seccomp": false leaves it out), and in
 * the limits the manifest gives. */
#include <stdlib.h>
#include <string.h>

#include "oci.h"

/* What ordinary programs need beside /dev, as runc spec mounts them:
 * ptys, POSIX shared memory and message queues (all on /dev's tmpfs, so
 * no mount point is made in the package's root file system), and /sys
 * read-only where the root file system has a /sys to mount it on. */
static void system_mounts(const oci_spec *spec, json_t *list) {
  json_array_append_new(
      list, json_pack("{s:s, s:s, s:s, s:[s,s,s,s,s,s]}", "destination",
                      "/dev/pts", "type", "devpts", "source", "devpts",
                      "options", "nosuid", "noexec", "newinstance",
                      "ptmxmode=0666", "mode=0620", "gid=5"));
  json_array_append_new(
      list, json_pack("{s:s, s:s, s:s, s:[s,s,s,s,s]}", "destination",
                      "/dev/shm", "type", "tmpfs", "source", "shm",
                      "options", "nosuid", "noexec", "nodev", "mode=1777",
                      "size=65536k"));
  json_array_append_new(
      list, json_pack("{s:s, s:s, s:s, s:[s,s,s]}", "destination",
                      "/dev/mqueue", "type", "mqueue", "source", "mqueue",
                      "options", "nosuid", "noexec", "nodev"));
  if (spec->rootfs_has_sys)
    json_array_append_new(
        list, json_pack("{s:s, s:s, s:s, s:[s,s,s,s]}", "destination",
                        "/sys", "type", "sysfs", "source", "sysfs",
                        "options", "nosuid", "noexec", "nodev", "ro"));
}

static json_t *mounts(const oci_spec *spec) {
  json_t *list = json_pack(
      "[{s:s, s:s, s:s}, {s:s, s:s, s:s, s:[s,s,s,s]},"
      " {s:s, s:s, s:s, s:[s,s,s]}]",
      "destination", "/proc", "type", "proc", "source", "proc",
      "destination", "/dev", "type", "tmpfs", "source", "tmpfs", "options",
      "nosuid", "strictatime", "mode=755", "size=65536k",
      "destination", "/tmp", "type", "tmpfs", "source", "tmpfs", "options",
      "nosuid", "nodev", "mode=1777");
  if (!spec->no_system_mounts)
    system_mounts(spec, list);
  if (spec->run_tmpfs)
    json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:[s,s,s]}",
                                          "destination", "/run", "type",
                                          "tmpfs", "source", "tmpfs",
                                          "options", "nosuid", "nodev",
                                          "mode=755"));
  /* After /dev's tmpfs, so the mount point is made there, not in the
   * package's root file system. */
  json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:[s,s]}",
                                        "destination", OCI_INIT_PATH, "type",
                                        "bind", "source", spec->init,
                                        "options", "bind", "ro"));
  size_t i;
  const json_t *use;
  json_array_foreach(spec->uses, i, use) {
    json_t *options = json_pack("[s]", "bind");
    if (json_is_true(json_object_get(use, "read_only")))
      json_array_append_new(options, json_string("ro"));
    json_array_append_new(
        list, json_pack("{s:O, s:s, s:O, s:o}", "destination",
                        json_object_get(use, "destination"), "type", "bind",
                        "source", json_object_get(use, "source"), "options",
                        options));
  }
  if (spec->config != NULL)
    json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:[s,s]}",
                                          "destination", OCI_CONFIG_PATH,
                                          "type", "bind", "source",
                                          spec->config, "options", "bind",
                                          "ro"));
  return list;
}

static json_t *linux_block(const oci_spec *spec) {
  json_t *resources = json_object();
  if (spec->memory_limit > 0)
    json_object_set_new(resources, "memory",
                        json_pack("{s:I}", "limit", spec->memory_limit));
  if (spec->pids_limit > 0)
    json_object_set_new(resources, "pids",
                        json_pack("{s:I}", "limit", spec->pids_limit));
  /* Every device denied; the runtime allows its own few (null, zero,
   * full, tty, random, urandom, the pty ones), as under runc spec. */
  json_object_set_new(resources, "devices",
                      json_pack("[{s:b, s:s}]", "allow", 0, "access", "rwm"));
  json_t *block = json_pack(
      "{s:[{s:s},{s:s},{s:s},{s:s},{s:s}], s:o,"
      " s:[s,s,s,s,s,s,s,s,s,s,s], s:[s,s,s,s,s]}",
      "namespaces", "type", "pid", "type", "mount", "type", "ipc", "type",
      "uts", "type", "network", "resources", resources, "maskedPaths",
      "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
      "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
      "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
      /* Docker's too: the RAPL energy counters (Platypus). */
      "/sys/devices/virtual/powercap", "readonlyPaths",
      "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
      "/proc/sysrq-trigger");
  if (spec->cgroups_path != NULL)
    json_object_set_new(block, "cgroupsPath", json_string(spec->cgroups_path));
  if (!spec->no_seccomp)
    json_object_set_new(block, "seccomp", oci_seccomp_profile());
  return block;
}

/* Whether `entry` ("NAME=value") sets one of socket activation's
 * variables (sd_listen_fds(3)). */
static int sets_listen_variable(const char *entry) {
  static const char *const names[] = {"LISTEN_FDS=", "LISTEN_PID=",
                                      "LISTEN_FDNAMES=", NULL};
  for (size_t i = 0; entry != NULL && names[i] != NULL; i++)
    if (strncmp(entry, names[i], strlen(names[i])) == 0)
      return 1;
  return 0;
}

/* The program's env, with what fern gives after it. Where the component
 * serves protocols, the program's own LISTEN_FDS, LISTEN_PID and
 * LISTEN_FDNAMES are dropped: the handed-over sockets are the truth (as
 * the ELF and sandbox runners have fern's variables win). */
static json_t *environment(const oci_spec *spec) {
  json_t *env = json_array();
  size_t i;
  const json_t *entry;
  int has_path = 0; /* an image's Env usually says PATH: it wins */
  json_array_foreach(spec->env, i, entry) has_path |=
      strncmp(json_string_value(entry), "PATH=", 5) == 0;
  if (!has_path)
    json_array_append_new(env, json_string("PATH=/bin:/usr/bin:/sbin"));
  json_array_foreach(spec->env, i, entry) {
    const char *text = json_string_value(entry);
    if (spec->listen_count == 0 || !sets_listen_variable(text))
      json_array_append(env, (json_t *)entry);
  }
  if (json_array_size(spec->uses) > 0)
    json_array_append_new(env,
                          json_string("FERN_NAMESPACE=" OCI_NAMESPACE_DIR));
  if (spec->config != NULL)
    json_array_append_new(env, json_string("FERN_CONFIG=" OCI_CONFIG_PATH));
  if (spec->listen_count > 0) {
    json_array_append_new(env, json_sprintf("LISTEN_FDS=%zu",
                                            spec->listen_count));
    json_array_append_new(env, json_sprintf("LISTEN_FDNAMES=%s",
                                            spec->listen_names));
  }
  return env;
}

char *oci_config_text(const oci_spec *spec) {
  json_t *argv = json_deep_copy(spec->argv);
  /* Only fern's word makes the init hand sockets on, never a LISTEN_FDS
   * of the program's own env. */
  if (spec->listen_count > 0)
    json_array_insert_new(argv, 0, json_sprintf(OCI_INIT_LISTEN_FDS "%zu",
                                                spec->listen_count));
  json_array_insert_new(argv, 0, json_string(OCI_INIT_PATH));
  json_t *env = environment(spec);
  json_t *process = json_pack(
      "{s:b, s:{s:i, s:i}, s:o, s:o, s:s, s:b, s:{}, s:[{s:s, s:i, s:i}]}",
      "terminal", 0, "user", "uid", spec->uid, "gid", spec->gid, "args", argv,
      "env", env,
      "cwd", spec->cwd ? spec->cwd : "/", "noNewPrivileges", 1,
      "capabilities", "rlimits", "type", "RLIMIT_NOFILE", "hard",
      OCI_NOFILE, "soft", OCI_NOFILE);
  json_t *config = json_pack(
      "{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}", "ociVersion", "1.0.2",
      "process", process, "root", "path", spec->rootfs, "readonly", 1,
      "hostname", spec->hostname, "mounts", mounts(spec), "linux",
      linux_block(spec));
  char *text = json_dumps(config, JSON_SORT_KEYS | JSON_INDENT(2));
  json_decref(config);
  return text;
}
