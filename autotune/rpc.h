/* Remote measurement, the host's side: a connection to `tessel-runner --serve` on a board,
 * started by a shell command (`ssh board tessel-runner --serve`), which loads kernels built
 * here for the board, runs and times them there. The protocol is in runtime/rpc.h. */
#ifndef TSL_AUTOTUNE_RPC_H
#define TSL_AUTOTUNE_RPC_H

#include <stdbool.h>
#include <stddef.h>

#include "ir/error.h"

typedef struct tsl_rpc tsl_rpc;

/* Runs `command` with /bin/sh and waits for the board's greeting. The command is ended when
 * this process ends, however it ends. */
tsl_status tsl_rpc_open(const char *command, tsl_rpc **rpc, tsl_error *error);
void tsl_rpc_close(tsl_rpc *rpc);

/* The board's architecture and thread count, from its greeting ("aarch64", 4). */
const char *tsl_rpc_arch(const tsl_rpc *rpc);

/* Whether the connection ended (the board's server, or the command, exited): every later
 * request fails. */
bool tsl_rpc_lost(const tsl_rpc *rpc);

/* Sends a shared library built for the board; `name` is the kernel in it. */
tsl_status tsl_rpc_load(tsl_rpc *rpc, const char *name, const void *library, size_t size,
                        tsl_error *error);

/* The kernel's `count` arguments: bytes[i] of data[i]. Outputs are not sent; an input whose
 * data is `stable` (never changes while the connection is open) is sent once and kept on the
 * board for later kernels that take it at the same place. Cold ones are evicted from the
 * caches before each timed run. */
tsl_status tsl_rpc_set_args(tsl_rpc *rpc, int count, void *const *data, const size_t *bytes,
                            const bool *output, const bool *stable, const bool *cold,
                            tsl_error *error);

/* Runs the kernel once on the board and copies its outputs into the outputs' data. */
tsl_status tsl_rpc_run(tsl_rpc *rpc, double timeout, tsl_error *error);

/* The median time of the kernel on the board (runtime/timing.h, tsl_time_kernel). */
tsl_status tsl_rpc_time(tsl_rpc *rpc, double min_seconds, double timeout, double *seconds,
                        tsl_error *error);

#endif
