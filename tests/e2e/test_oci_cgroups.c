/* test_oci_cgroups.c - a container's cgroups nest under fern's own in
 * every hierarchy, the v1 ones of a hybrid host too (where fern's memory
 * cgroup may sit deeper than its others), with runc and with crun; and
 * once fern is done no cgroup it or the runtime made is left, in any
 * hierarchy, nor any parent made for them. Read from the host, in
 * /proc/PID/cgroup of the container's processes. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e.h"

#define LINES_MAX 32

typedef struct hierarchy_s {
  char controllers[128]; /* "" for the unified hierarchy */
  char path[1024];
} hierarchy;

/* /proc/PID/cgroup, named hierarchies left out; returns the count. */
static int cgroups_of(pid_t pid, hierarchy *out) {
  char file[64], line[1200];
  snprintf(file, sizeof file, "/proc/%d/cgroup", (int)pid);
  FILE *f = fopen(file, "re");
  int n = 0;
  while (f != NULL && n < LINES_MAX && fgets(line, sizeof line, f) != NULL) {
    char *controllers = strchr(line, ':');
    char *path = controllers ? strchr(controllers + 1, ':') : NULL;
    if (path == NULL || strncmp(controllers + 1, "name=", 5) == 0)
      continue;
    *path++ = '\0';
    path[strcspn(path, "\n")] = '\0';
    snprintf(out[n].controllers, sizeof out[n].controllers, "%s",
             controllers + 1);
    snprintf(out[n].path, sizeof out[n].path, "%s", path);
    n++;
  }
  if (f != NULL)
    fclose(f);
  return n;
}

static const char *path_in(const hierarchy *h, int n, const char *ctl) {
  for (int i = 0; i < n; i++)
    if (strcmp(h[i].controllers, ctl) == 0)
      return h[i].path;
  return NULL;
}

static int beneath(const char *outer, const char *inner) {
  size_t len = strlen(outer);
  return strcmp(outer, "/") == 0 ||
         (strncmp(outer, inner, len) == 0 && inner[len] == '/');
}

/* A process in a container's cgroup of fern `fern`: its unified path
 * holds "/fern-FERN-" and ends in "/ctr". */
static pid_t container_process(pid_t fern) {
  char mark[64];
  snprintf(mark, sizeof mark, "/fern-%d-", (int)fern);
  DIR *d = opendir("/proc");
  struct dirent *e;
  pid_t found = 0;
  while (d != NULL && found == 0 && (e = readdir(d)) != NULL) {
    pid_t pid = (pid_t)atol(e->d_name);
    hierarchy h[LINES_MAX];
    int n = pid > 0 ? cgroups_of(pid, h) : 0;
    const char *v2 = path_in(h, n, "");
    size_t len = v2 ? strlen(v2) : 0;
    if (v2 != NULL && strstr(v2, mark) != NULL && len > 4 &&
        strcmp(v2 + len - 4, "/ctr") == 0)
      found = pid;
  }
  if (d != NULL)
    closedir(d);
  return found;
}

/* Every cgroup directory of the machine, one a line, each line ending in
 * a newline and the whole beginning with one: "\n/sys/fs/cgroup/x\n". */
static char *cgroup_dirs(void) {
  char *out = NULL;
  size_t size = 0;
  FILE *f = popen("find /sys/fs/cgroup -mindepth 1 -type d 2>/dev/null", "r");
  ck_assert_ptr_nonnull(f);
  FILE *mem = open_memstream(&out, &size);
  char line[4096];
  fputc('\n', mem);
  while (fgets(line, sizeof line, f) != NULL)
    fputs(line, mem);
  pclose(f);
  fclose(mem);
  return out;
}

/* Whether `dir` is a line of a cgroup_dirs() listing. */
static int listed(const char *listing, const char *dir) {
  char key[2100];
  snprintf(key, sizeof key, "\n%s\n", dir);
  return strstr(listing, key) != NULL;
}

/* The mount point of the hierarchy of `controllers` ("" for the unified
 * one), found by a cgroup.procs that lists the container's process. */
static int mount_of(const char *controllers, char *out, size_t size) {
  if (controllers[0] == '\0') {
    snprintf(out, size, "%s", e2e_cgroup_root());
    return 0;
  }
  snprintf(out, size, "/sys/fs/cgroup/%s", controllers);
  return access(out, F_OK);
}

typedef struct made_s {
  char dirs[LINES_MAX * 8][2048];
  int count;
} made;

/* The directories of the container's cgroup, and of each above it in
 * its hierarchy, that the listing taken before the run lacks: fern or
 * the runtime made them, and they must go. */
static void note_made(const hierarchy *ctr, int n, const char *before,
                      made *m) {
  for (int i = 0; i < n; i++) {
    char mount[512], dir[2048];
    if (mount_of(ctr[i].controllers, mount, sizeof mount) != 0)
      continue;
    snprintf(dir, sizeof dir, "%s%s", mount, ctr[i].path);
    while (strlen(dir) > strlen(mount) && !listed(before, dir) &&
           m->count < (int)(sizeof m->dirs / sizeof m->dirs[0])) {
      snprintf(m->dirs[m->count++], sizeof m->dirs[0], "%s", dir);
      *strrchr(dir, '/') = '\0';
    }
  }
}

static void nests_with(const char *runtime) {
  char pkg[64], config[160], text[512], manifest[160];
  e2e_oci_package(pkg, sizeof pkg, config, sizeof config);
  snprintf(text, sizeof text,
           "{\"program\": {\"runner\": \"oci\", \"rootfs\": \"rootfs\", "
           "\"binary\": \"/bin/tool\", \"args\": [\"sleep\"], "
           "\"runtime\": \"%s\"}}",
           runtime);
  e2e_package_write(pkg, "meta/c.cm", text);
  e2e_package_write(pkg, "meta/root.cm",
                    "{\"children\": [{\"name\": \"c\", \"url\": "
                    "\"#meta/c.cm\", \"startup\": \"eager\"}]}");
  snprintf(manifest, sizeof manifest, "%s/meta/root.cm", pkg);
  char *before = cgroup_dirs();
  e2e_proc p;
  const char *args[] = {"run", "--config", config, manifest, NULL};
  e2e_start(&p, args);
  e2e_wait_for(&p, "[/c] ready", 60000);
  hierarchy fern[LINES_MAX], ctr[LINES_MAX];
  int fern_n = cgroups_of(p.pid, fern);
  pid_t inside = container_process(p.pid);
  ck_assert_msg(inside > 0, "no process of the container found:\n%s", p.err);
  int ctr_n = cgroups_of(inside, ctr);
  ck_assert_int_eq(ctr_n, fern_n);
  static made m;
  m.count = 0;
  note_made(ctr, ctr_n, before, &m);
  ck_assert_int_gt(m.count, 0); /* the container's own, at least */
  int v1 = 0;
  for (int i = 0; i < fern_n; i++) {
    const char *mine = path_in(ctr, ctr_n, fern[i].controllers);
    ck_assert_msg(mine != NULL && beneath(fern[i].path, mine),
                  "%s: the container's cgroup %s is not beneath fern's %s",
                  fern[i].controllers[0] ? fern[i].controllers : "unified",
                  mine ? mine : "(none)", fern[i].path);
    v1 += fern[i].controllers[0] != '\0';
  }
  if (v1 == 0)
    fprintf(stderr, "note: no v1 hierarchies here: only the unified one "
                    "was checked\n");
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 60000), 0);
  char *after = cgroup_dirs();
  for (int i = 0; i < m.count; i++)
    ck_assert_msg(!listed(after, m.dirs[i]), "%s was left", m.dirs[i]);
  char mark[64];
  snprintf(mark, sizeof mark, "/fern-%d-", (int)p.pid);
  ck_assert_msg(strstr(after, mark) == NULL, "a cgroup of fern %d was left",
                (int)p.pid);
  free(before);
  free(after);
  e2e_free(&p);
  e2e_package_remove(pkg);
}

START_TEST(test_runc_cgroups_nest_in_every_hierarchy) { nests_with("runc"); }
END_TEST

START_TEST(test_crun_cgroups_nest_in_every_hierarchy) {
  if (e2e_skip_without_crun())
    return;
  nests_with("crun");
}
END_TEST

Suite *oci_cgroups_suite(void) {
  Suite *s = suite_create("oci_cgroups");
  TCase *tc = tcase_create("oci_cgroups");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_runc_cgroups_nest_in_every_hierarchy);
  tcase_add_test(tc, test_crun_cgroups_nest_in_every_hierarchy);
  suite_add_tcase(s, tc);
  return s;
}
