"""WSGI middleware of the paste pipelines, each a small class.

Each module offers a paste ``filter_factory``; the ``ConfigOpts`` comes
from ``nova.loading.loading_conf()``.
"""
