/* Internal invariants. A failed check is a bug in tessel, never a problem with the user's input:
 * it names the file and line and aborts. User input is validated with status codes instead. */
#ifndef TSL_IR_CHECK_H
#define TSL_IR_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define TSL_CHECK(condition)                                                              \
  do {                                                                                    \
    if (!(condition)) {                                                                   \
      fprintf(stderr, "tessel: internal error at %s:%d: check '%s' failed\n", __FILE__,   \
              __LINE__, #condition);                                                      \
      abort();                                                                            \
    }                                                                                     \
  } while (0)

#define TSL_CHECK_ALLOC(pointer)                                                          \
  do {                                                                                    \
    if (!(pointer)) {                                                                     \
      fprintf(stderr, "tessel: out of memory at %s:%d\n", __FILE__, __LINE__);            \
      abort();                                                                            \
    }                                                                                     \
  } while (0)

#define TSL_UNREACHABLE()                                                                 \
  do {                                                                                    \
    fprintf(stderr, "tessel: internal error at %s:%d: unreachable\n", __FILE__, __LINE__); \
    abort();                                                                              \
  } while (0)

#define TSL_ARRAY_SIZE(array) ((int)(sizeof(array) / sizeof((array)[0])))

#endif
