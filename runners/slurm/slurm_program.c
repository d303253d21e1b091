/* slurm_program.c - the Slurm runner's program block: its keys checked,
 * and what it becomes: sbatch's or srun's arguments, the batch script, the
 * commands' environment. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/runner_common.h"
#include "slurm.h"

extern char **environ;

static const char *const program_keys[] = {
    "runner",        "binary",  "args",       "environ", "mode",
    "partition",     "account", "qos",        "nodes",   "tasks",
    "cpus_per_task", "memory",  "time_limit", "stage",   NULL};

static int check_count(const json_t *program, const char *key,
                       fern_error_t *err) {
  json_t *v = json_object_get(program, key);
  if (v == NULL || (json_is_integer(v) && json_integer_value(v) >= 1 &&
                    json_integer_value(v) <= 1000000))
    return FERN_OK;
  char at[64];
  snprintf(at, sizeof at, "/%s", key);
  return fern_error_set(err, FERN_EINVAL, at,
                        "\"%s\" must be a whole number from 1", key);
}

static int check_name(const json_t *program, const char *key,
                      fern_error_t *err) {
  json_t *v = json_object_get(program, key);
  const char *s = json_string_value(v);
  if (v == NULL)
    return FERN_OK;
  int ok = s != NULL && *s != '\0';
  for (const char *p = s; ok && *p; p++)
    ok = isalnum((unsigned char)*p) || strchr("_-.,", *p) != NULL;
  if (ok)
    return FERN_OK;
  char at[64];
  snprintf(at, sizeof at, "/%s", key);
  return fern_error_set(
      err, FERN_EINVAL, at,
      "\"%s\" must be a Slurm name (letters, digits, _ - . ,)", key);
}

/* Digits, then an optional unit: "512", "4G". */
static int memory_ok(const char *s) {
  size_t digits = strspn(s, "0123456789");
  return digits > 0 && (s[digits] == '\0' ||
                        (strchr("KMGT", s[digits]) && s[digits + 1] == '\0'));
}

/* Slurm's forms: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S, UNLIMITED. */
static int time_ok(const char *s) {
  if (strcmp(s, "UNLIMITED") == 0 || strcmp(s, "INFINITE") == 0)
    return 1;
  const char *p = s;
  size_t n = strspn(p, "0123456789");
  int has_days = n > 0 && p[n] == '-';
  if (has_days)
    p += n + 1;
  int groups = 0;
  for (;;) {
    n = strspn(p, "0123456789");
    if (n == 0 || n > 6)
      return 0;
    groups++;
    p += n;
    if (*p == '\0')
      break;
    if (*p++ != ':')
      return 0;
  }
  return groups <= 3 && !(has_days && groups > 3);
}

static int check_shape(const json_t *program, fern_error_t *err) {
  static const char *const counts[] = {"nodes", "tasks", "cpus_per_task", NULL};
  static const char *const names[] = {"partition", "account", "qos", NULL};
  int rc = FERN_OK;
  for (size_t i = 0; rc == FERN_OK && counts[i] != NULL; i++)
    rc = check_count(program, counts[i], err);
  for (size_t i = 0; rc == FERN_OK && names[i] != NULL; i++)
    rc = check_name(program, names[i], err);
  if (rc != FERN_OK)
    return rc;
  json_t *memory = json_object_get(program, "memory");
  if (memory != NULL &&
      !(json_is_integer(memory) && json_integer_value(memory) > 0) &&
      !(json_is_string(memory) && memory_ok(json_string_value(memory))))
    return fern_error_set(err, FERN_EINVAL, "/memory",
                          "\"memory\" must be megabytes (512) or a size with "
                          "a unit K, M, G or T (\"4G\")");
  json_t *limit = json_object_get(program, "time_limit");
  if (limit != NULL &&
      !(json_is_integer(limit) && json_integer_value(limit) > 0) &&
      !(json_is_string(limit) && time_ok(json_string_value(limit))))
    return fern_error_set(err, FERN_EINVAL, "/time_limit",
                          "\"time_limit\" must be minutes (30) or Slurm's "
                          "form: \"M:S\", \"H:M:S\", \"D-H\", \"D-H:M:S\" or "
                          "\"UNLIMITED\"");
  return FERN_OK;
}

int slurm_program_validate(const json_t *program, fern_error_t *err) {
  int rc = runner_check_keys(program, "slurm", program_keys, NULL, err);
  if (rc != FERN_OK)
    return rc;
  rc = runner_check_binary_args_environ(program, err);
  if (rc != FERN_OK)
    return rc;
  const char *mode = json_string_value(json_object_get(program, "mode"));
  if (json_object_get(program, "mode") != NULL &&
      (mode == NULL ||
       (strcmp(mode, "batch") != 0 && strcmp(mode, "interactive") != 0)))
    return fern_error_set(err, FERN_EINVAL, "/mode",
                          "\"mode\" must be \"batch\" or \"interactive\"");
  json_t *stage = json_object_get(program, "stage");
  if (stage != NULL && !json_is_boolean(stage))
    return fern_error_set(err, FERN_EINVAL, "/stage",
                          "\"stage\" must be true or false");
  return check_shape(program, err);
}

int slurm_program_read(const fern_host_t *host, const json_t *program,
                       const char *package_dir, slurm_spec *spec,
                       char *binary_buf, size_t binary_size,
                       fern_error_t *err) {
  memset(spec, 0, sizeof *spec);
  const char *binary = json_string_value(json_object_get(program, "binary"));
  /* Opened, not only found: a FIFO or a device there is refused here, and
   * the open cannot block. The job runs it by path on the nodes, so the
   * descriptor serves nothing further. */
  int fd =
      host->package_open(host->ctx, package_dir, binary, binary_buf, binary_size, err);
  if (fd < 0)
    return fd;
  close(fd);
  spec->binary = binary_buf;
  spec->args = json_object_get(program, "args");
  spec->environ = json_object_get(program, "environ");
  const char *mode = json_string_value(json_object_get(program, "mode"));
  spec->interactive = mode != NULL && strcmp(mode, "interactive") == 0;
  spec->stage = json_is_true(json_object_get(program, "stage"));
  spec->partition = json_string_value(json_object_get(program, "partition"));
  spec->account = json_string_value(json_object_get(program, "account"));
  spec->qos = json_string_value(json_object_get(program, "qos"));
  spec->nodes = (long)json_integer_value(json_object_get(program, "nodes"));
  spec->tasks = (long)json_integer_value(json_object_get(program, "tasks"));
  spec->cpus_per_task =
      (long)json_integer_value(json_object_get(program, "cpus_per_task"));
  json_t *m = json_object_get(program, "memory");
  if (json_is_integer(m))
    snprintf(spec->memory, sizeof spec->memory, "%lld",
             (long long)json_integer_value(m));
  else if (m != NULL)
    snprintf(spec->memory, sizeof spec->memory, "%s", json_string_value(m));
  json_t *t = json_object_get(program, "time_limit");
  if (json_is_integer(t))
    snprintf(spec->time_limit, sizeof spec->time_limit, "%lld",
             (long long)json_integer_value(t));
  else if (t != NULL)
    snprintf(spec->time_limit, sizeof spec->time_limit, "%s",
             json_string_value(t));
  return FERN_OK;
}

/* A growing NULL-terminated vector of malloc'd strings. */
typedef struct strv_s {
  char **v;
  size_t n, cap;
} strv;

static void push(strv *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void push(strv *s, const char *fmt, ...) {
  if (s->n + 2 > s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 32;
    char **grown = realloc(s->v, cap * sizeof *grown);
    if (grown == NULL)
      return;
    s->v = grown;
    s->cap = cap;
  }
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&s->v[s->n], fmt, ap) >= 0)
    s->n++;
  va_end(ap);
  s->v[s->n] = NULL;
}

void slurm_strv_free(char **v) {
  for (size_t i = 0; v != NULL && v[i] != NULL; i++)
    free(v[i]);
  free(v);
}

/* Runs on several nodes or tasks, or from a staged copy: through srun. */
int slurm_program_has_steps(const slurm_spec *spec) {
  return spec->nodes > 1 || spec->tasks > 1 || spec->stage;
}

static void push_shape(strv *a, const slurm_spec *spec) {
  if (spec->partition)
    push(a, "--partition=%s", spec->partition);
  if (spec->account)
    push(a, "--account=%s", spec->account);
  if (spec->qos)
    push(a, "--qos=%s", spec->qos);
  if (spec->nodes)
    push(a, "--nodes=%ld", spec->nodes);
  if (spec->tasks)
    push(a, "--ntasks=%ld", spec->tasks);
  if (spec->cpus_per_task)
    push(a, "--cpus-per-task=%ld", spec->cpus_per_task);
  if (spec->memory[0])
    push(a, "--mem=%s", spec->memory);
  if (spec->time_limit[0])
    push(a, "--time=%s", spec->time_limit);
}

char **slurm_program_argv(const slurm_runner *r, const slurm_spec *spec,
                          const char *job_name, const char *workdir,
                          const char *out_path, const char *err_path) {
  strv a = {0};
  push(&a, "%s", spec->interactive ? "srun" : "sbatch");
  push(&a, "--job-name=%s", job_name);
  push(&a, "--chdir=%s", spec->stage ? r->stage_dir : workdir);
  push_shape(&a, spec);
  if (!spec->interactive) {
    push(&a, "--parsable");
    push(&a, "--output=%s", out_path);
    push(&a, "--error=%s", err_path);
    return a.v;
  }
  if (spec->stage)
    push(&a, "--bcast=%s/", r->stage_dir);
  push(&a, "%s", spec->binary);
  size_t i;
  json_t *arg;
  json_array_foreach(spec->args, i, arg) push(&a, "%s", json_string_value(arg));
  return a.v;
}

/* 'text' for sh, with every ' written as '\''. */
static void append_quoted(char **buf, size_t *len, const char *text) {
  size_t need = *len + 4 * strlen(text) + 4;
  char *grown = realloc(*buf, need);
  if (grown == NULL)
    return;
  *buf = grown;
  char *p = *buf + *len;
  *p++ = ' ';
  *p++ = '\'';
  for (const char *s = text; *s; s++) {
    if (*s == '\'') {
      memcpy(p, "'\\''", 4);
      p += 4;
    } else {
      *p++ = *s;
    }
  }
  *p++ = '\'';
  *p = '\0';
  *len = (size_t)(p - *buf);
}

char *slurm_program_script(const slurm_runner *r, const slurm_spec *spec) {
  char *buf = NULL;
  size_t len = 0;
  if (asprintf(&buf, "#!/bin/sh\n# written by fern's slurm runner\nexec") < 0)
    return NULL;
  len = strlen(buf);
  if (slurm_program_has_steps(spec)) {
    char srun[PATH_MAX + 8];
    slurm_cmd_path(r, "srun", srun, sizeof srun);
    append_quoted(&buf, &len, srun);
    if (spec->stage) {
      char bcast[PATH_MAX + 16];
      snprintf(bcast, sizeof bcast, "--bcast=%s/", r->stage_dir);
      append_quoted(&buf, &len, bcast);
    }
  }
  append_quoted(&buf, &len, spec->binary);
  size_t i;
  json_t *arg;
  json_array_foreach(spec->args, i, arg)
      append_quoted(&buf, &len, json_string_value(arg));
  char *ended = buf != NULL ? realloc(buf, len + 2) : NULL;
  if (ended == NULL) {
    free(buf);
    return NULL;
  }
  memcpy(ended + len, "\n", 2);
  return ended;
}

char **slurm_program_env(const slurm_runner *r, const slurm_spec *spec,
                         const char *moniker, const char *url,
                         const char *namespace_dir,
                         const char *config_path) {
  strv e = {0};
  /* A fern that itself runs in a Slurm job must not make its components
   * steps of that job: none of its SLURM_* variables go on. */
  for (char **v = environ; v != NULL && *v != NULL; v++)
    if (strncmp(*v, "SLURM_", 6) != 0)
      push(&e, "%s", *v);
  if (r->slurm_conf[0] != '\0')
    push(&e, "SLURM_CONF=%s", r->slurm_conf);
  else if (getenv("SLURM_CONF") != NULL)
    push(&e, "SLURM_CONF=%s", getenv("SLURM_CONF"));
  if (moniker != NULL)
    push(&e, "FERN_MONIKER=%s", moniker);
  if (url != NULL)
    push(&e, "FERN_URL=%s", url);
  if (namespace_dir != NULL && namespace_dir[0] != '\0')
    push(&e, "FERN_NAMESPACE=%s", namespace_dir);
  if (config_path != NULL && config_path[0] != '\0')
    push(&e, "FERN_CONFIG=%s", config_path);
  size_t i;
  json_t *item;
  if (spec != NULL)
    json_array_foreach(spec->environ, i, item)
        push(&e, "%s", json_string_value(item));
  if (e.v == NULL)
    push(&e, "PATH=/usr/bin:/bin");
  return e.v;
}
