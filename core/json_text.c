/* json_text.c - see json_text.h. RFC 8259, section 7: the characters
 * that must be escaped are the quotation mark, the reverse solidus and
 * the control characters U+0000 to U+001F. */
#include "json_text.h"

#include <stdio.h>

int fern__json_put_string(char *out, size_t size, size_t *used,
                          const char *text, size_t len) {
  size_t at = *used;
  if (at + 2 > size)
    return -1;
  out[at++] = '"';
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)text[i];
    if (at + 7 >= size)
      return -1;
    if (c == '"' || c == '\\') {
      out[at++] = '\\';
      out[at++] = (char)c;
    } else if (c < 0x20) {
      at += (size_t)snprintf(out + at, size - at, "\\u%04x", c);
    } else {
      out[at++] = (char)c;
    }
  }
  if (at + 1 > size)
    return -1;
  out[at++] = '"';
  *used = at;
  return 0;
}
