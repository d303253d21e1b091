/* tiny - the benchmark's program, static and as small as it gets:
 * "tiny exit" exits 0 at once; "tiny" (no argument) waits for SIGTERM and
 * exits 0 on it. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

static void on_term(int sig) {
  (void)sig;
  _exit(0);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "exit") == 0)
    return 0;
  signal(SIGTERM, on_term);
  for (;;)
    pause();
}
