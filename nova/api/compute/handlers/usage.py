"""/os-simple-tenant-usage: what each project's servers used in a period.

A server counts from its launch to its termination (or the end of the
period), by its flavor at boot: hours, and vCPU-, MB- and GB-hours. The
period is ``start`` to ``end`` (default: now to now, as upstream), never
past now. Servers are taken by (project, uuid), ``limit`` of them (from
2.40 with ``limit``/``marker`` and links).
"""

import datetime
import json

import sqlalchemy as sa

from nova.api import errors
from nova.api.compute import common
from nova.api.compute.router import Route
from nova.api.compute.schemas import admin as schemas
from nova.compute import driver as driver_mod
from nova.compute import hosts as host_service
from nova.db.models import Instance, utcnow
from nova.policies import admin as rules

HONOURED = {"os-simple-tenant-usage": {"2.40", "2.102"}}

_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f",
            "%Y-%m-%d %H:%M:%S.%f")


def _db(req):
    return req.app.backends.db


def _first(req, name):
    """The first non-empty value (upstream reads the raw query string)."""
    for value in req.query.get(name, []):
        if value:
            return value
    return None


def _parse_time(text, now):
    if text is None:
        return now
    for fmt in _FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise errors.BadRequest(
        "Invalid datetime string: Datetime is in invalid format")


def _period(req):
    now = utcnow()
    start_text, end_text = _first(req, "start"), _first(req, "end")
    start = _parse_time(start_text, now)
    stop = _parse_time(end_text, now)
    if start > stop or (start == stop and (start_text or end_text)):
        raise errors.BadRequest(
            "Invalid start time. The start time cannot occur after the end "
            "time.")
    return start, min(stop, now), now


def _hours(row, start, stop):
    launched, terminated = row.launched_at, row.terminated_at
    if terminated is not None and terminated < start:
        return 0
    if launched is None or launched > stop:
        return 0
    begin = max(launched, start)
    end = min(stop, terminated) if terminated is not None else stop
    return (end - begin).total_seconds() / 3600.0


def _servers(session, start, stop, project_id, limit, marker):
    query = (sa.select(Instance.__table__)
             .where(sa.or_(Instance.terminated_at.is_(None),
                           Instance.terminated_at > start),
                    Instance.launched_at < stop)
             .order_by(Instance.project_id, Instance.uuid))
    if project_id is not None:
        query = query.where(Instance.project_id == project_id)
    if marker is not None:
        found = session.execute(
            sa.select(Instance.project_id, Instance.uuid)
            .where(Instance.uuid == marker)).first()
        if found is None:
            raise errors.BadRequest(f"Marker {marker} could not be found.")
        query = query.where(
            sa.tuple_(Instance.project_id, Instance.uuid)
            > sa.tuple_(sa.literal(found[0]), sa.literal(found[1])))
    return session.execute(query.limit(limit)).all()


def _usages(rows, start, stop, now, detailed):
    summaries, server_usages = {}, []
    for row in rows:
        flavor = json.loads(row.flavor)
        vm_state = driver_mod.effective(row, now)[0]
        info = {
            "hours": _hours(row, start, stop),
            "flavor": flavor.get("name", ""),
            "instance_id": row.uuid,
            "name": row.display_name,
            "tenant_id": row.project_id,
            "memory_mb": row.memory_mb,
            "local_gb": row.root_gb + row.ephemeral_gb,
            "vcpus": row.vcpus,
            "started_at": host_service.timestamp(row.launched_at),
            "ended_at": host_service.timestamp(row.terminated_at),
            "state": "terminated" if row.terminated_at else vm_state,
            "uptime": int(((row.terminated_at or now)
                           - row.launched_at).total_seconds()),
        }
        summary = summaries.get(row.project_id)
        if summary is None:
            summary = summaries[row.project_id] = {
                "tenant_id": row.project_id,
                **({"server_usages": []} if detailed else {}),
                "total_local_gb_usage": 0, "total_vcpus_usage": 0,
                "total_memory_mb_usage": 0, "total_hours": 0,
                "start": host_service.timestamp(start),
                "stop": host_service.timestamp(stop)}
        hours = info["hours"]
        summary["total_local_gb_usage"] += info["local_gb"] * hours
        summary["total_vcpus_usage"] += info["vcpus"] * hours
        summary["total_memory_mb_usage"] += info["memory_mb"] * hours
        summary["total_hours"] += hours
        server_usages.append(info)
        if detailed:
            summary["server_usages"].append(info)
    return list(summaries.values()), server_usages


def _page(req):
    if req.is_version("2.40"):
        return common.page_params(req)
    return req.app.max_limit, None


def _links(req, body, key, server_usages, limit, collection):
    if req.is_version("2.40") and server_usages and \
            len(server_usages) == limit:
        body[key] = common.Links(req).next(
            collection, server_usages[-1]["instance_id"])
    return body


def index(req):
    start, stop, now = _period(req)
    detailed = _first(req, "detailed") == "1"
    limit, marker = _page(req)
    with _db(req).reader() as session:
        rows = _servers(session, start, stop, None, limit, marker)
    usages, server_usages = _usages(rows, start, stop, now, detailed)
    return _links(req, {"tenant_usages": usages}, "tenant_usages_links",
                  server_usages, limit, "os-simple-tenant-usage")


def show(req, tenant_id):
    req.authorize({"project_id": tenant_id})
    start, stop, now = _period(req)
    limit, marker = _page(req)
    with _db(req).reader() as session:
        rows = _servers(session, start, stop, tenant_id, limit, marker)
    usages, server_usages = _usages(rows, start, stop, now, True)
    return _links(req, {"tenant_usage": usages[0] if usages else {}},
                  "tenant_usage_links", server_usages, limit,
                  f"os-simple-tenant-usage/{tenant_id}")


ROUTES = (
    Route("/os-simple-tenant-usage", "GET", index, rules.USAGE % "list",
          query=schemas.USAGE_LIST_QUERY),
    Route("/os-simple-tenant-usage/{tenant_id}", "GET", show,
          rules.USAGE % "show", query=schemas.USAGE_SHOW_QUERY,
          check_first=False),
)
