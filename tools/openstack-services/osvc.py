"""start, stop, status and register-compute of tools/openstack-services.sh.

Run by that script with Keystone's virtualenv's Python (keystoneauth and
requests for cloud.py), with OSVC_{KEYSTONE,GLANCE,NEUTRON}_VENV and
NOVA_SERVICES_DB in the environment.

    osvc.py start WORKDIR [--compute-url URL]
    osvc.py register-compute WORKDIR URL
    osvc.py stop WORKDIR
    osvc.py status WORKDIR

Work directory: keystone/, glance/, neutron/ (configs, data), logs/ (one
log per server, one per set-up command), run/ (pid files, the database
server), services.env and services.json (0600: they hold the passwords).
"""

import argparse
import hashlib
import json
import os
import pathlib
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import cloud
import configs

HERE = pathlib.Path(__file__).resolve().parent
SERVICES = ("keystone", "glance", "neutron")
WORKERS = {"keystone": 1, "glance": 2, "neutron": 2}
APPS = {"keystone": "keystone.wsgi.api:application",
        "glance": "glance.wsgi.api:application",
        "neutron": "neutron.wsgi.api:application"}
CONFIG_DIR_ENV = {"keystone": "OS_KEYSTONE_CONFIG_DIR",
                  "glance": "OS_GLANCE_CONFIG_DIR",
                  "neutron": "OS_NEUTRON_CONFIG_DIR"}
WAIT = 180          # seconds a server may take to answer (2 busy cores)
STEP_TIMEOUT = 600  # seconds one set-up command may take


def say(text):
    print(f"openstack-services: {text}", flush=True)


class Failed(Exception):
    """A step failed: the message says which, with its log's end."""


def tail(path, lines=25):
    try:
        return "\n".join(pathlib.Path(path).read_text(
            errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class Layout:
    """Where everything of one work directory is, and its settings."""

    def __init__(self, workdir):
        self.workdir = pathlib.Path(workdir).resolve()
        self.logs = self.workdir / "logs"
        self.run = self.workdir / "run"
        self.region = cloud.REGION
        self.venvs = {name: pathlib.Path(os.environ[
            f"OSVC_{name.upper()}_VENV"]) for name in SERVICES}
        tag = hashlib.sha256(str(self.workdir).encode()).hexdigest()[:10]
        self.databases = {name: f"osvc_{tag}_{name}"
                          for name in ("glance", "neutron")}
        self.db_server = os.environ.get(
            "NOVA_SERVICES_DB", "mysql+pymysql://root@127.0.0.1:3306")
        self.ports = {}
        self.sockets = {}
        self.secrets = {}

    def dir(self, name):
        return self.workdir / name

    def url(self, name):
        return f"http://127.0.0.1:{self.ports[name]}"

    @property
    def keystone_url(self):
        return self.url("keystone")

    @property
    def glance_url(self):
        return self.url("glance")

    def db_url(self, name):
        return f"{self.db_server}/{self.databases[name]}?charset=utf8"

    def pidfile(self, name):
        return self.run / f"{name}.pid"


# -- processes ---------------------------------------------------------------

def bind_ports(lay):
    """A loopback port per service, bound now and held until its gunicorn
    gets the socket (--bind fd://): the URLs go into the configs and the
    catalog long before the servers start, and nobody else may take the
    ports in between."""
    for name in SERVICES:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        lay.sockets[name] = sock
        lay.ports[name] = sock.getsockname()[1]


def child_env(lay, name):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OS_", "PYTHON"))}
    env.update(HOME=str(lay.workdir / "home"), OSVC_WORKDIR=str(lay.workdir),
               **{CONFIG_DIR_ENV[name]: str(lay.dir(name) / "etc")})
    return env


def run_step(lay, name, log, *argv, env=None):
    """One set-up command of a service, its output appended to log."""
    with open(lay.logs / log, "ab") as out:
        out.write(f"$ {' '.join(map(str, argv))}\n".encode())
        out.flush()
        try:
            proc = subprocess.run(
                [str(a) for a in argv], stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**child_env(lay, name), **(env or {})},
                cwd=lay.dir(name), timeout=STEP_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise Failed(f"{name}: {argv[1]} took over {STEP_TIMEOUT} s "
                         f"(log: {lay.logs / log})") from None
    if proc.returncode != 0:
        raise Failed(f"{name}: {pathlib.Path(str(argv[0])).name} "
                     f"{argv[-1] if len(argv) > 1 else ''} exited "
                     f"{proc.returncode}:\n{tail(lay.logs / log)}")


def serve(lay, name):
    """gunicorn for one service, in a session of its own (it outlives
    this command); its pid goes to run/NAME.pid."""
    venv = lay.venvs[name]
    sock = lay.sockets.pop(name)
    with sock, open(lay.logs / f"{name}.log", "ab") as log:
        proc = subprocess.Popen(
            [str(venv / "bin" / "gunicorn"), "-c",
             str(lay.dir(name) / "etc" / "gunicorn.conf.py"),
             "-b", f"fd://{sock.fileno()}", "-w", str(WORKERS[name]),
             "--chdir", str(lay.dir(name)), APPS[name]],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            pass_fds=(sock.fileno(),), env=child_env(lay, name),
            cwd=lay.dir(name), start_new_session=True)
    lay.pidfile(name).write_text(f"{proc.pid} {start_time(proc.pid)}\n")
    return proc


def answers(url):
    try:
        urllib.request.urlopen(url, timeout=10).close()
        return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def wait_answering(lay, name, proc, path="/"):
    deadline = time.monotonic() + WAIT
    while not answers(lay.url(name) + path):
        if proc is not None and proc.poll() is not None:
            raise Failed(f"{name} exited ({proc.returncode}) before "
                         f"answering:\n{tail(lay.logs / f'{name}.log')}")
        if time.monotonic() > deadline:
            raise Failed(f"{name} did not answer on {lay.url(name)} in "
                         f"{WAIT} s:\n{tail(lay.logs / f'{name}.log')}")
        time.sleep(0.2)


def start_time(pid):
    """The process's start time (clock ticks since boot): with the pid, it
    names one process for ever, even after the number is reused."""
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


def read_pid(lay, name):
    """The pid in run/NAME.pid when that process still runs: the file
    holds the pid and its start time, and a pid file may outlive its
    process (gunicorn's setproctitle hides the command line, so that is
    no help)."""
    try:
        pid, started = map(int, lay.pidfile(name).read_text().split())
    except (OSError, ValueError):
        return None
    return pid if start_time(pid) == started else None


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def stop_services(lay, names):
    """QUIT to the gunicorn masters (a quick stop: the workers exit at
    once), then KILL to what is left of their process groups after 15 s
    (each master leads its own). The names of those that were running."""
    pids = {}
    for name in names:
        pid = read_pid(lay, name)
        lay.pidfile(name).unlink(missing_ok=True)
        if pid is None:
            continue
        try:
            os.kill(pid, signal.SIGQUIT)
            pids[name] = pid
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 15
    while (any(group_alive(pid) for pid in pids.values())
           and time.monotonic() < deadline):
        time.sleep(0.1)
    for pid in pids.values():
        if group_alive(pid):
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    return list(pids)


def workers_of(pid):
    """The pids of a gunicorn master's children."""
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


# -- databases (pymysql is in Glance's virtualenv) ---------------------------

DB_SCRIPT = """
import sys, urllib.parse, pymysql
url = urllib.parse.urlsplit(sys.argv[1].replace("mysql+pymysql", "mysql"))
conn = pymysql.connect(host=url.hostname or "127.0.0.1",
                       port=url.port or 3306, user=url.username or "root",
                       password=urllib.parse.unquote(url.password or ""),
                       connect_timeout=10)
with conn.cursor() as cur:
    for name in sys.argv[3:]:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        if sys.argv[2] == "create":
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8")
conn.close()
"""


def databases(lay, action):
    proc = subprocess.run(
        [str(lay.venvs["glance"] / "bin" / "python"), "-c", DB_SCRIPT,
         lay.db_server, action, *lay.databases.values()],
        capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        where = urllib.parse.urlsplit(lay.db_server)
        raise Failed(f"MariaDB at {where.hostname}:{where.port or 3306}: "
                     f"cannot {action} databases: "
                     f"{proc.stderr.strip().splitlines()[-1:]}")


# -- start -------------------------------------------------------------------

def fresh_tree(lay):
    import shutil
    for sub in (*SERVICES, "logs", "run", "home"):
        shutil.rmtree(lay.workdir / sub, ignore_errors=True)
    for name in ("services.env", "services.json"):
        (lay.workdir / name).unlink(missing_ok=True)
    for path in ("keystone/etc", "glance/etc", "glance/images",
                 "glance/staging", "glance/tasks", "glance/lock",
                 "glance/run", "neutron/etc", "neutron/state",
                 "neutron/lock", "logs", "run", "home"):
        (lay.workdir / path).mkdir(parents=True, exist_ok=True)
    for path in ("keystone/fernet-keys", "keystone/credential-keys"):
        (lay.workdir / path).mkdir(mode=0o700, parents=True)
    (lay.run / "db").write_text(lay.db_server + "\n")
    (lay.run / "db").chmod(0o600)


def keystone_chain(lay, timings):
    import grp
    import pwd
    t0 = time.monotonic()
    km = [lay.venvs["keystone"] / "bin" / "keystone-manage", "--config-file",
          lay.dir("keystone") / "etc" / "keystone.conf"]
    owner = ["--keystone-user", pwd.getpwuid(os.getuid()).pw_name,
             "--keystone-group", grp.getgrgid(os.getgid()).gr_name]
    log = "keystone-manage.log"
    run_step(lay, "keystone", log, *km, "db_sync")
    run_step(lay, "keystone", log, *km, "fernet_setup", *owner)
    run_step(lay, "keystone", log, *km, "credential_setup", *owner)
    # The password from the environment (OS_BOOTSTRAP_PASSWORD), not argv.
    identity = lay.keystone_url + "/v3"
    run_step(lay, "keystone", log, *km, "bootstrap",
             "--bootstrap-region-id", lay.region,
             "--bootstrap-admin-url", identity,
             "--bootstrap-public-url", identity,
             "--bootstrap-internal-url", identity,
             env={"OS_BOOTSTRAP_PASSWORD": lay.secrets["admin"]})
    timings["keystone set-up"] = time.monotonic() - t0
    t1 = time.monotonic()
    wait_answering(lay, "keystone", serve(lay, "keystone"), "/v3")
    timings["keystone start"] = time.monotonic() - t1


def glance_chain(lay, timings):
    t0 = time.monotonic()
    gm = [lay.venvs["glance"] / "bin" / "glance-manage", "--config-file",
          lay.dir("glance") / "etc" / "glance-api.conf"]
    run_step(lay, "glance", "glance-manage.log", *gm, "db_sync")
    # the metadata definitions tempest's metadefs tests read
    run_step(lay, "glance", "glance-manage.log", *gm, "db_load_metadefs",
             lay.venvs["glance"] / "etc" / "glance" / "metadefs")
    timings["glance schema"] = time.monotonic() - t0
    t1 = time.monotonic()
    wait_answering(lay, "glance", serve(lay, "glance"))
    timings["glance start"] = time.monotonic() - t1


def neutron_chain(lay, timings):
    t0 = time.monotonic()
    etc = lay.dir("neutron") / "etc"
    run_step(lay, "neutron", "neutron-db-manage.log",
             lay.venvs["neutron"] / "bin" / "neutron-db-manage",
             "--config-file", etc / "neutron.conf",
             "--config-file", etc / "plugins" / "ml2" / "ml2_conf.ini",
             "upgrade", "heads")
    timings["neutron schema"] = time.monotonic() - t0
    t1 = time.monotonic()
    wait_answering(lay, "neutron", serve(lay, "neutron"))
    timings["neutron start"] = time.monotonic() - t1


def in_parallel(lay, chains, timings):
    errors = []

    def run(chain):
        try:
            chain(lay, timings)
        except Failed as exc:
            errors.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - reported, then cleaned up
            errors.append(f"{chain.__name__}: {exc!r}")

    threads = [threading.Thread(target=run, args=(c,)) for c in chains]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise Failed("\n".join(errors))


def write_results(lay, values):
    """services.json (lower-case names) and services.env (upper case,
    shell-quoted, lists comma-separated), both 0600."""
    text = json.dumps(values, indent=2, sort_keys=True) + "\n"
    env = "".join(
        f"{key.upper()}="
        f"{shlex.quote(','.join(v) if isinstance(v, list) else str(v))}\n"
        for key, v in sorted(values.items()))
    for name, content in (("services.json", text), ("services.env", env)):
        path = lay.workdir / name
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(content)
        os.replace(tmp, path)


def start(workdir, compute_url=None):
    lay = Layout(workdir)
    running = [n for n in SERVICES if read_pid(lay, n)]
    if running:
        raise Failed(f"{', '.join(running)} already running in "
                     f"{lay.workdir}: stop it first")
    t0 = time.monotonic()
    lay.workdir.mkdir(parents=True, exist_ok=True)
    fresh_tree(lay)
    bind_ports(lay)
    lay.secrets = {name: secrets.token_hex(16) for name in
                   ("admin", "glance", "neutron", "nova", "demo")}
    configs.keystone(lay)
    configs.glance(lay)
    configs.neutron(lay)
    timings = {}
    try:
        databases(lay, "create")
        in_parallel(lay, (keystone_chain, glance_chain, neutron_chain),
                    timings)
        t1 = time.monotonic()
        ids = cloud.register(lay.keystone_url, lay.secrets["admin"],
                             lay.secrets, lay.glance_url,
                             lay.url("neutron"), compute_url)
        timings["registrations"] = time.monotonic() - t1
        t2 = time.monotonic()
        ids.update(cloud.populate(lay.keystone_url, lay.secrets["admin"],
                                  ids["demo_project_id"]))
        timings["networks and images"] = time.monotonic() - t2
    except BaseException:
        stop(workdir, quiet=True)
        raise
    values = {
        "workdir": str(lay.workdir), "region": lay.region,
        "keystone_url": lay.keystone_url, "glance_url": lay.glance_url,
        "neutron_url": lay.url("neutron"), "compute_url": compute_url or "",
        "admin_username": "admin", "admin_project_name": "admin",
        "admin_password": lay.secrets["admin"],
        "service_project_name": "service",
        "nova_username": "nova", "nova_password": lay.secrets["nova"],
        "glance_password": lay.secrets["glance"],
        "neutron_password": lay.secrets["neutron"],
        "demo_username": "demo", "demo_project_name": "demo",
        "demo_password": lay.secrets["demo"],
        "user_domain_name": "Default", "project_domain_name": "Default",
        "glance_database": lay.databases["glance"],
        "neutron_database": lay.databases["neutron"],
        **{f"{name}_pid": read_pid(lay, name) for name in SERVICES},
        **ids,
    }
    write_results(lay, values)
    timings["total"] = time.monotonic() - t0
    say(f"Keystone {lay.keystone_url}, Glance {lay.glance_url}, "
        f"Neutron {lay.url('neutron')}"
        + (f", compute {compute_url}" if compute_url else ""))
    say(f"image {ids['image_id']}, networks public "
        f"{ids['public_network_id']}, private {ids['private_network_id']}")
    say(f"wrote {lay.workdir}/services.env and services.json; logs in "
        f"{lay.logs}")
    say("started in " + ", ".join(f"{k} {v:.1f} s" for k, v in
                                   timings.items()))


# -- register-compute, stop, status -------------------------------------------

def load(lay):
    try:
        return json.loads((lay.workdir / "services.json").read_text())
    except (OSError, ValueError) as exc:
        raise Failed(f"no services started in {lay.workdir} "
                     f"({exc})") from None


def register_compute(workdir, url):
    lay = Layout(workdir)
    values = load(lay)
    previous = cloud.register_compute(values["keystone_url"],
                                      values["admin_password"], url)
    if previous and previous != {url}:
        reload_neutron(lay, values)
    values["compute_url"] = url
    write_results(lay, values)
    say(f"compute endpoints (public, internal, admin) {url}")


def reload_neutron(lay, values):
    """Neutron's nova notifier keeps the catalog of its first token (4 h):
    after the compute endpoint moved, restart its workers (gunicorn's HUP:
    new workers, the old ones stop gracefully) and wait for new ones."""
    pid = read_pid(lay, "neutron")
    if pid is None:
        return
    old = set(workers_of(pid))
    t0 = time.monotonic()
    os.kill(pid, signal.SIGHUP)
    deadline = t0 + WAIT
    while (old & set(workers_of(pid))
           or not answers(values["neutron_url"] + "/")):
        if time.monotonic() > deadline:
            raise Failed("Neutron's workers did not restart in "
                         f"{WAIT} s:\n{tail(lay.logs / 'neutron.log')}")
        time.sleep(0.2)
    say(f"Neutron's workers restarted for the new compute endpoint "
        f"({time.monotonic() - t0:.1f} s)")


def stop(workdir, quiet=False):
    lay = Layout(workdir)
    try:
        lay.db_server = (lay.run / "db").read_text().strip()
    except OSError:
        pass
    stopped = stop_services(lay, reversed(SERVICES))
    try:
        databases(lay, "drop")
    except Failed as exc:
        if not quiet:
            raise
        print(f"openstack-services: {exc}", file=sys.stderr)
    for name in ("services.env", "services.json"):
        (lay.workdir / name).unlink(missing_ok=True)
    if not quiet:
        say(f"stopped {', '.join(stopped) or 'nothing (none running)'}; "
            f"dropped {', '.join(lay.databases.values())}")


def status(workdir):
    lay = Layout(workdir)
    down = 0
    for name in SERVICES:
        pid = read_pid(lay, name)
        print(f"{name}: " + (f"running, pid {pid}" if pid else "stopped"))
        down += pid is None
    return 3 if down else 0


def main(argv):
    parser = argparse.ArgumentParser(prog="openstack-services.sh")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("start")
    p.add_argument("workdir")
    p.add_argument("--compute-url")
    p = sub.add_parser("register-compute")
    p.add_argument("workdir")
    p.add_argument("url")
    for name in ("stop", "status"):
        sub.add_parser(name).add_argument("workdir")
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            start(args.workdir, args.compute_url)
        elif args.command == "register-compute":
            register_compute(args.workdir, args.url)
        elif args.command == "stop":
            stop(args.workdir)
        else:
            return status(args.workdir)
    except Failed as exc:
        print(f"openstack-services: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
