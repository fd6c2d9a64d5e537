"""Load one API as a WSGI application: config, logging, then paste.

This is the only module that reads the process environment. Everything it
builds is passed down as objects (the ``ConfigOpts`` travels to the paste
factories through ``loading_conf()``), so a failed load leaves nothing
behind: the next load starts from scratch and either succeeds or raises the
same ``StartupError``. Where the files come from: ``nova.config_files``.
"""

import contextvars
import gc
import logging
import threading

from oslo_config import cfg

from nova import config_files, log_setup
from nova.config_files import build_conf, find_config
from nova.exception import StartupError

APIS = ("osapi_compute", "metadata")

LOG = logging.getLogger(__name__)

_loading_conf = contextvars.ContextVar("nova_loading_conf", default=None)
_load_lock = threading.Lock()
_loaded_api = None


def loading_conf():
    """The ``ConfigOpts`` of the app being loaded, for paste factories.

    Outside ``load_app`` (someone loading our paste file with plain
    PasteDeploy, ``gunicorn --paste``), the configuration is read from the
    environment as ``load_app`` would.
    """
    conf = _loading_conf.get()
    if conf is None:
        conf = build_conf(find_config())
    return conf


def load_app(name, environ=None, freeze=False):
    """Build the WSGI application ``name`` (``osapi_compute``/``metadata``).

    ``freeze`` (the entry modules, which a server process imports once):
    once loaded, move every object that exists to the garbage collector's
    permanent generation (``gc.freeze()``). They live as long as the
    process anyway; the collector no longer walks them on each full
    collection, and, above all, the interpreter's finalization at exit
    stops collecting them again and again: a mod_wsgi daemon that Apache
    stops on a graceful restart exits in a tenth of a second instead of
    seconds of CPU, time during which no daemon listens, the Apache
    workers of the old generation are starved of CPU and keep taking
    requests that they can no longer forward (503, WSGI0117).

    The entry modules also make the garbage collector run rarely while
    they import and build the API (``nova/wsgi/__init__.py``).
    """
    global _loaded_api
    if name not in APIS:
        raise StartupError(f"Unknown API {name!r}; this project serves "
                           f"{', '.join(APIS)}.")
    with _load_lock:
        if _loaded_api is not None and _loaded_api != name:
            raise StartupError(
                f"This process already serves the {_loaded_api} API; the "
                f"{name} API must run in a process of its own. Use separate "
                f"processes: one mod_wsgi daemon process group per API "
                f"(WSGIDaemonProcess + WSGIProcessGroup), or separate "
                f"gunicorn/uWSGI instances.")
        sources = find_config(environ)
        conf = build_conf(sources)
        log_setup.setup_logging(conf)
        paste_file = config_files.find_paste_file(conf, sources)
        app = _loadapp(paste_file, name, conf)
        _loaded_api = name
        if freeze:
            # No gc.collect() first: it would cost more start-up time
            # than the few hundred objects of garbage it would spare.
            gc.freeze()
    LOG.info("Loaded the %s API from %s (config: %s)", name, paste_file,
             ", ".join(sources.all_files))
    return app


def _loadapp(paste_file, name, conf):
    from paste import deploy

    token = _loading_conf.set(conf)
    try:
        return deploy.loadapp(f"config:{paste_file}", name=name)
    except StartupError:
        raise
    except LookupError as exc:
        raise StartupError(
            f"Paste file {paste_file} has no application {name!r} "
            f"({exc}). Add a [composite:{name}] section (the shipped "
            f"api-paste.ini has one), or point [wsgi] api_paste_config at a "
            f"file that does.") from None
    except (ValueError, cfg.Error) as exc:
        raise StartupError(
            f"Loading {name} from {paste_file} failed: "
            f"{config_files.reason(exc)}"
        ) from None
    except ImportError as exc:
        raise StartupError(
            f"Loading {name} from {paste_file} failed: cannot import "
            f"{exc.name or exc} (named in the paste file, or needed by what "
            f"it names or by the configuration: install it, or change "
            f"that).") from None
    finally:
        _loading_conf.reset(token)
