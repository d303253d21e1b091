/* route_print.h - routes for a person, from what the control socket
 * replies (route_report.h): the hops of `fern route` and the routes
 * `fern show` lists. The strings are shown as they are: the caller has
 * escaped them. */
#ifndef FERN_CORE_ROUTE_PRINT_H
#define FERN_CORE_ROUTE_PRINT_H

#include <jansson.h>

/* Prints a route reply: per used protocol its status, then its hops on
 * one line, "/client uses "echo" from parent -> / offers ...". */
void fern__print_route(const json_t *result);

/* Prints the "uses", "exposes" and "offers" of a show reply, one route a
 * line under a label ("Uses:"), "-" for none. */
void fern__print_declared_routes(const json_t *shown);

#endif
