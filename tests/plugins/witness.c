/* witness - the good runner (good.c) that leaves a file when it is made:
 * its create appends to the file named by FERN_TEST_CREATED (when set).
 * The tests that `fern check` and `fern tree` validate through the
 * plugin-level calls and make no runner look for that file. Its config
 * takes "note" (a string) only; its program block refuses "bad". */
#include <fcntl.h>
#include <fern/runner.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void leave_mark(void) {
  const char *mark = getenv("FERN_TEST_CREATED");
  int fd = mark ? open(mark, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)
                : -1;
  if (fd >= 0) {
    (void)!write(fd, "created\n", 8);
    close(fd);
  }
}

static int witness_validate_config(const json_t *config, fern_error_t *err) {
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)config, key, value) {
    char at[160];
    snprintf(at, sizeof at, "/%.100s", key);
    if (strcmp(key, "note") != 0)
      return fern_error_set(err, FERN_EINVAL, at,
                            "the witness runner takes \"note\" only");
    if (!json_is_string(value))
      return fern_error_set(err, FERN_EINVAL, at, "\"note\" must be a string");
  }
  return FERN_OK;
}

#define GOOD_NAME "witness"
#define GOOD_ON_CREATE leave_mark
#define GOOD_VALIDATE_CONFIG witness_validate_config
#include "good.c"
