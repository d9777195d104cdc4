/* What `tessel run`, `tessel bench` and the runner (tessel-runner) share about a model's inputs
 * and outputs. Runtime-only: the runner links no compiler. */
#ifndef TSL_TOOLS_MODEL_IO_H
#define TSL_TOOLS_MODEL_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessel/runtime.h"

/* The fixed pattern of inputs not given: element i of a float input is ((i mod 97) - 48) / 64,
 * of an integer input i mod 7, of a bool input i mod 2. */
void tsl_fill_pattern(tsl_dtype dtype, void *bytes, int64_t elements);

/* Where output `name` is written: DIR/NAME.npy, NAME with every character other than letters,
 * digits, '.', '_' and '-' replaced by '_'. */
void tsl_output_path(const char *dir, const char *name, char *path, size_t size);

/* Whether `name` is an input of the model at `path`; when it is not, says so on stderr after
 * "PROGRAM: error: ", listing the model's inputs. */
bool tsl_known_input(const char *program, const char *path, tsl_model *model, const char *name);

#endif
