/* bench.c - `make bench`: fern against the raw spawn limit and against s6.
 *
 *   bench/bench [--n N,N...] [--s6 N] [--repeat R] [--json FILE]
 *               FERN BASELINE TINY
 *
 * For each N: boot (flat and nested trees of N components that exit at
 * once) against spawn_baseline's posix_spawn+reap; start and stop of N
 * waiting components against spawn_baseline's spawn, SIGTERM, reap; fern's
 * memory per running component; manifest resolution. Then s6 bringing up
 * the same processes, and the routing rows (bench_routes.c). Every figure is a ratio against a baseline measured
 * in this run on this machine; nothing here passes or fails on time.
 * Timed rows run fern and its baseline R times, alternately, and report
 * the median of each: on a shared machine one run can be 15% off. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"

typedef struct row_s {
  char what[64];
  long n;
  double fern, base; /* seconds, or KiB and 0 for memory */
  const char *unit;
} row;

static row rows[64];
static size_t row_count;
int repeat = 3; /* runs of each timed side; the median is shown */


static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The median of `count` values (sorts them). */
double median(double *values, int count) {
  qsort(values, (size_t)count, sizeof *values, by_value);
  return count % 2 ? values[count / 2]
                   : (values[count / 2 - 1] + values[count / 2]) / 2;
}

void add_row(const char *what, long n, double fern, double base,
             const char *unit) {
  if (row_count == sizeof rows / sizeof rows[0])
    return;
  row *r = &rows[row_count++];
  snprintf(r->what, sizeof r->what, "%s", what);
  r->n = n;
  r->fern = fern;
  r->base = base;
  r->unit = unit;
  if (base > 0)
    printf("%-38s %7ld %10.3f %10.3f %7.2fx\n", what, n, fern, base,
           fern / base);
  else
    printf("%-38s %7ld %10.3f %10s %8s  %s\n", what, n, fern, "-", "-", unit);
  fflush(stdout);
}

double baseline(const bench_env *env, const char *mode, long n,
                const char *key) {
  char count[32], out[256];
  snprintf(count, sizeof count, "%ld", n);
  char *argv[] = {(char *)env->baseline, (char *)mode, count,
                  (char *)env->tiny, NULL};
  bench_result r;
  bench_settle();
  if (bench_run(argv, 1, out, sizeof out, &r) != 0)
    return -1;
  if (WIFEXITED(r.status) && WEXITSTATUS(r.status) == 3)
    return -2; /* spawn_baseline cannot make cgroups here */
  if (r.status != 0)
    return -1;
  json_t *j = json_loads(out, 0, NULL);
  double v = json_number_value(json_object_get(j, key));
  json_decref(j);
  return v;
}

int bench_fern_run(const bench_env *env, const char *manifest,
                   const char *config, bench_result *r) {
  char path[256], cfg[256];
  snprintf(path, sizeof path, "%s/meta/%s.cm", env->dir, manifest);
  snprintf(cfg, sizeof cfg, "%s/%s", env->dir, config ? config : "");
  char *with[] = {(char *)env->fern, "run", "-q", "--config", cfg, path, NULL};
  char *without[] = {(char *)env->fern, "run", "-q", path, NULL};
  bench_settle();
  if (bench_run(config ? with : without, 1, NULL, 0, r) == 0 && r->status == 0)
    return 0;
  fprintf(stderr, "bench: fern run of %s%s%s failed (status %d)\n", path,
          config ? " with " : "", config ? cfg : "", r->status);
  return -1;
}

static int bench_boot(const bench_env *env, long n, int nested) {
  char name[64];
  snprintf(name, sizeof name, "%s-exit-%ld", nested ? "nested" : "flat", n);
  if (bench_tree_write(env, name, n, nested, 0) != 0)
    return -1;
  double fern[REPEAT_MAX], base[REPEAT_MAX];
  for (int i = 0; i < repeat; i++) {
    bench_result r;
    if (bench_fern_run(env, name, NULL, &r) != 0 ||
        (base[i] = baseline(env, "boot", n, "boot_s")) < 0)
      return -1;
    fern[i] = r.seconds;
  }
  char what[64];
  snprintf(what, sizeof what, "boot, %s (s)", nested ? "nested" : "flat");
  add_row(what, n, median(fern, repeat), median(base, repeat), "s");
  return 0;
}

static long empty_rss(const bench_env *env) {
  bench_result r;
  return bench_fern_run(env, "empty", NULL, &r) == 0 ? r.max_rss_kib : -1;
}

/* fern up and down on the flat tree of waiting components, alternating
 * with the baseline's spawn, SIGTERM, reap (and the same with a cgroup
 * for each process, where the machine lets this process make cgroups).
 * medians: fern up, fern down, baseline up, baseline down, cgroup
 * baseline down (-1 without). */
static int up_down_medians(const bench_env *env, const char *name, long n,
                           double medians[5], long *rss) {
  double up[REPEAT_MAX], down[REPEAT_MAX], base_up[REPEAT_MAX],
      base_down[REPEAT_MAX], cgroup_down[REPEAT_MAX];
  int with_cgroups = 1;
  for (int i = 0; i < repeat; i++) {
    long run_rss;
    if (bench_fern_up_down(env, name, n, &up[i], &down[i], &run_rss) != 0 ||
        (base_up[i] = baseline(env, "startstop", n, "start_s")) < 0 ||
        (base_down[i] = baseline(env, "startstop", n, "stop_s")) < 0)
      return -1;
    if (with_cgroups) {
      cgroup_down[i] = baseline(env, "cgroup", n, "stop_s");
      if (cgroup_down[i] == -1)
        return -1;
      with_cgroups = cgroup_down[i] > 0;
    }
    if (i == 0 || run_rss > *rss)
      *rss = run_rss;
  }
  medians[0] = median(up, repeat);
  medians[1] = median(down, repeat);
  medians[2] = median(base_up, repeat);
  medians[3] = median(base_down, repeat);
  medians[4] = with_cgroups ? median(cgroup_down, repeat) : -1;
  return 0;
}

/* The same stop with the ELF runner's weakest job, a process group (no
 * cgroups: what the raw loop holds), against the raw loop, alternating:
 * what fern's own work costs once the kernel's cgroup work is left out. */
static int stop_without_cgroups(const bench_env *env, const char *name,
                                long n) {
  char config[128];
  snprintf(config, sizeof config, "%s/process-group.json", env->dir);
  if (bench_write(env, "process-group.json",
                  "{\"root_environment\": {\"runners\": [{\"runner\": "
                  "\"elf\", \"config\": {\"job\": \"process_group\"}}], "
                  "\"resolvers\": [{\"resolver\": \"file\", \"scheme\": "
                  "\"file\"}]}}\n") != 0)
    return -1;
  bench_env pg = *env;
  pg.config = config;
  double down[REPEAT_MAX], base[REPEAT_MAX], up;
  long rss;
  for (int i = 0; i < repeat; i++)
    if (bench_fern_up_down(&pg, name, n, &up, &down[i], &rss) != 0 ||
        (base[i] = baseline(env, "startstop", n, "stop_s")) < 0)
      return -1;
  add_row("stop all, no cgroups (s)", n, median(down, repeat),
          median(base, repeat), "s");
  return 0;
}

static int bench_start_stop(const bench_env *env, long n, double *fern_up) {
  char name[64];
  snprintf(name, sizeof name, "flat-wait-%ld", n);
  double m[5], up, down;
  long rss;
  if (bench_tree_write(env, name, n, 0, 1) != 0 ||
      up_down_medians(env, name, n, m, &rss) != 0)
    return -1;
  add_row("start until all run (s)", n, m[0], m[2], "s");
  add_row("stop all (s)", n, m[1], m[3], "s");
  if (m[4] > 0)
    add_row("stop all, against a cgroup each (s)", n, m[1], m[4], "s");
  else
    printf("stop against a cgroup each skipped: spawn_baseline cannot make "
           "cgroups here (see its message above)\n");
  add_row("start + stop (s)", n, m[0] + m[1], m[2] + m[3], "s");
  if (stop_without_cgroups(env, name, n) != 0)
    return -1;
  long none = empty_rss(env);
  add_row("memory per running component, flat", n,
          (double)(rss - none) * 1024.0 / (double)n, 0, "bytes");
  /* Realms of 100 share one manifest: the manager's own cost shows. */
  snprintf(name, sizeof name, "nested-wait-%ld", n);
  if (n >= 100 && bench_tree_write(env, name, n, 1, 1) == 0 &&
      bench_fern_up_down(env, name, n, &up, &down, &rss) == 0)
    add_row("memory per running component, nested", n,
            (double)(rss - none) * 1024.0 / (double)n, 0, "bytes");
  *fern_up = m[0];
  return 0;
}

/* N instances of one URL: how many manifests fern parsed. N distinct
 * URLs: fern tree against parsing the same files with jansson here. */
static int bench_resolution(const bench_env *env, long n) {
  char path[256], name[64];
  size_t out_size = 64u << 20; /* -vv says a few lines per component */
  char *out = malloc(out_size);
  if (out == NULL)
    return -1;
  snprintf(name, sizeof name, "flat-exit-%ld", n);
  snprintf(path, sizeof path, "%s/meta/%s.cm", env->dir, name);
  bench_result r;
  char *same[] = {(char *)env->fern, "tree", "-vv", path, NULL};
  if (bench_tree_write(env, name, n, 0, 0) != 0 ||
      bench_run(same, 2, out, out_size, &r) != 0) {
    free(out);
    return -1;
  }
  const char *parsed = strstr(out, "fern: parsed ");
  long manifests = parsed ? atol(parsed + 13) : -1;
  free(out);
  add_row("one URL x N: manifests parsed", n, (double)manifests, 0,
          "parses");
  if (bench_tree_write_distinct(env, n) != 0)
    return -1;
  snprintf(path, sizeof path, "%s/meta/distinct-%ld.cm", env->dir, n);
  char *distinct[] = {(char *)env->fern, "tree", path, NULL};
  if (bench_run(distinct, 1, NULL, 0, &r) != 0 || r.status != 0)
    return -1;
  double t0 = bench_now();
  for (long i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/meta/d%ld.cm", env->dir, i);
    json_decref(json_load_file(path, 0, NULL));
  }
  double parse = bench_now() - t0;
  add_row("N distinct URLs resolved (s)", n, r.seconds, parse, "s");
  add_row("  = manifests per second", n, (double)n / r.seconds, 0, "/s");
  return 0;
}

static void machine(json_t *out) {
  struct utsname u;
  uname(&u);
  char model[256] = "unknown", line[512];
  FILE *f = fopen("/proc/cpuinfo", "r");
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "model name", 10) == 0) {
      snprintf(model, sizeof model, "%s", strchr(line, ':') + 2);
      model[strcspn(model, "\n")] = '\0';
      break;
    }
  if (f)
    fclose(f);
  json_object_set_new(out, "machine",
                      json_pack("{s:s,s:s,s:I,s:s}", "kernel", u.release,
                                "arch", u.machine, "cpus",
                                (json_int_t)sysconf(_SC_NPROCESSORS_ONLN),
                                "cpu", model));
}

static int write_json(const char *file) {
  json_t *out = json_object(), *list = json_array();
  machine(out);
  json_object_set_new(out, "repeat", json_integer(repeat));
  for (size_t i = 0; i < row_count; i++) {
    json_t *r = json_pack("{s:s,s:I,s:f,s:s}", "what", rows[i].what, "n",
                          (json_int_t)rows[i].n, "fern", rows[i].fern, "unit",
                          rows[i].unit);
    if (rows[i].base > 0) {
      json_object_set_new(r, "baseline", json_real(rows[i].base));
      json_object_set_new(r, "ratio", json_real(rows[i].fern / rows[i].base));
    }
    json_array_append_new(list, r);
  }
  json_object_set_new(out, "results", list);
  int rc = json_dump_file(out, file, JSON_INDENT(2));
  json_decref(out);
  return rc;
}

int main(int argc, char **argv) {
  long ns[8] = {1000, 10000}, n_count = 2, s6_n = 1000;
  const char *json_file = "bench/results.json";
  const char *only = NULL; /* "stop" or "logs": those rows alone */
  int i = 1;
  for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
    if (strcmp(argv[i], "--n") == 0) {
      n_count = 0;
      for (char *p = argv[i + 1]; *p && n_count < 8; p += strcspn(p, ","),
                p += *p == ',')
        ns[n_count++] = atol(p);
    } else if (strcmp(argv[i], "--s6") == 0) {
      s6_n = atol(argv[i + 1]);
    } else if (strcmp(argv[i], "--repeat") == 0) {
      repeat = atoi(argv[i + 1]);
      repeat = repeat < 1 ? 1 : repeat > REPEAT_MAX ? REPEAT_MAX : repeat;
    } else if (strcmp(argv[i], "--json") == 0) {
      json_file = argv[i + 1];
    } else if (strcmp(argv[i], "--only") == 0) {
      only = argv[i + 1];
    }
  }
  if (argc - i != 3) {
    fprintf(stderr, "usage: bench [--n N,N] [--s6 N] [--repeat R] "
                    "[--json FILE] [--only stop|logs] FERN BASELINE TINY\n");
    return 2;
  }
  bench_env env = {.fern = argv[i], .baseline = argv[i + 1],
                   .tiny = argv[i + 2]};
  if (bench_package_new(&env) != 0) {
    perror("bench: cannot make the package");
    return 1;
  }
  printf("medians of %d alternating run%s of fern and of its baseline\n",
         repeat, repeat == 1 ? "" : "s");
  printf("%-38s %7s %10s %10s %8s\n", "", "N", "fern", "baseline", "ratio");
  int failed = 0;
  double fern_up_s6 = -1;
  if (only != NULL) { /* some rows alone, for work on them */
    for (long k = 0; k < n_count; k++)
      failed |= strcmp(only, "logs") == 0
                    ? bench_logs(&env, ns[k])
                    : bench_start_stop(&env, ns[k], &fern_up_s6);
    bench_package_remove(&env);
    return write_json(json_file) != 0 || failed ? 1 : 0;
  }
  for (long k = 0; k < n_count; k++) {
    double up = -1;
    failed |= bench_boot(&env, ns[k], 0) | bench_boot(&env, ns[k], 1) |
              bench_start_stop(&env, ns[k], &up) |
              bench_resolution(&env, ns[k]) | bench_json5(ns[k] * 10);
    if (ns[k] == s6_n)
      fern_up_s6 = up;
  }
  if (fern_up_s6 < 0 && bench_start_stop(&env, s6_n, &fern_up_s6) != 0)
    failed = 1;
  char why[128];
  double s6_runs[REPEAT_MAX], s6 = -1;
  for (int r = 0; r < repeat; r++)
    if ((s6_runs[r] = bench_s6_up(&env, s6_n, why, sizeof why)) <= 0)
      break;
    else if (r == repeat - 1)
      s6 = median(s6_runs, repeat);
  if (s6 > 0)
    add_row("up vs s6-svscan + s6-svwait -u (s)", s6_n, fern_up_s6, s6, "s");
  else
    printf("s6 comparison skipped: %s\n", why);
  failed |= bench_dependent_stops(&env) | bench_activation(&env) |
            bench_containers(&env) | bench_logs(&env, s6_n);
  bench_package_remove(&env);
  if (failed)
    fprintf(stderr, "bench: a measurement failed (see above)\n");
  return write_json(json_file) != 0 || failed ? 1 : 0;
}
