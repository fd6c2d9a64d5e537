"""The local image catalogue: what ``imageRef`` may name without Glance."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING

import sqlalchemy as sa

from nova import exception
from nova.compute.image_api import ImageInfo
from nova.db.models import Image

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
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


def info(image: Image) -> ImageInfo:
    """A catalogue row as the image interface gives it."""
    return ImageInfo(
        id=image.id, name=image.name, status=image.status,
        visibility=image.visibility, owner=image.owner,
        min_ram=image.min_ram or 0, min_disk=image.min_disk or 0,
        size=image.size, disk_format=image.disk_format,
        container_format=image.container_format,
        properties=properties(image), created_at=image.created_at,
        updated_at=image.updated_at)


def _matches(image: ImageInfo, key: str, value: str) -> bool:
    """Glance's list filters on the catalogue: ``min_ram``/``min_disk``
    equal, ``updated_at`` ``gte:<time>``, any other key a property."""
    if key in ("min_ram", "min_disk"):
        return str(getattr(image, key)) == str(value)
    if key == "updated_at":
        import datetime

        try:
            since = datetime.datetime.fromisoformat(
                value.removeprefix("gte:").replace("Z", "+00:00"))
        except ValueError:
            raise exception.Invalid(
                f"Invalid changes-since value: {value}") from None
        when = image.updated_at or image.created_at
        if since.tzinfo is not None:
            since = since.astimezone(datetime.timezone.utc).replace(
                tzinfo=None)
        return when is not None and when >= since
    return str(image.properties.get(key)) == str(value)


class LocalImages:
    """``image_api.Images`` over the local catalogue (no Glance)."""

    remote = False

    def __init__(self, db) -> None:
        self.db = db

    @staticmethod
    def endpoint(context) -> None:
        """No image service of its own to link to."""
        return None

    @staticmethod
    def _is_admin(context) -> bool:
        return bool(getattr(context, "is_admin", False))

    def show(self, context, image_id: str) -> ImageInfo:
        with self.db.reader() as session:
            try:
                return info(get(session, image_id,
                                project_id=context.project_id,
                                is_admin=self._is_admin(context)))
            except exception.NotFound:
                raise exception.NotFound(
                    f"Image {image_id} could not be found.") from None

    def list(self, context, *, limit: int, marker: str | None = None,
             filters: Mapping[str, str] | None = None) -> list[ImageInfo]:
        filters = dict(filters or {})
        name, status = filters.pop("name", None), filters.pop("status", None)
        with self.db.reader() as session:
            rows = [info(row) for row in list_images(
                session, project_id=context.project_id,
                is_admin=self._is_admin(context),
                # other filters name properties: matched here
                limit=limit if not filters else 2 ** 31 - 1,
                marker=marker, name=name, status=status)]
        rows = [row for row in rows
                if all(_matches(row, k, v) for k, v in filters.items())]
        return rows[:limit]

    def _writable(self, session, context, image_id: str) -> Image:
        """The image, if the caller owns it (or is an admin)."""
        image = get(session, image_id, project_id=context.project_id,
                    is_admin=self._is_admin(context))
        if not self._is_admin(context) and \
                image.owner != context.project_id:
            raise exception.Forbidden(f"Not authorized for image "
                                      f"{image_id}.")
        return image

    def delete(self, context, image_id: str) -> None:
        with self.db.writer() as session:
            self._writable(session, context, image_id)
            delete(session, image_id)

    def update_properties(self, context, image_id: str, *,
                          set_: Mapping[str, str] | None = None,
                          remove: Iterable[str] = ()) -> ImageInfo:
        with self.db.writer() as session:
            image = self._writable(session, context, image_id)
            props = properties(image)
            props.update(set_ or {})
            for key in remove:
                if key not in props:
                    raise exception.NotFound(
                        f"Image property {key} not found.")
                del props[key]
            image.properties = json.dumps(props)
            session.flush()
            return info(image)

    def create(self, context, *, name: str, properties: Mapping[str, str],
               **fields: Any) -> ImageInfo:
        allowed = {k: v for k, v in fields.items() if k in (
            "visibility", "owner", "min_disk", "min_ram", "size",
            "disk_format", "container_format")}
        with self.db.writer() as session:
            return info(create(session, name=name, properties=properties,
                               **allowed))

    def upload(self, context, image_id: str, data: Iterable[bytes],
               disk_format: str = "raw",
               container_format: str = "bare") -> None:
        """Nothing to keep: the catalogue holds no image data."""


def remember(session: Session, image: ImageInfo) -> None:
    """Keep a Glance image a server boots from in the catalogue table (with
    ``[glance]`` it serves nothing else): its properties are what server
    views show from 2.98, read in the views' own transaction, never from
    Glance."""
    props = json.dumps({k: str(v) for k, v in image.properties.items()},
                       sort_keys=True)
    row = session.get(Image, image.id)
    if row is None:
        try:
            with session.begin_nested():
                session.add(Image(
                    id=image.id, name=(image.name or "")[:255],
                    status=image.status, visibility=image.visibility,
                    owner=image.owner, min_disk=image.min_disk,
                    min_ram=image.min_ram, size=image.size or 0,
                    disk_format=image.disk_format or "raw",
                    container_format=image.container_format or "bare",
                    properties=props))
        except sa.exc.IntegrityError:
            pass  # another request remembered it first
        return
    if row.properties != props or row.status != image.status:
        row.properties = props
        row.status = image.status
