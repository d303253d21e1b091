/* runner_common.c - see runner_common.h. */
#include "runner_common.h"

#include <dlfcn.h>
#include <libgen.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int runner_known_key(const char *key, const char *const *keys) {
  for (size_t i = 0; keys != NULL && keys[i] != NULL; i++)
    if (strcmp(keys[i], key) == 0)
      return 1;
  return 0;
}

int runner_check_keys(const json_t *program, const char *runner_name,
                      const char *const *keys, const char *const *extra_keys,
                      fern_error_t *err) {
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)program, key, value) {
    if (runner_known_key(key, keys) || runner_known_key(key, extra_keys))
      continue;
    char at[160], expected[400] = "";
    size_t used = 0;
    for (size_t i = 0; keys[i] != NULL && used < sizeof expected; i++)
      if (strcmp(keys[i], "runner") != 0)
        used += (size_t)snprintf(expected + used, sizeof expected - used,
                                 "%s%s", used ? ", " : "", keys[i]);
    snprintf(at, sizeof at, "/%.100s", key);
    return fern_error_set(err, FERN_EINVAL, at,
                          "the %s runner does not know program key \"%s\" "
                          "(expected %s%s)",
                          runner_name, key, expected,
                          extra_keys ? ", and its own" : "");
  }
  return FERN_OK;
}

int runner_check_strings(const json_t *program, const char *key, int environ_,
                         fern_error_t *err) {
  json_t *array = json_object_get(program, key);
  char at[64];
  snprintf(at, sizeof at, "/%s", key);
  if (array == NULL)
    return FERN_OK;
  if (!json_is_array(array))
    return fern_error_set(err, FERN_EINVAL, at,
                          "\"%s\" must be an array of strings", key);
  size_t i;
  json_t *item;
  json_array_foreach(array, i, item) {
    snprintf(at, sizeof at, "/%s/%zu", key, i);
    const char *s = json_string_value(item);
    if (s == NULL)
      return fern_error_set(err, FERN_EINVAL, at,
                            "\"%s\" must be an array of strings", key);
    const char *eq = strchr(s, '=');
    if (environ_ && (eq == NULL || eq == s))
      return fern_error_set(err, FERN_EINVAL, at,
                            "environ entry \"%s\" must be NAME=value", s);
  }
  return FERN_OK;
}

int runner_check_binary_args_environ(const json_t *program, fern_error_t *err) {
  json_t *binary = json_object_get(program, "binary");
  if (binary == NULL)
    return fern_error_set(err, FERN_EINVAL, "",
                          "missing \"binary\": the runner needs the "
                          "program's path inside the package");
  if (!json_is_string(binary) || json_string_length(binary) == 0)
    return fern_error_set(err, FERN_EINVAL, "/binary",
                          "\"binary\" must be a non-empty string");
  int rc = runner_check_strings(program, "args", 0, err);
  return rc == FERN_OK ? runner_check_strings(program, "environ", 1, err) : rc;
}

unsigned long long runner_process_start(int pid) {
  char path[64], stat[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen(path, "re");
  size_t n = f ? fread(stat, 1, sizeof stat - 1, f) : 0;
  if (f != NULL)
    fclose(f);
  stat[n] = '\0';
  const char *p = strrchr(stat, ')'); /* the command name may hold spaces */
  unsigned long long start = 0;
  /* field 22 is the 20th after the ") " that ends the command name */
  for (int field = 3; p != NULL && field <= 22; field++) {
    p = strchr(p + 1, ' ');
    if (p != NULL && field == 22)
      start = strtoull(p + 1, NULL, 10);
  }
  return start;
}

const char *runner_config_path(const fern_start_info_t *info) {
  return info->struct_size >= offsetof(fern_start_info_t, config_path) +
                                  sizeof info->config_path
             ? info->config_path
             : NULL;
}

size_t runner_serve_count(const fern_start_info_t *info) {
  return info->struct_size >= offsetof(fern_start_info_t, serve_count) +
                                  sizeof info->serve_count
             ? info->serve_count
             : 0;
}

int runner_refuse_serves(const fern_start_info_t *info,
                         const char *runner_name, fern_error_t *err) {
  if (runner_serve_count(info) == 0)
    return FERN_OK;
  return fern_error_set(err, FERN_ENOTSUP, NULL,
                        "the %s runner cannot hand a program the sockets of "
                        "the protocols it serves (\"%s\", and %zu in all)",
                        runner_name, info->serves[0].name,
                        runner_serve_count(info));
}

int runner_refuse_uses(const fern_start_info_t *info, const char *runner_name,
                       fern_error_t *err) {
  if (info->use_count == 0)
    return FERN_OK;
  return fern_error_set(err, FERN_ENOTSUP, NULL,
                        "the %s runner cannot give a component what it uses "
                        "yet (\"%s\", and %zu in all)",
                        runner_name, info->uses[0].name, info->use_count);
}

void runner_cgroup_mounts(void (*visit)(const char *mount, int v2, void *arg),
                          void *arg) {
  FILE *f = fopen("/proc/self/mountinfo", "re");
  char line[4096], mount[PATH_MAX];
  while (f != NULL && fgets(line, sizeof line, f) != NULL) {
    int v2 = strstr(line, " - cgroup2 ") != NULL;
    if ((v2 || strstr(line, " - cgroup ") != NULL) &&
        sscanf(line, "%*s %*s %*s %*s %4095s", mount) == 1)
      visit(mount, v2, arg);
  }
  if (f != NULL)
    fclose(f);
}

int runner_beside_plugin(const char *name, char *out, size_t size) {
  Dl_info info;
  char self[PATH_MAX];
  if (dladdr((void *)runner_beside_plugin, &info) == 0 ||
      info.dli_fname == NULL || realpath(info.dli_fname, self) == NULL ||
      self[0] != '/')
    return -1;
  int n = snprintf(out, size, "%s/%s", dirname(self), name);
  return n > 0 && (size_t)n < size ? 0 : -1;
}
