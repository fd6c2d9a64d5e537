"""The deployment kit serving the real upstream Nova (34.0.0, from the
package index), as an upstream operator would use it.

Upstream Nova lives in its own virtualenv made from /usr/bin/python3
(``tools/upstream-nova.sh``, cached; this project is not installed in it).
Its config is its own ``api-paste.ini`` (the test-only stand-in auth filter
in keystonemiddleware's place; upstream has no noauth2) and a
``nova.conf`` on SQLite; its databases are made by its own
``nova-manage``. The kit's files are rendered for it by the single-file
kit, ``nova-wsgi-kit.pyz``, run by Debian's python3 outside this source
tree (``tests/deploy/upstream.py``), with
``--python-home`` and ``--config-dir``/``--config-files``, and served by:

- ``mod_wsgi-express``: the rendered ``.wsgi`` scripts, with the
  mod_wsgi installed in the upstream virtualenv;
- ``apache-debian``, ``apache-rhel``: a private Apache (``apache2ctl
  -f``) with each layout's vhost snippets as the kit wrote them (``-t``
  passing; address, paths, user and logs are the kit's options);
- ``uwsgi``: the rendered inis;
- ``gunicorn-config``: the rendered config files, ``gunicorn -c FILE``;
- ``gunicorn-bind``: the default config files with ``--bind`` on the
  command line, as the README says (upstream parses ``sys.argv``, which the
  config's ``post_fork`` empties; without it the workers die, shown below).

For each: the versions document, 401 without the token, a flavor created
and read back as admin and found in upstream's API database, the metadata
API's ``/``, and proof that upstream's code answered: the stand-in's
provenance header (read in the serving process: upstream's ``nova`` from
the virtualenv, distribution nova 34.0.0, no ``nova-wsgi``; the pid one of
this server's processes), upstream's HTML 404 and its request log lines.
One server runs at a time; each is stopped before the next starts.
"""

import dataclasses
import re
import signal
import typing
import uuid

import pytest

from tests.deploy import checks, servers, upstream
from tests.deploy.servers import request, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("deploy_tools")]

SCRIPTS = {"compute": "nova-compute-api", "metadata": "nova-metadata"}
# Each process loads upstream's API (3 s of CPU): 2 per API rather than the
# kit's 4 and 2 keeps the module short; --processes is the kit's option.
PROCESSES = 2
SERVERS = ("mod_wsgi-express", "apache-debian", "apache-rhel", "uwsgi",
           "gunicorn-config", "gunicorn-bind")


@pytest.fixture(scope="module")
def site(deploy_tools, module_workdir):
    site = upstream.UpstreamSite(module_workdir, upstream.ensure_venv(),
                                 processes=PROCESSES)
    site.make_databases()
    site.render("--gunicorn", module_workdir.mkdir("gunicorn-default"))
    return site


@dataclasses.dataclass
class Served:
    name: str
    compute: str
    metadata: str
    log: typing.Callable[[], str]       # everything the servers logged
    roots: typing.Callable[[], list]    # pids the API processes descend from
    facts: typing.Callable[[], None]    # this server's own assertions


def _processes(site, tree, name, argvs):
    """One foreground server per API: {api: servers.Process}."""
    return {api: servers.Process(argv, tree.path / f"{name}-{api}.log",
                                 env=site.env(), cwd=tree.path)
            for api, argv in argvs.items()}


def _served_by(name, procs, ports, facts):
    return Served(
        name, f"http://127.0.0.1:{ports['compute']}",
        f"http://127.0.0.1:{ports['metadata']}",
        lambda: "".join(p.output() for p in procs.values()),
        lambda: [p.pid for p in procs.values()], facts)


def _stop(procs, sig):
    codes = {api: proc.stop(sig) for api, proc in procs.items()}
    assert not any(servers.alive(p.pid) for p in procs.values())
    return codes


def serve_express(site, tree):
    ports = {api: servers.free_port() for api in SCRIPTS}
    procs = _processes(site, tree, "express", {
        api: servers.express_argv(
            site.kit / f"{SCRIPTS[api]}.wsgi", ports[api],
            tree.mkdir(f"express-{api}"), venv_bin=site.bin)
        for api in SCRIPTS})

    def facts():
        # The mod_wsgi of upstream's virtualenv, from the kit's scripts.
        conf = (tree.path / "express-compute" / "httpd.conf").read_text()
        assert f"{site.venv}/lib/python" in re.search(
            r"^LoadModule wsgi_module .*$", conf, re.M).group(0), conf
        handler = (tree.path / "express-compute" / "handler.wsgi").read_text()
        assert str(site.kit / "nova-compute-api.wsgi") in handler, handler
    try:
        yield _served_by("mod_wsgi-express", procs, ports, facts)
    finally:
        assert _stop(procs, signal.SIGTERM) == {"compute": 0, "metadata": 0}


def serve_apache(site, tree, layout):
    name = f"httpd-{layout}"
    ports = {api: servers.free_port() for api in SCRIPTS}
    # The layouts log to /var/log/apache2/nova and /var/log/httpd; here
    # to the private Apache's own logs/ (the kit checks that it exists).
    logs = tree.mkdir(f"{name}/logs")
    snippets = site.render_apache(layout, ports, tree.mkdir(
        f"vhosts-{layout}"), log_dir=logs)
    apache = servers.Apache(tree, name, snippets, env=site.env(),
                            python_home=str(site.venv),
                            mod_wsgi=servers.mod_wsgi_so(site.bin))
    ok, output = apache.check()
    assert ok and "Syntax OK" in output, output
    apache.start()

    def facts():
        ok, output = apache.check()
        assert ok and "Syntax OK" in output, output
        for api in SCRIPTS:
            assert len(apache.daemons(SCRIPTS[api])) == PROCESSES, api
        assert f"python-home={site.venv}" in snippets[0][1]
    try:
        yield Served(f"apache-{layout}", f"http://127.0.0.1:{ports['compute']}",
                     f"http://127.0.0.1:{ports['metadata']}",
                     apache.error_log, lambda: [apache.pid], facts)
    finally:
        apache.stop()


def _binds(ports):
    return [arg for api, port in ports.items()
            for arg in ("--bind", f"{api}=127.0.0.1:{port}")]


def serve_uwsgi(site, tree):
    ports = {api: servers.free_port() for api in SCRIPTS}
    out = tree.mkdir("uwsgi")
    site.render("--uwsgi", out, *_binds(ports))
    procs = _processes(site, tree, "uwsgi", {
        api: [site.bin / "uwsgi", "--ini", out / f"{SCRIPTS[api]}.ini"]
        for api in SCRIPTS})

    def facts():
        # virtualenv= from --python-home: uWSGI runs upstream's venv.
        assert f"PEP 405 virtualenv detected: {site.venv}" in \
            procs["compute"].output()
    try:
        yield _served_by("uwsgi", procs, ports, facts)
    finally:
        _stop(procs, signal.SIGINT)


def serve_gunicorn(site, tree, bind_on_command_line):
    ports = {api: servers.free_port() for api in SCRIPTS}
    if bind_on_command_line:
        # The default files (0.0.0.0:8774, :8775); the command line wins.
        argvs = {api: [site.bin / "gunicorn", "-c",
                       tree.path / "gunicorn-default" / f"{SCRIPTS[api]}"
                       ".conf.py", "--bind", f"127.0.0.1:{ports[api]}"]
                 for api in SCRIPTS}
    else:
        out = tree.mkdir("gunicorn")
        site.render("--gunicorn", out, *_binds(ports))
        argvs = {api: [site.bin / "gunicorn", "-c",
                       out / f"{SCRIPTS[api]}.conf.py"] for api in SCRIPTS}
    name = "gunicorn-bind" if bind_on_command_line else "gunicorn-config"
    procs = _processes(site, tree, name, argvs)

    def facts():
        for api, proc in procs.items():
            out = proc.output()
            assert f"Listening at: http://127.0.0.1:{ports[api]} " in out
            assert "unrecognized arguments" not in out
            assert len(servers.children(proc.pid)) == PROCESSES, out
    try:
        yield _served_by(name, procs, ports, facts)
    finally:
        _stop(procs, signal.SIGINT)


@pytest.fixture(scope="module", params=SERVERS)
def served(request, site, module_workdir):
    name, tree = request.param, module_workdir
    if name == "mod_wsgi-express":
        serving = serve_express(site, tree)
    elif name.startswith("apache-"):
        serving = serve_apache(site, tree, name.split("-", 1)[1])
    elif name == "uwsgi":
        serving = serve_uwsgi(site, tree)
    else:
        serving = serve_gunicorn(site, tree, name == "gunicorn-bind")
    served = next(serving)
    try:
        upstream.wait_serving(served.name, served.compute, served.metadata,
                              served.log)
        yield served
    finally:
        serving.close()  # stops it (the generator's finally)


# -- what every server must show ----------------------------------------------

def test_answers_from_outside(served, site):
    """What a client sees: versions, 401 without the token, 200 with it,
    the metadata root; and the kit's own deployment check (run from the
    single-file kit) passes every check on upstream's answers."""
    checks.versions(served.compute)
    checks.unauthorized(served.compute)
    resp = request(served.compute + "/v2.1/flavors", headers=site.headers)
    assert resp.status == 200, (resp.status, resp.text)
    checks.metadata_root(served.metadata)
    checks.assert_deployment_passes(served.compute, served.metadata,
                                    token=site.token, kit=site.pyz)


def test_401_without_the_token_even_with_identity_headers(served):
    forged = {"X-Roles": "admin", "X-User-Id": "mallory",
              "X-Project-Id": "mallory", "X-Identity-Status": "Confirmed"}
    checks.unauthorized(served.compute, headers=forged)
    checks.unauthorized(served.compute,
                        headers={**forged, "X-Auth-Token": "wrong"})


def test_admin_flavor_reaches_upstreams_api_database(served, site):
    name = f"upstream-{served.name}-{uuid.uuid4().hex[:8]}"
    # A forged system scope is dropped by the stand-in as by authtoken
    # (kept, it would make the call system-scoped: 403 from upstream's
    # policy); the roles are the token's, not the client's.
    headers = {**site.headers, "OpenStack-System-Scope": "all",
               "X-Roles": "reader"}
    flavor = checks.flavor_round_trip(served.compute, headers, name, ram=96)
    assert site.flavor_row(flavor["id"]) == (name, 96)


def test_upstreams_code_answers(served, site):
    pids = site.provenance_pids(served.compute, served.metadata)
    # Answered by processes of this server, not by anything else.
    mine = {p for root in served.roots()
            for p in [root, *servers.descendants(root)]}
    assert pids <= mine, (pids, mine)
    # Upstream's own answers: an HTML 404 for an unknown path (webob's,
    # for curl's "Accept: */*"), and its request log line
    # (nova.api.openstack.requestlog) for it.
    probe = f"/v2.1/upstream-probe-{uuid.uuid4().hex[:8]}"
    resp = request(served.compute + probe,
                   headers={**site.headers, "Accept": "*/*"})
    assert resp.status == 404, resp.text
    assert resp.headers["content-type"].startswith("text/html"), resp.headers
    assert "<title>404 Not Found</title>" in resp.text, resp.text
    line = re.compile(r"INFO nova\.api\.openstack\.requestlog .*"
                      + re.escape(f'"GET {probe}" status: 404'))
    wait_for(lambda: line.search(served.log()), 15,
             f"upstream's request log line for {probe}")
    assert "Traceback" not in served.log(), served.log()[-5000:]


def test_server_specific_facts(served):
    served.facts()


# -- once ---------------------------------------------------------------------

def test_upstream_venv_holds_upstream_nova_not_this_project(site):
    import subprocess

    proc = subprocess.run([str(site.bin / "python"), "-c", """
import importlib.metadata as md, importlib.util as iu, nova
print(nova.__file__)
print(md.version("nova"))
try:
    md.distribution("nova-wsgi")
except md.PackageNotFoundError:
    print("nova-wsgi absent")
print(iu.find_spec("nova.packaging"))
"""], capture_output=True, text=True, timeout=120, env=site.env(),
                          cwd=site.tree.path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"{site.venv}/lib/"), lines
    assert lines[1:] == [upstream.VERSION, "nova-wsgi absent", "None"]


def test_gunicorn_without_post_fork_fails_with_upstream(site, module_workdir):
    """Why the kit's gunicorn config empties sys.argv: without that hook,
    upstream parses gunicorn's own arguments in every worker and exits."""
    conf = module_workdir.path / "gunicorn-default" / "nova-metadata.conf.py"
    text = conf.read_text()
    assert "\n\ndef post_fork(server, worker):" in text
    bare = module_workdir.write(
        "gunicorn-bare.conf.py", text.split("\n\ndef post_fork(")[0] + "\n")
    port = servers.free_port()
    proc = servers.Process(
        [site.bin / "gunicorn", "-c", bare, "--bind", f"127.0.0.1:{port}",
         "--workers", "1"], module_workdir.path / "gunicorn-bare.log",
        env=site.env(), cwd=module_workdir.path)
    try:
        wait_for(lambda: "error: unrecognized arguments: -c" in proc.output(),
                 90, "upstream refusing gunicorn's arguments")
    finally:
        # The master restarts the dying workers forever: no graceful stop.
        proc.stop(signal.SIGKILL, timeout=10)
