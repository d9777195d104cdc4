/* The schedule primitives of schedule.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/check.h"
#include "ir/error.h"
#include "ir/intrin.h"
#include "passes/schedule/schedule.h"

enum { MAX_PATH = 256, MAX_CHILDREN = 4096, MAX_CONJUNCTS = 64 };

/* ---- finding statements ------------------------------------------------------------------ */

/* The fields of `stmt` that hold its child statements; their count. */
static int child_slots(tsl_stmt *stmt, tsl_stmt ***slots) {
  switch (stmt->kind) {
  case TSL_STMT_SEQ: {
    int count = stmt->seq.count < MAX_CHILDREN ? stmt->seq.count : MAX_CHILDREN;
    for (int i = 0; i < count; i++) slots[i] = &stmt->seq.items[i];
    return count;
  }
  case TSL_STMT_FOR: slots[0] = &stmt->loop.body; return 1;
  case TSL_STMT_BLOCK:
    slots[0] = &stmt->block.init;
    slots[1] = &stmt->block.body;
    return 2;
  case TSL_STMT_IF:
    slots[0] = &stmt->branch.then;
    slots[1] = &stmt->branch.otherwise;
    return 2;
  case TSL_STMT_ALLOC: slots[0] = &stmt->alloc.body; return 1;
  case TSL_STMT_STORE:
  case TSL_STMT_EVAL: return 0;
  }
  return 0;
}

/* The statements from *slot down to `target`, in path[depth…] (the slots holding them in
 * slots[depth…]); the path's length, or -1 when target is not below. */
static int path_to(tsl_stmt **slot, const tsl_stmt *target, tsl_stmt **path, tsl_stmt ***slots,
                   int depth) {
  tsl_stmt *stmt = *slot;
  if (!stmt || depth >= MAX_PATH) return -1;
  path[depth] = stmt;
  if (slots) slots[depth] = slot;
  if (stmt == target) return depth + 1;
  tsl_stmt **children[MAX_CHILDREN];
  int count = child_slots(stmt, children);
  for (int i = 0; i < count; i++) {
    int length = path_to(children[i], target, path, slots, depth + 1);
    if (length >= 0) return length;
  }
  return -1;
}

static tsl_stmt **slot_of(tsl_primfunc *func, const tsl_stmt *target) {
  tsl_stmt *path[MAX_PATH], **slots[MAX_PATH];
  int length = path_to(&func->body, target, path, slots, 0);
  return length > 0 ? slots[length - 1] : NULL;
}

static bool is_block_named(const tsl_stmt *stmt, const void *name) {
  return stmt->kind == TSL_STMT_BLOCK && strcmp(stmt->block.name, name) == 0;
}

tsl_stmt *tsl_sch_get_block(tsl_primfunc *func, const char *name) {
  return tsl_stmt_find(func->body, is_block_named, name);
}

int tsl_sch_get_loops(tsl_primfunc *func, const tsl_stmt *block, tsl_stmt **loops) {
  tsl_stmt *path[MAX_PATH];
  int length = path_to(&func->body, block, path, NULL, 0), count = 0;
  for (int i = 0; i < length - 1 && count < TSL_SCH_MAX_LOOPS; i++) {
    if (path[i]->kind == TSL_STMT_FOR) loops[count++] = path[i];
  }
  return count;
}

static bool reads_what_it_writes(const tsl_stmt *stmt, const void *producer) {
  const tsl_stmt *block = producer;
  if (stmt == block || stmt->kind != TSL_STMT_BLOCK) return false;
  for (int i = 0; i < stmt->block.num_reads; i++) {
    if (stmt->block.reads[i].buffer == block->block.writes[0].buffer) return true;
  }
  return false;
}

tsl_stmt *tsl_sch_get_consumer(tsl_primfunc *func, const tsl_stmt *block) {
  if (block->kind != TSL_STMT_BLOCK || block->block.num_writes == 0) return NULL;
  return tsl_stmt_find(func->body, reads_what_it_writes, block);
}

/* ---- rewriting --------------------------------------------------------------------------- */

/* Variables and what replaces them. */
typedef struct var_map {
  int count;
  const tsl_var *from[TSL_SCH_MAX_LOOPS];
  tsl_expr *to[TSL_SCH_MAX_LOOPS];
} var_map;

static void map_add(var_map *map, const tsl_var *from, tsl_expr *to) {
  TSL_CHECK(map->count < TSL_SCH_MAX_LOOPS);
  map->from[map->count] = from;
  map->to[map->count++] = to;
}

static tsl_expr *mapped(const tsl_var *var, void *context) {
  const var_map *map = context;
  for (int i = 0; i < map->count; i++) {
    if (map->from[i] == var) return map->to[i];
  }
  return NULL;
}

static tsl_expr *rewrite(tsl_arena *arena, tsl_expr *expr, var_map *map) {
  return expr ? tsl_expr_substitute(arena, expr, mapped, map) : NULL;
}

static tsl_expr *rewrite_with(tsl_arena *arena, tsl_expr *expr, const tsl_expr_rewriter *rewriter) {
  return expr ? tsl_expr_rewrite(arena, expr, rewriter) : NULL;
}

/* Rewrites every expression of the tree, in place. */
static void rewrite_exprs(tsl_arena *arena, tsl_stmt *stmt, const tsl_expr_rewriter *rewriter) {
  if (!stmt) return;
  switch (stmt->kind) {
  case TSL_STMT_SEQ:
    for (int i = 0; i < stmt->seq.count; i++) rewrite_exprs(arena, stmt->seq.items[i], rewriter);
    return;
  case TSL_STMT_FOR:
    stmt->loop.min = rewrite_with(arena, stmt->loop.min, rewriter);
    stmt->loop.extent = rewrite_with(arena, stmt->loop.extent, rewriter);
    rewrite_exprs(arena, stmt->loop.body, rewriter);
    return;
  case TSL_STMT_BLOCK:
    for (int i = 0; i < stmt->block.num_iters; i++) {
      stmt->block.iters[i].binding = rewrite_with(arena, stmt->block.iters[i].binding, rewriter);
    }
    stmt->block.predicate = rewrite_with(arena, stmt->block.predicate, rewriter);
    rewrite_exprs(arena, stmt->block.init, rewriter);
    rewrite_exprs(arena, stmt->block.body, rewriter);
    return;
  case TSL_STMT_STORE:
    for (int i = 0; i < stmt->store.num_indices; i++) {
      stmt->store.indices[i] = rewrite_with(arena, stmt->store.indices[i], rewriter);
    }
    stmt->store.value = rewrite_with(arena, stmt->store.value, rewriter);
    return;
  case TSL_STMT_IF:
    stmt->branch.condition = rewrite_with(arena, stmt->branch.condition, rewriter);
    rewrite_exprs(arena, stmt->branch.then, rewriter);
    rewrite_exprs(arena, stmt->branch.otherwise, rewriter);
    return;
  case TSL_STMT_ALLOC: rewrite_exprs(arena, stmt->alloc.body, rewriter); return;
  case TSL_STMT_EVAL: stmt->eval.value = rewrite_with(arena, stmt->eval.value, rewriter); return;
  }
}

/* Replaces the mapped variables in every expression of the tree, in place. */
static void rewrite_stmt(tsl_arena *arena, tsl_stmt *stmt, var_map *map) {
  tsl_expr_rewriter rewriter = {mapped, NULL, map};
  rewrite_exprs(arena, stmt, &rewriter);
}

static void infer_regions(tsl_stmt *stmt, void *context) {
  if (stmt->kind == TSL_STMT_BLOCK) tsl_block_infer_regions(context, stmt);
}

/* Blocks' regions follow their bodies after a rewrite. */
static void refresh_regions(tsl_primfunc *func) {
  tsl_stmt_walk(func->body, infer_regions, func->arena);
}

static bool is_constant(const tsl_expr *expr, int64_t *value) {
  if (expr->kind != TSL_EXPR_INT) return false;
  if (value) *value = expr->int_value;
  return true;
}

/* ---- split and reorder ------------------------------------------------------------------- */

/* Whether every store and evaluation below `stmt` is inside a block. */
static bool blocks_hold(const tsl_stmt *stmt) {
  if (!stmt) return true;
  switch (stmt->kind) {
  case TSL_STMT_SEQ:
    for (int i = 0; i < stmt->seq.count; i++) {
      if (!blocks_hold(stmt->seq.items[i])) return false;
    }
    return true;
  case TSL_STMT_FOR: return blocks_hold(stmt->loop.body);
  case TSL_STMT_BLOCK: return true;
  case TSL_STMT_IF: return blocks_hold(stmt->branch.then) && blocks_hold(stmt->branch.otherwise);
  case TSL_STMT_ALLOC: return blocks_hold(stmt->alloc.body);
  case TSL_STMT_STORE:
  case TSL_STMT_EVAL: return false;
  }
  return false;
}

/* Adds `condition` to the predicates of the outermost blocks below `stmt`. */
static void guard_blocks(tsl_arena *arena, tsl_stmt *stmt, tsl_expr *condition) {
  if (!stmt) return;
  switch (stmt->kind) {
  case TSL_STMT_SEQ:
    for (int i = 0; i < stmt->seq.count; i++) guard_blocks(arena, stmt->seq.items[i], condition);
    return;
  case TSL_STMT_FOR: guard_blocks(arena, stmt->loop.body, condition); return;
  case TSL_STMT_BLOCK: tsl_block_add_predicate(arena, stmt, condition); return;
  case TSL_STMT_IF:
    guard_blocks(arena, stmt->branch.then, condition);
    guard_blocks(arena, stmt->branch.otherwise, condition);
    return;
  case TSL_STMT_ALLOC: guard_blocks(arena, stmt->alloc.body, condition); return;
  case TSL_STMT_STORE:
  case TSL_STMT_EVAL: return;
  }
}

tsl_status tsl_sch_split(tsl_primfunc *func, tsl_stmt *loop, int count, const int64_t *factors,
                         tsl_stmt **loops, tsl_error *error) {
  tsl_arena *arena = func->arena;
  int64_t extent, min;
  if (loop->kind != TSL_STMT_FOR || !slot_of(func, loop)) {
    return tsl_fail(error, TSL_ERROR_INPUT, "split: not a loop of function '%s'", func->name);
  }
  const char *name = loop->loop.var->name;
  if (!is_constant(loop->loop.extent, &extent) || !is_constant(loop->loop.min, &min) || min != 0) {
    return tsl_fail(error, TSL_ERROR_INPUT, "split: loop '%s' does not run from 0 to a constant",
                    name);
  }
  if (count < 1 || count > TSL_SCH_MAX_LOOPS) {
    return tsl_fail(error, TSL_ERROR_INPUT, "split: %d factors for loop '%s'", count, name);
  }
  int64_t sizes[TSL_SCH_MAX_LOOPS], known = 1;
  int inferred = -1;
  for (int i = 0; i < count; i++) {
    sizes[i] = factors[i];
    if (factors[i] == -1 && inferred < 0)
      inferred = i;
    else if (factors[i] < 1)
      return tsl_fail(error, TSL_ERROR_INPUT, "split: factor %lld of loop '%s'",
                      (long long)factors[i], name);
    else if (known > INT64_MAX / factors[i])
      return tsl_fail(error, TSL_ERROR_INPUT, "split: the factors of loop '%s' overflow", name);
    else
      known *= factors[i];
  }
  if (inferred >= 0) {
    sizes[inferred] = (extent + known - 1) / known;
    known *= sizes[inferred];
  }
  if (known < extent) {
    return tsl_fail(error, TSL_ERROR_INPUT,
                    "split: factors multiply to %lld, less than the extent %lld of loop '%s'",
                    (long long)known, (long long)extent, name);
  }
  if (known > extent && !blocks_hold(loop->loop.body)) {
    return tsl_fail(error, TSL_ERROR_INPUT,
                    "split: the factors of loop '%s' multiply to %lld, past its extent %lld, and "
                    "it runs statements outside blocks, which take no predicate",
                    name, (long long)known, (long long)extent);
  }
  /* loop becomes the outermost; new loops go inside it around its old body. */
  tsl_stmt *made[TSL_SCH_MAX_LOOPS];
  made[0] = loop;
  tsl_var *vars[TSL_SCH_MAX_LOOPS];
  for (int i = 0; i < count; i++) {
    char var_name[128];
    snprintf(var_name, sizeof(var_name), "%s_%d", name, i);
    vars[i] = tsl_primfunc_var(func, var_name, TSL_DTYPE_I64);
  }
  tsl_stmt *body = loop->loop.body;
  for (int i = count - 1; i >= 1; i--) {
    body = made[i] = tsl_for(arena, vars[i], tsl_index(arena, 0), tsl_index(arena, sizes[i]),
                             TSL_LOOP_SERIAL, body);
  }
  /* old = Σ var_i · (product of the extents inside it) */
  tsl_expr *value = NULL;
  int64_t step = 1;
  for (int i = count - 1; i >= 0; i--) {
    tsl_expr *term = tsl_var_ref(arena, vars[i]);
    if (step != 1) term = tsl_binary(arena, TSL_EXPR_MUL, term, tsl_index(arena, step));
    value = value ? tsl_binary(arena, TSL_EXPR_ADD, term, value) : term;
    step *= sizes[i];
  }
  var_map map = {0};
  map_add(&map, loop->loop.var, value);
  rewrite_stmt(arena, loop->loop.body, &map);
  /* Iterations past the extent run nothing. */
  if (known > extent) {
    tsl_expr *inside = tsl_binary(arena, TSL_EXPR_LT, value, tsl_index(arena, extent));
    guard_blocks(arena, loop->loop.body, inside);
  }
  loop->loop.var = vars[0];
  loop->loop.extent = tsl_index(arena, sizes[0]);
  loop->loop.loop_kind = TSL_LOOP_SERIAL;
  loop->loop.body = count > 1 ? made[1] : body;
  refresh_regions(func);
  if (loops) memcpy(loops, made, sizeof(tsl_stmt *) * (size_t)count);
  return TSL_OK;
}

tsl_status tsl_sch_reorder(tsl_primfunc *func, int count, tsl_stmt *const *loops,
                           tsl_error *error) {
  if (count < 2) return TSL_OK;
  /* The path to the deepest loop passes through all the others. */
  tsl_stmt *path[MAX_PATH], **slots[MAX_PATH];
  int deepest = -1, positions[TSL_SCH_MAX_LOOPS];
  for (int i = 0; i < count; i++) {
    if (loops[i]->kind != TSL_STMT_FOR)
      return tsl_fail(error, TSL_ERROR_INPUT, "reorder: not a loop");
    int length = path_to(&func->body, loops[i], path, slots, 0);
    if (length < 0) {
      return tsl_fail(error, TSL_ERROR_INPUT, "reorder: loop '%s' is not in function '%s'",
                      loops[i]->loop.var->name, func->name);
    }
    if (length > deepest) deepest = length;
  }
  tsl_stmt *deep = NULL;
  for (int i = 0; i < count; i++) {
    if (path_to(&func->body, loops[i], path, slots, 0) == deepest) deep = loops[i];
  }
  path_to(&func->body, deep, path, slots, 0);
  int top = MAX_PATH;
  for (int i = 0; i < count; i++) {
    positions[i] = -1;
    for (int d = 0; d < deepest; d++) {
      if (path[d] == loops[i]) positions[i] = d;
    }
    if (positions[i] < 0) {
      return tsl_fail(error, TSL_ERROR_INPUT,
                      "reorder: loops '%s' and '%s' are not nested one in the other",
                      loops[i]->loop.var->name, deep->loop.var->name);
    }
    for (int j = 0; j < i; j++) {
      if (positions[j] == positions[i])
        return tsl_fail(error, TSL_ERROR_INPUT, "reorder: loop '%s' given twice",
                        loops[i]->loop.var->name);
    }
    if (positions[i] < top) top = positions[i];
  }
  for (int d = top; d < deepest; d++) {
    if (path[d]->kind != TSL_STMT_FOR || (d + 1 < deepest && path[d]->loop.body != path[d + 1])) {
      return tsl_fail(error, TSL_ERROR_INPUT,
                      "reorder: the loops from '%s' to '%s' are not nested directly one in another",
                      path[top]->loop.var->name, deep->loop.var->name);
    }
  }
  for (int d = top; d < deepest; d++) {
    for (int e = top; e < deepest; e++) {
      if (tsl_expr_uses_var(path[d]->loop.min, path[e]->loop.var) ||
          tsl_expr_uses_var(path[d]->loop.extent, path[e]->loop.var)) {
        return tsl_fail(error, TSL_ERROR_INPUT,
                        "reorder: the range of loop '%s' depends on loop '%s'",
                        path[d]->loop.var->name, path[e]->loop.var->name);
      }
    }
  }
  /* The given loops take the places they occupy, in the order given. */
  tsl_stmt *order[MAX_PATH];
  int sorted[TSL_SCH_MAX_LOOPS];
  memcpy(sorted, positions, sizeof(int) * (size_t)count);
  for (int i = 1; i < count; i++) {
    for (int j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
      int t = sorted[j];
      sorted[j] = sorted[j - 1];
      sorted[j - 1] = t;
    }
  }
  for (int d = top; d < deepest; d++) order[d] = path[d];
  for (int i = 0; i < count; i++) order[sorted[i]] = loops[i];
  tsl_stmt *innermost_body = path[deepest - 1]->loop.body;
  for (int d = top; d < deepest - 1; d++) order[d]->loop.body = order[d + 1];
  order[deepest - 1]->loop.body = innermost_body;
  *slots[top] = order[top];
  refresh_regions(func);
  return TSL_OK;
}

/* ---- fuse -------------------------------------------------------------------------------- */

tsl_status tsl_sch_fuse(tsl_primfunc *func, int count, tsl_stmt *const *loops, tsl_stmt **fused,
                        tsl_error *error) {
  tsl_arena *arena = func->arena;
  if (count < 1 || count > TSL_SCH_MAX_LOOPS)
    return tsl_fail(error, TSL_ERROR_INPUT, "fuse: %d loops", count);
  for (int i = 0; i < count; i++) {
    if (loops[i]->kind != TSL_STMT_FOR || !slot_of(func, loops[i]))
      return tsl_fail(error, TSL_ERROR_INPUT, "fuse: not a loop of function '%s'", func->name);
  }
  int64_t extents[TSL_SCH_MAX_LOOPS], total = 1;
  for (int i = 0; i < count; i++) {
    const char *name = loops[i]->loop.var->name;
    int64_t min;
    if (!is_constant(loops[i]->loop.extent, &extents[i]) ||
        !is_constant(loops[i]->loop.min, &min) || min != 0) {
      return tsl_fail(error, TSL_ERROR_INPUT, "fuse: loop '%s' does not run from 0 to a constant",
                      name);
    }
    if (i + 1 < count && loops[i]->loop.body != loops[i + 1]) {
      return tsl_fail(error, TSL_ERROR_INPUT, "fuse: loop '%s' is not the body of loop '%s'",
                      loops[i + 1]->loop.var->name, name);
    }
    if (extents[i] > 0 && total > INT64_MAX / extents[i])
      return tsl_fail(error, TSL_ERROR_INPUT, "fuse: the fused extent overflows");
    total *= extents[i];
  }
  if (count == 1) {
    if (fused) *fused = loops[0];
    return TSL_OK;
  }
  /* The outermost loop becomes the fused one; each variable is its quotient by the extents
   * inside, modulo its own extent. */
  char name[256] = "";
  for (int i = 0; i < count; i++) {
    size_t used = strlen(name);
    snprintf(name + used, sizeof(name) - used, "%s_", loops[i]->loop.var->name);
  }
  snprintf(name + strlen(name), sizeof(name) - strlen(name), "fused");
  tsl_var *var = tsl_primfunc_var(func, name, TSL_DTYPE_I64);
  var_map map = {0};
  int64_t inside = 1;
  for (int i = count - 1; i >= 0; i--) {
    tsl_expr *value = tsl_var_ref(arena, var);
    if (inside != 1) value = tsl_binary(arena, TSL_EXPR_FLOOR_DIV, value, tsl_index(arena, inside));
    if (i > 0) value = tsl_binary(arena, TSL_EXPR_FLOOR_MOD, value, tsl_index(arena, extents[i]));
    map_add(&map, loops[i]->loop.var, value);
    inside *= extents[i];
  }
  tsl_stmt *outer = loops[0];
  outer->loop.body = loops[count - 1]->loop.body;
  rewrite_stmt(arena, outer->loop.body, &map);
  outer->loop.var = var;
  outer->loop.extent = tsl_index(arena, total);
  outer->loop.loop_kind = TSL_LOOP_SERIAL;
  refresh_regions(func);
  if (fused) *fused = outer;
  return TSL_OK;
}

/* ---- loop kinds -------------------------------------------------------------------------- */

typedef struct binding_scan {
  const tsl_var *var;
  bool binds_reduce, binds_spatial;
} binding_scan;

static void scan_bindings(tsl_stmt *stmt, void *context) {
  binding_scan *scan = context;
  if (stmt->kind != TSL_STMT_BLOCK) return;
  for (int i = 0; i < stmt->block.num_iters; i++) {
    const tsl_block_iter *iter = &stmt->block.iters[i];
    if (!tsl_expr_uses_var(iter->binding, scan->var)) continue;
    if (iter->kind == TSL_ITER_REDUCE)
      scan->binds_reduce = true;
    else
      scan->binds_spatial = true;
  }
}

static tsl_status set_kind(tsl_primfunc *func, tsl_stmt *loop, tsl_loop_kind kind,
                           tsl_error *error) {
  const char *what = tsl_loop_kind_name(kind);
  if (loop->kind != TSL_STMT_FOR || !slot_of(func, loop)) {
    return tsl_fail(error, TSL_ERROR_INPUT, "%s: not a loop of function '%s'", what, func->name);
  }
  if (kind != TSL_LOOP_PARALLEL && !is_constant(loop->loop.extent, NULL)) {
    return tsl_fail(error, TSL_ERROR_INPUT, "%s: loop '%s' has no constant extent", what,
                    loop->loop.var->name);
  }
  if (kind == TSL_LOOP_PARALLEL || kind == TSL_LOOP_VECTORIZED) {
    binding_scan scan = {loop->loop.var, false, false};
    tsl_stmt_walk(loop->loop.body, scan_bindings, &scan);
    if (scan.binds_reduce) {
      return tsl_fail(
          error, TSL_ERROR_INPUT,
          "%s: loop '%s' binds a reduction variable, so its iterations write the same outputs",
          what, loop->loop.var->name);
    }
  }
  loop->loop.loop_kind = kind;
  return TSL_OK;
}

tsl_status tsl_sch_parallel(tsl_primfunc *func, tsl_stmt *loop, tsl_error *error) {
  return set_kind(func, loop, TSL_LOOP_PARALLEL, error);
}

tsl_status tsl_sch_vectorize(tsl_primfunc *func, tsl_stmt *loop, tsl_error *error) {
  return set_kind(func, loop, TSL_LOOP_VECTORIZED, error);
}

tsl_status tsl_sch_unroll(tsl_primfunc *func, tsl_stmt *loop, tsl_error *error) {
  return set_kind(func, loop, TSL_LOOP_UNROLLED, error);
}

tsl_status tsl_sch_annotate(tsl_primfunc *func, tsl_stmt *loop, const char *key, int64_t value,
                            tsl_error *error) {
  if (!loop || loop->kind != TSL_STMT_FOR || !slot_of(func, loop)) {
    return tsl_fail(error, TSL_ERROR_INPUT, "annotate: not a loop of function '%s'", func->name);
  }
  if (strcmp(key, "unroll_max") != 0) {
    return tsl_fail(error, TSL_ERROR_INPUT, "annotate: no annotation '%s' (there is unroll_max)",
                    key);
  }
  if (value < 0) {
    return tsl_fail(error, TSL_ERROR_INPUT, "annotate: unroll_max of loop '%s' is %lld, not a count",
                    loop->loop.var->name, (long long)value);
  }
  loop->loop.unroll_max = value;
  return TSL_OK;
}

/* ---- decompose_reduction ----------------------------------------------------------------- */

/* The loops from `loop` down to `block`, which must be nested directly (nothing but loops
 * between them); their count, or -1. */
static int loops_between(tsl_primfunc *func, tsl_stmt *loop, const tsl_stmt *block,
                         tsl_stmt **chain) {
  tsl_stmt *path[MAX_PATH];
  int length = path_to(&func->body, block, path, NULL, 0), start = -1;
  for (int i = 0; i < length; i++) {
    if (path[i] == loop) start = i;
  }
  if (start < 0) return -1;
  int count = 0;
  for (int i = start; i < length - 1; i++) {
    if (path[i]->kind != TSL_STMT_FOR || count >= TSL_SCH_MAX_LOOPS) return -1;
    chain[count++] = path[i];
  }
  return count;
}

static const tsl_var *fresh_var(tsl_primfunc *func, const tsl_var *like, const char *suffix) {
  char name[128];
  snprintf(name, sizeof(name), "%s%s", like->name, suffix);
  return tsl_primfunc_var(func, name, like->dtype);
}

tsl_status tsl_sch_decompose_reduction(tsl_primfunc *func, tsl_stmt *block, tsl_stmt *loop,
                                       tsl_stmt **init, tsl_error *error) {
  tsl_arena *arena = func->arena;
  if (block->kind != TSL_STMT_BLOCK || !block->block.init) {
    return tsl_fail(error, TSL_ERROR_INPUT, "decompose_reduction: not a block with an init");
  }
  tsl_stmt *chain[TSL_SCH_MAX_LOOPS];
  int depth = loops_between(func, loop, block, chain);
  if (depth < 0) {
    return tsl_fail(
        error, TSL_ERROR_INPUT,
        "decompose_reduction: the loop is not one of the loops directly around block '%s'",
        block->block.name);
  }
  /* The init runs once for each output: no reduction loop may run around it. */
  tsl_stmt *around[TSL_SCH_MAX_LOOPS];
  int num_around = tsl_sch_get_loops(func, block, around);
  for (int i = 0; i < num_around && around[i] != loop; i++) {
    binding_scan scan = {around[i]->loop.var, false, false};
    scan_bindings(block, &scan);
    if (scan.binds_reduce) {
      return tsl_fail(error, TSL_ERROR_INPUT,
                      "decompose_reduction: reduction loop '%s' of block '%s' runs around the loop",
                      around[i]->loop.var->name, block->block.name);
    }
  }
  /* The init runs where the predicate's parts in the loops it keeps hold; a part in reduction
   * loops below `loop` goes, as it holds on a reduction's first iteration (a split's
   * `index < extent` holds where the index is 0). */
  tsl_expr *parts[MAX_CONJUNCTS];
  int num_parts = tsl_conjuncts(block->block.predicate, parts, MAX_CONJUNCTS);
  if (num_parts < 0) {
    return tsl_fail(error, TSL_ERROR_INPUT,
                    "decompose_reduction: the predicate of block '%s' has more than %d parts",
                    block->block.name, MAX_CONJUNCTS);
  }
  bool kept[MAX_CONJUNCTS];
  for (int p = 0; p < num_parts; p++) {
    bool spatial = false, reduce = false;
    for (int i = 0; i < depth; i++) {
      if (!tsl_expr_uses_var(parts[p], chain[i]->loop.var)) continue;
      binding_scan scan = {chain[i]->loop.var, false, false};
      scan_bindings(block, &scan);
      spatial = spatial || !scan.binds_reduce;
      reduce = reduce || !scan.binds_spatial;
    }
    if (spatial && reduce) {
      return tsl_fail(error, TSL_ERROR_INPUT,
                      "decompose_reduction: the predicate of block '%s' ties a spatial loop to a "
                      "reduction loop, or uses a loop that binds neither",
                      block->block.name);
    }
    kept[p] = !reduce;
  }
  /* Copies of the loops that bind spatial variables (and only those). */
  var_map loop_copies = {0};
  tsl_stmt *copied[TSL_SCH_MAX_LOOPS];
  int num_copied = 0;
  for (int i = 0; i < depth; i++) {
    binding_scan scan = {chain[i]->loop.var, false, false};
    scan_bindings(block, &scan);
    if (scan.binds_reduce && scan.binds_spatial) {
      return tsl_fail(
          error, TSL_ERROR_INPUT,
          "decompose_reduction: loop '%s' binds spatial and reduction variables of block '%s'",
          chain[i]->loop.var->name, block->block.name);
    }
    if (!scan.binds_spatial) continue;
    tsl_var *var = (tsl_var *)fresh_var(func, chain[i]->loop.var, "_init");
    map_add(&loop_copies, chain[i]->loop.var, tsl_var_ref(arena, var));
    copied[num_copied++] = tsl_for(arena, var, chain[i]->loop.min, chain[i]->loop.extent,
                                   chain[i]->loop.loop_kind, NULL);
  }
  /* The init block: the spatial variables, bound through the copied loops. */
  tsl_block_iter iters[TSL_SCH_MAX_LOOPS];
  int num_iters = 0;
  var_map block_vars = {0};
  for (int i = 0; i < block->block.num_iters; i++) {
    const tsl_block_iter *iter = &block->block.iters[i];
    if (iter->kind != TSL_ITER_SPATIAL) continue;
    if (num_iters >= TSL_SCH_MAX_LOOPS)
      return tsl_fail(error, TSL_ERROR_INPUT, "decompose_reduction: too many variables");
    tsl_var *var = (tsl_var *)fresh_var(func, iter->var, "_init");
    iters[num_iters] = *iter;
    iters[num_iters].var = var;
    iters[num_iters++].binding = rewrite(arena, iter->binding, &loop_copies);
    map_add(&block_vars, iter->var, tsl_var_ref(arena, var));
  }
  /* The init's indices name the block's variables, and after cache_write_at the loops'. */
  tsl_stmt *init_body = block->block.init;
  rewrite_stmt(arena, init_body, &block_vars);
  rewrite_stmt(arena, init_body, &loop_copies);
  char name[256];
  snprintf(name, sizeof(name), "%s_init", block->block.name);
  tsl_stmt *init_block =
      tsl_block(arena, tsl_arena_strdup(arena, name), num_iters, iters, NULL, init_body);
  for (int p = 0; p < num_parts; p++) {
    if (kept[p]) tsl_block_add_predicate(arena, init_block, rewrite(arena, parts[p], &loop_copies));
  }
  tsl_stmt *nest = init_block;
  for (int i = num_copied - 1; i >= 0; i--) {
    copied[i]->loop.body = nest;
    nest = copied[i];
  }
  block->block.init = NULL;
  tsl_stmt **slot = slot_of(func, loop);
  tsl_stmt *both[2] = {nest, loop};
  *slot = tsl_seq(arena, 2, both);
  refresh_regions(func);
  if (init) *init = init_block;
  return TSL_OK;
}

/* ---- cache_write_at ---------------------------------------------------------------------- */

/* An index as Σ coefficient·variable + constant over loop variables. */
typedef struct linear {
  int count;
  const tsl_var *vars[TSL_SCH_MAX_LOOPS];
  int64_t coefficients[TSL_SCH_MAX_LOOPS];
  int64_t constant;
} linear;

static void linear_add(linear *form, const tsl_var *var, int64_t coefficient) {
  for (int i = 0; i < form->count; i++) {
    if (form->vars[i] == var) {
      form->coefficients[i] += coefficient;
      return;
    }
  }
  TSL_CHECK(form->count < TSL_SCH_MAX_LOOPS);
  form->vars[form->count] = var;
  form->coefficients[form->count++] = coefficient;
}

/* expr·scale added to *form; false when expr is not affine. */
static bool to_linear(const tsl_expr *expr, int64_t scale, linear *form) {
  switch (expr->kind) {
  case TSL_EXPR_INT: form->constant += expr->int_value * scale; return true;
  case TSL_EXPR_VAR: linear_add(form, expr->var, scale); return true;
  case TSL_EXPR_ADD:
    return to_linear(expr->op.a, scale, form) && to_linear(expr->op.b, scale, form);
  case TSL_EXPR_SUB:
    return to_linear(expr->op.a, scale, form) && to_linear(expr->op.b, -scale, form);
  case TSL_EXPR_MUL:
    if (expr->op.b->kind == TSL_EXPR_INT)
      return to_linear(expr->op.a, scale * expr->op.b->int_value, form);
    if (expr->op.a->kind == TSL_EXPR_INT)
      return to_linear(expr->op.b, scale * expr->op.a->int_value, form);
    return false;
  default: return false;
  }
}

/* The loops below the cached loop, by variable. */
typedef struct inner_loops {
  int count;
  const tsl_stmt *loops[MAX_PATH];
} inner_loops;

static void collect_loops(tsl_stmt *stmt, void *context) {
  inner_loops *inner = context;
  if (stmt->kind == TSL_STMT_FOR && inner->count < MAX_PATH) inner->loops[inner->count++] = stmt;
}

static const tsl_stmt *inner_loop(const inner_loops *inner, const tsl_var *var) {
  for (int i = 0; i < inner->count; i++) {
    if (inner->loops[i]->loop.var == var) return inner->loops[i];
  }
  return NULL;
}

/* How each access of the cached buffer splits, per axis, into the loop below the cached loop
 * that indexes it (one at most, with step 1) and the rest, which every access must share. */
typedef struct cache_scan {
  tsl_primfunc *func;
  tsl_buffer *buffer, *local; /* local: set for the rewrite */
  const inner_loops *inner;
  var_map bindings; /* block variables in scope → their bindings */
  bool seen;        /* an access was seen; `outer` holds its outer parts */
  linear outer[TSL_MAX_RANK];
  int64_t shape[TSL_MAX_RANK]; /* of the local buffer */
  const char *problem;
} cache_scan;

static bool same_linear(const linear *a, const linear *b) {
  if (a->constant != b->constant) return false;
  for (int i = 0; i < a->count; i++) {
    int64_t other = 0;
    for (int j = 0; j < b->count; j++) {
      if (b->vars[j] == a->vars[i]) other = b->coefficients[j];
    }
    if (other != a->coefficients[i]) return false;
  }
  for (int j = 0; j < b->count; j++) {
    bool seen = false;
    for (int i = 0; i < a->count; i++) seen = seen || a->vars[i] == b->vars[j];
    if (!seen && b->coefficients[j] != 0) return false;
  }
  return true;
}

/* The local buffer's indices for an access of the cached buffer at `indices`; NULL (with
 * scan->problem set) when the access does not fit. */
static tsl_expr **local_indices(cache_scan *scan, tsl_expr *const *indices) {
  tsl_arena *arena = scan->func->arena;
  int rank = scan->buffer->rank;
  tsl_expr **local = TSL_ARENA_ARRAY(arena, tsl_expr *, rank);
  for (int axis = 0; axis < rank; axis++) {
    tsl_expr *index = rewrite(arena, indices[axis], &scan->bindings);
    linear form = {0}, outer = {0};
    if (!to_linear(index, 1, &form)) {
      scan->problem = "an index is not affine in the loops";
      return NULL;
    }
    outer.constant = form.constant;
    const tsl_stmt *inner = NULL;
    for (int i = 0; i < form.count; i++) {
      if (form.coefficients[i] == 0) continue;
      const tsl_stmt *loop = inner_loop(scan->inner, form.vars[i]);
      if (!loop) {
        linear_add(&outer, form.vars[i], form.coefficients[i]);
      } else if (form.coefficients[i] != 1 || inner) {
        scan->problem =
            "an axis is indexed by more than one loop inside, or with a step other than 1";
        return NULL;
      } else {
        inner = loop;
      }
    }
    if (!scan->seen)
      scan->outer[axis] = outer;
    else if (!same_linear(&outer, &scan->outer[axis])) {
      scan->problem = "the accesses inside the loop reach different parts of the buffer";
      return NULL;
    }
    local[axis] = inner ? tsl_var_ref(arena, inner->loop.var) : tsl_index(arena, 0);
    if (inner) {
      int64_t end = inner->loop.min->int_value + inner->loop.extent->int_value;
      if (inner->loop.min->int_value < 0) {
        scan->problem = "a loop inside starts below 0";
        return NULL;
      }
      if (end > scan->shape[axis]) scan->shape[axis] = end;
    }
  }
  scan->seen = true;
  return local;
}

static tsl_expr *cached_load(tsl_expr *load, void *context) {
  cache_scan *scan = context;
  if (load->load.buffer != scan->buffer || scan->problem) return NULL;
  tsl_expr **indices = local_indices(scan, load->load.indices);
  if (!indices || !scan->local) return NULL;
  return tsl_load(scan->func->arena, scan->local, scan->buffer->rank, indices);
}

static tsl_expr *cached_expr(cache_scan *scan, tsl_expr *expr) {
  tsl_expr_rewriter rewriter = {NULL, cached_load, scan};
  tsl_expr *rewritten = tsl_expr_rewrite(scan->func->arena, expr, &rewriter);
  return scan->local ? rewritten : expr;
}

/* Checks every access of the cached buffer below `stmt` (scan->local NULL), or moves them to
 * the local buffer. */
static void visit_cached(cache_scan *scan, tsl_stmt *stmt) {
  if (!stmt || scan->problem) return;
  switch (stmt->kind) {
  case TSL_STMT_SEQ:
    for (int i = 0; i < stmt->seq.count; i++) visit_cached(scan, stmt->seq.items[i]);
    return;
  case TSL_STMT_FOR: visit_cached(scan, stmt->loop.body); return;
  case TSL_STMT_ALLOC: visit_cached(scan, stmt->alloc.body); return;
  case TSL_STMT_BLOCK: {
    var_map saved = scan->bindings;
    for (int i = 0; i < stmt->block.num_iters; i++) {
      map_add(&scan->bindings, stmt->block.iters[i].var, stmt->block.iters[i].binding);
    }
    visit_cached(scan, stmt->block.init);
    visit_cached(scan, stmt->block.body);
    scan->bindings = saved;
    return;
  }
  case TSL_STMT_STORE: {
    stmt->store.value = cached_expr(scan, stmt->store.value);
    for (int i = 0; i < stmt->store.num_indices; i++) {
      stmt->store.indices[i] = cached_expr(scan, stmt->store.indices[i]);
    }
    if (stmt->store.buffer != scan->buffer) return;
    tsl_expr **indices = local_indices(scan, stmt->store.indices);
    if (indices && scan->local) {
      stmt->store.buffer = scan->local;
      stmt->store.indices = indices;
    }
    return;
  }
  case TSL_STMT_IF:
    stmt->branch.condition = cached_expr(scan, stmt->branch.condition);
    visit_cached(scan, stmt->branch.then);
    visit_cached(scan, stmt->branch.otherwise);
    return;
  case TSL_STMT_EVAL: stmt->eval.value = cached_expr(scan, stmt->eval.value); return;
  }
}

static tsl_expr *linear_expr(tsl_arena *arena, const linear *form) {
  tsl_expr *value = form->constant ? tsl_index(arena, form->constant) : NULL;
  for (int i = 0; i < form->count; i++) {
    if (form->coefficients[i] == 0) continue;
    tsl_expr *term = tsl_var_ref(arena, (tsl_var *)form->vars[i]);
    if (form->coefficients[i] != 1)
      term = tsl_binary(arena, TSL_EXPR_MUL, term, tsl_index(arena, form->coefficients[i]));
    value = value ? tsl_binary(arena, TSL_EXPR_ADD, value, term) : term;
  }
  return value ? value : tsl_index(arena, 0);
}

/* start + var, without a start of 0. */
static tsl_expr *offset_var(tsl_arena *arena, tsl_expr *start, tsl_var *var) {
  tsl_expr *ref = tsl_var_ref(arena, var);
  return tsl_expr_is_int(start, 0) ? ref : tsl_binary(arena, TSL_EXPR_ADD, start, ref);
}

/* The blocks that read and that write a buffer (by their regions), and the first of each. */
typedef struct buffer_users {
  const tsl_buffer *buffer;
  int num_readers, num_writers;
  tsl_stmt *reader, *writer;
} buffer_users;

static bool in_regions(const tsl_region *regions, int count, const tsl_buffer *buffer) {
  for (int i = 0; i < count; i++) {
    if (regions[i].buffer == buffer) return true;
  }
  return false;
}

static void count_user(tsl_stmt *stmt, void *context) {
  buffer_users *users = context;
  if (stmt->kind != TSL_STMT_BLOCK) return;
  if (in_regions(stmt->block.reads, stmt->block.num_reads, users->buffer)) {
    if (users->num_readers++ == 0) users->reader = stmt;
  }
  if (in_regions(stmt->block.writes, stmt->block.num_writes, users->buffer)) {
    if (users->num_writers++ == 0) users->writer = stmt;
  }
}

static buffer_users users_of(tsl_stmt *stmt, const tsl_buffer *buffer) {
  buffer_users users = {.buffer = buffer};
  tsl_stmt_walk(stmt, count_user, &users);
  return users;
}

static bool is_param(const tsl_primfunc *func, const tsl_buffer *buffer) {
  for (int i = 0; i < func->num_params; i++) {
    if (func->params[i] == buffer) return true;
  }
  return false;
}

/* The parts of the block's predicate that the copy of a tile keeps, and the loop variable
 * (below the cached loop) that indexes each axis of the tile in the block's store. */
typedef struct predicate_at_tile {
  int count;
  tsl_expr *parts[MAX_CONJUNCTS];
  const tsl_var *axis_vars[TSL_MAX_RANK];
} predicate_at_tile;

/* The copy of a tile writes back only what the block wrote: the parts of its predicate in the
 * loops outside and those that index the tile, these becoming the copy's loops. A part in loops
 * inside that bind only reduction variables goes (it holds on a reduction's first iteration);
 * NULL, or what fails. */
static const char *copy_predicate(const cache_scan *scan, const tsl_stmt *block,
                                  predicate_at_tile *copied) {
  if (!block->block.predicate) return NULL;
  cache_scan probe = *scan;
  for (int i = 0; i < block->block.num_iters; i++)
    map_add(&probe.bindings, block->block.iters[i].var, block->block.iters[i].binding);
  tsl_expr **at = local_indices(&probe, block->block.body->store.indices);
  if (!at) return probe.problem;
  for (int axis = 0; axis < scan->buffer->rank; axis++)
    copied->axis_vars[axis] = at[axis]->kind == TSL_EXPR_VAR ? at[axis]->var : NULL;
  tsl_expr *parts[MAX_CONJUNCTS];
  int num_parts = tsl_conjuncts(block->block.predicate, parts, MAX_CONJUNCTS);
  if (num_parts < 0) return "its predicate has too many parts";
  for (int p = 0; p < num_parts; p++) {
    bool tile = false, reduce = false, other = false;
    for (int i = 0; i < scan->inner->count; i++) {
      const tsl_var *var = scan->inner->loops[i]->loop.var;
      if (!tsl_expr_uses_var(parts[p], var)) continue;
      bool indexes = false;
      for (int axis = 0; axis < scan->buffer->rank; axis++)
        indexes = indexes || copied->axis_vars[axis] == var;
      binding_scan bound = {var, false, false};
      scan_bindings((tsl_stmt *)block, &bound);
      tile = tile || indexes;
      reduce = reduce || (!indexes && bound.binds_reduce && !bound.binds_spatial);
      other = other || (!indexes && !(bound.binds_reduce && !bound.binds_spatial));
    }
    if (other || (tile && reduce))
      return "its predicate depends on a loop inside that neither indexes the tile nor only "
             "reduces";
    if (!reduce) copied->parts[copied->count++] = parts[p];
  }
  return NULL;
}

/* Loops over `shape` (variables named `prefix` and the axis, to loop_vars) around a block that
 * copies between `buffer` at start + the loops' variables, bound to the block's variables, and
 * `local` at the loops' variables: into the local buffer (a block named after the buffer with
 * "_read"), or back ("_write"). The block goes to *block. */
static tsl_stmt *copy_nest(tsl_primfunc *func, tsl_buffer *buffer, tsl_buffer *local,
                           const int64_t *shape, tsl_expr *const *start, const char *prefix,
                           bool back, tsl_var **loop_vars, tsl_stmt **block) {
  tsl_arena *arena = func->arena;
  int rank = buffer->rank;
  tsl_block_iter iters[TSL_MAX_RANK];
  tsl_expr *at_buffer[TSL_MAX_RANK], *at_local[TSL_MAX_RANK];
  for (int axis = 0; axis < rank; axis++) {
    char var_name[64];
    snprintf(var_name, sizeof(var_name), "%s%d", prefix, axis);
    loop_vars[axis] = tsl_primfunc_var(func, var_name, TSL_DTYPE_I64);
    snprintf(var_name, sizeof(var_name), "v%d", axis);
    iters[axis] = (tsl_block_iter){.var = tsl_primfunc_var(func, var_name, TSL_DTYPE_I64),
                                   .min = 0,
                                   .extent = buffer->shape[axis],
                                   .kind = TSL_ITER_SPATIAL,
                                   .binding = offset_var(arena, start[axis], loop_vars[axis])};
    at_buffer[axis] = tsl_var_ref(arena, iters[axis].var);
    at_local[axis] = tsl_var_ref(arena, loop_vars[axis]);
  }
  tsl_stmt *store =
      back ? tsl_store(arena, buffer, rank, at_buffer, tsl_load(arena, local, rank, at_local))
           : tsl_store(arena, local, rank, at_local, tsl_load(arena, buffer, rank, at_buffer));
  char name[256];
  snprintf(name, sizeof(name), "%s_%s", buffer->name, back ? "write" : "read");
  *block = tsl_block(arena, tsl_arena_strdup(arena, name), rank, iters, NULL, store);
  tsl_stmt *nest = *block;
  for (int axis = rank - 1; axis >= 0; axis--) {
    nest = tsl_for(arena, loop_vars[axis], tsl_index(arena, 0), tsl_index(arena, shape[axis]),
                   TSL_LOOP_SERIAL, nest);
  }
  return nest;
}

/* The copy of a cached tile between the buffer and the local one (copy_nest), where the
 * block's predicate held (`copied`). */
static tsl_stmt *tile_copy(tsl_primfunc *func, const cache_scan *scan,
                           const predicate_at_tile *copied, bool back, tsl_stmt **block) {
  tsl_arena *arena = func->arena;
  int rank = scan->buffer->rank;
  tsl_expr *start[TSL_MAX_RANK] = {0};
  for (int axis = 0; axis < rank; axis++) start[axis] = linear_expr(arena, &scan->outer[axis]);
  tsl_var *loop_vars[TSL_MAX_RANK];
  tsl_stmt *nest =
      copy_nest(func, scan->buffer, scan->local, scan->shape, start, "w", back, loop_vars, block);
  var_map at_copy = {0};
  for (int axis = 0; axis < rank; axis++) {
    if (copied->axis_vars[axis])
      map_add(&at_copy, copied->axis_vars[axis], tsl_var_ref(arena, loop_vars[axis]));
  }
  for (int p = 0; p < copied->count; p++)
    tsl_block_add_predicate(arena, *block, rewrite(arena, copied->parts[p], &at_copy));
  return nest;
}

tsl_status tsl_sch_cache_write_at(tsl_primfunc *func, tsl_stmt *block, tsl_stmt *loop,
                                  tsl_stmt **copy, tsl_error *error) {
  tsl_arena *arena = func->arena;
  if (block->kind != TSL_STMT_BLOCK || block->block.body->kind != TSL_STMT_STORE) {
    return tsl_fail(error, TSL_ERROR_INPUT, "cache_write: not a block whose body is a store");
  }
  tsl_stmt *loops[TSL_SCH_MAX_LOOPS];
  int num_loops = tsl_sch_get_loops(func, block, loops);
  bool around = false;
  for (int i = 0; i < num_loops; i++) around = around || loops[i] == loop;
  if (!around) {
    return tsl_fail(error, TSL_ERROR_INPUT, "cache_write: the loop is not around block '%s'",
                    block->block.name);
  }
  tsl_buffer *buffer = block->block.body->store.buffer;
  /* The copy after each iteration needs the buffer: a parameter, or allocated around loop. */
  bool param = is_param(func, buffer), allocated = false;
  tsl_stmt *path[MAX_PATH];
  int length = path_to(&func->body, loop, path, NULL, 0);
  for (int i = 0; i < length; i++) {
    allocated = allocated || (path[i]->kind == TSL_STMT_ALLOC && path[i]->alloc.buffer == buffer);
  }
  if (!param && !allocated) {
    return tsl_fail(error, TSL_ERROR_INPUT,
                    "cache_write: buffer '%s' is not allocated around the loop", buffer->name);
  }
  /* A reduction loop of the block outside: an iteration adds to what earlier ones wrote. */
  bool reduced_outside = false;
  for (int i = 0; i < num_loops && loops[i] != loop; i++) {
    binding_scan scan = {loops[i]->loop.var, false, false};
    scan_bindings(block, &scan);
    reduced_outside = reduced_outside || scan.binds_reduce;
  }
  {
    binding_scan scan = {loop->loop.var, false, false};
    scan_bindings(block, &scan);
    if (scan.binds_reduce) {
      return tsl_fail(
          error, TSL_ERROR_INPUT,
          "cache_write: loop '%s' reduces into block '%s'; cache at a loop above the reduction",
          loop->loop.var->name, block->block.name);
    }
  }
  /* A block that reads what it writes (a reduction's update) starts from the tile's values in
   * the buffer (a fill before the loop's body), unless its init runs below the loop (its own,
   * or an init block there) and no reduction loop runs outside. */
  bool fill = tsl_expr_loads(block->block.body->store.value, buffer) &&
              (reduced_outside ||
               (!block->block.init && users_of(loop->loop.body, buffer).num_writers < 2));
  inner_loops inner = {0};
  tsl_stmt_walk(loop->loop.body, collect_loops, &inner);
  for (int i = 0; i < inner.count; i++) {
    if (!is_constant(inner.loops[i]->loop.extent, NULL) ||
        !is_constant(inner.loops[i]->loop.min, NULL)) {
      return tsl_fail(error, TSL_ERROR_INPUT, "cache_write: loop '%s' inside has no constant range",
                      inner.loops[i]->loop.var->name);
    }
  }
  /* The function's variables in scope at `loop` stay bound when the scan adds the bindings of
   * the blocks inside. */
  cache_scan scan = {.func = func, .buffer = buffer, .inner = &inner};
  for (int axis = 0; axis < buffer->rank; axis++) scan.shape[axis] = 1;
  visit_cached(&scan, loop->loop.body);
  if (scan.problem) {
    return tsl_fail(error, TSL_ERROR_INPUT, "cache_write of '%s' in block '%s': %s", buffer->name,
                    block->block.name, scan.problem);
  }
  predicate_at_tile copied = {0};
  const char *problem = copy_predicate(&scan, block, &copied);
  if (problem) {
    return tsl_fail(error, TSL_ERROR_INPUT, "cache_write of '%s' in block '%s': %s", buffer->name,
                    block->block.name, problem);
  }
  char name[256];
  snprintf(name, sizeof(name), "%s_local", buffer->name);
  tsl_type type = tsl_type_make(buffer->dtype, buffer->rank, scan.shape);
  scan.local = tsl_primfunc_buffer(func, name, &type, TSL_SCOPE_LOCAL);
  scan.seen = false;
  visit_cached(&scan, loop->loop.body);
  TSL_CHECK(!scan.problem);
  tsl_stmt *copy_block, *fill_block, *steps[3];
  int num_steps = 0;
  if (fill) steps[num_steps++] = tile_copy(func, &scan, &copied, false, &fill_block);
  steps[num_steps++] = loop->loop.body;
  steps[num_steps++] = tile_copy(func, &scan, &copied, true, &copy_block);
  loop->loop.body = tsl_alloc(arena, scan.local, tsl_seq(arena, num_steps, steps));
  refresh_regions(func);
  if (copy) *copy = copy_block;
  return TSL_OK;
}
/* ---- reverse_compute_inline -------------------------------------------------------------- */

enum { MAX_INLINE_READS = 32 };

static bool is_spatial_block(const tsl_stmt *block) {
  if (block->block.init) return false;
  for (int i = 0; i < block->block.num_iters; i++) {
    if (block->block.iters[i].kind != TSL_ITER_SPATIAL) return false;
  }
  return true;
}

/* Whether `indices` are the block's variables, in order (0 standing for a variable that can
 * only be 0, as a broadcast writes it). */
static bool at_block_vars(const tsl_stmt *block, int num_indices, tsl_expr *const *indices) {
  if (num_indices != block->block.num_iters) return false;
  for (int i = 0; i < num_indices; i++) {
    const tsl_block_iter *iter = &block->block.iters[i];
    bool zero = indices[i]->kind == TSL_EXPR_INT && indices[i]->int_value == 0 && iter->min == 0 &&
                iter->extent == 1;
    if (!zero && (indices[i]->kind != TSL_EXPR_VAR || indices[i]->var != iter->var)) return false;
  }
  return true;
}

/* What the consumer's value reads: each buffer, and whether every load of it is at the
 * block's variables; whether it uses a variable that is not the block's. */
typedef struct consumer_reads {
  const tsl_stmt *block;
  int count;
  tsl_buffer *buffers[MAX_INLINE_READS];
  bool identity[MAX_INLINE_READS];
  bool too_many, foreign_var;
} consumer_reads;

static void scan_consumer(const tsl_expr *expr, void *context) {
  consumer_reads *reads = context;
  if (expr->kind == TSL_EXPR_VAR) {
    bool own = false;
    for (int i = 0; i < reads->block->block.num_iters; i++)
      own = own || reads->block->block.iters[i].var == expr->var;
    reads->foreign_var = reads->foreign_var || !own;
  }
  if (expr->kind != TSL_EXPR_LOAD) return;
  bool identity = at_block_vars(reads->block, expr->load.num_indices, expr->load.indices);
  for (int i = 0; i < reads->count; i++) {
    if (reads->buffers[i] == expr->load.buffer) {
      reads->identity[i] = reads->identity[i] && identity;
      return;
    }
  }
  if (reads->count == MAX_INLINE_READS) {
    reads->too_many = true;
    return;
  }
  reads->buffers[reads->count] = expr->load.buffer;
  reads->identity[reads->count++] = identity;
}

/* The consumer's value at the producer's store: its variables become the producer's indices
 * and its loads of the produced buffer the producer's value. */
typedef struct inline_rewrite {
  var_map at_producer;
  const tsl_buffer *buffer;
  tsl_expr *value;
} inline_rewrite;

static tsl_expr *producer_index(const tsl_var *var, void *context) {
  return mapped(var, &((inline_rewrite *)context)->at_producer);
}

static tsl_expr *producer_value(tsl_expr *load, void *context) {
  inline_rewrite *inlined = context;
  return load->load.buffer == inlined->buffer ? inlined->value : NULL;
}

static bool allocates(const tsl_stmt *stmt, const void *buffer) {
  return stmt->kind == TSL_STMT_ALLOC && stmt->alloc.buffer == buffer;
}

/* Takes items[index] out of a sequence (a sequence of one becomes its item). */
static void remove_item(tsl_primfunc *func, tsl_stmt *seq, int index) {
  tsl_stmt **slot = slot_of(func, seq);
  memmove(&seq->seq.items[index], &seq->seq.items[index + 1],
          sizeof(tsl_stmt *) * (size_t)(seq->seq.count - index - 1));
  seq->seq.count--;
  if (seq->seq.count == 1) *slot = seq->seq.items[0];
}

/* The produced buffer the consumer reads: the one buffer it loads that another block writes,
 * loaded only at the consumer's variables. NULL, with *problem set, when there is none. */
static tsl_buffer *produced_buffer(tsl_primfunc *func, tsl_stmt *consumer, const char **problem) {
  const tsl_stmt *store = consumer->block.body;
  consumer_reads reads = {.block = consumer};
  tsl_expr_walk(store->store.value, scan_consumer, &reads);
  if (reads.too_many) return *problem = "it reads too many buffers", NULL;
  if (reads.foreign_var) return *problem = "its value uses variables other than its own", NULL;
  tsl_buffer *produced = NULL;
  for (int i = 0; i < reads.count; i++) {
    if (reads.buffers[i] == store->store.buffer)
      return *problem = "it reads the buffer it writes", NULL;
    if (users_of(func->body, reads.buffers[i]).num_writers == 0) continue;
    if (produced) return *problem = "it reads more than one buffer that a block writes", NULL;
    if (!reads.identity[i])
      return *problem = "it reads the produced buffer at indices other than its variables", NULL;
    produced = reads.buffers[i];
  }
  if (!produced) *problem = "it reads no buffer that a block writes";
  return produced;
}

tsl_status tsl_sch_reverse_compute_inline(tsl_primfunc *func, tsl_stmt *consumer,
                                          tsl_error *error) {
  if (consumer->kind != TSL_STMT_BLOCK || consumer->block.body->kind != TSL_STMT_STORE ||
      !slot_of(func, consumer)) {
    return tsl_fail(error, TSL_ERROR_INPUT,
                    "reverse_compute_inline: not a block of function '%s' whose body is a store",
                    func->name);
  }
  const char *name = consumer->block.name, *problem = NULL;
  tsl_stmt *store = consumer->block.body;
  tsl_buffer *output = store->store.buffer, *buffer = NULL;
  if (!is_spatial_block(consumer))
    problem = "it reduces";
  else if (!at_block_vars(consumer, store->store.num_indices, store->store.indices))
    problem = "it does not store at its variables in order";
  else
    buffer = produced_buffer(func, consumer, &problem);
  if (problem)
    return tsl_fail(error, TSL_ERROR_INPUT,
                    "reverse_compute_inline: block '%s' cannot be inlined: %s", name, problem);
  buffer_users users = users_of(func->body, buffer);
  tsl_stmt *producer = users.writer;
  if (is_param(func, buffer))
    problem = "it is a parameter of the function";
  else if (users.num_writers != 1)
    problem = "more than one block writes it";
  else if (!is_spatial_block(producer) || producer->block.body->kind != TSL_STMT_STORE)
    problem = "the block that writes it reduces, or its body is not a store";
  else if (users.num_readers != 1)
    problem = "another block reads it too";
  else if (output->rank != buffer->rank ||
           memcmp(output->shape, buffer->shape, sizeof(int64_t) * (size_t)buffer->rank))
    problem = "the consumer's output has another shape";
  for (int i = 0; !problem && i < consumer->block.num_iters; i++) {
    const tsl_block_iter *iter = &consumer->block.iters[i];
    if (iter->min != 0 || iter->extent != buffer->shape[i])
      problem = "the consumer's variables do not range over its shape";
  }
  if (problem) {
    return tsl_fail(
        error, TSL_ERROR_INPUT,
        "reverse_compute_inline: block '%s' cannot be inlined into the producer of '%s': %s", name,
        buffer->name, problem);
  }
  /* The consumer's loops are a statement of a sequence that runs the producer in an earlier
   * one; the statements from there to the consumer's must leave its output alone. */
  tsl_stmt *path[MAX_PATH], *producer_path[MAX_PATH];
  int depth = path_to(&func->body, consumer, path, NULL, 0) - 2;
  while (depth >= 0 && path[depth]->kind == TSL_STMT_FOR) depth--;
  int producer_depth = path_to(&func->body, producer, producer_path, NULL, 0);
  tsl_stmt *seq = depth >= 0 ? path[depth] : NULL;
  int first = -1, last = -1;
  for (int i = 0; seq && seq->kind == TSL_STMT_SEQ && i < seq->seq.count; i++) {
    if (producer_depth > depth + 1 && producer_path[depth] == seq &&
        seq->seq.items[i] == producer_path[depth + 1])
      first = i;
    if (seq->seq.items[i] == path[depth + 1]) last = i;
  }
  if (first < 0 || last < first + 1) {
    return tsl_fail(
        error, TSL_ERROR_INPUT,
        "reverse_compute_inline: block '%s' does not run in its own loops after block '%s'", name,
        producer->block.name);
  }
  for (int i = first; i < last; i++) {
    buffer_users between = users_of(seq->seq.items[i], output);
    if (between.num_readers || between.num_writers) {
      return tsl_fail(error, TSL_ERROR_INPUT,
                      "reverse_compute_inline: a block between '%s' and '%s' uses '%s'",
                      producer->block.name, name, output->name);
    }
  }
  tsl_stmt *producer_store = producer->block.body;
  inline_rewrite inlined = {.buffer = buffer, .value = producer_store->store.value};
  for (int i = 0; i < consumer->block.num_iters; i++) {
    map_add(&inlined.at_producer, consumer->block.iters[i].var, producer_store->store.indices[i]);
  }
  tsl_expr_rewriter rewriter = {producer_index, producer_value, &inlined};
  producer_store->store.value = tsl_expr_rewrite(func->arena, store->store.value, &rewriter);
  producer_store->store.buffer = output;
  remove_item(func, seq, last);
  tsl_stmt *alloc = tsl_stmt_find(func->body, allocates, buffer);
  if (alloc) *slot_of(func, alloc) = alloc->alloc.body;
  refresh_regions(func);
  return TSL_OK;
}

/* ---- compute_inline ---------------------------------------------------------------------- */

/* The outermost of the loops nested directly around `block` (nothing else in them), or the
 * block itself; its depth in path[], which holds the path to the block. */
static int nest_top(tsl_primfunc *func, const tsl_stmt *block, tsl_stmt **path) {
  int depth = path_to(&func->body, block, path, NULL, 0) - 1;
  while (depth > 0 && path[depth - 1]->kind == TSL_STMT_FOR) depth--;
  return depth;
}

/* The position of `item` in a sequence; -1 when it is not one of its items. */
static int item_index(const tsl_stmt *seq, const tsl_stmt *item) {
  for (int i = 0; seq->kind == TSL_STMT_SEQ && i < seq->seq.count; i++) {
    if (seq->seq.items[i] == item) return i;
  }
  return -1;
}

/* Whether `writer` has finished, never to run again, when `stmt` starts: they are in items of
 * one sequence, writer's the earlier, and no loop or block runs around that sequence. */
static bool finished_before(tsl_primfunc *func, const tsl_stmt *writer, const tsl_stmt *stmt) {
  tsl_stmt *a[MAX_PATH], *b[MAX_PATH];
  int length_a = path_to(&func->body, writer, a, NULL, 0);
  int length_b = path_to(&func->body, stmt, b, NULL, 0), common = 0;
  while (common < length_a && common < length_b && a[common] == b[common]) common++;
  if (common == 0 || common == length_a || common == length_b) return false;
  for (int i = 0; i < common; i++) {
    if (a[i]->kind == TSL_STMT_FOR || a[i]->kind == TSL_STMT_BLOCK) return false;
  }
  const tsl_stmt *seq = a[common - 1];
  return item_index(seq, a[common]) >= 0 && item_index(seq, a[common]) < item_index(seq, b[common]);
}

/* The blocks that write (or read) a buffer. */
typedef struct block_list {
  const tsl_buffer *buffer;
  int count;
  tsl_stmt *blocks[MAX_PATH];
  bool too_many;
} block_list;

static void note_writer(tsl_stmt *stmt, void *context) {
  block_list *writers = context;
  if (stmt->kind != TSL_STMT_BLOCK ||
      !in_regions(stmt->block.writes, stmt->block.num_writes, writers->buffer))
    return;
  if (writers->count == MAX_PATH)
    writers->too_many = true;
  else
    writers->blocks[writers->count++] = stmt;
}

/* The first block that writes one of the buffers the value of `block` reads and may run after
 * `stmt` has started; NULL when there is none (*problem set when that cannot be told). */
static tsl_stmt *late_writer(tsl_primfunc *func, const consumer_reads *reads, const tsl_stmt *stmt,
                             tsl_buffer **buffer) {
  for (int i = 0; i < reads->count; i++) {
    block_list writers = {.buffer = reads->buffers[i]};
    tsl_stmt_walk(func->body, note_writer, &writers);
    for (int w = 0; w < writers.count; w++) {
      if (writers.too_many || !finished_before(func, writers.blocks[w], stmt)) {
        *buffer = reads->buffers[i];
        return writers.blocks[w];
      }
    }
  }
  return NULL;
}

/* Whether `buffer` is a parameter or allocated around `stmt`. */
static bool in_scope(tsl_primfunc *func, const tsl_buffer *buffer, const tsl_stmt *stmt) {
  if (is_param(func, buffer)) return true;
  tsl_stmt *path[MAX_PATH];
  int length = path_to(&func->body, stmt, path, NULL, 0);
  for (int i = 0; i < length; i++) {
    if (path[i]->kind == TSL_STMT_ALLOC && path[i]->alloc.buffer == buffer) return true;
  }
  return false;
}

static void note_reader(tsl_stmt *stmt, void *context) {
  block_list *readers = context;
  if (stmt->kind != TSL_STMT_BLOCK ||
      !in_regions(stmt->block.reads, stmt->block.num_reads, readers->buffer))
    return;
  if (readers->count == MAX_PATH)
    readers->too_many = true;
  else
    readers->blocks[readers->count++] = stmt;
}

/* The first buffer the value reads that is not in scope at one of the readers of `buffer`;
 * NULL when there is none. */
static const tsl_buffer *out_of_scope(tsl_primfunc *func, const consumer_reads *reads,
                                      const tsl_buffer *buffer) {
  block_list readers = {.buffer = buffer};
  tsl_stmt_walk(func->body, note_reader, &readers);
  for (int i = 0; i < reads->count; i++) {
    for (int r = 0; r < readers.count; r++) {
      if (readers.too_many || !in_scope(func, reads->buffers[i], readers.blocks[r]))
        return reads->buffers[i];
    }
  }
  return NULL;
}

/* A load of the inlined buffer becomes the inlined block's value at the load's indices. */
typedef struct inline_load {
  tsl_arena *arena;
  const tsl_stmt *block;
  const tsl_buffer *buffer;
  tsl_expr *value;
} inline_load;

static tsl_expr *inlined_value(tsl_expr *load, void *context) {
  inline_load *inlined = context;
  if (load->load.buffer != inlined->buffer) return NULL;
  var_map at_load = {0};
  for (int i = 0; i < inlined->block->block.num_iters; i++)
    map_add(&at_load, inlined->block->block.iters[i].var, load->load.indices[i]);
  return rewrite(inlined->arena, inlined->value, &at_load);
}

/* Why `block` cannot be inlined; NULL when it can. */
static const char *inline_problem(tsl_primfunc *func, tsl_stmt *block, consumer_reads *reads) {
  tsl_stmt *store = block->block.body;
  tsl_buffer *buffer = store->store.buffer;
  if (!is_spatial_block(block)) return "it reduces";
  if (!at_block_vars(block, store->store.num_indices, store->store.indices))
    return "it does not store at its variables in order";
  if (is_param(func, buffer)) return "the buffer it writes is a parameter of the function";
  if (users_of(func->body, buffer).num_writers != 1) return "another block writes its buffer too";
  for (int i = 0; i < block->block.num_iters; i++) {
    const tsl_block_iter *iter = &block->block.iters[i];
    if (iter->min != 0 || iter->extent != buffer->shape[i])
      return "its variables do not range over its buffer's shape";
  }
  tsl_expr_walk(store->store.value, scan_consumer, reads);
  if (reads->too_many) return "it reads too many buffers";
  if (reads->foreign_var) return "its value uses variables other than its own";
  if (tsl_expr_loads(store->store.value, buffer)) return "it reads the buffer it writes";
  return NULL;
}

tsl_status tsl_sch_compute_inline(tsl_primfunc *func, tsl_stmt *block, tsl_error *error) {
  if (block->kind != TSL_STMT_BLOCK || block->block.body->kind != TSL_STMT_STORE ||
      !slot_of(func, block)) {
    return tsl_fail(error, TSL_ERROR_INPUT,
                    "compute_inline: not a block of function '%s' whose body is a store",
                    func->name);
  }
  const char *name = block->block.name;
  consumer_reads reads = {.block = block};
  const char *problem = inline_problem(func, block, &reads);
  if (problem)
    return tsl_fail(error, TSL_ERROR_INPUT, "compute_inline: block '%s' cannot be inlined: %s",
                    name, problem);
  tsl_stmt *path[MAX_PATH];
  int top = nest_top(func, block, path);
  int index = top > 0 ? item_index(path[top - 1], path[top]) : -1;
  if (index < 0) {
    return tsl_fail(error, TSL_ERROR_INPUT,
                    "compute_inline: the loops of block '%s' are not a statement of a sequence",
                    name);
  }
  /* Its value is computed where it is read: what it reads must not change in between. */
  tsl_buffer *changed = NULL;
  tsl_stmt *writer = late_writer(func, &reads, path[top], &changed);
  if (writer) {
    return tsl_fail(error, TSL_ERROR_INPUT,
                    "compute_inline: block '%s' reads '%s', which block '%s' may write after it",
                    name, changed->name, writer->block.name);
  }
  tsl_buffer *buffer = block->block.body->store.buffer;
  const tsl_buffer *unseen = out_of_scope(func, &reads, buffer);
  if (unseen) {
    return tsl_fail(error, TSL_ERROR_INPUT,
                    "compute_inline: block '%s' reads '%s', which is not allocated around a "
                    "block that reads '%s'",
                    name, unseen->name, buffer->name);
  }
  inline_load inlined = {func->arena, block, buffer, block->block.body->store.value};
  tsl_expr_rewriter rewriter = {NULL, inlined_value, &inlined};
  remove_item(func, path[top - 1], index);
  rewrite_exprs(func->arena, func->body, &rewriter);
  tsl_stmt *alloc = tsl_stmt_find(func->body, allocates, buffer);
  if (alloc) *slot_of(func, alloc) = alloc->alloc.body;
  refresh_regions(func);
  return TSL_OK;
}

/* ---- what one iteration of a loop touches ------------------------------------------------ */

/* What the accesses of a buffer below a loop reach in one of its iterations: per axis
 * [outer + low, outer + high], where outer, the same linear form for every access, is in the
 * variables that stay fixed during the iteration and low and high come from the ranges of the
 * loops inside (`inner`). */
typedef struct loop_region {
  const tsl_buffer *buffer;
  const inner_loops *inner;
  bool writes; /* stores are the accesses, else loads */
  bool seen;
  linear outer[TSL_MAX_RANK];
  int64_t low[TSL_MAX_RANK], high[TSL_MAX_RANK];
  const char *problem;
  tsl_arena *arena;
  var_map *bindings; /* of the block being scanned */
  tsl_buffer *local; /* cache_read's copy */
  /* Sides of each axis where the region may leave the buffer, which only predicated accesses
   * allow: the predicate keeps the accesses that run inside, and the part is clipped. */
  bool clip_low[TSL_MAX_RANK], clip_high[TSL_MAX_RANK];
} loop_region;

/* An index, in loop variables, split into its part in the loops inside and the rest; false
 * when it is not affine. */
static bool split_index(const loop_region *region, tsl_expr *index, linear *inside, linear *outer) {
  linear form = {0};
  if (!to_linear(rewrite(region->arena, index, region->bindings), 1, &form)) return false;
  *inside = (linear){.constant = form.constant};
  *outer = (linear){0};
  for (int i = 0; i < form.count; i++) {
    if (form.coefficients[i] == 0) continue;
    linear_add(inner_loop(region->inner, form.vars[i]) ? inside : outer, form.vars[i],
               form.coefficients[i]);
  }
  return true;
}

static void region_add(loop_region *region, tsl_expr *const *indices) {
  for (int axis = 0; axis < region->buffer->rank && !region->problem; axis++) {
    linear inside, outer;
    if (!split_index(region, indices[axis], &inside, &outer)) {
      region->problem = "an index is not affine in the loops";
      return;
    }
    int64_t low = inside.constant, high = inside.constant;
    for (int i = 0; i < inside.count; i++) {
      const tsl_stmt *loop = inner_loop(region->inner, inside.vars[i]);
      int64_t min, extent, c = inside.coefficients[i];
      if (!is_constant(loop->loop.min, &min) || !is_constant(loop->loop.extent, &extent) ||
          extent < 1) {
        region->problem = "a loop inside does not run over a constant range";
        return;
      }
      int64_t first = c * min, last = c * (min + extent - 1);
      low += first < last ? first : last;
      high += first < last ? last : first;
    }
    if (!region->seen) {
      region->outer[axis] = outer;
      region->low[axis] = low;
      region->high[axis] = high;
    } else if (!same_linear(&outer, &region->outer[axis])) {
      region->problem = "its accesses move differently with the loops outside";
      return;
    } else {
      if (low < region->low[axis]) region->low[axis] = low;
      if (high > region->high[axis]) region->high[axis] = high;
    }
  }
  region->seen = true;
}

static void note_load(const tsl_expr *expr, void *context) {
  loop_region *region = context;
  if (expr->kind == TSL_EXPR_LOAD && expr->load.buffer == region->buffer && !region->writes)
    region_add(region, expr->load.indices);
}

static void scan_accesses(loop_region *region, const tsl_stmt *stmt) {
  if (!stmt) return;
  switch (stmt->kind) {
  case TSL_STMT_SEQ:
    for (int i = 0; i < stmt->seq.count; i++) scan_accesses(region, stmt->seq.items[i]);
    return;
  case TSL_STMT_FOR:
    tsl_expr_walk(stmt->loop.min, note_load, region);
    tsl_expr_walk(stmt->loop.extent, note_load, region);
    scan_accesses(region, stmt->loop.body);
    return;
  case TSL_STMT_BLOCK: region->problem = "a block is nested in a block"; return;
  case TSL_STMT_STORE:
    for (int i = 0; i < stmt->store.num_indices; i++)
      tsl_expr_walk(stmt->store.indices[i], note_load, region);
    tsl_expr_walk(stmt->store.value, note_load, region);
    if (region->writes && stmt->store.buffer == region->buffer)
      region_add(region, stmt->store.indices);
    return;
  case TSL_STMT_IF:
    tsl_expr_walk(stmt->branch.condition, note_load, region);
    scan_accesses(region, stmt->branch.then);
    scan_accesses(region, stmt->branch.otherwise);
    return;
  case TSL_STMT_ALLOC: scan_accesses(region, stmt->alloc.body); return;
  case TSL_STMT_EVAL: tsl_expr_walk(stmt->eval.value, note_load, region); return;
  }
}

/* Adds the accesses of a block, its variables standing for their bindings. */
static void region_add_block(loop_region *region, const tsl_stmt *block) {
  var_map bindings = {0};
  for (int i = 0; i < block->block.num_iters; i++)
    map_add(&bindings, block->block.iters[i].var, block->block.iters[i].binding);
  region->bindings = &bindings;
  scan_accesses(region, block->block.init);
  scan_accesses(region, block->block.body);
  region->bindings = NULL;
}

static void add_block_accesses(tsl_stmt *stmt, void *context) {
  loop_region *region = context;
  if (stmt->kind == TSL_STMT_BLOCK && !region->problem) region_add_block(region, stmt);
}

/* The loops on the path to `stmt` (it included, when a loop); their count. */
static int loops_above(tsl_primfunc *func, const tsl_stmt *stmt, tsl_stmt **loops) {
  tsl_stmt *path[MAX_PATH];
  int length = path_to(&func->body, stmt, path, NULL, 0), count = 0;
  for (int i = 0; i < length && count < TSL_SCH_MAX_LOOPS; i++) {
    if (path[i]->kind == TSL_STMT_FOR) loops[count++] = path[i];
  }
  return count;
}

/* Whether axis `axis` of the region stays in [min, max] for every value of the loops around
 * (`loops`, which must bind every variable of its outer part over constant ranges). */
static bool region_within(const loop_region *region, int axis, tsl_stmt *const *loops, int count,
                          int64_t min, int64_t max) {
  const linear *outer = &region->outer[axis];
  int64_t least = region->low[axis], most = region->high[axis];
  for (int i = 0; i < outer->count; i++) {
    int64_t c = outer->coefficients[i], start, extent;
    const tsl_stmt *loop = NULL;
    for (int l = 0; l < count; l++) {
      if (loops[l]->loop.var == outer->vars[i]) loop = loops[l];
    }
    if (c == 0) continue;
    if (!loop || !is_constant(loop->loop.min, &start) || !is_constant(loop->loop.extent, &extent) ||
        extent < 1)
      return false;
    int64_t first = c * start, last = c * (start + extent - 1);
    least += first < last ? first : last;
    most += first < last ? last : first;
  }
  return least >= min && most <= max;
}

/* The start of axis `axis` of the region: outer + low. */
static tsl_expr *region_start(tsl_arena *arena, const loop_region *region, int axis) {
  linear start = region->outer[axis];
  start.constant = region->low[axis];
  return linear_expr(arena, &start);
}

static bool has_predicate(const tsl_stmt *stmt, const void *key) {
  (void)key;
  return stmt->kind == TSL_STMT_BLOCK && stmt->block.predicate;
}

/* Whether every axis of the region stays inside the buffer for every value of `loops`. Where it
 * may not, the sides to clip are marked, which is fine when `clippable`: the accesses are
 * predicated, and those that run stay inside the buffer as they did before the schedule. */
static bool region_inside(loop_region *region, tsl_stmt *const *loops, int count, bool clippable) {
  for (int axis = 0; axis < region->buffer->rank; axis++) {
    int64_t last = region->buffer->shape[axis] - 1;
    region->clip_low[axis] = !region_within(region, axis, loops, count, 0, INT64_MAX);
    region->clip_high[axis] = !region_within(region, axis, loops, count, INT64_MIN, last);
    if ((region->clip_low[axis] || region->clip_high[axis]) && !clippable) return false;
  }
  return true;
}

/* Makes `block` run only where `position`, along the region's axis, is inside the buffer, on
 * the sides the region may leave it. */
static void clip_block(tsl_arena *arena, tsl_stmt *block, const loop_region *region, int axis,
                       tsl_expr *position) {
  if (region->clip_low[axis])
    tsl_block_add_predicate(arena, block,
                            tsl_binary(arena, TSL_EXPR_GE, position, tsl_index(arena, 0)));
  if (region->clip_high[axis]) {
    tsl_expr *end = tsl_index(arena, region->buffer->shape[axis]);
    tsl_block_add_predicate(arena, block, tsl_binary(arena, TSL_EXPR_LT, position, end));
  }
}

/* ---- compute_at and reverse_compute_at --------------------------------------------------- */

/* Whether a block's region of a buffer is at its spatial variables in order (a 0 standing for
 * a variable of extent 1), which range over the buffer's whole shape. */
static bool region_is_domain(const tsl_stmt *block, const tsl_region *region) {
  const tsl_buffer *buffer = region->buffer;
  int axis = 0;
  for (int i = 0; i < block->block.num_iters; i++) {
    const tsl_block_iter *iter = &block->block.iters[i];
    if (iter->kind != TSL_ITER_SPATIAL) continue;
    if (axis == buffer->rank || iter->min != 0 || iter->extent != buffer->shape[axis]) return false;
    const tsl_expr *min = region->min[axis];
    bool zero = tsl_expr_is_int(min, 0) && iter->extent == 1;
    if (!tsl_expr_is_int(region->extent[axis], 1) ||
        (!zero && (min->kind != TSL_EXPR_VAR || min->var != iter->var)))
      return false;
    axis++;
  }
  return axis == buffer->rank;
}

/* Whether the loops `chain` bind the block's variables one to one: each variable is the
 * variable of its own loop, which runs over the variable's domain. The loop of each variable
 * goes to loop_of. */
static bool binds_directly(tsl_stmt *const *chain, int count, const tsl_stmt *block,
                           tsl_stmt **loop_of) {
  if (count != block->block.num_iters) return false;
  for (int i = 0; i < count; i++) {
    const tsl_block_iter *iter = &block->block.iters[i];
    loop_of[i] = NULL;
    for (int l = 0; l < count; l++) {
      if (iter->binding->kind == TSL_EXPR_VAR && iter->binding->var == chain[l]->loop.var)
        loop_of[i] = chain[l];
    }
    for (int j = 0; j < i; j++) {
      if (loop_of[j] == loop_of[i]) return false;
    }
    int64_t min, extent;
    if (!loop_of[i] || !is_constant(loop_of[i]->loop.min, &min) ||
        !is_constant(loop_of[i]->loop.extent, &extent) || min != iter->min ||
        extent != iter->extent)
      return false;
  }
  return true;
}

/* A block that moves under a loop: its loops are items[moved] of `seq`, and the loop is below
 * items[target]. */
typedef struct move {
  tsl_stmt *path[MAX_PATH]; /* to the block */
  int top;                  /* its outermost loop in path */
  tsl_stmt *seq;
  int moved, target;
  tsl_stmt *loop_of[TSL_SCH_MAX_LOOPS]; /* per variable of the block */
  tsl_stmt *around[MAX_PATH];           /* the loops from items[target] down to the loop */
  int num_around;
} move;

/* Fills `where` for a block whose loops run before the loop's (`after`: the loop runs after
 * them), or after; NULL when that holds, else what does not. */
static const char *move_problem(tsl_primfunc *func, tsl_stmt *block, tsl_stmt *loop, move *where,
                                bool after) {
  int depth = path_to(&func->body, block, where->path, NULL, 0) - 1, top = depth;
  while (top > 0 && where->path[top - 1]->kind == TSL_STMT_FOR) top--;
  where->top = top;
  where->moved = top > 0 ? item_index(where->path[top - 1], where->path[top]) : -1;
  if (where->moved < 0) return "its loops are not a statement of a sequence";
  where->seq = where->path[top - 1];
  if (!binds_directly(where->path + top, depth - top, block, where->loop_of))
    return "its loops do not bind its variables one to one over their domains";
  for (int d = top; d < depth && block->block.predicate; d++) {
    if (tsl_expr_uses_var(block->block.predicate, where->path[d]->loop.var))
      return "its predicate depends on its loops, which move with it";
  }
  tsl_stmt *loop_path[MAX_PATH];
  int length = path_to(&func->body, loop, loop_path, NULL, 0);
  where->target = length > top && loop_path[top - 1] == where->seq
                      ? item_index(where->seq, loop_path[top])
                      : -1;
  if (after && where->target <= where->moved)
    return "the loop does not run after its loops in their sequence";
  if (!after && (where->target < 0 || where->target >= where->moved))
    return "the loop does not run before its loops in their sequence";
  where->num_around = 0;
  for (int d = top; d < length; d++) {
    if (loop_path[d]->kind == TSL_STMT_BLOCK) return "the loop is inside a block";
    if (loop_path[d]->kind != TSL_STMT_FOR) continue;
    tsl_loop_kind kind = loop_path[d]->loop.loop_kind;
    if (kind == TSL_LOOP_PARALLEL || kind == TSL_LOOP_VECTORIZED)
      return "the loop, or one around it inside the sequence, is parallel or vectorized";
    where->around[where->num_around++] = loop_path[d];
  }
  return NULL;
}

/* Whether a block in items[first … last] of the sequence writes a buffer `block` reads, other
 * than `except`. */
static bool inputs_written(const tsl_stmt *block, const tsl_buffer *except, tsl_stmt *seq,
                           int first, int last) {
  for (int r = 0; r < block->block.num_reads; r++) {
    const tsl_buffer *buffer = block->block.reads[r].buffer;
    for (int i = first; i <= last && buffer != except; i++) {
      if (users_of(seq->seq.items[i], buffer).num_writers) return true;
    }
  }
  return false;
}

/* Whether the iterations of `loop` reach disjoint parts of the region: along some axis its
 * step is at least the region's extent plus the span of the other loops in `loops`. */
static bool iterations_disjoint(const loop_region *region, const tsl_stmt *loop,
                                tsl_stmt *const *loops, int count) {
  for (int axis = 0; axis < region->buffer->rank; axis++) {
    const linear *outer = &region->outer[axis];
    int64_t step = 0, span = region->high[axis] - region->low[axis] + 1;
    for (int i = 0; i < outer->count; i++) {
      int64_t c = outer->coefficients[i] < 0 ? -outer->coefficients[i] : outer->coefficients[i];
      if (outer->vars[i] == loop->loop.var) {
        step = c;
        continue;
      }
      for (int l = 0; l < count; l++) {
        int64_t extent;
        if (loops[l]->loop.var != outer->vars[i]) continue;
        if (!is_constant(loops[l]->loop.extent, &extent)) return false;
        span += c * (extent - 1);
      }
    }
    if (step && step >= span) return true;
  }
  return false;
}

/* Gives the block's spatial variables the region's ranges: the loop of each runs over the
 * extent, and the variable is bound to the start plus the loop's variable. */
static void bind_to_region(tsl_arena *arena, tsl_stmt *block, const move *where,
                           const loop_region *region) {
  int axis = 0;
  for (int i = 0; i < block->block.num_iters; i++) {
    tsl_block_iter *iter = &block->block.iters[i];
    if (iter->kind != TSL_ITER_SPATIAL) continue;
    tsl_stmt *loop = where->loop_of[i];
    loop->loop.min = tsl_index(arena, 0);
    loop->loop.extent = tsl_index(arena, region->high[axis] - region->low[axis] + 1);
    iter->binding = offset_var(arena, region_start(arena, region, axis), loop->loop.var);
    clip_block(arena, block, region, axis, iter->binding);
    axis++;
  }
}

/* The loop's body with `nest` first (or last). */
static tsl_stmt *with_nest(tsl_arena *arena, tsl_stmt *body, tsl_stmt *nest, bool first) {
  int count = body->kind == TSL_STMT_SEQ ? body->seq.count : 1, start = first ? 1 : 0;
  tsl_stmt **items = TSL_ARENA_ARRAY(arena, tsl_stmt *, count + 1);
  if (body->kind == TSL_STMT_SEQ)
    memcpy(items + start, body->seq.items, sizeof(tsl_stmt *) * (size_t)count);
  else
    items[start] = body;
  items[first ? 0 : count] = nest;
  return tsl_seq(arena, count + 1, items);
}

/* Checks compute_at's preconditions; NULL when they hold, else what fails. */
static const char *compute_at_problem(tsl_primfunc *func, tsl_stmt *block, tsl_stmt *loop,
                                      move *where, loop_region *region) {
  if (block->block.num_writes != 1 || !region_is_domain(block, &block->block.writes[0]))
    return "it does not write one buffer at its spatial variables in order, over its shape";
  tsl_buffer *buffer = block->block.writes[0].buffer;
  if (is_param(func, buffer)) return "the buffer it writes is a parameter of the function";
  buffer_users all = users_of(func->body, buffer), below = users_of(loop->loop.body, buffer);
  int own = in_regions(block->block.reads, block->block.num_reads, buffer);
  if (all.num_writers != 1) return "another block writes its buffer too";
  if (below.num_readers == 0) return "no block below the loop reads its buffer";
  if (all.num_readers - own != below.num_readers)
    return "a block that reads its buffer is not below the loop";
  const char *problem = move_problem(func, block, loop, where, true);
  if (problem) return problem;
  /* It will run later: nothing in between may write what it reads. */
  if (inputs_written(block, buffer, where->seq, where->moved + 1, where->target))
    return "a block between its loops and the loop writes a buffer it reads";
  region->buffer = buffer;
  tsl_stmt_walk(loop->loop.body, add_block_accesses, region);
  if (region->problem) return region->problem;
  tsl_stmt *outside[TSL_SCH_MAX_LOOPS];
  int num_outside = loops_above(func, loop, outside);
  if (!region_inside(region, outside, num_outside,
                     tsl_stmt_find(loop->loop.body, has_predicate, NULL) != NULL))
    return "the part of its buffer an iteration reads may reach outside the buffer";
  /* A reduction run again over the same outputs by another iteration, as a parallel or
   * vectorised loop would, starts from its init again. */
  bool reduces = block->block.init != NULL;
  for (int i = 0; i < block->block.num_iters; i++)
    reduces = reduces || block->block.iters[i].kind == TSL_ITER_REDUCE;
  for (int i = 0; reduces && i < where->num_around; i++) {
    int64_t extent;
    if (is_constant(where->around[i]->loop.extent, &extent) && extent == 1) continue;
    if (!iterations_disjoint(region, where->around[i], where->around, where->num_around))
      return "it reduces, and iterations of the loops down to the loop would compute the same "
             "outputs";
  }
  return NULL;
}

tsl_status tsl_sch_compute_at(tsl_primfunc *func, tsl_stmt *block, tsl_stmt *loop,
                              tsl_error *error) {
  if (block->kind != TSL_STMT_BLOCK || !slot_of(func, block))
    return tsl_fail(error, TSL_ERROR_INPUT, "compute_at: not a block of function '%s'", func->name);
  if (loop->kind != TSL_STMT_FOR || !slot_of(func, loop))
    return tsl_fail(error, TSL_ERROR_INPUT, "compute_at: not a loop of function '%s'", func->name);
  move where;
  inner_loops inner = {0};
  tsl_stmt_walk(loop->loop.body, collect_loops, &inner);
  loop_region region = {.inner = &inner, .arena = func->arena};
  const char *problem = compute_at_problem(func, block, loop, &where, &region);
  if (problem) {
    return tsl_fail(error, TSL_ERROR_INPUT, "compute_at of block '%s' at loop '%s': %s",
                    block->block.name, loop->loop.var->name, problem);
  }
  tsl_stmt *nest = where.path[where.top];
  bind_to_region(func->arena, block, &where, &region);
  remove_item(func, where.seq, where.moved);
  loop->loop.body = with_nest(func->arena, loop->loop.body, nest, true);
  refresh_regions(func);
  return TSL_OK;
}

bool tsl_sch_can_compute_at(tsl_primfunc *func, tsl_stmt *block, tsl_stmt *loop) {
  if (block->kind != TSL_STMT_BLOCK || !slot_of(func, block) || loop->kind != TSL_STMT_FOR ||
      !slot_of(func, loop))
    return false;
  move where;
  inner_loops inner = {0};
  tsl_stmt_walk(loop->loop.body, collect_loops, &inner);
  loop_region region = {.inner = &inner, .arena = func->arena};
  return compute_at_problem(func, block, loop, &where, &region) == NULL;
}

/* Checks reverse_compute_at's preconditions; NULL when they hold, else what fails. */
static const char *reverse_compute_at_problem(tsl_primfunc *func, tsl_stmt *block, tsl_stmt *loop,
                                              move *where, loop_region *region) {
  if (!is_spatial_block(block)) return "it reduces";
  const char *problem = move_problem(func, block, loop, where, false);
  if (problem) return problem;
  const tsl_region *read = NULL;
  for (int r = 0; r < block->block.num_reads; r++) {
    if (!users_of(loop->loop.body, block->block.reads[r].buffer).num_writers) continue;
    if (read) return "it reads more than one buffer that blocks below the loop write";
    read = &block->block.reads[r];
  }
  if (!read) return "it reads no buffer that a block below the loop writes";
  tsl_buffer *buffer = read->buffer;
  if (!region_is_domain(block, read))
    return "it reads the produced buffer at indices other than its variables in order";
  buffer_users all = users_of(func->body, buffer);
  if (all.num_writers != 1) return "another block writes the buffer it reads too";
  tsl_stmt *producer = all.writer;
  if (producer->block.num_writes != 1 || !region_is_domain(producer, &producer->block.writes[0]))
    return "the block below the loop does not write its buffer at its spatial variables in "
           "order, over its shape";
  /* What an iteration produces must be final by its end. */
  tsl_stmt *outside[TSL_SCH_MAX_LOOPS];
  int num_outside = loops_above(func, loop, outside);
  for (int i = 0; i < num_outside; i++) {
    binding_scan scan = {outside[i]->loop.var, false, false};
    scan_bindings(producer, &scan);
    if (scan.binds_reduce) return "the block it reads reduces over the loop or one around it";
  }
  /* It will run earlier: nothing in between may write what it reads or use what it writes. */
  if (inputs_written(block, buffer, where->seq, where->target, where->moved - 1))
    return "a block between the loop and its loops writes a buffer it reads";
  for (int w = 0; w < block->block.num_writes; w++) {
    for (int i = where->target; i < where->moved; i++) {
      buffer_users between = users_of(where->seq->seq.items[i], block->block.writes[w].buffer);
      if (between.num_readers || between.num_writers)
        return "a block between the loop and its loops uses what it writes";
    }
  }
  region->buffer = buffer;
  region->writes = true;
  region_add_block(region, producer);
  if (region->problem) return region->problem;
  if (!region_inside(region, outside, num_outside, producer->block.predicate != NULL))
    return "the part of the buffer an iteration writes may reach outside the buffer";
  return NULL;
}

tsl_status tsl_sch_reverse_compute_at(tsl_primfunc *func, tsl_stmt *block, tsl_stmt *loop,
                                      tsl_error *error) {
  if (block->kind != TSL_STMT_BLOCK || !slot_of(func, block))
    return tsl_fail(error, TSL_ERROR_INPUT, "reverse_compute_at: not a block of function '%s'",
                    func->name);
  if (loop->kind != TSL_STMT_FOR || !slot_of(func, loop))
    return tsl_fail(error, TSL_ERROR_INPUT, "reverse_compute_at: not a loop of function '%s'",
                    func->name);
  move where;
  inner_loops inner = {0};
  tsl_stmt_walk(loop->loop.body, collect_loops, &inner);
  loop_region region = {.inner = &inner, .arena = func->arena};
  const char *problem = reverse_compute_at_problem(func, block, loop, &where, &region);
  if (problem) {
    return tsl_fail(error, TSL_ERROR_INPUT, "reverse_compute_at of block '%s' at loop '%s': %s",
                    block->block.name, loop->loop.var->name, problem);
  }
  tsl_stmt *nest = where.path[where.top];
  bind_to_region(func->arena, block, &where, &region);
  remove_item(func, where.seq, where.moved);
  loop->loop.body = with_nest(func->arena, loop->loop.body, nest, false);
  refresh_regions(func);
  return TSL_OK;
}

/* ---- cache_read -------------------------------------------------------------------------- */

/* A load of the cached buffer becomes a load of the local one at the part of its indices in
 * the loops inside, less the region's start. */
static tsl_expr *local_load(tsl_expr *load, void *context) {
  loop_region *region = context;
  if (load->load.buffer != region->buffer) return NULL;
  tsl_expr *indices[TSL_MAX_RANK];
  for (int axis = 0; axis < region->buffer->rank; axis++) {
    linear inside, outer;
    TSL_CHECK(split_index(region, load->load.indices[axis], &inside, &outer));
    inside.constant -= region->low[axis];
    indices[axis] = linear_expr(region->arena, &inside);
  }
  return tsl_load(region->arena, region->local, region->buffer->rank, indices);
}

/* Checks cache_read's preconditions; NULL when they hold, else what fails. */
static const char *cache_read_problem(tsl_primfunc *func, tsl_stmt *block, tsl_stmt *loop,
                                      loop_region *region) {
  tsl_stmt *loops[TSL_SCH_MAX_LOOPS];
  int num_loops = tsl_sch_get_loops(func, block, loops), index = -1;
  for (int i = 0; i < num_loops; i++) {
    if (loops[i] == loop) index = i;
  }
  if (index < 0) return "the loop is not around the block";
  if (!in_regions(block->block.reads, block->block.num_reads, region->buffer))
    return "the block does not read the buffer";
  if (users_of(loop->loop.body, region->buffer).num_writers)
    return "a block below the loop writes the buffer";
  if (tsl_stmt_find(loop->loop.body, allocates, region->buffer))
    return "the buffer is allocated below the loop";
  region_add_block(region, block);
  if (region->problem) return region->problem;
  if (!region_inside(region, loops, index + 1, block->block.predicate != NULL))
    return "the part an iteration reads may reach outside the buffer";
  return NULL;
}

tsl_status tsl_sch_cache_read(tsl_primfunc *func, tsl_stmt *block, tsl_buffer *buffer,
                              tsl_stmt *loop, tsl_stmt **copy, tsl_error *error) {
  tsl_arena *arena = func->arena;
  if (block->kind != TSL_STMT_BLOCK || !slot_of(func, block))
    return tsl_fail(error, TSL_ERROR_INPUT, "cache_read: not a block of function '%s'", func->name);
  if (loop->kind != TSL_STMT_FOR) return tsl_fail(error, TSL_ERROR_INPUT, "cache_read: not a loop");
  inner_loops inner = {0};
  tsl_stmt_walk(loop->loop.body, collect_loops, &inner);
  loop_region region = {.buffer = buffer, .inner = &inner, .arena = arena};
  const char *problem = cache_read_problem(func, block, loop, &region);
  if (problem) {
    return tsl_fail(error, TSL_ERROR_INPUT, "cache_read of '%s' in block '%s' at loop '%s': %s",
                    buffer->name, block->block.name, loop->loop.var->name, problem);
  }
  int rank = buffer->rank;
  int64_t shape[TSL_MAX_RANK];
  for (int axis = 0; axis < rank; axis++) shape[axis] = region.high[axis] - region.low[axis] + 1;
  char name[256];
  snprintf(name, sizeof(name), "%s_local", buffer->name);
  tsl_type type = tsl_type_make(buffer->dtype, rank, shape);
  region.local = tsl_primfunc_buffer(func, name, &type, TSL_SCOPE_LOCAL);
  /* The block's loads of the buffer move to the local one. */
  var_map bindings = {0};
  for (int i = 0; i < block->block.num_iters; i++)
    map_add(&bindings, block->block.iters[i].var, block->block.iters[i].binding);
  region.bindings = &bindings;
  tsl_expr_rewriter rewriter = {NULL, local_load, &region};
  rewrite_exprs(arena, block->block.init, &rewriter);
  rewrite_exprs(arena, block->block.body, &rewriter);
  /* The copy in: local[r] = buffer[start + r] over the local shape, clipped to the buffer. */
  tsl_expr *start[TSL_MAX_RANK] = {0};
  for (int axis = 0; axis < rank; axis++) start[axis] = region_start(arena, &region, axis);
  tsl_var *copy_loops[TSL_MAX_RANK];
  tsl_stmt *copy_block;
  tsl_stmt *nest =
      copy_nest(func, buffer, region.local, shape, start, "r", false, copy_loops, &copy_block);
  for (int axis = 0; axis < rank; axis++)
    clip_block(arena, copy_block, &region, axis, copy_block->block.iters[axis].binding);
  tsl_stmt *steps[2] = {nest, loop->loop.body};
  loop->loop.body = tsl_alloc(arena, region.local, tsl_seq(arena, 2, steps));
  refresh_regions(func);
  if (copy) *copy = copy_block;
  return TSL_OK;
}

/* ---- rfactor ----------------------------------------------------------------------------- */

/* A reduction block's update `buffer[I] = combine(buffer[I], value)` (the accumulator on
 * either side): its reducer and the value it folds in; false when the body has another form. */
static bool read_update(const tsl_stmt *block, tsl_reducer *reducer, tsl_expr **value) {
  const tsl_stmt *store = block->block.body;
  if (store->kind != TSL_STMT_STORE) return false;
  const tsl_expr *combine = store->store.value;
  switch (combine->kind) {
  case TSL_EXPR_ADD: *reducer = TSL_REDUCE_SUM; break;
  case TSL_EXPR_MUL: *reducer = TSL_REDUCE_PROD; break;
  case TSL_EXPR_MAX: *reducer = TSL_REDUCE_MAX; break;
  case TSL_EXPR_MIN: *reducer = TSL_REDUCE_MIN; break;
  default: return false;
  }
  for (int side = 0; side < 2; side++) {
    const tsl_expr *accumulator = side ? combine->op.b : combine->op.a;
    tsl_expr *other = side ? combine->op.a : combine->op.b;
    if (accumulator->kind != TSL_EXPR_LOAD || accumulator->load.buffer != store->store.buffer ||
        tsl_expr_loads(other, store->store.buffer))
      continue;
    bool same = true;
    for (int i = 0; i < store->store.num_indices; i++)
      same = same && tsl_expr_equal(accumulator->load.indices[i], store->store.indices[i]);
    if (!same) continue;
    *value = other;
    return true;
  }
  return false;
}

/* Checks rfactor's preconditions; NULL when they hold, else what fails. *outer is the
 * outermost loop binding a reduction variable; the loops from it to the block go to chain. */
static const char *rfactor_problem(tsl_primfunc *func, tsl_stmt *block, tsl_stmt *loop,
                                   tsl_stmt **outer, tsl_stmt **chain, int *depth) {
  tsl_reducer reducer;
  tsl_expr *value;
  if (!block->block.init) return "it has no init";
  if (!read_update(block, &reducer, &value))
    return "its body is not buffer[I] = combine(buffer[I], value) with a sum, product, max or "
           "min";
  tsl_stmt *loops[TSL_SCH_MAX_LOOPS];
  int num_loops = tsl_sch_get_loops(func, block, loops);
  bool around = false;
  *outer = NULL;
  for (int i = 0; i < num_loops; i++) {
    binding_scan scan = {loops[i]->loop.var, false, false};
    scan_bindings(block, &scan);
    if (scan.binds_reduce && !*outer) *outer = loops[i];
    around = around || loops[i] == loop;
  }
  if (!around) return "the loop is not around it";
  if (!is_constant(loop->loop.min, NULL) || !is_constant(loop->loop.extent, NULL))
    return "the loop has no constant range";
  binding_scan scan = {loop->loop.var, false, false};
  scan_bindings(block, &scan);
  if (!scan.binds_reduce) return "the loop binds none of its reduction variables";
  *depth = loops_between(func, *outer, block, chain);
  if (*depth < 0) return "its reduction loops are not nested directly one in another";
  for (int i = 0; i < *depth; i++) {
    binding_scan inner = {chain[i]->loop.var, false, false};
    scan_bindings(block, &inner);
    if (inner.binds_spatial || !inner.binds_reduce)
      return "a loop inside its outermost reduction loop binds a spatial variable or none";
    if (!is_constant(chain[i]->loop.min, NULL) || !is_constant(chain[i]->loop.extent, NULL))
      return "a reduction loop has no constant range";
    /* The fold reads every partial result, so each must start from the identity. */
    if (block->block.predicate && tsl_expr_uses_var(block->block.predicate, chain[i]->loop.var))
      return "its predicate depends on a reduction loop (split with a tail), so some partial "
             "results would stay unset";
  }
  return NULL;
}

/* The rf block: the original's spatial variables, one variable per reduction loop (reduce,
 * but spatial for `loop`), and the update folding into rf[that variable − its min]. */
static tsl_stmt *rfactor_block(tsl_primfunc *func, const tsl_stmt *block, const tsl_stmt *loop,
                               tsl_stmt *const *chain, int depth, tsl_buffer *rf) {
  tsl_arena *arena = func->arena;
  tsl_reducer reducer;
  tsl_expr *value;
  TSL_CHECK(read_update(block, &reducer, &value));
  int num_iters = 0;
  tsl_block_iter *iters = TSL_ARENA_ARRAY(arena, tsl_block_iter, block->block.num_iters + depth);
  tsl_block_iter *loop_iters = TSL_ARENA_ARRAY(arena, tsl_block_iter, depth);
  var_map loop_vars = {0}, block_vars = {0};
  tsl_expr *rf_index = NULL;
  for (int i = 0; i < depth; i++) {
    tsl_var *var = (tsl_var *)fresh_var(func, chain[i]->loop.var, "_rf");
    bool spatial = chain[i] == loop;
    int64_t min = chain[i]->loop.min->int_value;
    loop_iters[i] = (tsl_block_iter){.var = var,
                                          .min = min,
                                          .extent = chain[i]->loop.extent->int_value,
                                          .kind = spatial ? TSL_ITER_SPATIAL : TSL_ITER_REDUCE,
                                          .binding = tsl_var_ref(arena, chain[i]->loop.var)};
    map_add(&loop_vars, chain[i]->loop.var, tsl_var_ref(arena, var));
    if (spatial) {
      rf_index = tsl_var_ref(arena, var);
      if (min) rf_index = tsl_binary(arena, TSL_EXPR_SUB, rf_index, tsl_index(arena, min));
    }
  }
  for (int i = 0; i < block->block.num_iters; i++) {
    const tsl_block_iter *iter = &block->block.iters[i];
    if (iter->kind == TSL_ITER_REDUCE) {
      map_add(&block_vars, iter->var, rewrite(arena, iter->binding, &loop_vars));
      continue;
    }
    tsl_var *var = (tsl_var *)fresh_var(func, iter->var, "_rf");
    iters[num_iters] = *iter;
    iters[num_iters++].var = var;
    map_add(&block_vars, iter->var, tsl_var_ref(arena, var));
  }
  for (int i = 0; i < depth; i++) iters[num_iters++] = loop_iters[i];
  tsl_expr *partial = tsl_load(arena, rf, 1, &rf_index);
  tsl_stmt *init = tsl_store(arena, rf, 1, &rf_index, tsl_reducer_identity(arena, reducer, rf->dtype));
  tsl_stmt *update = tsl_store(
      arena, rf, 1, &rf_index,
      tsl_reducer_combine(arena, reducer, partial, rewrite(arena, value, &block_vars)));
  char name[256];
  snprintf(name, sizeof(name), "%s_rf", block->block.name);
  tsl_stmt *partials =
      tsl_block(arena, tsl_arena_strdup(arena, name), num_iters, iters, init, update);
  partials->block.predicate = block->block.predicate; /* in the loops outside, which stay */
  return partials;
}

tsl_status tsl_sch_rfactor(tsl_primfunc *func, tsl_stmt *block, tsl_stmt *loop,
                           tsl_stmt **rf_block, tsl_error *error) {
  tsl_arena *arena = func->arena;
  if (block->kind != TSL_STMT_BLOCK || !slot_of(func, block))
    return tsl_fail(error, TSL_ERROR_INPUT, "rfactor: not a block of function '%s'", func->name);
  if (loop->kind != TSL_STMT_FOR)
    return tsl_fail(error, TSL_ERROR_INPUT, "rfactor: not a loop");
  tsl_stmt *outer, *chain[TSL_SCH_MAX_LOOPS];
  int depth = 0;
  const char *problem = rfactor_problem(func, block, loop, &outer, chain, &depth);
  if (problem) {
    return tsl_fail(error, TSL_ERROR_INPUT, "rfactor of block '%s' over loop '%s': %s",
                    block->block.name, loop->loop.var->name, problem);
  }
  tsl_buffer *buffer = block->block.body->store.buffer;
  char name[256];
  snprintf(name, sizeof(name), "%s_rf", buffer->name);
  int64_t extent = loop->loop.extent->int_value;
  tsl_type type = tsl_type_make(buffer->dtype, 1, &extent);
  tsl_buffer *rf = tsl_primfunc_buffer(func, name, &type, TSL_SCOPE_LOCAL);
  tsl_stmt *partials = rfactor_block(func, block, loop, chain, depth, rf);
  *slot_of(func, block) = partials;
  /* The original block now folds the partials: its spatial variables, and one reduction
   * variable over rf in a loop of its own. */
  tsl_reducer reducer;
  tsl_expr *value;
  TSL_CHECK(read_update(block, &reducer, &value));
  tsl_var *lane_loop = (tsl_var *)fresh_var(func, loop->loop.var, "_w");
  tsl_var *lane = (tsl_var *)fresh_var(func, loop->loop.var, "_v");
  int num_iters = 0;
  tsl_block_iter *iters = TSL_ARENA_ARRAY(arena, tsl_block_iter, block->block.num_iters + 1);
  for (int i = 0; i < block->block.num_iters; i++) {
    if (block->block.iters[i].kind == TSL_ITER_SPATIAL) iters[num_iters++] = block->block.iters[i];
  }
  iters[num_iters++] = (tsl_block_iter){.var = lane,
                                        .min = 0,
                                        .extent = extent,
                                        .kind = TSL_ITER_REDUCE,
                                        .binding = tsl_var_ref(arena, lane_loop)};
  tsl_stmt *store = block->block.body;
  tsl_expr *lane_index = tsl_var_ref(arena, lane);
  tsl_expr *accumulator =
      tsl_load(arena, buffer, store->store.num_indices, store->store.indices);
  store->store.value =
      tsl_reducer_combine(arena, reducer, accumulator, tsl_load(arena, rf, 1, &lane_index));
  block->block.iters = iters;
  block->block.num_iters = num_iters;
  tsl_stmt *fold = tsl_for(arena, lane_loop, tsl_index(arena, 0), tsl_index(arena, extent),
                           TSL_LOOP_SERIAL, block);
  tsl_stmt **slot = slot_of(func, outer);
  tsl_stmt *steps[2] = {outer, fold};
  *slot = tsl_alloc(arena, rf, tsl_seq(arena, 2, steps));
  refresh_regions(func);
  if (rf_block) *rf_block = partials;
  return TSL_OK;
}

/* ---- transform_layout ---------------------------------------------------------------------- */

typedef struct repack {
  const tsl_buffer *buffer;
  tsl_buffer *packed;
  const tsl_packing *packing;
  tsl_arena *arena;
  bool stored;
} repack;

static tsl_expr *repacked_load(tsl_expr *load, void *context) {
  repack *r = context;
  if (load->load.buffer != r->buffer) return NULL;
  tsl_expr *indices[TSL_MAX_RANK];
  for (int i = 0; i < r->packing->num_axes; i++) {
    const tsl_layout_axis *axis = &r->packing->axes[i];
    tsl_expr *index = load->load.indices[axis->source];
    if (axis->part != TSL_LAYOUT_WHOLE) {
      index = tsl_binary(r->arena,
                         axis->part == TSL_LAYOUT_OUTER ? TSL_EXPR_FLOOR_DIV : TSL_EXPR_FLOOR_MOD,
                         index, tsl_index(r->arena, axis->factor));
    }
    indices[i] = index;
  }
  return tsl_load(r->arena, r->packed, r->packing->num_axes, indices);
}

static void find_store(tsl_stmt *stmt, void *context) {
  repack *r = context;
  if (stmt->kind == TSL_STMT_STORE && stmt->store.buffer == r->buffer) r->stored = true;
}

tsl_status tsl_sch_transform_layout(tsl_primfunc *func, tsl_buffer *buffer, int count,
                                    const tsl_layout_axis *axes, tsl_error *error) {
  int param = -1;
  for (int i = 0; i < func->num_params; i++) {
    if (func->params[i] == buffer) param = i;
  }
  if (param < 0)
    return tsl_fail(error, TSL_ERROR_INPUT, "transform_layout: '%s' is not a parameter",
                    buffer->name);
  repack r = {.buffer = buffer, .arena = func->arena};
  tsl_stmt_walk(func->body, find_store, &r);
  if (func->is_output[param] || r.stored)
    return tsl_fail(error, TSL_ERROR_INPUT,
                    "transform_layout: the function writes '%s'; only what it reads is packed",
                    buffer->name);
  if (func->packing[param])
    return tsl_fail(error, TSL_ERROR_INPUT, "transform_layout: '%s' is packed already",
                    buffer->name);
  tsl_packing *packing = TSL_ARENA_NEW(func->arena, tsl_packing);
  packing->rank = buffer->rank;
  memcpy(packing->shape, buffer->shape, sizeof(packing->shape));
  packing->num_axes = count;
  if (count > 0 && count <= TSL_MAX_RANK)
    memcpy(packing->axes, axes, sizeof(*axes) * (size_t)count);
  char why[256];
  if (count < 0 || count > TSL_MAX_RANK || !tsl_packing_valid(packing, why, sizeof(why)))
    return tsl_fail(error, TSL_ERROR_INPUT, "transform_layout: '%s': %s", buffer->name,
                    count < 0 || count > TSL_MAX_RANK ? "too many axes" : why);
  /* The packed buffer takes the parameter's place (and name); loads move to it. */
  tsl_buffer *packed = TSL_ARENA_NEW(func->arena, tsl_buffer);
  *packed = *buffer;
  packed->rank = count;
  tsl_packing_shape(packing, packed->shape);
  int64_t stride = 1;
  for (int axis = count - 1; axis >= 0; axis--) {
    packed->strides[axis] = stride;
    stride *= packed->shape[axis];
  }
  r.packing = packing;
  r.packed = packed;
  tsl_expr_rewriter rewriter = {NULL, repacked_load, &r};
  rewrite_exprs(func->arena, func->body, &rewriter);
  func->params[param] = packed;
  func->packing[param] = packing;
  refresh_regions(func);
  return TSL_OK;
}

/* ---- storage_align ----------------------------------------------------------------------- */

/* Checks storage_align's preconditions and computes the aligned strides into `strides`; NULL
 * when they hold, else what fails. */
static const char *storage_align_problem(tsl_primfunc *func, const tsl_stmt *block,
                                         const tsl_buffer *buffer, int axis, int64_t factor,
                                         int64_t offset, int64_t *strides) {
  if (is_param(func, buffer)) return "the buffer is a parameter, whose layout is the caller's";
  if (!tsl_stmt_find(func->body, allocates, buffer))
    return "the function does not allocate the buffer";
  if (!in_regions(block->block.writes, block->block.num_writes, buffer))
    return "the block does not write the buffer";
  if (axis < 0 || axis >= buffer->rank) return "the buffer has no such axis";
  if (axis == buffer->rank - 1)
    return "the last axis is contiguous: aligning it would spread its elements apart";
  if (factor < 1) return "the factor is not positive";
  if (offset < 0 || offset >= factor) return "the offset is not in [0, factor)";
  for (int outer = 0; outer < axis; outer++) {
    if (buffer->strides[outer] != buffer->strides[outer + 1] * buffer->shape[outer + 1])
      return "an axis outside it is aligned already: align the inner axes first";
  }
  memcpy(strides, buffer->strides, sizeof(int64_t) * (size_t)buffer->rank);
  int64_t packed = strides[axis + 1] * buffer->shape[axis + 1]; /* fits: the layout is valid */
  int64_t padding = offset - packed % factor; /* in (-factor, factor): no overflow */
  if (padding < 0) padding += factor;
  if (padding > TSL_MAX_ELEMENTS - packed) return "the aligned layout is too large";
  strides[axis] = packed + padding;
  for (int outer = axis; outer >= 0; outer--) {
    int64_t extent = buffer->shape[outer];
    if (extent && strides[outer] > TSL_MAX_ELEMENTS / extent)
      return "the aligned layout is too large";
    if (outer > 0) strides[outer - 1] = strides[outer] * extent;
  }
  return NULL;
}

tsl_status tsl_sch_storage_align(tsl_primfunc *func, tsl_stmt *block, tsl_buffer *buffer, int axis,
                                 int64_t factor, int64_t offset, tsl_error *error) {
  if (block->kind != TSL_STMT_BLOCK || !slot_of(func, block))
    return tsl_fail(error, TSL_ERROR_INPUT, "storage_align: not a block of function '%s'",
                    func->name);
  int64_t strides[TSL_MAX_RANK];
  const char *problem = storage_align_problem(func, block, buffer, axis, factor, offset, strides);
  if (problem) {
    return tsl_fail(error, TSL_ERROR_INPUT,
                    "storage_align of '%s' in block '%s' at axis %d (factor %lld, offset %lld): %s",
                    buffer->name, block->block.name, axis, (long long)factor, (long long)offset,
                    problem);
  }
  memcpy(buffer->strides, strides, sizeof(int64_t) * (size_t)buffer->rank);
  return TSL_OK;
}

/* ---- tensorize --------------------------------------------------------------------------- */

tsl_status tsl_sch_tensorize(tsl_primfunc *func, tsl_stmt *loop, const char *intrin_name,
                             const tsl_target *target, tsl_error *error) {
  if (!loop || loop->kind != TSL_STMT_FOR || !slot_of(func, loop)) {
    return tsl_fail(error, TSL_ERROR_INPUT, "tensorize: not a loop of function '%s'", func->name);
  }
  const tsl_intrin *intrin = tsl_intrin_get(intrin_name);
  if (!intrin) {
    return tsl_fail(error, TSL_ERROR_INPUT, "tensorize: no intrinsic '%s'",
                    intrin_name ? intrin_name : "(none)");
  }
  if (loop->loop.tensorized) {
    return tsl_fail(error, TSL_ERROR_INPUT, "tensorize: loop '%s' is tensorized already (%s)",
                    loop->loop.var->name, loop->loop.tensorized);
  }
  tsl_intrin_match match;
  tsl_status status = tsl_intrin_match_nest(intrin, loop, target, &match, error);
  if (status) {
    tsl_error_prefix(error, "tensorize: ");
    return status;
  }
  loop->loop.tensorized = intrin->name;
  return TSL_OK;
}
