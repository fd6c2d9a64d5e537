"""Host aggregates: named groups of compute hosts with metadata.

The ``availability_zone`` metadata key puts the aggregate's hosts in that
zone (``nova.compute.hosts.effective_zone``). As upstream, a host cannot be
in two zones at once: adding it to an aggregate of another zone, or giving
an aggregate a zone some of its hosts already have elsewhere, is refused;
and an aggregate whose hosts run servers cannot change zone.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from nova import exception
from nova.compute import hosts as host_service
from nova.db.models import (
    Aggregate,
    AggregateHost,
    AggregateMetadata,
    ComputeHost,
    Instance,
    utcnow,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sqlalchemy.orm import Session

AZ_KEY = host_service.AZ_KEY


@dataclasses.dataclass
class Loaded:
    row: Aggregate
    hosts: list
    metadata: dict

    @property
    def zone(self) -> str | None:
        return self.metadata.get(AZ_KEY)


def _load(session, rows):
    ids = [row.id for row in rows]
    hosts = {i: [] for i in ids}
    metadata = {i: {} for i in ids}
    if ids:
        for agg_id, host in session.execute(
                sa.select(AggregateHost.aggregate_id, AggregateHost.host)
                .where(AggregateHost.aggregate_id.in_(ids))
                .order_by(AggregateHost.id)):
            hosts[agg_id].append(host)
        for agg_id, key, value in session.execute(
                sa.select(AggregateMetadata.aggregate_id,
                          AggregateMetadata.key, AggregateMetadata.value)
                .where(AggregateMetadata.aggregate_id.in_(ids))
                .order_by(AggregateMetadata.key)):
            metadata[agg_id][key] = value
    return [Loaded(row, hosts[row.id], metadata[row.id]) for row in rows]


def list_aggregates(session: Session) -> list[Loaded]:
    return _load(session, session.execute(
        sa.select(Aggregate).order_by(Aggregate.id)).scalars().all())


def get(session: Session, aggregate_id: int, *,
        for_update: bool = False) -> Loaded:
    row = None
    if 0 < aggregate_id <= host_service.MAX_ID:
        query = sa.select(Aggregate).where(Aggregate.id == aggregate_id)
        if for_update:
            query = query.with_for_update()
        row = session.execute(query).scalar()
    if row is None:
        raise exception.NotFound(
            f"Aggregate {aggregate_id} could not be found.")
    return _load(session, [row])[0]


def _name_taken(name):
    return exception.Conflict(f"Aggregate {name} already exists.")


def _check_name_free(session, name, own_id=None):
    query = sa.select(Aggregate.id).where(Aggregate.name == name)
    if own_id is not None:
        query = query.where(Aggregate.id != own_id)
    if session.execute(query).first() is not None:
        raise _name_taken(name)


def create(session: Session, name: str, zone: str | None = None) -> Loaded:
    _check_name_free(session, name)
    row = Aggregate(name=name, created_at=utcnow())
    nested = session.begin_nested()
    session.add(row)
    try:
        nested.commit()  # flushes: a concurrent create of the name fails
    except sa_exc.IntegrityError:
        nested.rollback()
        raise _name_taken(name) from None
    if zone:
        session.add(AggregateMetadata(aggregate_id=row.id, key=AZ_KEY,
                                      value=zone))
    session.flush()
    return Loaded(row, [], {AZ_KEY: zone} if zone else {})


# Upstream's exception texts for a refused change, by what was asked.
_REFUSALS = {
    "add": "Cannot add host to aggregate {id}. Reason: {reason}.",
    "update": "Cannot update aggregate {id}. Reason: {reason}.",
    "update_meta": "Cannot update metadata of aggregate {id}. "
                   "Reason: {reason}.",
    "delete": "Cannot remove host from aggregate {id}. Reason: {reason}.",
}


def _refuse(action, agg, reason, error=exception.Invalid):
    return error(_REFUSALS[action].format(id=agg.row.id, reason=reason))


def check_zone_change(session: Session, agg: Loaded,
                      metadata: Mapping[str, str | None], action: str,
                      hosts: Sequence[str] | None = None,
                      check_servers: bool = False,
                      error: type[exception.NovaError] = exception.Invalid
                      ) -> None:
    """Refuse metadata that would put a host in two zones (upstream's
    ``is_safe_to_update_az``)."""
    if AZ_KEY not in metadata:
        return
    _lock_hosts(session, hosts or agg.hosts)
    zone = metadata[AZ_KEY]
    if not zone:
        raise _refuse(action, agg, f"Aggregate {agg.row.name} does not "
                      "support empty named availability zone", error)
    hosts = hosts or agg.hosts
    if not hosts:
        return
    others = session.execute(
        sa.select(AggregateMetadata.aggregate_id, AggregateMetadata.value)
        .where(AggregateMetadata.key == AZ_KEY,
               AggregateMetadata.aggregate_id != agg.row.id,
               AggregateMetadata.aggregate_id.in_(
                   sa.select(AggregateHost.aggregate_id)
                   .where(AggregateHost.host.in_(hosts))))
        .order_by(AggregateMetadata.aggregate_id)).all()
    conflicting = [value for _id, value in others if value != zone]
    if conflicting:
        raise _refuse(action, agg, "One or more hosts already in "
                      f"availability zone(s) {conflicting!r}", error)
    if check_servers and agg.zone != zone:
        count = session.execute(
            sa.select(sa.func.count(Instance.id)).where(
                Instance.deleted == 0, Instance.host.in_(hosts))).scalar()
        if count:
            raise _refuse(action, agg, "One or more hosts contain "
                          "instances in this zone", error)


def _set_metadata(session, agg, metadata):
    for key, value in metadata.items():
        session.execute(sa.delete(AggregateMetadata).where(
            AggregateMetadata.aggregate_id == agg.row.id,
            AggregateMetadata.key == key))
        if value is None:
            agg.metadata.pop(key, None)
        else:
            session.add(AggregateMetadata(aggregate_id=agg.row.id, key=key,
                                          value=value))
            agg.metadata[key] = value
    agg.metadata = dict(sorted(agg.metadata.items()))
    agg.row.updated_at = utcnow()
    session.flush()


def update(session: Session, agg: Loaded,
           changes: Mapping[str, str | None]) -> Loaded:
    """PUT: a new name and/or zone."""
    changes = dict(changes)
    if "name" in changes:
        name = changes.pop("name")
        _check_name_free(session, name, agg.row.id)
        agg.row.name = name
        agg.row.updated_at = utcnow()
    check_zone_change(session, agg, changes, "update", check_servers=True)
    if changes:
        _set_metadata(session, agg, changes)
    try:
        session.flush()
    except sa_exc.IntegrityError:
        raise _name_taken(agg.row.name) from None
    return agg


def set_metadata(session: Session, agg: Loaded,
                 metadata: Mapping[str, str | None]) -> Loaded:
    check_zone_change(session, agg, metadata, "update_meta",
                      check_servers=True)
    _set_metadata(session, agg, metadata)
    return agg


def _lock_hosts(session, hosts):
    """Lock the hosts' rows: changes of one host's zone go one at a time,
    so that two of them can never put it in two zones."""
    if hosts:
        session.execute(sa.select(ComputeHost.id).where(
            ComputeHost.host.in_(list(hosts))).with_for_update()).all()


def _compute_host(session, host):
    row = session.execute(sa.select(ComputeHost.host).where(
        ComputeHost.host == host, ComputeHost.deleted == 0)
        .with_for_update()).first()
    # A case-insensitive collation (MariaDB) may find "H1" for "h1".
    return row is not None and row[0] == host


def add_host(session: Session, aggregate_id: int, host: str) -> Loaded:
    if not _compute_host(session, host):
        raise exception.NotFound(f"Compute host {host} could not be found.")
    agg = get(session, aggregate_id, for_update=True)
    if host in agg.hosts:
        raise exception.Conflict(
            f"The aggregate {aggregate_id} already has host {host}.")
    check_zone_change(session, agg, agg.metadata, "add", hosts=[host],
                      error=exception.Conflict)
    nested = session.begin_nested()
    session.add(AggregateHost(aggregate_id=agg.row.id, host=host))
    try:
        nested.commit()
    except sa_exc.IntegrityError:
        nested.rollback()
        raise exception.Conflict(
            f"The aggregate {aggregate_id} already has host "
            f"{host}.") from None
    agg.hosts.append(host)
    return agg


def remove_host(session: Session, aggregate_id: int, host: str) -> Loaded:
    missing = exception.NotFound(
        f"Cannot remove host {host} in aggregate {aggregate_id}")
    if not _compute_host(session, host):
        raise missing
    try:
        agg = get(session, aggregate_id, for_update=True)
    except exception.NotFound:
        raise missing from None
    removed = session.execute(sa.delete(AggregateHost).where(
        AggregateHost.aggregate_id == agg.row.id,
        AggregateHost.host == host)).rowcount
    if not removed:
        raise missing
    agg.hosts.remove(host)
    return agg


def delete(session: Session, aggregate_id: int) -> None:
    agg = get(session, aggregate_id, for_update=True)
    if agg.hosts:
        raise _refuse("delete", agg, "Host aggregate is not empty")
    session.execute(sa.delete(AggregateMetadata).where(
        AggregateMetadata.aggregate_id == agg.row.id))
    session.delete(agg.row)
    session.flush()
