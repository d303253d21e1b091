/* json5.c - see json5.h and json_pos.h. A recursive descent over the
 * JSON5 grammar of https://spec.json5.org (1.0.0): each value is built as
 * a jansson value as it is read. The same walk places errors: given a
 * JSON pointer, it notes where the member's key, or the element, stands.
 * The lexical grammar (whitespace, comments, strings, names, numbers) is
 * json5_lex.c's. */
#include "json5.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_pos.h"
#include "json5_parser.h"

static json_t *parse_value(parser *ps);

/* --- the walk's JSON pointer, for fern__json_locate --- */

/* Enters a member or element; returns where to go back to. */
static size_t path_push(parser *ps, const char *token, size_t len) {
  size_t saved = ps->path_len;
  if (ps->target == NULL)
    return saved;
  size_t need = 1;
  for (size_t i = 0; i < len; i++)
    need += token[i] == '~' || token[i] == '/' ? 2 : 1;
  if (ps->too_long || ps->path_len + need + 1 > sizeof ps->path) {
    ps->too_long++;
    return saved;
  }
  ps->path[ps->path_len++] = '/';
  for (size_t i = 0; i < len; i++) {
    if (token[i] == '~' || token[i] == '/') {
      ps->path[ps->path_len++] = '~';
      ps->path[ps->path_len++] = token[i] == '~' ? '0' : '1';
    } else {
      ps->path[ps->path_len++] = token[i];
    }
  }
  ps->path[ps->path_len] = '\0';
  return saved;
}

static void path_pop(parser *ps, size_t saved) {
  if (ps->target == NULL)
    return;
  if (ps->too_long > 0 && ps->path_len == saved) {
    ps->too_long--;
    return;
  }
  ps->path_len = saved;
  ps->path[saved] = '\0';
}

/* Notes the place (line, col) if the walk stands at the sought pointer. */
static void path_check(parser *ps, int line, int col) {
  if (ps->target != NULL && !ps->found && !ps->too_long &&
      strcmp(ps->path, ps->target) == 0) {
    ps->found = 1;
    ps->found_line = line;
    ps->found_col = col;
  }
}

/* --- objects and arrays --- */

static int enter(parser *ps) {
  if (++ps->depth > FERN_JSON5_DEPTH_MAX) {
    fail(ps, "maximum parsing depth reached");
    return -1;
  }
  ps->p++; /* '{' or '[' */
  return 0;
}

/* A member's key, as a string or a name. */
static void read_key(parser *ps, text_buf *key) {
  if (j5_at(ps, 0, '"') || j5_at(ps, 0, '\''))
    j5_read_string(ps, key);
  else if (j5_starts_name(ps))
    j5_read_name(ps, key);
  else if (ps->p >= ps->end)
    fail(ps, "the object never ends ('}' expected)");
  else
    fail(ps, "a key expected (a string, or a name without quotes)");
}

/* One member into `obj`. */
static void parse_member(parser *ps, json_t *obj) {
  int line = ps->line, col = j5_column(ps);
  text_buf key = {0};
  read_key(ps, &key);
  char name[64];
  if (!ps->failed && json_object_get(obj, key.s) != NULL)
    j5_fail_at(ps, line, col, "duplicate object key \"%s\"",
            j5_shown(key.s, key.len, name, sizeof name));
  size_t saved = path_push(ps, key.s ? key.s : "", key.len);
  path_check(ps, line, col);
  j5_skip_space(ps);
  if (!ps->failed && !j5_at(ps, 0, ':'))
    fail(ps, "':' expected after the key");
  json_t *value = NULL;
  if (!ps->failed) {
    ps->p++;
    value = parse_value(ps);
  }
  path_pop(ps, saved);
  if (value != NULL && json_object_set_new(obj, key.s, value) != 0)
    j5_fail_at(ps, line, col, "out of memory");
  free(key.s);
}

static json_t *parse_object(parser *ps) {
  if (enter(ps) != 0)
    return NULL;
  json_t *obj = json_object();
  if (obj == NULL)
    fail(ps, "out of memory");
  while (!ps->failed) {
    j5_skip_space(ps);
    if (j5_at(ps, 0, '}')) {
      ps->p++;
      break;
    }
    parse_member(ps, obj);
    j5_skip_space(ps);
    if (j5_at(ps, 0, ','))
      ps->p++;
    else if (!ps->failed && !j5_at(ps, 0, '}'))
      fail(ps, "',' or '}' expected");
  }
  ps->depth--;
  if (ps->failed) {
    json_decref(obj);
    return NULL;
  }
  return obj;
}

static json_t *parse_array(parser *ps) {
  if (enter(ps) != 0)
    return NULL;
  json_t *array = json_array();
  if (array == NULL)
    fail(ps, "out of memory");
  for (size_t i = 0; !ps->failed; i++) {
    j5_skip_space(ps);
    if (j5_at(ps, 0, ']')) {
      ps->p++;
      break;
    }
    char index[24];
    int n = snprintf(index, sizeof index, "%zu", i);
    size_t saved = path_push(ps, index, (size_t)n);
    path_check(ps, ps->line, j5_column(ps));
    json_t *value = parse_value(ps);
    path_pop(ps, saved);
    if (value != NULL && json_array_append_new(array, value) != 0)
      fail(ps, "out of memory");
    j5_skip_space(ps);
    if (j5_at(ps, 0, ','))
      ps->p++;
    else if (!ps->failed && !j5_at(ps, 0, ']'))
      fail(ps, "',' or ']' expected");
  }
  ps->depth--;
  if (ps->failed) {
    json_decref(array);
    return NULL;
  }
  return array;
}

static json_t *parse_string_value(parser *ps) {
  text_buf b = {0};
  j5_read_string(ps, &b);
  json_t *value = ps->failed ? NULL : json_stringn(b.s ? b.s : "", b.len);
  if (!ps->failed && value == NULL)
    fail(ps, "out of memory");
  free(b.s);
  return value;
}

static json_t *parse_any(parser *ps);

/* A value, or the failure: jansson's allocations can fail too. */
static json_t *parse_value(parser *ps) {
  json_t *value = parse_any(ps);
  if (value == NULL && !ps->failed)
    fail(ps, "out of memory");
  return value;
}

static json_t *parse_any(parser *ps) {
  j5_skip_space(ps);
  if (ps->failed)
    return NULL;
  if (ps->p >= ps->end) {
    fail(ps, "unexpected end of input: a value expected");
    return NULL;
  }
  char c = *ps->p;
  if (c == '{')
    return parse_object(ps);
  if (c == '[')
    return parse_array(ps);
  if (c == '"' || c == '\'')
    return parse_string_value(ps);
  if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.')
    return j5_parse_number(ps);
  if ((unsigned char)c >= 0x80 && j5_utf8_len(ps) == 0) {
    fail(ps, "unable to decode byte 0x%02x", (unsigned char)c);
    return NULL;
  }
  if (j5_starts_name(ps))
    return j5_parse_word(ps);
  fail(ps, "unexpected character '%c': a value expected",
       c >= 0x20 && c < 0x7f ? c : '?');
  return NULL;
}

/* Parses the whole text: one value, and nothing after it. */
static json_t *parse_document(parser *ps) {
  j5_skip_space(ps);
  path_check(ps, ps->line, j5_column(ps));
  json_t *root = parse_value(ps);
  j5_skip_space(ps);
  if (!ps->failed && ps->p < ps->end)
    fail(ps, "end of file expected");
  if (ps->failed) {
    json_decref(root);
    return NULL;
  }
  return root;
}

json_t *fern__json5_parse(const char *text, size_t len,
                          fern__json5_error *err) {
  if (err != NULL)
    memset(err, 0, sizeof *err);
  parser ps = {.p = text, .end = text + len, .line = 1, .line_start = text,
               .err = err};
  return parse_document(&ps);
}

int fern__json_locate(const char *text, size_t len, const char *pointer,
                      int *line, int *col) {
  parser ps = {.p = text, .end = text + len, .line = 1, .line_start = text,
               .target = pointer};
  json_decref(parse_document(&ps));
  *line = ps.found ? ps.found_line : 0;
  *col = ps.found ? ps.found_col : 0;
  return ps.found ? 0 : -1;
}
