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

Served by Apache (this project's nova standing in for python3-nova,
then the real upstream Nova 34.0.0) and its logs rotated:
test_rpm_upstream_served.py.

The project's own packages (rpm/nova-wsgi.spec, built without %check) show
the conflicts both ways.
"""

import re

import pytest

import nova
from nova.packaging import render
from tests.deploy import rpmroot, servers
from tests.deploy.rpmroot import rpm_file

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("rpm_tools")]

NAME = rpmroot.UPSTREAM_NAME
VERSION = nova.__version__
WSGI_DIR = rpmroot.WSGI_DIR
LOG_DIR = rpmroot.UPSTREAM_LOG_DIR
LOGROTATE = f"/etc/logrotate.d/{NAME}"
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


_scratch_root = rpmroot.rdo_root


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
    assert len(built) == 2  # the RPM and the SRPM
    rpmroot.assert_lint_clean(rpmroot.UPSTREAM_RPMLINTRC,
                              rpmroot.UPSTREAM_SPEC, built.values())


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
