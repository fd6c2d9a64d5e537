"""The RPMs of rpm/nova-wsgi.spec: built, linted, inspected, installed,
served.

Built once for the module with ``tools/build-rpms.sh`` (``git archive`` of
the work tree, rpmbuild into a temporary topdir, %check included: the
import check and the unit tests against the build root, with .venv's
interpreter for the dependencies, which Debian's /usr/bin/python3 lacks);
checked with rpmlint and the spec's rpmlintrc; inspected with ``rpm -qp``;
installed with ``rpm -i --root`` into scratch roots (``rpmroot``), where
the %pre scriptlet runs for real; then a private Apache serves both APIs
from the installed tree: the installed vhosts (only their port, log
directory and the scratch root's paths changed), the installed .wsgi
scripts, the installed module, configuration from the installed /etc/nova
with environment overrides for the paths the scratch root moves, and the
database made by the installed nova-manage, as the nova user.

The daemons run as the scratch root's nova user (id 162, from its
/etc/passwd, which %pre wrote): this machine has no such account, so
Apache gets that passwd entry through nss_wrapper (LD_PRELOAD), as the
real system would from its own /etc/passwd.
"""

import os
import re
import subprocess
import sys

import pytest

from nova.packaging import render
from tests.deploy import checks, rpmroot, servers
from tests.deploy.rpmroot import relocate_vhost, rpm_file
from tests.deploy.servers import request

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("rpm_tools")]

VERSION = "0.1.0"
PYTHON = "python3-nova-wsgi"
COMMON = "nova-wsgi-common"
COMPUTE = "nova-wsgi-compute-api"
METADATA = "nova-wsgi-metadata-api"
PACKAGES = (PYTHON, COMMON, COMPUTE, METADATA)
PY_VERSION = f"{sys.version_info[0]}.{sys.version_info[1]}"
SITELIB = f"/usr/lib/python{PY_VERSION}/site-packages"
NOVA_ID = "162"
WSGI_DIR = rpmroot.WSGI_DIR
HTTPD_LOG_DIR = "/var/log/httpd/nova"
PASSWORD = "s3cret-rpm"

# The files of each package but the Python module's: path -> (mode, user,
# group, rpm file flags: "c" %config, "n" noreplace, "d" %doc, "l" %license).
FILES = {
    COMMON: {
        "/etc/nova": ("drwxr-x---", "root", "nova", ""),
        "/etc/nova/nova.conf": ("-rw-r-----", "root", "nova", "cn"),
        "/etc/nova/api-paste.ini": ("-rw-r-----", "root", "nova", "cn"),
        "/etc/nova/policy.yaml": ("-rw-r-----", "root", "nova", "cn"),
        "/etc/nova/nova.conf.d": ("drwxr-x---", "root", "nova", ""),
        "/etc/logrotate.d/nova-wsgi-common": ("-rw-r--r--", "root", "root",
                                              "cn"),
        "/usr/lib/tmpfiles.d/nova-wsgi.conf": ("-rw-r--r--", "root", "root",
                                               ""),
        "/var/lib/nova": ("drwxr-x---", "nova", "nova", ""),
        "/var/log/nova": ("drwxr-x---", "nova", "nova", ""),
    },
    COMPUTE: {
        WSGI_DIR: ("drwxr-xr-x", "root", "root", ""),
        HTTPD_LOG_DIR: ("drwx------", "root", "root", ""),
        f"{WSGI_DIR}/nova-compute-api.wsgi": ("-rw-r--r--", "root", "root",
                                              ""),
        "/etc/httpd/conf.d/nova-compute-api.conf": ("-rw-r-----", "root",
                                                    "nova", "cn"),
        "/usr/share/nova-wsgi": ("drwxr-xr-x", "root", "root", ""),
        "/usr/share/nova-wsgi/httpd": ("drwxr-xr-x", "root", "root", ""),
        "/usr/share/nova-wsgi/httpd/nova-compute-api-tls.conf": (
            "-rw-r--r--", "root", "root", ""),
        "/usr/share/nova-wsgi/httpd/nova-compute-api-prefix.conf": (
            "-rw-r--r--", "root", "root", ""),
    },
    METADATA: {
        WSGI_DIR: ("drwxr-xr-x", "root", "root", ""),
        HTTPD_LOG_DIR: ("drwx------", "root", "root", ""),
        f"{WSGI_DIR}/nova-metadata.wsgi": ("-rw-r--r--", "root", "root", ""),
        "/etc/httpd/conf.d/nova-metadata.conf": ("-rw-r-----", "root", "nova",
                                                 "cn"),
        "/usr/share/nova-wsgi": ("drwxr-xr-x", "root", "root", ""),
        "/usr/share/nova-wsgi/httpd": ("drwxr-xr-x", "root", "root", ""),
        "/usr/share/nova-wsgi/httpd/nova-metadata-tls.conf": (
            "-rw-r--r--", "root", "root", ""),
    },
}
FILE_QF = ("[%{FILENAMES}\t%{FILEMODES:perms}\t%{FILEUSERNAME}\t"
           "%{FILEGROUPNAME}\t%{FILEFLAGS:fflags}\n]")


@pytest.fixture(scope="module")
def build(module_workdir):
    proc, packages = rpmroot.build(module_workdir.path / "rpmbuild")
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    return proc, packages


@pytest.fixture(scope="module")
def built(build):
    return build[1]


# -- the build and rpmlint ----------------------------------------------------

def test_build_makes_the_four_packages_and_the_srpm(built):
    assert sorted(built) == sorted([*PACKAGES, "src"])
    for name, path in built.items():
        assert rpmroot.query(path, "%{VERSION}")[0] == VERSION
        assert rpmroot.query(path, "%{ARCH}")[0] == "noarch" or name == "src"


def test_check_ran_the_import_check_and_the_unit_tests(build):
    out = build[0].stdout + build[0].stderr
    check = out[out.index("Executing(%check)"):]
    assert "import importlib, pkgutil, nova" in check
    passed = re.search(r"=+ (\d+) passed.* in [\d.]+s =+", check)
    assert passed and int(passed.group(1)) > 100, check[-3000:]
    assert not re.search(r"\d+ (failed|error)", check)


def test_rpmlint_finds_no_error(built):
    # Its spelling check on, as Fedora's rpmlint has it (the wrapper stops
    # when it cannot be); the rpmlintrc's spelling filters are then used,
    # and an unused filter would be an error.
    assert len(built) == 5  # four RPMs and the SRPM
    rpmroot.assert_lint_clean(rpmroot.RPMLINTRC, rpmroot.SPEC,
                              built.values())


def test_rpmlintrc_filters_only_named_files():
    # Every filter but the machine-wide ones (no signature, the tags that
    # Fedora leaves to its build system) names its package or spec.
    filters = re.findall(r'^addFilter\(r"(.*)"\)$',
                         rpmroot.RPMLINTRC.read_text(), re.M)
    assert filters
    general = [f for f in filters if f.startswith("E: ")]
    assert general == ["E: no-signature$", "E: no-group-tag$",
                       "E: no-packager-tag$"]
    for f in set(filters) - set(general):
        assert f.startswith(("nova-wsgi", "python3-nova-wsgi")), f


# -- what each package holds --------------------------------------------------

@pytest.mark.parametrize("name", [COMMON, COMPUTE, METADATA])
def test_files_modes_owners_and_config_flags(built, name):
    files = {row[0]: row[1:] for row in rpmroot.rows(built[name], FILE_QF)}
    assert files == {path: tuple(attrs) for path, attrs
                     in FILES[name].items()}


def test_config_files_are_the_ones_rpm_qc_lists(built):
    listed = {name: set(rpmroot.query(built[name], None, "-c"))
              for name in PACKAGES}
    assert listed == {
        PYTHON: set(),
        COMMON: {"/etc/nova/nova.conf", "/etc/nova/api-paste.ini",
                 "/etc/nova/policy.yaml", "/etc/logrotate.d/nova-wsgi-common"},
        COMPUTE: {"/etc/httpd/conf.d/nova-compute-api.conf"},
        METADATA: {"/etc/httpd/conf.d/nova-metadata.conf"},
    }


def test_python_package_holds_the_module_and_commands(built):
    files = {row[0]: row[1:] for row in rpmroot.rows(built[PYTHON], FILE_QF)}
    for path in (f"{SITELIB}/nova/__init__.py",
                 f"{SITELIB}/nova/wsgi/osapi_compute.py",
                 f"{SITELIB}/nova/etc/api-paste.ini",
                 f"{SITELIB}/nova/packaging/templates/vhost.conf.tmpl",
                 f"{SITELIB}/nova/db/migrations/env.py",
                 f"{SITELIB}/nova_wsgi-{VERSION}.dist-info/METADATA"):
        assert files[path][:3] == ("-rw-r--r--", "root", "root"), path
    for command in ("nova-manage", "nova-wsgi-build", "nova-wsgi-reload",
                    "nova-wsgi-check", "nova-openapi"):
        assert files[f"/usr/bin/{command}"][:3] == ("-rwxr-xr-x", "root",
                                                    "root")
    # %license and %doc: /usr/share/licenses/<name> on Fedora,
    # <name>-<version> with the defaults of Debian's rpm (_docdir_fmt).
    docs = {path: attrs for path, attrs in files.items()
            if re.match(rf"/usr/share/(doc|licenses)/{PYTHON}"
                        rf"(-{VERSION})?(/|$)",
                        path)}
    assert sorted((path.rsplit("/", 1)[-1], attrs[3])
                  for path, attrs in docs.items() if attrs[0][0] == "-") \
        == [("LICENSE", "l"), ("README.md", "d")]
    # Nothing else but the module, its metadata and the commands.
    outside = {path for path in set(files) - set(docs)
               if not path.startswith((f"{SITELIB}/nova/",
                                       f"{SITELIB}/nova_wsgi-"))}
    assert outside == {f"{SITELIB}/nova", "/usr/bin/nova-manage",
                       "/usr/bin/nova-wsgi-build", "/usr/bin/nova-wsgi-reload",
                       "/usr/bin/nova-wsgi-check", "/usr/bin/nova-openapi"}
    # The wheel's own copies of the .wsgi scripts are not packaged.
    assert not [p for p in files if p.endswith(".wsgi")]
    shebang = rpm_file(built[PYTHON], "/usr/bin/nova-manage").splitlines()[0]
    assert shebang == "#!/usr/bin/python3"


def test_nothing_under_run_and_a_tmpfiles_entry_instead(built):
    for name in PACKAGES:
        paths = rpmroot.query(built[name], "[%{FILENAMES}\n]")
        assert not [p for p in paths if p.startswith(("/run", "/var/run"))]
    text = rpm_file(built[COMMON], "/usr/lib/tmpfiles.d/nova-wsgi.conf")
    assert "d /run/nova 0750 nova nova -" in text.splitlines()


def test_logrotate_rotates_nova_and_vhost_logs_without_a_signal(built):
    # nova's own logs, and Apache's logs of the two vhosts (in a directory
    # that httpd's logrotate file, which reloads httpd, does not match):
    # copied and truncated, nothing signalled or reloaded.
    stanzas = rpmroot.logrotate_stanzas(
        rpm_file(built[COMMON], "/etc/logrotate.d/nova-wsgi-common"))
    common = ["rotate 14", "size 10M", "missingok", "notifempty",
              "compress", "copytruncate"]
    assert stanzas == {"/var/log/nova/*.log": ["su nova nova", *common],
                       f"{HTTPD_LOG_DIR}/*.log": common}


def test_scripts_and_vhosts_are_what_nova_wsgi_build_renders(built):
    # Written by the project's build step in %install, with the defaults,
    # the RHEL layout and the vhosts' log directory: byte for byte what
    # the render functions give.
    logs = {"log_dir": HTTPD_LOG_DIR}
    expected = {
        COMPUTE: {
            f"{WSGI_DIR}/nova-compute-api.wsgi":
                render.render_wsgi_script("compute"),
            "/etc/httpd/conf.d/nova-compute-api.conf":
                render.render_vhost("compute", "rhel", **logs),
            "/usr/share/nova-wsgi/httpd/nova-compute-api-tls.conf":
                render.render_vhost("compute", "rhel", tls=True, **logs),
            "/usr/share/nova-wsgi/httpd/nova-compute-api-prefix.conf":
                render.render_vhost("compute", "rhel",
                                    path_prefix="/compute"),
        },
        METADATA: {
            f"{WSGI_DIR}/nova-metadata.wsgi":
                render.render_wsgi_script("metadata"),
            "/etc/httpd/conf.d/nova-metadata.conf":
                render.render_vhost("metadata", "rhel", **logs),
            "/usr/share/nova-wsgi/httpd/nova-metadata-tls.conf":
                render.render_vhost("metadata", "rhel", tls=True, **logs),
        },
    }
    for name, files in expected.items():
        for path, text in files.items():
            assert rpm_file(built[name], path) == text, path
    spec = rpmroot.SPEC.read_text()
    assert not re.search(r"^\s*sed\b", spec, re.M)


def test_requires_and_conflicts(built):
    deps = {name: set(rpmroot.rows(
        built[name], "[%{REQUIREFLAGS:deptype}\t%{REQUIRENAME}\t"
                     "%{REQUIREFLAGS:depflags}\t%{REQUIREVERSION}\n]"))
        for name in PACKAGES}
    evr = f"{VERSION}-1"
    for api in (COMPUTE, METADATA):
        assert {("manual", "httpd", "", ""),
                ("manual", "python3-mod_wsgi", "", ""),
                ("manual", COMMON, "=", evr),
                ("pre", COMMON, "=", evr)} <= deps[api]
    assert {("manual", PYTHON, "=", evr), ("manual", "logrotate", "", ""),
            ("pre", "shadow-utils", "", "")} <= deps[COMMON]
    python_deps = {row[1] for row in deps[PYTHON]}
    # rpm's own generators, from the installed dist-info and paths.
    assert "python(abi)" in python_deps
    for dist in ("oslo.config", "pastedeploy", "webob"):
        assert f"python{PY_VERSION}dist({dist})" in python_deps
    # A range (pyproject.toml's pin of the series tested) becomes a rich
    # dependency with both bounds.
    sqlalchemy = f"python{PY_VERSION}dist(sqlalchemy)"
    assert f"({sqlalchemy} < 2.2 with {sqlalchemy} >= 2.0.30)" \
        in python_deps
    conflicts = {name: set(rpmroot.query(built[name], "[%{CONFLICTNAME}\n]"))
                 for name in PACKAGES}
    # Upstream's RDO packages, and rpm/openstack-nova-wsgi.spec's package
    # (the same scripts, vhosts, log directory and log rotation).
    assert conflicts == {
        PYTHON: {"python3-nova"},
        COMMON: {"openstack-nova-common", "openstack-nova-wsgi"},
        COMPUTE: {"openstack-nova-api", "openstack-nova-wsgi"},
        METADATA: {"openstack-nova-api", "openstack-nova-wsgi"}}
    provides = set(rpmroot.query(built[PYTHON], "[%{PROVIDENAME}\n]"))
    assert "python3dist(nova-wsgi)" in provides


def test_scriptlets(built):
    scripts = {name: "\n".join(rpmroot.query(built[name], None, "--scripts"))
               for name in PACKAGES}
    pre = scripts[COMMON].split("preinstall scriptlet (using /bin/sh):")[1]
    pre = pre.split("postinstall scriptlet")[0]
    assert "getent group nova >/dev/null || groupadd -r -g 162 nova" in pre
    assert "getent passwd nova >/dev/null ||" in pre
    assert re.search(r"useradd -r -u 162 -g nova -d /var/lib/nova[\s\\]+"
                     r"-s /sbin/nologin", pre)
    post = scripts[COMMON].split("postinstall scriptlet (using /bin/sh):")[1]
    assert "systemd-tmpfiles --create /usr/lib/tmpfiles.d/nova-wsgi.conf" \
        in post
    # Nothing else: no scriptlet in the other packages, and the database
    # is left to nova-manage db sync, run by the administrator.
    assert scripts[PYTHON] == scripts[COMPUTE] == scripts[METADATA] == ""
    assert "nova-manage" not in scripts[COMMON]


# -- installed into a scratch root --------------------------------------------

@pytest.fixture(scope="module")
def installed(built, module_workdir):
    root = rpmroot.ScratchRoot(module_workdir.path / "root")
    proc = root.install(built[n] for n in PACKAGES)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root


def test_only_dependencies_from_outside_are_missing_in_a_scratch_root(
        built, module_workdir):
    root = rpmroot.ScratchRoot(module_workdir.path / "root-deps")
    proc = root.rpm("-i", "--test", *(str(built[n]) for n in PACKAGES))
    assert proc.returncode != 0
    missing = {m.group(1).split()[0] for m in re.finditer(
        r"^\s+(.*) is needed by ", proc.stderr, re.M)}
    assert {"httpd", "python3-mod_wsgi", "shadow-utils", "logrotate",
            "python(abi)", "/bin/sh"} <= missing
    # The packages' requirements on one another are all met.
    ours = {m for m in missing
            if m.startswith(("nova-wsgi", "python3-nova-wsgi", "config("))}
    assert not ours, proc.stderr


def test_pre_creates_nova_with_id_162_and_no_login_shell(installed):
    passwd, group = installed.entries("passwd"), installed.entries("group")
    assert passwd["nova"][2:4] == [NOVA_ID, NOVA_ID]
    assert passwd["nova"][5:] == ["/var/lib/nova", "/sbin/nologin"]
    assert group["nova"][2] == NOVA_ID


def test_installed_tree_has_the_packaged_owners_and_modes(installed):
    expected = {
        "/etc/nova": (0o40750, 0, 162),
        "/etc/nova/nova.conf": (0o100640, 0, 162),
        "/etc/nova/api-paste.ini": (0o100640, 0, 162),
        "/etc/nova/policy.yaml": (0o100640, 0, 162),
        "/etc/httpd/conf.d/nova-compute-api.conf": (0o100640, 0, 162),
        "/etc/httpd/conf.d/nova-metadata.conf": (0o100640, 0, 162),
        "/var/lib/nova": (0o40750, 162, 162),
        "/var/log/nova": (0o40750, 162, 162),
        f"{WSGI_DIR}/nova-compute-api.wsgi": (0o100644, 0, 0),
    }
    for path, attrs in expected.items():
        st = (installed / path).stat()
        assert (st.st_mode, st.st_uid, st.st_gid) == attrs, path
    proc = installed.rpm("-qa")
    assert sorted(proc.stdout.split()) == sorted(
        f"{name}-{VERSION}-1.noarch" for name in PACKAGES)
    # Every installed file as its package says (digests, modes, owners).
    proc = installed.rpm("-Va", "--nodeps")
    assert (proc.returncode, proc.stdout) == (0, ""), proc.stdout + proc.stderr


def test_pre_keeps_an_existing_nova_account(built, module_workdir):
    root = rpmroot.ScratchRoot(
        module_workdir.path / "root-existing",
        passwd=["nova:x:4242:4243:site account:/srv/nova:/bin/false"],
        group=["nova:x:4243:"])
    proc = root.install([built[PYTHON], built[COMMON]])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert root.entries("passwd")["nova"] == [
        "nova", "x", "4242", "4243", "site account", "/srv/nova",
        "/bin/false"]
    st = (root / "var/lib/nova").stat()
    assert (st.st_uid, st.st_gid) == (4242, 4243)
    assert (root / "etc/nova").stat().st_gid == 4243


def test_pre_fails_and_installs_nothing_when_162_is_taken(
        built, module_workdir):
    root = rpmroot.ScratchRoot(module_workdir.path / "root-taken",
                               group=["someone:x:162:"])
    proc = root.install([built[COMMON]])
    assert proc.returncode != 0
    assert "162" in proc.stderr and "scriptlet failed" in proc.stderr, \
        proc.stderr
    assert root.rpm("-q", COMMON).returncode != 0
    assert not (root / "etc/nova").exists()
    assert "nova" not in root.entries("passwd")


# -- the installed tree, served -----------------------------------------------

class InstalledSite:
    """Both APIs served by a private Apache from the scratch root."""

    def __init__(self, root, tree):
        self.root = root
        etc = root / "etc/nova"
        # What an administrator adds after installing: a choice of
        # authentication in a drop-in, and its password file.
        htpasswd = tree.htpasswd("htpasswd", {"admin": PASSWORD})
        for name, text in (
                ("nova.conf.d/auth.conf",
                 "[api]\nauth_strategy = http_basic\n"),
                ("htpasswd", htpasswd.read_text())):
            (etc / name).write_text(text)
            (etc / name).chmod(0o640)
            os.chown(etc / name, 0, int(NOVA_ID))
        # A Python whose site-packages are the scratch root's (the module
        # as installed) and .venv's (its dependencies, which Debian's
        # python3 lacks), in that order; the .pth files of .venv are not
        # processed, so .venv's editable nova cannot be imported.
        self.python_home = tree.path / "python"
        subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip",
                        str(self.python_home)], check=True, timeout=120)
        venv_site = self.python_home / f"lib/python{PY_VERSION}/site-packages"
        deps = servers.VENV / f"lib/python{PY_VERSION}/site-packages"
        (venv_site / "nova-rpm-test.pth").write_text(
            f"{root.site_packages(PY_VERSION)}\n{deps}\n")
        # The scratch root's nova account, for Apache and nova-manage.
        nova = root.entries("passwd")["nova"]
        nova[5] = str(root / nova[5])  # its home: /var/lib/nova, moved
        tree.write("nss/passwd", open("/etc/passwd").read()
                   + ":".join(nova) + "\n")
        tree.write("nss/group", open("/etc/group").read()
                   + ":".join(root.entries("group")["nova"]) + "\n")
        self.env = {
            "LD_PRELOAD": rpmroot.nss_wrapper(),
            "NSS_WRAPPER_PASSWD": str(tree.path / "nss/passwd"),
            "NSS_WRAPPER_GROUP": str(tree.path / "nss/group"),
            # Paths that the scratch root moves; the rest is /etc/nova's.
            "OS_NOVA_CONFIG_DIR": str(etc),
            "OS_DATABASE__CONNECTION":
                f"sqlite:///{root / 'var/lib/nova/nova.sqlite'}",
            "OS_API__HTTP_BASIC_AUTH_USER_FILE": str(etc / "htpasswd"),
        }
        self.ports = {api: servers.free_port() for api in render.APIS}
        self.apache = None
        self.tree = tree

    def python(self, *args, **kwargs):
        return subprocess.run([str(self.python_home / "bin" / "python"),
                               *args], capture_output=True, text=True,
                              timeout=120, env=servers.clean_env(**self.env),
                              **kwargs)

    def db_sync(self):
        # As the README says: runuser -u nova -- nova-manage db sync.
        return self.python(str(self.root / "usr/bin/nova-manage"), "db",
                           "sync", user=int(NOVA_ID), group=int(NOVA_ID),
                           extra_groups=[],
                           cwd=str(self.root / "var/lib/nova"))

    def start(self):
        log_dir = self.tree.mkdir("httpd-logs")
        snippets = []
        for api in render.APIS:
            name = render.vhost_filename(api)
            text = (self.root / f"etc/httpd/conf.d/{name}").read_text()
            snippets.append((name, relocate_vhost(
                text, self.root, self.ports[api], log_dir)))
        self.apache = servers.Apache(self.tree, "httpd", snippets,
                                     env=self.env,
                                     python_home=str(self.python_home))
        # The vhosts log into log_dir; Apache.error_log reads its own logs.
        self.log_dir = log_dir
        ok, out = self.apache.check()
        assert ok, out
        self.apache.start()

    def error_log(self):
        return "".join(p.read_text(errors="replace")
                       for p in sorted(self.log_dir.glob("*error*"))) \
            + self.apache.error_log()

    def url(self, api):
        return f"http://127.0.0.1:{self.ports[api]}"


@pytest.fixture(scope="module")
def site(installed, module_workdir):
    served = InstalledSite(installed, module_workdir)
    proc = served.db_sync()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    served.start()
    yield served
    served.apache.stop()


def test_served_python_imports_the_installed_module(site):
    # -P: not the current directory (this checkout) first on sys.path.
    proc = site.python("-P", "-c", "import nova; print(nova.__file__)")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(
        site.root.site_packages(PY_VERSION) / "nova" / "__init__.py")


def test_db_sync_as_nova_makes_the_database_in_var_lib_nova(site):
    st = (site.root / "var/lib/nova/nova.sqlite").stat()
    assert (st.st_uid, st.st_gid) == (162, 162)


def test_installed_apis_answer(site):
    checks.wait_loaded(site.error_log, "osapi_compute")
    checks.wait_loaded(site.error_log, "metadata")
    # Configured from the installed /etc/nova (and the drop-in).
    etc = site.root / "etc/nova"
    for api in ("osapi_compute", "metadata"):
        assert f"Loaded the {api} API from {etc}/api-paste.ini (config: " \
            f"{etc}/api-paste.ini, {etc}/nova.conf, " \
            f"{etc}/nova.conf.d/auth.conf)" in site.error_log()
    compute, metadata = site.url("compute"), site.url("metadata")
    checks.versions(compute)
    admin = servers.basic_auth("admin", PASSWORD)
    checks.authenticated_404(compute, headers=admin)
    resp = request(compute + "/v2.1/flavors", headers=admin)
    assert (resp.status, resp.json()) == (200, {"flavors": []}), resp.text
    assert request(compute + "/v2.1/flavors").status == 401
    assert request(compute + "/v2.1/flavors", headers=servers.basic_auth(
        "admin", "wrong")).status == 401
    checks.metadata_root(metadata)
    for base in (compute, metadata):
        assert request(base + "/healthcheck").status == 200
    assert "Traceback" not in site.error_log()


def test_the_deployment_check_passes_on_the_installed_site(site):
    checks.wait_loaded(site.error_log, "osapi_compute")
    checks.wait_loaded(site.error_log, "metadata")
    found = checks.assert_deployment_passes(
        site.url("compute"), site.url("metadata"), user="admin",
        password=PASSWORD)
    # The installed vhost's LimitRequestBody answers over the limit.
    assert found["compute-body-limit"][1].endswith(
        "(a text/html page, not the API's: the web server's limit), "
        f"{render.DEFAULT_MAX_REQUEST_BODY_SIZE} bytes passed on (401)")
    assert "Traceback" not in site.error_log()


def test_daemons_run_as_the_installed_nova_user(site):
    checks.wait_loaded(site.error_log, "osapi_compute")
    checks.wait_loaded(site.error_log, "metadata")
    for api in render.APIS:
        group = render.APIS[api].name
        pids = servers.wait_for(lambda g=group: site.apache.daemons(g), 30,
                                f"the daemons of {group}")
        assert len(pids) == render.APIS[api].processes
        for pid in pids:
            status = open(f"/proc/{pid}/status").read()
            uid = re.search(r"^Uid:\s+(\d+)", status, re.M).group(1)
            gid = re.search(r"^Gid:\s+(\d+)", status, re.M).group(1)
            assert (uid, gid) == (NOVA_ID, NOVA_ID)
            assert os.readlink(f"/proc/{pid}/cwd") == str(
                site.root / "var/lib/nova")
