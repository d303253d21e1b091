/* url.h - component URLs: parsing, decoding and the safety rules that apply
 * before any resolver sees one. */
#ifndef FERN_CORE_URL_H
#define FERN_CORE_URL_H

#include <fern/fern.h>

typedef enum fern__url_kind {
  FERN_URL_ABSOLUTE,   /* scheme://authority/path#fragment */
  FERN_URL_RELATIVE,   /* #fragment: the parent's own package */
  FERN_URL_SUBPACKAGE  /* name#fragment: a subpackage of the parent's */
} fern__url_kind;

/* A parsed URL. Every string is decoded (%XX) and points into `storage`. */
typedef struct fern__url_s {
  fern__url_kind kind;
  char *scheme;     /* "file"; NULL unless absolute */
  char *authority;  /* "" when absent; NULL unless absolute */
  char *path;       /* "/dir" or ""; NULL unless absolute */
  char *subpackage; /* NULL unless a subpackage URL */
  char *fragment;   /* "meta/x.cm": relative, never empty, never escapes */
  char *storage;
} fern__url;

/* Parses `text`. On error fills `err` and leaves nothing to free. */
int fern__url_parse(const char *text, fern__url *url, fern_error_t *err);
void fern__url_free(fern__url *url);

/* Makes the key a relative URL is cached under: the parent's package URL
 * joined with the relative text. Returns a malloc'd string. */
char *fern__url_relative_key(const char *parent_package_url,
                             const char *relative);

#endif
