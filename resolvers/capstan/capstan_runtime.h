/* capstan_runtime.h - a run.yaml's `runtime`, as Capstan's runtime/
 * package turns a config set into a boot command:
 *
 *   native   the set's own bootcmd (runtime/native.go)
 *   node     main, args, node_args, shell: the base "node-4.4.5:node"
 *            with NODE_ARGS, MAIN and ARGS (runtime/node.go)
 *   python   main, args, python_args, shell: the base
 *            "python-2.7:python" with PYTHON_ARGS, MAIN, ARGS
 *            (runtime/python.go)
 *   java     main, args, classpath, jvm_args, xms, xmx: the base
 *            "openjdk8-zulu-compact1:java", or the set's own, with XMS,
 *            XMX, CLASSPATH, JVM_ARGS, MAIN and ARGS when the base is an
 *            openjdk one (runtime/java.go)
 *
 * A runtime's package (node-4.4.5, python-2.7, openjdk8-zulu-compact1) is
 * composed under the package, as Capstan's CollectPackage prepends it to
 * `require`. The variables are the set's defaults: its own env wins
 * (CommonRuntime.setDefaultEnv). */
#ifndef FERN_RESOLVERS_CAPSTAN_RUNTIME_H
#define FERN_RESOLVERS_CAPSTAN_RUNTIME_H

#include <jansson.h>

#include "capstan_yaml.h"

typedef struct capstan_runtime_s capstan_runtime;

/* The runtime named `name`, or NULL. */
const capstan_runtime *capstan_runtime_find(const char *name);
const char *capstan_runtime_name(const capstan_runtime *rt);
/* The package it composes under the package, or NULL (native). */
const char *capstan_runtime_dependency(const capstan_runtime *rt);
/* The keys a config set of it may hold, NULL-terminated. */
const char *const *capstan_runtime_keys(const capstan_runtime *rt);

/* What set `node` of a non-native runtime comes to: the base it boots
 * (`*base`, borrowed), its variables' defaults, in order, into
 * `defaults` ({"NAME": "VALUE"}: the set's own env wins over them), and
 * those GetBootCmd assigns outright into `forced` (shell's MAIN and
 * ARGS). Capstan's Validate refusals, in its words, at their line and
 * column. Go's notion of "set" is kept: an empty text, an empty list or
 * a YAML null is as good as absent. */
int capstan_runtime_apply(const capstan_runtime *rt, capstan_yaml *y,
                          yaml_node_t *node, const char **base,
                          json_t *defaults, json_t *forced,
                          fern_error_t *err);

#endif
