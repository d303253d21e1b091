/* test_slurm_state.c - what the Slurm runner reads from scontrol, squeue,
 * sacct and sstat, and the report each end state becomes. The end states a
 * one-node test cluster cannot produce in seconds (a time limit, out of memory,
 * a failed node) are checked here; the rest also end to end in
 * tests/slurm/test_slurm.c. */
#include <signal.h>
#include <string.h>

#include "../../runners/slurm/slurm.h"
#include "unit.h"

static const char scontrol_line[] =
    "JobId=42 JobName=fern-1-1-web UserId=root(0) GroupId=root(0) "
    "JobState=FAILED Reason=NonZeroExitCode Dependency=(null) "
    "ExitCode=3:0 RunTime=00:00:01 TimeLimit=00:10:00 NodeList=node[1-2] "
    "WorkDir=/srv/pkg with space\n";

START_TEST(test_scontrol_fields_are_read) {
  slurm_job_state job;
  ck_assert_int_eq(slurm_state_parse_scontrol(scontrol_line, &job), 0);
  ck_assert_int_eq(job.job_id, 42);
  ck_assert_str_eq(job.state, "FAILED");
  ck_assert_str_eq(job.reason, "NonZeroExitCode");
  ck_assert_str_eq(job.nodes, "node[1-2]");
  ck_assert_int_eq(job.exit_code, 3);
  ck_assert_int_eq(job.exit_signal, 0);
  ck_assert_int_ne(slurm_state_parse_scontrol("slurm_load_jobs error: "
                                              "Invalid job id specified\n",
                                              &job),
                   0);
}
END_TEST

START_TEST(test_squeue_finds_the_job_by_its_whole_name) {
  const char *out = "7|fern-1-10-db|RUNNING|n1|None\n"
                    "8|fern-1-1-web|PENDING||Resources\n"
                    "9|fern-1-1-web-2|RUNNING|n2|None\n";
  slurm_job_state job;
  ck_assert_int_eq(slurm_state_find_squeue(out, "fern-1-1-web", &job), 0);
  ck_assert_int_eq(job.job_id, 8);
  ck_assert_str_eq(job.state, "PENDING");
  ck_assert_str_eq(job.reason, "Resources");
  ck_assert_int_eq(slurm_state_find_squeue(out, "fern-1-1", &job), -1);
  ck_assert_int_eq(slurm_state_find_squeue("", "x", &job), -1);
}
END_TEST

START_TEST(test_live_and_final_states) {
  static const char *const live[] = {"PENDING",   "RUNNING",  "COMPLETING",
                                     "SUSPENDED", "REQUEUED", NULL};
  static const char *const final[] = {"COMPLETED", "FAILED",        "CANCELLED",
                                      "TIMEOUT",   "OUT_OF_MEMORY", "NODE_FAIL",
                                      "PREEMPTED", "BOOT_FAIL",     NULL};
  for (size_t i = 0; live[i] != NULL; i++)
    ck_assert_msg(!slurm_state_is_final(live[i]), "%s", live[i]);
  for (size_t i = 0; final[i] != NULL; i++)
    ck_assert_msg(slurm_state_is_final(final[i]), "%s", final[i]);
}
END_TEST

/* The report for an end state; the message in `msg`. */
static fern_stop_report_t report_of(const char *state, int code, int sig,
                                    int asked, int ran, char *msg) {
  slurm_job_state job = {.job_id = 42, .exit_code = code, .exit_signal = sig};
  snprintf(job.state, sizeof job.state, "%s", state);
  snprintf(job.nodes, sizeof job.nodes, "n1");
  fern_stop_report_t r;
  slurm_state_report(&job, asked, ran, &r, msg, 512);
  return r;
}

START_TEST(test_end_states_map_to_fern_statuses) {
  char msg[512];
  fern_stop_report_t r = report_of("COMPLETED", 0, 0, 0, 0, msg);
  ck_assert_int_eq(r.status, FERN_STOP_OK);
  ck_assert_int_eq(r.exit_code, 0);
  ck_assert_str_eq(msg, "slurm job 42 COMPLETED on n1");
  r = report_of("FAILED", 3, 0, 0, 1, msg);
  ck_assert_int_eq(r.status, FERN_STOP_INSTANCE_DIED);
  ck_assert_int_eq(r.exit_code, 3);
  r = report_of("FAILED", 0, SIGSEGV, 0, 1, msg);
  ck_assert_int_eq(r.status, FERN_STOP_INSTANCE_DIED);
  ck_assert_int_eq(r.term_signal, SIGSEGV);
  ck_assert_int_eq(r.exit_code, -1);
  r = report_of("TIMEOUT", 0, 0, 0, 1, msg);
  ck_assert_int_eq(r.status, FERN_STOP_INSTANCE_DIED);
  ck_assert_str_eq(msg,
                   "slurm job 42 TIMEOUT on n1: it ran past its time limit");
  r = report_of("OUT_OF_MEMORY", 0, 0, 0, 1, msg);
  ck_assert_int_eq(r.status, FERN_STOP_INSTANCE_DIED);
  ck_assert_str_eq(msg,
                   "slurm job 42 OUT_OF_MEMORY on n1: it ran out of memory");
  r = report_of("NODE_FAIL", 0, 0, 0, 1, msg);
  ck_assert_int_eq(r.status, FERN_STOP_INSTANCE_DIED);
  ck_assert_str_eq(msg, "slurm job 42 NODE_FAIL on n1: it lost a node");
  r = report_of("CANCELLED", 0, 0, 0, 1, msg);
  ck_assert_int_eq(r.status, FERN_STOP_INSTANCE_DIED);
  ck_assert_ptr_nonnull(strstr(msg, "cancelled outside fern"));
}
END_TEST

/* Stopped by fern while it pended (no node yet): it never ran. Stopped
 * once it had a node: it may have run, and stopped as asked. */
START_TEST(test_a_job_stopped_while_it_pended_never_started) {
  char msg[512];
  slurm_job_state job = {.job_id = 7};
  snprintf(job.state, sizeof job.state, "CANCELLED");
  fern_stop_report_t r;
  slurm_state_report(&job, 1, 0, &r, msg, sizeof msg);
  ck_assert_int_eq(r.status, FERN_STOP_NOT_STARTED);
  snprintf(job.nodes, sizeof job.nodes, "(null)");
  slurm_state_report(&job, 1, 0, &r, msg, sizeof msg);
  ck_assert_int_eq(r.status, FERN_STOP_NOT_STARTED);
  r = report_of("CANCELLED", 0, 0, 1, 0, msg);
  ck_assert_int_eq(r.status, FERN_STOP_OK);
}
END_TEST

START_TEST(test_a_job_that_never_ran_cannot_start) {
  char msg[512];
  fern_stop_report_t r = report_of("CANCELLED", 0, 0, 0, 0, msg);
  ck_assert_int_eq(r.status, FERN_STOP_CANNOT_START);
  r = report_of("BOOT_FAIL", 0, 0, 0, 0, msg);
  ck_assert_int_eq(r.status, FERN_STOP_CANNOT_START);
  ck_assert_str_eq(msg, "slurm job 42 BOOT_FAIL on n1: it could not boot its "
                        "nodes");
}
END_TEST

START_TEST(test_a_job_fern_stopped_ends_ok) {
  char msg[512];
  fern_stop_report_t r = report_of("CANCELLED", 0, 0, 1, 0, msg);
  ck_assert_int_eq(r.status, FERN_STOP_OK);
  ck_assert_str_eq(msg, "slurm job 42 CANCELLED on n1, stopped by fern");
  r = report_of("FAILED", 0, SIGTERM, 1, 1, msg);
  ck_assert_int_eq(r.status, FERN_STOP_OK);
  ck_assert_int_eq(r.term_signal, SIGTERM);
}
END_TEST

/* sacct's answer for an ended batch job, as the test cluster's Slurm
 * 22.05 prints it (-n -P --noconvert -o JobID,State,TotalCPU,MaxRSS): the
 * job's TotalCPU, the largest step's MaxRSS. */
START_TEST(test_sacct_gives_the_runs_cpu_and_peak) {
  const char *out = "41|COMPLETED|00:01.652|\n"
                    "41.batch|COMPLETED|00:01.652|67719168\n"
                    "41.extern|COMPLETED|00:00:00|1024K\n"
                    "410.batch|COMPLETED|00:00:00|99999999999\n";
  slurm_usage u;
  ck_assert_int_eq(slurm_usage_parse_sacct(out, 41, &u), 0);
  ck_assert_int_eq(u.final, 1);
  ck_assert_int_eq(u.steps, 2);
  ck_assert_int_eq(u.open_steps, 0);
  ck_assert_uint_eq(u.known, FERN_COST_CPU | FERN_COST_PEAK_MEMORY);
  ck_assert_uint_eq(u.cpu_usec, 1652000);
  ck_assert_uint_eq(u.peak_memory_bytes, 67719168);
  /* Written before its end reached the database: not final yet. */
  ck_assert_int_eq(slurm_usage_parse_sacct("42|RUNNING|00:00:00|\n"
                                           "42.0|COMPLETED|00:00.434|\n",
                                           42, &u),
                   0);
  ck_assert_int_eq(u.final, 0);
  /* The job's end written, its batch step's not yet. */
  ck_assert_int_eq(slurm_usage_parse_sacct("44|CANCELLED by 0|00:00:00|\n"
                                           "44.batch|RUNNING|00:00:00|\n",
                                           44, &u),
                   0);
  ck_assert_int_eq(u.final, 1);
  ck_assert_int_eq(u.open_steps, 1);
  /* Another job's lines, or none: not listed. */
  ck_assert_int_ne(
      slurm_usage_parse_sacct("410|COMPLETED|00:01.000|\n", 41, &u), 0);
  ck_assert_int_ne(slurm_usage_parse_sacct("", 41, &u), 0);
  ck_assert_int_eq(
      slurm_usage_parse_sacct("43|CANCELLED by 0|1-02:03:04|\n", 43, &u), 0);
  ck_assert_int_eq(u.final, 1);
  ck_assert_uint_eq(u.cpu_usec, (uint64_t)((26 * 60 + 3) * 60 + 4) * 1000000);
  ck_assert_uint_eq(u.known, FERN_COST_CPU); /* no MaxRSS sampled */
}
END_TEST

/* sstat while it runs (-a -n -P --noconvert -o
 * JobID,TresUsageInTot,TresUsageInMax): steps' CPU and memory added, the
 * largest peak. */
START_TEST(test_sstat_adds_the_running_steps) {
  const char *out =
      "4.batch|cpu=00:00:01,energy=0,fs/disk=1690120,mem=67624960,pages=5,"
      "vmem=72048640|cpu=00:00:01,energy=0,fs/disk=1690120,mem=67624960,"
      "pages=5,vmem=72048640\n"
      "4.0|cpu=00:00:02,mem=1601536,vmem=2990080|cpu=00:00:02,mem=2M\n";
  slurm_usage u;
  ck_assert_int_eq(slurm_usage_parse_sstat(out, 4, &u), 0);
  ck_assert_uint_eq(u.known,
                    FERN_COST_CPU | FERN_COST_MEMORY | FERN_COST_PEAK_MEMORY);
  ck_assert_uint_eq(u.cpu_usec, 3000000);
  ck_assert_uint_eq(u.memory_bytes, 67624960 + 1601536);
  ck_assert_uint_eq(u.peak_memory_bytes, 67624960);
  ck_assert_int_ne(slurm_usage_parse_sstat("", 4, &u), 0);
  ck_assert_int_ne(slurm_usage_parse_sstat(out, 40, &u), 0); /* not listed */
}
END_TEST

/* A batch's answer (`sacct -j 12,13,41`), read once for all its jobs:
 * each gets its own lines, and a job it does not list is not seen. */
START_TEST(test_one_sacct_answer_read_for_a_batch) {
  const char *out = "13|COMPLETED|00:02.000|\n"
                    "12|RUNNING|00:00:00|\n"
                    "13.batch|COMPLETED|00:02.000|2048K\n"
                    "12.0|RUNNING|00:00:00|\n"
                    "410.batch|COMPLETED|00:00:00|99999999999\n";
  const long jobs[] = {12, 13, 41};
  slurm_usage u[3];
  slurm_usage_parse_many(out, SLURM_ASK_SACCT, jobs, 3, u);
  ck_assert_int_eq(u[0].seen, 1);
  ck_assert_int_eq(u[0].final, 0);
  ck_assert_int_eq(u[0].open_steps, 1);
  ck_assert_int_eq(u[1].seen, 1);
  ck_assert_int_eq(u[1].final, 1);
  ck_assert_int_eq(u[1].steps, 1);
  ck_assert_uint_eq(u[1].cpu_usec, 2000000);
  ck_assert_uint_eq(u[1].peak_memory_bytes, 2048 * 1024);
  ck_assert_int_eq(u[2].seen, 0); /* 410 is not 41 */
}
END_TEST

START_TEST(test_slurm_times_and_sizes) {
  uint64_t v;
  ck_assert_int_eq(slurm_usage_parse_time("00:00.002", 9, &v), 0);
  ck_assert_uint_eq(v, 2000);
  ck_assert_int_eq(slurm_usage_parse_time("01:02:03", 8, &v), 0);
  ck_assert_uint_eq(v, 3723000000u);
  ck_assert_int_eq(slurm_usage_parse_time("2-00:00:01", 10, &v), 0);
  ck_assert_uint_eq(v, (2 * 86400 + 1) * 1000000ull);
  ck_assert_int_ne(slurm_usage_parse_time("", 0, &v), 0);
  ck_assert_int_ne(slurm_usage_parse_time("12", 2, &v), 0);
  ck_assert_int_ne(slurm_usage_parse_time("1:2:3:4", 7, &v), 0);
  ck_assert_int_ne(slurm_usage_parse_time("ab:cd", 5, &v), 0);
  /* Not as Slurm writes a time: each is refused. */
  const char *bad[] = {"1-",          "12:34:",  "12:34.",        " 1-02:03:04",
                       "+1-02:03:04", "1-02:03", "1234567890:00", "12::34",
                       "12:34.5x"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    ck_assert_msg(slurm_usage_parse_time(bad[i], strlen(bad[i]), &v) != 0,
                  "\"%s\" was read as %llu us", bad[i], (unsigned long long)v);
  ck_assert_int_eq(slurm_usage_parse_bytes("66132K", 6, &v), 0);
  ck_assert_uint_eq(v, 66132 * 1024);
  ck_assert_int_eq(slurm_usage_parse_bytes("1.50G", 5, &v), 0);
  ck_assert_uint_eq(v, 1536ull * 1024 * 1024);
  ck_assert_int_eq(slurm_usage_parse_bytes("512", 3, &v), 0);
  ck_assert_uint_eq(v, 512);
  ck_assert_int_ne(slurm_usage_parse_bytes("", 0, &v), 0);
  ck_assert_int_ne(slurm_usage_parse_bytes("12Q", 3, &v), 0);
  ck_assert_int_ne(slurm_usage_parse_bytes("12KB", 4, &v), 0);
  ck_assert_int_eq(slurm_usage_parse_bytes("9.999999P", 9, &v), 0);
  ck_assert_uint_eq(v, 9ull * (1ull << 50) +
                           999999ull * ((1ull << 50) / 1000000) +
                           999999ull * ((1ull << 50) % 1000000) / 1000000);
  ck_assert_int_ne(slurm_usage_parse_bytes("20000P", 6, &v), 0); /* 2^64+ */
  ck_assert_int_ne(slurm_usage_parse_bytes("99999999999999999999", 20, &v), 0);
}
END_TEST

Suite *slurm_state_suite(void) {
  Suite *s = suite_create("slurm_state");
  TCase *tc = tcase_create("state");
  tcase_add_test(tc, test_scontrol_fields_are_read);
  tcase_add_test(tc, test_squeue_finds_the_job_by_its_whole_name);
  tcase_add_test(tc, test_live_and_final_states);
  tcase_add_test(tc, test_end_states_map_to_fern_statuses);
  tcase_add_test(tc, test_a_job_that_never_ran_cannot_start);
  tcase_add_test(tc, test_a_job_stopped_while_it_pended_never_started);
  tcase_add_test(tc, test_a_job_fern_stopped_ends_ok);
  tcase_add_test(tc, test_sacct_gives_the_runs_cpu_and_peak);
  tcase_add_test(tc, test_sstat_adds_the_running_steps);
  tcase_add_test(tc, test_one_sacct_answer_read_for_a_batch);
  tcase_add_test(tc, test_slurm_times_and_sizes);
  suite_add_tcase(s, tc);
  return s;
}
