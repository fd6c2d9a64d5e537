"""What loading an API imports, in a fresh interpreter (issue #2's cold
start): nothing that the configuration does not use, and what is left for
later is imported only by the requests that need it.

Each probe loads the API the way a server does (``import
nova.wsgi.<api>``) from a config directory on SQLite with noauth2, lists
which of the watched modules are in ``sys.modules``, then, when asked,
answers requests through the WSGI application in the same process and
lists them again.
"""

import json
import os
import subprocess
import sys

import pytest

from nova import config_files

# Modules that loading an API on SQLite must not import.
NEVER_AT_LOAD = (
    # Other backends' dialects: only the configured engine's is needed.
    "sqlalchemy.dialects.postgresql",
    "sqlalchemy.dialects.mysql",
    # oslo.middleware (its package imports all its middleware, Jinja2 and
    # bcrypt with them): only for [cors] or proxy headers, unset here.
    "oslo_middleware", "jinja2", "bcrypt",
)

_PROBE = r"""
import io, json, sys

WATCHED = json.loads(sys.argv[2])

def real(name):
    # A stand-in of nova.lazy_import is not the module until it is used.
    module = sys.modules.get(name)
    return module is not None and not (
        type(module).__name__ == "Deferred"
        and module.__dict__.get("_nova_deferred_real") is None)

def loaded():
    return sorted(m for m in WATCHED if real(m))

import importlib
app = importlib.import_module("nova.wsgi." + sys.argv[1]).application
report = {"load": loaded(), "answers": []}
for method, path, body, headers in json.loads(sys.argv[3]):
    data = (body.encode() if isinstance(body, str) else
            json.dumps(body).encode() if body is not None else b"")
    env = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "",
           "SCRIPT_NAME": "", "SERVER_NAME": "127.0.0.1",
           "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
           "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1",
           "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(data),
           "wsgi.errors": sys.stderr, "wsgi.version": (1, 0),
           "wsgi.multithread": False, "wsgi.multiprocess": True,
           "wsgi.run_once": False}
    if data:
        env["CONTENT_TYPE"] = "application/json"
        env["CONTENT_LENGTH"] = str(len(data))
    env.update(headers)
    status = []
    body = b"".join(app(env, lambda s, h, e=None: status.append(s)))
    report["answers"].append([status[0], body.decode()])
report["after"] = loaded()
print(json.dumps(report))
"""

ADMIN = {"HTTP_X_AUTH_TOKEN": "admin:admin"}
# Modules the metadata API never imports, at load or serving a guest: the
# ORM (it reads and writes with SQLAlchemy Core, nova.db.tables) and the
# compute API's side of the store.
NO_ORM = ("sqlalchemy.orm", "nova.db.models", "nova.compute.driver")


def probe(config, api, watched, requests=()):
    env = {k: v for k, v in os.environ.items()
           if k not in (config_files.ENV_DIR, config_files.ENV_FILES)}
    env[config_files.ENV_DIR] = str(config.path)
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, api, json.dumps(list(watched)),
         json.dumps([list(r) for r in requests])],
        env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("api", ["osapi_compute", "metadata"])
def test_loading_imports_no_other_backends_dialect(noauth_config, api):
    seen = probe(noauth_config, api, NEVER_AT_LOAD)
    assert seen["load"] == []


def test_a_quota_checked_create_imports_only_its_own_dialect(
        noauth_config, make_image):
    image = make_image()
    # A server create takes the quota lock row with the backend's upsert.
    seen = probe(noauth_config, "osapi_compute",
                 NEVER_AT_LOAD + ("sqlalchemy.dialects.sqlite",), [
                     ("POST", "/v2.1/flavors", {"flavor": {
                         "name": "f1", "id": "1", "ram": 64, "vcpus": 1,
                         "disk": 1}}, ADMIN),
                     ("POST", "/v2.1/servers", {"server": {
                         "name": "s1", "imageRef": image,
                         "flavorRef": "1"}}, ADMIN)])
    assert [status for status, _body in seen["answers"]] == [
        "200 OK", "202 Accepted"], seen["answers"]
    assert seen["after"] == ["sqlalchemy.dialects.sqlite"]


@pytest.mark.parametrize("section", [
    "[cors]\nallowed_origin = https://dashboard.example\n",
    "[oslo_middleware]\nenable_proxy_headers_parsing = true\n"])
def test_oslo_middleware_is_imported_when_configured(noauth_config,
                                                     section):
    # The positive control of the probe above.
    noauth_config.write("nova.conf.d/oslo.conf", section)
    seen = probe(noauth_config, "osapi_compute", ["oslo_middleware"])
    assert seen["load"] == ["oslo_middleware"]


def test_metadata_api_serves_a_guest_without_the_orm(noauth_config,
                                                     make_image):
    compute = noauth_config.testapp("osapi_compute")
    compute.post_json("/v2.1/flavors", {"flavor": {
        "name": "f1", "id": "1", "ram": 64, "vcpus": 1, "disk": 1}},
        headers={"X-Auth-Token": "admin:admin"})
    server = compute.post_json("/v2.1/servers", {"server": {
        "name": "guest", "imageRef": make_image(), "flavorRef": "1"}},
        headers={"X-Auth-Token": "admin:admin"}).json["server"]
    view = compute.get(f"/v2.1/servers/{server['id']}",
                       headers={"X-Auth-Token": "admin:admin"}).json
    ((address,),) = view["server"]["addresses"].values()
    guest = {"REMOTE_ADDR": address["addr"]}
    seen = probe(noauth_config, "metadata", NO_ORM, [
        ("GET", "/openstack/latest/meta_data.json", None, guest),
        ("POST", "/openstack/latest/password", "c2VjcmV0", guest),
        ("GET", "/openstack/latest/password", None, guest),
        ("GET", "/healthcheck", None, {})])
    assert [status for status, _body in seen["answers"]] == [
        "200 OK"] * 4, seen["answers"]
    assert json.loads(seen["answers"][0][1])["uuid"] == server["id"]
    assert seen["answers"][2][1] == "c2VjcmV0"
    assert seen["load"] == seen["after"] == []


def test_the_probe_sees_the_orm_of_the_compute_api(noauth_config):
    # The positive control of the test above.
    seen = probe(noauth_config, "osapi_compute", NO_ORM)
    assert seen["load"] == sorted(NO_ORM)


KEYSTONE = """[api]
auth_strategy = keystone

[keystone_authtoken]
www_authenticate_uri = http://127.0.0.1:1/identity
auth_url = http://127.0.0.1:1/identity
auth_type = password
username = nova
password = secret
project_name = service
user_domain_name = Default
project_domain_name = Default
"""

# oslo_utils.strutils compiles some 400 expressions on import; oslo.policy
# and keystoneclient use it only in debug logs (nova.lazy_import).
STRUTILS = ("oslo_utils.strutils",)


def test_strutils_is_left_unimported_by_loading_and_by_requests(
        noauth_config, make_image):
    image = make_image()
    seen = probe(noauth_config, "osapi_compute", STRUTILS, [
        ("POST", "/v2.1/flavors", {"flavor": {
            "name": "f1", "id": "1", "ram": 64, "vcpus": 1, "disk": 1}},
         ADMIN),
        ("POST", "/v2.1/servers", {"server": {
            "name": "s1", "imageRef": image, "flavorRef": "1"}}, ADMIN),
        ("GET", "/v2.1/servers/detail", None, ADMIN),
        # Policy says no (another project's admin-only API).
        ("GET", "/v2.1/os-hypervisors", None,
         {"HTTP_X_AUTH_TOKEN": "demo:demo"})])
    assert [status for status, _body in seen["answers"]] == [
        "200 OK", "202 Accepted", "200 OK", "403 Forbidden"], seen["answers"]
    assert seen["load"] == seen["after"] == []
    noauth_config.write("nova.conf.d/keystone.conf", KEYSTONE)
    assert probe(noauth_config, "osapi_compute", STRUTILS)["load"] == []


def test_strutils_is_imported_when_policy_logs_a_decision(noauth_config):
    # The positive control of the test above: with debug logs, oslo.policy
    # masks the credentials it logs, through the stand-in.
    noauth_config.write("nova.conf.d/debug.conf", "[DEFAULT]\ndebug = true\n")
    seen = probe(noauth_config, "osapi_compute", STRUTILS,
                 [("GET", "/v2.1/flavors", None, ADMIN)])
    assert [status for status, _body in seen["answers"]] == ["200 OK"]
    assert seen["load"] == [] and seen["after"] == list(STRUTILS)
