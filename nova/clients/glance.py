"""Glance v2, as the caller: show, list, delete, update, create, upload.

Every call carries the caller's token (and a service token with
``[service_user] send_service_user_token``), finds Glance in the caller's
catalog or at ``[glance] endpoint_override``, and is tried again up to
``[glance] num_retries`` times when it cannot connect. Glance's answers
become domain exceptions as upstream translates them: 404 ``NotFound``,
403/401 ``Forbidden``, 409 ``Conflict``, 400/415 ``Invalid``, 413 (quota,
no space) ``Forbidden``, 5xx and outages ``Unavailable``.

The endpoint is Glance's root (``http://host:9292``, as the catalog
registers it); an endpoint ending in ``/v2`` works too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from nova import exception
from nova.clients import http

if TYPE_CHECKING:
    from nova.clients.auth import ServiceAuth
    from nova.context import RequestContext

LOG = logging.getLogger(__name__)

GROUP = "glance"
SERVICE = "Image service (Glance)"
PATCH_TYPE = "application/openstack-images-v2.1-json-patch"


class GlanceClient:
    def __init__(self, auth: ServiceAuth) -> None:
        self.auth = auth
        self.conf = auth.conf

    # -- plumbing ------------------------------------------------------------

    def _request(self, context: RequestContext, method: str, path: str, *,
                 image_id: str | None = None, ok: Iterable[int] = (200,),
                 retry: bool = True, **kwargs: Any):
        adapter = self.auth.for_user(GROUP, context)
        endpoint = (self.conf[GROUP].endpoint_override or "").rstrip("/")
        url = path if not endpoint.endswith("/v2") else path[len("/v2"):]
        if not url.startswith("/"):
            url = "/" + url
        retries = self.conf[GROUP].num_retries if retry else 0
        left = retries
        while True:
            # The adapter joins ``url`` to the endpoint: keep it relative.
            # Calls that could not connect are tried again in http.call,
            # a 503 here (upstream retries both), ``num_retries`` in all.
            response = http.call(adapter, method, url.lstrip("/"),
                                 service=SERVICE, retries=left, **kwargs)
            if response.status_code != 503 or left <= 0:
                break
            left -= 1
            LOG.warning("%s answered 503 to %s %s; trying again", SERVICE,
                        method, path)
        if response.status_code in tuple(ok):
            return response
        raise _translate(response, image_id, method, path)

    def endpoint(self, context: RequestContext) -> str | None:
        """Glance's root URL as the caller's catalog (or
        ``endpoint_override``) gives it, without ``/v2``; None when there
        is none."""
        from keystoneauth1 import exceptions as ks_exc

        try:
            found = self.auth.for_user(GROUP, context).get_endpoint()
        except ks_exc.ClientException:
            return None
        if not found:
            return None
        found = found.rstrip("/")
        return found[:-len("/v2")] if found.endswith("/v2") else found

    # -- images --------------------------------------------------------------

    def show(self, context: RequestContext, image_id: str) -> dict:
        return self._request(context, "GET", _image_path(image_id),
                             image_id=image_id).json()

    def list(self, context: RequestContext,
             params: Mapping[str, Any]) -> dict:
        """One page: ``{"images": [...], "next": ...}``."""
        return self._request(context, "GET", "/v2/images",
                             params=dict(params)).json()

    def delete(self, context: RequestContext, image_id: str) -> None:
        self._request(context, "DELETE", _image_path(image_id),
                      image_id=image_id, ok=(204, 200))

    def update(self, context: RequestContext, image_id: str,
               patch: list[dict]) -> dict:
        """A json-patch of the image (custom properties, name...)."""
        return self._request(
            context, "PATCH", _image_path(image_id), image_id=image_id,
            json=patch, headers={"Content-Type": PATCH_TYPE}).json()

    def create(self, context: RequestContext, body: Mapping[str, Any]
               ) -> dict:
        return self._request(context, "POST", "/v2/images",
                             json=dict(body), ok=(201, 200)).json()

    def add_member(self, context: RequestContext, image_id: str,
                   member: str) -> dict:
        """Share the image with a project (``POST .../members``)."""
        return self._request(context, "POST",
                             _image_path(image_id) + "/members",
                             image_id=image_id,
                             json={"member": member}).json()

    def upload(self, context: RequestContext, image_id: str,
               data: Iterable[bytes]) -> None:
        """``PUT /v2/images/{id}/file`` of an octet stream, chunked."""
        self._request(
            context, "PUT", _image_path(image_id) + "/file",
            image_id=image_id, ok=(204, 200), retry=False,
            data=iter(data),
            headers={"Content-Type": "application/octet-stream"})


def _image_path(image_id: str) -> str:
    return "/v2/images/" + quote(str(image_id), safe="")


def _translate(response, image_id, method, path) -> exception.NovaError:
    status = response.status_code
    detail = http.error_message(response)
    LOG.info("%s answered %s to %s %s: %s", SERVICE, status, method, path,
             detail)
    what = f"image {image_id}" if image_id else "images"
    if status == 404:
        if image_id:
            return exception.NotFound(
                f"Image {image_id} could not be found.")
        return exception.NotFound(detail)
    if status in (401, 403):
        if image_id:
            return exception.Forbidden(
                f"Not authorized for image {image_id}.")
        return exception.Forbidden(detail)
    if status == 413:
        return exception.Forbidden(
            f"Quota exceeded or out of space for {what} in the image "
            f"service.")
    if status == 409:
        return exception.Conflict(detail)
    if status in (400, 415):
        if image_id:
            return exception.Invalid(
                f"Request of image {image_id} got BadRequest response: "
                f"{detail}")
        return exception.Invalid(detail)
    LOG.error("%s failed: %s %s answered %s", SERVICE, method, path,
              status)
    return exception.Unavailable(f"{SERVICE} is unavailable; try again "
                                 f"later.")
