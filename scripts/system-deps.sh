#!/usr/bin/env bash
# Installs the Debian packages the test suite uses (acpica-tools for iasl; chromium
# for the dashboard's browser test, driven by playwright-core), through apt.
# It is the project's own install path: nothing needs to be installed by hand.
# Where apt cannot be used, it says so and the tests that need them report a skip.
set -u
need=()
command -v iasl >/dev/null 2>&1 || need+=(acpica-tools)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=sudo; else
    echo "system-deps: missing ${need[*]}; installing needs root (run as root or with passwordless sudo). Tests that need them will be skipped." >&2
    exit 0
  fi
else SUDO=""; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing ${need[*]} and apt-get is not available. Tests that need them will be skipped." >&2
  exit 0
fi
echo "system-deps: installing ${need[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -q "${need[@]}" >/dev/null 2>&1 || { $SUDO apt-get update -q >/dev/null 2>&1; $SUDO apt-get install -y -q "${need[@]}" >/dev/null 2>&1; } \
  || echo "system-deps: apt-get could not install ${need[*]}. Tests that need them will be skipped." >&2
exit 0
