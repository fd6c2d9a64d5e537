"""The one place where exceptions become fault responses.

The HTTP layer raises ``APIError`` subclasses for what only HTTP knows (a
malformed body, a method not allowed, a bad Content-Type). The domain
raises ``nova.exception`` errors, which carry no status, and libraries
raise their own (SQLAlchemy, WebOb). ``to_api_error`` turns any of them
into an ``APIError`` by walking a registry keyed by exception class along
the exception's MRO, most specific first. The compute router, the fault
wrapper and the metadata app all ask it, so an error reads the same
everywhere. Anything not registered is a bug: it becomes a 500
"Unexpected API Error" and is logged once, with the request id, by the
fault wrapper.
"""

import json
import logging

LOG = logging.getLogger(__name__)

# Upstream's fault names by status code.
FAULT_NAMES = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    405: "badMethod",
    406: "computeFault",
    409: "conflictingRequest",
    410: "gone",
    413: "overLimit",
    415: "badMediaType",
    429: "overLimit",
    501: "notImplemented",
    503: "serviceUnavailable",
}

UNEXPECTED = "Unexpected API Error. Please report this and attach the API log."

STATUS_TEXT = {
    200: "OK", 201: "Created", 202: "Accepted", 204: "No Content",
    207: "Multi-Status",
    300: "Multiple Choices", 400: "Bad Request", 401: "Unauthorized",
    403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    406: "Not Acceptable", 409: "Conflict", 410: "Gone",
    413: "Request Entity Too Large", 415: "Unsupported Media Type",
    429: "Too Many Requests", 500: "Internal Server Error",
    501: "Not Implemented", 503: "Service Unavailable",
}


class APIError(Exception):
    """An error the client caused or must know about."""

    code = 500
    message = UNEXPECTED

    def __init__(self, message=None, *, headers=None, **extra):
        super().__init__(message or self.message)
        self.message = message or self.message
        if isinstance(headers, dict):
            headers = headers.items()
        self.headers = list(headers or ())
        self.extra = extra  # more keys for the fault body (retryAfter)


class BadRequest(APIError):
    code = 400
    message = "Bad request."


class Unauthorized(APIError):
    code = 401
    message = "The request you have made requires authentication."


class Forbidden(APIError):
    code = 403
    message = "Policy doesn't allow this operation to be performed."


class NotFound(APIError):
    code = 404
    message = "The resource could not be found."


class MethodNotAllowed(APIError):
    code = 405
    message = "The method is not allowed for this resource."

    def __init__(self, allowed, message=None):
        super().__init__(message, headers={"Allow": ", ".join(allowed)})


class NotAcceptable(APIError):
    code = 406


class Conflict(APIError):
    code = 409
    message = "There was a conflict when trying to complete your request."


class Gone(APIError):
    code = 410
    message = "This resource is no longer available."


class RequestTooLarge(APIError):
    code = 413
    message = "Request is too large."


class UnsupportedMediaType(APIError):
    code = 415
    message = "Unsupported Content-Type"


class NotImplementedFault(APIError):
    code = 501
    message = "Not implemented."


class ServiceUnavailable(APIError):
    code = 503
    message = "The service is temporarily unavailable; try again later."


# -- registry --------------------------------------------------------------

_HANDLERS = []  # (exception class, function(exc) -> APIError), in order


def register(exc_class, translate):
    """Turn instances of ``exc_class`` into the APIError ``translate`` makes.

    Later registrations of a subclass win over earlier ones of a base class
    because lookup walks the exception's MRO.
    """
    _HANDLERS.append((exc_class, translate))


def to_api_error(exc):
    """The APIError for ``exc``, or None when it is unexpected."""
    if isinstance(exc, APIError):
        return exc
    for klass in type(exc).__mro__:
        for registered, translate in reversed(_HANDLERS):
            if klass is registered:
                return translate(exc)
    return None


def fault_body(code, message, extra=None):
    body = {"code": code, "message": message}
    if extra:
        body.update(extra)
    return json.dumps({FAULT_NAMES.get(code, "computeFault"): body}).encode()


def fault_response(error, start_response, extra_headers=()):
    """Send ``error`` (an APIError) as a fault; return the WSGI body."""
    body = fault_body(error.code, error.message, error.extra)
    headers = [("Content-Type", "application/json; charset=UTF-8"),
               ("Content-Length", str(len(body)))]
    headers.extend(error.headers)
    headers.extend(extra_headers)
    start_response(f"{error.code} {STATUS_TEXT.get(error.code, 'Error')}",
                   headers)
    return [body]


def _register_domain_errors():
    """``nova.exception``: the status of each kind, the message as is."""
    from nova import exception

    for klass, api_class in ((exception.Invalid, BadRequest),
                             (exception.NotFound, NotFound),
                             (exception.Conflict, Conflict),
                             (exception.Forbidden, Forbidden),
                             (exception.NotSupported, NotImplementedFault),
                             (exception.Unavailable, ServiceUnavailable)):
        register(klass, lambda exc, api_class=api_class:
                 api_class(exc.message))


def _register_library_errors():
    """Exceptions from libraries we use that have a clear meaning."""
    import webob.exc

    def from_webob(exc):
        err = APIError(exc.explanation or exc.title)
        err.code = exc.code
        return err

    register(webob.exc.HTTPException, from_webob)

    def from_unicode_encode(exc):
        # JSON may carry "\ud800" alone: it parses, but no database driver
        # can encode it. Any other encoding failure is a bug of ours (500).
        if exc.reason != "surrogates not allowed":
            return None
        return BadRequest("Invalid input: a string holds an unpaired "
                          "surrogate (U+D800 to U+DFFF), which is not a "
                          "character.")

    register(UnicodeEncodeError, from_unicode_encode)


def _register_database_errors():
    """SQLAlchemy's errors: the database is away (503), or refused a value
    (400). Logged with the driver's message, never the SQL or its values."""
    from sqlalchemy import exc as sa_exc

    def describe(exc):
        from nova.db.engine import describe

        return describe(exc)

    def unavailable(exc):
        LOG.error("Database unavailable: %s", describe(exc))
        return ServiceUnavailable(
            "The database is unavailable; try again later.")

    def bad_value(exc):
        LOG.warning("A value was refused by the database: %s",
                    describe(exc))
        return BadRequest("Invalid input: a value does not fit what the "
                          "database can store.")

    register(sa_exc.DataError, bad_value)
    for klass in (sa_exc.OperationalError, sa_exc.InterfaceError,
                  sa_exc.TimeoutError, sa_exc.DisconnectionError):
        register(klass, unavailable)


_register_domain_errors()
_register_library_errors()
_register_database_errors()
