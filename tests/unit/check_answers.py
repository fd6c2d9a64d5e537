"""A compute and metadata API answering as upstream Nova 34 does, on
pytest-httpserver, for the requests ``nova-wsgi-check`` makes:
``Upstream(httpserver, answers)`` where ``answers(name, base)`` gives the
(status, [(header, value)], body) of each answer by the name of its
reference sample (``SYNTHETIC``: built here from what the samples show, so
that the unit tests need no files; ``raw_sample``: the recorded sample).
Used by tests/unit/test_check.py and tests/functional/test_check_samples.py.
"""

import json
import re

from werkzeug import Response

from tests.helpers import SAMPLE_HOST, SAMPLES, unavailable

TOKEN = "tok-very-secret-0123456789"
LIMIT = 114688
NAMES = ("versions_root", "no_token_flavors", "flavors_list",
         "flavors_detail_latest", "bad_microversion_2_105",
         "bad_microversion_9_99", "meta_root")
RID = "req-a33a4d46-daab-42cd-a8f8-2d86d0e91211"


def raw_sample(name, base):
    """(status, [(header, value)], body) of an upstream sample as it was
    sent (repeated headers kept), its links moved to ``base``."""
    path = SAMPLES / f"{name}.txt"
    if not path.is_file():
        unavailable(f"upstream sample {path} (set NOVA_TEST_SAMPLES)")
    head, _sep, body = path.read_text().partition("\n\n")
    lines = head.splitlines()
    headers = [tuple(p.strip() for p in line.split(":", 1))
               for line in lines[1:]]
    headers = [(k, v) for k, v in headers if k.lower() not in (
        "server", "date", "connection", "content-length")]
    return (int(lines[0].split()[1]), headers,
            body.replace(SAMPLE_HOST, base).encode())


def _api(version=None):
    """The headers of an answer through the API's pipeline."""
    headers = [("Content-Type", "application/json")]
    if version:
        headers += [("OpenStack-API-Version", f"compute {version}"),
                    ("X-OpenStack-Nova-API-Version", version),
                    ("Vary", "OpenStack-API-Version"),
                    ("Vary", "X-OpenStack-Nova-API-Version")]
    return headers + [("x-openstack-request-id", RID),
                      ("x-compute-request-id", RID)]


def synthetic(name, base):
    if name == "versions_root":  # no request id: not through the pipeline
        return 200, [("Content-Type", "application/json")], json.dumps(
            {"versions": [
                {"id": "v2.0", "status": "DEPRECATED", "version": "",
                 "min_version": "", "links": [
                     {"rel": "self", "href": f"{base}/v2/"}]},
                {"id": "v2.1", "status": "CURRENT", "version": "2.104",
                 "min_version": "2.1", "links": [
                     {"rel": "self", "href": f"{base}/v2.1/"}]}]}).encode()
    if name == "no_token_flavors":
        return 401, [*_api(), ("WWW-Authenticate",
                               'Keystone uri="http://127.0.0.1:5000"')], \
            json.dumps({"error": {
                "code": 401, "title": "Unauthorized", "message": "The "
                "request you have made requires authentication."}}).encode()
    if name in ("flavors_list", "flavors_detail_latest"):
        version = "2.1" if name == "flavors_list" else "2.104"
        return 200, _api(version), b'{"flavors": []}'
    if name.startswith("bad_microversion_"):
        asked = name.rsplit("_", 2)[-2:]
        version = ".".join(asked)
        return 406, _api(version), json.dumps({"computeFault": {
            "code": 406, "message": f"Version {version} is not supported by "
            "the API. Minimum is 2.1 and maximum is 2.104."}}).encode()
    if name == "meta_root":
        return 200, [("Content-Type", "text/plain; charset=UTF-8")], (
            "1.0\n2007-01-19\n2007-03-01\n2007-08-29\n2007-10-10\n"
            "2007-12-15\n2008-02-01\n2008-09-01\n2009-04-04\nlatest"
        ).encode()
    raise KeyError(name)


class Upstream:
    """Answers as upstream Nova 34 answered (the samples), for the requests
    the check makes; ``change`` edits an answer before it is sent."""

    def __init__(self, httpserver, answers=synthetic):
        self.base = httpserver.url_for("/").rstrip("/")
        # Loaded here, not in the server's thread: a missing sample skips.
        self.answers = {name: answers(name, self.base) for name in NAMES}
        self.requests = []
        self.change = {}
        httpserver.expect_request(re.compile(".*")).respond_with_handler(
            self.answer)

    def pick(self, request):
        version = request.headers.get("OpenStack-API-Version", "")
        if request.path == "/":
            return "versions_root"
        if request.path == "/meta/":
            return "meta_root"
        if request.method == "POST":
            if int(request.headers.get("Content-Length", 0)) > LIMIT:
                return "too_large"
            return "no_token_flavors"
        if "X-Auth-Token" not in request.headers:
            return "no_token_flavors"
        if request.headers["X-Auth-Token"] != TOKEN:
            return "no_token_flavors"
        return {"compute 2.1": "flavors_list",
                "compute latest": "flavors_detail_latest",
                "compute 2.105": "bad_microversion_2_105"}.get(
                    version, "bad_microversion_9_99")

    def answer(self, request):
        self.requests.append(request)
        name = self.pick(request)
        if name == "too_large":  # not among the samples: a fault as any
            status, headers, body = 413, [
                ("Content-Type", "application/json")], json.dumps(
                    {"overLimit": {"code": 413, "message": "Too large"}})
        else:
            status, headers, body = self.answers[name]
        if name in self.change:
            status, headers, body = self.change[name](status, headers, body)
        return Response(body, status=status, headers=headers)
