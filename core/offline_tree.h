/* offline_tree.h - what `fern tree` and `fern graph` share: the tree at
 * their one operand (URL or PATH), every static component resolved and
 * none started (FERN_MODE_TREE), handed to the command's printer. */
#ifndef FERN_CORE_OFFLINE_TREE_H
#define FERN_CORE_OFFLINE_TREE_H

#include "cli.h"
#include "instance.h"

/* Prints the resolved tree under `root` (booted from `url`) and returns
 * the command's exit status. */
typedef int (*fern__offline_print)(const fern__cli *cli, fern__instance *root,
                                   const char *url);

/* Parses the command line into `cli` (its command, usage and summary set
 * by the caller), resolves the tree, calls `print`, tears everything down
 * and frees `cli`. Returns print's status, 2 for a usage error, or 1 when
 * the tree could not be booted (said on stderr). */
int fern__offline_tree(fern__cli *cli, int argc, char **argv,
                       fern__offline_print print);

#endif
