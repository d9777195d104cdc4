#include <stdlib.h>

#include "passes/tir/tir_passes.h"

/* Below this many iterations a nest runs on one thread: waking the pool costs more. */
enum { MIN_PARALLEL_WORK = 1 << 14, ENOUGH_TO_SHARE = 8, MAX_DEPTH = 64 };

static int64_t constant_extent(const tsl_stmt *loop) {
  return loop->loop.extent->kind == TSL_EXPR_INT ? loop->loop.extent->int_value : 0;
}

/* The kind of the block variable a loop binds; -1 when it binds none directly. */
static int bound_kind(const tsl_stmt *block, const tsl_var *var) {
  for (int i = 0; i < block->block.num_iters; i++) {
    const tsl_block_iter *iter = &block->block.iters[i];
    if (iter->binding->kind == TSL_EXPR_VAR && iter->binding->var == var) return (int)iter->kind;
  }
  return -1;
}

/* Whether the block writes with `var` as its last, contiguous index. */
static bool writes_contiguously(const tsl_stmt *block, const tsl_stmt *loop) {
  const tsl_stmt *store = block->block.body;
  if (store->kind != TSL_STMT_STORE || store->store.num_indices == 0) return false;
  const tsl_expr *last = store->store.indices[store->store.num_indices - 1];
  for (int i = 0; i < block->block.num_iters; i++) {
    const tsl_block_iter *iter = &block->block.iters[i];
    if (iter->binding->kind == TSL_EXPR_VAR && iter->binding->var == loop->loop.var) {
      return last->kind == TSL_EXPR_VAR && last->var == iter->var;
    }
  }
  return false;
}

/* A reduction whose innermost output axis is contiguous runs that axis innermost, below the
 * reduction loops: each output element still sums in the same order (the result does not
 * change), and the inner loop now walks contiguous memory, which LLVM vectorises. The loop
 * statements stay where they are; their headers (variable, range, kind) move. */
static void sink_innermost_spatial(tsl_stmt **chain, int depth, const tsl_stmt *block) {
  int spatial = -1;
  for (int i = 0; i < depth; i++) {
    if (bound_kind(block, chain[i]->loop.var) == TSL_ITER_SPATIAL) spatial = i;
  }
  if (spatial < 0 || spatial == depth - 1 || !writes_contiguously(block, chain[spatial])) return;
  tsl_stmt moved = *chain[spatial];
  for (int i = spatial; i < depth - 1; i++) {
    chain[i]->loop.var = chain[i + 1]->loop.var;
    chain[i]->loop.min = chain[i + 1]->loop.min;
    chain[i]->loop.extent = chain[i + 1]->loop.extent;
    chain[i]->loop.loop_kind = chain[i + 1]->loop.loop_kind;
  }
  chain[depth - 1]->loop.var = moved.loop.var;
  chain[depth - 1]->loop.min = moved.loop.min;
  chain[depth - 1]->loop.extent = moved.loop.extent;
  chain[depth - 1]->loop.loop_kind = moved.loop.loop_kind;
}

static void choose_parallel(tsl_stmt **chain, int depth, tsl_stmt *block) {
  int64_t work = 1;
  for (int i = 0; i < depth; i++) work *= constant_extent(chain[i]) > 0 ? constant_extent(chain[i]) : 1;
  if (work < MIN_PARALLEL_WORK) return;
  tsl_stmt *chosen = NULL;
  for (int i = 0; i < depth && bound_kind(block, chain[i]->loop.var) == TSL_ITER_SPATIAL; i++) {
    int64_t extent = constant_extent(chain[i]);
    if (extent >= ENOUGH_TO_SHARE) {
      chosen = chain[i];
      break;
    }
    if (!chosen && extent >= 2) chosen = chain[i];
  }
  if (chosen) chosen->loop.loop_kind = TSL_LOOP_PARALLEL;
}

static void schedule_nest(tsl_stmt *outer) {
  tsl_stmt *chain[MAX_DEPTH];
  int depth = 0;
  tsl_stmt *at = outer;
  while (at->kind == TSL_STMT_FOR && depth < MAX_DEPTH) {
    chain[depth++] = at;
    at = at->loop.body;
  }
  if (at->kind != TSL_STMT_BLOCK) return;
  sink_innermost_spatial(chain, depth, at);
  choose_parallel(chain, depth, at);
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
