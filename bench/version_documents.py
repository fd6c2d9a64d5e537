"""Requests per second of the APIs against a hello-world app, same server.

One run starts three gunicorn servers (sync workers, the same flags), each
on a free port of 127.0.0.1: bench/hello.py, the compute API and the
metadata API, and loads them with wrk (installed with apt when missing; a
Python load generator is the fallback) one at a time. The four requests
(hello ``GET /``, compute ``GET /`` and ``GET /v2.1``, metadata ``GET /``)
are measured in interleaved rounds, so a change in the machine's load hits
all of them; each round's figures are divided by that round's hello-world
figure, and the medians over the rounds are printed. Target: ``GET /`` of
each API >= 60 % of the hello-world requests per second.

Also printed: the CPU time the server (master + workers) spent per request,
from /proc, which is steadier than req/s on a busy machine; what an API
adds over hello-world there is the app's own cost per request.

Every server is stopped at the end (its whole process group). With the
defaults the run takes about 75 s (plus a one-time wrk install).

Usage: .venv/bin/python bench/version_documents.py [--rounds 5]
       [--duration 3] [--connections 16] [--threads 2] [--workers 2]
       [--python-loadgen]
"""

import argparse
import http.client
import multiprocessing
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import common

TARGET = 0.60
HOST = "127.0.0.1"
DEADLINE_S = 110  # the whole run, wrk install excluded


# -- load generators ------------------------------------------------------

def ensure_wrk():
    """The path of wrk, installing it with apt when missing (as root)."""
    path = shutil.which("wrk")
    if path:
        return path
    if os.geteuid() != 0:
        print("wrk is missing and this is not root: cannot apt-get it")
        return None
    print("wrk is missing: apt-get install -y wrk ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "-q", "wrk"]
    for attempt in (cmd, ["apt-get", "update", "-q"], cmd):
        try:
            proc = subprocess.run(attempt, env=env, capture_output=True,
                                  text=True, timeout=180)
        except (OSError, subprocess.TimeoutExpired) as exc:
            print(f"  {' '.join(attempt)}: {exc}")
            return None
        if attempt is cmd and proc.returncode == 0:
            break
        if attempt is not cmd and proc.returncode != 0:
            print(f"  apt-get update failed: {proc.stderr.strip()[-300:]}")
            return None
    return shutil.which("wrk")


def run_wrk(wrk, url, args, duration):
    cmd = [wrk, f"-t{args.threads}", f"-c{args.connections}",
           f"-d{duration}s", "--timeout", "5s", url]
    proc = subprocess.run(cmd, capture_output=True, text=True,
                          timeout=duration + 30)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed: {proc.stderr or proc.stdout}")
    out = proc.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), "
                     r"write (\d+), timeout (\d+)", out)
    lat = re.search(r"Latency\s+([\d.]+\w+)", out)
    return {"rps": rps, "requests": total,
            "non2xx": int(bad.group(1)) if bad else 0,
            "errors": sum(int(errs.group(i)) for i in (1, 2, 3, 4))
            if errs else 0,
            "latency": lat.group(1) if lat else "?"}


def _py_loadgen_proc(port, path, duration, threads, queue):
    counts = {"ok": 0, "bad": 0, "err": 0}
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def worker():
        ok = bad = err = 0
        conn = None
        while time.monotonic() < stop_at:
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(HOST, port, timeout=5)
                conn.request("GET", path)
                resp = conn.getresponse()
                resp.read()
                if 200 <= resp.status < 400:
                    ok += 1
                else:
                    bad += 1
                if resp.will_close:
                    conn.close()
                    conn = None
            except OSError:
                err += 1
                if conn is not None:
                    conn.close()
                conn = None
        with lock:
            counts["ok"] += ok
            counts["bad"] += bad
            counts["err"] += err

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    queue.put(counts)


def run_python_loadgen(port, path, args, duration):
    """Fallback: --threads processes, --connections threads in all."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    per = max(1, args.connections // args.threads)
    procs = [ctx.Process(target=_py_loadgen_proc,
                         args=(port, path, duration, per, queue))
             for _ in range(args.threads)]
    start = time.monotonic()
    for p in procs:
        p.start()
    results = [queue.get(timeout=duration + 30) for _ in procs]
    for p in procs:
        p.join(timeout=10)
    elapsed = time.monotonic() - start
    ok = sum(r["ok"] for r in results)
    bad = sum(r["bad"] for r in results)
    return {"rps": (ok + bad) / elapsed, "requests": ok + bad,
            "non2xx": bad, "errors": sum(r["err"] for r in results),
            "latency": "-"}


# -- servers --------------------------------------------------------------

def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def ensure_gunicorn():
    """The venv's gunicorn, pip-installed into the venv when missing."""
    gunicorn = common.BIN / "gunicorn"
    if not gunicorn.exists():
        print("gunicorn is missing from the venv: pip install gunicorn ...",
              flush=True)
        subprocess.run([common.PYTHON, "-m", "pip", "install", "-q",
                        "gunicorn>=22"], check=True, timeout=300)
    return str(gunicorn)


def gunicorn_flags():
    gunicorn = ensure_gunicorn()
    proc = subprocess.run([gunicorn, "--help"], capture_output=True,
                          text=True, timeout=30)
    version = subprocess.run([gunicorn, "--version"], capture_output=True,
                             text=True, timeout=30).stdout.strip()
    flags = ["--no-control-socket"] if "--no-control-socket" in \
        proc.stdout else []
    return gunicorn, version, flags


class Server:
    """gunicorn serving ``app`` on a free loopback port, in its own group."""

    def __init__(self, label, app, env, args, gunicorn, flags, workdir):
        self.label, self.app, self.env = label, app, env
        self.workdir = workdir
        self.port = free_port()
        self.log_path = os.path.join(workdir, f"{label}-{self.port}.log")
        # hello.py is served from a copy in workdir, the only directory on
        # the server's path.
        self.cmd = [gunicorn, "--workers", str(args.workers),
                    "--worker-class", "sync", "--bind",
                    f"{HOST}:{self.port}", "--log-level", "warning",
                    "--pythonpath", workdir, *flags, app]
        self.proc = None

    def start(self, timeout=30):
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            self.cmd, cwd=self.workdir, env=self.env, stdin=subprocess.DEVNULL,
            stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.label}: gunicorn exited "
                                   f"({self.proc.returncode}):\n"
                                   f"{self.log_text()}")
            try:
                self.get("/")
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{self.label}: not answering after {timeout} s:"
                           f"\n{self.log_text()}")

    def cpu_seconds(self):
        """utime + stime of the master and its live workers."""
        pids = [self.proc.pid]
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                stat = _proc_stat(entry)
                if stat and int(stat[1]) == self.proc.pid:
                    pids.append(int(entry))
        ticks = 0
        for pid in pids:
            stat = _proc_stat(pid)
            if stat:
                ticks += int(stat[11]) + int(stat[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def get(self, path):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def log_text(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()[-2000:]

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        with _suppress_lookup():
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with _suppress_lookup():
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        # Reap any worker the master left behind in the group.
        with _suppress_lookup():
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()


def _proc_stat(pid):
    """Fields of /proc/<pid>/stat after the command name (state first)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


class _suppress_lookup:
    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        return exc_type is not None and issubclass(exc_type,
                                                   ProcessLookupError)


# -- main -----------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5,
                        help="interleaved rounds; medians are printed "
                             "(default 5)")
    parser.add_argument("--duration", type=int, default=3,
                        help="seconds of load per measurement (default 3)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2,
                        help="gunicorn sync workers (default 2)")
    parser.add_argument("--warmup", type=int, default=1,
                        help="seconds of unmeasured load per request "
                             "before the rounds (default 1)")
    parser.add_argument("--python-loadgen", action="store_true",
                        help="use the Python load generator even if wrk "
                             "is there")
    args = parser.parse_args()
    budget = 4 * (args.rounds * args.duration + args.warmup) + 10
    if budget > DEADLINE_S:
        parser.error(f"{args.rounds} rounds of {args.duration} s would take "
                     f"about {budget} s; the budget is {DEADLINE_S} s")

    # A SIGTERM must still run the finally blocks that stop the servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    wrk = None if args.python_loadgen else ensure_wrk()
    gunicorn, version, flags = gunicorn_flags()

    def load(server, path, duration):
        if wrk:
            return run_wrk(wrk, f"http://{HOST}:{server.port}{path}", args,
                           duration)
        return run_python_loadgen(server.port, path, args, duration)

    started = time.monotonic()
    gen = (f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s"
           if wrk else f"Python load generator ({args.threads} processes, "
           f"{args.connections} connections, {args.duration} s)")
    print(f"{version}, {args.workers} sync workers"
          f"{', ' + ' '.join(flags) if flags else ''}; load: {gen}; "
          f"{args.rounds} interleaved rounds; {os.cpu_count()} CPUs; "
          f"loopback {HOST}", flush=True)
    workdir = tempfile.mkdtemp(prefix="nova-bench-http-")
    shutil.copyfile(common.BENCH / "hello.py",
                    os.path.join(workdir, "hello.py"))
    servers = {}
    samples = {}  # (label, path) -> [dict per round]
    plan = [("hello", "/"), ("osapi_compute", "/"),
            ("osapi_compute", "/v2.1"), ("metadata", "/")]
    try:
        with common.config_dir("noauth2") as conf_dir:
            env = common.env_for(conf_dir)
            for label, app in (
                    ("hello", "hello:application"),
                    ("osapi_compute", "nova.wsgi.osapi_compute:application"),
                    ("metadata", "nova.wsgi.metadata:application")):
                servers[label] = Server(label, app, env, args, gunicorn,
                                        flags, workdir)
                servers[label].start()
            for label, path in plan:
                status, body = servers[label].get(path)
                if not 200 <= status < 400:
                    raise RuntimeError(
                        f"{label} GET {path}: {status} {body[:200]}")
                print(f"  {label} GET {path} -> {status}, {len(body)} bytes")
                samples[(label, path)] = []
                if args.warmup:  # both workers up, caches warm
                    load(servers[label], path, args.warmup)
            for rnd in range(args.rounds):
                if time.monotonic() - started > DEADLINE_S:
                    raise RuntimeError(f"past the {DEADLINE_S} s budget")
                line = []
                for label, path in plan:
                    server = servers[label]
                    cpu0 = server.cpu_seconds()
                    res = load(server, path, args.duration)
                    res["cpu_us"] = ((server.cpu_seconds() - cpu0) * 1e6
                                     / max(1, res["requests"]))
                    samples[(label, path)].append(res)
                    line.append(f"{label} {path} {res['rps']:.0f}")
                print(f"  round {rnd + 1}: " + ", ".join(line) + " req/s",
                      flush=True)
    finally:
        for server in servers.values():
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    hello = samples[("hello", "/")]
    hello_cpu = common.median([r["cpu_us"] for r in hello])
    print(f"\n{'app':14} {'request':10} {'req/s':>9} {'x hello':>8} "
          f"{'(range)':>11} {'latency':>8} {'cpu us/req':>10} "
          f"{'+ over hello':>12} {'cpu ratio':>9} {'bad':>4}")
    figures = {}
    for (label, path), runs in samples.items():
        ratios = [r["rps"] / h["rps"]
                  for r, h in zip(runs, hello, strict=True)]
        ratio = common.median(ratios)
        cpu = common.median([r["cpu_us"] for r in runs])
        bad = sum(r["non2xx"] + r["errors"] for r in runs)
        figures[(label, path)] = (ratio, bad)
        extra = "" if label == "hello" else f"{cpu - hello_cpu:+.0f}"
        print(f"{label:14} GET {path:6} "
              f"{common.median([r['rps'] for r in runs]):9.1f} "
              f"{ratio:8.0%} {min(ratios):5.0%}-{max(ratios):<5.0%} "
              f"{runs[len(runs) // 2]['latency']:>8} {cpu:10.0f} "
              f"{extra:>12} {hello_cpu / cpu:9.0%} {bad:>4}")
    print("(req/s: median over rounds; x hello: median of the per-round "
          "ratios, range = lowest-highest round; cpu us/req: server CPU "
          "time per request, master + workers; cpu ratio: hello's cpu/req "
          "over this one's, the steadier estimate of x hello on a busy "
          "machine; bad: non-2xx/3xx responses + socket errors)")
    print(f"\nTarget: GET / >= {TARGET:.0%} of hello-world req/s "
          "(GET /v2.1 shown against the same bar)")
    misses = 0
    for (label, path), (ratio, bad) in figures.items():
        if label == "hello":
            continue
        ok = ratio >= TARGET and bad == 0
        misses += not ok and path == "/"
        print(f"  {'ok' if ok else 'MISS':4} {label} GET {path}: "
              f"{ratio:.0%} of hello-world"
              + (f" ({bad} bad responses)" if bad else ""))
    print(f"(whole run {time.monotonic() - started:.0f} s)")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
