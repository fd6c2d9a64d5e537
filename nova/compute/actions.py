"""The server actions but for resize and migrate: a state check, a
transition of the driver recorded as a deadline (nothing waits) and an
instance-action record; independent of HTTP.

Each runs in the caller's write transaction with the server row locked
(pause and the other state-only ones also on the Core path,
``server_rows``).
"""

from __future__ import annotations

import datetime
import json
from typing import TYPE_CHECKING

import sqlalchemy as sa

from nova import exception
from nova.compute import (
    disk_config,
    host_hints,
    image_api,
    migrations,
    quotas,
    states,
    transitions,
)
from nova.compute import driver as driver_mod
from nova.compute import images as image_service
from nova.compute import servers as service
from nova.compute.instance_actions import NO_HOST, record
from nova.compute.network import canonical_address
from nova.db.models import KeyPair, utcnow

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from oslo_config import cfg
    from sqlalchemy.orm import Session

    from nova.compute.driver import BuiltinDriver, Server
    from nova.compute.image_api import ImageInfo
    from nova.compute.instance_actions import Caller
    from nova.db.models import Image, Instance
    from nova.db.statements import Reads

RUNNING, SHUTDOWN, PAUSED = (driver_mod.RUNNING, driver_mod.SHUTDOWN,
                             driver_mod.PAUSED)


# -- state helpers ------------------------------------------------------------

def _simple(session, instance, ctx, driver, *, action, name, vm_states,
            task, next_vm, next_power, event):
    service.check_state(instance, name, vm_states)
    driver.run(instance, task, next_vm, next_power)
    record(session, instance, action, ctx, [(event, "Success", None)])


def pause(session: Reads, instance: Server, ctx: Caller,
          driver: BuiltinDriver) -> None:
    _simple(session, instance, ctx, driver, action="pause", name="pause",
            vm_states=(states.ACTIVE,), task="pausing",
            next_vm=states.PAUSED, next_power=PAUSED,
            event="compute_pause_instance")


def unpause(session: Reads, instance: Server, ctx: Caller,
            driver: BuiltinDriver) -> None:
    _simple(session, instance, ctx, driver, action="unpause",
            name="unpause", vm_states=(states.PAUSED,), task="unpausing",
            next_vm=states.ACTIVE, next_power=RUNNING,
            event="compute_unpause_instance")


def suspend(session: Reads, instance: Server, ctx: Caller,
            driver: BuiltinDriver) -> None:
    _simple(session, instance, ctx, driver, action="suspend",
            name="suspend", vm_states=(states.ACTIVE,), task="suspending",
            next_vm=states.SUSPENDED, next_power=SHUTDOWN,
            event="compute_suspend_instance")


def resume(session: Reads, instance: Server, ctx: Caller,
           driver: BuiltinDriver) -> None:
    _simple(session, instance, ctx, driver, action="resume", name="resume",
            vm_states=(states.SUSPENDED,), task="resuming",
            next_vm=states.ACTIVE, next_power=RUNNING,
            event="compute_resume_instance")


def unrescue(session: Reads, instance: Server, ctx: Caller,
             driver: BuiltinDriver) -> None:
    _simple(session, instance, ctx, driver, action="unrescue",
            name="unrescue", vm_states=(states.RESCUED,), task="unrescuing",
            next_vm=states.ACTIVE, next_power=RUNNING,
            event="compute_unrescue_instance")


def rescue(session: Session, instance: Instance, ctx: Caller,
           driver: BuiltinDriver, image_ref: str | None = None,
           remote_checked: bool = False) -> None:
    """``remote_checked``: the image was found in Glance already."""
    service.check_state(instance, "rescue",
                        (states.ACTIVE, states.STOPPED, states.ERROR))
    if image_ref is not None and not remote_checked and image_service.find(
            session, image_ref, project_id=ctx.project_id,
            is_admin=ctx.is_admin) is None:
        raise exception.Invalid(f"Image {image_ref} could not be found.")
    driver.run(instance, "rescuing", states.RESCUED, RUNNING)
    record(session, instance, "rescue", ctx,
           [("compute_rescue_instance", "Success", None)])


def change_password(session: Reads, instance: Server, ctx: Caller,
                    driver: BuiltinDriver) -> None:
    service.check_state(instance, "changePassword", (states.ACTIVE,))
    # The password goes to the guest agent; nothing keeps it here.
    driver.run(instance, "updating_password", states.ACTIVE, RUNNING)
    record(session, instance, "changePassword", ctx,
           [("compute_set_admin_password", "Success", None)])


def trigger_crash_dump(session: Reads, instance: Server, ctx: Caller,
                       driver: BuiltinDriver) -> None:
    service.check_state(instance, "trigger_crash_dump", (
        states.ACTIVE, states.PAUSED, states.RESCUED, states.RESIZED,
        states.ERROR))
    record(session, instance, "trigger_crash_dump", ctx,
           [("compute_trigger_crash_dump", "Success", None)],
           finish=utcnow())


def lock(session: Reads, instance: Server, ctx: Caller,
         reason: str | None = None) -> None:
    is_owner = instance.project_id == ctx.project_id
    instance.locked = True
    instance.locked_by = "owner" if is_owner else "admin"
    instance.locked_reason = reason
    instance.updated_at = utcnow()
    record(session, instance, "lock", ctx, finish=utcnow())


def expected_locked_by(instance: Server, ctx: Caller) -> bool:
    """Upstream: the owner may unlock its own lock, an admin lock needs the
    override rule."""
    is_owner = instance.project_id == ctx.project_id
    return instance.locked_by == ("owner" if is_owner else "admin")


def unlock(session: Reads, instance: Server, ctx: Caller) -> None:
    instance.locked = False
    instance.locked_by = None
    instance.locked_reason = None
    instance.updated_at = utcnow()
    record(session, instance, "unlock", ctx, finish=utcnow())


def console_output(instance: Instance, driver: BuiltinDriver,
                   length: int | None = None) -> str:
    vm_state = driver_mod.effective(instance)[0]
    if not instance.host or vm_state in (states.BUILDING,
                                         states.SHELVED_OFFLOADED):
        raise exception.Conflict(f"Instance {instance.uuid} is not ready")
    text = driver.console_output(instance)
    if length is not None and length >= 0:
        lines = text.split("\n")
        text = "\n".join(lines[-length:]) if length else ""
    return text


# -- rebuild ------------------------------------------------------------------

def rebuild(session: Session, instance: Instance, ctx: Caller,
            driver: BuiltinDriver, *, image_ref: str,
            name: str | None = None,
            metadata: Mapping[str, str] | None = None,
            description: str | None | tuple[()] = (),
            key_name: str | None | tuple[()] = (),
            user_data: str | None | tuple[()] = (),
            hostname: str | None = None, access_ip_v4: str | None = None,
            access_ip_v6: str | None = None,
            trusted_certs: list[str] | None | tuple[()] = (),
            remote_image: ImageInfo | None = None,
            auto_disk_config: bool | None = None) -> None:
    """Rebuild, as upstream; without ``auto_disk_config`` (AUTO true,
    MANUAL false) the server takes the new image's default."""
    service.check_state(instance, "rebuild",
                        (states.ACTIVE, states.STOPPED, states.ERROR))
    flavor = json.loads(instance.flavor)
    if remote_image is not None:
        # Fetched from Glance by the caller, before this transaction.
        auto = disk_config.for_image(remote_image.properties,
                                     remote_image.id, auto_disk_config)
        image_api.check_bootable(remote_image, flavor["memory_mb"],
                                 flavor["root_gb"])
        image_service.remember(session, remote_image)
        image_id = remote_image.id
    else:
        image = image_service.find(session, image_ref,
                                   project_id=ctx.project_id,
                                   is_admin=ctx.is_admin)
        if image is None:
            raise exception.Invalid("Cannot find image for rebuild")
        auto = disk_config.for_image(image_service.properties(image),
                                     image.id, auto_disk_config)
        if flavor["memory_mb"] < image.min_ram:
            raise exception.Invalid("Flavor's memory is too small for "
                                    "requested image.")
        if flavor["root_gb"] and flavor["root_gb"] < image.min_disk:
            raise exception.Invalid("Flavor's disk is too small for "
                                    "requested image.")
        image_id = image.id
    if key_name != ():
        if key_name is None:
            instance.key_name = instance.key_data = instance.key_type = None
        else:
            key = session.execute(sa.select(KeyPair).where(
                KeyPair.user_id == ctx.user_id,
                KeyPair.name == key_name)).scalar()
            if key is None:
                raise exception.Invalid("Invalid key_name provided.")
            instance.key_name, instance.key_data = key.name, key.public_key
            instance.key_type = key.type
    if metadata is not None:
        service.set_metadata(session, instance, metadata, replace=True)
    if name is not None:
        instance.display_name = name
    if description != ():
        instance.display_description = description
    if user_data != ():
        instance.user_data = user_data
    if hostname is not None:
        instance.hostname = hostname
    if access_ip_v4 is not None:
        instance.access_ip_v4 = canonical_address(access_ip_v4)
    if access_ip_v6 is not None:
        instance.access_ip_v6 = canonical_address(access_ip_v6)
    if trusted_certs != ():
        instance.trusted_certs = (json.dumps(trusted_certs)
                                  if trusted_certs is not None else None)
    instance.image_ref = image_id
    instance.auto_disk_config = auto
    # A stopped server is stopped again after its rebuild, as upstream.
    stopped = instance.vm_state == states.STOPPED
    driver.run(instance, "rebuilding",
               states.STOPPED if stopped else states.ACTIVE,
               SHUTDOWN if stopped else RUNNING)
    record(session, instance, "rebuild", ctx,
           [("compute_rebuild_instance", "Success", None)])


# -- images -------------------------------------------------------------------

def create_image(session: Session, instance: Instance, ctx: Caller,
                 driver: BuiltinDriver, name: str,
                 metadata: Mapping[str, str] | None,
                 backup_type: str | None = None) -> Image:
    """A snapshot (or, with ``backup_type``, a backup) of the server in
    the local catalogue."""
    base = image_service.find(session, instance.image_ref)
    props = dict(image_service.properties(base)) if base else {}
    props.update({"image_type": "backup" if backup_type else "snapshot",
                  "instance_uuid": instance.uuid,
                  "base_image_ref": instance.image_ref,
                  "owner_user_name": ctx.user_name or "",
                  "user_id": ctx.user_id})
    # The caller's metadata wins, as upstream's (a backup's type after).
    props.update(metadata or {})
    if backup_type:
        props["backup_type"] = backup_type
    flavor = json.loads(instance.flavor)
    image = image_service.create(
        session, name=name, visibility="private", owner=instance.project_id,
        min_disk=max(flavor["root_gb"], base.min_disk if base else 0),
        min_ram=base.min_ram if base else 0,
        size=base.size if base else 0,
        disk_format=base.disk_format if base else "qcow2",
        properties=props)
    if backup_type:
        start_backup(session, instance, ctx, driver)
    else:
        start_snapshot(session, instance, ctx, driver)
    return image


def start_backup(session: Session, instance: Instance, ctx: Caller,
                 driver: BuiltinDriver) -> None:
    """The server's side of createBackup: upstream's states, the
    image_backup task and the action record."""
    service.check_state(instance, "createBackup", (
        states.ACTIVE, states.STOPPED, states.PAUSED, states.SUSPENDED))
    driver.run(instance, "image_backup", instance.vm_state,
               instance.power_state)
    record(session, instance, "createBackup", ctx,
           [("compute_backup_instance", "Success", None)])


def backups_to_rotate(backups: list[ImageInfo], rotation: int
                      ) -> list[ImageInfo]:
    """Upstream's rotation: the oldest backups beyond ``rotation``."""
    ordered = sorted(backups, key=lambda i: (
        i.created_at is not None, i.created_at), reverse=True)
    return ordered[rotation:]


def check_snapshot(instance: Instance) -> None:
    service.check_state(instance, "createImage", (
        states.ACTIVE, states.STOPPED, states.PAUSED, states.SUSPENDED))


def start_snapshot(session: Session, instance: Instance, ctx: Caller,
                   driver: BuiltinDriver) -> None:
    """The server's side of a snapshot (its image is made elsewhere when
    it lives in Glance): the image_snapshot task and the action record."""
    check_snapshot(instance)
    prior = instance.vm_state
    power = instance.power_state
    driver.run(instance, "image_snapshot", prior, power)
    record(session, instance, "createImage", ctx,
           [("compute_snapshot_instance", "Success", None)])


def snapshot_request(instance: Instance, ctx: Caller, base: ImageInfo | None,
                     name: str, metadata: Mapping[str, str] | None,
                     image_type: str = "snapshot",
                     extra: Mapping[str, str] | None = None
                     ) -> dict[str, Any]:
    """What to ask an image service for a server's snapshot or backup
    (upstream's ``create_image``): name, properties, visibility, formats
    (a snapshot's are left to the upload, as upstream), minimums. Someone
    else's server (an admin's snapshot): visibility shared, and
    ``instance_owner`` names the project to share it with."""
    props = dict(metadata or {})
    props.update(extra or {})
    visibility = "private"
    if ctx.project_id != instance.project_id:
        visibility = "shared"
        props["instance_owner"] = instance.project_id
    flavor = json.loads(instance.flavor)
    wanted: dict[str, Any] = {
        "name": name,
        "properties": image_api.snapshot_properties(
            base, instance_uuid=instance.uuid,
            base_image_ref=instance.image_ref, user_id=ctx.user_id,
            owner_id=instance.project_id, image_type=image_type,
            extra=props),
        "visibility": visibility,
        "min_disk": max(flavor["root_gb"], base.min_disk if base else 0),
        "min_ram": base.min_ram if base else 0,
    }
    if image_type != "snapshot" and base is not None:
        wanted.update(disk_format=base.disk_format,
                      container_format=base.container_format)
    return wanted


# -- shelve -------------------------------------------------------------------

def shelve(session: Session, instance: Instance, ctx: Caller,
           driver: BuiltinDriver, conf: cfg.ConfigOpts,
           network: Any = None) -> None:
    service.check_state(instance, "shelve", (
        states.ACTIVE, states.STOPPED, states.PAUSED, states.SUSPENDED))
    offload = conf.shelved_offload_time
    if offload == 0:
        # Offloaded at once: the host is given back now.
        transitions.offload(session, instance, driver, network)
        driver.run(instance, "shelving_offloading",
                   states.SHELVED_OFFLOADED, SHUTDOWN)
        events = [("compute_shelve_instance", "Success", None),
                  ("compute_shelve_offload_instance", "Success", None)]
    else:
        driver.run(instance, "shelving", states.SHELVED, SHUTDOWN)
        events = [("compute_shelve_instance", "Success", None)]
        if offload > 0:
            instance.then_deadline = instance.task_deadline + \
                datetime.timedelta(seconds=offload)
            instance.then_vm_state = states.SHELVED_OFFLOADED
            instance.then_power_state = SHUTDOWN
    record(session, instance, "shelve", ctx, events)


def shelve_offload(session: Session, instance: Instance, ctx: Caller,
                   driver: BuiltinDriver, network: Any = None) -> None:
    service.check_state(instance, "shelveOffload", (states.SHELVED,))
    transitions.offload(session, instance, driver, network)
    transitions.clear_then(instance)
    driver.run(instance, "shelving_offloading", states.SHELVED_OFFLOADED,
               SHUTDOWN)
    record(session, instance, "shelveOffload", ctx,
           [("compute_shelve_offload_instance", "Success", None)],
           host="")


def unshelve(session: Session, instance: Instance, ctx: Caller,
             driver: BuiltinDriver, conf: cfg.ConfigOpts, *,
             zone: str | None | tuple[()] = (),
             host: str | None = None, network: Any = None) -> None:
    """``zone``: () none given, None unpin (2.91), or a zone name ("" is
    taken and pinned unchecked, as upstream: it restricts nothing)."""
    service.check_state(instance, "unshelve", (states.SHELVED,
                                               states.SHELVED_OFFLOADED))
    if (not isinstance(zone, tuple) or host) and instance.vm_state != \
            states.SHELVED_OFFLOADED:
        raise exception.Conflict(
            f"The availability_zone or host parameter can only be given "
            f"when unshelving server {instance.uuid} from the "
            f"SHELVED_OFFLOADED state, not "
            f"{states.status(instance.vm_state, None)}.")
    known = {h[1] for h in driver.hosts}
    if isinstance(zone, str) and zone and zone not in known:
        raise exception.Invalid(
            "The requested availability zone is not available")
    if host and host not in {h[0] for h in driver.hosts}:
        raise exception.Invalid(f"Compute host {host} could not be found.")
    transitions.clear_then(instance)
    if instance.vm_state == states.SHELVED:
        driver.run(instance, "unshelving", states.ACTIVE, RUNNING)
        record(session, instance, "unshelve", ctx,
               [("compute_unshelve_instance", "Success", None)])
        return
    if zone is None:
        instance.pinned_availability_zone = None
        want = None
    elif isinstance(zone, str):
        instance.pinned_availability_zone = zone
        want = zone
    else:
        want = instance.pinned_availability_zone
    # An offloaded server takes its cores and RAM again (it still counted
    # as an instance): within the quota, before it is placed.
    quotas.check_delta(session, conf, instance.project_id, instance.user_id,
                       cores=instance.vcpus, ram=instance.memory_mb)
    hints = host_hints.from_hints(
        session, conf, json.loads(instance.scheduler_hints or "{}"))
    placed = driver.place(session, instance, zone=want, host=host,
                          ignore_hosts=hints.avoid, only_hosts=hints.only)
    if placed is None:
        record(session, instance, "unshelve", ctx,
               [("conductor_unshelve_instance", "Error", NO_HOST)],
               finish=utcnow(), message="Error", host="")
        return
    driver.run(instance, "spawning", states.ACTIVE, RUNNING)
    record(session, instance, "unshelve", ctx, [
        ("conductor_unshelve_instance", "Success", None),
        ("compute_unshelve_instance", "Success", None)])
    if network is not None:  # its ports are bound on the new host
        network.moved(session, instance, None, kind="unshelve")


# -- deferred delete ----------------------------------------------------------

def soft_delete(session: Session, instance: Instance, ctx: Caller,
                driver: BuiltinDriver, conf: cfg.ConfigOpts) -> None:
    """Delete with ``reclaim_instance_interval`` > 0: the server keeps its
    resources, SOFT_DELETED, until it is restored or reclaimed."""
    now = utcnow()
    migrations.release_resize(session, instance, driver)
    instance.vm_state = states.SOFT_DELETED
    instance.task_state = None
    instance.power_state = SHUTDOWN
    instance.task_deadline = None
    instance.next_vm_state = instance.next_power_state = None
    instance.old_flavor = None
    instance.then_deadline = now + datetime.timedelta(
        seconds=conf.reclaim_instance_interval)
    instance.then_vm_state = instance.then_power_state = None
    instance.updated_at = now
    record(session, instance, "delete", ctx,
           [("compute_soft_delete_instance", "Success", None)], finish=now)


def restore(session: Session, instance: Instance, ctx: Caller,
            driver: BuiltinDriver, conf: cfg.ConfigOpts) -> None:
    service.check_state(instance, "restore", (states.SOFT_DELETED,))
    # A restored server counts again (it never stopped holding its host
    # here): within the quota.
    quotas.check_delta(session, conf, instance.project_id, instance.user_id,
                       instances=1, cores=instance.vcpus,
                       ram=instance.memory_mb)
    transitions.clear_then(instance)
    driver.run(instance, "restoring", states.ACTIVE, RUNNING)
    record(session, instance, "restore", ctx,
           [("compute_restore_instance", "Success", None)])


# -- os-resetState ------------------------------------------------------------

RESET_STATES = (states.ACTIVE, states.ERROR)


def reset_state(session: Session, instance: Instance, ctx: Caller,
                driver: BuiltinDriver, state: str) -> None:
    """An admin's override: the server's vm_state becomes ``state``
    (active or error) and its task is cleared, whatever it was doing.

    The driver's pending transition is called off, but what the
    hypervisor was doing to the guest's power is done (a server reset out
    of BUILD runs). The later automatic steps belong to the state left and
    are called off too (a reclaim, an offload); a resize awaiting
    confirmation (or still under way) ends as upstream's automatic
    confirmation leaves it for a server no longer VERIFY_RESIZE: the
    migration in error; the server stays on its new host with its new
    flavor, and the source's hold is freed. A live migration under way
    ends the same way."""
    if state not in RESET_STATES:
        raise exception.Invalid(f"Invalid state {state!r}")
    now = utcnow()
    if instance.task_deadline is not None:
        instance.power_state = instance.next_power_state
        if instance.launched_at is not None and instance.launched_at > now:
            instance.launched_at = now  # its spawn was cut short
    instance.task_deadline = None
    instance.next_vm_state = instance.next_power_state = None
    transitions.clear_then(instance)
    if instance.old_flavor:
        migrations.confirm_resources(session, instance, driver)
        migrations.set_migration(session, instance.uuid, "error", now)
    # A live migration under way ends there, the server on its destination.
    migrations.end_live(session, instance, driver, "error", now)
    instance.vm_state = state
    instance.task_state = None
    instance.updated_at = now
    record(session, instance, "resetState", ctx, finish=now)
