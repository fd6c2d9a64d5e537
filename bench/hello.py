"""Hello-world WSGI app: the yardstick of bench/version_documents.py.

A small JSON body with Content-Length, nothing else, so a server's own cost
per request can be told from the API's.
"""

_BODY = b'{"hello": "world"}'
_HEADERS = [("Content-Type", "application/json"),
            ("Content-Length", str(len(_BODY)))]


def application(environ, start_response):
    start_response("200 OK", list(_HEADERS))
    return [_BODY]
