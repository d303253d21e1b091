/* lifecycle_start.c - the starting rows of the table: a component starts
 * once resolved and once its parent is up (a parent that is not starts
 * first, "dependent"); a program goes to its runner, a realm runs at once.
 * Eager children start once their parent runs or, if it reports
 * readiness, once it is ready. Loop thread only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config_file.h"
#include "lifecycle_actions.h"
#include "env_routes.h"
#include "lifecycle_announce.h"
#include "log.h"
#include "runner_call.h"
#include "policy.h"
#include "routes.h"
#include "serve.h"
#include "stop_order.h"

/* The most ancestors one start brings up; deeper, a start that finds its
 * parent still down fails, and saying so is enough. */
#define FERN__CHAIN_MAX 256

fern__state fern__lc_cannot_start(fern__instance *i, const char *why) {
  if (i->error != why) {
    char *copy = strdup(why);
    free(i->error);
    i->error = copy;
  }
  i->status = FERN_STOP_CANNOT_START;
  i->exit_code = -1;
  i->term_signal = 0;
  i->runs++;
  i->manager->failures++;
  return FERN_STATE_START_FAILED;
}

/* An eager start follows its parent's: if the parent is down again by the
 * time it is handled, it does not bring the parent back. */
void fern__lc_start_eager_children(fern__instance *i) {
  for (size_t c = 0; c < i->child_count; c++) {
    if (i->children[c]->startup != FERN_STARTUP_EAGER)
      continue;
    fern__input *in = fern__lc_input(i->children[c], FERN_IN_START);
    if (in == NULL)
      continue;
    in->reason = "eager";
    in->attempts = 1;
    fern__lc_post(in);
  }
}

static fern__state program_error(fern__instance *i,
                                 const fern_error_t *runner_err, int rc) {
  fern__pointer pointer;
  fern_error_t err = FERN_ERROR_INIT;
  snprintf(pointer, sizeof pointer, "/program%s", runner_err->key);
  fern__decl_error(i->resolution->decl, &err, rc, pointer, "%s",
                   runner_err->message);
  return fern__lc_cannot_start(i, err.message);
}

static int policy_forbids(fern__instance *i, fern_error_t *err) {
  return i->on_terminate == FERN_ON_TERMINATE_REBOOT &&
         fern__policy_allows(i->manager->policy, "reboot_on_terminate",
                             i->moniker, err) != FERN_OK;
}

/* Its runner; routed, it was followed before the start (lifecycle_routes.c). */
static fern__capability *find_runner(fern__instance *i, fern_error_t *err) {
  fern__capability *runner = NULL;
  int rc = fern__instance_runner(i, i->resolution->decl->runner, &runner, err);
  return rc == FERN_OK ? runner : NULL;
}

/* A runner of ABI 2.0 knows nothing of sockets and namespaces: a
 * component that serves or uses a protocol would start without them. */
static int runner_too_old(const fern__capability *runner,
                          const fern__serve_plan *plan, fern_error_t *err) {
  if (runner->runner->abi_minor >= 1 ||
      (plan->serve_count == 0 && plan->use_count == 0))
    return 0;
  fern_error_set(err, FERN_ENOTSUP, NULL,
                 "runner \"%s\" (plugin ABI %u.%u) cannot give a component "
                 "the protocols it serves or uses; that needs ABI 2.1",
                 runner->name, runner->runner->abi_major,
                 runner->runner->abi_minor);
  return 1;
}

/* A runner of ABI 2.1 or older knows nothing of structured
 * configuration; one of 2.2 gets it as a file too. */
static int give_config(fern__instance *i, const fern__capability *runner,
                       char *path, size_t size, fern_error_t *err) {
  if (i->config == NULL)
    return FERN_OK;
  if (runner->runner->abi_minor < 2)
    return fern_error_set(err, FERN_ENOTSUP, NULL,
                          "runner \"%s\" (plugin ABI %u.%u) cannot give a "
                          "component its structured configuration; that "
                          "needs ABI 2.2",
                          runner->name, runner->runner->abi_major,
                          runner->runner->abi_minor);
  return fern__config_file_write(i, path, size, err);
}

static fern__state start_program(fern__instance *i) {
  const fern__decl *decl = i->resolution->decl;
  fern_error_t err = FERN_ERROR_INIT;
  fern__serve_plan plan;
  char config_path[4200];
  if (policy_forbids(i, &err))
    return fern__lc_cannot_start(i, err.message);
  fern__capability *runner = find_runner(i, &err);
  if (runner == NULL)
    return fern__lc_cannot_start(i, err.message);
  int rc = fern__capability_validate(runner, decl->program, &err);
  if (rc != FERN_OK)
    return program_error(i, &err, rc);
  if (fern__capability_make(runner, &err) != FERN_OK)
    return fern__lc_cannot_start(i, err.message);
  if (fern__serve_plan_make(i, &plan, &err) != FERN_OK ||
      runner_too_old(runner, &plan, &err) ||
      give_config(i, runner, config_path, sizeof config_path, &err) !=
          FERN_OK) {
    fern__serve_plan_free(&plan);
    return fern__lc_cannot_start(i, err.message);
  }
  fern_start_info_t info = {
      .struct_size = sizeof info,
      .instance = i,
      .moniker = i->moniker,
      .url = i->resolution->resolved_url,
      .package_dir = i->resolution->package_dir,
      .program = decl->program,
      .stop_timeout_ms = i->env->stop_timeout_ms,
      .uses = plan.uses,
      .use_count = plan.use_count,
      .serves = plan.serves,
      .serve_count = plan.serve_count,
      .namespace_dir = plan.has_namespace ? plan.namespace_dir : NULL,
      .config = i->config,
      .config_path = i->config != NULL ? config_path : NULL,
  };
  i->run.awaits_ready = 0;
  i->run.pid = 0;
  i->run.runner = fern__capability_ref(runner);
  i->manager->active++;
  i->holds++; /* its runner may report until the run is released */
  rc = fern__runner_start(i, runner, &info, &i->run.controller, &err);
  fern__serve_plan_free(&plan);
  if (rc != FERN_OK) {
    i->run.controller = NULL;
    fern__capability_unref(i->run.runner);
    i->run.runner = NULL;
    i->manager->active--;
    i->holds--;
    return fern__lc_cannot_start(i, err.message);
  }
  return FERN_STATE_STARTING;
}

static void mark_started(fern__instance *i, const char *reason) {
  struct timespec ts;
  free(i->start_capability);
  i->start_capability = i->activated_by ? strdup(i->activated_by) : NULL;
  clock_gettime(CLOCK_REALTIME, &ts);
  i->start_reason = reason;
  i->started_at = (double)ts.tv_sec + ts.tv_nsec / 1e9;
  i->run_began_ms = fern__restart_clock_ms();
}

fern__state fern__lc_start_now(fern__instance *i, const char *reason) {
  fern__stop_order_changed(i->manager); /* a child may come alive */
  mark_started(i, reason);
  if (i->resolution->decl->program != NULL)
    return start_program(i);
  i->start_seq = ++i->manager->start_seq;
  fern__lc_start_eager_children(i);
  return FERN_STATE_RUNNING;
}

/* Why it cannot start now, or NULL. A start waits for nothing: under a
 * stopping ancestor, or while fern shuts down, it is refused. */
static const char *start_refused(fern__instance *i, char *why, size_t size) {
  if (i->manager->shutting_down) {
    snprintf(why, size, "fern is shutting down");
    return why;
  }
  fern__instance *stopping = fern__instance_stopping_ancestor(i);
  if (stopping != NULL) {
    snprintf(why, size, "%s is stopping", stopping->moniker);
    return why;
  }
  if (i->resolution == NULL) {
    snprintf(why, size, "%s cannot start: %s", i->moniker,
             i->error ? i->error : "not resolved");
    return why;
  }
  return NULL;
}

int fern__lc_may_start(fern__instance *i) {
  char why[1024];
  return start_refused(i, why, sizeof why) == NULL &&
         (i->parent == NULL || fern__instance_is_live(i->parent));
}

/* Its parent is not up: its ancestors that are not start first, from the
 * top, and this start is asked again after them. A second time, the
 * parent could not start. */
static int parent_first(fern__instance *i, fern__input *in) {
  fern__instance *parent = i->parent;
  if (parent == NULL || fern__instance_is_live(parent))
    return 0;
  if (in->attempts > 0) {
    char why[512];
    snprintf(why, sizeof why, "%s cannot start: its parent %s is %s",
             i->moniker, parent->moniker, fern__state_name(parent->state));
    fern__lc_answer(in, why);
    return 1;
  }
  fern__instance *down[FERN__CHAIN_MAX];
  size_t n = 0;
  for (fern__instance *a = parent; a != NULL && !fern__instance_is_live(a) &&
                                   n < FERN__CHAIN_MAX;
       a = a->parent)
    down[n++] = a;
  while (n-- > 0)
    fern__lc_post_start(down[n], "dependent", NULL, NULL);
  fern__lc_repost(in);
  return 1;
}

fern__state fern__act_start(fern__instance *i, fern__input *in) {
  char why[1024];
  if (fern__lc_parked_cancelled(i, in))
    return i->state;
  const char *refused = start_refused(i, why, sizeof why);
  if (refused != NULL) {
    fern__lc_answer(in, refused);
    return i->state;
  }
  if (parent_first(i, in))
    return i->state;
  fern_error_t route_err = FERN_ERROR_INIT;
  int routed = fern__lc_routes_ready(i, in, in->reason, &route_err);
  if (routed == FERN__ROUTE_PENDING)
    return i->state;
  if (routed != FERN_OK) {
    fern__state failed = fern__lc_cannot_start(i, route_err.message);
    fern__lc_answer(in, i->error);
    return failed;
  }
  if (i->state == FERN_STATE_FAILED) { /* a start clears the mark */
    i->attempt = 0;
    i->burst_len = 0;
  }
  fern__state next = fern__lc_start_now(i, in->reason);
  if (next == FERN_STATE_START_FAILED)
    fern__lc_answer(in, i->error);
  return next;
}

fern__state fern__lc_start_from(fern__instance *i, const fern__input *cause,
                                const char *reason, int attempts) {
  fern__input start = *cause;
  start.kind = FERN_IN_START;
  start.reason = reason;
  start.attempts = attempts;
  start.done = NULL; /* whoever asked for `cause` is answered for it */
  return fern__act_start(i, &start);
}

fern__state fern__act_start_later(fern__instance *i, fern__input *in) {
  i->start_reason = in->reason;
  return FERN_STATE_RESOLVING_TO_START;
}

fern__state fern__act_start_unresolved(fern__instance *i, fern__input *in) {
  char why[1024];
  snprintf(why, sizeof why, "%s cannot start: %s", i->moniker,
           i->error ? i->error : "not resolved");
  /* Someone asked, and is told; an eager start is the component's own
   * failure, counted and announced. */
  if (in->done != NULL) {
    fern__lc_answer(in, why);
    return i->state;
  }
  return fern__lc_cannot_start(i, i->error ? i->error : "not resolved");
}

fern__state fern__act_started(fern__instance *i, fern__input *in) {
  i->run.pid = in->pid;
  i->start_seq = ++i->manager->start_seq;
  if (!i->run.awaits_ready)
    fern__lc_start_eager_children(i);
  return FERN_STATE_RUNNING;
}

fern__state fern__act_started_late(fern__instance *i, fern__input *in) {
  i->run.pid = in->pid;
  fern__lc_announce_started(i); /* it did run, if only to be stopped */
  return i->state;
}

fern__state fern__act_ready(fern__instance *i, fern__input *in) {
  (void)in;
  if (i->run.awaits_ready)
    fern__lc_start_eager_children(i);
  return FERN_STATE_READY;
}

/* MAINPID=: the run goes on under another process (the daemon its
 * launcher forked); `fern show` and the events name that one now. */
fern__state fern__act_main_pid(fern__instance *i, fern__input *in) {
  long was = i->run.pid;
  i->run.pid = in->pid;
  fern__log(FERN_LOG_INFO, i->moniker, "main process is now pid %ld (was %ld)",
            in->pid, was);
  fern__event(&i->manager->events, "main_pid", i->moniker,
              json_pack("{s:I, s:I}", "pid", (json_int_t)in->pid, "was",
                        (json_int_t)was));
  return i->state;
}

fern__state fern__act_status(fern__instance *i, fern__input *in) {
  const char *text = in->text ? in->text : "";
  free(i->status_text);
  i->status_text = strdup(text);
  fern__log(FERN_LOG_INFO, i->moniker, "status: %s", text);
  fern__event(&i->manager->events, "status", i->moniker,
              json_pack("{s:s}", "status", text));
  return i->state;
}
