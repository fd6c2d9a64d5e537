"""/servers: create, list, show, update, delete, and the core actions."""

import base64
import contextlib
import datetime
import json
import types as pytypes

import re2
import sqlalchemy as sa

from nova.api import errors
from nova.api.compute import common, render_cache
from nova.api.compute.common import last
from nova.api.compute.router import Result, Route
from nova.api.compute.schemas import servers as schemas
from nova.api.compute.schemas import types
from nova.api.compute.views import servers as views
from nova.compute import actions as action_service
from nova.compute import driver as driver_mod
from nova.compute import images as image_service
from nova.compute import server_groups
from nova.compute import servers as service
from nova.compute import states
from nova.db import api as db_api
from nova.db.models import ComputeHost, Image
from nova.policies import servers as rules

# Microversions whose changes to the servers collection these handlers
# implement (sub-collections and actions declare their own).
HONOURED = {
    "servers": {
        "2.3",   # OS-EXT-SRV-ATTR extras (volumes_attached is always empty)
        "2.5",   # ip6 filter for everyone (the flat network has no IPv6)
        "2.9",   # locked
        "2.16",  # host_status
        "2.19",  # description
        "2.26",  # tags in views and the tag filters
        "2.32",  # networks[].tag
        "2.37",  # networks required: list, auto or none
        "2.38",  # invalid status filter -> 400
        "2.42",  # networks[].tag again
        "2.47",  # embedded flavor
        "2.52",  # tags on create
        "2.57",  # no personality
        "2.63",  # trusted_image_certificates
        "2.66",  # changes-before
        "2.67",  # bdm volume_type (volume BDMs are refused here anyway)
        "2.69",  # down cells: there are no cells, nothing is ever down
        "2.71",  # server_groups
        "2.72",  # ports with a resource request (ports are refused anyway)
        "2.73",  # locked_reason, locked filter and sort key
        "2.74",  # host / hypervisor_hostname on create
        "2.75",  # strict query, full view from PUT
        "2.83",  # more filters for non-admins
        "2.90",  # hostname on create/update, shown to all
        "2.94",  # FQDN hostnames
        "2.96",  # pinned_availability_zone
        "2.98",  # image properties
        "2.100",  # scheduler_hints
        "2.102",  # unknown query parameters refused (from 2.75 already)
        "2.104",  # PUT pinned_availability_zone
    },
    "servers/ips": set(),
}

_MUTABLE_STATES = (states.ACTIVE, states.PAUSED, states.SUSPENDED,
                   states.STOPPED, states.SHELVED, states.SHELVED_OFFLOADED)


def _db(req):
    return req.app.backends.db


def _compute(req):
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
    compute = _compute(req)
    if not action_service.settle(session, instance, compute.driver,
                                 compute.network):
        session.flush()
        raise service.not_found(instance.uuid)


def sweep(req, session):
    compute = _compute(req)
    action_service.sweep(session, compute.driver, compute.network)


def load_for_change(req, session, server_id, rule=None, check_lock=True):
    """The server, locked for this transaction, for a change by the caller:
    policy checked, refused when locked (non-admins), pending transitions
    applied."""
    instance = load(req, session, server_id, rule=rule, for_update=True)
    if check_lock:
        check_locked(req, instance)
    settle(req, session, instance)
    return instance


def shared_context(req, session, image_refs):
    """(image properties by ref, {host: host_status} of hosts not up): the
    parts of a detailed view that come from outside the servers' own
    rows."""
    images = {}
    if req.is_version("2.98"):
        refs = {r for r in image_refs if r}
        if refs:
            found = {row.id: row for row in db_api.rows(
                session, _ACTIVE_IMAGES, {"ids": list(refs)})}
            for ref in refs:
                image = found.get(ref)
                images[ref] = image_service.properties(image) if image \
                    else {}
    host_states = {}
    if req.is_version("2.16"):
        # Upstream's host_status: DOWN when forced down, MAINTENANCE when
        # disabled, "" when the service is gone.
        for host, is_disabled, forced_down, deleted in db_api.rows(
                session, _HOST_STATES):
            if deleted:
                host_states[host] = ""
            elif forced_down:
                host_states[host] = "DOWN"
            elif is_disabled:
                host_states[host] = "MAINTENANCE"
    return images, host_states


# Built once: they run in an ORM session or a ``Transaction``.
_ACTIVE_IMAGES = sa.select(Image.id, Image.properties).where(
    Image.id.in_(sa.bindparam("ids", expanding=True)),
    Image.status == "active")
_HOST_STATES = sa.select(ComputeHost.host, ComputeHost.disabled,
                         ComputeHost.forced_down, ComputeHost.deleted)


def detail_context(req, session, instances, fixed_ips, shared=None,
                   with_groups=False, ctx=None):
    """What the detailed views of ``instances`` need, loaded in bulk.

    ``with_groups``: the server_groups of 2.71, which upstream shows for one
    server (show, update, rebuild), never in lists. ``ctx``: a context made
    for this request already, filled in instead of a new one."""
    uuids = [i.uuid for i in instances]
    images, host_states = shared or shared_context(
        req, session, [i.image_ref for i in instances])
    parts = dict(
        metadata=service.metadata_of(session, uuids),
        tags=service.tags_of(session, uuids) if req.is_version("2.26")
        else {},
        fixed_ips=fixed_ips, faults=service.fault_of(session, [
            i.uuid for i in instances
            if driver_mod.effective(i)[0] in (states.ERROR,
                                              states.DELETED)]),
        network_name=_compute(req).network.name,
        images=images, host_states=host_states,
        server_groups=(server_groups.groups_of(session, uuids)
                       if with_groups and req.is_version("2.71") else None))
    if ctx is None:
        return views.DetailContext(req, **parts)
    ctx.__dict__.update(parts)
    return ctx


def show_one(req, session, instance, status=200):
    fixed = _compute(req).network.addresses(session, [instance.uuid])
    ctx = detail_context(req, session, [instance], fixed, with_groups=True)
    return Result(status, {"server": views.detail(req, instance, ctx)})


# -- list ---------------------------------------------------------------------

def _time_param(query, name):
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


def _regex(pattern, name):
    if len(pattern) > 255:
        raise errors.BadRequest(f"Invalid {name} filter: too long")
    try:
        compiled = re2.compile(pattern)
    except re2.error:
        raise errors.BadRequest(f"Invalid {name} filter [{pattern}]") from None
    return compiled


def _csv(query, name):
    raw = last(query, name)
    if not raw:
        return ()
    return tuple(dict.fromkeys(t.strip() for t in raw.split(",")
                               if t.strip()))


def _sort(req, is_admin):
    keys = req.query.get("sort_key", [])
    dirs = req.query.get("sort_dir", [])
    if not keys:
        if dirs and dirs[0] not in ("asc", "desc"):
            raise errors.BadRequest("Invalid sort direction")
        return [("created_at", dirs[0] if dirs else "desc")]
    sort = []
    for i, key in enumerate(keys):
        if key not in service.SORT_KEYS:
            raise errors.BadRequest(f"Invalid sort key: {key}")
        if key in service.ADMIN_SORT_KEYS and not is_admin:
            raise errors.Forbidden(
                f"Only administrators can sort servers by {key}")
        direction = dirs[i] if i < len(dirs) else (
            dirs[-1] if dirs else "desc")
        if direction not in ("asc", "desc"):
            raise errors.BadRequest("Invalid sort direction")
        # A key again changes nothing (the first one decides), and a
        # thousand of them must not reach the database.
        if all(key != seen for seen, _d in sort):
            sort.append((key, direction))
    return sort


def build_list_request(req, detailed):
    query = req.query
    is_admin = req.can(rules.S % "allow_all_filters")
    all_tenants = "all_tenants" in query
    if all_tenants:
        raw = last(query, "all_tenants")
        all_tenants = raw == "" or common.parse_bool(raw, "all_tenants")
    if all_tenants:
        req.authorize(rule=rules.S % ("detail:get_all_tenants" if detailed
                                      else "index:get_all_tenants"))
    # Without all_tenants a project filter is ignored (LP#1185290): the
    # caller sees its own project, admin or not.
    project = last(query, "project_id") or last(query, "tenant_id")
    lreq = service.ListRequest(
        project_id=project if all_tenants else req.context.project_id)
    lreq.limit, lreq.marker = common.page_params(req)
    lreq.sort = _sort(req, is_admin)
    status = last(query, "status")
    if status is not None:
        vm_states, task_states, excluded = states.from_status(status)
        if not vm_states:
            if req.is_version("2.38"):
                raise errors.BadRequest(f"Invalid status value: {status}")
            lreq.empty = True
        lreq.vm_states, lreq.task_states = vm_states, task_states
        lreq.excluded_tasks = excluded
    if is_admin and "deleted" in query:
        # Upstream: anything but a true value means False, never a 400.
        lreq.deleted = common.is_true(last(query, "deleted"))
    if status is not None and status.upper() == "DELETED":
        if not is_admin:
            raise errors.Forbidden(
                "Only administrators may list deleted instances")
        lreq.deleted = True
    lreq.changes_since = _time_param(query, "changes-since")
    if lreq.changes_since is not None and "deleted" not in query:
        lreq.deleted = None  # upstream: changes-since shows deleted ones too
    if req.is_version("2.66"):
        lreq.changes_before = _time_param(query, "changes-before")
        if lreq.changes_before is not None and "deleted" not in query:
            lreq.deleted = None
        if (lreq.changes_since and lreq.changes_before
                and lreq.changes_since > lreq.changes_before):
            raise errors.BadRequest(
                "The value of changes-since must be less than or equal to "
                "changes-before.")
    image = last(query, "image")
    if image is not None:
        lreq.image = image.rstrip("/").rsplit("/", 1)[-1]
    flavor = last(query, "flavor")
    if flavor is not None:
        lreq.flavor = flavor.rstrip("/").rsplit("/", 1)[-1]
    name = last(query, "name")
    if name is not None:
        pattern = _regex(name, "name")
        lreq.predicates.append(
            lambda row: pattern.search(row.display_name) is not None)
    ip6 = last(query, "ip6")
    if ip6 is not None and (is_admin or req.is_version("2.5")):
        _regex(ip6, "ip6")
        lreq.empty = True  # the flat network hands out no IPv6 addresses
    ip = last(query, "ip")
    if ip is not None:
        ip_pattern = _regex(ip, "ip")
        lreq.ip_predicates.append(lambda a: ip_pattern.search(a) is not None)
    if req.is_version("2.26"):
        lreq.tags = _csv(query, "tags")
        lreq.tags_any = _csv(query, "tags-any")
        lreq.not_tags = _csv(query, "not-tags")
        lreq.not_tags_any = _csv(query, "not-tags-any")
    if req.is_version("2.73") and "locked" in query:
        lreq.locked = common.parse_bool(last(query, "locked"), "locked")
    for param in ("reservation_id",):
        if last(query, param) is not None:
            setattr(lreq, param, last(query, param))
    filters = list(_NON_ADMIN_283) if req.is_version("2.83") else []
    if is_admin:
        filters = list(_ADMIN_FILTERS) + list(_NON_ADMIN_283)
    for param in filters:
        value = last(query, param)
        if value is not None:
            _apply_filter(lreq, param, value)
    return lreq


# Exact-match filters: admins may use them all; from 2.83 everyone may use
# the second group.
_ADMIN_FILTERS = ("uuid", "host", "node", "hostname", "project_id")
_NON_ADMIN_283 = ("availability_zone", "config_drive", "key_name",
                  "created_at", "launched_at", "terminated_at",
                  "power_state", "task_state", "vm_state", "progress",
                  "user_id")


def _apply_filter(lreq, param, value):
    if param in ("uuid", "hostname", "availability_zone", "key_name",
                 "user_id"):
        setattr(lreq, param, value)
    elif param in ("host", "node"):
        lreq.host = value
    elif param == "config_drive":
        lreq.exact["config_drive"] = "True" if common.parse_bool(
            value, "config_drive") else ""
    elif param in ("created_at", "launched_at", "terminated_at"):
        lreq.exact[param] = _time_param({param: [value]}, param)
    elif param == "power_state":
        try:
            lreq.power_states = (int(value),)
        except ValueError:
            raise errors.BadRequest(
                f"Invalid power_state filter [{value}]") from None
        if not 0 <= lreq.power_states[0] <= types.MAX_INT:
            lreq.empty = True  # no such power state
    elif param == "vm_state":
        lreq.vm_states = (value,)
    elif param == "task_state":
        lreq.task_states = (value,)
    elif param == "progress":
        if value.strip() != "0":
            lreq.empty = True  # the built-in driver reports no progress


# Detailed views of servers, rendered to JSON, by what they are made of
# (see _detail_page).
_RENDERED = render_cache.Memo(max_entries=50000, max_bytes=32 * 1024 * 1024)
# One server's view (show) as its JSON without the state fields
# (``views.without_state``), by all it is made of but its state
# (``view_revision``): after a state-only change (a reboot, a lock) only the
# state fields are encoded (see _render).
_VIEWS = render_cache.Objects(max_entries=4096, max_bytes=16 * 1024 * 1024)


def _render(req, db, keys, network, with_groups=False):
    """{uuid: detailed view as JSON} of the servers of ``keys``
    (``service.PAGE_KEY_COLUMNS`` rows), each rendered once per version
    of it.

    A server's JSON is taken from ``_RENDERED`` when that same revision
    was already rendered the same way (microversion, the caller's view
    rights, link base, host states, image properties, for one server its
    groups), and only the others are read whole and rendered. Every change
    to what a server's view shows from its own rows moves its revision,
    and what comes from elsewhere is in the key, so an entry is never
    stale.
    """
    with contextlib.ExitStack() as stack:
        session = None

        def reader():
            # One read transaction for all the reads, on the driver's
            # connection (the statements are built and compiled once).
            nonlocal session
            if session is None:
                session = stack.enter_context(db.transaction())
            return session

        images, host_states = {}, {}
        if req.is_version("2.16") or req.is_version("2.98"):
            images, host_states = shared_context(
                req, reader(), [k.image_ref for k in keys])
        groups = None
        if with_groups and req.is_version("2.71"):
            groups = server_groups.groups_of(reader(),
                                             [k.uuid for k in keys])
        probe = views.DetailContext(
            req, metadata={}, tags={}, fixed_ips={}, faults={},
            network_name=network.name, host_states=host_states,
            images=images)
        now = probe.now
        links = probe.links
        how = (req.version, probe.show_extended, probe.show_host_status,
               probe.show_flavor_specs, links.api_base, links.bookmark_base,
               network.name, tuple(sorted(host_states.items()))
               if probe.show_host_status else None)
        with_images = probe.at["2.98"]

        def key_of(row):
            # A page key row says whether the transition is due; a whole
            # row (rendered as of ``now``) is checked here.
            due = row.due if hasattr(row, "due") else service.due_of(
                row, now)
            image = render_cache.freeze(images.get(row.image_ref)) if with_images \
                else None
            group = None if groups is None else tuple(groups[row.uuid])
            return (row.uuid, row.revision, due, image, group, how)

        def static_key(row):
            # Everything but the state: see views.servers.with_state.
            image = render_cache.freeze(images.get(row.image_ref)) if with_images \
                else None
            group = None if groups is None else tuple(groups[row.uuid])
            return (row.uuid, row.view_revision, image, group, how)

        rendered, missing = {}, []
        if not with_images and groups is None and keys and hasattr(
                keys[0], "due"):
            # A page's key rows, shown without per-image or per-group
            # parts (key_of, spelled out: this runs for every server of
            # every page).
            get = _RENDERED.get
            for row in keys:
                fragment = get((row.uuid, row.revision, row.due, None, None,
                                how))
                if fragment is None:
                    break
                rendered[row.uuid] = fragment
            else:
                return rendered
            rendered = {}
        for row in keys:
            key = key_of(row)
            fragment = _RENDERED.get(key)
            if fragment is None and hasattr(row, "view_revision"):
                # Only the state changed since (a reboot, a lock): the
                # rest of the view stands, the state fields are redone.
                earlier = _VIEWS.get(static_key(row))
                data = earlier and views.with_state(earlier, row, probe)
                if data is not None:
                    fragment = _RENDERED.keep_bytes(key, data)
            if fragment is None:
                missing.append(row.uuid)
            else:
                rendered[row.uuid] = fragment
        if missing:
            session = reader()
            rows, fixed = service.servers_by_uuid(session, missing, network)
            # The probe's answers (versions, policy, now) stand.
            ctx = detail_context(req, session, rows, fixed,
                                 shared=(images, host_states), ctx=probe)
            if groups is not None:
                ctx.server_groups = groups
            for row in rows:
                view = views.detail(req, row, ctx)
                rendered[row.uuid] = data = _RENDERED.put(key_of(row), view)
                if len(keys) == 1:  # one server's: not every page's rows
                    kept = views.without_state(view)
                    _VIEWS.keep(static_key(row), kept, len(kept[1]))
    return rendered


def _detail_page(req, db, lreq, network):
    """The body of a page of detailed servers (see ``_render``); None when
    the request needs whole rows to filter (regular expressions)."""
    keys = service.list_page_keys(db, lreq)
    if keys is None:
        return None
    rendered = _render(req, db, keys, network)
    fragments = [rendered[row.uuid] for row in keys if row.uuid in rendered]
    # What json.dumps(common.collection(...)) would give, by concatenation.
    body = b'{"servers": [' + b", ".join(fragments) + b"]"
    if fragments and len(fragments) == lreq.limit:
        last_id = next(row.uuid for row in reversed(keys)
                       if row.uuid in rendered)
        body += b', "servers_links": ' + json.dumps(
            common.Links(req).next("servers", last_id, "/detail")).encode()
    return Result(200, body + b"}")


def _list(req, detailed):
    lreq = build_list_request(req, detailed)
    network = _compute(req).network
    if detailed:
        page = _detail_page(req, _db(req), lreq, network)
        if page is not None:
            return page
    with _db(req).reader() as session:
        rows, fixed = service.list_servers(session, lreq, network)
        if detailed:
            ctx = detail_context(req, session, rows, fixed)
            items = [views.detail(req, r, ctx) for r in rows]
        else:
            links = common.Links(req)
            items = [views.basic(req, r, links) for r in rows]
    return common.collection(req, "servers", items, lreq.limit,
                             lambda item: item["id"],
                             path_suffix="/detail" if detailed else "")


def index(req):
    return _list(req, detailed=False)


def detail(req):
    return _list(req, detailed=True)


def show(req, server_id):
    """One server, rendered once per version of it (``_render``)."""
    db = _db(req)
    is_admin = req.can("context_is_admin")
    key = service.show_key(db, server_id)
    if key is None or (not is_admin
                       and key.project_id != req.context.project_id):
        raise service.not_found(server_id)
    req.authorize({"project_id": key.project_id, "user_id": key.user_id})
    rendered = _render(req, db, [key], _compute(req).network,
                       with_groups=True)
    if server_id not in rendered:  # deleted between the two reads
        raise service.not_found(server_id)
    return Result(200, b'{"server": ' + rendered[server_id] + b"}")


# -- create -------------------------------------------------------------------

def _parse_zone(req, zone):
    """availability_zone may be 'az', 'az:host' or 'az:host:node'."""
    if not zone:
        return None, None
    parts = zone.split(":")
    if len(parts) == 1:
        return zone, None
    req.authorize(rule=rules.S % "create:forced_host")
    host = parts[1] or (parts[2] if len(parts) > 2 else None)
    return parts[0] or None, host or None


def _networks(req, server):
    if "networks" not in server:
        return "auto"
    networks = server["networks"]
    if isinstance(networks, str):
        return networks
    req.authorize(rule=rules.S % "create:attach_network")
    return networks


def _image_ref(server):
    image_ref = server.get("imageRef", "")
    for bdm in server.get("block_device_mapping_v2", []):
        if bdm.get("source_type") == "image" and bdm.get(
                "destination_type", "local") == "local" and str(
                bdm.get("boot_index", "0")) == "0":
            image_ref = image_ref or bdm.get("uuid", "")
        else:
            raise errors.BadRequest(
                "Block Device Mapping is Invalid: this deployment has no "
                "block storage service; only a local image disk can be "
                "booted.")
    if not image_ref:
        raise errors.BadRequest(
            "Block Device Mapping is Invalid: Boot sequence for the instance "
            "and image/block device mapping combination is not valid.")
    return image_ref


def _injected_files(server):
    """[(path, content bytes)] of the personality (accepted until 2.56;
    the schema checked the base64)."""
    return [(item.get("path", ""),
             base64.b64decode(item.get("contents", "")))
            for item in server.get("personality") or ()]


def create(req):
    body = req.json
    server = body["server"]
    conf = req.app.backends.conf
    min_count = types.coerce_int(server.get("min_count", 1), "min_count", 1)
    max_count = types.coerce_int(server.get("max_count", min_count),
                                 "max_count", 1)
    if min_count > max_count:
        raise errors.BadRequest("min_count must be <= max_count")
    networks = _networks(req, server)
    if max_count > 1 and isinstance(networks, list) and any(
            n.get("fixed_ip") for n in networks):
        raise errors.BadRequest(
            "Unable to launch multiple instances with a single configured "
            "port ID or fixed IP. Please launch your instance one by one "
            "with different ports or fixed IPs.")
    zone, host = _parse_zone(req, server.get("availability_zone"))
    if server.get("host") or server.get("hypervisor_hostname"):
        req.authorize(rule=rules.S % "create:requested_destination")
        host = server.get("host") or server.get("hypervisor_hostname")
    if host and host not in [h[0] for h in _compute(req).driver.hosts]:
        raise errors.BadRequest(f"Compute host {host} could not be found.")
    groups = tuple(g["name"] for g in server.get("security_groups", [])) \
        or ("default",)
    for group in groups:
        if group != "default":
            raise errors.BadRequest(
                f"Unable to find security_group with name or id '{group}'")
    certs = server.get("trusted_image_certificates")
    if certs:
        req.authorize(rule=rules.S % "create:trusted_certs")
    hints = body.get("OS-SCH-HNT:scheduler_hints") or body.get(
        "os:scheduler_hints") or {}
    # Upstream: with enable_instance_password off no adminPass is returned,
    # not even one the caller chose.
    admin_pass = None
    if conf.compute.enable_instance_password:
        admin_pass = server.get("adminPass")
        if admin_pass is None:
            admin_pass = service.generate_password()
    creq = service.CreateRequest(
        name=server["name"],
        flavor_ref=common.id_from_href(server["flavorRef"]),
        image_ref=_image_ref(server), project_id=req.context.project_id,
        user_id=req.context.user_id, is_admin=req.can("context_is_admin"),
        key_name=server.get("key_name"), user_data=server.get("user_data"),
        metadata=server.get("metadata", {}), availability_zone=zone,
        host=host, networks=networks, security_groups=groups,
        config_drive=types.to_bool(server.get("config_drive", False)),
        description=server.get("description"),
        tags=tuple(server.get("tags", ())), hostname=server.get("hostname"),
        min_count=min_count, max_count=max_count, admin_pass=admin_pass,
        access_ip_v4=server.get("accessIPv4"),
        access_ip_v6=server.get("accessIPv6"),
        scheduler_hints=hints, trusted_certs=certs,
        injected_files=_injected_files(server))
    compute = _compute(req)
    who = caller(req)
    with _db(req).writer() as session:
        sweep(req, session)
        created, reservation_id = service.create(
            session, creq, driver=compute.driver, network=compute.network,
            conf=conf)
        for instance in created:
            ok = instance.host is not None
            action_service.record(session, instance, "create", who, [
                ("conductor_schedule_and_build_instances",
                 "Success" if ok else "Error",
                 None if ok else action_service.NO_HOST),
                *([("compute__do_build_and_run_instance", "Success", None)]
                  if ok else [])],
                message=None if ok else "Error")
    if types.to_bool(server.get("return_reservation_id", False)):
        return Result(202, {"reservation_id": reservation_id})
    links = common.Links(req)
    first = created[0]
    view = views.create_response(req, first, admin_pass, links)
    return Result(202, {"server": view},
                  headers=[("Location", view["links"][0]["href"])])


# -- update and delete ----------------------------------------------------------

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


def update(req, server_id):
    changes = req.json["server"]
    with _db(req).writer() as session:
        instance = load(req, session, server_id, for_update=True)
        settle(req, session, instance)
        if "name" in changes:
            instance.display_name = changes["name"]
        if "description" in changes:
            instance.display_description = changes["description"]
        if "hostname" in changes:
            instance.hostname = changes["hostname"]
        if "accessIPv4" in changes:
            instance.access_ip_v4 = changes["accessIPv4"]
        if "accessIPv6" in changes:
            instance.access_ip_v6 = changes["accessIPv6"]
        if "pinned_availability_zone" in changes:
            zone = changes["pinned_availability_zone"]
            if zone is not None and zone != instance.availability_zone:
                raise errors.BadRequest(
                    f"Server {instance.uuid} is in availability zone "
                    f"{instance.availability_zone}; it can only be pinned to "
                    f"that zone (or unpinned with null).")
            instance.pinned_availability_zone = zone
        instance.updated_at = driver_mod.utcnow()
        session.flush()
        result = show_one(req, session, instance)
    if not req.is_version("2.75"):
        reduce_view(result.body["server"])
    return result


def delete(req, server_id):
    compute = _compute(req)
    conf = req.app.backends.conf
    with _db(req).writer() as session:
        sweep(req, session)
        instance = load_for_change(req, session, server_id)
        # As upstream: only a server with a host is soft-deleted.
        if (conf.reclaim_instance_interval > 0 and instance.host
                and instance.vm_state != states.SOFT_DELETED):
            action_service.soft_delete(session, instance, caller(req),
                                       compute.driver, conf)
        else:
            hard_delete(req, session, instance)
    return Result(204)


def hard_delete(req, session, instance):
    compute = _compute(req)
    now = driver_mod.utcnow()
    action_service.record(session, instance, "delete", caller(req),
                          [("compute_terminate_instance", "Success", None)],
                          finish=now)
    action_service.release_resize(session, instance, compute.driver)
    service.delete(session, instance, driver=compute.driver,
                   network=compute.network)


# -- ips ------------------------------------------------------------------------

def ips_index(req, server_id):
    network = _compute(req).network
    with _db(req).reader() as session:
        instance = load(req, session, server_id)
        fixed = network.addresses(session, [instance.uuid])[instance.uuid]
    return {"addresses": views.addresses(network.name, fixed,
                                         with_extensions=False)}


def ips_show(req, server_id, network_label):
    network = _compute(req).network
    with _db(req).reader() as session:
        instance = load(req, session, server_id)
        fixed = network.addresses(session, [instance.uuid])[instance.uuid]
    found = views.addresses(network.name, fixed, with_extensions=False)
    if network_label not in found:
        raise errors.NotFound(
            "Instance is not a member of specified network")
    return {network_label: found[network_label]}


# -- actions ----------------------------------------------------------------------

def _reboot(req, session, instance, body):
    hard = body["type"].upper() == "HARD"
    service.reboot(instance, hard, _compute(req).driver)
    action_service.record(session, instance, "reboot", caller(req),
                          [("compute_reboot_instance", "Success", None)])


def _stop(req, session, instance, body):
    service.stop(instance, _compute(req).driver)
    action_service.record(session, instance, "stop", caller(req),
                          [("compute_stop_instance", "Success", None)])


def _start(req, session, instance, body):
    service.start(instance, _compute(req).driver)
    action_service.record(session, instance, "start", caller(req),
                          [("compute_start_instance", "Success", None)])


# name -> (handler, policy rule, body schema, minimum version)
ACTIONS = {
    "reboot": (_reboot, rules.S % "reboot", schemas.REBOOT, (2, 1)),
    "os-stop": (_stop, rules.S % "stop", schemas.STOP, (2, 1)),
    "os-start": (_start, rules.S % "start", schemas.START, (2, 1)),
}


# Actions a locked server still accepts from non-admins (upstream checks
# the lock on the others).
LOCK_EXEMPT = set()

# Actions whose handler changes nothing but the server's own row and
# writes an instance-action record: they run in a ``Transaction`` on an
# ``Editable`` row (``_row_action``), not in the ORM.
ROW_ONLY = {"reboot", "os-stop", "os-start"}


def register_action(name, handler, rule, schema, min_version=(2, 1),
                    lock_exempt=False, row_only=False):
    ACTIONS[name] = (handler, rule, schema, min_version)
    if lock_exempt:
        LOCK_EXEMPT.add(name)
    if row_only:
        ROW_ONLY.add(name)


class _NeedsSession(Exception):
    """The server has a due change that needs the ORM path."""


def _row_action(req, server_id, handler, rule, check_lock, body):
    """An action of ``ROW_ONLY``: the server's row locked, read, changed
    and written back with the instance-action record, in one transaction
    on the driver's connection; what ``load_for_change`` checks, checked
    the same way. Raises ``_NeedsSession`` (nothing written) when the
    server has a due second transition."""
    is_admin = req.can("context_is_admin")
    with _db(req).transaction(write=True) as tx:
        server = service.get_editable(
            tx, server_id,
            project_id=None if is_admin else req.context.project_id)
        req.authorize({"project_id": server.project_id,
                       "user_id": server.user_id}, rule=rule)
        if check_lock:
            check_locked(req, server)
        if not action_service.settle_editable(server):
            raise _NeedsSession()
        result = handler(req, tx, server, body)
        service.save(tx, server)
    return result


def action(req, server_id):
    from nova.api import validation

    (name, body), = req.json.items()
    entry = ACTIONS.get(name)
    if entry is None:
        raise errors.BadRequest(f"There is no such action: {name}")
    if req.version < entry[3]:
        # Upstream: the action's method does not exist at this version.
        raise errors.NotFound("The resource could not be found.")
    handler, rule, schema, _min = entry
    validation.validate_body(schema, req.json, req.version)
    check_lock = name not in LOCK_EXEMPT
    # The periodic work (``sweep``) and due second transitions take the
    # ORM path below.
    if name in ROW_ONLY and not action_service.sweep_due():
        try:
            result = _row_action(req, server_id, handler, rule, check_lock,
                                 body)
        except _NeedsSession:
            pass
        else:
            return result if result is not None else Result(202)
    with _db(req).writer() as session:
        sweep(req, session)
        instance = load_for_change(req, session, server_id, rule,
                                   check_lock=check_lock)
        result = handler(req, session, instance, body)
    return result if result is not None else Result(202)


# The remaining actions, os-instance-actions, os-interface, os-migrations.
from nova.api.compute.handlers import server_actions  # noqa: E402,F401


ROUTES = (
    Route("/servers", "GET", index, rules.S % "index",
          query=schemas.LIST_QUERY),
    Route("/servers/detail", "GET", detail, rules.S % "detail",
          query=schemas.LIST_QUERY),
    Route("/servers", "POST", create, rules.S % "create",
          query=schemas.NO_QUERY, body=schemas.CREATE),
    Route("/servers/{server_id}", "GET", show, rules.S % "show",
          query=schemas.NO_QUERY, check_first=False),
    Route("/servers/{server_id}", "PUT", update, rules.S % "update",
          query=schemas.NO_QUERY, body=schemas.UPDATE, check_first=False),
    Route("/servers/{server_id}", "DELETE", delete, rules.S % "delete",
          query=schemas.NO_QUERY, check_first=False),
    # The rule depends on the action in the body: see ACTIONS.
    Route("/servers/{server_id}/action", "POST", action,
          tuple(entry[1] for entry in ACTIONS.values()),
          query=schemas.NO_QUERY, body=schemas.ACTION, check_first=False),
    Route("/servers/{server_id}/ips", "GET", ips_index, rules.IPS % "index",
          query=schemas.NO_QUERY, check_first=False),
    Route("/servers/{server_id}/ips/{network_label}", "GET", ips_show,
          rules.IPS % "show", query=schemas.NO_QUERY, check_first=False),
)
