/* test_slurm.c - the Slurm runner's jobs, against a real one-node
 * cluster: real sbatch, srun, squeue, scontrol and scancel, real jobs.
 * Their output, exit codes and signals; stop and kill; the job's shape;
 * bad program blocks; staging; stopping a job that still waits. */
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "slurm_e2e.h"

/* Batch jobs: the exit code, a signal and the output files, each with the
 * job id and Slurm's state in the report. */
START_TEST(test_batch_jobs_report_exit_code_signal_and_output) {
  char pkg[4096];
  package(pkg, "");
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
  package(pkg, "");
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
  package(pkg, "");
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
  package(pkg, "");
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
  package(pkg, "");
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

/* A job cannot be given what it uses: a protocol's socket or a package's
 * directory is on this machine, the job on another. Each such component
 * is refused, naming the kind and the name; the local sibling runs. */
START_TEST(test_a_job_that_uses_a_capability_is_refused) {
  char pkg[4096];
  package(pkg, "");
  e2e_package_write(pkg, "meta/dir-user.cm",
                    "{\"program\": {\"runner\": \"slurm\", \"binary\": "
                    "\"bin/tool\", \"args\": [\"print\", \"never\"]},\n"
                    " \"use\": [{\"directory\": \"data\", \"rights\": "
                    "[\"r*\"]}]}\n");
  e2e_package_write(pkg, "meta/socket-user.cm",
                    "{\"program\": {\"runner\": \"slurm\", \"binary\": "
                    "\"bin/tool\", \"args\": [\"print\", \"never\"]},\n"
                    " \"use\": [{\"protocol\": \"echo\"}]}\n");
  e2e_package_write(pkg, "meta/server.cm",
                    "{\"program\": {\"runner\": \"elf\", \"binary\": "
                    "\"bin/tool\", \"args\": [\"echo-serve\"]},\n"
                    " \"capabilities\": [{\"protocol\": \"echo\"}],\n"
                    " \"expose\": [{\"protocol\": \"echo\", \"from\": "
                    "\"self\"}]}\n");
  local(pkg, "steady", "\"print\", \"steady is fine\"");
  e2e_package_write(
      pkg, "meta/root.cm",
      "{\"capabilities\": [{\"directory\": \"data\", \"path\": \"meta\", "
      "\"rights\": [\"r*\"]}],\n"
      " \"children\": [{\"name\": \"server\", \"url\": \"#meta/server.cm\"},\n"
      "  {\"name\": \"dir-user\", \"url\": \"#meta/dir-user.cm\", "
      "\"startup\": \"eager\"},\n"
      "  {\"name\": \"socket-user\", \"url\": \"#meta/socket-user.cm\", "
      "\"startup\": \"eager\"},\n"
      "  {\"name\": \"steady\", \"url\": \"#meta/steady.cm\", "
      "\"startup\": \"eager\"}],\n"
      " \"offer\": [{\"directory\": \"data\", \"from\": \"self\", \"to\": "
      "\"#dir-user\"},\n"
      "  {\"protocol\": \"echo\", \"from\": \"#server\", \"to\": "
      "\"#socket-user\"}]}\n");
  e2e_proc p;
  start(&p, pkg);
  ck_assert_int_eq(e2e_finish(&p, 30000), 1);
  e2e_assert_has(p.err, "/dir-user: error: cannot_start: the slurm runner "
                        "cannot give a component what it uses (directory "
                        "\"data\")");
  e2e_assert_has(p.err, "/socket-user: error: cannot_start: the slurm runner "
                        "cannot give a component what it uses (protocol "
                        "\"echo\")");
  e2e_assert_lacks(p.err, "submitted as slurm job");
  e2e_assert_has(p.err, "/steady: stopped: ok (exit 0)");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* What runs left in PKG/.fern-ns (namespaces and configuration files). */
static int runs_left_in(const char *pkg) {
  char dir[4300];
  snprintf(dir, sizeof dir, "%s/.fern-ns", pkg);
  DIR *d = opendir(dir);
  int left = 0;
  struct dirent *e;
  while (d != NULL && (e = readdir(d)) != NULL)
    left += e->d_name[0] != '.';
  if (d != NULL)
    closedir(d);
  return left;
}

/* A directory and a storage on a file system the runner's "shared_paths"
 * names reach the job (this one-node cluster's nodes share /tmp): it
 * reads the directory and counts in its storage through FERN_NAMESPACE,
 * a directory of symlinks the runner made on the shared path and removes
 * when the run ends. A directory off the shared paths is still refused. */
START_TEST(test_a_job_gets_what_it_uses_on_a_shared_path) {
  char pkg[4096], extra[4300], dir[4300];
  e2e_package_new(pkg, 4096);
  snprintf(extra, sizeof extra, ", \"shared_paths\": [\"%s\"]", pkg);
  config(pkg, extra);
  static const char *const dirs[] = {"data", "var"};
  for (int i = 0; i < 2; i++) {
    snprintf(dir, sizeof dir, "%s/%s", pkg, dirs[i]);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
  }
  e2e_package_write(pkg, "data/file", "from the shared package\n");
  e2e_package_write(pkg, "meta/reader.cm",
                    "{\"program\": {\"runner\": \"slurm\", \"binary\": "
                    "\"bin/tool\", \"args\": [\"ns-cat\", \"config/file\"]},\n"
                    " \"use\": [{\"directory\": \"config\", \"rights\": "
                    "[\"r*\"]}]}\n");
  e2e_package_write(pkg, "meta/counter.cm",
                    "{\"program\": {\"runner\": \"slurm\", \"binary\": "
                    "\"bin/tool\", \"args\": [\"ns-count\", \"data/count\"]},\n"
                    " \"use\": [{\"storage\": \"data\", \"path\": \"/data\"}]}\n");
  e2e_package_write(
      pkg, "meta/root.cm",
      "{\"capabilities\": [{\"directory\": \"config\", \"path\": \"data\", "
      "\"rights\": [\"r*\"]},\n"
      "  {\"directory\": \"state\", \"path\": \"var\", \"rights\": [\"rw*\"]},\n"
      "  {\"storage\": \"data\", \"from\": \"self\", \"backing_dir\": \"state\"}],\n"
      " \"children\": [{\"name\": \"reader\", \"url\": \"#meta/reader.cm\", "
      "\"startup\": \"eager\"},\n"
      "  {\"name\": \"counter\", \"url\": \"#meta/counter.cm\", "
      "\"startup\": \"eager\"}],\n"
      " \"offer\": [{\"directory\": \"config\", \"from\": \"self\", \"to\": "
      "\"#reader\"},\n"
      "  {\"storage\": \"data\", \"from\": \"self\", \"to\": \"#counter\"}]}\n");
  e2e_proc p;
  start(&p, pkg);
  ck_assert_int_eq(e2e_finish(&p, 60000), 0);
  e2e_assert_has(p.err, "[/reader] from the shared package\n");
  e2e_assert_has(p.err, "[/counter] count 1\n");
  snprintf(dir, sizeof dir, "%s/var/counter:0/data/count", pkg);
  ck_assert_int_eq(access(dir, F_OK), 0);
  /* Each run's namespace went with it. */
  ck_assert_int_eq(runs_left_in(pkg), 0);
  e2e_free(&p);
  /* Off the shared paths, the same component is refused. */
  config(pkg, "");
  start(&p, pkg);
  ck_assert_int_eq(e2e_finish(&p, 60000), 1);
  e2e_assert_has(p.err, "/reader: error: cannot_start: the slurm runner "
                        "cannot give a component what it uses (directory "
                        "\"config\")");
  e2e_assert_has(p.err, "unless on a file system the runner's "
                        "\"shared_paths\" names");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* A job's structured configuration reaches it, batch or interactive, as
 * the file FERN_CONFIG names on the shared path, removed when the run
 * ends; without a shared path the component is refused, saying why. */
START_TEST(test_a_job_gets_its_config_on_a_shared_path) {
  char pkg[4096], extra[4300];
  e2e_package_new(pkg, 4096);
  snprintf(extra, sizeof extra, ", \"shared_paths\": [\"%s\"]", pkg);
  config(pkg, extra);
  static const char *const modes[][2] = {{"batch", "batch"},
                                         {"live", "interactive"}};
  for (int i = 0; i < 2; i++) {
    char path[64], text[512];
    snprintf(path, sizeof path, "meta/%s.cm", modes[i][0]);
    snprintf(text, sizeof text,
             "{\"program\": {\"runner\": \"slurm\", \"mode\": \"%s\", "
             "\"binary\": \"bin/tool\", \"args\": [\"config\"]},\n"
             " \"config\": {\"nodes\": {\"type\": \"uint32\"}}}\n",
             modes[i][1]);
    e2e_package_write(pkg, path, text);
    snprintf(path, sizeof path, "meta/%s.values.json5", modes[i][0]);
    e2e_package_write(pkg, path, "{ nodes: 16 }\n");
  }
  const char *names[] = {"batch", "live", NULL};
  root_of(pkg, names);
  e2e_proc p;
  start(&p, pkg);
  ck_assert_int_eq(e2e_finish(&p, 60000), 0);
  e2e_assert_has(p.err, "[/batch] config: {\"nodes\":16}\n");
  e2e_assert_has(p.err, "[/live] config: {\"nodes\":16}\n");
  ck_assert_int_eq(runs_left_in(pkg), 0);
  e2e_free(&p);
  config(pkg, "");
  start(&p, pkg);
  ck_assert_int_eq(e2e_finish(&p, 60000), 1);
  e2e_assert_has(p.err, "/batch: error: cannot_start: the slurm runner "
                        "cannot hand a job its structured configuration");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* No Slurm commands where the config says: a clear error, nothing hangs. */
START_TEST(test_missing_slurm_commands_are_named) {
  char pkg[4096];
  package(pkg, ", \"bin_dir\": \"/nonexistent-slurm\"");
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
  package(pkg, ", \"output_dir\": \"/proc/fern-no-such-dir\"");
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

/* Stopped while its job still waits for resources (every CPU is held by
 * a job the test submits itself): the job is withdrawn from the queue,
 * never runs, and the stop is ok, in both modes. */
START_TEST(test_stop_while_the_job_is_pending) {
  char pkg[4096];
  package(pkg, "");
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
  /* It never ran: not_started, not a failure (runner.h). */
  snprintf(line, sizeof line,
           "/waiter: stopped: not_started: slurm job %ld CANCELLED, "
           "stopped by fern",
           waiter);
  e2e_assert_has(p.err, line);
  e2e_assert_has(p.err, "/livewaiter: stopped: not_started");
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

/* srun's output is read no faster than fern's log takes it, as the
 * process runners read theirs: an interactive job that floods while
 * nobody reads fern's stderr is held back (through srun and slurmstepd),
 * not cut; once the log is read again every line arrives and none is
 * dropped. The flood (12 MB) is three times what fern's log queue holds;
 * unpaced it is through in about a second, so the pause below (until it
 * says it is done, at most 5 s) lets an unpaced runner lose lines. */
START_TEST(test_an_unread_log_holds_an_interactive_flood_back) {
  char pkg[4096], fields[4400], done[4200];
  package(pkg, "");
  snprintf(done, sizeof done, "%s/flood.done", pkg);
  snprintf(fields, sizeof fields,
           "\"mode\": \"interactive\", "
           "\"args\": [\"numbered\", \"60000\", \"%s\"]",
           done);
  job(pkg, "flood", fields);
  const char *names[] = {"flood", NULL};
  root_of(pkg, names);
  e2e_proc p;
  start(&p, pkg);
  e2e_wait_until_stderr_is_full(&p, 60000);
  long pause_end = e2e_now_ms() + 5000;
  while (access(done, F_OK) != 0 && e2e_now_ms() < pause_end)
    poll(NULL, 0, 20); /* the stimulus: no event says a file was made */
  e2e_wait_for_count(&p, "[/flood] numbered ", 60000, 60000);
  e2e_wait_for(&p, "[/flood] numbered 00059999 ", 1000);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 30000), 0);
  e2e_assert_lacks(p.err, " dropped: ");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

Suite *slurm_jobs_suite(void) {
  Suite *s = suite_create("slurm_jobs");
  TCase *tc = tcase_create("slurm_jobs");
  tcase_set_timeout(tc, 120);
  tcase_add_checked_fixture(tc, clean_cluster, NULL);
  tcase_add_test(tc, test_batch_jobs_report_exit_code_signal_and_output);
  tcase_add_test(tc, test_output_arrives_while_the_job_runs);
  tcase_add_test(tc, test_kill_after_the_stop_timeout);
  tcase_add_test(tc, test_job_shape_and_environ_reach_the_job);
  tcase_add_test(tc, test_bad_program_blocks_cannot_start);
  tcase_add_test(tc, test_a_job_that_uses_a_capability_is_refused);
  tcase_add_test(tc, test_a_job_gets_what_it_uses_on_a_shared_path);
  tcase_add_test(tc, test_a_job_gets_its_config_on_a_shared_path);
  tcase_add_test(tc, test_missing_slurm_commands_are_named);
  tcase_add_test(tc, test_output_dir_that_cannot_be_made);
  tcase_add_test(tc, test_stop_while_the_job_is_pending);
  tcase_add_test(tc, test_staged_binary_runs_from_the_copy);
  suite_add_tcase(s, tc);
  /* Its own case, to be run alone (CK_RUN_CASE=slurm_output_pace). */
  TCase *pace = tcase_create("slurm_output_pace");
  tcase_set_timeout(pace, 120);
  tcase_add_checked_fixture(pace, clean_cluster, NULL);
  tcase_add_test(pace, test_an_unread_log_holds_an_interactive_flood_back);
  suite_add_tcase(s, pace);
  return s;
}
