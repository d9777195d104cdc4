/* The loop-level tensor IR (TIR), block-structured as TVM's TensorIR: a PrimFunc takes buffers
 * and runs a statement tree of loops, blocks, stores, conditionals and allocations. Schedule
 * primitives (later) transform it; code generators consume it.
 *
 * A block is a unit of computation: iteration variables (spatial or reduction, each with a
 * domain and a binding to the surrounding loop variables), the buffer regions it reads and
 * writes, an optional init statement (for reductions) and a body. Blocks let schedules reason
 * about what a loop nest computes without re-deriving it.
 *
 * A PrimFunc owns one arena; its variables, buffers, expressions and statements live in it. */
#ifndef TSL_IR_TIR_H
#define TSL_IR_TIR_H

#include "ir/expr.h"
#include "ir/strmap.h"
#include "tessel/tessel.h"

#define TSL_SCOPES(X)                                         \
  X(GLOBAL, "global") /* memory the caller provides or the function allocates */ \
  X(LOCAL, "local")   /* private to one iteration: registers or stack */

typedef enum tsl_scope {
#define X(kind, name) TSL_SCOPE_##kind,
  TSL_SCOPES(X)
#undef X
} tsl_scope;

typedef struct tsl_buffer {
  const char *name;
  tsl_dtype dtype;
  int rank;
  int64_t shape[TSL_MAX_RANK];
  int64_t strides[TSL_MAX_RANK]; /* in elements */
  tsl_scope scope;
  int id;
} tsl_buffer;

#define TSL_LOOP_KINDS(X)                                   \
  X(SERIAL, "serial")         /* one iteration after another */  \
  X(PARALLEL, "parallel")     /* iterations on the thread pool */  \
  X(VECTORIZED, "vectorized") /* iterations as vector lanes */     \
  X(UNROLLED, "unrolled")     /* iterations written out */

typedef enum tsl_loop_kind {
#define X(kind, name) TSL_LOOP_##kind,
  TSL_LOOP_KINDS(X)
#undef X
} tsl_loop_kind;

#define TSL_ITER_KINDS(X)                                   \
  X(SPATIAL, "spatial") /* each value writes its own outputs */ \
  X(REDUCE, "reduce")   /* values combine into the same outputs */

typedef enum tsl_iter_kind {
#define X(kind, name) TSL_ITER_##kind,
  TSL_ITER_KINDS(X)
#undef X
} tsl_iter_kind;

/* A block's iteration variable: its domain [min, min + extent), its kind, and the value the
 * surrounding loops give it. */
typedef struct tsl_block_iter {
  tsl_var *var;
  int64_t min, extent;
  tsl_iter_kind kind;
  tsl_expr *binding;
} tsl_block_iter;

/* A rectangular part of a buffer: per axis [min, min + extent). */
typedef struct tsl_region {
  tsl_buffer *buffer;
  tsl_expr *min[TSL_MAX_RANK];
  tsl_expr *extent[TSL_MAX_RANK];
} tsl_region;

#define TSL_STMT_KINDS(X)                                                  \
  X(SEQ, "seq")     /* statements in order */                              \
  X(FOR, "for")     /* a loop over var in [min, min + extent) */           \
  X(BLOCK, "block") /* a unit of computation (see above) */                \
  X(STORE, "store") /* buffer[indices] = value */                          \
  X(IF, "if")       /* condition ? then : otherwise */                     \
  X(ALLOC, "alloc") /* a buffer that exists while the body runs */          \
  X(EVAL, "eval")   /* an expression evaluated for its effect */

typedef enum tsl_stmt_kind {
#define X(kind, name) TSL_STMT_##kind,
  TSL_STMT_KINDS(X)
#undef X
} tsl_stmt_kind;

typedef struct tsl_stmt tsl_stmt;

struct tsl_stmt {
  tsl_stmt_kind kind;
  union {
    struct {
      int count;
      tsl_stmt **items;
    } seq;
    struct {
      tsl_var *var;
      tsl_expr *min, *extent;
      tsl_loop_kind loop_kind;
      tsl_stmt *body;
      int64_t unroll_max; /* annotation: the loops inside that run at most this many
                           * iterations in all are unrolled when lowered (0: none) */
      const char *tensorized; /* annotation: the intrinsic (ir/intrin.h) that code
                               * generation puts in place of this loop and the one in it; the
                               * loops still say what it computes (NULL: none) */
    } loop;
    struct {
      const char *name;
      int num_iters, num_reads, num_writes;
      tsl_block_iter *iters;
      tsl_region *reads, *writes;
      tsl_stmt *init; /* NULL when the block reduces nothing */
      tsl_stmt *body;
      tsl_expr *predicate; /* NULL: every iteration; else a bool in the variables around the
                            * block, and the block (init and body) runs only where it holds:
                            * a split that does not divide its loop leaves `index < extent` */
    } block;
    struct {
      tsl_buffer *buffer;
      int num_indices;
      tsl_expr **indices;
      tsl_expr *value;
    } store;
    struct {
      tsl_expr *condition;
      tsl_stmt *then, *otherwise; /* otherwise may be NULL */
    } branch;
    struct {
      tsl_buffer *buffer;
      tsl_stmt *body;
    } alloc;
    struct {
      tsl_expr *value;
    } eval;
  };
};

/* How transform_layout laid a parameter's elements out again, to be packed so before the
 * function runs (a constant weight: at compile time). Axis i of the buffer holds, of the
 * original's axis `source`, the whole index (factor 0), the index divided by `factor` (outer)
 * or its remainder (inner); each original axis is held whole, or by one outer and one inner
 * axis of the same factor. The buffer's elements past the original's edge (an outer axis
 * rounded up) are zero. */
typedef enum tsl_layout_part {
  TSL_LAYOUT_WHOLE,
  TSL_LAYOUT_OUTER,
  TSL_LAYOUT_INNER
} tsl_layout_part;

typedef struct tsl_layout_axis {
  int source;
  tsl_layout_part part;
  int64_t factor;
} tsl_layout_axis;

typedef struct tsl_packing {
  int rank; /* the original's */
  int64_t shape[TSL_MAX_RANK];
  int num_axes; /* the buffer's rank */
  tsl_layout_axis axes[TSL_MAX_RANK];
} tsl_packing;

/* Whether the axes hold every axis of the original as described above; when not, a message
 * in `why` (at most `size` bytes). */
bool tsl_packing_valid(const tsl_packing *packing, char *why, size_t size);
/* The shape the packing gives (num_axes of them). */
void tsl_packing_shape(const tsl_packing *packing, int64_t *shape);
/* `packed` (the packed shape's elements of `element_size` bytes) from `original`. */
void tsl_packing_apply(const tsl_packing *packing, size_t element_size, const void *original,
                       void *packed);

typedef struct tsl_primfunc {
  tsl_arena *arena;
  const char *name;
  int num_params, params_capacity;
  tsl_buffer **params;
  bool *is_output;       /* per param: the function writes it */
  bool *is_constant;     /* per param: the caller passes constant data (set by lowering; not in
                          * the text form, which workload keys hash, but kept by copies) */
  tsl_packing **packing; /* per param: NULL, or how transform_layout repacked it */
  tsl_stmt *body;
  int num_ids;     /* ids handed out to variables and buffers */
  tsl_strmap names; /* of variables and buffers, kept unique */
} tsl_primfunc;

const char *tsl_scope_name(tsl_scope scope);
const char *tsl_loop_kind_name(tsl_loop_kind kind);
const char *tsl_iter_kind_name(tsl_iter_kind kind);

/* ---- building ---------------------------------------------------------------------------- */

tsl_primfunc *tsl_primfunc_new(const char *name);
void tsl_primfunc_free(tsl_primfunc *func);

tsl_var *tsl_primfunc_var(tsl_primfunc *func, const char *name, tsl_dtype dtype);
/* A buffer of the type's shape, row-major. */
tsl_buffer *tsl_primfunc_buffer(tsl_primfunc *func, const char *name, const tsl_type *type,
                                tsl_scope scope);
void tsl_primfunc_add_param(tsl_primfunc *func, tsl_buffer *buffer, bool output);

/* Whether the buffer's strides are row-major: each axis's the product of the shape inside it. */
bool tsl_buffer_is_row_major(const tsl_buffer *buffer);
/* The elements its layout spans, padding included: shape[0] × strides[0] (1 at rank 0, 0 when
 * an axis is empty); the shape's product when row-major. */
int64_t tsl_buffer_elements(const tsl_buffer *buffer);

tsl_stmt *tsl_seq(tsl_arena *arena, int count, tsl_stmt *const *items);
tsl_stmt *tsl_for(tsl_arena *arena, tsl_var *var, tsl_expr *min, tsl_expr *extent,
                  tsl_loop_kind kind, tsl_stmt *body);
tsl_stmt *tsl_store(tsl_arena *arena, tsl_buffer *buffer, int num_indices,
                    tsl_expr *const *indices, tsl_expr *value);
tsl_stmt *tsl_if(tsl_arena *arena, tsl_expr *condition, tsl_stmt *then, tsl_stmt *otherwise);
tsl_stmt *tsl_alloc(tsl_arena *arena, tsl_buffer *buffer, tsl_stmt *body);
tsl_stmt *tsl_eval(tsl_arena *arena, tsl_expr *value);
/* A block; its read and write regions are derived from its body (tsl_block_infer_regions). */
tsl_stmt *tsl_block(tsl_arena *arena, const char *name, int num_iters,
                    const tsl_block_iter *iters, tsl_stmt *init, tsl_stmt *body);

/* Makes the block run only where `condition` also holds (its predicate ∧ condition). */
void tsl_block_add_predicate(tsl_arena *arena, tsl_stmt *block, tsl_expr *condition);

/* The parts of a conjunction `a && b && …` (NULL has none), in order, into parts[0 … capacity);
 * their count, or -1 when there are more. */
int tsl_conjuncts(tsl_expr *condition, tsl_expr **parts, int capacity);
/* parts[0] && … && parts[count - 1]; NULL when count is 0. */
tsl_expr *tsl_conjunction(tsl_arena *arena, tsl_expr *const *parts, int count);

/* Sets a block's read and write regions from the loads and stores of its init and body: per
 * buffer, the smallest box holding every index over the iteration domains of variables bound
 * inside the block. */
void tsl_block_infer_regions(tsl_arena *arena, tsl_stmt *block);

/* ---- reading ----------------------------------------------------------------------------- */

/* The text form (docs/tir.md). */
char *tsl_primfunc_print(const tsl_primfunc *func);
/* Reads it back; the function is verified. `name` is used in messages. */
tsl_status tsl_primfunc_parse(const char *text, size_t length, const char *name,
                              tsl_primfunc **func, tsl_error *error);

/* A copy that shares nothing with `func` (made through the text form). */
tsl_primfunc *tsl_primfunc_copy(const tsl_primfunc *func);

/* Checks what code generators and schedules rely on: every variable used is bound by an
 * enclosing loop, block or the function; loads and stores have one index per buffer axis and
 * the buffer's dtype; stored values have the buffer's dtype; block bindings stay inside their
 * iteration domains where that can be proved false; names of buffers are unique; strides lay a
 * buffer's axes out without overlap. */
tsl_status tsl_primfunc_verify(const tsl_primfunc *func, tsl_error *error);

typedef void (*tsl_stmt_visit)(tsl_stmt *stmt, void *context);
/* Calls visit on every statement, parents before children. */
void tsl_stmt_walk(tsl_stmt *stmt, tsl_stmt_visit visit, void *context);

/* The first statement, parents before children, that `matches` accepts (given `key`); NULL
 * when there is none. */
typedef bool (*tsl_stmt_match)(const tsl_stmt *stmt, const void *key);
tsl_stmt *tsl_stmt_find(tsl_stmt *stmt, tsl_stmt_match matches, const void *key);

#endif
