"""Server views, by microversion (see nova/api/microversion_history.py)."""

import hashlib
import json

from nova.api.compute.common import Links
from nova.compute import driver as driver_mod
from nova.compute import states
from nova.policies import servers as rules


def _time(value):
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _iso(value):
    return value.isoformat() if value else None


def host_id(instance):
    if not instance.host:
        return ""
    return hashlib.sha224(
        (instance.project_id + instance.host).encode()).hexdigest()


def addresses(network_name, fixed_ips, with_extensions=True):
    if not fixed_ips:
        return {}
    items = []
    for ip in fixed_ips:
        item = {"version": 4, "addr": ip.address}
        if with_extensions:
            item["OS-EXT-IPS:type"] = "fixed"
            item["OS-EXT-IPS-MAC:mac_addr"] = ip.mac_address
        items.append(item)
    return {network_name: items}


def basic(req, instance, links):
    return {"id": instance.uuid, "name": instance.display_name,
            "links": links.resource("servers", instance.uuid)}


class DetailContext:
    """What a detailed view needs besides the row, loaded in bulk."""

    def __init__(self, req, *, metadata, tags, fixed_ips, faults,
                 network_name, hosts_disabled=(), images=None):
        self.links = Links(req)
        self.metadata = metadata
        self.tags = tags
        self.fixed_ips = fixed_ips
        self.faults = faults
        self.network_name = network_name
        self.hosts_disabled = set(hosts_disabled)
        self.images = images or {}
        self.show_extended = req.can(rules.EXTENDED_ATTRIBUTES)
        self.show_host_status = req.can(rules.SHOW_HOST_STATUS)
        self.show_flavor_specs = req.can(
            "os_compute_api:os-flavor-extra-specs:index")


def detail(req, instance, ctx):
    vm_state, task_state, power_state, updated = driver_mod.effective(
        instance)
    uuid = instance.uuid
    view = {
        "accessIPv4": instance.access_ip_v4 or "",
        "accessIPv6": instance.access_ip_v6 or "",
        "addresses": addresses(ctx.network_name,
                               ctx.fixed_ips.get(uuid, [])),
        "created": _time(instance.created_at),
        "flavor": _flavor(req, instance, ctx),
        "hostId": host_id(instance),
        "id": uuid,
        "image": _image(req, instance, ctx),
        "links": ctx.links.resource("servers", uuid),
        "metadata": ctx.metadata.get(uuid, {}),
        "name": instance.display_name,
        "status": states.status(vm_state, task_state),
        "tenant_id": instance.project_id,
        "user_id": instance.user_id,
        "updated": _time(updated or instance.created_at),
        "OS-DCF:diskConfig": "MANUAL",
        "progress": 0,
        "OS-EXT-AZ:availability_zone": instance.availability_zone or "",
        "config_drive": instance.config_drive or "",
        "key_name": instance.key_name,
        "OS-SRV-USG:launched_at": None if vm_state == states.BUILDING
        else _iso(instance.launched_at),
        "OS-SRV-USG:terminated_at": _iso(instance.terminated_at),
    }
    if ctx.fixed_ips.get(uuid):
        view["security_groups"] = [
            {"name": name} for name in json.loads(instance.security_groups)]
    if ctx.show_extended:
        view["OS-EXT-SRV-ATTR:host"] = instance.host
        view["OS-EXT-SRV-ATTR:instance_name"] = "instance-%08x" % instance.id
        view["OS-EXT-SRV-ATTR:hypervisor_hostname"] = instance.host
        if req.is_version("2.3"):
            view.update({
                "OS-EXT-SRV-ATTR:hostname": instance.hostname,
                "OS-EXT-SRV-ATTR:kernel_id": "",
                "OS-EXT-SRV-ATTR:launch_index": instance.launch_index,
                "OS-EXT-SRV-ATTR:ramdisk_id": "",
                "OS-EXT-SRV-ATTR:reservation_id": instance.reservation_id,
                "OS-EXT-SRV-ATTR:root_device_name": "/dev/vda",
                "OS-EXT-SRV-ATTR:user_data": instance.user_data,
            })
    elif req.is_version("2.90"):
        view["OS-EXT-SRV-ATTR:hostname"] = instance.hostname
    view["OS-EXT-STS:task_state"] = task_state
    view["OS-EXT-STS:vm_state"] = vm_state
    view["OS-EXT-STS:power_state"] = power_state
    view["os-extended-volumes:volumes_attached"] = []
    if vm_state == states.ERROR and uuid in ctx.faults:
        fault = ctx.faults[uuid]
        view["fault"] = {"code": fault.code, "created": _time(
            fault.created_at), "message": fault.message}
        if ctx.show_extended:
            view["fault"]["details"] = fault.details or ""
    if req.is_version("2.9"):
        view["locked"] = instance.locked
    if req.is_version("2.16") and ctx.show_host_status:
        view["host_status"] = _host_status(instance, ctx)
    if req.is_version("2.19"):
        view["description"] = instance.display_description
    if req.is_version("2.26"):
        view["tags"] = ctx.tags.get(uuid, [])
    if req.is_version("2.63"):
        view["trusted_image_certificates"] = (
            json.loads(instance.trusted_certs) if instance.trusted_certs
            else None)
    if req.is_version("2.71"):
        view["server_groups"] = []
    if req.is_version("2.73"):
        view["locked_reason"] = instance.locked_reason
    if req.is_version("2.96"):
        view["pinned_availability_zone"] = instance.pinned_availability_zone
    if req.is_version("2.100"):
        view["scheduler_hints"] = json.loads(instance.scheduler_hints or "{}")
    return view


def _host_status(instance, ctx):
    if not instance.host:
        return ""
    return "MAINTENANCE" if instance.host in ctx.hosts_disabled else "UP"


def _flavor(req, instance, ctx):
    flavor = json.loads(instance.flavor)
    if not req.is_version("2.47"):
        return {"id": flavor["flavorid"],
                "links": ctx.links.bookmark("flavors", flavor["flavorid"])}
    view = {"vcpus": flavor["vcpus"], "ram": flavor["memory_mb"],
            "disk": flavor["root_gb"], "ephemeral": flavor["ephemeral_gb"],
            "swap": flavor["swap"], "original_name": flavor["name"]}
    if ctx.show_flavor_specs:
        view["extra_specs"] = flavor.get("extra_specs", {})
    return view


def _image(req, instance, ctx):
    if not instance.image_ref:
        return ""
    view = {"id": instance.image_ref,
            "links": ctx.links.bookmark("images", instance.image_ref)}
    if req.is_version("2.98"):
        view["properties"] = ctx.images.get(instance.image_ref, {})
    return view


def create_response(req, instance, admin_pass, links):
    view = {"id": instance.uuid,
            "links": links.resource("servers", instance.uuid),
            "OS-DCF:diskConfig": "MANUAL",
            "security_groups": [
                {"name": n} for n in json.loads(instance.security_groups)]}
    if admin_pass is not None:
        view["adminPass"] = admin_pass
    return view
