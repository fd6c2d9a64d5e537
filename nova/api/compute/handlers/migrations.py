"""/os-migrations: resizes, cold and live migrations, for admins."""

from nova.api.compute import common
from nova.api.compute.common import last
from nova.api.compute.handlers.server_common import changes_window, db_of
from nova.api.compute.router import Route
from nova.api.compute.schemas import server_actions as schemas
from nova.compute import migrations as migration_service
from nova.db.models import utcnow
from nova.policies import server_actions as rules

HONOURED = {
    "os-migrations": {"2.23", "2.59", "2.66", "2.80", "2.102"},
}


def timestamp(value):
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") if value else None


def _migration_view(req, row, now, links):
    view = {"id": row.id, "instance_uuid": row.instance_uuid,
            "source_compute": row.source_compute,
            "dest_compute": row.dest_compute,
            "source_node": row.source_compute,
            "dest_node": row.dest_compute, "dest_host": None,
            "old_instance_type_id": row.old_instance_type_id,
            "new_instance_type_id": row.new_instance_type_id,
            "status": migration_service.migration_status(row, now),
            "created_at": timestamp(row.created_at),
            "updated_at": timestamp(
                migration_service.migration_updated(row, now))}
    if req.is_version("2.23"):
        view["migration_type"] = row.migration_type
        # A live migration in progress links to the server's migrations.
        if (row.migration_type == migration_service.LIVE
                and view["status"] in migration_service.LIVE_IN_PROGRESS):
            view["links"] = links.resource(
                f"servers/{row.instance_uuid}/migrations", row.id)
    if req.is_version("2.59"):
        view["uuid"] = row.uuid
    if req.is_version("2.80"):
        view["user_id"] = row.user_id
        view["project_id"] = row.project_id
    return view


def migrations_index(req):
    query = req.query
    filters = {}
    for name in ("host", "status", "instance_uuid", "source_compute",
                 "migration_type"):
        value = last(query, name)
        if value is not None:
            filters[name] = value
    if req.is_version("2.80"):
        for name in ("user_id", "project_id"):
            value = last(query, name)
            if value is not None:
                filters[name] = value
    limit = marker = since = before = None
    if req.is_version("2.59"):
        limit, marker = common.page_params(req)
        since, before = changes_window(query, req.is_version("2.66"))
    with db_of(req).reader() as session:
        rows = migration_service.list_migrations(
            session, filters=filters, limit=limit, marker=marker,
            changes_since=since, changes_before=before)
    now = utcnow()
    links = common.Links(req)
    items = [_migration_view(req, row, now, links) for row in rows]
    if limit is None:
        return {"migrations": items}
    return common.collection(req, "migrations", items, limit,
                             lambda item: item["uuid"],
                             collection_name="os-migrations")


ROUTES = (
    Route("/os-migrations", "GET", migrations_index, rules.MIGRATIONS,
          query=schemas.MIGRATIONS_QUERY),
)
