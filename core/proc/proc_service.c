/* proc_service.c - one runner's supervisor (the host's procs_open): its
 * jobs' containment, chosen once (proc_job.c), its guardian, its spawn
 * queue and output pacing, the SIGCHLD watch for runs without a pidfd, and
 * what a dead fern left, swept at the open. Services are listed in their
 * manager's registry, so that one service's orphan reaping never takes a
 * child another service waits for. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "proc.h"

/* Whether this kernel names a process run through execveat(fd, "",
 * AT_EMPTY_PATH) after its file, as it does from Linux 6.14 on
 * (fs/exec.c: bprm->comm_from_dentry); before, the name was the
 * descriptor's number, and `ps` or `pkill` would see "16". */
static int kernel_names_fd_execs(void) {
  struct utsname u;
  int major = 0, minor = 0;
  return uname(&u) == 0 && sscanf(u.release, "%d.%d", &major, &minor) == 2 &&
         (major > 6 || (major == 6 && minor >= 14));
}

static const char *containment_name(uint32_t c) {
  switch (c) {
  case FERN_CONTAIN_CGROUP: return "cgroup";
  case FERN_CONTAIN_SUBREAPER: return "subreaper";
  case FERN_CONTAIN_PROCESS_GROUP: return "process_group";
  default: break;
  }
  return "auto";
}

static void on_sigchld(uv_signal_t *handle, int signum) {
  proc_service *r = handle->data;
  (void)signum;
  /* Runs watched by a pidfd are not polled: their pidfd tells. */
  for (proc_run *c = r->live_without_pidfd ? r->live : NULL, *next;
       c != NULL; c = next) {
    next = c->next_live;
    proc_process_poll_exit(c);
  }
  if (r->job_kind == PROC_JOB_SUBREAPER)
    proc_job_reap_orphans(r);
  proc_guardian_check(r->guardian);
}

/* What must hear of a child's end by SIGCHLD: every run without pidfds,
 * a run whose pidfd could not be had, the subreaper's orphans, a guardian
 * not watched by a pidfd. Otherwise nothing listens, and nothing should:
 * with no handler the kernel drops a SIGCHLD as it is sent (SIG_DFL), and
 * 10,000 components ending at once sent fern some 1,500 signals to take,
 * each a pipe write and read in libuv, for nothing. */
static int wants_sigchld(const proc_service *r) {
  return !r->use_pidfd || r->live_without_pidfd > 0 ||
         r->job_kind == PROC_JOB_SUBREAPER ||
         (r->guardian != NULL && !proc_guardian_watched(r->guardian));
}

void proc_service_sigchld_update(proc_service *r) {
  if (uv_is_closing((uv_handle_t *)&r->sigchld))
    return;
  int active = uv_is_active((uv_handle_t *)&r->sigchld);
  if (wants_sigchld(r) && !active)
    uv_signal_start(&r->sigchld, on_sigchld, SIGCHLD);
  else if (!wants_sigchld(r) && active)
    uv_signal_stop(&r->sigchld);
}

static void registry_add(proc_service *r, proc_registry *registry) {
  r->registry = registry;
  r->next_in_registry = registry->head;
  registry->head = r;
}

static void registry_remove(proc_service *r) {
  for (proc_service **p = &r->registry->head; *p != NULL;
       p = &(*p)->next_in_registry)
    if (*p == r) {
      *p = r->next_in_registry;
      return;
    }
}

/* The options a runner gave, and what this machine lets it have. */
static int service_setup(proc_service *r, const fern_procs_options_t *o,
                         fern_error_t *err) {
  r->use_clone3 = !o->spawn_with_fork;
  r->exec_by_descriptor = o->exec == FERN_EXEC_AUTO ? kernel_names_fd_execs()
                          : o->exec == FERN_EXEC_DESCRIPTOR;
  int rc = proc_job_setup_runner(r, containment_name(o->containment), err);
  int probe = o->watch_with_sigchld
                  ? -1
                  : (int)syscall(SYS_pidfd_open, getpid(), 0);
  if (probe >= 0)
    close(probe);
  r->use_pidfd = probe >= 0; /* no pidfd_open here: SIGCHLD it is */
  return rc;
}

int proc_service_open(const fern_host_t *host, proc_registry *registry,
                      const fern_procs_options_t *options,
                      proc_service **out, fern_error_t *err) {
  fern_procs_options_t o = {0};
  if (options != NULL && options->struct_size >= sizeof(uint32_t))
    memcpy(&o, options,
           options->struct_size < sizeof o ? options->struct_size : sizeof o);
  if (o.name == NULL)
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "procs_open needs options with a name");
  proc_service *r = calloc(1, sizeof *r);
  if (r == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  r->host = host;
  r->cgroup_base_fd = r->cgroup_lock_fd = r->notify_dir_fd = -1;
  snprintf(r->name, sizeof r->name, "%s", o.name);
  proc_job_tag(r, r->name, ++registry->opened);
  proc_spawn_slots_open(r);
  proc_spawn_read_signals(r);
  r->child_nofile.rlim_cur = (rlim_t)host->nofile_soft;
  r->child_nofile.rlim_max = (rlim_t)host->nofile_hard;
  int rc = service_setup(r, &o, err);
  if (rc != FERN_OK) {
    proc_spawn_slots_close(r);
    if (r->cgroup_base_fd >= 0)
      close(r->cgroup_base_fd);
    free(r);
    return rc;
  }
  /* SIGCHLD is watched only while something needs it (wants_sigchld). */
  uv_signal_init(host->loop, &r->sigchld);
  r->sigchld.data = r;
  proc_spawn_queue_init(r);
  proc_output_pace_init(r);
  proc_cgroup_removal_init(r);
  r->open_handles = 4;
  uv_unref((uv_handle_t *)&r->sigchld);
  registry_add(r, registry);
  r->guardian = proc_guardian_start(r);
  proc_service_sigchld_update(r);
  /* A guardian without a pidfd that died before SIGCHLD was heard. */
  proc_guardian_check(r->guardian);
  proc_stale_sweep(r);
  host->log(host->ctx, FERN_LOG_INFO, NULL,
            "%s runner: job mechanism %s%s%s, exits watched with %s%s%s%s",
            r->name, proc_job_kind_name(r->job_kind),
            r->job_kind == PROC_JOB_CGROUP ? " in " : "",
            r->job_kind == PROC_JOB_CGROUP ? r->cgroup_base : "",
            r->use_pidfd ? "pidfds" : "SIGCHLD",
            r->guardian ? ", guardian running" : ", NO guardian",
            proc_job_kind_gaps(r->job_kind),
            r->job_kind == PROC_JOB_CGROUP && !r->cgroup_nests_v1
                ? "; fern's v1 cgroups lie in no one line, so a container "
                  "runtime makes its v1 cgroups from each hierarchy's root"
                : "");
  *out = r;
  return FERN_OK;
}

void proc_service_unref(proc_service *r) {
  if (--r->open_handles > 0)
    return;
  if (r->cgroup_base_fd >= 0)
    close(r->cgroup_base_fd);
  if (r->job_kind == PROC_JOB_CGROUP) {
    rmdir(r->cgroup_base); /* empty now: every removal is done */
    proc_cgroup_parents_remove(r->cgroup_base);
  }
  if (r->cgroup_lock_fd >= 0)
    close(r->cgroup_lock_fd); /* after the rmdir: no sweep takes it early */
  free(r->removal_queue);
  free(r);
}

static void service_unref_on_close(uv_handle_t *handle) {
  proc_service_unref(handle->data);
}

void proc_service_close(proc_service *r) {
  registry_remove(r);
  proc_guardian_stop(r->guardian);
  r->guardian = NULL;
  proc_spawn_slots_close(r);
  proc_cgroup_pool_drain(r);
  proc_cgroup_removal_close(r, service_unref_on_close);
  proc_notify_dir_release(r);
  uv_close((uv_handle_t *)&r->spawn_idle, service_unref_on_close);
  uv_close((uv_handle_t *)&r->pace_timer, service_unref_on_close);
  uv_close((uv_handle_t *)&r->sigchld, service_unref_on_close);
}
