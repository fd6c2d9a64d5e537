"""The local image catalogue: /images (2.1 to 2.35) and ``nova-manage image``.

There is no Glance: images are added with ``nova-manage image create`` (or
``nova.compute.images.create``) and shown at /images until 2.35, as
upstream's image proxy did (``images_proxy.txt``); their owner (or an
admin) may delete them and change their metadata (until 2.38).
"""

import json
import uuid

import pytest

from tests.helpers import (
    ADMIN,
    ALICE,
    DEMO,
    HOST,
    IMAGE,
    OTHER,
    fault,
    make_flavor,
    nova_manage,
    sample,
    v,
)

URL = "/v2.1/images"
CIRROS = IMAGE  # the samples' cirros


def ids(resp):
    return [item["id"] for item in resp.json["images"]]


@pytest.fixture
def catalogue(fast_compute, make_image):
    """cirros (public), two private images of project demo, one shared."""
    make_image("cirros-0.6.2-x86_64-disk", image_id=CIRROS, min_disk=1,
               min_ram=64, size=21430272,
               properties={"os_distro": "cirros", "hw_rng_model": "virtio"})
    make_image("demo-private", image_id="00000000-0000-4000-8000-00000000000d",
               visibility="private", owner="demo")
    make_image("other-private",
               image_id="00000000-0000-4000-8000-00000000000e",
               visibility="private", owner="other")
    make_image("shared", image_id="00000000-0000-4000-8000-00000000000f",
               visibility="shared", owner="other")
    return fast_compute


# -- shapes -------------------------------------------------------------------

def test_list_matches_sample_shape(fast_compute, make_image):
    _status, _headers, body = sample("images_proxy")
    make_image("cirros-0.6.2-x86_64-disk", image_id=CIRROS)
    resp = fast_compute.get(URL, headers=ADMIN)
    assert resp.status_int == 200
    (expected,), = body.values()
    (image,) = resp.json["images"]
    assert list(resp.json) == ["images"]
    assert list(image) == list(expected)
    assert image["id"] == expected["id"] and \
        image["name"] == expected["name"]
    sample_links = json.loads(json.dumps(expected["links"]).replace(
        "http://127.0.0.1:18774", HOST))
    # Upstream adds a third, "alternate" link to Glance; there is no Glance.
    assert image["links"] == sample_links[:2]


def test_detail_and_show(catalogue):
    resp = catalogue.get(f"{URL}/{CIRROS}", headers=DEMO)
    image = resp.json["image"]
    assert list(image) == [
        "id", "name", "minRam", "minDisk", "metadata", "created", "updated",
        "status", "progress", "OS-EXT-IMG-SIZE:size", "links"]
    assert image["id"] == CIRROS
    assert image["name"] == "cirros-0.6.2-x86_64-disk"
    assert (image["minRam"], image["minDisk"]) == (64, 1)
    assert image["metadata"] == {"os_distro": "cirros",
                                 "hw_rng_model": "virtio"}
    assert image["status"] == "ACTIVE" and image["progress"] == 100
    assert image["OS-EXT-IMG-SIZE:size"] == 21430272
    assert image["created"].endswith("Z") and len(image["created"]) == 20
    assert image["links"] == [
        {"rel": "self", "href": f"{HOST}/v2.1/images/{CIRROS}"},
        {"rel": "bookmark", "href": f"{HOST}/images/{CIRROS}"}]
    detail = catalogue.get(URL + "/detail", headers=DEMO).json["images"]
    assert [i for i in detail if i["id"] == CIRROS] == [image]
    basic = catalogue.get(URL, headers=DEMO).json["images"]
    assert {i["id"]: list(i) for i in basic}[CIRROS] == \
        ["id", "name", "links"]


def test_show_missing(catalogue):
    for image_id in ("11111111-2222-4333-8444-555555555555", "nope"):
        resp = catalogue.get(f"{URL}/{image_id}", headers=ADMIN, status=404)
        assert fault(resp, "itemNotFound", 404) == "Image not found."


def test_gone_from_2_36(catalogue):
    for path in (URL, URL + "/detail", f"{URL}/{CIRROS}"):
        assert catalogue.get(path, headers=v("2.35")).status_int == 200
        for version in ("2.36", "latest"):
            resp = catalogue.get(path, headers=v(version), status=404)
            fault(resp, "itemNotFound", 404)


def test_project_id_in_url(catalogue):
    resp = catalogue.get(f"/v2.1/demo/images/{CIRROS}", headers=DEMO)
    assert resp.json["image"]["links"][0]["href"] == \
        f"{HOST}/v2.1/demo/images/{CIRROS}"
    resp = catalogue.get(f"/v2.1/other/images/{CIRROS}", headers=DEMO,
                         status=400)
    fault(resp, "badRequest", 400)


# -- visibility ---------------------------------------------------------------

def test_private_images_only_for_their_project(catalogue):
    demo_private = "00000000-0000-4000-8000-00000000000d"
    other_private = "00000000-0000-4000-8000-00000000000e"
    shared = "00000000-0000-4000-8000-00000000000f"
    for who in (DEMO, ALICE):
        seen = set(ids(catalogue.get(URL, headers=who)))
        assert seen == {CIRROS, demo_private, shared}
        catalogue.get(f"{URL}/{demo_private}", headers=who, status=200)
        resp = catalogue.get(f"{URL}/{other_private}", headers=who,
                             status=404)
        assert fault(resp, "itemNotFound", 404) == "Image not found."
    seen = set(ids(catalogue.get(URL + "/detail", headers=OTHER)))
    assert seen == {CIRROS, other_private, shared}
    catalogue.get(f"{URL}/{demo_private}", headers=OTHER, status=404)
    assert set(ids(catalogue.get(URL, headers=ADMIN))) == {
        CIRROS, demo_private, other_private, shared}


def test_booting_needs_a_visible_active_image(catalogue, make_image):
    make_flavor(catalogue, "m1.tiny", flavor_id="1")
    make_image("queued", image_id="00000000-0000-4000-8000-0000000000aa")
    with make_image.db.writer() as session:
        from nova.db.models import Image
        session.get(Image, "00000000-0000-4000-8000-0000000000aa").status = \
            "queued"

    def boot(image, who):
        return catalogue.post_json("/v2.1/servers", {"server": {
            "name": "vm", "imageRef": image, "flavorRef": "1",
            "networks": "none"}}, headers=v("2.37", who), status="*")

    resp = boot("00000000-0000-4000-8000-00000000000e", DEMO)
    assert fault(resp, "badRequest", 400) == "Can not find requested image"
    resp = boot("00000000-0000-4000-8000-0000000000aa", ADMIN)
    assert fault(resp, "badRequest", 400) == "Can not find requested image"
    assert boot("00000000-0000-4000-8000-00000000000d", ALICE
                ).status_int == 202
    assert boot("00000000-0000-4000-8000-00000000000e", OTHER
                ).status_int == 202
    assert boot("00000000-0000-4000-8000-00000000000e", ADMIN
                ).status_int == 202


def test_image_minimums_are_checked_on_boot(catalogue):
    make_flavor(catalogue, "small-ram", ram=32, disk=5, flavor_id="r")
    make_flavor(catalogue, "small-disk", ram=128, disk=0, flavor_id="d0")
    make_flavor(catalogue, "ok", ram=128, disk=1, flavor_id="ok")

    def boot(flavor):
        return catalogue.post_json("/v2.1/servers", {"server": {
            "name": "vm", "imageRef": CIRROS, "flavorRef": flavor,
            "networks": "none"}}, headers=v("2.37"), status="*")

    assert fault(boot("r"), "badRequest", 400) == \
        "Flavor's memory is too small for requested image."
    # A flavor with disk 0 boots any image (the root disk takes the image's
    # size), as upstream.
    assert boot("d0").status_int == 202
    assert boot("ok").status_int == 202
    make_flavor(catalogue, "tiny-disk", ram=128, disk=1, flavor_id="t")
    # min_disk 1 and disk 1 fit exactly.
    assert boot("t").status_int == 202


def test_server_views_show_image_properties_from_2_98(catalogue):
    make_flavor(catalogue, "m1.tiny", flavor_id="1")
    resp = catalogue.post_json("/v2.1/servers", {"server": {
        "name": "vm", "imageRef": CIRROS, "flavorRef": "1",
        "networks": "none"}}, headers=v("2.37"))
    server_id = resp.json["server"]["id"]
    image = catalogue.get(f"/v2.1/servers/{server_id}",
                          headers=v("2.97")).json["server"]["image"]
    assert image == {"id": CIRROS, "links": [
        {"rel": "bookmark", "href": f"{HOST}/images/{CIRROS}"}]}
    image = catalogue.get(f"/v2.1/servers/{server_id}",
                          headers=v("2.98")).json["server"]["image"]
    assert image["properties"] == {"os_distro": "cirros",
                                   "hw_rng_model": "virtio"}


# -- filters and pagination ---------------------------------------------------

def test_filters(catalogue):
    assert ids(catalogue.get(URL + "?name=shared", headers=ADMIN)) == \
        ["00000000-0000-4000-8000-00000000000f"]
    assert ids(catalogue.get(URL + "?name=none-such", headers=ADMIN)) == []
    assert len(ids(catalogue.get(URL + "/detail?status=active",
                                 headers=ADMIN))) == 4
    assert ids(catalogue.get(URL + "?status=QUEUED", headers=ADMIN)) == []
    # Unknown parameters are ignored (/images never reached 2.102).
    assert len(ids(catalogue.get(URL + "?foo=bar", headers=ADMIN))) == 4


def test_pagination(catalogue):
    everything = ids(catalogue.get(URL, headers=ADMIN))
    assert len(everything) == 4
    seen, path = [], URL + "/detail?limit=3"
    while path:
        resp = catalogue.get(path, headers=ADMIN)
        seen += ids(resp)
        links = resp.json.get("images_links")
        path = links[0]["href"][len(HOST):] if links else None
        if links:
            assert links[0]["rel"] == "next"
            assert links[0]["href"].startswith(HOST + URL + "?")
    assert seen == everything
    resp = catalogue.get(URL + "?marker=nope", headers=ADMIN, status=400)
    assert fault(resp, "badRequest", 400) == "marker [nope] not found"
    for query in ("limit=-1", "limit=x"):
        resp = catalogue.get(f"{URL}?{query}", headers=ADMIN, status=400)
        fault(resp, "badRequest", 400)
    # upstream's limit is a positive integer (the audit's item 24)
    resp = catalogue.get(URL + "?limit=0", headers=ADMIN, status=400)
    fault(resp, "badRequest", 400)


@pytest.mark.parametrize("path", [
    URL + "?name=%FF", URL + "/%FF", URL + "?marker=" + "x" * 5000,
    URL + "/" + "x" * 5000, URL + "?limit=99999999999999999999999",
    URL + "?status=%00",
])
def test_hostile_reads_never_500(catalogue, path):
    resp = catalogue.get(path, headers=ADMIN, status="*")
    assert resp.status_int in (200, 400, 404), resp.body


# -- nova-manage image --------------------------------------------------------

def test_nova_manage_image_create_list_delete(fast_config, capsys):
    app = fast_config.testapp()
    code, out, err = nova_manage(
        fast_config, capsys, "image", "create", "my image",
        "--visibility", "private", "--owner", "demo", "--min-ram", "128",
        "--min-disk", "2", "--size", "1024", "--property", "os_distro=debian",
        "--property", "hw_disk_bus=virtio")
    assert code == 0, err
    image_id = out.strip()
    assert str(uuid.UUID(image_id)) == image_id
    image = app.get(f"{URL}/{image_id}", headers=DEMO).json["image"]
    assert image["name"] == "my image"
    assert (image["minRam"], image["minDisk"]) == (128, 2)
    assert image["OS-EXT-IMG-SIZE:size"] == 1024
    assert image["metadata"] == {"os_distro": "debian",
                                 "hw_disk_bus": "virtio"}
    app.get(f"{URL}/{image_id}", headers=OTHER, status=404)

    code, out, err = nova_manage(fast_config, capsys, "image", "create",
                                 "cirros", "--id", CIRROS.upper())
    assert (code, out.strip()) == (0, CIRROS)
    code, out, err = nova_manage(fast_config, capsys, "image", "list")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].split()[:3] == [image_id, "private", "active"]
    assert lines[0].endswith("my image")
    assert lines[1].split() == [CIRROS, "public", "active", "cirros"]

    code, out, err = nova_manage(fast_config, capsys, "image", "delete",
                                 image_id)
    assert (code, out.strip()) == (0, f"Deleted image {image_id}")
    app.get(f"{URL}/{image_id}", headers=ADMIN, status=404)
    code, out, err = nova_manage(fast_config, capsys, "image", "delete",
                                 image_id)
    assert code == 1
    assert err.strip() == \
        f"nova-manage: Image {image_id} could not be found."
    assert ids(app.get(URL, headers=ADMIN)) == [CIRROS]


def test_nova_manage_image_create_refuses_bad_input(fast_config, capsys):
    code, _out, err = nova_manage(fast_config, capsys, "image", "create",
                                  "x", "--id", CIRROS)
    assert code == 0
    code, _out, err = nova_manage(fast_config, capsys, "image", "create",
                                  "again", "--id", CIRROS)
    assert code == 1
    assert err.strip() == \
        f"nova-manage: an image with id {CIRROS} already exists"
    for argv in (("--id", "not-a-uuid"), ("--min-ram", "-1"),
                 ("--min-disk", "x"), ("--size", "-5"),
                 ("--visibility", "everyone")):
        code, _out, err = nova_manage(fast_config, capsys, "image",
                                      "create", "x", *argv)
        assert code == 2, argv
        assert "error" in err
    code, _out, err = nova_manage(fast_config, capsys, "image", "create",
                                  "x", "--property", "novalue")
    assert code == 2
    assert "KEY=VALUE" in err
    code, out, _err = nova_manage(fast_config, capsys, "image", "list")
    assert out.split() == [CIRROS, "public", "active", "x"]


def test_deleted_image_keeps_servers_showing_it(catalogue, capsys,
                                                fast_config):
    make_flavor(catalogue, "m1.tiny", flavor_id="1")
    resp = catalogue.post_json("/v2.1/servers", {"server": {
        "name": "vm", "imageRef": CIRROS, "flavorRef": "1",
        "networks": "none"}}, headers=v("2.37"))
    server_id = resp.json["server"]["id"]
    code, _out, _err = nova_manage(fast_config, capsys, "image", "delete",
                                   CIRROS)
    assert code == 0
    server = catalogue.get(f"/v2.1/servers/{server_id}",
                           headers=v("latest")).json["server"]
    assert server["image"]["id"] == CIRROS
    assert server["image"]["properties"] == {}
    assert server["status"] == "ACTIVE"


def test_owner_changes_metadata_and_deletes_local_images(catalogue):
    mine = "00000000-0000-4000-8000-00000000000d"  # demo's
    base = f"{URL}/{mine}/metadata"
    assert catalogue.get(base, headers=DEMO).json == {"metadata": {}}
    resp = catalogue.post_json(base, {"metadata": {"os": "linux"}},
                               headers=DEMO)
    assert resp.json == {"metadata": {"os": "linux"}}
    resp = catalogue.put_json(base + "/os", {"meta": {"os": "bsd"}},
                              headers=DEMO)
    assert resp.json == {"meta": {"os": "bsd"}}
    resp = catalogue.put_json(base + "/os", {"meta": {"other": "x"}},
                              headers=DEMO, status=400)
    assert fault(resp, "badRequest", 400) == "Request body and URI mismatch"
    assert catalogue.get(base + "/os", headers=DEMO).json == {
        "meta": {"os": "bsd"}}
    catalogue.delete(base + "/os", headers=DEMO, status=204)
    resp = catalogue.delete(base + "/os", headers=DEMO, status=404)
    assert fault(resp, "itemNotFound", 404) == "Invalid metadata key"
    # Another project's public image: seen, not changed; a private one:
    # not seen.
    resp = catalogue.post_json(f"{URL}/{CIRROS}/metadata",
                               {"metadata": {"x": "y"}}, headers=DEMO,
                               status=403)
    assert fault(resp, "forbidden", 403) == (
        f"Not authorized for image {CIRROS}.")
    resp = catalogue.delete(f"{URL}/{CIRROS}", headers=DEMO, status=403)
    assert fault(resp, "forbidden", 403) == (
        "You are not allowed to delete the image.")
    resp = catalogue.get(f"{URL}/00000000-0000-4000-8000-00000000000e"
                         f"/metadata", headers=DEMO, status=404)
    assert fault(resp, "itemNotFound", 404) == "Image not found."
    resp = catalogue.post_json(base, {"metadata": {
        f"k{i}": "v" for i in range(129)}}, headers=DEMO, status=403)
    assert fault(resp, "forbidden", 403) == "Image metadata limit exceeded"
    catalogue.get(base, headers=v("2.39", DEMO), status=404)
    catalogue.delete(f"{URL}/{mine}", headers=DEMO, status=204)
    catalogue.get(f"{URL}/{mine}", headers=DEMO, status=404)


def test_create_backup_in_the_local_catalogue(catalogue):
    make_flavor(catalogue, "m1.tiny", flavor_id="1")
    resp = catalogue.post_json("/v2.1/servers", {"server": {
        "name": "vm", "imageRef": CIRROS, "flavorRef": "1",
        "networks": "none"}}, headers=v("2.37", DEMO))
    server_id = resp.json["server"]["id"]
    backup = {"name": "weekly", "backup_type": "weekly", "rotation": 1}
    first = catalogue.post_json(f"/v2.1/servers/{server_id}/action",
                                {"createBackup": backup}, headers=DEMO)
    first_id = first.headers["Location"].rsplit("/", 1)[1]
    second = catalogue.post_json(f"/v2.1/servers/{server_id}/action",
                                 {"createBackup": backup},
                                 headers=v("2.45", DEMO))
    second_id = second.json["image_id"]
    shown = catalogue.get(f"{URL}/{second_id}", headers=DEMO).json["image"]
    assert shown["metadata"]["image_type"] == "backup"
    assert shown["metadata"]["backup_type"] == "weekly"
    catalogue.get(f"{URL}/{first_id}", headers=DEMO, status=404)
    resp = catalogue.post_json(f"/v2.1/servers/{server_id}/action",
                               {"createBackup": {"name": "x"}},
                               headers=DEMO, status=400)
    fault(resp, "badRequest", 400)


def test_filters_by_server_type_and_changes_since(catalogue):
    make_flavor(catalogue, "m1.tiny", flavor_id="1")
    server_id = catalogue.post_json("/v2.1/servers", {"server": {
        "name": "vm", "imageRef": CIRROS, "flavorRef": "1",
        "networks": "none"}}, headers=v("2.37", DEMO)).json["server"]["id"]
    snap = catalogue.post_json(f"/v2.1/servers/{server_id}/action",
                               {"createImage": {"name": "s"}},
                               headers=v("2.45", DEMO)).json["image_id"]
    shown = catalogue.get(f"{URL}/{snap}", headers=DEMO).json["image"]
    # As upstream: the server a snapshot was made of, with its links.
    assert shown["server"] == {"id": server_id, "links": [
        {"rel": "self", "href": f"{HOST}/v2.1/servers/{server_id}"},
        {"rel": "bookmark", "href": f"{HOST}/servers/{server_id}"}]}
    assert "server" not in catalogue.get(f"{URL}/{CIRROS}",
                                         headers=DEMO).json["image"]
    for query in (f"server={server_id}", "type=snapshot",
                  f"server=http://localhost/v2.1/servers/{server_id}",
                  "changes-since=2000-01-01T00:00:00Z"):
        assert snap in ids(catalogue.get(f"{URL}?{query}", headers=DEMO))
    assert ids(catalogue.get(f"{URL}?type=backup", headers=DEMO)) == []
    assert ids(catalogue.get(f"{URL}?changes-since=2999-01-01T00:00:00Z",
                             headers=DEMO)) == []
    resp = catalogue.get(f"{URL}?changes-since=yesterday", headers=DEMO,
                         status=400)
    fault(resp, "badRequest", 400)
