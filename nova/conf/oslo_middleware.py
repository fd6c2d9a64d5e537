"""[oslo_middleware]: the request body size limit.

The option has the same group, name and default as oslo.middleware's
sizelimit middleware, whose place this project's own limiter takes (ours
answers in the compute API's fault format and also bounds chunked bodies).
"""

from oslo_config import cfg

GROUP = "oslo_middleware"

OPTS = [
    cfg.IntOpt("max_request_body_size", default=114688, min=0,
               help="The largest request body accepted, in bytes; larger "
                    "bodies (with or without Content-Length) get 413. Keep "
                    "Apache's LimitRequestBody at least as large."),
]


def register_opts(conf):
    conf.register_opts(OPTS, group=GROUP)


def list_opts():
    return [(GROUP, OPTS)]
