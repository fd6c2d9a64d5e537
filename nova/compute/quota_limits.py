"""Setting limits (os-quota-sets, os-quota-class-sets), independent of
HTTP: within what is in use and what the project has left, under the
project's (or the class's) quota lock. How limits resolve and usage is
counted: ``quotas``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import sqlalchemy as sa

from nova import exception
from nova.compute.quotas import (
    PER_PROJECT,
    RESOURCES,
    UNLIMITED,
    lock,
    lock_project,
    project_limits,
    stored_limits,
    usages,
)
from nova.db.models import Quota, QuotaClass

if TYPE_CHECKING:
    from collections.abc import Mapping

    from oslo_config import cfg
    from sqlalchemy.orm import Session

# Never counted by the views (upstream reports 0 in_use for these).
NOT_COUNTED_IN_VIEWS = ("key_pairs", "server_group_members",
                        "security_group_rules")


def settable(session: Session, conf: cfg.ConfigOpts, project_id: str,
             user_id: str | None = None) -> dict[str, tuple[int, int]]:
    """{resource: (minimum, maximum)} a new limit must lie in (-1 = none)."""
    rows = stored_limits(session, project_id)
    project = project_limits(session, conf, project_id, rows)
    in_use = usages(session, project_id, user_id)
    for resource in NOT_COUNTED_IN_VIEWS:
        in_use[resource] = 0
    given = {}  # the sum of the users' own limits, per resource
    for user, limits in rows.items():
        if user:
            for resource, limit in limits.items():
                given[resource] = given.get(resource, 0) + max(limit, 0)
    ranges = {}
    for resource in RESOURCES:
        limit = project[resource]
        remains = UNLIMITED if limit < 0 else limit - given.get(resource, 0)
        if user_id:
            own = rows.get(user_id, {}).get(resource, 0)
            maximum = UNLIMITED if (remains < 0 or own < 0) else \
                remains + own
            ranges[resource] = (in_use[resource], maximum)
        else:
            minimum = in_use[resource] if remains < 0 else max(
                limit - remains, in_use[resource])
            ranges[resource] = (minimum, UNLIMITED)
    return ranges


def _infinite(value):
    return math.inf if value == UNLIMITED else value


def update(session: Session, conf: cfg.ConfigOpts, project_id: str,
           user_id: str | None, values: Mapping[str, int],
           force: bool = False) -> None:
    """Set limits of a project (or of a user in it); 400 out of range.

    Unless ``force``, a limit may not go below what is in use (nor, for a
    project, below what its users were given), nor a user's above what the
    project has left.
    """
    lock_project(session, project_id)
    ranges = settable(session, conf, project_id, user_id) if not force \
        else {}
    checked = {}
    for resource, raw in values.items():
        value = int(raw)
        if not force:
            minimum, maximum = ranges[resource]
            if _infinite(value) < _infinite(minimum):
                raise exception.Invalid(
                    f"Quota limit {value} for {resource} must be greater "
                    f"than or equal to already used and reserved "
                    f"{minimum}.")
            if _infinite(value) > _infinite(maximum):
                raise exception.Invalid(
                    f"Quota limit {value} for {resource} must be less than "
                    f"or equal to {maximum}.")
        checked[resource] = value
    for resource, value in checked.items():
        owner = "" if (not user_id or resource in PER_PROJECT) else user_id
        row = session.execute(sa.select(Quota).where(
            Quota.project_id == project_id, Quota.user_id == owner,
            Quota.resource == resource)).scalar()
        if row is None:
            session.add(Quota(project_id=project_id, user_id=owner,
                              resource=resource, hard_limit=value))
        else:
            row.hard_limit = value
    session.flush()


def delete(session: Session, project_id: str,
           user_id: str | None = None) -> None:
    """Forget a project's limits (its users' too), or one user's."""
    lock_project(session, project_id)
    query = sa.delete(Quota).where(Quota.project_id == project_id)
    if user_id:
        query = query.where(Quota.user_id == user_id)
    session.execute(query)


def update_class(session: Session, class_name: str,
                 values: Mapping[str, int]) -> None:
    lock(session, "class", class_name)
    for resource, raw in values.items():
        row = session.execute(sa.select(QuotaClass).where(
            QuotaClass.class_name == class_name,
            QuotaClass.resource == resource)).scalar()
        if row is None:
            session.add(QuotaClass(class_name=class_name, resource=resource,
                                   hard_limit=int(raw)))
        else:
            row.hard_limit = int(raw)
    session.flush()
