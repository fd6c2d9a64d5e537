"""os-hosts (until 2.42) and os-instance_usage_audit_log through the whole
pipeline, as upstream Nova 34 answers them and as tempest checks them.

Every 200 is validated against tempest's response schema
(tempest/lib/api_schema/response/compute/v2_1/hosts.py and
instance_usage_audit_logs.py); the tempest tests that ask the same thing
are named beside each test. os-hosts' status change is the very state
os-services shows and placement reads; maintenance and power actions are
the driver's, which the built-in driver does not do (501).
"""

import datetime
import urllib.parse

import jsonschema
import pytest

from tests.helpers import (
    ADMIN,
    DEMO,
    IMAGE,
    action,
    boot_id,
    fault,
    get,
    make_flavor,
    v,
    write_compute_config,
)

HOSTS = "/v2.1/os-hosts"
AUDIT = "/v2.1/os-instance_usage_audit_log"
NOT_SUPPORTED = "The requested functionality is not supported."

# tempest's response schemas (the items of their "response_body").
_RESOURCE = {
    "type": "object",
    "properties": {"cpu": {"type": "integer"},
                   "disk_gb": {"type": "integer"},
                   "host": {"type": "string"},
                   "memory_mb": {"type": "integer"},
                   "project": {"type": "string"}},
    "additionalProperties": False,
    "required": ["cpu", "disk_gb", "host", "memory_mb", "project"]}
TEMPEST = {
    "list_hosts": {
        "type": "object",
        "properties": {"hosts": {"type": "array", "items": {
            "type": "object",
            "properties": {"host_name": {"type": "string"},
                           "service": {"type": "string"},
                           "zone": {"type": "string"}},
            "additionalProperties": False,
            "required": ["host_name", "service", "zone"]}}},
        "additionalProperties": False, "required": ["hosts"]},
    "get_host_detail": {
        "type": "object",
        "properties": {"host": {"type": "array", "items": {
            "type": "object",
            "properties": {"resource": _RESOURCE},
            "additionalProperties": False, "required": ["resource"]}}},
        "additionalProperties": False, "required": ["host"]},
    "update_host": {
        "type": "object",
        "properties": {
            "host": {"type": "string"},
            "maintenance_mode": {"enum": ["on_maintenance",
                                          "off_maintenance"]},
            "status": {"enum": ["enabled", "disabled"]}},
        "additionalProperties": False,
        "anyOf": [{"required": ["host", "status"]},
                  {"required": ["host", "maintenance_mode"]}]},
}
_AUDIT_LOG = {
    "type": "object",
    "properties": {
        "hosts_not_run": {"type": "array", "items": {"type": "string"}},
        "log": {"type": "object", "patternProperties": {"^.+$": {
            "type": "object",
            "properties": {"state": {"type": "string"},
                           "instances": {"type": "integer"},
                           "errors": {"type": "integer"},
                           "message": {"type": "string"}},
            "additionalProperties": False,
            "required": ["state", "instances", "errors", "message"]}}},
        **{name: {"type": "integer"} for name in (
            "num_hosts", "num_hosts_done", "num_hosts_not_run",
            "num_hosts_running", "total_errors", "total_instances")},
        **{name: {"type": "string"} for name in (
            "overall_status", "period_beginning", "period_ending")}},
    "additionalProperties": False,
    "required": ["hosts_not_run", "log", "num_hosts", "num_hosts_done",
                 "num_hosts_not_run", "num_hosts_running", "overall_status",
                 "period_beginning", "period_ending", "total_errors",
                 "total_instances"]}
TEMPEST["list_instance_usage_audit_log"] = {
    "type": "object",
    "properties": {"instance_usage_audit_logs": _AUDIT_LOG},
    "additionalProperties": False,
    "required": ["instance_usage_audit_logs"]}
TEMPEST["get_instance_usage_audit_log"] = {
    "type": "object",
    "properties": {"instance_usage_audit_log": _AUDIT_LOG},
    "additionalProperties": False, "required": ["instance_usage_audit_log"]}


def valid(resp, schema):
    assert resp.status_int == 200, resp.body
    jsonschema.validate(resp.json, TEMPEST[schema])
    return resp.json


def forbidden(resp, rule):
    assert fault(resp, "forbidden", 403) == \
        f"Policy doesn't allow {rule} to be performed."


@pytest.fixture
def two(config_dir, tmp_path, make_image):
    """h1 (az1) and h2 (az2): 4 vCPUs, 4096 MB, 40 GB each; no delays."""
    write_compute_config(config_dir, tmp_path, """
        hosts = h1:az1:4:4096:40, h2:az2:4:4096:40
        build_time = 0
        action_time = 0
        """)
    app = config_dir.testapp()
    make_image("cirros", image_id=IMAGE)
    make_flavor(app, "m1.tiny", ram=512, vcpus=1, disk=1, flavor_id="1")
    make_flavor(app, "m1.small", ram=1024, vcpus=2, disk=5, flavor_id="2",
                **{"OS-FLV-EXT-DATA:ephemeral": 2})
    return app


def hosts(app, query="", version="2.1"):
    return valid(app.get(HOSTS + query, headers=v(version)),
                 "list_hosts")["hosts"]


def service_of(app, host):
    (found,) = app.get(f"/v2.1/os-services?host={host}",
                       headers=ADMIN).json["services"]
    return found


def boot(app, name, zone, who=ADMIN, flavor="1"):
    return boot_id(app, name, version="2.37", who=who, networks="none",
                   availability_zone=zone, flavorRef=flavor)


# -- os-hosts: list -----------------------------------------------------------

def test_list_hosts_and_zone_filter(two):
    """tempest: test_list_hosts, test_list_hosts_with_zone,
    _with_a_blank_zone, _with_nonexistent_zone."""
    assert hosts(two) == [
        {"host_name": "h1", "service": "compute", "zone": "az1"},
        {"host_name": "h2", "service": "compute", "zone": "az2"}]
    assert hosts(two, "?zone=az2") == [
        {"host_name": "h2", "service": "compute", "zone": "az2"}]
    assert hosts(two, "?zone=az1&zone=az2") == hosts(two, "?zone=az2")
    assert len(hosts(two, "?zone=")) == 2  # blank: no filter
    assert hosts(two, "?zone=xxx") == []
    # Any other parameter is ignored, at every version it is served at.
    assert len(hosts(two, "?foo=1", "2.42")) == 2


def test_a_zone_from_an_aggregate_and_disabled_hosts(two):
    agg = two.post_json("/v2.1/os-aggregates", {"aggregate": {
        "name": "rack", "availability_zone": "blue"}},
        headers=ADMIN).json["aggregate"]
    two.post_json(f"/v2.1/os-aggregates/{agg['id']}/action",
                  {"add_host": {"host": "h1"}}, headers=ADMIN)
    assert hosts(two, "?zone=blue") == [
        {"host_name": "h1", "service": "compute", "zone": "blue"}]
    # As upstream, a disabled service is not listed (its host still is
    # shown, updated and audited).
    two.put_json("/v2.1/os-services/disable",
                 {"host": "h2", "binary": "nova-compute"}, headers=ADMIN)
    assert [h["host_name"] for h in hosts(two)] == ["h1"]
    valid(two.get(HOSTS + "/h2", headers=ADMIN), "get_host_detail")


def test_gone_from_2_43(two):
    for method, path in (("GET", ""), ("GET", "/h1"), ("PUT", "/h1"),
                         ("GET", "/h1/startup"), ("GET", "/h1/shutdown"),
                         ("GET", "/h1/reboot")):
        kwargs = {"headers": v("2.43"), "status": 404, "method": method}
        if method == "PUT":
            kwargs.update(body=b'{"status": "enable"}',
                          content_type="application/json")
        resp = two.request(HOSTS + path, **kwargs)
        assert fault(resp, "itemNotFound", 404) == \
            "The resource could not be found."
    hosts(two, version="2.42")


# -- os-hosts: show -----------------------------------------------------------

def _rows(app, host):
    body = valid(app.get(f"{HOSTS}/{host}", headers=ADMIN),
                 "get_host_detail")
    rows = [item["resource"] for item in body["host"]]
    assert {row["host"] for row in rows} == {host}
    return {row["project"]: (row["cpu"], row["memory_mb"], row["disk_gb"])
            for row in rows}, [row["project"] for row in rows]


def test_show_host_usage_rows(two):
    """tempest: test_show_host_detail (and the sample's rows)."""
    rows, order = _rows(two, "h1")
    assert order == ["(total)", "(used_now)", "(used_max)"]
    assert rows == {"(total)": (4, 4096, 40), "(used_now)": (0, 0, 0),
                    "(used_max)": (0, 0, 0)}
    boot(two, "a1", "az1")
    boot(two, "a2", "az1", flavor="2")
    boot(two, "d1", "az1", who=DEMO)
    boot(two, "elsewhere", "az2", who=DEMO)
    rows, order = _rows(two, "h1")
    assert order == ["(total)", "(used_now)", "(used_max)", "admin", "demo"]
    assert rows == {"(total)": (4, 4096, 40), "(used_now)": (4, 2048, 9),
                    "(used_max)": (4, 2048, 9), "admin": (3, 1536, 8),
                    "demo": (1, 512, 1)}


def test_used_now_counts_what_a_resize_holds(two):
    # On h1 without being pinned to its zone: a resize may go to h2.
    server = boot_id(two, "r", version="2.74", networks="none", host="h1")
    action(two, server, {"resize": {"flavorRef": "2"}})
    assert get(two, server)["status"] == "VERIFY_RESIZE"
    source, _order = _rows(two, "h1")
    # The server is on h2 now; h1 holds its old flavor for a revert.
    assert (source["(used_now)"], source["(used_max)"]) == \
        ((1, 512, 1), (0, 0, 0))
    assert "admin" not in source
    dest, _order = _rows(two, "h2")
    assert dest["(used_max)"] == dest["admin"] == (2, 1024, 7)


def test_show_unknown_host(two):
    """tempest: test_show_host_detail_with_nonexistent_hostname."""
    resp = two.get(HOSTS + "/nonexistent_hostname", headers=ADMIN,
                   status=404)
    assert fault(resp, "itemNotFound", 404) == \
        "Host 'nonexistent_hostname' is not mapped to any cell"


# -- os-hosts: update ---------------------------------------------------------

def _put(app, host, body, status=200, who=ADMIN):
    return app.put_json(f"{HOSTS}/{host}", body, headers=v("2.1", who),
                        status=status)


def test_status_is_the_service_state(two):
    on_h1 = boot(two, "on-h1", "az1")
    assert get(two, on_h1, "2.16")["host_status"] == "UP"  # rendered, kept
    resp = _put(two, "h1", {"status": "disable"})
    assert valid(resp, "update_host") == {"host": "h1", "status": "disabled"}
    assert (service_of(two, "h1")["status"],
            service_of(two, "h1")["disabled_reason"]) == ("disabled", None)
    hypervisor, = two.get("/v2.1/os-hypervisors/detail",
                          headers=ADMIN).json["hypervisors"][:1]
    assert hypervisor["status"] == "disabled"
    assert get(two, on_h1, "2.16")["host_status"] == "MAINTENANCE"
    # Placement reads the same state: h1 takes no server now.
    assert get(two, boot_id(two, "x", version="2.37", networks="none"))[
        "OS-EXT-SRV-ATTR:host"] == "h2"
    # Upstream reads the word case-insensitively.
    resp = _put(two, "h1", {"status": "ENABLE"})
    assert resp.json == {"host": "h1", "status": "enabled"}
    assert service_of(two, "h1")["status"] == "enabled"
    # os-services' change shows here too: one state.
    two.put_json("/v2.1/os-services/disable",
                 {"host": "h1", "binary": "nova-compute"}, headers=ADMIN)
    assert [h["host_name"] for h in hosts(two)] == ["h2"]
    assert _put(two, "h1", {"status": "Enable"}).json["status"] == "enabled"
    assert len(hosts(two)) == 2


def test_maintenance_mode_is_not_supported(two):
    for mode in ("enable", "disable"):
        resp = _put(two, "h1", {"maintenance_mode": mode}, status=501)
        assert fault(resp, "notImplemented", 501) == NOT_SUPPORTED
    # Nothing of a request the driver refuses in part is done.
    resp = _put(two, "h1", {"status": "disable",
                            "maintenance_mode": "enable"}, status=501)
    assert service_of(two, "h1")["status"] == "enabled"


@pytest.mark.parametrize("body", [
    {"status": "invalid", "maintenance_mode": "enable"},  # tempest
    {"status": "enable", "maintenance_mode": "invalid"},  # tempest
    {"status": None, "maintenance_mode": None},  # tempest's "no param"
    {}, {"status": "enable", "host": "h2"}, {"status": 1},
], ids=["bad-status", "bad-mode", "nulls", "empty", "extra", "number"])
def test_update_bad_bodies(two, body):
    """tempest: test_update_host_with_invalid_status,
    _with_invalid_maintenance_mode, _without_param."""
    resp = _put(two, "h1", body, status=400)
    assert fault(resp, "badRequest", 400)
    assert service_of(two, "h1")["status"] == "enabled"


def test_update_unknown_host(two):
    """tempest: test_update_nonexistent_host."""
    for body in ({"status": "enable", "maintenance_mode": "enable"},
                 {"maintenance_mode": "disable"}):
        resp = _put(two, "nonexistent_hostname", body, status=404)
        assert fault(resp, "itemNotFound", 404) == \
            "Host 'nonexistent_hostname' is not mapped to any cell"


# -- os-hosts: power actions --------------------------------------------------

@pytest.mark.parametrize("verb", ["startup", "shutdown", "reboot"])
def test_power_actions(two, verb):
    """tempest: test_startup/shutdown/reboot_nonexistent_host."""
    resp = two.get(f"{HOSTS}/h1/{verb}", headers=ADMIN, status=501)
    assert fault(resp, "notImplemented", 501) == NOT_SUPPORTED
    resp = two.get(f"{HOSTS}/nonexistent_hostname/{verb}", headers=ADMIN,
                   status=404)
    assert fault(resp, "itemNotFound", 404) == \
        "Host 'nonexistent_hostname' is not mapped to any cell"
    assert service_of(two, "h1")["state"] == "up"


def test_os_hosts_is_admin_only(two):
    """tempest: the *_with_non_admin_user tests of test_hosts_negative."""
    rule = "os_compute_api:os-hosts:%s"
    forbidden(two.get(HOSTS, headers=DEMO, status=403), rule % "list")
    forbidden(two.get(HOSTS + "/h1", headers=DEMO, status=403),
              rule % "show")
    forbidden(_put(two, "h1", {"status": "enable",
                               "maintenance_mode": "enable"},
                   status=403, who=DEMO), rule % "update")
    for verb, name in (("startup", "start"), ("shutdown", "shutdown"),
                       ("reboot", "reboot")):
        forbidden(two.get(f"{HOSTS}/h1/{verb}", headers=DEMO, status=403),
                  rule % name)


# -- os-instance_usage_audit_log ----------------------------------------------

def _last_month(now):
    first = datetime.datetime(now.year, now.month, 1)
    before = first - datetime.timedelta(days=1)
    return str(datetime.datetime(before.year, before.month, 1)), str(first)


def test_audit_log_before_any_audit(two):
    """tempest: test_list_instance_usage_audit_logs."""
    two.put_json("/v2.1/os-services/disable",
                 {"host": "h2", "binary": "nova-compute"}, headers=ADMIN)
    now = datetime.datetime.now(datetime.timezone.utc)
    body = valid(two.get(AUDIT, headers=ADMIN),
                 "list_instance_usage_audit_log")
    log = body["instance_usage_audit_logs"]
    beginning, ending = _last_month(now)
    assert log == {
        "hosts_not_run": ["h1", "h2"],  # disabled hosts too
        "log": {}, "num_hosts": 2, "num_hosts_done": 0,
        "num_hosts_not_run": 2, "num_hosts_running": 0,
        "overall_status": "0 of 2 hosts done. 0 errors.",
        "period_beginning": beginning, "period_ending": ending,
        "total_errors": 0, "total_instances": 0}


@pytest.mark.parametrize("before, period", [
    ("2012-06-21 10:00:00", ("2012-05-01 00:00:00", "2012-06-01 00:00:00")),
    ("2012-06-01 00:00:00", ("2012-04-01 00:00:00", "2012-05-01 00:00:00")),
    ("2012-06-01 00:00:00.000001",
     ("2012-05-01 00:00:00", "2012-06-01 00:00:00")),
    ("2013-01-15 08:30:00", ("2012-12-01 00:00:00", "2013-01-01 00:00:00")),
])
def test_audit_log_before_a_time(two, before, period):
    """tempest: test_get_instance_usage_audit_log (the time quoted)."""
    quoted = urllib.parse.quote(before)  # as tempest sends it
    body = valid(two.get(f"{AUDIT}/{quoted}", headers=ADMIN),
                 "get_instance_usage_audit_log")
    log = body["instance_usage_audit_log"]
    assert (log["period_beginning"], log["period_ending"]) == period
    assert log["num_hosts_not_run"] == 2


@pytest.mark.parametrize("text", ["invalid_time", "2012-06-21T10:00:00",
                                  "2012-06-21", "2012-13-01 00:00:00",
                                  "0001-01-01 00:00:00"])
def test_audit_log_bad_timestamp(two, text):
    """tempest: test_get_instance_usage_audit_logs_with_invalid_time."""
    resp = two.get(f"{AUDIT}/{text.replace(' ', '%20')}", headers=ADMIN,
                   status=400)
    message = fault(resp, "badRequest", 400)
    if text.startswith("0001"):  # valid, but no period ends before it
        assert message == \
            "No audit period (month) ends before 0001-01-01 00:00:00."
    else:
        assert message == f"Invalid timestamp for date {text}"


def test_audit_log_period_option(config_dir, tmp_path):
    write_compute_config(config_dir, tmp_path, "hosts = h1:nova:1:512:1\n",
                         default_options="instance_usage_audit_period = "
                                         "day@6\n")
    app = config_dir.testapp()
    log = app.get(f"{AUDIT}/2012-06-21%2005:00:00", headers=ADMIN).json[
        "instance_usage_audit_log"]
    assert (log["period_beginning"], log["period_ending"]) == \
        ("2012-06-19 06:00:00", "2012-06-20 06:00:00")
    assert log["hosts_not_run"] == ["h1"]
    assert log["overall_status"] == "0 of 1 hosts done. 0 errors."


def test_audit_log_policy_and_query(two):
    """tempest: test_instance_usage_audit_logs_with_nonadmin_user."""
    rule = "os_compute_api:os-instance-usage-audit-log:%s"
    forbidden(two.get(AUDIT, headers=DEMO, status=403), rule % "list")
    forbidden(two.get(f"{AUDIT}/2012-06-21%2010:00:00", headers=DEMO,
                      status=403), rule % "show")
    # The policy comes first: an invalid time is still a 403.
    forbidden(two.get(f"{AUDIT}/invalid_time", headers=DEMO, status=403),
              rule % "show")
    # Unknown query parameters: ignored until 2.101, refused from 2.102.
    two.get(AUDIT + "?foo=1", headers=v("2.101"))
    two.get(AUDIT + "?foo=1", headers=v("2.102"), status=400)
    two.get(f"{AUDIT}/2012-06-21%2010:00:00?foo=1", headers=v("2.102"),
            status=400)


# -- the SQL on every backend -------------------------------------------------

@pytest.fixture
def any_db(db_url, make_cloud):
    """``two``'s hosts on each database in turn."""
    return make_cloud("h1:az1:4:4096:40, h2:az2:4:4096:40", url=db_url)


def test_hosts_and_audit_log_on_each_backend(any_db):
    app = any_db
    boot(app, "a", "az1")
    boot(app, "b", "az1", who=DEMO)
    rows, order = _rows(app, "h1")
    assert order == ["(total)", "(used_now)", "(used_max)", "admin", "demo"]
    assert (rows["(used_max)"], rows["admin"]) == ((2, 1024, 2), (1, 512, 1))
    assert _put(app, "h2", {"status": "disable"}).json["status"] == \
        "disabled"
    assert [h["host_name"] for h in hosts(app)] == ["h1"]
    log = app.get(f"{AUDIT}/2012-06-21%2010:00:00", headers=ADMIN).json[
        "instance_usage_audit_log"]
    assert (log["hosts_not_run"], log["period_ending"]) == \
        (["h1", "h2"], "2012-06-01 00:00:00")
