"""What the Neutron tests share: a compute API authenticated by the fake
Keystone, with ``[neutron]`` pointing at the fake Neutron (found in the
caller's catalog), servers that build at once, the samples' image and
flavor "1".

``NeutronCloud(config_dir, tmp_path, make_image, httpserver)``:
``app`` (WebTest through the paste pipeline), ``keystone``, ``neutron``
(``tests.fakes.neutron.FakeNeutron``), ``admin`` / ``member`` /
``other`` headers (projects admin, demo, other), ``service`` (Neutron's
own user, for events), ``net`` (project demo's network, 10.0.0.0/24).
"""

import textwrap

from tests.fake_keystone import FakeKeystone
from tests.fakes.neutron import FakeNeutron
from tests.helpers import IMAGE, sync_db


class NeutronCloud:
    def __init__(self, config_dir, tmp_path, make_image, httpserver,
                 default_options="", neutron_options="", build_time=0,
                 service_token=True, compute_options=""):
        from nova.clients import neutron as neutron_client

        neutron_client._EXTENSIONS.clear()
        self.keystone = FakeKeystone(httpserver)
        self.neutron = FakeNeutron(self.keystone)
        url = f"sqlite:///{tmp_path}/nova.sqlite"
        sync_db(url)
        self.db_url = url
        config_dir.paste()
        ks = self.keystone
        config_dir.write("nova.conf", "[DEFAULT]\n" + textwrap.dedent(
            default_options) + f"""
[database]
connection = {url}
[compute]
build_time = {build_time}
action_time = 0
{textwrap.dedent(compute_options)}
[neutron]
{ks.password_auth()}timeout = 5
{textwrap.dedent(neutron_options)}
[service_user]
send_service_user_token = {str(service_token).lower()}
{ks.password_auth()}""" + ks.authtoken_conf())
        self.app = config_dir.testapp()
        make_image("cirros", image_id=IMAGE)
        self.admin = {"X-Auth-Token": ks.issue(
            "root", "admin", ["admin", "member", "reader"])}
        self.member = {"X-Auth-Token": ks.issue(
            "alice", "demo", ["member", "reader"])}
        self.other = {"X-Auth-Token": ks.issue(
            "bob", "other", ["member", "reader"])}
        self.service = {"X-Auth-Token": ks.issue(
            "neutron", "service", ["service"])}
        self.app.post_json("/v2.1/flavors", {"flavor": {
            "name": "m1.tiny", "ram": 512, "vcpus": 1, "disk": 1,
            "id": "1"}}, headers=self.admin)
        self.net = self.neutron.add_network("private", "demo",
                                            cidr="10.0.0.0/24")

    def close(self):
        self.neutron.stop()
