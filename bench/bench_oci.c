/* bench_oci.c - one container's start and stop through fern's OCI
 * runner, against the same runtime run by hand on the same bundle: `fern
 * run` of a tree whose one component is the bundle (as `runc spec` writes
 * it, its process bench/tiny exiting at once), until fern exits; against
 * `RUNTIME run` of that bundle, until it exits. For crun on a host whose
 * unified cgroup hierarchy has controllers, the hand run does what fern
 * does there: `unshare -m`, an empty file over that cgroup.controllers.
 * Each runtime not installed is skipped, saying so. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

/* The bundle: rootfs/bin/tiny and runc spec's config.json, its process
 * `tiny exit` without a terminal. */
static int bundle_write(const bench_env *env) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "cd '%s' && mkdir -p ctr/rootfs/bin ctr/rootfs/proc ctr/rootfs/dev "
           "ctr/rootfs/tmp ctr/rootfs/sys ocistate && cp bin/tiny "
           "ctr/rootfs/bin/tiny && cd ctr && rm -f config.json && "
           "runc spec && python3 -c \"import json; "
           "c=json.load(open('config.json')); "
           "c['process']['args']=['/bin/tiny','exit']; "
           "c['process']['terminal']=False; "
           "json.dump(c,open('config.json','w'))\"",
           env->dir);
  return system(cmd) == 0 ? 0 : -1;
}

static int fern_files_write(const bench_env *env, const char *runtime) {
  char text[512], path[256];
  snprintf(text, sizeof text,
           "{\"root_environment\": {\"runners\": [{\"runner\": \"oci\", "
           "\"config\": {\"state_dir\": \"%s/ocistate\"}}]}}\n",
           env->dir);
  snprintf(path, sizeof path, "%s/oci.json", env->dir);
  FILE *f = fopen(path, "w");
  if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
    return -1;
  snprintf(text, sizeof text,
           "{\"program\": {\"runner\": \"oci\", \"bundle\": \"ctr\", "
           "\"runtime\": \"%s\", \"forward_stdout_to\": \"none\", "
           "\"forward_stderr_to\": \"none\"}}\n",
           runtime);
  snprintf(path, sizeof path, "%s/meta/ctr-%s.cm", env->dir, runtime);
  f = fopen(path, "w");
  return f != NULL && fputs(text, f) >= 0 && fclose(f) == 0 ? 0 : -1;
}

static int hybrid_unified(void) {
  FILE *f = fopen("/sys/fs/cgroup/unified/cgroup.controllers", "re");
  int c = f ? fgetc(f) : EOF;
  if (f)
    fclose(f);
  return c != EOF && c != '\n';
}

static int time_fern(const bench_env *env, const char *runtime, double *s) {
  char config[256], manifest[256];
  snprintf(config, sizeof config, "%s/oci.json", env->dir);
  snprintf(manifest, sizeof manifest, "%s/meta/ctr-%s.cm", env->dir, runtime);
  char *argv[] = {(char *)env->fern, "run", "-q", "--config", config,
                  manifest, NULL};
  bench_result r;
  bench_settle();
  if (bench_run(argv, 1, NULL, 0, &r) != 0 || r.status != 0)
    return -1;
  *s = r.seconds;
  return 0;
}

static int time_by_hand(const bench_env *env, const char *runtime, int k,
                        double *s) {
  char cmd[1024];
  const char *hide = strcmp(runtime, "crun") == 0 && hybrid_unified()
                         ? "mount --bind /dev/null "
                           "/sys/fs/cgroup/unified/cgroup.controllers && "
                         : "";
  snprintf(cmd, sizeof cmd,
           "%s%s --root '%s/ocistate/hand' run -b '%s/ctr' bench-%d-%d",
           hide, runtime, env->dir, env->dir, (int)getpid(), k);
  char *argv[] = {"unshare", "-m", "--propagation", "private", "sh", "-c",
                  cmd, NULL};
  bench_result r;
  bench_settle();
  if (bench_run(argv, 1, NULL, 0, &r) != 0 || r.status != 0)
    return -1;
  *s = r.seconds;
  return 0;
}

int bench_containers(const bench_env *env) {
  static const char *const runtimes[] = {"runc", "crun", NULL};
  if (bundle_write(env) != 0) {
    printf("container rows skipped: runc spec could not write a bundle\n");
    return 0;
  }
  for (int i = 0; runtimes[i] != NULL; i++) {
    char path[64];
    snprintf(path, sizeof path, "/usr/bin/%s", runtimes[i]);
    if (access(path, X_OK) != 0) {
      snprintf(path, sizeof path, "/usr/sbin/%s", runtimes[i]);
      if (access(path, X_OK) != 0) {
        printf("%s row skipped: %s is not installed\n", runtimes[i],
               runtimes[i]);
        continue;
      }
    }
    double fern[REPEAT_MAX], hand[REPEAT_MAX];
    if (fern_files_write(env, runtimes[i]) != 0)
      return -1;
    for (int r = 0; r < repeat; r++)
      if (time_fern(env, runtimes[i], &fern[r]) != 0 ||
          time_by_hand(env, runtimes[i], r, &hand[r]) != 0) {
        fprintf(stderr, "bench: a %s container did not run\n", runtimes[i]);
        return -1;
      }
    char what[64];
    snprintf(what, sizeof what, "one container, %s, start to exit (s)",
             runtimes[i]);
    add_row(what, 1, median(fern, repeat), median(hand, repeat), "s");
  }
  return 0;
}
