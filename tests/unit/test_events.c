/* test_events.c - the event stream's lines, as `fern run --events FILE`
 * writes them: each one JSON object on a line of its own, with seq, time,
 * event and moniker first and the event's fields after, text escaped as
 * JSON wants, the ring of history holding the same lines. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "unit.h"

/* Emits the events, reads the file back, and returns its lines parsed. */
static json_t *emit_and_read(void (*emit)(fern__events *)) {
  char path[] = "/tmp/fern-unit-events-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  fern__events events = {0};
  fern_error_t err = FERN_ERROR_INIT;
  ck_assert_int_eq(fern__events_open(&events, path, 0, &err), FERN_OK);
  emit(&events);
  size_t remembered = events.count;
  fern__events_close(&events);
  FILE *f = fdopen(fd, "r");
  json_t *lines = json_array();
  char line[4096];
  while (fgets(line, sizeof line, f) != NULL) {
    ck_assert_msg(strchr(line, '\n') != NULL, "line without its end");
    json_error_t jerr;
    json_t *record = json_loads(line, 0, &jerr);
    ck_assert_msg(record != NULL, "not JSON (%s): %s", jerr.text, line);
    json_array_append_new(lines, record);
  }
  fclose(f);
  unlink(path);
  ck_assert_uint_eq(remembered, json_array_size(lines));
  return lines;
}

static void emit_plain(fern__events *events) {
  fern__event(events, "stopping", "/a", NULL);
  fern__event(events, "stopped", "/a",
              json_pack("{s:s, s:i}", "status", "ok", "exit_code", 3));
  fern__event(events, "ready", "/we\"ird\\\n\x01", json_object());
}

START_TEST(test_lines_are_json_with_head_and_fields) {
  json_t *lines = emit_and_read(emit_plain);
  ck_assert_uint_eq(json_array_size(lines), 3);
  const char *keys[] = {"seq", "time", "event", "moniker", "status",
                        "exit_code"};
  json_t *stopped = json_array_get(lines, 1);
  size_t k = 0;
  const char *key;
  json_t *value;
  json_object_foreach(stopped, key, value) {
    ck_assert_uint_lt(k, 6);
    ck_assert_str_eq(key, keys[k++]); /* the head first, in this order */
  }
  ck_assert_uint_eq(k, 6);
  ck_assert_str_eq(json_string_value(json_object_get(stopped, "status")),
                   "ok");
  ck_assert_int_eq(json_integer_value(json_object_get(stopped, "exit_code")),
                   3);
  for (size_t i = 0; i < 3; i++) {
    json_t *record = json_array_get(lines, i);
    ck_assert_int_eq(json_integer_value(json_object_get(record, "seq")),
                     (json_int_t)i + 1);
    ck_assert(json_is_number(json_object_get(record, "time")));
    ck_assert_double_gt(json_number_value(json_object_get(record, "time")),
                        1.6e9);
  }
  ck_assert_str_eq(
      json_string_value(json_object_get(json_array_get(lines, 2), "moniker")),
      "/we\"ird\\\n\x01");
  ck_assert_uint_eq(json_object_size(json_array_get(lines, 0)), 4);
  json_decref(lines);
}
END_TEST

Suite *events_suite(void) {
  Suite *s = suite_create("events");
  TCase *tc = tcase_create("events");
  tcase_add_test(tc, test_lines_are_json_with_head_and_fields);
  suite_add_tcase(s, tc);
  return s;
}
