"""Hostile input against both APIs served by gunicorn: never a 500, always
the API's own error, and never a change of identity.

The compute API and the metadata API run on one SQLite database under the
shipped gunicorn config; the flat network is 127.0.0.0/24, so the seeded
server's fixed address is a loopback address this test can send from
(the guest asking for its own metadata) while other loopback addresses
play other hosts. Requests are written on raw sockets where http.client
would tidy them up (odd paths, chunked bodies, repeated headers).
"""

import functools
import http.client
import json
import socket

import pytest

from tests.deploy import servers
from tests.fake_keystone import FakeKeystone
from tests.helpers import ADMIN, IMAGE
from tests.robustness.serve import Stack, call, member

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("deploy_tools")]

LIMIT = 114688  # [oslo_middleware] max_request_body_size, the default
MEMBER = member("alice", "project-a")

# Headers only the authentication layer may set (keystonemiddleware's and
# their legacy spellings) and noauth2's/http_basic's own inputs.
SPOOFED = {
    "X-Identity-Status": "Confirmed",
    "X-Service-Identity-Status": "Confirmed",
    "X-Roles": "admin",
    "X-Role": "admin",
    "X-Service-Roles": "admin,service",
    "X-User-Id": "admin",
    "X-User": "admin",
    "X-User-Name": "admin",
    "X-User-Domain-Id": "default",
    "X-Project-Id": "project-b",
    "X-Tenant-Id": "project-b",
    "X-Tenant": "project-b",
    "X-Project-Name": "project-b",
    "X-Project-Domain-Id": "default",
    "X-Is-Admin-Project": "True",
    "OpenStack-System-Scope": "all",
    "X-Auth-User": "admin",
    "X-Auth-Project-Id": "admin",
}


# -- raw HTTP -----------------------------------------------------------------

def raw(base, data, timeout=15, source=None):
    """Send ``data`` as it is; (status, headers, body) or None when the
    server closed without answering."""
    host, port = base.rsplit("//", 1)[1].split(":")
    sock = socket.create_connection(
        (host, int(port)), timeout=timeout,
        source_address=(source, 0) if source else None)
    try:
        sock.sendall(data)
        resp = http.client.HTTPResponse(sock)
        try:
            resp.begin()
        except (http.client.RemoteDisconnected, ConnectionResetError):
            return None
        body = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    finally:
        sock.close()


def http_request(base, method, path, body=b"", headers=(), source=None):
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1",
             "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers]
    if body and not any(k.lower() == "transfer-encoding" for k, _ in headers):
        lines.append(f"Content-Length: {len(body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return raw(base, head + body, source=source)


def chunked(data, size=8192):
    out = b""
    for i in range(0, len(data), size):
        piece = data[i:i + size]
        out += b"%x\r\n" % len(piece) + piece + b"\r\n"
    return out + b"0\r\n\r\n"


def assert_fault(result, status, name=None):
    assert result is not None, "the server closed the connection"
    code, headers, body = result
    assert code == status, (code, body[:500])
    if name is not None:
        doc = json.loads(body)
        assert list(doc) == [name], doc
        assert doc[name]["code"] == status
    return result


# This module's API requests: the admin's unless they say.
api = functools.partial(call, headers=ADMIN)


# -- the served stack ---------------------------------------------------------

@pytest.fixture(scope="module")
def stack(module_workdir, deploy_tools):
    served = Stack(module_workdir, extra="""
        [network]
        cidr = 127.0.0.0/24
        """)
    compute = served.start("compute")
    metadata = served.start("metadata")
    served.nova_manage("image", "create", "cirros", "--id", IMAGE)
    assert api(compute, "POST", "/flavors", {"flavor": {
        "name": "small", "ram": 512, "vcpus": 1, "disk": 1,
        "id": "small"}}).status == 200
    assert api(compute, "POST", "/os-keypairs",
               {"keypair": {"name": "alice-key"}},
               headers=MEMBER).status == 200
    resp = api(compute, "POST", "/servers", {"server": {
        "name": "guest", "imageRef": IMAGE, "flavorRef": "small",
        "networks": "auto", "metadata": {"owner": "alice"}}},
        headers=MEMBER, version="2.37")
    assert resp.status == 202, resp.text
    server = resp.json()["server"]["id"]
    addresses = api(compute, "GET", f"/servers/{server}/ips",
                    headers=MEMBER).json()["addresses"]
    address = next(iter(addresses.values()))[0]["addr"]
    served.compute, served.metadata = compute, metadata
    served.server, served.address = server, address
    yield served
    served.stop()
    assert "Traceback" not in served.output("compute"), \
        served.output("compute")[-3000:]
    assert "Traceback" not in served.output("metadata"), \
        served.output("metadata")[-3000:]


# -- bodies -------------------------------------------------------------------

JSON = [("X-Auth-Token", "admin:admin"), ("Content-Type", "application/json")]


@pytest.mark.parametrize("body", [
    b'{"flavor": {"name": "\xff\xfe", "ram": 1, "vcpus": 1, "disk": 1}}',
    b'\xef\xbb\xbf\xc3\x28',
    b'{"flavor": "\xed\xa0\x80"}',  # an encoded surrogate
], ids=["latin1-in-string", "bom-and-bad-sequence", "encoded-surrogate"])
def test_invalid_utf8_body_is_400(stack, body):
    assert_fault(http_request(stack.compute, "POST", "/v2.1/flavors", body,
                              JSON), 400, "badRequest")


def test_invalid_utf8_in_query_and_path(stack):
    assert_fault(http_request(stack.compute, "GET", "/v2.1/servers?name=%ff",
                              headers=JSON[:1]), 400, "badRequest")
    result = http_request(stack.compute, "GET", "/v2.1/servers/%ff%fe",
                          headers=JSON[:1])
    assert_fault(result, 404, "itemNotFound")
    result = http_request(stack.metadata, "GET", "/openstack/%ff/user_data")
    assert result is not None and result[0] == 404


def test_metadata_password_not_utf8_is_400_and_not_stored(stack):
    path = "/openstack/latest/password"
    result = http_request(stack.metadata, "POST", path, b"\xff\xfe pw",
                          source=stack.address)
    assert result is not None and result[0] == 400, result
    result = http_request(stack.metadata, "GET", path, source=stack.address)
    assert result[0] == 200 and result[2] == b"", result


@pytest.mark.parametrize("body", [
    b'{"flavor": ', b'{"flavor": {}}}', b"{'flavor': {}}", b"nul\x00l",
    b'{"flavor": {"name": "x", "ram": NaN, "vcpus": Infinity, "disk": 1}}',
    b'{"flavor": {"name": "a\\u0000b", "ram": 1, "vcpus": 1, "disk": 1}}',
    b'{"flavor": {"name": "\\ud800", "ram": 1, "vcpus": 1, "disk": 1}}',
    b"[]", b'"flavor"', b"1e999999",
], ids=["truncated", "trailing", "single-quotes", "nul", "nan-infinity",
        "escaped-nul", "lone-surrogate", "array", "string", "huge-number"])
def test_malformed_json_is_400(stack, body):
    assert_fault(http_request(stack.compute, "POST", "/v2.1/flavors", body,
                              JSON), 400, "badRequest")


@pytest.mark.parametrize("depth", [1000, 50000])
def test_deeply_nested_json_is_400(stack, depth):
    for opening, closing in ((b"[", b"]"), (b'{"a":', b"}")):
        body = opening * depth + b"1" + closing * depth
        if len(body) > LIMIT:
            body = opening * (depth // 5) + b"1" + closing * (depth // 5)
        assert_fault(http_request(stack.compute, "POST", "/v2.1/flavors",
                                  body, JSON), 400, "badRequest")
        # inside a valid envelope too
        body = (b'{"server": {"name": "x", "flavorRef": "small", '
                b'"networks": "none", "metadata": '
                + opening * (depth // 5) + b"1" + closing * (depth // 5)
                + b"}}")
        assert_fault(http_request(stack.compute, "POST", "/v2.1/servers",
                                  body, JSON), 400, "badRequest")


def test_body_at_the_limit_passes_and_one_byte_over_is_413(stack):
    filler = b" " * (LIMIT - 2)
    at_limit = b"{" + filler + b"}"
    assert len(at_limit) == LIMIT
    # read whole, then refused by the schema: not a size error
    assert_fault(http_request(stack.compute, "POST", "/v2.1/flavors",
                              at_limit, JSON), 400, "badRequest")
    over = at_limit + b" "
    assert_fault(http_request(stack.compute, "POST", "/v2.1/flavors", over,
                              JSON), 413, "overLimit")


def test_chunked_body_one_byte_over_is_413(stack):
    at_limit = b"{" + b" " * (LIMIT - 2) + b"}"
    headers = [*JSON, ("Transfer-Encoding", "chunked")]
    assert_fault(http_request(stack.compute, "POST", "/v2.1/flavors",
                              chunked(at_limit), headers), 400, "badRequest")
    assert_fault(http_request(stack.compute, "POST", "/v2.1/flavors",
                              chunked(at_limit + b" "), headers), 413,
                 "overLimit")


def test_metadata_password_bodies_over_the_limit(stack):
    """Plain: the size limit's 413. Chunked: the password handler reads at
    most 1021 bytes and answers its own 400 (a password is at most 1020)."""
    path = "/openstack/latest/password"
    result = http_request(stack.metadata, "POST", path, b"x" * (LIMIT + 1),
                          source=stack.address)
    assert result is not None and result[0] == 413, result
    result = http_request(stack.metadata, "POST", path,
                          chunked(b"x" * (LIMIT + 1)),
                          [("Transfer-Encoding", "chunked")],
                          source=stack.address)
    assert result is not None and result[0] == 400, result
    assert b"at most 1020 bytes" in result[2]


@pytest.mark.parametrize("ctype", ["text/plain", "application/xml",
                                   "application/x-www-form-urlencoded",
                                   "multipart/form-data; boundary=x"])
def test_wrong_content_type_is_415(stack, ctype):
    body = b'{"flavor": {"name": "x", "ram": 1, "vcpus": 1, "disk": 1}}'
    assert_fault(http_request(stack.compute, "POST", "/v2.1/flavors", body,
                              [("X-Auth-Token", "admin:admin"),
                               ("Content-Type", ctype)]),
                 415, "badMediaType")


# -- headers ------------------------------------------------------------------

def test_huge_header_is_refused_by_the_server_not_500(stack):
    for base in (stack.compute, stack.metadata):
        result = http_request(base, "GET", "/v2.1/flavors",
                              headers=[("X-Auth-Token", "admin:admin"),
                                       ("X-Huge", "a" * 70000)])
        assert result is None or result[0] in (400, 431), result[:2]
        # a big but allowed header (a Keystone token's size) is served
        result = http_request(base, "GET", "/healthcheck",
                              headers=[("X-Big", "a" * 60000)])
        assert result[0] == 200


def test_many_and_repeated_headers(stack):
    many = [(f"X-Extra-{i}", "v") for i in range(500)]
    result = http_request(stack.compute, "GET", "/v2.1/flavors",
                          headers=[("X-Auth-Token", "admin:admin"), *many])
    assert result is None or result[0] in (400, 431), result[:2]
    # repeated versions: one of them is chosen or 400, never 500
    for values in (("compute 2.1", "compute 2.90"), ("compute 2.1", "junk"),
                   ("compute 9.9", "compute 2.1")):
        result = http_request(stack.compute, "GET", "/v2.1/flavors",
                              headers=[("X-Auth-Token", "admin:admin")]
                              + [("OpenStack-API-Version", v)
                                 for v in values])
        assert result[0] in (200, 400, 406), result[:2]
    # repeated tokens, repeated content types
    result = http_request(stack.compute, "GET", "/v2.1/flavors",
                          headers=[("X-Auth-Token", "alice:project-a"),
                                   ("X-Auth-Token", "admin:admin")])
    assert result[0] in (200, 400, 401), result[:2]
    result = http_request(stack.compute, "POST", "/v2.1/flavors", b"{}",
                          [("X-Auth-Token", "admin:admin"),
                           ("Content-Type", "application/json"),
                           ("Content-Type", "text/plain")])
    assert result[0] in (400, 415), result[:2]
    # the metadata proxy headers, repeated: 400 in proxy mode, ignored here
    result = http_request(stack.metadata, "GET", "/openstack",
                          headers=[("X-Instance-ID", "a"),
                                   ("X-Instance-ID", "b")])
    assert result[0] in (400, 404), result[:2]


# -- paths --------------------------------------------------------------------

ODD_COMPUTE = [
    "/v2.1/../v2.1/flavors", "/v2.1/flavors/..", "/v2.1/flavors/../servers",
    "//v2.1//flavors", "/v2.1//flavors//detail", "/v2.1/flavors%2Fdetail",
    "/v2.1/flavors/%2e%2e", "/v2.1/flavors/%2e%2e%2fservers",
    "/v2.1/flavors/%00", "/v2.1/flavors/a%00b",
    "/v2.1/%2e%2e/%2e%2e/etc/passwd",
    "/v2.1/servers/..%5c..%5cwindows", "/v2.1/servers/%252e%252e",
    "/v2.1/" + "a/" * 2000, "/v2.1/flavors/" + "x" * 8000,
    "/v2.1/flavors?" + "a=1&" * 3000, "/v2.1/flavors;param",
    "/v2.1/flavors/%u002e", "http://evil.example/v2.1/flavors",
    "*",
]


@pytest.mark.parametrize("path", ODD_COMPUTE,
                         ids=[p[:40] for p in ODD_COMPUTE])
def test_odd_compute_paths(stack, path):
    result = http_request(stack.compute, "GET", path,
                          headers=[("X-Auth-Token", "admin:admin")])
    assert result is not None
    code, _headers, body = result
    assert code < 500, (code, body[:300])
    assert code in (200, 300, 400, 404, 414), (code, body[:300])
    if code in (400, 404) and body.startswith(b"{"):
        doc = json.loads(body)
        assert len(doc) == 1 and next(iter(doc.values()))["code"] == code


ODD_METADATA = [
    "/openstack/../openstack", "/openstack/latest/../latest/meta_data.json",
    "//openstack//latest", "/openstack/latest/meta_data.json%2f..",
    "/openstack/%2e%2e/latest", "/latest/meta-data/..%2f..%2fetc",
    "/latest/meta-data/%00", "/ec2/../latest", "/" + "a/" * 2000,
    "/openstack/latest/" + "x" * 8000, "*",
]


@pytest.mark.parametrize("path", ODD_METADATA,
                         ids=[p[:40] for p in ODD_METADATA])
def test_odd_metadata_paths(stack, path):
    result = http_request(stack.metadata, "GET", path, source=stack.address)
    assert result is not None
    code, _headers, body = result
    assert code in (200, 300, 400, 404, 414), (code, body[:300])


# -- identity -----------------------------------------------------------------

def _spoofed(token_headers):
    return {**SPOOFED, **token_headers}


def assert_still_the_member(base, headers):
    """Whatever headers were added, the caller is alice of project-a, a
    member: her own keypair is listed, admin-only actions are refused."""
    resp = api(base, "GET", "/os-keypairs", headers=headers)
    assert resp.status == 200, resp.text
    assert [k["keypair"]["name"] for k in resp.json()["keypairs"]] == \
        ["alice-key"]
    resp = api(base, "POST", "/flavors", {"flavor": {
        "name": "spoof", "ram": 1, "vcpus": 1, "disk": 1}}, headers=headers)
    assert resp.status == 403, resp.text
    resp = api(base, "GET", "/servers?all_tenants=1", headers=headers)
    assert resp.status in (200, 403)
    if resp.status == 200:
        assert len(resp.json()["servers"]) == 1  # hers only


def test_noauth2_identity_headers_change_nothing(stack):
    assert_still_the_member(stack.compute, MEMBER)
    assert_still_the_member(stack.compute, _spoofed(MEMBER))
    # no token: noauth2's own 204, never the spoofed identity
    resp = servers.request(stack.compute + "/v2.1/flavors", headers={
        k: v for k, v in SPOOFED.items() if not k.startswith("X-Auth-")})
    assert resp.status == 204


def test_metadata_client_headers_do_not_pick_the_guest(stack):
    # the guest itself, from its own address
    own = http_request(stack.metadata, "GET",
                       "/openstack/latest/meta_data.json",
                       source=stack.address)
    assert own[0] == 200 and json.loads(own[2])["uuid"] == stack.server
    other = "127.0.0.200"
    for headers in ([("X-Forwarded-For", stack.address)],
                    [("Forwarded", f"for={stack.address}")],
                    [("X-Instance-ID", stack.server),
                     ("X-Tenant-ID", "project-a"),
                     ("X-Instance-ID-Signature", "0" * 64)],
                    [(k, v) for k, v in SPOOFED.items()]):
        result = http_request(stack.metadata, "GET",
                              "/openstack/latest/meta_data.json",
                              headers=headers, source=other)
        assert result[0] == 404, (headers, result[:2])


def test_http_basic_identity_headers_change_nothing(stack, module_workdir):
    served = Stack(module_workdir, auth="http_basic", name="etc-basic",
                   api="""
        http_basic_auth_user_file = {}
        http_basic_user_projects = alice:project-a
        """.format(module_workdir.htpasswd(
                "htpasswd", {"alice": "alice-pw", "admin": "admin-pw"})))
    try:
        base = served.start("compute", workers=1)
        alice = servers.basic_auth("alice", "alice-pw")
        assert_still_the_member(base, alice)
        assert_still_the_member(base, _spoofed(alice))
        resp = api(base, "GET", "/flavors", headers=SPOOFED)
        assert resp.status == 401
    finally:
        served.stop()


def test_keystone_identity_headers_change_nothing(stack, module_workdir,
                                                  httpserver):
    keystone = FakeKeystone(httpserver)
    served = Stack(module_workdir, auth="keystone", name="etc-keystone",
                   extra=keystone.authtoken_conf())
    try:
        base = served.start("compute", workers=1)
        token = keystone.issue("alice", "project-a", ["member", "reader"])
        alice = {"X-Auth-Token": token}
        assert_still_the_member(base, alice)
        assert_still_the_member(base, _spoofed(alice))
        for headers in (SPOOFED, _spoofed({"X-Auth-Token": "forged"})):
            resp = api(base, "GET", "/flavors", headers=headers)
            assert resp.status == 401, resp.text
    finally:
        served.stop()
