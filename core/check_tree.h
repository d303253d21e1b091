/* check_tree.h - `fern check --tree`: a whole tree's resolution and
 * routes, checked without starting anything. */
#ifndef FERN_CORE_CHECK_TREE_H
#define FERN_CORE_CHECK_TREE_H

#include <jansson.h>

#include "config.h"

/* Resolves the tree at `arg` (URL or PATH) and follows every route: 0 if
 * all is well, else 1 with each error printed (or, with `results`, a JSON
 * object appended to it). */
int fern__check_tree(fern__config *config, const char *arg, json_t *results);

#endif
