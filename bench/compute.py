"""Compute API resources against the hello-world app, same server, same run.

Four measurements, each printed as a ratio against ``bench/hello.py``
served by gunicorn with the same flags as bench/version_documents.py (sync
workers) and loaded by wrk with the same settings, in interleaved rounds
(hello first in every round, each figure divided by that round's
hello-world figure, the median over the rounds printed):

1. ``GET /v2.1/flavors/detail`` with 10 flavors: >= 40 % of hello-world.
2. ``GET /v2.1/servers/detail`` with 100 servers (made through the API
   first; the default page holds them all): >= 25 % of hello-world.
3. ``GET /v2.1/servers/detail?limit=50``, first page and a page in the
   middle of the list (by marker), with 1,000 and with 100,000 servers in
   the database (bulk-inserted with SQLAlchemy core, deterministic, one
   fixed IP each): the 100,000 case within 1.5x the cost of the 1,000 case.
4. ``POST /v2.1/servers`` on SQLite, networks ``auto`` and ``none``
   (microversion 2.37), on a fresh database and (``auto``) on top of the
   100,000 servers: >= 100 servers/s; every answer counted, no 5xx.

Auth is noauth2 (``X-Auth-Token: admin:admin``); GETs use microversion 2.1
(no version header). Each database gets its own throw-away config
directory (bench/common.py) with a drop-in ``nova.conf.d/bench.conf``:
``[compute] hosts`` with room for every server made here, a /12 flat
network, ``build_time = 0.1``. Only 127.0.0.1 is used; every server is
stopped at the end (process group, also on Ctrl-C or SIGTERM); the run is
refused if its planned length would pass the budget. Exit 1 when a target
is missed.

Usage: .venv/bin/python bench/compute.py [--rounds 3] [--duration 3]
       [--page-rounds 5]
       [--create-rounds 2] [--create-duration 5] [--connections 16]
       [--threads 2] [--workers 2] [--big 100000] [--small 1000]
"""

import argparse
import contextlib
import datetime
import http.client
import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import common
import version_documents  # its servers and wrk helpers

HOST = version_documents.HOST
DEADLINE_S = 420  # the measured part; set-up and wrk install excluded

TOKEN = "admin:admin"
PROJECT = "admin"
IMAGE_ID = "6a1e0b1c-0000-4000-8000-000000000001"
NAMESPACE = uuid.UUID("3c6f0d0e-5b7a-4b51-9b0e-6e6f76612d62")
CIDR = "10.0.0.0/12"  # 1,048,574 usable addresses
# One host, room for every server this run makes with flavor 1 (1 vCPU,
# 64 MB, 1 GB); cpu_allocation_ratio 4.0 multiplies the vCPUs.
HOST_LINE = "compute1:nova:100000:100000000:10000000"
FLAVORS = 10

TARGET_FLAVORS = 0.40
TARGET_SERVERS = 0.25
TARGET_SCALE = 1.5
TARGET_CREATE = 100.0

BENCH_CONF = f"""[compute]
hosts = {HOST_LINE}
build_time = 0.1

[network]
cidr = {CIDR}

# Thousands of servers in one project: no limit (the limits are still read
# on every create; without a limit nothing is counted).
[quota]
instances = -1
cores = -1
ram = -1
"""

# wrk script: optional method/body/headers from the environment, and every
# answer counted by status (printed as "STATUS <code> <count>" at the end).
WRK_LUA = r"""
local method = os.getenv("BENCH_METHOD")
local body = os.getenv("BENCH_BODY")
if method then wrk.method = method end
if body and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
wrk.headers["X-Auth-Token"] = os.getenv("BENCH_TOKEN")
local version = os.getenv("BENCH_VERSION")
if version and version ~= "" then
  wrk.headers["OpenStack-API-Version"] = "compute " .. version
end

local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) codes = {} end
function response(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
end
function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("codes")) do
      total[code] = (total[code] or 0) + n
    end
  end
  for code, n in pairs(total) do
    io.write(string.format("STATUS %d %d\n", code, n))
  end
end
"""


# -- load ---------------------------------------------------------------------

class Load:
    def __init__(self, wrk, args, workdir):
        self.wrk, self.args = wrk, args
        self.script = os.path.join(workdir, "bench.lua")
        with open(self.script, "w") as f:
            f.write(WRK_LUA)

    def run(self, server, path, duration, method="GET", body=None,
            version=None):
        env = dict(os.environ, BENCH_TOKEN=TOKEN, BENCH_METHOD=method,
                   BENCH_BODY=json.dumps(body) if body else "",
                   BENCH_VERSION=version or "")
        cmd = [self.wrk, f"-t{self.args.threads}",
               f"-c{self.args.connections}", f"-d{duration}s",
               "--timeout", "10s", "-s", self.script,
               f"http://{HOST}:{server.port}{path}"]
        cpu0 = server.cpu_seconds()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env,
                              timeout=duration + 60)
        cpu = server.cpu_seconds() - cpu0
        if proc.returncode != 0:
            raise RuntimeError(f"wrk failed: {proc.stderr or proc.stdout}")
        out = proc.stdout
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        total = int(re.search(r"(\d+) requests in", out).group(1))
        secs = re.search(r"requests in ([\d.]+)(m?s)", out)
        elapsed = float(secs.group(1)) / (1000 if secs.group(2) == "ms"
                                          else 1)
        errs = re.search(r"Socket errors: connect (\d+), read (\d+), "
                         r"write (\d+), timeout (\d+)", out)
        lat = re.search(r"Latency\s+([\d.]+\w+)", out)
        codes = {int(c): int(n) for c, n in
                 re.findall(r"^STATUS (\d+) (\d+)$", out, re.M)}
        ok = sum(n for c, n in codes.items() if 200 <= c < 300)
        return {"rps": rps, "requests": total, "elapsed": elapsed,
                "ok": ok, "ok_rps": ok / elapsed, "codes": codes,
                "errors": sum(int(errs.group(i)) for i in (1, 2, 3, 4))
                if errs else 0,
                "latency": lat.group(1) if lat else "?",
                "cpu_us": cpu * 1e6 / max(1, total)}


# -- set-up -------------------------------------------------------------------

def call(server, method, path, body=None, version=None, expect=(200,)):
    conn = http.client.HTTPConnection(HOST, server.port, timeout=30)
    headers = {"X-Auth-Token": TOKEN}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if version:
        headers["OpenStack-API-Version"] = f"compute {version}"
    try:
        conn.request(method, path, json.dumps(body) if body is not None
                     else None, headers)
        resp = conn.getresponse()
        data = resp.read()
    finally:
        conn.close()
    if resp.status not in expect:
        raise RuntimeError(f"{method} {path}: {resp.status} {data[:300]!r}")
    return json.loads(data) if data else None


def prepare_dir(path):
    """The bench drop-in and the image, in a synced config directory."""
    (path / "nova.conf.d").mkdir(exist_ok=True)
    (path / "nova.conf.d" / "bench.conf").write_text(BENCH_CONF)
    proc = subprocess.run(
        [common.PYTHON, "-m", "nova.cmd.manage", "image", "create",
         "bench-image", "--id", IMAGE_ID, "--min-disk", "1"],
        env=common.env_for(path), cwd=path, capture_output=True, text=True,
        timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"nova-manage image create failed:\n"
                           f"{proc.stdout}{proc.stderr}")


def make_flavors(server):
    for i in range(FLAVORS):
        call(server, "POST", "/v2.1/flavors", {"flavor": {
            "name": f"bench.{i + 1}", "id": str(i + 1),
            "ram": 64 * (i + 1), "vcpus": 1 + i // 4, "disk": 1 + i,
            "description": None}}, version="2.55")


def server_body(name, networks=None):
    server = {"name": name, "imageRef": IMAGE_ID, "flavorRef": "1"}
    if networks is not None:
        server["networks"] = networks
    return {"server": server}


# The flavor the bulk-inserted servers were "booted" with (flavor 1 above).
FLAVOR_1 = {"flavorid": "1", "name": "bench.1", "memory_mb": 64, "vcpus": 1,
            "root_gb": 1, "ephemeral_gb": 0, "swap": 0, "extra_specs": {}}
BASE_TIME = datetime.datetime(2025, 1, 1)


def server_uuid(count, index):
    return str(uuid.uuid5(NAMESPACE, f"{count}:{index}"))


def bulk_insert(db_path, count, batch=10000):
    """``count`` ACTIVE servers of PROJECT on compute1, each with a fixed IP.

    Rows follow nova/db/tables.py: every column of ``instances`` and
    ``fixed_ips`` is given (nullable ones as None, others from the model's
    scalar defaults), so a column added without a default stops the bench
    with its name rather than inserting something the API cannot read.
    Server ``i`` is created ``i`` seconds after BASE_TIME: the newest comes
    first in the default sort (created_at desc, id desc).
    """
    import sqlalchemy as sa

    from nova.db import models

    def template(table, given):
        row = {}
        for column in table.columns:
            if column.name in given:
                row[column.name] = given[column.name]
            elif column.default is not None and column.default.is_scalar:
                row[column.name] = column.default.arg
            elif column.nullable:
                row[column.name] = None
            elif column.primary_key:
                continue
            else:
                raise RuntimeError(
                    f"bench/compute.py: {table.name}.{column.name} has no "
                    "value; update bulk_insert() to match nova/db/tables.py")
        return row

    inst_table = models.Instance.__table__
    ip_table = models.FixedIP.__table__
    host_table = models.ComputeHost.__table__
    flavor_json = json.dumps(FLAVOR_1)
    first_ip = int(ipaddress.ip_network(CIDR).network_address) + 2
    inst_base = template(inst_table, {
        "id": 0, "uuid": "", "project_id": PROJECT, "user_id": "admin",
        "display_name": "", "display_description": None, "hostname": "",
        "image_ref": IMAGE_ID, "flavor": flavor_json, "flavorid": "1",
        "vcpus": 1, "memory_mb": 64, "root_gb": 1, "ephemeral_gb": 0,
        "availability_zone": "nova", "host": "compute1",
        "vm_state": "active", "task_state": None, "power_state": 1,
        "locked": False, "config_drive": "", "launch_index": 0,
        "reservation_id": "", "security_groups": '["default"]',
        "scheduler_hints": "{}", "launched_at": None, "created_at": None,
        "updated_at": None, "deleted": 0})
    ip_base = template(ip_table, {
        "id": 0, "network": "private", "address": "", "mac_address": "",
        "instance_uuid": "", "created_at": None})
    engine = sa.create_engine(f"sqlite:///{db_path}")
    try:
        with engine.begin() as conn:
            for start in range(0, count, batch):
                rows, ips = [], []
                for i in range(start, min(count, start + batch)):
                    at = BASE_TIME + datetime.timedelta(seconds=i)
                    ident = server_uuid(count, i)
                    rows.append(dict(
                        inst_base, id=i + 1, uuid=ident,
                        display_name=f"bench-{i:06d}",
                        hostname=f"bench-{i:06d}",
                        reservation_id=f"r-{i:08x}",
                        launched_at=at + datetime.timedelta(seconds=1),
                        created_at=at,
                        updated_at=at + datetime.timedelta(seconds=1)))
                    mac = i + 1
                    ips.append(dict(
                        ip_base, id=i + 1, instance_uuid=ident,
                        address=str(ipaddress.ip_address(first_ip + i)),
                        mac_address="fa:16:3e:%02x:%02x:%02x" % (
                            mac >> 16 & 255, mac >> 8 & 255, mac & 255),
                        created_at=at))
                conn.execute(sa.insert(inst_table), rows)
                conn.execute(sa.insert(ip_table), ips)
            # What the driver would have claimed for them.
            name, zone, vcpus, ram, disk = HOST_LINE.split(":")
            conn.execute(sa.insert(host_table), [template(host_table, {
                "host": name, "availability_zone": zone,
                "vcpus": int(vcpus), "memory_mb": int(ram),
                "local_gb": int(disk), "vcpus_used": count,
                "memory_mb_used": 64 * count, "local_gb_used": count,
                "running_vms": count, "disabled": False,
                "uuid": str(uuid.uuid5(NAMESPACE, "service")),
                "node_uuid": str(uuid.uuid5(NAMESPACE, "node")),
                "created_at": BASE_TIME})])
        # Leave the file as a long-running deployment would have it: the
        # write-ahead log checkpointed into the database and emptied.
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()


def count_servers(db_path):
    import sqlite3

    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        return conn.execute("SELECT count(*) FROM instances").fetchone()[0]


# -- main ---------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3,
                        help="interleaved rounds of the GET cases; medians "
                             "are printed (default 3)")
    parser.add_argument("--duration", type=int, default=3,
                        help="seconds of load per GET measurement "
                             "(default 3)")
    parser.add_argument("--page-rounds", type=int, default=5,
                        help="interleaved rounds of the page cases "
                             "(default 5: the 1.5x bar needs steady "
                             "figures)")
    parser.add_argument("--create-rounds", type=int, default=2,
                        help="interleaved rounds of the create cases "
                             "(default 2)")
    parser.add_argument("--create-duration", type=int, default=5,
                        help="seconds of POST load per create measurement "
                             "(default 5: 10 s per case in all)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2,
                        help="gunicorn sync workers (default 2)")
    parser.add_argument("--warmup", type=int, default=1,
                        help="seconds of unmeasured load per GET case")
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--big", type=int, default=100000)
    args = parser.parse_args()
    budget = (args.rounds * args.duration * 3  # hello, flavors, servers
              + args.page_rounds * args.duration * 5  # hello + 4 pages
              + args.create_rounds * (args.duration
                                      + 3 * args.create_duration)
              + 8 * args.warmup + 30)
    if budget > DEADLINE_S:
        parser.error(f"the planned load would take about {budget} s; the "
                     f"budget is {DEADLINE_S} s")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    wrk = version_documents.ensure_wrk()
    if not wrk:
        print("wrk is needed (apt-get install wrk)")
        return 2
    gunicorn, version, flags = version_documents.gunicorn_flags()
    print(f"{version}, {args.workers} sync workers"
          f"{', ' + ' '.join(flags) if flags else ''}; load: wrk "
          f"-t{args.threads} -c{args.connections}, {args.duration} s x "
          f"{args.rounds} rounds (pages: {args.page_rounds} rounds; "
          f"create: {args.create_duration} s x "
          f"{args.create_rounds}); {os.cpu_count()} CPUs; loopback {HOST}",
          flush=True)

    workdir = tempfile.mkdtemp(prefix="nova-bench-compute-")
    shutil.copyfile(common.BENCH / "hello.py",
                    os.path.join(workdir, "hello.py"))
    load = Load(wrk, args, workdir)
    servers = []
    results = {}  # name -> list of per-round dicts (ratio added)
    notes = []

    def start(label, app, env):
        server = version_documents.Server(label, app, env, args, gunicorn,
                                          flags, workdir)
        servers.append(server)
        return server.start()

    def stop(server):
        server.stop()
        servers.remove(server)

    def measure(name, server, path, duration, **kw):
        res = load.run(server, path, duration, **kw)
        results.setdefault(name, []).append(res)
        return res

    def rounds(hello, cases, count, duration, label):
        """cases: [(name, server, path, kwargs)]; hello first each round."""
        for rnd in range(count):
            if time.monotonic() - started > DEADLINE_S:
                raise RuntimeError(f"past the {DEADLINE_S} s budget")
            h = measure(f"{label}:hello", hello, "/", args.duration)
            line = [f"hello {h['rps']:.0f}"]
            for name, server, path, kw in cases:
                res = measure(name, server, path, duration, **kw)
                res["ratio"] = res["ok_rps"] / h["rps"]
                res["hello_rps"] = h["rps"]
                line.append(f"{name} {res['ok_rps']:.1f}")
            print(f"  {label} round {rnd + 1}: " + ", ".join(line) + "/s",
                  flush=True)

    def warm(server, path):
        if args.warmup:
            load.run(server, path, args.warmup)

    started = time.monotonic()
    try:
        with contextlib.ExitStack() as stack:
            dirs = {key: stack.enter_context(common.config_dir("noauth2"))
                    for key in ("api", "small", "big", "create")}
            for path in dirs.values():
                prepare_dir(path)
            t0 = time.monotonic()
            for key, count in (("small", args.small), ("big", args.big)):
                bulk_insert(dirs[key] / "nova.sqlite", count)
            notes.append(f"bulk insert of {args.small:,} + {args.big:,} "
                         f"servers with fixed IPs: "
                         f"{time.monotonic() - t0:.1f} s")
            print(f"  {notes[-1]}", flush=True)
            hello = start("hello", "hello:application",
                          common.env_for(dirs["api"]))
            warm(hello, "/")
            app = "nova.wsgi.osapi_compute:application"

            # 1 and 2: flavors and 100 servers, one database.
            api = start("api", app, common.env_for(dirs["api"]))
            make_flavors(api)
            t0 = time.monotonic()
            for i in range(100):
                call(api, "POST", "/v2.1/servers",
                     server_body(f"bench-{i:03d}"), expect=(202,))
            notes.append(f"100 servers made through the API one by one "
                         f"(networks auto): {time.monotonic() - t0:.1f} s")
            print(f"  {notes[-1]}", flush=True)
            listed = call(api, "GET", "/v2.1/servers/detail")
            flavors = call(api, "GET", "/v2.1/flavors/detail")
            assert len(listed["servers"]) == 100, len(listed["servers"])
            assert len(flavors["flavors"]) == FLAVORS
            time.sleep(0.2)  # past build_time: all ACTIVE
            warm(api, "/v2.1/flavors/detail")
            warm(api, "/v2.1/servers/detail")
            rounds(hello, [
                ("flavors/detail", api, "/v2.1/flavors/detail", {}),
                ("servers/detail (100)", api, "/v2.1/servers/detail", {}),
            ], args.rounds, args.duration, "api")
            stop(api)

            # 3: a page at small vs big.
            pages = []
            for key, count in (("small", args.small), ("big", args.big)):
                server = start(key, app, common.env_for(dirs[key]))
                make_flavors(server)  # flavor 1 is booted in part 4
                # The newest is index count-1; the middle of the sort order:
                marker = server_uuid(count, count // 2)
                first = "/v2.1/servers/detail?limit=50"
                deep = f"{first}&marker={marker}"
                for path in (first, deep):
                    page = call(server, "GET", path)["servers"]
                    assert len(page) == 50, (key, path, len(page))
                    warm(server, path)
                pages += [(f"page 1 @ {count:,}", server, first, {}),
                          (f"page @{count // 2:,} @ {count:,}", server,
                           deep, {})]
            rounds(hello, pages, args.page_rounds, args.duration, "pages")
            stop(pages[0][1])
            big = pages[2][1]

            # 4: creation.
            creator = start("create", app, common.env_for(dirs["create"]))
            make_flavors(creator)
            for nets in ("auto", "none"):
                call(creator, "POST", "/v2.1/servers",
                     server_body("warm", nets), version="2.37",
                     expect=(202,))
            creates = [(f"POST servers ({nets})", creator, "/v2.1/servers",
                        {"method": "POST", "version": "2.37",
                         "body": server_body("bench", nets)})
                       for nets in ("auto", "none")]
            # The same on top of the big database (made after its pages).
            creates.append((f"POST servers (auto) @ {args.big:,}", big,
                            "/v2.1/servers",
                            {"method": "POST", "version": "2.37",
                             "body": server_body("bench", "auto")}))
            rounds(hello, creates, args.create_rounds, args.create_duration,
                   "create")
            stop(creator)
            stop(big)
            made = count_servers(dirs["create"] / "nova.sqlite") - 2
            counted = sum(r["codes"].get(202, 0) for name, _s, _p, _k
                          in creates[:2] for r in results[name])
            notes.append(f"servers in the create database: {made:,}; 202s "
                         f"counted by wrk: {counted:,} (the rest were "
                         "answered after wrk stopped counting)")
    finally:
        for server in list(servers):
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    return report(results, args, notes, started)


def _codes(runs):
    codes = {}
    for r in runs:
        for code, n in r["codes"].items():
            codes[code] = codes.get(code, 0) + n
    return codes


def report(results, args, notes, started):
    print()
    for note in notes:
        print(f"({note})")
    print(f"\n{'case':30} {'ok/s':>8} {'hello/s':>8} {'x hello':>8} "
          f"{'(range)':>11} {'latency':>8} {'cpu us':>8} {'cpu ratio':>9} "
          f"{'answers':>16}")
    hello_cpu = {}
    for name, runs in results.items():
        if name.endswith(":hello"):
            hello_cpu[name.split(":")[0]] = common.median(
                [r["cpu_us"] for r in runs])
    figures = {}
    for name, runs in results.items():
        if name.endswith(":hello"):
            continue
        ratios = [r["ratio"] for r in runs]
        ok_rps = common.median([r["ok_rps"] for r in runs])
        cpu = common.median([r["cpu_us"] for r in runs])
        section = ("create" if name.startswith("POST") else
                   "pages" if name.startswith("page") else "api")
        codes = _codes(runs)
        answers = " ".join(f"{c}:{n}" for c, n in sorted(codes.items()))
        errors = sum(r["errors"] for r in runs)
        if errors:
            answers += f" sock:{errors}"
        figures[name] = {"ratio": common.median(ratios), "ok_rps": ok_rps,
                         "codes": codes, "errors": errors,
                         "runs": runs}
        print(f"{name:30} {ok_rps:8.1f} "
              f"{common.median([r['hello_rps'] for r in runs]):8.0f} "
              f"{common.median(ratios):8.1%} "
              f"{min(ratios):5.1%}-{max(ratios):<5.1%} "
              f"{runs[len(runs) // 2]['latency']:>8} {cpu:8.0f} "
              f"{hello_cpu[section] / cpu:9.1%} {answers:>16}")
    print("(ok/s: 2xx answers per second, median over rounds; x hello: "
          "median of the per-round ratios to hello-world req/s, range = "
          "lowest-highest round; cpu us: server CPU per request, master + "
          "workers; cpu ratio: hello's cpu/request over this one's, the "
          "steadier estimate on a busy machine; answers: status:count)")

    small, big = args.small, args.big
    scale = {}
    for kind, label in (("first", "page 1"), ("deep", "page @")):
        s = next(n for n in figures if n.startswith(label)
                 and n.endswith(f"@ {small:,}"))
        b = next(n for n in figures if n.startswith(label)
                 and n.endswith(f"@ {big:,}"))
        per_round = [rs["ok_rps"] / rb["ok_rps"] for rs, rb in
                     zip(figures[s]["runs"], figures[b]["runs"], strict=True)]
        cpu = (common.median([r["cpu_us"] for r in figures[b]["runs"]])
               / common.median([r["cpu_us"] for r in figures[s]["runs"]]))
        scale[kind] = (common.median(per_round), min(per_round),
                       max(per_round), cpu)
    print(f"\nA page of 50 at {big:,} vs {small:,} servers (cost ratio = "
          f"req/s at {small:,} over req/s at {big:,}, per round):")
    for kind, (ratio, low, high, cpu) in scale.items():
        print(f"  {kind:5} page: {ratio:.2f}x ({low:.2f}-{high:.2f}); "
              f"server CPU per request {cpu:.2f}x")

    print("\nTargets:")
    checks = [
        ("flavors/detail", f">= {TARGET_FLAVORS:.0%} of hello-world",
         figures["flavors/detail"]["ratio"] >= TARGET_FLAVORS,
         f"{figures['flavors/detail']['ratio']:.1%}"),
        ("servers/detail (100)", f">= {TARGET_SERVERS:.0%} of hello-world",
         figures["servers/detail (100)"]["ratio"] >= TARGET_SERVERS,
         f"{figures['servers/detail (100)']['ratio']:.1%}"),
    ]
    for kind, (ratio, _l, _h, _c) in scale.items():
        checks.append((f"{kind} page, {big:,} vs {small:,}",
                       f"<= {TARGET_SCALE}x", ratio <= TARGET_SCALE,
                       f"{ratio:.2f}x"))
    for name in figures:
        if name.startswith("POST"):
            fig = figures[name]
            checks.append((name, f">= {TARGET_CREATE:.0f} servers/s",
                           fig["ok_rps"] >= TARGET_CREATE,
                           f"{fig['ok_rps']:.1f}/s ({fig['ratio']:.1%} of "
                           "hello-world)"))
    misses = 0
    for name, fig in figures.items():
        fivexx = sum(n for c, n in fig["codes"].items() if c >= 500)
        other = sum(n for c, n in fig["codes"].items() if not 200 <= c < 300)
        if other or fig["errors"]:
            checks.append((name, "no error answers", False,
                           f"{other} non-2xx ({fivexx} 5xx), "
                           f"{fig['errors']} socket errors"))
    for name, what, ok, value in checks:
        misses += not ok
        print(f"  {'ok' if ok else 'MISS':4} {name}: {value} (target "
              f"{what})")
    print(f"(whole run {time.monotonic() - started:.0f} s)")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
