"""The metadata API application: routing of the OpenStack and EC2 trees.

``GET /`` lists the EC2 versions before any lookup, as upstream; every
other path first identifies the asking instance (``instance.Finder``),
then serves from its cached data. Paths with empty, ``.`` or ``..``
segments are 404; only GET and HEAD are served, and POST on ``password``.
"""

import json
import logging

import sqlalchemy as sa

from nova import exception, loading
from nova.api import backends, errors
from nova.api.metadata import faults, trees
from nova.api.metadata.instance import Finder
from nova.api.metadata.vendordata import VendorData
from nova.db import revisions
from nova.db.tables import instances, utcnow

LOG = logging.getLogger(__name__)

MAX_PASSWORD = 1020
EC2_ROOT = "\n".join((*trees.EC2_VERSIONS, "latest")).encode()


class MetadataApp:
    def __init__(self, conf, db, network, vendordata):
        self.db = db
        self.network = network
        self.finder = Finder(conf, db)
        self.vendordata = vendordata

    def __call__(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        head = method == "HEAD"
        try:
            status, body, ctype = self.dispatch(environ, method)
        except faults.MetadataFault as fault:
            return fault.respond(start_response, head)
        except Exception as exc:  # noqa: BLE001 - the app's last line
            error = errors.to_api_error(exc)
            if error is not None and error.code == 503:
                return faults.Unavailable().respond(start_response, head)
            if error is not None and error.code == 413:
                # A body without Content-Length read past the size limit.
                return faults.TooLarge(error.message).respond(
                    start_response, head)
            LOG.exception("Unexpected error serving %s %s", method,
                          environ.get("PATH_INFO"))
            return faults.MetadataFault().respond(start_response, head)
        start_response(status, [("Content-Type", ctype),
                                ("Content-Length", str(len(body)))])
        return [b""] if head else [body]

    def dispatch(self, environ, method):
        path = environ.get("PATH_INFO", "") or "/"
        if path == "/":
            _only_get(method)
            return "200 OK", EC2_ROOT, trees.TEXT
        parts = path[1:].split("/") if path.startswith("/") else None
        if parts and parts[-1] == "":
            parts.pop()  # one trailing slash is a listing, as upstream
        if not parts or any(p in ("", ".", "..") for p in parts) or len(
                path) > 1024:
            raise faults.NotFound()
        data = self.finder.find(environ)
        if parts[0] == "openstack":
            return self.openstack(environ, method, parts[1:], data)
        if parts[0] == "ec2":
            parts = parts[1:]
            if not parts:
                _only_get(method)
                return "200 OK", EC2_ROOT, trees.TEXT
        _only_get(method)
        return self.ec2(parts, data)

    # -- OpenStack ----------------------------------------------------------

    def openstack(self, environ, method, parts, data):
        if not parts:
            _only_get(method)
            body = "\n".join((*trees.published_openstack_versions(),
                              "latest"))
            return "200 OK", body.encode(), trees.TEXT
        version = trees.resolve_openstack_version(parts[0])
        if version is None or len(parts) > 2:
            raise faults.NotFound()
        names = trees.openstack_listing(version, data)
        if len(parts) == 1:
            _only_get(method)
            return "200 OK", "\n".join(names).encode(), trees.TEXT
        name = parts[1]
        if name not in names:
            raise faults.NotFound()
        if name == "password":
            return self.password(environ, method, data)
        _only_get(method)
        fqdn = self.finder.fqdn(data)
        if name == "meta_data.json":
            return ("200 OK", trees.render_meta_data(version, data, fqdn),
                    trees.JSON)
        if name == "user_data":
            return "200 OK", data.user_data, trees.TEXT
        if name == "vendor_data.json":
            return ("200 OK", json.dumps(self.vendordata.static_data)
                    .encode(), trees.JSON)
        if name == "network_data.json":
            body = data.rendered.get("network_data")
            if body is None:
                body = json.dumps(trees.network_data(data, self.network))
                data.rendered["network_data"] = body
            return "200 OK", body.encode(), trees.TEXT
        # vendor_data2.json: "static" only when StaticJSON is a provider,
        # as upstream; target names never collide (checked at start-up).
        doc = {}
        if self.vendordata.static_enabled:
            doc["static"] = self.vendordata.static_data
        doc.update(self.vendordata.dynamic(data))
        return "200 OK", json.dumps(doc).encode(), trees.JSON

    def password(self, environ, method, data):
        if method in ("GET", "HEAD"):
            return "200 OK", (data.password or "").encode(), trees.HTML
        if method != "POST":
            raise faults.BadRequest()
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise faults.BadRequest() from None
        if length > MAX_PASSWORD:
            raise faults.BadRequest(
                f"Request is too large: at most {MAX_PASSWORD} bytes.")
        body = environ["wsgi.input"].read(length) if length else \
            environ["wsgi.input"].read(MAX_PASSWORD + 1)
        if len(body) > MAX_PASSWORD:
            raise faults.BadRequest(
                f"Request is too large: at most {MAX_PASSWORD} bytes.")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise faults.BadRequest("The password is not UTF-8 text.") \
                from None
        row = instances.c
        with self.db.core_writer() as conn:
            done = conn.execute(
                sa.update(instances)
                .where(row.uuid == data.uuid, row.deleted == 0,
                       sa.or_(row.password.is_(None), row.password == ""))
                .values(password=text, updated_at=utcnow(),
                        **revisions.moved(row.revision))).rowcount
        if not done:
            raise faults.Conflict()
        self.finder.cache.drop(data.uuid)
        return "200 OK", b"", trees.HTML

    # -- EC2 ------------------------------------------------------------------

    def ec2(self, parts, data):
        version = trees.resolve_ec2_version(parts[0])
        if version is None:
            raise faults.NotFound()
        tree = data.rendered.get(("ec2", version))
        if tree is None:
            tree = trees.ec2_tree(version, data, self.finder.fqdn(data))
            data.rendered[("ec2", version)] = tree
        node = trees.ec2_lookup(tree, parts[1:])
        if node is None:
            raise faults.NotFound()
        if isinstance(node, dict):
            return "200 OK", "\n".join(trees.listing(node)).encode(), \
                trees.TEXT
        if isinstance(node, trees.Leaf):
            return "200 OK", node.body, node.content_type
        return "200 OK", str(node).encode(), trees.TEXT


def _only_get(method):
    if method not in ("GET", "HEAD"):
        raise _MethodNotAllowed()


class _MethodNotAllowed(faults.MetadataFault):
    status = "405 Method Not Allowed"
    explanation = "The method is not allowed for this resource."

    def __init__(self):
        super().__init__(headers=[("Allow", "GET, HEAD")])


def app_factory(global_conf, **local_conf):
    conf = loading.loading_conf()
    if (conf.neutron.service_metadata_proxy
            and not conf.neutron.metadata_proxy_shared_secret):
        raise exception.StartupError(
            "[neutron] service_metadata_proxy = true needs a non-empty "
            "[neutron] metadata_proxy_shared_secret (the secret Neutron's "
            "metadata agent signs X-Instance-ID with); refusing to serve "
            "unsigned proxy requests.")
    from nova.compute import network

    svc = backends.for_conf(conf)
    # The network alone (what guests are told about it): this API has no
    # use for the compute driver.
    return MetadataApp(conf, svc.db, network.FlatNetwork(conf),
                       VendorData(conf))
