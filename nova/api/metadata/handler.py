"""The metadata API application.

``GET /`` lists the EC2 versions before any instance lookup, as upstream.
The per-instance tree is not served yet (issue 4): every other path is a
404, never a guess.
"""

from nova.api import wsgi_util

EC2_VERSIONS = ("1.0", "2007-01-19", "2007-03-01", "2007-08-29",
                "2007-10-10", "2007-12-15", "2008-02-01", "2008-09-01",
                "2009-04-04")

_NOT_FOUND = """<html>
 <head>
  <title>404 Not Found</title>
 </head>
 <body>
  <h1>404 Not Found</h1>
  The resource could not be found.<br /><br />



 </body>
</html>"""


class MetadataApp:
    def __call__(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "") or "/"
        if path == "/" and method in ("GET", "HEAD"):
            text = "\n".join((*EC2_VERSIONS, "latest"))
            return wsgi_util.plain_response(start_response, "200 OK", text,
                                            head=method == "HEAD")
        return wsgi_util.plain_response(
            start_response, "404 Not Found", _NOT_FOUND,
            content_type="text/html; charset=UTF-8", head=method == "HEAD")


def app_factory(global_conf, **local_conf):
    return MetadataApp()
