"""The compute API: ``nova.wsgi.osapi_compute:application``."""

from nova import deploy

application = deploy.load_app("osapi_compute", freeze=True)
