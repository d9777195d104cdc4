#!/usr/bin/env bash
# The generated parts of docs/ must match what the code says now.
set -euo pipefail
tessel=$1
docs=$2
if ! diff -u "$docs/operators.md" <("$tessel" ops --markdown); then
  echo "docs/operators.md is out of date: run 'build/tools/tessel ops --markdown > docs/operators.md'"
  exit 1
fi
echo "docs/operators.md is current"
