/* Type rules of elementwise operators and reductions, as text: each graph states the types
 * tessel must infer. */
#include "tests/unit/util.h"

START_TEST(unary_and_binary) {
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f16[2, 3]\n  input %n: i8[3]\n"
                  "  %a: f16[2, 3] = tanh(%x)\n  %b: i8[3] = abs(%n)\n  %c: i8[3] = neg(%n)\n"
                  "  %d: bool[2, 3] = is_nan(%x)\n  %e: i64[2, 3] = cast(%x) {to=i64}\n"
                  "  output %a\n  output %b\n  output %c\n  output %d\n  output %e\n}\n");
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %a: f32[3, 1, 5]\n  input %b: f32[4, 1]\n"
                  "  input %p: i32[]\n  input %u: u8[7]\n"
                  "  %s: f32[3, 4, 5] = add(%a, %b)\n  %q: bool[3, 4, 5] = less(%a, %b)\n"
                  "  %w: f32[3, 1, 5] = pow(%a, %p)\n  %x: u8[7] = right_shift(%u, %u)\n"
                  "  output %s\n  output %q\n  output %w\n  output %x\n}\n");
  parse_fails("graph \"g\" {\n  input %n: u8[3]\n  %c: u8[3] = neg(%n)\n  output %c\n}\n",
              "neg takes floats and signed integers");
  parse_fails("graph \"g\" {\n  input %a: f32[3]\n  input %b: f16[3]\n"
              "  %c: f32[3] = add(%a, %b)\n  output %c\n}\n",
              "input 1 (b) has dtype f16 but input 0 (a) has f32");
  parse_fails("graph \"g\" {\n  input %a: f32[3]\n  %c: f32[3] = logical_not(%a)\n  output %c\n}\n",
              "logical_not needs bool");
  parse_fails("graph \"g\" {\n  input %a: f32[3]\n  %c: f32[3] = add(%a)\n  output %c\n}\n",
              "add takes 2 inputs, not 1");
}
END_TEST

START_TEST(where_clip_prelu) {
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %c: bool[2, 1]\n  input %a: f32[3]\n"
                  "  input %lo: f32[]\n  input %s: f32[1, 3]\n"
                  "  %w: f32[2, 3] = where(%c, %a, %a)\n  %k: f32[3] = clip(%a, %lo, _)\n"
                  "  %p: f32[2, 3] = prelu(%w, %s)\n"
                  "  output %w\n  output %k\n  output %p\n}\n");
  parse_fails("graph \"g\" {\n  input %a: f32[3]\n  input %lo: f32[3]\n"
              "  %k: f32[3] = clip(%a, %lo, _)\n  output %k\n}\n",
              "input 1 (min) has shape [3]; clip needs rank 0");
  parse_fails("graph \"g\" {\n  input %x: f32[3]\n  input %s: f32[2, 3]\n"
              "  %p: f32[2, 3] = prelu(%x, %s)\n  output %p\n}\n",
              "does not broadcast to x");
}
END_TEST

START_TEST(reductions) {
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[2, 3, 4]\n"
                  "  %a: f32[2, 1, 4] = reduce_sum(%x) {axes=[1]}\n"
                  "  %b: f32[2] = reduce_max(%x) {axes=[-1, 1], keepdims=0}\n"
                  "  %c: f32[1, 1, 1] = reduce_mean(%x)\n"
                  "  %d: i64[2, 4] = argmax(%x) {axis=1, keepdims=0}\n"
                  "  %e: f32[2, 3, 2], %f: i64[2, 3, 2] = topk(%x) {k=2}\n"
                  "  %g: f32[2, 3, 4] = softmax(%x) {axis=1}\n"
                  "  %h: f32[2, 3, 4] = cumsum(%x) {axis=2, reverse=1}\n"
                  "  output %a\n  output %b\n  output %c\n  output %d\n  output %e\n"
                  "  output %f\n  output %g\n  output %h\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[2, 3]\n  %a: f32[2] = reduce_sum(%x) {axes=[1, -1], keepdims=0}\n"
              "  output %a\n}\n", "axis 1 is listed twice");
  parse_fails("graph \"g\" {\n  input %x: f32[2, 3]\n  %a: f32[2] = reduce_sum(%x) {axes=[2], keepdims=0}\n"
              "  output %a\n}\n", "axis 2 is out of range for rank 2");
  parse_fails("graph \"g\" {\n  input %x: f32[2, 3]\n  %e: f32[2, 4], %f: i64[2, 4] = topk(%x) {k=4}\n"
              "  output %e\n}\n", "k = 4 does not fit axis 1 of size 3");
}
END_TEST

Suite *suite_rules_elementwise(void) {
  Suite *suite = suite_create("rules_elementwise");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, unary_and_binary);
  tcase_add_test(tc, where_clip_prelu);
  tcase_add_test(tc, reductions);
  suite_add_tcase(suite, tc);
  return suite;
}
