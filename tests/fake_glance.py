"""A stand-in for Glance v2 on pytest-httpserver, in its wire format.

``FakeGlance(httpserver, keystone)`` answers under ``/image`` (as DevStack
serves Glance) on the server it is given: ``GET/POST /v2/images``,
``GET/PATCH/DELETE /v2/images/{id}`` (json-patch with Glance's media
type), ``PUT /v2/images/{id}/file`` (formats set first) and ``POST
/v2/images/{id}/members``. The caller is the project of its
``X-Auth-Token`` as the fake Keystone issued it (401 otherwise);
visibility is Glance's (public and community for all, shared for its
members, private for its owner; admins see all). Errors are Glance's:
webob's HTML page (JSON when the client accepts only JSON), 413 for the
image quota. ``add_image(...)`` puts an image in; ``requests`` keeps what
was asked (method, path, headers, body); ``fail_with`` answers every call
with an error; ``delay`` slows every answer down; ``image_quota`` limits
the images a project may own.
"""

import copy
import datetime
import hashlib
import json
import re
import threading
import time
import uuid

from werkzeug import Response

_BASE = ("id", "name", "status", "visibility", "owner", "min_ram",
         "min_disk", "size", "virtual_size", "disk_format",
         "container_format", "checksum", "created_at", "updated_at",
         "protected", "tags", "file", "schema", "self", "os_hidden",
         "os_hash_algo", "os_hash_value")
_READ_ONLY = ("id", "status", "owner", "size", "virtual_size", "checksum",
              "created_at", "updated_at", "file", "schema", "self",
              "os_hash_algo", "os_hash_value")
PATCH_TYPE = "application/openstack-images-v2.1-json-patch"


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


class FakeGlance:
    PREFIX = "/image"

    def __init__(self, httpserver, keystone=None):
        self.server = httpserver
        self.keystone = keystone
        self.url = httpserver.url_for(self.PREFIX)
        self.images = {}
        self._order = {}  # image id -> creation order (ties in created_at)
        self.data = {}  # image id -> uploaded bytes
        self.members = {}  # image id -> {project id: status}
        self.requests = []
        self.delay = 0.0
        self.image_quota = None
        self.fail_with = None  # (status, title, message) for every call
        self._lock = threading.Lock()
        httpserver.expect_request(re.compile(
            "^" + self.PREFIX + "/")).respond_with_handler(self._handle)
        if keystone is not None:
            keystone.add_service("image", "glance", self.url)

    # -- set-up ------------------------------------------------------------

    def add_image(self, name="cirros", image_id=None, owner="admin-project",
                  visibility="public", status="active", min_ram=0,
                  min_disk=0, size=16338944, disk_format="qcow2",
                  container_format="bare", **properties):
        image_id = image_id or str(uuid.uuid4())
        self._order[image_id] = len(self._order)
        self.images[image_id] = self._document(
            image_id, name=name, owner=owner, visibility=visibility,
            status=status, min_ram=min_ram, min_disk=min_disk, size=size,
            disk_format=disk_format, container_format=container_format,
            **properties)
        return image_id

    def _document(self, image_id, **fields):
        now = _now()
        doc = {"id": image_id, "name": None, "status": "queued",
               "visibility": "shared", "owner": None, "min_ram": 0,
               "min_disk": 0, "size": None, "virtual_size": None,
               "disk_format": None, "container_format": None,
               "checksum": None, "os_hash_algo": None,
               "os_hash_value": None, "os_hidden": False,
               "protected": False, "tags": [], "created_at": now,
               "updated_at": now, "self": f"/v2/images/{image_id}",
               "file": f"/v2/images/{image_id}/file",
               "schema": "/v2/schemas/image"}
        doc.update(fields)
        return doc

    # -- what was asked ----------------------------------------------------

    def tokens(self):
        return [r["headers"].get("X-Auth-Token") for r in self.requests]

    def calls(self, method=None):
        return [(r["method"], r["path"]) for r in self.requests
                if method is None or r["method"] == method]

    # -- answers -----------------------------------------------------------

    def _caller(self, request):
        token = request.headers.get("X-Auth-Token")
        if self.keystone is None:
            return {"project": "admin-project", "admin": True}
        body = self.keystone.tokens.get(token)
        if body is None:
            return None
        roles = {r["name"] for r in body["token"]["roles"]}
        return {"project": body["token"]["project"]["id"],
                "admin": "admin" in roles}

    @staticmethod
    def _error(request, status, title, message):
        accept = request.headers.get("Accept", "")
        reason = f"{status} {title}"
        if "application/json" in accept and "html" not in accept \
                and "*/*" not in accept:
            return Response(json.dumps({"code": reason, "title": title,
                                        "message": message}),
                            status=status, content_type="application/json")
        page = (f"<html>\n <head>\n  <title>{reason}</title>\n </head>\n"
                f" <body>\n  <h1>{reason}</h1>\n  {message}<br /><br />\n"
                f"\n\n\n </body>\n</html>")
        return Response(page, status=status,
                        content_type="text/html; charset=UTF-8")

    @staticmethod
    def _json(body, status=200):
        return Response(json.dumps(body), status=status,
                        content_type="application/json; charset=UTF-8")

    def _visible(self, image, caller):
        return (caller["admin"] or image["owner"] == caller["project"]
                or image["visibility"] in ("public", "community")
                or caller["project"] in self.members.get(image["id"], {}))

    def _handle(self, request):
        body = request.get_data()
        self.requests.append({
            "method": request.method, "path": request.path,
            "query": request.args.to_dict(), "headers": dict(
                request.headers), "body": body})
        if self.delay:
            time.sleep(self.delay)
        if self.fail_with:
            return self._error(request, *self.fail_with)
        caller = self._caller(request)
        if caller is None:
            return self._error(request, 401, "Unauthorized",
                               "This server could not verify that you are "
                               "authorized to access the document you "
                               "requested.")
        path = request.path[len(self.PREFIX):]
        with self._lock:
            if path == "/v2/images":
                if request.method == "GET":
                    return self._list(request, caller)
                if request.method == "POST":
                    return self._create(request, caller)
            found = re.fullmatch(r"/v2/images/([^/]+)/members", path)
            if found and request.method == "POST":
                return self._add_member(request, caller, found.group(1))
            found = re.fullmatch(r"/v2/images/([^/]+)(/file)?", path)
            if found:
                image = self.images.get(found.group(1))
                if image is None or not self._visible(image, caller):
                    return self._error(
                        request, 404, "Not Found",
                        f"No image found with ID {found.group(1)}")
                if found.group(2):
                    if request.method == "PUT":
                        return self._upload(request, caller, image, body)
                elif request.method == "GET":
                    return self._json(image)
                elif request.method == "PATCH":
                    return self._patch(request, caller, image)
                elif request.method == "DELETE":
                    return self._delete(request, caller, image)
                return self._error(request, 405, "Method Not Allowed",
                                   "The method is not allowed for this "
                                   "resource.")
        return self._error(request, 404, "Not Found",
                           "The resource could not be found.")

    def _list(self, request, caller):
        args = request.args
        limit = int(args.get("limit", 25))
        items = [i for i in self.images.values()
                 if self._visible(i, caller)
                 and (i["visibility"] != "community"
                      or i["owner"] == caller["project"])]
        for key, value in args.items():
            # Any other key filters on a field or a custom property;
            # updated_at takes an operator (gte:<time>).
            if key == "updated_at" and value.startswith("gte:"):
                items = [i for i in items if i["updated_at"] >= value[4:]]
            elif key not in ("limit", "marker", "sort_key", "sort_dir"):
                items = [i for i in items if str(i.get(key)) == value]
        items.sort(key=lambda i: (i["created_at"], self._order.get(i["id"])),
                   reverse=True)
        marker = args.get("marker")
        if marker:
            ids = [i["id"] for i in items]
            if marker not in ids:
                return self._error(request, 400, "Bad Request",
                                   f"Invalid marker. Image {marker} could "
                                   f"not be found.")
            items = items[ids.index(marker) + 1:]
        page = items[:limit]
        body = {"images": page, "first": "/v2/images",
                "schema": "/v2/schemas/images"}
        if len(items) > limit:
            body["next"] = (f"/v2/images?marker={page[-1]['id']}"
                            f"&limit={limit}")
        return self._json(body)

    def _create(self, request, caller):
        try:
            wanted = json.loads(request.get_data() or b"{}")
        except ValueError:
            return self._error(request, 400, "Bad Request",
                               "Body expected in request.")
        bad = [k for k in wanted if k in _READ_ONLY and k != "id"]
        if bad:
            return self._error(request, 403, "Forbidden",
                               f"Attribute '{bad[0]}' is read-only.")
        for key, value in wanted.items():
            if key not in _BASE and not isinstance(value, str):
                return self._error(
                    request, 400, "Bad Request",
                    f"Provided object does not match schema 'image': "
                    f"{value!r} is not of type 'string'")
        owned = [i for i in self.images.values()
                 if i["owner"] == caller["project"]]
        if self.image_quota is not None and \
                len(owned) >= self.image_quota:
            return self._error(
                request, 413, "Request Entity Too Large",
                f"Project {caller['project']} is over a limit for "
                f"[Resource image_count_total is over limit of "
                f"{self.image_quota} due to current usage {len(owned)} "
                f"and delta 1]")
        image_id = wanted.pop("id", None) or str(uuid.uuid4())
        if image_id in self.images:
            return self._error(request, 409, "Conflict",
                               f"Image with identifier {image_id} already "
                               f"exists!")
        image = self._document(image_id, owner=caller["project"], **wanted)
        self._order[image_id] = len(self._order)
        self.images[image_id] = image
        return self._json(image, status=201)

    def _add_member(self, request, caller, image_id):
        image = self.images.get(image_id)
        if image is None or not self._visible(image, caller):
            return self._error(request, 404, "Not Found",
                               f"No image found with ID {image_id}")
        if image["visibility"] != "shared":
            return self._error(
                request, 403, "Forbidden",
                f"Image {image_id} is not shared; it cannot have members.")
        member = json.loads(request.get_data())["member"]
        self.members.setdefault(image_id, {})[member] = "pending"
        now = _now()
        return self._json({"image_id": image_id, "member_id": member,
                           "status": "pending", "created_at": now,
                           "updated_at": now,
                           "schema": "/v2/schemas/member"})

    def _upload(self, request, caller, image, body):
        if not caller["admin"] and image["owner"] != caller["project"]:
            return self._error(request, 403, "Forbidden",
                               "You are not authorized to complete "
                               "upload action.")
        if request.headers.get("Content-Type") != \
                "application/octet-stream":
            return self._error(request, 415, "Unsupported Media Type",
                               "The request has a MIME type not "
                               "supported by this server.")
        if not image["disk_format"] or not image["container_format"]:
            return self._error(
                request, 400, "Bad Request",
                "Properties disk_format, container_format must be set "
                "prior to saving data.")
        if image["status"] != "queued":
            return self._error(
                request, 409, "Conflict",
                f"Image status transition from {image['status']} to "
                f"saving is not allowed")
        self.data[image["id"]] = body
        image.update(status="active", size=len(body), updated_at=_now(),
                     checksum=hashlib.md5(body).hexdigest(),  # noqa: S324
                     os_hash_algo="sha512",
                     os_hash_value=hashlib.sha512(body).hexdigest())
        return Response(status=204)

    def _patch(self, request, caller, image):
        if request.headers.get("Content-Type") != PATCH_TYPE:
            return self._error(request, 415, "Unsupported Media Type",
                               "The request has a MIME type not "
                               "supported by this server.")
        if not caller["admin"] and image["owner"] != caller["project"]:
            return self._error(request, 403, "Forbidden",
                               "You are not permitted to modify this "
                               "image.")
        changed = copy.deepcopy(image)
        for op in json.loads(request.get_data()):
            key = op["path"].lstrip("/").replace("~1", "/").replace(
                "~0", "~")
            if key in _READ_ONLY:
                return self._error(request, 403, "Forbidden",
                                   f"Attribute '{key}' is read-only.")
            if op["op"] in ("add", "replace"):
                if op["op"] == "replace" and key not in changed:
                    return self._error(
                        request, 409, "Conflict",
                        f"Property {key} does not exist.")
                changed[key] = op["value"]
            elif op["op"] == "remove":
                if key not in changed or key in _BASE:
                    return self._error(
                        request, 409, "Conflict",
                        f"Property {key} does not exist.")
                del changed[key]
        changed["updated_at"] = _now()
        self.images[image["id"]] = changed
        return self._json(changed)

    def _delete(self, request, caller, image):
        if not caller["admin"] and image["owner"] != caller["project"]:
            return self._error(request, 403, "Forbidden",
                               "You are not permitted to delete this "
                               "image.")
        if image["protected"]:
            return self._error(request, 403, "Forbidden",
                               f"Image {image['id']} is protected and "
                               f"cannot be deleted.")
        del self.images[image["id"]]
        self.data.pop(image["id"], None)
        return Response(status=204)
