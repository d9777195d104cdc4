/* Every unit suite, once: main.c runs them all. */
#define UNIT_SUITES(X) \
  X(arena)             \
  X(dtype)             \
  X(graph_text)        \
  X(graph_structure)   \
  X(graph_passes)      \
  X(rules_elementwise) \
  X(rules_nn)          \
  X(rules_tensor)      \
  X(eval)              \
  X(tir)               \
  X(codegen)           \
  X(schedule)          \
  X(records)
