/* json_text.h - JSON text written by hand where jansson's objects cost
 * too much: per event and per log line, thousands a second. */
#ifndef FERN_CORE_JSON_TEXT_H
#define FERN_CORE_JSON_TEXT_H

#include <stddef.h>

/* Appends `text` (`len` bytes) to `out` (of `size` bytes, `*used` of them
 * taken) as a JSON string: quote, backslash and control bytes escaped;
 * NUL and bytes that are not well-formed UTF-8 written as U+FFFD; the
 * rest as it is. Returns -1 when it does not fit (then `*used`
 * is as it was). A string takes at most 6 * len + 2 bytes. */
int fern__json_put_string(char *out, size_t size, size_t *used,
                          const char *text, size_t len);

#endif
