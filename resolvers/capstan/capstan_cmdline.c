/* capstan_cmdline.c - see capstan_cmdline.h. */
#include "capstan_cmdline.h"

#include <stdlib.h>
#include <string.h>

typedef struct word_s {
  char *text;
  size_t len, cap;
  int started; /* "" is a word too */
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
  w->started = 1;
  return 0;
}

static int word_end(word *w, json_t *argv) {
  if (!w->started)
    return 0;
  int rc = json_array_append_new(argv, json_string(w->text ? w->text : ""));
  w->len = 0;
  w->started = 0;
  if (w->text != NULL)
    w->text[0] = '\0';
  return rc;
}

/* Reads a quoted run starting after its opening quote; returns where it
 * ended (after the closing quote) or NULL if it never closed. */
static const char *quoted(const char *p, char quote, word *w, int *nomem) {
  w->started = 1;
  for (; *p != '\0' && *p != quote; p++) {
    if (quote == '"' && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
      p++;
    if (word_add(w, *p) != 0)
      *nomem = 1;
  }
  return *p == quote ? p + 1 : NULL;
}

static int refuse(const char *cmd, char c, fern_error_t *err) {
  return fern_error_set(err, FERN_EINVAL, NULL,
                        "bootcmd \"%s\": '%c' is shell or OSv loader syntax; "
                        "fern runs one program per config set (quote the "
                        "character to pass it, or choose several config sets "
                        "with --boot)",
                        cmd, c);
}

static int split(const char *cmd, json_t *argv, word *w, fern_error_t *err) {
  int nomem = 0;
  for (const char *p = cmd; *p != '\0' && !nomem;) {
    if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
      nomem = word_end(w, argv) != 0;
      p++;
    } else if (*p == '\'' || *p == '"') {
      p = quoted(p + 1, *p, w, &nomem);
      if (p == NULL)
        return fern_error_set(err, FERN_EINVAL, NULL,
                              "bootcmd \"%s\": a quote is never closed", cmd);
    } else if (strchr(";&|<>`$", *p) != NULL) {
      return refuse(cmd, *p, err);
    } else {
      if (*p == '\\' && p[1] != '\0')
        p++;
      nomem = word_add(w, *p++) != 0;
    }
  }
  if (nomem || word_end(w, argv) != 0)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  return FERN_OK;
}

int capstan_cmdline_split(const char *cmd, json_t **argv, fern_error_t *err) {
  *argv = json_array();
  if (*argv == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  word w = {0};
  int rc = split(cmd, *argv, &w, err);
  free(w.text);
  const char *first = json_string_value(json_array_get(*argv, 0));
  if (rc == FERN_OK && (first == NULL || first[0] == '\0'))
    rc = fern_error_set(err, FERN_EINVAL, NULL,
                        "bootcmd \"%s\" names no program", cmd);
  else if (rc == FERN_OK && strncmp(first, "--", 2) == 0)
    rc = fern_error_set(err, FERN_EINVAL, NULL,
                        "bootcmd \"%s\": \"%s\" is an OSv loader option; fern "
                        "takes the program's environment from the config "
                        "set's env",
                        cmd, first);
  if (rc != FERN_OK) {
    json_decref(*argv);
    *argv = NULL;
  }
  return rc;
}
