"""Config discovery: every combination of OS_NOVA_CONFIG_DIR/FILES.

Compatible with upstream (every list that works there works here), plus:
the paste file in any position, blanks and empty entries ignored,
nova.conf.d read last in name order, sys.argv never parsed.
"""

import os
import sys

import pytest

from nova import config_files

LIMIT_PROBE = "[oslo_middleware]\nmax_request_body_size = {}\n"


def conf_for(config_dir, **env):
    return config_files.build_conf(
        config_files.find_config(dict(config_dir.env, **env)))


# -- upstream-compatible discovery --------------------------------------------

def test_default_directory_and_files():
    sources = config_files.find_config({})
    assert sources.directory == "/etc/nova"
    assert sources.files == ("/etc/nova/api-paste.ini", "/etc/nova/nova.conf")


def test_directory_whitespace_is_stripped(tmp_path):
    sources = config_files.find_config(
        {config_files.ENV_DIR: f"  {tmp_path}\n"})
    assert sources.files == (f"{tmp_path}/api-paste.ini",
                             f"{tmp_path}/nova.conf")


def test_files_without_directory_are_joined_onto_default_dir():
    sources = config_files.find_config(
        {config_files.ENV_FILES: "a.conf;b.conf"})
    assert sources.files == ("/etc/nova/a.conf", "/etc/nova/b.conf")


def test_absolute_entries_stand_as_they_are(tmp_path):
    sources = config_files.find_config(
        {config_files.ENV_DIR: str(tmp_path),
         config_files.ENV_FILES: "/srv/x.conf;y.conf"})
    assert sources.files == ("/srv/x.conf", f"{tmp_path}/y.conf")


def test_empty_entries_and_blanks_are_ignored(tmp_path):
    sources = config_files.find_config(
        {config_files.ENV_DIR: str(tmp_path),
         config_files.ENV_FILES: " ; nova.conf ;; api-paste.ini ; "})
    assert sources.files == (f"{tmp_path}/nova.conf",
                             f"{tmp_path}/api-paste.ini")


def test_default_list_loads_and_serves(noauth_config):
    app = noauth_config.testapp()
    assert app.get("/").json["versions"][1]["status"] == "CURRENT"


@pytest.mark.parametrize("files", [
    "api-paste.ini;nova.conf",        # upstream's default order
    "nova.conf;api-paste.ini",        # paste last: breaks upstream, works here
    "nova.conf;api-paste.ini;extra.conf",
    " nova.conf ; ; api-paste.ini ",
])
def test_paste_file_found_in_any_position(noauth_config, files):
    noauth_config.write("extra.conf", "[api]\nmax_limit = 7\n")
    app = noauth_config.testapp(OS_NOVA_CONFIG_FILES=files)
    resp = app.get("/v2.1/no-such-thing", headers={"X-Auth-Token": "a:b"},
                   status=404)
    assert "itemNotFound" in resp.json


def test_later_files_override_earlier(config_dir):
    config_dir.write("a.conf", LIMIT_PROBE.format(100))
    config_dir.write("b.conf", LIMIT_PROBE.format(200))
    conf = conf_for(config_dir, OS_NOVA_CONFIG_FILES="a.conf;b.conf")
    assert conf.oslo_middleware.max_request_body_size == 200
    conf = conf_for(config_dir, OS_NOVA_CONFIG_FILES="b.conf;a.conf")
    assert conf.oslo_middleware.max_request_body_size == 100


def test_absolute_file_outside_directory(config_dir, tmp_path):
    elsewhere = tmp_path / "elsewhere.conf"
    elsewhere.write_text(LIMIT_PROBE.format(321))
    config_dir.write("nova.conf", LIMIT_PROBE.format(100))
    conf = conf_for(config_dir,
                    OS_NOVA_CONFIG_FILES=f"nova.conf;{elsewhere}")
    assert conf.oslo_middleware.max_request_body_size == 321


def test_conf_d_read_after_listed_files_in_name_order(config_dir):
    config_dir.write("nova.conf", LIMIT_PROBE.format(100))
    config_dir.write("nova.conf.d/20-second.conf", LIMIT_PROBE.format(300))
    config_dir.write("nova.conf.d/10-first.conf",
                     LIMIT_PROBE.format(200) + "[api]\nmax_limit = 5\n")
    config_dir.write("nova.conf.d/99-ignored.conf.rpmsave",
                     LIMIT_PROBE.format(999))
    conf = conf_for(config_dir, OS_NOVA_CONFIG_FILES="nova.conf")
    assert conf.oslo_middleware.max_request_body_size == 300
    assert conf.api.max_limit == 5
    sources = config_files.find_config(dict(config_dir.env,
                                      OS_NOVA_CONFIG_FILES="nova.conf"))
    assert [os.path.basename(p) for p in sources.conf_d] == [
        "10-first.conf", "20-second.conf"]


def test_conf_d_applies_through_http(noauth_config):
    noauth_config.write("nova.conf.d/50-limit.conf", LIMIT_PROBE.format(10))
    app = noauth_config.testapp()
    resp = app.post("/v2.1/anything", b"x" * 11,
                    headers={"X-Auth-Token": "a:b",
                             "Content-Type": "application/json"},
                    status=413)
    assert resp.json["overLimit"]["code"] == 413


def test_paste_file_not_listed_is_taken_from_directory(noauth_config):
    app = noauth_config.testapp(OS_NOVA_CONFIG_FILES="nova.conf")
    assert app.get("/").status_int == 200


def test_paste_file_nowhere_falls_back_to_packaged_copy(noauth_config):
    (noauth_config.path / "api-paste.ini").unlink()
    app = noauth_config.testapp(OS_NOVA_CONFIG_FILES="nova.conf")
    assert app.get("/v2.1").json["version"]["id"] == "v2.1"


def test_api_paste_config_names_a_listed_file(noauth_config):
    (noauth_config.path / "api-paste.ini").rename(
        noauth_config.path / "pipelines.ini")
    noauth_config.write("naming.conf",
                        "[wsgi]\napi_paste_config = pipelines.ini\n")
    app = noauth_config.testapp(
        OS_NOVA_CONFIG_FILES="nova.conf;pipelines.ini;naming.conf")
    assert app.get("/").status_int == 200


def test_api_paste_config_absolute_path(noauth_config, tmp_path):
    moved = tmp_path / "custom" / "paste.ini"
    moved.parent.mkdir()
    (noauth_config.path / "api-paste.ini").rename(moved)
    noauth_config.write("paste.conf", f"[wsgi]\napi_paste_config = {moved}\n")
    app = noauth_config.testapp(OS_NOVA_CONFIG_FILES="nova.conf;paste.conf")
    assert app.get("/").status_int == 200


@pytest.mark.parametrize("api", ["osapi_compute", "metadata"])
def test_sys_argv_is_never_parsed(noauth_config, monkeypatch, api):
    # What gunicorn and uWSGI leave in sys.argv: upstream dies on it.
    monkeypatch.setattr(sys, "argv", ["gunicorn", "-b", "127.0.0.1:8774",
                                      "--workers", "2", "--config-file",
                                      "/nonexistent.conf"])
    app = noauth_config.testapp(api)
    assert app.get("/healthcheck").text == "OK\n"


def test_environment_overrides_option_values(config_dir):
    # oslo.config's own environment source stays available (OS_GROUP__OPT).
    config_dir.write("nova.conf", LIMIT_PROBE.format(100))
    os.environ["OS_OSLO_MIDDLEWARE__MAX_REQUEST_BODY_SIZE"] = "555"
    try:
        conf = conf_for(config_dir, OS_NOVA_CONFIG_FILES="nova.conf")
    finally:
        del os.environ["OS_OSLO_MIDDLEWARE__MAX_REQUEST_BODY_SIZE"]
    assert conf.oslo_middleware.max_request_body_size == 555


def test_env_combination_matrix(config_dir, tmp_path):
    """Each of dir set/unset x files set/unset resolves as upstream."""
    d = str(config_dir.path)
    cases = {
        (False, False): ("/etc/nova/api-paste.ini", "/etc/nova/nova.conf"),
        (True, False): (f"{d}/api-paste.ini", f"{d}/nova.conf"),
        (False, True): ("/etc/nova/x.conf",),
        (True, True): (f"{d}/x.conf",),
    }
    for (with_dir, with_files), expected in cases.items():
        env = {}
        if with_dir:
            env[config_files.ENV_DIR] = d
        if with_files:
            env[config_files.ENV_FILES] = "x.conf"
        assert config_files.find_config(env).files == expected, (with_dir,
                                                           with_files)
