/* manifest_provided.c - the protocols, directories and storage a
 * manifest declares in "capabilities", as cmc checks them: a directory's
 * path in the package and its rights, a storage's backing directory,
 * subdir and storage_id; one declaration per name, of any kind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest_parts.h"

/* A directory capability's "path": where it is in the package. cmc wants
 * an absolute path there (in the outgoing directory); fern takes it
 * relative to the package's root, with or without the leading '/'. */
static int read_directory_path(fern__mcheck *mc, const json_t *entry,
                               const char *at, const char **path) {
  int rc = fern__mcheck_string(mc, entry, at, "path", 1, path);
  if (rc != FERN_OK)
    return rc;
  fern__pointer p;
  snprintf(p, sizeof p, "%s/path", at);
  if (strcmp(*path, "/") == 0 || strcmp(*path, ".") == 0) {
    *path = ".";
    return FERN_OK; /* the whole package */
  }
  *path += (*path)[0] == '/';
  return fern__mr_check_relative(mc, *path, p, "path");
}

/* A storage capability's own keys (CML's storage: "from", "backing_dir",
 * "subdir", "storage_id"). What "backing_dir" names from self is checked
 * once every capability is read (check_backing_dirs). */
static int read_storage(fern__mcheck *mc, const json_t *entry, const char *at,
                        fern__provided_decl *out) {
  static const char *const ids[] = {"static_instance_id_or_moniker",
                                    "static_instance_id", NULL};
  int rc = fern__mr_read_ref_key(mc, entry, at, "from", NULL,
                        "\"parent\", \"self\" or \"#<child>\"", 0,
                        &out->backing_from);
  if (rc == FERN_OK)
    rc = fern__mcheck_string(mc, entry, at, "backing_dir", 1,
                             &out->backing_dir);
  fern__pointer p;
  snprintf(p, sizeof p, "%s/backing_dir", at);
  if (rc == FERN_OK)
    rc = fern__mcheck_name(mc, out->backing_dir, p, "directory");
  if (rc == FERN_OK)
    rc = fern__mcheck_string(mc, entry, at, "subdir", 0,
                             &out->storage_subdir);
  snprintf(p, sizeof p, "%s/subdir", at);
  if (rc == FERN_OK && out->storage_subdir != NULL)
    rc = fern__mr_check_relative(mc, out->storage_subdir, p, "subdir");
  int id = 0;
  if (rc == FERN_OK)
    rc = fern__mcheck_enum(mc, entry, at, "storage_id", ids, &id);
  out->storage_id = id == 1 ? FERN_STORAGE_ID_ONLY : FERN_STORAGE_ID_OR_MONIKER;
  return rc;
}

int fern__mr_read_capability(fern__mcheck *mc, fern__decl *decl,
                           const json_t *entry, const char *at,
                           unsigned index, fern__route_kind kind) {
  static const char *const protocol_keys[] = {"protocol", "path", NULL};
  static const char *const directory_keys[] = {"directory", "path", "rights",
                                               NULL};
  static const char *const storage_keys[] = {
      "storage", "from", "backing_dir", "subdir", "storage_id", NULL};
  static const char *const *const keys[] = {protocol_keys, directory_keys,
                                            storage_keys};
  char what[64];
  snprintf(what, sizeof what, "a %s capability", fern__route_kind_name(kind));
  const char **names = NULL;
  size_t count = 0;
  fern__provided_decl proto = {.kind = kind, .index = index};
  int rc = fern__mcheck_keys(mc, entry, at, what, keys[kind]);
  if (rc == FERN_OK)
    rc = fern__mr_read_names(mc, entry, at, kind, &names, &count);
  if (rc == FERN_OK)
    rc = fern__mr_single_only(mc, entry, at, "path", count);
  if (rc == FERN_OK && kind == FERN_ROUTE_PROTOCOL)
    rc = fern__mcheck_string(mc, entry, at, "path", 0, &proto.path);
  if (rc == FERN_OK && kind == FERN_ROUTE_DIRECTORY)
    rc = read_directory_path(mc, entry, at, &proto.path);
  if (rc == FERN_OK && kind == FERN_ROUTE_DIRECTORY)
    rc = fern__mr_read_rights(mc, entry, at, 1, &proto.rights);
  if (rc == FERN_OK && kind == FERN_ROUTE_STORAGE)
    rc = read_storage(mc, entry, at, &proto);
  for (size_t i = 0; rc == FERN_OK && i < count; i++) {
    if (fern__mr_declared(decl, names[i])) {
      rc = fern__mfail(mc, at, "capability \"%s\" is declared twice",
                       names[i]);
      break;
    }
    fern__provided_decl *grown =
        realloc(decl->provided, (decl->provided_count + 1) * sizeof *grown);
    if (grown == NULL) {
      rc = fern_error_set(mc->err, FERN_ENOMEM, NULL, "out of memory");
      break;
    }
    decl->provided = grown;
    proto.name = names[i];
    decl->provided[decl->provided_count++] = proto;
  }
  free(names);
  return rc;
}

/* A storage backed from self names a directory this component declares
 * (cmc: "backing_dir" ... "does not appear in capabilities"). */
int fern__mr_check_backing_dirs(fern__mcheck *mc, const fern__decl *decl) {
  for (size_t i = 0; i < decl->provided_count; i++) {
    const fern__provided_decl *s = &decl->provided[i];
    if (s->kind != FERN_ROUTE_STORAGE || s->backing_from.kind != FERN_REF_SELF)
      continue;
    const fern__provided_decl *d = fern__mr_declared(decl, s->backing_dir);
    if (d != NULL && d->kind == FERN_ROUTE_DIRECTORY)
      continue;
    fern__pointer p;
    snprintf(p, sizeof p, "/capabilities/%u/backing_dir", s->index);
    return fern__mfail(mc, p, "storage \"%s\" is backed by directory \"%s\" "
                              "from self, which is not declared as a "
                              "\"directory\" in \"capabilities\"",
                       s->name, s->backing_dir);
  }
  return FERN_OK;
}
