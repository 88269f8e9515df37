#!/usr/bin/env bash
# Sets up and runs classifyd with the default models, from a fresh machine:
# installs build dependencies, builds Release into build/, then starts the
# daemon in the foreground on ./run/classifyd.sock with ./models and the
# built plugins. Extra arguments go to classifyd (see build/bin/classifyd --help).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh build
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)" -- --no-print-directory >/dev/null
exec build/bin/classifyd "$@"
