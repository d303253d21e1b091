/* counter - counts to its argument, one line each, then exits 0. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 3;
  for (int i = 1; i <= n; i++)
    printf("count %d of %d\n", i, n);
  return 0;
}
