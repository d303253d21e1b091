/* logbook_disk.h - every line of the book also in a file per component,
 * with `logs.dir` in the configuration: DIR/NAME.log, NAME the moniker
 * with '%' and '/' written %25 and %2F, one JSON object a line (as `fern
 * logs --json` prints them). A file that would pass `file_bytes` is
 * rotated first (NAME.log.1 is the one before, up to NAME.log.(files-1);
 * the oldest goes), as logrotate's `rotate` does.
 *
 * A thread of its own writes: the loop only queues. A queue past
 * FERN_LOGDISK_QUEUE bytes drops lines (counted); a directory that cannot
 * be written (gone, read-only, full) is reported once, and again only
 * after it could be written in between; nothing of it stops a component
 * or fern. */
#ifndef FERN_CORE_LOGBOOK_DISK_H
#define FERN_CORE_LOGBOOK_DISK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "logbook.h"

#define FERN_LOGDISK_QUEUE (8u * 1024 * 1024)
#define FERN_LOGDISK_FILE_BYTES (1024u * 1024)
#define FERN_LOGDISK_FILES 4

typedef struct fern__logdisk_s fern__logdisk;

/* Starts the writer for `dir` (which must exist); NULL with `err` set. */
fern__logdisk *fern__logdisk_open(const char *dir, size_t file_bytes,
                                  int files, fern_error_t *err);
/* Loop thread: queues the line. */
void fern__logdisk_put(fern__logdisk *disk, const fern__log_line *line,
                       const char *moniker);
/* Writes what is queued (waiting 2 s at most) and stops the writer. */
void fern__logdisk_close(fern__logdisk *disk);

/* Any thread (the pool's): waits (2 s at most) until every line up to
 * `upto_seq` was written, then reads the files of the components `filter`
 * wants; returns the last `max` (0: all) of the lines it wants, oldest
 * first, as an array of objects, or NULL when the files miss lines the
 * book kept (a drop, a failed write): the book alone answers then. */
json_t *fern__logdisk_read(fern__logdisk *disk, const fern__log_filter *filter,
                           size_t max, uint64_t upto_seq);

/* The file name of `moniker`'s lines ("%2Fa%2Fb.log"), and back. */
void fern__logdisk_name(const char *moniker, char *out, size_t size);
int fern__logdisk_moniker(const char *name, char *out, size_t size);

#endif
