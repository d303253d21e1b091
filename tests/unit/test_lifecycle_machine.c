/* test_lifecycle_machine.c - the lifecycle machine alone: every (state,
 * input) pair, legal and illegal, in one process, with a mock runner that
 * only counts what it is asked. No process, no timing: each pair is one
 * input applied to one instance put in that state.
 *
 * The fixture: a realm "/" that runs, and its child "/c", a program of the
 * mock runner (which can stop gracefully), with no restart policy. What
 * each pair should lead to in that fixture is written out below, apart
 * from the machine's own table, so that a change of either shows here. */
#include <stdlib.h>
#include <string.h>

#include "lifecycle_actions.h"
#include "log.h"
#include "unit.h"

#define REFUSED FERN_STATE_COUNT

typedef struct mock_calls_s {
  int starts, stops, kills, releases;
} mock_calls;
static mock_calls calls;

static int mock_create(const fern_host_t *h, const json_t *c, void **out,
                       fern_error_t *e) {
  (void)h, (void)c, (void)e;
  *out = NULL;
  return FERN_OK;
}
static void mock_release(void *r) { (void)r; }
static int mock_validate(const json_t *c, const json_t *p, fern_error_t *e) {
  (void)c, (void)p, (void)e;
  return FERN_OK;
}
static int mock_start(void *r, const fern_start_info_t *info, void **ctl,
                      fern_error_t *e) {
  (void)r, (void)info, (void)e;
  calls.starts++;
  *ctl = malloc(1);
  return FERN_OK;
}
static void mock_stop(void *c) {
  (void)c;
  calls.stops++;
}
static void mock_kill(void *c) {
  (void)c;
  calls.kills++;
}
static void mock_controller_release(void *c) {
  calls.releases++;
  free(c);
}
static const fern_runner_plugin_t mock_runner = {
    .abi_major = FERN_RUNNER_ABI_MAJOR,
    .name = "mock",
    .capabilities = FERN_RUNNER_CAP_GRACEFUL_STOP,
    .create = mock_create,
    .release = mock_release,
    .validate = mock_validate,
    .start = mock_start,
    .stop = mock_stop,
    .kill = mock_kill,
    .controller_release = mock_controller_release};

static fern__manager m;
static fern__env *env;
static fern__resolution program_res, realm_res, failed_res;
static fern__instance *root;

static void resolution_of(fern__resolution *res, const char *manifest) {
  fern_error_t err = FERN_ERROR_INIT;
  memset(res, 0, sizeof *res);
  res->done = 1;
  res->resolved_url = "mock:x";
  res->package_url = "mock:x";
  res->scheme = "mock";
  ck_assert_int_eq(fern__decl_parse(manifest, strlen(manifest), "t.cm",
                                    &res->decl, &err),
                   FERN_OK);
}

static void setup(void) {
  memset(&m, 0, sizeof m);
  memset(&calls, 0, sizeof calls);
  ck_assert_int_eq(uv_loop_init(&m.loop), 0);
  fern__host_init(&m);
  m.mode = FERN_MODE_RUN;
  m.timed_out = json_array();
  fern__resolutions_init(&m.dispatch, &m.loop);
  fern__lc_inbox_init(&m);
  fern__log_set_level(FERN_LOG_ERROR);
  env = fern__env_new("root", 5000);
  fern__capability *cap;
  fern_error_t err = FERN_ERROR_INIT;
  ck_assert_int_eq(fern__capability_create(&mock_runner, NULL, "mock",
                                           "mock.so", NULL, NULL, &cap, &err),
                   FERN_OK);
  fern__env_register(env, FERN_CAP_RUNNER, "mock", cap);
  fern__capability_unref(cap);
  resolution_of(&program_res, "{\"program\": {\"runner\": \"mock\"}}");
  resolution_of(&realm_res, "{}");
  memset(&failed_res, 0, sizeof failed_res);
  failed_res.done = 1;
  failed_res.rc = fern_error_set(&failed_res.error, FERN_ENOENT, NULL,
                                 "no such manifest");
  root = fern__instance_new(&m, NULL, "", "mock:root", FERN_STARTUP_EAGER,
                            env);
  root->resolution = &realm_res;
  root->state = FERN_STATE_RUNNING;
}

static void teardown(void) {
  fern__instance_free(root);
  while (m.graveyard != NULL) {
    fern__instance *next = m.graveyard->next_dead;
    fern__instance_free(m.graveyard);
    m.graveyard = next;
  }
  fern__lc_inbox_close(&m);
  uv_run(&m.loop, UV_RUN_DEFAULT);
  ck_assert_int_eq(uv_loop_close(&m.loop), 0);
  fern__decl_free(program_res.decl);
  fern__decl_free(realm_res.decl);
  fern__resolutions_free(&m.dispatch);
  fern__env_unref(env);
  json_decref(m.timed_out);
  fern__events_close(&m.events);
  fern__log_set_level(FERN_LOG_INFO);
}

static int resolving(fern__state s) {
  return s == FERN_STATE_RESOLVING || s == FERN_STATE_RESOLVING_TO_START ||
         s == FERN_STATE_CREATING;
}

static void bury(fern__instance *c) {
  c->next_dead = m.graveyard;
  m.graveyard = c;
}

/* A child of the root in `state`, with what that state holds. */
static fern__instance *child_in(fern__state state) {
  fern__instance *c = fern__instance_new(&m, root, "c", "mock:c",
                                         FERN_STARTUP_LAZY, env);
  ck_assert_int_eq(fern__instance_adopt(root, c), FERN_OK);
  if (state != FERN_STATE_DISCOVERED && !resolving(state) &&
      state != FERN_STATE_UNRESOLVED)
    c->resolution = &program_res;
  if (fern__state_is_live(state)) {
    c->run.runner = fern__capability_ref(fern__env_runner(env, "mock"));
    c->run.controller = malloc(1);
    m.active++;
    c->holds++; /* as start_program does */
  }
  if (resolving(state))
    m.waiting++;
  if (state == FERN_STATE_RESTART_WAIT)
    m.pending_restarts++;
  if (state == FERN_STATE_CREATING)
    c->dynamic = 1;
  if (state == FERN_STATE_DESTROYED) {
    fern__instance_detach(c);
    bury(c);
  }
  c->state = state;
  return c;
}

static fern__input *input_for(fern__instance *c, fern__input_kind kind) {
  fern__input *in = fern__lc_input(c, kind);
  ck_assert_ptr_nonnull(in);
  if (kind == FERN_IN_RESOLVED)
    in->resolution = &program_res;
  if (kind == FERN_IN_UNRESOLVABLE)
    in->resolution = &failed_res;
  if (kind == FERN_IN_STARTED || kind == FERN_IN_MAIN_PID)
    in->pid = 42;
  in->epoch = c->timer_epoch; /* a timer's input names its timer */
  if (kind == FERN_IN_STATUS)
    in->text = strdup("busy");
  if (kind == FERN_IN_STOPPED) {
    in->report.status = FERN_STOP_OK;
    in->report.exit_code = 0;
    in->controller = c->run.controller; /* as host_stopped moves it */
    c->run.controller = NULL;
  }
  return in;
}

/* Puts the child to rest: its run released, its timers closed, out of
 * the tree, and (once nothing names it) freed. */
static void release_child(fern__instance *c) {
  if (c->state != FERN_STATE_DESTROYED) {
    if (c->run.controller != NULL) {
      fern__lc_release_controller(c, c->run.controller);
      c->run.controller = NULL;
    }
    fern__lc_set_state(c, FERN_STATE_DESTROYED, NULL);
    fern__instance_detach(c);
    bury(c);
  }
  fern__lc_drain(&m);
  uv_run(&m.loop, UV_RUN_NOWAIT);
}

/* What each legal pair leads to in the fixture; REFUSED for the rest. */
static fern__state expected(fern__state s, fern__input_kind k) {
#define IS(state, input) (s == FERN_STATE_##state && k == FERN_IN_##input)
#define ST(x) FERN_STATE_##x
  /* Idle states keep their state on a stop and a child's end. */
  int idle = !fern__state_is_live(s) && s != ST(CREATING) &&
             s != ST(DESTROYED);
  if (IS(RESOLVING_TO_START, STOP))
    return ST(RESOLVING);
  if (IS(RESTART_WAIT, STOP))
    return ST(STOPPED);
  if (idle && (k == FERN_IN_STOP || k == FERN_IN_CHILD_ENDED))
    return s;
  /* No resolver in the fixture's environment: the URL cannot resolve. */
  if (IS(DISCOVERED, RESOLVE))
    return ST(UNRESOLVED);
  if (IS(DISCOVERED, START) || IS(RESOLVING_TO_START, UNRESOLVABLE) ||
      IS(UNRESOLVED, START))
    return ST(START_FAILED);
  if (IS(RESOLVING, RESOLVED) || IS(CREATING, RESOLVED))
    return ST(RESOLVED);
  if (IS(RESOLVING, UNRESOLVABLE))
    return ST(UNRESOLVED);
  if (IS(RESOLVING, START))
    return ST(RESOLVING_TO_START);
  if (IS(CREATING, UNRESOLVABLE) || IS(CREATING, STOP) ||
      IS(CREATING, RESOLVE))
    return ST(DESTROYED);
  if (IS(RESOLVING_TO_START, RESOLVED) || IS(RESOLVED, START) ||
      IS(STOPPED, START) || IS(START_FAILED, START) ||
      IS(RESTART_WAIT, START) || IS(RESTART_WAIT, RESTART_DUE) ||
      IS(FAILED, START))
    return ST(STARTING);
  if (k == FERN_IN_DESTROY &&
      (s == ST(UNRESOLVED) || s == ST(RESOLVED) || s == ST(STOPPED) ||
       s == ST(START_FAILED) || s == ST(RESTART_WAIT) || s == ST(FAILED)))
    return ST(DESTROYED);
  if (IS(RESOLVING_TO_START, START))
    return s;
  /* Live. */
  int up = s == ST(STARTING) || s == ST(RUNNING) || s == ST(READY);
  int stopping = s == ST(STOPPING_CHILDREN) || s == ST(STOPPING) ||
                 s == ST(KILLING);
  if (IS(STARTING, STARTED))
    return ST(RUNNING);
  if (IS(RUNNING, READY))
    return ST(READY);
  if (up && k == FERN_IN_START)
    return s;
  if ((up || stopping) && (k == FERN_IN_STATUS || k == FERN_IN_CHILD_ENDED ||
                           k == FERN_IN_MAIN_PID))
    return IS(STOPPING_CHILDREN, CHILD_ENDED) ? ST(STOPPING) : s;
  if ((s == ST(READY) || stopping) && k == FERN_IN_READY)
    return s;
  if ((s == ST(STOPPING) || s == ST(KILLING)) && k == FERN_IN_STARTED)
    return s;
  if ((up || s == ST(STOPPING) || s == ST(KILLING)) && k == FERN_IN_STOPPED)
    return ST(STOPPED);
  if (IS(STOPPING_CHILDREN, STOPPED))
    return s;
  if (up && k == FERN_IN_STOP)
    return ST(STOPPING);
  if (stopping && k == FERN_IN_STOP)
    return s;
  if (IS(STOPPING, STOP_TIMEOUT))
    return ST(KILLING);
  if (IS(STOPPING, EXTEND_STOP) || IS(KILLING, EXTEND_STOP))
    return s;
  if (k == FERN_IN_KILL && (up || stopping))
    return ST(KILLING);
  if (s == ST(DESTROYED) &&
      (k == FERN_IN_RESOLVED || k == FERN_IN_UNRESOLVABLE ||
       k == FERN_IN_CHILD_ENDED || k == FERN_IN_STARTED ||
       k == FERN_IN_READY || k == FERN_IN_STATUS || k == FERN_IN_STOPPED ||
       k == FERN_IN_DESTROY || k == FERN_IN_EXTEND_STOP ||
       k == FERN_IN_RESOLVE || k == FERN_IN_MAIN_PID))
    return s;
  return REFUSED;
#undef IS
#undef ST
}

START_TEST(test_every_state_and_input) {
  for (int s = 0; s < FERN_STATE_COUNT; s++) {
    for (int k = 0; k < FERN_IN_COUNT; k++) {
      fern__instance *c = child_in((fern__state)s);
      uint64_t refused_before = fern__lc_refusals();
      fern__lc_apply(input_for(c, (fern__input_kind)k));
      fern__state want = expected((fern__state)s, (fern__input_kind)k);
      const fern__transition *t =
          fern__lc_transition((fern__state)s, (fern__input_kind)k);
      if (want == REFUSED) {
        ck_assert_msg(fern__lc_refusals() == refused_before + 1,
                      "%s in %s was not refused (now %s)",
                      fern__input_name(k), fern__state_name(s),
                      fern__state_name(c->state));
        ck_assert_msg(c->state == (fern__state)s, "a refusal changed %s",
                      fern__state_name(s));
        ck_assert_ptr_null(t->action);
      } else {
        ck_assert_msg(fern__lc_refusals() == refused_before,
                      "%s in state %s was refused", fern__input_name(k),
                      fern__state_name(s));
        ck_assert_msg(c->state == want, "%s in %s led to %s, not %s (%d %d)",
                      fern__input_name(k), fern__state_name(s),
                      fern__state_name(c->state), fern__state_name(want), s,
                      c->state);
        ck_assert_msg(t->to & FERN_TO(want),
                      "the table does not allow %s -> %s on %s",
                      fern__state_name(s), fern__state_name(want),
                      fern__input_name(k));
      }
      release_child(c);
    }
  }
}
END_TEST

/* The counters follow the states: nothing waits once everything rests. */
START_TEST(test_counters_come_back_to_zero) {
  for (int s = 0; s < FERN_STATE_COUNT; s++)
    for (int k = 0; k < FERN_IN_COUNT; k++) {
      fern__instance *c = child_in((fern__state)s);
      fern__lc_apply(input_for(c, (fern__input_kind)k));
      release_child(c);
      ck_assert_msg(m.active == 0 && m.waiting == 0 &&
                        m.pending_restarts == 0,
                    "after %s in %s: active %zu waiting %zu restarts %zu",
                    fern__input_name(k), fern__state_name(s), m.active,
                    m.waiting, m.pending_restarts);
    }
}
END_TEST

/* A stop asks the runner to stop, arms the stop timeout, and its end
 * releases the controller once, after the report is handled. */
START_TEST(test_a_stop_goes_to_the_runner_then_ends_once) {
  fern__instance *c = child_in(FERN_STATE_RUNNING);
  fern__lc_apply(input_for(c, FERN_IN_STOP));
  ck_assert_int_eq(calls.stops, 1);
  ck_assert_ptr_nonnull(c->run.stop_timer);
  fern__lc_apply(input_for(c, FERN_IN_STOP_TIMEOUT));
  ck_assert_int_eq(calls.kills, 1);
  ck_assert_ptr_null(c->run.stop_timer);
  fern__lc_apply(input_for(c, FERN_IN_STOPPED));
  ck_assert_int_eq(c->state, FERN_STATE_STOPPED);
  ck_assert_int_eq(c->status, FERN_STOP_KILLED_AFTER_TIMEOUT);
  ck_assert_int_eq(calls.releases, 1);
  ck_assert_ptr_null(c->run.runner);
  release_child(c);
  ck_assert_int_eq(calls.releases, 1);
}
END_TEST

/* A report handed in from inside the runner's own call waits: nothing is
 * released before that call returns. */
START_TEST(test_a_report_waits_for_its_turn) {
  fern__instance *c = child_in(FERN_STATE_RUNNING);
  fern_stop_report_t report = {sizeof report, FERN_STOP_OK, 0, 0, 0, NULL};
  m.host.stopped(m.host.ctx, c, &report);
  ck_assert_int_eq(c->state, FERN_STATE_RUNNING);
  ck_assert_int_eq(calls.releases, 0);
  ck_assert_ptr_null(c->run.controller); /* it went with the report */
  fern__lc_drain(&m);
  ck_assert_int_eq(c->state, FERN_STATE_STOPPED);
  ck_assert_int_eq(calls.releases, 1);
  release_child(c);
}
END_TEST

static int answers;
static char answer_error[512];
static void record_answer(void *arg, fern__instance *i, const char *error) {
  (void)arg, (void)i;
  answers++;
  snprintf(answer_error, sizeof answer_error, "%s", error ? error : "");
}

/* A start under a stopping ancestor is refused, and the one who asked is
 * told why; the stop goes on and answers its own asker. */
START_TEST(test_a_start_under_a_stopping_realm_is_refused) {
  fern__instance *c = child_in(FERN_STATE_RESOLVED);
  root->state = FERN_STATE_STOPPING_CHILDREN;
  answers = 0;
  fern__lc_post_start(c, "request", record_answer, NULL);
  fern__lc_drain(&m);
  ck_assert_int_eq(answers, 1);
  ck_assert_str_eq(answer_error, "/ is stopping");
  ck_assert_int_eq(c->state, FERN_STATE_RESOLVED);
  root->state = FERN_STATE_RUNNING;
  release_child(c);
}
END_TEST

/* A start of a component marked failed clears the mark and runs it. */
START_TEST(test_a_start_clears_failed) {
  fern__instance *c = child_in(FERN_STATE_FAILED);
  c->burst_len = 5;
  c->attempt = 5;
  answers = 0;
  fern__lc_post_start(c, "request", record_answer, NULL);
  fern__lc_drain(&m);
  ck_assert_int_eq(c->state, FERN_STATE_STARTING);
  ck_assert_int_eq(answers, 1);
  ck_assert_str_eq(answer_error, "");
  ck_assert_int_eq(c->burst_len, 0);
  ck_assert_int_eq(c->attempt, 0);
  release_child(c);
}
END_TEST

/* A stop of a component waiting to restart ends the wait: its timer is
 * closed and no restart follows. */
START_TEST(test_a_stop_ends_a_restart_wait) {
  fern__instance *c = child_in(FERN_STATE_STOPPED);
  c->delay_ms = 60000;
  fern__lc_set_state(c, FERN_STATE_RESTART_WAIT, NULL);
  ck_assert_ptr_nonnull(c->restart_timer);
  ck_assert_int_eq(m.pending_restarts, 1);
  fern__lc_post_stop(c, NULL, NULL);
  fern__lc_drain(&m);
  ck_assert_int_eq(c->state, FERN_STATE_STOPPED);
  ck_assert_ptr_null(c->restart_timer);
  ck_assert_int_eq(m.pending_restarts, 0);
  release_child(c);
}
END_TEST

/* A stop timeout from a timer that was replaced since (its input waited
 * in the inbox while a new stop began) kills nothing. */
START_TEST(test_a_stale_stop_timeout_is_of_no_account) {
  fern__instance *c = child_in(FERN_STATE_RUNNING);
  fern__lc_apply(input_for(c, FERN_IN_STOP));
  ck_assert_int_eq(c->state, FERN_STATE_STOPPING);
  fern__input *stale = input_for(c, FERN_IN_STOP_TIMEOUT);
  stale->epoch = c->timer_epoch - 1;
  fern__lc_apply(stale);
  ck_assert_int_eq(c->state, FERN_STATE_STOPPING);
  ck_assert_int_eq(calls.kills, 0);
  release_child(c);
}
END_TEST

/* A stop that comes while the run's end is reported but not yet handled
 * asks the runner nothing, and that end finishes the stop. */
START_TEST(test_a_stop_waits_for_a_reported_end) {
  fern__instance *c = child_in(FERN_STATE_RUNNING);
  fern_stop_report_t report = {sizeof report, FERN_STOP_OK, 0, 0, 0, NULL};
  m.host.stopped(m.host.ctx, c, &report);
  answers = 0;
  fern__lc_post_stop(c, record_answer, NULL);
  fern__lc_post_start(c, "request", record_answer, NULL);
  /* The stop was posted after the report: put it first, as a stop that
   * was already waiting would be. */
  fern__input *report_in = m.inbox_head;
  m.inbox_head = report_in->next;
  report_in->next = NULL;
  *m.inbox_tail = report_in;
  m.inbox_tail = &report_in->next;
  fern__lc_drain(&m);
  ck_assert_int_eq(calls.stops, 0);
  ck_assert_int_eq(calls.kills, 0);
  ck_assert_int_eq(c->state, FERN_STATE_STOPPED);
  ck_assert_int_eq(calls.releases, 1);
  ck_assert_int_eq(calls.starts, 0); /* the start came while it stopped */
  ck_assert_int_eq(answers, 2);
  release_child(c);
}
END_TEST

/* Killed after its stop timeout: what ran ends killed_after_timeout, but
 * a run that never started (killed while starting) stays not_started. */
START_TEST(test_a_kill_keeps_not_started) {
  fern_stop_status said[2] = {FERN_STOP_NOT_STARTED, FERN_STOP_OK};
  fern_stop_status kept[2] = {FERN_STOP_NOT_STARTED,
                              FERN_STOP_KILLED_AFTER_TIMEOUT};
  for (int k = 0; k < 2; k++) {
    fern__instance *c = child_in(FERN_STATE_STARTING);
    fern__lc_set_state(c, FERN_STATE_KILLING, NULL);
    fern_stop_report_t report = {sizeof report, said[k], -1, 0, 0, NULL};
    m.host.stopped(m.host.ctx, c, &report);
    fern__lc_drain(&m);
    ck_assert_int_eq(c->status, kept[k]);
    release_child(c);
  }
}
END_TEST

/* A subtree destroyed while a program in it still runs kills that
 * program; its end is taken in later, and only then is it freed. */
START_TEST(test_a_destroyed_run_is_killed_and_held_until_its_end) {
  fern__instance *c = child_in(FERN_STATE_RUNNING);
  c->dynamic = 1;
  fern__dynamic_remove(c, NULL);
  ck_assert_int_eq(c->state, FERN_STATE_DESTROYED);
  ck_assert_int_eq(calls.kills, 1);
  ck_assert_uint_eq(c->holds, 1);
  fern__lc_drain(&m);
  ck_assert_ptr_eq(m.graveyard, c); /* still held by its run */
  fern_stop_report_t report = {sizeof report, FERN_STOP_OK, -1, 9, 0, NULL};
  m.host.stopped(m.host.ctx, c, &report);
  fern__lc_drain(&m);
  ck_assert_int_eq(calls.releases, 1);
  ck_assert_ptr_null(m.graveyard); /* freed */
  ck_assert_uint_eq(m.active, 0);
}
END_TEST

/* MAINPID=: the run goes on under another process, which is what `fern
 * show` names; the state does not change. */
START_TEST(test_main_pid_moves_the_run) {
  fern__instance *c = child_in(FERN_STATE_READY);
  c->run.pid = 41;
  fern__input *in = input_for(c, FERN_IN_MAIN_PID);
  in->pid = 4242;
  fern__lc_post(in);
  fern__lc_drain(&m);
  ck_assert_int_eq(c->state, FERN_STATE_READY);
  ck_assert_int_eq(c->run.pid, 4242);
  release_child(c);
}
END_TEST

Suite *lifecycle_machine_suite(void) {
  Suite *s = suite_create("lifecycle_machine");
  TCase *tc = tcase_create("machine");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_every_state_and_input);
  tcase_add_test(tc, test_counters_come_back_to_zero);
  tcase_add_test(tc, test_a_stop_goes_to_the_runner_then_ends_once);
  tcase_add_test(tc, test_a_report_waits_for_its_turn);
  tcase_add_test(tc, test_a_start_under_a_stopping_realm_is_refused);
  tcase_add_test(tc, test_a_start_clears_failed);
  tcase_add_test(tc, test_a_stop_ends_a_restart_wait);
  tcase_add_test(tc, test_a_stale_stop_timeout_is_of_no_account);
  tcase_add_test(tc, test_a_stop_waits_for_a_reported_end);
  tcase_add_test(tc, test_a_destroyed_run_is_killed_and_held_until_its_end);
  tcase_add_test(tc, test_a_kill_keeps_not_started);
  tcase_add_test(tc, test_main_pid_moves_the_run);
  suite_add_tcase(s, tc);
  return s;
}
