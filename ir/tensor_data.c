#include "ir/tensor_data.h"

#include <sha2.h>
#include <stdlib.h>
#include <string.h>

#include "ir/check.h"

tsl_tensor_data *tsl_tensor_data_new(const tsl_type *type) {
  tsl_tensor_data *data = calloc(1, sizeof(*data));
  TSL_CHECK_ALLOC(data);
  data->references = 1;
  data->type = *type;
  data->size = tsl_type_bytes(type);
  /* One byte at least, so that an empty tensor still has an address. */
  data->bytes = calloc(1, data->size ? (size_t)data->size : 1);
  if (!data->bytes) {
    free(data);
    return NULL;
  }
  return data;
}

tsl_tensor_data *tsl_tensor_data_retain(tsl_tensor_data *data) {
  if (data) data->references++;
  return data;
}

void tsl_tensor_data_release(tsl_tensor_data *data) {
  if (!data || --data->references > 0) return;
  free(data->bytes);
  free(data);
}

const uint8_t *tsl_tensor_data_hash(tsl_tensor_data *data) {
  if (!data->hashed) {
    SHA2_CTX context;
    SHA256Init(&context);
    SHA256Update(&context, data->bytes, (size_t)data->size);
    SHA256Final(data->hash, &context);
    data->hashed = true;
  }
  return data->hash;
}

void tsl_hash_hex(const uint8_t hash[32], char hex[65]) {
  static const char digits[] = "0123456789abcdef";
  for (int i = 0; i < 32; i++) {
    hex[2 * i] = digits[hash[i] >> 4];
    hex[2 * i + 1] = digits[hash[i] & 15];
  }
  hex[64] = '\0';
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool tsl_hash_parse(const char *hex, uint8_t hash[32]) {
  for (int i = 0; i < 32; i++) {
    int high = hex_digit(hex[2 * i]);
    int low = high < 0 ? -1 : hex_digit(hex[2 * i + 1]);
    if (low < 0) return false;
    hash[i] = (uint8_t)(high << 4 | low);
  }
  return true;
}
