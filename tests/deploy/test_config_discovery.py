"""Config discovery under each server, observed over HTTP.

The file each server loads (``.wsgi`` script, gunicorn config, uWSGI ini)
is rendered with ``config_dir`` = A baked in. Three instances of the
compute API run at once, differing only in their process environment:

- ``baked``: nothing set: A's nova.conf applies;
- ``env``: ``OS_NOVA_CONFIG_DIR`` = B: the environment wins over the
  baked-in default (B's nova.conf applies);
- ``files``: ``OS_NOVA_CONFIG_FILES`` lists three files of A; the last one
  wins where they overlap, the others still apply.

What each instance read shows in ``GET /`` (the links follow
``[api] compute_link_prefix``) and in which POST body sizes get the API's
413 (``[oslo_middleware] max_request_body_size``). Under Apache the script
also activates the virtualenv itself (python_home baked in, no
``python-home=`` on the daemon): the daemon runs the system interpreter.
"""

import signal
import subprocess

import pytest

from nova.packaging import render
from tests.deploy import checks, servers

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("deploy_tools")]

SCENARIOS = {
    # name: (environment, link base, body limit)
    "baked": ({}, "http://baked.example:8774", 2000),
    "env": ({"OS_NOVA_CONFIG_DIR": "{B}"}, "http://env.example:8774", 1000),
    "files": ({"OS_NOVA_CONFIG_FILES":
               "api-paste.ini;nova.conf;override.conf"},
              "http://files.example:8774", 2000),
}


def _configs(tree):
    a = tree.config(
        "etc-a", api="compute_link_prefix = http://baked.example:8774\n",
        extra="[oslo_middleware]\nmax_request_body_size = 2000\n")
    tree.write("etc-a/override.conf",
               "[api]\ncompute_link_prefix = http://files.example:8774\n")
    b = tree.config(
        "etc-b", api="compute_link_prefix = http://env.example:8774\n",
        extra="[oslo_middleware]\nmax_request_body_size = 1000\n")
    return a, b


# -- one adapter per server: start the compute API, return (log, stop) ------

def _express(tree, name, port, env, a):
    script = tree.write(
        f"{name}/nova-compute-api.wsgi",
        render.render_wsgi_script("compute", config_dir=str(a)))
    proc = servers.Process(
        servers.express_argv(script, port, tree.mkdir(f"{name}/root")),
        tree.path / f"{name}.log", env=servers.clean_env(**env))
    return proc.output, lambda: proc.stop(signal.SIGTERM)


def _apache(tree, name, port, env, a):
    # The system interpreter cannot import the project: it is the script's
    # activation of the virtualenv that makes the API load.
    assert subprocess.run(["/usr/bin/python3", "-c", "import oslo_config"],
                          capture_output=True, timeout=60).returncode != 0
    tree.mkdir(f"{name}/logs")
    tree.write(f"{name}/scripts/nova-compute-api.wsgi",
               render.render_wsgi_script("compute", config_dir=str(a),
                                         python_home=str(servers.VENV)))
    apache = servers.Apache(tree, f"{name}/httpd", [(
        "nova-compute-api.conf", render.render_vhost(
            "compute", "debian", port=port, listen_address="127.0.0.1",
            processes=1, user=servers.RUN_AS, group=servers.RUN_AS,
            script_dir=str(tree.path / name / "scripts"),
            log_dir=str(tree.path / name / "logs")))], env=env)
    ok, output = apache.check()
    assert ok, output
    apache.start()
    log = tree.path / name / "logs" / "nova-compute-api_error.log"
    return (lambda: log.read_text() if log.exists() else ""), apache.stop


def _gunicorn(tree, name, port, env, a):
    conf = tree.write(f"{name}.conf.py", render.render_gunicorn(
        "compute", processes=1, config_dir=str(a)))
    proc = servers.Process(
        [servers.VENV_BIN / "gunicorn", "-c", conf,
         "--bind", f"127.0.0.1:{port}"],
        tree.path / f"{name}.log", env=servers.clean_env(**env),
        cwd=tree.path)
    return proc.output, lambda: proc.stop(signal.SIGINT)


def _uwsgi(tree, name, port, env, a):
    ini = tree.write(f"{name}.ini", render.render_uwsgi(
        "compute", bind=f"127.0.0.1:{port}", processes=1, config_dir=str(a)))
    proc = servers.Process([servers.VENV_BIN / "uwsgi", "--ini", ini],
                           tree.path / f"{name}.log",
                           env=servers.clean_env(**env), cwd=tree.path)
    return proc.output, lambda: proc.stop(signal.SIGINT)


SERVERS = {"mod_wsgi-express": _express, "apache": _apache,
           "gunicorn": _gunicorn, "uwsgi": _uwsgi}


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_config_discovery(workdir, server):
    a, b = _configs(workdir)
    running = {}
    try:
        for name, (env, _, _) in SCENARIOS.items():
            env = {k: v.format(B=b) for k, v in env.items()}
            port = servers.free_port()
            log, stop = SERVERS[server](workdir, name, port, env, a)
            running[name] = (port, log, stop)
        for _name, (_port, log, _) in running.items():
            checks.wait_loaded(log, "osapi_compute")
        for name, (_, link_base, limit) in SCENARIOS.items():
            port, log, _ = running[name]
            base = f"http://127.0.0.1:{port}"
            checks.versions(base, link_base=link_base)
            assert checks.body_limit(base, limit + 1), name
            assert not checks.body_limit(base, limit), name
            assert checks.loaded_count(log(), "osapi_compute") == 1
    finally:
        for _, _, stop in running.values():
            stop()
