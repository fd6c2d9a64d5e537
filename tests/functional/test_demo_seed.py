"""``nova-manage demo seed``: DevStack's flavors, two images and the demo
user, then what a client sees of them through the API; a second run
keeps everything; an existing cloud is left alone."""

import bcrypt
import pytest

from tests.helpers import (
    ADMIN,
    DEMO,
    boot,
    fault,
    get,
    nova_manage,
    v,
    write_compute_config,
)

CIRROS = "d5a86f6b-384f-474a-9479-606996590522"
UBUNTU = "5d38f66a-9408-4bf2-af42-0a1bc3a59c61"
# (id, name, ram, disk, vcpus): DevStack's lib/nova and lib/tempest.
FLAVORS = [("1", "m1.tiny", 512, 1, 1), ("2", "m1.small", 2048, 20, 1),
           ("3", "m1.medium", 4096, 40, 2), ("4", "m1.large", 8192, 80, 4),
           ("5", "m1.xlarge", 16384, 160, 8), ("42", "m1.nano", 192, 1, 1),
           ("84", "m1.micro", 256, 1, 1)]
NAMES = [f[1] for f in FLAVORS] + ["cirros", "ubuntu-24.04"]


def seed(config_dir, capsys, *argv):
    code, out, err = nova_manage(config_dir, capsys, "demo", "seed", *argv)
    assert (code, err) == (0, ""), err
    return out.splitlines()


def results(lines):
    """{name: result} of the flavor and image lines."""
    found = {}
    for line in lines:
        kind, name, rest = line.split(" ", 2)
        if kind in ("flavor", "image"):
            found[name] = rest.split(": ", 1)[1]
    return found


def test_seed_gives_a_cloud_to_boot_in(fast_config, capsys):
    lines = seed(fast_config, capsys)
    assert results(lines) == dict.fromkeys(NAMES, "created")
    assert lines[-2] == (
        "user demo: nothing to store under auth_strategy = noauth2 (the "
        "token demo:demo is the user demo of the project demo, admin:admin "
        "the admin)")
    assert lines[-1] == "Seeded: 9 created, 0 kept, 0 skipped."

    app = fast_config.testapp()
    flavors = app.get("/v2.1/flavors/detail", headers=v("2.61", DEMO)).json[
        "flavors"]
    assert sorted((f["id"], f["name"], f["ram"], f["disk"], f["vcpus"])
                  for f in flavors) == sorted(FLAVORS)
    assert {f["extra_specs"].get("hw_rng:allowed") for f in flavors} == {
        "True"}
    images = {i["name"]: i for i in app.get(
        "/v2.1/images/detail", headers=DEMO).json["images"]}
    assert set(images) == {"cirros", "ubuntu-24.04"}
    cirros = images["cirros"]
    assert (cirros["id"], cirros["status"], cirros["minDisk"],
            cirros["OS-EXT-IMG-SIZE:size"]) == (CIRROS, "ACTIVE", 0,
                                                21692416)
    assert cirros["metadata"]["os_distro"] == "cirros"
    ubuntu = images["ubuntu-24.04"]
    assert (ubuntu["minDisk"], ubuntu["minRam"]) == (4, 512)

    # The demo user boots cirros on m1.tiny; Ubuntu needs m1.small.
    server_id = boot(app, who=DEMO, imageRef=CIRROS).json["server"]["id"]
    assert get(app, server_id, who=DEMO)["status"] == "ACTIVE"
    refused = boot(app, who=DEMO, imageRef=UBUNTU, status=400)
    assert fault(refused, "badRequest", 400) == \
        "Flavor's disk is too small for requested image."
    boot(app, who=DEMO, imageRef=UBUNTU, flavorRef="2")


def test_a_second_run_keeps_what_is_there(fast_config, capsys):
    seed(fast_config, capsys)
    app = fast_config.testapp()
    server_id = boot(app, who=DEMO, imageRef=CIRROS).json["server"]["id"]
    # The admin replaces m1.large by a flavor of another id.
    app.delete("/v2.1/flavors/4", headers=ADMIN, status=202)
    app.post_json("/v2.1/flavors", {"flavor": {
        "name": "m1.large", "id": "large-2", "ram": 4096, "vcpus": 2,
        "disk": 10}}, headers=ADMIN)

    lines = seed(fast_config, capsys)
    assert results(lines) == {
        **dict.fromkeys(NAMES, "kept"),
        "m1.large": "skipped (flavor large-2 has the name)"}
    assert lines[-1] == "Seeded: 0 created, 8 kept, 1 skipped."
    assert get(app, server_id, who=DEMO)["status"] == "ACTIVE"
    assert app.get("/v2.1/flavors/large-2", headers=DEMO).json["flavor"][
        "ram"] == 4096
    app.get("/v2.1/flavors/4", headers=DEMO, status=404)


def test_an_existing_cloud_is_left_alone(fast_config, capsys, make_image):
    app = fast_config.testapp()
    app.post_json("/v2.1/flavors", {"flavor": {
        "name": "gold", "id": "1", "ram": 1024, "vcpus": 2, "disk": 10}},
        headers=ADMIN)
    make_image("centos-stream-9")

    lines = seed(fast_config, capsys)
    assert lines == [
        "Left alone: the database has 1 flavor(s) and 1 image(s) and none "
        "of the demo images, so it is no demo cloud. 'nova-manage demo "
        "seed --force' adds the demo items to it anyway."]
    assert [f["name"] for f in app.get(
        "/v2.1/flavors", headers=ADMIN).json["flavors"]] == ["gold"]

    # Forced, it still changes nothing that is there.
    found = results(seed(fast_config, capsys, "--force"))
    assert found["m1.tiny"] == "kept (as 'gold')"
    assert found["cirros"] == "created"
    assert app.get("/v2.1/flavors/1", headers=ADMIN).json["flavor"][
        "name"] == "gold"


@pytest.fixture
def basic_config(config_dir, tmp_path):
    htpasswd = tmp_path / "htpasswd"
    admin = bcrypt.hashpw(b"admin-pw", bcrypt.gensalt(rounds=4)).decode()
    htpasswd.write_text(f"admin:{admin}")  # no newline at the end
    write_compute_config(config_dir, tmp_path)
    text = (config_dir.path / "nova.conf").read_text().replace(
        "auth_strategy = noauth2",
        f"auth_strategy = http_basic\n"
        f"http_basic_auth_user_file = {htpasswd}")
    (config_dir.path / "nova.conf").write_text(text)
    config_dir.htpasswd = htpasswd
    return config_dir


def _basic(user, password):
    import base64

    raw = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def test_http_basic_gets_the_demo_user(basic_config, capsys):
    lines = seed(basic_config, capsys, "--demo-password", "s3cret pw")
    assert lines[-2] == (f"user demo: created in {basic_config.htpasswd} "
                         "(project demo)")
    assert basic_config.htpasswd.read_text().startswith("admin:$2b$")
    app = basic_config.testapp()
    listed = app.get("/v2.1/flavors", headers=_basic("demo", "s3cret pw"))
    assert len(listed.json["flavors"]) == 7
    server = boot(app, who=_basic("demo", "s3cret pw"), imageRef=CIRROS)
    shown = app.get(f"/v2.1/servers/{server.json['server']['id']}",
                    headers=_basic("admin", "admin-pw")).json["server"]
    assert (shown["user_id"], shown["tenant_id"]) == ("demo", "demo")

    lines = seed(basic_config, capsys)
    assert lines[-2] == f"user demo: kept (in {basic_config.htpasswd})"


def test_http_basic_demo_password_is_made_and_printed(basic_config, capsys):
    basic_config.htpasswd.unlink()
    line = seed(basic_config, capsys)[-2]
    prefix = f"user demo: created in {basic_config.htpasswd} (project " \
             "demo), password "
    assert line.startswith(prefix)
    password = line[len(prefix):]
    assert len(password) >= 16
    app = basic_config.testapp()
    app.get("/v2.1/flavors", headers=_basic("demo", password))
    app.get("/v2.1/flavors", headers=_basic("demo", "wrong"), status=401)
    assert oct(basic_config.htpasswd.stat().st_mode & 0o777) == "0o640"
