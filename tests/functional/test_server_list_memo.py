"""Detailed server lists are rendered once per version of each server.

``GET /servers/detail`` keeps each server's rendered JSON by its revision
and by how it was shown (handlers/servers.py ``_detail_page``). These tests
show what a user must never see from that: a stale server, another
caller's view, or a list that differs from the one rendered from scratch.
"""

import subprocess
import sys
import textwrap
import time

import pytest

from tests.helpers import (
    ADMIN,
    DEMO,
    IMAGE,
    OTHER,
    URL,
    app_db,
    boot_id,
    get,
    listing,
    make_flavor,
    v,
    write_compute_config,
)

EXTENDED = "OS-EXT-SRV-ATTR:host"


def detail(app, query="", version="2.1", who=ADMIN):
    return listing(app, query, version, who, detail=True).json


def by_id(body):
    return {s["id"]: s for s in body["servers"]}


def test_list_equals_each_server_shown_alone(cloud):
    ids = [boot_id(cloud, f"vm{n}", who=DEMO) for n in range(3)]
    for version in ("2.1", "2.47", "2.73", "2.100"):
        for who in (ADMIN, DEMO):
            for _twice in range(2):  # rendered, then remembered
                query = "all_tenants=1" if who is ADMIN else ""
                servers = by_id(detail(cloud, query, version, who))
                assert set(ids) <= set(servers)
                for ident in ids:
                    shown = get(cloud, ident, version, who)
                    # Upstream shows server_groups (2.71) for one server,
                    # never in lists.
                    shown.pop("server_groups", None)
                    assert servers[ident] == shown


def test_caller_rights_are_part_of_what_is_remembered(cloud):
    ident = boot_id(cloud, who=DEMO)
    everyone = "all_tenants=1"
    assert EXTENDED in by_id(detail(cloud, everyone, who=ADMIN))[ident]
    assert EXTENDED not in by_id(detail(cloud, who=DEMO))[ident]
    assert EXTENDED in by_id(detail(cloud, everyone, who=ADMIN))[ident]


def test_metadata_and_tags_changes_show_at_once(cloud):
    ident = boot_id(cloud, metadata={"a": "1"})
    # A first change settles the finished build; each later change then
    # touches nothing but what it changes.
    cloud.post_json(f"{URL}/{ident}/metadata", {"metadata": {"b": "2"}},
                    headers=ADMIN)
    assert by_id(detail(cloud, version="2.26"))[ident]["metadata"] == {
        "a": "1", "b": "2"}
    cloud.post_json(f"{URL}/{ident}/metadata", {"metadata": {"c": "3"}},
                    headers=ADMIN)
    assert by_id(detail(cloud, version="2.26"))[ident]["metadata"] == {
        "a": "1", "b": "2", "c": "3"}
    cloud.put(f"{URL}/{ident}/tags/blue", headers=v("2.26"))
    assert by_id(detail(cloud, version="2.26"))[ident]["tags"] == ["blue"]
    cloud.delete(f"{URL}/{ident}/metadata/a", headers=ADMIN)
    cloud.delete(f"{URL}/{ident}/tags/blue", headers=v("2.26"))
    server = by_id(detail(cloud, version="2.26"))[ident]
    assert server["metadata"] == {"b": "2", "c": "3"}
    assert server["tags"] == []


def test_a_transition_that_falls_due_shows_without_any_write(slow):
    ident = boot_id(slow)
    assert by_id(detail(slow))[ident]["status"] == "BUILD"
    time.sleep(0.5)  # build_time = 0.4
    assert by_id(detail(slow))[ident]["status"] == "ACTIVE"


def test_a_change_made_by_another_process_shows_at_once(cloud, fast_config):
    ident = boot_id(cloud, name="before")
    cloud.put_json(f"{URL}/{ident}", {"server": {"name": "before"}},
                   headers=ADMIN)  # settles the finished build
    assert by_id(detail(cloud))[ident]["name"] == "before"
    code = textwrap.dedent(f"""
        import webtest
        from nova import loading
        app = webtest.TestApp(loading.load_app(
            "osapi_compute",
            {{"OS_NOVA_CONFIG_DIR": {str(fast_config.path)!r}}}))
        app.put_json("{URL}/{ident}", {{"server": {{"name": "after"}}}},
                     headers={{"X-Auth-Token": "admin:admin"}})
        """)
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    assert by_id(detail(cloud))[ident]["name"] == "after"


def test_pages_and_next_links_match_the_unremembered_form(cloud):
    ids = [boot_id(cloud, f"vm{n}") for n in range(5)]
    seen, query = [], "limit=2"
    while True:
        body = detail(cloud, query)
        seen += [s["id"] for s in body["servers"]]
        assert [s["id"] for s in body["servers"]] == [
            s["id"] for s in listing(cloud, query).json["servers"]]
        links = body.get("servers_links")
        if not links:
            break
        assert list(body) == ["servers", "servers_links"]
        assert links[0]["rel"] == "next"
        assert "/servers/detail?" in links[0]["href"]
        query = links[0]["href"].split("?", 1)[1]
    assert sorted(seen) == sorted(ids)


def test_regex_filters_still_work(cloud):
    boot_id(cloud, "web-1")
    boot_id(cloud, "db-1")
    assert [s["name"] for s in detail(cloud, "name=^web")["servers"]] == [
        "web-1"]


def test_image_properties_at_2_98_follow_the_catalogue(cloud, make_image):
    ident = boot_id(cloud)
    server = by_id(detail(cloud, version="2.98"))[ident]
    assert server["image"]["id"] == IMAGE
    assert "properties" in server["image"]


@pytest.fixture
def backend_cloud(db_url, config_dir, tmp_path, make_image):
    """The compute API on each database in turn; builds finish at once."""
    write_compute_config(config_dir, tmp_path, "build_time = 0\n"
                         "action_time = 0\n", url=db_url)
    app = config_dir.testapp()
    make_image("cirros", image_id=IMAGE)
    make_flavor(app, "m1.tiny", flavor_id="1")
    yield app
    app_db(app).dispose()


@pytest.mark.parametrize("query", [
    "", "sort_key=display_name&sort_dir=asc",
    "sort_key=display_name&sort_dir=asc&sort_key=created_at&sort_dir=desc",
    "sort_key=launched_at&sort_dir=desc",
])
def test_pages_by_marker_on_every_database(backend_cloud, query):
    """The remembered detail pages walk the same servers in the same order
    as the plain list, page after page, on each database."""
    app = backend_cloud
    for name in ("c", "a", "e", "b", "d", "a"):
        boot_id(app, name)
    expected = [s["id"] for s in listing(app, query).json["servers"]]
    assert len(expected) == 6
    walked, page_query = [], "&".join(q for q in (query, "limit=4") if q)
    while True:
        body = detail(app, page_query)
        walked += [s["id"] for s in body["servers"]]
        if "servers_links" not in body:
            break
        page_query = body["servers_links"][0]["href"].split("?", 1)[1]
    assert walked == expected


def test_host_status_follows_the_service_at_once(cloud):
    """host_status (2.16) comes from the host's service, not the server's
    row: disabling and forcing down the host shows in the next list."""
    ident = boot_id(cloud)
    everyone = "all_tenants=1"
    server = by_id(detail(cloud, everyone, "2.16"))[ident]
    host = server["OS-EXT-SRV-ATTR:host"]
    assert server["host_status"] == "UP"
    cloud.put_json("/v2.1/os-services/disable",
                   {"host": host, "binary": "nova-compute"}, headers=ADMIN)
    assert by_id(detail(cloud, everyone, "2.16"))[ident][
        "host_status"] == "MAINTENANCE"
    cloud.put_json("/v2.1/os-services/force-down",
                   {"host": host, "binary": "nova-compute",
                    "forced_down": True}, headers=v("2.11"))
    assert by_id(detail(cloud, everyone, "2.16"))[ident][
        "host_status"] == "DOWN"


def test_show_is_never_stale_either(cloud):
    ident = boot_id(cloud, metadata={"a": "1"}, who=DEMO)
    cloud.post_json(f"{URL}/{ident}/metadata", {"metadata": {"b": "2"}},
                    headers=DEMO)  # settles the finished build
    assert get(cloud, ident, who=DEMO)["metadata"] == {"a": "1", "b": "2"}
    cloud.post_json(f"{URL}/{ident}/metadata", {"metadata": {"c": "3"}},
                    headers=DEMO)
    assert get(cloud, ident, who=DEMO)["metadata"] == {
        "a": "1", "b": "2", "c": "3"}
    assert EXTENDED in get(cloud, ident, who=ADMIN)
    assert EXTENDED not in get(cloud, ident, who=DEMO)
    cloud.get(f"{URL}/{ident}", headers=OTHER, status=404)
    cloud.delete(f"{URL}/{ident}", headers=DEMO, status=204)
    cloud.get(f"{URL}/{ident}", headers=DEMO, status=404)


def test_show_follows_group_membership_at_2_71(cloud):
    group = cloud.post_json("/v2.1/os-server-groups", {"server_group": {
        "name": "g", "policies": ["anti-affinity"]}}, headers=ADMIN).json[
        "server_group"]["id"]
    ident = cloud.post_json(URL, {
        "server": {"name": "vm", "imageRef": IMAGE, "flavorRef": "1"},
        "os:scheduler_hints": {"group": group}},
        headers=ADMIN).json["server"]["id"]
    assert get(cloud, ident, "2.71")["server_groups"] == [group]
    assert "server_groups" not in get(cloud, ident, "2.70")
    cloud.delete(f"/v2.1/os-server-groups/{group}", headers=ADMIN,
                 status=204)
    assert get(cloud, ident, "2.71")["server_groups"] == []
