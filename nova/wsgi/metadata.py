"""The metadata API: ``nova.wsgi.metadata:application``."""

from nova import deploy

application = deploy.load_app("metadata", freeze=True)
