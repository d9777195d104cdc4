#include "tests/unit/util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
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

char *read_text(const char *path) {
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

char *text_section(const char *path, const char *text, const char *marker, const char *next) {
  const char *start = strstr(text, marker);
  ck_assert_msg(start != NULL, "%s: no '%s' line", path, marker);
  start += strlen(marker);
  const char *end = next ? strstr(start, next) : NULL;
  if (!end) end = start + strlen(start);
  return strndup(start, (size_t)(end - start));
}

void run_cases(const char *folder, void (*run_case)(const char *path)) {
  DIR *dir = opendir(folder);
  ck_assert_msg(dir != NULL, "%s: cannot open it", folder);
  int cases = 0;
  for (struct dirent *entry; (entry = readdir(dir));) {
    size_t length = strlen(entry->d_name);
    if (length < 5 || strcmp(entry->d_name + length - 4, ".txt") != 0) continue;
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", folder, entry->d_name);
    run_case(path);
    cases++;
  }
  closedir(dir);
  ck_assert_int_gt(cases, 0);
}
