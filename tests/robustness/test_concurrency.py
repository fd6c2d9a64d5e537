"""Concurrency through real servers, on SQLite, MariaDB and PostgreSQL.

Two gunicorn instances (two separate process trees, each with 2 workers
of 4 threads) serve one database; clients fire at both at once.

- 50 concurrent ``os-stop`` on one ACTIVE server: exactly one 202, every
  other answer 409 in the fault format, no 5xx.
- Two processes writing at once lose nothing: 40 metadata items and 40
  tags added to one server through both instances concurrently, 40
  keypairs created: everything acknowledged is there at the end, and
  nothing was refused but with 409.

(Quota races are another module's.)
"""

import collections
import concurrent.futures
import functools
import threading

import pytest

from tests.deploy import servers
from tests.helpers import ADMIN, IMAGE, ssh_key, wipe
from tests.robustness import serve
from tests.robustness.serve import Stack, member

pytestmark = [pytest.mark.slow, pytest.mark.db,
              pytest.mark.usefixtures("deploy_tools")]

OWNER = member("alice", "project-a")


# This module's requests: alice's unless they say, 60 s to answer.
call = functools.partial(serve.call, headers=OWNER, timeout=60)


def fire(jobs, workers=50):
    """Run ``jobs`` (callables) on ``workers`` threads, the first wave
    released together once every job is queued."""
    gate = threading.Event()

    def run(job):
        gate.wait(timeout=30)
        return job()

    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run, job) for job in jobs]
        gate.set()
        return [f.result() for f in futures]


@pytest.fixture(scope="module", params=["sqlite", "mariadb", "postgresql"])
def two_servers(request, deploy_tools):
    """Two gunicorn instances on one database of each backend, shared by
    this module's tests (each test boots its own server)."""
    workdir = servers.Workdir(prefix="nova-race-")
    request.addfinalizer(workdir.cleanup)
    db_url = None
    if request.param != "sqlite":
        db_url = request.getfixturevalue(
            "mysql_url" if request.param == "mariadb" else "pg_url")
        wipe(db_url)
    stack = Stack(workdir, db_url=db_url)
    args = ("--threads", "4")
    bases = [stack.start("compute", workers=2, extra_args=args)]
    stack.procs["compute-1"] = stack.procs.pop("compute")
    bases.append(stack.start("compute", workers=2, extra_args=args))
    import subprocess
    subprocess.run([str(servers.VENV_BIN / "nova-manage"), "image", "create",
                    "cirros", "--id", IMAGE], check=True, timeout=120,
                   capture_output=True,
                   env=servers.clean_env(OS_NOVA_CONFIG_DIR=str(stack.etc)))
    resp = call(bases[0], "POST", "/flavors", {"flavor": {
        "name": "small", "ram": 512, "vcpus": 1, "disk": 1, "id": "small"}},
        headers=ADMIN)
    assert resp.status == 200, resp.text
    yield bases
    outputs = stack.output("compute") + stack.output("compute-1")
    stack.stop()
    assert "Traceback" not in outputs, outputs[-3000:]


def _boot(base):
    resp = call(base, "POST", "/servers", {"server": {
        "name": "racer", "imageRef": IMAGE, "flavorRef": "small",
        "networks": "none"}}, version="2.37")
    assert resp.status == 202, resp.text
    server = resp.json()["server"]["id"]
    status = call(base, "GET", f"/servers/{server}").json()["server"][
        "status"]
    assert status == "ACTIVE", status
    return server


def test_fifty_concurrent_stops_one_wins(two_servers):
    server = _boot(two_servers[0])
    jobs = [lambda i=i: call(two_servers[i % 2], "POST",
                             f"/servers/{server}/action", {"os-stop": None})
            for i in range(50)]
    answers = fire(jobs)
    counts = collections.Counter(r.status for r in answers)
    assert counts == {202: 1, 409: 49}, counts
    for resp in answers:
        if resp.status == 409:
            assert resp.json()["conflictingRequest"]["code"] == 409
    final = call(two_servers[1], "GET", f"/servers/{server}").json()
    assert final["server"]["status"] == "SHUTOFF"


def test_two_processes_writing_at_once_lose_nothing(two_servers):
    server = _boot(two_servers[0])
    jobs = []
    for i in range(40):
        base = two_servers[i % 2]
        jobs.append(lambda base=base, i=i: ("meta", f"k{i}", call(
            base, "POST", f"/servers/{server}/metadata",
            {"metadata": {f"k{i}": str(i)}})))
        jobs.append(lambda base=base, i=i: ("tag", f"t{i}", call(
            base, "PUT", f"/servers/{server}/tags/t{i}", version="2.26")))
        key = ssh_key()
        jobs.append(lambda base=base, i=i, key=key: ("key", f"kp{i}",
                    call(base, "POST", "/os-keypairs", {"keypair": {
                        "name": f"kp{i}", "public_key": key}},
                        version="2.92" if i % 2 else "2.1")))
    answers = fire(jobs)
    done = collections.defaultdict(set)
    refused = collections.Counter()
    for kind, name, resp in answers:
        assert resp.status < 500, (kind, name, resp.status, resp.text)
        if resp.status < 300:
            done[kind].add(name)
        else:
            assert resp.status == 409, (kind, name, resp.status, resp.text)
            refused[kind] += 1
    metadata = call(two_servers[1], "GET",
                    f"/servers/{server}/metadata").json()["metadata"]
    tags = call(two_servers[0], "GET", f"/servers/{server}/tags",
                version="2.26").json()["tags"]
    keys = {k["keypair"]["name"] for k in call(
        two_servers[1], "GET", "/os-keypairs").json()["keypairs"]}
    assert done["meta"] <= set(metadata), done["meta"] - set(metadata)
    assert done["tag"] <= set(tags), done["tag"] - set(tags)
    assert done["key"] <= keys, done["key"] - keys
    # "lose nothing": every write made it, none had to be retried
    assert (len(done["meta"]), len(done["tag"]), len(done["key"])) == \
        (40, 40, 40), dict(refused)
