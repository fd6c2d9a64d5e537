"""The disk config extension (OS-DCF:diskConfig) through the whole
pipeline, as upstream Nova 34 (and tempest's ServerDiskConfigTestJSON).

A server is AUTO or MANUAL: as its create or rebuild asked, or else as
its image's ``auto_disk_config`` property says; a resize sets the body's
value (MANUAL without one), so does a cold migration (always MANUAL);
PUT /servers/{id} sets it. An image whose ``auto_disk_config`` is
"disabled" refuses AUTO at create, rebuild and resize (400). Images here
are in the local catalogue (made by ``nova-manage image create
--property``, or as it does); tests/functional/test_glance.py has the same
checks against Glance.
"""

import pytest

from tests.helpers import (
    ADMIN,
    IMAGE,
    URL,
    action,
    boot,
    boot_id,
    fault,
    get,
    listing,
    nova_manage,
    v,
)

DCF = "OS-DCF:diskConfig"
HOSTS = "h1:nova:16:32768:1000, h2:nova:16:32768:1000"


@pytest.fixture
def app(make_cloud):
    """Two hosts (a resize moves the server), flavors 1, 2 and 3."""
    return make_cloud(HOSTS)


def _image(make_image, value, name="img"):
    return make_image(name, properties={"auto_disk_config": value})


def _disabled_message(image_id):
    return f"Requested image {image_id} has automatic disk resize disabled."


def _shown(app, server_id, version="2.1"):
    """The value in show, in the detailed list, at ``version``."""
    show = get(app, server_id, version)[DCF]
    detail = {s["id"]: s[DCF] for s in listing(
        app, version=version, detail=True).json["servers"]}
    assert detail[server_id] == show
    return show


# -- create -------------------------------------------------------------------

@pytest.mark.parametrize("value", ["AUTO", "MANUAL"])
def test_create_keeps_the_requested_value(app, value):
    resp = boot(app, **{DCF: value})
    server = resp.json["server"]
    assert server[DCF] == value
    for version in ("2.1", "2.75", "latest"):
        assert _shown(app, server["id"], version) == value


@pytest.mark.parametrize("prop,shown", [
    (None, "MANUAL"), ("True", "AUTO"), ("yes", "AUTO"), ("1", "AUTO"),
    ("false", "MANUAL"), ("disabled", "MANUAL"), ("odd", "MANUAL")])
def test_create_without_a_value_takes_the_images(app, make_image, prop,
                                                 shown):
    image_id = (IMAGE if prop is None else _image(make_image, prop))
    resp = boot(app, imageRef=image_id)
    assert resp.json["server"][DCF] == shown
    assert _shown(app, resp.json["server"]["id"]) == shown


def test_an_image_with_auto_disk_config_disabled_refuses_auto(
        app, config_dir, capsys):
    code, out, _err = nova_manage(
        config_dir, capsys, "image", "create", "locked-disk",
        "--property", "auto_disk_config=Disabled")
    assert code == 0
    image_id = out.strip()
    resp = boot(app, imageRef=image_id, status=400, **{DCF: "AUTO"})
    assert fault(resp, "badRequest", 400) == _disabled_message(image_id)
    assert listing(app).json["servers"] == []
    # MANUAL is what it allows.
    assert boot(app, imageRef=image_id, **{DCF: "MANUAL"}).json[
        "server"][DCF] == "MANUAL"


@pytest.mark.parametrize("value", ["auto", "", "NONE", 1, None])
def test_an_invalid_value_is_refused_by_the_schema(app, value):
    resp = boot(app, status=400, **{DCF: value})
    assert DCF in fault(resp, "badRequest", 400)
    assert listing(app).json["servers"] == []


# -- rebuild ------------------------------------------------------------------

@pytest.mark.parametrize("start,value", [("MANUAL", "AUTO"),
                                         ("AUTO", "MANUAL")])
def test_rebuild_sets_the_requested_value(app, start, value):
    server_id = boot_id(app, **{DCF: start})
    for version in ("2.1", "2.75"):
        resp = action(app, server_id, {"rebuild": {
            "imageRef": IMAGE, DCF: value}}, version=version)
        assert resp.json["server"][DCF] == value
        assert _shown(app, server_id) == value
        action(app, server_id, {"rebuild": {"imageRef": IMAGE, DCF: start}})


def test_rebuild_without_a_value_takes_the_new_images(app, make_image):
    server_id = boot_id(app, **{DCF: "AUTO"})
    resp = action(app, server_id, {"rebuild": {"imageRef": IMAGE}})
    assert resp.json["server"][DCF] == "MANUAL"  # IMAGE says nothing
    auto = _image(make_image, "true", "auto")
    resp = action(app, server_id, {"rebuild": {"imageRef": auto}})
    assert resp.json["server"][DCF] == "AUTO"
    assert _shown(app, server_id) == "AUTO"


def test_rebuild_to_an_image_disabling_it_refuses_auto(app, make_image):
    server_id = boot_id(app)
    disabled = _image(make_image, "disabled")
    resp = action(app, server_id, {"rebuild": {
        "imageRef": disabled, DCF: "AUTO"}}, status=400)
    assert fault(resp, "badRequest", 400) == _disabled_message(disabled)
    server = get(app, server_id)
    assert server["image"]["id"] == IMAGE
    assert server[DCF] == "MANUAL"
    assert server["status"] == "ACTIVE"
    resp = action(app, server_id, {"rebuild": {"imageRef": disabled}})
    assert resp.json["server"][DCF] == "MANUAL"


def test_rebuild_refuses_an_invalid_value(app):
    server_id = boot_id(app)
    resp = action(app, server_id, {"rebuild": {
        "imageRef": IMAGE, DCF: "auto"}}, status=400)
    assert DCF in fault(resp, "badRequest", 400)


# -- resize and cold migration ------------------------------------------------

@pytest.mark.parametrize("start,value", [("MANUAL", "AUTO"),
                                         ("AUTO", "MANUAL")])
def test_resize_sets_the_requested_value(app, start, value):
    server_id = boot_id(app, **{DCF: start})
    resp = action(app, server_id, {"resize": {"flavorRef": "2",
                                              DCF: value}})
    assert resp.body == b""
    assert get(app, server_id)["status"] == "VERIFY_RESIZE"
    assert _shown(app, server_id) == value
    action(app, server_id, {"confirmResize": None}, status=204)
    server = get(app, server_id)
    assert (server["status"], server[DCF]) == ("ACTIVE", value)


def test_resize_without_a_value_makes_it_manual(app):
    # Upstream sets ``auto_disk_config or False`` on every resize.
    server_id = boot_id(app, **{DCF: "AUTO"})
    action(app, server_id, {"resize": {"flavorRef": "2"}})
    assert _shown(app, server_id) == "MANUAL"
    # A revert does not give it back.
    action(app, server_id, {"revertResize": None})
    assert get(app, server_id)[DCF] == "MANUAL"


def test_a_cold_migration_makes_it_manual(app):
    server_id = boot_id(app, **{DCF: "AUTO"})
    action(app, server_id, {"migrate": None})
    assert _shown(app, server_id) == "MANUAL"


def test_resize_of_a_server_whose_image_disables_it_refuses_auto(
        app, make_image):
    disabled = _image(make_image, "disabled")
    server_id = boot_id(app, imageRef=disabled)
    resp = action(app, server_id, {"resize": {"flavorRef": "2",
                                              DCF: "AUTO"}}, status=400)
    assert fault(resp, "badRequest", 400) == _disabled_message(disabled)
    server = get(app, server_id)
    assert (server["status"], server["flavor"]["id"], server[DCF]) == (
        "ACTIVE", "1", "MANUAL")
    action(app, server_id, {"resize": {"flavorRef": "2", DCF: "MANUAL"}})
    assert get(app, server_id)["status"] == "VERIFY_RESIZE"


def test_resize_refuses_an_invalid_value(app):
    server_id = boot_id(app)
    resp = action(app, server_id, {"resize": {"flavorRef": "2",
                                              DCF: "MANUALLY"}}, status=400)
    assert DCF in fault(resp, "badRequest", 400)
    assert get(app, server_id)["status"] == "ACTIVE"


# -- update -------------------------------------------------------------------

@pytest.mark.parametrize("version", ["2.1", "2.75", "latest"])
def test_update_sets_it_without_asking_the_image(app, make_image, version):
    # As upstream, PUT does not look at the image's property.
    disabled = _image(make_image, "disabled")
    server_id = boot_id(app, imageRef=disabled)
    for value in ("AUTO", "MANUAL", "AUTO"):
        resp = app.put_json(f"{URL}/{server_id}", {"server": {DCF: value}},
                            headers=v(version))
        assert resp.json["server"][DCF] == value
        assert _shown(app, server_id, version) == value


def test_update_refuses_an_invalid_value(app):
    server_id = boot_id(app, **{DCF: "AUTO"})
    resp = app.put_json(f"{URL}/{server_id}", {"server": {DCF: "MANUAL "}},
                        headers=ADMIN, status=400)
    assert DCF in fault(resp, "badRequest", 400)
    assert get(app, server_id)[DCF] == "AUTO"


# -- listing ------------------------------------------------------------------

def test_servers_sort_by_auto_disk_config(app):
    manual = boot_id(app, "m", **{DCF: "MANUAL"})
    auto = boot_id(app, "a", **{DCF: "AUTO"})
    ids = [s["id"] for s in listing(
        app, "sort_key=auto_disk_config&sort_dir=asc").json["servers"]]
    assert ids == [manual, auto]
    ids = [s["id"] for s in listing(
        app, "sort_key=auto_disk_config&sort_dir=desc").json["servers"]]
    assert ids == [auto, manual]
