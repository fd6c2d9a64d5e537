"""Images from Glance v2 (nova.conf has ``[glance]``), through the paste
pipeline with keystonemiddleware, against a fake Keystone and a fake
Glance on pytest-httpserver (tests/fake_keystone.py, tests/fake_glance.py).

Glance is found in the caller's catalog or at ``endpoint_override``, is
called with the caller's token (and a service token when
``[service_user] send_service_user_token``), never inside a database
transaction; its answers become upstream's faults, an outage or a slow
Glance a prompt 503, and no token reaches the logs.
"""

import json
import logging
import socket
import time

import pytest
from pytest_httpserver import HTTPServer

from tests.fake_glance import FakeGlance
from tests.fake_keystone import FakeKeystone
from tests.helpers import IMAGE, sample, sync_db

ADMIN_PROJECT = "admin-project"


@pytest.fixture
def keystone(httpserver):
    return FakeKeystone(httpserver)


@pytest.fixture
def glance(httpserver, keystone):
    fake = FakeGlance(httpserver, keystone)
    fake.add_image("cirros", image_id=IMAGE)
    return fake


class Cloud:
    """The compute API with Glance, and tokens for a member and an admin."""

    def __init__(self, app, keystone):
        self.app = app
        self.member_token = keystone.issue("u-1", "p-1", ["member", "reader"])
        self.admin_token = keystone.issue("admin-user", ADMIN_PROJECT,
                                          ["admin", "member", "reader"])

    def headers(self, version="2.1", admin=False):
        return {"X-Auth-Token": self.admin_token if admin
                else self.member_token,
                "OpenStack-API-Version": f"compute {version}"}

    def get(self, path, version="2.1", admin=False, **kw):
        return self.app.get("/v2.1" + path,
                            headers=self.headers(version, admin), **kw)

    def post(self, path, body, version="2.1", admin=False, **kw):
        return self.app.post_json("/v2.1" + path, body,
                                  headers=self.headers(version, admin), **kw)

    def create_server(self, image=IMAGE, flavor="1", **kw):
        return self.post("/servers", {"server": {
            "name": "vm", "imageRef": image, "flavorRef": flavor,
            "networks": "none"}}, version="2.37", **kw)


@pytest.fixture
def make_cloud(config_dir, tmp_path, keystone):
    def make(glance_section="", extra="", flavors=True):
        url = f"sqlite:///{tmp_path}/nova.sqlite"
        config_dir.paste()
        config_dir.write("nova.conf", (
            f"[api]\nauth_strategy = keystone\n{keystone.authtoken_conf()}"
            f"[database]\nconnection = {url}\n"
            f"[compute]\nbuild_time = 0\naction_time = 0\n"
            f"[glance]\n{glance_section.strip()}\n{extra.strip()}\n"))
        sync_db(url)
        cloud = Cloud(config_dir.testapp(), keystone)
        if flavors:
            for flavor_id, ram, disk in (("1", 512, 1), ("2", 2048, 20)):
                cloud.post("/flavors", {"flavor": {
                    "name": f"f{flavor_id}", "ram": ram, "vcpus": 1,
                    "disk": disk, "id": flavor_id}}, admin=True)
        return cloud
    return make


@pytest.fixture
def cloud(make_cloud, glance):
    """Glance found in the caller's catalog."""
    return make_cloud()


def _service_user(keystone):
    return ("[service_user]\nsend_service_user_token = true\n"
            + keystone.password_auth())


def _fault(resp, name, code):
    assert resp.status_int == code, resp.body
    assert set(resp.json) == {name}, resp.json
    assert resp.json[name]["code"] == code
    return resp.json[name]["message"]


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- server create --------------------------------------------------------

def test_create_boots_a_glance_image_with_the_callers_token(cloud, glance):
    resp = cloud.create_server()
    assert resp.status_int == 202
    server = cloud.get(f"/servers/{resp.json['server']['id']}").json[
        "server"]
    assert server["image"]["id"] == IMAGE
    assert server["image"]["links"][0]["href"].endswith(f"/images/{IMAGE}")
    assert ("GET", f"/image/v2/images/{IMAGE}") in glance.calls()
    assert set(glance.tokens()) == {cloud.member_token}


@pytest.mark.parametrize("change,message", [
    ({"status": "queued"}, "Image {id} is not active."),
    ({"min_ram": 1024}, "Flavor's memory is too small for requested image."),
    ({"min_disk": 5}, "Flavor's disk is too small for requested image."),
])
def test_create_checks_the_image_as_upstream(cloud, glance, change,
                                             message):
    image_id = glance.add_image("odd", **change)
    message = message.format(id=image_id)
    assert _fault(cloud.create_server(image_id, status=400), "badRequest",
                  400) == message
    assert cloud.get("/servers").json["servers"] == []


def test_create_with_an_unknown_or_invisible_image_is_400(cloud, glance):
    # Upstream's words for Glance's 404 (server_create_bad_image.txt).
    missing = "11111111-2222-4333-8444-555555555555"
    resp = cloud.create_server(missing, status=400)
    assert resp.json == sample("server_create_bad_image")[2]
    private = glance.add_image("theirs", owner="p-2", visibility="private")
    assert _fault(cloud.create_server(private, status=400), "badRequest",
                  400) == "Can not find requested image"
    # The admin sees every image, as in Glance.
    assert cloud.create_server(private, admin=True).status_int == 202


def test_endpoint_override_and_service_token(make_cloud, keystone,
                                             httpserver, caplog):
    # Not in the catalog: only endpoint_override finds it.
    glance = FakeGlance(httpserver)
    glance.add_image("cirros", image_id=IMAGE)
    keystone.services.clear()
    cloud = make_cloud(f"endpoint_override = {glance.url}\ndebug = true",
                       _service_user(keystone))
    caplog.set_level(logging.DEBUG)
    assert cloud.create_server().status_int == 202
    asked = glance.requests[-1]["headers"]
    assert asked["X-Auth-Token"] == cloud.member_token
    assert asked["X-Service-Token"] == keystone.service_token
    # keystoneauth logs the request at DEBUG: never a token in clear.
    assert "/image/v2/images" in caplog.text
    for token in (cloud.member_token, keystone.service_token,
                  FakeKeystone.SERVICE_PASSWORD):
        assert token not in caplog.text


def test_no_endpoint_in_the_catalog_is_503(make_cloud, keystone):
    cloud = make_cloud()
    message = _fault(cloud.create_server(status=503), "serviceUnavailable",
                     503)
    assert "endpoint could not be found" in message
    assert cloud.get("/servers").json["servers"] == []


def test_glance_outage_is_503_and_no_server(make_cloud, keystone, caplog):
    down = HTTPServer(host="127.0.0.1", port=_free_port())
    down.start()
    glance = FakeGlance(down)
    glance.add_image("cirros", image_id=IMAGE)
    cloud = make_cloud(f"endpoint_override = {glance.url}\nnum_retries = 1",
                       _service_user(keystone))
    assert cloud.create_server().status_int == 202
    down.stop()
    caplog.set_level(logging.DEBUG)
    message = _fault(cloud.create_server(status=503), "serviceUnavailable",
                     503)
    assert "Glance" in message
    assert len(cloud.get("/servers").json["servers"]) == 1
    # Tried again once (num_retries) when it could not connect.
    assert caplog.text.count("could not connect; trying again") == 1
    for token in (cloud.member_token, cloud.admin_token,
                  keystone.service_token):
        assert token not in caplog.text


def test_slow_glance_is_a_prompt_503(make_cloud, keystone):
    slow = HTTPServer(host="127.0.0.1", port=_free_port(), threaded=True)
    slow.start()
    try:
        glance = FakeGlance(slow)
        glance.add_image("cirros", image_id=IMAGE)
        cloud = make_cloud(f"endpoint_override = {glance.url}\ntimeout = 1")
        glance.delay = 3
        started = time.monotonic()
        _fault(cloud.create_server(status=503), "serviceUnavailable", 503)
        assert time.monotonic() - started < 2.5
        glance.delay = 0
    finally:
        slow.stop()


@pytest.mark.parametrize("status,title,fault,code", [
    (500, "Internal Server Error", "serviceUnavailable", 503),
    (503, "Service Unavailable", "serviceUnavailable", 503),
    (403, "Forbidden", "badRequest", 400),
])
def test_glance_errors_on_create(cloud, glance, status, title, fault, code):
    glance.fail_with = (status, title, "No.")
    message = _fault(cloud.create_server(status=code), fault, code)
    if status == 403:
        assert message == f"Not authorized for image {IMAGE}."
    glance.fail_with = None
    assert cloud.get("/servers").json["servers"] == []


# -- rebuild ----------------------------------------------------------------

def test_rebuild_validates_the_new_image_in_glance(cloud, glance):
    server_id = cloud.create_server().json["server"]["id"]
    other = glance.add_image("other")
    resp = cloud.post(f"/servers/{server_id}/action",
                      {"rebuild": {"imageRef": other}})
    assert resp.status_int == 202
    assert resp.json["server"]["image"]["id"] == other
    missing = "8e58c4a3-0000-4000-8000-000000000001"
    assert _fault(cloud.post(f"/servers/{server_id}/action",
                             {"rebuild": {"imageRef": missing}},
                             status=400),
                  "badRequest", 400) == "Cannot find image for rebuild"
    queued = glance.add_image("queued", status="queued")
    assert _fault(cloud.post(f"/servers/{server_id}/action",
                             {"rebuild": {"imageRef": queued}},
                             status=400),
                  "badRequest", 400) == f"Image {queued} is not active."


# -- disk config (OS-DCF:diskConfig) -----------------------------------------

DCF = "OS-DCF:diskConfig"


def _boot(cloud, image, **server):
    return cloud.post("/servers", {"server": {
        "name": "vm", "imageRef": image, "flavorRef": "1",
        "networks": "none", **server}}, version="2.37", status="*")


def test_disk_config_follows_the_glance_images_property(cloud, glance):
    auto = glance.add_image("auto", auto_disk_config="True")
    resp = _boot(cloud, auto)
    assert resp.status_int == 202
    server_id = resp.json["server"]["id"]
    assert resp.json["server"][DCF] == "AUTO"
    assert cloud.get(f"/servers/{server_id}").json["server"][DCF] == "AUTO"
    # A rebuild without a value takes the new image's (none: MANUAL).
    resp = cloud.post(f"/servers/{server_id}/action",
                      {"rebuild": {"imageRef": IMAGE}})
    assert resp.json["server"][DCF] == "MANUAL"


def test_a_glance_image_with_auto_disk_config_disabled_refuses_auto(
        cloud, glance):
    disabled = glance.add_image("locked", auto_disk_config="disabled")
    message = (f"Requested image {disabled} has automatic disk resize "
               f"disabled.")
    assert _fault(_boot(cloud, disabled, **{DCF: "AUTO"}), "badRequest",
                  400) == message
    assert cloud.get("/servers").json["servers"] == []
    # Rebuild to it, resize of a server running it.
    server_id = _boot(cloud, IMAGE, **{DCF: "AUTO"}).json["server"]["id"]
    assert _fault(cloud.post(f"/servers/{server_id}/action", {"rebuild": {
        "imageRef": disabled, DCF: "AUTO"}}, status=400),
        "badRequest", 400) == message
    server = cloud.get(f"/servers/{server_id}").json["server"]
    assert (server["image"]["id"], server[DCF]) == (IMAGE, "AUTO")
    resp = cloud.post(f"/servers/{server_id}/action",
                      {"rebuild": {"imageRef": disabled}})
    assert resp.json["server"][DCF] == "MANUAL"
    asked = len(glance.requests)
    assert _fault(cloud.post(f"/servers/{server_id}/action", {"resize": {
        "flavorRef": "2", DCF: "AUTO"}}, status=400),
        "badRequest", 400) == message
    # The resize read the property kept when the server was rebuilt.
    assert len(glance.requests) == asked


# -- snapshots --------------------------------------------------------------

def test_create_image_makes_and_uploads_a_glance_image(cloud, glance):
    glance.images[IMAGE]["os_distro"] = "cirros"
    server_id = cloud.create_server().json["server"]["id"]
    resp = cloud.post(f"/servers/{server_id}/action", {"createImage": {
        "name": "snap", "metadata": {"purpose": "test"}}})
    assert resp.status_int == 202
    image_id = resp.headers["Location"].rsplit("/", 1)[1]
    image = glance.images[image_id]
    assert image["status"] == "active"
    assert image["name"] == "snap"
    assert image["visibility"] == "private"
    assert image["owner"] == "p-1"
    assert image["instance_uuid"] == server_id
    assert image["image_type"] == "snapshot"
    assert image["base_image_ref"] == IMAGE
    assert image["user_id"] == "u-1"
    assert image["owner_id"] == "p-1"
    assert image["purpose"] == "test"
    assert image["os_distro"] == "cirros"  # the base image's property
    # Made without formats (as upstream), given the payload's on upload.
    create = [r for r in glance.requests if r["method"] == "POST"][0]
    assert "disk_format" not in json.loads(create["body"])
    assert (image["disk_format"], image["container_format"]) == ("raw",
                                                                 "bare")
    upload = [r for r in glance.requests if r["method"] == "PUT"][0]
    assert upload["path"] == f"/image/v2/images/{image_id}/file"
    assert upload["headers"]["Content-Type"] == "application/octet-stream"
    assert upload["headers"].get("Transfer-Encoding") == "chunked"
    assert glance.data[image_id].startswith(b"nova-wsgi snapshot")
    # 2.45: the id in the body, no Location.
    resp = cloud.post(f"/servers/{server_id}/action", {"createImage": {
        "name": "snap2"}}, version="2.45")
    assert set(resp.json) == {"image_id"}
    assert "Location" not in resp.headers
    assert glance.images[resp.json["image_id"]]["status"] == "active"


def test_create_image_over_glance_quota_is_403(cloud, glance):
    server_id = cloud.create_server().json["server"]["id"]
    glance.image_quota = 0
    message = _fault(cloud.post(f"/servers/{server_id}/action",
                                {"createImage": {"name": "snap"}},
                                status=403), "forbidden", 403)
    assert "Quota exceeded" in message
    actions = cloud.get(f"/servers/{server_id}/os-instance-actions").json
    assert [a["action"] for a in actions["instanceActions"]] == ["create"]


def test_create_image_of_a_server_in_the_wrong_state_leaves_no_image(
        cloud, glance):
    server_id = cloud.create_server().json["server"]["id"]
    cloud.post(f"/servers/{server_id}/action", {"shelve": None})
    before = set(glance.images)
    shelved = set(glance.images) - before
    _fault(cloud.post(f"/servers/{server_id}/action",
                      {"createImage": {"name": "snap"}}, status=409),
           "conflictingRequest", 409)
    assert set(glance.images) - before == shelved


def test_shelve_snapshots_into_glance(cloud, glance):
    server_id = cloud.create_server().json["server"]["id"]
    before = set(glance.images)
    assert cloud.post(f"/servers/{server_id}/action",
                      {"shelve": None}).status_int == 202
    (new,) = set(glance.images) - before
    assert glance.images[new]["name"] == "vm-shelved"
    assert glance.images[new]["status"] == "active"
    assert glance.images[new]["instance_uuid"] == server_id
    # Unshelved: the snapshot is deleted, as upstream.
    assert cloud.post(f"/servers/{server_id}/action",
                      {"unshelve": None}).status_int == 202
    assert new not in glance.images
    assert cloud.get(f"/servers/{server_id}").json["server"][
        "status"] == "ACTIVE"


# -- the image proxy ----------------------------------------------------------

def test_image_proxy_lists_and_shows_glance_images(cloud, glance):
    glance.add_image("private-other", owner="p-2", visibility="private")
    mine = glance.add_image("mine", owner="p-1", visibility="private",
                            min_ram=64, architecture="x86_64")
    names = {i["name"] for i in cloud.get("/images").json["images"]}
    assert names == {"cirros", "mine"}
    shown = cloud.get(f"/images/{mine}").json["image"]
    assert shown["minRam"] == 64
    assert shown["status"] == "ACTIVE"
    assert shown["metadata"] == {"architecture": "x86_64"}
    detail = cloud.get("/images/detail?limit=1").json
    assert len(detail["images"]) == 1
    missing = "8e58c4a3-0000-4000-8000-000000000002"
    assert _fault(cloud.get(f"/images/{missing}", status=404),
                  "itemNotFound", 404) == "Image not found."


def test_image_proxy_links_each_image_in_glance(cloud, glance):
    # Upstream's third link: the image in Glance (its catalog endpoint).
    mine = glance.add_image("mine", owner="p-1", visibility="private")
    alternate = {"rel": "alternate", "type": "application/vnd.openstack.image",
                 "href": f"{glance.url}/images/{mine}"}
    shown = cloud.get(f"/images/{mine}").json["image"]
    assert [link["rel"] for link in shown["links"]] == [
        "self", "bookmark", "alternate"]
    assert shown["links"][2] == alternate
    for path in ("/images", "/images/detail"):
        listed = {i["id"]: i for i in cloud.get(path).json["images"]}
        assert listed[mine]["links"][2] == alternate


def test_image_metadata_proxy_patches_glance(cloud, glance):
    mine = glance.add_image("mine", owner="p-1", visibility="private",
                            kind="base")
    base = f"/images/{mine}/metadata"
    assert cloud.get(base).json == {"metadata": {"kind": "base"}}
    assert cloud.get(base + "/kind").json == {"meta": {"kind": "base"}}
    resp = cloud.post(base, {"metadata": {"os": "linux"}})
    assert resp.json == {"metadata": {"kind": "base", "os": "linux"}}
    patch = [r for r in glance.requests if r["method"] == "PATCH"][-1]
    assert patch["headers"]["Content-Type"] == (
        "application/openstack-images-v2.1-json-patch")
    resp = cloud.app.put_json("/v2.1" + base + "/kind",
                              {"meta": {"kind": "snap"}},
                              headers=cloud.headers())
    assert resp.json == {"meta": {"kind": "snap"}}
    resp = cloud.app.put_json("/v2.1" + base, {"metadata": {"a": "1"}},
                              headers=cloud.headers())
    assert resp.json == {"metadata": {"a": "1"}}
    assert glance.images[mine].get("kind") is None
    cloud.app.delete("/v2.1" + base + "/a", headers=cloud.headers(),
                     status=204)
    assert cloud.get(base).json == {"metadata": {}}
    assert _fault(cloud.app.delete("/v2.1" + base + "/a",
                                   headers=cloud.headers(), status=404),
                  "itemNotFound", 404) == "Invalid metadata key"
    # Someone else's public image: Glance refuses the change.
    assert _fault(cloud.post(f"/images/{IMAGE}/metadata",
                             {"metadata": {"x": "y"}}, status=403),
                  "forbidden", 403) == f"Not authorized for image {IMAGE}."
    # 2.39 removed the proxy.
    cloud.get(base, version="2.39", status=404)


def test_image_delete_through_glance(cloud, glance):
    mine = glance.add_image("mine", owner="p-1", visibility="private")
    cloud.app.delete(f"/v2.1/images/{mine}", headers=cloud.headers(),
                     status=204)
    assert mine not in glance.images
    assert _fault(cloud.app.delete(f"/v2.1/images/{mine}",
                                   headers=cloud.headers(), status=404),
                  "itemNotFound", 404) == "Image not found."
    assert _fault(cloud.app.delete(f"/v2.1/images/{IMAGE}",
                                   headers=cloud.headers(), status=403),
                  "forbidden", 403) == (
        "You are not allowed to delete the image.")


def test_server_views_show_the_glance_image_properties_from_2_98(cloud,
                                                                  glance):
    glance.images[IMAGE].update(os_distro="cirros", hw_rng_model="virtio")
    server_id = cloud.create_server().json["server"]["id"]
    asked = len(glance.requests)
    image = cloud.get(f"/servers/{server_id}", version="2.98").json[
        "server"]["image"]
    assert image["properties"] == {"os_distro": "cirros",
                                   "hw_rng_model": "virtio"}
    listed = cloud.get("/servers/detail", version="2.98").json["servers"]
    assert listed[0]["image"]["properties"] == image["properties"]
    assert "properties" not in cloud.get(
        f"/servers/{server_id}", version="2.97").json["server"]["image"]
    assert len(glance.requests) == asked  # views never ask Glance
    # A rebuild takes the new image's properties.
    other = glance.add_image("other", os_distro="ubuntu")
    cloud.post(f"/servers/{server_id}/action",
               {"rebuild": {"imageRef": other}})
    image = cloud.get(f"/servers/{server_id}", version="2.98").json[
        "server"]["image"]
    assert image == {"id": other, "links": image["links"],
                     "properties": {"os_distro": "ubuntu"}}


def test_create_backup_in_glance_rotates_old_backups(cloud, glance):
    server_id = cloud.create_server().json["server"]["id"]
    backup = {"name": "nightly", "backup_type": "daily", "rotation": 2}
    made = []
    for _ in range(3):
        resp = cloud.post(f"/servers/{server_id}/action",
                          {"createBackup": backup})
        assert resp.status_int == 202
        made.append(resp.headers["Location"].rsplit("/", 1)[1])
    image = glance.images[made[-1]]
    assert (image["image_type"], image["backup_type"]) == ("backup",
                                                           "daily")
    assert image["instance_uuid"] == server_id
    assert image["status"] == "active"
    # The oldest beyond the rotation is gone.
    assert made[0] not in glance.images
    assert made[1] in glance.images
    # 2.45: the id in the body; rotation 0 keeps none (and no Location
    # before 2.45).
    resp = cloud.post(f"/servers/{server_id}/action",
                      {"createBackup": {**backup, "rotation": 0}},
                      version="2.45")
    assert set(resp.json) == {"image_id"}
    resp = cloud.post(f"/servers/{server_id}/action",
                      {"createBackup": {**backup, "rotation": 0}})
    assert "Location" not in resp.headers
    assert not [i for i in glance.images.values()
                if i.get("image_type") == "backup"]
    actions = cloud.get(f"/servers/{server_id}/os-instance-actions").json
    assert "createBackup" in [a["action"] for a in
                              actions["instanceActions"]]


def test_rescue_image_comes_from_glance(cloud, glance):
    server_id = cloud.create_server().json["server"]["id"]
    rescue_image = glance.add_image("rescue")
    resp = cloud.post(f"/servers/{server_id}/action",
                      {"rescue": {"rescue_image_ref": rescue_image}})
    assert resp.status_int == 200
    cloud.post(f"/servers/{server_id}/action", {"unrescue": None})
    missing = "8e58c4a3-0000-4000-8000-000000000003"
    assert _fault(cloud.post(f"/servers/{server_id}/action",
                             {"rescue": {"rescue_image_ref": missing}},
                             status=400),
                  "badRequest", 400) == f"Image {missing} could not be found."


def test_an_admins_snapshot_of_another_projects_server_is_shared(cloud,
                                                                 glance):
    server_id = cloud.create_server().json["server"]["id"]
    resp = cloud.post(f"/servers/{server_id}/action",
                      {"createImage": {"name": "by-admin"}}, version="2.45",
                      admin=True)
    image_id = resp.json["image_id"]
    image = glance.images[image_id]
    assert image["visibility"] == "shared"
    assert image["owner"] == ADMIN_PROJECT
    assert "instance_owner" not in image
    assert glance.members[image_id] == {"p-1": "pending"}
    # The server's project sees it.
    assert cloud.get(f"/images/{image_id}").json["image"]["id"] == image_id


def test_image_proxy_filters_as_upstream(cloud, glance):
    server_id = cloud.create_server().json["server"]["id"]
    snap = cloud.post(f"/servers/{server_id}/action",
                      {"createImage": {"name": "snap"}},
                      version="2.45").json["image_id"]
    url = f"http://localhost/v2.1/servers/{server_id}"
    for query in (f"server={server_id}", f"server={url}", "type=snapshot",
                  f"property-instance_uuid={server_id}",
                  "changes-since=2000-01-01T00:00:00Z"):
        listed = cloud.get(f"/images/detail?{query}").json["images"]
        assert snap in [i["id"] for i in listed], query
    assert cloud.get("/images?type=backup").json["images"] == []
    asked = [r["query"] for r in glance.requests
             if r["method"] == "GET" and r["path"] == "/image/v2/images"]
    assert {"instance_uuid": server_id} .items() <= asked[1].items()
    assert asked[4]["updated_at"] == "gte:2000-01-01T00:00:00Z"


def test_glance_conflict_is_409(cloud, glance):
    mine = glance.add_image("mine", owner="p-1", visibility="private")
    glance.fail_with = (409, "Conflict",
                        "Image status transition from importing to "
                        "deleted is not allowed")
    message = _fault(cloud.app.delete(f"/v2.1/images/{mine}",
                                      headers=cloud.headers(), status=409),
                     "conflictingRequest", 409)
    assert "transition" in message and "<" not in message
    glance.fail_with = None
    assert mine in glance.images


def test_the_callers_metadata_wins_over_novas_properties(cloud, glance):
    # tempest's test_create_delete_image: metadata image_type "test".
    server_id = cloud.create_server().json["server"]["id"]
    image_id = cloud.post(f"/servers/{server_id}/action", {"createImage": {
        "name": "snap", "metadata": {"image_type": "test"}}},
        version="2.45").json["image_id"]
    assert glance.images[image_id]["image_type"] == "test"
    shown = cloud.get(f"/images/{image_id}").json["image"]
    assert shown["metadata"]["image_type"] == "test"
