/* url.c - see url.h. Decoding happens before the safety checks, so "%2e%2e"
 * is refused exactly like "..". */
#include "url.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "package_path.h"

static int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = (char)tolower((unsigned char)c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes %XX in place. A bad escape or an encoded NUL is an error. */
static int percent_decode(char *s) {
  char *out = s;
  for (char *in = s; *in; in++) {
    if (*in != '%') {
      *out++ = *in;
      continue;
    }
    int hi = hex_value(in[1]), lo = hi < 0 ? -1 : hex_value(in[2]);
    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
      return -1;
    *out++ = (char)(hi * 16 + lo);
    in += 2;
  }
  *out = '\0';
  return 0;
}

static int scheme_ok(const char *s, size_t n) {
  if (n == 0 || !islower((unsigned char)s[0]))
    return 0;
  for (size_t i = 1; i < n; i++) {
    if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) &&
        strchr("+.-", s[i]) == NULL)
      return 0;
  }
  return 1;
}

static int fragment_check(const char *text, char *fragment,
                          fern_error_t *err) {
  if (fragment == NULL || fragment[0] == '\0')
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "URL \"%s\" names no manifest: expected "
                          "\"#meta/<name>.cm\" at its end",
                          text);
  if (percent_decode(fragment) != 0)
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "URL \"%s\" has a bad %%-escape in its fragment",
                          text);
  fern_error_t why = FERN_ERROR_INIT;
  int rc = fern__relative_path_ok(fragment, &why);
  if (rc != FERN_OK)
    return fern_error_set(err, rc, NULL, "URL \"%s\": manifest path %s", text,
                          why.message);
  return FERN_OK;
}

static int parse_absolute(const char *text, fern__url *url, char *s,
                          char *colon, fern_error_t *err) {
  if (!scheme_ok(s, (size_t)(colon - s)))
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "URL \"%s\": the scheme must be lower-case letters, "
                          "digits, '+', '.' or '-', starting with a letter",
                          text);
  *colon = '\0';
  url->kind = FERN_URL_ABSOLUTE;
  url->scheme = s;
  url->authority = colon + 3;
  char *slash = strchr(url->authority, '/');
  if (slash == NULL) {
    url->path = url->authority + strlen(url->authority);
  } else {
    /* Keep the path's leading '/' by moving the authority one byte left:
     * "file://" leaves room, since the second '/' of "//" is free. */
    size_t alen = (size_t)(slash - url->authority);
    memmove(url->authority - 1, url->authority, alen);
    url->authority -= 1;
    url->authority[alen] = '\0';
    url->path = slash;
  }
  if (percent_decode(url->authority) != 0 || percent_decode(url->path) != 0)
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "URL \"%s\" has a bad %%-escape", text);
  if (strstr(url->path, "/../") != NULL ||
      (strlen(url->path) >= 3 &&
       strcmp(url->path + strlen(url->path) - 3, "/..") == 0) ||
      strchr(url->authority, '/') != NULL)
    return fern_error_set(err, FERN_EACCES, NULL,
                          "URL \"%s\": the path may not contain \"..\"", text);
  return FERN_OK;
}

static int parse_subpackage(const char *text, fern__url *url, char *s,
                            fern_error_t *err) {
  if (percent_decode(s) != 0 || strchr(s, '/') != NULL ||
      strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
    return fern_error_set(err, FERN_EACCES, NULL,
                          "URL \"%s\": a subpackage name is one path segment "
                          "(not \".\", \"..\" or a path)",
                          text);
  url->kind = FERN_URL_SUBPACKAGE;
  url->subpackage = s;
  return FERN_OK;
}

int fern__url_parse(const char *text, fern__url *url, fern_error_t *err) {
  memset(url, 0, sizeof *url);
  if (text == NULL || text[0] == '\0')
    return fern_error_set(err, FERN_EINVAL, NULL, "the URL is empty");
  url->storage = strdup(text);
  if (url->storage == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  char *s = url->storage;
  char *hash = strchr(s, '#');
  if (hash != NULL)
    *hash = '\0';
  url->fragment = hash ? hash + 1 : NULL;
  char *colon = strstr(s, "://");
  int rc;
  if (colon != NULL)
    rc = parse_absolute(text, url, s, colon, err);
  else if (s[0] == '\0')
    rc = (url->kind = FERN_URL_RELATIVE, FERN_OK);
  else if (strchr(s, ':') != NULL)
    rc = fern_error_set(err, FERN_EINVAL, NULL,
                        "URL \"%s\": expected \"scheme://...\"", text);
  else
    rc = parse_subpackage(text, url, s, err);
  if (rc == FERN_OK)
    rc = fragment_check(text, url->fragment, err);
  if (rc != FERN_OK)
    fern__url_free(url);
  return rc;
}

void fern__url_free(fern__url *url) {
  free(url->storage);
  memset(url, 0, sizeof *url);
}

char *fern__url_relative_key(const char *parent_package_url,
                             const char *relative) {
  size_t n = strlen(parent_package_url) + strlen(relative) + 2;
  char *key = malloc(n);
  if (key != NULL)
    snprintf(key, n, "%s%s%s", parent_package_url,
             relative[0] == '#' ? "" : " ", relative);
  return key;
}
