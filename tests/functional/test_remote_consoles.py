"""Remote consoles through the whole pipeline: POST
/servers/{id}/remote-consoles (2.6+) and the os-getVNCConsole,
os-getSPICEConsole and os-getSerialConsole actions (2.1-2.5), as upstream
Nova 34 answers them: its request schemas, URL formats (its api-ref
samples), error answers and policy. Responses are checked against
tempest's response schemas (tempest/lib/api_schema/response/compute,
v2_1 get_vnc_console, v2_6/v2_8/v2_99 get_remote_consoles).

What a token gives a console proxy (GET /os-console-auth-tokens/{token})
is tested in test_console_auth_tokens.py.
"""

import re
import urllib.parse

import jsonschema
import pytest
import sqlalchemy as sa

from tests.functional.consoles_cloud import (
    EVERY_PROTOCOL,
    console_app,
    remote,
    token_rows,
)
from tests.helpers import (
    ADMIN,
    DEMO,
    IMAGE,
    OTHER,
    URL,
    action,
    app_db,
    boot_id,
    fault,
    make_flavor,
    v,
)

TOKEN = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
NOVNC = re.compile(r"http://127\.0\.0\.1:6080/vnc_auto\.html"
                   rf"\?path=%3Ftoken%3D({TOKEN})")
SPICE = re.compile(rf"http://127\.0\.0\.1:6082/spice_auto\.html\?token=({TOKEN})")
SPICE_DIRECT = re.compile(rf"http://127\.0\.0\.1:13002/nova\?token=({TOKEN})")
SERIAL = re.compile(rf"ws://127\.0\.0\.1:6083/\?token=({TOKEN})")
WEBMKS = re.compile(rf"http://127\.0\.0\.1:6090/\?token=({TOKEN})")

_URL = {"type": "string", "format": "uri"}
TEMPEST_LEGACY = {
    "type": "object",
    "properties": {"console": {
        "type": "object",
        "properties": {"type": {"type": "string"}, "url": _URL},
        "additionalProperties": False, "required": ["type", "url"]}},
    "additionalProperties": False, "required": ["console"]}


def tempest_remote(protocols, types):
    return {
        "type": "object",
        "properties": {"remote_console": {
            "type": "object",
            "properties": {"protocol": {"enum": protocols},
                           "type": {"enum": types}, "url": _URL},
            "additionalProperties": False,
            "required": ["protocol", "type", "url"]}},
        "additionalProperties": False, "required": ["remote_console"]}


_P, _T = ["vnc", "rdp", "serial", "spice"], ["novnc", "xvpvnc", "rdp-html5",
                                             "spice-html5", "serial"]
TEMPEST_26 = tempest_remote(_P, _T)
TEMPEST_28 = tempest_remote(_P + ["mks"], _T + ["webmks"])
TEMPEST_299 = tempest_remote(_P, _T + ["spice-direct"])  # tempest has no mks


@pytest.fixture
def every(config_dir, tmp_path, make_image):
    """Every protocol switched on."""
    return console_app(config_dir, tmp_path, make_image, EVERY_PROTOCOL)


# -- 2.6+: remote-consoles ----------------------------------------------------

def test_vnc_console_as_upstream_samples_show_it(cloud):
    server_id = boot_id(cloud, who=DEMO)
    resp = remote(cloud, server_id, "vnc", "novnc")
    jsonschema.validate(resp.json, TEMPEST_26)
    console = resp.json["remote_console"]
    assert (console["protocol"], console["type"]) == ("vnc", "novnc")
    assert NOVNC.fullmatch(console["url"]), console["url"]
    # what noVNC reads: its websocket path carries the token
    path = urllib.parse.parse_qs(urllib.parse.urlsplit(
        console["url"]).query)["path"]
    assert path == [f"?token={NOVNC.fullmatch(console['url']).group(1)}"]


def test_every_protocol_and_type(every):
    server_id = boot_id(every, who=DEMO)
    for version, protocol, console_type, pattern, schema in (
            ("2.6", "vnc", "novnc", NOVNC, TEMPEST_26),
            ("2.6", "spice", "spice-html5", SPICE, TEMPEST_26),
            ("2.6", "serial", "serial", SERIAL, TEMPEST_26),
            ("2.8", "mks", "webmks", WEBMKS, TEMPEST_28),
            ("2.99", "spice", "spice-direct", SPICE_DIRECT, TEMPEST_299),
            ("latest", "vnc", "novnc", NOVNC, TEMPEST_299)):
        resp = remote(every, server_id, protocol, console_type, version)
        jsonschema.validate(resp.json, schema)
        console = resp.json["remote_console"]
        assert (console["protocol"], console["type"]) == (protocol,
                                                          console_type)
        assert pattern.fullmatch(console["url"]), console["url"]


def test_each_request_gets_its_own_token(cloud):
    server_id = boot_id(cloud, who=DEMO)
    urls = {remote(cloud, server_id, "vnc", "novnc").json[
        "remote_console"]["url"] for _ in range(3)}
    assert len(urls) == 3
    assert len(token_rows(cloud)) == 3


def test_remote_consoles_is_404_before_2_6(cloud):
    server_id = boot_id(cloud, who=DEMO)
    resp = remote(cloud, server_id, "vnc", "novnc", "2.5", status=404)
    fault(resp, "itemNotFound", 404)


@pytest.mark.parametrize("version,protocol,console_type", [
    ("2.6", "vnc", "spice-direct"),   # spice-direct from 2.99
    ("2.98", "spice", "spice-direct"),
    ("2.6", "mks", "webmks"),         # mks from 2.8
    ("2.7", "vnc", "webmks"),
    ("2.6", "vnc", "bogus"),
    ("2.6", "telnet", "novnc"),
])
def test_what_the_schema_refuses(every, version, protocol, console_type):
    server_id = boot_id(every, who=DEMO)
    resp = remote(every, server_id, protocol, console_type, version,
                  status=400)
    assert "Invalid input for field/attribute" in fault(
        resp, "badRequest", 400)


def test_a_body_without_both_keys_is_400(cloud):
    server_id = boot_id(cloud, who=DEMO)
    for body in ({"remote_console": {"protocol": "vnc"}},
                 {"remote_console": {"protocol": "vnc", "type": "novnc",
                                     "extra": 1}},
                 {"console": {"protocol": "vnc", "type": "novnc"}}):
        cloud.post_json(f"{URL}/{server_id}/remote-consoles", body,
                        headers=v("2.6", DEMO), status=400)
    assert token_rows(cloud) == []


@pytest.mark.parametrize("protocol,console_type,message", [
    # switched off by default, as upstream
    ("spice", "spice-html5", "Unavailable console type spice-html5."),
    ("serial", "serial", "Unavailable console type serial."),
    ("mks", "webmks", "Unavailable console type webmks."),
    # the Hyper-V driver's, removed upstream
    ("rdp", "rdp-html5", "Unavailable console type rdp."),
    # a type of another protocol, or XenServer's
    ("vnc", "xvpvnc", "Invalid console type xvpvnc"),
    ("vnc", "spice-html5", "Invalid console type spice-html5"),
])
def test_what_upstream_refuses_with_400(cloud, protocol, console_type,
                                        message):
    server_id = boot_id(cloud, who=DEMO)
    resp = remote(cloud, server_id, protocol, console_type, "2.8",
                  status=400)
    assert fault(resp, "badRequest", 400) == message
    assert token_rows(cloud) == []


def test_a_type_of_another_protocol_is_invalid_when_both_are_on(every):
    server_id = boot_id(every, who=DEMO)
    for protocol, console_type in (("serial", "novnc"),
                                   ("spice", "serial"), ("mks", "novnc")):
        resp = remote(every, server_id, protocol, console_type, "2.8",
                      status=400)
        assert fault(resp, "badRequest", 400) == (
            f"Invalid console type {console_type}")


def test_vnc_switched_off(config_dir, tmp_path, make_image):
    app = console_app(config_dir, tmp_path, make_image,
                      "[vnc]\nenabled = false\n")
    server_id = boot_id(app, who=DEMO)
    resp = remote(app, server_id, "vnc", "novnc", status=400)
    assert fault(resp, "badRequest", 400) == "Unavailable console type novnc."
    resp = action(app, server_id, {"os-getVNCConsole": {"type": "novnc"}},
                  who=DEMO, status=400)
    assert fault(resp, "badRequest", 400) == "Unavailable console type novnc."


def test_base_urls_come_from_the_config(config_dir, tmp_path, make_image):
    app = console_app(config_dir, tmp_path, make_image, """
        [vnc]
        novncproxy_base_url = https://console.example.com/vnc_lite.html?path=websockify&scale=1
        [serial_console]
        enabled = true
        base_url = wss://console.example.com:6083/
        """)
    server_id = boot_id(app, who=DEMO)
    url = remote(app, server_id, "vnc", "novnc").json["remote_console"]["url"]
    # noVNC's own path kept in front of the token, the other parameters kept
    assert re.fullmatch(r"https://console\.example\.com/vnc_lite\.html\?"
                        rf"path=websockify%3Ftoken%3D{TOKEN}&scale=1", url)
    url = remote(app, server_id, "serial", "serial").json[
        "remote_console"]["url"]
    assert re.fullmatch(rf"wss://console\.example\.com:6083/\?token={TOKEN}",
                        url)


# -- 2.1-2.5: the actions -----------------------------------------------------

def test_the_actions_until_2_5(every):
    server_id = boot_id(every, who=DEMO)
    for name, console_type, pattern in (
            ("os-getVNCConsole", "novnc", NOVNC),
            ("os-getSPICEConsole", "spice-html5", SPICE),
            ("os-getSerialConsole", "serial", SERIAL)):
        for version in ("2.1", "2.5"):
            resp = action(every, server_id, {name: {"type": console_type}},
                          version, who=DEMO, status=200)
            jsonschema.validate(resp.json, TEMPEST_LEGACY)
            assert resp.json["console"]["type"] == console_type
            assert pattern.fullmatch(resp.json["console"]["url"])
        resp = action(every, server_id, {name: {"type": console_type}},
                      "2.6", who=DEMO, status=404)
        fault(resp, "itemNotFound", 404)


@pytest.mark.parametrize("body", [
    {"os-getVNCConsole": {}},
    {"os-getVNCConsole": {"type": "spice-html5"}},
    {"os-getVNCConsole": None},
    {"os-getSPICEConsole": {"type": "novnc"}},
    {"os-getSerialConsole": {"type": "serial", "port": 1}},
])
def test_the_actions_schemas(every, body):
    server_id = boot_id(every, who=DEMO)
    resp = action(every, server_id, body, who=DEMO, status=400)
    fault(resp, "badRequest", 400)


def test_the_actions_refuse_what_upstream_refuses(cloud):
    server_id = boot_id(cloud, who=DEMO)
    for body, message in (
            ({"os-getVNCConsole": {"type": "xvpvnc"}},
             "Invalid console type xvpvnc"),
            ({"os-getSPICEConsole": {"type": "spice-html5"}},
             "Unavailable console type spice-html5."),
            ({"os-getSerialConsole": {"type": "serial"}},
             "Unavailable console type serial.")):
        resp = action(cloud, server_id, body, who=DEMO, status=400)
        assert fault(resp, "badRequest", 400) == message


# -- the server: whose, and in which state ------------------------------------

def both_ways(app, server_id, who=DEMO, status=200):
    """The console asked for at 2.6 and with the action at 2.1."""
    return (remote(app, server_id, "vnc", "novnc", who=who, status=status),
            action(app, server_id, {"os-getVNCConsole": {"type": "novnc"}},
                   who=who, status=status))


def test_another_projects_server_is_404(cloud):
    server_id = boot_id(cloud, who=DEMO)
    for resp in both_ways(cloud, server_id, who=OTHER, status=404):
        assert fault(resp, "itemNotFound", 404) == (
            f"Instance {server_id} could not be found.")
    for resp in both_ways(cloud, "9f1a4c7e-0000-4000-8000-000000000000",
                          status=404):
        fault(resp, "itemNotFound", 404)
    assert token_rows(cloud) == []


def test_the_admin_gets_anyones_console(cloud):
    server_id = boot_id(cloud, who=DEMO)
    for resp in both_ways(cloud, server_id, who=ADMIN):
        assert resp.status_int == 200


def test_policy_yaml_can_refuse_it(noauth_config, make_image):
    noauth_config.write("policy.yaml", """
        "os_compute_api:os-remote-consoles": "role:admin"
        """)
    app = noauth_config.testapp()
    make_image("cirros", image_id=IMAGE)
    make_flavor(app, "m1.tiny", flavor_id="1")
    server_id = boot_id(app, who=DEMO)
    for resp in both_ways(app, server_id, status=403):
        assert fault(resp, "forbidden", 403) == (
            "Policy doesn't allow os_compute_api:os-remote-consoles to be "
            "performed.")


def test_a_locked_server_still_gives_its_owner_a_console(cloud):
    server_id = boot_id(cloud, who=ADMIN)
    action(cloud, server_id, {"lock": None})
    both_ways(cloud, server_id, who=ADMIN)
    server_id = boot_id(cloud, who=DEMO)
    action(cloud, server_id, {"lock": None}, who=DEMO)
    both_ways(cloud, server_id)


def test_a_server_without_a_host_is_not_ready(cloud):
    server_id = boot_id(cloud, who=DEMO)
    action(cloud, server_id, {"shelve": None}, who=DEMO)  # offloaded at once
    for resp in both_ways(cloud, server_id, status=409):
        assert fault(resp, "conflictingRequest", 409) == (
            f"Instance {server_id} is not ready")


def test_a_server_being_built_is_not_ready(slow):
    server_id = boot_id(slow, who=DEMO)
    for resp in both_ways(slow, server_id, status=409):
        assert fault(resp, "conflictingRequest", 409) == (
            f"Instance {server_id} is not ready")
    # still 400 first for what the protocol refuses, as upstream's order
    resp = remote(slow, server_id, "vnc", "xvpvnc", status=400)
    assert fault(resp, "badRequest", 400) == "Invalid console type xvpvnc"


@pytest.mark.parametrize("task_state", ["deleting", "migrating"])
def test_a_server_being_deleted_or_live_migrated_is_409(cloud, task_state):
    server_id = boot_id(cloud, who=DEMO)
    with app_db(cloud).writer() as session:
        session.execute(sa.text(
            "UPDATE instances SET vm_state = 'active', power_state = 1, "
            "task_state = :t, task_deadline = NULL WHERE uuid = :u"),
            {"t": task_state, "u": server_id})
    for resp in both_ways(cloud, server_id, status=409):
        assert fault(resp, "conflictingRequest", 409) == (
            f"Cannot 'get_vnc_console' instance {server_id} while it is in "
            f"task_state {task_state}")


def test_a_console_changes_nothing_of_the_server(cloud):
    server_id = boot_id(cloud, who=DEMO)
    before = cloud.get(f"{URL}/{server_id}", headers=v("2.73", DEMO)).json
    actions = cloud.get(f"{URL}/{server_id}/os-instance-actions",
                        headers=DEMO).json
    both_ways(cloud, server_id)
    assert cloud.get(f"{URL}/{server_id}",
                     headers=v("2.73", DEMO)).json == before
    # upstream records no instance action for a console
    assert cloud.get(f"{URL}/{server_id}/os-instance-actions",
                     headers=DEMO).json == actions
