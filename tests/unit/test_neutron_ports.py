"""The rules of nova.compute.neutron_ports (upstream's validate_networks)
and of the addresses view, on a stub of the Neutron client."""

import types

import pytest

from nova import exception
from nova.api.compute.views import servers as views
from nova.compute import neutron_ports


class Stub:
    """Answers the reads ``plan`` makes, from lists."""

    def __init__(self, networks=(), ports=(), groups=(), quota=-1):
        self.networks = list(networks)
        self.ports = list(ports)
        self.groups = list(groups)
        self.port_quota = quota

    def list(self, collection, **filters):
        if collection == "networks":
            if "id" in filters:
                return [n for n in self.networks if n["id"] in filters["id"]]
            shared = filters.get("shared")
            return [n for n in self.networks if n["shared"] == shared]
        if collection == "security-groups":
            return self.groups
        if collection == "ports":
            return self.ports
        raise AssertionError(collection)

    def show(self, collection, item_id, **filters):
        raise exception.NotFound("nope")

    def quota(self, project_id):
        return {"port": self.port_quota}


def net(net_id, shared=False, subnets=("s",)):
    return {"id": net_id, "shared": shared, "subnets": list(subnets)}


def plan(stub, networks="auto", groups=("default",), min_count=1,
         max_count=1, explicit_auto=True):
    return neutron_ports.plan(stub, project_id="p", networks=networks,
                              explicit_auto=explicit_auto,
                              security_groups=groups, min_count=min_count,
                              max_count=max_count)


def test_auto_takes_the_one_network():
    made = plan(Stub([net("a")], groups=[{"id": "g1", "name": "default"}]))
    assert [r.network_id for r in made.requests] == ["a"]
    assert made.security_group_ids == ["g1"]


def test_auto_with_two_networks_is_a_conflict():
    with pytest.raises(exception.Conflict):
        plan(Stub([net("a"), net("b", shared=True)]))


def test_before_237_no_network_means_no_port():
    made = plan(Stub(), explicit_auto=False)
    assert made.requests == [] and not made.auto_allocate


def test_auto_without_networks_asks_for_get_me_a_network():
    with pytest.raises(exception.Invalid) as caught:
        plan(Stub())
    assert caught.value.message == (
        "Unable to automatically allocate a network for project p")


def test_the_port_quota_cuts_max_count_or_refuses_min_count():
    stub = Stub([net("a")], ports=[{"id": "x"}], quota=3,
                groups=[{"id": "g1", "name": "default"}])
    assert plan(stub, max_count=5).max_count == 2
    with pytest.raises(exception.QuotaExceeded) as caught:
        plan(stub, min_count=3, max_count=5)
    assert caught.value.message == "Maximum number of ports exceeded"


def test_group_names_must_be_unique_and_exist():
    twice = [{"id": "g1", "name": "web"}, {"id": "g2", "name": "web"}]
    with pytest.raises(exception.Conflict):
        plan(Stub([net("a")], groups=twice), groups=("web",))
    with pytest.raises(exception.Invalid) as caught:
        plan(Stub([net("a")], groups=twice), groups=("db",))
    assert caught.value.message == "Security group db not found."
    # ids are taken as they are
    assert plan(Stub([net("a")], groups=twice),
                groups=("g2",)).security_group_ids == ["g2"]


def test_requested_networks_must_exist_and_have_a_subnet():
    with pytest.raises(exception.Invalid) as caught:
        plan(Stub([net("a")]), networks=[{"uuid": "b"}], groups=())
    assert caught.value.message == "Network b could not be found."
    with pytest.raises(exception.Invalid) as caught:
        plan(Stub([net("a", subnets=())]), networks=[{"uuid": "a"}],
             groups=())
    assert caught.value.message == (
        "Network a requires a subnet in order to boot instances on.")


def test_a_missing_port_is_400():
    with pytest.raises(exception.Invalid) as caught:
        plan(Stub(), networks=[{"port": "p1"}], groups=())
    assert caught.value.message == "Port id p1 could not be found."


def test_needs_wait():
    assert not neutron_ports.needs_wait([{"status": "ACTIVE"}])
    assert neutron_ports.needs_wait([{"status": "ACTIVE"},
                                     {"status": "DOWN"}])
    assert not neutron_ports.needs_wait([{"status": "DOWN",
                                          "admin_state_up": False}])


def test_addresses_are_keyed_by_each_ports_network():
    row = types.SimpleNamespace
    rows = [row(address="10.0.0.2", mac_address="fa:16:3e:00:00:01",
                network="private", ip_type="fixed"),
            row(address="172.24.4.9", mac_address="fa:16:3e:00:00:01",
                network="private", ip_type="floating"),
            row(address="fd00::5", mac_address="fa:16:3e:00:00:02",
                network="v6", ip_type="fixed")]
    shown = views.addresses("ignored", rows)
    assert shown == {
        "private": [
            {"version": 4, "addr": "10.0.0.2", "OS-EXT-IPS:type": "fixed",
             "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:00:00:01"},
            {"version": 4, "addr": "172.24.4.9",
             "OS-EXT-IPS:type": "floating",
             "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:00:00:01"}],
        "v6": [{"version": 6, "addr": "fd00::5", "OS-EXT-IPS:type": "fixed",
                "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:00:00:02"}]}
