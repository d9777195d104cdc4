#!/usr/bin/env bash
# The main job on the bundled example model (SqueezeNet 1.1, generated on first use): installs
# what is missing, builds tessel, and shows what tessel reads in the model.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tools/build.sh"
model="$root/models/squeezenet.onnx"
if [ ! -f "$model" ]; then
  "$root/.venv/bin/python" "$root/tools/models/generate.py" squeezenet -o "$model"
fi
"$root/build/tools/tessel" inspect --stats "$model"
