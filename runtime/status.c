#include "tessel/runtime.h"

int tsl_status_exit_code(tsl_status status) {
  switch (status) {
  case TSL_OK: return 0;
  case TSL_ERROR_INPUT:
  case TSL_ERROR_UNSUPPORTED:
  case TSL_ERROR_NOT_IMPLEMENTED: return 2;
  default: return 1;
  }
}
