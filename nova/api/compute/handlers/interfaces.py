"""/servers/{id}/os-interface: a server's ports.

On the built-in flat network: read only (one port, made at create).
With ``[neutron]``: the ports Neutron has for the server (read as the
caller, as upstream, with their live ``port_state``); POST attaches a
port (an existing one, or one made on ``net_id``) and DELETE detaches
one (deleted when this API made it, unbound otherwise), as upstream.
"""

import logging

from nova import exception
from nova.api import errors
from nova.api.compute.common import ANY_QUERY, SHOW_QUERY
from nova.api.compute.handlers import neutron_common
from nova.api.compute.handlers.server_common import (
    caller,
    compute_of,
    db_of,
    load,
    load_for_change,
)
from nova.api.compute.router import Result, Route
from nova.api.compute.schemas import server_actions as schemas
from nova.compute import driver as driver_mod
from nova.compute import (
    instance_actions,
    neutron_ports,
    port_cache,
    server_ports,
    states,
)
from nova.compute import network as flat
from nova.compute import servers as service
from nova.policies import server_actions as rules
from nova.policies import servers as server_rules

LOG = logging.getLogger(__name__)

HONOURED = {
    # 2.49: the tag of an attach; 2.70: tags shown (with [neutron], the
    # port's device tag; the flat network keeps none).
    "servers/os-interface": {"2.49", "2.70"},
}

# As upstream's compute API: where an interface may be attached/detached.
_ATTACH_STATES = (states.ACTIVE, states.PAUSED, states.STOPPED)


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


def _port_view(req, port, tags):
    view = {"fixed_ips": port.get("fixed_ips") or [],
            "mac_addr": port.get("mac_address"),
            "net_id": port.get("network_id"), "port_id": port.get("id"),
            "port_state": port.get("status")}
    if req.is_version("2.70"):
        view["tag"] = tags.get(port.get("id"))
    return view


def _interfaces(req, server_id, rule):
    network = compute_of(req).network
    with db_of(req).reader() as session:
        instance = load(req, session, server_id, rule=rule)
        if neutron_common.enabled(req):
            uuid = instance.uuid
            tags = port_cache.tags_of(session, uuid)
        else:
            fixed = network.addresses(session, [instance.uuid])[
                instance.uuid]
            return [_interface(req, instance, ip, network) for ip in fixed]
    # After the reader: never a transaction across a call to Neutron.
    return [_port_view(req, p, tags) for p in neutron_common.as_caller(
        req).list("ports", device_id=uuid)]


def interfaces_index(req, server_id):
    return {"interfaceAttachments": _interfaces(
        req, server_id, rules.INTERFACES % "list")}


def interfaces_show(req, server_id, port_id):
    if neutron_common.enabled(req):
        with db_of(req).reader() as session:
            instance = load(req, session, server_id,
                            rule=rules.INTERFACES % "show")
            tags = port_cache.tags_of(session, instance.uuid)
        try:
            port = neutron_common.as_caller(req).show("ports", port_id)
        except exception.NotFound:
            raise errors.NotFound(
                f"Port id {port_id} could not be found.") from None
        if port.get("device_id") != server_id:
            raise errors.NotFound(
                f"Instance {server_id} does not have a port with id "
                f"{port_id}")
        return {"interfaceAttachment": _port_view(req, port, tags)}
    for item in _interfaces(req, server_id, rules.INTERFACES % "show"):
        if item["port_id"] == port_id:
            return {"interfaceAttachment": item}
    raise errors.NotFound(f"Port {port_id} could not be found.")


def _no_neutron(req, server_id, rule):
    """501 on the flat network, once the caller may reach the server."""
    with db_of(req).reader() as session:
        load(req, session, server_id, rule=rule)
    raise exception.NotSupported(
        "Interfaces cannot be attached or detached on the built-in flat "
        "network: configure [neutron].")


def _checked(req, server_id, rule, action):
    """The server's plain values, its state checked, in a short read."""
    with db_of(req).writer() as session:
        instance = load_for_change(req, session, server_id, rule=rule)
        service.check_state(instance, action, _ATTACH_STATES)
        return server_ports.placed([instance],
                                   req.app.backends.conf)[0]


def interfaces_create(req, server_id):
    if not neutron_common.enabled(req):
        _no_neutron(req, server_id, rules.INTERFACES % "create")
    attachment = (req.json or {}).get("interfaceAttachment") or {}
    net_id = attachment.get("net_id")
    port_id = attachment.get("port_id")
    tag = attachment.get("tag")  # the schema takes it from 2.49
    fixed = (attachment.get("fixed_ips") or [{}])[0].get("ip_address")
    if net_id and port_id:
        raise errors.BadRequest("Must not input both network_id and port_id")
    if fixed and not net_id:
        raise errors.BadRequest(
            "Must input network_id when request IP address")
    server = _checked(req, server_id, rules.INTERFACES % "create",
                      "attach_interface")
    user = neutron_common.as_caller(req)
    if port_id:
        networks = [{"port": port_id}]
    elif net_id:
        networks = [{"uuid": net_id, "fixed_ip": fixed}]
    else:
        nets = neutron_ports.available_networks(user, server.project_id)
        if not nets:
            raise errors.BadRequest(
                f"No specific network was requested and none are available "
                f"for project '{server.project_id}'.")
        if len(nets) > 1:
            raise errors.BadRequest(
                "Multiple possible networks found, use a Network ID to be "
                "more specific.")
        networks = [{"uuid": nets[0]["id"]}]
    try:
        plan = neutron_ports.plan(
            user, project_id=server.project_id, networks=networks,
            explicit_auto=False, security_groups=(), min_count=1,
            max_count=1,
            external_ok=req.can(server_rules.NETWORK_ATTACH_EXTERNAL))
    except exception.Invalid as exc:
        # Upstream answers 404 for a port or network that is not there.
        if "could not be found" in exc.message:
            raise errors.NotFound(exc.message) from None
        raise
    refused = plan.external_refused()
    if refused is not None:
        raise refused  # 403, as upstream's allocate answers it
    if not port_id:
        # Created ports get the project's default group, as upstream.
        plan.security_group_ids = []
    service_client = neutron_common.as_service(req)
    deleter = neutron_common.for_release(req)
    try:
        ports, created = neutron_ports.allocate(
            user, service_client, plan, instance_uuid=server.uuid,
            project_id=server.project_id, host=server.host,
            zone=server.zone, deleter=deleter)
    except neutron_ports.PortBindingFailed as exc:
        _attach_failed(req, server_id, exc)
    port = ports[0]
    try:
        server_ports.refresh(db_of(req), service_client, server.uuid,
                             tags={port["id"]: tag})
        with db_of(req).writer() as session:
            port_cache.mark_created(session, server.uuid, created)
            instance = load(req, session, server_id)
            instance_actions.record(session, instance, "attach_interface",
                                    caller(req), [(
                                        "compute_attach_interface",
                                        "Success", None)])
    except exception.NovaError:
        neutron_ports.cleanup(service_client, created,
                              [] if created else [port["id"]], deleter)
        raise
    return {"interfaceAttachment": _port_view(req, port, {port["id"]: tag})}


def _attach_failed(req, server_id, exc):
    """The port did not bind (allocate gave it back): recorded as the
    action's failed event, answered as upstream's InterfaceAttachFailed
    (500, its message; the reason is in the log)."""
    LOG.warning("Attaching an interface to server %s failed: %s",
                server_id, exc.message)
    with db_of(req).writer() as session:
        instance = load(req, session, server_id)
        instance_actions.record(session, instance, "attach_interface",
                                caller(req), [(
                                    "compute_attach_interface", "Error",
                                    None)], message="Error")
    raise errors.APIError(
        f"Failed to attach network adapter device to {server_id}")


def interfaces_delete(req, server_id, port_id):
    if not neutron_common.enabled(req):
        _no_neutron(req, server_id, rules.INTERFACES % "delete")
    with db_of(req).writer() as session:
        instance = load_for_change(req, session, server_id,
                                   rule=rules.INTERFACES % "delete")
        service.check_state(instance, "detach_interface", _ATTACH_STATES)
        ports = [p for p in port_cache.ports_of(session, instance.uuid)
                 if p["port_id"] == port_id]
        if not ports:
            raise errors.NotFound(f"Port id {port_id} could not be found.")
        port_cache.PortNetwork.release_port(session, instance.uuid, port_id)
        instance.updated_at = driver_mod.utcnow()
        instance_actions.record(session, instance, "detach_interface",
                                caller(req), [(
                                    "compute_detach_interface", "Success",
                                    None)])
    # As upstream: a port made for the server is deleted as the caller
    # (with a service token), one passed in is unbound as the service.
    neutron_ports.deallocate(neutron_common.as_service(req), ports,
                             neutron_common.for_release(req))
    return Result(202)


ROUTES = (
    Route("/servers/{server_id}/os-interface", "GET", interfaces_index,
          rules.INTERFACES % "list", query=SHOW_QUERY,
          check_first=False),
    Route("/servers/{server_id}/os-interface/{port_id}", "GET",
          interfaces_show, rules.INTERFACES % "show",
          query=SHOW_QUERY, check_first=False),
    Route("/servers/{server_id}/os-interface", "POST", interfaces_create,
          rules.INTERFACES % "create", query=ANY_QUERY,
          body=schemas.INTERFACE_ATTACH, check_first=False),
    Route("/servers/{server_id}/os-interface/{port_id}", "DELETE",
          interfaces_delete, rules.INTERFACES % "delete", query=ANY_QUERY,
          check_first=False),
)
