"""The rendered files checked into the repository, and how each is made.

``SHIPPED`` maps a path relative to the repository root to a function of no
arguments that renders it with the default options. ``nova-wsgi-build
--shipped .`` writes them all; ``tests/unit/test_packaging.py`` fails when
one of them differs from what the templates render now.
"""

import functools
import os

from nova.packaging import render


def _entries():
    entries = {}
    for api in render.APIS:
        entries[f"deployment/mod_wsgi/{render.script_filename(api)}"] = \
            functools.partial(render.render_wsgi_script, api)
    for layout in render.LAYOUTS:
        for api in render.APIS:
            for tls in (False, True):
                name = render.vhost_filename(api, tls=tls)
                entries[f"deployment/apache/{layout}/{name}"] = \
                    functools.partial(render.render_vhost, api, layout,
                                      tls=tls)
        # Only the compute API has a DevStack-style prefix: guests reach the
        # metadata API through Neutron's metadata proxy, on its own port.
        name = render.vhost_filename("compute", path_prefix="/compute")
        entries[f"deployment/apache/{layout}/{name}"] = functools.partial(
            render.render_vhost, "compute", layout, path_prefix="/compute")
    for api in render.APIS:
        entries[f"deployment/uwsgi/{render.uwsgi_filename(api)}"] = \
            functools.partial(render.render_uwsgi, api)
        entries[f"deployment/gunicorn/{render.gunicorn_filename(api)}"] = \
            functools.partial(render.render_gunicorn, api)
    return entries


SHIPPED = _entries()


def stale(root):
    """The shipped paths under ``root`` that are missing or out of date."""
    out = []
    for relpath, make in SHIPPED.items():
        path = os.path.join(root, relpath)
        try:
            with open(path, encoding="utf-8") as fh:
                current = fh.read()
        except FileNotFoundError:
            current = None
        if current != make():
            out.append(relpath)
    return out


def write(root):
    """Write every shipped file under ``root``; returns the paths written."""
    written = []
    for relpath, make in SHIPPED.items():
        path = os.path.join(root, relpath)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(make())
        written.append(path)
    return written
