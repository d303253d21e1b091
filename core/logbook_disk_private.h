/* logbook_disk_private.h - the log directory's writer, shared by
 * logbook_disk.c (writing) and logbook_read.c (reading back). */
#ifndef FERN_CORE_LOGBOOK_DISK_PRIVATE_H
#define FERN_CORE_LOGBOOK_DISK_PRIVATE_H

#include <limits.h>
#include <pthread.h>
#include <signal.h>

#include "logbook_disk.h"

struct queued_s;
struct open_file_s;

/* Files the writer keeps open at once. */
#define LOGDISK_OPEN_MAX 64

struct fern__logdisk_s {
  char dir[PATH_MAX];
  size_t file_bytes;
  int files;
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t queued;  /* the writer waits here for lines */
  pthread_cond_t written; /* readers wait here for the writer */
  struct queued_s *head, **tail;
  size_t queued_bytes;
  uint64_t put_seq;  /* the last line the loop queued (or dropped) */
  uint64_t done_seq; /* the last line the writer wrote (or failed) */
  unsigned long long dropped;
  int stopping;
  int writing; /* a batch is out of the queue and not yet written */
  int failing; /* writer thread: the last write failed */
  int missed;  /* a line never reached its file: read the book instead */
  struct open_file_s *open; /* LOGDISK_OPEN_MAX slots, writer thread's */
  int next_slot;
  unsigned long batch; /* batches written so far (writer thread) */
};

/* Waits until the writer has done every line up to `seq` (at most `ms`);
 * 0 if it has. */
int fern__logdisk_wait(fern__logdisk *disk, uint64_t seq, int ms);

#endif
