#!/usr/bin/env bash
# Configures (once) and builds vpidbox in build/, with warnings fatal (development and CI).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f build/build.ninja ]; then
  meson configure build -Dwerror=true >/dev/null
else
  meson setup build -Dwerror=true >/dev/null
fi
ninja -C build
