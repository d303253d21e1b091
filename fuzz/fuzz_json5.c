/* fuzz_json5.c - libFuzzer: bytes to the JSON5 reader of manifests
 * (core/json5.c), differentially: whatever jansson's strict reader takes
 * (with duplicates refused, as fern always read manifests), the JSON5
 * reader must take too and read to an equal value, JSON5 being a superset
 * of JSON. (Text with a NUL byte is left out of the comparison: jansson
 * takes a raw NUL between tokens, which neither JSON nor JSON5 allows.) Every value read is also walked for the position of each of its
 * members (fern__json_locate), which must be found. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/json5.h"
#include "../core/json_pos.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Each member of the top object (and each element of the top array) is
 * found where the reader stands. */
static void locate_members(const char *text, size_t size, json_t *v) {
  int line, col;
  const char *key;
  json_t *member;
  size_t i;
  json_object_foreach(v, key, member) {
    char pointer[256];
    char *out = pointer;
    *out++ = '/';
    for (const char *k = key; *k && out < pointer + sizeof pointer - 3; k++) {
      if (*k == '~' || *k == '/') {
        *out++ = '~';
        *out++ = *k == '~' ? '0' : '1';
      } else {
        *out++ = *k;
      }
    }
    *out = '\0';
    if (strlen(key) < 120 && fern__json_locate(text, size, pointer, &line, &col) != 0)
      abort();
  }
  json_array_foreach(v, i, member) {
    char pointer[32];
    snprintf(pointer, sizeof pointer, "/%zu", i);
    if (fern__json_locate(text, size, pointer, &line, &col) != 0)
      abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  fern__json5_error err;
  json_t *mine = fern__json5_parse(text, size, &err);
  json_error_t jerr;
  json_t *strict = json_loadb(text, size, JSON_REJECT_DUPLICATES, &jerr);
  if (strict != NULL && memchr(text, '\0', size) == NULL &&
      (mine == NULL || !json_equal(mine, strict)))
    abort(); /* strict JSON read otherwise than jansson reads it */
  if (mine != NULL)
    locate_members(text, size, mine);
  json_decref(mine);
  json_decref(strict);
  return 0;
}
