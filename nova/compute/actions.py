"""The server actions beyond reboot/stop/start, instance-action records,
migrations (resizes), independent of HTTP.

Every action runs in the caller's write transaction with the server row
locked (``load_for_change``): a state check, a driver transition recorded
as a deadline (nothing waits), an instance action with its events whose
finish times are the transition's deadline (shown once passed).

Second transitions (``instances.then_*``) are what upstream's periodic
tasks do later: the automatic resize confirmation
(``resize_confirm_window``), a delayed offload (``shelved_offload_time``),
the reclaim of a soft-deleted server (``reclaim_instance_interval``).
Readers see the first two as of now (``driver.effective``); the resources
they free and the reclaim are applied by ``settle`` when the server is next
changed and by ``sweep`` on every write of the compute API.
"""

import datetime
import json
import time
import uuid

import sqlalchemy as sa

from nova import exception
from nova.compute import driver as driver_mod
from nova.compute import flavors as flavor_service
from nova.compute import hosts as compute_hosts
from nova.compute import images as image_service
from nova.compute import quotas
from nova.compute import server_groups
from nova.compute import servers as service
from nova.compute import states
from nova.db import api as db_api
from nova.db.models import (Flavor, Instance, InstanceAction,
                            InstanceActionEvent, InstanceFault, KeyPair,
                            Migration, utcnow)

NO_HOST = ("No valid host was found. There are not enough hosts "
           "available.")
# What upstream's conductor raises (and its action event says) when a
# resize finds no host.
NO_HOST_RESIZE = "No valid host was found. No valid host found for resize"
RUNNING, SHUTDOWN, PAUSED = (driver_mod.RUNNING, driver_mod.SHUTDOWN,
                             driver_mod.PAUSED)


# -- instance actions ------------------------------------------------------------

def record(session, instance, action, context, events=(), finish=None,
           message=None, host=None):
    """An instance action; ``events`` are (name, result, details) finishing
    at ``finish`` (default: the server's pending deadline, or now).

    Core INSERTs, not ORM objects: every action of the API writes one;
    ``session`` is an ORM session or a ``nova.db.api.Transaction``."""
    now = utcnow()
    if finish is None:
        finish = instance.task_deadline or now
    action_id = db_api.insert(session, _INSERT_ACTION, dict(
        action=action, instance_uuid=instance.uuid,
        request_id=(context.request_id or "req-" + str(uuid.uuid4())),
        user_id=context.user_id, project_id=context.project_id,
        start_time=now, finish_time=finish, message=message,
        created_at=now, updated_at=now))
    where = host if host is not None else instance.host
    for name, result, details in events:
        db_api.insert(session, _INSERT_EVENT, {
            "action_id": action_id, "event": name, "start_time": now,
            "finish_time": finish, "result": result, "details": details,
            "traceback": None, "host": where})
    return action_id


_ACTIONS = InstanceAction.__table__
_EVENTS = InstanceActionEvent.__table__


def _insert_of(table, names):
    """An INSERT built once, every value named: SQLAlchemy finds its
    compiled form in its cache, ``Transaction`` compiles it once."""
    return sa.insert(table).values(
        {name: sa.bindparam(name, type_=table.c[name].type)
         for name in names})


_INSERT_ACTION = _insert_of(_ACTIONS, (
    "action", "instance_uuid", "request_id", "user_id", "project_id",
    "start_time", "finish_time", "message", "created_at", "updated_at"))
_INSERT_EVENT = _insert_of(_EVENTS, (
    "action_id", "event", "start_time", "finish_time", "result", "details",
    "traceback", "host"))


def list_actions(session, instance_uuid, *, limit=None, marker=None,
                 changes_since=None, changes_before=None):
    query = sa.select(InstanceAction).where(
        InstanceAction.instance_uuid == instance_uuid)
    now = utcnow()
    updated = sa.case(
        (InstanceAction.finish_time <= now, InstanceAction.finish_time),
        else_=InstanceAction.created_at)
    if changes_since is not None:
        query = query.where(updated >= changes_since)
    if changes_before is not None:
        query = query.where(updated <= changes_before)
    if marker is not None:
        row = session.execute(sa.select(
            InstanceAction.created_at, InstanceAction.id).where(
            InstanceAction.instance_uuid == instance_uuid,
            InstanceAction.request_id == marker)).first()
        if row is None:
            raise exception.Invalid(f"Marker {marker} could not be found.")
        query = query.where(sa.or_(
            InstanceAction.created_at < row.created_at,
            sa.and_(InstanceAction.created_at == row.created_at,
                    InstanceAction.id < row.id)))
    query = query.order_by(InstanceAction.created_at.desc(),
                           InstanceAction.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return list(session.execute(query).scalars())


def get_action(session, instance_uuid, request_id):
    row = session.execute(sa.select(InstanceAction).where(
        InstanceAction.instance_uuid == instance_uuid,
        InstanceAction.request_id == request_id).order_by(
            InstanceAction.id.desc())).scalars().first()
    if row is None:
        raise exception.NotFound(f"Action {request_id} not found")
    events = list(session.execute(sa.select(InstanceActionEvent).where(
        InstanceActionEvent.action_id == row.id).order_by(
            InstanceActionEvent.id)).scalars())
    return row, events


# -- settling second transitions ---------------------------------------------------

def settle(session, instance, driver, network, now=None):
    """Apply every transition of ``instance`` that is due, with what it
    frees. Returns False when the server was reclaimed (is gone)."""
    now = now or utcnow()
    driver_mod.settle(instance, now)
    then = instance.then_deadline
    if then is None or then > now or instance.task_deadline is not None:
        return True
    target = instance.then_vm_state
    if target is None:  # a soft-deleted server's reclaim
        service.delete(session, instance, driver=driver, network=network)
        instance.then_deadline = None
        return False
    if target == states.SHELVED_OFFLOADED:
        _offload(session, instance, driver)
    elif instance.vm_state == states.RESIZED:
        _confirm_resources(session, instance, driver)
        _set_migration(session, instance.uuid, "confirmed", then)
    instance.vm_state = target
    instance.power_state = instance.then_power_state
    instance.updated_at = then
    _clear_then(instance)
    return True


def settle_editable(server, now=None):
    """``settle`` for a ``servers.Editable``: the first transition if due.
    False when the second one is due: what it frees needs the ORM path
    (``settle`` in a session)."""
    now = now or utcnow()
    driver_mod.settle(server, now)
    then = server.then_deadline
    return then is None or then > now or server.task_deadline is not None


def sweep_due():
    """Whether this process's next ``sweep`` would run now."""
    return time.monotonic() >= _next_sweep[0]


_SWEEP_EVERY = 0.5  # seconds between two sweeps of one process
_next_sweep = [0.0]


def sweep(session, driver, network, limit=20):
    """What upstream's periodic tasks do, for the servers that are due:
    offloads, automatic resize confirmations, reclaims. Bounded work per
    call, at most every ``_SWEEP_EVERY`` seconds per process; run inside
    the caller's write transaction."""
    clock = time.monotonic()
    if clock < _next_sweep[0]:
        return 0
    _next_sweep[0] = clock + _SWEEP_EVERY
    now = utcnow()
    ids = session.execute(
        sa.select(Instance.id).where(
            Instance.then_deadline.is_not(None),
            Instance.then_deadline <= now, Instance.deleted == 0)
        .order_by(Instance.then_deadline).limit(limit)).scalars().all()
    if not ids:
        return 0
    done = 0
    for instance in session.execute(
            sa.select(Instance).where(Instance.id.in_(ids))
            .with_for_update()).scalars():
        settle(session, instance, driver, network, now)
        done += 1
    session.flush()
    return done


def _clear_then(instance):
    instance.then_deadline = None
    instance.then_vm_state = None
    instance.then_power_state = None


def _offload(session, instance, driver):
    driver.release(session, instance)
    instance.host = None


# -- state helpers ---------------------------------------------------------------

def _simple(session, instance, ctx, driver, *, action, name, vm_states,
            task, next_vm, next_power, event):
    service.check_state(instance, name, vm_states)
    driver.run(instance, task, next_vm, next_power)
    record(session, instance, action, ctx, [(event, "Success", None)])


def pause(session, instance, ctx, driver):
    _simple(session, instance, ctx, driver, action="pause", name="pause",
            vm_states=(states.ACTIVE,), task="pausing",
            next_vm=states.PAUSED, next_power=PAUSED,
            event="compute_pause_instance")


def unpause(session, instance, ctx, driver):
    _simple(session, instance, ctx, driver, action="unpause",
            name="unpause", vm_states=(states.PAUSED,), task="unpausing",
            next_vm=states.ACTIVE, next_power=RUNNING,
            event="compute_unpause_instance")


def suspend(session, instance, ctx, driver):
    _simple(session, instance, ctx, driver, action="suspend",
            name="suspend", vm_states=(states.ACTIVE,), task="suspending",
            next_vm=states.SUSPENDED, next_power=SHUTDOWN,
            event="compute_suspend_instance")


def resume(session, instance, ctx, driver):
    _simple(session, instance, ctx, driver, action="resume", name="resume",
            vm_states=(states.SUSPENDED,), task="resuming",
            next_vm=states.ACTIVE, next_power=RUNNING,
            event="compute_resume_instance")


def unrescue(session, instance, ctx, driver):
    _simple(session, instance, ctx, driver, action="unrescue",
            name="unrescue", vm_states=(states.RESCUED,), task="unrescuing",
            next_vm=states.ACTIVE, next_power=RUNNING,
            event="compute_unrescue_instance")


def rescue(session, instance, ctx, driver, image_ref=None):
    service.check_state(instance, "rescue",
                        (states.ACTIVE, states.STOPPED, states.ERROR))
    if image_ref is not None and image_service.find(
            session, image_ref, project_id=ctx.project_id,
            is_admin=ctx.is_admin) is None:
        raise exception.Invalid(f"Image {image_ref} could not be found.")
    driver.run(instance, "rescuing", states.RESCUED, RUNNING)
    record(session, instance, "rescue", ctx,
           [("compute_rescue_instance", "Success", None)])


def change_password(session, instance, ctx, driver):
    service.check_state(instance, "changePassword", (states.ACTIVE,))
    # The password goes to the guest agent; nothing keeps it here.
    driver.run(instance, "updating_password", states.ACTIVE, RUNNING)
    record(session, instance, "changePassword", ctx,
           [("compute_set_admin_password", "Success", None)])


def trigger_crash_dump(session, instance, ctx, driver):
    service.check_state(instance, "trigger_crash_dump", (
        states.ACTIVE, states.PAUSED, states.RESCUED, states.RESIZED,
        states.ERROR))
    record(session, instance, "trigger_crash_dump", ctx,
           [("compute_trigger_crash_dump", "Success", None)],
           finish=utcnow())


def lock(session, instance, ctx, reason=None):
    is_owner = instance.project_id == ctx.project_id
    instance.locked = True
    instance.locked_by = "owner" if is_owner else "admin"
    instance.locked_reason = reason
    instance.updated_at = utcnow()
    record(session, instance, "lock", ctx, finish=utcnow())


def expected_locked_by(instance, ctx):
    """Upstream: the owner may unlock its own lock, an admin lock needs the
    override rule."""
    is_owner = instance.project_id == ctx.project_id
    return instance.locked_by == ("owner" if is_owner else "admin")


def unlock(session, instance, ctx):
    instance.locked = False
    instance.locked_by = None
    instance.locked_reason = None
    instance.updated_at = utcnow()
    record(session, instance, "unlock", ctx, finish=utcnow())


def console_output(instance, driver, length=None):
    vm_state = driver_mod.effective(instance)[0]
    if not instance.host or vm_state in (states.BUILDING,
                                         states.SHELVED_OFFLOADED):
        raise exception.Conflict(f"Instance {instance.uuid} is not ready")
    text = driver.console_output(instance)
    if length is not None and length >= 0:
        lines = text.split("\n")
        text = "\n".join(lines[-length:]) if length else ""
    return text


# -- rebuild -----------------------------------------------------------------------

def rebuild(session, instance, ctx, driver, *, image_ref, name=None,
            metadata=None, description=(), key_name=(), user_data=(),
            hostname=None, access_ip_v4=None, access_ip_v6=None,
            trusted_certs=()):
    service.check_state(instance, "rebuild",
                        (states.ACTIVE, states.STOPPED, states.ERROR))
    image = image_service.find(session, image_ref,
                               project_id=ctx.project_id,
                               is_admin=ctx.is_admin)
    if image is None:
        raise exception.Invalid("Cannot find image for rebuild")
    flavor = json.loads(instance.flavor)
    if flavor["memory_mb"] < image.min_ram:
        raise exception.Invalid("Flavor's memory is too small for requested "
                                "image.")
    if flavor["root_gb"] and flavor["root_gb"] < image.min_disk:
        raise exception.Invalid("Flavor's disk is too small for requested "
                                "image.")
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
        instance.access_ip_v4 = access_ip_v4
    if access_ip_v6 is not None:
        instance.access_ip_v6 = access_ip_v6
    if trusted_certs != ():
        instance.trusted_certs = (json.dumps(trusted_certs)
                                  if trusted_certs is not None else None)
    instance.image_ref = image.id
    # A stopped server is stopped again after its rebuild, as upstream.
    stopped = instance.vm_state == states.STOPPED
    driver.run(instance, "rebuilding",
               states.STOPPED if stopped else states.ACTIVE,
               SHUTDOWN if stopped else RUNNING)
    record(session, instance, "rebuild", ctx,
           [("compute_rebuild_instance", "Success", None)])


# -- resize --------------------------------------------------------------------------

def flavor_snapshot(session, flavor):
    specs = flavor_service.extra_specs(session, [flavor.id])[flavor.id]
    return {"flavorid": flavor.flavorid, "name": flavor.name,
            "memory_mb": flavor.memory_mb, "vcpus": flavor.vcpus,
            "root_gb": flavor.root_gb, "ephemeral_gb": flavor.ephemeral_gb,
            "swap": flavor.swap, "extra_specs": specs}


def _needs(snapshot):
    return (snapshot["vcpus"], snapshot["memory_mb"],
            snapshot["root_gb"] + snapshot["ephemeral_gb"])


def _flavor_id(session, flavorid):
    return session.execute(sa.select(Flavor.id).where(
        Flavor.flavorid == flavorid)).scalar()


def _apply_flavor(instance, snapshot):
    instance.flavor = json.dumps(snapshot)
    instance.flavorid = snapshot["flavorid"]
    instance.vcpus = snapshot["vcpus"]
    instance.memory_mb = snapshot["memory_mb"]
    instance.root_gb = snapshot["root_gb"]
    instance.ephemeral_gb = snapshot["ephemeral_gb"]


def resize(session, instance, ctx, driver, conf, flavor_ref):
    """Resize, as upstream: the scheduler picks a host for the new flavor
    among the enabled hosts with room, in the server's pinned availability
    zone, as its server group's policy allows, and not the server's own
    host unless ``[DEFAULT] allow_resize_to_same_host``.

    While it waits for confirmation (VERIFY_RESIZE) the server is on the
    new host with the new flavor, and the source host still holds the old
    flavor (for a revert); confirming frees the source, reverting frees
    the destination and moves the server back. When no host fits, the
    request is still accepted (202, upstream casts to its conductor): the
    server stays as it was, the action and a fault say why."""
    service.check_state(instance, "resize", (states.ACTIVE, states.STOPPED))
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
    new = flavor_snapshot(session, flavor)
    grow = [max(0, n - o) for n, o in zip(_needs(new), _needs(old))]
    # A bigger flavor needs the quota's room for the extra cores and RAM,
    # checked under the project's quota lock before anything is claimed.
    quotas.check_delta(session, conf, instance.project_id, instance.user_id,
                       cores=grow[0], ram=grow[1])
    ignore = () if conf.allow_resize_to_same_host else (instance.host,)
    _move(session, instance, ctx, driver, conf, old, new, flavor.id,
          "resize", ignore=ignore)


def migrate(session, instance, ctx, driver, conf, host=None):
    """Cold migration, as upstream: a resize to the same flavor on another
    host (never the server's own: the built-in driver cannot move a server
    onto the host it is on), the scheduler's choice or ``host`` (2.56),
    which must exist and not be the server's own host (400 otherwise). It
    waits for confirmation like a resize (``confirmResize``,
    ``revertResize``, the automatic confirmation window); its migration
    record has the type "migration"."""
    service.check_state(instance, "migrate", (states.ACTIVE, states.STOPPED))
    if host is not None:
        if host == instance.host:
            raise exception.Invalid(
                "Cannot migrate to the host where the server exists.")
        if compute_hosts.get_by_name(session, host) is None:
            raise exception.Invalid(f"Compute host {host} could not be "
                                    f"found.")
    old = json.loads(instance.flavor)
    _move(session, instance, ctx, driver, conf, old, old,
          _flavor_id(session, old["flavorid"]), "migrate",
          ignore=(instance.host,), host=host)


def _move(session, instance, ctx, driver, conf, old, new, new_flavor_id,
          action, ignore, host=None):
    """What a resize and a cold migration share: the migration record, the
    scheduling, the held resources and the wait for confirmation."""
    now = utcnow()
    source = instance.host
    migration = Migration(
        uuid=str(uuid.uuid4()), instance_uuid=instance.uuid,
        source_compute=source, dest_compute=None,
        old_instance_type_id=_flavor_id(session, old["flavorid"]),
        new_instance_type_id=new_flavor_id, status="pre-migrating",
        migration_type="resize" if action == "resize" else "migration",
        user_id=ctx.user_id, project_id=ctx.project_id, created_at=now,
        updated_at=now)
    session.add(migration)
    source_zone = instance.availability_zone
    dest = _schedule_resize(session, instance, driver, new, ignore, host)
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
    _apply_flavor(instance, new)
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


def _schedule_resize(session, instance, driver, new, ignore, host=None):
    """Claim the new flavor on a host for ``instance`` (which place() moves
    there); the host's name, or None when none fits."""
    group = server_groups.group_of_member(session, instance.uuid)
    placement = None
    if group is not None:
        # The group's lock, as a create into it takes: two members placed
        # at once see each other's host.
        quotas.lock(session, "group", group.uuid)
        placement = server_groups.Placement.of(session, group,
                                               moving=instance)
    return driver.place(session, instance,
                        zone=instance.pinned_availability_zone, host=host,
                        group=placement, ignore_hosts=ignore,
                        needs=_needs(new))


def _old_flavor(instance):
    return json.loads(instance.old_flavor) if instance.old_flavor else None


def _confirm_resources(session, instance, driver):
    """Free what the source host holds for a revert."""
    old = _old_flavor(instance)
    if old is not None:
        if "host" in old:
            driver.claim(session, instance, *[-n for n in _needs(old)],
                         host=old["host"])
        else:
            # A same-host resize of before sources were kept: the host
            # held the larger of the two flavors.
            new = json.loads(instance.flavor)
            driver.claim(session, instance, *[
                -max(0, o - n) for n, o in zip(_needs(new), _needs(old))])
    instance.old_flavor = None


def release_resize(session, instance, driver):
    """Before a server awaiting resize confirmation is deleted: upstream
    confirms the resize first, so the source gives back the old flavor
    (``release`` frees the server's own host)."""
    if instance.old_flavor:
        _confirm_resources(session, instance, driver)
        _set_migration(session, instance.uuid, "confirmed", utcnow())


def _set_migration(session, instance_uuid, status, when):
    session.execute(
        sa.update(Migration).where(
            Migration.instance_uuid == instance_uuid,
            Migration.status == "finished")
        .values(status=status, updated_at=when)
        .execution_options(synchronize_session=False))


def confirm_resize(session, instance, ctx, driver):
    service.check_state(instance, "confirmResize", (states.RESIZED,))
    old = _old_flavor(instance) or {}
    _confirm_resources(session, instance, driver)
    now = utcnow()
    _set_migration(session, instance.uuid, "confirmed", now)
    instance.vm_state = old.get("vm_state", states.ACTIVE)
    instance.power_state = old.get("power_state", RUNNING)
    instance.updated_at = now
    _clear_then(instance)
    record(session, instance, "confirmResize", ctx,
           [("compute_confirm_resize", "Success", None)], finish=now)


def revert_resize(session, instance, ctx, driver):
    """Back to the source host (which kept the old flavor's room) with the
    old flavor; the destination gives back the new one."""
    service.check_state(instance, "revertResize", (states.RESIZED,))
    old = _old_flavor(instance)
    if old is None:
        raise exception.Invalid("Instance has not been resized.")
    new = json.loads(instance.flavor)
    vm_state = old.pop("vm_state", states.ACTIVE)
    power = old.pop("power_state", RUNNING)
    if "host" in old:
        source = old.pop("host")
        zone = old.pop("availability_zone", None)
        driver.claim(session, instance, *[-n for n in _needs(new)],
                     servers=-1)
        driver.claim(session, instance, 0, 0, 0, host=source, servers=1)
        instance.host = source
        if zone is not None:
            instance.availability_zone = zone
    else:  # a same-host resize of before sources were kept
        driver.claim(session, instance, *[
            -max(0, n - o) for n, o in zip(_needs(new), _needs(old))])
    _apply_flavor(instance, old)
    instance.old_flavor = None
    _clear_then(instance)
    _set_migration(session, instance.uuid, "reverted", utcnow())
    driver.run(instance, "resize_reverting", vm_state, power)
    record(session, instance, "revertResize", ctx, [
        ("compute_revert_resize", "Success", None),
        ("compute_finish_revert_resize", "Success", None)])


# -- images ------------------------------------------------------------------------

def create_image(session, instance, ctx, driver, name, metadata):
    service.check_state(instance, "createImage", (
        states.ACTIVE, states.STOPPED, states.PAUSED, states.SUSPENDED))
    base = image_service.find(session, instance.image_ref)
    props = dict(image_service.properties(base)) if base else {}
    props.update(metadata or {})
    props.update({"image_type": "snapshot", "instance_uuid": instance.uuid,
                  "base_image_ref": instance.image_ref,
                  "owner_user_name": ctx.user_name or "",
                  "user_id": ctx.user_id})
    flavor = json.loads(instance.flavor)
    image = image_service.create(
        session, name=name, visibility="private", owner=instance.project_id,
        min_disk=max(flavor["root_gb"], base.min_disk if base else 0),
        min_ram=base.min_ram if base else 0,
        size=base.size if base else 0,
        disk_format=base.disk_format if base else "qcow2",
        properties=props)
    prior = instance.vm_state
    power = instance.power_state
    driver.run(instance, "image_snapshot", prior, power)
    record(session, instance, "createImage", ctx,
           [("compute_snapshot_instance", "Success", None)])
    return image


# -- shelve ------------------------------------------------------------------------

def shelve(session, instance, ctx, driver, conf):
    service.check_state(instance, "shelve", (
        states.ACTIVE, states.STOPPED, states.PAUSED, states.SUSPENDED))
    offload = conf.shelved_offload_time
    if offload == 0:
        # Offloaded at once: the host is given back now.
        _offload(session, instance, driver)
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


def shelve_offload(session, instance, ctx, driver):
    service.check_state(instance, "shelveOffload", (states.SHELVED,))
    _offload(session, instance, driver)
    _clear_then(instance)
    driver.run(instance, "shelving_offloading", states.SHELVED_OFFLOADED,
               SHUTDOWN)
    record(session, instance, "shelveOffload", ctx,
           [("compute_shelve_offload_instance", "Success", None)],
           host="")


def unshelve(session, instance, ctx, driver, conf, *, zone=(), host=None):
    """``zone``: () none given, None unpin (2.91), or a zone name."""
    service.check_state(instance, "unshelve", (states.SHELVED,
                                               states.SHELVED_OFFLOADED))
    if (zone != () or host) and instance.vm_state != \
            states.SHELVED_OFFLOADED:
        raise exception.Conflict(
            f"The availability_zone or host parameter can only be given "
            f"when unshelving server {instance.uuid} from the "
            f"SHELVED_OFFLOADED state, not "
            f"{states.status(instance.vm_state, None)}.")
    known = {h[1] for h in driver.hosts}
    if zone not in ((), None) and zone not in known:
        raise exception.Invalid(
            "The requested availability zone is not available")
    if host and host not in {h[0] for h in driver.hosts}:
        raise exception.Invalid(f"Compute host {host} could not be found.")
    _clear_then(instance)
    if instance.vm_state == states.SHELVED:
        driver.run(instance, "unshelving", states.ACTIVE, RUNNING)
        record(session, instance, "unshelve", ctx,
               [("compute_unshelve_instance", "Success", None)])
        return
    if zone is None:
        instance.pinned_availability_zone = None
        want = None
    elif zone != ():
        instance.pinned_availability_zone = zone
        want = zone
    else:
        want = instance.pinned_availability_zone
    # An offloaded server takes its cores and RAM again (it still counted
    # as an instance): within the quota, before it is placed.
    quotas.check_delta(session, conf, instance.project_id, instance.user_id,
                       cores=instance.vcpus, ram=instance.memory_mb)
    placed = driver.place(session, instance, zone=want, host=host)
    if placed is None:
        record(session, instance, "unshelve", ctx,
               [("conductor_unshelve_instance", "Error", NO_HOST)],
               finish=utcnow(), message="Error", host="")
        return
    driver.run(instance, "spawning", states.ACTIVE, RUNNING)
    record(session, instance, "unshelve", ctx, [
        ("conductor_unshelve_instance", "Success", None),
        ("compute_unshelve_instance", "Success", None)])


# -- deferred delete -----------------------------------------------------------------

def soft_delete(session, instance, ctx, driver, conf):
    """Delete with ``reclaim_instance_interval`` > 0: the server keeps its
    resources, SOFT_DELETED, until it is restored or reclaimed."""
    now = utcnow()
    release_resize(session, instance, driver)
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


def restore(session, instance, ctx, driver, conf):
    service.check_state(instance, "restore", (states.SOFT_DELETED,))
    # A restored server counts again (it never stopped holding its host
    # here): within the quota.
    quotas.check_delta(session, conf, instance.project_id, instance.user_id,
                       instances=1, cores=instance.vcpus,
                       ram=instance.memory_mb)
    _clear_then(instance)
    driver.run(instance, "restoring", states.ACTIVE, RUNNING)
    record(session, instance, "restore", ctx,
           [("compute_restore_instance", "Success", None)])


# -- migrations ----------------------------------------------------------------------

def migration_status(migration, now):
    if migration.status == "finished":
        if migration.finish_at and now < migration.finish_at:
            return "migrating"
        if migration.confirm_at and migration.confirm_at <= now:
            return "confirmed"
    return migration.status


def list_migrations(session, *, filters, limit=None, marker=None,
                    changes_since=None, changes_before=None):
    query = sa.select(Migration)
    for column, value in filters.items():
        if column == "host":
            query = query.where(sa.or_(Migration.source_compute == value,
                                       Migration.dest_compute == value))
        elif column == "status":
            query = query.where(Migration.status == value)
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


