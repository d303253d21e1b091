/* bench_logs.c - what keeping components' lines costs (logbook.h): the
 * boot of N components that each print 100 lines and exit, until fern
 * exits, with their output forwarded and kept in memory (fern's stderr,
 * which the benchmark sends to /dev/null, and the lines fern keeps for
 * fern logs), and the same with a log directory besides; against the
 * same boot with the output not forwarded at all. Alternating, medians.
 * The log directory keeps its files from one boot to the next. */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

static int write_trees(const bench_env *env, long n) {
  char text[512], path[256];
  snprintf(text, sizeof text,
           "{\"program\": {\"runner\": \"elf\", \"binary\": \"bin/tiny\", "
           "\"args\": [\"lines\", \"100\"]}}\n");
  if (bench_write(env, "meta/talk.cm", text) != 0)
    return -1;
  snprintf(text, sizeof text,
           "{\"program\": {\"runner\": \"elf\", \"binary\": \"bin/tiny\", "
           "\"args\": [\"lines\", \"100\"], \"forward_stdout_to\": \"none\", "
           "\"forward_stderr_to\": \"none\"}}\n");
  if (bench_write(env, "meta/mute.cm", text) != 0)
    return -1;
  snprintf(text, sizeof text, "{\"logs\": {\"dir\": \"%s/logdir\"}}\n",
           env->dir);
  snprintf(path, sizeof path, "%s/logdir", env->dir);
  if (bench_write(env, "logs.json", text) != 0 ||
      bench_tree_write_url(env, "talkers", n, "#meta/talk.cm") != 0 ||
      bench_tree_write_url(env, "muted", n, "#meta/mute.cm") != 0)
    return -1;
  return 0;
}

/* fern run -q of meta/NAME.cm (with --config CONFIG): seconds, or -1. */
static double boot(const bench_env *env, const char *name, const char *config) {
  bench_result r;
  return bench_fern_run(env, name, config, &r) == 0 ? r.seconds : -1;
}

int bench_logs(const bench_env *env, long n) {
  if (write_trees(env, n) != 0) {
    fprintf(stderr, "bench: cannot write the logs trees in %s\n", env->dir);
    return -1;
  }
  double mute[REPEAT_MAX], kept[REPEAT_MAX], disk[REPEAT_MAX];
  /* The files are there from a boot before, as for a service started
   * again: making a thousand files where a thousand were just deleted
   * costs ext4 more (its search for inodes deleted recently) than all
   * the writing does. */
  if (boot(env, "talkers", "logs.json") < 0)
    return -1;
  for (int i = 0; i < repeat; i++)
    if ((mute[i] = boot(env, "muted", NULL)) < 0 ||
        (kept[i] = boot(env, "talkers", NULL)) < 0 ||
        (disk[i] = boot(env, "talkers", "logs.json")) < 0)
      return -1;
  double base = median(mute, repeat);
  add_row("100 lines each, kept in memory (s)", n, median(kept, repeat), base,
          "s");
  add_row("100 lines each, and in a log dir (s)", n, median(disk, repeat),
          base, "s");
  return 0;
}
