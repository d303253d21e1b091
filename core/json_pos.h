/* json_pos.h - finds where a value stands in JSON or JSON5 text, for error
 * messages (implemented in json5.c, by the parser's own walk). Runs only
 * when an error is reported, so valid manifests pay nothing. */
#ifndef FERN_CORE_JSON_POS_H
#define FERN_CORE_JSON_POS_H

#include <stddef.h>

/* Finds the JSON pointer `pointer` ("/children/1/name", "" for the root) in
 * `text`: for an object member, the position of its key; otherwise of the
 * value. Lines and columns count from 1. Returns 0, or -1 when the pointer
 * is not in the text (then *line = *col = 0). */
int fern__json_locate(const char *text, size_t len, const char *pointer,
                      int *line, int *col);

#endif
