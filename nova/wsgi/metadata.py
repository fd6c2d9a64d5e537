"""The metadata API: ``nova.wsgi.metadata:application``."""

import gc

from nova.wsgi import LOADING_THRESHOLDS

_thresholds = gc.get_threshold()
gc.set_threshold(*LOADING_THRESHOLDS)  # see nova/wsgi/__init__.py
try:
    from nova import loading

    application = loading.load_app("metadata", freeze=True)
finally:
    gc.set_threshold(*_thresholds)
