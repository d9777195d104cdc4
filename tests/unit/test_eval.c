/* Import-time evaluation: each case builds one call on constants and checks its values. */
#include <string.h>

#include "ir/ops/eval.h"
#include "tests/unit/util.h"

static tsl_value *constant_i64(tsl_graph *graph, int rank, const int64_t *dims,
                               const int64_t *values) {
  tsl_type type = tsl_type_make(TSL_DTYPE_I64, rank, dims);
  tsl_tensor_data *data = tsl_tensor_data_new(&type);
  memcpy(data->bytes, values, (size_t)data->size);
  return tsl_graph_add_constant(graph, "c", data);
}

static tsl_value *constant_f32(tsl_graph *graph, int rank, const int64_t *dims,
                               const float *values) {
  tsl_type type = tsl_type_make(TSL_DTYPE_F32, rank, dims);
  tsl_tensor_data *data = tsl_tensor_data_new(&type);
  memcpy(data->bytes, values, (size_t)data->size);
  return tsl_graph_add_constant(graph, "c", data);
}

/* Infers and evaluates a one-output call; returns its data (released with the graph). */
static tsl_tensor_data *evaluate(tsl_graph *graph, tsl_node *node) {
  tsl_error error;
  ck_assert_msg(tsl_node_infer(node, &error) == TSL_OK, "%s", error.message);
  tsl_tensor_data *outputs[4];
  char message[256];
  ck_assert_msg(tsl_op_eval(node, outputs, message, sizeof(message)), "%s", message);
  tsl_value_make_constant(graph, node->outputs[0], outputs[0]);
  return outputs[0];
}

static void expect_i64(const tsl_tensor_data *data, int count, const int64_t *expected) {
  ck_assert_int_eq(tsl_type_elements(&data->type), count);
  for (int i = 0; i < count; i++) {
    ck_assert_int_eq(((const int64_t *)data->bytes)[i], expected[i]);
  }
}

START_TEST(integer_arithmetic) {
  tsl_graph *graph = tsl_graph_new("eval");
  tsl_value *inputs[2] = {constant_i64(graph, 2, (int64_t[]){2, 2}, (int64_t[]){7, -7, 7, -7}),
                          constant_i64(graph, 1, (int64_t[]){2}, (int64_t[]){2, -2})};
  tsl_node *mod = tsl_graph_add_node(graph, TSL_OP_mod, NULL, 2, inputs, 1, NULL);
  /* Python's rule: the result takes the divisor's sign. */
  expect_i64(evaluate(graph, mod), 4, (int64_t[]){1, -1, 1, -1});
  tsl_node *fmod = tsl_graph_add_node(graph, TSL_OP_mod, NULL, 2, inputs, 1, NULL);
  tsl_node_set_attr(graph, fmod, "fmod", tsl_attr_int(1));
  expect_i64(evaluate(graph, fmod), 4, (int64_t[]){1, -1, 1, -1});
  tsl_node *div = tsl_graph_add_node(graph, TSL_OP_div, NULL, 2, inputs, 1, NULL);
  expect_i64(evaluate(graph, div), 4, (int64_t[]){3, 3, 3, 3});
  tsl_node *product = tsl_graph_add_node(graph, TSL_OP_reduce_prod, NULL, 1, inputs, 1, NULL);
  expect_i64(evaluate(graph, product), 1, (int64_t[]){2401});
  tsl_graph_free(graph);
}
END_TEST

START_TEST(shape_computations) {
  tsl_graph *graph = tsl_graph_new("eval");
  tsl_value *shape = constant_i64(graph, 1, (int64_t[]){4}, (int64_t[]){1, 128, 256, 7});
  tsl_value *index = constant_i64(graph, 0, NULL, (int64_t[]){-3});
  tsl_value *take_inputs[2] = {shape, index};
  tsl_node *take = tsl_graph_add_node(graph, TSL_OP_take, NULL, 2, take_inputs, 1, NULL);
  expect_i64(evaluate(graph, take), 1, (int64_t[]){128});
  tsl_node *slice = tsl_graph_add_node(graph, TSL_OP_slice, NULL, 1, &shape, 1, NULL);
  tsl_node_set_attr(graph, slice, "starts", tsl_attr_ints(graph->arena, 1, (int64_t[]){-1}));
  tsl_node_set_attr(graph, slice, "ends", tsl_attr_ints(graph->arena, 1, (int64_t[]){INT64_MIN}));
  tsl_node_set_attr(graph, slice, "axes", tsl_attr_ints(graph->arena, 1, (int64_t[]){0}));
  tsl_node_set_attr(graph, slice, "steps", tsl_attr_ints(graph->arena, 1, (int64_t[]){-2}));
  expect_i64(evaluate(graph, slice), 2, (int64_t[]){7, 128});
  tsl_value *pieces[2] = {take->outputs[0], shape};
  tsl_node *unsqueeze = tsl_graph_add_node(graph, TSL_OP_reshape, NULL, 1, pieces, 1, NULL);
  tsl_node_set_attr(graph, unsqueeze, "shape", tsl_attr_ints(graph->arena, 1, (int64_t[]){1}));
  pieces[0] = unsqueeze->outputs[0];
  evaluate(graph, unsqueeze);
  tsl_node *concat = tsl_graph_add_node(graph, TSL_OP_concat, NULL, 2, pieces, 1, NULL);
  tsl_node_set_attr(graph, concat, "axis", tsl_attr_int(0));
  expect_i64(evaluate(graph, concat), 5, (int64_t[]){128, 1, 128, 256, 7});
  tsl_graph_free(graph);
}
END_TEST

START_TEST(data_movement) {
  tsl_graph *graph = tsl_graph_new("eval");
  tsl_value *matrix = constant_i64(graph, 2, (int64_t[]){2, 3}, (int64_t[]){1, 2, 3, 4, 5, 6});
  tsl_node *transpose = tsl_graph_add_node(graph, TSL_OP_transpose, NULL, 1, &matrix, 1, NULL);
  tsl_node_set_attr(graph, transpose, "perm", tsl_attr_ints(graph->arena, 2, (int64_t[]){1, 0}));
  expect_i64(evaluate(graph, transpose), 6, (int64_t[]){1, 4, 2, 5, 3, 6});
  tsl_node *expand = tsl_graph_add_node(graph, TSL_OP_expand, NULL, 1, &matrix, 1, NULL);
  tsl_node_set_attr(graph, expand, "shape", tsl_attr_ints(graph->arena, 3, (int64_t[]){2, 1, 1}));
  expect_i64(evaluate(graph, expand), 12, (int64_t[]){1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6});
  tsl_value *floats = constant_f32(graph, 1, (int64_t[]){3}, (float[]){-1.5f, 2.7f, 1e10f});
  tsl_node *cast = tsl_graph_add_node(graph, TSL_OP_cast, NULL, 1, &floats, 1, NULL);
  tsl_node_set_attr(graph, cast, "to", tsl_attr_dtype(TSL_DTYPE_I64));
  expect_i64(evaluate(graph, cast), 3, (int64_t[]){-1, 2, 10000000000});
  tsl_graph_free(graph);
}
END_TEST

START_TEST(bad_indices_are_reported) {
  tsl_graph *graph = tsl_graph_new("eval");
  tsl_value *inputs[2] = {constant_i64(graph, 1, (int64_t[]){3}, (int64_t[]){1, 2, 3}),
                          constant_i64(graph, 0, NULL, (int64_t[]){3})};
  tsl_node *take = tsl_graph_add_node(graph, TSL_OP_take, NULL, 2, inputs, 1, NULL);
  tsl_error error;
  ck_assert_int_eq(tsl_node_infer(take, &error), TSL_OK);
  tsl_tensor_data *outputs[1];
  char message[256];
  ck_assert(!tsl_op_eval(take, outputs, message, sizeof(message)));
  ck_assert_str_eq(message, "index 3 is out of range for axis 0 of size 3");
  tsl_graph_free(graph);
}
END_TEST

Suite *suite_eval(void) {
  Suite *suite = suite_create("eval");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, integer_arithmetic);
  tcase_add_test(tc, shape_computations);
  tcase_add_test(tc, data_movement);
  tcase_add_test(tc, bad_indices_are_reported);
  suite_add_tcase(suite, tc);
  return suite;
}
