"""Servers and their Neutron ports: the steps around Neutron's calls.

Each function calls Neutron outside any transaction
(``nova.compute.neutron_ports``) and writes what it learned in a short
write transaction of its own (``nova.compute.port_cache``): a server
whose ports fail to bind goes ERROR with a fault, as upstream's build
failure; one whose bound ports are not ACTIVE waits for
``network-vif-plugged`` (``[DEFAULT] vif_plugging_timeout``), as a
deadline: at the deadline it is ERROR (``vif_plugging_is_fatal``) or
ACTIVE, unless the event came first. A fatal deadline is also a second
transition (``then_vm_state`` ERROR, ``nova.compute.transitions``):
as upstream's aborted build, the server's ports are then given back
(the ones made for it deleted, the others unbound) and its cache
emptied, by the first write that settles it; reads show no addresses
from the deadline on (``port_cache``).
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from typing import TYPE_CHECKING

import sqlalchemy as sa

from nova import exception
from nova.compute import driver as driver_mod
from nova.compute import neutron_ports, port_cache, states
from nova.db.models import Instance, InstanceFault, utcnow

if TYPE_CHECKING:
    from oslo_config import cfg
    from sqlalchemy.orm import Session

    from nova.clients.neutron import Neutron
    from nova.db.api import Database

LOG = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Placed:
    """What binding needs of a server just created (plain values: read
    in its transaction, used after it)."""

    uuid: str
    project_id: str
    host: str | None
    zone: str


def placed(instances, conf: cfg.ConfigOpts) -> list[Placed]:
    return [Placed(i.uuid, i.project_id, i.host, i.availability_zone
                   or conf.compute.default_availability_zone)
            for i in instances]


def build(db: Database, user: Neutron, service: Neutron,
          plan: neutron_ports.Plan, servers: list[Placed],
          conf: cfg.ConfigOpts, deleter: Neutron | None = None) -> None:
    """Create and bind the ports of each server that found a host, then
    record them (or the failure) in the database. A failed build's ports
    are deleted with ``deleter`` (upstream: the caller with its service
    token), else with ``service``."""
    for server in servers:
        if server.host is None:
            continue  # no host, no port (as upstream)
        refused = plan.external_refused()
        if refused is not None:
            # Upstream's allocate refuses it: the build aborts.
            LOG.warning("Build of server %s failed: %s", server.uuid,
                        refused.message)
            with db.writer() as session:
                fail(session, server.uuid,
                     neutron_ports.build_aborted(server.uuid))
            continue
        try:
            ports, created = neutron_ports.allocate(
                user, service, plan, instance_uuid=server.uuid,
                project_id=server.project_id, host=server.host,
                zone=server.zone, deleter=deleter)
        except exception.NovaError as exc:
            LOG.warning("Build of server %s failed: %s", server.uuid,
                        exc.message)
            with db.writer() as session:
                fail(session, server.uuid, exc.message)
            continue
        # networks[].tag (2.32, 2.42): each port's device tag.
        tags: dict[str, str | None] = {} if plan.auto_allocate else {
            port["id"]: request.tag
            for port, request in zip(ports, plan.requests, strict=True)
            if request.tag}
        try:
            ports, networks, floating, details = \
                neutron_ports.network_info(service, server.uuid, ports)
        except exception.NovaError as exc:
            # Bound already: given back as upstream's failed build does.
            neutron_ports.cleanup(service, created,
                                  [p["id"] for p in ports
                                   if p["id"] not in created], deleter)
            LOG.warning("Build of server %s failed: %s", server.uuid,
                        exc.message)
            with db.writer() as session:
                fail(session, server.uuid, exc.message)
            continue
        waiting = False
        with db.writer() as session:
            instance = _locked(session, server.uuid)
            if instance is None or instance.deleted:
                gone = True
            else:
                gone = False
                port_cache.replace(session, server.uuid, ports,
                                   networks=networks, floating=floating,
                                   created=created, details=details,
                                   tags=tags)
                if neutron_ports.needs_wait(ports):
                    waiting = wait_for_plug(session, instance, conf)
        if gone:  # deleted while its ports were made: give them back
            neutron_ports.cleanup(service, created,
                                  [p["id"] for p in ports
                                   if p["id"] not in created], deleter)
        elif waiting:
            _plugged_meanwhile(db, service, server.uuid, conf)


def _plugged_meanwhile(db: Database, service: Neutron, instance_uuid: str,
                       conf: cfg.ConfigOpts) -> None:
    """A network-vif-plugged that came before the cache had the port
    found nothing to mark: Neutron made the port ACTIVE before sending
    it, so one read after the cache was written sees what it missed."""
    try:
        ports = service.list("ports", device_id=instance_uuid)
    except exception.NovaError:
        return  # the events (or the deadline) decide
    active = [p["id"] for p in ports if p.get("status") == "ACTIVE"]
    if not active:
        return
    build_time = datetime.timedelta(seconds=conf.compute.build_time)
    with db.writer() as session:
        instance = _locked(session, instance_uuid)
        if instance is None or instance.deleted:
            return
        for port_id in active:
            plugged(session, instance, port_id, build_time)


def _locked(session: Session, instance_uuid: str) -> Instance | None:
    return session.execute(sa.select(Instance).where(
        Instance.uuid == instance_uuid).with_for_update()).scalar()


def fail(session: Session, instance_uuid: str, message: str) -> None:
    """The build failed: ERROR, with the fault shown in its views."""
    instance = _locked(session, instance_uuid)
    if instance is None or instance.deleted:
        return
    now = utcnow()
    instance.vm_state = states.ERROR
    instance.task_state = None
    instance.power_state = driver_mod.NOSTATE
    instance.task_deadline = None
    instance.next_vm_state = None
    instance.next_power_state = None
    instance.updated_at = now
    session.add(InstanceFault(instance_uuid=instance_uuid, code=500,
                              message=message[:255], details="",
                              created_at=now))


def wait_for_plug(session: Session, instance: Instance,
                  conf: cfg.ConfigOpts) -> bool:
    """Defer the end of the build until network-vif-plugged, at most
    ``vif_plugging_timeout`` seconds; whether it waits."""
    timeout = conf.vif_plugging_timeout
    if timeout <= 0 or instance.task_state != "spawning" \
            or instance.task_deadline is None:
        return False
    deadline = utcnow() + datetime.timedelta(seconds=timeout)
    instance.task_deadline = max(instance.task_deadline, deadline)
    instance.launched_at = instance.task_deadline
    if conf.vif_plugging_is_fatal:
        instance.next_vm_state = states.ERROR
        instance.next_power_state = driver_mod.NOSTATE
        # The aborted build's second step: its ports are given back.
        instance.then_deadline = instance.task_deadline
        instance.then_vm_state = states.ERROR
        instance.then_power_state = driver_mod.NOSTATE
        # Shown once the deadline makes the server ERROR; dropped when
        # the event comes in time.
        session.add(InstanceFault(
            instance_uuid=instance.uuid, code=500,
            message=neutron_ports.build_aborted(instance.uuid), details="",
            created_at=instance.task_deadline))
    instance.updated_at = utcnow()
    return True


def plugged(session: Session, instance: Instance, port_id: str | None,
            build_time: datetime.timedelta) -> bool:
    """network-vif-plugged: the port is ACTIVE; a build waiting for its
    ports ends (ACTIVE after ``build_time``) once all of them are.
    Whether anything changed."""
    if port_id is None or not port_cache.set_port_state(
            session, instance.uuid, port_id, "ACTIVE"):
        return False
    now = utcnow()
    if (instance.task_state == "spawning"
            and instance.task_deadline is not None
            and instance.task_deadline > now
            and port_cache.all_active(session, instance.uuid)):
        deadline = min(instance.task_deadline, now + build_time)
        if instance.next_vm_state == states.ERROR:
            session.execute(sa.delete(InstanceFault).where(
                InstanceFault.instance_uuid == instance.uuid,
                InstanceFault.message == neutron_ports.build_aborted(
                    instance.uuid),
                InstanceFault.created_at == instance.task_deadline))
            if instance.then_vm_state == states.ERROR:
                instance.then_deadline = None
                instance.then_vm_state = None
                instance.then_power_state = None
        instance.next_vm_state = states.ACTIVE
        instance.next_power_state = driver_mod.RUNNING
        instance.task_deadline = deadline
        instance.launched_at = deadline
        instance.updated_at = now
    return True


def refresh(db: Database, service: Neutron, instance_uuid: str,
            tags: dict[str, str | None] | None = None) -> None:
    """Read the server's ports from Neutron into its cache
    (network-changed, after an interface attach: ``tags``, the device
    tag of the port attached)."""
    ports, networks, floating, details = neutron_ports.network_info(
        service, instance_uuid)
    with db.writer() as session:
        instance = _locked(session, instance_uuid)
        if instance is None or instance.deleted:
            return
        port_cache.replace(session, instance_uuid, ports, networks=networks,
                           floating=floating, details=details, tags=tags)
