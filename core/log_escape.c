/* log_escape.c - see log_escape.h. */
#include "log_escape.h"

#include <string.h>

/* The length of the well-formed UTF-8 sequence that starts `s` (`len`
 * bytes available), or 0: The Unicode Standard, chapter 3, table 3-7
 * "Well-Formed UTF-8 Byte Sequences" (no overlong form, so no disguised
 * ESC; no surrogate; nothing past U+10FFFF). */
size_t fern__utf8_length(const unsigned char *s, size_t len) {
  unsigned char low = 0x80, high = 0xbf; /* the second byte's range */
  size_t n;
  if (s[0] >= 0xc2 && s[0] <= 0xdf) {
    n = 2;
  } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
    n = 3;
    low = s[0] == 0xe0 ? 0xa0 : low;
    high = s[0] == 0xed ? 0x9f : high;
  } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
    n = 4;
    low = s[0] == 0xf0 ? 0x90 : low;
    high = s[0] == 0xf4 ? 0x8f : high;
  } else {
    return 0;
  }
  if (len < n || s[1] < low || s[1] > high)
    return 0;
  for (size_t i = 2; i < n; i++)
    if ((s[i] & 0xc0) != 0x80)
      return 0;
  return n;
}

/* The character that starts `s`: its length in bytes, and whether it is
 * shown escaped (a control, or a byte of malformed UTF-8). */
static size_t next_char(const unsigned char *s, size_t len, int *escape) {
  if (s[0] < 0x80) {
    *escape = s[0] != '\t' && (s[0] < 0x20 || s[0] == 0x7f);
    return 1;
  }
  size_t n = fern__utf8_length(s, len);
  *escape = n == 0 || (n == 2 && s[0] == 0xc2 && s[1] <= 0x9f);
  return n == 0 ? 1 : n;
}

size_t fern__log_escape(char *out, size_t size, const char *in, size_t len) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *s = (const unsigned char *)in;
  size_t used = 0;
  for (size_t i = 0; i < len;) {
    int escape;
    size_t n = next_char(s + i, len - i, &escape);
    if (used + (escape ? 4 * n : n) > size)
      break;
    if (!escape) {
      memcpy(out + used, s + i, n);
      used += n;
      i += n;
      continue;
    }
    for (size_t end = i + n; i < end; i++) {
      out[used++] = '\\';
      out[used++] = 'x';
      out[used++] = hex[s[i] >> 4];
      out[used++] = hex[s[i] & 0xf];
    }
  }
  return used;
}

char *fern__escape_shown(char *out, size_t size, const char *in) {
  if (size == 0)
    return out;
  size_t n = fern__log_escape(out, size - 1, in, strlen(in));
  out[n] = '\0';
  return out;
}
