/* Loading artifacts: dlopen, the plan and constants from their symbols, kernels by name. */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "runtime/artifact.h"
#include "runtime/model.h"

static void *lookup_symbol(void *library, const char *name) { return dlsym(library, name); }

static void close_library(void *library) { dlclose(library); }

/* An artifact built for another machine cannot run here: its triple says which it is for. */
static bool runs_here(const char *target) {
  struct utsname machine;
  if (uname(&machine) != 0) return true;
  const char *triple = strstr(target, "-mtriple=");
  if (!triple) return true;
  triple += strlen("-mtriple=");
  return strncmp(triple, machine.machine, strlen(machine.machine)) == 0;
}

tsl_status tsl_model_load(const char *path, tsl_model **model, tsl_error *error) {
  *model = NULL;
  void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    return tsl_runtime_fail(error, TSL_ERROR_INPUT, "%s: cannot load it as a compiled model: %s",
                            path, dlerror());
  }
  const void *plan_bytes = dlsym(library, TSL_ARTIFACT_PLAN);
  const uint64_t *plan_size = dlsym(library, TSL_ARTIFACT_PLAN_SIZE);
  const void *constants = dlsym(library, TSL_ARTIFACT_CONSTANTS);
  const char *target = dlsym(library, TSL_ARTIFACT_TARGET);
  if (!plan_bytes || !plan_size || !constants || !target) {
    dlclose(library);
    return tsl_runtime_fail(error, TSL_ERROR_INPUT, "%s: not a tessel artifact", path);
  }
  if (!runs_here(target)) {
    dlclose(library);
    return tsl_runtime_fail(error, TSL_ERROR_INPUT, "%s was compiled for another machine (%s)",
                            path, target);
  }
  tsl_plan *plan = tsl_plan_deserialize(plan_bytes, (size_t)*plan_size);
  if (!plan) {
    dlclose(library);
    return tsl_runtime_fail(error, TSL_ERROR_INPUT,
                            "%s: its plan is damaged or from another version of tessel", path);
  }
  tsl_status status = tsl_model_create(plan, constants, lookup_symbol, library, close_library,
                                       library, path, model, error);
  if (status) dlclose(library);
  return status;
}
