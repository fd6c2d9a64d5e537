"""oslo.middleware's CORS and HTTPProxyToWSGI, fed our ConfigOpts.

Their own paste factories would read the global ``cfg.CONF`` (or parse
config files again); these hand them the configuration being loaded, so
``[cors]`` and ``[oslo_middleware] enable_proxy_headers_parsing`` in
nova.conf take effect. When a feature is not configured the middleware
would change nothing, so it is left out of the pipeline: both build webob
objects on every request, which costs more than the whole version
document. When its section is in no config file (nor its option in the
environment), oslo.middleware is not even imported: its package imports
every middleware it has, Jinja2 and bcrypt included (~20 ms of start-up).
"""

from nova import config_files, loading


def _unchanged(app):
    return app


def cors_filter_factory(global_conf, **local_conf):
    conf = loading.loading_conf()
    if not config_files.may_be_set(conf, "cors", "allowed_origin"):
        return _unchanged
    from oslo_middleware import cors

    conf.register_opts(cors.OPTS, "cors")
    if not conf.cors.allowed_origin:
        return _unchanged
    return lambda app: cors.CORS(app, conf)


_PEER = "nova.peer_address"


def http_proxy_to_wsgi_filter_factory(global_conf, **local_conf):
    """Scheme, host and prefix from the proxy's headers; never the peer.

    oslo.middleware also rewrites REMOTE_ADDR from X-Forwarded-For, for any
    peer: a guest could then pose as another guest to the metadata API.
    The real peer is put back; the metadata API believes forwarded
    addresses only from ``[metadata] trusted_proxies``.
    """
    conf = loading.loading_conf()
    if not config_files.may_be_set(conf, "oslo_middleware",
                             "enable_proxy_headers_parsing"):
        return _unchanged
    from oslo_middleware import http_proxy_to_wsgi

    conf.register_opts(http_proxy_to_wsgi.OPTS, group="oslo_middleware")
    if not conf.oslo_middleware.enable_proxy_headers_parsing:
        return _unchanged

    def wrap(app):
        def restore_peer(environ, start_response):
            if _PEER in environ:
                environ["REMOTE_ADDR"] = environ.pop(_PEER)
            return app(environ, start_response)

        proxied = http_proxy_to_wsgi.HTTPProxyToWSGI(restore_peer, conf)

        def keep_peer(environ, start_response):
            if "REMOTE_ADDR" in environ:
                environ[_PEER] = environ["REMOTE_ADDR"]
            return proxied(environ, start_response)

        return keep_peer

    return wrap
