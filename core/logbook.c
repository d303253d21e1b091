/* logbook.c - see logbook.h: the buffers, what goes when they are full,
 * and what a reader selects. Loop thread. */
#include "logbook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_text.h"
#include "logbook_disk.h"
#include "path_within.h"

fern__logbook *fern__logbook_current;

const char *fern__log_stream_name(int stream) {
  return stream == FERN_LOG_STREAM_STDOUT   ? "stdout"
         : stream == FERN_LOG_STREAM_STDERR ? "stderr"
                                            : "fern";
}

int fern__log_stream_of(const char *name) {
  for (int s = 0; s <= 2; s++)
    if (strcmp(name, fern__log_stream_name(s)) == 0)
      return s;
  return -1;
}

/* What a line costs the budget: its text and its header. */
static size_t line_cost(const fern__log_line *line) {
  return sizeof *line + line->len + 1;
}

static void ring_free(void *value) {
  fern__log_ring *ring = value;
  free(ring->moniker);
  free(ring);
}

/* Drops the oldest line of `ring`, which is its component's oldest and so
 * may sit anywhere in the book's order. */
static void drop_oldest_of(fern__logbook *book, fern__log_ring *ring) {
  fern__log_line *line = ring->oldest;
  ring->oldest = line->next_in_ring;
  if (ring->oldest == NULL)
    ring->newest = NULL;
  if (line->older != NULL)
    line->older->newer = line->newer;
  else
    book->oldest = line->newer;
  if (line->newer != NULL)
    line->newer->older = line->older;
  else
    book->newest = line->older;
  ring->bytes -= line_cost(line);
  book->bytes -= line_cost(line);
  free(line);
  /* A component with nothing kept costs nothing: its ring comes again
   * with its next line. */
  if (ring->oldest == NULL)
    ring_free(fern__strmap_remove(&book->rings, ring->moniker));
}

static fern__log_ring *ring_of(fern__logbook *book, const char *moniker) {
  fern__log_ring *ring = fern__strmap_get(&book->rings, moniker);
  if (ring != NULL)
    return ring;
  ring = calloc(1, sizeof *ring);
  if (ring == NULL || (ring->moniker = strdup(moniker)) == NULL ||
      fern__strmap_put(&book->rings, moniker, ring) != 0) {
    if (ring != NULL)
      free(ring->moniker);
    free(ring);
    return NULL;
  }
  return ring;
}

static void deliver(fern__logbook *book, const fern__log_line *line,
                    const char *moniker) {
  char *json = NULL;
  size_t len = 0;
  /* A send may close its follower's connection, which unlinks it: the
   * next one is taken first (the follower itself lives on until the
   * connection is freed, on a later turn). */
  fern__log_follower *next;
  for (fern__log_follower *f = book->followers; f != NULL; f = next) {
    next = f->next;
    if (!fern__log_filter_wants(&f->filter, moniker, line->stream,
                                line->time_us))
      continue;
    if (json == NULL && (json = fern__log_line_json(line, moniker, &len)) ==
                            NULL)
      return;
    fern__event_sink_deliver(&f->sink, json, len);
  }
  free(json);
}

void fern__logbook_add(fern__logbook *book, const char *moniker, int stream,
                       const char *text, size_t len, int cut,
                       int64_t time_us) {
  if (len > FERN_LOGBOOK_LINE_MAX) {
    len = fern__log_cut_at(text, len);
    cut = 1;
  }
  fern__log_ring *ring = ring_of(book, moniker);
  fern__log_line *line = ring ? malloc(sizeof *line + len + 1) : NULL;
  if (line == NULL)
    return; /* out of memory: the line is lost, not fern */
  *line = (fern__log_line){.older = book->newest,
                           .ring = ring,
                           .seq = ++book->seq,
                           .time_us = time_us,
                           .stream = (uint8_t)stream,
                           .cut = (uint8_t)(cut != 0),
                           .len = (uint32_t)len};
  memcpy(line->text, text, len);
  line->text[len] = '\0';
  if (book->newest != NULL)
    book->newest->newer = line;
  else
    book->oldest = line;
  book->newest = line;
  if (ring->newest != NULL)
    ring->newest->next_in_ring = line;
  else
    ring->oldest = line;
  ring->newest = line;
  ring->bytes += line_cost(line);
  book->bytes += line_cost(line);
  if (book->disk != NULL)
    fern__logdisk_put(book->disk, line, ring->moniker);
  deliver(book, line, ring->moniker);
  /* The component's own bound, then everyone's: the oldest anywhere. */
  while (ring->bytes > book->buffer_bytes && ring->oldest != line)
    drop_oldest_of(book, ring);
  while (book->bytes > book->budget_bytes && book->oldest != line)
    drop_oldest_of(book, book->oldest->ring);
}

char *fern__log_line_json(const fern__log_line *line, const char *moniker,
                          size_t *len) {
  size_t size = 160 + 6 * ((size_t)line->len + strlen(moniker));
  char *out = malloc(size);
  if (out == NULL)
    return NULL;
  int n = snprintf(out, size, "{\"seq\":%llu,\"time\":%lld.%06lld,\"moniker\":",
                   (unsigned long long)line->seq,
                   (long long)(line->time_us / 1000000),
                   (long long)(line->time_us % 1000000));
  size_t used = (size_t)n;
  fern__json_put_string(out, size, &used, moniker, strlen(moniker));
  used += (size_t)snprintf(out + used, size - used, ",\"stream\":\"%s\",\"text\":",
                           fern__log_stream_name(line->stream));
  fern__json_put_string(out, size, &used, line->text, line->len);
  used += (size_t)snprintf(out + used, size - used, "%s}\n",
                           line->cut ? ",\"cut\":true" : "");
  *len = used;
  return out;
}

int fern__log_filter_wants(const fern__log_filter *filter,
                           const char *moniker, int stream, int64_t time_us) {
  if (filter->stream >= 0 && filter->stream != stream)
    return 0;
  if (filter->since_us > 0 && time_us < filter->since_us)
    return 0;
  if (filter->monikers == NULL || filter->monikers[0] == NULL)
    return 1;
  for (char **m = filter->monikers; *m != NULL; m++)
    if (fern__path_within(moniker, *m))
      return 1;
  return 0;
}

void fern__log_filter_free(fern__log_filter *filter) {
  for (char **m = filter->monikers; m != NULL && *m != NULL; m++)
    free(*m);
  free(filter->monikers);
  filter->monikers = NULL;
}

const fern__log_line **fern__logbook_select(const fern__logbook *book,
                                            const fern__log_filter *filter,
                                            size_t max, size_t *count) {
  size_t n = 0, size = 64;
  const fern__log_line **out = malloc(size * sizeof *out);
  /* Newest first, so that the last `max` are found without a sort. */
  for (const fern__log_line *l = book->newest;
       out != NULL && l != NULL && (max == 0 || n < max); l = l->older) {
    if (!fern__log_filter_wants(filter, l->ring->moniker, l->stream,
                                l->time_us))
      continue;
    if (n == size) {
      const fern__log_line **grown = realloc(out, 2 * size * sizeof *out);
      if (grown == NULL)
        break;
      out = grown;
      size *= 2;
    }
    out[n++] = l;
  }
  for (size_t i = 0; out != NULL && i < n / 2; i++) {
    const fern__log_line *t = out[i];
    out[i] = out[n - 1 - i];
    out[n - 1 - i] = t;
  }
  *count = out != NULL ? n : 0;
  return out;
}

void fern__logbook_follow(fern__logbook *book, fern__log_follower *follower) {
  follower->next = book->followers;
  book->followers = follower;
}

void fern__logbook_unfollow(fern__logbook *book,
                            fern__log_follower *follower) {
  for (fern__log_follower **p = &book->followers; *p != NULL; p = &(*p)->next)
    if (*p == follower) {
      *p = follower->next;
      return;
    }
}

void fern__logbook_clear(fern__logbook *book) {
  while (book->oldest != NULL) {
    fern__log_line *next = book->oldest->newer;
    free(book->oldest);
    book->oldest = next;
  }
  book->newest = NULL;
  book->bytes = 0;
  fern__strmap_free(&book->rings, ring_free);
}
