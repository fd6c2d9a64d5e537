"""Faults under load, through real servers.

- A request stuck behind a database lock gets 503 in the fault format
  within ``[database] lock_timeout`` while other requests proceed (SQLite,
  MariaDB, PostgreSQL: the test holds the lock itself).
- The database stopped mid-load: a private PostgreSQL (initdb + pg_ctl as
  the ``postgres`` user, in a temporary directory, on a free loopback
  port; the machine's own PostgreSQL is never touched). While it is down
  every answer is 503 in the fault format, never a 500 or a dropped
  connection; after it is back the API answers 200 within 5 s, with the
  same gunicorn processes (no restart).
- A mod_wsgi daemon killed mid-response (mod_wsgi-express): the client
  sees a failure it can detect (a 5xx, a closed connection, or a body
  shorter than its Content-Length), never a complete-looking 200.
"""

import contextlib
import functools
import json
import os
import pathlib
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest
import sqlalchemy as sa

from tests.deploy import servers
from tests.helpers import ADMIN, IMAGE, conf_of, unavailable
from tests.robustness import serve
from tests.robustness.serve import Stack, member

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("deploy_tools")]

OWNER = member("alice", "project-a")
PG_BIN = pathlib.Path("/usr/lib/postgresql/15/bin")


# This module's requests: alice's at 2.37 unless they say, 30 s to answer.
call = functools.partial(serve.call, headers=OWNER, version="2.37",
                         timeout=30)


def seed(stack, base):
    stack.nova_manage("image", "create", "cirros", "--id", IMAGE)
    resp = call(base, "POST", "/flavors", {"flavor": {
        "name": "small", "ram": 512, "vcpus": 1, "disk": 1, "id": "small"}},
        headers=ADMIN, version="2.1")
    assert resp.status == 200, resp.text
    resp = call(base, "POST", "/servers", {"server": {
        "name": "victim", "imageRef": IMAGE, "flavorRef": "small",
        "networks": "none"}})
    assert resp.status == 202, resp.text
    return resp.json()["server"]["id"]


def assert_unavailable(resp):
    assert resp.status == 503, (resp.status, resp.text)
    fault = resp.json()["serviceUnavailable"]
    assert fault["code"] == 503
    return fault


def gunicorn_pids(proc):
    return sorted([proc.pid, *servers.children(proc.pid)])


# -- a lock held by another transaction ------------------------------------

@contextlib.contextmanager
def held_lock(db_url, server):
    """Hold a write lock the API's writer needs: SQLite's write lock, or
    the server's row FOR UPDATE on MariaDB/PostgreSQL."""
    if db_url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(db_url.split("///", 1)[1],
                               isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            trans = conn.begin()
            conn.execute(sa.text("SELECT id FROM instances WHERE uuid = :u "
                                 "FOR UPDATE"), {"u": server})
            try:
                yield
            finally:
                trans.rollback()
    finally:
        engine.dispose()


LOCK_TIMEOUT = 2.0


def test_request_behind_a_lock_gets_503_within_lock_timeout(workdir, db_url):
    stack = Stack(workdir, db_url=None if db_url.startswith("sqlite")
                  else db_url,
                  extra=f"[database]\nlock_timeout = {LOCK_TIMEOUT}\n"
                        "[compute]\nbuild_time = 0\naction_time = 0\n")
    try:
        base = stack.start("compute", workers=2,
                           extra_args=("--threads", "4"))
        server = seed(stack, base)
        url = workdir.db_url
        stuck = {}

        def write():
            started = time.monotonic()
            stuck["resp"] = call(base, "POST", f"/servers/{server}/metadata",
                                 {"metadata": {"k": "v"}})
            stuck["seconds"] = time.monotonic() - started

        with held_lock(url, server):
            writer = threading.Thread(target=write)
            writer.start()
            time.sleep(0.3)
            # others proceed meanwhile
            reads = []
            while writer.is_alive() and len(reads) < 50:
                started = time.monotonic()
                resp = call(base, "GET", f"/servers/{server}")
                reads.append((resp.status, time.monotonic() - started))
            writer.join(timeout=LOCK_TIMEOUT + 15)
        assert not writer.is_alive()
        fault = assert_unavailable(stuck["resp"])
        assert "database" in fault["message"].lower()
        assert LOCK_TIMEOUT * 0.8 <= stuck["seconds"] <= LOCK_TIMEOUT + 3, \
            stuck["seconds"]
        assert reads and all(status == 200 for status, _ in reads), reads
        assert max(seconds for _, seconds in reads) < LOCK_TIMEOUT, reads
        # the lock gone, the same write succeeds
        resp = call(base, "POST", f"/servers/{server}/metadata",
                    {"metadata": {"k": "v"}})
        assert resp.status == 200, resp.text
        assert "Traceback" not in stack.output()
    finally:
        stack.stop()


# -- a private PostgreSQL, stopped mid-load --------------------------------

class PrivatePostgres:
    """initdb + pg_ctl as ``postgres`` in a temporary directory."""

    def __init__(self):
        if not (PG_BIN / "pg_ctl").exists():
            unavailable(f"PostgreSQL server binaries in {PG_BIN}")
        try:
            self.user = pwd.getpwnam("postgres")
        except KeyError:
            unavailable("the postgres user (to run a private PostgreSQL)")
        self.root = pathlib.Path(tempfile.mkdtemp(prefix="nova-pg-"))
        os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
        self.data = self.root / "data"
        self.port = servers.free_port()
        self._as_postgres([PG_BIN / "initdb", "-D", self.data, "-A",
                           "trust", "-U", "postgres", "--no-sync"])
        self.url = (f"postgresql+psycopg://postgres@127.0.0.1:{self.port}"
                    "/postgres")

    def _as_postgres(self, argv, timeout=120):
        argv = [str(a) for a in argv]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        proc = subprocess.run(argv, capture_output=True, text=True,
                              timeout=timeout, cwd=self.root)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc

    def start(self):
        self._as_postgres([
            PG_BIN / "pg_ctl", "-D", self.data, "-l", self.root / "log",
            "-w", "-t", "60", "-o",
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off", "start"])

    def stop(self, mode="immediate"):
        self._as_postgres([PG_BIN / "pg_ctl", "-D", self.data, "-m", mode,
                           "-w", "stop"])

    def cleanup(self):
        with contextlib.suppress(AssertionError, subprocess.SubprocessError):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def private_pg():
    if os.geteuid() != 0:
        unavailable("root (to run a private PostgreSQL as postgres)")
    pg = PrivatePostgres()
    try:
        pg.start()
        yield pg
    finally:
        pg.cleanup()


class Load:
    """Client threads reading from the API until told to stop; every
    outcome recorded with its time."""

    def __init__(self, base, paths, clients=2):
        self.base, self.paths = base, paths
        self.outcomes = []  # (time, status or exception name, body)
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,))
                         for i in range(clients)]

    def _run(self, index):
        i = index
        while not self._stop.is_set():
            path = self.paths[i % len(self.paths)]
            i += 1
            try:
                resp = call(self.base, "GET", path, timeout=20)
                self.outcomes.append((time.monotonic(), resp.status,
                                      resp.body))
            except Exception as exc:  # noqa: BLE001 - recorded
                self.outcomes.append((time.monotonic(), type(exc).__name__,
                                      b""))
            time.sleep(0.02)

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)


def test_database_stopped_mid_load_then_back(workdir, private_pg):
    stack = Stack(workdir, db_url=private_pg.url,
                  extra="[database]\nconnect_timeout = 2\n"
                        "[compute]\nbuild_time = 0\naction_time = 0\n")
    try:
        base = stack.start("compute", workers=2)
        server = seed(stack, base)
        pids = gunicorn_pids(stack.procs["compute"])
        with Load(base, [f"/servers/{server}", "/flavors/detail",
                         "/servers/detail"]) as load:
            time.sleep(1.0)
            stopped = time.monotonic()
            private_pg.stop()
            time.sleep(3.0)
            private_pg.start()
            back = time.monotonic()
            servers.wait_for(lambda: any(
                t > back and s == 200 for t, s, _ in load.outcomes[-20:]),
                10, "the API to answer 200 again")
            time.sleep(0.5)
        outcomes = load.outcomes
        assert gunicorn_pids(stack.procs["compute"]) == pids  # no restart
        before = [o for o in outcomes if o[0] < stopped]
        during = [o for o in outcomes if stopped + 0.5 < o[0] < back]
        after = [o for o in outcomes if o[0] > back]
        assert before and all(s == 200 for _, s, _ in before), before[:5]
        assert during, "no request while the database was down"
        for _, status, body in during:
            assert status in (200, 503), (status, body[:300])
        unavailable_answers = [(s, b) for _, s, b in during if s == 503]
        assert unavailable_answers
        for _, body in unavailable_answers:
            assert json.loads(body)["serviceUnavailable"]["code"] == 503
        first_ok = next(t for t, s, _ in after if s == 200)
        recovery = first_ok - back
        assert recovery <= 5.0, recovery
        assert all(s in (200, 503) for _, s, _ in after)
        # once recovered, it stays recovered
        tail = [s for t, s, _ in after if t > first_ok]
        assert tail and all(s == 200 for s in tail), tail
        print(f"database down {back - stopped:.1f} s: {len(during)} "
              f"answers, {len(unavailable_answers)} x 503; first 200 "
              f"{recovery:.2f} s after it was back")
        assert "Traceback" not in stack.output()
    finally:
        stack.stop()


# -- a mod_wsgi daemon killed mid-response ------------------------------------

def _wsgi_daemons(session_pid):
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.getsid(int(pid)) != session_pid:
                continue
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                name = fh.read().split(b"\0")[0]
        except (OSError, ProcessLookupError):
            continue
        if name.startswith(b"(wsgi:"):
            out.append(int(pid))
    return out


def _many_flavors(workdir, count=1000):
    """Big flavor pages: ``count`` flavors with long descriptions."""
    from nova.compute import flavors
    from nova.db import api as db_api

    class Dir:
        env = {"OS_NOVA_CONFIG_DIR": str(workdir.path / "etc")}

    store = db_api.Database(conf_of(Dir).database)
    with store.writer() as session:
        for i in range(count):
            flavors.create(session, name=f"f{i:05d}", flavorid=f"f{i:05d}",
                           memory_mb=512, vcpus=1, root_gb=1,
                           description="d" * 5000)
    store.dispose()
    for path in workdir.db_dir.iterdir():
        os.chown(path, workdir.uid, workdir.gid)


def _send(port, path, headers):
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    return sock


def _read_all(sock):
    data = b""
    with contextlib.suppress(ConnectionResetError, socket.timeout):
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return data


def _judge(raw):
    """'failure' (the client can tell) or 'complete'; fails the test on
    a complete-looking truncated 200."""
    if not raw:
        return "failure"  # closed without an answer
    head, _sep, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    headers = {line.split(b":", 1)[0].strip().lower():
               line.split(b":", 1)[1].strip()
               for line in head.split(b"\r\n")[1:] if b":" in line}
    if status >= 500:
        return "failure"
    assert status == 200, head
    assert b"content-length" in headers, head  # a cut can be detected
    declared = int(headers[b"content-length"])
    if len(body) < declared:
        return "failure"
    assert len(body) == declared
    json.loads(body)  # whole
    return "complete"


def test_mod_wsgi_daemon_killed_mid_response(workdir):
    stack = Stack(workdir)  # writes etc/ and syncs the database
    _many_flavors(workdir)
    port = servers.free_port()
    env = servers.clean_env(OS_NOVA_CONFIG_DIR=str(stack.etc))
    script = servers.ROOT / "deployment" / "mod_wsgi" / "nova-compute-api.wsgi"
    proc = servers.Process(
        servers.express_argv(script, port, workdir.mkdir("express"),
                             processes=1),
        workdir.path / "express.log", env=env)
    headers = {**ADMIN, "OpenStack-API-Version": "compute 2.55"}
    try:
        base = f"http://127.0.0.1:{port}"
        servers.wait_for(lambda: servers.request(
            base + "/healthcheck", timeout=5).status == 200, 60,
            "mod_wsgi-express")
        whole = servers.request(base + "/v2.1/flavors/detail",
                                headers=headers, timeout=60)
        assert whole.status == 200 and len(whole.body) > 4_000_000
        results = []
        # 1: killed while the response streams to a client not reading
        sock = _send(port, "/v2.1/flavors/detail", headers)
        time.sleep(1.5)
        victims = _wsgi_daemons(proc.pid)
        assert victims, proc.output()[-2000:]
        for pid in victims:
            os.kill(pid, signal.SIGKILL)
        results.append(_judge(_read_all(sock)))
        sock.close()
        servers.wait_for(lambda: _wsgi_daemons(proc.pid)
                         and set(_wsgi_daemons(proc.pid)) != set(victims),
                         60, "a new daemon")
        # 2: killed before the response started (a request in progress)
        sock = _send(port, "/v2.1/flavors/detail", headers)
        time.sleep(0.05)
        victims = _wsgi_daemons(proc.pid)
        for pid in victims:
            os.kill(pid, signal.SIGKILL)
        results.append(_judge(_read_all(sock)))
        sock.close()
        print("killed mid-response:", results)
        assert results[0] == "failure", results
        # the daemon comes back and serves whole answers
        servers.wait_for(lambda: servers.request(
            base + "/healthcheck", timeout=5).status == 200, 60,
            "the restarted daemon")
        again = servers.request(base + "/v2.1/flavors/detail",
                                headers=headers, timeout=60)
        assert again.status == 200 and again.body == whole.body
    finally:
        proc.stop(signal.SIGTERM)
