"""Vendor data: a static JSON file and dynamic JSON services.

Static data is read at start-up (a missing or invalid file is a start-up
error naming it). Dynamic targets (``name@url``) are POSTed the server's
facts on every vendor_data2.json request, with separate connect and read
timeouts; a failing, slow or non-JSON target gives ``{}`` and a warning,
unless ``vendordata_dynamic_failure_fatal``.
"""

import base64
import http.client
import json
import logging
import ssl
import urllib.parse

from nova import exception
from nova.api.metadata import faults

LOG = logging.getLogger(__name__)

MAX_ANSWER = 1024 * 1024
PROVIDERS = ("StaticJSON", "DynamicJSON")


class VendorData:
    def __init__(self, conf):
        api = conf.api
        unknown = [p for p in api.vendordata_providers if p not in PROVIDERS]
        if unknown:
            raise exception.StartupError(
                f"[api] vendordata_providers: unknown provider(s) "
                f"{', '.join(unknown)}; known: {', '.join(PROVIDERS)}")
        self.static_enabled = "StaticJSON" in api.vendordata_providers
        self.static_data = {}
        if self.static_enabled and api.vendordata_jsonfile_path:
            self.static_data = _load_static(api.vendordata_jsonfile_path)
        self.targets = []
        taken = {"static"} if self.static_enabled else set()
        if "DynamicJSON" in api.vendordata_providers:
            for entry in api.vendordata_dynamic_targets:
                name, sep, url = entry.partition("@")
                parsed = urllib.parse.urlsplit(url)
                if not sep or not name or parsed.scheme not in (
                        "http", "https") or not parsed.hostname:
                    raise exception.StartupError(
                        f"[api] vendordata_dynamic_targets: {entry!r} is not "
                        "'name@http(s)://host[:port]/path'")
                if name in taken:
                    raise exception.StartupError(
                        f"[api] vendordata_dynamic_targets: {entry!r}: the "
                        f"name {name!r} is used twice in vendor_data2.json")
                taken.add(name)
                self.targets.append((name, parsed))
        self.connect_timeout = api.vendordata_dynamic_connect_timeout
        self.read_timeout = api.vendordata_dynamic_read_timeout
        self.fatal = api.vendordata_dynamic_failure_fatal
        self.cafile = api.vendordata_dynamic_ssl_certfile

    def dynamic(self, data):
        body = json.dumps({
            "project-id": data.project_id,
            "instance-id": data.uuid,
            "image-id": data.image_ref,
            "user-data": (None if data.user_data is None else
                          base64.b64encode(data.user_data).decode()),
            "hostname": data.hostname,
            "metadata": data.metadata,
            "boot-roles": "",
        }).encode()
        answers = {}
        for name, url in self.targets:
            try:
                answers[name] = self._call(url, body)
            except (OSError, http.client.HTTPException, ValueError) as exc:
                LOG.warning("Vendor data target %s (%s://%s) failed for "
                            "instance %s: %s", name, url.scheme, url.netloc,
                            data.uuid, exc)
                if self.fatal:
                    raise faults.Unavailable(
                        f"Vendor data target {name} failed.") from None
                answers[name] = {}
        return answers

    def _call(self, url, body):
        port = url.port
        if url.scheme == "https":
            context = ssl.create_default_context(cafile=self.cafile)
            conn = http.client.HTTPSConnection(
                url.hostname, port, timeout=self.connect_timeout,
                context=context)
        else:
            conn = http.client.HTTPConnection(url.hostname, port,
                                              timeout=self.connect_timeout)
        try:
            conn.connect()
            conn.sock.settimeout(self.read_timeout or None)
            path = url.path or "/"
            if url.query:
                path += "?" + url.query
            conn.request("POST", path, body, {
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": "nova-wsgi-metadata"})
            response = conn.getresponse()
            raw = response.read(MAX_ANSWER + 1)
            if response.status not in (200, 201):
                raise ValueError(f"HTTP {response.status}")
            if len(raw) > MAX_ANSWER:
                raise ValueError("answer larger than 1 MiB")
            answer = json.loads(raw)
            if not isinstance(answer, dict):
                raise ValueError("answer is not a JSON object")
            return answer
        finally:
            conn.close()


def _load_static(path):
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise exception.StartupError(
            f"[api] vendordata_jsonfile_path = {path}: cannot read it "
            f"({exc.strerror}).") from None
    except ValueError as exc:
        raise exception.StartupError(
            f"[api] vendordata_jsonfile_path = {path}: not valid JSON "
            f"({exc}).") from None
    if not isinstance(data, dict):
        raise exception.StartupError(
            f"[api] vendordata_jsonfile_path = {path}: a JSON object is "
            "needed.")
    return data
