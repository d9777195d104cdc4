/* Storage rewrite (tir_passes.h), what TVM's StorageRewrite does for CPUs, on what the code
 * generator makes of allocations: a local buffer of up to 64 KiB is one stack slot in the entry
 * block of its function (the kernel, or a parallel loop's body), whatever loop it sits in, and
 * any other buffer is allocated on the heap (tsl_kernel_alloc) and freed each time its alloc
 * statement runs.
 *
 * Allocations therefore move out of the serial and unrolled loops around them (and the blocks,
 * ifs and sequences in between), up to the nearest parallel or vectorized loop, whose
 * iterations each need their own copy, or the function: a heap buffer inside a loop is no
 * longer allocated per iteration. Then the allocations placed together whose uses (the
 * statements of the sequence they wrap that touch them) do not overlap share memory when their
 * dtype and scope agree: one allocation of the largest size, the others' accesses rewritten to
 * it, flat where the shapes differ. Stack slots the code generator would keep apart (it marks
 * no lifetimes) become one, and heap buffers one allocation. */
#include <stdlib.h>

#include "ir/arith.h"
#include "ir/check.h"
#include "passes/tir/tir_passes.h"

typedef struct alloc_list {
  tsl_stmt **items;
  int count, capacity;
} alloc_list;

/* How accesses to a buffer that shares another's memory are rewritten. */
typedef struct view {
  tsl_buffer *into; /* NULL: the buffer keeps its memory */
  bool flat;        /* indices become one, by the buffer's strides */
  int rank;
  int64_t strides[TSL_MAX_RANK];
} view;

typedef struct storage {
  tsl_primfunc *func;
  view *views; /* by buffer id */
} storage;

/* ---- hoisting ---------------------------------------------------------------------------- */

static void place(storage *st, tsl_stmt **slot);

/* Takes the allocations out of the statement into `found`, in order, leaving their bodies; the
 * bodies of parallel and vectorized loops are places of their own. */
static void lift(storage *st, tsl_stmt **slot, alloc_list *found) {
  tsl_stmt *stmt = *slot;
  if (!stmt) return;
  switch (stmt->kind) {
  case TSL_STMT_SEQ:
    for (int i = 0; i < stmt->seq.count; i++) lift(st, &stmt->seq.items[i], found);
    return;
  case TSL_STMT_FOR:
    if (stmt->loop.loop_kind == TSL_LOOP_PARALLEL || stmt->loop.loop_kind == TSL_LOOP_VECTORIZED)
      place(st, &stmt->loop.body);
    else
      lift(st, &stmt->loop.body, found);
    return;
  case TSL_STMT_BLOCK:
    lift(st, &stmt->block.init, found);
    lift(st, &stmt->block.body, found);
    return;
  case TSL_STMT_IF:
    lift(st, &stmt->branch.then, found);
    lift(st, &stmt->branch.otherwise, found);
    return;
  case TSL_STMT_ALLOC:
    TSL_ARENA_PUSH(st->func->arena, found->items, found->count, found->capacity, stmt);
    *slot = stmt->alloc.body;
    lift(st, slot, found);
    return;
  case TSL_STMT_STORE:
  case TSL_STMT_EVAL: return;
  }
}

/* ---- where buffers are used -------------------------------------------------------------- */

static bool expr_uses(const tsl_expr *expr, const tsl_buffer *buffer) {
  return expr && tsl_expr_loads(expr, buffer);
}

static bool regions_use(const tsl_region *regions, int count, const tsl_buffer *buffer) {
  for (int i = 0; i < count; i++) {
    if (regions[i].buffer == buffer) return true;
  }
  return false;
}

static bool stmt_uses(const tsl_stmt *stmt, const tsl_buffer *buffer) {
  if (!stmt) return false;
  switch (stmt->kind) {
  case TSL_STMT_SEQ:
    for (int i = 0; i < stmt->seq.count; i++) {
      if (stmt_uses(stmt->seq.items[i], buffer)) return true;
    }
    return false;
  case TSL_STMT_FOR:
    return expr_uses(stmt->loop.min, buffer) || expr_uses(stmt->loop.extent, buffer) ||
           stmt_uses(stmt->loop.body, buffer);
  case TSL_STMT_BLOCK:
    for (int i = 0; i < stmt->block.num_iters; i++) {
      if (expr_uses(stmt->block.iters[i].binding, buffer)) return true;
    }
    return expr_uses(stmt->block.predicate, buffer) ||
           regions_use(stmt->block.reads, stmt->block.num_reads, buffer) ||
           regions_use(stmt->block.writes, stmt->block.num_writes, buffer) ||
           stmt_uses(stmt->block.init, buffer) || stmt_uses(stmt->block.body, buffer);
  case TSL_STMT_STORE:
    if (stmt->store.buffer == buffer || expr_uses(stmt->store.value, buffer)) return true;
    for (int i = 0; i < stmt->store.num_indices; i++) {
      if (expr_uses(stmt->store.indices[i], buffer)) return true;
    }
    return false;
  case TSL_STMT_IF:
    return expr_uses(stmt->branch.condition, buffer) || stmt_uses(stmt->branch.then, buffer) ||
           stmt_uses(stmt->branch.otherwise, buffer);
  case TSL_STMT_ALLOC: return stmt_uses(stmt->alloc.body, buffer);
  case TSL_STMT_EVAL: return expr_uses(stmt->eval.value, buffer);
  }
  TSL_UNREACHABLE();
}

/* The statements in order, nested sequences flattened. */
static void flatten(storage *st, tsl_stmt *stmt, alloc_list *items) {
  if (stmt->kind != TSL_STMT_SEQ) {
    TSL_ARENA_PUSH(st->func->arena, items->items, items->count, items->capacity, stmt);
    return;
  }
  for (int i = 0; i < stmt->seq.count; i++) flatten(st, stmt->seq.items[i], items);
}

/* ---- rewriting accesses ------------------------------------------------------------------ */

static tsl_expr *flat_index(storage *st, const view *v, int count, tsl_expr *const *indices) {
  tsl_arena *arena = st->func->arena;
  tsl_expr *index = tsl_index(arena, 0);
  for (int axis = 0; axis < count; axis++) {
    tsl_expr *term =
        tsl_binary(arena, TSL_EXPR_MUL, indices[axis], tsl_index(arena, v->strides[axis]));
    index = tsl_binary(arena, TSL_EXPR_ADD, index, term);
  }
  return tsl_simplify(arena, index, NULL);
}

static const view *view_of(const storage *st, const tsl_buffer *buffer) {
  return st->views[buffer->id].into ? &st->views[buffer->id] : NULL;
}

static tsl_expr *rewritten_load(tsl_expr *load, void *context) {
  storage *st = context;
  const view *v = view_of(st, load->load.buffer);
  if (!v) return NULL;
  if (!v->flat)
    return tsl_load(st->func->arena, v->into, load->load.num_indices, load->load.indices);
  tsl_expr *index = flat_index(st, v, load->load.num_indices, load->load.indices);
  return tsl_load(st->func->arena, v->into, 1, &index);
}

static tsl_expr *rewrite_expr(storage *st, tsl_expr *expr) {
  tsl_expr_rewriter rewriter = {.load = rewritten_load, .context = st};
  return expr ? tsl_expr_rewrite(st->func->arena, expr, &rewriter) : NULL;
}

/* A region of a buffer flattened: from the flat index of its first element to that of its
 * last. */
static void rewrite_regions(storage *st, tsl_region *regions, int count) {
  tsl_arena *arena = st->func->arena;
  for (int r = 0; r < count; r++) {
    const view *v = view_of(st, regions[r].buffer);
    for (int axis = 0; axis < (v ? v->rank : regions[r].buffer->rank); axis++) {
      regions[r].min[axis] = rewrite_expr(st, regions[r].min[axis]);
      regions[r].extent[axis] = rewrite_expr(st, regions[r].extent[axis]);
    }
    if (!v) continue;
    regions[r].buffer = v->into;
    if (!v->flat) continue;
    tsl_expr *last[TSL_MAX_RANK];
    for (int axis = 0; axis < v->rank; axis++) {
      tsl_expr *end =
          tsl_binary(arena, TSL_EXPR_ADD, regions[r].min[axis], regions[r].extent[axis]);
      last[axis] = tsl_binary(arena, TSL_EXPR_SUB, end, tsl_index(arena, 1));
    }
    tsl_expr *first = flat_index(st, v, v->rank, regions[r].min);
    tsl_expr *extent =
        tsl_binary(arena, TSL_EXPR_ADD,
                   tsl_binary(arena, TSL_EXPR_SUB, flat_index(st, v, v->rank, last), first),
                   tsl_index(arena, 1));
    regions[r].min[0] = first;
    regions[r].extent[0] = tsl_simplify(arena, extent, NULL);
  }
}

static void rewrite_stmt(storage *st, tsl_stmt *stmt) {
  if (!stmt) return;
  switch (stmt->kind) {
  case TSL_STMT_SEQ:
    for (int i = 0; i < stmt->seq.count; i++) rewrite_stmt(st, stmt->seq.items[i]);
    return;
  case TSL_STMT_FOR:
    stmt->loop.min = rewrite_expr(st, stmt->loop.min);
    stmt->loop.extent = rewrite_expr(st, stmt->loop.extent);
    rewrite_stmt(st, stmt->loop.body);
    return;
  case TSL_STMT_BLOCK:
    for (int i = 0; i < stmt->block.num_iters; i++)
      stmt->block.iters[i].binding = rewrite_expr(st, stmt->block.iters[i].binding);
    stmt->block.predicate = rewrite_expr(st, stmt->block.predicate);
    rewrite_regions(st, stmt->block.reads, stmt->block.num_reads);
    rewrite_regions(st, stmt->block.writes, stmt->block.num_writes);
    rewrite_stmt(st, stmt->block.init);
    rewrite_stmt(st, stmt->block.body);
    return;
  case TSL_STMT_STORE: {
    for (int i = 0; i < stmt->store.num_indices; i++)
      stmt->store.indices[i] = rewrite_expr(st, stmt->store.indices[i]);
    stmt->store.value = rewrite_expr(st, stmt->store.value);
    const view *v = view_of(st, stmt->store.buffer);
    if (!v) return;
    stmt->store.buffer = v->into;
    if (!v->flat) return;
    stmt->store.indices[0] = flat_index(st, v, stmt->store.num_indices, stmt->store.indices);
    stmt->store.num_indices = 1;
    return;
  }
  case TSL_STMT_IF:
    stmt->branch.condition = rewrite_expr(st, stmt->branch.condition);
    rewrite_stmt(st, stmt->branch.then);
    rewrite_stmt(st, stmt->branch.otherwise);
    return;
  case TSL_STMT_ALLOC: rewrite_stmt(st, stmt->alloc.body); return;
  case TSL_STMT_EVAL: stmt->eval.value = rewrite_expr(st, stmt->eval.value); return;
  }
}

/* ---- sharing memory ---------------------------------------------------------------------- */

/* Elements from the first to the last the buffer's strides reach. */
static int64_t span(const tsl_buffer *buffer) {
  int64_t last = 0;
  for (int axis = 0; axis < buffer->rank; axis++) {
    if (buffer->shape[axis] == 0) return 0;
    last += (buffer->shape[axis] - 1) * buffer->strides[axis];
  }
  return last + 1;
}

static bool same_layout(const tsl_buffer *a, const tsl_buffer *b) {
  if (a->rank != b->rank) return false;
  for (int axis = 0; axis < a->rank; axis++) {
    if (a->shape[axis] != b->shape[axis] || a->strides[axis] != b->strides[axis]) return false;
  }
  return true;
}

/* The statements of the place that use the buffer: [first, last], first -1 when none. */
typedef struct use {
  int first, last;
} use;

static use uses_in(const alloc_list *items, const tsl_buffer *buffer) {
  use u = {-1, -1};
  for (int i = 0; i < items->count; i++) {
    if (!stmt_uses(items->items[i], buffer)) continue;
    if (u.first < 0) u.first = i;
    u.last = i;
  }
  return u;
}

/* The allocations wrapping the place's statements: each joins the group of the first earlier
 * one of its dtype and scope (the leader) whose members' uses do not overlap its own. A group
 * whose members differ in shape becomes one flat buffer, as large as the largest. */
static void share(storage *st, alloc_list *allocs, tsl_stmt *body) {
  alloc_list items = {0};
  flatten(st, body, &items);
  int count = allocs->count;
  use *uses = calloc((size_t)count + 1, sizeof(use));
  int *leader = calloc((size_t)count + 1, sizeof(int));
  TSL_CHECK_ALLOC(uses && leader);
  for (int i = 0; i < count; i++) {
    const tsl_buffer *buffer = allocs->items[i]->alloc.buffer;
    uses[i] = uses_in(&items, buffer);
    leader[i] = i;
    for (int j = 0; j < i && uses[i].first >= 0 && leader[i] == i; j++) {
      const tsl_buffer *other = allocs->items[j]->alloc.buffer;
      if (leader[j] != j || other->dtype != buffer->dtype || other->scope != buffer->scope)
        continue;
      bool apart = true;
      for (int k = 0; k < i && apart; k++) {
        if (leader[k] == j)
          apart =
              uses[k].first >= 0 && (uses[k].last < uses[i].first || uses[i].last < uses[k].first);
      }
      if (apart) leader[i] = j;
    }
  }
  bool merged = false;
  for (int j = 0; j < count; j++) {
    tsl_buffer *into = allocs->items[j]->alloc.buffer;
    bool flat = false, shared = false;
    int64_t size = span(into);
    for (int i = j + 1; i < count; i++) {
      if (leader[i] != j) continue;
      const tsl_buffer *member = allocs->items[i]->alloc.buffer;
      shared = true;
      flat |= !same_layout(member, into);
      if (span(member) > size) size = span(member);
    }
    if (!shared) continue;
    merged = true;
    for (int i = j; i < count; i++) {
      if (leader[i] != j) continue;
      const tsl_buffer *member = allocs->items[i]->alloc.buffer;
      view *v = &st->views[member->id];
      *v = (view){.into = into, .flat = flat, .rank = member->rank};
      for (int axis = 0; axis < member->rank; axis++) v->strides[axis] = member->strides[axis];
    }
    if (flat) {
      into->rank = 1;
      into->shape[0] = size;
      into->strides[0] = 1;
    }
  }
  if (merged) {
    rewrite_stmt(st, body);
    /* Done: a place around this one that rewrites its own buffers must leave these be. */
    for (int i = 0; i < count; i++) st->views[allocs->items[i]->alloc.buffer->id].into = NULL;
    int kept = 0;
    for (int i = 0; i < count; i++) {
      if (leader[i] == i) allocs->items[kept++] = allocs->items[i];
    }
    allocs->count = kept;
  }
  free(uses);
  free(leader);
}

/* The allocations below `*slot` (down to the next parallel or vectorized loop) wrap it, those
 * whose uses do not overlap sharing memory. */
static void place(storage *st, tsl_stmt **slot) {
  alloc_list allocs = {0};
  lift(st, slot, &allocs);
  if (!*slot || allocs.count == 0) return;
  share(st, &allocs, *slot);
  for (int i = allocs.count - 1; i >= 0; i--) {
    allocs.items[i]->alloc.body = *slot;
    *slot = allocs.items[i];
  }
}

void tsl_tir_storage_rewrite(tsl_primfunc *func) {
  storage st = {.func = func, .views = calloc((size_t)func->num_ids + 1, sizeof(view))};
  TSL_CHECK_ALLOC(st.views);
  place(&st, &func->body);
  free(st.views);
}
