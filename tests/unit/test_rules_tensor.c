/* Type rules of the layout, shape and indexing operators. Passing cases use the shapes of the
 * ONNX conformance models named beside them (test_<name> in onnx/backend/test/data/node). */
#include "tests/unit/util.h"

START_TEST(reshape_rule) {
  /* reshape_reordered_all_dims; reshape_allowzero_reordered */
  EXPECT_GRAPH_OK("graph \"g\" {\n"
                  "  input %x: f32[2, 3, 4]\n"
                  "  %y: f32[4, 2, 3] = reshape(%x) {shape=[4, 2, 3]}\n"
                  "  input %e: f32[0, 3, 4]\n"
                  "  %f: f32[3, 4, 0] = reshape(%e) {shape=[3, 4, 0]}\n"
                  "  output %y\n  output %f\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[2, 3, 4]\n"
              "  %y: f32[5, 5] = reshape(%x) {shape=[5, 5]}\n  output %y\n}\n",
              "input 0 (x) has shape [2, 3, 4]; its 24 elements do not fill shape [5, 5]");
  parse_fails("graph \"g\" {\n  input %x: f32[2, 3, 4]\n"
              "  %y: f32[24] = reshape(%x) {shape=[-1, 24]}\n  output %y\n}\n",
              "shape [-1, 24] has a negative dimension");
}
END_TEST

START_TEST(transpose_rule) {
  /* transpose_all_permutations_3 */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[2, 3, 4]\n"
                  "  %y: f32[3, 4, 2] = transpose(%x) {perm=[1, 2, 0]}\n  output %y\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[2, 3, 4]\n"
              "  %y: f32[3, 3, 2] = transpose(%x) {perm=[1, 1, 0]}\n  output %y\n}\n",
              "perm [1, 1, 0] is not a permutation of the axes 0 to 2");
  parse_fails("graph \"g\" {\n  input %x: f32[2, 3, 4]\n"
              "  %y: f32[3, 2] = transpose(%x) {perm=[1, 0]}\n  output %y\n}\n",
              "input 0 (x) has shape [2, 3, 4]; perm lists 2 axes, not 3");
}
END_TEST

START_TEST(layout_transform_rule) {
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[1, 32, 5, 5]\n"
                  "  %y: f32[1, 2, 5, 5, 16] = layout_transform(%x) {src=\"NCHW\", dst=\"NCHW16c\"}\n"
                  "  %z: f32[1, 4, 5, 5, 8] = layout_transform(%y) {src=\"NCHW16c\", dst=\"NCHW8c\"}\n"
                  "  input %w: f32[32, 16, 3, 3]\n"
                  "  %v: f32[2, 1, 3, 3, 16, 16] = layout_transform(%w) {src=\"OIHW\", "
                  "dst=\"OIHW16i16o\"}\n"
                  "  output %z\n  output %v\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 24, 5, 5]\n"
              "  %y: f32[1, 1, 5, 5, 16] = layout_transform(%x) {src=\"NCHW\", dst=\"NCHW16c\"}\n"
              "  output %y\n}\n",
              "input 0 (x) has shape [1, 24, 5, 5]; its axis C has 24 elements, which do not divide "
              "into blocks of 16 (dst \"NCHW16c\")");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 32, 5, 5]\n"
              "  %y: f32[1, 2, 5, 5, 16] = layout_transform(%x) {src=\"NCHW\", dst=\"NCHW16C\"}\n"
              "  output %y\n}\n",
              "dst \"NCHW16C\" is no layout");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 32, 5, 5]\n"
              "  %y: f32[1, 2, 5, 16] = layout_transform(%x) {src=\"NCHW\", dst=\"NCH16c\"}\n"
              "  output %y\n}\n",
              "src \"NCHW\" and dst \"NCH16c\" do not name the same axes");
}
END_TEST

START_TEST(bit_cast_rule) {
  /* bitcast_2d_float32_to_int32; bitcast_bool_to_uint8; bitcast_int64_to_float64;
   * bitcast_scalar_float32_to_int32; bitcast_uint16_to_int16 */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[2, 3]\n"
                  "  %y: i32[2, 3] = bit_cast(%x) {to=i32}\n"
                  "  input %b: bool[4]\n  %u: u8[4] = bit_cast(%b) {to=u8}\n"
                  "  input %l: i64[3]\n  %d: f64[3] = bit_cast(%l) {to=f64}\n"
                  "  input %s: f32[]\n  %i: i32[] = bit_cast(%s) {to=i32}\n"
                  "  input %h: u16[3]\n  %j: i16[3] = bit_cast(%h) {to=i16}\n"
                  "  %f: f16[3] = bit_cast(%h) {to=f16}\n"
                  "  output %y\n  output %u\n  output %d\n  output %i\n  output %j\n"
                  "  output %f\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[3]\n"
              "  %y: i64[3] = bit_cast(%x) {to=i64}\n  output %y\n}\n",
              "input 0 (x) has dtype f32, 32 bits wide; bit_cast cannot read it as i64, 64 bits "
              "wide");
}
END_TEST

START_TEST(concat_rule) {
  /* concat_3d_axis_negative_2 */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %a: f32[2, 2, 2]\n  input %b: f32[2, 2, 2]\n"
                  "  input %c: f32[2, 3, 2]\n"
                  "  %y: f32[2, 7, 2] = concat(%a, %b, %c) {axis=-2}\n  output %y\n}\n");
  parse_fails("graph \"g\" {\n  input %a: f32[2, 2]\n  input %b: f32[3, 3]\n"
              "  %y: f32[2, 5] = concat(%a, %b) {axis=1}\n  output %y\n}\n",
              "input 1 (inputs) has shape [3, 3]; input 0 (inputs) has [2, 2]; they must agree "
              "on every axis but 1");
  parse_fails("graph \"g\" {\n  input %a: f32[2]\n  input %b: i32[2]\n"
              "  %y: f32[4] = concat(%a, %b) {axis=0}\n  output %y\n}\n",
              "input 1 (inputs) has dtype i32 but input 0 (inputs) has f32");
  parse_fails("graph \"g\" {\n  input %a: f32[2]\n"
              "  %y: f32[4] = concat(%a, _) {axis=0}\n  output %y\n}\n",
              "input 1 (inputs) is required");
  parse_fails("graph \"g\" {\n  input %a: f32[2]\n"
              "  %y: f32[2] = concat(%a) {axis=1}\n  output %y\n}\n",
              "axis 1 is out of range for rank 1");
}
END_TEST

START_TEST(split_rule) {
  /* split_variable_parts_2d_opset18; split_zero_size_splits_opset18 */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[2, 6]\n"
                  "  %a: f32[2, 2], %b: f32[2, 4] = split(%x) {axis=1, sizes=[2, 4]}\n"
                  "  input %e: f32[0]\n"
                  "  %p: f32[0], %q: f32[0], %r: f32[0] = split(%e) {sizes=[0, 0, 0]}\n"
                  "  output %a\n  output %b\n  output %p\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[6]\n"
              "  %a: f32[2], %b: f32[3] = split(%x) {sizes=[2, 3]}\n  output %a\n}\n",
              "input 0 (x) has shape [6]; sizes must be non-negative and add up to 6, the size "
              "of axis 0");
  parse_fails("graph \"g\" {\n  input %x: f32[6]\n"
              "  %a: f32[2], %b: f32[4] = split(%x) {sizes=[2, 2, 2]}\n  output %a\n}\n",
              "sizes lists 3 sizes for 2 outputs");
}
END_TEST

START_TEST(slice_rule) {
  /* slice_neg_steps; slice_end_out_of_bounds; slice_start_out_of_bounds; slice_negative_axes */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[20, 10, 5]\n"
                  "  %a: f32[19, 3, 2] = slice(%x) {starts=[20, 10, 4], ends=[0, 0, 1], "
                  "axes=[0, 1, 2], steps=[-1, -3, -2]}\n"
                  "  %b: f32[20, 9, 5] = slice(%x) {starts=[1], ends=[1000], axes=[1], steps=[1]}\n"
                  "  %c: f32[20, 0, 5] = slice(%x) {starts=[1000], ends=[1000], axes=[1], "
                  "steps=[1]}\n"
                  "  %d: f32[20, 10, 1] = slice(%x) {starts=[0, 0, 3], ends=[20, 10, 4], "
                  "axes=[0, -2, -1], steps=[1, 1, 1]}\n"
                  "  output %a\n  output %b\n  output %c\n  output %d\n}\n");
  /* INT64_MAX / INT64_MIN ends; a start below -dim is clamped to 0 when stepping backward */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[5, 7]\n"
                  "  %a: f32[3, 7] = slice(%x) {starts=[-3], ends=[9223372036854775807], "
                  "axes=[0], steps=[1]}\n"
                  "  %b: f32[3, 7] = slice(%x) {starts=[-1], ends=[-9223372036854775808], "
                  "axes=[0], steps=[-2]}\n"
                  "  %c: f32[1, 7] = slice(%x) {starts=[-10], ends=[-9223372036854775808], "
                  "axes=[0], steps=[-1]}\n"
                  "  %d: f32[5, 0] = slice(%x) {starts=[2], ends=[2], axes=[1], "
                  "steps=[-9223372036854775808]}\n"
                  "  output %a\n  output %b\n  output %c\n  output %d\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[20, 10]\n"
              "  %y: f32[20, 10] = slice(%x) {starts=[0, 0], ends=[3, 3], axes=[1, -1], "
              "steps=[1, 1]}\n  output %y\n}\n",
              "axis 1 is sliced twice");
  parse_fails("graph \"g\" {\n  input %x: f32[20, 10]\n"
              "  %y: f32[20, 10] = slice(%x) {starts=[0], ends=[3], axes=[0], steps=[0]}\n"
              "  output %y\n}\n",
              "the step for axis 0 is 0");
  parse_fails("graph \"g\" {\n  input %x: f32[20, 10]\n"
              "  %y: f32[20, 10] = slice(%x) {starts=[0], ends=[3, 4], axes=[0], steps=[1]}\n"
              "  output %y\n}\n",
              "starts, ends, axes and steps list 1, 2, 1 and 1 values");
}
END_TEST

START_TEST(take_rule) {
  /* gather_1; gather_2d_indices */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[5, 4, 3, 2]\n  input %i: i64[3]\n"
                  "  %y: f32[5, 3, 3, 2] = take(%x, %i) {axis=1}\n"
                  "  input %m: f32[3, 3]\n  input %j: i32[1, 2]\n"
                  "  %z: f32[3, 1, 2] = take(%m, %j) {axis=-1}\n"
                  "  output %y\n  output %z\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[5, 4]\n  input %i: f32[3]\n"
              "  %y: f32[3, 4] = take(%x, %i)\n  output %y\n}\n",
              "input 1 (indices) has dtype f32; take takes i32 or i64 indices");
}
END_TEST

START_TEST(gather_elements_rule) {
  /* gather_elements_1 */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[3, 3]\n  input %i: i64[2, 3]\n"
                  "  %y: f32[2, 3] = gather_elements(%x, %i) {axis=0}\n  output %y\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[3, 3]\n  input %i: i64[2, 4]\n"
              "  %y: f32[2, 4] = gather_elements(%x, %i) {axis=0}\n  output %y\n}\n",
              "input 1 (indices) has shape [2, 4]; input 0 (x) has shape [3, 3]; indices need "
              "its rank and no larger dimensions except along axis 0");
}
END_TEST

START_TEST(gather_nd_rule) {
  /* gathernd_example_float32; gathernd_example_int32; gathernd_example_int32_batch_dim1 */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[2, 2, 2]\n  input %i: i64[2, 1, 2]\n"
                  "  %y: f32[2, 1, 2] = gather_nd(%x, %i)\n"
                  "  input %m: i32[2, 2]\n  input %j: i64[2, 2]\n"
                  "  %z: i32[2] = gather_nd(%m, %j)\n"
                  "  input %n: i32[2, 2, 2]\n  input %k: i64[2, 1]\n"
                  "  %w: i32[2, 2] = gather_nd(%n, %k) {batch_dims=1}\n"
                  "  output %y\n  output %z\n  output %w\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[2, 2]\n  input %i: i64[2, 3]\n"
              "  %y: f32[2] = gather_nd(%x, %i)\n  output %y\n}\n",
              "input 1 (indices) has shape [2, 3]; its index tuples have 3 entries, but input 0 "
              "(x) of shape [2, 2] needs 1 to 2 after 0 batch dimensions");
  parse_fails("graph \"g\" {\n  input %x: f32[2, 2, 2]\n  input %i: i64[3, 1]\n"
              "  %y: f32[3, 2] = gather_nd(%x, %i) {batch_dims=1}\n  output %y\n}\n",
              "their first 1 dimensions must agree");
  parse_fails("graph \"g\" {\n  input %x: f32[2, 2]\n  input %i: i64[2, 1]\n"
              "  %y: f32[2] = gather_nd(%x, %i) {batch_dims=2}\n  output %y\n}\n",
              "batch_dims 2 must be at least 0 and below the ranks of x (2) and indices (2)");
}
END_TEST

START_TEST(scatter_elements_rule) {
  /* scatter_elements_with_axis; scatter_elements_with_reduction_max */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[1, 5]\n  input %i: i64[1, 2]\n"
                  "  input %u: f32[1, 2]\n"
                  "  %y: f32[1, 5] = scatter_elements(%x, %i, %u) {axis=1}\n"
                  "  %z: f32[1, 5] = scatter_elements(%x, %i, %u) {axis=1, reduction=\"max\"}\n"
                  "  output %y\n  output %z\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[3, 3]\n  input %i: i64[2, 3]\n"
              "  input %u: f32[2, 2]\n"
              "  %y: f32[3, 3] = scatter_elements(%x, %i, %u)\n  output %y\n}\n",
              "input 2 (updates) has shape [2, 2]; input 1 (indices) has [2, 3]; they must be "
              "equal");
  parse_fails("graph \"g\" {\n  input %x: f32[3, 3]\n  input %i: i64[2, 3]\n"
              "  input %u: f32[2, 3]\n"
              "  %y: f32[3, 3] = scatter_elements(%x, %i, %u) {reduction=\"sum\"}\n"
              "  output %y\n}\n",
              "reduction \"sum\" is not one of \"none\", \"add\", \"mul\", \"max\", \"min\"");
}
END_TEST

START_TEST(scatter_nd_rule) {
  /* scatternd; scatternd_max_with_element_indices */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[4, 4, 4]\n  input %i: i64[2, 1]\n"
                  "  input %u: f32[2, 4, 4]\n"
                  "  %y: f32[4, 4, 4] = scatter_nd(%x, %i, %u)\n"
                  "  input %m: f32[2, 2]\n  input %j: i64[2, 2]\n  input %v: f32[2]\n"
                  "  %z: f32[2, 2] = scatter_nd(%m, %j, %v) {reduction=\"max\"}\n"
                  "  output %y\n  output %z\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[4, 4, 4]\n  input %i: i64[2, 1]\n"
              "  input %u: f32[2, 4]\n"
              "  %y: f32[4, 4, 4] = scatter_nd(%x, %i, %u)\n  output %y\n}\n",
              "input 2 (updates) has shape [2, 4]; with indices of shape [2, 1] and x of shape "
              "[4, 4, 4] it must be [2, 4, 4]");
  parse_fails("graph \"g\" {\n  input %x: f32[4]\n  input %i: i32[2, 1]\n  input %u: f32[2]\n"
              "  %y: f32[4] = scatter_nd(%x, %i, %u)\n  output %y\n}\n",
              "input 1 (indices) has dtype i32; scatter_nd needs i64");
}
END_TEST

START_TEST(tensor_scatter_rule) {
  /* tensorscatter; tensorscatter_3d; tensorscatter_circular; without write indices; along
   * axis 1 */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %c: f32[2, 1, 4, 5]\n  input %u: f32[2, 1, 1, 5]\n"
                  "  input %i: i64[2]\n"
                  "  %y: f32[2, 1, 4, 5] = tensor_scatter(%c, %u, %i)\n"
                  "  input %c3: f32[3, 4, 5]\n  input %u3: f32[3, 2, 5]\n  input %i3: i64[3]\n"
                  "  %y3: f32[3, 4, 5] = tensor_scatter(%c3, %u3, %i3)\n"
                  "  input %u2: f32[2, 1, 2, 5]\n"
                  "  %z: f32[2, 1, 4, 5] = tensor_scatter(%c, %u2, %i) {mode=\"circular\"}\n"
                  "  %n: f32[2, 1, 4, 5] = tensor_scatter(%c, %u2)\n"
                  "  input %ca: f32[2, 4, 3, 5]\n  input %ua: f32[2, 2, 3, 5]\n"
                  "  %a: f32[2, 4, 3, 5] = tensor_scatter(%ca, %ua, %i) {axis=1}\n"
                  "  output %y\n  output %y3\n  output %z\n  output %n\n  output %a\n}\n");
  parse_fails("graph \"g\" {\n  input %c: f32[2, 1, 4, 5]\n  input %u: f32[2, 1, 5, 5]\n"
              "  %y: f32[2, 1, 4, 5] = tensor_scatter(%c, %u)\n  output %y\n}\n",
              "input 1 (update) has shape [2, 1, 5, 5]; input 0 (past_cache) has shape [2, 1, 4, "
              "5]; update needs its dimensions, except along axis 2, where it may be shorter");
  parse_fails("graph \"g\" {\n  input %c: f32[2, 4, 5]\n  input %u: f32[1, 4, 5]\n"
              "  %y: f32[2, 4, 5] = tensor_scatter(%c, %u) {axis=-3}\n  output %y\n}\n",
              "axis -3 is the batch axis; tensor_scatter writes along another");
  parse_fails("graph \"g\" {\n  input %c: f32[2, 4, 5]\n  input %u: f32[2, 1, 5]\n"
              "  input %i: i64[3]\n"
              "  %y: f32[2, 4, 5] = tensor_scatter(%c, %u, %i)\n  output %y\n}\n",
              "input 2 (write_indices) has shape [3]; tensor_scatter needs one write index for "
              "each of the 2 batch entries");
  parse_fails("graph \"g\" {\n  input %c: f32[2, 4, 5]\n  input %u: f32[2, 1, 5]\n"
              "  input %i: i32[2]\n"
              "  %y: f32[2, 4, 5] = tensor_scatter(%c, %u, %i)\n  output %y\n}\n",
              "input 2 (write_indices) has dtype i32; tensor_scatter needs i64");
  parse_fails("graph \"g\" {\n  input %c: f32[2, 4, 5]\n  input %u: f32[2, 1, 5]\n"
              "  %y: f32[2, 4, 5] = tensor_scatter(%c, %u) {mode=\"wrap\"}\n  output %y\n}\n",
              "mode \"wrap\" is not one of \"linear\", \"circular\"");
}
END_TEST

START_TEST(expand_rule) {
  /* expand_dim_changed; expand_dim_unchanged; a shorter shape and a zero broadcast as numpy */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[3, 1]\n"
                  "  %a: f32[2, 3, 6] = expand(%x) {shape=[2, 1, 6]}\n"
                  "  %b: f32[3, 4] = expand(%x) {shape=[3, 4]}\n"
                  "  %c: f32[3, 1] = expand(%x) {shape=[1]}\n"
                  "  %d: f32[3, 0] = expand(%x) {shape=[0]}\n"
                  "  output %a\n  output %b\n  output %c\n  output %d\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[3, 1]\n"
              "  %y: f32[4, 1] = expand(%x) {shape=[4, 1]}\n  output %y\n}\n",
              "shapes [3, 1] and [4, 1] do not broadcast");
}
END_TEST

START_TEST(tile_rule) {
  /* tile */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[2, 3, 4, 5]\n"
                  "  %y: f32[14, 18, 16, 10] = tile(%x) {repeats=[7, 6, 4, 2]}\n  output %y\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[2, 2]\n"
              "  %y: f32[4, 4] = tile(%x) {repeats=[2]}\n  output %y\n}\n",
              "input 0 (x) has shape [2, 2]; repeats lists 1 values, not one per axis");
  parse_fails("graph \"g\" {\n  input %x: f32[2, 2]\n"
              "  %y: f32[4, 4] = tile(%x) {repeats=[2, -1]}\n  output %y\n}\n",
              "repeats [2, -1] has a negative entry");
  parse_fails("graph \"g\" {\n  input %x: f32[65536, 65536]\n"
              "  %y: f32[4, 4] = tile(%x) {repeats=[65536, 65536]}\n  output %y\n}\n",
              "which is negative or too large");
}
END_TEST

START_TEST(pad_rule) {
  /* constant_pad; edge_pad; a crop by negative pads */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[1, 3, 4, 5]\n  input %v: f32[]\n"
                  "  %a: f32[1, 3, 7, 12] = pad(%x, %v) {pads=[0, 0, 1, 3, 0, 0, 2, 4]}\n"
                  "  input %n: i32[1, 3, 4, 5]\n"
                  "  %b: i32[1, 3, 6, 7] = pad(%n, _) {pads=[0, 0, 1, 1, 0, 0, 1, 1], "
                  "mode=\"edge\"}\n"
                  "  %c: i32[1, 3, 1, 5] = pad(%n) {pads=[0, 0, -2, 0, 0, 0, -1, 0], "
                  "mode=\"reflect\"}\n"
                  "  output %a\n  output %b\n  output %c\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[4, 5]\n"
              "  %y: f32[4, 5] = pad(%x) {pads=[0, 0, 0]}\n  output %y\n}\n",
              "input 0 (x) has shape [4, 5]; pads lists 3 values, not 4");
  parse_fails("graph \"g\" {\n  input %x: f32[4, 5]\n"
              "  %y: f32[1, 5] = pad(%x) {pads=[-5, 0, 2, 0]}\n  output %y\n}\n",
              "pads for axis 0 (begin -5, end 2) crop more than its 4 elements");
  parse_fails("graph \"g\" {\n  input %x: f32[4, 5]\n"
              "  %y: f32[4, 5] = pad(%x) {pads=[0, 0, 0, 0], mode=\"symmetric\"}\n  output %y\n}\n",
              "mode \"symmetric\" is not one of \"constant\", \"reflect\", \"edge\", \"wrap\"");
  parse_fails("graph \"g\" {\n  input %x: f32[4, 5]\n  input %v: f64[]\n"
              "  %y: f32[4, 5] = pad(%x, %v) {pads=[0, 0, 0, 0]}\n  output %y\n}\n",
              "input 1 (value) has dtype f64 but input 0 (x) has f32");
  parse_fails("graph \"g\" {\n  input %x: f32[0, 5]\n"
              "  %y: f32[2, 5] = pad(%x) {pads=[1, 0, 1, 0], mode=\"wrap\"}\n  output %y\n}\n",
              "mode \"wrap\" cannot pad axis 0, which is empty");
}
END_TEST

START_TEST(depth_to_space_rule) {
  /* depthtospace_crd_mode_example */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[1, 8, 2, 3]\n"
                  "  %y: f32[1, 2, 4, 6] = depth_to_space(%x) {blocksize=2, mode=\"CRD\"}\n"
                  "  output %y\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 6, 2, 3]\n"
              "  %y: f32[1, 1, 4, 6] = depth_to_space(%x) {blocksize=2}\n  output %y\n}\n",
              "input 0 (x) has shape [1, 6, 2, 3]; its 6 channels do not divide into blocks of "
              "2x2");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 8, 2, 3]\n"
              "  %y: f32[1, 2, 4, 6] = depth_to_space(%x) {blocksize=2, mode=\"RCD\"}\n"
              "  output %y\n}\n",
              "mode \"RCD\" is not one of \"DCR\", \"CRD\"");
  parse_fails("graph \"g\" {\n  input %x: f32[8, 2, 3]\n"
              "  %y: f32[2, 4, 6] = depth_to_space(%x) {blocksize=2}\n  output %y\n}\n",
              "depth_to_space needs rank 4");
}
END_TEST

START_TEST(space_to_depth_rule) {
  /* spacetodepth */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[2, 2, 6, 6]\n"
                  "  %y: f32[2, 8, 3, 3] = space_to_depth(%x) {blocksize=2}\n  output %y\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 1, 4, 6]\n"
              "  %y: f32[1, 16, 1, 1] = space_to_depth(%x) {blocksize=4}\n  output %y\n}\n",
              "its height and width do not divide into blocks of 4x4");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 1, 4, 6]\n"
              "  %y: f32[1, 1, 4, 6] = space_to_depth(%x) {blocksize=0}\n  output %y\n}\n",
              "blocksize 0 must be positive");
}
END_TEST

START_TEST(resize_rule) {
  /* resize_upsample_scales_linear_half_pixel_symmetric; resize_tf_crop_and_resize */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[1, 1, 2, 2]\n"
                  "  %y: f32[1, 1, 4, 5] = resize(%x) {sizes=[1, 1, 4, 5], "
                  "scales=[1.0, 1.0, 2.3, 2.94], mode=\"linear\", "
                  "coordinate_transformation_mode=\"half_pixel_symmetric\"}\n"
                  "  input %z: f32[1, 1, 4, 4]\n"
                  "  %w: f32[1, 1, 3, 3] = resize(%z) {sizes=[1, 1, 3, 3], "
                  "scales=[1.0, 1.0, 0.75, 0.75], roi=[0.0, 0.0, 0.4, 0.6, 1.0, 1.0, 0.6, 0.8], "
                  "mode=\"linear\", coordinate_transformation_mode=\"tf_crop_and_resize\"}\n"
                  "  output %y\n  output %w\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 1, 2, 2]\n"
              "  %y: f32[1, 1, 4, 4] = resize(%x) {sizes=[4, 4], scales=[2.0, 2.0]}\n"
              "  output %y\n}\n",
              "input 0 (x) has shape [1, 1, 2, 2]; sizes and scales list 2 and 2 values, not one "
              "per axis");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 1, 2, 2]\n"
              "  %y: f32[1, 1, 4, 4] = resize(%x) {sizes=[1, 1, 4, 4], "
              "scales=[1.0, 1.0, 2.0, 2.0], mode=\"bilinear\"}\n  output %y\n}\n",
              "mode \"bilinear\" is not one of \"nearest\", \"linear\", \"cubic\"");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 1, 2, 2]\n"
              "  %y: f32[1, 1, 4, 4] = resize(%x) {sizes=[1, 1, 4, 4], "
              "scales=[1.0, 1.0, 2.0, 0.0]}\n  output %y\n}\n",
              "scale 0 for axis 3 is not positive");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 1, 2, 2]\n"
              "  %y: f32[1, 1, 4, 4] = resize(%x) {sizes=[1, 1, 4, 4], "
              "scales=[1.0, 1.0, 2.0, 2.0], roi=[0.0, 1.0]}\n  output %y\n}\n",
              "roi lists 2 values, not 8");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 1, 2, 2]\n"
              "  %y: f32[1, 1, 4, 4] = resize(%x) {sizes=[1, 1, 4, 4], "
              "scales=[1.0, 1.0, 2.0, 2.0], "
              "coordinate_transformation_mode=\"tf_crop_and_resize\"}\n  output %y\n}\n",
              "coordinate_transformation_mode \"tf_crop_and_resize\" needs roi");
}
END_TEST

START_TEST(full_rule) {
  /* constantofshape_int_zeros; constantofshape_int_shape_zero */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %v: i32[]\n"
                  "  %y: i32[10, 6] = full(%v) {shape=[10, 6]}\n"
                  "  %z: i32[0] = full(%v) {shape=[0]}\n  output %y\n  output %z\n}\n");
  parse_fails("graph \"g\" {\n  input %v: i32[1]\n"
              "  %y: i32[10, 6] = full(%v) {shape=[10, 6]}\n  output %y\n}\n",
              "input 0 (value) has shape [1]; full needs rank 0");
}
END_TEST

START_TEST(eye_like_rule) {
  /* eyelike_with_dtype */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: i32[3, 4]\n"
                  "  %y: f64[3, 4] = eye_like(%x) {to=f64, k=1}\n  output %y\n}\n");
  parse_fails("graph \"g\" {\n  input %x: i32[3, 4, 5]\n"
              "  %y: f64[3, 4, 5] = eye_like(%x) {to=f64}\n  output %y\n}\n",
              "input 0 (x) has shape [3, 4, 5]; eye_like needs rank 2");
}
END_TEST

START_TEST(one_hot_rule) {
  /* onehot_with_negative_axis; onehot_without_axis */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %i: f32[2, 2]\n  input %v: f32[2]\n"
                  "  %y: f32[2, 10, 2] = one_hot(%i, %v) {depth=10, axis=-2}\n"
                  "  input %j: i64[3]\n  input %w: i32[2]\n"
                  "  %z: i32[3, 12] = one_hot(%j, %w) {depth=12}\n"
                  "  %f: i32[12, 3] = one_hot(%j, %w) {depth=12, axis=0}\n"
                  "  output %y\n  output %z\n  output %f\n}\n");
  parse_fails("graph \"g\" {\n  input %i: i64[3]\n  input %v: f32[3]\n"
              "  %y: f32[3, 10] = one_hot(%i, %v) {depth=10}\n  output %y\n}\n",
              "input 1 (values) has shape [3]; one_hot needs [2], the values [off, on]");
  parse_fails("graph \"g\" {\n  input %i: i64[3]\n  input %v: f32[2]\n"
              "  %y: f32[3, 10] = one_hot(%i, %v) {depth=10, axis=2}\n  output %y\n}\n",
              "axis 2 is out of range for rank 2");
  parse_fails("graph \"g\" {\n  input %i: i64[3]\n  input %v: f32[2]\n"
              "  %y: f32[3, 0] = one_hot(%i, %v) {depth=0}\n  output %y\n}\n",
              "depth 0 must be positive");
}
END_TEST

START_TEST(trilu_rule) {
  /* tril_one_row_neg; triu_zero */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: i64[3, 1, 5]\n"
                  "  %y: i64[3, 1, 5] = trilu(%x) {upper=0, k=-1}\n"
                  "  input %e: i64[0, 5]\n  %z: i64[0, 5] = trilu(%e) {k=6}\n"
                  "  output %y\n  output %z\n}\n");
  parse_fails("graph \"g\" {\n  input %x: i64[5]\n"
              "  %y: i64[5] = trilu(%x)\n  output %y\n}\n",
              "input 0 (x) has shape [5]; trilu needs rank 2 or more");
}
END_TEST

START_TEST(reverse_sequence_rule) {
  /* reversesequence_batch */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[4, 3]\n  input %l: i64[4]\n"
                  "  %y: f32[4, 3] = reverse_sequence(%x, %l) {batch_axis=0, time_axis=1}\n"
                  "  output %y\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[4, 3]\n  input %l: i64[4]\n"
              "  %y: f32[4, 3] = reverse_sequence(%x, %l)\n  output %y\n}\n",
              "input 1 (sequence_lens) has shape [4]; input 0 (x) has shape [4, 3], so it needs "
              "one length for each of the 3 batch entries on axis 1");
  parse_fails("graph \"g\" {\n  input %x: f32[4, 3]\n  input %l: i64[4]\n"
              "  %y: f32[4, 3] = reverse_sequence(%x, %l) {batch_axis=0, time_axis=0}\n"
              "  output %y\n}\n",
              "batch_axis 0 and time_axis 0 must be 0 and 1, one each");
  parse_fails("graph \"g\" {\n  input %x: f32[4, 3]\n  input %l: i32[3]\n"
              "  %y: f32[4, 3] = reverse_sequence(%x, %l)\n  output %y\n}\n",
              "input 1 (sequence_lens) has dtype i32; reverse_sequence needs i64");
}
END_TEST

Suite *suite_rules_tensor(void) {
  Suite *suite = suite_create("rules_tensor");
  TCase *layout = tcase_create("layout");
  tcase_add_test(layout, reshape_rule);
  tcase_add_test(layout, transpose_rule);
  tcase_add_test(layout, layout_transform_rule);
  tcase_add_test(layout, bit_cast_rule);
  tcase_add_test(layout, concat_rule);
  tcase_add_test(layout, split_rule);
  tcase_add_test(layout, slice_rule);
  tcase_add_test(layout, expand_rule);
  tcase_add_test(layout, tile_rule);
  tcase_add_test(layout, pad_rule);
  tcase_add_test(layout, depth_to_space_rule);
  tcase_add_test(layout, space_to_depth_rule);
  tcase_add_test(layout, resize_rule);
  suite_add_tcase(suite, layout);
  TCase *indexing = tcase_create("indexing");
  tcase_add_test(indexing, take_rule);
  tcase_add_test(indexing, gather_elements_rule);
  tcase_add_test(indexing, gather_nd_rule);
  tcase_add_test(indexing, scatter_elements_rule);
  tcase_add_test(indexing, scatter_nd_rule);
  tcase_add_test(indexing, tensor_scatter_rule);
  tcase_add_test(indexing, reverse_sequence_rule);
  suite_add_tcase(suite, indexing);
  TCase *creation = tcase_create("creation");
  tcase_add_test(creation, full_rule);
  tcase_add_test(creation, eye_like_rule);
  tcase_add_test(creation, one_hot_rule);
  tcase_add_test(creation, trilu_rule);
  suite_add_tcase(suite, creation);
  return suite;
}
