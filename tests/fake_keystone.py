"""A stand-in for Keystone v3 on pytest-httpserver: just enough for
keystonemiddleware 13's auth_token (version discovery, the service user's
password login, the validation of a caller's token).

``FakeKeystone(httpserver)`` answers on the server it is given;
``authtoken_conf()`` is the ``[keystone_authtoken]`` section pointing at
it, ``issue(user, project, roles)`` a valid token. Used by
functional/test_auth.py and the robustness tests.
"""

import datetime
import json
import re
import uuid

from werkzeug import Response


def _iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class FakeKeystone:
    """Just enough of Keystone v3 for keystonemiddleware 13's auth_token."""

    SERVICE_USER = "nova"
    SERVICE_PASSWORD = "nova-service-secret"
    SERVICE_PROJECT = "service"

    def __init__(self, httpserver):
        self.server = httpserver
        self.base = httpserver.url_for("/").rstrip("/")
        self.service_token = "svc-" + uuid.uuid4().hex
        self.tokens = {}  # user token id -> token body
        self.logins = []  # bodies of the service user's logins
        self.validations = []  # (X-Auth-Token, X-Subject-Token) per check
        self.fail_validation = False
        # Other services' catalog entries, {"type", "name", "url"} each
        # (the fake Glance and Neutron add theirs: ``add_service``).
        self.services = []
        # Projects GET /v3/projects/{id} knows (issue() adds the token's);
        # ``project_status`` forces an answer (403, 500...) for all.
        self.projects = set()
        self.project_status = None
        self.project_lookups = []  # (X-Auth-Token, project id) per GET
        for path in ("/", "/v3", "/v3/"):
            httpserver.expect_request(path, method="GET").respond_with_handler(
                self._discovery)
        httpserver.expect_request(
            "/v3/auth/tokens", method="POST").respond_with_handler(self._login)
        httpserver.expect_request(
            "/v3/auth/tokens", method="GET").respond_with_handler(
                self._validate)
        httpserver.expect_request(
            re.compile(r"^/v3/projects/[^/]+$"),
            method="GET").respond_with_handler(self._project)

    # configuration ---------------------------------------------------------

    def password_auth(self):
        """keystoneauth's password options for the service user, as lines
        of any nova.conf section ([keystone_authtoken], [neutron],
        [service_user]...)."""
        return f"""auth_type = password
auth_url = {self.base}/v3
username = {self.SERVICE_USER}
password = {self.SERVICE_PASSWORD}
project_name = {self.SERVICE_PROJECT}
user_domain_name = Default
project_domain_name = Default
"""

    def authtoken_conf(self):
        return (f"\n[keystone_authtoken]\nwww_authenticate_uri = "
                f"{self.base}\n{self.password_auth()}"
                "service_token_roles_required = true\n")

    def issue(self, user_id, project_id, roles, user_name=None,
              project_name=None):
        """A valid token for a user, as Keystone would have issued it."""
        token_id = "tok-" + uuid.uuid4().hex
        self.projects.add(project_id)
        self.tokens[token_id] = self._token_body(
            user_id, user_name or user_id, project_id,
            project_name or project_id, roles)
        return token_id

    # Keystone's answers ----------------------------------------------------

    def _version(self):
        return {"id": "v3.14", "status": "stable",
                "updated": "2020-04-07T00:00:00Z",
                "links": [{"rel": "self", "href": self.base + "/v3/"}],
                "media-types": [{
                    "base": "application/json",
                    "type": "application/vnd.openstack.identity-v3+json"}]}

    def add_service(self, service_type, name, url):
        """Put a service in the catalog of the tokens issued from now."""
        self.services.append({"type": service_type, "name": name,
                              "url": url.rstrip("/")})

    def _catalog(self):
        entries = [{"type": "identity", "name": "keystone",
                    "url": self.base + "/v3"}] + self.services
        return [{"type": entry["type"], "name": entry["name"],
                 "id": f"svc-{entry['type']}",
                 "endpoints": [
                     {"id": f"ep-{entry['type']}-{interface}",
                      "interface": interface, "region": "RegionOne",
                      "region_id": "RegionOne", "url": entry["url"]}
                     for interface in ("public", "internal", "admin")]}
                for entry in entries]

    def _token_body(self, user_id, user_name, project_id, project_name,
                    roles):
        now = datetime.datetime.now(datetime.timezone.utc)
        domain = {"id": "default", "name": "Default"}
        return {"token": {
            "methods": ["password"],
            "user": {"id": user_id, "name": user_name, "domain": domain,
                     "password_expires_at": None},
            "project": {"id": project_id, "name": project_name,
                        "domain": domain},
            "roles": [{"id": f"role-{name}", "name": name} for name in roles],
            "catalog": self._catalog(),
            "is_domain": False,
            "audit_ids": [uuid.uuid4().hex[:22]],
            "issued_at": _iso(now),
            "expires_at": _iso(now + datetime.timedelta(hours=1)),
        }}

    @staticmethod
    def _json(body, status=200, headers=None):
        return Response(json.dumps(body), status=status, headers=headers,
                        content_type="application/json")

    def _error(self, code, title, message):
        return self._json(
            {"error": {"code": code, "title": title, "message": message}},
            status=code)

    def _discovery(self, request):
        if request.path.rstrip("/") == "/v3":
            return self._json({"version": self._version()})
        return self._json({"versions": {"values": [self._version()]}},
                          status=300)

    def _login(self, request):
        body = request.get_json()
        self.logins.append(body)
        user = body["auth"]["identity"]["password"]["user"]
        if (user.get("name") != self.SERVICE_USER
                or user.get("password") != self.SERVICE_PASSWORD):
            return self._error(401, "Unauthorized",
                               "The request you have made requires "
                               "authentication.")
        token = self._token_body("nova-id", self.SERVICE_USER, "service-id",
                                 self.SERVICE_PROJECT, ["service", "admin"])
        return self._json(token, status=201,
                          headers={"X-Subject-Token": self.service_token})

    def _validate(self, request):
        caller = request.headers.get("X-Auth-Token")
        subject = request.headers.get("X-Subject-Token")
        self.validations.append((caller, subject))
        if caller != self.service_token:
            return self._error(401, "Unauthorized",
                               "The request you have made requires "
                               "authentication.")
        if self.fail_validation:
            return self._error(500, "Internal Server Error",
                               "An unexpected error prevented the server "
                               "from fulfilling your request.")
        if subject not in self.tokens:
            return self._error(404, "Not Found",
                               f"Could not find token: {subject}.")
        return self._json(self.tokens[subject],
                          headers={"X-Subject-Token": subject})

    def _project(self, request):
        """GET /v3/projects/{id}: a member sees its own project, an admin
        any; others get 403, as Keystone's default policy says."""
        project_id = request.path.rsplit("/", 1)[1]
        caller = request.headers.get("X-Auth-Token")
        self.project_lookups.append((caller, project_id))
        token = self.tokens.get(caller)
        if token is None:
            return self._error(401, "Unauthorized",
                               "The request you have made requires "
                               "authentication.")
        if self.project_status is not None:
            return self._error(self.project_status, "Error",
                               "Forced by the test.")
        token = token["token"]
        roles = {role["name"] for role in token["roles"]}
        if "admin" not in roles and token["project"]["id"] != project_id:
            return self._error(403, "Forbidden",
                               "You are not authorized to perform the "
                               "requested action: identity:get_project.")
        if project_id not in self.projects:
            return self._error(404, "Not Found",
                               f"Could not find project: {project_id}.")
        return self._json({"project": {
            "id": project_id, "name": project_id, "domain_id": "default",
            "enabled": True, "is_domain": False, "parent_id": "default",
            "description": "", "tags": [], "options": {},
            "links": {"self": f"{self.base}/v3/projects/{project_id}"}}})
