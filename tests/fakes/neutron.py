"""A stand-in for Neutron 29's API (v2.0) on its own pytest-httpserver.

It speaks the real wire format (``{"ports": [...]}``, ``{"port": {...}}``,
``{"NeutronError": {"type", "message", "detail"}}``) for what a compute
API uses: networks, subnets, ports (IP allocation from the subnets, MACs
``fa:16:3e:...``), security groups (a ``default`` one per project, made
on the project's first call), security group rules, floating IPs,
extensions, quotas and ``auto-allocated-topology``.

Tokens are checked against a ``tests.fake_keystone.FakeKeystone``: its
service token is an admin with the ``service`` role, a caller's token
has its project and roles. Policy follows Neutron 29's defaults where a
compute API meets them: a member may not set ``binding:host_id`` /
``binding:profile`` (403), does not see ``binding:vif_type`` /
``binding:host_id``, and may not delete a ``compute:*`` port without an
``X-Service-Token`` (403).

Binding behaves like the recipe's ``fakebind`` driver by default
(``bind = "active"``): a port with ``binding:host_id`` is ``ovs`` and
ACTIVE at once, and a ``network-vif-plugged`` event is queued.
``bind = "deferred"``: bound but DOWN until ``activate(port_id)``;
``bind = "failed"``: ``binding_failed``, DOWN (the stock drivers);
``bind = "late"``: ACTIVE and the event queued, but the binding's answer
still says DOWN (an event that overtakes the answer).

With ``binding-extended`` in ``extensions`` (the default), a port's
bindings answer as Neutron 29's (admin or service only):
``GET/POST /v2.0/ports/{id}/bindings``, ``GET/DELETE
.../bindings/{host}``, ``PUT .../bindings/{host}/activate``. A binding
made while the port is bound elsewhere is INACTIVE (kept in
``bindings``); activating it makes it the port's ``binding:host_id``
and the one before INACTIVE; only an inactive binding can be deleted
(404 for the active one, as ML2). ``hosts_of(port_id)`` gives
{host: status}.

Events Neutron would send to ``os-server-external-events`` are queued in
``events`` (``take_events()`` empties it): the test posts them.

Faults: ``fail(status, method=, path=, type=, message=, times=)`` answers
an error for matching requests; ``delay`` seconds are slept before every
answer; ``stop()`` takes the server away (connection refused) and
``start()`` brings it back on the same port. ``calls`` records
``(method, path, who, body)`` for every request (``who`` is "service",
the caller's user id, or None).
"""

from __future__ import annotations

import copy
import ipaddress
import json
import re
import threading
import time
import uuid

from pytest_httpserver import HTTPServer
from werkzeug import Response

EXTENSIONS = (
    "address-scope", "agent", "allowed-address-pairs",
    "auto-allocated-topology", "availability_zone", "binding",
    "binding-extended", "default-subnetpools", "dhcp_agent_scheduler",
    "external-net", "extra_dhcp_opt", "extraroute", "fip-port-details",
    "floatingip-pools", "multi-provider", "net-mtu", "network-ip-availability",
    "pagination", "port-mac-address-regenerate", "port-security",
    "project-id", "provider", "quota_details", "quotas", "rbac-policies",
    "router", "security-group", "sorting", "standard-attr-description",
    "standard-attr-revisions", "standard-attr-tag", "standard-attr-timestamp",
    "subnet_allocation")

# collection in the URL -> resource key in bodies
RESOURCES = {
    "networks": "network", "subnets": "subnet", "ports": "port",
    "security-groups": "security_group",
    "security-group-rules": "security_group_rule",
    "floatingips": "floatingip",
}

QUOTA_DEFAULTS = {"network": 100, "subnet": 100, "port": 500,
                  "security_group": 10, "security_group_rule": 100,
                  "floatingip": 50, "router": 10, "subnetpool": -1,
                  "rbac_policy": 10}

HIDDEN_FROM_MEMBERS = ("binding:host_id", "binding:vif_type",
                       "binding:vif_details", "binding:profile")


def _now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Caller:
    def __init__(self, who, project_id, roles, service_token=False):
        self.who = who
        self.project_id = project_id
        self.roles = set(roles)
        self.service_token = service_token

    @property
    def is_admin(self):
        return "admin" in self.roles

    @property
    def is_service(self):
        return "service" in self.roles


class NeutronFault(Exception):
    def __init__(self, status, type_, message):
        super().__init__(message)
        self.status, self.type, self.message = status, type_, message


class FakeNeutron:
    """Neutron v2.0 for a compute API's tests (see the module doc)."""

    def __init__(self, keystone, register=True):
        self.keystone = keystone
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.server.expect_request(re.compile(r".*")).respond_with_handler(
            self._handle)
        self.server.start()
        self.http_port = self.server.port
        self.url = f"http://127.0.0.1:{self.http_port}/"
        self.lock = threading.RLock()
        self.store = {name: {} for name in RESOURCES}
        self.quotas = {}  # project -> {resource: limit}
        self.events = []
        self.calls = []
        self.faults = []
        self.delay = 0.0
        self.bind = "active"
        self.extensions = list(EXTENSIONS)
        self._macs = 0
        self._late = set()
        self.bindings = {}  # port id -> {host: inactive binding}
        if register:
            keystone.add_service("network", "neutron", self.url)

    # -- lifecycle -----------------------------------------------------------

    def stop(self):
        if self.server.is_running():
            self.server.stop()

    def start(self):
        if not self.server.is_running():
            self.server = HTTPServer(host="127.0.0.1", port=self.http_port,
                                     threaded=True)
            self.server.expect_request(re.compile(r".*")) \
                .respond_with_handler(self._handle)
            self.server.start()

    close = stop

    # -- test set-up -----------------------------------------------------

    def add_network(self, name, project_id, shared=False, cidr=None,
                    external=False, subnet=True, **extra):
        """A network (with one IPv4 subnet unless ``subnet=False``)."""
        network = {
            "id": str(uuid.uuid4()), "name": name, "tenant_id": project_id,
            "project_id": project_id, "shared": shared,
            "admin_state_up": True, "status": "ACTIVE", "subnets": [],
            "router:external": external, "mtu": 1450,
            "port_security_enabled": True, "availability_zones": ["nova"],
            "availability_zone_hints": [], "ipv4_address_scope": None,
            "ipv6_address_scope": None, "is_default": False,
            "description": "", "tags": [], "created_at": _now(),
            "updated_at": _now(), "revision_number": 1,
            "provider:network_type": "flat",
            "provider:physical_network": "physnet1",
            "provider:segmentation_id": None,
        }
        network.update(extra)
        with self.lock:
            self.store["networks"][network["id"]] = network
            if subnet:
                count = len(self.store["subnets"]) + 1
                self.add_subnet(network["id"], cidr or f"10.{count}.0.0/24")
        return copy.deepcopy(network)

    def add_subnet(self, network_id, cidr, name=None):
        net = ipaddress.ip_network(cidr)
        hosts = list(net.hosts())
        with self.lock:
            network = self.store["networks"][network_id]
            subnet = {
                "id": str(uuid.uuid4()), "name": name or f"{cidr}-subnet",
                "network_id": network_id, "cidr": cidr,
                "ip_version": net.version, "gateway_ip": str(hosts[0]),
                "allocation_pools": [{"start": str(hosts[1]),
                                      "end": str(hosts[-1])}],
                "enable_dhcp": True, "dns_nameservers": [],
                "host_routes": [], "tenant_id": network["tenant_id"],
                "project_id": network["project_id"],
                "ipv6_ra_mode": None, "ipv6_address_mode": None,
                "subnetpool_id": None, "description": "", "tags": [],
                "service_types": [], "created_at": _now(),
                "updated_at": _now(), "revision_number": 0,
            }
            self.store["subnets"][subnet["id"]] = subnet
            network["subnets"].append(subnet["id"])
        return copy.deepcopy(subnet)

    def add_port(self, network_id, project_id, **fields):
        """A port made by someone else (as ``openstack port create``)."""
        caller = Caller("setup", project_id, ["admin", "service"])
        body = dict(fields, network_id=network_id, project_id=project_id)
        return copy.deepcopy(self._create_port(caller, body))

    def set_quota(self, project_id, **limits):
        self.quotas.setdefault(project_id, {}).update(limits)

    def fail(self, status=500, method=None, path=None, type_=None,
             message=None, times=None):
        """Answer ``status`` to requests matching ``method`` and the
        regular expression ``path`` (all when None), ``times`` times."""
        self.faults.append({
            "status": status, "method": method,
            "path": re.compile(path) if path else None,
            "type": type_ or {404: "HTTPNotFound", 409: "Conflict",
                              400: "HTTPBadRequest",
                              403: "HTTPForbidden"}.get(status,
                                                        "HTTPInternalServerError"),
            "message": message or "Request Failed: internal server error "
                                  "while processing your request.",
            "times": times})

    def activate(self, port_id):
        """The deferred binding completes: ACTIVE, network-vif-plugged."""
        with self.lock:
            port = self.store["ports"][port_id]
            port["status"] = "ACTIVE"
            self._event("network-vif-plugged", port)

    def _caller_for(self, project_id, admin=False):
        """A caller of ``project_id`` (for set-up through the handlers)."""
        return Caller("setup", project_id,
                      ["admin", "member"] if admin else ["member"])

    def take_events(self):
        with self.lock:
            events, self.events = self.events, []
        return events

    def ports_of(self, device_id):
        with self.lock:
            return [copy.deepcopy(p) for p in self.store["ports"].values()
                    if p["device_id"] == device_id]

    def hosts_of(self, port_id):
        """{host: "ACTIVE" | "INACTIVE"} of the port's bindings."""
        with self.lock:
            port = self.store["ports"][port_id]
            hosts = {h: b["status"]
                     for h, b in self.bindings.get(port_id, {}).items()}
            if port["binding:host_id"]:
                hosts[port["binding:host_id"]] = "ACTIVE"
            return hosts

    def port(self, port_id):
        with self.lock:
            found = self.store["ports"].get(port_id)
            return copy.deepcopy(found) if found else None

    # -- HTTP ------------------------------------------------------------

    @staticmethod
    def _json(body, status=200):
        return Response(json.dumps(body), status=status,
                        content_type="application/json")

    @staticmethod
    def _error(status, type_, message):
        return Response(json.dumps({"NeutronError": {
            "type": type_, "message": message, "detail": ""}}),
            status=status, content_type="application/json")

    def _caller(self, request):
        token = request.headers.get("X-Auth-Token")
        service = request.headers.get("X-Service-Token")
        has_service = service == self.keystone.service_token
        if token and token == self.keystone.service_token:
            return Caller("service", "service-id", ["admin", "service"],
                          True)
        body = self.keystone.tokens.get(token)
        if body is None:
            return None
        tok = body["token"]
        return Caller(tok["user"]["id"], tok["project"]["id"],
                      [r["name"] for r in tok["roles"]], has_service)

    def _handle(self, request):
        if self.delay:
            time.sleep(self.delay)
        caller = self._caller(request)
        body = None
        if request.data:
            try:
                body = json.loads(request.data)
            except ValueError:
                return self._error(400, "HTTPBadRequest",
                                   "Malformed request body")
        self.calls.append((request.method, request.full_path.rstrip("?"),
                           caller.who if caller else None, body))
        for fault in self.faults:
            if fault["method"] and fault["method"] != request.method:
                continue
            if fault["path"] and not fault["path"].search(request.path):
                continue
            if fault["times"] is not None:
                if fault["times"] <= 0:
                    continue
                fault["times"] -= 1
            return self._error(fault["status"], fault["type"],
                               fault["message"])
        if request.path.rstrip("/") == "":
            return self._json({"versions": [{
                "id": "v2.0", "status": "CURRENT", "links": [{
                    "rel": "self", "href": self.url + "v2.0/"}]}]})
        if caller is None:
            return Response("Authentication required", status=401)
        try:
            with self.lock:
                if caller.project_id:
                    self._default_group(caller.project_id)
                return self._route(request, caller, body)
        except NeutronFault as fault:
            return self._error(fault.status, fault.type, fault.message)

    def _route(self, request, caller, body):
        parts = [p for p in request.path.split("/") if p]
        if not parts or parts[0] != "v2.0":
            raise NeutronFault(404, "HTTPNotFound", "Not Found")
        parts = parts[1:]
        if parts and parts[-1].endswith(".json"):
            parts[-1] = parts[-1][:-5]
        if parts == ["extensions"]:
            return self._json({"extensions": [
                {"alias": a, "name": a, "description": a, "links": [],
                 "updated": "2013-01-01T10:00:00-00:00"}
                for a in self.extensions]})
        if parts[:1] == ["quotas"]:
            return self._quotas(request, caller, parts[1:], body)
        if parts[:1] == ["auto-allocated-topology"] and len(parts) == 2:
            return self._auto_allocate(request, caller, parts[1])
        if not parts or parts[0] not in RESOURCES:
            raise NeutronFault(404, "HTTPNotFound",
                               "The resource could not be found.")
        collection, key = parts[0], RESOURCES[parts[0]]
        method = request.method
        if (collection == "ports" and len(parts) >= 3
                and parts[2] == "bindings"
                and "binding-extended" in self.extensions):
            return self._port_bindings(request, caller, parts, body)
        if len(parts) == 1 and method == "GET":
            items = self._visible(caller, collection)
            items = [i for i in items if self._matches(i, request.args)]
            fields = request.args.getlist("fields")
            return self._json({collection.replace("-", "_"): [
                self._view(caller, i, fields) for i in items]})
        if len(parts) == 1 and method == "POST":
            if not isinstance(body, dict) or not isinstance(body.get(key),
                                                            dict):
                raise NeutronFault(400, "HTTPBadRequest",
                                   f"Resource body required for {key}")
            made = self._create(caller, collection, body[key])
            return self._json({key: self._view(caller, made)}, 201)
        if len(parts) != 2:
            raise NeutronFault(404, "HTTPNotFound",
                               "The resource could not be found.")
        item = self._find(caller, collection, parts[1])
        if method == "GET":
            return self._json({key: self._view(
                caller, item, request.args.getlist("fields"))})
        if method == "PUT":
            if not isinstance(body, dict) or not isinstance(body.get(key),
                                                            dict):
                raise NeutronFault(400, "HTTPBadRequest",
                                   f"Resource body required for {key}")
            self._update(caller, collection, item, body[key])
            view = self._view(caller, item)
            if item["id"] in self._late:
                # bind = "late": ACTIVE (and the event queued) before the
                # answer, which still says DOWN.
                self._late.discard(item["id"])
                view["status"] = "DOWN"
            return self._json({key: view})
        if method == "DELETE":
            self._delete(caller, collection, item)
            return Response(status=204)
        raise NeutronFault(405, "HTTPMethodNotAllowed",
                           "Method not allowed")

    # -- reads -------------------------------------------------------------

    def _can_see(self, caller, collection, item):
        if caller.is_admin or caller.is_service:
            return True
        if item.get("project_id") == caller.project_id:
            return True
        if collection == "networks":
            return item["shared"] or item["router:external"]
        if collection == "subnets":
            network = self.store["networks"].get(item["network_id"])
            return bool(network and (network["shared"]
                                     or network["router:external"]))
        return False

    def _visible(self, caller, collection):
        return [i for i in self.store[collection].values()
                if self._can_see(caller, collection, i)]

    def _find(self, caller, collection, item_id):
        item = self.store[collection].get(item_id)
        if item is None or not self._can_see(caller, collection, item):
            kind = {"networks": "Network", "ports": "Port",
                    "subnets": "Subnet", "security-groups": "SecurityGroup",
                    "floatingips": "FloatingIP",
                    "security-group-rules": "SecurityGroupRule"}[collection]
            noun = {"networks": "network", "ports": "port",
                    "subnets": "subnet", "security-groups": "Security group",
                    "floatingips": "Floating IP",
                    "security-group-rules": "Security group rule"}[collection]
            raise NeutronFault(404, f"{kind}NotFound",
                               f"{noun} {item_id} could not be found.")
        return item

    @staticmethod
    def _matches(item, args):
        for name in set(args):
            if name in ("fields", "limit", "marker", "sort_key", "sort_dir"):
                continue
            wanted = args.getlist(name)
            if name == "fixed_ips":
                want = dict(w.split("=", 1) for w in wanted if "=" in w)
                if not any(all(ip.get(k) == val for k, val in want.items())
                           for ip in item.get("fixed_ips", [])):
                    return False
                continue
            value = item.get(name)
            if isinstance(value, bool):
                value = str(value)
                wanted = [w.capitalize() for w in wanted]
            if value is None:
                value = ""
            if str(value) not in wanted:
                return False
        return True

    def _view(self, caller, item, fields=()):
        view = copy.deepcopy(item)
        if not (caller.is_admin or caller.is_service):
            for name in HIDDEN_FROM_MEMBERS:
                view.pop(name, None)
        if fields:
            view = {k: v for k, v in view.items() if k in fields}
        return view

    # -- writes ----------------------------------------------------------

    def _check_quota(self, project_id, resource, collection):
        limit = self.quotas.get(project_id, {}).get(
            resource, QUOTA_DEFAULTS.get(resource, -1))
        used = sum(1 for i in self.store[collection].values()
                   if i.get("project_id") == project_id)
        if limit >= 0 and used >= limit:
            raise NeutronFault(
                409, "OverQuota",
                f"Quota exceeded for resources: ['{resource}'].")

    def _create(self, caller, collection, fields):
        project = fields.get("project_id") or fields.get("tenant_id") \
            or caller.project_id
        if project != caller.project_id and not caller.is_admin:
            raise NeutronFault(403, "HTTPForbidden",
                               "Only admins may create resources of other "
                               "projects.")
        fields = dict(fields, project_id=project)
        self._check_quota(project, RESOURCES[collection], collection)
        if collection == "ports":
            return self._create_port(caller, fields)
        if collection == "networks":
            return self.add_network(fields.get("name", ""), project,
                                    shared=fields.get("shared", False),
                                    subnet=False)
        if collection == "subnets":
            self._find(caller, "networks", fields.get("network_id"))
            return self.add_subnet(fields["network_id"], fields["cidr"],
                                   fields.get("name"))
        if collection == "security-groups":
            return self._add_group(project, fields.get("name", ""),
                                   fields.get("description", ""))
        if collection == "security-group-rules":
            return self._add_rule(caller, fields)
        if collection == "floatingips":
            return self._add_floating(caller, fields)
        raise NeutronFault(400, "HTTPBadRequest", "Unsupported")

    def _next_mac(self):
        self._macs += 1
        n = self._macs
        return f"fa:16:3e:{(n >> 16) & 255:02x}:{(n >> 8) & 255:02x}:" \
               f"{n & 255:02x}"

    def _allocate(self, network, requested):
        """fixed_ips for a port: the requested ones, or the next free
        address of the network's first subnet."""
        used = {ip["ip_address"] for p in self.store["ports"].values()
                for ip in p["fixed_ips"]}
        used |= {f["floating_ip_address"]
                 for f in self.store["floatingips"].values()}
        subnets = [self.store["subnets"][s] for s in network["subnets"]]
        if requested is None:
            if not subnets:
                return []
            requested = [{"subnet_id": subnets[0]["id"]}]
        result = []
        for wanted in requested:
            address = wanted.get("ip_address")
            subnet = None
            if wanted.get("subnet_id"):
                subnet = self.store["subnets"].get(wanted["subnet_id"])
                if subnet is None or subnet["network_id"] != network["id"]:
                    raise NeutronFault(
                        400, "InvalidInput",
                        f"Invalid input for operation: Failed to create "
                        f"port on network {network['id']}, because "
                        f"fixed_ips included invalid subnet "
                        f"{wanted['subnet_id']}.")
            if address:
                try:
                    ip = ipaddress.ip_address(address)
                except ValueError:
                    raise NeutronFault(
                        400, "HTTPBadRequest",
                        f"Invalid input for fixed_ips. Reason: "
                        f"'{address}' is not a valid IP address.") from None
                subnet = subnet or next(
                    (s for s in subnets
                     if ip in ipaddress.ip_network(s["cidr"])), None)
                if subnet is None:
                    raise NeutronFault(
                        400, "InvalidIpForNetwork",
                        f"IP address {address} is not a valid IP for any "
                        f"of the subnets on the specified network.")
                if address in used:
                    raise NeutronFault(
                        409, "IpAddressAlreadyAllocated",
                        f"IP address {address} already allocated in "
                        f"subnet {subnet['id']}")
            else:
                subnet = subnet or subnets[0]
                pool = subnet["allocation_pools"][0]
                ip = ipaddress.ip_address(pool["start"])
                end = ipaddress.ip_address(pool["end"])
                while str(ip) in used and ip <= end:
                    ip += 1
                if ip > end:
                    raise NeutronFault(
                        409, "IpAddressGenerationFailure",
                        f"No more IP addresses available on network "
                        f"{network['id']}.")
                address = str(ip)
            used.add(address)
            result.append({"subnet_id": subnet["id"],
                           "ip_address": address})
        return result

    def _groups_of(self, project_id, names):
        ids = []
        for wanted in names:
            found = self.store["security-groups"].get(wanted)
            if found is None:
                found = next((g for g in self.store["security-groups"]
                              .values() if g["name"] == wanted
                              and g["project_id"] == project_id), None)
            if found is None:
                raise NeutronFault(
                    404, "SecurityGroupNotFound",
                    f"Security group {wanted} does not exist")
            ids.append(found["id"])
        return ids

    def _create_port(self, caller, fields):
        network = self._find(caller, "networks", fields.get("network_id"))
        project = fields.get("project_id") or caller.project_id
        if "binding:host_id" in fields or "binding:profile" in fields:
            self._binding_policy(caller)
        groups = fields.get("security_groups")
        if groups is None:
            groups = [self._default_group(project)["id"]]
        else:
            groups = self._groups_of(project, groups)
        port = {
            "id": str(uuid.uuid4()), "name": fields.get("name", ""),
            "network_id": network["id"], "tenant_id": project,
            "project_id": project,
            "mac_address": fields.get("mac_address") or self._next_mac(),
            "admin_state_up": fields.get("admin_state_up", True),
            "status": "DOWN",
            "fixed_ips": self._allocate(network, fields.get("fixed_ips")),
            "device_id": fields.get("device_id", ""),
            "device_owner": fields.get("device_owner", ""),
            "security_groups": groups,
            "port_security_enabled": True, "allowed_address_pairs": [],
            "extra_dhcp_opts": [], "description": "", "tags": [],
            "binding:vnic_type": fields.get("binding:vnic_type", "normal"),
            "binding:host_id": "", "binding:vif_type": "unbound",
            "binding:vif_details": {}, "binding:profile": {},
            "created_at": _now(), "updated_at": _now(),
            "revision_number": 1,
        }
        self.store["ports"][port["id"]] = port
        if fields.get("binding:host_id"):
            self._bind(port, fields["binding:host_id"])
        return port

    @staticmethod
    def _binding_policy(caller):
        if not (caller.is_admin or caller.is_service):
            raise NeutronFault(
                403, "HTTPForbidden",
                "(rule:create_port and rule:create_port:binding:host_id) "
                "is disallowed by policy")

    def _bind(self, port, host):
        was = port["binding:host_id"]
        if not host:
            port.update({"binding:host_id": "", "binding:vif_type": "unbound",
                         "binding:vif_details": {}, "status": "DOWN"})
            if was:
                self._event("network-changed", port)
            return
        if was and was != host:
            self._event("network-vif-unplugged", port)
        port["binding:host_id"] = host
        if self.bind == "failed":
            port.update({"binding:vif_type": "binding_failed",
                         "binding:vif_details": {}, "status": "DOWN"})
            return
        port.update({"binding:vif_type": "ovs", "binding:vif_details": {
            "port_filter": True, "ovs_hybrid_plug": False,
            "connectivity": "l2", "bound_drivers": {"0": "fakebind"}}})
        if self.bind in ("active", "late"):
            port["status"] = "ACTIVE"
            self._event("network-vif-plugged", port)
            if self.bind == "late":
                self._late.add(port["id"])
        if was and was != host:
            self._event("network-changed", port)

    # -- port bindings (binding-extended) ---------------------------------

    def _active_binding(self, port):
        return {"host": port["binding:host_id"],
                "vif_type": port["binding:vif_type"],
                "vif_details": copy.deepcopy(port["binding:vif_details"]),
                "vnic_type": port["binding:vnic_type"],
                "profile": copy.deepcopy(port["binding:profile"]),
                "status": "ACTIVE"}

    def _port_bindings(self, request, caller, parts, body):
        port = self._find(caller, "ports", parts[1])
        if not (caller.is_admin or caller.is_service):
            raise NeutronFault(403, "HTTPForbidden",
                               "rule:admin_only is disallowed by policy")
        inactive = self.bindings.setdefault(port["id"], {})
        method, rest = request.method, parts[3:]
        active = port["binding:host_id"]
        if not rest and method == "GET":
            found = [self._active_binding(port)] if active else []
            return self._json({"bindings": found + [
                copy.deepcopy(b) for b in inactive.values()]})
        if not rest and method == "POST":
            wanted = (body or {}).get("binding")
            if not isinstance(wanted, dict) or not wanted.get("host"):
                raise NeutronFault(400, "HTTPBadRequest",
                                   "Resource body required for binding")
            host = wanted["host"]
            if host == active or host in inactive:
                raise NeutronFault(
                    409, "PortBindingAlreadyExists",
                    f"Binding for port {port['id']} on host {host} "
                    f"already exists.")
            if not active or port["binding:vif_type"] in (
                    "unbound", "binding_failed"):
                self._bind(port, host)  # no active binding: this one is
                return self._json({"binding": self._active_binding(port)},
                                  201)
            failed = self.bind == "failed"
            binding = {
                "host": host,
                "vif_type": "binding_failed" if failed else "ovs",
                "vif_details": {} if failed else {
                    "port_filter": True, "ovs_hybrid_plug": False,
                    "connectivity": "l2",
                    "bound_drivers": {"0": "fakebind"}},
                "vnic_type": wanted.get("vnic_type", "normal"),
                "profile": wanted.get("profile") or {},
                "status": "INACTIVE"}
            inactive[host] = binding
            return self._json({"binding": copy.deepcopy(binding)}, 201)
        if not rest:
            raise NeutronFault(405, "HTTPMethodNotAllowed",
                               "Method not allowed")
        host = rest[0]
        if rest[1:] == ["activate"] and method == "PUT":
            if host == active:
                raise NeutronFault(
                    409, "PortBindingAlreadyActive",
                    f"Binding for port {port['id']} on host {host} is "
                    f"already active.")
            if host not in inactive:
                raise self._no_binding(port, host)
            if active:
                was = self._active_binding(port)
                was["status"] = "INACTIVE"
                inactive[active] = was
            del inactive[host]
            self._bind(port, host)
            port["revision_number"] += 1
            return self._json({"binding": self._active_binding(port)})
        if rest[1:]:
            raise NeutronFault(404, "HTTPNotFound",
                               "The resource could not be found.")
        if method == "GET":
            if host == active:
                return self._json({"binding": self._active_binding(port)})
            if host not in inactive:
                raise self._no_binding(port, host)
            return self._json({"binding": copy.deepcopy(inactive[host])})
        if method == "DELETE":
            if host not in inactive:  # ML2 deletes inactive ones only
                raise self._no_binding(port, host)
            del inactive[host]
            return Response(status=204)
        raise NeutronFault(405, "HTTPMethodNotAllowed",
                           "Method not allowed")

    @staticmethod
    def _no_binding(port, host):
        return NeutronFault(
            404, "PortBindingNotFound",
            f"Binding for port {port['id']} for host {host} could not be "
            f"found.")

    def _event(self, name, port):
        if not port["device_owner"].startswith("compute:") or \
                not port["device_id"]:
            return
        event = {"name": name, "server_uuid": port["device_id"],
                 "tag": port["id"]}
        if name == "network-vif-plugged":
            event["status"] = "completed"
        self.events.append(event)

    def _update(self, caller, collection, item, fields):
        if not (caller.is_admin or caller.project_id == item["project_id"]):
            raise NeutronFault(403, "HTTPForbidden",
                               "Not allowed to update this resource")
        if collection != "ports":
            for name, value in fields.items():
                if name == "port_id" and collection == "floatingips":
                    self._associate(caller, item, value,
                                    fields.get("fixed_ip_address"))
                elif name != "fixed_ip_address":
                    item[name] = value
            item["revision_number"] += 1
            return
        if "binding:host_id" in fields or "binding:profile" in fields:
            if not (caller.is_admin or caller.is_service):
                raise NeutronFault(
                    403, "HTTPForbidden",
                    "(rule:update_port and rule:update_port:binding:host_id)"
                    " is disallowed by policy")
        for name in ("device_id", "device_owner", "admin_state_up", "name",
                     "binding:profile", "description"):
            if name in fields:
                item[name] = fields[name] if fields[name] is not None else ""
        if "binding:profile" in fields:
            item["binding:profile"] = fields["binding:profile"] or {}
        if "security_groups" in fields:
            item["security_groups"] = self._groups_of(
                item["project_id"], fields["security_groups"] or [])
        if "fixed_ips" in fields:
            network = self.store["networks"][item["network_id"]]
            item["fixed_ips"] = []
            item["fixed_ips"] = self._allocate(network, fields["fixed_ips"])
            self._event("network-changed", item)
        if "binding:host_id" in fields:
            self._bind(item, fields["binding:host_id"] or "")
        item["revision_number"] += 1
        item["updated_at"] = _now()

    def _delete(self, caller, collection, item):
        if not (caller.is_admin or caller.project_id == item["project_id"]):
            raise NeutronFault(403, "HTTPForbidden",
                               "Not allowed to delete this resource")
        if collection == "ports":
            if item["device_owner"].startswith("compute:") and not (
                    caller.is_admin or caller.is_service
                    or caller.service_token):
                raise NeutronFault(
                    403, "HTTPForbidden",
                    "rule:delete_port is disallowed by policy")
            self._event("network-vif-deleted", item)
            for fip in self.store["floatingips"].values():
                if fip["port_id"] == item["id"]:
                    fip.update(port_id=None, fixed_ip_address=None,
                               status="DOWN")
        if collection == "networks":
            if any(p["network_id"] == item["id"]
                   for p in self.store["ports"].values()):
                raise NeutronFault(
                    409, "NetworkInUse",
                    f"Unable to complete operation on network "
                    f"{item['id']}. There are one or more ports still in "
                    f"use on the network.")
        if collection == "security-groups":
            if any(item["id"] in p["security_groups"]
                   for p in self.store["ports"].values()):
                raise NeutronFault(
                    409, "SecurityGroupInUse",
                    f"Security Group {item['id']} in use.")
        del self.store[collection][item["id"]]
        self.bindings.pop(item["id"], None)

    # -- security groups, floating IPs -------------------------------------

    def _default_group(self, project_id):
        for group in self.store["security-groups"].values():
            if group["project_id"] == project_id and \
                    group["name"] == "default":
                return group
        return self._add_group(project_id, "default", "Default security group")

    def _add_group(self, project_id, name, description):
        group = {"id": str(uuid.uuid4()), "name": name,
                 "description": description, "tenant_id": project_id,
                 "project_id": project_id, "security_group_rules": [],
                 "stateful": True, "shared": False, "tags": [],
                 "created_at": _now(), "updated_at": _now(),
                 "revision_number": 1}
        self.store["security-groups"][group["id"]] = group
        for ethertype in ("IPv4", "IPv6"):
            self._rule(group, direction="egress", ethertype=ethertype)
            if name == "default":
                self._rule(group, direction="ingress", ethertype=ethertype,
                           remote_group_id=group["id"])
        return group

    def _rule(self, group, **fields):
        rule = {"id": str(uuid.uuid4()), "security_group_id": group["id"],
                "tenant_id": group["project_id"],
                "project_id": group["project_id"], "direction": "ingress",
                "ethertype": "IPv4", "protocol": None,
                "port_range_min": None, "port_range_max": None,
                "remote_ip_prefix": None, "remote_group_id": None,
                "remote_address_group_id": None, "normalized_cidr": None,
                "description": "", "created_at": _now(),
                "updated_at": _now(), "revision_number": 0}
        rule.update(fields)
        self.store["security-group-rules"][rule["id"]] = rule
        group["security_group_rules"].append(rule)
        return rule

    def _add_rule(self, caller, fields):
        group = self._find(caller, "security-groups",
                           fields.get("security_group_id"))
        fields = {k: v for k, v in fields.items()
                  if k not in ("security_group_id", "project_id",
                               "tenant_id")}
        return self._rule(group, **fields)

    def _add_floating(self, caller, fields):
        network = self._find(caller, "networks",
                             fields.get("floating_network_id"))
        if not network["router:external"]:
            raise NeutronFault(
                400, "BadRequest",
                f"Bad floatingip request: Network {network['id']} is not a "
                f"valid external network.")
        address = self._allocate(network, None)[0]["ip_address"]
        fip = {"id": str(uuid.uuid4()), "floating_ip_address": address,
               "floating_network_id": network["id"], "port_id": None,
               "fixed_ip_address": None, "router_id": None,
               "status": "DOWN", "tenant_id": fields["project_id"],
               "project_id": fields["project_id"], "description": "",
               "port_details": None, "tags": [], "dns_domain": "",
               "dns_name": "", "created_at": _now(), "updated_at": _now(),
               "revision_number": 0}
        self.store["floatingips"][fip["id"]] = fip
        if fields.get("port_id"):
            self._associate(caller, fip, fields["port_id"],
                            fields.get("fixed_ip_address"))
        return fip

    def _associate(self, caller, fip, port_id, fixed_ip):
        if port_id is None:
            old = self.store["ports"].get(fip["port_id"] or "")
            fip.update(port_id=None, fixed_ip_address=None, status="DOWN",
                       router_id=None)
            if old:
                self._event("network-changed", old)
            return
        port = self._find(caller, "ports", port_id)
        if not port["fixed_ips"]:
            raise NeutronFault(400, "BadRequest",
                               f"Port {port_id} has no fixed IP")
        fip.update(port_id=port_id, status="ACTIVE",
                   fixed_ip_address=fixed_ip
                   or port["fixed_ips"][0]["ip_address"],
                   router_id="router-" + port["network_id"][:8])
        self._event("network-changed", port)

    # -- quotas, get-me-a-network ------------------------------------------

    def _quotas(self, request, caller, parts, body):
        if not parts:
            raise NeutronFault(404, "HTTPNotFound", "Not Found")
        project = parts[0]
        if project != caller.project_id and not caller.is_admin:
            raise NeutronFault(403, "HTTPForbidden",
                               "Not allowed to see this project's quota")
        limits = dict(QUOTA_DEFAULTS, **self.quotas.get(project, {}))
        if request.method == "PUT":
            self.set_quota(project, **(body or {}).get("quota", {}))
            limits = dict(QUOTA_DEFAULTS, **self.quotas.get(project, {}))
        if parts[1:] == ["details"]:
            used = {}
            for collection, key in RESOURCES.items():
                used[key] = sum(1 for i in self.store[collection].values()
                                if i.get("project_id") == project)
            return self._json({"quota": {
                key: {"limit": limit, "used": used.get(key, 0),
                      "reserved": 0} for key, limit in limits.items()}})
        return self._json({"quota": limits})

    def _auto_allocate(self, request, caller, project):
        if project != caller.project_id and not caller.is_admin:
            raise NeutronFault(403, "HTTPForbidden", "Not allowed")
        default = next((n for n in self.store["networks"].values()
                        if n["router:external"] and n.get("is_default")),
                       None)
        if default is None:
            raise NeutronFault(
                409, "AutoAllocationFailure",
                "Deployment error: No default router:external network.")
        if request.args.get("fields") == "dry-run":
            return self._json({"auto_allocated_topology": {
                "dry-run": "pass"}})
        mine = next((n for n in self.store["networks"].values()
                     if n["project_id"] == project
                     and n["name"] == "auto_allocated_network"), None)
        if mine is None:
            mine = self.add_network("auto_allocated_network", project)
        return self._json({"auto_allocated_topology": {
            "id": mine["id"], "tenant_id": project, "project_id": project}})
