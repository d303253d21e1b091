/* client - starts only once the daemon it belongs to is ready. */
#include <stdio.h>

int main(void) {
  printf("client: the daemon was ready before I started\n");
  return 0;
}
