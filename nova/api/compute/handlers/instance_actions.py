"""/servers/{id}/os-instance-actions: what was done to a server, by whom,
with its events."""

import hashlib

from nova.api.compute import common
from nova.api.compute.common import SHOW_QUERY
from nova.api.compute.handlers.server_common import changes_window, db_of
from nova.api.compute.router import Route
from nova.api.compute.schemas import server_actions as schemas
from nova.compute import instance_actions as instance_service
from nova.compute import servers as service
from nova.db.models import utcnow
from nova.policies import server_actions as rules

HONOURED = {
    "servers/os-instance-actions": {"2.21", "2.51", "2.58", "2.62", "2.66",
                                    "2.84"},
}


def _target(instance):
    return {"project_id": instance.project_id, "user_id": instance.user_id}


def _t(value):
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") if value else None


def _load_any(req, session, server_id, rule):
    """The server (a deleted one too from 2.21), policy checked."""
    is_admin = req.can("context_is_admin")
    instance = service.get(
        session, server_id,
        project_id=None if is_admin else req.context.project_id,
        read_deleted=req.is_version("2.21"))
    req.authorize(_target(instance), rule=rule)
    return instance


def _action_view(req, row, now):
    view = {"action": row.action, "instance_uuid": row.instance_uuid,
            "message": row.message, "project_id": row.project_id,
            "request_id": row.request_id, "start_time": _t(row.start_time),
            "user_id": row.user_id}
    if req.is_version("2.58"):
        done = row.finish_time is not None and row.finish_time <= now
        view["updated_at"] = _t(row.finish_time if done else row.updated_at)
    return view


def actions_index(req, server_id):
    limit = marker = since = before = None
    if req.is_version("2.58"):
        limit, marker = common.page_params(req)
        since, before = changes_window(req.query, req.is_version("2.66"))
    with db_of(req).reader() as session:
        instance = _load_any(req, session, server_id, rules.IA % "list")
        rows = instance_service.list_actions(
            session, instance.uuid, limit=limit, marker=marker,
            changes_since=since, changes_before=before)
    now = utcnow()
    items = [_action_view(req, row, now) for row in rows]
    body = {"instanceActions": items}
    if limit is not None and items and len(items) == limit:
        body["links"] = common.Links(req).next(
            f"servers/{server_id}/os-instance-actions",
            items[-1]["request_id"])
    return body


def actions_show(req, server_id, request_id):
    with db_of(req).reader() as session:
        instance = _load_any(req, session, server_id, rules.IA % "show")
        row, events = instance_service.get_action(session, instance.uuid,
                                                 request_id)
    now = utcnow()
    view = _action_view(req, row, now)
    target = _target(instance)
    see_events = req.can(rules.IA % "events", target)
    if not (see_events or req.is_version("2.51")):
        return {"instanceAction": view}
    details = req.is_version("2.84") and req.can(
        rules.IA % "events:details", target)
    view["events"] = []
    for event in events:
        done = event.finish_time is not None and event.finish_time <= now
        item = {"event": event.event, "start_time": _t(event.start_time),
                "finish_time": _t(event.finish_time) if done else None,
                "result": event.result if done else None}
        if see_events:
            item["traceback"] = event.traceback
        if req.is_version("2.62"):
            item["hostId"] = hashlib.sha224(
                (instance.project_id + event.host).encode()).hexdigest() \
                if event.host else ""
            if see_events:
                item["host"] = event.host or ""
        if details:
            item["details"] = event.details if done else None
        view["events"].append(item)
    return {"instanceAction": view}


ROUTES = (
    Route("/servers/{server_id}/os-instance-actions", "GET", actions_index,
          rules.IA % "list", query=schemas.INSTANCE_ACTIONS_QUERY,
          check_first=False),
    Route("/servers/{server_id}/os-instance-actions/{request_id}", "GET",
          actions_show, rules.IA % "show", query=SHOW_QUERY,
          check_first=False),
)
