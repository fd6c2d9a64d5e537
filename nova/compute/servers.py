"""Servers: find one, read what its views show, change its metadata and
tags, delete it, and the power actions (reboot, stop, start); independent
of HTTP.

Listing is ``server_list``, creation ``server_create``, the Core path of
the hot actions ``server_rows``; the other actions are ``actions`` and
``resize``.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING

import sqlalchemy as sa

from nova import exception
from nova.compute import consoles, quotas, states
from nova.compute import driver as driver_mod
from nova.db import statements
from nova.db.models import (
    Instance,
    InstanceFault,
    InstanceMetadata,
    InstanceTag,
    utcnow,
)

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping, Sequence
    from typing import Any

    from oslo_config import cfg
    from sqlalchemy.orm import Session

    from nova.compute.driver import BuiltinDriver, Server
    from nova.compute.network import FlatNetwork
    from nova.db.statements import Reads, Record

# [quota] metadata_items' default: the limit when no configuration is given
# (set_metadata without conf).
MAX_METADATA_ITEMS = 128
MAX_TAGS = 50


def not_found(server_id: str) -> exception.NotFound:
    return exception.NotFound(f"Instance {server_id} could not be found.")


def conflict_state(action: str, server_id: str, attr: str,
                   state: str | None) -> exception.Conflict:
    if state is None:  # upstream's words when there is no state to name
        return exception.Conflict(
            f"Instance {server_id} is in an invalid state for '{action}'")
    return exception.Conflict(
        f"Cannot '{action}' instance {server_id} while it is in {attr} "
        f"{state}")


# The form every client sends: checked without building a UUID object.
_CANONICAL_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{12}")


def is_uuid(value: Any) -> bool:
    if isinstance(value, str) and _CANONICAL_UUID.fullmatch(value):
        return True
    try:
        uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


# -- lookup -------------------------------------------------------------------

def get(session: Session, server_id: str, *, project_id: str | None = None,
        read_deleted: bool = False, for_update: bool = False) -> Instance:
    """The server, or 404; ``project_id`` None means any project."""
    if not is_uuid(server_id):
        raise not_found(server_id)
    query = sa.select(Instance).where(Instance.uuid == server_id)
    if not read_deleted:
        query = query.where(Instance.deleted == 0)
    if project_id is not None:
        query = query.where(Instance.project_id == project_id)
    if for_update:
        query = query.with_for_update()
    instance = session.execute(query).scalar()
    if instance is None:
        raise not_found(server_id)
    return instance


# The reads of a detailed view, built once (an expanding IN of uuids):
# ``nova.db.statements.rows`` runs them in an ORM session or a
# ``Transaction``.
_UUIDS = sa.bindparam("uuids", expanding=True)
_METADATA = sa.select(InstanceMetadata.instance_uuid, InstanceMetadata.key,
                      InstanceMetadata.value).where(
    InstanceMetadata.instance_uuid.in_(_UUIDS))
_TAGS = sa.select(InstanceTag.instance_uuid, InstanceTag.tag).where(
    InstanceTag.instance_uuid.in_(_UUIDS)).order_by(InstanceTag.tag)
_FAULTS = sa.select(InstanceFault.__table__).where(
    InstanceFault.instance_uuid.in_(_UUIDS)).order_by(InstanceFault.id)
_SERVERS = sa.select(Instance.__table__).where(Instance.uuid.in_(_UUIDS))


def metadata_of(session: Reads, uuids: Collection[str]
                ) -> dict[str, dict[str, str]]:
    found = {u: {} for u in uuids}
    if uuids:
        for u, key, value in statements.rows(session, _METADATA,
                                         {"uuids": list(uuids)}):
            found[u][key] = value
    return found


def tags_of(session: Reads, uuids: Collection[str]) -> dict[str, list[str]]:
    found = {u: [] for u in uuids}
    if uuids:
        for u, tag in statements.rows(session, _TAGS, {"uuids": list(uuids)}):
            found[u].append(tag)
    return found


def fault_of(session: Reads, uuids: Collection[str]) -> dict[str, Record]:
    """{uuid: its latest fault row} of the servers that have one."""
    found = {}
    if uuids:
        for fault in statements.rows(session, _FAULTS, {"uuids": list(uuids)}):
            found[fault.instance_uuid] = fault
    return found


def servers_by_uuid(session: Reads, uuids: Collection[str],
                    network: FlatNetwork | None = None
                    ) -> tuple[Sequence[Record], dict[str, list[Record]]]:
    """(rows, {uuid: [FixedIP]}) of the given servers, in no given order;
    ``session``: an ORM session or a ``nova.db.statements.Transaction``."""
    if not uuids:
        return [], {}
    rows = statements.rows(session, _SERVERS, {"uuids": list(uuids)})
    addresses = network.addresses(session, [r.uuid for r in rows]) \
        if network else {}
    return rows, addresses


# -- changes ------------------------------------------------------------------

def delete(session: Session, instance: Instance, *, driver: BuiltinDriver,
           network: FlatNetwork) -> None:
    now = utcnow()
    driver.release(session, instance)
    network.release(session, instance.uuid)
    consoles.forget(session, instance.uuid)
    instance.vm_state = states.DELETED
    instance.task_state = None
    instance.power_state = driver_mod.NOSTATE
    instance.task_deadline = None
    instance.next_vm_state = None
    instance.next_power_state = None
    instance.terminated_at = now
    instance.deleted_at = now
    instance.updated_at = now
    instance.deleted = instance.id


def set_metadata(session: Session, instance: Instance,
                 items: Mapping[str, str], replace: bool = False,
                 conf: cfg.ConfigOpts | None = None) -> dict[str, str]:
    """Merge (or with ``replace``, replace) the server's metadata; 403 past
    the metadata_items quota of the server's project and user (with no
    ``conf``: past [quota] metadata_items' default)."""
    existing = {row.key: row for row in session.execute(
        sa.select(InstanceMetadata).where(
            InstanceMetadata.instance_uuid == instance.uuid)).scalars()}
    final = dict(items) if replace else {
        **{k: r.value for k, r in existing.items()}, **items}
    if conf is not None:
        quotas.check_metadata_items(session, conf, instance.project_id,
                                    instance.user_id, len(final))
    elif len(final) > MAX_METADATA_ITEMS:
        raise exception.QuotaExceeded(
            f"Maximum number of metadata items exceeds {MAX_METADATA_ITEMS}")
    for key, row in existing.items():
        if key not in final:
            session.delete(row)
        elif row.value != final[key]:
            row.value = final[key]
    for key, value in final.items():
        if key not in existing:
            session.add(InstanceMetadata(instance_uuid=instance.uuid,
                                         key=key, value=value))
    instance.updated_at = utcnow()
    session.flush()
    return final


def delete_metadata(session: Session, instance: Instance, key: str) -> None:
    row = session.execute(sa.select(InstanceMetadata).where(
        InstanceMetadata.instance_uuid == instance.uuid,
        InstanceMetadata.key == key)).scalar()
    if row is None:
        raise exception.NotFound("Metadata item was not found")
    session.delete(row)
    instance.updated_at = utcnow()


def set_tags(session: Session, instance: Instance,
             tags: Iterable[str]) -> list[str]:
    tags = list(dict.fromkeys(tags))
    if len(tags) > MAX_TAGS:
        raise exception.Invalid(
            f"The number of tags exceeded the per-server limit {MAX_TAGS}")
    session.execute(sa.delete(InstanceTag).where(
        InstanceTag.instance_uuid == instance.uuid))
    for tag in tags:
        session.add(InstanceTag(instance_uuid=instance.uuid, tag=tag))
    instance.updated_at = utcnow()
    session.flush()
    return sorted(tags)


def add_tag(session: Session, instance: Instance, tag: str) -> bool:
    current = tags_of(session, [instance.uuid])[instance.uuid]
    if tag in current:
        return False
    if len(current) >= MAX_TAGS:
        raise exception.Invalid(
            f"The number of tags exceeded the per-server limit {MAX_TAGS}")
    session.add(InstanceTag(instance_uuid=instance.uuid, tag=tag))
    instance.updated_at = utcnow()
    session.flush()
    return True


def delete_tag(session: Session, instance: Instance, tag: str) -> None:
    deleted = session.execute(sa.delete(InstanceTag).where(
        InstanceTag.instance_uuid == instance.uuid,
        InstanceTag.tag == tag)).rowcount
    if not deleted:
        raise exception.NotFound(
            f"Tag {tag} could not be found for instance {instance.uuid}.")
    instance.updated_at = utcnow()


# -- power actions ------------------------------------------------------------

def check_state(instance: Server, action: str,
                vm_states: Collection[str] | None,
                task_states: Collection[str | None] | None = (None,)
                ) -> None:
    """409 unless the server is in one of ``vm_states`` (None: any) and
    ``task_states`` (None: any; None in it: no task)."""
    if vm_states is not None and instance.vm_state not in vm_states:
        raise conflict_state(action, instance.uuid, "vm_state",
                             instance.vm_state)
    if task_states is not None and instance.task_state not in task_states:
        raise conflict_state(action, instance.uuid, "task_state",
                             instance.task_state)


def reboot(instance: Server, hard: bool, driver: BuiltinDriver) -> None:
    soft_ok = (states.ACTIVE,)
    hard_ok = (states.ACTIVE, states.STOPPED, states.PAUSED,
               states.SUSPENDED, states.ERROR)
    if hard:
        check_state(instance, "reboot", hard_ok,
                    (None, *states.REBOOT_TASKS, "reboot_pending_hard",
                     "reboot_started_hard"))
    else:
        if instance.vm_state not in soft_ok:
            raise conflict_state("reboot", instance.uuid, "vm_state",
                                 instance.vm_state)
        check_state(instance, "reboot", soft_ok, (None,))
    driver.reboot(instance, hard)


def stop(instance: Server, driver: BuiltinDriver) -> None:
    check_state(instance, "stop", (states.ACTIVE, states.ERROR))
    driver.power_off(instance)


def start(instance: Server, driver: BuiltinDriver) -> None:
    check_state(instance, "start", (states.STOPPED,))
    driver.power_on(instance)
