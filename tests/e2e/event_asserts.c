/* event_asserts.c - see event_asserts.h. */
#include <stdlib.h>
#include <string.h>

#include "event_asserts.h"

json_t *e2e_proc_events(const e2e_proc *p) {
  ck_assert_msg(p->events[0] != '\0', "not a fern run: no events");
  return e2e_read_events(p->events);
}

void e2e_end_text(const json_t *event, char *out, size_t size) {
  const json_t *code = json_object_get(event, "exit_code");
  const char *signal = json_string_value(json_object_get(event, "signal"));
  const char *message = json_string_value(json_object_get(event, "message"));
  int n = snprintf(out, size, "%s", e2e_field(event, "status"));
  if (signal != NULL)
    n += snprintf(out + n, size - (size_t)n, " (signal %s%s)", signal,
                  json_is_true(json_object_get(event, "core_dumped"))
                      ? ", core dumped"
                      : "");
  else if (code != NULL)
    n += snprintf(out + n, size - (size_t)n, " (exit %lld)",
                  (long long)json_integer_value(code));
  if (message != NULL && message[0] != '\0')
    snprintf(out + n, size - (size_t)n, ": %s", message);
}

/* The last end of `moniker`, or NULL; borrowed from `all`. */
static json_t *last_end(const json_t *all, const char *moniker) {
  json_t *ends = e2e_events_of(all, "stopped", moniker);
  json_t *last = json_array_get(ends, json_array_size(ends) - 1);
  json_decref(ends); /* `all` holds it */
  return last;
}

static const char *tail_of(const char *text) {
  size_t len = strlen(text);
  return text + (len > 3000 ? len - 3000 : 0);
}

void e2e_assert_end(const e2e_proc *p, const char *moniker, const char *expected) {
  json_t *all = e2e_proc_events(p);
  json_t *end = last_end(all, moniker);
  char text[2048] = "(no end)";
  if (end != NULL)
    e2e_end_text(end, text, sizeof text);
  ck_assert_msg(end != NULL && strncmp(text, expected, strlen(expected)) == 0,
                "%s ended \"%s\", not \"%s...\"; fern said:\n...%s", moniker,
                text, expected, tail_of(p->err));
  json_decref(all);
}

/* Reads until `moniker` has an event `type`. */
/* How many events `type` of `moniker` there are (with the string field
 * `key` equal to `value`, if `key` is not NULL). */
static size_t count_events(const e2e_proc *p, const char *type,
                           const char *moniker, const char *key,
                           const char *value) {
  json_t *all = e2e_proc_events(p);
  json_t *of = e2e_events_of(all, type, moniker);
  size_t n = 0, i;
  json_t *ev;
  json_array_foreach(of, i, ev) {
    const char *field = key ? json_string_value(json_object_get(ev, key)) : "";
    n += key == NULL || (field != NULL && strcmp(field, value) == 0);
  }
  json_decref(of);
  json_decref(all);
  return n;
}

static void wait_for_events(e2e_proc *p, const char *type,
                            const char *moniker, const char *key,
                            const char *value, size_t count, int ms) {
  long deadline = e2e_now_ms() + ms;
  for (int open = 1;;) {
    size_t n = count_events(p, type, moniker, key, value);
    if (n >= count)
      return;
    ck_assert_msg(open, "fern ended with %zu %s events for %s, not %zu:\n...%s",
                  n, type, moniker, count, tail_of(p->err));
    ck_assert_msg(e2e_now_ms() < deadline, "%zu %s events for %s in %d ms, "
                  "not %zu; fern said:\n...%s", n, type, moniker, ms, count,
                  tail_of(p->err));
    open = e2e_pump(p, 20);
  }
}

static void wait_for_event(e2e_proc *p, const char *type, const char *moniker,
                           const char *key, const char *value, int ms) {
  wait_for_events(p, type, moniker, key, value, 1, ms);
}

size_t e2e_event_count(const e2e_proc *p, const char *type,
                       const char *moniker) {
  return count_events(p, type, moniker, NULL, NULL);
}

void e2e_wait_event_count(e2e_proc *p, const char *type, const char *moniker,
                          size_t count, int ms) {
  wait_for_events(p, type, moniker, NULL, NULL, count, ms);
}

void e2e_wait_field(e2e_proc *p, const char *type, const char *moniker,
                    const char *key, const char *value, int ms) {
  wait_for_event(p, type, moniker, key, value, ms);
}

void e2e_assert_field(const e2e_proc *p, const char *type,
                      const char *moniker, const char *key,
                      const char *value) {
  ck_assert_msg(count_events(p, type, moniker, key, value) > 0,
                "no %s event for %s with %s \"%s\"; fern said:\n...%s", type,
                moniker, key, value, tail_of(p->err));
}

void e2e_wait_end(e2e_proc *p, const char *moniker, const char *expected,
                  int ms) {
  wait_for_event(p, "stopped", moniker, NULL, NULL, ms);
  e2e_assert_end(p, moniker, expected);
}

void e2e_wait_event(e2e_proc *p, const char *type, const char *moniker,
                    int ms) {
  wait_for_event(p, type, moniker, NULL, NULL, ms);
}

void e2e_assert_event(const e2e_proc *p, const char *type,
                      const char *moniker) {
  ck_assert_msg(count_events(p, type, moniker, NULL, NULL) > 0,
                "no %s event for %s; fern said:\n...%s", type, moniker,
                tail_of(p->err));
}

void e2e_assert_no_end(const e2e_proc *p, const char *status) {
  json_t *all = e2e_proc_events(p);
  json_t *ends = e2e_events_of(all, "stopped", NULL);
  size_t i;
  json_t *end;
  json_array_foreach(ends, i, end) {
    ck_assert_msg(strcmp(e2e_field(end, "status"), status) != 0,
                  "%s ended %s; fern said:\n...%s", e2e_field(end, "moniker"),
                  status, tail_of(p->err));
  }
  json_decref(ends);
  json_decref(all);
}

double e2e_figure(const json_t *obj, const char *key) {
  const json_t *v = json_object_get(obj, key);
  ck_assert_msg(json_is_number(v), "no %s in %s", key,
                json_dumps(obj, JSON_COMPACT));
  return json_number_value(v);
}

void e2e_assert_line_has(const char *text, const char *start,
                         const char *needle) {
  const char *line = strstr(text, start);
  const char *eol = line != NULL ? strchr(line, '\n') : NULL;
  const char *at = line != NULL ? strstr(line, needle) : NULL;
  ck_assert_msg(at != NULL && (eol == NULL || at < eol),
                "no \"%s\" in the line \"%s...\": %.400s", needle, start,
                line != NULL ? line : text);
}
