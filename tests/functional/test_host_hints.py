"""The same_host and different_host scheduler hints (upstream's
SameHostFilter and DifferentHostFilter), on two hosts."""

import pytest

from tests.helpers import (
    ADMIN,
    IMAGE,
    URL,
    action,
    boot_id,
    fault,
    host_of,
    make_flavor,
    write_compute_config,
)

BOTH = "SameHostFilter, DifferentHostFilter"


def _two_hosts(config_dir, tmp_path, make_image, filters=None):
    scheduler = (f"[filter_scheduler]\nenabled_filters = ComputeFilter, "
                 f"{filters}\n" if filters else "")
    write_compute_config(config_dir, tmp_path, "hosts = h1:nova:4:4096:40, "
                         "h2:nova:4:4096:40\nbuild_time = 0\n"
                         "action_time = 0\n" + scheduler)
    app = config_dir.testapp()
    make_image("cirros", image_id=IMAGE)
    make_flavor(app, "m1.tiny", ram=512, vcpus=1, disk=1, flavor_id="1")
    make_flavor(app, "m1.small", ram=1024, vcpus=1, disk=1, flavor_id="2")
    return app


@pytest.fixture
def hinted(config_dir, tmp_path, make_image):
    return _two_hosts(config_dir, tmp_path, make_image, BOTH)


@pytest.fixture
def plain(config_dir, tmp_path, make_image):
    return _two_hosts(config_dir, tmp_path, make_image)


def boot_hinted(app, name, hints, status=202):
    body = {"server": {"name": name, "imageRef": IMAGE, "flavorRef": "1"},
            "os:scheduler_hints": hints}
    return app.post_json(URL, body, headers=ADMIN, status=status)


def host(app, server_id):
    return host_of(app, server_id)[1]


def test_same_and_different_host(hinted):
    first = boot_id(hinted, "first")
    first_host = host(hinted, first)
    for n in range(3):  # spreading alone would alternate
        twin = boot_hinted(hinted, f"twin{n}",
                           {"same_host": first}).json["server"]["id"]
        assert host(hinted, twin) == first_host
    other = boot_hinted(hinted, "other", {"different_host": [first]}).json[
        "server"]["id"]
    assert host(hinted, other) not in (None, first_host)
    # Different from both: no host is left.
    late = boot_hinted(hinted, "late", {"different_host": [first, other]})
    server = hinted.get(f"{URL}/{late.json['server']['id']}",
                        headers=ADMIN).json["server"]
    assert server["status"] == "ERROR"
    assert "No valid host" in server["fault"]["message"]


def test_same_host_of_servers_that_are_gone_leaves_no_host(hinted):
    gone = boot_id(hinted, "gone")
    hinted.delete(f"{URL}/{gone}", headers=ADMIN)
    for target in (gone, "7b2fd3a1-0c5e-4f7e-9d1a-9a0e3e5d0b11"):
        resp = boot_hinted(hinted, "orphan", {"same_host": [target]})
        assert host_of(hinted, resp.json["server"]["id"])[0] == "ERROR"


def test_a_cold_migration_keeps_to_the_hints(hinted):
    first = boot_id(hinted, "first")
    other = boot_hinted(hinted, "other", {"different_host": first}).json[
        "server"]["id"]
    # The only other host runs ``first``: the migration finds none.
    action(hinted, other, {"migrate": None})
    assert host_of(hinted, other)[:2] == ("ACTIVE", host(hinted, other))
    migrations = hinted.get("/v2.1/os-migrations",
                            headers=ADMIN).json["migrations"]
    assert [m["status"] for m in migrations] == ["error"]
    # Without the hint the same server would have moved.
    action(hinted, first, {"migrate": None})
    assert host_of(hinted, first)[0] == "VERIFY_RESIZE"


def test_hints_are_ignored_when_their_filters_are_off(plain):
    # As upstream's defaults: neither filter is enabled.
    first = boot_id(plain, "first")
    twin = boot_hinted(plain, "twin", {"same_host": first}).json["server"][
        "id"]
    assert host(plain, twin) != host(plain, first)  # spread, hint ignored
    other = boot_hinted(plain, "other", {"different_host": [first, twin]})
    assert host_of(plain, other.json["server"]["id"])[0] == "ACTIVE"


@pytest.mark.parametrize("hints", [
    # (upstream checks the items of a same_host list, not a lone string)
    {"same_host": 5}, {"same_host": [1]}, {"same_host": ["not-a-uuid"]},
    {"different_host": "x"}, {"different_host": {"a": 1}},
    {"group": ["not-a-uuid"]}, {"cidr": "10.0.0.0/24"},
    {"build_near_host_ip": "nope"},
])
def test_malformed_hints_are_400(hinted, hints):
    resp = boot_hinted(hinted, "bad", hints, status=400)
    fault(resp, "badRequest", 400)
    assert hinted.get(URL, headers=ADMIN).json["servers"] == []


def test_unknown_hints_are_kept_and_shown(hinted):
    server_id = boot_hinted(hinted, "odd", {"my_hint": [1, 2]}).json[
        "server"]["id"]
    shown = hinted.get(f"{URL}/{server_id}", headers={
        **ADMIN, "OpenStack-API-Version": "compute 2.100"}).json["server"]
    assert shown["scheduler_hints"] == {"my_hint": [1, 2]}
