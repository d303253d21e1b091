/* test_control_security.c - what another local user, and clients that
 * never read, can do to a control socket: a squatted socket directory is
 * refused by the client before it connects, a socket served by another
 * user is refused once connected, root's default socket lives under
 * /run/fern; many clients that never read hold a bounded amount of fern's
 * memory, the slowest are cut off and told why, and connections past the
 * limit are refused. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e.h"
#include "event_asserts.h"

#define PROGS "tests/packages/progs/meta/"

/* A process of another user that serves a socket and answers every
 * request as fern would after a stop: "/db: stopped". */
typedef struct impostor_s {
  pid_t pid;
  int events; /* read end: "r" once it serves, then "c" per connection */
} impostor;

static void become(uid_t uid, gid_t gid) {
  if (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0)
    _exit(99);
}

static void impostor_serve(int listener, int events) {
  static const char reply[] = "{\"fern\":1,\"id\":1,\"ok\":true,\"result\":"
                              "{\"moniker\":\"/db\",\"state\":\"stopped\"}}\n";
  for (;;) {
    int client = accept(listener, NULL, NULL);
    if (client < 0)
      continue;
    ssize_t ignored = write(events, "c", 1);
    char request[4096];
    ignored = read(client, request, sizeof request);
    ignored = write(client, reply, sizeof reply - 1);
    (void)ignored;
    close(client);
  }
}

/* Serves `path` as uid/gid. With `make_dir`, it first makes the socket's
 * directory itself, open to everyone, as a squatter does under /tmp; else
 * it binds as root in the directory there and only then becomes the other
 * user, whose uid SO_PEERCRED then reports (the kernel keeps the
 * credentials of the process that called listen()). */
static void impostor_start(impostor *imp, const char *path, uid_t uid,
                           gid_t gid, int make_dir) {
  int pipefd[2];
  ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
  imp->pid = fork();
  ck_assert_int_ge(imp->pid, 0);
  if (imp->pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(pipefd[0]);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    if (make_dir) {
      become(uid, gid);
      char dir[108];
      snprintf(dir, sizeof dir, "%s", path);
      *strrchr(dir, '/') = '\0';
      if (mkdir(dir, 0755) != 0 || chmod(dir, 0755) != 0)
        _exit(97);
    }
    int listener = socket(AF_UNIX, SOCK_STREAM, 0);
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        chmod(path, 0666) != 0)
      _exit(96);
    if (!make_dir)
      become(uid, gid);
    if (listen(listener, 8) != 0 || write(pipefd[1], "r", 1) != 1)
      _exit(95);
    impostor_serve(listener, pipefd[1]);
  }
  close(pipefd[1]);
  imp->events = pipefd[0];
  struct pollfd pfd = {imp->events, POLLIN, 0};
  char ready = 0;
  ck_assert_msg(poll(&pfd, 1, 10000) == 1 &&
                    read(imp->events, &ready, 1) == 1 && ready == 'r',
                "the impostor did not start serving %s", path);
}

/* How many connections it has taken so far (each sends "c" first). */
static int impostor_connections(impostor *imp) {
  char seen[64];
  int n = 0;
  struct pollfd pfd = {imp->events, POLLIN, 0};
  while (poll(&pfd, 1, 0) == 1) {
    ssize_t got = read(imp->events, seen, sizeof seen);
    if (got <= 0)
      break;
    n += (int)got;
  }
  return n;
}

static void impostor_stop(impostor *imp) {
  kill(imp->pid, SIGKILL);
  waitpid(imp->pid, NULL, 0);
  close(imp->events);
}

static void remove_tree(const char *path) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
  ck_assert_int_eq(system(cmd), 0);
}

/* The squatter, a real second user, and its impostor at DIR/control.sock. */
typedef struct squat_s {
  uid_t uid;
  gid_t gid;
  char dir[64];
  char sock[96];
  impostor imp;
} squat;

/* Starts the impostor in `dir`: one the squatter makes when `make_dir`
 * (anything there before goes), else root's own. Returns -1, having said
 * why, when the test does not apply (no root to make the user). */
static int squat_start(squat *sq, const char *dir, int make_dir) {
  if (e2e_test_user("fern-squatter", &sq->uid, &sq->gid) != 0)
    return -1;
  snprintf(sq->dir, sizeof sq->dir, "%s", dir);
  snprintf(sq->sock, sizeof sq->sock, "%s/control.sock", dir);
  if (make_dir)
    remove_tree(dir);
  impostor_start(&sq->imp, sq->sock, sq->uid, sq->gid, make_dir);
  return 0;
}

/* Stops the impostor, removes its directory, and returns how many
 * connections it took. */
static int squat_end(squat *sq) {
  int taken = impostor_connections(&sq->imp);
  impostor_stop(&sq->imp);
  remove_tree(sq->dir);
  return taken;
}

/* The client would not believe the impostor. */
static void assert_refused(int status, const char *out) {
  ck_assert_msg(status == 1, "fern stop believed the impostor (%d):\n%s",
                status, out);
  e2e_assert_lacks(out, "stopped");
}

/* The client refused the squatter's directory before it connected, naming
 * the path, the squatter and itself (`me`); the impostor is gone after. */
static void assert_squat_refused(squat *sq, int status, const char *out,
                                 const char *me) {
  int taken = squat_end(sq);
  assert_refused(status, out);
  ck_assert_msg(taken == 0, "the client connected to the impostor");
  char expected[512];
  snprintf(expected, sizeof expected,
           "fern stop: will not use %s: control socket directory %s belongs "
           "to fern-squatter (uid %u), not to you, %s",
           sq->sock, sq->dir, (unsigned)sq->uid, me);
  e2e_assert_has(out, expected);
}

/* Runs `fern ARGS...` as root; its exit status, and its output in `out`. */
static int run_fern(const char *const *args, char *out, size_t size) {
  e2e_proc p;
  int status = e2e_run(&p, 20000, args);
  snprintf(out, size, "%s%s", p.out, p.err);
  e2e_free(&p);
  return status;
}

START_TEST(test_a_squatted_socket_directory_is_refused_before_connecting) {
  squat sq;
  char dir[64], out[4096];
  snprintf(dir, sizeof dir, "/tmp/fern-squat-%d", (int)getpid());
  if (squat_start(&sq, dir, 1) != 0)
    return;
  const char *args[] = {"stop", "--control", sq.sock, "/db", NULL};
  int status = run_fern(args, out, sizeof out);
  assert_squat_refused(&sq, status, out, "root (uid 0)");
  e2e_assert_has(out, "give --control PATH");
}
END_TEST

/* Even in root's own private directory, a socket that another user's
 * process listens on is not fern's. */
START_TEST(test_a_socket_served_by_another_user_is_refused) {
  squat sq;
  char dir[] = "/tmp/fern-ctl-XXXXXX", expected[256], out[4096];
  ck_assert_ptr_nonnull(mkdtemp(dir));
  if (squat_start(&sq, dir, 0) != 0) {
    remove_tree(dir);
    return;
  }
  const char *args[] = {"stop", "--control", sq.sock, "/db", NULL};
  int status = run_fern(args, out, sizeof out);
  squat_end(&sq);
  assert_refused(status, out);
  snprintf(expected, sizeof expected,
           "fern stop: will not talk to %s is served by fern-squatter (uid "
           "%u) (pid ",
           sq.sock, (unsigned)sq.uid);
  e2e_assert_has(out, expected);
  e2e_assert_has(out, "not by you, root (uid 0): it is not your fern");
}
END_TEST

/* The attack as it happens: without XDG_RUNTIME_DIR a user's default
 * socket is under /tmp, where another user can make the directory first. */
START_TEST(test_a_users_squatted_default_socket_is_refused) {
  uid_t victim;
  gid_t victim_gid;
  if (e2e_test_user("fern-victim", &victim, &victim_gid) != 0)
    return;
  squat sq;
  char dir[64], out[4096];
  snprintf(dir, sizeof dir, "/tmp/fern-%u", (unsigned)victim);
  ck_assert_int_eq(squat_start(&sq, dir, 1), 0);
  unsetenv("XDG_RUNTIME_DIR");
  const char *args[] = {"stop", "/db", NULL};
  int status = e2e_run_fern_as(victim, victim_gid, args, out, sizeof out);
  char me[64];
  snprintf(me, sizeof me, "fern-victim (uid %u)", (unsigned)victim);
  assert_squat_refused(&sq, status, out, me);
}
END_TEST

/* Root's default socket is under /run, which only root can write. */
START_TEST(test_roots_default_socket_is_under_run) {
  if (getuid() != 0) {
    fprintf(stderr, "skipped test_roots_default_socket_is_under_run: runs "
                    "as root only\n");
    return;
  }
  unsetenv("XDG_RUNTIME_DIR");
  e2e_proc fern;
  const char *args[] = {"run", "--keep-running", PROGS "control.cm", NULL};
  e2e_start(&fern, args);
  e2e_wait_for(&fern, "control socket /run/fern/control.sock\n", 20000);
  e2e_wait_event(&fern, "started", "/server", 20000);
  struct stat st;
  ck_assert_int_eq(lstat("/run/fern", &st), 0);
  ck_assert(S_ISDIR(st.st_mode));
  ck_assert_int_eq(st.st_uid, 0);
  ck_assert_int_eq(st.st_mode & 0777, 0700);
  e2e_proc list;
  const char *list_args[] = {"list", NULL};
  ck_assert_int_eq(e2e_run(&list, 20000, list_args), 0);
  e2e_assert_has(list.out, "/server");
  e2e_free(&list);
  kill(fern.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&fern, 20000), 0);
  e2e_free(&fern);
  ck_assert_int_ne(access("/run/fern/control.sock", F_OK), 0);
}
END_TEST

/* `fern run` finding its default directory squatted says so loudly. */
START_TEST(test_fern_run_names_who_squats_its_default_directory) {
  char runtime[] = "/tmp/fern-xdg-XXXXXX", dir[64], expected[256];
  ck_assert_ptr_nonnull(mkdtemp(runtime));
  ck_assert_int_eq(chmod(runtime, 01777), 0); /* as /tmp is */
  snprintf(dir, sizeof dir, "%s/fern", runtime);
  squat sq;
  if (squat_start(&sq, dir, 1) != 0) {
    remove_tree(runtime);
    return;
  }
  setenv("XDG_RUNTIME_DIR", runtime, 1);
  e2e_proc p;
  const char *args[] = {"run", "examples/hello", NULL};
  int status = e2e_run(&p, 20000, args);
  unsetenv("XDG_RUNTIME_DIR");
  squat_end(&sq);
  remove_tree(runtime);
  ck_assert_int_eq(status, 0);
  snprintf(expected, sizeof expected,
           "fern: error: no control socket: control socket directory %s "
           "belongs to fern-squatter (uid %u), not to you, root (uid 0)",
           dir, (unsigned)sq.uid);
  e2e_assert_has(p.err, expected);
  e2e_assert_has(p.err, "This fern runs without one: give --control PATH");
  e2e_assert_has(p.err, "[/greeter] Hello from fern!");
  e2e_free(&p);
}
END_TEST

Suite *control_security_suite(void) {
  Suite *s = suite_create("control_security");
  TCase *tc = tcase_create("control_security");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc,
                 test_a_squatted_socket_directory_is_refused_before_connecting);
  tcase_add_test(tc, test_a_socket_served_by_another_user_is_refused);
  tcase_add_test(tc, test_a_users_squatted_default_socket_is_refused);
  tcase_add_test(tc, test_roots_default_socket_is_under_run);
  tcase_add_test(tc, test_fern_run_names_who_squats_its_default_directory);
  suite_add_tcase(s, tc);
  return s;
}
