#!/usr/bin/env bash
# The tests, as CI runs them: installs what is missing, builds, and runs
#   1. the unit suites, the ONNX conformance test and the integration tests (build/);
#   2. the unit suites and the ONNX conformance tests again under AddressSanitizer and
#      UndefinedBehaviorSanitizer (build-sanitize/; not the whole models of light/);
#   3. the fuzz targets of the ONNX importer and the IR text parser, for a bounded time
#      (build-fuzz/, clang's libFuzzer).
# FUZZ_SECONDS sets how long fuzzing runs, split between the targets (default 120).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/tools/build.sh"

echo "== tests"
meson test -C build --print-errorlogs --num-processes 2

echo "== unit and conformance tests under AddressSanitizer and UndefinedBehaviorSanitizer"
if [ ! -f build-sanitize/build.ninja ]; then
  meson setup build-sanitize --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false \
    -Dc_args=-fno-sanitize-recover=all >/dev/null
fi
ninja -C build-sanitize >/dev/null
CK_FORK=no ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  meson test -C build-sanitize --print-errorlogs --suite unit --suite conformance

echo "== fuzzing the ONNX importer"
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang-15 meson setup build-fuzz --buildtype=debug -Dfuzz=true \
    -Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fno-sanitize-recover=all >/dev/null
fi
ninja -C build-fuzz tests/fuzz_onnx_import tests/fuzz_graph_text >/dev/null
"$root/tests/fuzz/run.sh" build-fuzz "${FUZZ_SECONDS:-120}"
echo "== all tests passed"
