"""Floating IPs, their pools and the networks, kept by Neutron and shown
as upstream Nova's proxies (os-floating-ips, os-floating-ip-pools,
addFloatingIp/removeFloatingIp, os-networks, os-tenant-networks) do.

A pool is an external network (``router:external``), named by its name
or id; a floating IP is allocated from the pool named in the request or
``[neutron] default_floating_pool``. A server's fixed addresses are
those of its ports (``device_id``).
"""

from __future__ import annotations

import ipaddress
import logging
import uuid
from typing import TYPE_CHECKING

from nova import exception

if TYPE_CHECKING:
    from nova.clients.neutron import Neutron

LOG = logging.getLogger(__name__)

EXTERNAL = "router:external"


# -- networks -------------------------------------------------------------

def networks(neutron: Neutron) -> list[dict]:
    """What Neutron shows the caller."""
    return neutron.list("networks")


def network(neutron: Neutron, network_id: str) -> dict:
    try:
        return neutron.show("networks", network_id)
    except exception.NotFound:
        raise exception.NotFound("Network not found") from None


def pools(neutron: Neutron) -> list[dict]:
    """os-floating-ip-pools: the external networks, by name (or id)."""
    return [{"name": net.get("name") or net["id"]}
            for net in neutron.list("networks", **{EXTERNAL: True})]


def _pool_id(neutron: Neutron, name_or_id: str) -> str:
    filters: dict = {EXTERNAL: True, "fields": "id"}
    try:
        uuid.UUID(name_or_id)
    except ValueError:
        filters["name"] = name_or_id
    else:
        filters["id"] = name_or_id
    found = neutron.list("networks", **filters)
    if not found:
        raise exception.NotFound("Floating IP pool not found.")
    if len(found) > 1:
        raise exception.Conflict(
            f"Multiple floating IP pools matches found for name "
            f"'{name_or_id}'")
    return found[0]["id"]


# -- floating IPs ---------------------------------------------------------

def _view(neutron: Neutron, fip: dict, names: dict[str, str]) -> dict:
    network_id = fip["floating_network_id"]
    if network_id not in names:
        try:
            found = neutron.show("networks", network_id, fields="name")
            names[network_id] = found.get("name") or network_id
        except exception.NotFound:
            names[network_id] = network_id
    instance_id = None
    details = fip.get("port_details")
    if details:
        instance_id = details.get("device_id") or None
    elif fip.get("port_id"):
        try:
            port = neutron.show("ports", fip["port_id"])
            instance_id = port.get("device_id") or None
        except exception.NotFound:
            pass
    return {"fixed_ip": fip.get("fixed_ip_address"), "id": fip["id"],
            "instance_id": instance_id, "ip": fip["floating_ip_address"],
            "pool": names[network_id]}


def list_floating(neutron: Neutron, project_id: str) -> list[dict]:
    names: dict[str, str] = {}
    return [_view(neutron, fip, names)
            for fip in neutron.list("floatingips", tenant_id=project_id)]


def _get(neutron: Neutron, floating_id: str) -> dict:
    try:
        return neutron.show("floatingips", floating_id)
    except exception.NotFound:
        raise exception.NotFound(
            f"Floating IP not found for ID {floating_id}") from None


def show_floating(neutron: Neutron, floating_id: str) -> dict:
    return _view(neutron, _get(neutron, floating_id), {})


def allocate(neutron: Neutron, pool: str | None, default_pool: str) -> dict:
    """POST os-floating-ips: one address from ``pool`` (or the default)."""
    network_id = _pool_id(neutron, pool or default_pool)
    try:
        made = neutron.create("floatingips",
                              {"floating_network_id": network_id})
    except exception.QuotaExceeded:
        raise exception.QuotaExceeded(
            f"IP allocation over quota in pool {pool}." if pool
            else "IP allocation over quota.", ("floating_ips",)) from None
    except exception.Conflict as exc:
        if getattr(exc, "neutron_type", "") == "IpAddressGenerationFailure":
            raise exception.NotFound(
                f"No more floating IPs in pool {pool}." if pool
                else "No more floating IPs available.") from None
        raise exception.Invalid(
            "The floating IP request failed with a BadRequest") from None
    except exception.Invalid:
        raise exception.Invalid(
            "The floating IP request failed with a BadRequest") from None
    return _view(neutron, made, {})


def release(neutron: Neutron, floating_id: str) -> dict:
    """DELETE os-floating-ips/{id}; the released IP (to refresh the
    server it was on)."""
    fip = _get(neutron, floating_id)
    try:
        neutron.delete("floatingips", floating_id)
    except exception.NotFound:
        raise exception.NotFound(
            f"Floating IP not found for address "
            f"{fip['floating_ip_address']}.") from None
    return fip


def by_address(neutron: Neutron, address: str) -> dict:
    found = neutron.list("floatingips", floating_ip_address=address)
    if not found:
        raise exception.NotFound("floating IP not found")
    if len(found) > 1:
        raise exception.Conflict(
            f"Multiple floating IPs are found for address {address}.")
    return found[0]


def server_of(neutron: Neutron, fip: dict) -> str | None:
    """The server (device_id) the floating IP's port belongs to."""
    if not fip.get("port_id"):
        return None
    details = fip.get("port_details")
    if details:
        return details.get("device_id") or None
    try:
        return neutron.show("ports", fip["port_id"]).get("device_id") or None
    except exception.NotFound:
        return None


def associate(neutron: Neutron, server_id: str, address: str,
              fixed_address: str | None) -> None:
    """addFloatingIp: the floating ``address`` to one of the server's
    fixed addresses (the one named, else its first IPv4)."""
    ports = neutron.list("ports", device_id=server_id)
    fixed = [(port, ip["ip_address"]) for port in ports
             for ip in port.get("fixed_ips") or []]
    if not ports:
        raise exception.Invalid("Instance network is not ready yet")
    if not fixed:
        raise exception.Invalid("No fixed IPs associated to instance")
    if fixed_address:
        chosen = next((pair for pair in fixed if pair[1] == fixed_address),
                      None)
        if chosen is None:
            raise exception.Invalid(
                "Specified fixed address not assigned to instance")
    else:
        chosen = next((pair for pair in fixed
                       if ipaddress.ip_address(pair[1]).version == 4), None)
        if chosen is None:
            raise exception.Invalid(
                f"Unable to associate floating IP {address} to any fixed "
                f"IPs for instance {server_id}. Instance has no fixed IPv4 "
                "addresses to associate.")
    port, fixed_ip = chosen
    fip = by_address(neutron, address)
    try:
        neutron.update("floatingips", fip["id"],
                       {"port_id": port["id"],
                        "fixed_ip_address": fixed_ip})
    except (exception.Invalid, exception.Conflict) as exc:
        raise exception.Invalid(
            f"Unable to associate floating IP {address} to fixed IP "
            f"{fixed_ip} for instance {server_id}. Error: {exc.message}") \
            from None


def disassociate(neutron: Neutron, server_id: str, fip: dict) -> None:
    """removeFloatingIp: 409 unless the address is on this server."""
    if not fip.get("port_id") or server_of(neutron, fip) != server_id:
        raise exception.Conflict(
            f"Floating IP {fip['floating_ip_address']} is not associated "
            f"with instance {server_id}.")
    neutron.update("floatingips", fip["id"], {"port_id": None})
