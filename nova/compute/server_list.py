"""Listing servers: filters, sort keys, pages and markers; and the keys
of a page (what identifies each server's view, ``nova.db.revisions``)
read without whole rows for the render cache.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from nova import exception
from nova.compute import driver as driver_mod
from nova.compute.servers import is_uuid
from nova.db.models import Instance, InstanceTag, utcnow
from nova.db.revisions import PAGE_KEY_COLUMNS, STATE_VIEW_COLUMNS

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.engine import Row
    from sqlalchemy.orm import Session

    from nova.compute.network import FlatNetwork
    from nova.db.api import Database
    from nova.db.statements import Record

SORT_KEYS = {
    "access_ip_v4": sa.func.coalesce(Instance.access_ip_v4, ""),
    "access_ip_v6": sa.func.coalesce(Instance.access_ip_v6, ""),
    "availability_zone": sa.func.coalesce(Instance.availability_zone, ""),
    "config_drive": Instance.config_drive,
    "created_at": Instance.created_at,
    "display_description": sa.func.coalesce(Instance.display_description,
                                            ""),
    "display_name": Instance.display_name,
    "host": sa.func.coalesce(Instance.host, ""),
    "hostname": Instance.hostname,
    "image_ref": Instance.image_ref,
    "instance_type_id": Instance.flavorid,
    "key_name": sa.func.coalesce(Instance.key_name, ""),
    "launch_index": Instance.launch_index,
    "launched_at": sa.func.coalesce(Instance.launched_at,
                                    datetime.datetime(1970, 1, 1)),
    "locked": Instance.locked,
    "locked_by": sa.func.coalesce(Instance.locked_by, ""),
    "node": sa.func.coalesce(Instance.host, ""),
    "power_state": Instance.power_state,
    "project_id": Instance.project_id,
    "task_state": sa.func.coalesce(Instance.task_state, ""),
    "terminated_at": sa.func.coalesce(Instance.terminated_at,
                                      datetime.datetime(1970, 1, 1)),
    "updated_at": sa.func.coalesce(Instance.updated_at,
                                   datetime.datetime(1970, 1, 1)),
    "user_id": Instance.user_id,
    "uuid": Instance.uuid,
    "vm_state": Instance.vm_state,
    "auto_disk_config": Instance.auto_disk_config,
    # Accepted as upstream does, with nothing to sort by here.
    "kernel_id": sa.literal(""),
    "progress": sa.literal(0), "ramdisk_id": sa.literal(""),
    "root_device_name": sa.literal(""),
}
ADMIN_SORT_KEYS = ("host", "node")
# Keys upstream took before it validated sort keys, and then ignored
# (with the direction at the same place) rather than refuse them: until
# 2.72 all of these, "locked" is a real key from 2.73, and from 2.75 the
# others are refused.
IGNORED_SORT_KEYS = (
    "architecture", "cell_name", "cleaned", "default_ephemeral_device",
    "default_swap_device", "deleted", "deleted_at", "disable_terminate",
    "ephemeral_gb", "ephemeral_key_uuid", "id", "key_data", "launched_on",
    "locked", "memory_mb", "os_type", "reservation_id", "root_gb",
    "shutdown_terminate", "user_data", "vcpus", "vm_mode")


@dataclasses.dataclass
class ListRequest:
    project_id: str | None  # None: every project
    user_id: str | None = None
    deleted: bool | None = False  # None: both
    vm_states: tuple | None = None
    task_states: tuple | None = None
    power_states: tuple | None = None
    excluded_tasks: tuple = ()
    image: str | None = None
    flavor: str | None = None
    changes_since: datetime.datetime | None = None
    changes_before: datetime.datetime | None = None
    locked: bool | None = None
    tags: tuple = ()
    tags_any: tuple = ()
    not_tags: tuple = ()
    not_tags_any: tuple = ()
    uuid: str | None = None
    host: str | None = None
    availability_zone: str | None = None
    key_name: str | None = None
    reservation_id: str | None = None
    hostname: str | None = None
    exact: dict = dataclasses.field(default_factory=dict)
    predicates: list = dataclasses.field(default_factory=list)
    ip_predicates: list = dataclasses.field(default_factory=list)
    sort: list = dataclasses.field(
        default_factory=lambda: [("created_at", "desc")])
    limit: int = 1000
    marker: str | None = None
    empty: bool = False  # a filter that can match nothing


def _where(req, now):
    conds = []
    if req.project_id is not None:
        conds.append(Instance.project_id == req.project_id)
    if req.user_id is not None:
        conds.append(Instance.user_id == req.user_id)
    if req.deleted is True:
        conds.append(Instance.deleted != 0)
    elif req.deleted is False:
        conds.append(Instance.deleted == 0)
    if req.vm_states is not None:
        conds.append(driver_mod.vm_state_condition(req.vm_states, now))
    if req.task_states is not None:
        conds.append(driver_mod.task_state_condition(req.task_states, now))
    if req.power_states is not None:
        conds.append(driver_mod.power_state_condition(req.power_states, now))
    if req.excluded_tasks:
        # NULL-safe: a settled server (no task, no deadline) makes
        # "task_state IN (...)" NULL, and NOT NULL would drop it.
        conds.append(sa.not_(sa.and_(
            Instance.task_state.is_not(None),
            Instance.task_state.in_(req.excluded_tasks),
            sa.or_(Instance.task_deadline.is_(None),
                   Instance.task_deadline > now))))
    if req.image is not None:
        conds.append(Instance.image_ref == req.image)
    if req.flavor is not None:
        conds.append(Instance.flavorid == req.flavor)
    effective_updated = sa.case(
        (sa.and_(Instance.task_deadline.is_not(None),
                 Instance.task_deadline <= now), Instance.task_deadline),
        else_=sa.func.coalesce(Instance.updated_at, Instance.created_at))
    if req.changes_since is not None:
        conds.append(effective_updated >= req.changes_since)
    if req.changes_before is not None:
        conds.append(effective_updated <= req.changes_before)
    if req.locked is not None:
        conds.append(Instance.locked.is_(req.locked))
    if req.tags:
        # One subquery whatever the number of tags (one per tag would nest
        # past the database's expression depth limit).
        conds.append(Instance.uuid.in_(
            sa.select(InstanceTag.instance_uuid)
            .where(InstanceTag.tag.in_(req.tags))
            .group_by(InstanceTag.instance_uuid)
            .having(sa.func.count(sa.distinct(InstanceTag.tag))
                    == len(set(req.tags)))))
    if req.tags_any:
        conds.append(Instance.uuid.in_(sa.select(InstanceTag.instance_uuid)
                                       .where(InstanceTag.tag.in_(
                                           req.tags_any))))
    if req.not_tags:
        having_all = (sa.select(InstanceTag.instance_uuid)
                      .where(InstanceTag.tag.in_(req.not_tags))
                      .group_by(InstanceTag.instance_uuid)
                      .having(sa.func.count(sa.distinct(InstanceTag.tag))
                              == len(set(req.not_tags))))
        conds.append(Instance.uuid.not_in(having_all))
    if req.not_tags_any:
        conds.append(Instance.uuid.not_in(
            sa.select(InstanceTag.instance_uuid)
            .where(InstanceTag.tag.in_(req.not_tags_any))))
    for attr in ("uuid", "host", "availability_zone", "key_name",
                 "reservation_id", "hostname"):
        value = getattr(req, attr)
        if value is not None:
            conds.append(getattr(Instance, attr) == value)
    for column, value in req.exact.items():
        conds.append(getattr(Instance, column) == value)
    return conds


def _order(sort):
    order, exprs = [], []
    for key, direction in sort:
        expr = SORT_KEYS[key]
        exprs.append((expr, direction))
        order.append(expr.desc() if direction == "desc" else expr.asc())
    last_dir = sort[-1][1] if sort else "desc"
    order.append(Instance.id.desc() if last_dir == "desc"
                 else Instance.id.asc())
    exprs.append((Instance.id, last_dir))
    return order, exprs


def _after_marker(session, exprs, marker):
    if not is_uuid(marker):
        raise exception.Invalid(f"marker [{marker}] not found")
    values = session.execute(
        sa.select(*[e for e, _d in exprs]).where(Instance.uuid == marker)
    ).first()
    if values is None:
        raise exception.Invalid(f"marker [{marker}] not found")
    directions = {d for _e, d in exprs}
    if len(directions) == 1:
        left = sa.tuple_(*[e for e, _d in exprs])
        right = sa.tuple_(*[sa.literal(v) for v in values])
        return left < right if directions == {"desc"} else left > right
    # Mixed directions: (a after A) or (a = A and b after B) or ...
    clauses = []
    for i, (expr, direction) in enumerate(exprs):
        equal = [exprs[j][0] == values[j] for j in range(i)]
        after = expr < values[i] if direction == "desc" else \
            expr > values[i]
        clauses.append(sa.and_(*equal, after))
    return sa.or_(*clauses)


def list_servers(session: Session, req: ListRequest,
                 network: FlatNetwork | None = None
                 ) -> tuple[Sequence[Row], dict[str, list[Record]]]:
    """A page of servers: (rows, {uuid: [FixedIP]}) in the requested order.

    The rows are read-only (SQLAlchemy ``Row``s with the columns of
    ``instances`` as attributes), not ORM objects: a page of 1,000 servers
    is built without the ORM's per-object bookkeeping.
    """
    if req.empty or req.limit == 0:
        return [], {}
    now = utcnow()
    order, exprs = _order(req.sort)
    query = sa.select(Instance.__table__).where(*_where(req, now))
    if req.marker is not None:
        query = query.where(_after_marker(session, exprs, req.marker))
    query = query.order_by(*order)
    predicates = req.predicates
    if not predicates and not req.ip_predicates:
        rows = session.execute(query.limit(req.limit)).all()
        addresses = network.addresses(session, [r.uuid for r in rows]) \
            if network else {}
        return rows, addresses
    # Regular-expression filters run here, with RE2 (linear time), over
    # batches in sort order until the page is full: bounded work per row.
    page, addresses = [], {}
    batch = max(req.limit * 2, 200)
    offset = 0
    while len(page) < req.limit:
        rows = session.execute(query.limit(batch).offset(offset)).all()
        if not rows:
            break
        offset += len(rows)
        batch_addresses = network.addresses(session, [r.uuid for r in rows]) \
            if network else {}
        for row in rows:
            if not all(p(row) for p in predicates):
                continue
            ips = [ip.address for ip in batch_addresses.get(row.uuid, [])]
            if req.ip_predicates and not all(
                    any(p(ip) for ip in ips) for p in req.ip_predicates):
                continue
            page.append(row)
            addresses[row.uuid] = batch_addresses.get(row.uuid, [])
            if len(page) == req.limit:
                break
    return page, addresses


def list_page_keys(db: Database, req: ListRequest
                   ) -> Sequence[Record] | None:
    """The page ``list_servers`` returns, as ``PAGE_KEY_COLUMNS`` rows.

    Same filters, order and marker, without reading whole rows; None when
    the request has regular-expression filters, which need whole rows.
    ``db`` is the ``Database``. A list filtered by nothing but project,
    user and deletion (what clients ask for almost always) runs a
    statement built and compiled once for its shape (``Database.all``).
    """
    if req.predicates or req.ip_predicates:
        return None
    if req.empty or req.limit == 0:
        return []
    plain = ListRequest(project_id=req.project_id, user_id=req.user_id,
                        deleted=req.deleted, sort=req.sort, limit=req.limit,
                        marker=req.marker)
    if plain == req:
        return _plain_page_keys(db, req)
    order, exprs = _order(req.sort)
    now = utcnow()
    with db.reader() as session:
        query = sa.select(*PAGE_KEY_COLUMNS).where(*_where(req, now))
        if req.marker is not None:
            query = query.where(_after_marker(session, exprs, req.marker))
        return session.execute(query.order_by(*order).limit(req.limit),
                               {"now": now}).all()


_PLAIN = {}  # shape -> (page statement, marker statement or None)


def _plain_statements(shape):
    found = _PLAIN.get(shape)
    if found is not None:
        return found
    by_project, by_user, deleted, sort, with_marker = shape
    conds = []
    if by_project:
        conds.append(Instance.project_id == sa.bindparam("project_id"))
    if by_user:
        conds.append(Instance.user_id == sa.bindparam("user_id"))
    if deleted is True:
        conds.append(Instance.deleted != 0)
    elif deleted is False:
        conds.append(Instance.deleted == 0)
    order, exprs = _order(list(sort))
    marker = None
    if with_marker:
        marker = sa.select(*[e.label(f"m{i}") for i, (e, _d) in
                             enumerate(exprs)]).where(
            Instance.uuid == sa.bindparam("marker"))
        values = [sa.bindparam(f"m{i}", type_=expr.type)
                  for i, (expr, _d) in enumerate(exprs)]
        directions = {d for _e, d in exprs}
        if len(directions) == 1:
            # One direction: a row-value comparison, which the databases
            # answer from the sort index (a deep page costs what the
            # first does).
            left = sa.tuple_(*[e for e, _d in exprs])
            right = sa.tuple_(*values)
            conds.append(left < right if directions == {"desc"}
                         else left > right)
        else:
            # Mixed: (a after A) or (a = A and b after B) or ...
            clauses = []
            for i, (expr, direction) in enumerate(exprs):
                equal = [exprs[j][0] == values[j] for j in range(i)]
                clauses.append(sa.and_(*equal, expr < values[i]
                                       if direction == "desc"
                                       else expr > values[i]))
            conds.append(sa.or_(*clauses))
    page = (sa.select(*PAGE_KEY_COLUMNS).where(*conds).order_by(*order)
            .limit(sa.bindparam("limit")))
    _PLAIN[shape] = found = (page, marker)
    return found


def _plain_page_keys(db, req):
    shape = (req.project_id is not None, req.user_id is not None,
             req.deleted, tuple(req.sort), req.marker is not None)
    page, marker = _plain_statements(shape)
    params = {"project_id": req.project_id, "user_id": req.user_id,
              "limit": req.limit, "now": utcnow()}
    if marker is not None:
        if not is_uuid(req.marker):
            raise exception.Invalid(f"marker [{req.marker}] not found")
        values = db.first(marker, {"marker": req.marker})
        if values is None:
            raise exception.Invalid(f"marker [{req.marker}] not found")
        params.update(values._asdict())
    return db.all(page, params)


_SHOW_KEY = sa.select(*PAGE_KEY_COLUMNS, Instance.project_id,
                      Instance.user_id, Instance.view_revision,
                      *STATE_VIEW_COLUMNS).where(
    Instance.uuid == sa.bindparam("uuid"), Instance.deleted == 0)


def show_key(db: Database, server_id: str) -> Record | None:
    """``PAGE_KEY_COLUMNS``, the owner, ``view_revision`` and
    ``STATE_VIEW_COLUMNS`` of a server not deleted, or None; a statement
    compiled once (``Database.first``)."""
    if not is_uuid(server_id):
        return None
    return db.first(_SHOW_KEY, {"uuid": server_id, "now": utcnow()})
