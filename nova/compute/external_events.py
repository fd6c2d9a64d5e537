"""External events: what other services tell about a server (its ports,
volumes, power, accelerators), and what each does to a server of the
built-in driver and flat network; independent of HTTP.

Upstream's API (os-server-external-events) gives each event a code: 404
when the server is unknown, 400 when an event that needs a ``tag`` has
none, 422 when the server has no host (nothing to deliver to), 200 when
accepted; deleted servers that are still in the database count as known,
as upstream (which reads deleted rows too). Upstream then casts the
accepted events to the servers' compute hosts, where:

- ``network-changed`` refreshes the network info cache from Neutron
  (with ``[neutron]``: the caller reads the ports after this
  transaction, ``nova.compute.server_ports.refresh``); the flat
  network's addresses are the source itself, nothing changes;
- ``network-vif-plugged`` (tag: the port id) with ``[neutron]`` records
  the port ACTIVE and ends a build waiting for its ports
  (``server_ports.plugged``; status "failed" is not a plug);
- ``network-vif-unplugged``, ``accelerator-request-bound``,
  ``volume-reimaged`` (and vif-plugged on the flat network) wake a task
  waiting for them; the built-in driver never waits for them (its
  transitions are deadlines), nothing changes;
- ``network-vif-deleted`` (tag: the port id) detaches the deleted port:
  its addresses leave the server (the flat network's, or the cache's);
- ``volume-extended`` (tag: the volume id) records the instance action
  ``extend_volume`` (event ``compute_extend_volume``); no volume is ever
  attached here, so the compute host finds nothing to extend;
- ``power-update`` (tag ``POWER_ON``/``POWER_OFF``, from 2.76; Ironic
  sends it when a node's power changed outside Nova) records the instance
  action ``start``/``stop`` (event ``compute_power_update``) and, when the
  server is STOPPED/SHUTDOWN (on) or ACTIVE/RUNNING (off) with no task,
  sets its power, vm and task states at once, as the Ironic driver does
  (otherwise the event is a no-op, still recorded); any other tag is
  dropped (no record) but still answered 200, as upstream.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import sqlalchemy as sa

from nova.compute import driver as driver_mod
from nova.compute import (
    instance_actions,
    port_cache,
    server_ports,
    states,
    transitions,
)
from nova.db.models import Instance, utcnow

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.orm import Session

    from nova.compute.driver import BuiltinDriver
    from nova.compute.instance_actions import Caller
    from nova.compute.network import FlatNetwork

NETWORK_CHANGED = "network-changed"
VIF_PLUGGED = "network-vif-plugged"
VIF_UNPLUGGED = "network-vif-unplugged"
VIF_DELETED = "network-vif-deleted"
VOLUME_EXTENDED = "volume-extended"
POWER_UPDATE = "power-update"
ARQ_BOUND = "accelerator-request-bound"
VOLUME_REIMAGED = "volume-reimaged"

# Every event name, and the microversion that introduced it.
SINCE = {
    NETWORK_CHANGED: "2.1", VIF_PLUGGED: "2.1", VIF_UNPLUGGED: "2.1",
    VIF_DELETED: "2.1", VOLUME_EXTENDED: "2.51", POWER_UPDATE: "2.76",
    ARQ_BOUND: "2.82", VOLUME_REIMAGED: "2.93",
}
STATUSES = ("failed", "completed", "in-progress")
TAG_REQUIRED = frozenset({VOLUME_EXTENDED, POWER_UPDATE, ARQ_BOUND})
POWER_ON, POWER_OFF = "POWER_ON", "POWER_OFF"

ACCEPTED, BAD_EVENT, NOT_FOUND, NO_HOST = 200, 400, 404, 422


@dataclasses.dataclass(frozen=True)
class Event:
    server_uuid: str
    name: str
    tag: str | None = None
    status: str = "completed"


def deliver(session: Session, events: Sequence[Event], context: Caller,
            driver: BuiltinDriver, network: FlatNetwork) -> list[int]:
    """Check every event and act on those accepted; one code per event
    (``ACCEPTED``, ``BAD_EVENT``, ``NOT_FOUND``, ``NO_HOST``), in order."""
    servers = _load(session, {e.server_uuid for e in events}, driver,
                    network)
    codes = []
    accepted = []
    for event in events:
        instance = servers.get(event.server_uuid)
        if instance is None:
            codes.append(NOT_FOUND)
        elif event.name in TAG_REQUIRED and event.tag is None:
            codes.append(BAD_EVENT)
        elif not instance.host:
            codes.append(NO_HOST)
        else:
            codes.append(ACCEPTED)
            accepted.append((event, instance))
    # Upstream's API records the actions of every accepted event first,
    # then the compute host handles them in order.
    for event, instance in accepted:
        action = _ACTIONS.get((event.name, event.tag if event.name
                               == POWER_UPDATE else None))
        if action is not None:
            instance_actions.record(
                session, instance, action[0], context,
                [(action[1], "Success", None)], finish=utcnow())
    for event, instance in accepted:
        if event.name == POWER_UPDATE and event.tag in (POWER_ON,
                                                        POWER_OFF):
            power_update(instance, event.tag, driver)
        elif event.name == VIF_DELETED and event.tag:
            vif_deleted(session, instance, event.tag, network)
        elif (event.name == VIF_PLUGGED and event.status != "failed"
              and isinstance(network, port_cache.PortNetwork)
              and not instance.deleted):
            server_ports.plugged(session, instance, event.tag,
                                 driver.build_time)
    return codes


# (event name, power-update's tag) -> (instance action, its event)
_ACTIONS = {
    (VOLUME_EXTENDED, None): ("extend_volume", "compute_extend_volume"),
    (POWER_UPDATE, POWER_ON): ("start", "compute_power_update"),
    (POWER_UPDATE, POWER_OFF): ("stop", "compute_power_update"),
}


def _load(session, uuids, driver, network):
    """{uuid: Instance} of the known servers (deleted ones too), locked in
    a fixed order, their due transitions applied."""
    if not uuids:
        return {}
    found = {}
    for instance in session.execute(
            sa.select(Instance).where(Instance.uuid.in_(sorted(uuids)))
            .order_by(Instance.uuid).with_for_update()).scalars():
        if not instance.deleted:
            transitions.settle(session, instance, driver, network)
        found[instance.uuid] = instance
    return found


def power_update(instance: Instance, target: str,
                 driver: BuiltinDriver) -> bool:
    """The power-update event: whether the server's states changed."""
    if instance.deleted or instance.task_state is not None:
        return False
    if target == POWER_ON:
        wanted = (states.STOPPED, driver_mod.SHUTDOWN)
    else:
        wanted = (states.ACTIVE, driver_mod.RUNNING)
    if (instance.vm_state, instance.power_state) != wanted:
        return False
    driver.power_update_event(instance, target == POWER_ON)
    return True


def vif_deleted(session: Session, instance: Instance, port_id: str,
                network: FlatNetwork) -> bool:
    """The network-vif-deleted event: the port ``port_id`` leaves the
    server; whether it had it."""
    if instance.deleted or not network.release_port(session, instance.uuid,
                                                    port_id):
        return False
    instance.updated_at = utcnow()  # its addresses changed: a new revision
    return True
