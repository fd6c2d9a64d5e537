"""/limits, /os-quota-sets, /os-quota-class-sets and quota enforcement,
through the whole pipeline, against upstream Nova 34's samples and
messages. (Concurrency: test_quota_concurrency.py.)"""

import base64

import pytest

from tests.helpers import (
    ADMIN,
    ALICE,
    DEMO,
    IMAGE,
    OTHER,
    SSH_KEY,
    boot,
    conf_of,
    fault,
    make_flavor,
    sample,
    set_quota,
    v,
    write_compute_config,
)

QS = "/v2.1/os-quota-sets"
QCS = "/v2.1/os-quota-class-sets"


@pytest.fixture
def cloud(fast_compute, make_image):
    make_image("cirros", image_id=IMAGE)
    make_flavor(fast_compute, "m1.tiny", ram=512, vcpus=1, flavor_id="1")
    make_flavor(fast_compute, "m1.big", ram=2048, vcpus=4, flavor_id="4")
    return fast_compute


def servers(app, who):
    return app.get("/v2.1/servers", headers=who).json["servers"]


# -- /limits ------------------------------------------------------------------

@pytest.mark.parametrize("name,version", [("limits", "2.1"),
                                          ("limits_v2_57", "2.57")])
def test_limits_match_samples(cloud, name, version):
    _status, _headers, expected = sample(name)
    boot(cloud)  # the samples' project used one m1.tiny
    resp = cloud.get("/v2.1/limits", headers=v(version))
    assert resp.json == expected
    assert list(resp.json["limits"]["absolute"]) == list(
        expected["limits"]["absolute"])


@pytest.mark.parametrize("version,key", [
    ("2.36", "maxTotalFloatingIps"), ("2.36", "maxSecurityGroups"),
    ("2.36", "maxSecurityGroupRules"), ("2.36", "totalFloatingIpsUsed"),
    ("2.36", "totalSecurityGroupsUsed"), ("2.39", "maxImageMeta"),
    ("2.57", "maxPersonality"), ("2.57", "maxPersonalitySize"),
])
def test_limits_boundaries(cloud, version, key):
    major, minor = version.split(".")
    before = f"{major}.{int(minor) - 1}"
    assert key in cloud.get("/v2.1/limits", headers=v(before)).json[
        "limits"]["absolute"]
    assert key not in cloud.get("/v2.1/limits", headers=v(version)).json[
        "limits"]["absolute"]


def test_limits_of_another_project_for_admins(cloud):
    boot(cloud, who=DEMO)
    set_quota(cloud, "demo", cores=7)
    absolute = cloud.get("/v2.1/limits?tenant_id=demo", headers=ADMIN).json[
        "limits"]["absolute"]
    assert (absolute["maxTotalCores"], absolute["totalCoresUsed"]) == (7, 1)
    own = cloud.get("/v2.1/limits", headers=ADMIN).json["limits"]["absolute"]
    assert (own["maxTotalCores"], own["totalCoresUsed"]) == (20, 0)
    resp = cloud.get("/v2.1/limits?tenant_id=admin", headers=DEMO,
                     status=403)
    assert fault(resp, "forbidden", 403) == (
        "Policy doesn't allow os_compute_api:limits:other_project to be "
        "performed.")
    mine = cloud.get("/v2.1/limits", headers=DEMO).json["limits"]
    assert mine["rate"] == []
    assert mine["absolute"]["maxTotalCores"] == 7


def test_limits_unknown_query_parameters(cloud):
    cloud.get("/v2.1/limits?foo=1", headers=v("2.74"))
    resp = cloud.get("/v2.1/limits?foo=1", headers=v("2.75"), status=400)
    fault(resp, "badRequest", 400)


# -- /os-quota-sets -----------------------------------------------------------

@pytest.mark.parametrize("name,suffix", [("quota_sets_admin", ""),
                                         ("quota_sets_detail", "/detail")])
def test_quota_sets_match_samples(cloud, name, suffix):
    _status, _headers, expected = sample(name)
    boot(cloud)
    cloud.post_json("/v2.1/os-keypairs", {"keypair": {
        "name": "k", "public_key": SSH_KEY}}, headers=ADMIN)
    resp = cloud.get(f"{QS}/admin{suffix}", headers=ADMIN)
    assert resp.json == expected
    assert list(resp.json["quota_set"]) == list(expected["quota_set"])


@pytest.mark.parametrize("suffix", ["", "/detail", "/defaults"])
def test_quota_set_keys_by_version(cloud, suffix):
    network = {"fixed_ips", "floating_ips", "security_groups",
               "security_group_rules"}
    injected = {"injected_files", "injected_file_content_bytes",
                "injected_file_path_bytes"}

    def keys(version):
        return set(cloud.get(f"{QS}/demo{suffix}", headers=v(version)).json[
            "quota_set"])

    everything = keys("2.35")
    assert network | injected <= everything and "id" in everything
    assert keys("2.36") == everything - network
    assert keys("2.56") == everything - network
    assert keys("2.57") == everything - network - injected


def test_defaults_and_show(cloud):
    defaults = cloud.get(f"{QS}/anything/defaults", headers=DEMO).json[
        "quota_set"]
    assert defaults["id"] == "anything"
    assert (defaults["instances"], defaults["cores"], defaults["ram"]) == (
        10, 20, 51200)
    set_quota(cloud, "demo", instances=3)
    assert cloud.get(f"{QS}/demo", headers=DEMO).json["quota_set"][
        "instances"] == 3
    assert cloud.get(f"{QS}/demo/defaults", headers=DEMO).json["quota_set"][
        "instances"] == 10


def test_quota_set_policies(cloud):
    cloud.get(f"{QS}/demo", headers=DEMO)
    cloud.get(f"{QS}/demo/detail", headers=DEMO)
    for path in (f"{QS}/other", f"{QS}/other/detail"):
        resp = cloud.get(path, headers=DEMO, status=403)
        fault(resp, "forbidden", 403)
    resp = cloud.put_json(f"{QS}/demo", {"quota_set": {"instances": 1}},
                          headers=DEMO, status=403)
    assert fault(resp, "forbidden", 403) == (
        "Policy doesn't allow os_compute_api:os-quota-sets:update to be "
        "performed.")
    cloud.delete(f"{QS}/demo", headers=DEMO, status=403)


def test_update_answers_without_id_and_validates(cloud):
    resp = set_quota(cloud, "demo", instances="4", cores=-1)
    assert "id" not in resp.json["quota_set"]
    assert (resp.json["quota_set"]["instances"],
            resp.json["quota_set"]["cores"]) == (4, -1)
    for bad in ({"instances": -2}, {"instances": "x"}, {"instances": 1.5},
                {"nope": 1}, {"instances": 2 ** 31},
                {"force": "maybe"}):
        resp = cloud.put_json(f"{QS}/demo", {"quota_set": bad},
                              headers=ADMIN, status=400)
        fault(resp, "badRequest", 400)
    for bad in ({"quota_set": []}, {}, {"quota_set": {}, "x": 1}):
        cloud.put_json(f"{QS}/demo", bad, headers=ADMIN, status=400)
    resp = set_quota(cloud, "demo", status=400, instances="-5")
    assert fault(resp, "badRequest", 400) == (
        "Quota limit -5 for instances must be -1 or greater.")
    # upstream's schemas have had no "networks" key since Train
    for version in ("2.1", "2.35", "2.36"):
        resp = set_quota(cloud, "demo", status=400, version=version,
                         networks=5)
        assert "('networks' was unexpected)" in fault(resp, "badRequest",
                                                       400)
    set_quota(cloud, "demo", floating_ips=3, version="2.35")
    set_quota(cloud, "demo", status=400, version="2.36", floating_ips=3)
    set_quota(cloud, "demo", injected_files=3, version="2.56")
    set_quota(cloud, "demo", status=400, version="2.57", injected_files=3)


def test_update_below_usage_needs_force(cloud):
    boot(cloud, who=DEMO, max_count=2)
    resp = set_quota(cloud, "demo", status=400, instances=1)
    assert fault(resp, "badRequest", 400) == (
        "Quota limit 1 for instances must be greater than or equal to "
        "already used and reserved 2.")
    resp = set_quota(cloud, "demo", instances=1, force=True)
    assert resp.json["quota_set"]["instances"] == 1
    detail = cloud.get(f"{QS}/demo/detail", headers=DEMO).json["quota_set"]
    assert detail["instances"] == {"limit": 1, "in_use": 2, "reserved": 0}
    assert detail["cores"] == {"limit": 20, "in_use": 2, "reserved": 0}


def test_user_quotas(cloud):
    set_quota(cloud, "demo", instances=5)
    resp = set_quota(cloud, "demo", query="?user_id=alice", instances=2)
    assert resp.json["quota_set"]["instances"] == 2
    assert cloud.get(f"{QS}/demo?user_id=alice", headers=DEMO).json[
        "quota_set"]["instances"] == 2
    assert cloud.get(f"{QS}/demo", headers=DEMO).json["quota_set"][
        "instances"] == 5
    resp = set_quota(cloud, "demo", status=400, query="?user_id=bob",
                     instances=4)
    assert fault(resp, "badRequest", 400) == (
        "Quota limit 4 for instances must be less than or equal to 3.")
    # alice is held to 2, demo (the user) to the project's 5
    boot(cloud, "a", who=ALICE, max_count=2)
    resp = boot(cloud, "a3", who=ALICE, status=403)
    assert fault(resp, "forbidden", 403) == (
        "Quota exceeded for instances: Requested 1, but already used 2 of "
        "2 instances")
    boot(cloud, "d", who=DEMO, max_count=3)
    resp = boot(cloud, "d4", who=DEMO, status=403)
    assert fault(resp, "forbidden", 403) == (
        "Quota exceeded for instances: Requested 1, but already used 5 of "
        "5 instances")
    detail = cloud.get(f"{QS}/demo/detail?user_id=alice", headers=DEMO).json
    assert detail["quota_set"]["instances"]["in_use"] == 2
    # Revert: the user's first, then the project's.
    cloud.delete(f"{QS}/demo?user_id=alice", headers=ADMIN, status=202)
    assert cloud.get(f"{QS}/demo?user_id=alice", headers=DEMO).json[
        "quota_set"]["instances"] == 5
    resp = cloud.delete(f"{QS}/demo", headers=ADMIN, status=202)
    assert resp.body == b""
    assert cloud.get(f"{QS}/demo", headers=DEMO).json["quota_set"][
        "instances"] == 10


def test_quota_set_unknown_query_parameters(cloud):
    cloud.get(f"{QS}/demo?foo=1", headers=v("2.74"))
    resp = cloud.get(f"{QS}/demo?foo=1", headers=v("2.75"), status=400)
    fault(resp, "badRequest", 400)
    # upstream's defaults_query is never strict
    cloud.get(f"{QS}/demo/defaults?foo=1", headers=v("2.101"))
    cloud.get(f"{QS}/demo/defaults?foo=1", headers=v("2.102"))


# -- /os-quota-class-sets -----------------------------------------------------

def test_quota_class_sets(cloud):
    def keys(version):
        return set(cloud.get(f"{QCS}/default", headers=v(version)).json[
            "quota_class_set"])

    old = keys("2.49")
    assert "server_groups" not in old and "floating_ips" in old
    assert "id" in old
    new = keys("2.50")
    assert {"server_groups", "server_group_members"} <= new
    assert "floating_ips" not in new and "injected_files" in new
    assert "injected_files" not in keys("2.57")
    resp = cloud.put_json(f"{QCS}/default", {"quota_class_set": {
        "cores": 5, "instances": "3"}}, headers=v("2.50"))
    assert resp.json["quota_class_set"]["cores"] == 5
    assert "id" not in resp.json["quota_class_set"]
    # The default class is every project's default.
    assert cloud.get(f"{QS}/demo", headers=DEMO).json["quota_set"][
        "cores"] == 5
    assert cloud.get("/v2.1/limits", headers=DEMO).json["limits"][
        "absolute"]["maxTotalInstances"] == 3
    set_quota(cloud, "demo", cores=9)
    assert cloud.get(f"{QS}/demo", headers=DEMO).json["quota_set"][
        "cores"] == 9
    cloud.get(f"{QCS}/default", headers=DEMO, status=403)
    cloud.put_json(f"{QCS}/default", {"quota_class_set": {"cores": 1}},
                   headers=DEMO, status=403)
    cloud.put_json(f"{QCS}/default", {"quota_class_set": {"cores": -3}},
                   headers=ADMIN, status=400)
    cloud.put_json(f"{QCS}/default", {"quota_class_set": {
        "server_groups": 1}}, headers=v("2.57"))
    cloud.put_json(f"{QCS}/default", {"quota_class_set": {
        "floating_ips": 1}}, headers=v("2.50"), status=400)


# -- enforcement --------------------------------------------------------------

def test_instances_cores_and_ram(cloud):
    set_quota(cloud, "demo", instances=3, cores=5, ram=4096)
    boot(cloud, who=DEMO, max_count=2)
    resp = boot(cloud, who=DEMO, flavorRef="4", status=403)
    assert fault(resp, "forbidden", 403) == (
        "Quota exceeded for cores: Requested 4, but already used 2 of 5 "
        "cores")
    set_quota(cloud, "demo", cores=-1, ram=2048)
    resp = boot(cloud, who=DEMO, flavorRef="4", status=403)
    assert fault(resp, "forbidden", 403) == (
        "Quota exceeded for ram: Requested 2048, but already used 1024 of "
        "2048 ram")
    boot(cloud, who=DEMO)
    resp = boot(cloud, who=DEMO, status=403)
    assert fault(resp, "forbidden", 403) == (
        "Quota exceeded for instances: Requested 1, but already used 3 of "
        "3 instances")
    set_quota(cloud, "demo", ram=1800)
    resp = boot(cloud, who=DEMO, status=403)
    assert fault(resp, "forbidden", 403) == (
        "Quota exceeded for instances, ram: Requested 1, 512, but already "
        "used 3, 1536 of 3, 1800 instances, ram")
    assert len(servers(cloud, DEMO)) == 3
    # Another project is not affected; deleting frees room.
    boot(cloud, who=OTHER)
    cloud.delete(f"/v2.1/servers/{servers(cloud, DEMO)[0]['id']}",
                 headers=DEMO)
    boot(cloud, who=DEMO)


def test_min_and_max_count(cloud):
    set_quota(cloud, "demo", instances=3)
    resp = boot(cloud, "m", who=DEMO, min_count=1, max_count=5,
                return_reservation_id=True)
    assert len(servers(cloud, DEMO)) == 3
    assert resp.json["reservation_id"]
    set_quota(cloud, "demo", instances=5)
    resp = boot(cloud, "n", who=DEMO, status=403, min_count=3, max_count=4)
    assert fault(resp, "forbidden", 403) == (
        "Quota exceeded for instances: Requested 3-4, but already used 3 "
        "of 5 instances")
    resp = boot(cloud, "n", who=DEMO, status=403, min_count=3, max_count=3)
    assert fault(resp, "forbidden", 403) == (
        "Quota exceeded for instances: Requested 3, but already used 3 of "
        "5 instances")
    boot(cloud, "n", who=DEMO, min_count=2, max_count=3)
    assert len(servers(cloud, DEMO)) == 5


def test_error_and_stopped_servers_count(cloud):
    set_quota(cloud, "demo", instances=1)
    make_flavor(cloud, "m1.nowhere", ram=64, disk=10 ** 6, flavor_id="far")
    boot(cloud, who=DEMO, flavorRef="far")  # ERROR: fits no host
    boot(cloud, who=DEMO, status=403)


def test_metadata_items(cloud):
    set_quota(cloud, "demo", metadata_items=2)
    resp = boot(cloud, who=DEMO, metadata={"a": "1", "b": "2", "c": "3"},
                status=403)
    assert fault(resp, "forbidden", 403) == (
        "Maximum number of metadata items exceeds 2")
    server_id = boot(cloud, who=DEMO, metadata={"a": "1"}).json["server"][
        "id"]
    base = f"/v2.1/servers/{server_id}/metadata"
    cloud.post_json(base, {"metadata": {"b": "2"}}, headers=DEMO)
    cloud.put_json(base + "/b", {"meta": {"b": "3"}}, headers=DEMO)
    for method, path, body in (
            ("post_json", base, {"metadata": {"c": "3"}}),
            ("put_json", base + "/c", {"meta": {"c": "3"}}),
            ("put_json", base, {"metadata": {"x": "1", "y": "2",
                                             "z": "3"}})):
        resp = getattr(cloud, method)(path, body, headers=DEMO, status=403)
        assert fault(resp, "forbidden", 403) == (
            "Maximum number of metadata items exceeds 2")
    cloud.put_json(base, {"metadata": {"x": "1", "y": "2"}}, headers=DEMO)


def test_injected_files(cloud):
    set_quota(cloud, "demo", injected_files=1, injected_file_path_bytes=10,
              injected_file_content_bytes=4)

    def files(*items):
        return [{"path": p, "contents": base64.b64encode(c).decode()}
                for p, c in items]

    boot(cloud, who=DEMO, personality=files(("/a", b"1234")))
    for items, message in (
            ((("/a", b"1"), ("/b", b"2")), "Personality file limit exceeded"),
            ((("/" + "a" * 10, b"1"),),
             "Personality file path exceeds maximum 10"),
            ((("/a", b"12345"),),
             "Personality file content exceeds maximum 4")):
        resp = boot(cloud, who=DEMO, personality=files(*items), status=403)
        assert fault(resp, "forbidden", 403) == message


def test_key_pairs(cloud):
    set_quota(cloud, "demo", key_pairs=1)
    cloud.post_json("/v2.1/os-keypairs", {"keypair": {
        "name": "k1", "public_key": SSH_KEY}}, headers=DEMO)
    for body in ({"name": "k2", "public_key": SSH_KEY}, {"name": "k3"}):
        resp = cloud.post_json("/v2.1/os-keypairs", {"keypair": body},
                               headers=DEMO, status=403)
        assert fault(resp, "forbidden", 403) == (
            "Quota exceeded, too many key pairs.")
    # Key pairs are the user's: alice (same project) has her own.
    cloud.post_json("/v2.1/os-keypairs", {"keypair": {
        "name": "k1", "public_key": SSH_KEY}}, headers=ALICE)


def test_server_groups_quota(cloud):
    set_quota(cloud, "demo", server_groups=1)
    body = {"server_group": {"name": "g", "policies": ["affinity"]}}
    cloud.post_json("/v2.1/os-server-groups", body, headers=DEMO)
    resp = cloud.post_json("/v2.1/os-server-groups", body, headers=DEMO,
                           status=403)
    assert fault(resp, "forbidden", 403) == (
        "Quota exceeded, too many server groups.")
    limits = cloud.get("/v2.1/limits", headers=DEMO).json["limits"][
        "absolute"]
    assert (limits["maxServerGroups"], limits["totalServerGroupsUsed"]) \
        == (1, 1)


def test_shelved_offloaded_and_soft_deleted_servers(cloud, fast_config):
    """How usage counts servers at rest in those states (set directly: the
    actions that lead there are another module's)."""
    from nova import exception
    from nova.compute import quota_limits, quotas
    from nova.db import api as db_api
    from nova.db.models import Instance

    ids = [boot(cloud, who=DEMO).json["server"]["id"] for _ in range(2)]
    db = db_api.Database(conf_of(fast_config).database)
    try:
        with db.writer() as session:
            for server_id, state in zip(ids, ("shelved_offloaded",
                                              "soft-deleted"), strict=True):
                row = session.query(Instance).filter_by(
                    uuid=server_id).one()
                row.vm_state, row.task_state = state, None
                row.task_deadline = None
        with db.reader() as session:
            usage = quotas.instance_usage(session, "demo")["project"]
        assert usage == {"instances": 1, "cores": 0, "ram": 0}
        # check_delta: what an unshelve asks before taking cores again.
        with db.writer() as session:
            quota_limits.update(session, conf_of(fast_config), "demo", None,
                          {"cores": 1})
        with pytest.raises(exception.QuotaExceeded) as caught, \
                db.writer() as session:
            quotas.check_delta(session, conf_of(fast_config), "demo",
                               "demo", cores=2, ram=512)
        assert caught.value.message == (
            "Quota exceeded for cores: Requested 2, but already used 0 of 1 "
            "cores")
        with db.writer() as session:
            quotas.check_delta(session, conf_of(fast_config), "demo",
                               "demo", cores=1, ram=512)
    finally:
        db.dispose()


def test_noop_driver(config_dir, tmp_path, make_image):
    write_compute_config(config_dir, tmp_path, """
        build_time = 0
        [quota]
        driver = nova.quota.NoopQuotaDriver
        instances = 0
        """)
    app = config_dir.testapp()
    make_image("cirros", image_id=IMAGE)
    make_flavor(app, "m1.tiny", flavor_id="1")
    boot(app, who=DEMO, max_count=3)
    absolute = app.get("/v2.1/limits", headers=DEMO).json["limits"][
        "absolute"]
    assert absolute["maxTotalInstances"] == -1
    assert absolute["totalInstancesUsed"] == -1
    detail = app.get(f"{QS}/demo/detail", headers=DEMO).json["quota_set"]
    assert detail["instances"] == {"limit": -1, "in_use": -1,
                                   "reserved": -1}


def test_config_defaults(config_dir, tmp_path, make_image):
    write_compute_config(config_dir, tmp_path, """
        build_time = 0
        [quota]
        instances = 1
        cores = -1
        """)
    app = config_dir.testapp()
    make_image("cirros", image_id=IMAGE)
    make_flavor(app, "m1.tiny", flavor_id="1")
    boot(app, who=DEMO)
    resp = boot(app, who=DEMO, status=403)
    assert fault(resp, "forbidden", 403) == (
        "Quota exceeded for instances: Requested 1, but already used 1 of 1 "
        "instances")
    assert app.get(f"{QS}/demo/defaults", headers=DEMO).json["quota_set"][
        "cores"] == -1


def test_unlimited_project(cloud):
    set_quota(cloud, "demo", instances=-1, cores=-1, ram=-1)
    boot(cloud, who=DEMO, max_count=12)
    assert len(servers(cloud, DEMO)) == 12
    detail = cloud.get(f"{QS}/demo/detail", headers=DEMO).json["quota_set"]
    assert detail["instances"] == {"limit": -1, "in_use": 12, "reserved": 0}
    set_quota(cloud, "demo", instances=12)
    resp = boot(cloud, who=DEMO, status=403)
    assert fault(resp, "forbidden", 403) == (
        "Quota exceeded for instances: Requested 1, but already used 12 of "
        "12 instances")
