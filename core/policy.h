// policy.h - the manager's security policy: which monikers may hold which
// privilege. Patterns are monikers whose segments may be "*" (any one
// segment) or a final "**" (one or more segments). In the configuration:
//
//   "security_policy": {
//     "main_process_critical": ["/core/**"],
//     "reboot_on_terminate":   ["/core/shell"]
//   }
#ifndef FERN_CORE_POLICY_H
#define FERN_CORE_POLICY_H

#include <fern/fern.h>

/* Whether `moniker` matches `pattern`. */
int fern__moniker_matches(const char *pattern, const char *moniker);

/* Checks the configuration's "security_policy" block (NULL: none). */
int fern__policy_check(const json_t *policy, const char *origin,
                       fern_error_t *err);

/* FERN_OK when `policy` lists a pattern for `privilege` that matches
 * `moniker`; else FERN_EACCES with a message that names the policy. */
int fern__policy_allows(const json_t *policy, const char *privilege,
                        const char *moniker, fern_error_t *err);

#endif
