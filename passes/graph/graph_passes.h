/* Graph passes: what runs on the graph IR between import and lowering (docs/passes.md).
 *
 * Each pass rewrites the graph it is given, in place, keeping it valid: nodes in topological
 * order, every type equal to what its rule infers. The pipeline of each opt level is listed in
 * one function (pipeline.c); a pass can be left out by name, and the graph printed after it. */
#ifndef TSL_PASSES_GRAPH_PASSES_H
#define TSL_PASSES_GRAPH_PASSES_H

#include "ir/graph.h"

/* Evaluates a graph without inputs (every leaf a constant): one tensor per graph output, each
 * with a reference the caller releases. The driver hands over tessel's own compiler (JIT on the
 * host), so that folding needs no second implementation of the operators. */
typedef tsl_status (*tsl_evaluate_fn)(void *context, const tsl_graph *graph,
                                      tsl_tensor_data **outputs, tsl_error *error);

typedef struct tsl_pass_options {
  int opt_level;               /* 0 to 3 */
  const char *const *disabled; /* names of passes to leave out */
  int num_disabled;
  /* Called with the graph after the pass named `dump_after` ("all": after every pass). */
  const char *dump_after;
  void (*dump)(void *context, const char *pass, const tsl_graph *graph);
  void *dump_context;
  bool verify; /* verify the graph after every pass (tests and debug builds always do) */
  tsl_evaluate_fn evaluate; /* NULL: constants are not folded */
  int vector_lanes; /* f32 lanes of the target's vectors: alter_layout's channel block; 0: none */
  void *evaluate_context;
} tsl_pass_options;

typedef struct tsl_graph_pass {
  const char *name;
  const char *summary; /* one line, for --help and the docs */
  tsl_status (*run)(tsl_graph *graph, const tsl_pass_options *options, tsl_error *error);
} tsl_graph_pass;

/* Every pass, in pipeline order (NULL-terminated). */
extern const tsl_graph_pass *const tsl_graph_passes[];
const tsl_graph_pass *tsl_graph_pass_find(const char *name);

/* The passes of an opt level, in order; returns how many (at most 16). */
int tsl_graph_pipeline(int opt_level, const tsl_graph_pass **passes);

/* Runs the given passes in order (leaving out the disabled ones), verifying and dumping the
 * graph after each as the options say. */
tsl_status tsl_graph_run_passes(tsl_graph *graph, const tsl_graph_pass *const *passes, int count,
                                const tsl_pass_options *options, tsl_error *error);

/* Runs the pipeline of options->opt_level on the graph. Refuses unknown pass names in
 * `disabled` and `dump_after`. */
tsl_status tsl_graph_optimize(tsl_graph *graph, const tsl_pass_options *options, tsl_error *error);

/* The passes (each in its own file). */
extern const tsl_graph_pass tsl_pass_simplify_inference; /* simplify.c */
extern const tsl_graph_pass tsl_pass_alter_layout;       /* layout.c */
extern const tsl_graph_pass tsl_pass_fold_constants;     /* fold.c */
extern const tsl_graph_pass tsl_pass_cse;                /* cse.c */
extern const tsl_graph_pass tsl_pass_dce;                /* dce.c */
extern const tsl_graph_pass tsl_pass_fuse;               /* fuse.c */

/* How many kernels the graph lowers to: one per fused group (node->group, set by fuse), and
 * one per node outside any group. */
int tsl_graph_count_kernels(const tsl_graph *graph);

#endif
