"""cloud-init's own metadata readers, unmodified, against the metadata API.

Debian's ``cloud-init`` package (22.4, installed by ``tools/bootstrap.sh``
with its systemd units disabled) provides ``cloudinit`` to
``/usr/bin/python3``.
The metadata API is served by gunicorn on 127.0.0.1 in direct mode; the
flat network is ``127.0.0.0/24``, so the test's server gets the fixed IP
127.0.0.2 and the reader, run in a subprocess, connects *from* 127.0.0.2:
the service identifies the guest by the source address, as on a real
hypervisor. cloud-init talks to its default address http://169.254.169.254;
the reader's connections to it go to the gunicorn port instead (what the
hypervisor's DNAT rule does). Nothing else in cloud-init is changed but
the platform check (this is no OpenStack VM) and the guest's NIC list (the
server's MAC is the guest's eth0).

The reader runs cloud-init's OpenStack datasource end to end
(``DataSourceOpenStack.get_data``: version discovery, ``read_v2``, the EC2
tree it reads along, vendor data, network_data.json converted to network
config) and the EC2 helpers (``get_instance_metadata``,
``get_instance_userdata``), with every cloud-init log record captured: a
warning or error, a missing key or a wrong value fails the test.
"""

import base64
import json
import os
import socket
import subprocess
import textwrap

import pytest
import webtest

from nova import loading
from tests.deploy import servers
from tests.helpers import (
    ADMIN,
    GUEST_KEY,
    IMAGE,
    add_image,
    make_flavor,
    sync_db,
)

SYSTEM_PYTHON = "/usr/bin/python3"
GUEST_IP = "127.0.0.2"
USER_DATA = b"#cloud-config\npackages: [htop]\nruncmd:\n - echo hi\n"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def _has_cloud_init():
    try:
        done = subprocess.run(
            [SYSTEM_PYTHON, "-c", "import cloudinit.version as v; "
             "print(v.version_string())"],
            capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _env(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("OS_") and not k.lower().endswith("_proxy")}
    env.update(NO_PROXY="*", no_proxy="*", HOME=str(tmp_path))
    return env


class MetadataServer(servers.Gunicorn):
    """gunicorn serving the metadata API from ``etc``; ``port``."""

    def __init__(self, tmp_path, etc):
        self.access_log = tmp_path / "access.log"
        env = _env(tmp_path)
        env["OS_NOVA_CONFIG_DIR"] = str(etc)
        super().__init__(
            "nova.wsgi.metadata:application", tmp_path / "gunicorn.log",
            env, tmp_path, options=(
                "--workers", "2", "--access-logfile", self.access_log,
                "--access-logformat", '%(h)s "%(r)s" %(s)s %(b)s'))

    def logs(self):
        parts = []
        for title, path in (("access log", self.access_log),
                            ("gunicorn/API log", self.log)):
            text = path.read_text(errors="replace") if path.exists() else ""
            parts.append(f"----- {title} ({path}) -----\n{text}")
        return "\n".join(parts)


@pytest.fixture
def guest(tmp_path, config_dir, unavailable):
    """A server on the flat network 127.0.0.0/24 (so its fixed IP is
    127.0.0.2), made through the compute API; returns its view."""
    version = _has_cloud_init()
    if version is None:
        unavailable(f"cloud-init for {SYSTEM_PYTHON} (tools/bootstrap.sh "
                    "installs Debian's cloud-init)")
    url = f"sqlite:///{tmp_path}/nova.sqlite"
    config_dir.paste()
    config_dir.write("nova.conf", f"""
        [api]
        auth_strategy = noauth2
        [database]
        connection = {url}
        [compute]
        build_time = 0
        [network]
        cidr = 127.0.0.0/24
        dns_servers = 127.0.0.53
        mtu = 1450
        """)
    sync_db(url)
    add_image(config_dir, "cirros", image_id=IMAGE)
    compute = webtest.TestApp(config_dir.load("osapi_compute"))
    make_flavor(compute, "m1.tiny", flavor_id="1")
    compute.post_json("/v2.1/os-keypairs", {"keypair": {
        "name": "seedkey", "public_key": GUEST_KEY}}, headers=ADMIN)
    resp = compute.post_json("/v2.1/servers", {"server": {
        "name": "ci-guest", "imageRef": IMAGE, "flavorRef": "1",
        "key_name": "seedkey", "user_data": base64.b64encode(
            USER_DATA).decode(), "metadata": {"role": "web"}}},
        headers=ADMIN)
    server = compute.get(f"/v2.1/servers/{resp.json['server']['id']}",
                         headers={**ADMIN, "OpenStack-API-Version":
                                  "compute 2.3"}).json["server"]
    (address,) = server["addresses"]["private"]
    assert address["addr"] == GUEST_IP
    server["mac"] = address["OS-EXT-IPS-MAC:mac_addr"]
    server["cloud_init"] = version
    loading._loaded_api = None  # the metadata API runs in gunicorn anyway
    return server


@pytest.fixture
def metadata_server(tmp_path, config_dir, guest):
    server = MetadataServer(tmp_path, config_dir.path)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        print(server.logs())  # shown by pytest when the test failed


# The reader, run by /usr/bin/python3 with Debian's cloudinit.
READER = textwrap.dedent('''
    import base64, json, logging, sys, tempfile

    port, source, mac = int(sys.argv[1]), sys.argv[2], sys.argv[3]

    # The network path of a guest: from its fixed IP, and 169.254.169.254:80
    # forwarded to the metadata API (the hypervisor's DNAT rule).
    import urllib3.util.connection as connection
    _create = connection.create_connection

    def create_connection(address, *args, **kwargs):
        host, dport = address
        if (host, dport) == ("169.254.169.254", 80):
            address = ("127.0.0.1", port)
        kwargs["source_address"] = (source, 0)
        return _create(address, *args, **kwargs)

    connection.create_connection = create_connection

    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append([record.levelname, record.name,
                            record.getMessage()])

    # After the imports: cloudinit.log resets the root logger on import.
    from cloudinit import distros, helpers, net
    from cloudinit.sources import DataSourceOpenStack as ds_openstack
    from cloudinit.sources.helpers import ec2, openstack

    logging.getLogger().addHandler(Keep())
    logging.getLogger().setLevel(logging.DEBUG)

    # Not an OpenStack VM (no DMI product name), and this machine has no
    # NIC with the guest's MAC: the guest's answers to both.
    ds_openstack.detect_openstack = lambda accept_oracle=False: True
    net.get_interfaces_by_mac = lambda *a, **k: {mac: "eth0"}

    tmp = tempfile.mkdtemp()
    paths = helpers.Paths({"cloud_dir": tmp + "/cloud",
                           "run_dir": tmp + "/run"})
    distro = distros.fetch("debian")("debian", {}, paths)
    sys_cfg = {"datasource_list": ["OpenStack"],
               "datasource": {"OpenStack": {"max_wait": 20, "timeout": 5,
                                            "retries": 2}}}
    ds = ds_openstack.DataSourceOpenStack(sys_cfg, distro, paths)
    ok = ds.get_data()
    md = dict(ds.metadata)
    seed = md.pop("random_seed", b"")
    out = {
        "ok": ok,
        "metadata_address": ds.metadata_address,
        "version": ds.version,
        "metadata": md,
        "random_seed_bytes": len(seed),
        "instance_id": ds.get_instance_id(),
        "hostname": ds.get_hostname().hostname,
        "fqdn": ds.get_hostname(fqdn=True).hostname,
        "public_keys": ds.get_public_ssh_keys(),
        "availability_zone": ds.availability_zone,
        "userdata_raw": base64.b64encode(ds.userdata_raw or b"").decode(),
        "vendordata_pure": ds.vendordata_pure,
        "vendordata2_pure": ds.vendordata2_pure,
        "network_json": ds.network_json,
        "network_config": ds.network_config,
        "ec2_metadata": ds.ec2_metadata,
        "files": ds.files,
        "platform": ds.platform_type,
    }
    # The EC2 helpers on their own, newest and 2009-04-04 trees.
    base = "http://169.254.169.254"
    out["ec2_latest"] = ec2.get_instance_metadata(
        api_version="latest", metadata_address=base, retries=0)
    out["ec2_2009"] = ec2.get_instance_metadata(
        api_version="2009-04-04", metadata_address=base, retries=0)
    out["ec2_userdata"] = base64.b64encode(ec2.get_instance_userdata(
        api_version="latest", metadata_address=base, retries=0)).decode()
    # The OpenStack reader on its own.
    reader = openstack.MetadataReader(base, retries=0)
    out["versions"] = reader._fetch_available_versions()
    out["working_version"] = reader._find_working_version()
    out["records"] = records
    print(json.dumps(out, default=repr))
''')


def test_cloud_init_reads_everything(tmp_path, guest, metadata_server):
    script = tmp_path / "reader.py"
    script.write_text(READER)
    done = subprocess.run(
        [SYSTEM_PYTHON, str(script), str(metadata_server.port), GUEST_IP,
         guest["mac"]], env=_env(tmp_path), capture_output=True, text=True,
        timeout=120)
    assert done.returncode == 0, done.stderr + metadata_server.logs()
    out = json.loads(done.stdout)
    records = out.pop("records")
    # Not a warning, and not even a debug note of an optional file that
    # could not be read.
    problems = [r for r in records if r[0] not in ("DEBUG", "INFO")
                or "Failed" in r[2] or "Skipped" in r[2]]
    for name in ("meta_data.json", "user_data", "vendor_data.json",
                 "vendor_data2.json", "network_data.json"):
        assert any(f"/openstack/2018-08-27/{name} (200," in r[2]
                   for r in records), name
    assert not problems, json.dumps(problems, indent=1)
    assert out["ok"] is True, json.dumps(records, indent=1)
    uuid = guest["id"]
    fqdn = "ci-guest.novalocal"

    # -- OpenStack: the newest version cloud-init knows, read in full.
    assert out["metadata_address"] == "http://169.254.169.254"
    assert out["version"] == 2
    assert out["versions"][-1] == "latest"
    assert out["working_version"] == "2018-08-27"
    md = out["metadata"]
    assert md["uuid"] == md["instance-id"] == uuid
    assert out["instance_id"] == uuid
    assert md["hostname"] == md["local-hostname"] == fqdn
    assert (out["hostname"], out["fqdn"]) == ("ci-guest", fqdn)
    assert md["name"] == "ci-guest"
    assert md["meta"] == {"role": "web"}
    assert md["public_keys"] == {"seedkey": GUEST_KEY}
    assert md["keys"] == [{"name": "seedkey", "type": "ssh",
                           "data": GUEST_KEY}]
    assert out["public_keys"] == [GUEST_KEY]
    assert md["availability_zone"] == out["availability_zone"] == "nova"
    assert md["launch_index"] == 0
    assert md["project_id"] == "admin"
    assert md["devices"] == []
    assert out["random_seed_bytes"] == 512
    assert base64.b64decode(out["userdata_raw"]) == USER_DATA
    assert out["vendordata_pure"] == {}
    assert out["vendordata2_pure"] == {"static": {}}
    assert out["files"] == {}
    assert out["platform"] == "openstack"

    # -- network_data.json, and cloud-init's network config made from it.
    net = out["network_json"]
    assert net["networks"][0]["ip_address"] == GUEST_IP
    assert net["links"][0]["ethernet_mac_address"] == guest["mac"]
    assert out["network_config"] == {"version": 1, "config": [
        {"name": "eth0", "type": "physical", "mac_address": guest["mac"],
         "mtu": 1450, "subnets": [{
             "type": "static", "address": GUEST_IP,
             "netmask": "255.255.255.0", "ipv4": True,
             "routes": [{"network": "0.0.0.0", "netmask": "0.0.0.0",
                         "gateway": "127.0.0.1"}]}]},
        {"type": "nameserver", "address": "127.0.0.53"}]}

    # -- EC2, as the OpenStack datasource and the helpers read it.
    for ec2 in (out["ec2_metadata"], out["ec2_latest"], out["ec2_2009"]):
        assert ec2["instance-id"].startswith("i-")
        assert ec2["ami-id"].startswith("ami-")
        assert ec2["local-ipv4"] == GUEST_IP
        assert ec2["hostname"] == ec2["local-hostname"] == fqdn
        assert ec2["public-hostname"] == fqdn
        assert ec2["public-ipv4"] == ""
        assert ec2["public-keys"] == {"seedkey": GUEST_KEY}
        assert ec2["placement"] == {"availability-zone": "nova"}
        assert ec2["block-device-mapping"] == {"ami": "vda",
                                               "root": "/dev/vda"}
        assert ec2["instance-type"] == "m1.tiny"
        assert ec2["instance-action"] == "none"
        assert ec2["security-groups"] == "default"
        assert ec2["reservation-id"] == guest[
            "OS-EXT-SRV-ATTR:reservation_id"]
        assert ec2["ami-launch-index"] == "0"
        assert ec2["ami-manifest-path"] == "FIXME"
    assert out["ec2_metadata"] == out["ec2_latest"] == out["ec2_2009"]
    assert base64.b64decode(out["ec2_userdata"]) == USER_DATA

    # Every request came from the guest's address, and none failed.
    access = metadata_server.access_log.read_text().splitlines()
    assert access and all(line.startswith(GUEST_IP + " ")
                          for line in access if "/healthcheck" not in line)
    assert not [line for line in access
                if line.rsplit(" ", 2)[1] != "200"], access


def _raw(port, source, request):
    """Send ``request`` bytes as they are; the status code of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10,
                                  source_address=(source, 0)) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return int(data.split(b" ", 2)[1]) if data else None


def test_odd_requests_through_a_real_server(guest, metadata_server):
    """What a WSGI server decodes (percent-encoding, NUL, long paths) never
    makes a 500, and an address other than the guest's gets nothing."""
    port = metadata_server.port
    for target in ("/%2e%2e/%2e%2e/etc/passwd", "/openstack/%2e%2e",
                   "/openstack//latest", "/..", "/openstack/latest/%00",
                   "/%00", "/%ff%fe", "/openstack/latest/meta_data.json%2F..",
                   "/latest/meta-data/%2e/hostname", "/" + "a" * 5000,
                   "/openstack/" + "%41" * 2000, "/ec2/../../",
                   "/latest/meta-data//hostname"):
        request = (f"GET {target} HTTP/1.1\r\nHost: x\r\n"
                   "Connection: close\r\n\r\n").encode()
        status = _raw(port, GUEST_IP, request)
        assert status in (400, 404, 414), (target, status)
    ok = b"GET /openstack/latest/meta_data.json HTTP/1.1\r\nHost: x\r\n" \
         b"Connection: close\r\n\r\n"
    assert _raw(port, GUEST_IP, ok) == 200
    assert _raw(port, "127.0.0.3", ok) == 404
    # The method rule and the password through a real server.
    assert _raw(port, GUEST_IP, ok.replace(b"GET", b"DELETE")) == 405
    post = (b"POST /openstack/latest/password HTTP/1.1\r\nHost: x\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            + b"%x\r\n" % 1021 + b"x" * 1021 + b"\r\n0\r\n\r\n")
    assert _raw(port, GUEST_IP, post) == 400
    assert "Traceback" not in metadata_server.log.read_text()
