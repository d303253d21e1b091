/* tool - one test program, many behaviours, chosen by the first argument:
 *   exit N        exit with status N
 *   signal N      die by signal N
 *   print ARGS    print each argument on its own line, then exit 0
 *   stderr TEXT   print TEXT on stderr, exit 0
 *   env           print the environment, one variable a line
 *   sleep         print "ready" and wait for a signal (default actions)
 *   ignore-term   ignore SIGTERM, print "ready", wait forever
 *   touch NAME    create NAME in the working directory, exit 0
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static _Noreturn void wait_forever(void) {
  printf("ready\n");
  fflush(stdout);
  for (;;)
    pause();
}

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "";
  if (strcmp(what, "exit") == 0 && argc > 2)
    return atoi(argv[2]);
  if (strcmp(what, "signal") == 0 && argc > 2) {
    signal(atoi(argv[2]), SIG_DFL);
    raise(atoi(argv[2]));
    return 99;
  }
  if (strcmp(what, "print") == 0) {
    for (int i = 2; i < argc; i++)
      printf("%s\n", argv[i]);
    return 0;
  }
  if (strcmp(what, "stderr") == 0 && argc > 2) {
    fprintf(stderr, "%s\n", argv[2]);
    return 0;
  }
  if (strcmp(what, "env") == 0) {
    for (char **e = environ; *e != NULL; e++)
      printf("%s\n", *e);
    return 0;
  }
  if (strcmp(what, "sleep") == 0)
    wait_forever();
  if (strcmp(what, "ignore-term") == 0) {
    signal(SIGTERM, SIG_IGN);
    wait_forever();
  }
  if (strcmp(what, "touch") == 0 && argc > 2) {
    FILE *f = fopen(argv[2], "w");
    return f != NULL && fclose(f) == 0 ? 0 : 1;
  }
  fprintf(stderr, "tool: unknown behaviour \"%s\"\n", what);
  return 2;
}
