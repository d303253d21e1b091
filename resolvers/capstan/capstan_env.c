/* capstan_env.c - see capstan_env.h. */
#include "capstan_env.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The one IPv4 address of an interface that is up and not loopback, if
 * exactly one has one (loader.cc sets OSV_IP only then). */
static int sole_address(char *out, size_t size) {
  struct ifaddrs *all = NULL;
  int found = 0;
  if (getifaddrs(&all) != 0)
    return 0;
  for (struct ifaddrs *a = all; a != NULL; a = a->ifa_next) {
    if (a->ifa_addr == NULL || a->ifa_addr->sa_family != AF_INET ||
        (a->ifa_flags & IFF_LOOPBACK) || !(a->ifa_flags & IFF_UP))
      continue;
    found++;
    inet_ntop(AF_INET, &((struct sockaddr_in *)a->ifa_addr)->sin_addr, out,
              (socklen_t)size);
  }
  freeifaddrs(all);
  return found == 1;
}

void capstan_env_osv(json_t *env) {
  cpu_set_t cpus;
  int count = sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus)
                                                           : 1;
  char text[64];
  json_object_set_new(env, "OSV_VERSION",
                      json_string("fern-" FERN_VERSION_STRING));
  snprintf(text, sizeof text, "%d", count);
  json_object_set_new(env, "OSV_CPUS", json_string(text));
  if (sole_address(text, sizeof text))
    json_object_set_new(env, "OSV_IP", json_string(text));
}

char *capstan_env_expand(const json_t *env, const char *word) {
  const char *dollar = strchr(word, '$');
  if (dollar == NULL)
    return strdup(word);
  const char *value = json_string_value(json_object_get(env, dollar + 1));
  char *out = NULL;
  if (asprintf(&out, "%.*s%s", (int)(dollar - word), word,
               value != NULL ? value : "") < 0)
    return NULL;
  return out;
}

int capstan_env_option(json_t *env, const char *text, fern_error_t *err) {
  /* "?=" is looked for first, then '=' (runscript_process_options). */
  const char *soft = strstr(text, "?=");
  const char *eq = soft != NULL ? soft : strchr(text, '=');
  if (eq == NULL)
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "expected 'KEY(?)=value' but instead got '%s'",
                          text);
  if (eq == text) /* OSv sets nothing for an empty name */
    return FERN_OK;
  char *key = strndup(text, (size_t)(eq - text));
  char *value = capstan_env_expand(env, eq + (soft != NULL ? 2 : 1));
  int rc = key != NULL && value != NULL ? FERN_OK
                                        : fern_error_set(err, FERN_ENOMEM, NULL,
                                                         "out of memory");
  if (rc == FERN_OK && (soft == NULL || json_object_get(env, key) == NULL))
    json_object_set_new(env, key, json_string(value));
  free(key);
  free(value);
  return rc;
}

int capstan_env_options(json_t *env, const json_t *words, size_t *first,
                        fern_error_t *err) {
  size_t n = json_array_size(words), i = 0;
  int rc = FERN_OK;
  for (; rc == FERN_OK && i < n; i++) {
    const char *w = json_string_value(json_array_get(words, i));
    if (w[0] != '-')
      break;
    rc = strncmp(w, "--env=", 6) == 0
             ? capstan_env_option(env, w + 6, err)
             : fern_error_set(err, FERN_EINVAL, NULL,
                              "unrecognised option '%s' (a command may start "
                              "with --env=KEY=value or --env=KEY?=value "
                              "only)",
                              w);
  }
  if (rc == FERN_OK && i == n)
    rc = fern_error_set(err, FERN_EINVAL, NULL,
                        "a command of --env options only names no program");
  *first = i;
  return rc;
}

int capstan_env_words(const json_t *env, const json_t *words, size_t first,
                      json_t **argv, fern_error_t *err) {
  *argv = json_array();
  int rc = *argv != NULL ? FERN_OK
                         : fern_error_set(err, FERN_ENOMEM, NULL,
                                          "out of memory");
  for (size_t i = first; rc == FERN_OK && i < json_array_size(words); i++) {
    char *w = capstan_env_expand(env, json_string_value(json_array_get(words,
                                                                       i)));
    if (w == NULL || json_array_append_new(*argv, json_string(w)) != 0)
      rc = fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
    free(w);
  }
  if (rc != FERN_OK) {
    json_decref(*argv);
    *argv = NULL;
  }
  return rc;
}
