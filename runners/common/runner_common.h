/* runner_common.h - small pieces more than one runner plugin needs. Each
 * plugin links its own copy (a plugin links nothing of fern). */
#ifndef FERN_RUNNERS_COMMON_H
#define FERN_RUNNERS_COMMON_H

#include <fern/fern.h>

/* Checks that program[key], if present, is an array of strings; with
 * `environ_`, each "NAME=value". On error sets err->key to the element. */
int runner_check_strings(const json_t *program, const char *key, int environ_,
                         fern_error_t *err);

/* The keys every program block of a native binary has: "binary" (a
 * non-empty path inside the package), "args" and "environ". */
int runner_check_binary_args_environ(const json_t *program, fern_error_t *err);

/* A process's start time (clock ticks since boot, field 22 of
 * /proc/PID/stat), 0 when it is gone: with its pid, it names one process
 * for good, even after the pid is reused. */
unsigned long long runner_process_start(int pid);

#endif
