/* Graph passes, case by case: each file of tests/passes holds a graph in text, the passes to
 * run and the graph they must give (docs/passes.md):
 *
 *   # what the case shows
 *   passes: fold_constants dce
 *   vector_lanes: 4          (optional: the target's f32 lanes, for alter_layout; default 0)
 *   input:
 *   graph "g" { … }
 *   expected:
 *   graph "g" { … }
 *
 * The graph is verified after every pass; constant folding evaluates with the driver's JIT.
 * A mismatch prints the graph the passes gave. */
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "driver/driver.h"
#include "tests/unit/util.h"

#ifndef TSL_PASS_CASES
#error "the build defines TSL_PASS_CASES, the folder of cases"
#endif

static void run_case(const char *path) {
  char *text = read_text(path);
  char *passes = text_section(path, text, "passes:", "\n");
  char *input = text_section(path, text, "input:\n", "expected:\n");
  char *expected = text_section(path, text, "expected:\n", NULL);
  tsl_graph *graph;
  tsl_error error;
  ck_assert_msg(tsl_graph_parse(input, strlen(input), path, NULL, &graph, &error) == TSL_OK,
                "%s", error.message);
  tsl_pass_options options = {.verify = true, .evaluate = tsl_evaluate_graph};
  const char *lanes = strstr(text, "\nvector_lanes:");
  if (lanes && lanes < strstr(text, "input:\n")) options.vector_lanes = atoi(lanes + 14);
  const tsl_graph_pass *list[16];
  int count = 0;
  for (char *name = strtok(passes, " "); name; name = strtok(NULL, " ")) {
    ck_assert_msg(count < 16 && (list[count] = tsl_graph_pass_find(name)) != NULL,
                  "%s: no pass '%s'", path, name);
    count++;
  }
  ck_assert_msg(tsl_graph_run_passes(graph, list, count, &options, &error) == TSL_OK, "%s: %s",
                path, error.message);
  char *printed = tsl_graph_print(graph);
  ck_assert_msg(strcmp(printed, expected) == 0, "%s: the passes gave\n%s", path, printed);
  free(printed);
  tsl_graph_free(graph);
  free(text);
  free(passes);
  free(input);
  free(expected);
}

START_TEST(pass_cases) {
  run_cases(TSL_PASS_CASES, run_case);
}
END_TEST

/* A small network of what alter_layout blocks: a convolution with bias from an image's 3
 * channels (read in NCHW), a per-channel scale, a depthwise convolution with stride, max and
 * average pools with padding, a residual add, a concatenation along the channels and a global
 * mean; 16 channels, which divide into the host's vector lanes (4, 8 or 16). Weights are inputs bound to
 * constants (the pass blocks convolutions on constant weights only). */
static const char *const blocked_network =
    "graph \"g\" {\n"
    "  input %x: f32[1, 3, 7, 7]\n"
    "  input %w: f32[16, 3, 3, 3]\n"
    "  input %b: f32[16]\n"
    "  input %s: f32[1, 16, 1, 1]\n"
    "  input %dw: f32[16, 1, 3, 3]\n"
    "  %c: f32[1, 16, 7, 7] = conv(%x, %w, %b) {pads=[1, 1, 1, 1]}\n"
    "  %m: f32[1, 16, 7, 7] = mul(%c, %s)\n"
    "  %r: f32[1, 16, 7, 7] = relu(%m)\n"
    "  %d: f32[1, 16, 4, 4] = conv(%r, %dw) {strides=[2, 2], pads=[1, 1, 1, 1], groups=16}\n"
    "  %p: f32[1, 16, 4, 4] = max_pool(%d) {kernel=[3, 3], pads=[1, 1, 1, 1]}\n"
    "  %a: f32[1, 16, 4, 4] = add(%p, %d)\n"
    "  %a2: f32[1, 16, 2, 2] = max_pool(%a) {kernel=[2, 2], strides=[2, 2]}\n"
    "  %q: f32[1, 16, 2, 2] = avg_pool(%a) {kernel=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]}\n"
    "  %k: f32[1, 32, 2, 2] = concat(%q, %a2) {axis=1}\n"
    "  %g: f32[1, 32, 1, 1] = reduce_mean(%k) {axes=[-2, -1]}\n"
    "  output %q\n"
    "  output %r\n"
    "  output %g\n"
    "}\n";

/* Runs the network compiled at `opt_level` on x; the outputs go to q, r and g. */
static void run_blocked_network(int opt_level, const float *x, float *q, float *r, float *g) {
  tsl_graph *graph = parse_ok(blocked_network);
  const char *weights[] = {"w", "b", "s", "dw"};
  for (int i = 0; i < 4; i++) {
    tsl_value *value = tsl_graph_find(graph, weights[i]);
    tsl_tensor_data *data = tsl_tensor_data_new(&value->type);
    float *elements = data->bytes;
    for (int64_t e = 0; e < tsl_type_elements(&value->type); e++) {
      elements[e] = (float)((e * 7 + i * 3) % 11) / 11.0f - 0.4f;
    }
    tsl_value_make_constant(graph, value, data);
  }
  tsl_error error;
  tsl_target target;
  ck_assert_int_eq(tsl_target_parse("llvm", &target, &error), TSL_OK);
  tsl_compile_options options = {.passes = {.opt_level = opt_level}};
  tsl_model *model;
  ck_assert_msg(tsl_compile_jit(graph, &target, &options, &model, &error) == TSL_OK, "%s",
                error.message);
  if (opt_level == 3) { /* the pass did block the network */
    tsl_graph *optimized;
    ck_assert_int_eq(tsl_optimize(graph, &target, &options, &optimized, &error), TSL_OK);
    int blocked = 0;
    for (int n = 0; n < optimized->num_nodes; n++) {
      const tsl_attr *layout = tsl_op_attr_index(tsl_op_get(optimized->nodes[n]->op), "layout") >= 0
                                   ? tsl_node_attr(optimized->nodes[n], "layout")
                                   : NULL;
      blocked += layout && strcmp(layout->s, "NCHW") != 0;
    }
    ck_assert_int_eq(blocked, 5);
    tsl_graph_free(optimized);
  }
  const void *inputs[] = {x};
  void *outputs[] = {q, r, g};
  ck_assert_msg(tsl_model_run(model, inputs, outputs, &error) == TSL_OK, "%s", error.message);
  tsl_model_free(model);
  tsl_graph_free(graph);
}

/* Two products by one weight larger than L2, which the schedules pack (transform_layout) at
 * compile time, each kernel its packed copy, 1000 columns in tiles with a padded tail; the
 * weight is also an output, so the unpacked original stays too. */
static const char *const packed_network =
    "graph \"g\" {\n"
    "  input %a: f32[4, 300]\n"
    "  input %b: f32[2, 300]\n"
    "  input %w: f32[300, 1000]\n"
    "  %y: f32[4, 1000] = matmul(%a, %w)\n"
    "  %z: f32[2, 1000] = matmul(%b, %w)\n"
    "  output %y\n"
    "  output %z\n"
    "  output %w\n"
    "}\n";

START_TEST(packed_weights_compute_the_same) {
  enum { K = 300, N = 1000 };
  static float a[4 * K], b[2 * K], y[4 * N], z[2 * N], w_out[K * N];
  tsl_graph *graph = parse_ok(packed_network);
  tsl_value *w = tsl_graph_find(graph, "w");
  tsl_tensor_data *data = tsl_tensor_data_new(&w->type);
  float *weights = data->bytes;
  for (int e = 0; e < K * N; e++) weights[e] = (float)((e * 7) % 13) / 13.0f - 0.5f;
  for (int e = 0; e < 4 * K; e++) a[e] = (float)((e * 5) % 11) / 11.0f - 0.5f;
  for (int e = 0; e < 2 * K; e++) b[e] = (float)((e * 3) % 7) / 7.0f - 0.5f;
  tsl_value_make_constant(graph, w, data);
  tsl_error error;
  tsl_target target;
  ck_assert_int_eq(tsl_target_parse("llvm", &target, &error), TSL_OK);
  tsl_compile_options options = tsl_compile_defaults();
  tsl_model *model;
  ck_assert_msg(tsl_compile_jit(graph, &target, &options, &model, &error) == TSL_OK, "%s",
                error.message);
  const void *inputs[] = {a, b};
  void *outputs[] = {y, z, w_out};
  ck_assert_msg(tsl_model_run(model, inputs, outputs, &error) == TSL_OK, "%s", error.message);
  for (int e = 0; e < K * N; e++) ck_assert_float_eq(w_out[e], weights[e]);
  for (int m = 0; m < 6; m++) {
    const float *row = m < 4 ? a + m * K : b + (m - 4) * K;
    const float *got = m < 4 ? y + m * N : z + (m - 4) * N;
    for (int n = 0; n < N; n++) {
      double want = 0;
      for (int k = 0; k < K; k++) want += (double)row[k] * weights[k * N + n];
      ck_assert_msg(fabs(got[n] - want) <= 1e-4 * (1 + fabs(want)), "row %d column %d: %g, not %g",
                    m, n, got[n], want);
    }
  }
  tsl_model_free(model);
  tsl_graph_free(graph);
}
END_TEST

START_TEST(blocked_layout_computes_as_nchw) {
  enum { X = 3 * 7 * 7, Q = 16 * 2 * 2, R = 16 * 7 * 7, G = 32 };
  static float x[X], q0[Q], r0[R], g0[G], q3[Q], r3[R], g3[G];
  for (int i = 0; i < X; i++) x[i] = (float)((i * 13) % 17) / 17.0f - 0.5f;
  run_blocked_network(0, x, q0, r0, g0);
  run_blocked_network(3, x, q3, r3, g3);
  for (int i = 0; i < Q; i++) ck_assert_float_eq_tol(q3[i], q0[i], 1e-5f);
  for (int i = 0; i < R; i++) ck_assert_float_eq_tol(r3[i], r0[i], 1e-5f);
  for (int i = 0; i < G; i++) ck_assert_float_eq_tol(g3[i], g0[i], 1e-5f);
}
END_TEST

Suite *suite_graph_passes(void) {
  Suite *suite = suite_create("graph_passes");
  TCase *tc = tcase_create("cases");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, pass_cases);
  tcase_add_test(tc, blocked_layout_computes_as_nchw);
  tcase_add_test(tc, packed_weights_compute_the_same);
  suite_add_tcase(suite, tc);
  return suite;
}
