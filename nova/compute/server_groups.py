"""Server groups: storage, members, and what placement makes of a policy.

A group belongs to a project; another project's group is "not found"
(admins see every project's). A server joins the group named by its
create request's ``group`` scheduler hint and stays a member until the
group is deleted; the views show only members that are not deleted.

Placement (``Placement``): the built-in driver hands its candidate hosts,
best first, to ``arrange``, which applies the group's policy:

- affinity: only the host the members are on (any host for the first);
- anti-affinity: only hosts with fewer than ``max_server_per_host``
  (default 1) members;
- soft-affinity / soft-anti-affinity: every host, those with the most /
  the fewest members first (ties keep the driver's order).

A hard policy that no host satisfies leaves the server in ERROR with
upstream's "No valid host was found" fault. A resize places a member that
already has a host (``Placement.of(..., moving=instance)``): as upstream's
filters, the member counts where it is, so affinity keeps it with the
group (on its own host, which a resize may only use with
``allow_resize_to_same_host``), while anti-affinity never holds the
member's own host against it. The members' hosts are read
under the group's quota lock (nova.compute.quotas), so two concurrent
creates into one anti-affinity group see each other's host.
"""

from __future__ import annotations

import json
import uuid as uuid_mod
from typing import TYPE_CHECKING

import sqlalchemy as sa

from nova import exception
from nova.compute import quotas
from nova.db import statements
from nova.db.models import Instance, InstanceGroup, InstanceGroupMember

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping
    from typing import Any

    from sqlalchemy.engine import Row
    from sqlalchemy.orm import Session

    from nova.db.statements import Reads

POLICIES = ("affinity", "anti-affinity", "soft-affinity",
            "soft-anti-affinity")


def not_found(group_id: str) -> exception.NotFound:
    return exception.NotFound(f"Instance group {group_id} could not be found.")


def get(session: Session, group_id: str,
        project_id: str | None = None) -> InstanceGroup:
    """The group, or 404; ``project_id`` None means any project."""
    query = sa.select(InstanceGroup).where(InstanceGroup.uuid == group_id)
    if project_id is not None:
        query = query.where(InstanceGroup.project_id == project_id)
    group = session.execute(query).scalar()
    if group is None:
        raise not_found(group_id)
    return group


def rules_of(group: InstanceGroup) -> dict[str, Any]:
    return json.loads(group.rules or "{}")


def create(session: Session, *, name: str, policy: str,
           rules: Mapping[str, Any] | None, project_id: str,
           user_id: str) -> InstanceGroup:
    group = InstanceGroup(uuid=str(uuid_mod.uuid4()), name=name,
                          policy=policy, rules=json.dumps(rules or {}),
                          project_id=project_id, user_id=user_id)
    session.add(group)
    session.flush()
    return group


def list_groups(session: Session, project_id: str | None = None,
                limit: int | None = None,
                offset: int = 0) -> list[InstanceGroup]:
    """Groups by creation (``project_id`` None: every project's)."""
    query = sa.select(InstanceGroup).order_by(InstanceGroup.id)
    if project_id is not None:
        query = query.where(InstanceGroup.project_id == project_id)
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(session.execute(query).scalars())


def exists(session: Session, group_id: int) -> bool:
    return session.execute(sa.select(InstanceGroup.id).where(
        InstanceGroup.id == group_id)).first() is not None


def delete(session: Session, group: InstanceGroup) -> None:
    """Delete the group and its memberships, under the group's lock, so
    that a create adding a member in the meantime finishes first."""
    quotas.lock(session, "group", group.uuid)
    session.execute(sa.delete(InstanceGroupMember).where(
        InstanceGroupMember.group_id == group.id))
    session.delete(group)


def members_of(session: Session, group_ids: Collection[int]
               ) -> dict[int, list[str]]:
    """{group id: [uuids of its servers that are not deleted]}."""
    found = {gid: [] for gid in group_ids}
    if group_ids:
        for gid, member in session.execute(
                sa.select(InstanceGroupMember.group_id,
                          InstanceGroupMember.instance_uuid)
                .join(Instance,
                      Instance.uuid == InstanceGroupMember.instance_uuid)
                .where(InstanceGroupMember.group_id.in_(list(group_ids)),
                       Instance.deleted == 0)
                .order_by(InstanceGroupMember.id)):
            found[gid].append(member)
    return found


def groups_of(session: Reads, instance_uuids: Collection[str]
              ) -> dict[str, list[str]]:
    """{server uuid: [uuids of the groups it is a member of]}; ``session``:
    an ORM session or a ``nova.db.statements.Transaction``."""
    found = {u: [] for u in instance_uuids}
    if instance_uuids:
        for member, group_uuid in statements.rows(
                session, _GROUPS_OF, {"uuids": list(instance_uuids)}):
            found[member].append(group_uuid)
    return found


_GROUPS_OF = sa.select(
    InstanceGroupMember.instance_uuid, InstanceGroup.uuid).join(
    InstanceGroup, InstanceGroup.id == InstanceGroupMember.group_id).where(
    InstanceGroupMember.instance_uuid.in_(
        sa.bindparam("uuids", expanding=True))).order_by(
    InstanceGroupMember.id)


def add_member(session: Session, group: InstanceGroup,
               instance_uuid: str) -> None:
    session.add(InstanceGroupMember(group_id=group.id,
                                    instance_uuid=instance_uuid))


def group_of_member(session: Session, instance_uuid: str
                    ) -> InstanceGroup | None:
    """The group the server is a member of, or None."""
    return session.execute(
        sa.select(InstanceGroup)
        .join(InstanceGroupMember,
              InstanceGroupMember.group_id == InstanceGroup.id)
        .where(InstanceGroupMember.instance_uuid == instance_uuid)
        .order_by(InstanceGroupMember.id)).scalars().first()


def member_hosts(session: Session, group: InstanceGroup) -> dict[str, int]:
    """{host: number of the group's servers on it} (not deleted)."""
    hosts = {}
    for (host,) in session.execute(
            sa.select(Instance.host)
            .join(InstanceGroupMember,
                  InstanceGroupMember.instance_uuid == Instance.uuid)
            .where(InstanceGroupMember.group_id == group.id,
                   Instance.deleted == 0, Instance.host.is_not(None))):
        hosts[host] = hosts.get(host, 0) + 1
    return hosts


class Placement:
    """A group's policy, for the driver's choice of a host."""

    def __init__(self, policy: str, rules: Mapping[str, Any] | None,
                 hosts: Mapping[str, int],
                 own_host: str | None = None) -> None:
        self.policy = policy
        self.max_per_host = int((rules or {}).get("max_server_per_host", 1))
        self.hosts = dict(hosts)  # host -> members on it
        self.own_host = own_host  # where the member being moved is

    @classmethod
    def of(cls, session: Session, group: InstanceGroup,
           moving: Instance | None = None) -> Placement:
        """``moving``: the member a resize places again."""
        return cls(group.policy, rules_of(group), member_hosts(session,
                                                               group),
                   own_host=moving.host if moving is not None else None)

    def arrange(self, candidates: Iterable[Row]) -> list[Row]:
        """The candidates (rows whose ``host`` is the host name, best
        first) the policy allows, in the order it prefers."""
        def members(row):
            return self.hosts.get(row.host, 0)

        candidates = list(candidates)
        if self.policy == "affinity":
            if not self.hosts:
                return candidates
            return [row for row in candidates if members(row)]
        if self.policy == "anti-affinity":
            return [row for row in candidates
                    if members(row) < self.max_per_host
                    or row.host == self.own_host]
        if self.policy == "soft-affinity":
            return sorted(candidates, key=lambda row: -members(row))
        if self.policy == "soft-anti-affinity":
            return sorted(candidates, key=members)
        return candidates

    def placed(self, host: str) -> None:
        self.hosts[host] = self.hosts.get(host, 0) + 1
