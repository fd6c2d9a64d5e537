"""GET /os-console-auth-tokens/{token} through the whole pipeline: what a
console proxy learns from the token of a client's URL, as upstream Nova
34 answers (its api-ref samples of 2.31 and 2.99; tempest's 2.99
response schema), and the token's life: it expires after [consoleauth]
token_ttl, goes with its server, is stored only as a hash and never
reaches a log.
"""

import hashlib
import logging

import jsonschema
import pytest
import sqlalchemy as sa
from oslo_config import cfg

import nova.conf
from nova import exception
from nova.compute import consoles
from nova.compute.driver import ConsoleTarget
from nova.db.models import ConsoleAuthToken, Instance
from tests.functional.consoles_cloud import (
    EVERY_PROTOCOL,
    console,
    console_app,
    token_of,
    token_rows,
)
from tests.helpers import (
    ADMIN,
    DEMO,
    URL,
    action,
    add_server,
    boot_id,
    fault,
    get,
    v,
)

TOKENS = "/v2.1/os-console-auth-tokens"
TEMPEST_299 = {
    "type": "object",
    "properties": {"console": {
        "type": "object",
        "properties": {
            "instance_uuid": {"type": "string"},
            "host": {"type": "string"},
            "port": {"type": "integer"},
            "tls_port": {"type": ["integer", "null"]},
            "internal_access_path": {"type": ["string", "null"]}}}}}
# webob's HTTPBadRequest, as upstream answers before 2.31
MALFORMED = ("The server could not comply with the request since it is "
             "either malformed or otherwise incorrect.")


@pytest.fixture
def every(config_dir, tmp_path, make_image):
    return console_app(config_dir, tmp_path, make_image, EVERY_PROTOCOL)


def lookup(app, token, version="2.31", who=ADMIN, status=200, query=""):
    return app.get(f"{TOKENS}/{token}{query}", headers=v(version, who),
                   status=status)


def test_a_proxy_learns_where_to_connect(cloud):
    server_id = boot_id(cloud, who=DEMO)
    host = get(cloud, server_id)["OS-EXT-SRV-ATTR:host"]
    token = console(cloud, server_id)
    # upstream's 2.31 sample: these four keys
    assert lookup(cloud, token).json == {"console": {
        "instance_uuid": server_id, "host": host, "port": 5900,
        "internal_access_path": None}}
    # a token stays valid until it expires: a proxy may ask again
    assert lookup(cloud, token, "latest").json == lookup(cloud, token).json
    # the action's tokens are the same kind
    url = action(cloud, server_id, {"os-getVNCConsole": {"type": "novnc"}},
                 who=DEMO, status=200).json["console"]["url"]
    assert lookup(cloud, token_of(url)).json["console"]["port"] == 5900


def test_each_protocols_target_and_tls_port_from_2_99(every):
    server_id = boot_id(every, who=DEMO)
    host = get(every, server_id)["OS-EXT-SRV-ATTR:host"]
    direct = console(every, server_id, "spice", "spice-direct", "2.99")
    shown = lookup(every, direct, "2.99").json
    jsonschema.validate(shown, TEMPEST_299)
    # upstream's 2.99 sample: tls_port, no internal access path
    assert shown == {"console": {
        "instance_uuid": server_id, "host": host, "port": 5901,
        "tls_port": 5902, "internal_access_path": None}}
    assert "tls_port" not in lookup(every, direct, "2.98").json["console"]
    for protocol, console_type, version, port in (
            ("vnc", "novnc", "2.6", 5900),
            ("spice", "spice-html5", "2.6", 5901),
            ("serial", "serial", "2.6", 10000),
            ("mks", "webmks", "2.8", 443)):
        token = console(every, server_id, protocol, console_type, version)
        # tls_port is for spice-direct only, even at 2.99
        assert lookup(every, token, "latest").json == {"console": {
            "instance_uuid": server_id, "host": host, "port": port,
            "internal_access_path": None}}


def test_before_2_31_it_is_400_for_everyone(cloud):
    server_id = boot_id(cloud, who=DEMO)
    token = console(cloud, server_id)
    for who in (ADMIN, DEMO):
        for version in ("2.1", "2.30"):
            resp = lookup(cloud, token, version, who, status=400)
            assert fault(resp, "badRequest", 400) == MALFORMED


def test_only_an_admin_may_ask(cloud):
    server_id = boot_id(cloud, who=DEMO)
    token = console(cloud, server_id)
    resp = lookup(cloud, token, who=DEMO, status=403)
    assert fault(resp, "forbidden", 403) == (
        "Policy doesn't allow os_compute_api:os-console-auth-tokens to be "
        "performed.")
    # an unknown token is 403 too: the policy is checked first
    lookup(cloud, "nothing-such", who=DEMO, status=403)


@pytest.mark.parametrize("token", [
    "f3ba4b2d-0d4c-4f08-8a0c-7e8d9c6b5a41", "not-a-token", "x" * 300])
def test_an_unknown_or_malformed_token_is_404(cloud, token):
    resp = lookup(cloud, token, status=404)
    assert fault(resp, "itemNotFound", 404) == "Token not found"


def test_the_hash_is_not_the_token(cloud):
    server_id = boot_id(cloud, who=DEMO)
    token = console(cloud, server_id)
    (row,) = token_rows(cloud)
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(dict(row))
    lookup(cloud, row["token_hash"], status=404)


def test_unknown_query_parameters_are_400_from_2_99(cloud):
    server_id = boot_id(cloud, who=DEMO)
    token = console(cloud, server_id)
    lookup(cloud, token, "2.98", query="?foo=1")
    resp = lookup(cloud, token, "2.99", query="?foo=1", status=400)
    assert "Additional properties are not allowed" in fault(
        resp, "badRequest", 400)


# -- the token's life ---------------------------------------------------------

def test_a_token_expires_after_token_ttl(cloud, monkeypatch):
    server_id = boot_id(cloud, who=DEMO)
    now = consoles._now()
    monkeypatch.setattr(consoles, "_now", lambda: now)
    token = console(cloud, server_id)
    (row,) = token_rows(cloud)
    assert row["expires"] == now + 600  # [consoleauth] token_ttl's default
    monkeypatch.setattr(consoles, "_now", lambda: now + 599)
    lookup(cloud, token)
    monkeypatch.setattr(consoles, "_now", lambda: now + 600)
    resp = lookup(cloud, token, status=404)
    assert fault(resp, "itemNotFound", 404) == "Token not found"
    # the expired row goes when the next console is asked for
    fresh = console(cloud, server_id)
    assert [r["token_hash"] for r in token_rows(cloud)] == [
        consoles.token_hash(fresh)]


def test_token_ttl_comes_from_the_config(config_dir, tmp_path, make_image):
    app = console_app(config_dir, tmp_path, make_image,
                      "[consoleauth]\ntoken_ttl = 0\n")
    server_id = boot_id(app, who=DEMO)
    token = console(app, server_id)  # issued, and expired at once
    lookup(app, token, status=404)


def test_a_deleted_servers_tokens_are_gone(cloud):
    server_id = boot_id(cloud, who=DEMO)
    other_id = boot_id(cloud, who=DEMO)
    token = console(cloud, server_id)
    kept = console(cloud, other_id)
    cloud.delete(f"{URL}/{server_id}", headers=DEMO, status=204)
    lookup(cloud, token, status=404)
    lookup(cloud, kept)
    assert [r["instance_uuid"] for r in token_rows(cloud)] == [other_id]


def test_a_token_stops_working_when_its_server_moves(
        config_dir, tmp_path, make_image):
    # Upstream deletes a server's tokens when it leaves its host (a live
    # migration's end); a proxy must not be sent to the old host.
    app = console_app(config_dir, tmp_path, make_image,
                      "hosts = h1:nova:8:8192:80, h2:nova:8:8192:80\n")
    server_id = boot_id(app, who=DEMO)
    token = console(app, server_id)
    assert lookup(app, token).json["console"]["host"] == \
        get(app, server_id)["OS-EXT-SRV-ATTR:host"]
    action(app, server_id, {"migrate": None})
    lookup(app, token, status=404)
    fresh = console(app, server_id)
    assert lookup(app, fresh).json["console"]["host"] == \
        get(app, server_id)["OS-EXT-SRV-ATTR:host"]


def test_force_delete_of_a_soft_deleted_server_too(config_dir, tmp_path,
                                                   make_image):
    app = console_app(config_dir, tmp_path, make_image,
                      default_options="reclaim_instance_interval = 3600\n")
    server_id = boot_id(app, who=DEMO)
    token = console(app, server_id)
    app.delete(f"{URL}/{server_id}", headers=DEMO, status=204)
    # SOFT_DELETED keeps its host, and its tokens, as upstream
    lookup(app, token)
    action(app, server_id, {"forceDelete": None}, who=DEMO)
    lookup(app, token, status=404)
    assert token_rows(app) == []


def test_no_token_reaches_a_log(cloud, caplog, monkeypatch):
    server_id = boot_id(cloud, who=DEMO)
    with caplog.at_level(logging.DEBUG):
        token = console(cloud, server_id)
        url = action(cloud, server_id,
                     {"os-getVNCConsole": {"type": "novnc"}}, who=DEMO,
                     status=200).json["console"]["url"]
        lookup(cloud, token)
        lookup(cloud, token_of(url), "2.1", status=400)

        def broken(session, token):
            raise RuntimeError("broken")

        # a bug while looking a token up: logged with the path, masked
        monkeypatch.setattr(consoles, "validate", broken)
        resp = lookup(cloud, token, status=500)
    assert token not in resp.text
    assert "Unexpected error serving GET /os-console-auth-tokens/***" in \
        caplog.text
    for secret in (token, token_of(url)):
        assert secret not in caplog.text


def test_the_database_unavailable_is_logged_without_the_token(
        cloud, caplog, monkeypatch):
    server_id = boot_id(cloud, who=DEMO)
    token = console(cloud, server_id)

    def away(session, token):
        raise sa.exc.OperationalError("SELECT", {}, Exception("gone away"))

    monkeypatch.setattr(consoles, "validate", away)
    with caplog.at_level(logging.DEBUG):
        lookup(cloud, token, status=503)
    assert "Database unavailable" in caplog.text
    assert token not in caplog.text


# -- the store, on each backend -----------------------------------------------

class _Driver:
    def remote_console(self, instance, protocol):
        return ConsoleTarget(host=instance.host, port=5901, tls_port=5902)


def test_issue_validate_and_forget_on_every_backend(db, monkeypatch):
    """SQLite, MariaDB and PostgreSQL: the hash is found, an expired token
    is not (and is deleted by the next issue), forget deletes them all."""
    conf = cfg.ConfigOpts()
    nova.conf.register_opts(conf)
    conf(args=[], default_config_files=[])
    conf.set_override("enabled", True, group="spice")
    server_id = add_server(db, "10.0.0.2")
    with db.writer() as session:
        session.execute(sa.update(Instance).where(
            Instance.uuid == server_id).values(host="h1"))
    now = consoles._now()
    monkeypatch.setattr(consoles, "_now", lambda: now)

    def issue():
        with db.writer() as session:
            instance = session.execute(sa.select(Instance).where(
                Instance.uuid == server_id).with_for_update()).scalar_one()
            return token_of(consoles.issue(
                session, instance, "spice", "spice-direct", _Driver(),
                conf))

    first = issue()
    with db.reader() as session:
        found = consoles.validate(session, first)
        assert (found.instance_uuid, found.console_type, found.host,
                found.port, found.tls_port, found.internal_access_path,
                found.expires) == (server_id, "spice-direct", "h1", 5901,
                                   5902, None, now + 600)
    monkeypatch.setattr(consoles, "_now", lambda: now + 600)
    with db.reader() as session, pytest.raises(exception.NotFound):
        consoles.validate(session, first)
    second, third = issue(), issue()
    with db.reader() as session:
        hashes = session.execute(sa.select(ConsoleAuthToken.token_hash)
                                 ).scalars().all()
    assert sorted(hashes) == sorted(consoles.token_hash(t)
                                    for t in (second, third))
    with db.writer() as session:
        consoles.forget(session, server_id)
    with db.reader() as session:
        for token in (second, third):
            with pytest.raises(exception.NotFound):
                consoles.validate(session, token)
        assert session.execute(sa.select(ConsoleAuthToken)).all() == []
