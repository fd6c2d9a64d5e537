"""/flavors, /flavors/{id}/os-extra_specs, /flavors/{id}/os-flavor-access."""

import re

from nova.api import errors
from nova.api.compute import common, identity, render_cache
from nova.api.compute.common import ANY_QUERY, SHOW_QUERY, last
from nova.api.compute.router import Action, Result, Route, action_table
from nova.api.compute.schemas import flavors as schemas
from nova.api.compute.schemas import types
from nova.api.compute.views import flavors as views
from nova.compute import extra_specs as spec_rules
from nova.compute import flavors as service
from nova.policies import flavors as rules

# Microversions whose changes to flavors these handlers implement.
HONOURED = {"flavors": {"2.7", "2.55", "2.61", "2.75", "2.86", "2.102"}}


def _db(req):
    return req.app.backends.db


def _who(req):
    return {"project_id": req.context.project_id,
            "is_admin": req.can("context_is_admin")}


def _show_specs(req):
    return req.is_version("2.61") and req.can(rules.EXTRA_SPECS % "index")


def _parse_is_public(req, is_admin):
    """True (public or shared with the caller), False, or None (all).

    Only admins may filter; for others the parameter is ignored, as
    upstream ignores it (it is not even parsed).
    """
    raw = last(req.query, "is_public")
    if raw is None or not is_admin:
        return True
    if raw.strip().lower() == "none":
        return None
    return common.parse_bool(raw, "is_public")


def _parse_min(req, name):
    raw = last(req.query, name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise errors.BadRequest(f"Invalid {name} filter [{raw}]") from None
    if value < 0:
        raise errors.BadRequest(f"Invalid {name} filter [{raw}]")
    # Beyond any column's range: matches nothing, and stays a number every
    # database can bind.
    return min(value, types.MAX_INT + 1)


def _list(req, detailed):
    who = _who(req)
    sort_key = last(req.query, "sort_key", "flavorid")
    if sort_key not in (schemas.SORT_KEYS_2102 if req.is_version("2.102")
                        else schemas.SORT_KEYS):
        raise errors.BadRequest("Invalid sort key")
    # 2.102's name filter: a regular expression searched in the name (as
    # upstream's REGEXP); before 2.102 the parameter is ignored (2.1-2.74)
    # or refused (2.75-2.101) by the query schema.
    name = last(req.query, "name") if req.is_version("2.102") else None
    name_filter = None if name is None else common.regex(name, "name").search
    sort_dir = last(req.query, "sort_dir", "asc")
    if sort_dir not in ("asc", "desc"):
        raise errors.BadRequest("Invalid sort direction")
    limit, marker = common.page_params(req)
    db = _db(req)
    rows = service.list_flavors(
        db, project_id=who["project_id"], is_admin=who["is_admin"],
        is_public=_parse_is_public(req, who["is_admin"]),
        min_ram=_parse_min(req, "minRam"),
        min_disk=_parse_min(req, "minDisk"),
        sort_key=sort_key, sort_dir=sort_dir, limit=limit, marker=marker,
        name_filter=name_filter)
    specs = None
    if detailed and _show_specs(req):
        with db.connection() as conn:
            specs = service.extra_specs(conn, [r.id for r in rows])
    links = common.Links(req)
    # The body is a function of the rows and of how they are shown: the
    # same rows asked for the same way are rendered once (render_cache.py).
    key = ("flavors", detailed, req.version, specs is not None,
           links.api_base, links.bookmark_base, limit, tuple(rows),
           render_cache.freeze(specs),
           tuple(req.GET.items()) if len(rows) == limit else None)
    memo = req.app.render_cache.flavors
    body = memo.get(key)
    if body is not None:
        return Result(200, body)
    if detailed:
        items = [views.detail(req, r, specs[r.id] if specs is not None
                              else None, links) for r in rows]
    else:
        items = [views.basic(req, r, links) for r in rows]
    suffix = "/detail" if detailed else ""
    return Result(200, memo.put(key, common.collection(
        req, "flavors", items, limit, lambda item: item["id"],
        path_suffix=suffix)))


def index(req):
    return _list(req, detailed=False)


def detail(req):
    return _list(req, detailed=True)


def _one(req, session, flavor_id):
    who = _who(req)
    return service.get(session, flavor_id, project_id=who["project_id"],
                       is_admin=who["is_admin"])


def _detail_view(req, session, flavor, status=200):
    specs = None
    if _show_specs(req):
        specs = service.extra_specs(session, [flavor.id])[flavor.id]
    return Result(status, {"flavor": views.detail(req, flavor, specs)})


def show(req, flavor_id):
    with _db(req).reader() as session:
        flavor = _one(req, session, flavor_id)
        return _detail_view(req, session, flavor)


def _flavorid(value):
    """The stored id: a number becomes its string form, as upstream."""
    if isinstance(value, str) or value is None:
        return value
    if not value:  # upstream: a zero id means "generate one"
        return None
    text = str(value)
    if not re.match(schemas.ID_PATTERN, text):
        raise errors.BadRequest(
            f"Invalid input for field/attribute id. Value: {value}. "
            f"'{text}' does not match '{schemas.ID_PATTERN}'")
    return text


def create(req):
    body = req.json["flavor"]

    def number(key, minimum, default=0):
        if key not in body:
            return default
        return types.coerce_int(body[key], key, minimum)

    rxtx = float(body.get("rxtx_factor", 1.0))
    if not 0 < rxtx <= 3.40282e38:
        raise errors.BadRequest(
            f"Invalid input for field/attribute rxtx_factor. Value: {rxtx}.")
    values = dict(
        name=body["name"], flavorid=_flavorid(body.get("id")),
        memory_mb=number("ram", 1), vcpus=number("vcpus", 1),
        root_gb=number("disk", 0),
        ephemeral_gb=number("OS-FLV-EXT-DATA:ephemeral", 0),
        swap=number("swap", 0), rxtx_factor=rxtx,
        is_public=types.to_bool(body.get("os-flavor-access:is_public", True)),
        description=body.get("description"))
    with _db(req).writer() as session:
        flavor = service.create(session, **values)
        return _detail_view(req, session, flavor)


def update(req, flavor_id):
    with _db(req).writer() as session:
        flavor = service.get(session, flavor_id)
        flavor.description = req.json["flavor"]["description"]
        session.flush()
        return _detail_view(req, session, flavor)


def delete(req, flavor_id):
    with _db(req).writer() as session:
        service.delete(session, flavor_id)
    return Result(202)


# -- extra specs ------------------------------------------------------------

def _specs_of(req, session, flavor_id):
    flavor = _one(req, session, flavor_id)
    return flavor, service.extra_specs(session, [flavor.id])[flavor.id]


def specs_index(req, flavor_id):
    with _db(req).reader() as session:
        _flavor, specs = _specs_of(req, session, flavor_id)
    return {"extra_specs": specs}


def specs_show(req, flavor_id, key):
    with _db(req).reader() as session:
        flavor, specs = _specs_of(req, session, flavor_id)
    if key not in specs:
        raise errors.NotFound(
            f"Flavor {flavor.flavorid} has no extra specs with key {key}.")
    return {key: specs[key]}


def _stringify(specs):
    return {key: str(value) for key, value in specs.items()}


def specs_create(req, flavor_id):
    specs = _stringify(req.json["extra_specs"])
    if req.is_version("2.86"):
        spec_rules.validate(specs)
    with _db(req).writer() as session:
        flavor = service.get(session, flavor_id)
        service.set_extra_specs(session, flavor, specs)
    return {"extra_specs": specs}


def specs_update(req, flavor_id, key):
    body = req.json
    if key not in body:
        raise errors.BadRequest("Request body and URI mismatch")
    specs = _stringify(body)
    if req.is_version("2.86"):
        spec_rules.validate(specs)
    with _db(req).writer() as session:
        flavor = service.get(session, flavor_id)
        service.set_extra_specs(session, flavor, specs)
    return specs


def specs_delete(req, flavor_id, key):
    with _db(req).writer() as session:
        flavor = service.get(session, flavor_id)
        service.delete_extra_spec(session, flavor, key)
    return Result(200)


# -- access -------------------------------------------------------------------

def _access_view(flavor, projects):
    return {"flavor_access": [{"flavor_id": flavor.flavorid, "tenant_id": p}
                              for p in projects]}


def access_index(req, flavor_id):
    with _db(req).reader() as session:
        flavor = service.get(session, flavor_id)
        if flavor.is_public:
            raise errors.NotFound(
                "Access list not available for public flavors.")
        return _access_view(flavor, service.access_list(session, flavor))


def _add_access(req, session, flavor, body):
    if flavor.is_public and req.is_version("2.7"):
        raise errors.Conflict("Can not add access to a public flavor.")
    service.add_access(session, flavor, body["tenant"])


def _remove_access(req, session, flavor, body):
    service.remove_access(session, flavor, body["tenant"])


ACTIONS = action_table(
    Action("addTenantAccess", _add_access,
           rules.ACCESS + ":add_tenant_access", schemas.ADD_TENANT_ACCESS),
    Action("removeTenantAccess", _remove_access,
           rules.ACCESS + ":remove_tenant_access",
           schemas.REMOVE_TENANT_ACCESS),
)


def action(req, flavor_id):
    # The route's body schema admits exactly one action of the table.
    (name, body), = req.json.items()
    entry = ACTIONS[name]
    req.authorize(rule=entry.rule)
    # Before the transaction: no row is held while Keystone answers.
    identity.verify_project(req, body["tenant"])
    with _db(req).writer() as session:
        flavor = service.get(session, flavor_id)
        entry.handler(req, session, flavor, body)
        return _access_view(flavor, service.access_list(session, flavor))


ROUTES = (
    Route("/flavors", "GET", index, rules.LIST, query=schemas.INDEX_QUERY),
    Route("/flavors/detail", "GET", detail, rules.LIST,
          query=schemas.INDEX_QUERY),
    Route("/flavors", "POST", create, rules.MANAGE % "create",
          query=ANY_QUERY, body=schemas.CREATE),
    Route("/flavors/{flavor_id}", "GET", show, rules.LIST,
          query=SHOW_QUERY),
    Route("/flavors/{flavor_id}", "PUT", update, rules.MANAGE % "update",
          query=ANY_QUERY, body=schemas.UPDATE, min_version=(2, 55)),
    Route("/flavors/{flavor_id}", "DELETE", delete, rules.MANAGE % "delete",
          query=ANY_QUERY),
    Route("/flavors/{flavor_id}/os-extra_specs", "GET", specs_index,
          rules.EXTRA_SPECS % "index", query=SHOW_QUERY),
    Route("/flavors/{flavor_id}/os-extra_specs", "POST", specs_create,
          rules.EXTRA_SPECS % "create", query=ANY_QUERY,
          body=schemas.EXTRA_SPECS_CREATE),
    Route("/flavors/{flavor_id}/os-extra_specs/{key}", "GET", specs_show,
          rules.EXTRA_SPECS % "show", query=SHOW_QUERY),
    Route("/flavors/{flavor_id}/os-extra_specs/{key}", "PUT", specs_update,
          rules.EXTRA_SPECS % "update", query=ANY_QUERY,
          body=schemas.EXTRA_SPEC_UPDATE),
    Route("/flavors/{flavor_id}/os-extra_specs/{key}", "DELETE",
          specs_delete, rules.EXTRA_SPECS % "delete", query=ANY_QUERY),
    Route("/flavors/{flavor_id}/os-flavor-access", "GET", access_index,
          rules.ACCESS, query=SHOW_QUERY),
    Route("/flavors/{flavor_id}/action", "POST", action,
          query=ANY_QUERY, body=schemas.ACTION, check_first=False,
          actions=ACTIONS),
)
