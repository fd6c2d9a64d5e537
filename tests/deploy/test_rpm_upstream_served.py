"""The RPM of rpm/openstack-nova-wsgi.spec served: its installed vhosts pass
``apachectl -t`` and a private Apache serves the installed scripts with
them (only their port and the scratch root's paths changed), the daemons
running as the root's nova user (RDO's id 162, through nss_wrapper, as
test_rpm.py does).

First the interpreter's "nova" is this project's, from .venv, standing in
for python3-nova: it has the same entry modules and reads the same
OS_NOVA_CONFIG_DIR / OS_NOVA_CONFIG_FILES, the latter set by the installed
scripts. The package's logrotate file then rotates the logs Apache is
writing, and Apache keeps writing to the truncated files without being
reloaded.

Last, the installed scripts and vhosts serve the real upstream Nova
34.0.0 (``tests/deploy/upstream.py``): its virtualenv stands in for the
system Python (the daemons' ``python-home=``), its config and databases
are found through OS_NOVA_CONFIG_DIR in Apache's environment, and the
provenance header, upstream's API database and the kit's deployment
check show that upstream's code answered.

The build, rpmlint and the package's contents: test_rpm_upstream.py.
"""

import gzip
import os
import re
import subprocess
import threading
import time
import uuid

import pytest

from nova.packaging import render
from tests.deploy import checks, rpmroot, servers, upstream
from tests.deploy.servers import request

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("rpm_tools")]

NAME = rpmroot.UPSTREAM_NAME
LOG_DIR = rpmroot.UPSTREAM_LOG_DIR
LOGROTATE = f"/etc/logrotate.d/{NAME}"
NOVA_ID = 162


@pytest.fixture(scope="module")
def installed(module_workdir):
    packages = rpmroot.build_upstream(module_workdir.path / "rpmbuild")
    root = rpmroot.rdo_root(module_workdir.path / "root")
    proc = root.install([packages[NAME]])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root


# -- the installed vhosts under Apache ----------------------------------------

# The vhosts' names by API.
VHOSTS = {api: render.APIS[api].name for api in render.APIS}


def test_installed_vhosts_pass_apachectl_t(installed, module_workdir):
    apache = rpmroot.InstalledVhosts(installed, module_workdir, "httpd-t",
                                     VHOSTS, installed / LOG_DIR).apache
    ok, out = apache.check()
    assert ok and "Syntax OK" in out, out
    # Without the nova account (openstack-nova-common's), Apache refuses
    # the daemons' user: hence the requirement.
    apache.env = servers.clean_env(APACHE_ENVVARS=apache.env["APACHE_ENVVARS"])
    ok, out = apache.check()
    assert not ok and "bad user name nova" in out, out


class Site:
    """The installed scripts and vhosts served by a private Apache, with
    /etc/nova written as openstack-nova-common would, and this project's
    nova module standing in for python3-nova."""

    def __init__(self, root, tree):
        self.root = root
        etc = root / "etc/nova"
        etc.mkdir(parents=True, exist_ok=True)
        state = root / "var/lib/nova"
        state.mkdir(parents=True, exist_ok=True)
        os.chown(state, NOVA_ID, NOVA_ID)
        (etc / "api-paste.ini").write_text(servers.PASTE.read_text())
        (etc / "nova.conf").write_text(
            "[api]\nauth_strategy = noauth2\n"
            f"[database]\nconnection = sqlite:///{state}/nova.sqlite\n")
        for name in ("api-paste.ini", "nova.conf"):
            (etc / name).chmod(0o644)
        # Only the directory: the scripts set OS_NOVA_CONFIG_FILES.
        proc = subprocess.run(
            [str(servers.VENV_BIN / "nova-manage"), "db", "sync"],
            env=servers.clean_env(OS_NOVA_CONFIG_DIR=str(etc)),
            capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        for path in state.iterdir():
            os.chown(path, NOVA_ID, NOVA_ID)
        self.vhosts = rpmroot.InstalledVhosts(
            root, tree, "httpd", VHOSTS, root / LOG_DIR,
            env={"OS_NOVA_CONFIG_DIR": str(etc)},
            python_home=str(servers.VENV))
        self.apache, self.log_dir = self.vhosts.apache, self.vhosts.log_dir
        self.url, self.error_log = self.vhosts.url, self.vhosts.error_log
        ok, out = self.apache.check()
        assert ok, out
        self.apache.start()


@pytest.fixture(scope="module")
def site(installed, module_workdir):
    served = Site(installed, module_workdir)
    yield served
    served.apache.stop()


def test_installed_scripts_and_vhosts_serve_both_apis(site):
    checks.wait_loaded(site.error_log, "osapi_compute")
    checks.wait_loaded(site.error_log, "metadata")
    # The installed scripts' OS_NOVA_CONFIG_FILES: the paste file first.
    etc = site.root / "etc/nova"
    for api in ("osapi_compute", "metadata"):
        assert f"Loaded the {api} API from {etc}/api-paste.ini (config: " \
            f"{etc}/api-paste.ini, {etc}/nova.conf)" in site.error_log()
    checks.versions(site.url("compute"))
    checks.authenticated_404(site.url("compute"))
    checks.metadata_root(site.url("metadata"))
    for api in render.APIS:
        pids = servers.wait_for(
            lambda a=api: site.apache.daemons(render.APIS[a].name), 30,
            f"the daemons of {api}")
        for pid in pids:
            status = open(f"/proc/{pid}/status").read()
            assert re.search(r"^Uid:\s+162\s", status, re.M), status
    # Logged where the package's log directory is.
    assert sorted(p.name for p in site.log_dir.iterdir()) == sorted(
        f"{render.APIS[api].name}_{kind}.log"
        for api in render.APIS for kind in ("access", "error"))


def _numbered_requests(url, stop, outcomes):
    """GET url?n=0, 1, 2... one after the other until ``stop`` is set;
    ``outcomes`` gets (n, start, end, status)."""
    n = 0
    while not stop.is_set():
        start = time.monotonic()
        status = request(f"{url}?n={n}", timeout=30).status
        outcomes.append((n, start, time.monotonic(), status))
        n += 1


def _logged(text, path):
    return [int(n) for n in re.findall(rf'"GET {re.escape(path)}\?n=(\d+) ',
                                       text)]


def test_logrotate_truncates_the_served_logs_and_apache_keeps_writing(
        site, module_workdir):
    # The installed logrotate file, only its path moved into the scratch
    # root, run as the daily cron job would (forced: the logs are small),
    # with both its logs and httpd's own logrotate entry, which rotates
    # /var/log/httpd/*log and reloads httpd: logrotate refuses a file that
    # two entries name, and httpd's must not touch the vhosts' logs.
    url, path = site.url("compute") + "/healthcheck", "/healthcheck"
    # Every log has lines (notifempty would skip an empty one).
    checks.metadata_root(site.url("metadata"))
    access = site.log_dir / "nova-compute-api_access.log"
    text = (site.root / LOGROTATE).read_text()
    assert text.count(f"{LOG_DIR}/") == 1
    conf = module_workdir.write("logrotate/nova.conf", text.replace(
        f"{LOG_DIR}/", f"{site.log_dir}/"))
    marker = module_workdir.path / "logrotate" / "httpd-reloaded"
    httpd_logs = site.root / "var/log/httpd"
    (httpd_logs / "access_log").write_text("a line of httpd's own\n")
    # RHEL's httpd entry (rotate 4: RHEL's logrotate.conf), "touch"
    # standing for its "systemctl reload httpd".
    httpd_conf = module_workdir.write("logrotate/httpd.conf", (
        f"{httpd_logs}/*log {{\n    rotate 4\n    missingok\n"
        "    notifempty\n    sharedscripts\n    delaycompress\n"
        f"    postrotate\n        touch {marker}\n    endscript\n}}\n"))
    state = module_workdir.path / "logrotate" / "state"

    apache_pid = site.apache.pid
    daemons = {api: site.apache.daemons(render.APIS[api].name)
               for api in render.APIS}
    inode = access.stat().st_ino
    stop, outcomes = threading.Event(), []
    client = threading.Thread(target=_numbered_requests,
                              args=(url, stop, outcomes), daemon=True)
    client.start()
    try:
        servers.wait_for(lambda: len(outcomes) >= 50, 30, "50 requests")
        time.sleep(0.5)  # more than the margin for "ended before" below
        t0 = time.monotonic()
        proc = subprocess.run(["logrotate", "-v", "-f", "-s", str(state),
                               str(httpd_conf), str(conf)],
                              capture_output=True, text=True, timeout=60)
        t1 = time.monotonic()
        count = len(outcomes)
        servers.wait_for(lambda: len(outcomes) >= count + 50, 30,
                         "50 requests after the rotation")
    finally:
        stop.set()
        client.join(60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "duplicate" not in proc.stderr, proc.stderr
    assert all(status == 200 for *_, status in outcomes)

    # httpd's entry rotated its own log only (and would have reloaded).
    assert marker.exists()
    assert (httpd_logs / "access_log.1").exists()
    # Every vhost log rotated into a compressed copy, the file itself kept.
    names = {p.name for p in site.log_dir.iterdir()}
    for api in render.APIS:
        for kind in ("access", "error"):
            stem = f"{render.APIS[api].name}_{kind}.log"
            assert {stem, f"{stem}.1.gz"} <= names, names
    assert access.stat().st_ino == inode
    # No reload, no restart: the same Apache and the same daemons.
    assert site.apache.pid == apache_pid
    assert servers.alive(apache_pid)
    assert {api: site.apache.daemons(render.APIS[api].name)
            for api in render.APIS} == daemons
    assert site.apache.error_log().count("resuming normal operations") == 1

    # Apache appends: the truncated file grew again from zero (no hole of
    # NUL bytes where the old end was), with every request that started
    # once logrotate was done; the copy holds every one that ended before
    # it began.
    live = access.read_bytes()
    assert b"\0" not in live
    rotated = gzip.decompress(
        (site.log_dir / f"{access.name}.1.gz").read_bytes()).decode()
    in_live, in_copy = _logged(live.decode(), path), _logged(rotated, path)
    after = [n for n, start, _, _ in outcomes if start > t1]
    before = [n for n, _, end, _ in outcomes if end < t0 - 0.2]
    assert after and set(after) <= set(in_live)
    assert before and set(before) <= set(in_copy)
    # Each line once (Apache logs a request after answering it, so the
    # lines of consecutive requests need not be in order).
    assert len(in_live + in_copy) == len(set(in_live) | set(in_copy))
    # What copytruncate can lose: lines written between the copy and the
    # truncation, only of requests that ended while logrotate ran.
    lost = {n for n, *_ in outcomes} - set(in_live) - set(in_copy)
    during = {n for n, start, end, _ in outcomes
              if end >= t0 - 0.2 and start <= t1}
    assert lost <= during, (lost, during)
    print(f"\nlogrotate copytruncate under load: {len(outcomes)} requests, "
          f"{len(in_copy)} in the copy, {len(in_live)} in the live file, "
          f"{len(lost)} lost, logrotate ran {1000 * (t1 - t0):.0f} ms")


# -- the installed files serving upstream Nova --------------------------------

def upstream_vhosts(root, tree):
    """The installed scripts and vhosts with the real upstream Nova, not
    started: the virtualenv of nova==34.0.0 made by tools/upstream-nova.sh
    stands in for the system Python that holds python3-nova (each daemon's
    ``python-home=``, and WSGIPythonHome, at it; mod_wsgi its own).
    Upstream's config (tests/deploy/upstream.py: its api-paste.ini with the
    stand-in auth filter, a nova.conf on SQLite, the databases made by its
    nova-manage, owned by uid 162) is in the directory the daemons get as
    OS_NOVA_CONFIG_DIR from Apache's environment: the installed scripts
    only default it to /etc/nova. One process per API, to save CPU."""
    site = upstream.UpstreamSite(tree, upstream.ensure_venv(), processes=1)
    site.make_databases(owner=(NOVA_ID, NOVA_ID))
    # The daemons' home (RDO's account): they start there.
    (root / "var/lib/nova").mkdir(parents=True, exist_ok=True)
    # Not the package's log directory: the served-RPM test's Apache logs
    # there and the logrotate test counts its files.
    vhosts = rpmroot.InstalledVhosts(
        root, tree, "httpd-upstream", VHOSTS,
        tree.mkdir("upstream-logs/nova"),
        env={"OS_NOVA_CONFIG_DIR": str(site.etc)},
        daemons={"python_home": site.venv, "processes": 1},
        python_home=str(site.venv), mod_wsgi=servers.mod_wsgi_so(site.bin))
    return site, vhosts


@pytest.fixture(scope="module")
def upstream_served(installed, module_workdir):
    site, vhosts = upstream_vhosts(installed, module_workdir)
    yield site, vhosts
    vhosts.apache.stop()


def test_installed_files_serve_upstream_nova(upstream_served):
    site, served = upstream_served
    compute, metadata = served.url("compute"), served.url("metadata")
    for _name, text in served.snippets:
        assert f" python-home={site.venv} " in text, text
        assert " processes=1 " in text and " user=nova group=nova " in text
    ok, out = served.apache.check()
    assert ok and "Syntax OK" in out, out
    served.apache.start()
    upstream.wait_serving("the installed files", compute, metadata,
                          served.error_log)

    checks.versions(compute)
    checks.unauthorized(compute)
    checks.metadata_root(metadata)
    # Upstream's code from its virtualenv (no nova-wsgi there) answered,
    # in the one daemon of each API, running as RDO's nova (162).
    pids = site.provenance_pids(compute, metadata)
    daemons = {api: served.apache.daemons(render.APIS[api].name)
               for api in render.APIS}
    assert [len(d) for d in daemons.values()] == [1, 1], daemons
    assert pids == {pid for d in daemons.values() for pid in d}, \
        (pids, daemons)
    for pid in pids:
        status = open(f"/proc/{pid}/status").read()
        assert re.search(r"^Uid:\s+162\s", status, re.M), status

    # An authenticated call: a flavor created and read back as admin,
    # found in upstream's API database; upstream's request log line for
    # it in the vhost's error log.
    name = f"rpm-upstream-{uuid.uuid4().hex[:8]}"
    flavor = checks.flavor_round_trip(compute, site.headers, name, ram=96)
    assert site.flavor_row(flavor["id"]) == (name, 96)
    line = re.compile(r"INFO nova\.api\.openstack\.requestlog .*"
                      + re.escape(f'"GET /v2.1/flavors/{flavor["id"]}" '
                                  "status: 200"))
    compute_log = served.log_dir / "nova-compute-api_error.log"
    servers.wait_for(lambda: line.search(compute_log.read_text()), 15,
                     "upstream's request log line in the vhost's log")

    # The kit's deployment check, from the single-file kit.
    checks.assert_deployment_passes(compute, metadata, token=site.token,
                                    kit=site.pyz)
    assert "Traceback" not in served.error_log(), served.error_log()[-5000:]
