/* logbook_intake.c - how lines reach the book (logbook.h): the loop's own
 * at once, other threads' (a resolver's log record, a runner's output read
 * on the thread pool) through a short queue the loop empties on its next
 * turn, so that the book itself is the loop's alone. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "logbook.h"
#include "logbook_disk.h"

struct fern__log_pending_s {
  fern__log_pending *next;
  char *moniker;
  int stream, cut;
  int64_t time_us;
  size_t len;
  char text[];
};

static int64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Takes in what other threads noted, in the order they did. */
static void take_pending(fern__logbook *book) {
  pthread_mutex_lock(&book->pending_lock);
  fern__log_pending *p = book->pending_head;
  book->pending_head = NULL;
  book->pending_tail = &book->pending_head;
  pthread_mutex_unlock(&book->pending_lock);
  while (p != NULL) {
    fern__log_pending *next = p->next;
    fern__logbook_add(book, p->moniker, p->stream, p->text, p->len, p->cut,
                      p->time_us);
    free(p->moniker);
    free(p);
    p = next;
  }
}

static void on_pending(uv_async_t *async) { take_pending(async->data); }

int fern__logbook_open(fern__logbook *book, uv_loop_t *loop,
                       size_t buffer_bytes, size_t budget_bytes) {
  memset(book, 0, sizeof *book);
  fern__strmap_init(&book->rings);
  book->buffer_bytes = buffer_bytes ? buffer_bytes : FERN_LOGBOOK_BUFFER;
  book->budget_bytes = budget_bytes ? budget_bytes : FERN_LOGBOOK_BUDGET;
  book->loop_thread = pthread_self();
  pthread_mutex_init(&book->pending_lock, NULL);
  book->pending_tail = &book->pending_head;
  if (uv_async_init(loop, &book->pending_wake, on_pending) != 0)
    return -1;
  book->pending_wake.data = book;
  uv_unref((uv_handle_t *)&book->pending_wake);
  book->open = 1;
  fern__logbook_current = book;
  return 0;
}

void fern__logbook_close(fern__logbook *book) {
  if (!book->open)
    return;
  take_pending(book);
  pthread_mutex_lock(&book->pending_lock);
  book->open = 0;
  pthread_mutex_unlock(&book->pending_lock);
  take_pending(book); /* what came in between */
  if (fern__logbook_current == book)
    fern__logbook_current = NULL;
  book->followers = NULL;
  if (book->disk != NULL)
    fern__logdisk_close(book->disk);
  book->disk = NULL;
  uv_close((uv_handle_t *)&book->pending_wake, NULL);
  fern__logbook_clear(book);
}

void fern__logbook_note(fern__logbook *book, const char *moniker, int stream,
                        const char *text, size_t len, int cut) {
  if (book == NULL)
    return;
  if (pthread_equal(pthread_self(), book->loop_thread)) {
    if (book->open) /* it cuts what is too long */
      fern__logbook_add(book, moniker, stream, text, len, cut, now_us());
    return;
  }
  if (len > FERN_LOGBOOK_LINE_MAX) { /* copied no longer than kept */
    len = fern__log_cut_at(text, len);
    cut = 1;
  }
  fern__log_pending *p = malloc(sizeof *p + len);
  if (p == NULL || (p->moniker = strdup(moniker)) == NULL) {
    free(p);
    return;
  }
  p->next = NULL;
  p->stream = stream;
  p->cut = cut;
  p->time_us = now_us();
  p->len = len;
  memcpy(p->text, text, len);
  pthread_mutex_lock(&book->pending_lock);
  int open = book->open;
  if (open) {
    *book->pending_tail = p;
    book->pending_tail = &p->next;
    uv_async_send(&book->pending_wake);
  }
  pthread_mutex_unlock(&book->pending_lock);
  if (!open) {
    free(p->moniker);
    free(p);
  }
}
