/* oci_given.c - what a start gives the container beside its program:
 * the capabilities it uses, the sockets it serves, its configuration; a
 * prepared bundle, being its author's config.json, can be given none of
 * them. See oci_run.h. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/runner_common.h"
#include "oci.h"
#include "oci_run.h"

/* Each used protocol's socket and directory, mounted at its path under
 * OCI_NAMESPACE_DIR, into *out; a prepared bundle's config.json is the
 * author's, and cannot be given them. */
int oci_uses_read(const fern_start_info_t *info, json_t **out,
                     fern_error_t *err) {
  *out = NULL;
  if (info->use_count > 0 && json_object_get(info->program, "bundle"))
    return fern_error_set(err, FERN_ENOTSUP, "/bundle",
                          "a prepared bundle's config.json cannot be given "
                          "what the component uses (\"%s\"); give "
                          "\"rootfs\" instead",
                          info->uses[0].name);
  json_t *uses = json_array();
  for (size_t i = 0; uses != NULL && i < info->use_count; i++) {
    const fern_used_capability_t *use = &info->uses[i];
    char destination[PATH_MAX];
    if ((use->kind != FERN_CAPABILITY_PROTOCOL &&
         use->kind != FERN_CAPABILITY_DIRECTORY &&
         use->kind != FERN_CAPABILITY_STORAGE) ||
        use->host_path == NULL) {
      json_decref(uses);
      return fern_error_set(err, FERN_ENOTSUP, NULL,
                            "the oci runner cannot mount \"%s\" into the "
                            "container: it mounts protocols, directories and "
                            "storage",
                            use->name);
    }
    snprintf(destination, sizeof destination, OCI_NAMESPACE_DIR "%s",
             use->path);
    /* A directory without the rights to write is mounted read-only. */
    int read_only = use->kind == FERN_CAPABILITY_DIRECTORY && !use->writable;
    json_array_append_new(uses, json_pack("{s:s, s:s, s:b}", "source",
                                          use->host_path, "destination",
                                          destination, "read_only",
                                          read_only));
  }
  if (uses == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  *out = uses;
  return FERN_OK;
}

/* The names of the protocols a start serves, joined by ':' as
 * LISTEN_FDNAMES joins them (sd_listen_fds_with_names(3)), into *names
 * (NULL when it serves none). A prepared bundle cannot be given them. */
int oci_serves_read(const fern_start_info_t *info, char **names,
                       fern_error_t *err) {
  size_t count = runner_serve_count(info), size = 1;
  *names = NULL;
  if (count == 0)
    return FERN_OK;
  if (json_object_get(info->program, "bundle") != NULL)
    return fern_error_set(err, FERN_ENOTSUP, "/bundle",
                          "a prepared bundle's config.json cannot be given "
                          "the sockets of the protocols the component serves "
                          "(\"%s\"); give \"rootfs\" instead",
                          info->serves[0].name);
  for (size_t i = 0; i < count; i++)
    size += strlen(info->serves[i].name) + 1;
  if ((*names = calloc(1, size)) == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  for (size_t i = 0; i < count; i++) {
    if (i > 0)
      strcat(*names, ":");
    strcat(*names, info->serves[i].name);
  }
  return FERN_OK;
}

/* A prepared bundle's config.json is the author's: it cannot be given
 * the component's structured configuration either. */
int oci_config_deliverable(const fern_start_info_t *info,
                              fern_error_t *err) {
  if (runner_config_path(info) == NULL ||
      json_object_get(info->program, "bundle") == NULL)
    return FERN_OK;
  return fern_error_set(err, FERN_ENOTSUP, "/bundle",
                        "a prepared bundle's config.json cannot be given the "
                        "component's structured configuration; give "
                        "\"rootfs\" instead");
}
