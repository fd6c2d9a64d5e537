"""The metadata API through the whole paste pipeline (issue #4).

Servers, keypairs, user data and metadata are made through the compute API
(loaded from the same config directory), then the metadata API is loaded
from it and asked as the guest would: in direct mode by the server's fixed
IP as ``REMOTE_ADDR``, in Neutron proxy mode by signed headers. Bodies,
content types, listings and error pages are compared with upstream Nova
34's answers in ``shared/reference/nova-34-samples/meta_*.txt``.
"""

import base64
import datetime
import hashlib
import hmac
import io
import json
import logging
import re
import sqlite3
import sys
import time

import pytest
from werkzeug import Response

from nova.api.metadata import trees
from tests.functional.metadata_cloud import (
    JSON,
    NETWORK_ID,
    USER_DATA,
    Cloud,
    get,
    meta_data,
)
from tests.helpers import ADMIN, DEMO, GUEST_KEY, IMAGE, SAMPLES

# The samples' server's metadata (its key is GUEST_KEY, its user data
# USER_DATA), so bodies compare exactly.
META = {"role": "web", "owner": "team-a"}
SECRET = "n3utr0n-Sh4red-S3cret-value"

EC2_VERSIONS = ["1.0", "2007-01-19", "2007-03-01", "2007-08-29",
                "2007-10-10", "2007-12-15", "2008-02-01", "2008-09-01",
                "2009-04-04"]
OS_VERSIONS = ["2012-08-10", "2013-04-04", "2013-10-17", "2015-10-15",
               "2016-06-30", "2016-10-06", "2017-02-22", "2018-08-27",
               "2020-10-14", "2025-04-04"]
TEXT = "text/plain; charset=UTF-8"
HTML = "text/html; charset=UTF-8"


# -- upstream samples ---------------------------------------------------------

def upstream(name):
    """(status, content type, body bytes) of a ``meta_*`` sample."""
    path = SAMPLES / f"{name}.txt"
    if not path.is_file():
        pytest.skip(f"upstream sample {path} not found")
    text = path.read_bytes()
    head, _sep, body = text.partition(
        b"\r\n\r\n" if b"\r\n\r\n" in text else b"\n\n")
    lines = head.decode().splitlines()
    headers = {}
    for line in lines[1:]:
        key, _colon, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    length = int(headers["content-length"])
    return int(lines[0].split()[1]), headers["content-type"], body[:length]


def assert_like_sample(resp, name):
    status, ctype, body = upstream(name)
    assert resp.status_int == status, resp.body
    assert resp.headers["Content-Type"] == ctype
    assert resp.body == body
    assert resp.headers["Content-Length"] == str(len(body))


# -- the cloud: compute API to make servers, metadata API to read them --------

@pytest.fixture
def cloud(config_dir, tmp_path):
    return Cloud(config_dir, tmp_path)


def raw(app, path, ip="192.0.2.2", method="GET", body=b"", headers=None,
        length=True):
    """Call the WSGI app with a hand-made environ: any PATH_INFO at all, a
    body without Content-Length (as a chunked request arrives)."""
    environ = {
        "REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": path,
        "QUERY_STRING": "", "SERVER_NAME": "localhost", "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": ip,
        "wsgi.version": (1, 0), "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
        "wsgi.multithread": False, "wsgi.multiprocess": False,
        "wsgi.run_once": False}
    if body and length:
        environ["CONTENT_LENGTH"] = str(len(body))
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    seen = {}

    def start_response(status, response_headers, exc_info=None):
        seen["status"], seen["headers"] = status, response_headers

    chunks = app.app(environ, start_response)
    try:
        data = b"".join(chunks)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    return int(seen["status"].split()[0]), dict(seen["headers"]), data


def signature(instance_id, secret=SECRET):
    return hmac.new(secret.encode(), instance_id.encode(),
                    hashlib.sha256).hexdigest()


def signed(instance_id, tenant="admin", secret=SECRET):
    return {"X-Instance-ID": instance_id, "X-Tenant-ID": tenant,
            "X-Instance-ID-Signature": signature(instance_id, secret)}


# -- what upstream serves, by version (written out independently) -------------

def os_listing(version, user_data=True):
    names = ["meta_data.json"]
    if user_data:
        names.append("user_data")
    for since, name in (("2013-04-04", "password"),
                        ("2013-10-17", "vendor_data.json"),
                        ("2015-10-15", "network_data.json"),
                        ("2016-10-06", "vendor_data2.json")):
        if version >= since:
            names.append(name)
    return names


def meta_keys(version, key=True, meta=True):
    keys = ["uuid"]
    if meta:
        keys.append("meta")
    if key:
        keys += ["public_keys", "keys"]
    keys += ["hostname", "name", "launch_index", "availability_zone"]
    for since, name in (("2013-04-04", "random_seed"),
                        ("2015-10-15", "project_id"),
                        ("2016-06-30", "devices"),
                        ("2020-10-14", "dedicated_cpus")):
        if version >= since:
            keys.append(name)
    return keys


def ec2_listing(version, key=True):
    index = EC2_VERSIONS.index(version)
    names = {"ami-id", "ami-launch-index", "ami-manifest-path", "hostname",
             "instance-id", "local-ipv4", "reservation-id",
             "security-groups"}
    if key:
        names.add("public-keys/")
    for since, added in (
            ("2007-01-19", ("local-hostname", "public-hostname",
                            "public-ipv4")),
            ("2007-08-29", ("instance-type",)),
            ("2007-12-15", ("block-device-mapping/",)),
            ("2008-02-01", ("placement/",)),
            ("2008-09-01", ("instance-action",))):
        if index >= EC2_VERSIONS.index(since):
            names.update(added)
    return sorted(names)


# == 1. the tree ==============================================================

def test_root_lists_ec2_versions_before_any_lookup(cloud):
    cloud.boot()
    app = cloud.metadata()
    # From an address no server holds: / needs no lookup.
    resp = get(app, "/", "203.0.113.99")
    assert_like_sample(resp, "meta_root")
    assert resp.text.split("\n") == EC2_VERSIONS + ["latest"]
    head = app.head("/", extra_environ={"REMOTE_ADDR": "203.0.113.99"})
    assert head.body == b""
    assert head.headers["Content-Length"] == str(len(resp.body))
    # /ec2 and /ec2/ list the same, for a known guest.
    for path in ("/ec2", "/ec2/"):
        assert get(app, path, "192.0.2.2").body == resp.body


def test_openstack_versions_hide_future_ones(cloud, monkeypatch):
    server = cloud.boot()
    app = cloud.metadata()
    for path in ("/openstack", "/openstack/"):
        resp = get(app, path, server["ip"])
        assert_like_sample(resp, "meta_openstack")
        assert resp.text.split("\n") == OS_VERSIONS + ["latest"]

    # On 2016-07-01 the versions from 2016-10-06 are in the future: hidden,
    # and "latest" is the newest published one (2016-06-30).
    monkeypatch.setattr(trees, "today", lambda: datetime.date(2016, 7, 1))
    resp = get(app, "/openstack", server["ip"])
    assert resp.text.split("\n") == OS_VERSIONS[:5] + ["latest"]
    assert get(app, "/openstack/latest", server["ip"]).text.split("\n") == \
        os_listing("2016-06-30")
    assert list(meta_data(app, server["ip"])) == meta_keys("2016-06-30",
                                                           meta=False)
    # The day a version is dated, it is published.
    monkeypatch.setattr(trees, "today", lambda: datetime.date(2016, 10, 6))
    assert "2016-10-06" in get(app, "/openstack", server["ip"]).text


def test_today_is_utc():
    """Upstream compares version dates with the UTC date."""
    assert trees.today() in {
        datetime.datetime.now(datetime.timezone.utc).date()
        - datetime.timedelta(days=d) for d in (0, 1)}


def test_version_listings_name_only_what_exists(cloud):
    with_ud = cloud.boot()
    without_ud = cloud.boot("plain", user_data=None)
    app = cloud.metadata()
    for version in OS_VERSIONS + ["latest"]:
        dated = OS_VERSIONS[-1] if version == "latest" else version
        for server, has_ud in ((with_ud, True), (without_ud, False)):
            for path in (f"/openstack/{version}", f"/openstack/{version}/"):
                resp = get(app, path, server["ip"])
                assert resp.headers["Content-Type"] == TEXT
                assert resp.text.split("\n") == os_listing(dated, has_ud)
            # Everything listed is there; nothing unlisted is.
            for name in ("meta_data.json", "user_data", "password",
                         "vendor_data.json", "network_data.json",
                         "vendor_data2.json"):
                expected = 200 if name in os_listing(dated, has_ud) else 404
                get(app, f"/openstack/{version}/{name}", server["ip"],
                    status=expected)
    # The sample's server had no user data.
    assert_like_sample(get(app, "/openstack/latest", without_ud["ip"]),
                       "meta_openstack_latest")


def test_meta_data_json_matches_upstream(cloud):
    server = cloud.boot(metadata=META)
    app = cloud.metadata()
    for version, name in (("latest", "meta_meta_data_json"),
                          ("2013-10-17", "meta_2013_10_17")):
        resp = get(app, f"/openstack/{version}/meta_data.json", server["ip"])
        status, ctype, body = upstream(name)
        assert (resp.status_int, resp.headers["Content-Type"]) == (status,
                                                                   ctype)
        expected = json.loads(body)
        doc = resp.json
        # Byte for byte but the server's uuid and the random seed.
        assert len(base64.b64decode(doc["random_seed"], validate=True)) == \
            512
        expected["uuid"] = server["id"]
        expected["random_seed"] = doc["random_seed"]
        assert resp.body == json.dumps(expected).encode()
        assert list(doc) == list(expected)


def test_meta_data_json_keys_by_version(cloud):
    server = cloud.boot(metadata=META)
    plain = cloud.boot("plain", key_name=None, user_data=None)
    app = cloud.metadata()
    for version in OS_VERSIONS + ["latest"]:
        dated = OS_VERSIONS[-1] if version == "latest" else version
        doc = meta_data(app, server["ip"], version)
        assert list(doc) == meta_keys(dated)
        assert doc["uuid"] == server["id"]
        assert doc["meta"] == META
        assert doc["public_keys"] == {"seedkey": GUEST_KEY}
        assert doc["keys"] == [{"name": "seedkey", "type": "ssh",
                                "data": GUEST_KEY}]
        assert doc["hostname"] == "seeded-vm.novalocal"
        assert doc["name"] == "seeded-vm"
        assert doc["launch_index"] == 0
        assert doc["availability_zone"] == "nova"
        if "project_id" in doc:
            assert doc["project_id"] == "admin"
        if "devices" in doc:
            assert doc["devices"] == []
        if "dedicated_cpus" in doc:
            assert doc["dedicated_cpus"] == []
        # No key, no metadata: no public_keys/keys, and no "meta" (upstream
        # leaves it out when a server has none).
        doc = meta_data(app, plain["ip"], version)
        assert list(doc) == meta_keys(dated, key=False, meta=False)
        assert doc["hostname"] == "plain.novalocal"


def test_random_seed_differs_on_each_request(cloud):
    server = cloud.boot()
    app = cloud.metadata()
    seeds = {meta_data(app, server["ip"])["random_seed"] for _ in range(5)}
    assert len(seeds) == 5
    for seed in seeds:
        assert len(base64.b64decode(seed, validate=True)) == 512
    assert "random_seed" not in meta_data(app, server["ip"], "2012-08-10")


@pytest.mark.parametrize("domain, fqdn", [("example.org", "vm1.example.org"),
                                          ("", "vm1")])
def test_hostname_follows_dhcp_domain(cloud, domain, fqdn):
    server = cloud.boot("vm1")
    cloud.configure(f"[api]\ndhcp_domain = {domain}\n")
    app = cloud.metadata()
    assert meta_data(app, server["ip"])["hostname"] == fqdn
    for leaf in ("hostname", "local-hostname", "public-hostname"):
        assert get(app, f"/latest/meta-data/{leaf}", server["ip"]).text == \
            fqdn


def test_user_data(cloud):
    # Not UTF-8: user data is served byte for byte (gzip, MIME multipart).
    blob = USER_DATA + b"\x00\xff\xfe binary \x1f\x8b"
    server = cloud.boot(user_data=blob)
    plain = cloud.boot("plain", user_data=None)
    app = cloud.metadata()
    for path in ("/openstack/latest/user_data",
                 "/openstack/2012-08-10/user_data", "/latest/user-data",
                 "/ec2/latest/user-data", "/2009-04-04/user-data",
                 "/1.0/user-data"):
        resp = get(app, path, server["ip"])
        assert resp.body == blob
        # Upstream serves user data with the default text/plain type.
        assert resp.headers["Content-Type"] == TEXT
        assert_like_sample(get(app, path, plain["ip"], status=404),
                           "meta_user_data")
    assert get(app, "/latest", server["ip"]).text == "meta-data/\nuser-data"
    assert get(app, "/latest/", plain["ip"]).text == "meta-data/"


def test_vendor_data_defaults_match_upstream(cloud):
    server = cloud.boot()
    app = cloud.metadata()
    assert_like_sample(get(app, "/openstack/latest/vendor_data.json",
                           server["ip"]), "meta_vendor_data_json")
    assert_like_sample(get(app, "/openstack/latest/vendor_data2.json",
                           server["ip"]), "meta_vendor_data2_json")


def test_network_data_from_the_servers_address_and_network(cloud):
    server = cloud.boot()
    app = cloud.metadata()
    resp = get(app, "/openstack/latest/network_data.json", server["ip"])
    status, ctype, body = upstream("meta_network_data_json")
    assert (resp.status_int, resp.headers["Content-Type"]) == (status, ctype)
    doc = json.loads(resp.body)
    expected = json.loads(body)
    assert list(doc) == list(expected) == ["links", "networks", "services"]
    (link,) = doc["links"]
    assert list(link) == list(expected["links"][0])
    assert re.fullmatch(r"tap[0-9a-f]{8}-[0-9a-f]{2}", link["id"])
    assert link["id"] == "tap" + link["vif_id"][:11]
    # the port os-interface shows (and network-vif-deleted names)
    ports = cloud.compute.get(
        f"/v2.1/servers/{server['id']}/os-interface",
        headers=ADMIN).json["interfaceAttachments"]
    assert link["vif_id"] == ports[0]["port_id"]
    assert link["type"] == "ovs"
    assert link["mtu"] == 1450
    assert link["ethernet_mac_address"] == server["mac"]
    (network,) = doc["networks"]
    assert list(network) == list(expected["networks"][0])
    assert network == {
        "id": "network0", "type": "ipv4", "link": link["id"],
        "ip_address": server["ip"], "netmask": "255.255.255.0",
        "routes": [{"network": "0.0.0.0", "netmask": "0.0.0.0",
                    "gateway": "192.0.2.1"}],
        "network_id": NETWORK_ID,
        "services": [{"type": "dns", "address": "192.0.2.53"}]}
    assert doc["services"] == [{"type": "dns", "address": "192.0.2.53"}]
    # The same link id on every request and from a second process' view.
    assert get(app, "/openstack/2015-10-15/network_data.json",
               server["ip"]).body == resp.body


def test_network_data_follows_network_config(cloud):
    server = cloud.boot()
    cloud.configure("""
        [network]
        gateway = 192.0.2.254
        dns_servers = 198.51.100.1,198.51.100.2
        mtu = 9000
        """)
    app = cloud.metadata()
    doc = json.loads(get(app, "/openstack/latest/network_data.json",
                         server["ip"]).body)
    dns = [{"type": "dns", "address": "198.51.100.1"},
           {"type": "dns", "address": "198.51.100.2"}]
    assert doc["links"][0]["mtu"] == 9000
    assert doc["networks"][0]["routes"][0]["gateway"] == "192.0.2.254"
    assert doc["networks"][0]["services"] == dns
    assert doc["services"] == dns


def test_ec2_tree_for_every_version(cloud):
    server = cloud.boot()
    plain = cloud.boot("plain", key_name=None, user_data=None)
    app = cloud.metadata()
    ip = server["ip"]
    assert_like_sample(get(app, "/latest/meta-data/", ip), "meta_ec2_latest")
    assert_like_sample(get(app, "/2009-04-04/meta-data/", ip),
                       "meta_ec2_2009_04_04")
    assert_like_sample(get(app, "/latest/meta-data/public-keys/0/openssh-key",
                           ip), "meta_ec2_public_keys")
    hostname = get(app, "/latest/meta-data/hostname", ip)
    assert_like_sample(hostname, "meta_ec2_hostname")

    leaves = {
        "ami-launch-index": "0", "ami-manifest-path": "FIXME",
        "hostname": "seeded-vm.novalocal", "local-ipv4": ip,
        "reservation-id": server["OS-EXT-SRV-ATTR:reservation_id"],
        "security-groups": "default",
        "local-hostname": "seeded-vm.novalocal",
        "public-hostname": "seeded-vm.novalocal", "public-ipv4": "",
        "instance-type": "m1.tiny", "instance-action": "none",
        "public-keys/": "0=seedkey", "public-keys/0": "openssh-key",
        "public-keys/0/openssh-key": GUEST_KEY,
        "block-device-mapping/": "ami\nroot",
        "block-device-mapping/ami": "vda",
        "block-device-mapping/root": "/dev/vda",
        "placement/": "availability-zone",
        "placement/availability-zone": "nova",
    }
    for version in EC2_VERSIONS + ["latest"]:
        dated = EC2_VERSIONS[-1] if version == "latest" else version
        listing = ec2_listing(dated)
        for prefix in (f"/{version}", f"/ec2/{version}"):
            resp = get(app, f"{prefix}/meta-data/", ip)
            assert resp.headers["Content-Type"] == TEXT
            assert resp.text.split("\n") == listing
            assert get(app, f"{prefix}/meta-data", ip).body == resp.body
            assert get(app, f"{prefix}/meta-data/", plain["ip"]).text.split(
                "\n") == ec2_listing(dated, key=False)
            ami = get(app, f"{prefix}/meta-data/ami-id", ip).text
            assert re.fullmatch(r"ami-[0-9a-f]{8}", ami)
            instance = get(app, f"{prefix}/meta-data/instance-id", ip).text
            assert re.fullmatch(r"i-[0-9a-f]{8}", instance)
            for path, value in leaves.items():
                top = path.split("/")[0] + ("/" if "/" in path else "")
                if top not in listing:
                    get(app, f"{prefix}/meta-data/{path}", ip, status=404)
                    continue
                resp = get(app, f"{prefix}/meta-data/{path}", ip)
                assert resp.headers["Content-Type"] == TEXT
                assert resp.text == value, (prefix, path)
    # Two servers, two instance ids.
    assert get(app, "/latest/meta-data/instance-id", ip).text != get(
        app, "/latest/meta-data/instance-id", plain["ip"]).text
    get(app, "/latest/meta-data/public-keys/", plain["ip"], status=404)


def test_ec2_block_device_mapping_with_ephemeral_and_swap(cloud):
    server = cloud.boot(flavor="2")
    app = cloud.metadata()
    ip = server["ip"]
    assert get(app, "/latest/meta-data/block-device-mapping/", ip).text == \
        "ami\nephemeral0\nroot\nswap"
    assert get(app, "/latest/meta-data/block-device-mapping/ephemeral0",
               ip).text == "/dev/vdb"
    assert get(app, "/latest/meta-data/block-device-mapping/swap",
               ip).text == "/dev/vdc"
    assert get(app, "/latest/meta-data/instance-type", ip).text == "m1.eph"


def test_trailing_slashes_and_not_found(cloud):
    server = cloud.boot()
    app = cloud.metadata()
    ip = server["ip"]
    # One trailing slash changes nothing, on listings and leaves alike
    # (upstream normalises the path).
    for path in ("/openstack/latest/user_data", "/openstack/latest/password",
                 "/openstack/latest/network_data.json",
                 "/latest/meta-data/hostname", "/latest/meta-data/placement",
                 "/latest/meta-data/public-keys/0", "/latest/user-data"):
        slash = get(app, path + "/", ip)
        assert slash.body == get(app, path, ip).body
    doc = get(app, "/openstack/latest/meta_data.json/", ip).json
    assert doc["uuid"] == server["id"]
    for path in (
            "/openstack/latest/nope.json", "/openstack/1999-01-01",
            "/openstack/1999-01-01/meta_data.json", "/openstack/LATEST",
            "/openstack/latest/meta_data.json/uuid",
            "/openstack/latest/content", "/openstack/content/0000",
            "/2000-01-01/meta-data/", "/nope", "/latest/meta-data/nope",
            "/latest/meta-data/hostname/more",
            "/latest/meta-data/public-keys/_name",
            "/latest/meta-data/public-keys/0=seedkey",
            "/latest/meta-data/public-keys/1",
            "/latest/meta-data/public-keys/0/_name",
            "/latest/meta-data/block-device-mapping/ebs0",
            "/latest/nope", "/ec2/nope/meta-data/", "/ec2/latest/nope"):
        resp = get(app, path, ip, status=404)
        assert_like_sample(resp, "meta_missing_path")


ODD_PATHS = [
    "/..", "/../", "/./", "//", "///", "/openstack/..",
    "/openstack/../openstack/latest/meta_data.json",
    "/openstack/latest/../latest/meta_data.json",
    "/openstack/./latest/meta_data.json", "/openstack//latest",
    "/openstack/latest//meta_data.json", "//openstack/latest",
    "/latest//meta-data/", "/latest/meta-data//hostname",
    "/latest/meta-data/./hostname", "/latest/meta-data/../user-data",
    "/ec2/../../etc/passwd", "/%2e%2e/openstack", "/openstack/%2e%2e",
    "/openstack/latest%2Fmeta_data.json", "/latest%2fmeta-data%2f",
    "/%00", "/\x00", "/openstack/latest/meta_data.json\x00",
    "/openstack\x00/latest", "/latest/meta-data/\x00hostname",
    "/\xc3\xbc", "/openstack/\xff\xfe", "/openstack/latest/\t",
    "/" + "a" * 5000, "/openstack/" + "x" * 5000,
    "/openstack/latest/" + "meta_data.json/" * 400,
    "/latest/meta-data/" + "/" * 5000, "/" + "../" * 2000,
    "/openstack/latest/meta_data.json?" + "x" * 100,
    "openstack/latest", "", " ", "/ ", "/openstack/ latest",
]


@pytest.mark.parametrize("path", ODD_PATHS, ids=lambda p: repr(p[:40]))
def test_odd_paths_are_404_or_400_never_500(cloud, path):
    server = cloud.boot()
    app = cloud.metadata()
    for ip in (server["ip"], "203.0.113.7"):
        status, headers, body = raw(app, path, ip)
        if path in ("", "/openstack/latest/meta_data.json?" + "x" * 100):
            continue  # "" is "/" (200); the query string is not the path
        assert status in (400, 404), (path, status, body[:200])
        if path.startswith("/"):  # else not even the URL map matches
            assert headers["Content-Type"] == HTML


def test_odd_paths_through_a_url(cloud):
    """Percent-encoding decoded by the client side, as a server does."""
    server = cloud.boot()
    app = cloud.metadata()
    for path in ("/%2e%2e/", "/openstack/%2e%2e/%2e%2e/",
                 "/openstack/latest/meta_data.json%00",
                 "/%ff%fe", "/" + "%41" * 3000):
        resp = get(app, path, server["ip"], status="*")
        assert resp.status_int in (400, 404), (path, resp.status)
    # An encoded slash reaches the app decoded (as from any WSGI server):
    # it is a slash.
    assert get(app, "/openstack%2Flatest%2Fmeta_data.json",
               server["ip"]).json["uuid"] == server["id"]
    # What works stays working with a query string.
    assert get(app, "/openstack/latest/meta_data.json?x=1",
               server["ip"]).json["uuid"] == server["id"]
    assert get(app, "/?x", "203.0.113.7").text.endswith("latest")


METHODS = ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND")


def test_only_get_and_head(cloud):
    server = cloud.boot()
    app = cloud.metadata()
    ip = server["ip"]
    for path in ("/", "/openstack", "/openstack/latest",
                 "/openstack/latest/meta_data.json",
                 "/openstack/latest/user_data",
                 "/openstack/latest/vendor_data2.json",
                 "/openstack/latest/network_data.json", "/latest",
                 "/latest/meta-data/", "/latest/meta-data/hostname",
                 "/ec2/latest/user-data"):
        for method in METHODS:
            status, headers, body = raw(app, path, ip, method=method,
                                        body=b"x" if method == "POST"
                                        else b"")
            assert status == 405, (method, path)
            assert headers["Allow"] == "GET, HEAD"
            assert headers["Content-Type"] == HTML
        head = app.head(path, extra_environ={"REMOTE_ADDR": ip})
        full = get(app, path, ip)
        assert head.status_int == 200 and head.body == b""
        assert head.headers["Content-Length"] == str(len(full.body))
        assert head.headers["Content-Type"] == full.headers["Content-Type"]


# -- password -----------------------------------------------------------------

def test_password_post_once_and_cleared_through_the_compute_api(cloud):
    server = cloud.boot()
    app = cloud.metadata()
    ip = server["ip"]
    url = "/openstack/latest/password"
    pw_url = f"/v2.1/servers/{server['id']}/os-server-password"
    assert_like_sample(get(app, url, ip), "meta_password")
    assert cloud.compute.get(pw_url, headers=ADMIN).json == {"password": ""}

    secret = base64.b64encode(b"\x01" * 256).decode()  # what guests POST
    resp = app.post(url, secret, extra_environ={"REMOTE_ADDR": ip})
    assert resp.status_int == 200 and resp.body == b""
    assert resp.headers["Content-Type"] == HTML
    assert get(app, url, ip).text == secret
    assert get(app, "/openstack/2013-04-04/password", ip).text == secret
    # Set once: a second POST is a conflict and changes nothing.
    resp = app.post(url, "other", extra_environ={"REMOTE_ADDR": ip},
                    status=409)
    assert resp.headers["Content-Type"] == HTML
    assert get(app, url, ip).text == secret
    # The compute API sees the same value, and clears it.
    assert cloud.compute.get(pw_url, headers=ADMIN).json == {
        "password": secret}
    cloud.compute.get(pw_url, headers=DEMO, status=404)  # not demo's server
    cloud.compute.delete(pw_url, headers=ADMIN, status=204)
    # Visible on the very next request; then POST works again.
    assert get(app, url, ip).text == ""
    app.post(url, "again", extra_environ={"REMOTE_ADDR": ip})
    assert get(app, url, ip).text == "again"
    assert cloud.compute.get(pw_url, headers=ADMIN).json == {
        "password": "again"}


def test_password_rules(cloud):
    server = cloud.boot()
    other = cloud.boot("other")
    app = cloud.metadata()
    ip = server["ip"]
    url = "/openstack/latest/password"
    env = {"REMOTE_ADDR": ip}
    # Above 1020 bytes: 400, nothing stored.
    resp = app.post(url, "x" * 1021, extra_environ=env, status=400)
    assert resp.headers["Content-Type"] == HTML
    status, _h, _b = raw(app, url, ip, method="POST", body=b"x" * 1021,
                         length=False)
    assert status == 400
    assert get(app, url, ip).text == ""
    # Not UTF-8: 400.
    app.post(url, b"\xff\xfe", extra_environ=env, status=400)
    # Other methods: 400, as upstream.
    for method in ("PUT", "DELETE", "PATCH", "OPTIONS"):
        status, _h, _b = raw(app, url, ip, method=method, body=b"pw")
        assert status == 400, method
    # Exactly 1020 bytes is fine, and another guest is unaffected.
    app.post(url, "y" * 1020, extra_environ=env)
    assert get(app, url, ip).text == "y" * 1020
    assert get(app, url, other["ip"]).text == ""
    app.post(url, "z", extra_environ={"REMOTE_ADDR": other["ip"]})
    assert get(app, url, ip).text == "y" * 1020
    # Before 2013-04-04 there is no password, for any method.
    get(app, "/openstack/2012-08-10/password", ip, status=404)
    app.post("/openstack/2012-08-10/password", "p", extra_environ=env,
             status=404)
    # An unknown guest cannot post one.
    app.post(url, "p", extra_environ={"REMOTE_ADDR": "203.0.113.7"},
             status=404)


# == 2. which guest is asking =================================================

def test_unknown_address_is_404(cloud):
    cloud.boot()
    app = cloud.metadata()
    for ip in ("203.0.113.7", "192.0.2.1", "192.0.2.200", "not-an-ip", "",
               "::1", "192.0.2.2 ", "0192.0.2.2"):
        for path in ("/openstack", "/openstack/latest/meta_data.json",
                     "/latest/meta-data/", "/ec2"):
            status, headers, body = raw(app, path, ip)
            assert status == 404, (ip, path)
            assert body == upstream("meta_missing_path")[2]


def test_each_guest_reads_only_its_own_data(cloud):
    cloud.keypair("demokey", GUEST_KEY.replace("novaref", "demo"), DEMO)
    mine = cloud.boot("mine", metadata={"who": "admin"})
    theirs = cloud.boot("theirs", who=DEMO, key_name="demokey",
                        user_data=b"#!/bin/sh\necho demo\n",
                        metadata={"who": "demo"})
    app = cloud.metadata()
    for server, project, who, ud in ((mine, "admin", "admin", USER_DATA),
                                     (theirs, "demo", "demo",
                                      b"#!/bin/sh\necho demo\n")):
        doc = meta_data(app, server["ip"])
        assert (doc["uuid"], doc["project_id"], doc["meta"]) == (
            server["id"], project, {"who": who})
        assert get(app, "/openstack/latest/user_data", server["ip"]).body \
            == ud
        assert get(app, "/latest/meta-data/local-ipv4",
                   server["ip"]).text == server["ip"]
        net = json.loads(get(app, "/openstack/latest/network_data.json",
                             server["ip"]).body)
        assert net["networks"][0]["ip_address"] == server["ip"]
        assert net["links"][0]["ethernet_mac_address"] == server["mac"]
    assert meta_data(app, theirs["ip"])["public_keys"] == {
        "demokey": GUEST_KEY.replace("novaref", "demo")}


def test_forwarded_headers_from_an_untrusted_peer_are_ignored(cloud):
    victim = cloud.boot("victim", metadata={"secret": "victim's"})
    guest = cloud.boot("guest")
    for conf in ("", "[metadata]\ntrusted_proxies = 198.51.100.0/24\n"):
        cloud.configure(conf)
        app = cloud.metadata()
        for spoof in ({"X-Forwarded-For": victim["ip"]},
                      {"Forwarded": f"for={victim['ip']}"},
                      {"Forwarded": f'for="{victim["ip"]}:1234"'},
                      {"X-Forwarded-For": f"{victim['ip']}, {victim['ip']}"},
                      {"X-Forwarded-For": victim["ip"],
                       "Forwarded": f"for={victim['ip']}"}):
            doc = meta_data_with(app, guest["ip"], spoof)
            assert doc["uuid"] == guest["id"], spoof
            # From an address no server holds: still nobody.
            get(app, "/openstack/latest/meta_data.json", "203.0.113.7",
                headers=spoof, status=404)


def meta_data_with(app, ip, headers):
    return get(app, "/openstack/latest/meta_data.json", ip,
               headers=headers).json


def test_forwarded_headers_from_a_trusted_proxy(cloud):
    guest = cloud.boot("guest")
    other = cloud.boot("other")
    cloud.configure("[metadata]\n"
                    "trusted_proxies = 198.51.100.7, 198.51.100.128/25\n")
    app = cloud.metadata()
    proxy, inner = "198.51.100.7", "198.51.100.200"
    for headers in ({"X-Forwarded-For": guest["ip"]},
                    {"Forwarded": f"for={guest['ip']}"},
                    {"Forwarded": f'for="{guest["ip"]}:4711";proto=http'},
                    {"Forwarded": f"for={other['ip']}, for={guest['ip']}"},
                    # What the guest claims is left of what the proxy saw.
                    {"X-Forwarded-For": f"{other['ip']}, {guest['ip']}"},
                    {"X-Forwarded-For": f"{other['ip']},{guest['ip']}"},
                    # Two proxies of ours in a row.
                    {"X-Forwarded-For": f"{other['ip']}, {guest['ip']}, "
                                        f"{inner}"},
                    # Both headers, telling the same.
                    {"X-Forwarded-For": guest["ip"],
                     "Forwarded": f"for={guest['ip']}"}):
        for peer in (proxy, inner):
            doc = meta_data_with(app, peer, headers)
            assert doc["uuid"] == guest["id"], headers
    # The headers disagree: one was written by the client.
    get(app, "/openstack/latest/meta_data.json", proxy, headers={
        "X-Forwarded-For": guest["ip"], "Forwarded": f"for={other['ip']}"},
        status=400)
    # The proxy's own address, an unknown one or garbage: nobody.
    for headers in ({}, {"X-Forwarded-For": "203.0.113.9"},
                    {"X-Forwarded-For": "unknown"},
                    {"Forwarded": "for=_hidden"},
                    {"Forwarded": 'for="[2001:db8::7]:4711"'},
                    {"X-Forwarded-For": inner}):
        get(app, "/openstack/latest/meta_data.json", proxy, headers=headers,
            status=404)


def test_proxy_headers_parsing_does_not_open_spoofing(cloud):
    """``[oslo_middleware] enable_proxy_headers_parsing`` (set for the
    compute API behind TLS) must not let a guest name another guest's
    address: oslo's middleware rewrites REMOTE_ADDR from X-Forwarded-For for
    any peer."""
    victim = cloud.boot("victim")
    guest = cloud.boot("guest")
    cloud.configure("[oslo_middleware]\nenable_proxy_headers_parsing = true\n")
    app = cloud.metadata()
    for spoof in ({"X-Forwarded-For": victim["ip"]},
                  {"Forwarded": f"for={victim['ip']}"}):
        resp = get(app, "/openstack/latest/meta_data.json", guest["ip"],
                   headers=spoof, status="*")
        assert resp.status_int != 200 or resp.json["uuid"] == guest["id"], \
            f"guest {guest['ip']} read {victim['ip']}'s data with {spoof}"


# -- Neutron proxy mode -------------------------------------------------------

@pytest.fixture
def proxied(cloud):
    cloud.configure(f"""
        [neutron]
        service_metadata_proxy = true
        metadata_proxy_shared_secret = {SECRET}
        """)
    return cloud


def test_proxy_mode_headers(proxied):
    server = proxied.boot(metadata=META)
    other = proxied.boot("other", who=DEMO, key_name=None)
    app = proxied.metadata()
    url = "/openstack/latest/meta_data.json"
    anywhere = "203.0.113.50"  # the agent's address does not matter
    # / before any lookup, with or without headers.
    assert_like_sample(get(app, "/", anywhere), "meta_root")
    assert_like_sample(get(app, "/", anywhere, headers=signed(server["id"])),
                       "meta_signed_root")
    # Missing headers: 400, upstream's message.
    assert_like_sample(get(app, url, anywhere, status=400),
                       "meta_latest_nohdrs")
    assert_like_sample(get(app, "/openstack", anywhere, status=400),
                       "meta_openstack_nohdrs")
    good = signed(server["id"])
    for missing in ("X-Instance-ID", "X-Instance-ID-Signature",
                    "X-Tenant-ID"):
        headers = {k: v for k, v in good.items() if k != missing}
        resp = get(app, url, anywhere, headers=headers, status=400)
        assert f"{missing} header is missing from request." in resp.text
        resp = get(app, url, anywhere, headers={**headers, missing: ""},
                   status=400)
        # Repeated (a server joins repeats with a comma).
        value = good[missing]
        resp = get(app, url, anywhere, headers={**good,
                                                missing: f"{value},{value}"},
                   status=400)
        assert f"Multiple {missing} headers found within request." in \
            resp.text
    # A bad signature: 403 with upstream's page.
    for bad in ("bad", signature(server["id"]).upper(),
                signature(server["id"], "other-secret"),
                signature(other["id"]), signature(server["id"])[:-1],
                signature(server["id"]) + "0", "\xe9" * 64):
        resp = get(app, url, anywhere, headers={
            **good, "X-Instance-ID-Signature": bad}, status=403)
        assert_like_sample(resp, "meta_bad_signature")
    # Unknown instance or another project's: 404, upstream's page.
    unknown = "9c8a3b4e-1111-4222-8333-444455556666"
    assert_like_sample(get(app, url, anywhere, headers=signed(unknown),
                           status=404), "meta_unknown_instance")
    assert_like_sample(get(app, url, anywhere, headers=signed(
        server["id"], tenant="other"), status=404), "meta_wrong_tenant")
    get(app, url, anywhere, headers=signed(other["id"], tenant="admin"),
        status=404)
    # Signed right: the instance's own data, whoever forwards it.
    doc = get(app, url, anywhere, headers=good).json
    assert (doc["uuid"], doc["meta"]) == (server["id"], META)
    doc = get(app, url, server["ip"], headers=signed(other["id"], "demo")).json
    assert doc["uuid"] == other["id"]
    # The fixed IP alone is not enough in this mode.
    get(app, url, server["ip"], status=400)
    # The whole tree answers through the proxy too.
    assert_like_sample(get(app, "/openstack", anywhere, headers=good),
                       "meta_openstack")
    assert get(app, "/latest/meta-data/local-ipv4", anywhere,
               headers=good).text == server["ip"]
    app.post("/openstack/latest/password", "pw", headers=good,
             extra_environ={"REMOTE_ADDR": anywhere})
    assert get(app, "/openstack/latest/password", anywhere,
               headers=good).text == "pw"


def test_proxy_mode_refuses_to_start_without_a_secret(cloud):
    cloud.configure("[neutron]\nservice_metadata_proxy = true\n")
    message = cloud.load_error()
    assert "metadata_proxy_shared_secret" in message
    assert "service_metadata_proxy" in message
    cloud.configure("[neutron]\nmetadata_proxy_shared_secret =\n")
    assert "metadata_proxy_shared_secret" in cloud.load_error()


def test_secret_and_signature_never_logged_or_served(proxied, caplog,
                                                     capfd):
    proxied.configure("[DEFAULT]\ndebug = true\n")
    server = proxied.boot()
    other = proxied.boot("other", who=DEMO, key_name=None)
    with caplog.at_level(logging.DEBUG):
        app = proxied.metadata()
        caplog.set_level(logging.DEBUG)
        logging.getLogger().setLevel(logging.DEBUG)
        for name in ("nova.api.metadata.instance", "nova.api.metadata.handler",
                     "nova.api.metadata.vendordata", "nova.db"):
            assert logging.getLogger(name).isEnabledFor(logging.DEBUG)
        unknown = "9c8a3b4e-1111-4222-8333-444455556666"
        seen = []
        requests = [
            signed(server["id"]), signed(server["id"], tenant="demo"),
            signed(other["id"], tenant="admin"), signed(unknown),
            {**signed(server["id"]), "X-Instance-ID-Signature": "bad"},
            {**signed(server["id"]), "X-Instance-ID-Signature":
             signature(server["id"]).upper()},
            {"X-Instance-ID": server["id"], "X-Tenant-ID": "admin"},
            {**signed(server["id"]), "X-Tenant-ID": "a,b"},
        ]
        for headers in requests:
            for path in ("/openstack/latest/meta_data.json",
                         "/openstack/latest/vendor_data2.json",
                         "/latest/meta-data/", "/openstack/latest/password"):
                resp = get(app, path, "203.0.113.50", headers=headers,
                           status="*")
                assert resp.status_int < 500
                seen.append(resp.body)
                seen.append(str(resp.headers).encode())
    out, err = capfd.readouterr()
    logged = caplog.text + out + err
    assert "Loaded the metadata API" in logged  # logging was captured
    assert "X-Instance-ID-Signature does not match" in logged
    forbidden = [SECRET] + [signature(i) for i in (server["id"], other["id"],
                                                   unknown)]
    for text in forbidden:
        assert text not in logged
        assert text.upper() not in logged
        for body in seen:
            assert text.encode() not in body


def test_proxy_mode_bounds_what_it_logs(proxied, caplog):
    server = proxied.boot()
    app = proxied.metadata()
    huge = "f" * 20000
    with caplog.at_level(logging.INFO):
        get(app, "/openstack/latest/meta_data.json", "203.0.113.50",
            headers=signed(huge), status=404)
        get(app, "/openstack/latest/meta_data.json", "203.0.113.50",
            headers={**signed(huge), "X-Instance-ID-Signature": "x"},
            status=403)
        get(app, "/openstack/latest/meta_data.json", "203.0.113.50",
            headers=signed(server["id"], tenant="t" * 20000), status=404)
    assert caplog.records
    assert all(len(r.getMessage()) < 400 for r in caplog.records)


def test_unexpected_errors_are_a_plain_500_logged_once(cloud, monkeypatch,
                                                      caplog):
    server = cloud.boot()
    app = cloud.metadata()

    def broken(*args):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(trees, "ec2_tree", broken)
    with caplog.at_level(logging.ERROR):
        resp = get(app, "/latest/meta-data/", server["ip"], status=500)
    assert resp.headers["Content-Type"] == HTML
    assert b"kaboom" not in resp.body and b"Traceback" not in resp.body
    assert b"<h1>500 Internal Server Error</h1>" in resp.body
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "kaboom" in caplog.text


def test_database_down_is_503_then_recovers(cloud, tmp_path):
    server = cloud.boot()
    moved = tmp_path / "moved"
    cloud.configure(
        f"[database]\nconnection = sqlite:///{moved}/nova.sqlite\n")
    app = cloud.metadata()
    # / needs no database; everything else waits for it.
    get(app, "/", server["ip"])
    resp = get(app, "/openstack/latest/meta_data.json", server["ip"],
               status=503)
    assert resp.headers["Content-Type"] == HTML
    moved.mkdir()
    source = sqlite3.connect(tmp_path / "nova.sqlite")
    copy = sqlite3.connect(moved / "nova.sqlite")
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()
    assert meta_data(app, server["ip"])["uuid"] == server["id"]


# == 3. freshness =============================================================

def test_changes_are_visible_on_the_next_request(cloud):
    server = cloud.boot(metadata={"a": "1"})
    app = cloud.metadata()
    ip = server["ip"]
    base = f"/v2.1/servers/{server['id']}"
    # Warm every cache the service has.
    assert meta_data(app, ip)["meta"] == {"a": "1"}
    get(app, "/latest/meta-data/", ip)
    get(app, "/openstack/latest/vendor_data2.json", ip)

    cloud.compute.put_json(f"{base}/metadata/b", {"meta": {"b": "2"}},
                           headers=ADMIN)
    assert meta_data(app, ip)["meta"] == {"a": "1", "b": "2"}
    cloud.compute.post_json(f"{base}/metadata", {"metadata": {"a": "x"}},
                            headers=ADMIN)
    assert meta_data(app, ip)["meta"] == {"a": "x", "b": "2"}
    cloud.compute.delete(f"{base}/metadata/a", headers=ADMIN, status=204)
    assert meta_data(app, ip)["meta"] == {"b": "2"}
    cloud.compute.put_json(f"{base}/metadata", {"metadata": {}},
                           headers=ADMIN)
    assert "meta" not in meta_data(app, ip)
    # A rename and a new hostname (2.90) reach meta_data.json and EC2.
    cloud.compute.put_json(base, {"server": {"name": "renamed",
                                             "hostname": "new-host"}},
                           headers={**ADMIN, "OpenStack-API-Version":
                                    "compute 2.90"})
    doc = meta_data(app, ip)
    assert (doc["name"], doc["hostname"]) == ("renamed", "new-host.novalocal")
    assert get(app, "/latest/meta-data/hostname", ip).text == \
        "new-host.novalocal"
    # Password set by the guest, cleared by the user.
    app.post("/openstack/latest/password", "pw",
             extra_environ={"REMOTE_ADDR": ip})
    assert get(app, "/openstack/latest/password", ip).text == "pw"
    cloud.compute.delete(f"{base}/os-server-password", headers=ADMIN,
                         status=204)
    assert get(app, "/openstack/latest/password", ip).text == ""
    # Deleted: gone at once, everywhere.
    cloud.compute.delete(base, headers=ADMIN, status=204)
    for path in ("/openstack/latest/meta_data.json", "/openstack",
                 "/latest/meta-data/", "/openstack/latest/password"):
        get(app, path, ip, status=404)
    app.post("/openstack/latest/password", "pw",
             extra_environ={"REMOTE_ADDR": ip}, status=404)


def test_deleted_server_is_404_at_once_in_proxy_mode(proxied):
    server = proxied.boot()
    app = proxied.metadata()
    headers = signed(server["id"])
    get(app, "/openstack/latest/meta_data.json", "203.0.113.50",
        headers=headers)
    proxied.compute.delete(f"/v2.1/servers/{server['id']}", headers=ADMIN,
                           status=204)
    get(app, "/openstack/latest/meta_data.json", "203.0.113.50",
        headers=headers, status=404)


def test_a_new_server_on_a_freed_address_is_a_new_guest(cloud):
    first = cloud.boot("first", metadata={"n": "1"})
    app = cloud.metadata()
    assert meta_data(app, first["ip"])["uuid"] == first["id"]
    cloud.compute.delete(f"/v2.1/servers/{first['id']}", headers=ADMIN,
                         status=204)
    resp = cloud.compute.post_json("/v2.1/servers", {"server": {
        "name": "second", "imageRef": IMAGE, "flavorRef": "1",
        "networks": [{"uuid": NETWORK_ID, "fixed_ip": first["ip"]}]}},
        headers=ADMIN)
    second = cloud.show(resp.json["server"]["id"])
    assert second["ip"] == first["ip"]
    doc = meta_data(app, first["ip"])
    assert doc["uuid"] == second["id"] and "meta" not in doc
    get(app, "/openstack/latest/user_data", first["ip"], status=404)


# == 4. vendor data ===========================================================

def test_static_vendor_data(cloud, tmp_path):
    data = {"ldap": "10.0.0.1", "nested": {"list": [1, 2, 3]}, "ü": "ok"}
    path = tmp_path / "vendor.json"
    path.write_text(json.dumps(data))
    server = cloud.boot()
    cloud.configure(f"[api]\nvendordata_jsonfile_path = {path}\n")
    app = cloud.metadata()
    resp = get(app, "/openstack/latest/vendor_data.json", server["ip"])
    assert resp.headers["Content-Type"] == JSON and resp.json == data
    resp = get(app, "/openstack/2013-10-17/vendor_data.json", server["ip"])
    assert resp.json == data
    resp = get(app, "/openstack/latest/vendor_data2.json", server["ip"])
    assert resp.headers["Content-Type"] == JSON
    assert resp.json == {"static": data}


@pytest.mark.parametrize("content, why", [
    (None, "cannot read"), ("{not json", "not valid JSON"),
    ("[1, 2]", "JSON object"), ("", "not valid JSON")])
def test_static_vendor_data_file_problems_stop_the_load(cloud, tmp_path,
                                                         content, why):
    path = tmp_path / "vendor.json"
    if content is not None:
        path.write_text(content)
    cloud.configure(f"[api]\nvendordata_jsonfile_path = {path}\n")
    message = cloud.load_error()
    assert str(path) in message and why in message
    assert "vendordata_jsonfile_path" in message


class Target:
    """A dynamic vendor data service played by pytest-httpserver."""

    def __init__(self, httpserver, answer=None):
        self.server = httpserver
        self.posts = []
        self.queries = []
        self.answer = answer or (lambda: Response(
            json.dumps({"color": "blue"}), 200,
            content_type="application/json"))
        httpserver.expect_request("/vd", method="POST").respond_with_handler(
            self._handle)

    def _handle(self, request):
        self.posts.append((dict(request.headers), request.get_data()))
        self.queries.append(request.query_string)
        return self.answer()

    def entry(self, name="team", query=""):
        return f"{name}@{self.server.url_for('/vd')}{query}"


@pytest.fixture
def target(httpserver):
    yield Target(httpserver)
    httpserver.clear()


def test_dynamic_vendor_data(cloud, target, tmp_path):
    static = tmp_path / "vendor.json"
    static.write_text('{"ldap": "10.0.0.1"}')
    server = cloud.boot(metadata=META)
    cloud.configure(f"""
        [api]
        vendordata_providers = StaticJSON,DynamicJSON
        vendordata_jsonfile_path = {static}
        vendordata_dynamic_targets = {target.entry(query="?from=nova")}
        """)
    app = cloud.metadata()
    resp = get(app, "/openstack/latest/vendor_data2.json", server["ip"])
    assert resp.headers["Content-Type"] == JSON
    assert resp.json == {"static": {"ldap": "10.0.0.1"},
                         "team": {"color": "blue"}}
    assert target.queries == [b"from=nova"]
    (headers, body), = target.posts
    assert headers["Content-Type"] == "application/json"
    assert headers["Accept"] == "application/json"
    assert json.loads(body) == {
        "project-id": "admin", "instance-id": server["id"],
        "image-id": IMAGE, "user-data": base64.b64encode(USER_DATA).decode(),
        "hostname": "seeded-vm", "metadata": META,
        # Upstream sends the roles of whoever booted the server; this
        # store does not keep them (yet).
        "boot-roles": ""}
    # Asked on every vendor_data2.json request, never for the others.
    get(app, "/openstack/2016-10-06/vendor_data2.json", server["ip"])
    for path in ("/openstack/latest/vendor_data.json",
                 "/openstack/latest/meta_data.json", "/latest/meta-data/"):
        get(app, path, server["ip"])
    assert len(target.posts) == 2


def test_dynamic_vendor_data_without_user_data_or_static(cloud, target):
    server = cloud.boot(user_data=None)
    cloud.configure(f"""
        [api]
        vendordata_providers = DynamicJSON
        vendordata_dynamic_targets = {target.entry("only")}
        """)
    app = cloud.metadata()
    resp = get(app, "/openstack/latest/vendor_data2.json", server["ip"])
    # No StaticJSON provider: no "static" key, as upstream.
    assert resp.json == {"only": {"color": "blue"}}
    assert json.loads(target.posts[0][1])["user-data"] is None
    assert get(app, "/openstack/latest/vendor_data.json",
               server["ip"]).json == {}


def test_dynamic_target_names_must_be_unique(cloud, target):
    for targets in (f"{target.entry('static')}",
                    f"{target.entry('a')},{target.entry('a')}"):
        cloud.configure(f"""
            [api]
            vendordata_providers = StaticJSON,DynamicJSON
            vendordata_dynamic_targets = {targets}
            """)
        assert "used twice" in cloud.load_error()
    cloud.configure("[api]\nvendordata_dynamic_targets = no-url-here\n")
    assert "vendordata_dynamic_targets" in cloud.load_error()
    cloud.configure("[api]\nvendordata_providers = StaticJSON,Nope\n")
    message = cloud.load_error()
    assert "vendordata_providers" in message and "Nope" in message


def _slow():
    time.sleep(2.5)
    return Response("{}", 200, content_type="application/json")


FAILURES = {
    "500": lambda: Response("oops", 500),
    "slow": _slow,
    "not-json": lambda: Response("<html>hi</html>", 200,
                                 content_type="text/html"),
    "not-an-object": lambda: Response("[1, 2]", 200,
                                      content_type="application/json"),
    "empty": lambda: Response("", 200),
    "404": lambda: Response("{}", 404),
    "huge": lambda: Response(json.dumps({"x": "y" * (1024 * 1024)}), 200,
                             content_type="application/json"),
}


@pytest.mark.parametrize("kind", sorted(FAILURES))
@pytest.mark.parametrize("fatal", [False, True])
def test_failing_dynamic_target(cloud, httpserver, caplog, kind, fatal):
    failing = Target(httpserver, FAILURES[kind])
    server = cloud.boot()
    cloud.configure(f"""
        [api]
        vendordata_providers = StaticJSON,DynamicJSON
        vendordata_dynamic_targets = {failing.entry("bad")}
        vendordata_dynamic_read_timeout = 1
        vendordata_dynamic_connect_timeout = 3
        vendordata_dynamic_failure_fatal = {str(fatal).lower()}
        """)
    app = cloud.metadata()
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        resp = get(app, "/openstack/latest/vendor_data2.json", server["ip"],
                   status="*")
    assert time.monotonic() - started < 2.4  # the read timeout, not 2.5 s
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING
                and "bad" in r.getMessage()]
    assert warnings, caplog.text
    if fatal:
        assert resp.status_int == 503
        assert resp.headers["Content-Type"] == HTML
    else:
        assert resp.status_int == 200
        assert resp.json == {"static": {}, "bad": {}}
    # The rest of the tree does not depend on the target.
    get(app, "/openstack/latest/meta_data.json", server["ip"])
    httpserver.clear()


def test_unreachable_target_and_a_good_one(cloud, target, caplog):
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nobody listens there now: connection refused
    server = cloud.boot()
    gone = f"gone@http://127.0.0.1:{port}/x"
    cloud.configure(f"""
        [api]
        vendordata_providers = StaticJSON,DynamicJSON
        vendordata_dynamic_targets = {gone},{target.entry()}
        """)
    app = cloud.metadata()
    with caplog.at_level(logging.WARNING):
        resp = get(app, "/openstack/latest/vendor_data2.json", server["ip"])
    assert resp.json == {"static": {}, "gone": {}, "team": {"color": "blue"}}
    assert "gone" in caplog.text


# == 5. bounded input =========================================================

def test_bodies_over_the_size_limit_are_413(cloud):
    server = cloud.boot()
    cloud.configure("[oslo_middleware]\nmax_request_body_size = 512\n")
    app = cloud.metadata()
    ip = server["ip"]
    url = "/openstack/latest/password"
    resp = app.post(url, "x" * 513, extra_environ={"REMOTE_ADDR": ip},
                    status=413)
    # Declared or not (chunked), the answer is 413, never a 500.
    status, _h, _b = raw(app, url, ip, method="POST", body=b"x" * 600,
                         length=False)
    assert status == 413
    for path in ("/openstack/latest/meta_data.json", "/", "/latest/"):
        status, _h, _b = raw(app, path, ip, method="POST", body=b"x" * 600)
        assert status == 413, path
    assert get(app, url, ip).text == ""
    # Within the limit, the password's own 1020-byte rule holds.
    app.post(url, "x" * 512, extra_environ={"REMOTE_ADDR": ip})
    assert get(app, url, ip).text == "x" * 512
    assert resp.status_int == 413
