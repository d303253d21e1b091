/* log_queue.c - see log_queue.h and log.h. Once fern run starts it, every
 * record goes into one bounded queue, and a writer thread of its own does
 * the blocking writes to fd 2. A terminal paused with Ctrl-S or a pipe
 * nobody reads then stops that thread only: the loop goes on serving the
 * control socket, signals and stop timeouts. Runners read programs' output
 * no faster than the queue takes it (fern__log_room, host->output_room),
 * so a slow reader slows the programs that write; what still does not fit
 * is dropped and counted, and the count logged once there is room again.
 *
 * Why a thread and not a non-blocking fd 2: O_NONBLOCK belongs to the open
 * file description, which fern shares with the shell that started it (its
 * terminal) or with whatever else writes the pipe: setting it would make
 * their writes fail with EAGAIN. A private description, reopened through
 * /proc/self/fd/2, works for terminals and pipes but not for a socket
 * (ENXIO) nor for a file (its own offset would overwrite, not append). A
 * thread blocked in write(2) works for all of them and costs nothing. */
#include "log_queue.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deadline.h"
#include "log.h"

/* Bursts of output as large as this wait for a slow reader; beyond it
 * lines are dropped. Its pages are touched only as far as a backlog
 * reaches: the queue starts again at its beginning whenever it empties. */
#define QUEUE_BYTES (4u << 20)
/* The most one write(2) takes: room comes back as each chunk is out. */
#define WRITE_CHUNK 65536
/* After a loss, records go in again once this much is free: resuming at
 * the first free byte would interleave single lines with notices of one
 * more lost line, while the reader is still far behind. */
#define RESUME_ROOM (QUEUE_BYTES / 4)
/* At exit fern waits this long for the queue to reach stderr. */
#define EXIT_FLUSH_MS 2000

static char queue_buf[QUEUE_BYTES];

static struct {
  pthread_mutex_t mutex;
  pthread_cond_t queued;  /* the writer waits here for records */
  pthread_cond_t emptied; /* fern__log_flush waits here for an empty queue */
  size_t head, len;       /* queued: queue_buf[head, head + len), wrapping */
  unsigned long long dropped; /* records dropped since the last notice */
  int running;
  int loop_turns;     /* the loop's records wake the writer once a turn */
  pthread_t loop;     /* with loop_turns: the loop's thread */
  int wake_due;       /* a record of the loop's waits for that wake */
} queue = {.mutex = PTHREAD_MUTEX_INITIALIZER};

/* Writes all of `data` to fd 2, waiting as long as it takes. A stderr that
 * is closed or broken loses the bytes, not fern. */
static void write_all(const char *data, size_t len) {
  while (len > 0) {
    ssize_t n = write(STDERR_FILENO, data, len);
    if (n < 0 && errno == EAGAIN) { /* whoever opened it made it O_NONBLOCK */
      struct pollfd out = {.fd = STDERR_FILENO, .events = POLLOUT};
      poll(&out, 1, -1);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;
    data += n;
    len -= (size_t)n;
  }
}

/* The helpers named _locked run with the queue's mutex held. */
static void append_locked(const char *data, size_t len) {
  /* The writer waits only on an empty queue: wake it only then, and for
   * the loop's records once a turn (log_turn.c). A writer that drains
   * each line before the next came was woken for every line: a futex
   * call and a switch each, 10% of the loop's work while 10,000
   * components stopped. */
  if (queue.len == 0) {
    if (queue.loop_turns && pthread_equal(pthread_self(), queue.loop))
      queue.wake_due = 1;
    else
      pthread_cond_signal(&queue.queued);
  } else if (queue.wake_due && queue.len + len >= WRITE_CHUNK) {
    /* A turn that logs much does not wait for its end: the writer takes
     * a chunk while the loop goes on (and the queue keeps its room). */
    queue.wake_due = 0;
    pthread_cond_signal(&queue.queued);
  }
  size_t tail = (queue.head + queue.len) % QUEUE_BYTES;
  size_t first = QUEUE_BYTES - tail < len ? QUEUE_BYTES - tail : len;
  memcpy(queue_buf + tail, data, first);
  memcpy(queue_buf, data + first, len - first);
  queue.len += len;
}

/* Says how many records were lost, where they were lost, once there is
 * room again. */
static void note_drops_locked(void) {
  if (QUEUE_BYTES - queue.len < RESUME_ROOM)
    return;
  char notice[128];
  int n = snprintf(notice, sizeof notice,
                   "fern: warning: %llu log line%s dropped: stderr was "
                   "not being read\n",
                   queue.dropped, queue.dropped == 1 ? " was" : "s were");
  append_locked(notice, (size_t)n);
  queue.dropped = 0;
}

void fern__log_queue_put(const char *record, size_t len) {
  pthread_mutex_lock(&queue.mutex);
  if (!queue.running) {
    write_all(record, len);
  } else {
    /* Nothing after a loss goes in before the notice of it. */
    if (queue.dropped > 0)
      note_drops_locked();
    if (queue.dropped == 0 && len <= QUEUE_BYTES - queue.len)
      append_locked(record, len);
    else
      queue.dropped++;
  }
  pthread_mutex_unlock(&queue.mutex);
}

size_t fern__log_room(void) {
  pthread_mutex_lock(&queue.mutex);
  size_t room = queue.running ? QUEUE_BYTES - queue.len : SIZE_MAX;
  pthread_mutex_unlock(&queue.mutex);
  return room;
}

static void *writer_main(void *unused) {
  (void)unused;
  pthread_mutex_lock(&queue.mutex);
  for (;;) {
    while (queue.len == 0)
      pthread_cond_wait(&queue.queued, &queue.mutex);
    /* The chunk stays counted in `len` while it is written, so no record
     * is put over it; only this thread moves `head`. */
    size_t n = QUEUE_BYTES - queue.head;
    n = n < queue.len ? n : queue.len;
    n = n < WRITE_CHUNK ? n : WRITE_CHUNK;
    const char *chunk = queue_buf + queue.head;
    pthread_mutex_unlock(&queue.mutex);
    write_all(chunk, n);
    pthread_mutex_lock(&queue.mutex);
    queue.head = (queue.head + n) % QUEUE_BYTES;
    queue.len -= n;
    if (queue.dropped > 0)
      note_drops_locked();
    if (queue.len == 0) {
      queue.head = 0;
      pthread_cond_broadcast(&queue.emptied);
    }
  }
  return NULL;
}

void fern__log_queue_loop_turns(int on) {
  pthread_mutex_lock(&queue.mutex);
  queue.loop_turns = on;
  queue.loop = pthread_self();
  pthread_mutex_unlock(&queue.mutex);
  fern__log_queue_wake();
}

void fern__log_queue_wake(void) {
  pthread_mutex_lock(&queue.mutex);
  if (queue.wake_due && queue.len > 0)
    pthread_cond_signal(&queue.queued);
  queue.wake_due = 0;
  pthread_mutex_unlock(&queue.mutex);
}

static void flush_at_exit(void) { fern__log_flush(EXIT_FLUSH_MS); }

int fern__log_queue_start(void) {
  if (queue.running) /* set on this thread only */
    return FERN_OK;
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&queue.emptied, &attr);
  pthread_condattr_destroy(&attr);
  pthread_cond_init(&queue.queued, NULL);
  /* Signals are the loop's business: the writer takes none of them. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_attr_t thread_attr;
  pthread_attr_init(&thread_attr);
  pthread_attr_setdetachstate(&thread_attr, PTHREAD_CREATE_DETACHED);
  pthread_t writer;
  int rc = pthread_create(&writer, &thread_attr, writer_main, NULL);
  pthread_attr_destroy(&thread_attr);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc != 0)
    return FERN_ENOMEM; /* EAGAIN: no resources for another thread */
  pthread_mutex_lock(&queue.mutex);
  queue.running = 1;
  pthread_mutex_unlock(&queue.mutex);
  atexit(flush_at_exit);
  return FERN_OK;
}

void fern__log_flush(int timeout_ms) {
  struct timespec deadline = fern__deadline_in(timeout_ms);
  fern__log_queue_wake();
  pthread_mutex_lock(&queue.mutex);
  while (queue.running && queue.len > 0 &&
         pthread_cond_timedwait(&queue.emptied, &queue.mutex, &deadline) !=
             ETIMEDOUT)
    ;
  pthread_mutex_unlock(&queue.mutex);
}
