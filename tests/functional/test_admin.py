"""The admin views through the whole pipeline: os-services, os-hypervisors,
os-aggregates, os-availability-zone and os-simple-tenant-usage.

Shapes are compared with upstream Nova 34's samples; each microversion
boundary is shown before and after; non-admins get upstream's 403; and the
built-in driver's placement honours disabled and forced-down hosts and the
zones aggregates give their hosts. The SQL that is not trivial (a host's
zone from its aggregates, usage windows and markers) runs on SQLite,
MariaDB and PostgreSQL.
"""

import datetime
import functools
import json
import re
import uuid

import pytest

from tests.helpers import (
    ADMIN,
    DEMO,
    IMAGE,
    boot_id,
    fault,
    get,
    make_flavor,
    sample,
    v,
    write_compute_config,
)

TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}"

# The boots of this module: the new server's id, at 2.37 without a
# network, any 2xx taken.
boot = functools.partial(boot_id, version="2.37", status=None,
                         networks="none")


def forbidden(resp, rule):
    assert fault(resp, "forbidden", 403) == \
        f"Policy doesn't allow {rule} to be performed."


def host_of(app, server_id):
    return get(app, server_id, "2.16")["OS-EXT-SRV-ATTR:host"]


def services(app, version="2.1", query=""):
    return app.get(f"/v2.1/os-services{query}",
                   headers=v(version)).json["services"]


def zones(app, detail=False, version="2.1"):
    path = "/v2.1/os-availability-zone" + ("/detail" if detail else "")
    return app.get(path, headers=v(version)).json["availabilityZoneInfo"]


def _cloud(config_dir, tmp_path, make_image, hosts, url=None):
    write_compute_config(config_dir, tmp_path, f"""
        hosts = {hosts}
        build_time = 0
        action_time = 0
        """, url=url)
    app = config_dir.testapp()
    make_image("cirros", image_id=IMAGE)
    make_flavor(app, "m1.tiny", ram=512, vcpus=1, disk=1, flavor_id="1")
    return app


@pytest.fixture
def one(config_dir, tmp_path, make_image):
    """The default host (compute1 in zone nova)."""
    return _cloud(config_dir, tmp_path, make_image,
                  "compute1:nova:16:32768:1000")


@pytest.fixture
def two(config_dir, tmp_path, make_image):
    """h1 (az1) and h2 (az2), 2 vCPUs (x4), 2048 MB, 10 GB each."""
    return _cloud(config_dir, tmp_path, make_image,
                  "h1:az1:2:2048:10, h2:az2:2:2048:10")


# -- os-services --------------------------------------------------------------

def test_services_list_matches_sample(one):
    _status, _headers, body = sample("services")
    listed = services(one)
    assert [list(s) for s in listed] == [list(body["services"][0])]
    (svc,) = listed
    assert {k: svc[k] for k in ("binary", "host", "zone", "status", "state",
                                "disabled_reason")} == {
        "binary": "nova-compute", "host": "compute1", "zone": "nova",
        "status": "enabled", "state": "up", "disabled_reason": None}
    assert isinstance(svc["id"], int)
    assert re.fullmatch(TIME, svc["updated_at"])


def test_services_by_version(two):
    old = services(two, "2.10")
    assert "forced_down" not in old[0]
    new = services(two, "2.11")
    assert [s["forced_down"] for s in new] == [False, False]
    assert [s["id"] for s in new] == [s["id"] for s in old]
    ids = [s["id"] for s in services(two, "2.53")]
    assert all(str(uuid.UUID(i)) == i for i in ids)
    assert [s["host"] for s in services(two, query="?host=h2")] == ["h2"]
    assert services(two, query="?binary=nova-scheduler") == []
    assert len(services(two, query="?binary=nova-compute")) == 2
    # Unknown query parameters: ignored until 2.74, refused from 2.75.
    assert len(services(two, "2.74", "?foo=1")) == 2
    two.get("/v2.1/os-services?foo=1", headers=v("2.75"), status=400)


def test_services_are_admin_only(two):
    rule = "os_compute_api:os-services:%s"
    forbidden(two.get("/v2.1/os-services", headers=DEMO, status=403),
              rule % "list")
    forbidden(two.put_json("/v2.1/os-services/disable",
                           {"host": "h1", "binary": "nova-compute"},
                           headers=DEMO, status=403), rule % "update")
    forbidden(two.delete("/v2.1/os-services/1", headers=DEMO, status=403),
              rule % "delete")


def test_legacy_service_actions(two):
    body = {"host": "h1", "binary": "nova-compute"}
    resp = two.put_json("/v2.1/os-services/disable", body, headers=ADMIN)
    assert resp.json == {"service": {**body, "status": "disabled"}}
    resp = two.put_json("/v2.1/os-services/disable-log-reason",
                        {**body, "disabled_reason": "maintenance"},
                        headers=ADMIN)
    assert resp.json == {"service": {**body, "status": "disabled",
                                     "disabled_reason": "maintenance"}}
    (h1,) = services(two, query="?host=h1")
    assert (h1["status"], h1["disabled_reason"]) == \
        ("disabled", "maintenance")
    resp = two.put_json("/v2.1/os-services/enable", body, headers=ADMIN)
    assert resp.json == {"service": {**body, "status": "enabled"}}
    (h1,) = services(two, query="?host=h1")
    assert (h1["status"], h1["disabled_reason"]) == ("enabled", None)
    resp = two.put_json("/v2.1/os-services/disable-log-reason", body,
                        headers=ADMIN, status=400)
    assert fault(resp, "badRequest", 400) == "Missing disabled reason field"
    resp = two.put_json("/v2.1/os-services/nope", body, headers=ADMIN,
                        status=404)
    assert fault(resp, "itemNotFound", 404) == "Unknown action"
    # force-down exists from 2.11.
    two.put_json("/v2.1/os-services/force-down",
                 {**body, "forced_down": True}, headers=v("2.10"),
                 status=400)
    resp = two.put_json("/v2.1/os-services/force-down",
                        {**body, "forced_down": True}, headers=v("2.11"))
    assert resp.json == {"service": {**body, "forced_down": True}}
    (h1,) = services(two, "2.11", "?host=h1")
    assert (h1["forced_down"], h1["state"]) == (True, "down")
    resp = two.put_json("/v2.1/os-services/force-down", body,
                        headers=v("2.11"), status=400)
    assert fault(resp, "badRequest", 400) == "Missing forced_down field"
    resp = two.put_json("/v2.1/os-services/enable",
                        {"host": "h1", "binary": "nova-scheduler"},
                        headers=ADMIN, status=400)
    assert fault(resp, "badRequest", 400) == (
        "Updating a nova-scheduler service is not supported. Only "
        "nova-compute services can be updated.")
    resp = two.put_json("/v2.1/os-services/enable",
                        {"host": "h9", "binary": "nova-compute"},
                        headers=ADMIN, status=404)
    assert fault(resp, "itemNotFound", 404) == \
        "Could not find binary nova-compute on host h9."
    two.put_json("/v2.1/os-services/enable", {"host": "h1"},
                 headers=ADMIN, status=400)
    # From 2.53 the path names a service uuid.
    resp = two.put_json("/v2.1/os-services/enable", {"status": "enabled"},
                        headers=v("2.53"), status=400)
    assert fault(resp, "badRequest", 400) == "Invalid uuid enable"


def test_service_update_by_uuid(two):
    (h1,) = services(two, "2.53", "?host=h1")
    url = f"/v2.1/os-services/{h1['id']}"
    resp = two.put_json(url, {"status": "disabled",
                              "disabled_reason": "fan"}, headers=v("2.53"))
    shown = resp.json["service"]
    assert shown == {**h1, "status": "disabled", "disabled_reason": "fan",
                     "updated_at": shown["updated_at"]}
    assert services(two, "2.53", "?host=h1") == [shown]
    resp = two.put_json(url, {"status": "enabled", "disabled_reason": "x"},
                        headers=v("2.53"), status=400)
    assert fault(resp, "badRequest", 400) == \
        "Specifying 'disabled_reason' with status 'enabled' is invalid."
    resp = two.put_json(url, {"disabled_reason": "x"}, headers=v("2.53"),
                        status=400)
    assert fault(resp, "badRequest", 400) == (
        "No updates were requested. Fields 'status' or 'forced_down' "
        "should be specified.")
    resp = two.put_json(url, {"status": "enabled", "forced_down": True},
                        headers=v("2.53"))
    assert (resp.json["service"]["status"], resp.json["service"]["state"],
            resp.json["service"]["forced_down"]) == \
        ("enabled", "down", True)
    missing = str(uuid.uuid4())
    resp = two.put_json(f"/v2.1/os-services/{missing}",
                        {"status": "enabled"}, headers=v("2.53"),
                        status=404)
    assert fault(resp, "itemNotFound", 404) == \
        f"Service {missing} could not be found."
    two.put_json(url, {"status": "paused"}, headers=v("2.53"), status=400)
    two.put_json(url, {"host": "h1"}, headers=v("2.53"), status=400)


def test_disabled_and_forced_down_hosts_get_no_servers(two):
    body = {"host": "h1", "binary": "nova-compute"}
    two.put_json("/v2.1/os-services/disable", body, headers=ADMIN)
    for i in range(3):
        assert host_of(two, boot(two, f"a{i}")) == "h2"
    # A zone whose hosts are all disabled is not available.
    resp = two.post_json("/v2.1/servers", {"server": {
        "name": "z", "imageRef": IMAGE, "flavorRef": "1",
        "networks": "none", "availability_zone": "az1"}},
        headers=v("2.37"), status=400)
    assert fault(resp, "badRequest", 400) == \
        "The requested availability zone is not available"
    assert zones(two) == [
        {"zoneName": "az2", "zoneState": {"available": True},
         "hosts": None},
        {"zoneName": "az1", "zoneState": {"available": False},
         "hosts": None}]
    two.put_json("/v2.1/os-services/enable", body, headers=ADMIN)
    assert host_of(two, boot(two, "b", availability_zone="az1")) == "h1"
    # Forced down: no servers either, and its servers show DOWN (2.16).
    two.put_json("/v2.1/os-services/force-down",
                 {**body, "forced_down": True}, headers=v("2.11"))
    placed = boot(two, "c")
    assert host_of(two, placed) == "h2"
    on_h1 = [s["id"] for s in two.get(
        "/v2.1/servers/detail?host=h1", headers=v("2.16")).json["servers"]]
    assert [get(two, s, "2.16")["host_status"] for s in on_h1] == ["DOWN"]
    assert get(two, placed, "2.16")["host_status"] == "UP"
    two.put_json("/v2.1/os-services/force-down",
                 {**body, "forced_down": False}, headers=v("2.11"))
    two.put_json("/v2.1/os-services/disable", body, headers=ADMIN)
    assert [get(two, s, "2.16")["host_status"] for s in on_h1] == \
        ["MAINTENANCE"]


def test_delete_service(two):
    (h1, h2) = services(two)
    on_h1 = boot(two, "x", availability_zone="az1")
    resp = two.delete(f"/v2.1/os-services/{h1['id']}", headers=ADMIN,
                      status=409)
    assert fault(resp, "conflictingRequest", 409) == (
        "Unable to delete compute service that is hosting instances. "
        "Migrate or delete the instances first.")
    two.delete(f"/v2.1/servers/{on_h1}", headers=ADMIN, status=204)
    agg = two.post_json("/v2.1/os-aggregates", {"aggregate": {
        "name": "rack1"}}, headers=ADMIN).json["aggregate"]
    two.post_json(f"/v2.1/os-aggregates/{agg['id']}/action",
                  {"add_host": {"host": "h1"}}, headers=ADMIN)
    two.delete(f"/v2.1/os-services/{h1['id']}", headers=ADMIN, status=204)
    assert [s["host"] for s in services(two)] == ["h2"]
    assert two.get(f"/v2.1/os-aggregates/{agg['id']}",
                   headers=ADMIN).json["aggregate"]["hosts"] == []
    resp = two.delete(f"/v2.1/os-services/{h1['id']}", headers=ADMIN,
                      status=404)
    assert fault(resp, "itemNotFound", 404) == f"Service {h1['id']} not found."
    # Gone for placement too.
    for i in range(2):
        assert host_of(two, boot(two, f"y{i}")) == "h2"
    resp = two.delete("/v2.1/os-services/abc", headers=ADMIN, status=400)
    assert fault(resp, "badRequest", 400) == \
        "Invalid input received: id must be an integer"
    (h2_new,) = services(two, "2.53")
    resp = two.delete(f"/v2.1/os-services/{h2['id']}", headers=v("2.53"),
                      status=400)
    assert fault(resp, "badRequest", 400) == f"Invalid uuid {h2['id']}"
    resp = two.delete(f"/v2.1/os-services/{h2_new['id']}",
                      headers=v("2.53"), status=409)


# -- os-availability-zone -----------------------------------------------------

def test_zones_match_samples(one):
    _s, _h, body = sample("availability_zone")
    assert zones(one) == body["availabilityZoneInfo"]
    _s, _h, body = sample("availability_zone_detail")
    detail = zones(one, detail=True)
    expected = body["availabilityZoneInfo"]
    assert [z["zoneName"] for z in detail] == \
        [z["zoneName"] for z in expected] == ["internal", "nova"]
    assert detail[0] == expected[0]
    host = detail[1]["hosts"]["compute1"]["nova-compute"]
    assert list(host) == ["available", "active", "updated_at"]
    # The built-in driver's hosts are up (the sample's compute was not).
    assert (host["available"], host["active"]) == (True, True)
    forbidden(one.get("/v2.1/os-availability-zone/detail", headers=DEMO,
                      status=403),
              "os_compute_api:os-availability-zone:detail")
    assert one.get("/v2.1/os-availability-zone", headers=DEMO).json == {
        "availabilityZoneInfo": zones(one)}
    one.get("/v2.1/os-availability-zone?x=1", headers=v("2.101"))
    one.get("/v2.1/os-availability-zone?x=1", headers=v("2.102"),
            status=400)


# -- os-hypervisors -----------------------------------------------------------

def hypervisors(app, version="2.1", path="", query=""):
    return app.get(f"/v2.1/os-hypervisors{path}{query}",
                   headers=v(version)).json


def test_hypervisors_list_matches_sample(one):
    _s, _h, body = sample("hypervisors")
    assert hypervisors(one) == {"hypervisors": [{
        **body["hypervisors"][0], "hypervisor_hostname": "compute1",
        "state": "up"}]}


def test_hypervisor_detail_at_2_88_matches_sample(one):
    _s, _h, body = sample("hypervisors_detail_2_88")
    (hyp,) = hypervisors(one, "2.88", "/detail")["hypervisors"]
    assert list(hyp) == list(body["hypervisors"][0])
    assert list(hyp["service"]) == list(body["hypervisors"][0]["service"])
    assert re.fullmatch(r" \d\d:\d\d:\d\d up +\d+:\d\d,  0 users,  load "
                        r"average: 0.00, 0.00, 0.00", hyp["uptime"])
    (svc,) = services(one, "2.53")
    assert hyp["service"] == {"id": svc["id"], "host": "compute1",
                              "disabled_reason": None}
    assert hyp["id"] != svc["id"]
    assert hypervisors(one, "2.88", f"/{hyp['id']}") == {"hypervisor": hyp}


def test_hypervisor_usage_from_placed_servers(two):
    make_flavor(two, "m1.big", ram=1024, vcpus=2, disk=5, flavor_id="big")
    boot(two, "a", availability_zone="az1")
    boot(two, "b", availability_zone="az1", flavorRef="big")
    boot(two, "c", availability_zone="az2")
    detail = hypervisors(two, "2.87", "/detail")["hypervisors"]
    h1 = detail[0]
    assert {k: h1[k] for k in (
        "vcpus", "memory_mb", "local_gb", "vcpus_used", "memory_mb_used",
        "local_gb_used", "free_ram_mb", "free_disk_gb", "running_vms",
        "current_workload", "disk_available_least")} == {
        "vcpus": 2, "memory_mb": 2048, "local_gb": 10, "vcpus_used": 3,
        "memory_mb_used": 1536, "local_gb_used": 6, "free_ram_mb": 512,
        "free_disk_gb": 4, "running_vms": 2, "current_workload": 0,
        "disk_available_least": 4}
    assert isinstance(h1["cpu_info"], dict)
    assert isinstance(hypervisors(two, "2.27", "/detail")["hypervisors"][0][
        "cpu_info"], str)
    stats = hypervisors(two, "2.87", "/statistics")["hypervisor_statistics"]
    assert (stats["count"], stats["vcpus_used"], stats["running_vms"],
            stats["memory_mb"]) == (2, 4, 3, 4096)
    # Statistics count enabled hosts only.
    two.put_json("/v2.1/os-services/disable",
                 {"host": "h1", "binary": "nova-compute"}, headers=ADMIN)
    stats = hypervisors(two, "2.87", "/statistics")["hypervisor_statistics"]
    assert (stats["count"], stats["running_vms"]) == (1, 1)
    assert hypervisors(two, "2.1")["hypervisors"][0]["status"] == "disabled"
    # 2.88: no statistics, no uptime route, no capacity figures.
    two.get("/v2.1/os-hypervisors/statistics", headers=v("2.88"),
            status=404)
    assert "vcpus" not in hypervisors(two, "2.88", "/detail")[
        "hypervisors"][0]


def test_hypervisor_pagination_and_ids(two):
    page = hypervisors(two, "2.33", query="?limit=1")
    (first,) = page["hypervisors"]
    assert page["hypervisors_links"] == [{
        "rel": "next", "href": "http://localhost:80/v2.1/os-hypervisors?"
                               f"limit=1&marker={first['id']}"}]
    page = hypervisors(two, "2.33", "/detail",
                       f"?limit=1&marker={first['id']}")
    assert [h["hypervisor_hostname"] for h in page["hypervisors"]] == ["h2"]
    assert page["hypervisors_links"][0]["href"].startswith(
        "http://localhost:80/v2.1/os-hypervisors/detail?")
    # Before 2.33 limit is no parameter at all.
    assert len(hypervisors(two, "2.32", query="?limit=1")[
        "hypervisors"]) == 2
    resp = two.get("/v2.1/os-hypervisors?marker=999", headers=v("2.33"),
                   status=400)
    assert fault(resp, "badRequest", 400) == "marker [999] not found"
    # 2.53: uuids, the pattern and with_servers as parameters.
    new = hypervisors(two, "2.53")["hypervisors"]
    assert all(str(uuid.UUID(h["id"])) == h["id"] for h in new)
    two.get(f"/v2.1/os-hypervisors/{first['id']}", headers=v("2.53"),
            status=400)
    resp = two.get(f"/v2.1/os-hypervisors/{new[0]['id']}",
                   headers=v("2.52"), status=404)
    assert fault(resp, "itemNotFound", 404) == \
        f"Hypervisor with ID '{new[0]['id']}' could not be found."
    server_id = boot(two, "web", availability_zone="az2")
    found = hypervisors(two, "2.53",
                        query="?hypervisor_hostname_pattern=2&with_servers=1")
    assert found == {"hypervisors": [{
        **new[1], "servers": [{"name": "web", "uuid": server_id}]}]}
    assert "servers" not in hypervisors(
        two, "2.74", query="?with_servers=true")["hypervisors"][0]
    assert hypervisors(two, "2.75", query="?with_servers=true")[
        "hypervisors"][0]["servers"] == []
    resp = two.get("/v2.1/os-hypervisors?hypervisor_hostname_pattern=zz",
                   headers=v("2.53"), status=404)
    assert fault(resp, "itemNotFound", 404) == \
        "No hypervisor matching 'zz' could be found."
    resp = two.get("/v2.1/os-hypervisors?hypervisor_hostname_pattern=h&"
                   "limit=1", headers=v("2.53"), status=400)
    assert "is not supported" in fault(resp, "badRequest", 400)
    two.get("/v2.1/os-hypervisors?foo=1", headers=v("2.53"), status=400)
    show = two.get(f"/v2.1/os-hypervisors/{new[1]['id']}?with_servers=1",
                   headers=v("2.53")).json["hypervisor"]
    assert show["servers"] == [{"name": "web", "uuid": server_id}]
    # The old search and servers routes, until 2.52.
    old = hypervisors(two, "2.52", "/h2/servers")["hypervisors"]
    assert old[0]["servers"] == [{"name": "web", "uuid": server_id}]
    assert "servers" not in hypervisors(two, "2.52", "/h1/servers")[
        "hypervisors"][0]
    assert [h["hypervisor_hostname"] for h in hypervisors(
        two, "2.1", "/h/search")["hypervisors"]] == ["h1", "h2"]
    two.get("/v2.1/os-hypervisors/h/search", headers=v("2.53"), status=404)


def test_hypervisor_uptime(two):
    (h1, _h2) = hypervisors(two, "2.1")["hypervisors"]
    up = hypervisors(two, "2.1", f"/{h1['id']}/uptime")["hypervisor"]
    assert list(up) == ["id", "hypervisor_hostname", "state", "status",
                        "uptime"]
    assert " up " in up["uptime"]
    two.put_json("/v2.1/os-services/force-down",
                 {"host": "h1", "binary": "nova-compute",
                  "forced_down": True}, headers=v("2.11"))
    resp = two.get(f"/v2.1/os-hypervisors/{h1['id']}/uptime",
                   headers=ADMIN, status=400)
    assert fault(resp, "badRequest", 400) == \
        "Compute service of h1 is unavailable at this time."
    assert hypervisors(two, "2.88", "/detail")["hypervisors"][0][
        "uptime"] is None
    uuid_id = hypervisors(two, "2.88")["hypervisors"][0]["id"]
    two.get(f"/v2.1/os-hypervisors/{uuid_id}/uptime", headers=v("2.88"),
            status=404)


def test_hypervisors_are_admin_only(one):
    for path, rule in (("", "list"), ("/detail", "list-detail"),
                       ("/statistics", "statistics"), ("/1", "show"),
                       ("/1/uptime", "uptime"), ("/c/search", "search"),
                       ("/c/servers", "servers")):
        forbidden(one.get(f"/v2.1/os-hypervisors{path}", headers=DEMO,
                          status=403), f"os_compute_api:os-hypervisors:{rule}")


# -- os-aggregates ------------------------------------------------------------

def aggregate_action(app, agg_id, body, status=200, version="2.1"):
    return app.post_json(f"/v2.1/os-aggregates/{agg_id}/action", body,
                         headers=v(version), status=status)


def test_aggregates_crud(one):
    _s, _h, body = sample("aggregates")
    assert one.get("/v2.1/os-aggregates", headers=ADMIN).json == body
    resp = one.post_json("/v2.1/os-aggregates", {"aggregate": {
        "name": "rack1", "availability_zone": "zone-a"}}, headers=ADMIN)
    assert resp.status_int == 200
    created = resp.json["aggregate"]
    assert sorted(created) == ["availability_zone", "created_at", "deleted",
                               "deleted_at", "id", "name", "updated_at"]
    assert (created["name"], created["availability_zone"],
            created["deleted"], created["updated_at"]) == \
        ("rack1", "zone-a", False, None)
    assert re.fullmatch(TIME, created["created_at"])
    agg_id = created["id"]
    shown = one.get(f"/v2.1/os-aggregates/{agg_id}",
                    headers=ADMIN).json["aggregate"]
    assert shown == {**created, "hosts": [],
                     "metadata": {"availability_zone": "zone-a"}}
    with_uuid = one.get(f"/v2.1/os-aggregates/{agg_id}",
                        headers=v("2.41")).json["aggregate"]
    assert str(uuid.UUID(with_uuid["uuid"])) == with_uuid["uuid"]
    assert one.get("/v2.1/os-aggregates", headers=v("2.41")).json == {
        "aggregates": [with_uuid]}
    resp = one.post_json("/v2.1/os-aggregates", {"aggregate": {
        "name": "rack1"}}, headers=ADMIN, status=409)
    assert fault(resp, "conflictingRequest", 409) == \
        "Aggregate rack1 already exists."
    renamed = one.put_json(f"/v2.1/os-aggregates/{agg_id}", {"aggregate": {
        "name": "rack-one"}}, headers=ADMIN).json["aggregate"]
    assert renamed["name"] == "rack-one" and renamed["updated_at"]
    resp = aggregate_action(one, agg_id, {"set_metadata": {"metadata": {
        "ssd": "true", "gpu": "no"}}})
    assert resp.json["aggregate"]["metadata"] == {
        "availability_zone": "zone-a", "gpu": "no", "ssd": "true"}
    resp = aggregate_action(one, agg_id, {"set_metadata": {"metadata": {
        "gpu": None, "absent": None}}})
    assert resp.json["aggregate"]["metadata"] == {
        "availability_zone": "zone-a", "ssd": "true"}
    resp = aggregate_action(one, agg_id, {"set_metadata": {"metadata": {
        "availability_zone": None}}}, status=400)
    assert fault(resp, "badRequest", 400) == (
        f"Cannot update metadata of aggregate {agg_id}. Reason: Aggregate "
        "rack-one does not support empty named availability zone.")
    resp = aggregate_action(one, agg_id, {"add_host": {"host": "compute1"}})
    assert resp.json["aggregate"]["hosts"] == ["compute1"]
    resp = aggregate_action(one, agg_id, {"add_host": {"host": "compute1"}},
                            status=409)
    assert fault(resp, "conflictingRequest", 409) == \
        f"The aggregate {agg_id} already has host compute1."
    resp = aggregate_action(one, agg_id, {"add_host": {"host": "nope"}},
                            status=404)
    assert fault(resp, "itemNotFound", 404) == \
        "Compute host nope could not be found."
    resp = one.delete(f"/v2.1/os-aggregates/{agg_id}", headers=ADMIN,
                      status=400)
    assert fault(resp, "badRequest", 400) == (
        f"Cannot remove host from aggregate {agg_id}. Reason: Host "
        "aggregate is not empty.")
    resp = aggregate_action(one, agg_id, {"remove_host": {"host": "compute1"}})
    assert resp.json["aggregate"]["hosts"] == []
    resp = aggregate_action(one, agg_id, {"remove_host": {"host": "compute1"}},
                            status=404)
    assert fault(resp, "itemNotFound", 404) == \
        f"Cannot remove host compute1 in aggregate {agg_id}"
    resp = aggregate_action(one, agg_id, {"no_such": {}}, status=400)
    assert fault(resp, "badRequest", 400) == "There is no such action: no_such"
    aggregate_action(one, agg_id, {"add_host": {}}, status=400)
    # 2.81: the image cache request.
    cache = {"cache": [{"id": IMAGE}]}
    one.post_json(f"/v2.1/os-aggregates/{agg_id}/images", cache,
                  headers=v("2.80"), status=404)
    resp = one.post_json(f"/v2.1/os-aggregates/{agg_id}/images", cache,
                         headers=v("2.81"), status=202)
    assert resp.body == b""
    resp = one.post_json(f"/v2.1/os-aggregates/{agg_id}/images",
                         {"cache": [{"id": IMAGE}, {"id": IMAGE}]},
                         headers=v("2.81"), status=400)
    assert fault(resp, "badRequest", 400) == "Duplicate images in request"
    one.post_json("/v2.1/os-aggregates/999/images", cache,
                  headers=v("2.81"), status=404)
    resp = one.delete(f"/v2.1/os-aggregates/{agg_id}", headers=ADMIN)
    assert (resp.status_int, resp.body) == (200, b"")
    resp = one.get(f"/v2.1/os-aggregates/{agg_id}", headers=ADMIN,
                   status=404)
    assert fault(resp, "itemNotFound", 404) == \
        f"Aggregate {agg_id} could not be found."
    resp = one.get("/v2.1/os-aggregates/x", headers=ADMIN, status=400)
    assert fault(resp, "badRequest", 400) == \
        "Invalid input received: id must be an integer"
    one.get("/v2.1/os-aggregates?x=1", headers=v("2.102"), status=400)


def test_aggregates_are_admin_only(one):
    rule = "os_compute_api:os-aggregates:%s"
    forbidden(one.get("/v2.1/os-aggregates", headers=DEMO, status=403),
              rule % "index")
    forbidden(one.post_json("/v2.1/os-aggregates", {"aggregate": {
        "name": "x"}}, headers=DEMO, status=403), rule % "create")
    agg_id = one.post_json("/v2.1/os-aggregates", {"aggregate": {
        "name": "x"}}, headers=ADMIN).json["aggregate"]["id"]
    forbidden(one.post_json(f"/v2.1/os-aggregates/{agg_id}/action",
                            {"add_host": {"host": "compute1"}},
                            headers=DEMO, status=403), rule % "add_host")
    forbidden(one.delete(f"/v2.1/os-aggregates/{agg_id}", headers=DEMO,
                         status=403), rule % "delete")


def test_aggregate_zone_moves_hosts(two):
    """An aggregate's zone is its hosts' zone: for placement, services,
    hypervisor-less views and the zone list; a host is never in two."""
    agg = two.post_json("/v2.1/os-aggregates", {"aggregate": {
        "name": "fast", "availability_zone": "fast"}},
        headers=ADMIN).json["aggregate"]
    # An aggregate zone without hosts is no zone yet.
    assert [z["zoneName"] for z in zones(two)] == ["az1", "az2"]
    aggregate_action(two, agg["id"], {"add_host": {"host": "h2"}})
    assert [z["zoneName"] for z in zones(two)] == ["az1", "fast"]
    assert [(s["host"], s["zone"]) for s in services(two)] == \
        [("h1", "az1"), ("h2", "fast")]
    placed = boot(two, "quick", availability_zone="fast")
    assert host_of(two, placed) == "h2"
    assert get(two, placed, "2.16")["OS-EXT-AZ:availability_zone"] == "fast"
    resp = two.post_json("/v2.1/servers", {"server": {
        "name": "z", "imageRef": IMAGE, "flavorRef": "1",
        "networks": "none", "availability_zone": "az2"}},
        headers=v("2.37"), status=400)
    assert fault(resp, "badRequest", 400) == \
        "The requested availability zone is not available"
    detail = {z["zoneName"]: z for z in zones(two, detail=True)}
    assert list(detail) == ["az1", "fast", "internal"]
    assert list(detail["fast"]["hosts"]) == ["h2"]
    # A second zone for h2: refused (409 for add_host, 400 for updates).
    other = two.post_json("/v2.1/os-aggregates", {"aggregate": {
        "name": "slow", "availability_zone": "slow"}},
        headers=ADMIN).json["aggregate"]
    resp = aggregate_action(two, other["id"], {"add_host": {"host": "h2"}},
                            status=409)
    assert fault(resp, "conflictingRequest", 409) == (
        f"Cannot add host to aggregate {other['id']}. Reason: One or more "
        "hosts already in availability zone(s) ['fast'].")
    plain = two.post_json("/v2.1/os-aggregates", {"aggregate": {
        "name": "plain"}}, headers=ADMIN).json["aggregate"]
    aggregate_action(two, plain["id"], {"add_host": {"host": "h2"}})
    resp = two.put_json(f"/v2.1/os-aggregates/{plain['id']}", {
        "aggregate": {"availability_zone": "other"}}, headers=ADMIN,
        status=400)
    assert fault(resp, "badRequest", 400) == (
        f"Cannot update aggregate {plain['id']}. Reason: One or more hosts "
        "already in availability zone(s) ['fast'].")
    # A zone change under running servers is refused.
    resp = two.put_json(f"/v2.1/os-aggregates/{agg['id']}", {
        "aggregate": {"availability_zone": "faster"}}, headers=ADMIN,
        status=400)
    assert fault(resp, "badRequest", 400) == (
        f"Cannot update aggregate {agg['id']}. Reason: One or more hosts "
        "contain instances in this zone.")
    two.delete(f"/v2.1/servers/{placed}", headers=ADMIN, status=204)
    # The same zone is no conflict.
    aggregate_action(two, plain["id"], {"set_metadata": {"metadata": {
        "availability_zone": "fast"}}})
    aggregate_action(two, plain["id"], {"remove_host": {"host": "h2"}})
    two.put_json(f"/v2.1/os-aggregates/{agg['id']}", {
        "aggregate": {"availability_zone": "faster"}}, headers=ADMIN)
    assert host_of(two, boot(two, "q2", availability_zone="faster")) == "h2"
    # Out of the aggregate, the host is back in its configured zone.
    aggregate_action(two, agg["id"], {"remove_host": {"host": "h2"}})
    assert [(s["host"], s["zone"]) for s in services(two)] == \
        [("h1", "az1"), ("h2", "az2")]


# -- os-simple-tenant-usage ---------------------------------------------------

def _usage(app, query="", version="2.1", who=ADMIN, path=""):
    url = f"/v2.1/os-simple-tenant-usage{path}"
    return app.get(f"{url}?{query}" if query else url,
                   headers=v(version, who))


def test_usage_matches_sample_and_counts_hours(one):
    _s, _h, body = sample("simple_tenant_usage")
    for who in (ADMIN, ADMIN, DEMO):
        boot(one, "vm", who=who)
    listed = _usage(one).json["tenant_usages"]
    assert [list(u) for u in listed] == \
        [list(body["tenant_usages"][0])] * 2
    assert [u["tenant_id"] for u in listed] == ["admin", "demo"]
    # A period from an hour ago to now counts each server's whole life.
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    start = (now - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    resp = _usage(one, f"start={start}&detailed=1")
    admin = resp.json["tenant_usages"][0]
    assert admin["start"] == start + ".000000"
    assert len(admin["server_usages"]) == 2
    usage = admin["server_usages"][0]
    assert sorted(usage) == sorted([
        "hours", "flavor", "instance_id", "name", "tenant_id", "memory_mb",
        "local_gb", "vcpus", "started_at", "ended_at", "state", "uptime"])
    assert (usage["flavor"], usage["memory_mb"], usage["local_gb"],
            usage["vcpus"], usage["state"], usage["ended_at"]) == \
        ("m1.tiny", 512, 1, 1, "active", None)
    assert 0 < usage["hours"] < 0.1
    assert admin["total_memory_mb_usage"] == pytest.approx(
        512 * admin["total_hours"])
    # Deleted servers count until their termination.
    one.delete(f"/v2.1/servers/{usage['instance_id']}", headers=ADMIN,
               status=204)
    gone = _usage(one, f"start={start}", path="/admin").json["tenant_usage"]
    ended = [u for u in gone["server_usages"]
             if u["instance_id"] == usage["instance_id"]][0]
    assert ended["state"] == "terminated" and ended["ended_at"]
    # A period before any server: nothing.
    early = (now - datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S")
    end = (now - datetime.timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S.%f")
    assert _usage(one, f"start={early}&end={end}").json == {
        "tenant_usages": []}
    assert _usage(one, f"start={early}&end={end}",
                  path="/admin").json == {"tenant_usage": {}}
    resp = one.get(f"/v2.1/os-simple-tenant-usage?start={start}"
                   f"&end={early}", headers=ADMIN, status=400)
    assert fault(resp, "badRequest", 400) == (
        "Invalid start time. The start time cannot occur after the end "
        "time.")
    resp = one.get("/v2.1/os-simple-tenant-usage?start=yesterday",
                   headers=ADMIN, status=400)
    assert fault(resp, "badRequest", 400) == \
        "Invalid datetime string: Datetime is in invalid format"


def test_usage_policy(one):
    boot(one, "mine", who=DEMO)
    forbidden(one.get("/v2.1/os-simple-tenant-usage", headers=DEMO,
                      status=403),
              "os_compute_api:os-simple-tenant-usage:list")
    own = one.get("/v2.1/os-simple-tenant-usage/demo", headers=DEMO).json
    assert own["tenant_usage"]["tenant_id"] == "demo"
    forbidden(one.get("/v2.1/os-simple-tenant-usage/admin", headers=DEMO,
                      status=403),
              "os_compute_api:os-simple-tenant-usage:show")


def test_usage_of_an_empty_tenant_id_is_404(one):
    # tempest's test_get_usage_tenant_with_empty_tenant_id, as upstream.
    resp = one.get("/v2.1/os-simple-tenant-usage/?start=2026-01-01T00:00:00",
                   headers=ADMIN, status=404)
    assert resp.json["itemNotFound"]["code"] == 404


def test_usage_pagination(one):
    ids = sorted(boot(one, f"vm{i}") for i in range(3))
    start = "2000-01-01T00:00:00"
    page = _usage(one, f"start={start}&limit=2&detailed=1", "2.40").json
    assert [u["instance_id"] for u in page["tenant_usages"][0][
        "server_usages"]] == ids[:2]
    (link,) = page["tenant_usages_links"]
    assert link["rel"] == "next"
    assert link["href"].startswith(
        "http://localhost:80/v2.1/os-simple-tenant-usage?")
    assert f"marker={ids[1]}" in link["href"]
    rest = _usage(one, f"start={start}&limit=2&marker={ids[1]}",
                  "2.40", path="/admin").json
    assert [u["instance_id"] for u in rest["tenant_usage"][
        "server_usages"]] == ids[2:]
    assert "tenant_usage_links" not in rest
    # Before 2.40 limit is ignored and there are no links.
    old = _usage(one, f"start={start}&limit=2&detailed=1", "2.39").json
    assert len(old["tenant_usages"][0]["server_usages"]) == 3
    assert "tenant_usages_links" not in old
    resp = one.get(f"/v2.1/os-simple-tenant-usage?start={start}&marker="
                   f"{uuid.uuid4()}", headers=v("2.40"), status=400)
    assert fault(resp, "badRequest", 400).startswith("Marker ")
    one.get("/v2.1/os-simple-tenant-usage?foo=1", headers=v("2.102"),
            status=400)


# -- the SQL on every backend -------------------------------------------------

@pytest.fixture
def any_db_cloud(db_url, config_dir, tmp_path, make_image):
    """``two`` on each database in turn."""
    return _cloud(config_dir, tmp_path, make_image,
                  "h1:az1:2:2048:10, h2:az2:2:2048:10", url=db_url)


def test_zones_services_and_usage_on_each_backend(any_db_cloud):
    app = any_db_cloud
    agg = app.post_json("/v2.1/os-aggregates", {"aggregate": {
        "name": "edge", "availability_zone": "edge"}},
        headers=ADMIN).json["aggregate"]
    aggregate_action(app, agg["id"], {"add_host": {"host": "h1"}})
    assert [(s["host"], s["zone"]) for s in services(app)] == \
        [("h1", "edge"), ("h2", "az2")]
    ids = sorted(boot(app, f"e{i}", availability_zone="edge")
                 for i in range(2))
    assert {host_of(app, i) for i in ids} == {"h1"}
    app.put_json("/v2.1/os-services/disable",
                 {"host": "h2", "binary": "nova-compute"}, headers=ADMIN)
    assert host_of(app, boot(app, "any")) == "h1"
    hyp = hypervisors(app, "2.87", "/detail")["hypervisors"][0]
    assert (hyp["running_vms"], hyp["memory_mb_used"]) == (3, 1536)
    page = _usage(app, "start=2000-01-01T00:00:00&limit=1", "2.40").json
    first = page["tenant_usages"][0]
    assert first["total_hours"] > 0
    marker = page["tenant_usages_links"][0]["href"].rsplit("=", 1)[1]
    rest = _usage(app, f"start=2000-01-01T00:00:00&marker={marker}",
                  "2.40").json
    assert json.dumps(rest).count('"tenant_id"') == 1


def test_concurrent_add_host_never_gives_two_zones(any_db_cloud,
                                                   config_dir):
    """Two admins put h1 in aggregates of two zones at the same moment:
    one wins, the other gets upstream's 409."""
    import threading

    ids = [any_db_cloud.post_json("/v2.1/os-aggregates", {"aggregate": {
        "name": name, "availability_zone": name}},
        headers=ADMIN).json["aggregate"]["id"] for name in ("za", "zb")]
    apps = [config_dir.testapp() for _ in ids]
    barrier = threading.Barrier(len(ids))
    codes = {}

    def add(app, agg_id):
        barrier.wait(timeout=10)
        codes[agg_id] = aggregate_action(app, agg_id, {
            "add_host": {"host": "h1"}}, status="*").status_int

    threads = [threading.Thread(target=add, args=pair)
               for pair in zip(apps, ids, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(codes.values()) == [200, 409]
    (h1,) = services(any_db_cloud, query="?host=h1")
    winner = [i for i in ids if codes[i] == 200][0]
    assert h1["zone"] == ("za" if winner == ids[0] else "zb")


def test_ids_out_of_any_integer_range_are_not_found(one):
    huge = "9" * 30
    resp = one.delete(f"/v2.1/os-services/{huge}", headers=ADMIN,
                      status=404)
    assert fault(resp, "itemNotFound", 404) == f"Service {huge} not found."
    one.put_json(f"/v2.1/os-services/{huge}", {"status": "enabled"},
                 headers=v("2.53"), status=400)
    resp = one.get(f"/v2.1/os-hypervisors/{huge}", headers=ADMIN,
                   status=404)
    assert fault(resp, "itemNotFound", 404) == \
        f"Hypervisor with ID '{huge}' could not be found."
    one.get(f"/v2.1/os-hypervisors/{huge}/uptime", headers=ADMIN,
            status=404)
    for call in (lambda: one.get(f"/v2.1/os-aggregates/{huge}",
                                 headers=ADMIN, status=404),
                 lambda: one.delete("/v2.1/os-aggregates/-1",
                                    headers=ADMIN, status=404),
                 lambda: aggregate_action(one, huge, {"add_host": {
                     "host": "compute1"}}, status=404)):
        assert fault(call(), "itemNotFound", 404).startswith("Aggregate ")
    resp = aggregate_action(one, huge, {"remove_host": {
        "host": "compute1"}}, status=404)
    assert fault(resp, "itemNotFound", 404) == \
        f"Cannot remove host compute1 in aggregate {huge}"
    one.get("/v2.1/os-simple-tenant-usage?limit=x", headers=v("2.40"),
            status=400)
    one.get("/v2.1/os-simple-tenant-usage?start=2026-13-01T00:00:00",
            headers=ADMIN, status=400)
    one.get("/v2.1/os-hypervisors?limit=x", headers=v("2.33"), status=400)
    one.put_json("/v2.1/os-aggregates/1", {"aggregate": {}},
                 headers=ADMIN, status=400)
