"""keystoneauth's session, auth and adapter options, registered as
upstream Nova registers them, so that an upstream ``nova.conf`` works.

The adapter's version options are left out (the code knows which API
version it speaks; upstream registers them as placeholders that take no
value), ``valid_interfaces`` defaults to internal then public.

keystoneauth is imported only when a group is registered (a config file
has its section): an API without Glance or Neutron starts without it.
"""

import os

from oslo_config import cfg

_VERSION_OPTS = ("version", "min_version", "max_version")


def adapter_opts(service_type, deprecated_opts=None):
    from keystoneauth1 import loading as ks_loading

    opts = [opt for opt in ks_loading.get_adapter_conf_options(
        include_deprecated=False, deprecated_opts=deprecated_opts)
        if opt.dest not in _VERSION_OPTS]
    cfg.set_defaults(opts, valid_interfaces=["internal", "public"],
                     service_type=service_type)
    return opts


def _placeholder(name):
    # Takes no value: code may look for it in the group.
    return cfg.Opt(name, type=lambda _value: None)


def wanted(conf, group):
    """Whether ``[group]`` may hold values: its section is in a parsed
    config file, or an ``OS_<GROUP>__<NAME>`` environment variable is set."""
    try:
        sections = conf.list_all_sections()
    except Exception:  # noqa: BLE001 - no file parsed yet
        sections = ()
    prefix = f"OS_{group.upper()}__"
    return group in sections or any(k.startswith(prefix) for k in os.environ)


def registered(conf, group):
    """Whether the keystoneauth options of ``[group]`` are registered."""
    return group in conf and "cafile" in conf[group]


def register(conf, group, service_type=None, *, include_auth=True,
             include_adapter=True, deprecated_opts=None):
    """Register keystoneauth's options in ``[group]`` (once)."""
    from keystoneauth1 import loading as ks_loading

    if registered(conf, group):
        return
    ks_loading.register_session_conf_options(
        conf, group, deprecated_opts=deprecated_opts)
    if include_auth:
        ks_loading.register_auth_conf_options(conf, group)
    if include_adapter:
        conf.register_opts(adapter_opts(service_type, deprecated_opts),
                           group=group)
        for name in _VERSION_OPTS:
            conf.register_opt(_placeholder(name), group=group)


def auth_plugin_opts():
    """The options of the password plugins, for the sample file."""
    from keystoneauth1 import loading as ks_loading

    return (ks_loading.get_auth_common_conf_options()
            + ks_loading.get_auth_plugin_conf_options("password")
            + ks_loading.get_auth_plugin_conf_options("v3password"))
