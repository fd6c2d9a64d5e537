"""gunicorn and uWSGI serving the module paths, from the shipped configs.

gunicorn runs the shipped ``deployment/gunicorn/*.conf.py`` as they are, with
``--bind`` on the command line (which wins over the file). uWSGI's socket
is in its ini, so the ini is rendered by the same function with this
test's address; nothing else differs from the shipped file. Both stop
gracefully on SIGTERM: a request in flight is answered first; both reload
on SIGHUP under load without losing a request.
"""

import signal

import pytest

from nova.packaging import render
from tests.deploy import checks, servers
from tests.helpers import ADMIN

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("deploy_tools")]

LOADED = {"compute": "osapi_compute", "metadata": "metadata"}


def _check(api, base):
    if api == "compute":
        checks.versions(base)
        checks.authenticated_404(base)
    else:
        checks.metadata_root(base)
    assert servers.request(base + "/healthcheck").status == 200


def _serve_and_stop(procs, ports):
    """Both APIs loaded before any request, answering, then a graceful
    SIGTERM with a request in flight."""
    for api, proc in procs.items():
        checks.wait_loaded(proc.output, LOADED[api],
                           render.APIS[api].processes)
        assert "GET /" not in proc.output()
    for api, port in ports.items():
        _check(api, f"http://127.0.0.1:{port}")
    for api, proc in procs.items():
        status = checks.request_across(
            ports[api], lambda proc=proc: proc.proc.send_signal(
                signal.SIGTERM))
        assert status == 200, proc.output()[-3000:]
        assert proc.proc.wait(timeout=30) == 0, proc.output()[-3000:]


def test_gunicorn_serves_the_shipped_configs(workdir):
    etc = workdir.config("etc")
    env = servers.clean_env(OS_NOVA_CONFIG_DIR=str(etc))
    procs, ports = {}, {}
    try:
        for api in render.APIS:
            ports[api] = servers.free_port()
            conf = (servers.ROOT / "deployment" / "gunicorn"
                    / render.gunicorn_filename(api))
            procs[api] = servers.Process(
                [servers.VENV_BIN / "gunicorn", "-c", conf,
                 "--bind", f"127.0.0.1:{ports[api]}"],
                workdir.path / f"gunicorn-{api}.log", env=env,
                cwd=workdir.path)
        _serve_and_stop(procs, ports)
    finally:
        for proc in procs.values():
            proc.stop(signal.SIGINT)


def test_gunicorn_workers_see_no_command_line_arguments(workdir):
    """Upstream Nova parses sys.argv with oslo.config in each worker and
    dies on gunicorn's -c and --bind: the shipped config's post_fork
    empties it, whatever the command line (here the app is given on it
    too, an app that shows what it sees)."""
    import json

    port = servers.free_port()
    conf = (servers.ROOT / "deployment" / "gunicorn"
            / render.gunicorn_filename("compute"))
    env = servers.clean_env(PYTHONPATH=str(servers.ROOT))
    proc = servers.Process(
        [servers.VENV_BIN / "gunicorn", "-c", conf, "--bind",
         f"127.0.0.1:{port}", "--workers", "1",
         "tests.deploy.argv_app:application"],
        workdir.path / "gunicorn-argv.log", env=env, cwd=workdir.path)
    try:
        body = servers.wait_for(lambda: servers.request(
            f"http://127.0.0.1:{port}/").body, 30, "the argv app")
        argv = json.loads(body)
        assert len(argv) == 1 and argv[0].endswith("gunicorn"), argv
    finally:
        proc.stop(signal.SIGINT)


def test_uwsgi_serves_the_shipped_inis(workdir):
    etc = workdir.config("etc")
    env = servers.clean_env(OS_NOVA_CONFIG_DIR=str(etc))
    procs, ports = {}, {}
    try:
        for api in render.APIS:
            ports[api] = servers.free_port()
            bind = f"127.0.0.1:{ports[api]}"
            text = render.render_uwsgi(api, bind=bind)
            shipped = (servers.ROOT / "deployment" / "uwsgi"
                       / render.uwsgi_filename(api)).read_text()
            default_bind = f"0.0.0.0:{render.APIS[api].port}"
            assert text == shipped.replace(f"http11-socket = {default_bind}",
                                           f"http11-socket = {bind}")
            ini = workdir.write(f"{render.uwsgi_filename(api)}", text)
            procs[api] = servers.Process(
                [servers.VENV_BIN / "uwsgi", "--ini", ini],
                workdir.path / f"uwsgi-{api}.log", env=env, cwd=workdir.path)
        _serve_and_stop(procs, ports)
    finally:
        # SIGINT: uWSGI's immediate stop, for whatever is left.
        for proc in procs.values():
            proc.stop(signal.SIGINT)


@pytest.mark.parametrize("server", ["gunicorn", "uwsgi"])
def test_sighup_reloads_under_load_losing_nothing(workdir, server):
    """SIGHUP to the master, the reload docs/operations.md gives for both:
    the listening socket stays open while new workers load the API and
    the old ones finish what they hold; requests made meanwhile wait, and
    not one fails."""
    etc = workdir.config("etc")
    env = servers.clean_env(OS_NOVA_CONFIG_DIR=str(etc))
    port = servers.free_port()
    bind = f"127.0.0.1:{port}"
    if server == "gunicorn":
        conf = (servers.ROOT / "deployment" / "gunicorn"
                / render.gunicorn_filename("compute"))
        argv = [servers.VENV_BIN / "gunicorn", "-c", conf, "--bind", bind]
    else:
        ini = workdir.write(render.uwsgi_filename("compute"),
                            render.render_uwsgi("compute", bind=bind))
        argv = [servers.VENV_BIN / "uwsgi", "--ini", ini]
    proc = servers.Process(argv, workdir.path / f"{server}.log", env=env,
                           cwd=workdir.path)
    workers = render.APIS["compute"].processes
    try:
        checks.wait_loaded(proc.output, "osapi_compute", workers)
        before = set(servers.children(proc.pid))

        def hup():
            proc.proc.send_signal(signal.SIGHUP)
            checks.wait_loaded(proc.output, "osapi_compute", 2 * workers)

        load = checks.Load(f"http://{bind}/v2.1/nonexistent",
                           headers=ADMIN, clients=3, ok=(404,))
        load.run(hup, at=1.0, after=1.5)
        print(f"{server} SIGHUP under load:", load.summary())  # with -s
        assert proc.running(), proc.output()[-3000:]
        servers.wait_for(lambda: not set(servers.children(proc.pid))
                         & before, 30, "the old workers to exit")
        assert not load.failures(), load.summary()
        assert len(load.outcomes) > 50, load.summary()
    finally:
        proc.stop(signal.SIGINT)
