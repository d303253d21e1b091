/* oci_image.c - a component's OCI image: an image layout directory in
 * the package (as `skopeo copy ... oci:DIR:TAG`, `umoci` or `buildah
 * push oci:` write it: index.json, blobs/sha256/...), named "DIR:TAG" by
 * the program block's "image" (TAG "latest" when left out).
 *
 * The tag's manifest is found in index.json by its
 * org.opencontainers.image.ref.name annotation (image-spec's
 * annotations.md); its config blob gives Entrypoint, Cmd, Env and
 * WorkingDir (image-spec's config.md). The layers are unpacked by umoci
 * (`umoci unpack`: layers in order, whiteouts honoured, ownership and
 * modes kept, as root), once per manifest digest, into
 * STATE_DIR/images/HEX, which fern owns; the unpack goes to a fresh
 * directory renamed into place, so two starts at once never see half an
 * image. umoci also resolves the image's User against the image's own
 * /etc/passwd: its uid and gid are taken from what it wrote. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../core/proc/tree_remove.h"
#include "../common/runner_common.h"
#include "oci.h"
#include "oci_run.h"

extern char **environ;

/* "sha256:HEX" with HEX 64 lowercase hex digits: the blob's name. */
static const char *digest_hex(const char *digest) {
  if (digest == NULL || strncmp(digest, "sha256:", 7) != 0 ||
      strlen(digest + 7) != 64 ||
      strspn(digest + 7, "0123456789abcdef") != 64)
    return NULL;
  return digest + 7;
}

static json_t *read_blob(const char *layout, const char *digest,
                         fern_error_t *err) {
  const char *hex = digest_hex(digest);
  if (hex == NULL) {
    fern_error_set(err, FERN_EINVAL, "/image", "image %s: \"%s\" is not a "
                   "sha256 digest", layout, digest ? digest : "(none)");
    return NULL;
  }
  char path[PATH_MAX + 96];
  snprintf(path, sizeof path, "%s/blobs/sha256/%s", layout, hex);
  json_error_t why;
  json_t *blob = json_load_file(path, 0, &why);
  if (blob == NULL)
    fern_error_set(err, FERN_EINVAL, "/image", "image %s: blob %s: %s",
                   layout, digest, why.text);
  return blob;
}

/* The manifest digest of `tag` in the layout's index.json. */
static const char *find_tag(const json_t *index, const char *layout,
                            const char *tag, fern_error_t *err) {
  size_t i;
  const json_t *m;
  char tags[256] = "";
  json_array_foreach(json_object_get(index, "manifests"), i, m) {
    const char *name = json_string_value(json_object_get(
        json_object_get(m, "annotations"), "org.opencontainers.image.ref.name"));
    if (name != NULL && strcmp(name, tag) == 0)
      return json_string_value(json_object_get(m, "digest"));
    if (name != NULL && strlen(tags) + strlen(name) + 3 < sizeof tags)
      snprintf(tags + strlen(tags), sizeof tags - strlen(tags), "%s%s",
               tags[0] ? ", " : "", name);
  }
  fern_error_set(err, FERN_ENOENT, "/image",
                 "image layout %s has no tag \"%s\" (it has: %s)", layout,
                 tag, tags[0] ? tags : "none");
  return NULL;
}

/* umoci unpack --image LAYOUT:TAG INTO; what it said goes to the log. */
static int umoci_unpack(const char *layout, const char *tag,
                        const char *into, fern_error_t *err) {
  char ref[PATH_MAX + 160];
  snprintf(ref, sizeof ref, "%s:%s", layout, tag);
  char *argv[] = {"umoci", "unpack", "--image", ref, (char *)into, NULL};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  int rc = posix_spawnp(&pid, "umoci", &actions, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0)
    return fern_error_set(err, FERN_ENOENT, "/image",
                          "cannot run umoci, which unpacks OCI images for "
                          "fern (apt install umoci): %s",
                          strerror(rc));
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return fern_error_set(err, FERN_EIO, "/image", "umoci: %s",
                            strerror(errno));
  return WIFEXITED(status) && WEXITSTATUS(status) == 0
             ? FERN_OK
             : fern_error_set(err, FERN_EINVAL, "/image",
                              "umoci could not unpack %s (it exited %d)", ref,
                              WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* The image unpacked once per manifest digest, at `out`. */
static int unpack_once(const oci_run *run, const char *layout,
                       const char *tag, const char *hex, char *out,
                       size_t size, fern_error_t *err) {
  char images[1200], fresh[1300], into[1400];
  snprintf(images, sizeof images, "%s/images", run->runner->state_dir);
  oci_mkdirs(images);
  snprintf(out, size, "%s/%s", images, hex);
  if (access(out, F_OK) == 0)
    return FERN_OK;
  snprintf(fresh, sizeof fresh, "%s/.unpack-XXXXXX", images);
  if (mkdtemp(fresh) == NULL)
    return fern_error_set(err, FERN_EIO, "/image", "%s: %s", fresh,
                          strerror(errno));
  snprintf(into, sizeof into, "%s/bundle", fresh);
  int rc = umoci_unpack(layout, tag, into, err);
  if (rc == FERN_OK && rename(into, out) != 0 && errno != ENOTEMPTY &&
      errno != EEXIST)
    rc = fern_error_set(err, FERN_EIO, "/image", "%s: %s", out,
                        strerror(errno));
  tree_remove(fresh); /* what is left when another won, or failed */
  return rc;
}

/* The uid and gid umoci resolved the image's User to. */
static void read_user(const char *unpacked, oci_image *image) {
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/config.json", unpacked);
  json_t *config = json_load_file(path, 0, NULL);
  const json_t *user = json_object_get(json_object_get(config, "process"),
                                       "user");
  image->uid = (int)json_integer_value(json_object_get(user, "uid"));
  image->gid = (int)json_integer_value(json_object_get(user, "gid"));
  json_decref(config);
}

/* Entrypoint, Cmd and Env are lists of text (image-spec config.md), and
 * WorkingDir text: anything else is the image's error, named. */
static int check_config(const json_t *c, const char *layout,
                        fern_error_t *err) {
  static const char *const lists[] = {"Entrypoint", "Cmd", "Env", NULL};
  for (int i = 0; lists[i] != NULL; i++) {
    const json_t *list = json_object_get(c, lists[i]), *item;
    size_t k;
    int ok = list == NULL || json_is_null(list) || json_is_array(list);
    json_array_foreach(list, k, item) ok = ok && json_is_string(item);
    if (!ok)
      return fern_error_set(err, FERN_EINVAL, "/image",
                            "image %s: its config's %s is not a list of "
                            "text",
                            layout, lists[i]);
  }
  const json_t *cwd = json_object_get(c, "WorkingDir");
  if (cwd != NULL && !json_is_null(cwd) && !json_is_string(cwd))
    return fern_error_set(err, FERN_EINVAL, "/image",
                          "image %s: its config's WorkingDir is not text",
                          layout);
  return FERN_OK;
}

static int split_ref(const char *ref, char *dir, size_t size,
                     const char **tag) {
  const char *colon = strrchr(ref, ':');
  if (colon != NULL && strchr(colon, '/') == NULL && colon[1] != '\0') {
    snprintf(dir, size, "%.*s", (int)(colon - ref), ref);
    *tag = colon + 1;
  } else {
    snprintf(dir, size, "%s", ref);
    *tag = "latest";
  }
  return dir[0] != '\0' ? 0 : -1;
}

int oci_image_prepare(oci_run *run, const char *ref, fern_error_t *err) {
  char rel[PATH_MAX], layout[PATH_MAX], path[PATH_MAX + 16];
  const char *tag;
  if (split_ref(ref, rel, sizeof rel, &tag) != 0)
    return fern_error_set(err, FERN_EINVAL, "/image",
                          "\"image\" is \"DIR:TAG\", an image layout in the "
                          "package");
  int rc = run->host->package_path(run->host->ctx, run->package_dir, rel,
                                   layout, sizeof layout, err);
  if (rc != FERN_OK)
    return rc;
  snprintf(path, sizeof path, "%s/index.json", layout);
  json_error_t why;
  json_t *index = json_load_file(path, 0, &why);
  if (index == NULL)
    return fern_error_set(err, FERN_EINVAL, "/image",
                          "%s is not an OCI image layout: %s: %s", rel, path,
                          why.text);
  json_t *manifest = NULL, *config = NULL;
  const char *digest = find_tag(index, rel, tag, err);
  if (digest != NULL)
    manifest = read_blob(layout, digest, err);
  if (manifest != NULL)
    config = read_blob(layout, json_string_value(json_object_get(
                                   json_object_get(manifest, "config"),
                                   "digest")),
                       err);
  char unpacked[PATH_MAX];
  rc = config == NULL ? FERN_EINVAL
                      : unpack_once(run, layout, tag, digest_hex(digest),
                                    unpacked, sizeof unpacked, err);
  if (rc == FERN_OK)
    rc = check_config(json_object_get(config, "config"), rel, err);
  if (rc == FERN_OK) {
    json_t *c = json_object_get(config, "config");
    run->image.entrypoint = json_incref(json_object_get(c, "Entrypoint"));
    run->image.cmd = json_incref(json_object_get(c, "Cmd"));
    run->image.env = json_incref(json_object_get(c, "Env"));
    const char *cwd = json_string_value(json_object_get(c, "WorkingDir"));
    run->image.cwd = cwd && cwd[0] ? strdup(cwd) : NULL;
    read_user(unpacked, &run->image);
    snprintf(run->rootfs, sizeof run->rootfs, "%s/rootfs", unpacked);
  }
  json_decref(config);
  json_decref(manifest);
  json_decref(index);
  return rc;
}

void oci_image_free(oci_image *image) {
  json_decref(image->entrypoint);
  json_decref(image->cmd);
  json_decref(image->env);
  free(image->cwd);
  memset(image, 0, sizeof *image);
}
