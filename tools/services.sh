#!/usr/bin/env bash
# Make sure the servers the test suite uses are running on loopback
# (PostgreSQL on 5432, MariaDB on 3306, Redis on 6379 for the metadata
# API's shared cache). Machines of this kind
# start them at boot; this starts whichever one is down, with the same
# commands, and waits until it answers.
set -uo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {  # port name
    for _ in $(seq 1 60); do port_open "$1" && return 0; sleep 0.5; done
    echo "services: $2 did not come up on 127.0.0.1:$1" >&2
    return 1
}

status=0
if ! port_open 5432; then
    echo "services: starting PostgreSQL"
    if command -v pg_ctlcluster >/dev/null; then
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    fi
    wait_port 5432 PostgreSQL || status=1
fi
if ! port_open 3306; then
    echo "services: starting MariaDB"
    if [ -x /usr/sbin/mariadbd ]; then
        start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
    fi
    wait_port 3306 MariaDB || status=1
fi
if ! port_open 6379; then
    echo "services: starting Redis"
    if command -v redis-server >/dev/null; then
        redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 \
            --save "" --appendonly no --dir /var/lib/redis \
            --logfile /var/log/redis/ci.log || true
    fi
    wait_port 6379 Redis || status=1
fi
exit $status
