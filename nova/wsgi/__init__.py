"""WSGI entry modules: ``nova.wsgi.osapi_compute`` and ``nova.wsgi.metadata``."""
