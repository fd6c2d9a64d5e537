"""/os-keypairs through the whole pipeline, as upstream Nova 34 answers.

Sample bodies come from ``shared/reference/nova-34-samples``; where the data
allow (imported keys), responses must equal them exactly.
"""

import base64
import datetime
import hashlib
import json
import re
import sqlite3
import urllib.parse

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from nova.api.compute import routes
from nova.compute import keypairs as service
from tests.helpers import (
    ADMIN,
    DEMO,
    SSH_KEY,
    ssh_key,
    sync_db,
    upstream,
    v,
    write_noauth_config,
)

URL = "/v2.1/os-keypairs"

# The ed25519 key of keypair_import_v2_92.txt and its fingerprint there.
IMP1 = SSH_KEY
IMP1_FP = "2c:58:fb:74:61:00:a9:a7:f6:67:12:95:bc:c4:19:27"
NAME_MESSAGE = ("An invalid 'name' value was provided. The name must be: "
                "printable characters. Can not start or end with whitespace.")


def colon_hex(digest):
    return ":".join(f"{b:02x}" for b in digest)


def md5_fingerprint(public_key):
    return colon_hex(hashlib.md5(
        base64.b64decode(public_key.split(" ")[1])).digest())


def certificate(cn="someone"):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    der = cert.public_bytes(serialization.Encoding.DER)
    return pem, colon_hex(hashlib.sha1(der).digest())


def create(app, name, public_key=None, version="2.1", who=ADMIN, status=None,
           **extra):
    keypair = {"name": name, **extra}
    if public_key is not None:
        keypair["public_key"] = public_key
    return app.post_json(URL, {"keypair": keypair},
                         headers=v(version, who), status=status)


def names(resp):
    return [item["keypair"]["name"] for item in resp.json["keypairs"]]


def bad_request(resp):
    assert resp.status_int == 400, resp.body
    return resp.json["badRequest"]["message"]


# -- upstream samples ---------------------------------------------------------

def test_import_at_2_92_matches_sample(compute):
    status, body = upstream("keypair_import_v2_92")
    resp = create(compute, "imp1", IMP1, version="2.92")
    assert resp.status_int == status == 201
    assert resp.json == body
    assert list(resp.json["keypair"]) == list(body["keypair"])
    assert resp.json["keypair"]["fingerprint"] == IMP1_FP


def test_duplicate_matches_sample(compute):
    status, body = upstream("keypair_import_dup")
    create(compute, "imp1", IMP1, version="2.92")
    resp = create(compute, "imp1", ssh_key(), version="2.92", status=409)
    assert resp.status_int == status
    assert resp.json == body


def test_generation_at_2_1_has_sample_shape(compute):
    status, body = upstream("keypair_generate_v2_1")
    resp = create(compute, "gen1")
    assert resp.status_int == status == 200
    got = resp.json["keypair"]
    assert list(got) == list(body["keypair"])
    assert got["name"] == "gen1" and got["user_id"] == "admin"
    assert re.fullmatch(r"ssh-rsa AAAA[A-Za-z0-9+/=]+ Generated-by-Nova",
                        got["public_key"])
    assert got["fingerprint"] == md5_fingerprint(got["public_key"])
    assert got["private_key"].startswith("-----BEGIN RSA PRIVATE KEY-----\n")
    assert got["private_key"].endswith("-----END RSA PRIVATE KEY-----\n")
    private = serialization.load_pem_private_key(
        got["private_key"].encode(), None)
    assert private.key_size == 2048
    public = private.public_key().public_bytes(
        serialization.Encoding.OpenSSH,
        serialization.PublicFormat.OpenSSH).decode()
    assert got["public_key"] == public + " Generated-by-Nova"
    # The private key is shown at creation only.
    shown = compute.get(f"{URL}/gen1", headers=ADMIN).json["keypair"]
    assert "private_key" not in shown
    assert shown["public_key"] == got["public_key"]


def test_generation_without_version_header_is_2_1(compute):
    status, body = upstream("keypair_generate_nohdr")
    resp = compute.post_json(URL, {"keypair": {"name": "gen2"}},
                             headers=ADMIN)
    assert resp.status_int == status == 200
    assert list(resp.json["keypair"]) == list(body["keypair"])
    assert resp.headers["OpenStack-API-Version"] == "compute 2.1"


def test_generation_refused_at_2_92_matches_sample(compute):
    status, body = upstream("keypair_generate_v2_92")
    resp = create(compute, "gen3", version="2.92", status=400)
    assert resp.status_int == status
    assert resp.json == body


def _import_sample_keys(app):
    """gen1, gen2 (their public keys) and imp1, as in the list samples."""
    _status, listed = upstream("keypairs_list")
    keys = {item["keypair"]["name"]: item["keypair"]["public_key"]
            for item in listed["keypairs"]}
    for name in ("imp1", "gen2", "gen1"):  # not in name order on purpose
        create(app, name, keys[name])
    return listed


def test_lists_match_samples(compute):
    listed = _import_sample_keys(compute)
    assert compute.get(URL, headers=ADMIN).json == listed
    _status, listed_235 = upstream("keypairs_list_v2_35")
    resp = compute.get(URL, headers=v("2.35"))
    assert resp.json == listed_235


def test_show_matches_sample(compute):
    _import_sample_keys(compute)
    status, body = upstream("keypair_show")
    resp = compute.get(f"{URL}/gen1", headers=ADMIN)
    assert resp.status_int == status
    got = resp.json["keypair"]
    assert list(got) == list(body["keypair"])
    expected = dict(body["keypair"], created_at=got["created_at"],
                    id=got["id"])
    assert got == expected
    assert isinstance(got["id"], int)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}",
                        got["created_at"])


def test_show_missing_matches_sample(compute):
    status, body = upstream("keypair_show_missing")
    resp = compute.get(f"{URL}/missing", headers=ADMIN, status=404)
    assert resp.status_int == status
    assert resp.json == body


def test_delete_at_2_1_matches_sample(compute):
    status, _body = upstream("keypair_delete")
    create(compute, "gone", IMP1)
    resp = compute.delete(f"{URL}/gone", headers=ADMIN)
    assert resp.status_int == status == 202
    assert resp.body == b""
    compute.get(f"{URL}/gone", headers=ADMIN, status=404)


# -- 2.2: type, status codes --------------------------------------------------

def test_create_status_200_at_2_1_and_201_from_2_2(compute):
    assert create(compute, "a", ssh_key(), version="2.1").status_int == 200
    assert create(compute, "b", ssh_key(), version="2.2").status_int == 201


def test_delete_status_202_at_2_1_and_204_from_2_2(compute):
    create(compute, "a", ssh_key())
    create(compute, "b", ssh_key())
    assert compute.delete(f"{URL}/a", headers=v("2.1")).status_int == 202
    resp = compute.delete(f"{URL}/b", headers=v("2.2"))
    assert resp.status_int == 204 and resp.body == b""


def test_type_is_refused_at_2_1_and_accepted_from_2_2(compute):
    message = bad_request(create(compute, "t", ssh_key(), type="ssh",
                                 status=400))
    assert "Additional properties are not allowed" in message
    resp = create(compute, "t", ssh_key(), version="2.2", type="ssh")
    assert resp.json["keypair"]["type"] == "ssh"
    assert list(resp.json["keypair"]) == [
        "type", "name", "public_key", "fingerprint", "user_id"]
    bad_request(create(compute, "u", ssh_key(), version="2.2", type="pgp",
                       status=400))


def test_type_shown_from_2_2(compute):
    create(compute, "k", ssh_key())
    for version, has_type in (("2.1", False), ("2.2", True)):
        item = compute.get(URL, headers=v(version)).json["keypairs"][0]
        assert ("type" in item["keypair"]) is has_type
        shown = compute.get(f"{URL}/k", headers=v(version)).json["keypair"]
        assert ("type" in shown) is has_type
        if has_type:
            assert item["keypair"]["type"] == shown["type"] == "ssh"
            assert list(shown)[-1] == "type"


def test_import_x509_fingerprint_is_sha1_of_der(compute):
    pem, expected = certificate()
    resp = create(compute, "cert", pem, version="2.2", type="x509")
    got = resp.json["keypair"]
    assert got["type"] == "x509"
    assert got["fingerprint"] == expected
    assert got["public_key"] == pem
    shown = compute.get(f"{URL}/cert", headers=v("2.2")).json["keypair"]
    assert shown["type"] == "x509" and shown["fingerprint"] == expected


def test_x509_data_as_ssh_key_is_invalid(compute):
    pem, _fp = certificate()
    assert bad_request(create(compute, "c", pem, version="2.2",
                              status=400)) == (
        "Keypair data is invalid: failed to generate fingerprint")


def test_generate_x509_until_2_91(compute):
    resp = create(compute, "win", version="2.2", type="x509")
    assert resp.status_int == 201
    got = resp.json["keypair"]
    assert list(got) == ["private_key", "type", "name", "public_key",
                         "fingerprint", "user_id"]
    assert got["type"] == "x509"
    cert = x509.load_pem_x509_certificate(got["public_key"].encode())
    assert cert.subject.get_attributes_for_oid(
        NameOID.COMMON_NAME)[0].value == "admin"
    assert got["fingerprint"] == colon_hex(
        cert.fingerprint(hashes.SHA1()))
    key, bundled, _extra = pkcs12.load_key_and_certificates(
        base64.b64decode(got["private_key"]), None)
    assert bundled == cert
    assert key.public_key() == cert.public_key()


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa", "rsa"])
def test_ssh_fingerprint_is_md5_of_blob(compute, kind):
    key = ssh_key(kind=kind)
    resp = create(compute, f"k-{kind}", key, version="2.2")
    assert resp.json["keypair"]["fingerprint"] == md5_fingerprint(key)
    assert resp.json["keypair"]["public_key"] == key  # stored as given


def test_key_without_comment_is_accepted(compute):
    key = ssh_key(comment=None)
    resp = create(compute, "bare", key)
    assert resp.json["keypair"]["fingerprint"] == md5_fingerprint(key)


# -- 2.10: user_id ------------------------------------------------------------

def test_user_id_in_body_refused_before_2_10(compute):
    message = bad_request(create(compute, "k", ssh_key(), version="2.9",
                                 user_id="demo", status=400))
    assert "Additional properties are not allowed" in message


def test_admin_creates_for_another_user_from_2_10(compute):
    resp = create(compute, "fordemo", IMP1, version="2.10", user_id="demo")
    assert resp.status_int == 201
    assert resp.json["keypair"]["user_id"] == "demo"
    assert names(compute.get(URL, headers=DEMO)) == ["fordemo"]
    assert names(compute.get(URL, headers=ADMIN)) == []


def test_member_cannot_create_for_another_user(compute):
    resp = create(compute, "x", IMP1, version="2.10", who=DEMO,
                  user_id="admin", status=403)
    assert resp.json == {"forbidden": {
        "code": 403, "message": "Policy doesn't allow "
        "os_compute_api:os-keypairs:create to be performed."}}
    # Naming oneself, or nobody (empty), is fine.
    create(compute, "own", IMP1, version="2.10", who=DEMO, user_id="demo")
    resp = create(compute, "own2", IMP1, version="2.10", who=DEMO,
                  user_id="")
    assert resp.json["keypair"]["user_id"] == "demo"


def test_user_id_query_for_admin_from_2_10(compute):
    create(compute, "dk", IMP1, who=DEMO)
    create(compute, "ak", IMP1)
    # Before 2.10 the parameter is ignored: the caller's own key pairs.
    assert names(compute.get(URL + "?user_id=demo", headers=v("2.9"))) == [
        "ak"]
    compute.get(f"{URL}/dk?user_id=demo", headers=v("2.9"), status=404)
    assert names(compute.get(URL + "?user_id=demo", headers=v("2.10"))) == [
        "dk"]
    shown = compute.get(f"{URL}/dk?user_id=demo", headers=v("2.10"))
    assert shown.json["keypair"]["user_id"] == "demo"
    resp = compute.get(f"{URL}/ak?user_id=demo", headers=v("2.10"),
                       status=404)
    assert resp.json["itemNotFound"]["message"] == (
        "Keypair ak not found for user demo")
    compute.delete(f"{URL}/dk?user_id=demo", headers=v("2.10"), status=204)
    assert names(compute.get(URL, headers=DEMO)) == []


def test_user_id_query_first_value_wins(compute):
    create(compute, "dk", IMP1, who=DEMO)
    resp = compute.get(URL + "?user_id=demo&user_id=admin",
                       headers=v("2.10"))
    assert names(resp) == ["dk"]


@pytest.mark.parametrize("method,path,rule", [
    ("get", URL, "index"),
    ("get", f"{URL}/ak", "show"),
    ("delete", f"{URL}/ak", "delete"),
])
def test_member_asking_for_another_user_is_403(compute, method, path, rule):
    create(compute, "ak", IMP1)
    resp = getattr(compute, method)(path + "?user_id=admin",
                                    headers=v("2.10", DEMO), status=403)
    assert resp.json == {"forbidden": {
        "code": 403, "message": f"Policy doesn't allow "
        f"os_compute_api:os-keypairs:{rule} to be performed."}}
    # Naming themselves is fine (they have no "ak": 404 for one key pair).
    getattr(compute, method)(path + "?user_id=demo", headers=v("2.10", DEMO),
                             status=200 if path == URL else 404)
    # The admin's key pair is untouched.
    compute.get(f"{URL}/ak", headers=ADMIN)


# -- per user, not per project ------------------------------------------------

def test_keypairs_belong_to_the_user_not_the_project(compute):
    create(compute, "mine", IMP1, who={"X-Auth-Token": "alice:p1"})
    other_project = {"X-Auth-Token": "alice:p2"}
    assert names(compute.get(URL, headers=other_project)) == ["mine"]
    compute.get(f"{URL}/mine", headers=other_project)
    same_project = {"X-Auth-Token": "bob:p1"}
    assert names(compute.get(URL, headers=same_project)) == []
    resp = compute.get(f"{URL}/mine", headers=same_project, status=404)
    assert resp.json["itemNotFound"]["message"] == (
        "Keypair mine not found for user bob")
    compute.delete(f"{URL}/mine", headers=same_project, status=404)
    # The same name for another user is no conflict.
    create(compute, "mine", IMP1, who=same_project)


def test_project_id_in_url(compute):
    create(compute, "k", IMP1, who=DEMO)
    resp = compute.get("/v2.1/demo/os-keypairs", headers=DEMO)
    assert names(resp) == ["k"]
    compute.get("/v2.1/demo/os-keypairs/k", headers=DEMO)
    resp = compute.get("/v2.1/other/os-keypairs", headers=DEMO, status=400)
    assert "doesn't match Context's project_id" in bad_request(resp)


# -- 2.35: pagination ---------------------------------------------------------

def _three(app, who=ADMIN):
    for name in ("c", "a", "b"):
        create(app, name, IMP1, who=who)


def test_limit_and_marker_ignored_before_2_35(compute):
    _three(compute)
    resp = compute.get(URL + "?limit=1&marker=a", headers=v("2.34"))
    assert names(resp) == ["a", "b", "c"]
    assert "keypairs_links" not in resp.json


def test_pagination_from_2_35(compute):
    _three(compute)
    resp = compute.get(URL + "?limit=2", headers=v("2.35"))
    assert names(resp) == ["a", "b"]
    assert resp.json["keypairs_links"] == [{
        "rel": "next",
        "href": "http://localhost:80/v2.1/os-keypairs?limit=2&marker=b"}]
    resp = compute.get(URL + "?limit=2&marker=b", headers=v("2.35"))
    assert names(resp) == ["c"]
    assert "keypairs_links" not in resp.json
    resp = compute.get(URL + "?marker=a", headers=v("2.35"))
    assert names(resp) == ["b", "c"]
    resp = compute.get(URL + "?limit=0", headers=v("2.35"))
    assert resp.json == {"keypairs": []}


def test_pagination_next_link_keeps_user_id(compute):
    _three(compute, who=DEMO)
    resp = compute.get(URL + "?user_id=demo&limit=1", headers=v("2.35"))
    assert names(resp) == ["a"]
    href = resp.json["keypairs_links"][0]["href"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(href).query)
    assert query == {"user_id": ["demo"], "limit": ["1"], "marker": ["a"]}
    follow = compute.get(href.replace("http://localhost:80", ""),
                         headers=v("2.35"))
    assert names(follow) == ["b"]


def test_pagination_with_project_in_url(compute):
    _three(compute, who=DEMO)
    resp = compute.get("/v2.1/demo/os-keypairs?limit=1",
                       headers=v("2.35", DEMO))
    assert resp.json["keypairs_links"][0]["href"] == (
        "http://localhost:80/v2.1/demo/os-keypairs?limit=1&marker=a")


def test_limit_clamped_to_max_limit(noauth_config):
    noauth_config.write("nova.conf", f"""
        [api]
        auth_strategy = noauth2
        max_limit = 2
        [database]
        connection = {noauth_config.db_url}
        """)
    app = noauth_config.testapp()
    _three(app)
    resp = app.get(URL + "?limit=50", headers=v("2.35"))
    assert names(resp) == ["a", "b"]
    assert resp.json["keypairs_links"][0]["href"].endswith(
        "?limit=50&marker=b")
    assert names(app.get(URL, headers=v("2.35"))) == ["a", "b"]
    # Before 2.35 the list is not paginated at all.
    assert names(app.get(URL, headers=v("2.34"))) == ["a", "b", "c"]


def test_bad_marker_is_400(compute):
    _three(compute)
    resp = compute.get(URL + "?marker=nope", headers=v("2.35"), status=400)
    assert bad_request(resp) == "Marker nope could not be found."
    # Another user's key pair name is no marker either.
    create(compute, "theirs", IMP1, who=DEMO)
    compute.get(URL + "?marker=theirs", headers=v("2.35"), status=400)


@pytest.mark.parametrize("limit", ["-1", "abc", "", "1.5"])
def test_bad_limit_is_400(compute, limit):
    resp = compute.get(URL + f"?limit={limit}", headers=v("2.35"),
                       status=400)
    assert bad_request(resp).startswith(
        "Invalid input for field/attribute limit.")


# -- query strictness: 2.75 (list, show, delete), never (create) -------------

@pytest.mark.parametrize("method,path,ok", [
    ("get", URL, 200), ("get", f"{URL}/k", 200), ("delete", f"{URL}/k", 204),
])
def test_unknown_query_params_rejected_from_2_75(compute, method, path, ok):
    create(compute, "k", IMP1)
    getattr(compute, method)(path + "?foo=1", headers=v("2.74"), status=ok)
    if method == "delete":
        create(compute, "k", IMP1)
    resp = getattr(compute, method)(path + "?foo=1", headers=v("2.75"),
                                    status=400)
    assert "Additional properties are not allowed ('foo' was unexpected)" \
        in bad_request(resp)
    # Known parameters stay accepted.
    getattr(compute, method)(path + "?user_id=admin", headers=v("2.75"),
                             status=ok)


def test_pagination_params_unknown_to_show(compute):
    create(compute, "k", IMP1)
    compute.get(f"{URL}/k?limit=1", headers=v("2.75"), status=400)


def test_unknown_query_params_on_create_ignored(compute):
    # Upstream declares no query schema for the create (audit item 4).
    for name, version in (("a", "2.101"), ("b", "2.102"), ("c", "latest")):
        resp = compute.post_json(URL + "?foo=1", {"keypair": {
            "name": name, "public_key": IMP1}}, headers=v(version))
        assert resp.status_int == 201


# -- 2.92: import only, wider names -------------------------------------------

def test_generation_works_until_2_91(compute):
    resp = create(compute, "gen", version="2.91")
    assert resp.status_int == 201
    got = resp.json["keypair"]
    assert list(got) == ["private_key", "type", "name", "public_key",
                         "fingerprint", "user_id"]
    assert got["type"] == "ssh"
    assert got["public_key"].endswith(" Generated-by-Nova")


@pytest.mark.parametrize("name", ["a.b", "me@host", "x.y@z"])
def test_dot_and_at_allowed_from_2_92(compute, name):
    message = bad_request(create(compute, name, IMP1, version="2.91",
                                 status=400))
    assert message.startswith(
        f"Invalid input for field/attribute name. Value: {name}. "
        f"'{name}' does not match")
    resp = create(compute, name, IMP1, version="2.92")
    assert resp.json["keypair"]["name"] == name
    shown = compute.get(f"{URL}/{urllib.parse.quote(name)}",
                        headers=v("2.92"))
    assert shown.json["keypair"]["name"] == name
    compute.delete(f"{URL}/{urllib.parse.quote(name)}", headers=v("2.92"),
                   status=204)


# -- names --------------------------------------------------------------------

@pytest.mark.parametrize("version", ["2.1", "2.92"])
@pytest.mark.parametrize("name", [
    "a/b", "a:b", "é", "a\tb", "a\x00b", "a\nb", "<script>", "a,b", "💥",
])
def test_bad_names_are_400(compute, version, name):
    message = bad_request(create(compute, name, IMP1, version=version,
                                 status=400))
    if "\x00" in name:
        # NUL is refused for the whole body before validation.
        assert message == ("Malformed request body: NUL characters are "
                           "not allowed")
    else:
        assert message.startswith("Invalid input for field/attribute name.")


@pytest.mark.parametrize("name", [" lead", "trail ", " ", "  both  "])
def test_leading_or_trailing_blank_is_400(compute, name):
    assert bad_request(create(compute, name, IMP1, status=400)) == \
        NAME_MESSAGE


@pytest.mark.parametrize("name,fragment", [
    ("", "Invalid input for field/attribute name."),
    ("x" * 256, "Invalid input for field/attribute name."),
    (42, "Invalid input for field/attribute name."),
    (None, "Invalid input for field/attribute name."),
])
def test_name_length_and_type(compute, name, fragment):
    assert fragment in bad_request(create(compute, name, IMP1, status=400))


def test_longest_name_and_inner_blank(compute):
    create(compute, "x" * 255, IMP1)
    compute.get(f"{URL}/{'x' * 255}", headers=ADMIN)
    create(compute, "my key_1-2", IMP1)
    shown = compute.get(f"{URL}/my%20key_1-2", headers=ADMIN)
    assert shown.json["keypair"]["name"] == "my key_1-2"


NUL_BODY = "Malformed request body: NUL characters are not allowed"


# -- hostile or broken input --------------------------------------------------

@pytest.mark.parametrize("key", [
    "", "ssh-rsa", "ssh-rsa AAAA", "not a key", "ssh-rsa !!!notbase64!!!",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBjlLdatJCtCPBSoyHP6XRtMfbv7qUI1",
    "ssh-rsa " + "A" * 60000,
    IMP1.replace(" ", "\t"),
    IMP1.replace("root@vm", "\ud800"),
    "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n",
])
def test_invalid_ssh_keys_are_400(compute, key):
    assert bad_request(create(compute, "k", key, version="2.2",
                              status=400)) == (
        "Keypair data is invalid: failed to generate fingerprint")
    compute.get(f"{URL}/k", headers=ADMIN, status=404)


@pytest.mark.parametrize("key", [
    "", "garbage", IMP1,
    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    "-----BEGIN CERTIFICATE-----\n" + "QUFB" * 12000
    + "\n-----END CERTIFICATE-----\n",
    "\ud800",
])
def test_invalid_certificates_are_400(compute, key):
    message = bad_request(create(compute, "c", key, version="2.2",
                                 type="x509", status=400))
    assert message.startswith("Keypair data is invalid: failed to generate "
                              "X509 fingerprint. Error message: ")


@pytest.mark.parametrize("key", [IMP1 + "\x00", "\x00" + IMP1])
def test_nul_in_key_is_refused_before_parsing(compute, key):
    assert bad_request(create(compute, "k", key, version="2.2",
                              status=400)) == NUL_BODY
    compute.get(f"{URL}/k", headers=ADMIN, status=404)


def test_certificate_with_nul_is_400(compute):
    pem, _fp = certificate()
    message = bad_request(create(compute, "c", pem + "\x00", version="2.2",
                                 type="x509", status=400))
    assert message == NUL_BODY


@pytest.mark.parametrize("size", [65536, 100000])
def test_huge_key_is_400(compute, size):
    key = IMP1 + " " + "x" * (size - len(IMP1) - 1)
    assert len(key) == size
    assert bad_request(create(compute, "big", key, status=400)) == (
        "Keypair data is invalid: the public key is longer than 65535 bytes")


def test_huge_key_in_multibyte_characters_is_400(compute):
    key = IMP1 + " " + "é" * 33000  # 66000 bytes in fewer characters
    body = json.dumps({"keypair": {"name": "big", "public_key": key}},
                      ensure_ascii=False).encode()
    resp = compute.post(URL, body, headers={
        **ADMIN, "Content-Type": "application/json"}, status=400)
    assert bad_request(resp) == (
        "Keypair data is invalid: the public key is longer than 65535 bytes")


def test_key_at_the_size_limit_is_accepted(compute):
    key = IMP1 + " " + "x" * (65535 - len(IMP1) - 1)
    resp = create(compute, "edge", key)
    assert resp.json["keypair"]["fingerprint"] == IMP1_FP
    assert compute.get(f"{URL}/edge", headers=ADMIN).json[
        "keypair"]["public_key"] == key


def test_body_over_the_size_limit_is_413(compute):
    resp = create(compute, "big", "x" * 200000, status=413)
    assert resp.json["overLimit"]["code"] == 413


@pytest.mark.parametrize("body", [
    {}, {"keypair": None}, {"keypair": "k"}, {"keypair": {}},
    {"keypair": {"name": "k", "public_key": 5}},
    {"keypair": {"name": "k", "public_key": None}},
    {"keypair": {"name": "k", "extra": 1}},
    {"keypair": {"name": "k"}, "other": {}},
    [], "keypair",
])
def test_malformed_bodies_are_400(compute, body):
    resp = compute.post_json(URL, body, headers=v("2.10"), status=400)
    assert resp.json["badRequest"]["code"] == 400


def test_not_json_is_400(compute):
    resp = compute.post(URL, "{nope", headers={
        **ADMIN, "Content-Type": "application/json"}, status=400)
    assert bad_request(resp) == "Malformed request body"


@pytest.mark.parametrize("user_id", ["x" * 256, "a\x00b", "a\nb", "\ud800"])
def test_bad_user_id_in_body_is_400(compute, user_id):
    resp = create(compute, "k", IMP1, version="2.10", user_id=user_id,
                  status=400)
    message = bad_request(resp)
    if "\x00" in user_id:
        assert message == NUL_BODY
    else:
        assert message.startswith(
            "Invalid input for field/attribute user_id.")


def test_user_id_in_body_up_to_255(compute):
    resp = create(compute, "k", IMP1, version="2.10", user_id="u" * 255)
    assert resp.json["keypair"]["user_id"] == "u" * 255


@pytest.mark.parametrize("path", [
    f"{URL}/a%00b", f"{URL}/%C3%A9", f"{URL}/" + "z" * 3000,
    f"{URL}/k?user_id=" + "u" * 3000,
])
def test_odd_lookups_are_404(compute, path):
    create(compute, "k", IMP1)
    compute.get(path, headers=v("2.10"), status=404)
    compute.delete(path, headers=v("2.10"), status=404)


def test_odd_markers_and_users_in_list(compute):
    create(compute, "k", IMP1)
    compute.get(URL + "?marker=a%00b", headers=v("2.35"), status=400)
    # NUL in a query string is refused for every route.
    resp = compute.get(URL + "?user_id=a%00b", headers=v("2.35"), status=400)
    assert bad_request(resp) == ("The query string must not contain NUL "
                                 "characters.")
    compute.get(f"{URL}/k?user_id=a%00b", headers=v("2.10"), status=400)
    compute.get(URL + "?user_id=%ff", headers=v("2.35"), status=400)


def test_x509_generation_for_a_long_user_id(compute):
    user_id = "u" * 200
    resp = create(compute, "win", version="2.10", type="x509",
                  user_id=user_id)
    cert = x509.load_pem_x509_certificate(
        resp.json["keypair"]["public_key"].encode())
    assert cert.subject.get_attributes_for_oid(
        NameOID.COMMON_NAME)[0].value == "u" * 64


# -- rules of the store -------------------------------------------------------

def test_duplicate_generation_is_409_before_generating(compute, monkeypatch):
    create(compute, "taken", IMP1)

    def boom(*_args):
        raise AssertionError("generated a key for a taken name")

    monkeypatch.setattr(service, "generate", boom)
    resp = create(compute, "taken", status=409)
    assert resp.json == {"conflictingRequest": {
        "code": 409, "message": "Key pair 'taken' already exists."}}


def test_duplicate_at_2_1_is_409(compute):
    create(compute, "dup", IMP1)
    resp = create(compute, "dup", IMP1, status=409)
    assert resp.json["conflictingRequest"]["message"] == (
        "Key pair 'dup' already exists.")


def test_invalid_key_wins_over_duplicate(compute):
    create(compute, "dup", IMP1)
    bad_request(create(compute, "dup", "junk", status=400))


def test_generation_holds_no_write_lock(compute, noauth_config, monkeypatch):
    path = noauth_config.db_url.split("sqlite:///", 1)[1]
    real = service.generate
    seen = []

    def generate_while_writing(key_type, user_id):
        # Another writer must get the database while the key is made.
        conn = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        finally:
            conn.close()
        seen.append(key_type)
        return real(key_type, user_id)

    monkeypatch.setattr(service, "generate", generate_while_writing)
    resp = create(compute, "free", version="2.2")
    assert resp.status_int == 201 and seen == ["ssh"]


def test_quota_of_key_pairs_per_user(compute):
    for i in range(service.MAX_PER_USER):
        create(compute, f"k{i}", IMP1, who=DEMO)
    resp = create(compute, "one-more", IMP1, who=DEMO, status=403)
    assert resp.json == {"forbidden": {
        "code": 403, "message": "Quota exceeded, too many key pairs."}}
    create(compute, "one-more", status=403, who=DEMO)  # generation too
    # Per user: others are not affected; deleting frees a slot.
    create(compute, "one-more", IMP1)
    compute.delete(f"{URL}/k0", headers=DEMO)
    create(compute, "one-more", IMP1, who=DEMO)
    assert len(compute.get(URL, headers=DEMO).json["keypairs"]) == \
        service.MAX_PER_USER


def test_delete_missing_is_404(compute):
    for version in ("2.1", "2.2", "2.10"):
        resp = compute.delete(f"{URL}/none", headers=v(version), status=404)
        assert resp.json["itemNotFound"]["message"] == (
            "Keypair none not found for user admin")


def test_put_is_405(compute):
    create(compute, "k", IMP1)
    resp = compute.put_json(f"{URL}/k", {"keypair": {}}, headers=ADMIN,
                            status=405)
    assert resp.headers["Allow"] == "DELETE, GET"


def test_without_token_is_refused(compute):
    resp = compute.get(URL, status="*")
    assert resp.status_int in (204, 401)
    assert "keypairs" not in resp.text


# -- routes, policy, versions -------------------------------------------------

def test_routes_have_policy_and_schemas():
    from nova.api.compute.handlers import keypairs as handlers

    for route in handlers.ROUTES:
        assert route.policy.startswith("os_compute_api:os-keypairs:")
        assert route.query is not None
        if route.method == "POST":
            assert route.body is not None
        assert route.resource == "os-keypairs"
    assert {r.resource for r in routes.ROUTES} >= {"os-keypairs"}


def test_policy_defaults_are_upstreams():
    from nova import policies

    rules = {r.name: r.check_str for r in policies.list_rules()}
    for action in ("index", "show", "create", "delete"):
        assert rules[f"os_compute_api:os-keypairs:{action}"] == (
            "(rule:context_is_admin) or user_id:%(user_id)s")


def test_every_keypair_microversion_is_honoured():
    from nova.api import microversions

    touching = {c.version for c in microversions.VERSIONS
                if "os-keypairs" in c.touches}
    assert touching <= routes.HONOURED["os-keypairs"]
    assert routes.MAX_VERSION >= (2, 92)


def test_latest_works(compute):
    resp = create(compute, "late", IMP1, version="latest")
    assert resp.status_int == 201
    resp = compute.get(URL, headers=v("latest"))
    assert names(resp) == ["late"]
    assert "type" in resp.json["keypairs"][0]["keypair"]


# -- every SQL backend --------------------------------------------------------

@pytest.fixture
def backend_compute(config_dir, db_url):
    write_noauth_config(config_dir, db_url)
    sync_db(db_url)
    return config_dir.testapp("osapi_compute")


@pytest.mark.db
def test_keypairs_on_every_backend(backend_compute):
    app = backend_compute
    for name in ("c", "a", "b"):
        create(app, name, IMP1, version="2.35")
    create(app, "a", IMP1, version="2.35", status=409)
    resp = app.get(URL + "?limit=2", headers=v("2.35"))
    assert names(resp) == ["a", "b"]
    assert names(app.get(URL + "?marker=b", headers=v("2.35"))) == ["c"]
    shown = app.get(f"{URL}/a", headers=v("2.35")).json["keypair"]
    assert shown["fingerprint"] == IMP1_FP
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}",
                        shown["created_at"])
    # Nothing a client sends reaches the store in a form it refuses.
    app.get(f"{URL}/a%00b", headers=v("2.35"), status=404)
    app.get(URL + "?marker=a%00b", headers=v("2.35"), status=400)
    app.get(URL + "?user_id=a%00b", headers=v("2.35"), status=400)
    create(app, "n", IMP1 + "\x00", version="2.35", status=400)
    create(app, "u", IMP1, version="2.35", user_id="a\x00", status=400)
    create(app, "l", IMP1, version="2.35", user_id="u" * 255)
    big = IMP1 + " " + "x" * (65535 - len(IMP1) - 1)
    create(app, "big", big, version="2.35")
    assert app.get(f"{URL}/big", headers=v("2.35")).json[
        "keypair"]["public_key"] == big
    app.delete(f"{URL}/a", headers=v("2.35"), status=204)
    assert names(app.get(URL, headers=v("2.35"))) == ["b", "big", "c"]
