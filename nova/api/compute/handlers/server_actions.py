"""POST /servers/{id}/action: one declarative table of the 30 actions,
and the dispatcher that reads it.

Each ``ServerAction`` says: the body's key, the handler, the policy rule
(checked against the server's project; ``host_rule`` instead when the
body names a host), the body schema, the microversion range, whether a
locked server still takes it from its owner (``lock_exempt``) and whether
it changes nothing but the server's own row (``row_only``: it then runs
on the Core path, ``_row_action``). The route's policy and the OpenAPI
description are made from the same table. A handler is
``handler(req, session, server, body)``: the server is loaded, locked for
the transaction, policy checked and settled; it returns a ``Result``, a
body, None for 202, or an error to answer once what it wrote is committed.
"""

import dataclasses

from nova.api import errors, validation
from nova.api.compute import common, snapshots
from nova.api.compute.common import ANY_QUERY
from nova.api.compute.handlers import (
    remote_consoles,
    removed,
    server_network_actions,
)
from nova.api.compute.handlers.server_common import (
    caller,
    check_locked,
    compute_of,
    db_of,
    disk_config,
    hard_delete,
    load_for_change,
    reduce_view,
    show_one,
    sweep,
)
from nova.api.compute.router import Action, Result, Route, action_table
from nova.api.compute.schemas import floating_ips as floating_schemas
from nova.api.compute.schemas import server_actions as schemas
from nova.api.compute.schemas import servers as server_schemas
from nova.api.compute.schemas import types
from nova.compute import actions as action_service
from nova.compute import (
    instance_actions,
    live_migration,
    resize,
    security_groups,
    server_create,
    server_rows,
    transitions,
)
from nova.compute import servers as service
from nova.policies import floating_ips as floating_rules
from nova.policies import security_groups as group_rules
from nova.policies import server_actions as rules
from nova.policies import servers as server_rules

HONOURED = {
    "servers/action:rebuild": {
        "2.9", "2.19", "2.47", "2.54", "2.57", "2.63", "2.71", "2.73",
        "2.75", "2.90",
        "2.93",  # volume-backed rebuild: there are no volumes here
        "2.94", "2.96", "2.98", "2.100"},
    "servers/action:lock": {"2.73"},
    "servers/action:trigger_crash_dump": {"2.17"},
    "servers/action:createImage": {"2.39", "2.45"},
    "servers/action:createBackup": {"2.39", "2.45"},
    "servers/action:migrate": {"2.56"},
    "servers/action:os-migrateLive": {"2.25", "2.30", "2.34", "2.68"},
    "servers/action:unshelve": {"2.77", "2.91"},
    "servers/action:rescue": {"2.87"},  # no volume-backed servers here
}


@dataclasses.dataclass(frozen=True)
class ServerAction(Action):
    # A locked server still takes it from a non-admin (upstream checks
    # the lock on the others).
    lock_exempt: bool = False
    # It changes nothing but the server's own row and writes an
    # instance-action record: it runs in a ``Transaction`` on an
    # ``Editable`` row (``_row_action``), not in the ORM.
    row_only: bool = False
    # Checked instead of ``rule`` when the body names a host (upstream's
    # ``...:host`` rules, which it checks alone then).
    host_rule: str | None = None
    # With a remote image service (Glance): ``remote(req, server_id,
    # body, run, rule)`` talks to it before and after the write transaction,
    # which ``run(prepared)`` performs (the handler then gets
    # ``remote=prepared``).
    remote: object = None
    # ``done(req, server_id, body, result)``: run after the transaction
    # (and the remote work), its return is the answer.
    done: object = None

    def rule_for(self, body):
        if self.host_rule and isinstance(body, dict) and body.get("host"):
            return self.host_rule
        return self.rule


def _driver(req):
    return compute_of(req).driver


def _conf(req):
    return req.app.backends.conf


def _target(instance):
    return {"project_id": instance.project_id, "user_id": instance.user_id}


# -- the handlers -------------------------------------------------------------

def _reboot(req, session, instance, body):
    hard = body["type"].upper() == "HARD"
    service.reboot(instance, hard, _driver(req))
    instance_actions.record(session, instance, "reboot", caller(req),
                          [("compute_reboot_instance", "Success", None)])


def _stop(req, session, instance, body):
    service.stop(instance, _driver(req))
    instance_actions.record(session, instance, "stop", caller(req),
                          [("compute_stop_instance", "Success", None)])


def _start(req, session, instance, body):
    service.start(instance, _driver(req))
    instance_actions.record(session, instance, "start", caller(req),
                          [("compute_start_instance", "Success", None)])


def _simple(function):
    def handler(req, session, instance, body):
        function(session, instance, caller(req), _driver(req))
    return handler


def _lock(req, session, instance, body):
    # Before 2.73 upstream ignores whatever the value holds.
    reason = (body.get("locked_reason")
              if req.is_version("2.73") and isinstance(body, dict) else None)
    action_service.lock(session, instance, caller(req), reason)


def _unlock(req, session, instance, body):
    who = caller(req)
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
    return given if given is not None else server_create.generate_password()


def _rebuild(req, session, instance, body, remote=None):
    def given(key):
        return body[key] if key in body else ()

    certs = given("trusted_image_certificates")
    if certs not in ((), None):
        req.authorize(_target(instance),
                      rule=rules.S % "rebuild:trusted_certs")
    admin_pass = _admin_pass(req, body.get("adminPass"))
    action_service.rebuild(
        session, instance, caller(req), _driver(req),
        image_ref=body["imageRef"], name=body.get("name"),
        metadata=body.get("metadata"), description=given("description"),
        key_name=given("key_name"), user_data=given("user_data"),
        hostname=body.get("hostname"),
        access_ip_v4=body.get("accessIPv4"),
        access_ip_v6=body.get("accessIPv6"), trusted_certs=certs,
        remote_image=remote, auto_disk_config=disk_config(body))
    session.flush()
    result = show_one(req, session, instance, status=202)
    view = result.body["server"]
    if not req.is_version("2.75"):
        reduce_view(view)
        if req.is_version("2.54"):
            view["key_name"] = instance.key_name
    # From 2.75 the view is GET's, but upstream leaves the extended
    # user_data out (it answers with "user_data" from 2.57 instead).
    view.pop("OS-EXT-SRV-ATTR:user_data", None)
    if req.is_version("2.57"):
        view["user_data"] = instance.user_data
    if admin_pass is not None:
        view["adminPass"] = admin_pass
    return result


def _resize(req, session, instance, body):
    resize.resize(session, instance, caller(req), _driver(req), _conf(req),
                  common.id_from_href(body["flavorRef"]),
                  auto_disk_config=disk_config(body),
                  network=compute_of(req).network)


def _confirm(req, session, instance, body):
    resize.confirm_resize(session, instance, caller(req),
                                  _driver(req))
    return Result(204)  # upstream's answer to confirmResize (others: 202)


def _revert(req, session, instance, body):
    resize.revert_resize(session, instance, caller(req), _driver(req),
                         network=compute_of(req).network)


def _migrate(req, session, instance, body):
    host = None
    if req.is_version("2.56") and isinstance(body, dict):
        host = body.get("host")
    if host is not None:
        req.authorize(_target(instance), rule=rules.MIGRATE % "migrate:host")
    resize.migrate(session, instance, caller(req), _driver(req),
                   _conf(req), host=host, network=compute_of(req).network)


def _migrate_live(req, session, instance, body):
    host = body["host"]
    force = None  # before 2.30: a host is forced
    if req.is_version("2.30"):
        force = types.to_bool(body.get("force", False))
        if force and not host:
            raise errors.BadRequest(
                "Can't force to a non-provided destination")
    # The lock after the force flag, as upstream (the action is
    # ``lock_exempt`` for that).
    check_locked(req, instance)
    failed = live_migration.live_migrate(
        session, instance, caller(req), _driver(req), _conf(req),
        host=host, forced=bool(host) and force is not False,
        network=compute_of(req).network)
    # Before 2.34 upstream's API waits for its conductor's checks and
    # answers their failure with 400; from 2.34 it does not wait (202).
    return None if req.is_version("2.34") else failed


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
    action_service.change_password(session, instance, caller(req),
                                   _driver(req))


def _shelve(req, session, instance, body, remote=None):
    action_service.shelve(session, instance, caller(req), _driver(req),
                          _conf(req), network=compute_of(req).network)


def _shelve_offload(req, session, instance, body):
    action_service.shelve_offload(session, instance, caller(req),
                                  _driver(req),
                                  network=compute_of(req).network)


def _unshelve(req, session, instance, body):
    zone, host = (), None
    # Before 2.77 upstream ignores whatever the value holds.
    if req.is_version("2.77") and isinstance(body, dict):
        if "availability_zone" in body:
            zone = body["availability_zone"]
        if body.get("host"):  # "" asks for no host, as upstream
            req.authorize(_target(instance),
                          rule=rules.SHELVE % "unshelve_to_host")
            host = body["host"]
    action_service.unshelve(session, instance, caller(req),
                            _driver(req), _conf(req), zone=zone, host=host,
                            network=compute_of(req).network)


def _rescue(req, session, instance, body, remote=None):
    body = body or {}
    admin_pass = _admin_pass(req, body.get("adminPass"))
    action_service.rescue(session, instance, caller(req), _driver(req),
                          body.get("rescue_image_ref"),
                          remote_checked=remote is not None)
    return Result(200, {"adminPass": admin_pass} if admin_pass else {})


def _crash_dump(req, session, instance, body):
    action_service.trigger_crash_dump(session, instance, caller(req),
                                      _driver(req))


def _force_delete(req, session, instance, body):
    hard_delete(req, session, instance)


def _restore(req, session, instance, body):
    action_service.restore(session, instance, caller(req),
                           _driver(req), _conf(req))


def _reset_state(req, session, instance, body):
    action_service.reset_state(session, instance, caller(req),
                               _driver(req), body["state"])


def _inject_network_info(req, session, instance, body):
    """Upstream casts it to the server's compute host and records nothing;
    the built-in driver's guests have no network configuration to
    refresh, so there is nothing to do once the lock is checked."""


def _security_group(change):
    """addSecurityGroup/removeSecurityGroup: the group named (or its id)
    joins or leaves the server's ports; nothing recorded, as upstream."""
    def handler(req, session, instance, body):
        name = body["name"]
        if not name.strip():
            raise errors.BadRequest("Security group name cannot be empty")
        change(session, instance, name, req.context.project_id,
               compute_of(req).network)
    return handler


# -- the table ----------------------------------------------------------------

_n = schemas.any_action  # upstream looks at none of these values
_A = ServerAction

ACTIONS = action_table(
    _A("reboot", _reboot, server_rules.S % "reboot", server_schemas.REBOOT,
       row_only=True),
    _A("os-stop", _stop, server_rules.S % "stop", server_schemas.STOP,
       row_only=True),
    _A("os-start", _start, server_rules.S % "start", server_schemas.START,
       row_only=True),
    _A("pause", _simple(action_service.pause), rules.PAUSE % "pause",
       _n("pause"), row_only=True),
    _A("unpause", _simple(action_service.unpause), rules.PAUSE % "unpause",
       _n("unpause"), row_only=True),
    _A("suspend", _simple(action_service.suspend),
       rules.SUSPEND % "suspend", _n("suspend"), row_only=True),
    _A("resume", _simple(action_service.resume), rules.SUSPEND % "resume",
       _n("resume"), row_only=True),
    _A("lock", _lock, rules.LOCK % "lock", schemas.LOCK, lock_exempt=True,
       row_only=True),
    _A("unlock", _unlock, rules.LOCK % "unlock", _n("unlock"),
       lock_exempt=True, row_only=True),
    _A("rebuild", _rebuild, rules.S % "rebuild", schemas.REBUILD,
       remote=snapshots.rebuild_remote),
    _A("resize", _resize, rules.S % "resize", schemas.RESIZE),
    _A("confirmResize", _confirm, rules.S % "confirm_resize",
       _n("confirmResize")),
    _A("revertResize", _revert, rules.S % "revert_resize",
       _n("revertResize")),
    _A("migrate", _migrate, rules.MIGRATE % "migrate", schemas.MIGRATE),
    _A("os-migrateLive", _migrate_live, rules.MIGRATE % "migrate_live",
       schemas.MIGRATE_LIVE, lock_exempt=True,
       host_rule=rules.MIGRATE % "migrate_live:host"),
    _A("createImage", snapshots.create_image, rules.S % "create_image",
       schemas.CREATE_IMAGE, lock_exempt=True,
       remote=snapshots.create_image_remote),
    _A("createBackup", snapshots.create_backup, rules.CREATE_BACKUP,
       schemas.CREATE_BACKUP, remote=snapshots.create_backup_remote,
       done=snapshots.backup_done),
    _A("os-getConsoleOutput", _console_output, rules.CONSOLE_OUTPUT,
       schemas.CONSOLE_OUTPUT, lock_exempt=True),
    _A("changePassword", _change_password, rules.ADMIN_PASSWORD,
       schemas.CHANGE_PASSWORD, row_only=True),
    _A("shelve", _shelve, rules.SHELVE % "shelve", _n("shelve"),
       remote=snapshots.shelve_remote),
    _A("shelveOffload", _shelve_offload, rules.SHELVE % "shelve_offload",
       _n("shelveOffload")),
    _A("unshelve", _unshelve, rules.SHELVE % "unshelve", schemas.UNSHELVE,
       done=snapshots.unshelved),
    _A("rescue", _rescue, rules.RESCUE, schemas.RESCUE,
       remote=snapshots.rescue_remote),
    _A("unrescue", _simple(action_service.unrescue), rules.UNRESCUE,
       _n("unrescue"), row_only=True),
    # The remote consoles of before 2.6 (handlers/remote_consoles.py).
    *(_A(*entry, max_version=(2, 5), lock_exempt=True)
      for entry in remote_consoles.LEGACY_ACTIONS),
    _A("trigger_crash_dump", _crash_dump, rules.S % "trigger_crash_dump",
       schemas.null_action("trigger_crash_dump"), min_version=(2, 17),
       row_only=True),
    _A("forceDelete", _force_delete, rules.DEFERRED % "force",
       _n("forceDelete")),
    _A("restore", _restore, rules.DEFERRED % "restore", _n("restore")),
    # Upstream checks no lock and no state: the admin's override.
    _A("os-resetState", _reset_state, rules.RESET_STATE, schemas.RESET_STATE,
       lock_exempt=True),
    _A("injectNetworkInfo", _inject_network_info, rules.INJECT_NETWORK_INFO,
       _n("injectNetworkInfo")),
    # Upstream asks Neutron without looking at the server's lock.
    _A("addSecurityGroup", _security_group(security_groups.add),
       group_rules.SECURITY_GROUPS % "add",
       schemas.security_group_action("addSecurityGroup"), lock_exempt=True),
    _A("removeSecurityGroup", _security_group(security_groups.remove),
       group_rules.SECURITY_GROUPS % "remove",
       schemas.security_group_action("removeSecurityGroup"),
       lock_exempt=True),
    # Neutron's (server_network_actions); removed in 2.44.
    _A("addFloatingIp", server_network_actions.no_floating_ips,
       floating_rules.FLOATING_IPS % "add",
       floating_schemas.add_floating_ip(), max_version=(2, 43),
       lock_exempt=True),
    _A("removeFloatingIp", server_network_actions.no_floating_ips,
       floating_rules.FLOATING_IPS % "remove",
       floating_schemas.remove_floating_ip(), max_version=(2, 43),
       lock_exempt=True),
)


# -- the dispatcher -----------------------------------------------------------

class _NeedsSession(Exception):
    """The server has a due change that needs the ORM path."""


def _row_action(req, server_id, handler, rule, check_lock, body):
    """A ``row_only`` action: the server's row locked, read, changed
    and written back with the instance-action record, in one transaction
    on the driver's connection; what ``load_for_change`` checks, checked
    the same way. Raises ``_NeedsSession`` (nothing written) when the
    server has a due second transition."""
    is_admin = req.can("context_is_admin")
    with db_of(req).transaction(write=True) as tx:
        server = server_rows.get_editable(
            tx, server_id,
            project_id=None if is_admin else req.context.project_id)
        req.authorize({"project_id": server.project_id,
                       "user_id": server.user_id}, rule=rule)
        if check_lock:
            check_locked(req, server)
        if not transitions.settle_editable(server):
            raise _NeedsSession()
        result = handler(req, tx, server, body)
        server_rows.save(tx, server)
    return result


def action(req, server_id):
    (name, body), = req.json.items()
    entry = ACTIONS.get(name)
    if entry is None:
        removed.check_action(name, req.version)
        raise errors.BadRequest(f"There is no such action: {name}")
    if not entry.exists_at(req.version):
        # Upstream: the action's method does not exist at this version.
        raise errors.NotFound("The resource could not be found.")
    handler, rule = entry.handler, entry.rule_for(body)
    validation.validate_body(entry.schema, req.json, req.version)
    check_lock = not entry.lock_exempt
    if server_network_actions.handles(req, name):
        server_network_actions.run(req, name, server_id, rule, body)
        return Result(202)
    # The periodic work (``sweep``) and due second transitions take the
    # ORM path below.
    if entry.row_only and not transitions.sweep_due():
        try:
            result = _row_action(req, server_id, handler, rule, check_lock,
                                 body)
        except _NeedsSession:
            pass
        else:
            return result if result is not None else Result(202)

    def run(prepared=None):
        extra = {} if prepared is None else {"remote": prepared}
        with db_of(req).writer() as session:
            sweep(req, session)
            instance = load_for_change(req, session, server_id, rule,
                                       check_lock=check_lock)
            return handler(req, session, instance, body, **extra)

    if entry.remote is not None and compute_of(req).images.remote:
        result = entry.remote(req, server_id, body, run, rule)
    else:
        result = run()
    if isinstance(result, Exception):
        raise result  # what was written stays (upstream's records)
    if entry.done is not None:
        result = entry.done(req, server_id, body, result)
    return result if result is not None else Result(202)


ROUTES = (
    Route("/servers/{server_id}/action", "POST", action,
          query=ANY_QUERY, body=server_schemas.ACTION,
          check_first=False, actions=ACTIONS),
)
