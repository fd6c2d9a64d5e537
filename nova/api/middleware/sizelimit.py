"""Refuse request bodies above ``[oslo_middleware] max_request_body_size``.

A declared ``Content-Length`` above the limit is answered 413 at once; a
body without one (chunked) is read through a counter that raises
``RequestTooLarge`` (413) as soon as it passes the limit, so it is never
held in memory whole.
"""

from nova import loading
from nova.api import errors


class LimitedInput:
    """A ``wsgi.input`` wrapper that refuses to read past ``limit`` bytes."""

    def __init__(self, stream, limit):
        self.stream = stream
        self.limit = limit
        self.count = 0

    def _account(self, data):
        self.count += len(data)
        if self.count > self.limit:
            raise _too_large(self.limit)
        return data

    def read(self, size=-1):
        if size is None or size < 0:
            # Never more than one byte beyond the limit in one call.
            size = self.limit - self.count + 1
        return self._account(self.stream.read(size))

    def readline(self, size=-1):
        if size is None or size < 0:
            size = self.limit - self.count + 1
        return self._account(self.stream.readline(size))

    def __iter__(self):
        while True:
            line = self.readline()
            if not line:
                return
            yield line


def _too_large(limit):
    return errors.RequestTooLarge(
        f"Request is too large. The limit is {limit} bytes "
        f"([oslo_middleware] max_request_body_size).")


class SizeLimit:
    def __init__(self, app, limit):
        self.app = app
        self.limit = limit

    def __call__(self, environ, start_response):
        length = environ.get("CONTENT_LENGTH")
        if length:
            try:
                declared = int(length)
            except ValueError:
                return errors.fault_response(
                    errors.BadRequest("Invalid Content-Length header."),
                    start_response)
            if declared > self.limit:
                return errors.fault_response(_too_large(self.limit),
                                             start_response)
        environ["wsgi.input"] = LimitedInput(environ["wsgi.input"],
                                             self.limit)
        # The counter cannot rewind: a "seekable" mark WebOb left for the
        # stream it replaces would make WebOb seek it (keystonemiddleware's
        # req.get_response does) and fail with a 500.
        environ.pop("webob.is_body_seekable", None)
        return self.app(environ, start_response)


def filter_factory(global_conf, **local_conf):
    limit = loading.loading_conf().oslo_middleware.max_request_body_size
    return lambda app: SizeLimit(app, limit)
