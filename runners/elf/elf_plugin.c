/* elf_plugin.c - the ELF runner plugin's table: elf.c's operations and
 * the ELF program keys. */
#include "elf_runner.h"

static int elf_validate_config(const json_t *config, fern_error_t *err) {
  return elf_config_validate(config, "elf", err);
}

static int elf_validate(const json_t *config, const json_t *program,
                        fern_error_t *err) {
  (void)config;
  return elf_program_validate(program, "elf", NULL, err);
}

FERN_RUNNER_PLUGIN(.name = "elf",
                   .description = "native Linux ELF programs from a package",
                   .capabilities = FERN_RUNNER_CAP_GRACEFUL_STOP,
                   .validate_config = elf_validate_config,
                   .create = elf_op_create, .release = elf_op_release,
                   .validate = elf_validate, .start = elf_op_start,
                   .stop = elf_op_stop, .kill = elf_op_kill,
                   .controller_release = elf_op_controller_release);
