"""A server's security groups without Neutron; independent of HTTP.

The built-in flat network knows one group per project, ``default``, with
Neutron's default rules (ingress from members of the same group, IPv4 and
IPv6; egress anywhere). A server's groups are stored by name with the
server (``instances.security_groups``) and apply to its ports, the
addresses of the flat network. As upstream (which asks Neutron):

- a group is named by its name or its id; one that does not exist is 404
  "Security group <name> is not found for project <caller's project>";
- a server without ports (no address: ``networks: none``, or never
  placed) is 404 "instance_id <uuid> could not be found as device id on
  any ports";
- adding a group the ports have already is Neutron's 400 (a duplicate
  in the port's list); removing one they do not have is 404 "Security
  group <name> not associated with the instance <uuid>";
- no instance action is recorded, the server's lock and state are not
  looked at; a server without groups shows no ``security_groups``.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING

from nova import exception

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from nova.compute.driver import Server
    from nova.compute.network import FlatNetwork

DEFAULT = "default"
DESCRIPTION = "Default security group"


def group_id(project_id: str, name: str = DEFAULT) -> str:
    """The id of a project's group: derived, never stored."""
    return str(uuid.uuid5(uuid.NAMESPACE_OID,
                          f"security-group/{project_id}/{name}"))


def _rule_id(group: str, ethertype: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_OID,
                          f"security-group-rule/{group}/{ethertype}"))


def names_of(instance: Server) -> list[str]:
    return json.loads(instance.security_groups or "[]")


def describe(project_id: str, name: str = DEFAULT) -> dict:
    """A group as upstream's os-security-groups views show it: its
    ingress rules only (egress is not shown), each naming its remote
    group."""
    ident = group_id(project_id, name)
    rules = [{"id": _rule_id(ident, ethertype), "parent_group_id": ident,
              "ip_protocol": None, "from_port": None, "to_port": None,
              "group": {"name": name, "tenant_id": project_id},
              "ip_range": {}} for ethertype in ("IPv4", "IPv6")]
    return {"id": ident, "name": name, "description": DESCRIPTION,
            "tenant_id": project_id, "rules": rules}


def of_server(session: Session, instance: Server,
              network: FlatNetwork) -> list[dict]:
    """The groups of the server's ports (none without ports)."""
    if not network.addresses(session, [instance.uuid])[instance.uuid]:
        return []
    return [describe(instance.project_id, name)
            for name in names_of(instance)]


def _find(instance, name, caller_project):
    if name not in (DEFAULT, group_id(instance.project_id)):
        raise exception.NotFound(
            f"Security group {name} is not found for project "
            f"{caller_project}")
    return DEFAULT


def _ports(session, instance, network):
    if not network.addresses(session, [instance.uuid])[instance.uuid]:
        raise exception.NotFound(
            f"instance_id {instance.uuid} could not be found as device id "
            "on any ports")


def add(session: Session, instance: Server, name: str,
        caller_project: str, network: FlatNetwork) -> None:
    """addSecurityGroup: the group ``name`` (or id) joins the server."""
    group = _find(instance, name, caller_project)
    _ports(session, instance, network)
    groups = names_of(instance)
    if group in groups:
        raise exception.Invalid(
            "Invalid input for security_groups. Reason: Duplicate items in "
            f"the list: '{group_id(instance.project_id, group)}'.")
    instance.security_groups = json.dumps([*groups, group])


def remove(session: Session, instance: Server, name: str,
           caller_project: str, network: FlatNetwork) -> None:
    """removeSecurityGroup: the group ``name`` (or id) leaves the server."""
    group = _find(instance, name, caller_project)
    _ports(session, instance, network)
    groups = names_of(instance)
    if group not in groups:
        raise exception.NotFound(
            f"Security group {name} not associated with the instance "
            f"{instance.uuid}")
    instance.security_groups = json.dumps([g for g in groups if g != group])
