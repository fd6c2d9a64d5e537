#!/usr/bin/env bash
# Real OpenStack services for the integration tests and the tempest job:
# Keystone 30.0.0, Glance 33.0.0 and Neutron 29.0.0 from the package index,
# API-only (no agents, no RabbitMQ), on free 127.0.0.1 ports, each run in a
# work directory of its own. Docs: docs/openstack-services.md.
#
#   tools/openstack-services.sh install [NAME...]   make the virtualenvs
#        (keystone, glance, neutron; default all) when missing; prints
#        "NAME PATH" per virtualenv
#   tools/openstack-services.sh venv NAME           the same for one, prints
#        only its path (tools/tempest.sh takes Keystone's from here)
#   tools/openstack-services.sh start WORKDIR [--compute-url URL]
#        fresh databases, Keystone, Glance, Neutron; registrations; the
#        networks public and private, two public images; writes
#        WORKDIR/services.env and WORKDIR/services.json, logs in
#        WORKDIR/logs
#   tools/openstack-services.sh register-compute WORKDIR URL
#        add or replace the compute service's endpoints (URL = its /v2.1)
#   tools/openstack-services.sh stop WORKDIR
#        stop what start started (by its pid files), drop its databases
#   tools/openstack-services.sh status WORKDIR
#
# The virtualenvs are made from /usr/bin/python3 and cached between runs,
# keyed by the package's version and Python's, like tools/upstream-nova.sh:
#   as root:  /var/cache/nova-wsgi/<name>-<version>-py3.11
#   others:   ${XDG_CACHE_HOME:-$HOME/.cache}/nova-wsgi/<name>-...
# (NOVA_SERVICES_CACHE overrides the directory). The marker file is written
# last and names the package list: a virtualenv left half-made, or made
# for another list, is made again from scratch. Neutron's also gets the
# test-only ML2 driver tools/openstack-services/fakebind (reinstalled alone
# when its files change).
#
# Databases: MariaDB at NOVA_SERVICES_DB (default
# mysql+pymysql://root@127.0.0.1:3306), two per work directory, named
# osvc_<hash of WORKDIR>_glance and ..._neutron, dropped and made again by
# start, dropped by stop. Secrets are made per start and written only to
# WORKDIR (mode 0600), never printed.
set -euo pipefail
CALLER_DIR=$PWD   # a relative WORKDIR is the caller's
cd "$(dirname "$0")/.."
ROOT=$PWD
HELPERS=$ROOT/tools/openstack-services
PYTHON=/usr/bin/python3

KEYSTONE_VERSION=30.0.0
GLANCE_VERSION=33.0.0
NEUTRON_VERSION=29.0.0
# What each virtualenv holds (the marker names this list).
declare -A PACKAGES=(
    [keystone]="keystone==$KEYSTONE_VERSION gunicorn"
    [glance]="glance==$GLANCE_VERSION gunicorn pymysql"
    [neutron]="neutron==$NEUTRON_VERSION gunicorn pymysql"
)
declare -A VERSIONS=(
    [keystone]=$KEYSTONE_VERSION [glance]=$GLANCE_VERSION
    [neutron]=$NEUTRON_VERSION
)
# The file whose presence says the virtualenv works.
declare -A PROBES=(
    [keystone]=bin/keystone-manage [glance]=bin/glance-manage
    [neutron]=bin/neutron-db-manage
)

die() { echo "openstack-services: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -e/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }

pyver=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ -n "${NOVA_SERVICES_CACHE:-}" ]; then
    CACHE=$NOVA_SERVICES_CACHE
elif [ "$(id -u)" -eq 0 ]; then
    CACHE=/var/cache/nova-wsgi
else
    CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/nova-wsgi
fi

venv_path() { echo "$CACHE/$1-${VERSIONS[$1]}-py$pyver"; }

fakebind_hash() {
    (cd "$HELPERS/fakebind" && cat pyproject.toml nova_wsgi_fakebind.py) \
        | sha256sum | cut -c1-16
}

install_fakebind() {  # venv: a copy, so that no build files land here
    local tmp
    tmp=$(mktemp -d)
    cp "$HELPERS/fakebind/pyproject.toml" \
        "$HELPERS/fakebind/nova_wsgi_fakebind.py" "$tmp/"
    "$1/bin/pip" install -q --no-deps \
        --force-reinstall "$tmp" || { rm -rf "$tmp"; return 1; }
    rm -rf "$tmp"
}

# make NAME: the virtualenv, when missing or made for another list.
make_venv() {
    local name=$1 venv want log start lock
    venv=$(venv_path "$name")
    want="${PACKAGES[$name]} python$pyver"
    mkdir -p "$CACHE"
    lock=$CACHE/.$name.lock
    # One maker at a time (pytest and tools/tempest.sh may both ask).
    exec {lockfd}>"$lock"
    flock "$lockfd"
    if [ -x "$venv/${PROBES[$name]}" ] && [ -f "$venv/.nova-wsgi-ready" ] \
        && [ "$(head -n1 "$venv/.nova-wsgi-ready")" = "$want" ]; then
        if [ "$name" = neutron ] && [ "$(sed -n 2p "$venv/.nova-wsgi-ready")" \
            != "fakebind $(fakebind_hash)" ]; then
            install_fakebind "$venv" || die "installing fakebind into $venv failed"
            printf '%s\nfakebind %s\n' "$want" "$(fakebind_hash)" \
                >"$venv/.nova-wsgi-ready"
            echo "openstack-services: fakebind reinstalled in $venv" >&2
        fi
        exec {lockfd}>&-
        return 0
    fi
    start=$(date +%s)
    log=$CACHE/$name-${VERSIONS[$name]}-py$pyver.pip.log
    echo "openstack-services: making $venv (${PACKAGES[$name]})" >&2
    rm -rf "$venv"
    "$PYTHON" -m venv "$venv"
    # shellcheck disable=SC2086  # the list is words
    if ! { "$venv/bin/pip" install -q --upgrade pip \
           && "$venv/bin/pip" install -q ${PACKAGES[$name]}; } >"$log" 2>&1
    then
        tail -n 20 "$log" >&2
        exec {lockfd}>&-
        die "pip install ${PACKAGES[$name]} failed (log: $log)"
    fi
    if [ "$name" = neutron ]; then
        install_fakebind "$venv" >>"$log" 2>&1 \
            || { tail -n 20 "$log" >&2; die "installing fakebind failed"; }
        printf '%s\nfakebind %s\n' "$want" "$(fakebind_hash)" \
            >"$venv/.nova-wsgi-ready"
    else
        echo "$want" >"$venv/.nova-wsgi-ready"
    fi
    exec {lockfd}>&-
    echo "openstack-services: $name made in $(( $(date +%s) - start )) s" >&2
}

cmd=${1:-}
[ -n "$cmd" ] || usage
shift
case "$cmd" in
    install)
        names=("$@")
        [ ${#names[@]} -gt 0 ] || names=(keystone glance neutron)
        t0=$(date +%s.%N)
        for name in "${names[@]}"; do
            [ -n "${PACKAGES[$name]:-}" ] || die "no such service: $name"
            make_venv "$name"
            echo "$name $(venv_path "$name")"
        done
        echo "openstack-services: install took" \
            "$("$PYTHON" -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" \
               "$t0" "$(date +%s.%N)") s" >&2
        ;;
    venv)
        [ $# -eq 1 ] && [ -n "${PACKAGES[$1]:-}" ] || usage
        make_venv "$1"
        venv_path "$1"
        ;;
    start|register-compute|stop|status)
        [ $# -ge 1 ] || usage
        workdir=$(cd "$CALLER_DIR" && realpath -m -- "$1")
        shift
        set -- "$workdir" "$@"
        if [ "$cmd" = start ]; then
            for name in keystone glance neutron; do make_venv "$name"; done
        fi
        # The steps that talk HTTP use keystoneauth and requests from
        # Keystone's virtualenv; Glance's has pymysql for the databases.
        KS_VENV=$(venv_path keystone)
        [ -x "$KS_VENV/bin/python" ] \
            || die "no Keystone virtualenv at $KS_VENV (run: $0 install)"
        export OSVC_KEYSTONE_VENV=$KS_VENV
        OSVC_GLANCE_VENV=$(venv_path glance)
        OSVC_NEUTRON_VENV=$(venv_path neutron)
        export OSVC_GLANCE_VENV OSVC_NEUTRON_VENV
        export NOVA_SERVICES_DB=${NOVA_SERVICES_DB:-mysql+pymysql://root@127.0.0.1:3306}
        exec "$KS_VENV/bin/python" "$HELPERS/osvc.py" "$cmd" "$@"
        ;;
    -h|--help|help) usage ;;
    *) usage ;;
esac
