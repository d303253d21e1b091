/* manifest_cycles.c - no cycle of strong dependencies within one
 * manifest: the rule cmc checks on a .cml (Fuchsia's
 * tools/lib/cml/src/validate.rs, its `strong_dependencies` graph and
 * "Strong dependency cycles were found"). The nodes are self, each child
 * and each collection. A strong offer (the default) from self or #x to #y
 * is an edge x -> y: y depends on x, so x must start before y and stop
 * after it. A strong use from #x is an edge #x -> self. A child or
 * collection whose environment registers a runner or resolver from #x
 * depends on #x too (cmc's environment edges): #x -> it. Around a cycle no
 * such order exists; a weak offer or use makes no edge, which is how a
 * manifest breaks one. The parent is no node: it outlives them all.
 *
 * A manifest may have thousands of children: the graph is built and
 * searched in time linear in nodes and edges, and without recursion. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest_check.h"
#include "strmap.h"

/* A dependency, and the declaration that made it (an error points there:
 * "/KEY/INDEX" and `suffix`). */
typedef struct cycle_edge_s {
  size_t to;
  const char *key; /* "offer", "use", "children" or "collections" */
  unsigned index;
  const char *suffix; /* "" or "/environment" */
} cycle_edge;

enum { UNSEEN, ON_PATH, DONE };

/* Node 0 is self, then the children, then the collections. Node n's edges
 * are edges[first[n]] up to edges[first[n + 1]], in declaration order. */
typedef struct cycle_graph_s {
  size_t node_count;
  const char **names; /* NULL for self */
  fern__strmap ids;   /* a name -> its slot in `names` */
  size_t *first;
  cycle_edge *edges;
  /* The search: each node's next edge to follow, its state, and its depth
   * in `path` (the nodes from the search's root to where it stands). */
  size_t *next;
  unsigned char *state;
  size_t *depth;
  size_t *path, path_len;
} cycle_graph;

static size_t node_of(const cycle_graph *g, const fern__ref *ref) {
  if (ref->kind == FERN_REF_SELF)
    return 0;
  return (size_t)((const char **)fern__strmap_get(&g->ids, ref->name) -
                  g->names);
}

typedef void (*edge_fn)(cycle_graph *g, size_t from, const cycle_edge *edge);

/* The edges of the environment `name` to the node `to` (the child or
 * collection at "/KEY/INDEX" that lives in it): one per registration
 * from a child. */
static void environment_edges(cycle_graph *g, const fern__decl *decl,
                              const char *name, const cycle_edge *use,
                              edge_fn fn) {
  const fern__env_decl *env = name ? fern__decl_find_env(decl, name) : NULL;
  for (size_t k = 0; env != NULL && k < 2; k++) {
    const fern__registration *regs = k ? env->resolvers : env->runners;
    size_t count = k ? env->resolver_count : env->runner_count;
    for (size_t r = 0; r < count; r++)
      if (regs[r].from == FERN_FROM_CHILD)
        fn(g, node_of(g, &(fern__ref){FERN_REF_CHILD, regs[r].child}), use);
  }
}

/* Calls `fn` with each strong dependency the declaration makes. */
static void each_dependency(cycle_graph *g, const fern__decl *decl,
                            edge_fn fn) {
  for (size_t i = 0; i < decl->offer_count; i++) {
    const fern__route_decl *r = &decl->offers[i];
    if (!r->weak && r->from.kind != FERN_REF_PARENT)
      fn(g, node_of(g, &r->from),
         &(cycle_edge){node_of(g, &r->to), "offer", r->index, ""});
  }
  for (size_t i = 0; i < decl->use_count; i++) {
    const fern__route_decl *r = &decl->uses[i];
    if (!r->weak && r->from.kind == FERN_REF_CHILD)
      fn(g, node_of(g, &r->from), &(cycle_edge){0, "use", r->index, ""});
  }
  for (size_t i = 0; i < decl->child_count; i++)
    environment_edges(g, decl, decl->children[i].environment,
                      &(cycle_edge){1 + i, "children", (unsigned)i,
                                    "/environment"},
                      fn);
  for (size_t i = 0; i < decl->collection_count; i++)
    environment_edges(g, decl, decl->collections[i].environment,
                      &(cycle_edge){1 + decl->child_count + i, "collections",
                                    (unsigned)i, "/environment"},
                      fn);
}

static void count_edge(cycle_graph *g, size_t from, const cycle_edge *edge) {
  (void)edge;
  g->first[from + 1]++;
}

static void place_edge(cycle_graph *g, size_t from, const cycle_edge *edge) {
  g->edges[g->next[from]++] = *edge;
}

static int graph_alloc(cycle_graph *g, const fern__decl *decl) {
  size_t n = 1 + decl->child_count + decl->collection_count;
  g->node_count = n;
  g->names = calloc(n, sizeof *g->names);
  g->first = calloc(n + 1, sizeof *g->first);
  g->next = calloc(n, sizeof *g->next);
  g->state = calloc(n, sizeof *g->state);
  g->depth = calloc(n, sizeof *g->depth);
  g->path = calloc(n, sizeof *g->path);
  if (!g->names || !g->first || !g->next || !g->state || !g->depth || !g->path)
    return FERN_ENOMEM;
  for (size_t i = 0; i < decl->child_count; i++)
    g->names[1 + i] = decl->children[i].name;
  for (size_t i = 0; i < decl->collection_count; i++)
    g->names[1 + decl->child_count + i] = decl->collections[i].name;
  for (size_t i = 1; i < n; i++)
    if (fern__strmap_put(&g->ids, g->names[i], &g->names[i]) != 0)
      return FERN_ENOMEM;
  return FERN_OK;
}

static int graph_build(cycle_graph *g, const fern__decl *decl) {
  int rc = graph_alloc(g, decl);
  if (rc != FERN_OK)
    return rc;
  each_dependency(g, decl, count_edge);
  for (size_t n = 0; n < g->node_count; n++)
    g->first[n + 1] += g->first[n];
  g->edges = malloc((g->first[g->node_count] + 1) * sizeof *g->edges);
  if (g->edges == NULL)
    return FERN_ENOMEM;
  memcpy(g->next, g->first, g->node_count * sizeof *g->next);
  each_dependency(g, decl, place_edge);
  memcpy(g->next, g->first, g->node_count * sizeof *g->next);
  return FERN_OK;
}

static void graph_free(cycle_graph *g) {
  fern__strmap_free(&g->ids, NULL);
  free(g->names);
  free(g->first);
  free(g->edges);
  free(g->next);
  free(g->state);
  free(g->depth);
  free(g->path);
}

static void enter(cycle_graph *g, size_t n) {
  g->state[n] = ON_PATH;
  g->depth[n] = g->path_len;
  g->path[g->path_len++] = n;
}

/* Depth first from each node in turn. An edge back to a node on the path
 * closes a cycle: returns that edge, and in *start where on the path the
 * cycle begins. NULL when there is none. */
static const cycle_edge *find_cycle(cycle_graph *g, size_t *start) {
  for (size_t root = 0; root < g->node_count; root++) {
    if (g->state[root] != UNSEEN)
      continue;
    enter(g, root);
    while (g->path_len > 0) {
      size_t n = g->path[g->path_len - 1];
      if (g->next[n] == g->first[n + 1]) {
        g->state[n] = DONE;
        g->path_len--;
        continue;
      }
      const cycle_edge *e = &g->edges[g->next[n]++];
      if (g->state[e->to] == ON_PATH) {
        *start = g->depth[e->to];
        return e;
      }
      if (g->state[e->to] == UNSEEN)
        enter(g, e->to);
    }
  }
  return NULL;
}

static const char *label(const cycle_graph *g, size_t n,
                         char buf[FERN_NAME_MAX + 2]) {
  if (n == 0)
    return "self";
  snprintf(buf, FERN_NAME_MAX + 2, "#%s", g->names[n]);
  return buf;
}

/* What "... (N more) -> " and the closing node take at most. */
#define CYCLE_TAIL (40 + FERN_NAME_MAX)

/* The cycle as cmc prints it, "#a -> #b -> #a"; its middle is left out
 * where it would not fit in an error message. */
static void describe(const cycle_graph *g, size_t start, char *buf,
                     size_t size) {
  char one[FERN_NAME_MAX + 2];
  size_t used = 0, len = g->path_len - start;
  for (size_t i = 0; i < len; i++) {
    const char *node = label(g, g->path[start + i], one);
    if (used + strlen(node) + 4 + CYCLE_TAIL > size) {
      used += (size_t)snprintf(buf + used, size - used, "... (%zu more) -> ",
                               len - i);
      break;
    }
    used += (size_t)snprintf(buf + used, size - used, "%s -> ", node);
  }
  snprintf(buf + used, size - used, "%s", label(g, g->path[start], one));
}

int fern__manifest_cycles(fern__mcheck *mc, const fern__decl *decl) {
  cycle_graph g = {0};
  size_t start = 0;
  int rc = graph_build(&g, decl);
  const cycle_edge *e = rc == FERN_OK ? find_cycle(&g, &start) : NULL;
  if (rc != FERN_OK) {
    rc = fern_error_set(mc->err, FERN_ENOMEM, NULL, "out of memory");
  } else if (e != NULL) {
    char cycle[320];
    describe(&g, start, cycle, sizeof cycle);
    fern__pointer p;
    snprintf(p, sizeof p, "/%s/%u%s", e->key, e->index, e->suffix);
    rc = fern__mfail(mc, p, "strong dependency cycle: %s; break it by "
                            "marking an offer or use in it \"dependency\": "
                            "\"weak\"%s",
                     cycle, e->suffix[0] ? " (an environment's runner or "
                                           "resolver from a child cannot be "
                                           "weak)"
                                         : "");
  }
  graph_free(&g);
  return rc;
}
