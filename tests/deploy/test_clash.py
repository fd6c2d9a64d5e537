"""nova-wsgi and upstream's ``nova`` in one environment, for real with pip.

Both are the import package ``nova``: pip installs one over the other
without a word. Here a stand-in for upstream (a wheel named ``nova``
34.0.0, built by this test: an ``__init__`` that says it is upstream's
and a ``nova-manage``) is installed into a fresh virtualenv made from
/usr/bin/python3, then:

- this project's wheel over it: pip succeeds and says nothing, but
  ``import nova`` and every command of either project fail at once with
  the message that names both, the directory and the repair; the repair
  it gives (``pip uninstall -y nova-wsgi nova && pip install nova==X``)
  gives upstream back, whole;
- ``pip install`` of this source tree (with pip's build isolation,
  without it, and editable) refuses before building: setup.py sees the
  target's site-packages (pip's isolation keeps ``sys.prefix``), and
  upstream's files are untouched.

Offline but for the build requirements of this project's wheel
(setuptools, wheel), which pip fetches or finds in its cache: without
them the tests that build are skipped outside CI.
"""

import base64
import hashlib
import shutil
import subprocess
import sys
import zipfile

import pytest

from tests.helpers import ROOT, unavailable

pytestmark = pytest.mark.slow

VERSION = "34.0.0"
UPSTREAM_INIT = f'"""Stand-in for upstream Nova."""\nUPSTREAM = "{VERSION}"\n'
CLASH = "nova-wsgi and upstream Nova (nova 34.0.0) are both installed in"
REFUSED = "refusing to build nova-wsgi for this environment"


def _record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest())
    return f"{name},sha256={digest.rstrip(b'=').decode()},{len(data)}"


def fake_upstream_wheel(directory):
    """A wheel named ``nova`` with upstream's layout where it matters: the
    import package ``nova``, ``nova.cmd.manage`` and ``nova-manage``."""
    info = f"nova-{VERSION}.dist-info"
    files = {
        "nova/__init__.py": UPSTREAM_INIT,
        "nova/cmd/__init__.py": "",
        "nova/cmd/manage.py": "def main():\n    print('upstream manage')\n",
        f"{info}/METADATA": (f"Metadata-Version: 2.1\nName: nova\n"
                             f"Version: {VERSION}\n"),
        f"{info}/WHEEL": ("Wheel-Version: 1.0\nGenerator: test_clash\n"
                          "Root-Is-Purelib: true\nTag: py3-none-any\n"),
        f"{info}/entry_points.txt": ("[console_scripts]\n"
                                     "nova-manage = nova.cmd.manage:main\n"),
    }
    path = directory / f"nova-{VERSION}-py3-none-any.whl"
    record = []
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            data = text.encode()
            zf.writestr(name, data)
            record.append(_record_line(name, data))
        record.append(f"{info}/RECORD,,")
        zf.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return path


def copy_source(dest):
    dest.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / name, dest / name)
    shutil.copytree(ROOT / "nova", dest / "nova",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


def _build_requirements_missing(proc):
    text = proc.stdout + proc.stderr
    return proc.returncode != 0 and any(mark in text for mark in (
        "No matching distribution", "Could not find a version",
        "NewConnectionError", "Network is unreachable"))


@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    """The stand-in's wheel and this project's, in one directory."""
    directory = tmp_path_factory.mktemp("wheels")
    fake_upstream_wheel(directory)
    src = copy_source(tmp_path_factory.mktemp("src") / "src")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
         str(directory), str(src)],
        capture_output=True, text=True, timeout=300)
    if _build_requirements_missing(proc):
        unavailable(f"the build requirements ({proc.stderr[-300:]})")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return directory


class Venv:
    def __init__(self, path):
        self.path = path
        proc = subprocess.run(["/usr/bin/python3", "-m", "venv", str(path)],
                              capture_output=True, text=True, timeout=180)
        if proc.returncode != 0:
            unavailable(f"/usr/bin/python3 -m venv (python3-venv): "
                        f"{proc.stderr[-300:]}")
        self.site = next(path.glob("lib/python3*/site-packages"))

    def run(self, tool, *args, timeout=300):
        return subprocess.run([str(self.path / "bin" / tool), *map(str, args)],
                              capture_output=True, text=True, timeout=timeout,
                              cwd=self.path)

    def pip(self, *args):
        return self.run("pip", "--disable-pip-version-check", *args)

    def install_upstream(self, wheels):
        proc = self.pip("install", "--no-index", "--no-deps", "--find-links",
                        wheels, f"nova=={VERSION}")
        assert proc.returncode == 0, proc.stderr
        self.assert_upstream_works()

    def assert_upstream_works(self):
        proc = self.run("python", "-c", "import nova; print(nova.UPSTREAM)")
        assert proc.stdout == f"{VERSION}\n", proc.stderr
        proc = self.run("nova-manage")
        assert proc.stdout == "upstream manage\n", proc.stderr


@pytest.fixture
def upstream(tmp_path, wheels):
    venv = Venv(tmp_path / "venv")
    venv.install_upstream(wheels)
    return venv


def test_wheel_over_upstream_fails_loudly_and_the_repair_works(upstream,
                                                               wheels):
    (ours,) = wheels.glob("nova_wsgi-*.whl")
    proc = upstream.pip("install", "--no-index", "--no-deps", ours)
    # pip cannot refuse it, and says nothing of the files it overwrote.
    assert proc.returncode == 0, proc.stderr
    assert "nova/__init__.py" not in proc.stdout + proc.stderr
    assert (upstream.site / "nova" / "__init__.py").read_text() != \
        UPSTREAM_INIT

    for argv in (["python", "-c", "import nova"],
                 ["python", "-c", "import nova.cmd.manage"],
                 ["nova-manage", "--help"],
                 ["nova-wsgi-build", "--help"]):
        proc = upstream.run(*argv)
        assert proc.returncode == 1, (argv, proc.stdout, proc.stderr)
        err = " ".join(proc.stderr.split())
        assert f"ImportError: {CLASH} {upstream.site}" in err, err
        assert ("pip uninstall -y nova-wsgi nova && pip install "
                "nova==34.0.0") in err

    # The repair the message gives, offline here.
    proc = upstream.pip("uninstall", "-y", "nova-wsgi", "nova")
    assert proc.returncode == 0, proc.stderr
    proc = upstream.pip("install", "--no-index", "--find-links", wheels,
                        f"nova=={VERSION}")
    assert proc.returncode == 0, proc.stderr
    upstream.assert_upstream_works()
    assert not (upstream.site / "nova" / "packaging").exists()
    assert not (upstream.path / "bin" / "nova-wsgi-build").exists()


@pytest.mark.parametrize("how", [[], ["--no-build-isolation"], ["-e"]],
                         ids=["isolated", "no-build-isolation", "editable"])
def test_installing_the_source_tree_over_upstream_is_refused(upstream,
                                                             tmp_path, how):
    src = copy_source(tmp_path / "src")
    proc = upstream.pip("install", "--no-deps", *how, src)
    if _build_requirements_missing(proc):
        unavailable(f"the build requirements ({proc.stderr[-300:]})")
    assert proc.returncode != 0
    out = " ".join((proc.stdout + proc.stderr).split())
    assert (f"{REFUSED}: {upstream.site} holds upstream Nova (nova "
            f"34.0.0)") in out, out[-3000:]
    assert "python3 nova-wsgi-kit.pyz build --help" in out
    upstream.assert_upstream_works()
    assert not list(upstream.site.glob("nova_wsgi*"))
