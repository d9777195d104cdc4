/* Type rules of convolution, pooling, products, normalisation, attention and quantisation.
 * Passing cases use the shapes of the ONNX conformance models named beside them (test_<name> in
 * onnx/backend/test/data/node), with ONNX-only attributes (auto_pad, output_shape) resolved as
 * the importer resolves them. */
#include "tests/unit/util.h"

START_TEST(conv_rule) {
  /* conv_with_strides_and_asymmetric_padding; basic_conv_with_padding (plus a bias) */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[1, 1, 7, 5]\n  input %w: f32[1, 1, 3, 3]\n"
                  "  %y: f32[1, 1, 4, 2] = conv(%x, %w) {strides=[2, 2], pads=[1, 0, 1, 0]}\n"
                  "  input %b: f32[1]\n"
                  "  %z: f32[1, 1, 7, 5] = conv(%x, %w, %b) {pads=[1, 1, 1, 1]}\n"
                  "  output %y\n  output %z\n}\n");
  /* groups and dilations, 1-D */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[2, 4, 9]\n  input %w: f32[6, 2, 3]\n"
                  "  %y: f32[2, 6, 5] = conv(%x, %w) {groups=2, dilations=[2]}\n"
                  "  output %y\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 3, 8, 8]\n  input %w: f32[4, 2, 3, 3]\n"
              "  %y: f32[1, 4, 6, 6] = conv(%x, %w)\n  output %y\n}\n",
              "input 1 (w) has shape [4, 2, 3, 3]; its axis 1 times groups (1) must give the 3 "
              "channels of x");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 4, 8, 8]\n  input %w: f32[3, 2, 3, 3]\n"
              "  %y: f32[1, 3, 6, 6] = conv(%x, %w) {groups=2}\n  output %y\n}\n",
              "its 3 output channels do not divide into 2 groups");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 3, 8, 8]\n  input %w: f32[4, 3, 3, 3]\n"
              "  input %b: f32[3]\n"
              "  %y: f32[1, 4, 6, 6] = conv(%x, %w, %b)\n  output %y\n}\n",
              "input 2 (b) has shape [3]; conv needs [4] (one per output channel)");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 1, 2, 2]\n  input %w: f32[1, 1, 4, 4]\n"
              "  %y: f32[1, 1, 1, 1] = conv(%x, %w)\n  output %y\n}\n",
              "on spatial axis 0 the dilated kernel spans 4 elements, more than the 2 of the "
              "padded input");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 3, 8, 8]\n  input %w: f32[4, 3, 3, 3]\n"
              "  %y: f32[1, 4, 6, 6] = conv(%x, %w) {pads=[0, -1, 0, 0]}\n  output %y\n}\n",
              "pads[1] is -1; it must be at least 0");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 3, 8, 8]\n  input %w: f32[4, 3, 3, 3]\n"
              "  %y: f32[1, 4, 6, 6] = conv(%x, %w) {strides=[1, 1, 1]}\n  output %y\n}\n",
              "strides lists 3 values; conv over 2 spatial axes needs 2 (or none)");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 3, 8, 8]\n  input %w: f32[4, 3, 3, 3]\n"
              "  %y: f32[1, 4, 6, 6] = conv(%x, %w) {dilations=[4611686018427387904, 1]}\n"
              "  output %y\n}\n",
              "dilations[0] is 4611686018427387904, larger than tessel handles");
  parse_fails("graph \"g\" {\n  input %x: i32[1, 3, 8, 8]\n  input %w: i32[4, 3, 3, 3]\n"
              "  %y: i32[1, 4, 6, 6] = conv(%x, %w)\n  output %y\n}\n",
              "input 0 (x) has dtype i32; conv takes floats");
}
END_TEST

/* layout "NCHW{x}c": x [N, C/x, H, W, x]; w [M/x, C/x, kh, kw, x, x] or, depthwise,
 * [M/x, 1, kh, kw, x]; b [M]; or, from x in NCHW, w [M/x, C, kh, kw, x]. Pools keep the
 * blocks. */
START_TEST(blocked_layout_rules) {
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[1, 2, 5, 5, 4]\n"
                  "  input %w: f32[3, 2, 3, 3, 4, 4]\n  input %b: f32[12]\n"
                  "  %y: f32[1, 3, 3, 3, 4] = conv(%x, %w, %b) {layout=\"NCHW4c\"}\n"
                  "  input %dw: f32[2, 1, 3, 3, 4]\n"
                  "  %d: f32[1, 2, 3, 3, 4] = conv(%x, %dw) {strides=[2, 2], pads=[1, 1, 1, 1], "
                  "groups=8, layout=\"NCHW4c\"}\n"
                  "  %p: f32[1, 2, 2, 2, 4] = max_pool(%x) {kernel=[2, 2], strides=[2, 2], "
                  "layout=\"NCHW4c\"}\n"
                  "  %a: f32[1, 2, 3, 3, 4] = avg_pool(%x) {kernel=[3, 3], strides=[2, 2], "
                  "pads=[1, 1, 1, 1], layout=\"NCHW4c\"}\n"
                  "  output %y\n  output %d\n  output %p\n  output %a\n}\n");
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[1, 3, 5, 5]\n  input %w: f32[2, 3, 3, 3, 4]\n"
                  "  %y: f32[1, 2, 3, 3, 4] = conv(%x, %w) {layout=\"NCHW4c\"}\n  output %y\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 3, 5, 5]\n  input %w: f32[2, 3, 3, 3, 4, 4]\n"
              "  %y: f32[1, 2, 3, 3, 4] = conv(%x, %w) {layout=\"NCHW4c\"}\n  output %y\n}\n",
              "input 1 (w) has shape [2, 3, 3, 3, 4, 4]; conv needs [2, 3, 3, 3, 4]");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 8, 5, 5]\n  input %w: f32[2, 1, 3, 3, 4]\n"
              "  %y: f32[1, 2, 3, 3, 4] = conv(%x, %w) {groups=8, layout=\"NCHW4c\"}\n"
              "  output %y\n}\n",
              "groups is 8; from an input in NCHW, layout \"NCHW4c\" takes groups 1");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 3, 5, 5]\n"
              "  %p: f32[1, 1, 2, 2, 4] = max_pool(%x) {kernel=[2, 2], strides=[2, 2], "
              "layout=\"NCHW4c\"}\n  output %p\n}\n",
              "input 0 (x) has shape [1, 3, 5, 5]; layout \"NCHW4c\" needs [N, C/4, spatial…, 4]");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 2, 5, 5, 8]\n  input %w: f32[3, 2, 3, 3, 4, 4]\n"
              "  %y: f32[1, 3, 3, 3, 4] = conv(%x, %w) {layout=\"NCHW4c\"}\n  output %y\n}\n",
              "input 0 (x) has shape [1, 2, 5, 5, 8]; layout \"NCHW4c\" needs [N, C/4, spatial…, 4]");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 2, 5, 5, 4]\n  input %w: f32[3, 2, 3, 3, 4]\n"
              "  %y: f32[1, 3, 3, 3, 4] = conv(%x, %w) {layout=\"NCHW4c\"}\n  output %y\n}\n",
              "input 1 (w) has shape [3, 2, 3, 3, 4]; conv needs [3, 2, 3, 3, 4, 4]");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 2, 5, 5, 4]\n  input %w: f32[2, 1, 3, 3, 4]\n"
              "  %y: f32[1, 2, 3, 3, 4] = conv(%x, %w) {groups=2, layout=\"NCHW4c\"}\n"
              "  output %y\n}\n",
              "groups is 2; in layout \"NCHW4c\" it must be 1 or the 8 channels (depthwise)");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 2, 5, 5, 4]\n  input %w: f32[3, 2, 3, 3, 4, 4]\n"
              "  %y: f32[1, 3, 3, 3, 4] = conv(%x, %w) {layout=\"NHWC\"}\n  output %y\n}\n",
              "layout \"NHWC\" is neither NCHW nor blocked channels NCHW{x}c");
}
END_TEST

START_TEST(conv_transpose_rule) {
  /* convtranspose_pads; convtranspose_group_2; convtranspose_3d */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[1, 1, 3, 3]\n  input %w: f32[1, 2, 3, 3]\n"
                  "  %y: f32[1, 2, 7, 3] = conv_transpose(%x, %w) "
                  "{strides=[3, 2], pads=[1, 2, 1, 2]}\n"
                  "  input %x2: f32[1, 2, 3, 3]\n  input %w2: f32[2, 1, 3, 3]\n"
                  "  %y2: f32[1, 2, 5, 5] = conv_transpose(%x2, %w2) {groups=2}\n"
                  "  input %x3: f32[1, 1, 3, 4, 5]\n  input %w3: f32[1, 2, 3, 3, 3]\n"
                  "  %y3: f32[1, 2, 5, 6, 7] = conv_transpose(%x3, %w3)\n"
                  "  output %y\n  output %y2\n  output %y3\n}\n");
  /* convtranspose_output_shape (output_shape [10, 8] resolves to output_padding [1, 1]);
   * convtranspose_autopad_same (SAME_UPPER resolves to pads [0, 0, 1, 1]);
   * convtranspose_dilations */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[1, 1, 3, 3]\n  input %w: f32[1, 2, 3, 3]\n"
                  "  %y: f32[1, 2, 10, 8] = conv_transpose(%x, %w) "
                  "{strides=[3, 2], output_padding=[1, 1]}\n"
                  "  %z: f32[1, 2, 6, 6] = conv_transpose(%x, %w) "
                  "{strides=[2, 2], pads=[0, 0, 1, 1]}\n"
                  "  input %w1: f32[1, 1, 2, 2]\n"
                  "  %d: f32[1, 1, 5, 5] = conv_transpose(%x, %w1) {dilations=[2, 2]}\n"
                  "  output %y\n  output %z\n  output %d\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 2, 3, 3]\n  input %w: f32[3, 1, 3, 3]\n"
              "  %y: f32[1, 2, 5, 5] = conv_transpose(%x, %w) {groups=2}\n  output %y\n}\n",
              "input 1 (w) has shape [3, 1, 3, 3]; x has 2 channels, which w needs on axis 0");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 1, 3, 3]\n  input %w: f32[1, 2, 3, 3]\n"
              "  %y: f32[1, 2, 5, 5] = conv_transpose(%x, %w) {pads=[3, 3, 3, 3]}\n"
              "  output %y\n}\n",
              "on spatial axis 0 pads of 3 and 3 leave an output of -1");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 1, 3, 3]\n  input %w: f32[1, 2, 3, 3]\n"
              "  %y: f32[1, 2, 10, 8] = conv_transpose(%x, %w) "
              "{strides=[3, 2], pads=[0, 0, -1, -1]}\n  output %y\n}\n",
              "pads[2] is -1; it must be at least 0");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 1, 3, 3]\n  input %w: f32[1, 2, 3, 3]\n"
              "  %y: f32[1, 2, 5, 5] = conv_transpose(%x, %w) {output_padding=[-1, 0]}\n"
              "  output %y\n}\n",
              "output_padding[0] is -1; it must be at least 0");
}
END_TEST

START_TEST(deform_conv_rule) {
  /* basic_deform_conv_with_padding; deform_conv_with_mask_bias;
   * deform_conv_with_multiple_offset_groups; a mask without a bias */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[1, 1, 3, 3]\n  input %w: f32[1, 1, 2, 2]\n"
                  "  input %o: f32[1, 8, 4, 4]\n"
                  "  %y: f32[1, 1, 4, 4] = deform_conv(%x, %w, %o) {pads=[1, 1, 1, 1]}\n"
                  "  input %o2: f32[1, 8, 2, 2]\n  input %b: f32[1]\n  input %m: f32[1, 4, 2, 2]\n"
                  "  %y2: f32[1, 1, 2, 2] = deform_conv(%x, %w, %o2, %b, %m)\n"
                  "  %y3: f32[1, 1, 2, 2] = deform_conv(%x, %w, %o2, _, %m)\n"
                  "  input %x4: f32[1, 2, 3, 3]\n  input %w4: f32[1, 2, 2, 2]\n"
                  "  input %o4: f32[1, 16, 2, 2]\n"
                  "  %y4: f32[1, 1, 2, 2] = deform_conv(%x4, %w4, %o4) {offset_groups=2}\n"
                  "  output %y\n  output %y2\n  output %y3\n  output %y4\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 1, 3, 3]\n  input %w: f32[1, 1, 2, 2]\n"
              "  input %o: f32[1, 4, 2, 2]\n"
              "  %y: f32[1, 1, 2, 2] = deform_conv(%x, %w, %o)\n  output %y\n}\n",
              "input 2 (offset) has shape [1, 4, 2, 2]; deform_conv needs [1, 8, 2, 2] (batch, "
              "offset_groups × spatial axes × kernel taps, y's spatial sizes)");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 1, 3, 3]\n  input %w: f32[1, 1, 2, 2]\n"
              "  input %o: f32[1, 8, 2, 2]\n  input %m: f32[1, 4, 3, 3]\n"
              "  %y: f32[1, 1, 2, 2] = deform_conv(%x, %w, %o, _, %m)\n  output %y\n}\n",
              "input 4 (mask) has shape [1, 4, 3, 3]; deform_conv needs [1, 4, 2, 2]");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 3, 3, 3]\n  input %w: f32[1, 3, 2, 2]\n"
              "  input %o: f32[1, 16, 2, 2]\n"
              "  %y: f32[1, 1, 2, 2] = deform_conv(%x, %w, %o) {offset_groups=2}\n"
              "  output %y\n}\n",
              "input 0 (x) has shape [1, 3, 3, 3]; its 3 channels do not divide into "
              "offset_groups = 2");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 1, 3, 3]\n  input %w: f32[1, 1, 2, 2]\n"
              "  input %o: f16[1, 8, 2, 2]\n"
              "  %y: f32[1, 1, 2, 2] = deform_conv(%x, %w, %o)\n  output %y\n}\n",
              "input 2 (offset) has dtype f16 but input 0 (x) has f32");
}
END_TEST

START_TEST(causal_conv_with_state_rule) {
  /* causal_conv_with_state_basic; _decode_step (with silu); _kernel_size_one;
   * _with_past_state; without present_state */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[2, 4, 8]\n  input %w: f32[4, 1, 4]\n"
                  "  %y: f32[2, 4, 8], %s: f32[2, 4, 3] = causal_conv_with_state(%x, %w)\n"
                  "  input %x1: f32[2, 4, 1]\n  input %b: f32[4]\n  input %p: f32[2, 4, 3]\n"
                  "  %y1: f32[2, 4, 1], %s1: f32[2, 4, 3] = "
                  "causal_conv_with_state(%x1, %w, %b, %p) {activation=\"silu\"}\n"
                  "  input %w1: f32[4, 1, 1]\n"
                  "  %y2: f32[2, 4, 8], %s2: f32[2, 4, 0] = causal_conv_with_state(%x, %w1)\n"
                  "  %y3: f32[2, 4, 8], %s3: f32[2, 4, 3] = causal_conv_with_state(%x, %w, _, %p)\n"
                  "  %y4: f32[2, 4, 8] = causal_conv_with_state(%x, %w, %b)\n"
                  "  output %y\n  output %s\n  output %y1\n  output %s1\n  output %y2\n"
                  "  output %s2\n  output %y3\n  output %s3\n  output %y4\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[2, 4, 8]\n  input %w: f32[4, 2, 4]\n"
              "  %y: f32[2, 4, 8], %s: f32[2, 4, 3] = causal_conv_with_state(%x, %w)\n"
              "  output %y\n}\n",
              "input 1 (w) has shape [4, 2, 4]; input 0 (x) has 4 channels, so "
              "causal_conv_with_state needs [4, 1, k], k at least 1");
  parse_fails("graph \"g\" {\n  input %x: f32[2, 4, 8]\n  input %w: f32[4, 1, 4]\n"
              "  input %p: f32[2, 4, 2]\n"
              "  %y: f32[2, 4, 8], %s: f32[2, 4, 3] = causal_conv_with_state(%x, %w, _, %p)\n"
              "  output %y\n}\n",
              "input 3 (past_state) has shape [2, 4, 2]; causal_conv_with_state needs [2, 4, 3] "
              "(batch, channels, kernel size - 1)");
  parse_fails("graph \"g\" {\n  input %x: f32[2, 4, 8]\n  input %w: f32[4, 1, 4]\n"
              "  %y: f32[2, 4, 8], %s: f32[2, 4, 3] = causal_conv_with_state(%x, %w) "
              "{activation=\"swish\"}\n  output %y\n}\n",
              "activation \"swish\" is not one of \"none\", \"silu\"");
}
END_TEST

START_TEST(col2im_rule) {
  /* col2im; col2im_5d; col2im_dilations; col2im_pads; col2im_strides */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[1, 5, 5]\n"
                  "  %y: f32[1, 1, 5, 5] = col2im(%x) {image_shape=[5, 5], block_shape=[1, 5]}\n"
                  "  input %x5: f32[1, 10, 12]\n"
                  "  %y5: f32[1, 2, 3, 4, 5] = col2im(%x5) "
                  "{image_shape=[3, 4, 5], block_shape=[1, 1, 5]}\n"
                  "  input %xd: f32[1, 4, 5]\n"
                  "  %yd: f32[1, 1, 6, 6] = col2im(%xd) "
                  "{image_shape=[6, 6], block_shape=[2, 2], dilations=[1, 5]}\n"
                  "  input %xp: f32[1, 5, 15]\n"
                  "  %yp: f32[1, 1, 5, 5] = col2im(%xp) "
                  "{image_shape=[5, 5], block_shape=[1, 5], pads=[0, 1, 0, 1]}\n"
                  "  input %xs: f32[1, 9, 4]\n"
                  "  %ys: f32[1, 1, 5, 5] = col2im(%xs) "
                  "{image_shape=[5, 5], block_shape=[3, 3], strides=[2, 2]}\n"
                  "  output %y\n  output %y5\n  output %yd\n  output %yp\n  output %ys\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 5, 6]\n"
              "  %y: f32[1, 1, 5, 5] = col2im(%x) {image_shape=[5, 5], block_shape=[1, 5]}\n"
              "  output %y\n}\n",
              "input 0 (x) has shape [1, 5, 6]; col2im needs [N, C × 5 (a block's size), 5 (the "
              "block positions [5, 1] in the image)]");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 7, 5]\n"
              "  %y: f32[1, 1, 5, 5] = col2im(%x) {image_shape=[5, 5], block_shape=[1, 7]}\n"
              "  output %y\n}\n",
              "image_shape [5, 5]: on spatial axis 1 the dilated block spans 7 elements, more "
              "than the 5 of the padded image");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 5, 5]\n"
              "  %y: f32[1, 1, 5, 5] = col2im(%x) {image_shape=[5, 5], block_shape=[5]}\n"
              "  output %y\n}\n",
              "image_shape and block_shape list 2 and 1 sizes; col2im needs as many, 1 to 14");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 5, 5]\n"
              "  %y: f32[1, 1, 5, 5] = col2im(%x) "
              "{image_shape=[5, 5], block_shape=[1, 5], pads=[1, 1]}\n  output %y\n}\n",
              "pads lists 2 values; col2im over 2 spatial axes needs 4 (or none)");
}
END_TEST

START_TEST(pool_rule) {
  /* maxpool_2d_ceil_output_size_reduce_by_one; averagepool_2d_ceil_last_window_starts_on_pad;
   * lppool_2d_strides; maxpool_3d_dilations_use_ref_impl_large */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[1, 1, 2, 2]\n"
                  "  %y: f32[1, 1, 1, 1] = max_pool(%x) "
                  "{kernel=[1, 1], strides=[2, 2], ceil_mode=1}\n"
                  "  input %x2: f32[1, 3, 2, 2]\n"
                  "  %y2: f32[1, 3, 1, 1] = avg_pool(%x2) {kernel=[3, 3], strides=[3, 3], "
                  "pads=[1, 1, 1, 1], ceil_mode=1, count_include_pad=1}\n"
                  "  input %x3: f32[1, 3, 32, 32]\n"
                  "  %y3: f32[1, 3, 10, 10] = lp_pool(%x3) {kernel=[5, 5], strides=[3, 3]}\n"
                  "  input %x4: f32[1, 1, 32, 32, 32]\n"
                  "  %y4: f32[1, 1, 9, 9, 9] = max_pool(%x4) {kernel=[5, 5, 5], "
                  "strides=[3, 3, 3], dilations=[2, 2, 2], ceil_mode=1}\n"
                  "  output %y\n  output %y2\n  output %y3\n  output %y4\n}\n");
  /* maxpool_with_argmax_2d_precomputed_strides; maxpool_2d_uint8 */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[1, 1, 5, 5]\n"
                  "  %y: f32[1, 1, 2, 2], %z: i64[1, 1, 2, 2] = max_pool(%x) "
                  "{kernel=[2, 2], strides=[2, 2], storage_order=1}\n"
                  "  input %u: u8[1, 1, 5, 5]\n"
                  "  %v: u8[1, 1, 5, 5] = max_pool(%u) {kernel=[5, 5], pads=[2, 2, 2, 2]}\n"
                  "  output %y\n  output %z\n  output %v\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 3, 8, 8]\n"
              "  %y: f32[1, 3, 7, 7] = max_pool(%x) {kernel=[2]}\n  output %y\n}\n",
              "input 0 (x) has shape [1, 3, 8, 8]; kernel lists 1 sizes, not one per spatial "
              "axis");
  parse_fails("graph \"g\" {\n  input %x: i8[1, 3, 8, 8]\n"
              "  %y: i8[1, 3, 7, 7] = avg_pool(%x) {kernel=[2, 2]}\n  output %y\n}\n",
              "input 0 (x) has dtype i8; avg_pool takes floats");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 3, 2, 2]\n"
              "  %y: f32[1, 3, 1, 1] = lp_pool(%x) {kernel=[5, 5]}\n  output %y\n}\n",
              "on spatial axis 0 the dilated kernel spans 5 elements");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 3, 8, 8]\n"
              "  %y: f32[1, 3, 7, 7] = max_pool(%x) {kernel=[2, 2], strides=[0, 1]}\n"
              "  output %y\n}\n",
              "strides[0] is 0; it must be at least 1");
}
END_TEST

START_TEST(max_unpool_rule) {
  /* maxunpool_export_without_output_shape; maxunpool_export_with_output_shape; with pads */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[1, 1, 2, 2]\n  input %i: i64[1, 1, 2, 2]\n"
                  "  %y: f32[1, 1, 4, 4] = max_unpool(%x, %i) {kernel=[2, 2], strides=[2, 2]}\n"
                  "  %z: f32[1, 1, 5, 5] = max_unpool(%x, %i) "
                  "{kernel=[2, 2], strides=[2, 2], output_shape=[1, 1, 5, 5]}\n"
                  "  %p: f32[1, 1, 3, 3] = max_unpool(%x, %i) "
                  "{kernel=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]}\n"
                  "  output %y\n  output %z\n  output %p\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 1, 2, 2]\n  input %i: i64[1, 1, 2, 2]\n"
              "  %y: f32[1, 1, 3, 5] = max_unpool(%x, %i) "
              "{kernel=[2, 2], strides=[2, 2], output_shape=[1, 1, 3, 5]}\n  output %y\n}\n",
              "input 0 (x) has shape [1, 1, 2, 2]; output_shape [1, 1, 3, 5] must keep its batch "
              "and channels and be at least the unpooled [1, 1, 4, 4]");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 1, 2, 2]\n  input %i: i64[1, 1, 2, 3]\n"
              "  %y: f32[1, 1, 4, 4] = max_unpool(%x, %i) {kernel=[2, 2], strides=[2, 2]}\n"
              "  output %y\n}\n",
              "input 1 (indices) has shape [1, 1, 2, 3]; max_unpool needs [1, 1, 2, 2] (the shape "
              "of x)");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 1, 2, 2]\n  input %i: i32[1, 1, 2, 2]\n"
              "  %y: f32[1, 1, 4, 4] = max_unpool(%x, %i) {kernel=[2, 2], strides=[2, 2]}\n"
              "  output %y\n}\n",
              "input 1 (indices) has dtype i32; max_unpool needs i64");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 1, 2, 2]\n  input %i: i64[1, 1, 2, 2]\n"
              "  %y: f32[1, 1, 4, 4] = max_unpool(%x, %i) {kernel=[2]}\n  output %y\n}\n",
              "input 0 (x) has shape [1, 1, 2, 2]; kernel lists 1 sizes, not one per spatial "
              "axis");
}
END_TEST

START_TEST(roi_align_rule) {
  /* roialign_aligned_false; roialign_mode_max; the defaults */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[1, 1, 10, 10]\n  input %r: f32[3, 4]\n"
                  "  input %b: i64[3]\n"
                  "  %y: f32[3, 1, 5, 5] = roi_align(%x, %r, %b) {output_height=5, "
                  "output_width=5, sampling_ratio=2, "
                  "coordinate_transformation_mode=\"output_half_pixel\"}\n"
                  "  %z: f32[3, 1, 5, 5] = roi_align(%x, %r, %b) "
                  "{mode=\"max\", output_height=5, output_width=5, sampling_ratio=2}\n"
                  "  %d: f32[3, 1, 1, 1] = roi_align(%x, %r, %b)\n"
                  "  output %y\n  output %z\n  output %d\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 1, 10, 10]\n  input %r: f32[3, 5]\n"
              "  input %b: i64[3]\n"
              "  %y: f32[3, 1, 1, 1] = roi_align(%x, %r, %b)\n  output %y\n}\n",
              "input 1 (rois) has shape [3, 5]; roi_align needs [regions, 4], each region's x1, "
              "y1, x2, y2");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 1, 10, 10]\n  input %r: f32[3, 4]\n"
              "  input %b: i64[2]\n"
              "  %y: f32[3, 1, 1, 1] = roi_align(%x, %r, %b)\n  output %y\n}\n",
              "input 2 (batch_indices) has shape [2]; roi_align needs [3] (one batch index per "
              "region)");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 1, 10, 10]\n  input %r: f32[3, 4]\n"
              "  input %b: i64[3]\n"
              "  %y: f32[3, 1, 1, 1] = roi_align(%x, %r, %b) {mode=\"mean\"}\n  output %y\n}\n",
              "mode \"mean\" is not one of \"avg\", \"max\"");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 1, 10, 10]\n  input %r: f32[3, 4]\n"
              "  input %b: i64[3]\n"
              "  %y: f32[3, 1, 1, 1] = roi_align(%x, %r, %b) {sampling_ratio=-1}\n"
              "  output %y\n}\n",
              "sampling_ratio is -1; it must be 0 (adaptive) or positive");
}
END_TEST

START_TEST(matmul_rule) {
  /* matmul_1d_3d; matmul_bcast; matmul_1d_1d; matmul_4d_1d */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %a: f32[4]\n  input %b: f32[2, 4, 1]\n"
                  "  %y: f32[2, 1] = matmul(%a, %b)\n"
                  "  input %c: f32[3, 1, 3, 4]\n  input %d: f32[1, 2, 4, 2]\n"
                  "  %z: f32[3, 2, 3, 2] = matmul(%c, %d)\n"
                  "  %s: f32[] = matmul(%a, %a)\n"
                  "  input %e: f32[1, 2, 4, 3]\n  input %f: f32[3]\n"
                  "  %t: f32[1, 2, 4] = matmul(%e, %f)\n"
                  "  output %y\n  output %z\n  output %s\n  output %t\n}\n");
  parse_fails("graph \"g\" {\n  input %a: f32[3, 4]\n  input %b: f32[5, 3]\n"
              "  %y: f32[3, 3] = matmul(%a, %b)\n  output %y\n}\n",
              "input 1 (b) has shape [5, 3]; input 0 (a) has shape [3, 4], so b needs 4 rows");
  parse_fails("graph \"g\" {\n  input %a: f32[2, 3, 4]\n  input %b: f32[3, 4, 5]\n"
              "  %y: f32[3, 3, 5] = matmul(%a, %b)\n  output %y\n}\n",
              "their batch dimensions do not broadcast");
  parse_fails("graph \"g\" {\n  input %a: i8[3, 4]\n  input %b: i8[4, 3]\n"
              "  %y: i8[3, 3] = matmul(%a, %b)\n  output %y\n}\n",
              "input 0 (a) has dtype i8; matmul takes floats and 32- or 64-bit integers");
  parse_fails("graph \"g\" {\n  input %a: f32[]\n  input %b: f32[4, 3]\n"
              "  %y: f32[3] = matmul(%a, %b)\n  output %y\n}\n",
              "input 0 (a) has shape []; matmul needs rank 1 or more");
}
END_TEST

START_TEST(gemm_rule) {
  /* gemm_all_attributes; gemm_default_scalar_bias; gemm_default_no_bias */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %a: f32[4, 3]\n  input %b: f32[5, 4]\n"
                  "  input %c: f32[1, 5]\n"
                  "  %y: f32[3, 5] = gemm(%a, %b, %c) "
                  "{alpha=0.25, beta=0.35, trans_a=1, trans_b=1}\n"
                  "  input %a2: f32[2, 3]\n  input %b2: f32[3, 4]\n  input %c2: f32[]\n"
                  "  %y2: f32[2, 4] = gemm(%a2, %b2, %c2)\n"
                  "  %y3: f32[2, 4] = gemm(%a2, %b2)\n"
                  "  output %y\n  output %y2\n  output %y3\n}\n");
  parse_fails("graph \"g\" {\n  input %a: f32[4, 3]\n  input %b: f32[5, 4]\n"
              "  %y: f32[3, 5] = gemm(%a, %b) {trans_b=1}\n  output %y\n}\n",
              "input 1 (b) has shape [5, 4]; input 0 (a) has shape [4, 3]; with trans_a = 0 and "
              "trans_b = 1, b needs 3 on axis 1");
  parse_fails("graph \"g\" {\n  input %a: f32[3, 6]\n  input %b: f32[6, 4]\n"
              "  input %c: f32[2, 4]\n"
              "  %y: f32[3, 4] = gemm(%a, %b, %c)\n  output %y\n}\n",
              "input 2 (c) has shape [2, 4]; gemm needs it to broadcast to [3, 4]");
  parse_fails("graph \"g\" {\n  input %a: f32[2, 3, 6]\n  input %b: f32[6, 4]\n"
              "  %y: f32[3, 4] = gemm(%a, %b)\n  output %y\n}\n",
              "input 0 (a) has shape [2, 3, 6]; gemm needs rank 2");
}
END_TEST

START_TEST(det_rule) {
  /* det_2d; det_nd */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[2, 2]\n  %y: f32[] = det(%x)\n"
                  "  input %b: f32[3, 2, 2]\n  %z: f32[3] = det(%b)\n"
                  "  output %y\n  output %z\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[2, 3]\n  %y: f32[] = det(%x)\n  output %y\n}\n",
              "input 0 (x) has shape [2, 3]; det needs square matrices in its last two axes");
  parse_fails("graph \"g\" {\n  input %x: i32[2, 2]\n  %y: i32[] = det(%x)\n  output %y\n}\n",
              "input 0 (x) has dtype i32; det takes floats");
  parse_fails("graph \"g\" {\n  input %x: f32[2]\n  %y: f32[] = det(%x)\n  output %y\n}\n",
              "input 0 (x) has shape [2]; det needs rank 2 or more");
}
END_TEST

START_TEST(einsum_rule) {
  /* einsum_batch_diagonal; einsum_batch_matmul; einsum_inner_prod; einsum_scalar;
   * einsum_transpose; einsum_sum */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f64[3, 5, 5]\n"
                  "  %y: f64[3, 5] = einsum(%x) {equation=\"...ii ->...i\"}\n"
                  "  input %a: f64[5, 2, 3]\n  input %b: f64[5, 3, 4]\n"
                  "  %c: f64[5, 2, 4] = einsum(%a, %b) {equation=\"bij, bjk -> bik\"}\n"
                  "  input %v: f64[5]\n"
                  "  %d: f64[] = einsum(%v, %v) {equation=\"i,i\"}\n"
                  "  input %s: f64[]\n"
                  "  %e: f64[] = einsum(%s) {equation=\"->\"}\n"
                  "  input %m: f64[3, 4]\n"
                  "  %f: f64[4, 3] = einsum(%m) {equation=\"ij->ji\"}\n"
                  "  %g: f64[3] = einsum(%m) {equation=\"ij->i\"}\n"
                  "  output %y\n  output %c\n  output %d\n  output %e\n  output %f\n"
                  "  output %g\n}\n");
  /* implicit output in ASCII order; ellipses and size-1 letters broadcast as numpy does */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %a: f32[3, 2]\n"
                  "  %y: f32[2, 3] = einsum(%a) {equation=\"ba\"}\n"
                  "  input %p: f32[2, 1, 3, 4]\n  input %q: f32[5, 4, 6]\n"
                  "  %z: f32[2, 5, 3, 6] = einsum(%p, %q) {equation=\"...ij,...jk\"}\n"
                  "  input %r: f32[3, 1]\n  input %s: f32[3, 4]\n"
                  "  %w: f32[3, 4] = einsum(%r, %s) {equation=\"ij,ij->ij\"}\n"
                  "  output %y\n  output %z\n  output %w\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f64[3, 4]\n"
              "  %y: f64[3] = einsum(%x) {equation=\"ijk->i\"}\n  output %y\n}\n",
              "input 0 (inputs) has shape [3, 4]; its term in the equation has 3 letters for its "
              "2 axes");
  parse_fails("graph \"g\" {\n  input %a: f64[5, 2, 3]\n  input %b: f64[5, 4, 4]\n"
              "  %c: f64[5, 2, 4] = einsum(%a, %b) {equation=\"bij,bjk->bik\"}\n"
              "  output %c\n}\n",
              "input 1 (inputs) has shape [5, 4, 4]; letter 'j' labels an axis of 4 here and of "
              "3 in an earlier input");
  parse_fails("graph \"g\" {\n  input %x: f64[3, 4]\n"
              "  %y: f64[3] = einsum(%x) {equation=\"ii->i\"}\n  output %y\n}\n",
              "letter 'i' labels two of its axes, of sizes 3 and 4");
  parse_fails("graph \"g\" {\n  input %x: f64[3, 4]\n"
              "  %y: f64[3] = einsum(%x) {equation=\"ij->k\"}\n  output %y\n}\n",
              "output letter 'k' must appear in an input and only once in the output");
  parse_fails("graph \"g\" {\n  input %x: f64[3, 4]\n"
              "  %y: f64[3] = einsum(%x) {equation=\"ij,jk->i\"}\n  output %y\n}\n",
              "equation \"ij,jk->i\" does not have one term for each of the 1 inputs");
  parse_fails("graph \"g\" {\n  input %x: f64[2, 3, 4]\n"
              "  %y: f64[4] = einsum(%x) {equation=\"...j->j\"}\n  output %y\n}\n",
              "the output needs \"...\" for the 2 axes the inputs' ellipses stand for");
  parse_fails("graph \"g\" {\n  input %x: f64[3, 4]\n"
              "  %y: f64[3] = einsum(%x) {equation=\"i2->i\"}\n  output %y\n}\n",
              "equation \"i2->i\": unexpected '2' at offset 1");
}
END_TEST

START_TEST(batch_norm_rule) {
  /* batchnorm_example */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[2, 3, 4, 5]\n  input %s: f32[3]\n"
                  "  input %b: f32[3]\n  input %m: f32[3]\n  input %v: f32[3]\n"
                  "  %y: f32[2, 3, 4, 5] = batch_norm(%x, %s, %b, %m, %v)\n  output %y\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[2, 3, 4, 5]\n  input %s: f32[3]\n"
              "  input %b: f32[3]\n  input %m: f32[4]\n  input %v: f32[3]\n"
              "  %y: f32[2, 3, 4, 5] = batch_norm(%x, %s, %b, %m, %v)\n  output %y\n}\n",
              "input 3 (mean) has shape [4]; batch_norm needs [3] (one per channel)");
  parse_fails("graph \"g\" {\n  input %x: f32[2, 3, 4, 5]\n  input %s: f32[3]\n"
              "  input %b: f16[3]\n  input %m: f32[3]\n  input %v: f32[3]\n"
              "  %y: f32[2, 3, 4, 5] = batch_norm(%x, %s, %b, %m, %v)\n  output %y\n}\n",
              "input 2 (bias) has dtype f16 but input 1 (scale) has f32");
}
END_TEST

START_TEST(instance_norm_rule) {
  /* instancenorm_example */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[1, 2, 1, 3]\n  input %s: f32[2]\n"
                  "  input %b: f32[2]\n"
                  "  %y: f32[1, 2, 1, 3] = instance_norm(%x, %s, %b)\n  output %y\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 2, 1, 3]\n  input %s: f32[2]\n"
              "  input %b: f32[3]\n"
              "  %y: f32[1, 2, 1, 3] = instance_norm(%x, %s, %b)\n  output %y\n}\n",
              "input 2 (bias) has shape [3]; instance_norm needs [2] (one per channel)");
  parse_fails("graph \"g\" {\n  input %x: f32[2, 3]\n  input %s: f32[3]\n  input %b: f32[3]\n"
              "  %y: f32[2, 3] = instance_norm(%x, %s, %b)\n  output %y\n}\n",
              "input 0 (x) has shape [2, 3]; instance_norm needs rank 3 or more");
}
END_TEST

START_TEST(layer_norm_rule) {
  /* layer_normalization_3d_axis1_epsilon; layer_normalization_default_axis (y alone, no bias) */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[2, 3, 5]\n  input %w: f32[3, 5]\n"
                  "  input %b: f32[3, 5]\n"
                  "  %y: f32[2, 3, 5], %mean: f32[2, 1, 1], %inv: f32[2, 1, 1] = "
                  "layer_norm(%x, %w, %b) {axis=1, epsilon=0.1}\n"
                  "  input %x2: f16[2, 3, 4, 5]\n  input %w2: f16[5]\n"
                  "  %y2: f16[2, 3, 4, 5] = layer_norm(%x2, %w2)\n"
                  "  output %y\n  output %mean\n  output %inv\n  output %y2\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[2, 3, 5]\n  input %w: f32[3, 4]\n"
              "  %y: f32[2, 3, 5] = layer_norm(%x, %w) {axis=1}\n  output %y\n}\n",
              "input 1 (scale) has shape [3, 4]; layer_norm needs it to broadcast to [2, 3, 5]");
  parse_fails("graph \"g\" {\n  input %x: f32[2, 3, 5]\n  input %w: f32[5]\n"
              "  %y: f32[2, 3, 5] = layer_norm(%x, %w) {axis=3}\n  output %y\n}\n",
              "axis 3 is out of range for rank 3");
  parse_fails("graph \"g\" {\n  input %x: f32[2, 3, 5]\n  input %w: f32[5]\n"
              "  %y: f32[2, 3, 5] = layer_norm(%x, %w) {stash_type=i32}\n  output %y\n}\n",
              "stash_type is i32; it must be a float dtype");
}
END_TEST

START_TEST(group_norm_rule) {
  /* group_normalization_example */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[3, 4, 2, 2]\n  input %s: f32[4]\n"
                  "  input %b: f32[4]\n"
                  "  %y: f32[3, 4, 2, 2] = group_norm(%x, %s, %b) {num_groups=2}\n"
                  "  output %y\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[3, 4, 2, 2]\n  input %s: f32[4]\n"
              "  input %b: f32[4]\n"
              "  %y: f32[3, 4, 2, 2] = group_norm(%x, %s, %b) {num_groups=3}\n  output %y\n}\n",
              "input 0 (x) has shape [3, 4, 2, 2]; its 4 channels do not divide into "
              "num_groups = 3 groups");
  parse_fails("graph \"g\" {\n  input %x: f32[3, 4, 2, 2]\n  input %s: f32[2]\n"
              "  input %b: f32[2]\n"
              "  %y: f32[3, 4, 2, 2] = group_norm(%x, %s, %b) {num_groups=2}\n  output %y\n}\n",
              "input 1 (scale) has shape [2]; group_norm needs [4] (one per channel)");
}
END_TEST

START_TEST(rms_norm_rule) {
  /* rms_normalization_4d_axis2; rms_normalization_2d_axis0 */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[2, 3, 4, 5]\n  input %w: f32[4, 5]\n"
                  "  %y: f32[2, 3, 4, 5] = rms_norm(%x, %w) {axis=2}\n"
                  "  input %x2: f32[3, 4]\n  input %w2: f32[3, 4]\n"
                  "  %y2: f32[3, 4] = rms_norm(%x2, %w2) {axis=0}\n"
                  "  output %y\n  output %y2\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[2, 3, 4, 5]\n  input %w: f32[3, 5]\n"
              "  %y: f32[2, 3, 4, 5] = rms_norm(%x, %w) {axis=2}\n  output %y\n}\n",
              "input 1 (scale) has shape [3, 5]; rms_norm needs it to broadcast to [2, 3, 4, 5]");
  parse_fails("graph \"g\" {\n  input %x: f32[2, 3, 4, 5]\n  input %w: f16[5]\n"
              "  %y: f32[2, 3, 4, 5] = rms_norm(%x, %w)\n  output %y\n}\n",
              "input 1 (scale) has dtype f16 but input 0 (x) has f32");
}
END_TEST

START_TEST(lrn_rule) {
  /* lrn */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[5, 5, 5, 5]\n"
                  "  %y: f32[5, 5, 5, 5] = lrn(%x) {size=3, alpha=0.0002, beta=0.5, bias=2.0}\n"
                  "  output %y\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[5, 5, 5, 5]\n"
              "  %y: f32[5, 5, 5, 5] = lrn(%x) {size=0}\n  output %y\n}\n",
              "size is 0; it must be positive");
  parse_fails("graph \"g\" {\n  input %x: f32[5]\n"
              "  %y: f32[5] = lrn(%x) {size=3}\n  output %y\n}\n",
              "input 0 (x) has shape [5]; lrn needs rank 2 or more");
}
END_TEST

START_TEST(attention_rule) {
  /* attention_4d_gqa_with_past_and_present */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %q: f32[2, 9, 4, 8]\n  input %k: f32[2, 3, 6, 8]\n"
                  "  input %v: f32[2, 3, 6, 8]\n  input %m: f32[4, 18]\n"
                  "  input %pk: f32[2, 3, 12, 8]\n  input %pv: f32[2, 3, 12, 8]\n"
                  "  %y: f32[2, 9, 4, 8], %k2: f32[2, 3, 18, 8], %v2: f32[2, 3, 18, 8] = "
                  "attention(%q, %k, %v, %m, %pk, %pv)\n"
                  "  output %y\n  output %k2\n  output %v2\n}\n");
  /* attention_3d_diff_heads_with_past_and_present */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %q: f32[2, 4, 24]\n  input %k: f32[2, 6, 24]\n"
                  "  input %v: f32[2, 6, 30]\n  input %m: f32[4, 18]\n"
                  "  input %pk: f32[2, 3, 12, 8]\n  input %pv: f32[2, 3, 12, 10]\n"
                  "  %y: f32[2, 4, 30], %k2: f32[2, 3, 18, 8], %v2: f32[2, 3, 18, 10] = "
                  "attention(%q, %k, %v, %m, %pk, %pv) {q_num_heads=3, kv_num_heads=3}\n"
                  "  output %y\n  output %k2\n  output %v2\n}\n");
  /* attention_4d_with_qk_matmul (present_key and present_value stand in for ONNX's absent
   * outputs); attention_4d_diff_heads_mask4d_padded_kv (a mask shorter than the keys);
   * attention_4d_attn_mask_bool */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %q: f32[2, 3, 4, 8]\n  input %k: f32[2, 3, 6, 8]\n"
                  "  input %v: f32[2, 3, 6, 8]\n"
                  "  %y: f32[2, 3, 4, 8], %k2: f32[2, 3, 6, 8], %v2: f32[2, 3, 6, 8], "
                  "%qk: f32[2, 3, 4, 6] = attention(%q, %k, %v)\n"
                  "  input %v10: f32[2, 3, 6, 10]\n  input %m4: f32[2, 3, 4, 4]\n"
                  "  input %n: i64[2]\n"
                  "  %y10: f32[2, 3, 4, 10] = attention(%q, %k, %v10, %m4, _, _, %n)\n"
                  "  input %mb: bool[4, 6]\n"
                  "  %yb: f32[2, 3, 4, 8] = attention(%q, %k, %v, %mb)\n"
                  "  output %y\n  output %qk\n  output %y10\n  output %yb\n}\n");
  parse_fails("graph \"g\" {\n  input %q: f32[2, 4, 24]\n  input %k: f32[2, 6, 24]\n"
              "  input %v: f32[2, 6, 24]\n"
              "  %y: f32[2, 4, 24] = attention(%q, %k, %v)\n  output %y\n}\n",
              "input 0 (q) has shape [2, 4, 24]; 3-D inputs need q_num_heads");
  parse_fails("graph \"g\" {\n  input %q: f32[2, 4, 4, 8]\n  input %k: f32[2, 3, 6, 8]\n"
              "  input %v: f32[2, 3, 6, 8]\n"
              "  %y: f32[2, 4, 4, 8] = attention(%q, %k, %v)\n  output %y\n}\n",
              "input 1 (k) has shape [2, 3, 6, 8]; its 3 heads do not divide q's 4 heads");
  parse_fails("graph \"g\" {\n  input %q: f32[2, 3, 4, 8]\n  input %k: f32[2, 3, 6, 4]\n"
              "  input %v: f32[2, 3, 6, 8]\n"
              "  %y: f32[2, 3, 4, 8] = attention(%q, %k, %v)\n  output %y\n}\n",
              "k needs q's head size");
  parse_fails("graph \"g\" {\n  input %q: f32[2, 3, 4, 8]\n  input %k: f32[2, 3, 6, 8]\n"
              "  input %v: f32[2, 3, 6, 8]\n  input %pk: f32[2, 3, 12, 8]\n"
              "  %y: f32[2, 3, 4, 8] = attention(%q, %k, %v, _, %pk)\n  output %y\n}\n",
              "past_key and past_value must be given together");
  parse_fails("graph \"g\" {\n  input %q: f32[2, 3, 4, 8]\n  input %k: f32[2, 3, 6, 8]\n"
              "  input %v: f32[2, 3, 6, 8]\n  input %pk: f32[2, 3, 12, 8]\n"
              "  input %pv: f32[2, 3, 11, 8]\n"
              "  %y: f32[2, 3, 4, 8] = attention(%q, %k, %v, _, %pk, %pv)\n  output %y\n}\n",
              "input 5 (past_value) has shape [2, 3, 11, 8]; attention needs [2, 3, 12, 8]");
  parse_fails("graph \"g\" {\n  input %q: f32[2, 3, 4, 8]\n  input %k: f32[2, 3, 6, 8]\n"
              "  input %v: f32[2, 3, 6, 8]\n  input %pk: f32[2, 3, 12, 8]\n"
              "  input %pv: f32[2, 3, 12, 8]\n  input %n: i64[2]\n"
              "  %y: f32[2, 3, 4, 8] = attention(%q, %k, %v, _, %pk, %pv, %n)\n"
              "  output %y\n}\n",
              "nonpad_kv_seqlen describes a cache outside the operator");
  parse_fails("graph \"g\" {\n  input %q: f32[2, 3, 4, 8]\n  input %k: f32[2, 3, 6, 8]\n"
              "  input %v: f32[2, 3, 6, 8]\n  input %m: f32[4, 7]\n"
              "  %y: f32[2, 3, 4, 8] = attention(%q, %k, %v, %m)\n  output %y\n}\n",
              "input 3 (mask) has shape [4, 7]; attention needs it to broadcast to [2, 3, 4, 6]");
  parse_fails("graph \"g\" {\n  input %q: f32[2, 3, 4, 8]\n  input %k: f32[2, 3, 6, 8]\n"
              "  input %v: f32[2, 3, 6, 8]\n  input %m: i32[4, 6]\n"
              "  %y: f32[2, 3, 4, 8] = attention(%q, %k, %v, %m)\n  output %y\n}\n",
              "input 3 (mask) has dtype i32; attention takes bool masks or masks of q's dtype f32");
}
END_TEST

START_TEST(linear_attention_rule) {
  /* linear_attention_gated_delta; _gated_delta_gqa; _gated_delta_mqa; _linear (with a past
   * state of another dtype); _gated_per_head_decay; _delta (without present_state) */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %q: f32[2, 4, 32]\n  input %k: f32[2, 4, 32]\n"
                  "  input %v: f32[2, 4, 32]\n  input %g: f32[2, 4, 32]\n"
                  "  input %b: f32[2, 4, 4]\n"
                  "  %y: f32[2, 4, 32], %s: f32[2, 4, 8, 8] = linear_attention(%q, %k, %v, _, %g, "
                  "%b) {q_num_heads=4, kv_num_heads=4}\n"
                  "  input %q8: f32[2, 4, 64]\n"
                  "  %y8: f32[2, 4, 64], %s8: f32[2, 4, 8, 8] = linear_attention(%q8, %k, %v, _, "
                  "%g, %b) {q_num_heads=8, kv_num_heads=4}\n"
                  "  input %k1: f32[2, 4, 8]\n  input %v1: f32[2, 4, 8]\n"
                  "  input %g1: f32[2, 4, 8]\n  input %b1: f32[2, 4, 1]\n"
                  "  %y1: f32[2, 4, 64], %s1: f32[2, 1, 8, 8] = linear_attention(%q8, %k1, %v1, _, "
                  "%g1, %b1) {q_num_heads=8, kv_num_heads=1}\n"
                  "  output %y\n  output %s\n  output %y8\n  output %s8\n  output %y1\n"
                  "  output %s1\n}\n");
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %q: f16[2, 1, 32]\n  input %k: f16[2, 1, 32]\n"
                  "  input %v: f16[2, 1, 32]\n  input %p: f32[2, 4, 8, 8]\n"
                  "  %y: f16[2, 1, 32], %s: f32[2, 4, 8, 8] = linear_attention(%q, %k, %v, %p) "
                  "{q_num_heads=4, kv_num_heads=4, update_rule=\"linear\"}\n"
                  "  input %g: f16[2, 1, 4]\n"
                  "  %yg: f16[2, 1, 32], %sg: f16[2, 4, 8, 8] = linear_attention(%q, %k, %v, _, "
                  "%g) {q_num_heads=4, kv_num_heads=4, update_rule=\"gated\"}\n"
                  "  input %b: f16[2, 1, 4]\n"
                  "  %yd: f16[2, 1, 32] = linear_attention(%q, %k, %v, _, _, %b) "
                  "{q_num_heads=4, kv_num_heads=4, update_rule=\"delta\"}\n"
                  "  output %y\n  output %s\n  output %yg\n  output %sg\n  output %yd\n}\n");
  parse_fails("graph \"g\" {\n  input %q: f32[2, 4, 32]\n  input %k: f32[2, 4, 32]\n"
              "  input %v: f32[2, 4, 32]\n  input %g: f32[2, 4, 32]\n"
              "  %y: f32[2, 4, 32], %s: f32[2, 4, 8, 8] = linear_attention(%q, %k, %v, _, %g) "
              "{q_num_heads=4, kv_num_heads=4}\n  output %y\n}\n",
              "update_rule \"gated_delta\" needs input 5 (beta)");
  parse_fails("graph \"g\" {\n  input %q: f32[2, 4, 32]\n  input %k: f32[2, 4, 32]\n"
              "  input %v: f32[2, 4, 32]\n  input %g: f32[2, 4, 32]\n"
              "  %y: f32[2, 4, 32], %s: f32[2, 4, 8, 8] = linear_attention(%q, %k, %v, _, %g) "
              "{q_num_heads=4, kv_num_heads=4, update_rule=\"linear\"}\n  output %y\n}\n",
              "update_rule \"linear\" takes no input 4 (decay)");
  parse_fails("graph \"g\" {\n  input %q: f32[2, 4, 32]\n  input %k: f32[2, 4, 32]\n"
              "  input %v: f32[2, 4, 32]\n  input %g: f32[2, 4, 16]\n"
              "  %y: f32[2, 4, 32], %s: f32[2, 4, 8, 8] = linear_attention(%q, %k, %v, _, %g) "
              "{q_num_heads=4, kv_num_heads=4, update_rule=\"gated\"}\n  output %y\n}\n",
              "input 4 (decay) has shape [2, 4, 16]; linear_attention needs [2, 4, 4 or 32]");
  parse_fails("graph \"g\" {\n  input %q: f32[2, 4, 24]\n  input %k: f32[2, 4, 16]\n"
              "  input %v: f32[2, 4, 16]\n"
              "  %y: f32[2, 4, 24], %s: f32[2, 4, 4, 4] = linear_attention(%q, %k, %v) "
              "{q_num_heads=6, kv_num_heads=4, update_rule=\"linear\"}\n  output %y\n}\n",
              "q_num_heads = 6 must be a positive multiple of kv_num_heads = 4");
  parse_fails("graph \"g\" {\n  input %q: f32[2, 4, 32]\n  input %k: f32[2, 4, 32]\n"
              "  input %v: f32[2, 4, 32]\n  input %p: f32[2, 4, 8, 4]\n"
              "  %y: f32[2, 4, 32], %s: f32[2, 4, 8, 8] = linear_attention(%q, %k, %v, %p) "
              "{q_num_heads=4, kv_num_heads=4, update_rule=\"linear\"}\n  output %y\n}\n",
              "input 3 (past_state) has shape [2, 4, 8, 4]; linear_attention needs [2, 4, 8, 8] "
              "(batch, kv heads, dk, dv)");
  parse_fails("graph \"g\" {\n  input %q: f32[2, 4, 32]\n  input %k: f32[2, 3, 32]\n"
              "  input %v: f32[2, 4, 32]\n"
              "  %y: f32[2, 4, 32], %s: f32[2, 4, 8, 8] = linear_attention(%q, %k, %v) "
              "{q_num_heads=4, kv_num_heads=4, update_rule=\"linear\"}\n  output %y\n}\n",
              "input 1 (k) has shape [2, 3, 32]; input 0 (q) has shape [2, 4, 32]; k and v need "
              "its batch and length");
}
END_TEST

START_TEST(rotary_embedding_rule) {
  /* rotary_embedding; rotary_embedding_3d_input; rotary_embedding_no_position_ids_rotary_dim */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[2, 4, 3, 8]\n  input %c: f32[50, 4]\n"
                  "  input %s: f32[50, 4]\n  input %p: i64[2, 3]\n"
                  "  %y: f32[2, 4, 3, 8] = rotary_embedding(%x, %c, %s, %p)\n"
                  "  input %x3: f32[2, 3, 32]\n"
                  "  %y3: f32[2, 3, 32] = rotary_embedding(%x3, %c, %s, %p) {num_heads=4}\n"
                  "  input %c2: f32[2, 3, 2]\n  input %s2: f32[2, 3, 2]\n"
                  "  %y2: f32[2, 4, 3, 8] = rotary_embedding(%x, %c2, %s2) "
                  "{rotary_embedding_dim=4}\n"
                  "  output %y\n  output %y3\n  output %y2\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[2, 4, 3, 8]\n  input %c: f32[50, 3]\n"
              "  input %s: f32[50, 3]\n  input %p: i64[2, 3]\n"
              "  %y: f32[2, 4, 3, 8] = rotary_embedding(%x, %c, %s, %p)\n  output %y\n}\n",
              "input 1 (cos_cache) has shape [50, 3]; with position_ids rotary_embedding needs "
              "[max position + 1, 4]");
  parse_fails("graph \"g\" {\n  input %x: f32[2, 3, 32]\n  input %c: f32[50, 4]\n"
              "  input %s: f32[50, 4]\n  input %p: i64[2, 3]\n"
              "  %y: f32[2, 3, 32] = rotary_embedding(%x, %c, %s, %p)\n  output %y\n}\n",
              "input 0 (x) has shape [2, 3, 32]; 3-D x needs num_heads");
  parse_fails("graph \"g\" {\n  input %x: f32[2, 4, 3, 8]\n  input %c: f32[50, 4]\n"
              "  input %s: f32[50, 4]\n  input %p: i64[3, 2]\n"
              "  %y: f32[2, 4, 3, 8] = rotary_embedding(%x, %c, %s, %p)\n  output %y\n}\n",
              "input 3 (position_ids) has shape [3, 2]; rotary_embedding needs [2, 3] (batch, "
              "length)");
  parse_fails("graph \"g\" {\n  input %x: f32[2, 4, 3, 8]\n  input %c: f32[2, 3, 4]\n"
              "  input %s: f32[1, 3, 4]\n"
              "  %y: f32[2, 4, 3, 8] = rotary_embedding(%x, %c, %s)\n  output %y\n}\n",
              "input 2 (sin_cache) has shape [1, 3, 4]; rotary_embedding needs [2, 3, 4]");
  parse_fails("graph \"g\" {\n  input %x: f32[2, 4, 3, 8]\n  input %c: f32[2, 3, 2]\n"
              "  input %s: f32[2, 3, 2]\n"
              "  %y: f32[2, 4, 3, 8] = rotary_embedding(%x, %c, %s) {rotary_embedding_dim=5}\n"
              "  output %y\n}\n",
              "its head size 8 and rotary_embedding_dim 5 must be even");
}
END_TEST

START_TEST(affine_grid_rule) {
  /* affine_grid_2d; affine_grid_3d_align_corners */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %t: f32[2, 2, 3]\n"
                  "  %y: f32[2, 5, 6, 2] = affine_grid(%t) {size=[2, 3, 5, 6]}\n"
                  "  input %t3: f32[2, 3, 4]\n"
                  "  %y3: f32[2, 4, 5, 6, 3] = affine_grid(%t3) "
                  "{size=[2, 3, 4, 5, 6], align_corners=1}\n"
                  "  output %y\n  output %y3\n}\n");
  parse_fails("graph \"g\" {\n  input %t: f32[2, 3, 4]\n"
              "  %y: f32[2, 5, 6, 2] = affine_grid(%t) {size=[2, 3, 5, 6]}\n  output %y\n}\n",
              "input 0 (theta) has shape [2, 3, 4]; affine_grid needs [2, 2, 3] (an affine map "
              "of homogeneous points per image)");
  parse_fails("graph \"g\" {\n  input %t: f32[2, 2, 3]\n"
              "  %y: f32[2, 5, 2] = affine_grid(%t) {size=[2, 3, 5]}\n  output %y\n}\n",
              "size lists 3 values; affine_grid needs [N, C, H, W] or [N, C, D, H, W]");
  parse_fails("graph \"g\" {\n  input %t: i32[2, 2, 3]\n"
              "  %y: i32[2, 5, 6, 2] = affine_grid(%t) {size=[2, 3, 5, 6]}\n  output %y\n}\n",
              "input 0 (theta) has dtype i32; affine_grid takes floats");
}
END_TEST

START_TEST(grid_sample_rule) {
  /* gridsample; gridsample_volumetric_nearest_align_corners_0 */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[1, 1, 4, 4]\n  input %grid: f32[1, 6, 6, 2]\n"
                  "  %y: f32[1, 1, 6, 6] = grid_sample(%x, %grid)\n"
                  "  input %x3: f32[1, 1, 3, 2, 2]\n  input %grid3: f32[1, 2, 4, 2, 3]\n"
                  "  %y3: f32[1, 1, 2, 4, 2] = grid_sample(%x3, %grid3) {mode=\"nearest\"}\n"
                  "  output %y\n  output %y3\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 1, 4, 4]\n  input %grid: f32[1, 6, 6, 3]\n"
              "  %y: f32[1, 1, 6, 6] = grid_sample(%x, %grid)\n  output %y\n}\n",
              "input 1 (grid) has shape [1, 6, 6, 3]; input 0 (x) has shape [1, 1, 4, 4], so "
              "grid needs 1 on axis 0 and 2 coordinates on its last");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 1, 4, 4]\n  input %grid: f32[1, 6, 6, 2]\n"
              "  %y: f32[1, 1, 6, 6] = grid_sample(%x, %grid) {mode=\"bilinear\"}\n"
              "  output %y\n}\n",
              "mode \"bilinear\" is not one of \"linear\", \"nearest\", \"cubic\"");
}
END_TEST

START_TEST(quantize_linear_rule) {
  /* quantizelinear_axis; quantizelinear_blocked_asymmetric; quantizelinear_blocked_symmetric;
   * quantizelinear_int16 */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[1, 3, 3, 2]\n  input %s: f32[3]\n"
                  "  input %z: u8[3]\n"
                  "  %y: u8[1, 3, 3, 2] = quantize_linear(%x, %s, %z)\n"
                  "  input %x2: f32[3, 4]\n  input %s2: f32[3, 2]\n  input %z2: u8[3, 2]\n"
                  "  %y2: u8[3, 4] = quantize_linear(%x2, %s2, %z2) {axis=1, block_size=2}\n"
                  "  %y3: i16[3, 4] = quantize_linear(%x2, %s2) "
                  "{to=i16, axis=1, block_size=2}\n"
                  "  input %x4: f32[16]\n  input %s4: f32[]\n  input %z4: i16[]\n"
                  "  %y4: i16[16] = quantize_linear(%x4, %s4, %z4) {to=i16}\n"
                  "  output %y\n  output %y2\n  output %y3\n  output %y4\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 3, 3, 2]\n  input %s: f32[3]\n"
              "  input %z: i8[3]\n"
              "  %y: u8[1, 3, 3, 2] = quantize_linear(%x, %s, %z)\n  output %y\n}\n",
              "input 2 (zero_point) has dtype i8 but to is u8; they must agree");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 3, 3, 2]\n  input %s: f32[2]\n"
              "  %y: u8[1, 3, 3, 2] = quantize_linear(%x, %s)\n  output %y\n}\n",
              "input 1 (scale) has shape [2]; x has shape [1, 3, 3, 2], so quantize_linear needs "
              "a single element or [3], one per index of axis 1");
  parse_fails("graph \"g\" {\n  input %x: f32[3, 4]\n  input %s: f32[3, 3]\n"
              "  %y: i16[3, 4] = quantize_linear(%x, %s) {to=i16, block_size=2}\n"
              "  output %y\n}\n",
              "input 1 (scale) has shape [3, 3]; x has shape [3, 4], so blocks of 2 along axis 1 "
              "need [3, 2]");
  parse_fails("graph \"g\" {\n  input %x: f32[3, 4]\n  input %s: f32[]\n"
              "  %y: i32[3, 4] = quantize_linear(%x, %s) {to=i32}\n  output %y\n}\n",
              "to is i32; quantize_linear produces i8, u8, i16 or u16");
}
END_TEST

START_TEST(dequantize_linear_rule) {
  /* dequantizelinear; dequantizelinear_axis; dequantizelinear_blocked */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: u8[4]\n  input %s: f32[]\n  input %z: u8[]\n"
                  "  %y: f32[4] = dequantize_linear(%x, %s, %z)\n"
                  "  input %x2: u8[1, 3, 3, 2]\n  input %s2: f32[3]\n  input %z2: u8[3]\n"
                  "  %y2: f32[1, 3, 3, 2] = dequantize_linear(%x2, %s2, %z2)\n"
                  "  input %x3: u8[1, 4, 3, 2]\n  input %s3: f32[1, 2, 3, 2]\n"
                  "  input %z3: u8[1, 2, 3, 2]\n"
                  "  %y3: f32[1, 4, 3, 2] = dequantize_linear(%x3, %s3, %z3) "
                  "{axis=1, block_size=2}\n"
                  "  output %y\n  output %y2\n  output %y3\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[4]\n  input %s: f32[]\n"
              "  %y: f32[4] = dequantize_linear(%x, %s)\n  output %y\n}\n",
              "input 0 (x) has dtype f32; dequantize_linear takes i8, u8, i16, u16 or i32");
  parse_fails("graph \"g\" {\n  input %x: u8[4]\n  input %s: f32[]\n  input %z: i8[]\n"
              "  %y: f32[4] = dequantize_linear(%x, %s, %z)\n  output %y\n}\n",
              "input 2 (zero_point) has dtype i8 but input 0 (x) has u8");
  parse_fails("graph \"g\" {\n  input %x: u8[1, 4, 3, 2]\n  input %s: f32[1, 2, 3, 2]\n"
              "  %y: f32[1, 4, 3, 2] = dequantize_linear(%x, %s)\n  output %y\n}\n",
              "so dequantize_linear needs a single element or [4], one per index of axis 1");
}
END_TEST

START_TEST(dynamic_quantize_linear_rule) {
  /* dynamicquantizelinear_min_adjusted */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[3, 4]\n"
                  "  %y: u8[3, 4], %scale: f32[], %zero: u8[] = dynamic_quantize_linear(%x)\n"
                  "  output %y\n  output %scale\n  output %zero\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f16[6]\n"
              "  %y: u8[6], %scale: f32[], %zero: u8[] = dynamic_quantize_linear(%x)\n"
              "  output %y\n}\n",
              "input 0 (x) has dtype f16; dynamic_quantize_linear needs f32");
}
END_TEST

START_TEST(matmul_integer_rule) {
  /* matmulinteger; per-row and per-column zero points */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %a: u8[4, 3]\n  input %b: u8[3, 2]\n"
                  "  input %az: u8[1]\n  input %bz: u8[1]\n"
                  "  %y: i32[4, 2] = matmul_integer(%a, %b, %az, %bz)\n"
                  "  input %c: i8[2, 4, 3]\n  input %cz: i8[2, 4, 1]\n  input %dz: u8[2]\n"
                  "  %z: i32[2, 4, 2] = matmul_integer(%c, %b, %cz, %dz)\n"
                  "  output %y\n  output %z\n}\n");
  parse_fails("graph \"g\" {\n  input %a: u8[4, 3]\n  input %b: u8[3, 2]\n  input %az: i8[1]\n"
              "  %y: i32[4, 2] = matmul_integer(%a, %b, %az)\n  output %y\n}\n",
              "input 2 (a_zero_point) has dtype i8 but input 0 (a) has u8");
  parse_fails("graph \"g\" {\n  input %a: u8[4, 3]\n  input %b: u8[3, 2]\n  input %az: u8[3]\n"
              "  %y: i32[4, 2] = matmul_integer(%a, %b, %az)\n  output %y\n}\n",
              "input 2 (a_zero_point) has shape [3]; input 0 (a) has shape [4, 3]; "
              "matmul_integer needs a single element or one per row");
  parse_fails("graph \"g\" {\n  input %a: i16[4, 3]\n  input %b: u8[3, 2]\n"
              "  %y: i32[4, 2] = matmul_integer(%a, %b)\n  output %y\n}\n",
              "input 0 (a) has dtype i16; matmul_integer takes i8 or u8");
}
END_TEST

START_TEST(qlinear_matmul_rule) {
  /* qlinearmatmul_3D_int8_float16; qlinearmatmul_2D_uint8_float32 */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %a: i8[2, 2, 4]\n  input %as: f16[1]\n"
                  "  input %az: i8[1]\n  input %b: i8[2, 4, 3]\n  input %bs: f16[1]\n"
                  "  input %bz: i8[1]\n  input %ys: f16[1]\n  input %yz: i8[1]\n"
                  "  %y: i8[2, 2, 3] = qlinear_matmul(%a, %as, %az, %b, %bs, %bz, %ys, %yz)\n"
                  "  input %c: u8[2, 4]\n  input %cs: f32[1]\n  input %cz: u8[1]\n"
                  "  input %d: u8[4, 3]\n  input %ds: f32[1]\n  input %dz: u8[1]\n"
                  "  input %es: f32[1]\n  input %ez: u8[1]\n"
                  "  %e: u8[2, 3] = qlinear_matmul(%c, %cs, %cz, %d, %ds, %dz, %es, %ez)\n"
                  "  output %y\n  output %e\n}\n");
  parse_fails("graph \"g\" {\n  input %a: i8[2, 4]\n  input %as: f16[1]\n  input %az: i8[1]\n"
              "  input %b: i8[4, 3]\n  input %bs: f32[1]\n  input %bz: i8[1]\n"
              "  input %ys: f16[1]\n  input %yz: i8[1]\n"
              "  %y: i8[2, 3] = qlinear_matmul(%a, %as, %az, %b, %bs, %bz, %ys, %yz)\n"
              "  output %y\n}\n",
              "input 4 (b_scale) has dtype f32 but input 1 (a_scale) has f16");
  parse_fails("graph \"g\" {\n  input %a: i8[2, 4]\n  input %as: f16[1]\n  input %az: i8[1]\n"
              "  input %b: i8[4, 3]\n  input %bs: f16[1]\n  input %bz: i8[1]\n"
              "  input %ys: f16[1]\n  input %yz: i8[3]\n"
              "  %y: i8[2, 3] = qlinear_matmul(%a, %as, %az, %b, %bs, %bz, %ys, %yz)\n"
              "  output %y\n}\n",
              "input 7 (y_zero_point) has shape [3]; qlinear_matmul needs a single element (per "
              "tensor)");
}
END_TEST

START_TEST(conv_integer_rule) {
  /* convinteger_with_padding; convinteger_without_padding */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: u8[1, 1, 3, 3]\n  input %w: u8[2, 1, 2, 2]\n"
                  "  input %xz: u8[]\n  input %wz: u8[2]\n"
                  "  %y: i32[1, 2, 4, 4] = conv_integer(%x, %w, %xz, %wz) {pads=[1, 1, 1, 1]}\n"
                  "  input %w1: u8[1, 1, 2, 2]\n"
                  "  %y1: i32[1, 1, 2, 2] = conv_integer(%x, %w1, %xz)\n"
                  "  output %y\n  output %y1\n}\n");
  parse_fails("graph \"g\" {\n  input %x: u8[1, 1, 3, 3]\n  input %w: u8[2, 1, 2, 2]\n"
              "  input %xz: u8[2]\n"
              "  %y: i32[1, 2, 2, 2] = conv_integer(%x, %w, %xz)\n  output %y\n}\n",
              "input 2 (x_zero_point) has shape [2]; conv_integer needs a single element (per "
              "tensor)");
  parse_fails("graph \"g\" {\n  input %x: u8[1, 2, 3, 3]\n  input %w: u8[2, 1, 2, 2]\n"
              "  %y: i32[1, 2, 2, 2] = conv_integer(%x, %w)\n  output %y\n}\n",
              "input 1 (w) has shape [2, 1, 2, 2]; its axis 1 times groups (1) must give the 2 "
              "channels of x");
}
END_TEST

START_TEST(qlinear_conv_rule) {
  /* qlinearconv */
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: u8[1, 1, 7, 7]\n  input %xs: f32[]\n"
                  "  input %xz: u8[]\n  input %w: u8[1, 1, 1, 1]\n  input %ws: f32[1]\n"
                  "  input %wz: u8[1]\n  input %ys: f32[]\n  input %yz: u8[]\n"
                  "  %y: u8[1, 1, 7, 7] = qlinear_conv(%x, %xs, %xz, %w, %ws, %wz, %ys, %yz)\n"
                  "  input %b: i32[1]\n  input %yz8: i8[]\n"
                  "  %y8: i8[1, 1, 7, 7] = "
                  "qlinear_conv(%x, %xs, %xz, %w, %ws, %wz, %ys, %yz8, %b)\n"
                  "  output %y\n  output %y8\n}\n");
  parse_fails("graph \"g\" {\n  input %x: u8[1, 1, 7, 7]\n  input %xs: f32[]\n"
              "  input %xz: u8[]\n  input %w: u8[1, 1, 1, 1]\n  input %ws: f32[1]\n"
              "  input %wz: u8[1]\n  input %ys: f32[]\n  input %yz: u8[]\n  input %b: f32[1]\n"
              "  %y: u8[1, 1, 7, 7] = qlinear_conv(%x, %xs, %xz, %w, %ws, %wz, %ys, %yz, %b)\n"
              "  output %y\n}\n",
              "input 8 (b) has dtype f32; qlinear_conv needs i32");
  parse_fails("graph \"g\" {\n  input %x: u8[1, 1, 7, 7]\n  input %xs: f32[]\n"
              "  input %xz: u8[]\n  input %w: u8[1, 1, 1, 1]\n  input %ws: f32[2]\n"
              "  input %wz: u8[1]\n  input %ys: f32[]\n  input %yz: u8[]\n"
              "  %y: u8[1, 1, 7, 7] = qlinear_conv(%x, %xs, %xz, %w, %ws, %wz, %ys, %yz)\n"
              "  output %y\n}\n",
              "input 4 (w_scale) has shape [2]; qlinear_conv needs a single element or [1], one "
              "per output channel");
}
END_TEST

START_TEST(max_roi_pool_rule) {
  EXPECT_GRAPH_OK("graph \"g\" {\n  input %x: f32[1, 3, 10, 10]\n  input %r: f32[4, 5]\n"
                  "  %y: f32[4, 3, 2, 3] = max_roi_pool(%x, %r) {pooled_shape=[2, 3], "
                  "spatial_scale=0.5}\n  output %y\n}\n");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 3, 10, 10]\n  input %r: f32[4, 4]\n"
              "  %y: f32[4, 3, 2, 2] = max_roi_pool(%x, %r) {pooled_shape=[2, 2]}\n"
              "  output %y\n}\n",
              "input 1 (rois) has shape [4, 4]; max_roi_pool needs [regions, 5]");
  parse_fails("graph \"g\" {\n  input %x: f32[1, 3, 10, 10]\n  input %r: f32[4, 5]\n"
              "  %y: f32[4, 3, 2, 2] = max_roi_pool(%x, %r) {pooled_shape=[2]}\n"
              "  output %y\n}\n",
              "pooled_shape must be two positive sizes");
}
END_TEST

Suite *suite_rules_nn(void) {
  Suite *suite = suite_create("rules_nn");
  TCase *windows = tcase_create("windows");
  tcase_add_test(windows, conv_rule);
  tcase_add_test(windows, blocked_layout_rules);
  tcase_add_test(windows, conv_transpose_rule);
  tcase_add_test(windows, deform_conv_rule);
  tcase_add_test(windows, causal_conv_with_state_rule);
  tcase_add_test(windows, col2im_rule);
  tcase_add_test(windows, pool_rule);
  tcase_add_test(windows, max_unpool_rule);
  tcase_add_test(windows, roi_align_rule);
  tcase_add_test(windows, max_roi_pool_rule);
  suite_add_tcase(suite, windows);
  TCase *products = tcase_create("products");
  tcase_add_test(products, matmul_rule);
  tcase_add_test(products, gemm_rule);
  tcase_add_test(products, det_rule);
  tcase_add_test(products, einsum_rule);
  suite_add_tcase(suite, products);
  TCase *normalisation = tcase_create("normalisation");
  tcase_add_test(normalisation, batch_norm_rule);
  tcase_add_test(normalisation, instance_norm_rule);
  tcase_add_test(normalisation, layer_norm_rule);
  tcase_add_test(normalisation, group_norm_rule);
  tcase_add_test(normalisation, rms_norm_rule);
  tcase_add_test(normalisation, lrn_rule);
  suite_add_tcase(suite, normalisation);
  TCase *sequences = tcase_create("sequences");
  tcase_add_test(sequences, attention_rule);
  tcase_add_test(sequences, linear_attention_rule);
  tcase_add_test(sequences, rotary_embedding_rule);
  tcase_add_test(sequences, affine_grid_rule);
  tcase_add_test(sequences, grid_sample_rule);
  suite_add_tcase(suite, sequences);
  TCase *quantisation = tcase_create("quantisation");
  tcase_add_test(quantisation, quantize_linear_rule);
  tcase_add_test(quantisation, dequantize_linear_rule);
  tcase_add_test(quantisation, dynamic_quantize_linear_rule);
  tcase_add_test(quantisation, matmul_integer_rule);
  tcase_add_test(quantisation, qlinear_matmul_rule);
  tcase_add_test(quantisation, conv_integer_rule);
  tcase_add_test(quantisation, qlinear_conv_rule);
  suite_add_tcase(suite, quantisation);
  return suite;
}
