"""The compute and metadata pipelines: request ids, size limit, body
parsing, faults, routing, CORS, health, and WSGI compliance.

Routing and body handling are exercised with test routes injected into
the real app (built by the real paste file), so that every middleware in
front of the router runs as in production.
"""

import io
import json
import logging
import re
import wsgiref.util
import wsgiref.validate

import pytest
import webtest

from nova.api import errors
from nova.api.compute import router, routes
from tests.helpers import ADMIN

JSON = {"Content-Type": "application/json"}


def echo(req):
    return router.Result(200, {"got": req.json,
                               "project": req.context.project_id,
                               "version": list(req.version)})


def boom(req):
    raise ZeroDivisionError("secret internal detail")


def created(req, item_id):
    return router.Result(201, {"id": item_id}, headers=[("Location", "/x")])


TEST_ROUTES = (
    router.Route("/echo", "POST", echo, policy=None, body={"type": "object"}),
    router.Route("/echo", "GET", echo, policy=None,
                 query={"type": "object", "properties": {
                     "limit": {"type": "array",
                               "items": {"type": "string",
                                         "pattern": "^[0-9]+$"}}},
                        "additionalProperties": False}),
    router.Route("/boom", "GET", boom, policy=None),
    router.Route("/items/{item_id}", "PUT", created, policy=None,
                 body={"type": "object", "required": ["item"],
                       "properties": {"item": {"type": "object",
                                               "required": ["name"]}}}),
)


@pytest.fixture
def app(noauth_config, monkeypatch):
    monkeypatch.setattr(routes, "ROUTES", routes.ROUTES + TEST_ROUTES)
    return noauth_config.testapp()


# -- request ids --------------------------------------------------------------

def test_request_ids_are_new_per_request_and_in_both_headers(app):
    seen = set()
    for _ in range(3):
        resp = app.get("/v2.1/echo", headers=ADMIN)
        rid = resp.headers["x-openstack-request-id"]
        assert re.fullmatch(
            r"req-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", rid)
        assert resp.headers["x-compute-request-id"] == rid
        seen.add(rid)
    assert len(seen) == 3


def test_caller_request_id_is_not_adopted(app):
    theirs = "req-11111111-2222-3333-4444-555555555555"
    resp = app.get("/v2.1/echo",
                   headers={**ADMIN, "X-OpenStack-Request-ID": theirs})
    assert resp.headers["x-openstack-request-id"] != theirs


def test_request_id_on_faults_too(app):
    resp = app.get("/v2.1/nothing-here", headers=ADMIN, status=404)
    assert resp.headers["x-openstack-request-id"].startswith("req-")


# -- body size limit ----------------------------------------------------------

def test_body_over_limit_is_413_fault(app):
    resp = app.post("/v2.1/echo", b"{" + b" " * 114688 + b"}",
                    headers={**ADMIN, **JSON}, status=413)
    assert resp.json["overLimit"]["code"] == 413
    assert "114688" in resp.json["overLimit"]["message"]


def test_body_at_limit_passes(app):
    body = b'{"a": "' + b"x" * (114688 - 9) + b'"}'
    assert len(body) == 114688
    assert app.post("/v2.1/echo", body,
                    headers={**ADMIN, **JSON}).json["got"]["a"]


def chunked_post(wsgi_app, path, body, headers=ADMIN):
    """A POST without Content-Length, as a server passes a chunked body."""
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": path, "SCRIPT_NAME": "",
        "QUERY_STRING": "", "SERVER_NAME": "localhost", "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body), "wsgi.errors": io.StringIO(),
        "wsgi.version": (1, 0), "wsgi.multithread": False,
        "wsgi.multiprocess": False, "wsgi.run_once": False,
        "wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked",
        "CONTENT_TYPE": "application/json",
    }
    for key, value in headers.items():
        environ["HTTP_" + key.upper().replace("-", "_")] = value
    captured = {}

    def start_response(status, response_headers, exc_info=None):
        captured["status"] = status
        captured["headers"] = response_headers

    body_out = b"".join(wsgi_app(environ, start_response))
    return int(captured["status"].split()[0]), json.loads(body_out or b"null")


def test_chunked_body_over_limit_is_413(app):
    status, body = chunked_post(app.app, "/v2.1/echo",
                                b"[" + b"1," * 60000 + b"1]")
    assert status == 413
    assert body["overLimit"]["code"] == 413


def test_chunked_body_under_limit_is_read(app):
    status, body = chunked_post(app.app, "/v2.1/echo", b'{"k": [1, 2, 3]}')
    assert status == 200
    assert body["got"] == {"k": [1, 2, 3]}


def test_size_limit_applies_to_metadata_posts(noauth_config):
    meta = noauth_config.testapp("metadata")
    resp = meta.post("/openstack/latest/password", b"x" * 200000, status=413)
    assert resp.json["overLimit"]["code"] == 413


def test_invalid_content_length_is_400(app):
    resp = app.app  # call directly: webtest would fix the header
    environ = webtest.TestRequest.blank("/v2.1/echo", method="POST").environ
    environ.update(CONTENT_LENGTH="12abc", HTTP_X_AUTH_TOKEN="admin:admin")
    out = {}
    body = b"".join(resp(environ, lambda s, h, e=None: out.update(status=s)))
    assert out["status"].startswith("400")
    assert b"Content-Length" in body


# -- bodies -------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    b'{"flavor": {bad json',
    b"\xff\xfe{}",                       # invalid UTF-8
    b'{"a": "\xc3\x28"}',                # invalid UTF-8 inside a string
    b"[" * 50000 + b"]" * 50000,         # nested beyond the parser's depth
    b"",
])
def test_malformed_bodies_are_400(app, body):
    resp = app.post("/v2.1/echo", body, headers={**ADMIN, **JSON}, status=400)
    assert resp.json == {"badRequest": {"code": 400,
                                        "message": "Malformed request body"}}


def test_wrong_content_type_is_415(app):
    resp = app.post("/v2.1/echo", b"name=x", headers={
        **ADMIN, "Content-Type": "application/x-www-form-urlencoded"},
        status=415)
    assert resp.json["badMediaType"]["code"] == 415


def test_missing_content_type_is_taken_as_json(app):
    resp = app.post("/v2.1/echo", b'{"a": 1}', headers=ADMIN,
                    content_type="")
    assert resp.json["got"] == {"a": 1}


def test_schema_errors_read_like_upstream(app):
    resp = app.put("/v2.1/items/7", json.dumps({"item": {"ram": 1}}),
                   headers={**ADMIN, **JSON}, status=400)
    assert resp.json["badRequest"]["message"] == (
        "Invalid input for field/attribute item. Value: {'ram': 1}. "
        "'name' is a required property")


def test_schema_error_values_are_cut_short(app):
    huge = {"item": {"x": "y" * 50000}}
    resp = app.put("/v2.1/items/7", json.dumps(huge),
                   headers={**ADMIN, **JSON}, status=400)
    assert len(resp.json["badRequest"]["message"]) < 600


def test_query_is_validated(app):
    assert app.get("/v2.1/echo?limit=5", headers=ADMIN).status_int == 200
    resp = app.get("/v2.1/echo?limit=five", headers=ADMIN, status=400)
    assert "Invalid input for field/attribute limit" in (
        resp.json["badRequest"]["message"])
    app.get("/v2.1/echo?unknown=1", headers=ADMIN, status=400)


def test_query_with_invalid_utf8_is_400(app):
    resp = app.get("/v2.1/echo?limit=%ff%fe", headers=ADMIN, status=400)
    assert resp.json["badRequest"]["code"] == 400


def test_handler_status_and_headers(app):
    resp = app.put("/v2.1/items/42", json.dumps({"item": {"name": "n"}}),
                   headers={**ADMIN, **JSON}, status=201)
    assert resp.json == {"id": "42"}
    assert resp.headers["Location"].endswith("/x")


# -- routing ------------------------------------------------------------------

def test_unknown_path_is_404_fault(app):
    resp = app.get("/v2.1/nonexistent", headers=ADMIN, status=404)
    assert resp.json == {"itemNotFound": {
        "code": 404, "message": "The resource could not be found."}}


def test_unknown_top_level_path_is_404_fault(app):
    resp = app.get("/v3/anything", status=404)
    assert resp.json["itemNotFound"]["code"] == 404


def test_wrong_method_is_405_with_allow(app):
    resp = app.delete("/v2.1/echo", headers=ADMIN, status=405)
    assert resp.json["badMethod"]["code"] == 405
    assert resp.headers["Allow"] == "GET, POST"


def test_project_id_in_url(app):
    resp = app.post("/v2.1/proj1/echo", b"{}",
                    headers={"X-Auth-Token": "u:proj1", **JSON})
    assert resp.json["project"] == "proj1"
    resp = app.post("/v2.1/other/echo", b"{}",
                    headers={"X-Auth-Token": "u:proj1", **JSON},
                    status=400)
    assert resp.json["badRequest"]["message"] == (
        "Malformed request URL: URL's project_id 'other' doesn't match "
        "Context's project_id 'proj1'")


def test_trailing_slash_is_404_as_upstream(app):
    # Upstream's routes match exactly; only the version document takes one.
    assert app.get("/v2.1/echo", headers=ADMIN).status_int == 200
    resp = app.get("/v2.1/echo/", headers=ADMIN, status=404)
    assert resp.json["itemNotFound"]["code"] == 404
    assert app.get("/v2.1/", headers=ADMIN).status_int == 200


def test_legacy_v2_prefix_reaches_the_api(app):
    assert app.get("/v2/echo", headers=ADMIN).status_int == 200


# -- faults -------------------------------------------------------------------

def test_unexpected_error_is_500_without_detail_and_logged_once(app, caplog):
    caplog.set_level(logging.ERROR)
    resp = app.get("/v2.1/boom", headers=ADMIN, status=500)
    assert resp.json == {"computeFault": {"code": 500,
                                          "message": errors.UNEXPECTED}}
    assert "secret internal detail" not in resp.text
    assert "Traceback" not in resp.text
    rid = resp.headers["x-openstack-request-id"]
    records = [r for r in caplog.records
               if "ZeroDivisionError" in (r.exc_text or "")]
    assert len(records) == 1
    assert records[0].request_id == rid


# -- CORS (oslo.middleware, fed our config) -----------------------------------

def test_cors_from_nova_conf(noauth_config):
    noauth_config.write("nova.conf.d/cors.conf",
                        "[cors]\nallowed_origin = https://dashboard.example\n")
    app = noauth_config.testapp()
    resp = app.options("/v2.1/flavors", headers={
        "Origin": "https://dashboard.example",
        "Access-Control-Request-Method": "GET"})
    assert resp.headers["Access-Control-Allow-Origin"] == "https://dashboard.example"
    resp = app.get("/", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in resp.headers


def test_cors_from_the_environment(noauth_config, monkeypatch):
    # No [cors] section in any file: oslo.config's environment variable
    # alone turns CORS on.
    monkeypatch.setenv("OS_CORS__ALLOWED_ORIGIN", "https://dashboard.example")
    app = noauth_config.testapp()
    resp = app.options("/v2.1/flavors", headers={
        "Origin": "https://dashboard.example",
        "Access-Control-Request-Method": "GET"})
    assert resp.headers["Access-Control-Allow-Origin"] == \
        "https://dashboard.example"


def test_empty_cors_section_changes_nothing(noauth_config):
    noauth_config.write("nova.conf.d/cors.conf", "[cors]\n")
    resp = noauth_config.testapp().get(
        "/", headers={"Origin": "https://dashboard.example"})
    assert "Access-Control-Allow-Origin" not in resp.headers


# -- health and metadata ------------------------------------------------------

@pytest.mark.parametrize("api", ["osapi_compute", "metadata"])
def test_healthcheck_unauthenticated(noauth_config, api):
    app = noauth_config.testapp(api)
    resp = app.get("/healthcheck")
    assert resp.text == "OK\n"
    assert app.get("/healthcheck",
                   headers={"Accept": "application/json"}).json == {
        "status": "OK", "database": "OK"}
    assert app.head("/healthcheck").body == b""
    assert app.post("/healthcheck", status=405).headers["Allow"] == "GET, HEAD"


def test_metadata_root_lists_ec2_versions(noauth_config):
    resp = noauth_config.testapp("metadata").get("/")
    assert resp.text.split("\n") == [
        "1.0", "2007-01-19", "2007-03-01", "2007-08-29", "2007-10-10",
        "2007-12-15", "2008-02-01", "2008-09-01", "2009-04-04", "latest"]
    assert resp.content_type == "text/plain"


# -- WSGI compliance ----------------------------------------------------------

@pytest.mark.parametrize("api,requests", [
    ("osapi_compute", [("GET", "/"), ("GET", "/v2.1"), ("GET", "/v2.1/echo"),
                       ("POST", "/v2.1/echo"), ("GET", "/v2.1/boom"),
                       ("DELETE", "/v2.1/echo"), ("GET", "/nowhere"),
                       ("HEAD", "/"), ("GET", "/healthcheck")]),
    ("metadata", [("GET", "/"), ("GET", "/openstack"), ("HEAD", "/"),
                  ("GET", "/healthcheck")]),
])
def test_wsgiref_validate(noauth_config, monkeypatch, api, requests):
    """Every response passes wsgiref's validator (which raises otherwise)."""
    monkeypatch.setattr(routes, "ROUTES", routes.ROUTES + TEST_ROUTES)
    checked = wsgiref.validate.validator(noauth_config.load(api))
    for method, path in requests:
        body = b"{}" if method == "POST" else b""
        environ = {}
        wsgiref.util.setup_testing_defaults(environ)
        environ.update(REQUEST_METHOD=method, PATH_INFO=path, QUERY_STRING="",
                       HTTP_X_AUTH_TOKEN="admin:admin",
                       CONTENT_LENGTH=str(len(body)),
                       CONTENT_TYPE="application/json",
                       **{"wsgi.input": io.BytesIO(body)})
        statuses = []
        result = checked(environ,
                         lambda s, h, e=None, statuses=statuses:
                         statuses.append(s) or (lambda d: None))
        try:
            b"".join(result)
        finally:
            result.close()
        code = int(statuses[0].split()[0])
        assert code < 500 or path == "/v2.1/boom", (method, path, statuses)
