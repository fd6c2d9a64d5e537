"""The built-in flat network: unique fixed IPs and MAC addresses.

Addresses are handed out in the same transaction that creates the server
and returned when it is deleted. The unique constraints on address and MAC
decide races between API processes: a loser of a race retries with the next
candidate (SQLite never races, its writers queue with BEGIN IMMEDIATE).

The metadata API builds a ``FlatNetwork`` for what it tells guests (range,
gateway, MTU, DNS): this module imports no ORM class at load, only the
allocation does.
"""

from __future__ import annotations

import ipaddress
import random
import uuid
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from nova import exception
from nova.conf import network as network_conf
from nova.db import statements
from nova.db.tables import fixed_ips

if TYPE_CHECKING:
    from collections.abc import Collection

    from oslo_config import cfg
    from sqlalchemy.orm import Session

    from nova.db.models import FixedIP
    from nova.db.statements import Reads, Record


def canonical_address(text: str | None) -> str | None:
    """An IP address in the one form upstream stores and shows: IPv6
    compressed, lower case, an embedded IPv4 tail as hex
    ("0000:...:babe:220.12.22.2" is "::babe:dc0c:1602"), but an
    IPv4-mapped address keeps its dotted tail ("::ffff:1.2.3.4").
    Anything that is not an address comes back unchanged."""
    if not text:
        return text
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return f"::ffff:{address.ipv4_mapped}"
    return str(address)


MAC_PREFIX = "fa:16:3e"
_IP = fixed_ips.c


def port_id(instance_uuid: str, mac: str) -> str:
    """The id of the port that holds a server's address (os-interface's
    ``port_id``, network-vif-deleted's tag): derived, never stored."""
    return str(uuid.uuid5(uuid.NAMESPACE_OID, f"port/{instance_uuid}/{mac}"))


def subnet_id(network_uuid: str) -> str:
    """The id of the flat network's one subnet: derived, never stored."""
    return str(uuid.uuid5(uuid.NAMESPACE_OID, f"subnet/{network_uuid}"))


class FlatNetwork:
    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self.name = conf.network.name
        self.uuid = network_conf.network_uuid(conf)
        self.cidr = ipaddress.ip_network(conf.network.cidr, strict=False)
        self.gateway = ipaddress.ip_address(
            conf.network.gateway) if conf.network.gateway else next(
                self.cidr.hosts())
        self.dns_servers = [canonical_address(server)
                            for server in conf.network.dns_servers]
        self.mtu = conf.network.mtu
        # Usable addresses: the hosts of the range but the gateway.
        first = int(self.cidr.network_address) + 1
        last = int(self.cidr.broadcast_address) - 1
        self._first, self._last = first, last
        self._size = last - first + 1

    def _candidates(self, start):
        gateway = int(self.gateway)
        for offset in range(self._size):
            value = self._first + (start + offset) % self._size
            if value != gateway:
                yield str(ipaddress.ip_address(value))

    def allocate(self, session: Session, instance_uuid: str,
                 requested: str | None = None) -> FixedIP:
        """A FixedIP row for the server, flushed in ``session``."""
        if requested is not None:
            address = ipaddress.ip_address(requested)
            if address not in self.cidr or address == self.gateway or int(
                    address) not in range(self._first, self._last + 1):
                raise exception.Invalid(
                    f"Fixed IP address {requested} is not valid on network "
                    f"{self.uuid}.")
            if self._taken(session, str(address)):
                raise exception.Conflict(
                    f"Fixed IP address {requested} is already in use.")
            return self._insert(session, instance_uuid, str(address))
        # Start after the highest address handed out so far: new servers get
        # fresh addresses and the search is short until the range wraps.
        top = session.execute(sa.select(_IP.address).where(
            _IP.network == self.name).order_by(
                _IP.id.desc()).limit(1)).scalar()
        start = 0 if top is None else (
            int(ipaddress.ip_address(top)) - self._first + 1)
        counted = False
        for candidate in self._candidates(start):
            if self._taken(session, candidate):
                if not counted:
                    # The range may be full: count (a scan of fixed_ips)
                    # only now, not on every allocation, and stop early.
                    counted = True
                    self._check_room(session)
                continue
            try:
                return self._insert(session, instance_uuid, candidate)
            except _Collision:
                continue
        raise exception.Conflict(
            f"No more fixed IP addresses are available on network "
            f"{self.uuid}.")

    def _check_room(self, session):
        used = session.execute(sa.select(sa.func.count(_IP.id)).where(
            _IP.network == self.name)).scalar()
        if used >= self._size - 1:
            raise exception.Conflict(
                f"No more fixed IP addresses are available on network "
                f"{self.uuid}.")

    def _taken(self, session, address):
        return session.execute(sa.select(_IP.id).where(
            _IP.address == address)).first() is not None

    def _insert(self, session, instance_uuid, address):
        from nova.db.models import FixedIP  # the ORM: see the docstring

        for _attempt in range(8):
            mac = "%s:%02x:%02x:%02x" % (MAC_PREFIX, random.randrange(256),
                                         random.randrange(256),
                                         random.randrange(256))
            row = FixedIP(network=self.name, address=address,
                          mac_address=mac, instance_uuid=instance_uuid)
            nested = session.begin_nested()
            session.add(row)
            try:
                nested.commit()
                return row
            except sa_exc.IntegrityError:
                nested.rollback()
                if self._taken(session, address):
                    raise _Collision() from None
        raise exception.Conflict("Could not allocate a unique MAC address.")

    @staticmethod
    def moved(session: Session, instance: object, source: str | None,
              kind: str) -> None:
        """A server changed host: its addresses stay (one flat network)."""

    @staticmethod
    def release(session: Session, instance_uuid: str) -> None:
        session.execute(sa.delete(fixed_ips).where(
            _IP.instance_uuid == instance_uuid))

    @staticmethod
    def release_port(session: Session, instance_uuid: str,
                     port: str) -> bool:
        """Give back the server's address held by the port ``port``;
        whether the server had that port."""
        for row in session.execute(sa.select(_IP.id, _IP.mac_address).where(
                _IP.instance_uuid == instance_uuid)).all():
            if port_id(instance_uuid, row.mac_address) == port:
                session.execute(sa.delete(fixed_ips).where(_IP.id == row.id))
                return True
        return False

    @staticmethod
    def addresses(session: Reads, instance_uuids: Collection[str]
                  ) -> dict[str, list[Record]]:
        """{uuid: [fixed IP row, ...]} for the given servers.

        Read-only rows with the columns of ``fixed_ips`` as attributes.
        """
        found = {u: [] for u in instance_uuids}
        if not instance_uuids:
            return found
        for row in statements.rows(session, _ADDRESSES,
                               {"uuids": list(instance_uuids)}):
            found[row.instance_uuid].append(row)
        return found


# Built once (an expanding IN): runs in an ORM session or a Transaction.
_ADDRESSES = sa.select(fixed_ips).where(
    _IP.instance_uuid.in_(sa.bindparam("uuids", expanding=True))
).order_by(_IP.id)


class _Collision(Exception):
    pass


def check_config(conf: cfg.ConfigOpts) -> str | None:
    """A reason the [network] options cannot work, or None."""
    try:
        cidr = ipaddress.ip_network(conf.network.cidr, strict=False)
    except ValueError as exc:
        return f"[network] cidr = {conf.network.cidr!r}: {exc}"
    if cidr.version != 4 or cidr.num_addresses < 4:
        return (f"[network] cidr = {conf.network.cidr!r}: an IPv4 range of "
                "at least 4 addresses is needed")
    if conf.network.gateway:
        try:
            gateway = ipaddress.ip_address(conf.network.gateway)
        except ValueError as exc:
            return f"[network] gateway = {conf.network.gateway!r}: {exc}"
        if gateway not in cidr:
            return (f"[network] gateway = {conf.network.gateway!r} is not "
                    f"in [network] cidr {conf.network.cidr}")
    for server in conf.network.dns_servers:
        try:
            ipaddress.ip_address(server)
        except ValueError:
            return f"[network] dns_servers: {server!r} is not an IP address"
    return None
