/* resolve_dispatch.c - see resolve_dispatch.h. */
#include "config_values.h"
#include "control_path.h"
#include "resolve_dispatch.h"

#include <stdlib.h>
#include <string.h>

/* One unit of work for the thread pool; owns copies of its inputs so the
 * loop may change anything while the worker runs. */
typedef struct resolve_work_s {
  uv_work_t req;
  fern__resolutions *dispatch;
  fern__resolution *res;
  fern__resolution out; /* the worker writes here, never into res */
  fern__capability *resolver;
  char *url_text;
  fern__url url;
  char *parent_package_url, *parent_context, *parent_scheme;
  uv_timer_t *timer; /* the resolve timeout, or NULL */
  int timed_out;     /* res was answered with a timeout already */
} resolve_work;

void fern__resolutions_init(fern__resolutions *dispatch, uv_loop_t *loop) {
  memset(dispatch, 0, sizeof *dispatch);
  dispatch->loop = loop;
  fern__strmap_init(&dispatch->by_key);
}

static void resolution_clear(fern__resolution *res) {
  fern__decl_free(res->decl);
  json_decref(res->config_values);
  free(res->resolved_url);
  free(res->package_url);
  free(res->package_dir);
  free(res->context);
  free(res->scheme);
  fern__capability_unref(res->resolver);
  while (res->waiters != NULL) {
    fern__resolve_waiter *next = res->waiters->next;
    free(res->waiters);
    res->waiters = next;
  }
  memset(res, 0, sizeof *res);
}

static void resolution_free(void *p) {
  resolution_clear(p);
  free(p);
}

void fern__resolutions_free(fern__resolutions *dispatch) {
  fern__strmap_free(&dispatch->by_key, resolution_free);
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

/* A manifest's include shards are looked for beside its file, in its
 * package's meta/ and in the configuration's directories. */
static int parse_manifest(const fern__resolutions *dispatch,
                          const fern_resolved_t *out, const char *origin,
                          fern__resolution *res) {
  char meta[PATH_MAX], beside[PATH_MAX];
  if (out->package_dir != NULL)
    snprintf(meta, sizeof meta, "%s/meta", out->package_dir);
  /* A resolver's manifest_origin is its file's path (resolver.h). */
  int is_file = out->manifest_origin != NULL && out->manifest_origin[0] == '/';
  if (is_file)
    fern__control_dir_of(out->manifest_origin, beside, sizeof beside);
  fern__include_dirs dirs = {
      is_file ? beside : NULL, out->package_dir != NULL ? meta : NULL,
      (const char *const *)dispatch->include_dirs, dispatch->include_dir_count};
  int rc = fern__decl_parse_in(out->manifest, out->manifest_len, origin,
                               &dirs, &res->decl, &res->error);
  if (rc == FERN_OK)
    rc = fern__config_values_load(res->decl, out->package_dir,
                                  out->resolved_url, out->manifest_origin,
                                  &res->config_values, &res->error);
  return rc;
}

static int take_result(const fern__resolutions *dispatch,
                       fern__capability *resolver, fern_resolved_t *out,
                       fern__resolution *res) {
  res->resolved_url = dup_or_null(out->resolved_url);
  res->package_url = dup_or_null(out->package_url);
  res->package_dir = dup_or_null(out->package_dir);
  res->context = dup_or_null(out->context);
  const char *origin =
      out->manifest_origin ? out->manifest_origin : out->resolved_url;
  int rc = FERN_OK;
  if (res->resolved_url == NULL || res->package_url == NULL ||
      out->manifest == NULL)
    rc = fern_error_set(&res->error, FERN_EINVAL, NULL,
                        "resolver \"%s\" returned an incomplete result",
                        resolver->name);
  else
    rc = parse_manifest(dispatch, out, origin ? origin : "(manifest)", res);
  resolver->resolver->resolved_free(resolver->state, out);
  return rc;
}

/* Resolves on the calling thread (a worker). */
static int resolve_now(const fern__resolutions *dispatch,
                       fern__capability *resolver, const char *url_text,
                      const fern__url *url, const fern__resolve_parent *parent,
                      fern__resolution *res) {
  int relative = url->kind != FERN_URL_ABSOLUTE;
  fern_resolve_request_t request = {
      .struct_size = sizeof request,
      .url = url_text,
      .scheme = relative ? parent->scheme : url->scheme,
      .authority = relative ? NULL : url->authority,
      .path = relative ? NULL : url->path,
      .subpackage = url->subpackage,
      .fragment = url->fragment,
      .parent_package_url = relative ? parent->package_url : NULL,
      .parent_context = relative ? parent->context : NULL,
  };
  fern_resolved_t out;
  memset(&out, 0, sizeof out);
  out.struct_size = sizeof out;
  res->scheme = strdup(request.scheme);
  res->error.struct_size = sizeof res->error;
  int rc = resolver->resolver->resolve(resolver->state, &request, &out,
                                       &res->error);
  if (rc == FERN_OK)
    rc = take_result(dispatch, resolver, &out, res);
  else if (rc > 0)
    rc = FERN_EINVAL; /* a plugin that returned a positive code failed */
  res->rc = rc;
  return rc;
}

static void resolve_work_cb(uv_work_t *req) {
  resolve_work *work = req->data;
  fern__resolve_parent parent = {work->parent_package_url,
                                 work->parent_context, work->parent_scheme};
  resolve_now(work->dispatch, work->resolver, work->url_text, &work->url,
              &parent, &work->out);
}

static void work_free(resolve_work *work) {
  fern__url_free(&work->url);
  free(work->url_text);
  free(work->parent_package_url);
  free(work->parent_context);
  free(work->parent_scheme);
  free(work);
}

/* Answers everyone waiting on `res`, in the order they asked. */
static void answer_waiters(fern__resolution *res) {
  fern__resolve_waiter *waiters = NULL;
  while (res->waiters != NULL) { /* pushed in front: reverse them */
    fern__resolve_waiter *next = res->waiters->next;
    res->waiters->next = waiters;
    waiters = res->waiters;
    res->waiters = next;
  }
  while (waiters != NULL) {
    fern__resolve_waiter *next = waiters->next;
    waiters->cb(waiters->arg, res);
    free(waiters);
    waiters = next;
  }
}

static void timer_free(uv_handle_t *handle) { free(handle); }

static void stop_timer(resolve_work *work) {
  if (work->timer == NULL)
    return;
  uv_close((uv_handle_t *)work->timer, timer_free);
  work->timer = NULL;
}

/* The resolver did not answer in time: the URL fails now. Its worker
 * cannot be interrupted; whatever it brings back later is dropped, and
 * until then it keeps its resolver (so its plugin stays loaded). */
static void on_resolve_timeout(uv_timer_t *timer) {
  resolve_work *work = timer->data;
  fern__resolution *res = work->res;
  stop_timer(work);
  work->timed_out = 1;
  work->dispatch->pending--;
  work->dispatch->stuck++;
  res->rc = fern_error_set(&res->error, FERN_ETIMEDOUT, NULL,
                           "resolver \"%s\" did not answer for \"%s\" within "
                           "%llu ms (resolve_timeout_ms)",
                           work->resolver->name, work->url_text,
                           (unsigned long long)work->dispatch->timeout_ms);
  fern__capability_unref(res->resolver);
  res->resolver = NULL;
  res->done = 1;
  answer_waiters(res);
}

static void resolve_after_cb(uv_work_t *req, int status) {
  resolve_work *work = req->data;
  fern__resolution *res = work->res;
  stop_timer(work);
  if (work->timed_out) { /* answered already: drop what came late */
    work->dispatch->stuck--;
    fern__capability_unref(work->resolver);
    resolution_clear(&work->out);
    work_free(work);
    return;
  }
  work->dispatch->pending--;
  /* Move the worker's result into the cached resolution. */
  fern__resolve_waiter *waiting = res->waiters;
  fern__capability *held = res->resolver;
  *res = work->out;
  res->waiters = waiting;
  memset(&work->out, 0, sizeof work->out);
  if (status != 0 && res->rc == FERN_OK)
    res->rc = fern_error_set(&res->error, FERN_EIO, NULL,
                             "resolution was cancelled");
  if (res->decl != NULL)
    work->dispatch->parses++;
  fern__capability_unref(held);
  fern__capability_unref(work->resolver);
  res->resolver = NULL;
  res->done = 1;
  work_free(work);
  answer_waiters(res);
}

static int start_work(fern__resolutions *dispatch, fern__resolution *res,
                      const char *url_text, const fern__resolve_parent *parent) {
  resolve_work *work = calloc(1, sizeof *work);
  if (work == NULL)
    return FERN_ENOMEM;
  work->dispatch = dispatch;
  work->res = res;
  work->resolver = fern__capability_ref(res->resolver);
  work->req.data = work;
  work->url_text = strdup(url_text);
  work->parent_package_url = dup_or_null(parent ? parent->package_url : NULL);
  work->parent_context = dup_or_null(parent ? parent->context : NULL);
  work->parent_scheme = dup_or_null(parent ? parent->scheme : NULL);
  fern_error_t ignored = FERN_ERROR_INIT;
  if (work->url_text == NULL ||
      fern__url_parse(url_text, &work->url, &ignored) != FERN_OK ||
      uv_queue_work(dispatch->loop, &work->req, resolve_work_cb,
                    resolve_after_cb) != 0) {
    fern__capability_unref(work->resolver);
    work_free(work);
    return FERN_ENOMEM;
  }
  dispatch->pending++;
  if (dispatch->timeout_ms > 0 && (work->timer = malloc(sizeof *work->timer))) {
    uv_timer_init(dispatch->loop, work->timer);
    work->timer->data = work;
    uv_timer_start(work->timer, on_resolve_timeout, dispatch->timeout_ms, 0);
  }
  return FERN_OK;
}

int fern__resolve_dispatch(fern__resolutions *dispatch, const char *key,
                             const char *url_text,
                             const fern__resolve_parent *parent,
                             fern__capability *resolver, fern__resolved_cb cb,
                             void *arg) {
  fern__resolution *res = fern__strmap_get(&dispatch->by_key, key);
  if (res != NULL && res->done) {
    cb(arg, res);
    return FERN_OK;
  }
  fern__resolve_waiter *waiter = calloc(1, sizeof *waiter);
  if (waiter == NULL)
    return FERN_ENOMEM;
  waiter->cb = cb;
  waiter->arg = arg;
  if (res == NULL) {
    res = calloc(1, sizeof *res);
    if (res == NULL || fern__strmap_put(&dispatch->by_key, key, res) != 0) {
      free(res);
      free(waiter);
      return FERN_ENOMEM;
    }
    res->resolver = fern__capability_ref(resolver);
    if (start_work(dispatch, res, url_text, parent) != FERN_OK) {
      fern__resolution *removed = fern__strmap_remove(&dispatch->by_key, key);
      resolution_free(removed);
      free(waiter);
      return FERN_ENOMEM;
    }
  }
  waiter->next = res->waiters;
  res->waiters = waiter;
  return FERN_OK;
}
