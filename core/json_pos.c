/* json_pos.c - see json_pos.h. A small scanner over text that jansson has
 * already accepted: it does not validate, it only walks and counts lines. */
#include "json_pos.h"

#include <stdlib.h>
#include <string.h>

typedef struct json_cursor_s {
  const char *p;
  const char *end;
  int line;
  const char *line_start;
} json_cursor;

static void cursor_skip_ws(json_cursor *c) {
  while (c->p < c->end && strchr(" \t\r\n", *c->p) != NULL) {
    if (*c->p == '\n') {
      c->line++;
      c->line_start = c->p + 1;
    }
    c->p++;
  }
}

/* Copies a string token's content (escapes kept as the letter after the
 * backslash, enough to compare plain keys) into buf; leaves p after it. */
static void cursor_string(json_cursor *c, char *buf, size_t size) {
  size_t n = 0;
  c->p++; /* opening quote */
  while (c->p < c->end && *c->p != '"') {
    if (*c->p == '\\' && c->p + 1 < c->end)
      c->p++;
    if (buf != NULL && n + 1 < size)
      buf[n++] = *c->p;
    c->p++;
  }
  if (c->p < c->end)
    c->p++;
  if (buf != NULL)
    buf[n] = '\0';
}

static void cursor_skip_value(json_cursor *c) {
  cursor_skip_ws(c);
  if (c->p >= c->end)
    return;
  if (*c->p == '"') {
    cursor_string(c, NULL, 0);
    return;
  }
  if (*c->p == '{' || *c->p == '[') {
    int depth = 0;
    while (c->p < c->end) {
      char ch = *c->p;
      if (ch == '"') {
        cursor_string(c, NULL, 0);
        continue;
      }
      if (ch == '\n') {
        c->line++;
        c->line_start = c->p + 1;
      }
      if (ch == '{' || ch == '[')
        depth++;
      if (ch == '}' || ch == ']')
        depth--;
      c->p++;
      if (depth == 0)
        return;
    }
    return;
  }
  while (c->p < c->end && strchr(",]} \t\r\n", *c->p) == NULL)
    c->p++;
}

/* Takes the next token of a JSON pointer into buf, undoing ~1 and ~0. */
static const char *pointer_next(const char *ptr, char *buf, size_t size) {
  size_t n = 0;
  ptr++; /* the '/' */
  while (*ptr != '\0' && *ptr != '/') {
    char ch = *ptr++;
    if (ch == '~' && (*ptr == '0' || *ptr == '1'))
      ch = *ptr++ == '0' ? '~' : '/';
    if (n + 1 < size)
      buf[n++] = ch;
  }
  buf[n] = '\0';
  return ptr;
}

static int find_member(json_cursor *c, const char *name) {
  char key[256];
  c->p++; /* '{' */
  for (;;) {
    cursor_skip_ws(c);
    if (c->p >= c->end || *c->p != '"')
      return -1;
    const char *key_at = c->p;
    cursor_string(c, key, sizeof key);
    if (strcmp(key, name) == 0) {
      c->p = key_at;
      return 0;
    }
    cursor_skip_ws(c);
    c->p++; /* ':' */
    cursor_skip_value(c);
    cursor_skip_ws(c);
    if (c->p >= c->end || *c->p != ',')
      return -1;
    c->p++;
  }
}

static int find_element(json_cursor *c, const char *index_text) {
  char *tail;
  long index = strtol(index_text, &tail, 10);
  if (*tail != '\0' || index < 0)
    return -1;
  c->p++; /* '[' */
  for (long i = 0;; i++) {
    cursor_skip_ws(c);
    if (i == index)
      return c->p < c->end && *c->p != ']' ? 0 : -1;
    cursor_skip_value(c);
    cursor_skip_ws(c);
    if (c->p >= c->end || *c->p != ',')
      return -1;
    c->p++;
  }
}

int fern__json_locate(const char *text, size_t len, const char *pointer,
                      int *line, int *col) {
  json_cursor c = {text, text + len, 1, text};
  *line = *col = 0;
  cursor_skip_ws(&c);
  while (*pointer == '/') {
    char token[256];
    pointer = pointer_next(pointer, token, sizeof token);
    cursor_skip_ws(&c);
    if (c.p >= c.end)
      return -1;
    int found;
    if (*c.p == '{') {
      found = find_member(&c, token);
      if (found == 0 && *pointer == '/') {
        cursor_string(&c, NULL, 0);
        cursor_skip_ws(&c);
        c.p++; /* ':' */
      }
    } else if (*c.p == '[') {
      found = find_element(&c, token);
    } else {
      found = -1;
    }
    if (found != 0)
      return -1;
  }
  cursor_skip_ws(&c);
  *line = c.line;
  *col = (int)(c.p - c.line_start) + 1;
  return 0;
}
