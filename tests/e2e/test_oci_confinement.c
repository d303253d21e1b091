/* test_oci_confinement.c - fern's OCI container is never looser than the
 * one `runc spec` describes: the same probe (tool confinement) runs in
 * fern's container and, by hand, under runc with runc's own default spec,
 * and every answer of fern's must be at least as strict: writes to /proc
 * denied, paths masked, mounts read-only, the file limit, capabilities,
 * no_new_privs, seccomp and the system calls it lets through. fern's has
 * a seccomp profile of Docker's kind ("seccomp": false leaves it out),
 * and the mounts ordinary programs need, unless the program block says
 * "system_mounts": false. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "e2e.h"

/* The oci runner's package, with a directory for runc's own bundle. */
static void probe_package(char *pkg, size_t size, char *config,
                          size_t config_size) {
  e2e_oci_package(pkg, size, config, config_size);
  char dir[160];
  snprintf(dir, sizeof dir, "%s/bundle", pkg);
  ck_assert_int_eq(mkdir(dir, 0755), 0);
}

/* The probe's answer to `key` ("write /proc/irq/..."), in `out`: the
 * word after the key on its line (lines may carry fern's "[/] "). */
static int answer(const char *output, const char *key, char *out,
                  size_t size) {
  for (const char *at = strstr(output, key); at != NULL;
       at = strstr(at + 1, key)) {
    if (at != output && at[-1] != '\n' && at[-1] != ' ')
      continue;
    const char *value = at + strlen(key);
    while (*value == ' ' || *value == '\t')
      value++;
    size_t n = strcspn(value, "\n");
    snprintf(out, size, "%.*s", (int)n, value);
    return 1;
  }
  return 0;
}

/* Runs the probe under runc with the spec `runc spec` writes, only its
 * command, terminal and root changed. Its output, malloc'd. */
static char *probe_under_runc(const char *pkg) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "cd '%s/bundle' && runc spec && python3 -c \""
           "import json; c=json.load(open('config.json')); "
           "p=['mask:'+x for x in c['linux']['maskedPaths']]"
           "+['ro:'+x for x in c['linux']['readonlyPaths']]; "
           "json.dump(p,open('../paths.json','w')); "
           "c['process']['args']=['/bin/tool','confinement']+p; "
           "c['process']['terminal']=False; "
           "c['root']['path']='%s/rootfs'; "
           "json.dump(c,open('config.json','w'))\" && "
           "runc run -b '%s/bundle' fern-probe-%d 2>&1",
           pkg, pkg, pkg, (int)getpid());
  FILE *f = popen(cmd, "r");
  ck_assert_ptr_nonnull(f);
  size_t size = 1 << 16, used = 0;
  char *out = calloc(1, size);
  size_t n;
  while (out && (n = fread(out + used, 1, size - used - 1, f)) > 0)
    used += n;
  ck_assert_int_eq(pclose(f), 0);
  return out;
}

/* The paths runc spec masks or makes read-only, as its own config.json
 * lists them (written by probe_under_runc). */
static json_t *spec_paths(const char *pkg) {
  char path[160];
  snprintf(path, sizeof path, "%s/paths.json", pkg);
  json_t *paths = json_load_file(path, 0, NULL);
  ck_assert_ptr_nonnull(paths);
  return paths;
}

static char *probe_under_fern(const char *pkg, const char *config,
                              const char *extra) {
  char text[4096], manifest[160];
  json_t *words = json_pack("[s]", "confinement");
  json_t *paths = spec_paths(pkg);
  json_array_extend(words, paths);
  json_decref(paths);
  char *args_text = json_dumps(words, JSON_COMPACT);
  snprintf(text, sizeof text,
           "{\"program\": {\"runner\": \"oci\", \"rootfs\": \"rootfs\", "
           "\"binary\": \"/bin/tool\", \"args\": %s%s}}",
           args_text, extra);
  free(args_text);
  json_decref(words);
  e2e_package_write(pkg, "meta/probe.cm", text);
  snprintf(manifest, sizeof manifest, "%s/meta/probe.cm", pkg);
  e2e_proc p;
  const char *args[] = {"run", "--config", config, manifest, NULL};
  ck_assert_int_eq(e2e_run(&p, 60000, args), 0);
  char *out = strdup(p.err);
  e2e_free(&p);
  return out;
}

/* fern's `word` is no looser than runc's for `key`, where `strict` is
 * the stricter of the two words the probe gives. */
static void no_looser(const char *fern, const char *runc, const char *key,
                      const char *strict) {
  char ours[64], theirs[64];
  ck_assert_msg(answer(runc, key, theirs, sizeof theirs), "runc: no %s", key);
  ck_assert_msg(answer(fern, key, ours, sizeof ours), "fern: no %s", key);
  if (strcmp(theirs, strict) == 0)
    ck_assert_msg(strcmp(ours, strict) == 0, "%s: %s in fern's container, "
                                             "%s under runc spec",
                  key, ours, theirs);
}

/* fern's bits of a capability set are among runc's. */
static void caps_within(const char *fern, const char *runc, const char *key) {
  char ours[64], theirs[64];
  ck_assert(answer(runc, key, theirs, sizeof theirs));
  ck_assert(answer(fern, key, ours, sizeof ours));
  unsigned long long a = strtoull(ours, NULL, 16), b = strtoull(theirs, NULL,
                                                                16);
  ck_assert_msg((a & ~b) == 0, "%s: %s in fern's, %s under runc", key, ours,
                theirs);
}

static long number(const char *output, const char *key, int which) {
  char line[64];
  ck_assert(answer(output, key, line, sizeof line));
  char *end;
  long first = strtol(line, &end, 10);
  return which == 0 ? first : strtol(end, NULL, 10);
}

START_TEST(test_fern_is_never_looser_than_runc_spec) {
  if (e2e_skip_under_valgrind("runc is not run under valgrind"))
    return;
  char pkg[64], config[160];
  probe_package(pkg, sizeof pkg, config, sizeof config);
  char *runc = probe_under_runc(pkg);
  char *fern = probe_under_fern(pkg, config, "");
  static const char *const writes[] = {
      "write /proc/irq/default_smp_affinity", "write /proc/sysrq-trigger",
      "write /proc/sys/kernel/domainname", NULL};
  for (int i = 0; writes[i] != NULL; i++)
    no_looser(fern, runc, writes[i], "denied");
  static const char *const masks[] = {
      "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
      "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
      "/proc/sched_debug", "/proc/scsi", "/sys/firmware", NULL};
  for (int i = 0; masks[i] != NULL; i++) {
    char key[64];
    snprintf(key, sizeof key, "see %s", masks[i]);
    no_looser(fern, runc, key, "masked");
  }
  static const char *const ro[] = {"/proc/bus", "/proc/fs", "/proc/irq",
                                   "/proc/sys", "/", NULL};
  for (int i = 0; ro[i] != NULL; i++) {
    char key[64];
    snprintf(key, sizeof key, "mount %s", ro[i]);
    no_looser(fern, runc, key, "read-only");
  }
  /* Whatever this runc's own spec masks or makes read-only. */
  json_t *paths = spec_paths(pkg);
  size_t k;
  json_t *entry;
  json_array_foreach(paths, k, entry) {
    const char *p = json_string_value(entry);
    char key[256];
    int mask = strncmp(p, "mask:", 5) == 0;
    snprintf(key, sizeof key, "%s %s", mask ? "see" : "mount",
             strchr(p, ':') + 1);
    no_looser(fern, runc, key, mask ? "masked" : "read-only");
  }
  json_decref(paths);
  ck_assert_int_le(number(fern, "nofile", 0), number(runc, "nofile", 0));
  ck_assert_int_le(number(fern, "nofile", 1), number(runc, "nofile", 1));
  caps_within(fern, runc, "CapEff:");
  caps_within(fern, runc, "CapBnd:");
  ck_assert_int_ge(number(fern, "NoNewPrivs:", 0),
                   number(runc, "NoNewPrivs:", 0));
  ck_assert_int_ge(number(fern, "Seccomp:", 0), number(runc, "Seccomp:", 0));
  no_looser(fern, runc, "syscall unshare", "denied");
  /* Docker's kind of profile: on, and refusing what it does not list. */
  ck_assert_int_eq(number(fern, "Seccomp:", 0), 2);
  char said[16];
  ck_assert(answer(fern, "syscall unshare", said, sizeof said));
  ck_assert_str_eq(said, "denied");
  /* What ordinary programs need, as runc spec gives it. */
  static const char *const needed[] = {"has /dev/shm", "has /dev/mqueue",
                                       "has /dev/pts/ptmx", NULL};
  for (int i = 0; needed[i] != NULL; i++) {
    char ours[16];
    ck_assert(answer(fern, needed[i], ours, sizeof ours));
    ck_assert_msg(strcmp(ours, "yes") == 0, "%s: %s", needed[i], ours);
  }
  free(runc);
  free(fern);
  /* ... unless the program block turns them off. */
  fern = probe_under_fern(pkg, config, ", \"system_mounts\": false, "
                                       "\"seccomp\": false");
  char ours[16];
  ck_assert(answer(fern, "has /dev/shm", ours, sizeof ours));
  ck_assert_str_eq(ours, "no");
  ck_assert_int_eq(number(fern, "Seccomp:", 0), 0);
  free(fern);
  e2e_package_remove(pkg);
}
END_TEST

Suite *oci_confinement_suite(void) {
  Suite *s = suite_create("oci_confinement");
  TCase *tc = tcase_create("confinement");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_fern_is_never_looser_than_runc_spec);
  suite_add_tcase(s, tc);
  return s;
}
