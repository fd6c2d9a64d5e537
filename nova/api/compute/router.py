"""The compute API application: one declarative route table, one dispatcher.

A ``Route`` says: this path, this method, this handler, this policy rule,
these schemas for the query string and the body, from/to these
microversions. The dispatcher does, in order: find the route (404, or 405
with ``Allow``), negotiate the microversion, parse and validate the input,
check policy, call the handler, render JSON with the version headers. A
handler is a small function of the request and the path's variables.
"""

import dataclasses
import json
import re

import webob

from nova import context as nova_context
from nova.api import errors, microversions, validation
from nova.api.compute import render_cache

JSON_TYPES = ("application/json", "application/vnd.openstack.compute+json")


@dataclasses.dataclass(frozen=True)
class Action:
    """One action of an ``.../action`` route, named by the body's only key.

    The route's dispatcher looks the action up, refuses it outside its
    microversion range (404, as upstream: the method does not exist
    there), validates the body with ``schema`` and has ``rule`` checked
    against the object before ``handler`` runs.
    """

    name: str
    handler: object
    rule: str
    schema: object  # a dict or a validation.Versioned
    min_version: tuple = microversions.MIN_VERSION
    max_version: tuple | None = None

    def exists_at(self, version):
        return self.min_version <= version and (
            self.max_version is None or version <= self.max_version)


def action_table(*actions):
    """{name: action}, refusing a name given twice."""
    table = {}
    for action in actions:
        if action.name in table:
            raise ValueError(f"action {action.name!r} is declared twice")
        table[action.name] = action
    return table


@dataclasses.dataclass(frozen=True)
class Route:
    path: str  # "/flavors/{flavor_id}", relative to /v2.1
    method: str
    handler: object
    # oslo.policy rule name. An action route leaves it out: its policy is
    # the rules of its ``actions``, one of which the body picks and the
    # handler checks.
    policy: str | tuple | None = None
    query: object = None  # validation.Schema, versioned or not
    body: object = None
    min_version: tuple = microversions.MIN_VERSION
    max_version: tuple | None = None
    resource: str = ""
    # True: the dispatcher checks ``policy`` against the caller's own
    # project before the handler runs. False: the handler loads the object
    # and calls ``req.authorize(target)`` with the object's project.
    check_first: bool = True
    # An action route's table ({name: Action}), read by its dispatcher,
    # by ``policy`` and by the OpenAPI description.
    actions: dict | None = None
    # An API upstream removed with nova-network and answers 410 Gone for:
    # upstream checks no policy rule there (``policy`` stays None) and
    # takes any body, or none.
    gone: bool = False

    def __post_init__(self):
        if self.gone and self.policy is not None:
            raise ValueError(f"{self.path}: a gone route checks no policy")
        if self.actions is not None:
            if self.policy is not None:
                raise ValueError(f"{self.path}: an action route's policy "
                                 "is the rules of its actions")
            object.__setattr__(self, "policy", tuple(dict.fromkeys(
                action.rule for action in self.actions.values())))
        if isinstance(self.policy, tuple) and self.check_first:
            raise ValueError(f"{self.path}: a tuple of rules needs "
                             "check_first=False")
        if not self.resource:
            object.__setattr__(self, "resource", resource_of(self.path))


def resource_of(path):
    """The name microversion_history uses for the resource at ``path``."""
    parts = path.strip("/").split("/")
    if parts[0] == "servers" and len(parts) > 2 and parts[2] != "action":
        return f"servers/{parts[2]}"
    return parts[0]


class Result:
    """What a handler returns when 200 with a JSON body is not enough."""

    __slots__ = ("status", "body", "headers")

    def __init__(self, status=200, body=None, headers=()):
        self.status = status
        self.body = body
        self.headers = list(headers)


_VAR = re.compile(r"\{(\w+)\}")


def _first_segment(path):
    return path.lstrip("/").partition("/")[0]


def _compile(path):
    pattern = "^" + _VAR.sub(r"(?P<\1>[^/]+)", re.escape(path)
                             .replace(r"\{", "{").replace(r"\}", "}")) + "$"
    return re.compile(pattern)


class Request(webob.Request):
    """A webob request with what the dispatcher worked out."""

    context = None
    version = microversions.MIN_VERSION
    json = None
    query = None
    app = None

    route = None

    _decisions = None

    def authorize(self, target=None, rule=None, do_raise=True):
        """Check ``rule`` (default: the route's) for the caller.

        Decisions are remembered for the request: handlers and views ask
        the same question (is the caller an admin?) many times.
        """
        from nova import policy

        rule = rule or self.route.policy
        frozen = policy.freeze(target) if target else None
        key = (rule, frozen)
        if self._decisions is None:
            self._decisions = {}
        allowed = self._decisions.get(key)
        if allowed is None:
            allowed = policy.check(self.app.enforcer, self.context, rule,
                                   target, do_raise=False, frozen=frozen)
            self._decisions[key] = allowed
        if not allowed and do_raise:
            policy.check(self.app.enforcer, self.context, rule, target)
        return allowed

    def can(self, rule, target=None):
        """Whether the caller passes ``rule`` (never raises)."""
        return self.authorize(target, rule, do_raise=False)

    def is_version(self, minimum, maximum=None):
        minimum = microversions.parse(minimum) if isinstance(
            minimum, str) else minimum
        if self.version < minimum:
            return False
        if maximum is not None:
            maximum = microversions.parse(maximum) if isinstance(
                maximum, str) else maximum
            return self.version <= maximum
        return True


class ComputeApp:
    """The WSGI app under ``/v2.1`` (after auth and context)."""

    def __init__(self, routes, max_version, *, backends=None,
                 enforcer=None, link_prefix=None, max_limit=1000):
        self.routes = tuple(routes)
        self.negotiator = microversions.Negotiator(max_version)
        self.backends = backends  # conf, store, driver: what handlers call
        self.enforcer = enforcer
        self.link_prefix = link_prefix
        self.max_limit = max_limit
        # The app's rendered JSON (server views, flavor pages): see
        # render_cache for why nothing in it is ever stale.
        self.render_cache = render_cache.RenderCache()
        self.top_level = {r.path.strip("/").split("/")[0]
                          for r in self.routes}
        table = {}
        for route in self.routes:
            table.setdefault(route.path, []).append(route)
        self._table = [(_compile(path), by_method)
                       for path, by_method in table.items()]
        # The same entries by the path's first segment, so that a request
        # tries the few paths under its own collection, in the same order;
        # a path whose first segment is a variable is in every bucket.
        firsts = [_first_segment(path) for path in table]
        wild = ["{" in first for first in firsts]
        self._buckets = {
            first: [entry for entry, f, w
                    in zip(self._table, firsts, wild, strict=True)
                    if w or f == first]
            for first in set(firsts)}
        self._wild = [entry for entry, w
                      in zip(self._table, wild, strict=True) if w]

    # -- matching ---------------------------------------------------------

    def _match(self, path):
        table = self._buckets.get(_first_segment(path), self._wild)
        for regex, candidates in table:
            match = regex.match(path)
            if match:
                return candidates, match.groupdict()
        return None, None

    def match(self, path, context, environ=None):
        """Routes for ``path``, with the project-id prefix handled."""
        candidates, params = self._match(path)
        if candidates is not None:
            return candidates, params
        first, _sep, rest = path.lstrip("/").partition("/")
        if first and first not in self.top_level:
            candidates, params = self._match("/" + rest if rest else "/")
            if candidates is not None:
                if context is None or first != context.project_id:
                    raise errors.BadRequest(
                        f"Malformed request URL: URL's project_id '{first}' "
                        f"doesn't match Context's project_id "
                        f"'{getattr(context, 'project_id', None)}'")
                if environ is not None:
                    environ["nova.url_project_id"] = first
                return candidates, params
        return None, None

    # -- dispatch ---------------------------------------------------------

    def __call__(self, environ, start_response):
        version = None
        try:
            context = environ.get(nova_context.ENV_CONTEXT)
            if context is None:
                raise errors.Unauthorized()
            version = self.negotiator.negotiate(environ)
            path = environ.get("PATH_INFO", "") or "/"
            if "\x00" in path:
                raise errors.NotFound()
            # No trailing slash is stripped: upstream's routes match the
            # path exactly, so /servers/ and /os-simple-tenant-usage/ (an
            # empty tenant id) are 404 there (tempest checks the latter).
            candidates, params = self.match(path, context, environ)
            if candidates is None:
                raise errors.NotFound()
            method = environ["REQUEST_METHOD"]
            lookup = "GET" if method == "HEAD" else method
            in_version = [r for r in candidates
                          if r.min_version <= version
                          and (r.max_version is None
                               or version <= r.max_version)]
            route = next((r for r in in_version if r.method == lookup), None)
            if route is None:
                # A method served at other versions only is 404 (as
                # upstream: the method has no version here), not 405.
                if not in_version or any(r.method == lookup
                                         for r in candidates):
                    raise errors.NotFound()
                raise errors.MethodNotAllowed(
                    sorted({r.method for r in in_version}))
            req = Request(environ)
            # Straight into the instance: webob's __setattr__ looks each
            # name up on the class first.
            req.__dict__.update(context=context, version=version, app=self,
                                route=route)
            req.query = validation.validate_query(route.query, req, version)
            if route.body is not None or method in ("POST", "PUT"):
                req.json = read_json(
                    environ, required=route.body is not None
                    and not route.gone
                    and not validation.takes_null(route.body, version))
                validation.validate_body(route.body, req.json, version)
            if route.policy and route.check_first:
                req.authorize()
            result = route.handler(req, **params)
            return self._respond(start_response, result, version,
                                 head=method == "HEAD")
        except errors.APIError as exc:
            extra = []
            if version is not None:
                extra = microversions.header_list(version)
            return errors.fault_response(exc, start_response, extra)
        except Exception as exc:
            error = errors.to_api_error(exc)
            if error is None:
                raise  # the fault wrapper logs it and answers 500
            extra = microversions.header_list(version) if version else []
            return errors.fault_response(error, start_response, extra)

    def _respond(self, start_response, result, version, head=False):
        if not isinstance(result, Result):
            result = Result(200, result)
        headers = [*result.headers, *microversions.header_list(version)]
        if result.body is None:
            body = b""
        else:
            body = result.body
            if not isinstance(body, bytes):  # bytes: JSON encoded already
                body = json.dumps(body).encode()
            headers.append(("Content-Type", "application/json"))
        headers.append(("Content-Length", str(len(body))))
        start_response(
            f"{result.status} {errors.STATUS_TEXT.get(result.status, '')}",
            headers)
        return [b""] if head else [body]


def read_json(environ, required=True):
    """The request body as JSON; 400/415 in the fault format otherwise."""
    ctype = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    raw = read_body(environ)
    if not raw:
        if required:
            raise errors.BadRequest("Malformed request body")
        return None
    if ctype and ctype not in JSON_TYPES:
        raise errors.UnsupportedMediaType(
            f"Unsupported Content-Type {ctype!r}; send application/json.")
    if b"\\u0000" in raw:
        # No database stores NUL in text (PostgreSQL refuses it).
        raise errors.BadRequest(
            "Malformed request body: NUL characters are not allowed")
    try:
        text = raw.decode("utf-8")
        return json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise errors.BadRequest("Malformed request body") from None


def read_body(environ):
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH")
    if length:
        try:
            size = int(length)
        except ValueError:
            raise errors.BadRequest("Invalid Content-Length header.") from None
        return stream.read(size) if size > 0 else b""
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    if chunked or environ.get("wsgi.input_terminated"):
        parts = []
        while True:
            chunk = stream.read(65536)
            if not chunk:
                break
            parts.append(chunk)
        return b"".join(parts)
    return b""
