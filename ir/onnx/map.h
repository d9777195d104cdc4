/* The mapping functions of map_*.c, listed in ops.c's table. */
#ifndef TSL_IR_ONNX_MAP_H
#define TSL_IR_ONNX_MAP_H

#include "ir/onnx/import.h"

#define MAPPING(name) tsl_status name(importer *im, const onnx_op *entry)

/* map_math.c: elementwise operators, comparisons, casts */
MAPPING(map_unary);
MAPPING(map_binary);
MAPPING(map_bit_shift);
MAPPING(map_variadic);
MAPPING(map_clip);
MAPPING(map_cast);
MAPPING(map_cast_like);
MAPPING(map_swiglu);
MAPPING(map_identity);
MAPPING(map_dropout);
MAPPING(map_where);

/* map_reduce.c: reductions and the operators that work along an axis */
MAPPING(map_reduce);
MAPPING(map_arg_reduce);
MAPPING(map_cumulative);
MAPPING(map_topk);
MAPPING(map_softmax);
MAPPING(map_lp_norm);
MAPPING(map_global_pool);

/* map_nn.c: convolution, pooling, products, normalisation, attention, quantisation */
MAPPING(map_conv);
MAPPING(map_conv_transpose);
MAPPING(map_deform_conv);
MAPPING(map_causal_conv_with_state);
MAPPING(map_col2im);
MAPPING(map_pool);
MAPPING(map_max_unpool);
MAPPING(map_max_roi_pool);
MAPPING(map_roi_align);
MAPPING(map_matmul);
MAPPING(map_gemm);
MAPPING(map_einsum);
MAPPING(map_batch_norm);
MAPPING(map_instance_norm);
MAPPING(map_layer_norm);
MAPPING(map_group_norm);
MAPPING(map_rms_norm);
MAPPING(map_lrn);
MAPPING(map_mean_variance_norm);
MAPPING(map_attention);
MAPPING(map_linear_attention);
MAPPING(map_rotary_embedding);
MAPPING(map_quantize_linear);
MAPPING(map_dequantize_linear);
MAPPING(map_dynamic_quantize_linear);
MAPPING(map_qlinear_conv);
MAPPING(map_qlinear_matmul);
MAPPING(map_matmul_integer);
MAPPING(map_conv_integer);

/* map_tensor.c: constants, shapes, layout and indexing */
MAPPING(map_constant);
MAPPING(map_shape);
MAPPING(map_size);
MAPPING(map_constant_of_shape);
MAPPING(map_range);
MAPPING(map_eye_like);
MAPPING(map_reshape);
MAPPING(map_flatten);
MAPPING(map_squeeze);
MAPPING(map_unsqueeze);
MAPPING(map_transpose);
MAPPING(map_concat);
MAPPING(map_split);
MAPPING(map_slice);
MAPPING(map_gather);
MAPPING(map_gather_elements);
MAPPING(map_gather_nd);
MAPPING(map_scatter_elements);
MAPPING(map_scatter_nd);
MAPPING(map_tensor_scatter);
MAPPING(map_expand);
MAPPING(map_tile);
MAPPING(map_affine_grid);
MAPPING(map_pad);
MAPPING(map_depth_to_space);
MAPPING(map_space_to_depth);
MAPPING(map_resize);
MAPPING(map_upsample);
MAPPING(map_one_hot);
MAPPING(map_trilu);
MAPPING(map_reverse_sequence);
MAPPING(map_grid_sample);
MAPPING(map_center_crop_pad);

#endif
