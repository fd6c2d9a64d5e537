"""The shipped Apache snippets on a private Apache httpd.

Each instance is started with ``apache2ctl -f`` (its own ServerRoot, pid
file, runtime dir, mutexes and WSGISocketPrefix in a temporary tree) and
loads the snippets that ``nova.packaging.render.render_vhost`` renders for
the shipped files, with this test's ports on 127.0.0.1, www-data as the
daemon user and paths in the temporary tree; everything else is as
shipped. Both APIs run at once, each in its own daemon process group with
the shipped process count.

Graceful restarts (mod_wsgi 6.1.1, Apache 2.4 event MPM): the parent
signals its old workers to stop accepting, then at once clears its
configuration pool, whose cleanups close and unlink mod_wsgi's daemon
socket, then stops the old daemons (SIGTERM, up to 3 s) and only after
re-reading the configuration binds the socket again for the new daemons.
An old worker that still takes a connection in that interval (it has not
yet seen the signal: scheduling latency, a few to tens of milliseconds on
a loaded machine) cannot forward it: mod_wsgi retries a refused
connection (ECONNREFUSED/EAGAIN, within connect-timeout) but not a
missing socket (ENOENT): 503, WSGI0117. No directive changes that order
or that retry (the snippets' ``WSGISocketRotation Off`` keeps the path the
same, so workers reach the new daemons once it is back). The test proves
the rest: nothing fails but those 503s, in that instant; nothing hangs;
every request made after the new daemons are up succeeds; the daemons are
new ones. The old daemons exit in a tenth of a second (the entry modules
``gc.freeze()`` the loaded API; Python's finalization used to take 2 to
3 s of CPU, during which no daemon listened and every request waited).

The reloads that keep the socket lose nothing under the same load:
``nova-wsgi-reload`` (SIGUSR1 to each daemon, at once or ``--rolling``)
and ``touch`` of the script (mod_wsgi's script reloading).
"""

import os
import re
import signal
import subprocess
import time

import pytest

from nova.packaging import render, shipped
from tests.deploy import checks, servers
from tests.deploy.servers import RUN_AS, request, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("deploy_tools")]

PASSWORD = "s3cret-deploy"
ADMIN = servers.basic_auth("admin", PASSWORD)
COMPUTE_GROUP = render.APIS["compute"].name
METADATA_GROUP = render.APIS["metadata"].name
COMPUTE_PROCS = render.APIS["compute"].processes
METADATA_PROCS = render.APIS["metadata"].processes


def snippet(api, tree, layout="debian", **options):
    """A shipped snippet with this test's listener, user and paths."""
    return render.render_vhost(
        api, layout, user=RUN_AS, group=RUN_AS,
        script_dir=str(tree.path / "scripts"), log_dir=str(tree.path / "logs"),
        **options)


def scripts(tree, config_dir, **options):
    """The two .wsgi scripts, with ``config_dir`` baked in."""
    directory = tree.mkdir("scripts")
    for api in render.APIS:
        tree.write(f"scripts/{render.script_filename(api)}",
                   render.render_wsgi_script(api, config_dir=str(config_dir),
                                             **options))
    tree.mkdir("logs")
    return directory


class Site:
    def __init__(self, tree):
        self.tree = tree
        htpasswd = tree.htpasswd("etc/htpasswd", {"admin": PASSWORD})
        self.etc = tree.config("etc", auth="http_basic", api=f"""\
            http_basic_auth_user_file = {htpasswd}
            """)
        scripts(tree, self.etc)
        self.compute_port = servers.free_port()
        self.metadata_port = servers.free_port()
        self.apache = servers.Apache(tree, "httpd", [
            ("nova-compute-api.conf", snippet(
                "compute", tree, port=self.compute_port,
                listen_address="127.0.0.1", python_home=str(servers.VENV))),
            ("nova-metadata.conf", snippet(
                "metadata", tree, port=self.metadata_port,
                listen_address="127.0.0.1", python_home=str(servers.VENV))),
        ])
        self.compute = f"http://127.0.0.1:{self.compute_port}"
        self.metadata = f"http://127.0.0.1:{self.metadata_port}"

    def logs(self):
        return self.tree.path / "logs"

    def log(self, name):
        path = self.logs() / name
        return path.read_text(errors="replace") if path.exists() else ""


@pytest.fixture(scope="module")
def site(module_workdir):
    site = Site(module_workdir)
    ok, output = site.apache.check()
    assert ok, output
    site.apache.start()
    try:
        # Loaded at daemon start: wait for it without sending a request.
        checks.wait_loaded(lambda: site.log("nova-compute-api_error.log"),
                           "osapi_compute", COMPUTE_PROCS)
        checks.wait_loaded(lambda: site.log("nova-metadata_error.log"),
                           "metadata", METADATA_PROCS)
        yield site
    finally:
        site.apache.stop()


def test_config_test_passes(site):
    ok, output = site.apache.check()
    assert ok and "Syntax OK" in output, output


def test_both_apis_loaded_when_the_daemons_start(site):
    assert site.log("nova-compute-api_access.log") == ""
    assert site.log("nova-metadata_access.log") == ""
    assert checks.loaded_count(site.log("nova-compute-api_error.log"),
                               "osapi_compute") == COMPUTE_PROCS
    assert checks.loaded_count(site.log("nova-metadata_error.log"),
                               "metadata") == METADATA_PROCS
    assert len(site.apache.daemons(COMPUTE_GROUP)) == COMPUTE_PROCS
    assert len(site.apache.daemons(METADATA_GROUP)) == METADATA_PROCS


def test_both_apis_answer(site):
    checks.versions(site.compute)
    # WSGIPassAuthorization On: HTTP Basic reaches the API.
    checks.authenticated_404(site.compute, headers=ADMIN)
    assert request(site.compute + "/v2.1/nonexistent").status == 401
    assert request(site.compute + "/v2.1/nonexistent",
                   headers=servers.basic_auth("admin", "wrong")).status == 401
    checks.metadata_root(site.metadata)
    for base in (site.compute, site.metadata):
        assert request(base + "/healthcheck").status == 200


def test_the_deployment_check_passes(site):
    """nova-wsgi-check from outside, with HTTP Basic credentials: every
    check passes; over the limit, Apache's LimitRequestBody answers."""
    found = checks.assert_deployment_passes(site.compute, site.metadata,
                                            user="admin", password=PASSWORD)
    assert found["compute-body-limit"][1].endswith(
        "(a text/html page, not the API's: the web server's limit), "
        f"{render.DEFAULT_MAX_REQUEST_BODY_SIZE} bytes passed on (401)")
    assert found["compute-auth"][1] == (
        "GET /v2.1/flavors without a token answered 401 (WWW-Authenticate: "
        'Basic realm="OpenStack Compute")')


def test_access_log_has_request_time_and_forwarded_for(site):
    request(site.compute + "/", headers={"X-Forwarded-For": "203.0.113.7"})
    line = wait_for(
        lambda: [entry for entry in site.log("nova-compute-api_access.log")
                 .splitlines() if "203.0.113.7" in entry], 10,
        "the request in the access log")[-1]
    # %h %{X-Forwarded-For}i %l %u %t "%r" %>s %b %D "%{Referer}i" ...
    match = re.match(r'127\.0\.0\.1 203\.0\.113\.7 - - \[[^]]+\] '
                     r'"GET / HTTP/1\.1" 200 \d+ (\d+) "-" "[^"]*"$', line)
    assert match, line
    assert int(match.group(1)) > 0  # microseconds


def test_limit_request_body(site):
    """LimitRequestBody = max_request_body_size: Apache refuses a larger
    body before it reaches a daemon; the API's own limit is the same."""
    limit = render.DEFAULT_MAX_REQUEST_BODY_SIZE
    resp = request(site.compute + "/v2.1/nonexistent", method="POST",
                   body=b"x" * (limit + 1),
                   headers={**ADMIN, "Content-Type": "application/json"})
    assert resp.status == 413
    assert resp.headers["content-type"].startswith("text/html")  # Apache's
    resp = request(site.compute + "/v2.1/nonexistent", method="POST",
                   body=b"x" * limit,
                   headers={**ADMIN, "Content-Type": "application/json"})
    assert resp.status != 413


def test_killed_daemon_is_restarted_under_load(site):
    before = site.apache.daemons(COMPUTE_GROUP)
    assert len(before) == COMPUTE_PROCS
    loaded_before = checks.loaded_count(
        site.log("nova-compute-api_error.log"), "osapi_compute")
    victim = before[0]

    def kill():
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: (len(d := site.apache.daemons(COMPUTE_GROUP))
                          == COMPUTE_PROCS and victim not in d), 60,
                 "Apache to restart the daemon")
        checks.wait_loaded(lambda: site.log("nova-compute-api_error.log"),
                           "osapi_compute", loaded_before + 1)

    load = checks.Load(site.compute + "/v2.1/nonexistent", headers=ADMIN,
                       clients=3, ok=(404,))
    load.run(kill, at=1.0, after=2.0)
    print("kill -9 under load:", load.summary())  # shown with -s
    assert len(set(site.apache.daemons(COMPUTE_GROUP)) - set(before)) == 1
    # threads=1: only the request the killed process held can fail.
    assert all(isinstance(o.status, int) for o in load.outcomes), \
        load.summary()
    assert len(load.failures()) <= 1, load.summary()
    assert len(load.outcomes) > 50, load.summary()
    for _ in range(2 * COMPUTE_PROCS):
        checks.authenticated_404(site.compute, headers=ADMIN)


def test_graceful_restart_under_load(site):
    """``apachectl graceful`` under a bounded load (fewer clients than
    daemon processes, each request on a new connection)."""
    before = site.apache.daemons(COMPUTE_GROUP) + site.apache.daemons(
        METADATA_GROUP)
    loaded_before = checks.loaded_count(
        site.log("nova-compute-api_error.log"), "osapi_compute")
    missing_before = _missing_socket_errors(site)
    marks = {}

    def graceful():
        marks["began"] = time.monotonic()
        site.apache.graceful()
        marks["signalled"] = time.monotonic()
        # The new daemons load the API while requests queue.
        checks.wait_loaded(lambda: site.log("nova-compute-api_error.log"),
                           "osapi_compute", loaded_before + COMPUTE_PROCS)
        marks["ready"] = time.monotonic()

    load = checks.Load(site.compute + "/v2.1/nonexistent", headers=ADMIN,
                       clients=3, ok=(404,))
    load.run(graceful, at=1.5, after=2.0)
    print("graceful restart under load:", load.summary())  # shown with -s
    daemons = site.apache.daemons(COMPUTE_GROUP) + site.apache.daemons(
        METADATA_GROUP)
    assert len(daemons) == COMPUTE_PROCS + METADATA_PROCS
    assert not set(daemons) & set(before)
    # Every request was answered, within the clients' bound.
    assert all(isinstance(o.status, int) for o in load.outcomes), \
        load.summary()
    failures = load.failures()
    # Only the old workers' requests of the instant after the signal may
    # fail, each a 503 for the missing daemon socket (module docstring);
    # that instant is given 2 s, old workers see the signal late on a
    # loaded machine.
    assert all(o.status == 503 for o in failures), load.summary()
    assert _missing_socket_errors(site) - missing_before == len(failures)
    late = [o for o in failures if o.start > marks["signalled"] + 2.0]
    assert not late, (late, load.summary())
    early = [o for o in failures if o.start < marks["began"] - 0.05]
    assert not early, (early, load.summary())
    assert sum(1 for o in load.outcomes
               if o.start > marks["ready"] and o.status == 404) > 10, \
        load.summary()
    checks.authenticated_404(site.compute, headers=ADMIN)
    checks.metadata_root(site.metadata)


def _reload(site, *args, user=None):
    """``nova-wsgi-reload`` (the console script; ``python3 -m
    nova.packaging.reload`` from the source tree under the system Python
    as another user) for this test's Apache only: other Apaches on the
    machine may have daemons of the same groups."""
    pidfile = site.apache.root / "run" / "httpd.pid"
    if user is None:
        argv = [str(servers.VENV_BIN / "nova-wsgi-reload")]
    else:
        argv = ["runuser", "-u", user, "--", "/usr/bin/python3", "-S", "-m",
                "nova.packaging.reload"]
    return subprocess.run([*argv, "--pidfile", str(pidfile), *args],
                          cwd=servers.ROOT, capture_output=True, text=True,
                          timeout=180)


def _loaded(site):
    return (checks.loaded_count(site.log("nova-compute-api_error.log"),
                                "osapi_compute"),
            checks.loaded_count(site.log("nova-metadata_error.log"),
                                "metadata"))


@pytest.mark.parametrize("options", [(), ("--rolling",)],
                         ids=["at-once", "rolling"])
def test_nova_wsgi_reload_under_load_loses_nothing(site, options):
    """``nova-wsgi-reload``: SIGUSR1 to each daemon of both groups
    (mod_wsgi's graceful daemon restart), never to Apache. Apache keeps
    the daemons' socket; requests queue while they restart; not one
    fails. The command returns once the new daemons have loaded the API
    and serve."""
    before = {COMPUTE_GROUP: site.apache.daemons(COMPUTE_GROUP),
              METADATA_GROUP: site.apache.daemons(METADATA_GROUP)}
    assert len(before[COMPUTE_GROUP]) == COMPUTE_PROCS
    loaded_before = _loaded(site)
    graceful_before = _graceful_restarts(site)
    result = {}

    def reload_daemons():
        result["proc"] = _reload(site, *options)
        result["loaded"] = _loaded(site)

    load = checks.Load(site.compute + "/v2.1/nonexistent", headers=ADMIN,
                       clients=3, ok=(404,))
    load.run(reload_daemons, at=1.0, after=1.5)
    print(f"nova-wsgi-reload {' '.join(options)} under load:",
          load.summary())  # shown with -s
    proc = result["proc"]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [COMPUTE_GROUP,
                                                      METADATA_GROUP], lines
    assert lines[0].startswith(
        f"{COMPUTE_GROUP}: reloaded {COMPUTE_PROCS} daemon processes of "
        f"Apache {site.apache.pid} in "), lines
    assert ("one by one" in lines[0]) == bool(options), lines
    for group, procs in ((COMPUTE_GROUP, COMPUTE_PROCS),
                         (METADATA_GROUP, METADATA_PROCS)):
        after = site.apache.daemons(group)
        assert len(after) == procs and not set(after) & set(before[group])
    # Loaded again, by the time the command returned.
    assert result["loaded"] == (loaded_before[0] + COMPUTE_PROCS,
                                loaded_before[1] + METADATA_PROCS)
    assert _graceful_restarts(site) == graceful_before  # Apache untouched
    assert not load.failures(), load.summary()
    assert len(load.outcomes) > 50, load.summary()
    checks.metadata_root(site.metadata)


def test_touching_the_script_reloads_under_load_losing_nothing(site):
    """mod_wsgi's script reloading (WSGIScriptReloading, on by default):
    after ``touch`` of the .wsgi script, each daemon that gets a request
    sees the new mtime, sends the request back to Apache (which tries it
    again on another daemon) and restarts; the new daemon preloads the
    script as at start. Under load every daemon gets one: all restart,
    nothing fails (requests wait meanwhile). An idle daemon restarts only
    at its next request."""
    before = site.apache.daemons(COMPUTE_GROUP)
    loaded_before = _loaded(site)[0]
    script = site.tree.path / "scripts" / render.script_filename("compute")

    def touch():
        os.utime(script)
        checks.wait_loaded(lambda: site.log("nova-compute-api_error.log"),
                           "osapi_compute", loaded_before + COMPUTE_PROCS)
        wait_for(lambda: not set(site.apache.daemons(COMPUTE_GROUP))
                 & set(before), 60, "the old daemons to exit")

    load = checks.Load(site.compute + "/v2.1/nonexistent", headers=ADMIN,
                       clients=3, ok=(404,))
    load.run(touch, at=1.0, after=1.5)
    print("touch under load:", load.summary())  # shown with -s
    after = site.apache.daemons(COMPUTE_GROUP)
    assert len(after) == COMPUTE_PROCS and not set(after) & set(before)
    log = site.log("nova-compute-api_error.log")
    assert log.count("Forcing restart of daemon process "
                     f"'{COMPUTE_GROUP}' due to modification of script") \
        >= COMPUTE_PROCS
    assert not load.failures(), load.summary()
    assert len(load.outcomes) > 50, load.summary()


def test_nova_wsgi_reload_refuses_what_it_cannot_do(site):
    """An unknown group: nothing signalled, the groups it did see named.
    Another user than the daemons': permission denied, nothing signalled
    (run from the source tree with the system Python and no
    site-packages, as from a bare checkout)."""
    before = site.apache.daemons(COMPUTE_GROUP)
    proc = _reload(site, "--group", "nosuch")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout == (
        f"nosuch: no daemon process of this group found under Apache "
        f"{site.apache.pid} (no process in /proc named '(wsgi:nosuch)'); "
        f"daemons seen: '(wsgi:nova-comput' x{COMPUTE_PROCS}, "
        f"'(wsgi:nova-metada' x{METADATA_PROCS}\n")
    proc = _reload(site, "compute", user="nobody")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout == (
        f"{COMPUTE_GROUP}: permission denied sending SIGUSR1 to pid "
        f"{before[0]} (user {RUN_AS}): run as root or as {RUN_AS}\n")
    assert site.apache.daemons(COMPUTE_GROUP) == before
    proc = _reload(site, "compute", "--dry-run")
    assert proc.stdout == (
        f"{COMPUTE_GROUP}: would signal {COMPUTE_PROCS} daemon processes "
        f"of Apache {site.apache.pid} (pids "
        f"{' '.join(str(p) for p in before)})\n")
    assert site.apache.daemons(COMPUTE_GROUP) == before


def _graceful_restarts(site):
    return site.apache.log("error.log").count("Doing graceful restart")


def _missing_socket_errors(site):
    return len(re.findall(r"No such file or directory.*WSGI0117",
                          site.log("nova-compute-api_error.log")))


# -- the other variants -------------------------------------------------------

VARIANTS = [(layout, relpath) for relpath in shipped.SHIPPED
            if relpath.startswith("deployment/apache/")
            for layout in [relpath.split("/")[2]]]


@pytest.mark.parametrize("layout, relpath", VARIANTS,
                         ids=[v[1] for v in VARIANTS])
def test_every_shipped_variant_passes_config_test(workdir, layout, relpath):
    name = relpath.rsplit("/", 1)[1]
    api = "compute" if name.startswith("nova-compute-api") else "metadata"
    options = {}
    modules = ()
    if "-tls" in name:
        crt, key = servers.self_signed_certificate(workdir)
        options.update(tls=True, ssl_certificate=str(crt),
                       ssl_certificate_key=str(key))
        modules = ("ssl",)
    if "-prefix" in name:
        options["path_prefix"] = "/compute"
    else:
        options.update(port=servers.free_port(), listen_address="127.0.0.1")
    workdir.mkdir("scripts")
    workdir.mkdir("logs")
    apache = servers.Apache(workdir, "httpd", [
        (name, snippet(api, workdir, layout=layout, **options))],
        modules=modules)
    ok, output = apache.check()
    assert ok and "Syntax OK" in output, output


def test_tls_variant_serves_both_apis(workdir):
    etc = workdir.config("etc")
    scripts(workdir, etc)
    crt, key = servers.self_signed_certificate(workdir)
    ports = {api: servers.free_port() for api in render.APIS}
    apache = servers.Apache(workdir, "httpd", [
        (render.vhost_filename(api, tls=True), snippet(
            api, workdir, tls=True, port=ports[api],
            listen_address="127.0.0.1", processes=1,
            python_home=str(servers.VENV), ssl_certificate=str(crt),
            ssl_certificate_key=str(key)))
        for api in render.APIS], modules=("ssl",))
    ok, output = apache.check()
    assert ok, output
    apache.start()
    try:
        compute = f"https://127.0.0.1:{ports['compute']}"
        metadata = f"https://127.0.0.1:{ports['metadata']}"
        checks.wait_loaded(
            lambda: (workdir.path / "logs" /
                     "nova-compute-api_error.log").read_text(),
            "osapi_compute")
        checks.versions(compute)  # links say https: the API sees TLS
        checks.authenticated_404(compute)
        checks.metadata_root(metadata)
        plain = request(f"http://127.0.0.1:{ports['compute']}/", timeout=5)
        assert plain.status == 400 and "SSL" in plain.text
    finally:
        apache.stop()


def test_path_prefix_variant_on_the_sites_own_server(workdir):
    """DevStack's layout: the compute API under /compute of the site (here
    a plain server on a test port standing for port 80), the metadata API
    on its own port."""
    etc = workdir.config("etc")
    scripts(workdir, etc)
    site_port, metadata_port = servers.free_port(), servers.free_port()
    apache = servers.Apache(workdir, "httpd", [
        ("nova-compute-api-prefix.conf", snippet(
            "compute", workdir, path_prefix="/compute", processes=2,
            python_home=str(servers.VENV))),
        ("nova-metadata.conf", snippet(
            "metadata", workdir, port=metadata_port,
            listen_address="127.0.0.1", processes=1,
            python_home=str(servers.VENV))),
    ], extra=f"Listen 127.0.0.1:{site_port}")
    ok, output = apache.check()
    assert ok, output
    apache.start()
    try:
        # Server-level daemon: its messages are in the main error log.
        checks.wait_loaded(lambda: apache.log("error.log"), "osapi_compute",
                           2)
        site = f"http://127.0.0.1:{site_port}"
        checks.versions(site + "/compute")
        checks.authenticated_404(site + "/compute")
        assert request(site + "/compute/healthcheck").status == 200
        assert request(site + "/v2.1").status == 404  # not the API
        checks.metadata_root(f"http://127.0.0.1:{metadata_port}")
    finally:
        apache.stop()
