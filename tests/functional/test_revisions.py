"""No write of a server leaves a stale view behind.

The compute API keeps each server's rendered view by its revisions
(``nova.api.compute.render_cache``), the metadata API keeps what a guest
reads by its revision: both are right only if every write that changes
what they show moves the server's revisions (``nova.db.revisions``).

Here every write route under ``/servers/{server_id}``, every server action
and the metadata API's password POST are performed on a server whose views
both apps have rendered (and kept) before. Afterwards, what the apps show
must equal what fresh apps (nothing kept) render: the server at several
microversions, the detailed list, and the guest's ``meta_data.json``. A
writer that changed a view without moving the revisions fails here, and
so does a write route or action that has no scenario below. External
events (os-server-external-events) write servers too: each event name
has its scenario.
"""

import pytest
import sqlalchemy as sa

from nova import loading
from nova.api.compute import routes
from nova.api.compute.handlers import server_actions
from nova.compute import external_events
from tests.helpers import (
    ADMIN,
    IMAGE,
    boot_id,
    make_flavor,
    v,
    write_compute_config,
)

VERSIONS = ("2.1", "2.26", "2.73", "latest")


def _act(body, version="2.1"):
    """A write: POST the action ``body`` to the server."""
    def write(apps, server_id):
        apps.compute.post_json(f"/v2.1/servers/{server_id}/action", body,
                               headers=v(version))
    return write


def _refused(body, status):
    """An action this deployment refuses (``status``): it writes nothing
    (add/removeFloatingIp without Neutron: no floating IPs)."""
    def write(apps, server_id):
        apps.compute.post_json(f"/v2.1/servers/{server_id}/action", body,
                               headers=v("2.1"), status=status)
    return write


def _call(method, suffix, body=None, version="2.1"):
    """A write: ``method`` on /servers/{id}``suffix``, with a JSON body."""
    def write(apps, server_id):
        url = f"/v2.1/servers/{server_id}{suffix}"
        if body is None:
            getattr(apps.compute, method)(url, headers=v(version))
        else:
            getattr(apps.compute, method + "_json")(url, body,
                                                    headers=v(version))
    return write


def _event(name, tag=None):
    """A write: the external event ``name`` about the server (as a service
    would send it); ``tag`` a value or a function of (apps, server_id)."""
    def write(apps, server_id):
        event = {"name": name, "server_uuid": server_id}
        if tag is not None:
            event["tag"] = tag(apps, server_id) if callable(tag) else tag
        resp = apps.compute.post_json("/v2.1/os-server-external-events",
                                      {"events": [event]},
                                      headers=v("latest"))
        assert resp.json["events"][0]["code"] == 200
    return write


def _live(apps, server_id):
    """Start a live migration of the server (to the other host)."""
    apps.compute.post_json(f"/v2.1/servers/{server_id}/action", {
        "os-migrateLive": {"host": None, "block_migration": "auto"}},
        headers=v("2.25"))


def _on_migration(method, suffix="", body=None, version="2.24"):
    """A write: ``method`` on the server's live migration in progress
    (/servers/{id}/migrations/{migration_id}``suffix``)."""
    def write(apps, server_id):
        base = f"/v2.1/servers/{server_id}/migrations"
        (migration,) = apps.compute.get(base, headers=v("2.23")).json[
            "migrations"]
        url = f"{base}/{migration['id']}{suffix}"
        if body is None:
            getattr(apps.compute, method)(url, headers=v(version))
        else:
            getattr(apps.compute, method + "_json")(url, body,
                                                    headers=v(version))
    return write


def _port(apps, server_id):
    return apps.compute.get(f"/v2.1/servers/{server_id}/os-interface",
                            headers=ADMIN).json[
        "interfaceAttachments"][0]["port_id"]


def _password(apps, server_id):
    """A write of the metadata API: the guest posts its password."""
    ip = apps.address(server_id)
    apps.metadata.post("/openstack/latest/password", "secret",
                       extra_environ={"REMOTE_ADDR": ip})


_OK = {"reboot": {"type": "SOFT"}}

# key -> (the writes that bring the server to the state it needs, the
# write under test). Keys: (method, path) of a route, ("action", name),
# ("metadata", "password").
SCENARIOS = {
    ("PUT", "/servers/{server_id}"): (
        [], _call("put", "", {"server": {"name": "renamed",
                                         "description": "d"}}, "2.19")),
    ("DELETE", "/servers/{server_id}"): ([], _call("delete", "")),
    ("POST", "/servers/{server_id}/metadata"): (
        [], _call("post", "/metadata", {"metadata": {"a": "1"}})),
    ("PUT", "/servers/{server_id}/metadata"): (
        [_call("post", "/metadata", {"metadata": {"a": "1"}})],
        _call("put", "/metadata", {"metadata": {"b": "2"}})),
    ("PUT", "/servers/{server_id}/metadata/{key}"): (
        [], _call("put", "/metadata/k", {"meta": {"k": "v"}})),
    ("DELETE", "/servers/{server_id}/metadata/{key}"): (
        [_call("post", "/metadata", {"metadata": {"k": "v"}})],
        _call("delete", "/metadata/k")),
    ("PUT", "/servers/{server_id}/tags"): (
        [], _call("put", "/tags", {"tags": ["x", "y"]}, "2.26")),
    ("DELETE", "/servers/{server_id}/tags"): (
        [_call("put", "/tags", {"tags": ["x"]}, "2.26")],
        _call("delete", "/tags", version="2.26")),
    ("PUT", "/servers/{server_id}/tags/{tag}"): (
        [], _call("put", "/tags/t1", version="2.26")),
    ("DELETE", "/servers/{server_id}/tags/{tag}"): (
        [_call("put", "/tags/t1", version="2.26")],
        _call("delete", "/tags/t1", version="2.26")),
    ("DELETE", "/servers/{server_id}/os-server-password"): (
        [_password], _call("delete", "/os-server-password")),
    ("metadata", "password"): ([], _password),
    ("action", "reboot"): ([], _act(_OK)),
    ("action", "os-stop"): ([], _act({"os-stop": None})),
    ("action", "os-start"): ([_act({"os-stop": None})],
                             _act({"os-start": None})),
    ("action", "pause"): ([], _act({"pause": None})),
    ("action", "unpause"): ([_act({"pause": None})],
                            _act({"unpause": None})),
    ("action", "suspend"): ([], _act({"suspend": None})),
    ("action", "resume"): ([_act({"suspend": None})],
                           _act({"resume": None})),
    ("action", "lock"): ([], _act({"lock": {"locked_reason": "why"}},
                                  "2.73")),
    ("action", "unlock"): ([_act({"lock": None})], _act({"unlock": None})),
    ("action", "rebuild"): ([], _act({"rebuild": {
        "imageRef": IMAGE, "name": "rebuilt", "metadata": {"r": "1"}}})),
    ("action", "resize"): ([], _act({"resize": {"flavorRef": "2"}})),
    ("action", "confirmResize"): ([_act({"resize": {"flavorRef": "2"}})],
                                  _act({"confirmResize": None})),
    ("action", "revertResize"): ([_act({"resize": {"flavorRef": "2"}})],
                                 _act({"revertResize": None})),
    ("action", "migrate"): ([], _act({"migrate": None})),
    ("action", "os-migrateLive"): ([], _live),
    ("POST", "/servers/{server_id}/migrations/{migration_id}/action"): (
        [_live], _on_migration("post", "/action", {"force_complete": None},
                               "2.22")),
    ("DELETE", "/servers/{server_id}/migrations/{migration_id}"): (
        [_live], _on_migration("delete")),
    ("action", "createImage"): ([], _act({"createImage": {"name": "s"}})),
    ("action", "createBackup"): ([], _act({"createBackup": {
        "name": "b", "backup_type": "daily", "rotation": 1}})),
    ("action", "os-getConsoleOutput"): (
        [], _act({"os-getConsoleOutput": {"length": 5}})),
    ("action", "changePassword"): (
        [], _act({"changePassword": {"adminPass": "pw"}})),
    ("action", "shelve"): ([], _act({"shelve": None})),
    ("action", "shelveOffload"): ([_act({"shelve": None})],
                                  _act({"shelveOffload": None})),
    ("action", "unshelve"): ([_act({"shelve": None})],
                             _act({"unshelve": None})),
    ("action", "rescue"): ([], _act({"rescue": None})),
    ("action", "unrescue"): ([_act({"rescue": None})],
                             _act({"unrescue": None})),
    ("action", "trigger_crash_dump"): (
        [], _act({"trigger_crash_dump": None}, "2.17")),
    ("action", "forceDelete"): ([], _act({"forceDelete": None})),
    ("action", "restore"): ([_call("delete", "")], _act({"restore": None})),
    ("action", "os-resetState"): (
        [], _act({"os-resetState": {"state": "error"}})),
    ("action", "injectNetworkInfo"): (
        [], _act({"injectNetworkInfo": None})),
    # A console writes its token, nothing of the server.
    ("POST", "/servers/{server_id}/remote-consoles"): (
        [], _call("post", "/remote-consoles", {"remote_console": {
            "protocol": "vnc", "type": "novnc"}}, "2.6")),
    ("action", "os-getVNCConsole"): (
        [], _act({"os-getVNCConsole": {"type": "novnc"}})),
    ("action", "os-getSPICEConsole"): (
        [], _act({"os-getSPICEConsole": {"type": "spice-html5"}})),
    ("action", "os-getSerialConsole"): (
        [], _act({"os-getSerialConsole": {"type": "serial"}})),
    ("action", "removeSecurityGroup"): (
        [], _act({"removeSecurityGroup": {"name": "default"}})),
    ("action", "addSecurityGroup"): (
        [_act({"removeSecurityGroup": {"name": "default"}})],
        _act({"addSecurityGroup": {"name": "default"}})),
    ("action", "addFloatingIp"): (
        [], _refused({"addFloatingIp": {"address": "172.24.4.10"}}, 404)),
    ("action", "removeFloatingIp"): (
        [], _refused({"removeFloatingIp": {"address": "172.24.4.10"}},
                     404)),
    ("event", "network-changed"): ([], _event("network-changed")),
    ("event", "network-vif-plugged"): ([], _event("network-vif-plugged")),
    ("event", "network-vif-unplugged"): ([],
                                         _event("network-vif-unplugged")),
    ("event", "network-vif-deleted"): (
        [], _event("network-vif-deleted", _port)),
    ("event", "volume-extended"): ([], _event("volume-extended", "vol")),
    ("event", "power-update"): ([], _event("power-update", "POWER_OFF")),
    ("event", "accelerator-request-bound"): (
        [], _event("accelerator-request-bound", "arq")),
    ("event", "volume-reimaged"): ([], _event("volume-reimaged", "vol")),
}


def _write_routes():
    """(method, path) of every route that writes a server (a gone route,
    410 whoever asks, writes nothing)."""
    return {(r.method, r.path) for r in routes.ROUTES
            if r.method in ("POST", "PUT", "DELETE")
            and r.path.startswith("/servers/{server_id}")
            and r.path != "/servers/{server_id}/action"
            and not r.gone}  # 410 for everyone: they write nothing


def test_every_write_of_a_server_has_a_scenario():
    wanted = _write_routes() | {("action", name)
                                for name in server_actions.ACTIONS}
    wanted.add(("metadata", "password"))
    wanted |= {("event", name) for name in external_events.SINCE}
    # Interface attach/detach write only with [neutron] (501 otherwise).
    covered = set(SCENARIOS) | {k for k in NEUTRON_SCENARIOS
                                if k[0] != "neutron"}
    assert not wanted - covered, "writes without a scenario"
    assert not covered - wanted, "scenarios of no write"


class Apps:
    """The compute and metadata apps of one config directory; ``fresh()``
    gives a pair that has rendered nothing yet."""

    def __init__(self, config_dir, monkeypatch):
        self.config_dir = config_dir
        self.monkeypatch = monkeypatch
        self.compute = self._load("osapi_compute")
        self.metadata = self._load("metadata")

    def _load(self, api):
        # One API per process: these tests are the exception.
        self.monkeypatch.setattr(loading, "_loaded_api", None)
        return self.config_dir.testapp(api)

    def fresh(self):
        return Apps(self.config_dir, self.monkeypatch)

    def address(self, server_id):
        view = self.compute.get(f"/v2.1/servers/{server_id}",
                                headers=ADMIN).json["server"]
        return next(a["addr"] for addrs in view["addresses"].values()
                    for a in addrs)

    def views(self, server_id, ip):
        """Everything the apps show of the server."""
        shown = {}
        for version in VERSIONS:
            # Parsed: a view whose state fields were spliced in (after a
            # state-only change) has them last, the same object.
            resp = self.compute.get(f"/v2.1/servers/{server_id}",
                                    headers=v(version), status="*")
            shown[("show", version)] = (resp.status_int, resp.json)
            resp = self.compute.get("/v2.1/servers/detail",
                                    headers=v(version))
            shown[("detail", version)] = resp.json
        if ip is not None:
            resp = self.metadata.get("/openstack/latest/meta_data.json",
                                     extra_environ={"REMOTE_ADDR": ip},
                                     status="*")
            body = resp.json if resp.status_int == 200 else resp.text
            if isinstance(body, dict):
                body.pop("random_seed")  # new on every rendering
            shown["meta_data.json"] = (resp.status_int, body)
        return shown


# The writes to a live migration still running: their actions take time.
_IN_PROGRESS = {
    ("POST", "/servers/{server_id}/migrations/{migration_id}/action"),
    ("DELETE", "/servers/{server_id}/migrations/{migration_id}")}


@pytest.fixture
def apps(config_dir, tmp_path, make_image, monkeypatch, request):
    """Two hosts (resize and the migrations move a server), soft delete
    (restore), shelve without offload (shelveOffload, unshelve from
    SHELVED), SPICE and serial consoles on, and a driver that takes no
    time (but for the scenarios of ``_IN_PROGRESS``)."""
    callspec = getattr(request.node, "callspec", None)
    key = callspec.params.get("key") if callspec else None
    write_compute_config(config_dir, tmp_path, f"""
        hosts = compute1:nova:16:32768:1000, compute2:nova:16:32768:1000
        build_time = 0
        action_time = {60 if key in _IN_PROGRESS else 0}
        [spice]
        enabled = true
        [serial_console]
        enabled = true
        """, default_options="""
        reclaim_instance_interval = 3600
        shelved_offload_time = -1
        """)
    pair = Apps(config_dir, monkeypatch)
    make_image("cirros", image_id=IMAGE)
    make_flavor(pair.compute, "m1.tiny", flavor_id="1")
    make_flavor(pair.compute, "m1.small", ram=1024, flavor_id="2")
    return pair


def _boot(apps):
    server_id = boot_id(apps.compute)
    return server_id, apps.address(server_id)


def _stale(apps, server_id, ip):
    """What the apps show that fresh apps do not: {what: (kept, fresh)}."""
    kept = apps.views(server_id, ip)
    fresh = apps.fresh().views(server_id, ip)
    return {what: (kept[what], fresh[what]) for what in kept
            if kept[what] != fresh[what]}


@pytest.mark.parametrize("key", sorted(SCENARIOS, key=repr),
                         ids=lambda key: " ".join(key))
def test_a_write_leaves_no_stale_view(apps, key):
    prepare, write = SCENARIOS[key]
    server_id, ip = _boot(apps)
    for step in prepare:
        step(apps, server_id)
    before = apps.views(server_id, ip)  # rendered and kept by both apps
    write(apps, server_id)
    assert not _stale(apps, server_id, ip)
    # The scenario did write something a client sees (or a record only).
    assert apps.views(server_id, ip) != before or key in _UNSEEN


# Writes that change nothing the compared views show: console output is a
# read with a record, a snapshot is an image and a record, the password
# is read at its own URL, a reboot that takes no time leaves the server as
# it was (but for "updated", in whole seconds), injectNetworkInfo has
# nothing to do with the built-in driver.
_UNSEEN = {("action", "os-getConsoleOutput"), ("action", "createImage"),
           ("action", "createBackup"),
           ("action", "reboot"),
           ("action", "trigger_crash_dump"), ("metadata", "password"),
           ("DELETE", "/servers/{server_id}/os-server-password"),
           ("action", "changePassword"),
           ("action", "injectNetworkInfo"),  # nothing to refresh here
           # no floating IPs without Neutron: refused, nothing written
           ("action", "addFloatingIp"), ("action", "removeFloatingIp"),
           # a console: a token, nothing of the server
           ("POST", "/servers/{server_id}/remote-consoles"),
           ("action", "os-getVNCConsole"), ("action", "os-getSPICEConsole"),
           ("action", "os-getSerialConsole"),
           # events that change nothing here (a record at most)
           *((("event", name) for name in (
               "network-changed", "network-vif-plugged",
               "network-vif-unplugged", "volume-extended",
               "accelerator-request-bound", "volume-reimaged")))}


_AUTO = {"OS-DCF:diskConfig": "AUTO"}

# The writes that change only a server's disk config (OS-DCF:diskConfig):
# (the writes before, the write under test, the value it leaves).
DISK_CONFIG_SCENARIOS = {
    "update": ([], _call("put", "", {"server": _AUTO}), "AUTO"),
    "update back": ([_call("put", "", {"server": _AUTO})],
                    _call("put", "", {"server": {
                        "OS-DCF:diskConfig": "MANUAL"}}), "MANUAL"),
    "rebuild": ([], _act({"rebuild": {"imageRef": IMAGE, **_AUTO}}),
                "AUTO"),
    "rebuild to the image's": (
        [_call("put", "", {"server": _AUTO})],
        _act({"rebuild": {"imageRef": IMAGE}}), "MANUAL"),
    "resize": ([], _act({"resize": {"flavorRef": "2", **_AUTO}}), "AUTO"),
    "migrate": ([_call("put", "", {"server": _AUTO})],
                _act({"migrate": None}), "MANUAL"),
}


@pytest.mark.parametrize("name", sorted(DISK_CONFIG_SCENARIOS))
def test_a_disk_config_write_leaves_no_stale_view(apps, name):
    prepare, write, shown = DISK_CONFIG_SCENARIOS[name]
    server_id, ip = _boot(apps)
    for step in prepare:
        step(apps, server_id)
    before = apps.views(server_id, ip)
    write(apps, server_id)
    assert not _stale(apps, server_id, ip)
    after = apps.views(server_id, ip)
    for version in VERSIONS:
        assert before[("show", version)][1]["server"][
            "OS-DCF:diskConfig"] != shown
        assert after[("show", version)][1]["server"][
            "OS-DCF:diskConfig"] == shown
        assert after[("detail", version)]["servers"][0][
            "OS-DCF:diskConfig"] == shown


def test_a_writer_that_skips_the_revisions_is_caught(apps):
    """The positive control: a change of the name written behind the
    revisions' back leaves the kept views stale, and _stale says so."""
    server_id, ip = _boot(apps)
    apps.views(server_id, ip)
    engine = sa.create_engine(apps.config_dir.db_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(
                "UPDATE instances SET display_name = 'sneaky' "
                "WHERE uuid = :uuid"), {"uuid": server_id})
    finally:
        engine.dispose()
    stale = _stale(apps, server_id, ip)
    assert ("show", "2.1") in stale and "meta_data.json" in stale


# -- with [neutron]: the network info cache ----------------------------------

def _n_attach(cloud, server_id):
    cloud.app.post_json(f"/v2.1/servers/{server_id}/os-interface",
                        {"interfaceAttachment": {"net_id": cloud.net["id"]}},
                        headers=cloud.admin)


def _n_detach(cloud, server_id):
    port, = cloud.neutron.ports_of(server_id)
    cloud.app.delete(f"/v2.1/servers/{server_id}/os-interface/{port['id']}",
                     headers=cloud.admin)


def _n_event(name, before=None):
    def write(cloud, server_id):
        port, = cloud.neutron.ports_of(server_id)
        if before is not None:
            before(cloud, port)
        resp = cloud.app.post_json("/v2.1/os-server-external-events", {
            "events": [{"name": name, "server_uuid": server_id,
                        "tag": port["id"]}]}, headers=cloud.service)
        assert resp.json["events"][0]["code"] == 200
    return write


def _n_floating(cloud, port):
    public = cloud.neutron.add_network("public", "admin", external=True,
                                       cidr="172.24.4.0/24")
    cloud.neutron._add_floating(cloud.neutron._caller_for("demo"), {
        "floating_network_id": public["id"], "project_id": "demo",
        "port_id": port["id"]})


def _n_gone(cloud, port):
    cloud.neutron.store["ports"].pop(port["id"])


def _n_plug(cloud, port):
    cloud.neutron.activate(port["id"])


# key -> (binding of the fake Neutron at create, the write under test)
NEUTRON_SCENARIOS = {
    ("POST", "/servers/{server_id}/os-interface"): ("active", _n_attach),
    ("DELETE", "/servers/{server_id}/os-interface/{port_id}"): (
        "active", _n_detach),
    ("neutron", "network-changed"): (
        "active", _n_event("network-changed", _n_floating)),
    ("neutron", "network-vif-deleted"): (
        "active", _n_event("network-vif-deleted", _n_gone)),
    ("neutron", "network-vif-plugged"): (
        "deferred", _n_event("network-vif-plugged", _n_plug)),
}


@pytest.mark.parametrize("key", sorted(NEUTRON_SCENARIOS, key=repr),
                         ids=lambda key: " ".join(key))
def test_a_neutron_write_leaves_no_stale_view(config_dir, tmp_path,
                                              make_image, httpserver,
                                              monkeypatch, key):
    from tests.functional.neutron_cloud import NeutronCloud

    bind, write = NEUTRON_SCENARIOS[key]
    cloud = NeutronCloud(config_dir, tmp_path, make_image, httpserver)
    try:
        cloud.neutron.bind = bind
        server_id = boot_id(cloud.app, version="2.37", who=cloud.member,
                            networks="auto")

        def views(app):
            return {(what, version): app.get(
                f"/v2.1/servers{what}", headers=v(version, cloud.admin)).json
                for version in VERSIONS
                for what in (f"/{server_id}", "/detail")}

        before = views(cloud.app)
        write(cloud, server_id)
        kept = views(cloud.app)
        monkeypatch.setattr(loading, "_loaded_api", None)
        fresh = views(config_dir.testapp())
        assert kept == fresh
        assert kept != before
    finally:
        cloud.close()
