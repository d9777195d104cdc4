/* Structural equality and hashing, and the graph edits the importer relies on. */
#include <string.h>

#include "tests/unit/util.h"

static void hash_of(const char *text, uint8_t hash[32]) {
  tsl_graph *graph = parse_ok(text);
  tsl_graph_hash(graph, hash);
  tsl_graph_free(graph);
}

static bool texts_equal(const char *a, const char *b) {
  tsl_graph *x = parse_ok(a), *y = parse_ok(b);
  bool equal = tsl_graph_equal(x, y);
  ck_assert_int_eq(equal, tsl_graph_equal(y, x));
  tsl_graph_free(x);
  tsl_graph_free(y);
  return equal;
}

static const char *const base =
    "graph \"g\" {\n  input %x: f32[4]\n  input %y: f32[4]\n"
    "  %a: f32[4] = exp(%x)\n  %b: f32[4] = log(%y)\n  %c: f32[4] = sub(%a, %b)\n"
    "  output %c\n}\n";

START_TEST(names_and_order_do_not_matter) {
  const char *renamed =
      "graph \"other\" {\n  input %p: f32[4]\n  input %q: f32[4]\n"
      "  %l: f32[4] = log(%q)\n  %e: f32[4] = exp(%p) @named\n  %r: f32[4] = sub(%e, %l)\n"
      "  output %r\n}\n";
  ck_assert(texts_equal(base, renamed));
  uint8_t a[32], b[32];
  hash_of(base, a);
  hash_of(renamed, b);
  ck_assert(memcmp(a, b, 32) == 0);
}
END_TEST

/* The hash is part of tessel's file formats (tuning records will key on it): it must not change
 * between builds, machines or versions unless its format version does. */
START_TEST(hash_is_stable) {
  uint8_t hash[32];
  char hex[65];
  hash_of(base, hash);
  tsl_hash_hex(hash, hex);
  ck_assert_str_eq(hex, "60c4c24430dbf555c642d6f691cae42e17245f86ed15b76214bcd2b153142e21");
}
END_TEST

START_TEST(structure_does_matter) {
  const char *variants[] = {
      /* operands swapped */
      "graph \"g\" {\n  input %x: f32[4]\n  input %y: f32[4]\n"
      "  %a: f32[4] = exp(%x)\n  %b: f32[4] = log(%y)\n  %c: f32[4] = sub(%b, %a)\n"
      "  output %c\n}\n",
      /* inputs swapped */
      "graph \"g\" {\n  input %x: f32[4]\n  input %y: f32[4]\n"
      "  %a: f32[4] = exp(%y)\n  %b: f32[4] = log(%x)\n  %c: f32[4] = sub(%a, %b)\n"
      "  output %c\n}\n",
      /* another operator */
      "graph \"g\" {\n  input %x: f32[4]\n  input %y: f32[4]\n"
      "  %a: f32[4] = exp(%x)\n  %b: f32[4] = log(%y)\n  %c: f32[4] = add(%a, %b)\n"
      "  output %c\n}\n",
      /* an attribute */
      "graph \"g\" {\n  input %x: f32[4]\n  input %y: f32[4]\n"
      "  %a: f32[4] = elu(%x)\n  %b: f32[4] = log(%y)\n  %c: f32[4] = sub(%a, %b)\n"
      "  output %c\n}\n",
  };
  uint8_t reference[32];
  hash_of(base, reference);
  for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
    ck_assert_msg(!texts_equal(base, variants[i]), "variant %zu compares equal", i);
    uint8_t hash[32];
    hash_of(variants[i], hash);
    ck_assert_msg(memcmp(reference, hash, 32) != 0, "variant %zu hashes equal", i);
  }
  ck_assert(!texts_equal(variants[3], "graph \"g\" {\n  input %x: f32[4]\n  input %y: f32[4]\n"
                         "  %a: f32[4] = elu(%x) {alpha=0.5}\n  %b: f32[4] = log(%y)\n"
                         "  %c: f32[4] = sub(%a, %b)\n  output %c\n}\n"));
}
END_TEST

START_TEST(shared_values_stay_shared) {
  /* exp(x) used twice is not the same graph as two separate exp(x). */
  const char *shared = "graph \"g\" {\n  input %x: f32[4]\n  %a: f32[4] = exp(%x)\n"
                       "  %c: f32[4] = mul(%a, %a)\n  output %c\n}\n";
  const char *separate = "graph \"g\" {\n  input %x: f32[4]\n  %a: f32[4] = exp(%x)\n"
                         "  %b: f32[4] = exp(%x)\n  %c: f32[4] = mul(%a, %b)\n  output %c\n}\n";
  ck_assert(!texts_equal(shared, separate));
}
END_TEST

START_TEST(unused_nodes_are_removed) {
  tsl_graph *graph = parse_ok("graph \"g\" {\n  input %x: f32[4]\n"
                              "  const %k: f32[4] = sha256:"
                              "0000000000000000000000000000000000000000000000000000000000000000\n"
                              "  %dead: f32[4] = mul(%x, %k)\n  %a: f32[4] = exp(%x)\n"
                              "  output %a\n}\n");
  tsl_graph_remove_unused(graph);
  ck_assert_int_eq(graph->num_nodes, 1);
  ck_assert_int_eq(graph->num_constants, 0);
  ck_assert_int_eq(graph->num_inputs, 1);
  tsl_error error;
  ck_assert_int_eq(tsl_graph_verify(graph, &error), TSL_OK);
  tsl_graph_free(graph);
}
END_TEST

START_TEST(values_become_constants) {
  tsl_graph *graph = parse_ok("graph \"g\" {\n  input %x: f32[2]\n  input %s: i64[1]\n"
                              "  %a: f32[2] = exp(%x)\n  output %a\n}\n");
  tsl_value *s = tsl_graph_find(graph, "s");
  tsl_type type = s->type;
  tsl_value_make_constant(graph, s, tsl_tensor_data_new(&type));
  ck_assert_int_eq(graph->num_inputs, 1);
  ck_assert_int_eq(graph->num_constants, 1);
  ck_assert_int_eq(s->kind, TSL_VALUE_CONSTANT);
  tsl_graph_free(graph);
}
END_TEST

Suite *suite_graph_structure(void) {
  Suite *suite = suite_create("graph_structure");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, names_and_order_do_not_matter);
  tcase_add_test(tc, hash_is_stable);
  tcase_add_test(tc, structure_does_matter);
  tcase_add_test(tc, shared_values_stay_shared);
  tcase_add_test(tc, unused_nodes_are_removed);
  tcase_add_test(tc, values_become_constants);
  suite_add_tcase(suite, tc);
  return suite;
}
