"""The images the domain uses: one small interface, two implementations.

``Images`` is what the compute API asks for an image: the local
catalogue (``LocalImages``, the ``images`` table, the default) or Glance
v2 (``nova.clients.glance.GlanceImages``, when nova.conf has a
``[glance]`` section), chosen in ``nova.api.backends.Compute``. Both give
``ImageInfo`` values and raise ``nova.exception`` errors; the domain never
sees HTTP.

A remote implementation (``remote`` true) must be called outside any
database transaction: the handlers fetch and validate an image before
they open theirs, and create and upload snapshots after it.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from nova import exception

if TYPE_CHECKING:
    from nova.context import RequestContext

GiB = 1024 ** 3


@dataclasses.dataclass(frozen=True)
class ImageInfo:
    """An image as the compute API uses it (Glance v2's fields)."""

    id: str
    name: str | None = None
    status: str = "active"  # Glance's lower-case status
    visibility: str = "public"
    owner: str | None = None
    min_ram: int = 0
    min_disk: int = 0
    size: int | None = 0
    disk_format: str | None = None
    container_format: str | None = None
    properties: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    created_at: datetime.datetime | None = None
    updated_at: datetime.datetime | None = None


class Images(Protocol):
    """What the compute API asks of an image service."""

    remote: bool

    def show(self, context: RequestContext, image_id: str) -> ImageInfo:
        """The image visible to the caller; ``NotFound`` otherwise."""

    def endpoint(self, context: RequestContext) -> str | None:
        """The image service's root URL (the proxy's ``alternate``
        link), None without one."""

    def list(self, context: RequestContext, *, limit: int,
             marker: str | None = None,
             filters: Mapping[str, str] | None = None) -> list[ImageInfo]:
        """A page of the images the caller sees, newest first."""

    def delete(self, context: RequestContext, image_id: str) -> None:
        """Delete an image (``NotFound``, ``Forbidden``, ``Conflict``)."""

    def update_properties(self, context: RequestContext, image_id: str, *,
                          set_: Mapping[str, str] | None = None,
                          remove: Iterable[str] = ()) -> ImageInfo:
        """Set and remove custom properties of an image."""

    def create(self, context: RequestContext, *, name: str,
               properties: Mapping[str, str],
               **fields: Any) -> ImageInfo:
        """A new (queued) image record."""

    def upload(self, context: RequestContext, image_id: str,
               data: Iterable[bytes], disk_format: str = "raw",
               container_format: str = "bare") -> None:
        """The image's data, in the formats given (it goes active)."""


def check_bootable(image: ImageInfo, memory_mb: int, root_gb: int) -> None:
    """Upstream's checks of an image against a flavor (server create,
    rebuild): active, ``min_ram``, ``min_disk`` and size."""
    if image.status != "active":
        raise exception.Invalid(f"Image {image.id} is not active.")
    if memory_mb < (image.min_ram or 0):
        raise exception.Invalid("Flavor's memory is too small for requested "
                                "image.")
    if root_gb:
        if root_gb < (image.min_disk or 0):
            raise exception.Invalid("Flavor's disk is too small for "
                                    "requested image.")
        if image.size and image.size > root_gb * GiB:
            raise exception.Invalid(
                f"Flavor's disk is too small for requested image. Flavor "
                f"disk is {root_gb * GiB} bytes, image is {image.size} "
                f"bytes.")


def snapshot_properties(base: ImageInfo | None, *, instance_uuid: str,
                        base_image_ref: str | None, user_id: str | None,
                        owner_id: str | None, image_type: str,
                        extra: Mapping[str, str] | None = None
                        ) -> dict[str, str]:
    """Upstream's properties of a snapshot or backup image: the base
    image's own custom properties, then Nova's, then ``extra`` (the
    caller's metadata, which wins even over ``image_type``, as upstream;
    a backup's ``backup_type`` after it)."""
    props: dict[str, str] = {}
    if base is not None:
        props.update({k: str(v) for k, v in base.properties.items()
                      if _inherited(k)})
    if base_image_ref:
        props["base_image_ref"] = base_image_ref
    props.update({"instance_uuid": instance_uuid, "image_type": image_type,
                  "user_id": user_id or "", "owner_id": owner_id or ""})
    props.update(extra or {})
    return props


# Upstream's non-inheritable image properties (and its default
# ``non_inheritable_image_properties``), never copied to a snapshot; the
# ``os_glance`` namespace neither.
_NOT_INHERITED = frozenset({
    "cinder_encryption_key_id", "cinder_encryption_key_deletion_policy",
    "img_signature", "img_signature_hash_method", "img_signature_key_type",
    "img_signature_certificate_uuid", "cache_in_nova", "bittorrent",
})


def _inherited(key: str) -> bool:
    return key not in _NOT_INHERITED and not key.startswith("os_glance")


def snapshot_payload(instance_uuid: str, size: int = 64 * 1024
                     ) -> Iterator[bytes]:
    """The built-in driver's snapshot data (it has no disk): a header
    naming the server, then zeros, in chunks."""
    header = f"nova-wsgi snapshot of server {instance_uuid}\n".encode()
    yield header
    left = max(size - len(header), 0)
    while left:
        chunk = min(left, 16 * 1024)
        yield bytes(chunk)
        left -= chunk
