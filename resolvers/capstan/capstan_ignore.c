/* capstan_ignore.c - see capstan_ignore.h. */
#include "capstan_ignore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* core/capstanignore.go's CAPSTANIGNORE_ALWAYS. */
static const char *const always[] = {"/meta/*",        "/mpm-pkg",
                                     "/.git",          "/.capstanignore",
                                     "/.gitignore",    "/volumes",
                                     NULL};

/* Replaces every `from` in `s` (of room `size`) with `to`. */
static void replace_all(char *s, size_t size, const char *from,
                        const char *to) {
  char out[4096];
  size_t n = 0, flen = strlen(from), tlen = strlen(to);
  for (const char *p = s; *p && n + tlen + 1 < sizeof out;)
    if (strncmp(p, from, flen) == 0) {
      memcpy(out + n, to, tlen);
      n += tlen;
      p += flen;
    } else {
      out[n++] = *p++;
    }
  out[n] = '\0';
  snprintf(s, size, "%s", out);
}

/* transformCapstanignoreToRegex, in its order: two stars between slashes
 * and a trailing slash-star are marked first, then stars and dots are
 * translated, then the marks. (\1 and \2 stand for Capstan's
 * "{two-stars}" and "{all-beneath}".) */
static void to_regex(const char *pattern, char *out, size_t size) {
  char s[4096];
  snprintf(s, sizeof s, "%s", pattern);
  replace_all(s, sizeof s, "/**/", "\1");
  size_t len = strlen(s);
  if (len >= 2 && strcmp(s + len - 2, "/*") == 0)
    snprintf(s + len - 2, sizeof s - (len - 2), "\2");
  if (s[0] != '^') {
    char anchored[4096];
    snprintf(anchored, sizeof anchored, "^%s", s);
    snprintf(s, sizeof s, "%s", anchored);
  }
  replace_all(s, sizeof s, "*", "[^/]*");
  replace_all(s, sizeof s, ".", "\\.");
  /* A brace is a literal to Go's RE2 unless it makes a repeat, and an
   * error to POSIX regcomp: fern takes it as the literal. */
  replace_all(s, sizeof s, "{", "\\{");
  replace_all(s, sizeof s, "}", "\\}");
  replace_all(s, sizeof s, "\1", ".*");
  replace_all(s, sizeof s, "\2", "/.*");
  len = strlen(s);
  if (len == 0 || s[len - 1] != '$')
    snprintf(s + len, sizeof s - len, "$");
  snprintf(out, size, "%s", s);
}

static int add(capstan_ignore *ig, const char *pattern, const char *file,
               size_t line, fern_error_t *err) {
  if (strcmp(pattern, "/meta") == 0)
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "%s:%zu: please remove '/meta' from "
                          ".capstanignore",
                          file, line);
  regex_t *grown = realloc(ig->patterns, (ig->count + 1) * sizeof *grown);
  if (grown == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  ig->patterns = grown;
  char regex[4096];
  to_regex(pattern, regex, sizeof regex);
  if (regcomp(&ig->patterns[ig->count], regex, REG_EXTENDED | REG_NOSUB) != 0)
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "%s:%zu: failed to parse .capstanignore: \"%s\" is "
                          "not a pattern",
                          file, line, pattern);
  ig->count++;
  return FERN_OK;
}

static char *trim(char *s) {
  while (*s == ' ' || *s == '\t')
    s++;
  size_t n = strlen(s);
  while (n > 0 && strchr(" \t\r\n", s[n - 1]) != NULL)
    s[--n] = '\0';
  return s;
}

int capstan_ignore_load(const fern_host_t *host, const char *dir,
                        capstan_ignore *out, fern_error_t *err) {
  memset(out, 0, sizeof *out);
  char path[4200];
  fern_error_t why = FERN_ERROR_INIT;
  /* As the host checks any file of a package: inside it, a regular file
   * (a link out of the package is refused, not read). */
  int fd = host->package_open(host->ctx, dir, ".capstanignore", path,
                              sizeof path, &why);
  if (fd < 0 && fd != FERN_ENOENT)
    return fern_error_set(err, fd, NULL, ".capstanignore: %s", why.message);
  FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
  if (fd >= 0 && f == NULL)
    close(fd);
  int rc = FERN_OK;
  char *text = NULL;
  size_t room = 0;
  for (size_t line = 1;
       f != NULL && rc == FERN_OK && getline(&text, &room, f) >= 0; line++) {
    char *pattern = trim(text);
    if (strlen(pattern) > CAPSTAN_IGNORE_PATTERN_MAX)
      rc = fern_error_set(err, FERN_EINVAL, NULL,
                          "%s:%zu: a pattern longer than %d bytes", path,
                          line, CAPSTAN_IGNORE_PATTERN_MAX);
    else if (pattern[0] != '\0' && pattern[0] != '#')
      rc = add(out, pattern, path, line, err);
  }
  free(text);
  if (f != NULL)
    fclose(f);
  for (int i = 0; rc == FERN_OK && always[i] != NULL; i++)
    rc = add(out, always[i], "(Capstan's own)", 0, err);
  if (rc != FERN_OK)
    capstan_ignore_free(out);
  return rc;
}

int capstan_ignore_match(const capstan_ignore *ignore, const char *path) {
  for (size_t i = 0; i < ignore->count; i++)
    if (regexec(&ignore->patterns[i], path, 0, NULL, 0) == 0)
      return 1;
  return 0;
}

void capstan_ignore_free(capstan_ignore *ignore) {
  for (size_t i = 0; i < ignore->count; i++)
    regfree(&ignore->patterns[i]);
  free(ignore->patterns);
  memset(ignore, 0, sizeof *ignore);
}
