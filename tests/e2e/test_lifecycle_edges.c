/* test_lifecycle_edges.c - (state, input) pairs of the lifecycle that once
 * went wrong, each on a real tree: a stop that reaches a component before
 * its process exists, a start that arrives while its realm stops, a create
 * whose realm goes away while it resolves, a single_run child of a realm
 * that is not up, a burst limit above a thousand, a restart as one
 * request, and what `fern show` tells apart. Asserts on the event stream
 * and the control socket's answers. */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "control_client.h"
#include "control_run.h"
#include "e2e.h"
#include "event_asserts.h"

/* Waits until `moniker` shows `state`. */
static void wait_state(e2e_running *r, const char *moniker, const char *state,
                       int ms) {
  long deadline = e2e_now_ms() + ms;
  for (;;) {
    json_t *shown = e2e_ctl_json(r, "show", moniker);
    int there = strcmp(e2e_field(shown, "state"), state) == 0;
    json_decref(shown);
    if (there)
      return;
    ck_assert_msg(e2e_now_ms() < deadline, "%s never became %s", moniker,
                  state);
    e2e_pump(&r->fern, 20);
  }
}

/* Serves a fern with one worker thread and the gate resolver (it holds a
 * resolution until PKG/open exists): `collections` and `children` go into
 * the root manifest, beside a collection "gated" whose children resolve
 * through the gate. */
static void serve_gated(e2e_running *r, const char *pkg, const char *children) {
  char root[8192], config[4200], plugins[4200], manifest[4300];
  snprintf(root, sizeof root,
           "{\"capabilities\": [{\"resolver\": \"gate\", \"config\": "
           "{\"wait_for\": \"%s/open\", \"wait_ms\": 120000}}],\n"
           " \"environments\": [{\"name\": \"gated\", \"extends\": \"realm\", "
           "\"resolvers\": [{\"resolver\": \"gate\", \"scheme\": \"gate\", "
           "\"from\": \"self\"}]}],\n"
           " \"collections\": [{\"name\": \"realms\", \"durability\": "
           "\"transient\", \"environment\": \"#gated\"}],\n"
           " \"children\": [%s]}",
           pkg, children);
  e2e_package_write(pkg, "meta/root.cm", root);
  snprintf(config, sizeof config, "%s/fern.json", pkg);
  e2e_package_write(pkg, "fern.json", "{\"resolve_timeout_ms\": 60000}");
  snprintf(plugins, sizeof plugins, "%s/tests/plugins", e2e_build());
  snprintf(r->dir, sizeof r->dir, "/tmp/fern-ctl-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(r->dir));
  snprintf(r->socket, sizeof r->socket, "%s/control.sock", r->dir);
  snprintf(r->events, sizeof r->events, "%s/events.jsonl", r->dir);
  snprintf(manifest, sizeof manifest, "%s/meta/root.cm", pkg);
  const char *args[] = {"run",      "--keep-running", "--plugin-dir", plugins,
                        "--config", config,           "--control",    r->socket,
                        "--events", r->events,        manifest,       NULL};
  /* One worker: a resolution the gate holds holds every binary check. */
  setenv("UV_THREADPOOL_SIZE", "1", 1);
  e2e_start(&r->fern, args);
  unsetenv("UV_THREADPOOL_SIZE");
  e2e_wait_for(&r->fern, "control socket ", 20000);
  /* The socket serves before the root is resolved: a create needs it. */
  wait_state(r, "/", "running", 20000);
}

/* Creates a child of the gated collection, whose resolution the gate
 * holds; `create` is the client, answered once the gate opens. */
static void hold_the_worker(e2e_running *r, const char *pkg, e2e_proc *create) {
  static char url[4300];
  snprintf(url, sizeof url, "gate://%s#meta/realm.cm", pkg);
  const char *args[] = {"create", "--control", r->socket, "/realms", "held",
                        url,      NULL};
  e2e_start(create, args);
  e2e_wait_for(&r->fern, "gate: holding", 20000);
}

static void open_the_gate(const char *pkg) { e2e_package_write(pkg, "open", ""); }

/* A stop that reaches components whose binary check has not even run
 * (the one worker is held): they never had a process, and their end says
 * so, with no exit code made up for them (it once said "ok (exit 0)").
 * Every component that ends without a "started" event never started. */
START_TEST(test_a_stop_before_the_spawn_says_it_never_started) {
  char pkg[4096], many[4096];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_program(pkg, "one", "elf", "\"args\": [\"sleep\"]");
  e2e_package_write(pkg, "meta/realm.cm", "{}");
  size_t used = (size_t)snprintf(many, sizeof many, "{\"children\": [");
  for (int i = 0; i < 20; i++)
    used += (size_t)snprintf(many + used, sizeof many - used,
                             "%s{\"name\": \"s%d\", \"url\": "
                             "\"#meta/one.cm\", \"startup\": \"eager\"}",
                             i ? ", " : "", i);
  snprintf(many + used, sizeof many - used, "]}");
  e2e_package_write(pkg, "meta/many.cm", many);
  e2e_running r;
  serve_gated(&r, pkg,
              "{\"name\": \"first\", \"url\": \"#meta/one.cm\", "
              "\"startup\": \"eager\"}, {\"name\": \"many\", \"url\": "
              "\"#meta/many.cm\"}");
  e2e_wait_for(&r.fern, "[/first] ready", 20000);
  e2e_proc create, p;
  hold_the_worker(&r, pkg, &create);
  ck_assert_int_eq(e2e_ctl(&r, &p, "start", "/many", NULL, NULL), 0);
  e2e_free(&p);
  kill(r.fern.pid, SIGTERM);
  e2e_wait_for(&r.fern, "SIGTERM: stopping the tree", 20000);
  open_the_gate(pkg);
  e2e_finish(&create, 20000);
  e2e_free(&create);
  ck_assert_int_eq(e2e_finish(&r.fern, 30000), 0);
  json_t *all = e2e_read_events(r.events);
  json_t *stops = e2e_events_of(all, "stopped", NULL);
  int never = 0;
  size_t i;
  json_t *ev;
  json_array_foreach(stops, i, ev) {
    json_t *starts = e2e_events_of(all, "started", e2e_field(ev, "moniker"));
    if (json_array_size(starts) == 0) {
      never++;
      ck_assert_msg(strcmp(e2e_field(ev, "status"), "not_started") == 0,
                    "%s never started, and stopped %s", e2e_field(ev, "moniker"),
                    e2e_field(ev, "status"));
      ck_assert_ptr_null(json_object_get(ev, "exit_code"));
    } else {
      ck_assert_str_ne(e2e_field(ev, "status"), "not_started");
    }
    json_decref(starts);
  }
  /* The first one asked to stop was still waiting for its check, for
   * sure; the rest may have been spawned by the time each was asked. */
  ck_assert_int_ge(never, 1);
  json_decref(stops);
  json_decref(all);
  e2e_free(&r.fern);
  e2e_ctl_cleanup(&r);
  e2e_package_remove(pkg);
}
END_TEST

/* SIGTERM while the tree is still resolving and starting: whatever
 * resolves after the stop stays resolved, nothing starts after it, every
 * start has its stop, and fern ends. (A component whose resolution came back after the stop once
 * started anyway, and fern waited on it for ever.) Tried a few times, at
 * the earliest moment fern can take a signal. */
START_TEST(test_a_signal_during_boot_leaves_nothing_running) {
  char pkg[4096], realm[4096], events[4200];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_program(pkg, "one", "elf", "\"args\": [\"sleep\"]");
  size_t used = (size_t)snprintf(realm, sizeof realm, "{\"children\": [");
  for (int i = 0; i < 30; i++)
    used += (size_t)snprintf(realm + used, sizeof realm - used,
                             "%s{\"name\": \"s%d\", \"url\": "
                             "\"#meta/one.cm\", \"startup\": \"eager\"}",
                             i ? ", " : "", i);
  snprintf(realm + used, sizeof realm - used, "]}");
  e2e_package_write(pkg, "meta/realm.cm", realm);
  e2e_package_write(pkg, "meta/root.cm",
                    "{\"children\": [{\"name\": \"a\", \"url\": "
                    "\"#meta/realm.cm\", \"startup\": \"eager\"}, {\"name\": "
                    "\"b\", \"url\": \"#meta/realm.cm\", \"startup\": "
                    "\"eager\"}]}");
  snprintf(events, sizeof events, "%s/events.jsonl", pkg);
  for (int round = 0; round < 5; round++) {
    const char *args[] = {"run", "--events", events, pkg, NULL};
    e2e_proc p;
    e2e_start(&p, args);
    e2e_wait_for(&p, "control socket ", 20000);
    kill(p.pid, SIGTERM);
    ck_assert_int_eq(e2e_finish(&p, 20000), 0);
    /* Every start has its stop; a stop without a start is one that came
     * before the spawn. */
    json_t *all = e2e_read_events(events);
    json_t *starts = e2e_events_of(all, "started", NULL);
    json_t *stops = e2e_events_of(all, "stopped", NULL);
    size_t i, ended = 0;
    json_t *ev;
    json_array_foreach(stops, i, ev) {
      json_t *mine = e2e_events_of(all, "started", e2e_field(ev, "moniker"));
      if (json_array_size(mine) > 0)
        ended++;
      else
        ck_assert_str_eq(e2e_field(ev, "status"), "not_started");
      json_decref(mine);
    }
    ck_assert_uint_eq(ended, json_array_size(starts));
    json_decref(starts);
    json_decref(stops);
    json_decref(all);
    e2e_free(&p);
  }
  e2e_package_remove(pkg);
}
END_TEST

/* A tree whose /stubborn ignores SIGTERM (its environment kills it after
 * `stop_ms`), with a lazy sibling /lazy and a lazy realm /realm that has
 * a single_run collection "jobs" and a transient one "kids". */
static void package_stubborn(char *pkg, size_t size, int stop_ms) {
  char root[2048];
  e2e_package_new(pkg, size);
  e2e_package_program(pkg, "stubborn", "elf", "\"args\": [\"ignore-term\"]");
  e2e_package_program(pkg, "sleeper", "elf", "\"args\": [\"sleep\"]");
  e2e_package_write(pkg, "meta/realm.cm",
                    "{\"collections\": [{\"name\": \"jobs\", \"durability\": "
                    "\"single_run\"}, {\"name\": \"kids\", \"durability\": "
                    "\"transient\"}]}");
  snprintf(root, sizeof root,
           "{\"environments\": [{\"name\": \"slow\", \"extends\": \"realm\", "
           "\"__stop_timeout_ms\": %d}],\n"
           " \"collections\": [{\"name\": \"realms\", \"durability\": "
           "\"transient\"}],\n"
           " \"children\": [{\"name\": \"stubborn\", \"url\": "
           "\"#meta/stubborn.cm\", \"startup\": \"eager\", \"environment\": "
           "\"#slow\"},\n"
           "  {\"name\": \"lazy\", \"url\": \"#meta/sleeper.cm\"},\n"
           "  {\"name\": \"realm\", \"url\": \"#meta/realm.cm\"}]}",
           stop_ms);
  e2e_package_write(pkg, "meta/root.cm", root);
}

/* Ends the stop of /stubborn (which ignores SIGTERM, and whose stop
 * timeout is a minute): the test says when the stop may end, whatever
 * the machine's speed. */
static void end_stubborn(e2e_running *r) {
  pid_t pid;
  ck_assert_int_eq(e2e_collect_pids(r->fern.err, "/stubborn", &pid, 1), 1);
  ck_assert_int_eq(kill(pid, SIGKILL), 0);
}

/* `fern stop /` in the background, under way: /stubborn is stopping. */
static void begin_slow_stop(e2e_running *r, e2e_proc *stop) {
  const char *args[] = {"stop", "--control", r->socket, "/", NULL};
  e2e_start(stop, args);
  wait_state(r, "/stubborn", "stopping", 20000);
}

/* While `fern stop /` runs, a start of a component under it is refused,
 * and the stop still answers (it once waited for ever: the start cleared
 * the stop's mark). */
START_TEST(test_a_start_while_its_realm_stops_is_refused) {
  char pkg[4096], root[4200];
  package_stubborn(pkg, sizeof pkg, 60000);
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  e2e_running r;
  e2e_ctl_serve(&r, root);
  e2e_wait_for(&r.fern, "[/stubborn] ready", 20000);
  e2e_proc stop, p;
  begin_slow_stop(&r, &stop);
  ck_assert_int_eq(e2e_ctl(&r, &p, "start", "/lazy", NULL, NULL), 1);
  e2e_assert_has(p.err, "/ is stopping");
  e2e_free(&p);
  end_stubborn(&r);
  ck_assert_int_eq(e2e_finish(&stop, 20000), 0);
  e2e_assert_has(stop.out, "/: stopped\n");
  e2e_free(&stop);
  json_t *shown = e2e_ctl_json(&r, "show", "/lazy");
  ck_assert_str_eq(e2e_field(shown, "state"), "resolved");
  json_decref(shown);
  e2e_ctl_finish(&r, 1); /* /stubborn died of the SIGKILL */
  e2e_ctl_cleanup(&r);
  e2e_package_remove(pkg);
}
END_TEST

/* A single_run child created in a realm that is not up starts the realm
 * first; a create in a realm that is stopping is refused. Either way
 * nothing runs under a realm that does not, and SIGTERM ends the tree. */
START_TEST(test_a_single_run_child_needs_its_realm_up) {
  char pkg[4096], root[4200], url[4300];
  package_stubborn(pkg, sizeof pkg, 60000);
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  snprintf(url, sizeof url, "#meta/sleeper.cm");
  e2e_running r;
  e2e_ctl_serve(&r, root);
  e2e_wait_for(&r.fern, "[/stubborn] ready", 20000);
  e2e_proc p;
  ck_assert_int_eq(e2e_ctl(&r, &p, "create", "/realm/jobs", "one", url), 0);
  e2e_free(&p);
  e2e_wait_for(&r.fern, "[/realm/jobs:one] ready", 20000);
  json_t *shown = e2e_ctl_json(&r, "show", "/realm");
  ck_assert_str_eq(e2e_field(shown, "state"), "running");
  ck_assert_str_eq(e2e_field(shown, "start_reason"), "dependent");
  json_decref(shown);
  /* Now stop the realm's parent, slowly, and create meanwhile. */
  e2e_proc stop;
  begin_slow_stop(&r, &stop);
  ck_assert_int_eq(e2e_ctl(&r, &p, "create", "/realm/jobs", "two", url), 1);
  e2e_assert_has(p.err, "is stopping");
  e2e_free(&p);
  end_stubborn(&r);
  ck_assert_int_eq(e2e_finish(&stop, 20000), 0);
  e2e_free(&stop);
  e2e_ctl_finish(&r, 1);
  json_t *all = e2e_read_events(r.events);
  json_t *two = e2e_events_of(all, "created", "/realm/jobs:two");
  ck_assert_uint_eq(json_array_size(two), 0);
  json_decref(two);
  json_decref(all);
  e2e_ctl_cleanup(&r);
  e2e_package_remove(pkg);
}
END_TEST

/* A create whose realm is destroyed while the new child's resolution is
 * still held (by the gate resolver) is answered at once, and the destroy
 * too. It once never answered. */
START_TEST(test_a_create_in_a_realm_destroyed_meanwhile_is_answered) {
  char pkg[4096], kid_url[4300];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_program(pkg, "sleeper", "elf", "\"args\": [\"sleep\"]");
  e2e_package_write(pkg, "meta/realm.cm",
                    "{\"collections\": [{\"name\": \"kids\", \"durability\": "
                    "\"transient\"}]}");
  e2e_running r;
  serve_gated(&r, pkg, "");
  e2e_proc p;
  ck_assert_int_eq(e2e_ctl(&r, &p, "create", "/realms", "r", "#meta/realm.cm"),
                   0);
  e2e_free(&p);
  /* The kid's URL goes to the gate, which holds it. */
  snprintf(kid_url, sizeof kid_url, "gate://%s#meta/sleeper.cm", pkg);
  e2e_proc create;
  const char *create_args[] = {"create", "--control", r.socket,
                               "/realms:r/kids", "k", kid_url, NULL};
  e2e_start(&create, create_args);
  e2e_wait_for(&r.fern, "gate: holding", 20000);
  ck_assert_int_eq(e2e_ctl(&r, &p, "destroy", "/realms:r", NULL, NULL), 0);
  e2e_free(&p);
  /* Answered while the gate still holds the resolution. */
  ck_assert_int_eq(e2e_finish(&create, 20000), 1);
  e2e_assert_has(create.err, "cannot create /realms:r/kids:k");
  e2e_free(&create);
  open_the_gate(pkg);
  e2e_ctl_finish(&r, 0);
  e2e_ctl_cleanup(&r);
  e2e_package_remove(pkg);
}
END_TEST

/* burst_count may be up to a million; above a thousand it once never gave
 * up. Here 1,100 quick failures, then gave_up. */
START_TEST(test_a_burst_above_a_thousand_gives_up) {
  char pkg[4096], root[4200];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_program(pkg, "crash", "elf", "\"args\": [\"exit\", \"3\"]");
  e2e_package_write(pkg, "meta/root.cm",
                    "{\"children\": [{\"name\": \"crash\", \"url\": "
                    "\"#meta/crash.cm\", \"startup\": \"eager\", \"restart\": "
                    "{\"policy\": \"on-failure\", \"initial_delay_ms\": 0, "
                    "\"multiplier\": 1, \"max_delay_ms\": 0, \"burst_count\": "
                    "1100, \"burst_window_ms\": 3600000}}]}");
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  e2e_running r;
  e2e_ctl_serve(&r, root);
  e2e_wait_event(&r.fern, "gave_up", "/crash", 120000);
  json_t *shown = e2e_ctl_json(&r, "show", "/crash");
  ck_assert_str_eq(e2e_field(shown, "state"), "failed");
  ck_assert_int_eq(json_integer_value(json_object_get(shown, "restart_count")),
                   1100);
  json_decref(shown);
  e2e_ctl_finish(&r, 1);
  json_t *all = e2e_read_events(r.events);
  json_t *gave_up = e2e_events_of(all, "gave_up", "/crash");
  ck_assert_uint_eq(json_array_size(gave_up), 1);
  ck_assert_int_eq(e2e_int_of(gave_up, 0, "restarts"), 1100);
  json_decref(gave_up);
  json_decref(all);
  e2e_ctl_cleanup(&r);
  e2e_package_remove(pkg);
}
END_TEST

/* fern restart: one request, the stop and then the start; a component
 * that gave up restarting starts afresh. */
START_TEST(test_restart_is_a_stop_then_a_start) {
  char pkg[4096], root[4200];
  package_stubborn(pkg, sizeof pkg, 300);
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  e2e_running r;
  e2e_ctl_serve(&r, root);
  e2e_wait_for(&r.fern, "[/stubborn] ready", 20000);
  e2e_proc p;
  ck_assert_int_eq(e2e_ctl(&r, &p, "restart", "/stubborn", NULL, NULL), 0);
  e2e_free(&p);
  e2e_wait_for_count(&r.fern, "[/stubborn] ready", 2, 20000);
  ck_assert_int_eq(e2e_ctl(&r, &p, "restart", "/nothing", NULL, NULL), 1);
  e2e_assert_has(p.err, "no component /nothing");
  e2e_free(&p);
  e2e_ctl_finish(&r, 1); /* it ignores SIGTERM: killed after 300 ms */
  json_t *all = e2e_read_events(r.events);
  json_t *stopped = e2e_events_of(all, "stopped", "/stubborn");
  json_t *started = e2e_events_of(all, "started", "/stubborn");
  ck_assert_uint_eq(json_array_size(started), 2);
  ck_assert_uint_ge(json_array_size(stopped), 1);
  ck_assert_str_eq(e2e_field(json_array_get(started, 1), "reason"),
                   "restart");
  ck_assert_int_lt(e2e_int_of(stopped, 0, "seq"), e2e_int_of(started, 1, "seq"));
  json_decref(stopped);
  json_decref(started);
  json_decref(all);
  e2e_ctl_cleanup(&r);
  e2e_package_remove(pkg);
}
END_TEST

/* fern show tells apart a component that never resolved, one that could
 * not start, one that ran and ended, and one that gave up restarting. */
START_TEST(test_show_tells_the_ends_apart) {
  char pkg[4096], root[4200];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_program(pkg, "ends", "elf", "\"args\": [\"exit\", \"0\"]");
  e2e_package_program(pkg, "crash", "elf", "\"args\": [\"exit\", \"3\"]");
  e2e_package_write(pkg, "meta/norunner.cm",
                    "{\"program\": {\"runner\": \"absent\"}}");
  e2e_package_write(
      pkg, "meta/root.cm",
      "{\"children\": [{\"name\": \"nowhere\", \"url\": \"#meta/none.cm\"},\n"
      " {\"name\": \"norunner\", \"url\": \"#meta/norunner.cm\", "
      "\"startup\": \"eager\"},\n"
      " {\"name\": \"ends\", \"url\": \"#meta/ends.cm\", \"startup\": "
      "\"eager\"},\n"
      " {\"name\": \"crash\", \"url\": \"#meta/crash.cm\", \"startup\": "
      "\"eager\", \"restart\": {\"policy\": \"on-failure\", "
      "\"initial_delay_ms\": 0, \"burst_count\": 2}}]}");
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  e2e_running r;
  e2e_ctl_serve(&r, root);
  e2e_wait_event(&r.fern, "gave_up", "/crash", 20000);
  e2e_wait_end(&r.fern, "/ends", "ok (exit 0)", 20000);
  const char *monikers[] = {"/nowhere", "/norunner", "/ends", "/crash"};
  const char *states[] = {"unresolved", "cannot_start", "stopped", "failed"};
  for (int i = 0; i < 4; i++) {
    json_t *shown = e2e_ctl_json(&r, "show", monikers[i]);
    ck_assert_msg(strcmp(e2e_field(shown, "state"), states[i]) == 0,
                  "%s is %s, not %s", monikers[i], e2e_field(shown, "state"),
                  states[i]);
    json_decref(shown);
  }
  e2e_ctl_finish(&r, 1);
  json_t *all = e2e_read_events(r.events);
  json_t *unresolved = e2e_events_of(all, "unresolved", "/nowhere");
  ck_assert_uint_eq(json_array_size(unresolved), 1);
  json_decref(unresolved);
  json_decref(all);
  e2e_ctl_cleanup(&r);
  e2e_package_remove(pkg);
}
END_TEST

/* A component whose program ended by itself while its child still stops
 * (here: the child holds in its SIGTERM trap until the test releases it)
 * has ended, but its subtree has not: a stop of the realm above waits for
 * that child, and is answered only once it has ended. */
START_TEST(test_a_stop_waits_for_the_subtree_of_an_ended_child) {
  char pkg[4096], root[4200];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_copy(pkg, "/bin/dash", "bin/sh");
  e2e_package_write(
      pkg, "meta/root.cm",
      "{\"environments\": [{\"name\": \"slow\", \"extends\": \"realm\", "
      "\"__stop_timeout_ms\": 120000}],\n"
      " \"children\": [{\"name\": \"p\", \"url\": \"#meta/p.cm\", "
      "\"startup\": \"eager\", \"environment\": \"#slow\"}]}");
  e2e_package_write(
      pkg, "meta/p.cm",
      "{\"program\": {\"runner\": \"elf\", \"binary\": \"bin/sh\", "
      "\"args\": [\"-c\", \"while [ ! -e end-p ]; do sleep 0.02; done\"], "
      "\"environ\": [\"PATH=/usr/bin:/bin\"]},\n"
      " \"children\": [{\"name\": \"c\", \"url\": \"#meta/c.cm\", "
      "\"startup\": \"eager\"}]}");
  e2e_package_write(
      pkg, "meta/c.cm",
      "{\"program\": {\"runner\": \"elf\", \"binary\": \"bin/sh\", "
      "\"args\": [\"-c\", \"trap 'echo got-term; while [ ! -e release ]; "
      "do sleep 0.02; done; exit 0' TERM; echo up; while :; do sleep 0.02; "
      "done\"], \"environ\": [\"PATH=/usr/bin:/bin\"]}}");
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  e2e_running r;
  e2e_ctl_serve(&r, root);
  e2e_wait_for(&r.fern, "[/p/c] up", 20000);
  e2e_package_write(pkg, "end-p", "");
  e2e_wait_for(&r.fern, "[/p/c] got-term", 20000);
  wait_state(&r, "/p", "stopped", 20000);
  e2e_proc stop;
  const char *args[] = {"stop", "--control", r.socket, "/", NULL};
  e2e_start(&stop, args);
  long deadline = e2e_now_ms() + 20000;
  for (;;) {
    json_t *shown = e2e_ctl_json(&r, "show", "/");
    int moved = strcmp(e2e_field(shown, "state"), "running") != 0;
    if (moved)
      ck_assert_msg(strcmp(e2e_field(shown, "state"), "stopping") == 0,
                    "/ is %s while /p/c still stops", e2e_field(shown, "state"));
    json_decref(shown);
    if (moved)
      break;
    ck_assert_msg(e2e_now_ms() < deadline, "/ never began to stop");
    e2e_pump(&r.fern, 20);
  }
  e2e_package_write(pkg, "release", "");
  ck_assert_int_eq(e2e_finish(&stop, 20000), 0);
  e2e_free(&stop);
  wait_state(&r, "/", "stopped", 20000);
  e2e_ctl_finish(&r, 0);
  json_t *all = e2e_read_events(r.events);
  json_t *child_end = e2e_the_event(all, "stopped", "/p/c");
  ck_assert_str_eq(e2e_field(child_end, "status"), "ok");
  json_decref(all);
  e2e_ctl_cleanup(&r);
  e2e_package_remove(pkg);
}
END_TEST

Suite *lifecycle_edges_suite(void) {
  Suite *s = suite_create("lifecycle_edges");
  TCase *tc = tcase_create("edges");
  tcase_set_timeout(tc, 180);
  tcase_add_test(tc, test_a_stop_before_the_spawn_says_it_never_started);
  tcase_add_test(tc, test_a_signal_during_boot_leaves_nothing_running);
  tcase_add_test(tc, test_a_start_while_its_realm_stops_is_refused);
  tcase_add_test(tc, test_a_single_run_child_needs_its_realm_up);
  tcase_add_test(tc, test_a_create_in_a_realm_destroyed_meanwhile_is_answered);
  tcase_add_test(tc, test_a_burst_above_a_thousand_gives_up);
  tcase_add_test(tc, test_restart_is_a_stop_then_a_start);
  tcase_add_test(tc, test_show_tells_the_ends_apart);
  tcase_add_test(tc, test_a_stop_waits_for_the_subtree_of_an_ended_child);
  suite_add_tcase(s, tc);
  return s;
}
