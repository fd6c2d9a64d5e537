"""Building nova-wsgi's RPMs and installing them into a scratch root.

- ``build``: ``tools/build-rpms.sh`` into a topdir (the documented way:
  ``git archive`` of the work tree, rpmbuild with %check);
- ``query``: ``rpm -qp`` with a query format, one row a line;
- ``ScratchRoot``: an empty tree with just enough of a system for the
  packages' scriptlets, which rpm runs chrooted into it: ``/bin/sh``,
  ``getent``, ``groupadd`` and ``useradd`` with their libraries (copied
  from this machine), ``/dev/null``, ``/etc/passwd``/``group``/
  ``shadow``/``gshadow`` holding root only, and an RPM database of its
  own (``--dbpath /var/lib/rpm`` under the root). On an RPM-based system
  ``dnf --installroot`` would install the real packages for these; on
  Debian they are copied.
"""

import os
import pathlib
import re
import shutil
import subprocess

from tests.deploy import servers

ROOT = servers.ROOT
SPEC = ROOT / "rpm" / "nova-wsgi.spec"
RPMLINTRC = ROOT / "rpm" / "nova-wsgi.rpmlintrc"
BUILD_SCRIPT = ROOT / "tools" / "build-rpms.sh"
DBPATH = "/var/lib/rpm"
# What the scriptlets run, besides the shell.
SCRIPTLET_TOOLS = ("getent", "groupadd", "useradd")


def build(topdir, timeout=300):
    """Build the SRPM and RPMs into ``topdir``; returns the CompletedProcess
    and ``{package name: path}`` (the SRPM as ``"src"``)."""
    proc = subprocess.run([str(BUILD_SCRIPT), "--topdir", str(topdir)],
                          capture_output=True, text=True, timeout=timeout,
                          env=servers.clean_env())
    packages = {}
    if proc.returncode == 0:
        for path in pathlib.Path(topdir).glob("RPMS/noarch/*.rpm"):
            packages[query(path, "%{NAME}")[0]] = path
        for path in pathlib.Path(topdir).glob("SRPMS/*.src.rpm"):
            packages["src"] = path
    return proc, packages


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

    def site_packages(self, python_version):
        return self / f"usr/lib/python{python_version}/site-packages"
