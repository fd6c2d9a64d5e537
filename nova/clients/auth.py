"""Sessions, auth plugins and adapters for calls to other services.

Upstream Nova's rules, with its option groups:

* calls made for a caller (images, the caller's ports, project checks)
  carry the caller's token; the endpoint comes from the caller's service
  catalog unless ``endpoint_override`` is set;
* with ``[service_user] send_service_user_token`` they also carry an
  ``X-Service-Token`` for the ``[service_user]`` credentials;
* what only a service may do (bind a port, read bindings) uses the group's
  own credentials (``[neutron] auth_type`` ...).

One ``ServiceAuth`` per process (``nova.api.backends``): sessions keep
their connection pools and the service tokens they fetched.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from nova import exception

if TYPE_CHECKING:
    from keystoneauth1 import adapter as ks_adapter
    from oslo_config import cfg

    from nova.context import RequestContext

# Seconds a call may take when the group sets no ``timeout``: a service
# that never answers must not hold an API worker for ever.
DEFAULT_TIMEOUT = 60.0


def _user_plugin_class():
    from keystoneauth1 import plugin

    class UserTokenAuth(plugin.BaseAuthPlugin):
        """The caller's token, and endpoints from the caller's catalog."""

        def __init__(self, token: str, catalog: list | None) -> None:
            super().__init__()
            self._token = token
            self._catalog = catalog or []

        def get_token(self, session, **kwargs):
            return self._token

        def get_endpoint(self, session, service_type=None, interface=None,
                         region_name=None, service_name=None, **kwargs):
            from keystoneauth1.access import service_catalog

            if not self._catalog or service_type is None:
                return None
            # auth_token's X-Service-Catalog is in v2 form ("publicURL"
            # per region) even for v3 tokens; a v3 body has "interface".
            v3 = any("interface" in endpoint
                     for entry in self._catalog
                     for endpoint in entry.get("endpoints", ()))
            catalog = (service_catalog.ServiceCatalogV3 if v3 else
                       service_catalog.ServiceCatalogV2)(self._catalog)
            try:
                return catalog.url_for(service_type=service_type,
                                       interface=interface,
                                       region_name=region_name,
                                       service_name=service_name)
            except Exception:  # noqa: BLE001 - not in the catalog: None
                return None

    return UserTokenAuth


class ServiceAuth:
    """Sessions and adapters for the groups of one configuration."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self.conf = conf
        self._lock = threading.Lock()
        self._sessions: dict[str, Any] = {}
        self._auths: dict[str, Any] = {}

    # -- building blocks -----------------------------------------------------

    def session(self, group: str):
        with self._lock:
            found = self._sessions.get(group)
            if found is None:
                from keystoneauth1 import loading as ks_loading

                extra = {}
                if self.conf[group].timeout is None:
                    extra["timeout"] = DEFAULT_TIMEOUT
                found = ks_loading.load_session_from_conf_options(
                    self.conf, group, **extra)
                self._sessions[group] = found
            return found

    def service_auth(self, group: str):
        """The auth plugin of ``[group]``'s own credentials, or None."""
        with self._lock:
            if group not in self._auths:
                self._auths[group] = self._load_auth(group)
            return self._auths[group]

    def _load_auth(self, group):
        from keystoneauth1 import exceptions as ks_exc
        from keystoneauth1 import loading as ks_loading

        if not self.conf[group].auth_type:
            return None
        try:
            return ks_loading.load_auth_from_conf_options(self.conf, group)
        except ks_exc.ClientException as exc:
            # MissingRequiredOptions, NoMatchingPlugin...: the message
            # names the options, never their values.
            raise exception.Unavailable(
                f"[{group}] credentials are incomplete: {exc}") from None

    def check(self) -> list[str]:
        """Reasons the configured credentials cannot load (for start-up)."""
        from nova.conf import _ksa

        reasons = []
        for group in ("neutron", "service_user"):
            if not _ksa.registered(self.conf, group):
                continue
            try:
                self.service_auth(group)
            except exception.Unavailable as exc:
                reasons.append(exc.message)
        return reasons

    def user_auth(self, context: RequestContext):
        """The caller's token (with a service token when configured).

        A request authenticated without Keystone (noauth2, http_basic) has
        no token: calls then use the ``[service_user]`` credentials.
        """
        service = self._service_token_auth()
        if not context.auth_token:
            if service is None:
                raise exception.Unavailable(
                    "This request carries no Keystone token and "
                    "[service_user] has no credentials: the call to "
                    "another OpenStack service cannot be authenticated.")
            return service
        user = _user_plugin_class()(context.auth_token,
                                    context.service_catalog)
        if service is None or \
                not self.conf.service_user.send_service_user_token:
            return user
        from keystoneauth1 import service_token

        return service_token.ServiceTokenAuthWrapper(user_auth=user,
                                                     service_auth=service)

    def with_service_token(self, context: RequestContext) -> bool:
        """Whether calls for ``context`` carry its token and a service
        token (``[service_user] send_service_user_token`` with
        credentials): what Neutron's policy asks of a delete of a
        ``compute:*`` port by a member."""
        return bool(context.auth_token
                    and self.conf.service_user.send_service_user_token
                    and self._service_token_auth() is not None)

    def _service_token_auth(self):
        from nova.conf import _ksa

        if not _ksa.registered(self.conf, "service_user"):
            return None
        return self.service_auth("service_user")

    # -- adapters ----------------------------------------------------------

    def adapter(self, group: str, auth, **overrides) -> ks_adapter.Adapter:
        from keystoneauth1 import loading as ks_loading

        options = self.conf[group]
        kwargs: dict[str, Any] = {}
        servers = getattr(options, "api_servers", None)
        if servers and not options.endpoint_override:
            kwargs["endpoint_override"] = servers[0]
        kwargs.update(overrides)
        return ks_loading.load_adapter_from_conf_options(
            self.conf, group, session=self.session(group), auth=auth,
            **kwargs)

    def for_user(self, group: str, context: RequestContext, **overrides):
        """An adapter that calls ``[group]``'s service as the caller."""
        return self.adapter(group, self.user_auth(context), **overrides)

    def for_service(self, group: str, **overrides):
        """An adapter that calls with ``[group]``'s own credentials."""
        auth = self.service_auth(group)
        if auth is None:
            raise exception.Unavailable(
                f"[{group}] has no credentials (auth_type is not set).")
        return self.adapter(group, auth, **overrides)
