"""Two admin features of a server through the whole pipeline: its
diagnostics (GET /servers/{id}/diagnostics, both formats) and the
os-resetState action, as upstream Nova 34 answers them and as tempest
checks them (admin.test_server_diagnostics(_negative), the reset-state
tests of admin.test_servers(_negative) and admin.test_delete_server).

2.48's documents are validated against tempest's response schema
(tempest/lib/api_schema/response/compute/v2_48/servers.py); before 2.48
the keys are compared with upstream's api-ref sample, whose free-form
dict is its libvirt driver's.
"""

import re
import time

import jsonschema
import pytest

from tests.helpers import (
    ADMIN,
    DEMO,
    IMAGE,
    OTHER,
    action,
    boot_id,
    fault,
    get,
    make_flavor,
    v,
)

_NULLABLE_INT = {"type": ["integer", "null"]}
_MAC = {"type": "string", "pattern": "(?:[a-f0-9]{2}:){5}[a-f0-9]{2}"}
TEMPEST_248 = {
    "type": "object",
    "properties": {
        "state": {"type": "string", "enum": [
            "pending", "running", "paused", "shutdown", "crashed",
            "suspended"]},
        "driver": {"type": "string", "enum": [
            "libvirt", "xenapi", "vmwareapi", "ironic", "hyperv"]},
        "hypervisor": {"type": ["string", "null"]},
        "hypervisor_os": {"type": ["string", "null"]},
        "uptime": _NULLABLE_INT,
        "config_drive": {"type": "boolean"},
        "num_cpus": {"type": "integer"},
        "num_nics": {"type": "integer"},
        "num_disks": {"type": "integer"},
        "memory_details": {
            "type": "object",
            "properties": {"maximum": _NULLABLE_INT, "used": _NULLABLE_INT},
            "additionalProperties": False,
            "required": ["maximum", "used"]},
        "cpu_details": {"type": "array", "items": {
            "type": "object",
            "properties": {n: _NULLABLE_INT
                           for n in ("id", "time", "utilisation")},
            "additionalProperties": False,
            "required": ["id", "time", "utilisation"]}},
        "nic_details": {"type": "array", "items": {
            "type": "object",
            "properties": {
                "mac_address": {"oneOf": [_MAC, {"type": "null"}]},
                **{n: _NULLABLE_INT for n in (
                    "rx_octets", "rx_errors", "rx_drop", "rx_packets",
                    "rx_rate", "tx_octets", "tx_errors", "tx_drop",
                    "tx_packets", "tx_rate")}},
            "additionalProperties": False,
            "required": ["mac_address", "rx_octets", "rx_errors", "rx_drop",
                         "rx_packets", "rx_rate", "tx_octets", "tx_errors",
                         "tx_drop", "tx_packets", "tx_rate"]}},
        "disk_details": {"type": "array", "items": {
            "type": "object",
            "properties": {n: _NULLABLE_INT for n in (
                "read_bytes", "read_requests", "write_bytes",
                "write_requests", "errors_count")},
            "additionalProperties": False,
            "required": ["read_bytes", "read_requests", "write_bytes",
                         "write_requests", "errors_count"]}}},
    "additionalProperties": False,
    "required": ["state", "driver", "hypervisor", "hypervisor_os", "uptime",
                 "config_drive", "num_cpus", "num_nics", "num_disks",
                 "memory_details", "cpu_details", "nic_details",
                 "disk_details"]}
# The keys of upstream's api-ref sample (os-server-diagnostics/
# server-diagnostics-get-resp.json), its NIC named vnet1.
SAMPLE_KEYS = {
    "cpu0_time", "memory", "vda_errors", "vda_read", "vda_read_req",
    "vda_write", "vda_write_req", "vnet1_rx", "vnet1_rx_drop",
    "vnet1_rx_errors", "vnet1_rx_packets", "vnet1_tx", "vnet1_tx_drop",
    "vnet1_tx_errors", "vnet1_tx_packets"}


def diagnostics(app, server, version="2.48", who=ADMIN, status=200):
    return app.get(f"/v2.1/servers/{server}/diagnostics",
                   headers=v(version, who), status=status)


def boot(app, name="vm", **server):
    server.setdefault("networks", "auto")
    return boot_id(app, name, version="2.37", **server)


def macs(app, server):
    return [i["mac_addr"] for i in app.get(
        f"/v2.1/servers/{server}/os-interface",
        headers=ADMIN).json["interfaceAttachments"]]


# -- diagnostics --------------------------------------------------------------

def test_diagnostics_2_48(cloud):
    """tempest: ServerDiagnosticsV248Test.test_get_server_diagnostics."""
    make_flavor(cloud, "m1.swap", ram=1024, vcpus=2, disk=2,
                flavor_id="swap", swap=512,
                **{"OS-FLV-EXT-DATA:ephemeral": 1})
    server = boot(cloud, flavorRef="swap", config_drive=True)
    resp = diagnostics(cloud, server)
    jsonschema.validate(resp.json, TEMPEST_248)
    found = resp.json
    uptime = found.pop("uptime")
    assert isinstance(uptime, int) and uptime >= 0
    assert found.pop("hypervisor_os")
    (mac,) = macs(cloud, server)
    assert found == {
        "state": "running", "driver": "libvirt", "hypervisor": "builtin",
        "config_drive": True, "num_cpus": 2, "num_nics": 1,
        "num_disks": 4,  # root, ephemeral, swap, config drive
        "cpu_details": [{"id": 0, "time": 0, "utilisation": None},
                        {"id": 1, "time": 0, "utilisation": None}],
        "nic_details": [{
            "mac_address": mac, "rx_octets": 0, "rx_errors": 0,
            "rx_drop": 0, "rx_packets": 0, "rx_rate": None, "tx_octets": 0,
            "tx_errors": 0, "tx_drop": 0, "tx_packets": 0,
            "tx_rate": None}],
        "disk_details": [{"read_bytes": 0, "read_requests": 0,
                          "write_bytes": 0, "write_requests": 0,
                          "errors_count": 0}] * 4,
        "memory_details": {"maximum": 1024, "used": 1024}}
    # No network, no config drive, no ephemeral or swap disk.
    bare = diagnostics(cloud, boot(cloud, "bare", networks="none")).json
    jsonschema.validate(bare, TEMPEST_248)
    assert (bare["num_nics"], bare["nic_details"], bare["num_disks"],
            bare["config_drive"], bare["num_cpus"],
            bare["memory_details"]) == \
        (0, [], 1, False, 1, {"maximum": 512, "used": 512})


def test_diagnostics_before_2_48(cloud):
    """tempest: ServerDiagnosticsTest.test_get_server_diagnostics."""
    server = boot(cloud)
    found = diagnostics(cloud, server, "2.47").json
    assert found == diagnostics(cloud, server, "2.1").json
    # upstream's sample's keys, its NIC vnet1 where ours is vnet0; and
    # libvirt's memory statistics
    assert set(found) == {key.replace("vnet1", "vnet0")
                          for key in SAMPLE_KEYS} | {"memory-actual",
                                                     "memory-rss"}
    assert found["memory"] == found["memory-actual"] == 512 * 1024
    assert all(isinstance(value, int) for value in found.values())
    two = make_flavor(cloud, "m1.two", vcpus=2, flavor_id="two")
    found = diagnostics(cloud, boot(cloud, flavorRef=two["id"]), "2.1").json
    assert {k for k in found if re.fullmatch(r"cpu\d+_time", k)} == \
        {"cpu0_time", "cpu1_time"}


def test_diagnostics_of_a_server_that_is_not_running(cloud):
    server = boot(cloud)
    for body, state in (({"os-stop": None}, "shutdown"),
                        ({"os-start": None}, None),
                        ({"pause": None}, "paused"),
                        ({"unpause": None}, None),
                        ({"suspend": None}, "shutdown")):
        action(cloud, server, body)
        if state is None:
            diagnostics(cloud, server)
            continue
        for version in ("2.1", "2.48"):
            resp = diagnostics(cloud, server, version, status=409)
            assert fault(resp, "conflictingRequest", 409) == (
                f"Cannot 'get_diagnostics' instance {server} while it is "
                f"in power state {state}")
    action(cloud, server, {"resume": None})
    action(cloud, server, {"shelve": None})  # offloaded at once: no host
    assert get(cloud, server)["status"] == "SHELVED_OFFLOADED"
    resp = diagnostics(cloud, server, status=409)
    assert fault(resp, "conflictingRequest", 409) == \
        f"Instance {server} is not ready"


def test_diagnostics_of_a_building_server(slow):
    server = boot_id(slow, "b", version="2.37", networks="none")
    resp = diagnostics(slow, server, status=409)
    assert fault(resp, "conflictingRequest", 409) == (
        f"Cannot 'get_diagnostics' instance {server} while it is in power "
        "state pending")


def test_diagnostics_policy_and_query(cloud):
    """tempest: test_get_server_diagnostics_by_non_admin."""
    server = boot_id(cloud, "mine", version="2.37", who=DEMO,
                     networks="none")
    resp = diagnostics(cloud, server, who=DEMO, status=403)
    assert fault(resp, "forbidden", 403) == (
        "Policy doesn't allow os_compute_api:os-server-diagnostics to be "
        "performed.")
    resp = diagnostics(cloud, server, who=OTHER, status=404)
    assert fault(resp, "itemNotFound", 404) == \
        f"Instance {server} could not be found."
    missing = "9c8a3b4e-1111-4222-8333-444455556666"
    diagnostics(cloud, missing, status=404)
    # Unknown query parameters: ignored until 2.101, refused from 2.102.
    cloud.get(f"/v2.1/servers/{server}/diagnostics?x=1", headers=v("2.101"))
    cloud.get(f"/v2.1/servers/{server}/diagnostics?x=1", headers=v("2.102"),
              status=400)


# -- os-resetState ------------------------------------------------------------

def reset(app, server, state, who=ADMIN, status=202):
    return action(app, server, {"os-resetState": {"state": state}},
                  who=who, status=status)


def test_reset_state(cloud):
    """tempest: ServersAdminTestJSON.test_reset_state_server,
    test_list_servers_filter_by_error_status."""
    server, other = boot(cloud), boot(cloud, "other")
    resp = reset(cloud, server, "error")
    assert resp.body == b""
    assert get(cloud, server)["status"] == "ERROR"
    listed = cloud.get("/v2.1/servers?status=error",
                       headers=ADMIN).json["servers"]
    assert [s["id"] for s in listed] == [server]
    reset(cloud, server, "active")
    shown = get(cloud, server, "2.1")
    assert (shown["status"], shown["OS-EXT-STS:task_state"],
            shown["OS-EXT-STS:vm_state"], shown["OS-EXT-STS:power_state"]) \
        == ("ACTIVE", None, "active", 1)
    assert get(cloud, other)["status"] == "ACTIVE"
    actions = cloud.get(f"/v2.1/servers/{server}/os-instance-actions",
                        headers=ADMIN).json["instanceActions"]
    assert [a["action"] for a in actions][:2] == ["resetState", "resetState"]
    request_id = actions[0]["request_id"]
    shown = cloud.get(
        f"/v2.1/servers/{server}/os-instance-actions/{request_id}",
        headers=ADMIN).json["instanceAction"]
    assert shown["events"] == []  # upstream records no event either


def test_servers_in_error_rebuild_and_delete(cloud):
    """tempest: test_rebuild_server_in_error_state,
    test_delete_server_while_in_error_state."""
    server = boot_id(cloud, "mine", version="2.37", who=DEMO,
                     networks="none")
    reset(cloud, server, "error")
    action(cloud, server, {"rebuild": {"imageRef": IMAGE}}, who=DEMO)
    assert get(cloud, server, who=DEMO)["status"] == "ACTIVE"
    reset(cloud, server, "error")
    cloud.delete(f"/v2.1/servers/{server}", headers=DEMO, status=204)
    cloud.get(f"/v2.1/servers/{server}", headers=DEMO, status=404)


@pytest.mark.parametrize("body", [
    {"state": "invalid"}, {"state": 1}, {"state": "ACTIVE"}, {},
    {"state": "error", "extra": 1}, None], ids=[
    "invalid", "number", "upper", "empty", "extra", "null"])
def test_reset_state_bad_bodies(cloud, body):
    """tempest: test_reset_state_server_invalid_state, _invalid_type."""
    server = boot(cloud)
    resp = action(cloud, server, {"os-resetState": body}, status=400)
    assert fault(resp, "badRequest", 400)
    assert get(cloud, server)["status"] == "ACTIVE"


def test_reset_state_of_missing_and_forbidden_servers(cloud):
    """tempest: test_reset_state_server_nonexistent_server."""
    resp = reset(cloud, "999", "error", status=404)
    assert fault(resp, "itemNotFound", 404) == \
        "Instance 999 could not be found."
    server = boot_id(cloud, "mine", version="2.37", who=DEMO,
                     networks="none")
    resp = reset(cloud, server, "error", who=DEMO, status=403)
    assert fault(resp, "forbidden", 403) == (
        "Policy doesn't allow os_compute_api:os-admin-actions:reset_state "
        "to be performed.")
    reset(cloud, server, "error", who=OTHER, status=404)
    # A lock does not stop the admin's override.
    action(cloud, server, {"lock": None}, who=DEMO)
    reset(cloud, server, "error")
    assert get(cloud, server)["status"] == "ERROR"


def test_reset_calls_off_a_pending_transition(slow):
    server = boot_id(slow, "b", version="2.37", networks="none")
    assert get(slow, server)["status"] == "BUILD"
    reset(slow, server, "error")
    shown = get(slow, server)
    # The hypervisor's part is done: the guest runs; the server stays
    # ERROR after the build time.
    assert (shown["status"], shown["OS-EXT-STS:power_state"]) == ("ERROR", 1)
    time.sleep(0.5)
    assert get(slow, server)["status"] == "ERROR"
    reset(slow, server, "active")
    diagnostics(slow, server)  # running
    action(slow, server, {"os-stop": None})
    assert get(slow, server)["OS-EXT-STS:task_state"] == "powering-off"
    reset(slow, server, "active")
    time.sleep(0.4)
    shown = get(slow, server)
    assert (shown["status"], shown["OS-EXT-STS:power_state"]) == \
        ("ACTIVE", 4)


@pytest.fixture
def resizing(make_cloud):
    """Two hosts, resizes confirmed automatically after a second, shelved
    servers offloaded after a second."""
    return make_cloud("h1:nova:4:4096:40, h2:nova:4:4096:40",
                      default_options="""
        resize_confirm_window = 1
        shelved_offload_time = 1
        """)


def _used_ram(app):
    return {h["hypervisor_hostname"]: h["memory_mb_used"] for h in app.get(
        "/v2.1/os-hypervisors/detail", headers=ADMIN).json["hypervisors"]}


def test_reset_ends_a_resize_and_later_steps(resizing):
    app = resizing
    server = boot(app, networks="none")
    source = get(app, server)["OS-EXT-SRV-ATTR:host"]
    action(app, server, {"resize": {"flavorRef": "2"}})
    dest = get(app, server)["OS-EXT-SRV-ATTR:host"]
    assert _used_ram(app) == {source: 512, dest: 1024}
    reset(app, server, "active")
    shown = get(app, server)
    assert (shown["status"], shown["OS-EXT-SRV-ATTR:host"],
            shown["flavor"]["id"]) == ("ACTIVE", dest, "2")
    # The source holds nothing for a revert any more; the migration is
    # in error, as upstream's automatic confirmation leaves it.
    assert _used_ram(app) == {source: 0, dest: 1024}
    (migration,) = app.get("/v2.1/os-migrations",
                           headers=ADMIN).json["migrations"]
    assert migration["status"] == "error"
    action(app, server, {"confirmResize": None}, status=409)
    # A shelved server reset to active is not offloaded later.
    action(app, server, {"shelve": None})
    reset(app, server, "active")
    time.sleep(1.1)
    shown = get(app, server)
    assert (shown["status"], shown["OS-EXT-SRV-ATTR:host"]) == \
        ("ACTIVE", dest)


@pytest.fixture
def any_db(db_url, make_cloud):
    """Two hosts, no delays, on each database in turn."""
    return make_cloud("h1:nova:4:4096:40, h2:nova:4:4096:40", url=db_url)


def test_diagnostics_and_reset_on_each_backend(any_db):
    app = any_db
    server = boot(app)
    found = diagnostics(app, server).json
    assert (found["num_nics"], found["nic_details"][0]["mac_address"]) == \
        (1, macs(app, server)[0])
    action(app, server, {"resize": {"flavorRef": "2"}})
    reset(app, server, "error")
    assert get(app, server)["status"] == "ERROR"
    (migration,) = app.get("/v2.1/os-migrations",
                           headers=ADMIN).json["migrations"]
    assert migration["status"] == "error"
    assert sorted(_used_ram(app).values()) == [0, 1024]


# -- injectNetworkInfo --------------------------------------------------------

def test_inject_network_info(cloud):
    """An admin's action: 202 with no body, nothing recorded or changed
    (upstream casts it to the host); 403 for a member, 404 for a server
    that does not exist; an owner's lock does not stop the admin."""
    server = boot_id(cloud, "mine", version="2.37", who=DEMO,
                     networks="none")
    before = get(cloud, server, "latest")
    action(cloud, server, {"lock": None}, who=DEMO)
    for value in (None, {}):
        resp = action(cloud, server, {"injectNetworkInfo": value})
        assert resp.body == b""
    after = get(cloud, server, "latest")
    assert {k: after[k] for k in ("status", "updated", "addresses")} == \
        {k: before[k] for k in ("status", "updated", "addresses")}
    actions = cloud.get(f"/v2.1/servers/{server}/os-instance-actions",
                        headers=ADMIN).json["instanceActions"]
    assert [a["action"] for a in actions] == ["lock", "create"]
    resp = action(cloud, server, {"injectNetworkInfo": None}, who=DEMO,
                  status=403)
    assert fault(resp, "forbidden", 403) == (
        "Policy doesn't allow os_compute_api:os-admin-actions:"
        "inject_network_info to be performed.")
    resp = action(cloud, "9c8a3b4e-1111-4222-8333-444455556666",
                  {"injectNetworkInfo": None}, status=404)
    fault(resp, "itemNotFound", 404)
