/* argv_echo - a stand-in for a real package's program (node, mysqld,
 * python): prints each argument, its working directory, and its
 * environment, one line each, so a test sees what it was given; and for
 * an argument that is an absolute path to a file it can read, that file's
 * first line, or for a directory its entries, sorted, so a test sees
 * which file the path means to it. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static int not_dots(const struct dirent *e) {
  return strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
}

static void list_dir(const char *path) {
  struct dirent **entries;
  int n = scandir(path, &entries, not_dots, alphasort);
  if (n < 0)
    return;
  printf("dir %s", path);
  for (int i = 0; i < n; i++) {
    printf(" %s", entries[i]->d_name);
    free(entries[i]);
  }
  printf("\n");
  free(entries);
}

int main(int argc, char **argv) {
  for (int i = 0; i < argc; i++)
    printf("argv[%d] %s\n", i, argv[i]);
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] == '/')
      list_dir(argv[i]);
    FILE *f = argv[i][0] == '/' ? fopen(argv[i], "re") : NULL;
    char line[256];
    if (f != NULL && fgets(line, sizeof line, f) != NULL)
      printf("file %s %s%s", argv[i], line,
             strchr(line, '\n') != NULL ? "" : "\n");
    if (f != NULL)
      fclose(f);
  }
  char cwd[4096];
  printf("cwd %s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
  for (char **e = environ; *e != NULL; e++)
    printf("env %s\n", *e);
  return 0;
}
