"""Keystone, asked whether a project exists (upstream's ``[keystone]``).

Quota sets and flavor access name a project by its id; when the API
authenticates with Keystone, upstream Nova asks Keystone
(``GET /v3/projects/{id}``, as the caller) before it accepts the id:

* 2xx: the project exists;
* 404: it does not: 400 "Project ID X is not a valid project.";
* 403: the caller may not look: accepted;
* no identity endpoint (catalog or ``[keystone] endpoint_override``):
  400 "Nova was unable to find Keystone service endpoint.";
* anything else (an outage, a 500): accepted, with a log line.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import quote

from nova import exception

if TYPE_CHECKING:
    from nova.clients.auth import ServiceAuth
    from nova.context import RequestContext

LOG = logging.getLogger(__name__)

GROUP = "keystone"


def verify_project(service_auth: ServiceAuth, context: RequestContext,
                   project_id: str) -> None:
    """Raise ``Invalid`` (400) when Keystone says ``project_id`` is not a
    project, or when no identity endpoint can be found."""
    from keystoneauth1 import exceptions as ks_exc

    try:
        adapter = service_auth.for_user(GROUP, context)
        endpoint = adapter.get_endpoint()
        if not endpoint:
            raise ks_exc.EndpointNotFound()
        response = adapter.get(
            f"{_v3(endpoint)}/projects/{quote(project_id, safe='')}",
            endpoint_override=None, raise_exc=False)
    except ks_exc.EndpointNotFound:
        LOG.error("Keystone identity service version 3.0 was not found: "
                  "no identity endpoint in the caller's catalog and no "
                  "[keystone] endpoint_override.")
        raise exception.Invalid(
            "Nova was unable to find Keystone service endpoint.") from None
    except (ks_exc.ClientException, exception.Unavailable) as exc:
        LOG.info("Unable to contact keystone to verify project_id %s: %s",
                 project_id, type(exc).__name__)
        return
    status = response.status_code
    if 200 <= status < 300:
        return
    if status == 404:
        raise exception.Invalid(
            f"Project ID {project_id} is not a valid project.")
    if status == 403:
        LOG.info("Insufficient permissions for user %s to verify existence "
                 "of project_id %s", context.user_id, project_id)
        return
    LOG.warning("Unexpected response from keystone trying to verify "
                "project_id %s - resp: %s", project_id, status)


def _v3(endpoint: str) -> str:
    """The v3 root of an identity endpoint: catalogs list Keystone with
    or without its ``/v3`` (``http://host/identity``, ``.../v3``)."""
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith("/v3") else endpoint + "/v3"
