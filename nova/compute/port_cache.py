"""The network info cache of servers whose ports are Neutron's.

Views never call Neutron: they read ``instance_ports`` (one row per
address of each port, fixed or floating, as Neutron last told). It is
written after a create binds the ports, after an interface attach or
detach, and on Neutron's ``network-changed`` / ``network-vif-deleted``
events; every write also writes the server's row (``updated_at``), so
its revision moves (the render cache's invariant).

``PortNetwork`` stands where the built-in ``FlatNetwork`` stands when
``[neutron]`` is configured: the same reads (``addresses``) and releases
(``release``, ``release_port``), on the cache. ``release`` (a delete,
a reclaim, a failed build) also gives the ports back to Neutron once the
transaction committed (``release_ports``: delete the ones this API
made, unbind the others).
"""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from nova import exception
from nova.db import statements
from nova.db.after_commit import after_commit
from nova.db.tables import instance_ports, instances

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable

    from sqlalchemy.orm import Session

    from nova.db.statements import Reads, Record

_P = instance_ports.c

_ROWS = sa.select(instance_ports).where(
    _P.instance_uuid.in_(sa.bindparam("uuids", expanding=True))
).order_by(_P.instance_uuid, _P.position, _P.id)


# The servers whose build was aborted at a deadline now past: their
# ports are being given back (``transitions``), so none is shown.
_ABORTED = sa.select(instances.c.uuid).where(
    instances.c.uuid.in_(sa.bindparam("uuids", expanding=True)),
    instances.c.then_vm_state == "error",
    instances.c.then_deadline <= sa.bindparam(
        "now", type_=instances.c.then_deadline.type))


def rows_of(session: Reads, instance_uuids: Collection[str],
            shown: bool = False) -> dict[str, list[Record]]:
    """{uuid: [cache row, ...]} in port order, for the given servers
    (``shown``: none for a server whose build was aborted, as its view
    shows them)."""
    found: dict[str, list[Record]] = {u: [] for u in instance_uuids}
    if instance_uuids:
        params = {"uuids": list(instance_uuids)}
        for row in statements.rows(session, _ROWS, params):
            found[row.instance_uuid].append(row)
        if shown and any(found.values()):
            from nova.db.models import utcnow

            for row in statements.rows(session, _ABORTED,
                                       {**params, "now": utcnow()}):
                found[row.uuid] = []
    return found


def ports_of(session: Reads, instance_uuid: str) -> list[dict[str, Any]]:
    """The server's ports as the cache knows them, one dict per port:
    ``port_id``, ``network_id``, ``network``, ``mac_address``,
    ``created``, ``port_state`` and ``fixed_ips`` [(address, subnet)]."""
    ports: dict[str, dict[str, Any]] = {}
    for row in rows_of(session, [instance_uuid])[instance_uuid]:
        port = ports.setdefault(row.port_id, {
            "port_id": row.port_id, "network_id": row.network_id,
            "network": row.network, "mac_address": row.mac_address,
            "created": bool(row.created), "port_state": row.port_state,
            "fixed_ips": []})
        if row.address and row.ip_type == "fixed":
            port["fixed_ips"].append((row.address, row.subnet_id))
    return list(ports.values())


def _touch(session: Session, instance_uuid: str) -> None:
    """Write the server's row: its addresses changed, its revision moves."""
    from nova.db.models import Instance, utcnow

    instance = session.execute(sa.select(Instance).where(
        Instance.uuid == instance_uuid)).scalar()
    if instance is not None:
        instance.updated_at = utcnow()


def replace(session: Session, instance_uuid: str,
            ports: Iterable[dict[str, Any]], *,
            networks: dict[str, str],
            floating: dict[str, list[dict[str, Any]]],
            created: Collection[str] = (),
            details: dict[str, dict[str, Any]] | None = None,
            tags: dict[str, str | None] | None = None) -> None:
    """The server's cache from Neutron's ``ports`` (its port bodies),
    ``networks`` {id: name} and ``floating`` {port id: [floating IP
    bodies]}. ``created``: the ids of ports this API made; ``tags``:
    {port id: device tag} (a port already cached keeps its flag, its tag
    and its place: as upstream's cache, new ports come after the known
    ones, whatever order Neutron lists them in). ``details``: {port id:
    what the guest's network_data.json needs}
    (``neutron_ports.network_info``), kept as JSON on each fixed
    address's row with that address's subnet only."""
    from nova.db.models import InstancePort

    known: dict[str, int] = {}
    kept_tags: dict[str, str | None] = {}
    made = set(created)
    for row in rows_of(session, [instance_uuid])[instance_uuid]:
        known.setdefault(row.port_id, row.position)
        if row.created:
            made.add(row.port_id)
        if row.details:
            kept_tags.setdefault(row.port_id,
                                 json.loads(row.details).get("tag"))
    kept_tags.update(tags or {})
    ordered = sorted(ports, key=lambda p: (p["id"] not in known,
                                           known.get(p["id"], 0)))
    session.execute(sa.delete(instance_ports).where(
        _P.instance_uuid == instance_uuid))
    for position, port in enumerate(ordered):
        common = {"instance_uuid": instance_uuid, "port_id": port["id"],
                  "network_id": port["network_id"],
                  "network": networks.get(port["network_id"])
                  or port["network_id"],
                  "mac_address": port.get("mac_address") or "",
                  "created": port["id"] in made,
                  "port_state": port.get("status"), "position": position}
        addresses = port.get("fixed_ips") or []
        about = dict((details or {}).get(port["id"]) or {},
                     tag=kept_tags.get(port["id"]))
        if not addresses:
            session.add(InstancePort(address=None, ip_type="fixed",
                                     details=_details(about, None),
                                     **common))
        for fixed in addresses:
            session.add(InstancePort(address=fixed.get("ip_address"),
                                     subnet_id=fixed.get("subnet_id"),
                                     ip_type="fixed",
                                     details=_details(
                                         about, fixed.get("subnet_id")),
                                     **common))
        for fip in floating.get(port["id"], ()):
            session.add(InstancePort(
                address=fip.get("floating_ip_address"),
                ip_type="floating", details=json.dumps(
                    {"tag": kept_tags.get(port["id"])}), **common))
    _touch(session, instance_uuid)


def _details(about: dict[str, Any], subnet_id: str | None) -> str:
    subnet = (about.get("subnets") or {}).get(subnet_id)
    return json.dumps({"mtu": about.get("mtu"),
                       "vif_type": about.get("vif_type"),
                       "subnet": subnet, "tag": about.get("tag")})


def tags_of(session: Reads, instance_uuid: str) -> dict[str, str | None]:
    """{port id: device tag} of the server's cached ports."""
    found: dict[str, str | None] = {}
    for row in rows_of(session, [instance_uuid])[instance_uuid]:
        if row.details and found.get(row.port_id) is None:
            found[row.port_id] = json.loads(row.details).get("tag")
    return found


def mark_created(session: Session, instance_uuid: str,
                 port_ids: Collection[str]) -> None:
    """The ports ``port_ids`` were made by this API (deleted on detach)."""
    if port_ids:
        session.execute(sa.update(instance_ports).where(
            _P.instance_uuid == instance_uuid,
            _P.port_id.in_(list(port_ids))).values(created=True))


def set_port_state(session: Session, instance_uuid: str, port_id: str,
                   state: str) -> bool:
    """Record a port's status (network-vif-plugged); whether it is the
    server's."""
    done = session.execute(sa.update(instance_ports).where(
        _P.instance_uuid == instance_uuid, _P.port_id == port_id).values(
            port_state=state)).rowcount
    if done:
        _touch(session, instance_uuid)
    return bool(done)


def all_active(session: Reads, instance_uuid: str) -> bool:
    return all(port["port_state"] == "ACTIVE"
               for port in ports_of(session, instance_uuid))


@dataclasses.dataclass(frozen=True)
class Move:
    """What a move did to a server with ports (plain values, read in its
    transaction; ``kind``: see ``nova.compute.port_moves``)."""

    instance_uuid: str
    kind: str
    source: str | None
    dest: str | None
    zone: str | None


class PortNetwork:
    """The reads and releases of ``FlatNetwork``, on the cache (with
    ``[neutron]``: the ports themselves are Neutron's)."""

    name = "neutron"
    uuid = None
    dns_servers: list[str] = []
    mtu = 1450

    def __init__(self, release_ports: Callable[[list[dict[str, Any]]],
                                               None] | None = None,
                 follow_ports: Callable[[Move], None] | None = None
                 ) -> None:
        self.release_ports = release_ports
        self.follow_ports = follow_ports

    def moved(self, session: Session, instance: Any, source: str | None,
              kind: str) -> None:
        """``instance`` changed host in this transaction (from
        ``source`` to its ``host`` now; ``kind``: see
        ``nova.compute.port_moves``): once committed, its ports follow it
        (``follow_ports``)."""
        follow = self.follow_ports
        if follow is None or source == instance.host \
                or not ports_of(session, instance.uuid):
            return
        move = Move(instance.uuid, kind, source, instance.host,
                    instance.availability_zone)
        after_commit(session, lambda: follow(move))

    def addresses(self, session: Reads, instance_uuids: Collection[str]
                  ) -> dict[str, list[Record]]:
        """{uuid: [cache rows with an address]}."""
        return {uuid: [r for r in rows if r.address]
                for uuid, rows in rows_of(session, instance_uuids,
                                          shown=True).items()}

    def rows(self, session: Reads, instance_uuids: Collection[str]
             ) -> dict[str, list[Record]]:
        return rows_of(session, instance_uuids, shown=True)

    def release(self, session: Session, instance_uuid: str,
                release_ports: Callable[[list[dict[str, Any]]], None]
                | None = None) -> None:
        """Forget the server's ports; after the commit, give them back to
        Neutron with ``release_ports`` (default: this network's, with
        ``[neutron]``'s own credentials)."""
        ports = ports_of(session, instance_uuid)
        if not ports:
            return
        session.execute(sa.delete(instance_ports).where(
            _P.instance_uuid == instance_uuid))
        _touch(session, instance_uuid)
        give_back = release_ports or self.release_ports
        if give_back is not None:
            after_commit(session, lambda: give_back(ports))

    @staticmethod
    def release_port(session: Session, instance_uuid: str,
                     port: str) -> bool:
        return bool(session.execute(sa.delete(instance_ports).where(
            _P.instance_uuid == instance_uuid,
            _P.port_id == port)).rowcount)

    def allocate(self, session: Session, instance_uuid: str,
                 requested: str | None = None):
        raise exception.NotSupported(
            "Ports are Neutron's: they are created through Neutron.")
