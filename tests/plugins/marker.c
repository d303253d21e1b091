/* marker - a valid runner whose code, once loaded, leaves a file: its
 * constructor creates the file named by FERN_TEST_MARK (when set). The
 * tests that a plugin is refused before any of its code runs, or that the
 * file loaded is the one that was checked, look for that file. */
#include <fcntl.h>
#include <fern/runner.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void marker_ran(void) {
  const char *mark = getenv("FERN_TEST_MARK");
  int fd = mark != NULL ? open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0644) : -1;
  if (fd >= 0)
    close(fd);
}

static int marker_create(const fern_host_t *host, const json_t *config,
                         void **runner, fern_error_t *err) {
  (void)host;
  (void)config;
  (void)err;
  *runner = NULL;
  return FERN_OK;
}
static void marker_release(void *runner) { (void)runner; }
static int marker_validate(const json_t *config, const json_t *program,
                           fern_error_t *err) {
  (void)config;
  (void)program;
  (void)err;
  return FERN_OK;
}
static int marker_start(void *runner, const fern_start_info_t *info,
                        void **controller, fern_error_t *err) {
  (void)runner;
  (void)info;
  (void)controller;
  return fern_error_set(err, FERN_EINVAL, NULL, "marker runs nothing");
}
static void marker_kill(void *controller) {
  (void)controller;
}
static void marker_controller_release(void *controller) { (void)controller; }

FERN_RUNNER_PLUGIN(.name = "marker", .description = "leaves a mark",
                   .capabilities = 0,
                   .create = marker_create, .release = marker_release,
                   .validate = marker_validate, .start = marker_start,
                   .kill = marker_kill,
                   .controller_release = marker_controller_release);
