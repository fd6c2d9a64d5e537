"""Security groups kept by Neutron, shown as upstream Nova's proxy does.

os-security-groups, os-security-group-rules, add/removeSecurityGroup and
GET /servers/{id}/os-security-groups ask Neutron (``nova.clients.neutron``,
as the caller) when ``[neutron]`` is configured. Nova's view of a group
keeps its ingress rules only; a rule names its remote group (name and
project) or its CIDR (``0.0.0.0/0`` when Neutron has none), and a
protocol without ports shows 1-65535 (tcp, udp) or -1 (others).
Neutron's messages are passed on; a 409 other than a quota is a 400, as
upstream's proxy answers it.
"""

from __future__ import annotations

import ipaddress
import uuid
from typing import TYPE_CHECKING, Any

from nova import exception

if TYPE_CHECKING:
    from nova.clients.neutron import Neutron

_MISSING: dict = {}  # a remote group that is gone: its rules are skipped


def validate_id(value: str) -> str:
    try:
        uuid.UUID(str(value))
    except ValueError:
        raise exception.Invalid("Security group id should be uuid") from None
    return value


def parse_cidr(cidr: Any) -> str:
    if not cidr:
        return "0.0.0.0/0"
    text = str(cidr)
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise exception.Invalid(f"{text} is not a valid IP network.") \
            from None
    if "/" not in text:
        raise exception.Invalid(f"{text} is not a valid IP network.")
    return text


# -- Neutron's objects, as Nova shows them --------------------------------

def _nova_rule(rule: dict) -> dict:
    protocol = rule.get("protocol")
    low, high = rule.get("port_range_min"), rule.get("port_range_max")
    if protocol and low is None and high is None:
        low, high = (1, 65535) if str(protocol).upper() in ("TCP", "UDP") \
            else (-1, -1)
    return {"id": rule["id"], "parent_group_id": rule["security_group_id"],
            "protocol": protocol, "from_port": low, "to_port": high,
            "group_id": rule.get("remote_group_id"),
            "cidr": parse_cidr(rule.get("remote_ip_prefix"))}


def _nova_group(group: dict) -> dict:
    return {"id": group["id"], "name": group.get("name", ""),
            "description": group.get("description", ""),
            "project_id": group.get("project_id") or group.get("tenant_id"),
            "rules": [_nova_rule(rule)
                      for rule in group.get("security_group_rules") or []
                      if rule.get("direction") == "ingress"]}


def _rule_view(rule: dict, remote: dict | None) -> dict:
    view = {"id": rule["id"], "parent_group_id": rule["parent_group_id"],
            "ip_protocol": rule["protocol"], "from_port": rule["from_port"],
            "to_port": rule["to_port"], "group": {}, "ip_range": {}}
    if rule["group_id"]:
        view["group"] = remote or {}
    else:
        view["ip_range"] = {"cidr": rule["cidr"]}
    return view


def _remotes(neutron: Neutron, groups: list[dict]) -> dict[str, dict]:
    """{group id: {name, tenant_id}} for every remote group of the rules."""
    known = {g["id"]: {"name": g["name"], "tenant_id": g["project_id"]}
             for g in groups}
    for group in groups:
        for rule in group["rules"]:
            remote = rule["group_id"]
            if remote and remote not in known:
                try:
                    found = neutron.show("security-groups", remote)
                except exception.NotFound:
                    known[remote] = _MISSING
                    continue
                known[remote] = {"name": found.get("name"),
                                 "tenant_id": found.get("project_id")
                                 or found.get("tenant_id")}
    return known


def _view(group: dict, remotes: dict[str, dict]) -> dict:
    rules = []
    for rule in group["rules"]:
        remote = remotes.get(rule["group_id"]) if rule["group_id"] else None
        if remote is _MISSING:
            continue
        rules.append(_rule_view(rule, remote))
    return {"id": group["id"], "description": group["description"],
            "name": group["name"], "tenant_id": group["project_id"],
            "rules": rules}


def _views(neutron: Neutron, groups: list[dict]) -> list[dict]:
    remotes = _remotes(neutron, groups)
    return [_view(group, remotes) for group in groups]


def _get(neutron: Neutron, group_id: str) -> dict:
    return _nova_group(neutron.show("security-groups", group_id))


def _as_invalid(exc: exception.NovaError) -> exception.NovaError:
    """Neutron's 400 and 409 (not a quota) are upstream's 400."""
    if isinstance(exc, exception.Conflict):
        return exception.Invalid(exc.message)
    return exc


# -- os-security-groups ---------------------------------------------------

def list_groups(neutron: Neutron, project_id: str,
                all_projects: bool) -> list[dict]:
    filters = {} if all_projects else {"tenant_id": project_id}
    groups = [_nova_group(g)
              for g in neutron.list("security-groups", **filters)]
    return sorted(_views(neutron, groups),
                  key=lambda g: (g["tenant_id"] or "", g["name"] or ""))


def show_group(neutron: Neutron, group_id: str) -> dict:
    return _views(neutron, [_get(neutron, validate_id(group_id))])[0]


def create_group(neutron: Neutron, name: str, description: str) -> dict:
    try:
        made = neutron.create("security-groups",
                              {"name": name, "description": description})
    except (exception.Invalid, exception.Conflict) as exc:
        raise _as_invalid(exc) from None  # over quota stays 403
    return _views(neutron, [_nova_group(made)])[0]


def update_group(neutron: Neutron, group_id: str, name: str,
                 description: str) -> dict:
    _get(neutron, validate_id(group_id))
    try:
        changed = neutron.update("security-groups", group_id,
                                 {"name": name, "description": description})
    except exception.Conflict as exc:
        raise _as_invalid(exc) from None
    return _views(neutron, [_nova_group(changed)])[0]


def delete_group(neutron: Neutron, group_id: str) -> None:
    _get(neutron, validate_id(group_id))
    try:
        neutron.delete("security-groups", group_id)
    except exception.Conflict as exc:  # in use: upstream's 400
        raise _as_invalid(exc) from None


# -- os-security-group-rules ----------------------------------------------

def _ingress_rule(protocol: Any, from_port: Any, to_port: Any,
                  group_id: str | None, cidr: str | None) -> dict | None:
    """Nova's rule from the request's values (None: not enough)."""
    values: dict[str, Any] = {}
    if group_id:
        values["group_id"] = group_id
        upper = str(protocol).upper() if protocol else ""
        if from_port is None and to_port is None:
            if upper == "ICMP":
                from_port = to_port = -1
            elif upper in ("TCP", "UDP"):
                from_port, to_port = 1, 65535
    elif cidr:
        values["cidr"] = cidr
    if not (protocol and from_port is not None and to_port is not None):
        return None if cidr else values
    protocol = str(protocol)
    upper = protocol.upper()
    try:
        from_port, to_port = int(from_port), int(to_port)
    except (TypeError, ValueError):
        reason = ("Type and Code must be integers for ICMP protocol type"
                  if upper == "ICMP" else "To and From ports must be "
                  "integers")
        raise exception.Invalid(
            f"Invalid input received: {reason}") from None
    if upper not in ("TCP", "UDP", "ICMP"):
        raise exception.Invalid(f"Invalid IP protocol {protocol}.")
    span = f"Invalid port range {from_port}:{to_port}."
    if upper in ("TCP", "UDP"):
        if from_port > to_port:
            raise exception.Invalid(
                f"{span} Former value cannot be greater than the later")
        if from_port < 1 or to_port > 65535:
            raise exception.Invalid(
                f"{span} Valid {upper} ports should be between 1-65535")
    elif not (-1 <= from_port <= 255 and -1 <= to_port <= 255):
        raise exception.Invalid(
            f"{span} For ICMP, the type:code must be valid")
    values.update(protocol=protocol, from_port=from_port, to_port=to_port)
    return values


def _exists(group: dict, rule: dict) -> bool:
    keys = ("group_id", "cidr", "from_port", "to_port", "protocol")
    return any(all(old.get(k) == rule.get(k) for k in keys)
               for old in group["rules"])


def create_rule(neutron: Neutron, request: dict) -> dict:
    """os-security-group-rules POST: ``request`` is the body's rule."""
    group_id = request.get("group_id")
    group = _get(neutron, request["parent_group_id"])
    remote: dict | None = None
    if group_id is not None:
        found = _get(neutron, group_id)
        remote = {"name": found["name"], "tenant_id": found["project_id"]}
    cidr = None if group_id is not None else parse_cidr(request.get("cidr"))
    rule = _ingress_rule(request.get("ip_protocol"),
                         request.get("from_port"), request.get("to_port"),
                         group_id, cidr)
    if rule is None:
        raise exception.Invalid(
            "Not enough parameters to build a valid rule.")
    rule["parent_group_id"] = group["id"]
    if "cidr" in rule:
        net, _slash, prefix = rule["cidr"].partition("/")
        if net not in ("0.0.0.0", "::") and prefix == "0":
            raise exception.Invalid(
                f"Bad prefix for network in cidr {rule['cidr']}")
    if _exists(group, rule):
        raise exception.Invalid(
            f"This rule already exists in group {group['id']}")
    fields: dict[str, Any] = {
        "direction": "ingress", "protocol": rule.get("protocol"),
        "ethertype": "IPv4", "remote_ip_prefix": rule.get("cidr"),
        "security_group_id": group["id"],
        "remote_group_id": rule.get("group_id")}
    if rule.get("cidr") and \
            ipaddress.ip_network(rule["cidr"], strict=False).version == 6:
        fields["ethertype"] = "IPv6"
    if rule.get("from_port") not in (None, -1):
        fields["port_range_min"] = rule["from_port"]
    if rule.get("to_port") not in (None, -1):
        fields["port_range_max"] = rule["to_port"]
    try:
        made = neutron.create("security-group-rules", fields)
    except (exception.Invalid, exception.Conflict) as exc:
        raise _as_invalid(exc) from None
    return _rule_view(_nova_rule(made), remote)


def delete_rule(neutron: Neutron, rule_id: str) -> None:
    rule = neutron.show("security-group-rules", validate_id(rule_id))
    _get(neutron, rule["security_group_id"])
    neutron.delete("security-group-rules", rule_id)


# -- a server's groups ----------------------------------------------------

def _ports(neutron: Neutron, server_id: str) -> list[dict]:
    return neutron.list("ports", device_id=server_id)


def of_server(neutron: Neutron, server_id: str) -> list[dict]:
    """The groups of the server's ports, as os-security-groups shows."""
    ids: list[str] = []
    for port in _ports(neutron, server_id):
        for group in port.get("security_groups") or []:
            if group not in ids:
                ids.append(group)
    if not ids:
        return []
    groups = [_nova_group(g)
              for g in neutron.list("security-groups", id=ids)]
    return sorted(_views(neutron, groups),
                  key=lambda g: (g["tenant_id"] or "", g["name"] or ""))


def _find_group(neutron: Neutron, name: str, project_id: str) -> str:
    """The id of the group named (or with that id) in the project."""
    try:
        uuid.UUID(name)
    except ValueError:
        matches = neutron.list("security-groups", name=name,
                               tenant_id=project_id)
    else:
        matches = neutron.list("security-groups", id=name) or \
            neutron.list("security-groups", name=name, tenant_id=project_id)
    if len(matches) > 1:
        raise exception.Conflict(
            f"Multiple security_group matches found for name '{name}', "
            "use an ID to be more specific.")
    if not matches:
        raise exception.NotFound(
            f"Security group {name} is not found for project {project_id}")
    return matches[0]["id"]


def _server_ports(neutron: Neutron, server_id: str) -> list[dict]:
    ports = _ports(neutron, server_id)
    if not ports:
        raise exception.NotFound(
            f"instance_id {server_id} could not be found as device id on "
            "any ports")
    return ports


def _can_have_groups(port: dict) -> bool:
    """Port security on, and an address (or one to come)."""
    if port.get("fixed_ips") or port.get("ip_allocation") == "deferred":
        return port.get("port_security_enabled", True) is not False
    return False


def add_to_server(neutron: Neutron, server_id: str, name: str,
                  project_id: str) -> None:
    group = _find_group(neutron, name, project_id)
    for port in _server_ports(neutron, server_id):
        if not _can_have_groups(port):
            raise exception.Invalid(
                "Network requires port_security_enabled and subnet "
                "associated in order to apply security groups.")
        groups = list(port.get("security_groups") or [])
        groups.append(group)
        try:
            neutron.update("ports", port["id"], {"security_groups": groups})
        except exception.Conflict as exc:
            raise _as_invalid(exc) from None


def remove_from_server(neutron: Neutron, server_id: str, name: str,
                       project_id: str) -> None:
    group = _find_group(neutron, name, project_id)
    found = False
    for port in _server_ports(neutron, server_id):
        groups = list(port.get("security_groups") or [])
        if group not in groups:
            continue
        found = True
        groups.remove(group)
        neutron.update("ports", port["id"], {"security_groups": groups})
    if not found:
        raise exception.NotFound(
            f"Security group {name} not associated with the instance "
            f"{server_id}")
