/* ONNX backend conformance, import half: every case of onnx-tests/node (or another folder of
 * cases) is imported, and the dtype and shape tessel infers for each output are compared with
 * what the model declares.
 *
 *   conformance_onnx_node ONNX_TESTS_DIR [--folder NAME] [--min-passed N] [--verbose] [CASE...]
 *
 * Inputs that decide a shape are bound from the case's test_data_set_0. A case is skipped when
 * tessel refuses it by design (status TSL_ERROR_UNSUPPORTED, with its message); anything else
 * that does not match fails. Each case runs in a child process, so a crash or a hang is
 * reported as that case's failure. A case that imports must also round-trip through the text
 * form. Ends with "N passed, N failed, N skipped". */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ir/graph.h"
#include "ir/onnx/import.h"

enum { PASSED, FAILED, SKIPPED };
static const char *const outcome_names[] = {"passed", "failed", "skipped"};

enum { CASE_TIMEOUT_SECONDS = 60, MAX_BINDINGS = 64 };

typedef struct operator_tally {
  char name[128];
  int counts[3];
} operator_tally;

/* INDEX.txt: "OpName N case case …" → the operator of each case. */
typedef struct case_index {
  char **cases, **operators;
  int count;
} case_index;

static void read_index(const char *path, case_index *index) {
  FILE *file = fopen(path, "r");
  if (!file) return;
  char *line = NULL;
  size_t capacity = 0;
  while (getline(&line, &capacity, file) > 0) {
    char *save, *op = strtok_r(line, " \n", &save);
    if (!op || !strtok_r(NULL, " \n", &save)) continue;
    for (char *name; (name = strtok_r(NULL, " \n", &save));) {
      index->cases = realloc(index->cases, sizeof(char *) * (size_t)(index->count + 1));
      index->operators = realloc(index->operators, sizeof(char *) * (size_t)(index->count + 1));
      index->cases[index->count] = strdup(name);
      index->operators[index->count++] = strdup(op);
    }
  }
  free(line);
  fclose(file);
}

static const char *operator_of(const case_index *index, const char *name) {
  for (int i = 0; i < index->count; i++) {
    if (strcmp(index->cases[i], name) == 0) return index->operators[i];
  }
  return "(not in INDEX.txt)";
}

/* The output types the model declares, read with the same protobuf schema. */
static int declared_outputs(const char *path, tsl_type *types, bool *known, int capacity) {
  FILE *file = fopen(path, "rb");
  if (!file) return -1;
  fseek(file, 0, SEEK_END);
  long size = ftell(file);
  fseek(file, 0, SEEK_SET);
  uint8_t *bytes = malloc((size_t)size + 1);
  size_t read = fread(bytes, 1, (size_t)size, file);
  fclose(file);
  Onnx__ModelProto *model = onnx__model_proto__unpack(NULL, read, bytes);
  free(bytes);
  if (!model || !model->graph) return -1;
  int count = (int)model->graph->n_output;
  for (int i = 0; i < count && i < capacity; i++) {
    const Onnx__TypeProto *type = model->graph->output[i]->type;
    known[i] = type && type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE &&
               type->tensor_type->shape && tsl_onnx_dtype(type->tensor_type->elem_type, &types[i].dtype);
    if (!known[i]) continue;
    const Onnx__TensorShapeProto *shape = type->tensor_type->shape;
    types[i].rank = (int)shape->n_dim;
    for (size_t d = 0; d < shape->n_dim && d < TSL_MAX_RANK; d++) {
      known[i] &= shape->dim[d]->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
      types[i].dims[d] = shape->dim[d]->dim_value;
    }
    known[i] &= shape->n_dim <= TSL_MAX_RANK;
  }
  onnx__model_proto__free_unpacked(model, NULL);
  return count;
}

/* The graph's text form must round-trip: print, parse (with the weights beside it), print
 * again gives the same text, an equal graph and the same hash. "" when it does. */
static void check_round_trip(const tsl_graph *graph, char *message, size_t size) {
  char weights[] = "/tmp/tessel-conformance-XXXXXX";
  int fd = mkstemp(weights);
  if (fd < 0) {
    snprintf(message, size, "mkstemp: %s", strerror(errno));
    return;
  }
  close(fd);
  tsl_error error;
  char *text = tsl_graph_print(graph);
  tsl_graph *parsed = NULL;
  if (tsl_graph_save_weights(graph, weights, &error) ||
      tsl_graph_parse(text, strlen(text), "printed", weights, &parsed, &error)) {
    snprintf(message, size, "the printed graph does not read back: %.1900s", error.message);
  } else {
    char *again = tsl_graph_print(parsed);
    uint8_t hash[32], parsed_hash[32];
    tsl_graph_hash(graph, hash);
    tsl_graph_hash(parsed, parsed_hash);
    if (strcmp(text, again) != 0) snprintf(message, size, "print → parse → print differs");
    else if (!tsl_graph_equal(graph, parsed)) snprintf(message, size, "the parsed graph differs");
    else if (memcmp(hash, parsed_hash, 32) != 0) snprintf(message, size, "the hashes differ");
    free(again);
  }
  unlink(weights);
  free(text);
  tsl_graph_free(parsed);
}

/* Imports one case and writes "outcome message" to `out`. Runs in the child. */
static int run_case(const char *directory, FILE *out) {
  char model[4096], data[4096];
  snprintf(model, sizeof(model), "%s/model.onnx", directory);
  tsl_onnx_binding bindings[MAX_BINDINGS];
  char paths[MAX_BINDINGS][4096];
  int num_bindings = 0;
  for (int k = 0; k < MAX_BINDINGS; k++) {
    snprintf(data, sizeof(data), "%s/test_data_set_0/input_%d.pb", directory, k);
    if (access(data, R_OK) != 0) break;
    strcpy(paths[k], data);
    bindings[num_bindings++] = (tsl_onnx_binding){.name = NULL, .position = k, .path = paths[k]};
  }
  tsl_onnx_options options = {.bindings = bindings, .num_bindings = num_bindings};
  tsl_graph *graph;
  tsl_error error;
  tsl_status status = tsl_import_onnx(model, &options, &graph, &error);
  if (status == TSL_ERROR_UNSUPPORTED) return fprintf(out, "%d %s", SKIPPED, error.message), 0;
  if (status) return fprintf(out, "%d %s", FAILED, error.message), 0;
  tsl_type declared[64];
  bool known[64];
  int count = declared_outputs(model, declared, known, 64);
  int outcome = PASSED;
  char message[2048] = "";
  if (count != graph->num_outputs) {
    outcome = FAILED;
    snprintf(message, sizeof(message), "the model declares %d outputs, tessel has %d", count,
             graph->num_outputs);
  }
  for (int i = 0; i < graph->num_outputs && i < 64 && outcome == PASSED; i++) {
    const tsl_type *inferred = &graph->outputs[i].value->type;
    if (!known[i]) continue;
    if (!tsl_type_equal(inferred, &declared[i])) {
      outcome = FAILED;
      snprintf(message, sizeof(message), "output '%s': the model declares %s, tessel infers %s",
               graph->outputs[i].name, tsl_type_str(&declared[i]).text,
               tsl_type_str(inferred).text);
    }
  }
  if (outcome == PASSED) {
    check_round_trip(graph, message, sizeof(message));
    if (message[0]) outcome = FAILED;
  }
  tsl_graph_free(graph);
  fprintf(out, "%d %s", outcome, message);
  return 0;
}

/* Forks, runs the case with a time limit, and reads back its outcome. */
static int run_isolated(const char *directory, char *message, size_t size) {
  int channel[2];
  if (pipe(channel) != 0) return snprintf(message, size, "pipe: %s", strerror(errno)), FAILED;
  pid_t child = fork();
  if (child == 0) {
    close(channel[0]);
    alarm(CASE_TIMEOUT_SECONDS);
    FILE *out = fdopen(channel[1], "w");
    run_case(directory, out);
    fclose(out);
    _exit(0);
  }
  close(channel[1]);
  char buffer[4096] = "";
  size_t length = 0;
  ssize_t got;
  while ((got = read(channel[0], buffer + length, sizeof(buffer) - 1 - length)) > 0) length += (size_t)got;
  buffer[length] = '\0';
  close(channel[0]);
  int wait_status;
  waitpid(child, &wait_status, 0);
  if (WIFSIGNALED(wait_status)) {
    snprintf(message, size, "crashed: %s%s", strsignal(WTERMSIG(wait_status)),
             WTERMSIG(wait_status) == SIGALRM ? " (time limit)" : "");
    return FAILED;
  }
  int outcome = FAILED;
  int consumed = 0;
  if (sscanf(buffer, "%d %n", &outcome, &consumed) < 1 || outcome < PASSED || outcome > SKIPPED) {
    snprintf(message, size, "the child reported nothing (exit status %d)", WEXITSTATUS(wait_status));
    return FAILED;
  }
  snprintf(message, size, "%s", buffer + consumed);
  return outcome;
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s ONNX_TESTS_DIR [--folder NAME] [--min-passed N] [--verbose] "
            "[CASE...]\n", argv[0]);
    return 2;
  }
  const char *root = argv[1], *folder = "node";
  int min_passed = 0;
  bool verbose = false;
  char **selected = NULL;
  int num_selected = 0;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--min-passed") == 0 && i + 1 < argc) min_passed = atoi(argv[++i]);
    else if (strcmp(argv[i], "--folder") == 0 && i + 1 < argc) folder = argv[++i];
    else if (strcmp(argv[i], "--verbose") == 0) verbose = true;
    else {
      selected = realloc(selected, sizeof(char *) * (size_t)(num_selected + 1));
      selected[num_selected++] = argv[i];
    }
  }
  char path[4096];
  snprintf(path, sizeof(path), "%s/INDEX.txt", root);
  case_index index = {0};
  read_index(path, &index);
  snprintf(path, sizeof(path), "%s/%s", root, folder);
  DIR *dir = opendir(path);
  if (!dir) {
    fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
    return 2;
  }
  char **cases = NULL;
  int num_cases = 0;
  for (struct dirent *entry; (entry = readdir(dir));) {
    if (entry->d_name[0] == '.') continue;
    bool wanted = num_selected == 0;
    for (int i = 0; i < num_selected; i++) wanted |= strcmp(selected[i], entry->d_name) == 0;
    if (!wanted) continue;
    cases = realloc(cases, sizeof(char *) * (size_t)(num_cases + 1));
    cases[num_cases++] = strdup(entry->d_name);
  }
  closedir(dir);
  qsort(cases, (size_t)num_cases, sizeof(char *), compare_names);

  operator_tally *tallies = calloc((size_t)num_cases + 1, sizeof(operator_tally));
  int num_tallies = 0, totals[3] = {0}, crashes = 0;
  for (int c = 0; c < num_cases; c++) {
    char directory[4096], message[4096];
    snprintf(directory, sizeof(directory), "%s/%s/%s", root, folder, cases[c]);
    int outcome = run_isolated(directory, message, sizeof(message));
    crashes += strncmp(message, "crashed", 7) == 0;
    totals[outcome]++;
    const char *op = operator_of(&index, cases[c]);
    int t = 0;
    while (t < num_tallies && strcmp(tallies[t].name, op) != 0) t++;
    if (t == num_tallies) snprintf(tallies[num_tallies++].name, sizeof(tallies[t].name), "%s", op);
    tallies[t].counts[outcome]++;
    if (outcome == FAILED || (verbose && outcome == SKIPPED)) {
      printf("%-7s %s: %s\n", outcome_names[outcome], cases[c], message);
    }
  }
  printf("\nby operator (passed / failed / skipped):\n");
  for (int t = 0; t < num_tallies; t++) {
    printf("  %-36s %4d %4d %4d\n", tallies[t].name, tallies[t].counts[PASSED],
           tallies[t].counts[FAILED], tallies[t].counts[SKIPPED]);
  }
  printf("\n%d passed, %d failed, %d skipped\n", totals[PASSED], totals[FAILED], totals[SKIPPED]);
  if (crashes) printf("%d cases crashed or hung\n", crashes);
  if (totals[PASSED] < min_passed) printf("fewer than the %d passes required\n", min_passed);
  for (int c = 0; c < num_cases; c++) free(cases[c]);
  for (int i = 0; i < index.count; i++) {
    free(index.cases[i]);
    free(index.operators[i]);
  }
  free(cases);
  free(index.cases);
  free(index.operators);
  free(tallies);
  free(selected);
  return crashes || totals[PASSED] < min_passed ? 1 : 0;
}
