/* fuzz_url.c - libFuzzer: component URLs through the parser (decoding and
 * the rules that keep a URL inside its package) and relative joining. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../core/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (text == NULL)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  fern__url url;
  fern_error_t err = FERN_ERROR_INIT;
  if (fern__url_parse(text, &url, &err) == FERN_OK) {
    if (url.kind != FERN_URL_ABSOLUTE)
      free(fern__url_relative_key("file:///pkg", text));
    fern__url_free(&url);
  }
  free(text);
  return 0;
}
