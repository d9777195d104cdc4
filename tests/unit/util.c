#include "tests/unit/util.h"

#include <string.h>

tsl_graph *parse_ok(const char *text) {
  tsl_graph *graph;
  tsl_error error;
  tsl_status status = tsl_graph_parse(text, strlen(text), "test", NULL, &graph, &error);
  ck_assert_msg(status == TSL_OK, "parse failed: %s\n%s", error.message, text);
  return graph;
}

void parse_fails(const char *text, const char *expected) {
  tsl_graph *graph;
  tsl_error error;
  tsl_status status = tsl_graph_parse(text, strlen(text), "test", NULL, &graph, &error);
  ck_assert_msg(status != TSL_OK, "parse should have failed:\n%s", text);
  ck_assert_msg(strstr(error.message, expected), "message '%s' lacks '%s'", error.message,
                expected);
}
