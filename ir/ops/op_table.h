/* Every tessel operator, once. Columns: name, fusion pattern, inputs, outputs, type rule,
 * attributes. Ports: "x w b?" names inputs, `?` marks an optional one and `...` a list of one
 * or more. Attribute defaults are written in the IR's literal syntax; NULL marks a required
 * attribute. Shape-deciding parameters are attributes: by the time a graph exists they are
 * known (ir/onnx resolves them at import). The one-line comment says what the operator
 * computes. */
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

#define TSL_OP_TABLE(X)                                                                        \
  /* unary math on floats */                                                                   \
  X(sqrt, ELEMWISE, "x", "y", float_unary, TSL_NO_ATTRS)           /* √x */                     \
  X(reciprocal, ELEMWISE, "x", "y", float_unary, TSL_NO_ATTRS)     /* 1/x */                    \
  X(exp, ELEMWISE, "x", "y", float_unary, TSL_NO_ATTRS)            /* eˣ */                     \
  X(log, ELEMWISE, "x", "y", float_unary, TSL_NO_ATTRS)            /* natural logarithm */      \
  X(sin, ELEMWISE, "x", "y", float_unary, TSL_NO_ATTRS)                                         \
  X(cos, ELEMWISE, "x", "y", float_unary, TSL_NO_ATTRS)                                         \
  X(tan, ELEMWISE, "x", "y", float_unary, TSL_NO_ATTRS)                                         \
  X(asin, ELEMWISE, "x", "y", float_unary, TSL_NO_ATTRS)                                        \
  X(acos, ELEMWISE, "x", "y", float_unary, TSL_NO_ATTRS)                                        \
  X(atan, ELEMWISE, "x", "y", float_unary, TSL_NO_ATTRS)                                        \
  X(sinh, ELEMWISE, "x", "y", float_unary, TSL_NO_ATTRS)                                        \
  X(cosh, ELEMWISE, "x", "y", float_unary, TSL_NO_ATTRS)                                        \
  X(tanh, ELEMWISE, "x", "y", float_unary, TSL_NO_ATTRS)                                        \
  X(asinh, ELEMWISE, "x", "y", float_unary, TSL_NO_ATTRS)                                       \
  X(acosh, ELEMWISE, "x", "y", float_unary, TSL_NO_ATTRS)                                       \
  X(atanh, ELEMWISE, "x", "y", float_unary, TSL_NO_ATTRS)                                       \
  X(erf, ELEMWISE, "x", "y", float_unary, TSL_NO_ATTRS)            /* error function */         \
  X(ceil, ELEMWISE, "x", "y", float_unary, TSL_NO_ATTRS)                                        \
  X(floor, ELEMWISE, "x", "y", float_unary, TSL_NO_ATTRS)                                       \
  X(round, ELEMWISE, "x", "y", float_unary, TSL_NO_ATTRS)          /* halves to even */         \
  X(sigmoid, ELEMWISE, "x", "y", float_unary, TSL_NO_ATTRS)        /* 1/(1+e⁻ˣ) */              \
  X(softplus, ELEMWISE, "x", "y", float_unary, TSL_NO_ATTRS)       /* log(1+eˣ) */              \
  X(softsign, ELEMWISE, "x", "y", float_unary, TSL_NO_ATTRS)       /* x/(1+|x|) */              \
  X(mish, ELEMWISE, "x", "y", float_unary, TSL_NO_ATTRS)           /* x·tanh(softplus(x)) */    \
  X(hard_swish, ELEMWISE, "x", "y", float_unary, TSL_NO_ATTRS)     /* x·max(0,min(1,x/6+½)) */  \
  X(gelu, ELEMWISE, "x", "y", float_unary,                                                      \
    TSL_ATTRS(A_STRING("approximate", "\"none\"")))                /* x·Φ(x); "tanh" approx. */ \
  X(leaky_relu, ELEMWISE, "x", "y", float_unary,                                                \
    TSL_ATTRS(A_FLOAT("alpha", "0.01")))                           /* x<0 ? αx : x */           \
  X(elu, ELEMWISE, "x", "y", float_unary,                                                       \
    TSL_ATTRS(A_FLOAT("alpha", "1.0")))                            /* x<0 ? α(eˣ-1) : x */      \
  X(celu, ELEMWISE, "x", "y", float_unary,                                                      \
    TSL_ATTRS(A_FLOAT("alpha", "1.0")))                     /* max(0,x)+min(0,α(e^(x/α)-1)) */  \
  X(selu, ELEMWISE, "x", "y", float_unary,                                                      \
    TSL_ATTRS(A_FLOAT("alpha", "1.6732631921768188"),                                          \
              A_FLOAT("gamma", "1.0507010221481323")))             /* γ·elu(x, α) */            \
  X(hard_sigmoid, ELEMWISE, "x", "y", float_unary,                                              \
    TSL_ATTRS(A_FLOAT("alpha", "0.2"), A_FLOAT("beta", "0.5")))    /* max(0,min(1,αx+β)) */     \
  X(thresholded_relu, ELEMWISE, "x", "y", float_unary,                                          \
    TSL_ATTRS(A_FLOAT("alpha", "1.0")))                            /* x>α ? x : 0 */            \
  X(swish, ELEMWISE, "x", "y", float_unary,                                                     \
    TSL_ATTRS(A_FLOAT("alpha", "1.0")))                            /* x·sigmoid(αx) */          \
  /* unary on numbers, bits and truth values */                                                \
  X(abs, ELEMWISE, "x", "y", numeric_unary, TSL_NO_ATTRS)                                       \
  X(neg, ELEMWISE, "x", "y", signed_unary, TSL_NO_ATTRS)                                        \
  X(sign, ELEMWISE, "x", "y", numeric_unary, TSL_NO_ATTRS)         /* -1, 0 or 1 */             \
  X(relu, ELEMWISE, "x", "y", signed_unary, TSL_NO_ATTRS)          /* max(x, 0) */              \
  X(shrink, ELEMWISE, "x", "y", numeric_unary,                                                  \
    TSL_ATTRS(A_FLOAT("bias", "0.0"), A_FLOAT("lambd", "0.5")))    /* x<-λ ? x+b : x>λ ? x-b : 0 */ \
  X(bitwise_not, ELEMWISE, "x", "y", integer_unary, TSL_NO_ATTRS)                               \
  X(logical_not, ELEMWISE, "x", "y", bool_unary, TSL_NO_ATTRS)                                  \
  X(is_nan, ELEMWISE, "x", "y", float_predicate, TSL_NO_ATTRS)     /* → bool */                 \
  X(is_inf, ELEMWISE, "x", "y", float_predicate,                                                \
    TSL_ATTRS(A_INT("detect_positive", "1"), A_INT("detect_negative", "1"))) /* → bool */       \
  X(cast, ELEMWISE, "x", "y", cast, TSL_ATTRS(A_DTYPE("to", NULL), A_INT("saturate", "1")))    \
  X(clip, BROADCAST, "x min? max?", "y", clip, TSL_NO_ATTRS)       /* min/max: 0-d bounds */   \
  /* binary, broadcasting as numpy does */                                                     \
  X(add, BROADCAST, "a b", "y", numeric_binary, TSL_NO_ATTRS)                                   \
  X(sub, BROADCAST, "a b", "y", numeric_binary, TSL_NO_ATTRS)                                   \
  X(mul, BROADCAST, "a b", "y", numeric_binary, TSL_NO_ATTRS)                                   \
  X(div, BROADCAST, "a b", "y", numeric_binary, TSL_NO_ATTRS)      /* integers truncate */      \
  X(mod, BROADCAST, "a b", "y", numeric_binary,                                                 \
    TSL_ATTRS(A_INT("fmod", "0")))               /* sign of b, or of a when fmod=1 (C fmod) */  \
  X(maximum, BROADCAST, "a b", "y", numeric_binary, TSL_NO_ATTRS)                               \
  X(minimum, BROADCAST, "a b", "y", numeric_binary, TSL_NO_ATTRS)                               \
  X(pow, BROADCAST, "a b", "y", pow, TSL_NO_ATTRS)                 /* aᵇ; b may differ in type */ \
  X(prelu, BROADCAST, "x slope", "y", prelu, TSL_NO_ATTRS)         /* x<0 ? slope·x : x */      \
  X(bitwise_and, BROADCAST, "a b", "y", integer_binary, TSL_NO_ATTRS)                           \
  X(bitwise_or, BROADCAST, "a b", "y", integer_binary, TSL_NO_ATTRS)                            \
  X(bitwise_xor, BROADCAST, "a b", "y", integer_binary, TSL_NO_ATTRS)                           \
  X(left_shift, BROADCAST, "a b", "y", integer_binary, TSL_NO_ATTRS)                            \
  X(right_shift, BROADCAST, "a b", "y", integer_binary, TSL_NO_ATTRS)                           \
  X(logical_and, BROADCAST, "a b", "y", bool_binary, TSL_NO_ATTRS)                              \
  X(logical_or, BROADCAST, "a b", "y", bool_binary, TSL_NO_ATTRS)                               \
  X(logical_xor, BROADCAST, "a b", "y", bool_binary, TSL_NO_ATTRS)                              \
  X(equal, BROADCAST, "a b", "y", compare, TSL_NO_ATTRS)           /* → bool */                 \
  X(less, BROADCAST, "a b", "y", compare, TSL_NO_ATTRS)                                         \
  X(less_equal, BROADCAST, "a b", "y", compare, TSL_NO_ATTRS)                                   \
  X(greater, BROADCAST, "a b", "y", compare, TSL_NO_ATTRS)                                      \
  X(greater_equal, BROADCAST, "a b", "y", compare, TSL_NO_ATTRS)                                \
  X(where, BROADCAST, "condition a b", "y", where, TSL_NO_ATTRS)   /* condition ? a : b */      \
  /* reductions over `axes` (all axes when empty) */                                           \
  X(reduce_sum, REDUCE, "x", "y", reduce, REDUCE_ATTRS)                                         \
  X(reduce_mean, REDUCE, "x", "y", reduce, REDUCE_ATTRS)                                        \
  X(reduce_max, REDUCE, "x", "y", reduce, REDUCE_ATTRS)                                         \
  X(reduce_min, REDUCE, "x", "y", reduce, REDUCE_ATTRS)                                         \
  X(reduce_prod, REDUCE, "x", "y", reduce, REDUCE_ATTRS)                                        \
  X(reduce_l1, REDUCE, "x", "y", reduce, REDUCE_ATTRS)             /* Σ|x| */                   \
  X(reduce_l2, REDUCE, "x", "y", reduce, REDUCE_ATTRS)             /* √Σx² */                   \
  X(reduce_sum_square, REDUCE, "x", "y", reduce, REDUCE_ATTRS)     /* Σx² */                    \
  X(reduce_log_sum, REDUCE, "x", "y", reduce, REDUCE_ATTRS)        /* log Σx */                 \
  X(reduce_log_sum_exp, REDUCE, "x", "y", reduce, REDUCE_ATTRS)    /* log Σeˣ */                \
  X(argmax, REDUCE, "x", "y", arg_reduce, ARG_REDUCE_ATTRS)        /* → i64 index */            \
  X(argmin, REDUCE, "x", "y", arg_reduce, ARG_REDUCE_ATTRS)                                     \
  X(cumsum, OPAQUE, "x", "y", cumulative, CUMULATIVE_ATTRS)        /* running sum along axis */ \
  X(cumprod, OPAQUE, "x", "y", cumulative, CUMULATIVE_ATTRS)                                    \
  X(topk, OPAQUE, "x", "values indices", topk,                                                  \
    TSL_ATTRS(A_INT("k", NULL), A_INT("axis", "-1"), A_INT("largest", "1"),                     \
              A_INT("sorted", "1")))                               /* k best along axis */     \
  /* normalisation */                                                                          \
  X(softmax, OPAQUE, "x", "y", along_axis, TSL_ATTRS(A_INT("axis", "-1")))                      \
  X(log_softmax, OPAQUE, "x", "y", along_axis, TSL_ATTRS(A_INT("axis", "-1")))                  \
  X(hardmax, OPAQUE, "x", "y", along_axis, TSL_ATTRS(A_INT("axis", "-1"))) /* 1 at the max */   \
  X(lp_norm, OPAQUE, "x", "y", along_axis,                                                      \
    TSL_ATTRS(A_INT("axis", "-1"), A_INT("p", "2")))               /* x / ‖x‖ₚ along axis */    \
  X(batch_norm, BROADCAST, "x scale bias mean var", "y", batch_norm,                           \
    TSL_ATTRS(A_FLOAT("epsilon", "1e-05")))                 /* inference: (x-mean)/√(var+ε)·scale+bias */ \
  X(instance_norm, OPAQUE, "x scale bias", "y", instance_norm,                                  \
    TSL_ATTRS(A_FLOAT("epsilon", "1e-05")))                        /* per sample and channel */ \
  X(layer_norm, OPAQUE, "x scale bias?", "y mean? inv_std_dev?", layer_norm,                    \
    TSL_ATTRS(A_INT("axis", "-1"), A_FLOAT("epsilon", "1e-05"),                                 \
              A_DTYPE("stash_type", "f32")))                       /* over axes ≥ axis */       \
  X(group_norm, OPAQUE, "x scale bias", "y", group_norm,                                        \
    TSL_ATTRS(A_INT("num_groups", NULL), A_FLOAT("epsilon", "1e-05"),                           \
              A_DTYPE("stash_type", "f32")))                       /* scale, bias per channel */ \
  X(rms_norm, OPAQUE, "x scale", "y", rms_norm,                                                 \
    TSL_ATTRS(A_INT("axis", "-1"), A_FLOAT("epsilon", "1e-05"),                                 \
              A_DTYPE("stash_type", "f32")))                       /* x/√(mean(x²)+ε)·scale */  \
  X(lrn, OPAQUE, "x", "y", lrn,                                                                 \
    TSL_ATTRS(A_INT("size", NULL), A_FLOAT("alpha", "0.0001"), A_FLOAT("beta", "0.75"),         \
              A_FLOAT("bias", "1.0")))                             /* across channels */       \
  /* convolution, pooling, products */                                                         \
  X(conv, OUT_ELEMWISE_FUSABLE, "x w b?", "y", conv, TSL_ATTRS(CONV_ATTRS)) /* N-d, NC… */     \
  X(conv_transpose, OUT_ELEMWISE_FUSABLE, "x w b?", "y", conv_transpose,                        \
    TSL_ATTRS(CONV_ATTRS, A_INTS("output_padding", "[]")))                                       \
  X(max_pool, OUT_ELEMWISE_FUSABLE, "x", "y indices?", pool,                                    \
    TSL_ATTRS(POOL_ATTRS, A_INT("storage_order", "0")))            /* indices: i64, flat */    \
  X(avg_pool, OUT_ELEMWISE_FUSABLE, "x", "y", pool,                                             \
    TSL_ATTRS(POOL_ATTRS, A_INT("count_include_pad", "0")))                                     \
  X(lp_pool, OUT_ELEMWISE_FUSABLE, "x", "y", pool, TSL_ATTRS(POOL_ATTRS, A_INT("p", "2")))      \
  X(matmul, OUT_ELEMWISE_FUSABLE, "a b", "y", matmul, TSL_NO_ATTRS) /* numpy matmul */         \
  X(gemm, OUT_ELEMWISE_FUSABLE, "a b c?", "y", gemm,                                            \
    TSL_ATTRS(A_FLOAT("alpha", "1.0"), A_FLOAT("beta", "1.0"), A_INT("trans_a", "0"),           \
              A_INT("trans_b", "0")))                              /* α·op(a)·op(b) + β·c */   \
  X(einsum, OUT_ELEMWISE_FUSABLE, "inputs...", "y", einsum,                                     \
    TSL_ATTRS(A_STRING("equation", NULL)))                                                      \
  X(attention, OPAQUE, "q k v mask? past_key? past_value? nonpad_kv_seqlen?",                   \
    "y present_key? present_value? qk_matmul_output?", attention,                               \
    TSL_ATTRS(A_INT("is_causal", "0"), A_INT("q_num_heads", "0"), A_INT("kv_num_heads", "0"),   \
              A_INT("qk_matmul_output_mode", "0"), A_FLOAT("scale", "0.0"),                     \
              A_FLOAT("softcap", "0.0"), A_INT("softmax_precision", "0"),                       \
              A_INT("left_window_size", "-1"), A_INT("right_window_size", "-1")))               \
    /* softmax(q·kᵀ·scale + mask)·v per head; scale 0: 1/√head_size; 3-D inputs need heads; */ \
    /* softmax_precision: an ONNX data type number, 0 for q's type; windows -1: unbounded */   \
  X(rotary_embedding, INJECTIVE, "x cos_cache sin_cache position_ids?", "y", rotary_embedding, \
    TSL_ATTRS(A_INT("interleaved", "0"), A_INT("num_heads", "0"),                               \
              A_INT("rotary_embedding_dim", "0")))                                              \
  /* quantisation */                                                                           \
  X(quantize_linear, ELEMWISE, "x scale zero_point?", "y", quantize_linear,                     \
    TSL_ATTRS(A_DTYPE("to", "u8"), A_INT("axis", "1"), A_INT("block_size", "0"),                \
              A_INT("saturate", "1"), A_INT("precision", "0")))                                 \
    /* round(x/scale)+zero_point; precision: an ONNX data type number, 0 for x's type */      \
  X(dequantize_linear, ELEMWISE, "x scale zero_point?", "y", dequantize_linear,                 \
    TSL_ATTRS(A_DTYPE("to", "f32"), A_INT("axis", "1"),                                         \
              A_INT("block_size", "0")))                           /* (x-zero_point)·scale */  \
  X(dynamic_quantize_linear, OPAQUE, "x", "y scale zero_point", dynamic_quantize_linear,        \
    TSL_NO_ATTRS)                                                  /* u8, range from data */   \
  X(qlinear_conv, OUT_ELEMWISE_FUSABLE,                                                         \
    "x x_scale x_zero_point w w_scale w_zero_point y_scale y_zero_point b?", "y",               \
    qlinear_conv, TSL_ATTRS(CONV_ATTRS))                                                        \
  X(qlinear_matmul, OUT_ELEMWISE_FUSABLE,                                                       \
    "a a_scale a_zero_point b b_scale b_zero_point y_scale y_zero_point", "y", qlinear_matmul,  \
    TSL_NO_ATTRS)                                                                               \
  X(matmul_integer, OUT_ELEMWISE_FUSABLE, "a b a_zero_point? b_zero_point?", "y",               \
    matmul_integer, TSL_NO_ATTRS)                                  /* → i32 */                  \
  X(conv_integer, OUT_ELEMWISE_FUSABLE, "x w x_zero_point? w_zero_point?", "y", conv_integer,   \
    TSL_ATTRS(CONV_ATTRS))                                         /* → i32 */                  \
  /* layout, shape and indexing */                                                             \
  X(reshape, INJECTIVE, "x", "y", reshape, TSL_ATTRS(A_INTS("shape", NULL))) /* exact shape */ \
  X(transpose, INJECTIVE, "x", "y", transpose, TSL_ATTRS(A_INTS("perm", NULL)))                \
  X(concat, INJECTIVE, "inputs...", "y", concat, TSL_ATTRS(A_INT("axis", NULL)))               \
  X(split, INJECTIVE, "x", "outputs...", split,                                                 \
    TSL_ATTRS(A_INT("axis", "0"), A_INTS("sizes", NULL)))          /* one output per size */   \
  X(slice, INJECTIVE, "x", "y", slice,                                                          \
    TSL_ATTRS(A_INTS("starts", NULL), A_INTS("ends", NULL), A_INTS("axes", NULL),               \
              A_INTS("steps", NULL)))                              /* as ONNX clamps them */   \
  X(take, INJECTIVE, "x indices", "y", take, TSL_ATTRS(A_INT("axis", "0"))) /* ONNX Gather */  \
  X(gather_elements, INJECTIVE, "x indices", "y", gather_elements,                              \
    TSL_ATTRS(A_INT("axis", "0")))                                                              \
  X(gather_nd, INJECTIVE, "x indices", "y", gather_nd, TSL_ATTRS(A_INT("batch_dims", "0")))    \
  X(scatter_elements, OPAQUE, "x indices updates", "y", scatter_elements,                       \
    TSL_ATTRS(A_INT("axis", "0"), A_STRING("reduction", "\"none\"")))                           \
  X(scatter_nd, OPAQUE, "x indices updates", "y", scatter_nd,                                   \
    TSL_ATTRS(A_STRING("reduction", "\"none\"")))                                               \
  X(expand, BROADCAST, "x", "y", expand, TSL_ATTRS(A_INTS("shape", NULL))) /* broadcast to */  \
  X(tile, INJECTIVE, "x", "y", tile, TSL_ATTRS(A_INTS("repeats", NULL)))                        \
  X(pad, INJECTIVE, "x value?", "y", pad,                                                       \
    TSL_ATTRS(A_INTS("pads", NULL), A_STRING("mode", "\"constant\"")))                          \
    /* pads: every axis's begin, then every axis's end; negative crops; value: 0-d */          \
  X(depth_to_space, INJECTIVE, "x", "y", depth_to_space,                                        \
    TSL_ATTRS(A_INT("blocksize", NULL), A_STRING("mode", "\"DCR\"")))                           \
  X(space_to_depth, INJECTIVE, "x", "y", space_to_depth,                                        \
    TSL_ATTRS(A_INT("blocksize", NULL), A_STRING("mode", "\"DCR\"")))                           \
  X(resize, INJECTIVE, "x", "y", resize,                                                        \
    TSL_ATTRS(A_INTS("sizes", NULL), A_FLOATS("scales", NULL), A_FLOATS("roi", "[]"),           \
              A_STRING("mode", "\"nearest\""),                                                  \
              A_STRING("coordinate_transformation_mode", "\"half_pixel\""),                     \
              A_STRING("nearest_mode", "\"round_prefer_floor\""),                               \
              A_FLOAT("cubic_coeff_a", "-0.75"), A_INT("exclude_outside", "0"),                 \
              A_FLOAT("extrapolation_value", "0.0"), A_INT("antialias", "0")))                  \
    /* sizes: the output shape; scales: per axis, for mapping coordinates */                  \
  X(full, BROADCAST, "value", "y", full, TSL_ATTRS(A_INTS("shape", NULL))) /* value: 0-d */    \
  X(eye_like, INJECTIVE, "x", "y", eye_like,                                                    \
    TSL_ATTRS(A_DTYPE("to", NULL), A_INT("k", "0")))               /* ones on diagonal k */    \
  X(one_hot, INJECTIVE, "indices values", "y", one_hot,                                         \
    TSL_ATTRS(A_INT("depth", NULL), A_INT("axis", "-1")))          /* values: [off, on] */     \
  X(trilu, INJECTIVE, "x", "y", trilu, TSL_ATTRS(A_INT("upper", "1"), A_INT("k", "0")))        \
  X(reverse_sequence, INJECTIVE, "x sequence_lens", "y", reverse_sequence,                      \
    TSL_ATTRS(A_INT("batch_axis", "1"), A_INT("time_axis", "0")))                               \
  X(grid_sample, OPAQUE, "x grid", "y", grid_sample,                                            \
    TSL_ATTRS(A_INT("align_corners", "0"), A_STRING("mode", "\"linear\""),                      \
              A_STRING("padding_mode", "\"zeros\"")))

#endif
