"""Small WSGI helpers shared by the apps of both APIs."""

ENV_ROOT = "nova.root_script_name"


def host_url(environ):
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST")
    if not host:
        host = environ.get("SERVER_NAME", "localhost")
        port = environ.get("SERVER_PORT", "")
        if port and (scheme, port) not in (("http", "80"), ("https", "443")):
            host = f"{host}:{port}"
    return f"{scheme}://{host}"


def application_url(environ, link_prefix=None):
    """URL of the API's root (before /v2.1), without a trailing slash."""
    if link_prefix:
        return link_prefix.rstrip("/")
    root = environ.get(ENV_ROOT, environ.get("SCRIPT_NAME", ""))
    return host_url(environ) + root.rstrip("/")


def plain_response(start_response, status, text, headers=(),
                   content_type="text/plain; charset=UTF-8", head=False):
    body = text.encode("utf-8") if isinstance(text, str) else text
    start_response(status, [("Content-Type", content_type),
                            ("Content-Length", str(len(body))), *headers])
    return [b""] if head else [body]
