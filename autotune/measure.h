/* Measuring candidates: schedules (traces) of one workload, each built and run in a worker
 * process, so that a candidate that crashes or hangs costs one trial, not the tuner. A worker
 * is `tessel tune-worker`, started with posix_spawn (never a fork of a process that holds LLVM
 * or the thread pool); it reads the workload and then one trace a line on stdin, builds each
 * and waits to be told to time it, answering with one line on stdout each time:
 *
 *   {"workload": TEXT, "target": TARGET, "min_seconds": S,     the first line in, with at
 *    "timeout": T, "constants": [PARAM, …],                    most one of the last two keys;
 *    "remote": COMMAND,                                        "constants" and "remote"
 *    "save_reference": FD | "load_reference": FD}              optional
 *   {"ready": true}                                            out, once the worker has the
 *                                                              reference: the default
 *                                                              schedule's outputs
 *   {"error": "start", "message": M, "status": S}              or why it has not (S: tsl_status)
 *   {"format": "tessel-trace", …}                             each further line in: a candidate
 *   {"built": true, "build_seconds": B}                        its answer: replayed and compiled
 *   {"error": "build", "message": M, "build_seconds": B}       or not; the worker waits for the
 *                                                              next candidate
 *   {"run": true}                                              in, after "built": time it now
 *   {"seconds": S, "default_seconds": D}                       its answer: the median run time,
 *                                                              and the default schedule's in
 *                                                              the same runs (not remote)
 *   {"error": "wrong", "message": M}                           or a wrong output, or
 *   {"error": "run", "message": M}                             the board failed it (remote)
 *
 * Several workers (`jobs`) build candidates at once, LLVM's compilation being the slow part;
 * then the parent lets one at a time run, while none builds, so that timings are taken on a
 * quiet machine. The first worker builds and runs the default schedule and saves its outputs in
 * the file open as descriptor FD, which the tuner made, unlinked (so that a tuner killed at any
 * point leaves nothing behind) and every worker inherits; the others, and those that replace
 * a lost one, read them from there (a worker given neither key runs its own). The worker fills the
 * inputs with the same random numbers for every candidate (a candidate whose schedule packs a
 * parameter, transform_layout, runs on a copy of that input packed so) and checks each candidate's
 * outputs against the default schedule's (relative error 1e-3), so a schedule that computes
 * something else is caught before it is recorded. A candidate that runs here is timed beside the
 * default schedule, which every worker builds for that: one run of each in turn (tsl_time_kernels),
 * so that what slows this machine for a while (on a shared host, a whole process can run up to 2×
 * slower) slows both, and the tuner compares candidates by their ratio to it (autotune/tune.c).
 * Each timed run starts with the model's constants (the header's
 * "constants": the weights) evicted from the caches, as in a model, where the weights come from
 * memory while the activations were just written; without that key, every buffer but the first.
 * With "remote", the worker builds each candidate as a shared library for the target and runs
 * it on the board that COMMAND connects to (autotune/rpc.h, runtime/rpc.h): the reference, the
 * check and the timing are the board's, the build is here. The parent gives each candidate a
 * time limit for its build and its run together; a worker that
 * crashes or runs past it is killed, the candidate recorded as "run" or "timeout", and a new
 * worker takes its place. For tests, TESSEL_MEASURE_FAULTS
 * ("crash@N,hang@N,wrong@N,slow@N") makes the N-th candidate this process measures (from 1)
 * crash, hang, compute wrongly, or be timed (with the default schedule beside it) as on a
 * machine twice as slow: the parent adds "fault": "crash"|"hang"|"wrong"|"slow" to its run
 * line. */
#ifndef TSL_AUTOTUNE_MEASURE_H
#define TSL_AUTOTUNE_MEASURE_H

#include <stdbool.h>
#include <stdio.h>

#include "ir/error.h"

typedef struct tsl_measure_options {
  const char *worker; /* the tessel executable; NULL: this process's */
  double min_seconds; /* time each candidate runs at least this long (repeated) */
  double timeout;     /* seconds a candidate may take to build and run */
  int jobs;           /* workers building candidates at once (at least 1) */
  const char *remote; /* a shell command that starts `tessel-runner --serve` on the board the
                         candidates run on (autotune/rpc.h); NULL: they run here */
} tsl_measure_options;

typedef struct tsl_measured {
  double seconds; /* median run time, when error is NULL */
  double default_seconds; /* the default schedule's median in the same runs; 0: not timed
                           * beside it (a remote board) */
  double build_seconds;
  const char *error; /* NULL, or "build", "run", "timeout", "wrong" */
  char message[256];
} tsl_measured;

/* Measures `count` traces (JSON text, each on one line) of the workload (its canonical TIR
 * text) on the target, this machine or the remote board: results[i] for traces[i]. constants[i] (of
 * the workload's num_params parameters) says whether parameter i is a constant of the model, which
 * is evicted from the caches before each timed run; NULL: every parameter but the first. Fails
 * only when no worker can be started or none builds the default schedule. */
tsl_status tsl_measure(const tsl_measure_options *options, const char *workload, const char *target,
                       const bool *constants, int num_params, int count, char *const *traces,
                       tsl_measured *results, tsl_error *error);

/* The worker's side: the protocol above on `in` and `out`; returns the exit status. */
int tsl_measure_worker(FILE *in, FILE *out);

#endif
