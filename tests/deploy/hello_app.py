"""A hello-world WSGI app: a server that answers 200 to everything, where
the deployment check must find no Nova."""


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello, world\n"]
