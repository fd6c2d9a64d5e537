"""Flavors: storage and rules, independent of HTTP.

Functions take a session (``db.reader()``/``db.writer()``) and plain
values, and raise ``nova.exception`` errors with upstream's messages.
"""

from __future__ import annotations

import datetime
import uuid
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from nova import exception
from nova.db.models import Flavor, FlavorExtraSpec, FlavorProject

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping, Sequence

    from sqlalchemy.orm import Session

    from nova.db.api import Database
    from nova.db.statements import Record

_EPOCH = sa.literal(datetime.datetime(1970, 1, 1))
# Sort expressions never NULL, so keyset pagination compares the same way
# on SQLite, MariaDB and PostgreSQL (which order NULLs differently).
SORT_COLUMNS = {
    "created_at": Flavor.created_at,
    "description": sa.func.coalesce(Flavor.description, ""),
    "disabled": Flavor.disabled, "ephemeral_gb": Flavor.ephemeral_gb,
    "flavorid": Flavor.flavorid, "id": Flavor.id,
    "is_public": Flavor.is_public, "memory_mb": Flavor.memory_mb,
    "name": Flavor.name, "root_gb": Flavor.root_gb,
    "rxtx_factor": Flavor.rxtx_factor, "swap": Flavor.swap,
    "updated_at": sa.func.coalesce(Flavor.updated_at, _EPOCH),
    "vcpu_weight": sa.func.coalesce(Flavor.vcpu_weight, -1),
    "vcpus": Flavor.vcpus,
}


def not_found(flavorid: str) -> exception.NotFound:
    return exception.NotFound(f"Flavor {flavorid} could not be found.")


def _accessible(project_id):
    """Public flavors, or private ones shared with ``project_id``."""
    shared = sa.select(FlavorProject.flavor_id).where(
        FlavorProject.project_id == project_id)
    return sa.or_(Flavor.is_public.is_(True), Flavor.id.in_(shared))


_STATEMENTS = {}  # the shapes of list queries, built once each
_NO_LIMIT = 2 ** 31 - 1  # a LIMIT every backend binds


def _list_statement(shape):
    """The list query for ``shape``, with bind parameters for the values."""
    statement = _STATEMENTS.get(shape)
    if statement is not None:
        return statement
    (accessible, only_private, min_ram, min_disk, sort_key, descending,
     marker) = shape
    statement = sa.select(*Flavor.__table__.columns).where(
        Flavor.disabled.is_(False))
    if accessible:
        statement = statement.where(sa.or_(
            Flavor.is_public.is_(True),
            Flavor.id.in_(sa.select(FlavorProject.flavor_id).where(
                FlavorProject.project_id == sa.bindparam("project_id")))))
    elif only_private:
        statement = statement.where(Flavor.is_public.is_(False))
    if min_ram:
        statement = statement.where(
            Flavor.memory_mb >= sa.bindparam("min_ram"))
    if min_disk:
        statement = statement.where(
            Flavor.root_gb >= sa.bindparam("min_disk"))
    column = SORT_COLUMNS[sort_key]
    if marker:
        value, row_id = sa.bindparam("marker_value"), sa.bindparam(
            "marker_id")
        after = ((column < value) | ((column == value) & (Flavor.id < row_id))
                 if descending else
                 (column > value) | ((column == value) & (Flavor.id > row_id)))
        statement = statement.where(after)
    order = [column.desc() if descending else column.asc(),
             Flavor.id.desc() if descending else Flavor.id.asc()]
    statement = statement.order_by(*order).limit(sa.bindparam("limit"))
    _STATEMENTS[shape] = statement
    return statement


_MARKERS = {}  # sort key -> the statement reading a marker's sort value


def _marker_statement(sort_key):
    statement = _MARKERS.get(sort_key)
    if statement is None:
        statement = _MARKERS[sort_key] = sa.select(
            SORT_COLUMNS[sort_key].label("value"), Flavor.id).where(
            Flavor.flavorid == sa.bindparam("marker"))
    return statement


def list_flavors(db: Database, *, project_id: str | None, is_admin: bool,
                 is_public: bool | None = True, min_ram: int | None = None,
                 min_disk: int | None = None, sort_key: str = "flavorid",
                 sort_dir: str = "asc", limit: int = 1000,
                 marker: str | None = None,
                 name_filter: Callable[[str], object] | None = None
                 ) -> Sequence[Record]:
    """Rows (named tuples of the flavor's columns) of one page of flavors.

    ``db`` is the ``nova.db.api.Database``: each statement is compiled
    once and run the cheap way (``Database.all``). Upstream: "public" also
    means "private but shared with my project", for admins too; only
    admins may ask for private ones (False) or all (None).
    ``name_filter``: the names kept (upstream's REGEXP on the name, which
    not every database has): the rows after the marker are read and
    filtered here, then the page is cut.
    """
    params = {"project_id": project_id, "min_ram": min_ram,
              "min_disk": min_disk, "limit": limit}
    if marker is not None:
        found = db.first(_marker_statement(sort_key), {"marker": marker})
        if found is None:
            raise exception.Invalid(f"marker [{marker}] not found")
        params["marker_value"], params["marker_id"] = found
    shape = (not is_admin or is_public is True,
             bool(is_admin and is_public is False),
             min_ram is not None, min_disk is not None, sort_key,
             sort_dir == "desc", marker is not None)
    if name_filter is None:
        return db.all(_list_statement(shape), params)
    params["limit"] = _NO_LIMIT
    rows = db.all(_list_statement(shape), params)
    return [row for row in rows if name_filter(row.name)][:limit]


def get(session: Session, flavorid: str, *, project_id: str | None = None,
        is_admin: bool = True) -> Flavor:
    query = sa.select(Flavor).where(Flavor.flavorid == flavorid)
    if not is_admin:
        query = query.where(_accessible(project_id))
    flavor = session.execute(query).scalar()
    if flavor is None:
        raise not_found(flavorid)
    return flavor


def extra_specs(session: Session, flavor_ids: Collection[int]
                ) -> dict[int, dict[str, str]]:
    """{flavor row id: {key: value}} for the given flavor row ids."""
    specs = {fid: {} for fid in flavor_ids}
    if not flavor_ids:
        return specs
    rows = session.execute(
        sa.select(FlavorExtraSpec.flavor_id, FlavorExtraSpec.key,
                  FlavorExtraSpec.value)
        .where(FlavorExtraSpec.flavor_id.in_(list(flavor_ids))))
    for fid, key, value in rows:
        specs[fid][key] = value
    return specs


def create(session: Session, *, name: str, flavorid: str | None,
           memory_mb: int, vcpus: int, root_gb: int, ephemeral_gb: int = 0,
           swap: int = 0, rxtx_factor: float = 1.0, is_public: bool = True,
           description: str | None = None) -> Flavor:
    if flavorid is None:
        flavorid = str(uuid.uuid4())
    clash = session.execute(
        sa.select(Flavor.name, Flavor.flavorid).where(
            sa.or_(Flavor.name == name, Flavor.flavorid == flavorid))).first()
    if clash is not None:
        raise _conflict(name, flavorid, clash.name == name)
    flavor = Flavor(name=name, flavorid=flavorid, memory_mb=memory_mb,
                    vcpus=vcpus, root_gb=root_gb, ephemeral_gb=ephemeral_gb,
                    swap=swap, rxtx_factor=rxtx_factor, is_public=is_public,
                    disabled=False, description=description)
    session.add(flavor)
    try:
        session.flush()
    except sa_exc.IntegrityError:
        # A concurrent create won the race for the name or the id.
        raise _conflict(name, flavorid, True) from None
    return flavor


def _conflict(name, flavorid, by_name):
    if by_name:
        return exception.Conflict(f"Flavor with name {name} already exists.")
    return exception.Conflict(f"Flavor with ID {flavorid} already exists.")


def delete(session: Session, flavorid: str) -> None:
    flavor = get(session, flavorid)
    session.delete(flavor)


def set_extra_specs(session: Session, flavor: Flavor,
                    specs: Mapping[str, str]) -> None:
    existing = {row.key: row for row in session.execute(
        sa.select(FlavorExtraSpec).where(
            FlavorExtraSpec.flavor_id == flavor.id)).scalars()}
    for key, value in specs.items():
        if key in existing:
            existing[key].value = value
        else:
            session.add(FlavorExtraSpec(flavor_id=flavor.id, key=key,
                                        value=value))
    session.flush()


def delete_extra_spec(session: Session, flavor: Flavor, key: str) -> None:
    row = session.execute(sa.select(FlavorExtraSpec).where(
        FlavorExtraSpec.flavor_id == flavor.id,
        FlavorExtraSpec.key == key)).scalar()
    if row is None:
        raise exception.NotFound(
            f"Flavor {flavor.flavorid} has no extra specs with key {key}.")
    session.delete(row)


def access_list(session: Session, flavor: Flavor) -> list[str]:
    return [row for row in session.execute(
        sa.select(FlavorProject.project_id).where(
            FlavorProject.flavor_id == flavor.id)
        .order_by(FlavorProject.project_id)).scalars()]


def add_access(session: Session, flavor: Flavor, project_id: str) -> None:
    exists = session.execute(sa.select(FlavorProject.id).where(
        FlavorProject.flavor_id == flavor.id,
        FlavorProject.project_id == project_id)).first()
    if exists:
        raise exception.Conflict(
            f"Flavor access already exists for flavor {flavor.flavorid} and "
            f"project {project_id} combination.")
    session.add(FlavorProject(flavor_id=flavor.id, project_id=project_id))
    session.flush()


def remove_access(session: Session, flavor: Flavor, project_id: str) -> None:
    row = session.execute(sa.select(FlavorProject).where(
        FlavorProject.flavor_id == flavor.id,
        FlavorProject.project_id == project_id)).scalar()
    if row is None:
        raise exception.NotFound(
            f"Flavor access not found for {flavor.flavorid} / {project_id} "
            f"combination.")
    session.delete(row)
