/* Helpers for the unit suites: graphs from text, and checks on what tessel says about them. */
#ifndef TSL_TESTS_UNIT_UTIL_H
#define TSL_TESTS_UNIT_UTIL_H

#include <check.h>

#include "ir/graph.h"

/* Parses (and so type-checks) a graph; fails the test with tessel's message if it does not. */
tsl_graph *parse_ok(const char *text);

/* Parsing must fail with a message containing `expected`. */
void parse_fails(const char *text, const char *expected);

/* The whole file, NUL-terminated; fails the test when it cannot be read. */
char *read_text(const char *path);

/* The text after `marker` (found in `text`) up to `next` or the end; `path` names the file in
 * messages. */
char *text_section(const char *path, const char *text, const char *marker, const char *next);

/* Calls run_case on every .txt file of the folder; fails the test when there is none. */
void run_cases(const char *folder, void (*run_case)(const char *path));

#define EXPECT_GRAPH_OK(text) tsl_graph_free(parse_ok(text))

#endif
