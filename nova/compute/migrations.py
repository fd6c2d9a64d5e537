"""Migrations (resizes, cold and live migrations): their records, and
what the hosts hold meanwhile; independent of HTTP.

A server awaiting confirmation is on its new host with the new flavor;
its old flavor (``instances.old_flavor``, with the source host) is what
the source still holds for a revert. Confirming (or deleting the server,
or the automatic confirmation) frees the source.

A server being live migrated is on its destination already; the source
holds its flavor until the migration ends (``end_live``): completed at
its deadline (``finish_at``, the second transition), cancelled, or in
error when the server is deleted or reset meanwhile.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import sqlalchemy as sa

from nova import exception
from nova.compute import flavors
from nova.db.models import Flavor, Migration, utcnow

if TYPE_CHECKING:
    import datetime
    from collections.abc import Mapping, Sequence
    from typing import Any

    from sqlalchemy.orm import Session
    from sqlalchemy.sql.expression import ColumnElement

    from nova.compute.driver import BuiltinDriver
    from nova.db.models import Instance

def flavor_snapshot(session: Session, flavor: Flavor) -> dict[str, Any]:
    specs = flavors.extra_specs(session, [flavor.id])[flavor.id]
    return {"flavorid": flavor.flavorid, "name": flavor.name,
            "memory_mb": flavor.memory_mb, "vcpus": flavor.vcpus,
            "root_gb": flavor.root_gb, "ephemeral_gb": flavor.ephemeral_gb,
            "swap": flavor.swap, "extra_specs": specs}


def needs(snapshot: Mapping[str, Any]) -> tuple[int, int, int]:
    return (snapshot["vcpus"], snapshot["memory_mb"],
            snapshot["root_gb"] + snapshot["ephemeral_gb"])


def flavor_id(session: Session, flavorid: str) -> int | None:
    return session.execute(sa.select(Flavor.id).where(
        Flavor.flavorid == flavorid)).scalar()


def apply_flavor(instance: Instance, snapshot: Mapping[str, Any]) -> None:
    instance.flavor = json.dumps(snapshot)
    instance.flavorid = snapshot["flavorid"]
    instance.vcpus = snapshot["vcpus"]
    instance.memory_mb = snapshot["memory_mb"]
    instance.root_gb = snapshot["root_gb"]
    instance.ephemeral_gb = snapshot["ephemeral_gb"]


def old_flavor(instance: Instance) -> dict[str, Any] | None:
    return json.loads(instance.old_flavor) if instance.old_flavor else None


def claim(driver: BuiltinDriver, session: Session, instance: Instance,
          amounts: Sequence[int], *, host: str | None = None,
          servers: int = 0) -> bool:
    """``driver.claim`` of ``amounts``: (vCPUs, MB of RAM, GB of disk), as
    ``needs`` gives them, negative to give back."""
    vcpus, ram, disk = amounts
    return driver.claim(session, instance, vcpus, ram, disk, host=host,
                        servers=servers)


def confirm_resources(session: Session, instance: Instance,
                      driver: BuiltinDriver) -> None:
    """Free what the source host holds for a revert."""
    old = old_flavor(instance)
    if old is not None:
        if "host" in old:
            claim(driver, session, instance, [-n for n in needs(old)],
                  host=old["host"])
        else:
            # A same-host resize of before sources were kept: the host
            # held the larger of the two flavors.
            new = json.loads(instance.flavor)
            claim(driver, session, instance, [
                -max(0, o - n)
                for n, o in zip(needs(new), needs(old), strict=True)])
    instance.old_flavor = None


def release_resize(session: Session, instance: Instance,
                   driver: BuiltinDriver) -> None:
    """Before a server is deleted: upstream confirms a resize awaiting
    confirmation first, so the source gives back the old flavor; a live
    migration still running ends in error, the source freed (``release``
    frees the server's own host)."""
    if instance.old_flavor:
        confirm_resources(session, instance, driver)
        set_migration(session, instance.uuid, "confirmed", utcnow())
    end_live(session, instance, driver, "error", utcnow())


LIVE = "live-migration"
# Upstream's statuses of a live migration in progress; here a running
# one is "running" until its deadline.
LIVE_IN_PROGRESS = ("queued", "preparing", "running", "post-migrating")


def live_in_progress(session: Session, instance_uuid: str,
                     now: datetime.datetime) -> list[Migration]:
    """The server's live migrations in progress as of ``now``."""
    return list(session.execute(sa.select(Migration).where(
        Migration.instance_uuid == instance_uuid,
        Migration.migration_type == LIVE,
        status_sql(now).in_(LIVE_IN_PROGRESS))
        .order_by(Migration.id)).scalars())


def running_live(session: Session, instance_uuid: str) -> Migration | None:
    """The server's live migration whose end is not applied yet."""
    return session.execute(sa.select(Migration).where(
        Migration.instance_uuid == instance_uuid,
        Migration.migration_type == LIVE,
        Migration.status == "running")).scalars().first()


def end_live(session: Session, instance: Instance, driver: BuiltinDriver,
             status: str, when: datetime.datetime) -> None:
    """End the server's running live migration (if any) with ``status``:
    the source gives back what it held (the server stays where it is)."""
    row = running_live(session, instance.uuid)
    if row is None:
        return
    if row.source_compute and row.source_compute != instance.host:
        driver.claim(session, instance, -instance.vcpus,
                     -instance.memory_mb,
                     -(instance.root_gb + instance.ephemeral_gb),
                     host=row.source_compute)
    row.status = status
    row.updated_at = when


def set_migration(session: Session, instance_uuid: str, status: str,
                  when: datetime.datetime) -> None:
    session.execute(
        sa.update(Migration).where(
            Migration.instance_uuid == instance_uuid,
            Migration.status == "finished")
        .values(status=status, updated_at=when)
        .execution_options(synchronize_session=False))


def migration_status(migration: Migration, now: datetime.datetime) -> str:
    """The status as of ``now``: a move's transition or confirmation
    window, a live migration's deadline may have passed since the row was
    written (``status_sql`` says the same in SQL)."""
    if migration.status == "finished":
        if migration.finish_at and now < migration.finish_at:
            return "migrating"
        if migration.confirm_at and migration.confirm_at <= now:
            return "confirmed"
    elif (migration.status == "running" and migration.migration_type == LIVE
          and migration.finish_at and migration.finish_at <= now):
        return "completed"
    return migration.status


def status_sql(now: datetime.datetime) -> ColumnElement[str]:
    """SQL: ``migration_status`` of a row."""
    return sa.case(
        (sa.and_(Migration.status == "finished",
                 Migration.finish_at > now), "migrating"),
        (sa.and_(Migration.status == "finished",
                 Migration.confirm_at <= now), "confirmed"),
        (sa.and_(Migration.status == "running",
                 Migration.migration_type == LIVE,
                 Migration.finish_at <= now), "completed"),
        else_=Migration.status)


def migration_updated(migration: Migration, now: datetime.datetime
                      ) -> datetime.datetime | None:
    """When the row last changed as of ``now``: a live migration that
    ended by itself changed at its deadline."""
    if (migration.status == "running" and migration.migration_type == LIVE
            and migration.finish_at and migration.finish_at <= now):
        return migration.finish_at
    return migration.updated_at


def list_migrations(session: Session, *, filters: Mapping[str, Any],
                    limit: int | None = None, marker: str | None = None,
                    changes_since: datetime.datetime | None = None,
                    changes_before: datetime.datetime | None = None
                    ) -> list[Migration]:
    query = sa.select(Migration)
    for column, value in filters.items():
        if column == "host":
            query = query.where(sa.or_(Migration.source_compute == value,
                                       Migration.dest_compute == value))
        elif column == "status":
            query = query.where(status_sql(utcnow()) == value)
        else:
            query = query.where(getattr(Migration, column) == value)
    updated = sa.func.coalesce(Migration.updated_at, Migration.created_at)
    if changes_since is not None:
        query = query.where(updated >= changes_since)
    if changes_before is not None:
        query = query.where(updated <= changes_before)
    if marker is not None:
        row = session.execute(sa.select(Migration.created_at, Migration.id)
                              .where(Migration.uuid == marker)).first()
        if row is None:
            raise exception.Invalid(f"Marker {marker} could not be found.")
        query = query.where(sa.or_(
            Migration.created_at < row.created_at,
            sa.and_(Migration.created_at == row.created_at,
                    Migration.id < row.id)))
    query = query.order_by(Migration.created_at.desc(), Migration.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return list(session.execute(query).scalars())
