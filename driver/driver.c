#include "driver/driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "autotune/database.h"
#include "codegen/llvm/llvm.h"
#include "ir/check.h"
#include "ir/error.h"
#include "passes/lower/lower.h"
#include "passes/schedule/schedule.h"
#include "passes/schedule/trace.h"
#include "passes/tir/tir_passes.h"
#include "runtime/artifact.h"
#include "runtime/model.h"

tsl_compile_options tsl_compile_defaults(void) {
  return (tsl_compile_options){.passes = {.opt_level = 3}};
}

tsl_status tsl_evaluate_graph(void *context, const tsl_graph *graph, tsl_tensor_data **outputs,
                              tsl_error *error) {
  (void)context;
  tsl_target target;
  TRY(tsl_target_parse("llvm", &target, error));
  tsl_compile_options options = {.passes = {.opt_level = 0}, .quick = true};
  tsl_model *model;
  TRY(tsl_compile_jit(graph, &target, &options, &model, error));
  void **buffers = calloc((size_t)graph->num_outputs + 1, sizeof(void *));
  TSL_CHECK_ALLOC(buffers);
  for (int i = 0; i < graph->num_outputs; i++) {
    outputs[i] = tsl_tensor_data_new(&graph->outputs[i].value->type);
    buffers[i] = outputs[i]->bytes;
  }
  tsl_status status = tsl_model_run(model, NULL, buffers, error);
  tsl_model_free(model);
  free(buffers);
  for (int i = 0; status && i < graph->num_outputs; i++) {
    tsl_tensor_data_release(outputs[i]);
    outputs[i] = NULL;
  }
  return status;
}

tsl_status tsl_optimize(const tsl_graph *graph, const tsl_target *target,
                        const tsl_compile_options *options, tsl_graph **optimized,
                        tsl_error *error) {
  tsl_compile_options defaults = tsl_compile_defaults();
  tsl_pass_options passes = (options ? options : &defaults)->passes;
  passes.evaluate = tsl_evaluate_graph;
  passes.vector_lanes = target->vector_bits / 32;
  tsl_graph *copy = tsl_graph_clone(graph);
  tsl_status status = tsl_graph_optimize(copy, &passes, error);
  if (status) {
    tsl_graph_free(copy);
    copy = NULL;
  }
  *optimized = copy;
  return status;
}

/* The best tuning record's schedule for `*func`, replayed on a copy that replaces it: true
 * when there was one and it replayed. A record that no longer replays (made by a tessel that
 * lowered the workload differently), or that packs a parameter that is not a constant here,
 * is passed over. With `trace`, the replayed trace as JSON. */
static tsl_status schedule_from_records(tsl_db *records, const char *workload, const char *target,
                                        const tsl_target *machine, tsl_primfunc **func,
                                        bool *applied, char **trace_json, tsl_error *error) {
  *applied = false;
  char *json;
  TRY(tsl_db_best(records, workload, target, &json, NULL, error));
  if (!json) return TSL_OK;
  tsl_trace *trace;
  tsl_error ignored;
  if (tsl_trace_from_json(json, strlen(json), "record", &trace, &ignored) == TSL_OK) {
    tsl_primfunc *copy = tsl_primfunc_copy(*func);
    tsl_schedule sch;
    tsl_schedule_init(&sch, copy);
    sch.target = machine;
    *applied = tsl_trace_replay(trace, &sch, &ignored) == TSL_OK;
    /* Tuned where a parameter was a weight, which is packed at compile time; here it is not
     * constant. */
    for (int i = 0; i < copy->num_params && *applied; i++)
      *applied = !copy->packing[i] || copy->is_constant[i];
    if (*applied && trace_json) *trace_json = tsl_trace_to_json(sch.trace);
    tsl_schedule_release(&sch);
    tsl_trace_free(trace);
    if (*applied) {
      tsl_primfunc_free(*func);
      *func = copy;
    } else {
      tsl_primfunc_free(copy);
    }
  }
  free(json);
  return TSL_OK;
}

tsl_status tsl_schedule_kernels(tsl_lowered *lowered, const tsl_target *target,
                                const tsl_compile_options *options, char **traces,
                                bool *from_record, tsl_error *error) {
  tsl_compile_summary summary = {.kernels = lowered->num_funcs};
  tsl_db *records = NULL;
  if (options && options->records) TRY(tsl_db_open(options->records, false, &records, error));
  char target_key[1024];
  tsl_target_key(target, target_key, sizeof(target_key));
  char(*keys)[TSL_WORKLOAD_KEY_SIZE] = calloc((size_t)lowered->num_funcs + 1, sizeof(*keys));
  int *index = calloc((size_t)lowered->num_funcs + 1, sizeof(int));
  TSL_CHECK_ALLOC(keys && index);
  summary.workloads = tsl_distinct_workloads(lowered->funcs, lowered->num_funcs, keys, index);
  tsl_status status = TSL_OK;
  for (int i = 0, seen = 0; i < lowered->num_funcs && !status; i++) {
    bool applied = false;
    char **trace = traces ? &traces[i] : NULL;
    if (records)
      status = schedule_from_records(records, keys[i], target_key, target, &lowered->funcs[i],
                                     &applied, trace, error);
    if (!applied) {
      tsl_schedule sch;
      tsl_schedule_init(&sch, lowered->funcs[i]);
      tsl_schedule_rules(&sch, target);
      if (trace) *trace = tsl_trace_to_json(sch.trace);
      tsl_schedule_release(&sch);
    }
    if (from_record) from_record[i] = applied;
    /* A workload counts once, at its first kernel. */
    if (index[i] == seen) seen++, summary.from_records += applied;
  }
  free(keys);
  free(index);
  tsl_db_close(records);
  if (options && options->summary) *options->summary = summary;
  return status;
}

/* Kernels of a lowered graph into one optimised LLVM module. */
static tsl_status generate(tsl_lowered *lowered, const tsl_target *target,
                           const tsl_compile_options *options, tsl_llvm **out, tsl_error *error) {
  TRY(tsl_schedule_kernels(lowered, target, options, NULL, NULL, error));
  for (int i = 0; i < lowered->num_funcs; i++) tsl_tir_lower(lowered->funcs[i]);
  tsl_lower_pack_constants(lowered);
  tsl_llvm *llvm;
  TRY(tsl_llvm_new(target, "tessel_model", &llvm, error));
  tsl_status status = TSL_OK;
  for (int i = 0; i < lowered->num_funcs && !status; i++)
    status = tsl_llvm_add_function(llvm, lowered->funcs[i], error);
  if (!status && !(options && options->quick)) status = tsl_llvm_optimize(llvm, error);
  if (!status && options && options->dump_llvm) {
    FILE *file = fopen(options->dump_llvm, "w");
    char *text = tsl_llvm_print(llvm);
    if (file) {
      fputs(text, file);
      fclose(file);
    }
    free(text);
  }
  if (status) {
    tsl_llvm_free(llvm);
    return status;
  }
  *out = llvm;
  return TSL_OK;
}

/* The graph passes, lowering and code generation: the kernels in one optimised LLVM module,
 * and the lowered graph (plan and constants) they belong to. */
static tsl_status build(const tsl_graph *graph, const tsl_target *target,
                        const tsl_compile_options *options, tsl_lowered **lowered, tsl_llvm **llvm,
                        tsl_error *error) {
  tsl_graph *optimized;
  TRY(tsl_optimize(graph, target, options, &optimized, error));
  tsl_status status = tsl_lower(optimized, lowered, error);
  tsl_graph_free(optimized);
  if (status) return status;
  status = generate(*lowered, target, options, llvm, error);
  if (status) tsl_lowered_free(*lowered);
  return status;
}

typedef struct jit_owner {
  tsl_jit *jit;
  unsigned char *constants;
} jit_owner;

static void release_jit(void *owner) {
  jit_owner *parts = owner;
  tsl_jit_free(parts->jit);
  free(parts->constants);
  free(parts);
}

static void *lookup_jit(void *context, const char *kernel) {
  return tsl_jit_lookup(((jit_owner *)context)->jit, kernel);
}

tsl_status tsl_compile_jit(const tsl_graph *graph, tsl_target *target,
                           const tsl_compile_options *options, tsl_model **model,
                           tsl_error *error) {
  *model = NULL;
  TRY(tsl_llvm_complete_target(target, error));
  if (!target->host) {
    return tsl_fail(error, TSL_ERROR_INPUT, "running needs the host as target, not %s",
                    target->triple);
  }
  tsl_lowered *lowered;
  tsl_llvm *llvm;
  TRY(build(graph, target, options, &lowered, &llvm, error));
  jit_owner *owner = calloc(1, sizeof(*owner));
  TSL_CHECK_ALLOC(owner);
  tsl_status status = tsl_jit_new(llvm, &owner->jit, error);
  tsl_llvm_free(llvm);
  if (status) {
    free(owner);
    tsl_lowered_free(lowered);
    return status;
  }
  owner->constants = lowered->constants;
  tsl_plan *plan = lowered->plan;
  lowered->constants = NULL;
  lowered->plan = NULL;
  tsl_lowered_free(lowered);
  status = tsl_model_create(plan, owner->constants, lookup_jit, owner, release_jit, owner,
                            graph->name, model, error);
  if (status) release_jit(owner);
  return status;
}

/* The plan, the constants and the target string go into the library as data symbols. */
static void add_artifact_data(tsl_llvm *llvm, const tsl_lowered *lowered,
                              const tsl_target *target) {
  size_t plan_size;
  void *plan = tsl_plan_serialize(lowered->plan, &plan_size);
  uint64_t size = plan_size;
  tsl_llvm_add_data(llvm, TSL_ARTIFACT_PLAN, plan, plan_size, 8);
  tsl_llvm_add_data(llvm, TSL_ARTIFACT_PLAN_SIZE, &size, sizeof(size), 8);
  free(plan);
  tsl_llvm_add_data(llvm, TSL_ARTIFACT_CONSTANTS, lowered->constants,
                    (size_t)lowered->plan->constant_bytes + 1, 64);
  char text[512];
  tsl_target_string(target, text, sizeof(text));
  tsl_llvm_add_data(llvm, TSL_ARTIFACT_TARGET, text, strlen(text) + 1, 1);
  tsl_llvm_add_data(llvm, TSL_ARTIFACT_FEATURES, target->features, strlen(target->features) + 1, 1);
}

tsl_status tsl_compile_artifact(const tsl_graph *graph, tsl_target *target,
                                const tsl_compile_options *options, const char *path,
                                tsl_error *error) {
  TRY(tsl_llvm_complete_target(target, error));
  tsl_lowered *lowered;
  tsl_llvm *llvm;
  TRY(build(graph, target, options, &lowered, &llvm, error));
  add_artifact_data(llvm, lowered, target);
  tsl_lowered_free(lowered);
  char object[4096], partial[4096];
  snprintf(object, sizeof(object), "%s.o.partial", path);
  snprintf(partial, sizeof(partial), "%s.partial", path);
  tsl_status status = tsl_llvm_emit_object(llvm, object, error);
  tsl_llvm_free(llvm);
  if (!status) status = tsl_link_shared(target, object, partial, error);
  unlink(object);
  if (!status && rename(partial, path) != 0) {
    status = tsl_fail(error, TSL_ERROR_INPUT, "%s: cannot write it", path);
  }
  if (status) unlink(partial);
  return status;
}
