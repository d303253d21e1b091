/* config_file.h - a component's structured configuration as the file
 * its runner hands on (fern_start_info_t.config_path). Loop thread. */
#ifndef FERN_CORE_CONFIG_FILE_H
#define FERN_CORE_CONFIG_FILE_H

#include <stddef.h>

#include "instance.h"

/* Writes `i->config` to its file, in fern's protocol directory beside
 * its namespace directory, anew at each start (the values of its last
 * resolution); FERN_OK with the path in `path`, or an error. */
int fern__config_file_write(fern__instance *i, char *path, size_t size,
                            fern_error_t *err);
/* Removes its file, if it has one; when it leaves the tree. */
void fern__config_file_remove(fern__instance *i);

#endif
