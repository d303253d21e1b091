/* test_serve.c - protocols as sockets: a provider gets its socket as
 * systemd's socket activation hands one over; a lazy provider starts on
 * its first connection, and a reconnect after it exited finds it again;
 * a provider that cannot start makes its waiting clients read end of
 * file. Real programs (bin/tool echo-serve, echo-call) on real sockets. */
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "control_run.h"
#include "e2e.h"
#include "event_asserts.h"

/* / with lazy /server (bin/tool SERVER_ARGS, or a binary that is not
 * there) serving "echo", offered to eager /client (echo-call ARGS). */
static void write_echo(const char *pkg, const char *server_program,
                       const char *client_args) {
  char text[1024];
  e2e_package_write(
      pkg, "meta/root.cm",
      "{\"children\": [{\"name\": \"server\", \"url\": \"#meta/server.cm\"},\n"
      "  {\"name\": \"client\", \"url\": \"#meta/client.cm\", \"startup\": \"eager\"}],\n"
      " \"offer\": [{\"protocol\": \"echo\", \"from\": \"#server\", \"to\": \"#client\"}]}\n");
  snprintf(text, sizeof text,
           "{\"program\": {\"runner\": \"elf\", %s},\n"
           " \"capabilities\": [{\"protocol\": \"echo\"}],\n"
           " \"expose\": [{\"protocol\": \"echo\", \"from\": \"self\"}]}\n",
           server_program);
  e2e_package_write(pkg, "meta/server.cm", text);
  snprintf(text, sizeof text,
           "{\"program\": {\"runner\": \"elf\", \"binary\": \"bin/tool\", "
           "\"args\": [\"echo-call\", \"echo\", %s]},\n"
           " \"use\": [{\"protocol\": \"echo\"}]}\n",
           client_args);
  e2e_package_write(pkg, "meta/client.cm", text);
}

static int run_root(const char *pkg, e2e_proc *p) {
  char root[4200];
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  const char *args[] = {"run", root, NULL};
  return e2e_run(p, 30000, args);
}

/* The server answers one connection and exits; the client's second
 * connection starts it again through the same socket. */
START_TEST(test_a_connection_starts_the_provider_and_a_reconnect_finds_it_again) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  write_echo(pkg, "\"binary\": \"bin/tool\", \"args\": [\"echo-serve\", \"once\"]",
             "\"hello\", \"again\"");
  e2e_proc p;
  ck_assert_int_eq(run_root(pkg, &p), 0);
  e2e_assert_has(p.err, "[/client] echo: hello\n");
  e2e_assert_has(p.err, "[/client] echo: again\n");
  e2e_assert_end(&p, "/client", "ok (exit 0)");
  ck_assert_int_eq(e2e_event_count(&p, "started", "/server"), 2);
  e2e_assert_field(&p, "started", "/server", "reason", "capability");
  e2e_assert_field(&p, "started", "/server", "capability", "echo");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

START_TEST(test_a_provider_that_cannot_start_closes_the_waiting_connection) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  write_echo(pkg, "\"binary\": \"bin/missing\"", "\"hello\"");
  e2e_proc p;
  ck_assert_int_eq(run_root(pkg, &p), 1);
  e2e_assert_has(p.err, "[/client] end of file\n");
  e2e_assert_end(&p, "/client", "instance_died (exit 3)");
  /* One connection, one start that failed, naming the protocol. */
  ck_assert_int_eq(e2e_event_count(&p, "stopped", "/server"), 1);
  e2e_assert_field(&p, "stopped", "/server", "status", "cannot_start");
  e2e_assert_field(&p, "stopped", "/server", "capability", "echo");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* sd_listen_fds(3)'s convention: the socket at fd 3, LISTEN_PID the
 * program's own pid, LISTEN_FDNAMES its name; the lifecycle channel after
 * it, where FERN_LIFECYCLE_FD says. */
START_TEST(test_the_socket_is_handed_over_as_systemd_does) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_write(
      pkg, "meta/root.cm",
      "{\"children\": [{\"name\": \"server\", \"url\": \"#meta/server.cm\", "
      "\"startup\": \"eager\"}]}\n");
  e2e_package_write(
      pkg, "meta/server.cm",
      "{\"program\": {\"runner\": \"elf\", \"binary\": \"bin/tool\", "
      "\"args\": [\"env\"], \"lifecycle\": {\"stop_event\": \"notify\"}},\n"
      " \"capabilities\": [{\"protocol\": \"echo\"}],\n"
      " \"expose\": [{\"protocol\": \"echo\", \"from\": \"self\"}]}\n");
  e2e_proc p;
  ck_assert_int_eq(run_root(pkg, &p), 0);
  json_t *all = e2e_proc_events(&p);
  json_t *started = e2e_events_of(all, "started", "/server");
  char pid_line[64];
  snprintf(pid_line, sizeof pid_line, "[/server] LISTEN_PID=%lld\n",
           (long long)e2e_int_of(started, 0, "pid"));
  json_decref(started);
  json_decref(all);
  e2e_assert_has(p.err, pid_line);
  e2e_assert_has(p.err, "[/server] LISTEN_FDS=1\n");
  e2e_assert_has(p.err, "[/server] LISTEN_FDNAMES=echo\n");
  e2e_assert_has(p.err, "[/server] FERN_LIFECYCLE_FD=4\n");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* meta/NAME.cm: bin/tool ARGS in the sandbox runner, using "echo". */
static void write_sandboxed_user(const char *pkg, const char *name,
                                 const char *args) {
  char path[64], text[512];
  snprintf(path, sizeof path, "meta/%s.cm", name);
  snprintf(text, sizeof text,
           "{\"program\": {\"runner\": \"sandbox\", \"binary\": \"bin/tool\", "
           "\"args\": [%s]},\n \"use\": [{\"protocol\": \"echo\"}]}\n",
           args);
  e2e_package_write(pkg, path, text);
}

/* Four sandboxed users of "echo" beside a routed "secret" they do not
 * use: one talks to the server through the socket bound at /svc/echo,
 * one lists /svc (only "echo" is there), one tries a TCP socket and one a
 * Unix datagram socket (seccomp kills both: only the Unix stream socket it
 * connects with is allowed). */
START_TEST(test_a_sandboxed_client_sees_only_what_it_uses) {
  if (e2e_skip_under_valgrind("libseccomp probes the kernel with seccomp(2) "
                              "calls valgrind does not run"))
    return;
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_write(
      pkg, "meta/root.cm",
      "{\"children\": [{\"name\": \"server\", \"url\": \"#meta/server.cm\"},\n"
      "  {\"name\": \"keeper\", \"url\": \"#meta/keeper.cm\"},\n"
      "  {\"name\": \"client\", \"url\": \"#meta/client.cm\", \"startup\": \"eager\"},\n"
      "  {\"name\": \"looker\", \"url\": \"#meta/looker.cm\", \"startup\": \"eager\"},\n"
      "  {\"name\": \"prober\", \"url\": \"#meta/prober.cm\", \"startup\": \"eager\"},\n"
      "  {\"name\": \"dgram\", \"url\": \"#meta/dgram.cm\", \"startup\": \"eager\"}],\n"
      " \"offer\": [{\"protocol\": \"echo\", \"from\": \"#server\", "
      "\"to\": [\"#client\", \"#looker\", \"#prober\", \"#dgram\"]},\n"
      "  {\"protocol\": \"secret\", \"from\": \"#keeper\", \"to\": \"#server\"}]}\n");
  e2e_package_write(
      pkg, "meta/server.cm",
      "{\"program\": {\"runner\": \"elf\", \"binary\": \"bin/tool\", "
      "\"args\": [\"echo-serve\"]},\n"
      " \"capabilities\": [{\"protocol\": \"echo\"}],\n"
      " \"expose\": [{\"protocol\": \"echo\", \"from\": \"self\"}],\n"
      " \"use\": [{\"protocol\": \"secret\", \"dependency\": \"weak\"}]}\n");
  e2e_package_write(
      pkg, "meta/keeper.cm",
      "{\"program\": {\"runner\": \"elf\", \"binary\": \"bin/tool\", "
      "\"args\": [\"sleep\"]},\n"
      " \"capabilities\": [{\"protocol\": \"secret\"}],\n"
      " \"expose\": [{\"protocol\": \"secret\", \"from\": \"self\"}]}\n");
  write_sandboxed_user(pkg, "client", "\"echo-call\", \"echo\", \"hi\"");
  write_sandboxed_user(pkg, "looker", "\"ls\", \"/svc\"");
  write_sandboxed_user(pkg, "prober", "\"net\"");
  write_sandboxed_user(pkg, "dgram", "\"unix-dgram\"");
  char root[4200];
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  e2e_proc p;
  const char *args[] = {"run", "--config", "tests/config/elf-and-sandbox.json", root,
                        NULL};
  e2e_start(&p, args);
  e2e_wait_end(&p, "/client", "ok (exit 0)", 30000);
  e2e_wait_end(&p, "/looker", "ok (exit 0)", 30000);
  e2e_wait_end(&p, "/prober", "instance_died (signal SYS", 30000);
  e2e_wait_end(&p, "/dgram", "instance_died (signal SYS", 30000);
  kill(p.pid, SIGTERM);
  e2e_finish(&p, 30000);
  e2e_assert_has(p.err, "[/client] echo: hi\n");
  e2e_assert_has(p.err, "[/looker] entry echo\n");
  ck_assert_int_eq(e2e_count(p.err, "[/looker] entry "), 1);
  e2e_assert_lacks(p.err, "[/prober] socket ok");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* A sandboxed provider gets its socket through bubblewrap, with LISTEN_PID
 * as it sees itself (pid 2 in its pid namespace): started by an ELF
 * client's connection, it answers; the filter lets it accept and talk on
 * the socket it was given. */
START_TEST(test_a_sandboxed_provider_serves_through_bubblewrap) {
  if (e2e_skip_under_valgrind("libseccomp probes the kernel with seccomp(2) "
                              "calls valgrind does not run"))
    return;
  char pkg[4096], root[4200];
  e2e_package_new(pkg, sizeof pkg);
  write_echo(pkg, "\"binary\": \"bin/tool\", \"args\": [\"echo-serve\"]",
             "\"hi\", \"again\"");
  e2e_package_write(
      pkg, "meta/server.cm",
      "{\"program\": {\"runner\": \"sandbox\", \"binary\": \"bin/tool\", "
      "\"args\": [\"echo-serve\"]},\n"
      " \"capabilities\": [{\"protocol\": \"echo\"}],\n"
      " \"expose\": [{\"protocol\": \"echo\", \"from\": \"self\"}]}\n");
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  e2e_proc p;
  const char *args[] = {"run", "--config", "tests/config/elf-and-sandbox.json",
                        root, NULL};
  e2e_start(&p, args);
  e2e_wait_end(&p, "/client", "ok (exit 0)", 30000);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 30000), 0);
  e2e_assert_has(p.err, "[/server] serving echo on fd 3 (LISTEN_FDS=1)\n");
  e2e_assert_has(p.err, "[/client] echo: hi\n");
  e2e_assert_has(p.err, "[/client] echo: again\n");
  e2e_assert_field(&p, "started", "/server", "capability", "echo");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* An offer to a collection reaches its dynamic children: one created and
 * started through the control socket connects to the server. */
START_TEST(test_an_offer_to_a_collection_reaches_its_dynamic_children) {
  char pkg[4096], root[4200];
  e2e_package_new(pkg, sizeof pkg);
  write_echo(pkg, "\"binary\": \"bin/tool\", \"args\": [\"echo-serve\"]",
             "\"hi\"");
  e2e_package_write(
      pkg, "meta/root.cm",
      "{\"children\": [{\"name\": \"server\", \"url\": \"#meta/server.cm\"}],\n"
      " \"collections\": [{\"name\": \"workers\", \"durability\": \"transient\"}],\n"
      " \"offer\": [{\"protocol\": \"echo\", \"from\": \"#server\", \"to\": \"#workers\"}]}\n");
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  e2e_running r;
  e2e_ctl_serve(&r, root);
  e2e_ctl_create_started(&r, "/workers", "w1", "#meta/client.cm");
  e2e_wait_end(&r.fern, "/workers:w1", "ok (exit 0)", 20000);
  /* Its output comes through fern's log, which may lag the event. */
  e2e_wait_for(&r.fern, "[/workers:w1] echo: hi\n", 20000);
  e2e_assert_field(&r.fern, "started", "/server", "capability", "echo");
  e2e_ctl_finish(&r, 0);
  e2e_ctl_cleanup(&r);
  e2e_package_remove(pkg);
}
END_TEST

/* A daemon written for a systemd .socket unit runs unchanged: one built on
 * libsystemd's sd_listen_fds_with_names() (bin/sd-echo). */
START_TEST(test_a_libsystemd_daemon_takes_its_socket_unchanged) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_copy(pkg, "tests/packages/progs/bin/sd-echo", "bin/sd-echo");
  write_echo(pkg, "\"binary\": \"bin/sd-echo\"", "\"one\", \"two\"");
  e2e_proc p;
  char root[4200];
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  const char *args[] = {"run", root, NULL};
  e2e_start(&p, args);
  e2e_wait_end(&p, "/client", "ok (exit 0)", 30000);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 30000), 0);
  e2e_assert_has(p.err, "[/server] sd_listen_fds_with_names: 1, echo at 3\n");
  e2e_assert_has(p.err, "[/client] sd: one\n");
  e2e_assert_has(p.err, "[/client] sd: two\n");
  ck_assert_int_eq(e2e_event_count(&p, "started", "/server"), 1);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* And a real socket-activatable daemon from Debian: dbus-daemon with the
 * address "systemd:" takes its socket from LISTEN_FDS; dbus-send, given
 * the path in the client's namespace, asks the bus for its id. */
START_TEST(test_debians_dbus_daemon_is_started_by_its_first_client) {
  if (access("/usr/bin/dbus-daemon", X_OK) != 0 ||
      access("/usr/bin/dbus-send", X_OK) != 0) {
    fprintf(stderr, "skipped the dbus-daemon test: dbus-daemon or dbus-send "
                    "is not installed (scripts/setup installs them)\n");
    return;
  }
  char pkg[4096], root[4200];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_copy(pkg, "/usr/bin/dbus-daemon", "bin/dbus-daemon");
  e2e_package_copy(pkg, "/usr/bin/dbus-send", "bin/dbus-send");
  e2e_package_copy(pkg, "/bin/dash", "bin/sh");
  e2e_package_write(
      pkg, "meta/root.cm",
      "{\"children\": [{\"name\": \"bus\", \"url\": \"#meta/bus.cm\"},\n"
      "  {\"name\": \"client\", \"url\": \"#meta/client.cm\", \"startup\": \"eager\"}],\n"
      " \"offer\": [{\"protocol\": \"dbus\", \"from\": \"#bus\", \"to\": \"#client\"}]}\n");
  e2e_package_write(
      pkg, "meta/bus.cm",
      "{\"program\": {\"runner\": \"elf\", \"binary\": \"bin/dbus-daemon\", "
      "\"args\": [\"--session\", \"--address=systemd:\", \"--nofork\", "
      "\"--nopidfile\"]},\n"
      " \"capabilities\": [{\"protocol\": \"dbus\"}],\n"
      " \"expose\": [{\"protocol\": \"dbus\", \"from\": \"self\"}]}\n");
  e2e_package_write(
      pkg, "meta/client.cm",
      "{\"program\": {\"runner\": \"elf\", \"binary\": \"bin/sh\", "
      "\"args\": [\"-c\", \"exec bin/dbus-send "
      "--bus=unix:path=$FERN_NAMESPACE/svc/dbus --print-reply "
      "--dest=org.freedesktop.DBus /org/freedesktop/DBus "
      "org.freedesktop.DBus.GetId\"]},\n"
      " \"use\": [{\"protocol\": \"dbus\"}]}\n");
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  e2e_proc p;
  const char *args[] = {"run", root, NULL};
  e2e_start(&p, args);
  e2e_wait_end(&p, "/client", "ok (exit 0)", 30000);
  kill(p.pid, SIGTERM);
  e2e_finish(&p, 30000);
  e2e_assert_has(p.err, "[/client] method return");
  e2e_assert_has(p.err, "[/client]    string \"");
  e2e_assert_field(&p, "started", "/bus", "capability", "dbus");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* A provider that fails at once, five times in a row for connections, is
 * watched no more: the waiting client reads end of file. */
START_TEST(test_a_provider_failing_each_activation_is_given_up) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  write_echo(pkg, "\"binary\": \"bin/tool\", \"args\": [\"exit\", \"1\"]",
             "\"hello\"");
  e2e_proc p;
  ck_assert_int_eq(run_root(pkg, &p), 1);
  e2e_assert_end(&p, "/client", "instance_died (exit 3)");
  ck_assert_int_eq(e2e_event_count(&p, "started", "/server"), 5);
  e2e_assert_has(p.err, "its last 5 runs started by connections failed");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* /server resolves through the gate test resolver, held until PKG/open
 * exists; /client (eager when `eager`) uses it. */
static void serve_gated(e2e_running *r, char *pkg, size_t size, int eager) {
  char text[8192], plugins[4200], manifest[4300];
  e2e_package_new(pkg, size);
  write_echo(pkg, "\"binary\": \"bin/tool\", \"args\": [\"echo-serve\"]",
             "\"hi\"");
  snprintf(text, sizeof text,
           "{\"capabilities\": [{\"resolver\": \"gate\", \"config\": "
           "{\"wait_for\": \"%s/open\", \"wait_ms\": 120000}}],\n"
           " \"environments\": [{\"name\": \"gated\", \"extends\": \"realm\", "
           "\"resolvers\": [{\"resolver\": \"gate\", \"scheme\": \"gate\", "
           "\"from\": \"self\"}]}],\n"
           " \"children\": [{\"name\": \"server\", \"url\": "
           "\"gate://%s#meta/server.cm\", \"environment\": \"#gated\"},\n"
           "  {\"name\": \"client\", \"url\": \"#meta/client.cm\"%s}],\n"
           " \"offer\": [{\"protocol\": \"echo\", \"from\": \"#server\", "
           "\"to\": \"#client\"}]}",
           pkg, pkg, eager ? ", \"startup\": \"eager\"" : "");
  e2e_package_write(pkg, "meta/root.cm", text);
  snprintf(plugins, sizeof plugins, "%s/tests/plugins", e2e_build());
  snprintf(manifest, sizeof manifest, "%s/meta/root.cm", pkg);
  setenv("FERN_PLUGIN_PATH", plugins, 1);
  e2e_ctl_serve(r, manifest);
  unsetenv("FERN_PLUGIN_PATH");
  e2e_wait_for(&r->fern, "gate: holding", 20000);
  e2e_wait_event(&r->fern, "resolved", "/client", 20000);
}

/* An eager client whose provider is still resolving waits for it, then
 * starts and is served. */
START_TEST(test_a_start_waits_for_a_route_still_resolving) {
  char pkg[4096];
  e2e_running r;
  serve_gated(&r, pkg, sizeof pkg, 1);
  json_t *shown = e2e_ctl_json(&r, "show", "/client");
  ck_assert_str_eq(e2e_field(shown, "state"), "resolved");
  json_decref(shown);
  e2e_package_write(pkg, "open", "");
  e2e_wait_end(&r.fern, "/client", "ok (exit 0)", 20000);
  e2e_assert_has(r.fern.err, "[/client] echo: hi\n");
  e2e_ctl_finish(&r, 0);
  e2e_ctl_cleanup(&r);
  e2e_package_remove(pkg);
}
END_TEST

/* A stop of a component whose start waits for a route cancels that start:
 * the asker is told, and nothing starts once the route resolves. */
START_TEST(test_a_stop_cancels_a_start_that_waits_for_a_route) {
  char pkg[4096];
  e2e_running r;
  serve_gated(&r, pkg, sizeof pkg, 0);
  e2e_proc starter, p;
  const char *start[] = {"start", "--control", r.socket, "/client", NULL};
  e2e_start(&starter, start);
  e2e_wait_for(&r.fern, "fern: /client: its start waits", 20000);
  ck_assert_int_eq(e2e_ctl(&r, &p, "stop", "/client", NULL, NULL), 0);
  e2e_free(&p);
  ck_assert_int_ne(e2e_finish(&starter, 20000), 0);
  e2e_assert_has(starter.err, "stopped while its start waited for a route");
  e2e_free(&starter);
  e2e_package_write(pkg, "open", "");
  e2e_wait_event(&r.fern, "resolved", "/server", 20000);
  json_t *shown = e2e_ctl_json(&r, "show", "/client");
  ck_assert_str_eq(e2e_field(shown, "state"), "resolved");
  json_decref(shown);
  ck_assert_int_eq(e2e_event_count(&r.fern, "started", "/client"), 0);
  e2e_ctl_finish(&r, 0);
  e2e_ctl_cleanup(&r);
  e2e_package_remove(pkg);
}
END_TEST

/* The socket directories of this user in /tmp, into `names` (up to
 * `max`): how many. */
static int svc_dirs(char names[][64], int max) {
  DIR *d = opendir("/tmp");
  struct dirent *e;
  int n = 0;
  while (d != NULL && (e = readdir(d)) != NULL && n < max)
    if (strncmp(e->d_name, "fern-svc-", 9) == 0)
      snprintf(names[n++], 64, "/tmp/%s", e->d_name);
  if (d != NULL)
    closedir(d);
  return n;
}

/* A fern killed by SIGKILL leaves its socket directory; the next fern
 * that serves a protocol removes it (it is no longer locked). */
START_TEST(test_a_killed_ferns_socket_directory_is_swept) {
  char pkg[4096], root[4200], before[64][64], after[64][64], ours[64] = "";
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_write(
      pkg, "meta/root.cm",
      "{\"children\": [{\"name\": \"server\", \"url\": \"#meta/server.cm\", "
      "\"startup\": \"eager\"}]}\n");
  e2e_package_write(
      pkg, "meta/server.cm",
      "{\"program\": {\"runner\": \"elf\", \"binary\": \"bin/tool\", "
      "\"args\": [\"echo-serve\"]},\n"
      " \"capabilities\": [{\"protocol\": \"echo\"}],\n"
      " \"expose\": [{\"protocol\": \"echo\", \"from\": \"self\"}]}\n");
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  int n_before = svc_dirs(before, 64);
  e2e_proc p;
  const char *args[] = {"run", root, NULL};
  e2e_start(&p, args);
  e2e_wait_for(&p, "[/server] serving echo", 20000);
  int n_after = svc_dirs(after, 64);
  for (int i = 0; i < n_after && ours[0] == '\0'; i++) {
    int known = 0;
    for (int j = 0; j < n_before; j++)
      known |= strcmp(after[i], before[j]) == 0;
    if (!known)
      snprintf(ours, sizeof ours, "%s", after[i]);
  }
  ck_assert_msg(ours[0] != '\0', "no new socket directory in /tmp");
  kill(p.pid, SIGKILL);
  e2e_finish(&p, 20000);
  e2e_free(&p);
  ck_assert_int_eq(access(ours, F_OK), 0); /* left behind */
  e2e_package_write(pkg, "meta/server.cm",
                    "{\"program\": {\"runner\": \"elf\", \"binary\": \"bin/tool\", "
                    "\"args\": [\"exit\", \"0\"]},\n"
                    " \"capabilities\": [{\"protocol\": \"echo\"}],\n"
                    " \"expose\": [{\"protocol\": \"echo\", \"from\": \"self\"}]}\n");
  ck_assert_int_eq(e2e_run(&p, 20000, args), 0);
  e2e_free(&p);
  ck_assert_int_ne(access(ours, F_OK), 0); /* swept */
  e2e_package_remove(pkg);
}
END_TEST

Suite *serve_suite(void) {
  Suite *s = suite_create("serve");
  TCase *tc = tcase_create("serve");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_a_connection_starts_the_provider_and_a_reconnect_finds_it_again);
  tcase_add_test(tc, test_a_provider_that_cannot_start_closes_the_waiting_connection);
  tcase_add_test(tc, test_the_socket_is_handed_over_as_systemd_does);
  tcase_add_test(tc, test_a_sandboxed_client_sees_only_what_it_uses);
  tcase_add_test(tc, test_a_sandboxed_provider_serves_through_bubblewrap);
  tcase_add_test(tc, test_an_offer_to_a_collection_reaches_its_dynamic_children);
  tcase_add_test(tc, test_a_libsystemd_daemon_takes_its_socket_unchanged);
  tcase_add_test(tc, test_debians_dbus_daemon_is_started_by_its_first_client);
  tcase_add_test(tc, test_a_provider_failing_each_activation_is_given_up);
  tcase_add_test(tc, test_a_start_waits_for_a_route_still_resolving);
  tcase_add_test(tc, test_a_stop_cancels_a_start_that_waits_for_a_route);
  tcase_add_test(tc, test_a_killed_ferns_socket_directory_is_swept);
  suite_add_tcase(s, tc);
  return s;
}
