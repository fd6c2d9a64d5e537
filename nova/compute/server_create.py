"""Creating servers: one to many, all placed or none, independent of HTTP.

Everything a create needs (flavor and image checks, quotas, placement on
a host, fixed IP and MAC) happens in the caller's one write transaction,
so a server either exists whole or not at all.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import string
import uuid
from typing import TYPE_CHECKING

import sqlalchemy as sa

from nova import exception
from nova.compute import (
    disk_config,
    host_hints,
    image_api,
    quotas,
    server_groups,
    states,
)
from nova.compute import driver as driver_mod
from nova.compute import flavors as flavor_service
from nova.compute import hosts as host_service
from nova.compute import images as image_service
from nova.compute.image_api import ImageInfo
from nova.compute.network import canonical_address
from nova.db.models import (
    Instance,
    InstanceFault,
    InstanceMetadata,
    InstanceTag,
    KeyPair,
    utcnow,
)

if TYPE_CHECKING:
    from oslo_config import cfg
    from sqlalchemy.orm import Session

    from nova.compute.driver import BuiltinDriver
    from nova.compute.network import FlatNetwork

@dataclasses.dataclass
class CreateRequest:
    name: str
    flavor_ref: str
    image_ref: str
    project_id: str
    user_id: str
    is_admin: bool
    key_name: str | None = None
    user_data: str | None = None
    metadata: dict = dataclasses.field(default_factory=dict)
    availability_zone: str | None = None
    host: str | None = None
    networks: object = "auto"  # "auto", "none", or [{"uuid", "fixed_ip"}]
    security_groups: tuple = ("default",)
    config_drive: bool = False
    description: str | None = None
    tags: tuple = ()
    hostname: str | None = None
    min_count: int = 1
    max_count: int = 1
    admin_pass: str | None = None
    access_ip_v4: str | None = None
    access_ip_v6: str | None = None
    scheduler_hints: dict = dataclasses.field(default_factory=dict)
    trusted_certs: list | None = None
    # Personality (before 2.57): [(path, decoded content)], checked
    # against the injected_file* quotas, not stored.
    injected_files: list = dataclasses.field(default_factory=list)
    # The image, fetched from a remote image service before the
    # transaction (None: ``image_ref`` is looked up in the catalogue).
    image: ImageInfo | None = None
    # OS-DCF:diskConfig: True for AUTO, False for MANUAL, None for the
    # image's ``auto_disk_config`` property.
    auto_disk_config: bool | None = None


def generate_password(length: int = 12) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _sanitize_hostname(name):
    """Upstream's hostname from a display name: lowercase, [a-z0-9-]."""
    out = []
    for char in name.lower():
        if char.isascii() and (char.isalnum() or char == "-"):
            out.append(char)
        elif char in " _.":
            out.append("-")
    hostname = "".join(out).strip("-")[:63].strip("-")
    return hostname or "server"


def _group(session, req):
    """The server group of the ``group`` hint (400 when there is none)."""
    group_id = req.scheduler_hints.get("group")
    if isinstance(group_id, list):  # upstream's schema takes a list too
        group_id = group_id[0] if group_id else None
    if not group_id:
        return None
    try:
        return server_groups.get(
            session, group_id,
            project_id=None if req.is_admin else req.project_id)
    except exception.NotFound as exc:
        raise exception.Invalid(exc.message) from None


def _check_image(session, req, flavor) -> tuple[str, bool]:
    """The id of the image to boot, checked against the flavor, and the
    servers' auto_disk_config."""
    # As upstream, the disk config is checked first, then the flavor.
    if req.image is not None:
        auto = disk_config.for_image(req.image.properties, req.image.id,
                                     req.auto_disk_config)
        image_api.check_bootable(req.image, flavor.memory_mb,
                                 flavor.root_gb)
        image_service.remember(session, req.image)
        return req.image.id, auto
    image = image_service.find(session, req.image_ref,
                               project_id=req.project_id,
                               is_admin=req.is_admin) \
        if req.image_ref else None
    if image is None:
        raise exception.Invalid("Can not find requested image")
    auto = disk_config.for_image(image_service.properties(image), image.id,
                                 req.auto_disk_config)
    if flavor.memory_mb < image.min_ram:
        raise exception.Invalid("Flavor's memory is too small for requested "
                                "image.")
    if flavor.root_gb and flavor.root_gb < image.min_disk:
        raise exception.Invalid("Flavor's disk is too small for requested "
                                "image.")
    return image.id, auto


def create(session: Session, req: CreateRequest, *, driver: BuiltinDriver,
           network: FlatNetwork, conf: cfg.ConfigOpts
           ) -> tuple[list[Instance], str]:
    """Create ``req.min_count`` to ``req.max_count`` servers; return them.

    As many as the project's quota allows between the two (403 below
    ``min_count``), each placed by capacity and by its server group's
    policy, all in the caller's transaction.
    """
    try:
        flavor = flavor_service.get(session, req.flavor_ref,
                                    project_id=req.project_id,
                                    is_admin=req.is_admin)
    except exception.NotFound:
        raise exception.Invalid(
            f"Flavor {req.flavor_ref} could not be found.") from None
    image_id, auto_disk_config = _check_image(session, req, flavor)
    key = None
    if req.key_name is not None:
        key = session.execute(sa.select(KeyPair).where(
            KeyPair.user_id == req.user_id,
            KeyPair.name == req.key_name)).scalar()
        if key is None:
            raise exception.Invalid("Invalid key_name provided.")
    requested_nets = _requested_networks(req, network)
    if req.availability_zone and req.host is None:
        driver.sync_hosts(session)
        host_service.check_zone_available(session, req.availability_zone)
    quotas.check_metadata_items(session, conf, req.project_id, req.user_id,
                                len(req.metadata))
    quotas.check_injected_files(session, conf, req.project_id, req.user_id,
                                req.injected_files)
    group = _group(session, req)
    # The project's quota lock, then the group's: held until commit.
    count = quotas.check_instances(
        session, conf, req.project_id, req.user_id, flavor.vcpus,
        flavor.memory_mb, req.min_count, req.max_count)
    placement = None
    if group is not None:
        quotas.check_group_members(session, conf, req.project_id,
                                   req.user_id, group, count)
        # Deleted between our first look and the lock (delete takes it).
        if not server_groups.exists(session, group.id):
            raise exception.Invalid(server_groups.not_found(group.uuid)
                                    .message)
        placement = server_groups.Placement.of(session, group)
    specs = flavor_service.extra_specs(session, [flavor.id])[flavor.id]
    flavor_json = json.dumps({
        "flavorid": flavor.flavorid, "name": flavor.name,
        "memory_mb": flavor.memory_mb, "vcpus": flavor.vcpus,
        "root_gb": flavor.root_gb, "ephemeral_gb": flavor.ephemeral_gb,
        "swap": flavor.swap, "extra_specs": specs})
    reservation_id = "r-" + secrets.token_hex(4)
    now = utcnow()
    created = []
    for index in range(count):
        name = req.name if count == 1 else f"{req.name}-{index + 1}"
        hostname = req.hostname or _sanitize_hostname(req.name)
        if count > 1:
            hostname = f"{hostname}-{index + 1}"
        instance = Instance(
            uuid=str(uuid.uuid4()), project_id=req.project_id,
            user_id=req.user_id, display_name=name,
            display_description=req.description, hostname=hostname,
            image_ref=image_id, flavor=flavor_json, flavorid=flavor.flavorid,
            vcpus=flavor.vcpus, memory_mb=flavor.memory_mb,
            root_gb=flavor.root_gb, ephemeral_gb=flavor.ephemeral_gb,
            key_name=key.name if key else None,
            key_data=key.public_key if key else None,
            key_type=key.type if key else None,
            user_data=req.user_data, vm_state=states.BUILDING,
            task_state="scheduling", power_state=driver_mod.NOSTATE,
            locked=False, config_drive="True" if req.config_drive else "",
            access_ip_v4=canonical_address(req.access_ip_v4),
            access_ip_v6=canonical_address(req.access_ip_v6),
            auto_disk_config=auto_disk_config, launch_index=index,
            reservation_id=reservation_id,
            security_groups=json.dumps(list(req.security_groups)),
            # Upstream pins a server to the zone it was asked for (2.96).
            pinned_availability_zone=req.availability_zone,
            scheduler_hints=json.dumps(req.scheduler_hints),
            trusted_certs=(json.dumps(req.trusted_certs)
                           if req.trusted_certs is not None else None),
            admin_password=None, created_at=now, updated_at=now, deleted=0)
        session.add(instance)
        created.append(instance)
    # Upstream's scheduler places every server of the request or none
    # (NoValidHost for the request), and the conductor then puts all of
    # them in ERROR with the fault; min_count only bounds what the quota
    # may cut max_count to.
    hints = host_hints.from_hints(session, conf, req.scheduler_hints)
    placed = []
    for instance in created:
        host = driver.place(session, instance, zone=req.availability_zone,
                            host=req.host, group=placement,
                            ignore_hosts=hints.avoid, only_hosts=hints.only)
        if host is None:
            break
        if placement is not None:
            placement.placed(host)
        placed.append(instance)
    session.flush()
    if len(placed) < len(created):
        for instance in placed:
            driver.release(session, instance)
            instance.host = None
        for instance in created:
            _fail_no_host(session, instance, req, conf)
    else:
        for instance in created:
            driver.spawn(instance)
            # Like upstream, a server that found no host gets no port.
            for net in requested_nets:
                network.allocate(session, instance.uuid, net.get("fixed_ip"))
    for instance in created:
        for key_, value in req.metadata.items():
            session.add(InstanceMetadata(instance_uuid=instance.uuid,
                                         key=key_, value=value))
        for tag in dict.fromkeys(req.tags):
            session.add(InstanceTag(instance_uuid=instance.uuid, tag=tag))
        if group is not None:
            server_groups.add_member(session, group, instance.uuid)
    session.flush()
    return created, reservation_id


def _fail_no_host(session, instance, req, conf):
    instance.vm_state = states.ERROR
    instance.task_state = None
    instance.availability_zone = (req.availability_zone or
                                  conf.compute.default_availability_zone)
    session.add(InstanceFault(
        instance_uuid=instance.uuid, code=500,
        message="No valid host was found. There are not enough hosts "
                "available.",
        details=""))


def _requested_networks(req, network):
    if req.networks == "none":
        return []
    if req.networks == "auto":
        return [{"uuid": network.uuid}]
    nets = []
    for entry in req.networks:
        if entry.get("port"):
            raise exception.Invalid(
                f"Port {entry['port']} could not be found.")
        if entry.get("uuid") != network.uuid:
            raise exception.Invalid(
                f"Network {entry.get('uuid')} could not be found.")
        nets.append(entry)
    if len(nets) > 1 and any(n.get("fixed_ip") for n in nets):
        fixed = [n["fixed_ip"] for n in nets if n.get("fixed_ip")]
        if len(set(fixed)) != len(fixed):
            raise exception.Invalid(
                "Fixed IP address requested more than once.")
    return nets
