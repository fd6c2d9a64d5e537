"""The compute API: ``nova.wsgi.osapi_compute:application``."""

import gc

# No cyclic garbage collection while the API is imported and built (see
# nova.deploy.load_app, freeze).
_gc_was_enabled = gc.isenabled()
gc.disable()
try:
    from nova import deploy

    application = deploy.load_app("osapi_compute", freeze=True)
finally:
    if _gc_was_enabled:
        gc.enable()
