#!/usr/bin/env bash
# Installs, with apt-get, whatever vpidbox needs to build and test that is missing.
set -euo pipefail
packages=(g++ meson ninja-build pkg-config libseccomp-dev libcap-dev libfmt-dev libcli11-dev
  doctest-dev libfuse3-dev fuse3 util-linux procps python3 bash coreutils make tini stress-ng
  clang libclang-rt-dev python3-psutil python3-pytest cmake psmisc gdb strace)
# CPython's own test suite, for the Python that Debian ships (tests/suites).
if command -v /usr/bin/python3 >/dev/null; then
  packages+=("libpython$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')-testsuite")
else
  packages+=(libpython3.11-testsuite)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
