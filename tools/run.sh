#!/usr/bin/env bash
# Set everything up and serve a demo cloud on this machine, the way the APIs
# are deployed: nova-wsgi-build writes nova-compute-api.wsgi and
# nova-metadata.wsgi (with this run's config directory baked in) and
# mod_wsgi-express serves each in its own Apache and daemon process group:
#   compute API  on http://127.0.0.1:8774  (nova-compute-api.wsgi)
#   metadata API on http://127.0.0.1:8775  (nova-metadata.wsgi)
# on SQLite with auth_strategy = noauth2 (development only) and two hosts in
# one zone. `nova-manage demo seed` adds DevStack's flavors and two images
# (only what is missing: a second run keeps everything). run/clouds.yaml and
# run/openrc configure the openstack CLI and openstacksdk for the users demo
# and admin. Then it shows a few requests and the commands to try next, and
# keeps serving until Ctrl-C.
#
# Run as root: Apache runs the APIs as www-data, which must be able to read
# the run directory (and write the database in it).
#
# NOVA_RUN_DIR        where config, scripts, database and logs go
#                     (default: ./run)
# NOVA_RUN_ONCE       set to 1 to stop after the examples
# NOVA_COMPUTE_PORT   the compute API's port (default: 8774)
# NOVA_METADATA_PORT  the metadata API's port (default: 8775)
# NOVA_RUN_BOOTSTRAP  set to 0 to skip tools/bootstrap.sh (.venv is ready)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

if [ "${NOVA_RUN_BOOTSTRAP:-1}" != 0 ]; then
    ./tools/bootstrap.sh
fi
PY=$ROOT/.venv/bin

COMPUTE_PORT=${NOVA_COMPUTE_PORT:-8774}
METADATA_PORT=${NOVA_METADATA_PORT:-8775}
for port in "$COMPUTE_PORT" "$METADATA_PORT"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "run.sh: port $port is in use (another run.sh?): stop what" \
             "listens there, or set NOVA_COMPUTE_PORT and" \
             "NOVA_METADATA_PORT" >&2
        exit 1
    fi
done
COMPUTE=http://127.0.0.1:$COMPUTE_PORT
METADATA=http://127.0.0.1:$METADATA_PORT

RUN_DIR=$(realpath -m "${NOVA_RUN_DIR:-$ROOT/run}")
case "$RUN_DIR" in
    *[[:space:]\'\"\\]*)
        echo "run.sh: NOVA_RUN_DIR=$RUN_DIR: choose a path without blanks" \
             "or quotes (the .wsgi scripts and Apache's config name it)" >&2
        exit 2 ;;
esac
mkdir -p "$RUN_DIR/etc" "$RUN_DIR/log"
cp "$ROOT/nova/etc/api-paste.ini" "$RUN_DIR/etc/api-paste.ini"
cat > "$RUN_DIR/etc/nova.conf" <<EOF
# Written by tools/run.sh at each run: put changes in nova.conf.d/*.conf.
[DEFAULT]
debug = false

[api]
# Development only: X-Auth-Token: user:project is trusted as it is.
auth_strategy = noauth2

[database]
connection = sqlite:///$RUN_DIR/nova.sqlite

[compute]
# Two hosts in one zone: a resize or a cold migration moves a server to
# the other host, as upstream's allow_resize_to_same_host = false wants.
hosts = compute1:nova:16:32768:1000, compute2:nova:16:32768:1000

[metadata]
# Requests from this machine may name the guest they ask for in
# X-Forwarded-For (its fixed IP): curl reads what its cloud-init would.
trusted_proxies = 127.0.0.1
EOF

export OS_NOVA_CONFIG_DIR=$RUN_DIR/etc
"$PY/nova-manage" db sync
"$PY/nova-manage" demo seed

# What the printed commands name: paths inside the clone relative to it
# (they are pasted at its top), others as they are.
shown_path() {
    case "$1" in
        "$ROOT"/*) printf '%s\n' "${1#"$ROOT"/}" ;;
        *) printf '%s\n' "$1" ;;
    esac
}
CLOUDS=$(shown_path "$RUN_DIR/clouds.yaml")
OPENRC=$(shown_path "$RUN_DIR/openrc")

# The standard clients without Keystone: keystoneauth's admin_token plugin
# sends the noauth2 token and uses the endpoint for every service; the CLI
# also wants an identity client of version 3, which never gets called for
# servers (docs/deploying.md#the-demo-cloud-of-toolsrunsh says why this
# plugin).
cat > "$RUN_DIR/clouds.yaml" <<EOF
# Written by tools/run.sh for the compute API on $COMPUTE/v2.1
# (auth_strategy = noauth2: the token is user:project). Use it with
#   OS_CLIENT_CONFIG_FILE=$CLOUDS .venv/bin/openstack --os-cloud nova-wsgi-demo ...
clouds:
EOF
for user in demo admin; do
    cat >> "$RUN_DIR/clouds.yaml" <<EOF
  nova-wsgi-$user:
    auth_type: admin_token
    auth:
      endpoint: $COMPUTE/v2.1
      token: $user:$user
    identity_api_version: '3'
    identity_endpoint_override: $COMPUTE/v2.1
EOF
done
cat > "$RUN_DIR/openrc" <<EOF
# Written by tools/run.sh. Source it: . $OPENRC [USER [PROJECT]]
# (default: the user demo of the project demo; admin is the admin).
# noauth2 takes the token user:project as it is.
unset OS_CLOUD OS_CLIENT_CONFIG_FILE OS_AUTH_URL OS_USERNAME OS_USER_ID \\
    OS_PASSWORD OS_PROJECT_NAME OS_PROJECT_ID OS_USER_DOMAIN_NAME \\
    OS_PROJECT_DOMAIN_NAME OS_REGION_NAME OS_INTERFACE
export OS_AUTH_TYPE=admin_token
export OS_TOKEN="\${1:-demo}:\${2:-\${1:-demo}}"
export OS_ENDPOINT=$COMPUTE/v2.1
export OS_IDENTITY_API_VERSION=3
export OS_IDENTITY_ENDPOINT_OVERRIDE=$COMPUTE/v2.1
EOF

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
trap cleanup EXIT
trap 'cleanup; exit 0' INT TERM  # Ctrl-C is how a run ends

serve() {  # script port name
    "$PY/mod_wsgi-express" start-server "$1" --host 127.0.0.1 --port "$2" \
        "${RUN_AS[@]}" --locale C.UTF-8 --processes 2 --threads 1 \
        --server-root "$RUN_DIR/httpd-$3" --log-directory "$RUN_DIR/log" \
        --error-log-name "$3.log" --access-log \
        --access-log-name "$3-access.log" >"$RUN_DIR/log/$3-express.log" 2>&1 &
    pids+=($!)
}
serve "$RUN_DIR/wsgi-scripts/nova-compute-api.wsgi" "$COMPUTE_PORT" compute
serve "$RUN_DIR/wsgi-scripts/nova-metadata.wsgi" "$METADATA_PORT" metadata

for base in "$COMPUTE" "$METADATA"; do
    for _ in $(seq 1 300); do
        curl -fsS "$base/healthcheck" >/dev/null 2>&1 && break
        sleep 0.1
    done
    curl -fsS "$base/healthcheck" >/dev/null \
        || { echo "API on $base did not start; see $RUN_DIR/log" >&2; exit 1; }
done

# A word as the shell reads it back: bare when it is safe, else in single
# quotes (Python's shlex.quote). The leading NAME=VALUE words of a command
# stay assignments: only their value is quoted.
quote() {
    if [[ $1 =~ ^[A-Za-z0-9_@%+=:,./-]+$ ]]; then
        printf '%s' "$1"
    else
        printf "'%s'" "${1//\'/\'\\\'\'}"
    fi
}
command_line() {
    local word sep="" assigning=1
    for word in "$@"; do
        printf '%s' "$sep"
        sep=" "
        if [ "$assigning" = 1 ] && [[ $word =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; then
            printf '%s=' "${word%%=*}"
            quote "${word#*=}"
        else
            assigning=0
            quote "$word"
        fi
    done
    printf '\n'
}
example() {  # comment, then the command's words: print both, then run it
    printf '\n# %s\n' "$1"
    shift
    command_line "$@"
    env "$@"
    echo
}
CLI=(OS_CLIENT_CONFIG_FILE="$CLOUDS" .venv/bin/openstack)

echo
echo "Both APIs are up under mod_wsgi-express (scripts in $RUN_DIR/wsgi-scripts," \
     "config in $RUN_DIR/etc, logs in $RUN_DIR/log)."
example "The compute API's versions (no token needed)" \
    curl -s "$COMPUTE/"
example "The newest microversion" \
    curl -si "$COMPUTE/v2.1" -H 'OpenStack-API-Version: compute latest'
example "The flavors, as the user demo of the project demo (noauth2 token user:project)" \
    curl -s "$COMPUTE/v2.1/flavors" -H 'X-Auth-Token: demo:demo'
example "The metadata API's versions" \
    curl -s "$METADATA/"
example "The openstack CLI with $CLOUDS (cloud nova-wsgi-demo; nova-wsgi-admin is the admin)" \
    "${CLI[@]}" --os-cloud nova-wsgi-demo flavor list

cat <<EOF

# Next, one server's whole life with the openstack CLI, as the user demo:
$(command_line "${CLI[@]}" --os-cloud nova-wsgi-demo server create --flavor m1.tiny --image cirros --wait demo1)
$(command_line "${CLI[@]}" --os-cloud nova-wsgi-demo server list)
# what demo1's cloud-init would read (the metadata API believes this
# machine's X-Forwarded-For, and finds the server by its fixed IP)
IP=\$($(command_line "${CLI[@]}" --os-cloud nova-wsgi-demo server show demo1 -f value -c addresses) | tr -dc 0-9.)
curl -s -H "X-Forwarded-For: \$IP" $(quote "$METADATA/openstack/latest/meta_data.json")
$(command_line "${CLI[@]}" --os-cloud nova-wsgi-demo server resize --flavor m1.small --wait demo1)
$(command_line "${CLI[@]}" --os-cloud nova-wsgi-demo server resize confirm demo1)
$(command_line "${CLI[@]}" --os-cloud nova-wsgi-demo server event list demo1)
$(command_line "${CLI[@]}" --os-cloud nova-wsgi-demo server delete --wait demo1)

# The same with openstacksdk:
$(command_line OS_CLIENT_CONFIG_FILE="$CLOUDS" .venv/bin/python) - <<'PYTHON'
import openstack

conn = openstack.connect(cloud="nova-wsgi-demo")
compute = conn.compute
server = compute.create_server(
    name="demo2", flavor_id=compute.find_flavor("m1.tiny").id,
    image_id=compute.find_image("cirros").id, networks="auto")
server = compute.wait_for_server(server)
compute.resize_server(server, compute.find_flavor("m1.small").id)
server = compute.wait_for_server(server, status="VERIFY_RESIZE")
compute.confirm_server_resize(server)
server = compute.wait_for_server(server, status="ACTIVE")
print(server.name, server.status, server.flavor.original_name)
compute.delete_server(server)
compute.wait_for_delete(server)
PYTHON

# The environment-variable habit instead of clouds.yaml:
. $(quote "$OPENRC")
.venv/bin/openstack server list
EOF

if [ "${NOVA_RUN_ONCE:-0}" = 1 ]; then
    exit 0
fi
echo
echo "Serving: compute on $COMPUTE, metadata on $METADATA. Ctrl-C stops both."
wait
