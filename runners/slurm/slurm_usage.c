/* slurm_usage.c - reading what Slurm's accounting says a job used, from
 * `sacct -n -P --noconvert -o JobID,State,TotalCPU,MaxRSS` once it ended
 * and `sstat -a -n -P --noconvert -o JobID,TresUsageInTot,TresUsageInMax`
 * while it runs. Text in, figures out; nothing here runs a command.
 *
 * The formats are sacct's and sstat's own (Slurm 22.05, src/sacct and
 * src/sstat; times by secs2time_str() in src/common/parse_time.c, as
 * "[DD-][HH:]MM:SS[.mmm]"). With --noconvert, sizes are plain bytes; a
 * unit letter (K, M, G, T, P: powers of 1024) is read all the same. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "slurm.h"

/* Digits at text[*i], at most nine: a field of a time. 0 on success. */
static int digits(const char *text, size_t len, size_t *i, uint64_t *out) {
  size_t start = *i;
  uint64_t v = 0;
  while (*i < len && isdigit((unsigned char)text[*i]) && *i - start < 9)
    v = v * 10 + (uint64_t)(text[(*i)++] - '0');
  *out = v;
  return *i > start && (*i == len || !isdigit((unsigned char)text[*i])) ? 0
                                                                        : -1;
}

/* "[DD-][HH:]MM:SS[.fraction]" as microseconds, as secs2time_str() writes
 * it: MM:SS or HH:MM:SS, and D-HH:MM:SS past a day. 0 on success. */
int slurm_usage_parse_time(const char *text, size_t len, uint64_t *usec) {
  uint64_t days = 0, f[3] = {0, 0, 0}, micro = 0;
  size_t n = 0, i = 0;
  const char *dash = memchr(text, '-', len);
  if (dash != NULL) {
    if (digits(text, (size_t)(dash - text), &i, &days) != 0)
      return -1;
    i++;
  }
  for (;;) {
    if (n == 3 || digits(text, len, &i, &f[n++]) != 0)
      return -1;
    if (i == len || text[i] != ':')
      break;
    i++;
  }
  if (n < 2 || (dash != NULL && n != 3))
    return -1;
  if (i < len) { /* ".mmm": at least a digit; past six, none count */
    uint64_t scale = 100000;
    if (text[i] != '.' || i + 1 == len)
      return -1;
    for (i++; i < len && isdigit((unsigned char)text[i]); i++, scale /= 10)
      micro += (uint64_t)(text[i] - '0') * scale;
    if (i != len)
      return -1;
  }
  uint64_t h = n == 3 ? f[0] : 0, m = f[n - 2], sec = f[n - 1];
  *usec = (((days * 24 + h) * 60 + m) * 60 + sec) * 1000000 + micro;
  return 0;
}

/* A size: bytes, or a number (sacct without --noconvert: "1.50G") and a
 * unit of 1024s. 0 on success. */
int slurm_usage_parse_bytes(const char *text, size_t len, uint64_t *bytes) {
  static const char units[] = "KMGTP";
  size_t i = 0;
  uint64_t whole = 0, frac = 0, frac_scale = 1;
  if (len == 0 || !isdigit((unsigned char)text[0]))
    return -1;
  while (i < len && isdigit((unsigned char)text[i]))
    if (__builtin_mul_overflow(whole, 10, &whole) ||
        __builtin_add_overflow(whole, (uint64_t)(text[i++] - '0'), &whole))
      return -1;
  if (i < len && text[i] == '.')
    for (i++; i < len && isdigit((unsigned char)text[i]); i++)
      if (frac_scale < 1000000) {
        frac = frac * 10 + (uint64_t)(text[i] - '0');
        frac_scale *= 10;
      }
  uint64_t scale = 1;
  if (i < len) {
    const char *u =
        text[i] != '\0' ? strchr(units, toupper((unsigned char)text[i])) : NULL;
    if (u == NULL || i + 1 != len)
      return -1;
    for (const char *k = units; k <= u; k++)
      scale *= 1024;
  }
  uint64_t total, part = frac * (scale / frac_scale) +
                         frac * (scale % frac_scale) / frac_scale;
  if (__builtin_mul_overflow(whole, scale, &total) ||
      __builtin_add_overflow(total, part, &total))
    return -1;
  *bytes = total;
  return 0;
}

/* The `n`th '|'-separated field of a line, without copying. */
static int field(const char *line, size_t len, int n, const char **start,
                 size_t *flen) {
  const char *p = line, *end = line + len;
  for (; n > 0; n--) {
    p = memchr(p, '|', (size_t)(end - p));
    if (p == NULL)
      return -1;
    p++;
  }
  const char *bar = memchr(p, '|', (size_t)(end - p));
  *start = p;
  *flen = (size_t)((bar != NULL ? bar : end) - p);
  return 0;
}

/* Whether a line's JobID is the job itself ("123") rather than a step. */
static int is_job_line(const char *id, size_t len, long job_id) {
  char want[32];
  int n = snprintf(want, sizeof want, "%ld", job_id);
  return (size_t)n == len && memcmp(id, want, len) == 0;
}

/* Whether a line is the job's or one of its steps' ("123.batch"). */
static int is_of_job(const char *id, size_t len, long job_id) {
  const char *dot = memchr(id, '.', len);
  return is_job_line(id, dot != NULL ? (size_t)(dot - id) : len, job_id);
}

static int state_is_final(const char *state, size_t len) {
  char s[32];
  snprintf(s, sizeof s, "%.*s", (int)len, state);
  char *space = strchr(s, ' '); /* "CANCELLED by 0" */
  if (space != NULL)
    *space = '\0';
  return slurm_state_is_final(s);
}

/* Steps' and tasks' peaks: the job's is the largest of them. */
static void keep_peak(slurm_usage *out, uint64_t bytes) {
  out->known |= FERN_COST_PEAK_MEMORY;
  if (bytes > out->peak_memory_bytes)
    out->peak_memory_bytes = bytes;
}

static void read_sacct_line(const char *line, size_t len, long job_id,
                            slurm_usage *out) {
  const char *id, *state, *cpu, *rss;
  size_t idl, statel, cpul, rssl;
  uint64_t v;
  if (field(line, len, 0, &id, &idl) != 0 ||
      field(line, len, 1, &state, &statel) != 0 ||
      field(line, len, 2, &cpu, &cpul) != 0 ||
      field(line, len, 3, &rss, &rssl) != 0)
    return;
  if (is_job_line(id, idl, job_id)) {
    out->seen = 1;
    out->final = state_is_final(state, statel);
    /* The job's TotalCPU is its steps' sum (sacct's own sum). */
    if (slurm_usage_parse_time(cpu, cpul, &v) == 0) {
      out->known |= FERN_COST_CPU;
      out->cpu_usec = v;
    }
  }
  /* A step's end reaches the database apart from the job's: until each
   * listed step has ended, the job's TotalCPU lacks theirs. */
  if (is_of_job(id, idl, job_id) && !is_job_line(id, idl, job_id)) {
    out->steps++;
    out->open_steps += !state_is_final(state, statel);
  }
  /* MaxRSS is per step: the job's is the largest of them. */
  if (is_of_job(id, idl, job_id) && slurm_usage_parse_bytes(rss, rssl, &v) == 0)
    keep_peak(out, v);
}

typedef void (*line_reader)(const char *line, size_t len, long job_id,
                            slurm_usage *out);

static void read_sstat_line(const char *line, size_t len, long job_id,
                            slurm_usage *out);

static int by_job_id(const void *a, const void *b) {
  long x = *(const long *)a, y = *(const long *)b;
  return (x > y) - (x < y);
}

/* Each non-empty line of `text` read into the usage of the job it is of
 * (its JobID before any ".step"), found among `jobs` (sorted) by search:
 * one pass over a batch's answer, not one per job. */
static void read_lines(const char *text, const long *jobs, size_t n,
                       line_reader read, slurm_usage *usages) {
  memset(usages, 0, n * sizeof *usages);
  for (const char *line = text; *line != '\0';) {
    const char *nl = strchr(line, '\n');
    size_t len = nl != NULL ? (size_t)(nl - line) : strlen(line);
    const char *id;
    size_t idl;
    char digits[32];
    if (len > 0 && field(line, len, 0, &id, &idl) == 0) {
      snprintf(digits, sizeof digits, "%.*s", (int)idl, id);
      long job = strtol(digits, NULL, 10);
      const long *at = bsearch(&job, jobs, n, sizeof *jobs, by_job_id);
      if (at != NULL)
        read(line, len, *at, &usages[at - jobs]);
    }
    line += len + (nl != NULL);
  }
}

void slurm_usage_parse_many(const char *text, enum slurm_ask kind,
                            const long *jobs, size_t n, slurm_usage *usages) {
  read_lines(text, jobs, n,
             kind == SLURM_ASK_SACCT ? read_sacct_line : read_sstat_line,
             usages);
}

int slurm_usage_parse_sacct(const char *text, long job_id, slurm_usage *out) {
  slurm_usage_parse_many(text, SLURM_ASK_SACCT, &job_id, 1, out);
  return out->seen ? 0 : -1;
}

/* "cpu=00:00:01,energy=0,mem=67624960,..." : the value of `key`. */
static int tres_value(const char *tres, size_t len, const char *key,
                      const char **value, size_t *vlen) {
  size_t klen = strlen(key);
  for (const char *p = tres, *end = tres + len; p < end;) {
    const char *comma = memchr(p, ',', (size_t)(end - p));
    const char *stop = comma != NULL ? comma : end;
    if ((size_t)(stop - p) > klen && memcmp(p, key, klen) == 0 &&
        p[klen] == '=') {
      *value = p + klen + 1;
      *vlen = (size_t)(stop - *value);
      return 0;
    }
    if (comma == NULL)
      break;
    p = comma + 1;
  }
  return -1;
}

static void read_sstat_line(const char *line, size_t len, long job_id,
                            slurm_usage *out) {
  const char *id, *tot, *max, *v;
  size_t idl, totl, maxl, vl;
  uint64_t x;
  if (field(line, len, 0, &id, &idl) != 0 || !is_of_job(id, idl, job_id) ||
      field(line, len, 1, &tot, &totl) != 0 ||
      field(line, len, 2, &max, &maxl) != 0)
    return;
  out->seen = 1;
  /* Steps run side by side (a batch script and its sruns): their CPU
   * and present memory add up; the peak is the largest task's, as
   * sacct's MaxRSS. */
  if (tres_value(tot, totl, "cpu", &v, &vl) == 0 &&
      slurm_usage_parse_time(v, vl, &x) == 0) {
    out->known |= FERN_COST_CPU;
    out->cpu_usec += x;
  }
  if (tres_value(tot, totl, "mem", &v, &vl) == 0 &&
      slurm_usage_parse_bytes(v, vl, &x) == 0) {
    out->known |= FERN_COST_MEMORY;
    out->memory_bytes += x;
  }
  if (tres_value(max, maxl, "mem", &v, &vl) == 0 &&
      slurm_usage_parse_bytes(v, vl, &x) == 0)
    keep_peak(out, x);
}

int slurm_usage_parse_sstat(const char *text, long job_id, slurm_usage *out) {
  slurm_usage_parse_many(text, SLURM_ASK_SSTAT, &job_id, 1, out);
  return out->seen ? 0 : -1;
}
