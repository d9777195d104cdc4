#include "ir/ops/layout.h"

#include <ctype.h>
#include <string.h>

static int find(const tsl_layout *layout, char axis) {
  for (int i = 0; i < layout->rank; i++) {
    if (layout->axes[i] == axis) return i;
  }
  return -1;
}

bool tsl_layout_parse(const char *text, tsl_layout *layout) {
  layout->rank = 0;
  for (const char *at = text; *at;) {
    int64_t block = 0;
    while (isdigit((unsigned char)*at) && block < (int64_t)1 << 40)
      block = block * 10 + (*at++ - '0');
    char axis = *at++;
    bool upper = isupper((unsigned char)axis), lower = islower((unsigned char)axis);
    if (layout->rank == TSL_MAX_RANK || (!upper && !lower) || upper != (block == 0) ||
        find(layout, axis) >= 0) {
      return false;
    }
    layout->axes[layout->rank] = axis;
    layout->blocks[layout->rank++] = block;
  }
  for (int i = 0; i < layout->rank; i++) {
    if (islower((unsigned char)layout->axes[i]) &&
        find(layout, (char)toupper((unsigned char)layout->axes[i])) < 0) {
      return false;
    }
  }
  return layout->rank > 0;
}

int64_t tsl_layout_channel_block(const char *text) {
  tsl_layout layout;
  if (!tsl_layout_parse(text, &layout) || layout.rank < 3 || layout.axes[0] != 'N' ||
      layout.axes[1] != 'C') {
    return -1;
  }
  int last = layout.rank - 1;
  bool blocked = layout.axes[last] == 'c';
  for (int i = 2; i < last + !blocked; i++) {
    if (!isupper((unsigned char)layout.axes[i]) || layout.axes[i] == 'N' || layout.axes[i] == 'C') {
      return -1;
    }
  }
  return blocked ? layout.blocks[last] : 0;
}
