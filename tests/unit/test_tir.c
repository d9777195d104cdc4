/* TIR: kernels lowered from operator calls print, parse back to the same text and verify;
 * malformed text and IR are reported. */
#include <stdlib.h>
#include <string.h>

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

Suite *suite_tir(void) {
  Suite *suite = suite_create("tir");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, lowered_kernels_round_trip);
  tcase_add_test(tc, bad_text_is_reported);
  tcase_add_test(tc, strides_round_trip);
  tcase_add_test(tc, verifier_finds_unbound_variables);
  suite_add_tcase(suite, tc);
  return suite;
}
