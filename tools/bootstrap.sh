#!/usr/bin/env bash
# Set up everything this project needs on a fresh Debian 12 machine:
# system packages, then a virtualenv in .venv built from Debian's
# /usr/bin/python3 (Apache's mod_wsgi must be able to read the interpreter,
# which the one under /root is not), with the project and its test tools.
# Safe to run again; it only adds what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(python3-venv python3-dev)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" \
        || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "bootstrap: installing ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

VENV=${NOVA_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
    echo "bootstrap: creating $VENV from /usr/bin/python3"
    /usr/bin/python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --upgrade pip >/dev/null
"$VENV/bin/pip" install -q -e ".[test]"
echo "bootstrap: ready ($VENV)"
