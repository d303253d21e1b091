/* elf_shared.h - the ELF runner's programs built -shared, as OSv builds
 * its applications ("shared_object": true in the program block, which
 * the capstan resolver sets for such a file): Linux cannot exec them, so
 * fern-osv-main, installed beside the plugin, loads the object and calls
 * its main (runners/elf/osv_main). The object must be a file of the
 * package. */
#ifndef FERN_RUNNERS_ELF_SHARED_H
#define FERN_RUNNERS_ELF_SHARED_H

#include "../common/native.h"

/* FERN_SPAWN_PACKAGE_ROOT when the program block says "root": "package". */
uint32_t elf_root_flags(const json_t *program);

int elf_shared_start(native_runner *r, const fern_start_info_t *info,
                     void **controller, fern_error_t *err);

#endif
