/* fuzz_manifest.c - libFuzzer: manifest text through the parser and the
 * validator (fern__decl_parse does both), and every error's position. */
#include <stddef.h>
#include <stdint.h>

#include "../core/decl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fern__decl *decl = NULL;
  fern_error_t err = FERN_ERROR_INIT;
  if (fern__decl_parse((const char *)data, size, "fuzz.cm", &decl, &err) ==
      FERN_OK)
    fern__decl_free(decl);
  return 0;
}
