/* Targets: what code is generated for. Parsed from a string (`llvm`, `llvm -mcpu=skylake-avx512`,
 * `llvm -mtriple=aarch64-linux-gnu -mcpu=cortex-a72`) into what schedules and code generators
 * need. `llvm` alone means the host, filled in by the code generator that can detect it. */
#ifndef TSL_IR_TARGET_H
#define TSL_IR_TARGET_H

#include <stdbool.h>

#include "tessel/tessel.h"

#define TSL_TARGET_KINDS(X)            \
  X(LLVM, "llvm")   /* CPUs, through LLVM */

typedef enum tsl_target_kind {
#define X(kind, name) TSL_TARGET_##kind,
  TSL_TARGET_KINDS(X)
#undef X
} tsl_target_kind;

/* The L2 cache per core that passes size their blocks for: 1 MiB, as on most x86 and Arm server
 * cores of the last years (Zen 4 and Skylake-SP; 2 MiB on Sapphire Rapids and Neoverse V2). */
enum { TSL_TARGET_L2_BYTES = 1024 * 1024 };

typedef struct tsl_target {
  tsl_target_kind kind;
  char triple[128];   /* "" until known: the host's */
  char cpu[64];       /* "" until known: the host's */
  char features[4096]; /* LLVM feature string, "+avx2,+fma,..." */
  int vector_bits;    /* widest vector register the rules should use */
  int cores;          /* threads the runtime uses by default; 0: as many as the machine has */
  bool host;          /* generated code runs in this process's machine */
} tsl_target;

/* Parses a target string; the host's properties are filled in by tsl_llvm_complete_target. */
tsl_status tsl_target_parse(const char *text, tsl_target *target, tsl_error *error);

/* The canonical string: kind, triple, CPU, and the explicit options. */
void tsl_target_string(const tsl_target *target, char *text, size_t size);

/* Whether the target's feature string turns `feature` on: an item "+feature" exactly (so
 * "avx512f" is not "avx512fp16"). */
bool tsl_target_has_feature(const tsl_target *target, const char *feature);

#endif
