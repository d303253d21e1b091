/* cmd_graph.c - `fern graph URL|PATH`: the tree `fern tree` resolves,
 * drawn as Graphviz DOT. Each component is a node labelled with its
 * moniker and its runner ("realm" without a program); each realm with
 * children is a cluster holding its own node and its children; each used
 * protocol is an edge from the user to its provider, labelled with the
 * name the user uses. A broken route is a dashed red edge to a red node
 * named after the error, so that every use that stops at one hop meets at
 * that hop's node; so is a component that could not be resolved (its
 * edge labelled "unresolved"). An optional use with no route is left out,
 * with a comment. Every string is quoted and escaped: what is drawn came from
 * manifests. */
#include <stdio.h>

#include "log_escape.h"
#include "manager.h"
#include "offline_tree.h"
#include "routes.h"

/* `text` as the inside of a DOT string: shown as the log shows it (no
 * control byte, no malformed UTF-8), then '"' and '\' escaped. */
static void put_escaped(const char *text) {
  char shown[8192];
  for (const char *p = fern__escape_shown(shown, sizeof shown, text); *p; p++) {
    if (*p == '"' || *p == '\\')
      putchar('\\');
    putchar(*p);
  }
}

static void put_quoted(const char *text) {
  putchar('"');
  put_escaped(text);
  putchar('"');
}


/* "/client\nelf", "/\nrealm", "/broken\nunresolved". */
static void put_node(const fern__instance *instance, int depth) {
  const fern__decl *decl = fern__instance_decl(instance);
  const char *kind = decl == NULL            ? "unresolved"
                     : decl->program == NULL ? "realm"
                     : decl->runner != NULL  ? decl->runner
                                             : "?";
  printf("%*s", depth * 2, "");
  put_quoted(instance->moniker);
  printf(" [label=\"");
  put_escaped(instance->moniker);
  printf("\\n");
  put_escaped(kind);
  printf("\"%s];\n", decl == NULL ? ", color=red, fontcolor=red" : "");
}

/* A node, or a realm's cluster with its node and its children's. */
static void put_component(const fern__instance *instance, int depth) {
  if (instance->child_count == 0) {
    put_node(instance, depth);
    return;
  }
  /* A subgraph is a cluster when its name begins with "cluster". */
  printf("%*ssubgraph \"cluster_", depth * 2, "");
  put_escaped(instance->moniker);
  printf("\" {\n%*slabel=", depth * 2 + 2, "");
  put_quoted(instance->moniker);
  printf(";\n");
  put_node(instance, depth + 1);
  for (size_t i = 0; i < instance->child_count; i++)
    put_component(instance->children[i], depth + 1);
  printf("%*s}\n", depth * 2, "");
}

static void put_edge(const char *from, const char *to, const char *label,
                     const char *style) {
  printf("  ");
  put_quoted(from);
  printf(" -> ");
  put_quoted(to);
  printf(" [label=");
  put_quoted(label);
  printf("%s];\n", style);
}

/* A dashed red edge from `moniker` to the red node of `error`. */
static void put_error(const char *moniker, const char *error,
                      const char *label) {
  static const char broken[] = ", style=dashed, color=red, fontcolor=red";
  printf("  ");
  put_quoted(error);
  printf(" [shape=note%s];\n", broken);
  put_edge(moniker, error, label, broken);
}

/* The edge of each protocol or directory `instance` uses (or of why it could not be
 * resolved); counts the errors. */
static void put_routes(fern__instance *instance, void *arg) {
  int *errors = arg;
  const fern__decl *decl = fern__instance_decl(instance);
  if (decl == NULL) {
    put_error(instance->moniker,
              instance->error ? instance->error : "not resolved",
              "unresolved");
    (*errors)++;
  }
  for (size_t i = 0; decl != NULL && i < decl->use_count; i++) {
    const fern__route_decl *use = &decl->uses[i];
    const fern__instance *provider = NULL;
    fern_error_t err = FERN_ERROR_INIT;
    int rc = fern__route_follow(instance, use, &provider, &err);
    char shown[4096];
    if (rc == FERN__ROUTE_PENDING)
      snprintf(err.message, sizeof err.message,
               "%s uses \"%s\": a component on the way is still resolving",
               instance->moniker, use->name);
    if (rc == FERN_OK) {
      /* A directory is drawn dotted: a share of files, not a socket. */
      put_edge(instance->moniker, provider->moniker, use->name,
               use->kind == FERN_ROUTE_DIRECTORY ? ", style=dotted" : "");
    } else if (use->optional) {
      printf("  // %s uses \"%s\" (optional): no route\n",
             fern__escape_shown(shown, sizeof shown, instance->moniker),
             use->name);
    } else {
      put_error(instance->moniker, err.message, use->name);
      (*errors)++;
    }
  }
}

static int print_graph(const fern__cli *cli, fern__instance *root,
                       const char *url) {
  (void)cli;
  char shown[8192];
  int errors = 0;
  printf("// fern graph %s\ndigraph fern {\n  node [shape=box];\n",
         fern__escape_shown(shown, sizeof shown, url));
  put_component(root, 1);
  fern__instance_walk(root, put_routes, &errors);
  printf("}\n");
  return errors > 0 ? 1 : 0;
}

int fern__cmd_graph(int argc, char **argv) {
  fern__cli cli = {.command = "graph",
                   .usage = "fern graph [OPTIONS] URL|PATH",
                   .summary =
                       "Resolves the tree at URL or PATH, running nothing, "
                       "and prints it as Graphviz\n"
                       "DOT: each component a node (moniker and runner), "
                       "each realm a cluster of its\n"
                       "children, each used protocol an edge from user to "
                       "provider; a broken route\n"
                       "is a dashed red edge to a node that names the error "
                       "(exit 1). Draw it with\n"
                       "`fern graph PATH | dot -Tsvg -o tree.svg`."};
  return fern__offline_tree(&cli, argc, argv, print_graph);
}
