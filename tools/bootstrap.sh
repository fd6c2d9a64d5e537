#!/usr/bin/env bash
# Set up everything this project needs on a fresh Debian 12 machine:
# system packages, then a virtualenv in .venv built from Debian's
# /usr/bin/python3 (Apache's mod_wsgi must be able to read the interpreter,
# which the one under /root is not), with the project and its test tools.
# Apache (apache2, apache2-dev for apxs) is installed for mod_wsgi, which pip
# compiles against it; Debian's policy-rc.d keeps apt from starting the
# system Apache, and if anything did start it, it is stopped again here (the
# tests and tools/run.sh run private Apache instances only).
# Safe to run again; it only adds what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(python3-venv python3-dev apache2 apache2-dev)
# The RPMs (rpm/nova-wsgi.spec, tests/deploy/test_rpm.py): rpmbuild and
# rpmlint, with enchant and an en_US dictionary for rpmlint's spelling
# check (tools/rpmlint-spelling.py); for the spec's fallbacks where Fedora's Python macros are missing,
# /usr/bin/python3's pip, setuptools and wheel (build the wheel) and installer
# (install it with RHEL's paths); packaging for rpm's own python3dist()
# dependency generator; nss_wrapper to run Apache's daemons as the nova user
# of a scratch root; logrotate to rotate the vhosts' logs for real.
APT_PACKAGES+=(rpm rpmlint python3-enchant hunspell-en-us python3-pip
               python3-setuptools python3-wheel python3-installer
               python3-packaging libnss-wrapper logrotate)
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
    # Debian's policy-rc.d usually keeps apt from starting the system
    # Apache; where it does not, stop it (the project runs its own).
    if [ -s /var/run/apache2/apache2.pid ] \
            && kill -0 "$(cat /var/run/apache2/apache2.pid)" 2>/dev/null; then
        echo "bootstrap: stopping the system Apache (not used by this project)"
        if [ -d /run/systemd/system ]; then
            $SUDO systemctl stop apache2 || true
        else
            $SUDO apache2ctl -k stop || true
        fi
    fi
fi

# cloud-init's own metadata readers (Debian's cloud-init 22.4, importable by
# /usr/bin/python3) read the metadata API in tests/deploy/test_cloud_init.py.
# It is installed only for that: when this script installs it, the marker
# /etc/cloud/cloud-init.disabled (written first) keeps its systemd units and
# generator from doing anything at boot; a machine that already had
# cloud-init is left as it was.
if ! dpkg-query -W -f='${Status}' cloud-init 2>/dev/null | grep -q "ok installed"; then
    echo "bootstrap: installing cloud-init (its metadata readers, for the tests)"
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    $SUDO mkdir -p /etc/cloud
    $SUDO touch /etc/cloud/cloud-init.disabled
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
        --no-install-recommends cloud-init
fi

VENV=${NOVA_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
    echo "bootstrap: creating $VENV from /usr/bin/python3"
    /usr/bin/python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --upgrade pip >/dev/null
"$VENV/bin/pip" install -q -e ".[test]"
# The WSGI servers the deployment tests and tools/run.sh use: mod_wsgi
# (compiled against the Apache above) and uWSGI (compiled on install); the
# standard clients tools/run.sh configures (run/clouds.yaml, run/openrc):
# the openstack CLI and openstacksdk (also in the test extra).
for dist in mod_wsgi uwsgi python-openstackclient openstacksdk; do
    if ! "$VENV/bin/pip" show -q "$dist" >/dev/null 2>&1; then
        echo "bootstrap: installing $dist into $VENV"
        "$VENV/bin/pip" install -q "$dist"
    fi
done
echo "bootstrap: ready ($VENV)"
