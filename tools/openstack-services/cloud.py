"""What tools/openstack-services.sh asks of the running services over
their REST APIs, with keystoneauth (Keystone's virtualenv has it): the
catalog and the service users in Keystone, the networks in Neutron, the
images in Glance. No openstack CLI: it spends ~3 s starting per command.

Every function takes the admin password and the Keystone URL (a fresh
admin session each time: a token's catalog is the one of the moment it was
issued, so a session made before the registrations would not see them).
"""

from keystoneauth1 import adapter
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

REGION = "RegionOne"
INTERFACES = ("public", "internal", "admin")
# The service users' roles: admin and service in project "service"
# (Neutron's policies want service for binding:profile, admin or service
# for binding:host_id; keystonemiddleware wants service for service
# tokens).
SERVICE_ROLES = ("admin", "service")
# Two public images with fixed ids (each start has fresh databases).
IMAGES = (
    ("image_id", "a6b7c8d9-0e1f-4a2b-8c3d-4e5f6a7b8c01", "osvc-image"),
    ("image_id_alt", "a6b7c8d9-0e1f-4a2b-8c3d-4e5f6a7b8c02",
     "osvc-image-alt"),
)
# What the images hold: placeholder bytes, declared raw (honestly).
IMAGE_DATA = b"nova-wsgi test image: placeholder bytes, no OS\n" * 64
PUBLIC_CIDR, PUBLIC_GATEWAY = "172.24.4.0/24", "172.24.4.1"
PUBLIC_POOL = {"start": "172.24.4.10", "end": "172.24.4.250"}
PRIVATE_CIDR = "10.0.0.0/24"
# get-me-a-network (networks "auto" with no network in sight): Neutron's
# auto-allocated-topology takes its subnets from the default subnet pool
# and its router's gateway on the default external network, as devstack
# sets them up. Apart from the others' 10.0.0.0/24 and tempest's
# 10.100.0.0/16.
DEFAULT_POOL_PREFIX, DEFAULT_POOL_PREFIXLEN = "10.200.0.0/16", 26


def session(keystone_url, username, password, project="admin"):
    auth = v3.Password(auth_url=keystone_url.rstrip("/") + "/v3",
                       username=username, password=password,
                       project_name=project, user_domain_id="default",
                       project_domain_id="default")
    return ks_session.Session(auth=auth, timeout=120)


class Identity:
    """Keystone's /v3 as admin."""

    def __init__(self, keystone_url, admin_password):
        self.base = keystone_url.rstrip("/") + "/v3"
        self.sess = session(keystone_url, "admin", admin_password)

    def get(self, path):
        return self.sess.get(self.base + path).json()

    def post(self, path, body):
        return self.sess.post(self.base + path, json=body).json()

    def find_or_create(self, collection, name, body, **query):
        """The one named ``name`` (and matching ``query``), made if none."""
        key = collection[:-1]
        params = "&".join(f"{k}={v}" for k, v in
                          {"name": name, **query}.items())
        found = self.get(f"/{collection}?{params}")[collection]
        if found:
            return found[0]
        return self.post(f"/{collection}", {key: {"name": name, **body}})[key]

    def role_id(self, name):
        roles = self.get(f"/roles?name={name}")["roles"]
        if not roles:
            raise SystemExit(f"Keystone has no role {name!r}")
        return roles[0]["id"]

    def grant(self, project_id, user_id, role):
        self.sess.put(f"{self.base}/projects/{project_id}/users/{user_id}"
                      f"/roles/{self.role_id(role)}")

    def service_endpoints(self, service_type, name, url, region=REGION):
        """The service of this type, with public, internal and admin
        endpoints in ``region`` at ``url`` (replaced when different).
        Returns the URLs they had before (empty: none)."""
        service = self.find_or_create(
            "services", name, {"type": service_type, "enabled": True},
            type=service_type)
        have = {ep["interface"]: ep for ep in self.get(
            f"/endpoints?service_id={service['id']}")["endpoints"]
            if ep.get("region_id") == region}
        for interface in INTERFACES:
            endpoint = have.get(interface)
            if endpoint is None:
                self.post("/endpoints", {"endpoint": {
                    "service_id": service["id"], "interface": interface,
                    "region_id": region, "url": url}})
            elif endpoint["url"] != url:
                self.sess.patch(f"{self.base}/endpoints/{endpoint['id']}",
                                json={"endpoint": {"url": url}})
        return {ep["url"] for ep in have.values()}


def register(keystone_url, admin_password, secrets, glance_url,
             neutron_url, compute_url=None):
    """Project service with the users glance, neutron and nova (roles
    admin and service); project demo with user demo (member); the image
    and network services (and compute, when given) in the catalog."""
    ks = Identity(keystone_url, admin_password)
    service = ks.find_or_create("projects", "service", {
        "domain_id": "default", "description": "Service project"})
    for user in ("glance", "neutron", "nova"):
        made = ks.find_or_create("users", user, {
            "domain_id": "default", "password": secrets[user]})
        for role in SERVICE_ROLES:
            ks.grant(service["id"], made["id"], role)
    demo = ks.find_or_create("projects", "demo", {
        "domain_id": "default", "description": "A user's project"})
    demo_user = ks.find_or_create("users", "demo", {
        "domain_id": "default", "password": secrets["demo"],
        "default_project_id": demo["id"]})
    ks.grant(demo["id"], demo_user["id"], "member")
    ks.service_endpoints("image", "glance", glance_url)
    ks.service_endpoints("network", "neutron", neutron_url)
    if compute_url:
        ks.service_endpoints("compute", "nova", compute_url)
    return {"service_project_id": service["id"],
            "demo_project_id": demo["id"]}


def register_compute(keystone_url, admin_password, compute_url):
    """The compute endpoints at compute_url; the URLs they had before."""
    return Identity(keystone_url, admin_password).service_endpoints(
        "compute", "nova", compute_url)


def _api(keystone_url, admin_password, service_type):
    return adapter.Adapter(session(keystone_url, "admin", admin_password),
                           service_type=service_type, interface="public",
                           region_name=REGION)


def populate(keystone_url, admin_password, demo_project_id):
    """Neutron, as devstack lays it out: the external flat network
    ``public`` (floating IPs; the default one for get-me-a-network), the
    network ``private`` of project demo (not shared: other projects,
    tempest's among them, see no network they did not make), the router
    ``router1`` between them, the default subnet pool. Glance: two public
    active images. Returns their ids, and Neutron's extension aliases."""
    net = _api(keystone_url, admin_password, "network")
    ids = {}
    public = net.post("/v2.0/networks", json={"network": {
        "name": "public", "router:external": True, "shared": False,
        "is_default": True, "provider:network_type": "flat",
        "provider:physical_network": "public"}}).json()["network"]
    ids["public_network_id"] = public["id"]
    ids["public_subnet_id"] = net.post("/v2.0/subnets", json={"subnet": {
        "name": "public-subnet", "network_id": public["id"],
        "ip_version": 4, "cidr": PUBLIC_CIDR, "gateway_ip": PUBLIC_GATEWAY,
        "allocation_pools": [PUBLIC_POOL], "enable_dhcp": False,
    }}).json()["subnet"]["id"]
    ids["subnetpool_id"] = net.post("/v2.0/subnetpools", json={
        "subnetpool": {"name": "shared-default-subnetpool-v4",
                       "prefixes": [DEFAULT_POOL_PREFIX],
                       "default_prefixlen": DEFAULT_POOL_PREFIXLEN,
                       "shared": True, "is_default": True}}).json()[
        "subnetpool"]["id"]
    private = net.post("/v2.0/networks", json={"network": {
        "name": "private", "shared": False,
        "project_id": demo_project_id}}).json()["network"]
    ids["private_network_id"] = private["id"]
    ids["private_subnet_id"] = net.post("/v2.0/subnets", json={"subnet": {
        "name": "private-subnet", "network_id": private["id"],
        "project_id": demo_project_id, "ip_version": 4,
        "cidr": PRIVATE_CIDR}}).json()["subnet"]["id"]
    router = net.post("/v2.0/routers", json={"router": {
        "name": "router1",
        "external_gateway_info": {"network_id": public["id"]},
    }}).json()["router"]
    net.put(f"/v2.0/routers/{router['id']}/add_router_interface",
            json={"subnet_id": ids["private_subnet_id"]})
    ids["router_id"] = router["id"]
    ids["neutron_extensions"] = sorted(
        ext["alias"] for ext in net.get("/v2.0/extensions").json()[
            "extensions"])

    image = _api(keystone_url, admin_password, "image")
    for key, image_id, name in IMAGES:
        image.post("/v2/images", json={
            "id": image_id, "name": name, "visibility": "public",
            "disk_format": "raw", "container_format": "bare"})
        image.put(f"/v2/images/{image_id}/file", data=IMAGE_DATA,
                  headers={"Content-Type": "application/octet-stream"})
        status = image.get(f"/v2/images/{image_id}").json()["status"]
        if status != "active":
            raise SystemExit(f"Glance image {name} is {status}, not active")
        ids[key] = image_id
    return ids
