/* The tuning report (report.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autotune/report.h"
#include "ir/check.h"

enum { WIDTH = 560, HEIGHT = 220, MARGIN = 48 };

/* Text with HTML's special characters escaped. */
static void put_text(FILE *out, const char *text) {
  for (const char *c = text; *c; c++) {
    switch (*c) {
    case '<': fputs("&lt;", out); break;
    case '>': fputs("&gt;", out); break;
    case '&': fputs("&amp;", out); break;
    case '"': fputs("&quot;", out); break;
    default: fputc(*c, out);
    }
  }
}

/* One task's records in the order they were measured. */
typedef struct task_history {
  char *workload, *kernel;
  int occurrences;
  int count, capacity;
  long long *ids;
  double *seconds; /* -1: failed */
} task_history;

typedef struct model_history {
  task_history *tasks;
  int count, capacity;
} model_history;

static void add_workload(const tsl_db_model_workload *workload, void *context) {
  model_history *h = context;
  if (h->count == h->capacity) {
    h->capacity = h->capacity ? 2 * h->capacity : 16;
    h->tasks = realloc(h->tasks, sizeof(task_history) * (size_t)h->capacity);
    TSL_CHECK_ALLOC(h->tasks);
  }
  task_history *t = &h->tasks[h->count++];
  memset(t, 0, sizeof(*t));
  t->workload = strdup(workload->workload);
  t->kernel = strdup(workload->kernel);
  TSL_CHECK_ALLOC(t->workload);
  TSL_CHECK_ALLOC(t->kernel);
  t->occurrences = workload->occurrences;
}

static void add_record(long long id, double seconds, void *context) {
  task_history *t = context;
  if (t->count == t->capacity) {
    t->capacity = t->capacity ? 2 * t->capacity : 64;
    t->ids = realloc(t->ids, sizeof(long long) * (size_t)t->capacity);
    t->seconds = realloc(t->seconds, sizeof(double) * (size_t)t->capacity);
    TSL_CHECK_ALLOC(t->ids);
    TSL_CHECK_ALLOC(t->seconds);
  }
  t->ids[t->count] = id;
  t->seconds[t->count++] = seconds;
}

/* A line chart of y (milliseconds) against x (trials), with a dashed reference line at
 * `reference` when it is positive. */
static void chart(FILE *out, const char *title, int count, const double *x, const double *y,
                  double reference) {
  double max_x = 1, min_y = INFINITY, max_y = 0;
  for (int i = 0; i < count; i++) {
    if (x[i] > max_x) max_x = x[i];
    if (y[i] < min_y) min_y = y[i];
    if (y[i] > max_y) max_y = y[i];
  }
  if (reference > max_y) max_y = reference;
  if (reference > 0 && reference < min_y) min_y = reference;
  if (!(min_y < max_y)) {
    min_y = min_y * 0.9;
    max_y = max_y * 1.1 + 1e-9;
  }
  min_y -= (max_y - min_y) * 0.05;
  double plot_w = WIDTH - 2 * MARGIN, plot_h = HEIGHT - 2 * MARGIN;
#define PX(v) (MARGIN + (v) / max_x * plot_w)
#define PY(v) (HEIGHT - MARGIN - ((v)-min_y) / (max_y - min_y) * plot_h)
  fputs("<figure><figcaption>", out);
  put_text(out, title);
  fputs("</figcaption>\n", out);
  fprintf(out,
          "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
          "xmlns=\"http://www.w3.org/2000/svg\">\n",
          WIDTH, HEIGHT, WIDTH, HEIGHT);
  fprintf(out,
          "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>"
          "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n",
          MARGIN, HEIGHT - MARGIN, WIDTH - MARGIN, HEIGHT - MARGIN, MARGIN, MARGIN, MARGIN,
          HEIGHT - MARGIN);
  fprintf(out,
          "<text x=\"%d\" y=\"%d\" font-size=\"11\">%.4g ms</text>"
          "<text x=\"%d\" y=\"%d\" font-size=\"11\">%.4g ms</text>"
          "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%.0f trials</text>\n",
          4, MARGIN + 4, max_y, 4, HEIGHT - MARGIN, min_y, WIDTH - MARGIN, HEIGHT - MARGIN + 16,
          max_x);
  if (reference > 0) {
    fprintf(out,
            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#c44\" "
            "stroke-dasharray=\"4 3\"/><text x=\"%d\" y=\"%.1f\" font-size=\"11\" "
            "fill=\"#c44\" text-anchor=\"end\">default %.4g ms</text>\n",
            MARGIN, PY(reference), WIDTH - MARGIN, PY(reference), WIDTH - MARGIN, PY(reference) - 4,
            reference);
  }
  fprintf(out, "<polyline fill=\"none\" stroke=\"#36c\" stroke-width=\"2\" points=\"");
  for (int i = 0; i < count; i++) fprintf(out, "%.1f,%.1f ", PX(x[i]), PY(y[i]));
  fprintf(out, "\"/>\n</svg></figure>\n");
#undef PX
#undef PY
}

static void write_report(FILE *out, const char *name, const char *target, model_history *h) {
  fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>tessel tuning: ", out);
  put_text(out, name);
  fputs(
      "</title>\n<style>body{font-family:sans-serif;max-width:1200px;margin:2em auto}"
      "figure{display:inline-block;margin:0 1em 1em 0}figcaption{font-size:13px}"
      "table{border-collapse:collapse}td,th{padding:2px 8px;text-align:right}"
      "td:first-child,th:first-child{text-align:left}</style></head><body>\n<h1>Tuning ",
      out);
  put_text(out, name);
  fputs("</h1>\n<p>on <code>", out);
  put_text(out, target);
  fputs("</code></p>\n", out);
  /* The model: every record of its tasks in the order measured; the estimate once every task
   * has a working record: Σ occurrences × best. */
  int total = 0;
  for (int t = 0; t < h->count; t++) total += h->tasks[t].count;
  int *next = calloc((size_t)h->count + 1, sizeof(int));
  double *best = calloc((size_t)h->count + 1, sizeof(double));
  double *first = calloc((size_t)h->count + 1, sizeof(double));
  double *x = malloc(sizeof(double) * ((size_t)total + 1));
  double *y = malloc(sizeof(double) * ((size_t)total + 1));
  TSL_CHECK_ALLOC(next);
  TSL_CHECK_ALLOC(best);
  TSL_CHECK_ALLOC(first);
  TSL_CHECK_ALLOC(x);
  TSL_CHECK_ALLOC(y);
  int points = 0;
  double default_latency = 0;
  for (int trial = 1; trial <= total; trial++) {
    int chosen = -1;
    for (int t = 0; t < h->count; t++) {
      if (next[t] < h->tasks[t].count &&
          (chosen < 0 || h->tasks[t].ids[next[t]] < h->tasks[chosen].ids[next[chosen]]))
        chosen = t;
    }
    double seconds = h->tasks[chosen].seconds[next[chosen]++];
    if (seconds > 0 && (best[chosen] == 0 || seconds < best[chosen])) best[chosen] = seconds;
    if (seconds > 0 && first[chosen] == 0) first[chosen] = seconds;
    double latency = 0;
    bool complete = true;
    for (int t = 0; t < h->count; t++) {
      complete = complete && best[t] > 0;
      latency += h->tasks[t].occurrences * best[t];
    }
    if (complete) {
      if (points == 0) {
        for (int t = 0; t < h->count; t++) default_latency += h->tasks[t].occurrences * first[t];
      }
      x[points] = trial;
      y[points++] = latency * 1e3;
    }
  }
  if (points) {
    fprintf(out,
            "<p>%d trials. Estimated model latency (Σ occurrences × best kernel time): %.4f ms, "
            "from %.4f ms with the first schedule measured for each kernel (the default "
            "schedule, when <code>tessel tune</code> made the records).</p>\n",
            total, y[points - 1], default_latency * 1e3);
    chart(out, "model: estimated latency against trials", points, x, y, default_latency * 1e3);
  } else {
    fprintf(out, "<p>%d trials; not every kernel has a working record yet.</p>\n", total);
  }
  fprintf(out,
          "<h2>Kernels</h2>\n<table><tr><th>kernel</th><th>workload</th><th>occurrences</th>"
          "<th>trials</th><th>failed</th><th>first ms</th><th>best ms</th><th>first / best</th>"
          "</tr>\n");
  for (int t = 0; t < h->count; t++) {
    task_history *task = &h->tasks[t];
    int failed = 0;
    for (int i = 0; i < task->count; i++) failed += task->seconds[i] <= 0;
    fputs("<tr><td>", out);
    put_text(out, task->kernel);
    fprintf(out,
            "</td><td><code>%.12s</code></td><td>%d</td><td>%d</td><td>%d</td><td>%.4f</td>"
            "<td>%.4f</td><td>%.2f×</td></tr>\n",
            task->workload, task->occurrences, task->count, failed, first[t] * 1e3, best[t] * 1e3,
            best[t] > 0 ? first[t] / best[t] : 0);
  }
  fprintf(out, "</table>\n");
  for (int t = 0; t < h->count; t++) {
    task_history *task = &h->tasks[t];
    int n = 0;
    double running = 0;
    for (int i = 0; i < task->count; i++) {
      if (task->seconds[i] > 0 && (running == 0 || task->seconds[i] < running))
        running = task->seconds[i];
      if (running > 0) {
        x[n] = i + 1;
        y[n++] = running * 1e3;
      }
    }
    char title[512];
    snprintf(title, sizeof(title), "%s (×%d): best time against trials", task->kernel,
             task->occurrences);
    if (n) chart(out, title, n, x, y, first[t] * 1e3);
  }
  fprintf(out, "</body></html>\n");
  free(next);
  free(best);
  free(first);
  free(x);
  free(y);
}

tsl_status tsl_report_write(tsl_db *db, const char *name, const char *target, const char *path,
                            tsl_error *error) {
  model_history h = {0};
  tsl_status status = tsl_db_model_workloads(db, name, target, add_workload, &h, error);
  for (int t = 0; t < h.count && !status; t++)
    status = tsl_db_history(db, h.tasks[t].workload, target, add_record, &h.tasks[t], error);
  if (!status && h.count == 0) {
    status = tsl_fail(error, TSL_ERROR_INPUT, "no model '%s' was tuned for %s in the records", name,
                      target);
  }
  char partial[4096];
  snprintf(partial, sizeof(partial), "%s.partial", path);
  FILE *out = status ? NULL : fopen(partial, "w");
  if (!status && !out) status = tsl_fail(error, TSL_ERROR_INPUT, "%s: cannot write it", path);
  if (out) {
    write_report(out, name, target, &h);
    if (fclose(out) != 0 || rename(partial, path) != 0) {
      remove(partial);
      status = tsl_fail(error, TSL_ERROR_INPUT, "%s: cannot write it", path);
    }
  }
  for (int t = 0; t < h.count; t++) {
    free(h.tasks[t].workload);
    free(h.tasks[t].kernel);
    free(h.tasks[t].ids);
    free(h.tasks[t].seconds);
  }
  free(h.tasks);
  return status;
}
