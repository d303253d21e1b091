/* policy.c - see policy.h. */
#include "policy.h"

#include <string.h>

static const char *const privileges[] = {"main_process_critical",
                                         "reboot_on_terminate", NULL};

static size_t segment_len(const char *s) {
  const char *slash = strchr(s, '/');
  return slash ? (size_t)(slash - s) : strlen(s);
}

int fern__moniker_matches(const char *pattern, const char *moniker) {
  if (*pattern == '/' && *moniker == '/') {
    pattern++;
    moniker++;
  }
  for (;;) {
    if (*pattern == '\0' || *moniker == '\0')
      return *pattern == '\0' && *moniker == '\0';
    size_t plen = segment_len(pattern), mlen = segment_len(moniker);
    if (plen == 2 && strncmp(pattern, "**", 2) == 0 && pattern[2] == '\0')
      return 1; /* a final "**" takes one or more segments */
    if (!(plen == 1 && *pattern == '*') &&
        (plen != mlen || strncmp(pattern, moniker, plen) != 0))
      return 0;
    pattern += plen + (pattern[plen] == '/');
    moniker += mlen + (moniker[mlen] == '/');
    if ((pattern[-1] == '/') != (moniker[-1] == '/'))
      return 0;
  }
}

int fern__policy_check(const json_t *policy, const char *origin,
                       fern_error_t *err) {
  if (policy == NULL)
    return FERN_OK;
  if (!json_is_object(policy))
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "%s: \"security_policy\" must be an object", origin);
  const char *key;
  json_t *list;
  json_object_foreach((json_t *)policy, key, list) {
    size_t i = 0;
    while (privileges[i] != NULL && strcmp(privileges[i], key) != 0)
      i++;
    if (privileges[i] == NULL)
      return fern_error_set(err, FERN_EINVAL, NULL,
                            "%s: unknown privilege \"%s\" in "
                            "\"security_policy\" (expected "
                            "\"main_process_critical\" or "
                            "\"reboot_on_terminate\")",
                            origin, key);
    json_t *item;
    if (!json_is_array(list))
      return fern_error_set(err, FERN_EINVAL, NULL,
                            "%s: security_policy.%s must be an array of "
                            "moniker patterns",
                            origin, key);
    json_array_foreach(list, i, item) {
      const char *p = json_string_value(item);
      if (p == NULL || p[0] != '/')
        return fern_error_set(err, FERN_EINVAL, NULL,
                              "%s: security_policy.%s[%zu] must be a moniker "
                              "pattern starting with '/'",
                              origin, key, i);
    }
  }
  return FERN_OK;
}

int fern__policy_allows(const json_t *policy, const char *privilege,
                        const char *moniker, fern_error_t *err) {
  json_t *list = json_object_get(policy, privilege);
  size_t i;
  json_t *item;
  json_array_foreach(list, i, item) {
    if (fern__moniker_matches(json_string_value(item), moniker))
      return FERN_OK;
  }
  return fern_error_set(err, FERN_EACCES, NULL,
                        "%s is not allowed %s by the security policy (add a "
                        "pattern matching it to security_policy.%s in the "
                        "manager's configuration)",
                        moniker, privilege, privilege);
}
