"""``image_api.Images`` over Glance v2 (``nova.clients.glance``).

Glance's image documents become ``ImageInfo`` values: the standard
fields, and every other key as a custom property, as upstream's
``_extract_attributes`` reads them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from nova.compute.image_api import ImageInfo

if TYPE_CHECKING:
    from nova.clients.glance import GlanceClient
    from nova.context import RequestContext

# Glance v2's own (non-property) fields of an image.
_BASE = frozenset({
    "id", "name", "status", "visibility", "owner", "min_ram", "min_disk",
    "size", "virtual_size", "disk_format", "container_format", "checksum",
    "created_at", "updated_at", "protected", "tags", "file", "schema",
    "self", "direct_url", "locations", "os_hidden", "os_hash_algo",
    "os_hash_value", "stores",
})


def _time(value: str | None) -> datetime.datetime | None:
    if not value:
        return None
    try:
        return datetime.datetime.strptime(value.rstrip("Z")[:19],
                                          "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return None


def to_info(body: Mapping[str, Any]) -> ImageInfo:
    return ImageInfo(
        id=body["id"], name=body.get("name"),
        status=body.get("status") or "queued",
        visibility=body.get("visibility") or "shared",
        owner=body.get("owner"), min_ram=body.get("min_ram") or 0,
        min_disk=body.get("min_disk") or 0, size=body.get("size"),
        disk_format=body.get("disk_format"),
        container_format=body.get("container_format"),
        properties={k: v for k, v in body.items() if k not in _BASE},
        created_at=_time(body.get("created_at")),
        updated_at=_time(body.get("updated_at")))


class GlanceImages:
    remote = True

    def __init__(self, client: GlanceClient) -> None:
        self.client = client

    def show(self, context: RequestContext, image_id: str) -> ImageInfo:
        return to_info(self.client.show(context, image_id))

    def endpoint(self, context: RequestContext) -> str | None:
        return self.client.endpoint(context)

    def list(self, context: RequestContext, *, limit: int,
             marker: str | None = None,
             filters: Mapping[str, str] | None = None) -> list[ImageInfo]:
        params: dict[str, Any] = {"limit": limit, "sort_key": "created_at",
                                  "sort_dir": "desc"}
        if marker:
            params["marker"] = marker
        params.update(filters or {})
        if "status" in params:
            params["status"] = str(params["status"]).lower()
        return [to_info(item) for item in
                self.client.list(context, params).get("images", [])]

    def delete(self, context: RequestContext, image_id: str) -> None:
        self.client.delete(context, image_id)

    def update_properties(self, context: RequestContext, image_id: str, *,
                          set_: Mapping[str, str] | None = None,
                          remove: Iterable[str] = ()) -> ImageInfo:
        current = self.client.show(context, image_id)
        patch = [{"op": "replace" if key in current else "add",
                  "path": "/" + _pointer(key), "value": str(value)}
                 for key, value in (set_ or {}).items()]
        patch += [{"op": "remove", "path": "/" + _pointer(key)}
                  for key in remove]
        if not patch:
            return to_info(current)
        return to_info(self.client.update(context, image_id, patch))

    def create(self, context: RequestContext, *, name: str,
               properties: Mapping[str, str], **fields: Any) -> ImageInfo:
        """``instance_owner`` (upstream's: an admin snapshots someone
        else's server) is not kept: that project becomes a member."""
        body: dict[str, Any] = {k: str(v) for k, v in properties.items()}
        member = body.pop("instance_owner", None)
        body.update({k: v for k, v in fields.items()
                     if k in ("visibility", "min_disk", "min_ram",
                              "disk_format", "container_format")
                     and v is not None})
        body["name"] = name
        image = self.client.create(context, body)
        if member:
            self.client.add_member(context, image["id"], member)
        return to_info(image)

    def upload(self, context: RequestContext, image_id: str,
               data: Iterable[bytes], disk_format: str = "raw",
               container_format: str = "bare") -> None:
        """The formats first (Glance takes data only once both are set;
        a snapshot is made without them, as upstream's driver sets them
        on upload), then the data."""
        self.client.update(context, image_id, [
            {"op": "replace", "path": "/disk_format", "value": disk_format},
            {"op": "replace", "path": "/container_format",
             "value": container_format}])
        self.client.upload(context, image_id, data)


def _pointer(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")
