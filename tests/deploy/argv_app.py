"""A WSGI app that answers with its process's sys.argv (JSON): what an
application that parses the command line (upstream Nova) would see in a
gunicorn worker."""

import json
import sys


def application(environ, start_response):
    body = json.dumps(sys.argv).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]
