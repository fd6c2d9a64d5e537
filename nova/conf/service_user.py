"""[service_user]: the service token sent beside a caller's token.

With ``send_service_user_token``, calls to Glance and Neutron made on a
caller's behalf also carry ``X-Service-Token`` for these credentials, so
they are accepted when the caller's token expires on the way, and Neutron
lets the call do what only a service may (delete a ``compute:*`` port).
"""

from oslo_config import cfg

import nova.conf._ksa as _ksa

GROUP = "service_user"

OPTS = [
    cfg.BoolOpt("send_service_user_token", default=False,
                help="When sending a caller's token to another service, "
                     "also send a service token for these credentials."),
]


def register_opts(conf):
    conf.register_group(cfg.OptGroup(GROUP, title="Service token options"))
    conf.register_opts(OPTS, group=GROUP)


def register_service_opts(conf, force=False):
    """keystoneauth's options, when nova.conf has a [service_user] section."""
    if force or _ksa.wanted(conf, GROUP):
        _ksa.register(conf, GROUP, include_adapter=False)


def list_opts():
    from keystoneauth1 import loading as ks_loading

    return [(GROUP, OPTS + ks_loading.get_session_conf_options()
             + _ksa.auth_plugin_opts())]
