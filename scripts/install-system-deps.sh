#!/usr/bin/env bash
# System packages the test suite needs beyond Python: Debian's chromium and its driver for the
# browser test. Idempotent: does nothing when both are already installed.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-system-deps: chromium is missing and this user cannot install it (not root, no sudo)" >&2
    exit 1
  fi
  SUDO="sudo"
fi

$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium chromium-driver
