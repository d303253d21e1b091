/* elf.c - the ELF runner: native Linux programs from a package, run by the
 * host's process service (fern/process.h) with FERN_SPAWN_ELF, so the
 * binary is checked (inside the package, an ELF program for this machine,
 * with an interpreter the kernel takes) before it is spawned. Stop is the
 * lifecycle "stop" message when the program asked for it, else SIGTERM to
 * its job; kill is SIGKILL to the whole job. Config keys (for the runner,
 * not a program): "job", "pidfd", "clone3", "exec" (native.h). A program
 * block with "shared_object": true runs a -shared object's main
 * (elf_shared.h); with "root": "package" the package is the program's file
 * system root, as an OSv image is (FERN_SPAWN_PACKAGE_ROOT). */
#include "../common/native.h"
#include "../common/runner_common.h"
#include "elf_shared.h"

#include <string.h>

static int elf_validate_config(const json_t *config, fern_error_t *err) {
  return native_config_validate(config, "elf", NULL, err);
}

static int elf_validate(const json_t *config, const json_t *program,
                        fern_error_t *err) {
  static const char *const own[] = {"shared_object", "argv0", "root", NULL};
  (void)config;
  const json_t *shared = json_object_get(program, "shared_object");
  const json_t *argv0 = json_object_get(program, "argv0");
  if (shared != NULL && !json_is_boolean(shared))
    return fern_error_set(err, FERN_EINVAL, "/shared_object",
                          "\"shared_object\" must be true or false");
  if (argv0 != NULL && (!json_is_string(argv0) ||
                        json_string_length(argv0) == 0))
    return fern_error_set(err, FERN_EINVAL, "/argv0",
                          "\"argv0\" must be a non-empty string");
  const json_t *root = json_object_get(program, "root");
  if (root != NULL && (!json_is_string(root) ||
                       strcmp(json_string_value(root), "package") != 0))
    return fern_error_set(err, FERN_EINVAL, "/root",
                          "\"root\" can only be \"package\" (the package as "
                          "the program's file system root)");
  return native_program_validate(program, "elf", own, err);
}

uint32_t elf_root_flags(const json_t *program) {
  return json_object_get(program, "root") != NULL ? FERN_SPAWN_PACKAGE_ROOT
                                                  : 0;
}

static int elf_create(const fern_host_t *host, const json_t *config,
                      void **runner, fern_error_t *err) {
  return native_runner_create(host, config, "elf", (native_runner **)runner,
                              err);
}

/* In a root of its own the program cannot reach the namespace directory
 * or the configuration file, which are fern's, on the host: such a start
 * is refused, saying so, rather than given paths that lead nowhere. */
static int refuse_what_the_root_hides(const fern_start_info_t *info,
                                      fern_error_t *err) {
  if (elf_root_flags(info->program) == 0)
    return FERN_OK;
  if (info->use_count > 0)
    return fern_error_set(err, FERN_ENOTSUP, "/root",
                          "a program with \"root\": \"package\" cannot use "
                          "capabilities yet: its namespace is fern's, "
                          "outside the package");
  if (runner_config_path(info) != NULL)
    return fern_error_set(err, FERN_ENOTSUP, "/root",
                          "a program with \"root\": \"package\" cannot "
                          "have structured configuration yet: its file is "
                          "fern's, outside the package");
  return FERN_OK;
}

static int elf_start(void *runner, const fern_start_info_t *info,
                     void **controller, fern_error_t *err) {
  int refused = refuse_what_the_root_hides(info, err);
  if (refused != FERN_OK)
    return refused;
  if (json_is_true(json_object_get(info->program, "shared_object")))
    return elf_shared_start(runner, info, controller, err);
  native_start how = {.flags = FERN_SPAWN_ELF | elf_root_flags(info->program),
                      .shares_namespace = 1};
  return native_runner_start(runner, info, &how, controller, err);
}

FERN_RUNNER_PLUGIN(.name = "elf",
                   .description = "native Linux ELF programs from a package",
                   .capabilities = FERN_RUNNER_CAP_GRACEFUL_STOP,
                   .validate_config = elf_validate_config,
                   .create = elf_create, .release = native_runner_release,
                   .validate = elf_validate, .start = elf_start,
                   .stop = native_op_stop, .kill = native_op_kill,
                   .controller_release = native_op_controller_release,
                   .cost = native_op_cost);
