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

/* A YAML null as yaml.v2 reads one: a plain "", "~" or "null". */
static int is_null(yaml_node_t *node) {
  static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
  const char *text = capstan_yaml_scalar(node);
  if (node == NULL || text == NULL || node->data.scalar.style !=
                                          YAML_PLAIN_SCALAR_STYLE)
    return 0;
  for (int i = 0; nulls[i] != NULL; i++)
    if (strcmp(text, nulls[i]) == 0)
      return 1;
  return 0;
}

/* `key` of the set when Go would see it set: a text that is not empty, a
 * list that is not ("Main != \"\"", "len(Args) > 0"), else NULL. */
static yaml_node_t *given(capstan_yaml *y, yaml_node_t *set,
                          const char *key) {
  yaml_node_t *node = capstan_yaml_get(y, set, key);
  if (node == NULL || is_null(node))
    return NULL;
  if (node->type == YAML_SEQUENCE_NODE)
    return node->data.sequence.items.top > node->data.sequence.items.start
               ? node
               : NULL;
  const char *text = capstan_yaml_scalar(node);
  return text == NULL || text[0] != '\0' ? node : NULL;
}

/* A list of text (Go's []string), joined with `sep`: "" when absent. */
static int join_list(capstan_yaml *y, yaml_node_t *list, const char *key,
                     const char *sep, char **out, fern_error_t *err) {
  size_t size = 1;
  *out = NULL;
  if (list != NULL && is_null(list))
    list = NULL;
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

/* `shell`, a YAML boolean as Go's yaml.v2 (resolve.go) reads one into a
 * bool: its plain words, null for false, and nothing quoted. */
static int read_bool(capstan_yaml *y, yaml_node_t *node, int *out,
                     fern_error_t *err) {
  static const char *const yes[] = {"y", "Y", "yes", "Yes", "YES", "true",
                                    "True", "TRUE", "on", "On", "ON", NULL};
  static const char *const no[] = {"n", "N", "no", "No", "NO", "false",
                                   "False", "FALSE", "off", "Off", "OFF",
                                   NULL};
  const char *text = capstan_yaml_scalar(node);
  *out = 0;
  if (node == NULL || is_null(node))
    return FERN_OK;
  int plain = node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
  for (int i = 0; plain && text != NULL && yes[i] != NULL; i++)
    if (strcmp(text, yes[i]) == 0)
      return (*out = 1), FERN_OK;
  for (int i = 0; plain && text != NULL && no[i] != NULL; i++)
    if (strcmp(text, no[i]) == 0)
      return FERN_OK;
  return capstan_yaml_error(y, node, FERN_EINVAL, err,
                            "shell must be true or false");
}

/* A default as CommonRuntime.setDefaultEnv takes it: an empty value is
 * none. */
static void set_default(json_t *defaults, const char *name,
                        const char *value) {
  if (value[0] != '\0')
    json_object_set_new(defaults, name, json_string(value));
}

static int has_value(capstan_yaml *y, yaml_node_t *env, const char *name) {
  yaml_node_t *node = capstan_yaml_get(y, env, name);
  const char *value = capstan_yaml_scalar(node);
  return value != NULL && value[0] != '\0' && !is_null(node);
}

/* runtime.go's CommonRuntime.Validate of a set's own base. */
static int check_base(capstan_yaml *y, yaml_node_t *base, fern_error_t *err) {
  const char *text = capstan_yaml_scalar(base);
  if (base != NULL && (text == NULL || strchr(text, ':') == NULL))
    return capstan_yaml_error(y, base, FERN_EINVAL, err,
                              "'base' must be in format "
                              "<pkg_name>:<config_set>");
  return FERN_OK;
}

/* node.go and python.go: Validate, then GetBootCmd's variables. */
static int script_apply(const capstan_runtime *rt, capstan_yaml *y,
                        yaml_node_t *node, const char **base,
                        json_t *defaults, json_t *forced,
                        fern_error_t *err) {
  yaml_node_t *own_base = given(y, node, "base");
  yaml_node_t *main_node = given(y, node, "main");
  yaml_node_t *args = given(y, node, "args");
  yaml_node_t *rt_args = given(y, node, rt->args_key);
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
  if (own_base == NULL && !shell && main_node == NULL)
    return capstan_yaml_error(y, node, FERN_EINVAL, err,
                              "'main' must be provided");
  if ((rc = check_base(y, own_base, err)) != FERN_OK)
    return rc;
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
    set_default(defaults, upper, joined[0] ? joined : rt->args_default);
  if (rc == FERN_OK && shell) { /* assigned outright, even empty */
    json_object_set_new(forced, "MAIN", json_string(rt->shell_main));
    json_object_set_new(forced, "ARGS", json_string(""));
  } else if (rc == FERN_OK) {
    set_default(defaults, "MAIN", main_text ? main_text : "");
    set_default(defaults, "ARGS", arg_list);
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
  yaml_node_t *own_base = given(y, node, "base");
  int rc = check_base(y, own_base, err);
  if (rc != FERN_OK)
    return rc;
  *base = own_base ? capstan_yaml_scalar(own_base) : rt->base;
  yaml_node_t *main_node = given(y, node, "main");
  const char *main_text = capstan_yaml_scalar(main_node);
  if (!openjdk_base(*base)) {
    for (int i = 0; own[i] != NULL; i++)
      if (given(y, node, own[i]) != NULL)
        return capstan_yaml_error(y, own_base, FERN_EINVAL, err,
                                  "incompatible arguments specified [xms,xmx,"
                                  "classpath,jvm_args,main,args] for custom "
                                  "'base'");
    return FERN_OK;
  }
  if (main_node == NULL)
    return capstan_yaml_error(y, node, FERN_EINVAL, err,
                              "'main' must be provided");
  char *classpath = NULL, *jvm_text = NULL, *arg_list = NULL;
  rc = join_list(y, given(y, node, "classpath"), "classpath", ":",
                 &classpath, err);
  if (rc == FERN_OK)
    rc = jvm_args(y, given(y, node, "jvm_args"), main_text, &jvm_text, err);
  if (rc == FERN_OK)
    rc = join_list(y, given(y, node, "args"), "args", " ", &arg_list, err);
  const char *xms = capstan_yaml_scalar(given(y, node, "xms"));
  const char *xmx = capstan_yaml_scalar(given(y, node, "xmx"));
  if (rc == FERN_OK) {
    set_default(defaults, "XMS", xms ? xms : "");
    set_default(defaults, "XMX", xmx ? xmx : "");
    set_default(defaults, "CLASSPATH", classpath[0] ? classpath : "/");
    set_default(defaults, "JVM_ARGS", jvm_text[0] ? jvm_text : "-Dx=y");
    set_default(defaults, "MAIN", main_text);
    set_default(defaults, "ARGS", arg_list);
  }
  free(classpath);
  free(jvm_text);
  free(arg_list);
  return rc;
}

int capstan_runtime_apply(const capstan_runtime *rt, capstan_yaml *y,
                          yaml_node_t *node, const char **base,
                          json_t *defaults, json_t *forced,
                          fern_error_t *err) {
  *base = NULL;
  if (rt->dependency == NULL)
    return FERN_OK;
  return rt->args_key != NULL
             ? script_apply(rt, y, node, base, defaults, forced, err)
             : java_apply(rt, y, node, base, defaults, err);
}
