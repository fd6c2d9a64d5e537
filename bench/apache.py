"""Requests per second of the compute API under the shipped Apache config,
against a hello-world WSGI script in the same Apache, in the same run.

    .venv/bin/python bench/apache.py [--duration 10] [--connections 8]

One private Apache httpd (as root; the daemons run as www-data) on
127.0.0.1 with two virtual hosts:

- the compute API: ``render_vhost("compute", ...)``, i.e. the shipped
  ``deployment/apache/`` snippet with this run's port, user and paths
  (daemon process group of the shipped size, ``processes=4 threads=1``),
  serving the generated ``nova-compute-api.wsgi``, with
  ``auth_strategy = noauth2`` on SQLite;
- hello-world: ``bench/hello.py`` as the WSGI script of a daemon process
  group with exactly the same options.

wrk (installed with apt-get when missing) runs each case for --duration
seconds after a short warm-up, in --rounds rounds of: hello-world,
``GET /v2.1``, an authenticated ``GET`` (``/v2.1/flavors`` with
``X-Auth-Token: admin:admin`` when that route answers 200, else
``/v2.1/nonexistent``, the router's JSON 404); then hello-world once more.
The ceiling is the mean of the hello-world runs. Printed: the mean
requests/s of each case, its ratio to the ceiling, and every run.
Target: ``GET /v2.1`` at >= 60 % of hello-world. Exits 1 when missed.

The private Apache comes from ``tests/deploy/servers.py`` (the deployment
tests' helper); it is stopped at the end, whatever happens.
"""

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
# The repository root, for tests.deploy (the deployment tests' helpers are
# not installed; nova is).
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402

from nova.packaging import render  # noqa: E402
from tests.deploy import servers  # noqa: E402

TARGET = 0.60
HELLO = ROOT / "bench" / "hello.py"
_HELLO_FALLBACK = '''\
_BODY = b'{"hello": "world"}'


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(_BODY)))])
    return [_BODY]
'''

# The hello-world vhost: the daemon options of the shipped compute snippet.
_HELLO_VHOST = """\
Listen 127.0.0.1:{port}
<VirtualHost *:{port}>
    WSGIDaemonProcess hello processes={processes} threads=1 \\
        user={user} group={user} display-name=%{{GROUP}} \\
        lang=C.UTF-8 locale=C.UTF-8 python-home={venv} \\
        request-timeout=60 queue-timeout=45 graceful-timeout=15
    WSGIProcessGroup hello
    WSGIApplicationGroup %{{GLOBAL}}
    WSGIScriptAlias / "{script}" \\
        process-group=hello application-group=%{{GLOBAL}}
    WSGIPassAuthorization On
    <Directory "{script_dir}">
        Require all granted
    </Directory>
    ErrorLog "{logs}/hello_error.log"
    CustomLog "{logs}/hello_access.log" \\
        "%h %{{X-Forwarded-For}}i %l %u %t \\"%r\\" %>s %b %D"
</VirtualHost>
"""


def ensure_wrk():
    if shutil.which("wrk"):
        return shutil.which("wrk")
    print("bench: installing wrk (apt-get install -y wrk)", file=sys.stderr)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True,
                   timeout=300, env=dict(os.environ,
                                         DEBIAN_FRONTEND="noninteractive"))
    return shutil.which("wrk")


def wrk(url, duration, connections, threads, headers=()):
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s",
            "--timeout", "10s"]
    for header in headers:
        argv += ["-H", header]
    proc = subprocess.run(argv + [url], capture_output=True, text=True,
                          timeout=duration + 60)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed: {proc.stderr or proc.stdout}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", proc.stdout).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", proc.stdout)
    errors = re.search(r"Socket errors:.*", proc.stdout)
    return rps, int(bad.group(1)) if bad else 0, \
        errors.group(0) if errors else ""


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=int, default=10,
                   help="seconds of each measured wrk run (default 10)")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--threads", type=int, default=2, help="wrk threads")
    p.add_argument("--rounds", type=int, default=2,
                   help="hello-world, GET /v2.1, authenticated GET, this "
                        "many times, then hello-world again (default 2)")
    p.add_argument("--json", metavar="FILE", help="also write the figures")
    args = p.parse_args(argv)
    if os.geteuid() != 0:
        p.error("run as root: Apache runs the daemons as www-data")
    ensure_wrk()
    processes = render.APIS["compute"].processes

    tree = servers.Workdir(prefix="nova-bench-apache-")
    apache = None
    try:
        etc = tree.config("etc", auth="noauth2")
        scripts = tree.mkdir("scripts")
        logs = tree.mkdir("logs")
        tree.write("scripts/nova-compute-api.wsgi",
                   render.render_wsgi_script("compute", config_dir=str(etc)))
        hello_dir = tree.mkdir("hello")
        hello = tree.write("hello/hello.wsgi", HELLO.read_text()
                           if HELLO.exists() else _HELLO_FALLBACK)
        api_port, hello_port = servers.free_port(), servers.free_port()
        apache = servers.Apache(tree, "httpd", [
            ("nova-compute-api.conf", render.render_vhost(
                "compute", "debian", port=api_port,
                listen_address="127.0.0.1", user=servers.RUN_AS,
                group=servers.RUN_AS, script_dir=str(scripts),
                log_dir=str(logs), python_home=str(servers.VENV))),
            ("hello.conf", _HELLO_VHOST.format(
                port=hello_port, processes=processes, user=servers.RUN_AS,
                venv=servers.VENV, script=hello, script_dir=hello_dir,
                logs=logs)),
        ], log_level="warn")
        ok, output = apache.check()
        if not ok:
            raise RuntimeError(output)
        apache.start()
        log = logs / "nova-compute-api_error.log"
        servers.wait_for(
            lambda: log.exists() and log.read_text().count(
                "Loaded the osapi_compute API") >= processes, 120,
            "the compute API to load")
        api = f"http://127.0.0.1:{api_port}"
        hello_url = f"http://127.0.0.1:{hello_port}/"
        servers.wait_for(lambda: servers.request(hello_url).status == 200,
                         60, "hello-world")
        token = "X-Auth-Token: admin:admin"
        flavors = servers.request(api + "/v2.1/flavors",
                                  headers={"X-Auth-Token": "admin:admin"})
        auth_path = ("/v2.1/flavors" if flavors.status == 200
                     else "/v2.1/nonexistent")
        # name, url, headers, whether non-2xx answers are expected
        hello_case = ("hello-world", hello_url, (), False)
        cases = [("GET /v2.1", api + "/v2.1", (), False),
                 (f"GET {auth_path} (noauth2)", api + auth_path, (token,),
                  auth_path.endswith("nonexistent"))]
        for _, url, headers, _ in [hello_case, *cases]:  # warm up
            wrk(url, args.warmup, args.connections, args.threads, headers)
        runs = []  # (name, rps, unexpected non-2xx, socket errors)
        for _ in range(args.rounds):
            for name, url, headers, non2xx in [hello_case, *cases]:
                rps, bad, errors = wrk(url, args.duration, args.connections,
                                       args.threads, headers)
                runs.append((name, rps, 0 if non2xx else bad, errors))
        name, url, headers, _ = hello_case
        rps, bad, errors = wrk(url, args.duration, args.connections,
                               args.threads, headers)
        runs.append((name, rps, bad, errors))
    finally:
        if apache is not None:
            apache.stop()
        tree.cleanup()

    def mean(case):
        figures = [rps for name, rps, _, _ in runs if name == case]
        return sum(figures) / len(figures)

    ceiling = mean("hello-world")
    print(f"Apache, {processes} daemon processes x 1 thread per vhost; "
          f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s; "
          f"{args.rounds} round(s), hello-world first and last")
    print(f"{'case':<36} {'req/s':>9} {'vs hello':>9}  runs")
    ratios = {}
    for case in ["hello-world", *(c[0] for c in cases)]:
        ratios[case] = mean(case) / ceiling
        each = ", ".join(f"{rps:.0f}" for name, rps, _, _ in runs
                         if name == case)
        print(f"{case:<36} {mean(case):>9.0f} {ratios[case]:>8.0%}  {each}")
    for name, _, bad, errors in runs:
        if bad or errors:
            print(f"  warning: {name}: {bad} unexpected non-2xx; {errors}")
    v21 = ratios["GET /v2.1"]
    verdict = "met" if v21 >= TARGET else "MISSED"
    print(f"target: GET /v2.1 >= {TARGET:.0%} of hello-world: {verdict} "
          f"({v21:.0%})")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps({
            "ceiling_rps": ceiling,
            "cases": {case: {"rps": mean(case), "ratio": ratio}
                      for case, ratio in ratios.items()},
            "runs": [{"case": n, "rps": r} for n, r, _, _ in runs]},
            indent=2))
    return 0 if v21 >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
