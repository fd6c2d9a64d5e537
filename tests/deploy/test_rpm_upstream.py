"""The RPM of rpm/openstack-nova-wsgi.spec: upstream Nova's WSGI files for a
system whose Nova comes from the distribution (RDO's python3-nova and
openstack-nova-common). Built, linted, inspected, installed, checked with
Apache, served, and its log rotation run for real.

Built with ``tools/build-rpms.sh --spec rpm/openstack-nova-wsgi.spec``
(``git archive`` of the work tree, rpmbuild, %check), linted with rpmlint
and its spelling check, inspected with ``rpm -qp``, installed with
``rpm -i --root --nodeps`` into a scratch root (``rpmroot``) whose
/etc/passwd and /etc/group hold the nova account that RDO's
openstack-nova-common creates (id 162): none of RDO's packages can be in
such a root, and a test checks that they are the only missing ones.

Then the installed vhosts (only their port and the scratch root's paths
changed) pass ``apachectl -t`` and a private Apache serves the installed
scripts with them, the daemons running as the root's nova user (through
nss_wrapper, as test_rpm.py does). The interpreter's "nova" there is this
project's, from .venv, standing in for python3-nova: it has the same entry
modules and reads the same OS_NOVA_CONFIG_DIR / OS_NOVA_CONFIG_FILES, the
latter set by the installed scripts. The package's logrotate file then
rotates the logs Apache is writing, and Apache keeps writing to the
truncated files without being reloaded.

Last, the installed scripts and vhosts serve the real upstream Nova
34.0.0 (``tests/deploy/upstream.py``): its virtualenv stands in for the
system Python (the daemons' ``python-home=``), its config and databases
are found through OS_NOVA_CONFIG_DIR in Apache's environment, and the
provenance header, upstream's API database and the kit's deployment
check show that upstream's code answered.

The project's own packages (rpm/nova-wsgi.spec, built without %check) show
the conflicts both ways.
"""

import gzip
import os
import re
import subprocess
import threading
import time
import uuid

import pytest

import nova
from nova.packaging import render
from tests.deploy import checks, rpmroot, servers, upstream
from tests.deploy.rpmroot import rpm_file
from tests.deploy.servers import request

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("rpm_tools")]

NAME = "openstack-nova-wsgi"
VERSION = nova.__version__
WSGI_DIR = rpmroot.WSGI_DIR
LOG_DIR = "/var/log/httpd/nova"
LOGROTATE = f"/etc/logrotate.d/{NAME}"
NOVA_ID = 162
# What RDO's openstack-nova-common creates in its %pre.
RDO_PASSWD = ["nova:x:162:162:OpenStack Nova Daemons:/var/lib/nova:"
              "/sbin/nologin"]
RDO_GROUP = ["nova:x:162:"]
# RDO's packages that this one requires, as `rpm -i --test` names them.
OUTSIDE = {"python3-nova >= 1:30.0.0", "openstack-nova-common", "httpd",
           "python3-mod_wsgi", "logrotate"}
OURS = ("nova-wsgi-common", "nova-wsgi-compute-api", "nova-wsgi-metadata-api")
CONFIG_FILES = "api-paste.ini;nova.conf"

# path -> (mode, user, group, rpm file flags: "c" %config, "n" noreplace).
FILES = {
    WSGI_DIR: ("drwxr-xr-x", "root", "root", ""),
    f"{WSGI_DIR}/nova-compute-api.wsgi": ("-rw-r--r--", "root", "root", ""),
    f"{WSGI_DIR}/nova-metadata.wsgi": ("-rw-r--r--", "root", "root", ""),
    "/etc/httpd/conf.d/nova-compute-api.conf": ("-rw-r--r--", "root", "root",
                                                "cn"),
    "/etc/httpd/conf.d/nova-metadata.conf": ("-rw-r--r--", "root", "root",
                                             "cn"),
    LOGROTATE: ("-rw-r--r--", "root", "root", "cn"),
    # As httpd's own /var/log/httpd.
    LOG_DIR: ("drwx------", "root", "root", ""),
}
FILE_QF = ("[%{FILENAMES}\t%{FILEMODES:perms}\t%{FILEUSERNAME}\t"
           "%{FILEGROUPNAME}\t%{FILEFLAGS:fflags}\n]")
ROTATION = ["rotate 14", "size 10M", "missingok", "notifempty", "compress",
            "copytruncate"]


@pytest.fixture(scope="module")
def build(module_workdir):
    proc, packages = rpmroot.build(module_workdir.path / "rpmbuild",
                                   spec=rpmroot.UPSTREAM_SPEC)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    return proc, packages


@pytest.fixture(scope="module")
def built(build):
    return build[1]


@pytest.fixture(scope="module")
def ours(module_workdir):
    """This project's packages (rpm/nova-wsgi.spec), without %check."""
    proc, packages = rpmroot.build(module_workdir.path / "rpmbuild-ours",
                                   nocheck=True)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    return packages


def _scratch_root(path):
    """A scratch root with the nova account RDO's packages would have
    made."""
    return rpmroot.ScratchRoot(path, passwd=RDO_PASSWD, group=RDO_GROUP)


# -- the build and rpmlint ----------------------------------------------------

def test_build_makes_one_noarch_package_and_the_srpm(built):
    assert sorted(built) == sorted([NAME, "src"])
    for path in built.values():
        assert rpmroot.query(path, "%{VERSION}")[0] == VERSION
    assert rpmroot.query(built[NAME], "%{ARCH}")[0] == "noarch"


def test_build_runs_the_kit_from_the_source_tree(build):
    # Nothing of the kit is installed, not even into the build root: its
    # command runs from the unpacked tarball (rpmbuild's trace, on
    # stderr), and the package holds only the files it rendered (listed
    # on stdout).
    trace, out = build[0].stderr, build[0].stdout
    command = re.search(r"^\+ PYTHONPATH=(\S+) /usr/bin/python3 -s -m "
                        r"nova\.cmd\.wsgi_build (.*)$", trace, re.M)
    assert command, trace
    assert command.group(1).endswith(f"/BUILD/nova-wsgi-{VERSION}")
    # --no-host-checks: a build root has no nova user and no log
    # directory, and the kit's warnings for operators are not for it.
    assert command.group(2) == (
        "--no-host-checks --layout rhel --script-dir /var/www/cgi-bin/nova "
        "--config-dir /etc/nova --config-files api-paste.ini;nova.conf "
        "--log-dir /var/log/httpd/nova --apache rendered/httpd "
        "rendered/wsgi")
    section = out[out.index("Executing(%build)"):
                  out.index("Executing(%install)")]
    assert sorted(section.splitlines()[1:]) == sorted(
        f"rendered/{kind}/{render.APIS[api].name}.{ext}"
        for api in render.APIS
        for kind, ext in (("wsgi", "wsgi"), ("httpd", "conf")))
    assert "pip" not in trace and "site-packages" not in trace
    assert "nova-wsgi-build: warning" not in trace, trace
    # %check compiled both scripts.
    assert len(re.findall(r"^\+ /usr/bin/python3 -c import sys; compile\(",
                          trace, re.M)) == 2, trace


def test_rpmlint_finds_no_error(built):
    proc = rpmroot.lint(rpmroot.UPSTREAM_RPMLINTRC, rpmroot.UPSTREAM_SPEC,
                        built.values())
    assert "spelling-error" not in proc.stdout, proc.stdout
    summary = proc.stdout.strip().splitlines()[-1]
    assert re.search(r"\b2 packages and 1 specfiles checked; 0 errors\b",
                     summary), proc.stdout
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_rpmlintrc_filters_only_named_files():
    filters = re.findall(r'^addFilter\(r"(.*)"\)$',
                         rpmroot.UPSTREAM_RPMLINTRC.read_text(), re.M)
    general = [f for f in filters if f.startswith("E: ")]
    assert general == ["E: no-signature$", "E: no-group-tag$",
                       "E: no-packager-tag$"]
    assert [f for f in filters if f not in general] == [
        r"openstack-nova-wsgi\.noarch: E: non-standard-dir-perm "
        r"/var/log/httpd/nova 700$"]


# -- what the package holds ---------------------------------------------------

def test_files_modes_owners_and_config_flags(built):
    files = {row[0]: tuple(row[1:])
             for row in rpmroot.rows(built[NAME], FILE_QF)}
    # %license: /usr/share/licenses/<name> on Fedora, <name>-<version> with
    # the defaults of Debian's rpm.
    licenses = {path: attrs for path, attrs in files.items()
                if re.match(rf"/usr/share/licenses/{NAME}(-{VERSION})?(/|$)",
                            path)}
    assert sorted((p.rsplit("/", 1)[-1], a[3]) for p, a in licenses.items()
                  if a[0][0] == "-") == [("LICENSE", "l")]
    assert {p: a for p, a in files.items() if p not in licenses} == FILES
    assert set(rpmroot.query(built[NAME], None, "-c")) == {
        path for path, attrs in FILES.items() if "c" in attrs[3]}


def test_requires_conflicts_and_no_scriptlets(built):
    requires = {row for row in rpmroot.rows(
        built[NAME], "[%{REQUIRENAME}\t%{REQUIREFLAGS:depflags}\t"
                     "%{REQUIREVERSION}\n]")
        if not row[0].startswith(("rpmlib(", "config("))}
    assert requires == {("python3-nova", ">=", "1:30.0.0"),
                        ("openstack-nova-common", "", ""),
                        ("httpd", "", ""), ("python3-mod_wsgi", "", ""),
                        ("logrotate", "", "")}
    assert set(rpmroot.query(built[NAME], "[%{CONFLICTNAME}\n]")) == set(OURS)
    assert rpmroot.query(built[NAME], None, "--scripts") == []


@pytest.mark.parametrize("api", sorted(render.APIS))
def test_scripts_import_the_api_from_the_system_python_paste_file_first(
        built, api):
    text = rpm_file(built[NAME], f"{WSGI_DIR}/{render.script_filename(api)}")
    assert text == render.render_wsgi_script(api, config_dir="/etc/nova",
                                             config_files=CONFIG_FILES)
    lines = text.splitlines()
    assert 'os.environ.setdefault("OS_NOVA_CONFIG_DIR", "/etc/nova")' in lines
    assert ('os.environ.setdefault("OS_NOVA_CONFIG_FILES", '
            '"api-paste.ini;nova.conf")') in lines
    assert lines[-1] == (f"from {render.APIS[api].module} import application"
                         "  # noqa: E402,F401")
    # No virtualenv: the system python3, where python3-nova is installed.
    assert "PYTHON_HOME" not in text and "addsitedir" not in text


@pytest.mark.parametrize("api", sorted(render.APIS))
def test_vhosts_serve_the_scripts_and_log_to_their_own_directory(built, api):
    name = render.APIS[api].name
    text = rpm_file(built[NAME], f"/etc/httpd/conf.d/{name}.conf")
    assert text == render.render_vhost(api, "rhel", log_dir=LOG_DIR)
    assert f'    WSGIScriptAlias / "{WSGI_DIR}/{name}.wsgi" ' in text
    assert f'    ErrorLog "{LOG_DIR}/{name}_error.log"\n' in text
    assert f'    CustomLog "{LOG_DIR}/{name}_access.log" ' in text
    assert " user=nova group=nova " in text
    assert "python-home" not in text


def test_logrotate_copies_and_truncates_without_a_reload(built):
    # One entry for the vhosts' logs, the same as nova-wsgi-common's for
    # this project's packages, which conflict with this one.
    stanzas = rpmroot.logrotate_stanzas(rpm_file(built[NAME], LOGROTATE))
    assert stanzas == {f"{LOG_DIR}/*.log": ROTATION}
    common = rpmroot.logrotate_stanzas(
        (servers.ROOT / "rpm" / "nova-wsgi-common.logrotate").read_text())
    assert common[f"{LOG_DIR}/*.log"] == ROTATION


# -- installed into a scratch root --------------------------------------------

@pytest.fixture(scope="module")
def installed(built, module_workdir):
    root = _scratch_root(module_workdir.path / "root")
    proc = root.install([built[NAME]])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root


def test_only_the_distributions_packages_are_missing(built, module_workdir):
    root = _scratch_root(module_workdir.path / "root-deps")
    proc = root.rpm("-i", "--test", str(built[NAME]))
    assert proc.returncode != 0
    missing = {m.group(1) for m in re.finditer(
        r"^\s+(.*) is needed by ", proc.stderr, re.M)}
    assert missing == OUTSIDE, proc.stderr


def test_installed_tree_has_the_packaged_owners_and_modes(installed):
    expected = {
        WSGI_DIR: 0o40755,
        f"{WSGI_DIR}/nova-compute-api.wsgi": 0o100644,
        f"{WSGI_DIR}/nova-metadata.wsgi": 0o100644,
        "/etc/httpd/conf.d/nova-compute-api.conf": 0o100644,
        "/etc/httpd/conf.d/nova-metadata.conf": 0o100644,
        LOGROTATE: 0o100644,
        LOG_DIR: 0o40700,
    }
    for path, mode in expected.items():
        st = (installed / path).stat()
        assert (st.st_mode, st.st_uid, st.st_gid) == (mode, 0, 0), path
    assert installed.rpm("-qa").stdout.split() == [
        f"{NAME}-{VERSION}-1.noarch"]
    proc = installed.rpm("-Va", "--nodeps")
    assert (proc.returncode, proc.stdout) == (0, ""), proc.stdout + proc.stderr
    # The account is RDO's, untouched: this package creates none.
    assert installed.entries("passwd")["nova"][2:4] == ["162", "162"]


def test_conflicts_with_this_projects_packages_both_ways(built, ours,
                                                         module_workdir):
    root = _scratch_root(module_workdir.path / "root-ours")
    proc = root.install([ours[n] for n in ("python3-nova-wsgi", *OURS)])
    assert proc.returncode == 0, proc.stderr
    proc = root.rpm("-i", "--test", str(built[NAME]))
    assert proc.returncode != 0
    conflicts = set(re.findall(
        r"^\s+(\S+) conflicts with (?:\(installed\) )?(\S+)$", proc.stderr,
        re.M))
    # This package's Conflicts, and each of the installed packages' own.
    evr = f"{VERSION}-1.noarch"
    assert conflicts == {(NAME, f"{name}-{evr}") for name in OURS} \
        | {(name, f"{NAME}-{evr}") for name in OURS}, proc.stderr
    # Even --nodeps (which ignores Conflicts) cannot put both on a system:
    # the scripts and vhosts differ, and rpm refuses the file conflicts.
    proc = root.install([built[NAME]])
    assert proc.returncode != 0
    for path in (f"{WSGI_DIR}/nova-compute-api.wsgi",
                 "/etc/httpd/conf.d/nova-metadata.conf"):
        assert re.search(rf"file {re.escape(path)} from install of "
                         rf"{NAME}-\S+ conflicts with file from package "
                         rf"nova-wsgi-", proc.stderr), proc.stderr


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
