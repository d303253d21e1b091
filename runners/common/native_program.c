/* native_program.c - the program block of a native program (the ELF and
 * sandbox runners'): its keys checked, and its rlimits read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "native.h"
#include "runner_common.h"

static const char *const program_keys[] = {
    "runner",  "binary",    "args",   "environ", "forward_stdout_to",
    "forward_stderr_to", "lifecycle", "main_process_critical", "rlimits",
    NULL};

typedef struct rlimit_name_s {
  const char *name;
  int resource;
} rlimit_name;

static const rlimit_name rlimit_names[] = {
    {"as", RLIMIT_AS},           {"core", RLIMIT_CORE},
    {"cpu", RLIMIT_CPU},         {"data", RLIMIT_DATA},
    {"fsize", RLIMIT_FSIZE},     {"locks", RLIMIT_LOCKS},
    {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE},
    {"nice", RLIMIT_NICE},       {"nofile", RLIMIT_NOFILE},
    {"nproc", RLIMIT_NPROC},     {"rss", RLIMIT_RSS},
    {"rtprio", RLIMIT_RTPRIO},   {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},     {NULL, 0}};

static int check_choice(const json_t *obj, const char *key, const char *at_base,
                        const char *a, const char *b, fern_error_t *err) {
  json_t *value = json_object_get(obj, key);
  if (value == NULL)
    return FERN_OK;
  const char *s = json_string_value(value);
  if (s != NULL && (strcmp(s, a) == 0 || (b != NULL && strcmp(s, b) == 0)))
    return FERN_OK;
  char at[96];
  snprintf(at, sizeof at, "%s/%s", at_base, key);
  return fern_error_set(err, FERN_EINVAL, at, "\"%s\" must be \"%s\"%s%s%s",
                        key, a, b ? " or \"" : "", b ? b : "", b ? "\"" : "");
}

static int check_lifecycle(const json_t *program, fern_error_t *err) {
  static const char *const keys[] = {"stop_event", "ready_event",
                                     "start_timeout_ms", NULL};
  json_t *lifecycle = json_object_get(program, "lifecycle");
  if (lifecycle == NULL)
    return FERN_OK;
  if (!json_is_object(lifecycle))
    return fern_error_set(err, FERN_EINVAL, "/lifecycle",
                          "\"lifecycle\" must be an object");
  const char *key;
  json_t *value;
  json_object_foreach(lifecycle, key, value) {
    if (!runner_known_key(key, keys)) {
      char at[160];
      snprintf(at, sizeof at, "/lifecycle/%.100s", key);
      return fern_error_set(err, FERN_EINVAL, at,
                            "unknown lifecycle key \"%s\" (expected "
                            "stop_event, ready_event, start_timeout_ms)",
                            key);
    }
  }
  json_t *timeout = json_object_get(lifecycle, "start_timeout_ms");
  if (timeout != NULL &&
      (!json_is_integer(timeout) || json_integer_value(timeout) <= 0))
    return fern_error_set(err, FERN_EINVAL, "/lifecycle/start_timeout_ms",
                          "\"start_timeout_ms\" must be a positive integer");
  int rc = check_choice(lifecycle, "stop_event", "/lifecycle", "notify", NULL,
                        err);
  if (rc == FERN_OK)
    rc = check_choice(lifecycle, "ready_event", "/lifecycle", "notify", NULL,
                      err);
  return rc;
}

static int rlimit_resource(const char *name) {
  for (size_t i = 0; rlimit_names[i].name != NULL; i++)
    if (strcmp(rlimit_names[i].name, name) == 0)
      return rlimit_names[i].resource;
  return -1;
}

static int rlimit_value_ok(const json_t *v) {
  return (json_is_integer(v) && json_integer_value(v) >= 0) ||
         (json_is_string(v) && strcmp(json_string_value(v), "unlimited") == 0);
}

static int check_rlimits(const json_t *program, fern_error_t *err) {
  json_t *rlimits = json_object_get(program, "rlimits");
  if (rlimits == NULL)
    return FERN_OK;
  if (!json_is_object(rlimits))
    return fern_error_set(err, FERN_EINVAL, "/rlimits",
                          "\"rlimits\" must be an object");
  const char *key;
  json_t *value;
  json_object_foreach(rlimits, key, value) {
    char at[160];
    snprintf(at, sizeof at, "/rlimits/%.100s", key);
    if (rlimit_resource(key) < 0)
      return fern_error_set(err, FERN_EINVAL, at,
                            "unknown resource limit \"%s\" (expected as, "
                            "core, cpu, data, fsize, locks, memlock, "
                            "msgqueue, nice, nofile, nproc, rss, rtprio, "
                            "sigpending, stack)",
                            key);
    int ok = rlimit_value_ok(value) ||
             (json_is_array(value) && json_array_size(value) == 2 &&
              rlimit_value_ok(json_array_get(value, 0)) &&
              rlimit_value_ok(json_array_get(value, 1)));
    if (!ok)
      return fern_error_set(err, FERN_EINVAL, at,
                            "limit \"%s\" must be a number, \"unlimited\", or "
                            "[soft, hard]",
                            key);
  }
  return FERN_OK;
}

int native_program_validate(const json_t *program, const char *runner_name,
                         const char *const *extra_keys, fern_error_t *err) {
  int rc = runner_check_keys(program, runner_name, program_keys, extra_keys,
                             err);
  if (rc != FERN_OK)
    return rc;
  rc = runner_check_binary_args_environ(program, err);
  if (rc != FERN_OK)
    return rc;
  json_t *critical = json_object_get(program, "main_process_critical");
  if (critical != NULL && !json_is_boolean(critical))
    return fern_error_set(err, FERN_EINVAL, "/main_process_critical",
                          "\"main_process_critical\" must be true or false");
  rc = check_choice(program, "forward_stdout_to", "", "log", "none", err);
  if (rc == FERN_OK)
    rc = check_choice(program, "forward_stderr_to", "", "log", "none", err);
  if (rc == FERN_OK)
    rc = check_lifecycle(program, err);
  if (rc == FERN_OK)
    rc = check_rlimits(program, err);
  return rc;
}

static uint64_t rlimit_of(const json_t *v) {
  return json_is_string(v) ? (uint64_t)RLIM_INFINITY
                           : (uint64_t)json_integer_value(v);
}

size_t native_program_rlimits(const json_t *program, fern_rlimit_t *out,
                              size_t max) {
  const char *key;
  json_t *value;
  size_t n = 0;
  json_object_foreach(json_object_get(program, "rlimits"), key, value) {
    if (n == max)
      break;
    fern_rlimit_t *r = &out[n++];
    r->resource = rlimit_resource(key);
    r->soft = rlimit_of(json_is_array(value) ? json_array_get(value, 0) : value);
    r->hard = rlimit_of(json_is_array(value) ? json_array_get(value, 1) : value);
  }
  return n;
}
