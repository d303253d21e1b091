/* bench_tree.c - the benchmark's package and generated trees. Every leaf
 * runs bench/tiny, a static program that exits at once ("exit") or waits
 * for SIGTERM. Leaves forward no output: tiny prints nothing, and a
 * forwarded stream costs a descriptor in fern per component, which at
 * 10,000 running components is more than a 20,000-descriptor limit allows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"

#define REALM_SIZE 100

int bench_write(const bench_env *env, const char *rel, const char *text) {
  char path[256];
  snprintf(path, sizeof path, "%s/%s", env->dir, rel);
  FILE *f = fopen(path, "w");
  if (f == NULL)
    return -1;
  int rc = fputs(text, f) < 0;
  return fclose(f) != 0 || rc ? -1 : 0;
}

static int copy_file(const char *from, const char *to) {
  FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
  char buf[65536];
  size_t n;
  int rc = in && out ? 0 : -1;
  while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
    rc = fwrite(buf, 1, n, out) == n ? 0 : -1;
  if (in)
    fclose(in);
  if (out && fclose(out) != 0)
    rc = -1;
  return rc == 0 ? chmod(to, 0755) : -1;
}

int bench_package_new(bench_env *env) {
  snprintf(env->dir, sizeof env->dir, "/tmp/fern-bench-XXXXXX");
  if (mkdtemp(env->dir) == NULL)
    return -1;
  char path[256];
  snprintf(path, sizeof path, "%s/meta", env->dir);
  mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/bin", env->dir);
  mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/bin/tiny", env->dir);
  if (copy_file(env->tiny, path) != 0)
    return -1;
  const char *quiet = "\"forward_stdout_to\": \"none\", "
                      "\"forward_stderr_to\": \"none\"";
  char text[512];
  snprintf(text, sizeof text,
           "{\"program\": {\"runner\": \"elf\", \"binary\": \"bin/tiny\", "
           "\"args\": [\"exit\"], %s}}\n", quiet);
  if (bench_write(env, "meta/leaf.cm", text) != 0)
    return -1;
  snprintf(text, sizeof text,
           "{\"program\": {\"runner\": \"elf\", \"binary\": \"bin/tiny\", "
           "%s}}\n", quiet);
  if (bench_write(env, "meta/wait.cm", text) != 0)
    return -1;
  return bench_write(env, "meta/empty.cm", "{}\n");
}

void bench_package_remove(const bench_env *env) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", env->dir);
  if (system(cmd) != 0)
    fprintf(stderr, "bench: could not remove %s\n", env->dir);
}

/* {"children": [n children named PREFIXi with URL url]} */
static char *children(long n, const char *url) {
  size_t size = 64 + (size_t)n * (strlen(url) + 64);
  char *text = malloc(size);
  if (text == NULL)
    return NULL;
  size_t used = (size_t)snprintf(text, size, "{\"children\": [\n");
  for (long i = 0; i < n; i++)
    used += (size_t)snprintf(text + used, size - used,
                             "  {\"name\": \"c%ld\", \"url\": \"%s\", "
                             "\"startup\": \"eager\"}%s\n",
                             i, url, i + 1 < n ? "," : "");
  snprintf(text + used, size - used, "]}\n");
  return text;
}

int bench_tree_write(const bench_env *env, const char *name, long n,
                     int nested, int waiting) {
  const char *leaf = waiting ? "#meta/wait.cm" : "#meta/leaf.cm";
  char rel[128], mid_url[128];
  char *text;
  if (!nested || n < REALM_SIZE) {
    text = children(n, leaf);
  } else {
    /* n / 100 realms of 100 leaves: two manifests for the whole tree. */
    snprintf(rel, sizeof rel, "meta/%s-realm.cm", name);
    char *realm = children(REALM_SIZE, leaf);
    int rc = realm ? bench_write(env, rel, realm) : -1;
    free(realm);
    if (rc != 0)
      return -1;
    snprintf(mid_url, sizeof mid_url, "#meta/%s-realm.cm", name);
    text = children(n / REALM_SIZE, mid_url);
  }
  snprintf(rel, sizeof rel, "meta/%s.cm", name);
  int rc = text ? bench_write(env, rel, text) : -1;
  free(text);
  return rc;
}

int bench_tree_write_url(const bench_env *env, const char *name, long n,
                         const char *url) {
  char rel[128];
  char *text = children(n, url);
  snprintf(rel, sizeof rel, "meta/%s.cm", name);
  int rc = text ? bench_write(env, rel, text) : -1;
  free(text);
  return rc;
}

int bench_tree_write_distinct(const bench_env *env, long n) {
  char rel[64], url[64];
  for (long i = 0; i < n; i++) {
    snprintf(rel, sizeof rel, "meta/d%ld.cm", i);
    char text[256];
    snprintf(text, sizeof text,
             "{\"program\": {\"runner\": \"elf\", \"binary\": \"bin/tiny\", "
             "\"args\": [\"exit\", \"%ld\"]}}\n", i);
    if (bench_write(env, rel, text) != 0)
      return -1;
  }
  size_t size = 64 + (size_t)n * 96;
  char *text = malloc(size);
  if (text == NULL)
    return -1;
  size_t used = (size_t)snprintf(text, size, "{\"children\": [\n");
  for (long i = 0; i < n; i++) {
    snprintf(url, sizeof url, "#meta/d%ld.cm", i);
    used += (size_t)snprintf(text + used, size - used,
                             "  {\"name\": \"d%ld\", \"url\": \"%s\"}%s\n", i,
                             url, i + 1 < n ? "," : "");
  }
  snprintf(text + used, size - used, "]}\n");
  snprintf(rel, sizeof rel, "meta/distinct-%ld.cm", n);
  int rc = bench_write(env, rel, text);
  free(text);
  return rc;
}
