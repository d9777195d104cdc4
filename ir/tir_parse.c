/* Reads the TIR text form back (as tir_print.c writes it). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/check.h"
#include "ir/error.h"
#include "ir/scan.h"
#include "ir/tir.h"

typedef struct parser {
  tsl_scanner scanner;
  const char *name;
  tsl_primfunc *func;
  tsl_strmap vars, buffers; /* by name, in scope */
  tsl_error *error;
  bool failed;
} parser;

static bool fail(parser *p, const char *format, ...) __attribute__((format(printf, 2, 3)));

static bool fail(parser *p, const char *format, ...) {
  if (p->failed) return false;
  char message[1024];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof(message), format, args);
  va_end(args);
  tsl_fail(p->error, TSL_ERROR_INPUT, "%s:%d: %s", p->name, p->scanner.line, message);
  p->failed = true;
  return false;
}

static bool expect(parser *p, const char *token) {
  return tsl_scan_accept(&p->scanner, token) || fail(p, "expected '%s'", token);
}

static bool parse_word(parser *p, const char **word) {
  const char *start;
  size_t length;
  if (!tsl_scan_word(&p->scanner, &start, &length)) return fail(p, "expected a name");
  *word = tsl_arena_strndup(p->func->arena, start, length);
  return true;
}

static bool parse_dtype(parser *p, tsl_dtype *dtype) {
  const char *start;
  size_t length;
  if (!tsl_scan_identifier(&p->scanner, &start, &length)) return fail(p, "expected a dtype");
  *dtype = tsl_dtype_parse(start, length);
  return *dtype != TSL_DTYPE_INVALID || fail(p, "unknown dtype '%.*s'", (int)length, start);
}

/* strides=[s0, …], one per axis; the verifier checks the layout they make. */
static bool parse_strides(parser *p, int rank, int64_t *strides) {
  if (!expect(p, "[")) return false;
  for (int axis = 0; axis < rank; axis++) {
    if (axis && !expect(p, ",")) return false;
    if (!tsl_scan_int(&p->scanner, &strides[axis])) return fail(p, "expected %d strides", rank);
  }
  return expect(p, "]");
}

/* %name: dtype[dims] [strides=[…]] [scope] */
static tsl_buffer *parse_buffer_declaration(parser *p) {
  const char *name;
  tsl_type type = {0};
  if (!expect(p, "%") || !parse_word(p, &name) || !expect(p, ":") || !parse_dtype(p, &type.dtype) ||
      !expect(p, "[")) {
    return NULL;
  }
  if (!tsl_scan_accept(&p->scanner, "]")) {
    do {
      if (type.rank == TSL_MAX_RANK) return fail(p, "rank above %d", TSL_MAX_RANK), NULL;
      if (!tsl_scan_int(&p->scanner, &type.dims[type.rank++])) return fail(p, "expected a dimension"), NULL;
    } while (tsl_scan_accept(&p->scanner, ","));
    if (!expect(p, "]")) return NULL;
  }
  int64_t elements;
  if (!tsl_shape_elements(type.rank, type.dims, &elements)) return fail(p, "shape too large"), NULL;
  int64_t strides[TSL_MAX_RANK];
  bool strided = tsl_scan_accept(&p->scanner, "strides=");
  if (strided && !parse_strides(p, type.rank, strides)) return NULL;
  tsl_scope scope = TSL_SCOPE_GLOBAL;
  if (tsl_scan_accept(&p->scanner, "local")) scope = TSL_SCOPE_LOCAL;
  if (tsl_strmap_get(&p->buffers, name) || tsl_strmap_get(&p->vars, name)) {
    return fail(p, "'%%%s' is declared twice", name), NULL;
  }
  tsl_buffer *buffer = tsl_primfunc_buffer(p->func, name, &type, scope);
  if (strided) memcpy(buffer->strides, strides, sizeof(int64_t) * (size_t)type.rank);
  tsl_strmap_put(&p->buffers, buffer->name, buffer);
  return buffer;
}

static tsl_var *declare_var(parser *p, const char *name) {
  if (tsl_strmap_get(&p->buffers, name) || tsl_strmap_get(&p->vars, name)) {
    return fail(p, "'%%%s' is declared twice", name), NULL;
  }
  tsl_var *var = tsl_primfunc_var(p->func, name, TSL_DTYPE_I64);
  tsl_strmap_put(&p->vars, var->name, var);
  return var;
}

/* ---- expressions ------------------------------------------------------------------------- */

static tsl_expr *parse_expr(parser *p);

static const struct {
  const char *token;
  tsl_expr_kind kind;
} infix[] = {
    {"//", TSL_EXPR_FLOOR_DIV}, {"==", TSL_EXPR_EQ}, {"!=", TSL_EXPR_NE}, {"<=", TSL_EXPR_LE},
    {">=", TSL_EXPR_GE},        {"&&", TSL_EXPR_AND}, {"||", TSL_EXPR_OR}, {"<<", TSL_EXPR_SHL},
    {">>", TSL_EXPR_SHR},       {"+", TSL_EXPR_ADD},  {"-", TSL_EXPR_SUB}, {"*", TSL_EXPR_MUL},
    {"/", TSL_EXPR_DIV},        {"%", TSL_EXPR_FLOOR_MOD}, {"<", TSL_EXPR_LT}, {">", TSL_EXPR_GT},
    {"&", TSL_EXPR_BIT_AND},    {"|", TSL_EXPR_BIT_OR}, {"^", TSL_EXPR_BIT_XOR},
};

/* Builders check their operands with TSL_CHECK; text is checked here first, with a message. */
static tsl_expr *binary(parser *p, tsl_expr_kind kind, tsl_expr *a, tsl_expr *b) {
  if (!a || !b) return NULL;
  if (a->dtype != b->dtype) {
    return fail(p, "operands of %s are %s and %s", tsl_expr_kind_name(kind),
                tsl_dtype_name(a->dtype), tsl_dtype_name(b->dtype)), NULL;
  }
  return tsl_binary(p->func->arena, kind, a, b);
}

static tsl_expr *parse_parenthesised(parser *p) {
  tsl_expr *a = parse_expr(p);
  if (!a) return NULL;
  for (size_t i = 0; i < sizeof(infix) / sizeof(infix[0]); i++) {
    if (tsl_scan_accept(&p->scanner, infix[i].token)) {
      tsl_expr *b = parse_expr(p);
      return expect(p, ")") ? binary(p, infix[i].kind, a, b) : NULL;
    }
  }
  return fail(p, "expected an operator"), NULL;
}

static bool parse_arguments(parser *p, tsl_expr **args, int count) {
  if (!expect(p, "(")) return false;
  for (int i = 0; i < count; i++) {
    if (i && !expect(p, ",")) return false;
    if (!(args[i] = parse_expr(p))) return false;
  }
  return expect(p, ")");
}

static tsl_expr *parse_named(parser *p, const char *word, size_t length) {
  tsl_arena *arena = p->func->arena;
  tsl_expr *args[3];
  tsl_dtype dtype = tsl_dtype_parse(word, length);
  if (dtype != TSL_DTYPE_INVALID) {
    /* dtype(literal) is an immediate; dtype(expression) a cast. */
    if (!expect(p, "(")) return NULL;
    tsl_scanner saved = p->scanner;
    double value;
    int64_t integer;
    if (tsl_dtype_is_float(dtype) && tsl_scan_float(&p->scanner, &value) && tsl_scan_accept(&p->scanner, ")")) {
      return tsl_float(arena, dtype, value);
    }
    p->scanner = saved;
    if (!tsl_dtype_is_float(dtype) && tsl_scan_int(&p->scanner, &integer) && tsl_scan_accept(&p->scanner, ")")) {
      return tsl_int(arena, dtype, integer);
    }
    p->scanner = saved;
    tsl_expr *value_expr = parse_expr(p);
    return value_expr && expect(p, ")") ? tsl_cast(arena, dtype, value_expr) : NULL;
  }
  if (length == 7 && memcmp(word, "bitcast", 7) == 0) {
    if (!parse_dtype(p, &dtype) || !parse_arguments(p, args, 1)) return NULL;
    if (tsl_dtype_size(dtype) != tsl_dtype_size(args[0]->dtype)) return fail(p, "bitcast between sizes"), NULL;
    return tsl_bitcast(arena, dtype, args[0]);
  }
  if (length == 6 && memcmp(word, "select", 6) == 0) {
    if (!parse_arguments(p, args, 3)) return NULL;
    if (args[0]->dtype != TSL_DTYPE_BOOL || args[1]->dtype != args[2]->dtype) return fail(p, "select needs a bool and two values of one dtype"), NULL;
    return tsl_select(arena, args[0], args[1], args[2]);
  }
  static const struct {
    const char *name;
    tsl_expr_kind kind;
    int arity;
  } named[] = {{"min", TSL_EXPR_MIN, 2}, {"max", TSL_EXPR_MAX, 2}, {"mod", TSL_EXPR_MOD, 2},
               {"neg", TSL_EXPR_NEG, 1}, {"!", TSL_EXPR_NOT, 1}, {"~", TSL_EXPR_BIT_NOT, 1}};
  for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
    if (strlen(named[i].name) != length || memcmp(named[i].name, word, length) != 0) continue;
    if (!parse_arguments(p, args, named[i].arity)) return NULL;
    return named[i].arity == 1 ? tsl_unary(arena, named[i].kind, args[0]) : binary(p, named[i].kind, args[0], args[1]);
  }
  for (int f = 0; f < TSL_MATH_COUNT; f++) {
    const char *name = tsl_math_name((tsl_math)f);
    if (strlen(name) != length || memcmp(name, word, length) != 0) continue;
    int arity = tsl_math_arity((tsl_math)f);
    if (!parse_arguments(p, args, arity)) return NULL;
    if (!tsl_dtype_is_float(args[0]->dtype) || (arity == 2 && args[1]->dtype != args[0]->dtype)) {
      return fail(p, "%s needs float arguments of one dtype", name), NULL;
    }
    return tsl_call(arena, (tsl_math)f, args[0], arity == 2 ? args[1] : NULL);
  }
  return fail(p, "unknown function '%.*s'", (int)length, word), NULL;
}

/* %var or %buffer[indices] */
static tsl_expr *parse_reference(parser *p) {
  const char *name;
  if (!parse_word(p, &name)) return NULL;
  tsl_buffer *buffer = tsl_strmap_get(&p->buffers, name);
  if (buffer) {
    tsl_expr *indices[TSL_MAX_RANK];
    int count = 0;
    if (!expect(p, "[")) return NULL;
    if (!tsl_scan_accept(&p->scanner, "]")) {
      do {
        if (count == TSL_MAX_RANK || !(indices[count++] = parse_expr(p))) return NULL;
      } while (tsl_scan_accept(&p->scanner, ","));
      if (!expect(p, "]")) return NULL;
    }
    if (count != buffer->rank) return fail(p, "%%%s has rank %d, not %d indices", name, buffer->rank, count), NULL;
    return tsl_load(p->func->arena, buffer, count, indices);
  }
  tsl_var *var = tsl_strmap_get(&p->vars, name);
  if (!var) return fail(p, "'%%%s' is not declared", name), NULL;
  return tsl_var_ref(p->func->arena, var);
}

static tsl_expr *parse_expr(parser *p) {
  if (p->failed) return NULL;
  int64_t integer;
  if (tsl_scan_accept(&p->scanner, "(")) return parse_parenthesised(p);
  if (tsl_scan_accept(&p->scanner, "%")) return parse_reference(p);
  if (tsl_scan_int(&p->scanner, &integer)) return tsl_index(p->func->arena, integer);
  if (tsl_scan_accept(&p->scanner, "!")) return parse_named(p, "!", 1);
  if (tsl_scan_accept(&p->scanner, "~")) return parse_named(p, "~", 1);
  const char *start;
  size_t length;
  if (!tsl_scan_identifier(&p->scanner, &start, &length)) return fail(p, "expected an expression"), NULL;
  return parse_named(p, start, length);
}

/* min..end, where end is an integer or (min + extent). */
static bool parse_range(parser *p, tsl_expr **min, tsl_expr **extent) {
  if (!(*min = parse_expr(p)) || !expect(p, "..")) return false;
  int64_t end;
  if (tsl_scan_int(&p->scanner, &end)) {
    if ((*min)->kind != TSL_EXPR_INT) return fail(p, "a range with a computed start needs (start + extent)");
    *extent = tsl_index(p->func->arena, end - (*min)->int_value);
    return true;
  }
  tsl_expr *sum = parse_expr(p);
  if (!sum) return false;
  if (sum->kind != TSL_EXPR_ADD || !tsl_expr_equal(sum->op.a, *min)) return fail(p, "expected (start + extent)");
  *extent = sum->op.b;
  return true;
}

/* ---- statements -------------------------------------------------------------------------- */

static tsl_stmt *parse_stmts(parser *p);

static tsl_stmt *parse_braced(parser *p) {
  if (!expect(p, "{")) return NULL;
  tsl_stmt *body = parse_stmts(p);
  return body && expect(p, "}") ? body : NULL;
}

static tsl_stmt *parse_for(parser *p) {
  const char *name;
  tsl_expr *min, *extent;
  if (!expect(p, "%") || !parse_word(p, &name) || !expect(p, "in") || !parse_range(p, &min, &extent)) return NULL;
  tsl_loop_kind kind = TSL_LOOP_SERIAL;
  for (int k = 0; k <= TSL_LOOP_UNROLLED; k++) {
    if (k != TSL_LOOP_SERIAL && tsl_scan_accept(&p->scanner, tsl_loop_kind_name((tsl_loop_kind)k))) kind = (tsl_loop_kind)k;
  }
  int64_t unroll_max = 0;
  if (tsl_scan_accept(&p->scanner, "unroll_max=") &&
      (!tsl_scan_int(&p->scanner, &unroll_max) || unroll_max < 1)) {
    fail(p, "unroll_max= takes a positive count");
    return NULL;
  }
  char *tensorized = NULL;
  if (tsl_scan_accept(&p->scanner, "tensorized(") &&
      (!tsl_scan_string(&p->scanner, &tensorized) || !expect(p, ")"))) {
    if (!tensorized) fail(p, "tensorized( takes the intrinsic's name as a string");
    free(tensorized);
    return NULL;
  }
  const char *intrinsic = tensorized ? tsl_arena_strdup(p->func->arena, tensorized) : NULL;
  free(tensorized);
  tsl_var *var = declare_var(p, name);
  if (!var) return NULL;
  tsl_stmt *body = parse_braced(p);
  if (!body) return NULL;
  tsl_stmt *loop = tsl_for(p->func->arena, var, min, extent, kind, body);
  loop->loop.unroll_max = unroll_max;
  loop->loop.tensorized = intrinsic;
  return loop;
}

static bool parse_region(parser *p, tsl_region *region) {
  const char *name;
  if (!expect(p, "%") || !parse_word(p, &name)) return false;
  region->buffer = tsl_strmap_get(&p->buffers, name);
  if (!region->buffer) return fail(p, "'%%%s' is not a buffer", name);
  if (!expect(p, "[")) return false;
  for (int axis = 0; axis < region->buffer->rank; axis++) {
    if (axis && !expect(p, ",")) return false;
    if (!(region->min[axis] = parse_expr(p))) return false;
    region->extent[axis] = tsl_index(p->func->arena, 1);
    if (!tsl_scan_accept(&p->scanner, ":")) continue;
    int64_t end;
    if (tsl_scan_int(&p->scanner, &end) && region->min[axis]->kind == TSL_EXPR_INT) {
      region->extent[axis] = tsl_index(p->func->arena, end - region->min[axis]->int_value);
    } else {
      tsl_expr *sum = parse_expr(p);
      if (!sum || sum->kind != TSL_EXPR_ADD) return fail(p, "expected (start + extent)");
      region->extent[axis] = sum->op.b;
    }
  }
  return expect(p, "]");
}

static bool parse_regions(parser *p, const char *title, tsl_region **regions, int *count) {
  int capacity = 0;
  *count = 0;
  *regions = NULL;
  if (!expect(p, title) || !expect(p, "[")) return false;
  if (tsl_scan_accept(&p->scanner, "]")) return true;
  do {
    tsl_region region = {0};
    if (!parse_region(p, &region)) return false;
    TSL_ARENA_PUSH(p->func->arena, *regions, *count, capacity, region);
  } while (tsl_scan_accept(&p->scanner, ","));
  return expect(p, "]");
}

static tsl_stmt *parse_block(parser *p) {
  tsl_arena *arena = p->func->arena;
  char *name;
  if (!tsl_scan_string(&p->scanner, &name)) return fail(p, "expected the block's name"), NULL;
  tsl_stmt *block = TSL_ARENA_NEW(arena, tsl_stmt);
  block->kind = TSL_STMT_BLOCK;
  block->block.name = tsl_arena_strdup(arena, name);
  free(name);
  int capacity = 0;
  if (!expect(p, "[")) return NULL;
  if (!tsl_scan_accept(&p->scanner, "]")) {
    do {
      const char *var_name;
      tsl_block_iter iter = {0};
      tsl_expr *min, *extent;
      if (!expect(p, "%") || !parse_word(p, &var_name) || !expect(p, ":")) return NULL;
      if (tsl_scan_accept(&p->scanner, "spatial")) iter.kind = TSL_ITER_SPATIAL;
      else if (tsl_scan_accept(&p->scanner, "reduce")) iter.kind = TSL_ITER_REDUCE;
      else return fail(p, "expected spatial or reduce"), NULL;
      if (!parse_range(p, &min, &extent) || !expect(p, "=")) return NULL;
      if (min->kind != TSL_EXPR_INT || extent->kind != TSL_EXPR_INT) return fail(p, "block domains are constant"), NULL;
      if (!(iter.binding = parse_expr(p))) return NULL;
      iter.min = min->int_value;
      iter.extent = extent->int_value;
      if (!(iter.var = declare_var(p, var_name))) return NULL;
      TSL_ARENA_PUSH(arena, block->block.iters, block->block.num_iters, capacity, iter);
    } while (tsl_scan_accept(&p->scanner, ","));
    if (!expect(p, "]")) return NULL;
  }
  if (tsl_scan_accept(&p->scanner, "where")) {
    if (!(block->block.predicate = parse_expr(p))) return NULL;
    if (block->block.predicate->dtype != TSL_DTYPE_BOOL)
      return fail(p, "a block's predicate is a bool"), NULL;
  }
  if (!parse_regions(p, "reads", &block->block.reads, &block->block.num_reads) ||
      !parse_regions(p, "writes", &block->block.writes, &block->block.num_writes) || !expect(p, "{")) {
    return NULL;
  }
  if (tsl_scan_accept(&p->scanner, "init") && !(block->block.init = parse_braced(p))) return NULL;
  if (!(block->block.body = parse_stmts(p)) || !expect(p, "}")) return NULL;
  return block;
}

static tsl_stmt *parse_store(parser *p) {
  tsl_expr *target = parse_reference(p);
  if (!target) return NULL;
  if (target->kind != TSL_EXPR_LOAD) return fail(p, "only buffers can be assigned"), NULL;
  if (!expect(p, "=")) return NULL;
  tsl_expr *value = parse_expr(p);
  if (!value) return NULL;
  if (value->dtype != target->dtype) {
    return fail(p, "a %s value cannot be stored in %%%s of %s", tsl_dtype_name(value->dtype),
                target->load.buffer->name, tsl_dtype_name(target->dtype)), NULL;
  }
  return tsl_store(p->func->arena, target->load.buffer, target->load.num_indices, target->load.indices, value);
}

static tsl_stmt *parse_stmt(parser *p) {
  if (tsl_scan_accept(&p->scanner, "for ")) return parse_for(p);
  if (tsl_scan_accept(&p->scanner, "block ")) return parse_block(p);
  if (tsl_scan_accept(&p->scanner, "alloc ")) {
    tsl_buffer *buffer = parse_buffer_declaration(p);
    tsl_stmt *body = buffer ? parse_braced(p) : NULL;
    return body ? tsl_alloc(p->func->arena, buffer, body) : NULL;
  }
  if (tsl_scan_accept(&p->scanner, "if ")) {
    tsl_expr *condition = parse_expr(p);
    if (!condition) return NULL;
    if (condition->dtype != TSL_DTYPE_BOOL) return fail(p, "an if needs a bool condition"), NULL;
    tsl_stmt *then = parse_braced(p), *otherwise = NULL;
    if (!then) return NULL;
    if (tsl_scan_accept(&p->scanner, "else") && !(otherwise = parse_braced(p))) return NULL;
    return tsl_if(p->func->arena, condition, then, otherwise);
  }
  if (tsl_scan_accept(&p->scanner, "eval ")) {
    tsl_expr *value = parse_expr(p);
    return value ? tsl_eval(p->func->arena, value) : NULL;
  }
  if (tsl_scan_accept(&p->scanner, "%")) return parse_store(p);
  return fail(p, "expected a statement"), NULL;
}

static tsl_stmt *parse_stmts(parser *p) {
  tsl_stmt **items = NULL;
  int count = 0, capacity = 0;
  while (tsl_scan_more(&p->scanner) && *p->scanner.at != '}') {
    tsl_stmt *stmt = parse_stmt(p);
    if (!stmt) return NULL;
    TSL_ARENA_PUSH(p->func->arena, items, count, capacity, stmt);
  }
  return tsl_seq(p->func->arena, count, items);
}

/* ` packed from [shape] as [a1 // 16, a0, a1 % 16]` after a parameter (tir_print.c). */
static bool parse_packing(parser *p, const tsl_buffer *buffer, tsl_packing **out) {
  tsl_packing *packing = TSL_ARENA_NEW(p->func->arena, tsl_packing);
  if (!expect(p, "from") || !expect(p, "[")) return false;
  do {
    if (packing->rank == TSL_MAX_RANK) return fail(p, "rank above %d", TSL_MAX_RANK);
    if (!tsl_scan_int(&p->scanner, &packing->shape[packing->rank++]))
      return fail(p, "expected a dimension");
  } while (tsl_scan_accept(&p->scanner, ","));
  if (!expect(p, "]") || !expect(p, "as") || !expect(p, "[")) return false;
  do {
    if (packing->num_axes == TSL_MAX_RANK) return fail(p, "rank above %d", TSL_MAX_RANK);
    tsl_layout_axis *axis = &packing->axes[packing->num_axes++];
    int64_t source;
    if (!expect(p, "a") || !tsl_scan_int(&p->scanner, &source))
      return fail(p, "expected an axis of the original, a0, a1, …");
    axis->source = source < 0 || source > TSL_MAX_RANK ? TSL_MAX_RANK : (int)source;
    axis->part = tsl_scan_accept(&p->scanner, "//")  ? TSL_LAYOUT_OUTER
                 : tsl_scan_accept(&p->scanner, "%") ? TSL_LAYOUT_INNER
                                                     : TSL_LAYOUT_WHOLE;
    if (axis->part != TSL_LAYOUT_WHOLE && !tsl_scan_int(&p->scanner, &axis->factor))
      return fail(p, "expected a factor");
  } while (tsl_scan_accept(&p->scanner, ","));
  if (!expect(p, "]")) return false;
  char why[256];
  if (!tsl_packing_valid(packing, why, sizeof(why))) return fail(p, "%%%s: %s", buffer->name, why);
  int64_t shape[TSL_MAX_RANK];
  tsl_packing_shape(packing, shape);
  bool same = packing->num_axes == buffer->rank;
  for (int i = 0; i < buffer->rank && same; i++) same = shape[i] == buffer->shape[i];
  if (!same) return fail(p, "%%%s: its shape is not the one its packing gives", buffer->name);
  *out = packing;
  return true;
}

static bool parse_function(parser *p) {
  char *name;
  if (!tsl_scan_accept(&p->scanner, "func") || !tsl_scan_string(&p->scanner, &name)) {
    return fail(p, "expected func \"name\"");
  }
  p->func = tsl_primfunc_new(name);
  free(name);
  if (!expect(p, "(")) return false;
  if (!tsl_scan_accept(&p->scanner, ")")) {
    do {
      bool output = tsl_scan_accept(&p->scanner, "out ");
      tsl_buffer *buffer = parse_buffer_declaration(p);
      if (!buffer) return false;
      tsl_primfunc_add_param(p->func, buffer, output);
      if (tsl_scan_accept(&p->scanner, "packed ") &&
          !parse_packing(p, buffer, &p->func->packing[p->func->num_params - 1]))
        return false;
    } while (tsl_scan_accept(&p->scanner, ","));
    if (!expect(p, ")")) return false;
  }
  if (!(p->func->body = parse_braced(p))) return false;
  return !tsl_scan_more(&p->scanner) || fail(p, "unexpected text after the function");
}

tsl_status tsl_primfunc_parse(const char *text, size_t length, const char *name,
                              tsl_primfunc **func, tsl_error *error) {
  parser p = {.scanner = tsl_scanner_make(text, length), .name = name, .error = error};
  *func = NULL;
  bool ok = parse_function(&p);
  tsl_strmap_free(&p.vars);
  tsl_strmap_free(&p.buffers);
  tsl_status status = ok ? tsl_primfunc_verify(p.func, error) : error->status;
  if (status) {
    if (ok) tsl_error_prefix(error, "%s: ", name);
    tsl_primfunc_free(p.func);
    return status;
  }
  *func = p.func;
  return TSL_OK;
}

static void infer_regions(tsl_stmt *stmt, void *context) {
  if (stmt->kind == TSL_STMT_BLOCK) tsl_block_infer_regions(context, stmt);
}

tsl_primfunc *tsl_primfunc_copy(const tsl_primfunc *func) {
  char *text = tsl_primfunc_print(func);
  tsl_primfunc *copy;
  tsl_error error;
  /* What the printer writes, the parser reads: anything else is a bug in one of them. */
  if (tsl_primfunc_parse(text, strlen(text), func->name, &copy, &error) != TSL_OK)
    TSL_CHECK(!"a printed PrimFunc parses");
  free(text);
  tsl_stmt_walk(copy->body, infer_regions, copy->arena);
  for (int i = 0; i < func->num_params; i++) copy->is_constant[i] = func->is_constant[i];
  return copy;
}
