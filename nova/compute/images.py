"""The local image catalogue: what ``imageRef`` may name without Glance."""

import json
import uuid

import sqlalchemy as sa

from nova import exception
from nova.db.models import Image


def visible(project_id, is_admin):
    if is_admin:
        return sa.true()
    return sa.or_(Image.visibility.in_(("public", "community", "shared")),
                  Image.owner == project_id)


def get(session, image_id, *, project_id=None, is_admin=True):
    image = session.execute(sa.select(Image).where(
        Image.id == image_id, visible(project_id, is_admin))).scalar()
    if image is None:
        raise exception.NotFound("Image not found.")
    return image


def find(session, image_id, *, project_id=None, is_admin=True):
    """The usable (active, visible) image, or None."""
    return session.execute(sa.select(Image).where(
        Image.id == image_id, Image.status == "active",
        visible(project_id, is_admin))).scalar()


def list_images(session, *, project_id, is_admin, limit, marker=None,
                name=None, status=None):
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


def exists(session, image_id):
    return session.get(Image, image_id) is not None


def create(session, *, name, image_id=None, visibility="public", owner=None,
           min_disk=0, min_ram=0, size=0, disk_format="qcow2",
           container_format="bare", properties=None):
    image = Image(id=image_id or str(uuid.uuid4()), name=name,
                  status="active", visibility=visibility, owner=owner,
                  min_disk=min_disk, min_ram=min_ram, size=size,
                  disk_format=disk_format, container_format=container_format,
                  properties=json.dumps(properties or {}))
    session.add(image)
    session.flush()
    return image


def delete(session, image_id):
    image = session.get(Image, image_id)
    if image is None:
        raise exception.NotFound(f"Image {image_id} could not be found.")
    session.delete(image)


def properties(image):
    try:
        return json.loads(image.properties or "{}")
    except ValueError:
        return {}
