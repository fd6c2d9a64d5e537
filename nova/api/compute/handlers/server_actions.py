"""The server actions beyond reboot/stop/start; os-instance-actions,
os-interface and os-migrations.

Imported by ``servers`` (before its route table is built) so that the
actions registered here are part of ``servers.ACTIONS``.
"""

import hashlib
import uuid as uuid_mod

from nova.api import errors
from nova.api.compute import common
from nova.api.compute.common import last
from nova.api.compute.handlers import servers as base
from nova.api.compute.router import Result, Route
from nova.api.compute.schemas import server_actions as schemas
from nova.compute import actions as action_service
from nova.compute import servers as service
from nova.db.models import utcnow
from nova.policies import server_actions as rules

HONOURED = {
    "servers/action:rebuild": {
        "2.9", "2.19", "2.47", "2.54", "2.57", "2.63", "2.71", "2.73",
        "2.75", "2.90",
        "2.93",  # volume-backed rebuild: there are no volumes here
        "2.94", "2.96", "2.98", "2.100"},
    "servers/action:lock": {"2.73"},
    "servers/action:trigger_crash_dump": {"2.17"},
    "servers/action:createImage": {"2.39", "2.45"},
    "servers/action:migrate": {"2.56"},
    "servers/action:unshelve": {"2.77", "2.91"},
    "servers/action:rescue": {"2.87"},  # no volume-backed servers here
    "servers/os-instance-actions": {"2.21", "2.51", "2.58", "2.62", "2.66",
                                    "2.84"},
    # 2.49 is the tag of an interface attach (POST), not served here.
    "servers/os-interface": {"2.49", "2.70"},
    "os-migrations": {"2.23", "2.59", "2.66", "2.80", "2.102"},
}


def _driver(req):
    return req.app.backends.compute.driver


def _conf(req):
    return req.app.backends.conf


def _target(instance):
    return {"project_id": instance.project_id, "user_id": instance.user_id}


# -- simple state changes ------------------------------------------------------------

def _simple(function):
    def handler(req, session, instance, body):
        function(session, instance, base.caller(req), _driver(req))
    return handler


def _lock(req, session, instance, body):
    reason = body.get("locked_reason") if isinstance(body, dict) else None
    action_service.lock(session, instance, base.caller(req), reason)


def _unlock(req, session, instance, body):
    who = base.caller(req)
    # As upstream: a lock taken by the other side (the owner's by an
    # admin, or the other way round) needs the override rule.
    if instance.locked_by and not action_service.expected_locked_by(
            instance, who):
        req.authorize(_target(instance),
                      rule=rules.LOCK % "unlock:unlock_override")
    action_service.unlock(session, instance, who)


def _admin_pass(req, given=None):
    if not _conf(req).compute.enable_instance_password:
        return None
    return given if given is not None else service.generate_password()


def _rebuild(req, session, instance, body):
    def given(key):
        return body[key] if key in body else ()

    certs = given("trusted_image_certificates")
    if certs not in ((), None):
        req.authorize(_target(instance),
                      rule=rules.S % "rebuild:trusted_certs")
    admin_pass = _admin_pass(req, body.get("adminPass"))
    action_service.rebuild(
        session, instance, base.caller(req), _driver(req),
        image_ref=body["imageRef"], name=body.get("name"),
        metadata=body.get("metadata"), description=given("description"),
        key_name=given("key_name"), user_data=given("user_data"),
        hostname=body.get("hostname"),
        access_ip_v4=body.get("accessIPv4"),
        access_ip_v6=body.get("accessIPv6"), trusted_certs=certs)
    session.flush()
    result = base.show_one(req, session, instance, status=202)
    view = result.body["server"]
    if not req.is_version("2.75"):
        base.reduce_view(view)
        if req.is_version("2.54"):
            view["key_name"] = instance.key_name
    if req.is_version("2.57"):
        view["user_data"] = instance.user_data
    if admin_pass is not None:
        view["adminPass"] = admin_pass
    return result


def _resize(req, session, instance, body):
    action_service.resize(session, instance, base.caller(req), _driver(req),
                          _conf(req), common.id_from_href(body["flavorRef"]))


def _confirm(req, session, instance, body):
    action_service.confirm_resize(session, instance, base.caller(req),
                                  _driver(req))
    return Result(204)  # upstream's answer to confirmResize (others: 202)


def _revert(req, session, instance, body):
    action_service.revert_resize(session, instance, base.caller(req),
                                 _driver(req))


def _migrate(req, session, instance, body):
    host = None
    if req.is_version("2.56") and isinstance(body, dict):
        host = body.get("host")
    if host is not None:
        req.authorize(_target(instance), rule=rules.MIGRATE % "migrate:host")
    action_service.migrate(session, instance, base.caller(req), _driver(req),
                           _conf(req), host=host)


def _create_image(req, session, instance, body):
    metadata = body.get("metadata", {})
    if not req.is_version("2.39") and len(metadata) > \
            service.MAX_METADATA_ITEMS:
        raise errors.Forbidden("Image metadata limit exceeded")
    image = action_service.create_image(
        session, instance, base.caller(req), _driver(req), body["name"],
        metadata)
    if req.is_version("2.45"):
        return Result(202, {"image_id": image.id})
    href = common.Links(req).resource("images", image.id)[0]["href"]
    return Result(202, headers=[("Location", href)])


def _console_output(req, session, instance, body):
    length = (body or {}).get("length")
    if length is not None:
        length = int(length)
        if length < -1:
            raise errors.BadRequest(
                f"Invalid input for field/attribute length. Value: {length}."
                f" {length} is less than the minimum of -1")
    text = action_service.console_output(instance, _driver(req), length)
    return Result(200, {"output": text})


def _change_password(req, session, instance, body):
    action_service.change_password(session, instance, base.caller(req),
                                   _driver(req))


def _shelve(req, session, instance, body):
    action_service.shelve(session, instance, base.caller(req), _driver(req),
                          _conf(req))


def _shelve_offload(req, session, instance, body):
    action_service.shelve_offload(session, instance, base.caller(req),
                                  _driver(req))


def _unshelve(req, session, instance, body):
    zone, host = (), None
    if isinstance(body, dict):
        if "availability_zone" in body:
            zone = body["availability_zone"]
        if "host" in body:
            req.authorize(_target(instance),
                          rule=rules.SHELVE % "unshelve_to_host")
            host = body["host"]
    action_service.unshelve(session, instance, base.caller(req),
                            _driver(req), _conf(req), zone=zone, host=host)


def _rescue(req, session, instance, body):
    body = body or {}
    admin_pass = _admin_pass(req, body.get("adminPass"))
    action_service.rescue(session, instance, base.caller(req), _driver(req),
                          body.get("rescue_image_ref"))
    return Result(200, {"adminPass": admin_pass} if admin_pass else {})


def _crash_dump(req, session, instance, body):
    action_service.trigger_crash_dump(session, instance, base.caller(req),
                                      _driver(req))


def _force_delete(req, session, instance, body):
    base.hard_delete(req, session, instance)


def _restore(req, session, instance, body):
    action_service.restore(session, instance, base.caller(req),
                           _driver(req), _conf(req))


# Actions that change only the server's own row (and record themselves):
# run without the ORM (``servers.ROW_ONLY``).
_ROW_ONLY = {"pause", "unpause", "suspend", "resume", "lock", "unlock",
             "changePassword", "unrescue", "trigger_crash_dump"}

_n = schemas.null_action
for _name, _handler, _rule, _schema, _min, _exempt in (
        ("pause", _simple(action_service.pause), rules.PAUSE % "pause",
         _n("pause"), (2, 1), False),
        ("unpause", _simple(action_service.unpause),
         rules.PAUSE % "unpause", _n("unpause"), (2, 1), False),
        ("suspend", _simple(action_service.suspend),
         rules.SUSPEND % "suspend", _n("suspend"), (2, 1), False),
        ("resume", _simple(action_service.resume), rules.SUSPEND % "resume",
         _n("resume"), (2, 1), False),
        ("lock", _lock, rules.LOCK % "lock", schemas.LOCK, (2, 1), True),
        ("unlock", _unlock, rules.LOCK % "unlock", _n("unlock"), (2, 1),
         True),
        ("rebuild", _rebuild, rules.S % "rebuild", schemas.REBUILD, (2, 1),
         False),
        ("resize", _resize, rules.S % "resize", schemas.RESIZE, (2, 1),
         False),
        ("confirmResize", _confirm, rules.S % "confirm_resize",
         _n("confirmResize"), (2, 1), False),
        ("revertResize", _revert, rules.S % "revert_resize",
         _n("revertResize"), (2, 1), False),
        ("migrate", _migrate, rules.MIGRATE % "migrate", schemas.MIGRATE,
         (2, 1), False),
        ("createImage", _create_image, rules.S % "create_image",
         schemas.CREATE_IMAGE, (2, 1), True),
        ("os-getConsoleOutput", _console_output, rules.CONSOLE_OUTPUT,
         schemas.CONSOLE_OUTPUT, (2, 1), True),
        ("changePassword", _change_password, rules.ADMIN_PASSWORD,
         schemas.CHANGE_PASSWORD, (2, 1), False),
        ("shelve", _shelve, rules.SHELVE % "shelve", _n("shelve"), (2, 1),
         False),
        ("shelveOffload", _shelve_offload, rules.SHELVE % "shelve_offload",
         _n("shelveOffload"), (2, 1), False),
        ("unshelve", _unshelve, rules.SHELVE % "unshelve", schemas.UNSHELVE,
         (2, 1), False),
        ("rescue", _rescue, rules.RESCUE, schemas.RESCUE, (2, 1), False),
        ("unrescue", _simple(action_service.unrescue), rules.UNRESCUE,
         _n("unrescue"), (2, 1), False),
        ("trigger_crash_dump", _crash_dump, rules.S % "trigger_crash_dump",
         _n("trigger_crash_dump"), (2, 17), False),
        ("forceDelete", _force_delete, rules.DEFERRED % "force",
         _n("forceDelete"), (2, 1), False),
        ("restore", _restore, rules.DEFERRED % "restore", _n("restore"),
         (2, 1), False),
):
    base.register_action(_name, _handler, _rule, _schema, _min,
                         lock_exempt=_exempt, row_only=_name in _ROW_ONLY)


# -- os-instance-actions --------------------------------------------------------------

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
        since = base._time_param(req.query, "changes-since")
        if req.is_version("2.66"):
            before = base._time_param(req.query, "changes-before")
            if since and before and since > before:
                raise errors.BadRequest(
                    "The value of changes-since must be less than or equal "
                    "to changes-before.")
    with base._db(req).reader() as session:
        instance = _load_any(req, session, server_id, rules.IA % "list")
        rows = action_service.list_actions(
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
    with base._db(req).reader() as session:
        instance = _load_any(req, session, server_id, rules.IA % "show")
        row, events = action_service.get_action(session, instance.uuid,
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


# -- os-interface -----------------------------------------------------------------------

def _port_id(instance_uuid, mac):
    return str(uuid_mod.uuid5(uuid_mod.NAMESPACE_OID,
                              f"port/{instance_uuid}/{mac}"))


def _interface(req, instance, ip, network):
    view = {"fixed_ips": [{
                "ip_address": ip.address,
                "subnet_id": str(uuid_mod.uuid5(uuid_mod.NAMESPACE_OID,
                                                f"subnet/{network.uuid}"))}],
            "mac_addr": ip.mac_address, "net_id": network.uuid,
            "port_id": _port_id(instance.uuid, ip.mac_address),
            "port_state": "ACTIVE"}
    if req.is_version("2.70"):
        view["tag"] = None  # the flat network keeps no device tags
    return view


def _interfaces(req, server_id, rule):
    network = req.app.backends.compute.network
    with base._db(req).reader() as session:
        instance = base.load(req, session, server_id, rule=rule)
        fixed = network.addresses(session, [instance.uuid])[instance.uuid]
    return [_interface(req, instance, ip, network) for ip in fixed]


def interfaces_index(req, server_id):
    return {"interfaceAttachments": _interfaces(
        req, server_id, rules.INTERFACES % "list")}


def interfaces_show(req, server_id, port_id):
    for item in _interfaces(req, server_id, rules.INTERFACES % "show"):
        if item["port_id"] == port_id:
            return {"interfaceAttachment": item}
    raise errors.NotFound(f"Port {port_id} could not be found.")


# -- os-migrations ----------------------------------------------------------------------

def _migration_view(req, row, now):
    view = {"id": row.id, "instance_uuid": row.instance_uuid,
            "source_compute": row.source_compute,
            "dest_compute": row.dest_compute,
            "source_node": row.source_compute,
            "dest_node": row.dest_compute, "dest_host": None,
            "old_instance_type_id": row.old_instance_type_id,
            "new_instance_type_id": row.new_instance_type_id,
            "status": action_service.migration_status(row, now),
            "created_at": _t(row.created_at),
            "updated_at": _t(row.updated_at)}
    if req.is_version("2.23"):
        view["migration_type"] = row.migration_type
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
        since = base._time_param(query, "changes-since")
        if req.is_version("2.66"):
            before = base._time_param(query, "changes-before")
            if since and before and since > before:
                raise errors.BadRequest(
                    "The value of changes-since must be less than or equal "
                    "to changes-before.")
    with base._db(req).reader() as session:
        rows = action_service.list_migrations(
            session, filters=filters, limit=limit, marker=marker,
            changes_since=since, changes_before=before)
    now = utcnow()
    items = [_migration_view(req, row, now) for row in rows]
    if limit is None:
        return {"migrations": items}
    return common.collection(req, "migrations", items, limit,
                             lambda item: item["uuid"],
                             collection_name="os-migrations")


ROUTES = (
    Route("/servers/{server_id}/os-instance-actions", "GET", actions_index,
          rules.IA % "list", query=schemas.INSTANCE_ACTIONS_QUERY,
          check_first=False),
    Route("/servers/{server_id}/os-instance-actions/{request_id}", "GET",
          actions_show, rules.IA % "show", query=schemas.NO_QUERY,
          check_first=False),
    Route("/servers/{server_id}/os-interface", "GET", interfaces_index,
          rules.INTERFACES % "list", query=schemas.NO_QUERY,
          check_first=False),
    Route("/servers/{server_id}/os-interface/{port_id}", "GET",
          interfaces_show, rules.INTERFACES % "show",
          query=schemas.NO_QUERY, check_first=False),
    Route("/os-migrations", "GET", migrations_index, rules.MIGRATIONS,
          query=schemas.MIGRATIONS_QUERY),
)
