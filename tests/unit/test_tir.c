/* TIR: kernels lowered from operator calls print, parse back to the same text and verify;
 * malformed text and IR are reported; the simplifier keeps the values of index expressions. */
#include <stdlib.h>
#include <string.h>

#include "ir/arith.h"
#include "passes/lower/lower.h"
#include "passes/schedule/schedule.h"
#include "tests/unit/util.h"

/* Lowers the first node of the graph text, schedules it, and checks the text round trip. */
static void round_trip(const char *graph_text) {
  tsl_graph *graph = parse_ok(graph_text);
  tsl_primfunc *func;
  tsl_error error;
  ck_assert_msg(tsl_lower_node(graph->nodes[0], "kernel", &func, &error) == TSL_OK, "%s", error.message);
  tsl_target target;
  ck_assert_int_eq(tsl_target_parse("llvm", &target, &error), TSL_OK);
  target.vector_bits = 256;
  tsl_default_schedule(func, &target);
  char *text = tsl_primfunc_print(func);
  tsl_primfunc *parsed;
  ck_assert_msg(tsl_primfunc_parse(text, strlen(text), "printed", &parsed, &error) == TSL_OK,
                "%s\n%s", error.message, text);
  char *again = tsl_primfunc_print(parsed);
  ck_assert_str_eq(again, text);
  free(text);
  free(again);
  tsl_primfunc_free(func);
  tsl_primfunc_free(parsed);
  tsl_graph_free(graph);
}

START_TEST(lowered_kernels_round_trip) {
  round_trip("graph \"g\" {\n  input %a: f32[3, 1, 5]\n  input %b: f32[4, 1]\n"
             "  %y: f32[3, 4, 5] = add(%a, %b)\n  output %y\n}\n");
  round_trip("graph \"g\" {\n  input %x: f16[128, 256]\n"
             "  %y: f16[128, 256] = gelu(%x) {approximate=\"tanh\"}\n  output %y\n}\n");
  round_trip("graph \"g\" {\n  input %c: bool[2, 3]\n  input %a: i64[3]\n  input %b: i64[2, 3]\n"
             "  %y: i64[2, 3] = where(%c, %a, %b)\n  output %y\n}\n");
  round_trip("graph \"g\" {\n  input %x: i32[8]\n  input %y: i32[8]\n"
             "  %z: i32[8] = mod(%x, %y)\n  output %z\n}\n");
}
END_TEST

static void parse_fails_with(const char *text, const char *expected) {
  tsl_primfunc *func;
  tsl_error error;
  ck_assert_int_ne(tsl_primfunc_parse(text, strlen(text), "t", &func, &error), TSL_OK);
  ck_assert_msg(strstr(error.message, expected), "message '%s' lacks '%s'", error.message, expected);
}

START_TEST(bad_text_is_reported) {
  parse_fails_with("func \"f\" (%a: f32[4], out %b: f32[4]) {\n  for %i in 0..4 {\n"
                   "    %b[%i] = %a[%j]\n  }\n}\n",
                   "t:3: '%j' is not declared");
  parse_fails_with("func \"f\" (%a: f32[4], out %b: i32[4]) {\n  for %i in 0..4 {\n"
                   "    %b[%i] = %a[%i]\n  }\n}\n",
                   "a f32 value cannot be stored in %b of i32");
  parse_fails_with("func \"f\" (%a: f32[4], out %b: f32[4]) {\n  for %i in 0..4 {\n"
                   "    %b[%i] = (%a[%i] + 1)\n  }\n}\n",
                   "operands of + are f32 and i64");
  parse_fails_with("func \"f\" (%a: f32[4, 4], out %b: f32[4]) {\n  for %i in 0..4 {\n"
                   "    %b[%i] = %a[%i]\n  }\n}\n",
                   "%a has rank 2, not 1 indices");
  /* Strides: one per axis, laying the axes out without overlap, within the element limit. */
  parse_fails_with("func \"f\" (%a: f32[2, 3] strides=[4]) {\n}\n", "t:1: expected ','");
  parse_fails_with("func \"f\" (%a: f32[2, 3] strides=[2, 1]) {\n}\n",
                   "the strides of %a overlap its axes");
  parse_fails_with("func \"f\" (%a: f32[2, 3] strides=[4, 0]) {\n}\n",
                   "the strides of %a overlap its axes");
  parse_fails_with(
      "func \"f\" () {\n  alloc %t: f32[2, 3] strides=[4, -1] {\n    eval f32(0.0)\n  }\n}\n",
      "the strides of %t overlap its axes");
  parse_fails_with("func \"f\" (%a: f32[1024, 3] strides=[72057594037927936, 1]) {\n}\n",
                   "the strides of %a span too many elements");
}
END_TEST

/* Strides that are not row-major print after the shape, and read back the same; row-major
 * ones do not print. */
START_TEST(strides_round_trip) {
  const char *text =
      "func \"f\" (%a: f32[2, 3, 4] strides=[64, 16, 1], out %b: f32[2, 3]) {\n"
      "  alloc %t: f32[3, 5] strides=[8, 1] local {\n"
      "    eval f32(0.0)\n"
      "  }\n"
      "}\n";
  tsl_primfunc *func;
  tsl_error error;
  ck_assert_msg(tsl_primfunc_parse(text, strlen(text), "t", &func, &error) == TSL_OK, "%s",
                error.message);
  ck_assert_int_eq(func->params[0]->strides[1], 16);
  ck_assert(!tsl_buffer_is_row_major(func->params[0]) && tsl_buffer_is_row_major(func->params[1]));
  ck_assert_int_eq(tsl_buffer_elements(func->params[0]), 128);
  ck_assert_int_eq(tsl_buffer_elements(func->params[1]), 6);
  char *printed = tsl_primfunc_print(func);
  ck_assert_str_eq(printed, text);
  free(printed);
  tsl_primfunc_free(func);
}
END_TEST

START_TEST(verifier_finds_unbound_variables) {
  tsl_primfunc *func = tsl_primfunc_new("f");
  tsl_type type = tsl_type_make(TSL_DTYPE_F32, 1, (int64_t[]){4});
  tsl_buffer *out = tsl_primfunc_buffer(func, "out", &type, TSL_SCOPE_GLOBAL);
  tsl_primfunc_add_param(func, out, true);
  tsl_var *i = tsl_primfunc_var(func, "i", TSL_DTYPE_I64);
  tsl_expr *index = tsl_var_ref(func->arena, i);
  func->body = tsl_store(func->arena, out, 1, &index, tsl_float(func->arena, TSL_DTYPE_F32, 1));
  tsl_error error;
  ck_assert_int_ne(tsl_primfunc_verify(func, &error), TSL_OK);
  ck_assert_ptr_nonnull(strstr(error.message, "variable %i is used where nothing binds it"));
  tsl_primfunc_free(func);
}
END_TEST

/* ---- the simplifier on random index expressions ------------------------------------------ */

static unsigned next_random(unsigned *state) {
  *state = *state * 1103515245u + 12345u;
  return (*state >> 16) & 0x7fff;
}

static int64_t floor_quotient(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* The value of an index expression (or a condition, 0 or 1) where variable id i is values[i]. */
static int64_t evaluate(const tsl_expr *expr, const int64_t *values) {
  if (expr->kind == TSL_EXPR_INT) return expr->int_value;
  if (expr->kind == TSL_EXPR_VAR) return values[expr->var->id];
  if (expr->kind == TSL_EXPR_SELECT)
    return evaluate(expr->op.a, values) ? evaluate(expr->op.b, values)
                                        : evaluate(expr->op.c, values);
  int64_t a = evaluate(expr->op.a, values), b = expr->op.b ? evaluate(expr->op.b, values) : 0;
  switch (expr->kind) {
  case TSL_EXPR_ADD: return a + b;
  case TSL_EXPR_SUB: return a - b;
  case TSL_EXPR_MUL: return a * b;
  case TSL_EXPR_FLOOR_DIV: return floor_quotient(a, b);
  case TSL_EXPR_FLOOR_MOD: return a - floor_quotient(a, b) * b;
  case TSL_EXPR_MIN: return a < b ? a : b;
  case TSL_EXPR_MAX: return a > b ? a : b;
  case TSL_EXPR_EQ: return a == b;
  case TSL_EXPR_NE: return a != b;
  case TSL_EXPR_LT: return a < b;
  case TSL_EXPR_LE: return a <= b;
  case TSL_EXPR_GT: return a > b;
  case TSL_EXPR_GE: return a >= b;
  case TSL_EXPR_AND: return a && b;
  case TSL_EXPR_OR: return a || b;
  case TSL_EXPR_NOT: return !a;
  case TSL_EXPR_NEG: return -a;
  default: ck_abort_msg("no evaluation of %s", tsl_expr_kind_name(expr->kind));
  }
  return 0;
}

enum { RANDOM_VARS = 3 };

/* A random i64 expression in the variables, of the shapes schedules make: sums of products by
 * immediates, floor division and modulo by immediates (and a quotient and remainder put back
 * together), min, max and selects. */
static tsl_expr *random_index(tsl_arena *arena, tsl_var **vars, int depth, unsigned *state) {
  unsigned pick = next_random(state) % (depth > 0 ? 10u : 2u);
  if (pick == 0) return tsl_index(arena, (int64_t)(next_random(state) % 41) - 20);
  if (pick == 1) return tsl_var_ref(arena, vars[next_random(state) % RANDOM_VARS]);
  tsl_expr *a = random_index(arena, vars, depth - 1, state);
  tsl_expr *b = random_index(arena, vars, depth - 1, state);
  tsl_expr *divisor = tsl_index(arena, 1 + (int64_t)(next_random(state) % 17));
  switch (pick) {
  case 2: return tsl_binary(arena, TSL_EXPR_ADD, a, b);
  case 3: return tsl_binary(arena, TSL_EXPR_SUB, a, b);
  case 4: return tsl_binary(arena, TSL_EXPR_MUL, a, next_random(state) % 4 ? divisor : b);
  case 5: return tsl_binary(arena, TSL_EXPR_FLOOR_DIV, a, divisor);
  case 6: return tsl_binary(arena, TSL_EXPR_FLOOR_MOD, a, divisor);
  case 7: return tsl_binary(arena, next_random(state) % 2 ? TSL_EXPR_MIN : TSL_EXPR_MAX, a, b);
  case 8: { /* a // d * d + a % d + b, from a flattened fused index */
    tsl_expr *high =
        tsl_binary(arena, TSL_EXPR_MUL, tsl_binary(arena, TSL_EXPR_FLOOR_DIV, a, divisor), divisor);
    tsl_expr *whole =
        tsl_binary(arena, TSL_EXPR_ADD, high, tsl_binary(arena, TSL_EXPR_FLOOR_MOD, a, divisor));
    return tsl_binary(arena, TSL_EXPR_ADD, whole, b);
  }
  default: {
    tsl_expr_kind compare = TSL_EXPR_EQ + (tsl_expr_kind)(next_random(state) % 6);
    tsl_expr *condition =
        tsl_binary(arena, compare, a, random_index(arena, vars, depth - 1, state));
    return tsl_select(arena, condition, a, b);
  }
  }
}

/* Random expressions and comparisons, simplified with random ranges of their variables, keep
 * their values at random points of those ranges. */
START_TEST(simplifier_keeps_values) {
  tsl_primfunc *func = tsl_primfunc_new("f");
  tsl_var *vars[RANDOM_VARS];
  const char *names[RANDOM_VARS] = {"i", "j", "k"};
  for (int v = 0; v < RANDOM_VARS; v++) vars[v] = tsl_primfunc_var(func, names[v], TSL_DTYPE_I64);
  unsigned state = 2024u;
  int changed = 0;
  for (int trial = 0; trial < 4000; trial++) {
    tsl_ranges ranges = {0};
    int64_t low[RANDOM_VARS], extent[RANDOM_VARS];
    for (int v = 0; v < RANDOM_VARS; v++) {
      low[v] = (int64_t)(next_random(&state) % 33) - 16;
      extent[v] = 1 + (int64_t)(next_random(&state) % 24);
      tsl_ranges_set(&ranges, vars[v], low[v], low[v] + extent[v] - 1);
    }
    tsl_expr *expr = random_index(func->arena, vars, 4, &state);
    if (trial % 3 == 0) {
      tsl_expr_kind compare = TSL_EXPR_EQ + (tsl_expr_kind)(next_random(&state) % 6);
      expr = tsl_binary(func->arena, compare, expr, random_index(func->arena, vars, 3, &state));
    }
    tsl_expr *simplified = tsl_simplify(func->arena, expr, &ranges);
    changed += simplified != expr;
    int64_t values[64] = {0};
    for (int point = 0; point < 16; point++) {
      for (int v = 0; v < RANDOM_VARS; v++)
        values[vars[v]->id] = low[v] + (int64_t)(next_random(&state) % (unsigned)extent[v]);
      int64_t want = evaluate(expr, values), got = evaluate(simplified, values);
      if (want != got) {
        tsl_text text = {0};
        tsl_expr_print(&text, expr);
        tsl_text_puts(&text, "\nsimplified to\n");
        tsl_expr_print(&text, simplified);
        ck_abort_msg("%s\nis %lld, not %lld, at i=%lld j=%lld k=%lld", text.data, (long long)got,
                     (long long)want, (long long)values[vars[0]->id],
                     (long long)values[vars[1]->id], (long long)values[vars[2]->id]);
      }
    }
    tsl_ranges_free(&ranges);
  }
  ck_assert_int_gt(changed, 2000);
  tsl_primfunc_free(func);
}
END_TEST

Suite *suite_tir(void) {
  Suite *suite = suite_create("tir");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, lowered_kernels_round_trip);
  tcase_add_test(tc, bad_text_is_reported);
  tcase_add_test(tc, strides_round_trip);
  tcase_add_test(tc, verifier_finds_unbound_variables);
  tcase_add_test(tc, simplifier_keeps_values);
  suite_add_tcase(suite, tc);
  return suite;
}
