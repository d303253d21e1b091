/* config_logs.c - the configuration's "logs" object: how much of each
 * component's lines fern keeps in memory, and the directory it also
 * writes them to (logbook.h, logbook_disk.h):
 *   {"logs": {"buffer_bytes": 65536, "budget_bytes": 67108864,
 *             "dir": "/var/log/fern", "file_bytes": 1048576, "files": 4}}
 * A relative "dir" is the configuration file's neighbour. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static int logs_fail(const fern__config *config, fern_error_t *err,
                     const char *key, const char *what) {
  return fern_error_set(err, FERN_EINVAL, NULL, "%s: \"logs\": \"%s\" %s",
                        config->path, key, what);
}

/* A positive integer of at most `max`, into `out`. */
static int take_size(const fern__config *config, const char *key,
                     const json_t *value, size_t max, size_t *out,
                     fern_error_t *err) {
  if (!json_is_integer(value) || json_integer_value(value) <= 0 ||
      (uint64_t)json_integer_value(value) > max)
    return logs_fail(config, err, key, "must be a positive integer");
  *out = (size_t)json_integer_value(value);
  return FERN_OK;
}

int fern__config_take_logs(fern__config *config, const json_t *logs,
                           fern_error_t *err) {
  if (!json_is_object(logs))
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "%s: \"logs\" must be an object", config->path);
  const char *key;
  json_t *value;
  size_t files = 0;
  int rc = FERN_OK;
  json_object_foreach((json_t *)logs, key, value) {
    if (strcmp(key, "buffer_bytes") == 0)
      rc = take_size(config, key, value, (size_t)1 << 30,
                     &config->logs.buffer_bytes, err);
    else if (strcmp(key, "budget_bytes") == 0)
      rc = take_size(config, key, value, (size_t)1 << 40,
                     &config->logs.budget_bytes, err);
    else if (strcmp(key, "file_bytes") == 0)
      rc = take_size(config, key, value, (size_t)1 << 40,
                     &config->logs.file_bytes, err);
    else if (strcmp(key, "files") == 0) {
      rc = take_size(config, key, value, 1000, &files, err);
      config->logs.files = (int)files;
    } else if (strcmp(key, "dir") == 0) {
      if (!json_is_string(value) || json_string_length(value) == 0)
        return logs_fail(config, err, key, "must be a directory's path");
      const char *dir = json_string_value(value);
      const char *slash = config->path ? strrchr(config->path, '/') : NULL;
      char path[4096];
      if (dir[0] != '/' && slash != NULL)
        snprintf(path, sizeof path, "%.*s/%s", (int)(slash - config->path),
                 config->path, dir);
      else
        snprintf(path, sizeof path, "%s", dir);
      free(config->logs.dir);
      config->logs.dir = strdup(path);
    } else
      return fern_error_set(err, FERN_EINVAL, NULL,
                            "%s: \"logs\": unknown key \"%s\" (expected "
                            "\"buffer_bytes\", \"budget_bytes\", \"dir\", "
                            "\"file_bytes\" or \"files\")",
                            config->path, key);
    if (rc != FERN_OK)
      return rc;
  }
  return FERN_OK;
}
