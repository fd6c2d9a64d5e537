"""The disk config extension (``OS-DCF:diskConfig``), independent of HTTP.

A server's ``auto_disk_config`` says whether its root partition is to be
grown to fill the flavor's disk (AUTO, true) or left as the image made it
(MANUAL, false). As upstream:

- create and rebuild take the caller's choice, or else the image's
  ``auto_disk_config`` property read as a boolean ("true", "yes", "1"...:
  AUTO; anything else or none: MANUAL);
- an image whose property is "disabled" refuses AUTO (400), at create and
  rebuild (the new image) and at resize (the image the server runs);
- a resize or a cold migration sets the caller's choice, MANUAL when the
  body has none (upstream's ``auto_disk_config or False``);
- PUT /servers/{id} sets it without asking the image.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from nova import exception
from nova.compute import images as image_service

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from nova.db.models import Instance

PROPERTY = "auto_disk_config"
# What upstream's oslo.utils bool_from_string takes as true.
_TRUE = frozenset(("1", "t", "true", "on", "y", "yes"))


def _image_value(properties: Mapping[str, Any]) -> str | None:
    value = properties.get(PROPERTY)
    return None if value is None else str(value).strip().lower()


def check(properties: Mapping[str, Any], image_id: str,
          requested: bool | None) -> None:
    """Refuse AUTO for an image whose property says "disabled"."""
    if requested and _image_value(properties) == "disabled":
        raise exception.Invalid(f"Requested image {image_id} has automatic "
                                f"disk resize disabled.")


def for_image(properties: Mapping[str, Any], image_id: str,
              requested: bool | None) -> bool:
    """A server's value when it boots (or is rebuilt) from an image."""
    check(properties, image_id, requested)
    if requested is not None:
        return requested
    return _image_value(properties) in _TRUE


def for_resize(session: Session, instance: Instance,
               requested: bool | None) -> bool:
    """A server's value after a resize or a cold migration: AUTO only when
    asked for and the image it runs allows it.

    Upstream reads the property from the image's properties it kept in the
    server's system metadata at boot or rebuild; here from the catalogue's
    row of that image (a Glance image is kept there when a server boots or
    is rebuilt from it). An image gone from the catalogue forbids nothing.
    """
    if requested and instance.image_ref:
        try:
            image = image_service.get(session, instance.image_ref)
        except exception.NotFound:
            image = None
        if image is not None:
            check(image_service.properties(image), instance.image_ref,
                  requested)
    return bool(requested)
