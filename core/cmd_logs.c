/* cmd_logs.c - see cmd_logs.h. The time forms are journalctl's --since
 * ones that need no calendar words (systemd.time(7)): an absolute
 * "YYYY-MM-DD HH:MM:SS" and a relative "-5m". */
#define _XOPEN_SOURCE 700
#include "cmd_logs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "logbook.h"

double fern__logs_parse_time(const char *text, double now) {
  char *end;
  if (text[0] == '-') {
    double n = strtod(text + 1, &end);
    double unit = strcmp(end, "s") == 0 || *end == '\0' ? 1
                  : strcmp(end, "m") == 0               ? 60
                  : strcmp(end, "h") == 0               ? 3600
                  : strcmp(end, "d") == 0               ? 86400
                                                        : -1;
    return end == text + 1 || unit < 0 || n < 0 ? -1 : now - n * unit;
  }
  double seconds = strtod(text, &end);
  if (end != text && *end == '\0')
    return seconds >= 0 ? seconds : -1;
  static const char *const forms[] = {"%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
                                      "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M",
                                      "%Y-%m-%d"};
  for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
    struct tm tm = {0};
    const char *rest = strptime(text, forms[i], &tm);
    if (rest != NULL && *rest == '\0') {
      tm.tm_isdst = -1;
      time_t t = mktime(&tm);
      return t == (time_t)-1 ? -1 : (double)t;
    }
  }
  return -1;
}

json_t *fern__logs_request(const fern__cli *cli) {
  json_t *request = json_object(), *monikers = json_array();
  for (int i = 0; i < cli->arg_count; i++)
    json_array_append_new(monikers, json_string(cli->args[i]));
  json_object_set_new(request, "monikers", monikers);
  if (cli->lines > 0)
    json_object_set_new(request, "lines", json_integer(cli->lines));
  if (cli->follow)
    json_object_set_new(request, "follow", json_true());
  if (cli->stream != NULL) {
    if (fern__log_stream_of(cli->stream) < 0) {
      fprintf(stderr, "fern logs: --stream takes stdout, stderr or fern, not "
                      "\"%s\"\n", cli->stream);
      json_decref(request);
      return NULL;
    }
    json_object_set_new(request, "stream", json_string(cli->stream));
  }
  if (cli->since != NULL) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double since = fern__logs_parse_time(cli->since,
                                         (double)ts.tv_sec + ts.tv_nsec / 1e9);
    if (since < 0) {
      fprintf(stderr, "fern logs: --since \"%s\" is not a time (seconds since "
                      "1970, -10s, -5m, -2h, -1d, or YYYY-MM-DD HH:MM[:SS])\n",
              cli->since);
      json_decref(request);
      return NULL;
    }
    json_object_set_new(request, "since", json_real(since));
  }
  return request;
}

void fern__logs_print_line(const json_t *line) {
  const json_t *dropped = json_object_get(line, "dropped");
  if (dropped != NULL) {
    printf("(%lld lines dropped: this reader was too slow)\n",
           (long long)json_integer_value(dropped));
    return;
  }
  double when = json_number_value(json_object_get(line, "time"));
  time_t t = (time_t)when;
  struct tm tm;
  localtime_r(&t, &tm);
  char day[32];
  strftime(day, sizeof day, "%Y-%m-%d %H:%M:%S", &tm);
  printf("%s.%03d %s %s: %s%s\n", day, (int)((when - (double)t) * 1000),
         json_string_value(json_object_get(line, "moniker")),
         json_string_value(json_object_get(line, "stream")),
         json_string_value(json_object_get(line, "text")),
         json_is_true(json_object_get(line, "cut")) ? " [line cut]" : "");
}

void fern__logs_print(const fern__cli *cli, const json_t *result) {
  (void)cli;
  const json_t *lines =
      json_is_array(result) ? result : json_object_get(result, "lines");
  size_t i;
  const json_t *line;
  json_array_foreach(lines, i, line) fern__logs_print_line(line);
  fflush(stdout);
}
