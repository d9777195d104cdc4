/* The default schedule: rules that look at each loop nest around a block and schedule it with
 * the primitives of primitives.c, taking their decisions from the target.
 *
 *   place           first, where each stage that feeds a later one runs: a nest of its own
 *                   (the heuristic), or under a loop of the stage that reads it (place_stages).
 *                   A nest whose loops then hold several stages has each scheduled below them.
 *   tile_reduction  a reduction whose output's last axis is contiguous (matmul, convolution):
 *                   a tile of that axis (vector lanes) by another output axis whose operands
 *                   do not change along it (a register block: each vector loaded once feeds a
 *                   row of accumulators) accumulates in a local buffer under the reduction
 *                   loops, initialised before them and copied out after. The loops run
 *                   S S R S: the outer spatial loops (one of them parallel), the register
 *                   tiles of a row block, the reduction, the register tile. A decision splits
 *                   the reduction into blocks run outside the row block's tiles, S S R S R S
 *                   (TVM MetaSchedule's CPU tiling): each tile then starts from the output's
 *                   values (cache_write_at's fill), the init running before the blocks
 *                   (split_reduction; the heuristic does not split). Row blocks only where the
 *                   operand along the vector lanes that one turn of the rows' loop reads does
 *                   not stay in L2 for the next (a product by a large matrix; a convolution's
 *                   weights change only outside that loop): then as many tiles of rows as
 *                   keep their own operand in half of L2 share each panel of the other.
 *                   choose_tile_factors takes every size, each a divisor of its loop's extent,
 *                   as the heuristic decision of a sample_perfect_tile, but for the vector
 *                   lanes where they do not divide their axis: then whole vectors with a tail
 *                   (a split whose blocks get a predicate, which lowering partitions off), as
 *                   a narrower vector is slower (gemm 1000, 16 lanes: 10-lane vectors before).
 *                   A constant operand read along the tile's columns with rows of more than
 *                   one tile (a product's right-hand matrix) is packed into tiles of its
 *                   width (pack_x_operand, a layout rewrite of the weight).
 *                   Where the vector tile around the innermost reduction loop would be the
 *                   nest of a tensor intrinsic the target has (intrin.h: a u8 × i8 product
 *                   with the weight packed [K/4][N][4] and VNNI), that loop moves inside the
 *                   tile and the tile is tensorized instead of vectorised.
 *   rfactor         a reduction whose innermost reduced axis is the last index of everything it
 *                   reads that depends on it (softmax's max and sum, a mean, a global pool):
 *                   that axis split into vector lanes, each lane accumulating its own partial
 *                   result in one vector register, and the lanes folded at the end.
 *   vectorize       any other nest whose innermost loop writes contiguously: that loop split
 *                   into vector lanes.
 *                   The elementwise stages that read what the tile writes back (a fused
 *                   kernel's epilogue) are inlined into the write-back.
 *   parallel        one outer spatial loop on the thread pool, when the nest does enough work.
 *   unroll          how many iterations of the innermost loops are written out (unroll_max).
 *
 * Where a rule does not apply it changes nothing; a reduction it cannot tile still gets its
 * contiguous output axis sunk below the reduction loops, so that LLVM can vectorise it.
 *
 * The rules run on a traced schedule (trace.h). Their choices are sampling instructions: the
 * stages' locations (sample_compute_location), the tiles of the contiguous axis and of the
 * register block (sample_perfect_tile), the vector factor of other nests, the tile of an
 * axis the lanes do not divide (whole vectors with a tail, two, or the largest divisor),
 * whether to pack a weight, the loop that runs in parallel and the unroll limit
 * (sample_categorical). The default schedule takes the heuristic decision of each, from the
 * target; a search draws them (a seeded schedule) or changes one of a trace's (a followed
 * trace with a decision redrawn). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ir/check.h"
#include "ir/intrin.h"
#include "passes/schedule/trace.h"

enum {
  MIN_PARALLEL_WORK = 1 << 14, /* below this many iterations a nest runs on one thread */
  MAX_IMBALANCE_PERCENT = 115, /* a parallel loop's slowest thread against an even share */
  MAX_DEPTH = TSL_SCH_MAX_LOOPS,
  MAX_REGISTER_ROWS = 8, /* rows of a register block */
};

static int64_t constant_extent(const tsl_stmt *loop) {
  return loop->loop.extent->kind == TSL_EXPR_INT ? loop->loop.extent->int_value : 0;
}

/* The largest divisor of n that is at most limit. */
static int64_t divisor_at_most(int64_t n, int64_t limit) {
  for (int64_t d = limit < n ? limit : n; d > 1; d--) {
    if (n % d == 0) return d;
  }
  return 1;
}

/* ---- what a nest looks like -------------------------------------------------------------- */

/* The store a block's body makes: the body itself, or the one store under a condition without
 * an else (a pool's padded taps, which only some iterations update); NULL for anything else. */
static const tsl_stmt *block_store(const tsl_stmt *block) {
  const tsl_stmt *body = block->block.body;
  if (body->kind == TSL_STMT_IF && !body->branch.otherwise) body = body->branch.then;
  return body->kind == TSL_STMT_STORE ? body : NULL;
}

/* A loop nest as lowering makes it: one loop per block variable, each binding it directly. */
typedef struct nest {
  tsl_stmt *loops[MAX_DEPTH];
  int depth;
  tsl_stmt *block;
  int iter_of[MAX_DEPTH]; /* by loop: the block variable it binds, -1 none */
} nest;

/* Whether a binding is loop i's variable, or that plus what no loop of the nest changes (a
 * block compute_at moved under a loop outside: its start there). */
static bool binds_loop(const nest *n, int i, const tsl_expr *binding) {
  const tsl_var *var = n->loops[i]->loop.var;
  if (binding->kind == TSL_EXPR_VAR) return binding->var == var;
  if (binding->kind != TSL_EXPR_ADD || binding->op.b->kind != TSL_EXPR_VAR ||
      binding->op.b->var != var)
    return false;
  for (int l = 0; l < n->depth; l++) {
    if (tsl_expr_uses_var(binding->op.a, n->loops[l]->loop.var)) return false;
  }
  return true;
}

static bool read_nest(tsl_stmt *outer, nest *n) {
  n->depth = 0;
  tsl_stmt *at = outer;
  while (at->kind == TSL_STMT_FOR && n->depth < MAX_DEPTH) {
    n->loops[n->depth++] = at;
    at = at->loop.body;
  }
  if (at->kind != TSL_STMT_BLOCK) return false;
  n->block = at;
  for (int i = 0; i < n->depth; i++) {
    n->iter_of[i] = -1;
    for (int j = 0; j < at->block.num_iters; j++) {
      if (binds_loop(n, i, at->block.iters[j].binding)) n->iter_of[i] = j;
    }
  }
  return true;
}

static tsl_iter_kind kind_of(const nest *n, int loop) {
  return n->block->block.iters[n->iter_of[loop]].kind;
}

/* The loop binding the block variable that is the last index of the block's store: the axis
 * written contiguously. -1 when there is none. */
static int contiguous_loop(const nest *n) {
  const tsl_stmt *store = block_store(n->block);
  if (!store || store->store.num_indices == 0) return -1;
  const tsl_expr *last = store->store.indices[store->store.num_indices - 1];
  if (last->kind != TSL_EXPR_VAR) return -1;
  for (int i = 0; i < n->depth; i++) {
    if (n->iter_of[i] >= 0 && n->block->block.iters[n->iter_of[i]].var == last->var) return i;
  }
  return -1;
}

/* Whether some load of an operand (not the output) that changes along `along` also changes
 * along `var`: then a register block over `var` would not reuse that load. */
typedef struct operand_scan {
  const tsl_buffer *output;
  const tsl_var *along, *var;
  bool shared;
} operand_scan;

static void scan_operand(const tsl_expr *expr, void *context) {
  operand_scan *scan = context;
  if (expr->kind != TSL_EXPR_LOAD || expr->load.buffer == scan->output) return;
  bool along = false, var = false;
  for (int i = 0; i < expr->load.num_indices; i++) {
    along = along || tsl_expr_uses_var(expr->load.indices[i], scan->along);
    var = var || tsl_expr_uses_var(expr->load.indices[i], scan->var);
  }
  if (along && var) scan->shared = false;
}

static int vector_lanes(const tsl_target *target, tsl_dtype dtype) {
  int bits = target && target->vector_bits ? target->vector_bits : 128;
  int lanes = bits / (8 * (int)tsl_dtype_size(dtype));
  return lanes < 2 ? 2 : lanes;
}

/* ---- rules ------------------------------------------------------------------------------- */

/* The threads the kernel will run on: the target's cores, or this machine's. */
static int64_t threads_of(const tsl_target *target) {
  if (target->cores > 0) return target->cores;
  long online = target->host ? sysconf(_SC_NPROCESSORS_ONLN) : 0;
  return online > 0 ? online : 4;
}

/* One loop around `block` above its reduction loops on the thread pool, when the nest does
 * enough work: a decision among those loops, the heuristic's the outermost whose iterations
 * share evenly among the threads (the slowest thread at most 15% above an even share), so
 * that the threads start once per kernel stage rather than once per iteration of the loops
 * around; failing that, the first with two. */
static void parallelize(tsl_schedule *sch, const tsl_target *target, tsl_stmt *block,
                        int64_t work) {
  if (work < MIN_PARALLEL_WORK) return;
  int64_t threads = threads_of(target);
  tsl_stmt *loops[MAX_DEPTH];
  int depth = tsl_sch_get_loops(sch->func, block, loops);
  /* The candidates, outermost first, and the heuristic's choice among them. */
  int64_t candidates[MAX_DEPTH];
  int count = 0, chosen = -1;
  bool even = false; /* the chosen one shares evenly */
  for (int i = 0; i < depth && loops[i]->loop.loop_kind == TSL_LOOP_SERIAL; i++) {
    /* A loop of one iteration changes nothing (compute_at leaves one around a stage it moves
     * where the loop outside binds that variable). */
    int64_t extent = constant_extent(loops[i]);
    if (extent == 1) continue;
    bool spatial = false, reduce = false;
    for (int j = 0; j < block->block.num_iters; j++) {
      const tsl_block_iter *iter = &block->block.iters[j];
      if (!tsl_expr_uses_var(iter->binding, loops[i]->loop.var)) continue;
      if (iter->kind == TSL_ITER_REDUCE)
        reduce = true;
      else
        spatial = true;
    }
    if (reduce || !spatial) break;
    if (extent < 2) continue;
    int64_t rounds = (extent + threads - 1) / threads;
    if (rounds * threads * 100 <= extent * MAX_IMBALANCE_PERCENT && !even) {
      even = true;
      chosen = count;
    }
    if (chosen < 0) chosen = count;
    candidates[count++] = i;
  }
  if (count == 0) return;
  tsl_error error;
  int index;
  if (tsl_schedule_sample_categorical(sch, count, candidates, NULL, chosen, &index, &error)) return;
  tsl_schedule_parallel(sch, loops[candidates[index]], &error);
}

/* Marks the loops of a block that iterate `unrolled` and `vectorized` (loop variables of the
 * axes, found through the block's bindings). */
static void mark_loops(tsl_schedule *sch, tsl_stmt *block, const tsl_var *unrolled_var,
                       const tsl_var *vectorized_var) {
  tsl_stmt *loops[MAX_DEPTH];
  int depth = tsl_sch_get_loops(sch->func, block, loops);
  tsl_error error;
  for (int i = 0; i < depth; i++) {
    if (loops[i]->loop.var == unrolled_var) tsl_schedule_unroll(sch, loops[i], &error);
    if (loops[i]->loop.var == vectorized_var) tsl_schedule_vectorize(sch, loops[i], &error);
  }
}

/* The loop of `block` (among its last `count` loops) whose variable its binding of the store
 * index `axis` uses. */
static const tsl_var *loop_of_axis(tsl_schedule *sch, tsl_stmt *block, int axis) {
  tsl_stmt *loops[MAX_DEPTH];
  int depth = tsl_sch_get_loops(sch->func, block, loops);
  const tsl_stmt *store = block->block.body;
  const tsl_expr *index = store->store.indices[axis];
  const tsl_expr *binding = index;
  for (int j = 0; j < block->block.num_iters; j++) {
    if (index->kind == TSL_EXPR_VAR && block->block.iters[j].var == index->var)
      binding = block->block.iters[j].binding;
  }
  for (int i = depth - 1; i >= 0; i--) {
    if (tsl_expr_uses_var(binding, loops[i]->loop.var)) return loops[i]->loop.var;
  }
  return NULL;
}

/* The elementwise stages after a tile's write-back (a fused kernel's epilogue: bias, scale,
 * residual, activation), one after another, move into the write-back, where they run on the
 * tile while it is in registers instead of in a pass of their own over memory. */
static void inline_consumers(tsl_schedule *sch, tsl_stmt *write_back) {
  tsl_error error;
  for (;;) {
    tsl_stmt *consumer = tsl_sch_get_consumer(sch->func, write_back);
    if (!consumer || tsl_schedule_reverse_compute_inline(sch, consumer, &error)) return;
  }
}

/* ---- tile sizes -------------------------------------------------------------------------- */

/* The shape of a reduction nest the tiles are chosen for. */
typedef struct tile_problem {
  int64_t x_extent; /* the contiguous output axis */
  int64_t u_extent; /* the register block's axis; 1 when there is none */
  int64_t reduce;   /* the iterations of the reduction loops, all together */
  int64_t sweep;    /* of the x operand: elements read while u's outer loop does one turn */
  tsl_dtype dtype;  /* of the output */
  int64_t threads;
} tile_problem;

/* How the loops of a reduction nest split, outermost first; each factor divides its loop's
 * extent (a perfect tile), so that each is one sample_perfect_tile decision for the autotuner,
 * but for x_tail. The loops run S S R S: u[0] and the other spatial loops (the outer one
 * parallel), u[1] (the register tiles of a row block), the reduction, then the register tile
 * u[2] × x[1]. */
typedef struct tile_factors {
  int64_t x[2]; /* the contiguous output axis: tiles, vector lanes */
  int64_t u[3]; /* the register block's axis: row blocks, tiles in a block, rows of a tile */
  bool x_tail;  /* x[1] is a whole vector that does not divide the axis: a split with a tail */
} tile_factors;

/* The tile sizes of a reduction nest for the target. The register tile: vector lanes by as
 * many rows as the vector registers hold accumulators (leaving some for the operands). The row
 * block, where the x operand that one turn of the rows' loop reads does not stay in L2 for the
 * next (a product's whole right-hand matrix, while a convolution's weights change only outside
 * that loop): that many tiles of rows, whose u operand (rows × the reduction) stays in half of
 * L2, each x panel then read from memory once per block instead of once per tile of rows,
 * with the blocks still enough to share among the threads. */
static tile_factors choose_tile_factors(const tsl_target *target, const tile_problem *problem) {
  int lanes = vector_lanes(target, problem->dtype);
  int64_t bytes = (int64_t)tsl_dtype_size(problem->dtype);
  int64_t vector = divisor_at_most(problem->x_extent, lanes);
  /* Where the lanes do not divide the axis (1000 outputs: its largest divisor within 16 lanes
   * is 10), whole vectors and a tail, which lowering partitions off, do better. */
  bool x_tail = vector < lanes && problem->x_extent > lanes;
  if (x_tail) vector = lanes;
  int vectors_a_row = (int)((vector + lanes - 1) / lanes);
  int budget = (target && target->vector_bits >= 512 ? 24 : 12) / vectors_a_row;
  int64_t limit = budget < MAX_REGISTER_ROWS ? budget : MAX_REGISTER_ROWS;
  int64_t rows = divisor_at_most(problem->u_extent, limit);
  /* An axis whose divisors within the limit are all small (13, a prime: SqueezeNet's 13×13
   * layers; 26 and 52, YOLO's) would leave a row or two a tile, each FMA waiting for the one
   * before on its accumulator: the tile takes the largest divisor the registers hold (13). */
  if (rows * 2 <= limit) {
    int64_t wider = divisor_at_most(problem->u_extent, budget);
    if (wider > rows) rows = wider;
  }
  tile_factors f = {{(problem->x_extent + vector - 1) / vector, vector},
                    {problem->u_extent / rows, 1, rows},
                    x_tail};
  if (problem->sweep * bytes <= TSL_TARGET_L2_BYTES) return f;
  int64_t strip_bytes = rows * problem->reduce * bytes;
  int64_t block = TSL_TARGET_L2_BYTES / 2 / strip_bytes, shared = f.u[0] / problem->threads;
  f.u[1] = divisor_at_most(f.u[0], block < shared ? block : shared);
  f.u[0] /= f.u[1];
  return f;
}

/* ---- the tiled reduction ----------------------------------------------------------------- */

/* The last output axis whose index uses loop i's block variable; -1 when there is none. */
static int output_axis(const nest *n, int i) {
  const tsl_stmt *store = block_store(n->block);
  const tsl_var *var = n->block->block.iters[n->iter_of[i]].var;
  int axis = -1;
  for (int a = 0; a < store->store.num_indices; a++) {
    if (tsl_expr_uses_var(store->store.indices[a], var)) axis = a;
  }
  return axis;
}

/* Whether an operand that changes along loop x changes along loop i. */
static bool x_operand_varies(const nest *n, int x, int i) {
  const tsl_stmt *store = block_store(n->block);
  operand_scan scan = {store->store.buffer, n->block->block.iters[n->iter_of[x]].var,
                       n->block->block.iters[n->iter_of[i]].var, true};
  tsl_expr_walk(store->store.value, scan_operand, &scan);
  return !scan.shared;
}

/* The register block's loop: the widest output axis along which no operand that changes with
 * x changes (each vector loaded once feeds a row of accumulators); -1 when there is none. */
static int register_block_loop(const nest *n, int x) {
  int u = -1;
  for (int i = 0; i < n->depth; i++) {
    if (i == x || kind_of(n, i) != TSL_ITER_SPATIAL || constant_extent(n->loops[i]) < 2) continue;
    if (output_axis(n, i) >= 0 && !x_operand_varies(n, x, i) &&
        (u < 0 || constant_extent(n->loops[i]) > constant_extent(n->loops[u])))
      u = i;
  }
  return u;
}

/* The elements of the buffers an operand that changes along x reads, all together (each
 * buffer once). */
typedef struct x_buffer_scan {
  const tsl_buffer *output;
  const tsl_var *x_var;
  const tsl_buffer *seen[8];
  int count;
  int64_t elements;
} x_buffer_scan;

static void scan_x_buffers(const tsl_expr *expr, void *context) {
  x_buffer_scan *scan = context;
  if (expr->kind != TSL_EXPR_LOAD || expr->load.buffer == scan->output) return;
  bool along = false;
  for (int i = 0; i < expr->load.num_indices; i++)
    along = along || tsl_expr_uses_var(expr->load.indices[i], scan->x_var);
  for (int i = 0; i < scan->count; i++) along = along && scan->seen[i] != expr->load.buffer;
  if (!along) return;
  const tsl_buffer *buffer = expr->load.buffer;
  int64_t elements = 1;
  for (int axis = 0; axis < buffer->rank; axis++) elements *= buffer->shape[axis];
  scan->elements += elements;
  if (scan->count < 8) scan->seen[scan->count++] = buffer;
}

/* The elements of the x operand read in one turn of u's outer loop: the reduction times the
 * spatial loops inside it (those after u) along which the x operand changes, x's included; at
 * most the x operand's buffers (a convolution's windows overlap). */
static int64_t x_operand_sweep(const nest *n, int x, int u, int64_t reduce) {
  int64_t sweep = reduce * constant_extent(n->loops[x]);
  for (int i = u + 1; i < n->depth && u >= 0; i++) {
    if (i != x && kind_of(n, i) == TSL_ITER_SPATIAL && x_operand_varies(n, x, i))
      sweep *= constant_extent(n->loops[i]);
  }
  const tsl_stmt *store = block_store(n->block);
  x_buffer_scan scan = {.output = store->store.buffer,
                        .x_var = n->block->block.iters[n->iter_of[x]].var};
  tsl_expr_walk(store->store.value, scan_x_buffers, &scan);
  return scan.elements < sweep ? scan.elements : sweep;
}

/* The constant parameter the vector tile reads along x, when it reads it with x's variable
 * alone as the last index and its last axis holds more than one tile: each step of the
 * reduction then moves to another row of it, rows apart. -1 when there is none. */
typedef struct packable_scan {
  const tsl_primfunc *func;
  const tsl_var *x_var;
  int64_t tile;
  int param;
} packable_scan;

static void scan_packable(const tsl_expr *expr, void *context) {
  packable_scan *scan = context;
  if (expr->kind != TSL_EXPR_LOAD || expr->load.num_indices < 2) return;
  const tsl_buffer *buffer = expr->load.buffer;
  int last = expr->load.num_indices - 1;
  const tsl_expr *index = expr->load.indices[last];
  if (index->kind != TSL_EXPR_VAR || index->var != scan->x_var || buffer->shape[last] <= scan->tile)
    return;
  for (int i = 0; i < last; i++) {
    if (tsl_expr_uses_var(expr->load.indices[i], scan->x_var)) return;
  }
  for (int p = 0; p < scan->func->num_params; p++) {
    if (scan->func->params[p] == buffer && scan->func->is_constant[p] && !scan->func->packing[p])
      scan->param = p;
  }
}

/* Packs the constant operand that the vector tile reads along x (a matrix product's right-hand
 * matrix [K, N]) into tiles of the tile's width w, [N/w, K, w] (TVM's layout rewrite of
 * weights; MLAS's packed B): the reduction then walks each tile's columns contiguously instead
 * of rows N apart, which for a large matrix miss the TLB and fall into few cache sets. A
 * decision (sample_categorical): the heuristic packs a matrix larger than L2, where it
 * matters. The compiler packs the constant once (driver). */
static void pack_x_operand(tsl_schedule *sch, nest *n, int x, int64_t tile) {
  if (tile < 2) return;
  const tsl_stmt *store = block_store(n->block);
  packable_scan scan = {sch->func, n->block->block.iters[n->iter_of[x]].var, tile, -1};
  tsl_expr_walk(store->store.value, scan_packable, &scan);
  if (scan.param < 0) return;
  tsl_buffer *buffer = sch->func->params[scan.param];
  int64_t bytes = (int64_t)tsl_dtype_size(buffer->dtype);
  for (int axis = 0; axis < buffer->rank; axis++) bytes *= buffer->shape[axis];
  int64_t choices[2] = {0, 1};
  int index;
  tsl_error error;
  if (tsl_schedule_sample_categorical(sch, 2, choices, NULL, bytes > TSL_TARGET_L2_BYTES, &index,
                                      &error) ||
      !choices[index])
    return;
  int last = buffer->rank - 1;
  tsl_layout_axis axes[TSL_MAX_RANK];
  axes[0] = (tsl_layout_axis){last, TSL_LAYOUT_OUTER, tile};
  for (int axis = 0; axis < last; axis++)
    axes[axis + 1] = (tsl_layout_axis){axis, TSL_LAYOUT_WHOLE, 0};
  axes[last + 1] = (tsl_layout_axis){last, TSL_LAYOUT_INNER, tile};
  if (tsl_schedule_transform_layout(sch, buffer, buffer->rank + 1, axes, &error)) TSL_UNREACHABLE();
}

/* The target's intrinsic whose nest the vector tile `lanes` around the innermost reduction
 * loop `reduce` would be, the block's init decomposed; NULL when there is none. */
static const tsl_intrin *dot_intrinsic(const tsl_target *target, const tsl_stmt *block,
                                       const tsl_stmt *lanes, const tsl_stmt *reduce) {
  int count;
  const tsl_intrin *table = tsl_intrin_table(&count);
  for (int i = 0; i < count; i++) {
    const tsl_intrin *intrin = &table[i];
    tsl_intrin_match match;
    tsl_error error;
    if (tsl_intrin_available(intrin, target) && constant_extent(lanes) == intrin->lanes &&
        constant_extent(reduce) == intrin->depth &&
        !tsl_intrin_match_block(intrin, block, lanes->loop.var, reduce->loop.var, &match, &error))
      return intrin;
  }
  return NULL;
}

/* How tile_reduction tiles a nest: the contiguous loop x, the register block's loop u (-1:
 * none), the problem and its tile sizes. */
typedef struct tile_plan {
  int x, u;
  tile_problem problem;
  tile_factors f;
} tile_plan;

/* The plan for a reduction nest; false when the rule does not apply to it. */
static bool plan_tile(const tsl_target *target, const nest *n, tile_plan *plan) {
  if (!n->block->block.init) return false;
  int64_t reduce = 1;
  for (int i = 0; i < n->depth; i++) {
    if (n->iter_of[i] < 0 || constant_extent(n->loops[i]) < 1) return false;
    if (kind_of(n, i) == TSL_ITER_REDUCE) reduce *= constant_extent(n->loops[i]);
  }
  int x = contiguous_loop(n);
  if (x < 0 || kind_of(n, x) != TSL_ITER_SPATIAL) return false;
  const tsl_stmt *store = block_store(n->block);
  int u = register_block_loop(n, x);
  plan->x = x;
  plan->u = u;
  plan->problem = (tile_problem){
      .x_extent = constant_extent(n->loops[x]),
      .u_extent = u >= 0 ? constant_extent(n->loops[u]) : 1,
      .reduce = reduce,
      .sweep = x_operand_sweep(n, x, u, reduce),
      .dtype = store->store.buffer->dtype,
      .threads = threads_of(target),
  };
  plan->f = choose_tile_factors(target, &plan->problem);
  return plan->f.x[1] >= 2;
}

/* The vector tile of an axis that the lanes do not divide, a decision (sample_categorical):
 * whole vectors with a tail (the heuristic), two vectors with a tail, or the largest divisor
 * within a vector (no tail, narrower vectors). */
static bool tail_tile(tsl_schedule *sch, int64_t extent, int lanes, int64_t tile[2]) {
  int64_t candidates[3] = {lanes, 2 * (int64_t)lanes, divisor_at_most(extent, lanes)};
  int count = candidates[2] >= 2 ? 3 : 2;
  if (candidates[1] >= extent) candidates[1] = candidates[--count];
  int index;
  tsl_error error;
  if (tsl_schedule_sample_categorical(sch, count, candidates, NULL, 0, &index, &error))
    return false;
  tile[1] = candidates[index];
  tile[0] = (extent + tile[1] - 1) / tile[1];
  return true;
}

/* The outermost reduction loop split in two (a sample_perfect_tile decision), the outer part
 * to run outside the last outer spatial loop: the tiles then add up one block of the reduction
 * at a time in the output, whose operands' blocks stay in cache (S S R S R S, TVM
 * MetaSchedule's CPU tiling; GotoBLAS's kc). The heuristic does not split: on the machines
 * measured (docs/performance.md) the hardware prefetchers stream the operands' panels as fast,
 * and the blocks cost a pass over the output each. NULL when not split; the nest's loop
 * becomes the inner part. */
static tsl_stmt *split_reduction(tsl_schedule *sch, nest *n) {
  int r = -1;
  for (int i = 0; i < n->depth && r < 0; i++) {
    if (kind_of(n, i) == TSL_ITER_REDUCE) r = i;
  }
  int64_t extent = r >= 0 ? constant_extent(n->loops[r]) : 0;
  if (extent < 2) return NULL;
  int64_t heuristic[2] = {1, extent}, factors[2];
  tsl_stmt *parts[2];
  tsl_error error;
  if (tsl_schedule_sample_perfect_tile(sch, n->loops[r], 2, extent, heuristic, factors, &error) ||
      factors[0] == 1 || tsl_schedule_split(sch, n->loops[r], 2, factors, parts, &error))
    return NULL;
  n->loops[r] = parts[1];
  return parts[0];
}

/* The block that fills a tile's local buffer from the buffer that `write_back` copies it back
 * to (cache_write_at's fill, where the tile starts from the buffer's values); NULL when none. */
typedef struct fill_scan {
  const tsl_buffer *local, *buffer;
} fill_scan;

static bool fills(const tsl_stmt *stmt, const void *context) {
  const fill_scan *scan = context;
  if (stmt->kind != TSL_STMT_BLOCK || stmt->block.body->kind != TSL_STMT_STORE) return false;
  const tsl_stmt *store = stmt->block.body;
  return store->store.buffer == scan->local && store->store.value->kind == TSL_EXPR_LOAD &&
         store->store.value->load.buffer == scan->buffer;
}

static tsl_stmt *tile_fill(tsl_primfunc *func, const tsl_stmt *write_back) {
  const tsl_stmt *store = write_back->block.body;
  fill_scan scan = {store->store.value->load.buffer, store->store.buffer};
  return tsl_stmt_find(func->body, fills, &scan);
}

static bool tile_reduction(tsl_schedule *sch, const tsl_target *target, nest *n) {
  tsl_stmt *block = n->block;
  tile_plan plan;
  if (!plan_tile(target, n, &plan)) return false;
  int x = plan.x, u = plan.u;
  tile_problem problem = plan.problem;
  tile_factors f = plan.f;
  int u_axis = u >= 0 ? output_axis(n, u) : -1; /* the output axis the register block runs along */
  tsl_error error;
  int64_t work = 1;
  for (int i = 0; i < n->depth; i++) work *= constant_extent(n->loops[i]);
  /* Each factor is a decision: the heuristic's above, or a search's (the vector tile up to
   * four vectors wide). */
  int lanes = vector_lanes(target, problem.dtype);
  tsl_stmt *x_loops[2], *u_loops[3] = {NULL, NULL, NULL};
  int64_t x_tile[2], u_tile[3];
  if (f.x_tail) {
    if (!tail_tile(sch, problem.x_extent, lanes, x_tile)) return false;
  } else if (tsl_schedule_sample_perfect_tile(sch, n->loops[x], 2, 4 * lanes, f.x, x_tile,
                                              &error)) {
    return false;
  }
  if (tsl_schedule_split(sch, n->loops[x], 2, x_tile, x_loops, &error)) return false;
  pack_x_operand(sch, n, x, x_tile[1]);
  int64_t max_rows = f.u[2] > MAX_REGISTER_ROWS ? f.u[2] : MAX_REGISTER_ROWS;
  if (u >= 0 &&
      (tsl_schedule_sample_perfect_tile(sch, n->loops[u], 3, max_rows, f.u, u_tile, &error) ||
       tsl_schedule_split(sch, n->loops[u], 3, u_tile, u_loops, &error)))
    TSL_UNREACHABLE();
  tsl_stmt *reduce_outer = split_reduction(sch, n);
  /* The outer spatial loops, a row block's tiles, then the reduction loops, then the tile; the
   * outer part of a split reduction before the last outer loop. */
  tsl_stmt *order[MAX_DEPTH + 4];
  int count = 0, first_reduce = -1;
  for (int i = 0; i < n->depth; i++) {
    if (kind_of(n, i) == TSL_ITER_SPATIAL) order[count++] = n->loops[i];
  }
  if (u_loops[1]) order[count++] = u_loops[1];
  tsl_stmt *last_outer = order[count - 1];
  if (reduce_outer) {
    order[count - 1] = reduce_outer;
    order[count++] = last_outer;
    first_reduce = count - 2;
  }
  for (int i = 0; i < n->depth; i++) {
    if (kind_of(n, i) != TSL_ITER_REDUCE) continue;
    if (first_reduce < 0) first_reduce = count;
    order[count++] = n->loops[i];
  }
  if (first_reduce < 0) return false;
  if (u_loops[2]) order[count++] = u_loops[2];
  order[count++] = x_loops[1];
  if (tsl_schedule_reorder(sch, count, order, &error)) TSL_UNREACHABLE();
  tsl_stmt *init, *copy;
  if (tsl_schedule_decompose_reduction(sch, block, order[first_reduce], &init, &error))
    TSL_UNREACHABLE();
  const tsl_var *u_var = u_loops[2] ? u_loops[2]->loop.var : NULL;
  /* The init's copies of the tile loops are its last loops. */
  tsl_stmt *init_loops[MAX_DEPTH];
  int init_depth = tsl_sch_get_loops(sch->func, init, init_loops);
  if (tsl_schedule_vectorize(sch, init_loops[init_depth - 1], &error)) TSL_UNREACHABLE();
  if (u_var && tsl_schedule_unroll(sch, init_loops[init_depth - 2], &error)) TSL_UNREACHABLE();
  /* Where the vector tile around the innermost reduction loop is a dot intrinsic's nest, that
   * loop moves inside the tile, which the intrinsic then replaces instead of vectorising. */
  tsl_stmt *inner_reduce = order[count - (u_loops[2] ? 3 : 2)];
  const tsl_intrin *intrin = dot_intrinsic(target, block, x_loops[1], inner_reduce);
  if (intrin) {
    tsl_stmt *inward[3];
    int moved = 0;
    if (u_loops[2]) inward[moved++] = u_loops[2];
    inward[moved++] = x_loops[1];
    inward[moved++] = inner_reduce;
    if (tsl_schedule_reorder(sch, moved, inward, &error)) TSL_UNREACHABLE();
  }
  mark_loops(sch, block, u_var, intrin ? NULL : x_loops[1]->loop.var);
  if (!tsl_schedule_cache_write_at(sch, block, last_outer, &copy, &error)) {
    int rank = copy->block.body->store.num_indices;
    const tsl_var *copy_x = loop_of_axis(sch, copy, rank - 1);
    const tsl_var *copy_u = u_var && u_axis >= 0 ? loop_of_axis(sch, copy, u_axis) : NULL;
    mark_loops(sch, copy, copy_u, copy_x);
    tsl_stmt *fill = tile_fill(sch->func, copy);
    if (fill) {
      const tsl_var *fill_u = u_var && u_axis >= 0 ? loop_of_axis(sch, fill, u_axis) : NULL;
      mark_loops(sch, fill, fill_u, loop_of_axis(sch, fill, rank - 1));
    }
    inline_consumers(sch, copy);
  }
  /* Matched above, so this fails only if the write-back's rewrite changed the nest. */
  if (intrin && tsl_schedule_tensorize(sch, x_loops[1], intrin->name, &error))
    tsl_schedule_vectorize(sch, x_loops[1], &error);
  parallelize(sch, target, block, work);
  return true;
}

/* Whether every load in `value` that depends on `var` has it as its last index, and only
 * there, and one does: the reduction along `var` walks contiguous memory. */
typedef struct contiguity_scan {
  const tsl_var *var;
  bool seen, strided;
} contiguity_scan;

static void scan_contiguity(const tsl_expr *expr, void *context) {
  contiguity_scan *scan = context;
  if (expr->kind != TSL_EXPR_LOAD || expr->load.num_indices == 0) return;
  int last = expr->load.num_indices - 1;
  for (int i = 0; i < last; i++)
    scan->strided = scan->strided || tsl_expr_uses_var(expr->load.indices[i], scan->var);
  const tsl_expr *index = expr->load.indices[last];
  if (index->kind == TSL_EXPR_VAR && index->var == scan->var)
    scan->seen = true;
  else
    scan->strided = scan->strided || tsl_expr_uses_var(index, scan->var);
}

/* A reduction along the contiguous axis of what it reads: the spatial loops outside, the
 * innermost reduction loop split by the vector lanes, the inner part rfactored into a local
 * vector of partial results (initialised and accumulated in vector lanes), which the block
 * then folds one lane after another. */
static bool rfactor_contiguous(tsl_schedule *sch, const tsl_target *target, nest *n) {
  tsl_stmt *block = n->block;
  if (!block->block.init || block->block.body->kind != TSL_STMT_STORE) return false;
  int innermost = -1;
  for (int i = 0; i < n->depth; i++) {
    if (n->iter_of[i] < 0 || constant_extent(n->loops[i]) < 1) return false;
    if (kind_of(n, i) == TSL_ITER_REDUCE) innermost = i;
  }
  if (innermost < 0) return false;
  const tsl_stmt *store = block->block.body;
  contiguity_scan scan = {block->block.iters[n->iter_of[innermost]].var, false, false};
  tsl_expr_walk(store->store.value, scan_contiguity, &scan);
  int lanes = vector_lanes(target, store->store.buffer->dtype);
  int64_t extent = constant_extent(n->loops[innermost]);
  if (!scan.seen || scan.strided || extent < 2 * lanes || extent % lanes) return false;
  /* Spatial loops outside, reduction loops inside, each in its order. */
  tsl_stmt *order[MAX_DEPTH];
  int count = 0, first_reduce = -1;
  for (int i = 0; i < n->depth; i++) {
    if (kind_of(n, i) == TSL_ITER_SPATIAL) order[count++] = n->loops[i];
  }
  for (int i = 0; i < n->depth; i++) {
    if (kind_of(n, i) != TSL_ITER_REDUCE) continue;
    if (first_reduce < 0) first_reduce = count;
    order[count++] = n->loops[i];
  }
  tsl_error error;
  if (tsl_schedule_reorder(sch, count, order, &error)) return false;
  tsl_stmt *parts[2], *partials, *init;
  if (tsl_schedule_split(sch, n->loops[innermost], 2, (int64_t[]){-1, lanes}, parts, &error))
    return false;
  if (tsl_schedule_rfactor(sch, block, parts[1], &partials, &error) ||
      tsl_schedule_decompose_reduction(sch, partials, order[first_reduce], &init, &error))
    TSL_UNREACHABLE();
  tsl_stmt *init_loops[MAX_DEPTH];
  int init_depth = tsl_sch_get_loops(sch->func, init, init_loops);
  if (tsl_schedule_vectorize(sch, init_loops[init_depth - 1], &error) ||
      tsl_schedule_vectorize(sch, parts[1], &error))
    TSL_UNREACHABLE();
  return true;
}

/* A nest whose innermost loop writes contiguously: that loop in vector lanes. */
static bool vectorize_innermost(tsl_schedule *sch, const tsl_target *target, nest *n) {
  int x = contiguous_loop(n);
  if (x != n->depth - 1 || n->iter_of[x] < 0 || kind_of(n, x) != TSL_ITER_SPATIAL) return false;
  const tsl_stmt *store = block_store(n->block);
  if (!store) return false;
  int lanes = vector_lanes(target, store->store.buffer->dtype);
  int64_t extent = constant_extent(n->loops[x]);
  int64_t vector = divisor_at_most(extent, lanes);
  if (vector < 4) return false;
  tsl_error error;
  tsl_stmt *loops[2];
  int64_t tile[2];
  if (tsl_schedule_sample_perfect_tile(sch, n->loops[x], 2, lanes,
                                       (int64_t[]){extent / vector, vector}, tile, &error) ||
      tsl_schedule_split(sch, n->loops[x], 2, tile, loops, &error))
    return false;
  return tsl_schedule_vectorize(sch, loops[1], &error) == TSL_OK;
}

/* A reduction whose innermost output axis is contiguous runs that axis innermost, below the
 * reduction loops: each output element still sums in the same order, and the inner loop now
 * walks contiguous memory, which LLVM vectorises. */
static void sink_contiguous(tsl_schedule *sch, nest *n) {
  int x = contiguous_loop(n);
  if (x < 0 || x == n->depth - 1 || kind_of(n, x) != TSL_ITER_SPATIAL) return;
  tsl_stmt *order[MAX_DEPTH];
  int count = 0;
  for (int i = x; i < n->depth; i++) {
    if (i != x) order[count++] = n->loops[i];
  }
  order[count++] = n->loops[x];
  tsl_error error;
  tsl_schedule_reorder(sch, count, order, &error);
}

/* How much of the nest's innermost loops is written out: a decision, the unroll_max
 * annotation of its outermost loop (TVM's auto_unroll_max_step); the heuristic leaves it to
 * LLVM. */
static void unroll(tsl_schedule *sch, tsl_stmt *block) {
  static const int64_t steps[] = {0, 16, 64, 512};
  tsl_stmt *loops[MAX_DEPTH];
  tsl_error error;
  int index;
  if (tsl_sch_get_loops(sch->func, block, loops) == 0 ||
      tsl_schedule_sample_categorical(sch, 4, steps, NULL, 0, &index, &error))
    return;
  tsl_schedule_annotate(sch, loops[0], "unroll_max", steps[index], &error);
}

static void schedule(tsl_schedule *sch, const tsl_target *target, tsl_stmt *stmt, bool place);

static void schedule_nest(tsl_schedule *sch, const tsl_target *target, tsl_stmt *outer) {
  nest n;
  if (!read_nest(outer, &n)) {
    /* Loops around stages that compute_at put together: each stage below is a nest of its
     * own, with the loops around for its parallel loop. */
    tsl_stmt *body = outer;
    while (body->kind == TSL_STMT_FOR) body = body->loop.body;
    schedule(sch, target, body, false);
    return;
  }
  /* The work of all the loops around, those of the stages put together with it included. */
  tsl_stmt *loops[MAX_DEPTH];
  int depth = tsl_sch_get_loops(sch->func, n.block, loops);
  int64_t work = 1;
  for (int i = 0; i < depth; i++)
    work *= constant_extent(loops[i]) > 0 ? constant_extent(loops[i]) : 1;
  bool reduces = false;
  for (int i = 0; i < n.block->block.num_iters; i++)
    reduces = reduces || n.block->block.iters[i].kind == TSL_ITER_REDUCE;
  if (reduces && rfactor_contiguous(sch, target, &n)) {
    parallelize(sch, target, n.block, work);
  } else if (!(reduces && tile_reduction(sch, target, &n))) {
    if (reduces)
      sink_contiguous(sch, &n);
    else
      vectorize_innermost(sch, target, &n);
    parallelize(sch, target, n.block, work);
  }
  unroll(sch, n.block);
}

static bool holds(const tsl_stmt *seq, const tsl_stmt *item) {
  for (int i = 0; i < seq->seq.count; i++) {
    if (seq->seq.items[i] == item) return true;
  }
  return false;
}

/* Whether the rules tile the nest around `block` (tile_reduction). */
static bool tiled(tsl_schedule *sch, const tsl_target *target, tsl_stmt *block) {
  tsl_stmt *loops[MAX_DEPTH];
  nest n;
  tile_plan plan;
  return tsl_sch_get_loops(sch->func, block, loops) > 0 && read_nest(loops[0], &n) &&
         n.block == block && plan_tile(target, &n, &plan);
}

/* Where each stage of `seq` that feeds a later one runs (TVM MetaSchedule's
 * RandomComputeLocation): a sample_compute_location among the loops of the stage that reads
 * it, then compute_at there. A stage that the rules tile, or that feeds one, stays: its nest
 * must stay perfect for the tiles. The locations are sampled before any loop becomes parallel
 * or vectorized, as compute_at moves no block under those, and from the last stage back, so
 * that an earlier stage can follow its readers into a loop they were moved to (softmax's
 * maximum into the row loop that its sum joined). The heuristic decision keeps each stage
 * where it is, a nest of its own with its own parallel loop and vector lanes. */
static void place_stages(tsl_schedule *sch, const tsl_target *target, tsl_stmt *seq) {
  for (int i = seq->seq.count - 1; i >= 0; i--) {
    nest n;
    tsl_stmt *item = seq->seq.items[i];
    if (item->kind != TSL_STMT_FOR || !read_nest(item, &n) || n.block->block.num_writes != 1)
      continue;
    bool parameter = false;
    for (int p = 0; p < sch->func->num_params; p++)
      parameter = parameter || sch->func->params[p] == n.block->block.writes[0].buffer;
    tsl_stmt *reader = tsl_sch_get_consumer(sch->func, n.block);
    if (parameter || !reader || tiled(sch, target, n.block) || tiled(sch, target, reader)) continue;
    tsl_stmt *loop;
    tsl_error error;
    if (tsl_schedule_sample_compute_location(sch, n.block, NULL, &loop, &error) == TSL_OK)
      tsl_schedule_compute_at(sch, n.block, loop, &error);
  }
}

/* `place`: first the stages of a sequence are placed (place_stages), at the top of the
 * function, not in loops around stages already put together. */
static void schedule(tsl_schedule *sch, const tsl_target *target, tsl_stmt *stmt, bool place) {
  switch (stmt->kind) {
  case TSL_STMT_SEQ: {
    if (place) place_stages(sch, target, stmt);
    /* The nests are collected first: scheduling one rewrites the statements around it, and
     * may inline a later one into it (which then needs no schedule of its own). */
    int count = stmt->seq.count;
    tsl_stmt **items = malloc(sizeof(tsl_stmt *) * (size_t)(count + 1));
    TSL_CHECK_ALLOC(items);
    for (int i = 0; i < count; i++) items[i] = stmt->seq.items[i];
    for (int i = 0; i < count; i++) {
      if (holds(stmt, items[i])) schedule(sch, target, items[i], place);
    }
    free(items);
    return;
  }
  case TSL_STMT_ALLOC: schedule(sch, target, stmt->alloc.body, place); return;
  case TSL_STMT_FOR: schedule_nest(sch, target, stmt); return;
  default: return;
  }
}

void tsl_schedule_rules(tsl_schedule *sch, const tsl_target *target) {
  sch->target = target;
  if (sch->func->body) schedule(sch, target, sch->func->body, true);
}

void tsl_default_schedule(tsl_primfunc *func, const tsl_target *target) {
  tsl_schedule sch;
  tsl_schedule_init(&sch, func);
  tsl_schedule_rules(&sch, target);
  tsl_schedule_release(&sch);
}
