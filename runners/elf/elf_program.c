/* elf_program.c - the ELF runner's program keys. */
#include <string.h>

#include "elf_runner.h"

static const char *const program_keys[] = {
    "runner", "binary", "args", "environ", "forward_stdout_to",
    "forward_stderr_to", NULL};

static int known_key(const char *key) {
  for (size_t i = 0; program_keys[i] != NULL; i++)
    if (strcmp(program_keys[i], key) == 0)
      return 1;
  return 0;
}

static int check_string_array(const json_t *program, const char *key,
                              int want_environ, fern_error_t *err) {
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
    if (!json_is_string(item))
      return fern_error_set(err, FERN_EINVAL, at,
                            "\"%s\" must be an array of strings", key);
    const char *s = json_string_value(item);
    const char *eq = strchr(s, '=');
    if (want_environ && (eq == NULL || eq == s))
      return fern_error_set(err, FERN_EINVAL, at,
                            "environ entry \"%s\" must be NAME=value", s);
  }
  return FERN_OK;
}

static int check_forward(const json_t *program, const char *key,
                         fern_error_t *err) {
  json_t *value = json_object_get(program, key);
  if (value == NULL)
    return FERN_OK;
  const char *s = json_string_value(value);
  if (s == NULL || (strcmp(s, "log") != 0 && strcmp(s, "none") != 0)) {
    char at[64];
    snprintf(at, sizeof at, "/%s", key);
    return fern_error_set(err, FERN_EINVAL, at,
                          "\"%s\" must be \"log\" or \"none\"", key);
  }
  return FERN_OK;
}

int elf_program_validate(const json_t *program, fern_error_t *err) {
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)program, key, value) {
    if (!known_key(key)) {
      char at[160];
      snprintf(at, sizeof at, "/%.100s", key);
      return fern_error_set(err, FERN_EINVAL, at,
                            "the elf runner does not know program key \"%s\" "
                            "(expected binary, args, environ, "
                            "forward_stdout_to, forward_stderr_to)",
                            key);
    }
  }
  json_t *binary = json_object_get(program, "binary");
  if (binary == NULL)
    return fern_error_set(err, FERN_EINVAL, "",
                          "missing \"binary\": the elf runner needs the "
                          "program's path inside the package");
  if (!json_is_string(binary) || json_string_length(binary) == 0)
    return fern_error_set(err, FERN_EINVAL, "/binary",
                          "\"binary\" must be a non-empty string");
  int rc = check_string_array(program, "args", 0, err);
  if (rc == FERN_OK)
    rc = check_string_array(program, "environ", 1, err);
  if (rc == FERN_OK)
    rc = check_forward(program, "forward_stdout_to", err);
  if (rc == FERN_OK)
    rc = check_forward(program, "forward_stderr_to", err);
  return rc;
}
