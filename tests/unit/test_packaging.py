"""The deployment kit's renderers, command and build hook.

- Golden files (``tests/unit/golden/``): one rendering per option of every
  render function; a test checks that each keyword argument is exercised.
  Regenerate after an intended template change with
  ``NOVA_UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_packaging.py``
  and read the diff.
- The copies checked into the repository (``deployment/``: ``mod_wsgi/``,
  ``apache/``, ``uwsgi/``, ``gunicorn/``) must equal what the templates
  render now (``nova-wsgi-build --shipped .`` refreshes them).
- ``nova-wsgi-build`` writes what the renderers return; the wheel carries
  the scripts (``setup.py``'s build step); ``render.py`` runs on a bare
  interpreter, as it must at build time.
"""

import ast
import configparser
import inspect
import io
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tarfile
import zipfile

import pytest

from nova.cmd import wsgi_build
from nova.packaging import render, shipped
from tests.helpers import ROOT

GOLDEN = pathlib.Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("NOVA_UPDATE_GOLDEN") == "1"

# name -> (function, positional args, keyword args). Each non-default
# keyword appears in at least one case (test_every_option_has_a_case).
CASES = {
    # .wsgi scripts
    "wsgi-compute.wsgi": (render.render_wsgi_script, ("compute",), {}),
    "wsgi-metadata.wsgi": (render.render_wsgi_script, ("metadata",), {}),
    "wsgi-compute-python-home.wsgi": (
        render.render_wsgi_script, ("compute",),
        {"python_home": "/opt/nova"}),
    "wsgi-compute-config-dir.wsgi": (
        render.render_wsgi_script, ("compute",),
        {"config_dir": "/etc/nova-api"}),
    "wsgi-compute-config-files.wsgi": (
        render.render_wsgi_script, ("compute",),
        {"config_files": "api-paste.ini;nova.conf;compute.conf"}),
    "wsgi-metadata-all-options.wsgi": (
        render.render_wsgi_script, ("metadata",),
        {"python_home": "/opt/nova", "config_dir": "/etc/nova",
         "config_files": ["api-paste.ini", "nova.conf", "metadata.conf"]}),
    # Apache: the layouts and variants
    "vhost-compute-rhel.conf": (render.render_vhost, ("compute",), {}),
    "vhost-metadata-rhel.conf": (
        render.render_vhost, ("metadata", "rhel"), {}),
    "vhost-compute-debian.conf": (
        render.render_vhost, ("compute", "debian"), {}),
    "vhost-metadata-debian-tls.conf": (
        render.render_vhost, ("metadata", "debian"), {"tls": True}),
    "vhost-compute-rhel-tls.conf": (
        render.render_vhost, ("compute", "rhel"), {"tls": True}),
    "vhost-compute-rhel-prefix.conf": (
        render.render_vhost, ("compute", "rhel"),
        {"path_prefix": "/compute"}),
    "vhost-compute-debian-prefix.conf": (
        render.render_vhost, ("compute", "debian"),
        {"path_prefix": "compute/"}),
    "vhost-metadata-rhel-prefix.conf": (
        render.render_vhost, ("metadata", "rhel"),
        {"path_prefix": "/nova-metadata"}),
    # Apache: one option at a time
    "vhost-compute-port.conf": (
        render.render_vhost, ("compute",), {"port": 18774}),
    "vhost-compute-listen-address.conf": (
        render.render_vhost, ("compute",), {"listen_address": "127.0.0.1"}),
    "vhost-compute-ipv6.conf": (
        render.render_vhost, ("compute",),
        {"listen_address": "::1", "port": 18774}),
    "vhost-compute-tls-listen-address.conf": (
        render.render_vhost, ("compute",),
        {"tls": True, "listen_address": "192.0.2.10", "port": 443}),
    "vhost-compute-server-name.conf": (
        render.render_vhost, ("compute",),
        {"server_name": "compute.example.org"}),
    "vhost-compute-processes-threads.conf": (
        render.render_vhost, ("compute",), {"processes": 12, "threads": 2}),
    "vhost-compute-user-group.conf": (
        render.render_vhost, ("compute",),
        {"user": "nova-api", "group": "nova-api"}),
    "vhost-compute-script-dir.conf": (
        render.render_vhost, ("compute",),
        {"script_dir": "/srv/nova/wsgi/"}),
    "vhost-compute-log-dir.conf": (
        render.render_vhost, ("compute",), {"log_dir": "/var/log/nova"}),
    "vhost-compute-python-home.conf": (
        render.render_vhost, ("compute",), {"python_home": "/opt/nova"}),
    "vhost-compute-prefix-python-home.conf": (
        render.render_vhost, ("compute", "debian"),
        {"path_prefix": "/compute", "python_home": "/opt/nova",
         "processes": 2}),
    "vhost-compute-max-request-body-size.conf": (
        render.render_vhost, ("compute",),
        {"max_request_body_size": 1048576}),
    "vhost-compute-timeouts.conf": (
        render.render_vhost, ("compute",),
        {"request_timeout": 120, "queue_timeout": 30,
         "graceful_timeout": 5}),
    "vhost-compute-tls-certificate.conf": (
        render.render_vhost, ("compute", "rhel"),
        {"tls": True, "ssl_certificate": "/etc/pki/tls/certs/api.pem",
         "ssl_certificate_key": "/etc/pki/tls/private/api.key"}),
    # uWSGI
    "uwsgi-compute.ini": (render.render_uwsgi, ("compute",), {}),
    "uwsgi-metadata.ini": (render.render_uwsgi, ("metadata",), {}),
    "uwsgi-compute-bind.ini": (
        render.render_uwsgi, ("compute",), {"bind": "127.0.0.1:18774"}),
    "uwsgi-compute-processes.ini": (
        render.render_uwsgi, ("compute",), {"processes": 8}),
    "uwsgi-compute-python-home.ini": (
        render.render_uwsgi, ("compute",), {"python_home": "/opt/nova"}),
    "uwsgi-compute-config.ini": (
        render.render_uwsgi, ("compute",),
        {"config_dir": "/etc/nova",
         "config_files": "api-paste.ini;nova.conf"}),
    "uwsgi-metadata-config-files.ini": (
        render.render_uwsgi, ("metadata",),
        {"config_files": ["api-paste.ini", "nova.conf", "metadata.conf"]}),
    "uwsgi-compute-timeouts.ini": (
        render.render_uwsgi, ("compute",),
        {"request_timeout": 120, "graceful_timeout": 30}),
    # gunicorn
    "gunicorn-compute.conf.py": (render.render_gunicorn, ("compute",), {}),
    "gunicorn-metadata.conf.py": (render.render_gunicorn, ("metadata",), {}),
    "gunicorn-compute-bind.conf.py": (
        render.render_gunicorn, ("compute",), {"bind": "127.0.0.1:18774"}),
    "gunicorn-compute-processes.conf.py": (
        render.render_gunicorn, ("compute",), {"processes": 8}),
    "gunicorn-compute-config.conf.py": (
        render.render_gunicorn, ("compute",),
        {"config_dir": "/etc/nova",
         "config_files": "api-paste.ini;nova.conf"}),
    "gunicorn-metadata-config-dir.conf.py": (
        render.render_gunicorn, ("metadata",), {"config_dir": "/etc/nova"}),
    "gunicorn-compute-timeouts.conf.py": (
        render.render_gunicorn, ("compute",),
        {"request_timeout": 120, "graceful_timeout": 30}),
}

RENDERERS = (render.render_wsgi_script, render.render_vhost,
             render.render_uwsgi, render.render_gunicorn)


def _rendered(name):
    func, args, kwargs = CASES[name]
    return func(*args, **kwargs)


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name):
    path = GOLDEN / name
    text = _rendered(name)
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), (
        f"no golden file {path}; create it with NOVA_UPDATE_GOLDEN=1")
    assert text == path.read_text(), (
        f"{name} renders differently from {path}; if the change is "
        f"intended, run NOVA_UPDATE_GOLDEN=1 .venv/bin/pytest {__file__}")


def test_no_orphan_golden_files():
    assert sorted(p.name for p in GOLDEN.iterdir()) == sorted(CASES)


@pytest.mark.parametrize("func", RENDERERS, ids=lambda f: f.__name__)
def test_every_option_has_a_case(func):
    params = [p for p in inspect.signature(func).parameters.values()
              if p.name != "api"]
    used = set()
    for case_func, args, kwargs in CASES.values():
        if case_func is func:
            bound = inspect.signature(func).bind("x", *args[1:], **kwargs)
            used.update(name for name in bound.arguments if name != "api")
    missing = [p.name for p in params if p.name not in used]
    assert not missing, f"{func.__name__}: no golden case for {missing}"


def test_shipped_files_are_fresh():
    stale = shipped.stale(ROOT)
    assert not stale, (
        f"stale rendered files {stale}: run .venv/bin/nova-wsgi-build "
        f"--shipped . and commit the result")


def test_shipped_files_are_the_default_renderings():
    assert shipped.SHIPPED["deployment/mod_wsgi/nova-compute-api.wsgi"]() == \
        _rendered("wsgi-compute.wsgi")
    assert shipped.SHIPPED[
        "deployment/apache/rhel/nova-compute-api.conf"]() == \
        _rendered("vhost-compute-rhel.conf")
    assert shipped.SHIPPED[
        "deployment/apache/debian/nova-metadata-tls.conf"]() == \
        _rendered("vhost-metadata-debian-tls.conf")
    assert shipped.SHIPPED[
        "deployment/apache/rhel/nova-compute-api-prefix.conf"]() == \
        _rendered("vhost-compute-rhel-prefix.conf")
    assert shipped.SHIPPED["deployment/uwsgi/nova-compute-api.ini"]() == \
        _rendered("uwsgi-compute.ini")
    assert shipped.SHIPPED["deployment/gunicorn/nova-metadata.conf.py"]() == \
        _rendered("gunicorn-metadata.conf.py")
    names = {tuple(relpath.split("/")[:2]) for relpath in shipped.SHIPPED}
    assert names == {("deployment", "mod_wsgi"), ("deployment", "apache"),
                     ("deployment", "uwsgi"), ("deployment", "gunicorn")}


# -- what the renderings say -------------------------------------------------

def test_default_script_only_imports_the_application():
    for api, module in (("compute", "nova.wsgi.osapi_compute"),
                        ("metadata", "nova.wsgi.metadata")):
        tree = ast.parse(render.render_wsgi_script(api))
        assert [ast.dump(node) for node in tree.body] == [ast.dump(
            ast.parse(f"from {module} import application").body[0])]


def test_script_config_defaults_use_setdefault():
    text = render.render_wsgi_script(
        "compute", config_dir="/etc/nova", config_files="a.ini; b.conf ;")
    assert 'os.environ.setdefault("OS_NOVA_CONFIG_DIR", "/etc/nova")' in text
    assert 'os.environ.setdefault("OS_NOVA_CONFIG_FILES", "a.ini;b.conf")' \
        in text
    assert "os.environ[" not in text
    assert text == render.render_wsgi_script(
        "compute", config_dir="/etc/nova/", config_files=["a.ini", "b.conf"])


@pytest.fixture
def saved_environ():
    """Rendered code sets os.environ; put it back afterwards."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def test_script_environment_wins_over_baked_defaults(saved_environ):
    """Run the top of a rendered script: setdefault keeps what is set."""
    text = render.render_wsgi_script("compute", config_dir="/etc/baked",
                                     config_files="baked.conf")
    head = text.rsplit("\nfrom ", 1)[0]
    os.environ["OS_NOVA_CONFIG_DIR"] = "/from/env"
    os.environ.pop("OS_NOVA_CONFIG_FILES", None)
    exec(compile(head, "script", "exec"), {})  # noqa: S102
    assert os.environ["OS_NOVA_CONFIG_DIR"] == "/from/env"
    assert os.environ["OS_NOVA_CONFIG_FILES"] == "baked.conf"


def test_script_python_home_activation(tmp_path):
    """Under another interpreter the virtualenv's packages come first; under
    the virtualenv itself nothing changes; a mismatched one is named."""
    venv = tmp_path / "venv"
    version = "python%d.%d" % sys.version_info[:2]
    site_dir = venv / "lib" / version / "site-packages"
    (site_dir / "marker_pkg").mkdir(parents=True)
    (site_dir / "marker_pkg" / "__init__.py").write_text("WHERE = 'venv'\n")
    (site_dir / "extra.pth").write_text(str(tmp_path / "from-pth") + "\n")
    (tmp_path / "from-pth").mkdir()
    head = render.render_wsgi_script(
        "compute", python_home=str(venv)).rsplit("\nfrom ", 1)[0]
    script = tmp_path / "head.py"
    script.write_text(head + "\nimport marker_pkg, json\n"
                      "print(json.dumps([marker_pkg.WHERE, sys.path]))\n")
    out = subprocess.run([sys.executable, "-S", str(script)],
                         capture_output=True, text=True, timeout=60,
                         check=True).stdout
    where, path = json.loads(out)
    assert where == "venv"
    assert path[:2] == [str(site_dir), str(tmp_path / "from-pth")]

    wrong = render.render_wsgi_script(
        "compute", python_home=str(tmp_path / "other")).rsplit("\nfrom ", 1)[0]
    script.write_text(wrong)
    proc = subprocess.run([sys.executable, "-S", str(script)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "was not made from this Python" in proc.stderr
    assert str(tmp_path / "other") in proc.stderr

    # Running from the virtualenv (mod_wsgi python-home=): untouched.
    same = render.render_wsgi_script(
        "compute", python_home=sys.prefix).rsplit("\nfrom ", 1)[0]
    script.write_text(same + "\nprint(len(sys.path))\n")
    before = subprocess.run([sys.executable, "-c",
                             "import sys; print(len(sys.path))"],
                            capture_output=True, text=True, timeout=60,
                            check=True).stdout
    after = subprocess.run([sys.executable, str(script)],
                           capture_output=True, text=True, timeout=60,
                           check=True).stdout
    assert int(after) == int(before)


@pytest.mark.parametrize("layout", sorted(render.LAYOUTS))
@pytest.mark.parametrize("api", sorted(render.APIS))
def test_vhost_has_what_the_issue_asks(api, layout):
    info = render.APIS[api]
    text = render.render_vhost(api, layout)
    assert f"Listen {info.port}\n" in text
    assert f"<VirtualHost *:{info.port}>" in text
    assert (f"WSGIDaemonProcess {info.name} processes={info.processes} "
            f"threads=1 \\") in text
    assert "user=nova group=nova display-name=%{GROUP}" in text
    assert "lang=C.UTF-8 locale=C.UTF-8" in text
    assert ("request-timeout=60 queue-timeout=45 graceful-timeout=15"
            in text)
    assert "WSGIApplicationGroup %{GLOBAL}" in text
    assert (f"process-group={info.name} application-group=%{{GLOBAL}}"
            in text)
    assert "WSGIPassAuthorization On" in text
    assert "LimitRequestBody 114688" in text
    assert "%D" in text and "%{X-Forwarded-For}i" in text
    script_dir = render.LAYOUTS[layout].script_dir
    assert f'WSGIScriptAlias / "{script_dir}/{info.name}.wsgi"' in text


def test_vhost_tls_and_prefix():
    tls = render.render_vhost("metadata", "rhel", tls=True)
    assert "Listen 8775 https" in tls and "SSLEngine on" in tls
    assert 'SSLCertificateFile "/etc/pki/tls/certs/nova.crt"' in tls
    prefix = render.render_vhost("compute", "debian", path_prefix="/compute")
    assert "Listen" not in prefix and "<VirtualHost" not in prefix
    assert ('WSGIScriptAlias /compute "/usr/lib/cgi-bin/nova/'
            'nova-compute-api.wsgi"') in prefix
    assert '<Location "/compute">' in prefix


def test_gunicorn_config_loads(saved_environ):
    from gunicorn.config import Config

    for name in ("gunicorn-compute.conf.py",
                 "gunicorn-compute-config.conf.py"):
        namespace = {}
        exec(compile(_rendered(name), name, "exec"), namespace)  # noqa: S102
        cfg = Config()
        for key, value in namespace.items():
            if key in cfg.settings:
                cfg.set(key, value)
        assert cfg.wsgi_app == "nova.wsgi.osapi_compute:application"
        assert cfg.workers == 4 and cfg.threads == 1
        assert cfg.bind == ["0.0.0.0:8774"]
        assert cfg.limit_request_field_size == 65535
        assert cfg.graceful_timeout == 15 and cfg.timeout == 60
        assert cfg.control_socket_disable is True
        assert not cfg.preload_app


def test_uwsgi_ini_parses():
    text = _rendered("uwsgi-compute-config.ini")
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read_string(text)  # duplicate keys: the last one wins here
    section = parser["uwsgi"]
    assert section["module"] == "nova.wsgi.osapi_compute:application"
    assert section["buffer-size"] == "65535"
    assert section["die-on-term"] == "true"
    assert "env = OS_NOVA_CONFIG_DIR=/etc/nova" in text
    assert "if-not-env = OS_NOVA_CONFIG_FILES" in text


# -- refused options ----------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda: render.render_wsgi_script("nova"), "unknown API"),
    (lambda: render.render_wsgi_script("compute", python_home="venv"),
     "not an absolute path"),
    (lambda: render.render_wsgi_script("compute", config_dir="etc"),
     "not an absolute path"),
    (lambda: render.render_wsgi_script("compute", config_files=" ; "),
     "names no file"),
    (lambda: render.render_wsgi_script("compute", config_files=['a"b']),
     "bad file name"),
    (lambda: render.render_vhost("compute", "suse"), "unknown layout"),
    (lambda: render.render_vhost("compute", tls=True, path_prefix="/c"),
     "does not combine with path_prefix"),
    (lambda: render.render_vhost("compute", port=80, path_prefix="/c"),
     "does not combine with path_prefix"),
    (lambda: render.render_vhost("compute", path_prefix="/"),
     "must be a path"),
    (lambda: render.render_vhost("compute", port=0), "not a TCP port"),
    (lambda: render.render_vhost("compute", processes=0),
     "not a positive integer"),
    (lambda: render.render_vhost("compute", threads=True),
     "not a positive integer"),
    (lambda: render.render_vhost("compute", user="no va"), "one word"),
    (lambda: render.render_vhost("compute", script_dir="/a b"),
     "not an absolute path"),
    (lambda: render.render_vhost("compute", max_request_body_size=-1),
     "integer >= 0"),
    (lambda: render.render_uwsgi("compute", config_dir="/etc/%n"),
     "uWSGI would expand"),
    (lambda: render.render_gunicorn("compute", bind="a b"), "one word"),
])
def test_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# -- the command --------------------------------------------------------------

def test_command_writes_scripts(tmp_path):
    out = io.StringIO()
    assert wsgi_build.main(["--config-dir", "/etc/nova", str(tmp_path)],
                           out=out) == 0
    for api in render.APIS:
        path = tmp_path / render.script_filename(api)
        assert path.read_text() == render.render_wsgi_script(
            api, config_dir="/etc/nova")
        assert oct(path.stat().st_mode & 0o777) == "0o644"
        assert str(path) in out.getvalue()


def test_command_writes_everything_for_a_package(tmp_path):
    buildroot = tmp_path / "buildroot"
    args = ["--layout", "debian", "--tls", "--path-prefix", "/compute",
            "--python-home", "/opt/nova", "--config-dir", "/etc/nova",
            "--config-files", "api-paste.ini;nova.conf",
            "--script-dir", "/usr/lib/cgi-bin/nova", "--processes", "3",
            "--apache", str(buildroot / "etc/apache2/conf-available"),
            "--uwsgi", str(buildroot / "etc/nova/uwsgi"),
            "--gunicorn", str(buildroot / "etc/nova/gunicorn"),
            str(buildroot / "usr/lib/cgi-bin/nova")]
    assert wsgi_build.main(args, out=io.StringIO()) == 0
    apache = buildroot / "etc/apache2/conf-available"
    assert sorted(p.name for p in apache.iterdir()) == [
        "nova-compute-api-prefix.conf", "nova-metadata-tls.conf"]
    assert (apache / "nova-compute-api-prefix.conf").read_text() == \
        render.render_vhost("compute", "debian", path_prefix="/compute",
                            processes=3, python_home="/opt/nova",
                            script_dir="/usr/lib/cgi-bin/nova")
    assert (apache / "nova-metadata-tls.conf").read_text() == \
        render.render_vhost("metadata", "debian", tls=True, processes=3,
                            python_home="/opt/nova")
    assert (buildroot / "etc/nova/uwsgi/nova-metadata.ini").read_text() == \
        render.render_uwsgi("metadata", processes=3, python_home="/opt/nova",
                            config_dir="/etc/nova",
                            config_files="api-paste.ini;nova.conf")
    assert (buildroot / "etc/nova/gunicorn/nova-compute-api.conf.py"
            ).read_text() == render.render_gunicorn(
        "compute", processes=3, config_dir="/etc/nova",
        config_files="api-paste.ini;nova.conf")
    scripts = buildroot / "usr/lib/cgi-bin/nova"
    assert (scripts / "nova-compute-api.wsgi").read_text() == \
        render.render_wsgi_script("compute", python_home="/opt/nova",
                                  config_dir="/etc/nova",
                                  config_files="api-paste.ini;nova.conf")


def test_command_one_api_and_bind(tmp_path):
    assert wsgi_build.main(["--api", "metadata", "--bind", "127.0.0.1:9775",
                            "--gunicorn", str(tmp_path), str(tmp_path)],
                           out=io.StringIO()) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "nova-metadata.conf.py", "nova-metadata.wsgi"]
    assert 'bind = ["127.0.0.1:9775"]' in (
        tmp_path / "nova-metadata.conf.py").read_text()


@pytest.mark.parametrize("argv, message", [
    (["--bind", "127.0.0.1:1", "--uwsgi", "x"], "exactly one --api"),
    (["--check"], "--check goes with --shipped"),
    (["--config-dir", "relative"], "not an absolute path"),
])
def test_command_refuses(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        wsgi_build.main(argv + [str(tmp_path)])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_command_shipped_and_check(tmp_path):
    out = io.StringIO()
    assert wsgi_build.main(["--shipped", str(tmp_path), "--check"],
                           out=out) == 1
    assert "stale: deployment/mod_wsgi/nova-compute-api.wsgi" in out.getvalue()
    assert wsgi_build.main(["--shipped", str(tmp_path)],
                           out=io.StringIO()) == 0
    assert wsgi_build.main(["--shipped", str(tmp_path), "--check"],
                           out=io.StringIO()) == 0
    for relpath in shipped.SHIPPED:
        assert (tmp_path / relpath).read_text() == (ROOT / relpath).read_text()
    (tmp_path / "deployment/apache/rhel/nova-metadata.conf").write_text(
        "edited\n")
    out = io.StringIO()
    assert wsgi_build.main(["--shipped", str(tmp_path), "--check"],
                           out=out) == 1
    assert out.getvalue().startswith(
        "stale: deployment/apache/rhel/nova-metadata.conf")


def test_console_script_is_declared():
    text = (ROOT / "pyproject.toml").read_text()
    assert 'nova-wsgi-build = "nova.cmd.wsgi_build:main"' in text
    assert "packaging/templates/*" in text
    exe = pathlib.Path(sys.executable).parent / "nova-wsgi-build"
    proc = subprocess.run([str(exe), "--help"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0 and "--python-home" in proc.stdout


# -- build time ---------------------------------------------------------------

def test_render_runs_on_a_bare_interpreter(tmp_path):
    """setup.py imports nova.packaging.render from the tree before any
    dependency exists: it needs the standard library and nothing of nova
    but the kit's own modules."""
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from nova.packaging import render\n"
        "ours = sorted(m for m in sys.modules if m.split('.')[0] == 'nova')\n"
        "assert ours == ['nova', 'nova.packaging', 'nova.packaging.layouts',"
        " 'nova.packaging.render'], ours\n"
        "assert 'oslo_config' not in sys.modules\n"
        "print(render.render_wsgi_script('metadata', config_dir='/etc/nova'),"
        " end='')\n")
    proc = subprocess.run(["/usr/bin/python3", "-I", "-S", "-c", code],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == render.render_wsgi_script("metadata",
                                                    config_dir="/etc/nova")


def test_command_runs_without_the_runtime_dependencies(tmp_path):
    """What an RPM's %install does: run the command from the build root
    before any dependency is installed (no site-packages at all here)."""
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        ["/usr/bin/python3", "-S", "-m", "nova.cmd.wsgi_build",
         "--layout", "debian", "--apache", str(tmp_path / "apache"),
         str(tmp_path / "scripts")],
        capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "scripts" / "nova-metadata.wsgi").read_text() == \
        render.render_wsgi_script("metadata")
    assert (tmp_path / "apache" / "nova-compute-api.conf").read_text() == \
        render.render_vhost("compute", "debian")


def _copy_source(dest):
    for name in ("pyproject.toml", "setup.py", "README.md", "MANIFEST.in"):
        shutil.copy(ROOT / name, dest / name)
    (dest / "tools").mkdir()
    shutil.copy(ROOT / "tools" / "build-kit.py", dest / "tools")
    shutil.copytree(ROOT / "nova", dest / "nova",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


@pytest.mark.slow
def test_wheel_carries_the_scripts(tmp_path, unavailable):
    """``pip wheel`` runs setup.py's build step: the scripts are data files,
    rendered with the options of the build's environment."""
    src = tmp_path / "src"
    src.mkdir()
    _copy_source(src)
    env = dict(os.environ, NOVA_WSGI_CONFIG_DIR="/etc/nova-wheel",
               NOVA_WSGI_PYTHON_HOME="/opt/nova")
    env.pop("NOVA_WSGI_CONFIG_FILES", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
         "-w", str(tmp_path / "dist"), str(src)],
        capture_output=True, text=True, timeout=240, env=env)
    if proc.returncode != 0 and "No matching distribution" in proc.stderr:
        unavailable(f"the build requirements ({proc.stderr[-300:]})")
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("nova_wsgi-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        for api in render.APIS:
            member = (f"nova_wsgi-0.1.0.data/data/share/nova-wsgi/"
                      f"wsgi-scripts/{render.script_filename(api)}")
            assert member in names
            assert zf.read(member).decode() == render.render_wsgi_script(
                api, python_home="/opt/nova", config_dir="/etc/nova-wheel")
        assert "nova/packaging/templates/vhost.conf.tmpl" in names
        assert "nova/cmd/wsgi_build.py" in names
        # Not the kit: who installs the wheel has nova-wsgi-build.
        assert not [n for n in names if "build-kit" in n or ".pyz" in n]


@pytest.mark.slow
def test_sdist_carries_what_the_build_step_needs(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    _copy_source(src)
    code = ("from setuptools import build_meta; "
            f"print(build_meta.build_sdist({str(tmp_path / 'dist')!r}))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=src,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    name = proc.stdout.strip().splitlines()[-1]
    with tarfile.open(tmp_path / "dist" / name) as tf:
        members = {m.name.split("/", 1)[1] for m in tf.getmembers()
                   if "/" in m.name}
    assert "setup.py" in members
    for template in (ROOT / "nova/packaging/templates").iterdir():
        assert f"nova/packaging/templates/{template.name}" in members
    # The single-file kit is built from an unpacked sdist too.
    assert "tools/build-kit.py" in members
