"""POST /servers/{id}/remote-consoles (2.6+), and the os-getVNCConsole,
os-getSPICEConsole and os-getSerialConsole actions it replaced (until
2.5; their entries are in the action table of handlers/server_actions).

The server is loaded for the caller (another project's is 404), the
rule ``os_compute_api:os-remote-consoles`` checked against it, and
``nova.compute.consoles`` issues a token and the URL a client opens.
Upstream checks no lock: a locked server's owner still gets a console.
Nothing of the server changes; only the token's row is written.
"""

from nova.api import errors
from nova.api.compute.handlers.server_common import (
    compute_of,
    db_of,
    load_for_change,
    sweep,
)
from nova.api.compute.router import Route
from nova.api.compute.schemas import consoles as schemas
from nova.api.compute.views import consoles as views
from nova.compute import consoles as service
from nova.policies import remote_consoles as rules

HONOURED = {
    "servers/remote-consoles": {
        "2.6",   # the route itself
        "2.8",   # protocol mks, type webmks
        "2.99",  # type spice-direct (and tls_port in the token's lookup)
    },
    # The actions end at 2.5 (404 from 2.6, their max_version).
    "servers/action:os-getVNCConsole": {"2.6"},
    "servers/action:os-getSPICEConsole": {"2.6"},
    "servers/action:os-getSerialConsole": {"2.6"},
}


def _issue(req, session, instance, protocol, console_type):
    return service.issue(session, instance, protocol, console_type,
                         compute_of(req).driver, req.app.backends.conf)


def legacy_action(protocol):
    """The handler of an os-get*Console action: {"console": {type, url}}."""
    def handler(req, session, instance, body):
        console_type = body["type"]
        return views.legacy(console_type, _issue(req, session, instance,
                                                 protocol, console_type))
    return handler


# (name, handler, rule, schema) of each action, for the action table.
LEGACY_ACTIONS = (
    ("os-getVNCConsole", legacy_action("vnc"), rules.REMOTE_CONSOLES,
     schemas.GET_VNC),
    ("os-getSPICEConsole", legacy_action("spice"), rules.REMOTE_CONSOLES,
     schemas.GET_SPICE),
    ("os-getSerialConsole", legacy_action("serial"), rules.REMOTE_CONSOLES,
     schemas.GET_SERIAL),
)


def create(req, server_id):
    console = req.json["remote_console"]
    protocol, console_type = console["protocol"], console["type"]
    with db_of(req).writer() as session:
        sweep(req, session)
        instance = load_for_change(req, session, server_id, check_lock=False)
        if protocol == "rdp":  # went with the Hyper-V driver, as upstream
            raise errors.BadRequest("Unavailable console type rdp.")
        url = _issue(req, session, instance, protocol, console_type)
    return views.remote_console(protocol, console_type, url)


ROUTES = (
    Route("/servers/{server_id}/remote-consoles", "POST", create,
          rules.REMOTE_CONSOLES, query=schemas.CREATE_QUERY,
          body=schemas.CREATE, min_version=(2, 6), check_first=False),
)
