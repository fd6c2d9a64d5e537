"""oslo.middleware's CORS and HTTPProxyToWSGI, fed our ConfigOpts.

Their own paste factories would read the global ``cfg.CONF`` (or parse
config files again); these hand them the configuration being loaded, so
``[cors]`` and ``[oslo_middleware] enable_proxy_headers_parsing`` in
nova.conf take effect. When a feature is not configured the middleware
would change nothing, so it is left out of the pipeline: both build webob
objects on every request, which costs more than the whole version
document.
"""

from nova import deploy


def _unchanged(app):
    return app


def cors_filter_factory(global_conf, **local_conf):
    from oslo_middleware import cors

    conf = deploy.loading_conf()
    conf.register_opts(cors.OPTS, "cors")
    if not conf.cors.allowed_origin:
        return _unchanged
    return lambda app: cors.CORS(app, conf)


def http_proxy_to_wsgi_filter_factory(global_conf, **local_conf):
    from oslo_middleware import http_proxy_to_wsgi

    conf = deploy.loading_conf()
    conf.register_opts(http_proxy_to_wsgi.OPTS, group="oslo_middleware")
    if not conf.oslo_middleware.enable_proxy_headers_parsing:
        return _unchanged
    return lambda app: http_proxy_to_wsgi.HTTPProxyToWSGI(app, conf)
