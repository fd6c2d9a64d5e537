"""Every ``[api] auth_strategy``, through HTTP and the whole paste pipeline.

Each test writes its own config directory (the packaged api-paste.ini and a
nova.conf on a synced SQLite file) and loads ``osapi_compute`` with
``nova.loading.load_app``, so the pipeline under test is the one deployers
get. The identity that reaches the router is observed through a test-only
``GET /v2.1/whoami`` route added to the route table before the app is built.

- keystone: the real keystonemiddleware auth_token against a fake Keystone
  (tests/fake_keystone.py, on pytest-httpserver) that answers what
  auth_token asks for: version discovery, the service user's password
  login (POST /v3/auth/tokens) and the validation of the caller's token
  (GET /v3/auth/tokens).
- http_basic: a bcrypt htpasswd file written with the ``bcrypt`` package.
- noauth2: ``X-Auth-Token: user:project``.
"""

import base64
import json
import logging
import os
import subprocess
import sys

import bcrypt
import pytest

from nova import config_files, exception
from nova.api.compute import routes as compute_routes
from nova.api.compute.router import Route
from tests.fake_keystone import FakeKeystone
from tests.helpers import sync_db

# Headers only the authentication layer may set; a client sending them must
# gain nothing (OSSA-2026-001).
SPOOFED = {
    "X-Identity-Status": "Confirmed",
    "X-Roles": "admin",
    "X-Role": "admin",
    "X-User-Id": "spoofed-user",
    "X-User": "spoofed-user",
    "X-User-Name": "spoofed-user",
    "X-Project-Id": "spoofed-project",
    "X-Tenant-Id": "spoofed-project",
    "X-Project-Name": "spoofed-project",
    "X-Is-Admin-Project": "True",
    "OpenStack-System-Scope": "all",
}


# -- shared fixtures -------------------------------------------------------

def _whoami(req):
    ctx = req.context
    return {"user_id": ctx.user_id, "project_id": ctx.project_id,
            "roles": sorted(ctx.roles), "is_admin": ctx.is_admin,
            "user_name": ctx.user_name, "project_name": ctx.project_name,
            "system_scope": ctx.system_scope}


@pytest.fixture(autouse=True)
def whoami_route(monkeypatch):
    """``GET /v2.1/whoami`` answers the request context.

    Set before the app is loaded, so the router is built with it.
    """
    route = Route("/whoami", "GET", _whoami, policy=None)
    monkeypatch.setattr(compute_routes, "ROUTES",
                        (*compute_routes.ROUTES, route))


@pytest.fixture
def make_config(config_dir, tmp_path):
    """Write api-paste.ini and nova.conf for a strategy; returns the dir."""
    url = f"sqlite:///{tmp_path}/nova.sqlite"
    sync_db(url)

    def make(strategy, extra=""):
        """``strategy`` None leaves auth_strategy at its default."""
        config_dir.paste()
        text = "[api]\n"
        if strategy:
            text += f"auth_strategy = {strategy}\n"
        if extra:
            text += extra.strip("\n") + "\n"
        text += f"[database]\nconnection = {url}\n"
        config_dir.write("nova.conf", text)
        return config_dir

    return make


def assert_reached_router(resp):
    """Our router's 404: authentication let the request through."""
    assert resp.status_int == 404
    assert resp.json == {"itemNotFound": {
        "code": 404, "message": "The resource could not be found."}}


# -- keystone --------------------------------------------------------------

@pytest.fixture
def keystone(httpserver):
    fake = FakeKeystone(httpserver)
    yield fake
    httpserver.check_assertions()  # nothing asked that Keystone lacks


@pytest.fixture
def keystone_api(make_config, keystone):
    return make_config("keystone", keystone.authtoken_conf()).testapp()


def test_keystone_is_the_default_strategy(make_config, keystone):
    app = make_config(None, keystone.authtoken_conf()).testapp()
    resp = app.get("/v2.1/whoami", status=401)
    assert resp.headers["WWW-Authenticate"] == (
        f'Keystone uri="{keystone.base}"')
    token = keystone.issue("u-1", "p-1", ["member"])
    resp = app.get("/v2.1/whoami", headers={"X-Auth-Token": token})
    assert resp.json["user_id"] == "u-1"


def test_keystone_no_token_is_401_from_auth_token(keystone_api, keystone):
    resp = keystone_api.get("/v2.1/flavors", status=401)
    assert resp.json == {"error": {
        "code": 401, "title": "Unauthorized",
        "message": "The request you have made requires authentication."}}
    assert resp.content_type == "application/json"
    assert resp.headers["WWW-Authenticate"] == (
        f'Keystone uri="{keystone.base}"')
    # Upstream's answer carries the request id too (no_token_flavors.txt).
    assert resp.headers["x-compute-request-id"].startswith("req-")
    assert resp.headers["x-openstack-request-id"] == (
        resp.headers["x-compute-request-id"])
    assert keystone.validations == []


def test_keystone_invalid_token_is_401(keystone_api, keystone):
    resp = keystone_api.get("/v2.1/whoami",
                            headers={"X-Auth-Token": "not-a-token"},
                            status=401)
    assert resp.json["error"]["code"] == 401
    assert resp.headers["WWW-Authenticate"] == (
        f'Keystone uri="{keystone.base}"')
    # auth_token asked Keystone, as the service user, about that token.
    assert keystone.validations == [(keystone.service_token, "not-a-token")]
    [login] = keystone.logins
    user = login["auth"]["identity"]["password"]["user"]
    assert user["name"] == FakeKeystone.SERVICE_USER
    assert user["domain"] == {"name": "Default"}


def test_keystone_valid_token_reaches_the_router(keystone_api, keystone):
    token = keystone.issue("u-1", "p-1", ["member", "reader"],
                           user_name="alice", project_name="demo")
    assert_reached_router(keystone_api.get(
        "/v2.1/nonexistent", headers={"X-Auth-Token": token}, status=404))
    resp = keystone_api.get("/v2.1/whoami", headers={"X-Auth-Token": token})
    assert resp.json == {
        "user_id": "u-1", "project_id": "p-1", "roles": ["member", "reader"],
        "is_admin": False, "user_name": "alice", "project_name": "demo",
        "system_scope": None}


def test_keystone_legacy_v2_path_is_authenticated_the_same_way(
        keystone_api, keystone):
    keystone_api.get("/v2/whoami", status=401)
    token = keystone.issue("u-1", "p-1", ["member"])
    for path in ("/v2/whoami", "/v2.1/whoami"):
        resp = keystone_api.get(path, headers={"X-Auth-Token": token})
        assert resp.json["user_id"] == "u-1"
    # One auth_token serves both paths: the token was checked once, by one
    # service user login.
    assert len(keystone.validations) == 1
    assert len(keystone.logins) == 1


def test_keystone_admin_role_comes_from_keystone(keystone_api, keystone):
    token = keystone.issue("u-admin", "p-admin", ["admin", "member",
                                                  "reader"])
    resp = keystone_api.get("/v2.1/whoami", headers={"X-Auth-Token": token})
    assert resp.json["is_admin"] is True
    assert resp.json["roles"] == ["admin", "member", "reader"]


@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_keystone_client_identity_headers_without_valid_token_are_401(
        keystone_api, keystone, token):
    headers = dict(SPOOFED)
    if token:
        headers["X-Auth-Token"] = token
    resp = keystone_api.get("/v2.1/whoami", headers=headers, status=401)
    assert resp.json["error"]["code"] == 401


def test_keystone_client_identity_headers_do_not_add_to_a_valid_token(
        keystone_api, keystone):
    token = keystone.issue("u-1", "p-1", ["member"], user_name="alice",
                           project_name="demo")
    resp = keystone_api.get("/v2.1/whoami",
                            headers={**SPOOFED, "X-Auth-Token": token})
    assert resp.json == {
        "user_id": "u-1", "project_id": "p-1", "roles": ["member"],
        "is_admin": False, "user_name": "alice", "project_name": "demo",
        "system_scope": None}


def test_keystone_failing_is_503_not_401_nor_500(keystone_api, keystone):
    keystone.fail_validation = True
    token = keystone.issue("u-1", "p-1", ["member"])
    resp = keystone_api.get("/v2.1/whoami", headers={"X-Auth-Token": token},
                            status=503)
    # In the compute API's fault format, not keystonemiddleware's text.
    assert resp.json == {"serviceUnavailable": {
        "code": 503, "message": "The authentication service is unavailable; "
                                "try again later."}}
    assert resp.headers["x-openstack-request-id"].startswith("req-")


@pytest.mark.parametrize("path", ["/", "/v2", "/v2.1", "/v2.1/"])
def test_keystone_version_documents_need_no_token(keystone_api, keystone,
                                                  httpserver, path):
    resp = keystone_api.get(path, status=200)
    assert "version" in resp.json or "versions" in resp.json
    assert httpserver.log == []  # Keystone was never asked


def test_keystone_healthcheck_needs_no_token(keystone_api, httpserver):
    resp = keystone_api.get("/healthcheck", status=200)
    assert resp.text == "OK\n"
    assert httpserver.log == []


# -- http_basic ------------------------------------------------------------

def _hash(password, prefix=b"$2b$"):
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4))
    return (prefix + hashed[4:]).decode()


def _basic(user, password):
    raw = f"{user}:{password}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


class BasicSite:
    def __init__(self, make_config, tmp_path):
        self.make_config = make_config
        self.htpasswd = tmp_path / "htpasswd"
        self.entries = {}

    def add(self, user, password, prefix=b"$2y$"):
        self.entries[user] = _hash(password, prefix)
        self.save()

    def save(self):
        self.htpasswd.write_text(
            "# written by htpasswd -B\n"
            + "".join(f"{u}:{h}\n" for u, h in self.entries.items()))

    def config(self, extra=""):
        return self.make_config("http_basic", f"""
http_basic_auth_user_file = {self.htpasswd}
http_basic_user_projects = alice:proj-a,bob:proj-b
http_basic_admin_users = root
{extra}""")


@pytest.fixture
def basic(make_config, tmp_path):
    site = BasicSite(make_config, tmp_path)
    site.add("alice", "alice-pw", b"$2y$")  # htpasswd -B writes $2y$
    site.add("root", "root-pw", b"$2b$")  # the bcrypt package writes $2b$
    return site


@pytest.fixture
def basic_api(basic):
    return basic.config().testapp()


def test_http_basic_correct_password(basic_api):
    assert_reached_router(basic_api.get(
        "/v2.1/nonexistent", headers=_basic("alice", "alice-pw"), status=404))
    resp = basic_api.get("/v2.1/whoami", headers=_basic("alice", "alice-pw"))
    assert resp.json == {
        "user_id": "alice", "project_id": "proj-a",
        "roles": ["member", "reader"], "is_admin": False,
        "user_name": "alice", "project_name": None, "system_scope": None}


def test_http_basic_admin_users_are_admin(basic_api):
    resp = basic_api.get("/v2.1/whoami", headers=_basic("root", "root-pw"))
    assert resp.json["is_admin"] is True
    assert resp.json["roles"] == ["admin", "member", "reader"]
    # Not in http_basic_user_projects: a project named like the user.
    assert resp.json["project_id"] == "root"


def test_http_basic_password_with_colon_and_repeated_requests(basic):
    basic.add("carol", "pa:ss:word")
    app = basic.config().testapp()
    for _ in range(2):  # the second check is served from the cache
        resp = app.get("/v2.1/whoami", headers=_basic("carol", "pa:ss:word"))
        assert resp.json["user_id"] == "carol"
    app.get("/v2.1/whoami", headers=_basic("carol", "pa"), status=401)


def _assert_basic_401(resp):
    assert resp.status_int == 401
    assert resp.json == {"unauthorized": {
        "code": 401,
        "message": "The request you have made requires authentication."}}
    assert resp.headers["WWW-Authenticate"].startswith("Basic ")
    assert 'realm="' in resp.headers["WWW-Authenticate"]


@pytest.mark.parametrize("headers", [
    pytest.param({}, id="no-header"),
    pytest.param(_basic("alice", "wrong"), id="wrong-password"),
    pytest.param(_basic("alice", ""), id="empty-password"),
    pytest.param(_basic("alice", "alice-pw" * 10), id="over-72-bytes"),
    pytest.param(_basic("mallory", "alice-pw"), id="unknown-user"),
    pytest.param(_basic("", "alice-pw"), id="empty-user"),
    pytest.param({"Authorization": "Basic !!!not-base64!!!"},
                 id="not-base64"),
    pytest.param({"Authorization": "Basic " + base64.b64encode(
        b"alice").decode()}, id="no-colon"),
    pytest.param({"Authorization": "Basic " + base64.b64encode(
        b"\xffalice:alice-pw").decode()}, id="user-not-utf8"),
    pytest.param({"Authorization": "Basic"}, id="scheme-only"),
    pytest.param({"Authorization": "Bearer " + base64.b64encode(
        b"alice:alice-pw").decode()}, id="other-scheme"),
    pytest.param({"X-Auth-Token": "alice:proj-a"}, id="noauth2-token"),
])
def test_http_basic_rejections(basic_api, headers):
    _assert_basic_401(basic_api.get("/v2.1/whoami", headers=headers,
                                    status=401))


def test_http_basic_legacy_v2_path_is_authenticated_the_same_way(
        basic_api):
    _assert_basic_401(basic_api.get("/v2/whoami", status=401))
    resp = basic_api.get("/v2/whoami", headers=_basic("alice", "alice-pw"))
    assert resp.json["project_id"] == "proj-a"


def test_http_basic_scheme_is_case_insensitive(basic_api):
    raw = base64.b64encode(b"alice:alice-pw").decode()
    resp = basic_api.get("/v2.1/whoami",
                         headers={"Authorization": "basic " + raw})
    assert resp.json["user_id"] == "alice"


def test_http_basic_client_identity_headers_are_ignored(basic_api):
    resp = basic_api.get("/v2.1/whoami",
                         headers={**SPOOFED, **_basic("alice", "alice-pw")})
    assert resp.json["user_id"] == "alice"
    assert resp.json["project_id"] == "proj-a"
    assert resp.json["roles"] == ["member", "reader"]
    assert resp.json["is_admin"] is False
    _assert_basic_401(basic_api.get("/v2.1/whoami", headers=SPOOFED,
                                    status=401))


def test_http_basic_version_documents_and_healthcheck_need_no_password(
        basic_api):
    basic_api.get("/", status=200)
    basic_api.get("/v2.1", status=200)
    assert basic_api.get("/healthcheck", status=200).text == "OK\n"


@pytest.mark.parametrize("entry", [
    "bob:$apr1$3qE8s9yb$Y0xQ2O8tQn0U2yDgq8oPm/",  # htpasswd -m (MD5)
    "bob:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=",  # htpasswd -s
    "bob:plain-text-password",  # htpasswd -p
    "bob",  # no hash at all
])
def test_http_basic_non_bcrypt_entry_fails_the_load(basic, entry):
    basic.htpasswd.write_text(
        f"alice:{basic.entries['alice']}\n\n{entry}\n")
    config = basic.config()
    with pytest.raises(exception.StartupError) as info:
        config.load()
    message = str(info.value)
    assert f"{basic.htpasswd} line 3" in message


def test_http_basic_missing_file_names_the_option(basic):
    basic.htpasswd.unlink()
    config = basic.config()
    with pytest.raises(exception.StartupError) as info:
        config.load()
    message = str(info.value)
    assert "http_basic_auth_user_file" in message
    assert str(basic.htpasswd) in message


def test_http_basic_file_not_utf8_fails_the_load_naming_it(basic):
    basic.htpasswd.write_bytes(
        f"alice:{basic.entries['alice']}\n".encode() + b"b\xe9b:x\n")
    config = basic.config()
    with pytest.raises(exception.StartupError) as info:
        config.load()
    assert f"{basic.htpasswd} line 2" in str(info.value)


def test_http_basic_new_user_is_picked_up_without_reload(basic, basic_api):
    _assert_basic_401(basic_api.get(
        "/v2.1/whoami", headers=_basic("bob", "bob-pw"), status=401))
    basic.add("bob", "bob-pw")
    resp = basic_api.get("/v2.1/whoami", headers=_basic("bob", "bob-pw"))
    assert resp.json["user_id"] == "bob"
    assert resp.json["project_id"] == "proj-b"


def _touch_later(path):
    """Give the file a new mtime, whatever the clock's granularity."""
    stat = os.stat(path)
    later = stat.st_mtime_ns + 10**9
    os.utime(path, ns=(later, later))


def test_http_basic_changed_password_is_picked_up(basic, basic_api):
    assert basic_api.get("/v2.1/whoami",
                         headers=_basic("alice", "alice-pw")).status_int == 200
    basic.add("alice", "new-pw")  # same size: only the mtime tells
    _touch_later(basic.htpasswd)
    _assert_basic_401(basic_api.get(
        "/v2.1/whoami", headers=_basic("alice", "alice-pw"), status=401))
    assert basic_api.get("/v2.1/whoami",
                         headers=_basic("alice", "new-pw")).status_int == 200


def test_http_basic_removed_user_is_refused(basic, basic_api):
    assert basic_api.get("/v2.1/whoami",
                         headers=_basic("alice", "alice-pw")).status_int == 200
    del basic.entries["alice"]
    basic.save()
    _assert_basic_401(basic_api.get(
        "/v2.1/whoami", headers=_basic("alice", "alice-pw"), status=401))
    assert basic_api.get("/v2.1/whoami",
                         headers=_basic("root", "root-pw")).status_int == 200


def test_http_basic_deleted_file_refuses_everyone_until_back(
        basic, basic_api, caplog):
    good = basic.htpasswd.read_bytes()
    assert basic_api.get("/v2.1/whoami",
                         headers=_basic("alice", "alice-pw")).status_int == 200
    basic.htpasswd.unlink()
    with caplog.at_level(logging.ERROR, logger="nova"):
        _assert_basic_401(basic_api.get(
            "/v2.1/whoami", headers=_basic("alice", "alice-pw"), status=401))
    assert any("is gone" in r.getMessage() for r in caplog.records)
    basic.htpasswd.write_bytes(good)
    assert basic_api.get("/v2.1/whoami",
                         headers=_basic("alice", "alice-pw")).status_int == 200


@pytest.mark.parametrize("bad", [
    pytest.param(b"eve:$apr1$3qE8s9yb$Y0xQ2O8tQn0U2yDgq8oPm/\n", id="md5"),
    pytest.param(b"b\xe9b:x\n", id="not-utf8"),
])
def test_http_basic_broken_file_on_disk_keeps_the_previous_users(
        basic, basic_api, caplog, bad):
    good = basic.htpasswd.read_bytes()
    basic.htpasswd.write_bytes(good + bad)
    lineno = len(good.splitlines()) + 1
    bad_line = f"{basic.htpasswd} line {lineno}"
    with caplog.at_level(logging.ERROR, logger="nova"):
        resp = basic_api.get("/v2.1/whoami",
                             headers=_basic("alice", "alice-pw"))
    assert resp.json["user_id"] == "alice"
    assert [r.levelno for r in caplog.records
            if bad_line in r.getMessage()] == [logging.ERROR], caplog.text
    # Fixed on disk: read again.
    basic.add("bob", "bob-pw")
    assert basic_api.get("/v2.1/whoami",
                         headers=_basic("bob", "bob-pw")).status_int == 200


# -- noauth2 ---------------------------------------------------------------

@pytest.fixture
def noauth_api(make_config):
    return make_config("noauth2").testapp()


@pytest.mark.parametrize("token,user,project,admin", [
    ("alice:proj-a", "alice", "proj-a", False),
    ("bob", "bob", "bob", False),
    ("admin:proj-x", "admin", "proj-x", True),
    ("admin", "admin", "admin", True),
    ("administrator:proj-x", "administrator", "proj-x", False),
    ("Admin:proj-x", "Admin", "proj-x", False),
])
def test_noauth2_token_is_user_and_project(noauth_api, token, user, project,
                                           admin):
    resp = noauth_api.get("/v2.1/whoami", headers={"X-Auth-Token": token})
    assert resp.json["user_id"] == user
    assert resp.json["project_id"] == project
    assert resp.json["is_admin"] is admin
    assert ("admin" in resp.json["roles"]) is admin


def test_noauth2_legacy_v2_path_is_authenticated_the_same_way(noauth_api):
    noauth_api.get("/v2/whoami", status=204)
    resp = noauth_api.get("/v2/whoami", headers={"X-Auth-Token": "alice:p"})
    assert resp.json["project_id"] == "p"


def test_noauth2_token_reaches_the_router(noauth_api):
    assert_reached_router(noauth_api.get(
        "/v2.1/nonexistent", headers={"X-Auth-Token": "alice:p"}, status=404))


def test_noauth2_no_token_is_204_with_token_and_url(noauth_api):
    resp = noauth_api.get("/v2.1/flavors", status=204,
                          headers={"Host": "api.example:8774"})
    assert resp.headers["X-Auth-Token"] == "admin:admin"
    assert resp.headers["X-Server-Management-Url"] == (
        "http://api.example:8774/v2.1/flavors/admin")
    assert resp.body == b""
    noauth_api.get("/v2.1/", status=200)  # the version document, no 204
    resp = noauth_api.get("/v2.1/servers", status=204, headers={
        "Host": "api.example", "X-Auth-User": "alice",
        "X-Auth-Project-Id": "proj-a"})
    assert resp.headers["X-Auth-Token"] == "alice:proj-a"
    assert resp.headers["X-Server-Management-Url"] == (
        "http://api.example/v2.1/servers/proj-a")


def test_noauth2_client_identity_headers_do_not_make_an_admin(noauth_api):
    resp = noauth_api.get("/v2.1/whoami",
                          headers={**SPOOFED, "X-Auth-Token": "alice:proj-a"})
    assert resp.json["user_id"] == "alice"
    assert resp.json["project_id"] == "proj-a"
    assert resp.json["is_admin"] is False
    assert resp.json["roles"] == ["member", "reader"]


def test_noauth2_logs_a_development_only_warning(make_config, caplog):
    config = make_config("noauth2")
    with caplog.at_level(logging.WARNING):
        config.load()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING
                and "noauth2" in r.getMessage()]
    assert len(warnings) == 1
    assert "development" in warnings[0].getMessage()


def test_other_strategies_log_no_noauth2_warning(basic, caplog):
    with caplog.at_level(logging.WARNING):
        basic.config().load()
    assert not [r for r in caplog.records if "noauth2" in r.getMessage()]


# -- only the configured strategy is imported ------------------------------

# Loads the app in a fresh interpreter and prints, for each watched package,
# the modules that imported it (the first frame outside importlib).
_PROBE = """
import json, sys

WATCHED = ("keystonemiddleware", "bcrypt")
importers = {}

class Watch:
    def find_spec(self, name, path=None, target=None):
        if name in WATCHED and name not in sys.modules:
            frame = sys._getframe(1)
            while frame.f_globals.get("__name__", "").startswith(
                    ("importlib", "_frozen_importlib")):
                frame = frame.f_back
            importers.setdefault(name, []).append(
                frame.f_globals.get("__name__"))
        return None

sys.meta_path.insert(0, Watch())
import nova.wsgi.osapi_compute
print(json.dumps({
    "importers": importers,
    "loaded": [m for m in (*WATCHED, "nova.api.middleware.http_basic")
               if m in sys.modules]}))
"""


def _imports_at_load(config):
    env = {k: v for k, v in os.environ.items()
           if k not in (config_files.ENV_DIR, config_files.ENV_FILES)}
    env[config_files.ENV_DIR] = str(config.path)
    proc = subprocess.run([sys.executable, "-c", _PROBE], env=env,
                          capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


# oslo.middleware's package __init__ imports its basic_auth module, which
# imports bcrypt; it is imported only when [cors] or the proxy headers are
# configured (nova.api.middleware.oslo), which these configs do not do. So
# nothing imports bcrypt (or keystonemiddleware) unless its strategy is
# chosen.


def test_noauth2_imports_neither_keystonemiddleware_nor_bcrypt(make_config):
    seen = _imports_at_load(make_config("noauth2"))
    assert "keystonemiddleware" not in seen["loaded"]
    assert "keystonemiddleware" not in seen["importers"]
    assert "nova.api.middleware.http_basic" not in seen["loaded"]
    assert "bcrypt" not in seen["loaded"]
    assert "bcrypt" not in seen["importers"]


def test_http_basic_does_not_import_keystonemiddleware(basic):
    seen = _imports_at_load(basic.config())
    assert "keystonemiddleware" not in seen["loaded"]
    assert "nova.api.middleware.http_basic" in seen["loaded"]
    # bcrypt itself is imported on the first check, not at load.
    assert "bcrypt" not in seen["loaded"]


def test_keystone_imports_keystonemiddleware_not_bcrypt(make_config):
    # The positive control: the probe does see what a strategy imports.
    config = make_config("keystone", """
[keystone_authtoken]
www_authenticate_uri = http://127.0.0.1:9/
auth_url = http://127.0.0.1:9/v3
auth_type = password
username = nova
password = x
project_name = service
user_domain_name = Default
project_domain_name = Default
service_token_roles_required = true
""")
    seen = _imports_at_load(config)
    assert seen["importers"]["keystonemiddleware"] == [
        "nova.api.middleware.auth"]
    assert "nova.api.middleware.http_basic" not in seen["loaded"]
    assert "bcrypt" not in seen["loaded"]
