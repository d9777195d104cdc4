/* Loop partitioning for tails (tir_passes.h). A split that does not divide its loop leaves the
 * blocks below a predicate, `index < extent`, that only the last iteration of its outer loop
 * can make false. That loop then runs its other iterations without the predicate, followed by
 * its last iteration as a copy of its body, where a loop that the predicate cuts short runs
 * only as far as it holds: the hot loops stay free of predicates and vectorizable. */
#include <stdio.h>
#include <stdlib.h>

#include "ir/arith.h"
#include "ir/check.h"
#include "passes/tir/tir_passes.h"

enum { MAX_PARTS = 64 };

typedef struct partitioner {
  tsl_primfunc *func;
  tsl_ranges ranges; /* of the loops around the statement being visited */
} partitioner;

/* Whether the ranges prove `condition` to be `value` (1: true, 0: false). */
static bool proves(partitioner *p, tsl_expr *condition, int64_t value) {
  return tsl_expr_is_int(tsl_simplify(p->func->arena, condition, &p->ranges), value);
}

static bool constant_range(const tsl_stmt *loop, int64_t *min, int64_t *extent) {
  if (loop->loop.min->kind != TSL_EXPR_INT || loop->loop.extent->kind != TSL_EXPR_INT) return false;
  *min = loop->loop.min->int_value;
  *extent = loop->loop.extent->int_value;
  return true;
}

/* ---- visiting the blocks below a loop ---------------------------------------------------- */

typedef void (*block_visit)(partitioner *p, tsl_stmt *block, void *context);

/* Calls visit on each outermost block below `stmt`, with the ranges of the loops on the way
 * known. */
static void visit_blocks(partitioner *p, tsl_stmt *stmt, block_visit visit, void *context) {
  if (!stmt) return;
  switch (stmt->kind) {
  case TSL_STMT_SEQ:
    for (int i = 0; i < stmt->seq.count; i++) visit_blocks(p, stmt->seq.items[i], visit, context);
    return;
  case TSL_STMT_FOR: {
    int64_t min, extent;
    bool known = constant_range(stmt, &min, &extent) && extent > 0;
    if (known) tsl_ranges_set(&p->ranges, stmt->loop.var, min, min + extent - 1);
    visit_blocks(p, stmt->loop.body, visit, context);
    if (known) tsl_ranges_forget(&p->ranges, stmt->loop.var);
    return;
  }
  case TSL_STMT_BLOCK: visit(p, stmt, context); return;
  case TSL_STMT_IF:
    visit_blocks(p, stmt->branch.then, visit, context);
    visit_blocks(p, stmt->branch.otherwise, visit, context);
    return;
  case TSL_STMT_ALLOC: visit_blocks(p, stmt->alloc.body, visit, context); return;
  case TSL_STMT_STORE:
  case TSL_STMT_EVAL: return;
  }
}

/* ---- cutting a loop short ---------------------------------------------------------------- */

/* A loop whose every block runs only while its variable is below some n: the loop's extent
 * becomes n and those parts of the predicates go. */
typedef struct cut {
  const tsl_var *var;
  int64_t min, extent;
  int64_t at; /* the n all blocks agree on; -1 before the first, 0 when they do not */
  bool apply;
} cut;

/* The count n of first iterations where `part` holds, when it holds on them and fails on the
 * others (0 < n < extent); 0 when it does not cut the loop so. */
static int64_t cut_point(partitioner *p, const cut *c, tsl_expr *part) {
  if (!tsl_expr_uses_var(part, c->var)) return 0;
  int64_t low = 0, high = c->extent; /* part holds on the first `low` iterations */
  while (low < high) {
    int64_t middle = low + (high - low + 1) / 2;
    tsl_ranges_set(&p->ranges, c->var, c->min, c->min + middle - 1);
    if (proves(p, part, 1))
      low = middle;
    else
      high = middle - 1;
  }
  tsl_ranges_forget(&p->ranges, c->var);
  if (low == 0 || low == c->extent) return 0;
  tsl_ranges_set(&p->ranges, c->var, c->min + low, c->min + c->extent - 1);
  bool fails = proves(p, part, 0);
  tsl_ranges_forget(&p->ranges, c->var);
  return fails ? low : 0;
}

static void cut_block(partitioner *p, tsl_stmt *block, void *context) {
  cut *c = context;
  tsl_expr *parts[MAX_PARTS];
  int count = tsl_conjuncts(block->block.predicate, parts, MAX_PARTS);
  for (int i = 0; i < count && c->at != 0; i++) {
    int64_t at = cut_point(p, c, parts[i]);
    if (!at || (c->at > 0 && at != c->at)) continue;
    c->at = at;
    if (c->apply) {
      parts[i] = parts[--count];
      block->block.predicate = tsl_conjunction(p->func->arena, parts, count);
    }
    return;
  }
  c->at = 0;
}

/* Cuts the loop short where every block below it runs only on its first iterations. */
static void cut_loop(partitioner *p, tsl_stmt *loop) {
  int64_t min, extent;
  if (!constant_range(loop, &min, &extent)) return;
  cut c = {loop->loop.var, min, extent, -1, false};
  visit_blocks(p, loop->loop.body, cut_block, &c);
  if (c.at <= 0) return;
  c.apply = true;
  visit_blocks(p, loop->loop.body, cut_block, &c);
  loop->loop.extent = tsl_index(p->func->arena, c.at);
}

/* ---- the tail ---------------------------------------------------------------------------- */

/* Whether a block below the loop has a part of its predicate in the loop's variable that holds
 * on every iteration but the last, and not on every one. */
typedef struct tail_scan {
  const tsl_var *var;
  int64_t min, extent;
  bool found;
} tail_scan;

static void scan_tail(partitioner *p, tsl_stmt *block, void *context) {
  tail_scan *scan = context;
  tsl_expr *parts[MAX_PARTS];
  int count = tsl_conjuncts(block->block.predicate, parts, MAX_PARTS);
  for (int i = 0; i < count && !scan->found; i++) {
    if (!tsl_expr_uses_var(parts[i], scan->var)) continue;
    tsl_ranges_set(&p->ranges, scan->var, scan->min, scan->min + scan->extent - 1);
    bool always = proves(p, parts[i], 1);
    tsl_ranges_set(&p->ranges, scan->var, scan->min, scan->min + scan->extent - 2);
    scan->found = !always && proves(p, parts[i], 1);
    tsl_ranges_forget(&p->ranges, scan->var);
  }
}

/* A copy of a statement that shares nothing with it that a later pass may change: fresh loop
 * and block variables, fresh buffers for its allocations, blocks named with "_tail". */
typedef struct copier {
  tsl_primfunc *func;
  int capacity;         /* ids below it are mapped */
  tsl_expr **vars;      /* by id: the replacement */
  tsl_buffer **buffers; /* by id: the replacement */
} copier;

static tsl_expr *copied_var(const tsl_var *var, void *context) {
  const copier *c = context;
  return var->id < c->capacity ? c->vars[var->id] : NULL;
}

static tsl_buffer *copied_buffer(const copier *c, tsl_buffer *buffer) {
  return buffer->id < c->capacity && c->buffers[buffer->id] ? c->buffers[buffer->id] : buffer;
}

static tsl_expr *copied_load(tsl_expr *load, void *context) {
  const copier *c = context;
  tsl_buffer *buffer = copied_buffer(c, load->load.buffer);
  if (buffer == load->load.buffer) return NULL;
  return tsl_load(c->func->arena, buffer, load->load.num_indices, load->load.indices);
}

static tsl_expr *copy_expr(copier *c, tsl_expr *expr) {
  tsl_expr_rewriter rewriter = {copied_var, copied_load, c};
  return expr ? tsl_expr_rewrite(c->func->arena, expr, &rewriter) : NULL;
}

static tsl_var *fresh_var(copier *c, const tsl_var *var) {
  tsl_var *fresh = tsl_primfunc_var(c->func, var->name, var->dtype);
  c->vars[var->id] = tsl_var_ref(c->func->arena, fresh);
  return fresh;
}

static tsl_stmt *copy_stmt(copier *c, tsl_stmt *stmt) {
  tsl_arena *arena = c->func->arena;
  if (!stmt) return NULL;
  switch (stmt->kind) {
  case TSL_STMT_SEQ: {
    tsl_stmt **items = TSL_ARENA_ARRAY(arena, tsl_stmt *, stmt->seq.count);
    for (int i = 0; i < stmt->seq.count; i++) items[i] = copy_stmt(c, stmt->seq.items[i]);
    return tsl_seq(arena, stmt->seq.count, items);
  }
  case TSL_STMT_FOR: {
    tsl_expr *min = copy_expr(c, stmt->loop.min), *extent = copy_expr(c, stmt->loop.extent);
    tsl_var *var = fresh_var(c, stmt->loop.var);
    tsl_stmt *loop =
        tsl_for(arena, var, min, extent, stmt->loop.loop_kind, copy_stmt(c, stmt->loop.body));
    loop->loop.unroll_max = stmt->loop.unroll_max;
    loop->loop.tensorized = stmt->loop.tensorized;
    return loop;
  }
  case TSL_STMT_BLOCK: {
    tsl_block_iter *iters = TSL_ARENA_ARRAY(arena, tsl_block_iter, stmt->block.num_iters);
    for (int i = 0; i < stmt->block.num_iters; i++) {
      iters[i] = stmt->block.iters[i];
      iters[i].binding = copy_expr(c, iters[i].binding);
    }
    tsl_expr *predicate = copy_expr(c, stmt->block.predicate);
    for (int i = 0; i < stmt->block.num_iters; i++) iters[i].var = fresh_var(c, iters[i].var);
    char name[256];
    snprintf(name, sizeof(name), "%s_tail", stmt->block.name);
    tsl_stmt *init = copy_stmt(c, stmt->block.init), *body = copy_stmt(c, stmt->block.body);
    tsl_stmt *block = tsl_block(arena, name, stmt->block.num_iters, iters, init, body);
    block->block.predicate = predicate;
    return block;
  }
  case TSL_STMT_STORE: {
    tsl_expr **indices = TSL_ARENA_ARRAY(arena, tsl_expr *, stmt->store.num_indices);
    for (int i = 0; i < stmt->store.num_indices; i++)
      indices[i] = copy_expr(c, stmt->store.indices[i]);
    return tsl_store(arena, copied_buffer(c, stmt->store.buffer), stmt->store.num_indices, indices,
                     copy_expr(c, stmt->store.value));
  }
  case TSL_STMT_IF:
    return tsl_if(arena, copy_expr(c, stmt->branch.condition), copy_stmt(c, stmt->branch.then),
                  copy_stmt(c, stmt->branch.otherwise));
  case TSL_STMT_ALLOC: {
    const tsl_buffer *old = stmt->alloc.buffer;
    tsl_type type = tsl_type_make(old->dtype, old->rank, old->shape);
    tsl_buffer *buffer = tsl_primfunc_buffer(c->func, old->name, &type, old->scope);
    for (int axis = 0; axis < old->rank; axis++) buffer->strides[axis] = old->strides[axis];
    c->buffers[old->id] = buffer;
    return tsl_alloc(arena, buffer, copy_stmt(c, stmt->alloc.body));
  }
  case TSL_STMT_EVAL: return tsl_eval(arena, copy_expr(c, stmt->eval.value));
  }
  TSL_UNREACHABLE();
}

/* The loop's body at its last iteration, as a copy; the loop keeps the others. */
static tsl_stmt *split_off_tail(partitioner *p, tsl_stmt *loop, int64_t min, int64_t extent) {
  copier c = {.func = p->func, .capacity = p->func->num_ids};
  c.vars = calloc((size_t)c.capacity + 1, sizeof(tsl_expr *));
  c.buffers = calloc((size_t)c.capacity + 1, sizeof(tsl_buffer *));
  TSL_CHECK_ALLOC(c.vars && c.buffers);
  c.vars[loop->loop.var->id] = tsl_index(p->func->arena, min + extent - 1);
  tsl_stmt *tail = copy_stmt(&c, loop->loop.body);
  free(c.vars);
  free(c.buffers);
  loop->loop.extent = tsl_index(p->func->arena, extent - 1);
  return tail;
}

/* ---- the pass ---------------------------------------------------------------------------- */

static void partition_stmt(partitioner *p, tsl_stmt **slot);

/* Drops the parts of a block's predicate that the ranges around it prove. */
static void simplify_predicate(partitioner *p, tsl_stmt *block) {
  tsl_expr *parts[MAX_PARTS];
  int count = tsl_conjuncts(block->block.predicate, parts, MAX_PARTS), kept = 0;
  if (count <= 0) return;
  for (int i = 0; i < count; i++) {
    if (!proves(p, parts[i], 1)) parts[kept++] = parts[i];
  }
  block->block.predicate = tsl_conjunction(p->func->arena, parts, kept);
}

static void partition_loop(partitioner *p, tsl_stmt **slot) {
  tsl_stmt *loop = *slot;
  int64_t min, extent;
  if (!constant_range(loop, &min, &extent)) {
    partition_stmt(p, &loop->loop.body);
    return;
  }
  cut_loop(p, loop);
  extent = loop->loop.extent->int_value;
  tsl_stmt *tail = NULL;
  if (extent >= 2 && loop->loop.loop_kind != TSL_LOOP_VECTORIZED) {
    tail_scan scan = {loop->loop.var, min, extent, false};
    visit_blocks(p, loop->loop.body, scan_tail, &scan);
    if (scan.found) {
      tail = split_off_tail(p, loop, min, extent);
      extent--;
    }
  }
  if (extent > 0) tsl_ranges_set(&p->ranges, loop->loop.var, min, min + extent - 1);
  partition_stmt(p, &loop->loop.body);
  tsl_ranges_forget(&p->ranges, loop->loop.var);
  if (!tail) return;
  partition_stmt(p, &tail);
  tsl_stmt *both[2] = {loop, tail};
  *slot = tsl_seq(p->func->arena, 2, both);
}

static void partition_stmt(partitioner *p, tsl_stmt **slot) {
  tsl_stmt *stmt = *slot;
  if (!stmt) return;
  switch (stmt->kind) {
  case TSL_STMT_SEQ:
    for (int i = 0; i < stmt->seq.count; i++) partition_stmt(p, &stmt->seq.items[i]);
    return;
  case TSL_STMT_FOR:
    /* A tensorized nest is the intrinsic's as it stands (its blocks have no predicate). */
    if (!stmt->loop.tensorized) partition_loop(p, slot);
    return;
  case TSL_STMT_BLOCK:
    simplify_predicate(p, stmt);
    partition_stmt(p, &stmt->block.init);
    partition_stmt(p, &stmt->block.body);
    return;
  case TSL_STMT_IF:
    partition_stmt(p, &stmt->branch.then);
    partition_stmt(p, &stmt->branch.otherwise);
    return;
  case TSL_STMT_ALLOC: partition_stmt(p, &stmt->alloc.body); return;
  case TSL_STMT_STORE:
  case TSL_STMT_EVAL: return;
  }
}

void tsl_tir_partition_tails(tsl_primfunc *func) {
  partitioner p = {.func = func};
  partition_stmt(&p, &func->body);
  tsl_ranges_free(&p.ranges);
}
