/* Every tessel operator, once. Columns: name, fusion pattern, inputs, outputs, type rule,
 * compute rule (`none` where there is none yet), attributes, and one line saying what it
 * computes (shown by `tessel ops`). Ports: "x w b?"
 * names inputs, `?` marks an optional one and `...` a list of one or more. Attribute defaults
 * are written in the IR's literal syntax; NULL marks a required attribute. Shape-deciding
 * parameters are attributes: by the time a graph exists they are known (ir/onnx resolves them
 * at import). */
#ifndef TSL_IR_OPS_OP_TABLE_H
#define TSL_IR_OPS_OP_TABLE_H

#define TSL_ATTRS(...) ((const tsl_attr_def[]){__VA_ARGS__, {0}})
#define TSL_NO_ATTRS ((const tsl_attr_def[]){{0}})
#define A_INT(name, value) {name, TSL_ATTR_INT, value}
#define A_FLOAT(name, value) {name, TSL_ATTR_FLOAT, value}
#define A_INTS(name, value) {name, TSL_ATTR_INTS, value}
#define A_FLOATS(name, value) {name, TSL_ATTR_FLOATS, value}
#define A_STRING(name, value) {name, TSL_ATTR_STRING, value}
#define A_DTYPE(name, value) {name, TSL_ATTR_DTYPE, value}

/* Window attributes shared by convolutions and pooling. Empty lists mean strides and dilations
 * of 1 and no padding; pads list every spatial axis's begin, then every axis's end. */
#define CONV_ATTRS A_INTS("strides", "[]"), A_INTS("pads", "[]"), A_INTS("dilations", "[]"), \
                   A_INT("groups", "1")
#define POOL_ATTRS A_INTS("kernel", NULL), A_INTS("strides", "[]"), A_INTS("pads", "[]"), \
                   A_INTS("dilations", "[]"), A_INT("ceil_mode", "0")
#define REDUCE_ATTRS TSL_ATTRS(A_INTS("axes", "[]"), A_INT("keepdims", "1")) /* [] = all axes */
#define ARG_REDUCE_ATTRS TSL_ATTRS(A_INT("axis", "0"), A_INT("keepdims", "1"), \
                                   A_INT("select_last_index", "0"))
#define CUMULATIVE_ATTRS TSL_ATTRS(A_INT("axis", "0"), A_INT("exclusive", "0"), \
                                   A_INT("reverse", "0"))

#define TSL_OP_TABLE(X)                                                                            \
  /* unary math on floats */                                                                       \
  X(sqrt, ELEMWISE, "x", "y", float_unary, unary, TSL_NO_ATTRS, "√x")                               \
  X(reciprocal, ELEMWISE, "x", "y", float_unary, unary, TSL_NO_ATTRS, "1/x")                        \
  X(exp, ELEMWISE, "x", "y", float_unary, unary, TSL_NO_ATTRS, "eˣ")                                \
  X(log, ELEMWISE, "x", "y", float_unary, unary, TSL_NO_ATTRS, "natural logarithm")                 \
  X(sin, ELEMWISE, "x", "y", float_unary, unary, TSL_NO_ATTRS, "sine")                              \
  X(cos, ELEMWISE, "x", "y", float_unary, unary, TSL_NO_ATTRS, "cosine")                            \
  X(tan, ELEMWISE, "x", "y", float_unary, unary, TSL_NO_ATTRS, "tangent")                           \
  X(asin, ELEMWISE, "x", "y", float_unary, unary, TSL_NO_ATTRS, "arcsine")                          \
  X(acos, ELEMWISE, "x", "y", float_unary, unary, TSL_NO_ATTRS, "arccosine")                        \
  X(atan, ELEMWISE, "x", "y", float_unary, unary, TSL_NO_ATTRS, "arctangent")                       \
  X(sinh, ELEMWISE, "x", "y", float_unary, unary, TSL_NO_ATTRS, "hyperbolic sine")                  \
  X(cosh, ELEMWISE, "x", "y", float_unary, unary, TSL_NO_ATTRS, "hyperbolic cosine")                \
  X(tanh, ELEMWISE, "x", "y", float_unary, unary, TSL_NO_ATTRS, "hyperbolic tangent")               \
  X(asinh, ELEMWISE, "x", "y", float_unary, unary, TSL_NO_ATTRS, "inverse hyperbolic sine")         \
  X(acosh, ELEMWISE, "x", "y", float_unary, unary, TSL_NO_ATTRS, "inverse hyperbolic cosine")       \
  X(atanh, ELEMWISE, "x", "y", float_unary, unary, TSL_NO_ATTRS, "inverse hyperbolic tangent")      \
  X(erf, ELEMWISE, "x", "y", float_unary, unary, TSL_NO_ATTRS, "error function")                    \
  X(ceil, ELEMWISE, "x", "y", float_unary, unary, TSL_NO_ATTRS, "rounds up")                        \
  X(floor, ELEMWISE, "x", "y", float_unary, unary, TSL_NO_ATTRS, "rounds down")                     \
  X(round, ELEMWISE, "x", "y", float_unary, unary, TSL_NO_ATTRS, "rounds to nearest, halves to even") \
  X(sigmoid, ELEMWISE, "x", "y", float_unary, unary, TSL_NO_ATTRS, "1/(1+e⁻ˣ)")                     \
  X(softplus, ELEMWISE, "x", "y", float_unary, unary, TSL_NO_ATTRS, "log(1+eˣ)")                    \
  X(softsign, ELEMWISE, "x", "y", float_unary, unary, TSL_NO_ATTRS, "x/(1+|x|)")                    \
  X(mish, ELEMWISE, "x", "y", float_unary, unary, TSL_NO_ATTRS, "x·tanh(softplus(x))")              \
  X(hard_swish, ELEMWISE, "x", "y", float_unary, unary, TSL_NO_ATTRS, "x·max(0, min(1, x/6+½))")    \
  X(gelu, ELEMWISE, "x", "y", float_unary, unary,                                                   \
    TSL_ATTRS(A_STRING("approximate", "\"none\"")),                                                \
    "x·Φ(x); approximate=\"tanh\" uses the tanh form")                                             \
  X(leaky_relu, ELEMWISE, "x", "y", float_unary, unary,                                             \
    TSL_ATTRS(A_FLOAT("alpha", "0.01")),                                                           \
    "x<0 ? αx : x")                                                                                \
  X(elu, ELEMWISE, "x", "y", float_unary, unary, TSL_ATTRS(A_FLOAT("alpha", "1.0")), "x<0 ? α(eˣ-1) : x") \
  X(celu, ELEMWISE, "x", "y", float_unary, unary,                                                   \
    TSL_ATTRS(A_FLOAT("alpha", "1.0")),                                                            \
    "max(0,x) + min(0, α(e^(x/α)-1))")                                                             \
  X(selu, ELEMWISE, "x", "y", float_unary, unary,                                                   \
    TSL_ATTRS(A_FLOAT("alpha", "1.6732631921768188"), A_FLOAT("gamma", "1.0507010221481323")),     \
    "γ·(x<0 ? α(eˣ-1) : x)")                                                                       \
  X(hard_sigmoid, ELEMWISE, "x", "y", float_unary, unary,                                           \
    TSL_ATTRS(A_FLOAT("alpha", "0.2"), A_FLOAT("beta", "0.5")),                                    \
    "max(0, min(1, αx+β))")                                                                        \
  X(thresholded_relu, ELEMWISE, "x", "y", float_unary, unary,                                       \
    TSL_ATTRS(A_FLOAT("alpha", "1.0")),                                                            \
    "x>α ? x : 0")                                                                                 \
  X(swish, ELEMWISE, "x", "y", float_unary, unary, TSL_ATTRS(A_FLOAT("alpha", "1.0")), "x·sigmoid(αx)") \
  /* unary on numbers, bits and truth values */                                                    \
  X(abs, ELEMWISE, "x", "y", numeric_unary, unary, TSL_NO_ATTRS, "|x|")                             \
  X(neg, ELEMWISE, "x", "y", signed_unary, unary, TSL_NO_ATTRS, "-x")                               \
  X(sign, ELEMWISE, "x", "y", numeric_unary, unary, TSL_NO_ATTRS, "-1, 0 or 1")                     \
  X(relu, ELEMWISE, "x", "y", signed_unary, unary, TSL_NO_ATTRS, "max(x, 0)")                       \
  X(shrink, ELEMWISE, "x", "y", numeric_unary, unary,                                               \
    TSL_ATTRS(A_FLOAT("bias", "0.0"), A_FLOAT("lambd", "0.5")),                                    \
    "x<-λ ? x+bias : x>λ ? x-bias : 0")                                                            \
  X(bitwise_not, ELEMWISE, "x", "y", integer_unary, unary, TSL_NO_ATTRS, "~x")                      \
  X(logical_not, ELEMWISE, "x", "y", bool_unary, unary, TSL_NO_ATTRS, "!x")                         \
  X(is_nan, ELEMWISE, "x", "y", float_predicate, unary, TSL_NO_ATTRS, "x is NaN, as bool")          \
  X(is_inf, ELEMWISE, "x", "y", float_predicate, unary,                                             \
    TSL_ATTRS(A_INT("detect_positive", "1"), A_INT("detect_negative", "1")),                       \
    "x is ±∞ (as detected), as bool")                                                              \
  X(cast, ELEMWISE, "x", "y", cast, unary,                                                          \
    TSL_ATTRS(A_DTYPE("to", NULL), A_INT("saturate", "1")),                                        \
    "x converted to dtype `to`")                                                                   \
  X(bit_cast, ELEMWISE, "x", "y", bit_cast, unary,                                                  \
    TSL_ATTRS(A_DTYPE("to", NULL)),                                                                \
    "x's bits read as dtype `to`, which must be as wide")                                          \
  X(clip, BROADCAST, "x min? max?", "y", clip, clip,                                               \
    TSL_NO_ATTRS,                                                                                  \
    "x held within the 0-d bounds min and max, where given")                                       \
  /* binary, broadcasting as numpy does */                                                         \
  X(add, BROADCAST, "a b", "y", numeric_binary, binary, TSL_NO_ATTRS, "a + b")                       \
  X(sub, BROADCAST, "a b", "y", numeric_binary, binary, TSL_NO_ATTRS, "a - b")                       \
  X(mul, BROADCAST, "a b", "y", numeric_binary, binary, TSL_NO_ATTRS, "a · b")                       \
  X(div, BROADCAST, "a b", "y", numeric_binary, binary, TSL_NO_ATTRS, "a / b; integers truncate")    \
  X(mod, BROADCAST, "a b", "y", numeric_binary, binary,                                              \
    TSL_ATTRS(A_INT("fmod", "0")),                                                                 \
    "a mod b, with the sign of b (fmod=0) or of a (fmod=1)")                                       \
  X(maximum, BROADCAST, "a b", "y", numeric_binary, binary, TSL_NO_ATTRS, "max(a, b)")               \
  X(minimum, BROADCAST, "a b", "y", numeric_binary, binary, TSL_NO_ATTRS, "min(a, b)")               \
  X(pow, BROADCAST, "a b", "y", pow, binary, TSL_NO_ATTRS, "aᵇ; b may have another numeric dtype")   \
  X(prelu, BROADCAST, "x slope", "y", prelu, binary,                                                 \
    TSL_NO_ATTRS,                                                                                  \
    "x<0 ? slope·x : x; slope broadcasts to x")                                                    \
  X(bitwise_and, BROADCAST, "a b", "y", integer_binary, binary, TSL_NO_ATTRS, "a & b")               \
  X(bitwise_or, BROADCAST, "a b", "y", integer_binary, binary, TSL_NO_ATTRS, "a | b")                \
  X(bitwise_xor, BROADCAST, "a b", "y", integer_binary, binary, TSL_NO_ATTRS, "a ^ b")               \
  X(left_shift, BROADCAST, "a b", "y", integer_binary, binary, TSL_NO_ATTRS, "a << b")               \
  X(right_shift, BROADCAST, "a b", "y", integer_binary, binary, TSL_NO_ATTRS, "a >> b")              \
  X(logical_and, BROADCAST, "a b", "y", bool_binary, binary, TSL_NO_ATTRS, "a && b")                 \
  X(logical_or, BROADCAST, "a b", "y", bool_binary, binary, TSL_NO_ATTRS, "a || b")                  \
  X(logical_xor, BROADCAST, "a b", "y", bool_binary, binary, TSL_NO_ATTRS, "a != b, on bools")       \
  X(equal, BROADCAST, "a b", "y", compare, binary, TSL_NO_ATTRS, "a == b, as bool")                  \
  X(less, BROADCAST, "a b", "y", compare, binary, TSL_NO_ATTRS, "a < b, as bool")                    \
  X(less_equal, BROADCAST, "a b", "y", compare, binary, TSL_NO_ATTRS, "a <= b, as bool")             \
  X(greater, BROADCAST, "a b", "y", compare, binary, TSL_NO_ATTRS, "a > b, as bool")                 \
  X(greater_equal, BROADCAST, "a b", "y", compare, binary, TSL_NO_ATTRS, "a >= b, as bool")          \
  X(where, BROADCAST, "condition a b", "y", where, where, TSL_NO_ATTRS, "condition ? a : b")        \
  /* reductions over `axes` (all axes when empty) */                                               \
  X(reduce_sum, REDUCE, "x", "y", reduce, reduce, REDUCE_ATTRS, "Σx over axes")                      \
  X(reduce_mean, REDUCE, "x", "y", reduce, reduce, REDUCE_ATTRS, "mean of x over axes")              \
  X(reduce_max, REDUCE, "x", "y", reduce, reduce, REDUCE_ATTRS, "max of x over axes")                \
  X(reduce_min, REDUCE, "x", "y", reduce, reduce, REDUCE_ATTRS, "min of x over axes")                \
  X(reduce_prod, REDUCE, "x", "y", reduce, reduce, REDUCE_ATTRS, "Πx over axes")                     \
  X(reduce_l1, REDUCE, "x", "y", reduce, reduce, REDUCE_ATTRS, "Σ|x| over axes")                     \
  X(reduce_l2, REDUCE, "x", "y", reduce, reduce, REDUCE_ATTRS, "√Σx² over axes")                     \
  X(reduce_sum_square, REDUCE, "x", "y", reduce, reduce, REDUCE_ATTRS, "Σx² over axes")              \
  X(reduce_log_sum, REDUCE, "x", "y", reduce, reduce, REDUCE_ATTRS, "log Σx over axes")              \
  X(reduce_log_sum_exp, REDUCE, "x", "y", reduce, reduce, REDUCE_ATTRS, "log Σeˣ over axes")         \
  X(argmax, REDUCE, "x", "y", arg_reduce, arg_reduce,                                                    \
    ARG_REDUCE_ATTRS,                                                                              \
    "index of the largest along axis, as i64")                                                     \
  X(argmin, REDUCE, "x", "y", arg_reduce, arg_reduce,                                                    \
    ARG_REDUCE_ATTRS,                                                                              \
    "index of the smallest along axis, as i64")                                                    \
  X(cumsum, OPAQUE, "x", "y", cumulative, cumulative, CUMULATIVE_ATTRS, "running sum along axis")        \
  X(cumprod, OPAQUE, "x", "y", cumulative, cumulative, CUMULATIVE_ATTRS, "running product along axis")   \
  X(topk, OPAQUE, "x", "values indices", topk, topk,                                               \
    TSL_ATTRS(A_INT("k", NULL), A_INT("axis", "-1"), A_INT("largest", "1"), A_INT("sorted", "1")), \
    "the k largest (or smallest) along axis, and their i64 indices")                               \
  /* normalisation */                                                                              \
  X(softmax, OPAQUE, "x", "y", along_axis, softmax, TSL_ATTRS(A_INT("axis", "-1")), "eˣ / Σeˣ along axis") \
  X(log_softmax, OPAQUE, "x", "y", along_axis, softmax,                                               \
    TSL_ATTRS(A_INT("axis", "-1")),                                                                \
    "log softmax along axis")                                                                      \
  X(hardmax, OPAQUE, "x", "y", along_axis, hardmax,                                                   \
    TSL_ATTRS(A_INT("axis", "-1")),                                                                \
    "1 at the first largest along axis, 0 elsewhere")                                              \
  X(lp_norm, OPAQUE, "x", "y", along_axis, lp_norm,                                                   \
    TSL_ATTRS(A_INT("axis", "-1"), A_INT("p", "2")),                                               \
    "x / ‖x‖ₚ along axis")                                                                         \
  X(batch_norm, BROADCAST, "x scale bias mean var", "y", batch_norm, batch_norm,                         \
    TSL_ATTRS(A_FLOAT("epsilon", "1e-05")),                                                        \
    "(x-mean)/√(var+ε)·scale + bias, per channel (inference)")                                     \
  X(instance_norm, OPAQUE, "x scale bias", "y", instance_norm, instance_norm,                               \
    TSL_ATTRS(A_FLOAT("epsilon", "1e-05")),                                                        \
    "normalises each sample and channel over the spatial axes")                                    \
  X(layer_norm, OPAQUE, "x scale bias?", "y mean? inv_std_dev?", layer_norm, layer_norm,                 \
    TSL_ATTRS(A_INT("axis", "-1"), A_FLOAT("epsilon", "1e-05"), A_DTYPE("stash_type", "f32")),     \
    "normalises over the axes from axis on; optional mean and 1/σ outputs")                        \
  X(group_norm, OPAQUE, "x scale bias", "y", group_norm, group_norm,                                     \
    TSL_ATTRS(A_INT("num_groups", NULL), A_FLOAT("epsilon", "1e-05"),                              \
              A_DTYPE("stash_type", "f32")),                                                       \
    "normalises each group of channels; scale and bias per channel")                               \
  X(rms_norm, OPAQUE, "x scale", "y", rms_norm, rms_norm,                                              \
    TSL_ATTRS(A_INT("axis", "-1"), A_FLOAT("epsilon", "1e-05"), A_DTYPE("stash_type", "f32")),     \
    "x/√(mean(x²)+ε)·scale over the axes from axis on")                                            \
  X(lrn, OPAQUE, "x", "y", lrn, lrn,                                                              \
    TSL_ATTRS(A_INT("size", NULL), A_FLOAT("alpha", "0.0001"), A_FLOAT("beta", "0.75"),            \
              A_FLOAT("bias", "1.0")),                                                             \
    "local response normalisation across channels")                                                \
  /* convolution, pooling, products */                                                             \
  X(conv, OUT_ELEMWISE_FUSABLE, "x w b?", "y", conv, conv,                                         \
    TSL_ATTRS(CONV_ATTRS, A_STRING("layout", "\"NCHW\"")),                                         \
    "N-d convolution of x [N, C, …] with w [M, C/groups, k…], plus bias; layout \"NCHW{x}c\": "   \
    "x [N, C/x, H, W, x], w [M/x, C/x, kh, kw, x, x] (depthwise [M/x, 1, kh, kw, x]), y blocked") \
  X(conv_transpose, OUT_ELEMWISE_FUSABLE, "x w b?", "y", conv_transpose, conv_transpose,                     \
    TSL_ATTRS(CONV_ATTRS, A_INTS("output_padding", "[]")),                                         \
    "N-d transposed convolution of x with w [C, M/groups, k…], plus bias")                         \
  X(deform_conv, OUT_ELEMWISE_FUSABLE, "x w offset b? mask?", "y", deform_conv, deform_conv,              \
    TSL_ATTRS(CONV_ATTRS, A_INT("offset_groups", "1")),                                            \
    "convolution sampling x bilinearly at kernel taps moved by offset, each weighted by mask")     \
  X(causal_conv_with_state, OUT_ELEMWISE_FUSABLE, "x w b? past_state?", "y present_state?",        \
    causal_conv_with_state, causal_conv_with_state,                                                                   \
    TSL_ATTRS(A_STRING("activation", "\"none\"")),                                                 \
    "depthwise causal 1-d convolution of past_state ++ x; present_state keeps the last k-1 steps") \
  X(col2im, OUT_ELEMWISE_FUSABLE, "x", "y", col2im, col2im,                                             \
    TSL_ATTRS(A_INTS("image_shape", NULL), A_INTS("block_shape", NULL), A_INTS("strides", "[]"),   \
              A_INTS("pads", "[]"), A_INTS("dilations", "[]")),                                    \
    "sums the blocks in the columns of x [N, C·∏block_shape, L] into y [N, C, image_shape…]")      \
  X(max_pool, OUT_ELEMWISE_FUSABLE, "x", "y indices?", pool, pool,                                 \
    TSL_ATTRS(POOL_ATTRS, A_INT("storage_order", "0"), A_STRING("layout", "\"NCHW\"")),           \
    "max over windows; optional i64 indices into the flattened input; layout as conv's")           \
  X(avg_pool, OUT_ELEMWISE_FUSABLE, "x", "y", pool, pool,                                          \
    TSL_ATTRS(POOL_ATTRS, A_INT("count_include_pad", "0"), A_STRING("layout", "\"NCHW\"")),       \
    "mean over windows; layout as conv's")                                                         \
  X(lp_pool, OUT_ELEMWISE_FUSABLE, "x", "y", pool, pool,                                           \
    TSL_ATTRS(POOL_ATTRS, A_INT("p", "2")),                                                        \
    "p-norm over windows")                                                                         \
  X(max_unpool, OPAQUE, "x indices", "y", max_unpool, max_unpool,                                        \
    TSL_ATTRS(A_INTS("kernel", NULL), A_INTS("strides", "[]"), A_INTS("pads", "[]"),               \
              A_INTS("output_shape", "[]")),                                                       \
    "zeros with x placed at the flat indices max_pool gave; output_shape [] = the window's size")  \
  X(roi_align, OPAQUE, "x rois batch_indices", "y", roi_align, roi_align,                               \
    TSL_ATTRS(A_STRING("mode", "\"avg\""), A_INT("output_height", "1"),                            \
              A_INT("output_width", "1"), A_INT("sampling_ratio", "0"),                            \
              A_FLOAT("spatial_scale", "1.0"),                                                     \
              A_STRING("coordinate_transformation_mode", "\"half_pixel\"")),                       \
    "each region of rois [R, 4] pooled from x[batch_indices] to output_height×output_width")       \
  X(max_roi_pool, OPAQUE, "x rois", "y", max_roi_pool, max_roi_pool,                                       \
    TSL_ATTRS(A_INTS("pooled_shape", NULL), A_FLOAT("spatial_scale", "1.0")),                      \
    "max over each region of rois [R, 5] (batch index, x1, y1, x2, y2), pooled to pooled_shape")   \
  X(matmul, OUT_ELEMWISE_FUSABLE, "a b", "y", matmul, matmul,                                        \
    TSL_NO_ATTRS,                                                                                  \
    "matrix product, numpy semantics (batch axes broadcast)")                                      \
  X(gemm, OUT_ELEMWISE_FUSABLE, "a b c?", "y", gemm, gemm,                                         \
    TSL_ATTRS(A_FLOAT("alpha", "1.0"), A_FLOAT("beta", "1.0"), A_INT("trans_a", "0"),              \
              A_INT("trans_b", "0")),                                                              \
    "α·op(a)·op(b) + β·c, op transposing when asked")                                              \
  X(einsum, OUT_ELEMWISE_FUSABLE, "inputs...", "y", einsum, einsum,                                  \
    TSL_ATTRS(A_STRING("equation", NULL)),                                                         \
    "Einstein summation by equation")                                                              \
  X(det, OPAQUE, "x", "y", det, det, TSL_NO_ATTRS, "determinant of each matrix in x's last two axes") \
  X(attention, OPAQUE, "q k v mask? past_key? past_value? nonpad_kv_seqlen?", "y present_key? present_value? qk_matmul_output?", attention, attention, \
    TSL_ATTRS(A_INT("is_causal", "0"), A_INT("q_num_heads", "0"), A_INT("kv_num_heads", "0"),      \
              A_INT("qk_matmul_output_mode", "0"), A_FLOAT("scale", "0.0"),                        \
              A_FLOAT("softcap", "0.0"), A_INT("softmax_precision", "0"),                          \
              A_INT("left_window_size", "-1"), A_INT("right_window_size", "-1")),                  \
    "softmax(q·kᵀ·scale + mask)·v per head; scale 0 means 1/√head_size; 3-D inputs need the head counts") \
  X(linear_attention, OPAQUE, "q k v past_state? decay? beta?", "y present_state?",                \
    linear_attention, linear_attention,                                                                           \
    TSL_ATTRS(A_INT("q_num_heads", NULL), A_INT("kv_num_heads", NULL),                             \
              A_STRING("update_rule", "\"gated_delta\""), A_FLOAT("scale", "0.0")),                \
    "a state S [batch, kv heads, dk, dv] takes in k⊗v token by token (update_rule); y = scale·q·S")\
  X(rotary_embedding, INJECTIVE, "x cos_cache sin_cache position_ids?", "y", rotary_embedding, rotary_embedding, \
    TSL_ATTRS(A_INT("interleaved", "0"), A_INT("num_heads", "0"),                                  \
              A_INT("rotary_embedding_dim", "0")),                                                 \
    "rotates pairs of x's features by the angles in the cos and sin caches")                       \
  /* quantisation */                                                                               \
  X(quantize_linear, ELEMWISE, "x scale zero_point?", "y", quantize_linear, quantize_linear,                  \
    TSL_ATTRS(A_DTYPE("to", "u8"), A_INT("axis", "1"), A_INT("block_size", "0"),                   \
              A_INT("saturate", "1"), A_INT("precision", "0")),                                    \
    "round(x/scale) + zero_point, saturated to dtype `to`")                                        \
  X(dequantize_linear, ELEMWISE, "x scale zero_point?", "y", dequantize_linear, dequantize_linear,              \
    TSL_ATTRS(A_DTYPE("to", "f32"), A_INT("axis", "1"), A_INT("block_size", "0")),                 \
    "(x - zero_point)·scale, as dtype `to`")                                                       \
  X(dynamic_quantize_linear, OPAQUE, "x", "y scale zero_point", dynamic_quantize_linear, dynamic_quantize_linear,     \
    TSL_NO_ATTRS,                                                                                  \
    "x quantised to u8 with scale and zero point taken from its range")                            \
  X(qlinear_conv, OUT_ELEMWISE_FUSABLE, "x x_scale x_zero_point w w_scale w_zero_point y_scale y_zero_point b?", "y", qlinear_conv, qlinear_conv, \
    TSL_ATTRS(CONV_ATTRS),                                                                         \
    "convolution of quantised x and w, requantised to y's scale and zero point")                   \
  X(qlinear_matmul, OUT_ELEMWISE_FUSABLE, "a a_scale a_zero_point b b_scale b_zero_point y_scale y_zero_point", "y", qlinear_matmul, qlinear_matmul, \
    TSL_NO_ATTRS,                                                                                  \
    "matrix product of quantised a and b, requantised to y's scale and zero point")                \
  X(matmul_integer, OUT_ELEMWISE_FUSABLE, "a b a_zero_point? b_zero_point?", "y", matmul_integer, matmul_integer, \
    TSL_NO_ATTRS,                                                                                  \
    "integer matrix product of (a - a_zero_point) and (b - b_zero_point), as i32")                 \
  X(conv_integer, OUT_ELEMWISE_FUSABLE, "x w x_zero_point? w_zero_point?", "y", conv_integer, conv_integer, \
    TSL_ATTRS(CONV_ATTRS),                                                                         \
    "integer convolution of (x - x_zero_point) and (w - w_zero_point), as i32")                    \
  /* layout, shape and indexing */                                                                 \
  X(layout_transform, INJECTIVE, "x", "y", layout_transform, layout_transform,                     \
    TSL_ATTRS(A_STRING("src", NULL), A_STRING("dst", NULL)),                                       \
    "x from layout src to dst (\"NCHW\" ↔ \"NCHW16c\", \"OIHW\" → \"OIHW16i16o\"; ir/ops/layout.h)") \
  X(reshape, INJECTIVE, "x", "y", reshape, reshape,                                                   \
    TSL_ATTRS(A_INTS("shape", NULL)),                                                              \
    "x with the exact shape `shape`")                                                              \
  X(transpose, INJECTIVE, "x", "y", transpose, transpose,                                               \
    TSL_ATTRS(A_INTS("perm", NULL)),                                                               \
    "x with axes permuted by perm")                                                                \
  X(concat, INJECTIVE, "inputs...", "y", concat, concat,                                             \
    TSL_ATTRS(A_INT("axis", NULL)),                                                                \
    "inputs joined along axis")                                                                    \
  X(split, INJECTIVE, "x", "outputs...", split, split,                                              \
    TSL_ATTRS(A_INT("axis", "0"), A_INTS("sizes", NULL)),                                          \
    "x cut along axis into pieces of `sizes`, one output each")                                    \
  X(slice, INJECTIVE, "x", "y", slice, slice,                                                       \
    TSL_ATTRS(A_INTS("starts", NULL), A_INTS("ends", NULL), A_INTS("axes", NULL),                  \
              A_INTS("steps", NULL)),                                                              \
    "x[starts:ends:steps] along axes, clamped as ONNX clamps them")                                \
  X(take, INJECTIVE, "x indices", "y", take, take,                                                 \
    TSL_ATTRS(A_INT("axis", "0")),                                                                 \
    "x indexed along axis by indices (ONNX Gather)")                                               \
  X(gather_elements, INJECTIVE, "x indices", "y", gather_elements, gather_elements,                           \
    TSL_ATTRS(A_INT("axis", "0")),                                                                 \
    "x[…, indices[i], …] along axis, elementwise")                                                 \
  X(gather_nd, INJECTIVE, "x indices", "y", gather_nd, gather_nd,                                       \
    TSL_ATTRS(A_INT("batch_dims", "0")),                                                           \
    "slices of x at the index tuples of indices")                                                  \
  X(scatter_elements, OPAQUE, "x indices updates", "y", scatter_elements, scatter_elements,                    \
    TSL_ATTRS(A_INT("axis", "0"), A_STRING("reduction", "\"none\"")),                              \
    "x with updates written at indices along axis (or combined by reduction)")                     \
  X(scatter_nd, OPAQUE, "x indices updates", "y", scatter_nd, scatter_nd,                                \
    TSL_ATTRS(A_STRING("reduction", "\"none\"")),                                                  \
    "x with updates written at the index tuples of indices (or combined by reduction)")            \
  X(tensor_scatter, OPAQUE, "past_cache update write_indices?", "present_cache", tensor_scatter, tensor_scatter, \
    TSL_ATTRS(A_INT("axis", "-2"), A_STRING("mode", "\"linear\"")),                                \
    "past_cache with update written along axis from each batch entry's write index")               \
  X(expand, BROADCAST, "x", "y", expand, expand,                                                     \
    TSL_ATTRS(A_INTS("shape", NULL)),                                                              \
    "x broadcast with `shape`")                                                                    \
  X(tile, INJECTIVE, "x", "y", tile, tile,                                                         \
    TSL_ATTRS(A_INTS("repeats", NULL)),                                                            \
    "x repeated `repeats` times along each axis")                                                  \
  X(pad, INJECTIVE, "x value?", "y", pad, pad,                                                    \
    TSL_ATTRS(A_INTS("pads", NULL), A_STRING("mode", "\"constant\"")),                             \
    "x padded (negative pads crop); pads: every axis's begin, then every end; value: 0-d")         \
  X(depth_to_space, INJECTIVE, "x", "y", depth_to_space, depth_to_space,                                     \
    TSL_ATTRS(A_INT("blocksize", NULL), A_STRING("mode", "\"DCR\"")),                              \
    "moves channel blocks into blocksize×blocksize spatial tiles")                                 \
  X(space_to_depth, INJECTIVE, "x", "y", space_to_depth, space_to_depth,                                     \
    TSL_ATTRS(A_INT("blocksize", NULL), A_STRING("mode", "\"DCR\"")),                              \
    "moves blocksize×blocksize spatial tiles into channels")                                       \
  X(resize, INJECTIVE, "x", "y", resize, resize,                                                     \
    TSL_ATTRS(A_INTS("sizes", NULL), A_FLOATS("scales", NULL), A_FLOATS("roi", "[]"),              \
              A_STRING("mode", "\"nearest\""),                                                     \
              A_STRING("coordinate_transformation_mode", "\"half_pixel\""),                        \
              A_STRING("nearest_mode", "\"round_prefer_floor\""),                                  \
              A_FLOAT("cubic_coeff_a", "-0.75"), A_INT("exclude_outside", "0"),                    \
              A_FLOAT("extrapolation_value", "0.0"), A_INT("antialias", "0")),                     \
    "x resampled to `sizes`; scales map output coordinates back to input ones")                    \
  X(full, BROADCAST, "value", "y", full, full,                                                     \
    TSL_ATTRS(A_INTS("shape", NULL)),                                                              \
    "a tensor of `shape` filled with the 0-d value")                                               \
  X(eye_like, INJECTIVE, "x", "y", eye_like, eye_like,                                                 \
    TSL_ATTRS(A_DTYPE("to", NULL), A_INT("k", "0")),                                               \
    "ones on diagonal k of x's shape, zeros elsewhere, as dtype `to`")                             \
  X(one_hot, INJECTIVE, "indices values", "y", one_hot, one_hot,                                      \
    TSL_ATTRS(A_INT("depth", NULL), A_INT("axis", "-1")),                                          \
    "values[1] where an axis index equals indices, values[0] elsewhere")                           \
  X(trilu, INJECTIVE, "x", "y", trilu, trilu,                                                       \
    TSL_ATTRS(A_INT("upper", "1"), A_INT("k", "0")),                                               \
    "the upper (or lower) triangle from diagonal k, zeros elsewhere")                              \
  X(reverse_sequence, INJECTIVE, "x sequence_lens", "y", reverse_sequence, reverse_sequence,                   \
    TSL_ATTRS(A_INT("batch_axis", "1"), A_INT("time_axis", "0")),                                  \
    "each batch entry's first sequence_lens steps reversed along time_axis")                       \
  X(affine_grid, INJECTIVE, "theta", "grid", affine_grid, affine_grid,                                    \
    TSL_ATTRS(A_INTS("size", NULL), A_INT("align_corners", "0")),                                  \
    "the points of an image of `size` [N, C, (D,) H, W] moved by the affine maps theta")           \
  X(grid_sample, OPAQUE, "x grid", "y", grid_sample, grid_sample,                                         \
    TSL_ATTRS(A_INT("align_corners", "0"), A_STRING("mode", "\"linear\""),                         \
              A_STRING("padding_mode", "\"zeros\"")),                                              \
    "x sampled at the normalised coordinates of grid")

#endif
