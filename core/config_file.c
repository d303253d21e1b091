/* config_file.c - see config_file.h. The file is
 * SERVE_DIR/config<N>.json, N the instance's namespace number, written to
 * a temporary name and renamed, so that a program never reads half of
 * one. */
#include "config_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "manager.h"
#include "serve.h"

/* One line of JSON, keys sorted, as docs/config.md shows it. */
static int dump(const json_t *config, const char *path) {
  char *text = json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS);
  FILE *f = text != NULL ? fopen(path, "we") : NULL;
  int ok = f != NULL && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
  if (f != NULL && fclose(f) != 0)
    ok = 0;
  free(text);
  if (text == NULL)
    errno = ENOMEM;
  return ok ? 0 : -1;
}

static void file_name(const fern__instance *i, char *path, size_t size) {
  snprintf(path, size, "%s/config%llu.json", i->manager->serve_dir,
           (unsigned long long)i->namespace_seq);
}

int fern__config_file_write(fern__instance *i, char *path, size_t size,
                            fern_error_t *err) {
  if (fern__serve_dir(i->manager, err) != FERN_OK)
    return FERN_EIO;
  if (i->namespace_seq == 0)
    i->namespace_seq = ++i->manager->serve_seq;
  file_name(i, path, size);
  char temporary[4200];
  snprintf(temporary, sizeof temporary, "%s.new", path);
  if (dump(i->config, temporary) != 0 || rename(temporary, path) != 0) {
    int saved = errno;
    unlink(temporary);
    return fern_error_set(err, FERN_EIO, NULL,
                          "cannot write the configuration file %s: %s", path,
                          strerror(saved));
  }
  return FERN_OK;
}

void fern__config_file_remove(fern__instance *i) {
  if (i->namespace_seq == 0 || i->manager->serve_dir[0] == '\0')
    return;
  char path[4200];
  file_name(i, path, sizeof path);
  if (unlink(path) != 0 && errno != ENOENT)
    fern__log(FERN_LOG_WARN, i->moniker, "cannot remove %s: %s", path,
              strerror(errno));
}
