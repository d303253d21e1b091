/* capstan_runtime.c - see capstan_runtime.h. Each rule follows Capstan's
 * runtime/node.go, python.go and java.go (Validate, GetBootCmd), and
 * runtime.go's CommonRuntime. */
#include "capstan_runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct capstan_runtime_s {
  const char *name;
  const char *dependency; /* GetDependencies */
  const char *base;       /* the base GetBootCmd boots */
  const char *const *keys;
  /* node and python: their args' key, its default when empty (the
   * "runscript cannot take an empty variable" workaround), and MAIN for
   * `shell: true`. */
  const char *args_key, *args_default, *shell_main;
};

static const char *const native_keys[] = {"bootcmd", "env", "base", NULL};
static const char *const node_keys[] = {"node_args", "main", "args", "shell",
                                        "env", "base", NULL};
static const char *const python_keys[] = {"python_args", "main", "args",
                                          "shell", "env", "base", NULL};
static const char *const java_keys[] = {"xms", "xmx", "classpath",
                                        "jvm_args", "main", "args", "env",
                                        "base", NULL};

static const capstan_runtime runtimes[] = {
    {"native", NULL, NULL, native_keys, NULL, NULL, NULL},
    {"node", "node-4.4.5", "node-4.4.5:node", node_keys, "node_args", "--",
     ""},
    {"python", "python-2.7", "python-2.7:python", python_keys, "python_args",
     "-O", "-"},
    {"java", "openjdk8-zulu-compact1", "openjdk8-zulu-compact1:java",
     java_keys, NULL, NULL, NULL},
};

const capstan_runtime *capstan_runtime_find(const char *name) {
  for (size_t i = 0; i < sizeof runtimes / sizeof runtimes[0]; i++)
    if (strcmp(runtimes[i].name, name) == 0)
      return &runtimes[i];
  return NULL;
}

const char *capstan_runtime_name(const capstan_runtime *rt) {
  return rt->name;
}

const char *capstan_runtime_dependency(const capstan_runtime *rt) {
  return rt->dependency;
}

const char *const *capstan_runtime_keys(const capstan_runtime *rt) {
  return rt->keys;
}

/* A list of text (Go's []string), joined with `sep`: "" when absent. */
static int join_list(capstan_yaml *y, yaml_node_t *list, const char *key,
                     const char *sep, char **out, fern_error_t *err) {
  size_t size = 1;
  *out = NULL;
  if (list != NULL && list->type != YAML_SEQUENCE_NODE)
    return capstan_yaml_error(y, list, FERN_EINVAL, err,
                              "%s must be a list of text", key);
  for (yaml_node_item_t *i = list ? list->data.sequence.items.start : NULL;
       list && i < list->data.sequence.items.top; i++) {
    const char *word = capstan_yaml_scalar(yaml_document_get_node(&y->doc, *i));
    if (word == NULL)
      return capstan_yaml_error(y, list, FERN_EINVAL, err,
                                "%s must be a list of text", key);
    size += strlen(word) + strlen(sep);
  }
  if ((*out = calloc(1, size)) == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  for (yaml_node_item_t *i = list ? list->data.sequence.items.start : NULL;
       list && i < list->data.sequence.items.top; i++) {
    if (i != list->data.sequence.items.start)
      strcat(*out, sep);
    strcat(*out, capstan_yaml_scalar(yaml_document_get_node(&y->doc, *i)));
  }
  return FERN_OK;
}

/* `shell`, a YAML boolean as Go's yaml.v2 reads one. */
static int read_bool(capstan_yaml *y, yaml_node_t *node, int *out,
                     fern_error_t *err) {
  static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes",
                                    "on", "y", NULL};
  static const char *const no[] = {"false", "False", "FALSE", "no", "No",
                                   "off", "n", NULL};
  const char *text = capstan_yaml_scalar(node);
  *out = 0;
  if (node == NULL)
    return FERN_OK;
  for (int i = 0; text != NULL && yes[i] != NULL; i++)
    if (strcmp(text, yes[i]) == 0)
      return (*out = 1), FERN_OK;
  for (int i = 0; text != NULL && no[i] != NULL; i++)
    if (strcmp(text, no[i]) == 0)
      return FERN_OK;
  return capstan_yaml_error(y, node, FERN_EINVAL, err,
                            "shell must be true or false");
}

/* A default as CommonRuntime.setDefaultEnv takes it: an empty value is
 * none (unless `always`), and a value with a space is refused: Capstan
 * writes it unquoted into the boot command (--env=ARGS?=a b), where OSv
 * would end the option at the space and take "b" for the program. */
static int set_default(capstan_yaml *y, yaml_node_t *at, json_t *defaults,
                       const char *name, const char *value, int always,
                       fern_error_t *err) {
  if (value[0] == '\0' && !always)
    return FERN_OK;
  if (strchr(value, ' ') != NULL)
    return capstan_yaml_error(y, at, FERN_EINVAL, err,
                              "%s would be \"%s\": Capstan writes it into the "
                              "boot command as --env=%s?=%s, and OSv would "
                              "split the command at the space; give one word, "
                              "or set %s in env",
                              name, value, name, value, name);
  json_object_set_new(defaults, name, json_string(value));
  return FERN_OK;
}

static int has_value(capstan_yaml *y, yaml_node_t *env, const char *name) {
  const char *value = capstan_yaml_scalar(capstan_yaml_get(y, env, name));
  return value != NULL && value[0] != '\0';
}

/* node.go and python.go: Validate, then GetBootCmd's variables. */
static int script_apply(const capstan_runtime *rt, capstan_yaml *y,
                        yaml_node_t *node, const char **base,
                        json_t *defaults, fern_error_t *err) {
  yaml_node_t *own_base = capstan_yaml_get(y, node, "base");
  yaml_node_t *main_node = capstan_yaml_get(y, node, "main");
  yaml_node_t *args = capstan_yaml_get(y, node, "args");
  yaml_node_t *rt_args = capstan_yaml_get(y, node, rt->args_key);
  yaml_node_t *env = capstan_yaml_get(y, node, "env");
  const char *main_text = capstan_yaml_scalar(main_node);
  int shell;
  int rc = read_bool(y, capstan_yaml_get(y, node, "shell"), &shell, err);
  if (rc != FERN_OK)
    return rc;
  if (own_base != NULL && (shell || rt_args || main_node || args))
    return capstan_yaml_error(y, own_base, FERN_EINVAL, err,
                              "incompatible arguments specified [shell,%s,"
                              "main,args] for custom 'base'",
                              rt->args_key);
  if (own_base == NULL && shell && (main_node || args))
    return capstan_yaml_error(y, node, FERN_EINVAL, err,
                              "incompatible arguments specified [main,args] "
                              "for shell=true");
  if (own_base == NULL && shell &&
      (has_value(y, env, "MAIN") || has_value(y, env, "ARGS")))
    return capstan_yaml_error(y, env, FERN_EINVAL, err,
                              "incompatible 'env' keys specified [MAIN,ARGS] "
                              "for shell=true");
  if (own_base == NULL && !shell && (main_text == NULL || !main_text[0]))
    return capstan_yaml_error(y, node, FERN_EINVAL, err,
                              "'main' must be provided");
  *base = rt->base; /* GetBootCmd sets it, whatever the set said */
  char *joined = NULL, *arg_list = NULL;
  char upper[32];
  snprintf(upper, sizeof upper, "%s", rt->args_key);
  for (char *c = upper; *c; c++)
    *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c);
  rc = join_list(y, rt_args, rt->args_key, " ", &joined, err);
  if (rc == FERN_OK)
    rc = join_list(y, args, "args", " ", &arg_list, err);
  if (rc == FERN_OK)
    rc = set_default(y, rt_args ? rt_args : node, defaults, upper,
                     joined[0] ? joined : rt->args_default, 0, err);
  if (rc == FERN_OK && shell) {
    json_object_set_new(defaults, "MAIN", json_string(rt->shell_main));
    json_object_set_new(defaults, "ARGS", json_string(""));
  } else if (rc == FERN_OK) {
    rc = set_default(y, node, defaults, "MAIN", main_text ? main_text : "",
                     0, err);
    if (rc == FERN_OK)
      rc = set_default(y, args ? args : node, defaults, "ARGS", arg_list, 0,
                       err);
  }
  free(joined);
  free(arg_list);
  return rc;
}

/* isCompatibleBase(base, {"^openjdk.*"}): the base's package. */
static int openjdk_base(const char *base) {
  return strncmp(base, "openjdk", 7) == 0;
}

/* jvm_args, with "-jar" added for a .jar main (java.go). */
static int jvm_args(capstan_yaml *y, yaml_node_t *list, const char *main_text,
                    char **out, fern_error_t *err) {
  int rc = join_list(y, list, "jvm_args", " ", out, err);
  size_t n = main_text ? strlen(main_text) : 0;
  int has_jar = 0;
  for (yaml_node_item_t *i = list ? list->data.sequence.items.start : NULL;
       rc == FERN_OK && list && i < list->data.sequence.items.top; i++)
    has_jar |= strcmp(capstan_yaml_scalar(yaml_document_get_node(&y->doc,
                                                                 *i)),
                      "-jar") == 0;
  if (rc != FERN_OK || n < 4 || strcmp(main_text + n - 4, ".jar") != 0 ||
      has_jar)
    return rc;
  char *with = NULL;
  if (asprintf(&with, "%s%s-jar", *out, (*out)[0] ? " " : "") < 0)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  free(*out);
  *out = with;
  return FERN_OK;
}

static int java_apply(const capstan_runtime *rt, capstan_yaml *y,
                      yaml_node_t *node, const char **base, json_t *defaults,
                      fern_error_t *err) {
  static const char *const own[] = {"xms",      "xmx",  "classpath",
                                    "jvm_args", "main", "args", NULL};
  yaml_node_t *own_base = capstan_yaml_get(y, node, "base");
  *base = own_base ? capstan_yaml_scalar(own_base) : rt->base;
  if (*base == NULL)
    return capstan_yaml_error(y, own_base, FERN_EINVAL, err,
                              "base must be text");
  const char *main_text = capstan_yaml_scalar(capstan_yaml_get(y, node,
                                                               "main"));
  if (!openjdk_base(*base)) {
    for (int i = 0; own[i] != NULL; i++)
      if (capstan_yaml_get(y, node, own[i]) != NULL)
        return capstan_yaml_error(y, own_base, FERN_EINVAL, err,
                                  "incompatible arguments specified [xms,xmx,"
                                  "classpath,jvm_args,main,args] for custom "
                                  "'base'");
    return FERN_OK;
  }
  if (main_text == NULL || main_text[0] == '\0')
    return capstan_yaml_error(y, node, FERN_EINVAL, err,
                              "'main' must be provided");
  yaml_node_t *cp = capstan_yaml_get(y, node, "classpath");
  yaml_node_t *args = capstan_yaml_get(y, node, "args");
  yaml_node_t *jvm = capstan_yaml_get(y, node, "jvm_args");
  char *classpath = NULL, *jvm_text = NULL, *arg_list = NULL;
  int rc = join_list(y, cp, "classpath", ":", &classpath, err);
  if (rc == FERN_OK)
    rc = jvm_args(y, jvm, main_text, &jvm_text, err);
  if (rc == FERN_OK)
    rc = join_list(y, args, "args", " ", &arg_list, err);
  const char *xms = capstan_yaml_scalar(capstan_yaml_get(y, node, "xms"));
  const char *xmx = capstan_yaml_scalar(capstan_yaml_get(y, node, "xmx"));
  struct {
    const char *name, *value;
  } vars[] = {{"XMS", xms ? xms : ""},
              {"XMX", xmx ? xmx : ""},
              {"CLASSPATH", classpath && classpath[0] ? classpath : "/"},
              {"JVM_ARGS", jvm_text && jvm_text[0] ? jvm_text : "-Dx=y"},
              {"MAIN", main_text},
              {"ARGS", arg_list ? arg_list : ""}};
  for (size_t i = 0; rc == FERN_OK && i < sizeof vars / sizeof vars[0]; i++)
    rc = set_default(y, node, defaults, vars[i].name, vars[i].value, 0, err);
  free(classpath);
  free(jvm_text);
  free(arg_list);
  return rc;
}

int capstan_runtime_apply(const capstan_runtime *rt, capstan_yaml *y,
                          yaml_node_t *node, const char *set,
                          const char **base, json_t *defaults,
                          fern_error_t *err) {
  (void)set;
  *base = NULL;
  if (rt->dependency == NULL)
    return FERN_OK;
  return rt->args_key != NULL ? script_apply(rt, y, node, base, defaults, err)
                              : java_apply(rt, y, node, base, defaults, err);
}
