/* logbook.h - the lines of every component, kept for `fern logs`: what
 * its programs wrote on stdout and stderr and fern's own records about it
 * (started, stopped, status), each with a sequence number, a time and its
 * stream.
 *
 * Each component (by moniker) has a bounded buffer of its latest lines,
 * FERN_LOGBOOK_BUFFER by default; the lines of runs that ended and of
 * components since destroyed stay in it. All buffers together hold at
 * most `budget` bytes: past it the oldest lines anywhere go first. A
 * line longer than FERN_LOGBOOK_LINE_MAX is cut there and marked so.
 * Followers (fern logs -f) get each new line that matches them, as event
 * subscribers do: a follower too far behind loses lines and is told how
 * many (events.h). With a log directory every line is also written to a
 * file per component (logbook_disk.h).
 *
 * Lines come from any thread (fern__logbook_note); the book itself is the
 * loop thread's. */
#ifndef FERN_CORE_LOGBOOK_H
#define FERN_CORE_LOGBOOK_H

#include <pthread.h>
#include <stdint.h>
#include <uv.h>

#include "events.h"
#include "strmap.h"

#define FERN_LOGBOOK_BUFFER (64u * 1024)
#define FERN_LOGBOOK_BUDGET (64u * 1024 * 1024)
#define FERN_LOGBOOK_LINE_MAX 4096

/* Where a line came from. */
enum { FERN_LOG_STREAM_FERN = 0, FERN_LOG_STREAM_STDOUT = 1,
       FERN_LOG_STREAM_STDERR = 2 };

typedef struct fern__log_line_s {
  struct fern__log_line_s *older, *newer; /* in the whole book */
  struct fern__log_line_s *next_in_ring;  /* its component's, newer */
  struct fern__log_ring_s *ring;
  uint64_t seq;
  int64_t time_us; /* CLOCK_REALTIME */
  uint8_t stream;
  uint8_t cut;
  uint32_t len;
  char text[]; /* `len` bytes and a NUL */
} fern__log_line;

/* One component's lines, oldest first. */
typedef struct fern__log_ring_s {
  char *moniker;
  fern__log_line *oldest, *newest;
  size_t bytes;
} fern__log_ring;

/* What a reader wants: components (each with what is below it), a stream,
 * the last `lines`, those since a time. */
typedef struct fern__log_filter_s {
  char **monikers; /* NULL-terminated; none: the whole tree */
  int stream;      /* -1: every stream */
  int64_t since_us; /* 0: any time */
} fern__log_filter;

typedef struct fern__log_follower_s {
  fern__event_sink sink;
  fern__log_filter filter;
  void *owner; /* the control connection that follows */
  struct fern__log_follower_s *next;
} fern__log_follower;

typedef struct fern__log_pending_s fern__log_pending;
struct fern__logdisk_s;

typedef struct fern__logbook_s {
  fern__strmap rings;     /* moniker -> fern__log_ring */
  fern__log_line *oldest, *newest;
  size_t buffer_bytes;    /* each component's bound */
  size_t budget_bytes;    /* all of them together */
  size_t bytes;
  uint64_t seq;
  fern__log_follower *followers;
  struct fern__logdisk_s *disk; /* NULL without a log directory */
  /* Lines of other threads wait here for the loop (logbook_intake.c). */
  pthread_t loop_thread;
  pthread_mutex_t pending_lock;
  fern__log_pending *pending_head, **pending_tail;
  uv_async_t pending_wake;
  int open;
} fern__logbook;

/* The book of this `fern run` (log.c notes into it), or NULL. */
extern fern__logbook *fern__logbook_current;

/* Opens the book on `loop` (the caller's thread is the loop's). */
int fern__logbook_open(fern__logbook *book, uv_loop_t *loop,
                       size_t buffer_bytes, size_t budget_bytes);
/* Closes it: pending lines are taken in, followers dropped, the disk
 * writer flushed and stopped. The async handle closes with the loop. */
void fern__logbook_close(fern__logbook *book);

/* Where a line longer than FERN_LOGBOOK_LINE_MAX is cut: there, or before
 * the character that straddles it. */
static inline size_t fern__log_cut_at(const char *text, size_t len) {
  if (len <= FERN_LOGBOOK_LINE_MAX)
    return len;
  size_t at = FERN_LOGBOOK_LINE_MAX;
  while (at > FERN_LOGBOOK_LINE_MAX - 3 && ((unsigned char)text[at] & 0xc0) == 0x80)
    at--;
  return at;
}

/* Notes one line of `moniker` (any thread): `len` bytes, no newline;
 * cut to FERN_LOGBOOK_LINE_MAX, and marked cut when `cut` or when it was
 * longer. */
void fern__logbook_note(fern__logbook *book, const char *moniker, int stream,
                        const char *text, size_t len, int cut);
/* Loop thread: takes the line in now. */
void fern__logbook_add(fern__logbook *book, const char *moniker, int stream,
                       const char *text, size_t len, int cut, int64_t time_us);

/* The line as a JSON object on one line, with its newline; malloc'd, its
 * length in `*len`. */
char *fern__log_line_json(const fern__log_line *line, const char *moniker,
                          size_t *len);
/* Whether `line` of `moniker` is one `filter` wants. */
int fern__log_filter_wants(const fern__log_filter *filter,
                           const char *moniker, int stream, int64_t time_us);
void fern__log_filter_free(fern__log_filter *filter);

/* The kept lines `filter` wants, oldest first, the last `max` of them (0:
 * all): a malloc'd array of borrowed lines, valid until the next line is
 * added; the count in `*count`. */
const fern__log_line **fern__logbook_select(const fern__logbook *book,
                                            const fern__log_filter *filter,
                                            size_t max, size_t *count);

void fern__logbook_follow(fern__logbook *book, fern__log_follower *follower);
void fern__logbook_unfollow(fern__logbook *book, fern__log_follower *follower);

/* Frees every line and ring (logbook_intake.c, as the book closes). */
void fern__logbook_clear(fern__logbook *book);

/* The stream's name ("stdout", "stderr", "fern"), and back (-1 if none). */
const char *fern__log_stream_name(int stream);
int fern__log_stream_of(const char *name);

#endif
