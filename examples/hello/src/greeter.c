/* greeter - prints its arguments as one greeting, and where it runs. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    printf("%s%s", argv[i], i + 1 < argc ? " " : "\n");
  const char *moniker = getenv("FERN_MONIKER");
  printf("I am %s\n", moniker ? moniker : "(not run by fern)");
  return 0;
}
