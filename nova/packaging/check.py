"""``nova-wsgi-check``: verify a running compute API and metadata API from
outside, over HTTP(S), for upstream Nova and for this project alike.

    nova-wsgi-check http://host:8774 --metadata http://host:8775
    nova-wsgi-check https://host/compute --ca-file ca.pem --token "$OS_TOKEN"

One line per check, ``VERDICT name: detail`` with VERDICT one of PASS,
FAIL, WARN, SKIP; exit status 0 when no check failed, 1 when one did, 2 for
a usage error. Each request (connection, TLS, request and the whole answer)
is bounded by ``--timeout``, the whole run by ``--max-time``; an unreachable
API is a FAIL line with the reason, and its remaining checks are skipped.
Credentials (``--token``, ``OS_TOKEN``/``OS_AUTH_TOKEN``; ``--user`` with
``OS_PASSWORD``) are never printed.

Standard library only, and nothing of ``nova`` but ``nova.packaging``
(``probe``: HTTP and TLS): operators run it with a bare ``python3``, and the
kit's zipapp carries ``nova/packaging/``.
"""

from __future__ import annotations

import argparse
import base64
import os
import ssl
import sys
import urllib.parse
from typing import Any, Dict, List, Optional, Tuple

from nova.packaging.probe import Client, Reply, Unreachable, check_tls

DEFAULT_MAX_REQUEST_BODY_SIZE = 114688  # [oslo_middleware], upstream's too


# -- the checks of each API ---------------------------------------------------

Verdict = Tuple[str, str]
NO_CREDENTIALS = ("SKIP", "no token: give --token (or OS_TOKEN/OS_AUTH_TOKEN),"
                  " or --user with OS_PASSWORD, to check them on an "
                  "authenticated call")


def _version(text: Any) -> Optional[Tuple[int, int]]:
    try:
        major, minor = str(text).split(".")
        return int(major), int(minor)
    except ValueError:
        return None


def _same_url(one: str, other: str) -> bool:
    def norm(url: str) -> Tuple[str, str, int, str]:
        parts = urllib.parse.urlsplit(url)
        scheme = parts.scheme.lower()
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            port = -1
        return (scheme, (parts.hostname or "").lower(), port,
                parts.path.rstrip("/"))
    return norm(one) == norm(other)


def _padding(size: int) -> bytes:
    """A JSON body of exactly ``size`` bytes (at least 12)."""
    return b'{"pad": "' + b"x" * max(size - 11, 0) + b'"}'


class Api:
    """One API at ``base``: its TLS context, what earlier checks learnt,
    and, once a request got no answer, why (its other checks are skipped)."""

    def __init__(self, name: str, url: str, client: Client):
        self.name, self.base, self.client = name, url.rstrip("/"), client
        self.context: Optional[ssl.SSLContext] = None
        self.down: Optional[str] = None
        self.max_version: Optional[Tuple[int, int]] = None
        self.replies: List[Tuple[str, Reply]] = []

    def get(self, path: str, headers: Optional[Dict[str, str]] = None,
            method: str = "GET", body: Optional[bytes] = None,
            refusal: bool = False) -> Reply:
        return self.client.request(self.base + path, method, headers, body,
                                   self.context, refusal)


def check_versions(api: Api) -> Verdict:
    reply = api.get("/")
    if reply.status != 200:
        hint = ""
        if 300 <= reply.status < 400:
            hint = f" (Location: {reply.header('Location')})"
        elif reply.status == 404:
            hint = ": is this the compute API's root URL?"
        return "FAIL", f"GET / answered {reply.describe()}{hint}"
    doc = reply.json()
    if isinstance(doc, dict) and isinstance(doc.get("version"), dict):
        return "FAIL", ("GET / answered one version's document: give the "
                        "API's root URL (without /v2.1)")
    if not isinstance(doc, dict) or not isinstance(doc.get("versions"), list):
        return "FAIL", f"GET / is not a versions document: {reply.describe()}"
    entries = [v for v in doc["versions"] if isinstance(v, dict)]
    v21 = [v for v in entries if v.get("id") == "v2.1"]
    if not v21:
        ids = ", ".join(str(v.get("id")) for v in entries) or "none"
        return "FAIL", f"no v2.1 in the versions document (ids: {ids})"
    entry = v21[0]
    if entry.get("status") != "CURRENT":
        return "FAIL", f"v2.1 is {entry.get('status')}, not CURRENT"
    low, high = _version(entry.get("min_version")), _version(
        entry.get("version"))
    if not low or not high:
        return "FAIL", (f"v2.1 reports no microversion range (min_version "
                        f"{entry.get('min_version')!r}, version "
                        f"{entry.get('version')!r})")
    api.max_version = high
    found = f"v2.1 CURRENT, microversions {low[0]}.{low[1]} to " \
        f"{high[0]}.{high[1]}"
    listed = entry.get("links")
    links = [link.get("href") for link in
             (listed if isinstance(listed, list) else [])
             if isinstance(link, dict) and link.get("rel") == "self"]
    expected = api.base + "/v2.1/"
    if not links or not _same_url(str(links[0]), expected):
        return "WARN", (
            f"{found}; but its link is {links[0] if links else 'missing'}, "
            f"not {expected}, and clients follow it: behind a proxy, enable "
            "http_proxy_to_wsgi ([oslo_middleware] "
            "enable_proxy_headers_parsing = true) and have the proxy send "
            "X-Forwarded-Proto (and X-Forwarded-Host), or set [api] "
            "compute_link_prefix")
    return "PASS", f"{found}, links on {api.base}"


def check_auth(api: Api) -> Verdict:
    reply = api.get("/v2.1/flavors")
    api.replies.append(("the unauthenticated call", reply))
    if reply.status == 401:
        challenge = reply.header("WWW-Authenticate")
        return "PASS", ("GET /v2.1/flavors without a token answered 401"
                        + (f" (WWW-Authenticate: {challenge})"
                           if challenge else ""))
    if 200 <= reply.status < 300:
        return "FAIL", (f"GET /v2.1/flavors without a token answered "
                        f"{reply.describe()}: the API is open to anyone "
                        "(auth_strategy = noauth2?) or this is not Nova")
    return "FAIL", (f"GET /v2.1/flavors without a token answered "
                    f"{reply.describe()}, not 401")


def check_microversions(api: Api, credentials: Dict[str, str],
                        what: str) -> Verdict:
    def ask(version: str) -> Reply:
        reply = api.get("/v2.1/flavors", {
            **credentials, "OpenStack-API-Version": f"compute {version}"})
        api.replies.append((f"the call at {version}", reply))
        return reply

    def echoed(reply: Reply) -> str:
        return " ".join((reply.header("OpenStack-API-Version") or "")
                        .lower().split())

    first = ask("2.1")
    if first.status == 401:
        return "FAIL", f"{what} refused: {first.describe()}"
    if first.status != 200:
        return "FAIL", (f"GET /v2.1/flavors at compute 2.1 answered "
                        f"{first.describe()}, not 200")
    problems, notes = [], []
    if echoed(first) != "compute 2.1":
        problems.append(f"compute 2.1 answered OpenStack-API-Version "
                        f"{first.header('OpenStack-API-Version')!r}")
    elif "openstack-api-version" not in first.tokens("Vary"):
        problems.append("no Vary: OpenStack-API-Version (caches would mix "
                        "microversions)")
    else:
        notes.append("compute 2.1 echoed with Vary")
    if (first.header("X-OpenStack-Nova-API-Version") or "").strip() != "2.1":
        notes.append("no X-OpenStack-Nova-API-Version: 2.1 (older clients "
                     "read it)")
    latest = ask("latest")
    said = echoed(latest)
    high = api.max_version
    if latest.status != 200:
        problems.append(f"compute latest answered {latest.describe()}")
    elif high and said != f"compute {high[0]}.{high[1]}":
        problems.append(f"compute latest answered {said!r}, not the "
                        f"versions document's {high[0]}.{high[1]}")
    elif not _version(said.replace("compute ", "", 1)):
        problems.append(f"compute latest answered {said!r}")
    else:
        notes.append(f"latest is {said.split()[-1]}")
    beyond = f"{high[0]}.{high[1] + 1}" if high else "9.99"
    refused = ask(beyond)
    if refused.status != 406:
        problems.append(f"compute {beyond} answered {refused.describe()}, "
                        "not 406")
    else:
        notes.append(f"{beyond} refused with 406")
    if problems:
        return "FAIL", "; ".join(problems + notes)
    legacy = [n for n in notes if n.startswith("no X-")]
    return ("WARN" if legacy else "PASS"), ", ".join(notes)


def check_request_ids(api: Api) -> Verdict:
    missing, legacy, seen = [], [], None
    for what, reply in api.replies:
        rid = reply.header("x-openstack-request-id")
        if not rid:
            missing.append(f"{what} ({reply.status})")
            continue
        seen = seen or rid
        if not reply.header("x-compute-request-id"):
            legacy.append(what)
    if missing:
        return "FAIL", (f"no x-openstack-request-id on {', '.join(missing)}:"
                        " the request id middleware is not in the pipeline, "
                        "or something in front answered")
    if legacy:
        return "WARN", (f"x-openstack-request-id ({seen}) but no "
                        f"x-compute-request-id on {', '.join(legacy)}")
    count = len(api.replies)
    return "PASS", (f"x-openstack-request-id and x-compute-request-id on "
                    f"{count} answer{'s' if count > 1 else ''} (e.g. {seen})")


def check_body_limit(api: Api, size: int) -> Verdict:
    headers = {"Content-Type": "application/json"}
    over = api.get("/v2.1/flavors", headers, "POST", _padding(size + 1),
                   refusal=True)
    if over.status != 413:
        return "FAIL", (
            f"a body of {size + 1} bytes without a token answered "
            f"{over.describe()}, not 413: no limit on request bodies, or one "
            f"above {size} ([oslo_middleware] max_request_body_size; "
            "Apache LimitRequestBody)")
    doc = over.json()
    kind = (over.header("Content-Type") or "no Content-Type").split(";")[0]
    if isinstance(doc, dict) and "overLimit" in doc:
        who = "the API's overLimit fault"
    elif b"max_request_body_size" in over.body:
        who = f"oslo.middleware's sizelimit, {kind}"  # upstream Nova's
    else:
        who = f"a {kind} page, not the API's: the web server's limit"
    at = api.get("/v2.1/flavors", headers, "POST", _padding(size))
    if at.status == 413:
        return "FAIL", (f"{size + 1} bytes refused, but {size} bytes too: "
                        f"the limit is below {size} "
                        "(--max-request-body-size)")
    return "PASS", (f"{size + 1} bytes refused with 413 before "
                    f"authentication ({who}), {size} bytes passed on "
                    f"({at.status})")


def check_metadata(api: Api) -> Verdict:
    reply = api.get("/")
    if reply.status != 200:
        return "FAIL", f"GET / answered {reply.describe()}, not 200"
    kind = (reply.header("Content-Type") or "").split(";")[0].strip()
    lines = reply.body.decode("utf-8", "replace").splitlines()
    if kind != "text/plain" or "latest" not in lines:
        return "FAIL", (f"GET / answered {reply.describe()}: not the "
                        "metadata API's version list (text/plain, ending "
                        "with 'latest')")
    dated = [line for line in lines if line != "latest"]
    return "PASS", (f"{len(lines)} versions listed"
                    + (f", {dated[0]} to {dated[-1]}" if dated else "")
                    + " and latest")


# -- the command --------------------------------------------------------------

class Report:
    """Writes each verdict line as it comes, with every secret masked."""

    def __init__(self, out: Any, secrets: List[str]):
        self.out, self.secrets = out, [s for s in secrets if s]
        self.lines: List[str] = []

    def __call__(self, verdict: str, name: str, detail: str) -> None:
        line = f"{verdict} {name}: {detail}"
        for secret in self.secrets:
            line = line.replace(secret, "***")
        self.lines.append(line)
        self.out.write(line + "\n")
        self.out.flush()

    def failed(self) -> bool:
        return any(line.startswith("FAIL ") for line in self.lines)


def _step(report: Report, api: Api, name: str, run: Any) -> None:
    """Report what ``run()`` finds; no answer at all is a FAIL that skips
    the API's other checks; a bug of the check's is a FAIL, not a
    traceback."""
    if api.down:
        report("SKIP", name, f"the {api.name} API did not answer "
                             f"({api.down})")
        return
    try:
        verdict, detail = run()
    except Unreachable as exc:
        api.down = f"see {name}"
        verdict, detail = "FAIL", str(exc)
    except Exception as exc:  # noqa: BLE001 - said in the line
        verdict, detail = "FAIL", (f"the check itself failed "
                                   f"({type(exc).__name__}: {exc})")
    report(verdict, name, detail)


def _https(url: str) -> bool:
    return urllib.parse.urlsplit(url).scheme == "https"


def _tls(api: Api, args: argparse.Namespace) -> Verdict:
    verdict, detail, api.context = check_tls(api.client, api.base,
                                             args.ca_file, args.insecure)
    return verdict, detail


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # type: ignore[override]
        # Never echo what follows "=" in an unknown option: a mistyped
        # "--tokn=SECRET" must not print the secret.
        words = [w.split("=", 1)[0] + ("=..." if "=" in w else "")
                 for w in message.split(" ")]
        super().error(" ".join(words))


def parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="nova-wsgi-check",
        description="Verify a running deployment of the compute API and "
        "the metadata API from outside. One line per check: PASS, FAIL, "
        "WARN or SKIP, the check's name and what was found. Exit status: "
        "0 when no check failed, 1 when one did, 2 for a usage error.")
    p.add_argument("compute", nargs="?", metavar="COMPUTE_URL",
                   help="the compute API's root URL, e.g. "
                   "http://host:8774 or https://host/compute")
    p.add_argument("--metadata", metavar="URL",
                   help="the metadata API's root URL, e.g. http://host:8775")
    p.add_argument("--token", help="a token for the authenticated checks "
                   "(default: $OS_TOKEN or $OS_AUTH_TOKEN); never printed")
    p.add_argument("--user", help="HTTP Basic user (auth_strategy = "
                   "http_basic) instead of a token; the password is read "
                   "from $OS_PASSWORD")
    p.add_argument("--ca-file", metavar="FILE",
                   help="CA certificates to verify https URLs with "
                   "(default: the system's)")
    p.add_argument("--insecure", action="store_true",
                   help="do not verify certificates (the TLS check warns)")
    p.add_argument("--max-request-body-size", type=int, metavar="BYTES",
                   default=DEFAULT_MAX_REQUEST_BODY_SIZE,
                   help="the body size limit expected (default %(default)s, "
                   "[oslo_middleware] max_request_body_size's default)")
    p.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                   help="for each request, connection to last byte "
                   "(default %(default)g)")
    p.add_argument("--max-time", type=float, default=60.0,
                   metavar="SECONDS", help="for the whole run "
                   "(default %(default)g)")
    return p


def _url(p: argparse.ArgumentParser, what: str, url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    try:
        _port = parts.port
    except ValueError:
        p.error(f"{what}: bad port in {url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        p.error(f"{what}: expected an http:// or https:// URL, got {url}")
    if parts.query or parts.fragment:
        p.error(f"{what}: no query or fragment, got {url}")


def main(argv: Optional[List[str]] = None, out: Any = None) -> int:
    out = out or sys.stdout
    p = parser()
    try:
        args = p.parse_args(argv)
        if not args.compute and not args.metadata:
            p.error("give the compute API's URL, --metadata URL, or both")
        for what, url in (("COMPUTE_URL", args.compute),
                          ("--metadata", args.metadata)):
            if url:
                _url(p, what, url)
        if args.timeout <= 0 or args.max_time <= 0:
            p.error("--timeout and --max-time must be positive")
        if args.max_request_body_size < 12:
            p.error("--max-request-body-size must be at least 12")
        if args.ca_file and not os.path.isfile(args.ca_file):
            p.error(f"--ca-file: no such file: {args.ca_file}")
        password = os.environ.get("OS_PASSWORD", "")
        if args.user and not password:
            p.error("--user needs the password in $OS_PASSWORD")
    except SystemExit as exc:
        return int(exc.code or 0)
    token = args.token or os.environ.get("OS_TOKEN") or \
        os.environ.get("OS_AUTH_TOKEN") or ""
    # Masked in the output: what is sent (an unused $OS_PASSWORD, which
    # may be a common word, is not).
    credentials, what, secrets = {}, "the token was", [token]
    if args.user:
        basic = base64.b64encode(f"{args.user}:{password}".encode()).decode()
        credentials = {"Authorization": f"Basic {basic}"}
        what, secrets = "the credentials were", [password, basic]
    elif token:
        credentials = {"X-Auth-Token": token}
    report = Report(out, secrets)
    try:
        run(args, report, credentials, what)
    except KeyboardInterrupt:
        sys.stderr.write("nova-wsgi-check: interrupted\n")
        return 130
    return 1 if report.failed() else 0


def run(args: argparse.Namespace, report: Report,
        credentials: Dict[str, str], what: str) -> None:
    """Every check of the APIs ``args`` names, in order, into ``report``."""
    client = Client(args.timeout, args.max_time)
    if args.compute:
        api = Api("compute", args.compute, client)
        if _https(api.base):
            _step(report, api, "compute-tls", lambda: _tls(api, args))
        _step(report, api, "compute-versions", lambda: check_versions(api))
        _step(report, api, "compute-auth", lambda: check_auth(api))
        _step(report, api, "compute-microversions",
              lambda: check_microversions(api, credentials, what)
              if credentials else NO_CREDENTIALS)
        _step(report, api, "compute-request-ids",
              lambda: check_request_ids(api))
        _step(report, api, "compute-body-limit",
              lambda: check_body_limit(api, args.max_request_body_size))
    if args.metadata:
        meta = Api("metadata", args.metadata, client)
        if _https(meta.base):
            _step(report, meta, "metadata-tls", lambda: _tls(meta, args))
        _step(report, meta, "metadata-versions", lambda: check_metadata(meta))


if __name__ == "__main__":
    sys.exit(main())
