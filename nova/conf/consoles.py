"""Remote consoles: which protocols are served, the public URL of each
console proxy, and how long a console token lives.

Groups, option names and defaults are upstream's ([vnc], [spice],
[serial_console], [mks], [consoleauth]), so an existing nova.conf keeps
its meaning: VNC on, the others off. The compute API issues the tokens
and answers the proxies' look-ups (GET /os-console-auth-tokens/{token});
the proxies themselves (nova-novncproxy, nova-spicehtml5proxy,
nova-serialproxy...) are not part of this project, and the built-in
driver runs no console server behind them (docs/api-coverage.md).
"""

from oslo_config import cfg

VNC_OPTS = [
    cfg.BoolOpt("enabled", default=True,
                deprecated_group="DEFAULT", deprecated_name="vnc_enabled",
                help="Serve VNC consoles (protocol 'vnc', type 'novnc'). "
                     "False: asking for one is refused with 400 "
                     "'Unavailable console type novnc.'."),
    cfg.URIOpt("novncproxy_base_url",
               default="http://127.0.0.1:6080/vnc_auto.html",
               deprecated_group="DEFAULT",
               help="Public URL of the noVNC proxy's page. A console's "
                    "URL is this one with the token in its 'path' query "
                    "parameter (path=%3Ftoken%3D...), as noVNC 1.x "
                    "expects; a 'path' already given is kept in front of "
                    "it."),
]

SPICE_OPTS = [
    cfg.BoolOpt("enabled", default=False,
                help="Serve SPICE consoles (protocol 'spice', types "
                     "'spice-html5' and, from 2.99, 'spice-direct')."),
    cfg.URIOpt("html5proxy_base_url",
               default="http://127.0.0.1:6082/spice_auto.html",
               help="Public URL of the SPICE HTML5 proxy; a console's URL "
                    "is this one with ?token=... appended."),
    cfg.URIOpt("spice_direct_proxy_base_url",
               default="http://127.0.0.1:13002/nova",
               help="Public URL of a native SPICE protocol proxy, for "
                    "'spice-direct' consoles; a console's URL is this "
                    "one with ?token=... appended."),
]

SERIAL_OPTS = [
    cfg.BoolOpt("enabled", default=False,
                help="Serve serial consoles (protocol 'serial', type "
                     "'serial')."),
    cfg.URIOpt("base_url", default="ws://127.0.0.1:6083/",
               help="Public (websocket) URL of the serial console proxy; "
                    "a console's URL is this one with ?token=... "
                    "appended."),
]

MKS_OPTS = [
    cfg.URIOpt("mksproxy_base_url", schemes=["http", "https"],
               default="http://127.0.0.1:6090/",
               help="Public URL of the WebMKS proxy; a console's URL is "
                    "this one with ?token=... appended."),
    cfg.BoolOpt("enabled", default=False,
                help="Serve WebMKS consoles (protocol 'mks', type "
                     "'webmks', from 2.8)."),
]

CONSOLEAUTH_OPTS = [
    cfg.IntOpt("token_ttl", default=600, min=0,
               deprecated_name="console_token_ttl",
               deprecated_group="DEFAULT",
               help="Seconds a console token is valid after it is issued. "
                    "An expired token is refused (404 on the look-up) and "
                    "deleted when the next console is asked for."),
]

_GROUPS = (("vnc", VNC_OPTS), ("spice", SPICE_OPTS),
           ("serial_console", SERIAL_OPTS), ("mks", MKS_OPTS),
           ("consoleauth", CONSOLEAUTH_OPTS))


def register_opts(conf):
    for group, opts in _GROUPS:
        conf.register_opts(opts, group=group)


def list_opts():
    return list(_GROUPS)
