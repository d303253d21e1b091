/* logbook_disk.c - see logbook_disk.h: the writer thread, its queue, and
 * rotation. Reading the files back is logbook_read.c. */
#include "logbook_disk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "deadline.h"
#include "log.h"
#include "logbook_disk_private.h"

typedef struct queued_s {
  struct queued_s *next;
  uint64_t seq;
  size_t len;
  char name[256];
  char text[]; /* the JSON line */
} queued;

void fern__logdisk_name(const char *moniker, char *out, size_t size) {
  size_t at = 0;
  for (const char *p = moniker; *p != '\0' && at + 8 < size; p++) {
    if (*p == '/' || *p == '%')
      at += (size_t)snprintf(out + at, size - at, "%%%02X", (unsigned char)*p);
    else
      out[at++] = *p;
  }
  snprintf(out + at, size - at, ".log");
}

int fern__logdisk_moniker(const char *name, char *out, size_t size) {
  size_t len = strlen(name), at = 0;
  if (len < 5 || strcmp(name + len - 4, ".log") != 0)
    return -1;
  for (size_t i = 0; i < len - 4 && at + 1 < size; i++) {
    unsigned v;
    if (name[i] == '%' && sscanf(name + i + 1, "%2X", &v) == 1) {
      out[at++] = (char)v;
      i += 2;
    } else {
      out[at++] = name[i];
    }
  }
  out[at] = '\0';
  return out[0] == '/' ? 0 : -1;
}

/* Says once that the directory cannot be written, and once that it can
 * again (writer thread). */
static void note_result(fern__logdisk *disk, const char *name, int error) {
  if (error != 0 && !disk->failing) {
    disk->failing = 1;
    fern__log(FERN_LOG_WARN, NULL,
              "log directory %s: cannot write %s: %s; lines stay in memory "
              "only until it can be written again",
              disk->dir, name, strerror(error));
  } else if (error == 0 && disk->failing) {
    disk->failing = 0;
    fern__log(FERN_LOG_INFO, NULL, "log directory %s: writing again",
              disk->dir);
  }
  if (error != 0)
    disk->missed = 1;
}

/* NAME.log.(i) -> NAME.log.(i+1), the oldest gone, NAME.log -> .1. */
static void rotate(fern__logdisk *disk, const char *name) {
  char from[PATH_MAX], to[PATH_MAX];
  for (int i = disk->files - 1; i >= 1; i--) {
    if (i == 1)
      snprintf(from, sizeof from, "%s/%s", disk->dir, name);
    else
      snprintf(from, sizeof from, "%s/%s.%d", disk->dir, name, i - 1);
    snprintf(to, sizeof to, "%s/%s.%d", disk->dir, name, i);
    rename(from, to);
  }
  if (disk->files <= 1) {
    snprintf(from, sizeof from, "%s/%s", disk->dir, name);
    unlink(from);
  }
}

/* Appends one line to its component's file, rotating first when it would
 * pass the bound; returns 0 or an errno. */
static int write_line(fern__logdisk *disk, const queued *q) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/%s", disk->dir, q->name);
  struct stat st;
  if (stat(path, &st) == 0 && st.st_size > 0 &&
      (size_t)st.st_size + q->len > disk->file_bytes)
    rotate(disk, q->name);
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
                0640);
  if (fd < 0)
    return errno;
  ssize_t n = write(fd, q->text, q->len);
  int error = n < 0 ? errno : (size_t)n < q->len ? ENOSPC : 0;
  if (close(fd) != 0 && error == 0)
    error = errno;
  return error;
}

static void *writer_main(void *arg) {
  fern__logdisk *disk = arg;
  pthread_mutex_lock(&disk->lock);
  for (;;) {
    while (disk->head == NULL && !disk->stopping)
      pthread_cond_wait(&disk->queued, &disk->lock);
    if (disk->head == NULL)
      break;
    queued *q = disk->head;
    disk->head = q->next;
    if (disk->head == NULL)
      disk->tail = &disk->head;
    disk->queued_bytes -= q->len;
    pthread_mutex_unlock(&disk->lock);
    note_result(disk, q->name, write_line(disk, q));
    pthread_mutex_lock(&disk->lock);
    disk->done_seq = q->seq;
    pthread_cond_broadcast(&disk->written);
    free(q);
  }
  pthread_mutex_unlock(&disk->lock);
  return NULL;
}

fern__logdisk *fern__logdisk_open(const char *dir, size_t file_bytes,
                                  int files, fern_error_t *err) {
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    fern_error_set(err, FERN_EINVAL, NULL, "log directory %s: %s", dir,
                   errno ? strerror(errno) : "not a directory");
    return NULL;
  }
  fern__logdisk *disk = calloc(1, sizeof *disk);
  if (disk == NULL) {
    fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
    return NULL;
  }
  snprintf(disk->dir, sizeof disk->dir, "%s", dir);
  disk->file_bytes = file_bytes ? file_bytes : FERN_LOGDISK_FILE_BYTES;
  disk->files = files > 0 ? files : FERN_LOGDISK_FILES;
  disk->tail = &disk->head;
  pthread_mutex_init(&disk->lock, NULL);
  pthread_cond_init(&disk->queued, NULL);
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&disk->written, &attr);
  pthread_condattr_destroy(&attr);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old); /* signals are the loop's */
  int rc = pthread_create(&disk->thread, NULL, writer_main, disk);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc != 0) {
    free(disk);
    fern_error_set(err, FERN_ENOMEM, NULL, "no thread for the log directory");
    return NULL;
  }
  return disk;
}

void fern__logdisk_put(fern__logdisk *disk, const fern__log_line *line,
                       const char *moniker) {
  size_t len;
  char *json = fern__log_line_json(line, moniker, &len);
  queued *q = json ? malloc(sizeof *q + len) : NULL;
  if (q != NULL) {
    q->next = NULL;
    q->seq = line->seq;
    q->len = len;
    fern__logdisk_name(moniker, q->name, sizeof q->name);
    memcpy(q->text, json, len);
  }
  free(json);
  pthread_mutex_lock(&disk->lock);
  disk->put_seq = line->seq;
  if (q == NULL || disk->queued_bytes + len > FERN_LOGDISK_QUEUE) {
    disk->missed = 1; /* the reader falls back to the book */
    if (disk->dropped++ == 0)
      fern__log(FERN_LOG_WARN, NULL,
                "log directory %s: the disk is behind; lines are dropped "
                "from the files (memory keeps them)",
                disk->dir);
    free(q);
  } else {
    *disk->tail = q;
    disk->tail = &q->next;
    disk->queued_bytes += len;
    if (disk->head == q)
      pthread_cond_signal(&disk->queued);
  }
  pthread_mutex_unlock(&disk->lock);
}

/* Waits until the writer has done every line up to `seq`; 0 if it has. */
int fern__logdisk_wait(fern__logdisk *disk, uint64_t seq, int ms) {
  struct timespec deadline = fern__deadline_in(ms);
  pthread_mutex_lock(&disk->lock);
  while (disk->done_seq < seq && disk->head != NULL &&
         pthread_cond_timedwait(&disk->written, &disk->lock, &deadline) !=
             ETIMEDOUT)
    ;
  int done = disk->done_seq >= seq || disk->head == NULL;
  pthread_mutex_unlock(&disk->lock);
  return done ? 0 : -1;
}

void fern__logdisk_close(fern__logdisk *disk) {
  fern__logdisk_wait(disk, disk->put_seq, 2000);
  pthread_mutex_lock(&disk->lock);
  disk->stopping = 1;
  /* What is still queued after the wait is not written. */
  while (disk->head != NULL) {
    queued *q = disk->head;
    disk->head = q->next;
    free(q);
  }
  disk->tail = &disk->head;
  pthread_cond_signal(&disk->queued);
  pthread_mutex_unlock(&disk->lock);
  pthread_join(disk->thread, NULL);
  free(disk);
}
