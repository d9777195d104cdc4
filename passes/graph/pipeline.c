/* The pass pipeline: which passes each opt level runs, in order, and the loop that runs them
 * with the verifier and the dumps between them. */
#include <string.h>

#include "ir/error.h"
#include "passes/graph/graph_passes.h"

const tsl_graph_pass *const tsl_graph_passes[] = {
    &tsl_pass_simplify_inference,
    &tsl_pass_alter_layout,
    &tsl_pass_fold_constants,
    &tsl_pass_cse,
    &tsl_pass_dce,
    &tsl_pass_fuse,
    NULL,
};

const tsl_graph_pass *tsl_graph_pass_find(const char *name) {
  for (int i = 0; tsl_graph_passes[i]; i++) {
    if (strcmp(tsl_graph_passes[i]->name, name) == 0) return tsl_graph_passes[i];
  }
  return NULL;
}

/* -O0: every operator call is a kernel of its own, as the model wrote it.
 * -O1: inference simplifications (BatchNorm folded into the convolution before it, no-op
 *      reshapes and transposes gone), then whatever became constant is computed now.
 * -O2: and common subexpressions merged, and operators fused into kernels.
 * -O3: the default; and before the folding, convolutions and pools on activations in blocked
 *      channels NCHW{x}c, x the target's vector lanes (their weights then packed by the fold). */
int tsl_graph_pipeline(int opt_level, const tsl_graph_pass **passes) {
  int count = 0;
  if (opt_level >= 1) {
    passes[count++] = &tsl_pass_simplify_inference;
    if (opt_level >= 3) passes[count++] = &tsl_pass_alter_layout;
    passes[count++] = &tsl_pass_fold_constants;
  }
  if (opt_level >= 2) passes[count++] = &tsl_pass_cse;
  if (opt_level >= 1) passes[count++] = &tsl_pass_dce;
  if (opt_level >= 2) passes[count++] = &tsl_pass_fuse;
  return count;
}

static bool is_disabled(const tsl_pass_options *options, const char *name) {
  for (int i = 0; i < options->num_disabled; i++) {
    if (strcmp(options->disabled[i], name) == 0) return true;
  }
  return false;
}

static tsl_status check_names(const tsl_pass_options *options, tsl_error *error) {
  char known[256] = "";
  for (int i = 0; tsl_graph_passes[i]; i++) {
    if (i) strcat(known, ", ");
    strcat(known, tsl_graph_passes[i]->name);
  }
  for (int i = 0; i < options->num_disabled; i++) {
    if (!tsl_graph_pass_find(options->disabled[i])) {
      return tsl_fail(error, TSL_ERROR_INPUT, "no pass is named '%s' (the passes: %s)",
                      options->disabled[i], known);
    }
  }
  if (options->dump_after && strcmp(options->dump_after, "all") != 0 &&
      !tsl_graph_pass_find(options->dump_after)) {
    return tsl_fail(error, TSL_ERROR_INPUT, "no pass is named '%s' (the passes: %s, or all)",
                    options->dump_after, known);
  }
  return TSL_OK;
}

tsl_status tsl_graph_optimize(tsl_graph *graph, const tsl_pass_options *options, tsl_error *error) {
  if (options->opt_level < 0 || options->opt_level > 3) {
    return tsl_fail(error, TSL_ERROR_INPUT, "-O%d: the opt levels are -O0 to -O3",
                    options->opt_level);
  }
  const tsl_graph_pass *passes[16];
  int count = tsl_graph_pipeline(options->opt_level, passes);
  return tsl_graph_run_passes(graph, passes, count, options, error);
}

tsl_status tsl_graph_run_passes(tsl_graph *graph, const tsl_graph_pass *const *passes, int count,
                                const tsl_pass_options *options, tsl_error *error) {
  TRY(check_names(options, error));
#ifndef NDEBUG
  bool verify = true;
#else
  bool verify = options->verify;
#endif
  for (int i = 0; i < count; i++) {
    const tsl_graph_pass *pass = passes[i];
    if (is_disabled(options, pass->name)) continue;
    TRY(pass->run(graph, options, error));
    if (verify) {
      tsl_status status = tsl_graph_verify(graph, error);
      if (status) {
        tsl_error_prefix(error, "after pass %s: ", pass->name);
        return status;
      }
    }
    if (options->dump && options->dump_after &&
        (strcmp(options->dump_after, "all") == 0 || strcmp(options->dump_after, pass->name) == 0)) {
      options->dump(options->dump_context, pass->name, graph);
    }
  }
  return TSL_OK;
}
