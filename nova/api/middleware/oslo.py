"""oslo.middleware's CORS and HTTPProxyToWSGI, fed our ConfigOpts.

Their own paste factories would read the global ``cfg.CONF`` (or parse
config files again); these hand them the configuration being loaded, so
``[cors]`` and ``[oslo_middleware] enable_proxy_headers_parsing`` in
nova.conf take effect.
"""

from nova import deploy


def cors_filter_factory(global_conf, **local_conf):
    from oslo_middleware import cors

    conf = deploy.loading_conf()
    return lambda app: cors.CORS(app, conf)


def http_proxy_to_wsgi_filter_factory(global_conf, **local_conf):
    from oslo_middleware import http_proxy_to_wsgi

    conf = deploy.loading_conf()
    return lambda app: http_proxy_to_wsgi.HTTPProxyToWSGI(app, conf)
