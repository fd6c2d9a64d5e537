"""The local image catalogue: what ``imageRef`` may name without Glance."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING

import sqlalchemy as sa

from nova import exception
from nova.db.models import Image

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from sqlalchemy.orm import Session
    from sqlalchemy.sql.expression import ColumnElement


def visible(project_id: str | None, is_admin: bool) -> ColumnElement[bool]:
    if is_admin:
        return sa.true()
    return sa.or_(Image.visibility.in_(("public", "community", "shared")),
                  Image.owner == project_id)


def get(session: Session, image_id: str, *, project_id: str | None = None,
        is_admin: bool = True) -> Image:
    image = session.execute(sa.select(Image).where(
        Image.id == image_id, visible(project_id, is_admin))).scalar()
    if image is None:
        raise exception.NotFound("Image not found.")
    return image


def find(session: Session, image_id: str, *, project_id: str | None = None,
         is_admin: bool = True) -> Image | None:
    """The usable (active, visible) image, or None."""
    return session.execute(sa.select(Image).where(
        Image.id == image_id, Image.status == "active",
        visible(project_id, is_admin))).scalar()


def list_images(session: Session, *, project_id: str | None, is_admin: bool,
                limit: int, marker: str | None = None,
                name: str | None = None,
                status: str | None = None) -> list[Image]:
    query = sa.select(Image).where(visible(project_id, is_admin))
    if name is not None:
        query = query.where(Image.name == name)
    if status is not None:
        query = query.where(sa.func.lower(Image.status) == status.lower())
    if marker is not None:
        row = session.execute(sa.select(Image.created_at, Image.id).where(
            Image.id == marker)).first()
        if row is None:
            raise exception.Invalid(f"marker [{marker}] not found")
        query = query.where(sa.or_(
            Image.created_at < row.created_at,
            sa.and_(Image.created_at == row.created_at, Image.id < row.id)))
    query = query.order_by(Image.created_at.desc(), Image.id.desc())
    return list(session.execute(query.limit(limit)).scalars())


def exists(session: Session, image_id: str) -> bool:
    return session.get(Image, image_id) is not None


def create(session: Session, *, name: str, image_id: str | None = None,
           visibility: str = "public", owner: str | None = None,
           min_disk: int = 0, min_ram: int = 0, size: int = 0,
           disk_format: str = "qcow2", container_format: str = "bare",
           properties: Mapping[str, Any] | None = None) -> Image:
    image = Image(id=image_id or str(uuid.uuid4()), name=name,
                  status="active", visibility=visibility, owner=owner,
                  min_disk=min_disk, min_ram=min_ram, size=size,
                  disk_format=disk_format, container_format=container_format,
                  properties=json.dumps(properties or {}))
    session.add(image)
    session.flush()
    return image


def delete(session: Session, image_id: str) -> None:
    image = session.get(Image, image_id)
    if image is None:
        raise exception.NotFound(f"Image {image_id} could not be found.")
    session.delete(image)


def properties(image: Image) -> dict[str, Any]:
    try:
        return json.loads(image.properties or "{}")
    except ValueError:
        return {}
