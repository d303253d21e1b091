/* runner_common.h - small pieces more than one runner plugin needs. Each
 * plugin links its own copy (a plugin links nothing of fern). */
#ifndef FERN_RUNNERS_COMMON_H
#define FERN_RUNNERS_COMMON_H

#include <fern/runner.h>

/* Checks that program[key], if present, is an array of strings; with
 * `environ_`, each "NAME=value". On error sets err->key to the element. */
int runner_check_strings(const json_t *program, const char *key, int environ_,
                         fern_error_t *err);

/* Refuses a start whose component uses capabilities (info->uses): these
 * runners cannot deliver them yet, and a program that would not find
 * what it uses must not start as if all were well (runner.h). */
/* The file of the component's structured configuration (runner ABI 2.2),
 * or NULL: none, or a host too old to give one. */
const char *runner_config_path(const fern_start_info_t *info);
/* The protocols a start serves (none before runner ABI 2.1). */
size_t runner_serve_count(const fern_start_info_t *info);
/* Refuses a component that serves protocols: FERN_ENOTSUP naming one. */
int runner_refuse_serves(const fern_start_info_t *info,
                         const char *runner_name, fern_error_t *err);
int runner_refuse_uses(const fern_start_info_t *info, const char *runner_name,
                       fern_error_t *err);

/* Whether `key` is one of `keys` (NULL-terminated; NULL: none). */
int runner_known_key(const char *key, const char *const *keys);

/* Refuses a program key the runner does not know, naming it and listing
 * `keys` (all but "runner"); a runner with keys of its own beyond those
 * passes them as `extra_keys`, which the message mentions, not lists. */
int runner_check_keys(const json_t *program, const char *runner_name,
                      const char *const *keys, const char *const *extra_keys,
                      fern_error_t *err);

/* The keys every program block of a native binary has: "binary" (a
 * non-empty path inside the package), "args" and "environ". */
int runner_check_binary_args_environ(const json_t *program, fern_error_t *err);

/* A process's start time (clock ticks since boot, field 22 of
 * /proc/PID/stat), 0 when it is gone: with its pid, it names one process
 * for good, even after the pid is reused. */
unsigned long long runner_process_start(int pid);

/* Calls visit for each mounted cgroup file system (v1 and v2), from
 * /proc/self/mountinfo. */
void runner_cgroup_mounts(void (*visit)(const char *mount, int v2, void *arg),
                          void *arg);

/* The absolute path of helper program `name` installed beside this
 * plugin. fern loads a plugin through the descriptor it checked, so
 * dladdr names /proc/self/fd/N: realpath follows that to the file. 0, or
 * -1 when it cannot be told. */
int runner_beside_plugin(const char *name, char *out, size_t size);

#endif
