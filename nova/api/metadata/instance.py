"""Which guest is asking, and everything it may read, with a fresh cache.

Each request costs one indexed query that returns the server's identity
and its ``revision``, which every change of the row moves (metadata and
tag changes touch the row too). The rest of the server's data (metadata,
key, addresses, user data...) is built once per stamp and kept; so a
change is visible to the
very next request, unlike upstream's 15-second cache, and reads stay fast.
With ``[cache] enabled``, a second level shared by every process
(``shared_cache``, oslo.cache) is asked before the database, under the
same revision.
"""

import base64
import collections
import dataclasses
import hashlib
import hmac
import ipaddress
import json
import logging
import threading

import sqlalchemy as sa

from nova.api.metadata import faults, shared_cache
from nova.db.tables import (
    fixed_ips,
    instance_metadata,
    instance_ports,
    instances,
)

LOG = logging.getLogger(__name__)

# Core tables, not the ORM classes: this API never imports the ORM.
_I, _IP, _MD = instances.c, fixed_ips.c, instance_metadata.c
_STAMP_COLUMNS = (_I.uuid, _I.project_id, _I.revision)

# The statements are built once, their values bound when they run: building
# a statement per request cost more than running it.
_STAMP_BY_UUID = sa.select(*_STAMP_COLUMNS).where(
    _I.uuid == sa.bindparam("uuid"), _I.deleted == 0)
_PP = instance_ports.c  # Neutron's ports (with [neutron]): fixed ones
_STAMP_BY_ADDRESS = sa.union_all(
    sa.select(*_STAMP_COLUMNS)
    .join(fixed_ips, _IP.instance_uuid == _I.uuid)
    .where(_IP.address == sa.bindparam("address"), _I.deleted == 0),
    sa.select(*_STAMP_COLUMNS)
    .join(instance_ports, _PP.instance_uuid == _I.uuid)
    .where(_PP.address == sa.bindparam("address"),
           _PP.ip_type == "fixed", _I.deleted == 0))
_INSTANCE = sa.select(instances).where(
    _I.uuid == sa.bindparam("uuid"), _I.deleted == 0)
_METADATA = (sa.select(_MD.key, _MD.value)
             .where(_MD.instance_uuid == sa.bindparam("uuid"))
             .order_by(_MD.id))
_ALL_FIXED = sa.union_all(
    sa.select(_IP.address, _IP.mac_address, sa.literal(0).label("kind"),
              _IP.id.label("position"), _IP.id.label("row"))
    .where(_IP.instance_uuid == sa.bindparam("uuid")),
    sa.select(_PP.address, _PP.mac_address, sa.literal(1).label("kind"),
              _PP.position.label("position"), _PP.id.label("row"))
    .where(_PP.instance_uuid == sa.bindparam("uuid"),
           _PP.ip_type == "fixed", _PP.address.is_not(None))).subquery()
_PORTS = (sa.select(_PP.port_id, _PP.network_id, _PP.mac_address,
                    _PP.address, _PP.details)
          .where(_PP.instance_uuid == sa.bindparam("uuid"),
                 _PP.ip_type == "fixed")
          .order_by(_PP.position, _PP.id))
_FIXED_IPS = (sa.select(_ALL_FIXED.c.address, _ALL_FIXED.c.mac_address)
              .order_by(_ALL_FIXED.c.kind, _ALL_FIXED.c.position,
                        _ALL_FIXED.c.row))


@dataclasses.dataclass
class InstanceData:
    """What the metadata trees are built from (read-only)."""

    id: int
    uuid: str
    project_id: str
    user_id: str
    name: str
    hostname: str
    launch_index: int
    availability_zone: str
    reservation_id: str
    image_ref: str
    image_int: int
    flavor_name: str
    ephemeral_gb: int
    swap_mb: int
    key_name: str | None
    key_data: str | None
    key_type: str | None
    user_data: bytes | None
    metadata: dict
    fixed_ips: list  # [(address, mac)]
    security_groups: list
    password: str | None
    stamp: object = None
    rendered: dict = dataclasses.field(default_factory=dict)
    # Neutron's ports (with [neutron]): the cached fixed addresses with
    # what network_data.json needs ({port_id, network_id, mac_address,
    # address, details}), in port order.
    ports: list = dataclasses.field(default_factory=list)


class Cache:
    """uuid -> InstanceData, least recently used out first."""

    def __init__(self, size=20000):
        self.size = size
        self._data = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, uuid, stamp):
        with self._lock:
            data = self._data.get(uuid)
            if data is None or data.stamp != stamp:
                return None
            self._data.move_to_end(uuid)
            return data

    def put(self, data):
        with self._lock:
            self._data[data.uuid] = data
            self._data.move_to_end(data.uuid)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def drop(self, uuid):
        with self._lock:
            self._data.pop(uuid, None)


class Finder:
    """Identifies the instance behind a request (direct or proxy mode)."""

    def __init__(self, conf, db):
        self.db = db
        self.proxy_mode = conf.neutron.service_metadata_proxy
        self._secret = conf.neutron.metadata_proxy_shared_secret.encode()
        self.trusted = [ipaddress.ip_network(n.strip(), strict=False)
                        for n in conf.metadata.trusted_proxies if n.strip()]
        self.cache = Cache()
        self.shared = shared_cache.load(conf)
        self.dhcp_domain = conf.api.dhcp_domain

    # -- who is asking --------------------------------------------------------

    def client_address(self, environ):
        """REMOTE_ADDR, or the forwarded address when the peer is trusted.

        A trusted proxy appends the address it saw to what the client
        sent, so the list is read from the right: the first hop that is
        not one of our proxies is the guest; anything left of it is the
        guest's own claim and is ignored. When both X-Forwarded-For and
        Forwarded are present and name different guests, one of them was
        written by the client: the request is refused.
        """
        peer = environ.get("REMOTE_ADDR", "")
        if not self.trusted or not self._is_trusted(peer):
            return peer
        found = set()
        for hops in (_x_forwarded_for(environ), _forwarded_for(environ)):
            if hops:
                found.add(_canonical(next(
                    (h for h in reversed(hops) if not self._is_trusted(h)),
                    hops[0])))
        if len(found) > 1:
            raise faults.BadRequest(
                "X-Forwarded-For and Forwarded name different clients.")
        return found.pop() if found else peer

    def _is_trusted(self, address):
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self.trusted)

    def find(self, environ):
        """The InstanceData of the asking guest, or a fault response."""
        if self.proxy_mode:
            row = self._by_proxy_headers(environ)
        else:
            row = self._by_address(self.client_address(environ))
        if row is None:
            raise faults.NotFound()
        data = self.cache.get(row.uuid, row.revision)
        if data is None and self.shared is not None:
            data = self.shared.get(row.uuid, row.revision, InstanceData)
            if data is not None:
                self.cache.put(data)
        if data is None:
            data = self._load(row.uuid)
            if data is None:
                raise faults.NotFound()
            self.cache.put(data)
            if self.shared is not None:
                self.shared.put(data)
        return data

    def _by_address(self, address):
        try:
            address = str(ipaddress.ip_address(address))
        except ValueError:
            return None
        return self.db.first(_STAMP_BY_ADDRESS, {"address": address})

    def _by_proxy_headers(self, environ):
        # Upstream's order, so the same request gets the same message.
        instance_id = _single_header(environ, "X-Instance-ID")
        signature = _single_header(environ, "X-Instance-ID-Signature")
        tenant_id = _single_header(environ, "X-Tenant-ID")
        expected = hmac.new(self._secret, instance_id.encode(),
                            hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(),
                                   signature.encode("utf-8", "replace")):
            LOG.warning("X-Instance-ID-Signature does not match for "
                        "instance %s (request from %s)", instance_id[:64],
                        environ.get("REMOTE_ADDR"))
            raise faults.Forbidden("Invalid proxy request signature.")
        row = self.db.first(_STAMP_BY_UUID, {"uuid": instance_id})
        if row is None:
            LOG.info("Metadata request for unknown instance %s",
                     instance_id[:64])
            return None
        if row.project_id != tenant_id:
            LOG.warning("Tenant %s asked for the metadata of instance %s of "
                        "another project", tenant_id[:64], instance_id)
            return None
        return row

    # -- what it may read ----------------------------------------------------

    def _load(self, uuid):
        with self.db.connection() as conn:
            inst = conn.execute(_INSTANCE, {"uuid": uuid}).first()
            if inst is None:
                return None
            meta = dict(conn.execute(_METADATA, {"uuid": uuid}).all())
            ips = [(a, m) for a, m in conn.execute(_FIXED_IPS,
                                                   {"uuid": uuid})]
            ports = [dict(r._mapping) for r in conn.execute(
                _PORTS, {"uuid": uuid})]
        flavor = json.loads(inst.flavor)
        user_data = None
        if inst.user_data:
            try:
                user_data = base64.b64decode(inst.user_data)
            except ValueError:
                user_data = None
        return InstanceData(
            id=inst.id, uuid=inst.uuid, project_id=inst.project_id,
            user_id=inst.user_id, name=inst.display_name,
            hostname=inst.hostname, launch_index=inst.launch_index,
            availability_zone=inst.availability_zone or "",
            reservation_id=inst.reservation_id, image_ref=inst.image_ref,
            image_int=int(hashlib.sha1(inst.image_ref.encode())
                          .hexdigest()[:8], 16),
            flavor_name=flavor.get("name", ""),
            ephemeral_gb=flavor.get("ephemeral_gb", 0),
            swap_mb=flavor.get("swap", 0) or 0,
            key_name=inst.key_name, key_data=inst.key_data,
            key_type=inst.key_type, user_data=user_data, metadata=meta,
            fixed_ips=ips,
            security_groups=json.loads(inst.security_groups or "[]"),
            password=inst.password, stamp=inst.revision, ports=ports)

    def fqdn(self, data):
        if self.dhcp_domain:
            return f"{data.hostname}.{self.dhcp_domain}"
        return data.hostname


def _single_header(environ, name):
    key = "HTTP_" + name.upper().replace("-", "_")
    value = environ.get(key)
    if value is None or value == "":
        raise faults.BadRequest(f"{name} header is missing from request.")
    if "," in value:
        # A server joins repeated headers with commas; none of these
        # values can contain one.
        raise faults.BadRequest(
            f"Multiple {name} headers found within request.")
    return value.strip()


def _canonical(address):
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address


def _x_forwarded_for(environ):
    """The hops of X-Forwarded-For (repeats joined by the server)."""
    value = environ.get("HTTP_X_FORWARDED_FOR", "")
    return [hop.strip() for hop in value.split(",") if hop.strip()]


def _forwarded_for(environ):
    """The ``for=`` hops of RFC 7239 Forwarded, without quotes or ports."""
    hops = []
    for element in environ.get("HTTP_FORWARDED", "").split(","):
        for pair in element.split(";"):
            key, _sep, value = pair.strip().partition("=")
            if key.lower() != "for" or not value:
                continue
            value = value.strip().strip('"')
            if value.startswith("["):
                value = value[1:value.find("]")]
            elif value.count(":") == 1:
                value = value.split(":")[0]
            hops.append(value)
    return hops
