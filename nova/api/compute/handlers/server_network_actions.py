"""The server actions that ask Neutron when [neutron] is configured:
add/removeSecurityGroup (the groups of the server's ports) and
add/removeFloatingIp (until 2.43). The server is loaded and the policy
checked in a read transaction; Neutron is called after it, so no row is
held while Neutron answers. Without [neutron], add/removeSecurityGroup
keep the built-in flat network's behaviour (server_actions) and there
are no floating IPs: add/removeFloatingIp answer 404.
"""

from nova.api import errors
from nova.api.compute.handlers import neutron_common as neutron
from nova.api.compute.handlers.server_common import db_of, load
from nova.compute import neutron_floating_ips as floating
from nova.compute import neutron_security_groups as groups
from nova.exception import NotFound


def _name(body):
    if not body["name"].strip():
        raise errors.BadRequest("Security group name cannot be empty")
    return body["name"]


def _add_group(req, server_id, body):
    groups.add_to_server(neutron.as_caller(req), server_id, _name(body),
                         req.context.project_id)


def _remove_group(req, server_id, body):
    groups.remove_from_server(neutron.as_caller(req), server_id, _name(body),
                              req.context.project_id)


def _add_floating(req, server_id, body):
    floating.associate(neutron.as_caller(req), server_id, body["address"],
                       body.get("fixed_address"))
    neutron.addresses_changed(req, server_id)


def _remove_floating(req, server_id, body):
    client = neutron.as_caller(req)
    fip = floating.by_address(client, body["address"])
    floating.disassociate(client, server_id, fip)
    neutron.addresses_changed(req, server_id)


HANDLERS = {"addSecurityGroup": _add_group,
            "removeSecurityGroup": _remove_group,
            "addFloatingIp": _add_floating,
            "removeFloatingIp": _remove_floating}


def handles(req, name):
    return name in HANDLERS and neutron.enabled(req)


def run(req, name, server_id, rule, body):
    """Load the server (policy checked), then ask Neutron."""
    with db_of(req).reader() as session:
        uuid = load(req, session, server_id, rule=rule).uuid
    HANDLERS[name](req, uuid, body)


def no_floating_ips(req, session, instance, body):
    """Without Neutron there are no floating IPs to (dis)associate."""
    raise NotFound("floating IP not found")
