#!/usr/bin/env bash
# The tempest job: OpenStack's own conformance suite (tempest 47.0.0) with a
# real Keystone 30.0.0, against this project's compute API.
#
#   tools/tempest.sh [REGEX]      default REGEX: ^tempest\.api\.compute
#   TEMPEST_SERVICES=glance,neutron tools/tempest.sh [REGEX]
#                                 the same with real Glance and Neutron
#
#  1. Installs tempest from the package index into its own virtualenv
#     (from /usr/bin/python3) under the work directory, once; patches
#     tempest 47 (tools/tempest/*.patch, see its header). Keystone's
#     virtualenv (+ gunicorn) is tools/openstack-services.sh's, cached.
#  2. Bootstraps Keystone on a free 127.0.0.1 port: SQLite, Fernet tokens,
#     one gunicorn worker (SQLite answers "database is locked" to a second
#     one under tempest's concurrent set-up), the service user and the
#     catalog whose compute endpoint is the API below.
#  3. Serves this checkout's compute API (nova.wsgi.osapi_compute:application)
#     under gunicorn with [api] auth_strategy = keystone: SQLite, two hosts
#     in zone nova, flavors 42 and 84, two images in the local catalogue.
#     A test-only noVNC stand-in (tools/tempest/novnc_standin.py) plays
#     nova-novncproxy and the guest's VNC server for the console tests.
#  4. Writes tempest.conf (tools/tempest/write_conf.py): no Glance, Neutron,
#     Cinder or Swift; the compute features served here switched on;
#     max_microversion read from the API's GET /.
#  5. Runs tempest with a time bound and prints the outcome per test
#     (tools/tempest/summarise.py): failures with their exception lines,
#     skips counted by reason, the counts.
#  6. Stops what it started, also on failure or Ctrl-C.
#
# Services mode (TEMPEST_SERVICES=glance,neutron, either or both): step 2
# is tools/openstack-services.sh start instead: Keystone, Glance 33 and
# Neutron 29 (fresh MariaDB databases, the networks public and private,
# two public images), the compute endpoint registered; the API's nova.conf
# gets upstream's [glance], [neutron], [keystone] and [service_user]
# groups; tempest.conf the services (write_conf.py --services); tempest
# runs unpatched when glance is on (the patch is for glance = false).
#
# Exit status: 0 only when no test failed (and none was left unrun).
# Everything is written under the work directory (and /tmp); each run gets
# WORK/runs/<timestamp> (WORK/last points at it): console.log,
# results.subunit, listed.txt, report.txt (what was printed), summary.json,
# the services' logs and configs, the tempest workspace.
#
# TEMPEST_WORKDIR        work directory (default: .tempest in the checkout)
# TEMPEST_TIMEOUT        seconds the tempest run may take (default: 2700)
# TEMPEST_CONCURRENCY    tempest workers (default: 2)
# TEMPEST_BUILD_TIMEOUT  seconds tempest waits for a server state (default: 60)
# TEMPEST_API_WORKERS    gunicorn workers of the compute API (default: 2)
# TEMPEST_KEEP_RUNS      run directories kept (default: 5)
# TEMPEST_CONF_SET       extra tempest.conf settings, 'section.option=value'
#                        separated by ';' (e.g. to switch a feature off)
# TEMPEST_SERVICES       real services beside the API: glance, neutron or
#                        glance,neutron (default: none)
# NOVA_VENV              the project's virtualenv (default: .venv, made by
#                        tools/bootstrap.sh when missing)
# Docs: docs/tempest.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
HELPERS=$ROOT/tools/tempest
REGEX=${1:-'^tempest\.api\.compute'}
WORK=$(realpath -m "${TEMPEST_WORKDIR:-$ROOT/.tempest}")
TIMEOUT=${TEMPEST_TIMEOUT:-2700}
CONCURRENCY=${TEMPEST_CONCURRENCY:-2}
BUILD_TIMEOUT=${TEMPEST_BUILD_TIMEOUT:-60}
API_WORKERS=${TEMPEST_API_WORKERS:-2}
KEEP_RUNS=${TEMPEST_KEEP_RUNS:-5}
NOVA_VENV=$(realpath -m "${NOVA_VENV:-$ROOT/.venv}")
PY=/usr/bin/python3
KEYSTONE_VERSION=30.0.0
TEMPEST_VERSION=47.0.0
T_VENV=$WORK/venv-tempest
OSVC=$ROOT/tools/openstack-services.sh
# Two images in the local catalogue (a fresh database each run).
IMAGE_REF=5b1f8c3e-2d4a-4f6b-9c7e-1a2b3c4d5e01
IMAGE_REF_ALT=5b1f8c3e-2d4a-4f6b-9c7e-1a2b3c4d5e02
# The flat network's id, named to tempest as [network] public_network_id
# (admin.test_networks looks it up through os-networks).
NETWORK_ID=8c1c9954-7eb6-5ef1-aceb-95b6d5c963e2
# Upstream's default scheduler filters, and the two tempest's multinode
# tests need (same_host/different_host hints); tempest.conf lists the same.
FILTERS="ComputeFilter, ComputeCapabilitiesFilter, ImagePropertiesFilter, \
ServerGroupAntiAffinityFilter, ServerGroupAffinityFilter, SameHostFilter, \
DifferentHostFilter"

START=$(date +%s)
log() { echo "[tempest.sh $(( $(date +%s) - START ))s] $*"; }
die() { echo "tools/tempest.sh: $*" >&2; exit 2; }

# Services mode: which real services stand beside the API.
GLANCE=false
NEUTRON=false
IFS=',' read -ra _services <<<"${TEMPEST_SERVICES:-}"
for _service in "${_services[@]}"; do
    case "${_service// /}" in
        glance) GLANCE=true ;;
        neutron) NEUTRON=true ;;
        "") ;;
        *) die "TEMPEST_SERVICES: no such service '$_service' (glance, neutron)" ;;
    esac
done
SERVICES=
[ "$GLANCE" = false ] || SERVICES=glance
[ "$NEUTRON" = false ] || SERVICES=${SERVICES:+$SERVICES,}neutron
SERVICES_DIR=     # tools/openstack-services.sh's work directory, once started

# -- what to stop: only the processes started here, by their pid ------------
SERVICE_PIDS=()   # gunicorn masters (Keystone, the compute API), the
                  # noVNC stand-in
TEMPEST_PID=      # timeout(1) running tempest, in its own process group
stop_pid() {  # pid signal: signal, wait up to 10 s, then KILL
    kill "-$2" "$1" 2>/dev/null || return 0
    for _ in $(seq 1 50); do
        kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null || true; return 0; }
        sleep 0.2
    done
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}
cleanup() {
    # timeout passes TERM on to its process group (tempest, its workers).
    [ -n "$TEMPEST_PID" ] && stop_pid "$TEMPEST_PID" TERM
    TEMPEST_PID=
    local pid
    for pid in "${SERVICE_PIDS[@]}"; do
        stop_pid "$pid" QUIT   # gunicorn: QUIT is a quick shutdown
    done
    SERVICE_PIDS=()
    # Keystone, Glance, Neutron (by their pid files), their databases
    if [ -n "$SERVICES_DIR" ]; then
        "$OSVC" stop "$SERVICES_DIR" >>"$RUN/logs/openstack-services.log" \
            2>&1 || echo "tools/tempest.sh: $OSVC stop failed" >&2
        SERVICES_DIR=
    fi
}
trap cleanup EXIT
trap 'echo "tools/tempest.sh: interrupted" >&2; exit 130' INT
trap 'echo "tools/tempest.sh: terminated" >&2; exit 143' TERM

# -- 1. virtualenvs (once) -------------------------------------------------
# pip's cache stays in the work directory too.
export PIP_CACHE_DIR=$WORK/cache/pip
mkdir -p "$WORK"
venv() {  # dir packages...
    local dir=$1
    shift
    [ -f "$dir/.installed" ] && [ "$(cat "$dir/.installed")" = "$*" ] \
        && return 0
    log "installing $* into $dir"
    rm -rf "$dir"
    "$PY" -m venv "$dir"
    "$dir/bin/pip" install -q "$@" >"$WORK/pip-$(basename "$dir").log" 2>&1 \
        || { tail -20 "$WORK/pip-$(basename "$dir").log" >&2
             die "pip install $* failed"; }
    echo "$*" >"$dir/.installed"
}
# Keystone's (keystone==$KEYSTONE_VERSION, gunicorn): the cached one of
# tools/openstack-services.sh, shared with the integration tests.
KS_VENV=$("$OSVC" venv keystone) || die "$OSVC venv keystone failed"
if [ -n "$SERVICES" ]; then
    "$OSVC" install glance neutron >/dev/null || die "$OSVC install failed"
fi
# Keystone's virtualenv of earlier versions of this job: unused now.
rm -rf "$WORK/venv-keystone"
venv "$T_VENV" "tempest==$TEMPEST_VERSION"
# tempest 47's admin compute classes need Glance without it (patch header).
# With glance = true tempest has the admin image client: stock tempest.
PATCH=$HELPERS/tempest-47-admin-image-client.patch
if ! command -v patch >/dev/null; then
    log "installing patch (apt)"
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq patch
fi
T_SITE=$("$T_VENV/bin/python" -c \
    'import sysconfig; print(sysconfig.get_paths()["purelib"])')
PATCHED=false
patch -R --dry-run -s -f -p1 -d "$T_SITE" <"$PATCH" >/dev/null 2>&1 \
    && PATCHED=true
if [ "$GLANCE" = true ] && [ "$PATCHED" = true ]; then
    log "unpatching tempest (glance is on): $(basename "$PATCH")"
    patch -R -s -f -p1 -d "$T_SITE" <"$PATCH"
elif [ "$GLANCE" = false ] && [ "$PATCHED" = false ]; then
    log "patching tempest: $(basename "$PATCH")"
    patch -s -f -p1 -d "$T_SITE" <"$PATCH"
fi
if [ ! -x "$NOVA_VENV/bin/nova-manage" ] || [ ! -x "$NOVA_VENV/bin/gunicorn" ]
then
    log "no $NOVA_VENV: running tools/bootstrap.sh"
    NOVA_VENV=$NOVA_VENV ./tools/bootstrap.sh
fi
SETUP_VENVS=$(( $(date +%s) - START ))

# -- the run's directory -----------------------------------------------------
STAMP=$(date +%Y%m%d-%H%M%S)
RUN=$WORK/runs/$STAMP
mkdir -p "$RUN"/{logs,home,keystone/etc,keystone/fernet-keys,keystone/credential-keys,nova/etc}
chmod 700 "$RUN/keystone/fernet-keys" "$RUN/keystone/credential-keys"
ln -sfn "runs/$STAMP" "$WORK/last"
# Old runs beyond KEEP_RUNS go.
ls -1d "$WORK"/runs/*/ | head -n "-$KEEP_RUNS" | xargs -r rm -rf
# Nothing the services or tempest write goes to the real home directory.
export HOME=$RUN/home
unset XDG_RUNTIME_DIR XDG_CONFIG_HOME XDG_CACHE_HOME

read -r KS_PORT API_PORT <<<"$("$PY" "$HELPERS/cloud.py" free-ports 2)"
export KEYSTONE_URL=http://127.0.0.1:$KS_PORT
export COMPUTE_URL=http://127.0.0.1:$API_PORT/v2.1
export ADMIN_PASSWORD SERVICE_PASSWORD SERVICE_USER=nova REGION=RegionOne
ADMIN_PASSWORD=$("$PY" -c 'import secrets; print(secrets.token_hex(12))')
SERVICE_PASSWORD=$("$PY" -c 'import secrets; print(secrets.token_hex(12))')

# gunicorn settings both services share: no control socket (gunicorn >= 27
# would make one under $HOME), a quick stop.
gunicorn_conf() {  # file [extra lines]
    {
        echo "control_socket_disable = True"
        echo "graceful_timeout = 5"
        echo "timeout = 120"
        echo "accesslog = '-'"
        echo "access_log_format = '%(h)s \"%(r)s\" %(s)s %(b)s %(M)sms'"
        printf '%s\n' "${@:2}"
    } >"$1"
}

# -- 2. Keystone (services mode: Keystone, Glance, Neutron) -----------------
# tempest's [network] public_network_id: the API's built-in flat network,
# or Neutron's external network in services mode.
TEMPEST_NETWORK_ID=$NETWORK_ID
start_services() {
    SERVICES_DIR=$RUN/services
    log "Keystone, Glance, Neutron: $OSVC start (log:" \
        "$RUN/logs/openstack-services.log)"
    "$OSVC" start "$SERVICES_DIR" --compute-url "$COMPUTE_URL" \
        >"$RUN/logs/openstack-services.log" 2>&1 \
        || { tail -30 "$RUN/logs/openstack-services.log" >&2
             die "$OSVC start failed"; }
    # What it printed: URLs, ids, timings (never a secret).
    sed -n 's/^openstack-services: /  /p' "$RUN/logs/openstack-services.log"
    # KEYSTONE_URL, ADMIN_PASSWORD, NOVA_PASSWORD, IMAGE_ID, IMAGE_ID_ALT,
    # PUBLIC_NETWORK_ID, NEUTRON_EXTENSIONS, ... (docs/openstack-services.md)
    # shellcheck source=/dev/null
    source "$SERVICES_DIR/services.env"
    SERVICE_PASSWORD=$NOVA_PASSWORD
    if [ "$GLANCE" = true ]; then
        IMAGE_REF=$IMAGE_ID
        IMAGE_REF_ALT=$IMAGE_ID_ALT
    fi
    if [ "$NEUTRON" = true ]; then
        TEMPEST_NETWORK_ID=$PUBLIC_NETWORK_ID
    fi
}
# The keystoneauth options of upstream Nova's [glance], [neutron],
# [keystone] and [service_user]: the service user of project service.
service_user_auth() {
    cat <<EOF
auth_type = password
auth_url = $KEYSTONE_URL
username = $SERVICE_USER
password = $SERVICE_PASSWORD
project_name = service
user_domain_name = Default
project_domain_name = Default
EOF
}
services_conf() {
    if [ "$GLANCE" = true ]; then
        printf '\n[glance]\n'
        service_user_auth
        printf 'region_name = RegionOne\nvalid_interfaces = public\n'
    fi
    if [ "$NEUTRON" = true ]; then
        printf '\n[neutron]\n'
        service_user_auth
        printf 'region_name = RegionOne\nvalid_interfaces = public\n'
        printf 'default_floating_pool = public\n'
    fi
    printf '\n[keystone]\n'
    service_user_auth
    printf 'region_name = RegionOne\nvalid_interfaces = public\n'
    printf '\n[service_user]\nsend_service_user_token = true\n'
    service_user_auth
}

if [ -n "$SERVICES" ]; then
    start_services
else
# (the job without services: its own Keystone, up to the "fi" below)
K=$RUN/keystone
cat >"$K/etc/keystone.conf" <<EOF
[DEFAULT]
use_stderr = true
[database]
connection = sqlite:///$K/keystone.sqlite
[token]
provider = fernet
expiration = 14400
[fernet_tokens]
key_repository = $K/fernet-keys
[fernet_receipts]
key_repository = $K/fernet-keys
[credential]
key_repository = $K/credential-keys
# One process: an in-memory cache is coherent, and it cuts a token
# validation from ~0.5 s of SQL to ~10 ms (tempest validates thousands).
[cache]
enabled = true
backend = dogpile.cache.memory
# bcrypt's minimum: tempest creates and authenticates ~100 users per class
# set-up round; 12 rounds (the default) cost ~0.3 s of CPU each time.
[identity]
password_hash_rounds = 4
EOF
# keystone.server.configure() parses sys.argv with oslo.config, which
# rejects gunicorn's arguments: blank them in each worker before the app is
# imported (preload_app stays off).
gunicorn_conf "$K/etc/gunicorn.conf.py" \
    "import sys" \
    "preload_app = False" \
    "def post_fork(server, worker):" \
    "    sys.argv[1:] = []"
log "keystone: db_sync, fernet_setup, credential_setup, bootstrap"
KM=("$KS_VENV/bin/keystone-manage" --config-file "$K/etc/keystone.conf")
{
    "${KM[@]}" db_sync
    "${KM[@]}" fernet_setup --keystone-user "$(id -un)" \
        --keystone-group "$(id -gn)"
    "${KM[@]}" credential_setup --keystone-user "$(id -un)" \
        --keystone-group "$(id -gn)"
    "${KM[@]}" bootstrap --bootstrap-password "$ADMIN_PASSWORD" \
        --bootstrap-admin-url "$KEYSTONE_URL/v3" \
        --bootstrap-public-url "$KEYSTONE_URL/v3" \
        --bootstrap-internal-url "$KEYSTONE_URL/v3" \
        --bootstrap-region-id RegionOne
} >"$RUN/logs/keystone-manage.log" 2>&1 \
    || { tail -20 "$RUN/logs/keystone-manage.log" >&2; die "keystone-manage failed"; }
OS_KEYSTONE_CONFIG_DIR=$K/etc "$KS_VENV/bin/gunicorn" \
    -c "$K/etc/gunicorn.conf.py" -b "127.0.0.1:$KS_PORT" -w 1 --chdir "$K" \
    keystone.wsgi.api:application >"$RUN/logs/keystone.log" 2>&1 &
SERVICE_PIDS+=($!)
"$PY" "$HELPERS/cloud.py" wait "$KEYSTONE_URL/v3" 60 "${SERVICE_PIDS[-1]}" \
    || { tail -20 "$RUN/logs/keystone.log" >&2; die "Keystone did not start"; }
"$PY" "$HELPERS/cloud.py" register
fi

# -- 3. the noVNC stand-in and the compute API -------------------------------
# tools/tempest/novnc_standin.py: a test-only stand-in for nova-novncproxy
# and a guest's VNC server (no console proxy or VNC server exists here),
# on a free port, checking tokens with the API's os-console-auth-tokens as
# the service user; the API's [vnc] novncproxy_base_url points at it.
"$PY" "$HELPERS/novnc_standin.py" --port-file "$RUN/novnc.port" \
    >"$RUN/logs/novnc-standin.log" 2>&1 &
SERVICE_PIDS+=($!)
for _ in $(seq 1 50); do
    [ -s "$RUN/novnc.port" ] && break
    kill -0 "${SERVICE_PIDS[-1]}" 2>/dev/null || break
    sleep 0.2
done
[ -s "$RUN/novnc.port" ] \
    || { tail -20 "$RUN/logs/novnc-standin.log" >&2
         die "the noVNC stand-in did not start"; }
NOVNC_URL=http://127.0.0.1:$(cat "$RUN/novnc.port")/vnc_auto.html
N=$RUN/nova
cat >"$N/etc/nova.conf" <<EOF
[api]
auth_strategy = keystone

[database]
connection = sqlite:///$N/nova.sqlite

[compute]
# tempest's multi-host tests (cold migration, os-hosts, hypervisors) want
# two compute hosts.
hosts = compute1:nova:64:131072:2000, compute2:nova:64:131072:2000
# tempest polls every second: servers are ACTIVE by the first poll.
build_time = 0.5
action_time = 0.5

[network]
uuid = $NETWORK_ID

[vnc]
# the noVNC stand-in above (test-only: tools/tempest/novnc_standin.py)
novncproxy_base_url = $NOVNC_URL

[filter_scheduler]
enabled_filters = $FILTERS

[keystone_authtoken]
www_authenticate_uri = $KEYSTONE_URL
auth_url = $KEYSTONE_URL
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $SERVICE_USER
password = $SERVICE_PASSWORD
region_name = RegionOne
interface = public
service_token_roles_required = true
EOF
[ -z "$SERVICES" ] || services_conf >>"$N/etc/nova.conf"
gunicorn_conf "$N/etc/gunicorn.conf.py"
export OS_NOVA_CONFIG_DIR=$N/etc OS_NOVA_CONFIG_FILES=nova.conf
"$NOVA_VENV/bin/nova-manage" db sync >"$RUN/logs/nova-manage.log" 2>&1
if [ "$GLANCE" = false ]; then   # else Glance's images
    "$NOVA_VENV/bin/nova-manage" image create tempest-image \
        --id "$IMAGE_REF" >>"$RUN/logs/nova-manage.log" 2>&1
    "$NOVA_VENV/bin/nova-manage" image create tempest-image-alt \
        --id "$IMAGE_REF_ALT" >>"$RUN/logs/nova-manage.log" 2>&1
fi
"$NOVA_VENV/bin/gunicorn" -c "$N/etc/gunicorn.conf.py" \
    -b "127.0.0.1:$API_PORT" -w "$API_WORKERS" \
    nova.wsgi.osapi_compute:application >"$RUN/logs/nova-api.log" 2>&1 &
SERVICE_PIDS+=($!)
"$PY" "$HELPERS/cloud.py" wait "http://127.0.0.1:$API_PORT/" 60 \
    "${SERVICE_PIDS[-1]}" \
    || { tail -20 "$RUN/logs/nova-api.log" >&2; die "the compute API did not start"; }
# devstack's m1.nano and m1.micro, the flavors tempest is used to.
"$PY" "$HELPERS/cloud.py" flavors 42:m1.nano:192:1:1 84:m1.micro:256:1:1
MAX_MICROVERSION=$("$PY" "$HELPERS/cloud.py" max-microversion "$COMPUTE_URL")
log "compute API $COMPUTE_URL (max microversion $MAX_MICROVERSION)," \
    "Keystone $KEYSTONE_URL${SERVICES:+, real $SERVICES}, noVNC stand-in" \
    "$NOVNC_URL"

# -- 4. tempest workspace and tempest.conf ----------------------------------
W=$RUN/cloud
CONF_SET=()
IFS=';' read -ra _items <<<"${TEMPEST_CONF_SET:-}"
for _item in "${_items[@]}"; do
    [ -n "${_item// /}" ] && CONF_SET+=(--set "$_item")
done
mkdir -p "$RUN/tempest-etc"   # empty: keeps tempest init away from ~/.tempest
"$T_VENV/bin/tempest" init --config-dir "$RUN/tempest-etc" \
    --workspace-path "$RUN/workspace.yaml" --name "run-$STAMP" "$W" \
    >"$RUN/logs/tempest-init.log" 2>&1
"$PY" "$HELPERS/write_conf.py" "$W/etc/tempest.conf" --workspace "$W" \
    --keystone-url "$KEYSTONE_URL" --admin-password "$ADMIN_PASSWORD" \
    --image-ref "$IMAGE_REF" --image-ref-alt "$IMAGE_REF_ALT" \
    --max-microversion "$MAX_MICROVERSION" --build-timeout "$BUILD_TIMEOUT" \
    --network-id "$TEMPEST_NETWORK_ID" --filters "$FILTERS" \
    --services "$SERVICES" --network-extensions "${NEUTRON_EXTENSIONS:-}" \
    "${CONF_SET[@]}"
export TEMPEST_CONFIG_DIR=$W/etc TEMPEST_CONFIG=tempest.conf
SETUP_END=$(date +%s)
log "set-up done in $(( SETUP_END - START ))s (virtualenvs ${SETUP_VENVS}s)"

# -- 5. the run ----------------------------------------------------------------
cd "$W"
echo "$REGEX" >"$RUN/regex.txt"
"$T_VENV/bin/tempest" run --list-tests --regex "$REGEX" 2>/dev/null \
    | grep '^tempest\.' >"$RUN/listed.txt" || true
[ -s "$RUN/listed.txt" ] || die "no test matches $REGEX"
log "running $(wc -l <"$RUN/listed.txt") tests (concurrency $CONCURRENCY," \
    "at most ${TIMEOUT}s); progress: tail -f $RUN/console.log"
timeout --kill-after=30 "$TIMEOUT" "$T_VENV/bin/tempest" run \
    --concurrency "$CONCURRENCY" --regex "$REGEX" >"$RUN/console.log" 2>&1 &
TEMPEST_PID=$!
RC=0
wait "$TEMPEST_PID" || RC=$?
TEMPEST_PID=
RUN_SECONDS=$(( $(date +%s) - SETUP_END ))
"$T_VENV/bin/stestr" last --subunit >"$RUN/results.subunit" 2>/dev/null || true
cd "$ROOT"

# -- 6. stop the services, then the summary ---------------------------------
cleanup
SUMMARY_RC=0
"$PY" "$HELPERS/summarise.py" "$RUN/results.subunit" \
    --listed "$RUN/listed.txt" --json "$RUN/summary.json" \
    >"$RUN/summary.txt" || SUMMARY_RC=$?
{
    echo "tempest $TEMPEST_VERSION, Keystone $KEYSTONE_VERSION," \
         "${SERVICES:+real $SERVICES (TEMPEST_SERVICES), }regex $REGEX," \
         "max microversion $MAX_MICROVERSION"
    cat "$RUN/summary.txt"
    if [ "$RC" = 124 ] || [ "$RC" = 137 ]; then
        echo "TIMED OUT after ${TIMEOUT}s"
    fi
    echo "Time: set-up $(( SETUP_END - START ))s (virtualenvs" \
         "${SETUP_VENVS}s), run ${RUN_SECONDS}s; tempest exit status $RC"
    echo "Results: $RUN"
} >"$RUN/report.txt"
cat "$RUN/report.txt"
[ "$RC" = 0 ] && [ "$SUMMARY_RC" = 0 ]
