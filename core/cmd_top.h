/* cmd_top.h - what components cost, for a person (cmd_top.c): fern show's
 * Cost line, fern list --wide's table, and fern top. */
#ifndef FERN_CORE_CMD_TOP_H
#define FERN_CORE_CMD_TOP_H

#include <jansson.h>
#include <stddef.h>

#include "cli.h"

/* A "cost" object of the control socket as one line: "1.2 s CPU, 3.1 MiB
 * (peak 4.0 MiB), 2 processes (from cgroup)", or why it is unknown. */
void fern__cost_text(const json_t *cost, char *out, size_t size);
/* The rows of fern list --wide, with a CPU% column when `cpu_share` (a
 * moniker -> share object) is given (fern top). */
void fern__print_costs(const json_t *rows, const json_t *cpu_share);
/* One request to the fern at the CLI's control socket: its result (a new
 * reference), or NULL after saying why (cmd_ctl.c). Takes `request`. */
json_t *fern__ctl_fetch(const fern__cli *cli, const char *command,
                        json_t *request);

#endif
