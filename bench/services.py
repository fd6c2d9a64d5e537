"""Server create against real Glance and Neutron, and against the embedded
default, in the same run, each as a ratio to hello-world.

One run starts real Keystone 30, Glance 33 and Neutron 29
(tools/openstack-services.sh, API-only, the agent-less binder), then three
gunicorn servers with the same flags: the hello-world app
(bench/hello.py), the compute API on its embedded default (local image
catalogue, built-in flat network) and the compute API with ``[glance]``,
``[neutron]`` and ``[service_user]`` as an upstream nova.conf writes them.
Both APIs authenticate with the same Keystone (keystonemiddleware), so the
difference is the Glance and Neutron calls: the image read, the port
create (the caller's token), its binding (the service user), the port list
that fills the addresses.

Measured, in interleaved rounds (hello first in each): ``--clients``
threads, each on its own keep-alive connection, for ``--duration``
seconds: hello-world ``GET /``; ``POST /v2.1/servers`` (flavor 1, the
image, networks auto, as the project ``demo``'s member) on each API.
Printed: requests per second, the median over the rounds, each as a ratio
to hello-world, and the services/embedded ratio. Every answer is counted;
any answer but 200 (hello) or 202 (create) is a failure and the run
exits 1. The servers are deleted after each round (not timed), so Neutron
does not fill up with ports.

Usage: .venv/bin/python bench/services.py [--rounds 3] [--duration 10]
       [--clients 4] [--workers 2]
"""

import argparse
import contextlib
import http.client
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import common
import version_documents  # Server, gunicorn_flags

SCRIPT = common.ROOT / "tools" / "openstack-services.sh"
HOST = "127.0.0.1"


def services_conf(svc, directory, with_services):
    """nova.conf for one API: keystone auth; Glance/Neutron or not."""
    auth = (f"auth_url = {svc['keystone_url']}\nauth_type = password\n"
            f"username = {svc['nova_username']}\n"
            f"password = {svc['nova_password']}\n"
            f"project_name = {svc['service_project_name']}\n"
            "user_domain_name = Default\nproject_domain_name = Default\n"
            f"region_name = {svc['region']}\n")
    text = (f"[api]\nauth_strategy = keystone\n\n"
            f"[database]\nconnection = sqlite:///{directory}/nova.sqlite\n\n"
            f"[compute]\nbuild_time = 0\n\n"
            f"[keystone_authtoken]\nwww_authenticate_uri = "
            f"{svc['keystone_url']}\n{auth}interface = public\n"
            "service_token_roles_required = true\n")
    if with_services:
        text += (f"\n[glance]\nregion_name = {svc['region']}\n"
                 "valid_interfaces = public\n"
                 f"\n[neutron]\n{auth}valid_interfaces = public\n"
                 "default_floating_pool = public\n"
                 f"\n[service_user]\nsend_service_user_token = true\n{auth}")
    return text


def token(svc, user, password, project):
    body = {"auth": {"identity": {"methods": ["password"], "password": {
        "user": {"name": user, "domain": {"name": "Default"},
                 "password": password}}},
        "scope": {"project": {"name": project,
                              "domain": {"name": "Default"}}}}}
    url = urllib.parse.urlsplit(svc["keystone_url"])
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.request("POST", "/v3/auth/tokens", json.dumps(body),
                     {"Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        if resp.status != 201:
            raise RuntimeError(f"Keystone login of {user}: {resp.status}")
        return resp.getheader("X-Subject-Token")
    finally:
        conn.close()


def call(port, method, path, tok, body=None, expect=(200, 202, 204)):
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        headers = {"X-Auth-Token": tok, "Content-Type": "application/json",
                   "X-OpenStack-Nova-API-Version": "2.37"}
        conn.request(method, path, json.dumps(body) if body else None,
                     headers)
        resp = conn.getresponse()
        data = resp.read()
        if resp.status not in expect:
            raise RuntimeError(f"{method} {path}: {resp.status} {data[:300]}")
        return json.loads(data) if data else None
    finally:
        conn.close()


def load(port, method, path, headers, body, clients, duration, ok):
    """Requests answered ``ok`` per second, and the other answers."""
    counts = [0] * clients
    bad = []
    stop_at = time.monotonic() + duration
    payload = json.dumps(body) if body is not None else None

    def worker(index):
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        while time.monotonic() < stop_at:
            try:
                conn.request(method, path, payload, headers)
                resp = conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException) as exc:
                bad.append(type(exc).__name__)
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=60)
                continue
            if resp.status == ok:
                counts[index] += 1
            else:
                bad.append(f"{resp.status} {data[:200]!r}")
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,))
               for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - started), bad


def delete_all(port, tok):
    servers = call(port, "GET", "/v2.1/servers?all_tenants=1&limit=1000",
                   tok)["servers"]
    for server in servers:
        call(port, "DELETE", f"/v2.1/servers/{server['id']}", tok,
             expect=(204, 404))
    return len(servers)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2,
                        help="gunicorn sync workers (default 2)")
    args = parser.parse_args()
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="nova-bench-svc-"))
    gunicorn, version, flags = version_documents.gunicorn_flags()
    servers = {}
    started = False
    try:
        print(f"starting Keystone, Glance, Neutron in {workdir}/cloud ...",
              flush=True)
        subprocess.run([str(SCRIPT), "start", str(workdir / "cloud")],
                       check=True, timeout=900, stdout=subprocess.DEVNULL)
        started = True
        svc = json.loads((workdir / "cloud" / "services.json").read_text())
        shutil.copy(common.BENCH / "hello.py", workdir / "hello.py")
        for label, with_services in (("embedded", False),
                                     ("services", True)):
            directory = workdir / label
            directory.mkdir()
            shutil.copyfile(common.PASTE, directory / "api-paste.ini")
            (directory / "nova.conf").write_text(
                services_conf(svc, directory, with_services))
            common.db_sync(directory)
            if not with_services:
                # The same image id in the local catalogue as in Glance.
                subprocess.run(
                    [str(common.BIN / "nova-manage"), "image", "create",
                     "bench-image", "--id", svc["image_id"]],
                    env=common.env_for(directory), check=True, timeout=60,
                    capture_output=True)
            servers[label] = version_documents.Server(
                label, "nova.wsgi.osapi_compute:application",
                common.env_for(directory), args, gunicorn, flags,
                str(workdir))
        servers["hello"] = version_documents.Server(
            "hello", "hello:application", common.env_for(workdir), args,
            gunicorn, flags, str(workdir))
        for server in servers.values():
            server.start(timeout=60)
        subprocess.run([str(SCRIPT), "register-compute",
                        str(workdir / "cloud"),
                        f"http://{HOST}:{servers['services'].port}/v2.1"],
                       check=True, timeout=300, stdout=subprocess.DEVNULL)
        admin = token(svc, svc["admin_username"], svc["admin_password"],
                      svc["admin_project_name"])
        demo = token(svc, svc["demo_username"], svc["demo_password"],
                     svc["demo_project_name"])
        project = svc["demo_project_id"]
        for label in ("embedded", "services"):
            port = servers[label].port
            call(port, "POST", "/v2.1/flavors", admin, {"flavor": {
                "name": "bench", "id": "1", "ram": 64, "vcpus": 1,
                "disk": 1}})
            call(port, "PUT", f"/v2.1/os-quota-sets/{project}", admin,
                 {"quota_set": {"instances": -1, "cores": -1, "ram": -1}})
        # Neutron's own port quota (500 by default) would stop the run.
        neutron = urllib.parse.urlsplit(svc["neutron_url"])
        conn = http.client.HTTPConnection(neutron.hostname, neutron.port,
                                          timeout=30)
        conn.request("PUT", f"/v2.0/quotas/{project}",
                     json.dumps({"quota": {"port": -1}}),
                     {"X-Auth-Token": admin,
                      "Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        conn.close()
        if resp.status != 200:
            raise RuntimeError(f"Neutron quota update: {resp.status}")
        create = {"server": {"name": "bench", "flavorRef": "1",
                             "imageRef": svc["image_id"],
                             "networks": "auto"}}
        headers = {"X-Auth-Token": demo, "Content-Type": "application/json",
                   "X-OpenStack-Nova-API-Version": "2.37"}
        # One create each, unmeasured: token caches, first connections.
        for label in ("embedded", "services"):
            call(servers[label].port, "POST", "/v2.1/servers", demo, create)
            delete_all(servers[label].port, admin)
        results = {"hello": [], "embedded": [], "services": []}
        failures = []
        for number in range(1, args.rounds + 1):
            rps, bad = load(servers["hello"].port, "GET", "/", {}, None,
                            args.clients, args.duration, 200)
            results["hello"].append(rps)
            failures += bad
            for label in ("embedded", "services"):
                rps, bad = load(servers[label].port, "POST", "/v2.1/servers",
                                headers, create, args.clients, args.duration,
                                202)
                results[label].append(rps)
                failures += [f"{label}: {b}" for b in bad]
                deleted = delete_all(servers[label].port, admin)
                print(f"round {number}: {label} {rps:.1f} creates/s "
                      f"({deleted} deleted)", flush=True)
        hello = common.median(results["hello"])
        embedded = common.median(results["embedded"])
        remote = common.median(results["services"])
        print(f"\n{version}, {args.workers} sync workers, {args.clients} "
              f"clients, {args.rounds} rounds of {args.duration:g} s")
        print(f"hello-world GET /          {hello:9.1f} req/s")
        print(f"create, embedded default   {embedded:9.1f} req/s  "
              f"{embedded / hello:7.2%} of hello-world")
        print(f"create, Glance + Neutron   {remote:9.1f} req/s  "
              f"{remote / hello:7.2%} of hello-world  "
              f"{remote / embedded:6.1%} of embedded")
        if failures:
            print(f"\n{len(failures)} failed requests, e.g. {failures[:3]}")
            return 1
        return 0
    finally:
        for server in servers.values():
            with contextlib.suppress(Exception):
                server.stop()
        if started:
            subprocess.run([str(SCRIPT), "stop", str(workdir / "cloud")],
                           timeout=120, stdout=subprocess.DEVNULL,
                           check=False)
        if os.environ.get("BENCH_KEEP") != "1":
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
