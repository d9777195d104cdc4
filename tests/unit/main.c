/* Runs every unit suite (suites.h). CK_FORK=no in the environment runs them in one process,
 * which sanitizers and debuggers prefer. */
#include <check.h>
#include <stdlib.h>

#include "tests/unit/suites.h"

#define X(name) Suite *suite_##name(void);
UNIT_SUITES(X)
#undef X

int main(void) {
  SRunner *runner = srunner_create(NULL);
#define X(name) srunner_add_suite(runner, suite_##name());
  UNIT_SUITES(X)
#undef X
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
