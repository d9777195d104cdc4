#!/usr/bin/env bash
# The main job on the bundled example model (SqueezeNet 1.1, generated on first use): installs
# what is missing, builds tessel, shows what tessel reads in the model, tunes its kernels on this
# machine (the records go to the user's database, ~/.local/share/tessel/records.db unless
# TESSEL_RECORDS names another; a second run continues where the first stopped), compiles it
# with the records into an artifact, runs it, and measures its latency with default schedules
# and with the tuned ones.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tools/build.sh"
model="$root/models/squeezenet.onnx"
if [ ! -f "$model" ]; then
  "$root/.venv/bin/python" "$root/tools/models/generate.py" squeezenet -o "$model"
fi
tessel="$root/build/tools/tessel"
out="$root/build/example"
mkdir -p "$out"
"$tessel" inspect --stats "$model"
"$tessel" tune "$model" --trials "${TRIALS:-300}" --time-budget "${TIME_BUDGET:-5m}"
"$tessel" compile "$model" -o "$out/squeezenet.so"
"$tessel" run "$out/squeezenet.so" --output-dir "$out"
"$tessel" bench "$model" --no-records
"$tessel" bench "$out/squeezenet.so"
