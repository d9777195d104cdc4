/* Remote measurement: the board's side. `tessel-runner --serve` runs tsl_rpc_serve on its
 * standard input and output, so any command that starts it on the board is the connection
 * (`ssh board tessel-runner --serve`, or qemu in the tests); `tessel tune --remote COMMAND`
 * (autotune/rpc.c) is the host's side. The host builds each candidate kernel for the board's
 * target as a shared library and sends it with the kernel's arguments; the board runs it, sends
 * its outputs back to be checked, and times it as the tuner times a kernel here
 * (runtime/timing.h).
 *
 * The protocol: each request is one text line, some followed by raw bytes; each answer is one
 * line, "outputs" followed by raw bytes. The board speaks first.
 *
 *   board: tessel-rpc 1 ARCH THREADS           the greeting (ARCH: aarch64, x86_64, …)
 *   load NAME SIZE + SIZE bytes                a shared library; NAME: the kernel in it
 *   board: ok | error MESSAGE
 *   args COUNT                                 the kernel's parameters, then for each
 *   arg INDEX SIZE FLAGS [+ SIZE bytes]        FLAGS, one or more of: i (an input: its bytes
 *   board: ok | error MESSAGE                  follow), k (an input the board kept from the
 *                                              request before: nothing follows), o (an
 *                                              output: cleared before each run, nothing
 *                                              follows), c (cold: evicted from the caches
 *                                              before each timed run)
 *   run TIMEOUT                                runs the kernel once
 *   board: outputs SIZE + SIZE bytes           the outputs' bytes, in parameter order
 *   time MIN_SECONDS TIMEOUT                   times it (tsl_time_kernel)
 *   board: seconds S
 *
 * A kernel that runs past TIMEOUT seconds ends the server (SIGALRM), and so does the end of its
 * input: nothing is left running on the board when the host goes away. A request outside the
 * protocol is answered with an error and ends the server. */
#ifndef TSL_RUNTIME_RPC_H
#define TSL_RUNTIME_RPC_H

#include <stdio.h>

#define TSL_RPC_GREETING "tessel-rpc 1"

/* Serves requests from `in` until it ends; the exit status: 0, or 2 when the host broke the
 * protocol. */
int tsl_rpc_serve(FILE *in, FILE *out);

#endif
