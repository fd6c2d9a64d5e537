"""What the handlers of a server and its sub-resources share.

Loading a server for the caller (policy checked, another project's server
is 404), locked for a change (lock and pending transitions applied), who
is asking (as instance-action records keep it), rendering one server, and
the reading of ``changes-since``/``changes-before``.
"""

import datetime
import types as pytypes

from nova import exception
from nova.api import errors
from nova.api.compute import server_details
from nova.api.compute.common import last
from nova.api.compute.handlers import neutron_common
from nova.api.compute.router import Result
from nova.api.compute.views import servers as views
from nova.compute import driver as driver_mod
from nova.compute import (
    instance_actions,
    migrations,
    neutron_ports,
    transitions,
)
from nova.compute import servers as service


def db_of(req):
    """The store of the app serving ``req``."""
    return req.app.backends.db


def compute_of(req):
    """The compute driver and the network of the app serving ``req``."""
    return req.app.backends.compute


def load(req, session, server_id, rule=None, for_update=False):
    """The caller's server (any project's for admins), policy checked.

    A server of another project is 404, as upstream, whatever the role.
    """
    is_admin = req.can("context_is_admin")
    instance = service.get(
        session, server_id,
        project_id=None if is_admin else req.context.project_id,
        for_update=for_update)
    req.authorize({"project_id": instance.project_id,
                   "user_id": instance.user_id}, rule=rule)
    return instance


def check_locked(req, instance):
    if instance.locked and not req.can("context_is_admin"):
        raise errors.Conflict(f"Instance {instance.uuid} is locked")


def caller(req):
    """Who asks, as the instance-action records keep it."""
    ctx = req.context
    return pytypes.SimpleNamespace(
        request_id=ctx.request_id, user_id=ctx.user_id,
        project_id=ctx.project_id, user_name=ctx.user_name,
        is_admin=req.can("context_is_admin"))


def settle(req, session, instance):
    """Apply the server's due transitions (with what they free); a server
    reclaimed on the way is gone (404)."""
    compute = compute_of(req)
    if not transitions.settle(session, instance, compute.driver,
                                 compute.network):
        session.flush()
        raise service.not_found(instance.uuid)


def sweep(req, session):
    compute = compute_of(req)
    transitions.sweep(session, compute.driver, compute.network)


def load_for_change(req, session, server_id, rule=None, check_lock=True):
    """The server, locked for this transaction, for a change by the caller:
    policy checked, refused when locked (non-admins), pending transitions
    applied."""
    instance = load(req, session, server_id, rule=rule, for_update=True)
    if check_lock:
        check_locked(req, instance)
    settle(req, session, instance)
    return instance


# The disk config extension's attribute (create, update, rebuild, resize).
DISK_CONFIG = "OS-DCF:diskConfig"


def disk_config(body):
    """The body's ``OS-DCF:diskConfig`` (the schema allows AUTO and MANUAL
    only) as the domain's ``auto_disk_config``: True, False, or None when
    absent."""
    value = body.get(DISK_CONFIG)
    return None if value is None else value == "AUTO"


def show_one(req, session, instance, status=200):
    fixed = compute_of(req).network.addresses(session, [instance.uuid])
    ctx = server_details.detail_context(req, session, [instance], fixed,
                                        with_groups=True)
    return Result(status, {"server": views.detail(req, instance, ctx)})


# What PUT leaves out before 2.75 (upstream's show_* flags; a fault stays).
_EXTENSION_KEYS = ("OS-EXT-", "OS-SRV-USG:", "config_drive", "key_name",
                   "security_groups", "os-extended-volumes:", "host_status")


def reduce_view(view):
    """The view PUT (and rebuild) return before 2.75."""
    for key in list(view):
        if key.startswith(_EXTENSION_KEYS):
            del view[key]
    for addrs in view["addresses"].values():
        for addr in addrs:
            addr.pop("OS-EXT-IPS:type", None)
            addr.pop("OS-EXT-IPS-MAC:mac_addr", None)
    return view


def hard_delete(req, session, instance):
    compute = compute_of(req)
    now = driver_mod.utcnow()
    instance_actions.record(session, instance, "delete", caller(req),
                          [("compute_terminate_instance", "Success", None)],
                          finish=now)
    migrations.release_resize(session, instance, compute.driver)
    if neutron_common.enabled(req):
        # After the commit, as upstream's delete: the ports made for the
        # server are deleted as the caller (with a service token), the
        # others unbound as the service.
        compute.network.release(session, instance.uuid,
                                lambda ports: neutron_ports.deallocate(
                                    neutron_common.as_service(req), ports,
                                    neutron_common.for_release(req)))
    service.delete(session, instance, driver=compute.driver,
                   network=compute.network)



def time_param(query, name):
    raw = last(query, name)
    if raw is None:
        return None
    try:
        value = datetime.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise errors.BadRequest(
            f"Invalid input for field/attribute {name}. Value: {raw}. "
            f"'{raw}' is not a 'date-time'") from None
    if value.tzinfo is not None:
        try:
            value = value.astimezone(datetime.timezone.utc).replace(
                tzinfo=None)
        except OverflowError:  # "0001-01-01T00:00:00+05:00"
            raise errors.BadRequest(
                f"Invalid input for field/attribute {name}. Value: {raw}. "
                "Out of range") from None
    return value


def changes_window(query, version_ok):
    """(changes-since, changes-before) of ``query``; changes-before only
    when ``version_ok`` (2.66); 400 when since is after before."""
    since = time_param(query, "changes-since")
    before = time_param(query, "changes-before") if version_ok else None
    if since and before and since > before:
        raise errors.BadRequest(
            "The value of changes-since must be less than or equal to "
            "changes-before.")
    return since, before


def remote_image(req, image_ref, *, not_found=None):
    """The image ``image_ref`` from a remote image service (Glance),
    fetched before any transaction opens; None with the local catalogue
    (the domain reads it in its transaction). Not found or not allowed is
    400 as upstream (``not_found``: the message, else server create's
    "Can not find requested image")."""
    images = compute_of(req).images
    if not images.remote:
        return None
    if not image_ref:
        raise exception.Invalid(not_found or "Can not find requested image")
    try:
        return images.show(req.context, image_ref)
    except exception.NotFound:
        raise exception.Invalid(
            not_found or "Can not find requested image") from None
    except exception.Forbidden as exc:
        raise exception.Invalid(exc.message) from None
