/* proc_cgroup_tree.c - removing a cgroup and every cgroup inside it, at any
 * depth and of any name. A program may make cgroups inside its own (twenty
 * deep, or named ".x"), and rmdir removes only an empty cgroup: the tree
 * goes deepest first, and none of it may stay behind.
 *
 * The walk holds one directory descriptor at a time and climbs back
 * through "..", finding the directory it left by its inode number: neither
 * the stack nor a path buffer limits how deep it goes. It allocates
 * nothing and takes no lock (system calls and stack buffers, with libc's
 * snprintf and string functions on them), because the guardian runs it
 * after a fork of a threaded process. A cgroup that will not go (a process in it has
 * not died yet) is remembered by inode, and the walk goes around it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

/* Past this many cgroups that would not go, the walk gives up. */
#define STUCK_MAX 64

typedef struct tree_walk_s {
  ino_t stuck[STUCK_MAX];
  int stuck_count;
} tree_walk;

/* The kernel's getdents64 record (glibc's struct dirent64 needs
 * _LARGEFILE64_SOURCE and has a fixed-size name). */
typedef struct kernel_dirent_s {
  unsigned long long ino;
  long long off;
  unsigned short reclen;
  unsigned char type;
  char name[];
} kernel_dirent;

static int is_stuck(const tree_walk *w, ino_t ino) {
  for (int i = 0; i < w->stuck_count; i++)
    if (w->stuck[i] == ino)
      return 1;
  return 0;
}

/* Returns 0 once there is no room left to remember another. */
static int note_stuck(tree_walk *w, ino_t ino) {
  if (w->stuck_count == STUCK_MAX)
    return 0;
  w->stuck[w->stuck_count++] = ino;
  return 1;
}

static int is_dot_or_dotdot(const char *name) {
  return name[0] == '.' &&
         (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

/* Calls take(fd, entry, arg) for each subdirectory of `fd` until it
 * returns 1; returns 1 if one did. */
static int each_child(int fd, int (*take)(int, const kernel_dirent *, void *),
                      void *arg) {
  char buf[4096];
  long got;
  if (lseek(fd, 0, SEEK_SET) != 0)
    return 0;
  while ((got = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
    for (long off = 0; off < got;) {
      const kernel_dirent *d = (const void *)(buf + off);
      off += d->reclen;
      if (d->type == DT_DIR && !is_dot_or_dotdot(d->name) && take(fd, d, arg))
        return 1;
    }
  return 0;
}

typedef struct child_pick_s {
  const tree_walk *walk;
  ino_t want; /* 0: the first that will not go */
  char name[NAME_MAX + 1];
} child_pick;

static int pick(const kernel_dirent *d, child_pick *p) {
  size_t len = strnlen(d->name, NAME_MAX);
  memcpy(p->name, d->name, len);
  p->name[len] = '\0';
  return 1;
}

/* Removes the child if it can go; picks the first that cannot. */
static int remove_or_pick(int fd, const kernel_dirent *d, void *arg) {
  child_pick *p = arg;
  if (is_stuck(p->walk, (ino_t)d->ino) ||
      unlinkat(fd, d->name, AT_REMOVEDIR) == 0)
    return 0;
  return pick(d, p);
}

static int pick_inode(int fd, const kernel_dirent *d, void *arg) {
  (void)fd;
  child_pick *p = arg;
  return d->ino == p->want && pick(d, p);
}

/* Steps into the child `name` of `*fd`; a child that cannot be opened is
 * stuck. Returns 0 when the walk must give up. */
static int descend(int *fd, const char *name, tree_walk *w, long *depth) {
  int child = openat(*fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                    O_CLOEXEC);
  if (child < 0 && errno == ENOENT)
    return 1; /* gone by itself meanwhile */
  if (child < 0) {
    struct stat st;
    return fstatat(*fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
           note_stuck(w, st.st_ino);
  }
  close(*fd);
  *fd = child;
  ++*depth;
  return 1;
}

/* Everything removable below `*fd` is gone: climbs to its parent and
 * removes it there (or remembers it as stuck). Returns 0 when the walk
 * must give up. */
static int ascend(int *fd, tree_walk *w, long *depth) {
  struct stat st;
  if (fstat(*fd, &st) != 0)
    return 0;
  int parent = openat(*fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  close(*fd);
  *fd = parent;
  --*depth;
  if (parent < 0)
    return 0;
  child_pick p = {.walk = w, .want = st.st_ino};
  if (each_child(parent, pick_inode, &p) &&
      unlinkat(parent, p.name, AT_REMOVEDIR) == 0)
    return 1;
  return note_stuck(w, st.st_ino);
}

void proc_job_remove_cgroup_tree(const char *dir) {
  if (rmdir(dir) == 0 || (errno != EBUSY && errno != ENOTEMPTY))
    return;
  tree_walk w = {.stuck_count = 0};
  long depth = 0;
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  while (fd >= 0) {
    child_pick p = {.walk = &w};
    int ok;
    if (each_child(fd, remove_or_pick, &p))
      ok = descend(&fd, p.name, &w, &depth);
    else if (depth > 0)
      ok = ascend(&fd, &w, &depth);
    else
      break;
    if (!ok)
      break;
  }
  if (fd >= 0)
    close(fd);
  rmdir(dir);
}

/* Whether the cgroup whose cgroup.events is open at `fd` is empty. */
static int emptied(int fd) {
  char events[256];
  ssize_t n = pread(fd, events, sizeof events - 1, 0);
  if (n <= 0)
    return 1; /* gone */
  events[n] = '\0';
  return strstr(events, "populated 0") != NULL;
}

void proc_cgroup_kill_tree(const char *dir) {
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/cgroup.kill", dir);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t ignored = write(fd, "1", 1);
    (void)ignored;
    close(fd);
  }
  /* The kernel signals a change of cgroup.events with POLLPRI: wait for
   * "populated 0" that way, 5 s at most. */
  snprintf(path, sizeof path, "%s/cgroup.events", dir);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (long left = 5000; fd >= 0 && left > 0 && !emptied(fd);) {
    struct pollfd pfd = {fd, POLLPRI, 0};
    poll(&pfd, 1, (int)left);
    clock_gettime(CLOCK_MONOTONIC, &now);
    left = 5000 - ((now.tv_sec - start.tv_sec) * 1000 +
                   (now.tv_nsec - start.tv_nsec) / 1000000);
  }
  if (fd >= 0)
    close(fd);
  proc_job_remove_cgroup_tree(dir);
}
