/* test_slurm_cost.c - what a Slurm job costs, from the test cluster's
 * real accounting (slurmdbd over MariaDB, jobacct_gather/linux): sstat
 * while a job runs (`fern show`), sacct once it ended (the stop event and
 * log line), in both modes; a cluster without accounting, the runner's
 * `"accounting": false`, and a slurmdbd that does not answer each said,
 * and none of them holds a job's end. */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "../e2e/control_client.h"
#include "../e2e/event_asserts.h"
#include "slurm_e2e.h"

#define MIB (1024.0 * 1024.0)

/* A new package whose fern.json has the Slurm runner over the
 * cluster's `slurm_conf` file, with `extra` runner keys. */
static void serve(e2e_served *s, const char *extra, const char *slurm_conf) {
  e2e_package_new(s->pkg, sizeof s->pkg);
  config_conf(s->pkg, extra, slurm_conf);
}

/* A sacct that says what a case needs, deterministically, in the
 * runner's bin_dir beside the real Slurm commands: "late" lists the job
 * as RUNNING twice, then as ended with 7.25 s of CPU and a 12345678-byte
 * peak; "never" lists it RUNNING for ever; "hang" never answers (it
 * becomes `sleep 1017`). Each call's ids are a line of fakebin/calls,
 * and the asks about each job are counted in fakebin/asked-ID. */
static const char fake_sacct[] =
    "#!/bin/sh\n"
    "bin=$(dirname \"$0\")\n"
    "while [ $# -gt 0 ]; do [ \"$1\" = -j ] && ids=$2; shift; done\n"
    "echo \"$ids\" >>\"$bin/calls\"\n"
    "[ \"$(cat \"$bin/mode\")\" = hang ] && exec sleep 1017\n"
    "for id in $(echo \"$ids\" | tr , ' '); do\n"
    "  n=$(($(cat \"$bin/asked-$id\" 2>/dev/null || echo 0) + 1))\n"
    "  echo $n >\"$bin/asked-$id\"\n"
    "  if [ \"$(cat \"$bin/mode\")\" = never ] || [ $n -lt 3 ]; then\n"
    "    echo \"$id|RUNNING|00:00:00|\"\n"
    "  else\n"
    "    echo \"$id|COMPLETED|00:07.250|\"\n"
    "    echo \"$id.batch|COMPLETED|00:07.250|12345678\"\n"
    "  fi\n"
    "done\n";

/* A new package whose runner's bin_dir is its fakebin/: the real
 * commands, and the fake sacct in `mode`. */
static void serve_faked(e2e_served *s, const char *mode, const char *extra) {
  char keys[5000];
  e2e_package_new(s->pkg, sizeof s->pkg);
  ck_assert_int_eq(sh("mkdir -p '%s/fakebin' && for c in sbatch srun squeue "
                      "scontrol scancel sstat; do ln -s \"$(command -v "
                      "$c)\" '%s/fakebin/'$c || exit 1; done",
                      s->pkg, s->pkg),
                   0);
  e2e_package_write(s->pkg, "fakebin/sacct", fake_sacct);
  e2e_package_write(s->pkg, "fakebin/mode", mode);
  ck_assert_int_eq(sh("chmod +x '%s/fakebin/sacct'", s->pkg), 0);
  snprintf(keys, sizeof keys, ", \"bin_dir\": \"%s/fakebin\"%s", s->pkg, extra);
  config_conf(s->pkg, keys, "slurm.conf");
}

/* How many times sacct was asked about job ID. */
static int sacct_asked(const e2e_served *s, long id) {
  char path[4200];
  snprintf(path, sizeof path, "%s/fakebin/asked-%ld", s->pkg, id);
  return file_number(path);
}

/* fern serving its control socket, running the package's root. */
static void serve_start(e2e_served *s) {
  char path[4200];
  snprintf(path, sizeof path, "%s/fern.json", s->pkg);
  const char *options[] = {"--config", path, NULL};
  e2e_control_serve_with(s, options);
}

/* /once, a batch job that prints and ends, under the fake sacct in
 * `mode`; returns once it ended with `status`. */
static void faked_once(e2e_served *s, const char *mode, const char *extra,
                       const char *status) {
  serve_faked(s, mode, extra);
  job(s->pkg, "once", "\"args\": [\"print\", \"done\"]");
  const char *names[] = {"once", NULL};
  root_of(s->pkg, names);
  serve_start(s);
  e2e_wait_end(&s->fern, "/once", status, 60000);
}

/* `fern show MONIKER --json`'s "cost". */
static json_t *shown_cost(e2e_served *s, const char *moniker) {
  json_t *out = e2e_control_json(s, "show", moniker, NULL);
  json_t *cost = json_incref(json_object_get(out, "cost"));
  json_decref(out);
  return cost;
}

/* Asks until sstat has sampled `cpu_s` of CPU for MONIKER: jobacct_gather
 * samples each second, and the first show only starts the asking. */
static json_t *running_cost(e2e_served *s, const char *moniker, double cpu_s) {
  long deadline = e2e_now_ms() + 20000;
  for (;;) {
    json_t *cost = shown_cost(s, moniker);
    const json_t *cpu = json_object_get(cost, "cpu_s");
    if (json_is_number(cpu) && json_number_value(cpu) >= cpu_s)
      return cost;
    ck_assert_msg(e2e_now_ms() < deadline, "%s's cost never came: %s", moniker,
                  json_dumps(cost, JSON_COMPACT));
    json_decref(cost);
    e2e_pump(&s->fern, 200);
  }
}

/* The stopped event of MONIKER. */
static json_t *end_of(e2e_served *s, const char *moniker) {
  json_t *events = e2e_proc_events(&s->fern);
  json_t *end = json_incref(e2e_the_event(events, "stopped", moniker));
  json_decref(events);
  return end;
}

/* Batch and interactive jobs that spend 1.5 s of CPU and hold 48 MiB:
 * fern show gives sstat's figures while they run; the stop event and log
 * line carry sacct's TotalCPU and MaxRSS. */
START_TEST(test_a_jobs_cost_while_it_runs_and_at_its_end) {
  e2e_served s;
  serve(&s, "", "slurm.conf");
  job(s.pkg, "batch", "\"args\": [\"burn\", \"1500\", \"48\"]");
  job(s.pkg, "live",
      "\"mode\": \"interactive\", \"args\": [\"burn\", \"1500\", \"48\"]");
  const char *names[] = {"batch", "live", NULL};
  root_of(s.pkg, names);
  serve_start(&s);
  e2e_wait_for(&s.fern, "[/batch] burnt", 60000);
  e2e_wait_for(&s.fern, "[/live] burnt", 60000);
  const char *monikers[] = {"/batch", "/live"};
  for (int i = 0; i < 2; i++) {
    json_t *cost = running_cost(&s, monikers[i], 1.0);
    ck_assert_str_eq(e2e_field(cost, "source"), "sstat");
    ck_assert_double_ge(e2e_figure(cost, "memory_bytes"), 48 * MIB);
    ck_assert_double_ge(e2e_figure(cost, "peak_memory_bytes"), 48 * MIB);
    json_decref(cost);
  }
  for (int i = 0; i < 2; i++) {
    e2e_proc p;
    const char *stop[] = {"stop", "--control", s.sock, monikers[i], NULL};
    ck_assert_int_eq(e2e_run(&p, 30000, stop), 0);
    e2e_free(&p);
  }
  for (int i = 0; i < 2; i++) {
    e2e_wait_end(&s.fern, monikers[i], "ok", 30000);
    json_t *end = end_of(&s, monikers[i]);
    /* TotalCPU is the step's rusage: all of the 1.5 s. */
    ck_assert_double_ge(e2e_figure(end, "cpu_s"), 1.45);
    ck_assert_double_le(e2e_figure(end, "cpu_s"), 10.0);
    ck_assert_double_ge(e2e_figure(end, "peak_memory_bytes"), 48 * MIB);
    json_decref(end);
  }
  e2e_wait_for(&s.fern, " MiB peak\n", 20000);
  e2e_assert_line_has(s.fern.err, "/batch: stopped: ok", " s CPU, ");
  e2e_control_served_end(&s);
}
END_TEST

/* /once prints and ends, /stays waits, under a runner that cannot say
 * what jobs cost: /once's end carries none; returns fern show's "unknown"
 * for /stays (the caller frees it and ends the served fern). */
static json_t *declined(e2e_served *s, const char *extra,
                        const char *slurm_conf) {
  serve(s, extra, slurm_conf);
  job(s->pkg, "once", "\"args\": [\"print\", \"done\"]");
  job(s->pkg, "stays", "\"args\": [\"sleep\"]");
  const char *names[] = {"once", "stays", NULL};
  root_of(s->pkg, names);
  serve_start(s);
  e2e_wait_end(&s->fern, "/once", "ok", 60000);
  json_t *end = end_of(s, "/once");
  ck_assert_ptr_null(json_object_get(end, "cpu_s"));
  ck_assert_ptr_null(json_object_get(end, "peak_memory_bytes"));
  json_decref(end);
  e2e_wait_for(&s->fern, "[/stays] ready", 60000);
  return shown_cost(s, "/stays");
}

/* A client told the cluster keeps no accounting (sacct: "accounting
 * storage is disabled"): the job's end comes without a cost, the runner
 * says why once, and fern show says it for the rest. */
START_TEST(test_a_cluster_without_accounting_is_said) {
  e2e_served s;
  json_t *cost = declined(&s, "", "slurm-noacct.conf");
  e2e_wait_for(&s.fern, "this Slurm cluster keeps no accounting", 10000);
  const char *why = e2e_field(cost, "unknown");
  ck_assert_msg(strstr(why, "keeps no accounting") != NULL, "%s", why);
  ck_assert_msg(strstr(why, "accounting storage is disabled") != NULL, "%s",
                why);
  json_decref(cost);
  e2e_control_served_end(&s);
}
END_TEST

/* "accounting": false asks nothing and says so. */
START_TEST(test_accounting_false_declines) {
  e2e_served s;
  json_t *cost = declined(&s, ", \"accounting\": false", "slurm.conf");
  ck_assert_msg(strstr(e2e_field(cost, "unknown"), "\"accounting\": false"),
                "%s", json_dumps(cost, JSON_COMPACT));
  e2e_assert_lacks(s.fern.err, "keeps no accounting");
  json_decref(cost);
  e2e_control_served_end(&s);
}
END_TEST

/* slurmdbd does not answer: the job's end is reported all the same, with
 * a warning naming sacct's error; the next job, once slurmdbd is back,
 * has its cost again (the controller sends what it queued meanwhile once
 * it is connected again: the wait allows for that). */
START_TEST(test_an_accounting_that_does_not_answer_holds_no_end) {
  e2e_served s;
  serve(&s, ", \"accounting_wait_ms\": 20000", "slurm.conf");
  job(s.pkg, "once", "\"args\": [\"print\", \"done\"]");
  job(s.pkg, "later", "\"args\": [\"print\", \"done\"]");
  e2e_package_write(s.pkg, "meta/root.cm",
                    "{\"children\": [{\"name\": \"once\", \"url\": "
                    "\"#meta/once.cm\", \"startup\": \"eager\"}, {\"name\": "
                    "\"later\", \"url\": \"#meta/later.cm\"}]}");
  ck_assert_int_eq(sh("tests/slurm/cluster.sh stop-dbd '%s'", cluster()), 0);
  serve_start(&s);
  e2e_wait_end(&s.fern, "/once", "ok", 60000);
  sh("tests/slurm/cluster.sh start-dbd '%s'", cluster());
  json_t *end = end_of(&s, "/once");
  ck_assert_ptr_null(json_object_get(end, "cpu_s"));
  json_decref(end);
  e2e_wait_for(&s.fern, "/once: warning: what slurm job ", 10000);
  e2e_assert_has(s.fern.err, " cost is not known: sacct failed (");
  /* slurmdbd is back: the next job's end has its cost. */
  e2e_proc p;
  const char *start[] = {"start", "--control", s.sock, "/later", NULL};
  ck_assert_int_eq(e2e_run(&p, 30000, start), 0);
  e2e_free(&p);
  e2e_wait_end(&s.fern, "/later", "ok", 60000);
  end = end_of(&s, "/later");
  ck_assert_msg(json_is_number(json_object_get(end, "cpu_s")), "%s",
                s.fern.err);
  json_decref(end);
  e2e_control_served_end(&s);
}
END_TEST

/* A record written after the job's end is seen (fake sacct "late"): the
 * runner asks again each tick, and the end carries the third answer. */
START_TEST(test_a_late_record_is_asked_again) {
  e2e_served s;
  faked_once(&s, "late", "", "ok");
  json_t *end = end_of(&s, "/once");
  ck_assert_double_eq_tol(e2e_figure(end, "cpu_s"), 7.25, 1e-9);
  ck_assert_double_eq_tol(e2e_figure(end, "peak_memory_bytes"), 12345678, 0.5);
  json_decref(end);
  ck_assert_int_eq(sacct_asked(&s, job_id(s.fern.err, "/once")), 3);
  e2e_control_served_end(&s);
}
END_TEST

/* Jobs that end together are asked about together: the four stopped at
 * once need three asks each, and the sacct calls that made them named
 * several jobs at a time. */
START_TEST(test_jobs_ending_together_share_a_sacct) {
  e2e_served s;
  serve_faked(&s, "late", "");
  const char *names[] = {"a", "b", "c", "d", NULL};
  for (int i = 0; names[i] != NULL; i++)
    job(s.pkg, names[i], "\"args\": [\"sleep\"]");
  root_of(s.pkg, names);
  serve_start(&s);
  for (int i = 0; names[i] != NULL; i++) {
    char ready[32];
    snprintf(ready, sizeof ready, "[/%s] ready", names[i]);
    e2e_wait_for(&s.fern, ready, 60000);
  }
  kill(s.fern.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&s.fern, 60000), 0);
  int asks = 0;
  for (int i = 0; names[i] != NULL; i++) {
    char moniker[8];
    snprintf(moniker, sizeof moniker, "/%s", names[i]);
    json_t *end = end_of(&s, moniker);
    ck_assert_double_eq_tol(e2e_figure(end, "cpu_s"), 7.25, 1e-9);
    json_decref(end);
    asks += sacct_asked(&s, job_id(s.fern.err, moniker));
  }
  ck_assert_int_eq(asks, 12);
  char path[4200], line[256];
  snprintf(path, sizeof path, "%s/fakebin/calls", s.pkg);
  FILE *calls = fopen(path, "r");
  ck_assert_ptr_nonnull(calls);
  int lines = 0;
  while (fgets(line, sizeof line, calls) != NULL)
    lines++;
  fclose(calls);
  ck_assert_msg(lines < asks, "%d sacct calls for %d asks", lines, asks);
  e2e_free(&s.fern);
  e2e_package_remove(s.pkg);
}
END_TEST

/* A stop's report does not wait for the accounting past the stop timeout
 * (500 ms for "quick-" components): with a record that never comes and
 * accounting_wait_ms far longer, the job stopped by SIGTERM ends ok, not
 * killed_after_timeout, saying why it has no cost. */
START_TEST(test_a_stop_does_not_wait_past_its_timeout) {
  e2e_served s;
  serve_faked(&s, "never", ", \"accounting_wait_ms\": 30000");
  job(s.pkg, "quick-sleeper", "\"args\": [\"sleep\"]");
  const char *names[] = {"quick-sleeper", NULL};
  root_of(s.pkg, names);
  serve_start(&s);
  e2e_wait_for(&s.fern, "[/quick-sleeper] ready", 60000);
  e2e_wait_for(&s.fern, "/quick-sleeper: started", 60000);
  e2e_proc p;
  const char *stop[] = {"stop", "--control", s.sock, "/quick-sleeper", NULL};
  ck_assert_int_eq(e2e_run(&p, 30000, stop), 0);
  e2e_free(&p);
  e2e_wait_end(&s.fern, "/quick-sleeper", "ok", 30000);
  json_t *end = end_of(&s, "/quick-sleeper");
  ck_assert_ptr_null(json_object_get(end, "cpu_s"));
  json_decref(end);
  e2e_wait_for(&s.fern, "before the stop timeout would pass", 10000);
  e2e_control_served_end(&s);
}
END_TEST

/* A sacct that never answers is ended at accounting_wait_ms (1 s here),
 * well before the Slurm commands' own deadline (60 s): the end comes
 * with a warning, and no sacct is left running. */
START_TEST(test_a_sacct_that_hangs_is_ended_at_the_wait) {
  e2e_served s;
  faked_once(&s, "hang", ", \"accounting_wait_ms\": 1000", "ok");
  e2e_wait_for(&s.fern,
               "cost is not known: sacct did not answer within "
               "1000 ms (accounting_wait_ms)",
               10000);
  ck_assert_int_ne(sh("pgrep -x -f 'sleep 1017' >/dev/null"), 0);
  e2e_control_served_end(&s);
}
END_TEST

Suite *slurm_cost_suite(void) {
  Suite *s = suite_create("slurm_cost");
  TCase *tc = tcase_create("cost");
  tcase_add_checked_fixture(tc, clean_cluster, NULL);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_a_jobs_cost_while_it_runs_and_at_its_end);
  tcase_add_test(tc, test_a_cluster_without_accounting_is_said);
  tcase_add_test(tc, test_accounting_false_declines);
  tcase_add_test(tc, test_an_accounting_that_does_not_answer_holds_no_end);
  tcase_add_test(tc, test_a_late_record_is_asked_again);
  tcase_add_test(tc, test_jobs_ending_together_share_a_sacct);
  tcase_add_test(tc, test_a_stop_does_not_wait_past_its_timeout);
  tcase_add_test(tc, test_a_sacct_that_hangs_is_ended_at_the_wait);
  suite_add_tcase(s, tc);
  return s;
}
