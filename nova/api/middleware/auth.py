"""Authentication strategies, chosen by ``[api] auth_strategy``.

``pipeline_factory`` is a paste composite: the ini lists one pipeline per
strategy and only the configured one is loaded (so keystonemiddleware is not
even imported unless ``keystone`` is chosen). Every strategy begins by
removing identity headers that a client may have sent itself.
"""

import json
import logging

from nova import context as nova_context
from nova import exception, loading
from nova.api import errors

LOG = logging.getLogger(__name__)

# Headers that only the authentication layer may set (keystonemiddleware's
# list, plus their legacy spellings). A client that sends them is ignored.
_IDENTITY_PREFIXES = (
    "HTTP_X_IDENTITY_STATUS", "HTTP_X_SERVICE_IDENTITY_STATUS",
    "HTTP_X_DOMAIN_", "HTTP_X_PROJECT_", "HTTP_X_USER_", "HTTP_X_USER",
    "HTTP_X_TENANT", "HTTP_X_ROLE", "HTTP_X_SERVICE_", "HTTP_X_TRUST_",
    "HTTP_X_IS_ADMIN_PROJECT", "HTTP_X_SYSTEM_SCOPE",
    "HTTP_OPENSTACK_SYSTEM_SCOPE",
)
# X-Service-Token is the caller's and must reach auth_token.
_KEEP = {"HTTP_X_SERVICE_TOKEN"}


def strip_identity_headers(environ):
    # Every prefix but the last starts with "HTTP_X_": a cheap first test
    # for the twenty-odd keys of every request.
    for key in [k for k in environ
                if (k[:7] == "HTTP_X_" or k[:15] == "HTTP_OPENSTACK_")
                and k.startswith(_IDENTITY_PREFIXES)]:
        if key not in _KEEP:
            del environ[key]


class StripIdentityHeaders:
    """Before auth_token: drop client identity headers; after it, turn its
    plain-text 5xx (Keystone unreachable) into the compute fault format."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        strip_identity_headers(environ)
        captured = {}

        def _start_response(status, headers, exc_info=None):
            ctype = next((v for k, v in headers
                          if k.lower() == "content-type"), "")
            if status[:1] == "5" and "json" not in ctype:
                captured["status"] = status
                return lambda data: None
            return start_response(status, headers, exc_info)

        result = self.app(environ, _start_response)
        if not captured:
            return result
        close = getattr(result, "close", None)
        if close is not None:
            close()
        LOG.error("Authentication failed with %s (is Keystone reachable?)",
                  captured["status"])
        return errors.fault_response(errors.ServiceUnavailable(
            "The authentication service is unavailable; try again later."),
            start_response)


def strip_filter_factory(global_conf, **local_conf):
    return StripIdentityHeaders


_PIPELINES = "_nova_auth_pipelines"  # built pipelines, on the ConfigOpts


def pipeline_factory(loader, global_conf, **local_conf):
    """Build the pipeline named after ``[api] auth_strategy``."""
    conf = loading.loading_conf()
    strategy = conf.api.auth_strategy
    if strategy not in local_conf:
        raise exception.StartupError(
            f"[api] auth_strategy = {strategy!r} has no pipeline in the paste "
            f"file: add a '{strategy} = ...' line to the composite that uses "
            f"nova.api.middleware.auth:pipeline_factory.")
    # The urlmap names this composite twice (/v2/+ and /v2.1/+) and paste
    # loads it each time: build it once per configuration, so both paths
    # share one auth middleware (one token cache, one user file, one
    # warning in the log).
    built = conf.__dict__.setdefault(_PIPELINES, {})
    names = local_conf[strategy].split()
    key = (strategy, tuple(names))
    if key in built:
        return built[key]
    if strategy == "noauth2":
        LOG.warning("auth_strategy = noauth2: anyone can act as any user and "
                    "project, 'admin' included. Never use it outside "
                    "development.")
    app = loader.get_app(names[-1], global_conf=global_conf)
    for name in reversed(names[:-1]):
        app = loader.get_filter(name, global_conf=global_conf)(app)
    built[key] = app
    return app


# -- context from headers (after keystonemiddleware or http_basic) ---------

def _header(environ, *names):
    for name in names:
        value = environ.get("HTTP_" + name.upper().replace("-", "_"))
        if value:
            return value
    return None


def context_from_headers(environ):
    if _header(environ, "X-Identity-Status") != "Confirmed":
        raise errors.Unauthorized()
    user_id = _header(environ, "X-User-Id", "X-User")
    project_id = _header(environ, "X-Project-Id", "X-Tenant-Id", "X-Tenant")
    roles = tuple(r.strip().lower() for r in
                  (_header(environ, "X-Roles") or "").split(",") if r.strip())
    if not user_id:
        raise errors.Unauthorized()
    return nova_context.RequestContext(
        user_id=user_id,
        project_id=project_id,
        roles=roles,
        is_admin="admin" in roles,
        user_name=_header(environ, "X-User-Name"),
        project_name=_header(environ, "X-Project-Name", "X-Tenant-Name"),
        user_domain_id=_header(environ, "X-User-Domain-Id"),
        project_domain_id=_header(environ, "X-Project-Domain-Id"),
        system_scope=_header(environ, "OpenStack-System-Scope"),
        auth_token=_header(environ, "X-Auth-Token"),
        service_catalog=_catalog(environ),
        remote_address=environ.get("REMOTE_ADDR"),
        request_id=environ.get("openstack.request_id"),
        global_request_id=environ.get("openstack.global_request_id"),
    )


# The services this API calls on a caller's behalf; the rest of the catalog
# (often most of it) is not kept.
_CATALOG_TYPES = frozenset(("image", "network", "identity", "volumev3",
                            "block-storage"))


def _catalog(environ):
    """The entries of the caller's catalog (X-Service-Catalog, set by
    auth_token) for the services called on its behalf."""
    raw = _header(environ, "X-Service-Catalog")
    if not raw:
        return []
    try:
        entries = json.loads(raw)
    except ValueError:
        return []
    if not isinstance(entries, list):
        return []
    return [entry for entry in entries if isinstance(entry, dict)
            and entry.get("type") in _CATALOG_TYPES]


class KeystoneContext:
    """Make the request context from the headers auth_token has set."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        environ[nova_context.ENV_CONTEXT] = context_from_headers(environ)
        return self.app(environ, start_response)


def keystone_context_filter_factory(global_conf, **local_conf):
    return KeystoneContext


def authtoken_filter_factory(global_conf, **local_conf):
    """keystonemiddleware's auth_token, configured from our ConfigOpts."""
    from nova import lazy_import

    # keystoneclient uses it for debug logs and slugs only (nova.lazy_import).
    lazy_import.defer("oslo_utils.strutils")
    from keystonemiddleware import auth_token

    conf = dict(local_conf)
    conf["oslo_config_config"] = loading.loading_conf()
    return lambda app: auth_token.AuthProtocol(app, conf)


# -- noauth2 ---------------------------------------------------------------

class NoAuth2:
    """Development only: ``X-Auth-Token: user:project`` is trusted as is.

    Upstream 31.x semantics: no colon means the project is named like the
    user; only the user ``admin`` is an admin; a request without a token
    gets 204 with a token and the management URL, as the v1.1 auth did.
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        strip_identity_headers(environ)
        token = environ.get("HTTP_X_AUTH_TOKEN", "").strip()
        if not token:
            user = environ.get("HTTP_X_AUTH_USER") or "admin"
            project = environ.get("HTTP_X_AUTH_PROJECT_ID") or "admin"
            base = (environ.get("wsgi.url_scheme", "http") + "://"
                    + environ.get("HTTP_HOST", environ.get("SERVER_NAME", ""))
                    + environ.get("SCRIPT_NAME", "")
                    + environ.get("PATH_INFO", "")).rstrip("/")
            start_response("204 No Content", [
                ("X-Auth-Token", f"{user}:{project}"),
                ("X-Server-Management-Url", f"{base}/{project}"),
            ])
            return [b""]
        user_id, _sep, project_id = token.partition(":")
        project_id = project_id or user_id
        is_admin = user_id == "admin"
        environ[nova_context.ENV_CONTEXT] = nova_context.RequestContext(
            user_id=user_id,
            project_id=project_id,
            roles=("admin", "member", "reader") if is_admin
            else ("member", "reader"),
            is_admin=is_admin,
            remote_address=environ.get("REMOTE_ADDR"),
            request_id=environ.get("openstack.request_id"),
            global_request_id=environ.get("openstack.global_request_id"),
        )
        return self.app(environ, start_response)


def noauth2_filter_factory(global_conf, **local_conf):
    return NoAuth2
