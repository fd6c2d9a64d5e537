"""``nova-wsgi-check`` against real servers: this project under gunicorn
(the shipped configs) with Keystone auth (tests/fake_keystone.py, so the
401s and the token are real), over plain HTTP and over TLS; and the
deployments it must fail: a hello-world app where Nova should be, an API
open to anyone without a body limit, expired and untrusted certificates,
nothing listening, a server that never answers.

The check runs as an operator runs it (``checks.deployment_check``: a bare
``/usr/bin/python3 -S``, the token in OS_TOKEN).
"""

import socket
import time

import pytest
from pytest_httpserver import HTTPServer

from nova.packaging import render
from tests.deploy import checks, servers
from tests.fake_keystone import FakeKeystone

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("deploy_tools")]

LIMIT = render.DEFAULT_MAX_REQUEST_BODY_SIZE
HELLO = "tests.deploy.hello_app:application"


def serve(tree, name, api, etc=None, app=None, options=(), prefix=""):
    """gunicorn (one worker) with the shipped config of ``api``, serving
    ``app`` (default: the API's module), configured from ``etc``, under
    the path ``prefix`` (as a site's /compute)."""
    conf = (servers.ROOT / "deployment" / "gunicorn"
            / render.gunicorn_filename(api))
    env = servers.clean_env(**({"OS_NOVA_CONFIG_DIR": str(etc)} if etc
                               else {}))
    if prefix:
        env["SCRIPT_NAME"] = prefix
    server = servers.Gunicorn(
        app or f"{render.APIS[api].module}:application",
        tree.path / f"gunicorn-{name}.log", env=env, cwd=servers.ROOT,
        options=["-c", conf, "--workers", "1", *options])
    server.start()
    return server


class Deployment:
    """Both APIs of one config directory, each stopped by ``stop()``;
    the compute API under ``prefix``."""

    def __init__(self, tree, name, etc, options=(), prefix=""):
        self.servers = []
        try:
            for api in render.APIS:
                self.servers.append(serve(
                    tree, f"{name}-{api}", api, etc, options=options,
                    prefix=prefix if api == "compute" else ""))
        except BaseException:
            self.stop()
            raise
        self.compute, self.metadata = (s.url for s in self.servers)

    def stop(self):
        for server in self.servers:
            server.stop()


@pytest.fixture(scope="module")
def keystone():
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        yield FakeKeystone(server)
    finally:
        server.clear()
        server.stop()


@pytest.fixture(scope="module")
def etc(module_workdir, keystone):
    return module_workdir.config("etc", auth="keystone",
                                 extra=keystone.authtoken_conf())


@pytest.fixture(scope="module")
def token(keystone):
    return keystone.issue("alice", "project-a", ["member", "reader"])


@pytest.fixture(scope="module")
def plain(module_workdir, etc):
    deployment = Deployment(module_workdir, "plain", etc)
    yield deployment
    deployment.stop()


@pytest.fixture(scope="module")
def certificate(module_workdir):
    return servers.certificate(module_workdir.mkdir("tls"))


@pytest.fixture(scope="module")
def tls(module_workdir, etc, certificate):
    crt, key = certificate
    deployment = Deployment(module_workdir, "tls", etc, prefix="/compute",
                            options=["--certfile", crt, "--keyfile", key])
    yield deployment
    deployment.stop()


# -- a good deployment --------------------------------------------------------

def test_every_check_passes_with_a_token(plain, token):
    found = checks.assert_deployment_passes(plain.compute, plain.metadata,
                                            token=token)
    assert found["compute-versions"][1] == (
        f"v2.1 CURRENT, microversions 2.1 to 2.104, links on {plain.compute}")
    assert found["compute-auth"][1].startswith(
        "GET /v2.1/flavors without a token answered 401 (WWW-Authenticate: "
        "Keystone uri=")
    assert found["compute-microversions"][1] == (
        "compute 2.1 echoed with Vary, latest is 2.104, 2.105 refused with "
        "406")
    assert found["compute-request-ids"][1].startswith(
        "x-openstack-request-id and x-compute-request-id on 4 answers "
        "(e.g. req-")
    assert found["compute-body-limit"][1] == (
        f"{LIMIT + 1} bytes refused with 413 before authentication (the "
        f"API's overLimit fault), {LIMIT} bytes passed on (401)")
    assert found["metadata-versions"][1] == (
        "10 versions listed, 1.0 to 2009-04-04 and latest")


def test_without_a_token_the_microversions_are_skipped(plain):
    rc, lines = checks.deployment_check(plain.compute, plain.metadata)
    found = checks.verdicts(lines)
    verdict, detail = found["compute-microversions"]
    assert verdict == "SKIP" and detail.startswith("no token: give --token "
                                                   "(or OS_TOKEN"), lines
    assert [v for v, _d in found.values()].count("PASS") == 5, lines
    assert rc == 0, lines


def test_a_refused_token_fails(plain):
    rc, lines = checks.deployment_check(plain.compute, token="tok-forged")
    verdict, detail = checks.verdicts(lines)["compute-microversions"]
    assert verdict == "FAIL" and detail.startswith(
        "the token was refused: 401 application/json"), lines
    assert rc == 1


def test_each_api_alone_and_a_path_prefix_slash(plain, token):
    rc, lines = checks.deployment_check(None, plain.metadata)
    assert (rc, [line.split(":")[0] for line in lines]) == (
        0, ["PASS metadata-versions"]), lines
    rc, lines = checks.deployment_check(plain.compute + "/", token=token)
    assert rc == 0 and len(lines) == 5, lines


def test_every_check_passes_over_tls_under_a_prefix(tls, token,
                                                     certificate):
    crt, _key = certificate
    assert tls.compute.endswith("/compute")
    found = checks.assert_deployment_passes(
        tls.compute, tls.metadata, tls=True, token=token,
        extra=["--ca-file", str(crt)])
    for name in ("compute-tls", "metadata-tls"):
        assert found[name][1].startswith("TLSv1.3, certificate verified, "
                                         "CN=127.0.0.1 valid until "), found
        assert found[name][1].endswith(" days left), matches 127.0.0.1")
    # gunicorn tells the API it is https under /compute: the links say so.
    assert found["compute-versions"][1].endswith(f"links on {tls.compute}")


def test_an_untrusted_certificate_fails_and_the_rest_still_runs(tls, token):
    rc, lines = checks.deployment_check(tls.compute, tls.metadata,
                                        token=token)
    found = checks.verdicts(lines)
    for name in ("compute-tls", "metadata-tls"):
        verdict, detail = found[name]
        assert verdict == "FAIL", lines
        assert detail.startswith("TLS certificate not trusted: self-signed "
                                 "certificate; TLSv1.3"), detail
    others = {n: v for n, (v, _d) in found.items() if not n.endswith("-tls")}
    assert set(others.values()) == {"PASS"}, lines
    assert rc == 1


def test_insecure_warns(tls, token):
    rc, lines = checks.deployment_check(tls.compute, tls.metadata,
                                        token=token, extra=["--insecure"])
    found = checks.verdicts(lines)
    assert found["compute-tls"][0] == "WARN", lines
    assert "certificate not verified (--insecure)" in found["compute-tls"][1]
    assert rc == 0, lines


def test_an_expired_certificate_fails(module_workdir, etc, token):
    crt, key = servers.certificate(module_workdir.mkdir("expired"),
                                   days=30, starts=_days_ago(40))
    server = serve(module_workdir, "expired", "compute", etc,
                   options=["--certfile", crt, "--keyfile", key])
    try:
        rc, lines = checks.deployment_check(
            server.url, token=token, extra=["--ca-file", str(crt)])
    finally:
        server.stop()
    verdict, detail = checks.verdicts(lines)["compute-tls"]
    assert verdict == "FAIL", lines
    assert "certificate has expired" in detail, detail
    assert "CN=127.0.0.1 expired on " in detail, detail
    assert rc == 1


# -- what is not a good deployment --------------------------------------------

def test_a_hello_world_app_is_not_nova(module_workdir):
    server = serve(module_workdir, "hello", "compute", app=HELLO)
    try:
        rc, lines = checks.deployment_check(server.url, server.url)
    finally:
        server.stop()
    found = checks.verdicts(lines)
    assert {n: v for n, (v, _d) in found.items()} == {
        "compute-versions": "FAIL", "compute-auth": "FAIL",
        "compute-microversions": "SKIP", "compute-request-ids": "FAIL",
        "compute-body-limit": "FAIL", "metadata-versions": "FAIL"}, lines
    assert found["compute-versions"][1] == (
        "GET / is not a versions document: 200 text/plain 'Hello, world'")
    assert rc == 1


def test_an_open_api_without_a_body_limit_fails(module_workdir):
    etc = module_workdir.config("etc-open", auth="noauth2", extra="""
        [oslo_middleware]
        max_request_body_size = 10000000
        """)
    server = serve(module_workdir, "open", "compute", etc)
    try:
        rc, lines = checks.deployment_check(server.url)
    finally:
        server.stop()
    found = checks.verdicts(lines)
    assert found["compute-auth"] == ("FAIL", (
        "GET /v2.1/flavors without a token answered 204 no Content-Type: "
        "the API is open to anyone (auth_strategy = noauth2?) or this is "
        "not Nova")), lines
    verdict, detail = found["compute-body-limit"]
    assert verdict == "FAIL" and detail.startswith(
        f"a body of {LIMIT + 1} bytes without a token answered 204"), lines
    assert found["compute-versions"][0] == "PASS", lines
    assert rc == 1


def test_nothing_listening_fails_at_once():
    port = servers.free_port()
    started = time.monotonic()
    rc, lines = checks.deployment_check(f"http://127.0.0.1:{port}",
                                        f"http://127.0.0.1:{port}")
    assert time.monotonic() - started < 10
    assert lines == [
        f"FAIL compute-versions: connection refused by 127.0.0.1:{port} "
        "(nothing listening?)",
        *(f"SKIP {name}: the compute API did not answer (see "
          "compute-versions)" for name in checks.COMPUTE_CHECKS[1:]),
        f"FAIL metadata-versions: connection refused by 127.0.0.1:{port} "
        "(nothing listening?)"]
    assert rc == 1


def test_a_server_that_never_answers_is_bounded():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # accepted by the kernel, never read
        url = f"https://127.0.0.1:{listener.getsockname()[1]}"
        started = time.monotonic()
        rc, lines = checks.deployment_check(
            url, url, extra=["--timeout", "1", "--max-time", "1.5"])
    elapsed = time.monotonic() - started
    assert rc == 1 and elapsed < 5, (elapsed, lines)
    found = checks.verdicts(lines)
    assert found["compute-tls"] == ("FAIL", (
        f"no complete answer from 127.0.0.1:{url.rsplit(':', 1)[1]} within "
        "1 s")), lines
    assert found["metadata-tls"][1].startswith("no complete answer"), lines


def _days_ago(days):
    import datetime

    return datetime.datetime.now(datetime.timezone.utc) - \
        datetime.timedelta(days=days)
