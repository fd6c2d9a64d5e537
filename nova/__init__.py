"""A compact, Nova-compatible compute API and metadata API for WSGI servers."""

__version__ = "0.1.0"
