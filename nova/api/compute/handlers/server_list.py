"""GET /servers and /servers/detail: the query string read into a
``ListRequest``, a page of servers, each detailed view from the render
cache (``render_cache.RenderCache.render_servers``)."""

import json

from nova.api import errors
from nova.api.compute import common
from nova.api.compute.common import last
from nova.api.compute.handlers.server_common import (
    changes_window,
    compute_of,
    db_of,
    time_param,
)
from nova.api.compute.router import Result, Route
from nova.api.compute.schemas import servers as schemas
from nova.api.compute.schemas import types
from nova.api.compute.server_details import detail_context
from nova.api.compute.views import servers as views
from nova.compute import server_list as list_service
from nova.compute import states
from nova.policies import servers as rules

# The "servers" resource's microversions (its list filters among them) are
# declared once, in servers.HONOURED.
HONOURED = {}

_regex = common.regex


def _csv(query, name):
    raw = last(query, name)
    if not raw:
        return ()
    return tuple(dict.fromkeys(t.strip() for t in raw.split(",")
                               if t.strip()))


def _without_ignored(req, keys, dirs):
    """Upstream's remove_invalid_sort_keys: the ignored keys leave, each
    with the direction at its place; from 2.75 they are refused."""
    if req.is_version("2.75"):
        return keys, dirs
    ignored = set(list_service.IGNORED_SORT_KEYS)
    if req.is_version("2.73"):
        ignored.discard("locked")
    keys, dirs = list(keys), list(dirs)
    for key in [k for k in keys if k in ignored]:
        place = keys.index(key)
        if len(dirs) > place:
            dirs.pop(place)
        keys.pop(place)
    return keys, dirs


def _sort(req, is_admin):
    keys, dirs = _without_ignored(req, req.query.get("sort_key", []),
                                  req.query.get("sort_dir", []))
    if not keys:
        if dirs and dirs[0] not in ("asc", "desc"):
            raise errors.BadRequest("Invalid sort direction")
        return [("created_at", dirs[0] if dirs else "desc")]
    sort = []
    for i, key in enumerate(keys):
        if key not in list_service.SORT_KEYS:
            raise errors.BadRequest(f"Invalid sort key: {key}")
        if key in list_service.ADMIN_SORT_KEYS and not is_admin:
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
    lreq = list_service.ListRequest(
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
    lreq.changes_since, lreq.changes_before = changes_window(
        query, req.is_version("2.66"))
    # Upstream: changes-since (or -before) shows deleted servers too.
    if (lreq.changes_since is not None or lreq.changes_before is not None) \
            and "deleted" not in query:
        lreq.deleted = None
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
        lreq.exact[param] = time_param({param: [value]}, param)
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


def _detail_page(req, db, lreq, network):
    """The body of a page of detailed servers (see
    ``RenderCache.render_servers``); None when
    the request needs whole rows to filter (regular expressions)."""
    keys = list_service.list_page_keys(db, lreq)
    if keys is None:
        return None
    rendered = req.app.render_cache.render_servers(req, db, keys, network)
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
    network = compute_of(req).network
    if detailed:
        page = _detail_page(req, db_of(req), lreq, network)
        if page is not None:
            return page
    with db_of(req).reader() as session:
        rows, fixed = list_service.list_servers(session, lreq, network)
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


ROUTES = (
    Route("/servers", "GET", index, rules.S % "index",
          query=schemas.LIST_QUERY),
    Route("/servers/detail", "GET", detail, rules.S % "detail",
          query=schemas.LIST_QUERY),
)
