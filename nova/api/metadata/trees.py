"""The OpenStack and EC2 metadata trees of one instance, by version.

A tree is nested dicts; a leaf is a ``Leaf`` (body and content type) or a
plain string. Listings are the keys, one a line, sub-trees ending in "/".
"""

import base64
import datetime
import ipaddress
import json
import os
import uuid

OPENSTACK_VERSIONS = ("2012-08-10", "2013-04-04", "2013-10-17", "2015-10-15",
                      "2016-06-30", "2016-10-06", "2017-02-22", "2018-08-27",
                      "2020-10-14", "2025-04-04")
EC2_VERSIONS = ("1.0", "2007-01-19", "2007-03-01", "2007-08-29",
                "2007-10-10", "2007-12-15", "2008-02-01", "2008-09-01",
                "2009-04-04")

JSON = "application/json"
TEXT = "text/plain; charset=UTF-8"
HTML = "text/html; charset=UTF-8"


class Leaf:
    __slots__ = ("body", "content_type")

    def __init__(self, body, content_type=TEXT):
        self.body = body if isinstance(body, bytes) else body.encode()
        self.content_type = content_type


def today():
    """Today's date in UTC, as upstream compares versions with it."""
    return datetime.datetime.now(datetime.timezone.utc).date()


def published_openstack_versions(day=None):
    """Dated versions not after today (upstream hides future ones)."""
    day = (day or today()).isoformat()
    return [v for v in OPENSTACK_VERSIONS if v <= day]


def resolve_openstack_version(name, day=None):
    if name == "latest":
        return published_openstack_versions(day)[-1]
    if name in OPENSTACK_VERSIONS:
        return name
    return None


def resolve_ec2_version(name):
    if name == "latest":
        return EC2_VERSIONS[-1]
    return name if name in EC2_VERSIONS else None


def _ec2_on_or_after(version, date):
    return version != "1.0" and version >= date


# -- OpenStack ----------------------------------------------------------------

def openstack_listing(version, data):
    names = ["meta_data.json"]
    if data.user_data is not None:
        names.append("user_data")
    if version >= "2013-04-04":
        names.append("password")
    if version >= "2013-10-17":
        names.append("vendor_data.json")
    if version >= "2015-10-15":
        names.append("network_data.json")
    if version >= "2016-10-06":
        names.append("vendor_data2.json")
    return names


def meta_data(version, data, fqdn):
    """meta_data.json as a dict, without random_seed (added per request)."""
    doc = {"uuid": data.uuid}
    if data.metadata:  # upstream leaves "meta" out when there is none
        doc["meta"] = data.metadata
    if data.key_name:
        doc["public_keys"] = {data.key_name: data.key_data}
        doc["keys"] = [{"name": data.key_name,
                        "type": data.key_type or "ssh",
                        "data": data.key_data}]
    doc["hostname"] = fqdn
    doc["name"] = data.name
    doc["launch_index"] = data.launch_index
    doc["availability_zone"] = data.availability_zone
    if version >= "2015-10-15":
        doc["project_id"] = data.project_id
    if version >= "2016-06-30":
        doc["devices"] = []
    if version >= "2020-10-14":
        doc["dedicated_cpus"] = []
    return doc


_AFTER_SEED = ("project_id", "devices", "dedicated_cpus")


def render_meta_data(version, data, fqdn):
    """The meta_data.json body: the cached rest plus a fresh random_seed."""
    key = ("meta_data", version)
    cached = data.rendered.get(key)
    if cached is None:
        doc = meta_data(version, data, fqdn)
        if version < "2013-04-04":
            cached = (json.dumps(doc), None)
        else:
            # Upstream's key order: random_seed after availability_zone.
            before = {k: v for k, v in doc.items() if k not in _AFTER_SEED}
            after = {k: v for k, v in doc.items() if k in _AFTER_SEED}
            first = json.dumps(before)[:-1] + ', "random_seed": "'
            rest = '"' + (", " + json.dumps(after)[1:] if after else "}")
            cached = (first, rest)
        data.rendered[key] = cached
    first, rest = cached
    if rest is None:
        return first.encode()
    seed = base64.b64encode(os.urandom(512)).decode()
    return (first + seed + rest).encode()


def network_data(data, network):
    if data.ports:
        return _neutron_network_data(data.ports)
    links, networks = [], []
    for index, (address, mac) in enumerate(data.fixed_ips):
        # The port's id as os-interface shows it (and network-vif-deleted
        # names it): nova.compute.network.port_id.
        port = str(uuid.uuid5(uuid.NAMESPACE_OID, f"port/{data.uuid}/{mac}"))
        link_id = "tap" + port[:11]
        links.append({"id": link_id, "vif_id": port, "type": "ovs",
                      "mtu": network.mtu, "ethernet_mac_address": mac})
        net = {"id": f"network{index}", "type": "ipv4", "link": link_id,
               "ip_address": address,
               "netmask": str(network.cidr.netmask),
               "routes": [{"network": "0.0.0.0", "netmask": "0.0.0.0",
                           "gateway": str(network.gateway)}],
               "network_id": network.uuid,
               "services": [{"type": "dns", "address": dns}
                            for dns in network.dns_servers]}
        networks.append(net)
    services = [{"type": "dns", "address": dns} for dns in
                network.dns_servers] if data.fixed_ips else []
    return {"links": links, "networks": networks, "services": services}


# VIF types upstream names in a link's "type" (others are "phy").
_EXPOSED_VIF_TYPES = ("bridge", "dvs", "hw_veb", "hyperv", "ovs", "tap",
                      "vhostuser", "vif")


def _neutron_network_data(rows):
    """Upstream's network_data.json of Neutron's ports (its netutils'
    rules): a link per port with a subnet (``tap`` + the port id, 14
    characters), a network per port and IP version (its first subnet of
    that version; ``ipvN_dhcp`` with no address when the subnet has
    DHCP), the subnets' DNS servers as services. ``rows``: the cached
    fixed addresses, in port order, with their ``details``."""
    ports = {}
    for row in rows:
        ports.setdefault(row["port_id"], []).append(row)
    links, networks, services = [], [], []
    for port_id, addresses in ports.items():
        subnets = []
        for row in addresses:
            details = json.loads(row["details"] or "{}")
            subnet = details.get("subnet")
            if subnet and row["address"]:
                subnets.append((subnet, row["address"], details))
        if not subnets:
            continue
        details = subnets[0][2]
        vif_type = details.get("vif_type")
        link = {"id": ("tap" + port_id)[:14], "vif_id": port_id,
                "type": vif_type if vif_type in _EXPOSED_VIF_TYPES
                else "phy",
                "mtu": None if any(s.get("dhcp_server") for s, _a, _d
                                   in subnets) else details.get("mtu"),
                "ethernet_mac_address": addresses[0]["mac_address"]}
        links.append(link)
        for version in (4, 6):
            first = next(((s, a) for s, a, _d in subnets
                          if s.get("ip_version") == version), None)
            if first is None:
                continue
            net = _neutron_net(first[0], first[1], version, len(networks),
                               link["id"], addresses[0]["network_id"])
            networks.append(net)
            services += [dns for dns in _dns(first[0]) if dns not in services]
    return {"links": links, "networks": networks, "services": services}


def _neutron_net(subnet, address, version, index, link_id, network_id):
    mode = subnet.get("ipv6_address_mode")
    if mode is None and (subnet.get("dhcp_server") is not None
                         or subnet.get("enable_dhcp")):
        return {"id": f"network{index}", "type": f"ipv{version}_dhcp",
                "link": link_id, "network_id": network_id}
    cidr = ipaddress.ip_network(subnet["cidr"], strict=False)
    routes = []
    gateway = subnet.get("gateway_ip")
    if gateway:
        any_ = "0.0.0.0" if version == 4 else "::"
        routes.append({"network": any_, "netmask": any_,
                       "gateway": gateway})
    for route in subnet.get("host_routes") or ():
        dest = ipaddress.ip_network(route["destination"], strict=False)
        routes.append({"network": str(dest.network_address),
                       "netmask": str(dest.netmask),
                       "gateway": route["nexthop"]})
    return {"id": f"network{index}",
            "type": f"ipv{version}" + (f"_{mode}" if mode else ""),
            "link": link_id, "ip_address": address,
            "netmask": str(cidr.netmask), "routes": routes,
            "network_id": network_id, "services": _dns(subnet)}


def _dns(subnet):
    return [{"type": "dns", "address": dns}
            for dns in subnet.get("dns_nameservers") or ()]


# -- EC2 ----------------------------------------------------------------------

def ec2_tree(version, data, fqdn):
    local_ipv4 = data.fixed_ips[0][0] if data.fixed_ips else ""
    meta = {
        "ami-id": "ami-%08x" % data.image_int,
        "ami-launch-index": str(data.launch_index),
        # Upstream's literal answer for this EC2 key (it has no manifest).
        "ami-manifest-path": "FIXME",
        "instance-id": "i-%08x" % data.id,
        "hostname": fqdn,
        "local-ipv4": local_ipv4,
        "reservation-id": data.reservation_id,
        "security-groups": "\n".join(data.security_groups),
    }
    if data.key_name:
        meta["public-keys"] = {
            "0": {"_name": f"0={data.key_name}",
                  "openssh-key": data.key_data}}
    if _ec2_on_or_after(version, "2007-01-19"):
        meta["local-hostname"] = fqdn
        meta["public-hostname"] = fqdn
        meta["public-ipv4"] = ""
    if _ec2_on_or_after(version, "2007-08-29"):
        meta["instance-type"] = data.flavor_name
    if _ec2_on_or_after(version, "2007-12-15"):
        mapping = {"ami": "vda", "root": "/dev/vda"}
        disks = iter(("/dev/vdb", "/dev/vdc"))
        if data.ephemeral_gb:
            mapping["ephemeral0"] = next(disks)
        if data.swap_mb:
            mapping["swap"] = next(disks)
        meta["block-device-mapping"] = mapping
    if _ec2_on_or_after(version, "2008-02-01"):
        meta["placement"] = {"availability-zone": data.availability_zone}
    if _ec2_on_or_after(version, "2008-09-01"):
        meta["instance-action"] = "none"
    tree = {"meta-data": meta}
    if data.user_data is not None:
        tree["user-data"] = Leaf(data.user_data, TEXT)
    return tree


def listing(node):
    lines = []
    for key, value in node.items():
        if key == "_name":
            continue
        if isinstance(value, dict):
            lines.append(value.get("_name") or f"{key}/")
        else:
            lines.append(key)
    return sorted(lines)


def ec2_lookup(tree, parts):
    """The node at ``parts`` (list of path segments), or None."""
    node = tree
    for part in parts:
        if not isinstance(node, dict) or part not in node or part == "_name":
            return None
        node = node[part]
    return node

