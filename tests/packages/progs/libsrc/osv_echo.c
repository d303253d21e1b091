/* osv_echo - an application as OSv builds them (Capstan's docs: gcc
 * -fPIC -shared -o echo.so echo.c): a shared object with a main, which
 * OSv loads and calls. It prints its argv, one line each, its working
 * directory, and $GREETING; and returns its first argument's number. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  for (int i = 0; i < argc; i++)
    printf("argv[%d] %s\n", i, argv[i]);
  char cwd[4096];
  printf("cwd %s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
  printf("GREETING %s\n", getenv("GREETING") ? getenv("GREETING") : "-");
  fflush(stdout);
  return argc > 1 ? atoi(argv[1]) : 0;
}
