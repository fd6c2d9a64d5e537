"""A server's ports in Neutron, as upstream Nova handles them.

Nothing here holds a database transaction: callers check the request
(``plan``) before their write transaction, and bind (``allocate``),
read (``network_info``) or give back (``deallocate``) ports after it
committed, then write what they learned in a new one
(``nova.compute.port_cache``).

Calls for the caller (checks, creating its ports) carry its token; what
only a service may do (device_id, device_owner, ``binding:host_id``,
``binding:profile``, deleting ``compute:*`` ports, reading any port of a
server) uses ``[neutron]``'s own credentials.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any

from nova import exception

if TYPE_CHECKING:
    from nova.clients.neutron import Neutron

LOG = logging.getLogger(__name__)

PORTS_EXCEEDED = "Maximum number of ports exceeded"


class PortBindingFailed(exception.Invalid):
    """Neutron bound the port as ``binding_failed`` (upstream's
    ``PortBindingFailed``)."""


def build_aborted(instance_uuid: str) -> str:
    """Upstream's fault when network-vif-plugged did not come in time
    (``VirtualInterfaceCreateException`` becomes ``BuildAbortException``)."""
    return (f"Build of instance {instance_uuid} aborted: Failed to "
            f"allocate the network(s), not rescheduling.")


@dataclasses.dataclass
class PortRequest:
    network_id: str | None = None
    port_id: str | None = None
    fixed_ip: str | None = None
    tag: str | None = None


@dataclasses.dataclass
class Plan:
    """What a create asks of Neutron, checked: one ``PortRequest`` per
    port of each server, the security group ids for the ports it
    creates, and whether the project's network is to be auto-allocated."""

    requests: list[PortRequest]
    security_group_ids: list[str]
    auto_allocate: bool = False
    max_count: int = 1
    # An unshared external network the caller may not attach to (as
    # upstream, refused when the ports are allocated).
    forbidden_external: str | None = None

    def external_refused(self) -> exception.Forbidden | None:
        if self.forbidden_external is None:
            return None
        return exception.Forbidden(
            f"It is not allowed to create an interface on external "
            f"network {self.forbidden_external}")


def _bad_port(exc: exception.NovaError, port_id: str) -> exception.NovaError:
    if isinstance(exc, exception.NotFound):
        return exception.Invalid(f"Port id {port_id} could not be found.")
    return exc


def available_networks(user: Neutron, project_id: str,
                       auto: bool = False) -> list[dict]:
    """The project's own networks, then the shared ones (upstream's
    order)."""
    filters: dict[str, Any] = {"tenant_id": project_id, "shared": False}
    if auto:
        filters["admin_state_up"] = True
    nets = user.list("networks", **filters)
    nets += user.list("networks", shared=True)
    return nets


def security_group_ids(user: Neutron, project_id: str,
                       names: tuple | list) -> list[str]:
    """Ids of the groups named (by name or id) in the caller's project."""
    if not names:
        return []
    groups = user.list("security-groups", tenant_id=project_id,
                       fields=["id", "name"])
    ids = []
    for wanted in names:
        if any(g["id"] == wanted for g in groups):
            ids.append(wanted)
            continue
        matches = [g["id"] for g in groups if g.get("name") == wanted]
        if len(matches) > 1:
            raise exception.Conflict(
                f"Multiple security groups found matching '{wanted}'. Use "
                f"an ID to be more specific.")
        if not matches:
            raise exception.Invalid(f"Security group {wanted} not found.")
        ids.append(matches[0])
    return ids


def plan(user: Neutron, *, project_id: str, networks: Any,
         explicit_auto: bool, security_groups: tuple | list,
         min_count: int, max_count: int, external_ok: bool = True) -> Plan:
    """Check the requested networks, ports, fixed IPs and security groups
    against Neutron, and the project's port quota (upstream's
    ``validate_networks``); raises ``Invalid`` (400), ``Conflict`` (409),
    ``QuotaExceeded`` (403) or ``Unavailable`` (503)."""
    requests: list[PortRequest] = []
    auto_allocate = False
    if networks == "none":
        pass
    elif networks == "auto":
        nets = available_networks(user, project_id, auto=explicit_auto)
        if len(nets) > 1:
            raise exception.Conflict(
                "Multiple possible networks found, use a Network ID to be "
                "more specific.")
        if nets:
            requests.append(PortRequest(network_id=nets[0]["id"]))
        elif explicit_auto:
            try:
                user.show("auto-allocated-topology", project_id,
                          fields="dry-run")
            except (exception.Conflict, exception.NotFound,
                    exception.Invalid):
                raise exception.Invalid(
                    f"Unable to automatically allocate a network for "
                    f"project {project_id}") from None
            auto_allocate = True
    else:
        requests = _check_list(user, project_id, networks)
    forbidden = None if external_ok or not requests else _external(
        user, requests)
    needed = sum(1 for r in requests if r.port_id is None) + (
        1 if auto_allocate else 0)
    count = max_count
    if needed:
        quota = user.quota(project_id).get("port", -1)
        if quota is not None and quota >= 0:
            used = len(user.list("ports", tenant_id=project_id,
                                 fields=["id"]))
            free = quota - used
            if free < 0:
                raise exception.QuotaExceeded(
                    f"The number of defined ports: {used} is over the "
                    f"limit: {quota}")
            count = min(max_count, free // needed)
            if count < min_count:
                raise exception.QuotaExceeded(PORTS_EXCEEDED)
    group_ids = security_group_ids(user, project_id, security_groups) \
        if requests or auto_allocate else []
    return Plan(requests, group_ids, auto_allocate, count,
                forbidden_external=forbidden)


def _external(user: Neutron, requests: list[PortRequest]) -> str | None:
    """The first unshared external network among the requested ones."""
    ids = list(dict.fromkeys(r.network_id for r in requests
                             if r.network_id))
    for net in user.list("networks", id=ids,
                         fields=["id", "router:external", "shared"]):
        if net.get("router:external") and not net.get("shared"):
            return net["id"]
    return None


def _check_list(user, project_id, networks):
    requests = []
    wanted_nets = []
    for entry in networks:
        if entry.get("port"):
            port_id = entry["port"]
            try:
                port = user.show("ports", port_id)
            except (exception.NotFound, exception.Forbidden) as exc:
                raise _bad_port(exception.NotFound(exc.message),
                                port_id) from None
            if port.get("device_id"):
                raise exception.Conflict(f"Port {port_id} is still in use.")
            if port.get("tenant_id", port.get("project_id")) != project_id:
                raise exception.Invalid(
                    f"Port {port_id} not usable for instance.")
            if not port.get("fixed_ips"):
                raise exception.Invalid(
                    f"Port {port_id} requires a FixedIP in order to be "
                    f"used.")
            requests.append(PortRequest(network_id=port["network_id"],
                                        port_id=port_id,
                                        tag=entry.get("tag")))
            continue
        network_id = entry.get("uuid")
        fixed_ip = entry.get("fixed_ip")
        if fixed_ip:
            existing = user.list("ports", network_id=network_id,
                                 fixed_ips=f"ip_address={fixed_ip}",
                                 fields="device_id")
            if existing:
                raise exception.Invalid(
                    f"Fixed IP address {fixed_ip} is already in use on "
                    f"instance {existing[0].get('device_id', '')}.")
        requests.append(PortRequest(network_id=network_id, fixed_ip=fixed_ip,
                                    tag=entry.get("tag")))
        wanted_nets.append(network_id)
    if wanted_nets:
        unique = list(dict.fromkeys(wanted_nets))
        nets = user.list("networks", id=unique)
        for net in nets:
            if not net.get("subnets"):
                raise exception.Invalid(
                    f"Network {net['id']} requires a subnet in order to "
                    f"boot instances on.")
        lost = [n for n in unique if n not in {net["id"] for net in nets}]
        if lost:
            raise exception.Invalid(
                f"Network {', '.join(lost)} could not be found.")
    return requests


# -- after the server's rows committed ---------------------------------------

def _binding(instance_uuid: str, host: str | None, zone: str) -> dict:
    return {"device_id": instance_uuid, "device_owner": f"compute:{zone}",
            "binding:host_id": host, "binding:profile": {}}


def allocate(user: Neutron, service: Neutron, plan_: Plan, *,
             instance_uuid: str, project_id: str, host: str | None,
             zone: str, deleter: Neutron | None = None
             ) -> tuple[list[dict], list[str]]:
    """Create the server's ports (as the caller) and bind them (as the
    service): (port bodies in order, ids of the ports created). On a
    failure the ports created are deleted (with ``deleter``, see
    ``cleanup``), the ones passed in unbound, and the error raised
    (``QuotaExceeded`` as upstream's ``PortLimitExceeded``)."""
    created: list[str] = []
    bound: list[str] = []
    ports: list[dict] = []
    try:
        requests = list(plan_.requests)
        if plan_.auto_allocate:
            try:
                topology = user.show("auto-allocated-topology", project_id)
            except (exception.Conflict, exception.NotFound):
                raise exception.Invalid(
                    f"Unable to automatically allocate a network for "
                    f"project {project_id}") from None
            requests = [PortRequest(network_id=topology["id"])]
        for request in requests:
            port_id = request.port_id
            if port_id is None:
                body: dict[str, Any] = {
                    "network_id": request.network_id,
                    "admin_state_up": True, "tenant_id": project_id}
                if plan_.security_group_ids:
                    body["security_groups"] = plan_.security_group_ids
                if request.fixed_ip:
                    body["fixed_ips"] = [{"ip_address": request.fixed_ip}]
                try:
                    port = user.create("ports", body)
                except exception.QuotaExceeded:
                    raise exception.QuotaExceeded(PORTS_EXCEEDED) from None
                port_id = port["id"]
                created.append(port_id)
            ports.append(service.update("ports", port_id,
                                        _binding(instance_uuid, host, zone)))
            bound.append(port_id)
            if ports[-1].get("binding:vif_type") == "binding_failed":
                raise PortBindingFailed(
                    f"Binding failed for port {port_id}, please check "
                    f"neutron logs for more information.")
    except exception.NovaError:
        cleanup(service, created, [p for p in bound if p not in created],
                deleter)
        raise
    return ports, created


def cleanup(service: Neutron, created: list[str], passed: list[str],
            deleter: Neutron | None = None) -> None:
    """Delete the ``created`` ports (with ``deleter``: upstream deletes
    as the caller, with its service token; else with ``service``),
    unbind the ``passed`` ones (as the service); errors are logged (the
    caller is already failing or done)."""
    for port_id in created:
        try:
            (deleter or service).delete("ports", port_id, missing_ok=True)
        except exception.NovaError as exc:
            LOG.warning("Could not delete port %s: %s", port_id, exc.message)
    for port_id in passed:
        try:
            unbind(service, port_id)
        except exception.NotFound:
            pass
        except exception.NovaError as exc:
            LOG.warning("Could not unbind port %s: %s", port_id, exc.message)


def unbind(service: Neutron, port_id: str) -> None:
    service.update("ports", port_id, {
        "device_id": "", "device_owner": "", "binding:host_id": None,
        "binding:profile": {}})


def deallocate(service: Neutron, ports: list[dict],
               deleter: Neutron | None = None) -> None:
    """After a delete, a reclaim, a failed build or a detach: the ports
    this API created go, the others are unbound (``ports``:
    ``port_cache.ports_of``)."""
    cleanup(service, [p["port_id"] for p in ports if p["created"]],
            [p["port_id"] for p in ports if not p["created"]], deleter)


_SUBNET_FIELDS = ("id", "cidr", "ip_version", "gateway_ip", "enable_dhcp",
                  "ipv6_address_mode", "dns_nameservers", "host_routes")


def network_info(service: Neutron, instance_uuid: str,
                 ports: list[dict] | None = None
                 ) -> tuple[list[dict], dict[str, str],
                            dict[str, list[dict]], dict[str, dict]]:
    """What the cache needs: (ports, {network id: name}, {port id:
    [floating IPs]}, {port id: details}); the server's ports are read
    when not given. A port's details are what upstream's network info
    keeps for the guest (network_data.json): the network's MTU, the
    binding's VIF type and, per subnet id, the subnet (CIDR, gateway,
    DNS servers, host routes, DHCP and the address of its DHCP port)."""
    if ports is None:
        ports = service.list("ports", device_id=instance_uuid)
    if not ports:
        return [], {}, {}, {}
    net_ids = sorted({p["network_id"] for p in ports})
    nets = service.list("networks", id=net_ids, fields=["id", "name", "mtu"])
    networks = {n["id"]: n.get("name") or n["id"] for n in nets}
    floating: dict[str, list[dict]] = {}
    for fip in service.list("floatingips", port_id=[p["id"] for p in ports]):
        floating.setdefault(str(fip.get("port_id")), []).append(fip)
    return ports, networks, floating, _details(service, ports, nets)


def _details(service: Neutron, ports: list[dict],
             nets: list[dict]) -> dict[str, dict]:
    subnet_ids = sorted({ip["subnet_id"] for p in ports
                         for ip in p.get("fixed_ips") or ()
                         if ip.get("subnet_id")})
    subnets: dict[str, dict] = {}
    if subnet_ids:
        for subnet in service.list("subnets", id=subnet_ids,
                                   fields=list(_SUBNET_FIELDS)):
            subnets[subnet["id"]] = {k: subnet.get(k)
                                     for k in _SUBNET_FIELDS if k != "id"}
        # As upstream: a subnet served by a DHCP port has a dhcp_server.
        dhcp = service.list("ports", network_id=sorted(
            {p["network_id"] for p in ports}), device_owner="network:dhcp",
            fields=["fixed_ips"])
        for port in dhcp:
            for ip in port.get("fixed_ips") or ():
                if ip.get("subnet_id") in subnets:
                    subnets[ip["subnet_id"]].setdefault(
                        "dhcp_server", ip.get("ip_address"))
    mtus = {n["id"]: n.get("mtu") for n in nets}
    return {p["id"]: {
        "mtu": mtus.get(p["network_id"]),
        "vif_type": p.get("binding:vif_type"),
        "subnets": {ip["subnet_id"]: subnets[ip["subnet_id"]]
                    for ip in p.get("fixed_ips") or ()
                    if ip.get("subnet_id") in subnets}} for p in ports}


def needs_wait(ports: list[dict]) -> bool:
    """Whether a bound port has not reported ACTIVE (upstream then waits
    for network-vif-plugged)."""
    return any(p.get("status") != "ACTIVE" and p.get("admin_state_up", True)
               for p in ports)
