"""/os-networks and /os-tenant-networks: the network proxies (deprecated;
until 2.35, 404 from 2.36), answered from Neutron's networks (what it
shows the caller) when [neutron] is configured, else from the built-in
flat network.

Upstream lists what Neutron shows the caller and fills two fields of
thirty (``id``, ``label``, the network's name); every other field is
null, and the admin fields are shown to admins only. Creating, deleting
and (dis)associating networks went with nova-network: upstream answers
410 at every microversion, checking no policy and any body.

os-tenant-networks shows three fields: ``id``, ``label`` and ``cidr``,
which upstream fills with the string "None" since Neutron took over.
"""

from nova.api import errors
from nova.api.compute.handlers import neutron_common as neutron
from nova.api.compute.handlers.removed import GONE, gone
from nova.api.compute.handlers.server_common import compute_of
from nova.api.compute.router import Route
from nova.api.compute.schemas import networks as schemas
from nova.compute import neutron_floating_ips as neutron_networks
from nova.policies import networks as rules

HONOURED = {"os-networks": {"2.36"},  # the routes end at 2.35
            "os-tenant-networks": {"2.36"}}

_FIELDS = ("id", "cidr", "netmask", "gateway", "broadcast", "dns1", "dns2",
           "cidr_v6", "gateway_v6", "label", "netmask_v6")
_ADMIN_FIELDS = ("created_at", "updated_at", "deleted_at", "deleted",
                 "injected", "bridge", "vlan", "vpn_public_address",
                 "vpn_public_port", "vpn_private_address", "dhcp_start",
                 "project_id", "host", "bridge_interface", "multi_host",
                 "priority", "rxtx_base", "mtu", "dhcp_server",
                 "enable_dhcp", "share_address")
_MAX = (2, 35)


def _fields(req, uuid, name):
    fields = _FIELDS
    if req.can("context_is_admin"):
        fields += _ADMIN_FIELDS
    view = dict.fromkeys(fields)
    view.update(id=uuid, label=name)
    return view


def _view(req, network):
    return _fields(req, network.uuid, network.name)


def _neutron_view(req, network):
    return _fields(req, network["id"], network.get("name"))


def index(req):
    if neutron.enabled(req):
        return {"networks": [
            _neutron_view(req, n)
            for n in neutron_networks.networks(neutron.as_caller(req))]}
    return {"networks": [_view(req, compute_of(req).network)]}


def show(req, network_id):
    if neutron.enabled(req):
        found = neutron_networks.network(neutron.as_caller(req), network_id)
        return {"network": _neutron_view(req, found)}
    network = compute_of(req).network
    if network_id != network.uuid:
        raise errors.NotFound("Network not found")
    return {"network": _view(req, network)}


# Upstream's actions of POST /os-networks/{id}/action, all removed.
_ACTIONS = ("disassociate", "disassociate_host", "disassociate_project",
            "associate_host")


def _tenant_view(network):
    return {"id": network.uuid, "cidr": "None", "label": network.name}


def _tenant_neutron_view(network):
    return {"id": network["id"], "cidr": "None",
            "label": network.get("name")}


def tenant_index(req):
    if neutron.enabled(req):
        return {"networks": [
            _tenant_neutron_view(n)
            for n in neutron_networks.networks(neutron.as_caller(req))]}
    return {"networks": [_tenant_view(compute_of(req).network)]}


def tenant_show(req, network_id):
    if neutron.enabled(req):
        found = neutron_networks.network(neutron.as_caller(req), network_id)
        return {"network": _tenant_neutron_view(found)}
    network = compute_of(req).network
    if network_id != network.uuid:
        raise errors.NotFound("Network not found")
    return {"network": _tenant_view(network)}


def gone_action(req, network_id):
    body = req.json
    if not isinstance(body, dict) or len(body) != 1:
        raise errors.BadRequest("Malformed request body")
    (name,) = body
    if name not in _ACTIONS:
        raise errors.BadRequest(f"There is no such action: {name}")
    raise errors.Gone(GONE)


ROUTES = (
    Route("/os-networks", "GET", index, rules.NETWORKS % "list",
          query=schemas.QUERY, max_version=_MAX),
    Route("/os-networks", "POST", gone, query=schemas.QUERY,
          body=schemas.ANY, gone=True),
    # Before /os-networks/{network_id}, which would match it first.
    Route("/os-networks/add", "POST", gone, query=schemas.QUERY,
          body=schemas.ANY, gone=True),
    Route("/os-networks/{network_id}", "GET", show,
          rules.NETWORKS % "show", query=schemas.QUERY, max_version=_MAX),
    Route("/os-networks/{network_id}", "DELETE", gone,
          query=schemas.QUERY, gone=True),
    Route("/os-networks/{network_id}/action", "POST", gone_action,
          query=schemas.QUERY, body=schemas.ANY, gone=True),
    # (their create and delete: handlers/removed.py)
    Route("/os-tenant-networks", "GET", tenant_index,
          rules.TENANT_NETWORKS % "list", query=schemas.QUERY,
          max_version=_MAX),
    Route("/os-tenant-networks/{network_id}", "GET", tenant_show,
          rules.TENANT_NETWORKS % "show", query=schemas.QUERY,
          max_version=_MAX),
)
