/* The tensor intrinsics and the matching of their nests (intrin.h). */
#include "ir/intrin.h"

#include <stdio.h>
#include <string.h>

#include "ir/error.h"

/* a: `depth` bytes read by every lane (broadcast); b: `depth` bytes a lane, lanes one after
 * another (a weight packed [K/depth][N][depth]). */
#define DOT(lanes_, a_dtype, b_dtype)                                                  \
  .lanes = (lanes_), .depth = 4, .accumulator = TSL_DTYPE_I32, .a = {(a_dtype), 0, 1}, \
  .b = {(b_dtype), 4, 1}

static const tsl_intrin intrinsics[] = {
    /* vpdpbusd zmm: 16 lanes of 4 u8 × i8 products. */
    {.name = "x86.avx512vnni.dot_4u8i8_i32x16",
     .arch = "x86_64",
     .features = {"avx512vnni avx512f"},
     DOT(16, TSL_DTYPE_U8, TSL_DTYPE_I8),
     .llvm = "llvm.x86.avx512.vpdpbusd.512",
     .operand_bits = 32},
    /* vpdpbusd ymm, as AVX512-VNNI with AVX512VL or AVX-VNNI (VEX) has it. */
    {.name = "x86.avxvnni.dot_4u8i8_i32x8",
     .arch = "x86_64",
     .features = {"avx512vnni avx512vl", "avxvnni"},
     DOT(8, TSL_DTYPE_U8, TSL_DTYPE_I8),
     .llvm = "llvm.x86.avx512.vpdpbusd.256",
     .operand_bits = 32},
    {.name = "aarch64.dotprod.sdot_4i8i8_i32x4",
     .arch = "aarch64",
     .features = {"dotprod"},
     DOT(4, TSL_DTYPE_I8, TSL_DTYPE_I8),
     .llvm = "llvm.aarch64.neon.sdot.v4i32.v16i8",
     .operand_bits = 8},
    {.name = "aarch64.dotprod.udot_4u8u8_i32x4",
     .arch = "aarch64",
     .features = {"dotprod"},
     DOT(4, TSL_DTYPE_U8, TSL_DTYPE_U8),
     .llvm = "llvm.aarch64.neon.udot.v4i32.v16i8",
     .operand_bits = 8},
};

enum { NUM_INTRINSICS = sizeof(intrinsics) / sizeof(intrinsics[0]) };

const tsl_intrin *tsl_intrin_get(const char *name) {
  for (int i = 0; name && i < NUM_INTRINSICS; i++) {
    if (strcmp(intrinsics[i].name, name) == 0) return &intrinsics[i];
  }
  return NULL;
}

const tsl_intrin *tsl_intrin_table(int *count) {
  *count = NUM_INTRINSICS;
  return intrinsics;
}

/* Whether the target has every feature named in `words` (separated by spaces). */
static bool has_features(const tsl_target *target, const char *words) {
  for (const char *at = words + strspn(words, " "); *at;) {
    size_t length = strcspn(at, " ");
    char feature[64];
    snprintf(feature, sizeof(feature), "%.*s", (int)length, at);
    if (!tsl_target_has_feature(target, feature)) return false;
    at += length;
    at += strspn(at, " ");
  }
  return true;
}

bool tsl_intrin_available(const tsl_intrin *intrin, const tsl_target *target) {
  size_t arch = strlen(intrin->arch);
  if (strncmp(target->triple, intrin->arch, arch) != 0 || target->triple[arch] != '-') return false;
  for (int i = 0; i < 3 && intrin->features[i]; i++) {
    if (has_features(target, intrin->features[i])) return true;
  }
  return false;
}

/* ---- matching ---------------------------------------------------------------------------- */

static const tsl_expr *binding_of(const tsl_stmt *block, const tsl_var *var) {
  for (int i = 0; i < block->block.num_iters; i++) {
    if (block->block.iters[i].var == var) return block->block.iters[i].binding;
  }
  return NULL;
}

typedef struct dependence {
  const tsl_stmt *block;
  const tsl_var *var;
  bool found;
} dependence;

static void find_var(const tsl_expr *expr, void *context) {
  dependence *d = context;
  if (expr->kind != TSL_EXPR_VAR) return;
  const tsl_expr *binding = binding_of(d->block, expr->var);
  if (expr->var == d->var)
    d->found = true;
  else if (binding)
    tsl_expr_walk(binding, find_var, d);
}

/* Whether `expr` depends on the loop variable `var`, directly or through the block's
 * variables. */
static bool depends(const tsl_stmt *block, const tsl_expr *expr, const tsl_var *var) {
  dependence d = {block, var, false};
  tsl_expr_walk(expr, find_var, &d);
  return d.found;
}

/* How much `expr` grows per step of `var` where that is a constant (the expression affine in
 * it); false otherwise. */
static bool stride_in(const tsl_stmt *block, const tsl_expr *expr, const tsl_var *var,
                      int64_t *stride) {
  *stride = 0;
  if (!depends(block, expr, var)) return true;
  int64_t a, b;
  switch (expr->kind) {
  case TSL_EXPR_VAR:
    if (expr->var == var) return *stride = 1, true;
    return stride_in(block, binding_of(block, expr->var), var, stride);
  case TSL_EXPR_ADD:
  case TSL_EXPR_SUB:
    if (!stride_in(block, expr->op.a, var, &a) || !stride_in(block, expr->op.b, var, &b))
      return false;
    *stride = expr->kind == TSL_EXPR_ADD ? a + b : a - b;
    return true;
  case TSL_EXPR_MUL: {
    const tsl_expr *term = expr->op.a, *scale = expr->op.b;
    if (scale->kind != TSL_EXPR_INT) term = expr->op.b, scale = expr->op.a;
    if (scale->kind != TSL_EXPR_INT || !stride_in(block, term, var, &a)) return false;
    *stride = a * scale->int_value;
    return true;
  }
  default: return false;
  }
}

/* The strides of the element an access reaches, along the two loops. */
static bool access_strides(const tsl_stmt *block, const tsl_buffer *buffer, int count,
                           tsl_expr *const *indices, const tsl_var *lane, const tsl_var *reduce,
                           int64_t strides[2]) {
  strides[0] = strides[1] = 0;
  for (int axis = 0; axis < count; axis++) {
    int64_t along_lane, along_reduce;
    if (!stride_in(block, indices[axis], lane, &along_lane) ||
        !stride_in(block, indices[axis], reduce, &along_reduce))
      return false;
    strides[0] += along_lane * buffer->strides[axis];
    strides[1] += along_reduce * buffer->strides[axis];
  }
  return true;
}

static bool same_access(const tsl_stmt *store, const tsl_expr *load) {
  if (load->kind != TSL_EXPR_LOAD || load->load.buffer != store->store.buffer) return false;
  for (int axis = 0; axis < store->store.num_indices; axis++) {
    if (!tsl_expr_equal(load->load.indices[axis], store->store.indices[axis])) return false;
  }
  return true;
}

/* The load inside `i32(load)`; NULL when the factor is not that. */
static const tsl_expr *widened_load(const tsl_expr *factor, tsl_dtype to) {
  if (factor->kind != TSL_EXPR_CAST || factor->dtype != to) return NULL;
  return factor->op.a->kind == TSL_EXPR_LOAD ? factor->op.a : NULL;
}

/* Whether `load` is the operand `want`: its dtype and strides; else why not in `problem`. */
static bool operand_fits(const tsl_stmt *block, const tsl_expr *load,
                         const tsl_intrin_operand *want, const tsl_var *lane, const tsl_var *reduce,
                         char *problem, size_t size) {
  const tsl_buffer *buffer = load->load.buffer;
  int64_t strides[2];
  if (buffer->dtype != want->dtype) {
    snprintf(problem, size, "'%s' is %s, not %s", buffer->name, tsl_dtype_name(buffer->dtype),
             tsl_dtype_name(want->dtype));
    return false;
  }
  if (!access_strides(block, buffer, load->load.num_indices, load->load.indices, lane, reduce,
                      strides)) {
    snprintf(problem, size, "the index of '%s' is not affine in loops '%s' and '%s'", buffer->name,
             lane->name, reduce->name);
    return false;
  }
  if (strides[0] != want->lane_stride || strides[1] != want->reduce_stride) {
    snprintf(problem, size,
             "'%s' moves by %lld and %lld elements per step of loops '%s' and '%s', not by %lld "
             "and %lld",
             buffer->name, (long long)strides[0], (long long)strides[1], lane->name, reduce->name,
             (long long)want->lane_stride, (long long)want->reduce_stride);
    return false;
  }
  return true;
}

tsl_status tsl_intrin_match_block(const tsl_intrin *intrin, const tsl_stmt *block,
                                  const tsl_var *lane, const tsl_var *reduce,
                                  tsl_intrin_match *match, tsl_error *error) {
  const char *name = intrin->name, *block_name = block->block.name;
  if (block->block.predicate) {
    return tsl_fail(error, TSL_ERROR_INPUT, "block '%s' has a predicate; %s runs every lane",
                    block_name, name);
  }
  if (block->block.init) {
    return tsl_fail(error, TSL_ERROR_INPUT,
                    "block '%s' has an init (decompose_reduction first); %s only accumulates",
                    block_name, name);
  }
  for (int i = 0; i < block->block.num_iters; i++) {
    const tsl_block_iter *iter = &block->block.iters[i];
    bool spatial = iter->kind == TSL_ITER_SPATIAL;
    if ((depends(block, iter->binding, lane) && !spatial) ||
        (depends(block, iter->binding, reduce) && spatial)) {
      return tsl_fail(error, TSL_ERROR_INPUT,
                      "variable '%s' of block '%s' is %s but bound to loop '%s'; %s's lanes are "
                      "spatial and its depth reduces",
                      iter->var->name, block_name, tsl_iter_kind_name(iter->kind),
                      spatial ? reduce->name : lane->name, name);
    }
  }
  const tsl_stmt *store = block->block.body;
  const tsl_expr *sum = store->kind == TSL_STMT_STORE ? store->store.value : NULL;
  const tsl_expr *product = NULL;
  if (sum && sum->kind == TSL_EXPR_ADD) {
    if (same_access(store, sum->op.a))
      product = sum->op.b;
    else if (same_access(store, sum->op.b))
      product = sum->op.a;
  }
  const tsl_expr *x = NULL, *y = NULL;
  if (product && product->kind == TSL_EXPR_MUL) {
    x = widened_load(product->op.a, intrin->accumulator);
    y = widened_load(product->op.b, intrin->accumulator);
  }
  if (!x || !y) {
    return tsl_fail(error, TSL_ERROR_INPUT,
                    "block '%s' is not c[..] = c[..] + %s(a[..]) * %s(b[..]), the form %s computes",
                    block_name, tsl_dtype_name(intrin->accumulator),
                    tsl_dtype_name(intrin->accumulator), name);
  }
  const tsl_buffer *out = store->store.buffer;
  int64_t strides[2];
  if (out->dtype != intrin->accumulator) {
    return tsl_fail(error, TSL_ERROR_INPUT, "block '%s' accumulates in %s; %s in %s", block_name,
                    tsl_dtype_name(out->dtype), name, tsl_dtype_name(intrin->accumulator));
  }
  if (!access_strides(block, out, store->store.num_indices, store->store.indices, lane, reduce,
                      strides) ||
      strides[0] != 1 || strides[1] != 0) {
    return tsl_fail(error, TSL_ERROR_INPUT,
                    "'%s' is not written one element a step of loop '%s', the same along loop "
                    "'%s', as %s's lanes are",
                    out->name, lane->name, reduce->name, name);
  }
  /* The product commutes: either factor may be the intrinsic's first. Where neither order
   * fits, the problem told is the first order's, or the other's when only its dtypes fit. */
  char problem[192] = "";
  bool dtypes_fit = false;
  for (int order = 0; order < 2; order++) {
    const tsl_expr *a = order ? y : x, *b = order ? x : y;
    char here[192];
    if (operand_fits(block, a, &intrin->a, lane, reduce, here, sizeof(here)) &&
        operand_fits(block, b, &intrin->b, lane, reduce, here, sizeof(here))) {
      *match = (tsl_intrin_match){block, store, a, b};
      return TSL_OK;
    }
    bool fit = a->load.buffer->dtype == intrin->a.dtype && b->load.buffer->dtype == intrin->b.dtype;
    if (order == 0 || (fit && !dtypes_fit)) snprintf(problem, sizeof(problem), "%s", here);
    dtypes_fit = dtypes_fit || fit;
  }
  return tsl_fail(error, TSL_ERROR_INPUT, "block '%s': %s for %s", block_name, problem, name);
}

static bool loop_from_zero(const tsl_stmt *loop, int64_t extent) {
  return loop->loop.min->kind == TSL_EXPR_INT && loop->loop.min->int_value == 0 &&
         loop->loop.extent->kind == TSL_EXPR_INT && loop->loop.extent->int_value == extent;
}

tsl_status tsl_intrin_match_nest(const tsl_intrin *intrin, const tsl_stmt *loop,
                                 const tsl_target *target, tsl_intrin_match *match,
                                 tsl_error *error) {
  const char *name = intrin->name;
  if (!tsl_intrin_available(intrin, target)) {
    return tsl_fail(error, TSL_ERROR_INPUT, "target %s (features '%s') has no %s",
                    target->triple[0] ? target->triple : "(host)", target->features, name);
  }
  const tsl_stmt *inner = loop->loop.body;
  if (inner->kind != TSL_STMT_FOR) {
    return tsl_fail(error, TSL_ERROR_INPUT,
                    "loop '%s' does not hold just one loop; %s replaces two", loop->loop.var->name,
                    name);
  }
  const tsl_stmt *nest[2] = {loop, inner};
  const int64_t extents[2] = {intrin->lanes, intrin->depth};
  for (int i = 0; i < 2; i++) {
    if (!loop_from_zero(nest[i], extents[i])) {
      return tsl_fail(error, TSL_ERROR_INPUT, "loop '%s' does not run 0..%lld, as %s's %s",
                      nest[i]->loop.var->name, (long long)extents[i], name,
                      i ? "reduction" : "lanes");
    }
    if (nest[i]->loop.loop_kind != TSL_LOOP_SERIAL || (i && nest[i]->loop.tensorized)) {
      return tsl_fail(error, TSL_ERROR_INPUT, "loop '%s' is %s; %s replaces serial loops",
                      nest[i]->loop.var->name,
                      i && nest[i]->loop.tensorized ? "tensorized"
                                                    : tsl_loop_kind_name(nest[i]->loop.loop_kind),
                      name);
    }
  }
  if (inner->loop.body->kind != TSL_STMT_BLOCK) {
    return tsl_fail(error, TSL_ERROR_INPUT, "loop '%s' does not hold just one block",
                    inner->loop.var->name);
  }
  return tsl_intrin_match_block(intrin, inner->loop.body, loop->loop.var, inner->loop.var, match,
                                error);
}
