/* fuzz_control.c - libFuzzer: bytes sent to a running fern's control
 * socket, as any local client of the same user could. One manager for the
 * whole run, with a tree of realms (no programs, so nothing is spawned: a
 * realm, a lazy realm, a collection); each input is one connection that
 * writes the bytes and a newline, then hangs up, and the loop runs until
 * fern has answered and closed it. The tree must have resolved before the
 * first input, else every request would meet "no component" and test
 * nothing: the harness aborts then. Its directory goes at exit. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../core/control.h"
#include "../core/log.h"
#include "../core/manager.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fern__manager manager;
static fern__config config;
static char dir[64], sock[128];
static int ready;

static void write_file(const char *rel, const char *text) {
  char path[160];
  snprintf(path, sizeof path, "%s/%s", dir, rel);
  FILE *f = fopen(path, "w");
  if (f != NULL) {
    fputs(text, f);
    fclose(f);
  }
}

static int remove_one(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

static void remove_dir(void) {
  nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The root and both its children resolved, the lazy one too. */
static int tree_resolved(void) {
  fern__instance *lazy = fern__instance_find(manager.root, "/lazy");
  int resolved = manager.root->error == NULL &&
                 fern__instance_find(manager.root, "/core") != NULL &&
                 lazy != NULL && lazy->state != FERN_STATE_DISCOVERED &&
                 lazy->state != FERN_STATE_RESOLVING;
  if (!resolved)
    fprintf(stderr, "fuzz_control: the fixture's tree did not resolve: %s\n",
            manager.root->error ? manager.root->error : "(no error given)");
  return resolved;
}

/* Runs the loop until no resolution is pending (a second at most). */
static void settle(void) {
  for (int i = 0; i < 1000 && (manager.waiting + manager.dispatch.pending > 0 ||
                               fern__lc_inbox_busy(&manager));
       i++)
    uv_run(&manager.loop, UV_RUN_NOWAIT), poll(NULL, 0, 1);
}

static int setup(void) {
  snprintf(dir, sizeof dir, "/tmp/fern-fuzz-control-XXXXXX");
  if (mkdtemp(dir) == NULL)
    return -1;
  atexit(remove_dir);
  char meta[96];
  snprintf(meta, sizeof meta, "%s/meta", dir);
  mkdir(meta, 0755);
  write_file("meta/root.cm",
             "{\"children\": ["
             "{\"name\": \"core\", \"url\": \"#meta/realm.cm\", \"startup\": "
             "\"eager\"},"
             "{\"name\": \"lazy\", \"url\": \"#meta/realm.cm\"}],"
             "\"collections\": [{\"name\": \"workers\", \"durability\": "
             "\"transient\"}]}");
  write_file("meta/realm.cm", "{}");
  fern__log_set_level(FERN_LOG_ERROR);
  fern__config_init(&config);
  fern__config_add_plugin_dir(&config, FUZZ_PLUGIN_DIR);
  fern__config_finish_plugin_dirs(&config);
  fern_error_t err = FERN_ERROR_INIT;
  if (fern__manager_init(&manager, &config, FERN_MODE_RUN, &err) != FERN_OK)
    return -1;
  manager.keep_running = 1;
  snprintf(sock, sizeof sock, "%s/control.sock", dir);
  if (fern__control_open(&manager, sock, 1, &manager.control, &err) != FERN_OK)
    return -1;
  char url[160];
  snprintf(url, sizeof url, "file://%s#meta/root.cm", dir);
  manager.root = fern__instance_new(&manager, NULL, "", url,
                                    FERN_STARTUP_EAGER, manager.root_env);
  if (manager.root == NULL)
    return -1;
  fern__lc_post_kind(manager.root, FERN_IN_RESOLVE);
  fern__lc_post_start(manager.root, "root", NULL, NULL);
  settle();
  return tree_resolved() ? 0 : -1;
}

static int dynamic_children(void) {
  int n = 0;
  for (size_t i = 0; i < manager.root->child_count; i++)
    n += manager.root->children[i]->dynamic;
  return n;
}

/* Destroys the children an input created, once their creation is done, so
 * that every input meets the same tree (and a list does not slow down as
 * the names of earlier inputs pile up). */
static void destroy_created(void) {
  settle();
  fern__instance *root = manager.root;
  for (size_t i = root->child_count; i-- > 0;) {
    fern__instance *child = root->children[i];
    if (child->dynamic && child->state != FERN_STATE_CREATING &&
        child->state != FERN_STATE_DESTROYED)
      fern__dynamic_destroy(child, NULL, NULL, NULL);
  }
  /* A destroyed child is freed on the lifecycle's turn once nothing names
   * it: every input meets the same tree. */
  for (int i = 0; i < 100 && (dynamic_children() > 0 || manager.graveyard);
       i++)
    uv_run(&manager.loop, UV_RUN_NOWAIT);
}

/* Runs the loop until the client sees fern close the connection. */
static void converse(int client) {
  char buf[4096];
  for (int i = 0; i < 2000; i++) {
    uv_run(&manager.loop, UV_RUN_NOWAIT);
    ssize_t n = read(client, buf, sizeof buf);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
      return;
    if (n < 0)
      poll(NULL, 0, 0);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!ready && setup() != 0)
    abort(); /* the harness itself is broken: say so loudly */
  ready = 1;
  int client = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock);
  if (client < 0 ||
      connect(client, (struct sockaddr *)&addr, sizeof addr) != 0) {
    if (client >= 0)
      close(client);
    return 0;
  }
  fcntl(client, F_SETFL, O_NONBLOCK);
  uv_run(&manager.loop, UV_RUN_NOWAIT); /* accept */
  size_t sent = 0;
  while (sent < size) {
    ssize_t n = send(client, data + sent, size - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno != EAGAIN)
        break;
      uv_run(&manager.loop, UV_RUN_NOWAIT); /* let fern read */
      continue;
    }
    sent += (size_t)n;
  }
  if (send(client, "\n", 1, MSG_NOSIGNAL) == 1)
    shutdown(client, SHUT_WR);
  converse(client);
  close(client);
  for (int i = 0; i < 4; i++)
    uv_run(&manager.loop, UV_RUN_NOWAIT);
  destroy_created();
  /* The history of events, too: an `events` request would otherwise cost
   * more with every input before it. */
  fern__events_close(&manager.events);
  return 0;
}
