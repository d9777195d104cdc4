/* Errors that come from user input: a status code and a message that names the place. */
#ifndef TSL_IR_ERROR_H
#define TSL_IR_ERROR_H

#include "tessel/tessel.h"

/* Sets the error and returns its status, so a failing path reads `return tsl_fail(...)`. */
tsl_status tsl_fail(tsl_error *error, tsl_status status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Puts context in front of the message already set: "model.onnx: node 'conv_3': " + message. */
void tsl_error_prefix(tsl_error *error, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

void tsl_error_clear(tsl_error *error);

/* Returns the status of a failing call: `TRY(parse(...));`. */
#define TRY(expression)                                \
  do {                                                 \
    tsl_status try_status_ = (expression);             \
    if (try_status_ != TSL_OK) return try_status_;     \
  } while (0)

#endif
