/* Graph passes, case by case: each file of tests/passes holds a graph in text, the passes to
 * run and the graph they must give (docs/passes.md):
 *
 *   # what the case shows
 *   passes: fold_constants dce
 *   input:
 *   graph "g" { … }
 *   expected:
 *   graph "g" { … }
 *
 * The graph is verified after every pass; constant folding evaluates with the driver's JIT.
 * A mismatch prints the graph the passes gave. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/driver.h"
#include "tests/unit/util.h"

#ifndef TSL_PASS_CASES
#error "the build defines TSL_PASS_CASES, the folder of cases"
#endif

static char *read_text(const char *path) {
  FILE *file = fopen(path, "rb");
  ck_assert_msg(file != NULL, "%s: cannot open it", path);
  fseek(file, 0, SEEK_END);
  long size = ftell(file);
  fseek(file, 0, SEEK_SET);
  char *text = malloc((size_t)size + 1);
  ck_assert_int_eq(fread(text, 1, (size_t)size, file), size);
  text[size] = '\0';
  fclose(file);
  return text;
}

/* The line after `marker` (a line of its own) up to the next such marker or the end. */
static char *section(const char *path, const char *text, const char *marker, const char *next) {
  const char *start = strstr(text, marker);
  ck_assert_msg(start != NULL, "%s: no '%s' line", path, marker);
  start += strlen(marker);
  const char *end = next ? strstr(start, next) : NULL;
  if (!end) end = start + strlen(start);
  return strndup(start, (size_t)(end - start));
}

static void run_case(const char *path) {
  char *text = read_text(path);
  char *passes = section(path, text, "passes:", "\n");
  char *input = section(path, text, "input:\n", "expected:\n");
  char *expected = section(path, text, "expected:\n", NULL);
  tsl_graph *graph;
  tsl_error error;
  ck_assert_msg(tsl_graph_parse(input, strlen(input), path, NULL, &graph, &error) == TSL_OK,
                "%s", error.message);
  tsl_pass_options options = {.verify = true, .evaluate = tsl_evaluate_graph};
  const tsl_graph_pass *list[16];
  int count = 0;
  for (char *name = strtok(passes, " "); name; name = strtok(NULL, " ")) {
    ck_assert_msg(count < 16 && (list[count] = tsl_graph_pass_find(name)) != NULL,
                  "%s: no pass '%s'", path, name);
    count++;
  }
  ck_assert_msg(tsl_graph_run_passes(graph, list, count, &options, &error) == TSL_OK, "%s: %s",
                path, error.message);
  char *printed = tsl_graph_print(graph);
  ck_assert_msg(strcmp(printed, expected) == 0, "%s: the passes gave\n%s", path, printed);
  free(printed);
  tsl_graph_free(graph);
  free(text);
  free(passes);
  free(input);
  free(expected);
}

START_TEST(pass_cases) {
  DIR *dir = opendir(TSL_PASS_CASES);
  ck_assert_msg(dir != NULL, "%s: cannot open it", TSL_PASS_CASES);
  int cases = 0;
  for (struct dirent *entry; (entry = readdir(dir));) {
    size_t length = strlen(entry->d_name);
    if (length < 5 || strcmp(entry->d_name + length - 4, ".txt") != 0) continue;
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", TSL_PASS_CASES, entry->d_name);
    run_case(path);
    cases++;
  }
  closedir(dir);
  ck_assert_int_gt(cases, 0);
}
END_TEST

Suite *suite_graph_passes(void) {
  Suite *suite = suite_create("graph_passes");
  TCase *tc = tcase_create("cases");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, pass_cases);
  suite_add_tcase(suite, tc);
  return suite;
}
