/* Constant tensor data: immutable once built, reference-counted, and shared by every container
 * that uses it, so that no pass copies the weights. Identified by a SHA-256 content hash. */
#ifndef TSL_IR_TENSOR_DATA_H
#define TSL_IR_TENSOR_DATA_H

#include <stdint.h>

#include "ir/type.h"

typedef struct tsl_tensor_data {
  int references;
  tsl_type type;
  int64_t size; /* bytes */
  void *bytes;
  bool hashed;
  uint8_t hash[32];
} tsl_tensor_data;

/* Zero-filled data of a checked type; NULL when the memory cannot be had. */
tsl_tensor_data *tsl_tensor_data_new(const tsl_type *type);
tsl_tensor_data *tsl_tensor_data_retain(tsl_tensor_data *data);
void tsl_tensor_data_release(tsl_tensor_data *data);

/* SHA-256 of the bytes (computed once, on first use). */
const uint8_t *tsl_tensor_data_hash(tsl_tensor_data *data);

/* The hash as 64 lowercase hex digits and a terminating zero. */
void tsl_hash_hex(const uint8_t hash[32], char hex[65]);
bool tsl_hash_parse(const char *hex, uint8_t hash[32]);

#endif
