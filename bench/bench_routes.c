/* bench_routes.c - what capability routing costs and saves:
 *
 *   - a stop in dependency order: 50 siblings that each take 200 ms to exit
 *     after SIGTERM, against the same 50 signalled at once and reaped by a
 *     C loop (stopped concurrently, fern should take about 200 ms too);
 *     and a chain of 10 such components, each offered to the next, against
 *     the C loop stopping 10 one at a time (about 2 s: the chain's order
 *     is the point);
 *   - the first connection to a lazy provider, connect to first answer,
 *     against a connection to it running: what fern's activation adds
 *     (the provider's start: the watch firing, the lifecycle, the spawn);
 *   - a stream over the socket fern handed over, against the same stream
 *     over a plain Unix socket: fern carries no byte, so equal. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define SLOW_MS "200"
#define SLOW_SIBLINGS 50
#define CHAIN 10
#define STREAM_BYTES (256L << 20)

static const char *const quiet = "\"forward_stdout_to\": \"none\", "
                                 "\"forward_stderr_to\": \"none\"";

/* meta/slow.cm: tiny taking 200 ms to stop, serving protocol "p". */
static int write_slow(const bench_env *env) {
  char text[512];
  snprintf(text, sizeof text,
           "{\"program\": {\"runner\": \"elf\", \"binary\": \"bin/tiny\", "
           "\"environ\": [\"TINY_TERM_MS=" SLOW_MS "\"], \"lifecycle\": "
           "{\"ready_event\": \"notify\"}, %s},\n"
           " \"capabilities\": [{\"protocol\": \"p\"}],\n"
           " \"expose\": [{\"protocol\": \"p\", \"from\": \"self\"}]}\n",
           quiet);
  return bench_write(env, "meta/slow.cm", text);
}

/* meta/NAME.cm: n eager children of slow.cm; `chained`: each offered "p"
 * by the one before, so each depends on the one before. */
static int write_slow_tree(const bench_env *env, const char *name, int n,
                           int chained) {
  size_t size = 256 + (size_t)n * 200;
  char *text = malloc(size), rel[64];
  if (text == NULL)
    return -1;
  size_t used = (size_t)snprintf(text, size, "{\"children\": [\n");
  for (int i = 0; i < n; i++)
    used += (size_t)snprintf(text + used, size - used,
                             "%s  {\"name\": \"c%d\", \"url\": "
                             "\"#meta/slow.cm\", \"startup\": \"eager\"}",
                             i ? ",\n" : "", i);
  used += (size_t)snprintf(text + used, size - used, "],\n \"offer\": [");
  for (int i = 0; chained && i + 1 < n; i++)
    used += (size_t)snprintf(text + used, size - used,
                             "%s{\"protocol\": \"p\", \"from\": \"#c%d\", "
                             "\"to\": \"#c%d\"}",
                             i ? ", " : "", i, i + 1);
  snprintf(text + used, size - used, "]}\n");
  snprintf(rel, sizeof rel, "meta/%s.cm", name);
  int rc = bench_write(env, rel, text);
  free(text);
  return rc;
}

/* fern's stop of the tree against the baseline's stop of n slow tinies. */
static int slow_row(const bench_env *env, const char *what, const char *name,
                    int n, const char *mode) {
  double fern[REPEAT_MAX], base[REPEAT_MAX];
  setenv("TINY_TERM_MS", SLOW_MS, 1);
  for (int i = 0; i < repeat; i++) {
    double up;
    long rss;
    if (bench_fern_up_down_after(env, name, n, ": ready\n", &up, &fern[i],
                                 &rss) != 0 ||
        (base[i] = baseline(env, mode, n, "stop_s")) < 0) {
      unsetenv("TINY_TERM_MS");
      return -1;
    }
  }
  unsetenv("TINY_TERM_MS");
  add_row(what, n, median(fern, repeat), median(base, repeat), "s");
  return 0;
}

int bench_dependent_stops(const bench_env *env) {
  if (write_slow(env) != 0 ||
      write_slow_tree(env, "slow-siblings", SLOW_SIBLINGS, 0) != 0 ||
      write_slow_tree(env, "slow-chain", CHAIN, 1) != 0)
    return -1;
  return slow_row(env, "stop siblings taking 200 ms each (s)",
                  "slow-siblings", SLOW_SIBLINGS, "startstop") |
         slow_row(env, "stop a chain taking 200 ms each (s)", "slow-chain",
                  CHAIN, "ordered");
}

/* The tree: lazy /server (tiny serve) offered to eager /client. */
static int write_activation(const bench_env *env) {
  char text[1024];
  snprintf(text, sizeof text,
           "{\"program\": {\"runner\": \"elf\", \"binary\": \"bin/tiny\", "
           "\"args\": [\"serve\", \"13\"], %s},\n"
           " \"capabilities\": [{\"protocol\": \"echo\"}],\n"
           " \"expose\": [{\"protocol\": \"echo\", \"from\": \"self\"}]}\n",
           quiet);
  if (bench_write(env, "meta/act-server.cm", text) != 0)
    return -1;
  snprintf(text, sizeof text,
           "{\"program\": {\"runner\": \"elf\", \"binary\": \"bin/tiny\", "
           "\"args\": [\"client\", \"%ld\"]},\n"
           " \"use\": [{\"protocol\": \"echo\"}]}\n",
           STREAM_BYTES);
  if (bench_write(env, "meta/act-client.cm", text) != 0)
    return -1;
  return bench_write(
      env, "meta/activation.cm",
      "{\"children\": [{\"name\": \"server\", \"url\": \"#meta/act-server.cm\"},\n"
      "  {\"name\": \"client\", \"url\": \"#meta/act-client.cm\", "
      "\"startup\": \"eager\"}],\n"
      " \"offer\": [{\"protocol\": \"echo\", \"from\": \"#server\", "
      "\"to\": \"#client\"}]}\n");
}

/* One run: the client's line of times, read from fern's log. */
static json_t *activation_run(const bench_env *env) {
  char path[256], out[8192];
  snprintf(path, sizeof path, "%s/meta/activation.cm", env->dir);
  char *argv[] = {(char *)env->fern, "run", path, NULL};
  bench_result r;
  bench_settle();
  if (bench_run(argv, 2, out, sizeof out, &r) != 0 || r.status != 0)
    return NULL;
  const char *line = strstr(out, "[/client] {");
  return line ? json_loads(line + strlen("[/client] "), JSON_DISABLE_EOF_CHECK,
                           NULL)
              : NULL;
}

int bench_activation(const bench_env *env) {
  double first[REPEAT_MAX], warm[REPEAT_MAX], act[REPEAT_MAX],
      direct[REPEAT_MAX];
  if (write_activation(env) != 0)
    return -1;
  for (int i = 0; i < repeat; i++) {
    json_t *times = activation_run(env);
    if (times == NULL)
      return -1;
    first[i] = json_number_value(json_object_get(times, "first_s")) * 1e3;
    warm[i] = json_number_value(json_object_get(times, "warm_s")) * 1e3;
    act[i] = json_number_value(json_object_get(times, "activated_s"));
    direct[i] = json_number_value(json_object_get(times, "plain_s"));
    json_decref(times);
  }
  add_row("first connection, lazy provider (ms)", 1, median(first, repeat),
          median(warm, repeat), "ms");
  add_row("256 MiB over the handed-over socket (s)", 1, median(act, repeat),
          median(direct, repeat), "s");
  return 0;
}
