/* Scalar expressions, shared by tensor expressions (ir/te.h) and the loop-level tensor IR
 * (ir/tir.h): immediates, variables, arithmetic, comparisons, casts, selects, math calls, loads
 * from buffers, and (in tensor expressions only) reductions.
 *
 * Expressions live in the arena of the container that builds them (a TE program, a PrimFunc);
 * they are immutable once built and may be shared within that container. Index arithmetic is
 * i64. Every expression has a dtype and a lane count (1 for scalars; vectors come with
 * vectorisation). */
#ifndef TSL_IR_EXPR_H
#define TSL_IR_EXPR_H

#include <stdbool.h>
#include <stdint.h>

#include "ir/arena.h"
#include "ir/text.h"
#include "ir/type.h"

#define TSL_EXPR_KINDS(X)                                                                  \
  X(INT, "int", 0)               /* integer immediate */                                   \
  X(FLOAT, "float", 0)           /* floating-point immediate */                            \
  X(VAR, "var", 0)               /* a loop, iteration or reduction variable */             \
  X(ADD, "+", 2)                                                                           \
  X(SUB, "-", 2)                                                                           \
  X(MUL, "*", 2)                                                                           \
  X(DIV, "/", 2)                 /* floats: division; integers: truncating division */     \
  X(MOD, "mod", 2)               /* remainder with the dividend's sign (C's % and fmod) */ \
  X(FLOOR_DIV, "//", 2)          /* integers: rounds towards -infinity */                  \
  X(FLOOR_MOD, "%", 2)           /* integers: the divisor's sign */                        \
  X(MIN, "min", 2)                                                                         \
  X(MAX, "max", 2)                                                                         \
  X(EQ, "==", 2)                 /* comparisons give bool */                               \
  X(NE, "!=", 2)                                                                           \
  X(LT, "<", 2)                                                                            \
  X(LE, "<=", 2)                                                                           \
  X(GT, ">", 2)                                                                            \
  X(GE, ">=", 2)                                                                           \
  X(AND, "&&", 2)                /* on bools */                                            \
  X(OR, "||", 2)                                                                           \
  X(NOT, "!", 1)                                                                           \
  X(NEG, "neg", 1)                                                                         \
  X(BIT_AND, "&", 2)             /* on integers */                                         \
  X(BIT_OR, "|", 2)                                                                        \
  X(BIT_XOR, "^", 2)                                                                       \
  X(BIT_NOT, "~", 1)                                                                       \
  X(SHL, "<<", 2)                                                                          \
  X(SHR, ">>", 2)                /* arithmetic for signed, logical for unsigned */         \
  X(SELECT, "select", 3)         /* condition ? a : b, both evaluated */                   \
  X(CAST, "cast", 1)             /* value conversion to dtype (C semantics, saturating) */ \
  X(BITCAST, "bitcast", 1)       /* the same bits read as dtype */                         \
  X(CALL, "call", -1)            /* a math function (tsl_math) */                          \
  X(LOAD, "load", -1)            /* buffer[indices] */                                     \
  X(REDUCE, "reduce", -1)        /* tensor expressions only: a reduction over axes */

typedef enum tsl_expr_kind {
#define X(kind, name, arity) TSL_EXPR_##kind,
  TSL_EXPR_KINDS(X)
#undef X
  TSL_EXPR_KIND_COUNT
} tsl_expr_kind;

/* Math functions: name and argument count. Code generators give each its implementation. */
#define TSL_MATH_FUNCTIONS(X) \
  X(exp, 1)                   \
  X(log, 1)                   \
  X(sqrt, 1)                  \
  X(sin, 1)                   \
  X(cos, 1)                   \
  X(tan, 1)                   \
  X(asin, 1)                  \
  X(acos, 1)                  \
  X(atan, 1)                  \
  X(sinh, 1)                  \
  X(cosh, 1)                  \
  X(tanh, 1)                  \
  X(asinh, 1)                 \
  X(acosh, 1)                 \
  X(atanh, 1)                 \
  X(erf, 1)                   \
  X(floor, 1)                 \
  X(ceil, 1)                  \
  X(round, 1)   /* to nearest, halves to even */ \
  X(trunc, 1)                 \
  X(fabs, 1)                  \
  X(isnan, 1)   /* → bool */  \
  X(isinf, 1)   /* → bool */  \
  X(pow, 2)                   \
  X(fmod, 2)                  \
  X(atan2, 2)

typedef enum tsl_math {
#define X(name, arity) TSL_MATH_##name,
  TSL_MATH_FUNCTIONS(X)
#undef X
  TSL_MATH_COUNT
} tsl_math;

/* How a reduction combines values. */
#define TSL_REDUCERS(X) \
  X(SUM, "sum")         \
  X(PROD, "prod")       \
  X(MAX, "max")         \
  X(MIN, "min")

typedef enum tsl_reducer {
#define X(kind, name) TSL_REDUCE_##kind,
  TSL_REDUCERS(X)
#undef X
} tsl_reducer;

typedef struct tsl_var {
  const char *name;
  tsl_dtype dtype;
  int id; /* unique within the container */
} tsl_var;

/* A variable with the range it runs over: [min, min + extent). */
typedef struct tsl_iter {
  tsl_var *var;
  int64_t min, extent;
} tsl_iter;

struct tsl_buffer;
typedef struct tsl_expr tsl_expr;

struct tsl_expr {
  tsl_expr_kind kind;
  tsl_dtype dtype;
  int lanes;
  union {
    int64_t int_value;
    double float_value;
    tsl_var *var;
    struct {
      tsl_expr *a, *b, *c; /* operands in order; unused ones NULL */
    } op;
    struct {
      tsl_math function;
      tsl_expr *args[2];
    } call;
    struct {
      struct tsl_buffer *buffer;
      int num_indices;
      tsl_expr **indices;
    } load;
    struct {
      tsl_reducer reducer;
      tsl_expr *source;
      int num_axes;
      tsl_iter *axes;
      tsl_expr *condition; /* only elements where it holds take part; NULL: all */
    } reduce;
  };
};

const char *tsl_expr_kind_name(tsl_expr_kind kind);
const char *tsl_math_name(tsl_math function);
int tsl_math_arity(tsl_math function);
const char *tsl_reducer_name(tsl_reducer reducer);

/* ---- building ---------------------------------------------------------------------------- */

tsl_var *tsl_var_new(tsl_arena *arena, const char *name, tsl_dtype dtype, int id);

tsl_expr *tsl_int(tsl_arena *arena, tsl_dtype dtype, int64_t value);
tsl_expr *tsl_index(tsl_arena *arena, int64_t value); /* an i64 immediate */
tsl_expr *tsl_float(tsl_arena *arena, tsl_dtype dtype, double value);
/* An immediate of any dtype: floats as floats, integers and bools as integers. */
tsl_expr *tsl_const(tsl_arena *arena, tsl_dtype dtype, double value);
tsl_expr *tsl_var_ref(tsl_arena *arena, tsl_var *var);

/* Binary and unary operations. Comparisons and logic give bool; the rest keep a's dtype. The
 * operands must agree in dtype (TSL_CHECK). */
tsl_expr *tsl_binary(tsl_arena *arena, tsl_expr_kind kind, tsl_expr *a, tsl_expr *b);
tsl_expr *tsl_unary(tsl_arena *arena, tsl_expr_kind kind, tsl_expr *a);
tsl_expr *tsl_select(tsl_arena *arena, tsl_expr *condition, tsl_expr *a, tsl_expr *b);
/* A cast to the same dtype is the value itself. */
tsl_expr *tsl_cast(tsl_arena *arena, tsl_dtype dtype, tsl_expr *value);
tsl_expr *tsl_bitcast(tsl_arena *arena, tsl_dtype dtype, tsl_expr *value);
tsl_expr *tsl_call(tsl_arena *arena, tsl_math function, tsl_expr *a, tsl_expr *b);
tsl_expr *tsl_load(tsl_arena *arena, struct tsl_buffer *buffer, int num_indices,
                   tsl_expr *const *indices);
tsl_expr *tsl_reduce(tsl_arena *arena, tsl_reducer reducer, tsl_expr *source, int num_axes,
                     const tsl_iter *axes, tsl_expr *condition);

/* Short names for index arithmetic in compute rules. */
#define TSL_ADD(arena, a, b) tsl_binary((arena), TSL_EXPR_ADD, (a), (b))
#define TSL_SUB(arena, a, b) tsl_binary((arena), TSL_EXPR_SUB, (a), (b))
#define TSL_MUL(arena, a, b) tsl_binary((arena), TSL_EXPR_MUL, (a), (b))

bool tsl_expr_is_int(const tsl_expr *expr, int64_t value);
/* The same expression: same kinds, dtypes, immediates, variables, buffers and operands. */
bool tsl_expr_equal(const tsl_expr *a, const tsl_expr *b);
bool tsl_expr_is_const(const tsl_expr *expr);
/* Does the expression use the variable anywhere / load from the buffer anywhere? */
bool tsl_expr_uses_var(const tsl_expr *expr, const tsl_var *var);
bool tsl_expr_loads(const tsl_expr *expr, const struct tsl_buffer *buffer);

/* The identity of a reducer for dtype: 0 for sum, 1 for product, the lowest value for max, the
 * highest for min. */
tsl_expr *tsl_reducer_identity(tsl_arena *arena, tsl_reducer reducer, tsl_dtype dtype);
/* combine(a, b) of a reducer. */
tsl_expr *tsl_reducer_combine(tsl_arena *arena, tsl_reducer reducer, tsl_expr *a, tsl_expr *b);

/* ---- reading ----------------------------------------------------------------------------- */

/* Writes the expression in the TIR text form: `(%a + %b)`, `f32(1.5)`, `exp(%x)`,
 * `%buf[%i, %j]`, `select(c, a, b)`. */
void tsl_expr_print(tsl_text *out, const tsl_expr *expr);

/* Calls visit on every sub-expression, children before parents. */
typedef void (*tsl_expr_visit)(const tsl_expr *expr, void *context);
void tsl_expr_walk(const tsl_expr *expr, tsl_expr_visit visit, void *context);

/* Rebuilds an expression with each variable replaced by what `substitute` gives (NULL: keep);
 * shares the parts that do not change. */
typedef tsl_expr *(*tsl_var_substitute)(const tsl_var *var, void *context);
tsl_expr *tsl_expr_substitute(tsl_arena *arena, tsl_expr *expr, tsl_var_substitute substitute,
                              void *context);

/* The general form: `var` replaces variables as above (may be NULL), and `load`, when given,
 * sees every load after its indices were rewritten and may return a replacement (NULL:
 * keep). */
typedef struct tsl_expr_rewriter {
  tsl_var_substitute var;
  tsl_expr *(*load)(tsl_expr *load, void *context);
  void *context;
} tsl_expr_rewriter;
tsl_expr *tsl_expr_rewrite(tsl_arena *arena, tsl_expr *expr, const tsl_expr_rewriter *rewriter);

#endif
