/* capstan_work.h - what one capstan resolver keeps while it lives: its
 * work directory (unpacked archives, composed images), removed with it,
 * and the images composed so far, each composed once per resolver. */
#ifndef FERN_RESOLVERS_CAPSTAN_WORK_H
#define FERN_RESOLVERS_CAPSTAN_WORK_H

#include <jansson.h>
#include <limits.h>
#include <pthread.h>

#include "capstan_package.h"

struct capstan_work_s {
  pthread_mutex_t lock; /* resolutions may run on several threads */
  char dir[PATH_MAX];   /* "" until first needed */
  json_t *images;       /* layers joined by '\n' -> composed directory */
};

capstan_work *capstan_work_new(void);
/* Removes the work directory and everything in it. */
void capstan_work_free(capstan_work *work);

#endif
