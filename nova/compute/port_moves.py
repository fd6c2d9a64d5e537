"""A server's Neutron ports follow it when it changes host.

Where a move changes ``instances.host`` (a resize or cold migration and
their revert, a live migration and its abort, a shelve-offload, an
unshelve of an offloaded server), the domain tells its network
(``PortNetwork.moved``); once that transaction committed (never a call
to Neutron inside one: ``nova.db.after_commit``) the ports are bound to
the new host with ``[neutron]``'s own credentials, as upstream's
``migrate_instance_finish`` / ``setup_instance_network_on_host`` do:

* a live migration (and its abort), when Neutron has the
  ``binding-extended`` extension: a binding on the destination is made
  (inactive), activated, and the source's deleted (upstream's
  ``bind_ports_to_host``, ``migrate_instance_start``,
  ``cleanup_instance_network_on_host``); without it, as every other
  move: ``binding:host_id`` (and ``device_owner``, the zone may have
  changed) updated on each port not bound to the new host;
* a shelve-offload: ``binding:host_id`` cleared, the port stays the
  server's (upstream's ``unbind_ports(detach=False)``).

When Neutron fails, the error is logged and the server ends as
upstream's compute manager leaves it (``failed``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import sqlalchemy as sa

from nova import exception
from nova.compute import driver as driver_mod
from nova.compute import live_migration, migrations, states, transitions
from nova.compute.port_cache import Move
from nova.db.models import Instance, InstanceFault, utcnow

if TYPE_CHECKING:
    from oslo_config import cfg
    from sqlalchemy.orm import Session

    from nova.clients.neutron import Neutron
    from nova.compute.driver import BuiltinDriver
    from nova.db.api import Database

LOG = logging.getLogger(__name__)

BINDING_EXTENDED = "binding-extended"
_FAILED_VIF_TYPES = ("unbound", "binding_failed")

# The kinds of move, as the domain names them.
RESIZE, MIGRATE, REVERT = "resize", "migrate", "revert"
LIVE, LIVE_ABORT = "live", "live-abort"
OFFLOAD, UNSHELVE = "offload", "unshelve"


class BindingFailed(exception.Invalid):
    """The ports could not be bound on the new host."""


def rebind(service: Neutron, move: Move, default_zone: str) -> None:
    """Bind the server's ports where it now is (Neutron only)."""
    ports = service.list("ports", device_id=move.instance_uuid)
    if not ports:
        return
    if move.dest is None:
        for port in ports:
            if port.get("binding:host_id"):
                service.update("ports", port["id"], {"binding:host_id": None})
        return
    if move.kind in (LIVE, LIVE_ABORT) and move.source \
            and service.has_extension(BINDING_EXTENDED):
        _swap_bindings(service, ports, move.source, move.dest)
        return
    owner = f"compute:{move.zone or default_zone}"
    for port in ports:
        if (port.get("binding:host_id") == move.dest
                and port.get("binding:vif_type") not in _FAILED_VIF_TYPES):
            continue
        bound = service.update("ports", port["id"], {
            "binding:host_id": move.dest, "device_owner": owner})
        if bound.get("binding:vif_type") == "binding_failed":
            raise BindingFailed(
                f"Binding failed for port {port['id']}, please check "
                f"neutron logs for more information.")


def _swap_bindings(service: Neutron, ports: list[dict], source: str,
                   dest: str) -> None:
    """Multiple port bindings: an inactive one on ``dest`` for each port
    (all or none), then each activated, then the ``source`` ones
    deleted."""
    made: list[str] = []
    for port in ports:
        try:
            binding = service.create_binding(
                port["id"], dest,
                vnic_type=port.get("binding:vnic_type", "normal"),
                profile=port.get("binding:profile") or {})
        except exception.Conflict:
            continue  # already bound there (a retry)
        except exception.NovaError as exc:
            LOG.warning("Binding port %s on host %s failed: %s",
                        port["id"], dest, exc.message)
            for port_id in made:
                try:
                    service.delete_binding(port_id, dest)
                except exception.NovaError as undo:
                    LOG.warning("Could not remove binding of port %s on "
                                "host %s: %s", port_id, dest, undo.message)
            raise BindingFailed(
                f"Binding failed for port {port['id']} and host {dest}."
            ) from None
        made.append(port["id"])
        if binding.get("vif_type") == "binding_failed":
            for port_id in made:
                service.delete_binding(port_id, dest)
            raise BindingFailed(
                f"Binding failed for port {port['id']} and host {dest}.")
    for port in ports:
        try:
            service.activate_binding(port["id"], dest)
        except exception.Conflict:
            continue  # active already
    for port in ports:
        try:
            service.delete_binding(port["id"], source)
        except exception.NovaError as exc:
            # As upstream's clean-up of the source: logged, not fatal.
            LOG.warning("Could not delete binding of port %s on host %s: "
                        "%s", port["id"], source, exc.message)


def follow(db: Database, service: Neutron, driver: BuiltinDriver,
           conf: cfg.ConfigOpts, move: Move) -> None:
    """After the move committed: rebind, and on a failure log it and
    leave the server as upstream does (``failed``)."""
    try:
        rebind(service, move, conf.compute.default_availability_zone)
    except exception.NovaError as exc:
        LOG.warning("The ports of server %s did not follow it to host %s "
                    "(%s): %s", move.instance_uuid, move.dest, move.kind,
                    exc.message)
        with db.writer() as session:
            failed(session, driver, move, exc)


def failed(session: Session, driver: BuiltinDriver, move: Move,
           exc: exception.NovaError) -> None:
    """What upstream's compute manager leaves when binding the ports on
    the new host fails:

    * resize, cold migration, revert (``migrate_instance_finish`` in
      ``finish_resize`` / ``finish_revert_resize``): ERROR, with a fault;
    * live migration, the destination's bindings not made (the
      conductor's pre-check: ``bind_ports_to_host`` raises
      PortBindingFailed): the migration in error, the server back on its
      source as it was, a fault; any later step failing
      (``migrate_instance_start``, or the port update without the
      extension): ERROR with a fault;
    * unshelve (``setup_instance_network_on_host`` before the spawn):
      back to SHELVED_OFFLOADED, its host given back, a fault;
    * shelve-offload, a live migration's abort: logged only (upstream's
      unbind and rollback log and go on).
    """
    if move.kind in (OFFLOAD, LIVE_ABORT):
        return
    instance = session.execute(sa.select(Instance).where(
        Instance.uuid == move.instance_uuid).with_for_update()).scalar()
    if instance is None or instance.deleted or instance.host != move.dest:
        return  # deleted or moved again meanwhile: nothing to undo
    now = utcnow()
    session.add(InstanceFault(instance_uuid=instance.uuid, code=500,
                              message=exc.message[:255], details="",
                              created_at=now))
    instance.updated_at = now
    if move.kind == LIVE and isinstance(exc, BindingFailed) \
            and migrations.running_live(session, instance.uuid) is not None:
        live_migration.back_to_source(session, instance, driver, now,
                                      status="error")
        return
    if move.kind == UNSHELVE:
        transitions.offload(session, instance, driver)
        instance.vm_state = states.SHELVED_OFFLOADED
        instance.power_state = driver_mod.SHUTDOWN
    else:
        instance.vm_state = states.ERROR
        if move.kind == LIVE:
            migrations.end_live(session, instance, driver, "error", now)
        else:  # upstream's errors_out_migration
            migrations.set_migration(session, instance.uuid, "error", now)
    instance.task_state = None
    instance.task_deadline = None
    instance.next_vm_state = instance.next_power_state = None
    transitions.clear_then(instance)
