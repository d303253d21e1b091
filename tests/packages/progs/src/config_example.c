/* config_example.c - fern's stand-in for the program of Fuchsia's
 * structured configuration example (examples/components/config/rust/
 * src/main.rs): it takes its configuration (here the JSON file
 * FERN_CONFIG names, docs/config.md), waits delay_ms, and greets. The
 * Rust original then serves its inspect data for ever; this one exits,
 * so a test sees it end. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(void) {
  const char *path = getenv("FERN_CONFIG");
  json_error_t error;
  json_t *config = path != NULL ? json_load_file(path, 0, &error) : NULL;
  if (config == NULL) {
    fprintf(stderr, "config_example: no configuration (FERN_CONFIG=%s)\n",
            path != NULL ? path : "unset");
    return 1;
  }
  json_int_t delay_ms = json_integer_value(json_object_get(config,
                                                            "delay_ms"));
  const char *greeting = json_string_value(json_object_get(config,
                                                           "greeting"));
  struct timespec pause = {(time_t)(delay_ms / 1000),
                           (long)(delay_ms % 1000) * 1000000L};
  /* The example's own behaviour (main.rs sleeps delay_ms), which the
   * test configures; no test waits on time here. */
  nanosleep(&pause, NULL);
  printf("Hello, %s!\n", greeting != NULL ? greeting : "(none)");
  json_decref(config);
  return 0;
}
