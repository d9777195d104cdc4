#!/usr/bin/env bash
# Installs what tessel needs to build and test on Debian 12: the Debian packages, and a Python
# virtual environment (.venv) with the helpers the tests use as references. Does nothing when
# everything is already there. Safe to run again.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)

debian_packages=(
  build-essential pkg-config meson ninja-build
  llvm-15 llvm-15-dev lld-15 clang-15 libclang-common-15-dev
  libsqlite3-dev libjansson-dev libprotobuf-c-dev protobuf-c-compiler libmd-dev check
  libxgboost-dev libonnx-dev
  ocl-icd-opencl-dev pocl-opencl-icd
  qemu-user-static gcc-aarch64-linux-gnu libc6-dev-arm64-cross
  python3 python3-venv
)
python_packages=(numpy onnx onnxruntime)

missing=()
for package in "${debian_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

venv="$root/.venv"
if [ ! -x "$venv/bin/python" ]; then
  echo "setup: creating the Python environment $venv"
  /usr/bin/python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import numpy, onnx, onnxruntime' 2>/dev/null; then
  echo "setup: installing Python packages: ${python_packages[*]}"
  "$venv/bin/pip" install -q --disable-pip-version-check "${python_packages[@]}"
fi
