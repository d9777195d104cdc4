#include "ir/weights.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ir/check.h"
#include "ir/error.h"
#include "ir/graph.h"

static const char magic[8] = {'T', 'S', 'L', 'W', 'G', 'T', '0', '1'};

struct tsl_weights {
  tsl_tensor_data **tensors;
  int count;
};

static bool write_all(FILE *file, const void *bytes, size_t size) {
  return fwrite(bytes, 1, size, file) == size;
}

static bool write_tensor(FILE *file, tsl_tensor_data *data) {
  uint32_t header[2] = {(uint32_t)data->type.dtype, (uint32_t)data->type.rank};
  uint64_t size = (uint64_t)data->size;
  return write_all(file, tsl_tensor_data_hash(data), 32) && write_all(file, header, sizeof(header)) &&
         write_all(file, data->type.dims, sizeof(int64_t) * (size_t)data->type.rank) &&
         write_all(file, &size, sizeof(size)) && write_all(file, data->bytes, (size_t)data->size);
}

/* Written to a temporary name and renamed, so a failed write leaves no partial file. */
tsl_status tsl_graph_save_weights(const tsl_graph *graph, const char *path, tsl_error *error) {
  char temporary[4096];
  snprintf(temporary, sizeof(temporary), "%s.partial", path);
  FILE *file = fopen(temporary, "wb");
  if (!file) return tsl_fail(error, TSL_ERROR_INPUT, "%s: cannot write: %s", path, strerror(errno));
  /* Constants with equal data and type are stored once. */
  int unique[graph->num_constants + 1];
  uint64_t count = 0;
  for (int i = 0; i < graph->num_constants; i++) {
    tsl_tensor_data *data = graph->constants[i]->data;
    bool seen = !data;
    for (uint64_t j = 0; j < count && !seen; j++) {
      tsl_tensor_data *stored = graph->constants[unique[j]]->data;
      seen = tsl_type_equal(&stored->type, &data->type) &&
             memcmp(tsl_tensor_data_hash(stored), tsl_tensor_data_hash(data), 32) == 0;
    }
    if (!seen) unique[count++] = i;
  }
  bool written = write_all(file, magic, sizeof(magic)) && write_all(file, &count, sizeof(count));
  for (uint64_t j = 0; j < count && written; j++) {
    written = write_tensor(file, graph->constants[unique[j]]->data);
  }
  written = fclose(file) == 0 && written;
  if (!written || rename(temporary, path) != 0) {
    unlink(temporary);
    return tsl_fail(error, TSL_ERROR_INPUT, "%s: cannot write: %s", path, strerror(errno));
  }
  return TSL_OK;
}

static bool read_all(FILE *file, void *bytes, size_t size) {
  return fread(bytes, 1, size, file) == size;
}

static tsl_status read_tensor(FILE *file, const char *path, tsl_tensor_data **out,
                              tsl_error *error) {
  uint8_t hash[32];
  uint32_t header[2];
  uint64_t size;
  tsl_type type = {0};
  if (!read_all(file, hash, 32) || !read_all(file, header, sizeof(header))) goto truncated;
  if (header[0] == 0 || header[0] >= TSL_DTYPE_COUNT || header[1] > TSL_MAX_RANK) {
    return tsl_fail(error, TSL_ERROR_INPUT, "%s: bad tensor header", path);
  }
  type.dtype = (tsl_dtype)header[0];
  type.rank = (int)header[1];
  if (!read_all(file, type.dims, sizeof(int64_t) * (size_t)type.rank)) goto truncated;
  int64_t elements;
  if (!tsl_shape_elements(type.rank, type.dims, &elements)) {
    return tsl_fail(error, TSL_ERROR_INPUT, "%s: bad tensor shape", path);
  }
  if (!read_all(file, &size, sizeof(size))) goto truncated;
  if (size != (uint64_t)elements * tsl_dtype_size(type.dtype)) {
    return tsl_fail(error, TSL_ERROR_INPUT, "%s: tensor of %s holds %llu bytes", path,
                    tsl_type_str(&type).text, (unsigned long long)size);
  }
  /* The file must really hold this many bytes before they are allocated. */
  long here = ftell(file);
  if (fseek(file, 0, SEEK_END) != 0 || (uint64_t)(ftell(file) - here) < size ||
      fseek(file, here, SEEK_SET) != 0) {
    goto truncated;
  }
  tsl_tensor_data *data = tsl_tensor_data_new(&type);
  if (!data) return tsl_fail(error, TSL_ERROR_INPUT, "%s: out of memory", path);
  if (!read_all(file, data->bytes, (size_t)size)) {
    tsl_tensor_data_release(data);
    goto truncated;
  }
  if (memcmp(tsl_tensor_data_hash(data), hash, 32) != 0) {
    tsl_tensor_data_release(data);
    return tsl_fail(error, TSL_ERROR_INPUT, "%s: a tensor's data does not match its hash", path);
  }
  *out = data;
  return TSL_OK;
truncated:
  return tsl_fail(error, TSL_ERROR_INPUT, "%s: file is truncated", path);
}

tsl_status tsl_weights_read(const char *path, tsl_weights **out, tsl_error *error) {
  *out = NULL;
  FILE *file = fopen(path, "rb");
  if (!file) return tsl_fail(error, TSL_ERROR_INPUT, "%s: cannot open: %s", path, strerror(errno));
  char header[sizeof(magic)];
  uint64_t count;
  tsl_status status = TSL_OK;
  if (!read_all(file, header, sizeof(header)) || memcmp(header, magic, sizeof(magic)) != 0 ||
      !read_all(file, &count, sizeof(count)) || count > (1u << 24)) {
    fclose(file);
    return tsl_fail(error, TSL_ERROR_INPUT, "%s: not a tessel weights file", path);
  }
  tsl_weights *weights = calloc(1, sizeof(*weights));
  TSL_CHECK_ALLOC(weights);
  weights->tensors = calloc(count ? count : 1, sizeof(tsl_tensor_data *));
  TSL_CHECK_ALLOC(weights->tensors);
  for (uint64_t i = 0; i < count && !status; i++) {
    status = read_tensor(file, path, &weights->tensors[weights->count], error);
    if (!status) weights->count++;
  }
  fclose(file);
  if (status) {
    tsl_weights_free(weights);
    return status;
  }
  *out = weights;
  return TSL_OK;
}

tsl_tensor_data *tsl_weights_find(const tsl_weights *weights, const uint8_t hash[32],
                                  const tsl_type *type) {
  for (int i = 0; i < weights->count; i++) {
    tsl_tensor_data *data = weights->tensors[i];
    if (tsl_type_equal(&data->type, type) && memcmp(tsl_tensor_data_hash(data), hash, 32) == 0) {
      return data;
    }
  }
  return NULL;
}

void tsl_weights_free(tsl_weights *weights) {
  if (!weights) return;
  for (int i = 0; i < weights->count; i++) tsl_tensor_data_release(weights->tensors[i]);
  free(weights->tensors);
  free(weights);
}
