"""The metadata API under load: 10,000 servers, and a boot storm.

Two measurements per server variant (gunicorn with the flags of
bench/version_documents.py; by default sync workers x2, the target, then
sync x4 and gthread 2x8 for comparison), each against ``bench/hello.py``
served by the same gunicorn with the same flags in the same run:

1. ``GET /openstack/latest/meta_data.json`` with 10,000 servers in the
   database: requests/s as a ratio of hello-world's, loaded by wrk in
   interleaved rounds (hello first in every round, each figure divided by
   that round's hello-world figure, the median printed). Target >= 50 %.
2. A boot storm: 1,000 other guests, none read before, each reading what
   cloud-init 22.4 reads at boot (below) over a bounded pool of
   connections, every answer checked against what was inserted. Target:
   the last guest done within 10 s, no error, no wrong answer. 64
   guests at a time (8 client processes x 8 threads by default).

How a guest is identified: Neutron proxy mode
(``[neutron] service_metadata_proxy = true`` with a random secret).
Every request carries ``X-Instance-ID``, ``X-Tenant-ID`` and
``X-Instance-ID-Signature`` (HMAC-SHA256 of the instance id, precomputed
here), as Neutron's metadata agent sends them. Direct mode identifies a
guest by the request's source address, and one load generator on loopback
has one address: it could only ever be one guest. In proxy mode each
request names its guest, so the wrk script rotates through the headers of
``--spread`` servers (default 500, spread evenly over the 9,000 that the
storm does not use), every thread from its own offset, and each storm
guest sends its own. The per-request work is the same in both modes (one
indexed query for the row's stamp, then the cached tree) except for the
HMAC (a few microseconds) instead of the join with ``fixed_ips``.

What a guest reads, from cloud-init 22.4 (``DataSourceOpenStack`` and
``sources/helpers/openstack.py``, ``sources/helpers/ec2.py``):

* ``GET /openstack`` twice (``wait_for_metadata_service``, then the
  version list), then, for the newest version cloud-init knows that the
  list offers (2018-08-27; it never asks for ``latest``):
  ``meta_data.json`` (required), ``user_data``, ``vendor_data.json``,
  ``vendor_data2.json``, ``network_data.json``;
* the EC2 tree (``ec2.get_instance_metadata``): ``/latest/meta-data/``,
  then every sub-directory listed (``block-device-mapping/``,
  ``placement/``, ``public-keys/``, recursively, before the leaves, as its
  ``MetadataMaterializer`` does), then every leaf, the key as
  ``public-keys/0/openssh-key`` from the ``0=<name>`` entry;
* ``/latest/user-data``: read by the EC2 datasource, not the OpenStack one;
  added so that both trees' user data are read.

That is 29 or 30 requests a guest (30 when its flavor has an ephemeral
disk), each on a new connection with ``Connection: close`` (cloud-init's
url_helper opens a new session per read; gunicorn's sync workers close
every connection anyway), the client closing it once it has the body.

Data (bulk-inserted with SQLAlchemy core into a database made by
``nova-manage db sync``, rows built from nova/db/tables.py's columns so a
column added without a default stops the bench with its name): 10,000
ACTIVE servers in 20 projects, one user and one ed25519 key pair each
(``key_pairs``; the server rows carry the key as the compute API copies
it), two metadata items, one fixed IP and MAC from 10.0.0.0/16, user data of
a few hundred bytes (a cloud-config naming the guest, with non-ASCII text),
two flavors alternating (one with an ephemeral disk); a static vendor data
file; ``[network]`` with a fixed uuid, MTU 1450 and a DNS server.

Only 127.0.0.1 is used; every server and client process is stopped at the
end (also on Ctrl-C or SIGTERM); the run is refused if its planned length
would pass the budget. Exit 1 when a target of the first variant is missed.

Usage: .venv/bin/python bench/metadata.py
       [--variants sync:2,sync:4,gthread:2x8]
       [--rounds 5] [--duration 3] [--connections 16] [--threads 2]
       [--servers 10000] [--guests 1000] [--spread 500]
       [--storm-connections 64] [--storm-procs 8] [--profile N]
"""

import argparse
import base64
import collections
import datetime
import hashlib
import hmac
import ipaddress
import json
import multiprocessing
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import common
import version_documents  # its servers and wrk helpers

HOST = version_documents.HOST
DEADLINE_S = 400  # the measured part; set-up and wrk install excluded

TARGET_RATIO = 0.50
TARGET_STORM_S = 10.0

NAMESPACE = uuid.UUID("6d657461-6461-7461-2d62-656e63680000")
IMAGE_ID = "6a1e0b1c-0000-4000-8000-000000000001"
NETWORK_UUID = "9a0c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d"
CIDR = "10.0.0.0/16"
GATEWAY = "10.0.0.1"
NETMASK = "255.255.0.0"
DNS = "192.0.2.53"
MTU = 1450
DHCP_DOMAIN = "novalocal"  # [api] dhcp_domain's default
AZ = "nova"
PROJECTS = 20
BASE_TIME = datetime.datetime(2025, 1, 1)
VENDOR_DATA = {"bench": {"cloud": "nova-wsgi", "motd": "h\u00e9llo"}}
FLAVORS = (
    {"flavorid": "1", "name": "bench.small", "memory_mb": 512, "vcpus": 1,
     "root_gb": 1, "ephemeral_gb": 0, "swap": 0, "extra_specs": {}},
    {"flavorid": "2", "name": "bench.eph", "memory_mb": 1024, "vcpus": 1,
     "root_gb": 1, "ephemeral_gb": 1, "swap": 0, "extra_specs": {}},
)
# All the versions the API knows (nova-facts §4); listings hide those
# dated after today.
OPENSTACK_VERSIONS = ("2012-08-10", "2013-04-04", "2013-10-17", "2015-10-15",
                      "2016-06-30", "2016-10-06", "2017-02-22", "2018-08-27",
                      "2020-10-14", "2025-04-04")
# cloud-init 22.4's openstack.OS_VERSIONS: it reads the newest of these
# that /openstack lists.
CLOUD_INIT_VERSIONS = ("2012-08-10", "2013-04-04", "2013-10-17",
                       "2015-10-15", "2016-06-30", "2016-10-06",
                       "2017-02-22", "2018-08-27")
USER_AGENT = "Cloud-Init/22.4"


# -- the data -------------------------------------------------------------

def server_uuid(index):
    return str(uuid.uuid5(NAMESPACE, f"server:{index}"))


def key_pair(project):
    """A well-formed ed25519 public key (deterministic) and its MD5 print."""
    raw = hashlib.sha256(f"bench-key-{project}".encode()).digest()
    blob = b"".join(len(part).to_bytes(4, "big") + part
                    for part in (b"ssh-ed25519", raw))
    md5 = hashlib.md5(blob).hexdigest()
    return (f"ssh-ed25519 {base64.b64encode(blob).decode()} "
            f"bench-{project:02d}@nova-wsgi",
            ":".join(md5[i:i + 2] for i in range(0, 32, 2)))


def guest(index, secret):
    """Everything the bench inserts for server ``index``, and checks."""
    project = index % PROJECTS
    ident = server_uuid(index)
    name = f"guest-{index:05d}"
    mac = index + 1
    flavor = FLAVORS[index % 2]
    user_data = (f"#cloud-config\n# nova-wsgi metadata bench, guest {index}\n"
                 f"hostname: {name}\nfqdn: {name}.{DHCP_DOMAIN}\n"
                 f"write_files:\n- path: /etc/bench-guest\n"
                 f"  content: \"{ident} \u00e9t\u00e9 \u2713\"\n"
                 f"runcmd:\n- [sh, -c, 'echo {index} > /run/bench']\n"
                 ).encode()
    return {
        "index": index, "id": index + 1, "uuid": ident,
        "project_id": f"bench-project-{project:02d}",
        "user_id": f"bench-user-{project:02d}",
        "name": name, "hostname": name,
        "fqdn": f"{name}.{DHCP_DOMAIN}",
        "key_name": f"bench-key-{project:02d}",
        "key_data": key_pair(project)[0],
        "user_data": user_data,
        "metadata": {"role": ("web", "db", "cache")[index % 3],
                     "index": str(index)},
        "address": str(ipaddress.ip_address(
            int(ipaddress.ip_address(GATEWAY)) + 1 + index)),
        "mac": "fa:16:3e:%02x:%02x:%02x" % (mac >> 16 & 255, mac >> 8 & 255,
                                            mac & 255),
        "flavor": flavor,
        "reservation_id": f"r-{index:08x}",
        "signature": hmac.new(secret.encode(), ident.encode(),
                              hashlib.sha256).hexdigest(),
    }


def bench_conf(secret, vendor_path):
    return f"""[neutron]
service_metadata_proxy = true
metadata_proxy_shared_secret = {secret}

[api]
vendordata_jsonfile_path = {vendor_path}

[network]
cidr = {CIDR}
uuid = {NETWORK_UUID}
mtu = {MTU}
dns_servers = {DNS}
"""


def prepare_dir(path, secret):
    (path / "vendor_data.json").write_text(json.dumps(VENDOR_DATA))
    (path / "nova.conf.d").mkdir(exist_ok=True)
    (path / "nova.conf.d" / "bench.conf").write_text(
        bench_conf(secret, path / "vendor_data.json"))


def bulk_insert(db_path, guests, batch=5000):
    """Servers, fixed IPs, metadata and key pairs of ``guests``.

    Every column of a table is given (nullable ones as None, others from
    the model's scalar defaults), so a column added to nova/db/tables.py
    without a default stops the bench with its name.
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
                    f"bench/metadata.py: {table.name}.{column.name} has no "
                    "value; update bulk_insert() to match nova/db/tables.py")
        return row

    inst_t = models.Instance.__table__
    ip_t = models.FixedIP.__table__
    meta_t = models.InstanceMetadata.__table__
    key_t = models.KeyPair.__table__
    inst_base = template(inst_t, {
        "id": 0, "uuid": "", "project_id": "", "user_id": "",
        "display_name": "", "display_description": None, "hostname": "",
        "image_ref": IMAGE_ID, "flavor": "", "flavorid": "", "vcpus": 1,
        "memory_mb": 0, "root_gb": 1, "ephemeral_gb": 0, "key_name": None,
        "key_data": None, "key_type": "ssh", "user_data": None,
        "availability_zone": AZ, "host": "compute1", "vm_state": "active",
        "task_state": None, "power_state": 1, "locked": False,
        "config_drive": "", "launch_index": 0, "reservation_id": "",
        "security_groups": '["default"]', "scheduler_hints": "{}",
        "password": None, "launched_at": None, "created_at": None,
        "updated_at": None, "deleted": 0, "revision": 1})
    ip_base = template(ip_t, {
        "id": 0, "network": "private", "address": "", "mac_address": "",
        "instance_uuid": "", "created_at": None})
    meta_base = template(meta_t, {"id": 0, "instance_uuid": "", "key": "",
                                  "value": ""})
    engine = sa.create_engine(f"sqlite:///{db_path}")
    try:
        with engine.begin() as conn:
            conn.execute(sa.insert(key_t), [template(key_t, {
                "id": p + 1, "name": f"bench-key-{p:02d}",
                "user_id": f"bench-user-{p:02d}",
                "fingerprint": key_pair(p)[1], "public_key": key_pair(p)[0],
                "type": "ssh", "created_at": BASE_TIME})
                for p in range(PROJECTS)])
            meta_id = 0
            for start in range(0, len(guests), batch):
                rows, ips, metas = [], [], []
                for g in guests[start:start + batch]:
                    at = BASE_TIME + datetime.timedelta(seconds=g["index"])
                    fl = g["flavor"]
                    rows.append(dict(
                        inst_base, id=g["id"], uuid=g["uuid"],
                        project_id=g["project_id"], user_id=g["user_id"],
                        display_name=g["name"], hostname=g["hostname"],
                        flavor=json.dumps(fl), flavorid=fl["flavorid"],
                        memory_mb=fl["memory_mb"],
                        ephemeral_gb=fl["ephemeral_gb"],
                        key_name=g["key_name"], key_data=g["key_data"],
                        user_data=base64.b64encode(g["user_data"]).decode(),
                        reservation_id=g["reservation_id"],
                        launched_at=at + datetime.timedelta(seconds=1),
                        created_at=at,
                        updated_at=at + datetime.timedelta(seconds=1)))
                    ips.append(dict(
                        ip_base, id=g["id"], instance_uuid=g["uuid"],
                        address=g["address"], mac_address=g["mac"],
                        created_at=at))
                    for key, value in g["metadata"].items():
                        meta_id += 1
                        metas.append(dict(meta_base, id=meta_id,
                                          instance_uuid=g["uuid"], key=key,
                                          value=value))
                conn.execute(sa.insert(inst_t), rows)
                conn.execute(sa.insert(ip_t), ips)
                conn.execute(sa.insert(meta_t), metas)
    finally:
        engine.dispose()


# -- what a guest must read -------------------------------------------------

def published_versions():
    """What /openstack lists: versions dated up to today (UTC)."""
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    return [v for v in OPENSTACK_VERSIONS if v <= today]


def expected_ec2(g):
    """The EC2 meta-data leaves, as cloud-init's crawl names them."""
    fqdn = g["fqdn"].encode()
    leaves = {
        "ami-launch-index": b"0",
        "ami-manifest-path": b"FIXME",
        "hostname": fqdn,
        "instance-action": b"none",
        "instance-id": b"i-%08x" % g["id"],
        "instance-type": g["flavor"]["name"].encode(),
        "local-hostname": fqdn,
        "local-ipv4": g["address"].encode(),
        "public-hostname": fqdn,
        "public-ipv4": b"",
        "reservation-id": g["reservation_id"].encode(),
        "security-groups": b"default",
        "block-device-mapping/ami": b"vda",
        "block-device-mapping/root": b"/dev/vda",
        "placement/availability-zone": AZ.encode(),
        "public-keys/0/openssh-key": g["key_data"].encode(),
    }
    if g["flavor"]["ephemeral_gb"]:
        leaves["block-device-mapping/ephemeral0"] = b"/dev/vdb"
    return leaves


_AMI = re.compile(rb"ami-[0-9a-f]{8}\Z")


def check_meta_data(g, body, version):
    doc = json.loads(body)
    want = {"uuid": g["uuid"], "meta": g["metadata"],
            "public_keys": {g["key_name"]: g["key_data"]},
            "keys": [{"name": g["key_name"], "type": "ssh",
                      "data": g["key_data"]}],
            "hostname": g["fqdn"], "name": g["name"], "launch_index": 0,
            "availability_zone": AZ}
    if version >= "2015-10-15":
        want["project_id"] = g["project_id"]
    if version >= "2016-06-30":
        want["devices"] = []
    if version >= "2020-10-14":
        want["dedicated_cpus"] = []
    seed = doc.pop("random_seed", None)
    if version >= "2013-04-04" and (
            seed is None or len(base64.b64decode(seed)) != 512):
        return "random_seed missing or not 512 bytes"
    if doc != want:
        diff = sorted(k for k in set(doc) | set(want)
                      if doc.get(k) != want.get(k))
        return f"meta_data.json differs in {diff}"
    return None


def check_network_data(g, body):
    doc = json.loads(body)
    links, nets = doc.get("links") or [{}], doc.get("networks") or [{}]
    link, net = links[0], nets[0]
    problems = [
        len(links) == 1 and len(nets) == 1,
        link.get("ethernet_mac_address") == g["mac"],
        link.get("mtu") == MTU,
        net.get("link") == link.get("id"),
        net.get("type") == "ipv4",
        net.get("ip_address") == g["address"],
        net.get("netmask") == NETMASK,
        net.get("network_id") == NETWORK_UUID,
        net.get("routes") == [{"network": "0.0.0.0", "netmask": "0.0.0.0",
                               "gateway": GATEWAY}],
        doc.get("services") == [{"type": "dns", "address": DNS}],
    ]
    if not all(problems):
        return f"network_data.json wrong (check #{problems.index(False)})"
    return None


# -- HTTP, the way a guest behind Neutron's proxy asks ------------------------

def guest_headers(g):
    return (f"X-Instance-ID: {g['uuid']}\r\n"
            f"X-Tenant-ID: {g['project_id']}\r\n"
            f"X-Instance-ID-Signature: {g['signature']}\r\n"
            f"User-Agent: {USER_AGENT}\r\n").encode()


_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.I)


def fetch(port, path, headers, timeout=10):
    """(status, body) of one GET on a new connection.

    The body is read up to its Content-Length and the connection closed
    then, as an HTTP client library does (without one: to the end).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect((HOST, port))
        sock.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\n"
                     b"Host: 169.254.169.254\r\n" + headers
                     + b"Accept: */*\r\nConnection: close\r\n\r\n")
        raw = b""
        want = None  # the whole answer's length, once the head is in
        while want is None or len(raw) < want:
            data = sock.recv(65536)
            if not data:
                break
            raw += data
            if want is None:
                end = raw.find(b"\r\n\r\n")
                if end >= 0:
                    match = _LENGTH.search(raw, 0, end + 2)
                    want = end + 4 + int(match.group(1)) if match else \
                        float("inf")
    finally:
        sock.close()
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep or not head.startswith(b"HTTP/1."):
        raise ValueError(f"malformed answer ({len(raw)} bytes)")
    status = int(head[9:12])
    match = _LENGTH.search(head + b"\r\n")
    if match and int(match.group(1)) != len(body):
        raise ValueError(f"body of {len(body)} bytes, Content-Length "
                         f"{match.group(1).decode()}")
    return status, body


def boot(port, g):
    """One guest's reads, as cloud-init 22.4 makes them, each checked.

    Returns (requests made, list of problems).
    """
    headers = guest_headers(g)
    problems = []
    count = 0

    def get(path):
        nonlocal count
        count += 1
        status, body = fetch(port, path, headers)
        if status != 200:
            problems.append(f"GET {path}: {status}")
            return None
        return body

    def expect(path, body, want):
        if body is not None and body != want:
            problems.append(f"GET {path}: {body[:80]!r} != {want[:80]!r}")

    listing = (*published_versions(), "latest")
    for _ in range(2):  # wait_for_metadata_service, then the versions
        body = get("/openstack")
        expect("/openstack", body, "\n".join(listing).encode())
    offered = body.decode().split() if body else []
    version = next((v for v in reversed(CLOUD_INIT_VERSIONS)
                    if v in offered), "latest")
    base = f"/openstack/{version}/"
    body = get(base + "meta_data.json")
    if body is not None:
        problem = check_meta_data(g, body, version)
        if problem:
            problems.append(f"GET {base}meta_data.json: {problem}")
    expect(base + "user_data", get(base + "user_data"), g["user_data"])
    body = get(base + "vendor_data.json")
    if body is not None and json.loads(body) != VENDOR_DATA:
        problems.append(f"GET {base}vendor_data.json: {body[:80]!r}")
    body = get(base + "vendor_data2.json")
    if body is not None and json.loads(body) != {"static": VENDOR_DATA}:
        problems.append(f"GET {base}vendor_data2.json: {body[:80]!r}")
    body = get(base + "network_data.json")
    if body is not None:
        problem = check_network_data(g, body)
        if problem:
            problems.append(f"GET {base}network_data.json: {problem}")

    # EC2, as ec2.MetadataMaterializer crawls it.
    leaves = {}

    def crawl(url, rel):
        blob = get(url)
        if blob is None:
            return
        children, fields = [], []
        for line in blob.decode().splitlines():
            line = line.strip()
            if not line:
                continue
            if line.endswith("/"):
                children.append(line[:-1])
            else:
                ident, eq, _name = line.partition("=")
                fields.append(f"{int(ident)}/openssh-key" if eq
                              and ident.isdigit() else line)
        for child in children:
            crawl(f"{url}{child}/", f"{rel}{child}/")
        for field in fields:
            leaves[rel + field] = get(url + field)

    crawl("/latest/meta-data/", "")
    want = expected_ec2(g)
    ami = leaves.pop("ami-id", None)
    if ami is None or not _AMI.match(ami):
        problems.append(f"EC2 ami-id: {ami!r}")
    if leaves != want:
        wrong = sorted(k for k in set(leaves) | set(want)
                       if leaves.get(k) != want.get(k))
        problems.append(f"EC2 meta-data differs in {wrong}")
    expect("/latest/user-data", get("/latest/user-data"), g["user_data"])
    return count, problems


# -- the boot storm -----------------------------------------------------------

def _storm_proc(port, guests, threads, ready, go, results):
    # A thread woken by its answer must not wait the default 5 ms for the
    # GIL while the others parse theirs: a sync worker waits for our close.
    sys.setswitchinterval(0.0005)
    todo = collections.deque(guests)
    lock = threading.Lock()
    out = {"requests": 0, "problems": [], "bad_guests": 0, "boot_s": [],
           "start": None, "end": None}

    def worker():
        while True:
            with lock:
                if not todo:
                    return
                g = todo.popleft()
            t0 = time.monotonic()
            try:
                count, problems = boot(port, g)
            except Exception as exc:  # noqa: BLE001 - counted, shown
                count, problems = 1, [f"{type(exc).__name__}: {exc}"]
            t1 = time.monotonic()
            with lock:
                out["requests"] += count
                out["boot_s"].append(t1 - t0)
                out["end"] = max(out["end"] or t1, t1)
                if problems:
                    out["bad_guests"] += 1
                    out["problems"].extend(
                        f"{g['name']} ({g['uuid']}): {p}"
                        for p in problems[:3])

    pool = [threading.Thread(target=worker, daemon=True)
            for _ in range(threads)]
    ready.put(os.getpid())
    go.wait(60)
    out["start"] = time.monotonic()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    times = os.times()
    out["cpu"] = times.user + times.system
    out["problems"] = out["problems"][:20]
    results.put(out)


def storm(port, guests, connections, procs, budget):
    """Run the storm; a dict of wall time, requests, problems."""
    ctx = multiprocessing.get_context("fork")
    ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    per = max(1, connections // procs)
    children = [ctx.Process(target=_storm_proc, daemon=True, args=(
        port, guests[k::procs], per, ready, go, results))
        for k in range(procs)]
    outs = []
    try:
        for p in children:
            p.start()
        for _ in children:
            ready.get(timeout=30)
        t0 = time.monotonic()
        go.set()
        for _ in children:
            outs.append(results.get(timeout=budget))
        t1 = max(o["end"] or t0 for o in outs)
    finally:
        for p in children:
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()
                p.join(timeout=5)
    boots = sorted(s for o in outs for s in o["boot_s"])
    return {
        "wall": t1 - t0, "guests": len(boots),
        "requests": sum(o["requests"] for o in outs),
        "bad_guests": sum(o["bad_guests"] for o in outs),
        "problems": [p for o in outs for p in o["problems"]][:20],
        "boot_p50": common.median(boots),
        "boot_max": boots[-1] if boots else float("nan"),
        "connections": per * procs,
        "client_cpu_s": sum(o["cpu"] for o in outs),
    }


# -- wrk: meta_data.json, rotating through many guests --------------------

WRK_LUA = r"""
local G = dofile(os.getenv("BENCH_GUESTS"))
local n = #G
local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end
function init(args)
  codes = {}
  i = ((tid or 1) * 7919) % n
end
function request()
  i = i % n + 1
  local g = G[i]
  return wrk.format(nil, nil, {
    ["X-Instance-ID"] = g[1], ["X-Tenant-ID"] = g[2],
    ["X-Instance-ID-Signature"] = g[3], ["User-Agent"] = "Cloud-Init/22.4"})
end
function response(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
end
function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for code, k in pairs(t:get("codes")) do
      total[code] = (total[code] or 0) + k
    end
  end
  for code, k in pairs(total) do
    io.write(string.format("STATUS %d %d\n", code, k))
  end
end
"""


class Load:
    def __init__(self, wrk, args, workdir, guests):
        self.wrk, self.args = wrk, args
        self.script = os.path.join(workdir, "bench.lua")
        self.table = os.path.join(workdir, "guests.lua")
        with open(self.script, "w") as f:
            f.write(WRK_LUA)
        with open(self.table, "w") as f:
            f.write("return {\n")
            for g in guests:
                f.write(f'{{"{g["uuid"]}","{g["project_id"]}",'
                        f'"{g["signature"]}"}},\n')
            f.write("}\n")

    def run(self, server, path, duration):
        cmd = [self.wrk, f"-t{self.args.threads}",
               f"-c{self.args.connections}", f"-d{duration}s",
               "--timeout", "5s", "-s", self.script,
               f"http://{HOST}:{server.port}{path}"]
        cpu0 = server.cpu_seconds()
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              env=dict(os.environ, BENCH_GUESTS=self.table),
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
        return {"rps": rps, "requests": total, "ok": ok,
                "ok_rps": ok / elapsed, "codes": codes,
                "errors": sum(int(errs.group(i)) for i in (1, 2, 3, 4))
                if errs else 0,
                "latency": lat.group(1) if lat else "?",
                "cpu_us": cpu * 1e6 / max(1, total)}


# -- servers ----------------------------------------------------------------

def parse_variant(text):
    """'sync:2' or 'gthread:2x4' -> (label, worker class, workers, threads)."""
    kind, _sep, size = text.partition(":")
    if kind == "sync" and size.isdigit():
        return f"sync x{size}", "sync", int(size), 1
    workers, _x, threads = size.partition("x")
    if kind == "gthread" and workers.isdigit() and threads.isdigit():
        return (f"gthread {workers}x{threads}", "gthread", int(workers),
                int(threads))
    raise argparse.ArgumentTypeError(
        f"{text!r}: a variant is sync:WORKERS or gthread:WORKERSxTHREADS")


def make_server(label, app, env, variant, gunicorn, flags, workdir):
    _name, klass, workers, threads = variant
    server = version_documents.Server(label, app, env,
                                      argparse.Namespace(workers=workers),
                                      gunicorn, flags, workdir)
    at = server.cmd.index("--worker-class")
    server.cmd[at + 1] = klass
    if klass == "gthread":
        server.cmd[at + 2:at + 2] = ["--threads", str(threads)]
    return server


# -- in-process profile -------------------------------------------------------

def profile(conf_dir, guests, path, count):
    """cProfile of ``count`` calls of the loaded app, in this process."""
    import cProfile
    import io
    import pstats

    from nova import loading

    app = loading.load_app("metadata", {common.ENV_DIR: str(conf_dir)})

    def environ(g):
        return {"REQUEST_METHOD": "GET", "PATH_INFO": path,
                "SCRIPT_NAME": "", "QUERY_STRING": "",
                "SERVER_NAME": HOST, "SERVER_PORT": "8775",
                "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": HOST,
                "wsgi.url_scheme": "http", "wsgi.input": None,
                "wsgi.errors": sys.stderr, "wsgi.multithread": False,
                "wsgi.multiprocess": True, "wsgi.run_once": False,
                "wsgi.version": (1, 0),
                "HTTP_HOST": "169.254.169.254",
                "HTTP_X_INSTANCE_ID": g["uuid"],
                "HTTP_X_TENANT_ID": g["project_id"],
                "HTTP_X_INSTANCE_ID_SIGNATURE": g["signature"],
                "HTTP_USER_AGENT": USER_AGENT}

    def call(g):
        status = []
        body = b"".join(app(environ(g), lambda s, h, e=None: status.append(s)))
        if not status[0].startswith("200"):
            raise RuntimeError(f"{path}: {status[0]} {body[:200]!r}")

    for g in guests:  # every guest loaded once: the cache is warm
        call(g)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        for i in range(count):
            call(guests[i % len(guests)])
        times.append((time.perf_counter() - t0) / count * 1e6)
    print(f"in-process {path}: best {min(times):.1f} us/request, median "
          f"{common.median(times):.1f} (5 x {count} calls, warm cache)")
    prof = cProfile.Profile()
    prof.enable()
    for i in range(count):
        call(guests[i % len(guests)])
    prof.disable()
    out = io.StringIO()
    order = os.environ.get("BENCH_SORT", "tottime")
    pstats.Stats(prof, stream=out).sort_stats(order).print_stats(25)
    print(out.getvalue())


# -- main -------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", default="sync:2,sync:4,gthread:2x8",
                        help="gunicorn variants, comma-separated, each "
                             "sync:WORKERS or gthread:WORKERSxTHREADS; the "
                             "targets are judged on the first (default "
                             "sync:2,sync:4,gthread:2x8)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="interleaved rounds of hello and meta_data.json "
                             "per variant; medians are printed (default 5)")
    parser.add_argument("--duration", type=int, default=3,
                        help="seconds of wrk load per measurement "
                             "(default 3)")
    parser.add_argument("--warmup", type=int, default=3,
                        help="seconds of unmeasured load per server before "
                             "the rounds (default 3)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--servers", type=int, default=10000,
                        help="servers in the database (default 10000)")
    parser.add_argument("--guests", type=int, default=1000,
                        help="guests booting in the storm (default 1000)")
    parser.add_argument("--spread", type=int, default=500,
                        help="servers whose headers wrk rotates through "
                             "(default 500)")
    parser.add_argument("--storm-connections", type=int, default=64,
                        help="concurrent guests (= connections) in the "
                             "storm (default 64)")
    parser.add_argument("--storm-procs", type=int, default=8,
                        help="client processes sharing them (default 8)")
    parser.add_argument("--no-storm", action="store_true")
    parser.add_argument("--no-rps", action="store_true")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="instead of serving: cProfile N in-process "
                             "calls of meta_data.json and of each path of "
                             "the boot, then exit")
    args = parser.parse_args()
    variants = [parse_variant(v.strip()) for v in args.variants.split(",")
                if v.strip()]
    if args.guests >= args.servers:
        parser.error("--guests must be fewer than --servers")
    spread = min(args.spread, args.servers - args.guests)
    per_variant = ((0 if args.no_rps else
                    2 * (args.rounds * args.duration + args.warmup) + 5)
                   + (0 if args.no_storm else 25) + 5)
    if per_variant * len(variants) > DEADLINE_S:
        parser.error(f"the plan would take about "
                     f"{per_variant * len(variants)} s; the budget is "
                     f"{DEADLINE_S} s")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    secret = secrets.token_hex(16)
    everyone = [guest(i, secret) for i in range(args.servers)]
    # wrk rotates through servers spread over the first part; the storm's
    # guests are the last ones, never read before the storm.
    pool = everyone[:args.servers - args.guests]
    rotation = pool[::max(1, len(pool) // spread)][:spread]
    booting = everyone[args.servers - args.guests:]

    workdir = tempfile.mkdtemp(prefix="nova-bench-metadata-")
    shutil.copyfile(common.BENCH / "hello.py",
                    os.path.join(workdir, "hello.py"))
    servers = []
    results = {}  # variant label -> {"rps": [...], "hello": [...], storm}
    started = time.monotonic()
    try:
        with common.config_dir("noauth2") as conf_dir:
            prepare_dir(conf_dir, secret)
            t0 = time.monotonic()
            bulk_insert(conf_dir / "nova.sqlite", everyone)
            print(f"  bulk insert of {args.servers:,} servers (fixed IPs, "
                  f"metadata, {PROJECTS} key pairs): "
                  f"{time.monotonic() - t0:.1f} s", flush=True)
            if args.profile:
                profile(conf_dir, rotation,
                        "/openstack/latest/meta_data.json", args.profile)
                return 0
            return run(args, variants, conf_dir, workdir, servers, results,
                       rotation, booting, started)
    finally:
        for server in list(servers):
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def run(args, variants, conf_dir, workdir, servers, results, rotation,
        booting, started):
    wrk = None if args.no_rps else version_documents.ensure_wrk()
    if not args.no_rps and not wrk:
        print("wrk is needed (apt-get install wrk)")
        return 2
    gunicorn, version, flags = version_documents.gunicorn_flags()
    print(f"{version}{', ' + ' '.join(flags) if flags else ''}; variants: "
          f"{', '.join(v[0] for v in variants)}; load: wrk "
          f"-t{args.threads} -c{args.connections} -d{args.duration}s x "
          f"{args.rounds} rounds, rotating through {len(rotation):,} "
          f"servers' headers; storm: {len(booting):,} guests, "
          f"{args.storm_connections} connections in {args.storm_procs} "
          f"processes; {os.cpu_count()} CPUs, load average "
          f"{_load_average()}; loopback {HOST}", flush=True)
    load = Load(wrk, args, workdir, rotation) if wrk else None
    env = common.env_for(conf_dir)
    path = "/openstack/latest/meta_data.json"
    latest = published_versions()[-1]

    for variant in variants:
        name = variant[0]
        res = results[name] = {"rps": [], "hello": []}
        hello = make_server("hello", "hello:application", env, variant,
                            gunicorn, flags, workdir)
        meta = make_server("metadata", "nova.wsgi.metadata:application",
                           env, variant, gunicorn, flags, workdir)
        servers += [hello, meta]
        hello.start()
        meta.start()
        # A few answers checked before the load.
        for g in rotation[:5]:
            status, body = fetch(meta.port, path, guest_headers(g))
            problem = (f"{status}" if status != 200 else
                       check_meta_data(g, body, latest))
            if problem:
                raise RuntimeError(f"{name}: GET {path} for {g['name']}: "
                                   f"{problem}: {body[:300]!r}")
        if load:
            if args.warmup:
                load.run(hello, "/", args.warmup)
                load.run(meta, path, args.warmup)
            for rnd in range(args.rounds):
                if time.monotonic() - started > DEADLINE_S:
                    raise RuntimeError(f"past the {DEADLINE_S} s budget")
                h = load.run(hello, "/", args.duration)
                m = load.run(meta, path, args.duration)
                m["ratio"] = m["ok_rps"] / h["rps"]
                res["hello"].append(h)
                res["rps"].append(m)
                print(f"  {name} round {rnd + 1}: hello {h['rps']:.0f}, "
                      f"meta_data.json {m['ok_rps']:.0f}/s "
                      f"({m['ratio']:.0%})", flush=True)
        if not args.no_storm:
            cpu0 = meta.cpu_seconds()
            res["storm"] = storm(meta.port, booting, args.storm_connections,
                                 args.storm_procs, budget=120)
            res["storm"]["cpu_s"] = meta.cpu_seconds() - cpu0
            s = res["storm"]
            print(f"  {name} storm: {s['guests']:,} guests, "
                  f"{s['requests']:,} requests in {s['wall']:.2f} s "
                  f"({s['requests'] / s['wall']:.0f}/s), "
                  f"{s['bad_guests']} guests with errors", flush=True)
        for server in (hello, meta):
            server.stop()
            servers.remove(server)
    return report(args, variants, results, started, len(rotation))


def report(args, variants, results, started, spread):
    misses = 0
    if not args.no_rps:
        print(f"\nGET /openstack/latest/meta_data.json, {args.servers:,} "
              f"servers, wrk rotating through {spread:,} guests' headers:")
        print(f"{'variant':14} {'hello/s':>8} {'meta/s':>8} {'x hello':>8} "
              f"{'(range)':>11} {'latency':>8} {'cpu us':>7} "
              f"{'hello cpu':>9} {'cpu ratio':>9} {'answers':>14}")
        for name, *_rest in variants:
            res = results[name]
            runs, hellos = res["rps"], res["hello"]
            ratios = [r["ratio"] for r in runs]
            cpu = common.median([r["cpu_us"] for r in runs])
            hcpu = common.median([r["cpu_us"] for r in hellos])
            codes = {}
            for r in runs:
                for c, n in r["codes"].items():
                    codes[c] = codes.get(c, 0) + n
            errors = sum(r["errors"] for r in runs)
            answers = " ".join(f"{c}:{n}" for c, n in sorted(codes.items()))
            if errors:
                answers += f" sock:{errors}"
            res["ratio"] = common.median(ratios)
            res["bad"] = errors + sum(n for c, n in codes.items()
                                      if not 200 <= c < 300)
            print(f"{name:14} "
                  f"{common.median([h['rps'] for h in hellos]):8.0f} "
                  f"{common.median([r['ok_rps'] for r in runs]):8.0f} "
                  f"{res['ratio']:8.0%} "
                  f"{min(ratios):5.0%}-{max(ratios):<5.0%} "
                  f"{runs[len(runs) // 2]['latency']:>8} {cpu:7.0f} "
                  f"{hcpu:9.0f} {hcpu / cpu:9.0%} {answers:>14}")
        print("(meta/s: 200 answers per second, median over rounds; x "
              "hello: median of the per-round ratios, range = lowest-"
              "highest round; cpu us: server CPU per request, master + "
              "workers; cpu ratio: hello's over meta_data.json's, the "
              "steadier estimate on a busy machine)")
    if not args.no_storm:
        print(f"\nBoot storm: {args.guests:,} guests, each reading what "
              "cloud-init 22.4 reads, every answer checked:")
        print(f"{'variant':14} {'wall s':>7} {'requests':>9} {'req/s':>7} "
              f"{'boot p50':>9} {'boot max':>9} {'cpu s':>6} "
              f"{'client':>7} {'errors':>7}")
        for name, *_rest in variants:
            s = results[name]["storm"]
            print(f"{name:14} {s['wall']:7.2f} {s['requests']:9,} "
                  f"{s['requests'] / s['wall']:7.0f} "
                  f"{s['boot_p50']:8.2f}s {s['boot_max']:8.2f}s "
                  f"{s['cpu_s']:6.1f} {s['client_cpu_s']:7.1f} "
                  f"{s['bad_guests']:7}")
            for problem in s["problems"][:5]:
                print(f"    {problem}")
        print(f"(wall: first request to last answer; {args.storm_connections}"
              f" guests at a time; boot: one guest's reads; cpu s: the "
              "server's CPU time for the storm, client: the load "
              "generator's; errors: guests with any failed or wrong "
              "answer)")
    print("\nTargets (judged on the first variant; the others for "
          "comparison):")
    for i, (name, *_rest) in enumerate(variants):
        res = results[name]
        checks = []
        if not args.no_rps:
            checks.append((f"meta_data.json >= {TARGET_RATIO:.0%} of "
                           "hello-world", res["ratio"] >= TARGET_RATIO
                           and not res["bad"],
                           f"{res['ratio']:.0%}" + (
                               f", {res['bad']} bad answers"
                               if res["bad"] else "")))
        if not args.no_storm:
            s = res["storm"]
            checks.append((f"boot storm <= {TARGET_STORM_S:.0f} s, no error",
                           s["wall"] <= TARGET_STORM_S and not
                           s["bad_guests"] and s["guests"] == args.guests,
                           f"{s['wall']:.2f} s, {s['bad_guests']} guests "
                           "with errors"))
        for what, ok, value in checks:
            if i == 0:
                misses += not ok
            print(f"  {'ok' if ok else 'MISS':4} {name}: {what}: {value}")
    print(f"(whole run {time.monotonic() - started:.0f} s; load average "
          f"now {_load_average()})")
    return 1 if misses else 0


def _load_average():
    """The machine's 1/5/15-minute load: other work skews every figure."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
