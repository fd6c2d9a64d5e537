"""[keystone]: the Identity service, used to check that a project exists
(quota sets, flavor access), as upstream Nova names its options.

Calls carry the caller's token; the endpoint comes from the caller's
service catalog or ``endpoint_override``. Checks run only when the API
authenticates with Keystone (``[api] auth_strategy = keystone``).
"""

from oslo_config import cfg

import nova.conf._ksa as _ksa

GROUP = "keystone"
SERVICE_TYPE = "identity"


def register_opts(conf):
    conf.register_group(cfg.OptGroup(GROUP, title="Keystone options"))


def register_service_opts(conf, force=False):
    """keystoneauth's options (always: project checks may use the catalog
    alone), once the API authenticates with Keystone."""
    try:
        strategy = conf.api.auth_strategy
    except (ValueError, cfg.Error):  # validate() reports it by name
        strategy = None
    if force or _ksa.wanted(conf, GROUP) or strategy == "keystone":
        _ksa.register(conf, GROUP, SERVICE_TYPE, include_auth=False)


def list_opts():
    from keystoneauth1 import loading as ks_loading

    return [(GROUP, ks_loading.get_session_conf_options()
             + _ksa.auth_plugin_opts() + _ksa.adapter_opts(SERVICE_TYPE))]
