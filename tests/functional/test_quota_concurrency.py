"""Quotas are never exceeded by concurrent requests, on every backend.

The compute API runs under gunicorn (3 worker processes of 4 threads
each, so requests race in separate processes and connections), on
SQLite, MariaDB and PostgreSQL in turn (``db_url``). Clients in threads
wait at a barrier and fire together, 5 times as many creates as the quota
allows: exactly the quota's worth succeed, every other one is refused
with upstream's 403, none fails otherwise; then the store holds exactly
that many. The same for multiple create (min_count/max_count), server
groups, key pairs, and members of an anti-affinity group (whose servers
must also land on distinct hosts).
"""

import http.client
import json
import os
import shutil
import threading

import pytest

from tests.deploy import servers
from tests.helpers import IMAGE, PASTE, SSH_KEY, sync_db

N = 5  # the quota under test

pytestmark = [pytest.mark.db, pytest.mark.slow, pytest.mark.timeout(240)]


class Server(servers.Gunicorn):
    """gunicorn serving the compute API on a loopback port."""

    def __init__(self, tmp_path, db_url):
        self.dir = tmp_path
        self.etc = tmp_path / "etc"
        self.db_url = db_url
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("OS_NOVA_")}
        env["OS_NOVA_CONFIG_DIR"] = str(self.etc)
        super().__init__(
            "nova.wsgi.osapi_compute:application", tmp_path / "gunicorn.log",
            env, tmp_path, options=("--workers", "3", "--worker-class",
                                    "gthread", "--threads", "4"))

    def configure(self):
        self.etc.mkdir()
        shutil.copy(PASTE, self.etc / "api-paste.ini")
        (self.etc / "nova.conf").write_text(
            "[api]\nauth_strategy = noauth2\n"
            f"[database]\nconnection = {self.db_url}\nlock_timeout = 60\n"
            "[compute]\nbuild_time = 0\naction_time = 0\n"
            "hosts = h1:nova:64:65536:1000, h2:nova:64:65536:1000, "
            "h3:nova:64:65536:1000\n"
            f"[quota]\ninstances = {N}\nserver_groups = {N}\n"
            f"key_pairs = {N}\nserver_group_members = {N}\n")
        sync_db(self.db_url)
        from nova import config_files
        from nova.compute import images
        from nova.db import api as db_api

        conf = config_files.build_conf(config_files.find_config(
            {config_files.ENV_DIR: str(self.etc)}))
        db = db_api.Database(conf.database)
        try:
            with db.writer() as session:
                images.create(session, name="cirros", image_id=IMAGE)
        finally:
            db.dispose()

    def request(self, method, path, body=None, token="admin:admin",
                version="2.37"):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            headers = {"X-Auth-Token": token,
                       "OpenStack-API-Version": f"compute {version}"}
            data = None
            if body is not None:
                data = json.dumps(body)
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            if resp.getheader("Content-Type", "").startswith(
                    "application/json"):
                return resp.status, json.loads(raw)
            return resp.status, raw
        finally:
            conn.close()


@pytest.fixture
def server(tmp_path, db_url):
    srv = Server(tmp_path, db_url)
    try:
        srv.configure()
        srv.start()
        status, _body = srv.request("POST", "/v2.1/flavors", {"flavor": {
            "name": "tiny", "ram": 64, "vcpus": 1, "disk": 1, "id": "1"}},
            version="2.1")
        assert status == 200
        yield srv
    finally:
        srv.stop()
        print(srv.logs())  # shown by pytest for a failed test only


def race(server, calls):
    """Run ``calls`` [(method, path, body, token)] at once; [(status,
    body)] in the same order."""
    results = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(index, call):
        method, path, body, token = call
        barrier.wait(timeout=30)
        try:
            results[index] = server.request(method, path, body, token)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            results[index] = (None, repr(exc))

    threads = [threading.Thread(target=run, args=(i, c))
               for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a client hung"
    return results


def split(results, ok):
    """(bodies of the successes, messages of the 403s); fails on
    anything else, naming it."""
    good = [body for status, body in results if status == ok]
    refused = [body["forbidden"]["message"] for status, body in results
               if status == 403]
    others = [(s, b) for s, b in results if s not in (ok, 403)]
    assert not others, others
    return good, refused


def boot(name, token, **extra):
    body = {"server": {"name": name, "imageRef": IMAGE, "flavorRef": "1",
                       "networks": "none", **extra}}
    hints = body["server"].pop("hints", None)
    if hints:
        body["os:scheduler_hints"] = hints
    return ("POST", "/v2.1/servers", body, token)


def servers_of(server, token):
    """The project's servers, as an admin sees them (with their host)."""
    project = token.split(":")[1]
    status, body = server.request(
        "GET", f"/v2.1/servers/detail?all_tenants=1&project_id={project}",
        version="2.3")
    assert status == 200
    return body["servers"]


def test_concurrent_creates_never_exceed_the_instance_quota(server):
    token = "alice:p1"
    results = race(server, [boot(f"vm{i}", token) for i in range(5 * N)])
    good, refused = split(results, 202)
    assert len(good) == N
    assert refused == [
        f"Quota exceeded for instances: Requested 1, but already used "
        f"{N} of {N} instances"] * (4 * N)
    assert len(servers_of(server, token)) == N
    status, body = server.request("GET", "/v2.1/limits", token=token)
    assert body["limits"]["absolute"]["totalInstancesUsed"] == N


def test_concurrent_multiple_creates_share_the_quota(server):
    token = "bob:p2"
    calls = [boot(f"m{i}", token, min_count=1, max_count=3,
                  return_reservation_id=True) for i in range(2 * N)]
    good, refused = split(race(server, calls), 202)
    assert len(servers_of(server, token)) == N
    assert refused and all(m.startswith("Quota exceeded for instances: ")
                           for m in refused)
    assert len(good) >= 2  # 3 + 2 at most per request


def test_concurrent_server_groups_and_key_pairs(server):
    token = "carol:p3"
    groups = [("POST", "/v2.1/os-server-groups", {"server_group": {
        "name": f"g{i}", "policies": ["anti-affinity"]}}, token)
        for i in range(5 * N)]
    keys = [("POST", "/v2.1/os-keypairs", {"keypair": {
        "name": f"k{i}", "public_key": SSH_KEY}}, token)
        for i in range(5 * N)]
    results = race(server, groups + keys)
    good, refused = split(results[:5 * N], 200)
    assert len(good) == N
    assert refused == ["Quota exceeded, too many server groups."] * (4 * N)
    good, refused = split(results[5 * N:], 201)
    assert len(good) == N
    assert refused == ["Quota exceeded, too many key pairs."] * (4 * N)
    status, body = server.request("GET", "/v2.1/os-server-groups",
                                  token=token)
    assert len(body["server_groups"]) == N
    status, body = server.request("GET", "/v2.1/os-keypairs", token=token)
    assert len(body["keypairs"]) == N


def test_concurrent_boots_into_an_anti_affinity_group(server):
    token = "dave:p4"
    status, _body = server.request("PUT", "/v2.1/os-quota-sets/p4", {
        "quota_set": {"instances": 50}})
    assert status == 200
    status, body = server.request("POST", "/v2.1/os-server-groups", {
        "server_group": {"name": "spread", "policies": ["anti-affinity"]}},
        token=token)
    group = body["server_group"]["id"]
    calls = [boot(f"s{i}", token, hints={"group": group})
             for i in range(N + 1)]
    good, refused = split(race(server, calls), 202)
    # server_group_members = N: one request is refused...
    assert len(good) == N
    assert refused == ["Quota exceeded, too many servers in group"]
    # ...and of the N members only 3 (one per host) found a host.
    servers = servers_of(server, token)
    active = [s for s in servers if s["status"] == "ACTIVE"]
    hosts = [s["OS-EXT-SRV-ATTR:host"] for s in active]
    assert sorted(hosts) == ["h1", "h2", "h3"]
    errored = [s for s in servers if s["status"] == "ERROR"]
    assert len(errored) == N - 3
    assert all(s["fault"]["message"].startswith("No valid host was found")
               for s in errored)
    status, body = server.request("GET", f"/v2.1/os-server-groups/{group}",
                                  token=token)
    assert sorted(body["server_group"]["members"]) == sorted(
        s["id"] for s in servers)
