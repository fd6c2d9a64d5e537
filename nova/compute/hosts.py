"""Compute hosts as the admin views see them: services, hypervisors, zones.

Each host of ``[compute] hosts`` is one ``nova-compute`` service and one
hypervisor (a ``compute_hosts`` row). Its availability zone is that of the
host aggregates it belongs to (an aggregate's ``availability_zone``
metadata), else the zone ``[compute] hosts`` gives it. A host is *up*
while it is configured and not forced down; the scheduler (the built-in
driver's placement) takes only hosts that are up, enabled and not deleted.
"""

from __future__ import annotations

import datetime
import json
import uuid as uuid_lib
from typing import TYPE_CHECKING

import sqlalchemy as sa

from nova import exception
from nova.db.models import (
    AggregateHost,
    AggregateMetadata,
    ComputeHost,
    Instance,
    Migration,
    utcnow,
)

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence
    from typing import Any, Protocol

    from sqlalchemy.engine import Row
    from sqlalchemy.orm import Session
    from sqlalchemy.sql.expression import ColumnElement, ScalarSelect

    from nova.db.api import Database

    class HostsDriver(Protocol):
        """A driver with hosts of its own to register and act on (the
        built-in one, ``nova.compute.driver.BuiltinDriver``)."""

        def sync_hosts(self, session: Session) -> None: ...

        def host_power_action(self, host: str, action: str) -> str: ...

        def host_maintenance_mode(self, host: str, mode: bool) -> str: ...

AZ_KEY = "availability_zone"
# Where upstream puts services that are not nova-compute; the API's own
# services are there, and are never listed.
INTERNAL_ZONE = "internal"
BINARY = "nova-compute"
MAX_ID = 2 ** 31 - 1  # integer primary keys


def aggregate_zone() -> ScalarSelect[str]:
    """SQL: the zone the host's aggregates give it, or NULL.

    Several aggregates of one host never disagree (the aggregates API
    refuses that), so min() picks the one zone.
    """
    return (sa.select(sa.func.min(AggregateMetadata.value))
            .join(AggregateHost,
                  AggregateHost.aggregate_id == AggregateMetadata.aggregate_id)
            .where(AggregateHost.host == ComputeHost.host,
                   AggregateMetadata.key == AZ_KEY)
            .correlate(ComputeHost)
            .scalar_subquery())


def effective_zone() -> ColumnElement[str]:
    """SQL: the host's availability zone (aggregates first, then config)."""
    return sa.func.coalesce(aggregate_zone(), ComputeHost.availability_zone)


def schedulable() -> tuple[ColumnElement[bool], ...]:
    """SQL conditions: hosts placement may use (enabled, up, not deleted)."""
    return (ComputeHost.disabled.is_(False),
            ComputeHost.forced_down.is_(False),
            ComputeHost.deleted == 0)


def ensure_synced(db: Database, driver: HostsDriver) -> None:
    """Register the configured hosts before they are listed (once a
    process; the first create does it too)."""
    if getattr(driver, "_synced", True):
        return
    with db.writer() as session:
        driver.sync_hosts(session)


# -- reading ------------------------------------------------------------------

def _select():
    return sa.select(ComputeHost, effective_zone().label("zone")).where(
        ComputeHost.deleted == 0).order_by(ComputeHost.id)


def list_hosts(session: Session, host: str | None = None
               ) -> list[tuple[ComputeHost, str]]:
    """[(ComputeHost, zone)] of the hosts not deleted, by id."""
    query = _select()
    if host is not None:
        query = query.where(ComputeHost.host == host)
    return [(row, zone) for row, zone in session.execute(query)]


def get_by_id(session: Session, host_id: int | str, *, node: bool = False,
              for_update: bool = False) -> tuple[ComputeHost, str] | None:
    """(ComputeHost, zone) by integer id, or by the service's uuid (the
    hypervisor's with ``node``); None when there is no such host."""
    query = _select()
    if isinstance(host_id, int):
        if not 0 < host_id <= MAX_ID:
            return None  # no such row (and no integer the database takes)
        query = query.where(ComputeHost.id == host_id)
    else:
        column = ComputeHost.node_uuid if node else ComputeHost.uuid
        query = query.where(column == host_id.lower())
    if for_update:
        query = query.with_for_update(of=ComputeHost)
    found = session.execute(query).first()
    return (found[0], found[1]) if found else None


def get_by_name(session: Session, name: str, *, for_update: bool = False
                ) -> tuple[ComputeHost, str] | None:
    query = _select().where(ComputeHost.host == name)
    if for_update:
        query = query.with_for_update(of=ComputeHost)
    found = session.execute(query).first()
    return (found[0], found[1]) if found else None


def is_uuid(value: Any) -> bool:
    try:
        uuid_lib.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


def is_up(row: ComputeHost, configured: Collection[str]) -> bool:
    """Upstream's service state: a configured host that is not forced
    down is alive (the built-in driver never stops)."""
    return row.host in configured and not row.forced_down


def usage(session: Session, host_names: Collection[str] | None = None
          ) -> dict[str, tuple[int, ...]]:
    """{host: (vcpus, memory_mb, disk_gb, servers, busy)} of the servers
    placed on each host and not deleted; ``busy`` counts those with a
    transition still running (upstream's current_workload)."""
    now = utcnow()
    busy = sa.case((sa.and_(Instance.task_deadline.is_not(None),
                            Instance.task_deadline > now), 1), else_=0)
    query = (sa.select(Instance.host, sa.func.sum(Instance.vcpus),
                       sa.func.sum(Instance.memory_mb),
                       sa.func.sum(Instance.root_gb + Instance.ephemeral_gb),
                       sa.func.count(Instance.id), sa.func.sum(busy))
             .where(Instance.deleted == 0, Instance.host.is_not(None))
             .group_by(Instance.host))
    if host_names is not None:
        query = query.where(Instance.host.in_(list(host_names)))
    found = {host: tuple(int(v or 0) for v in values)
             for host, *values in session.execute(query)}
    holds = [resize_holds(session, host_names, now),
             live_migration_holds(session, host_names, now)]
    for host, held in (item for h in holds for item in h.items()):
        vcpus, ram, disk, count, busy = found.get(host, (0, 0, 0, 0, 0))
        found[host] = (vcpus + held[0], ram + held[1], disk + held[2],
                       count, busy)
    return found


def live_migration_holds(session: Session,
                         host_names: Collection[str] | None = None,
                         now: datetime.datetime | None = None
                         ) -> dict[str, tuple[int, int, int]]:
    """{host: (vcpus, memory_mb, disk_gb)} that live migrations still
    running hold on their source hosts (the server itself counts on its
    destination already)."""
    now = now or utcnow()
    query = (sa.select(Migration.source_compute, Instance.vcpus,
                       Instance.memory_mb,
                       Instance.root_gb + Instance.ephemeral_gb)
             .join(Instance, Instance.uuid == Migration.instance_uuid)
             .where(_live_running(now), Instance.deleted == 0,
                    Instance.host != Migration.source_compute))
    if host_names is not None:
        query = query.where(Migration.source_compute.in_(list(host_names)))
    held: dict[str, tuple[int, int, int]] = {}
    for host, vcpus, ram, disk in session.execute(query):
        was = held.get(host, (0, 0, 0))
        held[host] = (was[0] + vcpus, was[1] + ram, was[2] + disk)
    return held


def _live_running(now):
    return sa.and_(Migration.migration_type == "live-migration",
                   Migration.status == "running", Migration.finish_at > now)


def resize_holds(session: Session, host_names: Collection[str] | None = None,
                 now: datetime.datetime | None = None
                 ) -> dict[str, tuple[int, int, int]]:
    """{host: (vcpus, memory_mb, disk_gb)} that resizes waiting for
    confirmation hold on their source hosts: the old flavor, kept for a
    revert (upstream's resource tracker counts it there too), while the
    server itself, with its new flavor, counts on its new host."""
    now = now or utcnow()
    query = (sa.select(Migration.source_compute, Instance.old_flavor)
             .join(Instance, Instance.uuid == Migration.instance_uuid)
             .where(Migration.status == "finished",
                    sa.or_(Migration.confirm_at.is_(None),
                           Migration.confirm_at > now),
                    Instance.deleted == 0,
                    Instance.old_flavor.is_not(None)))
    if host_names is not None:
        query = query.where(Migration.source_compute.in_(list(host_names)))
    held = {}
    for host, old_flavor in session.execute(query):
        old = json.loads(old_flavor)
        if old.get("host") != host:
            continue  # a same-host resize of before sources were kept
        vcpus, ram, disk = held.get(host, (0, 0, 0))
        held[host] = (vcpus + old["vcpus"], ram + old["memory_mb"],
                      disk + old["root_gb"] + old["ephemeral_gb"])
    return held


def servers_on(session: Session, host: str) -> Sequence[Row[str, str]]:
    """[(uuid, name)] of the servers on ``host``, oldest first."""
    return session.execute(
        sa.select(Instance.uuid, Instance.display_name)
        .where(Instance.deleted == 0, Instance.host == host)
        .order_by(Instance.created_at, Instance.id)).all()


def count_servers(session: Session, host: str) -> int:
    return session.execute(
        sa.select(sa.func.count(Instance.id)).where(
            Instance.deleted == 0, Instance.host == host)).scalar()


def unconfirmed_resizes(session: Session, host: str) -> int:
    """How many moves from or to ``host`` are in progress: resizes that
    wait for confirmation, live migrations still running."""
    now = utcnow()
    return session.execute(
        sa.select(sa.func.count(Migration.id))
        .join(Instance, Instance.uuid == Migration.instance_uuid)
        .where(sa.or_(Migration.source_compute == host,
                      Migration.dest_compute == host),
               sa.or_(sa.and_(Migration.status == "finished",
                              sa.or_(Migration.confirm_at.is_(None),
                                     Migration.confirm_at > now)),
                      _live_running(now)),
               Instance.deleted == 0)).scalar()


def zones(session: Session) -> tuple[list[str], list[str]]:
    """(available, not available): sorted zone names of services that are
    enabled, and of zones whose services are all disabled. The API's own
    services are in the internal zone, always enabled."""
    enabled, disabled = {INTERNAL_ZONE}, set()
    for row, zone in list_hosts(session):
        (disabled if row.disabled else enabled).add(zone)
    return sorted(enabled), sorted(disabled - enabled)


def check_zone_available(session: Session, zone: str) -> None:
    """A server may be asked for in a zone with an enabled service only."""
    available, _unavailable = zones(session)
    if zone not in available or zone == INTERNAL_ZONE:
        raise exception.Invalid(
            "The requested availability zone is not available")


# -- changing -----------------------------------------------------------------

def update(row: ComputeHost, *, disabled: bool | None = None,
           reason: str | None = None,
           forced_down: bool | None = None) -> None:
    if disabled is not None:
        row.disabled = disabled
        row.disabled_reason = reason if disabled else None
    if forced_down is not None:
        row.forced_down = forced_down
    row.updated_at = utcnow()


def delete(session: Session, row: ComputeHost) -> None:
    """Delete the service (409 while servers are on it) and take the host
    out of its aggregates."""
    if count_servers(session, row.host):
        raise exception.Conflict(
            "Unable to delete compute service that is hosting instances. "
            "Migrate or delete the instances first.")
    if unconfirmed_resizes(session, row.host):
        # The source of a resize awaiting confirmation has no server but
        # holds its old flavor for a revert.
        raise exception.Conflict(
            "Unable to delete compute service that has in-progress "
            "migrations. Complete the migrations or delete the instances "
            "first.")
    session.execute(sa.delete(AggregateHost).where(
        AggregateHost.host == row.host))
    now = utcnow()
    row.deleted = row.id
    row.deleted_at = now
    row.updated_at = now


# -- os-hosts (the API deprecated at 2.43) ------------------------------------

TOPIC = "compute"  # the topic of a nova-compute service, as os-hosts shows it


def get_service(session: Session, name: str, *, for_update: bool = False
                ) -> tuple[ComputeHost, str]:
    """(ComputeHost, zone) of the host named ``name``, not deleted; 404 as
    upstream answers for a host it has not mapped."""
    found = get_by_name(session, name, for_update=for_update)
    if found is None:
        raise exception.NotFound(f"Host '{name}' is not mapped to any cell")
    return found


def enabled_services(session: Session, zone: str | None = None
                     ) -> list[tuple[ComputeHost, str]]:
    """[(ComputeHost, zone)] of the enabled services, in ``zone`` if given
    (os-hosts lists no disabled service, as upstream)."""
    return [(row, where) for row, where in list_hosts(session)
            if not row.disabled and (zone is None or where == zone)]


def set_enabled(session: Session, name: str, enabled: bool) -> str:
    """Enable or disable the host's nova-compute service (what os-services
    shows and placement reads); "enabled" or "disabled"."""
    row, _zone = get_service(session, name, for_update=True)
    update(row, disabled=not enabled)
    return "enabled" if enabled else "disabled"


def set_maintenance(session: Session, driver: HostsDriver, name: str,
                    mode: bool) -> str:
    """Start (``mode``) or end the host's maintenance window:
    "on_maintenance" or "off_maintenance"; ``NotSupported`` when the
    driver cannot (the built-in one has no servers to move away)."""
    get_service(session, name)
    return driver.host_maintenance_mode(name, mode)


def power_action(session: Session, driver: HostsDriver, name: str,
                 action: str) -> str:
    """"startup", "shutdown" or "reboot" the host; what the driver did, or
    ``NotSupported`` (the built-in driver's hosts are no machines)."""
    get_service(session, name)
    return driver.host_power_action(name, action)


def resources(session: Session, row: ComputeHost
              ) -> list[tuple[str, int, int, int]]:
    """os-hosts' usage rows of a host: [(project, vcpus, memory_mb,
    disk_gb)] for ``(total)`` (its capacity), ``(used_now)`` (what is
    claimed on it now, as the hypervisor views count it: its servers and
    the old flavor of the resizes from it awaiting confirmation),
    ``(used_max)`` (the flavors of its servers), then each project of its
    servers."""
    used = usage(session, [row.host]).get(row.host, (0, 0, 0, 0, 0))
    disk = Instance.root_gb + Instance.ephemeral_gb
    by_project = session.execute(
        sa.select(Instance.project_id, sa.func.sum(Instance.vcpus),
                  sa.func.sum(Instance.memory_mb), sa.func.sum(disk))
        .where(Instance.deleted == 0, Instance.host == row.host)
        .group_by(Instance.project_id)
        .order_by(Instance.project_id)).all()
    projects = [(project, *(int(v or 0) for v in values))
                for project, *values in by_project]
    used_max = tuple(sum(p[i] for p in projects) for i in (1, 2, 3))
    return [("(total)", row.vcpus, row.memory_mb, row.local_gb),
            ("(used_now)", *used[:3]),
            ("(used_max)", *used_max),
            *projects]


# -- formatting ---------------------------------------------------------------

def timestamp(value: datetime.datetime | None) -> str | None:
    """Upstream's datetime text: always with microseconds, no zone."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")


def uptime_text(since: datetime.datetime,
                now: datetime.datetime | None = None) -> str:
    """``uptime``'s line for a host registered at ``since``."""
    now = now or utcnow()
    seconds = max(0, int((now - since).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    day_text = f"{days} day{'s' if days != 1 else ''}, " if days else ""
    return (f" {now:%H:%M:%S} up {day_text}{hours:2d}:{minutes:02d},  "
            "0 users,  load average: 0.00, 0.00, 0.00")
