/* capstan_osv_base.c - what OSv's own image holds under every package
 * (its usr.manifest.skel), written first into a composed image so a
 * package's files can replace it, as Capstan's compose writes packages
 * over OSv's base image:
 *
 *   /etc/hosts                OSv's static/etc/hosts
 *   /etc/fstab                OSv's static/etc/fstab
 *   /etc/mnttab -> /proc/mounts
 *   /usr/lib/libgcc_s.so.1    the host's copy, as OSv copies its
 *                             toolchain's
 *
 * (OSv, cloudius-systems/osv at 0e34e4dc, BSD licence.) /proc, /dev and
 * /tmp are the runner's (the ELF runner's "root": "package"). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capstan_compose.h"

static const char osv_hosts[] = "127.0.0.1 localhost osv.local\n";
static const char osv_fstab[] =
    "/dev/vblk0.1 /          zfs       defaults 0 0\n"
    "none         /dev       devfs     defaults 0 0\n"
    "none         /proc      procfs    defaults 0 0\n"
    "none         /sys       sysfs     defaults 0 0\n";

static int write_text(const char *image, const char *rel, const char *text) {
  char path[PATH_MAX * 2];
  snprintf(path, sizeof path, "%s/%s", image, rel);
  FILE *f = fopen(path, "wex");
  if (f == NULL)
    return -1;
  int ok = fputs(text, f) >= 0;
  return fclose(f) == 0 && ok ? 0 : -1;
}

static int make_dir(const char *image, const char *rel) {
  char path[PATH_MAX * 2];
  snprintf(path, sizeof path, "%s/%s", image, rel);
  return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

/* The host's libgcc_s, where OSv's image has its own; none is fine. */
static int copy_libgcc(const char *image) {
  static const char *const dirs[] = {"/lib/x86_64-linux-gnu",
                                     "/usr/lib/x86_64-linux-gnu",
                                     "/lib/aarch64-linux-gnu", "/lib64",
                                     NULL};
  for (int i = 0; dirs[i] != NULL; i++) {
    char from[PATH_MAX], to[PATH_MAX * 2];
    snprintf(from, sizeof from, "%s/libgcc_s.so.1", dirs[i]);
    if (access(from, R_OK) != 0)
      continue;
    snprintf(to, sizeof to, "%s/usr/lib/libgcc_s.so.1", image);
    return capstan_copy_file(from, to, 0644);
  }
  return 0;
}

int capstan_osv_base_write(const char *image, fern_error_t *err) {
  char mnttab[PATH_MAX * 2];
  snprintf(mnttab, sizeof mnttab, "%s/etc/mnttab", image);
  if (make_dir(image, "etc") != 0 || make_dir(image, "usr") != 0 ||
      make_dir(image, "usr/lib") != 0 ||
      write_text(image, "etc/hosts", osv_hosts) != 0 ||
      write_text(image, "etc/fstab", osv_fstab) != 0 ||
      symlink("/proc/mounts", mnttab) != 0 || copy_libgcc(image) != 0)
    return fern_error_set(err, FERN_EIO, NULL,
                          "composing the image: cannot write OSv's own "
                          "files into %s: %s",
                          image, strerror(errno));
  return FERN_OK;
}
