/* The cost model (cost_model.h) on XGBoost's C API. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xgboost/c_api.h>

#include "autotune/cost_model.h"
#include "ir/check.h"

enum {
  MIN_SAMPLES = 16, /* below this many measured candidates the model stays untrained */
  ROUNDS = 60,      /* boosting rounds */
};

typedef struct sample {
  int task;
  double seconds;
} sample;

struct tsl_cost_model {
  float *features; /* TSL_NUM_FEATURES a sample */
  sample *samples;
  int count, capacity;
  BoosterHandle booster; /* NULL until trained */
};

tsl_cost_model *tsl_cost_model_new(void) {
  tsl_cost_model *model = calloc(1, sizeof(*model));
  TSL_CHECK_ALLOC(model);
  return model;
}

void tsl_cost_model_free(tsl_cost_model *model) {
  if (!model) return;
  if (model->booster) XGBoosterFree(model->booster);
  free(model->features);
  free(model->samples);
  free(model);
}

void tsl_cost_model_add(tsl_cost_model *model, int task, const float *features, double seconds) {
  if (model->count == model->capacity) {
    model->capacity = model->capacity ? 2 * model->capacity : 256;
    model->features =
        realloc(model->features, sizeof(float) * TSL_NUM_FEATURES * (size_t)model->capacity);
    model->samples = realloc(model->samples, sizeof(sample) * (size_t)model->capacity);
    TSL_CHECK_ALLOC(model->features);
    TSL_CHECK_ALLOC(model->samples);
  }
  memcpy(model->features + (size_t)model->count * TSL_NUM_FEATURES, features,
         sizeof(float) * TSL_NUM_FEATURES);
  model->samples[model->count++] = (sample){task, seconds};
}

static tsl_status xgboost_fail(tsl_error *error, const char *doing) {
  return tsl_fail(error, TSL_ERROR_INTERNAL, "XGBoost, %s: %s", doing, XGBGetLastError());
}

tsl_status tsl_cost_model_train(tsl_cost_model *model, tsl_error *error) {
  if (model->count < MIN_SAMPLES) return TSL_OK;
  /* Labels: the task's best time over the candidate's. */
  float *labels = malloc(sizeof(float) * (size_t)model->count);
  TSL_CHECK_ALLOC(labels);
  for (int i = 0; i < model->count; i++) {
    double best = 0;
    for (int j = 0; j < model->count; j++) {
      const sample *other = &model->samples[j];
      if (other->task == model->samples[i].task && other->seconds > 0 &&
          (best == 0 || other->seconds < best))
        best = other->seconds;
    }
    double seconds = model->samples[i].seconds;
    labels[i] = seconds > 0 && best > 0 ? (float)(best / seconds) : 0.0f;
  }
  DMatrixHandle data;
  tsl_status status = TSL_OK;
  if (XGDMatrixCreateFromMat(model->features, (bst_ulong)model->count, TSL_NUM_FEATURES, NAN,
                             &data) != 0) {
    free(labels);
    return xgboost_fail(error, "making the training data");
  }
  BoosterHandle booster = NULL;
  if (XGDMatrixSetFloatInfo(data, "label", labels, (bst_ulong)model->count) != 0 ||
      XGBoosterCreate(&data, 1, &booster) != 0 ||
      XGBoosterSetParam(booster, "objective", "reg:squarederror") != 0 ||
      XGBoosterSetParam(booster, "max_depth", "6") != 0 ||
      XGBoosterSetParam(booster, "eta", "0.2") != 0 ||
      XGBoosterSetParam(booster, "min_child_weight", "1") != 0 ||
      XGBoosterSetParam(booster, "nthread", "1") != 0 ||
      XGBoosterSetParam(booster, "verbosity", "0") != 0) {
    status = xgboost_fail(error, "setting up the model");
  }
  for (int round = 0; round < ROUNDS && !status; round++) {
    if (XGBoosterUpdateOneIter(booster, round, data) != 0) status = xgboost_fail(error, "training");
  }
  XGDMatrixFree(data);
  free(labels);
  if (status) {
    if (booster) XGBoosterFree(booster);
    return status;
  }
  if (model->booster) XGBoosterFree(model->booster);
  model->booster = booster;
  return TSL_OK;
}

bool tsl_cost_model_predict(tsl_cost_model *model, int count, const float *features,
                            float *scores) {
  if (!model->booster || count == 0) return false;
  DMatrixHandle data;
  if (XGDMatrixCreateFromMat(features, (bst_ulong)count, TSL_NUM_FEATURES, NAN, &data) != 0)
    return false;
  bst_ulong length = 0;
  const float *predicted = NULL;
  bool ok = XGBoosterPredict(model->booster, data, 0, 0, 0, &length, &predicted) == 0 &&
            length == (bst_ulong)count;
  if (ok) memcpy(scores, predicted, sizeof(float) * (size_t)count);
  XGDMatrixFree(data);
  return ok;
}
