/* Helpers for the unit suites: graphs from text, and checks on what tessel says about them. */
#ifndef TSL_TESTS_UNIT_UTIL_H
#define TSL_TESTS_UNIT_UTIL_H

#include <check.h>

#include "ir/graph.h"

/* Parses (and so type-checks) a graph; fails the test with tessel's message if it does not. */
tsl_graph *parse_ok(const char *text);

/* Parsing must fail with a message containing `expected`. */
void parse_fails(const char *text, const char *expected);

#define EXPECT_GRAPH_OK(text) tsl_graph_free(parse_ok(text))

#endif
