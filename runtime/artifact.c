/* Loading artifacts: dlopen, the plan and constants from their symbols, kernels by name. */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

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

/* The first instruction-set feature in the LLVM feature string that this CPU lacks, or NULL.
 * Features this table does not know are not checked. */
static const char *missing_feature(const char *features, char *name, size_t size) {
#if defined(__x86_64__)
  static const struct {
    const char *name;
    unsigned leaf, subleaf, reg, bit; /* reg: 0 eax, 1 ebx, 2 ecx, 3 edx */
  } table[] = {
      {"sse3", 1, 0, 2, 0},         {"pclmul", 1, 0, 2, 1},         {"ssse3", 1, 0, 2, 9},
      {"fma", 1, 0, 2, 12},         {"sse4.1", 1, 0, 2, 19},        {"sse4.2", 1, 0, 2, 20},
      {"popcnt", 1, 0, 2, 23},      {"aes", 1, 0, 2, 25},           {"avx", 1, 0, 2, 28},
      {"f16c", 1, 0, 2, 29},        {"bmi", 7, 0, 1, 3},            {"avx2", 7, 0, 1, 5},
      {"bmi2", 7, 0, 1, 8},         {"avx512f", 7, 0, 1, 16},       {"avx512dq", 7, 0, 1, 17},
      {"avx512ifma", 7, 0, 1, 21},  {"avx512cd", 7, 0, 1, 28},      {"avx512bw", 7, 0, 1, 30},
      {"avx512vl", 7, 0, 1, 31},    {"avx512vbmi", 7, 0, 2, 1},     {"avx512vbmi2", 7, 0, 2, 6},
      {"gfni", 7, 0, 2, 8},         {"vaes", 7, 0, 2, 9},           {"vpclmulqdq", 7, 0, 2, 10},
      {"avx512vnni", 7, 0, 2, 11},  {"avx512bitalg", 7, 0, 2, 12},  {"avx512vpopcntdq", 7, 0, 2, 14},
      {"amx-bf16", 7, 0, 3, 22},    {"avx512fp16", 7, 0, 3, 23},    {"amx-tile", 7, 0, 3, 24},
      {"amx-int8", 7, 0, 3, 25},    {"avxvnni", 7, 1, 0, 4},        {"avx512bf16", 7, 1, 0, 5},
  };
  const char *at = features;
  while (at && *at) {
    const char *end = strchr(at, ',');
    size_t length = end ? (size_t)(end - at) : strlen(at);
    if (at[0] == '+' && length - 1 < size) {
      memcpy(name, at + 1, length - 1);
      name[length - 1] = '\0';
      for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (strcmp(table[i].name, name) != 0) continue;
        unsigned regs[4] = {0, 0, 0, 0};
        if (!__get_cpuid_count(table[i].leaf, table[i].subleaf, &regs[0], &regs[1], &regs[2], &regs[3]) ||
            !(regs[table[i].reg] >> table[i].bit & 1)) {
          return name;
        }
      }
    }
    at = end ? end + 1 : NULL;
  }
#else
  (void)features;
  (void)name;
  (void)size;
#endif
  return NULL;
}

/* dlopen trusts the file: a truncated library makes it read past the end of the mapping and
 * crash. So the ELF header, and the segments and section headers it points at, must lie inside
 * the file, for this machine's class and architecture. */
static tsl_status check_elf(const char *path, tsl_error *error) {
  FILE *file = fopen(path, "rb");
  if (!file) {
    return tsl_runtime_fail(error, TSL_ERROR_INPUT, "%s: cannot open: %s", path, strerror(errno));
  }
  Elf64_Ehdr header;
  bool ok = fread(&header, sizeof(header), 1, file) == 1;
  fseek(file, 0, SEEK_END);
  long size = ftell(file);
  const char *problem = NULL;
#if defined(__x86_64__)
  const int machine = EM_X86_64;
#elif defined(__aarch64__)
  const int machine = EM_AARCH64;
#else
  const int machine = -1;
#endif
  if (!ok || memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) problem = "not a shared library";
  else if (header.e_ident[EI_CLASS] != ELFCLASS64 || (machine >= 0 && header.e_machine != machine)) {
    problem = "a library for another kind of machine";
  } else if (header.e_type != ET_DYN) problem = "not a shared library";
  else if (header.e_phentsize != sizeof(Elf64_Phdr) ||
           header.e_phoff + (uint64_t)header.e_phnum * sizeof(Elf64_Phdr) > (uint64_t)size ||
           (header.e_shnum && header.e_shoff + (uint64_t)header.e_shnum * header.e_shentsize > (uint64_t)size)) {
    problem = "truncated or damaged (its headers point past its end)";
  }
  for (int i = 0; !problem && i < header.e_phnum; i++) {
    Elf64_Phdr segment;
    if (fseek(file, (long)(header.e_phoff + (uint64_t)i * sizeof(segment)), SEEK_SET) != 0 ||
        fread(&segment, sizeof(segment), 1, file) != 1 ||
        segment.p_offset + segment.p_filesz > (uint64_t)size || segment.p_offset + segment.p_filesz < segment.p_offset) {
      problem = "truncated or damaged (a segment lies past its end)";
    }
  }
  fclose(file);
  if (problem) return tsl_runtime_fail(error, TSL_ERROR_INPUT, "%s: cannot load it as a compiled model: %s", path, problem);
  return TSL_OK;
}

tsl_status tsl_model_load(const char *path, tsl_model **model, tsl_error *error) {
  *model = NULL;
  tsl_status checked = check_elf(path, error);
  if (checked) return checked;
  /* A name without a slash would make dlopen search the library path, not the current folder. */
  char local_path[4096];
  if (!strchr(path, '/')) snprintf(local_path, sizeof(local_path), "./%s", path);
  void *library = dlopen(strchr(path, '/') ? path : local_path, RTLD_NOW | RTLD_LOCAL);
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
  /* Copied: the library's strings go with it. */
  char target_text[512];
  snprintf(target_text, sizeof(target_text), "%s", target);
  if (!runs_here(target)) {
    dlclose(library);
    return tsl_runtime_fail(error, TSL_ERROR_INPUT, "%s was compiled for another machine (%s)",
                            path, target_text);
  }
  const char *features = dlsym(library, TSL_ARTIFACT_FEATURES);
  char feature[64];
  if (features && missing_feature(features, feature, sizeof(feature))) {
    dlclose(library);
    return tsl_runtime_fail(error, TSL_ERROR_INPUT,
                            "%s was compiled for a CPU with %s, which this machine lacks (%s)",
                            path, feature, target_text);
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
