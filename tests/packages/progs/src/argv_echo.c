/* argv_echo - a stand-in for a real package's program (node, mysqld,
 * python): prints each argument, its working directory, and its
 * environment, one line each, so a test sees what it was given. */
#include <stdio.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
  for (int i = 0; i < argc; i++)
    printf("argv[%d] %s\n", i, argv[i]);
  char cwd[4096];
  printf("cwd %s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
  for (char **e = environ; *e != NULL; e++)
    printf("env %s\n", *e);
  return 0;
}
