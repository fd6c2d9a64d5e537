"""Second transitions: what upstream's periodic tasks do later.

A server's pending change is a deadline (``driver.run``): readers see it
as of now (``driver.effective``). Some changes have a second step
(``instances.then_*``): the automatic resize confirmation
(``resize_confirm_window``), a delayed offload (``shelved_offload_time``),
the reclaim of a soft-deleted server (``reclaim_instance_interval``), the
end of a live migration (its source freed), the ports of a build aborted
at its deadline given back (``vif_plugging_is_fatal``). What goes back
to Neutron (a reclaimed or aborted server's ports) goes once the
transaction committed (``network.release``: never a call to another
service inside it). What
those free is applied by ``settle`` when the server is next changed, and
by ``sweep`` (bounded, at most every half second per process) on the
compute API's writes.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import sqlalchemy as sa

from nova.compute import driver as driver_mod
from nova.compute import migrations, states
from nova.compute import servers as service
from nova.db.models import Instance, utcnow

if TYPE_CHECKING:
    import datetime
    from typing import Any

    from sqlalchemy.orm import Session

    from nova.compute.driver import BuiltinDriver
    from nova.compute.network import FlatNetwork
    from nova.compute.server_rows import Editable

def settle(session: Session, instance: Instance, driver: BuiltinDriver,
           network: FlatNetwork, now: datetime.datetime | None = None
           ) -> bool:
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
    if target == states.ERROR:
        # A build aborted at its deadline (network-vif-plugged never
        # came): as upstream, its ports go back to Neutron (after the
        # commit) and its cache is emptied.
        network.release(session, instance.uuid)
    elif target == states.SHELVED_OFFLOADED:
        offload(session, instance, driver, network)
    elif instance.vm_state == states.RESIZED:
        migrations.confirm_resources(session, instance, driver)
        migrations.set_migration(session, instance.uuid, "confirmed", then)
    else:  # a live migration's end: the source gives its room back
        migrations.end_live(session, instance, driver, "completed", then)
    instance.vm_state = target
    instance.power_state = instance.then_power_state
    instance.updated_at = then
    clear_then(instance)
    return True


def settle_editable(server: Editable,
                    now: datetime.datetime | None = None) -> bool:
    """``settle`` for a ``servers.Editable``: the first transition if due.
    False when the second one is due: what it frees needs the ORM path
    (``settle`` in a session)."""
    now = now or utcnow()
    driver_mod.settle(server, now)
    then = server.then_deadline
    return then is None or then > now or server.task_deadline is not None


def sweep_due() -> bool:
    """Whether this process's next ``sweep`` would run now."""
    return time.monotonic() >= _next_sweep[0]


_SWEEP_EVERY = 0.5  # seconds between two sweeps of one process
_next_sweep = [0.0]


def sweep(session: Session, driver: BuiltinDriver, network: FlatNetwork,
          limit: int = 20) -> int:
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


def clear_then(instance: Instance) -> None:
    instance.then_deadline = None
    instance.then_vm_state = None
    instance.then_power_state = None


def offload(session: Session, instance: Instance, driver: BuiltinDriver,
            network: Any = None) -> None:
    """The server leaves its host (shelved offloaded); with ``network``
    its ports are unbound from it once committed."""
    source = instance.host
    driver.release(session, instance)
    instance.host = None
    if network is not None:
        network.moved(session, instance, source, kind="offload")
