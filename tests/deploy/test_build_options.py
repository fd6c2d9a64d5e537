"""What ``nova-wsgi-build`` writes for its server options, on real servers.

- ``--bind compute=[::1]:P --bind metadata=127.0.0.1:Q --server-name``:
  a private Apache serves each API on its own address and port (and
  nothing on the other family), uWSGI and gunicorn on [::1].
- What the vhost headers and the host checks say Apache needs is what it
  needs: without the user, the group or the log directory ``apache2ctl
  -t`` fails with the very code they name (AH00543, AH00544, AH02291).
"""

import io
import signal

import pytest

from nova.cmd import wsgi_build
from nova.packaging import render
from tests.deploy import checks, servers
from tests.deploy.servers import RUN_AS, request

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("deploy_tools")]


def build(tree, *argv):
    """Run the command into ``tree``: ``{file name: text}`` of the vhosts
    (and the paths of the other files)."""
    out = io.StringIO()
    scripts = tree.mkdir("scripts")
    assert wsgi_build.main([*map(str, argv), str(scripts)], out=out) == 0
    return out.getvalue().splitlines()


def refused_connection(url):
    try:
        request(url, timeout=5)
    except ConnectionRefusedError:
        return True
    return False


def test_apache_serves_each_api_where_bind_says(workdir):
    etc = workdir.config("etc")
    logs = workdir.mkdir("logs")
    compute, metadata = servers.free_port(), servers.free_port()
    written = build(
        workdir, "--layout", "debian", "--config-dir", etc, "--python-home",
        servers.VENV, "--processes", "1", "--user", RUN_AS, "--group", RUN_AS,
        "--bind", f"compute=[::1]:{compute}",
        "--bind", f"metadata=127.0.0.1:{metadata}",
        "--server-name", "api.example.org",
        "--script-dir", workdir.path / "scripts", "--log-dir", logs,
        "--apache", workdir.path / "apache")
    vhosts = [(path.rsplit("/", 1)[1], open(path).read())
              for path in written if path.endswith(".conf")]
    assert [name for name, _ in vhosts] == ["nova-compute-api.conf",
                                            "nova-metadata.conf"]
    apache = servers.Apache(workdir, "httpd", vhosts)
    ok, output = apache.check()
    assert ok, output
    apache.start()
    try:
        for api, name in (("osapi_compute", "nova-compute-api"),
                          ("metadata", "nova-metadata")):
            checks.wait_loaded(
                lambda name=name: (logs / f"{name}_error.log").read_text(),
                api)
        checks.versions(f"http://[::1]:{compute}")
        checks.authenticated_404(f"http://[::1]:{compute}")
        checks.metadata_root(f"http://127.0.0.1:{metadata}")
        assert refused_connection(f"http://127.0.0.1:{compute}/")
        assert refused_connection(f"http://[::1]:{metadata}/")
    finally:
        apache.stop()


def test_uwsgi_and_gunicorn_listen_where_bind_says(workdir):
    etc = workdir.config("etc")
    env = servers.clean_env(OS_NOVA_CONFIG_DIR=str(etc))
    compute, metadata = servers.free_port(), servers.free_port()
    build(workdir, "--processes", "1",
          "--bind", f"compute=[::1]:{compute}",
          "--bind", f"metadata=[::1]:{metadata}",
          "--uwsgi", workdir.path / "uwsgi",
          "--gunicorn", workdir.path / "gunicorn")
    uwsgi = servers.Process(
        [servers.VENV_BIN / "uwsgi", "--ini",
         workdir.path / "uwsgi" / render.uwsgi_filename("compute")],
        workdir.path / "uwsgi.log", env=env, cwd=workdir.path)
    gunicorn = servers.Process(
        [servers.VENV_BIN / "gunicorn", "-c",
         workdir.path / "gunicorn" / render.gunicorn_filename("metadata")],
        workdir.path / "gunicorn.log", env=env, cwd=workdir.path)
    try:
        checks.wait_loaded(uwsgi.output, "osapi_compute")
        checks.wait_loaded(gunicorn.output, "metadata")
        checks.versions(f"http://[::1]:{compute}")
        checks.metadata_root(f"http://[::1]:{metadata}")
        assert refused_connection(f"http://127.0.0.1:{compute}/")
    finally:
        uwsgi.stop(signal.SIGINT)
        gunicorn.stop(signal.SIGINT)


@pytest.mark.parametrize("missing, code", [
    ("user", "AH00543: apache2: bad user name nova-kit-no-such-user"),
    ("group", "AH00544: apache2: bad group name nova-kit-no-such-group"),
    ("log_dir", "AH02291: Cannot access directory"),
])
def test_apache_needs_what_the_header_names(workdir, capsys, missing, code):
    logs = workdir.mkdir("logs")
    options = {"user": RUN_AS, "group": RUN_AS, "log_dir": logs}
    options[missing] = {"user": "nova-kit-no-such-user",
                        "group": "nova-kit-no-such-group",
                        "log_dir": logs / "nova"}[missing]
    written = build(
        workdir, "--api", "metadata", "--bind",
        f"127.0.0.1:{servers.free_port()}", "--user", options["user"],
        "--group", options["group"], "--log-dir", options["log_dir"],
        "--script-dir", workdir.path / "scripts",
        "--apache", workdir.path / "apache")
    warning = capsys.readouterr().err
    code_name = code.split(":")[0]
    assert code_name in warning, warning
    (vhost,) = [path for path in written if path.endswith(".conf")]
    text = open(vhost).read()
    assert code_name in text
    ok, output = servers.Apache(workdir, "httpd", [("m.conf", text)]).check()
    assert not ok
    assert code in output, output
