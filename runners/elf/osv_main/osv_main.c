/* fern-osv-main - runs a program built as OSv builds its applications,
 * -fPIC -shared: a shared object with a main. OSv loads the object and
 * calls its main with the command's words (OSv's core/app.cc looks main
 * up in the object's symbols and calls it with argc and argv); Linux
 * cannot exec such a file, so the ELF runner execs this instead:
 *
 *   fern-osv-main OBJECT ARGV0 [ARG...]
 *
 * loads OBJECT (its dependencies found as the dynamic loader finds them)
 * and exits with what its main returns, argv[0] being ARGV0, the path as
 * the command wrote it. The environment is the process's. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*main_fn)(int, char **);

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: fern-osv-main OBJECT ARGV0 [ARG...]\n");
    return 127;
  }
  void *object = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL);
  if (object == NULL) {
    fprintf(stderr, "fern-osv-main: cannot load %s: %s\n", argv[1],
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
            argv[1]);
    return 127;
  }
  /* As the program would see itself named had it been exec'd. */
  program_invocation_name = argv[2];
  const char *slash = strrchr(argv[2], '/');
  program_invocation_short_name = (char *)(slash != NULL ? slash + 1 : argv[2]);
  return object_main(argc - 2, argv + 2);
}
