/* Features of a scheduled PrimFunc (features.h). */
#include <math.h>
#include <string.h>

#include "autotune/features.h"
#include "ir/expr.h"

enum { MAX_DEPTH = 64 };

/* What is summed over the stores. */
typedef struct totals {
  double flops, iterations, vector_flops, lane_flops, parallel_flops, parallel_extent;
  double unrolled, contiguous, broadcast, strided, local_loads, global_loads;
  double local_stores, global_stores, reuse, reused_loads, blocks, depth, innermost;
  double local_bytes, guarded_flops, scalarized_flops;
} totals;

/* The loops around the statement being visited, outermost first; the conditions (block
 * predicates and ifs) around it: how many, and how many of them differ between the lanes of a
 * vectorized loop, which the code generator then leaves scalar (docs/tir.md); and the
 * variables that differ between those lanes (the loop's, and the block variables bound to
 * it). */
typedef struct walk {
  const tsl_stmt *loops[MAX_DEPTH];
  int depth;
  int guards, lane_guards;
  const tsl_var *lane_vars[MAX_DEPTH];
  int num_lane_vars;
  totals *t;
} walk;

static bool varies_by_lane(const walk *w, const tsl_expr *expr) {
  for (int i = 0; i < w->num_lane_vars; i++) {
    if (tsl_expr_uses_var(expr, w->lane_vars[i])) return true;
  }
  return false;
}

static double extent_of(const tsl_stmt *loop) {
  return loop->loop.extent->kind == TSL_EXPR_INT ? (double)loop->loop.extent->int_value : 1;
}

typedef struct store_scan {
  const walk *w;
  double iterations, ops;
} store_scan;

static bool is_arithmetic(tsl_expr_kind kind) {
  return kind == TSL_EXPR_ADD || kind == TSL_EXPR_SUB || kind == TSL_EXPR_MUL ||
         kind == TSL_EXPR_DIV || kind == TSL_EXPR_MIN || kind == TSL_EXPR_MAX ||
         kind == TSL_EXPR_CALL || kind == TSL_EXPR_SELECT || kind == TSL_EXPR_NEG;
}

/* A load or store's access along the innermost loop: contiguous (its variable only in the last
 * index, alone), broadcast (not at all) or strided; and its reuse, the product of the extents of
 * the loops whose variables it does not use. */
static void classify(const walk *w, int num_indices, tsl_expr *const *indices, bool local,
                     double iterations, bool is_store) {
  totals *t = w->t;
  if (is_store) {
    if (local)
      t->local_stores += iterations;
    else
      t->global_stores += iterations;
    return;
  }
  if (local)
    t->local_loads += iterations;
  else
    t->global_loads += iterations;
  if (w->depth == 0) return;
  const tsl_var *inner = w->loops[w->depth - 1]->loop.var;
  bool used = false, last_alone = false;
  for (int i = 0; i < num_indices; i++) {
    if (!tsl_expr_uses_var(indices[i], inner)) continue;
    if (i == num_indices - 1 && !used) {
      const tsl_expr *index = indices[i];
      last_alone = index->kind == TSL_EXPR_VAR ||
                   (index->kind == TSL_EXPR_ADD &&
                    (index->op.a->kind == TSL_EXPR_VAR || index->op.b->kind == TSL_EXPR_VAR));
    }
    used = true;
  }
  if (!used)
    t->broadcast += iterations;
  else if (last_alone)
    t->contiguous += iterations;
  else
    t->strided += iterations;
  if (!local) {
    double reuse = 1;
    for (int l = 0; l < w->depth; l++) {
      bool uses = false;
      for (int i = 0; i < num_indices && !uses; i++)
        uses = tsl_expr_uses_var(indices[i], w->loops[l]->loop.var);
      if (!uses) reuse *= extent_of(w->loops[l]);
    }
    t->reuse += iterations * log2(reuse);
    t->reused_loads += iterations;
  }
}

static void scan_value(const tsl_expr *expr, void *context) {
  store_scan *scan = context;
  if (is_arithmetic(expr->kind)) scan->ops++;
  if (expr->kind == TSL_EXPR_LOAD) {
    classify(scan->w, expr->load.num_indices, expr->load.indices,
             expr->load.buffer->scope != TSL_SCOPE_GLOBAL, scan->iterations, false);
  }
}

static void visit_store(walk *w, const tsl_stmt *store) {
  totals *t = w->t;
  double iterations = 1, lanes = 1, parallel = 1, unrolled = 1;
  for (int l = 0; l < w->depth; l++) {
    double extent = extent_of(w->loops[l]);
    iterations *= extent;
    switch (w->loops[l]->loop.loop_kind) {
    case TSL_LOOP_VECTORIZED: lanes = extent; break;
    case TSL_LOOP_PARALLEL: parallel *= extent; break;
    case TSL_LOOP_UNROLLED: unrolled *= extent; break;
    case TSL_LOOP_SERIAL: break;
    }
  }
  store_scan scan = {w, iterations, 0};
  tsl_expr_walk(store->store.value, scan_value, &scan);
  classify(w, store->store.num_indices, store->store.indices,
           store->store.buffer->scope != TSL_SCOPE_GLOBAL, iterations, true);
  double flops = iterations * (scan.ops > 0 ? scan.ops : 1);
  t->flops += flops;
  t->iterations += iterations;
  if (lanes > 1 && !w->lane_guards) t->vector_flops += flops;
  if (w->guards) t->guarded_flops += flops;
  if (w->lane_guards) t->scalarized_flops += flops;
  t->lane_flops += flops * lanes;
  if (parallel > 1) t->parallel_flops += flops;
  if (parallel > t->parallel_extent) t->parallel_extent = parallel;
  t->unrolled += flops * log2(unrolled);
  t->innermost += flops * (w->depth ? log2(extent_of(w->loops[w->depth - 1])) : 0);
  if (w->depth > t->depth) t->depth = w->depth;
}

static void enter_guard(walk *w, const tsl_expr *condition, int *lane_guard) {
  *lane_guard = condition && varies_by_lane(w, condition);
  w->guards += condition != NULL;
  w->lane_guards += *lane_guard;
}

static void leave_guard(walk *w, const tsl_expr *condition, int lane_guard) {
  w->guards -= condition != NULL;
  w->lane_guards -= lane_guard;
}

static void visit(walk *w, const tsl_stmt *stmt) {
  if (!stmt) return;
  switch (stmt->kind) {
  case TSL_STMT_SEQ:
    for (int i = 0; i < stmt->seq.count; i++) visit(w, stmt->seq.items[i]);
    return;
  case TSL_STMT_FOR: {
    int lane_vars = w->num_lane_vars;
    if (stmt->loop.loop_kind == TSL_LOOP_VECTORIZED && lane_vars < MAX_DEPTH)
      w->lane_vars[w->num_lane_vars++] = stmt->loop.var;
    if (w->depth < MAX_DEPTH) w->loops[w->depth++] = stmt;
    visit(w, stmt->loop.body);
    w->depth--;
    w->num_lane_vars = lane_vars;
    return;
  }
  case TSL_STMT_BLOCK: {
    w->t->blocks++;
    int lane_vars = w->num_lane_vars, lane_guard;
    for (int i = 0; i < stmt->block.num_iters && w->num_lane_vars < MAX_DEPTH; i++) {
      if (varies_by_lane(w, stmt->block.iters[i].binding))
        w->lane_vars[w->num_lane_vars++] = stmt->block.iters[i].var;
    }
    enter_guard(w, stmt->block.predicate, &lane_guard);
    visit(w, stmt->block.init);
    visit(w, stmt->block.body);
    leave_guard(w, stmt->block.predicate, lane_guard);
    w->num_lane_vars = lane_vars;
    return;
  }
  case TSL_STMT_STORE: visit_store(w, stmt); return;
  case TSL_STMT_IF: {
    int lane_guard;
    enter_guard(w, stmt->branch.condition, &lane_guard);
    visit(w, stmt->branch.then);
    visit(w, stmt->branch.otherwise);
    leave_guard(w, stmt->branch.condition, lane_guard);
    return;
  }
  case TSL_STMT_ALLOC: {
    double bytes = 4 * (double)tsl_buffer_elements(stmt->alloc.buffer);
    if (stmt->alloc.buffer->scope != TSL_SCOPE_GLOBAL) w->t->local_bytes += bytes;
    visit(w, stmt->alloc.body);
    return;
  }
  case TSL_STMT_EVAL: return;
  }
}

static float log_of(double value) { return (float)log2(1 + value); }

void tsl_features(const tsl_primfunc *func, float f[TSL_NUM_FEATURES]) {
  totals t;
  memset(&t, 0, sizeof(t));
  walk w = {.t = &t};
  visit(&w, func->body);
  double flops = t.flops > 0 ? t.flops : 1, loads = t.reused_loads > 0 ? t.reused_loads : 1;
  float values[TSL_NUM_FEATURES] = {
      log_of(t.flops),
      log_of(t.iterations),
      (float)(t.vector_flops / flops),
      log_of(t.lane_flops / flops),
      (float)(t.parallel_flops / flops),
      log_of(t.parallel_extent),
      (float)(t.unrolled / flops),
      log_of(t.contiguous),
      log_of(t.broadcast),
      log_of(t.strided),
      log_of(t.local_loads),
      log_of(t.global_loads),
      log_of(t.local_stores),
      log_of(t.global_stores),
      (float)(t.reuse / loads),
      (float)t.blocks,
      (float)t.depth,
      (float)(t.innermost / flops),
      log_of(t.local_bytes),
      log_of(t.flops / (t.global_loads + t.global_stores + 1)),
      (float)(t.guarded_flops / flops),
      (float)(t.scalarized_flops / flops),
  };
  memcpy(f, values, sizeof(values));
}
