/* bench_json5.c - the manifest reader against jansson: one manifest of N
 * children (as a realm of N writes it), read by fern's JSON5 reader
 * (core/json5.c, which every manifest goes through) and by jansson's own
 * strict reader, which fern used before manifests became JSON5, in this
 * process, taking turns. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/json5.h"
#include "bench.h"

/* {"children": [{"name": "c0", "url": "#meta/leaf.cm", "startup":
 * "eager"}, ...]}, the caller's to free. */
static char *manifest_text(long n, size_t *len) {
  size_t cap = 64 + (size_t)n * 80, used = 0;
  char *text = malloc(cap);
  if (text == NULL)
    return NULL;
  used += (size_t)snprintf(text, cap, "{\"children\": [\n");
  for (long i = 0; i < n; i++)
    used += (size_t)snprintf(text + used, cap - used,
                             "%s  {\"name\": \"c%ld\", \"url\": "
                             "\"#meta/leaf.cm\", \"startup\": \"eager\"}",
                             i ? ",\n" : "", i);
  used += (size_t)snprintf(text + used, cap - used, "]}\n");
  *len = used;
  return text;
}

/* Seconds one read of `text` takes, by fern's reader or jansson's. */
static double read_once(const char *text, size_t len, int json5) {
  double start = bench_now();
  fern__json5_error err;
  json_error_t jerr;
  json_t *v = json5 ? fern__json5_parse(text, len, &err)
                    : json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
  double took = bench_now() - start;
  if (v == NULL)
    return -1;
  json_decref(v);
  return took;
}

int bench_json5(long n) {
  size_t len;
  char *text = manifest_text(n, &len);
  if (text == NULL)
    return 1;
  double mine[REPEAT_MAX], theirs[REPEAT_MAX];
  int failed = 0;
  for (int r = 0; r < repeat; r++) {
    mine[r] = read_once(text, len, 1) * 1000;
    theirs[r] = read_once(text, len, 0) * 1000;
    failed |= mine[r] < 0 || theirs[r] < 0;
  }
  free(text);
  if (failed) {
    fprintf(stderr, "bench: a manifest of %ld children did not read\n", n);
    return 1;
  }
  add_row("manifest read, JSON5 vs jansson (ms)", n, median(mine, repeat),
          median(theirs, repeat), "ms");
  return 0;
}
