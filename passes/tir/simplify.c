/* Simplification of a scheduled function (tir_passes.h). Every expression is simplified with
 * the ranges of the loop and block variables around it (ir/arith.h): a loop variable runs over
 * its loop's range, a block variable over the values its binding can take. What that proves
 * dead goes: blocks whose predicate is false, branches not taken, loops that run no iteration;
 * a loop of one iteration becomes its body, its variable the loop's start. */
#include "ir/arith.h"
#include "ir/check.h"
#include "passes/tir/tir_passes.h"

typedef struct simplifier {
  tsl_primfunc *func;
  tsl_ranges ranges; /* of the loop and block variables around the statement being visited */
} simplifier;

static tsl_expr *simplify(simplifier *s, tsl_expr *expr) {
  return expr ? tsl_simplify(s->func->arena, expr, &s->ranges) : NULL;
}

/* The variable takes the values of `bounds`; unknown when they are unbounded. */
static void set_range(simplifier *s, const tsl_var *var, tsl_interval bounds) {
  if (bounds.min != INT64_MIN && bounds.max != INT64_MAX && bounds.min <= bounds.max)
    tsl_ranges_set(&s->ranges, var, bounds.min, bounds.max);
  else
    tsl_ranges_forget(&s->ranges, var);
}

static tsl_stmt *simplify_stmt(simplifier *s, tsl_stmt *stmt);

static tsl_stmt *simplify_loop(simplifier *s, tsl_stmt *loop) {
  loop->loop.min = simplify(s, loop->loop.min);
  loop->loop.extent = simplify(s, loop->loop.extent);
  tsl_interval min = tsl_bounds(loop->loop.min, &s->ranges),
               extent = tsl_bounds(loop->loop.extent, &s->ranges);
  if (extent.max <= 0) return NULL;
  tsl_interval range = {min.min, INT64_MAX};
  if (min.max != INT64_MAX && extent.max != INT64_MAX &&
      __builtin_add_overflow(min.max, extent.max - 1, &range.max))
    range.max = INT64_MAX;
  set_range(s, loop->loop.var, range);
  tsl_stmt *body = simplify_stmt(s, loop->loop.body);
  tsl_ranges_forget(&s->ranges, loop->loop.var);
  if (!body) return NULL;
  loop->loop.body = body;
  /* One iteration: every use of the variable was simplified to the loop's start. */
  if (tsl_interval_is_point(range) && tsl_interval_is_point(extent) && extent.min == 1) return body;
  return loop;
}

static void simplify_regions(simplifier *s, tsl_region *regions, int count) {
  for (int r = 0; r < count; r++) {
    for (int axis = 0; axis < regions[r].buffer->rank; axis++) {
      regions[r].min[axis] = simplify(s, regions[r].min[axis]);
      regions[r].extent[axis] = simplify(s, regions[r].extent[axis]);
    }
  }
}

static tsl_stmt *simplify_block(simplifier *s, tsl_stmt *block) {
  int count = block->block.num_iters;
  tsl_block_iter *iters = block->block.iters;
  tsl_expr *predicate = simplify(s, block->block.predicate);
  if (predicate && tsl_expr_is_int(predicate, 0)) return NULL;
  block->block.predicate = predicate && tsl_expr_is_int(predicate, 1) ? NULL : predicate;
  for (int i = 0; i < count; i++) iters[i].binding = simplify(s, iters[i].binding);
  for (int i = 0; i < count; i++)
    set_range(s, iters[i].var, tsl_bounds(iters[i].binding, &s->ranges));
  simplify_regions(s, block->block.reads, block->block.num_reads);
  simplify_regions(s, block->block.writes, block->block.num_writes);
  block->block.body = simplify_stmt(s, block->block.body);
  if (block->block.init) {
    /* The init runs where every reduction variable is at the start of its domain. */
    for (int i = 0; i < count; i++) {
      if (iters[i].kind == TSL_ITER_REDUCE)
        tsl_ranges_set(&s->ranges, iters[i].var, iters[i].min, iters[i].min);
    }
    block->block.init = simplify_stmt(s, block->block.init);
  }
  for (int i = 0; i < count; i++) tsl_ranges_forget(&s->ranges, iters[i].var);
  if (!block->block.body && !block->block.init) return NULL;
  if (!block->block.body) block->block.body = tsl_seq(s->func->arena, 0, NULL);
  return block;
}

static tsl_stmt *simplify_if(simplifier *s, tsl_stmt *branch) {
  tsl_expr *condition = simplify(s, branch->branch.condition);
  if (tsl_expr_is_int(condition, 1)) return simplify_stmt(s, branch->branch.then);
  if (tsl_expr_is_int(condition, 0)) return simplify_stmt(s, branch->branch.otherwise);
  tsl_stmt *then = simplify_stmt(s, branch->branch.then),
           *otherwise = simplify_stmt(s, branch->branch.otherwise);
  if (!then && !otherwise) return NULL;
  if (!then) {
    condition = tsl_unary(s->func->arena, TSL_EXPR_NOT, condition);
    then = otherwise;
    otherwise = NULL;
  }
  branch->branch.condition = condition;
  branch->branch.then = then;
  branch->branch.otherwise = otherwise;
  return branch;
}

/* The items that remain, nested sequences flattened into this one. */
static tsl_stmt *simplify_seq(simplifier *s, tsl_stmt *seq) {
  tsl_stmt **items = NULL;
  int count = 0, capacity = 0;
  for (int i = 0; i < seq->seq.count; i++) {
    tsl_stmt *item = simplify_stmt(s, seq->seq.items[i]);
    if (!item) continue;
    if (item->kind != TSL_STMT_SEQ) {
      TSL_ARENA_PUSH(s->func->arena, items, count, capacity, item);
      continue;
    }
    for (int j = 0; j < item->seq.count; j++)
      TSL_ARENA_PUSH(s->func->arena, items, count, capacity, item->seq.items[j]);
  }
  if (count == 0) return NULL;
  seq->seq.items = items;
  seq->seq.count = count;
  return seq;
}

/* The statement simplified, mostly in place; NULL where nothing of it remains. */
static tsl_stmt *simplify_stmt(simplifier *s, tsl_stmt *stmt) {
  if (!stmt) return NULL;
  switch (stmt->kind) {
  case TSL_STMT_SEQ: return simplify_seq(s, stmt);
  case TSL_STMT_FOR: return simplify_loop(s, stmt);
  case TSL_STMT_BLOCK: return simplify_block(s, stmt);
  case TSL_STMT_STORE:
    for (int i = 0; i < stmt->store.num_indices; i++)
      stmt->store.indices[i] = simplify(s, stmt->store.indices[i]);
    stmt->store.value = simplify(s, stmt->store.value);
    return stmt;
  case TSL_STMT_IF: return simplify_if(s, stmt);
  case TSL_STMT_ALLOC:
    stmt->alloc.body = simplify_stmt(s, stmt->alloc.body);
    return stmt->alloc.body ? stmt : NULL;
  case TSL_STMT_EVAL: stmt->eval.value = simplify(s, stmt->eval.value); return stmt;
  }
  TSL_UNREACHABLE();
}

void tsl_tir_simplify(tsl_primfunc *func) {
  simplifier s = {.func = func};
  func->body = simplify_stmt(&s, func->body);
  if (!func->body) func->body = tsl_seq(func->arena, 0, NULL);
  tsl_ranges_free(&s.ranges);
}
