"""The compute API against a real Keystone 30 and Glance 33, through the
paste pipeline (keystonemiddleware, the catalog's image endpoint, the
caller's token and a service token).

The services are the session's ``openstack_services`` (conftest.py), or
those a ``tools/openstack-services.sh start WORKDIR`` left running when
``NOVA_OPENSTACK_SERVICES`` names that WORKDIR (to iterate quickly).
"""

import os
import pathlib
import time

import pytest
import requests

from tests.helpers import sync_db
from tests.integration import openstack


@pytest.fixture(scope="module")
def services(request):
    workdir = os.environ.get("NOVA_OPENSTACK_SERVICES")
    if workdir:
        return openstack.OpenStack(pathlib.Path(workdir))
    return request.getfixturevalue("openstack_services")


def _token(services, user, password, project):
    resp = requests.post(services["keystone_url"] + "/v3/auth/tokens",
                         json={"auth": {"identity": {
                             "methods": ["password"], "password": {"user": {
                                 "name": user, "password": password,
                                 "domain": {"name": "Default"}}}},
                             "scope": {"project": {
                                 "name": project,
                                 "domain": {"name": "Default"}}}}},
                         timeout=30)
    assert resp.status_code == 201, resp.text
    return resp.headers["X-Subject-Token"]


@pytest.fixture
def cloud(services, config_dir, tmp_path):
    keystone = services["keystone_url"]
    url = f"sqlite:///{tmp_path}/nova.sqlite"
    config_dir.paste()
    config_dir.write("nova.conf", f"""
[api]
auth_strategy = keystone
[keystone_authtoken]
www_authenticate_uri = {keystone}
auth_url = {keystone}/v3
auth_type = password
username = {services["nova_username"]}
password = {services["nova_password"]}
project_name = {services["service_project_name"]}
user_domain_name = Default
project_domain_name = Default
[database]
connection = {url}
[compute]
build_time = 0
action_time = 0
[glance]
valid_interfaces = public
timeout = 30
[service_user]
send_service_user_token = true
auth_type = password
auth_url = {keystone}/v3
username = {services["nova_username"]}
password = {services["nova_password"]}
project_name = {services["service_project_name"]}
user_domain_name = Default
project_domain_name = Default
""")
    sync_db(url)
    app = config_dir.testapp()
    demo = _token(services, services["demo_username"],
                  services["demo_password"], services["demo_project_name"])
    admin = _token(services, services["admin_username"],
                   services["admin_password"],
                   services["admin_project_name"])
    app.post_json("/v2.1/flavors", {"flavor": {
        "name": "real-tiny", "ram": 512, "vcpus": 1, "disk": 1,
        "id": "real-1"}}, headers={"X-Auth-Token": admin})
    return app, demo, admin


def _headers(token, version="2.1"):
    return {"X-Auth-Token": token,
            "OpenStack-API-Version": f"compute {version}"}


def _glance(services, token, method, path, **kw):
    return requests.request(method, services["glance_url"] + path,
                            headers={"X-Auth-Token": token,
                                     **kw.pop("headers", {})},
                            timeout=30, **kw)


def test_boot_snapshot_backup_and_proxy_against_real_glance(services,
                                                            cloud):
    app, demo, admin = cloud
    image = services["image_id"]
    resp = app.post_json("/v2.1/servers", {"server": {
        "name": "real", "imageRef": image, "flavorRef": "real-1",
        "networks": "none"}}, headers=_headers(demo, "2.37"))
    server_id = resp.json["server"]["id"]
    shown = app.get(f"/v2.1/servers/{server_id}",
                    headers=_headers(demo, "2.98")).json["server"]
    assert shown["image"]["id"] == image
    assert isinstance(shown["image"]["properties"], dict)

    # Unknown image: upstream's 400.
    resp = app.post_json("/v2.1/servers", {"server": {
        "name": "bad", "imageRef": "11111111-2222-4333-8444-555555555555",
        "flavorRef": "real-1", "networks": "none"}},
        headers=_headers(demo, "2.37"), status=400)
    assert resp.json["badRequest"]["message"] == (
        "Can not find requested image")

    # createImage: a private image, active once uploaded.
    resp = app.post_json(f"/v2.1/servers/{server_id}/action",
                         {"createImage": {"name": "real-snap",
                                          "metadata": {"k": "v"}}},
                         headers=_headers(demo, "2.45"))
    snap = resp.json["image_id"]
    body = _glance(services, demo, "GET", f"/v2/images/{snap}").json()
    assert body["status"] == "active", body
    assert body["visibility"] == "private"
    assert body["image_type"] == "snapshot"
    assert body["instance_uuid"] == server_id
    assert body["base_image_ref"] == image
    assert body["k"] == "v"
    assert body["owner"] == services["demo_project_id"]

    # The image proxy and its metadata (json-patch).
    listed = app.get("/v2.1/images", headers=_headers(demo)).json
    assert snap in {i["id"] for i in listed["images"]}
    resp = app.post_json(f"/v2.1/images/{snap}/metadata",
                         {"metadata": {"purpose": "proof"}},
                         headers=_headers(demo))
    assert resp.json["metadata"]["purpose"] == "proof"
    app.delete(f"/v2.1/images/{snap}/metadata/purpose",
               headers=_headers(demo), status=204)
    # Another project's public image: Glance refuses the change.
    resp = app.post_json(f"/v2.1/images/{image}/metadata",
                         {"metadata": {"x": "y"}}, headers=_headers(demo),
                         status=403)

    # createBackup with rotation 1, twice: one backup left.
    made = []
    for _ in range(2):
        resp = app.post_json(f"/v2.1/servers/{server_id}/action",
                             {"createBackup": {"name": "nightly",
                                               "backup_type": "daily",
                                               "rotation": 1}},
                             headers=_headers(demo, "2.45"))
        made.append(resp.json["image_id"])
        time.sleep(1.1)  # Glance's created_at has whole seconds
    left = _glance(services, demo, "GET", "/v2/images", params={
        "instance_uuid": server_id, "image_type": "backup"}).json()
    assert [i["id"] for i in left["images"]] == [made[1]]

    # Rebuild onto the alternative image.
    alt = services["image_id_alt"]
    resp = app.post_json(f"/v2.1/servers/{server_id}/action",
                         {"rebuild": {"imageRef": alt}},
                         headers=_headers(demo))
    assert resp.json["server"]["image"]["id"] == alt

    # Shelve snapshots into Glance.
    app.post_json(f"/v2.1/servers/{server_id}/action", {"shelve": None},
                  headers=_headers(demo))
    shelved = _glance(services, demo, "GET", "/v2/images", params={
        "instance_uuid": server_id, "name": "real-shelved"}).json()
    assert [i["status"] for i in shelved["images"]] == ["active"]
    app.post_json(f"/v2.1/servers/{server_id}/action", {"unshelve": None},
                  headers=_headers(demo))
    shelved = _glance(services, demo, "GET", "/v2/images", params={
        "instance_uuid": server_id, "name": "real-shelved"}).json()
    assert shelved["images"] == []  # deleted once unshelved

    # Delete through the proxy.
    app.delete(f"/v2.1/images/{snap}", headers=_headers(demo), status=204)
    assert _glance(services, demo, "GET",
                   f"/v2/images/{snap}").status_code == 404
