#!/usr/bin/env bash
# Set everything up and serve both APIs on this machine:
#   compute API  on http://127.0.0.1:8774  (nova.wsgi.osapi_compute:application)
#   metadata API on http://127.0.0.1:8775  (nova.wsgi.metadata:application)
# on SQLite with auth_strategy = noauth2 (development only), then show a few
# example requests and keep serving until Ctrl-C.
#
# NOVA_RUN_DIR   where config, database and logs go (default: ./run)
# NOVA_RUN_ONCE  set to 1 to stop after the example requests
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

./tools/bootstrap.sh
PY=$ROOT/.venv/bin

RUN_DIR=$(realpath -m "${NOVA_RUN_DIR:-$ROOT/run}")
mkdir -p "$RUN_DIR/etc" "$RUN_DIR/log"
cp "$ROOT/nova/etc/api-paste.ini" "$RUN_DIR/etc/api-paste.ini"
cat > "$RUN_DIR/etc/nova.conf" <<EOF
[DEFAULT]
debug = false

[api]
# Development only: X-Auth-Token: user:project is trusted as it is.
auth_strategy = noauth2

[database]
connection = sqlite:///$RUN_DIR/nova.sqlite
EOF

export OS_NOVA_CONFIG_DIR=$RUN_DIR/etc
"$PY/nova-manage" db sync

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

serve() {  # module port log
    "$PY/gunicorn" --no-control-socket --workers 2 --bind "127.0.0.1:$2" \
        --graceful-timeout 15 --access-logfile "$RUN_DIR/log/$3-access.log" \
        --error-logfile "$RUN_DIR/log/$3.log" "$1:application" &
    pids+=($!)
}
serve nova.wsgi.osapi_compute 8774 compute
serve nova.wsgi.metadata 8775 metadata

for port in 8774 8775; do
    for _ in $(seq 1 100); do
        curl -fsS "http://127.0.0.1:$port/healthcheck" >/dev/null 2>&1 && break
        sleep 0.1
    done
    curl -fsS "http://127.0.0.1:$port/healthcheck" >/dev/null \
        || { echo "API on port $port did not start; see $RUN_DIR/log" >&2; exit 1; }
done

example() {
    echo
    echo "\$ curl -s $*"
    curl -s "$@"
    echo
}
echo "Both APIs are up (config in $RUN_DIR/etc, logs in $RUN_DIR/log)."
example http://127.0.0.1:8774/
example -i http://127.0.0.1:8774/v2.1 -H 'OpenStack-API-Version: compute latest'
example -i http://127.0.0.1:8774/v2.1/flavors -H 'X-Auth-Token: admin:admin' -H 'OpenStack-API-Version: compute 2.200'
example http://127.0.0.1:8774/healthcheck
example http://127.0.0.1:8775/

if [ "${NOVA_RUN_ONCE:-0}" = 1 ]; then
    exit 0
fi
echo
echo "Serving: compute on http://127.0.0.1:8774, metadata on http://127.0.0.1:8775. Ctrl-C stops both."
wait
