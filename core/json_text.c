/* json_text.c - see json_text.h. RFC 8259, section 7: the characters
 * that must be escaped are the quotation mark, the reverse solidus and
 * the control characters U+0000 to U+001F. A byte that is not part of
 * well-formed UTF-8, and NUL, become U+FFFD. */
#include "json_text.h"

#include <stdio.h>
#include <string.h>

#include "log_escape.h"

int fern__json_put_string(char *out, size_t size, size_t *used,
                          const char *text, size_t len) {
  size_t at = *used;
  if (at + 2 > size)
    return -1;
  out[at++] = '"';
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)text[i];
    size_t n = c >= 0x80 ? fern__utf8_length((const unsigned char *)text + i,
                                             len - i)
                         : 0;
    if (at + 7 >= size)
      return -1;
    if (c == '"' || c == '\\') {
      out[at++] = '\\';
      out[at++] = (char)c;
    } else if (c == 0 || (c >= 0x80 && n == 0)) {
      /* JSON text is UTF-8 (RFC 8259, section 8.1), and readers refuse
       * a NUL: a byte that is neither becomes U+FFFD. */
      memcpy(out + at, "\\ufffd", 6);
      at += 6;
    } else if (c < 0x20) {
      at += (size_t)snprintf(out + at, size - at, "\\u%04x", c);
    } else if (n > 0) {
      memcpy(out + at, text + i, n);
      at += n;
      i += n - 1;
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
