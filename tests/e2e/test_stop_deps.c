/* test_stop_deps.c - a stop follows the dependencies offers make: siblings
 * nothing orders stop at once, a chain stops from its end, a weak offer
 * orders nothing, and `fern stop` of a provider stops its dependents
 * first. Asserted on the events' order: each component's `stopping` (its
 * stop asked) against the others' `stopped` (their end taken). */
#include <signal.h>

#include "control_run.h"
#include "e2e.h"
#include "event_asserts.h"

/* meta/NAME.cm: bin/tool taking `ms` to exit after SIGTERM, serving
 * protocol NAME and using each of `uses` ("" for none). */
static void write_slow(const char *pkg, const char *name, const char *uses,
                       int ms) {
  char path[64], text[1024];
  snprintf(path, sizeof path, "meta/%s.cm", name);
  snprintf(text, sizeof text,
           "{\"program\": {\"runner\": \"elf\", \"binary\": \"bin/tool\", "
           "\"args\": [\"slow-term\", \"%d\"]},\n"
           " \"capabilities\": [{\"protocol\": \"%s\"}],\n"
           " \"expose\": [{\"protocol\": \"%s\", \"from\": \"self\"}]%s%s%s}\n",
           ms, name, name, uses[0] ? ",\n \"use\": [{\"protocol\": \"" : "", uses,
           uses[0] ? "\"}]" : "");
  e2e_package_write(pkg, path, text);
}

/* meta/root.cm: eager children a, b, c, d; b uses a's protocol, c uses
 * b's; d depends on nothing. `weak` makes the offer of a to b weak (and
 * /a slower than /c, so that /a is still stopping when /b is asked);
 * `slow_c` makes /c take 800 ms. */
static void write_chain_of(const char *pkg, int weak, int slow_c) {
  char root[2048];
  snprintf(root, sizeof root,
           "{\"children\": [\n"
           "  {\"name\": \"a\", \"url\": \"#meta/a.cm\", \"startup\": \"eager\"},\n"
           "  {\"name\": \"b\", \"url\": \"#meta/b.cm\", \"startup\": \"eager\"},\n"
           "  {\"name\": \"c\", \"url\": \"#meta/c.cm\", \"startup\": \"eager\"},\n"
           "  {\"name\": \"d\", \"url\": \"#meta/d.cm\", \"startup\": \"eager\"}],\n"
           " \"offer\": [\n"
           "  {\"protocol\": \"a\", \"from\": \"#a\", \"to\": \"#b\"%s},\n"
           "  {\"protocol\": \"b\", \"from\": \"#b\", \"to\": \"#c\"}]}\n",
           weak ? ", \"dependency\": \"weak\"" : "");
  e2e_package_write(pkg, "meta/root.cm", root);
  write_slow(pkg, "a", "", weak ? 800 : 200);
  write_slow(pkg, "b", "a", 200);
  write_slow(pkg, "c", "b", slow_c ? 800 : 200);
  write_slow(pkg, "d", "", 200);
}

static void write_chain(const char *pkg, int weak) {
  write_chain_of(pkg, weak, 0);
}

static json_int_t seq(const json_t *all, const char *type,
                      const char *moniker) {
  return e2e_seq_of(e2e_the_event(all, type, moniker));
}

/* `later`'s stop was asked only after `first` had ended. */
static void assert_ended_before_asked(const json_t *all, const char *first,
                                      const char *later) {
  ck_assert_msg(seq(all, "stopped", first) < seq(all, "stopping", later),
                "%s was asked to stop before %s had ended", later, first);
}

/* Both were asked before either ended: they stopped at once. */
static void assert_together(const json_t *all, const char *x, const char *y) {
  ck_assert_msg(seq(all, "stopping", x) < seq(all, "stopped", y) &&
                    seq(all, "stopping", y) < seq(all, "stopped", x),
                "%s and %s did not stop at once", x, y);
}

static json_t *run_and_stop(const char *pkg, e2e_proc *p, int ready) {
  char root[4200];
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  const char *args[] = {"run", root, NULL};
  e2e_start(p, args);
  e2e_wait_for_count(p, "] ready", ready, 30000);
  kill(p->pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(p, 30000), 0);
  return e2e_read_events(p->events);
}

START_TEST(test_independent_siblings_stop_at_once) {
  enum { COUNT = 20 };
  char pkg[4096], root[8192];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_program(pkg, "slow", "elf", "\"args\": [\"slow-term\", \"300\"]");
  int used = snprintf(root, sizeof root, "{\"children\": [");
  for (int i = 0; i < COUNT; i++)
    used += snprintf(root + used, sizeof root - (size_t)used,
                     "%s{\"name\": \"s%d\", \"url\": \"#meta/slow.cm\", "
                     "\"startup\": \"eager\"}",
                     i ? ", " : "", i);
  snprintf(root + used, sizeof root - (size_t)used, "]}\n");
  e2e_package_write(pkg, "meta/root.cm", root);
  e2e_proc p;
  json_t *all = run_and_stop(pkg, &p, COUNT);
  json_int_t last_asked = 0, first_ended = -1;
  for (int i = 0; i < COUNT; i++) {
    char moniker[16];
    snprintf(moniker, sizeof moniker, "/s%d", i);
    json_int_t asked = seq(all, "stopping", moniker);
    json_int_t ended = seq(all, "stopped", moniker);
    last_asked = asked > last_asked ? asked : last_asked;
    first_ended = first_ended < 0 || ended < first_ended ? ended : first_ended;
  }
  ck_assert_msg(last_asked < first_ended,
                "a sibling was asked to stop only after another had ended");
  ck_assert_int_eq(e2e_count(p.err, "] term after 300 ms"), COUNT);
  json_decref(all);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

START_TEST(test_a_chain_stops_from_its_end_beside_the_rest) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  write_chain(pkg, 0);
  e2e_proc p;
  json_t *all = run_and_stop(pkg, &p, 4);
  assert_ended_before_asked(all, "/c", "/b");
  assert_ended_before_asked(all, "/b", "/a");
  assert_together(all, "/c", "/d");
  json_decref(all);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

START_TEST(test_a_weak_offer_orders_nothing) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  write_chain(pkg, 1);
  e2e_proc p;
  json_t *all = run_and_stop(pkg, &p, 4);
  assert_together(all, "/a", "/b");
  assert_ended_before_asked(all, "/c", "/b");
  json_decref(all);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* `fern stop /a`: /c, then /b, then /a; /d and / run on. */
START_TEST(test_stopping_a_provider_stops_its_dependents_first) {
  char pkg[4096], root[4200];
  e2e_package_new(pkg, sizeof pkg);
  write_chain(pkg, 0);
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  e2e_running r;
  e2e_ctl_serve(&r, root);
  e2e_wait_for_count(&r.fern, "] ready", 4, 30000);
  e2e_proc p;
  ck_assert_int_eq(e2e_ctl(&r, &p, "stop", "/a", NULL, NULL), 0);
  e2e_free(&p);
  e2e_wait_for(&r.fern, "fern: /a: stopping /b first: it depends on /a",
               20000);
  /* Each program is told to stop once its dependent has ended. */
  e2e_assert_order(r.fern.err, "[/c] term after", "[/b] got term");
  e2e_assert_order(r.fern.err, "[/b] term after", "[/a] got term");
  json_t *all = e2e_read_events(r.events);
  ck_assert_int_lt(seq(all, "stopped", "/c"), seq(all, "stopped", "/b"));
  ck_assert_int_lt(seq(all, "stopped", "/b"), seq(all, "stopped", "/a"));
  ck_assert_int_eq(e2e_event_count(&r.fern, "stopped", "/d"), 0);
  json_decref(all);
  json_t *shown = e2e_ctl_json(&r, "show", "/d");
  ck_assert_str_eq(e2e_field(shown, "state"), "running");
  json_decref(shown);
  e2e_ctl_finish(&r, 0);
  e2e_ctl_cleanup(&r);
  e2e_package_remove(pkg);
}
END_TEST

/* A shutdown that comes while `fern stop /a` waits for /a's dependents:
 * /a still waits for them, and the tree ends, in order. */
START_TEST(test_a_shutdown_during_a_providers_own_stop_ends_in_order) {
  char pkg[4096], root[4200];
  e2e_package_new(pkg, sizeof pkg);
  write_chain_of(pkg, 0, 1);
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  e2e_running r;
  e2e_ctl_serve(&r, root);
  e2e_wait_for_count(&r.fern, "] ready", 4, 30000);
  e2e_proc stopper;
  const char *stop[] = {"stop", "--control", r.socket, "/a", NULL};
  e2e_start(&stopper, stop);
  e2e_wait_for(&r.fern, "[/c] got term", 20000);
  kill(r.fern.pid, SIGTERM); /* the whole tree stops */
  ck_assert_int_eq(e2e_finish(&r.fern, 20000), 0);
  e2e_finish(&stopper, 20000);
  e2e_free(&stopper);
  e2e_assert_order(r.fern.err, "[/c] term after", "[/b] got term");
  e2e_assert_order(r.fern.err, "[/b] term after", "[/a] got term");
  e2e_free(&r.fern);
  e2e_ctl_cleanup(&r);
  e2e_package_remove(pkg);
}
END_TEST

/* A dependent that is a realm with nothing running ends inside the stop
 * that asks it: the provider's stop goes on at once. */
START_TEST(test_a_realm_that_depends_on_a_provider_does_not_hold_its_stop) {
  char pkg[4096], root[4200];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_write(
      pkg, "meta/root.cm",
      "{\"children\": [{\"name\": \"a\", \"url\": \"#meta/a.cm\", \"startup\": \"eager\"},\n"
      "  {\"name\": \"realm\", \"url\": \"#meta/realm.cm\", \"startup\": \"eager\"}],\n"
      " \"offer\": [{\"protocol\": \"a\", \"from\": \"#a\", \"to\": \"#realm\"}]}\n");
  e2e_package_write(pkg, "meta/realm.cm",
                    "{\"children\": [{\"name\": \"idle\", \"url\": \"#meta/a.cm\"}]}\n");
  write_slow(pkg, "a", "", 200);
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  e2e_running r;
  e2e_ctl_serve(&r, root);
  e2e_wait_for(&r.fern, "[/a] ready", 30000);
  json_t *realm = e2e_ctl_json(&r, "show", "/realm");
  ck_assert_str_eq(e2e_field(realm, "state"), "running");
  json_decref(realm);
  json_t *stopped = e2e_ctl_json(&r, "stop", "/a");
  ck_assert_str_eq(e2e_field(stopped, "state"), "stopped");
  json_decref(stopped);
  e2e_ctl_finish(&r, 0);
  e2e_ctl_cleanup(&r);
  e2e_package_remove(pkg);
}
END_TEST

Suite *stop_deps_suite(void) {
  Suite *s = suite_create("stop_deps");
  TCase *tc = tcase_create("stop_deps");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_independent_siblings_stop_at_once);
  tcase_add_test(tc, test_a_chain_stops_from_its_end_beside_the_rest);
  tcase_add_test(tc, test_a_weak_offer_orders_nothing);
  tcase_add_test(tc, test_stopping_a_provider_stops_its_dependents_first);
  tcase_add_test(tc, test_a_shutdown_during_a_providers_own_stop_ends_in_order);
  tcase_add_test(tc, test_a_realm_that_depends_on_a_provider_does_not_hold_its_stop);
  suite_add_tcase(s, tc);
  return s;
}
