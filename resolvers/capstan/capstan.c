/* capstan.c - the "capstan" resolver: an OSv Capstan package (see
 * capstan_package.h) as a component run by the ELF runner.
 *
 *   capstan:///srv/hello#meta/run.yaml   the package's default config set
 *   capstan:///srv/hello#NAME            config set NAME
 *   ...#NAME@N, ...#meta/run.yaml@N      command N of them
 *                                        (capstan_sequence.h)
 *
 * The chosen set's command, as OSv reads and expands it
 * (capstan_program.h), becomes the program's binary (a path inside the
 * package; '/' is the package's top, as it is the image's root in OSv)
 * and args, and the environment OSv would give it the program's environ.
 * Config:
 *   {"runner": "elf", "repositories": ["/srv/capstan", ...],
 *    "env": {"KEY": "VALUE"}, "boot": {"package": DIR, "sets": [...]}}
 * "runner" names the runner the components use (default "elf");
 * "repositories" are where packages named by a `base` are looked for after
 * the directory beside the package; "env" is Capstan's --env (fern run
 * --env), for every package; "boot" the sets of package DIR booted
 * together (fern run --boot), which share one environment. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/package_dir.h"
#include "capstan_compose.h"
#include "capstan_elf.h"
#include "capstan_program.h"
#include "capstan_sequence.h"
#include "capstan_work.h"

#define DEFAULT_SET_FRAGMENT "meta/run.yaml"

typedef struct capstan_resolver_s {
  const fern_host_t *host;
  char *runner;
  char **repositories; /* NULL-terminated */
  json_t *env;         /* "env", or NULL */
  char *boot_package;  /* "boot": its package, real, or NULL */
  json_t *boot_sets;   /* and its sets */
  capstan_work *work;  /* unpacked archives, composed images */
} capstan_resolver;

static void capstan_release(void *resolver) {
  capstan_resolver *r = resolver;
  for (size_t i = 0; r->repositories && r->repositories[i]; i++)
    free(r->repositories[i]);
  free(r->repositories);
  free(r->runner);
  json_decref(r->env);
  free(r->boot_package);
  json_decref(r->boot_sets);
  capstan_work_free(r->work);
  free(r);
}

static int take_repositories(capstan_resolver *r, const json_t *repos,
                             fern_error_t *err) {
  if (repos != NULL && !json_is_array(repos))
    return fern_error_set(err, FERN_EINVAL, "/repositories",
                          "\"repositories\" must be a list of directories");
  size_t n = json_array_size(repos);
  r->repositories = calloc(n + 1, sizeof *r->repositories);
  if (r->repositories == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  for (size_t i = 0; i < n; i++) {
    const char *dir = json_string_value(json_array_get(repos, i));
    if (dir == NULL || dir[0] != '/')
      return fern_error_set(err, FERN_EINVAL, "/repositories",
                            "repository %zu must be an absolute directory", i);
    if ((r->repositories[i] = strdup(dir)) == NULL)
      return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  }
  return FERN_OK;
}

/* "env": names to text, each as Capstan's --env takes it. */
static int check_env(const json_t *env, fern_error_t *err) {
  if (env != NULL && !json_is_object(env))
    return fern_error_set(err, FERN_EINVAL, "/env",
                          "\"env\" must map names to values");
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)env, key, value) {
    if (!json_is_string(value) || key[0] == '\0' || strchr(key, '=') ||
        strchr(key, ' ') || strchr(json_string_value(value), ' '))
      return fern_error_set(err, FERN_EINVAL, "/env",
                            "env \"%s\": a name without '=' or spaces, to a "
                            "text without spaces",
                            key);
  }
  return FERN_OK;
}

/* "boot": {"package": DIR, "sets": [NAME, ...]}. */
static int check_boot(const json_t *boot, fern_error_t *err) {
  const json_t *sets = json_object_get(boot, "sets");
  if (boot != NULL &&
      (!json_is_string(json_object_get(boot, "package")) ||
       !json_is_array(sets) || json_object_size(boot) != 2))
    return fern_error_set(err, FERN_EINVAL, "/boot",
                          "\"boot\" is {\"package\": DIR, \"sets\": "
                          "[NAME, ...]}");
  for (size_t i = 0; i < json_array_size(sets); i++)
    if (!json_is_string(json_array_get(sets, i)))
      return fern_error_set(err, FERN_EINVAL, "/boot/sets",
                            "\"sets\" are config set names");
  return FERN_OK;
}

static int capstan_validate_config(const json_t *config, fern_error_t *err) {
  static const char *const keys[] = {"runner", "repositories", "env", "boot",
                                     NULL};
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)config, key, value) {
    char at[160];
    snprintf(at, sizeof at, "/%.100s", key);
    size_t k = 0;
    while (keys[k] != NULL && strcmp(keys[k], key) != 0)
      k++;
    if (keys[k] == NULL)
      return fern_error_set(err, FERN_EINVAL, at,
                            "unknown key \"%s\" (the capstan resolver takes "
                            "\"runner\", \"repositories\", \"env\" and "
                            "\"boot\")",
                            key);
  }
  int rc = check_env(json_object_get(config, "env"), err);
  if (rc == FERN_OK)
    rc = check_boot(json_object_get(config, "boot"), err);
  if (rc != FERN_OK)
    return rc;
  json_t *runner = json_object_get(config, "runner");
  if (runner != NULL && !json_is_string(runner))
    return fern_error_set(err, FERN_EINVAL, "/runner",
                          "\"runner\" must name a runner");
  json_t *repos = json_object_get(config, "repositories");
  if (repos != NULL && !json_is_array(repos))
    return fern_error_set(err, FERN_EINVAL, "/repositories",
                          "\"repositories\" must be a list of directories");
  for (size_t i = 0; i < json_array_size(repos); i++) {
    const char *dir = json_string_value(json_array_get(repos, i));
    char at[64];
    snprintf(at, sizeof at, "/repositories/%zu", i);
    if (dir == NULL || dir[0] != '/')
      return fern_error_set(err, FERN_EINVAL, at,
                            "repository %zu must be an absolute directory", i);
  }
  return FERN_OK;
}

static int capstan_create(const fern_host_t *host, const json_t *config,
                          void **resolver, fern_error_t *err) {
  int valid = capstan_validate_config(config, err);
  if (valid != FERN_OK)
    return valid;
  json_t *runner = json_object_get(config, "runner");
  capstan_resolver *r = calloc(1, sizeof *r);
  if (r == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  r->host = host;
  r->work = capstan_work_new();
  r->runner = strdup(runner ? json_string_value(runner) : "elf");
  int rc = r->runner && r->work ? take_repositories(r, json_object_get(config,
                                                            "repositories"),
                                         err)
                     : fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  const json_t *boot = json_object_get(config, "boot");
  char real[PATH_MAX];
  r->env = json_deep_copy(json_object_get(config, "env"));
  if (boot != NULL &&
      realpath(json_string_value(json_object_get(boot, "package")), real)) {
    r->boot_package = strdup(real);
    r->boot_sets = json_deep_copy(json_object_get(boot, "sets"));
  }
  if (rc != FERN_OK) {
    capstan_release(r);
    return rc;
  }
  *resolver = r;
  return FERN_OK;
}

/* "capstan://" + path (+ "#" + set), %-encoding what would change the
 * URL's meaning. */
static char *make_url(const char *dir, const char *set) {
  size_t n = 16 + 3 * (strlen(dir) + (set ? strlen(set) : 0));
  char *url = malloc(n);
  if (url == NULL)
    return NULL;
  size_t used = (size_t)snprintf(url, n, "capstan://");
  for (int part = 0; part < 2; part++) {
    const char *s = part == 0 ? dir : set;
    if (part == 1 && s != NULL)
      url[used++] = '#';
    for (; s != NULL && *s; s++)
      used += strchr("%# ?", *s) ? (size_t)snprintf(url + used, n - used,
                                                    "%%%02X", (unsigned char)*s)
                                 : (url[used] = *s, 1);
  }
  url[used] = '\0';
  return url;
}

/* The manifest the runner gets: the command's program, its args, and the
 * environment as OSv would give it; and the URL of the command OSv would
 * run after it, if any, for fern run (facets "fern.capstan": {"next"}). */
static int manifest_for(const capstan_resolver *r, const char *dir,
                        const json_t *argv, const json_t *env,
                        const char *next, char **text, fern_error_t *err) {
  char binary[PATH_MAX];
  const char *word = json_string_value(json_array_get(argv, 0));
  if (word == NULL || word[strspn(word, "/")] == '\0')
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "the command names no program");
  capstan_image_program(dir, word, binary, sizeof binary);
  json_t *args = json_array(), *env_list = json_array();
  for (size_t i = 1; i < json_array_size(argv); i++)
    json_array_append(args, json_array_get(argv, i));
  const char *name;
  json_t *value;
  json_object_foreach((json_t *)env, name, value) {
    char *entry = NULL;
    if (asprintf(&entry, "%s=%s", name, json_string_value(value)) >= 0)
      json_array_append_new(env_list, json_string(entry));
    free(entry);
  }
  /* The image is the program's root, as in OSv. */
  json_t *manifest = json_pack("{s:{s:s,s:s,s:o,s:o,s:s}}", "program",
                               "runner", r->runner, "binary", binary, "args",
                               args, "environ", env_list, "root", "package");
  /* argv[0] as the command wrote it, as OSv gives it (core/app.cc). */
  if (manifest != NULL)
    json_object_set(json_object_get(manifest, "program"), "argv0",
                    json_array_get(argv, 0));
  /* Built -shared, as OSv's applications are: its main is called. The
   * file is read as the host checks a package's files (inside it, a
   * regular file); one that is not is left for the runner to name. */
  char real[PATH_MAX];
  fern_error_t ignored = FERN_ERROR_INIT;
  int fd = r->host->package_open(r->host->ctx, dir, binary, real,
                                 sizeof real, &ignored);
  if (manifest != NULL && fd >= 0 && capstan_elf_is_shared_object(fd))
    json_object_set_new(json_object_get(manifest, "program"), "shared_object",
                        json_true());
  if (fd >= 0)
    close(fd);
  if (manifest != NULL && next != NULL)
    json_object_set_new(manifest, "facets",
                        json_pack("{s:{s:s}}", "fern.capstan", "next", next));
  *text = manifest ? json_dumps(manifest, JSON_INDENT(2)) : NULL;
  json_decref(manifest);
  return *text ? FERN_OK
               : fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
}

static void capstan_resolved_free(void *resolver, fern_resolved_t *out) {
  (void)resolver;
  fern_package_dir_free(out); /* the same fields, all malloc'd */
}

static int fill(const char *dir, const char *image, const char *set,
                char *manifest, fern_resolved_t *out, fern_error_t *err) {
  out->manifest = manifest;
  out->manifest_len = strlen(manifest);
  out->package_dir = strdup(image);
  out->package_url = make_url(dir, NULL);
  out->resolved_url = make_url(dir, set);
  out->context = strdup(dir);
  if (asprintf(&out->manifest_origin, "%s/meta/run.yaml", dir) < 0)
    out->manifest_origin = NULL;
  if (out->package_dir && out->package_url && out->resolved_url &&
      out->context && out->manifest_origin)
    return FERN_OK;
  capstan_resolved_free(NULL, out);
  return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
}

/* The package directory a request names, made real. */
static int package_dir(const fern_resolve_request_t *req, char *dir,
                       fern_error_t *err) {
  if (req->path == NULL)
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "URL \"%s\": a Capstan package has no children to "
                          "resolve relative URLs against",
                          req->url);
  if (req->authority[0] != '\0' || req->path[0] != '/')
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "URL \"%s\": expected capstan:///DIR#CONFIG_SET or "
                          "capstan:///DIR#" DEFAULT_SET_FRAGMENT,
                          req->url);
  struct stat st;
  if (realpath(req->path, dir) == NULL || stat(dir, &st) != 0 ||
      !S_ISDIR(st.st_mode))
    return fern_error_set(err, FERN_ENOENT, NULL,
                          "URL \"%s\": no package directory %s", req->url,
                          req->path);
  return FERN_OK;
}

static int capstan_resolve(void *resolver, const fern_resolve_request_t *req,
                           fern_resolved_t *out, fern_error_t *err) {
  capstan_resolver *r = resolver;
  char dir[PATH_MAX];
  int rc = package_dir(req, dir, err);
  if (rc != FERN_OK)
    return rc;
  capstan_package pkg;
  rc = capstan_package_open(r->host, dir, &pkg, err);
  if (rc != FERN_OK)
    return rc;
  capstan_search search = {.host = r->host,
                           .repositories =
                               (const char *const *)r->repositories,
                           .work = r->work};
  capstan_program program = {0};
  capstan_step step = {0};
  capstan_image image = {0};
  rc = capstan_compose(&search, &pkg, &image, err);
  search.required = image.required;
  int booted = r->boot_package != NULL && strcmp(r->boot_package, dir) == 0;
  if (rc == FERN_OK)
    rc = capstan_step_locate(&search, &pkg, req->fragment,
                             booted ? r->boot_sets : NULL, &step, err);
  if (rc == FERN_OK)
    rc = capstan_program_resolve(&search, &pkg, step.set, step.which, r->env,
                                 step.booted, &program, err);
  char *manifest = NULL, *next = NULL;
  if (rc == FERN_OK && step.next != NULL &&
      (next = make_url(dir, step.next)) == NULL)
    rc = fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  if (rc == FERN_OK)
    rc = manifest_for(r, image.dir, program.argv, program.env, next,
                      &manifest, err);
  if (rc == FERN_OK)
    rc = fill(dir, image.dir, step.fragment, manifest, out, err);
  free(next);
  capstan_step_free(&step);
  if (rc == FERN_OK && program.overridden != NULL)
    r->host->log(r->host->ctx, FERN_LOG_INFO, NULL,
                 "capstan: %s: config set \"%s\" has a base, so its own "
                 "bootcmd is ignored, as Capstan ignores it",
                 pkg.name, program.overridden);
  if (rc == FERN_OK)
    r->host->log(r->host->ctx, FERN_LOG_DEBUG, NULL,
                 "capstan: %s config set \"%s\" -> %s", pkg.name,
                 program.set,
                 json_string_value(json_array_get(program.argv, 0)));
  capstan_program_free(&program);
  capstan_image_free(&image);
  capstan_package_close(&pkg);
  return rc;
}

FERN_RESOLVER_PLUGIN(.name = "capstan",
                     .description = "OSv Capstan packages, runtime native "
                                    "(capstan:///DIR#CONFIG_SET)",
                     .validate_config = capstan_validate_config,
                     .create = capstan_create, .release = capstan_release,
                     .resolve = capstan_resolve,
                     .resolved_free = capstan_resolved_free);
