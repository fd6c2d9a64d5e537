"""/servers: create, show, update and delete one server.

Listing is ``server_list``, actions ``server_actions``; what they share
(loading a server for the caller, rendering one) is ``server_common``.
"""

import base64

from nova.api import errors, validation
from nova.api.compute import common
from nova.api.compute.common import ANY_QUERY, SHOW_QUERY
from nova.api.compute.handlers import neutron_common
from nova.api.compute.handlers.server_common import (
    DISK_CONFIG,
    caller,
    compute_of,
    db_of,
    disk_config,
    hard_delete,
    load,
    load_for_change,
    reduce_view,
    remote_image,
    settle,
    show_one,
    sweep,
)
from nova.api.compute.router import Result, Route
from nova.api.compute.schemas import servers as schemas
from nova.api.compute.schemas import types
from nova.api.compute.views import servers as views
from nova.compute import actions as action_service
from nova.compute import driver as driver_mod
from nova.compute import (
    instance_actions,
    neutron_ports,
    server_create,
    server_ports,
    states,
)
from nova.compute import server_list as list_service
from nova.compute import servers as service
from nova.compute.network import canonical_address
from nova.policies import servers as rules

# Microversions whose changes to the servers collection these handlers
# implement (sub-collections and actions declare their own).
HONOURED = {
    "servers": {
        "2.3",   # OS-EXT-SRV-ATTR extras (volumes_attached is always empty)
        "2.5",   # ip6 filter for everyone (the flat network has no IPv6)
        "2.9",   # locked
        "2.16",  # host_status
        "2.19",  # description
        "2.26",  # tags in views and the tag filters
        "2.32",  # networks[].tag
        "2.37",  # networks required: list, auto or none
        "2.38",  # invalid status filter -> 400
        "2.42",  # networks[].tag again
        "2.47",  # embedded flavor
        "2.52",  # tags on create
        "2.57",  # no personality
        "2.63",  # trusted_image_certificates
        "2.66",  # changes-before
        "2.67",  # bdm volume_type (volume BDMs are refused here anyway)
        "2.69",  # down cells: there are no cells, nothing is ever down
        "2.71",  # server_groups
        "2.72",  # ports with a resource request (ports are refused anyway)
        "2.73",  # locked_reason, locked filter and sort key
        "2.74",  # host / hypervisor_hostname on create
        "2.75",  # strict query, full view from PUT
        "2.83",  # more filters for non-admins
        "2.90",  # hostname on create/update, shown to all
        "2.94",  # FQDN hostnames
        "2.96",  # pinned_availability_zone
        "2.98",  # image properties
        "2.100",  # scheduler_hints
        "2.102",  # unknown query parameters refused (from 2.75 already)
        "2.104",  # PUT pinned_availability_zone
    },
    "servers/ips": set(),
}


def show(req, server_id):
    """One server, rendered once per version of it
    (``RenderCache.render_servers``)."""
    store = db_of(req)
    is_admin = req.can("context_is_admin")
    key = list_service.show_key(store, server_id)
    if key is None or (not is_admin
                       and key.project_id != req.context.project_id):
        raise service.not_found(server_id)
    req.authorize({"project_id": key.project_id, "user_id": key.user_id})
    rendered = req.app.render_cache.render_servers(
        req, store, [key], compute_of(req).network, with_groups=True)
    if server_id not in rendered:  # deleted between the two reads
        raise service.not_found(server_id)
    return Result(200, b'{"server": ' + rendered[server_id] + b"}")


def _parse_zone(req, zone):
    """availability_zone may be 'az', 'az:host' or 'az:host:node'."""
    if not zone:
        return None, None
    parts = zone.split(":")
    if len(parts) == 1:
        return zone, None
    req.authorize(rule=rules.S % "create:forced_host")
    host = parts[1] or (parts[2] if len(parts) > 2 else None)
    return parts[0] or None, host or None


def _networks(req, server):
    if "networks" not in server:
        return "auto"
    networks = server["networks"]
    if isinstance(networks, str):
        return networks
    req.authorize(rule=rules.S % "create:attach_network")
    _check_requested(networks)
    return networks


def _check_requested(networks):
    """Upstream's checks of a networks list, before any lookup."""
    ports = []
    for entry in networks:
        port = entry.get("port")
        if port:
            if port in ports:
                raise errors.BadRequest(
                    f"Port ID '{port}' was specified twice: you cannot "
                    f"attach a port multiple times.")
            if entry.get("fixed_ip") is not None:
                raise errors.BadRequest(
                    f"Specified Fixed IP '{entry['fixed_ip']}' cannot be "
                    f"used with port '{port}': the two cannot be specified "
                    f"together.")
            ports.append(port)
        elif "uuid" not in entry:
            raise errors.BadRequest("Bad network format: missing 'uuid'")
        elif not validation.is_uuid_like(entry["uuid"]):
            raise errors.BadRequest(
                f"Bad networks format: network uuid is not in proper "
                f"format ({entry['uuid']})")


_NO_BLOCK_STORAGE = (
    "Block Device Mapping is Invalid: this deployment has no block storage "
    "service; only a local image disk can be booted.")


def _image_ref(server):
    image_ref = server.get("imageRef", "")
    # The legacy form names volumes, snapshots or ephemeral disks only.
    if server.get("block_device_mapping"):
        raise errors.BadRequest(_NO_BLOCK_STORAGE)
    for bdm in server.get("block_device_mapping_v2", []):
        if bdm.get("source_type") == "image" and bdm.get(
                "destination_type", "local") == "local" and str(
                bdm.get("boot_index", "0")) == "0":
            image_ref = image_ref or bdm.get("uuid", "")
        else:
            raise errors.BadRequest(_NO_BLOCK_STORAGE)
    if not image_ref:
        raise errors.BadRequest(
            "Block Device Mapping is Invalid: Boot sequence for the instance "
            "and image/block device mapping combination is not valid.")
    return image_ref


def _injected_files(server):
    """[(path, content bytes)] of the personality (accepted until 2.56;
    the schema checked the base64)."""
    return [(item.get("path", ""),
             base64.b64decode(item.get("contents", "")))
            for item in server.get("personality") or ()]


def create(req):
    body = req.json
    server = body["server"]
    conf = req.app.backends.conf
    # No maximum, as upstream: the quota cuts max_count down, or refuses
    # min_count (403).
    min_count = types.coerce_int(server.get("min_count", 1), "min_count", 1,
                                 None)
    max_count = types.coerce_int(server.get("max_count", min_count),
                                 "max_count", 1, None)
    if min_count > max_count:
        raise errors.BadRequest("min_count must be <= max_count")
    networks = _networks(req, server)
    if max_count > 1 and isinstance(networks, list) and any(
            n.get("fixed_ip") or n.get("port") for n in networks):
        raise errors.BadRequest(
            "Unable to launch multiple instances with a single configured "
            "port ID or fixed IP. Please launch your instance one by one "
            "with different ports or fixed IPs.")
    if max_count > 1 and server.get("hostname"):
        raise errors.BadRequest(
            "Unable to allocate a single hostname to multiple instances")
    zone, host = _parse_zone(req, server.get("availability_zone"))
    if server.get("host") or server.get("hypervisor_hostname"):
        req.authorize(rule=rules.S % "create:requested_destination")
        host = server.get("host") or server.get("hypervisor_hostname")
    if host and host not in [h[0] for h in compute_of(req).driver.hosts]:
        raise errors.BadRequest(f"Compute host {host} could not be found.")
    # As upstream: entries without a name are dropped, each name counts
    # once, and none left means the default group.
    groups = tuple(dict.fromkeys(
        g["name"] for g in server.get("security_groups", [])
        if g.get("name"))) or ("default",)
    image_ref = _image_ref(server)
    # Glance is asked before Neutron (upstream checks the image first) and
    # before the transaction opens, never inside it.
    image = remote_image(req, image_ref)
    plan = None
    if neutron_common.enabled(req):
        # Checked in Neutron before the write transaction (never held
        # across a call to Neutron); the ports are made after it.
        plan = neutron_ports.plan(
            neutron_common.as_caller(req),
            project_id=req.context.project_id, networks=networks,
            explicit_auto=networks == "auto" and "networks" in server,
            security_groups=groups, min_count=min_count,
            max_count=max_count,
            external_ok=req.can(rules.NETWORK_ATTACH_EXTERNAL))
        max_count = plan.max_count
    else:
        for group in groups:
            if group != "default":
                raise errors.BadRequest(
                    f"Unable to find security_group with name or id "
                    f"'{group}'")
    certs = server.get("trusted_image_certificates")
    if certs:
        req.authorize(rule=rules.S % "create:trusted_certs")
    hints = body.get("OS-SCH-HNT:scheduler_hints") or body.get(
        "os:scheduler_hints") or {}
    # Upstream: with enable_instance_password off no adminPass is returned,
    # not even one the caller chose.
    admin_pass = None
    if conf.compute.enable_instance_password:
        admin_pass = server.get("adminPass")
        if admin_pass is None:
            admin_pass = server_create.generate_password()
    creq = server_create.CreateRequest(
        name=server["name"],
        flavor_ref=common.id_from_href(server["flavorRef"]),
        image_ref=image_ref, project_id=req.context.project_id,
        user_id=req.context.user_id, is_admin=req.can("context_is_admin"),
        key_name=server.get("key_name"), user_data=server.get("user_data"),
        metadata=server.get("metadata", {}), availability_zone=zone,
        host=host, networks="none" if plan else networks,
        security_groups=groups,
        config_drive=types.to_bool(server.get("config_drive", False)),
        description=server.get("description"),
        tags=tuple(server.get("tags", ())), hostname=server.get("hostname"),
        min_count=min_count, max_count=max_count, admin_pass=admin_pass,
        access_ip_v4=server.get("accessIPv4"),
        access_ip_v6=server.get("accessIPv6"),
        scheduler_hints=hints, trusted_certs=certs,
        injected_files=_injected_files(server), image=image,
        auto_disk_config=disk_config(server))
    compute = compute_of(req)
    who = caller(req)
    with db_of(req).writer() as session:
        sweep(req, session)
        created, reservation_id = server_create.create(
            session, creq, driver=compute.driver, network=compute.network,
            conf=conf)
        for instance in created:
            ok = instance.host is not None
            instance_actions.record(session, instance, "create", who, [
                ("conductor_schedule_and_build_instances",
                 "Success" if ok else "Error",
                 None if ok else instance_actions.NO_HOST),
                *([("compute__do_build_and_run_instance", "Success", None)]
                  if ok else [])],
                message=None if ok else "Error")
        placed = server_ports.placed(created, conf) if plan else []
    if plan is not None:
        server_ports.build(db_of(req), neutron_common.as_caller(req),
                           neutron_common.as_service(req), plan, placed,
                           conf, neutron_common.for_release(req))
    if types.to_bool(server.get("return_reservation_id", False)):
        return Result(202, {"reservation_id": reservation_id})
    links = common.Links(req)
    first = created[0]
    view = views.create_response(req, first, admin_pass, links)
    return Result(202, {"server": view},
                  headers=[("Location", view["links"][0]["href"])])


def update(req, server_id):
    changes = req.json["server"]
    with db_of(req).writer() as session:
        instance = load(req, session, server_id, for_update=True)
        settle(req, session, instance)
        if "name" in changes:
            instance.display_name = changes["name"]
        if "description" in changes:
            instance.display_description = changes["description"]
        if "hostname" in changes:
            instance.hostname = changes["hostname"]
        if "accessIPv4" in changes:
            instance.access_ip_v4 = canonical_address(changes["accessIPv4"])
        if "accessIPv6" in changes:
            instance.access_ip_v6 = canonical_address(changes["accessIPv6"])
        if DISK_CONFIG in changes:  # as upstream, the image is not asked
            instance.auto_disk_config = disk_config(changes)
        if "pinned_availability_zone" in changes:
            zone = changes["pinned_availability_zone"]
            if zone is not None and zone != instance.availability_zone:
                raise errors.BadRequest(
                    f"Server {instance.uuid} is in availability zone "
                    f"{instance.availability_zone}; it can only be pinned to "
                    f"that zone (or unpinned with null).")
            instance.pinned_availability_zone = zone
        instance.updated_at = driver_mod.utcnow()
        session.flush()
        result = show_one(req, session, instance)
    if not req.is_version("2.75"):
        reduce_view(result.body["server"])
    return result


def delete(req, server_id):
    compute = compute_of(req)
    conf = req.app.backends.conf
    with db_of(req).writer() as session:
        sweep(req, session)
        instance = load_for_change(req, session, server_id)
        # As upstream: only a server with a host is soft-deleted.
        if (conf.reclaim_instance_interval > 0 and instance.host
                and instance.vm_state != states.SOFT_DELETED):
            action_service.soft_delete(session, instance, caller(req),
                                       compute.driver, conf)
        else:
            # After the commit, its Neutron ports made for it go and the
            # others are unbound (``hard_delete``).
            hard_delete(req, session, instance)
    return Result(204)


ROUTES = (
    Route("/servers", "POST", create, rules.S % "create",
          query=ANY_QUERY, body=schemas.CREATE),
    Route("/servers/{server_id}", "GET", show, rules.S % "show",
          query=SHOW_QUERY, check_first=False),
    Route("/servers/{server_id}", "PUT", update, rules.S % "update",
          query=ANY_QUERY, body=schemas.UPDATE, check_first=False),
    Route("/servers/{server_id}", "DELETE", delete, rules.S % "delete",
          query=ANY_QUERY, check_first=False),
)
