"""Server diagnostics: what the driver reports of a running server (GET
/servers/{id}/diagnostics); independent of HTTP.

``get`` checks what upstream's compute API and manager check (the server
has a host, else 409 "not ready"; its power state is running, else 409)
and asks the driver. The built-in driver runs no guest: its report
(``built_in``) is the server as the driver holds it (the flavor's vCPUs
and RAM, one NIC per fixed IP with its MAC, a disk per root, ephemeral,
swap and config drive, the uptime since launch), with every counter at 0
and the rates it cannot measure left unset (None), as libvirt leaves them.
"""

from __future__ import annotations

import dataclasses
import json
import platform
from typing import TYPE_CHECKING

from nova import exception

if TYPE_CHECKING:
    import datetime
    from collections.abc import Sequence
    from typing import Any, Protocol

    class DiagnosticsDriver(Protocol):
        def instance_diagnostics(
                self, instance: Any, macs: Sequence[str],
                now: datetime.datetime | None = None) -> Diagnostics: ...

# Upstream's names of the power states (nova.compute.power_state).
POWER_STATES = {0: "pending", 1: "running", 3: "paused", 4: "shutdown",
                6: "crashed", 7: "suspended"}
RUNNING = 1
# Upstream's diagnostics name one of its drivers (the 2.48 response
# schema's enum: ironic, libvirt, vmwareapi, xenapi): the built-in driver
# reports "libvirt", as upstream's own fake driver does; its hypervisor
# is named as os-hypervisors names it.
DRIVER = "libvirt"
HYPERVISOR = "builtin"


@dataclasses.dataclass(frozen=True)
class Cpu:
    id: int
    time: int | None = 0  # nanoseconds of CPU time
    utilisation: int | None = None


@dataclasses.dataclass(frozen=True)
class Nic:
    name: str  # the host side's device (the format before 2.48)
    mac_address: str | None
    rx_octets: int | None = 0
    rx_errors: int | None = 0
    rx_drop: int | None = 0
    rx_packets: int | None = 0
    rx_rate: int | None = None
    tx_octets: int | None = 0
    tx_errors: int | None = 0
    tx_drop: int | None = 0
    tx_packets: int | None = 0
    tx_rate: int | None = None


@dataclasses.dataclass(frozen=True)
class Disk:
    name: str  # the guest's device (the format before 2.48)
    read_bytes: int | None = 0
    read_requests: int | None = 0
    write_bytes: int | None = 0
    write_requests: int | None = 0
    errors_count: int | None = 0


@dataclasses.dataclass(frozen=True)
class Diagnostics:
    state: str
    driver: str
    hypervisor: str | None
    hypervisor_os: str | None
    uptime: int | None  # seconds
    config_drive: bool
    memory_mb: int | None  # the guest's RAM
    memory_used_mb: int | None
    cpus: tuple[Cpu, ...]
    nics: tuple[Nic, ...]
    disks: tuple[Disk, ...]


def get(instance: Any, driver: DiagnosticsDriver, macs: Sequence[str],
        now: datetime.datetime | None = None) -> Diagnostics:
    """The driver's diagnostics of ``instance`` (whose NICs have the MAC
    addresses ``macs``); 409 when it has no host (not scheduled, or
    shelved-offloaded), ``NotSupported`` from a driver without any."""
    if not instance.host:
        raise exception.Conflict(f"Instance {instance.uuid} is not ready")
    return driver.instance_diagnostics(instance, macs, now)


def check_running(instance: Any, power_state: int) -> None:
    """Upstream's compute manager: diagnostics of a running server only."""
    if power_state != RUNNING:
        raise exception.Conflict(
            f"Cannot 'get_diagnostics' instance {instance.uuid} while it is "
            f"in power state {POWER_STATES.get(power_state, power_state)}")


def _disk_names(count: int) -> list[str]:
    return [f"vd{chr(ord('a') + i)}" for i in range(count)]


def built_in(instance: Any, macs: Sequence[str],
             now: datetime.datetime) -> Diagnostics:
    """The built-in driver's report of a running server (see the module's
    docstring)."""
    try:
        swap = int(json.loads(instance.flavor or "{}").get("swap") or 0)
    except (ValueError, TypeError, AttributeError):
        swap = 0
    config_drive = bool(instance.config_drive)
    count = 1 + (instance.ephemeral_gb > 0) + (swap > 0) + config_drive
    launched = instance.launched_at
    uptime = None
    if launched is not None:
        uptime = max(0, int((now - launched).total_seconds()))
    return Diagnostics(
        state=POWER_STATES[RUNNING], driver=DRIVER, hypervisor=HYPERVISOR,
        hypervisor_os=platform.system().lower() or None, uptime=uptime,
        config_drive=config_drive, memory_mb=instance.memory_mb,
        memory_used_mb=instance.memory_mb,
        cpus=tuple(Cpu(id=i) for i in range(instance.vcpus)),
        nics=tuple(Nic(name=f"vnet{i}", mac_address=mac)
                   for i, mac in enumerate(macs)),
        disks=tuple(Disk(name=name) for name in _disk_names(count)))
