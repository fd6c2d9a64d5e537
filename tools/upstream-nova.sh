#!/usr/bin/env bash
# The virtualenv of upstream Nova that tests/deploy/test_upstream_nova.py
# serves with this project's deployment kit: nova==34.0.0 from the package
# index, with the servers an operator adds (mod_wsgi, gunicorn, uwsgi), made
# from /usr/bin/python3 (the Python Apache's mod_wsgi is built against).
# This project is NOT installed into it.
#
#   tools/upstream-nova.sh              # make it when missing; print its path
#   tools/upstream-nova.sh --no-build   # exit 3 when it is not made yet
#
# Cached between runs, keyed by Nova's version and Python's:
#   as root:  /var/cache/nova-wsgi/upstream-nova-34.0.0-py3.11
#   others:   ${XDG_CACHE_HOME:-$HOME/.cache}/nova-wsgi/upstream-nova-...
# NOVA_UPSTREAM_VENV overrides. Not under /root: Apache's daemons run as
# www-data and must read the interpreter and every module, and /root is
# 0700 (docs/deploying.md). The marker file is written last, so a
# virtualenv left half-made (an interrupted run, a failed download) is
# made again from scratch. pip's own cache makes a rebuild quick.
#
# Every run (cheap) also copies the test-only stand-in auth filter,
# tools/upstream-nova/standin_auth.py, into the virtualenv's site-packages
# as nova_wsgi_standin_auth.py: upstream's paste pipeline names it in the
# tests (upstream has no noauth2). It is no part of the kit.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=34.0.0
PYTHON=/usr/bin/python3
# What an operator of upstream Nova would add to its virtualenv.
SERVERS=(mod_wsgi gunicorn uwsgi)

build=1
case "${1:-}" in
    --no-build) build=0 ;;
    "") ;;
    *) echo "usage: $0 [--no-build]" >&2; exit 2 ;;
esac

pyver=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ "$(id -u)" -eq 0 ]; then
    cache=/var/cache/nova-wsgi
else
    cache=${XDG_CACHE_HOME:-$HOME/.cache}/nova-wsgi
fi
VENV=${NOVA_UPSTREAM_VENV:-$cache/upstream-nova-$VERSION-py$pyver}
MARKER=$VENV/.nova-wsgi-upstream-ready
want="nova==$VERSION ${SERVERS[*]} python$pyver"

if [ ! -f "$MARKER" ] || [ "$(cat "$MARKER")" != "$want" ]; then
    if [ "$build" -eq 0 ]; then
        echo "upstream-nova: $VENV is not made yet (run tools/upstream-nova.sh)" >&2
        exit 3
    fi
    if ! command -v apxs >/dev/null && ! command -v apxs2 >/dev/null; then
        echo "upstream-nova: mod_wsgi needs apxs (apt: apache2-dev;" \
             "tools/bootstrap.sh installs it)" >&2
        exit 1
    fi
    start=$(date +%s)
    echo "upstream-nova: making $VENV (nova==$VERSION ${SERVERS[*]})"
    rm -rf "$VENV"
    mkdir -p "$(dirname "$VENV")"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip >/dev/null
    "$VENV/bin/pip" install -q "nova==$VERSION" "${SERVERS[@]}"
    # Readable by the servers' unprivileged user, whatever the umask was.
    chmod -R a+rX "$VENV"
    for dir in "$(dirname "$VENV")" "$cache"; do chmod a+rx "$dir" 2>/dev/null || true; done
    echo "$want" > "$MARKER"
    echo "upstream-nova: made in $(( $(date +%s) - start )) s"
fi

site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
target=$site/nova_wsgi_standin_auth.py
if ! cmp -s tools/upstream-nova/standin_auth.py "$target"; then
    install -m 0644 tools/upstream-nova/standin_auth.py "$target"
fi
echo "$VENV"
