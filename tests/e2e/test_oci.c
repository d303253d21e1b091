/* test_oci.c - the OCI runner with runc, for real: a container sees its
 * own root file system and its own PID 1; a bad runtime cannot start; what
 * a SIGKILLed fern left in its state directory is cleaned by the next. */
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e.h"
#include "event_asserts.h"

typedef struct oci_pkg_s {
  char pkg[64];
  char state[128];
  char config[160];
} oci_pkg;

/* A package with a root file system holding the static test program, and
 * a configuration whose oci runner keeps its state in the package. */
static void oci_package(oci_pkg *o) {
  e2e_package_new(o->pkg, sizeof o->pkg);
  static const char *const dirs[] = {"rootfs", "rootfs/bin", "rootfs/proc",
                                     "rootfs/dev", "rootfs/tmp", "state"};
  for (size_t i = 0; i < 6; i++) {
    char dir[160];
    snprintf(dir, sizeof dir, "%s/%s", o->pkg, dirs[i]);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
  }
  e2e_package_copy(o->pkg, "tests/packages/progs/bin/tool-static",
                   "rootfs/bin/tool");
  snprintf(o->state, sizeof o->state, "%s/state", o->pkg);
  char text[512];
  snprintf(text, sizeof text,
           "{\"root_environment\": {\"runners\": [{\"runner\": \"oci\", "
           "\"config\": {\"state_dir\": \"%s\"}}]}}",
           o->state);
  e2e_package_write(o->pkg, "fern.json", text);
  snprintf(o->config, sizeof o->config, "%s/fern.json", o->pkg);
}

/* The same, with the ELF runner beside the oci one and bin/tool for it:
 * for routes between a container and a plain program. */
static void oci_package_with_elf(oci_pkg *o) {
  oci_package(o);
  char text[512];
  snprintf(text, sizeof text,
           "{\"root_environment\": {\"runners\": [{\"runner\": \"elf\"}, "
           "{\"runner\": \"oci\", \"config\": {\"state_dir\": \"%s\"}}]}}",
           o->state);
  e2e_package_write(o->pkg, "fern.json", text);
  e2e_package_copy(o->pkg, "tests/packages/progs/bin/tool", "bin/tool");
}

static void oci_child(oci_pkg *o, const char *name, const char *args) {
  char path[64], text[512];
  snprintf(path, sizeof path, "meta/%s.cm", name);
  snprintf(text, sizeof text,
           "{\"program\": {\"runner\": \"oci\", \"rootfs\": \"rootfs\", "
           "\"binary\": \"/bin/tool\", \"args\": %s}}",
           args);
  e2e_package_write(o->pkg, path, text);
}

static int run_tree(oci_pkg *o, const char *children, e2e_proc *p,
                    int wait) {
  char text[1024], manifest[128];
  snprintf(text, sizeof text, "{\"children\": %s}", children);
  e2e_package_write(o->pkg, "meta/root.cm", text);
  snprintf(manifest, sizeof manifest, "%s/meta/root.cm", o->pkg);
  const char *args[] = {"run", "--config", o->config, manifest, NULL};
  e2e_start(p, args);
  return wait ? e2e_finish(p, 60000) : 0;
}

START_TEST(test_container_sees_its_own_root_and_pid_1) {
  oci_pkg o;
  oci_package(&o);
  oci_child(&o, "top", "[\"ls\", \"/\"]");
  oci_child(&o, "init", "[\"cat\", \"/proc/1/cmdline\"]");
  e2e_proc p;
  ck_assert_int_eq(run_tree(&o,
                            "[{\"name\": \"top\", \"url\": \"#meta/top.cm\","
                            " \"startup\": \"eager\"}, {\"name\": \"init\", "
                            "\"url\": \"#meta/init.cm\", \"startup\": "
                            "\"eager\"}]",
                            &p, 1),
                   0);
  e2e_assert_has(p.err, "oci runner: job mechanism");
  e2e_assert_has(p.err, "[/top] entry bin\n");
  e2e_assert_has(p.err, "[/top] entry proc\n");
  e2e_assert_lacks(p.err, "[/top] entry etc\n");
  e2e_assert_lacks(p.err, "[/top] entry work\n");
  e2e_assert_lacks(p.err, "[/top] entry meta\n");
  /* Its PID 1 is its own: the init fern put there, not the host's. */
  e2e_assert_has(p.err, "[/init] /dev/.fern-init");
  e2e_free(&p);
  e2e_package_remove(o.pkg);
}
END_TEST

START_TEST(test_missing_runtime_cannot_start) {
  oci_pkg o;
  oci_package(&o);
  e2e_package_write(o.pkg, "meta/odd.cm",
                    "{\"program\": {\"runner\": \"oci\", \"rootfs\": "
                    "\"rootfs\", \"binary\": \"/bin/tool\", \"runtime\": "
                    "\"no-such-runtime\"}}");
  e2e_proc p;
  ck_assert_int_eq(run_tree(&o,
                            "[{\"name\": \"odd\", \"url\": \"#meta/odd.cm\","
                            " \"startup\": \"eager\"}]",
                            &p, 1),
                   1);
  e2e_assert_end(&p, "/odd", "cannot_start: OCI runtime "
                        "\"no-such-runtime\" is not installed");
  e2e_free(&p);
  e2e_package_remove(o.pkg);
}
END_TEST

/* A container that uses "echo" from an ELF server: the socket is mounted
 * at its path under FERN_NAMESPACE (/dev/fern-ns), and nothing else that
 * is routed; the package's root file system is left as it was. */
START_TEST(test_a_container_connects_to_the_protocol_it_uses) {
  oci_pkg o;
  oci_package_with_elf(&o);
  char text[512];
  e2e_package_write(o.pkg, "meta/server.cm",
                    "{\"program\": {\"runner\": \"elf\", \"binary\": "
                    "\"bin/tool\", \"args\": [\"echo-serve\"]},\n"
                    " \"capabilities\": [{\"protocol\": \"echo\"}],\n"
                    " \"expose\": [{\"protocol\": \"echo\", \"from\": \"self\"}]}\n");
  static const char *const users[][2] = {
      {"client", "[\"echo-call\", \"echo\", \"hi\"]"},
      {"looker", "[\"ls\", \"/dev/fern-ns/svc\"]"}};
  for (int i = 0; i < 2; i++) {
    char path[64];
    snprintf(path, sizeof path, "meta/%s.cm", users[i][0]);
    snprintf(text, sizeof text,
             "{\"program\": {\"runner\": \"oci\", \"rootfs\": \"rootfs\", "
             "\"binary\": \"/bin/tool\", \"args\": %s},\n"
             " \"use\": [{\"protocol\": \"echo\"}]}\n",
             users[i][1]);
    e2e_package_write(o.pkg, path, text);
  }
  e2e_package_write(o.pkg, "meta/root.cm",
                    "{\"children\": [{\"name\": \"server\", \"url\": \"#meta/server.cm\"},\n"
                    " {\"name\": \"client\", \"url\": \"#meta/client.cm\", \"startup\": \"eager\"},\n"
                    " {\"name\": \"looker\", \"url\": \"#meta/looker.cm\", \"startup\": \"eager\"}],\n"
                    " \"offer\": [{\"protocol\": \"echo\", \"from\": \"#server\", "
                    "\"to\": [\"#client\", \"#looker\"]}]}\n");
  char manifest[128];
  snprintf(manifest, sizeof manifest, "%s/meta/root.cm", o.pkg);
  const char *args[] = {"run", "--config", o.config, manifest, NULL};
  e2e_proc p;
  e2e_start(&p, args);
  e2e_wait_end(&p, "/client", "ok (exit 0)", 60000);
  e2e_wait_end(&p, "/looker", "ok (exit 0)", 60000);
  kill(p.pid, SIGTERM);
  e2e_finish(&p, 60000);
  e2e_assert_has(p.err, "[/client] echo: hi\n");
  e2e_assert_has(p.err, "[/looker] entry echo\n");
  ck_assert_int_eq(e2e_count(p.err, "[/looker] entry "), 1);
  char svc[200];
  snprintf(svc, sizeof svc, "%s/rootfs/svc", o.pkg);
  ck_assert_int_ne(access(svc, F_OK), 0);
  e2e_free(&p);
  e2e_package_remove(o.pkg);
}
END_TEST

static int bundles_left(const char *state) {
  char dir[200];
  snprintf(dir, sizeof dir, "%s/bundles", state);
  DIR *d = opendir(dir);
  int n = 0;
  struct dirent *e;
  while (d != NULL && (e = readdir(d)) != NULL)
    n += strncmp(e->d_name, "fern-", 5) == 0;
  if (d != NULL)
    closedir(d);
  return n;
}

/* A container that serves "echo", lazily: an ELF client's first
 * connection starts it, and the container's program finds its socket at
 * fd 3 with LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID naming itself (the
 * runtime passes it on with --preserve-fds); the client gets its answer,
 * twice, from one start. */
START_TEST(test_a_container_serves_a_protocol_started_by_a_connection) {
  oci_pkg o;
  oci_package_with_elf(&o);
  e2e_package_write(o.pkg, "meta/server.cm",
                    "{\"program\": {\"runner\": \"oci\", \"rootfs\": "
                    "\"rootfs\", \"binary\": \"/bin/tool\", \"args\": "
                    "[\"echo-serve\"], \"env\": [\"LISTEN_FDS=7\"]},\n"
                    " \"capabilities\": [{\"protocol\": \"echo\"}],\n"
                    " \"expose\": [{\"protocol\": \"echo\", \"from\": \"self\"}]}\n");
  e2e_package_write(o.pkg, "meta/client.cm",
                    "{\"program\": {\"runner\": \"elf\", \"binary\": "
                    "\"bin/tool\", \"args\": [\"echo-call\", \"echo\", \"hi\", "
                    "\"again\"]},\n"
                    " \"use\": [{\"protocol\": \"echo\"}]}\n");
  e2e_package_write(o.pkg, "meta/root.cm",
                    "{\"children\": [{\"name\": \"server\", \"url\": \"#meta/server.cm\"},\n"
                    " {\"name\": \"client\", \"url\": \"#meta/client.cm\", \"startup\": \"eager\"}],\n"
                    " \"offer\": [{\"protocol\": \"echo\", \"from\": \"#server\", "
                    "\"to\": \"#client\"}]}\n");
  char manifest[128];
  snprintf(manifest, sizeof manifest, "%s/meta/root.cm", o.pkg);
  const char *args[] = {"run", "--config", o.config, manifest, NULL};
  e2e_proc p;
  e2e_start(&p, args);
  e2e_wait_end(&p, "/client", "ok (exit 0)", 60000);
  e2e_assert_field(&p, "started", "/server", "capability", "echo");
  kill(p.pid, SIGTERM);
  e2e_finish(&p, 60000);
  e2e_assert_has(p.err, "[/client] echo: hi\n");
  e2e_assert_has(p.err, "[/client] echo: again\n");
  /* The program's own LISTEN_FDS=7 lost to the one socket handed over. */
  e2e_assert_has(p.err, "[/server] serving echo on fd 3 (LISTEN_FDS=1)\n");
  ck_assert_uint_eq(e2e_event_count(&p, "started", "/server"), 1);
  ck_assert_int_eq(bundles_left(o.state), 0);
  e2e_free(&p);
  e2e_package_remove(o.pkg);
}
END_TEST

/* A container that serves nothing keeps the LISTEN_ variables its own
 * env gives (they are the author's), and the init, not told of sockets by
 * fern, adds no LISTEN_PID: sd_listen_fds() there finds none, as under
 * the ELF runner. */
START_TEST(test_a_container_serving_nothing_is_given_no_listen_pid) {
  oci_pkg o;
  oci_package(&o);
  e2e_package_write(o.pkg, "meta/plain.cm",
                    "{\"program\": {\"runner\": \"oci\", \"rootfs\": "
                    "\"rootfs\", \"binary\": \"/bin/tool\", \"args\": "
                    "[\"env\"], \"env\": [\"LISTEN_FDS=1\"]}}");
  e2e_proc p;
  ck_assert_int_eq(run_tree(&o,
                            "[{\"name\": \"plain\", \"url\": "
                            "\"#meta/plain.cm\", \"startup\": \"eager\"}]",
                            &p, 1),
                   0);
  e2e_assert_has(p.err, "[/plain] LISTEN_FDS=1\n");
  e2e_assert_lacks(p.err, "[/plain] LISTEN_PID=");
  e2e_free(&p);
  e2e_package_remove(o.pkg);
}
END_TEST

/* A directory of the package routed into a container: mounted under
 * FERN_NAMESPACE (/dev/fern-ns), read-only without the rights to write,
 * so the container reads it and its write fails there; with rw*, the
 * write lands. */
START_TEST(test_a_container_reads_a_directory_it_cannot_write) {
  oci_pkg o;
  oci_package(&o);
  char dir[200];
  snprintf(dir, sizeof dir, "%s/config", o.pkg);
  ck_assert_int_eq(mkdir(dir, 0755), 0);
  e2e_package_write(o.pkg, "config/file", "from the package\n");
  e2e_package_write(o.pkg, "meta/share.cm",
                    "{\"capabilities\": [{\"directory\": \"config\", "
                    "\"path\": \"config\", \"rights\": [\"rw*\"]}],\n"
                    " \"expose\": [{\"directory\": \"config\", \"from\": "
                    "\"self\"}]}\n");
  static const char *const users[][3] = {
      {"reader", "[\"ns-cat\", \"config/file\"]", "r*"},
      {"writer", "[\"ns-write\", \"config/new\"]", "r*"},
      {"granted", "[\"ns-write\", \"config/by-granted\"]", "rw*"}};
  for (int i = 0; i < 3; i++) {
    char path[64], text[512];
    snprintf(path, sizeof path, "meta/%s.cm", users[i][0]);
    snprintf(text, sizeof text,
             "{\"program\": {\"runner\": \"oci\", \"rootfs\": \"rootfs\", "
             "\"binary\": \"/bin/tool\", \"args\": %s},\n"
             " \"use\": [{\"directory\": \"config\", \"rights\": "
             "[\"%s\"]}]}\n",
             users[i][1], users[i][2]);
    e2e_package_write(o.pkg, path, text);
  }
  e2e_package_write(
      o.pkg, "meta/root.cm",
      "{\"children\": [{\"name\": \"share\", \"url\": \"#meta/share.cm\"},\n"
      " {\"name\": \"reader\", \"url\": \"#meta/reader.cm\", \"startup\": \"eager\"},\n"
      " {\"name\": \"writer\", \"url\": \"#meta/writer.cm\", \"startup\": \"eager\"},\n"
      " {\"name\": \"granted\", \"url\": \"#meta/granted.cm\", \"startup\": \"eager\"}],\n"
      " \"offer\": [{\"directory\": \"config\", \"from\": \"#share\", "
      "\"to\": [\"#reader\", \"#writer\", \"#granted\"]}]}\n");
  char manifest[128];
  snprintf(manifest, sizeof manifest, "%s/meta/root.cm", o.pkg);
  const char *args[] = {"run", "--config", o.config, manifest, NULL};
  e2e_proc p;
  ck_assert_int_eq(e2e_run(&p, 60000, args), 1);
  e2e_assert_has(p.err, "[/reader] from the package\n");
  e2e_assert_end(&p, "/reader", "ok (exit 0)");
  e2e_assert_has(p.err,
                 "[/writer] cannot write config/new: Read-only file system\n");
  snprintf(dir, sizeof dir, "%s/config/new", o.pkg);
  ck_assert_int_ne(access(dir, F_OK), 0);
  /* Granted rw*, the same write lands in the package. */
  e2e_assert_has(p.err, "[/granted] wrote config/by-granted\n");
  snprintf(dir, sizeof dir, "%s/config/by-granted", o.pkg);
  ck_assert_int_eq(access(dir, F_OK), 0);
  ck_assert_int_eq(bundles_left(o.state), 0);
  e2e_free(&p);
  e2e_package_remove(o.pkg);
}
END_TEST

/* meta/NAME.cm: the container running /bin/tool with `args`, with a
 * structured configuration of one field and its values file. */
static void oci_configured_child(oci_pkg *o, const char *name,
                                 const char *program) {
  char path[64], text[512];
  snprintf(path, sizeof path, "meta/%s.cm", name);
  snprintf(text, sizeof text,
           "{\"program\": %s,\n"
           " \"config\": {\"level\": {\"type\": \"int8\"}}}\n",
           program);
  e2e_package_write(o->pkg, path, text);
  snprintf(path, sizeof path, "meta/%s.values.json5", name);
  e2e_package_write(o->pkg, path, "{ level: -3 }\n");
}

/* The container finds its configuration where FERN_CONFIG says, under
 * the runtime's /dev (no mount point lands in the package's root), and
 * cannot change it; a prepared bundle cannot be given it. */
START_TEST(test_a_container_gets_its_config_read_only) {
  oci_pkg o;
  oci_package(&o);
  oci_configured_child(&o, "conf",
                       "{\"runner\": \"oci\", \"rootfs\": \"rootfs\", "
                       "\"binary\": \"/bin/tool\", \"args\": [\"config\"]}");
  oci_configured_child(&o, "tamper",
                       "{\"runner\": \"oci\", \"rootfs\": \"rootfs\", "
                       "\"binary\": \"/bin/tool\", \"args\": [\"touch\", "
                       "\"/dev/fern-config.json\"]}");
  oci_configured_child(&o, "given",
                       "{\"runner\": \"oci\", \"bundle\": \"rootfs\"}");
  e2e_proc p;
  run_tree(&o,
           "[{\"name\": \"conf\", \"url\": \"#meta/conf.cm\", "
           "\"startup\": \"eager\"}, {\"name\": \"tamper\", \"url\": "
           "\"#meta/tamper.cm\", \"startup\": \"eager\"}, {\"name\": "
           "\"given\", \"url\": \"#meta/given.cm\", \"startup\": "
           "\"eager\"}]",
           &p, 1);
  e2e_assert_has(p.err, "[/conf] config: {\"level\":-3}\n");
  e2e_assert_end(&p, "/conf", "ok (exit 0)");
  e2e_assert_end(&p, "/tamper", "instance_died (exit 1)");
  e2e_assert_end(&p, "/given", "cannot_start");
  e2e_assert_has(p.err, "cannot be given the component's structured "
                        "configuration");
  char run[200];
  snprintf(run, sizeof run, "%s/rootfs/run", o.pkg);
  ck_assert_int_ne(access(run, F_OK), 0);
  ck_assert_int_eq(bundles_left(o.state), 0);
  e2e_free(&p);
  e2e_package_remove(o.pkg);
}
END_TEST

/* A prepared bundle's config.json is its author's: fern cannot hand it
 * sockets, and says so as the provider's cannot_start. */
START_TEST(test_a_prepared_bundle_cannot_serve) {
  oci_pkg o;
  oci_package(&o);
  e2e_package_write(o.pkg, "meta/given.cm",
                    "{\"program\": {\"runner\": \"oci\", \"bundle\": "
                    "\"rootfs\"},\n"
                    " \"capabilities\": [{\"protocol\": \"echo\"}],\n"
                    " \"expose\": [{\"protocol\": \"echo\", \"from\": \"self\"}]}\n");
  oci_child(&o, "other", "[\"print\", \"still here\"]");
  e2e_proc p;
  run_tree(&o,
           "[{\"name\": \"given\", \"url\": \"#meta/given.cm\", "
           "\"startup\": \"eager\"}, {\"name\": \"other\", \"url\": "
           "\"#meta/other.cm\", \"startup\": \"eager\"}]",
           &p, 1);
  e2e_assert_end(&p, "/given", "cannot_start");
  e2e_assert_has(p.err, "cannot be given the sockets");
  e2e_assert_end(&p, "/other", "ok (exit 0)");
  e2e_free(&p);
  e2e_package_remove(o.pkg);
}
END_TEST

START_TEST(test_next_fern_cleans_what_a_killed_one_left) {
  oci_pkg o;
  oci_package(&o);
  oci_child(&o, "server", "[\"sleep\"]");
  oci_child(&o, "hello", "[\"print\", \"hi\"]");
  e2e_proc p;
  run_tree(&o, "[{\"name\": \"server\", \"url\": \"#meta/server.cm\", "
               "\"startup\": \"eager\"}]",
           &p, 0);
  e2e_wait_for(&p, "[/server] ready", 60000);
  pid_t killed = p.pid;
  kill(p.pid, SIGKILL);
  e2e_finish(&p, 20000);
  e2e_free(&p);
  ck_assert_int_eq(bundles_left(o.state), 1); /* the runtime's state too */
  ck_assert_int_eq(run_tree(&o,
                            "[{\"name\": \"hello\", \"url\": "
                            "\"#meta/hello.cm\", \"startup\": \"eager\"}]",
                            &p, 1),
                   0);
  e2e_assert_has(p.err, "[/hello] hi\n");
  ck_assert_int_eq(bundles_left(o.state), 0);
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "test -z \"$(runc --root '%s/runtime' list -q)\"", o.state);
  ck_assert_msg(system(cmd) == 0, "the runtime still lists a container");
  /* Nor are the killed fern's cgroups left, in any hierarchy, however
   * deep fern's own cgroups are (cgroup_paths.c). */
  snprintf(cmd, sizeof cmd, "! find /sys/fs/cgroup -maxdepth 8 -type d "
           "-name 'fern-%d-*' 2>/dev/null | grep -q .",
           (int)killed);
  ck_assert_msg(system(cmd) == 0, "cgroups of the killed fern are left");
  e2e_free(&p);
  e2e_package_remove(o.pkg);
}
END_TEST

/* A container killed after its stop timeout is still deleted. */
START_TEST(test_killed_container_is_still_deleted) {
  oci_pkg o;
  oci_package(&o);
  oci_child(&o, "stubborn", "[\"ignore-term\"]");
  e2e_proc p;
  run_tree(&o, "[{\"name\": \"stubborn\", \"url\": \"#meta/stubborn.cm\", "
               "\"startup\": \"eager\", \"environment\": \"#quick\"}], "
               "\"environments\": [{\"name\": \"quick\", \"extends\": "
               "\"realm\", \"__stop_timeout_ms\": 300}]",
           &p, 0);
  e2e_wait_for(&p, "[/stubborn] ready", 60000);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 60000), 1);
  e2e_assert_end(&p, "/stubborn", "killed_after_timeout");
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "test -z \"$(runc --root '%s/runtime' list -q)\"", o.state);
  ck_assert_msg(system(cmd) == 0, "the runtime still lists the container");
  ck_assert_int_eq(bundles_left(o.state), 0);
  e2e_free(&p);
  e2e_package_remove(o.pkg);
}
END_TEST

/* The runtime is the runner config's choice unless the program names one. */
START_TEST(test_runtime_comes_from_the_runner_config) {
  oci_pkg o;
  oci_package(&o);
  char text[512];
  snprintf(text, sizeof text,
           "{\"root_environment\": {\"runners\": [{\"runner\": \"oci\", "
           "\"config\": {\"state_dir\": \"%s\", \"runtime\": "
           "\"other-runtime\"}}]}}",
           o.state);
  e2e_package_write(o.pkg, "fern.json", text);
  oci_child(&o, "plain", "[\"print\", \"x\"]");
  e2e_package_write(o.pkg, "meta/chosen.cm",
                    "{\"program\": {\"runner\": \"oci\", \"rootfs\": "
                    "\"rootfs\", \"binary\": \"/bin/tool\", \"runtime\": "
                    "\"runc\", \"args\": [\"print\", \"chose runc\"]}}");
  e2e_proc p;
  ck_assert_int_eq(run_tree(&o,
                            "[{\"name\": \"plain\", \"url\": "
                            "\"#meta/plain.cm\", \"startup\": \"eager\"},"
                            " {\"name\": \"chosen\", \"url\": "
                            "\"#meta/chosen.cm\", \"startup\": \"eager\"}]",
                            &p, 1),
                   1);
  e2e_assert_end(&p, "/plain", "cannot_start: OCI runtime "
                        "\"other-runtime\" is not installed");
  e2e_assert_has(p.err, "[/chosen] chose runc\n");
  e2e_free(&p);
  e2e_package_remove(o.pkg);
}
END_TEST

/* A bundle prepared by hand (config.json + rootfs) runs as it is. */
START_TEST(test_prepared_bundle_runs_as_it_is) {
  oci_pkg o;
  oci_package(&o);
  char dir[160], from[160], to[160];
  snprintf(dir, sizeof dir, "%s/bundle", o.pkg);
  snprintf(from, sizeof from, "%s/rootfs", o.pkg);
  snprintf(to, sizeof to, "%s/bundle/rootfs", o.pkg);
  ck_assert_int_eq(mkdir(dir, 0755), 0);
  ck_assert_int_eq(rename(from, to), 0);
  e2e_package_write(
      o.pkg, "bundle/config.json",
      "{\"ociVersion\": \"1.0.2\", \"process\": {\"terminal\": false,"
      " \"user\": {\"uid\": 0, \"gid\": 0}, \"args\": [\"/bin/tool\","
      " \"print\", \"from a prepared bundle\"], \"cwd\": \"/\"},"
      " \"root\": {\"path\": \"rootfs\", \"readonly\": true},"
      " \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\","
      " \"source\": \"proc\"}], \"linux\": {\"namespaces\": [{\"type\":"
      " \"pid\"}, {\"type\": \"mount\"}]}}");
  e2e_package_write(o.pkg, "meta/given.cm",
                    "{\"program\": {\"runner\": \"oci\", \"bundle\": "
                    "\"bundle\"}}");
  e2e_proc p;
  ck_assert_int_eq(run_tree(&o,
                            "[{\"name\": \"given\", \"url\": "
                            "\"#meta/given.cm\", \"startup\": \"eager\"}]",
                            &p, 1),
                   0);
  e2e_assert_has(p.err, "[/given] from a prepared bundle\n");
  snprintf(dir, sizeof dir, "%s/bundle/init.pid", o.pkg);
  ck_assert_int_eq(access(dir, F_OK), -1); /* nothing written to the package */
  ck_assert_int_eq(bundles_left(o.state), 0);
  e2e_free(&p);
  e2e_package_remove(o.pkg);
}
END_TEST

/* The shim runs as fern's user for every container, like plugin code: a
 * shim other users can change is refused, naming it, and so are the
 * components that would need it. */
START_TEST(test_a_shim_others_can_change_is_refused) {
  oci_pkg o;
  oci_package(&o);
  oci_child(&o, "top", "[\"ls\", \"/\"]");
  char plugins[64], from[4200], shim[128];
  snprintf(plugins, sizeof plugins, "/tmp/fern-ociplug-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(plugins));
  ck_assert_int_eq(chmod(plugins, 0755), 0);
  static const char *const files[] = {"oci.so", "fern-oci-shim",
                                      "fern-oci-init"};
  for (int i = 0; i < 3; i++) {
    snprintf(from, sizeof from, "%s/runners/oci/%s", e2e_build(), files[i]);
    e2e_package_copy(plugins, from, files[i]);
  }
  snprintf(shim, sizeof shim, "%s/fern-oci-shim", plugins);
  ck_assert_int_eq(chmod(shim, 0777), 0);
  e2e_package_write(o.pkg, "meta/root.cm",
                    "{\"children\": [{\"name\": \"top\", \"url\": "
                    "\"#meta/top.cm\", \"startup\": \"eager\"}]}");
  char manifest[128];
  snprintf(manifest, sizeof manifest, "%s/meta/root.cm", o.pkg);
  const char *args[] = {"run",      "--plugin-dir", plugins, "--config",
                        o.config, manifest,       NULL};
  e2e_proc p;
  ck_assert_int_eq(e2e_run(&p, 60000, args), 1);
  e2e_assert_has(p.err, shim);
  e2e_assert_has(p.err, "writable by other users");
  e2e_assert_lacks(p.err, "[/top] entry bin");
  e2e_free(&p);
  e2e_package_remove(plugins);
  e2e_package_remove(o.pkg);
}
END_TEST

Suite *oci_suite(void) {
  Suite *s = suite_create("oci");
  TCase *tc = tcase_create("oci");
  tcase_set_timeout(tc, 120);
  if (access("/usr/sbin/runc", X_OK) != 0) {
    fprintf(stderr, "skipped the oci suite: runc is not installed "
                    "(scripts/setup installs it)\n");
  } else {
    tcase_add_test(tc, test_container_sees_its_own_root_and_pid_1);
    tcase_add_test(tc, test_missing_runtime_cannot_start);
    tcase_add_test(tc, test_next_fern_cleans_what_a_killed_one_left);
    tcase_add_test(tc, test_prepared_bundle_runs_as_it_is);
    tcase_add_test(tc, test_runtime_comes_from_the_runner_config);
    tcase_add_test(tc, test_killed_container_is_still_deleted);
    tcase_add_test(tc, test_a_shim_others_can_change_is_refused);
    tcase_add_test(tc, test_a_container_connects_to_the_protocol_it_uses);
    tcase_add_test(tc, test_a_container_serves_a_protocol_started_by_a_connection);
    tcase_add_test(tc, test_a_prepared_bundle_cannot_serve);
    tcase_add_test(tc, test_a_container_reads_a_directory_it_cannot_write);
    tcase_add_test(tc, test_a_container_gets_its_config_read_only);
    tcase_add_test(tc, test_a_container_serving_nothing_is_given_no_listen_pid);
  }
  suite_add_tcase(s, tc);
  return s;
}
