#!/usr/bin/env bash
# Installs the Debian packages the test suite uses, through apt. It is the project's own install path:
# nothing needs to be installed by hand.
#  - acpica-tools (iasl), for the golden ACPI tests;
#  - chromium, for the dashboard's browser test (driven by playwright-core);
#  - zsh and fish, which run the completion scripts' tests, and systemd (systemd-analyze), which
#    checks the example unit;
#  - the qemu backend (QEMU >= 8.1, Debian's kernel, ndctl, busybox, and the cached guest image), through
#    vnvdimm's own set-up command, `vnvdimm setup qemu`.
# Where apt cannot be used, it says so and the tests that need these report a skip with the reason
# (unless VNVDIMM_REQUIRE_QEMU=1, as on CI, where the qemu tests then fail).
set -u
need=()
command -v iasl >/dev/null 2>&1 || need+=(acpica-tools)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v zsh >/dev/null 2>&1 || need+=(zsh)
command -v fish >/dev/null 2>&1 || need+=(fish)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=sudo; else SUDO=none; fi
  else SUDO=""; fi
  if [ "$SUDO" = none ]; then
    echo "system-deps: missing ${need[*]}; installing needs root (run as root or with passwordless sudo). Tests that need them will be skipped." >&2
  elif ! command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: missing ${need[*]} and apt-get is not available. Tests that need them will be skipped." >&2
  else
    echo "system-deps: installing ${need[*]} with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get install -y -q "${need[@]}" >/dev/null 2>&1 || { $SUDO apt-get update -q >/dev/null 2>&1; $SUDO apt-get install -y -q "${need[@]}" >/dev/null 2>&1; } \
      || echo "system-deps: apt-get could not install ${need[*]}. Tests that need them will be skipped." >&2
  fi
fi
# `vnvdimm setup qemu` is idempotent: with everything in place it only checks (well under 2 s).
cd "$(dirname "$0")/.." || exit 0
npm run build --silent >/dev/null 2>&1 || true
node bin/vnvdimm setup qemu >&2 \
  || echo "system-deps: \`vnvdimm setup qemu\` did not finish (see above); the tests with real Linux guests will be skipped" >&2
exit 0
