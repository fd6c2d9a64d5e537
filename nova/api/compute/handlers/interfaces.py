"""/servers/{id}/os-interface: the server's ports on the flat network
(read only: the built-in network attaches one at create)."""

from nova.api import errors
from nova.api.compute.common import SHOW_QUERY
from nova.api.compute.handlers.server_common import compute_of, db_of, load
from nova.api.compute.router import Route
from nova.compute import network as flat
from nova.policies import server_actions as rules

HONOURED = {
    # 2.49 is the tag of an interface attach (POST), not served here.
    "servers/os-interface": {"2.49", "2.70"},
}


def _interface(req, instance, ip, network):
    view = {"fixed_ips": [{
                "ip_address": ip.address,
                "subnet_id": flat.subnet_id(network.uuid)}],
            "mac_addr": ip.mac_address, "net_id": network.uuid,
            "port_id": flat.port_id(instance.uuid, ip.mac_address),
            "port_state": "ACTIVE"}
    if req.is_version("2.70"):
        view["tag"] = None  # the flat network keeps no device tags
    return view


def _interfaces(req, server_id, rule):
    network = compute_of(req).network
    with db_of(req).reader() as session:
        instance = load(req, session, server_id, rule=rule)
        fixed = network.addresses(session, [instance.uuid])[instance.uuid]
    return [_interface(req, instance, ip, network) for ip in fixed]


def interfaces_index(req, server_id):
    return {"interfaceAttachments": _interfaces(
        req, server_id, rules.INTERFACES % "list")}


def interfaces_show(req, server_id, port_id):
    for item in _interfaces(req, server_id, rules.INTERFACES % "show"):
        if item["port_id"] == port_id:
            return {"interfaceAttachment": item}
    raise errors.NotFound(f"Port {port_id} could not be found.")


ROUTES = (
    Route("/servers/{server_id}/os-interface", "GET", interfaces_index,
          rules.INTERFACES % "list", query=SHOW_QUERY,
          check_first=False),
    Route("/servers/{server_id}/os-interface/{port_id}", "GET",
          interfaces_show, rules.INTERFACES % "show",
          query=SHOW_QUERY, check_first=False),
)
