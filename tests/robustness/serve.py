"""Both APIs under gunicorn on 127.0.0.1, for the robustness tests, the
long fuzzing run (tools/fuzz.py) and bench/memory.py.

``Stack(workdir, ...)`` writes a config directory (the shipped
api-paste.ini and a nova.conf) on the work tree's database (SQLite by
default, any URL with ``db_url``), and ``start(api)`` serves an API with
the shipped gunicorn config and ``--bind`` on a free port, waiting until
it answers; ``nova_manage(...)`` runs nova-manage on its config.
Everything is stopped by ``stop()`` with a bounded wait.

``call(base, method, path, ...)`` asks a served compute API (``/v2.1`` +
``path``) with a JSON body and a microversion; ``member()`` is a noauth2
member's token.
"""

import json
import signal
import subprocess
import textwrap

from nova.packaging import render
from tests.deploy import servers


def member(user="alice", project="project-a"):
    return {"X-Auth-Token": f"{user}:{project}"}


def call(base, method, path, body=None, *, headers, version="2.1",
         timeout=15):
    """``method`` ``/v2.1`` + ``path`` on the compute API at ``base``, with
    ``body`` as JSON, as ``headers`` ask, at ``version``; the
    ``servers.Response``."""
    data = json.dumps(body).encode() if body is not None else None
    hdrs = {**headers, "OpenStack-API-Version": f"compute {version}"}
    if data is not None:
        hdrs["Content-Type"] = "application/json"
    return servers.request(base + "/v2.1" + path, method=method,
                           headers=hdrs, body=data, timeout=timeout)


class Stack:
    def __init__(self, workdir, auth="noauth2", api="", extra="",
                 db_url=None, name="etc"):
        if db_url is not None:
            workdir.db_url = db_url
        self.workdir = workdir
        extra = textwrap.dedent(extra)
        if "[compute]" not in extra:
            # The built-in driver takes no time: ACTIVE on the next read.
            extra += "\n[compute]\nbuild_time = 0\naction_time = 0\n"
        self.etc = workdir.config(name, auth=auth, api=api, extra=extra)
        self.procs = {}
        self.urls = {}

    def start(self, api="compute", workers=2, extra_args=(), env=None):
        port = servers.free_port()
        conf = (servers.ROOT / "deployment" / "gunicorn"
                / render.gunicorn_filename(api))
        environ = servers.clean_env(OS_NOVA_CONFIG_DIR=str(self.etc),
                                    **(env or {}))
        proc = servers.Process(
            [servers.VENV_BIN / "gunicorn", "-c", conf,
             "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
             "--access-logfile", "/dev/null", *extra_args],
            self.workdir.path / f"gunicorn-{api}-{port}.log", env=environ,
            cwd=self.workdir.path)
        base = f"http://127.0.0.1:{port}"
        self.procs[api] = proc
        self.urls[api] = base
        try:
            servers.wait_for(
                lambda: servers.request(base + "/healthcheck",
                                        timeout=5).status in (200, 503),
                60, f"gunicorn serving {api} on {base}")
        except AssertionError:
            raise AssertionError(proc.output()[-3000:]) from None
        return base

    def nova_manage(self, *argv):
        """Run ``nova-manage ARGV`` on this stack's config directory;
        fails, with its stderr, when it does."""
        proc = subprocess.run(
            [str(servers.VENV_BIN / "nova-manage"), *argv],
            env=servers.clean_env(OS_NOVA_CONFIG_DIR=str(self.etc)),
            capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return proc

    def output(self, api="compute"):
        return self.procs[api].output()

    def stop(self):
        for proc in self.procs.values():
            proc.stop(signal.SIGINT, timeout=15)  # safe to repeat
