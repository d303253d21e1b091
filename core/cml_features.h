/* cml_features.h - CML's features that fern does not have, by name: a
 * manifest written for Fuchsia that uses one is refused with the feature
 * named, not with a bare "unknown key". The table of every CML feature
 * and fern's answer is docs/cml.md. */
#ifndef FERN_CORE_CML_FEATURES_H
#define FERN_CORE_CML_FEATURES_H

/* The feature CML's key `key` stands for where `what` (as the manifest
 * checks word it: "a manifest", "a use declaration", ...) holds it, when
 * fern does not support it; NULL for a key CML does not have there. */
const char *fern__cml_unsupported_key(const char *key, const char *what);

/* The same for a "from" or "to" value fern does not take ("framework",
 * "debug", "void", a dictionary path "parent/diagnostics"), or NULL. */
const char *fern__cml_unsupported_ref(const char *value);

#endif
