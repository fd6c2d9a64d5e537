"""``nova-wsgi-check``'s verdicts, from answers served by pytest-httpserver:
answers shaped as upstream Nova 34's (tests/unit/check_answers.py) pass,
and each way an answer can be wrong gives its FAIL or WARN; its TLS
findings from a TLS server in this process; its bounds; its usage errors.
Upstream's recorded answers themselves: tests/functional/
test_check_samples.py; real servers: tests/deploy/test_check.py.
"""

import datetime
import io
import json
import re
import socket
import ssl
import threading
import time

import pytest

from nova.packaging import check, probe
from tests.deploy import servers
from tests.unit.check_answers import LIMIT, TOKEN, Upstream

assert LIMIT == check.DEFAULT_MAX_REQUEST_BODY_SIZE


def run(*argv):
    out = io.StringIO()
    rc = check.main([str(a) for a in argv], out=out)
    return rc, out.getvalue().splitlines()


def verdicts(lines):
    return {line.split(" ", 1)[1].split(":", 1)[0]: (
        line.split(" ", 1)[0], line.split(": ", 1)[1]) for line in lines}


@pytest.fixture
def upstream(httpserver):
    return Upstream(httpserver)


def check_upstream(upstream, *extra, token=TOKEN):
    # pytest-httpserver reads a body before it answers: the check waits
    # a tenth of --timeout for an early answer to the oversized one.
    args = [upstream.base, "--metadata", upstream.base + "/meta",
            "--timeout", "2", *extra]
    if token:
        args += ["--token", token]
    return run(*args)


# -- upstream's kind of answers pass ------------------------------------------

def test_answers_shaped_as_upstreams_pass(upstream):
    rc, lines = check_upstream(upstream)
    assert [line.split(":")[0] for line in lines] == [
        "PASS compute-versions", "PASS compute-auth",
        "PASS compute-microversions", "PASS compute-request-ids",
        "PASS compute-body-limit", "PASS metadata-versions"], lines
    assert rc == 0
    found = verdicts(lines)
    assert found["compute-versions"][1] == (
        f"v2.1 CURRENT, microversions 2.1 to 2.104, links on "
        f"{upstream.base}")
    assert found["compute-microversions"][1] == (
        "compute 2.1 echoed with Vary, latest is 2.104, 2.105 refused with "
        "406")
    assert found["compute-auth"][1] == (
        'GET /v2.1/flavors without a token answered 401 (WWW-Authenticate: '
        'Keystone uri="http://127.0.0.1:5000")')
    assert found["compute-request-ids"][1] == (
        "x-openstack-request-id and x-compute-request-id on 4 answers (e.g. "
        "req-a33a4d46-daab-42cd-a8f8-2d86d0e91211)")


def test_the_requests_it_makes(upstream):
    check_upstream(upstream)
    seen = [(r.method, r.path, r.headers.get("OpenStack-API-Version"),
             r.headers.get("X-Auth-Token") == TOKEN,
             int(r.headers.get("Content-Length") or 0))
            for r in upstream.requests]
    assert seen == [
        ("GET", "/", None, False, 0),
        ("GET", "/v2.1/flavors", None, False, 0),
        ("GET", "/v2.1/flavors", "compute 2.1", True, 0),
        ("GET", "/v2.1/flavors", "compute latest", True, 0),
        ("GET", "/v2.1/flavors", "compute 2.105", True, 0),
        ("POST", "/v2.1/flavors", None, False, LIMIT + 1),
        ("POST", "/v2.1/flavors", None, False, LIMIT),
        ("GET", "/meta/", None, False, 0)]
    assert json.loads(upstream.requests[-2].data)["pad"]  # valid JSON


def test_the_token_comes_from_the_environment_and_never_shows(
        upstream, monkeypatch):
    upstream.change["flavors_list"] = lambda s, h, b: (
        500, h, f"echo {TOKEN}".encode())
    monkeypatch.setenv("OS_AUTH_TOKEN", TOKEN)
    rc, lines = check_upstream(upstream, token=None)
    assert rc == 1
    assert upstream.requests[2].headers["X-Auth-Token"] == TOKEN
    assert TOKEN not in "\n".join(lines)
    assert "'echo ***'" in verdicts(lines)["compute-microversions"][1]


def test_an_unused_password_masks_nothing(upstream, monkeypatch):
    monkeypatch.setenv("OS_PASSWORD", "compute")  # an openrc's, unused
    rc, lines = check_upstream(upstream)
    assert lines[0].startswith("PASS compute-versions: ") and rc == 0


def test_http_basic_credentials(upstream, monkeypatch):
    monkeypatch.setenv("OS_PASSWORD", "pw-secret")
    rc, lines = check_upstream(upstream, "--user", "admin", token=None)
    assert upstream.requests[2].headers["Authorization"] == \
        "Basic YWRtaW46cHctc2VjcmV0"  # admin:pw-secret
    assert "pw-secret" not in "\n".join(lines)
    # Upstream takes no Basic credentials: they are refused.
    assert verdicts(lines)["compute-microversions"][1].startswith(
        "the credentials were refused: 401")
    assert rc == 1


# -- what is wrong ------------------------------------------------------------

def _links_elsewhere(status, headers, body):
    return status, headers, re.sub(rb"http://[^/]+/", b"http://internal:8774/",
                                   body)


def test_links_on_another_url_warn(upstream):
    upstream.change["versions_root"] = _links_elsewhere
    rc, lines = check_upstream(upstream)
    verdict, detail = verdicts(lines)["compute-versions"]
    assert verdict == "WARN" and rc == 0
    assert "but its link is http://internal:" in detail
    assert "enable_proxy_headers_parsing = true" in detail
    assert "X-Forwarded-Proto" in detail


@pytest.mark.parametrize("name, body, expected", [
    ("wrong status", None, "GET / answered 404 text/html"),
    ("not json", b"<html>hi</html>", "GET / is not a versions document"),
    ("one version", json.dumps({"version": {"id": "v2.1"}}).encode(),
     "GET / answered one version's document"),
    ("no v2.1", json.dumps({"versions": [{"id": "v2.0"}]}).encode(),
     "no v2.1 in the versions document (ids: v2.0)"),
    ("not current", json.dumps({"versions": [
        {"id": "v2.1", "status": "SUPPORTED"}]}).encode(),
     "v2.1 is SUPPORTED, not CURRENT"),
    ("no range", json.dumps({"versions": [
        {"id": "v2.1", "status": "CURRENT", "version": ""}]}).encode(),
     "v2.1 reports no microversion range"),
])
def test_versions_document_failures(upstream, name, body, expected):
    def change(status, headers, original):
        if body is None:
            return 404, [("Content-Type", "text/html")], b"<h1>Not Found</h1>"
        return status, headers, body
    upstream.change["versions_root"] = change
    rc, lines = check_upstream(upstream)
    verdict, detail = verdicts(lines)["compute-versions"]
    assert (verdict, rc) == ("FAIL", 1)
    assert detail.startswith(expected), detail


def _drop(*names):
    def change(status, headers, body):
        return status, [(k, v) for k, v in headers
                        if k.lower() not in names], body
    return change


def test_missing_request_ids_fail_and_a_missing_legacy_one_warns(upstream):
    upstream.change["no_token_flavors"] = _drop("x-openstack-request-id",
                                                "x-compute-request-id")
    rc, lines = check_upstream(upstream)
    assert verdicts(lines)["compute-request-ids"] == ("FAIL", (
        "no x-openstack-request-id on the unauthenticated call (401): the "
        "request id middleware is not in the pipeline, or something in "
        "front answered"))
    upstream.change = {"flavors_list": _drop("x-compute-request-id")}
    rc, lines = check_upstream(upstream)
    verdict, detail = verdicts(lines)["compute-request-ids"]
    assert verdict == "WARN" and rc == 0
    assert detail.endswith("but no x-compute-request-id on the call at 2.1")


@pytest.mark.parametrize("sample, change, expected", [
    ("flavors_list", _drop("vary"), "no Vary: OpenStack-API-Version"),
    ("flavors_list", _drop("openstack-api-version"),
     "compute 2.1 answered OpenStack-API-Version None"),
    ("flavors_detail_latest", lambda s, h, b: (s, [
        (k, "compute 2.90" if k == "OpenStack-API-Version" else v)
        for k, v in h], b),
     "compute latest answered 'compute 2.90', not the versions document's "
     "2.104"),
    ("bad_microversion_2_105", lambda s, h, b: (200, h, b),
     "compute 2.105 answered 200 application/json"),
])
def test_microversion_failures(upstream, sample, change, expected):
    upstream.change[sample] = change
    rc, lines = check_upstream(upstream)
    verdict, detail = verdicts(lines)["compute-microversions"]
    assert (verdict, rc) == ("FAIL", 1)
    assert expected in detail, detail


def test_a_missing_legacy_microversion_header_warns(upstream):
    upstream.change["flavors_list"] = _drop("x-openstack-nova-api-version")
    rc, lines = check_upstream(upstream)
    verdict, detail = verdicts(lines)["compute-microversions"]
    assert (verdict, rc) == ("WARN", 0)
    assert "no X-OpenStack-Nova-API-Version: 2.1" in detail


def test_auth_failures(upstream):
    upstream.change["no_token_flavors"] = lambda s, h, b: (
        (200, h, b'{"flavors": []}') if b"requires auth" in b else (s, h, b))
    rc, lines = check_upstream(upstream)
    assert verdicts(lines)["compute-auth"] == ("FAIL", (
        "GET /v2.1/flavors without a token answered 200 application/json "
        "'{\"flavors\": []}': the API is open to anyone (auth_strategy = "
        "noauth2?) or this is not Nova"))
    upstream.change["no_token_flavors"] = lambda s, h, b: (403, h, b)
    rc, lines = check_upstream(upstream)
    verdict, detail = verdicts(lines)["compute-auth"]
    assert verdict == "FAIL" and detail.endswith(", not 401"), detail


def test_body_limit_failures(upstream):
    rc, lines = check_upstream(upstream, "--max-request-body-size",
                               LIMIT + 10)
    verdict, detail = verdicts(lines)["compute-body-limit"]
    assert (verdict, rc) == ("FAIL", 1)
    assert detail.startswith(f"{LIMIT + 11} bytes refused, but {LIMIT + 10}"
                             " bytes too: the limit is below"), detail
    rc, lines = check_upstream(upstream, "--max-request-body-size",
                               LIMIT - 10)
    verdict, detail = verdicts(lines)["compute-body-limit"]
    assert verdict == "FAIL" and detail.startswith(
        f"a body of {LIMIT - 9} bytes without a token answered 401"), detail


def test_who_refused_the_body(upstream):
    upstream.change["too_large"] = lambda s, h, b: (
        413, [("Content-Type", "text/html; charset=iso-8859-1")],
        b"<title>413 Request Entity Too Large</title>")
    rc, lines = check_upstream(upstream)
    assert verdicts(lines)["compute-body-limit"] == ("PASS", (
        f"{LIMIT + 1} bytes refused with 413 before authentication (a "
        "text/html page, not the API's: the web server's limit), "
        f"{LIMIT} bytes passed on (401)"))
    # Upstream Nova's: oslo.middleware's sizelimit, a webob page.
    upstream.change["too_large"] = lambda s, h, b: (
        413, [("Content-Type", "text/plain; charset=UTF-8")],
        b"413 Request Entity Too Large\n\nRequest is too large. Larger "
        b"than max_request_body_size (%s).\n\n   ")
    rc, lines = check_upstream(upstream)
    assert "(oslo.middleware's sizelimit, text/plain)" in verdicts(lines)[
        "compute-body-limit"][1]


def test_metadata_failures(upstream):
    upstream.change["meta_root"] = lambda s, h, b: (
        s, [("Content-Type", "text/plain")], b"1.0\n2009-04-04\n")
    rc, lines = check_upstream(upstream)
    verdict, detail = verdicts(lines)["metadata-versions"]
    assert (verdict, rc) == ("FAIL", 1)
    assert "not the metadata API's version list" in detail


def test_a_bug_of_the_check_is_a_fail_line_not_a_traceback(upstream,
                                                          monkeypatch):
    def broken(api):
        raise RuntimeError("boom")
    monkeypatch.setattr(check, "check_auth", broken)
    rc, lines = check_upstream(upstream)
    assert lines[1] == ("FAIL compute-auth: the check itself failed "
                        "(RuntimeError: boom)")
    assert len(lines) == 6 and rc == 1


# -- bounds -------------------------------------------------------------------

class Listener:
    """A TCP server in this process: ``serve(conn)`` per connection."""

    def __init__(self, serve):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.serve = serve
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,),
                             daemon=True).start()

    def _one(self, conn):
        try:
            self.serve(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self.sock.close()


def _drip(conn):
    """An answer that never ends: a byte every 0.2 s, within any socket
    timeout."""
    conn.recv(65536)
    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 1000:
        conn.sendall(bytes([byte]))
        time.sleep(0.2)


def test_each_request_is_bounded_from_connect_to_the_last_byte():
    listener = Listener(_drip)
    try:
        started = time.monotonic()
        rc, lines = run(f"http://127.0.0.1:{listener.port}", "--timeout", 1)
        elapsed = time.monotonic() - started
    finally:
        listener.close()
    assert lines[0] == (f"FAIL compute-versions: no complete answer from "
                        f"127.0.0.1:{listener.port} within 1 s")
    assert rc == 1 and elapsed < 3, elapsed


def test_the_whole_run_is_bounded():
    listener = Listener(_drip)
    url = f"http://127.0.0.1:{listener.port}"
    try:
        started = time.monotonic()
        rc, lines = run(url, "--metadata", url, "--timeout", 1,
                        "--max-time", 1.5)
        elapsed = time.monotonic() - started
    finally:
        listener.close()
    assert rc == 1 and elapsed < 3.5, elapsed
    assert lines[-1] == (f"FAIL metadata-versions: no complete answer from "
                         f"127.0.0.1:{listener.port} within 0.5 s") or \
        lines[-1] == ("FAIL metadata-versions: not run: the run's limit of "
                      "1.5 s (--max-time) was used up"), lines


def test_closed_without_an_answer():
    listener = Listener(lambda conn: conn.recv(65536))
    try:
        rc, lines = run(f"http://127.0.0.1:{listener.port}")
    finally:
        listener.close()
    assert lines[0] == (f"FAIL compute-versions: 127.0.0.1:{listener.port} "
                        "closed the connection without an answer")


# -- TLS ----------------------------------------------------------------------

class TLSListener(Listener):
    """Completes TLS handshakes with ``crt``, then ``then(tls_conn)`` (by
    default, nothing more)."""

    def __init__(self, crt, key, then=None):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(crt, key)
        self.then = then
        super().__init__(self._handshake)

    def _handshake(self, conn):
        try:
            tls = self.context.wrap_socket(conn, server_side=True)
            if self.then:
                self.then(tls)
            tls.close()
        except ssl.SSLError:
            pass


def tls_verdict(tmp_path, insecure=False, ca=True, **cert):
    crt, key = servers.certificate(tmp_path / "tls", **cert)
    listener = TLSListener(crt, key)
    try:
        client = probe.Client(timeout=5, max_time=10)
        verdict, detail, _context = probe.check_tls(
            client, f"https://127.0.0.1:{listener.port}",
            str(crt) if ca else None, insecure)
    finally:
        listener.close()
    return verdict, detail


def _in_days(days):
    return datetime.datetime.now(datetime.timezone.utc) + \
        datetime.timedelta(days=days)


def test_tls_a_good_certificate(tmp_path):
    verdict, detail = tls_verdict(tmp_path, days=365)
    until = _in_days(365 - 1 / 24).strftime("%Y-%m-%d")
    assert (verdict, detail) == ("PASS", (
        f"TLSv1.3, certificate verified, CN=127.0.0.1 valid until {until} "
        "(364 days left), matches 127.0.0.1"))


def test_tls_expiring_soon_warns(tmp_path):
    verdict, detail = tls_verdict(tmp_path, days=10)
    assert verdict == "WARN"
    assert "CN=127.0.0.1 expires in 9 days (" in detail
    assert detail.endswith("): renew it, matches 127.0.0.1")


def test_tls_expired_and_not_yet_valid_fail(tmp_path):
    verdict, detail = tls_verdict(tmp_path, days=5, starts=_in_days(-10))
    assert verdict == "FAIL"
    assert detail.startswith("TLS certificate not trusted: certificate has "
                             "expired; CN=127.0.0.1 expired on "), detail
    verdict, detail = tls_verdict(tmp_path, days=5, starts=_in_days(2))
    assert verdict == "FAIL" and "not valid before" in detail, detail


def test_tls_untrusted_fails_and_insecure_warns(tmp_path):
    verdict, detail = tls_verdict(tmp_path, ca=False)
    assert verdict == "FAIL"
    assert detail.startswith("TLS certificate not trusted: self-signed "
                             "certificate; TLSv1.3, CN=127.0.0.1 valid")
    verdict, detail = tls_verdict(tmp_path, ca=False, insecure=True)
    assert verdict == "WARN"
    assert detail.startswith("TLSv1.3, certificate not verified (--insecure)")


def test_tls_another_name_fails(tmp_path):
    verdict, detail = tls_verdict(tmp_path, names=("nova.example.test",
                                                   "*.example.test"))
    assert verdict == "FAIL"
    assert "not valid for 127.0.0.1 (subjectAltName: nova.example.test, " \
        "*.example.test)" in detail, detail
    verdict, detail = tls_verdict(tmp_path, insecure=True, names=(
        "nova.example.test",))
    assert verdict == "FAIL" and "not valid for 127.0.0.1" in detail


def test_tls_plain_http_on_an_https_url(httpserver):
    httpserver.expect_request("/").respond_with_data("hi")
    port = httpserver.port
    rc, lines = run(f"https://127.0.0.1:{port}")
    assert lines[0].startswith("FAIL compute-tls: TLS handshake failed: ")
    assert lines[1] == ("SKIP compute-versions: the compute API did not "
                        "answer (see compute-tls)")
    assert rc == 1


def _refuse_at_once(conn):
    """As a server that refuses a body by its Content-Length: the answer
    right after the headers, then close without reading the body."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    conn.sendall(b"HTTP/1.1 413 Request Entity Too Large\r\n"
                 b"Content-Type: application/json\r\nContent-Length: 2\r\n"
                 b"Connection: close\r\n\r\n{}")


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_an_answer_before_the_body_is_read_every_time(tmp_path, tls):
    """Sent whole, a 4 MB body would make that close a reset, which loses
    the answer now and then (over TLS mostly): the body waits for it."""
    if tls:
        crt, key = servers.certificate(tmp_path)
        listener = TLSListener(crt, key, then=_refuse_at_once)
    else:
        listener = Listener(_refuse_at_once)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    url = f"{'https' if tls else 'http'}://127.0.0.1:{listener.port}/v2.1"
    client = probe.Client(timeout=10, max_time=100)
    try:
        statuses = [client.request(url, "POST", body=b"x" * 4_000_000,
                                   context=context, refusal=True).status
                    for _ in range(10)]
    finally:
        listener.close()
    assert statuses == [413] * 10


def test_hostname_matching():
    info = {"dns": ["nova.example.test", "*.api.example.test"],
            "ips": [__import__("ipaddress").ip_address("::1")]}
    assert probe.hostname_matches("NOVA.example.test", info)
    assert probe.hostname_matches("x.api.example.test", info)
    assert not probe.hostname_matches("x.y.api.example.test", info)
    assert not probe.hostname_matches("api.example.test", info)
    assert probe.hostname_matches("::1", info)
    assert not probe.hostname_matches("127.0.0.1", info)


def test_certificate_parsing(tmp_path):
    crt, _key = servers.certificate(tmp_path, names=(
        "nova.example.test", "127.0.0.2"), days=3)
    der = ssl.PEM_cert_to_DER_cert(crt.read_text())
    info = probe.parse_certificate(der)
    assert info["cn"] == "nova.example.test"
    assert info["dns"] == ["nova.example.test"]
    assert [str(ip) for ip in info["ips"]] == ["127.0.0.2"]
    assert info["not_after"] - info["not_before"] == \
        datetime.timedelta(days=3)


# -- usage --------------------------------------------------------------------

@pytest.mark.parametrize("argv, message", [
    ([], "give the compute API's URL, --metadata URL, or both"),
    (["ftp://host"], "COMPUTE_URL: expected an http:// or https:// URL"),
    (["http://host:x"], "COMPUTE_URL: bad port"),
    (["http://h", "--metadata", "h:8775"], "--metadata: expected an http"),
    (["http://h?x=1"], "no query or fragment"),
    (["http://h", "--timeout", "0"], "must be positive"),
    (["http://h", "--ca-file", "/nonexistent"], "no such file"),
    (["http://h", "--user", "admin"], "needs the password in $OS_PASSWORD"),
    (["http://h", "--tokn=s3cret"], "unrecognized arguments: --tokn=..."),
])
def test_usage_errors(argv, message, capsys, monkeypatch):
    monkeypatch.delenv("OS_PASSWORD", raising=False)
    rc, lines = run(*argv)
    err = capsys.readouterr().err
    assert (rc, lines) == (2, [])
    assert message in err, err
    assert "s3cret" not in err


def test_help(capsys):
    assert run("--help") == (0, [])
    assert "Exit status: 0 when no check failed" in " ".join(
        capsys.readouterr().out.split())


@pytest.mark.parametrize("module", [check, probe])
def test_standard_library_only_and_python_3_9(module):
    """Operators run it on a bare python3 (3.9 or later), and the kit's
    zipapp carries nova/packaging/ alone."""
    import ast
    import sys

    tree = ast.parse(open(module.__file__).read(), feature_version=(3, 9))
    imported = {alias.name for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom)}
    outside = {name for name in imported
               if name.split(".")[0] not in sys.stdlib_module_names
               and not name.startswith("nova.packaging")}
    assert not outside
