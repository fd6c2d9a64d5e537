"""/servers/{id}/migrations: a server's live migrations in progress, and
what can be done to one (force it to complete, abort it)."""

from nova import exception
from nova.api import errors, validation
from nova.api.compute.handlers.migrations import timestamp
from nova.api.compute.handlers.server_common import (
    caller,
    compute_of,
    db_of,
    load,
    load_for_change,
    sweep,
)
from nova.api.compute.router import Action, Result, Route, action_table
from nova.api.compute.schemas import server_actions as schemas
from nova.compute import live_migration
from nova.compute import migrations as migration_service
from nova.db.models import utcnow
from nova.policies import server_actions as rules

HONOURED = {
    "servers/migrations": {
        "2.22", "2.23", "2.24", "2.59",
        "2.65",  # a live migration here runs from the request on
        "2.80", "2.102"},
}

R = rules.SERVER_MIGRATIONS


def _target(instance):
    return {"project_id": instance.project_id, "user_id": instance.user_id}


def _view(req, row, now, with_hosts=True):
    """Upstream's view of a server's migration; the built-in driver
    reports no memory or disk progress (null, as upstream before its
    driver's first report)."""
    dest, source = ((row.dest_compute, row.source_compute) if with_hosts
                    else (None, None))
    view = {"created_at": timestamp(row.created_at),
            "dest_compute": dest, "dest_host": None, "dest_node": dest,
            "disk_processed_bytes": None, "disk_remaining_bytes": None,
            "disk_total_bytes": None, "id": row.id,
            "memory_processed_bytes": None,
            "memory_remaining_bytes": None, "memory_total_bytes": None,
            "server_uuid": row.instance_uuid, "source_compute": source,
            "source_node": source,
            "status": migration_service.migration_status(row, now),
            "updated_at": timestamp(
                migration_service.migration_updated(row, now))}
    if req.is_version("2.59"):
        view["uuid"] = row.uuid
    if req.is_version("2.80"):
        view["user_id"] = row.user_id
        view["project_id"] = row.project_id
    return view


def index(req, server_id):
    now = utcnow()
    with db_of(req).reader() as session:
        instance = load(req, session, server_id, rule=R % "index")
        # Without ``index:host`` the host fields are there, but null.
        with_hosts = req.can(R % "index:host", _target(instance))
        rows = migration_service.live_in_progress(session, instance.uuid,
                                                  now)
        return {"migrations": [_view(req, row, now, with_hosts)
                               for row in rows]}


def show(req, server_id, migration_id):
    now = utcnow()
    with db_of(req).reader() as session:
        instance = load(req, session, server_id, rule=R % "show")
        try:
            row = live_migration.get(session, instance, migration_id)
        except exception.NotFound:
            raise errors.NotFound(
                f"In-progress live migration {migration_id} is not found "
                f"for server {server_id}.") from None
        if row.migration_type != migration_service.LIVE:
            raise errors.NotFound(f"Migration {migration_id} for server "
                                  f"{server_id} is not live-migration.")
        if migration_service.migration_status(row, now) not in \
                migration_service.LIVE_IN_PROGRESS:
            raise errors.NotFound(f"Live migration {migration_id} for "
                                  f"server {server_id} is not in progress.")
        return {"migration": _view(req, row, now)}


def delete(req, server_id, migration_id):
    """Abort (2.24): 409 unless the server is migrating, 404 for a
    migration it does not have, 400 for one no longer running."""
    with db_of(req).writer() as session:
        sweep(req, session)
        instance = load_for_change(req, session, server_id, R % "delete")
        live_migration.abort(session, instance, caller(req),
                             compute_of(req).driver, migration_id,
                             queued_too=req.is_version("2.65"),
                             network=compute_of(req).network)
    return Result(202)


def _force_complete(req, session, instance, migration_id):
    live_migration.force_complete(session, instance, caller(req),
                                  compute_of(req).driver, migration_id)


ACTIONS = action_table(
    Action("force_complete", _force_complete, R % "force_complete",
           schemas.FORCE_COMPLETE, min_version=(2, 22)),
)


def action(req, server_id, migration_id):
    """force_complete (2.22): 409 unless the server is ACTIVE and
    migrating, 400 for a migration it does not have or one not running."""
    (name, _body), = req.json.items()
    entry = ACTIONS.get(name)
    if entry is None:
        raise errors.BadRequest(f"There is no such action: {name}")
    validation.validate_body(entry.schema, req.json, req.version)
    with db_of(req).writer() as session:
        sweep(req, session)
        instance = load_for_change(req, session, server_id, entry.rule)
        entry.handler(req, session, instance, migration_id)
    return Result(202)


_SM = "/servers/{server_id}/migrations"

ROUTES = (
    Route(_SM, "GET", index, R % "index",
          query=schemas.SERVER_MIGRATIONS_QUERY, min_version=(2, 23),
          check_first=False),
    Route(_SM + "/{migration_id}", "GET", show, R % "show",
          query=schemas.SERVER_MIGRATIONS_QUERY, min_version=(2, 23),
          check_first=False),
    Route(_SM + "/{migration_id}", "DELETE", delete, R % "delete",
          query=schemas.ANY_QUERY, min_version=(2, 24), check_first=False),
    Route(_SM + "/{migration_id}/action", "POST", action,
          query=schemas.ANY_QUERY, body=schemas.MIGRATION_ACTION,
          min_version=(2, 22), check_first=False, actions=ACTIONS),
)
