"""Servers: create, find, list, change and delete, independent of HTTP.

Everything a create needs (flavor and image checks, placement on a host,
fixed IP and MAC) happens in the caller's one write transaction, so a
server either exists whole or not at all.
"""

import dataclasses
import datetime
import json
import re
import secrets
import string
import uuid

import sqlalchemy as sa

from nova import exception
from nova.compute import driver as driver_mod
from nova.compute import flavors as flavor_service
from nova.compute import hosts as host_service
from nova.compute import images as image_service
from nova.compute import quotas
from nova.compute import server_groups
from nova.compute import states
from nova.db import api as db_api
from nova.db.models import (STATE_COLUMNS, Instance, InstanceFault,
                            InstanceMetadata, InstanceTag, KeyPair, utcnow)

# [quota] metadata_items' default: the limit when no configuration is given
# (set_metadata without conf).
MAX_METADATA_ITEMS = 128
MAX_TAGS = 50


def not_found(server_id):
    return exception.NotFound(f"Instance {server_id} could not be found.")


def conflict_state(action, server_id, attr, state):
    return exception.Conflict(
        f"Cannot '{action}' instance {server_id} while it is in {attr} "
        f"{state}")


# The form every client sends: checked without building a UUID object.
_CANONICAL_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{12}")


def is_uuid(value):
    if isinstance(value, str) and _CANONICAL_UUID.fullmatch(value):
        return True
    try:
        uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


# -- lookup -------------------------------------------------------------------

def get(session, server_id, *, project_id=None, read_deleted=False,
        for_update=False):
    """The server, or 404; ``project_id`` None means any project."""
    if not is_uuid(server_id):
        raise not_found(server_id)
    query = sa.select(Instance).where(Instance.uuid == server_id)
    if not read_deleted:
        query = query.where(Instance.deleted == 0)
    if project_id is not None:
        query = query.where(Instance.project_id == project_id)
    if for_update:
        query = query.with_for_update()
    instance = session.execute(query).scalar()
    if instance is None:
        raise not_found(server_id)
    return instance


# The reads of a detailed view, built once (an expanding IN of uuids):
# ``nova.db.api.rows`` runs them in an ORM session or a ``Transaction``.
_UUIDS = sa.bindparam("uuids", expanding=True)
_METADATA = sa.select(InstanceMetadata.instance_uuid, InstanceMetadata.key,
                      InstanceMetadata.value).where(
    InstanceMetadata.instance_uuid.in_(_UUIDS))
_TAGS = sa.select(InstanceTag.instance_uuid, InstanceTag.tag).where(
    InstanceTag.instance_uuid.in_(_UUIDS)).order_by(InstanceTag.tag)
_FAULTS = sa.select(InstanceFault.__table__).where(
    InstanceFault.instance_uuid.in_(_UUIDS)).order_by(InstanceFault.id)
_SERVERS = sa.select(Instance.__table__).where(Instance.uuid.in_(_UUIDS))


def metadata_of(session, uuids):
    found = {u: {} for u in uuids}
    if uuids:
        for u, key, value in db_api.rows(session, _METADATA,
                                         {"uuids": list(uuids)}):
            found[u][key] = value
    return found


def tags_of(session, uuids):
    found = {u: [] for u in uuids}
    if uuids:
        for u, tag in db_api.rows(session, _TAGS, {"uuids": list(uuids)}):
            found[u].append(tag)
    return found


def fault_of(session, uuids):
    """{uuid: its latest fault row} of the servers that have one."""
    found = {}
    if uuids:
        for fault in db_api.rows(session, _FAULTS, {"uuids": list(uuids)}):
            found[fault.instance_uuid] = fault
    return found


# -- listing ------------------------------------------------------------------

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
    # Accepted as upstream does, with nothing to sort by here.
    "auto_disk_config": sa.literal(0), "kernel_id": sa.literal(""),
    "progress": sa.literal(0), "ramdisk_id": sa.literal(""),
    "root_device_name": sa.literal(""), "vm_mode": sa.literal(""),
}
ADMIN_SORT_KEYS = ("host", "node")


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
        conds.append(sa.not_(sa.and_(
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


def list_servers(session, req, network=None):
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


# What identifies one server's detailed view, for the handlers' memo of
# rendered servers (nova/api/compute/handlers/servers.py): its id, its
# revision (which moves on every change of the row, and every change of
# its metadata, tags, addresses and faults touches the row), whether its
# pending transition is due (the state shown depends on the clock), and
# its image (whose properties the view shows from 2.98).
# "due" is worked out by the database against the bound "now" (no
# timestamp to convert per row): 1 when the pending transition is due, plus
# 2 when the later one (then_deadline) is.
def _due_column():
    now = sa.bindparam("now", type_=Instance.task_deadline.type)
    return (sa.case((Instance.task_deadline <= now, 1), else_=0)
            + sa.case((Instance.then_deadline <= now, 2), else_=0)
            ).label("due")


PAGE_KEY_COLUMNS = (Instance.uuid, Instance.revision, _due_column(),
                    Instance.image_ref)


def due_of(instance, now):
    """``due`` of a whole row, as PAGE_KEY_COLUMNS computes it."""
    due = 0
    if instance.task_deadline is not None and instance.task_deadline <= now:
        due += 1
    if instance.then_deadline is not None and instance.then_deadline <= now:
        due += 2
    return due


def list_page_keys(db, req):
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


# What a view's state fields are made of (views.servers.state_fields).
STATE_VIEW_COLUMNS = tuple(
    Instance.__table__.c[name] for name in sorted(STATE_COLUMNS)) + (
    Instance.then_deadline, Instance.then_vm_state, Instance.then_power_state,
    Instance.created_at, Instance.launched_at)

_SHOW_KEY = sa.select(*PAGE_KEY_COLUMNS, Instance.project_id,
                      Instance.user_id, Instance.view_revision,
                      *STATE_VIEW_COLUMNS).where(
    Instance.uuid == sa.bindparam("uuid"), Instance.deleted == 0)


def show_key(db, server_id):
    """``PAGE_KEY_COLUMNS``, the owner, ``view_revision`` and
    ``STATE_VIEW_COLUMNS`` of a server not deleted, or None; a statement
    compiled once (``Database.first``)."""
    if not is_uuid(server_id):
        return None
    return db.first(_SHOW_KEY, {"uuid": server_id, "now": utcnow()})


def servers_by_uuid(session, uuids, network=None):
    """(rows, {uuid: [FixedIP]}) of the given servers, in no given order;
    ``session``: an ORM session or a ``nova.db.api.Transaction``."""
    if not uuids:
        return [], {}
    rows = db_api.rows(session, _SERVERS, {"uuids": list(uuids)})
    addresses = network.addresses(session, [r.uuid for r in rows]) \
        if network else {}
    return rows, addresses


# -- changes outside the ORM ----------------------------------------------

class Editable:
    """A server row read for a change in a ``nova.db.api.Transaction``:
    its columns as attributes, every assignment that changes a value
    remembered, written by ``save`` (the hot actions: a reboot is a state
    check, a transition and an instance-action record, no ORM)."""

    def __init__(self, row):
        self.__dict__.update(row._asdict())
        self.__dict__["_changes"] = {}

    def __setattr__(self, name, value):
        if name not in self.__dict__:
            raise AttributeError(f"servers have no column {name!r}")
        if self.__dict__[name] != value or type(
                self.__dict__[name]) is not type(value):
            self.__dict__[name] = value
            self._changes[name] = value


_ROW = sa.select(Instance.__table__).where(
    Instance.uuid == sa.bindparam("uuid"), Instance.deleted == 0)
_ROW_LOCKED = {
    False: _ROW.with_for_update(),
    True: _ROW.where(Instance.project_id == sa.bindparam("project_id"))
    .with_for_update()}
_UPDATES = {}  # the changed columns -> UPDATE statement


def get_editable(tx, server_id, *, project_id=None):
    """The server (not deleted), locked for the transaction ``tx``, as an
    ``Editable``; 404 as ``get``."""
    if not is_uuid(server_id):
        raise not_found(server_id)
    row = tx.first(_ROW_LOCKED[project_id is not None],
                   {"uuid": server_id, "project_id": project_id})
    if row is None:
        raise not_found(server_id)
    return Editable(row)


def save(tx, server):
    """Write what changed of an ``Editable``, moving its revision (as the
    ORM's version counter does, and checked the same way)."""
    changes = server._changes
    if not changes:
        return
    if not changes.keys() <= STATE_COLUMNS:
        # More than the state: the view's other fields may change too.
        changes["view_revision"] = server.revision + 1
    names = tuple(sorted(changes))
    statement = _UPDATES.get(names)
    if statement is None:
        table = Instance.__table__
        statement = _UPDATES[names] = sa.update(table).where(
            table.c.id == sa.bindparam("w_id"),
            table.c.revision == sa.bindparam("w_revision")).values(
            {**{name: sa.bindparam("v_" + name, type_=table.c[name].type)
                for name in names},
             "revision": sa.bindparam("w_next")})
    params = {"v_" + name: value for name, value in changes.items()}
    params.update(w_id=server.id, w_revision=server.revision,
                  w_next=server.revision + 1)
    if tx.run(statement, params) != 1:
        raise exception.ConcurrentUpdate()
    server.__dict__["revision"] += 1
    if "view_revision" in changes:
        server.__dict__["view_revision"] = changes["view_revision"]
    changes.clear()


# -- create -------------------------------------------------------------------

@dataclasses.dataclass
class CreateRequest:
    name: str
    flavor_ref: str
    image_ref: str
    project_id: str
    user_id: str
    is_admin: bool
    key_name: str | None = None
    user_data: str | None = None
    metadata: dict = dataclasses.field(default_factory=dict)
    availability_zone: str | None = None
    host: str | None = None
    networks: object = "auto"  # "auto", "none", or [{"uuid", "fixed_ip"}]
    security_groups: tuple = ("default",)
    config_drive: bool = False
    description: str | None = None
    tags: tuple = ()
    hostname: str | None = None
    min_count: int = 1
    max_count: int = 1
    admin_pass: str | None = None
    access_ip_v4: str | None = None
    access_ip_v6: str | None = None
    scheduler_hints: dict = dataclasses.field(default_factory=dict)
    trusted_certs: list | None = None
    # Personality (before 2.57): [(path, decoded content)], checked
    # against the injected_file* quotas, not stored.
    injected_files: list = dataclasses.field(default_factory=list)


def generate_password(length=12):
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _sanitize_hostname(name):
    """Upstream's hostname from a display name: lowercase, [a-z0-9-]."""
    out = []
    for char in name.lower():
        if char.isascii() and (char.isalnum() or char == "-"):
            out.append(char)
        elif char in " _.":
            out.append("-")
    hostname = "".join(out).strip("-")[:63].strip("-")
    return hostname or "server"


def _group(session, req):
    """The server group of the ``group`` hint (400 when there is none)."""
    group_id = req.scheduler_hints.get("group")
    if not group_id:
        return None
    try:
        return server_groups.get(
            session, group_id,
            project_id=None if req.is_admin else req.project_id)
    except exception.NotFound as exc:
        raise exception.Invalid(exc.message) from None


def create(session, req, *, driver, network, conf):
    """Create ``req.min_count`` to ``req.max_count`` servers; return them.

    As many as the project's quota allows between the two (403 below
    ``min_count``), each placed by capacity and by its server group's
    policy, all in the caller's transaction.
    """
    try:
        flavor = flavor_service.get(session, req.flavor_ref,
                                    project_id=req.project_id,
                                    is_admin=req.is_admin)
    except exception.NotFound:
        raise exception.Invalid(
            f"Flavor {req.flavor_ref} could not be found.") from None
    image = image_service.find(session, req.image_ref,
                               project_id=req.project_id,
                               is_admin=req.is_admin) \
        if req.image_ref else None
    if image is None:
        raise exception.Invalid("Can not find requested image")
    if flavor.memory_mb < image.min_ram:
        raise exception.Invalid("Flavor's memory is too small for requested "
                                "image.")
    if flavor.root_gb and flavor.root_gb < image.min_disk:
        raise exception.Invalid("Flavor's disk is too small for requested "
                                "image.")
    key = None
    if req.key_name is not None:
        key = session.execute(sa.select(KeyPair).where(
            KeyPair.user_id == req.user_id,
            KeyPair.name == req.key_name)).scalar()
        if key is None:
            raise exception.Invalid("Invalid key_name provided.")
    requested_nets = _requested_networks(req, network)
    if req.availability_zone and req.host is None:
        driver.sync_hosts(session)
        host_service.check_zone_available(session, req.availability_zone)
    quotas.check_metadata_items(session, conf, req.project_id, req.user_id,
                                len(req.metadata))
    quotas.check_injected_files(session, conf, req.project_id, req.user_id,
                                req.injected_files)
    group = _group(session, req)
    # The project's quota lock, then the group's: held until commit.
    count = quotas.check_instances(
        session, conf, req.project_id, req.user_id, flavor.vcpus,
        flavor.memory_mb, req.min_count, req.max_count)
    placement = None
    if group is not None:
        quotas.check_group_members(session, conf, req.project_id,
                                   req.user_id, group, count)
        # Deleted between our first look and the lock (delete takes it).
        if not server_groups.exists(session, group.id):
            raise exception.Invalid(server_groups.not_found(group.uuid)
                                    .message)
        placement = server_groups.Placement.of(session, group)
    specs = flavor_service.extra_specs(session, [flavor.id])[flavor.id]
    flavor_json = json.dumps({
        "flavorid": flavor.flavorid, "name": flavor.name,
        "memory_mb": flavor.memory_mb, "vcpus": flavor.vcpus,
        "root_gb": flavor.root_gb, "ephemeral_gb": flavor.ephemeral_gb,
        "swap": flavor.swap, "extra_specs": specs})
    reservation_id = "r-" + secrets.token_hex(4)
    now = utcnow()
    created = []
    for index in range(count):
        name = req.name if count == 1 else f"{req.name}-{index + 1}"
        hostname = req.hostname or _sanitize_hostname(req.name)
        if count > 1:
            hostname = f"{hostname}-{index + 1}"
        instance = Instance(
            uuid=str(uuid.uuid4()), project_id=req.project_id,
            user_id=req.user_id, display_name=name,
            display_description=req.description, hostname=hostname,
            image_ref=image.id, flavor=flavor_json, flavorid=flavor.flavorid,
            vcpus=flavor.vcpus, memory_mb=flavor.memory_mb,
            root_gb=flavor.root_gb, ephemeral_gb=flavor.ephemeral_gb,
            key_name=key.name if key else None,
            key_data=key.public_key if key else None,
            key_type=key.type if key else None,
            user_data=req.user_data, vm_state=states.BUILDING,
            task_state="scheduling", power_state=driver_mod.NOSTATE,
            locked=False, config_drive="True" if req.config_drive else "",
            access_ip_v4=req.access_ip_v4, access_ip_v6=req.access_ip_v6,
            launch_index=index, reservation_id=reservation_id,
            security_groups=json.dumps(list(req.security_groups)),
            # Upstream pins a server to the zone it was asked for (2.96).
            pinned_availability_zone=req.availability_zone,
            scheduler_hints=json.dumps(req.scheduler_hints),
            trusted_certs=(json.dumps(req.trusted_certs)
                           if req.trusted_certs is not None else None),
            admin_password=None, created_at=now, updated_at=now, deleted=0)
        session.add(instance)
        created.append(instance)
    # Upstream's scheduler places every server of the request or none
    # (NoValidHost for the request), and the conductor then puts all of
    # them in ERROR with the fault; min_count only bounds what the quota
    # may cut max_count to.
    placed = []
    for instance in created:
        host = driver.place(session, instance, zone=req.availability_zone,
                            host=req.host, group=placement)
        if host is None:
            break
        if placement is not None:
            placement.placed(host)
        placed.append(instance)
    session.flush()
    if len(placed) < len(created):
        for instance in placed:
            driver.release(session, instance)
            instance.host = None
        for instance in created:
            _fail_no_host(session, instance, req, conf)
    else:
        for instance in created:
            driver.spawn(instance)
            # Like upstream, a server that found no host gets no port.
            for net in requested_nets:
                network.allocate(session, instance.uuid, net.get("fixed_ip"))
    for instance in created:
        for key_, value in req.metadata.items():
            session.add(InstanceMetadata(instance_uuid=instance.uuid,
                                         key=key_, value=value))
        for tag in dict.fromkeys(req.tags):
            session.add(InstanceTag(instance_uuid=instance.uuid, tag=tag))
        if group is not None:
            server_groups.add_member(session, group, instance.uuid)
    session.flush()
    return created, reservation_id


def _fail_no_host(session, instance, req, conf):
    instance.vm_state = states.ERROR
    instance.task_state = None
    instance.availability_zone = (req.availability_zone or
                                  conf.compute.default_availability_zone)
    session.add(InstanceFault(
        instance_uuid=instance.uuid, code=500,
        message="No valid host was found. There are not enough hosts "
                "available.",
        details=""))


def _requested_networks(req, network):
    if req.networks == "none":
        return []
    if req.networks == "auto":
        return [{"uuid": network.uuid}]
    nets = []
    for entry in req.networks:
        if entry.get("port"):
            raise exception.Invalid(
                f"Port {entry['port']} could not be found.")
        if entry.get("uuid") != network.uuid:
            raise exception.Invalid(
                f"Network {entry.get('uuid')} could not be found.")
        nets.append(entry)
    if len(nets) > 1 and any(n.get("fixed_ip") for n in nets):
        fixed = [n["fixed_ip"] for n in nets if n.get("fixed_ip")]
        if len(set(fixed)) != len(fixed):
            raise exception.Invalid(
                "Fixed IP address requested more than once.")
    return nets


# -- changes ----------------------------------------------------------------------

def delete(session, instance, *, driver, network):
    now = utcnow()
    driver.release(session, instance)
    network.release(session, instance.uuid)
    instance.vm_state = states.DELETED
    instance.task_state = None
    instance.power_state = driver_mod.NOSTATE
    instance.task_deadline = None
    instance.next_vm_state = None
    instance.next_power_state = None
    instance.terminated_at = now
    instance.deleted_at = now
    instance.updated_at = now
    instance.deleted = instance.id


def set_metadata(session, instance, items, replace=False, conf=None):
    """Merge (or with ``replace``, replace) the server's metadata; 403 past
    the metadata_items quota of the server's project and user (with no
    ``conf``: past [quota] metadata_items' default)."""
    existing = {row.key: row for row in session.execute(
        sa.select(InstanceMetadata).where(
            InstanceMetadata.instance_uuid == instance.uuid)).scalars()}
    final = dict(items) if replace else {
        **{k: r.value for k, r in existing.items()}, **items}
    if conf is not None:
        quotas.check_metadata_items(session, conf, instance.project_id,
                                    instance.user_id, len(final))
    elif len(final) > MAX_METADATA_ITEMS:
        raise exception.QuotaExceeded(
            f"Maximum number of metadata items exceeds {MAX_METADATA_ITEMS}")
    for key, row in existing.items():
        if key not in final:
            session.delete(row)
        elif row.value != final[key]:
            row.value = final[key]
    for key, value in final.items():
        if key not in existing:
            session.add(InstanceMetadata(instance_uuid=instance.uuid,
                                         key=key, value=value))
    instance.updated_at = utcnow()
    session.flush()
    return final


def delete_metadata(session, instance, key):
    row = session.execute(sa.select(InstanceMetadata).where(
        InstanceMetadata.instance_uuid == instance.uuid,
        InstanceMetadata.key == key)).scalar()
    if row is None:
        raise exception.NotFound("Metadata item was not found")
    session.delete(row)
    instance.updated_at = utcnow()


def set_tags(session, instance, tags):
    tags = list(dict.fromkeys(tags))
    if len(tags) > MAX_TAGS:
        raise exception.Invalid(
            f"The number of tags exceeded the per-server limit {MAX_TAGS}")
    session.execute(sa.delete(InstanceTag).where(
        InstanceTag.instance_uuid == instance.uuid))
    for tag in tags:
        session.add(InstanceTag(instance_uuid=instance.uuid, tag=tag))
    instance.updated_at = utcnow()
    session.flush()
    return sorted(tags)


def add_tag(session, instance, tag):
    current = tags_of(session, [instance.uuid])[instance.uuid]
    if tag in current:
        return False
    if len(current) >= MAX_TAGS:
        raise exception.Invalid(
            f"The number of tags exceeded the per-server limit {MAX_TAGS}")
    session.add(InstanceTag(instance_uuid=instance.uuid, tag=tag))
    instance.updated_at = utcnow()
    session.flush()
    return True


def delete_tag(session, instance, tag):
    deleted = session.execute(sa.delete(InstanceTag).where(
        InstanceTag.instance_uuid == instance.uuid,
        InstanceTag.tag == tag)).rowcount
    if not deleted:
        raise exception.NotFound(
            f"Tag {tag} could not be found for instance {instance.uuid}.")
    instance.updated_at = utcnow()


# -- actions ----------------------------------------------------------------------

def check_state(instance, action, vm_states, task_states=(None,)):
    if instance.vm_state not in vm_states:
        raise conflict_state(action, instance.uuid, "vm_state",
                             instance.vm_state)
    if task_states is not None and instance.task_state not in task_states:
        raise conflict_state(action, instance.uuid, "task_state",
                             instance.task_state)


def reboot(instance, hard, driver):
    soft_ok = (states.ACTIVE,)
    hard_ok = (states.ACTIVE, states.STOPPED, states.PAUSED,
               states.SUSPENDED, states.ERROR)
    if hard:
        check_state(instance, "reboot", hard_ok,
                    (None, *states.REBOOT_TASKS, "reboot_pending_hard",
                     "reboot_started_hard"))
    else:
        if instance.vm_state not in soft_ok:
            raise conflict_state("reboot", instance.uuid, "vm_state",
                                 instance.vm_state)
        check_state(instance, "reboot", soft_ok, (None,))
    driver.reboot(instance, hard)


def stop(instance, driver):
    check_state(instance, "stop", (states.ACTIVE, states.ERROR))
    driver.power_off(instance)


def start(instance, driver):
    check_state(instance, "start", (states.STOPPED,))
    driver.power_on(instance)
