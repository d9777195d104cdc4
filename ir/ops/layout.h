/* Tensor layouts as strings, as TVM writes them: each upper-case letter is an axis ("NCHW"),
 * and a number before a lower-case letter is a block of that axis, innermost ("NCHW16c" is
 * [N, C/16, H, W, 16]; the weights "OIHW16i16o" are [O/16, I/16, H, W, 16, 16]). An axis has at
 * most one block. Read by layout_transform and by the `layout` of convolutions and pools. */
#ifndef TSL_IR_OPS_LAYOUT_H
#define TSL_IR_OPS_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "ir/type.h"

typedef struct tsl_layout {
  int rank;
  char axes[TSL_MAX_RANK];      /* upper case: an axis; lower case: a block of that axis */
  int64_t blocks[TSL_MAX_RANK]; /* lower-case axes: the block's size; 0 elsewhere */
} tsl_layout;

/* False when the text is no layout (an axis twice, a block without its axis, a block of 0). */
bool tsl_layout_parse(const char *text, tsl_layout *layout);

/* The block of the channels of a convolution or pool's `layout`: 0 for "NCHW" (or any
 * unblocked layout), x for "NCHW{x}c"; -1 when the text is neither. */
int64_t tsl_layout_channel_block(const char *text);

#endif
