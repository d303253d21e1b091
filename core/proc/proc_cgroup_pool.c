/* proc_cgroup_pool.c - emptied cgroups, kept for the next start.
 *
 * A cgroup costs the kernel more than the short program in it: mkdir sets
 * up its files and state, rmdir and the release work that follows tear
 * them down again, and with thousands of short components that work was
 * most of what fern cost beyond the spawns themselves. A run that ends
 * with its cgroup empty, unfrozen, without cgroups of its own inside and
 * never killed through cgroup.kill gives it back here; the next spawn of
 * a plain ELF program takes it. (On kernel 6.18 a cgroup once killed
 * through cgroup.kill was seen to kill every process cloned into it
 * afterwards: test_cgroup_pool.c keeps that in view.)
 * Processes never share a cgroup: one is given back only once every
 * process in it is gone, and nothing can enter an empty cgroup but what
 * its owner (fern) puts there. Wrapping runners (sandbox, oci) keep a
 * cgroup made for each run: theirs is named before the check, and a
 * container runtime makes cgroups inside it.
 *
 * A cgroup not kept is removed off the loop (proc_cgroup_removal.c).
 * Loop thread. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc.h"

char *proc_cgroup_pool_take(proc_service *r) {
  return r->cgroup_pool_count > 0 ? r->cgroup_pool[--r->cgroup_pool_count]
                                  : NULL;
}

/* A cgroup directory's link count is 2 plus its subdirectories: cgroups
 * a program made inside its own stay with it, so such a one is removed. */
static int has_no_children(const proc_job *job) {
  struct stat st;
  return fstatat(job->base_fd, job->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
         st.st_nlink == 2;
}

int proc_cgroup_pool_give(proc_service *r, proc_job *job) {
  if (!job->reusable || job->kill_written ||
      r->cgroup_pool_count >= PROC_CGROUP_POOL_MAX || !has_no_children(job))
    return 0;
  r->cgroup_pool[r->cgroup_pool_count++] = job->cgroup;
  job->cgroup = NULL;
  job->made = 0;
  return 1;
}

void proc_cgroup_pool_drain(proc_service *r) {
  while (r->cgroup_pool_count > 0) {
    char *path = r->cgroup_pool[--r->cgroup_pool_count];
    rmdir(path);
    free(path);
  }
}
