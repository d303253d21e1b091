/* fuzz_elf.c - libFuzzer: files the ELF runner checks before it spawns
 * them (libelf reading a hostile header), from a memory file. */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../runners/elf/elf_runner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
  if (fd < 0)
    return 0;
  if (write(fd, data, size) == (ssize_t)size) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    fern_error_t err;
    elf_binary_check(fd, path, "fuzz", &err);
  }
  close(fd);
  return 0;
}
