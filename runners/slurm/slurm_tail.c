/* slurm_tail.c - a batch job's output files, followed while it runs and
 * read to the end when it is over. They may sit on a network file system,
 * so they are read on the thread pool, never on the loop; host->output may
 * be called from any thread. A read takes no more than fern's log has room
 * for (host->output_room, asked on the loop before it): a file waits, where
 * the log would drop lines; the rest is read on a later poll. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "slurm.h"

typedef struct tail_work_s {
  uv_work_t work;
  slurm_run *run;
  int final;
  size_t budget; /* bytes the log has room for */
  int more;      /* the budget ran out before a file's end */
  slurm_tail_done done;
} tail_work;

static void forward(slurm_run *run, int stream, const char *line, size_t len) {
  run->runner->host->output(run->runner->host->ctx, run->moniker, stream, line, len);
}

static void take(slurm_run *run, slurm_tail *t, int stream, const char *data,
                 size_t n) {
  size_t start = 0;
  for (size_t i = 0; i < n; i++) {
    if (data[i] != '\n')
      continue;
    if (t->partial_len > 0) {
      char *joined = realloc(t->partial, t->partial_len + i - start);
      if (joined != NULL) {
        memcpy(joined + t->partial_len, data + start, i - start);
        t->partial = joined;
        forward(run, stream, joined, t->partial_len + i - start);
      }
      t->partial_len = 0;
    } else {
      forward(run, stream, data + start, i - start);
    }
    start = i + 1;
  }
  if (start < n) {
    char *grown = realloc(t->partial, t->partial_len + n - start);
    if (grown != NULL) {
      memcpy(grown + t->partial_len, data + start, n - start);
      t->partial = grown;
      t->partial_len += n - start;
    }
  }
}

/* Reads what the file gained, up to `*budget` bytes; 1 if it reached its
 * end. */
static int read_new(slurm_run *run, slurm_tail *t, int stream, int final,
                    size_t *budget) {
  int fd = open(t->path, O_RDONLY | O_CLOEXEC);
  ssize_t n = 0;
  if (fd >= 0) {
    char buf[65536];
    while (*budget > 0 &&
           (n = pread(fd, buf, *budget < sizeof buf ? *budget : sizeof buf,
                      (off_t)t->offset)) > 0) {
      take(run, t, stream, buf, (size_t)n);
      t->offset += (uint64_t)n;
      *budget -= (size_t)n;
    }
    close(fd);
  }
  int at_end = n <= 0; /* read to the end (or there is no file) */
  if (final && at_end && t->partial_len > 0) {
    forward(run, stream, t->partial, t->partial_len);
    t->partial_len = 0;
  }
  return at_end;
}

static void tail_files(uv_work_t *work) {
  tail_work *w = work->data;
  int out_done = read_new(w->run, &w->run->out, 1, w->final, &w->budget);
  int err_done = read_new(w->run, &w->run->err, 2, w->final, &w->budget);
  w->more = !out_done || !err_done;
  if (w->final && !w->more) {
    unlink(w->run->out.path);
    unlink(w->run->err.path);
  }
}

static void tailed(uv_work_t *work, int status) {
  (void)status;
  tail_work *w = work->data;
  w->run->tailing = 0;
  w->run->tail_more = w->more;
  w->done(w->run);
  free(w);
}

void slurm_tail_poll(slurm_run *run, int final, slurm_tail_done done) {
  tail_work *w = calloc(1, sizeof *w);
  if (w == NULL || run->out.path[0] == '\0') {
    free(w);
    done(run);
    return;
  }
  w->work.data = w;
  w->run = run;
  w->final = final;
  const fern_host_t *host = run->runner->host;
  size_t room = host->output_room(host->ctx);
  w->budget = room > FERN_OUTPUT_ROOM_LOW ? room - FERN_OUTPUT_ROOM_LOW : 0;
  w->done = done;
  run->tailing = 1;
  if (uv_queue_work(run->runner->host->loop, &w->work, tail_files, tailed) !=
      0) {
    run->tailing = 0;
    free(w);
    done(run);
  }
}

void slurm_tail_free(slurm_tail *tail) {
  free(tail->partial);
  tail->partial = NULL;
  tail->partial_len = 0;
}
