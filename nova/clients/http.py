"""One call to another service, its failures as domain exceptions."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from nova import exception

if TYPE_CHECKING:
    from keystoneauth1 import adapter as ks_adapter

LOG = logging.getLogger(__name__)


def call(adapter: ks_adapter.Adapter, method: str, url: str, *,
         service: str, retries: int = 0, **kwargs: Any):
    """The response (any status) of ``method url``; ``Unavailable`` (503)
    when the service cannot be reached, answers too slowly, or cannot be
    found in the catalog. Statuses are the caller's to read.

    ``retries``: how many more times a call that could not connect is
    made (never one that timed out: a slow service would hold the worker
    ``retries`` times the timeout, nor one whose body is a stream)."""
    from keystoneauth1 import exceptions as ks_exc

    for _attempt in range(retries):
        try:
            return _call(adapter, method, url, service, kwargs)
        except exception.Unavailable as exc:
            if not isinstance(exc.__context__, ks_exc.ConnectFailure):
                raise
            LOG.warning("%s: %s %s could not connect; trying again",
                        service, method, url)
    return _call(adapter, method, url, service, kwargs)


def _call(adapter, method, url, service, kwargs):
    from keystoneauth1 import exceptions as ks_exc

    kwargs.setdefault("raise_exc", False)
    try:
        return adapter.request(url, method, **kwargs)
    except ks_exc.EndpointNotFound:
        LOG.error("%s: no endpoint in the service catalog (service type "
                  "%s, interfaces %s)", service, adapter.service_type,
                  adapter.interface)
        raise exception.Unavailable(
            f"The {service} endpoint could not be found.") from None
    except (ks_exc.ConnectTimeout, ks_exc.ConnectFailure,
            ks_exc.RetriableConnectionFailure, ks_exc.SSLError,
            ks_exc.DiscoveryFailure) as exc:
        LOG.error("%s is unavailable: %s %s: %s", service, method, url,
                  type(exc).__name__)
        raise exception.Unavailable(
            f"{service} is unavailable; try again later.") from None
    except ks_exc.Unauthorized:
        # The service credentials were refused by Keystone.
        LOG.error("%s: Keystone refused the service credentials", service)
        raise exception.Unavailable(
            f"{service} refused this service's credentials.") from None
    except ks_exc.ClientException as exc:
        LOG.error("%s call failed: %s %s: %s", service, method, url,
                  type(exc).__name__)
        raise exception.Unavailable(
            f"{service} is unavailable; try again later.") from None


def error_message(response) -> str:
    """The message of an OpenStack service's error body, or its reason."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("NeutronError", "error", "badRequest", "itemNotFound",
                    "conflictingRequest", "forbidden"):
            inner = body.get(key)
            if isinstance(inner, dict) and inner.get("message"):
                return str(inner["message"])
        if body.get("message"):
            return str(body["message"])
    text = (response.text or "").strip()
    # Glance answers text/html bodies: keep the last line, not markup.
    if "<" in text:
        import re

        text = re.sub(r"<[^>]+>", " ", text)
        text = " ".join(text.split())
    return text[:500] or response.reason or f"HTTP {response.status_code}"
