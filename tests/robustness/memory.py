"""Resident memory of one gunicorn worker under junk requests; shared by
tests/robustness/test_memory.py (short) and bench/memory.py (100,000).

The worker serves requests to unknown routes (random paths under /v2.1,
random top-level paths, random project ids) and requests with random
``Host`` headers (the version documents build their links from it); its
RSS (``VmRSS`` of /proc/PID/status) is read after a warm-up and after the
run. One worker, so every request lands in the process measured.
"""

import concurrent.futures
import http.client
import random
import string
import time

from tests.deploy import servers
from tests.robustness.serve import Stack

TOKEN = "alice:project-a"


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def _word(rng, size=12):
    return "".join(rng.choice(string.ascii_lowercase + string.digits)
                   for _ in range(size))


def junk(rng, api):
    """(path, headers) of one junk request."""
    kind = rng.randrange(4)
    host = f"{_word(rng)}.example:{rng.randrange(1, 65535)}"
    if api == "metadata":
        paths = [f"/{_word(rng)}/{_word(rng)}", "/", "/openstack",
                 f"/latest/meta-data/{_word(rng)}"]
        return rng.choice(paths), {"Host": host}
    if kind == 0:
        return f"/v2.1/{_word(rng)}/{_word(rng)}", {"X-Auth-Token": TOKEN}
    if kind == 1:
        return f"/{_word(rng)}", {"X-Auth-Token": TOKEN, "Host": host}
    if kind == 2:
        return rng.choice(["/", "/v2.1", "/v2.1/", "/v2"]), {"Host": host}
    return (f"/v2.1/{_word(rng)}/servers/{_word(rng, 36)}",
            {"X-Auth-Token": TOKEN, "Host": host})


def _send(port, count, seed, api):
    rng = random.Random(seed)
    statuses = {}
    for _ in range(count):
        path, headers = junk(rng, api)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.putrequest("GET", path, skip_host="Host" in headers)
            for key, value in headers.items():
                conn.putheader(key, value)
            conn.endheaders()
            resp = conn.getresponse()
            resp.read()
            statuses[resp.status] = statuses.get(resp.status, 0) + 1
        finally:
            conn.close()
    return statuses


def run(workdir, requests, warmup=2000, api="compute", clients=4):
    """{'before_kb', 'after_kb', 'statuses', 'seconds'} for ``requests``
    junk requests after ``warmup`` of them."""
    stack = Stack(workdir, name=f"etc-{api}")
    base = stack.start(api, workers=1)
    port = int(base.rsplit(":", 1)[1])
    try:
        proc = stack.procs[api]
        workers = servers.children(proc.pid)
        assert len(workers) == 1, workers
        worker = workers[0]

        def blast(total, seed):
            share = total // clients
            with concurrent.futures.ThreadPoolExecutor(clients) as pool:
                results = pool.map(lambda i: _send(port, share, seed + i,
                                                   api), range(clients))
            merged = {}
            for result in results:
                for code, n in result.items():
                    merged[code] = merged.get(code, 0) + n
            return merged

        blast(warmup, 1)
        before = rss_kb(worker)
        started = time.monotonic()
        statuses = blast(requests, 1000)
        seconds = time.monotonic() - started
        after = rss_kb(worker)
        assert servers.children(proc.pid) == [worker], "worker replaced"
        return {"before_kb": before, "after_kb": after,
                "statuses": statuses, "seconds": seconds}
    finally:
        stack.stop()
