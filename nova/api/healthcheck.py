"""``GET /healthcheck``: for load balancers, no authentication.

200 ``OK`` while the database answers (and its schema is current), 503
otherwise. The reason goes to the log, not to the unauthenticated caller.
"""

import json
import logging

from nova import loading
from nova.api import backends, wsgi_util

LOG = logging.getLogger(__name__)


class HealthCheck:
    def __init__(self, db):
        self.db = db

    def __call__(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        if method not in ("GET", "HEAD"):
            return wsgi_util.plain_response(
                start_response, "405 Method Not Allowed",
                "Only GET and HEAD are allowed.\n",
                headers=[("Allow", "GET, HEAD")])
        problem = self.db.ping()
        if problem:
            LOG.warning("Health check failed: %s", problem)
        status = "503 Service Unavailable" if problem else "200 OK"
        headers = [("Cache-Control", "no-cache")]
        if "application/json" in environ.get("HTTP_ACCEPT", ""):
            body = json.dumps({
                "status": "FAIL" if problem else "OK",
                "database": "unavailable" if problem else "OK"})
            return wsgi_util.plain_response(
                start_response, status, body, headers,
                content_type="application/json", head=method == "HEAD")
        text = "database unavailable\n" if problem else "OK\n"
        return wsgi_util.plain_response(start_response, status, text,
                                        headers, head=method == "HEAD")


def app_factory(global_conf, **local_conf):
    return HealthCheck(backends.for_conf(loading.loading_conf()).db)
