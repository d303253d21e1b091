/* slurm_e2e.c - see slurm_e2e.h. */
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "slurm_e2e.h"

const char *cluster(void) {
  const char *dir = getenv("FERN_SLURM_DIR");
  ck_assert_msg(dir != NULL && *dir, "run through tests/slurm/run.sh, which "
                                     "starts the cluster");
  return dir;
}

/* Runs a shell command with the cluster's SLURM_CONF; its exit status. */
int sh(const char *fmt, ...) {
  char cmd[4096];
  int n = snprintf(cmd, sizeof cmd, "SLURM_CONF='%s/slurm.conf' ", cluster());
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd + n, sizeof cmd - (size_t)n, fmt, ap);
  va_end(ap);
  int status = system(cmd);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

void controller(const char *what) {
  ck_assert_int_eq(
      sh("tests/slurm/cluster.sh %s-controller '%s'", what, cluster()), 0);
}

/* Sends `signum` to the cluster's slurmctld; 0 if it was sent. */
int signal_controller(int signum) {
  char path[4200];
  snprintf(path, sizeof path, "%s/slurmctld.pid", cluster());
  int pid = file_number(path);
  return pid > 0 ? kill(pid, signum) : -1;
}

int file_number(const char *path) {
  FILE *f = fopen(path, "r");
  int n = 0;
  if (f != NULL && fscanf(f, "%d", &n) != 1)
    n = 0;
  if (f != NULL)
    fclose(f);
  return n;
}

/* Each test begins with a controller that answers and an empty queue:
 * a test that failed may have left jobs (fern killed at its deadline), or
 * the controller frozen or stopped. */
void clean_cluster(void) {
  signal_controller(SIGCONT); /* a test that froze it may have failed; a
                               * stopped one is started below */
  if (sh("squeue -h >/dev/null 2>&1") != 0)
    controller("start");
  if (sh("sacctmgr -n list cluster >/dev/null 2>&1") != 0)
    ck_assert_int_eq(sh("tests/slurm/cluster.sh start-dbd '%s'", cluster()), 0);
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
void config(const char *pkg, const char *extra) {
  config_conf(pkg, extra, "slurm.conf");
}

void config_conf(const char *pkg, const char *extra, const char *conf) {
  char text[6000];
  snprintf(text, sizeof text,
           "{\"root_environment\": {\"stop_timeout_ms\": 5000, \"runners\": ["
           "{\"runner\": \"elf\"}, {\"runner\": \"slurm\", \"config\": "
           "{\"slurm_conf\": \"%s/%s\", \"poll_interval_ms\": 100%s}}"
           "]}}",
           cluster(), conf, extra);
  e2e_package_write(pkg, "fern.json", text);
}

void package(char *pkg, const char *extra) {
  e2e_package_new(pkg, 4096);
  config(pkg, extra);
}

/* meta/NAME.cm: bin/tool as a Slurm job; `fields` adds program keys. */
void job(const char *pkg, const char *name, const char *fields) {
  e2e_package_program(pkg, name, "slurm", fields);
}

void local(const char *pkg, const char *name, const char *args) {
  char fields[512];
  snprintf(fields, sizeof fields, "\"args\": [%s]", args);
  e2e_package_program(pkg, name, "elf", fields);
}

/* meta/root.cm with these eager children; names starting "quick-" get a
 * 500 ms stop timeout. */
void root_of(const char *pkg, const char *const *names) {
  e2e_package_root(pkg, names, 500);
}

/* The tree most cases use: "batch" and "live" (an interactive job), both
 * running bin/tool with `args`, and, unless `steady` is NULL, a local ELF
 * sibling "steady" running bin/tool with `steady`. */
void batch_live_steady(const char *pkg, const char *args, const char *steady) {
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

void start(e2e_proc *p, const char *pkg) {
  static char conf[4200], sock[4200], root[4200];
  snprintf(conf, sizeof conf, "%s/fern.json", pkg);
  snprintf(sock, sizeof sock, "%s/control.sock", pkg);
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  const char *args[] = {"run", "--config", conf, "--control", sock, root, NULL};
  e2e_start(p, args);
}

void start_jobs(e2e_proc *p, const char *pkg) {
  start(p, pkg);
  e2e_wait_for(p, "/batch: started", 30000);
  e2e_wait_for(p, "/live: started", 30000);
}

/* The job id fern logged for MONIKER ("MONIKER: ... slurm job N"). */
long job_id(const char *err, const char *moniker) {
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
void job_becomes(long id, const char *states, int ms) {
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
void nothing_runs_from(const char *pkg, int ms) {
  long deadline = e2e_now_ms() + ms;
  char cmd[4400];
  /* [t]: the pattern must not match the shell that runs pgrep. */
  snprintf(cmd, sizeof cmd, "pgrep -f '%s/bin/[t]ool' >/dev/null", pkg);
  while (system(cmd) == 0) {
    ck_assert_msg(e2e_now_ms() < deadline, "a process of %s is left", pkg);
    poll(NULL, 0, 50);
  }
}
