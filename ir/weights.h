/* The weights file: constant data keyed by content hash, travelling beside a graph's text.
 *
 * Layout (little-endian): the 8 bytes "TSLWGT01", a u64 count, then per tensor its 32-byte
 * SHA-256, u32 dtype, u32 rank, rank × i64 dims, u64 byte size, and the bytes. */
#ifndef TSL_IR_WEIGHTS_H
#define TSL_IR_WEIGHTS_H

#include "ir/tensor_data.h"
#include "tessel/tessel.h"

typedef struct tsl_weights tsl_weights;

tsl_status tsl_weights_read(const char *path, tsl_weights **weights, tsl_error *error);
/* The tensor of this content hash and type (equal bytes may be several tensors: f32[] and
 * f32[1] holding the same value). */
tsl_tensor_data *tsl_weights_find(const tsl_weights *weights, const uint8_t hash[32],
                                  const tsl_type *type);
void tsl_weights_free(tsl_weights *weights);

#endif
