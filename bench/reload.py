"""Requests lost by each way of reloading the compute API, under load.

    .venv/bin/python bench/reload.py [--rounds 10] [--methods graceful,...]

As root (Apache runs the daemons as www-data). Every method is run
--rounds times under the deployment tests' bounded load
(``tests/deploy/checks.py`` ``Load``: 3 clients, each request on a new
connection, ``GET /v2.1/nonexistent`` with a noauth2 token, a JSON 404 being
the right answer): the load runs 1 s, then the method, which waits until
every new process has logged "Loaded the osapi_compute API" (90 s at
most), then 2 s more. Anything but a 404 is a lost request.

Methods (all on 127.0.0.1, in a temporary tree removed at the end):

- one private Apache (``tests/deploy/servers.py``) with both shipped
  snippets (``render_vhost``: compute 4 daemons, metadata 2, threads=1),
  noauth2 on SQLite: ``graceful`` (``apache2ctl -k graceful``, what
  ``systemctl reload`` and a logrotate ``postrotate`` do), ``restart``
  (``apache2ctl -k restart``), ``reload`` (``python3 -m
  nova.packaging.reload --pidfile ...``, i.e. ``nova-wsgi-reload``: both
  APIs, SIGUSR1 to each daemon), ``reload-rolling`` (the same with
  ``--rolling``: one daemon after the other), ``touch`` (``touch`` the
  compute API's ``.wsgi`` script: mod_wsgi's script reloading, on by
  default; each daemon restarts at its next request);
- gunicorn from the shipped ``nova-compute-api.conf.py`` (4 sync workers,
  ``--bind`` on the command line): ``gunicorn-hup`` (SIGHUP to the
  master);
- uWSGI from the shipped ini (``render_uwsgi`` with this run's address;
  4 workers, lazy-apps) plus a ``master-fifo``: ``uwsgi-hup`` (SIGHUP to
  the master) and ``uwsgi-chain`` (``c`` written to the master FIFO: a
  chain reload, one worker after the other).

Printed: per method, the rounds that lost any request, lost/total, what
the lost requests got, the median time from the signal until every new
process had loaded the API, and the longest any request took (requests
made during a reload wait for it). Exit 1 when a method that should lose
nothing (all but ``graceful`` and ``restart``) lost a request, or a round
did not finish. About 10 minutes with the defaults.
"""

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
# The repository root, for tests.deploy (the deployment tests' helpers are
# not installed; nova is).
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

from nova.packaging import render  # noqa: E402
from tests.deploy import checks, servers  # noqa: E402

LOSSLESS = ("reload", "reload-rolling", "touch", "gunicorn-hup",
            "uwsgi-hup", "uwsgi-chain")
METHODS = ("graceful", "restart", *LOSSLESS)
APACHE_METHODS = METHODS[:5]
LABELS = {
    "graceful": "apachectl -k graceful",
    "restart": "apachectl -k restart",
    "reload": "nova-wsgi-reload",
    "reload-rolling": "nova-wsgi-reload --rolling",
    "touch": "touch the .wsgi script",
    "gunicorn-hup": "gunicorn: kill -HUP",
    "uwsgi-hup": "uWSGI: kill -HUP",
    "uwsgi-chain": "uWSGI: chain reload",
}
API = "compute"
PROCESSES = render.APIS[API].processes
LOADED_TIMEOUT = 90


def _loaded(text):
    return checks.loaded_count(text, "osapi_compute")


def _wait_loaded(read, before, what):
    """Until ``PROCESSES`` more processes logged that they loaded."""
    try:
        checks.wait_loaded(read, "osapi_compute", before + PROCESSES,
                           timeout=LOADED_TIMEOUT)
    except AssertionError as exc:
        raise RuntimeError(f"{what}: {exc}") from None


class ApacheServer:
    """Both shipped snippets on a private Apache; the compute API loaded."""

    def __init__(self, tree):
        etc = tree.config("etc", auth="noauth2")
        scripts = tree.mkdir("scripts")
        self.logs = tree.mkdir("logs")
        for api in render.APIS:
            tree.write(f"scripts/{render.script_filename(api)}",
                       render.render_wsgi_script(api, config_dir=str(etc)))
        self.script = scripts / render.script_filename(API)
        self.port = servers.free_port()
        ports = {API: self.port, "metadata": servers.free_port()}
        self.apache = servers.Apache(tree, "httpd", [
            (render.vhost_filename(api), render.render_vhost(
                api, "debian", port=ports[api], listen_address="127.0.0.1",
                user=servers.RUN_AS, group=servers.RUN_AS,
                script_dir=str(scripts), log_dir=str(self.logs),
                python_home=str(servers.VENV)))
            for api in render.APIS])
        ok, output = self.apache.check()
        if not ok:
            raise RuntimeError(output)
        self.apache.start()
        _wait_loaded(self.log, 0, "Apache")

    def log(self):
        path = self.logs / f"{render.APIS[API].name}_error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def pidfile(self):
        return self.apache.root / "run" / "httpd.pid"

    def action(self, method):
        if method in ("graceful", "restart"):
            proc = self.apache.ctl("-k", method)
            if proc.returncode != 0:
                raise RuntimeError(proc.stdout + proc.stderr)
        elif method in ("reload", "reload-rolling"):
            proc = subprocess.run(
                [sys.executable, "-m", "nova.packaging.reload",
                 "--pidfile", str(self.pidfile()),
                 *(["--rolling"] if method == "reload-rolling" else [])],
                capture_output=True, text=True, timeout=120)
            if proc.returncode != 0:
                raise RuntimeError(proc.stdout + proc.stderr)
        elif method == "touch":
            os.utime(self.script)
        else:
            raise ValueError(method)

    def stop(self):
        self.apache.stop()


class ModuleServer:
    """gunicorn or uWSGI from the shipped config, on a free port."""

    def __init__(self, tree, kind):
        etc = tree.config(f"etc-{kind}", auth="noauth2")
        self.port = servers.free_port()
        bind = f"127.0.0.1:{self.port}"
        env = servers.clean_env(OS_NOVA_CONFIG_DIR=str(etc))
        self.fifo = None
        if kind == "gunicorn":
            conf = (servers.ROOT / "deployment" / "gunicorn"
                    / render.gunicorn_filename(API))
            argv = [servers.VENV_BIN / "gunicorn", "-c", conf,
                    "--bind", bind]
        else:
            self.fifo = tree.path / "uwsgi.fifo"
            ini = tree.write(render.uwsgi_filename(API),
                             render.render_uwsgi(API, bind=bind)
                             + f"master-fifo = {self.fifo}\n")
            argv = [servers.VENV_BIN / "uwsgi", "--ini", ini]
        self.proc = servers.Process(argv, tree.path / f"{kind}.log", env=env,
                                    cwd=tree.path)
        _wait_loaded(self.log, 0, kind)

    def log(self):
        return self.proc.output()

    def action(self, method):
        if method.endswith("-hup"):
            os.kill(self.proc.pid, signal.SIGHUP)
        elif method == "uwsgi-chain":
            with open(self.fifo, "w") as fh:
                fh.write("c")
        else:
            raise ValueError(method)

    def stop(self):
        # SIGINT: stops either at once (uWSGI reloads on a plain SIGTERM).
        self.proc.stop(signal.SIGINT)


def one_round(server, method, headers):
    before = _loaded(server.log())
    marks = {}

    def act():
        marks["began"] = time.monotonic()
        server.action(method)
        _wait_loaded(server.log, before, method)
        marks["ready"] = time.monotonic()

    load = checks.Load(f"http://127.0.0.1:{server.port}/v2.1/nonexistent",
                       headers=headers, clients=3, ok=(404,))
    load.run(act, at=1.0, after=2.0)
    return load, marks["ready"] - marks["began"]


def _kind(status):
    if isinstance(status, int):
        return str(status)
    return status.split("(", 1)[0]  # the exception's class


def summarize(method, rounds):
    lost = total = losing = 0
    kinds = {}
    longest = 0.0
    for load, _ in rounds:
        failures = load.failures()
        lost += len(failures)
        total += len(load.outcomes)
        losing += bool(failures)
        for o in failures:
            kinds[_kind(o.status)] = kinds.get(_kind(o.status), 0) + 1
        longest = max([longest, *(o.end - o.start for o in load.outcomes)])
    return {"method": method, "rounds": len(rounds), "losing": losing,
            "lost": lost, "total": total,
            "kinds": ", ".join(f"{k} x{n}" for k, n in sorted(kinds.items()))
            or "-",
            "reload": statistics.median(t for _, t in rounds),
            "longest": longest}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=10,
                   help="rounds of each method (default 10)")
    p.add_argument("--methods", default=",".join(METHODS),
                   help=f"comma-separated, of: {', '.join(METHODS)}")
    args = p.parse_args(argv)
    methods = [m for m in args.methods.split(",") if m]
    unknown = set(methods) - set(METHODS)
    if unknown:
        p.error(f"unknown method(s): {', '.join(sorted(unknown))}")
    if os.geteuid() != 0:
        p.error("run as root: Apache runs the daemons as www-data")
    headers = {"X-Auth-Token": "admin:admin"}
    results, errors = [], []
    groups = [("apache", [m for m in methods if m in APACHE_METHODS]),
              ("gunicorn", [m for m in methods if m.startswith("gunicorn")]),
              ("uwsgi", [m for m in methods if m.startswith("uwsgi")])]
    started = time.monotonic()
    for kind, group in groups:
        if not group:
            continue
        tree = servers.Workdir(prefix=f"nova-bench-reload-{kind}-")
        server = None
        try:
            server = (ApacheServer(tree) if kind == "apache"
                      else ModuleServer(tree, kind))
            for method in group:
                rounds = []
                for n in range(args.rounds):
                    try:
                        rounds.append(one_round(server, method, headers))
                    except RuntimeError as exc:
                        errors.append(f"{method} round {n + 1}: {exc}")
                        break
                    load = rounds[-1][0]
                    print(f"  {method} round {n + 1}: "
                          f"{len(load.failures())}/{len(load.outcomes)} "
                          f"lost, reload {rounds[-1][1]:.1f} s",
                          file=sys.stderr, flush=True)
                if rounds:
                    results.append(summarize(method, rounds))
        finally:
            if server is not None:
                server.stop()
            tree.cleanup()
    print(f"Reloading the compute API under load: 3 clients, a new "
          f"connection per request, {PROCESSES} processes x 1 thread; "
          f"{args.rounds} round(s) per method; "
          f"{time.monotonic() - started:.0f} s in all")
    print(f"{'method':<28} {'rounds losing':>13} {'lost/total':>12}  "
          f"{'reload':>6} {'longest':>7}  lost requests got")
    for r in results:
        label = LABELS[r["method"]]
        print(f"{label:<28} {r['losing']:>6} of {r['rounds']:<4} "
              f"{r['lost']:>5}/{r['total']:<6}  {r['reload']:>5.1f}s "
              f"{r['longest']:>6.1f}s  {r['kinds']}")
    print("reload: median time from the signal until every new process had "
          "loaded the API; longest: the slowest request of all rounds")
    for error in errors:
        print(f"error: {error}")
    bad = [r["method"] for r in results
           if r["method"] in LOSSLESS and r["lost"]]
    if bad:
        print(f"lost requests where none should be: {', '.join(bad)}")
    return 1 if bad or errors else 0


if __name__ == "__main__":
    sys.exit(main())
