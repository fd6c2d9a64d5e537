"""Fuzz the compute API under gunicorn with schemathesis, from the checked-in
OpenAPI description; shared by the short run in the suite
(tests/robustness/test_fuzz.py) and the long run (tools/fuzz.py).

- Both APIs' real server: gunicorn with the shipped config, noauth2,
  SQLite, the built-in driver without delays; its access log is kept, so
  the status of every request the server answered is counted here,
  independently of schemathesis.
- Seeded objects: a flavor with an extra spec, an image, a keypair, a
  server with metadata and a tag. A copy of the description given to
  schemathesis lets each path parameter, by its name, also take the
  seeded values (``SEEDED``), so generated requests reach existing objects
  and not only 404s. Nothing per route: a parameter name missing here
  keeps its random strings.
- Identities: schemathesis runs once as the admin and once as a member of
  project-a (the owner of the seeded objects); a third run as a member of
  another project is the cross-project view.
- Workers: schemathesis's threads parse Python source at the same time
  (hypothesis describing lambdas), which CPython 3.11's ``ast`` does not
  survive ("AST constructor recursion depth mismatch"): the short run
  uses one worker; the long run reports such tool errors apart.
- Checks: no 5xx (``not_a_server_error``), documented status codes,
  content types and response bodies (the success and fault shapes).
"""

import collections
import dataclasses
import json
import re
import subprocess
import time

from tests.deploy import servers
from tests.helpers import ADMIN, IMAGE
from tests.robustness.serve import Stack, call, member

DESCRIPTION = servers.ROOT / "docs" / "api" / "compute-openapi.json"
CHECKS = ("not_a_server_error,status_code_conformance,"
          "content_type_conformance,response_schema_conformance")
IDENTITIES = {
    "admin": "admin:admin",
    "member": "alice:project-a",
    "other-project": "mallory:project-b",
}
_STATUS = re.compile(r'" (\d{3}) ')


@dataclasses.dataclass
class Run:
    identity: str
    report: dict
    seconds: float

    @property
    def generated(self):
        return self.report["test_cases"]["generated"]

    @property
    def failures(self):
        return self.report["failures"]

    @property
    def errors(self):
        return self.report["errors"]

    output: str = ""


@dataclasses.dataclass
class Outcome:
    runs: list
    statuses: collections.Counter  # from the server's access log
    log_tail: str

    @property
    def requests(self):
        return sum(self.statuses.values())

    @property
    def server_errors(self):
        return sum(n for code, n in self.statuses.items() if code >= 500)

    def summary(self):
        lines = [f"requests answered by gunicorn: {self.requests}",
                 "statuses: " + ", ".join(
                     f"{code}: {n}" for code, n in sorted(
                         self.statuses.items())),
                 f"5xx: {self.server_errors}"]
        for run in self.runs:
            lines.append(
                f"{run.identity}: {run.generated} cases in "
                f"{run.seconds:.0f} s, failures {len(run.failures)}, "
                f"tool errors {len(run.errors)}")
            for failure in run.failures:
                lines.append(f"  FAILURE {failure}")
            if run.failures or run.errors:
                lines.append(run.output)
            for error in run.errors:
                lines.append(f"  tool error {str(error)[:300]}")
        return "\n".join(lines)


def _failures_text(stdout):
    """The ERRORS and FAILURES sections of schemathesis's output."""
    starts = [i for i in (stdout.find("= ERRORS ="),
                          stdout.find("= FAILURES =")) if i >= 0]
    start = min(starts) if starts else -1
    if start < 0:
        return ""
    end = stdout.find("= WARNINGS =", start)
    text = stdout[start:end if end > 0 else start + 20000]
    return "\n".join(line[:300] for line in text.splitlines()[:200])


def _api(base, method, path, body=None, headers=ADMIN, version="2.1"):
    resp = call(base, method, path, body, headers=headers, version=version)
    assert resp.status < 300, (method, path, resp.status, resp.text)
    return resp.json() if resp.body else None


def seed(stack, base):
    """Objects for the fuzzer to find; returns {parameter name: [values]}."""
    stack.nova_manage("image", "create", "cirros", "--id", IMAGE)
    flavor = _api(base, "POST", "/flavors", {"flavor": {
        "name": "fuzz", "ram": 512, "vcpus": 1, "disk": 1, "id": "fuzz"}})
    _api(base, "POST", "/flavors/fuzz/os-extra_specs",
         {"extra_specs": {"hw:cpu_policy": "shared"}})
    owner = member()
    _api(base, "POST", "/os-keypairs", {"keypair": {"name": "fuzz-key"}},
         headers=owner)
    server = _api(base, "POST", "/servers", {"server": {
        "name": "fuzz", "imageRef": IMAGE, "flavorRef": "fuzz",
        "networks": "auto", "metadata": {"role": "fuzz"},
        "tags": ["fuzz"], "key_name": "fuzz-key"}},
        headers=owner, version="2.52")["server"]
    return {
        "server_id": [server["id"]],
        "flavor_id": [flavor["flavor"]["id"], "1"],
        "image_id": [IMAGE],
        "keypair_name": ["fuzz-key"],
        "key": ["role", "hw:cpu_policy"],
        "tag": ["fuzz"],
        "network_label": ["private", "public"],
    }


def description_with(values, path):
    """The checked-in description, path parameters also taking ``values``."""
    document = json.loads(DESCRIPTION.read_text())
    for item in document["paths"].values():
        for op in item.values():
            for param in op.get("parameters", ()):
                if param["in"] == "path" and param["name"] in values:
                    param["schema"] = {"anyOf": [
                        {"enum": values[param["name"]]}, param["schema"]]}
    path.write_text(json.dumps(document))
    return path


def _answered(access):
    return sum(1 for _ in access.open()) if access.exists() else 0


def run(workdir, max_examples, phases="examples,coverage,fuzzing",
        identities=tuple(IDENTITIES), workers=2, max_time=None,
        seed_value=None, timeout=600, min_requests=0, deadline=None):
    """Serve, seed, fuzz as each identity; the outcome.

    With ``min_requests``, rounds over the identities (each with a seed of
    its own) go on until the server has answered that many requests or
    ``deadline`` (a time.monotonic() value) has passed."""
    stack = Stack(workdir)
    access = workdir.path / "access.log"
    base = stack.start("compute", extra_args=("--access-logfile",
                                               str(access)))
    runs = []
    try:
        values = seed(stack, base)
        spec = description_with(values, workdir.path / "openapi.json")
        rounds = [(0, identity) for identity in identities]
        while rounds:
            round_no, identity = rounds.pop(0)
            if round_no and (_answered(access) >= min_requests or (
                    deadline is not None and time.monotonic() > deadline)):
                break
            if not rounds and _answered(access) < min_requests:
                rounds = [(round_no + 1, i) for i in identities]
            report_path = workdir.path / f"st-{identity}-{round_no}.json"
            argv = [str(servers.VENV_BIN / "st"), "run", str(spec),
                    "--url", base,
                    "-H", f"X-Auth-Token: {IDENTITIES[identity]}",
                    "-n", str(max_examples), "--phases", phases,
                    "--checks", CHECKS, "-w", str(workers), "--no-shrink",
                    "--request-timeout", "30",
                    "--suppress-health-check", "all",
                    "--report", "json", "--report-json-path",
                    str(report_path)]
            if max_time:
                argv += ["--max-time", str(max_time)]
            if seed_value is not None:
                argv += ["--seed", str(seed_value + round_no)]
            started = time.monotonic()
            proc = subprocess.run(argv, capture_output=True, text=True,
                                  timeout=timeout, cwd=workdir.path)
            seconds = time.monotonic() - started
            out = workdir.path / f"st-{identity}-{round_no}.out"
            out.write_text(proc.stdout)
            if not report_path.exists():
                raise AssertionError(proc.stdout[-3000:] + proc.stderr[-3000:])
            runs.append(Run(identity, json.loads(report_path.read_text()),
                            seconds, output=_failures_text(proc.stdout)))
    finally:
        log_tail = stack.output()[-5000:]
        stack.stop()
    statuses = collections.Counter(
        int(m.group(1)) for m in map(_STATUS.search,
                                     access.read_text().splitlines()) if m)
    return Outcome(runs, statuses, log_tail)
