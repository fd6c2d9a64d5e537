"""nova-wsgi-reload (nova.packaging.reload) without Apache.

Which processes it would signal is checked on a made-up /proc (``--dry-run``
semantics: nothing is signalled); its failures on the real /proc, where
this test process has no daemon. The reload itself, on a real Apache under
load: tests/deploy/test_apache.py.
"""

import ast
import io
import os
import pathlib
import subprocess
import sys

import pytest

from nova.packaging import reload, render

ROOT = pathlib.Path(__file__).resolve().parents[2]

APACHE = 500


def _process(proc, pid, argv, ppid, state="S", threads=1):
    directory = proc / str(pid)
    directory.mkdir()
    (directory / "cmdline").write_bytes(b"\0".join(argv) + b"\0")
    # pid (comm) state ppid ... ; field 22, the start time, is 1000 + pid.
    fields = [state, str(ppid)] + ["0"] * 17 + [str(1000 + pid)]
    (directory / "stat").write_text(f"{pid} (apache2) {' '.join(fields)}\n")
    (directory / "status").write_text(f"Name:\tapache2\nThreads:\t{threads}\n")


def _daemon_name(group, argv0=b"/usr/sbin/apache2"):
    """What mod_wsgi leaves in argv[0] with display-name=%{GROUP}: the
    name, cut to argv[0]'s length or padded with spaces."""
    name = b"(wsgi:" + group.encode() + b")"
    return name[:len(argv0)].ljust(len(argv0))


@pytest.fixture
def proc(tmp_path):
    """Apache (500) with 2 workers, 4 compute and 2 metadata daemons, a
    dying compute daemon, a custom group; a second Apache (httpd, RHEL's
    shorter argv[0]) with 1 compute daemon; unrelated processes."""
    root = tmp_path / "proc"
    root.mkdir()
    apache = [b"/usr/sbin/apache2", b"-k", b"start"]
    _process(root, APACHE, apache, 1)
    for pid in (501, 502):
        _process(root, pid, apache, APACHE)
    for pid in (511, 512, 513, 514):
        _process(root, pid, [_daemon_name("nova-compute-api"), b"-k",
                             b"start"], APACHE, threads=5)
    _process(root, 515, [_daemon_name("nova-compute-api")], APACHE,
             state="Z")
    for pid in (521, 522):
        _process(root, pid, [_daemon_name("nova-metadata")], APACHE)
    _process(root, 531, [_daemon_name("api")], APACHE)  # "(wsgi:api)  ..."
    httpd = [b"/usr/sbin/httpd", b"-DFOREGROUND"]
    _process(root, 600, httpd, 1)
    _process(root, 611, [_daemon_name("nova-compute-api", httpd[0])], 600)
    # Names that are not daemons' at all.
    _process(root, 700, [b"vi", b"(wsgi:nova-compute-api)"], 1)
    _process(root, 701, [b"(wsgi:nova-compute-api-extra)"], 1)
    (root / "self").mkdir()
    return str(root)


def _would_signal(proc, group, parent=None):
    job = reload.Reload(group, parent, 1, proc=str(proc), dry_run=True)
    return sorted(d.pid for d in job.current())


def test_names_as_mod_wsgi_leaves_them(proc):
    assert _daemon_name("nova-compute-api") == b"(wsgi:nova-comput"
    assert _daemon_name("nova-compute-api", b"/usr/sbin/httpd") \
        == b"(wsgi:nova-comp"
    assert _daemon_name("api") == b"(wsgi:api)       "


def test_only_the_groups_daemons(proc):
    """Never Apache's parent or workers, a zombie, or a process that only
    mentions the name; a cut name matches the groups it begins."""
    assert _would_signal(proc, "nova-compute-api") == [511, 512, 513, 514,
                                                       611]
    assert _would_signal(proc, "nova-metadata") == [521, 522]
    assert _would_signal(proc, "api") == [531]
    assert _would_signal(proc, "ap") == []  # "(wsgi:api)" is whole
    assert _would_signal(proc, "nova-compute-api", parent=APACHE) == [
        511, 512, 513, 514]
    assert _would_signal(proc, "nova-compute-api", parent=600) == [611]
    # Shorter than what the process shows: another group.
    assert _would_signal(proc, "nova-comp", parent=APACHE) == []
    # 701's whole name is "(wsgi:nova-compute-api-extra)": not this group.
    assert 701 not in _would_signal(proc, "nova-compute-api")


def test_dry_run_line_and_not_found(proc):
    ok, line = reload.Reload("nova-metadata", APACHE, 1, proc=proc,
                             dry_run=True).run()
    assert ok
    assert line == ("nova-metadata: would signal 2 daemon processes of "
                    "Apache 500 (pids 521 522)")
    ok, line = reload.Reload("nosuch", APACHE, 1, proc=proc).run()
    assert not ok
    assert line == (
        "nosuch: no daemon process of this group found under Apache 500 "
        "(no process in /proc named '(wsgi:nosuch)'); daemons seen: "
        "'(wsgi:api)' x1, '(wsgi:nova-comput' x4, '(wsgi:nova-metada' x2")


def test_serving_is_when_mod_wsgi_started_its_threads(proc):
    daemons = {d.pid: d for d in reload.scan(proc)}
    assert reload.serving(daemons[511], proc)  # 5 threads
    assert not reload.serving(daemons[521], proc)  # still loading


def test_groups_are_the_rendered_vhosts():
    assert reload.GROUPS == {key: api.name
                             for key, api in render.APIS.items()}


def test_no_daemons_at_all(tmp_path):
    """A pid file whose process (this test's) has no daemons: both APIs
    are named, and the command fails."""
    pidfile = tmp_path / "httpd.pid"
    pidfile.write_text(f"{os.getpid()}\n")
    out = io.StringIO()
    assert reload.main(["--pidfile", str(pidfile)], out=out) == 1
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "nova-compute-api", "nova-metadata"], lines
    for line in lines:
        assert f"no daemon process of this group found under Apache " \
               f"{os.getpid()}" in line
        assert "no mod_wsgi daemon process at all: is Apache running?" \
            in line


def test_unknown_group_and_api(tmp_path, capsys):
    pidfile = tmp_path / "httpd.pid"
    pidfile.write_text(f"{os.getpid()}\n")
    out = io.StringIO()
    assert reload.main(["--group", "nosuch", "--pidfile", str(pidfile)],
                       out=out) == 1
    assert out.getvalue().startswith(
        "nosuch: no daemon process of this group found")
    with pytest.raises(SystemExit) as exc:
        reload.main(["nova"])
    assert exc.value.code == 2
    assert "unknown API 'nova' (choose from compute, metadata; --group " \
        in capsys.readouterr().err


def test_unreadable_pid_file(tmp_path):
    out = io.StringIO()
    assert reload.main(["--pidfile", str(tmp_path / "none.pid")],
                       out=out) == 1
    assert out.getvalue().startswith(
        f"nova-wsgi-reload: cannot read the pid file {tmp_path}/none.pid")


def test_runs_on_a_bare_system_python(tmp_path):
    """python3 -m nova.packaging.reload from a source tree, without the
    project's dependencies (-S: no site-packages) and under Python 3.9's
    grammar (the zipapp's floor)."""
    ast.parse((ROOT / "nova" / "packaging" / "reload.py").read_text(),
              feature_version=(3, 9))
    python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") \
        else sys.executable
    pidfile = tmp_path / "httpd.pid"
    pidfile.write_text(f"{os.getpid()}\n")
    proc = subprocess.run(
        [python, "-S", "-m", "nova.packaging.reload", "--group", "nosuch",
         "--pidfile", str(pidfile)], cwd=ROOT, capture_output=True,
        text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("nosuch: no daemon process"), proc.stdout


def test_console_script_is_declared():
    text = (ROOT / "pyproject.toml").read_text()
    assert 'nova-wsgi-reload = "nova.packaging.reload:main"' in text
