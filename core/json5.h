/* json5.h - manifests as Fuchsia writes them: JSON5 (https://spec.json5.org,
 * the grammar cmc's json5 crate reads), parsed into jansson values. JSON5
 * is a superset of JSON, so strict JSON reads as before: comments, keys
 * without quotes, trailing commas, single-quoted strings, hex numbers,
 * leading or trailing decimal points and a plus sign are what it adds.
 * Duplicate keys are errors, as fern always had them. One parser serves
 * both the reading and the placing of errors (fern__json_locate walks the
 * same grammar), so there is no second model of the text. Thread-safe. */
#ifndef FERN_CORE_JSON5_H
#define FERN_CORE_JSON5_H

#include <jansson.h>
#include <stddef.h>

/* Why a text is not JSON5, and where (lines and byte columns from 1). */
typedef struct fern__json5_error_s {
  int line, column;
  char text[160];
} fern__json5_error;

/* Deeper nesting than this is refused (jansson's own limit). */
#define FERN_JSON5_DEPTH_MAX 2048

/* Parses `len` bytes of JSON5 into a new value, or returns NULL and fills
 * `err`. Strings must be UTF-8 without NUL; numbers must fit jansson
 * (Infinity and NaN, which JSON5 allows, do not). */
json_t *fern__json5_parse(const char *text, size_t len, fern__json5_error *err);

#endif
