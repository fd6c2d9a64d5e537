"""Resize and cold migration, with their confirmation and revert;
independent of HTTP.

The scheduler picks a host for the new flavor (``driver.place``), as
upstream: enabled hosts with room, in the server's pinned zone, as its
server group's policy allows. Both hosts hold resources until the move is
confirmed or reverted (``migrations``).
"""

from __future__ import annotations

import datetime
import json
import uuid
from typing import TYPE_CHECKING

from nova import exception
from nova.compute import (
    disk_config,
    host_hints,
    migrations,
    quotas,
    server_groups,
    states,
    transitions,
)
from nova.compute import driver as driver_mod
from nova.compute import flavors as flavor_service
from nova.compute import hosts as compute_hosts
from nova.compute import servers as service
from nova.compute.instance_actions import NO_HOST, record
from nova.db.models import InstanceFault, Migration, utcnow

if TYPE_CHECKING:
    from typing import Any

    from oslo_config import cfg
    from sqlalchemy.orm import Session

    from nova.compute.driver import BuiltinDriver
    from nova.compute.instance_actions import Caller
    from nova.db.models import Instance

# What upstream's conductor raises (and its action event says) when a
# resize finds no host.
NO_HOST_RESIZE = "No valid host was found. No valid host found for resize"
RUNNING = driver_mod.RUNNING


def resize(session: Session, instance: Instance, ctx: Caller,
           driver: BuiltinDriver, conf: cfg.ConfigOpts,
           flavor_ref: str, auto_disk_config: bool | None = None,
           network: Any = None) -> None:
    """Resize, as upstream: the scheduler picks a host for the new flavor
    among the enabled hosts with room, in the server's pinned availability
    zone, as its server group's policy allows, and not the server's own
    host unless ``[DEFAULT] allow_resize_to_same_host``.

    While it waits for confirmation (VERIFY_RESIZE) the server is on the
    new host with the new flavor, and the source host still holds the old
    flavor (for a revert); confirming frees the source, reverting frees
    the destination and moves the server back. When no host fits, the
    request is still accepted (202, upstream casts to its conductor): the
    server stays as it was, the action and a fault say why.

    ``auto_disk_config`` (AUTO true) becomes the server's, MANUAL when not
    given (as upstream, whatever it was before)."""
    service.check_state(instance, "resize", (states.ACTIVE, states.STOPPED))
    auto = disk_config.for_resize(session, instance, auto_disk_config)
    try:
        flavor = flavor_service.get(session, flavor_ref,
                                    project_id=ctx.project_id,
                                    is_admin=ctx.is_admin)
    except exception.NotFound:
        raise exception.Invalid("Unable to locate requested flavor.") \
            from None
    old = json.loads(instance.flavor)
    if flavor.flavorid == old["flavorid"]:
        raise exception.Invalid("When resizing, instances must change "
                                "flavor!")
    if old["root_gb"] and not flavor.root_gb:
        raise exception.Invalid("Resize to zero disk flavor is not "
                                "allowed.")
    new = migrations.flavor_snapshot(session, flavor)
    grow = [max(0, n - o) for n, o in zip(
        migrations.needs(new), migrations.needs(old), strict=True)]
    # A bigger flavor needs the quota's room for the extra cores and RAM,
    # checked under the project's quota lock before anything is claimed.
    quotas.check_delta(session, conf, instance.project_id, instance.user_id,
                       cores=grow[0], ram=grow[1])
    ignore = () if conf.allow_resize_to_same_host else (instance.host,)
    instance.auto_disk_config = auto
    _move(session, instance, ctx, driver, conf, old, new, flavor.id,
          "resize", ignore=ignore, network=network)


def migrate(session: Session, instance: Instance, ctx: Caller,
            driver: BuiltinDriver, conf: cfg.ConfigOpts,
            host: str | None = None, network: Any = None) -> None:
    """Cold migration, as upstream: a resize to the same flavor on another
    host (never the server's own: the built-in driver cannot move a server
    onto the host it is on), the scheduler's choice or ``host`` (2.56),
    which must exist and not be the server's own host (400 otherwise). It
    waits for confirmation like a resize (``confirmResize``,
    ``revertResize``, the automatic confirmation window); its migration
    record has the type "migration". As upstream (a resize without
    OS-DCF:diskConfig), the server's disk config becomes MANUAL."""
    service.check_state(instance, "migrate", (states.ACTIVE, states.STOPPED))
    if host is not None:
        if host == instance.host:
            raise exception.Invalid(
                "Cannot migrate to the host where the server exists.")
        if compute_hosts.get_by_name(session, host) is None:
            raise exception.Invalid(f"Compute host {host} could not be "
                                    f"found.")
    old = json.loads(instance.flavor)
    instance.auto_disk_config = False
    _move(session, instance, ctx, driver, conf, old, old,
          migrations.flavor_id(session, old["flavorid"]), "migrate",
          ignore=(instance.host,), host=host, network=network)


def _move(session, instance, ctx, driver, conf, old, new, new_flavor_id,
          action, ignore, host=None, network=None):
    """What a resize and a cold migration share: the migration record, the
    scheduling, the held resources and the wait for confirmation."""
    now = utcnow()
    source = instance.host
    migration = Migration(
        uuid=str(uuid.uuid4()), instance_uuid=instance.uuid,
        source_compute=source, dest_compute=None,
        old_instance_type_id=migrations.flavor_id(session, old["flavorid"]),
        new_instance_type_id=new_flavor_id, status="pre-migrating",
        migration_type="resize" if action == "resize" else "migration",
        user_id=ctx.user_id, project_id=ctx.project_id, created_at=now,
        updated_at=now)
    session.add(migration)
    source_zone = instance.availability_zone
    dest = schedule(session, instance, driver, conf, new, ignore,
                            host)
    if dest is None:
        # As upstream's conductor: the server keeps its state, the
        # migration is in error, a fault and the action's event say why.
        migration.status = "error"
        session.add(InstanceFault(instance_uuid=instance.uuid, code=500,
                                  message=NO_HOST, details=""))
        record(session, instance, action, ctx,
               [("conductor_migrate_server", "Error", NO_HOST_RESIZE)],
               finish=now, message="Error")
        return
    migration.dest_compute = dest
    # The server now counts on its new host (place() added it there); the
    # source keeps the old flavor's room only.
    driver.claim(session, instance, 0, 0, 0, host=source, servers=-1)
    instance.old_flavor = json.dumps({
        **old, "vm_state": instance.vm_state,
        "power_state": instance.power_state, "host": source,
        "availability_zone": source_zone})
    prior_vm, prior_power = instance.vm_state, instance.power_state
    migrations.apply_flavor(instance, new)
    driver.run(instance, "resize_prep", states.RESIZED, prior_power)
    migration.status = "finished"
    migration.finish_at = instance.task_deadline
    window = conf.resize_confirm_window
    if window:
        instance.then_deadline = instance.task_deadline + \
            datetime.timedelta(seconds=window)
        instance.then_vm_state = prior_vm
        instance.then_power_state = prior_power
        migration.confirm_at = instance.then_deadline
    record(session, instance, action, ctx, [
        ("conductor_migrate_server", "Success", None),
        ("compute_prep_resize", "Success", None),
        ("compute_resize_instance", "Success", None),
        ("compute_finish_resize", "Success", None)])
    if network is not None:  # its ports follow it, once committed
        network.moved(session, instance, source, kind=action)


def schedule(session: Session, instance: Instance, driver: BuiltinDriver,
             conf: cfg.ConfigOpts, new: dict, ignore: tuple[str, ...],
             host: str | None = None) -> str | None:
    """What the scheduler does for a move (resize, cold or live
    migration): claim the flavor ``new`` on a host for ``instance`` (which
    place() moves there), in its pinned zone, as its server group allows,
    never one of ``ignore``, only ``host`` when named; the host's name, or
    None when none fits. The server's own same_host/different_host hints
    still hold (nova.compute.host_hints)."""
    group = server_groups.group_of_member(session, instance.uuid)
    placement = None
    if group is not None:
        # The group's lock, as a create into it takes: two members placed
        # at once see each other's host.
        quotas.lock(session, "group", group.uuid)
        placement = server_groups.Placement.of(session, group,
                                               moving=instance)
    hints = host_hints.from_hints(
        session, conf, json.loads(instance.scheduler_hints or "{}"))
    return driver.place(session, instance,
                        zone=instance.pinned_availability_zone, host=host,
                        group=placement,
                        ignore_hosts={*ignore, *hints.avoid},
                        needs=migrations.needs(new), only_hosts=hints.only)


def confirm_resize(session: Session, instance: Instance, ctx: Caller,
                   driver: BuiltinDriver) -> None:
    service.check_state(instance, "confirmResize", (states.RESIZED,))
    old = migrations.old_flavor(instance) or {}
    migrations.confirm_resources(session, instance, driver)
    now = utcnow()
    migrations.set_migration(session, instance.uuid, "confirmed", now)
    instance.vm_state = old.get("vm_state", states.ACTIVE)
    instance.power_state = old.get("power_state", RUNNING)
    instance.updated_at = now
    transitions.clear_then(instance)
    record(session, instance, "confirmResize", ctx,
           [("compute_confirm_resize", "Success", None)], finish=now)


def revert_resize(session: Session, instance: Instance, ctx: Caller,
                  driver: BuiltinDriver, network: Any = None) -> None:
    """Back to the source host (which kept the old flavor's room) with the
    old flavor; the destination gives back the new one."""
    service.check_state(instance, "revertResize", (states.RESIZED,))
    old = migrations.old_flavor(instance)
    if old is None:
        raise exception.Invalid("Instance has not been resized.")
    new = json.loads(instance.flavor)
    was = instance.host
    vm_state = old.pop("vm_state", states.ACTIVE)
    power = old.pop("power_state", RUNNING)
    if "host" in old:
        source = old.pop("host")
        zone = old.pop("availability_zone", None)
        migrations.claim(driver, session, instance,
                         [-n for n in migrations.needs(new)], servers=-1)
        driver.claim(session, instance, 0, 0, 0, host=source, servers=1)
        instance.host = source
        if zone is not None:
            instance.availability_zone = zone
    else:  # a same-host resize of before sources were kept
        migrations.claim(driver, session, instance, [
            -max(0, n - o)
            for n, o in zip(migrations.needs(new), migrations.needs(old),
                            strict=True)])
    migrations.apply_flavor(instance, old)
    instance.old_flavor = None
    transitions.clear_then(instance)
    migrations.set_migration(session, instance.uuid, "reverted", utcnow())
    driver.run(instance, "resize_reverting", vm_state, power)
    record(session, instance, "revertResize", ctx, [
        ("compute_revert_resize", "Success", None),
        ("compute_finish_revert_resize", "Success", None)])
    if network is not None:
        network.moved(session, instance, was, kind="revert")
