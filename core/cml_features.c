/* cml_features.c - see cml_features.h. The keys are those of Fuchsia's
 * tools/lib/cml/src/types (document.rs, use.rs, offer.rs, expose.rs,
 * capability.rs, child.rs, collection.rs): where fern has no such
 * feature, the name a person knows it by. */
#include "cml_features.h"

#include <string.h>

typedef struct feature_s {
  const char *key;
  const char *where; /* a word of the context ("manifest", "use"), or "" */
  const char *feature;
} feature;

static const feature features[] = {
    {"config", "", "configuration capabilities"},
    {"service", "", "service capabilities"},
    {"event_stream", "", "event streams"},
    {"dictionary", "", "dictionaries"},
    {"scope", "", "event stream scopes"},
    {"filter", "", "event stream filters"},
    {"numbered_handle", "", "numbered handles (Zircon handles)"},
    {"source_availability", "", "source availability"},
    {"renamed_instances", "", "renamed service instances"},
    {"source_instance_filter", "", "service instance filters"},
    {"allowed_offers", "", "collections' allowed offers"},
    {"allow_long_names", "", "collections' long names"},
    {"persistent_storage", "", "collections' persistent storage"},
    {"delivery", "", "on-readable protocol delivery"},
    {"type", "use", "config capabilities' types"},
    {"key", "use", "configuration capabilities"},
};

const char *fern__cml_unsupported_key(const char *key, const char *what) {
  for (size_t i = 0; i < sizeof features / sizeof *features; i++) {
    const feature *f = &features[i];
    if (strcmp(f->key, key) == 0 &&
        (f->where[0] == '\0' || strstr(what, f->where) != NULL))
      return f->feature;
  }
  return NULL;
}

const char *fern__cml_unsupported_ref(const char *value) {
  if (value == NULL)
    return NULL;
  if (strcmp(value, "framework") == 0)
    return "capabilities of the framework (component_manager's own)";
  if (strcmp(value, "debug") == 0)
    return "use from debug";
  if (strcmp(value, "void") == 0)
    return "offers from void";
  if (strcmp(value, "all") == 0)
    return "offers to all children (to: \"all\")";
  if (strchr(value, '/') != NULL)
    return "dictionaries (a path such as \"parent/diagnostics\" names a "
           "capability in a dictionary)";
  return NULL;
}
