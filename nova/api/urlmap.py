"""Dispatch by path prefix, like paste's urlmap, in a few lines.

In the paste file each key of the composite is a path and each value an
app name. ``/v2.1`` matches ``/v2.1`` and ``/v2.1/`` exactly; ``/v2.1/+``
matches anything below ``/v2.1/``. The matched path moves from PATH_INFO
to SCRIPT_NAME, as the WSGI spec wants. Unmatched paths get a 404 fault.
"""

from nova.api import errors, wsgi_util


class URLMap:
    def __init__(self, exact, prefixes):
        self.exact = exact  # path -> app
        # longest prefix first
        self.prefixes = sorted(prefixes.items(), key=lambda kv: -len(kv[0]))

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "") or "/"
        script = environ.get("SCRIPT_NAME", "")
        environ.setdefault(wsgi_util.ENV_ROOT, script)
        key = path.rstrip("/") or "/"
        app = self.exact.get(key)
        if app is not None:
            environ["SCRIPT_NAME"] = script + (key if key != "/" else "")
            environ["PATH_INFO"] = path[len(key):] if key != "/" else path
            return app(environ, start_response)
        for prefix, app in self.prefixes:
            if path.startswith(prefix + "/"):
                environ["SCRIPT_NAME"] = script + prefix
                environ["PATH_INFO"] = path[len(prefix):]
                return app(environ, start_response)
        return errors.fault_response(errors.NotFound(), start_response)


def urlmap_factory(loader, global_conf, **local_conf):
    exact, prefixes = {}, {}
    for path, app_name in local_conf.items():
        if not path.startswith("/"):
            continue
        app = loader.get_app(app_name.strip(), global_conf=global_conf)
        if path.endswith("/+"):
            prefixes[path[:-2].rstrip("/")] = app
        else:
            exact[path.rstrip("/") or "/"] = app
    return URLMap(exact, prefixes)
