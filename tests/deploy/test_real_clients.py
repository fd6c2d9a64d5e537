"""Real OpenStack clients, unmodified, against the API under a real server.

openstacksdk and python-novaclient (in this process) and the ``openstack``
CLI (in subprocesses) drive the whole life of a server against the compute
API served by gunicorn on a loopback port: create a flavor, import a
keypair, boot a server and wait for ACTIVE, list, show, reboot, stop,
start, set and unset metadata and tags, delete and wait until it is gone.

Without Keystone the clients use keystoneauth's ``admin_token`` plugin: a
fixed ``X-Auth-Token`` and one endpoint for every service. With
``[api] auth_strategy = noauth2`` the token ``admin:admin`` is the admin of
the project ``admin``. Nothing is downloaded: the image is a catalogue
entry made with ``nova-manage image create``, the network is the built-in
flat one. On failure pytest shows the server's access and error logs (they
are printed at teardown, where pytest keeps them for failed tests only).
"""

import base64
import hashlib
import importlib.util
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from tests.deploy import servers
from tests.helpers import PASTE

BIN = pathlib.Path(sys.executable).parent
IMAGE_ID = "7c2d6a4e-3f5b-4d8e-9a1c-0b2e4f6a8d10"
TOKEN = "admin:admin"  # noauth2: user "admin" of project "admin", an admin
WAIT = 30  # seconds any single transition may take (build_time is 0.5)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


def _client_env(tmp_path):
    """os.environ without OpenStack settings or proxies, HOME in tmp_path.

    A clouds.yaml or OS_* variable of whoever runs the tests must not
    steer the clients, and a proxy must not see loopback traffic.
    """
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("OS_") and not k.lower().endswith("_proxy")}
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_CACHE_HOME=str(home / ".cache"), NO_PROXY="*",
               no_proxy="*", PYTHONWARNINGS="ignore")
    return env


def _run(argv, env, timeout=60):
    done = subprocess.run(argv, env=env, capture_output=True, text=True,
                          timeout=timeout)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(map(str, argv))} exited {done.returncode}\n"
                    f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}")
    return done.stdout


class ComputeServer(servers.Gunicorn):
    """gunicorn serving the compute API; ``url`` is the /v2.1 endpoint."""

    def __init__(self, tmp_path, hosts=None):
        self.dir = tmp_path
        self.hosts = hosts  # [compute] hosts; None: the default, one
        self.etc = tmp_path / "etc"
        self.access_log = tmp_path / "access.log"
        env = _client_env(tmp_path)
        env["OS_NOVA_CONFIG_DIR"] = str(self.etc)
        super().__init__(
            "nova.wsgi.osapi_compute:application", tmp_path / "gunicorn.log",
            env, tmp_path, options=("--workers", "2", "--access-logfile",
                                    self.access_log))
        self.url = self.root = None

    def configure(self):
        self.etc.mkdir()
        shutil.copy(PASTE, self.etc / "api-paste.ini")
        (self.etc / "nova.conf").write_text(
            "[api]\n"
            "auth_strategy = noauth2\n"
            "[database]\n"
            f"connection = sqlite:///{self.dir}/nova.sqlite\n"
            "[compute]\n"
            "build_time = 0.5\n"
            "action_time = 0.2\n"
            + (f"hosts = {self.hosts}\n" if self.hosts else ""))
        manage = [str(BIN / "nova-manage")]
        if not (BIN / "nova-manage").exists():
            manage = [sys.executable, "-m", "nova.cmd.manage"]
        _run([*manage, "db", "sync"], self.env)
        _run([*manage, "image", "create", "cirros", "--id", IMAGE_ID],
             self.env)

    def start(self):
        super().start()
        self.root = f"http://127.0.0.1:{self.port}"
        self.url = self.root + "/v2.1"

    def logs(self):
        parts = []
        for title, path in (("gunicorn access log", self.access_log),
                            ("gunicorn/API log", self.log)):
            text = path.read_text(errors="replace") if path.exists() else ""
            parts.append(f"----- {title} ({path}) -----\n{text}")
        return "\n".join(parts)


@pytest.fixture(scope="module")
def deploy_tools():
    """Overrides the one of tests/conftest.py for this module.

    These tests need neither root nor Apache, mod_wsgi or uWSGI: only
    gunicorn and the clients, all in the ``test`` extra.
    """
    missing = [name for name in ("gunicorn", "openstack", "novaclient")
               if importlib.util.find_spec(name) is None]
    if not (BIN / "openstack").exists():
        missing.append(str(BIN / "openstack"))
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: install the test extra "
                    "(pip install -e '.[test]', or tools/bootstrap.sh)")


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    """The in-process clients talk to loopback directly, whatever the env."""
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NO_PROXY", "*")
    monkeypatch.setenv("no_proxy", "*")


@pytest.fixture
def compute_server(tmp_path):
    yield from _serve(ComputeServer(tmp_path))


@pytest.fixture
def two_host_server(tmp_path):
    """A resize moves a server to another host by default (as upstream):
    the action tests have two."""
    yield from _serve(ComputeServer(
        tmp_path, hosts="compute1:nova:16:32768:1000, "
                        "compute2:nova:16:32768:1000"))


def _serve(server):
    try:
        server.configure()
        server.start()
        yield server
    finally:
        server.stop()
        # Shown by pytest only when the test failed.
        print(server.logs())


@pytest.fixture
def public_key(tmp_path):
    """A fresh ssh-ed25519 public key: (text, path, MD5 fingerprint)."""
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    text = key.public_bytes(serialization.Encoding.OpenSSH,
                            serialization.PublicFormat.OpenSSH).decode()
    text += " tester@example"
    path = tmp_path / "id_ed25519.pub"
    path.write_text(text + "\n")
    digest = hashlib.md5(base64.b64decode(text.split()[1])).hexdigest()
    fingerprint = ":".join(digest[i:i + 2] for i in range(0, 32, 2))
    return text, path, fingerprint


# -- openstacksdk -------------------------------------------------------------

def _wait(compute, server, status):
    """Wait for ``status`` as SDK users do, from a fresh copy.

    ``wait_for_server`` returns at once when the object it is given already
    has the status, so right after an action it must be fetched again.
    """
    server = compute.wait_for_server(compute.get_server(server.id),
                                     status=status, interval=0.2, wait=WAIT)
    assert server.task_state is None
    return server


def test_openstacksdk_server_life(compute_server, public_key):
    import openstack
    from openstack import exceptions

    key_text, _path, fingerprint = public_key
    conn = openstack.connect(
        auth_type="admin_token",
        auth={"token": TOKEN, "endpoint": compute_server.url},
        load_yaml_config=False, load_envvars=False)
    compute = conn.compute
    try:
        flavor = compute.create_flavor(name="m1.sdk", ram=256, vcpus=1,
                                       disk=1)
        assert (flavor.name, flavor.ram, flavor.vcpus, flavor.disk) == (
            "m1.sdk", 256, 1, 1)
        assert "m1.sdk" in [f.name for f in compute.flavors()]

        keypair = compute.create_keypair(name="sdk-key",
                                         public_key=key_text)
        assert keypair.fingerprint == fingerprint
        assert compute.get_keypair("sdk-key").public_key == key_text

        server = compute.create_server(
            name="sdk-server", image_id=IMAGE_ID, flavor_id=flavor.id,
            key_name="sdk-key", networks="auto", metadata={"role": "test"})
        assert server.admin_password
        server = _wait(compute, server, "ACTIVE")
        assert server.status == "ACTIVE"
        assert server.task_state is None
        assert server.vm_state == "active"
        assert server.power_state == 1

        listed = {s.id: s for s in compute.servers()}
        assert server.id in listed
        assert listed[server.id].name == "sdk-server"
        assert listed[server.id].status == "ACTIVE"
        assert compute.find_server("sdk-server").id == server.id

        shown = compute.get_server(server.id)
        assert shown.name == "sdk-server"
        assert shown.key_name == "sdk-key"
        assert shown.image.id == IMAGE_ID
        assert shown.flavor.original_name == "m1.sdk"
        assert shown.metadata == {"role": "test"}
        addresses = [a["addr"] for net in shown.addresses.values()
                     for a in net]
        assert len(addresses) == 1

        compute.reboot_server(server, "SOFT")
        server = _wait(compute, server, "ACTIVE")
        assert (server.status, server.task_state) == ("ACTIVE", None)

        compute.stop_server(server)
        server = _wait(compute, server, "SHUTOFF")
        assert server.vm_state == "stopped"
        assert server.power_state == 4

        compute.start_server(server)
        server = _wait(compute, server, "ACTIVE")
        assert server.power_state == 1

        compute.set_server_metadata(server, color="blue", size="small")
        assert compute.get_server_metadata(server).metadata == {
            "role": "test", "color": "blue", "size": "small"}
        compute.delete_server_metadata(server, ["color", "role"])
        assert compute.get_server_metadata(server).metadata == {
            "size": "small"}
        assert compute.get_server(server.id).metadata == {"size": "small"}

        server.add_tag(compute, "blue")
        server.add_tag(compute, "green")
        assert sorted(compute.get_server(server.id).tags) == [
            "blue", "green"]
        server.remove_tag(compute, "blue")
        assert compute.get_server(server.id).tags == ["green"]
        server.set_tags(compute, ["a", "b"])
        assert sorted(compute.get_server(server.id).tags) == ["a", "b"]
        assert server.check_tag(compute, "a")
        server.remove_all_tags(compute)
        assert compute.get_server(server.id).tags == []

        compute.delete_server(server)
        compute.wait_for_delete(server, interval=0.2, wait=WAIT)
        with pytest.raises(exceptions.NotFoundException):
            compute.get_server(server.id)
        assert server.id not in [s.id for s in compute.servers()]

        compute.delete_keypair("sdk-key")
        compute.delete_flavor(flavor)
        assert "m1.sdk" not in [f.name for f in compute.flavors()]
    finally:
        conn.close()


# -- the openstack CLI --------------------------------------------------------

class CLI:
    def __init__(self, server, tmp_path):
        self.argv = [str(BIN / "openstack")]
        self.env = _client_env(tmp_path)
        # admin_token: one endpoint for every service. flavor create and
        # keypair create also look at the identity service.
        self.env.update(OS_AUTH_TYPE="admin_token", OS_TOKEN=TOKEN,
                        OS_ENDPOINT=server.url, OS_IDENTITY_API_VERSION="3",
                        OS_IDENTITY_ENDPOINT_OVERRIDE=server.url)

    def __call__(self, *args):
        return _run([*self.argv, *args], self.env)

    def json(self, *args):
        return json.loads(self(*args, "-f", "json"))

    def show(self, server):
        return self.json("server", "show", server)

    def wait_for(self, server, status):
        """Poll ``server show`` (stop and start have no --wait)."""
        deadline = time.monotonic() + WAIT
        while True:
            shown = self.show(server)
            if (shown["status"] == status
                    and shown["OS-EXT-STS:task_state"] is None):
                return shown
            assert shown["status"] != "ERROR", shown
            assert time.monotonic() < deadline, (
                f"{server} still {shown['status']}, expected {status}")
            time.sleep(0.2)


def test_openstack_cli_server_life(compute_server, public_key, tmp_path):
    _text, key_path, fingerprint = public_key
    cli = CLI(compute_server, tmp_path)

    flavor = cli.json("flavor", "create", "--ram", "256", "--vcpus", "1",
                      "--disk", "1", "m1.cli")
    assert (flavor["name"], flavor["ram"], flavor["vcpus"],
            flavor["disk"]) == ("m1.cli", 256, 1, 1)

    keypair = cli.json("keypair", "create", "--public-key", str(key_path),
                       "cli-key")
    assert (keypair["name"], keypair["fingerprint"]) == (
        "cli-key", fingerprint)

    # The image is found by name through the compute API's /images.
    created = cli.json("server", "create", "--image", "cirros",
                       "--flavor", "m1.cli", "--key-name", "cli-key",
                       "--auto-network", "--property", "role=test",
                       "--wait", "cli-server")
    assert created["status"] == "ACTIVE"
    assert created["name"] == "cli-server"
    server_id = created["id"]

    listed = cli.json("server", "list")
    assert [(s["Name"], s["Status"], s["Image"], s["Flavor"])
            for s in listed] == [("cli-server", "ACTIVE", "cirros",
                                  "m1.cli")]
    assert list(listed[0]["Networks"]) == ["private"]

    shown = cli.show("cli-server")
    assert shown["id"] == server_id
    assert shown["status"] == "ACTIVE"
    assert shown["key_name"] == "cli-key"
    assert shown["OS-EXT-STS:vm_state"] == "active"
    assert shown["flavor"]["original_name"] == "m1.cli"
    # "server show" names the image with its image (Glance) client, which
    # admin_token points at this endpoint too: Glance reads the name at the
    # top level, Nova's /images/{id} nests it under "image", so the CLI
    # prints "None (<id>)" here, as it does against upstream Nova. "server
    # list" resolves names from the /images list, which both APIs share.
    assert IMAGE_ID in shown["image"]
    assert shown["properties"] == {"role": "test"}

    # --wait exits 0 only once the server is ACTIVE again.
    cli("server", "reboot", "--soft", "--wait", "cli-server")

    cli("server", "stop", "cli-server")
    stopped = cli.wait_for("cli-server", "SHUTOFF")
    assert stopped["OS-EXT-STS:vm_state"] == "stopped"
    assert stopped["OS-EXT-STS:power_state"] == 4

    cli("server", "start", "cli-server")
    started = cli.wait_for("cli-server", "ACTIVE")
    assert started["OS-EXT-STS:power_state"] == 1

    # Metadata and tags in one command each way, as "server set" and
    # "server unset" allow (every CLI run costs a Python start-up).
    cli("server", "set", "--property", "color=blue", "--property",
        "size=small", "--tag", "blue", "--tag", "green", "cli-server")
    shown = cli.show("cli-server")
    assert shown["properties"] == {
        "role": "test", "color": "blue", "size": "small"}
    assert sorted(shown["tags"]) == ["blue", "green"]

    cli("server", "unset", "--property", "color", "--property", "role",
        "--tag", "blue", "cli-server")
    shown = cli.show("cli-server")
    assert shown["properties"] == {"size": "small"}
    assert shown["tags"] == ["green"]

    cli("server", "delete", "--wait", "cli-server")
    assert cli.json("server", "list") == []


def test_openstacksdk_server_actions(two_host_server):
    """Resize and confirm (to the other host), a cold migration, rebuild,
    shelve and unshelve, lock and unlock, and the instance actions they
    leave, with openstacksdk."""
    compute_server = two_host_server
    import openstack
    from openstack import exceptions

    conn = openstack.connect(
        auth_type="admin_token",
        auth={"token": TOKEN, "endpoint": compute_server.url},
        load_yaml_config=False, load_envvars=False)
    compute = conn.compute
    try:
        small = compute.create_flavor(name="a.small", ram=256, vcpus=1,
                                      disk=1)
        big = compute.create_flavor(name="a.big", ram=512, vcpus=2, disk=1)
        server = compute.create_server(name="sdk-actions", image_id=IMAGE_ID,
                                       flavor_id=small.id, networks="auto")
        server = _wait(compute, server, "ACTIVE")
        first = server.compute_host

        compute.resize_server(server, big)
        server = _wait(compute, server, "VERIFY_RESIZE")
        assert server.flavor.original_name == "a.big"
        moved = server.compute_host
        assert {first, moved} == {"compute1", "compute2"}
        compute.confirm_server_resize(server)
        server = _wait(compute, server, "ACTIVE")
        assert (server.flavor.original_name, server.compute_host) == (
            "a.big", moved)
        compute.resize_server(server, small)
        server = _wait(compute, server, "VERIFY_RESIZE")
        assert server.compute_host == first
        compute.revert_server_resize(server)
        server = _wait(compute, server, "ACTIVE")
        assert (server.flavor.original_name, server.compute_host) == (
            "a.big", moved)

        # A cold migration (admin): the other host, the same flavor.
        compute.migrate_server(server)
        server = _wait(compute, server, "VERIFY_RESIZE")
        assert (server.flavor.original_name, server.compute_host) == (
            "a.big", first)
        compute.confirm_server_resize(server)
        server = _wait(compute, server, "ACTIVE")
        assert server.compute_host == first

        rebuilt = compute.rebuild_server(server, IMAGE_ID, name="rebuilt",
                                         admin_password="pw",
                                         metadata={"k": "v"})
        assert rebuilt.name == "rebuilt"
        server = _wait(compute, server, "ACTIVE")
        assert (server.name, server.metadata) == ("rebuilt", {"k": "v"})

        compute.shelve_server(server)
        server = _wait(compute, server, "SHELVED_OFFLOADED")
        compute.unshelve_server(server)
        server = _wait(compute, server, "ACTIVE")

        compute.lock_server(server, locked_reason="audit")
        shown = compute.get_server(server.id)
        assert (shown.is_locked, shown.locked_reason) == (True, "audit")
        compute.unlock_server(server)
        assert compute.get_server(server.id).is_locked is False

        output = compute.get_server_console_output(server, length=1)
        assert output["output"].endswith("login: ")

        done = [a.action for a in compute.server_actions(server)]
        assert done[:4] == ["unlock", "lock", "unshelve", "shelve"]
        assert done[-1] == "create" and "resize" in done
        assert "migrate" in done

        compute.delete_server(server)
        compute.wait_for_delete(server, interval=0.2, wait=WAIT)
        with pytest.raises(exceptions.NotFoundException):
            compute.get_server(server.id)
    finally:
        conn.close()


def test_openstack_cli_server_actions(two_host_server, tmp_path):
    """Resize and confirm (to the other host), a cold migration, rebuild,
    shelve and unshelve, lock and unlock with the openstack CLI."""
    cli = CLI(two_host_server, tmp_path)
    cli("flavor", "create", "--ram", "256", "--vcpus", "1", "--disk", "1",
        "c.small")
    cli("flavor", "create", "--ram", "512", "--vcpus", "2", "--disk", "1",
        "c.big")
    cli("server", "create", "--image", "cirros", "--flavor", "c.small",
        "--auto-network", "--wait", "cli-actions")
    first = cli.show("cli-actions")["OS-EXT-SRV-ATTR:host"]

    cli("server", "resize", "--flavor", "c.big", "--wait", "cli-actions")
    shown = cli.wait_for("cli-actions", "VERIFY_RESIZE")
    assert shown["flavor"]["original_name"] == "c.big"
    moved = shown["OS-EXT-SRV-ATTR:host"]
    assert {first, moved} == {"compute1", "compute2"}
    cli("server", "resize", "confirm", "cli-actions")
    shown = cli.wait_for("cli-actions", "ACTIVE")
    assert (shown["flavor"]["original_name"],
            shown["OS-EXT-SRV-ATTR:host"]) == ("c.big", moved)

    # A cold migration back to the first host, confirmed.
    cli("server", "migrate", "cli-actions")
    shown = cli.wait_for("cli-actions", "VERIFY_RESIZE")
    assert (shown["flavor"]["original_name"],
            shown["OS-EXT-SRV-ATTR:host"]) == ("c.big", first)
    cli("server", "migrate", "confirm", "cli-actions")
    assert cli.wait_for("cli-actions", "ACTIVE")[
        "OS-EXT-SRV-ATTR:host"] == first

    cli("server", "rebuild", "--image", IMAGE_ID, "--wait", "cli-actions")
    assert cli.wait_for("cli-actions", "ACTIVE")["image"]

    cli("server", "shelve", "cli-actions")
    cli.wait_for("cli-actions", "SHELVED_OFFLOADED")
    cli("server", "unshelve", "cli-actions")
    cli.wait_for("cli-actions", "ACTIVE")

    cli("server", "lock", "cli-actions")
    assert cli.show("cli-actions")["locked"] is True
    cli("server", "unlock", "cli-actions")
    assert cli.show("cli-actions")["locked"] is False

    listed = cli.json("server", "event", "list", "cli-actions")
    assert [e["Action"] for e in listed][:4] == [
        "unlock", "lock", "unshelve", "shelve"]

    cli("server", "delete", "--wait", "cli-actions")

def test_openstack_cli_admin_views(compute_server, tmp_path):
    """Services, hypervisors, zones and aggregates as the CLI shows them."""
    cli = CLI(compute_server, tmp_path)
    (service,) = cli.json("compute", "service", "list")
    assert (service["Binary"], service["Host"], service["Zone"],
            service["Status"], service["State"]) == (
        "nova-compute", "compute1", "nova", "enabled", "up")

    # The CLI finds the service by host and binary, then PUTs its uuid.
    cli("compute", "service", "set", "--disable", "--disable-reason",
        "maintenance", "compute1", "nova-compute")
    (service,) = cli.json("compute", "service", "list", "--long")
    assert (service["Status"], service["Disabled Reason"]) == (
        "disabled", "maintenance")
    cli("compute", "service", "set", "--enable", "compute1", "nova-compute")

    (hypervisor,) = cli.json("hypervisor", "list")
    assert (hypervisor["Hypervisor Hostname"], hypervisor["State"]) == (
        "compute1", "up")

    # An admin's CLI reads the detail, which shows the internal zone of
    # the API's own services too, as upstream.
    assert cli.json("availability zone", "list", "--compute") == [
        {"Zone Name": "internal", "Zone Status": "available"},
        {"Zone Name": "nova", "Zone Status": "available"}]

    aggregate = cli.json("aggregate", "create", "--zone", "edge", "rack1")
    assert (aggregate["name"], aggregate["availability_zone"]) == (
        "rack1", "edge")
    added = cli.json("aggregate", "add", "host", "rack1", "compute1")
    assert added["hosts"] == ["compute1"]
    # The host is now in the aggregate's zone.
    assert cli.json("availability zone", "list", "--compute") == [
        {"Zone Name": "edge", "Zone Status": "available"},
        {"Zone Name": "internal", "Zone Status": "available"}]
    (service,) = cli.json("compute", "service", "list")
    assert service["Zone"] == "edge"


# -- python-novaclient --------------------------------------------------------

def test_novaclient_server_life(compute_server, public_key):
    from keystoneauth1 import loading, session
    from novaclient import api_versions, client, exceptions

    key_text, _path, fingerprint = public_key
    auth = loading.get_plugin_loader("admin_token").load_from_options(
        token=TOKEN, endpoint=compute_server.url)
    sess = session.Session(auth=auth)
    # What the nova CLI does for "2.latest": ask the server, keep the
    # highest version both sides know.
    version = api_versions.discover_version(
        client.Client("2.1", session=sess), api_versions.APIVersion(
            "2.latest"))
    assert version > api_versions.APIVersion("2.37")
    nova = client.Client(version, session=sess)

    def wait_for(server, status):
        deadline = time.monotonic() + WAIT
        while True:
            server = nova.servers.get(server.id)
            task = getattr(server, "OS-EXT-STS:task_state")
            if server.status == status and task is None:
                return server
            assert server.status != "ERROR", server.to_dict()
            assert time.monotonic() < deadline, (
                f"still {server.status}, expected {status}")
            time.sleep(0.2)

    flavor = nova.flavors.create("m1.nova", 256, 1, 1)
    keypair = nova.keypairs.create("nova-key", public_key=key_text)
    assert keypair.fingerprint == fingerprint

    server = nova.servers.create("nova-server", IMAGE_ID, flavor,
                                 key_name="nova-key", nics="auto")
    server = wait_for(server, "ACTIVE")
    assert [s.name for s in nova.servers.list()] == ["nova-server"]
    assert server.key_name == "nova-key"
    assert server.flavor["original_name"] == "m1.nova"

    nova.servers.reboot(server)  # SOFT
    wait_for(server, "ACTIVE")
    nova.servers.stop(server)
    assert getattr(wait_for(server, "SHUTOFF"),
                   "OS-EXT-STS:power_state") == 4
    nova.servers.start(server)
    wait_for(server, "ACTIVE")

    nova.servers.set_meta(server, {"color": "blue", "size": "small"})
    nova.servers.delete_meta(server, ["color"])
    assert nova.servers.get(server.id).metadata == {"size": "small"}

    server.add_tag("blue")
    server.add_tag("green")
    server.delete_tag("blue")
    assert server.tag_list() == ["green"]
    assert nova.servers.get(server.id).tags == ["green"]

    nova.servers.delete(server)
    deadline = time.monotonic() + WAIT
    with pytest.raises(exceptions.NotFound):
        while time.monotonic() < deadline:
            nova.servers.get(server.id)
            time.sleep(0.2)
    assert nova.servers.list() == []
    nova.keypairs.delete("nova-key")
    nova.flavors.delete(flavor)


# -- quotas, limits and server groups -----------------------------------------

@pytest.fixture
def keystone(httpserver):
    """A stand-in for Keystone (a service outside this project) that knows
    the projects ``admin`` and ``demo``: the CLI's quota commands look the
    project up in the identity service before calling the compute API."""
    v3 = httpserver.url_for("/v3")
    version = {"version": {"id": "v3.14", "status": "stable",
                           "links": [{"rel": "self", "href": v3 + "/"}],
                           "media-types": []}}
    for path in ("/v3", "/v3/"):
        httpserver.expect_request(path).respond_with_json(version)
    for name in ("admin", "demo"):
        httpserver.expect_request(f"/v3/projects/{name}").respond_with_json(
            {"project": {"id": name, "name": name, "domain_id": "default",
                         "enabled": True}})
    return v3


def test_openstack_cli_quotas_and_limits(compute_server, keystone, tmp_path):
    cli = CLI(compute_server, tmp_path)
    cli.env["OS_IDENTITY_ENDPOINT_OVERRIDE"] = keystone

    cli("quota", "set", "--instances", "2", "--cores", "9", "--key-pairs",
        "3", "admin")
    shown = {row["Resource"]: row["Limit"] for row in cli.json(
        "quota", "show", "--compute", "admin")}
    assert (shown["instances"], shown["cores"], shown["key-pairs"]) == (
        2, 9, 3)
    assert shown["ram"] == 51200  # untouched: the default

    absolute = {row["Name"]: row["Value"] for row in cli.json(
        "limits", "show", "--absolute")}
    assert (absolute["instances"], absolute["total_cores"],
            absolute["keypairs"]) == (2, 9, 3)
    assert absolute["instances_used"] == 0

    cli.json("flavor", "create", "--ram", "128", "--vcpus", "2", "--disk",
             "1", "m1.quota")
    cli("server", "create", "--image", "cirros", "--flavor", "m1.quota",
        "--auto-network", "--min", "1", "--max", "5", "quota-vm")
    assert len(cli.json("server", "list")) == 2  # the quota's worth
    absolute = {row["Name"]: row["Value"] for row in cli.json(
        "limits", "show", "--absolute")}
    assert (absolute["instances_used"], absolute["total_cores_used"],
            absolute["total_ram_used"]) == (2, 4, 256)
    usage = {row["Resource"]: row["In Use"] for row in cli.json(
        "quota", "show", "--compute", "--usage", "admin")}
    assert (usage["instances"], usage["cores"]) == (2, 4)

    refused = subprocess.run(
        [*cli.argv, "server", "create", "--image", "cirros", "--flavor",
         "m1.quota", "--auto-network", "one-more"], env=cli.env,
        capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1
    assert "403" in refused.stderr
    assert ("Quota exceeded for instances: Requested 1, but already used 2 "
            "of 2 instances") in refused.stderr


def test_openstacksdk_anti_affinity_group(compute_server):
    import openstack

    conn = openstack.connect(
        auth_type="admin_token",
        auth={"token": TOKEN, "endpoint": compute_server.url},
        load_yaml_config=False, load_envvars=False)
    compute = conn.compute
    try:
        flavor = compute.create_flavor(name="m1.sg", ram=128, vcpus=1,
                                       disk=1)
        group = compute.create_server_group(name="spread",
                                            policy="anti-affinity")
        assert (group.name, group.policy, group.rules, group.member_ids) \
            == ("spread", "anti-affinity", {}, [])
        assert group.id in [g.id for g in compute.server_groups()]

        server = compute.create_server(
            name="sg-1", image_id=IMAGE_ID, flavor_id=flavor.id,
            networks="none", scheduler_hints={"group": group.id})
        server = _wait(compute, server, "ACTIVE")
        assert compute.get_server_group(group.id).member_ids == [server.id]
        # The SDK shows servers at 2.100, where they name their groups.
        assert compute.get_server(server.id).server_groups == [group.id]

        # The only host already has a member: the next one finds none.
        second = compute.create_server(
            name="sg-2", image_id=IMAGE_ID, flavor_id=flavor.id,
            networks="none", scheduler_hints={"group": group.id})
        second = compute.get_server(second.id)
        assert second.status == "ERROR"
        assert second.fault["message"].startswith("No valid host was found")
        assert sorted(compute.get_server_group(group.id).member_ids) == \
            sorted([server.id, second.id])

        for each in (server, second):
            compute.delete_server(each)
            compute.wait_for_delete(each, interval=0.2, wait=WAIT)
        compute.delete_server_group(group)
        assert group.id not in [g.id for g in compute.server_groups()]
        compute.delete_flavor(flavor)
    finally:
        conn.close()
