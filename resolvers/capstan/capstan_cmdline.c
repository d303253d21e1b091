/* capstan_cmdline.c - see capstan_cmdline.h. The grammar is OSv's
 * (core/commands.cc): quoted_string is '"' (escape | any but '"')* '"';
 * a bare word is (escape | any but ' ', ';', '&', '!')+; words are
 * separated by spaces; a command ends at ';', "&!", '&', '!' or the end. */
#include "capstan_cmdline.h"

#include <stdlib.h>
#include <string.h>

typedef struct word_s {
  char *text;
  size_t len, cap;
} word;

static int word_add(word *w, char c) {
  if (w->len + 2 > w->cap) {
    size_t cap = w->cap ? w->cap * 2 : 32;
    char *text = realloc(w->text, cap);
    if (text == NULL)
      return -1;
    w->text = text;
    w->cap = cap;
  }
  w->text[w->len++] = c;
  w->text[w->len] = '\0';
  return 0;
}

/* The character an escape `\c` stands for, or 0 when `c` makes none (the
 * backslash is then itself). commands.cc's unesc_char. */
static char unescaped(char c) {
  static const char from[] = "abfnrtv\\'\"";
  static const char to[] = "\a\b\f\n\r\t\v\\'\"";
  const char *at = c != '\0' ? strchr(from, c) : NULL;
  return at != NULL ? to[at - from] : 0;
}

/* Adds the character at *p (an escape counts as one) and moves past it. */
static int take_char(const char **p, word *w) {
  char c = (*p)[0] == '\\' ? unescaped((*p)[1]) : 0;
  if (c != 0) {
    *p += 2;
    return word_add(w, c);
  }
  return word_add(w, *(*p)++);
}

/* A quoted word from the '"' at `p`: where it ends, or NULL when it is
 * never closed (then it is no quoted word). */
static const char *quoted(const char *p, word *w, int *nomem) {
  for (p++; *p != '\0' && *p != '"';)
    if (take_char(&p, w) != 0)
      *nomem = 1;
  return *p == '"' ? p + 1 : NULL;
}

static int is_ender(char c) { return c == ';' || c == '&' || c == '!'; }

/* What the grammar's skipper passes between words: only ' ' ends a bare
 * word, but any blank is skipped before one. */
static int is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static const char *bare(const char *p, word *w, int *nomem) {
  while (*p != '\0' && *p != ' ' && !is_ender(*p))
    if (take_char(&p, w) != 0)
      *nomem = 1;
  return p;
}

/* The ender at `p` ("" at the end of the line) and where the next command
 * begins. */
static const char *ender(const char *p, const char **then) {
  if (*p == '\0') {
    *then = "";
    return p;
  }
  if (p[0] == '&' && p[1] == '!') {
    *then = "&!";
    return p + 2;
  }
  *then = *p == ';' ? ";" : *p == '&' ? "&" : "!";
  return p + 1;
}

/* One command from `p`: its words into `argv`; returns where it ended
 * (at its ender or the line's end). */
static const char *one_command(const char *p, json_t *argv, int *nomem) {
  for (;;) {
    while (is_blank(*p))
      p++;
    if (*p == '\0' || is_ender(*p))
      return p;
    word w = {0};
    const char *end = *p == '"' ? quoted(p, &w, nomem) : NULL;
    if (end == NULL) { /* bare, or a quote never closed */
      w.len = 0;
      if (w.text != NULL)
        w.text[0] = '\0';
      end = bare(p, &w, nomem);
    }
    if (json_array_append_new(argv, json_string(w.text ? w.text : "")) != 0)
      *nomem = 1;
    free(w.text);
    p = end;
  }
}

/* The commands of one line, appended to `commands`. A line of blanks
 * and ';' only is nothing, as OSv's parser gives nothing for it. */
static int parse_line(const char *cmd, const char *line, json_t *commands,
                      fern_error_t *err) {
  int nomem = 0;
  if (line[strspn(line, " \t\r\v\f;")] == '\0')
    return FERN_OK;
  for (const char *p = line; !nomem;) {
    json_t *argv = json_array();
    const char *then;
    p = ender(one_command(p, argv, &nomem), &then);
    if (json_array_size(argv) == 0) {
      json_decref(argv);
      if (then[0] == '\0' && json_array_size(commands) > 0)
        return FERN_OK; /* "a;" ends as "a" does */
      if (then[0] == '\0')
        break;
      return fern_error_set(err, FERN_EINVAL, NULL,
                            "bootcmd \"%s\": an empty command before '%s', "
                            "where OSv's parser stops and drops the rest",
                            cmd, then);
    }
    if (json_array_append_new(commands, json_pack("{s:o, s:s}", "argv", argv,
                                                  "then", then)) != 0)
      nomem = 1;
    if (then[0] == '\0')
      break;
  }
  return nomem ? fern_error_set(err, FERN_ENOMEM, NULL, "out of memory")
               : FERN_OK;
}

int capstan_cmdline_parse(const char *cmd, json_t **commands,
                          fern_error_t *err) {
  *commands = json_array();
  char *copy = strdup(cmd);
  if (*commands == NULL || copy == NULL) {
    free(copy);
    json_decref(*commands);
    *commands = NULL;
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  }
  int rc = FERN_OK;
  char *save = NULL;
  for (char *line = strtok_r(copy, "\n", &save); line != NULL && rc == FERN_OK;
       line = strtok_r(NULL, "\n", &save))
    rc = parse_line(cmd, line, *commands, err);
  free(copy);
  if (rc == FERN_OK && json_array_size(*commands) == 0)
    rc = fern_error_set(err, FERN_EINVAL, NULL,
                        "bootcmd \"%s\" names no program", cmd);
  if (rc != FERN_OK) {
    json_decref(*commands);
    *commands = NULL;
  }
  return rc;
}
