/* The cost model: gradient-boosted trees (XGBoost, through its C API) that learn, from the
 * features of measured candidates (features.h), how fast a candidate is against the best one
 * measured for its task, and rank new candidates before any is measured. It is trained online:
 * after every measured batch, from scratch on everything measured so far. */
#ifndef TSL_AUTOTUNE_COST_MODEL_H
#define TSL_AUTOTUNE_COST_MODEL_H

#include <stdbool.h>

#include "autotune/features.h"
#include "ir/error.h"

typedef struct tsl_cost_model tsl_cost_model;

tsl_cost_model *tsl_cost_model_new(void);
void tsl_cost_model_free(tsl_cost_model *model);

/* A measured candidate of task `task`: its features and run time (<= 0: it failed). */
void tsl_cost_model_add(tsl_cost_model *model, int task, const float *features, double seconds);

/* Trains on every candidate added, each labelled with its task's best time over its own (1 the
 * best, 0 a failure). Needs a few candidates first; until then the model stays untrained. */
tsl_status tsl_cost_model_train(tsl_cost_model *model, tsl_error *error);

/* Predicted labels of `count` candidates (features one row after another); false when the
 * model is not trained yet. */
bool tsl_cost_model_predict(tsl_cost_model *model, int count, const float *features, float *scores);

#endif
