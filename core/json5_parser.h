/* json5_parser.h - what the JSON5 reader's two halves share (json5.c:
 * values, objects, arrays and the walk's JSON pointer; json5_lex.c: the
 * spec's lexical grammar, whitespace, comments, strings, names and
 * numbers). Internal to them. */
#ifndef FERN_CORE_JSON5_PARSER_H
#define FERN_CORE_JSON5_PARSER_H

#include <jansson.h>
#include <stddef.h>

#include "json5.h"

typedef struct parser_s {
  const char *p, *end;
  int line;
  const char *line_start;
  int depth;
  fern__json5_error *err;
  int failed;
  /* fern__json_locate: the pointer sought, the one where the walk is
   * (levels past the buffer are counted in `too_long`), and where the
   * sought one stands */
  const char *target;
  char path[1024];
  size_t path_len;
  int too_long;
  int found, found_line, found_col;
} parser;

/* A string being read. */
typedef struct text_buf_s {
  char *s;
  size_t len, cap;
} text_buf;

void j5_fail_at(parser *ps, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The byte column of where the parser stands. */
int j5_column(const parser *ps);
#define fail(ps, ...) j5_fail_at((ps), (ps)->line, j5_column(ps), __VA_ARGS__)
/* Whether the byte `ahead` of where it stands is `byte`. */
int j5_at(const parser *ps, size_t ahead, unsigned char byte);
/* Skips whitespace, line ends and comments. */
void j5_skip_space(parser *ps);
/* The length of the well-formed UTF-8 character there, or 0. */
size_t j5_utf8_len(const parser *ps);
/* A string in ' or " (there), its bytes into `b`. */
void j5_read_string(parser *ps, text_buf *b);
/* A name without quotes, its bytes into `b`. */
void j5_read_name(parser *ps, text_buf *b);
int j5_starts_name(const parser *ps);
/* true, false, null (or the failure, naming the word). */
json_t *j5_parse_word(parser *ps);
json_t *j5_parse_number(parser *ps);
/* Input text for a message: cut at a character, undecodable bytes '?'. */
const char *j5_shown(const char *s, size_t n, char *out, size_t size);

#endif
