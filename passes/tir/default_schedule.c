#include <stdlib.h>

#include "passes/tir/tir_passes.h"

/* Below this many iterations a nest runs on one thread: waking the pool costs more. */
enum { MIN_PARALLEL_WORK = 1 << 14, ENOUGH_TO_SHARE = 8 };

static int64_t constant_extent(const tsl_stmt *loop) {
  return loop->loop.extent->kind == TSL_EXPR_INT ? loop->loop.extent->int_value : 0;
}

/* Whether the loop's variable binds a spatial iteration variable of the block below. */
static bool binds_spatial(const tsl_stmt *block, const tsl_var *var) {
  for (int i = 0; i < block->block.num_iters; i++) {
    const tsl_block_iter *iter = &block->block.iters[i];
    if (iter->binding->kind == TSL_EXPR_VAR && iter->binding->var == var) {
      return iter->kind == TSL_ITER_SPATIAL;
    }
  }
  return false;
}

static void schedule_nest(tsl_stmt *outer) {
  tsl_stmt *chain[64];
  int depth = 0;
  tsl_stmt *at = outer;
  int64_t work = 1;
  while (at->kind == TSL_STMT_FOR && depth < 64) {
    chain[depth++] = at;
    work *= constant_extent(at) > 0 ? constant_extent(at) : 1;
    at = at->loop.body;
  }
  if (at->kind != TSL_STMT_BLOCK || work < MIN_PARALLEL_WORK) return;
  tsl_stmt *chosen = NULL;
  for (int i = 0; i < depth && binds_spatial(at, chain[i]->loop.var); i++) {
    int64_t extent = constant_extent(chain[i]);
    if (extent >= ENOUGH_TO_SHARE) {
      chosen = chain[i];
      break;
    }
    if (!chosen && extent >= 2) chosen = chain[i];
  }
  if (chosen) chosen->loop.loop_kind = TSL_LOOP_PARALLEL;
}

static void schedule(tsl_stmt *stmt) {
  switch (stmt->kind) {
  case TSL_STMT_SEQ:
    for (int i = 0; i < stmt->seq.count; i++) schedule(stmt->seq.items[i]);
    return;
  case TSL_STMT_ALLOC: schedule(stmt->alloc.body); return;
  case TSL_STMT_FOR: schedule_nest(stmt); return;
  default: return;
  }
}

void tsl_default_schedule(tsl_primfunc *func) {
  if (func->body) schedule(func->body);
}
