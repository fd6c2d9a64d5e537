"""The cloud the metadata API tests read from, and how they ask it.

``Cloud(config_dir, tmp_path)``: a config dir on a synced SQLite file with
the samples' image, flavors and key pair, the compute API (noauth2) to
make servers, and ``metadata()`` to load the metadata API from the same
directory. ``get()`` asks as the guest at ``ip`` (``REMOTE_ADDR``);
``meta_data()`` reads its ``meta_data.json``. Used by test_metadata and
test_metadata_shared_cache.
"""

import base64

import pytest
import webtest

from nova import exception, loading
from tests.helpers import (
    ADMIN,
    GUEST_KEY,
    IMAGE,
    add_image,
    make_flavor,
    sync_db,
)

NETWORK_ID = "9a0c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d"
USER_DATA = b"#cloud-config\nhostname: seeded-vm\n"  # the samples' guest's
JSON = "application/json"


class Cloud:
    """A config dir with a synced SQLite store, an image and flavors; the
    compute API (noauth2) to create servers; ``metadata()`` loads the
    metadata API from the same directory (after ``configure`` drop-ins)."""

    def __init__(self, config_dir, tmp_path):
        self.dir = config_dir
        url = f"sqlite:///{tmp_path}/nova.sqlite"
        config_dir.paste()
        config_dir.write("nova.conf", f"""
            [api]
            auth_strategy = noauth2
            [database]
            connection = {url}
            [compute]
            build_time = 0
            action_time = 0
            [network]
            cidr = 192.0.2.0/24
            uuid = {NETWORK_ID}
            dns_servers = 192.0.2.53
            mtu = 1450
            """)
        sync_db(url)
        add_image(config_dir, "cirros-0.6.2-x86_64-disk", image_id=IMAGE)
        self.compute = config_dir.testapp("osapi_compute")
        make_flavor(self.compute, "m1.tiny", flavor_id="1")
        make_flavor(self.compute, "m1.eph", flavor_id="2",
                    **{"OS-FLV-EXT-DATA:ephemeral": 1, "swap": 512})
        self.keypair("seedkey", GUEST_KEY, ADMIN)
        self._drop_ins = 0

    def keypair(self, name, public_key, who):
        self.compute.post_json("/v2.1/os-keypairs", {"keypair": {
            "name": name, "public_key": public_key}}, headers=who)

    def configure(self, text):
        """A nova.conf.d drop-in read by the next ``metadata()`` load."""
        self._drop_ins += 1
        self.dir.write(f"nova.conf.d/{self._drop_ins:02d}-test.conf", text)

    def boot(self, name="seeded-vm", who=ADMIN, key_name="seedkey",
             user_data=USER_DATA, metadata=None, flavor="1"):
        """Create a server; returns its view (at 2.3) with ``ip``, ``mac``."""
        server = {"name": name, "imageRef": IMAGE, "flavorRef": flavor}
        if key_name:
            server["key_name"] = key_name
        if user_data is not None:
            server["user_data"] = base64.b64encode(user_data).decode()
        if metadata is not None:
            server["metadata"] = metadata
        resp = self.compute.post_json("/v2.1/servers", {"server": server},
                                      headers=who)
        assert resp.status_int == 202, resp.body
        return self.show(resp.json["server"]["id"], who)

    def show(self, server_id, who=ADMIN):
        view = self.compute.get(f"/v2.1/servers/{server_id}", headers={
            **who, "OpenStack-API-Version": "compute 2.3"}).json["server"]
        (address,) = view["addresses"]["private"]
        view["ip"] = address["addr"]
        view["mac"] = address["OS-EXT-IPS-MAC:mac_addr"]
        return view

    def metadata(self):
        """The metadata API, through the whole paste pipeline."""
        loading._loaded_api = None  # this test process may hold both
        return webtest.TestApp(self.dir.load("metadata"), lint=True)

    def load_error(self):
        loading._loaded_api = None
        with pytest.raises(exception.StartupError) as info:
            self.dir.load("metadata")
        return str(info.value)


def get(app, path, ip, status=200, headers=None, **kw):
    return app.get(path, extra_environ={"REMOTE_ADDR": ip}, status=status,
                   headers=headers or {}, **kw)


def meta_data(app, ip, version="latest"):
    resp = get(app, f"/openstack/{version}/meta_data.json", ip)
    assert resp.headers["Content-Type"] == JSON
    return resp.json
