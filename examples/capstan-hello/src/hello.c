/* hello - greets with the config set's env: "GREETING, AUDIENCE! ARGS". */
#include <stdio.h>
#include <stdlib.h>

static const char *env_or(const char *name, const char *fallback) {
  const char *value = getenv(name);
  return value != NULL ? value : fallback;
}

int main(int argc, char **argv) {
  printf("%s, %s!", env_or("GREETING", "Hi"), env_or("AUDIENCE", "there"));
  for (int i = 1; i < argc; i++)
    printf(" %s", argv[i]);
  printf("\n");
  return 0;
}
