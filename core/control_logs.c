/* control_logs.c - the control socket's "logs" command (fern logs):
 *   {"command": "logs", "monikers": ["/a", "/b"], "lines": 50,
 *    "since": 1796280000.5, "stream": "stdout", "follow": true}
 * The lines kept of those components and of what is below them, oldest
 * first; from the log directory when there is one (its files reach back
 * further than memory), read on the thread pool. With "follow" the reply
 * is {"following": true, "lines": [...]}, and every later line that
 * matches comes after it, one JSON object a line, as events do for a
 * follower (a follower too far behind loses lines and is told how many:
 * {"dropped": N}). Loop thread. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control_conn.h"
#include "instance.h"
#include "logbook_disk.h"
#include "manager.h"

/* The most lines one answer holds (about 15 MiB of JSON). */
#define FERN_LOGS_ANSWER_MAX 100000

/* The request's filter; NULL after failing the request. */
static int take_filter(fern__manager *manager, fern__request *request,
                       const json_t *message, fern__log_filter *filter) {
  const json_t *monikers = json_object_get(message, "monikers");
  const json_t *stream = json_object_get(message, "stream");
  const json_t *since = json_object_get(message, "since");
  *filter = (fern__log_filter){.stream = -1};
  if (stream != NULL &&
      (!json_is_string(stream) ||
       (filter->stream = fern__log_stream_of(json_string_value(stream))) < 0)) {
    fern__control_fail(request, "\"stream\" must be \"stdout\", \"stderr\" "
                                "or \"fern\"");
    return -1;
  }
  if (since != NULL) {
    if (!json_is_number(since) || json_number_value(since) < 0) {
      fern__control_fail(request, "\"since\" must be a time in seconds");
      return -1;
    }
    double seconds = json_number_value(since);
    filter->since_us = seconds < 9e12 ? (int64_t)(seconds * 1e6) : INT64_MAX;
  }
  size_t count = json_array_size(monikers), i;
  filter->monikers = calloc(count + 1, sizeof *filter->monikers);
  if (filter->monikers == NULL) {
    fern__control_fail(request, "out of memory");
    return -1;
  }
  const json_t *m;
  json_array_foreach(monikers, i, m) {
    const char *moniker = json_string_value(m);
    /* A component destroyed since keeps its lines: those count too. */
    if (moniker == NULL ||
        (fern__instance_find(manager->root, moniker) == NULL &&
         fern__strmap_get(&manager->logbook.rings, moniker) == NULL)) {
      fern__control_fail(request, "no component %s, and no lines of one",
                          moniker ? moniker : "(not a string)");
      fern__log_filter_free(filter);
      return -1;
    }
    if ((filter->monikers[i] = strdup(moniker)) == NULL) {
      fern__control_fail(request, "out of memory");
      fern__log_filter_free(filter);
      return -1;
    }
  }
  return 0;
}

static json_t *memory_lines(const fern__logbook *book,
                            const fern__log_filter *filter, size_t max) {
  size_t count = 0;
  const fern__log_line **lines = fern__logbook_select(book, filter, max,
                                                      &count);
  json_t *out = json_array();
  for (size_t i = 0; i < count; i++) {
    size_t len;
    char *json = fern__log_line_json(lines[i], lines[i]->ring->moniker, &len);
    json_array_append_new(out, json ? json_loadb(json, len, 0, NULL)
                                    : json_null());
    free(json);
  }
  free(lines);
  return out;
}

/* The answer, once the lines are in hand. */
static void answer(fern__request *request, json_t *lines, int follow,
                   fern__log_follower *follower, fern__manager *manager) {
  if (!follow) {
    fern__control_reply(request, lines);
    return;
  }
  fern__conn *conn = request->conn;
  if (follower == NULL || conn->log_follower != NULL) {
    if (follower != NULL) {
      fern__log_filter_free(&follower->filter);
      free(follower);
    }
    json_decref(lines);
    fern__control_fail(request, follower == NULL
                                    ? "out of memory"
                                    : "this connection follows already");
    return;
  }
  if (!conn->closed) {
    conn->log_follower = follower;
    fern__logbook_follow(&manager->logbook, follower);
  } else {
    fern__log_filter_free(&follower->filter);
    free(follower);
  }
  fern__control_reply(request, json_pack("{s:b, s:o}", "following", 1,
                                         "lines", lines));
}

typedef struct disk_read_s {
  uv_work_t work;
  fern__manager *manager;
  fern__request *request;
  fern__log_filter filter;
  size_t max;
  uint64_t upto_seq;
  int follow;
  json_t *lines;
} disk_read;

static void disk_read_work(uv_work_t *work) {
  disk_read *r = work->data;
  r->lines = fern__logdisk_read(r->manager->logbook.disk, &r->filter, r->max,
                                r->upto_seq);
}

static void disk_read_done(uv_work_t *work, int status) {
  disk_read *r = work->data;
  (void)status;
  json_t *lines = r->lines ? r->lines
                           : memory_lines(&r->manager->logbook, &r->filter,
                                          r->max);
  fern__log_follower *follower = NULL;
  if (r->follow && (follower = calloc(1, sizeof *follower)) != NULL) {
    follower->filter = r->filter;
    r->filter.monikers = NULL;
    follower->sink.send = fern__conn_send_log;
    follower->owner = r->request->conn;
  }
  answer(r->request, lines, r->follow, follower, r->manager);
  fern__log_filter_free(&r->filter);
  free(r);
}

void fern__control_logs(fern__manager *manager, fern__request *request,
                        const json_t *message) {
  fern__log_filter filter;
  if (take_filter(manager, request, message, &filter) != 0)
    return;
  const json_t *lines = json_object_get(message, "lines");
  size_t max = json_is_integer(lines) && json_integer_value(lines) > 0
                   ? (size_t)json_integer_value(lines)
                   : FERN_LOGS_ANSWER_MAX;
  /* One answer holds at most this many: it must fit the control socket's
   * budget (control_conn.h), and the files read back stay near it. */
  max = max < FERN_LOGS_ANSWER_MAX ? max : FERN_LOGS_ANSWER_MAX;
  int follow = json_is_true(json_object_get(message, "follow"));
  disk_read *r = calloc(1, sizeof *r);
  if (r == NULL) {
    fern__log_filter_free(&filter);
    fern__control_fail(request, "out of memory");
    return;
  }
  *r = (disk_read){.manager = manager, .request = request, .filter = filter,
                   .max = max, .upto_seq = manager->logbook.seq,
                   .follow = follow};
  r->work.data = r;
  /* A follower's first lines come from memory, at once: lines that came
   * while files were read would miss it. */
  if (!follow && manager->logbook.disk != NULL &&
      uv_queue_work(&manager->loop, &r->work, disk_read_work,
                    disk_read_done) == 0)
    return;
  disk_read_done(&r->work, 0);
}
