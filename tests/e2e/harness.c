/* harness.c - see e2e.h. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "../../core/proc/cgroup_paths.h"
#include "e2e.h"

const char *e2e_build(void) {
  const char *dir = getenv("FERN_BUILD");
  return dir != NULL ? dir : ".";
}

/* Under make check-valgrind: names fern's own log in VG_DIR/main-logs.
 * The children fern forks log too; one whose exec fails exits with a copy
 * of fern's memory but none of its threads, so what only a worker thread
 * held looks lost there: leaks count in fern's own logs only. */
static void note_valgrind_log(pid_t pid) {
  const char *vg_dir = getenv("FERN_E2E_VALGRIND_DIR");
  char path[4200];
  if (vg_dir == NULL)
    return;
  snprintf(path, sizeof path, "%s/main-logs", vg_dir);
  FILE *f = fopen(path, "a");
  ck_assert_msg(f != NULL, "cannot write %s", path);
  fprintf(f, "fern-%d.log\n", (int)pid);
  fclose(f);
}

static void start(e2e_proc *p, const char *const *args, int own_group);

void e2e_start(e2e_proc *p, const char *const *args) { start(p, args, 0); }

void e2e_start_own_group(e2e_proc *p, const char *const *args) {
  start(p, args, 1);
}

/* Every `fern run` writes its events where the test can read them: the
 * tests assert on the event stream rather than on log wording. */
static void add_events_file(e2e_proc *p, const char **argv, size_t first,
                            size_t *n) {
  static unsigned serial;
  const char **args = argv + first;
  if (args[0] == NULL || strcmp(args[0], "run") != 0)
    return;
  for (size_t i = 1; args[i] != NULL; i++) {
    const char *named = strcmp(args[i], "--events") == 0 ? args[i + 1]
                        : strncmp(args[i], "--events=", 9) == 0 ? args[i] + 9
                                                                 : NULL;
    if (named != NULL) {
      ck_assert_uint_lt(strlen(named), sizeof p->events);
      snprintf(p->events, sizeof p->events, "%s", named);
      return;
    }
  }
  /* FERN_E2E_TMP: a directory of the caller's, for runs whose cases are
   * meant to fail (a failed case ends before it can remove its file). */
  const char *tmp = getenv("FERN_E2E_TMP");
  snprintf(p->events, sizeof p->events, "%s/fern-e2e-events-%d-%u.jsonl",
           tmp != NULL && tmp[0] == '/' ? tmp : "/tmp", (int)getpid(),
           serial++);
  p->events_ours = 1;
  for (size_t i = *n; i > first + 1; i--) /* fern run --events FILE ... */
    argv[i + 1] = argv[i - 1];
  argv[first + 1] = "--events";
  argv[first + 2] = p->events;
  *n += 2;
  argv[*n] = NULL;
}

void e2e_fern_path(char *out, size_t size) {
  const char *installed = getenv("FERN_BINARY");
  if (installed != NULL && *installed != '\0')
    snprintf(out, size, "%s", installed);
  else
    snprintf(out, size, "%s/fern", e2e_build());
}

static void start(e2e_proc *p, const char *const *args, int own_group) {
  memset(p, 0, sizeof *p);
  p->status = -1;
  p->out = calloc(64, 1); /* see room_for */
  p->err = calloc(64, 1);
  int out[2], err[2];
  ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
  ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
  char fern[4096], log[4200];
  e2e_fern_path(fern, sizeof fern);
  const char *argv[80];
  size_t n = 0;
  /* make check-valgrind: fern runs under memcheck, each run's report in
   * a file of its own that the make target reads afterwards. */
  const char *vg_dir = getenv("FERN_E2E_VALGRIND_DIR");
  if (vg_dir != NULL) {
    snprintf(log, sizeof log, "--log-file=%s/fern-%%p.log", vg_dir);
    static char supp[4200];
    snprintf(supp, sizeof supp, "--suppressions=%s/tests/valgrind.supp",
             getenv("FERN_SOURCE") ? getenv("FERN_SOURCE") : ".");
    const char *vg[] = {"valgrind", "-q", "--leak-check=full",
                        "--errors-for-leak-kinds=definite",
                        "--show-leak-kinds=definite", supp, log};
    for (size_t i = 0; i < sizeof vg / sizeof vg[0]; i++)
      argv[n++] = vg[i];
  }
  argv[n++] = fern;
  size_t first = n;
  for (size_t i = 0; args[i] != NULL && n < 77; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  add_events_file(p, argv, first, &n);
  pid_t parent = getpid();
  p->pid = fork();
  if (p->pid == 0) {
    /* A test that fails (and so exits) takes its fern down with it. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent || (own_group && setpgid(0, 0) != 0))
      _exit(127);
    dup2(out[1], 1);
    dup2(err[1], 2);
    execvp(argv[0], (char *const *)argv);
    _exit(127);
  }
  ck_assert_msg(p->pid > 0, "cannot fork: %s", strerror(errno));
  note_valgrind_log(p->pid);
  close(out[1]);
  close(err[1]);
  p->out_fd = out[0];
  p->err_fd = err[0];
}

const char *e2e_status_field(pid_t pid, const char *key, char *buf,
                             size_t size) {
  char path[64], line[512];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  ck_assert_msg(f != NULL, "cannot read %s: %s", path, strerror(errno));
  size_t n = strlen(key);
  int found = 0;
  while (!found && fgets(line, sizeof line, f) != NULL)
    if (strncmp(line, key, n) == 0 && line[n] == ':') {
      const char *value = line + n + 1 + strspn(line + n + 1, " \t");
      snprintf(buf, size, "%.*s", (int)strcspn(value, "\n"), value);
      found = 1;
    }
  fclose(f);
  ck_assert_msg(found, "no %s in %s", key, path);
  return buf;
}

long e2e_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Buffers hold a power of two bytes (at least 64): growing by doubling
 * keeps reading megabytes of output linear, even under ASan, whose realloc
 * always copies. */
static size_t room_for(size_t bytes) {
  size_t room = 64;
  while (room < bytes)
    room <<= 1;
  return room;
}

static void append(char **buf, size_t *len, const char *data, size_t n) {
  if (room_for(*len + 1) < *len + n + 1)
    *buf = realloc(*buf, room_for(*len + n + 1));
  ck_assert_ptr_nonnull(*buf);
  memcpy(*buf + *len, data, n);
  *len += n;
  (*buf)[*len] = '\0';
}

/* Reads what is there, waiting at most `ms`. Returns 0 when both pipes
 * reached EOF. */
int e2e_pump(e2e_proc *p, int ms) {
  struct pollfd fds[2] = {{p->out_fd, POLLIN, 0}, {p->err_fd, POLLIN, 0}};
  int open_fds = (p->out_fd >= 0) + (p->err_fd >= 0);
  if (open_fds == 0)
    return 0;
  if (poll(fds, 2, ms) <= 0)
    return 1;
  for (int i = 0; i < 2; i++) {
    if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
      continue;
    char chunk[65536];
    ssize_t n = read(fds[i].fd, chunk, sizeof chunk);
    if (n > 0) {
      if (i == 0)
        append(&p->out, &p->out_len, chunk, (size_t)n);
      else
        append(&p->err, &p->err_len, chunk, (size_t)n);
    } else if (n == 0 || errno != EINTR) {
      close(fds[i].fd);
      *(i == 0 ? &p->out_fd : &p->err_fd) = -1;
    }
  }
  return 1;
}

/* Where the next search for `nlen` bytes need begin: none starts before
 * `from` nor in the last nlen - 1 bytes read before this pump. */
static size_t searched_to(const e2e_proc *p, size_t from, size_t nlen) {
  size_t whole = p->err_len + 1 > nlen ? p->err_len + 1 - nlen : 0;
  return from > whole ? from : whole;
}

/* Each wait searches only what came since the last look: a flood's log is
 * megabytes, and searching it whole after every read would take the test
 * longer than fern takes to print it. */
void e2e_wait_for(e2e_proc *p, const char *text, int ms) {
  long deadline = e2e_now_ms() + ms;
  size_t nlen = strlen(text), from = 0;
  while (memmem(p->err + from, p->err_len - from, text, nlen) == NULL) {
    from = searched_to(p, from, nlen);
    long left = deadline - e2e_now_ms();
    if (left <= 0 ||
        (e2e_pump(p, (int)left) == 0 &&
         memmem(p->err + from, p->err_len - from, text, nlen) == NULL)) {
      kill(p->pid, SIGKILL);
      ck_abort_msg("waited %d ms for \"%s\" on fern's stderr:\n%s", ms, text,
                   p->err);
    }
  }
}

int e2e_finish(e2e_proc *p, int ms) {
  long deadline = e2e_now_ms() + ms;
  while (e2e_pump(p, 50) != 0) {
    if (e2e_now_ms() > deadline) {
      kill(p->pid, SIGKILL);
      waitpid(p->pid, NULL, 0);
      ck_abort_msg("fern did not finish within %d ms; stderr:\n%s", ms, p->err);
    }
  }
  int wstatus;
  while (waitpid(p->pid, &wstatus, 0) < 0 && errno == EINTR)
    ;
  p->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus)
                                 : 128 + WTERMSIG(wstatus);
  /* Under the sanitizers a report fails the test whatever the exit code:
   * a fern expected to exit 1 could otherwise die of one unnoticed. */
  static const char *const reports[] = {"ERROR: AddressSanitizer",
                                        "ERROR: LeakSanitizer",
                                        ": runtime error: ", NULL};
  for (size_t i = 0; reports[i] != NULL; i++) {
    const char *report = strstr(p->err, reports[i]);
    ck_assert_msg(report == NULL, "fern's stderr holds a sanitizer report:\n%.3000s",
                  report);
  }
  return p->status;
}

void e2e_free(e2e_proc *p) {
  if (p->events_ours)
    unlink(p->events);
  p->events_ours = 0;
  if (p->out_fd >= 0)
    close(p->out_fd);
  if (p->err_fd >= 0)
    close(p->err_fd);
  free(p->out);
  free(p->err);
}

int e2e_run(e2e_proc *p, int ms, const char *const *args) {
  e2e_start(p, args);
  return e2e_finish(p, ms);
}

void e2e_assert_order(const char *hay, const char *first, const char *second) {
  const char *a = strstr(hay, first), *b = strstr(hay, second);
  ck_assert_msg(a != NULL && b != NULL && a < b,
                "expected \"%s\" before \"%s\" in:\n%s", first, second, hay);
}





/* memmem with the length left, not strstr: ASan's strstr measures the
 * whole rest of the haystack each call, quadratic on megabytes of output. */
int e2e_count(const char *hay, const char *needle) {
  int n = 0;
  size_t left = strlen(hay), nlen = strlen(needle);
  for (const char *at = memmem(hay, left, needle, nlen); at != NULL;
       at = memmem(at + 1, left - (size_t)(at + 1 - hay), needle, nlen))
    n++;
  return n;
}

void e2e_wait_for_count(e2e_proc *p, const char *text, int count, int ms) {
  long deadline = e2e_now_ms() + ms;
  size_t nlen = strlen(text), from = 0;
  int seen = 0;
  for (;;) {
    const char *at;
    while ((at = memmem(p->err + from, p->err_len - from, text, nlen)) != NULL) {
      seen++;
      from = (size_t)(at - p->err) + 1;
    }
    if (seen >= count)
      return;
    from = searched_to(p, from, nlen);
    long left = deadline - e2e_now_ms();
    if (left > 0 && e2e_pump(p, (int)left) != 0)
      continue;
    if (e2e_count(p->err, text) >= count)
      return;
    kill(p->pid, SIGKILL);
    /* The end of what it said: a flood's whole log is too much to show. */
    size_t len = strlen(p->err);
    const char *tail = len > 2000 ? p->err + len - 2000 : p->err;
    ck_abort_msg("waited %d ms for %d times \"%s\" on fern's stderr, saw "
                 "it %d times; it ended:\n%s",
                 ms, count, text, e2e_count(p->err, text), tail);
  }
}

void e2e_wait_for_stdout(e2e_proc *p, const char *text, int ms) {
  long deadline = e2e_now_ms() + ms;
  while (strstr(p->out, text) == NULL) {
    long left = deadline - e2e_now_ms();
    if (left <= 0 ||
        (e2e_pump(p, (int)left) == 0 && strstr(p->out, text) == NULL)) {
      kill(p->pid, SIGKILL);
      ck_abort_msg("waited %d ms for \"%s\" on stdout:\n%s", ms, text,
                   p->out);
    }
  }
}

/* Alive: it exists and is not a zombie (a zombie is dead; only its parent
 * may still collect it). */
int e2e_process_alive(pid_t pid) {
  char path[64], stat[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return 0;
  size_t n = fread(stat, 1, sizeof stat - 1, f);
  fclose(f);
  stat[n] = '\0';
  const char *paren = strrchr(stat, ')');
  return paren != NULL && paren[2] != 'Z';
}

/* The pids a component printed as "[MONIKER] orphan PID", plus its main
 * process from "MONIKER: started (pid PID)". */
int e2e_collect_pids(const char *err, const char *moniker, pid_t *pids,
                        int max) {
  char key[128];
  int n = 0;
  snprintf(key, sizeof key, "[%s] orphan ", moniker);
  for (const char *at = strstr(err, key); at != NULL && n < max;
       at = strstr(at + 1, key))
    pids[n++] = (pid_t)atol(at + strlen(key));
  snprintf(key, sizeof key, "%s: started (pid ", moniker);
  const char *main_at = strstr(err, key);
  if (main_at != NULL && n < max)
    pids[n++] = (pid_t)atol(main_at + strlen(key));
  return n;
}

/* Waits on each process's pidfd (readable once it has exited) until the
 * deadline. */
void e2e_pidfds_open(const pid_t *pids, int n, int *fds) {
  for (int i = 0; i < n; i++) {
    fds[i] = (int)syscall(SYS_pidfd_open, pids[i], 0);
    ck_assert_msg(fds[i] >= 0 || errno == ESRCH, "pidfd_open(%d): %s",
                  (int)pids[i], strerror(errno));
  }
}

void e2e_assert_pidfds_gone_within(int *fds, const pid_t *pids, int n,
                                   int ms) {
  long deadline = e2e_now_ms() + ms;
  for (int i = 0; i < n; i++) {
    if (fds[i] < 0)
      continue; /* gone before it was watched */
    struct pollfd pfd = {fds[i], POLLIN, 0};
    long left = deadline - e2e_now_ms();
    int exited = poll(&pfd, 1, left > 0 ? (int)left : 0) == 1;
    close(fds[i]);
    fds[i] = -1;
    ck_assert_msg(exited, "process %d outlived its component by %d ms",
                  (int)pids[i], ms);
  }
}

void e2e_assert_all_gone_within(const pid_t *pids, int n, int ms) {
  int *fds = calloc((size_t)n + 1, sizeof *fds);
  ck_assert_ptr_nonnull(fds);
  e2e_pidfds_open(pids, n, fds);
  e2e_assert_pidfds_gone_within(fds, pids, n, ms);
  free(fds);
}


int e2e_skip_under_valgrind(const char *why) {
  if (getenv("FERN_E2E_VALGRIND_DIR") == NULL)
    return 0;
  fprintf(stderr, "skipped under valgrind: %s\n", why);
  return 1;
}



int e2e_skip_root_under_valgrind(void) {
  return e2e_skip_under_valgrind("its program runs in a root of its own, "
                                 "where valgrind's launcher, which valgrind "
                                 "execs for every program, is not");
}




void e2e_wait_for_deletions(const char *dir, int (*done)(const void *arg),
                            const void *arg, int ms, const char *what) {
  int watch = inotify_init1(IN_CLOEXEC);
  /* `dir` itself may be gone already, with what was to go in it. */
  if (inotify_add_watch(watch, dir, IN_DELETE) < 0) {
    ck_assert_msg(errno == ENOENT && done(arg), "cannot watch %s: %s", dir,
                  strerror(errno));
    close(watch);
    return;
  }
  long deadline = e2e_now_ms() + ms;
  while (!done(arg)) {
    struct pollfd pfd = {watch, POLLIN, 0};
    long left = deadline - e2e_now_ms();
    ck_assert_msg(left > 0 && poll(&pfd, 1, (int)left) == 1, "%s", what);
    char events[4096];
    ck_assert_int_gt(read(watch, events, sizeof events), 0);
  }
  close(watch);
}

int e2e_test_user(const char *name, uid_t *uid, gid_t *gid) {
  if (getuid() != 0) {
    fprintf(stderr, "skipped: needs root to make the test user %s\n", name);
    return -1;
  }
  struct passwd *pw = getpwnam(name);
  if (pw == NULL) {
    char cmd[256];
    snprintf(cmd, sizeof cmd,
             "useradd --system --no-create-home --user-group --shell "
             "/usr/sbin/nologin '%s'",
             name);
    ck_assert_msg(system(cmd) == 0, "cannot make the test user: %s", cmd);
    pw = getpwnam(name);
  }
  ck_assert_msg(pw != NULL, "user %s was made but cannot be found", name);
  *uid = pw->pw_uid;
  *gid = pw->pw_gid;
  return 0;
}

int e2e_run_fern_as(uid_t uid, gid_t gid, const char *const *args, char *out,
                    size_t size) {
  char dir[] = "/tmp/fern-as-XXXXXX", fern[4096];
  ck_assert_ptr_nonnull(mkdtemp(dir));
  ck_assert_int_eq(chmod(dir, 0755), 0);
  snprintf(fern, sizeof fern, "%s/fern", e2e_build());
  e2e_package_copy(dir, fern, "fern");
  snprintf(fern, sizeof fern, "%s/fern", dir);
  ck_assert_int_eq(chmod(fern, 0755), 0);
  const char *argv[32] = {fern};
  size_t n = 1;
  for (size_t i = 0; args[i] != NULL && n < 31; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  int pipefd[2];
  ck_assert_int_eq(pipe(pipefd), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], 2);
    dup2(pipefd[1], 1);
    if (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0)
      _exit(99);
    execv(fern, (char *const *)argv);
    fprintf(stderr, "cannot run %s as uid %u: %s\n", fern, (unsigned)uid,
            strerror(errno));
    _exit(98);
  }
  close(pipefd[1]);
  ssize_t got = 0, r;
  while ((r = read(pipefd[0], out + got, size - 1 - (size_t)got)) > 0)
    got += r;
  out[got] = '\0';
  close(pipefd[0]);
  int status;
  waitpid(pid, &status, 0);
  e2e_package_remove(dir);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int e2e_job_mechanism_is(const char *err, const char *name) {
  char key[64];
  snprintf(key, sizeof key, "job mechanism %s", name);
  return strstr(err, key) != NULL;
}

const char *e2e_cgroup_root(void) {
  DIR *d = opendir("/sys/fs/cgroup/unified");
  if (d != NULL)
    closedir(d);
  return d != NULL ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup";
}

void e2e_runner_cgroup_parent(char *out, size_t size) {
  char v2[1024], common[1024];
  if (cgroup_own_paths(v2, sizeof v2, common, sizeof common) < 0)
    snprintf(common, sizeof common, "/");
  snprintf(out, size, "%s%s", e2e_cgroup_root(),
           strcmp(common, "/") == 0 ? "" : common);
}

/* How many runner directories (fern-PID-N) fern `pid` has. */
static int cgroup_dirs_of(pid_t fern) {
  char parent[2048];
  e2e_runner_cgroup_parent(parent, sizeof parent);
  DIR *d = opendir(parent);
  char prefix[32];
  snprintf(prefix, sizeof prefix, "fern-%d-", (int)fern);
  int n = 0;
  struct dirent *e;
  while (d != NULL && (e = readdir(d)) != NULL)
    n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
  if (d != NULL)
    closedir(d);
  return n;
}

static int no_cgroup_dirs_of(const void *fern) {
  return cgroup_dirs_of(*(const pid_t *)fern) == 0;
}

void e2e_wait_cgroups_gone(pid_t fern, int ms) {
  char parent[2048];
  e2e_runner_cgroup_parent(parent, sizeof parent);
  e2e_wait_for_deletions(parent, no_cgroup_dirs_of, &fern, ms,
                         "cgroups of the ended fern remain");
}

/* The processes whose parent is `parent` and whose name is `comm`. */
int e2e_children_named(pid_t parent, const char *comm, pid_t *pids, int max) {
  DIR *d = opendir("/proc");
  struct dirent *e;
  int n = 0;
  while (d != NULL && n < max && (e = readdir(d)) != NULL) {
    char path[300], stat[512];
    snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
    FILE *f = atoi(e->d_name) > 0 ? fopen(path, "r") : NULL;
    size_t got = f ? fread(stat, 1, sizeof stat - 1, f) : 0;
    if (f != NULL)
      fclose(f);
    stat[got] = '\0';
    const char *open_paren = strchr(stat, '('), *close_paren = strrchr(stat, ')');
    long ppid = 0;
    if (open_paren == NULL || close_paren == NULL ||
        sscanf(close_paren + 2, "%*c %ld", &ppid) != 1 || ppid != parent ||
        (size_t)(close_paren - open_paren - 1) != strlen(comm) ||
        strncmp(open_paren + 1, comm, strlen(comm)) != 0)
      continue;
    pids[n++] = (pid_t)atol(e->d_name);
  }
  if (d != NULL)
    closedir(d);
  return n;
}


/* Whether a thread of `pid` sleeps in write(2) on fd 2: a pipe write
 * sleeps only when the pipe is full, so fern's stderr is full and fern
 * waits on it. (How full in bytes says less: a pipe's pages may be part
 * full when it takes no more.) */
static int waits_on_a_full_stderr(pid_t pid) {
  char path[64], want[32], line[128];
  snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
  snprintf(want, sizeof want, "%ld 0x2 ", (long)SYS_write);
  DIR *tasks = opendir(path);
  struct dirent *task;
  int waits = 0;
  while (!waits && tasks != NULL && (task = readdir(tasks)) != NULL) {
    char file[320];
    snprintf(file, sizeof file, "%s/%s/syscall", path, task->d_name);
    FILE *f = task->d_name[0] == '.' ? NULL : fopen(file, "r");
    waits = f != NULL && fgets(line, sizeof line, f) != NULL &&
            strncmp(line, want, strlen(want)) == 0;
    if (f != NULL)
      fclose(f);
  }
  if (tasks != NULL)
    closedir(tasks);
  return waits;
}

void e2e_wait_until_stderr_is_full(e2e_proc *p, int ms) {
  long deadline = e2e_now_ms() + ms;
  while (!waits_on_a_full_stderr(p->pid)) {
    if (e2e_now_ms() > deadline) {
      kill(p->pid, SIGKILL);
      ck_abort_msg("fern's stderr did not fill up within %d ms", ms);
    }
    poll(NULL, 0, 10); /* no event says a pipe filled up */
  }
}
