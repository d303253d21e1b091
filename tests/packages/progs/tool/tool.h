/* tool.h - the parts of the test program tool (src/tool.c) that live in
 * tests/packages/progs/tool: one file per kind of behaviour. */
#ifndef FERN_TESTS_TOOL_H
#define FERN_TESTS_TOOL_H

#include <stddef.h>
#include <sys/types.h>

_Noreturn void echo_serve(int once);
_Noreturn void echo_call(const char *name, int count, char **texts);
_Noreturn void wait_forever(void);
_Noreturn void slow_term(int ms);
_Noreturn void term_family(void);
void leave_orphans(int n);
void leave_clean_child(const char *self);
int lifecycle(int answer);
int namespace_file(const char *how, const char *rel);
int namespace_count(const char *rel);
void print_fds(void);
void print_limit(const char *name, int resource);
int print_status(const char *const *keys, int n);
int print_config(void);
int cgroup_behaviour(const char *what, int n, int wait);
int print_confinement(const char *const *paths, int n);

#endif
