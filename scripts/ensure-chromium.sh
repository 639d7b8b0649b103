#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests (test/browser) when it is missing.
# CHROMIUM_PATH overrides where the tests look for it (default /usr/bin/chromium).
set -euo pipefail
path="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$path" ]; then
  exit 0
fi
if [ -n "${CHROMIUM_PATH:-}" ]; then
  echo "CHROMIUM_PATH=$path is not an executable" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "chromium is missing and installing it needs root: apt-get install -y chromium" >&2; exit 1; }
  sudo="sudo"
fi
echo "Installing chromium for the browser tests…" >&2
$sudo apt-get update
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y chromium
