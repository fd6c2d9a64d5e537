"""The metadata API: ``nova.wsgi.metadata:application``."""

import gc

# No cyclic garbage collection while the API is imported and built (see
# nova.deploy.load_app, freeze).
_gc_was_enabled = gc.isenabled()
gc.disable()
try:
    from nova import deploy

    application = deploy.load_app("metadata", freeze=True)
finally:
    if _gc_was_enabled:
        gc.enable()
