"""Live migration (os-migrateLive), and what can be done to one while it
runs (force it to complete, abort it); independent of HTTP.

As upstream's conductor: with no host, or a host that is not forced (from
2.30 a host is a wish the scheduler checks), the scheduler picks another
host (``resize.schedule``: room, the pinned zone, the server group, the
host hints, never the server's own); a forced host (a host before 2.30,
or ``force``) skips the scheduler, but must be up, not the source, and
have room. The source's compute service must be up.

While the migration runs (the driver's ``action_time``, task_state
"migrating", vm and power state unchanged) the server is on its
destination, which holds its flavor, and the source still holds it too;
the migration is "running". Its end is the server's second transition
(``instances.then_*``): the source is freed and the migration
"completed" (``migrations.end_live``, applied by
``transitions.settle``); readers see it as of its deadline.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING

from nova import exception
from nova.compute import driver as driver_mod
from nova.compute import hosts as compute_hosts
from nova.compute import migrations, resize, states, transitions
from nova.compute import servers as service
from nova.compute.instance_actions import NO_HOST, end_early, record
from nova.db.models import InstanceFault, Migration, utcnow

if TYPE_CHECKING:
    import datetime
    from typing import Any

    from oslo_config import cfg
    from sqlalchemy.orm import Session

    from nova.compute.driver import BuiltinDriver
    from nova.compute.instance_actions import Caller
    from nova.db.models import Instance

ACTION = "live-migration"
MIGRATING = "migrating"
# Upstream's events of a live migration, in the order they happen.
EVENTS = ("conductor_live_migrate_instance",
          "compute_check_can_live_migrate_destination",
          "compute_check_can_live_migrate_source",
          "compute_pre_live_migration", "compute_live_migration",
          "compute_post_live_migration_at_destination")
_MAX_ID = 2 ** 31 - 1


class PreCheckFailed(exception.Invalid):
    """What upstream's conductor raises before the migration starts; the
    attempt is recorded (the migration in error, the action's event, a
    fault). ``code`` is the fault's, as upstream records it."""

    def __init__(self, message: str, code: int = 400) -> None:
        super().__init__(message)
        self.code = code


def live_migrate(session: Session, instance: Instance, ctx: Caller,
                 driver: BuiltinDriver, conf: cfg.ConfigOpts,
                 host: str | None = None, forced: bool = False,
                 network: Any = None) -> PreCheckFailed | None:
    """Start a live migration of ``instance`` (ACTIVE or PAUSED, no task;
    409 otherwise) to ``host`` or where the scheduler says.

    A host that does not exist is refused before anything is written
    (400). When the conductor's checks fail, the attempt is written (the
    migration in error, the action's ``conductor_live_migrate_instance``
    event in error, a fault), the server is left as it was, and the
    error is returned: the caller answers it after committing (before
    2.34 upstream's API waits for its conductor) or not at all."""
    service.check_state(instance, "os-migrateLive",
                        (states.ACTIVE, states.PAUSED))
    if host is not None and compute_hosts.get_by_name(session, host) is None:
        raise exception.Invalid(f"Compute host {host} could not be found.")
    now = utcnow()
    source = instance.host
    flavor_id = migrations.flavor_id(session, instance.flavorid)
    migration = Migration(
        uuid=str(uuid.uuid4()), instance_uuid=instance.uuid,
        source_compute=source, dest_compute=host if forced else None,
        old_instance_type_id=flavor_id, new_instance_type_id=flavor_id,
        status="accepted", migration_type=migrations.LIVE,
        user_id=ctx.user_id, project_id=ctx.project_id, created_at=now,
        updated_at=now)
    session.add(migration)
    try:
        dest = _destination(session, instance, driver, conf, host, forced)
    except PreCheckFailed as failed:
        migration.status = "error"
        session.add(InstanceFault(instance_uuid=instance.uuid,
                                  code=failed.code,
                                  message=failed.message[:255], details=""))
        record(session, instance, ACTION, ctx,
               [(EVENTS[0], "Error", failed.message)], finish=now,
               message="Error")
        return failed
    # The server counts on its destination now (placed there); the source
    # keeps its room until the migration ends.
    driver.claim(session, instance, 0, 0, 0, host=source, servers=-1)
    vm_state, power = instance.vm_state, instance.power_state
    driver.run(instance, MIGRATING, vm_state, power)
    instance.then_deadline = instance.task_deadline
    instance.then_vm_state, instance.then_power_state = vm_state, power
    migration.dest_compute = dest
    migration.status = "running"
    migration.finish_at = instance.task_deadline
    record(session, instance, ACTION, ctx,
           [(name, "Success", None) for name in EVENTS])
    if network is not None:  # its ports follow it, once committed
        network.moved(session, instance, source, kind="live")
    return None


def _destination(session, instance, driver, conf, host, forced):
    """The host the server goes to, its room claimed there (the server
    placed on it); PreCheckFailed with upstream's words otherwise."""
    configured = {name for name, *_rest in driver.hosts}
    _up(session, instance.host, configured)
    if not forced:
        dest = resize.schedule(session, instance, driver, conf,
                               json.loads(instance.flavor),
                               (instance.host,), host)
        if dest is None:
            raise PreCheckFailed(NO_HOST, 500)
        return dest
    if host == instance.host:
        raise PreCheckFailed(f"Unable to migrate instance ({instance.uuid})"
                             f" to current host ({host}).")
    row, zone = _up(session, host, configured)
    needs = migrations.needs(json.loads(instance.flavor))
    # Upstream's RAM check of a forced host, its numbers and words.
    avail = row.memory_mb * driver.ratios[1] - row.memory_mb_used
    if not instance.memory_mb or avail <= instance.memory_mb:
        raise PreCheckFailed(
            f"Migration pre-check error: Unable to migrate {instance.uuid} "
            f"to {host}: Lack of memory(host:{avail} <= "
            f"instance:{instance.memory_mb})", 500)
    if not migrations.claim(driver, session, instance, needs, host=host,
                            servers=1):
        raise PreCheckFailed(
            f"No valid host was found. Unable to move instance "
            f"{instance.uuid} to host {host}. There is not enough capacity "
            f"on the host for the instance.", 500)
    instance.host, instance.availability_zone = host, zone
    return host


def _up(session, host, configured):
    """(row, zone) of ``host`` when its compute service is up."""
    found = compute_hosts.get_by_name(session, host)
    if found is None:
        raise PreCheckFailed(f"Compute host {host} could not be found.")
    if not compute_hosts.is_up(found[0], configured):
        raise PreCheckFailed(f"Compute service of {host} is unavailable at "
                             f"this time.")
    return found


# -- while it runs ------------------------------------------------------------

def get(session: Session, instance: Instance, migration_id: str
        ) -> Migration:
    """The server's migration ``migration_id``; NotFound with upstream's
    words (force_complete answers them with 400, abort with 404)."""
    row = None
    if (migration_id.isascii() and migration_id.isdigit()
            and int(migration_id) <= _MAX_ID):
        row = session.get(Migration, int(migration_id))
    if row is None or row.instance_uuid != instance.uuid:
        raise exception.NotFound(f"Migration {migration_id} not found for "
                                 f"instance {instance.uuid}")
    return row


def _invalid_state(row, instance, status, method):
    return exception.Invalid(
        f"Migration {row.id} state of instance {instance.uuid} is {status}."
        f" Cannot {method} while the migration is in this state.")


def force_complete(session: Session, instance: Instance, ctx: Caller,
                   driver: BuiltinDriver, migration_id: str) -> None:
    """The running live migration ends now (upstream's libvirt driver
    pauses the guest or switches to post-copy to finish it)."""
    service.check_state(instance, "force_complete", (states.ACTIVE,),
                        (MIGRATING,))
    try:
        row = get(session, instance, migration_id)
    except exception.NotFound as missing:
        raise exception.Invalid(missing.message) from None
    now = utcnow()
    status = migrations.migration_status(row, now)
    if status != "running":
        raise _invalid_state(row, instance, status, "force complete")
    record(session, instance, "live_migration_force_complete", ctx,
           [("compute_live_migration_force_complete", "Success", None)],
           finish=now)
    end_early(session, instance.uuid, ACTION, now)
    instance.task_deadline = instance.then_deadline = now
    row.finish_at = now
    driver_mod.settle(instance, now)
    migrations.end_live(session, instance, driver, "completed", now)
    transitions.clear_then(instance)


def abort(session: Session, instance: Instance, ctx: Caller,
          driver: BuiltinDriver, migration_id: str,
          queued_too: bool = False, network: Any = None) -> None:
    """Abort the running live migration: the server goes back to its
    source, as it was; the destination gives back its room. From 2.65
    upstream also aborts one still queued or preparing (``queued_too``);
    here a live migration runs from the request on."""
    service.check_state(instance, "abort live migration", None,
                        (MIGRATING,))
    row = get(session, instance, migration_id)
    now = utcnow()
    status = migrations.migration_status(row, now)
    allowed = ("running", "queued", "preparing") if queued_too \
        else ("running",)
    if status not in allowed:
        raise _invalid_state(row, instance, status, "abort live migration")
    record(session, instance, "live_migration_cancel", ctx,
           [("compute_live_migration_abort", "Success", None)], finish=now)
    end_early(session, instance.uuid, ACTION, now, renames={
        EVENTS[-1]: "compute_rollback_live_migration_at_destination"})
    back_to_source(session, instance, driver, now, row=row)
    if network is not None:
        network.moved(session, instance, row.dest_compute or "",
                      kind="live-abort")


def back_to_source(session: Session, instance: Instance,
                   driver: BuiltinDriver, now: datetime.datetime,
                   status: str = "cancelled",
                   row: Migration | None = None) -> None:
    """The running live migration (``row``) ends with ``status``, the
    server back on its source, as it was; the destination gives back its
    room."""
    row = row or migrations.running_live(session, instance.uuid)
    if row is None:
        return
    source = row.source_compute
    driver.release(session, instance)  # the destination's room
    driver.claim(session, instance, 0, 0, 0, host=source, servers=1)
    instance.host = source
    found = compute_hosts.get_by_name(session, source)
    if found is not None:
        instance.availability_zone = found[1]
    instance.task_state = None
    instance.task_deadline = None
    instance.next_vm_state = instance.next_power_state = None
    transitions.clear_then(instance)
    instance.updated_at = now
    row.status = status
    row.updated_at = now
