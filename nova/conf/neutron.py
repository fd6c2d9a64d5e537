"""[neutron]: the Networking service, as upstream Nova names its options.

Networking goes to Neutron when ``[neutron] auth_type`` is set (the
service user's credentials, which binding a port needs); otherwise the
built-in flat network of ``[network]`` serves. Calls made on a caller's
behalf carry the caller's token (plus a service token from
``[service_user]`` when ``send_service_user_token`` is set); binding,
unbinding and admin reads use these credentials.

``service_metadata_proxy`` and ``metadata_proxy_shared_secret`` of this
group are the metadata API's (``nova.conf.metadata``).
"""

from oslo_config import cfg

import nova.conf._ksa as _ksa

GROUP = "neutron"
SERVICE_TYPE = "network"

OPTS = [
    cfg.StrOpt("ovs_bridge", default="br-int",
               help="Accepted for compatibility; unused (no hypervisor)."),
    cfg.StrOpt("default_floating_pool", default="nova",
               help="The external network floating IPs come from when a "
                    "request names none (os-floating-ips)."),
    cfg.IntOpt("extension_sync_interval", default=600, min=0,
               help="Seconds Neutron's extension list is kept before it "
                    "is read again."),
    cfg.ListOpt("physnets", default=[],
                help="Accepted for compatibility; unused."),
    cfg.IntOpt("http_retries", default=3, min=0,
               help="How many times an idempotent Neutron call is tried "
                    "again after a connection error."),
]


def register_opts(conf):
    conf.register_group(cfg.OptGroup(GROUP, title="Neutron options"))
    conf.register_opts(OPTS, group=GROUP)


def register_service_opts(conf, force=False):
    """keystoneauth's options, when nova.conf has a [neutron] section."""
    if force or _ksa.wanted(conf, GROUP):
        _ksa.register(conf, GROUP, SERVICE_TYPE)


def list_opts():
    from keystoneauth1 import loading as ks_loading

    return [(GROUP, OPTS + ks_loading.get_session_conf_options()
             + _ksa.auth_plugin_opts() + _ksa.adapter_opts(SERVICE_TYPE))]


def enabled(conf):
    """Whether networking goes to Neutron: [neutron] auth_type is set."""
    return _ksa.registered(conf, GROUP) and bool(conf.neutron.auth_type)
