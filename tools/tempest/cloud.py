#!/usr/bin/env python3
"""Small steps of tools/tempest.sh that talk HTTP (stdlib only).

    cloud.py free-ports N            N free TCP ports on 127.0.0.1
    cloud.py wait URL SECONDS [PID]  until URL answers (any HTTP status),
                                     or PID has exited
    cloud.py register                Keystone: service project and user,
                                     compute service and endpoints
    cloud.py flavors ID:NAME:RAM:VCPUS:DISK ...
                                     create these flavors (admin token)
    cloud.py max-microversion URL    the compute API's maximum, from GET /

Environment for register and flavors: KEYSTONE_URL, ADMIN_PASSWORD,
SERVICE_USER, SERVICE_PASSWORD, COMPUTE_URL (the /v2.1 endpoint), REGION.
"""

import json
import os
import socket
import sys
import time
import urllib.error
import urllib.request


def env(name, default=None):
    value = os.environ.get(name, default)
    if value is None:
        sys.exit(f"cloud.py: {name} is not set")
    return value


def call(method, url, body=None, token=None):
    """(status, headers, decoded JSON body or text) of one request."""
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if token:
        headers["X-Auth-Token"] = token
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            status, head, raw = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        status, head, raw = exc.code, exc.headers, exc.read()
    try:
        decoded = json.loads(raw) if raw else {}
    except ValueError:
        decoded = raw.decode("utf-8", "replace")
    return status, head, decoded


def expect(result, *codes, what=""):
    status, _head, body = result
    if status not in codes:
        sys.exit(f"cloud.py: {what}: HTTP {status} {body}")
    return body


def admin_token():
    identity = env("KEYSTONE_URL").rstrip("/") + "/v3"
    domain = {"id": "default"}
    status, head, body = call("POST", identity + "/auth/tokens", {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": domain,
            "password": env("ADMIN_PASSWORD")}}},
        "scope": {"project": {"name": "admin", "domain": domain}}}})
    if status != 201:
        sys.exit(f"cloud.py: admin token: HTTP {status} {body}")
    return identity, head["X-Subject-Token"]


def find_or_create(identity, token, collection, query, body):
    """The first of GET /v3/<collection>?<query>, created if none."""
    key = collection[:-1]
    found = expect(call("GET", f"{identity}/{collection}?{query}",
                        token=token), 200, what=f"list {collection}")
    if found[collection]:
        return found[collection][0]
    created = expect(call("POST", f"{identity}/{collection}", {key: body},
                          token=token), 201, what=f"create {key}")
    return created[key]


def register():
    """What a compute API behind keystonemiddleware needs in Keystone."""
    identity, token = admin_token()
    region = env("REGION", "RegionOne")
    compute_url = env("COMPUTE_URL").rstrip("/")
    user_name = env("SERVICE_USER", "nova")
    project = find_or_create(identity, token, "projects", "name=service", {
        "name": "service", "domain_id": "default",
        "description": "Service project"})
    user = find_or_create(identity, token, "users", f"name={user_name}", {
        "name": user_name, "domain_id": "default",
        "password": env("SERVICE_PASSWORD")})
    # keystonemiddleware's service user: admin to validate tokens, service
    # for service_token_roles_required.
    for role_name in ("admin", "service"):
        roles = expect(call("GET", f"{identity}/roles?name={role_name}",
                            token=token), 200, what="list roles")["roles"]
        if not roles:
            sys.exit(f"cloud.py: Keystone has no role {role_name!r}")
        expect(call("PUT", f"{identity}/projects/{project['id']}/users/"
                    f"{user['id']}/roles/{roles[0]['id']}", token=token),
               200, 204, what=f"grant {role_name}")
    service = find_or_create(identity, token, "services", "type=compute", {
        "name": "nova", "type": "compute", "description": "Compute"})
    endpoints = expect(call("GET", f"{identity}/endpoints?service_id="
                            f"{service['id']}", token=token), 200,
                       what="list endpoints")["endpoints"]
    have = {ep["interface"]: ep for ep in endpoints
            if ep.get("region_id") == region}
    for interface in ("public", "internal", "admin"):
        if interface in have:
            if have[interface]["url"] != compute_url:
                expect(call("PATCH", f"{identity}/endpoints/"
                            f"{have[interface]['id']}",
                            {"endpoint": {"url": compute_url}},
                            token=token), 200, what="update endpoint")
            continue
        expect(call("POST", f"{identity}/endpoints", {"endpoint": {
            "service_id": service["id"], "interface": interface,
            "region_id": region, "url": compute_url}}, token=token),
            201, what="create endpoint")
    print(f"keystone: user {user_name} (admin, service) in project service;"
          f" compute endpoints {compute_url}")


def flavors(specs):
    _identity, token = admin_token()
    compute_url = env("COMPUTE_URL").rstrip("/")
    for spec in specs:
        flavor_id, name, ram, vcpus, disk = spec.split(":")
        status, _h, _b = call("GET", f"{compute_url}/flavors/{flavor_id}",
                              token=token)
        if status == 200:
            continue
        expect(call("POST", f"{compute_url}/flavors", {"flavor": {
            "id": flavor_id, "name": name, "ram": int(ram),
            "vcpus": int(vcpus), "disk": int(disk)}}, token=token),
            200, what=f"create flavor {flavor_id}")
    print(f"flavors: {', '.join(s.split(':')[0] for s in specs)}")


def max_microversion(url):
    """The compute API's maximum microversion, as tempest should use it."""
    root = url.split("/v2")[0].rstrip("/") + "/"
    body = expect(call("GET", root), 200, 300, what=f"GET {root}")
    for version in body["versions"]:
        if version["id"] == "v2.1":
            return version["version"]
    sys.exit(f"cloud.py: no v2.1 in {root}: {body}")


def free_ports(count):
    socks = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            socks.append(sock)
        return [s.getsockname()[1] for s in socks]
    finally:
        for sock in socks:
            sock.close()


def wait(url, seconds, pid=None):
    """Until url answers; give up after seconds, or when pid has exited."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError as exc:
            if pid is not None and not os.path.exists(f"/proc/{pid}"):
                sys.exit(f"cloud.py: the server for {url} (pid {pid}) "
                         "exited")
            if time.monotonic() > deadline:
                sys.exit(f"cloud.py: {url} did not answer in {seconds} s: "
                         f"{exc}")
            time.sleep(0.2)


def main(argv):
    if not argv:
        sys.exit(__doc__)
    command, args = argv[0], argv[1:]
    if command == "free-ports":
        print(" ".join(map(str, free_ports(int(args[0])))))
    elif command == "wait":
        wait(args[0], float(args[1]), int(args[2]) if len(args) > 2 else None)
    elif command == "register":
        register()
    elif command == "flavors":
        flavors(args)
    elif command == "max-microversion":
        print(max_microversion(args[0]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
