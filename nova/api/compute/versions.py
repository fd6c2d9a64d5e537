"""The version documents: ``GET /``, ``GET /v2`` and ``GET /v2.1``.

Unauthenticated, as upstream, so that keystoneauth's discovery (which asks
without a token first) works.
"""

import json

from nova.api import errors, microversions, wsgi_util

V21_UPDATED = "2013-07-23T11:33:21Z"
V20_UPDATED = "2025-07-04T12:00:00Z"
DESCRIBED_BY = {"rel": "describedby", "type": "text/html",
                "href": "http://docs.openstack.org/"}


def _v21(base, max_version):
    return {"id": "v2.1", "status": "CURRENT",
            "version": microversions.as_text(max_version),
            "min_version": microversions.as_text(microversions.MIN_VERSION),
            "updated": V21_UPDATED,
            "links": [{"rel": "self", "href": base + "/v2.1/"}]}


def _v20(base):
    return {"id": "v2.0", "status": "DEPRECATED", "version": "",
            "min_version": "", "updated": V20_UPDATED,
            "links": [{"rel": "self", "href": base + "/v2/"}]}


class VersionsApp:
    """Answers the version documents. ``which``: root, v2 or v2.1."""

    def __init__(self, which, max_version, link_prefix=None):
        self.which = which
        self.negotiator = microversions.Negotiator(max_version)
        self.link_prefix = link_prefix

    def __call__(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        if method not in ("GET", "HEAD"):
            return errors.fault_response(
                errors.MethodNotAllowed(["GET", "HEAD"]), start_response)
        base = wsgi_util.application_url(environ, self.link_prefix)
        headers = [("Content-Type", "application/json")]
        if self.which == "root":
            status = "200 OK"
            body = {"versions": [_v20(base),
                                 _v21(base, self.negotiator.max)]}
        elif self.which == "v2":
            status = "200 OK"
            doc = _v20(base)
            doc["links"].append(DESCRIBED_BY)
            doc["media-types"] = [{
                "base": "application/json",
                "type": "application/vnd.openstack.compute+json;version=2"}]
            body = {"version": doc}
        else:
            try:
                version = self.negotiator.negotiate(environ)
            except errors.APIError as exc:
                return errors.fault_response(exc, start_response)
            status = "200 OK"
            headers += microversions.header_list(version)
            doc = _v21(base, self.negotiator.max)
            doc["links"].append(DESCRIBED_BY)
            doc["media-types"] = [{
                "base": "application/json",
                "type": "application/vnd.openstack.compute+json;version=2.1"}]
            body = {"version": doc}
        data = json.dumps(body).encode()
        headers.append(("Content-Length", str(len(data))))
        start_response(status, headers)
        return [b""] if method == "HEAD" else [data]
