/* ONNX Resize and Upsample: the output size is decided here, from sizes or scales (ONNX's
 * rules, keep_aspect_ratio_policy included), and becomes the `sizes` attribute; the scales that
 * map output coordinates back to input coordinates travel as `scales`. */
#include <math.h>
#include <string.h>

#include "ir/onnx/map.h"

typedef struct resize_plan {
  int rank;
  int64_t sizes[TSL_MAX_RANK];
  double scales[TSL_MAX_RANK];
  double roi[2 * TSL_MAX_RANK];
  int roi_count;
} resize_plan;

/* `axes` (opset 18) lists which axes scales and sizes talk about; every axis otherwise. */
static tsl_status resize_axes(importer *im, int rank, int64_t *axes, int *count) {
  int given;
  const int64_t *listed = im_attr_ints(im, "axes", &given);
  if (given < 0) {
    for (int a = 0; a < rank; a++) axes[a] = a;
    *count = rank;
    return TSL_OK;
  }
  for (int i = 0; i < given; i++) {
    int64_t axis = listed[i] < 0 ? listed[i] + rank : listed[i];
    if (axis < 0 || axis >= rank) return im_fail(im, "axis %lld is out of range for rank %d", (long long)listed[i], rank);
    axes[i] = axis;
  }
  *count = given;
  return TSL_OK;
}

static tsl_status plan_from_sizes(importer *im, const tsl_type *x, const int64_t *axes,
                                  int count, const int64_t *sizes, resize_plan *plan) {
  const char *policy = im_attr_string(im, "keep_aspect_ratio_policy", "stretch");
  bool stretch = strcmp(policy, "stretch") == 0;
  bool not_larger = strcmp(policy, "not_larger") == 0;
  if (!stretch && !not_larger && strcmp(policy, "not_smaller") != 0) {
    return im_fail(im, "keep_aspect_ratio_policy '%s' is not stretch, not_larger or not_smaller", policy);
  }
  double common = not_larger ? INFINITY : 0;
  for (int i = 0; i < count; i++) {
    double scale = (double)sizes[i] / (double)x->dims[axes[i]];
    common = not_larger ? fmin(common, scale) : fmax(common, scale);
  }
  for (int i = 0; i < count; i++) {
    int64_t axis = axes[i];
    if (stretch) {
      plan->sizes[axis] = sizes[i];
      plan->scales[axis] = (double)sizes[i] / (double)x->dims[axis];
    } else {
      plan->scales[axis] = common;
      plan->sizes[axis] = (int64_t)nearbyint(common * (double)x->dims[axis]);
    }
  }
  return TSL_OK;
}

static void plan_from_scales(const tsl_type *x, const int64_t *axes, int count,
                             const double *scales, bool crop, resize_plan *plan) {
  for (int i = 0; i < count; i++) {
    int64_t axis = axes[i];
    double extent = 1;
    if (crop && plan->roi_count == 2 * x->rank) extent = plan->roi[axis + x->rank] - plan->roi[axis];
    plan->scales[axis] = scales[i];
    plan->sizes[axis] = (int64_t)floor((double)x->dims[axis] * extent * scales[i]);
  }
}

/* Input 1 (roi), given for the listed axes, spread over every axis (0 to 1 elsewhere). */
static tsl_status resize_roi(importer *im, int rank, const int64_t *axes, int count,
                             resize_plan *plan) {
  const double *roi;
  int given;
  TRY(im_const_floats(im, 1, "input 1 (roi)", &roi, &given));
  if (given <= 0) return TSL_OK;
  if (given != 2 * count) return im_fail(im, "roi has %d values; it needs %d", given, 2 * count);
  for (int a = 0; a < rank; a++) {
    plan->roi[a] = 0;
    plan->roi[a + rank] = 1;
  }
  for (int i = 0; i < count; i++) {
    plan->roi[axes[i]] = roi[i];
    plan->roi[axes[i] + rank] = roi[i + count];
  }
  plan->roi_count = 2 * rank;
  return TSL_OK;
}

static tsl_status emit_resize(importer *im, tsl_value *x, const resize_plan *plan,
                              const char *mode, const char *coordinates, const char *nearest) {
  if (strcmp(mode, "bilinear") == 0 || strcmp(mode, "trilinear") == 0) mode = "linear";
  tsl_node *node = im_node(im, TSL_OP_resize, 1, &x, 1, true);
  im_set_ints(im, node, "sizes", plan->rank, plan->sizes);
  im_set_floats(im, node, "scales", plan->rank, plan->scales);
  if (plan->roi_count) im_set_floats(im, node, "roi", plan->roi_count, plan->roi);
  im_set_string(im, node, "mode", mode);
  im_set_string(im, node, "coordinate_transformation_mode", coordinates);
  im_set_string(im, node, "nearest_mode", nearest);
  im_copy_attr(im, node, "cubic_coeff_a");
  im_copy_attr(im, node, "exclude_outside");
  im_copy_attr(im, node, "extrapolation_value");
  im_copy_attr(im, node, "antialias");
  return im_finish(im, node);
}

static void identity_plan(const tsl_type *x, resize_plan *plan) {
  memset(plan, 0, sizeof(*plan));
  plan->rank = x->rank;
  for (int a = 0; a < x->rank; a++) {
    plan->sizes[a] = x->dims[a];
    plan->scales[a] = 1;
  }
}

MAPPING(map_resize) {
  (void)entry;
  tsl_value *x;
  TRY(im_require_input(im, 0, &x));
  resize_plan plan;
  identity_plan(&x->type, &plan);
  const char *mode = im_attr_string(im, "mode", "nearest");
  int64_t axes[TSL_MAX_RANK];
  int count;
  TRY(resize_axes(im, x->type.rank, axes, &count));
  if (im->opset < 11) {
    /* Resize-10 is Upsample: scales only, asymmetric coordinates, nearest rounds down. */
    const double *scales;
    int given;
    TRY(im_const_floats(im, 1, "input 1 (scales)", &scales, &given));
    if (given != x->type.rank) return im_fail(im, "scales has %d values for rank %d", given, x->type.rank);
    plan_from_scales(&x->type, axes, count, scales, false, &plan);
    return emit_resize(im, x, &plan, mode, "asymmetric", "floor");
  }
  const char *coordinates = im_attr_string(im, "coordinate_transformation_mode", "half_pixel");
  TRY(resize_roi(im, x->type.rank, axes, count, &plan));
  const double *scales;
  const int64_t *sizes;
  int scales_count, sizes_count;
  TRY(im_const_floats(im, 2, "input 2 (scales)", &scales, &scales_count));
  TRY(im_const_ints(im, 3, "input 3 (sizes)", &sizes, &sizes_count));
  if (sizes_count > 0) {
    if (scales_count > 0) return im_fail(im, "give scales or sizes, not both");
    if (sizes_count != count) return im_fail(im, "sizes has %d values for %d axes", sizes_count, count);
    TRY(plan_from_sizes(im, &x->type, axes, count, sizes, &plan));
  } else if (scales_count > 0) {
    if (scales_count != count) return im_fail(im, "scales has %d values for %d axes", scales_count, count);
    plan_from_scales(&x->type, axes, count, scales,
                     strcmp(coordinates, "tf_crop_and_resize") == 0, &plan);
  } else {
    return im_fail(im, "one of scales and sizes is required");
  }
  return emit_resize(im, x, &plan, mode, coordinates,
                     im_attr_string(im, "nearest_mode", "round_prefer_floor"));
}

MAPPING(map_upsample) {
  (void)entry;
  tsl_value *x;
  TRY(im_require_input(im, 0, &x));
  const double *scales;
  int count;
  if (im->opset < 9) scales = im_attr_floats(im, "scales", &count);
  else TRY(im_const_floats(im, 1, "input 1 (scales)", &scales, &count));
  if (count != x->type.rank) return im_fail(im, "scales has %d values for rank %d", count, x->type.rank);
  resize_plan plan;
  identity_plan(&x->type, &plan);
  int64_t axes[TSL_MAX_RANK];
  for (int a = 0; a < x->type.rank; a++) axes[a] = a;
  plan_from_scales(&x->type, axes, count, scales, false, &plan);
  return emit_resize(im, x, &plan, im_attr_string(im, "mode", "nearest"), "asymmetric", "floor");
}
