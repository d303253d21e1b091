/* cmd_top.c - see cmd_top.h. fern top asks for fern list --wide every
 * DELAY seconds and shows the running components sorted by their share
 * of a CPU since the refresh before (as top's %CPU: CPU time over wall
 * time) or by their memory, the screen cleared first when stdout is a
 * terminal. */
#include "cmd_top.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double number(const json_t *cost, const char *key) {
  return json_number_value(json_object_get(cost, key));
}

static void mib(double bytes, char *out, size_t size) {
  snprintf(out, size, "%.1f MiB", bytes / (1024.0 * 1024.0));
}

void fern__cost_text(const json_t *cost, char *out, size_t size) {
  const char *unknown = json_string_value(json_object_get(cost, "unknown"));
  if (unknown != NULL) {
    snprintf(out, size, "unknown: %s", unknown);
    return;
  }
  size_t n = 0;
  char a[32], b[32];
  if (json_object_get(cost, "cpu_s") != NULL)
    n += (size_t)snprintf(out + n, size - n, "%.2f s CPU",
                          number(cost, "cpu_s"));
  if (json_object_get(cost, "memory_bytes") != NULL && n < size) {
    mib(number(cost, "memory_bytes"), a, sizeof a);
    mib(number(cost, "peak_memory_bytes"), b, sizeof b);
    n += (size_t)snprintf(out + n, size - n, "%s%s (peak %s)", n ? ", " : "",
                          a, b);
  }
  if (json_object_get(cost, "processes") != NULL && n < size)
    n += (size_t)snprintf(out + n, size - n, "%s%lld process%s", n ? ", " : "",
                          (long long)number(cost, "processes"),
                          number(cost, "processes") == 1 ? "" : "es");
  if (json_object_get(cost, "source") != NULL && n < size)
    snprintf(out + n, size - n, " (from %s)",
             json_string_value(json_object_get(cost, "source")));
}

void fern__print_costs(const json_t *rows, const json_t *cpu_share) {
  printf("%-9s %9s %7s %10s %10s %5s  %s\n", "STATE", "CPU", "CPU%", "MEMORY",
         "PEAK", "PROCS", "MONIKER");
  size_t i;
  const json_t *row;
  json_array_foreach(rows, i, row) {
    const json_t *cost = json_object_get(row, "cost");
    const char *moniker = json_string_value(json_object_get(row, "moniker"));
    char cpu[16] = "-", share[16] = "-", now[16] = "-", peak[16] = "-",
         procs[16] = "-";
    if (json_object_get(cost, "cpu_s") != NULL)
      snprintf(cpu, sizeof cpu, "%.2fs", number(cost, "cpu_s"));
    const json_t *s = cpu_share ? json_object_get(cpu_share, moniker) : NULL;
    if (s != NULL)
      snprintf(share, sizeof share, "%.1f", json_number_value(s) * 100);
    if (json_object_get(cost, "memory_bytes") != NULL) {
      mib(number(cost, "memory_bytes"), now, sizeof now);
      mib(number(cost, "peak_memory_bytes"), peak, sizeof peak);
    }
    if (json_object_get(cost, "processes") != NULL)
      snprintf(procs, sizeof procs, "%lld",
               (long long)number(cost, "processes"));
    printf("%-9s %9s %7s %10s %10s %5s  %s\n",
           json_string_value(json_object_get(row, "state")), cpu, share, now,
           peak, procs, moniker);
  }
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Each running row's share of a CPU since `before` (moniker -> cpu_s,
 * taken `elapsed` seconds ago), into `share`; `before` becomes now's. */
static void shares(const json_t *rows, json_t *before, double elapsed,
                   json_t *share) {
  size_t i;
  const json_t *row;
  json_array_foreach(rows, i, row) {
    const char *moniker = json_string_value(json_object_get(row, "moniker"));
    const json_t *cpu = json_object_get(json_object_get(row, "cost"), "cpu_s");
    if (cpu == NULL)
      continue;
    const json_t *was = json_object_get(before, moniker);
    if (was != NULL && elapsed > 0)
      json_object_set_new(
          share, moniker,
          json_real(json_number_value(cpu) > json_number_value(was)
                        ? (json_number_value(cpu) - json_number_value(was)) /
                              elapsed
                        : 0));
    json_object_set_new(before, moniker, json_real(json_number_value(cpu)));
  }
}

static const char *sort_key;
static const json_t *sort_share;

static double sort_value(const json_t *row) {
  const json_t *cost = json_object_get(row, "cost");
  if (strcmp(sort_key, "memory") == 0)
    return number(cost, "memory_bytes");
  const json_t *s = json_object_get(
      sort_share, json_string_value(json_object_get(row, "moniker")));
  return s ? json_number_value(s) : number(cost, "cpu_s") * 1e-9;
}

static int by_cost(const void *a, const void *b) {
  double x = sort_value(*(json_t *const *)a), y = sort_value(*(json_t *const *)b);
  return (x < y) - (x > y); /* the most first */
}

/* The running rows, sorted. */
static json_t *running_sorted(const json_t *rows, const json_t *share,
                              const char *key) {
  size_t n = 0, i;
  const json_t *row;
  json_t **kept = calloc(json_array_size(rows) + 1, sizeof *kept);
  json_array_foreach(rows, i, row) {
    if (kept != NULL && json_is_object(json_object_get(row, "cost")))
      kept[n++] = (json_t *)row;
  }
  sort_key = key;
  sort_share = share;
  if (kept != NULL)
    qsort(kept, n, sizeof *kept, by_cost);
  json_t *out = json_array();
  for (i = 0; i < n; i++)
    json_array_append(out, kept[i]);
  free(kept);
  return out;
}

int fern__cmd_top(int argc, char **argv) {
  fern__cli cli = {.command = "top",
                   .usage = "fern top [OPTIONS]",
                   .summary = "Shows the running components, sorted by their "
                              "share of a CPU or by their\nmemory, refreshed "
                              "every few seconds, for a person at a terminal.",
                   .control_allowed = 1,
                   .top_allowed = 1};
  int status = fern__cli_parse(&cli, argc, argv);
  if (status >= 0 || cli.arg_count > 0) {
    if (status < 0)
      fprintf(stderr, "usage: %s\n", cli.usage);
    fern__cli_free(&cli);
    return status >= 0 ? status : 2;
  }
  const char *key = cli.sort ? cli.sort : "cpu";
  double delay = cli.delay > 0 ? cli.delay : 2.0, then = 0;
  json_t *before = json_object();
  int clear = isatty(STDOUT_FILENO);
  for (long round = 0; cli.lines == 0 || round < cli.lines; round++) {
    if (round > 0) {
      struct timespec wait = {(time_t)delay,
                              (long)((delay - (double)(time_t)delay) * 1e9)};
      nanosleep(&wait, NULL); /* the refresh a person asked for */
    }
    json_t *rows = fern__ctl_fetch(&cli, "list",
                                   json_pack("{s:b}", "wide", 1));
    if (rows == NULL) {
      status = 1;
      break;
    }
    double t = now_s();
    json_t *share = json_object();
    shares(rows, before, round > 0 ? t - then : 0, share);
    then = t;
    json_t *sorted = running_sorted(rows, share, key);
    if (clear)
      fputs("\033[H\033[2J", stdout);
    printf("fern top: %zu running, sorted by %s, every %.1f s\n",
           json_array_size(sorted), key, delay);
    fern__print_costs(sorted, share);
    fflush(stdout);
    json_decref(sorted);
    json_decref(share);
    json_decref(rows);
    status = 0;
  }
  json_decref(before);
  fern__cli_free(&cli);
  return status;
}
