#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/arena.h"
#include "ir/text.h"
#include "ir/strmap.h"
#include "tests/unit/util.h"

START_TEST(allocations_are_zeroed_and_aligned) {
  tsl_arena *arena = tsl_arena_new();
  for (int i = 1; i < 2000; i += 37) {
    unsigned char *memory = tsl_arena_alloc(arena, (size_t)i);
    ck_assert_uint_eq((uintptr_t)memory % 16, 0);
    for (int j = 0; j < i; j++) ck_assert_uint_eq(memory[j], 0);
    memset(memory, 0xab, (size_t)i);
  }
  /* Larger than a chunk: still served. */
  char *large = tsl_arena_alloc(arena, 1 << 20);
  large[(1 << 20) - 1] = 1;
  tsl_arena_free(arena);
}
END_TEST

START_TEST(growing_arrays_keep_their_items) {
  tsl_arena *arena = tsl_arena_new();
  int *items = NULL, count = 0, capacity = 0;
  for (int i = 0; i < 1000; i++) TSL_ARENA_PUSH(arena, items, count, capacity, i * 3);
  ck_assert_int_eq(count, 1000);
  for (int i = 0; i < 1000; i++) ck_assert_int_eq(items[i], i * 3);
  ck_assert_str_eq(tsl_arena_printf(arena, "%s-%d", "conv", 3), "conv-3");
  tsl_arena_free(arena);
}
END_TEST

START_TEST(buffers_and_maps) {
  tsl_text buffer = {0};
  tsl_text_printf(&buffer, "%d", 42);
  tsl_text_puts(&buffer, " apples");
  char *text = tsl_text_take(&buffer);
  ck_assert_str_eq(text, "42 apples");
  free(text);
  tsl_strmap map = {0};
  char keys[500][16];
  for (int i = 0; i < 500; i++) {
    snprintf(keys[i], sizeof(keys[i]), "key%d", i);
    tsl_strmap_put(&map, keys[i], (void *)(intptr_t)(i + 1));
  }
  for (int i = 0; i < 500; i++) ck_assert_int_eq((intptr_t)tsl_strmap_get(&map, keys[i]), i + 1);
  ck_assert_ptr_null(tsl_strmap_get(&map, "absent"));
  tsl_strmap_free(&map);
}
END_TEST

Suite *suite_arena(void) {
  Suite *suite = suite_create("arena");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, allocations_are_zeroed_and_aligned);
  tcase_add_test(tc, growing_arrays_keep_their_items);
  tcase_add_test(tc, buffers_and_maps);
  suite_add_tcase(suite, tc);
  return suite;
}
