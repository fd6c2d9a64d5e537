"""Cross-project matrix: every route of the route table, as the admin, a
member and a reader of project B, against project A's resources.

Project A (user alice) owns a server (with metadata, a tag and a
password, resized once: a migration and instance actions), a server
group with the server in it, a quota set of its own, a keypair, private
flavors (one with an extra spec) and a private image; the server's host
is in an aggregate. Identities come from Keystone (the real auth_token
against a fake Keystone played by pytest-httpserver), through the whole
paste pipeline, so the reader really holds only the ``reader`` role.

``MATRIX`` says, for each (method, path) of the route table, how to build
the request against A's resources and what each persona of B must get;
where two routes share a method and path (in different microversions)
each has its own entry, keyed (method, path, its minimum version).
A route without an entry FAILS ``test_every_route_has_a_matrix_entry``:
a route added later must say how it is probed. Likewise every server
action needs an entry in ``ACTION_BODIES``.

Expectations: a member or reader of B gets 403 (policy) or 404 (A's
object is invisible) everywhere; a collection read may answer 200, but
never with an identifier of A's; a create that names A's objects is
refused (400/403/404). A few reads are anyone's by upstream's policy
(B's own limits, the default quotas, the zone list): they answer 200
showing nothing of A's (no name or id, none of A's quota values). The
admin (upstream's admin is the cloud's admin: it may read and change
every project) is probed on the read routes only and must see A's
objects there; its writes are not sent, since they are allowed by
design. After every request the whole database (every row of every
table) must be unchanged.
"""

import dataclasses
import json

import pytest
import sqlalchemy as sa

from nova.api import microversions
from nova.api.compute import routes
from nova.api.compute.handlers import removed, server_actions
from tests.fake_keystone import FakeKeystone
from tests.functional.consoles_cloud import token_of
from tests.helpers import IMAGE, conf_of, ssh_key, sync_db

DENY = frozenset({403, 404})
REFUSED = frozenset({400, 403, 404})
LIST = frozenset({200, 403})  # 200: with nothing of A's in it
GONE = frozenset({410})  # removed upstream: 410 whoever asks

# IMAGE is public: A boots from it.
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
    # more requests for the same route (another query, another version)
    variants: tuple = ()


S = "/servers/{server}"
Q = "/os-quota-sets/project-a"
G = "/os-server-groups/{group}"
H = "/os-hypervisors"
AG = "/os-aggregates/{aggregate}"
U = "/os-simple-tenant-usage"
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
    ("DELETE", "/images/{image_id}"): Probe("/images/{image}"),
    ("GET", "/images/{image_id}/metadata"): Probe(
        "/images/{image}/metadata", admin=200),
    ("POST", "/images/{image_id}/metadata"): Probe(
        "/images/{image}/metadata", {"metadata": {"b": "x"}}),
    ("PUT", "/images/{image_id}/metadata"): Probe(
        "/images/{image}/metadata", {"metadata": {"b": "x"}}),
    ("GET", "/images/{image_id}/metadata/{key}"): Probe(
        "/images/{image}/metadata/kind"),
    ("PUT", "/images/{image_id}/metadata/{key}"): Probe(
        "/images/{image}/metadata/kind", {"meta": {"kind": "x"}}),
    ("DELETE", "/images/{image_id}/metadata/{key}"): Probe(
        "/images/{image}/metadata/kind"),
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
    ("POST", "/servers/{server_id}/action"): Probe(
        S + "/action"),  # each action
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
    # instance actions, interfaces (A's server), migrations (A's resize)
    ("GET", "/servers/{server_id}/os-instance-actions"): Probe(
        S + "/os-instance-actions", admin=200),
    ("GET", "/servers/{server_id}/os-instance-actions/{request_id}"): Probe(
        S + "/os-instance-actions/{request_id}", admin=200),
    ("GET", "/servers/{server_id}/os-interface"): Probe(
        S + "/os-interface", admin=200),
    ("GET", "/servers/{server_id}/os-interface/{port_id}"): Probe(
        S + "/os-interface/{port}", admin=200),
    # attach/detach need [neutron]: here, only that B cannot reach A's
    ("POST", "/servers/{server_id}/os-interface"): Probe(
        S + "/os-interface", {"interfaceAttachment": {}}),
    ("DELETE", "/servers/{server_id}/os-interface/{port_id}"): Probe(
        S + "/os-interface/{port}"),
    ("GET", "/servers/{server_id}/os-security-groups"): Probe(
        S + "/os-security-groups", admin=200),
    # external events about A's server: a service's (or the admin's)
    ("POST", "/os-server-external-events"): Probe(
        "/os-server-external-events", {"events": [
            {"name": "power-update", "server_uuid": "{server}",
             "tag": "POWER_OFF"}]}),
    # Neutron's proxies (until 2.35) are served with [neutron] only: this
    # deployment has none, so they are not found, whoever asks
    ("GET", "/os-security-groups"): Probe("/os-security-groups",
                                          admin=404),
    ("POST", "/os-security-groups"): Probe(
        "/os-security-groups", {"security_group": {
            "name": "b", "description": "b"}}),
    ("GET", "/os-security-groups/{security_group_id}"): Probe(
        "/os-security-groups/{network}", admin=404),
    ("PUT", "/os-security-groups/{security_group_id}"): Probe(
        "/os-security-groups/{network}", {"security_group": {
            "name": "b", "description": "b"}}),
    ("DELETE", "/os-security-groups/{security_group_id}"): Probe(
        "/os-security-groups/{network}"),
    ("POST", "/os-security-group-rules"): Probe(
        "/os-security-group-rules", {"security_group_rule": {
            "parent_group_id": "{network}", "ip_protocol": "tcp",
            "from_port": 22, "to_port": 22, "cidr": "0.0.0.0/0"}}),
    ("DELETE", "/os-security-group-rules/{security_group_rule_id}"): Probe(
        "/os-security-group-rules/{network}"),
    ("GET", "/os-floating-ip-pools"): Probe("/os-floating-ip-pools",
                                            admin=404),
    ("GET", "/os-floating-ips"): Probe("/os-floating-ips", admin=404),
    ("POST", "/os-floating-ips"): Probe("/os-floating-ips",
                                        {"pool": "public"}),
    ("GET", "/os-floating-ips/{floating_ip_id}"): Probe(
        "/os-floating-ips/{network}", admin=404),
    ("DELETE", "/os-floating-ips/{floating_ip_id}"): Probe(
        "/os-floating-ips/{network}"),
    # the flat network is everyone's (os-networks, until 2.35); its
    # removed routes are 410 whoever asks, checking no policy
    ("GET", "/os-networks"): Probe("/os-networks", member=LIST,
                                   reader=LIST, admin=200, hidden=True),
    ("GET", "/os-networks/{network_id}"): Probe(
        "/os-networks/{network}", member=LIST, reader=LIST, admin=200,
        hidden=True),
    ("POST", "/os-networks"): Probe(
        "/os-networks", {"network": {"label": "b-net"}}, member=GONE,
        reader=GONE, admin=410),
    ("POST", "/os-networks/add"): Probe(
        "/os-networks/add", {"id": "{network}"}, member=GONE, reader=GONE,
        admin=410),
    ("DELETE", "/os-networks/{network_id}"): Probe(
        "/os-networks/{network}", member=GONE, reader=GONE, admin=410),
    ("GET", "/os-tenant-networks"): Probe(
        "/os-tenant-networks", member=LIST, reader=LIST, admin=200,
        hidden=True),
    ("GET", "/os-tenant-networks/{network_id}"): Probe(
        "/os-tenant-networks/{network}", member=LIST, reader=LIST,
        admin=200, hidden=True),
    ("POST", "/os-networks/{network_id}/action"): Probe(
        "/os-networks/{network}/action", {"disassociate": None},
        member=GONE, reader=GONE, admin=410),
    ("GET", "/os-migrations"): Probe(
        "/os-migrations?instance_uuid={server}", admin=200),
    # A's server's live migrations: none in progress; its resize is no
    # live migration (404 for the admin too, as upstream)
    ("GET", "/servers/{server_id}/migrations"): Probe(
        S + "/migrations", admin=200),
    ("GET", "/servers/{server_id}/migrations/{migration_id}"): Probe(
        S + "/migrations/{migration}", admin=404),
    ("DELETE", "/servers/{server_id}/migrations/{migration_id}"): Probe(
        S + "/migrations/{migration}"),
    ("POST", "/servers/{server_id}/migrations/{migration_id}/action"): Probe(
        S + "/migrations/{migration}/action", {"force_complete": None}),
    # limits: anyone may read their own project's (B's: nothing of A's,
    # not A's quota values either); A's by tenant_id is the admin's.
    ("GET", "/limits"): Probe(
        "/limits?tenant_id=project-a", admin=200,
        variants=(Probe("/limits", member=LIST, reader=LIST, admin=200,
                        hidden=True),)),
    # A's quota set
    ("GET", "/os-quota-sets/{project_id}"): Probe(Q, admin=200),
    ("PUT", "/os-quota-sets/{project_id}"): Probe(Q, {"quota_set": {
        "instances": 0}}),
    ("DELETE", "/os-quota-sets/{project_id}"): Probe(Q),
    ("GET", "/os-quota-sets/{project_id}/detail"): Probe(Q + "/detail",
                                                         admin=200),
    # anyone may read the defaults (upstream's rule is "@"): they are not
    # A's quota set, whose values must not show.
    ("GET", "/os-quota-sets/{project_id}/defaults"): Probe(
        Q + "/defaults", member=LIST, reader=LIST, admin=200, hidden=True),
    # quota classes: the admin's (the default class holds every
    # project's defaults)
    ("GET", "/os-quota-class-sets/{class_name}"): Probe(
        "/os-quota-class-sets/default", admin=200),
    ("PUT", "/os-quota-class-sets/{class_name}"): Probe(
        "/os-quota-class-sets/default", {"quota_class_set": {
            "instances": 0}}),
    # server groups (A's, with A's server in it). A non-admin asking for
    # all projects gets its own groups: nothing of A's.
    ("GET", "/os-server-groups"): Probe(
        "/os-server-groups?all_projects=True", member=LIST, reader=LIST,
        admin=200, hidden=True),
    ("POST", "/os-server-groups"): Probe("/os-server-groups", {
        "server_group": {"name": "planted", "policy": "affinity",
                         "project_id": "project-a"}},
        member=REFUSED, reader=REFUSED),
    ("GET", "/os-server-groups/{group_id}"): Probe(G, admin=200),
    ("DELETE", "/os-server-groups/{group_id}"): Probe(G),
    # services (A's server's host): the admin's
    ("GET", "/os-services"): Probe("/os-services", admin=200),
    # two routes: PUT /os-services/{action} with host and binary until
    # 2.52, PUT /os-services/{uuid} from 2.53
    ("PUT", "/os-services/{service_id}", "2.1"): Probe(
        "/os-services/disable", {"host": "{host}",
                                 "binary": "nova-compute"}),
    ("PUT", "/os-services/{service_id}", "2.53"): Probe(
        "/os-services/{service}", {"status": "disabled"}),
    ("DELETE", "/os-services/{service_id}"): Probe(
        "/os-services/{service}"),
    # hypervisors (A's server's host): the admin's
    ("GET", "/os-hypervisors"): Probe(H, admin=200),
    ("GET", "/os-hypervisors/detail"): Probe(H + "/detail", admin=200),
    ("GET", "/os-hypervisors/statistics"): Probe(H + "/statistics",
                                                 admin=200),
    ("GET", "/os-hypervisors/{hypervisor_id}"): Probe(
        H + "/{hypervisor}", admin=200),
    ("GET", "/os-hypervisors/{hypervisor_id}/uptime"): Probe(
        H + "/{hypervisor}/uptime", admin=200),
    ("GET", "/os-hypervisors/{pattern}/search"): Probe(
        H + "/{host}/search", admin=200),
    ("GET", "/os-hypervisors/{pattern}/servers"): Probe(
        H + "/{host}/servers", admin=200),
    # aggregates (one holding A's server's host): the admin's
    ("GET", "/os-aggregates"): Probe("/os-aggregates", admin=200),
    ("POST", "/os-aggregates"): Probe("/os-aggregates", {"aggregate": {
        "name": "b-aggregate"}}),
    ("GET", "/os-aggregates/{aggregate_id}"): Probe(AG, admin=200),
    ("PUT", "/os-aggregates/{aggregate_id}"): Probe(AG, {"aggregate": {
        "name": "renamed by B"}}),
    ("DELETE", "/os-aggregates/{aggregate_id}"): Probe(AG),
    ("POST", "/os-aggregates/{aggregate_id}/action"): Probe(
        AG + "/action", {"remove_host": {"host": "{host}"}}),
    ("POST", "/os-aggregates/{aggregate_id}/images"): Probe(
        AG + "/images", {"cache": [{"id": IMAGE}]}),
    # zones: anyone may list them (upstream's rule is "@"); they name
    # zones, nothing of A's. The detail (hosts, services) is the admin's.
    ("GET", "/os-availability-zone"): Probe(
        "/os-availability-zone", member=LIST, reader=LIST, admin=200,
        hidden=True),
    ("GET", "/os-availability-zone/detail"): Probe(
        "/os-availability-zone/detail", admin=200),
    # usage: every project's is the admin's, A's is A's readers'
    ("GET", "/os-simple-tenant-usage"): Probe(U + "?detailed=1", admin=200),
    ("GET", "/os-simple-tenant-usage/{tenant_id}"): Probe(
        U + "/project-a", admin=200),
    # A's server's diagnostics: the admin's
    ("GET", "/servers/{server_id}/diagnostics"): Probe(
        S + "/diagnostics", admin=200, variants=(
            Probe(S + "/diagnostics", version="2.47", admin=200),)),
    # hosts (A's server's host, until 2.42): the admin's. The power
    # actions are the driver's, which the built-in one does not do (501).
    ("GET", "/os-hosts"): Probe("/os-hosts?zone=nova", admin=200),
    ("GET", "/os-hosts/{host_name}"): Probe("/os-hosts/{host}", admin=200),
    ("PUT", "/os-hosts/{host_name}"): Probe("/os-hosts/{host}", {
        "status": "disable"}),
    ("GET", "/os-hosts/{host_name}/startup"): Probe(
        "/os-hosts/{host}/startup", admin=501),
    ("GET", "/os-hosts/{host_name}/shutdown"): Probe(
        "/os-hosts/{host}/shutdown", admin=501),
    ("GET", "/os-hosts/{host_name}/reboot"): Probe(
        "/os-hosts/{host}/reboot", admin=501),
    # the usage audit (every host's): the admin's
    ("GET", "/os-instance_usage_audit_log"): Probe(
        "/os-instance_usage_audit_log", admin=200),
    ("GET", "/os-instance_usage_audit_log/{before_timestamp}"): Probe(
        "/os-instance_usage_audit_log/2030-01-01%2000:00:00", admin=200),
    # remote consoles of A's server; the look-up of A's console token:
    # the admin's (a console proxy's)
    ("POST", "/servers/{server_id}/remote-consoles"): Probe(
        S + "/remote-consoles", {"remote_console": {
            "protocol": "vnc", "type": "novnc"}}),
    ("GET", "/os-console-auth-tokens/{console_token}"): Probe(
        "/os-console-auth-tokens/{console_token}", admin=200),
    # extensions: anyone's (upstream's rule is "@"), nothing of A's
    ("GET", "/extensions"): Probe("/extensions", member=LIST, reader=LIST,
                                  admin=200, hidden=True),
    ("GET", "/extensions/{alias}"): Probe(
        "/extensions/os-hosts", member={200}, reader={200}, admin=200,
        hidden=True),
}

# Upstream's removed APIs: 410 whoever asks, checking no policy, whatever
# the path's ids (handlers/removed.py).
MATRIX.update({
    (method, path): Probe(
        path.replace("{server_id}", "{server}").replace(
            "{network_id}", "{network}").replace("{domain_id}", "d")
        .replace("{id}", "1"),
        {"any": "body"} if method in ("POST", "PUT") else None,
        member=GONE, reader=GONE, admin=410)
    for path, methods in removed._REMOVED.items() for method in methods})

# One body per server action (POST /servers/{id}/action).
ACTION_BODIES = {
    "reboot": {"reboot": {"type": "HARD"}},
    "os-stop": {"os-stop": None},
    "os-start": {"os-start": None},
    "changePassword": {"changePassword": {"adminPass": "set-by-B"}},
    "confirmResize": {"confirmResize": None},
    "createImage": {"createImage": {"name": "b-snapshot"}},
    "createBackup": {"createBackup": {"name": "b-backup",
                                      "backup_type": "daily",
                                      "rotation": 1}},
    "forceDelete": {"forceDelete": None},
    "lock": {"lock": {"locked_reason": "by B"}},
    "migrate": {"migrate": None},
    "os-getConsoleOutput": {"os-getConsoleOutput": {"length": 10}},
    "os-getVNCConsole": {"os-getVNCConsole": {"type": "novnc"}},
    "os-getSPICEConsole": {"os-getSPICEConsole": {"type": "spice-html5"}},
    "os-getSerialConsole": {"os-getSerialConsole": {"type": "serial"}},
    "pause": {"pause": None},
    "rebuild": {"rebuild": {"imageRef": IMAGE, "name": "rebuilt by B"}},
    "rescue": {"rescue": None},
    "resize": {"resize": {"flavorRef": "{flavor}"}},
    "restore": {"restore": None},
    "resume": {"resume": None},
    "revertResize": {"revertResize": None},
    "shelve": {"shelve": None},
    "shelveOffload": {"shelveOffload": None},
    "suspend": {"suspend": None},
    "trigger_crash_dump": {"trigger_crash_dump": None},
    "unlock": {"unlock": None},
    "unpause": {"unpause": None},
    "unrescue": {"unrescue": None},
    "unshelve": {"unshelve": None},
    "os-resetState": {"os-resetState": {"state": "error"}},
    "injectNetworkInfo": {"injectNetworkInfo": None},
    "os-migrateLive": {"os-migrateLive": {"host": None,
                                          "block_migration": "auto"}},
    "addSecurityGroup": {"addSecurityGroup": {"name": "default"}},
    "removeSecurityGroup": {"removeSecurityGroup": {"name": "default"}},
    "addFloatingIp": {"addFloatingIp": {"address": "172.24.4.10"}},
    "removeFloatingIp": {"removeFloatingIp": {"address": "172.24.4.10"}},
}

PERSONAS = {
    "admin": ("boss", ["admin", "member", "reader"]),
    "member": ("mallory", ["member", "reader"]),
    "reader": ("rita", ["reader"]),
}


def _probe(route):
    """The matrix entry of ``route``: keyed (method, path), or (method,
    path, minimum version) where two routes share a method and path."""
    key = (route.method, route.path)
    return MATRIX.get(key + (microversions.as_text(route.min_version),),
                      MATRIX.get(key))


def test_every_route_has_a_matrix_entry():
    missing = [f"{r.method} {r.path}" for r in routes.ROUTES
               if _probe(r) is None]
    assert not missing, ("routes without a cross-project matrix entry in "
                         f"{__file__}: {missing}")


def test_every_server_action_has_a_body():
    missing = sorted(set(server_actions.ACTIONS) - set(ACTION_BODIES))
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

    keystone = FakeKeystone(httpserver)
    url = f"sqlite:///{tmp_path}/nova.sqlite"
    sync_db(url)
    config_dir.paste()
    # A's server is in an affinity group: upstream resizes such a member
    # only on its own host, with allow_resize_to_same_host.
    config_dir.write("nova.conf", "[DEFAULT]\nallow_resize_to_same_host = "
                     f"True\n[database]\nconnection = {url}\n"
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
    # A's second private flavor, to resize to
    as_admin_a("POST", "/flavors", {"flavor": {
        "name": "a-private-2", "ram": 1024, "vcpus": 1, "disk": 1,
        "id": "a-private-2", "os-flavor-access:is_public": False}})
    as_admin_a("POST", "/flavors/a-private-2/action",
               {"addTenantAccess": {"tenant": "project-a"}})
    as_admin_a("POST", "/flavors/a-private/os-extra_specs",
               {"extra_specs": {"hw:cpu_policy": "dedicated"}})
    resp = world.call("alice", "POST", "/os-keypairs", {"keypair": {
        "name": "alice-key", "public_key": ssh_key()}})
    assert resp.status_int == 201, resp.body
    resp = as_admin_a("PUT", "/os-quota-sets/project-a",
                      {"quota_set": A_QUOTAS})
    assert resp.status_int == 200, resp.body
    resp = world.call("alice", "POST", "/os-server-groups", {
        "server_group": {"name": "a-group", "policy": "affinity"}})
    assert resp.status_int == 200, resp.body
    group = resp.json["server_group"]["id"]
    resp = world.call("alice", "POST", "/servers", {"server": {
        "name": "a-server", "imageRef": IMAGE, "flavorRef": "a-private",
        "key_name": "alice-key", "networks": "auto",
        "metadata": {"owner": "alice"}, "tags": ["a-tag"]},
        "os:scheduler_hints": {"group": group}})
    assert resp.status_int == 202, resp.body
    server = resp.json["server"]["id"]
    with world.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE instances SET password = 'secret' "
                             "WHERE uuid = ?", (server,))
    resp = world.call("alice", "GET", f"/os-server-groups/{group}")
    assert resp.json["server_group"]["members"] == [server], resp.body
    # a resize (A's migration) and its confirmation, by alice
    resp = world.call("alice", "POST", f"/servers/{server}/action",
                      {"resize": {"flavorRef": "a-private-2"}})
    assert resp.status_int == 202, resp.body
    resp = world.call("alice", "POST", f"/servers/{server}/action",
                      {"confirmResize": None})
    assert resp.status_int == 204, resp.body  # as upstream
    resp = world.call("alice", "GET", f"/servers/{server}/os-instance-actions")
    request_ids = tuple(item["request_id"]
                        for item in resp.json["instanceActions"])
    assert len(request_ids) == 3, resp.body  # create, resize, confirm
    # a console of A's server: its token is A's too
    resp = world.call("alice", "POST", f"/servers/{server}/remote-consoles",
                      {"remote_console": {"protocol": "vnc",
                                          "type": "novnc"}})
    assert resp.status_int == 200, resp.body
    console_token = token_of(resp.json["remote_console"]["url"])
    resp = world.call("alice", "GET", f"/servers/{server}/os-interface")
    port = resp.json["interfaceAttachments"][0]["port_id"]
    resp = as_admin_a("GET", f"/servers/{server}")
    host = resp.json["server"]["OS-EXT-SRV-ATTR:host"]
    resp = as_admin_a("GET", f"/os-migrations?instance_uuid={server}")
    (migration,) = [m["id"] for m in resp.json["migrations"]]
    # the admin views register the configured hosts on first use
    resp = as_admin_a("GET", f"/os-services?host={host}")
    service = resp.json["services"][0]["id"]
    resp = as_admin_a("GET", f"/os-hypervisors?hypervisor_hostname_pattern"
                             f"={host}")
    hypervisor = resp.json["hypervisors"][0]["id"]
    resp = as_admin_a("POST", "/os-aggregates",
                      {"aggregate": {"name": "a-aggregate"}})
    assert resp.status_int == 200, resp.body
    aggregate = resp.json["aggregate"]["id"]
    resp = as_admin_a("POST", f"/os-aggregates/{aggregate}/action",
                      {"add_host": {"host": host}})
    assert resp.json["aggregate"]["hosts"] == [host], resp.body
    resp = as_admin_a("GET", "/os-networks", version="2.35")
    network = resp.json["networks"][0]["id"]
    world.ids = {"network": network, "server": server, "flavor": "a-private",
                 "image": PRIVATE_IMAGE, "public_key": ssh_key("planted"),
                 "group": group, "request_id": request_ids[0],
                 "request_ids": request_ids, "port": port,
                 "host": host, "service": service, "migration": migration,
                 "hypervisor": hypervisor, "aggregate": aggregate,
                 "console_token": console_token}
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
    if route.path == "/servers/{server_id}/action":
        for name in sorted(server_actions.ACTIONS):
            yield path, _fill(ACTION_BODIES[name], ids), version
        return
    yield path, _fill(probe.body, ids), version


_SECRETS = ("a-private", "alice-key", PRIVATE_IMAGE, "a-server", "a-group")
# A's quota set (numbers no default and no timestamp field holds)
A_QUOTAS = {"cores": 4217, "ram": 987651, "metadata_items": 313}


def _numbers(doc):
    """Every integer in a JSON document."""
    if isinstance(doc, dict):
        return [n for v in doc.values() for n in _numbers(v)]
    if isinstance(doc, list):
        return [n for v in doc for n in _numbers(v)]
    return [doc] if isinstance(doc, int) and not isinstance(
        doc, bool) else []


# The identifiers of A's objects a collection must not show.
_A_IDS = ("server", "group", "port")


def _leaks(resp, ids):
    """What of A's a response shows: names, ids, quota values."""
    text = resp.body.decode()
    shown = [s for s in _SECRETS + tuple(ids[k] for k in _A_IDS)
             + ids["request_ids"] if s in text]
    shown += [n for n in _numbers(resp.json) if n in A_QUOTAS.values()]
    return shown


@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_another_project_cannot_reach_project_a(setup, persona):
    world = setup
    before = _dump(world.engine)
    problems = []
    sent = 0
    for route in routes.ROUTES:
        entry = _probe(route)
        for probe in (entry,) + entry.variants:
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
                    leaked = _leaks(resp, world.ids)
                    if leaked:
                        problems.append(f"{where}: shows {leaked}")
                after = _dump(world.engine)
                changed = _diff(before, after)
                if changed:
                    problems.append(
                        f"{where}: changed the database: {changed}")
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
