/* Unrolling what unroll_max annotations ask for (tir_passes.h). */
#include "passes/tir/tir_passes.h"

/* Iterations of the statement's innermost work (loop extents multiplied, sequences added);
 * -1 when a range is not constant or the count passes `limit`. */
static int64_t steps(const tsl_stmt *stmt, int64_t limit) {
  if (!stmt) return 0;
  switch (stmt->kind) {
  case TSL_STMT_SEQ: {
    int64_t total = 0;
    for (int i = 0; i < stmt->seq.count; i++) {
      int64_t part = steps(stmt->seq.items[i], limit);
      if (part < 0 || (total += part) > limit) return -1;
    }
    return total;
  }
  case TSL_STMT_FOR: {
    if (stmt->loop.extent->kind != TSL_EXPR_INT) return -1;
    int64_t inner = steps(stmt->loop.body, limit);
    if (inner < 0) return -1;
    int64_t total = stmt->loop.extent->int_value * (inner ? inner : 1);
    return total > limit ? -1 : total;
  }
  case TSL_STMT_BLOCK: return steps(stmt->block.body, limit); /* the init runs in one of them */
  case TSL_STMT_IF: {
    int64_t then = steps(stmt->branch.then, limit),
            otherwise = steps(stmt->branch.otherwise, limit);
    return then < 0 || otherwise < 0 ? -1 : then > otherwise ? then : otherwise;
  }
  case TSL_STMT_ALLOC: return steps(stmt->alloc.body, limit);
  case TSL_STMT_STORE:
  case TSL_STMT_EVAL: return 1;
  }
  return -1;
}

static void unroll_all(tsl_stmt *stmt);

static void unroll_children(tsl_stmt *stmt, void (*visit)(tsl_stmt *, int64_t), int64_t limit) {
  switch (stmt->kind) {
  case TSL_STMT_SEQ:
    for (int i = 0; i < stmt->seq.count; i++) visit(stmt->seq.items[i], limit);
    return;
  case TSL_STMT_FOR: visit(stmt->loop.body, limit); return;
  case TSL_STMT_BLOCK:
    if (stmt->block.init) visit(stmt->block.init, limit);
    visit(stmt->block.body, limit);
    return;
  case TSL_STMT_IF:
    visit(stmt->branch.then, limit);
    if (stmt->branch.otherwise) visit(stmt->branch.otherwise, limit);
    return;
  case TSL_STMT_ALLOC: visit(stmt->alloc.body, limit); return;
  case TSL_STMT_STORE:
  case TSL_STMT_EVAL: return;
  }
}

static void unroll_any(tsl_stmt *stmt, int64_t limit) {
  (void)limit;
  unroll_all(stmt);
}

/* Every serial loop of the tree unrolled. */
static void unroll_all(tsl_stmt *stmt) {
  if (stmt->kind == TSL_STMT_FOR && stmt->loop.tensorized) return; /* the intrinsic's nest */
  if (stmt->kind == TSL_STMT_FOR && stmt->loop.loop_kind == TSL_LOOP_SERIAL)
    stmt->loop.loop_kind = TSL_LOOP_UNROLLED;
  unroll_children(stmt, unroll_any, 0);
}

/* Below an annotation of `limit`: the outermost serial loops that fit are unrolled. A nested
 * annotation takes over below it. */
static void unroll_within(tsl_stmt *stmt, int64_t limit) {
  if (stmt->kind == TSL_STMT_FOR) {
    if (stmt->loop.tensorized) return;
    if (stmt->loop.unroll_max) {
      limit = stmt->loop.unroll_max;
      stmt->loop.unroll_max = 0;
    }
    if (limit > 0 && stmt->loop.loop_kind == TSL_LOOP_SERIAL && steps(stmt, limit) >= 0) {
      unroll_all(stmt);
      return;
    }
  }
  unroll_children(stmt, unroll_within, limit);
}

void tsl_tir_unroll(tsl_primfunc *func) {
  if (func->body) unroll_within(func->body, 0);
}
