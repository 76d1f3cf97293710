#!/usr/bin/env bash
# Installs the two non-npm tools the test suite uses, when they are missing (runs before `npm test`
# and in CI): schemathesis from PyPI (API fuzzing) and Debian's chromium (the Web UI browser test).
# Idempotent and quiet when both are present.
set -uo pipefail

if ! command -v schemathesis >/dev/null 2>&1; then
  echo "[test tools] installing schemathesis 4.32.5 from PyPI (API fuzzing)"
  python3 -m pip install --quiet --disable-pip-version-check schemathesis==4.32.5 \
    || echo "[test tools] pip install schemathesis failed: the fuzzing test will fail and say why"
  command -v pyenv >/dev/null 2>&1 && pyenv rehash
fi

if [ ! -x /usr/bin/chromium ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo"
  if [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; then
    echo "[test tools] installing Debian's chromium (the Web UI browser test; a minute or two, once)"
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null; } \
      || echo "[test tools] apt-get install chromium failed: the Web UI test will fail and say how to install it"
  else
    echo "[test tools] chromium is missing and cannot be installed without root: apt-get install -y chromium"
  fi
fi
exit 0
