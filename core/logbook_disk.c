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

/* A line waiting for the writer: the loop copies it, the writer makes
 * its JSON (the loop's share of a line is one copy). */
typedef struct queued_s {
  struct queued_s *next;
  char *moniker;
  size_t cost; /* what it counts against FERN_LOGDISK_QUEUE */
  fern__log_line line; /* last: its text follows */
} queued;

/* File names stay well within NAME_MAX (255): a longer one keeps its
 * start and ends in "~" and a hash of the whole moniker (no moniker holds
 * a "~", so such a name is told apart). */
#define NAME_KEPT 180

void fern__logdisk_name(const char *moniker, char *out, size_t size) {
  size_t at = 0;
  const char *p = moniker;
  for (; *p != '\0' && at + 8 < size && at < NAME_KEPT; p++) {
    if (*p == '/' || *p == '%')
      at += (size_t)snprintf(out + at, size - at, "%%%02X", (unsigned char)*p);
    else
      out[at++] = *p;
  }
  if (*p != '\0') { /* FNV-1a, 64 bits */
    uint64_t hash = 14695981039346656037ull;
    for (const char *q = moniker; *q != '\0'; q++)
      hash = (hash ^ (unsigned char)*q) * 1099511628211ull;
    at += (size_t)snprintf(out + at, size - at, "~%016llx",
                           (unsigned long long)hash);
  }
  snprintf(out + at, size - at, ".log");
}

int fern__logdisk_moniker(const char *name, char *out, size_t size) {
  size_t len = strlen(name), at = 0;
  if (len < 5 || strcmp(name + len - 4, ".log") != 0 ||
      strchr(name, '~') != NULL)
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
  if (error != 0) {
    pthread_mutex_lock(&disk->lock);
    disk->missed = 1;
    pthread_mutex_unlock(&disk->lock);
  }
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

/* The files the writer holds open: an open and a close per line cost
 * the directory's writer most of its time (2.9x a boot without output,
 * 100 lines from each of 1,000 components). A held file whose name was
 * removed (the directory deleted) is looked at once a batch, and opened
 * again, so that the loss is seen and said. */
typedef struct open_file_s {
  char name[256];
  int fd;
  size_t size;
  unsigned long batch; /* the batch it was last checked in */
} open_file;

static open_file *held(fern__logdisk *disk, const char *name) {
  for (int i = 0; i < LOGDISK_OPEN_MAX; i++)
    if (disk->open[i].fd >= 0 && strcmp(disk->open[i].name, name) == 0)
      return &disk->open[i];
  return NULL;
}

static void let_go(open_file *f) {
  if (f->fd >= 0)
    close(f->fd);
  f->fd = -1;
}

/* Opens `name` for appending into a slot (the next one round, its file
 * closed first); returns it, or NULL with errno set. */
static open_file *hold(fern__logdisk *disk, const char *name) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/%s", disk->dir, name);
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
                0640);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    int error = errno;
    if (fd >= 0)
      close(fd);
    errno = error;
    return NULL;
  }
  open_file *f = &disk->open[disk->next_slot];
  disk->next_slot = (disk->next_slot + 1) % LOGDISK_OPEN_MAX;
  let_go(f);
  snprintf(f->name, sizeof f->name, "%s", name);
  f->fd = fd;
  f->size = (size_t)st.st_size;
  f->batch = disk->batch;
  return f;
}

/* Writes `len` bytes to the held file; 0 or an errno. */
static int append(open_file *f, const char *data, size_t len) {
  while (len > 0) {
    ssize_t n = write(f->fd, data, len);
    if (n <= 0)
      return n < 0 ? errno : ENOSPC;
    f->size += (size_t)n;
    data += n;
    len -= (size_t)n;
  }
  return 0;
}

/* The held file of `name` ready to take `len` more bytes: looked at once
 * a batch (its name may be gone), rotated when it would pass its bound.
 * NULL with errno set when it cannot be opened. */
static open_file *ready_for(fern__logdisk *disk, const char *name, size_t len) {
  open_file *f = held(disk, name);
  struct stat st;
  if (f != NULL && f->batch != disk->batch) {
    f->batch = disk->batch;
    if (fstat(f->fd, &st) != 0 || st.st_nlink == 0)
      let_go(f); /* its name is gone: open it again, or fail */
  }
  if ((f == NULL || f->fd < 0) && (f = hold(disk, name)) == NULL)
    return NULL;
  if (f->size > 0 && f->size + len > disk->file_bytes) {
    let_go(f);
    rotate(disk, name);
    f = hold(disk, name);
  }
  return f;
}

/* One component's lines of a batch, in order, a write per file; 0 or an
 * errno, with the file's name in `name`. */
static int write_group(fern__logdisk *disk, queued **group, size_t count,
                       char name[256]) {
  fern__logdisk_name(group[0]->moniker, name, 256);
  char *buf = NULL;
  size_t used = 0, size = 0;
  int error = 0;
  open_file *f = NULL;
  for (size_t i = 0; i < count && error == 0; i++) {
    size_t len;
    char *json = fern__log_line_json(&group[i]->line, group[i]->moniker, &len);
    if (json == NULL)
      continue;
    /* What is gathered goes out before the file may be rotated. */
    if (f == NULL || f->size + used + len > disk->file_bytes) {
      if (f != NULL && used > 0)
        error = append(f, buf, used);
      used = 0;
      if (error == 0 && (f = ready_for(disk, name, len)) == NULL)
        error = errno;
    }
    if (error == 0 && used + len > size) {
      size = 2 * (used + len);
      char *grown = realloc(buf, size);
      error = grown ? 0 : ENOMEM;
      buf = grown ? grown : buf;
    }
    if (error == 0) {
      memcpy(buf + used, json, len);
      used += len;
    }
    free(json);
  }
  if (error == 0 && f != NULL && used > 0)
    error = append(f, buf, used);
  free(buf);
  return error;
}

/* By component, then in order. */
static int by_component(const void *a, const void *b) {
  const queued *x = *(queued *const *)a, *y = *(queued *const *)b;
  int c = strcmp(x->moniker, y->moniker);
  return c != 0 ? c : (x->line.seq > y->line.seq) - (x->line.seq < y->line.seq);
}

/* Writes a batch; returns its last line's number and its cost. */
static uint64_t write_batch(fern__logdisk *disk, queued *batch,
                            size_t *cost) {
  size_t count = 0;
  for (queued *q = batch; q != NULL; q = q->next)
    count++;
  queued **all = malloc(count * sizeof *all);
  uint64_t last = 0;
  size_t i = 0;
  for (queued *q = batch; q != NULL; q = q->next) {
    if (all != NULL)
      all[i++] = q;
    last = q->line.seq > last ? q->line.seq : last;
    *cost += q->cost;
  }
  /* Whether the directory can be written is the batch's to say: one
   * file failing while others write is still a failing directory. */
  char name[256] = "(a batch)", failed[256] = "";
  int error = all == NULL ? ENOMEM : 0;
  if (all != NULL) {
    qsort(all, count, sizeof *all, by_component);
    for (size_t from = 0, to; from < count; from = to) {
      for (to = from + 1;
           to < count && strcmp(all[to]->moniker, all[from]->moniker) == 0;
           to++)
        ;
      int e = write_group(disk, all + from, to - from, name);
      if (e != 0 && error == 0) {
        error = e;
        snprintf(failed, sizeof failed, "%s", name);
      }
    }
  }
  note_result(disk, failed[0] ? failed : name, error);
  free(all);
  while (batch != NULL) {
    queued *next = batch->next;
    free(batch->moniker);
    free(batch);
    batch = next;
  }
  return last;
}

static void *writer_main(void *arg) {
  fern__logdisk *disk = arg;
  pthread_mutex_lock(&disk->lock);
  for (;;) {
    while (disk->head == NULL && !disk->stopping)
      pthread_cond_wait(&disk->queued, &disk->lock);
    if (disk->head == NULL)
      break;
    /* Everything queued is one batch, written without the lock. */
    queued *batch = disk->head;
    disk->head = NULL;
    disk->tail = &disk->head;
    disk->batch++;
    disk->writing = 1;
    pthread_mutex_unlock(&disk->lock);
    size_t cost = 0;
    uint64_t last = write_batch(disk, batch, &cost);
    pthread_mutex_lock(&disk->lock);
    disk->queued_bytes -= cost;
    disk->done_seq = last;
    disk->writing = 0;
    pthread_cond_broadcast(&disk->written);
  }
  pthread_mutex_unlock(&disk->lock);
  for (int i = 0; i < LOGDISK_OPEN_MAX; i++)
    let_go(&disk->open[i]);
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
  disk->open = calloc(LOGDISK_OPEN_MAX, sizeof *disk->open);
  if (disk->open == NULL) {
    free(disk);
    fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
    return NULL;
  }
  for (int i = 0; i < LOGDISK_OPEN_MAX; i++)
    disk->open[i].fd = -1;
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
    free(disk->open);
    free(disk);
    fern_error_set(err, FERN_ENOMEM, NULL, "no thread for the log directory");
    return NULL;
  }
  return disk;
}

void fern__logdisk_put(fern__logdisk *disk, const fern__log_line *line,
                       const char *moniker) {
  size_t cost = sizeof(queued) + line->len + 1 + strlen(moniker);
  queued *q = malloc(sizeof *q + line->len + 1);
  if (q != NULL && (q->moniker = strdup(moniker)) == NULL) {
    free(q);
    q = NULL;
  }
  if (q != NULL) {
    q->next = NULL;
    q->cost = cost;
    memcpy(&q->line, line, sizeof *line + line->len + 1);
  }
  pthread_mutex_lock(&disk->lock);
  disk->put_seq = line->seq;
  if (q == NULL || disk->queued_bytes + cost > FERN_LOGDISK_QUEUE) {
    disk->missed = 1; /* the reader falls back to the book */
    if (disk->dropped++ == 0)
      fern__log(FERN_LOG_WARN, NULL,
                "log directory %s: the disk is behind; lines are dropped "
                "from the files (memory keeps them)",
                disk->dir);
    if (q != NULL)
      free(q->moniker);
    free(q);
  } else {
    *disk->tail = q;
    disk->tail = &q->next;
    disk->queued_bytes += cost;
    if (disk->head == q)
      pthread_cond_signal(&disk->queued);
  }
  pthread_mutex_unlock(&disk->lock);
}

/* Waits until the writer has done every line up to `seq`; 0 if it has. */
int fern__logdisk_wait(fern__logdisk *disk, uint64_t seq, int ms) {
  struct timespec deadline = fern__deadline_in(ms);
  pthread_mutex_lock(&disk->lock);
  while (disk->done_seq < seq && (disk->head != NULL || disk->writing) &&
         pthread_cond_timedwait(&disk->written, &disk->lock, &deadline) !=
             ETIMEDOUT)
    ;
  int done = disk->done_seq >= seq || (disk->head == NULL && !disk->writing);
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
    free(q->moniker);
    free(q);
  }
  disk->tail = &disk->head;
  pthread_cond_signal(&disk->queued);
  pthread_mutex_unlock(&disk->lock);
  /* A writer stuck on a file system that hangs does not hold fern: it is
   * left behind, with what it uses. */
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += 2;
  if (pthread_timedjoin_np(disk->thread, NULL, &until) != 0) {
    pthread_detach(disk->thread);
    return;
  }
  free(disk->open);
  free(disk);
}
