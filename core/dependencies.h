/* dependencies.h - which child of a realm depends on which sibling: what
 * a stop must end first. */
#ifndef FERN_CORE_DEPENDENCIES_H
#define FERN_CORE_DEPENDENCIES_H

#include "instance.h"

/* One strong dependency: `dependent` uses what `dependency` provides. */
typedef void (*fern__dependency_cb)(void *arg, fern__instance *dependent,
                                    fern__instance *dependency);

/* Calls `cb` for each strong dependency between the children of `realm`.
 * With `of` set, only for the dependents of that one child. */
void fern__dependencies_each(fern__instance *realm, const fern__instance *of,
                             fern__dependency_cb cb, void *arg);

#endif
