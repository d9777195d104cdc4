/* The graph's text form: print → parse → print is identical; bad text gets a message that
 * names the line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ir/text.h"
#include "ir/weights.h"
#include "tests/unit/util.h"

static const char *const small_graph =
    "graph \"net\" {\n"
    "  input %x: f32[1, 3, 8, 8]\n"
    "  input %\"odd name\": f32[]\n"
    "  const %w: f32[4, 3, 3, 3] = sha256:"
    "0000000000000000000000000000000000000000000000000000000000000001\n"
    "  %y: f32[1, 4, 8, 8] = conv(%x, %w, _) {strides=[1, 1], pads=[1, 1, 1, 1]} @conv_1\n"
    "  %z: f32[1, 4, 8, 8] = leaky_relu(%y) {alpha=0.2}\n"
    "  %a: f32[1, 2, 8, 8], %b: f32[1, 2, 8, 8] = split(%z) {axis=1, sizes=[2, 2]}\n"
    "  %s: f32[1, 2, 8, 8] = add(%a, %\"odd name\")\n"
    "  %g: f32[1, 2, 8, 8] = gelu(%s) {approximate=\"tanh\"} @\"block 2/gelu\"\n"
    "  output %g\n"
    "  output second = %b\n"
    "}\n";

START_TEST(text_round_trips) {
  tsl_graph *graph = parse_ok(small_graph);
  char *printed = tsl_graph_print(graph);
  ck_assert_str_eq(printed, small_graph);
  tsl_graph *again = parse_ok(printed);
  char *reprinted = tsl_graph_print(again);
  ck_assert_str_eq(reprinted, printed);
  ck_assert(tsl_graph_equal(graph, again));
  free(printed);
  free(reprinted);
  tsl_graph_free(graph);
  tsl_graph_free(again);
}
END_TEST

START_TEST(defaults_are_left_out) {
  tsl_graph *graph = parse_ok(
      "graph \"g\" {\n  input %x: f32[2, 3]\n"
      "  %y: f32[2, 3] = leaky_relu(%x) {alpha=0.01}\n  output %y\n}\n");
  char *printed = tsl_graph_print(graph);
  ck_assert_ptr_null(strstr(printed, "alpha"));
  free(printed);
  tsl_graph_free(graph);
}
END_TEST

/* Float attributes are f32, as ONNX's: they print in the shortest form that reads back to the
 * same f32, so 0.1 stays 0.1 and a value written with more digits is rounded to its f32. */
START_TEST(floats_print_exactly) {
  const char *text = "graph \"g\" {\n  input %x: f32[2]\n"
                     "  %y: f32[2] = leaky_relu(%x) {alpha=0.1}\n"
                     "  %z: f32[2] = elu(%y) {alpha=1e-30}\n  output %z\n}\n";
  tsl_graph *graph = parse_ok(text);
  char *printed = tsl_graph_print(graph);
  ck_assert_str_eq(printed, text);
  tsl_graph *long_form = parse_ok("graph \"g\" {\n  input %x: f32[2]\n"
                                  "  %y: f32[2] = leaky_relu(%x) {alpha=0.10000000149011612}\n"
                                  "  %z: f32[2] = elu(%y) {alpha=1e-30}\n  output %z\n}\n");
  ck_assert(tsl_graph_equal(graph, long_form));
  free(printed);
  tsl_graph_free(graph);
  tsl_graph_free(long_form);
}
END_TEST

/* No fixed limit on ports: a split into 200 outputs prints and reads back. */
START_TEST(many_outputs_round_trip) {
  tsl_text text = {0};
  tsl_text_puts(&text, "graph \"g\" {\n  input %x: f32[200]\n  ");
  for (int i = 0; i < 200; i++) tsl_text_printf(&text, "%s%%y%d: f32[1]", i ? ", " : "", i);
  tsl_text_puts(&text, " = split(%x) {sizes=[");
  for (int i = 0; i < 200; i++) tsl_text_printf(&text, "%s1", i ? ", " : "");
  tsl_text_puts(&text, "]}\n  output %y199\n}\n");
  tsl_graph *graph = parse_ok(text.data);
  char *printed = tsl_graph_print(graph);
  ck_assert_str_eq(printed, text.data);
  free(printed);
  tsl_text_free(&text);
  tsl_graph_free(graph);
}
END_TEST

START_TEST(bad_text_names_the_line) {
  parse_fails("graph \"g\" {\n  input %x: f32[2]\n  %y: f32[2] = frobnicate(%x)\n}\n",
              "test:3: unknown operator 'frobnicate'");
  parse_fails("graph \"g\" {\n  input %x: f32[2]\n  %y: f32[2] = relu(%q)\n}\n",
              "test:3: '%q' is not defined");
  parse_fails("graph \"g\" {\n  input %x: f32[2]\n  input %x: f32[2]\n}\n",
              "test:3: '%x' is defined twice");
  parse_fails("graph \"g\" {\n  input %x: f32[2]\n  %y: f32[2] = relu(%x) {alpha=1.0}\n}\n",
              "relu has no attribute 'alpha'");
  parse_fails("graph \"g\" {\n  input %x: f32[2]\n  %y: f32[2] = split(%x)\n}\n",
              "split needs attribute 'sizes'");
  parse_fails("graph \"g\" {\n  input %x: f33[2]\n}\n", "unknown dtype 'f33'");
  parse_fails("graph \"g\" {\n  input %x: f32[2]\n", "expected '}'");
  parse_fails("graph \"g\" {\n  input %x: f32[4611686018427387904, 4]\n}\n", "too large");
}
END_TEST

START_TEST(types_are_checked) {
  parse_fails("graph \"g\" {\n  input %x: f32[2, 3]\n  %y: f32[3, 2] = relu(%x)\n  output %y\n}\n",
              "output 0 ('y') is declared f32[3, 2] but is f32[2, 3]");
  parse_fails("graph \"g\" {\n  input %x: f32[2, 3]\n  input %z: f32[4]\n"
              "  %y: f32[2, 3] = add(%x, %z)\n  output %y\n}\n",
              "node #0 (add → 'y'): shapes [2, 3] and [4] do not broadcast");
  parse_fails("graph \"g\" {\n  input %x: i32[2]\n  %y: i32[2] = sqrt(%x)\n  output %y\n}\n",
              "input 0 (x) has dtype i32; sqrt takes floats");
}
END_TEST

/* Constants travel beside the text in a weights file, keyed by content hash. */
START_TEST(weights_travel_beside_the_text) {
  tsl_graph *graph = tsl_graph_new("weights");
  tsl_type type = tsl_type_make(TSL_DTYPE_F32, 1, (int64_t[]){12});
  tsl_tensor_data *data = tsl_tensor_data_new(&type);
  ((float *)data->bytes)[0] = 1.5f;
  ((float *)data->bytes)[2] = -2.0f;
  tsl_value *x = tsl_graph_add_input(graph, "x", &type);
  tsl_value *constant = tsl_graph_add_constant(graph, "c", data);
  tsl_value *inputs[2] = {x, constant};
  tsl_node *node = tsl_graph_add_node(graph, TSL_OP_add, NULL, 2, inputs, 1, NULL);
  tsl_error error;
  ck_assert_int_eq(tsl_node_infer(node, &error), TSL_OK);
  tsl_graph_add_output(graph, "y", node->outputs[0]);
  char *text = tsl_graph_print(graph);
  ck_assert_ptr_nonnull(strstr(text, "= sha256:"));
  char path[] = "/tmp/tessel-weights-XXXXXX";
  close(mkstemp(path));
  ck_assert_int_eq(tsl_graph_save_weights(graph, path, &error), TSL_OK);
  tsl_graph *parsed;
  ck_assert_int_eq(tsl_graph_parse(text, strlen(text), "text", path, &parsed, &error), TSL_OK);
  ck_assert_ptr_nonnull(parsed->constants[0]->data);
  ck_assert(memcmp(parsed->constants[0]->data->bytes, data->bytes, 48) == 0);
  char *reprinted = tsl_graph_print(parsed);
  ck_assert_str_eq(reprinted, text);
  tsl_graph_free(parsed);
  /* A weights file without the constant's hash is an error naming the constant. */
  tsl_graph *empty = tsl_graph_new("empty");
  ck_assert_int_eq(tsl_graph_save_weights(empty, path, &error), TSL_OK);
  ck_assert_int_ne(tsl_graph_parse(text, strlen(text), "text", path, &parsed, &error), TSL_OK);
  ck_assert_ptr_nonnull(strstr(error.message, "no data for constant %c"));
  unlink(path);
  free(text);
  free(reprinted);
  tsl_graph_free(graph);
  tsl_graph_free(empty);
}
END_TEST

/* Constants of up to 8 elements are written by value and need no weights file. */
START_TEST(small_constants_are_written_by_value) {
  const char *text = "graph \"g\" {\n"
                     "  input %x: f32[3]\n"
                     "  const %c: f32[3] = [1.5, 0.0, -2.0]\n"
                     "  const %i: i64[2, 1] = [-7, 9]\n"
                     "  const %s: f32[] = [1e-05]\n"
                     "  %y: f32[3] = add(%x, %c)\n"
                     "  %z: f32[3] = mul(%y, %s)\n"
                     "  output %z\n"
                     "  output %i\n"
                     "}\n";
  tsl_graph *graph = parse_ok(text);
  ck_assert_float_eq(((float *)graph->constants[0]->data->bytes)[2], -2.0f);
  ck_assert_int_eq(((int64_t *)graph->constants[1]->data->bytes)[0], -7);
  char *printed = tsl_graph_print(graph);
  ck_assert_str_eq(printed, text);
  free(printed);
  tsl_graph_free(graph);
  parse_fails("graph \"g\" {\n  const %c: f32[3] = [1, 2]\n  output %c\n}\n",
              "'%c' holds 3 values; 2 are written");
  parse_fails("graph \"g\" {\n  const %c: f32[1] = [1, 2]\n  output %c\n}\n",
              "'%c' holds 1 values; more are written");
  parse_fails("graph \"g\" {\n  const %c: i32[1] = [x]\n  output %c\n}\n",
              "expected a value of '%c' (i32)");
}
END_TEST

Suite *suite_graph_text(void) {
  Suite *suite = suite_create("graph_text");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, text_round_trips);
  tcase_add_test(tc, defaults_are_left_out);
  tcase_add_test(tc, small_constants_are_written_by_value);
  tcase_add_test(tc, floats_print_exactly);
  tcase_add_test(tc, many_outputs_round_trip);
  tcase_add_test(tc, bad_text_names_the_line);
  tcase_add_test(tc, types_are_checked);
  tcase_add_test(tc, weights_travel_beside_the_text);
  suite_add_tcase(suite, tc);
  return suite;
}
