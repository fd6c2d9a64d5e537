"""The bodies of POST /servers, PUT /servers/{id} and the server actions:
what upstream Nova's request schemas accept and refuse, both sides of each
boundary, at the microversions where it changes (the request-schema
audit's items, cited by each section)."""

import base64
import uuid

import pytest

from tests.functional.metadata_cloud import Cloud
from tests.functional.metadata_cloud import get as meta_get
from tests.helpers import (
    ADMIN,
    DEMO,
    IMAGE,
    URL,
    action,
    boot,
    boot_id,
    fault,
    get,
    v,
)


def bad_request(resp):
    return fault(resp, "badRequest", 400)


# -- base64: user_data and personality (item 1) -------------------------------

HELLO = base64.b64encode(b"#cloud-config\nhostname: b64\n").decode()
# What `base64 file`, Python's encodebytes and pass-through clients send.
WRAPPED = base64.encodebytes(b"#cloud-config\nhostname: b64\n" * 4).decode()
LENIENT = [WRAPPED, HELLO[:8] + " " + HELLO[8:], HELLO + "\n", "!!!!", ""]
REFUSED = ["aGVsbG8", HELLO[:-1], "aGVsbG8=\u00e9", "\u65e5\u672c"]


@pytest.mark.parametrize("user_data", LENIENT)
def test_user_data_is_lenient_base64(cloud, user_data):
    server_id = boot_id(cloud, user_data=user_data)
    shown = cloud.get(f"{URL}/{server_id}", headers=v("2.3")).json["server"]
    assert shown["OS-EXT-SRV-ATTR:user_data"] == user_data  # as given
    resp = action(cloud, server_id, {"rebuild": {
        "imageRef": IMAGE, "user_data": user_data}}, "2.57")
    assert resp.json["server"]["user_data"] == user_data


@pytest.mark.parametrize("user_data", REFUSED)
def test_user_data_refused_as_upstream(cloud, user_data):
    # Bad padding is refused, as upstream; so is anything but ASCII
    # (upstream's decoder fails on it with a 500: a 400 here).
    message = bad_request(boot(cloud, user_data=user_data, status=400))
    assert "is not a 'base64'" in message
    server_id = boot_id(cloud)
    resp = action(cloud, server_id, {"rebuild": {
        "imageRef": IMAGE, "user_data": user_data}}, "2.57", status=400)
    assert "is not a 'base64'" in bad_request(resp)


def test_personality_contents_are_lenient_base64(cloud):
    for contents in LENIENT:
        personality = [{"path": "/etc/motd", "contents": contents}]
        server_id = boot_id(cloud, version="2.1", personality=personality)
        action(cloud, server_id, {"rebuild": {
            "imageRef": IMAGE, "personality": personality}}, "2.56")
    for contents in REFUSED:
        resp = boot(cloud, version="2.1", status=400, personality=[
            {"path": "/etc/motd", "contents": contents}])
        assert "is not a 'base64'" in bad_request(resp)


def test_metadata_api_serves_wrapped_user_data_decoded(config_dir, tmp_path):
    meta = Cloud(config_dir, tmp_path)
    resp = meta.compute.post_json(URL, {"server": {
        "name": "wrapped", "imageRef": IMAGE, "flavorRef": "1",
        "user_data": WRAPPED}}, headers=ADMIN)
    server = meta.show(resp.json["server"]["id"])
    app = meta.metadata()
    assert meta_get(app, "/openstack/latest/user_data", server["ip"]).body == \
        b"#cloud-config\nhostname: b64\n" * 4


# -- unshelve from 2.91: {} and empty strings (item 2) ------------------------

@pytest.fixture
def keep_shelved(make_cloud):
    """Shelved servers stay SHELVED (on their host) until offloaded."""
    return make_cloud("compute1:nova:16:32768:1000",
                      default_options="shelved_offload_time = -1\n")


def shelved(app, offload=True):
    server_id = boot_id(app, who=DEMO)
    action(app, server_id, {"shelve": None}, who=DEMO)
    if offload:
        action(app, server_id, {"shelveOffload": None})
        assert get(app, server_id)["status"] == "SHELVED_OFFLOADED"
    return server_id


@pytest.mark.parametrize("offload", [True, False])
def test_unshelve_empty_object_from_2_91(keep_shelved, offload):
    server_id = shelved(keep_shelved, offload)
    resp = action(keep_shelved, server_id, {"unshelve": {}}, "2.90",
                  who=DEMO, status=400)
    assert "'availability_zone' is a required property" in bad_request(resp)
    # A plain unshelve, whatever the state (as tempest's unshelve_server()).
    action(keep_shelved, server_id, {"unshelve": {}}, "2.91", who=DEMO)
    assert get(keep_shelved, server_id)["status"] == "ACTIVE"


def test_unshelve_empty_host_is_no_host(keep_shelved):
    server_id = shelved(keep_shelved)
    resp = action(keep_shelved, server_id, {"unshelve": {
        "host": "compute1"}}, "2.91", who=DEMO, status=403)
    fault(resp, "forbidden", 403)  # unshelve_to_host is the admin's
    # "" names no host: the member's plain unshelve.
    action(keep_shelved, server_id, {"unshelve": {"host": ""}}, "2.91",
           who=DEMO)
    assert get(keep_shelved, server_id)["status"] == "ACTIVE"
    # ... of a SHELVED server too (a host given would be a 409).
    server_id = shelved(keep_shelved, offload=False)
    action(keep_shelved, server_id, {"unshelve": {"host": ""}}, "2.91",
           who=DEMO)
    assert get(keep_shelved, server_id)["status"] == "ACTIVE"


def test_unshelve_empty_zone_pins_nothing(keep_shelved):
    server_id = shelved(keep_shelved)
    resp = action(keep_shelved, server_id, {"unshelve": {
        "availability_zone": ""}}, "2.90", who=DEMO, status=400)
    assert "should be non-empty" in bad_request(resp)
    # Taken unchecked, and pinned as given: it restricts no host.
    action(keep_shelved, server_id, {"unshelve": {"availability_zone": ""}},
           "2.91", who=DEMO)
    server = get(keep_shelved, server_id, "2.96")
    assert (server["status"], server["pinned_availability_zone"]) == \
        ("ACTIVE", "")
    # A zone (even "") is for an offloaded server only, as upstream.
    server_id = shelved(keep_shelved, offload=False)
    resp = action(keep_shelved, server_id, {"unshelve": {
        "availability_zone": ""}}, "2.91", who=DEMO, status=409)
    fault(resp, "conflictingRequest", 409)


# -- hostname: 2.90-2.93 upstream's hostname, 2.94+ its fqdn (item 8) ---------

FQDN_ONLY = ["web_01", "-a", "a-", ".a", "-1", "a" * 64 + ".example",
             "a" * 255, "a", "A.B_c-d."]
NEVER = ["", "a b", "web/1", "h\u00e9", "a" * 256, "a\tb"]


@pytest.mark.parametrize("hostname", FQDN_ONLY)
def test_fqdn_hostnames_from_2_94(cloud, hostname):
    server_id = boot_id(cloud, version="2.94", networks="none",
                        hostname=hostname)
    # Stored and shown as given (upstream sanitises derived names only).
    assert get(cloud, server_id, "2.94")["OS-EXT-SRV-ATTR:hostname"] == \
        hostname
    other = boot_id(cloud, version="2.94", networks="none")
    resp = cloud.put_json(f"{URL}/{other}", {"server": {
        "hostname": hostname}}, headers=v("2.94"))
    assert resp.json["server"]["OS-EXT-SRV-ATTR:hostname"] == hostname
    other = boot_id(cloud, version="2.94", networks="none")
    resp = action(cloud, other, {"rebuild": {
        "imageRef": IMAGE, "hostname": hostname}}, "2.94")
    assert resp.json["server"]["OS-EXT-SRV-ATTR:hostname"] == hostname
    # upstream's hostname of 2.90-2.93 refuses each of them
    resp = boot(cloud, version="2.93", networks="none", hostname=hostname,
                status=400)
    assert "hostname" in bad_request(resp)


@pytest.mark.parametrize("hostname", NEVER)
def test_hostnames_refused_at_every_version(cloud, hostname):
    server_id = boot_id(cloud)
    for version in ("2.90", "2.94", "latest"):
        boot(cloud, version=version, networks="none", hostname=hostname,
             status=400)
        cloud.put_json(f"{URL}/{server_id}", {"server": {
            "hostname": hostname}}, headers=v(version), status=400)
        action(cloud, server_id, {"rebuild": {
            "imageRef": IMAGE, "hostname": hostname}}, version, status=400)


def test_hostname_of_2_90_has_two_characters_or_more(cloud):
    for hostname in ("ab", "a1", "a-1", "A" * 63):
        server_id = boot_id(cloud, version="2.90", networks="none",
                            hostname=hostname)
        assert get(cloud, server_id, "2.90")[
            "OS-EXT-SRV-ATTR:hostname"] == hostname
    for hostname in ("a", "a" * 64, "-ab", "ab-", "a.b"):
        boot(cloud, version="2.90", networks="none", hostname=hostname,
             status=400)


def test_one_hostname_for_several_servers_is_refused(cloud):
    for version in ("2.90", "2.94"):
        resp = boot(cloud, version=version, networks="none", hostname="web",
                    max_count=2, status=400)
        assert bad_request(resp) == \
            "Unable to allocate a single hostname to multiple instances"
        boot(cloud, version=version, networks="none", hostname="web",
             max_count=1)


def test_migrate_host_is_an_fqdn_from_2_56(cloud):
    server_id = boot_id(cloud)
    for host in ("bad host", "h\u00e9", "a/b", "a" * 256):
        resp = action(cloud, server_id, {"migrate": {"host": host}}, "2.56",
                      status=400)
        assert "host" in bad_request(resp)
        # Before 2.56 the body is not looked at.
        action(cloud, server_id, {"migrate": {"host": host}}, "2.55",
               status="*")
    resp = action(cloud, server_id, {"migrate": {"host": "no_such.host-1"}},
                  "2.56", status="*")
    assert "does not match" not in resp.text


# -- names and descriptions: printable BMP characters (items 9, 11, 21) -------

NAME_RULE = ("An invalid 'name' value was provided. The name must be: "
             "printable characters. Can not start or end with whitespace.")
# Printable: letters, marks, numbers, punctuation, symbols, space
# separators (U+3000, U+00A0) inside; upstream's search also lets "$"
# match before a final line feed.
GOOD_NAMES = ["\u00e9t\u00e9", "\u65e5\u672c", "a\u3000b", "a\u00a0b",
              "a-b", "abc\n", "x" * 255]
# Controls (U+0085, U+009F, tab), format characters (U+200B, U+FEFF),
# separators (U+2028), beyond the BMP (emoji), blanks at an end.
BAD_NAMES = ["a\u0085b", "a\u009fb", "a\u200bb", "a\ufeffb", "a\u2028b",
             "a\U0001f600", " a", "a ", "\u3000a", "a\u00a0", "a\tb", "a\nb"]
GOOD_DESCRIPTIONS = ["", " lead and trail ", "\u00e9\u3000\u65e5", "end\n"]
BAD_DESCRIPTIONS = ["a\nb", "a\tb", "\r", "a\u200bb", "a\ufeffb",
                    "a\u2028b", "a\u0085b", "a\U0001f600"]


def test_server_names(cloud):
    server_id = boot_id(cloud)
    for name in GOOD_NAMES:
        created = boot(cloud, name).json["server"]["id"]
        assert get(cloud, created)["name"] == name
        resp = cloud.put_json(f"{URL}/{server_id}", {"server": {
            "name": name}}, headers=ADMIN)
        assert resp.json["server"]["name"] == name
        action(cloud, server_id, {"rebuild": {"imageRef": IMAGE,
                                              "name": name}})
        action(cloud, server_id, {"createImage": {"name": name}})
    for name in BAD_NAMES:
        assert bad_request(boot(cloud, name, status=400)) == NAME_RULE
        resp = cloud.put_json(f"{URL}/{server_id}", {"server": {
            "name": name}}, headers=ADMIN, status=400)
        assert bad_request(resp) == NAME_RULE
        resp = action(cloud, server_id, {"rebuild": {
            "imageRef": IMAGE, "name": name}}, status=400)
        assert bad_request(resp) == NAME_RULE
        resp = action(cloud, server_id, {"createImage": {"name": name}},
                      status=400)
        assert bad_request(resp) == NAME_RULE


def test_server_descriptions(cloud):
    server_id = boot_id(cloud)
    for text in GOOD_DESCRIPTIONS:
        created = boot_id(cloud, version="2.19", description=text)
        assert get(cloud, created, "2.19")["description"] == text
        cloud.put_json(f"{URL}/{server_id}", {"server": {
            "description": text}}, headers=v("2.19"))
        action(cloud, server_id, {"rebuild": {
            "imageRef": IMAGE, "description": text}}, "2.19")
    for text in BAD_DESCRIPTIONS:
        resp = boot(cloud, version="2.19", description=text, status=400)
        assert "is not a 'description'" in bad_request(resp)
        cloud.put_json(f"{URL}/{server_id}", {"server": {
            "description": text}}, headers=v("2.19"), status=400)
        action(cloud, server_id, {"rebuild": {
            "imageRef": IMAGE, "description": text}}, "2.19", status=400)


def test_other_names_of_a_create(cloud):
    for server in ({"availability_zone": "nova\u200b"},
                   {"key_name": " key"},
                   {"security_groups": [{"name": "default\u2028"}]}):
        resp = boot(cloud, status=400, **server)
        assert bad_request(resp) == NAME_RULE
    for hints in ({"target_cell": "cell\U0001f600"},
                  {"target_cell": "cell "}):
        resp = cloud.post_json(URL, {
            "server": {"name": "vm", "imageRef": IMAGE, "flavorRef": "1"},
            "os:scheduler_hints": hints}, headers=ADMIN, status=400)
        assert bad_request(resp) == NAME_RULE
    resp = cloud.post_json(URL, {
        "server": {"name": "vm", "imageRef": IMAGE, "flavorRef": "1"},
        "os:scheduler_hints": {"target_cell": "cell\u00e9 1"}},
        headers=ADMIN, status=202)


def test_unshelve_zone_of_2_77_is_a_name(keep_shelved):
    server_id = shelved(keep_shelved)
    for zone in (" nova", "nova ", "no\tva", "nova\u200b"):
        resp = action(keep_shelved, server_id, {"unshelve": {
            "availability_zone": zone}}, "2.77", status=400)
        assert bad_request(resp) == NAME_RULE
    resp = action(keep_shelved, server_id, {"unshelve": {
        "availability_zone": "n\u00f6va"}}, "2.77", status=400)
    assert bad_request(resp) == \
        "The requested availability zone is not available"


# -- UUIDs as upstream's is_uuid_like takes them (item 13) --------------------

def spellings(ident):
    """Other spellings upstream's is_uuid_like takes; upstream uses them
    as given, so a lookup (of the canonical stored id) does not match."""
    return [ident.replace("-", ""), "{" + ident + "}", "urn:uuid:" + ident,
            ident[:8] + ident[9:]]


SCHEMA = "Invalid input for field/attribute"  # a schema's refusal
NOT_UUIDS = ["x", IMAGE[:-1], IMAGE + "0", "urn:" + IMAGE + "x", "(" + IMAGE]


def test_image_refs(cloud):
    server_id = boot_id(cloud)
    unknown = bad_request(action(cloud, server_id, {"rebuild": {
        "imageRef": str(uuid.uuid4())}}, status=400))
    for ref in spellings(IMAGE):
        resp = boot(cloud, imageRef=ref, status=400)
        assert bad_request(resp) == "Can not find requested image"
        resp = action(cloud, server_id, {"rebuild": {"imageRef": ref}},
                      status=400)
        assert bad_request(resp) == unknown
    for ref in NOT_UUIDS:
        resp = boot(cloud, imageRef=ref, status=400)
        assert bad_request(resp).startswith(SCHEMA)
        resp = action(cloud, server_id, {"rebuild": {"imageRef": ref}},
                      status=400)
        assert bad_request(resp).startswith(SCHEMA)


def test_rescue_image_refs(cloud):
    server_id = boot_id(cloud)
    for ref in spellings(IMAGE):
        resp = action(cloud, server_id, {"rescue": {
            "rescue_image_ref": ref}}, status=400)
        assert not bad_request(resp).startswith(SCHEMA)
    resp = action(cloud, server_id, {"rescue": {"rescue_image_ref": "x"}},
                  status=400)
    assert bad_request(resp).startswith(SCHEMA)


def test_network_and_port_ids(cloud):
    other = boot_id(cloud)
    port = cloud.get(f"{URL}/{other}/os-interface", headers=ADMIN).json[
        "interfaceAttachments"][0]
    for ref in spellings(port["net_id"]):
        resp = boot(cloud, version="2.37", networks=[{"uuid": ref}],
                    status=400)
        assert not bad_request(resp).startswith(SCHEMA)
    for ref in spellings(port["port_id"]):
        resp = boot(cloud, networks=[{"port": ref}], status=400)
        assert not bad_request(resp).startswith(SCHEMA)
    for ref in NOT_UUIDS:
        resp = boot(cloud, version="2.37", networks=[{"uuid": ref}],
                    status=400)
        assert bad_request(resp).startswith(SCHEMA)
        resp = boot(cloud, networks=[{"port": ref}], status=400)
        assert bad_request(resp).startswith(SCHEMA)


def test_scheduler_hint_ids(cloud):
    group = cloud.post_json("/v2.1/os-server-groups", {"server_group": {
        "name": "g", "policies": ["affinity"]}}, headers=ADMIN).json[
        "server_group"]["id"]
    other = boot_id(cloud)
    for ref in spellings(group):
        resp = cloud.post_json(URL, {
            "server": {"name": "vm", "imageRef": IMAGE, "flavorRef": "1"},
            "os:scheduler_hints": {"group": ref}}, headers=ADMIN,
            status=400)
        assert not bad_request(resp).startswith(SCHEMA)
    for ref in spellings(other):
        for hint in ("different_host", "same_host"):
            resp = cloud.post_json(URL, {
                "server": {"name": "vm", "imageRef": IMAGE,
                           "flavorRef": "1"},
                "os:scheduler_hints": {hint: [ref]}}, headers=ADMIN)
            assert resp.status_int == 202
    for ref in NOT_UUIDS:
        for hint in ("group", "different_host", "same_host"):
            resp = cloud.post_json(URL, {
                "server": {"name": "vm", "imageRef": IMAGE,
                           "flavorRef": "1"},
                "os:scheduler_hints": {hint: [ref]}}, headers=ADMIN,
                status=400)
            assert bad_request(resp).startswith(SCHEMA)


# -- block device mappings: legacy and v2 items (item 14) ---------------------

NO_BLOCK_STORAGE = (
    "Block Device Mapping is Invalid: this deployment has no block storage "
    "service; only a local image disk can be booted.")
LOCAL = {"boot_index": 0, "uuid": IMAGE, "source_type": "image",
         "destination_type": "local"}


def nets(version):
    """networks "none" where it is required (2.37+)."""
    return {} if version in ("2.1", "2.32", "2.33") else {"networks": "none"}


@pytest.mark.parametrize("legacy", [
    [{"volume_id": IMAGE, "device_name": "vda"}],
    [{"snapshot_id": IMAGE, "volume_size": "10", "device_name": "/dev/vdb",
      "delete_on_termination": "true"}],
    [{"virtual_name": "ephemeral0", "device_name": "vdc", "no_device": 1}],
    [{"device_name": "vdb", "connection_info": "{}"}],
])
def test_legacy_mappings_taken_then_refused_for_block_storage(cloud, legacy):
    for version in ("2.1", "2.37", "latest"):
        resp = boot(cloud, version=version, **nets(version),
                    block_device_mapping=legacy, status=400)
        assert bad_request(resp) == NO_BLOCK_STORAGE
    # None given: a plain boot.
    boot(cloud, version="2.37", networks="none", block_device_mapping=[])


@pytest.mark.parametrize("legacy", [
    [{"volume_id": "x"}], [{"volume_size": 0}], [{"volume_size": "0"}],
    [{"volume_size": "2147483648"}], [{"device_name": "vd a"}],
    [{"device_name": ""}], [{"delete_on_termination": "maybe"}],
    [{"virtual_name": "x" * 256}], [{"bogus": 1}], [{"source_type": "image"}],
])
def test_legacy_mappings_refused_by_the_schema(cloud, legacy):
    resp = boot(cloud, block_device_mapping=legacy, status=400)
    assert bad_request(resp).startswith(SCHEMA)


def test_local_image_mapping_is_checked_item_by_item(cloud):
    for extra, version in (({"tag": "disk0"}, "2.32"),
                           ({"tag": "disk0"}, "2.42"),
                           ({"volume_type": None}, "2.67"),
                           ({"volume_size": "0001"}, "2.37"),
                           ({"guest_format": "ext4", "disk_bus": "virtio",
                             "device_type": "disk", "device_name": "vda",
                             "delete_on_termination": "True"}, "2.37"),
                           ({"boot_index": "0"}, "2.37")):
        boot(cloud, version=version, **nets(version), imageRef="",
             block_device_mapping_v2=[{**LOCAL, **extra}])
    for extra, version in (({"tag": "disk0"}, "2.33"),
                           ({"tag": "disk0"}, "2.41"),
                           ({"volume_type": "ssd"}, "2.66"),
                           ({"bogus": 1}, "2.37"),
                           ({"source_type": "cdrom"}, "2.37"),
                           ({"destination_type": "remote"}, "2.37"),
                           ({"boot_index": "first"}, "2.37"),
                           ({"volume_size": 0}, "2.37"),
                           ({"uuid": "a b"}, "2.37"),
                           ({"image_id": "x"}, "2.37")):
        resp = boot(cloud, version=version, **nets(version), imageRef="",
                    block_device_mapping_v2=[{**LOCAL, **extra}],
                    status=400)
        assert bad_request(resp).startswith(SCHEMA)
    # Any mapping that needs block storage passes the schema, then not.
    resp = boot(cloud, version="2.67", networks="none", imageRef="",
                block_device_mapping_v2=[{
                    "boot_index": 0, "uuid": IMAGE, "source_type": "image",
                    "destination_type": "volume", "volume_size": 1,
                    "volume_type": "ssd"}], status=400)
    assert bad_request(resp) == NO_BLOCK_STORAGE


# -- counts with no maximum (item 19) -----------------------------------------

def test_counts_have_no_maximum(cloud):
    # The quota (10 instances) cuts max_count down, as upstream.
    for count in (2147483648, "99999999999", 10 ** 20):
        resp = boot(cloud, "many", networks="none", version="2.37",
                    max_count=count, return_reservation_id=True)
        reservation = resp.json["reservation_id"]
        made = cloud.get(f"{URL}?reservation_id={reservation}",
                         headers=ADMIN).json["servers"]
        assert len(made) == 10
        for server in made:
            cloud.delete(f"{URL}/{server['id']}", headers=ADMIN, status=204)
    # ... and refuses a min_count above it.
    for count in (2147483648, "99999999999"):
        resp = boot(cloud, min_count=count, status=403)
        assert fault(resp, "forbidden", 403).startswith(
            "Quota exceeded for ")
    for count in (0, "0", "00", -1, "", "1.5", " 1", 1.5):
        resp = boot(cloud, max_count=count, status=400)
        bad_request(resp)


def test_max_server_per_host_has_no_maximum(cloud):
    url = "/v2.1/os-server-groups"
    for value, shown in ((2147483648, 2147483648),
                         ("99999999999", 99999999999)):
        resp = cloud.post_json(url, {"server_group": {
            "name": "g", "policy": "anti-affinity",
            "rules": {"max_server_per_host": value}}}, headers=v("2.64"))
        assert resp.json["server_group"]["rules"] == {
            "max_server_per_host": shown}
    for value in (0, "0", -1, "x", ""):
        resp = cloud.post_json(url, {"server_group": {
            "name": "g", "policy": "anti-affinity",
            "rules": {"max_server_per_host": value}}}, headers=v("2.64"),
            status=400)
        bad_request(resp)


# -- a nameless security group entry (item 20) --------------------------------

def test_nameless_security_group_entries_are_dropped(cloud):
    for groups in ([{}], [{}, {}], [{}, {"name": "default"}],
                   [{"name": "default"}, {"name": "default"}]):
        resp = boot(cloud, security_groups=groups)
        assert resp.json["server"]["security_groups"] == [
            {"name": "default"}]
    resp = boot(cloud, security_groups=[{}, {"name": "web"}], status=400)
    assert bad_request(resp) == \
        "Unable to find security_group with name or id 'web'"
    for groups in ([{"id": "default"}], [{"name": ""}], [{"name": None}],
                   ["default"]):
        resp = boot(cloud, security_groups=groups, status=400)
        assert bad_request(resp).startswith(SCHEMA)
