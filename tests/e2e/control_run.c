/* control_run.c - see control_run.h. */
#include "control_run.h"
#include "event_asserts.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void e2e_ctl_serve(e2e_running *r, const char *manifest) {
  snprintf(r->dir, sizeof r->dir, "/tmp/fern-ctl-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(r->dir));
  snprintf(r->socket, sizeof r->socket, "%s/control.sock", r->dir);
  snprintf(r->events, sizeof r->events, "%s/events.jsonl", r->dir);
  const char *args[] = {"run",      "--keep-running", "--control", r->socket,
                        "--events", r->events,        manifest,    NULL};
  e2e_start(&r->fern, args);
  e2e_wait_for(&r->fern, "control socket ", 20000);
}

void e2e_ctl_finish(e2e_running *r, int expected_status) {
  kill(r->fern.pid, SIGTERM);
  int status = e2e_finish(&r->fern, 20000);
  size_t len = strlen(r->fern.err);
  ck_assert_msg(status == expected_status, "fern exited %d:\n...%s", status,
                r->fern.err + (len > 3000 ? len - 3000 : 0));
  e2e_free(&r->fern);
}

void e2e_ctl_cleanup(e2e_running *r) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", r->dir);
  ck_assert_int_eq(system(cmd), 0);
}

int e2e_ctl(e2e_running *r, e2e_proc *p, const char *command, const char *a1,
            const char *a2, const char *a3) {
  const char *args[] = {command, "--control", r->socket, a1, a2, a3, NULL};
  return e2e_run(p, 20000, args);
}

void e2e_ctl_create_started(e2e_running *r, const char *collection,
                            const char *name, const char *url) {
  e2e_proc p;
  char child[256], owner[256];
  /* The collection is known once its realm is resolved: "control socket"
   * on stderr comes before that. */
  const char *slash = strrchr(collection, '/');
  snprintf(owner, sizeof owner, "%.*s",
           slash && slash > collection ? (int)(slash - collection) : 1,
           slash && slash > collection ? collection : "/");
  e2e_wait_event(&r->fern, "resolved", owner, 20000);
  ck_assert_int_eq(e2e_ctl(r, &p, "create", collection, name, url), 0);
  e2e_free(&p);
  snprintf(child, sizeof child, "%s:%s", collection, name);
  ck_assert_int_eq(e2e_ctl(r, &p, "start", child, NULL, NULL), 0);
  e2e_free(&p);
}

json_t *e2e_ctl_json(e2e_running *r, const char *command, const char *arg) {
  e2e_proc p;
  ck_assert_int_eq(e2e_ctl(r, &p, command, "--json", arg, NULL), 0);
  json_t *result = json_loads(p.out, 0, NULL);
  ck_assert_msg(result != NULL, "not JSON: %s", p.out);
  e2e_free(&p);
  return result;
}

const char *e2e_field(const json_t *obj, const char *key) {
  return json_string_value(json_object_get(obj, key));
}

json_t *e2e_read_events(const char *path) {
  json_t *all = json_array();
  FILE *f = fopen(path, "r");
  char *line = NULL;
  size_t size = 0;
  /* A line being written (no newline yet) waits for the next read. */
  while (f != NULL && getline(&line, &size, f) > 0 && strchr(line, '\n'))
    json_array_append_new(all, json_loads(line, 0, NULL));
  free(line);
  if (f != NULL)
    fclose(f);
  return all;
}

json_t *e2e_events_of(const json_t *all, const char *type,
                      const char *moniker) {
  json_t *picked = json_array();
  size_t i;
  json_t *ev;
  json_array_foreach(all, i, ev) {
    if (strcmp(e2e_field(ev, "event"), type) == 0 &&
        (moniker == NULL || strcmp(e2e_field(ev, "moniker"), moniker) == 0))
      json_array_append(picked, ev);
  }
  return picked;
}

json_int_t e2e_int_of(const json_t *array, size_t index, const char *key) {
  return json_integer_value(json_object_get(json_array_get(array, index), key));
}

json_t *e2e_the_event(const json_t *all, const char *type,
                      const char *moniker) {
  json_t *picked = e2e_events_of(all, type, moniker);
  ck_assert_msg(json_array_size(picked) == 1, "%zu %s events for %s",
                json_array_size(picked), type, moniker);
  json_t *ev = json_array_get(picked, 0); /* `all` holds it too */
  json_decref(picked);
  return ev;
}

json_int_t e2e_seq_of(const json_t *event) {
  return json_integer_value(json_object_get(event, "seq"));
}

void e2e_events_start(e2e_proc *p, const char *const *args, char *dir,
                      size_t dir_size, char *events, size_t events_size) {
  snprintf(dir, dir_size, "/tmp/fern-events-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(events, events_size, "%s/events.jsonl", dir);
  const char *argv[24] = {"run", "--events", events};
  size_t n = 3;
  for (size_t i = 0; args[i] != NULL && n < 23; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  e2e_start(p, argv);
}

void e2e_events_done(const char *dir, const char *events) {
  unlink(events);
  rmdir(dir);
}
