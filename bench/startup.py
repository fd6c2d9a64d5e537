"""Cold start and memory of the two WSGI entry modules.

Every measurement runs in a fresh interpreter (a subprocess of the venv's
python), is repeated ``--repeat`` (default 9) times, rounds interleaved
after one unmeasured warm-up round (so byte-code caches exist), and the
median is printed (and the fastest run, steadier on a busy machine).

Cases:

* baseline: ``python -c pass`` (interpreter start only);
* floor: a bare import of the dependencies as the API uses them: every
  third-party module, submodules included, that loading that API leaves
  in ``sys.modules`` with the bench configuration (found by loading the
  app in a subprocess and listing the new modules of ``sys.modules`` that
  live in site-packages: not stdlib, not ``nova``, not the stand-ins of
  ``nova.lazy_import``, which loading leaves unimported), each imported on
  its own. What is above it is nova's own code, the config parsing and
  the app build. This is issue #2's floor ("a bare import of the
  project's own dependencies ... about 0.35 s; the dependencies alone
  about 62 MB"): SQLAlchemy's ORM (the models the issue asks for) and the
  oslo.policy enforcer are the dependencies as used, not their packages'
  ``__init__`` alone;
* floor, rare gc (reference only): the floor with the garbage collector's
  thresholds set as the entry modules set them while they load
  (``nova.wsgi.LOADING_THRESHOLDS``: young collections only, every 50,000
  allocations): what that alone gains on the dependencies' imports;
* top-level floor (reference only, the stricter view): a bare ``import``
  of only the third-party top-level packages the API imports (``import
  sqlalchemy`` without its ORM, ``import oslo_policy`` without its
  enforcer): what the submodules the API uses add shows against it;
* the API: ``import nova.wsgi.osapi_compute`` / ``nova.wsgi.metadata``
  (importing the module builds the app);
* the same for the compute API with ``[api] auth_strategy = keystone``
  (the metadata pipeline has no auth, so the strategy does not change it);
* first requests (noauth2): once its figures are taken, the API's child
  answers a first request, then the same request again (warm), by calling
  the WSGI application in-process: ``GET /v2.1/servers/detail`` (compute),
  ``GET /openstack/latest/meta_data.json`` (metadata, the guest identified
  by its address); one more compute child does the same with
  ``GET /v2.1/flavors`` as its first request. The database (SQLite) holds
  one flavor and three servers made through the API beforehand. Whatever
  is built on a first request (the engine, SQL compilation, policy
  decisions, caches, imports left for later) is in that first figure.

"cold start" is wall time from spawning the process until the app is
built (interpreter start included); "import" is the time of the payload
alone, measured inside the child; "cpu" is the child's user + system CPU
time when the payload is done (interpreter start included), which other
work on the machine disturbs far less than wall time. Memory is VmRSS
(and the peak, VmHWM) of the child right after the payload. "ready +
first" is the cold start plus the first request: the time from spawning
the process to its first answer.

Usage: .venv/bin/python bench/startup.py [--repeat N] [--importtime]
"""

import argparse
import json
import os
import subprocess
import sys
import time

import common

# What the entry modules set while they load (nova/wsgi/__init__.py).
LOADING_THRESHOLDS = (50_000, 1_000, 1_000)
TARGET_RATIO = 1.3
TARGET_SECONDS = 0.5
TARGET_MB = 80
APIS = ("osapi_compute", "metadata")

# -- child programs ---------------------------------------------------------

_DISCOVER = r"""
import json, os, site, sys
before = set(sys.modules)
import importlib
importlib.import_module(sys.argv[1])
sites = [os.path.realpath(p) for p in site.getsitepackages()]
user = site.getusersitepackages()
if user:
    sites.append(os.path.realpath(user))

def in_site(mod):
    paths = []
    if getattr(mod, "__file__", None):
        paths.append(mod.__file__)
    paths.extend(getattr(mod, "__path__", []) or [])
    for p in paths:
        real = os.path.realpath(p)
        if any(real == s or real.startswith(s + os.sep) for s in sites):
            return True
    return False

tops, subs, other = [], [], []
for name in list(sys.modules):
    if name in before:
        continue
    top = name.partition(".")[0]
    if top in sys.stdlib_module_names or top == "nova":
        continue
    mod = sys.modules.get(top)
    if mod is None or not in_site(mod):
        if top not in other:
            other.append(top)
        continue
    if top not in tops:
        tops.append(top)
    module = sys.modules.get(name)
    # A stand-in of nova.lazy_import, not used yet, is not imported.
    if module is not None and not (
            type(module).__name__ == "Deferred"
            and module.__dict__.get("_nova_deferred_real") is None):
        subs.append(name)
print(json.dumps({"top": tops, "all": subs, "other": other}))
"""

_TIMED = r"""
import time
_t0 = time.monotonic()
{payload}
_t1 = time.monotonic()
import json, resource
mem = {{}}
try:
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                mem[key] = int(value.split()[0])
except OSError:
    mem["VmHWM"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
_ru = resource.getrusage(resource.RUSAGE_SELF)
_out = {{"t0": _t0, "t1": _t1, "rss_kb": mem.get("VmRSS"),
        "hwm_kb": mem.get("VmHWM"), "extra": globals().get("_extra"),
        "cpu": _ru.ru_utime + _ru.ru_stime}}
{after}
print(json.dumps(_out))
"""

# A WSGI call made in the child itself (no server, no socket): status and
# body checked, the time of the call and of reading the body returned.
_CALL = r"""
import io as _io, sys as _sys, time as _time

def _call(app, method, path, body=b"", **headers):
    env = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "",
           "SCRIPT_NAME": "", "SERVER_NAME": "127.0.0.1",
           "SERVER_PORT": "8774", "SERVER_PROTOCOL": "HTTP/1.1",
           "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1:8774",
           "wsgi.url_scheme": "http", "wsgi.input": _io.BytesIO(body),
           "wsgi.errors": _sys.stderr, "wsgi.version": (1, 0),
           "wsgi.multithread": False, "wsgi.multiprocess": True,
           "wsgi.run_once": False}
    if body:
        env["CONTENT_TYPE"] = "application/json"
        env["CONTENT_LENGTH"] = str(len(body))
    env.update(headers)  # environ keys: HTTP_X_AUTH_TOKEN, REMOTE_ADDR...
    status = []
    start = _time.monotonic()
    result = app(env, lambda s, h, e=None: status.append(s))
    data = b"".join(result)
    close = getattr(result, "close", None)
    if close is not None:
        close()
    took = _time.monotonic() - start
    if not status or not status[0].startswith("2"):
        raise RuntimeError(f"{method} {path}: {status} {data[:300]!r}")
    return took, data
"""

# After the figures of an API child: the first request, then the same again.
_REQUESTS = r"""
import importlib as _importlib
_app = _importlib.import_module({module!r}).application
_first = _call(_app, "GET", {path!r}, **{headers!r})[0]
_second = _call(_app, "GET", {path!r}, **{headers!r})[0]
_out["first"], _out["second"] = _first, _second
"""

# Run once before measuring: an image (nova-manage), then through the
# compute API a flavor and three servers; prints the first server's fixed
# address, which identifies that guest to the metadata API.
_SEED = _CALL + r"""
import json
from nova import loading
from nova.cmd import manage
image = "6a1e0b1c-0000-4000-8000-000000000001"
if manage.main(["image", "create", "startup-bench", "--id", image]) != 0:
    raise SystemExit("nova-manage image create failed")
app = loading.load_app("osapi_compute")
admin = {"HTTP_X_AUTH_TOKEN": "admin:admin"}
_call(app, "POST", "/v2.1/flavors", json.dumps({"flavor": {
    "name": "startup.1", "id": "1", "ram": 64, "vcpus": 1,
    "disk": 1}}).encode(), **admin)
for i in range(3):
    _call(app, "POST", "/v2.1/servers", json.dumps({"server": {
        "name": f"startup-{i}", "imageRef": image,
        "flavorRef": "1"}}).encode(), **admin)
body = json.loads(_call(app, "GET", "/v2.1/servers/detail", **admin)[1])
addresses = [a["addr"] for s in body["servers"]
             for net in s["addresses"].values() for a in net]
print(json.dumps(sorted(addresses)[0]))
"""

# (API, path, extra environ) of the first requests; the guest's address is
# filled in once the data is made.
_COMPUTE_HEADERS = {"HTTP_X_AUTH_TOKEN": "admin:admin"}
FIRST_REQUESTS = {
    "osapi_compute": ("/v2.1/servers/detail", _COMPUTE_HEADERS),
    "metadata": ("/openstack/latest/meta_data.json", {}),
}
EXTRA_FIRST = [("osapi_compute", "/v2.1/flavors", _COMPUTE_HEADERS)]

_FLOOR_PLUS = r"""
_extra = []
for _name in {names!r}:
    try:
        __import__(_name)
    except Exception as _exc:
        _extra.append(_name)
"""


class Case:
    def __init__(self, label, payload, env, floor=None, kind="api",
                 after="", request=None):
        self.label = label
        self.payload = payload
        self.env = env
        self.floor = floor  # the Case this one is compared with
        self.kind = kind
        self.after = after  # run once the figures are taken
        self.request = request  # what ``after`` asks, for the report
        self.samples = []

    def run_once(self):
        code = _TIMED.format(payload=self.payload, after=self.after)
        start = time.monotonic()
        proc = subprocess.run([common.PYTHON, "-c", code], env=self.env,
                              cwd=self.env[common.ENV_DIR],
                              capture_output=True, text=True, timeout=120)
        end = time.monotonic()
        if proc.returncode != 0:
            raise RuntimeError(f"{self.label}: child failed "
                               f"({proc.returncode}):\n{proc.stderr}")
        data = json.loads(proc.stdout.strip().splitlines()[-1])
        data["ready"] = data["t1"] - start
        data["import"] = data["t1"] - data["t0"]
        data["process"] = end - start
        return data

    def measure(self):
        self.samples.append(self.run_once())

    def med(self, key):
        return common.median([s[key] for s in self.samples
                              if s.get(key) is not None])

    def best(self, key):
        return min(s[key] for s in self.samples)


def discover(module, env):
    proc = subprocess.run([common.PYTHON, "-c", _DISCOVER, module], env=env,
                          cwd=env[common.ENV_DIR],
                          capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"loading {module} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def seed(env):
    """Make the data the first requests read; the guest's address."""
    proc = subprocess.run([common.PYTHON, "-c", _SEED], env=env,
                          cwd=env[common.ENV_DIR],
                          capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"making the bench data failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def requests_after(module, path, headers):
    return _CALL + _REQUESTS.format(module=module, path=path,
                                    headers=headers)


def floor_payload(tops):
    return "\n".join(f"import {name}" for name in tops) or "pass"


def _parse_importtime(stderr):
    """Rows [self_us, cumulative_us, name, depth, children, parent]."""
    rows, pending = [], {}
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        fields = line[len("import time:"):].split("|")
        name = fields[2]
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        row = [int(fields[0]), int(fields[1]), name.strip(), depth,
               pending.pop(depth + 1, []), None]
        for child in row[4]:
            child[5] = row
        pending.setdefault(depth, []).append(row)
        rows.append(row)
    return rows


def _importtime(code, env):
    proc = subprocess.run([common.PYTHON, "-X", "importtime", "-c", code],
                          env=env, cwd=env[common.ENV_DIR],
                          capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"-X importtime failed:\n{proc.stderr[-2000:]}")
    return _parse_importtime(proc.stderr)


def _group(name):
    parts = name.split(".")
    if parts[0] in sys.stdlib_module_names:
        return "(stdlib)"
    return ".".join(parts[:2])


def _is_nova(name):
    return name.partition(".")[0] == "nova"


def _chain(row):
    """'a <- b <- nova.x': who imported ``row``, up to the first nova one."""
    names = []
    row = row[5]
    while row is not None:
        names.append(row[2])
        if _is_nova(row[2]):
            break
        row = row[5]
    if len(names) > 3:
        names = names[:1] + ["..."] + names[-2:]
    return " <- ".join(names)


def importtime_report(module, floor_tops, env, top_n=12):
    """Where the time goes, from ``python -X importtime`` (single runs).

    First ``import <module>`` alone: the heaviest imports and which nova
    module pulls each in. Then the floor's packages first and the module
    after them: what the module adds on top of its floor.
    """
    rows = _importtime(f"import {module}", env)
    total = sum(r[0] for r in rows)
    print(f"\n  python -X importtime -c 'import {module}' (one run, tracing "
          f"adds overhead): {total / 1e3:.1f} ms of imports")
    by_pkg = {}
    for row in rows:
        top = row[2].partition(".")[0]
        key = "(stdlib)" if top in sys.stdlib_module_names else top
        by_pkg[key] = by_pkg.get(key, 0) + row[0]
    print("    self time per top-level package:")
    for top, us in sorted(by_pkg.items(), key=lambda kv: -kv[1])[:top_n]:
        print(f"      {us / 1e3:7.1f} ms  {100 * us / total:5.1f} %  {top}")
    print("    third-party imports made directly by nova modules "
          "(cumulative, >= 2 ms):")
    edges = sorted(((child[1], row[2], child[2]) for row in rows
                    if _is_nova(row[2]) for child in row[4]
                    if not _is_nova(child[2])
                    and child[2].partition(".")[0]
                    not in sys.stdlib_module_names), reverse=True)
    for cumul, parent, child in edges[:top_n]:
        if cumul >= 2000:
            print(f"      {cumul / 1e3:7.1f} ms  {parent} -> {child}")
    print("    heaviest single modules (self time) and who imports them:")
    for row in sorted(rows, key=lambda r: -r[0])[:8]:
        print(f"      {row[0] / 1e3:7.1f} ms  {row[2]}"
              + (f"  <- {_chain(row)}" if row[5] is not None else ""))

    rows = _importtime(floor_payload(floor_tops) + f"\nimport {module}", env)
    app_at = max(i for i, r in enumerate(rows)
                 if r[3] == 0 and r[2] == module)
    floor_at = max((i for i, r in enumerate(rows[:app_at]) if r[3] == 0),
                   default=-1)
    floor_us = sum(r[0] for r in rows[:floor_at + 1])
    gap = rows[floor_at + 1:app_at + 1]
    gap_us = sum(r[0] for r in gap)
    print(f"    with the floor's {len(floor_tops)} packages imported first "
          f"({floor_us / 1e3:.1f} ms), import {module} adds "
          f"{gap_us / 1e3:.1f} ms:")
    by_group = {}
    for row in gap:
        key = _group(row[2])
        if row[2] == module:
            key = f"{module} module body (config, logging, paste app build)"
        by_group[key] = by_group.get(key, 0) + row[0]
    for key, us in sorted(by_group.items(), key=lambda kv: -kv[1])[:top_n]:
        print(f"      {us / 1e3:7.1f} ms  {key}")


def mb(kb):
    return float("nan") if kb is None else kb / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=9,
                        help="runs per case; the median is printed "
                             "(default 9)")
    parser.add_argument("--importtime", action="store_true",
                        help="also print where import time goes "
                             "(python -X importtime) for each API")
    parser.add_argument("--no-keystone", action="store_true",
                        help="skip the auth_strategy = keystone variant")
    parser.add_argument("--no-requests", action="store_true",
                        help="skip the first-request figures")
    args = parser.parse_args()

    with common.config_dir("noauth2") as noauth_dir, \
            common.config_dir("keystone") as ks_dir:
        env = common.env_for(noauth_dir)
        ks_env = common.env_for(ks_dir)
        guest = None if args.no_requests else seed(env)
        baseline = Case("baseline: python -c pass", "pass", env,
                        kind="baseline")
        cases, deps = [baseline], {}
        variants = [(api, "noauth2", env) for api in APIS]
        if not args.no_keystone:
            variants.append(("osapi_compute", "keystone", ks_env))
        for api, strategy, var_env in variants:
            module = f"nova.wsgi.{api}"
            found = discover(module, var_env)
            deps[(api, strategy)] = found
            tag = f"{api}, {strategy}"
            floor = Case(
                f"floor: {len(found['all'])} dep modules [{tag}]",
                _FLOOR_PLUS.format(names=found["all"]), var_env,
                kind="floor")
            # The entry modules make the garbage collector run rarely
            # while they load (nova/wsgi/__init__.py): the same done to
            # the floor shows what that alone is worth on the dependencies.
            floor_gc = Case(
                f"floor, rare gc [{tag}]",
                "import gc\ngc.set_threshold(*%r)\n" % (LOADING_THRESHOLDS,)
                + _FLOOR_PLUS.format(names=found["all"]),
                var_env, floor=floor, kind="floor-gc")
            floor_top = Case(
                f"top-level floor: {len(found['top'])} pkgs [{tag}]",
                floor_payload(found["top"]), var_env, floor=floor,
                kind="floor-top")
            after, request = "", None
            if strategy == "noauth2" and not args.no_requests:
                path, headers = FIRST_REQUESTS[api]
                if api == "metadata":
                    headers = {"REMOTE_ADDR": guest}
                after = requests_after(module, path, headers)
                request = f"GET {path} [{api}]"
            app = Case(f"{module} [{strategy}]", f"import {module}",
                       var_env, floor=floor, kind="api", after=after,
                       request=request)
            app.api, app.strategy = api, strategy
            app.floor_gc, app.floor_top = floor_gc, floor_top
            cases += [floor, floor_gc, floor_top, app]
        if not args.no_requests:
            for api, path, headers in EXTRA_FIRST:
                module = f"nova.wsgi.{api}"
                cases.append(Case(
                    f"{module} [noauth2], first GET {path}",
                    f"import {module}", env, kind="first",
                    after=requests_after(module, path, headers),
                    request=f"GET {path} [{api}]"))

        print(f"Python {sys.version.split()[0]} ({common.PYTHON}), "
              f"{os.cpu_count()} CPUs; median of {args.repeat} fresh "
              "interpreters per case (+1 warm-up round)")
        for (api, strategy), found in deps.items():
            print(f"\nThird-party packages imported by nova.wsgi.{api} "
                  f"[{strategy}] ({len(found['top'])} packages, "
                  f"{len(found['all'])} modules):")
            print("  " + ", ".join(found["top"]))
            if found["other"]:
                print("  (new top-level modules outside site-packages, not "
                      "counted: " + ", ".join(found["other"]) + ")")
        if ("osapi_compute", "keystone") in deps:
            extra = [t for t in deps[("osapi_compute", "keystone")]["top"]
                     if t not in deps[("osapi_compute", "noauth2")]["top"]]
            print(f"\n  keystone adds {len(extra)} packages: "
                  + ", ".join(extra))

        for case in cases:  # warm-up: byte-code caches, page cache
            case.run_once()
        for _ in range(args.repeat):
            for case in cases:
                case.measure()

        failed = [c for c in cases if c.kind == "floor" and
                  any(s["extra"] for s in c.samples)]
        if failed:
            print()
        for case in failed:
            print(f"  note: {case.label}: could not be imported on their "
                  f"own (skipped): {', '.join(case.samples[0]['extra'])}")

        print(f"\n{'case':50} {'cold start':>10} {'import':>7} "
              f"{'x floor':>7} {'best':>6} {'x floor':>7} "
              f"{'cpu':>6} {'x floor':>7} {'VmRSS':>6} {'VmHWM':>6}")
        print(f"{'':50} {'s':>10} {'s':>7} {'':>7} {'s':>6} {'(best)':>7} "
              f"{'s':>6} {'(cpu)':>7} {'MB':>6} {'MB':>6}")
        for case in cases:
            if case.kind == "first":
                continue
            ratio = best_ratio = cpu_ratio = ""
            if case.floor is not None:
                ratio = f"{case.med('ready') / case.floor.med('ready'):.2f}"
                best = case.best("ready") / case.floor.best("ready")
                best_ratio = f"{best:.2f}"
                cpu_ratio = f"{case.med('cpu') / case.floor.med('cpu'):.2f}"
            if case.kind == "floor":
                ratio = best_ratio = cpu_ratio = "1.00"
            print(f"{case.label:50} {case.med('ready'):10.3f} "
                  f"{case.med('import'):7.3f} {ratio:>7} "
                  f"{case.best('ready'):6.3f} {best_ratio:>7} "
                  f"{case.med('cpu'):6.3f} {cpu_ratio:>7} "
                  f"{mb(case.med('rss_kb')):6.1f} "
                  f"{mb(case.med('hwm_kb')):6.1f}")
        print("(cold start, import, cpu, VmRSS, VmHWM: medians; best: the "
              "fastest run; cpu: the child's user+system CPU time, "
              "interpreter start included: both steadier on a busy "
              "machine; targets use the wall-time medians)")

        asked = [c for c in cases if c.request]
        if asked:
            print(f"\n{'first request in a fresh process (noauth2)':50} "
                  f"{'first':>7} {'second':>7} {'ready':>7} {'ready +':>8}")
            print(f"{'':50} {'ms':>7} {'ms':>7} {'s':>7} {'first s':>8}")
            for case in asked:
                answered = common.median(
                    [s["ready"] + s["first"] for s in case.samples])
                print(f"{case.request:50} {1e3 * case.med('first'):7.1f} "
                      f"{1e3 * case.med('second'):7.1f} "
                      f"{case.med('ready'):7.3f} {answered:8.3f}")
            print("(medians; first: the first request the process answers, "
                  "second: the same request again; ready + first: from "
                  "spawning the process to its first answer)")

        print(f"\nTargets: cold start <= {TARGET_RATIO}x floor and <= "
              f"{TARGET_SECONDS} s per API; <= {TARGET_MB} MB resident")
        misses = 0
        noauth_floor = {c.api: c.floor for c in cases
                        if c.kind == "api" and c.strategy == "noauth2"}
        for case in cases:
            if case.kind != "api":
                continue
            ready, rss = case.med("ready"), mb(case.med("rss_kb"))
            ratio = ready / case.floor.med("ready")
            checks = [ratio <= TARGET_RATIO, ready <= TARGET_SECONDS,
                      rss <= TARGET_MB]
            label = "ok" if all(checks) else "MISS"
            misses += not all(checks)
            line = (f"  {label:4} {case.label}: {ready:.3f} s = "
                    f"{ratio:.2f}x its floor "
                    f"({'ok' if checks[0] else 'miss'}), "
                    f"{'ok' if checks[1] else 'miss'} on {TARGET_SECONDS} s, "
                    f"{rss:.1f} MB ({'ok' if checks[2] else 'miss'})")
            line += (f"; {ready / case.floor_gc.med('ready'):.2f}x its floor "
                     f"imported with the same rare gc; stricter view: "
                     f"{ready / case.floor_top.med('ready'):.2f}x the "
                     f"top-level floor")
            if case.strategy != "noauth2":
                base = noauth_floor[case.api].med("ready")
                line += f"; {ready / base:.2f}x the noauth2 floor"
            print(line)
        floors = [c for c in cases if c.kind == "floor"]
        for case in floors:
            rss = mb(case.med("rss_kb"))
            print(f"  {'ok' if rss <= TARGET_MB else 'MISS':4} {case.label}:"
                  f" {rss:.1f} MB")
        print("  import-only view: " + "; ".join(
            f"{c.label} {c.med('import'):.3f} s = "
            f"{c.med('import') / c.floor.med('import'):.2f}x floor import"
            for c in cases if c.kind == "api"))

        if args.importtime:
            for api, strategy, var_env in variants:
                print(f"\n[{api}, auth_strategy = {strategy}]", end="")
                importtime_report(f"nova.wsgi.{api}",
                                  deps[(api, strategy)]["top"], var_env)
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
