#include "ir/tir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/arith.h"
#include "ir/check.h"

static const char *const scope_names[] = {
#define X(kind, name) name,
    TSL_SCOPES(X)
#undef X
};
static const char *const loop_kind_names[] = {
#define X(kind, name) name,
    TSL_LOOP_KINDS(X)
#undef X
};
static const char *const iter_kind_names[] = {
#define X(kind, name) name,
    TSL_ITER_KINDS(X)
#undef X
};

const char *tsl_scope_name(tsl_scope scope) { return scope_names[scope]; }
const char *tsl_loop_kind_name(tsl_loop_kind kind) { return loop_kind_names[kind]; }
const char *tsl_iter_kind_name(tsl_iter_kind kind) { return iter_kind_names[kind]; }

/* ---- the function ------------------------------------------------------------------------ */

tsl_primfunc *tsl_primfunc_new(const char *name) {
  tsl_primfunc *func = calloc(1, sizeof(*func));
  TSL_CHECK_ALLOC(func);
  func->arena = tsl_arena_new();
  func->name = tsl_arena_strdup(func->arena, name);
  return func;
}

void tsl_primfunc_free(tsl_primfunc *func) {
  if (!func) return;
  tsl_strmap_free(&func->names);
  tsl_arena_free(func->arena);
  free(func);
}

/* Names of variables and buffers are unique in a function, so its text reads back. */
static const char *unique_name(tsl_primfunc *func, const char *wanted) {
  const char *name = wanted;
  for (int suffix = 1; tsl_strmap_get(&func->names, name); suffix++) {
    name = tsl_arena_printf(func->arena, "%s_%d", wanted, suffix);
  }
  name = tsl_arena_strdup(func->arena, name);
  tsl_strmap_put(&func->names, name, (void *)name);
  return name;
}

tsl_var *tsl_primfunc_var(tsl_primfunc *func, const char *name, tsl_dtype dtype) {
  return tsl_var_new(func->arena, unique_name(func, name), dtype, func->num_ids++);
}

tsl_buffer *tsl_primfunc_buffer(tsl_primfunc *func, const char *name, const tsl_type *type,
                                tsl_scope scope) {
  tsl_buffer *buffer = TSL_ARENA_NEW(func->arena, tsl_buffer);
  buffer->name = unique_name(func, name);
  buffer->dtype = type->dtype;
  buffer->rank = type->rank;
  int64_t stride = 1;
  for (int axis = type->rank - 1; axis >= 0; axis--) {
    buffer->shape[axis] = type->dims[axis];
    buffer->strides[axis] = stride;
    stride *= type->dims[axis];
  }
  buffer->scope = scope;
  buffer->id = func->num_ids++;
  return buffer;
}

bool tsl_buffer_is_row_major(const tsl_buffer *buffer) {
  int64_t stride = 1;
  for (int axis = buffer->rank - 1; axis >= 0; axis--) {
    if (buffer->strides[axis] != stride) return false;
    stride *= buffer->shape[axis];
  }
  return true;
}

int64_t tsl_buffer_elements(const tsl_buffer *buffer) {
  for (int axis = 0; axis < buffer->rank; axis++) {
    if (buffer->shape[axis] == 0) return 0;
  }
  return buffer->rank ? buffer->shape[0] * buffer->strides[0] : 1;
}

void tsl_primfunc_add_param(tsl_primfunc *func, tsl_buffer *buffer, bool output) {
  tsl_arena *arena = func->arena;
  int count = func->num_params, capacity = func->params_capacity, same;
  /* The arrays by param grow together, each from the capacity they all had. */
  func->params =
      tsl_arena_grow(arena, func->params, &func->params_capacity, count + 1, sizeof(*func->params));
  same = capacity;
  func->is_output = tsl_arena_grow(arena, func->is_output, &same, count + 1, sizeof(bool));
  same = capacity;
  func->is_constant = tsl_arena_grow(arena, func->is_constant, &same, count + 1, sizeof(bool));
  same = capacity;
  func->packing = tsl_arena_grow(arena, func->packing, &same, count + 1, sizeof(*func->packing));
  func->params[count] = buffer;
  func->is_output[count] = output;
  func->is_constant[count] = false;
  func->packing[count] = NULL;
  func->num_params = count + 1;
}

bool tsl_packing_valid(const tsl_packing *packing, char *why, size_t size) {
  int whole[TSL_MAX_RANK] = {0}, outer[TSL_MAX_RANK] = {0}, inner[TSL_MAX_RANK] = {0};
  int64_t factor[TSL_MAX_RANK] = {0};
  if (packing->rank < 1 || packing->rank > TSL_MAX_RANK || packing->num_axes < packing->rank ||
      packing->num_axes > TSL_MAX_RANK) {
    snprintf(why, size, "%d axes cannot hold %d", packing->num_axes, packing->rank);
    return false;
  }
  for (int i = 0; i < packing->num_axes; i++) {
    const tsl_layout_axis *axis = &packing->axes[i];
    if (axis->source < 0 || axis->source >= packing->rank) {
      snprintf(why, size, "axis %d holds a%d, but the original has %d axes", i, axis->source,
               packing->rank);
      return false;
    }
    if (axis->part != TSL_LAYOUT_WHOLE && axis->factor < 2) {
      snprintf(why, size, "axis %d splits a%d by %lld, not at least 2", i, axis->source,
               (long long)axis->factor);
      return false;
    }
    if (axis->part != TSL_LAYOUT_WHOLE && factor[axis->source] &&
        factor[axis->source] != axis->factor) {
      snprintf(why, size, "a%d is split by %lld and by %lld", axis->source,
               (long long)factor[axis->source], (long long)axis->factor);
      return false;
    }
    if (axis->part != TSL_LAYOUT_WHOLE) factor[axis->source] = axis->factor;
    int *count = axis->part == TSL_LAYOUT_WHOLE   ? whole
                 : axis->part == TSL_LAYOUT_OUTER ? outer
                                                  : inner;
    count[axis->source]++;
  }
  for (int a = 0; a < packing->rank; a++) {
    bool held =
        (whole[a] == 1 && !outer[a] && !inner[a]) || (!whole[a] && outer[a] == 1 && inner[a] == 1);
    if (!held) {
      snprintf(why, size, "a%d must be held whole once, or by one outer and one inner part", a);
      return false;
    }
  }
  return true;
}

void tsl_packing_shape(const tsl_packing *packing, int64_t *shape) {
  for (int i = 0; i < packing->num_axes; i++) {
    const tsl_layout_axis *axis = &packing->axes[i];
    int64_t extent = packing->shape[axis->source];
    shape[i] = axis->part == TSL_LAYOUT_WHOLE   ? extent
               : axis->part == TSL_LAYOUT_OUTER ? (extent + axis->factor - 1) / axis->factor
                                                : axis->factor;
  }
}

void tsl_packing_apply(const tsl_packing *packing, size_t element_size, const void *original,
                       void *packed) {
  int64_t shape[TSL_MAX_RANK], index[TSL_MAX_RANK] = {0}, elements = 1;
  tsl_packing_shape(packing, shape);
  for (int i = 0; i < packing->num_axes; i++) elements *= shape[i];
  for (int64_t e = 0; e < elements; e++) {
    /* The original's index of packed element e (index: e's index in the packed shape). */
    int64_t source[TSL_MAX_RANK] = {0};
    for (int i = 0; i < packing->num_axes; i++) {
      const tsl_layout_axis *axis = &packing->axes[i];
      source[axis->source] += axis->part == TSL_LAYOUT_OUTER ? index[i] * axis->factor : index[i];
    }
    int64_t offset = 0;
    bool inside = true;
    for (int a = 0; a < packing->rank; a++) {
      inside = inside && source[a] < packing->shape[a];
      offset = offset * packing->shape[a] + source[a];
    }
    unsigned char *to = (unsigned char *)packed + (size_t)e * element_size;
    if (inside)
      memcpy(to, (const unsigned char *)original + (size_t)offset * element_size, element_size);
    else
      memset(to, 0, element_size);
    for (int i = packing->num_axes - 1; i >= 0 && ++index[i] == shape[i]; i--) index[i] = 0;
  }
}

/* ---- statements -------------------------------------------------------------------------- */

static tsl_stmt *new_stmt(tsl_arena *arena, tsl_stmt_kind kind) {
  tsl_stmt *stmt = TSL_ARENA_NEW(arena, tsl_stmt);
  stmt->kind = kind;
  return stmt;
}

tsl_stmt *tsl_seq(tsl_arena *arena, int count, tsl_stmt *const *items) {
  if (count == 1) return items[0];
  tsl_stmt *stmt = new_stmt(arena, TSL_STMT_SEQ);
  stmt->seq.count = count;
  stmt->seq.items = tsl_arena_memdup(arena, items, sizeof(tsl_stmt *) * (size_t)count);
  return stmt;
}

tsl_stmt *tsl_for(tsl_arena *arena, tsl_var *var, tsl_expr *min, tsl_expr *extent,
                  tsl_loop_kind kind, tsl_stmt *body) {
  tsl_stmt *stmt = new_stmt(arena, TSL_STMT_FOR);
  stmt->loop.var = var;
  stmt->loop.min = min;
  stmt->loop.extent = extent;
  stmt->loop.loop_kind = kind;
  stmt->loop.body = body;
  return stmt;
}

tsl_stmt *tsl_store(tsl_arena *arena, tsl_buffer *buffer, int num_indices,
                    tsl_expr *const *indices, tsl_expr *value) {
  TSL_CHECK(num_indices == buffer->rank && value->dtype == buffer->dtype);
  tsl_stmt *stmt = new_stmt(arena, TSL_STMT_STORE);
  stmt->store.buffer = buffer;
  stmt->store.num_indices = num_indices;
  stmt->store.indices = tsl_arena_memdup(arena, indices, sizeof(tsl_expr *) * (size_t)num_indices);
  stmt->store.value = value;
  return stmt;
}

tsl_stmt *tsl_if(tsl_arena *arena, tsl_expr *condition, tsl_stmt *then, tsl_stmt *otherwise) {
  TSL_CHECK(condition->dtype == TSL_DTYPE_BOOL);
  tsl_stmt *stmt = new_stmt(arena, TSL_STMT_IF);
  stmt->branch.condition = condition;
  stmt->branch.then = then;
  stmt->branch.otherwise = otherwise;
  return stmt;
}

tsl_stmt *tsl_alloc(tsl_arena *arena, tsl_buffer *buffer, tsl_stmt *body) {
  tsl_stmt *stmt = new_stmt(arena, TSL_STMT_ALLOC);
  stmt->alloc.buffer = buffer;
  stmt->alloc.body = body;
  return stmt;
}

tsl_stmt *tsl_eval(tsl_arena *arena, tsl_expr *value) {
  tsl_stmt *stmt = new_stmt(arena, TSL_STMT_EVAL);
  stmt->eval.value = value;
  return stmt;
}

tsl_stmt *tsl_block(tsl_arena *arena, const char *name, int num_iters,
                    const tsl_block_iter *iters, tsl_stmt *init, tsl_stmt *body) {
  tsl_stmt *stmt = new_stmt(arena, TSL_STMT_BLOCK);
  stmt->block.name = tsl_arena_strdup(arena, name);
  stmt->block.num_iters = num_iters;
  stmt->block.iters = tsl_arena_memdup(arena, iters, sizeof(tsl_block_iter) * (size_t)num_iters);
  stmt->block.init = init;
  stmt->block.body = body;
  tsl_block_infer_regions(arena, stmt);
  return stmt;
}

void tsl_block_add_predicate(tsl_arena *arena, tsl_stmt *block, tsl_expr *condition) {
  TSL_CHECK(block->kind == TSL_STMT_BLOCK && condition->dtype == TSL_DTYPE_BOOL);
  tsl_expr *predicate = block->block.predicate;
  block->block.predicate =
      predicate ? tsl_binary(arena, TSL_EXPR_AND, predicate, condition) : condition;
}

static int add_conjuncts(tsl_expr *condition, tsl_expr **parts, int count, int capacity) {
  if (count < 0) return -1;
  if (condition->kind == TSL_EXPR_AND) {
    count = add_conjuncts(condition->op.a, parts, count, capacity);
    return add_conjuncts(condition->op.b, parts, count, capacity);
  }
  if (count == capacity) return -1;
  parts[count] = condition;
  return count + 1;
}

int tsl_conjuncts(tsl_expr *condition, tsl_expr **parts, int capacity) {
  return condition ? add_conjuncts(condition, parts, 0, capacity) : 0;
}

tsl_expr *tsl_conjunction(tsl_arena *arena, tsl_expr *const *parts, int count) {
  tsl_expr *condition = NULL;
  for (int i = 0; i < count; i++)
    condition = condition ? tsl_binary(arena, TSL_EXPR_AND, condition, parts[i]) : parts[i];
  return condition;
}

void tsl_stmt_walk(tsl_stmt *stmt, tsl_stmt_visit visit, void *context) {
  if (!stmt) return;
  visit(stmt, context);
  switch (stmt->kind) {
  case TSL_STMT_SEQ:
    for (int i = 0; i < stmt->seq.count; i++) tsl_stmt_walk(stmt->seq.items[i], visit, context);
    break;
  case TSL_STMT_FOR: tsl_stmt_walk(stmt->loop.body, visit, context); break;
  case TSL_STMT_BLOCK:
    tsl_stmt_walk(stmt->block.init, visit, context);
    tsl_stmt_walk(stmt->block.body, visit, context);
    break;
  case TSL_STMT_IF:
    tsl_stmt_walk(stmt->branch.then, visit, context);
    tsl_stmt_walk(stmt->branch.otherwise, visit, context);
    break;
  case TSL_STMT_ALLOC: tsl_stmt_walk(stmt->alloc.body, visit, context); break;
  case TSL_STMT_STORE:
  case TSL_STMT_EVAL: break;
  }
}

typedef struct stmt_search {
  tsl_stmt_match matches;
  const void *key;
  tsl_stmt *found;
} stmt_search;

static void match_stmt(tsl_stmt *stmt, void *context) {
  stmt_search *search = context;
  if (!search->found && search->matches(stmt, search->key)) search->found = stmt;
}

tsl_stmt *tsl_stmt_find(tsl_stmt *stmt, tsl_stmt_match matches, const void *key) {
  stmt_search search = {matches, key, NULL};
  tsl_stmt_walk(stmt, match_stmt, &search);
  return search.found;
}

/* ---- regions ----------------------------------------------------------------------------- */

/* What a block touches of one buffer, per axis: a single index written in the block's own
 * variables (`point`), or, when loops inside the block make the index range, the box its
 * bounds allow over the whole iteration domain (conservative, and exact for the shapes
 * lowering makes). */
typedef struct access_axis {
  tsl_expr *point; /* NULL: use [min, max] */
  int64_t min, max;
} access_axis;

typedef struct access_box {
  tsl_buffer *buffer;
  access_axis axes[TSL_MAX_RANK];
} access_box;

typedef struct region_scan {
  tsl_ranges ranges;
  bool *inner; /* by variable id: bound inside the block */
  int inner_capacity;
  access_box *reads, *writes;
  int num_reads, num_writes, reads_capacity, writes_capacity;
  tsl_arena *arena;
} region_scan;

static void mark_inner(region_scan *scan, const tsl_var *var) {
  if (var->id >= scan->inner_capacity) {
    int capacity = scan->inner_capacity ? scan->inner_capacity : 64;
    while (capacity <= var->id) capacity *= 2;
    scan->inner = realloc(scan->inner, sizeof(bool) * (size_t)capacity);
    TSL_CHECK_ALLOC(scan->inner);
    memset(scan->inner + scan->inner_capacity, 0, sizeof(bool) * (size_t)(capacity - scan->inner_capacity));
    scan->inner_capacity = capacity;
  }
  scan->inner[var->id] = true;
}

static void find_inner(const tsl_expr *expr, void *context) {
  const region_scan *scan = ((const void **)context)[0];
  bool *found = ((void **)context)[1];
  if (expr->kind == TSL_EXPR_VAR && expr->var->id < scan->inner_capacity &&
      scan->inner[expr->var->id]) {
    *found = true;
  }
  if (expr->kind == TSL_EXPR_LOAD) *found = true; /* data-dependent: not a point */
}

static bool uses_inner(const region_scan *scan, const tsl_expr *expr) {
  bool found = false;
  const void *context[2] = {scan, &found};
  tsl_expr_walk(expr, find_inner, context);
  return found;
}

static access_axis axis_of(region_scan *scan, const tsl_buffer *buffer, int axis,
                           tsl_expr *index) {
  if (!uses_inner(scan, index)) return (access_axis){.point = index};
  tsl_interval seen = tsl_bounds(index, &scan->ranges);
  if (seen.min < 0 || seen.max >= buffer->shape[axis]) {
    return (access_axis){.min = 0, .max = buffer->shape[axis] - 1}; /* the whole axis */
  }
  return (access_axis){.min = seen.min, .max = seen.max};
}

/* The smallest box holding both; a point becomes the range its bounds allow. */
static access_axis widen(region_scan *scan, const tsl_buffer *buffer, int axis, access_axis a,
                         access_axis b) {
  if (a.point && b.point && tsl_expr_equal(a.point, b.point)) return a;
  access_axis boxes[2] = {a, b};
  for (int i = 0; i < 2; i++) {
    if (!boxes[i].point) continue;
    tsl_interval seen = tsl_bounds(boxes[i].point, &scan->ranges);
    if (seen.min < 0 || seen.max >= buffer->shape[axis]) seen = (tsl_interval){0, buffer->shape[axis] - 1};
    boxes[i] = (access_axis){.min = seen.min, .max = seen.max};
  }
  return (access_axis){.min = boxes[0].min < boxes[1].min ? boxes[0].min : boxes[1].min,
                       .max = boxes[0].max > boxes[1].max ? boxes[0].max : boxes[1].max};
}

static void note_access(region_scan *scan, bool write, tsl_buffer *buffer, int count,
                        tsl_expr *const *indices) {
  access_box **boxes = write ? &scan->writes : &scan->reads;
  int *num = write ? &scan->num_writes : &scan->num_reads;
  int *capacity = write ? &scan->writes_capacity : &scan->reads_capacity;
  access_box *box = NULL;
  for (int i = 0; i < *num && !box; i++) {
    if ((*boxes)[i].buffer == buffer) box = &(*boxes)[i];
  }
  if (!box) {
    access_box fresh = {.buffer = buffer};
    for (int axis = 0; axis < count; axis++) fresh.axes[axis] = axis_of(scan, buffer, axis, indices[axis]);
    TSL_ARENA_PUSH(scan->arena, *boxes, *num, *capacity, fresh);
    return;
  }
  for (int axis = 0; axis < count; axis++) {
    box->axes[axis] = widen(scan, buffer, axis, box->axes[axis], axis_of(scan, buffer, axis, indices[axis]));
  }
}

static void scan_load(const tsl_expr *expr, void *context) {
  if (expr->kind == TSL_EXPR_LOAD) {
    note_access(context, false, expr->load.buffer, expr->load.num_indices, expr->load.indices);
  }
}

static void scan_stmt(region_scan *scan, tsl_stmt *stmt) {
  if (!stmt) return;
  switch (stmt->kind) {
  case TSL_STMT_SEQ:
    for (int i = 0; i < stmt->seq.count; i++) scan_stmt(scan, stmt->seq.items[i]);
    return;
  case TSL_STMT_FOR: {
    tsl_interval min = tsl_bounds(stmt->loop.min, &scan->ranges);
    tsl_interval extent = tsl_bounds(stmt->loop.extent, &scan->ranges);
    if (min.min != INT64_MIN && min.max != INT64_MAX && extent.max != INT64_MAX && extent.max > 0) {
      tsl_ranges_set(&scan->ranges, stmt->loop.var, min.min, min.max + extent.max - 1);
    }
    mark_inner(scan, stmt->loop.var);
    scan_stmt(scan, stmt->loop.body);
    return;
  }
  case TSL_STMT_BLOCK:
    for (int i = 0; i < stmt->block.num_iters; i++) {
      const tsl_block_iter *iter = &stmt->block.iters[i];
      tsl_ranges_set(&scan->ranges, iter->var, iter->min, iter->min + iter->extent - 1);
      mark_inner(scan, iter->var);
    }
    scan_stmt(scan, stmt->block.init);
    scan_stmt(scan, stmt->block.body);
    return;
  case TSL_STMT_STORE:
    for (int i = 0; i < stmt->store.num_indices; i++) {
      tsl_expr_walk(stmt->store.indices[i], scan_load, scan);
    }
    tsl_expr_walk(stmt->store.value, scan_load, scan);
    note_access(scan, true, stmt->store.buffer, stmt->store.num_indices, stmt->store.indices);
    return;
  case TSL_STMT_IF:
    tsl_expr_walk(stmt->branch.condition, scan_load, scan);
    scan_stmt(scan, stmt->branch.then);
    scan_stmt(scan, stmt->branch.otherwise);
    return;
  case TSL_STMT_ALLOC: scan_stmt(scan, stmt->alloc.body); return;
  case TSL_STMT_EVAL: tsl_expr_walk(stmt->eval.value, scan_load, scan); return;
  }
}

/* Buffers the block allocates itself are not part of what it reads or writes. */
static bool allocated_inside(const tsl_stmt *stmt, const tsl_buffer *buffer) {
  if (!stmt) return false;
  switch (stmt->kind) {
  case TSL_STMT_ALLOC:
    return stmt->alloc.buffer == buffer || allocated_inside(stmt->alloc.body, buffer);
  case TSL_STMT_SEQ:
    for (int i = 0; i < stmt->seq.count; i++) {
      if (allocated_inside(stmt->seq.items[i], buffer)) return true;
    }
    return false;
  case TSL_STMT_FOR: return allocated_inside(stmt->loop.body, buffer);
  case TSL_STMT_IF:
    return allocated_inside(stmt->branch.then, buffer) ||
           allocated_inside(stmt->branch.otherwise, buffer);
  case TSL_STMT_BLOCK:
    return allocated_inside(stmt->block.init, buffer) || allocated_inside(stmt->block.body, buffer);
  default: return false;
  }
}

static tsl_region *boxes_to_regions(tsl_arena *arena, const access_box *boxes, int count,
                                    const tsl_stmt *block, int *kept) {
  tsl_region *regions = TSL_ARENA_ARRAY(arena, tsl_region, count + 1);
  *kept = 0;
  for (int i = 0; i < count; i++) {
    if (allocated_inside(block->block.body, boxes[i].buffer)) continue;
    tsl_region *region = &regions[(*kept)++];
    region->buffer = boxes[i].buffer;
    for (int axis = 0; axis < boxes[i].buffer->rank; axis++) {
      const access_axis *a = &boxes[i].axes[axis];
      region->min[axis] = a->point ? a->point : tsl_index(arena, a->min);
      region->extent[axis] = tsl_index(arena, a->point ? 1 : a->max - a->min + 1);
    }
  }
  return regions;
}

void tsl_block_infer_regions(tsl_arena *arena, tsl_stmt *block) {
  TSL_CHECK(block->kind == TSL_STMT_BLOCK);
  region_scan scan = {.arena = arena};
  for (int i = 0; i < block->block.num_iters; i++) {
    const tsl_block_iter *iter = &block->block.iters[i];
    tsl_ranges_set(&scan.ranges, iter->var, iter->min, iter->min + iter->extent - 1);
  }
  scan_stmt(&scan, block->block.init);
  scan_stmt(&scan, block->block.body);
  block->block.reads = boxes_to_regions(arena, scan.reads, scan.num_reads, block,
                                        &block->block.num_reads);
  block->block.writes = boxes_to_regions(arena, scan.writes, scan.num_writes, block,
                                         &block->block.num_writes);
  tsl_ranges_free(&scan.ranges);
  free(scan.inner);
}
