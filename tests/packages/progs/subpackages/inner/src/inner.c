/* inner - the program of a subpackage: says where it runs from. */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  printf("inner from %s\n", getenv("FERN_PACKAGE_DIR"));
  return 0;
}
