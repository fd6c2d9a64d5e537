"""/os-server-groups and placement by group policy, through the whole
pipeline, against upstream Nova 34's samples."""

import functools

import pytest

from tests import helpers
from tests.helpers import (
    ADMIN,
    DEMO,
    IMAGE,
    NO_HOST,
    OTHER,
    fault,
    get,
    make_flavor,
    sample,
    v,
    write_compute_config,
)

URL = "/v2.1/os-server-groups"

# The boots of this module: no microversion header, the response.
boot = functools.partial(helpers.boot, version=None)


@pytest.fixture
def cloud(config_dir, tmp_path, make_image):
    """Three hosts of 4 vCPUs (x4) and 2048 MB; servers build at once."""
    write_compute_config(config_dir, tmp_path, """
        hosts = h1:nova:4:2048:100, h2:nova:4:2048:100, h3:nova:4:2048:100
        build_time = 0
        action_time = 0
        """)
    app = config_dir.testapp()
    make_image("cirros", image_id=IMAGE)
    make_flavor(app, "m1.tiny", ram=512, vcpus=1, flavor_id="1")
    return app


def create(app, name="sg", policy="anti-affinity", version="2.64",
           who=ADMIN, status=200, rules=None):
    if tuple(map(int, version.split("."))) >= (2, 64):
        group = {"name": name, "policy": policy}
        if rules is not None:
            group["rules"] = rules
    else:
        group = {"name": name, "policies": [policy]}
    return app.post_json(URL, {"server_group": group},
                         headers=v(version, who), status=status)


def test_create_and_list_match_samples(cloud):
    _s, _h, created = sample("server_groups_create")
    resp = create(cloud, "sg1")
    body = resp.json["server_group"]
    assert list(body) == list(created["server_group"])
    assert {k: body[k] for k in body if k != "id"} == {
        k: v for k, v in created["server_group"].items() if k != "id"}
    _s, _h, listed = sample("server_groups_list")
    resp = cloud.get(URL, headers=ADMIN)
    assert resp.json == {"server_groups": [
        {**listed["server_groups"][0], "id": body["id"]}]}


def test_views_by_version(cloud):
    group_id = create(cloud, rules={"max_server_per_host": 2}).json[
        "server_group"]["id"]
    shapes = {
        "2.1": ["id", "name", "policies", "metadata", "members"],
        "2.12": ["id", "name", "policies", "metadata", "members"],
        "2.13": ["id", "name", "policies", "metadata", "members",
                 "project_id", "user_id"],
        "2.63": ["id", "name", "policies", "metadata", "members",
                 "project_id", "user_id"],
        "2.64": ["id", "name", "policy", "rules", "members", "project_id",
                 "user_id"],
    }
    for version, keys in shapes.items():
        shown = cloud.get(f"{URL}/{group_id}", headers=v(version)).json[
            "server_group"]
        assert list(shown) == keys, version
    shown = cloud.get(f"{URL}/{group_id}", headers=v("2.63")).json[
        "server_group"]
    assert (shown["policies"], shown["metadata"]) == (["anti-affinity"], {})
    shown = cloud.get(f"{URL}/{group_id}", headers=v("latest")).json[
        "server_group"]
    assert (shown["policy"], shown["rules"]) == (
        "anti-affinity", {"max_server_per_host": 2})


def test_create_validation_by_version(cloud):
    create(cloud, policy="soft-affinity", version="2.14", status=400)
    create(cloud, policy="soft-affinity", version="2.15")
    create(cloud, policy="affinity", version="2.1")
    for body in ({"name": "x", "policies": ["affinity", "anti-affinity"]},
                 {"name": "x", "policies": []}, {"name": "x"},
                 {"name": "", "policies": ["affinity"]},
                 {"name": "x", "policies": ["legacy"]},
                 {"name": "x", "policy": "affinity"}):
        cloud.post_json(URL, {"server_group": body}, headers=v("2.63"),
                        status=400)
    for body in ({"name": "x", "policies": ["affinity"]},
                 {"name": "x", "policy": "affinity", "rules": {"x": 1}},
                 {"name": "x", "policy": "anti-affinity",
                  "rules": {"max_server_per_host": 0}},
                 {"name": "x", "policy": "nope"}):
        cloud.post_json(URL, {"server_group": body}, headers=v("2.64"),
                        status=400)
    resp = create(cloud, policy="affinity", status=400,
                  rules={"max_server_per_host": 2})
    assert fault(resp, "badRequest", 400, body_code=False) == (
        "Only anti-affinity policy supports rules.")


def test_projects_and_policy(cloud):
    mine = create(cloud, "mine", who=DEMO).json["server_group"]["id"]
    theirs = create(cloud, "theirs", who=OTHER).json["server_group"]["id"]
    assert [g["name"] for g in cloud.get(URL, headers=DEMO).json[
        "server_groups"]] == ["mine"]
    # Non-admins asking for every project get their own, as upstream.
    assert [g["name"] for g in cloud.get(
        URL + "?all_projects=1", headers=DEMO).json["server_groups"]] == [
        "mine"]
    assert cloud.get(URL, headers=ADMIN).json["server_groups"] == []
    assert sorted(g["name"] for g in cloud.get(
        URL + "?all_projects=True", headers=ADMIN).json[
        "server_groups"]) == ["mine", "theirs"]
    resp = cloud.get(f"{URL}/{theirs}", headers=DEMO, status=404)
    assert fault(resp, "itemNotFound", 404, body_code=False) == (
        f"Instance group {theirs} could not be found.")
    cloud.delete(f"{URL}/{theirs}", headers=DEMO, status=404)
    cloud.get(f"{URL}/{theirs}", headers=ADMIN)
    cloud.delete(f"{URL}/{mine}", headers=DEMO, status=204)
    cloud.get(f"{URL}/{mine}", headers=DEMO, status=404)
    cloud.delete(f"{URL}/{theirs}", headers=ADMIN, status=204)


def test_pagination(cloud):
    for i in range(5):
        create(cloud, f"g{i}")

    def names(query):
        return [g["name"] for g in cloud.get(URL + query, headers=ADMIN)
                .json["server_groups"]]

    assert names("") == ["g0", "g1", "g2", "g3", "g4"]
    assert names("?limit=2") == ["g0", "g1"]
    assert names("?limit=2&offset=3") == ["g3", "g4"]
    assert names("?offset=4") == ["g4"]
    cloud.get(URL + "?limit=x", headers=ADMIN, status=400)
    cloud.get(URL + "?offset=-1", headers=ADMIN, status=400)
    cloud.get(URL + "?foo=1", headers=v("2.74"))
    cloud.get(URL + "?foo=1", headers=v("2.75"), status=400)


def test_members_and_server_view(cloud):
    group_id = create(cloud, policy="soft-affinity").json["server_group"][
        "id"]
    first = boot(cloud, group=group_id).json["server"]["id"]
    second = boot(cloud, group=group_id).json["server"]["id"]
    other = boot(cloud).json["server"]["id"]
    shown = cloud.get(f"{URL}/{group_id}", headers=ADMIN).json
    assert shown["server_group"]["members"] == [first, second]
    assert get(cloud, first, "2.71")["server_groups"] == [group_id]
    assert get(cloud, other, "2.71")["server_groups"] == []
    assert "server_groups" not in get(cloud, first, "2.70")
    detail = cloud.get("/v2.1/servers/detail", headers=v("2.71")).json
    assert all("server_groups" not in s for s in detail["servers"])
    updated = cloud.put_json(f"/v2.1/servers/{first}", {"server": {
        "name": "renamed"}}, headers=v("2.71")).json["server"]
    assert updated["server_groups"] == [group_id]
    # soft-affinity: together while they fit.
    assert get(cloud, first, "2.3")["OS-EXT-SRV-ATTR:host"] == \
        get(cloud, second, "2.3")["OS-EXT-SRV-ATTR:host"]
    cloud.delete(f"/v2.1/servers/{first}", headers=ADMIN)
    assert cloud.get(f"{URL}/{group_id}", headers=ADMIN).json[
        "server_group"]["members"] == [second]
    cloud.delete(f"{URL}/{group_id}", headers=ADMIN)
    assert get(cloud, second, "2.71")["server_groups"] == []


def test_bad_group_hints(cloud):
    resp = boot(cloud, group="not-a-uuid", status=400)
    assert "is not a 'uuid'" in fault(resp, "badRequest", 400, body_code=False)
    missing = "9c8a3b4e-1111-4222-8333-444455556666"
    resp = boot(cloud, group=missing, status=400)
    assert fault(resp, "badRequest", 400, body_code=False) == (
        f"Instance group {missing} could not be found.")
    theirs = create(cloud, who=OTHER).json["server_group"]["id"]
    resp = boot(cloud, group=theirs, who=DEMO, status=400)
    assert fault(resp, "badRequest", 400, body_code=False) == (
        f"Instance group {theirs} could not be found.")


def hosts_of(cloud, server_ids):
    return [get(cloud, s, "2.3")["OS-EXT-SRV-ATTR:host"]
            for s in server_ids]


def test_anti_affinity(cloud):
    group_id = create(cloud).json["server_group"]["id"]
    ids = [boot(cloud, group=group_id).json["server"]["id"] for _ in range(3)]
    assert sorted(hosts_of(cloud, ids)) == ["h1", "h2", "h3"]
    fourth = boot(cloud, group=group_id).json["server"]["id"]
    server = get(cloud, fourth, "2.3")
    assert server["status"] == "ERROR"
    assert server["fault"]["message"] == NO_HOST
    assert server["OS-EXT-SRV-ATTR:host"] is None


def test_anti_affinity_with_max_server_per_host(cloud):
    group_id = create(cloud, rules={"max_server_per_host": 2}).json[
        "server_group"]["id"]
    resp = boot(cloud, group=group_id, max_count=6, min_count=1,
                return_reservation_id=True)
    listed = cloud.get("/v2.1/servers/detail?reservation_id="
                       + resp.json["reservation_id"], headers=v("2.3")).json
    hosts = sorted(s["OS-EXT-SRV-ATTR:host"] for s in listed["servers"])
    # Two per host, on three hosts.
    assert hosts == ["h1", "h1", "h2", "h2", "h3", "h3"]
    # A seventh member fits on no host the rule allows.
    seventh = boot(cloud, group=group_id).json["server"]["id"]
    assert get(cloud, seventh, "2.3")["status"] == "ERROR"


def test_affinity(cloud):
    group_id = create(cloud, policy="affinity").json["server_group"]["id"]
    ids = [boot(cloud, group=group_id).json["server"]["id"] for _ in range(4)]
    hosts = hosts_of(cloud, ids)
    assert len(set(hosts)) == 1
    # The host is full (4 x 512 MB): the next one fits nowhere allowed.
    fifth = boot(cloud, group=group_id).json["server"]["id"]
    assert get(cloud, fifth, "2.3")["status"] == "ERROR"
    # Without the group it finds another host.
    assert get(cloud, boot(cloud).json["server"]["id"], "2.3")[
        "status"] == "ACTIVE"


def test_soft_anti_affinity_spreads_then_shares(cloud):
    group_id = create(cloud, policy="soft-anti-affinity").json[
        "server_group"]["id"]
    ids = [boot(cloud, group=group_id).json["server"]["id"] for _ in range(4)]
    hosts = hosts_of(cloud, ids)
    assert sorted(set(hosts)) == ["h1", "h2", "h3"]
    assert all(get(cloud, s, "2.3")["status"] == "ACTIVE" for s in ids)


def test_group_members_quota(cloud):
    cloud.put_json("/v2.1/os-quota-sets/demo", {"quota_set": {
        "server_group_members": 2}}, headers=ADMIN)
    group_id = create(cloud, policy="soft-affinity", who=DEMO).json[
        "server_group"]["id"]
    boot(cloud, group=group_id, who=DEMO)
    resp = boot(cloud, group=group_id, who=DEMO, status=403, max_count=2)
    assert fault(resp, "forbidden", 403, body_code=False) == (
        "Quota exceeded, too many servers in group")
    boot(cloud, group=group_id, who=DEMO)
    boot(cloud, group=group_id, who=DEMO, status=403)


@pytest.mark.parametrize("query", [
    "offset=99999999999999999999999", "offset=9223372036854775808",
    "limit=99999999999999999999999&offset=1",
    "all_projects=%C2%89&limit=8&limit=68&offset=6155691&offset=143"])
def test_huge_paging_numbers_select_nothing(cloud, query):
    """Found by the fuzzer: an offset beyond a 64-bit integer was a 500."""
    create(cloud)
    resp = cloud.get(f"/v2.1/os-server-groups?{query}", headers=ADMIN)
    assert resp.status_int == 200
    if "offset=1" not in query:
        assert resp.json["server_groups"] == []
