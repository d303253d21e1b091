/* route_print.h - routes for a person, from what the control socket
 * replies (route_report.h): the hops of `fern route`. The strings are
 * shown as they are: the caller has escaped them. */
#ifndef FERN_CORE_ROUTE_PRINT_H
#define FERN_CORE_ROUTE_PRINT_H

#include <jansson.h>

/* Prints a route reply: per used protocol its status, then its hops on
 * one line, "/client uses "echo" from parent -> / offers ...". */
void fern__print_route(const json_t *result);

#endif
