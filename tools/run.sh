#!/usr/bin/env bash
# Set everything up and serve both APIs on this machine, the way they are
# deployed: nova-wsgi-build writes nova-compute-api.wsgi and
# nova-metadata.wsgi (with this run's config directory baked in) and
# mod_wsgi-express serves each in its own Apache and daemon process group:
#   compute API  on http://127.0.0.1:8774  (nova-compute-api.wsgi)
#   metadata API on http://127.0.0.1:8775  (nova-metadata.wsgi)
# on SQLite with auth_strategy = noauth2 (development only), then show a few
# example requests and keep serving until Ctrl-C.
#
# Run as root: Apache runs the APIs as www-data, which must be able to read
# the run directory (and write the database in it).
#
# NOVA_RUN_DIR   where config, scripts, database and logs go (default: ./run)
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

# The scripts, as a package would install them, with the config dir baked in.
"$PY/nova-wsgi-build" --config-dir "$RUN_DIR/etc" "$RUN_DIR/wsgi-scripts" >/dev/null

RUN_AS=()
if [ "$(id -u)" -eq 0 ]; then
    # Apache will not run the APIs as root.
    RUN_AS=(--user www-data --group www-data)
    chown www-data:www-data "$RUN_DIR" "$RUN_DIR"/nova.sqlite*
    if ! runuser -u www-data -- test -r "$RUN_DIR/etc/nova.conf"; then
        echo "www-data cannot read $RUN_DIR/etc/nova.conf: let it traverse" \
             "the directories above $RUN_DIR, or set NOVA_RUN_DIR elsewhere" >&2
        exit 1
    fi
fi

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

serve() {  # script port name
    "$PY/mod_wsgi-express" start-server "$1" --host 127.0.0.1 --port "$2" \
        "${RUN_AS[@]}" --locale C.UTF-8 --processes 2 --threads 1 \
        --server-root "$RUN_DIR/httpd-$3" --log-directory "$RUN_DIR/log" \
        --error-log-name "$3.log" --access-log \
        --access-log-name "$3-access.log" >"$RUN_DIR/log/$3-express.log" 2>&1 &
    pids+=($!)
}
serve "$RUN_DIR/wsgi-scripts/nova-compute-api.wsgi" 8774 compute
serve "$RUN_DIR/wsgi-scripts/nova-metadata.wsgi" 8775 metadata

for port in 8774 8775; do
    for _ in $(seq 1 300); do
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
echo "Both APIs are up under mod_wsgi-express (scripts in $RUN_DIR/wsgi-scripts," \
     "config in $RUN_DIR/etc, logs in $RUN_DIR/log)."
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
