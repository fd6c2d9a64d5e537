"""The compute driver interface, and the built-in driver.

A driver places servers on hosts and runs their power transitions. The API
never waits on it longer than a database write: a transition is recorded
as "at ``task_deadline`` the server reaches ``next_vm_state``", and every
reader sees the state as of now (``effective``), so no background worker,
thread or timer is needed, and any number of API processes agree.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import threading
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from nova import exception
from nova.compute import diagnostics
from nova.compute import hosts as compute_hosts
from nova.conf import compute as compute_conf
from nova.db.models import ComputeHost, Instance, utcnow

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence
    from typing import Any, Protocol

    from oslo_config import cfg
    from sqlalchemy.orm import Session
    from sqlalchemy.sql.expression import ColumnElement

    from nova.compute.diagnostics import Diagnostics
    from nova.compute.server_groups import Placement
    from nova.db.statements import Record

    class Server(Protocol):
        """A server's row being changed: the ORM's ``Instance``, or the
        Core path's ``nova.compute.server_rows.Editable``; its columns as
        attributes either way."""

        def __getattr__(self, name: str) -> Any: ...
        def __setattr__(self, name: str, value: Any) -> None: ...

LOG = logging.getLogger(__name__)

# Power states, as upstream numbers them.
NOSTATE, RUNNING, PAUSED, SHUTDOWN, CRASHED, SUSPENDED = 0, 1, 3, 4, 6, 7


@dataclasses.dataclass(frozen=True)
class ConsoleTarget:
    """Where a console proxy connects to reach a server's console."""

    host: str
    port: int
    tls_port: int | None = None
    internal_access_path: str | None = None


class ComputeDriver:
    """What the service layer asks of a hypervisor."""

    def place(self, session: Session, instance: Instance,
              zone: str | None = None, host: str | None = None,
              group: Placement | None = None,
              ignore_hosts: Collection[str] = (),
              needs: tuple[int, int, int] | None = None,
              only_hosts: Collection[str] | None = None) -> str | None:
        """Claim room for ``instance``; the host's name, or None.

        ``group``: a ``nova.compute.server_groups.Placement`` whose
        ``arrange`` filters and orders the candidate hosts by the server
        group's policy. ``ignore_hosts``: hosts never chosen (a resize's
        source). ``needs``: (vcpus, ram_mb, disk_gb) to claim instead of
        the instance's own flavor (a resize claims the new one).
        ``only_hosts``: when given, the host is one of these (the
        same_host hint, nova.compute.host_hints)."""
        raise NotImplementedError

    def release(self, session: Session, instance: Instance) -> None:
        """Give back what ``place`` claimed."""
        raise NotImplementedError

    def spawn(self, instance: Instance) -> None:
        raise NotImplementedError

    def reboot(self, instance: Server, hard: bool) -> None:
        raise NotImplementedError

    def power_off(self, instance: Server) -> None:
        raise NotImplementedError

    def power_on(self, instance: Server) -> None:
        raise NotImplementedError

    # What os-hosts asks of a driver (upstream's libvirt driver does
    # neither: the API answers 501).

    def host_power_action(self, host: str, action: str) -> str:
        """"startup", "shutdown" or "reboot" ``host``; what it did."""
        raise exception.NotSupported()

    def host_maintenance_mode(self, host: str, mode: bool) -> str:
        """Start (``mode``: moving the servers away) or end a maintenance
        window of ``host``: "on_maintenance" or "off_maintenance"."""
        raise exception.NotSupported()

    def instance_diagnostics(self, instance: Instance,
                             macs: Sequence[str],
                             now: datetime.datetime | None = None
                             ) -> Diagnostics:
        """What the hypervisor reports of a running server (its NICs have
        the MAC addresses ``macs``); 409 when it is not running."""
        raise exception.NotSupported()

    def power_update_event(self, instance: Server, on: bool) -> None:
        """The server's power changed outside the API (upstream's Ironic
        power-update event): record its new states."""
        raise exception.NotSupported()

    def remote_console(self, instance: Instance,
                       protocol: str) -> ConsoleTarget:
        """Where the server's console of ``protocol`` ("vnc", "spice",
        "serial", "mks") listens, for the console proxies."""
        raise exception.NotSupported()


class BuiltinDriver(ComputeDriver):
    """A faithful state machine over the hosts of ``[compute] hosts``.

    Its hosts are no machines: it neither powers them nor moves servers
    off them for maintenance (os-hosts answers 501, as upstream does with
    a driver that cannot)."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self.hosts = compute_conf.parse_hosts(conf)
        self.ratios = (conf.compute.cpu_allocation_ratio,
                       conf.compute.ram_allocation_ratio,
                       conf.compute.disk_allocation_ratio)
        self.build_time = datetime.timedelta(seconds=conf.compute.build_time)
        self.action_time = datetime.timedelta(
            seconds=conf.compute.action_time)
        self._synced = False
        self._lock = threading.Lock()

    # -- hosts ---------------------------------------------------------------

    def sync_hosts(self, session: Session) -> None:
        """Make the configured hosts exist in the database (once a process).

        Done in the caller's transaction, and counted as done only once that
        commits: a create that fails later rolls the hosts back too.
        """
        if self._synced or session.info.get("nova_hosts_synced"):
            return
        with self._lock:
            existing = {row.host: row for row in
                        session.execute(sa.select(ComputeHost)).scalars()}
            for name, zone, vcpus, ram, disk in self.hosts:
                row = existing.get(name)
                if row is None:
                    nested = session.begin_nested()
                    session.add(ComputeHost(
                        host=name, availability_zone=zone, vcpus=vcpus,
                        memory_mb=ram, local_gb=disk, vcpus_used=0,
                        memory_mb_used=0, local_gb_used=0, running_vms=0,
                        disabled=False))
                    try:
                        nested.commit()
                    except sa_exc.IntegrityError:
                        nested.rollback()  # another process added it
                elif (row.availability_zone, row.vcpus, row.memory_mb,
                      row.local_gb) != (zone, vcpus, ram, disk):
                    row.availability_zone, row.vcpus = zone, vcpus
                    row.memory_mb, row.local_gb = ram, disk
            session.flush()
            session.info["nova_hosts_synced"] = True
            sa.event.listen(session, "after_commit", self._after_commit)

    def _after_commit(self, session):
        # Releasing a SAVEPOINT fires this too; only the real commit counts.
        if not session.in_nested_transaction():
            self._synced = True

    @staticmethod
    def _needs(instance):
        return (instance.vcpus, instance.memory_mb,
                instance.root_gb + instance.ephemeral_gb)

    def place(self, session: Session, instance: Instance,
              zone: str | None = None, host: str | None = None,
              group: Placement | None = None,
              ignore_hosts: Collection[str] = (),
              needs: tuple[int, int, int] | None = None,
              only_hosts: Collection[str] | None = None) -> str | None:
        self.sync_hosts(session)
        vcpus, ram, disk = needs or self._needs(instance)
        cpu_r, ram_r, disk_r = self.ratios
        # Enabled, up and not deleted hosts, in the zone their aggregates
        # give them (nova.compute.hosts).
        zone_of = compute_hosts.effective_zone()
        query = sa.select(ComputeHost.id, ComputeHost.host, zone_of).where(
            *compute_hosts.schedulable(),
            ComputeHost.host.in_([h[0] for h in self.hosts]))
        if zone:
            query = query.where(zone_of == zone)
        if host:
            query = query.where(ComputeHost.host == host)
        if ignore_hosts:
            query = query.where(ComputeHost.host.not_in(list(ignore_hosts)))
        if only_hosts is not None:
            query = query.where(ComputeHost.host.in_(list(only_hosts)))
        # Spread: the host with the most free RAM first.
        query = query.order_by(
            (ComputeHost.memory_mb * ram_r - ComputeHost.memory_mb_used)
            .desc(), ComputeHost.id)
        candidates = session.execute(query).all()
        if group is not None:
            candidates = group.arrange(candidates)
        for host_id, name, host_zone in candidates:
            claimed = session.execute(
                sa.update(ComputeHost)
                .where(ComputeHost.id == host_id,
                       # Still schedulable: not disabled or deleted since.
                       *compute_hosts.schedulable(),
                       ComputeHost.vcpus_used + vcpus
                       <= ComputeHost.vcpus * cpu_r,
                       ComputeHost.memory_mb_used + ram
                       <= ComputeHost.memory_mb * ram_r,
                       ComputeHost.local_gb_used + disk
                       <= ComputeHost.local_gb * disk_r)
                .values(vcpus_used=ComputeHost.vcpus_used + vcpus,
                        memory_mb_used=ComputeHost.memory_mb_used + ram,
                        local_gb_used=ComputeHost.local_gb_used + disk,
                        running_vms=ComputeHost.running_vms + 1)
                .execution_options(synchronize_session=False)).rowcount
            if claimed:
                instance.host = name
                instance.availability_zone = host_zone
                return name
        return None

    def release(self, session: Session, instance: Instance) -> None:
        if not instance.host:
            return
        vcpus, ram, disk = self._needs(instance)
        session.execute(
            sa.update(ComputeHost).where(ComputeHost.host == instance.host)
            .values(vcpus_used=ComputeHost.vcpus_used - vcpus,
                    memory_mb_used=ComputeHost.memory_mb_used - ram,
                    local_gb_used=ComputeHost.local_gb_used - disk,
                    running_vms=ComputeHost.running_vms - 1)
            .execution_options(synchronize_session=False))

    # -- transitions --------------------------------------------------------

    @staticmethod
    def _transition(instance, task_state, next_vm_state, next_power, delay):
        now = utcnow()
        instance.task_state = task_state
        instance.next_vm_state = next_vm_state
        instance.next_power_state = next_power
        instance.task_deadline = now + delay
        instance.updated_at = now

    def spawn(self, instance: Instance) -> None:
        self._transition(instance, "spawning", "active", RUNNING,
                         self.build_time)
        instance.launched_at = instance.task_deadline

    def reboot(self, instance: Server, hard: bool) -> None:
        self._transition(instance, "rebooting_hard" if hard else "rebooting",
                         "active", RUNNING, self.action_time)

    def power_off(self, instance: Server) -> None:
        self._transition(instance, "powering-off", "stopped", SHUTDOWN,
                         self.action_time)

    def power_on(self, instance: Server) -> None:
        self._transition(instance, "powering-on", "active", RUNNING,
                         self.action_time)

    def power_update_event(self, instance: Server, on: bool) -> None:
        # At once, as upstream's Ironic driver: the power changed already.
        instance.vm_state = "active" if on else "stopped"
        instance.power_state = RUNNING if on else SHUTDOWN
        instance.task_state = None
        instance.updated_at = utcnow()

    # -- the other server actions --------------------------------------------

    def run(self, instance: Server, task_state: str, next_vm_state: str,
            next_power: int, delay: datetime.timedelta | None = None
            ) -> None:
        """Any other transition: ``task_state`` now, ``next_vm_state`` and
        ``next_power`` after ``delay`` (default: ``action_time``)."""
        self._transition(instance, task_state, next_vm_state, next_power,
                         self.action_time if delay is None else delay)

    def claim(self, session: Session, instance: Instance, vcpus: int,
              ram: int, disk: int, host: str | None = None,
              servers: int = 0) -> bool:
        """Claim (or, negative, give back) more room on the server's host
        (or ``host``), ``servers`` more (or fewer) on it; False when it
        does not fit (conditional UPDATE, no lost update)."""
        host = host or instance.host
        if not host:
            return False
        cpu_r, ram_r, disk_r = self.ratios
        conds = [ComputeHost.host == host]
        if vcpus > 0:
            conds.append(ComputeHost.vcpus_used + vcpus
                         <= ComputeHost.vcpus * cpu_r)
        if ram > 0:
            conds.append(ComputeHost.memory_mb_used + ram
                         <= ComputeHost.memory_mb * ram_r)
        if disk > 0:
            conds.append(ComputeHost.local_gb_used + disk
                         <= ComputeHost.local_gb * disk_r)
        return bool(session.execute(
            sa.update(ComputeHost).where(*conds)
            .values(vcpus_used=ComputeHost.vcpus_used + vcpus,
                    memory_mb_used=ComputeHost.memory_mb_used + ram,
                    local_gb_used=ComputeHost.local_gb_used + disk,
                    running_vms=ComputeHost.running_vms + servers)
            .execution_options(synchronize_session=False)).rowcount)

    def instance_diagnostics(self, instance: Instance,
                             macs: Sequence[str],
                             now: datetime.datetime | None = None
                             ) -> Diagnostics:
        now = now or utcnow()
        diagnostics.check_running(instance, effective(instance, now)[2])
        return diagnostics.built_in(instance, macs, now)

    # The port each protocol's console has on a host: the conventional
    # ones (VNC's first display, SPICE's next two, the first of upstream's
    # serial port range, HTTPS for WebMKS). No guest runs, so nothing
    # listens there: a proxy that connects finds no console server.
    CONSOLE_PORTS = {"vnc": (5900, None), "spice": (5901, 5902),
                     "serial": (10000, None), "mks": (443, None)}

    def remote_console(self, instance: Instance,
                       protocol: str) -> ConsoleTarget:
        port, tls_port = self.CONSOLE_PORTS[protocol]
        return ConsoleTarget(host=instance.host, port=port,
                             tls_port=tls_port)

    def console_output(self, instance: Instance) -> str:
        """The guest's serial console log, as far as it got."""
        return "\n".join([
            "[    0.000000] Linux version 6.1.0-builtin (nova-wsgi built-in "
            "driver)",
            "[    0.000000] Command line: root=/dev/vda1 console=ttyS0",
            f"[    0.104512] Memory: {instance.memory_mb * 1024}K available",
            f"[    0.201733] smpboot: Allowing {instance.vcpus} CPUs",
            "[    1.553020] EXT4-fs (vda1): mounted filesystem",
            "[    2.110093] cloud-init[301]: Cloud-init v. 22.4 running "
            "'init-local'",
            f"[    3.402211] cloud-init[412]: ci-info: hostname "
            f"{instance.hostname}",
            "[    4.008871] cloud-init[498]: Cloud-init v. 22.4 finished",
            "",
            f"{instance.hostname} login: ",
        ])


def settle(instance: Server, now: datetime.datetime | None = None) -> None:
    """Apply ``instance``'s pending transitions that are due (before a
    write).

    The second transition (``then_*``: an automatic resize confirmation, a
    delayed offload, a reclaim) also moves resources and is applied by
    ``nova.compute.actions.settle``, which has the session; ``effective``
    already shows it.
    """
    now = now or utcnow()
    if instance.task_deadline is not None and instance.task_deadline <= now:
        instance.vm_state = instance.next_vm_state
        instance.power_state = instance.next_power_state
        instance.task_state = None
        instance.updated_at = instance.task_deadline
        instance.task_deadline = None
        instance.next_vm_state = None
        instance.next_power_state = None


def effective(instance: Instance | Record,
              now: datetime.datetime | None = None
              ) -> tuple[str, str | None, int, datetime.datetime | None]:
    """(vm_state, task_state, power_state, updated_at) as of now."""
    now = now or utcnow()
    then = instance.then_deadline
    if (then is not None and then <= now
            and instance.then_vm_state is not None):
        return (instance.then_vm_state, None, instance.then_power_state,
                then)
    if instance.task_deadline is not None and instance.task_deadline <= now:
        return (instance.next_vm_state, None, instance.next_power_state,
                instance.task_deadline)
    return (instance.vm_state, instance.task_state, instance.power_state,
            instance.updated_at)


def _then_due(now):
    return sa.and_(Instance.then_deadline.is_not(None),
                   Instance.then_deadline <= now,
                   Instance.then_vm_state.is_not(None))


def vm_state_condition(states: Collection[str],
                       now: datetime.datetime) -> ColumnElement[bool]:
    """SQL: the server's vm_state as of ``now`` is one of ``states``."""
    due = sa.and_(Instance.task_deadline.is_not(None),
                  Instance.task_deadline <= now)
    then = _then_due(now)
    return sa.or_(
        sa.and_(then, Instance.then_vm_state.in_(states)),
        sa.and_(sa.not_(then), sa.not_(due), Instance.vm_state.in_(states)),
        sa.and_(sa.not_(then), due, Instance.next_vm_state.in_(states)))


def power_state_condition(power_states: Collection[int],
                          now: datetime.datetime) -> ColumnElement[bool]:
    """SQL: the server's power state as of ``now`` is one of
    ``power_states``."""
    due = sa.and_(Instance.task_deadline.is_not(None),
                  Instance.task_deadline <= now)
    then = _then_due(now)
    return sa.or_(
        sa.and_(then, Instance.then_power_state.in_(power_states)),
        sa.and_(sa.not_(then), sa.not_(due),
                Instance.power_state.in_(power_states)),
        sa.and_(sa.not_(then), due,
                Instance.next_power_state.in_(power_states)))


def task_state_condition(task_states: Collection[str | None],
                         now: datetime.datetime) -> ColumnElement[bool]:
    """SQL: the server's task_state as of now is one of ``task_states``
    (None in the list means "no task")."""
    due = sa.and_(Instance.task_deadline.is_not(None),
                  Instance.task_deadline <= now)
    named = [t for t in task_states if t is not None]
    clauses = [sa.and_(sa.not_(due), sa.not_(_then_due(now)),
                       Instance.task_state.in_(named))]
    if None in task_states:
        clauses += [due, _then_due(now), Instance.task_state.is_(None)]
    return sa.or_(*clauses)


def load(conf: cfg.ConfigOpts) -> BuiltinDriver:
    return BuiltinDriver(conf)
