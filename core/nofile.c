/* nofile.c - see nofile.h. */
#include "nofile.h"

#include <stdio.h>
#include <sys/resource.h>

#define NOFILE_CEILING (1u << 20)

static struct rlimit original = {RLIM_INFINITY, RLIM_INFINITY};
static int raised;

static rlim_t system_nr_open(void) {
  unsigned long n = 0;
  FILE *f = fopen("/proc/sys/fs/nr_open", "re");
  if (f != NULL) {
    if (fscanf(f, "%lu", &n) != 1)
      n = 0;
    fclose(f);
  }
  return n > NOFILE_CEILING ? NOFILE_CEILING : (rlim_t)n;
}

void fern__nofile_raise(void) {
  if (raised || getrlimit(RLIMIT_NOFILE, &original) != 0)
    return;
  raised = 1;
  struct rlimit wanted = original;
  rlim_t ceiling = system_nr_open();
  if (ceiling > wanted.rlim_max) {
    wanted.rlim_cur = wanted.rlim_max = ceiling;
    if (setrlimit(RLIMIT_NOFILE, &wanted) == 0)
      return;
    wanted = original; /* not allowed to raise the hard limit */
  }
  wanted.rlim_cur = wanted.rlim_max;
  setrlimit(RLIMIT_NOFILE, &wanted);
}

void fern__nofile_original(uint64_t *soft, uint64_t *hard) {
  struct rlimit now = original;
  if (!raised)
    getrlimit(RLIMIT_NOFILE, &now);
  *soft = now.rlim_cur;
  *hard = now.rlim_max;
}
