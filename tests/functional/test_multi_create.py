"""Multiple create (min_count/max_count) when there is not room for every
server: as upstream, the scheduler places all the servers of the request
or none (NoValidHost), and every server of the request is then ERROR with
the "No valid host was found" fault, without a host or an address, its
claims given back. min_count only bounds what a quota may cut max_count
to (upstream's _check_num_instances_quota)."""

from tests.helpers import NO_HOST, boot, get, host_of, ips, listing


def request_servers(app, resp):
    servers = listing(app, "reservation_id=" + resp.json["reservation_id"],
                      version="2.37", detail=True).json["servers"]
    return sorted(servers, key=lambda s: s["name"])


def assert_no_valid_host(app, servers, count):
    assert len(servers) == count
    for server in servers:
        assert server["status"] == "ERROR", server
        assert server["fault"]["code"] == 500
        assert server["fault"]["message"] == NO_HOST
        assert server["OS-EXT-SRV-ATTR:host"] is None
        assert ips(server) == []


def test_not_enough_room_for_all_puts_every_server_in_error(zones):
    # az1 (h1: 1024 MB) has room for two m1.tiny (512 MB), not three.
    # (ERROR servers count against the instances quota, 10 by default.)
    resp = boot(zones, "m", "2.37", networks="auto", availability_zone="az1",
                min_count=1, max_count=3, return_reservation_id=True)
    servers = request_servers(zones, resp)
    assert [s["name"] for s in servers] == ["m-1", "m-2", "m-3"]
    assert_no_valid_host(zones, servers, 3)
    # min_count = max_count: the same.
    resp = boot(zones, "n", "2.37", networks="auto", availability_zone="az2",
                min_count=3, max_count=3, return_reservation_id=True)
    assert_no_valid_host(zones, request_servers(zones, resp), 3)
    # The failed requests gave their claims back: h1 still takes two.
    resp = boot(zones, "ok", "2.37", networks="auto",
                availability_zone="az1", min_count=2, max_count=2,
                return_reservation_id=True)
    servers = request_servers(zones, resp)
    assert [host_of(zones, s["id"]) for s in servers] == \
        [("ACTIVE", "h1", "az1")] * 2
    assert all(len(ips(get(zones, s["id"], "2.37"))) == 1 for s in servers)
    # And now h1 is full: one more in az1 is ERROR too.
    resp = boot(zones, "late", availability_zone="az1",
                return_reservation_id=True)
    assert_no_valid_host(zones, request_servers(zones, resp), 1)


def test_a_request_that_fits_is_placed_whole(zones):
    resp = boot(zones, "pair", min_count=1, max_count=2,
                return_reservation_id=True)
    servers = request_servers(zones, resp)
    assert [s["status"] for s in servers] == ["ACTIVE", "ACTIVE"]
    assert all(s["OS-EXT-SRV-ATTR:host"] for s in servers)
