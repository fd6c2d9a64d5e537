"""The deployment kit without nova-wsgi installed, and the clash guard.

- ``python3 -m nova.cmd.wsgi_build`` from a copy of the source tree, with
  the system's /usr/bin/python3 and nothing of .venv, writes byte for
  byte what the installed ``nova-wsgi-build`` writes.
- ``tools/build-kit.py`` writes the single-file kit (a zipapp): the same
  bytes at each build, the kit's modules and templates and nothing else;
  ``python3 -I nova-wsgi-kit.pyz build ...`` in an empty directory writes
  what ``nova-wsgi-build`` writes (templates read from inside the zip).
- ``import nova`` refuses a directory it shares with upstream's ``nova``
  distribution, with the repair (the real pip round trip is in
  tests/deploy/test_clash.py).
"""

import ast
import pathlib
import shutil
import subprocess
import sys
import zipfile

import pytest

from nova.packaging import kit
from tests.helpers import ROOT

SYSTEM_PYTHON = "/usr/bin/python3"
INSTALLED = pathlib.Path(sys.executable).parent / "nova-wsgi-build"

# Two sets of options between them touch every kind of file and value.
OPTION_SETS = {
    "debian-per-api": [
        "--layout", "debian", "--python-home", "/opt/upstream-nova",
        "--config-dir", "/etc/nova", "--config-files",
        "api-paste.ini;nova.conf", "--processes", "3",
        "--bind", "compute=[::1]:18774", "--bind", "metadata=127.0.0.1:18775",
        "--server-name", "api.example.org",
        "--ssl-certificate", "metadata=/etc/ssl/certs/meta.pem",
        "--ssl-certificate-key", "metadata=/etc/ssl/private/meta.key",
        "--user", "root", "--group", "root", "--no-host-checks",
        "--apache", "apache", "--uwsgi", "uwsgi", "--gunicorn", "gunicorn",
        "scripts"],
    "rhel-prefix-tls": [
        "--layout", "rhel", "--tls", "--path-prefix", "/compute",
        "--script-dir", "/var/www/cgi-bin/nova", "--log-dir",
        "/var/log/httpd/nova-api", "--max-request-body-size", "1048576",
        "--no-host-checks", "--apache", "etc/httpd/conf.d",
        "var/www/cgi-bin/nova"],
}


def tree(root):
    root = pathlib.Path(root)
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def run(argv, cwd, **kwargs):
    proc = subprocess.run([str(a) for a in argv], cwd=cwd,
                          capture_output=True, text=True, timeout=120,
                          **kwargs)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def installed_output(tmp_path, options):
    out = tmp_path / "installed"
    out.mkdir()
    run([INSTALLED, *options], out)
    written = tree(out)
    assert any(name.endswith(".conf") for name in written), sorted(written)
    return written


@pytest.fixture(scope="module")
def kit_pyz(tmp_path_factory):
    path = tmp_path_factory.mktemp("kit") / "nova-wsgi-kit.pyz"
    run([SYSTEM_PYTHON, "-I", ROOT / "tools" / "build-kit.py", "-o", path],
        ROOT)
    return path


# -- the source tree ----------------------------------------------------------

@pytest.mark.parametrize("name", sorted(OPTION_SETS))
def test_source_tree_with_the_system_python(tmp_path, name):
    src = tmp_path / "src"
    shutil.copytree(ROOT / "nova", src / "nova",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path / "out"
    out.mkdir()
    # Relative output paths: run from the tree with -m, writing into out.
    options = [str(out / o) if o in ("apache", "uwsgi", "gunicorn",
                                     "scripts", "etc/httpd/conf.d",
                                     "var/www/cgi-bin/nova") else o
               for o in OPTION_SETS[name]]
    env = {"PATH": "/usr/bin:/bin"}
    run([SYSTEM_PYTHON, "-E", "-s", "-m", "nova.cmd.wsgi_build", *options],
        src, env=env)
    assert tree(out) == installed_output(tmp_path, OPTION_SETS[name])


def test_kit_modules_need_only_the_standard_library():
    """No site-packages at all (-S): every module the kit's commands
    import is the standard library's or the kit's own."""
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "import nova.cmd.wsgi_build, nova.packaging.kit\n"
        "bad = sorted(name for name, m in sys.modules.items()\n"
        "    if getattr(m, '__file__', None)\n"
        "    and not m.__file__.startswith(sys.base_prefix)\n"
        "    and not name.split('.')[0] == 'nova')\n"
        "print(bad)\n")
    proc = run([SYSTEM_PYTHON, "-I", "-S", "-c", code], ROOT)
    assert proc.stdout.strip() == "[]"


def test_kit_modules_parse_as_python_3_9(kit_pyz):
    with zipfile.ZipFile(kit_pyz) as zf:
        for name in zf.namelist():
            if name.endswith(".py"):
                ast.parse(zf.read(name), name, feature_version=(3, 9))


# -- the zipapp ---------------------------------------------------------------

def test_kit_is_reproducible_and_holds_the_kit(kit_pyz, tmp_path):
    again = tmp_path / "again.pyz"
    run([SYSTEM_PYTHON, "-I", ROOT / "tools" / "build-kit.py", "-o", again],
        tmp_path)
    data = kit_pyz.read_bytes()
    assert again.read_bytes() == data
    assert data.startswith(b"#!/usr/bin/env python3\n")
    assert kit_pyz.stat().st_mode & 0o777 == 0o755
    expected = ["__main__.py", "nova/__init__.py", "nova/cmd/__init__.py",
                "nova/cmd/wsgi_build.py"]
    expected += [p.relative_to(ROOT).as_posix() for p in
                 (ROOT / "nova" / "packaging").glob("*.py")]
    expected += [p.relative_to(ROOT).as_posix() for p in
                 (ROOT / "nova" / "packaging" / "templates").iterdir()]
    with zipfile.ZipFile(kit_pyz) as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == sorted(expected)
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        for info in infos:
            if info.filename != "__main__.py":
                assert zf.read(info) == (ROOT / info.filename).read_bytes()


@pytest.mark.parametrize("name", sorted(OPTION_SETS))
def test_kit_writes_what_the_installed_command_writes(kit_pyz, tmp_path,
                                                      name):
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = run([SYSTEM_PYTHON, "-I", kit_pyz, "build", *OPTION_SETS[name]],
               empty, env={"PATH": "/usr/bin:/bin"})
    assert proc.stderr == ""
    assert tree(empty) == installed_output(tmp_path, OPTION_SETS[name])


def test_kit_runs_from_its_shebang_with_a_relative_path(kit_pyz, tmp_path):
    shutil.copy(kit_pyz, tmp_path / "kit.pyz")
    proc = run(["./kit.pyz", "build", "--layout", "debian", "--user", "root",
                "--group", "root", "--log-dir", tmp_path, "--apache", "a",
                "s"], tmp_path)
    assert proc.stderr == ""
    assert (tmp_path / "a" / "nova-compute-api.conf").read_text().startswith(
        "# nova-compute-api.conf: ")


def test_kit_usage_and_unknown_subcommand(kit_pyz, tmp_path):
    proc = subprocess.run([SYSTEM_PYTHON, "-I", kit_pyz], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.startswith(
        "usage: nova-wsgi-kit.pyz SUBCOMMAND [ARGS...]")
    for name in ("build", "check", "reload"):
        assert f"\n  {name} " in proc.stderr
    proc = subprocess.run([SYSTEM_PYTHON, "-I", kit_pyz, "deploy"],
                          cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2
    assert "nova-wsgi-kit.pyz: unknown subcommand 'deploy'" in proc.stderr
    proc = run([SYSTEM_PYTHON, "-I", kit_pyz, "--version"], tmp_path)
    assert proc.stdout == "nova-wsgi-kit.pyz (nova-wsgi 0.1.0)\n"


def test_kit_build_errors_name_the_kit(capsys):
    with pytest.raises(SystemExit) as exc:
        kit.main(["build", "--bind", "nowhere"], prog="nova-wsgi-kit.pyz")
    assert exc.value.code == 2
    assert "nova-wsgi-kit.pyz build: error: --bind nowhere" in \
        capsys.readouterr().err


def test_a_missing_subcommand_module_is_named(monkeypatch, capsys):
    monkeypatch.setitem(kit.COMMANDS, "check",
                        ("nova.packaging.no_such_module", "absent"))
    assert kit.main(["check", "http://127.0.0.1:8774"], prog="kit.pyz") == 2
    err = capsys.readouterr().err
    assert err == (
        "kit.pyz: the subcommand 'check' is not in this kit: it was built "
        "from a tree without nova.packaging.no_such_module. Build the kit "
        "again (python3 tools/build-kit.py) from a tree that has it.\n")


def test_kit_subcommands_get_their_arguments(monkeypatch):
    """Each subcommand's main(argv) gets what follows its name, and the
    kit's name as its prog when it takes one."""
    seen = {}

    def main(argv=None, prog=None):
        seen.update(argv=argv, prog=prog)
        return 7

    monkeypatch.setattr(sys.modules["nova.cmd.wsgi_build"], "main", main)
    assert kit.main(["build", "-x", "y"], prog="k.pyz") == 7
    assert seen == {"argv": ["-x", "y"], "prog": "k.pyz build"}


# -- the clash guard ----------------------------------------------------------

def _site(tmp_path, *entries):
    """A site-packages with this project's nova/__init__.py and ``entries``
    (directories) beside it."""
    site = tmp_path / "site-packages"
    (site / "nova").mkdir(parents=True)
    shutil.copy(ROOT / "nova" / "__init__.py", site / "nova" / "__init__.py")
    for entry in entries:
        (site / entry).mkdir()
        (site / entry / "METADATA").write_text("Name: x\n")
    return site


def _import_nova(site):
    code = f"import sys; sys.path.insert(0, {str(site)!r}); import nova"
    return subprocess.run([SYSTEM_PYTHON, "-I", "-c", code],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("entry, version", [
    ("nova-34.0.0.dist-info", "34.0.0"),
    ("nova-33.1.0-py3.11.egg-info", "33.1.0"),
    ("Nova-35.0.0.0rc1.dist-info", "35.0.0.0rc1"),
])
def test_import_refuses_a_directory_shared_with_upstream(tmp_path, entry,
                                                         version):
    site = _site(tmp_path, "nova_wsgi-0.1.0.dist-info", entry)
    proc = _import_nova(site)
    assert proc.returncode == 1
    err = " ".join(proc.stderr.split())
    assert (f"ImportError: nova-wsgi and upstream Nova (nova {version}) are "
            f"both installed in {site}") in err
    assert "the later install overwrote the earlier one's files" in err
    assert (f"pip uninstall -y nova-wsgi nova && pip install nova=={version}"
            in err)
    assert "python3 nova-wsgi-kit.pyz build --help" in err


def test_import_ignores_other_distributions(tmp_path):
    site = _site(tmp_path, "nova_wsgi-0.1.0.dist-info",
                 "python_novaclient-18.0.0.dist-info",
                 "novaclient-18.0.0.dist-info", "nova_wsgi.egg-info",
                 "nova-wsgi-0.1.0.dist-info", "nova.egg-info")
    proc = _import_nova(site)
    assert proc.returncode == 0, proc.stderr


def test_clash_message_when_building():
    import nova

    text = nova.clash_message("/venv/lib/python3.11/site-packages",
                              "34.0.0", building=True)
    assert text.startswith(
        "refusing to build nova-wsgi for this environment: "
        "/venv/lib/python3.11/site-packages holds upstream Nova (nova "
        "34.0.0).")
    assert nova.foreign_nova(str(ROOT)) is None
    assert nova.foreign_nova(str(ROOT / "no-such-dir")) is None

