/* slurm_state.c - what Slurm says about a job, read from scontrol and
 * squeue, and what fern reports when it ends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slurm.h"

/* The value of KEY= in scontrol's one-line form, up to the next space. */
static int field(const char *text, const char *key, char *out, size_t size) {
  size_t klen = strlen(key);
  for (const char *p = text; (p = strstr(p, key)) != NULL; p += klen) {
    if ((p != text && p[-1] != ' ' && p[-1] != '\n') || p[klen] != '=')
      continue;
    const char *v = p + klen + 1;
    size_t n = strcspn(v, " \n");
    snprintf(out, size, "%.*s", (int)n, v);
    return 0;
  }
  return -1;
}

int slurm_state_parse_scontrol(const char *text, slurm_job_state *out) {
  char id[32], code[32];
  memset(out, 0, sizeof *out);
  if (field(text, "JobId", id, sizeof id) != 0 ||
      field(text, "JobState", out->state, sizeof out->state) != 0)
    return -1;
  out->job_id = strtol(id, NULL, 10);
  field(text, "Reason", out->reason, sizeof out->reason);
  field(text, "NodeList", out->nodes, sizeof out->nodes);
  if (field(text, "ExitCode", code, sizeof code) == 0)
    sscanf(code, "%d:%d", &out->exit_code, &out->exit_signal);
  return 0;
}

/* Copies the next |-separated field of [*p, end) and steps past it. */
static void next_field(const char **p, const char *end, char *out,
                       size_t size) {
  const char *bar = memchr(*p, '|', (size_t)(end - *p));
  const char *stop = bar != NULL ? bar : end;
  snprintf(out, size, "%.*s", (int)(stop - *p), *p);
  *p = bar != NULL ? bar + 1 : end;
}

/* Reads the line's fields after the name into `out`. */
static void read_row(const slurm_squeue_row *row, slurm_job_state *out) {
  memset(out, 0, sizeof *out);
  out->job_id = strtol(row->line, NULL, 10);
  const char *p = row->rest, *end = row->rest + strlen(row->rest);
  next_field(&p, end, out->state, sizeof out->state);
  next_field(&p, end, out->nodes, sizeof out->nodes);
  next_field(&p, end, out->reason, sizeof out->reason);
}

static int by_name(const void *a, const void *b) {
  return strcmp(((const slurm_squeue_row *)a)->name,
                ((const slurm_squeue_row *)b)->name);
}

int slurm_squeue_parse(const char *text, slurm_squeue *out) {
  memset(out, 0, sizeof *out);
  out->text = strdup(text);
  size_t lines = 1;
  for (const char *c = text; *c; c++)
    lines += *c == '\n';
  out->rows = calloc(lines, sizeof *out->rows);
  if (out->text == NULL || out->rows == NULL) {
    slurm_squeue_free(out);
    return -1;
  }
  /* Each line "id|name|rest": cut after the name, end at the newline. */
  for (char *line = out->text; *line != '\0';) {
    char *end = line + strcspn(line, "\n");
    char *more = *end ? end + 1 : end;
    *end = '\0';
    char *bar = strchr(line, '|');
    char *bar2 = bar ? strchr(bar + 1, '|') : NULL;
    if (bar2 != NULL) {
      *bar2 = '\0';
      out->rows[out->n++] = (slurm_squeue_row){line, bar + 1, bar2 + 1};
    }
    line = more;
  }
  qsort(out->rows, out->n, sizeof *out->rows, by_name);
  return 0;
}

int slurm_squeue_find(const slurm_squeue *q, const char *name,
                      slurm_job_state *out) {
  slurm_squeue_row key = {NULL, name, NULL};
  const slurm_squeue_row *row =
      q->n ? bsearch(&key, q->rows, q->n, sizeof *q->rows, by_name) : NULL;
  if (row == NULL)
    return -1;
  read_row(row, out);
  return 0;
}

void slurm_squeue_free(slurm_squeue *q) {
  free(q->rows);
  free(q->text);
  memset(q, 0, sizeof *q);
}

int slurm_state_find_squeue(const char *text, const char *name,
                            slurm_job_state *out) {
  slurm_squeue q;
  int rc =
      slurm_squeue_parse(text, &q) == 0 ? slurm_squeue_find(&q, name, out) : -1;
  slurm_squeue_free(&q);
  return rc;
}

int slurm_state_is_final(const char *state) {
  static const char *const live[] = {
      "PENDING",   "RUNNING",      "CONFIGURING",   "COMPLETING", "SUSPENDED",
      "REQUEUED",  "REQUEUE_HOLD", "REQUEUE_FED",   "RESIZING",   "SIGNALING",
      "STAGE_OUT", "STOPPED",      "RESV_DEL_HOLD", NULL};
  if (state == NULL || state[0] == '\0')
    return 0;
  for (size_t i = 0; live[i] != NULL; i++)
    if (strcmp(state, live[i]) == 0)
      return 0;
  return 1;
}

/* What an end state means, in words, unless exit code or signal says it. */
int slurm_state_placed(const slurm_job_state *job) {
  return job->nodes[0] != '\0' && strcmp(job->nodes, "(null)") != 0;
}

static const char *meaning(const char *state) {
  static const struct {
    const char *state, *words;
  } table[] = {
      {"CANCELLED", "was cancelled outside fern (scancel or an administrator)"},
      {"TIMEOUT", "ran past its time limit"},
      {"OUT_OF_MEMORY", "ran out of memory"},
      {"NODE_FAIL", "lost a node"},
      {"BOOT_FAIL", "could not boot its nodes"},
      {"PREEMPTED", "was preempted"},
      {"DEADLINE", "missed its deadline"},
      {NULL, NULL}};
  for (size_t i = 0; table[i].state != NULL; i++)
    if (strcmp(table[i].state, state) == 0)
      return table[i].words;
  return NULL;
}

void slurm_state_report(const slurm_job_state *job, int asked, int ran,
                        fern_stop_report_t *report, char *message,
                        size_t size) {
  memset(report, 0, sizeof *report);
  report->struct_size = sizeof *report;
  report->message = message;
  report->exit_code = -1;
  int completed = strcmp(job->state, "COMPLETED") == 0;
  int failed = strcmp(job->state, "FAILED") == 0;
  if (completed || failed) {
    ran = 1;
    if (job->exit_signal > 0)
      report->term_signal = job->exit_signal;
    else
      report->exit_code = job->exit_code;
  }
  const char *words = meaning(job->state);
  int n = snprintf(message, size, "slurm job %ld %s", job->job_id, job->state);
  if (n > 0 && (size_t)n < size && slurm_state_placed(job))
    n += snprintf(message + n, size - (size_t)n, " on %s", job->nodes);
  if (n > 0 && (size_t)n < size) {
    if (asked)
      snprintf(message + n, size - (size_t)n, ", stopped by fern");
    else if (words != NULL)
      snprintf(message + n, size - (size_t)n, ": it %s", words);
    else if (!completed && !failed && job->reason[0] &&
             strcmp(job->reason, "None") != 0)
      snprintf(message + n, size - (size_t)n, " (%s)", job->reason);
  }
  if (asked && !ran && !slurm_state_placed(job))
    report->status = FERN_STOP_NOT_STARTED; /* cancelled while it pended */
  else if (asked ||
           (completed && job->exit_code == 0 && job->exit_signal == 0))
    report->status = FERN_STOP_OK;
  else if (!ran)
    report->status = FERN_STOP_CANNOT_START;
  else
    report->status = FERN_STOP_INSTANCE_DIED;
}
