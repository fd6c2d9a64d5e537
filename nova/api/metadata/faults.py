"""Errors of the metadata API, in upstream's (webob's) HTML format."""

_TEMPLATE = """<html>
 <head>
  <title>{status}</title>
 </head>
 <body>
  <h1>{status}</h1>
  {explanation}<br /><br />



 </body>
</html>"""


class MetadataFault(Exception):
    status = "500 Internal Server Error"
    explanation = ("The server has either erred or is incapable of "
                   "performing the requested operation.")

    def __init__(self, explanation=None, headers=()):
        super().__init__(explanation or self.explanation)
        self.explanation = explanation or self.explanation
        self.headers = list(headers)

    def respond(self, start_response, head=False):
        body = _TEMPLATE.format(status=self.status,
                                explanation=self.explanation).encode()
        start_response(self.status, [
            ("Content-Type", "text/html; charset=UTF-8"),
            ("Content-Length", str(len(body))), *self.headers])
        return [b""] if head else [body]


class BadRequest(MetadataFault):
    status = "400 Bad Request"
    explanation = ("The server could not comply with the request since it "
                   "is either malformed or otherwise incorrect.")


class Forbidden(MetadataFault):
    status = "403 Forbidden"
    explanation = "Access was denied to this resource."


class NotFound(MetadataFault):
    status = "404 Not Found"
    explanation = "The resource could not be found."


class Conflict(MetadataFault):
    status = "409 Conflict"
    explanation = ("There was a conflict when trying to complete your "
                   "request.")


class TooLarge(MetadataFault):
    status = "413 Request Entity Too Large"
    explanation = "The body of your request was too large for this server."


class Unavailable(MetadataFault):
    status = "503 Service Unavailable"
    explanation = ("The server is currently unavailable. Please try again "
                   "at a later time.")
