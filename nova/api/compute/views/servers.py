"""Server views, by microversion (see nova/api/microversion_history.py)."""

import hashlib
import json

from nova.api.compute.common import Links
from nova.compute import driver as driver_mod
from nova.compute import states
from nova.policies import servers as rules


def _time(value):
    # Naive UTC datetimes: the same text as strftime("%Y-%m-%dT%H:%M:%SZ").
    return value.isoformat(timespec="seconds") + "Z" if value else None


def _iso(value):
    return value.isoformat() if value else None


def host_id(instance):
    if not instance.host:
        return ""
    return hashlib.sha224(
        (instance.project_id + instance.host).encode()).hexdigest()


def addresses(network_name, fixed_ips, with_extensions=True):
    """{network name: [address, ...]}: the flat network's addresses, or
    the rows of Neutron's ports (``port_cache``), keyed by each row's
    network, fixed and floating."""
    if not fixed_ips:
        return {}
    found = {}
    for ip in fixed_ips:
        item = {"version": 6 if ":" in ip.address else 4, "addr": ip.address}
        if with_extensions:
            item["OS-EXT-IPS:type"] = getattr(ip, "ip_type", "fixed")
            item["OS-EXT-IPS-MAC:mac_addr"] = ip.mac_address
        found.setdefault(getattr(ip, "network", None) or network_name,
                         []).append(item)
    return found


def basic(req, instance, links):
    return {"id": instance.uuid, "name": instance.display_name,
            "links": links.resource("servers", instance.uuid)}


class DetailContext:
    """What a detailed view needs besides the row, loaded in bulk.

    Everything that is the same for every server of a request (the
    microversion checks, policy answers, "now", parsed flavor snapshots and
    security groups) is worked out once here, not once per server.
    """

    # Microversions at which the detailed view changes.
    _VERSIONS = ("2.3", "2.9", "2.16", "2.19", "2.26", "2.47", "2.63",
                 "2.71", "2.73", "2.90", "2.96", "2.98", "2.100")
    _AT = {}  # request version -> {version: whether at or past it}

    def __init__(self, req, *, metadata, tags, fixed_ips, faults,
                 network_name, hosts_disabled=(), images=None,
                 server_groups=None, host_states=None):
        self.links = Links(req)
        self.metadata = metadata
        self.tags = tags
        self.fixed_ips = fixed_ips
        self.faults = faults
        self.network_name = network_name
        self.hosts_disabled = set(hosts_disabled)
        self.host_states = host_states or {}
        self.images = images or {}
        # {uuid: [group uuids]} where the view shows them (2.71, a single
        # server), else None.
        self.server_groups = server_groups
        at = self._AT.get(req.version)
        if at is None:
            at = {v: req.is_version(v) for v in self._VERSIONS}
            self._AT[req.version] = at
        self.at = at  # shared: never to be changed
        self.show_extended = req.can(rules.EXTENDED_ATTRIBUTES)
        # Policy is asked only where the microversion shows the answer.
        self.show_host_status = at["2.16"] and req.can(
            rules.SHOW_HOST_STATUS)
        self.show_flavor_specs = at["2.47"] and req.can(
            "os_compute_api:os-flavor-extra-specs:index")
        self.now = driver_mod.utcnow()
        self._json = {}
        self._host_ids = {}

    def parsed(self, text):
        """json.loads(text), once per distinct text; treat as read-only."""
        try:
            return self._json[text]
        except KeyError:
            value = self._json[text] = json.loads(text)
            return value

    def host_id(self, instance):
        key = (instance.project_id, instance.host)
        try:
            return self._host_ids[key]
        except KeyError:
            value = self._host_ids[key] = host_id(instance)
            return value


# Upstream shows "progress" only in these statuses, and a fault only in
# FAULT_STATUSES.
_PROGRESS_STATUSES = ("ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE",
                      "MIGRATING")
FAULT_STATUSES = ("ERROR", "DELETED")


def state_fields(instance, ctx):
    """The fields of a server's view that follow its state (and lock):
    all that an action changing only ``STATE_COLUMNS`` changes. ``instance``
    needs those columns, the ``then_*`` ones, ``created_at`` and
    ``launched_at``."""
    vm_state, task_state, power_state, updated = driver_mod.effective(
        instance, ctx.now)
    status = states.status(vm_state, task_state)
    fields = {
        "status": status,
        "updated": _time(updated or instance.created_at),
        "OS-SRV-USG:launched_at": None if vm_state == states.BUILDING
        else _iso(instance.launched_at),
        "OS-EXT-STS:task_state": task_state,
        "OS-EXT-STS:vm_state": vm_state,
        "OS-EXT-STS:power_state": power_state,
    }
    if status in _PROGRESS_STATUSES:
        fields["progress"] = 0
    if ctx.at["2.9"]:
        fields["locked"] = instance.locked
    if ctx.at["2.73"]:
        fields["locked_reason"] = instance.locked_reason
    return fields


def detail(req, instance, ctx):
    fields = state_fields(instance, ctx)
    at = ctx.at
    uuid = instance.uuid
    status = fields["status"]
    fixed_ips = ctx.fixed_ips.get(uuid)
    view = {
        "accessIPv4": instance.access_ip_v4 or "",
        "accessIPv6": instance.access_ip_v6 or "",
        "addresses": addresses(ctx.network_name, fixed_ips),
        "created": _time(instance.created_at),
        "flavor": _flavor(req, instance, ctx),
        "hostId": ctx.host_id(instance),
        "id": uuid,
        "image": _image(req, instance, ctx),
        "links": ctx.links.resource("servers", uuid),
        "metadata": ctx.metadata.get(uuid, {}),
        "name": instance.display_name,
        "status": status,
        "tenant_id": instance.project_id,
        "user_id": instance.user_id,
        "updated": fields["updated"],
        "OS-DCF:diskConfig": disk_config(instance),
        "progress": 0,
        "OS-EXT-AZ:availability_zone": instance.availability_zone or "",
        "config_drive": instance.config_drive or "",
        "key_name": instance.key_name,
        "OS-SRV-USG:launched_at": fields["OS-SRV-USG:launched_at"],
        "OS-SRV-USG:terminated_at": _iso(instance.terminated_at),
    }
    if status not in _PROGRESS_STATUSES:
        del view["progress"]
    groups = ctx.parsed(instance.security_groups) if fixed_ips else ()
    if groups:  # the groups of its ports: none without (upstream's rule)
        view["security_groups"] = [{"name": name} for name in groups]
    if ctx.show_extended:
        view["OS-EXT-SRV-ATTR:host"] = instance.host
        view["OS-EXT-SRV-ATTR:instance_name"] = "instance-%08x" % instance.id
        view["OS-EXT-SRV-ATTR:hypervisor_hostname"] = instance.host
        if at["2.3"]:
            view.update({
                "OS-EXT-SRV-ATTR:hostname": instance.hostname,
                "OS-EXT-SRV-ATTR:kernel_id": "",
                "OS-EXT-SRV-ATTR:launch_index": instance.launch_index,
                "OS-EXT-SRV-ATTR:ramdisk_id": "",
                "OS-EXT-SRV-ATTR:reservation_id": instance.reservation_id,
                "OS-EXT-SRV-ATTR:root_device_name": "/dev/vda",
                "OS-EXT-SRV-ATTR:user_data": instance.user_data,
            })
    elif at["2.90"]:
        view["OS-EXT-SRV-ATTR:hostname"] = instance.hostname
    view["OS-EXT-STS:task_state"] = fields["OS-EXT-STS:task_state"]
    view["OS-EXT-STS:vm_state"] = fields["OS-EXT-STS:vm_state"]
    view["OS-EXT-STS:power_state"] = fields["OS-EXT-STS:power_state"]
    view["os-extended-volumes:volumes_attached"] = []
    if status in FAULT_STATUSES and uuid in ctx.faults:
        fault = ctx.faults[uuid]
        view["fault"] = {"code": fault.code, "created": _time(
            fault.created_at), "message": fault.message}
        # Details (a trace upstream) only when there are some, and those of
        # a 500 only to admins.
        if fault.details and (ctx.show_extended or fault.code != 500):
            view["fault"]["details"] = fault.details
    if at["2.9"]:
        view["locked"] = fields["locked"]
    if at["2.16"] and ctx.show_host_status:
        view["host_status"] = _host_status(instance, ctx)
    if at["2.19"]:
        view["description"] = instance.display_description
    if at["2.26"]:
        view["tags"] = ctx.tags.get(uuid, [])
    if at["2.63"]:
        view["trusted_image_certificates"] = (
            json.loads(instance.trusted_certs) if instance.trusted_certs
            else None)
    if at["2.71"] and ctx.server_groups is not None:
        view["server_groups"] = ctx.server_groups.get(uuid, [])
    if at["2.73"]:
        view["locked_reason"] = fields["locked_reason"]
    if at["2.96"]:
        view["pinned_availability_zone"] = instance.pinned_availability_zone
    if at["2.100"]:
        view["scheduler_hints"] = json.loads(instance.scheduler_hints or "{}")
    return view


def disk_config(instance):
    """The disk config extension's ``OS-DCF:diskConfig``."""
    return "AUTO" if instance.auto_disk_config else "MANUAL"


def _host_status(instance, ctx):
    if not instance.host:
        return ""
    if instance.host in ctx.host_states:
        return ctx.host_states[instance.host]
    return "MAINTENANCE" if instance.host in ctx.hosts_disabled else "UP"


def _flavor(req, instance, ctx):
    flavor = ctx.parsed(instance.flavor)
    if not ctx.at["2.47"]:
        return {"id": flavor["flavorid"],
                "links": ctx.links.bookmark("flavors", flavor["flavorid"])}
    view = {"vcpus": flavor["vcpus"], "ram": flavor["memory_mb"],
            "disk": flavor["root_gb"], "ephemeral": flavor["ephemeral_gb"],
            "swap": flavor["swap"], "original_name": flavor["name"]}
    if ctx.show_flavor_specs:
        view["extra_specs"] = dict(flavor.get("extra_specs", {}))
    return view


def _image(req, instance, ctx):
    if not instance.image_ref:
        return ""
    view = {"id": instance.image_ref,
            "links": ctx.links.bookmark("images", instance.image_ref)}
    if ctx.at["2.98"]:
        view["properties"] = ctx.images.get(instance.image_ref, {})
    return view


def create_response(req, instance, admin_pass, links):
    view = {"id": instance.uuid,
            "links": links.resource("servers", instance.uuid),
            "OS-DCF:diskConfig": disk_config(instance),
            "security_groups": [
                {"name": n} for n in json.loads(instance.security_groups)]}
    if admin_pass is not None:
        view["adminPass"] = admin_pass
    return view
