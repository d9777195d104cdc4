/* Object files into shared libraries, with ld.lld run as a process. */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "codegen/llvm/llvm_internal.h"
#include "ir/error.h"

extern char **environ;

/* Where the target's C math library is: kernels call it, so the library names it. On another
 * architecture's host it comes from Debian's cross C library (the package named). */
static const struct {
  const char *arch, *path, *package;
} math_libraries[] = {
    {"x86_64", "/lib/x86_64-linux-gnu/libm.so.6", "libc6"},
    {"x86_64", "/usr/lib/x86_64-linux-gnu/libm.so.6", "libc6"},
    {"aarch64", "/usr/aarch64-linux-gnu/lib/libm.so.6", "libc6-dev-arm64-cross"},
    {"aarch64", "/lib/aarch64-linux-gnu/libm.so.6", "libc6-dev-arm64-cross"},
};

static bool is_arch(const tsl_target *target, const char *arch) {
  return strncmp(target->triple, arch, strlen(arch)) == 0;
}

static const char *math_library(const tsl_target *target) {
  for (size_t i = 0; i < sizeof(math_libraries) / sizeof(math_libraries[0]); i++) {
    struct stat info;
    if (is_arch(target, math_libraries[i].arch) && stat(math_libraries[i].path, &info) == 0) {
      return math_libraries[i].path;
    }
  }
  return NULL;
}

tsl_status tsl_link_shared(const tsl_target *target, const char *object, const char *output,
                           tsl_error *error) {
  const char *libm = math_library(target);
  for (size_t i = 0; !libm && i < sizeof(math_libraries) / sizeof(math_libraries[0]); i++) {
    if (is_arch(target, math_libraries[i].arch)) {
      return tsl_fail(error, TSL_ERROR_UNSUPPORTED,
                      "cannot find the C math library of %s (%s) to link against: install %s "
                      "(tools/setup.sh does)",
                      target->triple, math_libraries[i].path, math_libraries[i].package);
    }
  }
  if (!libm) {
    return tsl_fail(error, TSL_ERROR_UNSUPPORTED,
                    "cannot find the C math library of %s to link against", target->triple);
  }
  const char *linkers[] = {"ld.lld-15", "ld.lld"};
  for (size_t i = 0; i < sizeof(linkers) / sizeof(linkers[0]); i++) {
    char *argv[] = {(char *)linkers[i], "-shared", "--eh-frame-hdr", "-z", "now", "-o",
                    (char *)output, (char *)object, (char *)libm, NULL};
    pid_t pid;
    if (posix_spawnp(&pid, linkers[i], NULL, NULL, argv, environ) != 0) continue;
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      return tsl_fail(error, TSL_ERROR_INTERNAL, "%s failed to link %s", linkers[i], output);
    }
    return TSL_OK;
  }
  return tsl_fail(error, TSL_ERROR_INPUT,
                  "cannot run ld.lld-15 (install lld-15; tools/setup.sh does)");
}
