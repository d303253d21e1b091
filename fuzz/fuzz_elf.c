/* fuzz_elf.c - libFuzzer: files the ELF runner checks before it spawns
 * them, and whose interpreter and libraries the sandbox runner looks for
 * (the bounded reader of core/proc/elf_image.c on hostile headers,
 * program headers, dynamic segments and strings), from a memory file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../core/manager.h"
#include "../runners/sandbox/sandbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void free_pairs(char **pairs) {
  for (size_t i = 0; pairs[i] != NULL; i++)
    free(pairs[i]);
  free(pairs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
  if (fd < 0)
    return 0;
  if (write(fd, data, size) == (ssize_t)size) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    fern_error_t err = FERN_ERROR_INIT;
    elf_binary_check(fd, path, "fuzz", &err);
    char **libs = NULL;
    const char *const env[] = {"LD_LIBRARY_PATH=$ORIGIN/lib:;/nonexistent",
                               NULL};
    static fern__manager manager;
    fern__host_init(&manager);
    sandbox_program program = {fd, path, "/nonexistent", env, &manager.host};
    if (sandbox_libraries(&program, &libs, &err) == FERN_OK)
      free_pairs(libs);
  }
  close(fd);
  return 0;
}
