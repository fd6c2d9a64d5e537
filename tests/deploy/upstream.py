"""Upstream Nova set up as its operator would, for test_upstream_nova.py.

- ``ensure_venv``: the virtualenv of ``nova==34.0.0`` from the package
  index, with mod_wsgi, gunicorn and uWSGI (``tools/upstream-nova.sh``,
  cached between runs); this project is not installed into it;
- ``make_kit``/``kit_build``: THE commands that render the kit's files
  for it, as the README tells upstream's operators: the single-file kit
  ``nova-wsgi-kit.pyz`` (``tools/build-kit.py``), run by Debian's
  ``/usr/bin/python3 -I`` outside this source tree, nothing of this
  project installed anywhere;
- ``wait_serving``: until a server answers on both APIs;
- ``UpstreamSite``: upstream's config in a temporary tree (its own
  ``api-paste.ini`` with the stand-in auth filter instead of
  keystonemiddleware's ``authtoken``, a ``nova.conf`` on SQLite), its
  databases made by its own ``nova-manage``, and the kit's files rendered
  for it with ``--python-home`` and ``--config-dir``/``--config-files``;
  ``provenance_pids``: the stamps of upstream's code on a server's answers.

Used by test_upstream_nova.py (the kit's rendered files) and
test_rpm_upstream.py (the files installed from openstack-nova-wsgi.spec).

The stand-in filter (``tools/upstream-nova/standin_auth.py``, test-only)
also stamps every response with ``X-Nova-Standin-Provenance``: the file
of the ``nova`` package the serving process imported, its distribution
and version, whether ``nova-wsgi`` is there, ``sys.prefix`` and the pid.
"""

import contextlib
import os
import pathlib
import secrets
import sqlite3
import subprocess

from tests.deploy import servers
from tests.helpers import unavailable

VERSION = "34.0.0"
SCRIPT = servers.ROOT / "tools" / "upstream-nova.sh"
# Upstream takes the FIRST file as its paste file: api-paste.ini first.
CONFIG_FILES = "api-paste.ini;nova.conf"
HEADER = "x-nova-standin-provenance"
PYTHON = "/usr/bin/python3"


def ensure_venv():
    """The upstream virtualenv's path, made by tools/upstream-nova.sh when
    missing (a few minutes the first time; tools/test.sh makes it before
    pytest). Unreachable package index: unavailable (skip; CI: fail)."""
    try:
        proc = subprocess.run([str(SCRIPT)], capture_output=True, text=True,
                              timeout=900)
    except subprocess.TimeoutExpired:
        unavailable(f"nova=={VERSION} from the package index "
                    "(tools/upstream-nova.sh took over 900 s)")
    if proc.returncode != 0:
        unavailable(f"nova=={VERSION} from the package index, in its "
                    "virtualenv (tools/upstream-nova.sh: "
                    f"{(proc.stderr or proc.stdout)[-800:]})")
    venv = pathlib.Path(proc.stdout.strip().splitlines()[-1])
    if not (venv / "bin" / "nova-manage").exists():
        unavailable(f"upstream Nova's virtualenv at {venv}")
    return venv


def wait_serving(what, compute, metadata, log, timeout=180):
    """Wait until both APIs answer ``/`` (every process of theirs loads
    upstream's API: tens of seconds on 2 busy cores); on timeout, fail
    with the end of ``log()``."""
    def answering():
        return all(servers.request(base + "/", timeout=60).status == 200
                   for base in (compute, metadata))
    try:
        servers.wait_for(answering, timeout, f"{what} serving both APIs",
                         interval=0.5)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{log()[-5000:]}") from None


def make_kit(path):
    """The single-file kit, built from this tree at ``path``."""
    proc = subprocess.run(
        [PYTHON, str(servers.ROOT / "tools" / "build-kit.py"), "-o",
         str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return path


def kit_build(kit, cwd, *args):
    """Render the kit's files as an upstream operator does: ``python3
    nova-wsgi-kit.pyz build ARGS`` (isolated: -I), in ``cwd``. Nothing
    may go to stderr (the kit warns there, e.g. of a missing user)."""
    proc = subprocess.run([PYTHON, "-I", str(kit), "build", *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, timeout=60,
                          env=servers.clean_env())
    assert proc.returncode == 0 and not proc.stderr, \
        proc.stdout + proc.stderr
    return proc.stdout


def upstream_paste(venv, token):
    """Upstream's own api-paste.ini (installed with its wheel) with the
    stand-in auth filter in authtoken's place, and the provenance filter
    in front of the versions document and the metadata API."""
    text = (venv / "etc" / "nova" / "api-paste.ini").read_text()
    swaps = [
        (" authtoken keystonecontext ", " standin_auth keystonecontext ", 2),
        ("pipeline = cors faultwrap request_log http_proxy_to_wsgi "
         "oscomputeversionapp\n",
         "pipeline = standin_provenance cors faultwrap request_log "
         "http_proxy_to_wsgi oscomputeversionapp\n", 1),
        ("pipeline = cors http_proxy_to_wsgi metaapp\n",
         "pipeline = standin_provenance cors http_proxy_to_wsgi metaapp\n", 1),
    ]
    for old, new, count in swaps:
        assert text.count(old) == count, (old, text)
        text = text.replace(old, new)
    return text + f"""
# Test-only (tests/deploy/test_upstream_nova.py): no Keystone here.
[filter:standin_auth]
paste.filter_factory = nova_wsgi_standin_auth:filter_factory
token = {token}

[filter:standin_provenance]
paste.filter_factory = nova_wsgi_standin_auth:provenance_factory
"""


class UpstreamSite:
    """Upstream's config, databases and the kit's files in ``tree`` (a
    ``servers.Workdir``), for the virtualenv ``venv``."""

    def __init__(self, tree, venv, processes=2):
        self.tree, self.venv = tree, venv
        self.processes = processes  # per API
        self.bin = venv / "bin"
        self.token = secrets.token_hex(16)
        self.headers = {"X-Auth-Token": self.token}
        self.etc = tree.mkdir("etc")
        db = tree.db_dir
        self.api_db = db / "nova_api.sqlite"
        tree.write("etc/api-paste.ini", upstream_paste(venv, self.token))
        tree.write("etc/nova.conf", f"""\
[DEFAULT]
# Recorded in cell1's mapping; the APIs' calls tested here send nothing.
transport_url = rabbit://guest:guest@127.0.0.1:5672/

[api]
auth_strategy = keystone

[api_database]
connection = sqlite:///{self.api_db}

[database]
connection = sqlite:///{db}/nova.sqlite
""")
        self.kit = tree.mkdir("kit")  # what the kit writes
        self.pyz = make_kit(tree.path / "nova-wsgi-kit.pyz")

    def env(self, **extra):
        env = servers.clean_env(**extra)
        env.pop("PYTHONPATH", None)
        return env

    def manage(self, *args):
        proc = subprocess.run(
            [str(self.bin / "nova-manage"), "--config-file",
             str(self.etc / "nova.conf"), *args],
            capture_output=True, text=True, timeout=180, env=self.env(),
            cwd=self.tree.path)
        assert proc.returncode == 0, (args, proc.stdout + proc.stderr)
        return proc.stdout

    def make_databases(self, owner=None):
        """As upstream's install guide: the API database, cell0 and cell1
        mapped, the cells' databases; they and their directory owned by
        the servers' user, or ``owner`` (uid, gid)."""
        db = self.tree.db_dir
        self.manage("api_db", "sync")
        self.manage("cell_v2", "map_cell0", "--database_connection",
                    f"sqlite:///{db}/nova_cell0.sqlite")
        self.manage("cell_v2", "create_cell", "--name", "cell1")
        self.manage("db", "sync")
        uid, gid = owner or (self.tree.uid, self.tree.gid)
        for path in [db, *db.iterdir()]:
            os.chown(path, uid, gid)

    def render(self, *options):
        """``kit_build`` with this site's --python-home and config, the
        scripts written into ``kit/`` (the same every time)."""
        return kit_build(self.pyz, self.tree.path,
                         "--python-home", self.venv,
                         "--config-dir", self.etc,
                         "--config-files", CONFIG_FILES,
                         "--processes", self.processes,
                         *options, self.kit)

    def render_apache(self, layout, ports, conf_dir, **options):
        """The vhost snippets of ``layout`` for this tree, on ``ports`` of
        127.0.0.1: [(file name, text)], as the kit wrote them."""
        args = ["--layout", layout, "--apache", conf_dir,
                "--script-dir", self.kit,
                "--user", servers.RUN_AS, "--group", servers.RUN_AS]
        for api, port in ports.items():
            args += ["--bind", f"{api}=127.0.0.1:{port}"]
        for option, value in options.items():
            args += [f"--{option.replace('_', '-')}", value]
        self.render(*args)
        return [(name, (pathlib.Path(conf_dir) / name).read_text())
                for name in ("nova-compute-api.conf", "nova-metadata.conf")]

    def expected_provenance(self):
        """The stamp of upstream's code from this virtualenv (without the
        pid, which differs per process)."""
        purelib = subprocess.run(
            [str(self.bin / "python"), "-c",
             "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True, text=True, timeout=60,
            check=True).stdout.strip()
        return (f"nova={purelib}/nova/__init__.py; dist=nova {VERSION}; "
                f"nova-wsgi=absent; prefix={self.venv}")

    def provenance_pids(self, compute, metadata):
        """Ask the versions document, an authenticated flavor list and the
        metadata root; assert each answer is stamped as upstream's code
        from this virtualenv; the pids of the processes that answered."""
        expected = self.expected_provenance()
        pids = set()
        for resp in (servers.request(compute + "/"),
                     servers.request(compute + "/v2.1/flavors",
                                     headers=self.headers),
                     servers.request(metadata + "/")):
            assert resp.status == 200, (resp.status, resp.text)
            stamp = resp.headers[HEADER]
            assert stamp.startswith(expected + "; pid="), (stamp, expected)
            pids.add(int(stamp.rsplit("=", 1)[1]))
        return pids

    def flavor_row(self, flavor_id):
        """(name, memory_mb) of the flavor in upstream's API database."""
        with contextlib.closing(sqlite3.connect(
                f"file:{self.api_db}?mode=ro", uri=True, timeout=10)) as conn:
            return conn.execute(
                "SELECT name, memory_mb FROM flavors WHERE flavorid = ?",
                (flavor_id,)).fetchone()
