"""Give every request an id, in the environ, the logs and the response.

The id is new for each request (``req-<uuid4>``) and is sent back as both
``x-openstack-request-id`` and ``x-compute-request-id``. A well-formed
``X-OpenStack-Request-ID`` from the caller is kept as the global request id
(logged beside ours), as oslo.middleware does; anything else is ignored.
"""

import re
import uuid

from nova import log_setup

ENV_REQUEST_ID = "openstack.request_id"
ENV_GLOBAL_REQUEST_ID = "openstack.global_request_id"

_GLOBAL_ID = re.compile(
    r"^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class RequestId:
    def __init__(self, app, header_names=("x-openstack-request-id",
                                          "x-compute-request-id")):
        self.app = app
        self.header_names = header_names

    def __call__(self, environ, start_response):
        req_id = "req-" + str(uuid.uuid4())
        environ[ENV_REQUEST_ID] = req_id
        inbound = environ.get("HTTP_X_OPENSTACK_REQUEST_ID", "")
        if _GLOBAL_ID.match(inbound):
            environ[ENV_GLOBAL_REQUEST_ID] = inbound
        extra = [(name, req_id) for name in self.header_names]

        def _start_response(status, headers, exc_info=None):
            headers = [h for h in headers
                       if h[0].lower() not in self.header_names] + extra
            return start_response(status, headers, exc_info)

        token = log_setup.request_id_var.set(req_id)
        try:
            return self.app(environ, _start_response)
        finally:
            log_setup.request_id_var.reset(token)


def filter_factory(global_conf, **local_conf):
    names = tuple(n.strip().lower() for n in local_conf.get(
        "headers", "x-openstack-request-id,x-compute-request-id").split(",")
        if n.strip())
    return lambda app: RequestId(app, names)
