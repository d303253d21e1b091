/* slurm_sweep.c - the jobs of a fern that is gone.
 *
 * A fern killed with SIGKILL cannot cancel its jobs; they would run on,
 * holding the cluster, with nobody following them. Every job's name says
 * which fern submitted it: "fern-PID-START-SEQ@HOST[:LEAF]", START being
 * that fern's start time in clock ticks since boot (with the pid, it names
 * one process for good, even after the pid is reused). When a runner is
 * made, one squeue lists the user's live jobs, and those of a fern on this
 * host that no longer runs are cancelled. Jobs of ferns on other hosts are
 * never touched: their processes cannot be seen from here. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/runner_common.h"
#include "slurm.h"

void slurm_sweep_init(slurm_runner *r) {
  char host[256] = "";
  gethostname(host, sizeof host - 1);
  host[strcspn(host, ".")] = '\0';
  snprintf(r->hostname, sizeof r->hostname, "%s", host[0] ? host : "localhost");
  snprintf(r->name_prefix, sizeof r->name_prefix, "fern-%d-%llu", (int)getpid(),
           runner_process_start((int)getpid()));
}

/* Submitted by a fern on this host that no longer runs. */
static int left_behind(const slurm_runner *r, const char *name) {
  int pid = 0, used = 0;
  unsigned long long start = 0;
  unsigned long seq = 0;
  if (sscanf(name, "fern-%d-%llu-%lu@%n", &pid, &start, &seq, &used) != 3 ||
      used == 0 || pid <= 0)
    return 0;
  const char *host = name + used;
  size_t len = strcspn(host, ":");
  if (len != strlen(r->hostname) || strncmp(host, r->hostname, len) != 0)
    return 0;
  return pid != (int)getpid() && runner_process_start(pid) != start;
}

static void cancelled(void *arg, const slurm_cmd_result *res) {
  slurm_runner *r = arg;
  char why[400];
  if (res->exit_status != 0 || res->timed_out || res->spawn_error)
    r->host->log(r->host->ctx, FERN_LOG_WARN, NULL,
                 "slurm runner: could not cancel the "
                 "jobs a fern that is gone left: %s",
                 slurm_cmd_why(res, why, sizeof why));
  r->sweeping = 0;
  r->sweep = NULL;
  slurm_runner_maybe_free(r);
}

static void listed(void *arg, const slurm_cmd_result *res) {
  slurm_runner *r = arg;
  r->sweeping = 0;
  r->sweep = NULL;
  if (r->released || res->exit_status != 0 || res->timed_out) {
    slurm_runner_maybe_free(r);
    return; /* the poll says so if the controller does not answer */
  }
  const char *argv[66] = {"scancel"};
  size_t n = 1;
  char ids[64][24], names[1024] = "";
  for (const char *line = res->out; *line != '\0' && n < 65;) {
    const char *end = line + strcspn(line, "\n");
    char name[256];
    long id = strtol(line, NULL, 10);
    const char *bar = memchr(line, '|', (size_t)(end - line));
    snprintf(name, sizeof name, "%.*s", bar ? (int)(end - bar - 1) : 0,
             bar ? bar + 1 : "");
    if (id > 0 && left_behind(r, name)) {
      snprintf(ids[n - 1], sizeof ids[n - 1], "%ld", id);
      argv[n] = ids[n - 1];
      size_t used = strlen(names);
      snprintf(names + used, sizeof names - used, "%s%s", n > 1 ? ", " : "",
               ids[n - 1]);
      n++;
    }
    line = *end ? end + 1 : end;
  }
  if (n == 1) {
    slurm_runner_maybe_free(r);
    return;
  }
  r->host->log(r->host->ctx, FERN_LOG_WARN, NULL,
               "slurm runner: cancelling slurm job%s %s, left by a fern on "
               "this host that is gone",
               n > 2 ? "s" : "", names);
  slurm_cmd_opts o = {.argv = argv,
                      .timeout_ms = r->command_timeout_ms,
                      .done = cancelled,
                      .arg = r};
  r->sweeping = 1;
  r->sweep = slurm_cmd_start(r, &o);
}

void slurm_sweep_start(slurm_runner *r) {
  char uid[32];
  snprintf(uid, sizeof uid, "--user=%u", (unsigned)getuid());
  const char *argv[] = {"squeue", "-h", uid, "-o", "%i|%j", NULL};
  slurm_cmd_opts o = {.argv = argv,
                      .timeout_ms = r->command_timeout_ms,
                      .done = listed,
                      .arg = r};
  r->sweeping = 1;
  r->sweep = slurm_cmd_start(r, &o);
}
