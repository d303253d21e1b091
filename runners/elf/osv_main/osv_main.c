/* fern-osv-main - runs a program built as OSv builds its applications,
 * -fPIC -shared: a shared object with a main. OSv loads the object and
 * calls its main with the command's words (OSv's core/app.cc looks main
 * up in the object's symbols and calls it with argc and argv); Linux
 * cannot exec such a file, so the ELF runner execs this instead:
 *
 *   fern-osv-main FD ARGV0 [ARG...]
 *
 * loads the object open at descriptor FD (the very file the runner
 * checked inside the package: never its path again, which may have
 * changed since; so $ORIGIN in its library paths names /proc/self/fd),
 * closes FD, and exits with what its main returns, argv[0] being ARGV0,
 * the path as the command wrote it. The environment is the process's. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int (*main_fn)(int, char **);

int main(int argc, char **argv) {
  char *end = NULL;
  long fd = argc >= 3 ? strtol(argv[1], &end, 10) : -1;
  if (argc < 3 || end == argv[1] || *end != '\0' || fd < 3) {
    fprintf(stderr, "usage: fern-osv-main FD ARGV0 [ARG...]\n");
    return 127;
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%ld", fd);
  void *object = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
  close((int)fd);
  if (object == NULL) {
    fprintf(stderr, "fern-osv-main: cannot load %s: %s\n", argv[2],
            dlerror());
    return 127;
  }
  main_fn object_main;
  void *symbol = dlsym(object, "main");
  memcpy(&object_main, &symbol, sizeof object_main);
  if (symbol == NULL) {
    fprintf(stderr,
            "fern-osv-main: %s exports no main, so OSv would not run it "
            "either\n",
            argv[2]);
    return 127;
  }
  /* As the program would see itself named had it been exec'd. */
  program_invocation_name = argv[2];
  const char *slash = strrchr(argv[2], '/');
  program_invocation_short_name = (char *)(slash != NULL ? slash + 1 : argv[2]);
  return object_main(argc - 2, argv + 2);
}
