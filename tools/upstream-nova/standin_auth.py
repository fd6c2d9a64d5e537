"""A stand-in for keystonemiddleware's auth_token, for TESTS ONLY.

tests/deploy/test_upstream_nova.py serves upstream Nova (which has no
``noauth2``) with this project's deployment kit; this paste filter takes
auth_token's place in upstream's pipeline so that authenticated calls can
be made without a Keystone. tools/upstream-nova.sh copies it into the
upstream virtualenv as ``nova_wsgi_standin_auth``. It checks one fixed
token: never deploy it.

Like auth_token it removes every identity header a client sent, answers
401 (with ``WWW-Authenticate``) when ``X-Auth-Token`` is not the
configured token, and otherwise sets the headers auth_token sets for a
project-scoped token (user, project, domains, roles, catalog, status).

It also names, in the ``X-Nova-Standin-Provenance`` response header, the
code that is serving: the file of the ``nova`` package imported by this
process, the distribution that owns it and its version, whether this
project's distribution (``nova-wsgi``) is there, ``sys.prefix`` and the
process id. ``provenance_factory`` adds only that header (for pipelines
without authentication: the metadata API, the versions document).

Paste::

    [filter:standin_auth]
    paste.filter_factory = nova_wsgi_standin_auth:filter_factory
    token = SOME-TOKEN
    user_id = ...          # optional; also project_id, roles, ...

    [filter:standin_provenance]
    paste.filter_factory = nova_wsgi_standin_auth:provenance_factory

Standard library only.
"""

import importlib.metadata
import importlib.util
import json
import os
import sys

HEADER = "X-Nova-Standin-Provenance"

# Identity headers that auth_token owns: whatever a client sends in them is
# dropped before the filter sets its own. Each also exists with the
# X-Service- prefix (the service token's); then the old names, and the
# system scope (OpenStack-System-Scope: a forged "all" would make the
# request system-scoped).
_IDENTITY = (
    "Identity-Status", "Domain-Id", "Domain-Name", "Project-Id",
    "Project-Name", "Project-Domain-Id", "Project-Domain-Name", "User-Id",
    "User-Name", "User-Domain-Id", "User-Domain-Name", "Roles",
    "Service-Catalog", "Is-Admin-Project", "Trust-Id", "Trustor-User-Id",
    "Trustee-User-Id",
)
_LEGACY = ("Tenant-Id", "Tenant-Name", "Tenant", "User", "Role")


def _environ_key(name):
    return "HTTP_" + name.upper().replace("-", "_")


STRIPPED = frozenset(
    [_environ_key("X-" + n) for n in _IDENTITY + _LEGACY]
    + [_environ_key("X-Service-" + n) for n in _IDENTITY]
    + [_environ_key("OpenStack-System-Scope")])

DEFAULTS = {
    "user_id": "c0ffee00000000000000000000000001",
    "user_name": "standin-admin",
    "project_id": "c0ffee00000000000000000000000002",
    "project_name": "standin-project",
    "domain_id": "default",
    "domain_name": "Default",
    "roles": "admin,member,reader",
}


def provenance():
    """What is serving, read in this process: ``key=value; ...``."""
    parts = []
    module = sys.modules.get("nova")
    if module is None:
        spec = importlib.util.find_spec("nova")
        origin = spec.origin if spec else None
    else:
        origin = getattr(module, "__file__", None)
    parts.append(f"nova={origin}")
    owners = importlib.metadata.packages_distributions().get("nova", [])
    dists = []
    for name in sorted(set(owners)):
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        located = str(dist.locate_file("nova/__init__.py"))
        same = origin is not None and os.path.realpath(located) == \
            os.path.realpath(origin)
        dists.append(f"{dist.metadata['Name']} {dist.version}"
                     + ("" if same else " (other files)"))
    parts.append("dist=" + (", ".join(dists) or "none"))
    try:
        kit = importlib.metadata.distribution("nova-wsgi")
        parts.append(f"nova-wsgi={kit.version}")
    except importlib.metadata.PackageNotFoundError:
        parts.append("nova-wsgi=absent")
    parts.append(f"prefix={sys.prefix}")
    parts.append(f"pid={os.getpid()}")
    return "; ".join(parts)


class _Provenance:
    def __init__(self, app):
        self.app = app
        self.value = provenance()

    def _start(self, start_response):
        def start(status, headers, exc_info=None):
            return start_response(status, [*headers, (HEADER, self.value)],
                                   exc_info)
        return start

    def __call__(self, environ, start_response):
        return self.app(environ, self._start(start_response))


class StandinAuth(_Provenance):
    def __init__(self, app, token, identity):
        super().__init__(app)
        self.token = token
        self.identity = identity

    def _headers(self):
        ident = self.identity
        catalog = json.dumps([])
        return {
            "X-Identity-Status": "Confirmed",
            "X-User-Id": ident["user_id"],
            "X-User-Name": ident["user_name"],
            "X-User-Domain-Id": ident["domain_id"],
            "X-User-Domain-Name": ident["domain_name"],
            "X-Project-Id": ident["project_id"],
            "X-Project-Name": ident["project_name"],
            "X-Project-Domain-Id": ident["domain_id"],
            "X-Project-Domain-Name": ident["domain_name"],
            "X-Roles": ident["roles"],
            "X-Is-Admin-Project": "True",
            "X-Service-Catalog": catalog,
            # The old names, which some code still reads.
            "X-Tenant-Id": ident["project_id"],
            "X-Tenant-Name": ident["project_name"],
            "X-User": ident["user_name"],
            "X-Role": ident["roles"],
        }

    def __call__(self, environ, start_response):
        for key in [k for k in environ if k in STRIPPED]:
            del environ[key]
        start = self._start(start_response)
        if environ.get("HTTP_X_AUTH_TOKEN") != self.token:
            body = json.dumps({"error": {
                "code": 401, "title": "Unauthorized",
                "message": "The request you have made requires "
                           "authentication (stand-in auth filter)."}}
            ).encode()
            start("401 Unauthorized", [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                ("WWW-Authenticate", 'Keystone uri="http://127.0.0.1/"'),
            ])
            return [body]
        for name, value in self._headers().items():
            environ[_environ_key(name)] = value
        return self.app(environ, start)


def filter_factory(global_conf, **local_conf):
    token = local_conf.get("token")
    if not token:
        raise ValueError("standin_auth: set token = ... in its paste section")
    identity = {k: local_conf.get(k, v) for k, v in DEFAULTS.items()}

    def make(app):
        return StandinAuth(app, token, identity)
    return make


def provenance_factory(global_conf, **local_conf):
    return _Provenance
