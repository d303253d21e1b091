/* control_cost.h - a running component's cost as the control socket
 * reports it (control_cost.c). Loop thread. */
#ifndef FERN_CORE_CONTROL_COST_H
#define FERN_CORE_CONTROL_COST_H

#include <jansson.h>

#include "instance.h"

json_t *fern__control_cost(fern__instance *instance);

#endif
