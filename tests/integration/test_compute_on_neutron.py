"""The compute API against the real Keystone 30 and Neutron 29: a
member boots a server on a network and deletes it; the port made for it
is deleted with the member's token and the service token, which Neutron
29's default policy requires for a ``compute:*`` port."""

import textwrap

from tests.helpers import IMAGE, URL, boot, sync_db


def _conf(cloud, url):
    keystone = cloud["keystone_url"]
    creds = textwrap.dedent(f"""\
        auth_type = password
        auth_url = {keystone}/v3
        username = nova
        password = {cloud["nova_password"]}
        project_name = service
        user_domain_name = Default
        project_domain_name = Default
        """)
    return f"""[DEFAULT]
[database]
connection = {url}
[compute]
build_time = 0
action_time = 0
[keystone_authtoken]
www_authenticate_uri = {keystone}
service_token_roles_required = true
{creds}
[neutron]
region_name = {cloud["region"]}
timeout = 30
{creds}
[service_user]
send_service_user_token = true
{creds}
"""


def test_a_member_boots_and_deletes_a_server_on_neutron(
        openstack_services, config_dir, tmp_path, make_image, monkeypatch):
    from nova.clients.neutron import Neutron

    cloud = openstack_services
    # Which credentials each DELETE of a port carries.
    deleted_with = []
    original = Neutron.delete

    def recording(self, collection, item_id, missing_ok=False):
        deleted_with.append(type(self.adapter.auth).__name__)
        return original(self, collection, item_id, missing_ok)

    monkeypatch.setattr(Neutron, "delete", recording)
    url = f"sqlite:///{tmp_path}/nova.sqlite"
    sync_db(url)
    config_dir.paste()
    config_dir.write("nova.conf", _conf(cloud, url))
    app = config_dir.testapp()
    make_image("cirros", image_id=IMAGE)
    admin = {"X-Auth-Token": cloud.admin().get_token()}
    member = {"X-Auth-Token": cloud.demo().get_token()}
    app.post_json("/v2.1/flavors", {"flavor": {
        "name": "m1.it", "ram": 64, "vcpus": 1, "disk": 1, "id": "1"}},
        headers=admin)
    server_id = boot(app, version="2.37", who=member, networks=[
        {"uuid": cloud["private_network_id"]}]).json["server"]["id"]
    neutron = cloud.api(cloud.nova(), "network")
    port, = neutron.get(f"/v2.0/ports?device_id={server_id}").json()[
        "ports"]
    assert (port["device_owner"], port["binding:vif_type"]) == (
        "compute:nova", "ovs")
    server = app.get(f"{URL}/{server_id}", headers=member).json["server"]
    assert [a["addr"] for a in server["addresses"]["private"]] == [
        port["fixed_ips"][0]["ip_address"]]

    app.delete(f"{URL}/{server_id}", headers=member, status=204)

    gone = neutron.get(f"/v2.0/ports/{port['id']}")
    assert gone.status_code == 404, gone.text
    # The member's token with the service token, not [neutron]'s own
    # credentials: Neutron 29's policy accepted it.
    assert deleted_with == ["ServiceTokenAuthWrapper"]
