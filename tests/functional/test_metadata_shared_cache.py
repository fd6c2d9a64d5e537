"""The metadata API's optional shared cache (``[cache]``, oslo.cache) on the
real Redis at 127.0.0.1:6379 (``NOVA_TEST_REDIS_URL`` overrides it;
skipped outside CI when it cannot be reached, a failure in CI).

Two metadata API instances loaded from the same config directory stand for
two processes: each has its own in-process cache, so what one serves from
the other's work came through Redis. Keys are namespaced by the database
URL, and every test has a database of its own, so parallel runs never
meet.
"""

import logging
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import urllib.parse

import pytest

from nova.api.metadata import shared_cache
from tests.functional.metadata_cloud import Cloud, get, meta_data
from tests.helpers import ADMIN

REDIS_URL = os.environ.get("NOVA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CACHE_MODULES = ("oslo_cache", "dogpile", "redis", "pymemcache", "memcache")


def redis_address():
    parts = urllib.parse.urlsplit(REDIS_URL)
    return parts.hostname or "127.0.0.1", parts.port or 6379


@pytest.fixture
def redis(unavailable):
    host, port = redis_address()
    try:
        with socket.create_connection((host, port), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            if not sock.recv(64).startswith(b"+PONG"):
                raise OSError("no PONG")
    except OSError as exc:
        unavailable(f"Redis at {host}:{port} ({exc})")
    return REDIS_URL


@pytest.fixture
def cloud(config_dir, tmp_path):
    cloud = Cloud(config_dir, tmp_path)
    cloud.db_file = tmp_path / "nova.sqlite"
    return cloud


def enable_cache(cloud, url):
    cloud.configure(f"""
        [cache]
        enabled = true
        backend = dogpile.cache.redis
        backend_argument = url:{url}
        expiration_time = 120
        socket_timeout = 0.5
        """)


def sneak_rename(cloud, server_id, name):
    """Change the row behind the API's back, revision untouched: only a
    process that reads the database sees it; one that is served from a
    cache keyed by the revision does not."""
    with sqlite3.connect(cloud.db_file) as db:
        assert db.execute("UPDATE instances SET display_name = ? "
                          "WHERE uuid = ?", (name, server_id)).rowcount == 1


def test_two_processes_share_entries(cloud, redis):
    server = cloud.boot()
    enable_cache(cloud, redis)
    first, second = cloud.metadata(), cloud.metadata()
    assert first.app is not second.app
    assert meta_data(first, server["ip"])["name"] == "seeded-vm"
    sneak_rename(cloud, server["id"], "from-the-database")
    # The second instance has never served this guest: it is served the
    # entry the first stored, not the row.
    assert meta_data(second, server["ip"])["name"] == "seeded-vm"
    # Without the shared cache, a new instance reads the database.
    cloud.configure("[cache]\nenabled = false\n")
    assert meta_data(cloud.metadata(), server["ip"])["name"] == \
        "from-the-database"


def test_a_change_through_the_compute_api_is_served_at_once(cloud, redis):
    server = cloud.boot(metadata={"role": "web"})
    enable_cache(cloud, redis)
    first, second = cloud.metadata(), cloud.metadata()
    for app in (first, second):
        doc = meta_data(app, server["ip"])
        assert (doc["name"], doc["meta"]) == ("seeded-vm", {"role": "web"})
    cloud.compute.put_json(f"/v2.1/servers/{server['id']}",
                           {"server": {"name": "renamed"}}, headers=ADMIN)
    cloud.compute.put_json(f"/v2.1/servers/{server['id']}/metadata/role",
                           {"meta": {"role": "db"}}, headers=ADMIN)
    for app in (second, first):
        doc = meta_data(app, server["ip"])
        assert (doc["name"], doc["meta"]) == ("renamed", {"role": "db"})
    # A third process, new to this guest, is served the new revision too.
    doc = meta_data(cloud.metadata(), server["ip"])
    assert (doc["name"], doc["meta"]) == ("renamed", {"role": "db"})
    # user_data (bytes) and the addresses survive the trip through Redis.
    assert get(cloud.metadata(), "/openstack/latest/user_data",
               server["ip"]).body == b"#cloud-config\nhostname: seeded-vm\n"


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cache_warnings(caplog):
    return [r for r in caplog.records if r.levelno == logging.WARNING
            and "metadata shared cache" in r.getMessage()]


def test_redis_down_answers_from_the_database(cloud, caplog):
    server = cloud.boot()
    enable_cache(cloud, f"redis://127.0.0.1:{closed_port()}/0")
    app = cloud.metadata()
    caplog.set_level(logging.INFO, logger="nova")
    for _ in range(3):
        assert meta_data(app, server["ip"])["name"] == "seeded-vm"
    cloud.compute.put_json(f"/v2.1/servers/{server['id']}",
                           {"server": {"name": "renamed"}}, headers=ADMIN)
    assert meta_data(app, server["ip"])["name"] == "renamed"
    other = cloud.metadata()  # a new process: nothing of its own cached
    assert meta_data(other, server["ip"])["name"] == "renamed"
    assert get(other, "/latest/meta-data/local-ipv4",
               server["ip"]).text == server["ip"]
    # Warned once per process, not once per request.
    warnings = cache_warnings(caplog)
    assert len(warnings) == 2, [r.getMessage() for r in warnings]
    assert "ConnectionError" in warnings[0].getMessage()


class Proxy:
    """A TCP proxy to Redis on a port of its own, that can be cut."""

    def __init__(self, target, port=0):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", port))
        self.port = self.listener.getsockname()[1]
        self.conns = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b),
                                 daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self):
        try:  # wakes the accept() of the thread (close alone would not)
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        for conn in self.conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()
        self.thread.join(5)


def test_redis_lost_and_back(cloud, redis, caplog, monkeypatch):
    monkeypatch.setattr(shared_cache, "RETRY_AFTER", 0.0)
    server = cloud.boot()
    proxy = Proxy(redis_address())
    try:
        enable_cache(cloud, f"redis://127.0.0.1:{proxy.port}/0")
        app = cloud.metadata()
        caplog.set_level(logging.INFO, logger="nova")
        assert meta_data(app, server["ip"])["name"] == "seeded-vm"
        proxy.cut()
        cloud.compute.put_json(f"/v2.1/servers/{server['id']}",
                               {"server": {"name": "while-down"}},
                               headers=ADMIN)
        for _ in range(3):
            assert meta_data(app, server["ip"])["name"] == "while-down"
        assert len(cache_warnings(caplog)) == 1
        proxy = Proxy(redis_address(), port=proxy.port)
        cloud.compute.put_json(f"/v2.1/servers/{server['id']}",
                               {"server": {"name": "back"}}, headers=ADMIN)
        assert meta_data(app, server["ip"])["name"] == "back"
        assert any("works again" in r.getMessage() for r in caplog.records)
        # And the entry reached Redis again: a new process is served it.
        sneak_rename(cloud, server["id"], "from-the-database")
        assert meta_data(cloud.metadata(), server["ip"])["name"] == "back"
    finally:
        proxy.cut()


_IMPORTED = """
import sys
from nova import loading
loading.load_app("metadata", {"OS_NOVA_CONFIG_DIR": sys.argv[1]})
print(sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[2:])))
"""


def imported_cache_modules(cloud):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    proc = subprocess.run([sys.executable, "-c", _IMPORTED,
                           str(cloud.dir.path), *CACHE_MODULES],
                          capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_nothing_cache_related_is_imported_when_disabled(cloud):
    assert imported_cache_modules(cloud) == "[]"
    enable_cache(cloud, "redis://127.0.0.1:1/0")
    assert "oslo_cache" in imported_cache_modules(cloud)
