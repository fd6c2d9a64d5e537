"""Quotas: limits, usage, and their enforcement, independent of HTTP.

Setting limits (os-quota-sets, os-quota-class-sets): ``quota_limits``.

**Limits** resolve most specific first: a user's own limit in a project
(``os-quota-sets/{project}?user_id=``), the project's, the quota class
``default`` (``os-quota-class-sets/default``), then the ``[quota]``
options. -1 means unlimited. With ``[quota] driver =
nova.quota.NoopQuotaDriver`` every limit is -1 and nothing is enforced.

**Usage is counted** from the rows themselves, never stored, so it cannot
drift: a project's servers (``instances``), their vCPUs (``cores``) and MB
of RAM (``ram``), its server groups; a user's key pairs; a group's servers
of one user. A server that rests soft-deleted counts for nothing; one that
rests shelved-offloaded still counts as an instance, but not its cores and
RAM (it holds no host). "Rests": the state as of now with no task in
progress, so a pending unshelve or restore counts in full.

**Never exceeded under concurrent requests.** Every check that lets usage
grow first takes the lock row of what it counts (``lock``: the project for
servers and server groups, the user for key pairs, the group for its
members): an upsert of a row of ``quota_locks``, whose row lock the
transaction then holds until it commits or rolls back. A second request
for the same project waits there, and counts only once the first has
committed, so it sees what the first created. Counting after the lock sees
every committed row: PostgreSQL and MariaDB run at READ COMMITTED (set in
nova.db.engine), SQLite writers hold the database lock from BEGIN IMMEDIATE.
So: call the checks inside the write transaction that makes the change,
before making it, and make the change in that same transaction. Locks are
always taken in the order instance row (actions), project, group, hosts,
so requests never wait on each other in a cycle.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import sqlalchemy as sa

from nova import exception
from nova.compute import states
from nova.conf import quota as quota_conf
from nova.db.models import (
    Instance,
    InstanceGroup,
    InstanceGroupMember,
    KeyPair,
    Quota,
    QuotaClass,
    QuotaLock,
    utcnow,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from oslo_config import cfg
    from sqlalchemy.orm import Session

UNLIMITED = -1
DEFAULT_CLASS = "default"

# Every resource, in upstream's order (by name).
RESOURCES = (
    "cores", "fixed_ips", "floating_ips", "injected_file_content_bytes",
    "injected_file_path_bytes", "injected_files", "instances", "key_pairs",
    "metadata_items", "ram", "security_group_rules", "security_groups",
    "server_group_members", "server_groups")
# nova-network's: unlimited unless set, never used, gone from the API at
# 2.36 (os-quota-sets, limits) and 2.50 (os-quota-class-sets).
NETWORK_RESOURCES = ("fixed_ips", "floating_ips", "security_group_rules",
                     "security_groups")
INJECTED_FILE_RESOURCES = ("injected_file_content_bytes",
                           "injected_file_path_bytes", "injected_files")
# Limits of the project only: a per-user value is stored for the project.
PER_PROJECT = ("fixed_ips", "floating_ips")
_OPTION = {"injected_file_path_bytes": "injected_file_path_length"}
_INSTANCE_RESOURCES = ("cores", "instances", "ram")
_USAGE_KEYS = ("instances", "cores", "ram")


def enforced(conf: cfg.ConfigOpts) -> bool:
    return conf.quota.driver != quota_conf.NOOP_DRIVER


def _unlimited():
    return dict.fromkeys(RESOURCES, UNLIMITED)


# -- limits -------------------------------------------------------------------

def config_defaults(conf: cfg.ConfigOpts) -> dict[str, int]:
    values = {}
    for resource in RESOURCES:
        if resource in NETWORK_RESOURCES:
            values[resource] = UNLIMITED
        else:
            values[resource] = getattr(conf.quota,
                                       _OPTION.get(resource, resource))
    return values


def class_limits(session: Session, conf: cfg.ConfigOpts,
                 class_name: str) -> dict[str, int]:
    """A quota class's limits: its own rows over the [quota] options."""
    if not enforced(conf):
        return _unlimited()
    values = config_defaults(conf)
    for resource, limit in session.execute(
            sa.select(QuotaClass.resource, QuotaClass.hard_limit)
            .where(QuotaClass.class_name == class_name)):
        if resource in values:
            values[resource] = limit
    return values


def defaults(session: Session, conf: cfg.ConfigOpts) -> dict[str, int]:
    return class_limits(session, conf, DEFAULT_CLASS)


def stored_limits(session: Session, project_id: str
                  ) -> dict[str, dict[str, int]]:
    """{user_id or '': {resource: limit}} of a project's own limits."""
    found = {}
    for user, resource, limit in session.execute(
            sa.select(Quota.user_id, Quota.resource, Quota.hard_limit)
            .where(Quota.project_id == project_id)):
        found.setdefault(user, {})[resource] = limit
    return found


def project_limits(session: Session, conf: cfg.ConfigOpts, project_id: str,
                   rows: Mapping[str, Mapping[str, int]] | None = None
                   ) -> dict[str, int]:
    if not enforced(conf):
        return _unlimited()
    rows = stored_limits(session, project_id) if rows is None else rows
    values = defaults(session, conf)
    for resource, limit in rows.get("", {}).items():
        if resource in values:
            values[resource] = limit
    return values


def user_limits(session: Session, conf: cfg.ConfigOpts, project_id: str,
                user_id: str | None,
                rows: Mapping[str, Mapping[str, int]] | None = None
                ) -> dict[str, int]:
    rows = stored_limits(session, project_id) if rows is None else rows
    values = project_limits(session, conf, project_id, rows)
    if not enforced(conf) or not user_id:
        return values
    for resource, limit in rows.get(user_id, {}).items():
        if resource in values:
            values[resource] = limit
    return values


def _limits(session, conf, project_id, user_id):
    """{"project": limits, "user": limits} in two queries."""
    rows = stored_limits(session, project_id)
    project = project_limits(session, conf, project_id, rows)
    user = dict(project)
    if enforced(conf) and user_id:
        user.update((r, limit) for r, limit in rows.get(user_id, {}).items()
                    if r in user)
    return {"project": project, "user": user}


def _unbounded(limits, resources):
    """Whether none of ``resources`` has a limit: nothing to count then
    (no lock either; a project of 100,000 servers costs no scan)."""
    return all(limits[scope][r] < 0 for scope in ("project", "user")
               for r in resources)


def _strictest(*limits):
    bounded = [limit for limit in limits if limit >= 0]
    return min(bounded) if bounded else UNLIMITED


# -- usage --------------------------------------------------------------------

_AT_REST_FREE = (states.SOFT_DELETED, states.SHELVED_OFFLOADED)


def _at_rest(row, now):
    """The vm_state ``row`` rests in as of ``now`` (None while a task is in
    progress; see nova.compute.driver for pending transitions)."""
    if row.task_deadline is not None and row.task_deadline <= now:
        return row.next_vm_state
    return row.vm_state if row.task_state is None else None


def _sum_if(condition, value=1):
    return sa.func.coalesce(sa.func.sum(sa.case((condition, value),
                                                else_=0)), 0)


def instance_usage(session: Session, project_id: str,
                   user_id: str | None = None) -> dict[str, dict[str, int]]:
    """{"project": {instances, cores, ram}, "user": {...}} as of now.

    Two cheap aggregates over the project's servers (an index range), then
    what servers at rest soft-deleted or shelved-offloaded give back: only
    those rows, rare, are read one by one.
    """
    now = utcnow()
    mine = Instance.user_id == (user_id or "")
    live = (Instance.project_id == project_id, Instance.deleted == 0)
    row = session.execute(sa.select(
        sa.func.count(), sa.func.coalesce(sa.func.sum(Instance.vcpus), 0),
        sa.func.coalesce(sa.func.sum(Instance.memory_mb), 0),
        _sum_if(mine), _sum_if(mine, Instance.vcpus),
        _sum_if(mine, Instance.memory_mb)).where(*live)).one()
    totals = [int(value) for value in row]
    usage = {"project": dict(zip(_USAGE_KEYS, totals[:3], strict=True)),
             "user": dict(zip(_USAGE_KEYS, totals[3:], strict=True))}
    for rest in session.execute(
            sa.select(Instance.user_id, Instance.vm_state,
                      Instance.task_state, Instance.task_deadline,
                      Instance.next_vm_state, Instance.vcpus,
                      Instance.memory_mb)
            .where(*live, sa.or_(Instance.vm_state.in_(_AT_REST_FREE),
                                 Instance.next_vm_state.in_(
                                     _AT_REST_FREE)))):
        state = _at_rest(rest, now)
        if state not in _AT_REST_FREE:
            continue
        scopes = ["project"] + (["user"] if rest.user_id == user_id else [])
        for scope in scopes:
            usage[scope]["cores"] -= rest.vcpus
            usage[scope]["ram"] -= rest.memory_mb
            if state == states.SOFT_DELETED:
                usage[scope]["instances"] -= 1
    return usage


def server_group_usage(session: Session, project_id: str,
                       user_id: str | None = None
                       ) -> dict[str, dict[str, int]]:
    row = session.execute(sa.select(
        sa.func.count(),
        _sum_if(InstanceGroup.user_id == (user_id or ""))).where(
        InstanceGroup.project_id == project_id)).one()
    return {"project": {"server_groups": int(row[0])},
            "user": {"server_groups": int(row[1])}}


def key_pair_count(session: Session, user_id: str) -> int:
    return session.execute(sa.select(sa.func.count()).select_from(KeyPair)
                           .where(KeyPair.user_id == user_id)).scalar()


def group_member_count(session: Session, group_id: int, user_id: str) -> int:
    """Servers of ``user_id`` in the group that are not deleted."""
    return session.execute(
        sa.select(sa.func.count()).select_from(InstanceGroupMember)
        .join(Instance, Instance.uuid == InstanceGroupMember.instance_uuid)
        .where(InstanceGroupMember.group_id == group_id,
               Instance.deleted == 0,
               Instance.user_id == user_id)).scalar()


def usages(session: Session, project_id: str,
           user_id: str | None = None) -> dict[str, int]:
    """{resource: in use} as os-quota-sets detail and limits show them:
    the project's (or, with ``user_id``, the user's in the project)."""
    scope = "user" if user_id else "project"
    values = dict.fromkeys(RESOURCES, 0)
    values.update(instance_usage(session, project_id, user_id)[scope])
    values.update(server_group_usage(session, project_id, user_id)[scope])
    return values


# -- the lock -----------------------------------------------------------------

def lock(session: Session, kind: str, key: str) -> None:
    """Hold the lock row (``kind``, ``key``) until the transaction ends.

    One upsert that creates the row or bumps its counter: either way the
    transaction holds the row's write lock, and another transaction doing
    the same waits until this one commits or rolls back. (A plain INSERT
    that fails on a duplicate and a SELECT ... FOR UPDATE after it would
    deadlock on MariaDB, where the failed INSERT leaves a shared lock.)
    """
    table = QuotaLock.__table__
    values = {"kind": kind, "key": key, "generation": 1}
    name = session.get_bind().dialect.name
    bump = {"generation": table.c.generation + 1}
    # Each backend's own upsert, imported here: the engine has already
    # imported that dialect, and the others are never needed.
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
        statement = insert(table).values(values) \
            .on_conflict_do_update(index_elements=["kind", "key"], set_=bump)
    elif name in ("mysql", "mariadb"):
        from sqlalchemy.dialects.mysql import insert
        statement = insert(table).values(values) \
            .on_duplicate_key_update(**bump)
    else:
        from sqlalchemy.dialects.sqlite import insert
        statement = insert(table).values(values) \
            .on_conflict_do_update(index_elements=["kind", "key"], set_=bump)
    session.execute(statement)


def lock_project(session: Session, project_id: str) -> None:
    lock(session, "project", project_id)


# -- enforcement --------------------------------------------------------------

def _overs(deltas, usage, limits):
    """(sorted resources over, the scope whose limit they exceed)."""
    project_over, user_over = [], []
    for resource, delta in deltas.items():
        if delta <= 0:
            continue
        limit = limits["project"][resource]
        if limit >= 0 and usage["project"][resource] + delta > limit:
            project_over.append(resource)
            continue
        limit = limits["user"][resource]
        if limit >= 0 and usage["user"][resource] + delta > limit:
            user_over.append(resource)
    if user_over:
        return sorted(project_over + user_over), "user"
    return sorted(project_over), "project"


def _too_many(overs, requested, used, allowed):
    """Upstream's TooManyInstances message."""
    def join(values):
        return ", ".join(str(value) for value in values)

    names = ", ".join(overs)
    return exception.QuotaExceeded(
        f"Quota exceeded for {names}: Requested "
        f"{join(requested[r] for r in overs)}, but already used "
        f"{join(used[r] for r in overs)} of "
        f"{join(allowed[r] for r in overs)} {names}", overs)


def check_delta(session: Session, conf: cfg.ConfigOpts, project_id: str,
                user_id: str | None, *, instances: int = 0, cores: int = 0,
                ram: int = 0) -> None:
    """Refuse (403) growing a project's usage past its limits.

    For any change that adds servers, vCPUs or RAM to a project: a resize
    to a bigger flavor (``cores``/``ram`` = new - old, when positive), an
    unshelve of a shelved-offloaded server (``cores``/``ram`` = its
    flavor's; ``instances=0``, it already counts), a restore of a
    soft-deleted one (all three). Zero or negative deltas are not checked.

    Call it inside the write transaction that makes the change, BEFORE
    writing it (the new vcpus/memory_mb or vm_state of the row), and write
    it in that same transaction: this takes the project's quota lock (held
    until the transaction ends) and counts usage from the rows, so two
    concurrent changes cannot both pass against the same headroom. The
    limits checked are the project's and the user's (``user_id``: whose
    quota the server counts against, i.e. the server's ``user_id``).

    Raises ``exception.QuotaExceeded`` (a 403 in the API) with upstream's
    message, e.g. "Quota exceeded for cores: Requested 2, but already used
    19 of 20 cores"; returns None when within the limits.
    """
    deltas = {"cores": cores, "instances": instances, "ram": ram}
    if not enforced(conf) or not any(d > 0 for d in deltas.values()):
        return
    limits = _limits(session, conf, project_id, user_id)
    if _unbounded(limits, [r for r, d in deltas.items() if d > 0]):
        return
    lock_project(session, project_id)
    usage = instance_usage(session, project_id, user_id)
    overs, scope = _overs(deltas, usage, limits)
    if overs:
        raise _too_many(overs, deltas, usage[scope], limits[scope])


def _fits(used, allowed, vcpus, memory_mb):
    """How many more servers of a flavor the limits leave room for."""
    room = {r: math.inf if allowed[r] < 0 else allowed[r] - used[r]
            for r in _INSTANCE_RESOURCES}
    fits = room["instances"]
    if vcpus:
        fits = min(fits, room["cores"] // vcpus)
    if memory_mb:
        fits = min(fits, room["ram"] // memory_mb)
    return fits


def check_instances(session: Session, conf: cfg.ConfigOpts, project_id: str,
                    user_id: str | None, vcpus: int, memory_mb: int,
                    min_count: int, max_count: int) -> int:
    """How many servers of a flavor a create may make, or 403.

    As upstream: if ``max_count`` would exceed a limit but some number
    between ``min_count`` and ``max_count`` fits, that many; if not even
    ``min_count`` fits, upstream's "Quota exceeded for instances:
    Requested 1, but already used 10 of 10 instances". Takes the project's
    quota lock (see ``check_delta``): create the servers in the same
    transaction.
    """
    if not enforced(conf):
        return max_count
    limits = _limits(session, conf, project_id, user_id)
    if _unbounded(limits, _INSTANCE_RESOURCES):
        return max_count
    lock_project(session, project_id)
    usage = instance_usage(session, project_id, user_id)
    count = max_count
    while True:
        deltas = {"cores": count * vcpus, "instances": count,
                  "ram": count * memory_mb}
        overs, scope = _overs(deltas, usage, limits)
        if not overs:
            return count
        used, allowed = usage[scope], limits[scope]
        fits = min(_fits(usage[s], limits[s], vcpus, memory_mb)
                   for s in ("project", "user"))
        if min_count <= fits < count:
            count = int(fits)
            continue
        # The message names the count asked for ("1-3": from min_count).
        requested: dict[str, int | str] = dict(deltas)
        requested["instances"] = (str(min_count) if min_count == count
                                  else f"{min_count}-{count}")
        raise _too_many(overs, requested, used, allowed)


def _absolute_limit(session, conf, project_id, user_id, resource):
    limits = _limits(session, conf, project_id, user_id)
    return _strictest(limits["project"][resource], limits["user"][resource])


def check_metadata_items(session: Session, conf: cfg.ConfigOpts,
                         project_id: str, user_id: str | None,
                         count: int) -> None:
    """403 when a server would have more than ``metadata_items`` items."""
    if not enforced(conf) or count == 0:
        return
    limit = _absolute_limit(session, conf, project_id, user_id,
                            "metadata_items")
    if limit >= 0 and count > limit:
        raise exception.QuotaExceeded(
            f"Maximum number of metadata items exceeds {limit}",
            ["metadata_items"])


def check_injected_files(session: Session, conf: cfg.ConfigOpts,
                         project_id: str, user_id: str | None,
                         files: Sequence[tuple[str, bytes]]) -> None:
    """403 for too many injected files, or a path or content too long.

    ``files``: [(path, decoded content bytes)].
    """
    if not enforced(conf) or not files:
        return
    limits = _limits(session, conf, project_id, user_id)

    def limit(resource):
        return _strictest(limits["project"][resource],
                          limits["user"][resource])

    allowed = limit("injected_files")
    if allowed >= 0 and len(files) > allowed:
        raise exception.QuotaExceeded("Personality file limit exceeded",
                            ["injected_files"])
    path_limit = limit("injected_file_path_bytes")
    if path_limit >= 0 and max(len(p) for p, _c in files) > path_limit:
        raise exception.QuotaExceeded(
            f"Personality file path exceeds maximum {path_limit}",
            ["injected_file_path_bytes"])
    content_limit = limit("injected_file_content_bytes")
    if content_limit >= 0 and max(len(c) for _p, c in files) > content_limit:
        raise exception.QuotaExceeded(
            f"Personality file content exceeds maximum {content_limit}",
            ["injected_file_content_bytes"])


def check_key_pairs(session: Session, conf: cfg.ConfigOpts,
                    project_id: str, user_id: str | None, owner_id: str,
                    take_lock: bool = True) -> None:
    """403 when ``owner_id`` may not have one more key pair.

    Key pairs belong to a user across projects: the lock and the count are
    the owner's; the limit is the caller's (``project_id``, ``user_id``),
    as upstream. ``take_lock=False`` only for an early look in a read
    transaction (before generating a key); the create checks again.
    """
    if not enforced(conf):
        return
    if take_lock:
        lock(session, "user", owner_id)
    limit = _absolute_limit(session, conf, project_id, user_id, "key_pairs")
    if limit >= 0 and key_pair_count(session, owner_id) + 1 > limit:
        raise exception.QuotaExceeded("Quota exceeded, too many key pairs.",
                            ["key_pairs"])


def check_server_groups(session: Session, conf: cfg.ConfigOpts,
                        project_id: str, user_id: str | None) -> None:
    """403 when the project (or user) may not have one more group."""
    if not enforced(conf):
        return
    lock_project(session, project_id)
    usage = server_group_usage(session, project_id, user_id)
    limits = _limits(session, conf, project_id, user_id)
    overs, _scope = _overs({"server_groups": 1}, usage, limits)
    if overs:
        raise exception.QuotaExceeded(
            "Quota exceeded, too many server groups.", ["server_groups"])


def check_group_members(session: Session, conf: cfg.ConfigOpts,
                        project_id: str, user_id: str,
                        group: InstanceGroup, count: int) -> None:
    """403 when ``count`` more servers of the user would not fit in the
    group. Takes the group's lock (after the project's, if any)."""
    lock(session, "group", group.uuid)
    if not enforced(conf):
        return
    limit = _absolute_limit(session, conf, project_id, user_id,
                            "server_group_members")
    if limit >= 0 and group_member_count(
            session, group.id, user_id) + count > limit:
        raise exception.QuotaExceeded(
            "Quota exceeded, too many servers in group",
            ["server_group_members"])
