"""Cross-project matrix: every route of the route table, as the admin, a
member and a reader of project B, against project A's resources.

Project A (user alice) owns a server (with metadata, a tag and a
password), a keypair, a private flavor with an extra spec, and a private
image. Identities come from Keystone (the real auth_token against a fake
Keystone played by pytest-httpserver), through the whole paste pipeline,
so the reader really holds only the ``reader`` role.

``MATRIX`` says, for each (method, path) of the route table, how to build
the request against A's resources and what each persona of B must get.
A route without an entry FAILS ``test_every_route_has_a_matrix_entry``:
a route added later must say how it is probed. Likewise every server
action needs an entry in ``ACTION_BODIES``.

Expectations: a member or reader of B gets 403 (policy) or 404 (A's
object is invisible) everywhere; a collection read may answer 200, but
never with an identifier of A's; a create that names A's objects is
refused (400/403/404). The admin (upstream's admin is the cloud's admin:
it may read and change every project) is probed on the read routes only
and must see A's objects there; its writes are not sent, since they are
allowed by design. After every request the whole database (every row of
every table) must be unchanged.
"""

import dataclasses
import json

import pytest
import sqlalchemy as sa

from nova.api import microversions
from nova.api.compute import routes
from nova.api.compute.handlers import servers as server_handlers
from tests.conftest import sync_db
from tests.functional.test_auth import FakeKeystone

DENY = frozenset({403, 404})
REFUSED = frozenset({400, 403, 404})
LIST = frozenset({200, 403})  # 200: with nothing of A's in it

IMAGE = "70a599e0-31e7-49b7-b260-868f441e862b"  # public, A boots from it
PRIVATE_IMAGE = "b1c2d3e4-0000-4000-8000-00000000000a"


@dataclasses.dataclass(frozen=True)
class Probe:
    path: str  # formatted with the ids of A's resources
    body: object = None
    version: str | None = None  # default: latest the route exists at
    member: frozenset = DENY
    reader: frozenset = DENY
    admin: int | None = None  # expected status for the admin; None: not sent
    hidden: bool = False  # a 200 must not show A's identifiers


S = "/servers/{server}"
F = "/flavors/{flavor}"
MATRIX = {
    # flavors
    ("GET", "/flavors"): Probe("/flavors?is_public=none", member=LIST,
                               reader=LIST, admin=200, hidden=True),
    ("GET", "/flavors/detail"): Probe("/flavors/detail?is_public=none",
                                      member=LIST, reader=LIST, admin=200,
                                      hidden=True),
    ("POST", "/flavors"): Probe("/flavors", {"flavor": {
        "name": "b-flavor", "ram": 1, "vcpus": 1, "disk": 1}}),
    ("GET", "/flavors/{flavor_id}"): Probe(F, admin=200),
    ("PUT", "/flavors/{flavor_id}"): Probe(F, {"flavor": {
        "description": "changed by B"}}),
    ("DELETE", "/flavors/{flavor_id}"): Probe(F),
    ("GET", "/flavors/{flavor_id}/os-extra_specs"): Probe(
        F + "/os-extra_specs", admin=200),
    ("POST", "/flavors/{flavor_id}/os-extra_specs"): Probe(
        F + "/os-extra_specs", {"extra_specs": {"hw:cpu_policy": "shared"}}),
    ("GET", "/flavors/{flavor_id}/os-extra_specs/{key}"): Probe(
        F + "/os-extra_specs/hw:cpu_policy", admin=200),
    ("PUT", "/flavors/{flavor_id}/os-extra_specs/{key}"): Probe(
        F + "/os-extra_specs/hw:cpu_policy", {"hw:cpu_policy": "shared"}),
    ("DELETE", "/flavors/{flavor_id}/os-extra_specs/{key}"): Probe(
        F + "/os-extra_specs/hw:cpu_policy"),
    ("GET", "/flavors/{flavor_id}/os-flavor-access"): Probe(
        F + "/os-flavor-access", admin=200),
    ("POST", "/flavors/{flavor_id}/action"): Probe(
        F + "/action", {"addTenantAccess": {"tenant": "project-b"}}),
    # images (A's private image)
    ("GET", "/images"): Probe("/images", member=LIST, reader=LIST,
                              admin=200, hidden=True),
    ("GET", "/images/detail"): Probe("/images/detail", member=LIST,
                                     reader=LIST, admin=200, hidden=True),
    ("GET", "/images/{image_id}"): Probe("/images/{image}", admin=200),
    # keypairs (alice's)
    ("GET", "/os-keypairs"): Probe("/os-keypairs?user_id=alice",
                                   admin=200),
    ("POST", "/os-keypairs"): Probe("/os-keypairs", {"keypair": {
        "name": "planted", "user_id": "alice",
        "public_key": "{public_key}"}}),
    ("GET", "/os-keypairs/{keypair_name}"): Probe(
        "/os-keypairs/alice-key?user_id=alice", admin=200),
    ("DELETE", "/os-keypairs/{keypair_name}"): Probe(
        "/os-keypairs/alice-key?user_id=alice"),
    # servers (alice's)
    ("GET", "/servers"): Probe("/servers?all_tenants=1&project_id=project-a",
                               member=LIST, reader=LIST, admin=200,
                               hidden=True),
    ("GET", "/servers/detail"): Probe(
        "/servers/detail?all_tenants=1&project_id=project-a", member=LIST,
        reader=LIST, admin=200, hidden=True),
    ("POST", "/servers"): Probe("/servers", {"server": {
        "name": "b-server", "imageRef": PRIVATE_IMAGE,
        "flavorRef": "{flavor}", "key_name": "alice-key",
        "networks": "auto"}}, member=REFUSED, reader=REFUSED),
    ("GET", "/servers/{server_id}"): Probe(S, admin=200),
    ("PUT", "/servers/{server_id}"): Probe(S, {"server": {
        "name": "renamed by B"}}),
    ("DELETE", "/servers/{server_id}"): Probe(S),
    ("POST", "/servers/{server_id}/action"): Probe(S + "/action"),  # each action
    ("GET", "/servers/{server_id}/ips"): Probe(S + "/ips", admin=200),
    ("GET", "/servers/{server_id}/ips/{network_label}"): Probe(
        S + "/ips/private", admin=200),
    ("GET", "/servers/{server_id}/metadata"): Probe(S + "/metadata",
                                                    admin=200),
    ("POST", "/servers/{server_id}/metadata"): Probe(
        S + "/metadata", {"metadata": {"planted": "by B"}}),
    ("PUT", "/servers/{server_id}/metadata"): Probe(
        S + "/metadata", {"metadata": {}}),
    ("GET", "/servers/{server_id}/metadata/{key}"): Probe(
        S + "/metadata/owner", admin=200),
    ("PUT", "/servers/{server_id}/metadata/{key}"): Probe(
        S + "/metadata/owner", {"meta": {"owner": "B"}}),
    ("DELETE", "/servers/{server_id}/metadata/{key}"): Probe(
        S + "/metadata/owner"),
    ("GET", "/servers/{server_id}/tags"): Probe(S + "/tags", admin=200),
    ("PUT", "/servers/{server_id}/tags"): Probe(S + "/tags",
                                                {"tags": ["planted"]}),
    ("DELETE", "/servers/{server_id}/tags"): Probe(S + "/tags"),
    ("GET", "/servers/{server_id}/tags/{tag}"): Probe(S + "/tags/a-tag",
                                                      admin=204),
    ("PUT", "/servers/{server_id}/tags/{tag}"): Probe(S + "/tags/planted"),
    ("DELETE", "/servers/{server_id}/tags/{tag}"): Probe(S + "/tags/a-tag"),
    ("GET", "/servers/{server_id}/os-server-password"): Probe(
        S + "/os-server-password", admin=200),
    ("DELETE", "/servers/{server_id}/os-server-password"): Probe(
        S + "/os-server-password"),
}

# One body per server action (POST /servers/{id}/action).
ACTION_BODIES = {
    "reboot": {"reboot": {"type": "HARD"}},
    "os-stop": {"os-stop": None},
    "os-start": {"os-start": None},
}

PERSONAS = {
    "admin": ("boss", ["admin", "member", "reader"]),
    "member": ("mallory", ["member", "reader"]),
    "reader": ("rita", ["reader"]),
}


def test_every_route_has_a_matrix_entry():
    missing = [f"{r.method} {r.path}" for r in routes.ROUTES
               if (r.method, r.path) not in MATRIX]
    assert not missing, ("routes without a cross-project matrix entry in "
                         f"{__file__}: {missing}")


def test_every_server_action_has_a_body():
    missing = sorted(set(server_handlers.ACTIONS) - set(ACTION_BODIES))
    assert not missing, f"server actions without a matrix body: {missing}"


# -- the deployment -----------------------------------------------------------

def _dump(engine):
    """Every row of every table, in a comparable form."""
    meta = sa.MetaData()
    meta.reflect(engine)
    out = {}
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            rows = conn.execute(table.select()).all()
            out[table.name] = sorted(repr(tuple(r)) for r in rows)
    return out


def _diff(before, after):
    changed = {}
    for name in sorted(set(before) | set(after)):
        old, new = set(before.get(name, ())), set(after.get(name, ()))
        if old != new:
            changed[name] = {"gone": sorted(old - new)[:3],
                             "new": sorted(new - old)[:3]}
    return changed


class World:
    def __init__(self, app, keystone, engine, ids):
        self.app = app
        self.engine = engine
        self.ids = ids
        self.tokens = {name: keystone.issue(user, "project-b", roles)
                       for name, (user, roles) in PERSONAS.items()}
        self.alice = keystone.issue("alice", "project-a",
                                    ["member", "reader"])

    def call(self, persona, method, path, body=None, version="latest"):
        token = self.alice if persona == "alice" else self.tokens[persona]
        headers = {"X-Auth-Token": token,
                   "OpenStack-API-Version": f"compute {version}"}
        kwargs = {"headers": headers, "expect_errors": True}
        if body is not None:
            return self.app.request(
                "/v2.1" + path, method=method, body=json.dumps(body).encode(),
                content_type="application/json", **kwargs)
        return self.app.request("/v2.1" + path, method=method, **kwargs)


@pytest.fixture
def setup(config_dir, tmp_path, httpserver):
    """Project A's resources, created through the API as alice and the
    admin; the app as every persona sees it."""
    from nova.compute import images
    from nova.db import api as db_api
    from tests.conftest import conf_of
    from tests.functional.test_keypairs import ssh_key

    keystone = FakeKeystone(httpserver)
    url = f"sqlite:///{tmp_path}/nova.sqlite"
    sync_db(url)
    config_dir.paste()
    config_dir.write("nova.conf", f"[database]\nconnection = {url}\n"
                     "[compute]\nbuild_time = 0\naction_time = 0\n"
                     + keystone.authtoken_conf())
    app = config_dir.testapp()
    store = db_api.Database(conf_of(config_dir).database)
    with store.writer() as session:
        images.create(session, name="cirros", image_id=IMAGE)
        images.create(session, name="a-private", image_id=PRIVATE_IMAGE,
                      visibility="private", owner="project-a")
    store.dispose()
    world = World(app, keystone, sa.create_engine(url), {})
    admin_a = keystone.issue("root", "project-a", ["admin", "member",
                                                   "reader"])

    def as_admin_a(method, path, body=None, version="latest"):
        resp = app.request("/v2.1" + path, method=method,
                           body=json.dumps(body).encode() if body else b"",
                           content_type="application/json",
                           headers={"X-Auth-Token": admin_a,
                                    "OpenStack-API-Version":
                                    f"compute {version}"})
        return resp

    as_admin_a("POST", "/flavors", {"flavor": {
        "name": "a-private", "ram": 512, "vcpus": 1, "disk": 1,
        "id": "a-private", "os-flavor-access:is_public": False}})
    as_admin_a("POST", "/flavors/a-private/action",
               {"addTenantAccess": {"tenant": "project-a"}})
    as_admin_a("POST", "/flavors/a-private/os-extra_specs",
               {"extra_specs": {"hw:cpu_policy": "dedicated"}})
    resp = world.call("alice", "POST", "/os-keypairs", {"keypair": {
        "name": "alice-key", "public_key": ssh_key()}})
    assert resp.status_int == 201, resp.body
    resp = world.call("alice", "POST", "/servers", {"server": {
        "name": "a-server", "imageRef": IMAGE, "flavorRef": "a-private",
        "key_name": "alice-key", "networks": "auto",
        "metadata": {"owner": "alice"}, "tags": ["a-tag"]}})
    assert resp.status_int == 202, resp.body
    server = resp.json["server"]["id"]
    with world.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE instances SET password = 'secret' "
                             "WHERE uuid = ?", (server,))
    world.ids = {"server": server, "flavor": "a-private",
                 "image": PRIVATE_IMAGE, "public_key": ssh_key("planted")}
    # alice sees her objects: the probes below can fail
    assert world.call("alice", "GET", f"/servers/{server}").status_int == 200
    assert world.call("alice", "GET",
                      "/flavors/a-private").status_int == 200
    yield world
    world.engine.dispose()


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


def _requests(route, probe, ids):
    """(path, body, version) to send for ``route``."""
    version = probe.version
    if version is None:
        top = route.max_version or routes.MAX_VERSION
        version = microversions.as_text(top)
    path = _fill(probe.path, ids)
    if route.path.endswith("/action") and route.path.startswith("/servers"):
        for name in sorted(server_handlers.ACTIONS):
            yield path, ACTION_BODIES[name], version
        return
    yield path, _fill(probe.body, ids), version


_SECRETS = ("a-private", "alice-key", PRIVATE_IMAGE, "a-server")


@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_another_project_cannot_reach_project_a(setup, persona):
    world = setup
    before = _dump(world.engine)
    problems = []
    sent = 0
    for route in routes.ROUTES:
        probe = MATRIX[(route.method, route.path)]
        expected = getattr(probe, persona)
        if expected is None:
            continue  # the admin's writes are allowed by design
        if isinstance(expected, int):
            expected = {expected}
        for path, body, version in _requests(route, probe, world.ids):
            resp = world.call(persona, route.method, path, body, version)
            sent += 1
            where = f"{route.method} {path} @{version}"
            if resp.status_int not in expected:
                problems.append(f"{where}: {resp.status_int} not in "
                                f"{sorted(expected)}: {resp.body[:200]}")
            if resp.status_int >= 400:
                doc = resp.json
                assert len(doc) == 1 and next(iter(doc.values()))[
                    "code"] == resp.status_int, (where, doc)
            if (persona != "admin" and probe.hidden
                    and resp.status_int == 200):
                text = resp.body.decode()
                leaked = [s for s in _SECRETS + (world.ids["server"],)
                          if s in text]
                if leaked:
                    problems.append(f"{where}: shows {leaked}")
            after = _dump(world.engine)
            changed = _diff(before, after)
            if changed:
                problems.append(f"{where}: changed the database: {changed}")
                before = after
    if persona != "admin":
        assert sent >= len(routes.ROUTES)
    assert not problems, "\n".join(problems)


def test_project_id_in_url_must_be_the_callers(setup):
    world = setup
    server = world.ids["server"]
    for persona in ("member", "reader"):
        resp = world.call(persona, "GET", f"/project-a/servers/{server}")
        assert resp.status_int == 400, resp.body
        assert "doesn't match Context's project_id" in resp.json[
            "badRequest"]["message"]
