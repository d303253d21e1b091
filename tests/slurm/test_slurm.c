/* test_slurm.c - the Slurm runner against a real one-node cluster
 * (tests/slurm/run.sh starts it and names its directory in
 * FERN_SLURM_DIR): real sbatch, srun, squeue, scontrol and scancel, real
 * jobs, a controller that really goes away. Every wait has a deadline. */
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../e2e/e2e.h"

static const char *cluster(void) {
  const char *dir = getenv("FERN_SLURM_DIR");
  ck_assert_msg(dir != NULL && *dir, "run through tests/slurm/run.sh, which "
                                     "starts the cluster");
  return dir;
}

/* Runs a shell command with the cluster's SLURM_CONF; its exit status. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...) {
  char cmd[4096];
  int n = snprintf(cmd, sizeof cmd, "SLURM_CONF='%s/slurm.conf' ", cluster());
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd + n, sizeof cmd - (size_t)n, fmt, ap);
  va_end(ap);
  int status = system(cmd);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void controller(const char *what) {
  ck_assert_int_eq(
      sh("tests/slurm/cluster.sh %s-controller '%s'", what, cluster()), 0);
}

/* Sends `signum` to the cluster's slurmctld; 0 if it was sent. */
static int signal_controller(int signum) {
  char path[4200];
  snprintf(path, sizeof path, "%s/slurmctld.pid", cluster());
  FILE *f = fopen(path, "r");
  int pid = 0;
  if (f != NULL && fscanf(f, "%d", &pid) != 1)
    pid = 0;
  if (f != NULL)
    fclose(f);
  return pid > 0 ? kill(pid, signum) : -1;
}

/* Each test begins with a controller that answers and an empty queue:
 * a test that failed may have left jobs (fern killed at its deadline), or
 * the controller frozen or stopped. */
static void clean_cluster(void) {
  signal_controller(SIGCONT); /* a test that froze it may have failed; a
                               * stopped one is started below */
  if (sh("squeue -h >/dev/null 2>&1") != 0)
    controller("start");
  if (sh("squeue -h | grep -q .") != 0)
    return;
  ck_assert_int_eq(sh("scancel --user=$(id -un)"), 0);
  long deadline = e2e_now_ms() + 20000;
  while (sh("squeue -h | grep -q .") == 0) {
    ck_assert_msg(e2e_now_ms() < deadline, "jobs of an earlier test stay");
    poll(NULL, 0, 50);
  }
}

/* fern.json: the ELF runner and the Slurm runner on the cluster, with
 * `extra` (more runner config keys, or "") appended. */
static void config(const char *pkg, const char *extra) {
  char text[2048];
  snprintf(text, sizeof text,
           "{\"root_environment\": {\"stop_timeout_ms\": 5000, \"runners\": ["
           "{\"runner\": \"elf\"}, {\"runner\": \"slurm\", \"config\": "
           "{\"slurm_conf\": \"%s/slurm.conf\", \"poll_interval_ms\": 100%s}}"
           "]}}",
           cluster(), extra);
  e2e_package_write(pkg, "fern.json", text);
}

/* meta/NAME.cm: bin/tool as a Slurm job; `fields` adds program keys. */
static void job(const char *pkg, const char *name, const char *fields) {
  char rel[64], text[1024];
  snprintf(rel, sizeof rel, "meta/%s.cm", name);
  snprintf(text, sizeof text,
           "{\"program\": {\"runner\": \"slurm\", \"binary\": \"bin/tool\", "
           "%s}}",
           fields);
  e2e_package_write(pkg, rel, text);
}

static void local(const char *pkg, const char *name, const char *args) {
  char rel[64], text[512];
  snprintf(rel, sizeof rel, "meta/%s.cm", name);
  snprintf(text, sizeof text,
           "{\"program\": {\"runner\": \"elf\", \"binary\": \"bin/tool\", "
           "\"args\": [%s]}}",
           args);
  e2e_package_write(pkg, rel, text);
}

/* meta/root.cm with these eager children; names starting "quick-" get a
 * 500 ms stop timeout. */
static void root_of(const char *pkg, const char *const *names) {
  char text[4096] = "{\"environments\": [{\"name\": \"quick\", \"extends\": "
                    "\"realm\", \"__stop_timeout_ms\": 500}], \"children\": [";
  for (size_t i = 0; names[i] != NULL; i++) {
    size_t used = strlen(text);
    snprintf(text + used, sizeof text - used,
             "%s{\"name\": \"%s\", \"url\": \"#meta/%s.cm\", \"startup\": "
             "\"eager\"%s}",
             i ? "," : "", names[i], names[i],
             strncmp(names[i], "quick-", 6) == 0
                 ? ", \"environment\": \"#quick\""
                 : "");
  }
  strcat(text, "]}");
  e2e_package_write(pkg, "meta/root.cm", text);
}

/* The tree most cases use: "batch" and "live" (an interactive job), both
 * running bin/tool with `args`, and, unless `steady` is NULL, a local ELF
 * sibling "steady" running bin/tool with `steady`. */
static void batch_live_steady(const char *pkg, const char *args,
                              const char *steady) {
  char fields[512];
  snprintf(fields, sizeof fields, "\"args\": [%s]", args);
  job(pkg, "batch", fields);
  snprintf(fields, sizeof fields, "\"mode\": \"interactive\", \"args\": [%s]",
           args);
  job(pkg, "live", fields);
  if (steady != NULL)
    local(pkg, "steady", steady);
  const char *names[] = {"batch", "live", steady ? "steady" : NULL, NULL};
  root_of(pkg, names);
}

static void start(e2e_proc *p, const char *pkg) {
  static char conf[4200], sock[4200], root[4200];
  snprintf(conf, sizeof conf, "%s/fern.json", pkg);
  snprintf(sock, sizeof sock, "%s/control.sock", pkg);
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  const char *args[] = {"run", "--config", conf, "--control", sock, root, NULL};
  e2e_start(p, args);
}

/* The job id fern logged for MONIKER ("MONIKER: ... slurm job N"). */
static long job_id(const char *err, const char *moniker) {
  char key[128];
  snprintf(key, sizeof key, "%s: submitted as slurm job ", moniker);
  const char *at = strstr(err, key);
  if (at == NULL) {
    snprintf(key, sizeof key, "%s: status: slurm job ", moniker);
    at = strstr(err, key);
  }
  ck_assert_msg(at != NULL, "no job id for %s in:\n%s", moniker, err);
  return strtol(at + strlen(key), NULL, 10);
}

/* Waits until Slurm lists job ID in one of STATES (or, with "", nowhere
 * among the live states). */
static void job_becomes(long id, const char *states, int ms) {
  long deadline = e2e_now_ms() + ms;
  for (;;) {
    int found = sh("squeue -h -j %ld -t %s 2>/dev/null | grep -q .", id,
                   states[0] ? states : "PENDING,RUNNING,COMPLETING") == 0;
    if (found == (states[0] != '\0'))
      return;
    ck_assert_msg(e2e_now_ms() < deadline, "slurm job %ld: not %s within %d ms",
                  id, states[0] ? states : "gone", ms);
    poll(NULL, 0, 50); /* squeue is the event: there is no other to wait on */
  }
}

/* No process runs from the package's bin/tool any more. */
static void nothing_runs_from(const char *pkg, int ms) {
  long deadline = e2e_now_ms() + ms;
  char cmd[4400];
  /* [t]: the pattern must not match the shell that runs pgrep. */
  snprintf(cmd, sizeof cmd, "pgrep -f '%s/bin/[t]ool' >/dev/null", pkg);
  while (system(cmd) == 0) {
    ck_assert_msg(e2e_now_ms() < deadline, "a process of %s is left", pkg);
    poll(NULL, 0, 50);
  }
}

/* Batch jobs: the exit code, a signal and the output files, each with the
 * job id and Slurm's state in the report. */
START_TEST(test_batch_jobs_report_exit_code_signal_and_output) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  config(pkg, "");
  job(pkg, "ok", "\"args\": [\"print\", \"hello batch\", \"line two\"]");
  job(pkg, "three", "\"args\": [\"exit\", \"3\"]");
  job(pkg, "abort", "\"args\": [\"signal\", \"6\"]");
  job(pkg, "err", "\"args\": [\"stderr\", \"on stderr\"]");
  const char *names[] = {"ok", "three", "abort", "err", NULL};
  root_of(pkg, names);
  e2e_proc p;
  start(&p, pkg);
  ck_assert_int_eq(e2e_finish(&p, 60000), 1);
  e2e_assert_order(p.err, "[/ok] hello batch\n", "[/ok] line two\n");
  e2e_assert_has(p.err, "[/err:2] on stderr\n");
  char line[256];
  snprintf(line, sizeof line,
           "/ok: stopped: ok (exit 0): slurm job %ld "
           "COMPLETED on localhost",
           job_id(p.err, "/ok"));
  e2e_assert_has(p.err, line);
  snprintf(line, sizeof line,
           "/three: error: stopped: instance_died (exit 3): "
           "slurm job %ld FAILED on localhost",
           job_id(p.err, "/three"));
  e2e_assert_has(p.err, line);
  snprintf(line, sizeof line,
           "/abort: error: stopped: instance_died (signal "
           "ABRT): slurm job %ld FAILED",
           job_id(p.err, "/abort"));
  e2e_assert_has(p.err, line);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* A component's output reaches fern's log while its job still runs, in
 * both modes; stop ends each job with SIGTERM and reports ok. */
START_TEST(test_output_arrives_while_the_job_runs) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  config(pkg, "");
  job(pkg, "batch", "\"args\": [\"sleep\"]");
  job(pkg, "live", "\"mode\": \"interactive\", \"args\": [\"sleep\"]");
  job(pkg, "steps", "\"tasks\": 2, \"args\": [\"sleep\"]");
  const char *names[] = {"batch", "live", "steps", NULL};
  root_of(pkg, names);
  e2e_proc p;
  start(&p, pkg);
  e2e_wait_for_count(&p, "[/steps] ready\n", 2, 30000);
  e2e_wait_for(&p, "[/batch] ready\n", 30000);
  e2e_wait_for(&p, "[/live] ready\n", 30000);
  e2e_wait_for(&p, "/live: started", 30000);
  long batch = job_id(p.err, "/batch"), live = job_id(p.err, "/live");
  job_becomes(batch, "RUNNING", 1000); /* the output came before the end */
  job_becomes(live, "RUNNING", 1000);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 30000), 0);
  e2e_assert_has(p.err, "/batch: stopped: ok (signal TERM): slurm job ");
  e2e_assert_has(p.err, "/live: stopped: ok (signal TERM): slurm job ");
  e2e_assert_has(p.err, "stopped by fern");
  /* Two tasks under srun in the batch job: each gets SIGTERM itself. */
  e2e_assert_has(p.err, "[/steps:2] srun: error: localhost: tasks 0-1: "
                        "Terminated\n");
  e2e_assert_has(p.err, "/steps: stopped: ok (exit 143): slurm job ");
  job_becomes(batch, "", 10000);
  job_becomes(live, "", 10000);
  nothing_runs_from(pkg, 10000);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* Programs that ignore SIGTERM are killed when the stop timeout passes,
 * in both modes, and nothing of them is left on the node. */
START_TEST(test_kill_after_the_stop_timeout) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  config(pkg, "");
  job(pkg, "quick-batch", "\"args\": [\"ignore-term\"]");
  job(pkg, "quick-live",
      "\"mode\": \"interactive\", \"args\": [\"ignore-term\"]");
  job(pkg, "quick-steps", "\"tasks\": 2, \"args\": [\"ignore-term\"]");
  const char *names[] = {"quick-batch", "quick-live", "quick-steps", NULL};
  root_of(pkg, names);
  e2e_proc p;
  start(&p, pkg);
  e2e_wait_for(&p, "[/quick-batch] ready\n", 30000);
  e2e_wait_for(&p, "[/quick-live] ready\n", 30000);
  e2e_wait_for(&p, "/quick-live: started", 30000);
  e2e_wait_for(&p, "/quick-batch: started", 30000);
  e2e_wait_for_count(&p, "[/quick-steps] ready\n", 2, 30000);
  long batch = job_id(p.err, "/quick-batch");
  long live = job_id(p.err, "/quick-live");
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 30000), 1);
  e2e_assert_has(p.err, "/quick-batch: warning: did not stop within 500 ms");
  e2e_assert_has(p.err, "/quick-batch: error: stopped: killed_after_timeout "
                        "(signal KILL)");
  e2e_assert_has(p.err, "/quick-live: error: stopped: killed_after_timeout "
                        "(signal KILL)");
  e2e_assert_has(p.err, "/quick-steps: error: stopped: killed_after_timeout");
  job_becomes(batch, "", 10000);
  job_becomes(live, "", 10000);
  nothing_runs_from(pkg, 10000);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* The job's shape and the program's environ reach Slurm and the job. */
START_TEST(test_job_shape_and_environ_reach_the_job) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  config(pkg, "");
  job(pkg, "shape",
      "\"args\": [\"env\"], \"partition\": \"debug\", "
      "\"nodes\": 1, \"tasks\": 1, \"cpus_per_task\": 2, "
      "\"memory\": \"100M\", \"time_limit\": \"10\", "
      "\"environ\": [\"GREETING=hello there\"]");
  job(pkg, "multi",
      "\"mode\": \"interactive\", \"tasks\": 2, "
      "\"args\": [\"print\", \"a task\"]");
  job(pkg, "multibatch",
      "\"tasks\": 3, \"args\": [\"print\", \"one of three\"]");
  const char *names[] = {"shape", "multi", "multibatch", NULL};
  root_of(pkg, names);
  e2e_proc p;
  start(&p, pkg);
  ck_assert_int_eq(e2e_finish(&p, 60000), 0);
  e2e_assert_has(p.err, "[/shape] SLURM_JOB_PARTITION=debug\n");
  e2e_assert_has(p.err, "[/shape] SLURM_CPUS_PER_TASK=2\n");
  e2e_assert_has(p.err, "[/shape] SLURM_MEM_PER_NODE=100\n");
  e2e_assert_has(p.err, "[/shape] SLURM_JOB_NUM_NODES=1\n");
  e2e_assert_has(p.err, "[/shape] GREETING=hello there\n");
  e2e_assert_has(p.err, "[/shape] FERN_MONIKER=/shape\n");
  ck_assert_int_eq(sh("scontrol -o show job %ld | grep -q 'TimeLimit=00:10:00'",
                      job_id(p.err, "/shape")),
                   0);
  ck_assert_int_eq(e2e_count(p.err, "[/multi] a task\n"), 2);
  ck_assert_int_eq(e2e_count(p.err, "[/multibatch] one of three\n"), 3);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* Broken program blocks fail only their component, each with a message
 * that says what is wrong; the sibling runs. */
START_TEST(test_bad_program_blocks_cannot_start) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  config(pkg, "");
  job(pkg, "unknown", "\"cores\": 4");
  job(pkg, "memory", "\"memory\": \"lots\"");
  job(pkg, "time", "\"time_limit\": \"soon\"");
  job(pkg, "mode", "\"mode\": \"later\"");
  job(pkg, "nodes", "\"nodes\": 0");
  job(pkg, "partition", "\"partition\": \"a b\"");
  e2e_package_write(pkg, "meta/missing.cm",
                    "{\"program\": {\"runner\": "
                    "\"slurm\", \"binary\": \"bin/nothing\"}}");
  e2e_package_write(pkg, "meta/notexec.cm",
                    "{\"program\": {\"runner\": "
                    "\"slurm\", \"binary\": \"meta/root.cm\"}}");
  local(pkg, "steady", "\"print\", \"steady is fine\"");
  const char *names[] = {"unknown",   "memory",  "time",    "mode",   "nodes",
                         "partition", "missing", "notexec", "steady", NULL};
  root_of(pkg, names);
  e2e_proc p;
  start(&p, pkg);
  ck_assert_int_eq(e2e_finish(&p, 30000), 1);
  e2e_assert_has(p.err, "does not know program key \"cores\"");
  e2e_assert_has(p.err, "\"memory\" must be megabytes");
  e2e_assert_has(p.err, "\"time_limit\" must be minutes");
  e2e_assert_has(p.err, "\"mode\" must be \"batch\" or \"interactive\"");
  e2e_assert_has(p.err, "\"nodes\" must be a whole number from 1");
  e2e_assert_has(p.err, "\"partition\" must be a Slurm name");
  e2e_assert_has(p.err, "/missing: error: cannot_start: ");
  e2e_assert_has(p.err, "/notexec: error: cannot_start: ");
  e2e_assert_has(p.err, "is not an executable file");
  ck_assert_int_eq(e2e_count(p.err, ": error: cannot_start: "), 8);
  e2e_assert_lacks(p.err, "submitted as slurm job");
  e2e_assert_has(p.err, "/steady: stopped: ok (exit 0)");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* No Slurm commands where the config says: a clear error, nothing hangs. */
START_TEST(test_missing_slurm_commands_are_named) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  config(pkg, ", \"bin_dir\": \"/nonexistent-slurm\"");
  batch_live_steady(pkg, "\"print\", \"never\"",
                    "\"print\", \"steady is fine\"");
  e2e_proc p;
  start(&p, pkg);
  ck_assert_int_eq(e2e_finish(&p, 30000), 1);
  e2e_assert_has(p.err, "/batch: error: cannot_start: sbatch failed: cannot "
                        "run it: no such file or directory");
  e2e_assert_has(p.err, "/live: error: cannot_start: srun failed: cannot run "
                        "it: no such file or directory");
  e2e_assert_has(p.err, "/steady: stopped: ok (exit 0)");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* An output directory that cannot be made fails the batch jobs that need
 * it, saying which directory and why; interactive jobs need none. */
START_TEST(test_output_dir_that_cannot_be_made) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  config(pkg, ", \"output_dir\": \"/proc/fern-no-such-dir\"");
  job(pkg, "batch", "\"args\": [\"print\", \"never\"]");
  job(pkg, "live",
      "\"mode\": \"interactive\", \"args\": [\"print\", "
      "\"live is fine\"]");
  const char *names[] = {"batch", "live", NULL};
  root_of(pkg, names);
  e2e_proc p;
  start(&p, pkg);
  ck_assert_int_eq(e2e_finish(&p, 30000), 1);
  e2e_assert_has(p.err, "/batch: error: cannot_start: cannot make the output "
                        "directory /proc/fern-no-such-dir: ");
  e2e_assert_has(p.err, "[/live] live is fine\n");
  e2e_assert_has(p.err, "/live: stopped: ok (exit 0)");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* The controller is down when the tree boots: the Slurm components fail
 * with Slurm's own words, the local one runs, fern ends. */
START_TEST(test_controller_down_at_start) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  config(pkg, "");
  batch_live_steady(pkg, "\"print\", \"never\"",
                    "\"print\", \"steady is fine\"");
  controller("stop");
  e2e_proc p;
  start(&p, pkg);
  int status = e2e_finish(&p, 60000);
  controller("start");
  ck_assert_int_eq(status, 1);
  e2e_assert_has(p.err,
                 "/batch: error: cannot_start: sbatch failed: Batch job "
                 "submission failed: Unable to contact slurm controller");
  e2e_assert_has(p.err,
                 "/live: error: cannot_start: srun failed: Unable to "
                 "allocate resources: Unable to contact slurm controller");
  e2e_assert_has(p.err, "[/steady] steady is fine\n");
  e2e_assert_has(p.err, "/steady: stopped: ok (exit 0)");
  e2e_assert_lacks(p.err, "[/batch] never");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* The controller is there but does not answer (frozen): sbatch is given
 * up at command_timeout_ms, srun gives up by itself; fern never hangs and
 * the local sibling runs. */
START_TEST(test_controller_that_does_not_answer) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  config(pkg, ", \"command_timeout_ms\": 1500");
  batch_live_steady(pkg, "\"print\", \"never\"",
                    "\"print\", \"steady is fine\"");
  ck_assert_int_eq(signal_controller(SIGSTOP), 0);
  e2e_proc p;
  start(&p, pkg);
  int status = e2e_finish(&p, 60000);
  ck_assert_int_eq(signal_controller(SIGCONT), 0);
  ck_assert_int_eq(status, 1);
  e2e_assert_has(p.err, "/batch: error: cannot_start: sbatch did not answer "
                        "within 1500 ms: is the Slurm controller up?");
  e2e_assert_has(p.err, "/live: error: cannot_start: srun failed: Unable to "
                        "allocate resources");
  e2e_assert_has(p.err, "/steady: stopped: ok (exit 0)");
  e2e_assert_lacks(p.err, "never");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* The controller restarts while jobs run: fern follows them through it
 * and reports their real end; the local sibling never notices. */
START_TEST(test_controller_restart_while_jobs_run) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  config(pkg, "");
  batch_live_steady(pkg, "\"run-for\", \"4000\", \"0\"", "\"sleep\"");
  e2e_proc p;
  start(&p, pkg);
  e2e_wait_for(&p, "/batch: started", 30000);
  e2e_wait_for(&p, "/live: started", 30000);
  controller("stop");
  controller("start");
  e2e_wait_for(&p, "/batch: stopped: ok (exit 0)", 60000);
  e2e_wait_for(&p, "/live: stopped: ok (exit 0)", 60000);
  e2e_assert_lacks(p.err, "/steady: stopped");
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 30000), 0);
  e2e_assert_has(p.err, "/steady: stopped: ok");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* The controller stays away past controller_timeout_ms: the batch job's
 * component fails with a message that says what became of the job; the
 * local sibling runs on. */
START_TEST(test_controller_gone_too_long_fails_only_its_jobs) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  config(pkg,
         ", \"controller_timeout_ms\": 2000, \"command_timeout_ms\": 1000");
  job(pkg, "batch", "\"args\": [\"sleep\"]");
  local(pkg, "steady", "\"sleep\"");
  const char *names[] = {"batch", "steady", NULL};
  root_of(pkg, names);
  e2e_proc p;
  start(&p, pkg);
  e2e_wait_for(&p, "/batch: started", 30000);
  e2e_wait_for(&p, "[/steady] ready", 30000);
  long id = job_id(p.err, "/batch");
  controller("stop");
  e2e_wait_for(&p,
               "/batch: error: stopped: instance_died: the Slurm "
               "controller has not answered for ",
               30000);
  controller("start");
  char line[160];
  snprintf(line, sizeof line,
           "slurm job %ld (last seen RUNNING) is left to "
           "Slurm: see it with squeue, cancel it with scancel %ld",
           id, id);
  e2e_assert_has(p.err, line);
  e2e_assert_has(p.err, "slurm runner: squeue failed (no answer in time)");
  e2e_assert_lacks(p.err, "/steady: stopped");
  ck_assert_int_eq(sh("scancel %ld", id), 0);
  job_becomes(id, "", 10000);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 30000), 1);
  e2e_assert_has(p.err, "/steady: stopped: ok");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* Jobs cancelled from outside with scancel end as what they are, in both
 * modes; the local sibling runs on. */
START_TEST(test_jobs_cancelled_outside_fern) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  config(pkg, "");
  batch_live_steady(pkg, "\"sleep\"", "\"sleep\"");
  e2e_proc p;
  start(&p, pkg);
  e2e_wait_for(&p, "/batch: started", 30000);
  e2e_wait_for(&p, "/live: started", 30000);
  long batch = job_id(p.err, "/batch"), live = job_id(p.err, "/live");
  ck_assert_int_eq(sh("scancel %ld %ld", batch, live), 0);
  char line[200];
  snprintf(line, sizeof line,
           "/batch: error: stopped: instance_died: slurm "
           "job %ld CANCELLED on localhost: it was cancelled outside fern",
           batch);
  e2e_wait_for(&p, line, 30000);
  snprintf(line, sizeof line,
           "/live: error: stopped: instance_died: slurm "
           "job %ld CANCELLED on localhost: it was cancelled outside fern",
           live);
  e2e_wait_for(&p, line, 30000);
  e2e_assert_lacks(p.err, "/steady: stopped");
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 30000), 1);
  e2e_assert_has(p.err, "/steady: stopped: ok");
  nothing_runs_from(pkg, 10000);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* Stopped while its job still waits for resources (every CPU is held by
 * a job the test submits itself): the job is withdrawn from the queue,
 * never runs, and the stop is ok, in both modes. */
START_TEST(test_stop_while_the_job_is_pending) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  config(pkg, "");
  FILE *f = popen("sh -c 'SLURM_CONF=$FERN_SLURM_DIR/slurm.conf sbatch "
                  "--parsable -c 64 -o /dev/null --wrap \"sleep 300\"'",
                  "r");
  long hog = 0;
  ck_assert(f != NULL && fscanf(f, "%ld", &hog) == 1);
  pclose(f);
  job_becomes(hog, "RUNNING", 10000);
  job(pkg, "waiter", "\"args\": [\"print\", \"never\"]");
  job(pkg, "livewaiter",
      "\"mode\": \"interactive\", "
      "\"args\": [\"print\", \"never\"]");
  const char *names[] = {"waiter", "livewaiter", NULL};
  root_of(pkg, names);
  e2e_proc p;
  start(&p, pkg);
  e2e_wait_for(&p, "/waiter: submitted as slurm job ", 30000);
  long waiter = job_id(p.err, "/waiter");
  job_becomes(waiter, "PENDING", 5000);
  char pending[160];
  /* What `fern show` says of it; the reason is Slurm's (Resources, or
   * Priority when the other waiter is ahead in the queue). */
  snprintf(pending, sizeof pending, "/waiter: status: slurm job %ld pending (",
           waiter);
  e2e_wait_for(&p, pending, 10000);
  e2e_wait_for(&p, "[/livewaiter:2] srun: job ", 30000); /* queued */
  kill(p.pid, SIGTERM);
  int status = e2e_finish(&p, 30000);
  sh("scancel %ld", hog);
  ck_assert_int_eq(status, 0);
  char line[160];
  snprintf(line, sizeof line,
           "/waiter: stopped: ok: slurm job %ld CANCELLED, "
           "stopped by fern",
           waiter);
  e2e_assert_has(p.err, line);
  e2e_assert_has(p.err, "/livewaiter: stopped: ok");
  e2e_assert_lacks(p.err, "never");
  job_becomes(waiter, "", 10000);
  job_becomes(hog, "", 10000);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* stage: the binary is copied to the nodes and runs from the copy. */
START_TEST(test_staged_binary_runs_from_the_copy) {
  char pkg[4096], extra[4200], expect[4300];
  e2e_package_new(pkg, sizeof pkg);
  snprintf(extra, sizeof extra, ", \"stage_dir\": \"%s/stage\"", pkg);
  config(pkg, extra);
  snprintf(expect, sizeof expect, "%s/stage", pkg);
  ck_assert_int_eq(mkdir(expect, 0755), 0);
  job(pkg, "batch", "\"stage\": true, \"args\": [\"exe\"]");
  job(pkg, "live",
      "\"stage\": true, \"mode\": \"interactive\", "
      "\"args\": [\"exe\"]");
  const char *names[] = {"batch", "live", NULL};
  root_of(pkg, names);
  e2e_proc p;
  start(&p, pkg);
  ck_assert_int_eq(e2e_finish(&p, 60000), 0);
  snprintf(expect, sizeof expect, "[/batch] exe %s/stage/slurm_bcast_", pkg);
  e2e_assert_has(p.err, expect);
  snprintf(expect, sizeof expect, "[/live] exe %s/stage/slurm_bcast_", pkg);
  e2e_assert_has(p.err, expect);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* fern is killed with SIGKILL while its jobs run: the next fern on this
 * host that uses the runner cancels them. */
START_TEST(test_jobs_of_a_killed_fern_are_cancelled_by_the_next) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  config(pkg, "");
  batch_live_steady(pkg, "\"sleep\"", NULL);
  e2e_proc p;
  start(&p, pkg);
  e2e_wait_for(&p, "/batch: started", 30000);
  e2e_wait_for(&p, "/live: started", 30000);
  long batch = job_id(p.err, "/batch"), live = job_id(p.err, "/live");
  kill(p.pid, SIGKILL);
  ck_assert_int_eq(e2e_finish(&p, 10000), 128 + SIGKILL);
  e2e_free(&p);
  job_becomes(batch, "RUNNING", 1000); /* left running by the dead fern */
  job(pkg, "next", "\"args\": [\"print\", \"the next fern\"]");
  const char *next[] = {"next", NULL};
  root_of(pkg, next);
  start(&p, pkg);
  ck_assert_int_eq(e2e_finish(&p, 30000), 0);
  /* Both jobs, in the order squeue lists them. */
  char one[200], other[200];
  snprintf(one, sizeof one,
           "slurm runner: cancelling slurm jobs %ld, %ld, left by a fern on "
           "this host that is gone",
           batch, live);
  snprintf(other, sizeof other,
           "slurm runner: cancelling slurm jobs %ld, %ld, left by a fern on "
           "this host that is gone",
           live, batch);
  ck_assert_msg(strstr(p.err, one) != NULL || strstr(p.err, other) != NULL,
                "expected jobs %ld and %ld cancelled in:\n%s", batch, live,
                p.err);
  job_becomes(batch, "", 20000);
  job_becomes(live, "", 20000);
  nothing_runs_from(pkg, 20000);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

static Suite *slurm_suite(void) {
  Suite *s = suite_create("slurm");
  TCase *tc = tcase_create("runner");
  tcase_set_timeout(tc, 120);
  tcase_add_checked_fixture(tc, clean_cluster, NULL);
  tcase_add_test(tc, test_batch_jobs_report_exit_code_signal_and_output);
  tcase_add_test(tc, test_output_arrives_while_the_job_runs);
  tcase_add_test(tc, test_kill_after_the_stop_timeout);
  tcase_add_test(tc, test_job_shape_and_environ_reach_the_job);
  tcase_add_test(tc, test_bad_program_blocks_cannot_start);
  tcase_add_test(tc, test_missing_slurm_commands_are_named);
  tcase_add_test(tc, test_output_dir_that_cannot_be_made);
  tcase_add_test(tc, test_controller_down_at_start);
  tcase_add_test(tc, test_controller_that_does_not_answer);
  tcase_add_test(tc, test_controller_restart_while_jobs_run);
  tcase_add_test(tc, test_controller_gone_too_long_fails_only_its_jobs);
  tcase_add_test(tc, test_jobs_cancelled_outside_fern);
  tcase_add_test(tc, test_stop_while_the_job_is_pending);
  tcase_add_test(tc, test_staged_binary_runs_from_the_copy);
  tcase_add_test(tc, test_jobs_of_a_killed_fern_are_cancelled_by_the_next);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *runner = srunner_create(slurm_suite());
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
