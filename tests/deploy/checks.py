"""What the deployment tests ask of a served API, over HTTP.

- ``versions``: ``GET /`` of the compute API is the versions document, its
  links built on the URL it was asked on (or on compute_link_prefix);
- ``authenticated_404``: ``GET /v2.1/nonexistent`` with credentials goes
  through the whole pipeline (request id, auth, router) to the JSON 404;
- ``metadata_root``: ``GET /`` of the metadata API lists the EC2 versions;
- ``unauthorized``: a call without credentials is refused with 401 (and
  ``WWW-Authenticate``);
- ``flavor_round_trip``: an admin creates a flavor and reads it back
  (upstream Nova and this project alike);
- ``loaded``: the log says the API was loaded (``nova.loading`` logs
  "Loaded the <api> API" once per process);
- ``Load``: a bounded load of concurrent clients, each request on a new
  connection, every outcome recorded with its start time;
- ``deployment_check``: ``nova-wsgi-check`` (nova/packaging/check.py) run
  as an operator runs it, from outside, on a bare ``/usr/bin/python3``;
  ``verdicts`` reads its lines, ``assert_deployment_passes`` asserts every
  check it ran passed.
"""

import dataclasses
import json
import os
import re
import subprocess
import threading
import time

from tests.deploy.servers import ROOT, request, wait_for
from tests.helpers import ADMIN


def versions(base, link_base=None):
    resp = request(base + "/")
    assert resp.status == 200, (resp.status, resp.text)
    doc = resp.json()
    hrefs = [v["links"][0]["href"] for v in doc["versions"]]
    assert [v["id"] for v in doc["versions"]] == ["v2.0", "v2.1"]
    expected = (link_base or base).rstrip("/")
    assert hrefs == [f"{expected}/v2/", f"{expected}/v2.1/"], hrefs
    return doc


def authenticated_404(base, headers=ADMIN):
    resp = request(base + "/v2.1/nonexistent", headers=headers)
    assert resp.status == 404, (resp.status, resp.text)
    assert resp.json() == {"itemNotFound": {
        "code": 404, "message": "The resource could not be found."}}
    assert resp.headers["x-openstack-request-id"].startswith("req-")
    assert resp.headers["openstack-api-version"] == "compute 2.1"
    return resp


def metadata_root(base):
    resp = request(base + "/")
    assert resp.status == 200, (resp.status, resp.text)
    assert resp.text.splitlines()[0] == "1.0"
    assert resp.text.splitlines()[-1] == "latest"
    return resp


def unauthorized(base, path="/v2.1/flavors", headers=None):
    """A call without valid credentials: 401 with WWW-Authenticate."""
    resp = request(base + path, headers=headers or {})
    assert resp.status == 401, (resp.status, resp.text)
    assert "www-authenticate" in resp.headers, resp.headers
    return resp


def flavor_round_trip(base, headers, name, ram=64, vcpus=1):
    """Create a flavor as an admin, read it back by its id: the flavor."""
    resp = request(base + "/v2.1/flavors", method="POST", headers={
        **headers, "Content-Type": "application/json"}, body=json.dumps(
        {"flavor": {"name": name, "ram": ram, "vcpus": vcpus, "disk": 0}}))
    assert resp.status == 200, (resp.status, resp.text)
    created = resp.json()["flavor"]
    assert (created["name"], created["ram"]) == (name, ram), created
    resp = request(f"{base}/v2.1/flavors/{created['id']}", headers=headers)
    assert resp.status == 200, (resp.status, resp.text)
    shown = resp.json()["flavor"]
    assert (shown["id"], shown["name"], shown["ram"], shown["vcpus"]) == (
        created["id"], name, ram, vcpus), shown
    return shown


def body_limit(base, size, headers=ADMIN):
    """POST ``size`` bytes: True when the API refused it with its 413."""
    resp = request(base + "/v2.1/nonexistent", method="POST",
                   body=b"x" * size,
                   headers={**headers, "Content-Type": "application/json"})
    if resp.status == 413:
        assert "overLimit" in resp.json(), resp.text
        return True
    return False


def loaded_count(log_text, api):
    return len(re.findall(rf"INFO nova\.loading .*Loaded the {api} API",
                          log_text))


def wait_loaded(read_log, api, count=1, timeout=90):
    """Wait, without sending any request, until ``count`` processes
    logged that they loaded ``api`` (``osapi_compute``/``metadata``)."""
    return wait_for(lambda: loaded_count(read_log(), api) >= count, timeout,
                    f"{count} 'Loaded the {api} API' lines in the log")


@dataclasses.dataclass
class Outcome:
    start: float
    end: float
    status: object  # an HTTP status, or the exception's repr


class Load:
    """``clients`` threads sending ``GET url`` until ``after`` seconds past
    the end of the action that ``run`` performs during the load."""

    def __init__(self, url, headers=None, clients=3, ok=(200,), timeout=30):
        self.url, self.headers, self.ok = url, headers or {}, ok
        self.clients, self.timeout = clients, timeout
        self.outcomes = []
        self._lock = threading.Lock()
        self._stop_at = float("inf")

    def _client(self):
        while time.monotonic() < self._stop_at:
            start = time.monotonic()
            try:
                status = request(self.url, headers=self.headers,
                                 timeout=self.timeout).status
            except Exception as exc:  # noqa: BLE001 - recorded, asserted on
                status = repr(exc)
            with self._lock:
                self.outcomes.append(Outcome(start, time.monotonic(), status))

    def run(self, action, at=1.0, after=2.0):
        """Start the load, call ``action()`` ``at`` seconds in, keep the
        load going ``after`` more seconds once it returns."""
        threads = [threading.Thread(target=self._client, daemon=True)
                   for _ in range(self.clients)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(at)
            action()
        finally:
            self._stop_at = time.monotonic() + after
            for thread in threads:
                thread.join(after + self.timeout + 10)
        assert not any(t.is_alive() for t in threads), "a load client hung"

    def failures(self):
        return [o for o in self.outcomes if o.status not in self.ok]

    def summary(self):
        counts = {}
        for o in self.outcomes:
            counts[o.status] = counts.get(o.status, 0) + 1
        return counts


def request_across(port, action, pause=0.5):
    """A request whose headers arrive in two halves, ``action()`` running
    in between: the server holds it in flight when ``action`` happens.
    Returns the status of the answer (0 when none came)."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"GET /healthcheck HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        time.sleep(pause)
        action()
        time.sleep(pause)
        sock.sendall(b"Connection: close\r\n\r\n")
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    match = re.match(rb"HTTP/1\.[01] (\d{3}) ", data)
    return int(match.group(1)) if match else 0


# -- nova-wsgi-check ----------------------------------------------------------

# A bare interpreter, without site-packages (-S): the check needs nothing
# but the standard library, as an upstream operator's /usr/bin/python3.
CHECK_PYTHON = "/usr/bin/python3"


def deployment_check(compute_url, metadata_url=None, token=None, extra=(),
                     user=None, password=None, timeout=150, kit=None):
    """Run ``python3 -S -m nova.packaging.check`` from this checkout on
    ``compute_url`` (None: the metadata API alone) and ``metadata_url``;
    ``token`` goes in OS_TOKEN, ``user`` to --user with ``password`` in
    OS_PASSWORD (never on the command line); ``--timeout 30 --max-time
    120`` unless ``extra`` says otherwise. Returns (exit status, output
    lines); fails on any output to stderr (no traceback, ever) and when
    the token or password shows in the output. ``kit``: run
    ``python3 -I KIT check`` instead (the single-file kit, as an operator
    of upstream Nova would)."""
    python = CHECK_PYTHON if os.path.exists(CHECK_PYTHON) else "python3"
    argv = ([python, "-I", str(kit), "check"] if kit else
            [python, "-S", "-m", "nova.packaging.check"])
    argv += [compute_url] if compute_url else []
    argv += ["--metadata", metadata_url] if metadata_url else []
    argv += ["--user", user] if user else []
    env = {k: v for k, v in os.environ.items()
           if k not in ("OS_TOKEN", "OS_AUTH_TOKEN", "OS_PASSWORD")
           and not k.startswith("PYTHON")}
    env.update({"OS_TOKEN": token} if token else {})
    env.update({"OS_PASSWORD": password} if password else {})
    # Bounds for a loaded test machine (2 cores shared); ``extra`` wins.
    bounds = ["--timeout", "30", "--max-time", "120"]
    proc = subprocess.run([*argv, *bounds, *extra], cwd=ROOT, env=env,
                          text=True, capture_output=True, timeout=timeout)
    assert proc.stderr == "", proc.stderr
    for secret in (token, password):
        assert not secret or secret not in proc.stdout, "a secret printed"
    lines = proc.stdout.splitlines()
    assert all(re.match(r"(PASS|FAIL|WARN|SKIP) [a-z0-9-]+: .", line)
               for line in lines), proc.stdout
    return proc.returncode, lines


def verdicts(lines):
    """{check name: (verdict, detail)} of the check's output lines."""
    out = {}
    for line in lines:
        verdict, rest = line.split(" ", 1)
        name, detail = rest.split(": ", 1)
        out[name] = (verdict, detail)
    return out


COMPUTE_CHECKS = ("compute-versions", "compute-auth",
                  "compute-microversions", "compute-request-ids",
                  "compute-body-limit")


def assert_deployment_passes(compute_url, metadata_url=None, tls=False,
                             **kwargs):
    """The check on both APIs: exit 0 and a PASS line for each check,
    credentials given (see ``deployment_check``); the verdicts."""
    rc, lines = deployment_check(compute_url, metadata_url, **kwargs)
    expected = [*(["compute-tls"] if tls else []), *COMPUTE_CHECKS]
    if metadata_url:
        expected += [*(["metadata-tls"] if tls else []), "metadata-versions"]
    found = verdicts(lines)
    assert list(found) == expected, lines
    assert {name: v for name, (v, _detail) in found.items()} == dict.fromkeys(
        expected, "PASS"), lines
    assert rc == 0, lines
    return found
