"""Catch whatever escapes the application and answer in the fault format.

Known errors (an ``APIError``, or any exception ``nova.api.errors`` maps,
the domain's among them) keep their status and message; anything else is
a bug: the client gets a 500 "Unexpected API Error" without a
traceback and the log gets the traceback once, with the request id.
"""

import logging
import re

from nova.api import errors

LOG = logging.getLogger(__name__)

# A console token is a secret in the path of its look-up: never logged.
_TOKEN_PATH = re.compile(r"(/os-console-auth-tokens/)[^/]+")


def loggable_path(environ):
    return _TOKEN_PATH.sub(r"\1***", environ.get("PATH_INFO") or "")


class FaultWrapper:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        started = []

        def _start_response(status, headers, exc_info=None):
            started.append(status)
            return start_response(status, headers, exc_info)

        try:
            result = self.app(environ, _start_response)
            if started or isinstance(result, list):
                return result
            # A lazy app: start it now so its errors are caught here.
            return _materialise(result)
        except Exception as exc:  # noqa: BLE001 - this is the last line
            error = errors.to_api_error(exc)
            if error is None:
                LOG.exception("Unexpected error serving %s %s",
                              environ.get("REQUEST_METHOD"),
                              loggable_path(environ))
                error = errors.APIError()
            elif error.code >= 500:
                LOG.error("%s %s: %s", environ.get("REQUEST_METHOD"),
                          loggable_path(environ), error.message)
            if started:
                # Headers already sent; nothing sensible can follow.
                raise
            return errors.fault_response(error, start_response)


def _materialise(result):
    try:
        return [b"".join(result)]
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()


def filter_factory(global_conf, **local_conf):
    return FaultWrapper
