"""/os-keypairs: each user's key pairs (import; generation until 2.91).

Key pairs belong to a user. From 2.10 an admin names another user with
``?user_id=`` (list, show, delete) or ``keypair.user_id`` (create); the
policy target is that user, so anyone else gets 403.
"""

from nova.api import errors
from nova.api.compute import common
from nova.api.compute.common import ANY_QUERY
from nova.api.compute.router import Result, Route
from nova.api.compute.schemas import keypairs as schemas
from nova.api.compute.views import keypairs as views
from nova.compute import keypairs as service
from nova.policies import keypairs as rules

# Microversions whose changes to os-keypairs these handlers implement.
# 2.75: upstream's list/show/delete reject unknown query parameters from
# 2.75 (before the general rule of 2.102, which adds create).
HONOURED = {"os-keypairs": {"2.2", "2.10", "2.35", "2.75", "2.92", "2.102"}}

_BAD_NAME = ("An invalid 'name' value was provided. The name must be: "
             "printable characters. Can not start or end with whitespace.")


def _db(req):
    return req.app.backends.db


def _quota(req):
    return (req.app.backends.conf, req.context.project_id,
            req.context.user_id)


def _owner(req):
    """Whose key pairs: the caller's, or from 2.10 ``?user_id=`` (first)."""
    if req.is_version("2.10"):
        values = req.query.get("user_id")
        if values and values[0]:
            return values[0]
    return req.context.user_id


def _authorize(req, user_id):
    req.authorize({"user_id": user_id,
                   "project_id": req.context.project_id})


def index(req):
    user_id = _owner(req)
    _authorize(req, user_id)
    paged = req.is_version("2.35")
    limit, marker = common.page_params(req) if paged else (None, None)
    with _db(req).reader() as session:
        rows = service.list_keypairs(session, user_id, limit, marker)
    items = [views.item(req, row) for row in rows]
    if not paged:
        return {"keypairs": items}
    return common.collection(req, "keypairs", items, limit,
                             lambda item: item["keypair"]["name"],
                             collection_name="os-keypairs")


def show(req, keypair_name):
    user_id = _owner(req)
    _authorize(req, user_id)
    with _db(req).reader() as session:
        keypair = service.get(session, user_id, keypair_name)
    return views.show(req, keypair)


def create(req):
    body = req.json["keypair"]
    name = body["name"]
    if name != name.strip():
        raise errors.BadRequest(_BAD_NAME)
    key_type = body.get("type", service.TYPE_SSH)
    # The schema admits user_id from 2.10 only; empty means the caller.
    user_id = body.get("user_id") or req.context.user_id
    _authorize(req, user_id)
    status = 201 if req.is_version("2.2") else 200
    db = _db(req)
    private_key = None
    if "public_key" in body:
        public_key = body["public_key"]
        fingerprint = service.fingerprint(public_key, key_type)
    else:
        # Refuse a taken name (or a full quota) before spending the CPU,
        # and generate outside any transaction; create checks again.
        with db.reader() as session:
            service.check_new(session, user_id, name, _quota(req),
                              for_write=False)
        private_key, public_key, fingerprint = service.generate(
            key_type, user_id)
    with db.writer() as session:
        keypair = service.create(
            session, user_id=user_id, name=name, key_type=key_type,
            public_key=public_key, fingerprint=fingerprint,
            quota=_quota(req))
    return Result(status, views.create(req, keypair, private_key))


def delete(req, keypair_name):
    user_id = _owner(req)
    _authorize(req, user_id)
    with _db(req).writer() as session:
        service.delete(session, user_id, keypair_name)
    return Result(204 if req.is_version("2.2") else 202)


ROUTES = (
    Route("/os-keypairs", "GET", index, rules.INDEX,
          query=schemas.INDEX_QUERY, check_first=False),
    Route("/os-keypairs", "POST", create, rules.CREATE,
          query=ANY_QUERY, body=schemas.CREATE, check_first=False),
    Route("/os-keypairs/{keypair_name}", "GET", show, rules.SHOW,
          query=schemas.ONE_QUERY, check_first=False),
    Route("/os-keypairs/{keypair_name}", "DELETE", delete, rules.DELETE,
          query=schemas.ONE_QUERY, check_first=False),
)
