/* Tensor expressions: how operators say what they compute. A tensor is a placeholder (an input
 * given by the caller), a compute (its value at every index, as an expression of the index;
 * possibly a reduction), or an extern (a TIR statement that writes it, for what index
 * expressions cannot say: sorting, scans, scatters).
 *
 * A TE program is built in the arena of the PrimFunc it will become (passes/lower turns it into
 * loops and blocks), so its variables, buffers and expressions are the PrimFunc's. */
#ifndef TSL_IR_TE_H
#define TSL_IR_TE_H

#include "ir/tir.h"

#define TSL_TE_KINDS(X)                                          \
  X(PLACEHOLDER, "placeholder") /* an input */                    \
  X(COMPUTE, "compute")         /* a value per index */           \
  X(EXTERN, "extern")           /* written by a statement */

typedef enum tsl_te_kind {
#define X(kind, name) TSL_TE_##kind,
  TSL_TE_KINDS(X)
#undef X
} tsl_te_kind;

typedef struct tsl_te_tensor {
  tsl_te_kind kind;
  tsl_type type;
  tsl_buffer *buffer; /* where its values live */
  tsl_iter *axes;     /* compute: one variable per output axis, over the whole axis */
  tsl_expr *body;     /* compute: the value at `axes`; a reduction at the top reduces */
  tsl_stmt *statement; /* extern: the statement that writes `buffer` */
  bool inlined;        /* compute: its readers compute its body instead (tsl_te_inline) */
} tsl_te_tensor;

typedef struct tsl_te_program {
  tsl_primfunc *func;
  tsl_te_tensor **tensors; /* in order of creation, which must put producers before consumers
                            (tsl_te_lower checks) */
  int count, capacity;
} tsl_te_program;

tsl_te_program *tsl_te_program_new(tsl_primfunc *func);

tsl_te_tensor *tsl_te_placeholder(tsl_te_program *program, const char *name,
                                  const tsl_type *type);
/* A compute tensor with its axis variables made; the caller sets `body`. */
tsl_te_tensor *tsl_te_compute(tsl_te_program *program, const char *name, const tsl_type *type);
/* An extern tensor; the caller sets `statement`. */
tsl_te_tensor *tsl_te_extern(tsl_te_program *program, const char *name, const tsl_type *type);

/* tensor[indices] */
tsl_expr *tsl_te_read(tsl_te_program *program, const tsl_te_tensor *tensor,
                      tsl_expr *const *indices);
/* The variable of output axis `axis` of a compute, as an expression. */
tsl_expr *tsl_te_axis(tsl_te_program *program, const tsl_te_tensor *tensor, int axis);
/* A reduction axis over [0, extent). */
tsl_iter tsl_te_reduce_axis(tsl_te_program *program, const char *name, int64_t extent);

/* Does `reader`'s body (a compute's) load `tensor`? */
bool tsl_te_reads(const tsl_te_tensor *reader, const tsl_te_tensor *tensor);

/* Inlines a compute that is not a reduction: every compute made after it loads its body, with
 * its axes replaced by the load's indices, instead of its buffer, which lowering then leaves
 * out. Externs must not read it. */
void tsl_te_inline(tsl_te_program *program, tsl_te_tensor *tensor);

/* Turns the program into the PrimFunc's parameters and body: `inputs` become the input
 * parameters (absent ones are skipped), `outputs` the output parameters, every other tensor a
 * buffer the function allocates; each compute not inlined becomes a loop nest around one block (its
 * reduction axes innermost, with an init statement), each extern its statement. */
void tsl_te_lower(tsl_te_program *program, tsl_te_tensor *const *inputs, int num_inputs,
                  tsl_te_tensor *const *outputs, int num_outputs);

#endif
