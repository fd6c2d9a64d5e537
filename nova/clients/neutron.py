"""Neutron's v2.0 API: list/show/create/update/delete of any resource.

``Neutron.for_user(service_auth, context)`` calls as the caller (its
token, plus a service token with ``[service_user]
send_service_user_token``); ``Neutron.for_service(service_auth)`` with
``[neutron]``'s own credentials (binding a port, reading bindings).

Neutron's answers become the project's exceptions, as upstream Nova
turns them into its faults:

* 400 -> ``Invalid``; 404 -> ``NotFound``; 409 -> ``Conflict``;
* ``OverQuota`` (Neutron answers 409) -> ``QuotaExceeded`` (403);
* 401/403 -> ``Forbidden``;
* 5xx, no answer, too slow, no endpoint -> ``Unavailable`` (503).

Each raised exception carries Neutron's error ``type``
(``PortNotFound``, ``IpAddressAlreadyAllocated``...) as ``neutron_type``
so callers can word upstream's messages.
"""

from __future__ import annotations

import logging
import time
import urllib.parse
from typing import TYPE_CHECKING, Any

from nova import exception
from nova.clients import http

if TYPE_CHECKING:
    from nova.clients.auth import ServiceAuth
    from nova.context import RequestContext

LOG = logging.getLogger(__name__)

SERVICE = "Neutron"
GROUP = "neutron"

# URL collection -> the key of one resource in bodies, where the rule
# "drop the s, dashes to underscores" does not give it.
_SINGULAR = {
    "policies": "policy",
    "quotas": "quota",
    "auto-allocated-topology": "auto_allocated_topology",
    "rbac-policies": "rbac_policy",
    "address-scopes": "address_scope",
}

# Extension lists kept for [neutron] extension_sync_interval seconds,
# per endpoint: {key: (read at, aliases)}.
_EXTENSIONS: dict[str, tuple[float, frozenset[str]]] = {}


def resource_key(collection: str) -> str:
    """``security-groups`` -> ``security_group``, ``ports`` -> ``port``."""
    last = collection.rsplit("/", 1)[-1]
    if last in _SINGULAR:
        return _SINGULAR[last]
    return (last[:-1] if last.endswith("s") else last).replace("-", "_")


def _failure(status: int, neutron_type: str, message: str,
             what: str) -> exception.NovaError:
    exc: exception.NovaError
    if neutron_type == "OverQuota":
        exc = exception.QuotaExceeded(message)
    elif status == 400:
        exc = exception.Invalid(message)
    elif status == 404:
        exc = exception.NotFound(message)
    elif status == 409:
        exc = exception.Conflict(message)
    elif status in (401, 403):
        exc = exception.Forbidden(message)
    else:
        LOG.error("Neutron answered %s to %s: %s", status, what,
                  neutron_type or message)
        exc = exception.Unavailable(
            f"{SERVICE} could not complete the request; try again later.")
    tagged: Any = exc
    tagged.neutron_type = neutron_type
    tagged.status = status
    return exc


def _error_type(response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    inner = body.get("NeutronError") if isinstance(body, dict) else None
    if isinstance(inner, dict):
        return str(inner.get("type") or "")
    return ""


class Neutron:
    """One adapter's worth of Neutron calls."""

    def __init__(self, adapter, conf=None) -> None:
        self.adapter = adapter
        self.conf = conf

    @classmethod
    def for_user(cls, service_auth: ServiceAuth,
                 context: RequestContext) -> Neutron:
        return cls(service_auth.for_user(GROUP, context), service_auth.conf)

    @classmethod
    def for_service(cls, service_auth: ServiceAuth) -> Neutron:
        return cls(service_auth.for_service(GROUP), service_auth.conf)

    # -- the one call ------------------------------------------------------

    def request(self, method: str, path: str, *, body: Any = None,
                params: list[tuple[str, str]] | None = None,
                ok: tuple[int, ...] = (200, 201, 204)):
        url = "/v2.0/" + path.lstrip("/")
        if params:
            url += "?" + urllib.parse.urlencode(params)
        kwargs: dict[str, Any] = {"headers": {"Accept": "application/json"}}
        if body is not None:
            kwargs["json"] = body
        if method in ("GET", "PUT", "DELETE") and self.conf is not None:
            kwargs["connect_retries"] = self.conf.neutron.http_retries
        response = http.call(self.adapter, method, url, service=SERVICE,
                             **kwargs)
        if response.status_code in ok:
            if response.status_code == 204 or not response.content:
                return None
            try:
                return response.json()
            except ValueError:
                raise exception.Unavailable(
                    f"{SERVICE} answered a body that is not JSON.") from None
        raise _failure(response.status_code, _error_type(response),
                       http.error_message(response), f"{method} {path}")

    # -- generic resources --------------------------------------------------

    def list(self, collection: str, **filters: Any) -> list[dict]:
        """``GET /v2.0/<collection>?filters``; a list filter value is
        sent as repeated parameters (Neutron's "any of")."""
        params: list[tuple[str, str]] = []
        for name, value in filters.items():
            values = value if isinstance(value, (list, tuple, set)) \
                else [value]
            for one in values:
                if isinstance(one, bool):
                    one = "true" if one else "false"
                params.append((name, str(one)))
        body = self.request("GET", collection, params=params)
        key = collection.rsplit("/", 1)[-1].replace("-", "_")
        return list((body or {}).get(key, []))

    def show(self, collection: str, item_id: str, **filters: Any) -> dict:
        params = [(k, str(v)) for k, v in filters.items()]
        body = self.request("GET", f"{collection}/{_quote(item_id)}",
                            params=params)
        return (body or {}).get(resource_key(collection), {})

    def create(self, collection: str, fields: dict) -> dict:
        key = resource_key(collection)
        body = self.request("POST", collection, body={key: fields})
        return (body or {}).get(key, {})

    def update(self, collection: str, item_id: str, fields: dict) -> dict:
        key = resource_key(collection)
        body = self.request("PUT", f"{collection}/{_quote(item_id)}",
                            body={key: fields})
        return (body or {}).get(key, {})

    def delete(self, collection: str, item_id: str,
               missing_ok: bool = False) -> None:
        try:
            self.request("DELETE", f"{collection}/{_quote(item_id)}")
        except exception.NotFound:
            if not missing_ok:
                raise

    # -- helpers -----------------------------------------------------------

    def extensions(self) -> frozenset[str]:
        """The aliases of Neutron's extensions (kept a while)."""
        interval = self.conf.neutron.extension_sync_interval \
            if self.conf is not None else 600
        key = str(getattr(self.adapter, "endpoint_override", None)
                  or self.adapter.service_type)
        found = _EXTENSIONS.get(key)
        now = time.monotonic()
        if found is not None and now - found[0] < interval:
            return found[1]
        body = self.request("GET", "extensions") or {}
        aliases = frozenset(e.get("alias", "")
                            for e in body.get("extensions", []))
        _EXTENSIONS[key] = (now, aliases)
        return aliases

    def has_extension(self, alias: str) -> bool:
        return alias in self.extensions()

    # -- port bindings (the ``binding-extended`` extension) ---------------

    def create_binding(self, port_id: str, host: str,
                       **fields: Any) -> dict:
        """``POST /v2.0/ports/{id}/bindings``: a binding of the port on
        ``host``, inactive while the port is bound elsewhere."""
        body = self.request("POST", f"ports/{_quote(port_id)}/bindings",
                            body={"binding": dict(fields, host=host)})
        return (body or {}).get("binding", {})

    def activate_binding(self, port_id: str, host: str) -> dict:
        """``PUT /v2.0/ports/{id}/bindings/{host}/activate``: the
        binding on ``host`` becomes the active one (the port's
        ``binding:host_id``), the one before inactive."""
        body = self.request(
            "PUT", f"ports/{_quote(port_id)}/bindings/{_quote(host)}/"
                   f"activate")
        return (body or {}).get("binding", {})

    def delete_binding(self, port_id: str, host: str) -> None:
        """``DELETE /v2.0/ports/{id}/bindings/{host}``; a binding that is
        not there is not an error (as upstream)."""
        try:
            self.request("DELETE",
                         f"ports/{_quote(port_id)}/bindings/{_quote(host)}")
        except exception.NotFound:
            pass

    def quota(self, project_id: str, details: bool = False) -> dict:
        path = f"quotas/{_quote(project_id)}"
        if details:
            path += "/details.json"
        return (self.request("GET", path) or {}).get("quota", {})


def _quote(value: str) -> str:
    return urllib.parse.quote(str(value), safe="")

