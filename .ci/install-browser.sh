#!/usr/bin/env bash
# Install headless Chromium (Debian packages chromium and chromium-driver) for the slow-tier
# browser test of the HTML report (tests/functional/test_report_browser.py).
#
# Does nothing when /usr/bin/chromium already exists. When not run as root (and no
# passwordless sudo is available) it prints a warning and exits 0, so CI carries on; the
# browser test then fails if CI is set, saying the browser is missing.
set -uo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "install-browser: /usr/bin/chromium already installed ($(/usr/bin/chromium --version 2>/dev/null | head -n 1))"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo -n"
else
  echo "install-browser: WARNING: not root and no passwordless sudo; cannot install chromium." >&2
  echo "install-browser: WARNING: run 'apt-get update && apt-get install -y chromium chromium-driver' as root." >&2
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: WARNING: apt-get not found (not Debian/Ubuntu); install chromium yourself." >&2
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
if $SUDO apt-get update && $SUDO apt-get install -y chromium chromium-driver; then
  echo "install-browser: installed $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
else
  echo "install-browser: WARNING: apt-get could not install chromium." >&2
fi
exit 0
