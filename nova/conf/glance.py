"""[glance]: the Image service, as upstream Nova names its options.

Images come from Glance when nova.conf has a ``[glance]`` section (even an
empty one: the endpoint is then found in the caller's service catalog);
without one the local image catalogue serves ``imageRef``. Calls carry the
caller's token (upstream registers no auth options here), with a service
token from ``[service_user]`` when ``send_service_user_token`` is set.
"""

from oslo_config import cfg

import nova.conf._ksa as _ksa

GROUP = "glance"
SERVICE_TYPE = "image"

_DEPRECATED_KSA = {
    "insecure": [cfg.DeprecatedOpt("api_insecure", group=GROUP)],
    "cafile": [cfg.DeprecatedOpt("ca_file", group="ssl")],
    "certfile": [cfg.DeprecatedOpt("cert_file", group="ssl")],
    "keyfile": [cfg.DeprecatedOpt("key_file", group="ssl")],
}

OPTS = [
    cfg.ListOpt("api_servers",
                deprecated_for_removal=True,
                deprecated_reason="Use endpoint_override or the service "
                                  "catalog (keystoneauth adapter options).",
                help="Glance endpoints (scheme://host:port[/path]), tried "
                     "in turn. Prefer endpoint_override or the catalog."),
    cfg.IntOpt("num_retries", default=3, min=0,
               help="How many times a failed Glance call (connection "
                    "error, 503) is tried again."),
    cfg.BoolOpt("verify_glance_signatures", default=False,
                help="Accepted for compatibility; image signatures are "
                     "not verified here (no hypervisor downloads images)."),
    cfg.BoolOpt("enable_certificate_validation", default=False,
                deprecated_for_removal=True,
                help="Accepted for compatibility; unused."),
    cfg.ListOpt("default_trusted_certificate_ids", default=[],
                help="Accepted for compatibility; unused."),
    cfg.BoolOpt("enable_rbd_download", default=False,
                help="Accepted for compatibility; unused."),
    cfg.StrOpt("rbd_user", default="", help="Accepted; unused."),
    cfg.IntOpt("rbd_connect_timeout", default=5, help="Accepted; unused."),
    cfg.StrOpt("rbd_pool", default="", help="Accepted; unused."),
    cfg.StrOpt("rbd_ceph_conf", default="", help="Accepted; unused."),
    cfg.BoolOpt("debug", default=False,
                help="Log each Glance request and response (never the "
                     "tokens)."),
]


def register_opts(conf):
    conf.register_group(cfg.OptGroup(GROUP, title="Glance options"))
    conf.register_opts(OPTS, group=GROUP)


def register_service_opts(conf, force=False):
    """keystoneauth's options, when nova.conf has a [glance] section."""
    if force or _ksa.wanted(conf, GROUP):
        _ksa.register(conf, GROUP, SERVICE_TYPE, include_auth=False,
                      deprecated_opts=_DEPRECATED_KSA)


def list_opts():
    from keystoneauth1 import loading as ks_loading

    return [(GROUP, OPTS + ks_loading.get_session_conf_options()
             + _ksa.adapter_opts(SERVICE_TYPE, _DEPRECATED_KSA))]


def enabled(conf):
    """Whether images come from Glance: nova.conf has a [glance] section."""
    return _ksa.registered(conf, GROUP)
