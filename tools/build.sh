#!/usr/bin/env bash
# Builds tessel into build/ (configuring it the first time), after installing what is missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tools/setup.sh"
if [ ! -f "$root/build/build.ninja" ]; then
  meson setup "$root/build" "$root" --buildtype=debugoptimized >/dev/null
fi
ninja -C "$root/build" >/dev/null
