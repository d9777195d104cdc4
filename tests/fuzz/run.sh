#!/usr/bin/env bash
# Runs the fuzz targets for a bounded time: `run.sh BUILD_DIR SECONDS`. Seeds: the ONNX
# conformance models (import) or the graph texts tessel prints for them, imported and fused
# (text), and the inputs
# of earlier findings in tests/fuzz/regressions, which run first. Exits non-zero on a finding.
set -euo pipefail
build=$1
seconds=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
onnx_tests="$root/../shared/onnx-tests"

seeds="$build/fuzz-seeds"
if [ ! -d "$seeds/onnx" ]; then
  mkdir -p "$seeds/onnx" "$seeds/text"
  # Small models of many operators: the node cases and the light zoo.
  for model in "$onnx_tests"/node/*/model.onnx; do
    cp "$model" "$seeds/onnx/$(basename "$(dirname "$model")").onnx"
  done
  cp "$onnx_tests"/light/*.onnx "$seeds/onnx/"
  # Graph texts: what tessel prints for the first few hundred node cases, as imported and
  # after the graph passes (kernel blocks, constants written by value).
  count=0
  for model in "$seeds"/onnx/test_*.onnx; do
    name=$(basename "$model" .onnx)
    "$root/build/tools/tessel" inspect "$model" > "$seeds/text/$name.tsl" 2>/dev/null || rm -f "$seeds/text/$name.tsl"
    "$root/build/tools/tessel" inspect --ir fused "$model" > "$seeds/text/$name.fused.tsl" 2>/dev/null || rm -f "$seeds/text/$name.fused.tsl"
    count=$((count + 1))
    [ $count -lt 400 ] || break
  done
fi

half=$(( seconds / 2 > 1 ? seconds / 2 : 1 ))
for target in onnx_import:onnx graph_text:text; do
  name=${target%%:*}
  corpus="$build/fuzz-corpus/$name"
  mkdir -p "$corpus"
  inputs=("$corpus")
  regressions="$root/tests/fuzz/regressions/${target##*:}"
  [ -d "$regressions" ] && inputs+=("$regressions")
  inputs+=("$seeds/${target##*:}")
  echo "fuzz_$name: $half s"
  "$build/tests/fuzz_$name" -max_total_time="$half" -timeout=20 -rss_limit_mb=4096 \
    -max_len=262144 -print_final_stats=1 -artifact_prefix="$build/fuzz-finding-$name-" \
    "${inputs[@]}" 2>&1 | grep -E "^(stat::number_of_executed_units|==[0-9]+==|SUMMARY|Done)" || true
  if ls "$build"/fuzz-finding-"$name"-* >/dev/null 2>&1; then
    echo "fuzz_$name found a problem: $(ls "$build"/fuzz-finding-"$name"-*)"
    exit 1
  fi
done
