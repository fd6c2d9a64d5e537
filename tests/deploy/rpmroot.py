"""Building the RPMs of rpm/ and installing them into a scratch root.

For tests/deploy/test_rpm.py (rpm/nova-wsgi.spec, this project's packages)
and tests/deploy/test_rpm_upstream.py (rpm/openstack-nova-wsgi.spec,
upstream Nova's WSGI files):

- ``build``: ``tools/build-rpms.sh`` into a topdir (the documented way:
  ``git archive`` of the work tree, rpmbuild with %check);
- ``lint``: rpmlint with its spelling check on (tools/rpmlint-spelling.py)
  and the spec's rpmlintrc;
- ``query``/``rows``: ``rpm -qp`` with a query format, one row a line;
  ``rpm_file``: a file's text from a package, without installing it;
- ``missing_tools``: what these tests need that this machine lacks, named
  with the Debian package that brings it; ``nss_wrapper``: the library
  that lets Apache find a scratch root's accounts;
- ``relocate_vhost``: an installed vhost moved onto a test's port, log
  directory and scratch root (and, if asked, onto another Python);
  ``InstalledVhosts``: a scratch root's installed vhosts, so moved, in a
  private Apache whose daemons run as the root's accounts;
  ``logrotate_stanzas``: a logrotate file's entries, parsed;
- ``ScratchRoot``: an empty tree with just enough of a system for the
  packages' scriptlets, which rpm runs chrooted into it: ``/bin/sh``,
  ``getent``, ``groupadd`` and ``useradd`` with their libraries (copied
  from this machine), ``/dev/null``, ``/etc/passwd``/``group``/
  ``shadow``/``gshadow`` holding root only, and an RPM database of its
  own (``--dbpath /var/lib/rpm`` under the root). On an RPM-based system
  ``dnf --installroot`` would install the real packages for these; on
  Debian they are copied.
"""

import glob
import os
import pathlib
import re
import shutil
import subprocess

from tests.deploy import servers

ROOT = servers.ROOT
SPEC = ROOT / "rpm" / "nova-wsgi.spec"
RPMLINTRC = ROOT / "rpm" / "nova-wsgi.rpmlintrc"
UPSTREAM_SPEC = ROOT / "rpm" / "openstack-nova-wsgi.spec"
UPSTREAM_RPMLINTRC = ROOT / "rpm" / "openstack-nova-wsgi.rpmlintrc"
BUILD_SCRIPT = ROOT / "tools" / "build-rpms.sh"
LINT_SCRIPT = ROOT / "tools" / "rpmlint-spelling.py"
WSGI_DIR = "/var/www/cgi-bin/nova"
DBPATH = "/var/lib/rpm"
# What the scriptlets run, besides the shell.
SCRIPTLET_TOOLS = ("getent", "groupadd", "useradd")
# rpm/openstack-nova-wsgi.spec's package, where its vhosts log, and the
# nova account that RDO's openstack-nova-common creates in its %pre.
UPSTREAM_NAME = "openstack-nova-wsgi"
UPSTREAM_LOG_DIR = "/var/log/httpd/nova"
RDO_PASSWD = ["nova:x:162:162:OpenStack Nova Daemons:/var/lib/nova:"
              "/sbin/nologin"]
RDO_GROUP = ["nova:x:162:"]


def build(topdir, spec=SPEC, nocheck=False, timeout=300):
    """Build the SRPM and RPMs of ``spec`` into ``topdir`` (one topdir a
    spec); returns the CompletedProcess and ``{package name: path}`` (the
    SRPM as ``"src"``)."""
    argv = [str(BUILD_SCRIPT), "--spec", str(spec), "--topdir", str(topdir)]
    if nocheck:
        argv.append("--nocheck")
    proc = subprocess.run(argv, capture_output=True, text=True,
                          timeout=timeout, env=servers.clean_env())
    packages = {}
    if proc.returncode == 0:
        for path in pathlib.Path(topdir).glob("RPMS/noarch/*.rpm"):
            packages[query(path, "%{NAME}")[0]] = path
        for path in pathlib.Path(topdir).glob("SRPMS/*.src.rpm"):
            packages["src"] = path
    return proc, packages


def build_upstream(topdir):
    """rpm/openstack-nova-wsgi.spec built into ``topdir``:
    ``{package name: path}``; fails the test when rpmbuild does."""
    proc, packages = build(topdir, spec=UPSTREAM_SPEC)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    return packages


def rdo_root(path):
    """A scratch root holding the nova account RDO's packages make."""
    return ScratchRoot(path, passwd=RDO_PASSWD, group=RDO_GROUP)


def assert_lint_clean(rpmlintrc, spec, packages):
    """rpmlint (see ``lint``) finds no error and no spelling mistake in
    ``spec`` and ``packages`` (paths: the RPMs and the SRPM)."""
    packages = list(packages)
    proc = lint(rpmlintrc, spec, packages)
    assert "spelling-error" not in proc.stdout, proc.stdout
    summary = proc.stdout.strip().splitlines()[-1]
    assert re.search(rf"\b{len(packages)} packages and 1 specfiles "
                     rf"checked; 0 errors\b", summary), proc.stdout
    assert proc.returncode == 0, proc.stdout + proc.stderr


def lint(rpmlintrc, spec, packages, timeout=300):
    """rpmlint on ``spec`` and ``packages`` with ``rpmlintrc`` and its
    spelling check on (the wrapper stops when it cannot be): the
    CompletedProcess; the last line of stdout is rpmlint's summary."""
    return subprocess.run(
        ["/usr/bin/python3", str(LINT_SCRIPT), "-r", str(rpmlintrc),
         str(spec), *map(str, packages)],
        capture_output=True, text=True, timeout=timeout)


def query(package, fmt, *args):
    """``rpm -qp --qf FMT ARGS PACKAGE`` (no --qf when ``fmt`` is None):
    the lines of the answer."""
    qf = [] if fmt is None else ["--qf", fmt]
    proc = subprocess.run(["rpm", "-qp", *qf, *args, str(package)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return [line for line in proc.stdout.splitlines() if line]


def rows(package, fmt):
    """Tab-separated per-file (or per-dependency) rows of ``fmt``."""
    return [tuple(line.split("\t")) for line in query(package, fmt)]


def rpm_file(package, path):
    """The text of ``path`` in ``package`` (rpm2cpio, no install)."""
    listing = subprocess.run(
        f"rpm2cpio {package} | cpio -i --quiet --to-stdout .{path}",
        shell=True, capture_output=True, timeout=60)
    assert listing.returncode == 0, listing.stderr
    return listing.stdout.decode()


def nss_wrapper():
    """libnss_wrapper.so, or None."""
    found = sorted(glob.glob("/usr/lib/*/libnss_wrapper.so")
                   + glob.glob("/usr/lib*/libnss_wrapper.so"))
    return found[0] if found else None


def missing_tools():
    """What building, linting and installing the RPMs needs that is
    missing here, each with the Debian package that brings it."""
    missing = []
    for tool, apt in (("rpmbuild", "rpm"), ("rpmlint", "rpmlint"),
                      ("git", "git"), ("ldd", "libc-bin"),
                      ("logrotate", "logrotate")):
        if not shutil.which(tool):
            missing.append(f"{tool} (apt: {apt})")
    probes = {"installer": ("import installer", "python3-installer"),
              "packaging": ("import packaging", "python3-packaging"),
              "pip": ("import pip", "python3-pip"),
              # rpmlint's spelling check: enchant and an en_US dictionary.
              "enchant": ("import enchant", "python3-enchant"),
              "enchant's en_US dictionary": (
                  "import enchant; assert enchant.Broker().dict_exists("
                  "'en_US')", "hunspell-en-us")}
    for what, (code, apt) in probes.items():
        if subprocess.run(["/usr/bin/python3", "-c", code],
                          capture_output=True, timeout=60).returncode:
            missing.append(f"/usr/bin/python3's {what} (apt: {apt})")
    if not nss_wrapper():
        missing.append("libnss_wrapper.so (apt: libnss-wrapper)")
    return missing


def relocate_vhost(text, root, port, log_dir, python_home=None,
                   processes=None):
    """The installed vhost ``text`` with ``port`` on 127.0.0.1, its logs in
    ``log_dir`` and its scripts in the scratch root ``root``; nothing else
    changes, but for ``python_home`` (its daemon's ``python-home=``, where
    the kit's ``--python-home`` puts it: another Python standing in for
    the system's) and ``processes`` (its daemon's, to save CPU)."""
    api_port = re.search(r"^Listen (\d+)$", text, re.M).group(1)
    logs = re.search(r'^    ErrorLog "(/[^"]*)/[^/"]+_error\.log"$', text,
                     re.M).group(1)
    replacements = [
        (f"Listen {api_port}\n", f"Listen 127.0.0.1:{port}\n", 1),
        (f"<VirtualHost *:{api_port}>", f"<VirtualHost 127.0.0.1:{port}>", 1),
        (f'"{WSGI_DIR}/', f'"{root.path}{WSGI_DIR}/', 1),
        (f'<Directory "{WSGI_DIR}">', f'<Directory "{root.path}{WSGI_DIR}">',
         1),
        (f'"{logs}/', f'"{log_dir}/', 2),
    ]
    if python_home:
        replacements.append((
            " locale=C.UTF-8 \\\n",
            f" locale=C.UTF-8 python-home={python_home} \\\n", 1))
    if processes:
        daemon = re.search(r"^    WSGIDaemonProcess \S+ (processes=\d+) ",
                           text, re.M).group(1)
        replacements.append((f" {daemon} ", f" processes={processes} ", 1))
    for old, new, count in replacements:
        assert text.count(old) == count, (old, text)
        text = text.replace(old, new)
    return text


def logrotate_stanzas(text):
    """``{path pattern: [directive, ...]}`` of a logrotate file (comments
    dropped, a postrotate script kept as its lines)."""
    stanzas = {}
    for match in re.finditer(r"^(\S[^{\n]*?) \{\n(.*?)^\}", text,
                             re.M | re.S):
        stanzas[match.group(1)] = [
            line.strip() for line in match.group(2).splitlines()
            if line.strip() and not line.strip().startswith("#")]
    return stanzas


def _libraries(binary):
    out = subprocess.run(["ldd", binary], capture_output=True, text=True,
                         timeout=30, check=True).stdout
    return re.findall(r"(/\S+) \(0x", out)


class ScratchRoot:
    def __init__(self, path, passwd=(), group=()):
        """A scratch root at ``path``; ``passwd``/``group``: extra lines
        for its /etc/passwd and /etc/group (accounts that exist before
        the packages are installed)."""
        self.path = pathlib.Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.path.chmod(0o755)
        # Merged /usr, as on RHEL 9 and Debian 12.
        for sub in ("bin", "sbin", "lib", "lib64"):
            (self.path / "usr" / sub).mkdir(parents=True, exist_ok=True)
            (self.path / sub).symlink_to(f"usr/{sub}")
        for sub in ("dev", "etc", "tmp", "var/tmp", "var/lib/rpm"):
            (self.path / sub).mkdir(parents=True, exist_ok=True)
        (self.path / "tmp").chmod(0o1777)
        (self.path / "var" / "tmp").chmod(0o1777)
        os.mknod(self.path / "dev" / "null", 0o666 | 0o020000,
                 os.makedev(1, 3))
        (self.path / "dev" / "null").chmod(0o666)
        self._copy(os.path.realpath("/bin/sh"), "/usr/bin/sh")
        for tool in SCRIPTLET_TOOLS:
            found = shutil.which(tool) or shutil.which(tool, path="/usr/sbin")
            assert found, f"{tool} is missing on this machine"
            self._copy(found, "/usr" + found if not found.startswith("/usr")
                       else found)
        etc = self.path / "etc"
        self._write("etc/passwd", ["root:x:0:0:root:/root:/bin/sh", *passwd])
        self._write("etc/group", ["root:x:0:", *group])
        self._write("etc/shadow", ["root:*:19000:0:99999:7:::",
                                   *(f"{line.split(':')[0]}:!:19000::::::"
                                     for line in passwd)], mode=0o600)
        self._write("etc/gshadow", ["root:*::", *(f"{line.split(':')[0]}:!::"
                                                  for line in group)],
                    mode=0o600)
        if os.path.exists("/etc/login.defs"):
            shutil.copyfile("/etc/login.defs", etc / "login.defs")
        proc = self.rpm("--initdb")
        assert proc.returncode == 0, proc.stderr

    def _copy(self, source, dest):
        """``source`` and the libraries it links to, into the root."""
        for src, dst in [(source, dest)] + [(lib, lib)
                                            for lib in _libraries(source)]:
            target = self.path / dst.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                shutil.copy(src, target)

    def _write(self, relpath, lines, mode=0o644):
        path = self.path / relpath
        path.write_text("".join(f"{line}\n" for line in lines))
        path.chmod(mode)

    def rpm(self, *args, timeout=120):
        """``rpm --root ROOT --dbpath /var/lib/rpm ARGS`` (the database of
        the root, not this machine's)."""
        return subprocess.run(
            ["rpm", "--root", str(self.path), "--dbpath", DBPATH, *args],
            capture_output=True, text=True, timeout=timeout)

    def install(self, packages, nodeps=True):
        args = ["-i", "--nosignature"]
        if nodeps:
            # The scratch root's database is empty: httpd, mod_wsgi,
            # python(abi), shadow-utils, /bin/sh and the python3dist()
            # dependencies can be satisfied by no package in it (on Debian
            # there is none to install). test_rpm checks that these are the
            # only missing ones; everything else rpm -i does (scriptlets,
            # owners, modes, the database) happens as on a real system.
            args.append("--nodeps")
        return self.rpm(*args, *map(str, packages))

    def __truediv__(self, relpath):
        return self.path / str(relpath).lstrip("/")

    def entries(self, name):
        """``/etc/<name>`` (passwd, group) as {account: fields}."""
        out = {}
        for line in (self / f"etc/{name}").read_text().splitlines():
            fields = line.split(":")
            out[fields[0]] = fields
        return out

    def nss_env(self, tree, account="nova"):
        """LD_PRELOAD and the nss_wrapper files (written into ``tree``, a
        ``servers.Workdir``) that give a process this root's ``account``
        (user and group) as well as this machine's, its home moved into
        the root (mod_wsgi's daemons start there)."""
        user = self.entries("passwd")[account]
        user[5] = str(self / user[5])
        passwd = tree.write("nss/passwd", open("/etc/passwd").read()
                            + ":".join(user) + "\n")
        group = tree.write("nss/group", open("/etc/group").read()
                           + ":".join(self.entries("group")[account]) + "\n")
        return {"LD_PRELOAD": nss_wrapper(),
                "NSS_WRAPPER_PASSWD": str(passwd),
                "NSS_WRAPPER_GROUP": str(group)}

    def site_packages(self, python_version):
        return self / f"usr/lib/python{python_version}/site-packages"


class InstalledVhosts:
    """The vhosts of ``apis`` installed in the scratch root ``root``
    (``conf_dir``/<name>.conf), moved by ``relocate_vhost`` onto free
    ports, ``log_dir`` and the root (``daemons``: its ``python_home`` and
    ``processes``, when given), in a private Apache (``servers.Apache``
    named ``name`` in ``tree``, not started) whose environment has the
    root's nova account (``nss_env``) and ``env``; ``apache`` takes the
    rest (``python_home``: WSGIPythonHome)."""

    def __init__(self, root, tree, name, apis, log_dir, env=None,
                 daemons=None, conf_dir="/etc/httpd/conf.d", **apache):
        self.root, self.log_dir = root, log_dir
        self.ports = {api: servers.free_port() for api in apis}
        self.snippets = [
            (f"{vhost}.conf", relocate_vhost(
                (root / f"{conf_dir}/{vhost}.conf").read_text(), root,
                self.ports[api], log_dir, **(daemons or {})))
            for api, vhost in apis.items()]
        self.env = dict(root.nss_env(tree), **(env or {}))
        self.apache = servers.Apache(tree, name, self.snippets, env=self.env,
                                     **apache)

    def url(self, api):
        return f"http://127.0.0.1:{self.ports[api]}"

    def error_log(self):
        """The vhosts' error logs, then Apache's own."""
        return "".join(p.read_text(errors="replace")
                       for p in sorted(self.log_dir.glob("*_error.log"))) \
            + self.apache.error_log()
