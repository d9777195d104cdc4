/* The TIR text form (docs/tir.md):
 *
 *   func "relu" (%x: f32[3, 4], out %y: f32[3, 4]) {
 *     for %i0 in 0..3 {
 *       for %i1 in 0..4 {
 *         block "y" [%v0: spatial 0..3 = %i0, %v1: spatial 0..4 = %i1]
 *             reads [%x[%v0, %v1]] writes [%y[%v0, %v1]] {
 *           %y[%v0, %v1] = max(%x[%v0, %v1], f32(0.0))
 *         }
 *       }
 *     }
 *   }
 */
#include <stdlib.h>

#include "ir/tir.h"

static void indent(tsl_text *out, int depth) {
  for (int i = 0; i < depth; i++) tsl_text_puts(out, "  ");
}

static void print_buffer_type(tsl_text *out, const tsl_buffer *buffer) {
  tsl_type type = tsl_type_make(buffer->dtype, buffer->rank, buffer->shape);
  tsl_text_printf(out, "%%%s: %s", buffer->name, tsl_type_str(&type).text);
  if (!tsl_buffer_is_row_major(buffer)) {
    tsl_text_puts(out, " strides=[");
    for (int axis = 0; axis < buffer->rank; axis++)
      tsl_text_printf(out, "%s%lld", axis ? ", " : "", (long long)buffer->strides[axis]);
    tsl_text_puts(out, "]");
  }
  if (buffer->scope != TSL_SCOPE_GLOBAL) tsl_text_printf(out, " %s", tsl_scope_name(buffer->scope));
}

static void print_range(tsl_text *out, const tsl_expr *min, const tsl_expr *extent) {
  tsl_expr_print(out, min);
  tsl_text_puts(out, "..");
  if (min->kind == TSL_EXPR_INT && extent->kind == TSL_EXPR_INT) {
    tsl_text_printf(out, "%lld", (long long)(min->int_value + extent->int_value));
  } else {
    tsl_text_puts(out, "(");
    tsl_expr_print(out, min);
    tsl_text_puts(out, " + ");
    tsl_expr_print(out, extent);
    tsl_text_puts(out, ")");
  }
}

/* A region axis prints as its index when it is one element wide, else as min:end. */
static void print_region(tsl_text *out, const tsl_region *region) {
  tsl_text_printf(out, "%%%s[", region->buffer->name);
  for (int axis = 0; axis < region->buffer->rank; axis++) {
    if (axis) tsl_text_puts(out, ", ");
    const tsl_expr *min = region->min[axis], *extent = region->extent[axis];
    tsl_expr_print(out, min);
    if (tsl_expr_is_int(extent, 1)) continue;
    tsl_text_puts(out, ":");
    if (min->kind == TSL_EXPR_INT && extent->kind == TSL_EXPR_INT) {
      tsl_text_printf(out, "%lld", (long long)(min->int_value + extent->int_value));
    } else {
      tsl_text_puts(out, "(");
      tsl_expr_print(out, min);
      tsl_text_puts(out, " + ");
      tsl_expr_print(out, extent);
      tsl_text_puts(out, ")");
    }
  }
  tsl_text_puts(out, "]");
}

static void print_regions(tsl_text *out, const char *title, const tsl_region *regions,
                          int count) {
  tsl_text_printf(out, " %s [", title);
  for (int i = 0; i < count; i++) {
    if (i) tsl_text_puts(out, ", ");
    print_region(out, &regions[i]);
  }
  tsl_text_puts(out, "]");
}

static void print_stmt(tsl_text *out, const tsl_stmt *stmt, int depth);

static void print_body(tsl_text *out, const tsl_stmt *body, int depth) {
  tsl_text_puts(out, " {\n");
  print_stmt(out, body, depth + 1);
  indent(out, depth);
  tsl_text_puts(out, "}");
}

static void print_block(tsl_text *out, const tsl_stmt *stmt, int depth) {
  tsl_text_printf(out, "block \"%s\" [", stmt->block.name);
  for (int i = 0; i < stmt->block.num_iters; i++) {
    const tsl_block_iter *iter = &stmt->block.iters[i];
    tsl_text_printf(out, "%s%%%s: %s %lld..%lld = ", i ? ", " : "", iter->var->name,
                    tsl_iter_kind_name(iter->kind), (long long)iter->min,
                    (long long)(iter->min + iter->extent));
    tsl_expr_print(out, iter->binding);
  }
  tsl_text_puts(out, "]");
  if (stmt->block.predicate) {
    tsl_text_puts(out, " where ");
    tsl_expr_print(out, stmt->block.predicate);
  }
  tsl_text_puts(out, "\n");
  indent(out, depth + 2);
  print_regions(out, "reads", stmt->block.reads, stmt->block.num_reads);
  print_regions(out, "writes", stmt->block.writes, stmt->block.num_writes);
  tsl_text_puts(out, " {\n");
  if (stmt->block.init) {
    indent(out, depth + 1);
    tsl_text_puts(out, "init");
    print_body(out, stmt->block.init, depth + 1);
    tsl_text_puts(out, "\n");
  }
  print_stmt(out, stmt->block.body, depth + 1);
  indent(out, depth);
  tsl_text_puts(out, "}");
}

static void print_stmt(tsl_text *out, const tsl_stmt *stmt, int depth) {
  if (stmt->kind == TSL_STMT_SEQ) {
    for (int i = 0; i < stmt->seq.count; i++) print_stmt(out, stmt->seq.items[i], depth);
    return;
  }
  indent(out, depth);
  switch (stmt->kind) {
  case TSL_STMT_FOR:
    tsl_text_printf(out, "for %%%s in ", stmt->loop.var->name);
    print_range(out, stmt->loop.min, stmt->loop.extent);
    if (stmt->loop.loop_kind != TSL_LOOP_SERIAL) {
      tsl_text_printf(out, " %s", tsl_loop_kind_name(stmt->loop.loop_kind));
    }
    if (stmt->loop.unroll_max) tsl_text_printf(out, " unroll_max=%lld", (long long)stmt->loop.unroll_max);
    if (stmt->loop.tensorized) tsl_text_printf(out, " tensorized(\"%s\")", stmt->loop.tensorized);
    print_body(out, stmt->loop.body, depth);
    break;
  case TSL_STMT_BLOCK: print_block(out, stmt, depth); break;
  case TSL_STMT_STORE:
    tsl_text_printf(out, "%%%s[", stmt->store.buffer->name);
    for (int i = 0; i < stmt->store.num_indices; i++) {
      if (i) tsl_text_puts(out, ", ");
      tsl_expr_print(out, stmt->store.indices[i]);
    }
    tsl_text_puts(out, "] = ");
    tsl_expr_print(out, stmt->store.value);
    break;
  case TSL_STMT_IF:
    tsl_text_puts(out, "if ");
    tsl_expr_print(out, stmt->branch.condition);
    print_body(out, stmt->branch.then, depth);
    if (stmt->branch.otherwise) {
      tsl_text_puts(out, " else");
      print_body(out, stmt->branch.otherwise, depth);
    }
    break;
  case TSL_STMT_ALLOC:
    tsl_text_puts(out, "alloc ");
    print_buffer_type(out, stmt->alloc.buffer);
    print_body(out, stmt->alloc.body, depth);
    break;
  case TSL_STMT_EVAL:
    tsl_text_puts(out, "eval ");
    tsl_expr_print(out, stmt->eval.value);
    break;
  case TSL_STMT_SEQ: break;
  }
  tsl_text_puts(out, "\n");
}

/* ` packed from [original shape] as [a1 // 16, a0, a1 % 16]`: each axis of the buffer as what
 * it holds of the original's axes a0, a1, … */
static void print_packing(tsl_text *out, const tsl_packing *packing) {
  tsl_text_puts(out, " packed from [");
  for (int a = 0; a < packing->rank; a++)
    tsl_text_printf(out, "%s%lld", a ? ", " : "", (long long)packing->shape[a]);
  tsl_text_puts(out, "] as [");
  for (int i = 0; i < packing->num_axes; i++) {
    const tsl_layout_axis *axis = &packing->axes[i];
    tsl_text_printf(out, "%sa%d", i ? ", " : "", axis->source);
    if (axis->part != TSL_LAYOUT_WHOLE)
      tsl_text_printf(out, " %s %lld", axis->part == TSL_LAYOUT_OUTER ? "//" : "%",
                      (long long)axis->factor);
  }
  tsl_text_puts(out, "]");
}

char *tsl_primfunc_print(const tsl_primfunc *func) {
  tsl_text out = {0};
  tsl_text_printf(&out, "func \"%s\" (", func->name);
  for (int i = 0; i < func->num_params; i++) {
    if (i) tsl_text_puts(&out, ", ");
    if (func->is_output[i]) tsl_text_puts(&out, "out ");
    print_buffer_type(&out, func->params[i]);
    if (func->packing[i]) print_packing(&out, func->packing[i]);
  }
  tsl_text_puts(&out, ")");
  if (func->body) print_body(&out, func->body, 0);
  else tsl_text_puts(&out, " {\n}");
  tsl_text_puts(&out, "\n");
  return tsl_text_take(&out);
}
