/* trusted_open.c - see trusted_open.h: who may change a plugin, checked
 * before fern reads a byte of it, and the one open of the file that all
 * after reads through.
 *
 * A plugin runs inside fern, so whoever could change it could run code as
 * fern's user. That is whoever may write the file, and whoever may write
 * any directory on its path: they could rename a directory of their making
 * into its place. So the file and every directory from its own up to /
 * must be owned by root or fern's user and writable by no one else, as
 * OpenSSH's StrictModes asks of authorized_keys (openssh-portable misc.c
 * safe_path(): the file, then each dirname() up to "/", owned by root or
 * the user and (st_mode & 022) == 0). sudo asks the same of a plugin file
 * but not of its directories (sudo src/load_plugins.c sudo_check_plugin():
 * owned by root, neither S_IWGRP nor S_IWOTH).
 *
 * Two allowances, each for a reason:
 * - Above the plugin's own directory, a sticky directory owned by root or
 *   this user (/tmp) may be writable by others: the kernel lets them
 *   neither rename nor remove an entry there that they do not own (linux
 *   fs/namei.c: unlink and rename go through may_delete(), whose
 *   check_sticky()/__check_sticky() allow only the entry's owner, the
 *   directory's owner or CAP_FOWNER), and the entry below it on the path is
 *   itself checked to be root's or ours. The plugin's own directory gets no
 *   such allowance: others could add plugin files there under names not
 *   yet taken, ahead of the directories searched after it.
 * - Group write is fine when no user but root and this one is in the group
 *   (a umask of 002 with a group of one's own), as sudo accepts group write
 *   for a group it names (sudo lib/util/secure_path.c sudo_check_secure()).
 *   "In the group" counts its listed members and every user whose primary
 *   group it is: a primary group shared by all, such as "users", is exactly
 *   the case where the process's own group is not private. (A user
 *   database that cannot be listed, such as LDAP without enumeration, can
 *   hide the latter; listed members are always seen.) With an access ACL,
 *   the mode's group bits are the ACL mask, which is also what named users
 *   and groups get (linux fs/posix_acl.c posix_acl_permission()), so group
 *   write with an ACL is refused. */
#include "trusted_open.h"

#include <fern/fern.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

typedef enum entry_kind {
  ENTRY_FILE,
  ENTRY_OWN_DIR, /* the directory holding the file */
  ENTRY_ABOVE    /* every directory above that one, up to "/" */
} entry_kind;

static const char *const entry_what[] = {"the file", "its directory",
                                         "the directory"};

/* Where a refusal's reason goes. */
typedef struct why_s {
  char *text;
  size_t size;
} why_t;

static int fail(why_t *why, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(why_t *why, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why->text, why->size, fmt, ap);
  va_end(ap);
  return code;
}

static int trusted_user(uid_t uid) { return uid == 0 || uid == geteuid(); }

/* " (name)" when the user database knows the uid, else "". */
static void user_name(uid_t uid, char *out, size_t size) {
  struct passwd pw, *found = NULL;
  char buf[4096];
  if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found != NULL)
    snprintf(out, size, " (%s)", found->pw_name);
  else
    out[0] = '\0';
}

/* A listed member of the group that is neither root nor this user (or a
 * name the user database does not know): its name in `who`. */
static int listed_stranger(char *const *members, char *who, size_t size) {
  for (; *members != NULL; members++) {
    struct passwd pw, *found = NULL;
    char buf[4096];
    if (getpwnam_r(*members, &pw, buf, sizeof buf, &found) != 0 ||
        found == NULL || !trusted_user(found->pw_uid)) {
      snprintf(who, size, "user %s", *members);
      return 1;
    }
  }
  return 0;
}

/* getpwent_r's reading position is one for the whole process: two walks
 * at once (plugins load on the loop, the sandbox checks libraries on
 * worker threads) would cut each other short and find no stranger. */
static pthread_mutex_t user_walk = PTHREAD_MUTEX_INITIALIZER;

/* A user whose primary group is `gid`, neither root nor this user. A user
 * database that cannot be read to its end counts as one. */
static int primary_stranger(gid_t gid, char *who, size_t size) {
  struct passwd pw, *entry;
  char buf[4096];
  int rc, found = 0;
  pthread_mutex_lock(&user_walk);
  setpwent();
  while (!found && (rc = getpwent_r(&pw, buf, sizeof buf, &entry)) == 0)
    if (entry->pw_gid == gid && !trusted_user(entry->pw_uid)) {
      snprintf(who, size, "user %s", entry->pw_name);
      found = 1;
    }
  endpwent();
  pthread_mutex_unlock(&user_walk);
  if (!found && rc != ENOENT) {
    snprintf(who, size, "whoever the unreadable user database holds");
    found = 1;
  }
  return found;
}

/* Whether anyone but root and this user is in group `gid`: 1 with who in
 * `who`, else 0. The group's name (or its number) goes to `name`. */
static int group_stranger(gid_t gid, char *name, size_t name_size, char *who,
                          size_t who_size) {
  struct group gr, *found = NULL;
  size_t size = 4096;
  char *buf = NULL;
  int rc = ERANGE;
  while (rc == ERANGE && size <= (1u << 24)) {
    char *grown = realloc(buf, size);
    if (grown == NULL)
      break;
    buf = grown;
    rc = getgrgid_r(gid, &gr, buf, size, &found);
    size *= 2;
  }
  int stranger = 1;
  if (rc != 0)
    snprintf(who, who_size, "whoever the unreadable group database holds");
  else if (found == NULL || !listed_stranger(found->gr_mem, who, who_size))
    stranger = primary_stranger(gid, who, who_size);
  if (rc == 0 && found != NULL)
    snprintf(name, name_size, "%s", found->gr_name);
  else
    snprintf(name, name_size, "%u", (unsigned)gid);
  free(buf);
  return stranger;
}

/* Group write: acceptable only without an ACL and with no one else in the
 * group (see the top of this file). */
static int check_group_write(why_t *why, const char *path,
                             const struct stat *st, int fd, const char *what) {
  const char *acl = "system.posix_acl_access";
  unsigned mode = st->st_mode & 07777;
  if ((fd >= 0 ? fgetxattr(fd, acl, NULL, 0) : lgetxattr(path, acl, NULL, 0)) >=
      0)
    return fail(
        why, FERN_EACCES,
        "%s %s has an access ACL whose mask lets others write to it (mode "
        "%04o)",
        what, path, mode);
  if (errno != ENODATA && errno != ENOTSUP)
    return fail(why, FERN_EIO, "cannot read the ACL of %s %s", what, path);
  char group[256], who[300];
  if (group_stranger(st->st_gid, group, sizeof group, who, sizeof who))
    return fail(
        why, FERN_EACCES,
        "%s %s is writable by its group %s (mode %04o), and %s is in that "
        "group",
        what, path, group, mode, who);
  return FERN_OK;
}

/* Refused unless only root or this user may change the entry at `path`
 * (`st` is its lstat or fstat; `fd` is open on it, or -1). */
static int check_entry(why_t *why, const char *path, const struct stat *st,
                       int fd, entry_kind kind) {
  const char *what = entry_what[kind];
  if (!trusted_user(st->st_uid)) {
    char name[300];
    user_name(st->st_uid, name, sizeof name);
    return fail(
        why, FERN_EACCES,
        "%s %s belongs to uid %u%s, neither root nor this user",
        what, path, (unsigned)st->st_uid, name);
  }
  if (kind == ENTRY_ABOVE && (st->st_mode & S_ISVTX))
    return FERN_OK; /* sticky: see the top of this file */
  if (st->st_mode & S_IWOTH)
    return fail(
        why, FERN_EACCES,
        "%s %s is writable by other users (mode %04o)",
        what, path, (unsigned)(st->st_mode & 07777));
  if (st->st_mode & S_IWGRP)
    return check_group_write(why, path, st, fd, what);
  return FERN_OK;
}

/* Every directory from the one holding `real` (absolute, no symlinks) up
 * to "/", as safe_path() walks them. */
static int check_directories(why_t *why, const char *real) {
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", real);
  for (entry_kind kind = ENTRY_OWN_DIR;; kind = ENTRY_ABOVE) {
    char *slash = strrchr(dir, '/');
    slash[slash == dir] = '\0'; /* "/a/b" -> "/a", "/a" -> "/" */
    struct stat st;
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
      return fail(why, FERN_EIO, "cannot read %s %s", entry_what[kind], dir);
    int rc = check_entry(why, dir, &st, -1, kind);
    if (rc != FERN_OK || strcmp(dir, "/") == 0)
      return rc;
  }
}

/* Opens the file the path check saw and checks it through the descriptor:
 * the same inode, a regular file, changeable only by root or this user. */
static int open_seen(why_t *why, const char *real, const struct stat *seen) {
  struct stat st;
  int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 || fstat(fd, &st) != 0) {
    if (fd >= 0)
      close(fd);
    return fail(why, FERN_EIO, "cannot open the file %s", real);
  }
  int rc;
  if (st.st_dev != seen->st_dev || st.st_ino != seen->st_ino)
    rc = fail(why, FERN_EACCES, "the file %s was replaced while it was checked",
              real);
  else if (!S_ISREG(st.st_mode))
    rc = fail(why, FERN_ENOEXEC, "the file %s is not a regular file", real);
  else
    rc = check_entry(why, real, &st, fd, ENTRY_FILE);
  if (rc == FERN_OK)
    return fd;
  close(fd);
  return rc;
}

int fern__trusted_open(const char *path, char *why_text, size_t why_size) {
  why_t why = {why_text, why_size};
  char real[PATH_MAX];
  struct stat seen;
  if (realpath(path, real) == NULL)
    return fail(&why, FERN_EIO, "cannot resolve its path");
  if (lstat(real, &seen) != 0)
    return fail(&why, FERN_EIO, "cannot read the file %s", real);
  /* Not opened unless it is a regular file: opening a FIFO would block. */
  if (!S_ISREG(seen.st_mode))
    return fail(&why, FERN_ENOEXEC, "the file %s is not a regular file", real);
  int rc = check_directories(&why, real);
  return rc != FERN_OK ? rc : open_seen(&why, real, &seen);
}
