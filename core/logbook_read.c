/* logbook_read.c - the log directory read back (logbook_disk.h): every
 * file of every component a reader wants, rotated ones first, the lines
 * it wants kept, oldest first by time. On the thread pool: the files may
 * be many and slow. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logbook_disk_private.h"

typedef struct kept_s {
  json_t **lines;
  size_t count, size;
} kept;

static int64_t time_us_of(const json_t *line) {
  return (int64_t)(json_number_value(json_object_get(line, "time")) * 1e6);
}

/* Adds the lines of one file that `filter` wants (each by its own
 * moniker: a file whose name was shortened may hold two components'). */
static void read_file(const char *path, const fern__log_filter *filter,
                      kept *k) {
  FILE *f = fopen(path, "re");
  char *buf = NULL;
  size_t size = 0;
  ssize_t n;
  while (f != NULL && (n = getline(&buf, &size, f)) > 0) {
    json_t *line = json_loadb(buf, (size_t)n, 0, NULL);
    const char *stream =
        json_string_value(json_object_get(line, "stream"));
    const char *moniker =
        json_string_value(json_object_get(line, "moniker"));
    if (line == NULL || stream == NULL || moniker == NULL ||
        !fern__log_filter_wants(filter, moniker, fern__log_stream_of(stream),
                                time_us_of(line))) {
      json_decref(line);
      continue;
    }
    if (k->count == k->size) {
      size_t grown_size = k->size ? 2 * k->size : 256;
      json_t **grown = realloc(k->lines, grown_size * sizeof *grown);
      if (grown == NULL) {
        json_decref(line);
        break;
      }
      k->lines = grown;
      k->size = grown_size;
    }
    k->lines[k->count++] = line;
  }
  free(buf);
  if (f != NULL)
    fclose(f);
}

/* One component's files, the oldest first. */
static void read_component(const fern__logdisk *disk, const char *name,
                           const fern__log_filter *filter, kept *k) {
  char path[PATH_MAX + 300];
  for (int i = disk->files - 1; i >= 1; i--) {
    snprintf(path, sizeof path, "%s/%s.%d", disk->dir, name, i);
    read_file(path, filter, k);
  }
  snprintf(path, sizeof path, "%s/%s", disk->dir, name);
  read_file(path, filter, k);
}

static int by_time(const void *a, const void *b);

/* Keeps the newest `max` of what was kept (oldest first after). */
static void keep_newest(kept *k, size_t max) {
  qsort(k->lines, k->count, sizeof *k->lines, by_time);
  if (k->count <= max)
    return;
  size_t drop = k->count - max;
  for (size_t i = 0; i < drop; i++)
    json_decref(k->lines[i]);
  memmove(k->lines, k->lines + drop, max * sizeof *k->lines);
  k->count = max;
}

static int by_time(const void *a, const void *b) {
  const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
  int64_t tx = time_us_of(x), ty = time_us_of(y);
  if (tx != ty)
    return tx < ty ? -1 : 1;
  json_int_t sx = json_integer_value(json_object_get(x, "seq"));
  json_int_t sy = json_integer_value(json_object_get(y, "seq"));
  return (sx > sy) - (sx < sy);
}

json_t *fern__logdisk_read(fern__logdisk *disk, const fern__log_filter *filter,
                           size_t max, uint64_t upto_seq) {
  if (fern__logdisk_wait(disk, upto_seq, 2000) != 0)
    return NULL;
  pthread_mutex_lock(&disk->lock);
  int missed = disk->missed;
  pthread_mutex_unlock(&disk->lock);
  if (missed)
    return NULL;
  kept k = {0};
  DIR *d = opendir(disk->dir);
  struct dirent *e;
  char moniker[PATH_MAX];
  while (d != NULL && (e = readdir(d)) != NULL) {
    size_t len = strlen(e->d_name);
    int shortened = strchr(e->d_name, '~') != NULL && len > 4 &&
                    strcmp(e->d_name + len - 4, ".log") == 0;
    if (shortened ||
        (fern__logdisk_moniker(e->d_name, moniker, sizeof moniker) == 0 &&
         fern__log_filter_wants(&(fern__log_filter){filter->monikers, -1, 0},
                                moniker, -1, 0)))
      read_component(disk, e->d_name, filter, &k);
    /* What is kept stays near `max`, however many files there are. */
    if (k.count > 2 * max)
      keep_newest(&k, max);
  }
  if (d != NULL)
    closedir(d);
  keep_newest(&k, max);
  json_t *out = json_array();
  for (size_t i = 0; i < k.count; i++)
    json_array_append_new(out, k.lines[i]);
  free(k.lines);
  return out;
}
