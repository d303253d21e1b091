/* deadline.h - a CLOCK_MONOTONIC time `ms` from now, for
 * pthread_cond_timedwait on a condition made with that clock. */
#ifndef FERN_CORE_DEADLINE_H
#define FERN_CORE_DEADLINE_H

#include <time.h>

static inline struct timespec fern__deadline_in(int ms) {
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += ms / 1000;
  deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000L;
  }
  return deadline;
}

#endif
