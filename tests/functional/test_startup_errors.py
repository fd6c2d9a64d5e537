"""Start-up errors name the fix, and nothing is latched after one."""

import os
import pathlib
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap

import pytest

from nova import config_files, exception, loading
from tests.helpers import ROOT


def load_error(config_dir, api="osapi_compute", **env):
    with pytest.raises(exception.StartupError) as info:
        config_dir.load(api, **env)
    return str(info.value)


def test_missing_file_names_file_and_variables(noauth_config):
    msg = load_error(noauth_config,
                     OS_NOVA_CONFIG_FILES="api-paste.ini;nope.conf")
    assert f"{noauth_config.path}/nope.conf does not exist" in msg
    assert "OS_NOVA_CONFIG_FILES='api-paste.ini;nope.conf'" in msg
    assert "OS_NOVA_CONFIG_DIR" in msg


def test_missing_default_file_says_it_came_from_the_default(config_dir):
    config_dir.paste()
    msg = load_error(config_dir)
    assert "nova.conf does not exist" in msg
    assert "default OS_NOVA_CONFIG_FILES list" in msg


def test_missing_directory(tmp_path):
    with pytest.raises(exception.StartupError) as info:
        loading.load_app("osapi_compute",
                        {config_files.ENV_DIR: str(tmp_path / "no-such-dir")})
    assert "no-such-dir/api-paste.ini does not exist" in str(info.value)


def test_directory_given_as_file(noauth_config):
    (noauth_config.path / "sub.conf").mkdir()
    msg = load_error(noauth_config, OS_NOVA_CONFIG_FILES="nova.conf;sub.conf")
    assert "sub.conf is a directory" in msg


def test_only_blanks_in_files_list(noauth_config):
    msg = load_error(noauth_config, OS_NOVA_CONFIG_FILES=" ; ;")
    assert "names no file" in msg


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to switch user")
@pytest.mark.parametrize("dir_mode,expected", [
    (0o755, "nova.conf cannot be read by this process"),
    (0o700, "nova.conf cannot be reached by this process"),
])
def test_unreadable_file_names_uid_and_fix(dir_mode, expected):
    """Loaded as 'nobody' in a subprocess: the file is root's, mode 0600."""
    base = pathlib.Path(tempfile.mkdtemp(prefix="nova-perm-"))
    os.chmod(base, 0o755)
    conf_dir = base / "etc"
    conf_dir.mkdir()
    os.chmod(conf_dir, dir_mode)
    (conf_dir / "nova.conf").write_text("[api]\nauth_strategy = noauth2\n")
    os.chmod(conf_dir / "nova.conf", 0o600)
    code = textwrap.dedent(f"""
        import sys
        from nova import config_files, exception, loading
        try:
            loading.load_app("osapi_compute", {{
                "OS_NOVA_CONFIG_DIR": "{conf_dir}",
                "OS_NOVA_CONFIG_FILES": "nova.conf"}})
        except exception.StartupError as exc:
            print(exc)
            sys.exit(3)
    """)
    proc = subprocess.run([sys.executable, "-c", code], user="nobody",
                          capture_output=True, text=True, timeout=60,
                          cwd="/", env={"PATH": os.environ["PATH"],
                                        "PYTHONPATH": str(ROOT)})
    shutil.rmtree(base)
    assert proc.returncode == 3, proc.stderr
    assert f"{conf_dir}/{expected}" in proc.stdout
    assert "uid 65534" in proc.stdout


def test_invalid_integer_names_option_file_and_value(noauth_config):
    bad = noauth_config.write("bad.conf", """
        [oslo_middleware]
        max_request_body_size = lots
        """)
    msg = load_error(noauth_config,
                     OS_NOVA_CONFIG_FILES="api-paste.ini;nova.conf;bad.conf")
    assert "[oslo_middleware] max_request_body_size" in msg
    assert str(bad) in msg
    assert "lots" in msg


def test_invalid_choice_names_the_choices(noauth_config):
    noauth_config.write("nova.conf.d/auth.conf",
                        "[api]\nauth_strategy = kerberos\n")
    msg = load_error(noauth_config)
    assert "[api] auth_strategy" in msg
    assert "kerberos" in msg
    assert "noauth2" in msg and "keystone" in msg


def test_value_below_minimum(noauth_config):
    noauth_config.write("nova.conf.d/limit.conf", "[api]\nmax_limit = 0\n")
    msg = load_error(noauth_config)
    assert "[api] max_limit" in msg


def test_unparseable_file_names_the_file(noauth_config):
    broken = noauth_config.write("broken.conf", "this is not ini\n[api\n")
    msg = load_error(noauth_config,
                     OS_NOVA_CONFIG_FILES="api-paste.ini;nova.conf;broken.conf")
    assert f"{broken} cannot be parsed" in msg


def test_unknown_paste_app_names_paste_file_and_section(noauth_config):
    paste = noauth_config.path / "api-paste.ini"
    paste.write_text(paste.read_text().replace("[composite:osapi_compute]",
                                               "[composite:renamed]"))
    msg = load_error(noauth_config)
    assert str(paste) in msg
    assert "[composite:osapi_compute]" in msg


def test_paste_factory_that_cannot_be_imported(noauth_config):
    paste = noauth_config.path / "api-paste.ini"
    paste.write_text(paste.read_text().replace(
        "nova.api.healthcheck:app_factory", "nova.api.no_such_module:factory"))
    msg = load_error(noauth_config)
    assert str(paste) in msg
    assert "nova.api.no_such_module" in msg


def test_api_paste_config_naming_a_missing_file(noauth_config):
    noauth_config.write("nova.conf.d/p.conf",
                        "[wsgi]\napi_paste_config = gone.ini\n")
    msg = load_error(noauth_config)
    assert "[wsgi] api_paste_config = 'gone.ini' does not exist" in msg


def test_unwritable_log_file_names_option(noauth_config, tmp_path):
    noauth_config.write("nova.conf.d/log.conf",
                        "[DEFAULT]\n"
                        f"log_file = {tmp_path}/no/such/dir/api.log\n")
    msg = load_error(noauth_config)
    assert "[DEFAULT] log_file" in msg


def test_strategy_missing_from_paste_composite(noauth_config):
    paste = noauth_config.path / "api-paste.ini"
    text = "\n".join(line for line in paste.read_text().splitlines()
                     if not line.startswith("noauth2 = "))
    paste.write_text(text)
    msg = load_error(noauth_config)
    assert "auth_strategy = 'noauth2' has no pipeline" in msg


def test_failure_is_not_latched(noauth_config):
    """Same error on every retry; once fixed, the same process loads."""
    extra = noauth_config.write("nova.conf.d/bad.conf",
                                "[api]\nmax_limit = many\n")
    first = load_error(noauth_config)
    second = load_error(noauth_config)
    assert first == second
    extra.unlink()
    app = noauth_config.testapp()
    assert app.get("/healthcheck").status_int == 200


def test_failed_load_does_not_claim_the_process(noauth_config):
    noauth_config.write("nova.conf.d/bad.conf", "[api]\nmax_limit = x\n")
    load_error(noauth_config, "osapi_compute")
    (noauth_config.path / "nova.conf.d" / "bad.conf").unlink()
    # The failed compute load did not make this a compute process.
    assert noauth_config.testapp("metadata").get("/").status_int == 200


def test_one_api_per_process(noauth_config):
    noauth_config.load("osapi_compute")
    noauth_config.load("osapi_compute")  # a reload of the same API is fine
    msg = load_error(noauth_config, "metadata")
    assert "already serves the osapi_compute API" in msg
    assert "separate processes" in msg
    assert "daemon process group" in msg


def test_one_api_per_process_through_entry_modules(noauth_config):
    code = ("import nova.wsgi.metadata\n"
            "try:\n"
            "    import nova.wsgi.osapi_compute\n"
            "except Exception as exc:\n"
            "    print(type(exc).__name__, exc)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, timeout=60,
                          env=dict(os.environ, **noauth_config.env))
    assert ("StartupError This process already serves the metadata API"
            in proc.stdout)


def test_entry_module_error_is_startup_error_in_fresh_interpreter(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", "import nova.wsgi.osapi_compute"],
        capture_output=True, text=True, timeout=60,
        env=dict(os.environ, OS_NOVA_CONFIG_DIR=str(tmp_path / "missing")))
    assert proc.returncode != 0
    assert "nova.exception.StartupError" in proc.stderr
    assert "api-paste.ini does not exist" in proc.stderr


def test_unknown_api_name(noauth_config):
    with pytest.raises(exception.StartupError, match="Unknown API 'ec2'"):
        noauth_config.load("ec2")


def test_file_mode_helper_is_not_world_readable_requirement(noauth_config):
    # Files 0640 are fine for the owner (the packaged layout).
    os.chmod(noauth_config.path / "nova.conf", 0o640)
    assert stat.S_IMODE(
        os.stat(noauth_config.path / "nova.conf").st_mode) == 0o640
    assert noauth_config.testapp().get("/").status_int == 200
