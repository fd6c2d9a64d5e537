"""The server action path against the hello-world app, same server, same run.

One measurement: every wrk connection repeats "POST
/v2.1/servers/{id}/action {"reboot": {"type": "HARD"}}, then GET
/v2.1/servers/{id}" on a server of its own wrk thread (SQLite, action_time
0: every reboot is a state check, a driver transition, an instance action
with its event, then the detailed view). Printed: action paths (POST + GET
pairs) per second as a ratio to hello-world requests per second, in
interleaved rounds (hello first in every round), the median over the
rounds. Target: >= 20 % of hello-world. Every answer is counted; any non-2xx
answer is a failure.

gunicorn sync workers and wrk as in bench/compute.py; noauth2, loopback only,
every server stopped at the end.

Usage: .venv/bin/python bench/actions.py [--rounds 3] [--duration 3]
       [--connections 16] [--threads 2] [--workers 2]
"""

import argparse
import contextlib
import os
import shutil
import signal
import sys
import tempfile

import common
import compute  # bench/compute.py: Load, call, set-up
import version_documents  # its servers and wrk helpers

TARGET = 0.20

# Each connection alternates POST action / GET server on its thread's
# server; answers counted by status as in bench/compute.py.
ACTION_LUA = r"""
local token = os.getenv("BENCH_TOKEN")
local body = os.getenv("BENCH_BODY")
local ids = {}
for id in string.gmatch(os.getenv("BENCH_SERVERS"), "[^,]+") do
  table.insert(ids, id)
end
local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("server", ids[(counter - 1) % #ids + 1])
  table.insert(threads, thread)
end
function init(args) codes = {}; n = 0 end
function request()
  n = n + 1
  local path = "/v2.1/servers/" .. server
  if n % 2 == 1 then
    return wrk.format("POST", path .. "/action",
      {["X-Auth-Token"] = token, ["Content-Type"] = "application/json"},
      body)
  end
  return wrk.format("GET", path, {["X-Auth-Token"] = token})
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=1)
    args = parser.parse_args()
    if args.rounds * args.duration * 2 + 4 * args.warmup > \
            compute.DEADLINE_S:
        parser.error("the planned load is past the budget")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    wrk = version_documents.ensure_wrk()
    if not wrk:
        print("wrk is needed (apt-get install wrk)")
        return 2
    gunicorn, version, flags = version_documents.gunicorn_flags()
    print(f"{version}, {args.workers} sync workers; load: wrk "
          f"-t{args.threads} -c{args.connections}, {args.duration} s x "
          f"{args.rounds} rounds; {os.cpu_count()} CPUs", flush=True)
    workdir = tempfile.mkdtemp(prefix="nova-bench-actions-")
    shutil.copyfile(common.BENCH / "hello.py",
                    os.path.join(workdir, "hello.py"))
    plain = compute.Load(wrk, args, workdir)
    actions = compute.Load(wrk, args, workdir)
    actions.script = os.path.join(workdir, "actions.lua")
    with open(actions.script, "w") as f:
        f.write(ACTION_LUA)
    servers = []
    results = {"hello": [], "action": []}

    def start(label, app, env):
        server = version_documents.Server(label, app, env, args, gunicorn,
                                          flags, workdir)
        servers.append(server)
        return server.start()

    try:
        with contextlib.ExitStack() as stack:
            path = stack.enter_context(common.config_dir("noauth2"))
            compute.prepare_dir(path)
            (path / "nova.conf.d" / "bench.conf").write_text(
                compute.BENCH_CONF.replace("build_time = 0.1",
                                           "build_time = 0\n"
                                           "action_time = 0"))
            hello = start("hello", "hello:application", common.env_for(path))
            api = start("api", "nova.wsgi.osapi_compute:application",
                        common.env_for(path))
            compute.make_flavors(api)
            ids = [compute.call(api, "POST", "/v2.1/servers",
                                compute.server_body(f"act-{i}"),
                                expect=(202,))["server"]["id"]
                   for i in range(args.threads)]
            os.environ["BENCH_SERVERS"] = ",".join(ids)
            body = {"reboot": {"type": "HARD"}}
            plain.run(hello, "/", args.warmup)
            actions.run(api, "/", args.warmup, method="POST", body=body)
            for rnd in range(args.rounds):
                h = plain.run(hello, "/", args.duration)
                a = actions.run(api, "/", args.duration, method="POST",
                                body=body)
                a["pairs"] = a["ok_rps"] / 2
                a["ratio"] = a["pairs"] / h["rps"]
                results["hello"].append(h)
                results["action"].append(a)
                print(f"  round {rnd + 1}: hello {h['rps']:.0f}/s, action "
                      f"paths {a['pairs']:.1f}/s ({a['ratio']:.1%}), "
                      f"cpu/request {a['cpu_us']:.0f} us vs hello "
                      f"{h['cpu_us']:.0f} us, "
                      f"answers {a['codes']}", flush=True)
            recorded = compute.call(
                api, "GET", f"/v2.1/servers/{ids[0]}/os-instance-actions")
            assert recorded["instanceActions"][0]["action"] == "reboot"
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    runs = results["action"]
    ratio = common.median([r["ratio"] for r in runs])
    pairs = common.median([r["pairs"] for r in runs])
    hello_rps = common.median([r["rps"] for r in results["hello"]])
    bad = sum(n for r in runs for c, n in r["codes"].items()
              if not 200 <= c < 300) + sum(r["errors"] for r in runs)
    print(f"\naction path (POST reboot + GET server): {pairs:.1f}/s, "
          f"hello-world {hello_rps:.0f}/s: {ratio:.1%} "
          f"(rounds {min(r['ratio'] for r in runs):.1%}-"
          f"{max(r['ratio'] for r in runs):.1%}); per request "
          f"{2 * ratio:.1%}")
    ok = ratio >= TARGET and not bad
    print(f"  {'ok' if ok else 'MISS'} action path >= {TARGET:.0%} of "
          f"hello-world; non-2xx/socket errors: {bad}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
