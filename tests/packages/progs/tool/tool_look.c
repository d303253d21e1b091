/* tool_look.c - part of the test program tool (src/tool.c): what it
 * sees, its namespace, descriptors, limits, /proc status and
 * configuration. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <fern/lifecycle.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

extern char **environ;

/* "cat" or "write" `rel` under $FERN_NAMESPACE, as a component finds
 * what it uses there. */
int namespace_file(const char *how, const char *rel) {
  char path[4096];
  const char *ns = getenv("FERN_NAMESPACE");
  snprintf(path, sizeof path, "%s/%s", ns ? ns : "", rel);
  FILE *f = fopen(path, how[0] == 'c' ? "r" : "w");
  char text[512];
  if (f == NULL) {
    printf("cannot %s %s: %s\n", how[0] == 'c' ? "open" : "write", rel,
           strerror(errno));
    return 1;
  }
  if (how[0] == 'c' && fgets(text, sizeof text, f) != NULL)
    printf("%s", text);
  if (how[0] == 'w' && fputs("written\n", f) >= 0)
    printf("wrote %s\n", rel);
  fclose(f);
  return 0;
}

/* One more in the number kept in $FERN_NAMESPACE/REL: what a component
 * keeps across its runs. */
int namespace_count(const char *rel) {
  char path[4096];
  const char *ns = getenv("FERN_NAMESPACE");
  snprintf(path, sizeof path, "%s/%s", ns ? ns : "", rel);
  long count = 0;
  FILE *f = fopen(path, "r");
  if (f != NULL) {
    if (fscanf(f, "%ld", &count) != 1)
      count = 0;
    fclose(f);
  }
  f = fopen(path, "w");
  if (f == NULL || fprintf(f, "%ld\n", count + 1) < 0 || fclose(f) != 0) {
    printf("cannot count in %s: %s\n", rel, strerror(errno));
    return 1;
  }
  printf("count %ld\n", count + 1);
  return 0;
}

void print_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  int self = dirfd(d);
  printf("fds");
  struct dirent *e;
  int fds[256], n = 0;
  while ((e = readdir(d)) != NULL && n < 256)
    if (e->d_name[0] != '.' && atoi(e->d_name) != self)
      fds[n++] = atoi(e->d_name);
  closedir(d);
  for (int i = 0; i < n; i++) /* readdir order is ascending here */
    printf(" %d", fds[i]);
  printf("\n");
}

void print_limit(const char *name, int resource) {
  struct rlimit r;
  getrlimit(resource, &r);
  printf("%s ", name);
  if (r.rlim_cur == RLIM_INFINITY)
    printf("unlimited ");
  else
    printf("%llu ", (unsigned long long)r.rlim_cur);
  if (r.rlim_max == RLIM_INFINITY)
    printf("unlimited\n");
  else
    printf("%llu\n", (unsigned long long)r.rlim_max);
}

/* The lines of /proc/self/status that start with one of `keys`. */
int print_status(const char *const *keys, int n) {
  FILE *f = fopen("/proc/self/status", "r");
  char text[256];
  while (f != NULL && fgets(text, sizeof text, f) != NULL)
    for (int i = 0; i < n; i++)
      if (strncmp(text, keys[i], strlen(keys[i])) == 0)
        printf("%s", text);
  if (f != NULL)
    fclose(f);
  return f != NULL ? 0 : 1;
}

/* "config": the file FERN_CONFIG names, its one line, as "config: ...". */
int print_config(void) {
  const char *path = getenv("FERN_CONFIG");
  char text[4096];
  FILE *f = path != NULL ? fopen(path, "r") : NULL;
  if (f == NULL) {
    printf("no config: FERN_CONFIG=%s\n", path ? path : "(unset)");
    return 1;
  }
  int ok = fgets(text, sizeof text, f) != NULL;
  fclose(f);
  if (ok)
    printf("config: %s", text);
  return ok ? 0 : 1;
}
