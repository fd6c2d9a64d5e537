"""/servers/{id}/ips: the server's addresses by network."""

from nova.api import errors
from nova.api.compute.common import SHOW_QUERY
from nova.api.compute.handlers.server_common import compute_of, db_of, load
from nova.api.compute.router import Route
from nova.api.compute.views import servers as views
from nova.policies import servers as rules

HONOURED = {"servers/ips": set()}


def ips_index(req, server_id):
    network = compute_of(req).network
    with db_of(req).reader() as session:
        instance = load(req, session, server_id)
        fixed = network.addresses(session, [instance.uuid])[instance.uuid]
    return {"addresses": views.addresses(network.name, fixed,
                                         with_extensions=False)}


def ips_show(req, server_id, network_label):
    network = compute_of(req).network
    with db_of(req).reader() as session:
        instance = load(req, session, server_id)
        fixed = network.addresses(session, [instance.uuid])[instance.uuid]
    found = views.addresses(network.name, fixed, with_extensions=False)
    if network_label not in found:
        raise errors.NotFound(
            "Instance is not a member of specified network")
    return {network_label: found[network_label]}


ROUTES = (
    Route("/servers/{server_id}/ips", "GET", ips_index, rules.IPS % "index",
          query=SHOW_QUERY, check_first=False),
    Route("/servers/{server_id}/ips/{network_label}", "GET", ips_show,
          rules.IPS % "show", query=SHOW_QUERY, check_first=False),
)
