/* json5_lex.c - the lexical grammar of JSON5 (spec.json5.org, 1.0.0)
 * for json5.c: whitespace and line ends as ECMAScript has them,
 * comments, strings in ' and " with every escape, names without quotes,
 * and numbers (hex, leading or trailing point, sign). See json5.c for
 * the whole.
 *
 * Whitespace and line ends are JSON5's (ECMAScript's: tab, vertical tab,
 * form feed, space, NBSP, BOM, the Unicode space separators; LF, CR, CRLF,
 * U+2028, U+2029). A key without quotes is an ECMAScript identifier name,
 * read here as ASCII letters, digits, '$' and '_' plus any UTF-8 letter
 * beyond ASCII, and \uXXXX escapes. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json5_parser.h"

void j5_fail_at(parser *ps, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void j5_fail_at(parser *ps, int line, int col, const char *fmt, ...) {
  if (ps->failed)
    return;
  ps->failed = 1;
  if (ps->err == NULL)
    return;
  ps->err->line = line;
  ps->err->column = col;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ps->err->text, sizeof ps->err->text, fmt, ap);
  va_end(ap);
}

int j5_column(const parser *ps) {
  return (int)(ps->p - ps->line_start) + 1;
}


int j5_at(const parser *ps, size_t ahead, unsigned char byte) {
  return ps->p + ahead < ps->end && (unsigned char)ps->p[ahead] == byte;
}

/* The length of the line end at p (LF, CR, CRLF, U+2028, U+2029), or 0. */
static size_t line_end_len(const parser *ps) {
  if (j5_at(ps, 0, '\n'))
    return 1;
  if (j5_at(ps, 0, '\r'))
    return j5_at(ps, 1, '\n') ? 2 : 1;
  if (j5_at(ps, 0, 0xE2) && j5_at(ps, 1, 0x80) && (j5_at(ps, 2, 0xA8) || j5_at(ps, 2, 0xA9)))
    return 3;
  return 0;
}

/* The length of the whitespace character at p other than a line end, or
 * 0: ASCII's, NBSP, BOM and the Unicode space separators (Zs). */
static size_t space_len(const parser *ps) {
  if (ps->p >= ps->end)
    return 0;
  unsigned char c = (unsigned char)*ps->p;
  if (c == ' ' || c == '\t' || c == '\v' || c == '\f')
    return 1;
  if (c == 0xC2 && j5_at(ps, 1, 0xA0))
    return 2; /* U+00A0 */
  if (ps->p + 2 >= ps->end)
    return 0;
  unsigned char b = (unsigned char)ps->p[1], d = (unsigned char)ps->p[2];
  int zs = (c == 0xEF && b == 0xBB && d == 0xBF) ||       /* U+FEFF */
           (c == 0xE1 && b == 0x9A && d == 0x80) ||       /* U+1680 */
           (c == 0xE2 && b == 0x80 && d <= 0x8A) ||       /* U+2000-200A */
           (c == 0xE2 && b == 0x80 && d == 0xAF) ||       /* U+202F */
           (c == 0xE2 && b == 0x81 && d == 0x9F) ||       /* U+205F */
           (c == 0xE3 && b == 0x80 && d == 0x80);         /* U+3000 */
  return zs ? 3 : 0;
}

static void take_line_end(parser *ps, size_t n) {
  ps->p += n;
  ps->line++;
  ps->line_start = ps->p;
}

static void skip_block_comment(parser *ps) {
  int line = ps->line, col = j5_column(ps);
  ps->p += 2;
  while (ps->p < ps->end && !(j5_at(ps, 0, '*') && j5_at(ps, 1, '/'))) {
    size_t n = line_end_len(ps);
    if (n > 0)
      take_line_end(ps, n);
    else
      ps->p++;
  }
  if (ps->p >= ps->end) {
    j5_fail_at(ps, line, col, "a comment begun here never ends (\"*/\")");
    return;
  }
  ps->p += 2;
}

/* Skips whitespace, line ends and comments. */
void j5_skip_space(parser *ps) {
  while (!ps->failed && ps->p < ps->end) {
    size_t n;
    if ((n = line_end_len(ps)) > 0) {
      take_line_end(ps, n);
    } else if ((n = space_len(ps)) > 0) {
      ps->p += n;
    } else if (j5_at(ps, 0, '/') && j5_at(ps, 1, '/')) {
      while (ps->p < ps->end && line_end_len(ps) == 0)
        ps->p++;
    } else if (j5_at(ps, 0, '/') && j5_at(ps, 1, '*')) {
      skip_block_comment(ps);
    } else {
      return;
    }
  }
}

/* --- strings --- */

static int buf_add(text_buf *b, const char *data, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 64;
    while (cap < b->len + n + 1)
      cap *= 2;
    char *grown = realloc(b->s, cap);
    if (grown == NULL)
      return -1;
    b->s = grown;
    b->cap = cap;
  }
  memcpy(b->s + b->len, data, n);
  b->len += n;
  b->s[b->len] = '\0';
  return 0;
}

/* Appends, or fails the parse: a string cut short would be another. */
static void take(parser *ps, text_buf *b, const char *data, size_t n) {
  if (buf_add(b, data, n) != 0)
    fail(ps, "out of memory");
}

static int buf_add_code_point(text_buf *b, unsigned long cp) {
  char out[4];
  size_t n;
  if (cp < 0x80) {
    out[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  return buf_add(b, out, n);
}

/* The length of the well-formed UTF-8 character at p (RFC 3629: no
 * overlong forms, no surrogates, at most U+10FFFF), or 0. */
size_t j5_utf8_len(const parser *ps) {
  const unsigned char *s = (const unsigned char *)ps->p;
  size_t left = (size_t)(ps->end - ps->p);
  if (left == 0)
    return 0;
  if (s[0] < 0x80)
    return 1;
  size_t n = s[0] >= 0xF5   ? 0
             : s[0] >= 0xF0 ? 4
             : s[0] >= 0xE0 ? 3
             : s[0] >= 0xC2 ? 2
                            : 0;
  if (n == 0 || n > left)
    return 0;
  for (size_t i = 1; i < n; i++)
    if ((s[i] & 0xC0) != 0x80)
      return 0;
  if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0) ||
      (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90))
    return 0;
  return n;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* `count` hex digits at p; -1 (and the failure) if they are not there. */
static long read_hex(parser *ps, int count, const char *what) {
  long value = 0;
  for (int i = 0; i < count; i++) {
    int d = ps->p + i < ps->end ? hex_digit(ps->p[i]) : -1;
    if (d < 0) {
      fail(ps, "%s needs %d hex digits", what, count);
      return -1;
    }
    value = value * 16 + d;
  }
  ps->p += count;
  return value;
}

/* \uXXXX, and its low half when it is a high surrogate; p is after 'u'. */
static long read_unicode_escape(parser *ps) {
  long cp = read_hex(ps, 4, "\\u");
  if (cp < 0xD800 || cp > 0xDFFF)
    return cp;
  if (cp <= 0xDBFF && j5_at(ps, 0, '\\') && j5_at(ps, 1, 'u')) {
    ps->p += 2;
    long low = read_hex(ps, 4, "\\u");
    if (low >= 0xDC00 && low <= 0xDFFF)
      return 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
  }
  if (cp >= 0)
    fail(ps, "\\u%04lX is half of a surrogate pair without its other half",
         cp);
  return -1;
}

/* An escape: p is after the backslash. A line end is a line
 * continuation; a character no escape names stands for itself. */
static void read_escape(parser *ps, text_buf *b) {
  static const char singles[] = "b\bf\fn\nr\rt\tv\v";
  size_t n = line_end_len(ps);
  if (n > 0) {
    take_line_end(ps, n);
    return;
  }
  if (ps->p >= ps->end)
    return; /* the caller says the string never ends */
  char e = *ps->p;
  if (e == '\0') {
    fail(ps, "a string in a manifest cannot hold NUL");
    return;
  }
  const char *single = strchr(singles, e);
  long cp = -1;
  if (single != NULL && (single - singles) % 2 == 0) {
    ps->p++;
    cp = (unsigned char)single[1];
  } else if (e == 'x') {
    ps->p++;
    cp = read_hex(ps, 2, "\\x");
  } else if (e == 'u') {
    ps->p++;
    cp = read_unicode_escape(ps);
  } else if (e >= '0' && e <= '9' &&
             (e != '0' || (ps->p + 1 < ps->end && ps->p[1] >= '0' &&
                           ps->p[1] <= '9'))) {
    fail(ps, "a digit cannot be escaped (JSON5 has no octal escapes)");
  } else if (e == '0') {
    ps->p++;
    cp = 0;
  } else {
    size_t len = j5_utf8_len(ps);
    if (len == 0) {
      fail(ps, "unable to decode byte 0x%02x", (unsigned char)e);
      return;
    }
    take(ps, b, ps->p, len);
    ps->p += len;
    return;
  }
  if (cp == 0)
    fail(ps, "a string in a manifest cannot hold NUL (\\0)");
  else if (cp > 0 && buf_add_code_point(b, (unsigned long)cp) != 0)
    fail(ps, "out of memory");
}

/* A string in ' or "; p is at the quote. Its bytes go to `b`. */
void j5_read_string(parser *ps, text_buf *b) {
  char quote = *ps->p++;
  take(ps, b, "", 0);
  while (!ps->failed) {
    if (ps->p >= ps->end) {
      fail(ps, "a string never ends (%c expected)", quote);
      return;
    }
    char c = *ps->p;
    if (c == quote) {
      ps->p++;
      return;
    }
    if (c == '\\') {
      ps->p++;
      read_escape(ps, b);
      continue;
    }
    if (c == '\n' || c == '\r') {
      fail(ps, "a string cannot go on to the next line unless the line end "
               "is escaped");
      return;
    }
    if (c == '\0') {
      fail(ps, "a string in a manifest cannot hold NUL");
      return;
    }
    size_t n = j5_utf8_len(ps);
    if (n == 0) {
      fail(ps, "unable to decode byte 0x%02x", (unsigned char)c);
      return;
    }
    take(ps, b, ps->p, n);
    /* U+2028 and U+2029 may stand in a string, and end a line there too. */
    if (n == 3 && line_end_len(ps) == 3)
      take_line_end(ps, 3);
    else
      ps->p += n;
  }
}

/* Text of the input for a message: at most `size` - 1 bytes, cut at a
 * character's boundary, an undecodable byte shown as '?' (messages are
 * UTF-8, and fern check --json puts them in JSON). */
const char *j5_shown(const char *s, size_t n, char *out, size_t size) {
  parser view = {.p = s, .end = s + n};
  size_t used = 0;
  while (view.p < view.end) {
    size_t len = j5_utf8_len(&view);
    if (used + (len ? len : 1) + 1 > size)
      break;
    if (len == 0)
      out[used++] = '?';
    else
      memcpy(out + used, view.p, len);
    used += len;
    view.p += len ? len : 1;
  }
  out[used] = '\0';
  return out;
}

/* --- names, keys, literals --- */

/* Whether the byte at p can continue a name. */
static int name_byte(const parser *ps) {
  if (ps->p >= ps->end)
    return 0;
  unsigned char c = (unsigned char)*ps->p;
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '$' ||
         (c >= 0x80 && space_len(ps) == 0 && line_end_len(ps) == 0);
}

/* An identifier name (a key without quotes): its bytes go to `b`. */
void j5_read_name(parser *ps, text_buf *b) {
  take(ps, b, "", 0);
  while (!ps->failed && (name_byte(ps) || j5_at(ps, 0, '\\'))) {
    if (j5_at(ps, 0, '\\')) {
      if (!j5_at(ps, 1, 'u')) {
        fail(ps, "a name may hold only \\u escapes");
        return;
      }
      ps->p += 2;
      long cp = read_unicode_escape(ps);
      if (cp == 0)
        fail(ps, "a name in a manifest cannot hold NUL");
      else if (cp > 0 && buf_add_code_point(b, (unsigned long)cp) != 0)
        fail(ps, "out of memory");
      continue;
    }
    size_t n = j5_utf8_len(ps);
    if (n == 0) {
      fail(ps, "unable to decode byte 0x%02x", (unsigned char)*ps->p);
      return;
    }
    take(ps, b, ps->p, n);
    ps->p += n;
  }
}

int j5_starts_name(const parser *ps) {
  unsigned char c = ps->p < ps->end ? (unsigned char)*ps->p : 0;
  return (name_byte(ps) && !(c >= '0' && c <= '9')) || c == '\\';
}

/* true, false, null; Infinity and NaN are JSON5 but no jansson value. */
json_t *j5_parse_word(parser *ps) {
  const char *start = ps->p;
  while (name_byte(ps))
    ps->p++;
  size_t n = (size_t)(ps->p - start);
  if (n == 4 && memcmp(start, "true", 4) == 0)
    return json_true();
  if (n == 5 && memcmp(start, "false", 5) == 0)
    return json_false();
  if (n == 4 && memcmp(start, "null", 4) == 0)
    return json_null();
  ps->p = start;
  char word[48];
  if ((n == 8 && memcmp(start, "Infinity", 8) == 0) ||
      (n == 3 && memcmp(start, "NaN", 3) == 0))
    fail(ps, "%.*s is JSON5, but no value a manifest can hold", (int)n, start);
  else
    fail(ps, "unexpected word \"%s\": a value expected (a string needs "
             "quotes)",
         j5_shown(start, n, word, sizeof word));
  return NULL;
}

/* --- numbers --- */

static int is_digit(const parser *ps, size_t ahead) {
  return ps->p + ahead < ps->end && ps->p[ahead] >= '0' && ps->p[ahead] <= '9';
}

static json_t *parse_hex(parser *ps, int negative) {
  ps->p += 2;
  if (ps->p >= ps->end || hex_digit(*ps->p) < 0) {
    fail(ps, "a hex number needs digits after 0x");
    return NULL;
  }
  unsigned long long value = 0;
  while (ps->p < ps->end && hex_digit(*ps->p) >= 0) {
    if (value > (unsigned long long)LLONG_MAX / 16 + 1) {
      fail(ps, "too big integer");
      return NULL;
    }
    value = value * 16 + (unsigned long long)hex_digit(*ps->p++);
  }
  if (value > (unsigned long long)LLONG_MAX + (negative ? 1u : 0u)) {
    fail(ps, "too big integer");
    return NULL;
  }
  return json_integer(negative ? (json_int_t)(0 - value) : (json_int_t)value);
}

/* Skips digits; returns how many. */
static size_t skip_digits(parser *ps) {
  size_t n = 0;
  while (is_digit(ps, 0)) {
    ps->p++;
    n++;
  }
  return n;
}

json_t *j5_parse_number(parser *ps) {
  const char *start = ps->p;
  int negative = j5_at(ps, 0, '-');
  if (j5_at(ps, 0, '-') || j5_at(ps, 0, '+'))
    ps->p++;
  if (j5_at(ps, 0, 'I') || j5_at(ps, 0, 'N'))
    return j5_parse_word(ps);
  if (j5_at(ps, 0, '0') && (j5_at(ps, 1, 'x') || j5_at(ps, 1, 'X')))
    return parse_hex(ps, negative);
  if (j5_at(ps, 0, '0') && is_digit(ps, 1)) {
    fail(ps, "a number cannot begin with 0 (JSON5 has no octal numbers)");
    return NULL;
  }
  size_t digits = skip_digits(ps);
  int real = j5_at(ps, 0, '.');
  if (real) {
    ps->p++;
    digits += skip_digits(ps);
  }
  if (digits == 0) {
    ps->p = start;
    fail(ps, "a number expected");
    return NULL;
  }
  if (j5_at(ps, 0, 'e') || j5_at(ps, 0, 'E')) {
    real = 1;
    ps->p++;
    if (j5_at(ps, 0, '+') || j5_at(ps, 0, '-'))
      ps->p++;
    if (skip_digits(ps) == 0) {
      fail(ps, "an exponent needs digits");
      return NULL;
    }
  }
  const char *from = start[0] == '+' ? start + 1 : start;
  size_t n = (size_t)(ps->p - from);
  char *text = malloc(n + 1); /* any length: the input is not NUL-ended */
  if (text == NULL) {
    fail(ps, "out of memory");
    return NULL;
  }
  memcpy(text, from, n);
  text[n] = '\0';
  errno = 0;
  long long whole = real ? 0 : strtoll(text, NULL, 10);
  int range = errno == ERANGE;
  double value = real ? strtod(text, NULL) : 0;
  range = range || (real && errno == ERANGE && fabs(value) > 1.0);
  free(text);
  if (range) {
    ps->p = start;
    fail(ps, real ? "real number overflow" : "too big integer");
    return NULL;
  }
  return real ? json_real(value) : json_integer((json_int_t)whole);
}
